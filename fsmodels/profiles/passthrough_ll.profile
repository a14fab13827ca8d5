# libfuse's own low-level passthrough example, built from the sources
# Debian's libfuse3-dev ships (gcc, pkg-config), over a directory of its
# own (-o source=).  The high-level `passthrough` example mirrors / and is
# not bundled: scenarios would write into the host's root.
description = passthrough_ll: libfuse's low-level example over a directory (libfuse3)
setup = mkdir src
	ex=/usr/share/doc/libfuse3-dev/examples
	gcc -O2 -o passthrough_ll $ex/passthrough_ll.c -I$ex $(pkg-config --cflags --libs fuse3)
command = {workdir}/passthrough_ll -f -o source={workdir}/src {mountpoint}
attach = auto
fresh = run
