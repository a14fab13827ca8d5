#!/usr/bin/python3
"""A filesystem that crashes at unmount: runs the real filesystem and,
once it has ended (the connection closed), aborts.
Usage: abort_after.py FS-BINARY /dev/fd/N"""
import os
import subprocess
import sys

fs, mountpoint = sys.argv[1:3]
fd = int(mountpoint.rsplit("/", 1)[1])
child = subprocess.Popen([fs, mountpoint], pass_fds=[fd])
os.close(fd)
child.wait()
os.abort()
