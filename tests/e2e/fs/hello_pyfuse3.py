#!/usr/bin/python3
"""hello_pyfuse3.py - a tiny read-only pyfuse3 filesystem: one file,
"hello", holding "hello world\\n".  It shows that a pyfuse3 program
attaches to fusecheck through /dev/fd/N (pyfuse3.init hands the mountpoint
to libfuse3's fuse_session_mount).

usage: hello_pyfuse3.py MOUNTPOINT
"""
import errno
import os
import stat
import sys

import pyfuse3
import trio

NAME = b"hello"
DATA = b"hello world\n"
FILE_INO = pyfuse3.ROOT_INODE + 1


class Hello(pyfuse3.Operations):
    def _attr(self, ino):
        a = pyfuse3.EntryAttributes()
        a.st_ino = ino
        if ino == pyfuse3.ROOT_INODE:
            a.st_mode = stat.S_IFDIR | 0o755
            a.st_nlink = 2
        else:
            a.st_mode = stat.S_IFREG | 0o444
            a.st_nlink = 1
            a.st_size = len(DATA)
        a.st_uid = os.getuid()
        a.st_gid = os.getgid()
        return a

    async def getattr(self, inode, ctx=None):
        if inode not in (pyfuse3.ROOT_INODE, FILE_INO):
            raise pyfuse3.FUSEError(errno.ENOENT)
        return self._attr(inode)

    async def lookup(self, parent_inode, name, ctx=None):
        if parent_inode != pyfuse3.ROOT_INODE or name != NAME:
            raise pyfuse3.FUSEError(errno.ENOENT)
        return self._attr(FILE_INO)

    async def opendir(self, inode, ctx):
        if inode != pyfuse3.ROOT_INODE:
            raise pyfuse3.FUSEError(errno.ENOTDIR)
        return inode

    async def readdir(self, fh, start_id, token):
        if start_id == 0:
            pyfuse3.readdir_reply(token, NAME, self._attr(FILE_INO), 1)

    async def open(self, inode, flags, ctx):
        if inode != FILE_INO:
            raise pyfuse3.FUSEError(errno.EISDIR)
        if flags & os.O_ACCMODE != os.O_RDONLY:
            raise pyfuse3.FUSEError(errno.EACCES)
        return pyfuse3.FileInfo(fh=inode)

    async def read(self, fh, off, size):
        return DATA[off:off + size]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    opts = set(pyfuse3.default_options)
    opts.add("fsname=hello_pyfuse3")
    pyfuse3.init(Hello(), sys.argv[1], opts)
    try:
        trio.run(pyfuse3.main)
    finally:
        pyfuse3.close(unmount=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
