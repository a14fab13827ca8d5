"""Shared fixtures for the end-to-end tests: where the built binaries are,
a helper to run fusecheck, and a guard that no test leaves a FUSE mount or
a fusecheck mountpoint behind."""
import glob
import json
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("FUSECHECK_BUILD", os.path.join(REPO, "build"))


def _fuse_mounts(under):
    """FUSE mounts below `under` only: the host may have its own (lxcfs
    on CI hosts, gvfs on desktops), which come and go as they please."""
    with open("/proc/self/mounts") as f:
        return {line.split()[1] for line in f
                if line.split()[2].startswith("fuse")
                and line.split()[1].startswith(under)}


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def fusecheck_bin():
    path = os.path.join(BUILD, "harness", "fusecheck")
    if not os.access(path, os.X_OK):
        pytest.fail(f"fusecheck is not built at {path}: run scripts/setup.sh")
    return path


@pytest.fixture(scope="session")
def memfs_bin():
    path = os.path.join(BUILD, "fsmodels", "memfs", "memfs")
    if not os.access(path, os.X_OK):
        pytest.fail(f"memfs is not built at {path}")
    return path


@pytest.fixture(scope="session")
def scenarios_dir():
    return os.path.join(REPO, "scenarios")


@pytest.fixture(autouse=True)
def no_leftovers(tmp_path, monkeypatch):
    """Every test must leave the host as it found it: no FUSE mount, and
    no fusecheck mountpoint directory in its private $TMPDIR."""
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    mounts_before = _fuse_mounts(str(tmp_path))
    yield
    assert _fuse_mounts(str(tmp_path)) - mounts_before == set(), \
        "a FUSE mount was left behind"
    assert glob.glob(str(tmpdir / "fusecheck.*")) == [], \
        "a fusecheck mountpoint directory was left behind"


class Run:
    """One finished fusecheck invocation."""

    def __init__(self, proc, out_dir):
        self.proc = proc
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.out_dir = out_dir

    @property
    def report(self):
        with open(os.path.join(self.out_dir, "report.json")) as f:
            return json.load(f)

    def scenarios(self):
        return {s["name"]: s for s in self.report["scenarios"]}

    def __repr__(self):
        return f"<fusecheck exit {self.code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}>"


@pytest.fixture
def fusecheck(fusecheck_bin, tmp_path):
    """Run `fusecheck ARGS...`; --out goes to a fresh temporary directory
    unless the test gives one."""

    def run(*args, out=None, timeout=600, input=None):
        args = list(args)
        out_dir = out or str(tmp_path / "out")
        if args and args[0] in ("run", "exec") and "--out" not in args:
            args[1:1] = ["--out", out_dir]
        proc = subprocess.run([fusecheck_bin] + args, capture_output=True,
                              text=True, errors="replace", timeout=timeout,
                              input=input)
        return Run(proc, out_dir)

    return run


def evict_method(report):
    """The eviction a quiesce picks by default: prune where the kernel's
    INIT spoke FUSE 7.45 or later (Linux 6.18), notify before."""
    minor = report["run"]["init"]["kernel"]["minor"]
    return "prune" if minor >= 45 else "notify"
