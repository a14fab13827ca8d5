"""What a violation says must be where it happened and said once: the
round trips between the runner, the checker and the reports (issue:
one direction of data)."""


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
