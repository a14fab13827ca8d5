"""fusecheck runs without root: as an ordinary user it enters a user
namespace of its own (FUSE mounts are allowed there since Linux 4.18) and
quiesces by notification, with no host-wide cache drop.

The test makes the conditions of a machine where /dev/fuse is open to
users (Debian's default, mode 0666) inside a mount namespace of its own:
a device node it makes on a tmpfs of its own, bound over /dev/fuse there.
The binaries and scenarios are copied where the user can read them."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILD, REPO, evict_method

NOBODY = 65534


@pytest.fixture
def world(tmp_path):
    if not shutil.which("setpriv") or not shutil.which("unshare"):
        pytest.skip("setpriv/unshare not installed (util-linux)")
    top = tempfile.mkdtemp(prefix="fc-rootless.", dir="/tmp")
    try:
        os.chmod(top, 0o755)
        for rel in ("harness/fusecheck", "fsmodels/memfs/memfs"):
            dst = os.path.join(top, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.join(BUILD, rel), dst)
        shutil.copytree(os.path.join(REPO, "scenarios"),
                        os.path.join(top, "scenarios"))
        for d in ("dev", "tmp", "out"):
            os.mkdir(os.path.join(top, d))
            os.chmod(os.path.join(top, d), 0o777)
        yield top
    finally:
        subprocess.run(["rm", "-rf", top])


def run_as_nobody(top, *args):
    sh = ('set -e; mount -t tmpfs -o size=64k fcdev "$1/dev"; '
          'mknod -m 0666 "$1/dev/fuse" c 10 229; '
          'mount --bind "$1/dev/fuse" /dev/fuse; '
          'shift; exec setpriv --reuid=%d --regid=%d --clear-groups '
          'env TMPDIR="$T/tmp" FUSECHECK_MEMFS="$T/fsmodels/memfs/memfs" '
          'FUSECHECK_SCENARIOS="$T/scenarios" "$T/harness/fusecheck" "$@"'
          % (NOBODY, NOBODY))
    env = dict(os.environ, T=top)
    return subprocess.run(["unshare", "-m", "--propagation", "private",
                           "sh", "-c", sh, "_", top] + list(args),
                          capture_output=True, text=True, env=env,
                          timeout=600)


def test_default_suite_as_an_ordinary_user(world):
    r = run_as_nobody(world, "run", "--out", world + "/out")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    with open(world + "/out/report.json") as f:
        assert "quiesce: %s" % evict_method(json.load(f)) in r.stdout
    assert " 0 failed" in r.stdout and " 0 broken" in r.stdout
    assert os.listdir(world + "/tmp") == []


def test_a_leak_is_still_caught_as_an_ordinary_user(world):
    r = run_as_nobody(world, "run", "--out", world + "/out", "--memfs-args",
                      "--fault=forget-by-one", "--only", "hardlinks")
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
