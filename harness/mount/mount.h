/* mount/mount.h - the mounts fusecheck makes: a private mount namespace for
 * the whole run, the FUSE mount on the tap's /dev/fuse, its unmount, and
 * aborting a connection through fusectl. */
#ifndef FC_MOUNT_H
#define FC_MOUNT_H

#include <sys/types.h>

/* unshare(CLONE_NEWNS) and make every mount private, so nothing we mount
 * is seen outside and all of it vanishes with our last process.  Call
 * before any thread is started. */
int mnt_enter_private_ns(void);
/* Open /dev/fuse and mount it at mnt; *dev is the connection's st_dev. */
int mnt_fuse(const char *mnt, int *devfd, dev_t *dev);
/* Unmount, lazily if busy. */
int mnt_unmount(const char *mnt);
/* Abort the connection (fusectl "abort"): every waiting request fails,
 * blocked syscalls return.  Mounts fusectl in our namespace if needed. */
int mnt_abort(dev_t dev);

#endif
