"""test_known.py - a profile's known deviations: a scenario failing only as
declared is reported as known and does not fail the run; one failing with
something undeclared still does; a declared deviation that no longer shows
is reported as gone and fails the run."""
import json

ENOENT_HELD = "unlink-open-read"   # memfs --fault=enoent-held fails it


def profile(tmp_path, memfs_bin, known, fault="--fault=enoent-held"):
    p = tmp_path / "known.profile"
    p.write_text(f"command = {memfs_bin} {fault} {{mountpoint}}\n"
                 "attach = fd\n" + known)
    return str(p)


def test_known_deviation_does_not_fail_the_run(fusecheck, tmp_path,
                                               memfs_bin):
    prof = profile(tmp_path, memfs_bin,
                   f"known = {ENOENT_HELD} EX-OPEN-FILE GETATTR of an "
                   "unlinked open file fails\n")
    r = fusecheck("run", "--profile", prof, "--tap", "--only",
                  f"{ENOENT_HELD},lookup-existing")
    assert r.code == 0, r
    scn = r.scenarios()[ENOENT_HELD]
    assert scn["status"] == "fail" and scn["violations"]
    assert scn["known"] == "GETATTR of an unlinked open file fails"
    assert r.report["totals"]["known"] == 1
    assert r.report["run"]["known_gone"] == []
    assert "# TODO known: GETATTR of an unlinked open file fails" in r.stdout


def test_undeclared_rule_still_fails(fusecheck, tmp_path, memfs_bin):
    # declared for another rule: the EX-OPEN-FILE failure is news
    prof = profile(tmp_path, memfs_bin,
                   f"known = {ENOENT_HELD} EX-ATTR something else\n")
    r = fusecheck("run", "--profile", prof, "--only", ENOENT_HELD)
    assert r.code == 1, r
    assert r.scenarios()[ENOENT_HELD]["known"] is None
    # and the declared one did not fire: gone
    assert r.report["run"]["known_gone"] == [
        f"{ENOENT_HELD} EX-ATTR (something else)"]


def test_known_deviation_gone_fails_the_run(fusecheck, tmp_path, memfs_bin):
    prof = profile(tmp_path, memfs_bin,
                   f"known = {ENOENT_HELD} EX-OPEN-FILE fixed by now\n"
                   "\tlookup-existing LC-QUIESCE-BALANCE not run here\n",
                   fault="")
    r = fusecheck("run", "--profile", prof, "--only", ENOENT_HELD)
    assert r.code == 1, r
    assert r.scenarios()[ENOENT_HELD]["status"] == "pass"
    # a scenario that did not run is not judged
    assert r.report["run"]["known_gone"] == [
        f"{ENOENT_HELD} EX-OPEN-FILE (fixed by now)"]
    assert "known deviation gone: unlink-open-read EX-OPEN-FILE (fixed " \
        "by now): the profile declares it" in r.stdout


def test_known_needs_a_rule_and_a_reason(fusecheck, tmp_path, memfs_bin):
    for bad in ("known = lookup-existing LC-NOPE why\n",
                "known = lookup-existing LC-QUIESCE-BALANCE\n"):
        prof = profile(tmp_path, memfs_bin, bad)
        r = fusecheck("run", "--profile", prof, "--only", "lookup-existing")
        assert r.code == 2, r
        assert "known.profile:3: 'known' is SCENARIO RULE WHY" in r.stderr
