# fuse2fs serves an ext4 image made by mkfs.ext4 (e2fsprogs).  A scenario
# that corrupts the image must not ruin the next one: the image is made
# again for every mount (fresh = mount, the default for a writable store).
description = fuse2fs: an ext4 image (libfuse3, high-level)
setup = truncate -s 64M image.ext4
	mkfs.ext4 -q -F image.ext4
command = fuse2fs -f {workdir}/image.ext4 {mountpoint} -o fakeroot
attach = auto
fresh = mount
