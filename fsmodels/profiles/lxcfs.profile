# lxcfs: the virtualized /proc and /sys files containers see.  It makes
# mounts of its own (runtime and cgroup views): under fd the filesystem
# has a private mount namespace, so they stay there.  Read-only: the
# tree-* scenarios walk what it serves.
description = lxcfs: virtualized /proc and /sys files (libfuse3, high-level)
setup = true
command = lxcfs -f --pidfile={workdir}/lxcfs.pid {mountpoint}
attach = fd
provides =
