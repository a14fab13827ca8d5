"""Scenario paths are confined by the kernel, not by their text.

Bait files live outside the mount.  Every path-taking call of the scenario
language is aimed at them through a symlink to ".." that the text check
accepts (d/up/d/up/…/../../…): the statement must fail inside the working
directory and the bait must be exactly as it was."""
import os
import subprocess

import pytest

PAIRS = 12  # d/up pairs: 24 text levels, 12 symlinks (MAXSYMLINKS is 40)


def snapshot(root):
    """Every name, type, size, content and xattr below root."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            data = None
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    data = f.read()
            try:
                xattrs = sorted(os.listxattr(p, follow_symlinks=False))
            except OSError:
                xattrs = None
            seen[os.path.relpath(p, root)] = (st.st_mode, st.st_size, data,
                                              xattrs)
    return seen


@pytest.fixture
def bait(tmp_path):
    root = tmp_path / "bait"
    (root / "dir" / "sub").mkdir(parents=True)
    (root / "dir" / "sub" / "f").write_text("deep\n")
    (root / "empty").mkdir()
    (root / "victim").write_text("keep me\n")
    os.symlink("victim", root / "link")
    try:
        os.setxattr(root / "victim", "user.keep", b"1")
    except OSError:
        pass
    return root


def escape(bait_root, name=""):
    """A path that the text check accepts and that reaches bait_root/name
    from any working directory when a kernel follows d/up -> ".."."""
    tail = str(bait_root).lstrip("/") + ("/" + name if name else "")
    return "d/up/" * PAIRS + "../" * (2 * PAIRS) + tail


# (statement, using E(name) for an escaping path to bait/name)
ATTEMPTS = [
    "rmtree {E(dir)}",
    "unlink {E(victim)}",
    "rmdir {E(empty)}",
    "mkfiles {E()} 3",
    "mkfiles {E(dir)} 3",
    "mktree {E(tree)} 2",
    "open f {E(new)} O_CREAT|O_WRONLY 0644",
    "open f {E(victim)} O_WRONLY|O_TRUNC",
    "open f {E(link)} O_WRONLY|O_TRUNC",
    "create {E(new)} 0644",
    "truncate {E(victim)} 0",
    "truncate {E(link)} 0",
    "mkdir {E(newdir)} 0755",
    "mkfifo {E(fifo)} 0644",
    "symlink x {E(newlink)}",
    "link {E(victim)} {E(victim2)}",
    "link {E(victim)} inside",
    "rename {E(victim)} {E(renamed)}",
    "rename {E(victim)} inside",
    "rename d {E(moved)}",
    "renameat2 {E(victim)} {E(link)} RENAME_EXCHANGE",
    "setxattr {E(victim)} user.x v",
    "removexattr {E(victim)} user.keep",
    "stat {E(victim)}",
    "lstat {E(victim)}",
    "readlink {E(link)}",
    "getxattr {E(victim)} user.keep",
    "listxattr {E(victim)} user.keep",
    "readdir {E()} has=victim",
    "chdir {E(dir)}",
]


def expand(stmt, bait_root):
    out = stmt
    while "{E(" in out:
        start = out.index("{E(")
        end = out.index(")}", start)
        out = out[:start] + escape(bait_root, out[start + 3:end]) + \
            out[end + 2:]
    return out


@pytest.mark.parametrize("stmt", ATTEMPTS)
def test_escape_attempt_leaves_bait_untouched(fusecheck, tmp_path, bait, stmt):
    before = snapshot(bait)
    scn = tmp_path / "escape.scn"
    scn.write_text("# desc: escape attempt\n# rules: LC-QUIESCE-BALANCE\n"
                   "mkdir d 0755\nsymlink .. d/up\ncreate inside 0644\n"
                   + expand(stmt, bait) + "\n")
    r = fusecheck("run", str(scn))
    assert snapshot(bait) == before, r
    # the statement failed where it was confined: nothing outside exists
    # beneath the working directory, so the call cannot succeed
    assert r.code == 1, r
    fails = [v for s in r.report["scenarios"] for v in s["violations"]]
    assert [v["line"] for v in fails] == [6], r


def test_symlink_moved_after_creation_stays_inside(fusecheck, tmp_path):
    """A link legal where it was made (d/up -> ..) and renamed to the
    working directory points above it; paths through it still resolve
    inside: x is created in the working directory itself."""
    scn = tmp_path / "moved.scn"
    scn.write_text("# desc: moved link\n# rules: LC-QUIESCE-BALANCE\n"
                   "mkdir d 0755\nsymlink .. d/up\nrename d/up up\n"
                   "create up/x 0644\nstat x type=reg\n"
                   "create up/up/up/y 0644\nstat y type=reg\n")
    r = fusecheck("run", str(scn))
    assert r.code == 0, r
