# fuse-overlayfs: an overlay of a read-only lower directory and a
# writable upper one (libfuse3 low-level).
description = fuse-overlayfs: overlay of lower and upper directories (libfuse3, low-level)
setup = mkdir lower upper work
	mkdir lower/d
	printf abc > lower/a
command = fuse-overlayfs -f -o lowerdir={workdir}/lower,upperdir={workdir}/upper,workdir={workdir}/work {mountpoint}
attach = auto
