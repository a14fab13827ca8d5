#!/usr/bin/python3
"""A filesystem that dies mid-run: starts the real filesystem on the
mountpoint it was given, lets it serve for a while, then kills it with
SIGKILL.  Usage: die_after.py SECONDS FS-BINARY /dev/fd/N"""
import os
import signal
import subprocess
import sys
import time

delay, fs, mountpoint = float(sys.argv[1]), sys.argv[2], sys.argv[3]
fd = int(mountpoint.rsplit("/", 1)[1])
child = subprocess.Popen([fs, mountpoint], pass_fds=[fd])
os.close(fd)        # only the filesystem holds the connection now
time.sleep(delay)
child.send_signal(signal.SIGKILL)
child.wait()
sys.exit(0)
