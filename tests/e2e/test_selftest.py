"""test_selftest.py - `fusecheck selftest` and `fusecheck probe-leaks`:
every planted memfs fault is caught by the rule its table row names, a
broken expectation is reported as a known breakage that vanished, and the
leak probe is silent on memfs and fires on forget-by-one."""
import json
import os
import subprocess


def selftest(fusecheck_bin, out, *args, timeout=600):
    proc = subprocess.run([fusecheck_bin, "selftest", "--out", str(out)]
                          + list(args), capture_output=True, text=True,
                          errors="replace", timeout=timeout)
    doc = None
    path = os.path.join(str(out), "selftest.json")
    if os.path.exists(path):
        with open(path) as f:
            doc = json.load(f)
    return proc, doc


def fault_table(memfs_bin):
    out = subprocess.run([memfs_bin, "--list-faults"], capture_output=True,
                         text=True, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    assert rows and all(len(r) == 6 for r in rows), out
    return {r[0]: r for r in rows}


def test_list_faults_is_machine_readable(memfs_bin):
    rows = fault_table(memfs_bin)
    for name in ("link-no-ref", "create-no-ref", "readdirplus-no-ref",
                 "readdirplus-dot-ref", "forget-by-one",
                 "batch-forget-ignored", "free-at-unlink",
                 "free-at-rename-over", "reuse-nodeid", "reuse-nodeid-type",
                 "forget-reply", "root-forgettable", "enoent-held",
                 "nlookup-underflow-abort"):
        assert name in rows
    for name, expect, _cls, _desc, scns, _with in rows.values():
        assert expect.split(":")[0] in ("broken", "xfail") or \
            expect.count("-") >= 1, (name, expect)
        if not expect.startswith("xfail:"):
            assert scns, name


def test_selftest_catches_every_fault(fusecheck_bin, memfs_bin, tmp_path):
    proc, doc = selftest(fusecheck_bin, tmp_path / "self")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = fault_table(memfs_bin)
    n = sum(1 for r in rows.values() if not r[1].startswith("xfail:"))
    assert f"detection score: {n}/{n}" in proc.stdout
    assert "MISSED" not in proc.stdout
    assert "detection lost" not in proc.stderr
    assert doc["score"] == {"caught": n, "total": n}
    assert doc["clean"]["violations"] == 0 and doc["clean"]["exit_code"] == 0
    assert doc["leak_probe"]["clean"]["leaked"] is False
    assert doc["leak_probe"]["forget_by_one"]["leaked"] is True
    by_name = {f["name"]: f for f in doc["faults"]}
    for name, row in rows.items():
        f = by_name[name]
        if row[1].startswith("xfail:"):
            assert f["status"] == "xfail"
        elif row[1].startswith("broken:"):
            assert f["status"] == "caught" and row[1][7:] in f["broken"]
        else:
            assert f["status"] == "caught" and row[1] in f["fired"]


def test_selftest_known_breakage_vanished(fusecheck_bin, tmp_path):
    """free-at-rename-over run over a scenario that renames nothing over an
    open file cannot be caught: the selftest must say so and fail."""
    proc, doc = selftest(
        fusecheck_bin, tmp_path / "self", "--only", "free-at-rename-over",
        "--expect-override",
        "free-at-rename-over=EX-OPEN-FILE@lookup-existing")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "detection lost: fault 'free-at-rename-over' was not " \
        "caught by rule EX-OPEN-FILE" in proc.stderr
    assert "MISSED  free-at-rename-over" in proc.stdout
    assert "detection score: 0/1" in proc.stdout
    assert doc["score"] == {"caught": 0, "total": 1}
    assert [f["status"] for f in doc["faults"]] == ["missed"]
    # the clean control ran over the same (overridden) scenario
    assert doc["clean"]["scenarios"] == "lookup-existing"
    assert doc["clean"]["violations"] == 0


def test_selftest_wrong_rule_is_missed(fusecheck_bin, tmp_path):
    """A fault caught, but by another rule than expected, is missed."""
    proc, doc = selftest(fusecheck_bin, tmp_path / "self", "--only",
                         "forget-reply", "--expect-override",
                         "forget-reply=LC-NODEID-REUSE")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "fired: LC-FORGET-REPLY" in proc.stdout
    assert "not caught by rule LC-NODEID-REUSE" in proc.stderr


def test_selftest_bad_input(fusecheck_bin, tmp_path):
    proc, _ = selftest(fusecheck_bin, tmp_path / "self", "--only",
                       "no-such-fault")
    assert proc.returncode == 2
    assert "'no-such-fault'" in proc.stderr
    proc, _ = selftest(fusecheck_bin, tmp_path / "self",
                       "--expect-override", "nonsense")
    assert proc.returncode == 2


def probe(fusecheck_bin, out, *args):
    proc = subprocess.run([fusecheck_bin, "probe-leaks", "--no-color",
                           "--out", str(out)] + list(args),
                          capture_output=True, text=True, errors="replace",
                          timeout=300)
    with open(os.path.join(str(out), "leak.json")) as f:
        return proc, json.load(f)


def test_leak_probe_silent_on_memfs(fusecheck_bin, tmp_path):
    proc, leak = probe(fusecheck_bin, tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert leak["judged"] and not leak["leaked"]
    assert len(leak["samples"]) == leak["cycles"] == 8
    assert leak["rss_bytes_per_cycle"] < leak["rss_limit_bytes"]
    assert "LF-LEAK-PROBE" not in proc.stdout


def test_leak_probe_fires_on_forget_by_one(fusecheck_bin, tmp_path):
    proc, leak = probe(fusecheck_bin, tmp_path / "out", "--cycles", "5",
                       "--memfs-args", "--fault=forget-by-one")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert leak["judged"] and leak["leaked"]
    # the leaked inodes keep the data written: about files * bytes a cycle
    assert leak["rss_bytes_per_cycle"] > 0.75 * 64 * 65536
    with open(tmp_path / "out" / "report.json") as f:
        rules = {v["rule"] for s in json.load(f)["scenarios"]
                 for v in s["violations"]}
    assert "LF-LEAK-PROBE" in rules


def test_leak_probe_bad_option(fusecheck_bin, tmp_path):
    proc = subprocess.run([fusecheck_bin, "probe-leaks", "--cycles", "1"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "--cycles" in proc.stderr
