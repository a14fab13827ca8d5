/* wire/proto.h - the FUSE wire protocol as data: one table row per opcode, and
 * bounds-checked decoders for requests, replies and notifications.
 *
 * Decoders never trust a length: every field they return lies inside the
 * buffer they were given, and a message that does not fit its opcode's
 * layout decodes to -EPROTO.  Names point into the buffer and are NOT
 * NUL-terminated for the caller; use the explicit lengths.
 */
#ifndef FC_PROTO_H
#define FC_PROTO_H

#include <stdint.h>
#include <stddef.h>
#include <linux/fuse.h>

/* What a successful reply to an opcode carries. */
enum fc_reply_kind {
	FC_RK_NONE = 0,      /* no reply at all (FORGET, BATCH_FORGET) */
	FC_RK_EMPTY,         /* header only */
	FC_RK_ENTRY,         /* fuse_entry_out: hands out one reference */
	FC_RK_CREATE,        /* fuse_entry_out + fuse_open_out: one reference */
	FC_RK_ATTR,          /* fuse_attr_out */
	FC_RK_OPEN,          /* fuse_open_out */
	FC_RK_DATA,          /* opaque bytes (READ, READLINK, GETXATTR ...) */
	FC_RK_DIRENT,        /* fuse_dirent stream: no references */
	FC_RK_DIRENTPLUS,    /* fuse_direntplus stream: references */
	FC_RK_INIT,          /* fuse_init_out */
	FC_RK_OTHER,         /* a fixed struct we only relay */
};

/* Which lock the VFS holds while the request is in flight (issue: locking).
 * Data only here; the lock checker reads it. */
enum fc_lock_kind {
	FC_LK_NONE = 0,
	FC_LK_PARENT_EXCL,   /* nodeid is a directory held exclusively */
	FC_LK_PARENTS_EXCL,  /* RENAME/RENAME2: nodeid and newdir exclusive */
	FC_LK_PARENT_SHARED, /* LOOKUP: nodeid held shared */
	FC_LK_DIR_READ,      /* READDIR/READDIRPLUS on nodeid */
	FC_LK_INODE_WRITE,   /* WRITE: the file's inode lock */
};
/* RENAME_EXCHANGE (<linux/fs.h>) as RENAME2 carries it in its flags */
#define FC_RENAME_EXCHANGE (1u << 1)

/* A set of lock kinds as bits (the lock rules compare such sets). */
#define FC_LK_BIT(kind) (1u << (kind))

/* The decoded fields a request carries (struct fc_req), as bits. */
enum fc_req_field {
	FC_RF_NAME = 1 << 0,
	FC_RF_NAME2 = 1 << 1,
	FC_RF_NEWDIR = 1 << 2,
	FC_RF_OLDNODE = 1 << 3,
	FC_RF_MODE = 1 << 4,
	FC_RF_FLAGS = 1 << 5,
	FC_RF_FH = 1 << 6,
	FC_RF_OFFSET = 1 << 7,
	FC_RF_SIZE = 1 << 8,
	FC_RF_NLOOKUP = 1 << 9,
	FC_RF_INTR = 1 << 10,
	FC_RF_INIT = 1 << 11,
	FC_RF_FORGETS = 1 << 12,
};

/* The type of the inode a positive reply makes, where not a fixed S_IF*. */
#define FC_MADE_FROM_MODE 1u     /* MKNOD: the request's mode says */
#define FC_MADE_AS_OLD 2u        /* LINK: the linked inode's type */

/* Everything fusecheck knows of one opcode: one row, one place. */
struct fc_op_info {
	const char *name;        /* "LOOKUP": the FUSE name without prefix */
	uint32_t in_size;        /* fixed argument size after fuse_in_header */
	uint8_t nnames;          /* NUL-terminated names after the arguments */
	uint8_t reply;           /* enum fc_reply_kind */
	uint8_t lock;            /* enum fc_lock_kind */
	uint8_t creates;         /* a positive reply makes a NEW inode */
	uint8_t no_inode;        /* the header's nodeid is no inode the
				    request uses (FORGET, INIT ...) */
	uint8_t no_wait;         /* the kernel awaits no reply (FORGET) or
				    seldom gets one (INTERRUPT) */
	uint16_t fields;         /* enum fc_req_field bits it carries */
	uint32_t made_type;      /* S_IFDIR ...: a positive reply makes an
				    inode of this type; FC_MADE_*; 0: none */
};

/* A directory entry as the wire names it: (parent nodeid, name bytes). */
struct fc_dentry {
	uint64_t parent;
	const char *name;
	size_t len;
	unsigned depth;          /* from the root, where known */
};

/* The row for `opcode`, or NULL when the opcode is unknown. */
const struct fc_op_info *proto_op(uint32_t opcode);
/* The opcode named "LOOKUP" (no FUSE_ prefix), or -1. */
int64_t proto_op_by_name(const char *name);
/* "LOOKUP", or "UNKNOWN" */
const char *proto_op_name(uint32_t opcode);

/* A decoded request.  Fields not used by the opcode are zero. */
struct fc_req {
	uint32_t opcode;
	uint64_t unique;
	uint64_t nodeid;
	uint32_t uid, gid, pid;
	uint32_t len;            /* fuse_in_header.len */
	const struct fc_op_info *op; /* NULL: unknown opcode */

	const char *name;        /* LOOKUP, MKNOD, MKDIR, UNLINK, RMDIR,
				    CREATE, LINK, RENAME(2) old name,
				    SYMLINK link name, xattr name */
	size_t name_len;
	const char *name2;       /* RENAME(2) new name, SYMLINK target */
	size_t name2_len;

	uint64_t newdir;         /* RENAME/RENAME2 */
	uint64_t oldnodeid;      /* LINK */
	uint32_t flags;          /* OPEN/CREATE open flags, RENAME2 flags */
	uint32_t mode;           /* MKNOD/MKDIR/CREATE/TMPFILE */
	uint64_t fh;             /* READ, WRITE, RELEASE, FLUSH, FSYNC ... */
	uint64_t offset;         /* READ, WRITE, READDIR(PLUS) */
	uint32_t size;           /* READ, WRITE, READDIR(PLUS), GETXATTR ... */
	uint32_t write_flags;    /* WRITE */

	uint64_t nlookup;        /* FORGET */
	uint32_t forget_count;   /* BATCH_FORGET items present in buffer */
	const void *forgets;     /* struct fuse_forget_one[forget_count],
				    possibly unaligned: read with memcpy */

	uint64_t intr_unique;    /* INTERRUPT */

	/* INIT request from the kernel */
	uint32_t major, minor;
	uint64_t init_flags;     /* flags | (flags2 << 32) */
	uint32_t max_readahead;
};

/* fuse_in_header.len must equal `len`, except for a WRITE cut by the event
 * log to header + fuse_write_in (proto_log_len_request).  The fixed
 * arguments must be present (INIT: only the first 16 bytes, flags2 only
 * with FUSE_INIT_EXT; SETXATTR: the 8- or 16-byte layout, told apart by
 * byte 8) and every name NUL-terminated inside the buffer.  BATCH_FORGET
 * whose count exceeds the items present is -EPROTO.  An unknown opcode
 * decodes the header only, with op = NULL, and returns 0. */
int proto_decode_request(const void *buf, size_t len, struct fc_req *out);
/* Item i of a decoded BATCH_FORGET. */
void proto_forget_item(const struct fc_req *req, uint32_t i,
		       uint64_t *nodeid, uint64_t *nlookup);

/* A decoded reply to a request with opcode `opcode`. */
struct fc_reply {
	uint64_t unique;
	int32_t error;           /* fuse_out_header.error (0 or -errno) */
	uint32_t len;            /* fuse_out_header.len */
	int has_entry;           /* ENTRY / CREATE reply with error 0 */
	struct fuse_entry_out entry;
	int has_open;            /* OPEN / OPENDIR / CREATE */
	struct fuse_open_out open;
	int has_init;
	uint32_t major, minor;
	uint64_t init_flags;     /* flags | (flags2 << 32) */
	uint32_t max_write, max_pages, max_readahead;
	const void *body;        /* bytes after fuse_out_header */
	size_t body_len;
};

/* `len` is what was logged; `orig_len` what was on the wire (READ data may
 * have been cut).  -EPROTO when the message does not fit: header len !=
 * orig_len, error outside 0 and -4095..-1 (the kernel itself refuses
 * errors <= -512 with EINVAL, fs/fuse/dev.c fuse_dev_do_write; that
 * shows as REPLY_REJECTED), an error
 * with a body, or a body too short for its reply kind.  INIT: the first
 * 24 bytes are required, later fields read 0 when not sent; max_pages is
 * 0 unless FUSE_MAX_PAGES is set.  On -EPROTO the header fields are still
 * filled when at least a header was present. */
int proto_decode_reply(uint32_t opcode, const void *buf, size_t len,
		       size_t orig_len, struct fc_reply *out);

/* One READDIRPLUS entry. */
struct fc_dirent {
	uint64_t nodeid;         /* entry_out.nodeid: 0 = no reference */
	uint64_t generation;
	uint32_t mode;           /* entry_out.attr.mode */
	uint64_t ino;            /* entry_out.attr.ino */
	uint64_t off;
	uint32_t type;
	const char *name;
	size_t name_len;
	int is_dot;              /* "." or "..": the kernel takes no reference */
	int has_nul;             /* the name holds a NUL byte: garbage
				    (PR-DIRENT), yet the kernel links it */
	const char *bad;         /* -EPROTO: why the walk stopped, with
				    bad_need/bad_left where they apply */
	size_t bad_need, bad_left;
};

/* The one walk of the entries of a READDIRPLUS (plus=1) or READDIR
 * (plus=0) reply body, for the lookup counts and for PR-DIRENT alike.
 * *pos starts at 0.  Returns 1 with *out filled, 0 at the end, -EPROTO
 * on a malformed entry (out->bad says which: cut short, name_len 0 or
 * > 1024, running past the end, or a name containing '/').  -EPROTO
 * means what the kernel does there (fs/fuse/readdir.c): it stops, and
 * takes no reference for that entry or any later one.  A NUL byte in a
 * name does not stop the kernel (out->has_nul). */
int proto_dirent_next(const void *body, size_t body_len, int plus,
		      size_t *pos, struct fc_dirent *out);

/* A notification (unique 0, fs -> kernel); code = fuse_out_header.error. */
struct fc_notify {
	int32_t code;            /* enum fuse_notify_code */
	uint64_t parent, child;  /* INVAL_ENTRY / DELETE */
	uint64_t nodeid;         /* INVAL_INODE, STORE, RETRIEVE */
	const char *name;
	size_t name_len;
};

/* Header len must equal `len` and unique be 0.  INVAL_ENTRY and DELETE
 * must end exactly with name + NUL (as the kernel requires); STORE's data
 * must fit.  Unknown codes decode to just `code` and return 0. */
int proto_decode_notify(const void *buf, size_t len, struct fc_notify *out);
const char *proto_notify_name(int32_t code);

/* INIT flag bit -> "READDIRPLUS"; NULL for an unnamed bit.  `bit` 0..63
 * over flags | flags2 << 32. */
const char *proto_init_flag_name(unsigned bit);

/* How many bytes of a message the event log keeps: everything, except
 * the bulk data of WRITE requests and READ replies. */
size_t proto_log_len_request(const void *buf, size_t len);
size_t proto_log_len_reply(uint32_t opcode, size_t len);

/* INIT flags (flags | flags2 << 32) as space-separated names, "BITn" for a
 * bit proto_init_flag_name does not name; "" for none.  NULL when out of
 * memory; free() it. */
char *proto_init_flag_names(uint64_t flags);

#endif
