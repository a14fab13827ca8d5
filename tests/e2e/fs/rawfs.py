#!/usr/bin/python3
"""rawfs: a minimal FUSE filesystem that speaks the raw protocol over the
connection it is given (/dev/fd/N), with switches to misbehave.

It keeps a small in-memory tree (directories and regular files: lookup,
getattr, setattr, mkdir, create, open, read, write, unlink, rmdir,
readdir, readdirplus, statfs) and answers everything else ENOSYS, so the
capability probe and a scenario's working directory work.  Nodeids are
never reused.

Misbehaviour, each aimed at one name so the probe stays clean:
  --garbage KIND   LOOKUP of "garbage": length, oversize, unknown-unique,
                   duplicate-unique, error-minus, error-plus;
                   MKDIR of "garbage": entry-nodeid0;
                   READDIR(PLUS) of a directory named "garbage":
                   dirent-truncated, dirent-namelen, dirent-slash,
                   dirent-nul; a zero-length message (empty);
                   INIT: init-short.
  --hang NAME      never answer a LOOKUP of NAME
  --stop NAME      SIGSTOP itself on a LOOKUP of NAME
  --die NAME:HOW   on a LOOKUP of NAME: HOW = kill (SIGKILL), abort, exit
  --init HOW       answer INIT with an error (error) or major 6 (major6)
  --deaf NAME      after answering the CREATE of NAME, never read again
  --notify-flood NAME
                   MKDIR of NAME is never answered; instead an
                   INVAL_ENTRY for it (which waits for the directory lock
                   the MKDIR holds) and then a flood of them
  --forks N[:chain]
                   at start, fork N children (or a chain N deep) that
                   ignore SIGTERM and sleep
  --ignore-eof     keep running (and sleeping) after the connection ends
  --control-fd N   the {control} channel: answer every command with
                   endless ledger records

Usage: rawfs.py [OPTIONS] /dev/fd/N
"""
import argparse
import errno
import os
import signal
import stat
import struct
import sys
import time

IN_HEADER = struct.Struct("<IIQQIIIHH")
OUT_HEADER = struct.Struct("<IiQ")
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")
ENTRY_HEAD = struct.Struct("<QQQQII")
ATTR_OUT_HEAD = struct.Struct("<QII")
OPEN_OUT = struct.Struct("<QII")
INIT_IN = struct.Struct("<IIII")
INIT_OUT = struct.Struct("<IIIIHHIIHHII24x")
READ_IN = struct.Struct("<QQII")
WRITE_IN = struct.Struct("<QQII")
WRITE_OUT = struct.Struct("<II")
MKDIR_IN = struct.Struct("<II")
CREATE_IN = struct.Struct("<IIII")
SETATTR_IN = struct.Struct("<IIQQQQQQIIIIIIII")
FORGET_ONE = struct.Struct("<QQ")
DIRENT = struct.Struct("<QQII")
STATFS_OUT = struct.Struct("<QQQQQIIII24x")

LOOKUP, FORGET, GETATTR, SETATTR = 1, 2, 3, 4
MKDIR, UNLINK, RMDIR = 9, 10, 11
OPEN, READ, WRITE, STATFS, RELEASE = 14, 15, 16, 17, 18
FLUSH, INIT, OPENDIR, READDIR, RELEASEDIR = 25, 26, 27, 28, 29
FSYNC, FSYNCDIR, ACCESS, CREATE, INTERRUPT = 20, 30, 34, 35, 36
DESTROY, BATCH_FORGET, READDIRPLUS = 38, 42, 44
NO_REPLY = {FORGET, BATCH_FORGET, INTERRUPT}
FUSE_DO_READDIRPLUS = 1 << 13
NOTIFY_INVAL_ENTRY = 3
NOTIFY_INVAL_ENTRY_OUT = struct.Struct("<QII")
CTL_HDR = struct.Struct("<IIII")
FATTR_SIZE = 1 << 3
TAP_BUF = (1 << 20) + 65536

GARBAGE = ["length", "oversize", "unknown-unique", "duplicate-unique",
           "error-minus", "error-plus", "entry-nodeid0", "dirent-truncated",
           "dirent-namelen", "dirent-slash", "dirent-nul", "init-short",
           "empty"]


class Node:
    def __init__(self, nodeid, mode, name, parent):
        self.nodeid, self.mode, self.name, self.parent = nodeid, mode, name, parent
        self.children = {} if stat.S_ISDIR(mode) else None
        self.data = bytearray()
        self.nlink = 2 if self.children is not None else 1


def pad8(b):
    return b + b"\0" * ((8 - len(b) % 8) % 8)


class RawFs:
    def __init__(self, fd, opts):
        self.fd, self.o = fd, opts
        self.nodes = {1: Node(1, stat.S_IFDIR | 0o755, b"", 1)}
        self.next_id = 2
        self.plus = False
        self.listed = False

    # --- replies ---------------------------------------------------------

    def send(self, unique, error=0, body=b"", hdr_len=None):
        n = OUT_HEADER.size + len(body)
        os.write(self.fd, OUT_HEADER.pack(n if hdr_len is None else hdr_len,
                                          error, unique) + body)

    def attr(self, n):
        size = len(n.data)
        return ATTR.pack(n.nodeid, size, (size + 511) // 512, 0, 0, 0, 0, 0,
                         0, n.mode, n.nlink, 0, 0, 0, 4096, 0)

    def entry(self, n, nodeid=None):
        return ENTRY_HEAD.pack(n.nodeid if nodeid is None else nodeid, 0,
                               1, 1, 0, 0) + self.attr(n)

    # --- the tree --------------------------------------------------------

    def child(self, parent, name):
        p = self.nodes.get(parent)
        if not p or p.children is None:
            return None
        cid = p.children.get(name)
        return self.nodes.get(cid) if cid else None

    def make(self, parent, name, mode):
        p = self.nodes[parent]
        n = Node(self.next_id, mode, name, parent)
        self.next_id += 1
        self.nodes[n.nodeid] = n
        p.children[name] = n.nodeid
        if n.children is not None:
            p.nlink += 1
        return n

    # --- misbehaviour ----------------------------------------------------

    def lookup_garbage(self, unique, name):
        """1 when the LOOKUP was handled (or deliberately not)."""
        o = self.o
        if o.hang and name == o.hang.encode():
            return 1
        if o.stop and name == o.stop.encode():
            os.kill(os.getpid(), signal.SIGSTOP)
            return 0
        if o.die and name == o.die.split(":")[0].encode():
            how = o.die.split(":")[1]
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif how == "abort":
                os.abort()
            os._exit(3)
        if name != b"garbage" or not o.garbage:
            return 0
        k = o.garbage
        if k == "length":
            self.send(unique, -errno.ENOENT, hdr_len=OUT_HEADER.size + 8)
            return 1
        if k == "oversize":
            self.send(unique, 0, b"\0" * (2 * TAP_BUF))
            return 1
        if k == "empty":
            os.write(self.fd, b"")
            return 1
        if k == "unknown-unique":
            self.send(unique + (1 << 40), -errno.ENOENT)
        elif k == "duplicate-unique":
            self.send(unique, -errno.ENOENT)
        elif k == "error-minus":
            self.send(unique, -5000)
        elif k == "error-plus":
            self.send(unique, 3)
        self.send(unique, -errno.ENOENT)
        return 1

    def dirents(self, d, off, size, plus):
        entries = [(name, self.nodes[cid]) for name, cid in
                   sorted(d.children.items())]
        garbage = self.o.garbage if d.name == b"garbage" else None
        if garbage and garbage.startswith("dirent-") and not self.listed:
            # once: the harness's cleanup then sees an honest listing
            self.listed = off == 0
            return b"" if off else self.bad_dirents(garbage, plus)
        out = b""
        for i, (name, n) in enumerate(entries[off:], off + 1):
            rec = DIRENT.pack(n.nodeid, i, len(name), (n.mode >> 12) & 15)
            rec = pad8(rec + name)
            if plus:
                rec = self.entry(n) + rec
            if len(out) + len(rec) > size:
                break
            out += rec
        return out

    def bad_dirents(self, kind, plus):
        def rec(name, namelen=None, cut=None):
            r = pad8(DIRENT.pack(1000, 1, len(name) if namelen is None
                                 else namelen, 8) + name)
            if plus:
                r = ENTRY_HEAD.pack(0, 0, 0, 0, 0, 0) + ATTR.pack(
                    1000, 0, 0, 0, 0, 0, 0, 0, 0, stat.S_IFREG | 0o644, 1,
                    0, 0, 0, 4096, 0) + r
            return r[:cut] if cut else r
        good = rec(b"ok")
        if kind == "dirent-truncated":
            return good + rec(b"cut", cut=20)
        # first, so the kernel emits nothing and getdents fails (EIO)
        if kind == "dirent-namelen":
            return rec(b"long", namelen=5000) + good
        if kind == "dirent-slash":
            return rec(b"a/b") + good
        return good + rec(b"a\0b")

    # --- requests --------------------------------------------------------

    def handle(self, msg):
        ln, op, unique, nodeid = IN_HEADER.unpack_from(msg)[:4]
        arg = msg[IN_HEADER.size:ln]
        if op in NO_REPLY:
            return
        if op == DESTROY:
            self.send(unique)
            return
        try:
            err, body = self.dispatch(op, unique, nodeid, arg)
        except KeyError:
            err, body = -errno.ENOENT, b""
        if err is not None:
            self.send(unique, err, body)

    def dispatch(self, op, unique, nodeid, arg):
        n = self.nodes.get(nodeid)
        if op == INIT:
            major, minor, readahead, flags = INIT_IN.unpack_from(arg)
            if self.o.init == "error":
                return -errno.EPROTO, b""
            if self.o.init == "major6":
                return 0, INIT_OUT.pack(6, 1, readahead, 0, 16, 12, 65536,
                                        1, 0, 0, 0, 0)
            if self.o.garbage == "init-short":
                return 0, struct.pack("<II", 7, min(minor, 38))
            self.plus = bool(flags & FUSE_DO_READDIRPLUS)
            return 0, INIT_OUT.pack(7, min(minor, 38), readahead,
                                    flags & FUSE_DO_READDIRPLUS, 16, 12,
                                    65536, 1, 0, 0, 0, 0)
        if op == LOOKUP:
            name = arg.split(b"\0")[0]
            if self.lookup_garbage(unique, name):
                return None, b""
            c = self.child(nodeid, name)
            return (0, self.entry(c)) if c else (-errno.ENOENT, b"")
        if n is None:
            return -errno.ENOENT, b""
        if op in (GETATTR, SETATTR):
            if op == SETATTR:
                v = SETATTR_IN.unpack_from(arg)
                if v[0] & FATTR_SIZE:
                    size = v[3]
                    n.data = n.data[:size] + b"\0" * max(0, size - len(n.data))
            return 0, ATTR_OUT_HEAD.pack(1, 0, 0) + self.attr(n)
        if op == MKDIR:
            mode = MKDIR_IN.unpack_from(arg)[0]
            name = arg[MKDIR_IN.size:].split(b"\0")[0]
            if self.o.notify_flood and name == self.o.notify_flood.encode():
                note = NOTIFY_INVAL_ENTRY_OUT.pack(nodeid, len(name), 0) + \
                    name + b"\0"
                while True:
                    try:
                        os.write(self.fd, OUT_HEADER.pack(
                            OUT_HEADER.size + len(note), NOTIFY_INVAL_ENTRY,
                            0) + note)
                    except OSError:
                        return None, b""
            if self.child(nodeid, name):
                return -errno.EEXIST, b""
            if name == b"garbage" and self.o.garbage == "entry-nodeid0":
                return 0, self.entry(Node(0, stat.S_IFDIR | 0o755, name,
                                          nodeid), nodeid=0)
            return 0, self.entry(self.make(nodeid, name,
                                           stat.S_IFDIR | (mode & 0o7777)))
        if op == CREATE:
            flags, mode = CREATE_IN.unpack_from(arg)[:2]
            name = arg[CREATE_IN.size:].split(b"\0")[0]
            if self.o.deaf and name == self.o.deaf.encode():
                c = self.make(nodeid, name, stat.S_IFREG | 0o644)
                self.send(unique, 0, self.entry(c) +
                          OPEN_OUT.pack(c.nodeid, 0, 0))
                while True:
                    time.sleep(3600)
            c = self.child(nodeid, name)
            if c and flags & os.O_EXCL:
                return -errno.EEXIST, b""
            if not c:
                c = self.make(nodeid, name, stat.S_IFREG | (mode & 0o7777))
            return 0, self.entry(c) + OPEN_OUT.pack(c.nodeid, 0, 0)
        if op in (UNLINK, RMDIR):
            name = arg.split(b"\0")[0]
            c = self.child(nodeid, name)
            if not c:
                return -errno.ENOENT, b""
            if op == RMDIR and c.children:
                return -errno.ENOTEMPTY, b""
            del n.children[name]
            c.nlink = 0
            if op == RMDIR:
                n.nlink -= 1
            return 0, b""
        if op in (OPEN, OPENDIR):
            return 0, OPEN_OUT.pack(nodeid, 0, 0)
        if op == READ:
            fh, off, size, _ = READ_IN.unpack_from(arg)
            return 0, bytes(n.data[off:off + size])
        if op == WRITE:
            fh, off, size, _ = WRITE_IN.unpack_from(arg)
            data = arg[40:40 + size]
            if len(n.data) < off:
                n.data += b"\0" * (off - len(n.data))
            n.data[off:off + len(data)] = data
            return 0, WRITE_OUT.pack(len(data), 0)
        if op in (READDIR, READDIRPLUS):
            fh, off, size, _ = READ_IN.unpack_from(arg)
            return 0, self.dirents(n, off, size, op == READDIRPLUS)
        if op == STATFS:
            return 0, STATFS_OUT.pack(1000, 500, 500, 1000, 500, 4096, 255,
                                      4096, 0)
        if op in (RELEASE, RELEASEDIR, FLUSH, FSYNC, FSYNCDIR, ACCESS):
            return 0, b""
        return -errno.ENOSYS, b""

    def serve(self):
        while True:
            try:
                msg = os.read(self.fd, TAP_BUF)
            except InterruptedError:
                continue
            except OSError as e:
                if e.errno in (errno.ENODEV, errno.ECONNRESET):
                    return 0
                raise
            if not msg:
                return 0
            self.handle(msg)


def sleeper():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(3600)


def start_forks(spec):
    """N children that ignore SIGTERM, or (N:chain) a chain N deep."""
    n, _, how = spec.partition(":")
    top = os.getpid()
    for _ in range(int(n)):
        if os.fork() == 0:
            if how != "chain":
                sleeper()
            continue            # chain: this child forks the next
        if os.getpid() != top:
            sleeper()           # a middle link of the chain
        if how == "chain":
            return
    if os.getpid() != top:
        sleeper()               # the chain's last link


def control_flood(fd):
    """Answer every control command with records that never end."""
    if os.fork():
        return
    rec = b"\0" * 40
    while True:
        try:
            os.read(fd, 16)
            while True:
                os.write(fd, CTL_HDR.pack(0x31534346, 1, 0, 0) + rec)
        except OSError:
            os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--garbage", choices=GARBAGE)
    ap.add_argument("--hang")
    ap.add_argument("--stop")
    ap.add_argument("--die")
    ap.add_argument("--init", choices=["error", "major6"])
    ap.add_argument("--deaf")
    ap.add_argument("--notify-flood")
    ap.add_argument("--forks")
    ap.add_argument("--ignore-eof", action="store_true")
    ap.add_argument("--control-fd", type=int)
    ap.add_argument("mountpoint")
    o = ap.parse_args()
    if not o.mountpoint.startswith("/dev/fd/"):
        sys.exit("rawfs: needs /dev/fd/N, not %s" % o.mountpoint)
    if o.forks:
        start_forks(o.forks)
    if o.control_fd is not None:
        control_flood(o.control_fd)
    rc = RawFs(int(o.mountpoint[len("/dev/fd/"):]), o).serve()
    if o.ignore_eof:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(3600)
    return rc


if __name__ == "__main__":
    sys.exit(main())
