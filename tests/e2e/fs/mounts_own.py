#!/usr/bin/python3
"""A filesystem that makes a mount of its own before it serves, as lxcfs
does: mounts a tmpfs on DIR, writes "mounted" or the errno name to
REPORT, then execs the real filesystem on the mountpoint it was given.
Usage: mounts_own.py DIR REPORT FS-BINARY /dev/fd/N"""
import ctypes
import errno
import os
import sys

where, report, fs, mountpoint = sys.argv[1:5]
libc = ctypes.CDLL(None, use_errno=True)
rc = libc.mount(b"tmpfs", where.encode(), b"tmpfs", 0, None)
with open(report, "w") as f:
    f.write("mounted" if rc == 0 else
            errno.errorcode.get(ctypes.get_errno(), "?"))
os.execv(fs, [fs, mountpoint])
