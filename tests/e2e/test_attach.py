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
HELLO_PYFUSE3 = os.path.join(HERE, "fs", "hello_pyfuse3.py")
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
    # hello is read-only: an `exec` program checks what it reads
    r = fusecheck("exec", "--fs", f"{sys.executable} {HELLO_PYFUSE3} "
                  "{mountpoint}", "--", "/bin/sh", "-c",
                  'cd "$FUSECHECK_DIR" && test "$(cat hello)" = "hello world" '
                  '&& ls | grep -qx hello')
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
    assert r.code in (0, 1), r
    assert r.report["run"]["attach"] == "fd"
    assert r.report["run"]["caps"] == ["drop-caches"]
    st = r.scenarios()["readonly-tree"]
    # lookups balance on both; only the high-level one (st_ino = libfuse
    # node id, no use_ino) renumbers inodes after the cache drop
    assert not [v for v in st["violations"]
                if v["rule"].startswith("LC-")], st
    if profile == "squashfuse_ll":
        assert st["status"] == "pass", st
    assert leftovers() == [] or all("fusecheck-work" not in p
                                    for p in leftovers())


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
