/* judge/malformed.c - classify malformed replies for the PR-* rules (judge/malformed.h).
 * The checks mirror what the kernel does with the same bytes, so a
 * verdict says what the kernel made of them. */
#include <stdio.h>
#include <string.h>
#include <linux/fuse.h>
#include "judge/malformed.h"
#include "wire/proto.h"

/* fuse_dev_do_write: "Don't allow userspace to report errors that could
 * be kernel-internal" (-512 is -ERESTARTSYS). */
#define GARBAGE_ERRNO_LIMIT 512
/* fs/fuse/fuse_i.h FUSE_NAME_MAX */
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
	struct fc_dirent d;
	size_t pos = 0;
	unsigned idx;
	int rc;

	/* the walk the lookup counts use (wire/proto.c): PR-DIRENT names the
	 * first record it stops at, or the first name with a NUL byte (the
	 * kernel links that one, and the counts go on past it) */
	for (idx = 0; (rc = proto_dirent_next(body, len, plus, &pos, &d)) == 1;
	     idx++) {
		if (d.has_nul) {
			snprintf(why, size, "record %u has a name with a NUL "
				 "byte", idx);
			return 1;
		}
	}
	if (!rc)
		return 0;
	if (d.bad_need)
		snprintf(why, size, "record %u (namelen %zu) %s: %zu bytes "
			 "needed, %zu left", idx, d.name_len, d.bad, d.bad_need,
			 d.bad_left);
	else
		snprintf(why, size, "record %u (namelen %zu) %s", idx,
			 d.name_len, d.bad);
	return 1;
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
