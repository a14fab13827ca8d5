# bindfs mirrors a directory.  Debian 12's bindfs links libfuse.so.2,
# which cannot take /dev/fd/N: it is attached through the fusermount shim.
description = bindfs: a directory mirrored through FUSE (libfuse2, high-level)
setup = mkdir src
command = bindfs -f {workdir}/src {mountpoint}
attach = fusermount
