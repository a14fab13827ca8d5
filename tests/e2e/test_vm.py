"""`fusecheck vm` boots other kernels under qemu and runs the suite in
them; `fusecheck diff` over three or more reports prints the matrix; and
`--time-scale` stretches every timeout and says so in the report."""
import json
import os
import shutil
import subprocess

import pytest


def _newest_debian_61_kernel():
    """The newest linux-image-6.1.0-N-amd64 apt knows, or None."""
    try:
        out = subprocess.run(
            ["apt-cache", "search", "--names-only",
             r"^linux-image-6\.1\.0-[0-9]+-amd64$"],
            capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    names.sort(key=lambda n: int(n.split("-")[3]))
    return names[-1] if names else None


@pytest.fixture(scope="module")
def kernel_pkg():
    name = os.environ.get("FUSECHECK_VM_KERNEL") or _newest_debian_61_kernel()
    if not shutil.which("qemu-system-x86_64") or \
            not os.path.exists("/bin/busybox") or not name:
        pytest.skip("needs qemu-system-x86, busybox-static and a Debian "
                    "kernel package (.ci/run installs them)")
    return name


@pytest.fixture(scope="module")
def vm_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("vmcache"))


def test_vm_runs_the_suite_on_a_debian_kernel(fusecheck, kernel_pkg,
                                              vm_cache, tmp_path):
    out = tmp_path / "vm"
    r = fusecheck("vm", "--kernel", kernel_pkg, "--cache", vm_cache,
                  "--out", str(out), "--only",
                  "hardlinks,unlink-open-outstanding,forget-lookup-race",
                  timeout=1200)
    assert r.code == 0, r
    (rel,) = os.listdir(out)
    assert rel.startswith("6.1.0-") and rel.endswith("-amd64"), rel
    with open(out / rel / "report.json") as f:
        rep = json.load(f)
    assert rep["run"]["kernel_release"] == rel
    # the guest's own kernel: FUSE 7.38, whatever the host speaks
    assert rep["run"]["init"]["kernel"]["minor"] == 38, rep["run"]["init"]
    assert [s["status"] for s in rep["scenarios"]] == ["pass"] * 3, rep
    assert f"{rel}: fusecheck exited 0" in r.stdout, r
    # the matrix names every scenario in a row of its own
    assert any(line.split()[:2] == ["hardlinks", "pass"]
               for line in r.stdout.splitlines()), r
    assert "0 rows of verdicts differ" in r.stdout, r
    if rep["run"]["time_scale"] > 1:
        assert "scaled by" in (out / rel / "run.log").read_text()


def test_vm_guest_that_cannot_start_is_a_broken_row(fusecheck, kernel_pkg,
                                                    vm_cache, tmp_path):
    """A dynamically linked 'busybox' cannot run in the initramfs: the
    kernel finds no working init and panics.  That is a broken row with
    the console's last lines, exit 2, never a verdict."""
    out = tmp_path / "vm"
    r = fusecheck("vm", "--kernel", kernel_pkg, "--cache", vm_cache,
                  "--out", str(out), "--busybox", "/bin/true", "--accel", "tcg",
                  "--vm-timeout", "600", "--only", "hardlinks",
                  timeout=900)
    assert r.code == 2, r
    assert "BROKEN: the guest ended" in r.stdout, r
    assert "console (last lines of" in r.stdout, r
    assert "init" in r.stdout.split("console (last lines of")[1], r
    assert not os.path.exists(next(out.iterdir()) / "report.json")


@pytest.mark.parametrize("spec, says", [
    ("/nonexistent/vmlinuz", "no such kernel image"),
    ("/etc/hostname", "not a bzImage"),
    ("--bad;name", "not a kernel image, a .deb or a Debian package name"),
])
def test_vm_unusable_kernel_spec_is_broken(fusecheck, tmp_path, spec, says):
    r = fusecheck("vm", f"--kernel={spec}" if spec.startswith("-") else
                  "--kernel", *( [] if spec.startswith("-") else [spec]),
                  "--cache", str(tmp_path / "c"), "--out",
                  str(tmp_path / "o"))
    assert r.code == 2, r
    assert says in r.stdout + r.stderr, r


def test_vm_needs_a_kernel(fusecheck):
    r = fusecheck("vm", "--only", "hardlinks")
    assert r.code == 2, r
    assert "name at least one --kernel" in r.stderr, r


def test_time_scale_is_reported(fusecheck):
    r = fusecheck("run", "--time-scale", "3", "--only", "hardlinks")
    assert r.code == 0, r
    assert r.report["run"]["time_scale"] == 3
    assert "timeouts: scaled by 3" in r.stdout, r
    r = fusecheck("run", "--only", "hardlinks")
    assert r.report["run"]["time_scale"] == 1
    assert "scaled by" not in r.stdout, r


def test_diff_of_three_reports_is_a_matrix(fusecheck, tmp_path):
    r = fusecheck("run", "--only", "hardlinks,rename-over-dir",
                  out=str(tmp_path / "a"))
    assert r.code == 0, r
    paths = []
    for label, status in (("k1", "pass"), ("k2", "pass"), ("k3", "fail")):
        rep = json.loads((tmp_path / "a" / "report.json").read_text())
        rep["run"]["kernel_release"] = label
        rep["scenarios"][0]["status"] = status
        p = tmp_path / f"{label}.json"
        p.write_text(json.dumps(rep))
        paths.append(str(p))
    r = fusecheck("diff", *paths[:2], paths[0])
    assert r.code == 0, r
    assert "0 rows of verdicts differ" in r.stdout, r
    r = fusecheck("diff", *paths)
    assert r.code == 1, r
    name = json.loads(open(paths[0]).read())["scenarios"][0]["name"]
    row = [line for line in r.stdout.splitlines()
           if line.startswith(f"* {name} ")]
    assert row and row[0].split()[2:] == ["pass", "pass", "fail"], r
    assert "1 row of verdicts differ" in r.stdout, r
    header = [line for line in r.stdout.splitlines()
              if line.split()[:1] == ["scenario"]]
    assert header and header[0].split()[1:] == ["k1", "k2", "k3"], r


def test_diff_matrix_refuses_a_non_report(fusecheck, tmp_path):
    good = tmp_path / "a"
    r = fusecheck("run", "--only", "hardlinks", out=str(good))
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "other"}')
    p = str(good / "report.json")
    r = fusecheck("diff", p, p, str(bad))
    assert r.code == 2, r
    assert "bad.json" in r.stderr, r


def test_vm_refuses_outputs_the_guest_would_lose(fusecheck, tmp_path):
    r = fusecheck("vm", "--kernel", "/nonexistent", "--junit",
                  str(tmp_path / "j.xml"))
    assert r.code == 2, r
    assert "a guest writes only under --out" in r.stderr, r
