/* test_proto.c - the protocol table, the decoders and the event lines,
 * on hand-built messages (valid, truncated and hostile). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "wire/evfmt.h"
#include "wire/proto.h"

/* --- message builder ------------------------------------------------ */

struct msg {
	unsigned char buf[16384];
	size_t len;
};

static void put_bytes(struct msg *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->buf));
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

static void put_zero(struct msg *m, size_t n)
{
	assert_true(m->len + n <= sizeof(m->buf));
	memset(m->buf + m->len, 0, n);
	m->len += n;
}

/* A name with its NUL. */
static void put_name(struct msg *m, const char *s)
{
	put_bytes(m, s, strlen(s) + 1);
}

static void req_begin(struct msg *m, uint32_t opcode, uint64_t unique,
		      uint64_t nodeid)
{
	struct fuse_in_header h = { 0 };

	h.opcode = opcode;
	h.unique = unique;
	h.nodeid = nodeid;
	h.uid = 1000;
	h.gid = 1000;
	h.pid = 1234;
	m->len = 0;
	put_bytes(m, &h, sizeof(h));
}

static void rep_begin(struct msg *m, uint64_t unique, int32_t error)
{
	struct fuse_out_header h = { 0 };

	h.unique = unique;
	h.error = error;
	m->len = 0;
	put_bytes(m, &h, sizeof(h));
}

/* Both headers start with a 32-bit len. */
static void msg_end(struct msg *m)
{
	uint32_t len = (uint32_t)m->len;

	memcpy(m->buf, &len, sizeof(len));
}

static void set_len(struct msg *m, uint32_t len)
{
	memcpy(m->buf, &len, sizeof(len));
}

static int decode_req(struct msg *m, struct fc_req *r)
{
	return proto_decode_request(m->buf, m->len, r);
}

static int decode_rep(uint32_t opcode, struct msg *m, struct fc_reply *r)
{
	return proto_decode_reply(opcode, m->buf, m->len, m->len, r);
}

static void assert_name(const char *p, size_t len, const char *want)
{
	assert_non_null(p);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(p, want, len);
}

/* --- the table ------------------------------------------------------ */

/* A minimal valid request for `opcode`: zeroed fixed arguments and one
 * short name per name the row declares. */
static void build_minimal(struct msg *m, uint32_t opcode,
			  const struct fc_op_info *op)
{
	unsigned i;

	req_begin(m, opcode, 7, 1);
	put_zero(m, op->in_size);
	for (i = 0; i < op->nnames; i++)
		put_name(m, i ? "b" : "a");
	msg_end(m);
}

static void test_proto__table_every_opcode(void **state)
{
	struct msg m;
	struct fc_req r;
	const struct fc_op_info *op;
	uint32_t opcode;
	unsigned count = 0;

	for (opcode = 0; opcode <= CUSE_INIT; opcode++) {
		op = proto_op(opcode);
		if (!op)
			continue;
		count++;
		assert_non_null(op->name);
		assert_string_equal(proto_op_name(opcode), op->name);
		build_minimal(&m, opcode, op);
		assert_int_equal(decode_req(&m, &r), 0);
		assert_ptr_equal(r.op, op);
		assert_int_equal(r.opcode, opcode);
		assert_int_equal(r.unique, 7);
		assert_int_equal(r.nodeid, 1);
		assert_int_equal(r.pid, 1234);
		if (op->nnames >= 1)
			assert_name(r.name, r.name_len, "a");
		if (op->nnames >= 2)
			assert_name(r.name2, r.name2_len, "b");

		/* one byte short of the fixed part or the last NUL */
		if (opcode == FUSE_INIT ||
		    m.len == sizeof(struct fuse_in_header))
			continue;
		m.len--;
		msg_end(&m);
		assert_int_equal(decode_req(&m, &r), -EPROTO);
	}
	/* opcodes 1..51 less the unused 7 and 19, and CUSE_INIT */
	assert_int_equal(count, FUSE_TMPFILE - 2 + 1);
	assert_null(proto_op(0));
	assert_null(proto_op(7));
	assert_null(proto_op(19));
	assert_null(proto_op(FUSE_TMPFILE + 1));
	assert_null(proto_op(CUSE_INIT + 1));
	assert_string_equal(proto_op_name(999), "UNKNOWN");
}

static void test_proto__table_rows(void **state)
{
	static const struct {
		uint32_t opcode;
		uint32_t in_size;
		uint8_t nnames, reply, lock, creates;
	} want[] = {
		{ FUSE_LOOKUP, 0, 1, FC_RK_ENTRY, FC_LK_PARENT_SHARED, 0 },
		{ FUSE_FORGET, 8, 0, FC_RK_NONE, FC_LK_NONE, 0 },
		{ FUSE_BATCH_FORGET, 8, 0, FC_RK_NONE, FC_LK_NONE, 0 },
		{ FUSE_MKNOD, sizeof(struct fuse_mknod_in), 1, FC_RK_ENTRY,
		  FC_LK_PARENT_EXCL, 1 },
		{ FUSE_MKDIR, sizeof(struct fuse_mkdir_in), 1, FC_RK_ENTRY,
		  FC_LK_PARENT_EXCL, 1 },
		{ FUSE_SYMLINK, 0, 2, FC_RK_ENTRY, FC_LK_PARENT_EXCL, 1 },
		{ FUSE_LINK, sizeof(struct fuse_link_in), 1, FC_RK_ENTRY,
		  FC_LK_PARENT_EXCL, 0 },
		{ FUSE_UNLINK, 0, 1, FC_RK_EMPTY, FC_LK_PARENT_EXCL, 0 },
		{ FUSE_RMDIR, 0, 1, FC_RK_EMPTY, FC_LK_PARENT_EXCL, 0 },
		{ FUSE_RENAME, 8, 2, FC_RK_EMPTY, FC_LK_PARENTS_EXCL, 0 },
		{ FUSE_RENAME2, 16, 2, FC_RK_EMPTY, FC_LK_PARENTS_EXCL, 0 },
		{ FUSE_CREATE, sizeof(struct fuse_create_in), 1, FC_RK_CREATE,
		  FC_LK_PARENT_EXCL, 1 },
		{ FUSE_TMPFILE, sizeof(struct fuse_create_in), 0,
		  FC_RK_CREATE, FC_LK_NONE, 1 },
		{ FUSE_READDIR, sizeof(struct fuse_read_in), 0, FC_RK_DIRENT,
		  FC_LK_DIR_READ, 0 },
		{ FUSE_READDIRPLUS, sizeof(struct fuse_read_in), 0,
		  FC_RK_DIRENTPLUS, FC_LK_DIR_READ, 0 },
		{ FUSE_WRITE, sizeof(struct fuse_write_in), 0, FC_RK_OTHER,
		  FC_LK_INODE_WRITE, 0 },
		{ FUSE_GETATTR, 16, 0, FC_RK_ATTR, FC_LK_NONE, 0 },
		{ FUSE_SETATTR, sizeof(struct fuse_setattr_in), 0, FC_RK_ATTR,
		  FC_LK_NONE, 0 },
		{ FUSE_OPEN, 8, 0, FC_RK_OPEN, FC_LK_NONE, 0 },
		{ FUSE_OPENDIR, 8, 0, FC_RK_OPEN, FC_LK_NONE, 0 },
		{ FUSE_INIT, sizeof(struct fuse_init_in), 0, FC_RK_INIT,
		  FC_LK_NONE, 0 },
		{ FUSE_READ, sizeof(struct fuse_read_in), 0, FC_RK_DATA,
		  FC_LK_NONE, 0 },
		{ FUSE_READLINK, 0, 0, FC_RK_DATA, FC_LK_NONE, 0 },
		{ FUSE_GETXATTR, 8, 1, FC_RK_DATA, FC_LK_NONE, 0 },
		{ FUSE_LISTXATTR, 8, 0, FC_RK_DATA, FC_LK_NONE, 0 },
		{ FUSE_SETXATTR, sizeof(struct fuse_setxattr_in), 1,
		  FC_RK_EMPTY, FC_LK_NONE, 0 },
		{ FUSE_REMOVEXATTR, 0, 1, FC_RK_EMPTY, FC_LK_NONE, 0 },
		{ CUSE_INIT, sizeof(struct cuse_init_in), 0, FC_RK_OTHER,
		  FC_LK_NONE, 0 },
	};
	const struct fc_op_info *op;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		op = proto_op(want[i].opcode);
		assert_non_null(op);
		assert_int_equal(op->in_size, want[i].in_size);
		assert_int_equal(op->nnames, want[i].nnames);
		assert_int_equal(op->reply, want[i].reply);
		assert_int_equal(op->lock, want[i].lock);
		assert_int_equal(op->creates, want[i].creates);
	}
	assert_string_equal(proto_op_name(FUSE_COPY_FILE_RANGE),
			    "COPY_FILE_RANGE");
	assert_string_equal(proto_op_name(CUSE_INIT), "CUSE_INIT");
}

/* The facts the ledger, the tap and the log printer take from the table
 * (once switch statements of their own). */
static void test_proto__table_facts(void **state)
{
	static const uint32_t no_inode[] = { FUSE_FORGET, FUSE_BATCH_FORGET,
		FUSE_INIT, FUSE_DESTROY, FUSE_INTERRUPT, FUSE_NOTIFY_REPLY };
	static const struct { uint32_t opcode, made; } made[] = {
		{ FUSE_MKDIR, S_IFDIR }, { FUSE_SYMLINK, S_IFLNK },
		{ FUSE_CREATE, S_IFREG }, { FUSE_TMPFILE, S_IFREG },
		{ FUSE_MKNOD, FC_MADE_FROM_MODE }, { FUSE_LINK, FC_MADE_AS_OLD },
		{ FUSE_LOOKUP, 0 }, { FUSE_RENAME, 0 },
	};
	const struct fc_op_info *op;
	uint32_t oc;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < sizeof(no_inode) / sizeof(no_inode[0]); i++)
		assert_true(proto_op(no_inode[i])->no_inode);
	for (oc = 0; oc < 128; oc++)
		if ((op = proto_op(oc)) && op->no_inode)
			n++;
	assert_int_equal(n, sizeof(no_inode) / sizeof(no_inode[0]));
	/* the kernel awaits no reply to these; every other request waits */
	for (oc = 0; oc < 128; oc++) {
		if (!(op = proto_op(oc)))
			continue;
		assert_int_equal(op->no_wait, oc == FUSE_FORGET ||
				 oc == FUSE_BATCH_FORGET ||
				 oc == FUSE_INTERRUPT ||
				 oc == FUSE_NOTIFY_REPLY);
		/* a reply kind of none means nobody waits */
		if (op->reply == FC_RK_NONE)
			assert_true(op->no_wait);
		/* an opcode that makes inodes says of which type */
		if (op->creates)
			assert_true(op->made_type != 0);
	}
	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		assert_int_equal(proto_op(made[i].opcode)->made_type,
				 made[i].made);
	assert_int_equal(proto_op(FUSE_RENAME2)->fields,
			 FC_RF_NAME | FC_RF_NEWDIR | FC_RF_NAME2 | FC_RF_FLAGS);
	assert_int_equal(proto_op(FUSE_LINK)->fields,
			 FC_RF_OLDNODE | FC_RF_NAME);
}

/* --- requests ------------------------------------------------------- */

static void test_proto__lookup(void **state)
{
	struct msg m;
	struct fc_req r;

	req_begin(&m, FUSE_LOOKUP, 8, 1);
	put_name(&m, "a.txt");
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_string_equal(r.op->name, "LOOKUP");
	assert_name(r.name, r.name_len, "a.txt");
	assert_null(r.name2);
	assert_int_equal(r.len, m.len);
	assert_int_equal(r.uid, 1000);
}

static void test_proto__lookup_unterminated_name(void **state)
{
	struct msg m;
	struct fc_req r;

	req_begin(&m, FUSE_LOOKUP, 8, 1);
	put_bytes(&m, "abc", 3);
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), -EPROTO);
	/* no name at all */
	req_begin(&m, FUSE_LOOKUP, 8, 1);
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), -EPROTO);
}

static void test_proto__header_len_mismatch(void **state)
{
	struct msg m;
	struct fc_req r;

	req_begin(&m, FUSE_LOOKUP, 8, 1);
	put_name(&m, "a");
	set_len(&m, (uint32_t)m.len + 1);
	assert_int_equal(decode_req(&m, &r), -EPROTO);
	set_len(&m, (uint32_t)m.len - 1);
	assert_int_equal(decode_req(&m, &r), -EPROTO);
	/* shorter than the header */
	assert_int_equal(proto_decode_request(m.buf, 39, &r), -EPROTO);
	assert_int_equal(proto_decode_request(m.buf, 0, &r), -EPROTO);
	assert_int_equal(proto_decode_request(NULL, 0, &r), -EPROTO);
}

static void test_proto__unknown_opcode(void **state)
{
	struct msg m;
	struct fc_req r;

	req_begin(&m, 52, 9, 3);
	put_zero(&m, 24);
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_null(r.op);
	assert_int_equal(r.opcode, 52);
	assert_int_equal(r.unique, 9);
	assert_int_equal(r.nodeid, 3);
}

static void test_proto__symlink(void **state)
{
	struct msg m;
	struct fc_req r;

	req_begin(&m, FUSE_SYMLINK, 10, 1);
	put_name(&m, "link");
	put_name(&m, "../target");
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_name(r.name, r.name_len, "link");
	assert_name(r.name2, r.name2_len, "../target");
	/* target missing its NUL */
	m.len--;
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), -EPROTO);
}

static void test_proto__rename(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_rename_in in = { .newdir = 42 };

	req_begin(&m, FUSE_RENAME, 11, 5);
	put_bytes(&m, &in, sizeof(in));
	put_name(&m, "old");
	put_name(&m, "new");
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.nodeid, 5);
	assert_int_equal(r.newdir, 42);
	assert_name(r.name, r.name_len, "old");
	assert_name(r.name2, r.name2_len, "new");
}

static void test_proto__rename2(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_rename2_in in = { .newdir = 43, .flags = 2 };

	req_begin(&m, FUSE_RENAME2, 12, 6);
	put_bytes(&m, &in, sizeof(in));
	put_name(&m, "x");
	put_name(&m, "y");
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.newdir, 43);
	assert_int_equal(r.flags, 2);
	assert_name(r.name, r.name_len, "x");
	assert_name(r.name2, r.name2_len, "y");
	/* second name absent */
	req_begin(&m, FUSE_RENAME2, 12, 6);
	put_bytes(&m, &in, sizeof(in));
	put_name(&m, "x");
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), -EPROTO);
}

static void test_proto__link(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_link_in in = { .oldnodeid = 77 };

	req_begin(&m, FUSE_LINK, 13, 2);
	put_bytes(&m, &in, sizeof(in));
	put_name(&m, "hard");
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.nodeid, 2);
	assert_int_equal(r.oldnodeid, 77);
	assert_name(r.name, r.name_len, "hard");
}

static void test_proto__create(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_create_in in = { .flags = 0101, .mode = 0100644 };

	req_begin(&m, FUSE_CREATE, 14, 1);
	put_bytes(&m, &in, sizeof(in));
	put_name(&m, "new.txt");
	/* an extension block after the name is allowed */
	put_zero(&m, 8);
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.flags, 0101);
	assert_int_equal(r.mode, 0100644);
	assert_name(r.name, r.name_len, "new.txt");
	/* the old 8-byte create_in: too short for this kernel */
	req_begin(&m, FUSE_CREATE, 14, 1);
	put_bytes(&m, &in, 8);
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), -EPROTO);
}

static void test_proto__mkdir_mknod_modes(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_mkdir_in dir = { .mode = 040755 };
	struct fuse_mknod_in nod = { .mode = 010600 };

	req_begin(&m, FUSE_MKDIR, 15, 1);
	put_bytes(&m, &dir, sizeof(dir));
	put_name(&m, "d");
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.mode, 040755);
	req_begin(&m, FUSE_MKNOD, 16, 1);
	put_bytes(&m, &nod, sizeof(nod));
	put_name(&m, "fifo");
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.mode, 010600);
	assert_name(r.name, r.name_len, "fifo");
}

static void test_proto__batch_forget(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_batch_forget_in in = { .count = 3 };
	struct fuse_forget_one one[3] = { { 5, 1 }, { 6, 2 }, { 7, 3 } };
	uint64_t nodeid, nlookup;
	uint32_t i;

	req_begin(&m, FUSE_BATCH_FORGET, 17, 0);
	put_bytes(&m, &in, sizeof(in));
	put_bytes(&m, one, sizeof(one));
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.forget_count, 3);
	for (i = 0; i < 3; i++) {
		proto_forget_item(&r, i, &nodeid, &nlookup);
		assert_int_equal(nodeid, one[i].nodeid);
		assert_int_equal(nlookup, one[i].nlookup);
	}
	/* out of range reads as zero */
	proto_forget_item(&r, 3, &nodeid, &nlookup);
	assert_int_equal(nodeid, 0);
	assert_int_equal(nlookup, 0);

	/* count claims more items than the message holds */
	in.count = 4;
	req_begin(&m, FUSE_BATCH_FORGET, 17, 0);
	put_bytes(&m, &in, sizeof(in));
	put_bytes(&m, one, sizeof(one));
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), -EPROTO);
	in.count = UINT32_MAX;
	memcpy(m.buf + sizeof(struct fuse_in_header), &in, sizeof(in));
	assert_int_equal(decode_req(&m, &r), -EPROTO);
}

static void test_proto__batch_forget_unaligned(void **state)
{
	unsigned char raw[1 + 40 + 8 + 16];
	struct msg m;
	struct fc_req r;
	struct fuse_batch_forget_in in = { .count = 1 };
	struct fuse_forget_one one = { 99, 4 };
	uint64_t nodeid, nlookup;

	req_begin(&m, FUSE_BATCH_FORGET, 18, 0);
	put_bytes(&m, &in, sizeof(in));
	put_bytes(&m, &one, sizeof(one));
	msg_end(&m);
	memcpy(raw + 1, m.buf, m.len);
	assert_int_equal(proto_decode_request(raw + 1, m.len, &r), 0);
	proto_forget_item(&r, 0, &nodeid, &nlookup);
	assert_int_equal(nodeid, 99);
	assert_int_equal(nlookup, 4);
}

static void test_proto__forget(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_forget_in in = { .nlookup = 3 };

	req_begin(&m, FUSE_FORGET, 19, 5);
	put_bytes(&m, &in, sizeof(in));
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.nodeid, 5);
	assert_int_equal(r.nlookup, 3);
}

static void test_proto__init_ext(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_init_in in = { .major = 7, .minor = 45,
				   .max_readahead = 131072,
				   .flags = FUSE_INIT_EXT | FUSE_ASYNC_READ,
				   .flags2 = 1 };

	req_begin(&m, FUSE_INIT, 2, 0);
	put_bytes(&m, &in, sizeof(in));
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.major, 7);
	assert_int_equal(r.minor, 45);
	assert_int_equal(r.max_readahead, 131072);
	assert_true(r.init_flags & FUSE_SECURITY_CTX);
	assert_true(r.init_flags & FUSE_ASYNC_READ);
}

static void test_proto__init_no_ext(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_init_in in = { .major = 7, .minor = 38,
				   .flags = FUSE_ASYNC_READ, .flags2 = 1 };

	/* flags2 ignored without FUSE_INIT_EXT */
	req_begin(&m, FUSE_INIT, 2, 0);
	put_bytes(&m, &in, sizeof(in));
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.init_flags, FUSE_ASYNC_READ);

	/* an old kernel's 16-byte init_in */
	req_begin(&m, FUSE_INIT, 2, 0);
	put_bytes(&m, &in, 16);
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.minor, 38);
	assert_int_equal(r.init_flags, FUSE_ASYNC_READ);

	/* shorter than that */
	req_begin(&m, FUSE_INIT, 2, 0);
	put_bytes(&m, &in, 15);
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), -EPROTO);
}

static void test_proto__interrupt(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_interrupt_in in = { .unique = 1234 };

	req_begin(&m, FUSE_INTERRUPT, 1235, 0);
	put_bytes(&m, &in, sizeof(in));
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_int_equal(r.intr_unique, 1234);
	assert_int_equal(r.unique, 1235);
}

static void test_proto__write_cut_by_log(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_write_in in = { .fh = 3, .offset = 4096, .size = 100 };
	size_t keep;

	req_begin(&m, FUSE_WRITE, 20, 5);
	put_bytes(&m, &in, sizeof(in));
	put_zero(&m, 100);
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	keep = proto_log_len_request(m.buf, m.len);
	assert_int_equal(keep, sizeof(struct fuse_in_header) + sizeof(in));
	/* the logged prefix still decodes */
	assert_int_equal(proto_decode_request(m.buf, keep, &r), 0);
	assert_int_equal(r.size, 100);
	assert_int_equal(r.offset, 4096);
	assert_int_equal(r.fh, 3);
	/* but not one byte less, nor a cut LOOKUP */
	assert_int_equal(proto_decode_request(m.buf, keep - 1, &r), -EPROTO);
}

static void test_proto__setxattr_layouts(void **state)
{
	struct msg m;
	struct fc_req r;
	struct fuse_setxattr_in in = { .size = 3, .flags = 1 };

	/* FUSE_SETXATTR_EXT: 16-byte fixed part */
	req_begin(&m, FUSE_SETXATTR, 21, 5);
	put_bytes(&m, &in, sizeof(in));
	put_name(&m, "user.k");
	put_bytes(&m, "val", 3);
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_name(r.name, r.name_len, "user.k");
	assert_int_equal(r.size, 3);

	/* the default 8-byte layout */
	req_begin(&m, FUSE_SETXATTR, 21, 5);
	put_bytes(&m, &in, FUSE_COMPAT_SETXATTR_IN_SIZE);
	put_name(&m, "user.k");
	put_bytes(&m, "val", 3);
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), 0);
	assert_name(r.name, r.name_len, "user.k");

	/* value shorter than size */
	m.len--;
	msg_end(&m);
	assert_int_equal(decode_req(&m, &r), -EPROTO);
}

static void test_proto__log_len(void **state)
{
	struct msg m;

	req_begin(&m, FUSE_LOOKUP, 8, 1);
	put_name(&m, "abc");
	msg_end(&m);
	assert_int_equal(proto_log_len_request(m.buf, m.len), m.len);
	assert_int_equal(proto_log_len_request(m.buf, 10), 10);
	assert_int_equal(proto_log_len_reply(FUSE_READ, 16 + 4096), 16);
	assert_int_equal(proto_log_len_reply(FUSE_READ, 16), 16);
	assert_int_equal(proto_log_len_reply(FUSE_READDIR, 16 + 4096),
			 16 + 4096);
	assert_int_equal(proto_log_len_reply(FUSE_LOOKUP, 144), 144);
}

/* --- replies -------------------------------------------------------- */

static void put_entry(struct msg *m, uint64_t nodeid, uint32_t mode)
{
	struct fuse_entry_out e = { 0 };

	e.nodeid = nodeid;
	e.generation = 3;
	e.attr.ino = nodeid;
	e.attr.mode = mode;
	put_bytes(m, &e, sizeof(e));
}

static void test_proto__reply_entry(void **state)
{
	struct msg m;
	struct fc_reply r;

	rep_begin(&m, 8, 0);
	put_entry(&m, 5, 0100644);
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_LOOKUP, &m, &r), 0);
	assert_true(r.has_entry);
	assert_false(r.has_open);
	assert_int_equal(r.entry.nodeid, 5);
	assert_int_equal(r.entry.generation, 3);
	assert_int_equal(r.entry.attr.mode, 0100644);
	assert_int_equal(r.unique, 8);
	assert_int_equal(r.body_len, sizeof(struct fuse_entry_out));

	/* the compat 120-byte entry_out is too short here */
	m.len = sizeof(struct fuse_out_header) + FUSE_COMPAT_ENTRY_OUT_SIZE;
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_MKDIR, &m, &r), -EPROTO);
}

static void test_proto__reply_create(void **state)
{
	struct msg m;
	struct fc_reply r;
	struct fuse_open_out o = { .fh = 11, .open_flags = FOPEN_DIRECT_IO };

	rep_begin(&m, 9, 0);
	put_entry(&m, 6, 0100600);
	put_bytes(&m, &o, sizeof(o));
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_CREATE, &m, &r), 0);
	assert_true(r.has_entry);
	assert_true(r.has_open);
	assert_int_equal(r.entry.nodeid, 6);
	assert_int_equal(r.open.fh, 11);
	assert_int_equal(r.open.open_flags, FOPEN_DIRECT_IO);
	assert_int_equal(decode_rep(FUSE_TMPFILE, &m, &r), 0);
	assert_true(r.has_open);

	/* without its open_out */
	m.len -= sizeof(o);
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_CREATE, &m, &r), -EPROTO);
}

static void test_proto__reply_open(void **state)
{
	struct msg m;
	struct fc_reply r;
	struct fuse_open_out o = { .fh = 12, .open_flags = FOPEN_KEEP_CACHE };

	rep_begin(&m, 10, 0);
	put_bytes(&m, &o, sizeof(o));
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_OPEN, &m, &r), 0);
	assert_true(r.has_open);
	assert_false(r.has_entry);
	assert_int_equal(r.open.fh, 12);
	assert_int_equal(decode_rep(FUSE_OPENDIR, &m, &r), 0);
	m.len--;
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_OPEN, &m, &r), -EPROTO);
}

static void test_proto__reply_init_new(void **state)
{
	struct msg m;
	struct fc_reply r;
	struct fuse_init_out io = { 0 };

	io.major = 7;
	io.minor = 38;
	io.max_readahead = 65536;
	io.flags = FUSE_INIT_EXT | FUSE_MAX_PAGES | FUSE_DO_READDIRPLUS;
	io.flags2 = (uint32_t)(FUSE_HAS_INODE_DAX >> 32);
	io.max_write = 1 << 20;
	io.max_pages = 256;
	rep_begin(&m, 2, 0);
	put_bytes(&m, &io, sizeof(io));
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_INIT, &m, &r), 0);
	assert_true(r.has_init);
	assert_int_equal(r.major, 7);
	assert_int_equal(r.minor, 38);
	assert_int_equal(r.max_write, 1 << 20);
	assert_int_equal(r.max_pages, 256);
	assert_int_equal(r.max_readahead, 65536);
	assert_int_equal(r.init_flags,
			 FUSE_INIT_EXT | FUSE_MAX_PAGES | FUSE_DO_READDIRPLUS |
				 FUSE_HAS_INODE_DAX);

	/* without FUSE_INIT_EXT / FUSE_MAX_PAGES those fields mean nothing */
	io.flags = FUSE_DO_READDIRPLUS;
	rep_begin(&m, 2, 0);
	put_bytes(&m, &io, sizeof(io));
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_INIT, &m, &r), 0);
	assert_int_equal(r.init_flags, FUSE_DO_READDIRPLUS);
	assert_int_equal(r.max_pages, 0);
}

static void test_proto__reply_init_old(void **state)
{
	struct msg m;
	struct fc_reply r;
	struct fuse_init_out io = { 0 };

	io.major = 7;
	io.minor = 22;
	io.flags = FUSE_ASYNC_READ | FUSE_MAX_PAGES;
	io.max_write = 131072;
	io.max_pages = 99; /* not sent */
	rep_begin(&m, 2, 0);
	put_bytes(&m, &io, FUSE_COMPAT_22_INIT_OUT_SIZE);
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_INIT, &m, &r), 0);
	assert_int_equal(r.minor, 22);
	assert_int_equal(r.max_write, 131072);
	assert_int_equal(r.max_pages, 0);

	rep_begin(&m, 2, 0);
	put_bytes(&m, &io, FUSE_COMPAT_22_INIT_OUT_SIZE - 1);
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_INIT, &m, &r), -EPROTO);
	rep_begin(&m, 2, 0);
	put_bytes(&m, &io, FUSE_COMPAT_INIT_OUT_SIZE);
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_INIT, &m, &r), -EPROTO);
}

static void test_proto__reply_error(void **state)
{
	struct msg m;
	struct fc_reply r;

	rep_begin(&m, 8, -ENOENT);
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_LOOKUP, &m, &r), 0);
	assert_int_equal(r.error, -ENOENT);
	assert_false(r.has_entry);
	assert_int_equal(r.body_len, 0);

	rep_begin(&m, 8, -4095);
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_LOOKUP, &m, &r), 0);
}

static void test_proto__reply_error_out_of_range(void **state)
{
	static const int32_t bad[] = { 1, ENOENT, -4096, INT32_MIN,
				       INT32_MAX };
	struct msg m;
	struct fc_reply r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rep_begin(&m, 8, bad[i]);
		msg_end(&m);
		assert_int_equal(decode_rep(FUSE_GETATTR, &m, &r), -EPROTO);
	}
}

static void test_proto__reply_error_with_body(void **state)
{
	struct msg m;
	struct fc_reply r;

	rep_begin(&m, 8, -EIO);
	put_entry(&m, 5, 0100644);
	msg_end(&m);
	assert_int_equal(decode_rep(FUSE_LOOKUP, &m, &r), -EPROTO);
	assert_false(r.has_entry);
}

static void test_proto__reply_wrong_length(void **state)
{
	struct msg m;
	struct fc_reply r;

	rep_begin(&m, 8, 0);
	put_entry(&m, 5, 0100644);
	set_len(&m, (uint32_t)m.len + 8);
	assert_int_equal(decode_rep(FUSE_LOOKUP, &m, &r), -EPROTO);
	set_len(&m, (uint32_t)m.len - 8);
	assert_int_equal(decode_rep(FUSE_LOOKUP, &m, &r), -EPROTO);
	/* shorter than a header */
	assert_int_equal(proto_decode_reply(FUSE_LOOKUP, m.buf, 15, 15, &r),
			 -EPROTO);
	/* logged more than was on the wire */
	msg_end(&m);
	assert_int_equal(proto_decode_reply(FUSE_LOOKUP, m.buf, m.len,
					    m.len - 1, &r),
			 -EPROTO);
}

static void test_proto__reply_read_cut(void **state)
{
	struct msg m;
	struct fc_reply r;

	rep_begin(&m, 30, 0);
	put_zero(&m, 4096);
	msg_end(&m);
	assert_int_equal(proto_decode_reply(FUSE_READ, m.buf, 16, m.len, &r),
			 0);
	assert_int_equal(r.len, m.len);
	assert_int_equal(r.body_len, 0);
	/* only READ may be cut */
	assert_int_equal(proto_decode_reply(FUSE_READDIR, m.buf, 16, m.len,
					    &r),
			 -EPROTO);
	assert_int_equal(proto_decode_reply(FUSE_GETXATTR, m.buf, 16, m.len,
					    &r),
			 -EPROTO);
}

/* --- dirents -------------------------------------------------------- */

static void put_direntplus(struct msg *m, uint64_t nodeid, const char *name,
			   size_t namelen)
{
	struct fuse_direntplus d;
	size_t rec = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + namelen);

	memset(&d, 0, sizeof(d));
	d.entry_out.nodeid = nodeid;
	d.entry_out.generation = 1;
	d.entry_out.attr.ino = nodeid + 1000;
	d.entry_out.attr.mode = 0100644;
	d.dirent.ino = nodeid + 1000;
	d.dirent.off = m->len;
	d.dirent.namelen = (uint32_t)namelen;
	d.dirent.type = 8;
	put_bytes(m, &d, FUSE_NAME_OFFSET_DIRENTPLUS);
	put_bytes(m, name, namelen);
	put_zero(m, rec - FUSE_NAME_OFFSET_DIRENTPLUS - namelen);
}

static void put_dirent(struct msg *m, uint64_t ino, const char *name)
{
	struct fuse_dirent d = { 0 };
	size_t namelen = strlen(name);
	size_t rec = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + namelen);

	d.ino = ino;
	d.namelen = (uint32_t)namelen;
	put_bytes(m, &d, FUSE_NAME_OFFSET);
	put_bytes(m, name, namelen);
	put_zero(m, rec - FUSE_NAME_OFFSET - namelen);
}

static void test_proto__direntplus_stream(void **state)
{
	static const char weird[] = { 'a', (char)0xff, 'b' };
	struct msg m = { .len = 0 };
	struct fc_dirent d;
	size_t pos = 0;

	put_direntplus(&m, 1, ".", 1);
	put_direntplus(&m, 0, "..", 2);
	put_direntplus(&m, 5, "a", 1);
	put_direntplus(&m, 0, "nolookup", 8);
	put_direntplus(&m, 6, weird, sizeof(weird));
	put_direntplus(&m, 7, "...", 3);

	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d), 1);
	assert_true(d.is_dot);
	assert_int_equal(d.nodeid, 1);
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d), 1);
	assert_true(d.is_dot);
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d), 1);
	assert_false(d.is_dot);
	assert_int_equal(d.nodeid, 5);
	assert_int_equal(d.generation, 1);
	assert_int_equal(d.ino, 1005);
	assert_int_equal(d.mode, 0100644);
	assert_int_equal(d.type, 8);
	assert_name(d.name, d.name_len, "a");
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d), 1);
	assert_int_equal(d.nodeid, 0);
	assert_name(d.name, d.name_len, "nolookup");
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d), 1);
	assert_int_equal(d.name_len, 3);
	assert_memory_equal(d.name, weird, 3);
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d), 1);
	assert_false(d.is_dot);
	assert_name(d.name, d.name_len, "...");
	assert_int_equal(pos, m.len);
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d), 0);
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d), 0);
}

static void test_proto__direntplus_truncated_last(void **state)
{
	struct msg m = { .len = 0 };
	struct fc_dirent d;
	size_t pos = 0, cut;

	put_direntplus(&m, 5, "a", 1);
	put_direntplus(&m, 6, "bbbbbbbbbbbb", 12);
	for (cut = 1; cut < m.len - FUSE_DIRENT_ALIGN(
					  FUSE_NAME_OFFSET_DIRENTPLUS + 1);
	     cut++) {
		pos = 0;
		assert_int_equal(
			proto_dirent_next(m.buf, m.len - cut, 1, &pos, &d), 1);
		assert_int_equal(d.nodeid, 5);
		assert_int_equal(
			proto_dirent_next(m.buf, m.len - cut, 1, &pos, &d),
			-EPROTO);
	}
}

static void test_proto__direntplus_bad_namelen(void **state)
{
	struct msg m = { .len = 0 };
	struct fc_dirent d;
	size_t pos = 0;
	uint32_t big = 1025;

	put_direntplus(&m, 5, "", 0);
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d),
			 -EPROTO);

	m.len = 0;
	put_direntplus(&m, 5, "a", 1);
	memcpy(m.buf + offsetof(struct fuse_direntplus, dirent.namelen), &big,
	       sizeof(big));
	put_zero(&m, 2048);
	pos = 0;
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d),
			 -EPROTO);
	/* 1024 is still a name */
	m.len = 0;
	put_direntplus(&m, 5, (const char *)m.buf + 4096, 1024);
	pos = 0;
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d), 1);
	assert_int_equal(d.name_len, 1024);
}

static void test_proto__direntplus_slash(void **state)
{
	struct msg m = { .len = 0 };
	struct fc_dirent d;
	size_t pos = 0;

	/* the kernel stops with EIO at a name holding '/' */
	put_direntplus(&m, 5, "ok", 2);
	put_direntplus(&m, 6, "a/b", 3);
	put_direntplus(&m, 7, "later", 5);
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d), 1);
	assert_int_equal(proto_dirent_next(m.buf, m.len, 1, &pos, &d),
			 -EPROTO);
}

static void test_proto__dirent_plain(void **state)
{
	struct msg m = { .len = 0 };
	struct fc_dirent d;
	size_t pos = 0;

	put_dirent(&m, 1, ".");
	put_dirent(&m, 2, "..");
	put_dirent(&m, 9, "file");
	assert_int_equal(proto_dirent_next(m.buf, m.len, 0, &pos, &d), 1);
	assert_true(d.is_dot);
	assert_int_equal(d.nodeid, 0);
	assert_int_equal(proto_dirent_next(m.buf, m.len, 0, &pos, &d), 1);
	assert_true(d.is_dot);
	assert_int_equal(proto_dirent_next(m.buf, m.len, 0, &pos, &d), 1);
	assert_false(d.is_dot);
	assert_int_equal(d.ino, 9);
	assert_int_equal(d.nodeid, 0);
	assert_name(d.name, d.name_len, "file");
	assert_int_equal(proto_dirent_next(m.buf, m.len, 0, &pos, &d), 0);
	/* a tail shorter than a dirent header */
	pos = 0;
	assert_int_equal(proto_dirent_next(m.buf, 10, 0, &pos, &d), -EPROTO);
}

/* --- notifications -------------------------------------------------- */

static void test_proto__notify_inval_entry(void **state)
{
	struct msg m;
	struct fc_notify n;
	struct fuse_notify_inval_entry_out o = { .parent = 1, .namelen = 1 };

	rep_begin(&m, 0, FUSE_NOTIFY_INVAL_ENTRY);
	put_bytes(&m, &o, sizeof(o));
	put_name(&m, "x");
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), 0);
	assert_int_equal(n.code, FUSE_NOTIFY_INVAL_ENTRY);
	assert_int_equal(n.parent, 1);
	assert_name(n.name, n.name_len, "x");
	assert_string_equal(proto_notify_name(n.code), "INVAL_ENTRY");

	/* namelen claims more than sent */
	o.namelen = 200;
	memcpy(m.buf + 16, &o, sizeof(o));
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), -EPROTO);
	/* no NUL */
	o.namelen = 1;
	rep_begin(&m, 0, FUSE_NOTIFY_INVAL_ENTRY);
	put_bytes(&m, &o, sizeof(o));
	put_bytes(&m, "xy", 2);
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), -EPROTO);
	/* unique must be 0 */
	rep_begin(&m, 5, FUSE_NOTIFY_INVAL_ENTRY);
	put_bytes(&m, &o, sizeof(o));
	put_name(&m, "x");
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), -EPROTO);
}

static void test_proto__notify_delete(void **state)
{
	struct msg m;
	struct fc_notify n;
	struct fuse_notify_delete_out o = { .parent = 1, .child = 5,
					    .namelen = 3 };

	rep_begin(&m, 0, FUSE_NOTIFY_DELETE);
	put_bytes(&m, &o, sizeof(o));
	put_name(&m, "abc");
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), 0);
	assert_int_equal(n.parent, 1);
	assert_int_equal(n.child, 5);
	assert_name(n.name, n.name_len, "abc");
	m.len -= 2;
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), -EPROTO);
}

static void test_proto__notify_others(void **state)
{
	struct msg m;
	struct fc_notify n;
	struct fuse_notify_inval_inode_out ii = { .ino = 9 };
	struct fuse_notify_store_out st = { .nodeid = 10, .size = 4 };
	struct fuse_notify_retrieve_out rt = { .nodeid = 11 };
	struct fuse_notify_poll_wakeup_out pw = { .kh = 1 };

	rep_begin(&m, 0, FUSE_NOTIFY_INVAL_INODE);
	put_bytes(&m, &ii, sizeof(ii));
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), 0);
	assert_int_equal(n.nodeid, 9);

	rep_begin(&m, 0, FUSE_NOTIFY_STORE);
	put_bytes(&m, &st, sizeof(st));
	put_bytes(&m, "data", 4);
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), 0);
	assert_int_equal(n.nodeid, 10);
	m.len--;
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), -EPROTO);

	rep_begin(&m, 0, FUSE_NOTIFY_RETRIEVE);
	put_bytes(&m, &rt, sizeof(rt));
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), 0);
	assert_int_equal(n.nodeid, 11);
	m.len--;
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), -EPROTO);

	rep_begin(&m, 0, FUSE_NOTIFY_POLL);
	put_bytes(&m, &pw, sizeof(pw));
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), 0);
	assert_string_equal(proto_notify_name(FUSE_NOTIFY_POLL), "POLL");

	/* an unknown (newer) code: just the code */
	rep_begin(&m, 0, 9);
	put_zero(&m, 8);
	msg_end(&m);
	assert_int_equal(proto_decode_notify(m.buf, m.len, &n), 0);
	assert_int_equal(n.code, 9);
	assert_string_equal(proto_notify_name(9), "UNKNOWN");
	assert_string_equal(proto_notify_name(-1), "UNKNOWN");
	assert_int_equal(proto_decode_notify(m.buf, 10, &n), -EPROTO);
}

/* --- INIT flag names ------------------------------------------------ */

static void test_proto__init_flag_names(void **state)
{
	static const uint64_t defined =
		FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_EXPORT_SUPPORT |
		FUSE_DO_READDIRPLUS | FUSE_PARALLEL_DIROPS |
		FUSE_WRITEBACK_CACHE | FUSE_INIT_EXT | FUSE_SECURITY_CTX |
		FUSE_HAS_INODE_DAX | FUSE_HAS_EXPIRE_ONLY;
	unsigned bit, named = 0;

	assert_string_equal(proto_init_flag_name(13), "DO_READDIRPLUS");
	assert_string_equal(proto_init_flag_name(18), "PARALLEL_DIROPS");
	assert_string_equal(proto_init_flag_name(30), "INIT_EXT");
	assert_string_equal(proto_init_flag_name(32), "SECURITY_CTX");
	assert_string_equal(proto_init_flag_name(33), "HAS_INODE_DAX");
	assert_string_equal(proto_init_flag_name(35), "HAS_EXPIRE_ONLY");
	/* past Debian 12's header, from fusecheck's own table (7.45) */
	assert_string_equal(proto_init_flag_name(34), "CREATE_SUPP_GROUP");
	assert_string_equal(proto_init_flag_name(37), "PASSTHROUGH");
	assert_string_equal(proto_init_flag_name(40), "ALLOW_IDMAP");
	assert_string_equal(proto_init_flag_name(42), "REQUEST_TIMEOUT");
	assert_null(proto_init_flag_name(43));
	assert_null(proto_init_flag_name(63));
	assert_null(proto_init_flag_name(64));
	for (bit = 0; bit < 64; bit++) {
		if (proto_init_flag_name(bit))
			named++;
		if (defined & ((uint64_t)1 << bit))
			assert_non_null(proto_init_flag_name(bit));
	}
	/* all of flags (bits 0..31) and at least the three flags2 bits */
	assert_true(named >= 35);
}

/* --- evfmt ---------------------------------------------------------- */

static char line[1024];

static const char *fmt(uint32_t kind, uint64_t seq, const void *data,
		       size_t len, size_t orig_len, uint32_t req_opcode)
{
	struct fc_event ev = { 0 };

	ev.seq = seq;
	ev.kind = kind;
	ev.data = data;
	ev.len = (uint32_t)len;
	ev.orig_len = (uint32_t)orig_len;
	evfmt_event(&ev, req_opcode, line, sizeof(line));
	return line;
}

static void test_proto__evfmt_request_lookup(void **state)
{
	struct msg m;

	req_begin(&m, FUSE_LOOKUP, 8, 1);
	put_name(&m, "a.txt");
	msg_end(&m);
	assert_string_equal(fmt(FC_EV_REQUEST, 42, m.buf, m.len, m.len, 0),
			    "#42 REQUEST LOOKUP unique=8 nodeid=1 pid=1234 "
			    "name=\"a.txt\"");
}

/* a WRITE reply says how many bytes were written, not its own length */
static void test_proto__evfmt_reply_write(void **state)
{
	struct fuse_write_out wo = { .size = 4096 };
	struct msg m;

	rep_begin(&m, 9, 0);
	put_bytes(&m, &wo, sizeof(wo));
	msg_end(&m);
	assert_string_equal(
		fmt(FC_EV_REPLY, 45, m.buf, m.len, m.len, FUSE_WRITE),
		"#45 REPLY WRITE unique=9 error=0 written=4096");
}

static void test_proto__evfmt_reply_lookup(void **state)
{
	struct msg m;

	rep_begin(&m, 8, 0);
	put_entry(&m, 5, 0100644);
	msg_end(&m);
	/* put_entry sets generation 3 */
	assert_string_equal(
		fmt(FC_EV_REPLY, 43, m.buf, m.len, m.len, FUSE_LOOKUP),
		"#43 REPLY LOOKUP unique=8 error=0 nodeid=5 gen=3 "
		"mode=0100644");
	rep_begin(&m, 8, -ENOENT);
	msg_end(&m);
	assert_string_equal(
		fmt(FC_EV_REPLY, 44, m.buf, m.len, m.len, FUSE_LOOKUP),
		"#44 REPLY LOOKUP unique=8 error=-2 (ENOENT)");
}

static void test_proto__evfmt_readdirplus(void **state)
{
	static const char weird[] = { 'q', (char)0xff, '"', 0 };
	struct msg m;
	int i;

	rep_begin(&m, 9, 0);
	put_direntplus(&m, 5, "a", 1);
	put_direntplus(&m, 6, "b", 1);
	put_direntplus(&m, 1, ".", 1);
	put_direntplus(&m, 0, "..", 2);
	msg_end(&m);
	assert_string_equal(
		fmt(FC_EV_REPLY, 44, m.buf, m.len, m.len, FUSE_READDIRPLUS),
		"#44 REPLY READDIRPLUS unique=9 error=0 entries=4 "
		"[5 \"a\" 6 \"b\" . ..]");

	rep_begin(&m, 9, 0);
	put_direntplus(&m, 7, weird, sizeof(weird));
	msg_end(&m);
	assert_string_equal(
		fmt(FC_EV_REPLY, 45, m.buf, m.len, m.len, FUSE_READDIRPLUS),
		"#45 REPLY READDIRPLUS unique=9 error=0 entries=1 "
		"[7 \"q\\xff\\x22\\x00\"]");

	/* capped list, then a truncated tail */
	rep_begin(&m, 9, 0);
	for (i = 0; i < 20; i++)
		put_direntplus(&m, 100 + i, "n", 1);
	m.len -= 8;
	msg_end(&m);
	fmt(FC_EV_REPLY, 46, m.buf, m.len, m.len, FUSE_READDIRPLUS);
	assert_non_null(strstr(line, "entries=19 [100 \"n\" 101 \"n\""));
	assert_non_null(strstr(line, " ...] (malformed at byte "));
}

static void test_proto__evfmt_batch_forget(void **state)
{
	struct msg m;
	struct fuse_batch_forget_in in = { .count = 2 };
	struct fuse_forget_one one[2] = { { 5, 1 }, { 6, 2 } };

	req_begin(&m, FUSE_BATCH_FORGET, 50, 0);
	put_bytes(&m, &in, sizeof(in));
	put_bytes(&m, one, sizeof(one));
	msg_end(&m);
	assert_string_equal(fmt(FC_EV_REQUEST, 50, m.buf, m.len, m.len, 0),
			    "#50 REQUEST BATCH_FORGET unique=50 nodeid=0 "
			    "pid=1234 count=2 [5:1 6:2]");
}

static void test_proto__evfmt_notify(void **state)
{
	struct msg m;
	struct fuse_notify_inval_entry_out o = { .parent = 1, .namelen = 1 };

	rep_begin(&m, 0, FUSE_NOTIFY_INVAL_ENTRY);
	put_bytes(&m, &o, sizeof(o));
	put_name(&m, "x");
	msg_end(&m);
	assert_string_equal(fmt(FC_EV_NOTIFY, 60, m.buf, m.len, m.len, 0),
			    "#60 NOTIFY INVAL_ENTRY parent=1 name=\"x\"");
	assert_string_equal(fmt(FC_EV_NOTIFY, 61, m.buf, 20, 20, 0),
			    "#61 NOTIFY INVAL_ENTRY (malformed, 20 bytes)");
}

static void test_proto__evfmt_harness_events(void **state)
{
	struct fc_ev_reject rej = { .unique = 8, .error = ENOENT };
	struct fc_ev_mark mark = { .line = 12, .tid = 4321 };
	struct fc_ev_quiesce q = { .line = 0,
				   .method = FC_QUIESCE_DROP_CACHES,
				   .settled = 1,
				   .full = 1 };
	struct fc_ev_check chk = { .kind = FC_CHECK_OUTSTANDING,
				   .line = 7,
				   .ino = 12,
				   .expect = 1 };
	struct fc_ev_init_cap cap = { 1 << 20, 256, 1 << 17, 32 };
	unsigned char sbuf[sizeof(struct fc_ev_scenario) + 16];
	struct fc_ev_scenario scn = { .phase = FC_SCN_BEGIN, .index = 0 };
	unsigned char mbuf[sizeof(struct fc_ev_mount) + 16];
	struct fc_ev_mount mnt = { .conn = 1 };
	unsigned char lbuf[sizeof(struct fc_ev_fs_ledger) +
			   2 * sizeof(struct fc_fs_inode)];
	struct fc_ev_fs_ledger led = { .count = 2, .line = 0 };
	struct fc_fs_inode in[2] = { { .nodeid = 1, .nlookup = 0 },
				     { .nodeid = 5, .nlookup = 2 } };

	assert_string_equal(
		fmt(FC_EV_REPLY_REJECTED, 1, &rej, sizeof(rej), 0, 0),
		"#1 REPLY_REJECTED unique=8 error=2 (ENOENT)");
	assert_string_equal(fmt(FC_EV_MARK, 2, &mark, sizeof(mark), 0, 0),
			    "#2 MARK line=12 tid=4321");
	/* the 16-byte form of older logs, and the current one */
	assert_string_equal(fmt(FC_EV_QUIESCE, 3, &q, FC_EV_QUIESCE_MIN, 0, 0),
			    "#3 QUIESCE line=0 method=drop_caches settled=1 "
			    "full=1");
	q.rounds = 2;
	q.spent_us = 1234;
	assert_string_equal(fmt(FC_EV_QUIESCE, 3, &q, sizeof(q), 0, 0),
			    "#3 QUIESCE line=0 method=drop_caches settled=1 "
			    "full=1 rounds=2 spent_us=1234");
	assert_string_equal(fmt(FC_EV_CHECK, 4, &chk, sizeof(chk), 0, 0),
			    "#4 CHECK outstanding line=7 ino=12 expect=1");
	assert_string_equal(fmt(FC_EV_INIT_CAP, 5, &cap, sizeof(cap), 0, 0),
			    "#5 INIT_CAP fs_max_write=1048576 fs_max_pages=256 "
			    "max_write=131072 max_pages=32");
	memcpy(sbuf, &scn, sizeof(scn));
	memcpy(sbuf + sizeof(scn), "s/a.scn", 8);
	assert_string_equal(
		fmt(FC_EV_SCENARIO, 6, sbuf, sizeof(scn) + 8, 0, 0),
		"#6 SCENARIO begin index=0 file=\"s/a.scn\"");
	/* a file name without its NUL stays inside the event */
	assert_string_equal(
		fmt(FC_EV_SCENARIO, 6, sbuf, sizeof(scn) + 3, 0, 0),
		"#6 SCENARIO begin index=0 file=\"s/a\"");
	memcpy(mbuf, &mnt, sizeof(mnt));
	memcpy(mbuf + sizeof(mnt), "memfs -f", 9);
	assert_string_equal(fmt(FC_EV_MOUNT, 7, mbuf, sizeof(mnt) + 9, 0, 0),
			    "#7 MOUNT conn=1 fs=\"memfs -f\"");
	assert_string_equal(fmt(FC_EV_UNMOUNT, 8, NULL, 0, 0, 0),
			    "#8 UNMOUNT");
	memcpy(lbuf, &led, sizeof(led));
	memcpy(lbuf + sizeof(led), in, sizeof(in));
	assert_string_equal(fmt(FC_EV_FS_LEDGER, 9, lbuf, sizeof(lbuf), 0, 0),
			    "#9 FS_LEDGER count=2 line=0 [1:0 5:2]");
	assert_string_equal(
		fmt(FC_EV_FS_LEDGER, 9, lbuf, sizeof(lbuf) - 1, 0, 0),
		"#9 FS_LEDGER count=2 line=0 (malformed, 87 bytes)");
	assert_string_equal(fmt(FC_EV_MARK, 10, &mark, 4, 0, 0),
			    "#10 MARK (malformed, 4 bytes)");
	assert_string_equal(fmt(99, 11, &mark, 8, 0, 0),
			    "#11 KIND99 (8 bytes)");
}

static void test_proto__evfmt_small_buffer(void **state)
{
	struct msg m;
	struct fc_event ev = { 0 };
	char small[16];
	size_t size, n;

	req_begin(&m, FUSE_LOOKUP, 8, 1);
	put_name(&m, "a-rather-long-name");
	msg_end(&m);
	ev.kind = FC_EV_REQUEST;
	ev.seq = 1;
	ev.data = m.buf;
	ev.len = ev.orig_len = (uint32_t)m.len;
	for (size = 1; size <= sizeof(small); size++) {
		memset(small, 'Z', sizeof(small));
		n = evfmt_event(&ev, 0, small, size);
		assert_true(n < size);
		assert_int_equal(strlen(small), n);
	}
	assert_int_equal(evfmt_event(&ev, 0, small, 0), 0);
}

/* Every prefix of a valid message, in a heap block of exactly that size
 * so that an over-read shows under valgrind or ASan.  Wire messages are
 * tried twice: as cut (the header length no longer matches: always
 * "malformed") and with the header length patched to the cut, which
 * sends the truncated body on to the inner decoders. */
static void fmt_every_prefix(uint32_t kind, const struct msg *m,
			     uint32_t opcode)
{
	int wire = kind == FC_EV_REQUEST || kind == FC_EV_REPLY ||
		   kind == FC_EV_NOTIFY;
	uint32_t len32;
	size_t len;
	char *p;

	for (len = 0; len <= m->len; len++) {
		p = malloc(len ? len : 1);
		assert_non_null(p);
		memcpy(p, m->buf, len);
		fmt(kind, 1, p, len, len, opcode);
		assert_true(strlen(line) < sizeof(line));
		if (wire && len < m->len)
			assert_non_null(strstr(line, "malformed"));
		if (wire && len >= sizeof(len32)) {
			len32 = (uint32_t)len;
			memcpy(p, &len32, sizeof(len32));
			fmt(kind, 1, p, len, len, opcode);
			assert_true(strlen(line) < sizeof(line));
		}
		free(p);
	}
}

static void test_proto__evfmt_malformed_prefixes(void **state)
{
	struct msg m;
	struct fuse_rename2_in rn = { .newdir = 2 };
	struct fuse_batch_forget_in bf = { .count = 2 };
	struct fuse_forget_one one[2] = { { 5, 1 }, { 6, 2 } };
	struct fuse_init_out io = { .major = 7, .minor = 38,
				    .flags = FUSE_INIT_EXT };
	struct fuse_notify_delete_out del = { .parent = 1, .child = 2,
					      .namelen = 1 };
	struct fc_ev_fs_ledger led = { .count = 1 };
	struct fc_fs_inode fin = { .nodeid = 3 };
	uint32_t kinds[] = { FC_EV_MARK, FC_EV_QUIESCE, FC_EV_CHECK,
			     FC_EV_REPLY_REJECTED, FC_EV_INIT_CAP,
			     FC_EV_SCENARIO, FC_EV_MOUNT };
	size_t i;

	req_begin(&m, FUSE_RENAME2, 3, 1);
	put_bytes(&m, &rn, sizeof(rn));
	put_name(&m, "from");
	put_name(&m, "to");
	msg_end(&m);
	fmt_every_prefix(FC_EV_REQUEST, &m, 0);

	req_begin(&m, FUSE_BATCH_FORGET, 4, 0);
	put_bytes(&m, &bf, sizeof(bf));
	put_bytes(&m, one, sizeof(one));
	msg_end(&m);
	fmt_every_prefix(FC_EV_REQUEST, &m, 0);

	rep_begin(&m, 5, 0);
	put_direntplus(&m, 5, "a", 1);
	put_direntplus(&m, 6, "bcdefghijk", 10);
	msg_end(&m);
	fmt_every_prefix(FC_EV_REPLY, &m, FUSE_READDIRPLUS);

	rep_begin(&m, 5, 0);
	put_dirent(&m, 5, "a");
	put_dirent(&m, 6, "bcdefghijk");
	msg_end(&m);
	fmt_every_prefix(FC_EV_REPLY, &m, FUSE_READDIR);

	rep_begin(&m, 6, 0);
	put_bytes(&m, &io, sizeof(io));
	msg_end(&m);
	fmt_every_prefix(FC_EV_REPLY, &m, FUSE_INIT);

	rep_begin(&m, 7, 0);
	put_entry(&m, 8, 040755);
	msg_end(&m);
	fmt_every_prefix(FC_EV_REPLY, &m, FUSE_LOOKUP);
	fmt_every_prefix(FC_EV_REPLY, &m, FUSE_GETATTR);

	rep_begin(&m, 0, FUSE_NOTIFY_DELETE);
	put_bytes(&m, &del, sizeof(del));
	put_name(&m, "z");
	msg_end(&m);
	fmt_every_prefix(FC_EV_NOTIFY, &m, 0);

	m.len = 0;
	put_bytes(&m, &led, sizeof(led));
	put_bytes(&m, &fin, sizeof(fin));
	fmt_every_prefix(FC_EV_FS_LEDGER, &m, 0);

	/* fixed-size harness events: every short length */
	m.len = 0;
	put_zero(&m, 40);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		fmt_every_prefix(kinds[i], &m, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto__table_every_opcode),
		cmocka_unit_test(test_proto__table_rows),
		cmocka_unit_test(test_proto__table_facts),
		cmocka_unit_test(test_proto__lookup),
		cmocka_unit_test(test_proto__lookup_unterminated_name),
		cmocka_unit_test(test_proto__header_len_mismatch),
		cmocka_unit_test(test_proto__unknown_opcode),
		cmocka_unit_test(test_proto__symlink),
		cmocka_unit_test(test_proto__rename),
		cmocka_unit_test(test_proto__rename2),
		cmocka_unit_test(test_proto__link),
		cmocka_unit_test(test_proto__create),
		cmocka_unit_test(test_proto__mkdir_mknod_modes),
		cmocka_unit_test(test_proto__batch_forget),
		cmocka_unit_test(test_proto__batch_forget_unaligned),
		cmocka_unit_test(test_proto__forget),
		cmocka_unit_test(test_proto__init_ext),
		cmocka_unit_test(test_proto__init_no_ext),
		cmocka_unit_test(test_proto__interrupt),
		cmocka_unit_test(test_proto__write_cut_by_log),
		cmocka_unit_test(test_proto__setxattr_layouts),
		cmocka_unit_test(test_proto__log_len),
		cmocka_unit_test(test_proto__reply_entry),
		cmocka_unit_test(test_proto__reply_create),
		cmocka_unit_test(test_proto__reply_open),
		cmocka_unit_test(test_proto__reply_init_new),
		cmocka_unit_test(test_proto__reply_init_old),
		cmocka_unit_test(test_proto__reply_error),
		cmocka_unit_test(test_proto__reply_error_out_of_range),
		cmocka_unit_test(test_proto__reply_error_with_body),
		cmocka_unit_test(test_proto__reply_wrong_length),
		cmocka_unit_test(test_proto__reply_read_cut),
		cmocka_unit_test(test_proto__direntplus_stream),
		cmocka_unit_test(test_proto__direntplus_truncated_last),
		cmocka_unit_test(test_proto__direntplus_bad_namelen),
		cmocka_unit_test(test_proto__direntplus_slash),
		cmocka_unit_test(test_proto__dirent_plain),
		cmocka_unit_test(test_proto__notify_inval_entry),
		cmocka_unit_test(test_proto__notify_delete),
		cmocka_unit_test(test_proto__notify_others),
		cmocka_unit_test(test_proto__init_flag_names),
		cmocka_unit_test(test_proto__evfmt_request_lookup),
		cmocka_unit_test(test_proto__evfmt_reply_lookup),
		cmocka_unit_test(test_proto__evfmt_reply_write),
		cmocka_unit_test(test_proto__evfmt_readdirplus),
		cmocka_unit_test(test_proto__evfmt_batch_forget),
		cmocka_unit_test(test_proto__evfmt_notify),
		cmocka_unit_test(test_proto__evfmt_harness_events),
		cmocka_unit_test(test_proto__evfmt_small_buffer),
		cmocka_unit_test(test_proto__evfmt_malformed_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
