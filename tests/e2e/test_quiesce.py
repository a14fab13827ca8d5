"""Every quiesce method reaches the same verdicts on the bundled suite,
the default leaves the host's caches alone, and a run works where
/proc/sys/vm/drop_caches cannot be written (a container)."""
import json
import subprocess

import pytest

from conftest import evict_method

SUBSET = ("hardlinks,unlink-open-fstat,chdir-in-out,create-close-quiesce,"
          "rename-over-open-target,readdirplus-pinned,mkdir-rmdir-tree,"
          "unlink-open-outstanding,deep-tree,parallel-unlink-open")


def methods(fusecheck, out_dir):
    r = fusecheck("log", str(out_dir / "events.fclog"))
    return {line.split("method=")[1].split()[0]
            for line in r.stdout.splitlines() if " QUIESCE " in line}


@pytest.mark.parametrize("how,want", [("notify", "notify"),
                                      ("drop-caches", "drop_caches"),
                                      ("prune", None), ("auto", None)])
def test_quiesce_method_reaches_balance(fusecheck, tmp_path, how, want):
    """prune and auto evict by FUSE_NOTIFY_PRUNE where the kernel has it
    (None: as evict_method says), by names before."""
    r = fusecheck("run", "--quiesce", how, "--only", SUBSET)
    assert r.code == 0, r
    assert r.report["totals"]["passed"] == len(SUBSET.split(","))
    assert r.report["run"]["quiesce_method"] == (want or
                                                 evict_method(r.report))
    assert methods(fusecheck, tmp_path / "out") == {
        want or evict_method(r.report)}


@pytest.mark.parametrize("how", ["notify", "prune"])
def test_notify_quiesce_still_catches_a_leak(fusecheck, how):
    """forget-by-one leaks references: a quiesce by notification, of names
    or of nodeids, must see it."""
    r = fusecheck("run", "--quiesce", how, "--memfs-args",
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
    report = json.loads((out / "report.json").read_text())
    assert "quiesce: %s" % evict_method(report) in r.stdout
    assert "not judged" not in r.stdout
