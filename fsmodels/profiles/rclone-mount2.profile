# rclone mount2: the same local directory remote through go-fuse.
description = rclone mount2: a local directory remote (Go, go-fuse)
setup = mkdir remote cache
command = rclone mount2 --vfs-cache-mode writes --config {workdir}/rclone.conf --cache-dir {workdir}/cache :local:{workdir}/remote {mountpoint}
attach = auto
fresh = run
