"""test_interrupt_handle_mmap.py - the statements that reach the kernel
paths the plain calls never take: `interrupt` makes the kernel send
FUSE_INTERRUPT for a request the filesystem has not begun, `handle` /
`open-handle` make it ask LOOKUP "." of a nodeid it forgot, and `mmap`
keeps a file open past its last close.  Each bundled scenario passes on
the clean memfs, shows its mechanism in the event log, and catches the
memfs fault that breaks it."""
import re

import pytest

HEAD = "# desc: t\n# rules: LC-QUIESCE-BALANCE\n# requires: write\n"


def log_lines(fusecheck, out):
    r = fusecheck("log", str(out / "events.fclog"))
    assert r.code == 0, r
    return r.stdout.splitlines()


def rules_fired(r):
    return {v["rule"] for s in r.report["scenarios"] for v in s["violations"]}


def test_interrupt_reaches_the_filesystem_first(fusecheck, tmp_path):
    r = fusecheck("run", "--only", "interrupt-lookup")
    assert r.code == 0, r
    lines = log_lines(fusecheck, tmp_path / "out")
    # uniques start again on each connection: the scenario's own
    lines = lines[next(i for i, l in enumerate(lines)
                       if "SCENARIO begin" in l):]
    intr = [l for l in lines if "REQUEST INTERRUPT" in l]
    assert len(intr) == 2, intr
    for l in intr:
        # the INTERRUPT names the held LOOKUP and reaches the
        # filesystem before it (the log is in the order the filesystem
        # is given requests), and memfs answers that LOOKUP EINTR
        u = re.search(r"intr_unique=(\d+)", l).group(1)
        at = lines.index(l)
        lk = next(i for i, x in enumerate(lines)
                  if re.search(rf"REQUEST LOOKUP unique={u} ", x))
        assert at < lk, (l, lines[lk])
        assert any(re.search(rf"REPLY LOOKUP unique={u} error=-4", x)
                   for x in lines[at:]), l
    memfs_log = (tmp_path / "out" / "memfs.log").read_text()
    assert memfs_log.count("reply-failed interrupted lookup") == 2


def test_interrupt_after_the_call_is_harmless(fusecheck, tmp_path):
    """A call that ends before its timer fires is judged as usual: the
    timer is gone with it, and the next statement is not signalled."""
    scn = tmp_path / "late.scn"
    scn.write_text(HEAD + "create a 0644\ninterrupt 5000\nstat a type=reg\n"
                   "sleep 100\nexpect ENOENT stat b\nquiesce\nbalanced\n")
    r = fusecheck("run", str(scn))
    assert r.code == 0, r
    assert not [l for l in log_lines(fusecheck, tmp_path / "out")
                if "REQUEST INTERRUPT" in l]


def test_interrupt_must_arm_a_call(fusecheck, tmp_path):
    scn = tmp_path / "bad.scn"
    scn.write_text(HEAD + "interrupt 50\nquiesce\n")
    r = fusecheck("run", str(scn))
    assert r.code == 2, r
    assert ("bad.scn:5:1: 'interrupt' on line 4 must be followed by a "
            "call on the mount in its block, not quiesce") in r.stderr, r


def test_handle_reopen_asks_lookup_dot(fusecheck, tmp_path):
    r = fusecheck("run", "--only", "export-handle-reopen")
    assert r.code == 0, r
    assert "export" in r.report["run"]["caps"], r.report["run"]["caps"]
    lines = log_lines(fusecheck, tmp_path / "out")
    # the capability probe reopened a handle too: the scenario's own
    lines = lines[next(i for i, l in enumerate(lines)
                       if "SCENARIO begin" in l):]
    dots = [l for l in lines if "REQUEST LOOKUP" in l and
            re.search(r'name="\.\.?"', l)]
    # "." of the file, "." of the directory, ".." up to the root
    assert sum('name="."' in l for l in dots) == 2, dots
    assert sum('name=".."' in l for l in dots) >= 1, dots
    assert "LC-UNREFERENCED-NODEID" not in rules_fired(r)


def test_handle_skipped_without_export_support(fusecheck):
    """squashfuse_ll does not accept FUSE_EXPORT_SUPPORT, so a handle does
    not open once the kernel forgot the inode (ESTALE, its right): the
    scenario is skipped with the reason, not failed."""
    import shutil
    if not shutil.which("squashfuse_ll") or not shutil.which("mksquashfs"):
        pytest.skip("squashfuse_ll or mksquashfs missing")
    r = fusecheck("run", "--profile", "squashfuse_ll", "--only",
                  "export-handle-reopen,tree-walk")
    assert r.code == 0, r
    st = r.scenarios()["export-handle-reopen"]
    assert st["status"] == "skip", st
    assert "export" in st["reason"], st


def test_mmap_holds_the_unlinked_file(fusecheck, tmp_path):
    r = fusecheck("run", "--only", "unlink-open-mmap")
    assert r.code == 0, r
    lines = log_lines(fusecheck, tmp_path / "out")
    begin = next(i for i, l in enumerate(lines) if "SCENARIO begin" in l
                 and "unlink-open-mmap" in l)
    ops = [re.search(r"REQUEST (\w+)", l).group(1) for l in lines[begin:]
           if re.search(r"REQUEST (UNLINK|FLUSH|RELEASE|WRITE|READ) ", l)]
    # the close after the unlink flushes, the mapping reads and writes
    # back, and the release waits for munmap
    at = ops.index("UNLINK")
    assert ops[at:at + 5] == ["UNLINK", "FLUSH", "READ", "WRITE",
                              "RELEASE"], ops


def test_mread_outside_the_file_is_efault(fusecheck, tmp_path):
    """A page past the end of the file would be SIGBUS for a plain load;
    through process_vm_readv it is EFAULT, and the harness lives on."""
    scn = tmp_path / "bus.scn"
    scn.write_text(HEAD + "open f a O_CREAT|O_RDWR 0644\nwrite f \"abc\"\n"
                   "mmap m f 8192\nmread m 0 3 \"abc\"\n"
                   "expect EFAULT mread m 4096 16\nmunmap m\nclose f\n"
                   "quiesce\nbalanced\n")
    r = fusecheck("run", str(scn))
    assert r.code == 0, r


@pytest.mark.parametrize("fault,scenario,rule", [
    ("interrupted-lookup-kept", "interrupt-lookup", "LF-FS-LEDGER"),
    ("export-dot-no-ref", "export-handle-reopen", "LF-FS-LEDGER"),
    ("free-at-flush", "unlink-open-mmap", "LF-FREED-REFERENCED"),
])
def test_the_fault_each_provokes_is_caught(fusecheck, fault, scenario, rule):
    r = fusecheck("run", "--memfs-args", f"--fault={fault}",
                  "--only", scenario)
    assert r.code == 1, r
    assert rule in rules_fired(r), r


def test_handles_are_bounded(fusecheck, tmp_path):
    """A loop of `handle` statements cannot grow the harness without
    bound: past 4,096 names each further one is the scenario's failure."""
    scn = tmp_path / "many.scn"
    scn.write_text(HEAD + "create a 0644\nrepeat 4100 {\nhandle h$n a\n}\n"
                   "quiesce\nbalanced\n")
    r = fusecheck("run", str(scn))
    assert r.code == 1, r
    st = r.scenarios()["many"]
    msgs = [v.get("detail", "") for v in st["violations"]]
    assert any("more than 4096 handles" in m for m in msgs), msgs


def test_unknown_mapping_is_the_scenarios_failure(fusecheck, tmp_path):
    scn = tmp_path / "nomap.scn"
    scn.write_text(HEAD + "msync m\nmunmap m\nmread m 0 1\nquiesce\n"
                   "balanced\n")
    r = fusecheck("run", str(scn))
    assert r.code == 1, r
    msgs = [v.get("detail", "") for v in r.scenarios()["nomap"]["violations"]]
    assert len(msgs) == 3 and all("no mapping is named m" in m
                                  for m in msgs), msgs
