"""fclog.py - write fusecheck event logs by hand, for tests of `replay`.

The layout is the one of docs/report.md ("Event log"), harness/capture/evlog.h
(struct fc_log_rec) and include/fusecheck/event.h (payloads), with FUSE messages laid
out as <linux/fuse.h> (protocol 7.38) on x86_64: native little-endian,
natural alignment, no packing surprises.  Every struct below names the C
struct it mirrors and its size, so a layout change shows up as a size
mismatch in the asserts at the bottom of this file.

A LogWriter numbers events (seq from 1) and stamps times by itself; each
method returns the seq of the event it wrote (request methods return a Req
with the seq and the unique).  Higher-level helpers (lookup, mkdir, ...)
write a request and its reply and return both seqs, so tests read like the
traffic they describe.
"""

import os
import struct
from collections import namedtuple

# version 2: the file ends with a LOG_END record (to_bytes adds it)
MAGIC = b"FCLOG\0\0\2"
MAGIC_V1 = b"FCLOG\0\0\1"

# enum fc_ev_kind (include/fusecheck/event.h)
EV_REQUEST = 1
EV_REPLY = 2
EV_NOTIFY = 3
EV_REPLY_REJECTED = 4
EV_MOUNT = 5
EV_UNMOUNT = 6
EV_SCENARIO = 7
EV_MARK = 8
EV_QUIESCE = 9
EV_CHECK = 10
EV_FS_LEDGER = 11
EV_INIT_CAP = 12
EV_EXPECT = 13
EV_PROVOKE = 14
EV_LOG_END = 15

# enum fc_scn_phase / fc_scn_status
SCN_BEGIN = 1
SCN_END = 2
ST_PASS = 0
ST_FAIL = 1
ST_SKIP = 2
ST_BROKEN = 3

# enum fc_quiesce_method
Q_DROP_CACHES = 1
Q_NONE = 2
Q_NOTIFY = 3
Q_PRUNE = 4

# enum fc_check_kind
CHECK_BALANCED = 1
CHECK_OUTSTANDING = 2
CHECK_ALIVE = 3
CHECK_FREED = 4
CHECK_WATCH = 7
CHECK_HANDED = 8
CHECK_HANDED_MIN = 9
CHECK_FORGOTTEN = 10
CHECK_FORGOTTEN_MIN = 11

# enum fuse_opcode (<linux/fuse.h>)
LOOKUP = 1
FORGET = 2
GETATTR = 3
SETATTR = 4
READLINK = 5
SYMLINK = 6
MKNOD = 8
MKDIR = 9
UNLINK = 10
RMDIR = 11
RENAME = 12
LINK = 13
OPEN = 14
READ = 15
WRITE = 16
STATFS = 17
RELEASE = 18
FSYNC = 20
SETXATTR = 21
GETXATTR = 22
LISTXATTR = 23
REMOVEXATTR = 24
FLUSH = 25
INIT = 26
OPENDIR = 27
READDIR = 28
RELEASEDIR = 29
FSYNCDIR = 30
ACCESS = 34
CREATE = 35
INTERRUPT = 36
DESTROY = 38
BATCH_FORGET = 42
READDIRPLUS = 44
RENAME2 = 45
TMPFILE = 51

NOTIFY_DELETE = 6
RENAME_EXCHANGE = 1 << 1

# INIT flags
FUSE_ASYNC_READ = 1 << 0
FUSE_EXPORT_SUPPORT = 1 << 4
FUSE_DO_READDIRPLUS = 1 << 13
FUSE_MAX_PAGES = 1 << 22
FUSE_INIT_EXT = 1 << 30

# file types (st_mode)
S_IFDIR = 0o040000
S_IFREG = 0o100000
S_IFLNK = 0o120000
S_IFIFO = 0o010000
DT_DIR = 4
DT_REG = 8

ROOT_ID = 1

# --- C layouts -------------------------------------------------------------

LOG_REC = struct.Struct("<QQIIII")          # struct fc_log_rec, 32
IN_HEADER = struct.Struct("<IIQQIIIHH")     # struct fuse_in_header, 40
OUT_HEADER = struct.Struct("<IiQ")          # struct fuse_out_header, 16
# struct fuse_attr, 88: ino size blocks atime mtime ctime, atimensec
# mtimensec ctimensec mode nlink uid gid rdev blksize flags
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")
ENTRY_OUT_HEAD = struct.Struct("<QQQQII")   # fuse_entry_out before attr, 40
FORGET_IN = struct.Struct("<Q")             # struct fuse_forget_in, 8
FORGET_ONE = struct.Struct("<QQ")           # struct fuse_forget_one, 16
BATCH_FORGET_IN = struct.Struct("<II")      # struct fuse_batch_forget_in, 8
MKNOD_IN = struct.Struct("<IIII")           # struct fuse_mknod_in, 16
MKDIR_IN = struct.Struct("<II")             # struct fuse_mkdir_in, 8
RENAME_IN = struct.Struct("<Q")             # struct fuse_rename_in, 8
RENAME2_IN = struct.Struct("<QII")          # struct fuse_rename2_in, 16
LINK_IN = struct.Struct("<Q")               # struct fuse_link_in, 8
OPEN_IN = struct.Struct("<II")              # struct fuse_open_in, 8
CREATE_IN = struct.Struct("<IIII")          # struct fuse_create_in, 16
OPEN_OUT = struct.Struct("<QIi")            # struct fuse_open_out, 16
RELEASE_IN = struct.Struct("<QIIQ")         # struct fuse_release_in, 24
READ_IN = struct.Struct("<QQIIQII")         # struct fuse_read_in, 40
GETATTR_IN = struct.Struct("<IIQ")          # struct fuse_getattr_in, 16
ACCESS_IN = struct.Struct("<II")            # struct fuse_access_in, 8
INIT_IN = struct.Struct("<IIIII44x")        # struct fuse_init_in, 64
# struct fuse_init_out, 64: major minor max_readahead flags max_background
# congestion_threshold max_write time_gran max_pages map_alignment flags2
# max_stack_depth unused[6]
INIT_OUT = struct.Struct("<IIIIHHIIHHII24x")
DIRENT = struct.Struct("<QQII")             # struct fuse_dirent head, 24
NOTIFY_DELETE_OUT = struct.Struct("<QQII")  # fuse_notify_delete_out, 24

# include/fusecheck/event.h payloads (P_: to keep them apart from the EV_ kinds)
P_REJECT = struct.Struct("<QiI")           # struct fc_ev_reject, 16
P_MOUNT_HEAD = struct.Struct("<II")        # struct fc_ev_mount head, 8
P_SCENARIO_HEAD = struct.Struct("<IIII")   # struct fc_ev_scenario head, 16
P_EXPECT_HEAD = struct.Struct("<II32s")    # struct fc_ev_expect head, 40
P_MARK = struct.Struct("<II")              # struct fc_ev_mark, 8
# struct fc_ev_quiesce up to full (FC_EV_QUIESCE_MIN, 16): the oldest
# layout, which readers must keep accepting; the live one adds spent_us
# and rounds (24)
P_QUIESCE = struct.Struct("<IIII")
P_CHECK = struct.Struct("<IIQQ")           # struct fc_ev_check, 24
FS_INODE = struct.Struct("<QQQIIII")        # struct fc_fs_inode, 40
P_FS_LEDGER_HEAD = struct.Struct("<II")    # struct fc_ev_fs_ledger head, 8
P_INIT_CAP = struct.Struct("<IIII")        # struct fc_ev_init_cap, 16

_SIZES = {
    LOG_REC: 32, IN_HEADER: 40, OUT_HEADER: 16, ATTR: 88,
    ENTRY_OUT_HEAD: 40, FORGET_ONE: 16, MKNOD_IN: 16, RENAME2_IN: 16,
    CREATE_IN: 16, OPEN_OUT: 16, RELEASE_IN: 24, READ_IN: 40,
    GETATTR_IN: 16, INIT_IN: 64, INIT_OUT: 64, DIRENT: 24,
    NOTIFY_DELETE_OUT: 24, P_REJECT: 16, P_EXPECT_HEAD: 40,
    P_CHECK: 24, FS_INODE: 40,
}
for _s, _n in _SIZES.items():
    assert _s.size == _n, (_s.format, _s.size, _n)

Req = namedtuple("Req", "seq unique")
Op = namedtuple("Op", "req reply unique")
Dirent = namedtuple("Dirent", "name nodeid mode ino generation")
Dirent.__new__.__defaults__ = (S_IFREG | 0o644, None, 0)
FsInode = namedtuple("FsInode", "nodeid ino nlookup nlink nopen mode")
FsInode.__new__.__defaults__ = (1, 0, S_IFREG | 0o644)


def _b(s):
    return s if isinstance(s, bytes) else s.encode()


def _pad8(n):
    return (8 - (n & 7)) & 7


def attr(ino, mode, size=0, nlink=1, uid=0, gid=0):
    """struct fuse_attr (88 bytes)."""
    return ATTR.pack(ino, size, (size + 511) // 512, 0, 0, 0, 0, 0, 0,
                     mode, nlink, uid, gid, 0, 4096, 0)


def entry_out(nodeid, mode, ino=None, generation=0, size=0, nlink=1):
    """struct fuse_entry_out (128 bytes); attr.ino defaults to nodeid."""
    ino = nodeid if ino is None else ino
    return (ENTRY_OUT_HEAD.pack(nodeid, generation, 1, 1, 0, 0) +
            attr(ino, mode, size, nlink))


def open_out(fh, open_flags=0):
    return OPEN_OUT.pack(fh, open_flags, 0)


def direntplus(d, off):
    """One struct fuse_direntplus with its name, padded to 8."""
    name = _b(d.name)
    ino = d.nodeid if d.ino is None else d.ino
    dtype = (d.mode & 0o170000) >> 12
    rec = (entry_out(d.nodeid, d.mode, ino, d.generation) +
           DIRENT.pack(ino, off, len(name), dtype) + name)
    return rec + b"\0" * _pad8(len(rec))


class LogWriter:
    """Builds one event log in memory; save() writes it."""

    def __init__(self, tid=100, start_ns=1000000000, step_ns=1000):
        self.records = []          # (kind, payload, orig_len, tid, seq, t)
        self.seq = 0
        self.tid = tid             # the "thread that logged it"
        self.time_ns = start_ns
        self.step_ns = step_ns
        self.next_unique = 2
        self.conn = 0

    # --- raw events ---------------------------------------------------

    def event(self, kind, payload=b"", orig_len=None, tid=None, seq=None):
        """Append one record; returns its seq."""
        self.seq = self.seq + 1 if seq is None else seq
        self.time_ns += self.step_ns
        self.records.append((kind, bytes(payload),
                             len(payload) if orig_len is None else orig_len,
                             self.tid if tid is None else tid,
                             self.seq, self.time_ns))
        return self.seq

    def to_bytes(self, end=True, version=2):
        """The file: version 2 ends with the LOG_END record fusecheck
        writes when it closes a log (end=False: a log cut short there);
        version 1 has none."""
        out = [MAGIC if version == 2 else MAGIC_V1]
        for kind, payload, orig_len, tid, seq, t in self.records:
            out.append(LOG_REC.pack(seq, t, kind, tid, len(payload),
                                    orig_len))
            out.append(payload + b"\0" * _pad8(len(payload)))
        if end and version == 2:
            out.append(LOG_REC.pack(self.seq + 1, self.time_ns + 1,
                                    EV_LOG_END, self.tid, 0, 0))
        return b"".join(out)

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.to_bytes())
        return path

    # --- harness events -------------------------------------------------

    def mount(self, fs_cmd="memfs {mountpoint}", conn=None):
        self.conn = self.conn + 1 if conn is None else conn
        self.next_unique = 2
        return self.event(EV_MOUNT, P_MOUNT_HEAD.pack(self.conn, 0) +
                          _b(fs_cmd) + b"\0")

    def unmount(self):
        return self.event(EV_UNMOUNT)

    def scenario_begin(self, index, file):
        return self.event(EV_SCENARIO, P_SCENARIO_HEAD.pack(
            SCN_BEGIN, index, 0, 0) + _b(file) + b"\0\0")

    def scenario_end(self, index, file, status=ST_PASS, reason=""):
        return self.event(EV_SCENARIO, P_SCENARIO_HEAD.pack(
            SCN_END, index, status, 0) + _b(file) + b"\0" + _b(reason) +
            b"\0")

    def mark(self, line, tid):
        return self.event(EV_MARK, P_MARK.pack(line, tid))

    def quiesce(self, line=0, method=Q_DROP_CACHES, settled=1, full=1):
        return self.event(EV_QUIESCE,
                          P_QUIESCE.pack(line, method, settled, full))

    def check(self, kind, line, ino=0, expect=0):
        return self.event(EV_CHECK, P_CHECK.pack(kind, line, ino, expect))

    def fs_ledger(self, inodes, line=0, count=None):
        """inodes: FsInode (or tuples of its fields); count overrides the
        header count (to craft a lying snapshot)."""
        inodes = [FsInode(*i) for i in inodes]
        body = b"".join(FS_INODE.pack(i.nodeid, i.ino, i.nlookup, i.nlink,
                                      i.nopen, i.mode, 0) for i in inodes)
        n = len(inodes) if count is None else count
        return self.event(EV_FS_LEDGER, P_FS_LEDGER_HEAD.pack(n, line) +
                          body)

    def expect(self, line, rule, message):
        rule = _b(rule)
        assert len(rule) <= 32
        return self.event(EV_EXPECT, P_EXPECT_HEAD.pack(line, 0, rule) +
                          _b(message) + b"\0")

    def init_cap(self, fs_max_write, fs_max_pages, max_write, max_pages):
        return self.event(EV_INIT_CAP, P_INIT_CAP.pack(
            fs_max_write, fs_max_pages, max_write, max_pages))

    def reply_rejected(self, unique, error=2):
        """The write of the reply to `unique` failed with errno `error`."""
        return self.event(EV_REPLY_REJECTED, P_REJECT.pack(unique, error,
                                                            0))

    # --- wire events ----------------------------------------------------

    def unique(self):
        u = self.next_unique
        self.next_unique += 2
        return u

    def request(self, opcode, nodeid, args=b"", names=(), unique=None,
                pid=0, uid=0, gid=0, hdr_len=None):
        """A kernel -> fs message: fuse_in_header + args + NUL-terminated
        names.  Returns Req(seq, unique)."""
        unique = self.unique() if unique is None else unique
        body = bytes(args) + b"".join(_b(n) + b"\0" for n in names)
        n = IN_HEADER.size + len(body)
        hdr = IN_HEADER.pack(n if hdr_len is None else hdr_len, opcode,
                             unique, nodeid, uid, gid, pid, 0, 0)
        return Req(self.event(EV_REQUEST, hdr + body), unique)

    def reply(self, unique, error=0, body=b"", hdr_len=None):
        """An fs -> kernel reply; error is 0 or -errno."""
        n = OUT_HEADER.size + len(body)
        return self.event(EV_REPLY, OUT_HEADER.pack(
            n if hdr_len is None else hdr_len, error, unique) + bytes(body))

    def entry_reply(self, unique, nodeid, mode, ino=None, generation=0):
        return self.reply(unique, 0, entry_out(nodeid, mode, ino,
                                               generation))

    def create_reply(self, unique, nodeid, fh, mode=S_IFREG | 0o644,
                     ino=None, generation=0):
        return self.reply(unique, 0, entry_out(nodeid, mode, ino,
                                               generation) + open_out(fh))

    def open_reply(self, unique, fh):
        return self.reply(unique, 0, open_out(fh))

    def readdirplus_reply(self, unique, entries):
        """entries: Dirent; "." and ".." and nodeid 0 are written as
        given (the kernel takes no reference for them)."""
        body = b"".join(direntplus(d, i + 1) for i, d in enumerate(entries))
        return self.reply(unique, 0, body)

    def notify_delete(self, parent, child, name):
        name = _b(name)
        body = NOTIFY_DELETE_OUT.pack(parent, child, len(name), 0) + name + \
            b"\0"
        return self.event(EV_NOTIFY, OUT_HEADER.pack(
            OUT_HEADER.size + len(body), NOTIFY_DELETE, 0) + body)

    def forget(self, nodeid, nlookup, unique=None):
        return self.request(FORGET, nodeid, FORGET_IN.pack(nlookup),
                            unique=unique)

    def batch_forget(self, items, unique=None, count=None):
        """items: (nodeid, nlookup) pairs."""
        args = BATCH_FORGET_IN.pack(len(items) if count is None else count,
                                    0)
        args += b"".join(FORGET_ONE.pack(n, k) for n, k in items)
        return self.request(BATCH_FORGET, 0, args, unique=unique)

    def init_request(self, major=7, minor=38, max_readahead=131072,
                     flags=FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS |
                     FUSE_MAX_PAGES | FUSE_INIT_EXT, flags2=0):
        return self.request(INIT, 0, INIT_IN.pack(
            major, minor, max_readahead, flags & 0xffffffff, flags2))

    def init_reply(self, unique, major=7, minor=31, max_readahead=131072,
                   flags=FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS |
                   FUSE_MAX_PAGES | FUSE_INIT_EXT, max_write=131072,
                   max_pages=32, flags2=0):
        return self.reply(unique, 0, INIT_OUT.pack(
            major, minor, max_readahead, flags, 16, 12, max_write, 1,
            max_pages, 0, flags2, 0))

    # --- a request and its reply ----------------------------------------

    def start(self, scenario=None, index=0):
        """MOUNT + INIT (+ SCENARIO begin): the opening of most logs."""
        if scenario is not None:
            self.scenario_begin(index, scenario)
        self.mount()
        r = self.init_request()
        self.init_reply(r.unique)

    def _entry_op(self, opcode, parent, args, names, nodeid, mode, pid,
                  ino, generation, error):
        r = self.request(opcode, parent, args, names, pid=pid)
        if error:
            return Op(r.seq, self.reply(r.unique, error), r.unique)
        return Op(r.seq, self.entry_reply(r.unique, nodeid, mode, ino,
                                          generation), r.unique)

    def lookup(self, parent, name, nodeid, mode=S_IFREG | 0o644, pid=0,
               ino=None, generation=0, error=0):
        return self._entry_op(LOOKUP, parent, b"", [name], nodeid, mode,
                              pid, ino, generation, error)

    def mkdir(self, parent, name, nodeid, mode=S_IFDIR | 0o755, pid=0,
              ino=None, generation=0, error=0):
        return self._entry_op(MKDIR, parent, MKDIR_IN.pack(0o755, 0o022),
                              [name], nodeid, mode, pid, ino, generation,
                              error)

    def mknod(self, parent, name, nodeid, mode=S_IFIFO | 0o644, pid=0,
              ino=None, generation=0, reply_mode=None):
        return self._entry_op(MKNOD, parent, MKNOD_IN.pack(mode, 0, 0o022,
                                                           0),
                              [name], nodeid,
                              mode if reply_mode is None else reply_mode,
                              pid, ino, generation, 0)

    def symlink(self, parent, name, target, nodeid, pid=0, ino=None,
                generation=0, mode=S_IFLNK | 0o777):
        return self._entry_op(SYMLINK, parent, b"", [name, target], nodeid,
                              mode, pid, ino, generation, 0)

    def link(self, oldnodeid, newparent, name, mode=S_IFREG | 0o644, pid=0,
             ino=None, generation=0, nodeid=None):
        return self._entry_op(LINK, newparent, LINK_IN.pack(oldnodeid),
                              [name], oldnodeid if nodeid is None else
                              nodeid, mode, pid, ino, generation, 0)

    def create(self, parent, name, nodeid, fh, pid=0, mode=S_IFREG | 0o644,
               ino=None, generation=0):
        r = self.request(CREATE, parent, CREATE_IN.pack(0o100101, mode,
                                                        0o022, 0),
                         [name], pid=pid)
        return Op(r.seq, self.create_reply(r.unique, nodeid, fh, mode, ino,
                                           generation), r.unique)

    def simple(self, opcode, nodeid, args=b"", names=(), pid=0, error=0,
               body=b""):
        """Any request answered by a plain reply (header + body)."""
        r = self.request(opcode, nodeid, args, names, pid=pid)
        return Op(r.seq, self.reply(r.unique, error, body), r.unique)

    def getattr(self, nodeid, pid=0):
        return self.simple(GETATTR, nodeid, GETATTR_IN.pack(0, 0, 0),
                           pid=pid, body=struct.pack("<QII", 1, 0, 0) +
                           attr(nodeid, S_IFREG | 0o644))

    def unlink(self, parent, name, pid=0, error=0):
        return self.simple(UNLINK, parent, names=[name], pid=pid,
                           error=error)

    def rmdir(self, parent, name, pid=0):
        return self.simple(RMDIR, parent, names=[name], pid=pid)

    def rename(self, olddir, oldname, newdir, newname, pid=0):
        return self.simple(RENAME, olddir, RENAME_IN.pack(newdir),
                           [oldname, newname], pid=pid)

    def rename2(self, olddir, oldname, newdir, newname, flags, pid=0):
        return self.simple(RENAME2, olddir,
                           RENAME2_IN.pack(newdir, flags, 0),
                           [oldname, newname], pid=pid)

    def open(self, nodeid, fh, pid=0, opcode=OPEN):
        r = self.request(opcode, nodeid, OPEN_IN.pack(0, 0), pid=pid)
        return Op(r.seq, self.open_reply(r.unique, fh), r.unique)

    def release(self, nodeid, fh, opcode=RELEASE):
        return self.simple(opcode, nodeid, RELEASE_IN.pack(fh, 0, 0, 0))

    def readdirplus(self, nodeid, fh, entries, pid=0, size=4096):
        r = self.request(READDIRPLUS, nodeid,
                         READ_IN.pack(fh, 0, size, 0, 0, 0, 0), pid=pid)
        return Op(r.seq, self.readdirplus_reply(r.unique, entries),
                  r.unique)


def write_log(path, build):
    """Convenience: build(LogWriter) then save to path."""
    w = LogWriter()
    build(w)
    return w.save(os.fspath(path))
