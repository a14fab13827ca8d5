"""Both quiesce methods reach the same verdicts on the bundled suite, the
default leaves the host's caches alone, and a run works where
/proc/sys/vm/drop_caches cannot be written (a container)."""
import subprocess

import pytest

SUBSET = ("hardlinks,unlink-open-fstat,chdir-in-out,create-close-quiesce,"
          "rename-over-open-target,readdirplus-pinned,mkdir-rmdir-tree,"
          "unlink-open-outstanding,deep-tree,parallel-unlink-open")


def methods(fusecheck, out_dir):
    r = fusecheck("log", str(out_dir / "events.fclog"))
    return {line.split("method=")[1].split()[0]
            for line in r.stdout.splitlines() if " QUIESCE " in line}


@pytest.mark.parametrize("how,want", [("notify", {"notify"}),
                                      ("drop-caches", {"drop_caches"}),
                                      ("auto", {"notify"})])
def test_quiesce_method_reaches_balance(fusecheck, tmp_path, how, want):
    r = fusecheck("run", "--quiesce", how, "--only", SUBSET)
    assert r.code == 0, r
    assert r.report["totals"]["passed"] == len(SUBSET.split(","))
    assert methods(fusecheck, tmp_path / "out") == want


def test_notify_quiesce_still_catches_a_leak(fusecheck):
    """forget-by-one leaks references: the notify quiesce must see it."""
    r = fusecheck("run", "--quiesce", "notify", "--memfs-args",
                  "--fault=forget-by-one", "--only", "hardlinks")
    assert r.code == 1, r
    rules = {v["rule"] for s in r.report["scenarios"]
             for v in s["violations"]}
    assert "LC-QUIESCE-BALANCE" in rules or "LF-FS-LEDGER" in rules, r


def test_read_only_proc_sys(fusecheck_bin, tmp_path):
    """As in most containers: /proc/sys read-only (a bind in a mount
    namespace of the test's own); the default run still quiesces and
    judges every balance, by notification."""
    out = tmp_path / "out"
    sh = ("mount --bind -o ro /proc/sys /proc/sys && "
          "mount -o remount,bind,ro /proc/sys && "
          "! sh -c 'echo 2 > /proc/sys/vm/drop_caches' 2>/dev/null && "
          "exec %s run --out %s --only %s" % (fusecheck_bin, out, SUBSET))
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh",
                        "-c", sh], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r
    assert "quiesce: notify" in r.stdout
    assert "not judged" not in r.stdout
