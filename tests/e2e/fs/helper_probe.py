#!/usr/bin/python3
"""Records where a helper name leads on the filesystem's PATH, then
execs the real filesystem: stands for a filesystem whose bundled libfuse
runs a helper of its own name (mergerfs-fusermount).
Usage: helper_probe.py HELPER REPORT FS-BINARY MOUNTPOINT"""
import os
import shutil
import sys

helper, report, fs, mountpoint = sys.argv[1:5]
found = shutil.which(helper)
with open(report, "w") as f:
    f.write(os.path.realpath(found) if found else "none")
os.execv(fs, [fs, mountpoint])
