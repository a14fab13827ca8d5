/* mount/libseen.h - which libfuse the filesystem under test really runs. */
#ifndef FC_LIBSEEN_H
#define FC_LIBSEEN_H

#include <stddef.h>
#include <sys/types.h>

/* The path of the first libfuse (libfuse3.so or libfuse.so) mapped by
 * a process below `root` (the keeper, mount/fsproc.c) (the filesystem may be started
 * by a wrapper), into buf.  0, or -ENOENT when none maps one (linked
 * statically, or no libfuse at all). */
int libseen_mapped(pid_t root, char *buf, size_t size);

#endif
