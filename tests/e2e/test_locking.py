"""test_locking.py - the lock rules (LK-*) end to end.

Crafted logs (fclog.py) through `fusecheck replay`: each rule fires on an
overlap the kernel forbids, names both requests, and stays silent on the
same traffic serialised.  Real runs: the bundled lock scenarios pass on
memfs with every lock rule non-vacuous, the memfs variants (writeback on,
parallel dirops off) run, and --timeline draws one SVG per scenario.
"""

import json
import os
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

from fclog import (CREATE, CREATE_IN, LOOKUP, MKDIR, MKDIR_IN, OPEN, OPEN_IN,
                   READDIR, READ_IN, RENAME, RENAME_IN, S_IFDIR, S_IFREG,
                   UNLINK, WRITE, LogWriter, open_out)

SCN = "scenarios/crafted.scn"
FUSE_ASYNC_DIO = 1 << 15
FUSE_WRITEBACK_CACHE = 1 << 16
FUSE_PARALLEL_DIROPS = 1 << 18
BASE_FLAGS = (1 << 0) | (1 << 13) | (1 << 22) | (1 << 30)
# struct fuse_write_in: fh offset size write_flags lock_owner flags padding
WRITE_IN = struct.Struct("<QQIIQII")
LOCK_RULES = ["LK-PARENT-EXCL", "LK-LOOKUP-SHARED", "LK-READDIR-SHARED",
              "LK-DIROPS-SERIAL", "LK-WRITE-INODE"]


def opening(w, flags=0):
    w.scenario_begin(0, SCN)
    w.mount()
    r = w.init_request()
    w.init_reply(r.unique, flags=BASE_FLAGS | flags)


def mkdir_rq(w, parent, name):
    return w.request(MKDIR, parent, MKDIR_IN.pack(S_IFDIR | 0o755, 0),
                     [name], pid=100)


def create_rq(w, parent, name):
    return w.request(CREATE, parent, CREATE_IN.pack(0o101, S_IFREG | 0o644,
                                                    0, 0), [name], pid=101)


def write_rq(w, nodeid, fh, write_flags=0, flags=0o1):
    return w.request(WRITE, nodeid, WRITE_IN.pack(fh, 0, 4, write_flags, 0,
                                                  flags, 0) + b"abcd",
                     pid=102)


def open_fh(w, nodeid, fh):
    r = w.request(OPEN, nodeid, OPEN_IN.pack(0o1, 0), pid=102)
    w.reply(r.unique, 0, open_out(fh))


def readdir_rq(w, nodeid):
    return w.request(READDIR, nodeid, READ_IN.pack(3, 0, 4096, 0, 0, 0, 0),
                     pid=103)


# Each case: (rule, INIT flags, build(w, overlap)) -- with overlap the
# second request arrives before the first is answered, without it after.
def case_parent_excl(w, overlap):
    a = mkdir_rq(w, 1, "a")
    if not overlap:
        w.entry_reply(a.unique, 2, S_IFDIR | 0o755)
    b = create_rq(w, 1, "b")
    if overlap:
        w.entry_reply(a.unique, 2, S_IFDIR | 0o755)
    w.reply(b.unique, -17)


def case_rename_parents(w, overlap):
    w.mkdir(1, "seven", 7)
    a = w.request(RENAME, 1, RENAME_IN.pack(7), ["x", "y"], pid=100)
    if not overlap:
        w.reply(a.unique, -2)
    b = mkdir_rq(w, 7, "z")
    if overlap:
        w.reply(a.unique, -2)
    w.reply(b.unique, -17)


def case_lookup_shared(w, overlap):
    a = w.request(UNLINK, 1, b"", ["gone"], pid=100)
    if not overlap:
        w.reply(a.unique, -2)
    b = w.request(LOOKUP, 1, b"", ["other"], pid=101)
    if overlap:
        w.reply(a.unique, -2)
    w.reply(b.unique, -2)


def case_readdir_shared(w, overlap):
    a = readdir_rq(w, 1)
    if not overlap:
        w.reply(a.unique, 0)
    b = mkdir_rq(w, 1, "n")
    if overlap:
        w.reply(a.unique, 0)
    w.reply(b.unique, -17)


def case_dirops_serial(w, overlap):
    a = w.request(LOOKUP, 1, b"", ["m1"], pid=100)
    if not overlap:
        w.reply(a.unique, -2)
    b = readdir_rq(w, 1)
    if overlap:
        w.reply(a.unique, -2)
    w.reply(b.unique, 0)


def case_write_inode(w, overlap):
    open_fh(w, 1, 70)
    a = write_rq(w, 1, 70)
    if not overlap:
        w.reply(a.unique, 0, struct.pack("<II", 4, 0))
    b = write_rq(w, 1, 70)
    if overlap:
        w.reply(a.unique, 0, struct.pack("<II", 4, 0))
    w.reply(b.unique, 0, struct.pack("<II", 4, 0))


CASES = [
    ("LK-PARENT-EXCL", FUSE_PARALLEL_DIROPS, case_parent_excl),
    ("LK-PARENT-EXCL", FUSE_PARALLEL_DIROPS, case_rename_parents),
    ("LK-LOOKUP-SHARED", FUSE_PARALLEL_DIROPS, case_lookup_shared),
    ("LK-READDIR-SHARED", FUSE_PARALLEL_DIROPS, case_readdir_shared),
    ("LK-DIROPS-SERIAL", 0, case_dirops_serial),
    ("LK-WRITE-INODE", FUSE_ASYNC_DIO, case_write_inode),
]


def replay(fusecheck_bin, tmp_path, w):
    log = tmp_path / "crafted.fclog"
    w.save(str(log))
    js = tmp_path / "report.json"
    proc = subprocess.run([fusecheck_bin, "replay", "--json", str(js),
                           "--no-color", str(log)], capture_output=True,
                          text=True, errors="replace", timeout=60)
    report = json.loads(js.read_text()) if js.exists() else None
    return proc, report


def lock_violations(report):
    return [v for s in report["scenarios"] for v in s["violations"]
            if v["rule"].startswith("LK-")]


@pytest.mark.parametrize("overlap", [True, False],
                         ids=["overlap-fires", "serialised-silent"])
@pytest.mark.parametrize("rule,flags,build", CASES,
                         ids=[c[2].__name__[5:] for c in CASES])
def test_rule_through_replay(fusecheck_bin, tmp_path, rule, flags, build,
                             overlap):
    w = LogWriter()
    opening(w, flags)
    build(w, overlap)
    w.unmount()
    w.scenario_end(0, SCN)
    proc, report = replay(fusecheck_bin, tmp_path, w)
    assert report is not None, proc.stderr
    got = lock_violations(report)
    if not overlap:
        assert proc.returncode == 0, proc.stdout
        assert got == []
        return
    assert proc.returncode == 1, proc.stdout
    assert [v["rule"] for v in got] == [rule]
    v = got[0]
    # both requests named: the newcomer's seq and the one in flight
    assert v["seq_ref"] and v["seq_ref"] < v["seq"]
    assert "seq %d" % v["seq_ref"] in v["detail"]
    row = {r["rule"]: r for r in report["lock_rules"]}[rule]
    assert row["verdict"] == "violation" and row["violations"] == 1
    assert rule in proc.stdout


def test_writeback_makes_write_rule_not_applicable(fusecheck_bin,
                                                   tmp_path):
    w = LogWriter()
    opening(w, FUSE_WRITEBACK_CACHE)
    case_write_inode(w, True)
    w.unmount()
    w.scenario_end(0, SCN)
    proc, report = replay(fusecheck_bin, tmp_path, w)
    assert proc.returncode == 0, proc.stdout
    row = {r["rule"]: r for r in report["lock_rules"]}["LK-WRITE-INODE"]
    assert row["verdict"] == "n/a"


LOCK_SCENARIOS = ["lock-dirops-one-dir", "lock-lookup-while-create",
                  "lock-readdir-while-lookup", "lock-write-one-file",
                  "lock-write-odirect", "lock-writeback",
                  "lock-no-parallel-dirops"]


@pytest.fixture(scope="module")
def lock_run(fusecheck_bin, tmp_path_factory):
    """One real run of every lock scenario on memfs, with timelines."""
    out = tmp_path_factory.mktemp("lockrun")
    tmpdir = out / "tmp"
    tmpdir.mkdir()
    env = dict(os.environ, TMPDIR=str(tmpdir))
    proc = subprocess.run([fusecheck_bin, "run", "--out", str(out / "o"),
                           "--timeline", str(out / "tl"), "--only",
                           ",".join(LOCK_SCENARIOS)],
                          capture_output=True, text=True, errors="replace",
                          timeout=600, env=env)
    with open(out / "o" / "report.json") as f:
        report = json.load(f)
    return proc, report, out


def test_lock_scenarios_pass_non_vacuous(lock_run):
    proc, report, _ = lock_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["rule"]: r for r in report["lock_rules"]}
    assert sorted(rows) == sorted(LOCK_RULES)
    for rule in LOCK_RULES:
        assert rows[rule]["verdict"] == "pass", rows[rule]
        assert rows[rule]["max_overlap"] >= 2
    assert "lock rules" in proc.stdout


def test_positive_control_overlaps(lock_run):
    """Exclusive operations spread over eight directories are seen in
    flight together: without that, a pass in one directory means
    nothing."""
    _, report, _ = lock_run
    scn = {s["name"]: s for s in report["scenarios"]}
    rows = {r["rule"]: r for r in scn["lock-dirops-one-dir"]["lock_rules"]}
    assert rows["LK-PARENT-EXCL"]["max_overlap"] >= 2


@pytest.mark.parametrize("name,rule,verdict", [
    ("lock-writeback", "LK-WRITE-INODE", "n/a"),
    ("lock-write-one-file", "LK-WRITE-INODE", "pass"),
    ("lock-no-parallel-dirops", "LK-DIROPS-SERIAL", "pass"),
], ids=["writeback-on", "writeback-off", "parallel-dirops-off"])
def test_memfs_variants(lock_run, name, rule, verdict):
    _, report, _ = lock_run
    scn = {s["name"]: s for s in report["scenarios"]}[name]
    assert scn["status"] == "pass"
    rows = {r["rule"]: r for r in scn["lock_rules"]}
    assert rows[rule]["verdict"] == verdict, rows[rule]


def test_odirect_writes_are_exempt_with_async_dio(lock_run):
    _, report, _ = lock_run
    scn = {s["name"]: s for s in report["scenarios"]}["lock-write-odirect"]
    init = report["run"]["init"]
    accepted = init.get("fs", {}).get("flags", [])
    if "ASYNC_DIO" not in accepted:
        pytest.skip("ASYNC_DIO not negotiated: O_DIRECT writes are judged")
    row = {r["rule"]: r for r in scn["lock_rules"]}["LK-WRITE-INODE"]
    assert row["exempt"] > 0


def test_timeline_one_svg_per_scenario(lock_run):
    _, report, out = lock_run
    files = sorted(os.listdir(out / "tl"))
    assert len(files) == len(report["scenarios"])
    assert all(f.endswith(".svg") for f in files)
    svg = (out / "tl" / files[0]).read_text()
    assert svg.startswith("<?xml") and svg.rstrip().endswith("</svg>")
    assert "lock timeline" in svg and "<rect" in svg
    # well-formed SVG: one <g> (title + bar) per request drawn, as many as
    # the caption counts
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.fromstring(svg)
    caption = [t.text for t in root.iter(ns + "text")
               if t.text and "requests that take" in t.text][0]
    bars = list(root.iter(ns + "g"))
    assert int(caption.split()[0]) == len(bars) > 0
    assert all(g.find(ns + "title") is not None for g in bars)


def test_parallel_dirops_on_through_init_set(fusecheck):
    """libfuse 3.14 never sends PARALLEL_DIROPS; --init-set makes the tap
    add it.  Then LOOKUP/READDIR serialisation no longer applies (n/a) and
    lookups in one directory must be seen overlapping (positive control),
    while the shared-lock rule still holds."""
    r = fusecheck("run", "--init-set", "PARALLEL_DIROPS",
                  "--only", "lock-lookup-while-create")
    assert r.code == 0, r
    assert "PARALLEL_DIROPS" in r.report["run"]["init"]["fs"]["flags"]
    assert any("--init-set" in n for n in r.report["run"]["notes"])
    rows = {x["rule"]: x for x in r.report["lock_rules"]}
    assert rows["LK-DIROPS-SERIAL"]["verdict"] == "n/a"
    assert rows["LK-LOOKUP-SHARED"]["verdict"] == "pass"
    assert rows["LK-LOOKUP-SHARED"]["max_overlap"] >= 2


def test_init_set_rejects_unknown_flag(fusecheck):
    r = fusecheck("run", "--init-set", "NO_SUCH_FLAG")
    assert r.code == 2
    assert "NO_SUCH_FLAG" in r.stderr
