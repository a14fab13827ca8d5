/* mount/evict.c - FUSE_NOTIFY_INVAL_ENTRY written by the harness itself.
 * The kernel reads a notification on /dev/fuse like a reply with unique
 * 0 and the notification code in the error field (fs/fuse/dev.c,
 * fuse_notify_inval_entry); the write returns once the dentry is
 * unhashed, so the FORGET of an unused inode is queued by then. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/fuse.h>
#include "mount/evict.h"

int evict_entry(int devfd, uint64_t parent, const char *name, size_t len)
{
	unsigned char msg[sizeof(struct fuse_out_header) +
			  sizeof(struct fuse_notify_inval_entry_out) +
			  EVICT_NAME_MAX + 1];
	struct fuse_notify_inval_entry_out ie;
	struct fuse_out_header oh;
	size_t total;

	if (len > EVICT_NAME_MAX)
		return -ENAMETOOLONG;
	total = sizeof(oh) + sizeof(ie) + len + 1;
	oh = (struct fuse_out_header){ .len = (uint32_t)total,
		.error = FUSE_NOTIFY_INVAL_ENTRY, .unique = 0 };
	memset(&ie, 0, sizeof(ie));
	ie.parent = parent;
	ie.namelen = (uint32_t)len;
	memcpy(msg, &oh, sizeof(oh));
	memcpy(msg + sizeof(oh), &ie, sizeof(ie));
	memcpy(msg + sizeof(oh) + sizeof(ie), name, len);
	msg[total - 1] = '\0';
	if (write(devfd, msg, total) >= 0)
		return 0;
	return errno == ENODEV ? -ENOTCONN : -errno;
}
