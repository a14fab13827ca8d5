# libfuse's low-level hello example (one read-only file), built from the
# sources Debian's libfuse3-dev ships: the tree-* scenarios test it.
description = hello_ll: libfuse's low-level hello example, read-only (libfuse3)
setup = ex=/usr/share/doc/libfuse3-dev/examples
	gcc -O2 -o hello_ll $ex/hello_ll.c -I$ex $(pkg-config --cflags --libs fuse3)
command = {workdir}/hello_ll -f {mountpoint}
attach = auto
provides =
