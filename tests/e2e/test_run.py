"""Whole runs of `fusecheck run`: the bundled default, --fs with memfs and
with a filesystem from Debian's packages, reports, exit codes."""
import json
import os
import shutil
import subprocess
from pathlib import Path
import xml.etree.ElementTree as ET

import pytest

from conftest import evict_method


@pytest.fixture(scope="module")
def default_run(fusecheck_bin, tmp_path_factory):
    """`fusecheck run` with no arguments but --out: every bundled scenario
    on the bundled memfs.  Shared by the tests that read its output."""
    out = tmp_path_factory.mktemp("default")
    proc = subprocess.run([fusecheck_bin, "run", "--out", str(out),
                           "--junit", str(out / "junit.xml")],
                          capture_output=True, text=True, errors="replace",
                          timeout=900)
    return proc, out


def load(path):
    with open(path) as f:
        return json.load(f)


def test_default_run_passes(default_run, scenarios_dir):
    proc, out = default_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = load(out / "report.json")
    bundled = [f for f in os.listdir(scenarios_dir) if f.endswith(".scn")]
    assert len(bundled) >= 25
    assert len(report["scenarios"]) == len(bundled)
    statuses = {s["name"]: s["status"] for s in report["scenarios"]}
    assert set(statuses.values()) <= {"pass", "skip"}
    # Skips only where the installed libfuse cannot do it, with a reason.
    for s in report["scenarios"]:
        if s["status"] == "skip":
            assert s["reason"].startswith("requires "), s
    assert sum(v == "pass" for v in statuses.values()) >= 25
    # One line per scenario and a summary on stdout.
    for name in statuses:
        assert name in proc.stdout
    assert f"{len(bundled)} scenarios:" in proc.stdout


def test_default_run_metadata(default_run):
    _, out = default_run
    run = load(out / "report.json")["run"]
    assert run["kernel_release"] == os.uname().release
    assert run["libfuse_version"].startswith("3.")
    assert run["reference_fs"] is True
    # this mount's own names are evicted; the host's caches are left
    assert run["quiesce_method"] == evict_method(
        load(out / "report.json"))
    assert "refledger" in run["caps"]
    init = run["init"]
    assert init["seen"] and init["kernel"]["major"] == 7
    # The tap caps max_pages so a spliced reply stays one message.
    assert init["capped"] and init["max_pages"] <= 8
    assert os.path.getsize(out / "events.fclog") > 8


def test_default_run_junit(default_run):
    _, out = default_run
    suite = ET.parse(out / "junit.xml").getroot()
    if suite.tag == "testsuites":
        suite = suite.find("testsuite")
    assert int(suite.get("failures")) == 0
    assert int(suite.get("errors")) == 0
    assert len(suite.findall("testcase")) == int(suite.get("tests"))


def test_replay_reaches_same_verdicts(default_run, fusecheck, tmp_path):
    _, out = default_run
    r = fusecheck("replay", "--json", str(tmp_path / "replay.json"),
                  str(out / "events.fclog"))
    assert r.code == 0, r
    live = load(out / "report.json")["scenarios"]
    again = load(tmp_path / "replay.json")["scenarios"]
    assert [(s["name"], s["status"], len(s["violations"])) for s in live] == \
           [(s["name"], s["status"], len(s["violations"])) for s in again]
    # what was exercised comes from the log too
    lc = load(out / "report.json")["run"]["lookup_counts"]
    assert lc["handed_out"] > 1000 and lc["balances_judged"] > 50
    assert load(tmp_path / "replay.json")["run"]["lookup_counts"] == lc


def test_fs_memfs_binary_passes(fusecheck, memfs_bin):
    r = fusecheck("run", "--fs", f"{memfs_bin} {{mountpoint}}")
    assert r.code == 0, r
    scn = r.scenarios()
    # Without the control channel the reference-ledger statements (alive,
    # freed, fscounts) are not judged, and said so once; the scenarios
    # that use them still run, with the wire rules.
    assert scn["unlink-open-outstanding"]["status"] == "pass"
    assert scn["hardlinks"]["status"] == "pass"
    assert scn["unlink-open-read"]["status"] == "pass"
    assert r.report["run"]["reference_fs"] is False
    notes = " ".join(r.report["run"]["notes"])
    assert "no reference ledger" in notes and "were not judged" in notes


# Scenarios fuse-overlayfs keeps; the others show real deviations that
# docs/conformance.md explains (nlink of an unlinked open file stays 1;
# 255-byte names are refused with ENAMETOOLONG).
OVERLAY_OK = ["create-close-quiesce", "lookup-existing", "lookup-missing",
              "mkdir-rmdir-tree", "rename-exchange", "rename-noreplace",
              "rename-over-open-target", "unlink-open-read", "truncate",
              "readdir-large-plus", "parallel-create-one-dir", "xattrs",
              "symlink-readlink", "non-utf8-names"]


@pytest.fixture
def overlay_cmd(tmp_path):
    if not shutil.which("fuse-overlayfs"):
        pytest.fail("fuse-overlayfs is not installed (scripts/setup.sh)")
    dirs = {d: tmp_path / d for d in ("lower", "upper", "work")}
    for d in dirs.values():
        d.mkdir()
    return ("fuse-overlayfs -f -o lowerdir={lower},upperdir={upper},"
            "workdir={work} {{mountpoint}}").format(**dirs)


def test_fs_debian_fuse_overlayfs_passes(fusecheck, overlay_cmd):
    r = fusecheck("run", "--fs", overlay_cmd, "--only", ",".join(OVERLAY_OK))
    assert r.code == 0, r
    assert {s["status"] for s in r.report["scenarios"]} == {"pass"}
    assert len(r.report["scenarios"]) == len(OVERLAY_OK)


def test_fs_debian_fuse_overlayfs_deviation_is_reported(fusecheck, overlay_cmd):
    r = fusecheck("run", "--fs", overlay_cmd, "--only", "unlink-open-fstat")
    assert r.code == 1, r
    v = r.scenarios()["unlink-open-fstat"]["violations"]
    assert v and v[0]["rule"] == "EX-ATTR"
    assert "nlink expected 0, got 1" in v[0]["detail"]
    assert v[0]["scenario_file"].endswith("unlink-open-fstat.scn")
    assert v[0]["line"] > 0


def test_tap_output(fusecheck):
    r = fusecheck("run", "--tap", "--only", "truncate,tmpfile")
    assert r.code == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "TAP version 13"
    assert "1..2" in lines
    assert any(l.startswith("ok ") and "truncate" in l for l in lines)
    assert any("tmpfile" in l and "# SKIP" in l for l in lines)


def test_failed_expectation_exits_1_with_file_and_line(fusecheck, tmp_path):
    scn = tmp_path / "wrong.scn"
    scn.write_text("# desc: expects the impossible\n# rules: SCN-EXPECT\n"
                   "# requires: write\n\ncreate a 0644\nexpect ENOENT stat a\n")
    r = fusecheck("run", str(scn))
    assert r.code == 1, r
    (s,) = r.report["scenarios"]
    assert s["status"] == "fail"
    (v,) = s["violations"]
    assert v["rule"] == "EX-RESULT" and v["line"] == 6
    assert f"{scn}:6" in r.stdout


@pytest.mark.parametrize("command", ["run", "exec", "replay", "log", "lint", "diff"])
def test_help(fusecheck, command):
    r = fusecheck(command, "--help")
    assert r.code == 0
    assert r.stdout.startswith("usage: fusecheck " + command)


@pytest.mark.parametrize("value", ["5x", "0", "", "86401"])
def test_exec_timeout_must_be_a_number_in_range(fusecheck, value):
    # --timeout is a row of exec's option table, checked like every
    # number option (once read with strtol and no end check: 5x was 5)
    r = fusecheck("exec", "--timeout", value, "--", "true")
    assert r.code == 2, r
    assert "--timeout takes a number from 1 to 86400" in r.stderr


def test_command_options_mix_with_shared_ones(fusecheck_bin, tmp_path):
    # a command's own option may come after the shared ones, and an
    # unknown one is refused whatever command it follows
    out = tmp_path / "out"
    proc = subprocess.run([fusecheck_bin, "probe-leaks", "--out", str(out),
                           "--files", "2", "--bytes", "10", "--cycles",
                           "3", "--no-color"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "3 cycles of 2 files x 10 bytes" in proc.stdout
    proc = subprocess.run([fusecheck_bin, "run", "--cycles", "3"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "cycles" in proc.stderr


def test_exec_runs_a_program_through_the_tap(fusecheck):
    r = fusecheck("exec", "--", "sh", "-c",
                  "cd {dir} && mkdir d && echo hi > d/f && ln d/f d/g && "
                  "rm d/f && cat d/g && rm -r d")
    assert r.code == 0, r
    assert "hi" in r.stdout
    (s,) = r.report["scenarios"]
    assert s["status"] == "pass"


def test_exec_failing_program_is_a_failure(fusecheck):
    r = fusecheck("exec", "--", "sh", "-c", "exit 3")
    assert r.code == 1, r
    assert "exited with status 3" in r.report["scenarios"][0]["violations"][0]["detail"]


def test_meson_install_carries_profiles_and_scenarios(tmp_path):
    # an installed fusecheck finds its profiles under $datadir/fusecheck
    # (util/paths.c), so `meson install` must put every bundled one there
    from conftest import BUILD, REPO
    dest = tmp_path / "dest"
    proc = subprocess.run(["meson", "install", "-C", BUILD, "--destdir",
                           str(dest), "--no-rebuild", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    share = [p for p in dest.rglob("share/fusecheck")]
    assert len(share) == 1
    for sub, src in (("profiles", "fsmodels/profiles"),
                     ("scenarios", "scenarios")):
        want = sorted(str(p.relative_to(Path(REPO, src)))
                      for p in Path(REPO, src).rglob("*") if p.is_file())
        got = sorted(str(p.relative_to(share[0] / sub))
                     for p in (share[0] / sub).rglob("*") if p.is_file())
        assert got == want, sub
    assert list(dest.rglob("libexec/fusecheck/fusecheck-fusermount"))


def test_unstable_st_ino_is_a_property_not_a_flood(fusecheck):
    # memfs --renumber-ino numbers a node anew once the kernel forgot it,
    # as high-level libfuse without -o use_ino does: said once, as a
    # property, and identity checks across a quiesce are not judged
    only = "relookup-after-drop-caches,hardlinks,unlink-open-fstat"
    r = fusecheck("run", "--memfs-args", "--renumber-ino", "--only", only)
    assert r.code == 0, r
    run = r.report["run"]
    assert "stable-ino" not in run["caps"]
    (note,) = [n for n in run["notes"] if "st_ino is not stable" in n]
    assert int(note.split(";")[1].split()[0]) > 0, note
    # the same scenarios on memfs as it is: the property holds
    r = fusecheck("run", "--only", only)
    assert r.code == 0, r
    assert "stable-ino" in r.report["run"]["caps"]
    assert not [n for n in r.report["run"]["notes"] if "st_ino" in n]


def test_name_limit_follows_what_the_filesystem_declares(fusecheck):
    # long-names names "…"*NAME_MAX, the limit the filesystem declares in
    # statfs: a filesystem that declares 189 (as encfs does) is tested
    # with names of 189 bytes, and 190 must be refused
    r = fusecheck("run", "--memfs-args", "--namemax=189",
                  "--only", "long-names,truncate")
    assert r.code == 0, r
    scn = r.scenarios()
    assert scn["long-names"]["status"] == "pass"
    assert scn["truncate"]["status"] == "pass"
    # (a 255-byte name would have been refused: passing is the proof)
    assert "namemax-255" not in r.report["run"]["caps"]
    r = fusecheck("run", "--only", "long-names")
    assert r.code == 0, r
    assert "namemax-255" in r.report["run"]["caps"]
