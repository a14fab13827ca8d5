/* mount/evict.h - the harness's own notifications to the kernel: drop one
 * cached name of this mount (FUSE_NOTIFY_INVAL_ENTRY).  Used by the
 * notify quiesce for every name, and by a scenario's `evict` for one. */
#ifndef FC_EVICT_H
#define FC_EVICT_H

#include <stddef.h>
#include <stdint.h>

/* Longest name the kernel accepts in a notification (FUSE_NAME_MAX). */
#define EVICT_NAME_MAX 1024u

/* Write FUSE_NOTIFY_INVAL_ENTRY (parent, name) to devfd: the kernel
 * unhashes the dentry, and once nothing uses it the inode goes and a
 * FORGET follows.  0; -ENOENT when the kernel cached no such name;
 * -ENOTCONN once the connection is gone; -ENAMETOOLONG; other -errno
 * as the kernel answered. */
int evict_entry(int devfd, uint64_t parent, const char *name, size_t len);

#endif
