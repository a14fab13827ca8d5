"""Attaching fusecheck to filesystems that cannot take /dev/fd/N: the
fusermount shim with a libfuse2 program (bindfs) and a libfuse3 one
(memfs, squashfuse_ll), auto's choice in the summary and report.json, a
filesystem that takes neither method, pyfuse3, and profiles."""
import glob
import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCN = "truncate"


def need(prog):
    if not shutil.which(prog):
        pytest.skip(f"{prog} is not installed (scripts/setup.sh)")


def fuse_mounts():
    with open("/proc/self/mounts") as f:
        return [l.split()[1] for l in f if l.split()[2].startswith("fuse")]


def leftovers():
    tmp = os.environ.get("TMPDIR", "/tmp")
    return sorted(glob.glob(os.path.join(tmp, "fusecheck*")))


@pytest.fixture
def src_dir(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    return str(d)


def test_attach__fusermount_shim_with_libfuse2_bindfs(fusecheck, src_dir):
    need("bindfs")
    r = fusecheck("run", "--attach", "fusermount", "--only", SCN,
                  "--fs", f"bindfs -f {src_dir} {{mountpoint}}")
    assert r.code == 0, r
    assert r.report["run"]["attach"] == "fusermount"
    assert r.scenarios()[SCN]["status"] == "pass"
    # the shim, not a real fusermount, handed over the connection
    with open(os.path.join(r.out_dir, "fs.log")) as f:
        assert "fusecheck shim: handing the tap" in f.read()


def test_attach__fusermount_shim_with_libfuse3_memfs(fusecheck, memfs_bin):
    r = fusecheck("run", "--attach", "fusermount", "--only", SCN,
                  "--fs", f"{memfs_bin} {{mountpoint}}")
    assert r.code == 0, r
    assert r.report["run"]["attach"] == "fusermount"
    assert r.scenarios()[SCN]["status"] == "pass"


def test_attach__auto_falls_back_to_fusermount_for_libfuse2(fusecheck,
                                                           src_dir):
    need("bindfs")
    r = fusecheck("run", "--only", SCN,
                  "--fs", f"bindfs -f {src_dir} {{mountpoint}}")
    assert r.code == 0, r
    assert r.report["run"]["attach"] == "fusermount"
    assert "attached by: fusermount" in r.stdout


def test_attach__auto_keeps_fd_for_libfuse3(fusecheck, memfs_bin):
    r = fusecheck("run", "--only", SCN, "--fs", f"{memfs_bin} {{mountpoint}}")
    assert r.code == 0, r
    assert r.report["run"]["attach"] == "fd"
    assert "attached by: fd" in r.stdout


def test_attach__fd_only_refuses_libfuse2(fusecheck, src_dir):
    need("bindfs")
    r = fusecheck("run", "--attach", "fd", "--only", SCN,
                  "--fs", f"bindfs -f {src_dir} {{mountpoint}}")
    assert r.code == 2, r
    assert "cannot attach to 'bindfs" in r.stderr
    assert "fusermount:" not in r.stderr


def test_attach__neither_method_is_exit_2_with_nothing_left(fusecheck):
    before = leftovers()
    r = fusecheck("run", "--only", SCN, "--fs", "/bin/false {mountpoint}")
    assert r.code == 2, r
    msg = [l for l in r.stderr.splitlines() if "cannot attach to" in l]
    assert msg, r
    assert "cannot attach to '/bin/false {mountpoint}': /dev/fd/" in msg[0]
    assert "exited with status 1" in msg[0]
    assert "; fusermount: " in msg[0]
    assert r.report["run"]["broken"].startswith("cannot attach to")
    assert [m for m in fuse_mounts() if "fusecheck" in m] == []
    assert leftovers() == before


def test_attach__bad_method_is_exit_2(fusecheck):
    r = fusecheck("run", "--attach", "sideways", "--only", SCN)
    assert r.code == 2
    assert "--attach takes fd, fusermount or auto" in r.stderr


def test_attach__pyfuse3_hello(fusecheck, tmp_path):
    try:
        import pyfuse3  # noqa: F401
    except ImportError:
        pytest.skip("python3-pyfuse3 is not installed")
    # the bundled pyfuse3 tree is read-only: an `exec` program checks
    # what it reads
    r = fusecheck("exec", "--profile", "pyfuse3_tree", "--", "/bin/sh", "-c",
                  'cd "$FUSECHECK_DIR" && '
                  'test "$(cat hello)" = "Hello from pyfuse3" '
                  '&& ls | grep -qx hello && test "$(readlink link)" = hello')
    assert r.code == 0, r
    assert r.report["run"]["attach"] == "fd"
    assert r.report["scenarios"][0]["status"] == "pass"


@pytest.mark.parametrize("profile", ["squashfuse_ll", "squashfuse"])
def test_attach__profile_readonly_squashfs(fusecheck, repo, profile):
    need(profile)
    need("mksquashfs")
    scn = os.path.join(repo, "fsmodels", "profiles", "scenarios",
                       "readonly-tree.scn")
    r = fusecheck("run", "--profile", profile, scn)
    assert r.code == 0, r
    assert r.report["run"]["attach"] == "fd"
    # read-only, so nothing of what a profile provides; only the
    # high-level one (st_ino = libfuse node id, no use_ino) renumbers
    # inodes after the cache drop: measured, said once, not judged
    unstable = [n for n in r.report["run"]["notes"] if "st_ino" in n]
    if profile == "squashfuse_ll":
        assert r.report["run"]["caps"] == ["drop-caches", "stable-ino"]
        assert not unstable
    else:
        assert r.report["run"]["caps"] == ["drop-caches"]
        assert unstable
    st = r.scenarios()["readonly-tree"]
    assert st["status"] == "pass", st
    assert leftovers() == [] or all("fusecheck-work" not in p
                                    for p in leftovers())


def test_attach__readonly_filesystem_gets_tested(fusecheck, tmp_path):
    # a read-only filesystem runs the tree-* scenarios over the tree that
    # is there: lookups, reads, listings, parallel walkers, quiesce,
    # balance, identities; the rest is skipped for what it cannot do
    try:
        import pyfuse3  # noqa: F401
    except ImportError:
        pytest.skip("python3-pyfuse3 is not installed")
    r = fusecheck("run", "--profile", "pyfuse3_tree")
    assert r.code == 0, r
    ran = [s for s in r.report["scenarios"] if s["status"] == "pass"]
    assert len(ran) >= 10, [s["name"] for s in ran]
    assert all(s["name"].startswith("tree-") for s in ran)
    # the tree was really looked at: the hello file read through the tap
    log = fusecheck("log", os.path.join(r.out_dir, "events.fclog")).stdout
    assert 'name="hello"' in log and "REQUEST READ " in log


def test_attach__profile_bindfs_uses_its_method(fusecheck):
    need("bindfs")
    r = fusecheck("run", "--profile", "bindfs", "--only", SCN)
    assert r.code == 0, r
    assert r.report["run"]["attach"] == "fusermount"


def test_attach__profile_and_fs_exclude_each_other(fusecheck):
    r = fusecheck("run", "--profile", "memfs", "--fs", "x {mountpoint}")
    assert r.code == 2
    assert "exclude each other" in r.stderr


def test_attach__unknown_profile(fusecheck):
    r = fusecheck("run", "--profile", "no-such-profile", "--only", SCN)
    assert r.code == 2
    assert "no profile 'no-such-profile'" in r.stderr


@pytest.mark.parametrize("fresh,setups", [("mount", 3), ("run", 1),
                                          ("", 3)])
def test_attach__profile_store_fresh_per_mount(fusecheck, tmp_path, fresh,
                                              setups):
    # setup makes the store; with fresh = mount (the default for a
    # writable one) it is made again in an emptied work directory before
    # every mount after the first: probe, then two scenarios
    need("bindfs")
    count = tmp_path / "setups"
    prof = tmp_path / "store.profile"
    prof.write_text("setup = test ! -e src\n\tmkdir src\n"
                    "\techo made > src/marker\n"
                    "\techo x >> %s\n"
                    "command = bindfs -f {workdir}/src {mountpoint}\n"
                    "attach = fusermount\n%s"
                    % (count, "fresh = %s\n" % fresh if fresh else ""))
    d = tmp_path / "scn"
    d.mkdir()
    for name in ("a", "b"):
        (d / (name + ".scn")).write_text(
            "# desc: d\n# rules: SCN-EXPECT\n# requires: write\n"
            "create f 0644\n")
    r = fusecheck("run", "--profile", str(prof), str(d))
    assert r.code == 0, r
    assert count.read_text().count("x") == setups


def test_attach__filesystem_makes_its_own_mounts(fusecheck, memfs_bin,
                                                 tmp_path):
    # with /dev/fd/N the filesystem runs in a mount namespace of its own:
    # a mount it makes for itself works and stays there (lxcfs needs
    # this); with the fusermount shim a filter still refuses it
    own = os.path.join(HERE, "fs", "mounts_own.py")
    where = tmp_path / "own"
    where.mkdir()
    for method, want in (("fd", "mounted"), ("fusermount", "EPERM")):
        report = tmp_path / ("report-" + method)
        r = fusecheck("run", "--attach", method, "--only", SCN, "--fs",
                      f"{sys.executable} {own} {where} {report} "
                      f"{memfs_bin} {{mountpoint}}")
        assert r.code == 0, r
        assert report.read_text() == want
        # and nothing of it is seen here
        with open("/proc/self/mountinfo") as f:
            assert str(where) not in f.read()


def test_attach__profile_names_more_helpers(fusecheck, memfs_bin, tmp_path):
    # a profile's `fusermount = NAME` makes the shim stand in for a helper
    # of another name too, on the filesystem's PATH
    probe = os.path.join(HERE, "fs", "helper_probe.py")
    report = tmp_path / "where"
    prof = tmp_path / "h.profile"
    prof.write_text("command = %s %s extra-fusermount %s %s {mountpoint}\n"
                    "attach = fusermount\nfusermount = extra-fusermount\n"
                    % (sys.executable, probe, report, memfs_bin))
    r = fusecheck("run", "--profile", str(prof), "--only", SCN)
    assert r.code == 0, r
    assert os.path.basename(report.read_text()) == "fusecheck-fusermount"
    prof.write_text("command = x {mountpoint}\nfusermount = a/b\n")
    r = fusecheck("run", "--profile", str(prof), "--only", SCN)
    assert r.code == 2 and "'fusermount'" in r.stderr, r


def _pid_ns_of_fs(fusecheck, memfs_bin, tmp_path, *args):
    """Run one scenario on memfs started through sh, which first writes
    the pid namespace it runs in; return that and the report."""
    seen = tmp_path / "fs-pidns"
    cmd = ("/bin/sh -c 'readlink /proc/self/ns/pid > %s; exec %s \"$0\"' "
           "{mountpoint}" % (seen, memfs_bin))
    r = fusecheck("run", "--fs", cmd, *args, "--only", SCN)
    return seen.read_text().strip(), r


@pytest.mark.parametrize("mode", ["own", "host"])
def test_attach__fs_pidns(fusecheck, memfs_bin, tmp_path, mode):
    ours = os.readlink("/proc/self/ns/pid")
    ns, r = _pid_ns_of_fs(fusecheck, memfs_bin, tmp_path, "--fs-pidns", mode)
    assert r.code == 0, r
    assert r.report["run"]["fs_pidns"] == mode
    if mode == "host":
        assert ns == ours
        assert "pid namespace: fusecheck's" in r.stdout
    else:
        assert ns != ours
        assert "pid namespace" not in r.stdout


def test_attach__fs_pidns_default_is_own(fusecheck, memfs_bin, tmp_path):
    ns, r = _pid_ns_of_fs(fusecheck, memfs_bin, tmp_path)
    assert r.code == 0, r
    assert ns != os.readlink("/proc/self/ns/pid")
    assert r.report["run"]["fs_pidns"] == "own"


def _pids_of(name):
    out = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/comm" % d) as f:
                    if f.read().strip() == name:
                        out.add(int(d))
            except OSError:
                pass
    return out


def test_attach__profile_lxcfs(fusecheck):
    """lxcfs answers from its callers' namespaces, found by their pid:
    in fusecheck's pid namespace (the profile's pidns = host) the
    read-only tree scenarios run instead of timing out."""
    need("lxcfs")
    before = _pids_of("lxcfs")
    r = fusecheck("run", "--profile", "lxcfs")
    assert r.code == 0, r
    assert r.report["run"]["fs_pidns"] == "host"
    ran = [s["name"] for s in r.report["scenarios"] if s["status"] == "pass"]
    assert len(ran) >= 10, ran
    assert r.report["totals"]["broken"] == 0, r
    # the program ends with the mount, also outside a pid namespace
    assert _pids_of("lxcfs") <= before


def test_attach__profile_nbdfuse_falls_back_to_the_shim(fusecheck):
    """nbdfuse does not come up on /dev/fd/N: `auto` attaches it through
    the fusermount shim, and the tree scenarios run over its one file."""
    need("nbdfuse")
    need("nbdkit")
    r = fusecheck("run", "--profile", "nbdfuse")
    assert r.code == 0, r
    assert r.report["run"]["attach"] == "fusermount"
    ran = [s["name"] for s in r.report["scenarios"] if s["status"] == "pass"]
    assert len(ran) >= 10, ran
    log = fusecheck("log", os.path.join(r.out_dir, "events.fclog")).stdout
    assert 'name="nbd"' in log and "REQUEST READ " in log
