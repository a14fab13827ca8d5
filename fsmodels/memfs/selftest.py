#!/usr/bin/python3
"""selftest.py - drive memfs by hand: mount it on a scratch directory, run
file operations through the mount, read its ledger over --control-fd, drop
caches and check that every nlookup returns to zero and unlinked files are
freed.  Run as root inside a private mount namespace:

    unshare -m --propagation private /usr/bin/python3 selftest.py MEMFS [memfs options]
"""
import ctypes
import errno
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

HDR = struct.Struct("=IIII")
REC = struct.Struct("=QQQIIII")
MAGIC = 0x31534346


def snapshot(sock):
    sock.send(b"S")
    recs = {}
    while True:
        msg = sock.recv(65536)
        magic, count, last, _ = HDR.unpack_from(msg)
        assert magic == MAGIC, hex(magic)
        assert len(msg) == HDR.size + count * REC.size, (len(msg), count)
        for i in range(count):
            nodeid, ino, nlookup, nlink, nopen, mode, _ = REC.unpack_from(
                msg, HDR.size + i * REC.size)
            recs[nodeid] = dict(nlookup=nlookup, nlink=nlink, nopen=nopen,
                                mode=mode)
        if last:
            return recs


def mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def quiesce(sock, settle=0.5, timeout=10):
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2")
    end = time.time() + timeout
    prev = None
    while time.time() < end:
        time.sleep(settle)
        cur = snapshot(sock)
        if cur == prev:
            return cur
        prev = cur
    return prev


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        check.failed += 1


check.failed = 0


def exercise(m, sock, nfiles):
    # create / write / read
    p = os.path.join(m, "f")
    with open(p, "w") as f:
        f.write("hello")
    with open(p) as f:
        check(f.read() == "hello", "write then read")
    # unlink while open: data and fstat survive
    fd = os.open(p, os.O_RDWR)
    ino = os.fstat(fd).st_ino
    os.unlink(p)
    st = os.fstat(fd)
    check(st.st_nlink == 0, "fstat nlink 0 after unlink")
    check(os.pread(fd, 5, 0) == b"hello", "read after unlink")
    os.pwrite(fd, b"world", 5)
    os.ftruncate(fd, 10)
    check(os.fstat(fd).st_size == 10, "ftruncate after unlink")
    snap = snapshot(sock)
    check(ino in snap and snap[ino]["nopen"] >= 1 and
          snap[ino]["nlink"] == 0, "unlinked open inode alive in ledger")
    os.close(fd)
    # rename over an open target
    a, b = os.path.join(m, "a"), os.path.join(m, "b")
    for n in (a, b):
        with open(n, "w") as f:
            f.write(n)
    fd = os.open(b, os.O_RDONLY)
    bino = os.fstat(fd).st_ino
    os.rename(a, b)
    check(os.read(fd, 100) == b.encode(), "renamed-over target readable")
    snap = snapshot(sock)
    check(bino in snap and snap[bino]["nlink"] == 0,
          "renamed-over inode alive with nlink 0")
    os.close(fd)
    # rename flags through renameat2(2)
    libc = ctypes.CDLL(None, use_errno=True)
    AT_FDCWD, NOREPLACE, EXCHANGE = -100, 1, 2

    def rename2(x, y, flags):
        if libc.renameat2(AT_FDCWD, x.encode(), AT_FDCWD, y.encode(),
                          flags) == 0:
            return 0
        return ctypes.get_errno()

    with open(a, "w") as f:
        f.write("A")
    check(rename2(a, b, NOREPLACE) == errno.EEXIST, "RENAME_NOREPLACE: EEXIST")
    check(rename2(a, b, EXCHANGE) == 0 and open(a).read() != "A" and
          open(b).read() == "A", "RENAME_EXCHANGE swaps")
    check(rename2(a, b, 4 | 1) != 0, "invalid rename flags refused")
    check(rename2(a, os.path.join(m, "none"), EXCHANGE) == errno.ENOENT,
          "RENAME_EXCHANGE with missing target: ENOENT")
    # directories: nlink, ENOTEMPTY, rename into own subtree
    d = os.path.join(m, "d")
    os.mkdir(d)
    os.mkdir(os.path.join(d, "s1"))
    os.mkdir(os.path.join(d, "s2"))
    check(os.stat(d).st_nlink == 4, "dir nlink 2 + subdirs")
    try:
        os.rmdir(d)
        check(False, "rmdir non-empty")
    except OSError as e:
        check(e.errno == errno.ENOTEMPTY, "rmdir non-empty: ENOTEMPTY")
    try:
        os.rename(d, os.path.join(d, "s1", "x"))
        check(False, "rename into own subtree")
    except OSError as e:
        check(e.errno == errno.EINVAL, "rename into own subtree: EINVAL")
    os.mkdir(os.path.join(m, "e"))
    os.mkdir(os.path.join(m, "e", "x"))
    try:
        os.rename(d, os.path.join(m, "e"))
        check(False, "dir over non-empty dir")
    except OSError as e:
        check(e.errno == errno.ENOTEMPTY, "dir over non-empty dir: ENOTEMPTY")
    os.rename(os.path.join(d, "s2"), os.path.join(m, "s2"))
    check(os.stat(d).st_nlink == 3 and os.stat(m).st_nlink >= 5,
          "nlink follows a moved directory")
    # links, symlinks, fifos, xattrs
    with open(a, "w") as f:
        f.write("x")
    os.link(a, os.path.join(m, "a2"))
    check(os.stat(a).st_nlink == 2, "link nlink 2")
    os.symlink("a", os.path.join(m, "sl"))
    check(os.readlink(os.path.join(m, "sl")) == "a", "readlink")
    os.mkfifo(os.path.join(m, "fifo"))
    check(os.path.exists(os.path.join(m, "fifo")), "mkfifo")
    os.setxattr(a, "user.k", b"v" * 100)
    check(os.getxattr(a, "user.k") == b"v" * 100, "getxattr")
    try:
        os.setxattr(a, "user.k", b"w", os.XATTR_CREATE)
        check(False, "XATTR_CREATE on existing")
    except OSError as e:
        check(e.errno == errno.EEXIST, "XATTR_CREATE on existing: EEXIST")
    try:
        os.setxattr(a, "user.n", b"w", os.XATTR_REPLACE)
        check(False, "XATTR_REPLACE on missing")
    except OSError as e:
        check(e.errno == errno.ENODATA, "XATTR_REPLACE on missing: ENODATA")
    check("user.k" in os.listxattr(a), "listxattr")
    os.removexattr(a, "user.k")
    check(os.listxattr(a) == [], "removexattr")
    os.utime(a, (1, 2))
    check(os.stat(a).st_mtime == 2, "utime")
    os.chmod(a, 0o600)
    check(os.stat(a).st_mode & 0o777 == 0o600, "chmod")
    # a big directory, listed in several batches
    big = os.path.join(m, "big")
    os.mkdir(big)
    for i in range(nfiles):
        with open(os.path.join(big, "f%05d" % i), "w"):
            pass
    names = os.listdir(big)
    check(len(names) == nfiles and len(set(names)) == nfiles,
          "listdir of %d files" % nfiles)
    for n in names[: nfiles // 2]:
        os.unlink(os.path.join(big, n))
    check(len(os.listdir(big)) == nfiles - nfiles // 2, "listdir after unlink")


def main():
    memfs = os.path.abspath(sys.argv[1])
    extra = sys.argv[2:]
    m = tempfile.mkdtemp(prefix="memfs-mnt-")
    log = m + ".log"
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    fds = [theirs.fileno()]
    mountpoint = m
    if os.environ.get("DEVFD"):
        # mount /dev/fuse ourselves, hand memfs the open fd as /dev/fd/N
        dev = os.open("/dev/fuse", os.O_RDWR)
        subprocess.check_call(
            ["mount", "-i", "-t", "fuse", "-o",
             "fd=%d,rootmode=40000,user_id=0,group_id=0" % dev,
             "memfs", m], pass_fds=[dev])
        fds.append(dev)
        mountpoint = "/dev/fd/%d" % dev
    proc = subprocess.Popen(
        [memfs, "--control-fd=%d" % theirs.fileno(), "--log=" + log]
        + extra + [mountpoint], pass_fds=fds)
    theirs.close()
    if os.environ.get("DEVFD"):
        os.close(dev)
    try:
        for _ in range(100):
            if mounted(m):
                break
            time.sleep(0.05)
        snap = snapshot(ours)
        check(list(snap) == [1], "empty fs snapshot lists the root")
        exercise(m, ours, int(os.environ.get("NFILES", "3000")))
        snap = quiesce(ours)
        bad = {k: v for k, v in snap.items() if k != 1 and v["nlookup"]}
        check(not bad, "all nlookup zero after drop_caches (%d left)"
              % len(bad))
        dead = {k: v for k, v in snap.items() if v["nlink"] == 0}
        check(not dead, "unlinked inodes freed (%d left)" % len(dead))
        check(len(snap) > 1000, "snapshot spans several messages (%d)"
              % len(snap))
    finally:
        if subprocess.call(["umount", m]):
            subprocess.call(["umount", "-l", m])  # a descriptor leaked
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        ours.close()
        os.rmdir(m)
    print("memfs exit", proc.returncode, "log", log)
    return 1 if check.failed or proc.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
