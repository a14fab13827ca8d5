# rclone mount of a local directory (the :local: backend, no config file,
# no cache outside the work directory) with --vfs-cache-mode writes, the
# mode rclone documents for programs that write files the way POSIX allows.
# rclone mount speaks FUSE through its own Go library and runs fusermount:
# the shim attaches it.
description = rclone mount: a local directory remote (Go, bazil/fuse)
setup = mkdir remote cache
command = rclone mount --vfs-cache-mode writes --config {workdir}/rclone.conf --cache-dir {workdir}/cache :local:{workdir}/remote {mountpoint}
attach = auto
fresh = run
