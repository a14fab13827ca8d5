#!/usr/bin/python3
"""conformance.py - run fusecheck on every filesystem profile and write
docs/conformance.md from the report.json files.

usage (root): /usr/bin/python3 scripts/conformance.py [--build DIR]
              [--out DIR] [--doc FILE] [--reports] [PROFILE...]

The explanations of violations are kept in NOTES below: each was checked
by hand (a minimal syscall sequence, or the filesystem's source) and says
how.  A violation without a note is listed as "not yet checked by hand".
"""
import argparse
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILES = ["memfs", "squashfuse", "squashfuse_ll", "fuse-overlayfs",
            "bindfs", "mergerfs", "fuse2fs", "passthrough_ll", "hello_ll",
            "passthrough", "passthrough_fh", "sshfs", "encfs", "rclone",
            "rclone-mount2", "pyfuse3_tree", "lxcfs", "nbdfuse"]
# Debian package behind each profile's program (for the version column).
PACKAGES = {"memfs": None, "squashfuse": "squashfuse",
            "squashfuse_ll": "squashfuse", "fuse-overlayfs":
            "fuse-overlayfs", "bindfs": "bindfs", "mergerfs": "mergerfs",
            "fuse2fs": "fuse2fs", "passthrough_ll": "libfuse3-dev",
            "hello_ll": "libfuse3-dev", "passthrough": "libfuse3-dev",
            "passthrough_fh": "libfuse3-dev", "sshfs": "sshfs",
            "encfs": "encfs", "rclone": "rclone", "rclone-mount2": "rclone",
            "lxcfs": "lxcfs", "pyfuse3_tree": "python3-pyfuse3",
            "nbdfuse": "libnbd-bin"}
# Read-only profiles also run the scenario written for their image.
EXTRA = {"squashfuse": ["fsmodels/profiles/scenarios/readonly-tree.scn"],
         "squashfuse_ll": ["fsmodels/profiles/scenarios/readonly-tree.scn"]}

# (profile, scenario) -> what the violation means and how it was checked.
NOTES = {
    ("passthrough_ll", "lock-write-odirect"):
        "O_DIRECT writes of 64 KiB at offset 0 fail with EINVAL. "
        "passthrough_ll opens the backing file with the caller's O_DIRECT "
        "and writes it from libfuse's buffer, which is not aligned as "
        "ext4's O_DIRECT requires. Checked by hand: on a plain "
        "passthrough_ll mount (-o source=DIR) `dd bs=64k count=1 "
        "oflag=direct` copies 0 bytes, the same dd into DIR on ext4 "
        "copies 65536.",
    ("squashfuse", "readonly-tree"):
        "st_ino of a name changes after the kernel forgot its inode "
        "(a: 2, then 7 after drop_caches). High-level libfuse without "
        "`use_ino` reports its own node id as st_ino (libfuse lib/fuse.c "
        "`set_stat`: `if (!f->conf.use_ino) stbuf->st_ino = nodeid`), and "
        "a forgotten node gets a new id. Lookup counts balance (no LC-* "
        "violation). Checked: libfuse source; squashfuse_ll (low-level, "
        "image inode numbers) passes the same scenario; and by hand on a "
        "plain squashfuse mount: a 2 and d 3, then after drop_caches and a "
        "stat of d first, d 4 and a 5.",
    ("fuse-overlayfs", "hardlinks"):
        "once the kernel has forgotten a hard-linked file, fuse-overlayfs "
        "reports a different st_nlink for each of its names (1, 2 and 3 "
        "for one inode whose upper file has 3). Checked by hand: open and "
        "write a, link a b, link a d/c: stat gives 3 3 3; after `echo 2 > "
        "/proc/sys/vm/drop_caches` stat gives a 1, b 2, d/c 3, and "
        "upper/a has 3.",
    ("bindfs", "hardlinks"):
        "each name of a hard-linked file is its own kernel inode "
        "(high-level libfuse keeps a node per path), so a name's cached "
        "attributes keep the link count of when it was last looked up. "
        "Checked by hand on a plain bindfs mount: echo > a; ln a b; "
        "mkdir d; ln a d/c; stat gives nlink a 1, b 2, d/c 3 (all the "
        "same st_ino).",
    ("mergerfs", "hardlinks"):
        "as bindfs: each name is its own kernel inode with its own "
        "cached nlink, and mergerfs also gives each name its own st_ino "
        "(its default inodecalc hashes the path; mergerfs#277). Checked "
        "by hand on a plain mergerfs mount: after ln a b; ln a d/c stat "
        "gives nlink 1 2 3 and st_ino 2 3 5; after 1.2 s nlink 3 3 3, "
        "st_ino still 2 3 5.",
    ("fuse-overlayfs", "long-names"):
        "fuse-overlayfs declares f_namemax 251 and takes exactly that, but "
        "stat of a missing 252-byte name gives ENOENT, not ENAMETOOLONG "
        "(create of one is refused correctly). Checked by hand on a plain "
        "fuse-overlayfs mount.",
    ("fuse-overlayfs", "unlink-open"):
        "an unlinked file that is still open reports st_nlink 1 through "
        "fstat (expected 0). fuse-overlayfs moves the open file into "
        "workdir/work/ instead of unlinking it, and reports that file's "
        "link count. Checked by hand: create, write, unlink, fstat -> "
        "nlink 1, and workdir/work/ holds the file until close.",
    ("bindfs", "hidden"):
        "an unlinked but open file is renamed to `.fuse_hidden<nodeid><ctr>` instead of removed: readdir still lists it and fstat shows nlink 1. High-level libfuse2 without `-o hard_remove` (libfuse lib/fuse.c `hide_node`). Checked by hand on a plain bindfs mount: a file unlinked while open leaves `.fuse_hidden0000000200000001` in the listing, and fstat after ftruncate gives st_nlink 1.",
    ("bindfs", "rmdir-open-dir"):
        "fstat of an open, removed directory fails ENOENT: high-level libfuse is path-based, and after rmdir the node has no path to getattr by. Checked by hand on a plain bindfs mount: mkdir d, open it O_DIRECTORY, rmdir d, fstat the descriptor: ENOENT (before the rmdir it gave the directory's st_ino).",
    ("libfuse-hl", "hidden"):
        "an unlinked but open file is renamed to `.fuse_hidden…` instead of removed (high-level libfuse without `-o hard_remove`, lib/fuse.c `hide_node`): a listing still shows it, and its link count is the hidden file's once attributes are fetched again. Checked by hand on plain mounts of passthrough, sshfs, "
        "encfs and fuse2fs: three files created in d, unlinked while open: "
        "listdir(d) shows three `.fuse_hidden…` names, none after close; "
        "on a plain bindfs mount (the same libfuse code), a file "
        "unlinked while open and then ftruncated gives fstat st_nlink 1 "
        "and the directory lists `.fuse_hidden…`.",
    ("libfuse-hl", "rmdir-open-dir"):
        "fstat of an open directory after its rmdir fails (ESTALE, or "
        "ENOENT for libfuse2): high-level libfuse is path-based and the "
        "node has no path left to getattr by. Checked by hand on plain "
        "mounts of passthrough, sshfs, mergerfs (ESTALE), encfs and "
        "fuse2fs (ENOENT): mkdir e, open it, rmdir e, fstat.",
    ("libfuse-hl", "odirect"):
        "64 KiB O_DIRECT writes fail with EINVAL: the filesystem opens the "
        "backing file with the caller's O_DIRECT and writes it from "
        "libfuse's buffer, which ext4's O_DIRECT alignment refuses. Checked "
        "by hand on a plain passthrough mount: a 64 KiB O_DIRECT write from "
        "an aligned buffer fails EINVAL.",
    ("libfuse-hl", "xattr-remove"):
        "removexattr of a name the file does not have succeeds; Linux says "
        "ENODATA. Checked by hand on plain mounts of encfs and fuse2fs.",
    ("sshfs", "hardlinks"):
        "every name of a hard-linked file reports nlink 1 and an st_ino of "
        "its own (SFTP carries no link count; high-level libfuse without "
        "use_ino numbers each path). Checked by hand: ln a b; ln a h/c on a "
        "plain sshfs mount: stat gives nlink 1 1 1, st_ino 8 9 11.",
    ("sshfs", "long-names"):
        "a 256-byte name fails with EBADMSG, not ENAMETOOLONG. Checked by "
        "hand: open(O_CREAT) of a 256-byte name on a plain sshfs mount.",
    ("sshfs", "rename-over-dir"):
        "renaming a directory over a non-empty one fails with EPERM (SFTP's "
        "generic failure), where POSIX says ENOTEMPTY or EEXIST. Checked by "
        "hand on a plain sshfs mount.",
    ("sshfs", "symlink-readlink"):
        "readlink of a symlink whose target climbs (`../a`) fails with "
        "EPERM. Checked by hand: symlink ../a s/up; readlink s/up on a "
        "plain sshfs mount.",
    ("encfs", "hardlinks"):
        "a name's cached attributes keep the link count of when it was "
        "last looked up (high-level libfuse: a node per path): after ln a "
        "b; ln a h/c, stat b gives nlink 2. Checked by hand on a plain "
        "encfs mount (a 3, b 2, h/c 3).",
    ("mergerfs", "rename-over-dir"):
        "renaming a directory over a non-empty one fails with EXDEV, where "
        "POSIX says ENOTEMPTY or EEXIST. Checked by hand on a plain "
        "mergerfs mount.",
    ("fuse2fs", "long-names"):
        "a 256-byte name is not refused with ENAMETOOLONG: creating it "
        "fails EIO (the damaged directory entry the PR-DIRENT findings "
        "show). Checked by hand: "
        "open(O_CREAT) of a 256-byte name on a plain fuse2fs mount gives "
        "EIO.",
    ("rclone", "no-deferred-removal"):
        "no deferred removal: a file unlinked while open reports nlink 1 "
        "and its data is gone for the open descriptor (a read returns 0 "
        "bytes). Checked by hand on plain `rclone mount` and `mount2` "
        "mounts (--vfs-cache-mode writes): write hello, open, unlink: "
        "fstat nlink 1, pread 5 bytes returns b''.",
    ("rclone", "rename-over-open-target"):
        "both of rclone's known departures meet here, and which check fails "
        "first varies from run to run: the target, still open, is not "
        "kept (no deferred removal: nlink 1, its data gone, see "
        "unlink-open-fstat), and `rclone mount` gives the renamed file a "
        "new st_ino (the numbers follow the path, see rename-open-source).",
    ("rclone", "unlink-open-mmap"):
        "no deferred removal through a mapping either: once a mapped file "
        "is unlinked and its descriptor closed, every READ the page "
        "faults send is answered ENOENT, so the bytes cannot be read or "
        "written through the mapping (EFAULT; a plain load would be "
        "SIGBUS). Checked by hand on a plain `rclone mount` mount "
        "(--vfs-cache-mode writes): write 10 bytes, mmap shared, unlink, "
        "close, process_vm_readv of the mapping gives EFAULT (and rclone "
        "logs 'vfs cache: failed to _ensure cache object not found'); "
        "the same program on ext4 reads the 10 bytes.",
    ("rclone", "modes"):
        "modes asked for are not kept: mkdir 0700 gives 0755, create 0600 "
        "gives 0644 (rclone applies --dir-perms/--file-perms). Checked by "
        "hand on plain mounts of both.",
    ("rclone", "rename-over-dir"):
        "renaming a directory over an empty one fails with EEXIST; POSIX "
        "replaces it. Checked by hand on plain mounts of both.",
    ("rclone", "truncate"):
        "truncate(2) of a closed file fails with EIO. Checked by hand on "
        "plain mounts of both: truncate a 100-byte file to 10.",
    ("rclone-mount2", "rename-exchange"):
        "renameat2(RENAME_EXCHANGE) succeeds but does a plain rename: the "
        "target's data is lost. Checked by hand on a plain `rclone mount2` "
        "mount: a holds aa, b holds bbb; after the exchange only b is left, "
        "holding aa.",
    ("mergerfs", "lock-write-odirect"):
        "a 64 KiB O_DIRECT write from an aligned buffer fails with EINVAL "
        "through mergerfs (cache.files=off), while the same write "
        "straight into its branch on ext4 writes 65536 bytes. Checked by "
        "hand on a plain mergerfs mount.",
    ("rclone-mount2", "create-excl"):
        "fstat of a file opened with O_CREAT|O_TRUNC that already existed "
        "reports st_ino 0 (stat by name gives the real number). Checked by "
        "hand on a plain `rclone mount2` mount.",
    ("encfs", "long-names"):
        "encfs declares f_namemax 189 but refuses names of 188 and 189 "
        "bytes with ENAMETOOLONG (149 bytes work): the limit it declares "
        "is more than it takes. Checked by hand on a plain encfs mount "
        "(--standard).",
    ("mergerfs", "long-names"):
        "stat of a missing 256-byte name gives ENOENT, not ENAMETOOLONG "
        "(create of one is refused correctly). Checked by hand on a plain "
        "mergerfs mount.",
    ("rclone", "long-names"):
        "a 256-byte name is not refused with ENAMETOOLONG: create fails "
        "with EIO, stat of a missing one gives ENOENT. Checked by hand on a "
        "plain `rclone mount` mount and on a plain `rclone mount2` mount "
        "(touch of a 256-byte name: EIO; stat: ENOENT).",
    ("rclone", "rmdir-open-dir"):
        "a directory made under the name of a removed directory that is "
        "still open gets the same st_ino as the open one: two live inodes, "
        "one number. Checked by hand on a plain `rclone mount` mount.",
    ("rclone", "ino-after-rename"):
        "st_ino changes when a name or any directory above it is renamed: "
        "the numbers follow the path, not the file (they look like hashes "
        "of parent and name). Checked by hand on a plain `rclone mount` "
        "mount: mkdir p1 p2 p1/d; touch p1/d/f; mv p1/d p2/d: both st_ino "
        "change at once (the file's too, though only its parent moved), "
        "stay so after the attribute timeout and drop_caches, and mv p2/d "
        "p1/e gives a third pair (an earlier check that saw them kept was "
        "wrong). `rclone mount2` keeps a directory's st_ino across the "
        "same renames (checked by hand).",
    ("bindfs", "rename-noreplace"):
        "renameat2(RENAME_NOREPLACE) to a free name fails EINVAL: libfuse2 "
        "negotiates protocol 7.19 (< 7.23, no RENAME2), so the kernel "
        "refuses rename flags. Checked: `filesystem accepted 7.19` in the "
        "run's INIT line, and by hand on a plain bindfs mount "
        "(renameat2(a, b, RENAME_NOREPLACE) with b free: EINVAL). The "
        "probe's rename-noreplace check passed anyway (it only tries an "
        "existing target).",
}
NOTE_ALIASES_EXTRA = {("bindfs", s): ("bindfs", "hidden")
                      for s in ["parallel-unlink-open",
                                "unlink-open-ftruncate", "unlink-open-fstat",
                                "unlink-open-write", "many-fds-one-file",
                                "unlink-reuse-name-open"]}
# Scenarios that share one note.
NOTE_ALIASES = {
    ("fuse-overlayfs", s): ("fuse-overlayfs", "unlink-open")
    for s in ["many-fds-one-file", "parallel-unlink-open",
              "unlink-open-fstat", "unlink-open-ftruncate",
              "unlink-open-write", "unlink-reuse-name-open",
              "unlink-open-outstanding", "unlink-release-forget"]
}


for _fs in ("passthrough", "passthrough_fh", "sshfs", "encfs", "fuse2fs"):
    for _s in ("parallel-unlink-open", "unlink-open-ftruncate"):
        NOTE_ALIASES[(_fs, _s)] = ("libfuse-hl", "hidden")
for _fs in ("passthrough", "passthrough_fh", "sshfs", "encfs", "fuse2fs",
            "mergerfs"):
    NOTE_ALIASES[(_fs, "rmdir-open-dir")] = ("libfuse-hl", "rmdir-open-dir")
for _fs in ("passthrough", "passthrough_fh"):
    NOTE_ALIASES[(_fs, "lock-write-odirect")] = ("libfuse-hl", "odirect")
for _fs in ("encfs", "fuse2fs"):
    NOTE_ALIASES[(_fs, "xattrs")] = ("libfuse-hl", "xattr-remove")
for _fs in ("rclone", "rclone-mount2"):
    for _s in ("many-fds-one-file", "parallel-unlink-open",
               "rename-over-open-target", "unlink-open-fstat",
               "unlink-open-ftruncate", "unlink-open-outstanding",
               "unlink-open-then-mkdir", "unlink-open-write",
               "unlink-release-forget", "unlink-reuse-name-open",
               "unlink-open-read"):
        NOTE_ALIASES[(_fs, _s)] = ("rclone", "no-deferred-removal")
    for _s in ("create-close-quiesce", "mkdir-rmdir-tree"):
        NOTE_ALIASES[(_fs, _s)] = ("rclone", "modes")
    NOTE_ALIASES[(_fs, "rename-over-open-target")] = \
        ("rclone", "rename-over-open-target")
    NOTE_ALIASES[(_fs, "rename-over-dir")] = ("rclone", "rename-over-dir")
    NOTE_ALIASES[(_fs, "truncate")] = ("rclone", "truncate")
    NOTE_ALIASES[(_fs, "long-names")] = ("rclone", "long-names")
    for _s in ("rename-dir-across-parents", "rename-open-source",
               "non-utf8-names"):
        NOTE_ALIASES[(_fs, _s)] = ("rclone", "ino-after-rename")
NOTE_ALIASES[("fuse-overlayfs", "unlink-open-then-mkdir")] = \
    ("fuse-overlayfs", "unlink-open")
NOTE_ALIASES.update(NOTE_ALIASES_EXTRA)


def version(profile):
    pkg = PACKAGES.get(profile)
    if not pkg:
        return "(bundled)"
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                       capture_output=True, text=True)
    return f"{pkg} {r.stdout.strip()}" if r.returncode == 0 else "not installed"


def run_profile(fusecheck, profile, out):
    args = [fusecheck, "run", "--no-color", "--profile", profile, "--out",
            out, os.path.join(REPO, "scenarios")]
    args += [os.path.join(REPO, p) for p in EXTRA.get(profile, [])]
    t0 = time.time()
    proc = subprocess.run(args, capture_output=True, text=True,
                          errors="replace", cwd=REPO)
    path = os.path.join(out, "report.json")
    report = json.load(open(path)) if os.path.exists(path) else None
    return proc, report, time.time() - t0


def note_for(profile, scn):
    key = NOTE_ALIASES.get((profile, scn), (profile, scn))
    return NOTES.get(key, "not yet checked by hand")


def row(profile, proc, report):
    if not report:
        return (f"| {profile} | {version(profile)} | - | - | - | - | "
                f"fusecheck exit {proc.returncode}: "
                f"{proc.stderr.strip().splitlines()[-1:]} |"), []
    run = report["run"]
    t = report["totals"]
    failed = [s for s in report["scenarios"] if s["status"] == "fail"]
    rules = {}
    for s in failed:
        for v in s["violations"]:
            rules[v["rule"]] = rules.get(v["rule"], 0) + 1
    viol = ", ".join(f"{r} ×{n}" for r, n in sorted(rules.items())) or "none"
    line = (f"| {profile} | {version(profile)} | {run.get('attach')} | "
            f"{t.get('passed', 0)} | {t.get('failed', 0)} | {t.get('skipped', 0)}"
            f" | {t.get('broken', 0)} | {viol} |")
    return line, failed


def lc_row(profile, report):
    """How much of the lookup-count contract the run exercised, and which
    LC/LF rules had something to judge."""
    if not report:
        return f"| {profile} | - | - | - | - | - | - | - |"
    lc = report["run"].get("lookup_counts", {})
    chance = []
    if lc.get("handed_out"):
        chance += ["LC-FORGET-EXCESS", "LC-UNREFERENCED-NODEID"]
    if lc.get("balances_judged"):
        chance.append("LC-QUIESCE-BALANCE")
    if lc.get("relookups_judged"):
        chance.append("LC-NODEID-UNSTABLE")
    if lc.get("ledger_compares"):
        chance.append("LF-*")
    return (f"| {profile} | {lc.get('handed_out', 0)} | "
            f"{lc.get('returned', 0)} | {lc.get('balances_judged', 0)} | "
            f"{lc.get('relookups_judged', 0)} | "
            f"{lc.get('ledger_compares', 0)} | {lc.get('evicted', 0)} | "
            f"{' '.join(chance) or 'none'} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get(
        "FUSECHECK_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--out", default="/tmp/fusecheck-conformance")
    ap.add_argument("--doc", default=os.path.join(REPO, "docs",
                                                  "conformance.md"))
    ap.add_argument("--reports", action="store_true",
                    help="write the document from the report.json files "
                    "already in --out (after editing NOTES), running nothing")
    ap.add_argument("profiles", nargs="*", default=PROFILES)
    a = ap.parse_args()
    fusecheck = os.path.join(a.build, "harness", "fusecheck")
    os.makedirs(a.out, exist_ok=True)
    rows, details, lc_rows = [], [], []
    kernel = libfuse = "?"
    for p in a.profiles:
        print(f"conformance: {p} ...", file=sys.stderr, flush=True)
        if a.reports:
            path = os.path.join(a.out, p, "report.json")
            proc = subprocess.CompletedProcess([], 2, "", "no report.json")
            report = json.load(open(path)) if os.path.exists(path) else None
        else:
            proc, report, _secs = run_profile(fusecheck, p,
                                              os.path.join(a.out, p))
        line, failed = row(p, proc, report)
        rows.append(line)
        lc_rows.append(lc_row(p, report))
        if report:
            kernel = report["run"]["kernel_release"]
            libfuse = report["run"]["libfuse_version"]
        for s in failed:
            first = s["violations"][0] if s["violations"] else {}
            details.append(
                f"| {p} | {s['name']} | {len(s['violations'])} | "
                f"{first.get('rule', '')}: "
                f"{first.get('detail', '').replace('|', '/')[:90]} | "
                f"{note_for(p, s['name'])} |")
    with open(a.doc, "w") as f:
        f.write(CONFORMANCE_HEAD.format(kernel=kernel, libfuse=libfuse))
        f.write("| filesystem | version | attach | passed | failed | "
                "skipped | broken | violations (rule × count) |\n")
        f.write("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
        f.write("\n".join(rows) + "\n\n")
        f.write(LC_HEAD)
        f.write("| filesystem | references handed out | returned by "
                "FORGET | balances judged | re-lookups judged | "
                "reference-ledger comparisons | names evicted | rules "
                "with something to judge |\n")
        f.write("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
        f.write("\n".join(lc_rows) + "\n\n")
        f.write("## Failed scenarios, explained\n\n")
        if details:
            f.write("| filesystem | scenario | violations | first "
                    "violation | what it is, and how it was checked |\n")
            f.write("| --- | --- | --- | --- | --- |\n")
            f.write("\n".join(details) + "\n")
        else:
            f.write("None.\n")
    print(f"conformance: wrote {a.doc}", file=sys.stderr)
    return 0


LC_HEAD = """## Lookup counts exercised

A lookup-count rule with nothing to judge passes vacuously. From each
run's report.json (`run.lookup_counts`): references the kernel took from
entry replies, references FORGET gave back, balance judgments after a
settled quiesce, LOOKUPs of names the kernel held that were judged for a
stable nodeid, comparisons with the filesystem's own counts (only the
reference memfs shows them), and names the `evict` statements made the
kernel drop.

"""

CONFORMANCE_HEAD = """# Conformance of real filesystems

Generated by `scripts/conformance.py` (as root, after a build:
`/usr/bin/python3 scripts/conformance.py`); do not edit by hand — the
explanations live in the script's NOTES.  Each row is one `fusecheck run
--profile NAME` over the bundled scenarios (and, for the read-only
squashfs profiles, `fsmodels/profiles/scenarios/readonly-tree.scn`).
Profiles are in `fsmodels/profiles/`, attach methods in docs/attach.md.
Skipped scenarios need what the filesystem does not provide (read-only
filesystems skip every scenario that writes; `refledger` only the
reference memfs has).

Kernel {kernel}, libfuse {libfuse}.

"""

if __name__ == "__main__":
    sys.exit(main())
