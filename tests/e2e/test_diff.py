"""`fusecheck diff` of two reports: lock-rule verdicts are verdicts; the
request mix and the metadata are context; what always differs between two
runs (their --out directories, FORGET batching) is not a difference."""
import json
import re


def _run(fusecheck, out, *extra):
    r = fusecheck("run", "--only", "readdir-large-plus,hardlinks", *extra,
                  out=str(out))
    assert r.code == 0, r
    return out / "report.json"


def test_report_has_the_request_mix(fusecheck, tmp_path):
    rep = json.loads(_run(fusecheck, tmp_path / "a").read_text())
    s = {x["name"]: x for x in rep["scenarios"]}
    big = s["readdir-large-plus"]
    assert big["requests"]["CREATE"] == 5000, big["requests"]
    assert big["requests"]["LOOKUP"] >= 5000, big["requests"]
    assert big["readdir_size_max"] >= 4096, big
    assert all(isinstance(v, int) for v in big["requests"].values())
    assert s["hardlinks"]["requests"]["LINK"] == 2, s["hardlinks"]


def test_two_plain_runs_are_the_same(fusecheck, tmp_path):
    a = _run(fusecheck, tmp_path / "a")
    b = _run(fusecheck, tmp_path / "b")
    r = fusecheck("diff", str(a), str(b))
    assert r.code == 0, r
    # the --out directories differ, and FORGET batching does: neither is
    # a difference
    assert "filesystem:" not in r.stdout, r
    assert "FORGET" not in r.stdout, r
    assert r.stdout.count("  same\n") == 3, r


def test_request_mix_change_is_context(fusecheck, tmp_path):
    a = _run(fusecheck, tmp_path / "a")
    b = _run(fusecheck, tmp_path / "b", "--memfs-args=--readdirplus-always")
    r = fusecheck("diff", str(a), str(b))
    assert r.code == 0, r
    ctx = r.stdout.split("requests (context):\n")[1].split("metadata:")[0]
    assert re.search(r"readdir-large-plus: READDIR \d+ -> 0\n", ctx), r
    assert re.search(r"readdir-large-plus: READDIRPLUS \d+ -> \d+\n", ctx), r
    assert "-READDIRPLUS_AUTO" in r.stdout, r
    assert "--readdirplus-always" in r.stdout, r


def test_lock_rule_verdict_change_is_a_verdict(fusecheck, tmp_path):
    a = _run(fusecheck, tmp_path / "a")
    rep = json.loads(a.read_text())
    row = rep["lock_rules"][0]
    row["verdict"], row["max_overlap"] = "violation", 3
    b = tmp_path / "b.json"
    b.write_text(json.dumps(rep))
    r = fusecheck("diff", str(a), str(b))
    assert r.code == 1, r
    assert f"{row['rule']}: " in r.stdout and "-> violation" in r.stdout, r
    assert "1 verdict difference" in r.stdout, r


def test_libfuse_build_is_used_and_reported(fusecheck, tmp_path):
    """--libfuse PREFIX: memfs loads that libfuse3.so.3 (a copy of the
    installed one, under another path), the report names the file the
    filesystem really mapped, and diff shows the change as metadata."""
    import glob
    import shutil
    installed = sorted(glob.glob("/usr/lib/x86_64-linux-gnu/libfuse3.so.3.*"))
    assert installed
    libdir = tmp_path / "prefix" / "lib" / "x86_64-linux-gnu"
    libdir.mkdir(parents=True)
    shutil.copy(installed[-1], libdir / "libfuse3.so.3")
    a = _run(fusecheck, tmp_path / "a")
    b = _run(fusecheck, tmp_path / "b", "--libfuse", str(tmp_path / "prefix"))
    ra, rb = (json.loads(p.read_text())["run"] for p in (a, b))
    assert ra["fs_libfuse"].startswith("/usr/lib/"), ra
    assert rb["fs_libfuse"] == str(libdir / "libfuse3.so.3"), rb
    r = fusecheck("diff", str(a), str(b))
    assert r.code == 0, r
    assert "the filesystem's libfuse: " in r.stdout, r
    r = fusecheck("run", "--libfuse", str(tmp_path / "nowhere"), "--only",
                  "hardlinks")
    assert r.code == 2, r
    assert "no libfuse3.so.3 there" in r.stderr, r


def _flaky_log(tmp_path, statuses):
    """One scenario logged once per status (as `run --repeat` logs it),
    a failed run with an excess FORGET."""
    import fclog
    w = fclog.LogWriter()
    for i, st in enumerate(statuses):
        w.start("scenarios/flip.scn", index=i)
        w.mark(3, 100)
        if st == fclog.ST_FAIL:
            w.forget(77, 1)        # LC-FORGET-EXCESS
        w.unmount()
        w.scenario_end(i, "scenarios/flip.scn", st)
    return w.save(tmp_path / "flip.fclog")


def test_repeated_runs_merge_and_name_the_flaky(fusecheck, tmp_path):
    import fclog
    log = _flaky_log(tmp_path, [fclog.ST_PASS, fclog.ST_FAIL, fclog.ST_PASS])
    js = tmp_path / "flip.json"
    r = fusecheck("replay", "--json", str(js), str(log))
    assert r.code == 1, r
    (s,) = json.loads(js.read_text())["scenarios"]
    assert s["status"] == "fail" and s["flaky"] is True, s
    assert s["runs"] == {"pass": 2, "fail": 1}, s
    assert [v["rule"] for v in s["violations"]] == ["LC-FORGET-EXCESS"], s
    assert "flaky: flip (pass 2, fail 1)" in r.stdout, r
    # against a steady report, the flaky scenario is shown apart
    steady = _flaky_log(tmp_path, [fclog.ST_PASS] * 3)
    js2 = tmp_path / "steady.json"
    assert fusecheck("replay", "--json", str(js2), str(steady)).code == 0
    r = fusecheck("diff", str(js2), str(js))
    assert r.code == 0, r
    assert "flip: flaky (before: pass 3; after: pass 2, fail 1)" in r.stdout
    assert "0 verdict differences; 1 flaky scenario, not counted" in r.stdout


def test_run_repeat_reports_each_scenario_once(fusecheck):
    r = fusecheck("run", "--repeat", "3", "--only", "hardlinks,rename-over-dir")
    assert r.code == 0, r
    rep = r.report
    assert [s["name"] for s in rep["scenarios"]] == \
        ["hardlinks", "rename-over-dir"], rep
    for s in rep["scenarios"]:
        assert s["runs"] == {"pass": 3} and s["flaky"] is False, s
    assert rep["totals"]["scenarios"] == 2
    assert r.stdout.count("PASS   hardlinks") == 3, r
