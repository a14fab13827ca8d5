"""Bad input and misbehaving filesystems: a clear message naming the
culprit, exit 2, nothing mounted (the autouse no_leftovers fixture checks
the last part for every test)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def test_malformed_scenario_names_file_line_column(fusecheck, tmp_path):
    bad = tmp_path / "bad.scn"
    bad.write_text("# desc: x\n# rules: SCN-EXPECT\n\nopen f a O_RDWR|O_BOGUS\n")
    r = fusecheck("run", str(bad))
    assert r.code == 2, r
    assert f"{bad}:4:" in r.stderr
    assert not os.path.exists(os.path.join(r.out_dir, "events.fclog"))


def test_lint_reports_every_bad_file(fusecheck, tmp_path, scenarios_dir):
    (tmp_path / "a.scn").write_text("# desc: x\n# rules: SCN-EXPECT\nstat \"unterminated\n")
    (tmp_path / "b.scn").write_text("# desc: x\n# rules: SCN-EXPECT\nstat /etc/passwd\n")
    r = fusecheck("lint", str(tmp_path))
    assert r.code == 2
    assert "a.scn:3:" in r.stderr and "b.scn:3:" in r.stderr
    assert fusecheck("lint", scenarios_dir).code == 0


def test_scenarios_readme_table_is_the_headers(fusecheck, scenarios_dir):
    # scenarios/README.md's table cannot drift from the files: it is what
    # `lint --table` prints from their headers
    r = fusecheck("lint", "--table", scenarios_dir)
    assert r.code == 0, r
    readme = open(os.path.join(scenarios_dir, "README.md")).read()
    start = readme.index("| scenario | shows |")
    table = readme[start:readme.index("\n\n", start)] + "\n"
    assert table == r.stdout
    # in the order of the files' names (glob's), ".scn" included
    names = [f[:-4] for f in sorted(os.listdir(scenarios_dir))
             if f.endswith(".scn")]
    assert [line.split("`")[1] for line in r.stdout.splitlines()[2:]] == names


def test_scenario_directory_is_taken_literally(fusecheck, tmp_path):
    # a directory name with glob metacharacters lists its own *.scn, in
    # order, and nothing else
    d = tmp_path / "s[1]*?"
    d.mkdir()
    good = "# desc: x\n# rules: SCN-EXPECT\nstat .\n"
    for name in ("b.scn", "a.scn", "notes.txt"):
        (d / name).write_text(good if name.endswith(".scn") else "x")
    # what the name would match as a pattern: a bad scenario
    (tmp_path / "s1xy").mkdir()
    (tmp_path / "s1xy" / "c.scn").write_text("# desc: x\nstat \"\n")
    r = fusecheck("lint", str(d))
    assert r.code == 0, r
    assert "2 scenario files, 0 with errors" in r.stdout, r


def test_missing_filesystem_binary(fusecheck):
    r = fusecheck("run", "--only", "truncate", "--fs", "/nonexistent/fs-binary {mountpoint}")
    assert r.code == 2, r
    assert "cannot start '/nonexistent/fs-binary'" in r.stderr + r.stdout


def test_fs_without_mountpoint_placeholder(fusecheck):
    r = fusecheck("run", "--fs", "memfs /tmp/x")
    assert r.code == 2
    assert "{mountpoint}" in r.stderr


def test_unwritable_out_dir(fusecheck):
    r = fusecheck("run", "--out", "/proc/fusecheck-cannot-be-here")
    assert r.code == 2
    assert "/proc/fusecheck-cannot-be-here" in r.stderr


def test_filesystem_that_exits_at_once(fusecheck):
    r = fusecheck("run", "--only", "truncate", "--fs", "sh -c 'exit 3' {mountpoint}")
    assert r.code == 2, r
    assert "exited with status 3 before answering INIT" in r.stderr + r.stdout


def test_filesystem_killed_mid_scenario_is_broken(fusecheck, memfs_bin,
                                                tmp_path):
    killer = os.path.join(HERE, "fs", "die_after.py")
    counter = tmp_path / "mounts"
    # mount 1 is the capability probe, mount 2 readdir-large-plus (5,000
    # files: well over 0.3 s), mount 3 truncate, which is left alone
    r = fusecheck("run", "--only", "readdir-large-plus,truncate", "--fs",
                  f"/usr/bin/python3 {killer} 0.3 2 {counter} {memfs_bin} "
                  "{mountpoint}", timeout=300)
    assert r.code == 2, r
    scn = r.scenarios()
    assert scn["readdir-large-plus"]["status"] == "broken"
    assert "filesystem ended" in scn["readdir-large-plus"]["reason"]
    # Later scenarios get a fresh mount.
    assert scn["truncate"]["status"] == "pass"


def test_unknown_command_and_option(fusecheck):
    assert fusecheck("frobnicate").code == 2
    assert fusecheck("run", "--frobnicate").code == 2
