"""What a violation says must be where it happened and said once: the
round trips between the runner, the checker and the reports (issue:
one direction of data)."""
import json


def test_wrong_ledger_assertion_is_reported_once(fusecheck, tmp_path):
    scn = tmp_path / "out5.scn"
    scn.write_text("# desc: o\n# rules: LC-OUTSTANDING\n"
                   "open f a O_CREAT|O_RDWR 0644\nstat a ino=@a\nsettle\n"
                   "outstanding @a 5\nclose f\n")
    r = fusecheck("run", str(scn))
    assert r.code == 1, r
    (s,) = r.report["scenarios"]
    assert [v["rule"] for v in s["violations"]] == ["LC-OUTSTANDING"], r


def test_failed_expectation_is_logged_where_it_failed(fusecheck):
    """free-at-unlink makes fstat fail at line 9: the violation's excerpt
    shows the GETATTR that failed, not the scenario's last lines."""
    r = fusecheck("run", "--memfs-args", "--fault=free-at-unlink", "--only",
                  "unlink-open-fstat")
    assert r.code == 1, r
    v = [v for v in r.report["scenarios"][0]["violations"]
         if v["line"] == 9][0]
    assert "expected success, got ESTALE" in v["detail"]
    assert any("GETATTR" in e and "ESTALE" in e for e in v["excerpt"]), v
    assert any("MARK line=9" in e for e in v["excerpt"]), v


def test_violations_past_the_store_are_counted(tmp_path, fusecheck):
    """100,000 violations are kept; the ones past that are counted in every
    report, never silently left out."""
    import fclog
    w = fclog.LogWriter()
    w.start("scenarios/many.scn")
    w.mark(5, 100)
    for _ in range(100005):
        w.forget(77, 1)             # LC-FORGET-EXCESS each time
    w.unmount()
    w.scenario_end(0, "scenarios/many.scn", fclog.ST_PASS)
    log = w.save(tmp_path / "many.fclog")
    junit = tmp_path / "j.xml"
    js = tmp_path / "report.json"
    r = fusecheck("replay", "--json", str(js), "--junit", str(junit),
                  str(log), timeout=300)
    assert r.code == 1, r
    rep = json.loads(js.read_text())
    assert rep["totals"]["violations"] == 100000
    assert rep["totals"]["violations_not_kept"] == 5
    assert "(and 5 not kept)" in r.stdout
    assert 'name="violations_not_kept" value="5"' in junit.read_text()


def test_event_log_is_compressed_and_readable_to_a_cut(fusecheck, tmp_path):
    r = fusecheck("run", "--only", "readdir-large-plus,hardlinks")
    assert r.code == 0, r
    log = tmp_path / "out" / "events.fclog"
    data = log.read_bytes()
    assert data[:4] == b"\x28\xb5\x2f\xfd"          # a zstd frame
    whole = fusecheck("log", str(log))
    assert whole.code == 0 and whole.stdout.count("\n") > 10000
    assert whole.stdout.splitlines()[-1].endswith(" LOG_END")
    # a log cut short by a crash reads up to the cut, then says so: a
    # cut inside a frame as damage, one between frames by the missing
    # end record
    cut = tmp_path / "cut.fclog"
    at = len(data) * 6 // 10
    cut.write_bytes(data[:at])
    part = fusecheck("log", str(cut))
    assert part.code == 2, part
    assert "damaged" in part.stderr or "cut short" in part.stderr, part
    lines = part.stdout.count("\n")
    assert 1000 < lines < whole.stdout.count("\n")
    assert whole.stdout.startswith(part.stdout)


def test_plain_log_on_request(fusecheck, tmp_path):
    r = fusecheck("run", "--plain-log", "--only", "hardlinks")
    assert r.code == 0, r
    assert (tmp_path / "out" / "events.fclog").read_bytes()[:8] == \
        b"FCLOG\0\0\2"
    assert fusecheck("replay", str(tmp_path / "out" / "events.fclog")).code \
        == 0


def test_a_flood_is_one_finding(fusecheck, tmp_path):
    # the same wrong expectation a hundred times in a loop: report.json
    # keeps every instance, the summary shows one finding with a few
    scn = tmp_path / "flood.scn"
    scn.write_text("# desc: d\n# rules: SCN-EXPECT\n# requires: write\n"
                   "create a 0644\n"
                   "repeat 100 {\n"
                   "  expect ENOENT stat a\n"
                   "}\n"
                   "expect ENOENT stat .\n")
    r = fusecheck("run", str(scn))
    assert r.code == 1, r
    (s,) = r.report["scenarios"]
    assert len(s["violations"]) == 101
    assert [(f["rule"], f["line"], f["count"]) for f in s["findings"]] == [
        ("EX-RESULT", 6, 100), ("EX-RESULT", 8, 1)]
    assert s["findings"][0]["violations"] == list(range(100))
    out = r.stdout
    assert "101 violations in 2 findings" in out
    assert "[1] EX-RESULT x100" in out and "[2] EX-RESULT  " in out
    assert "... and 97 more like it" in out
    assert out.count("also seq") == 2
    assert len(out.splitlines()) < 60, out
