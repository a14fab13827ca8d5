/* mount/evict.c - FUSE_NOTIFY_INVAL_ENTRY and FUSE_NOTIFY_PRUNE written by
 * the harness itself.
 * The kernel reads a notification on /dev/fuse like a reply with unique
 * 0 and the notification code in the error field (fs/fuse/dev.c,
 * fuse_notify_inval_entry); the write returns once the dentry is
 * unhashed, so the FORGET of an unused inode is queued by then. */
#include <errno.h>
#include <string.h>
#include <stdint.h>
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

/* struct fuse_notify_prune_out, as the kernel reads it */
struct prune_head {
	uint32_t count;
	uint32_t padding;
	uint64_t spare;
};

int evict_prune(int devfd, const uint64_t *ids, size_t n)
{
	unsigned char msg[sizeof(struct fuse_out_header) +
			  sizeof(struct prune_head) +
			  EVICT_PRUNE_BATCH * sizeof(uint64_t)];
	struct fuse_out_header oh;
	struct prune_head ph;
	size_t k, total;

	while (n) {
		k = n < EVICT_PRUNE_BATCH ? n : EVICT_PRUNE_BATCH;
		total = sizeof(oh) + sizeof(ph) + k * sizeof(uint64_t);
		oh = (struct fuse_out_header){ .len = (uint32_t)total,
			.error = EVICT_NOTIFY_PRUNE, .unique = 0 };
		ph = (struct prune_head){ .count = (uint32_t)k };
		memcpy(msg, &oh, sizeof(oh));
		memcpy(msg + sizeof(oh), &ph, sizeof(ph));
		memcpy(msg + sizeof(oh) + sizeof(ph), ids, k * sizeof(*ids));
		if (write(devfd, msg, total) < 0)
			return errno == ENODEV ? -ENOTCONN : -errno;
		ids += k;
		n -= k;
	}
	return 0;
}
