/* garbage.c - classify malformed replies for the PR-* rules (garbage.h).
 * The checks mirror what the kernel does with the same bytes, so a
 * verdict says what the kernel made of them. */
#include <stdio.h>
#include <string.h>
#include <linux/fuse.h>
#include "garbage.h"

/* fuse_dev_do_write: "Don't allow userspace to report errors that could
 * be kernel-internal" (-512 is -ERESTARTSYS). */
#define GARBAGE_ERRNO_LIMIT 512
/* fs/fuse/fuse_i.h FUSE_NAME_MAX */
#define GARBAGE_NAME_MAX 1024
/* include/uapi/linux/fuse.h FUSE_COMPAT_INIT_OUT_SIZE, _22_ */
#define INIT_OUT_V5 8
#define INIT_OUT_V23 24

int garbage_error(int32_t error)
{
	return error > 0 || error <= -GARBAGE_ERRNO_LIMIT;
}

int garbage_entry_nodeid(uint32_t opcode, uint64_t nodeid)
{
	switch (opcode) {
	case FUSE_MKNOD:
	case FUSE_MKDIR:
	case FUSE_SYMLINK:
	case FUSE_LINK:
	case FUSE_CREATE:
	case FUSE_TMPFILE:
		return nodeid == 0;
	default:
		return 0;
	}
}

int garbage_dirents(const void *body, size_t len, int plus, char *why,
		    size_t size)
{
	const unsigned char *p = body;
	size_t hdr = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	size_t doff = plus ? sizeof(struct fuse_entry_out) : 0;
	size_t pos = 0, reclen, left;
	struct fuse_dirent d;
	unsigned idx;

	for (idx = 0; pos < len; idx++, pos += reclen) {
		left = len - pos;
		if (left < hdr) {
			snprintf(why, size, "record %u is cut short: %zu "
				 "bytes left, a header needs %zu", idx, left,
				 hdr);
			return 1;
		}
		memcpy(&d, p + pos + doff, sizeof(d));
		if (d.namelen == 0 || d.namelen > GARBAGE_NAME_MAX) {
			snprintf(why, size, "record %u has namelen %u (1 to "
				 "%u allowed)", idx, d.namelen,
				 GARBAGE_NAME_MAX);
			return 1;
		}
		reclen = FUSE_DIRENT_ALIGN(hdr + d.namelen);
		if (reclen > left) {
			snprintf(why, size, "record %u (namelen %u) runs "
				 "past the end: %zu bytes needed, %zu left",
				 idx, d.namelen, reclen, left);
			return 1;
		}
		if (memchr(p + pos + hdr, '/', d.namelen)) {
			snprintf(why, size, "record %u has a name with "
				 "'/'", idx);
			return 1;
		}
		if (memchr(p + pos + hdr, '\0', d.namelen)) {
			snprintf(why, size, "record %u has a name with a "
				 "NUL byte", idx);
			return 1;
		}
	}
	return 0;
}

int garbage_init_size(const void *body, size_t len, char *why, size_t size)
{
	uint32_t mm[2];
	size_t need;

	if (len < sizeof(mm)) {
		snprintf(why, size, "INIT reply has %zu bytes, fewer than "
			 "major and minor", len);
		return 1;
	}
	memcpy(mm, body, sizeof(mm));
	need = mm[1] < 5 ? INIT_OUT_V5 : mm[1] < 23 ? INIT_OUT_V23 :
			    sizeof(struct fuse_init_out);
	if (len >= need)
		return 0;
	snprintf(why, size, "INIT reply for protocol %u.%u has %zu bytes; "
		 "that minor needs %zu", mm[0], mm[1], len, need);
	return 1;
}
