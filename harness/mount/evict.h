/* mount/evict.h - the harness's own notifications to the kernel: drop one
 * cached name of this mount (FUSE_NOTIFY_INVAL_ENTRY), or the unused
 * dentries of inodes named by nodeid (FUSE_NOTIFY_PRUNE).  Used by the
 * notify and prune quiesces, and by a scenario's `evict` for one name. */
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

/* FUSE_NOTIFY_PRUNE first appears in protocol 7.45 (Linux 6.18); the
 * system's <linux/fuse.h> may be older, so its code and layout are
 * written out here (include/uapi/linux/fuse.h: code 9, struct
 * fuse_notify_prune_out { u32 count; u32 padding; u64 spare; } and then
 * count u64 nodeids). */
#define EVICT_PRUNE_MINOR 45
#define EVICT_NOTIFY_PRUNE 9

/* Write FUSE_NOTIFY_PRUNE for ids[0..n) to devfd, in messages of at most
 * EVICT_PRUNE_BATCH nodeids: the kernel drops every unused dentry of
 * each inode it caches (fs/fuse/inode.c fuse_try_prune_one_inode), so an
 * inode nothing else holds goes and its FORGET follows.  An unknown
 * nodeid is skipped by the kernel.  0; -ENOTCONN once the connection is
 * gone; -EINVAL from a kernel without it; other -errno as it answered. */
#define EVICT_PRUNE_BATCH 1024u
int evict_prune(int devfd, const uint64_t *ids, size_t n);

#endif
