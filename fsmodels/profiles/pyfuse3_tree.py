#!/usr/bin/python3
"""pyfuse3_tree.py - a small read-only pyfuse3 filesystem for the pyfuse3
profile: a fixed tree (files, a nested directory, a symlink) served by
pyfuse3's low-level API, which leaves lookup counting to the filesystem.
The inodes never go away, so FORGET only has to be accepted; what
fusecheck checks here is pyfuse3's side of the wire (entry replies,
READDIRPLUS, forget handling) on a read-only filesystem.

usage: pyfuse3_tree.py MOUNTPOINT   (a directory, or /dev/fd/N)
"""
import errno
import stat
import sys

import pyfuse3
import trio

# inode -> (mode, parent inode, name, content or target or children)
ROOT = pyfuse3.ROOT_INODE
TREE = {
    ROOT: (stat.S_IFDIR | 0o755, ROOT, b"", [2, 3, 6, 7]),
    2: (stat.S_IFREG | 0o644, ROOT, b"hello", b"Hello from pyfuse3\n"),
    3: (stat.S_IFDIR | 0o755, ROOT, b"dir", [4, 5]),
    4: (stat.S_IFREG | 0o644, 3, b"a", b"a" * 5000),
    5: (stat.S_IFREG | 0o600, 3, b"b", b""),
    6: (stat.S_IFLNK | 0o777, ROOT, b"link", b"hello"),
    7: (stat.S_IFDIR | 0o755, ROOT, b"empty", []),
}


def attributes(inode):
    mode, _parent, _name, body = TREE[inode]
    a = pyfuse3.EntryAttributes()
    a.st_ino = inode
    a.st_mode = mode
    a.st_nlink = 2 + sum(1 for c in body if stat.S_ISDIR(TREE[c][0])) \
        if stat.S_ISDIR(mode) else 1
    a.st_size = len(body) if not stat.S_ISDIR(mode) else 4096
    a.st_uid = a.st_gid = 0
    a.st_blksize = 4096
    a.st_blocks = (a.st_size + 511) // 512
    a.st_atime_ns = a.st_mtime_ns = a.st_ctime_ns = 1_700_000_000 * 10**9
    a.generation = 0
    a.entry_timeout = a.attr_timeout = 1
    return a


class TreeFS(pyfuse3.Operations):
    async def getattr(self, inode, ctx=None):
        if inode not in TREE:
            raise pyfuse3.FUSEError(errno.ENOENT)
        return attributes(inode)

    async def lookup(self, parent_inode, name, ctx=None):
        mode, parent, _name, body = TREE.get(parent_inode,
                                             (0, 0, b"", None))
        if not stat.S_ISDIR(mode):
            raise pyfuse3.FUSEError(errno.ENOTDIR)
        if name == b".":
            return attributes(parent_inode)
        if name == b"..":
            return attributes(parent)
        for child in body:
            if TREE[child][2] == name:
                return attributes(child)
        raise pyfuse3.FUSEError(errno.ENOENT)

    async def forget(self, inode_list):
        # nothing is ever freed: the counts need no keeping
        return

    async def opendir(self, inode, ctx):
        if inode not in TREE or not stat.S_ISDIR(TREE[inode][0]):
            raise pyfuse3.FUSEError(errno.ENOTDIR)
        return inode

    async def readdir(self, fh, start_id, token):
        children = TREE[fh][3]
        for i, child in enumerate(children):
            if i < start_id:
                continue
            if not pyfuse3.readdir_reply(token, TREE[child][2],
                                         attributes(child), i + 1):
                return

    async def open(self, inode, flags, ctx):
        if inode not in TREE:
            raise pyfuse3.FUSEError(errno.ENOENT)
        if stat.S_ISDIR(TREE[inode][0]):
            raise pyfuse3.FUSEError(errno.EISDIR)
        if flags & (0o1 | 0o2):  # O_WRONLY | O_RDWR
            raise pyfuse3.FUSEError(errno.EROFS)
        return pyfuse3.FileInfo(fh=inode)

    async def read(self, fh, off, size):
        return TREE[fh][3][off:off + size]

    async def readlink(self, inode, ctx):
        if not stat.S_ISLNK(TREE[inode][0]):
            raise pyfuse3.FUSEError(errno.EINVAL)
        return TREE[inode][3]

    async def statfs(self, ctx):
        s = pyfuse3.StatvfsData()
        s.f_bsize = s.f_frsize = 4096
        s.f_namemax = 255
        return s


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    options = set(pyfuse3.default_options)
    options.add("fsname=pyfuse3_tree")
    options.add("ro")
    pyfuse3.init(TreeFS(), sys.argv[1], options)
    try:
        trio.run(pyfuse3.main)
    finally:
        pyfuse3.close(unmount=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
