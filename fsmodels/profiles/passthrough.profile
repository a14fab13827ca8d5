# libfuse's high-level passthrough example mirrors the whole of /: it runs
# chrooted into a directory of its own, so that it mirrors that one.  It
# is built statically, so the chroot needs nothing else (libfuse takes
# /dev/fd/N as a number, without opening a path).
description = passthrough: libfuse's high-level example, chrooted into its own directory (libfuse3)
setup = mkdir root
	ex=/usr/share/doc/libfuse3-dev/examples
	gcc -O2 -static -o root/passthrough $ex/passthrough.c -I$ex $(pkg-config --cflags fuse3) $(pkg-config --static --libs fuse3) 2>/dev/null
command = chroot {workdir}/root /passthrough -f {mountpoint}
attach = fd
fresh = run
