/* wire/proto.c - the FUSE wire protocol as data (one row per opcode) and the
 * bounds-checked decoders declared in wire/proto.h.
 *
 * Every length read from a message is checked against the buffer before
 * it is used; fields are copied out with memcpy because the buffers come
 * from read(2) and from the event log and need not be aligned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wire/proto.h"

#define IN_HDR sizeof(struct fuse_in_header)
#define OUT_HDR sizeof(struct fuse_out_header)

/* The kernel's limit on a name in a dirent or notification (FUSE_NAME_MAX
 * in fs/fuse/fuse_i.h; not exported in the uapi header). */
#define PROTO_NAME_MAX 1024

/* Older kernels send only major, minor, max_readahead and flags. */
#define INIT_IN_MIN 16
/* FUSE_COMPAT_22_INIT_OUT_SIZE: everything up to max_write. */
#define INIT_OUT_MIN 24

/* The positional columns every row has, then the row's other facts by
 * name (.fields, .no_inode, .no_wait, .made_type). */
#define OP(op, nm, sz, nn, rk, lk, cr, ...)                                   \
	[op] = { .name = nm, .in_size = sz, .nnames = nn, .reply = rk,        \
		 .lock = lk, .creates = cr, __VA_ARGS__ }

/* One row per opcode of enum fuse_opcode; CUSE_INIT lives apart because
 * its number (4096) would make the array sparse. */
static const struct fc_op_info proto_ops[] = {
	OP(FUSE_LOOKUP, "LOOKUP", 0, 1, FC_RK_ENTRY, FC_LK_PARENT_SHARED, 0,
	   .fields = FC_RF_NAME),
	OP(FUSE_FORGET, "FORGET", sizeof(struct fuse_forget_in), 0,
	   FC_RK_NONE, FC_LK_NONE, 0,
	   .fields = FC_RF_NLOOKUP, .no_inode = 1, .no_wait = 1),
	OP(FUSE_GETATTR, "GETATTR", sizeof(struct fuse_getattr_in), 0,
	   FC_RK_ATTR, FC_LK_NONE, 0,
	   .fields = FC_RF_FH),
	OP(FUSE_SETATTR, "SETATTR", sizeof(struct fuse_setattr_in), 0,
	   FC_RK_ATTR, FC_LK_NONE, 0,
	   .fields = FC_RF_FH),
	OP(FUSE_READLINK, "READLINK", 0, 0, FC_RK_DATA, FC_LK_NONE, 0),
	/* link name first, then the target (kernel fuse_symlink) */
	OP(FUSE_SYMLINK, "SYMLINK", 0, 2, FC_RK_ENTRY, FC_LK_PARENT_EXCL, 1,
	   .fields = FC_RF_NAME | FC_RF_NAME2, .made_type = S_IFLNK),
	OP(FUSE_MKNOD, "MKNOD", sizeof(struct fuse_mknod_in), 1, FC_RK_ENTRY,
	   FC_LK_PARENT_EXCL, 1,
	   .fields = FC_RF_NAME | FC_RF_MODE, .made_type = FC_MADE_FROM_MODE),
	OP(FUSE_MKDIR, "MKDIR", sizeof(struct fuse_mkdir_in), 1, FC_RK_ENTRY,
	   FC_LK_PARENT_EXCL, 1,
	   .fields = FC_RF_NAME | FC_RF_MODE, .made_type = S_IFDIR),
	OP(FUSE_UNLINK, "UNLINK", 0, 1, FC_RK_EMPTY, FC_LK_PARENT_EXCL, 0,
	   .fields = FC_RF_NAME),
	OP(FUSE_RMDIR, "RMDIR", 0, 1, FC_RK_EMPTY, FC_LK_PARENT_EXCL, 0,
	   .fields = FC_RF_NAME),
	OP(FUSE_RENAME, "RENAME", sizeof(struct fuse_rename_in), 2,
	   FC_RK_EMPTY, FC_LK_PARENTS_EXCL, 0,
	   .fields = FC_RF_NAME | FC_RF_NEWDIR | FC_RF_NAME2),
	/* nodeid is the new parent; the lock is on it */
	OP(FUSE_LINK, "LINK", sizeof(struct fuse_link_in), 1, FC_RK_ENTRY,
	   FC_LK_PARENT_EXCL, 0,
	   .fields = FC_RF_OLDNODE | FC_RF_NAME, .made_type = FC_MADE_AS_OLD),
	OP(FUSE_OPEN, "OPEN", sizeof(struct fuse_open_in), 0, FC_RK_OPEN,
	   FC_LK_NONE, 0,
	   .fields = FC_RF_FLAGS),
	OP(FUSE_READ, "READ", sizeof(struct fuse_read_in), 0, FC_RK_DATA,
	   FC_LK_NONE, 0,
	   .fields = FC_RF_FH | FC_RF_OFFSET | FC_RF_SIZE),
	OP(FUSE_WRITE, "WRITE", sizeof(struct fuse_write_in), 0, FC_RK_OTHER,
	   FC_LK_INODE_WRITE, 0,
	   .fields = FC_RF_FH | FC_RF_OFFSET | FC_RF_SIZE),
	OP(FUSE_STATFS, "STATFS", 0, 0, FC_RK_OTHER, FC_LK_NONE, 0),
	OP(FUSE_RELEASE, "RELEASE", sizeof(struct fuse_release_in), 0,
	   FC_RK_EMPTY, FC_LK_NONE, 0,
	   .fields = FC_RF_FH),
	OP(FUSE_FSYNC, "FSYNC", sizeof(struct fuse_fsync_in), 0, FC_RK_EMPTY,
	   FC_LK_NONE, 0,
	   .fields = FC_RF_FH),
	/* in_size is the FUSE_SETXATTR_EXT size; see setxattr_in_size() */
	OP(FUSE_SETXATTR, "SETXATTR", sizeof(struct fuse_setxattr_in), 1,
	   FC_RK_EMPTY, FC_LK_NONE, 0,
	   .fields = FC_RF_NAME | FC_RF_SIZE),
	OP(FUSE_GETXATTR, "GETXATTR", sizeof(struct fuse_getxattr_in), 1,
	   FC_RK_DATA, FC_LK_NONE, 0,
	   .fields = FC_RF_NAME | FC_RF_SIZE),
	OP(FUSE_LISTXATTR, "LISTXATTR", sizeof(struct fuse_getxattr_in), 0,
	   FC_RK_DATA, FC_LK_NONE, 0,
	   .fields = FC_RF_SIZE),
	OP(FUSE_REMOVEXATTR, "REMOVEXATTR", 0, 1, FC_RK_EMPTY, FC_LK_NONE, 0,
	   .fields = FC_RF_NAME),
	OP(FUSE_FLUSH, "FLUSH", sizeof(struct fuse_flush_in), 0, FC_RK_EMPTY,
	   FC_LK_NONE, 0,
	   .fields = FC_RF_FH),
	/* decoded leniently: only the first INIT_IN_MIN bytes are required */
	OP(FUSE_INIT, "INIT", sizeof(struct fuse_init_in), 0, FC_RK_INIT,
	   FC_LK_NONE, 0,
	   .fields = FC_RF_INIT, .no_inode = 1),
	OP(FUSE_OPENDIR, "OPENDIR", sizeof(struct fuse_open_in), 0,
	   FC_RK_OPEN, FC_LK_NONE, 0,
	   .fields = FC_RF_FLAGS),
	OP(FUSE_READDIR, "READDIR", sizeof(struct fuse_read_in), 0,
	   FC_RK_DIRENT, FC_LK_DIR_READ, 0,
	   .fields = FC_RF_FH | FC_RF_OFFSET | FC_RF_SIZE),
	OP(FUSE_RELEASEDIR, "RELEASEDIR", sizeof(struct fuse_release_in), 0,
	   FC_RK_EMPTY, FC_LK_NONE, 0,
	   .fields = FC_RF_FH),
	OP(FUSE_FSYNCDIR, "FSYNCDIR", sizeof(struct fuse_fsync_in), 0,
	   FC_RK_EMPTY, FC_LK_NONE, 0,
	   .fields = FC_RF_FH),
	OP(FUSE_GETLK, "GETLK", sizeof(struct fuse_lk_in), 0, FC_RK_OTHER,
	   FC_LK_NONE, 0),
	OP(FUSE_SETLK, "SETLK", sizeof(struct fuse_lk_in), 0, FC_RK_EMPTY,
	   FC_LK_NONE, 0),
	OP(FUSE_SETLKW, "SETLKW", sizeof(struct fuse_lk_in), 0, FC_RK_EMPTY,
	   FC_LK_NONE, 0),
	OP(FUSE_ACCESS, "ACCESS", sizeof(struct fuse_access_in), 0,
	   FC_RK_EMPTY, FC_LK_NONE, 0),
	OP(FUSE_CREATE, "CREATE", sizeof(struct fuse_create_in), 1,
	   FC_RK_CREATE, FC_LK_PARENT_EXCL, 1,
	   .fields = FC_RF_NAME | FC_RF_MODE | FC_RF_FLAGS, .made_type = S_IFREG),
	/* a reply is optional (EAGAIN / ENOSYS only); most get none */
	OP(FUSE_INTERRUPT, "INTERRUPT", sizeof(struct fuse_interrupt_in), 0,
	   FC_RK_EMPTY, FC_LK_NONE, 0,
	   .fields = FC_RF_INTR, .no_inode = 1, .no_wait = 1),
	OP(FUSE_BMAP, "BMAP", sizeof(struct fuse_bmap_in), 0, FC_RK_OTHER,
	   FC_LK_NONE, 0),
	OP(FUSE_DESTROY, "DESTROY", 0, 0, FC_RK_EMPTY, FC_LK_NONE, 0,
	   .no_inode = 1),
	OP(FUSE_IOCTL, "IOCTL", sizeof(struct fuse_ioctl_in), 0, FC_RK_OTHER,
	   FC_LK_NONE, 0),
	OP(FUSE_POLL, "POLL", sizeof(struct fuse_poll_in), 0, FC_RK_OTHER,
	   FC_LK_NONE, 0),
	/* the kernel's answer to a RETRIEVE notification: never replied */
	OP(FUSE_NOTIFY_REPLY, "NOTIFY_REPLY",
	   sizeof(struct fuse_notify_retrieve_in), 0, FC_RK_NONE, FC_LK_NONE,
	   0,
	   .no_inode = 1, .no_wait = 1),
	OP(FUSE_BATCH_FORGET, "BATCH_FORGET",
	   sizeof(struct fuse_batch_forget_in), 0, FC_RK_NONE, FC_LK_NONE, 0,
	   .fields = FC_RF_FORGETS, .no_inode = 1, .no_wait = 1),
	OP(FUSE_FALLOCATE, "FALLOCATE", sizeof(struct fuse_fallocate_in), 0,
	   FC_RK_EMPTY, FC_LK_NONE, 0,
	   .fields = FC_RF_FH | FC_RF_OFFSET),
	OP(FUSE_READDIRPLUS, "READDIRPLUS", sizeof(struct fuse_read_in), 0,
	   FC_RK_DIRENTPLUS, FC_LK_DIR_READ, 0,
	   .fields = FC_RF_FH | FC_RF_OFFSET | FC_RF_SIZE),
	OP(FUSE_RENAME2, "RENAME2", sizeof(struct fuse_rename2_in), 2,
	   FC_RK_EMPTY, FC_LK_PARENTS_EXCL, 0,
	   .fields = FC_RF_NAME | FC_RF_NEWDIR | FC_RF_NAME2 | FC_RF_FLAGS),
	OP(FUSE_LSEEK, "LSEEK", sizeof(struct fuse_lseek_in), 0, FC_RK_OTHER,
	   FC_LK_NONE, 0,
	   .fields = FC_RF_FH | FC_RF_OFFSET),
	OP(FUSE_COPY_FILE_RANGE, "COPY_FILE_RANGE",
	   sizeof(struct fuse_copy_file_range_in), 0, FC_RK_OTHER, FC_LK_NONE,
	   0),
	OP(FUSE_SETUPMAPPING, "SETUPMAPPING",
	   sizeof(struct fuse_setupmapping_in), 0, FC_RK_EMPTY, FC_LK_NONE, 0),
	OP(FUSE_REMOVEMAPPING, "REMOVEMAPPING",
	   sizeof(struct fuse_removemapping_in), 0, FC_RK_EMPTY, FC_LK_NONE,
	   0),
	OP(FUSE_SYNCFS, "SYNCFS", sizeof(struct fuse_syncfs_in), 0,
	   FC_RK_EMPTY, FC_LK_NONE, 0),
	/* create_in + entry_out/open_out like CREATE (kernel fuse_tmpfile).
	 * The kernel also sends the dentry name ("/"); it is not decoded. */
	OP(FUSE_TMPFILE, "TMPFILE", sizeof(struct fuse_create_in), 0,
	   FC_RK_CREATE, FC_LK_NONE, 1,
	   .fields = FC_RF_MODE | FC_RF_FLAGS, .made_type = S_IFREG),
};

static const struct fc_op_info proto_cuse_init = {
	.name = "CUSE_INIT",
	.in_size = sizeof(struct cuse_init_in),
	.reply = FC_RK_OTHER,
};

const struct fc_op_info *proto_op(uint32_t opcode)
{
	if (opcode == CUSE_INIT)
		return &proto_cuse_init;
	if (opcode >= sizeof(proto_ops) / sizeof(proto_ops[0]))
		return NULL;
	if (!proto_ops[opcode].name)
		return NULL;
	return &proto_ops[opcode];
}

int64_t proto_op_by_name(const char *name)
{
	size_t k;

	for (k = 0; k < sizeof(proto_ops) / sizeof(proto_ops[0]); k++)
		if (proto_ops[k].name && !strcmp(proto_ops[k].name, name))
			return (int64_t)k;
	return -1;
}

const char *proto_op_name(uint32_t opcode)
{
	const struct fc_op_info *op = proto_op(opcode);

	return op ? op->name : "UNKNOWN";
}

/* The next NUL-terminated name at *pos in [buf, buf+len). */
static int take_name(const char *buf, size_t len, size_t *pos,
		     const char **name, size_t *name_len)
{
	const char *nul;

	if (*pos >= len)
		return -EPROTO;
	nul = memchr(buf + *pos, '\0', len - *pos);
	if (!nul)
		return -EPROTO;
	*name = buf + *pos;
	*name_len = (size_t)(nul - *name);
	*pos += *name_len + 1;
	return 0;
}

/* The fixed arguments, copied into a zeroed union so that short INIT
 * requests read as zero beyond what was sent. */
union proto_args {
	struct fuse_forget_in forget;
	struct fuse_getattr_in getattr;
	struct fuse_setattr_in setattr;
	struct fuse_mknod_in mknod;
	struct fuse_mkdir_in mkdir;
	struct fuse_rename_in rename;
	struct fuse_rename2_in rename2;
	struct fuse_link_in link;
	struct fuse_open_in open;
	struct fuse_create_in create;
	struct fuse_read_in read;
	struct fuse_write_in write;
	struct fuse_release_in release;
	struct fuse_flush_in flush;
	struct fuse_fsync_in fsync;
	struct fuse_setxattr_in setxattr;
	struct fuse_getxattr_in getxattr;
	struct fuse_init_in init;
	struct fuse_interrupt_in interrupt;
	struct fuse_batch_forget_in batch;
	struct fuse_lk_in lk;
	struct fuse_ioctl_in ioctl;
	struct fuse_poll_in poll;
	struct fuse_fallocate_in fallocate;
	struct fuse_lseek_in lseek;
	struct fuse_copy_file_range_in cfr;
	struct fuse_setupmapping_in setupmapping;
	struct fuse_syncfs_in syncfs;
	struct cuse_init_in cuse;
};

/* SETXATTR's fixed part is 8 bytes (FUSE_COMPAT_SETXATTR_IN_SIZE) unless
 * FUSE_SETXATTR_EXT was negotiated, when it is 16.  The decoder does not
 * know what was negotiated, so it looks at byte 8: in the long layout it
 * starts setxattr_flags (0 or FUSE_SETXATTR_ACL_KILL_SGID), in the short
 * one it starts the name, which the VFS never lets be empty and which
 * always begins with a namespace ("user." ...). */
static size_t setxattr_in_size(const char *args, size_t avail)
{
	if (avail > FUSE_COMPAT_SETXATTR_IN_SIZE &&
	    (unsigned char)args[FUSE_COMPAT_SETXATTR_IN_SIZE] > 1)
		return FUSE_COMPAT_SETXATTR_IN_SIZE;
	return sizeof(struct fuse_setxattr_in);
}

/* Fill the opcode-specific fields of *out from the fixed arguments. */
static void req_fields(struct fc_req *out, const union proto_args *a)
{
	switch (out->opcode) {
	case FUSE_FORGET:
		out->nlookup = a->forget.nlookup;
		break;
	case FUSE_GETATTR:
		out->fh = a->getattr.fh;
		break;
	case FUSE_SETATTR:
		out->fh = a->setattr.fh;
		out->mode = a->setattr.mode;
		out->offset = a->setattr.size;
		break;
	case FUSE_MKNOD:
		out->mode = a->mknod.mode;
		break;
	case FUSE_MKDIR:
		out->mode = a->mkdir.mode;
		break;
	case FUSE_RENAME:
		out->newdir = a->rename.newdir;
		break;
	case FUSE_RENAME2:
		out->newdir = a->rename2.newdir;
		out->flags = a->rename2.flags;
		break;
	case FUSE_LINK:
		out->oldnodeid = a->link.oldnodeid;
		break;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		out->flags = a->open.flags;
		break;
	case FUSE_CREATE:
	case FUSE_TMPFILE:
		out->flags = a->create.flags;
		out->mode = a->create.mode;
		break;
	case FUSE_READ:
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
		out->fh = a->read.fh;
		out->offset = a->read.offset;
		out->size = a->read.size;
		break;
	case FUSE_WRITE:
		out->fh = a->write.fh;
		out->offset = a->write.offset;
		out->size = a->write.size;
		out->write_flags = a->write.write_flags;
		break;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
		out->fh = a->release.fh;
		out->flags = a->release.flags;
		break;
	case FUSE_FLUSH:
		out->fh = a->flush.fh;
		break;
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:
		out->fh = a->fsync.fh;
		out->flags = a->fsync.fsync_flags;
		break;
	case FUSE_SETXATTR:
		out->size = a->setxattr.size;
		out->flags = a->setxattr.flags;
		break;
	case FUSE_GETXATTR:
	case FUSE_LISTXATTR:
		out->size = a->getxattr.size;
		break;
	case FUSE_INIT:
		out->major = a->init.major;
		out->minor = a->init.minor;
		out->max_readahead = a->init.max_readahead;
		out->init_flags = a->init.flags;
		if (a->init.flags & FUSE_INIT_EXT)
			out->init_flags |= (uint64_t)a->init.flags2 << 32;
		break;
	case FUSE_INTERRUPT:
		out->intr_unique = a->interrupt.unique;
		break;
	case FUSE_GETLK:
	case FUSE_SETLK:
	case FUSE_SETLKW:
		out->fh = a->lk.fh;
		break;
	case FUSE_FALLOCATE:
		out->fh = a->fallocate.fh;
		out->offset = a->fallocate.offset;
		out->mode = a->fallocate.mode;
		break;
	case FUSE_LSEEK:
		out->fh = a->lseek.fh;
		out->offset = a->lseek.offset;
		break;
	case CUSE_INIT:
		out->major = a->cuse.major;
		out->minor = a->cuse.minor;
		out->init_flags = a->cuse.flags;
		break;
	default:
		break;
	}
}

/* BATCH_FORGET: the items follow the fixed part. */
static int req_batch_forget(struct fc_req *out, const char *p, size_t len,
			    size_t pos, uint32_t count)
{
	size_t fit = (len - pos) / sizeof(struct fuse_forget_one);

	if (count > fit)
		return -EPROTO;
	out->forget_count = count;
	out->forgets = p + pos;
	return 0;
}

int proto_decode_request(const void *buf, size_t len, struct fc_req *out)
{
	const char *p = buf;
	struct fuse_in_header h;
	union proto_args a;
	size_t pos = IN_HDR, in_size, need;
	int err;

	memset(out, 0, sizeof(*out));
	if (!buf || len < IN_HDR)
		return -EPROTO;
	memcpy(&h, p, sizeof(h));
	out->opcode = h.opcode;
	out->unique = h.unique;
	out->nodeid = h.nodeid;
	out->uid = h.uid;
	out->gid = h.gid;
	out->pid = h.pid;
	out->len = h.len;
	out->op = proto_op(h.opcode);

	/* The tap hands over exactly what read(2) returned; only a WRITE
	 * may have been cut by the log (its data is not kept). */
	if (h.len != len &&
	    !(h.opcode == FUSE_WRITE && h.len > len &&
	      len >= IN_HDR + sizeof(struct fuse_write_in)))
		return -EPROTO;
	if (!out->op)
		return 0;

	in_size = out->op->in_size;
	need = in_size;
	if (h.opcode == FUSE_INIT)
		need = INIT_IN_MIN;
	else if (h.opcode == FUSE_SETXATTR)
		in_size = need = setxattr_in_size(p + pos, len - pos);
	if (len - pos < need)
		return -EPROTO;
	if (in_size > len - pos)
		in_size = len - pos;

	memset(&a, 0, sizeof(a));
	memcpy(&a, p + pos, in_size < sizeof(a) ? in_size : sizeof(a));
	pos += in_size;
	req_fields(out, &a);

	if (h.opcode == FUSE_BATCH_FORGET)
		return req_batch_forget(out, p, len, pos, a.batch.count);

	if (out->op->nnames >= 1) {
		err = take_name(p, len, &pos, &out->name, &out->name_len);
		if (err)
			return err;
	}
	if (out->op->nnames >= 2) {
		err = take_name(p, len, &pos, &out->name2, &out->name2_len);
		if (err)
			return err;
	}
	/* the xattr value follows its name */
	if (h.opcode == FUSE_SETXATTR && out->size > len - pos)
		return -EPROTO;
	return 0;
}

void proto_forget_item(const struct fc_req *req, uint32_t i,
		       uint64_t *nodeid, uint64_t *nlookup)
{
	struct fuse_forget_one one = { 0, 0 };
	const char *items = req->forgets;

	if (i < req->forget_count && items)
		memcpy(&one, items + (size_t)i * sizeof(one), sizeof(one));
	*nodeid = one.nodeid;
	*nlookup = one.nlookup;
}

/* fuse_init_out, of which old filesystems send only a prefix. */
static int reply_init(struct fc_reply *out)
{
	struct fuse_init_out io;

	if (out->body_len < INIT_OUT_MIN)
		return -EPROTO;
	memset(&io, 0, sizeof(io));
	memcpy(&io, out->body,
	       out->body_len < sizeof(io) ? out->body_len : sizeof(io));
	out->has_init = 1;
	out->major = io.major;
	out->minor = io.minor;
	out->max_readahead = io.max_readahead;
	out->max_write = io.max_write;
	out->init_flags = io.flags;
	if (io.flags & FUSE_INIT_EXT)
		out->init_flags |= (uint64_t)io.flags2 << 32;
	/* max_pages is read by the kernel only with FUSE_MAX_PAGES */
	out->max_pages = (io.flags & FUSE_MAX_PAGES) ? io.max_pages : 0;
	return 0;
}

/* The body of a successful reply, by the kind of its request. */
static int reply_body(uint32_t opcode, struct fc_reply *out)
{
	const struct fc_op_info *op = proto_op(opcode);
	const char *b = out->body;
	size_t need;

	if (!op)
		return 0;
	switch (op->reply) {
	case FC_RK_ENTRY:
	case FC_RK_CREATE:
		need = sizeof(out->entry);
		if (op->reply == FC_RK_CREATE)
			need += sizeof(out->open);
		if (out->body_len < need)
			return -EPROTO;
		memcpy(&out->entry, b, sizeof(out->entry));
		out->has_entry = 1;
		if (op->reply == FC_RK_CREATE) {
			memcpy(&out->open, b + sizeof(out->entry),
			       sizeof(out->open));
			out->has_open = 1;
		}
		return 0;
	case FC_RK_OPEN:
		if (out->body_len < sizeof(out->open))
			return -EPROTO;
		memcpy(&out->open, b, sizeof(out->open));
		out->has_open = 1;
		return 0;
	case FC_RK_INIT:
		return reply_init(out);
	default:
		return 0;
	}
}

int proto_decode_reply(uint32_t opcode, const void *buf, size_t len,
		       size_t orig_len, struct fc_reply *out)
{
	const char *p = buf;
	struct fuse_out_header h;

	memset(out, 0, sizeof(*out));
	if (!buf || len < OUT_HDR || len > orig_len)
		return -EPROTO;
	memcpy(&h, p, sizeof(h));
	out->unique = h.unique;
	out->error = h.error;
	out->len = h.len;
	out->body = p + OUT_HDR;
	out->body_len = len - OUT_HDR;

	if (h.len != orig_len)
		return -EPROTO;
	/* only READ data is cut by the event log */
	if (len < orig_len && opcode != FUSE_READ)
		return -EPROTO;
	if (h.error > 0 || h.error < -4095)
		return -EPROTO;
	if (h.error < 0)
		return orig_len == OUT_HDR ? 0 : -EPROTO;
	return reply_body(opcode, out);
}

int proto_dirent_next(const void *body, size_t body_len, int plus,
		      size_t *pos, struct fc_dirent *out)
{
	const char *p = body;
	size_t hdr = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	size_t doff = plus ? offsetof(struct fuse_direntplus, dirent) : 0;
	struct fuse_entry_out eo;
	struct fuse_dirent d;
	size_t left, reclen;

	memset(out, 0, sizeof(*out));
	if (*pos >= body_len)
		return 0;
	left = body_len - *pos;
	out->bad_left = left;
	if (left < hdr) {
		out->bad = "is cut short";
		out->bad_need = hdr;
		return -EPROTO;
	}
	memcpy(&d, p + *pos + doff, sizeof(d));
	out->name_len = d.namelen;
	if (d.namelen == 0 || d.namelen > PROTO_NAME_MAX) {
		out->bad = "has a namelen out of range";
		return -EPROTO;
	}
	reclen = FUSE_DIRENT_ALIGN(hdr + d.namelen);
	if (reclen > left) {
		out->bad = "runs past the end";
		out->bad_need = reclen;
		return -EPROTO;
	}
	out->name = p + *pos + hdr;
	/* The kernel refuses a name with '/' (EIO) and links nothing from
	 * there on (fs/fuse/readdir.c), so the walk stops there too. */
	if (memchr(out->name, '/', out->name_len)) {
		out->bad = "has a name with '/'";
		return -EPROTO;
	}
	out->has_nul = memchr(out->name, '\0', out->name_len) != NULL;
	out->ino = d.ino;
	out->off = d.off;
	out->type = d.type;
	if (plus) {
		memcpy(&eo, p + *pos, sizeof(eo));
		out->nodeid = eo.nodeid;
		out->generation = eo.generation;
		out->mode = eo.attr.mode;
		out->ino = eo.attr.ino;
	}
	out->is_dot = (d.namelen == 1 && out->name[0] == '.') ||
		      (d.namelen == 2 && out->name[0] == '.' &&
		       out->name[1] == '.');
	*pos += reclen;
	return 1;
}

/* INVAL_ENTRY and DELETE: a name of `namelen` bytes and a NUL end the
 * message exactly (kernel fuse_notify_inval_entry / fuse_notify_delete). */
static int notify_name(const char *body, size_t body_len, size_t fixed,
		       uint32_t namelen, struct fc_notify *out)
{
	if (namelen > PROTO_NAME_MAX)
		return -EPROTO;
	if (body_len != fixed + namelen + 1 || body[fixed + namelen] != '\0')
		return -EPROTO;
	out->name = body + fixed;
	out->name_len = namelen;
	return 0;
}

int proto_decode_notify(const void *buf, size_t len, struct fc_notify *out)
{
	const char *p = buf;
	const char *b;
	struct fuse_out_header h;
	struct fuse_notify_inval_inode_out ii;
	struct fuse_notify_inval_entry_out ie;
	struct fuse_notify_store_out st;
	struct fuse_notify_retrieve_out rt;
	struct fuse_notify_delete_out de;
	size_t blen;

	memset(out, 0, sizeof(*out));
	if (!buf || len < OUT_HDR)
		return -EPROTO;
	memcpy(&h, p, sizeof(h));
	out->code = h.error;
	if (h.len != len || h.unique != 0)
		return -EPROTO;
	b = p + OUT_HDR;
	blen = len - OUT_HDR;

	switch (h.error) {
	case FUSE_NOTIFY_POLL:
		return blen < sizeof(struct fuse_notify_poll_wakeup_out) ?
			       -EPROTO : 0;
	case FUSE_NOTIFY_INVAL_INODE:
		if (blen < sizeof(ii))
			return -EPROTO;
		memcpy(&ii, b, sizeof(ii));
		out->nodeid = ii.ino;
		return 0;
	case FUSE_NOTIFY_INVAL_ENTRY:
		if (blen < sizeof(ie))
			return -EPROTO;
		memcpy(&ie, b, sizeof(ie));
		out->parent = ie.parent;
		return notify_name(b, blen, sizeof(ie), ie.namelen, out);
	case FUSE_NOTIFY_STORE:
		if (blen < sizeof(st))
			return -EPROTO;
		memcpy(&st, b, sizeof(st));
		out->nodeid = st.nodeid;
		return st.size > blen - sizeof(st) ? -EPROTO : 0;
	case FUSE_NOTIFY_RETRIEVE:
		if (blen < sizeof(rt))
			return -EPROTO;
		memcpy(&rt, b, sizeof(rt));
		out->nodeid = rt.nodeid;
		return 0;
	case FUSE_NOTIFY_DELETE:
		if (blen < sizeof(de))
			return -EPROTO;
		memcpy(&de, b, sizeof(de));
		out->parent = de.parent;
		out->child = de.child;
		return notify_name(b, blen, sizeof(de), de.namelen, out);
	default:
		return 0;
	}
}

static const char *const proto_notify_names[] = {
	[FUSE_NOTIFY_POLL] = "POLL",
	[FUSE_NOTIFY_INVAL_INODE] = "INVAL_INODE",
	[FUSE_NOTIFY_INVAL_ENTRY] = "INVAL_ENTRY",
	[FUSE_NOTIFY_STORE] = "STORE",
	[FUSE_NOTIFY_RETRIEVE] = "RETRIEVE",
	[FUSE_NOTIFY_DELETE] = "DELETE",
};

const char *proto_notify_name(int32_t code)
{
	size_t n = sizeof(proto_notify_names) / sizeof(proto_notify_names[0]);

	if (code < 0 || (size_t)code >= n || !proto_notify_names[code])
		return "UNKNOWN";
	return proto_notify_names[code];
}

struct proto_flag {
	uint32_t mask;
	const char *name;
};

/* INIT flags by bit, from fusecheck's own table up to protocol 7.45
 * (include/uapi/linux/fuse.h of the kernel), never from the build
 * machine's header: a report names every flag a newer kernel offers,
 * whatever machine built fusecheck.  flags, bits 0-31: */
#define BIT(n, name) { (uint32_t)1 << (n), name }
static const struct proto_flag proto_init_flags[] = {
	BIT(0, "ASYNC_READ"),
	BIT(1, "POSIX_LOCKS"),
	BIT(2, "FILE_OPS"),
	BIT(3, "ATOMIC_O_TRUNC"),
	BIT(4, "EXPORT_SUPPORT"),
	BIT(5, "BIG_WRITES"),
	BIT(6, "DONT_MASK"),
	BIT(7, "SPLICE_WRITE"),
	BIT(8, "SPLICE_MOVE"),
	BIT(9, "SPLICE_READ"),
	BIT(10, "FLOCK_LOCKS"),
	BIT(11, "HAS_IOCTL_DIR"),
	BIT(12, "AUTO_INVAL_DATA"),
	BIT(13, "DO_READDIRPLUS"),
	BIT(14, "READDIRPLUS_AUTO"),
	BIT(15, "ASYNC_DIO"),
	BIT(16, "WRITEBACK_CACHE"),
	BIT(17, "NO_OPEN_SUPPORT"),
	BIT(18, "PARALLEL_DIROPS"),
	BIT(19, "HANDLE_KILLPRIV"),
	BIT(20, "POSIX_ACL"),
	BIT(21, "ABORT_ERROR"),
	BIT(22, "MAX_PAGES"),
	BIT(23, "CACHE_SYMLINKS"),
	BIT(24, "NO_OPENDIR_SUPPORT"),
	BIT(25, "EXPLICIT_INVAL_DATA"),
	BIT(26, "MAP_ALIGNMENT"),
	BIT(27, "SUBMOUNTS"),
	BIT(28, "HANDLE_KILLPRIV_V2"),
	BIT(29, "SETXATTR_EXT"),
	BIT(30, "INIT_EXT"),
	BIT(31, "INIT_RESERVED"),
};

/* Where the installed header names a bit, it must agree with the table. */
_Static_assert((uint32_t)FUSE_ASYNC_READ == (uint32_t)1 << 0, "FUSE_ASYNC_READ");
_Static_assert((uint32_t)FUSE_POSIX_LOCKS == (uint32_t)1 << 1, "FUSE_POSIX_LOCKS");
_Static_assert((uint32_t)FUSE_FILE_OPS == (uint32_t)1 << 2, "FUSE_FILE_OPS");
_Static_assert((uint32_t)FUSE_ATOMIC_O_TRUNC == (uint32_t)1 << 3, "FUSE_ATOMIC_O_TRUNC");
_Static_assert((uint32_t)FUSE_EXPORT_SUPPORT == (uint32_t)1 << 4, "FUSE_EXPORT_SUPPORT");
_Static_assert((uint32_t)FUSE_BIG_WRITES == (uint32_t)1 << 5, "FUSE_BIG_WRITES");
_Static_assert((uint32_t)FUSE_DONT_MASK == (uint32_t)1 << 6, "FUSE_DONT_MASK");
_Static_assert((uint32_t)FUSE_SPLICE_WRITE == (uint32_t)1 << 7, "FUSE_SPLICE_WRITE");
_Static_assert((uint32_t)FUSE_SPLICE_MOVE == (uint32_t)1 << 8, "FUSE_SPLICE_MOVE");
_Static_assert((uint32_t)FUSE_SPLICE_READ == (uint32_t)1 << 9, "FUSE_SPLICE_READ");
_Static_assert((uint32_t)FUSE_FLOCK_LOCKS == (uint32_t)1 << 10, "FUSE_FLOCK_LOCKS");
_Static_assert((uint32_t)FUSE_HAS_IOCTL_DIR == (uint32_t)1 << 11, "FUSE_HAS_IOCTL_DIR");
_Static_assert((uint32_t)FUSE_AUTO_INVAL_DATA == (uint32_t)1 << 12, "FUSE_AUTO_INVAL_DATA");
_Static_assert((uint32_t)FUSE_DO_READDIRPLUS == (uint32_t)1 << 13, "FUSE_DO_READDIRPLUS");
_Static_assert((uint32_t)FUSE_READDIRPLUS_AUTO == (uint32_t)1 << 14, "FUSE_READDIRPLUS_AUTO");
_Static_assert((uint32_t)FUSE_ASYNC_DIO == (uint32_t)1 << 15, "FUSE_ASYNC_DIO");
_Static_assert((uint32_t)FUSE_WRITEBACK_CACHE == (uint32_t)1 << 16, "FUSE_WRITEBACK_CACHE");
_Static_assert((uint32_t)FUSE_NO_OPEN_SUPPORT == (uint32_t)1 << 17, "FUSE_NO_OPEN_SUPPORT");
_Static_assert((uint32_t)FUSE_PARALLEL_DIROPS == (uint32_t)1 << 18, "FUSE_PARALLEL_DIROPS");
_Static_assert((uint32_t)FUSE_HANDLE_KILLPRIV == (uint32_t)1 << 19, "FUSE_HANDLE_KILLPRIV");
_Static_assert((uint32_t)FUSE_POSIX_ACL == (uint32_t)1 << 20, "FUSE_POSIX_ACL");
_Static_assert((uint32_t)FUSE_ABORT_ERROR == (uint32_t)1 << 21, "FUSE_ABORT_ERROR");
_Static_assert((uint32_t)FUSE_MAX_PAGES == (uint32_t)1 << 22, "FUSE_MAX_PAGES");
_Static_assert((uint32_t)FUSE_CACHE_SYMLINKS == (uint32_t)1 << 23, "FUSE_CACHE_SYMLINKS");
_Static_assert((uint32_t)FUSE_NO_OPENDIR_SUPPORT == (uint32_t)1 << 24, "FUSE_NO_OPENDIR_SUPPORT");
_Static_assert((uint32_t)FUSE_EXPLICIT_INVAL_DATA == (uint32_t)1 << 25, "FUSE_EXPLICIT_INVAL_DATA");
_Static_assert((uint32_t)FUSE_MAP_ALIGNMENT == (uint32_t)1 << 26, "FUSE_MAP_ALIGNMENT");
_Static_assert((uint32_t)FUSE_SUBMOUNTS == (uint32_t)1 << 27, "FUSE_SUBMOUNTS");
_Static_assert((uint32_t)FUSE_HANDLE_KILLPRIV_V2 == (uint32_t)1 << 28, "FUSE_HANDLE_KILLPRIV_V2");
_Static_assert((uint32_t)FUSE_SETXATTR_EXT == (uint32_t)1 << 29, "FUSE_SETXATTR_EXT");
_Static_assert((uint32_t)FUSE_INIT_EXT == (uint32_t)1 << 30, "FUSE_INIT_EXT");
_Static_assert((uint32_t)FUSE_INIT_RESERVED == (uint32_t)1 << 31, "FUSE_INIT_RESERVED");

/* flags2, bit 32 and up (the minor that brought each in the comment): */
#define BIT2(n, name) { 1u << ((n) - 32), name }
static const struct proto_flag proto_init_flags2[] = {
	BIT2(32, "SECURITY_CTX"),         /* 7.36 */
	BIT2(33, "HAS_INODE_DAX"),        /* 7.36 */
	BIT2(34, "CREATE_SUPP_GROUP"),    /* 7.38 */
	BIT2(35, "HAS_EXPIRE_ONLY"),      /* 7.38 */
	BIT2(36, "DIRECT_IO_ALLOW_MMAP"), /* 7.39 */
	BIT2(37, "PASSTHROUGH"),          /* 7.40 */
	BIT2(38, "NO_EXPORT_SUPPORT"),    /* 7.40 */
	BIT2(39, "HAS_RESEND"),           /* 7.40 */
	BIT2(40, "ALLOW_IDMAP"),          /* 7.40 */
	BIT2(41, "OVER_IO_URING"),        /* 7.42 */
	BIT2(42, "REQUEST_TIMEOUT"),      /* 7.43 */
};

static const char *flag_lookup(const struct proto_flag *t, size_t n,
			       uint32_t mask)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].mask == mask)
			return t[i].name;
	return NULL;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *proto_init_flag_name(unsigned bit)
{
	if (bit < 32)
		return flag_lookup(proto_init_flags, NELEM(proto_init_flags),
				   (uint32_t)1 << bit);
	if (bit < 64)
		return flag_lookup(proto_init_flags2, NELEM(proto_init_flags2),
				   (uint32_t)1 << (bit - 32));
	return NULL;
}

size_t proto_log_len_request(const void *buf, size_t len)
{
	struct fuse_in_header h;
	size_t keep = IN_HDR + sizeof(struct fuse_write_in);

	if (!buf || len < IN_HDR)
		return len;
	memcpy(&h, buf, sizeof(h));
	if (h.opcode == FUSE_WRITE && len > keep)
		return keep;
	return len;
}

size_t proto_log_len_reply(uint32_t opcode, size_t len)
{
	if (opcode == FUSE_READ && len > OUT_HDR)
		return OUT_HDR;
	return len;
}

char *proto_init_flag_names(uint64_t flags)
{
	/* 64 names of at most 31 characters and a separator each */
	char *buf = malloc(64 * 32 + 1), *o;
	const char *name;
	unsigned bit;

	if (!buf)
		return NULL;
	o = buf;
	*o = '\0';
	for (bit = 0; bit < 64; bit++) {
		if (!(flags & (UINT64_C(1) << bit)))
			continue;
		name = proto_init_flag_name(bit);
		o += sprintf(o, "%s%.30s", o == buf ? "" : " ",
			     name ? name : "");
		if (!name)
			o += sprintf(o, "BIT%u", bit);
	}
	return buf;
}
