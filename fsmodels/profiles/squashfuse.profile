# squashfuse, high-level libfuse3: a read-only squashfs image made by
# mksquashfs (Debian squashfs-tools).  Read-only: it meets no
# requirement, so only scenarios without `requires` run (the tree below
# is what fsmodels/profiles/scenarios/readonly-tree.scn expects).
description = squashfuse: read-only squashfs image (libfuse3, high-level)
setup = mkdir -p tree/d/e
	printf abc > tree/a
	printf hello > tree/d/b
	ln -s a tree/s
	mksquashfs tree image.sqfs -noappend -quiet -no-progress
command = squashfuse -f {workdir}/image.sqfs {mountpoint}
attach = auto
provides =
