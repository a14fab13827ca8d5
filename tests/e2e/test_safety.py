"""Safety and survival: no filesystem can hang, flood or outlive
fusecheck, a connection that never came up is not a pass, reports are
never lost silently, and the harness's own trouble is never blamed on the
filesystem (docs/security.md)."""
import glob
import json
import os
import resource
import signal
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
RAWFS = os.path.join(HERE, "fs", "rawfs.py")
PY = "/usr/bin/python3"
MEM_BOUND = 256 << 20   # docs/security.md: peak RSS under hostile input


def rawfs(*opts):
    return " ".join([PY, RAWFS] + list(opts) + ["{mountpoint}"])


def scenario(tmp_path, name, body, rules="SCN-EXPECT"):
    p = tmp_path / ("%s.scn" % name)
    p.write_text("# desc: %s\n# rules: %s\n\n%s\n" % (name, rules, body))
    return str(p)


def processes_with(marker):
    """pids whose command line contains marker."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(d))
        except OSError:
            pass
    return found


def wait_gone(marker, within=10):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not processes_with(marker):
            return True
        time.sleep(0.1)
    return False


def peak_rss_of(cmd, **kw):
    """Run cmd in a child that reports its own peak RSS; returns
    (returncode, stdout, stderr, peak bytes)."""
    code = ("import resource,subprocess,sys,json;"
            "p=subprocess.run(json.loads(sys.argv[1]),capture_output=True,"
            "text=True,errors='replace');"
            "print(json.dumps([p.returncode,p.stdout[-4000:],p.stderr[-4000:],"
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")
    out = subprocess.run([PY, "-c", code, json.dumps(cmd)],
                         capture_output=True, text=True, **kw)
    rc, so, se, kb = json.loads(out.stdout)
    return rc, so, se, kb * 1024


# --- 3. a connection that never came up is not a pass --------------------

@pytest.mark.parametrize("how,says", [
    ("error", "refused INIT: it answered error -71"),
    ("major6", "protocol major version 6"),
])
def test_refused_init_is_broken(fusecheck, how, says):
    r = fusecheck("run", "--fs", rawfs("--init", how), timeout=120)
    assert r.code == 2, r
    assert says in r.stdout + r.stderr, r
    assert says in r.report["run"]["broken"]


def test_nothing_tested_is_not_a_pass(fusecheck, tmp_path):
    """rawfs has no xattrs: a run of only xattr scenarios tests nothing."""
    scn = scenario(tmp_path, "needs-xattr",
                   "create f 0644\nsetxattr f user.a v")
    junit = tmp_path / "j.xml"
    r = fusecheck("run", "--junit", str(junit), "--fs", rawfs(), scn)
    assert r.code == 2, r
    assert "nothing was tested" in r.stdout, r
    assert "requires xattr" in r.report["run"]["broken"]
    assert "nothing was tested" in junit.read_text()
    # replay reaches the same verdict from the log
    rp = fusecheck("replay", os.path.join(r.out_dir, "events.fclog"))
    assert rp.code == 2, rp


# --- 4. no deadlock: a filesystem that stops reading ---------------------

def test_filesystem_that_stops_reading_cannot_hang_us(fusecheck, tmp_path):
    """300 writes of 32 KiB queue more than the socket holds while the
    filesystem reads nothing: the request timeout must end the run."""
    body = ("repeat 300 {\nopen w$n f$n O_CREAT|O_WRONLY 0644\n}\n"
            "create deaf 0644\n"
            "parallel 300 {\npwrite w$i \"x\"*32768 0\n}\n")
    scn = scenario(tmp_path, "stops-reading", body)
    t0 = time.monotonic()
    r = fusecheck("run", "--request-timeout", "3", "--fs",
                  rawfs("--deaf", "deaf"), scn, timeout=120)
    assert r.code == 2, r
    assert "request timeout" in r.scenarios()["stops-reading"]["reason"], r
    assert time.monotonic() - t0 < 60


# --- 4. SIGTERM ends any run within 2 s ----------------------------------

def test_sigterm_ends_run_quickly(fusecheck_bin, tmp_path):
    scn = scenario(tmp_path, "slow", "mkdir d 0755\nsleep 60000")
    out = tmp_path / "out"
    p = subprocess.Popen([fusecheck_bin, "run", "--out", str(out), scn],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (out / "fs.log").exists():
        time.sleep(0.05)
    time.sleep(1.5)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=30)
    assert time.monotonic() - t0 < 2.5
    assert p.returncode == 2
    assert json.loads((out / "report.json").read_text())["run"]["broken"]


# --- 5. exec --timeout ends the program ----------------------------------

def test_exec_timeout_ends_program(fusecheck, tmp_path):
    marker = "fusecheck-test-sleep-%d" % os.getpid()
    t0 = time.monotonic()
    r = fusecheck("exec", "--timeout", "2", "--", "bash", "-c",
                  "exec -a %s sleep 100" % marker, timeout=60)
    assert time.monotonic() - t0 < 30, r
    assert r.code == 2, r
    assert "did not finish within 2 s" in r.report["scenarios"][0]["reason"]
    assert wait_gone(marker)


def test_exec_leftover_process_is_not_blamed(fusecheck, tmp_path):
    """A background job holding a file in the mount is ended with the
    program, before the quiesce: no LC-QUIESCE-BALANCE on memfs."""
    r = fusecheck("exec", "--", "sh", "-c",
                  "echo x > {dir}/f; sleep 100 < {dir}/f & exit 0",
                  timeout=120)
    assert r.code == 0, r


# --- 6. nothing outlives a run -------------------------------------------

@pytest.mark.parametrize("forks", ["80", "5:chain"])
def test_filesystem_children_end_with_it(fusecheck, tmp_path, forks):
    marker = "rawfs-forks-%s-%d" % (forks.replace(":", "-"), os.getpid())
    scn = scenario(tmp_path, "forker", "mkdir d 0755")
    r = fusecheck("run", "--fs", rawfs("--forks", forks, "--hang", marker),
                  scn, timeout=120)
    assert r.code == 0, r
    assert wait_gone(marker), "processes the filesystem started outlived it"


def test_sigkill_with_daemon_ignoring_eof(fusecheck_bin, tmp_path):
    marker = "rawfs-eof-%d" % os.getpid()
    scn = scenario(tmp_path, "slow", "mkdir d 0755\nsleep 60000")
    out = tmp_path / "out"
    p = subprocess.Popen([fusecheck_bin, "run", "--out", str(out), "--fs",
                          rawfs("--ignore-eof", "--forks", "3",
                                "--hang", marker), scn],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not processes_with(marker):
        time.sleep(0.05)
    time.sleep(1)
    p.kill()
    p.communicate(timeout=30)
    assert wait_gone(marker), "the filesystem outlived a SIGKILLed fusecheck"
    # the empty mountpoint directory stays after SIGKILL (architecture.md)
    for d in glob.glob(os.path.join(os.environ["TMPDIR"], "fusecheck.*")):
        assert os.listdir(d) == []
        os.rmdir(d)


# --- 7. reports are never lost silently ----------------------------------

@pytest.mark.parametrize("junit", ["/nonexistent/dir/j.xml", "{dir}"])
def test_bad_junit_path_is_exit_2_before_running(fusecheck, tmp_path, junit):
    junit = junit.replace("{dir}", str(tmp_path))
    r = fusecheck("run", "--junit", junit, timeout=60)
    assert r.code == 2, r
    assert "--junit" in r.stderr
    assert not os.path.exists(os.path.join(r.out_dir, "events.fclog"))


def test_full_disk_is_exit_2_naming_the_file(fusecheck_bin, tmp_path):
    """The output directory is a 256 KiB tmpfs, in a mount namespace of
    the test's own (gone with it)."""
    out = tmp_path / "out"
    out.mkdir()
    sh = ("mount -t tmpfs -o size=256k fctest %s && exec %s run --out %s "
          "--only readdir-large-plus" % (out, fusecheck_bin, out))
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh",
                        "-c", sh], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2, r
    assert "cannot write" in r.stderr or "incomplete" in r.stderr, r


def test_closed_stdout_keeps_reports(fusecheck_bin, tmp_path):
    out = tmp_path / "out"
    p = subprocess.Popen([fusecheck_bin, "run", "--out", str(out), "--only",
                          "hardlinks,chdir-in-out,unlink-open-fstat"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()           # `| head -1`
    p.stdout.close()
    p.wait(timeout=300)
    assert first
    # the first line came before the end: stdout is line-buffered
    assert json.loads((out / "report.json").read_text())["totals"][
        "scenarios"] == 3
    assert p.returncode == 0


def test_shared_out_dir_is_refused(fusecheck_bin, fusecheck, tmp_path):
    scn = scenario(tmp_path, "slow", "mkdir d 0755\nsleep 20000")
    out = tmp_path / "out"
    p = subprocess.Popen([fusecheck_bin, "run", "--out", str(out), scn],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (out / "fs.log").exists():
            time.sleep(0.05)
        r = fusecheck("run", out=str(out), timeout=60)
        assert r.code == 2, r
        assert "in use by another fusecheck run" in r.stderr
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)


# --- 8. memory stays bounded ---------------------------------------------

def test_lint_dev_zero_is_bounded(fusecheck_bin):
    rc, so, se, peak = peak_rss_of([fusecheck_bin, "lint", "/dev/zero"],
                                   timeout=60)
    assert rc == 2 and "not a scenario file" in se
    assert peak < MEM_BOUND


def test_expansion_bomb_is_bounded(fusecheck_bin, tmp_path):
    scn = tmp_path / "bomb.scn"
    scn.write_text("# desc: bomb\n# rules: SCN-EXPECT\n" +
                   "write f " + " ".join(['"0123456789abcdef"*1048576'] * 300)
                   + "\n")
    rc, so, se, peak = peak_rss_of([fusecheck_bin, "lint", str(scn)],
                                   timeout=60)
    assert rc == 2 and ("16 MiB" in se + so or "64 MiB" in se + so)
    assert peak < MEM_BOUND


def test_notification_flood_is_bounded(fusecheck_bin, tmp_path):
    scn = scenario(tmp_path, "flood", "mkdir flood 0755")
    rc, so, se, peak = peak_rss_of(
        [fusecheck_bin, "run", "--out", str(tmp_path / "out"), "--fs",
         rawfs("--notify-flood", "flood"), scn], timeout=300)
    assert rc == 2, so + se
    assert "more notifications than the kernel took" in so, so
    assert peak < MEM_BOUND


def test_control_flood_is_bounded(fusecheck_bin, tmp_path):
    scn = scenario(tmp_path, "ctl", "mkdir d 0755\nquiesce\nbalanced",
                   rules="LC-QUIESCE-BALANCE")
    rc, so, se, peak = peak_rss_of(
        [fusecheck_bin, "run", "--out", str(tmp_path / "out"), "--fs",
         rawfs("--control-fd", "{control}"), scn], timeout=300)
    assert rc == 2, so + se
    assert "ledger" in so, so
    assert peak < MEM_BOUND


# --- 9. the harness's own trouble is not the filesystem's ----------------

def test_low_fd_limit_is_not_violations(fusecheck_bin, tmp_path):
    body = "repeat 200 {\nopen f$n f$n O_CREAT|O_WRONLY 0644\n}\n"
    scn = scenario(tmp_path, "many-fds", body)

    def low():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    r = subprocess.run([fusecheck_bin, "run",
                        "--out", str(tmp_path / "out"), scn],
                       capture_output=True, text=True, preexec_fn=low,
                       timeout=120)
    # root takes the descriptors it needs where it may; where it may
    # not, the scenario is broken by the harness's shortage, never failed
    assert r.returncode in (0, 2), r
    assert " 0 violations" in r.stdout, r
    if r.returncode == 2:
        assert "ran out of file descriptors" in r.stdout, r


def test_cleanup_deeper_than_path_max(fusecheck, tmp_path):
    scn = scenario(tmp_path, "deep", "mktree t 2100",
                   rules="LC-QUIESCE-BALANCE")
    r = fusecheck("run", scn, timeout=300)
    assert r.code == 0, r


# --- 1. the filesystem need not run as root ------------------------------

def test_fs_user_runs_the_filesystem_unprivileged(fusecheck, memfs_bin,
                                                  tmp_path):
    fs = "bash -c 'id -u; id -G; exec %s \"$0\"' {mountpoint}" % memfs_bin
    r = fusecheck("run", "--fs-user", "nobody", "--fs", fs, "--only",
                  "hardlinks,unlink-open-fstat", timeout=300)
    assert r.code == 0, r
    with open(os.path.join(r.out_dir, "fs.log")) as f:
        lines = f.read().split("\n")
    assert "65534" in lines, lines[:5]       # uid
    assert "65534" in lines[2:], lines[:5]   # only nobody's group


def test_fs_user_unknown_is_exit_2(fusecheck):
    r = fusecheck("run", "--fs-user", "no-such-user-here", timeout=60)
    assert r.code == 2 and "--fs-user" in r.stderr, r


# --- 10. odd environments ------------------------------------------------

@pytest.mark.parametrize("tmpdir", ["with space", "relative"])
def test_odd_tmpdir(fusecheck_bin, tmp_path, monkeypatch, tmpdir):
    base = tmp_path / "cwd"
    (base / tmpdir).mkdir(parents=True)
    monkeypatch.setenv("TMPDIR", tmpdir)
    r = subprocess.run([fusecheck_bin, "run", "--out", str(tmp_path / "o"),
                        "--only", "hardlinks"], cwd=str(base),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r
    assert os.listdir(base / tmpdir) == []


# --- 11. smaller ones ----------------------------------------------------

def test_only_with_an_unknown_name_is_exit_2(fusecheck):
    r = fusecheck("run", "--only", "hardlinks,no-such-scenario", timeout=60)
    assert r.code == 2, r
    assert "'no-such-scenario', which is no scenario here" in r.stderr
    assert not os.path.exists(os.path.join(r.out_dir, "events.fclog"))


def test_diff_errors_go_to_stderr(fusecheck, tmp_path):
    empty = tmp_path / "norun.json"
    empty.write_text(json.dumps({"schema": "fusecheck-report",
                                 "schema_version": 1}))
    r = fusecheck("diff", str(empty), str(empty))
    assert r.code == 2, r
    assert r.stdout == "" and "not a fusecheck report" in r.stderr, r
    r = fusecheck("diff", "/nonexistent.json", str(empty))
    assert r.code == 2 and r.stdout == "" and "cannot open" in r.stderr


def test_parse_error_escapes_control_bytes(fusecheck, tmp_path):
    scn = tmp_path / "ctl.scn"
    scn.write_bytes(b"# desc: x\n# rules: SCN-EXPECT\n\x1b[2J\x07 .\n")
    r = fusecheck("lint", str(scn))
    assert r.code == 2
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert "\\x1b" in r.stderr


def test_unknown_rule_id_is_a_lint_error(fusecheck, tmp_path):
    scn = tmp_path / "rule.scn"
    scn.write_text("# desc: x\n# rules: LC-QUIESCE-BALANCE LC-TYPO\nstat .\n")
    r = fusecheck("lint", str(scn))
    assert r.code == 2 and "rule.scn:2:29: unknown rule id 'LC-TYPO'" in \
        r.stderr, r
