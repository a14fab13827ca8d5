#!/usr/bin/python3
"""A filesystem that dies mid-run: starts the real filesystem on the
mountpoint it was given and, on the NTH mount of the run only (counted in
COUNTER, a file), kills it with SIGKILL after SECONDS; every other mount
is served until it ends.  Counting mounts rather than racing a clock keeps
the test independent of how fast a scenario runs.
Usage: die_after.py SECONDS NTH COUNTER FS-BINARY /dev/fd/N"""
import fcntl
import os
import signal
import subprocess
import sys
import time

delay, nth, counter = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
fs, mountpoint = sys.argv[4], sys.argv[5]
with open(counter, "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    f.seek(0)
    mounts = len(f.read()) + 1
    f.write("m")
fd = int(mountpoint.rsplit("/", 1)[1])
child = subprocess.Popen([fs, mountpoint], pass_fds=[fd])
os.close(fd)        # only the filesystem holds the connection now
if mounts != nth:
    sys.exit(child.wait())
time.sleep(delay)
child.send_signal(signal.SIGKILL)
child.wait()
sys.exit(0)
