"""`fusecheck diff` of two reports: lock-rule verdicts are verdicts; the
request mix and the metadata are context; what always differs between two
runs (their --out directories, FORGET batching) is not a difference."""
import json
import re


def _run(fusecheck, out, *extra):
    r = fusecheck("run", "--only", "readdir-large-plus,hardlinks", *extra,
                  out=str(out))
    assert r.code == 0, r
    return out / "report.json"


def test_report_has_the_request_mix(fusecheck, tmp_path):
    rep = json.loads(_run(fusecheck, tmp_path / "a").read_text())
    s = {x["name"]: x for x in rep["scenarios"]}
    big = s["readdir-large-plus"]
    assert big["requests"]["CREATE"] == 5000, big["requests"]
    assert big["requests"]["LOOKUP"] >= 5000, big["requests"]
    assert big["readdir_size_max"] >= 4096, big
    assert all(isinstance(v, int) for v in big["requests"].values())
    assert s["hardlinks"]["requests"]["LINK"] == 2, s["hardlinks"]


def test_two_plain_runs_are_the_same(fusecheck, tmp_path):
    a = _run(fusecheck, tmp_path / "a")
    b = _run(fusecheck, tmp_path / "b")
    r = fusecheck("diff", str(a), str(b))
    assert r.code == 0, r
    # the --out directories differ, and FORGET batching does: neither is
    # a difference
    assert "filesystem:" not in r.stdout, r
    assert "FORGET" not in r.stdout, r
    assert r.stdout.count("  same\n") == 3, r


def test_request_mix_change_is_context(fusecheck, tmp_path):
    a = _run(fusecheck, tmp_path / "a")
    b = _run(fusecheck, tmp_path / "b", "--memfs-args=--readdirplus-always")
    r = fusecheck("diff", str(a), str(b))
    assert r.code == 0, r
    ctx = r.stdout.split("requests (context):\n")[1].split("metadata:")[0]
    assert re.search(r"readdir-large-plus: READDIR \d+ -> 0\n", ctx), r
    assert re.search(r"readdir-large-plus: READDIRPLUS \d+ -> \d+\n", ctx), r
    assert "-READDIRPLUS_AUTO" in r.stdout, r
    assert "--readdirplus-always" in r.stdout, r


def test_lock_rule_verdict_change_is_a_verdict(fusecheck, tmp_path):
    a = _run(fusecheck, tmp_path / "a")
    rep = json.loads(a.read_text())
    row = rep["lock_rules"][0]
    row["verdict"], row["max_overlap"] = "violation", 3
    b = tmp_path / "b.json"
    b.write_text(json.dumps(rep))
    r = fusecheck("diff", str(a), str(b))
    assert r.code == 1, r
    assert f"{row['rule']}: " in r.stdout and "-> violation" in r.stdout, r
    assert "1 verdict difference" in r.stdout, r


def test_libfuse_build_is_used_and_reported(fusecheck, tmp_path):
    """--libfuse PREFIX: memfs loads that libfuse3.so.3 (a copy of the
    installed one, under another path), the report names the file the
    filesystem really mapped, and diff shows the change as metadata."""
    import glob
    import shutil
    installed = sorted(glob.glob("/usr/lib/x86_64-linux-gnu/libfuse3.so.3.*"))
    assert installed
    libdir = tmp_path / "prefix" / "lib" / "x86_64-linux-gnu"
    libdir.mkdir(parents=True)
    shutil.copy(installed[-1], libdir / "libfuse3.so.3")
    a = _run(fusecheck, tmp_path / "a")
    b = _run(fusecheck, tmp_path / "b", "--libfuse", str(tmp_path / "prefix"))
    ra, rb = (json.loads(p.read_text())["run"] for p in (a, b))
    assert ra["fs_libfuse"].startswith("/usr/lib/"), ra
    assert rb["fs_libfuse"] == str(libdir / "libfuse3.so.3"), rb
    r = fusecheck("diff", str(a), str(b))
    assert r.code == 0, r
    assert "the filesystem's libfuse: " in r.stdout, r
    r = fusecheck("run", "--libfuse", str(tmp_path / "nowhere"), "--only",
                  "hardlinks")
    assert r.code == 2, r
    assert "no libfuse3.so.3 there" in r.stderr, r
