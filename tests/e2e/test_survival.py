"""The harness survives any filesystem and any interruption: a filesystem
that dies, hangs or sends garbage gets a verdict (a PR-* violation, exit
1, or a broken scenario naming the cause, exit 2), never a crash; SIGINT,
SIGTERM and SIGKILL of fusecheck leave no mount and no process; bad input
is exit 2 with a message naming what is wrong.  The autouse
no_leftovers fixture (conftest.py) checks every test leaves no FUSE mount
and no mountpoint directory."""
import glob
import os
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
RAWFS = os.path.join(HERE, "fs", "rawfs.py")
PY = "/usr/bin/python3"


def rawfs(*opts):
    return " ".join([PY, RAWFS] + list(opts) + ["{mountpoint}"])


def scenario(tmp_path, name, body):
    """A scenario file; its name must not be a name rawfs reacts to (the
    working directory is named after it)."""
    p = tmp_path / ("%s.scn" % name)
    p.write_text("# desc: %s\n# rules: SCN-EXPECT\n\n%s\n" % (name, body))
    return str(p)


def rules_of(scn):
    return [v["rule"] for v in scn["violations"]]


# --- 1. the filesystem dies ---------------------------------------------

@pytest.mark.parametrize("how,cause", [
    ("kill", "killed by signal 9"),
    ("abort", "killed by signal 6"),
    ("exit", "exited with status 3"),
])
def test_filesystem_dies(fusecheck, tmp_path, how, cause):
    first = scenario(tmp_path, "a-dies", "mkdir d 0755\nstat d/victim")
    second = scenario(tmp_path, "b-after", "mkdir d 0755\nstat d")
    r = fusecheck("run", "--request-timeout", "3", "--fs",
                  rawfs("--die", "victim:" + how), first, second,
                  timeout=120)
    assert r.code == 2, r
    scn = r.scenarios()
    why = scn["a-dies"]["reason"]
    assert scn["a-dies"]["status"] == "broken"
    assert "filesystem ended" in why and cause in why
    # the request it left unanswered, with where it came from
    assert "LOOKUP" in why and "victim" in why and "scenario line 5" in why
    # the crash is also a finding, at the line of the request it left
    (v,) = [v for v in scn["a-dies"]["violations"]
            if v["rule"] == "PR-FS-DIED"]
    assert v["line"] == 5 and cause in v["detail"], v
    assert "LOOKUP" in v["detail"] and "victim" in v["detail"]
    # the next scenario runs on a fresh mount
    assert scn["b-after"]["status"] == "pass", r


def test_filesystem_dies_in_the_probe(fusecheck, tmp_path):
    # the probe's first call makes its directory: the filesystem dies on
    # that LOOKUP.  The crash is a finding outside any scenario and the
    # run goes on (here the filesystem dies again in every scenario
    # that makes the name; the others run)
    first = scenario(tmp_path, "a-plain", "stat .")
    r = fusecheck("run", "--request-timeout", "3", "--fs",
                  rawfs("--die", ".fusecheck-probe:kill"), first,
                  timeout=120)
    scn = r.scenarios()
    assert scn["a-plain"]["status"] == "pass", r
    outside = [s for s in r.report["scenarios"] if not s["file"]]
    (v,) = [v for s in outside for v in s["violations"]]
    assert v["rule"] == "PR-FS-DIED", v
    assert "during the capability probe" in v["detail"]
    assert "killed by signal 9" in v["detail"] and "LOOKUP" in v["detail"]
    assert r.code == 1, r


# --- 2. the filesystem hangs --------------------------------------------

def _d_state_tids(pid):
    out = []
    for stat in glob.glob("/proc/%d/task/*/stat" % pid):
        try:
            with open(stat) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state == "D":
            out.append(stat)
    return out


@pytest.mark.parametrize("opt", ["--hang", "--stop"],
                         ids=["never-answers", "sigstopped"])
def test_filesystem_hangs(fusecheck_bin, tmp_path, opt):
    scn = scenario(tmp_path, "waits", "mkdir d 0755\nstat d/sleepy")
    out = tmp_path / "out"
    t0 = time.monotonic()
    p = subprocess.Popen([fusecheck_bin, "run", "--out", str(out),
                          "--request-timeout", "3", "--fs",
                          rawfs(opt, "sleepy"), scn],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    d_since = {}
    while p.poll() is None:
        now = time.monotonic()
        d = set(_d_state_tids(p.pid))
        d_since = {t: d_since.get(t, now) for t in d}
        # blocked syscalls return once the connection is aborted
        assert all(now - t < 5 for t in d_since.values()), d_since
        assert now - t0 < 30, "fusecheck did not end a hung filesystem"
        time.sleep(0.1)
    stdout, stderr = p.communicate()
    assert p.returncode == 2, stdout + stderr
    import json
    rep = json.loads((out / "report.json").read_text())
    s = {x["name"]: x for x in rep["scenarios"]}["waits"]
    assert s["status"] == "broken"
    assert s["reason"].startswith("request timeout:"), s["reason"]
    for part in ("LOOKUP", "nodeid=", "sleepy", "scenario line 5"):
        assert part in s["reason"], s["reason"]


def test_scenario_timeout_without_request_timeout(fusecheck, tmp_path):
    """--request-timeout 0: the scenario's own timeout (+10 s) ends it."""
    p = tmp_path / "slow.scn"
    p.write_text("# desc: slow\n# rules: SCN-EXPECT\n# timeout: 1\n\n"
                 "mkdir d 0755\nstat d/sleepy\n")
    r = fusecheck("run", "--request-timeout", "0", "--fs",
                  rawfs("--hang", "sleepy"), str(p), timeout=60)
    assert r.code == 2, r
    s = r.scenarios()["slow"]
    assert s["status"] == "broken"
    assert "timed out" in s["reason"] or "timeout" in s["reason"], s


# --- 3. garbage on the wire ---------------------------------------------

LOOKUP_SCN = "expect ENOENT stat garbage"
GARBAGE = [
    # kind, scenario body, exit, rule of the violation (None: none),
    # words the broken reason must contain (None: not broken)
    ("length", LOOKUP_SCN, 2, "PR-REPLY-LENGTH", "PR-REPLY-LENGTH"),
    ("oversize", LOOKUP_SCN, 2, None, "larger than any reply"),
    # an empty message is garbage, not "it closed its connection"
    ("empty", LOOKUP_SCN, 2, None, "0-byte message"),
    ("unknown-unique", LOOKUP_SCN, 1, "PR-UNKNOWN-UNIQUE", None),
    ("duplicate-unique", LOOKUP_SCN, 1, "PR-UNKNOWN-UNIQUE", None),
    ("error-minus", LOOKUP_SCN, 1, "PR-REPLY-ERROR", None),
    ("error-plus", LOOKUP_SCN, 1, "PR-REPLY-ERROR", None),
    ("entry-nodeid0", "expect EIO mkdir garbage 0755", 1,
     "PR-ENTRY-NODEID", None),
    ("dirent-truncated", "mkdir garbage 0755\nreaddir garbage", 1,
     "PR-DIRENT", None),
    ("dirent-namelen", "mkdir garbage 0755\nexpect EIO readdir garbage", 1,
     "PR-DIRENT", None),
    ("dirent-slash", "mkdir garbage 0755\nexpect EIO readdir garbage", 1,
     "PR-DIRENT", None),
    ("dirent-nul", "mkdir garbage 0755\nreaddir garbage", 1,
     "PR-DIRENT", None),
    ("init-short", LOOKUP_SCN, 1, "PR-INIT-SIZE", None),
]


@pytest.mark.parametrize("kind,body,code,rule,broken", GARBAGE,
                         ids=[g[0] for g in GARBAGE])
def test_garbage_is_a_verdict(fusecheck, tmp_path, kind, body, code, rule,
                              broken):
    scn = scenario(tmp_path, "wire", body)
    after = scenario(tmp_path, "wire-after", "mkdir d 0755")
    r = fusecheck("run", "--request-timeout", "3", "--fs",
                  rawfs("--garbage", kind), scn, after, timeout=120)
    assert r.code == code, r
    assert "AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr
    s = r.scenarios()["wire"]
    if rule:
        assert rule in rules_of(s), r
        # nothing else was blamed on the filesystem
        assert set(rules_of(s)) == {rule}, r
    if broken:
        assert s["status"] == "broken" and broken in s["reason"], r
    else:
        assert s["status"] == "fail", r
    if kind != "init-short":
        assert r.scenarios()["wire-after"]["status"] == "pass", r


# --- 4. fusecheck is interrupted ----------------------------------------

def _children(pid):
    kids = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.split("/")[2]))
    return kids


def _start_hung_run(fusecheck_bin, tmp_path):
    """A run whose second scenario waits on a request that is never
    answered; returns (process, pid of the filesystem, out dir)."""
    first = scenario(tmp_path, "a-quick", "mkdir d 0755")
    hung = scenario(tmp_path, "b-hung", "mkdir d 0755\nstat d/sleepy")
    never = scenario(tmp_path, "c-never", "mkdir d 0755")
    out = tmp_path / "out"
    p = subprocess.Popen([fusecheck_bin, "run", "--out", str(out),
                          "--request-timeout", "60", "--fs",
                          rawfs("--hang", "sleepy"), first, hung, never],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        log = out / "fs.log"
        if log.exists() and "=== b-hung" in log.read_text():
            kids = _children(p.pid)
            if kids:
                time.sleep(0.5)     # let it reach the LOOKUP
                return p, kids[0], out
        time.sleep(0.05)
    p.kill()
    pytest.fail("the run never reached the hung scenario")


def _gone(pid, within=10):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not os.path.exists("/proc/%d" % pid):
            return True
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM],
                         ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_reports_and_cleans_up(fusecheck_bin, tmp_path, sig):
    import json
    p, fs_pid, out = _start_hung_run(fusecheck_bin, tmp_path)
    p.send_signal(sig)
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 2, stdout + stderr
    assert _gone(fs_pid), "the filesystem outlived the run"
    rep = json.loads((out / "report.json").read_text())
    s = {x["name"]: x for x in rep["scenarios"]}
    assert s["a-quick"]["status"] == "pass"
    name = signal.Signals(sig).name
    assert s["b-hung"]["status"] == "broken"
    assert s["b-hung"]["reason"].startswith("interrupted by " + name)
    assert "c-never" not in s
    broken = rep["run"]["broken"] if "run" in rep else rep.get("broken")
    assert "interrupted by %s: 1 of 3 scenarios not run" % name in \
        (broken or ""), rep
    # no_leftovers: no mount, and the mountpoint directory is gone


def test_sigkill_leaves_no_mount_and_no_process(fusecheck_bin, tmp_path):
    p, fs_pid, out = _start_hung_run(fusecheck_bin, tmp_path)
    p.kill()
    p.communicate(timeout=30)
    # PR_SET_PDEATHSIG: the filesystem dies with its parent
    assert _gone(fs_pid), "the filesystem outlived a SIGKILLed fusecheck"
    assert all(_gone(k) for k in _children(p.pid))
    # the mount lived only in fusecheck's private namespace; the empty
    # mountpoint directory stays behind (docs/architecture.md says so)
    left = glob.glob(os.path.join(os.environ["TMPDIR"], "fusecheck.*"))
    for d in left:
        assert os.listdir(d) == []
        os.rmdir(d)


# --- 5. bad input ---------------------------------------------------------

BAD_INPUT = [
    ("missing-scenario-file", ["/nonexistent/x.scn"], "/nonexistent/x.scn"),
    ("directory-without-scenarios", ["{empty}"], "no scenario files"),
    ("only-names-nothing", ["--only", "no-such-scenario"],
     "no-such-scenario"),
    ("max-pages-out-of-range", ["--max-pages", "0"], "--max-pages"),
    ("max-pages-not-a-number", ["--max-pages", "lots"], "'lots'"),
    ("request-timeout-negative", ["--request-timeout", "-1"],
     "--request-timeout"),
    ("settle-ms-too-large", ["--settle-ms", "99999999"], "--settle-ms"),
    ("relay-spin-us-too-large", ["--relay-spin-us", "200000"],
     "--relay-spin-us"),
    ("fs-pidns-unknown", ["--fs-pidns", "guest"], "--fs-pidns"),
    ("fs-without-mountpoint", ["--fs", "/bin/true"], "{mountpoint}"),
    ("fs-unbalanced-quote", ["--fs", "'/bin/true {mountpoint}"],
     "cannot split"),
    ("attach-unknown", ["--attach", "carrier-pigeon"], "carrier-pigeon"),
    ("out-is-a-file", ["--fs", rawfs(), "--out", "{file}"], "{file}"),
]


@pytest.mark.parametrize("args,says", [b[1:] for b in BAD_INPUT],
                         ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_exit_2(fusecheck, tmp_path, args, says):
    empty = tmp_path / "empty"
    empty.mkdir()
    afile = tmp_path / "afile"
    afile.write_text("x")
    subst = {"{empty}": str(empty), "{file}": str(afile)}
    args = [subst.get(a, a) for a in args]
    says = subst.get(says, says)
    out = None if "--out" in args else str(tmp_path / "out")
    r = fusecheck("run", *args, out=out, timeout=60)
    assert r.code == 2, r
    assert says in r.stderr, r
    assert not os.path.exists(os.path.join(str(tmp_path / "out"),
                                           "events.fclog"))


def test_filesystem_crash_at_unmount_is_a_finding(fusecheck, memfs_bin):
    # no request waits at unmount, so the watchdog sees no death: the
    # exit status says it, in the report and as a finding
    crasher = os.path.join(HERE, "fs", "abort_after.py")
    r = fusecheck("run", "--only", "truncate", "--fs",
                  f"/usr/bin/python3 {crasher} {memfs_bin} {{mountpoint}}")
    assert r.code == 1, r
    scn = r.scenarios()["truncate"]
    assert scn["fs_exit"].startswith("killed by signal 6"), scn
    (v,) = scn["violations"]
    assert v["rule"] == "PR-FS-DIED" and "at unmount" in v["detail"]
    assert "truncate: the filesystem at unmount: killed by signal 6" \
        in r.stdout


def test_filesystem_exit_at_unmount_is_reported(fusecheck, memfs_bin):
    r = fusecheck("run", "--only", "truncate")
    assert r.code == 0, r
    assert r.scenarios()["truncate"]["fs_exit"].startswith("exited with")
    r = fusecheck("run", "--only", "truncate", "--fs",
                  rawfs("--ignore-eof"))
    fs_exit = r.scenarios()["truncate"]["fs_exit"]
    assert fs_exit.startswith("ended by fusecheck"), r
    assert "the filesystem at unmount: ended by fusecheck" in r.stdout
