/* test_checker.c - the checker judged on hand-made FUSE traffic: every
 * rule once firing and once silent on correct traffic, the encoded
 * exceptions, attribution to scenario lines, and paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>
#include <linux/fuse.h>

#include "judge/checker.h"
#include <fusecheck/event.h>
#include "wire/proto.h"
#include "judge/rules.h"

#define RUNNER_TID 4242
#define REG (S_IFREG | 0644)
#define DIR (S_IFDIR | 0755)

static uint64_t seq;
static uint64_t next_unique;

/* --- event builders ------------------------------------------------------ */

static uint64_t feed(struct fc_checker *c, uint32_t kind, const void *data,
		     size_t len)
{
	struct fc_event ev = {
		.seq = ++seq, .kind = kind, .tid = 1,
		.len = (uint32_t)len, .orig_len = (uint32_t)len, .data = data,
	};

	checker_feed(c, &ev);
	return ev.seq;
}

static struct fc_checker *new_checker(void)
{
	struct {
		struct fc_ev_mount m;
		char cmd[8];
	} mnt = { .m = { .conn = 1 }, .cmd = "memfs" };
	struct fc_checker *c = checker_new();

	assert_non_null(c);
	seq = 0;
	next_unique = 100;
	feed(c, FC_EV_MOUNT, &mnt, sizeof(mnt));
	return c;
}

/* A request: header, fixed argument (zeros of the opcode's size when
 * none is given), then NUL-terminated names. */
static uint64_t request(struct fc_checker *c, uint32_t opcode,
			uint64_t unique, uint64_t nodeid, uint32_t pid,
			const void *arg, size_t arglen, const char *n1,
			const char *n2)
{
	static const unsigned char zeros[512];
	unsigned char buf[4096];
	struct fuse_in_header h = { 0 };
	size_t len = sizeof(h);

	if (!arg && proto_op(opcode)) {
		arg = zeros;
		arglen = proto_op(opcode)->in_size;
	}
	if (arglen) {
		memcpy(buf + len, arg, arglen);
		len += arglen;
	}
	if (n1) {
		memcpy(buf + len, n1, strlen(n1) + 1);
		len += strlen(n1) + 1;
	}
	if (n2) {
		memcpy(buf + len, n2, strlen(n2) + 1);
		len += strlen(n2) + 1;
	}
	h.len = (uint32_t)len;
	h.opcode = opcode;
	h.unique = unique;
	h.nodeid = nodeid;
	h.pid = pid;
	memcpy(buf, &h, sizeof(h));
	return feed(c, FC_EV_REQUEST, buf, len);
}

static uint64_t reply(struct fc_checker *c, uint64_t unique, int32_t error,
		      const void *body, size_t blen)
{
	unsigned char buf[8192];
	struct fuse_out_header h = { 0 };

	h.len = (uint32_t)(sizeof(h) + blen);
	h.error = error;
	h.unique = unique;
	memcpy(buf, &h, sizeof(h));
	if (blen)
		memcpy(buf + sizeof(h), body, blen);
	return feed(c, FC_EV_REPLY, buf, sizeof(h) + blen);
}

static struct fuse_entry_out entry(uint64_t nodeid, uint64_t gen,
				   uint32_t mode, uint64_t ino)
{
	struct fuse_entry_out e;

	memset(&e, 0, sizeof(e));
	e.nodeid = nodeid;
	e.generation = gen;
	e.attr.mode = mode;
	e.attr.ino = ino;
	e.attr.nlink = 1;
	return e;
}

static uint64_t entry_reply(struct fc_checker *c, uint64_t unique,
			    uint64_t nodeid, uint64_t gen, uint32_t mode)
{
	struct fuse_entry_out e = entry(nodeid, gen, mode, nodeid + 1000);

	return reply(c, unique, 0, &e, sizeof(e));
}

/* LOOKUP name in parent, answered with nodeid; returns the reply seq. */
static uint64_t lookup_pid(struct fc_checker *c, uint64_t parent,
			   const char *name, uint64_t nodeid, uint32_t mode,
			   uint32_t pid)
{
	uint64_t u = next_unique++;

	request(c, FUSE_LOOKUP, u, parent, pid, NULL, 0, name, NULL);
	return entry_reply(c, u, nodeid, 0, mode);
}

static uint64_t lookup(struct fc_checker *c, uint64_t parent,
		       const char *name, uint64_t nodeid, uint32_t mode)
{
	return lookup_pid(c, parent, name, nodeid, mode, RUNNER_TID);
}

static uint64_t mkdir_(struct fc_checker *c, uint64_t parent,
		       const char *name, uint64_t nodeid)
{
	struct fuse_mkdir_in in = { .mode = 0755 };
	uint64_t u = next_unique++;

	request(c, FUSE_MKDIR, u, parent, RUNNER_TID, &in, sizeof(in), name,
		NULL);
	return entry_reply(c, u, nodeid, 0, DIR);
}

static uint64_t forget(struct fc_checker *c, uint64_t nodeid, uint64_t n)
{
	struct fuse_forget_in in = { .nlookup = n };

	return request(c, FUSE_FORGET, next_unique++, nodeid, 0, &in,
		       sizeof(in), NULL, NULL);
}

static uint64_t simple(struct fc_checker *c, uint32_t opcode,
		       uint64_t nodeid, const char *name, int32_t error)
{
	uint64_t u = next_unique++;

	request(c, opcode, u, nodeid, RUNNER_TID, NULL, 0, name, NULL);
	return reply(c, u, error, NULL, 0);
}

static void unlink_(struct fc_checker *c, uint64_t parent, const char *name)
{
	simple(c, FUSE_UNLINK, parent, name, 0);
}

static void rename2(struct fc_checker *c, uint64_t olddir, const char *on,
		    uint64_t newdir, const char *nn, uint32_t flags)
{
	struct fuse_rename2_in in = { .newdir = newdir, .flags = flags };
	uint64_t u = next_unique++;

	request(c, FUSE_RENAME2, u, olddir, RUNNER_TID, &in, sizeof(in), on,
		nn);
	reply(c, u, 0, NULL, 0);
}

static void reject(struct fc_checker *c, uint64_t unique)
{
	struct fc_ev_reject rj = { .unique = unique, .error = 2 };

	feed(c, FC_EV_REPLY_REJECTED, &rj, sizeof(rj));
}

static void quiesce(struct fc_checker *c, uint32_t line, uint32_t method,
		    uint32_t settled, uint32_t full)
{
	struct fc_ev_quiesce q = { .line = line, .method = method,
				   .settled = settled, .full = full };

	feed(c, FC_EV_QUIESCE, &q, sizeof(q));
}

static void check(struct fc_checker *c, uint32_t kind, uint32_t line,
		  uint64_t ino, uint64_t expect)
{
	struct fc_ev_check k = { .kind = kind, .line = line, .ino = ino,
				 .expect = expect };

	feed(c, FC_EV_CHECK, &k, sizeof(k));
}

static void mark(struct fc_checker *c, uint32_t tid, uint32_t line)
{
	struct fc_ev_mark m = { .line = line, .tid = tid };

	feed(c, FC_EV_MARK, &m, sizeof(m));
}

static void scenario(struct fc_checker *c, uint32_t index, const char *file)
{
	unsigned char buf[512];
	struct fc_ev_scenario s = { .phase = FC_SCN_BEGIN, .index = index };
	size_t n = strlen(file) + 1;

	memcpy(buf, &s, sizeof(s));
	memcpy(buf + sizeof(s), file, n);
	buf[sizeof(s) + n] = '\0';	/* empty reason */
	feed(c, FC_EV_SCENARIO, buf, sizeof(s) + n + 1);
}

static void fs_ledger(struct fc_checker *c, uint32_t line,
		      const struct fc_fs_inode *in, uint32_t count)
{
	unsigned char buf[4096];
	struct fc_ev_fs_ledger h = { .count = count, .line = line };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), in, count * sizeof(*in));
	feed(c, FC_EV_FS_LEDGER, buf, sizeof(h) + count * sizeof(*in));
}

static void unmount(struct fc_checker *c)
{
	feed(c, FC_EV_UNMOUNT, NULL, 0);
}

/* READDIRPLUS body: fuse_direntplus records, each padded to 8. */
static size_t dirplus_add(unsigned char *buf, size_t off, uint64_t nodeid,
			  const char *name, uint32_t mode)
{
	struct fuse_direntplus d;
	size_t nl = strlen(name);
	size_t rec = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + nl);

	memset(&d, 0, sizeof(d));
	d.entry_out = entry(nodeid, 0, mode, nodeid + 1000);
	d.dirent.ino = nodeid + 1000;
	d.dirent.off = off + rec;
	d.dirent.namelen = (uint32_t)nl;
	d.dirent.type = (mode & S_IFMT) >> 12;
	memset(buf + off, 0, rec);
	memcpy(buf + off, &d, sizeof(d));
	memcpy(buf + off + FUSE_NAME_OFFSET_DIRENTPLUS, name, nl);
	return off + rec;
}

static uint64_t readdirplus(struct fc_checker *c, uint64_t dir,
			    const unsigned char *body, size_t blen,
			    uint64_t *unique)
{
	struct fuse_read_in in = { .size = 4096 };
	uint64_t u = next_unique++;

	request(c, FUSE_READDIRPLUS, u, dir, RUNNER_TID, &in, sizeof(in),
		NULL, NULL);
	if (unique)
		*unique = u;
	return reply(c, u, 0, body, blen);
}

/* --- assertions ------------------------------------------------------------ */

static size_t count_rule(const struct fc_checker *c, const char *id)
{
	size_t i, n = 0;

	for (i = 0; i < checker_nviolations(c); i++)
		if (!strcmp(checker_violation(c, i)->rule->id, id))
			n++;
	return n;
}

static const struct fc_violation *first_rule(const struct fc_checker *c,
					     const char *id)
{
	size_t i;

	for (i = 0; i < checker_nviolations(c); i++)
		if (!strcmp(checker_violation(c, i)->rule->id, id))
			return checker_violation(c, i);
	fail_msg("no %s violation", id);
	return NULL;
}

static void assert_path(const struct fc_checker *c, uint64_t nodeid,
			const char *want)
{
	char buf[512];

	checker_path(c, nodeid, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* --- LC-ENTRY-REF -------------------------------------------------------- */

static void test_checker__entry_ref_each_op(void **state)
{
	struct fc_checker *c = new_checker();
	struct fuse_mknod_in mk = { .mode = S_IFIFO | 0644 };
	struct fuse_create_in cr = { .mode = REG, .flags = 2 };
	struct fuse_link_in ln = { .oldnodeid = 4 };
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} co;

	lookup(c, 1, "a", 2, DIR);
	mkdir_(c, 1, "d", 3);
	request(c, FUSE_MKNOD, 10, 1, RUNNER_TID, &mk, sizeof(mk), "p", NULL);
	entry_reply(c, 10, 4, 0, S_IFIFO | 0644);
	request(c, FUSE_SYMLINK, 11, 1, RUNNER_TID, NULL, 0, "s", "target");
	entry_reply(c, 11, 5, 0, S_IFLNK | 0777);
	memset(&co, 0, sizeof(co));
	co.e = entry(6, 0, REG, 1006);
	request(c, FUSE_CREATE, 12, 1, RUNNER_TID, &cr, sizeof(cr), "f",
		NULL);
	reply(c, 12, 0, &co, sizeof(co));
	request(c, FUSE_LINK, 13, 3, RUNNER_TID, &ln, sizeof(ln), "p2", NULL);
	entry_reply(c, 13, 4, 0, S_IFIFO | 0644);
	/* TMPFILE answers like CREATE (kernel fuse_create_open) */
	co.e = entry(7, 0, REG, 1007);
	request(c, FUSE_TMPFILE, 14, 1, RUNNER_TID, &cr, sizeof(cr), NULL,
		NULL);
	reply(c, 14, 0, &co, sizeof(co));

	assert_int_equal(checker_outstanding(c, 2), 1);
	assert_int_equal(checker_outstanding(c, 3), 1);
	assert_int_equal(checker_outstanding(c, 4), 2);	/* MKNOD + LINK */
	assert_int_equal(checker_outstanding(c, 5), 1);
	assert_int_equal(checker_outstanding(c, 6), 1);
	assert_int_equal(checker_outstanding(c, 7), 1);
	assert_int_equal(checker_outstanding(c, 1), 1);	/* the kernel's */
	assert_int_equal(checker_nviolations(c), 0);
	assert_path(c, 4, "d/p2");	/* the latest name */
	assert_path(c, 7, "<nodeid 7>");	/* TMPFILE has none */
	checker_free(c);
}

static void test_checker__entry_ref_none_on_error_or_negative(void **state)
{
	struct fc_checker *c = new_checker();
	uint64_t u = next_unique++;

	request(c, FUSE_LOOKUP, u, 1, RUNNER_TID, NULL, 0, "gone", NULL);
	reply(c, u, -2, NULL, 0);
	lookup(c, 1, "neg", 0, 0);	/* nodeid 0: negative entry */
	assert_int_equal(checker_outstanding(c, 0), 0);
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

static void test_checker__readdir_adds_none(void **state)
{
	struct fc_checker *c = new_checker();
	struct fuse_read_in in = { .size = 4096 };
	unsigned char body[256];
	struct fuse_dirent d = { .ino = 9, .off = 1, .namelen = 1 };

	memset(body, 0, sizeof(body));
	memcpy(body, &d, sizeof(d));
	body[FUSE_NAME_OFFSET] = 'x';
	request(c, FUSE_READDIR, 50, 1, RUNNER_TID, &in, sizeof(in), NULL,
		NULL);
	reply(c, 50, 0, body, FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + 1));
	assert_int_equal(checker_outstanding(c, 9), 0);
	checker_free(c);
}

static void test_checker__readdirplus_dots_and_nodeid0(void **state)
{
	struct fc_checker *c = new_checker();
	unsigned char body[1024];
	size_t off = 0;

	off = dirplus_add(body, off, 1, ".", DIR);
	off = dirplus_add(body, off, 1, "..", DIR);
	off = dirplus_add(body, off, 0, "skipped", REG);
	off = dirplus_add(body, off, 8, "x", REG);
	off = dirplus_add(body, off, 9, "y", DIR);
	readdirplus(c, 1, body, off, NULL);

	assert_int_equal(checker_outstanding(c, 1), 1);	/* no "." ref */
	assert_int_equal(checker_outstanding(c, 8), 1);
	assert_int_equal(checker_outstanding(c, 9), 1);
	assert_path(c, 9, "y");
	forget(c, 8, 1);
	forget(c, 9, 1);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

/* One walk for PR-DIRENT and the counts: a NUL byte in a name is
 * garbage, yet the kernel links that entry and the ones after it
 * (fs/fuse/readdir.c checks only namelen and '/'), so both are counted;
 * a '/' stops the kernel, and the counts, at that record. */
static void test_checker__readdirplus_nul_counted_slash_stops(void **state)
{
	struct fc_checker *c = new_checker();
	unsigned char body[1024];
	size_t off = 0;

	off = dirplus_add(body, off, 8, "a?b", REG);
	body[FUSE_NAME_OFFSET_DIRENTPLUS + 1] = '\0';	/* "a\0b" */
	off = dirplus_add(body, off, 9, "c", REG);
	off = dirplus_add(body, off, 10, "d/e", REG);
	off = dirplus_add(body, off, 11, "f", REG);
	readdirplus(c, 1, body, off, NULL);

	assert_int_equal(checker_outstanding(c, 8), 1);
	assert_int_equal(checker_outstanding(c, 9), 1);
	assert_int_equal(checker_outstanding(c, 10), 0);
	assert_int_equal(checker_outstanding(c, 11), 0);
	assert_int_equal(count_rule(c, "PR-DIRENT"), 1);
	assert_non_null(strstr(first_rule(c, "PR-DIRENT")->detail, "NUL"));
	checker_free(c);

	/* the same reply without the NUL: PR-DIRENT names the '/' record */
	c = new_checker();
	off = 0;
	off = dirplus_add(body, off, 9, "c", REG);
	off = dirplus_add(body, off, 10, "d/e", REG);
	readdirplus(c, 1, body, off, NULL);
	assert_int_equal(checker_outstanding(c, 9), 1);
	assert_int_equal(checker_outstanding(c, 10), 0);
	assert_non_null(strstr(first_rule(c, "PR-DIRENT")->detail,
			       "record 1 (namelen 3) has a name with '/'"));
	checker_free(c);
}

/* --- rejected replies ------------------------------------------------------ */

static void test_checker__rejected_reply_undone(void **state)
{
	struct fc_checker *c = new_checker();
	unsigned char body[512];
	uint64_t u = next_unique++, du;
	size_t off = 0;

	request(c, FUSE_LOOKUP, u, 1, RUNNER_TID, NULL, 0, "a", NULL);
	entry_reply(c, u, 2, 0, REG);
	lookup(c, 1, "b", 3, REG);	/* events in between */
	reject(c, u);
	assert_int_equal(checker_outstanding(c, 2), 0);
	assert_int_equal(checker_outstanding(c, 3), 1);

	off = dirplus_add(body, off, 4, "c", REG);
	off = dirplus_add(body, off, 4, "c2", REG);
	readdirplus(c, 1, body, off, &du);
	assert_int_equal(checker_outstanding(c, 4), 2);
	reject(c, du);
	assert_int_equal(checker_outstanding(c, 4), 0);
	reject(c, du);	/* twice: nothing more to undo */
	assert_int_equal(checker_outstanding(c, 4), 0);

	forget(c, 3, 1);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

/* --- LC-FORGET-EXCESS ------------------------------------------------------ */

static void test_checker__forget_excess_fires(void **state)
{
	struct fc_checker *c = new_checker();
	const struct fc_violation *v;
	uint64_t ref = lookup(c, 1, "a", 2, REG);
	uint64_t s = forget(c, 2, 3);

	v = first_rule(c, "LC-FORGET-EXCESS");
	assert_int_equal(v->nodeid, 2);
	assert_string_equal(v->path, "a");
	assert_int_equal(v->scn_line, 0);	/* a kernel thread */
	assert_int_equal(v->seq, s);
	assert_int_equal(v->seq_ref, ref);
	assert_int_equal(checker_outstanding(c, 2), 0);	/* clamped */
	assert_int_equal(checker_forgets(c), 1);
	checker_free(c);
}

static void test_checker__forget_batch_excess_fires(void **state)
{
	struct fc_checker *c = new_checker();
	struct {
		struct fuse_batch_forget_in h;
		struct fuse_forget_one one[2];
	} b = { .h = { .count = 2 },
		.one = { { .nodeid = 2, .nlookup = 1 },
			 { .nodeid = 3, .nlookup = 2 } } };

	lookup(c, 1, "a", 2, REG);
	lookup(c, 1, "b", 3, REG);
	request(c, FUSE_BATCH_FORGET, next_unique++, 0, 0, &b, sizeof(b),
		NULL, NULL);
	assert_int_equal(count_rule(c, "LC-FORGET-EXCESS"), 1);
	assert_int_equal(first_rule(c, "LC-FORGET-EXCESS")->nodeid, 3);
	assert_int_equal(checker_forgets(c), 2);
	checker_free(c);
}

static void test_checker__forget_balanced_silent(void **state)
{
	struct fc_checker *c = new_checker();
	struct {
		struct fuse_batch_forget_in h;
		struct fuse_forget_one one[1];
	} b = { .h = { .count = 1 }, .one = { { .nodeid = 2, .nlookup = 2 } } };

	lookup(c, 1, "a", 2, REG);
	lookup(c, 1, "a", 2, REG);
	lookup(c, 1, "a", 2, REG);
	forget(c, 2, 1);
	request(c, FUSE_BATCH_FORGET, next_unique++, 0, 0, &b, sizeof(b),
		NULL, NULL);
	assert_int_equal(checker_outstanding(c, 2), 0);
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

/* --- LC-UNREFERENCED-NODEID ----------------------------------------------- */

static void test_checker__unreferenced_fires_once(void **state)
{
	struct fc_checker *c = new_checker();
	const struct fc_violation *v;
	uint64_t ref;

	scenario(c, 0, "scenarios/x.scn");
	mark(c, RUNNER_TID, 7);
	ref = lookup(c, 1, "a", 2, REG);
	forget(c, 2, 1);
	simple(c, FUSE_GETATTR, 2, NULL, 0);
	simple(c, FUSE_GETATTR, 2, NULL, 0);
	simple(c, FUSE_GETATTR, 5, NULL, 0);	/* never handed out */

	assert_int_equal(count_rule(c, "LC-UNREFERENCED-NODEID"), 2);
	v = first_rule(c, "LC-UNREFERENCED-NODEID");
	assert_int_equal(v->nodeid, 2);
	assert_string_equal(v->path, "a");
	assert_int_equal(v->scn_line, 7);
	assert_int_equal(v->seq_ref, ref);
	checker_free(c);
}

static void test_checker__unreferenced_rename_link(void **state)
{
	struct fc_checker *c = new_checker();
	struct fuse_rename_in rn = { .newdir = 30 };
	struct fuse_link_in ln = { .oldnodeid = 31 };

	lookup(c, 1, "a", 2, REG);
	request(c, FUSE_RENAME, 60, 1, RUNNER_TID, &rn, sizeof(rn), "a", "b");
	request(c, FUSE_LINK, 61, 1, RUNNER_TID, &ln, sizeof(ln), "l", NULL);
	assert_int_equal(count_rule(c, "LC-UNREFERENCED-NODEID"), 2);
	assert_int_equal(first_rule(c, "LC-UNREFERENCED-NODEID")->nodeid, 30);
	checker_free(c);
}

/* A file handle opened after the kernel forgot its inode: LOOKUP "." of
 * the forgotten nodeid (fuse_get_dentry) and ".." of a directory
 * (fuse_get_parent) name nodeids without a reference by design; their
 * answers are references, and a GETATTR of a nodeid still forgotten is
 * not excused by them. */
static void test_checker__unreferenced_export_dots(void **state)
{
	struct fc_checker *c = new_checker();

	lookup(c, 1, "d", 2, DIR);
	lookup(c, 2, "f", 3, REG);
	forget(c, 3, 1);
	forget(c, 2, 1);
	lookup(c, 3, ".", 3, REG);
	lookup(c, 2, "..", 1, DIR);
	assert_int_equal(count_rule(c, "LC-UNREFERENCED-NODEID"), 0);
	assert_int_equal(checker_outstanding(c, 3), 1);
	assert_path(c, 3, "d/f"); /* "." renames nothing */
	simple(c, FUSE_GETATTR, 2, NULL, 0);
	assert_int_equal(count_rule(c, "LC-UNREFERENCED-NODEID"), 1);
	checker_free(c);
}

/* LC-COUNTED: from `watch` on, the references handed to one nodeid and
 * returned for it by FORGET and BATCH_FORGET, exact or at least; a
 * rejected reply hands nothing; a new scenario watches nothing. */
static void test_checker__counted(void **state)
{
	struct fc_checker *c = new_checker();
	uint64_t u;

	scenario(c, 0, "scenarios/x.scn");
	lookup(c, 1, "a", 2, REG);		/* before the watch */
	check(c, FC_CHECK_WATCH, 5, 1002, 0);
	lookup(c, 1, "a", 2, REG);
	lookup(c, 1, "b", 3, REG);		/* another nodeid */
	u = next_unique++;
	request(c, FUSE_LOOKUP, u, 1, RUNNER_TID, NULL, 0, "a", NULL);
	entry_reply(c, u, 2, 0, REG);
	reject(c, u);				/* never reached the kernel */
	check(c, FC_CHECK_HANDED, 6, 1002, 1);
	check(c, FC_CHECK_HANDED_MIN, 7, 1002, 1);
	assert_int_equal(checker_nviolations(c), 0);
	forget(c, 2, 2);
	check(c, FC_CHECK_FORGOTTEN, 8, 1002, 2);
	check(c, FC_CHECK_FORGOTTEN, 9, 1002, 1);	/* fires */
	check(c, FC_CHECK_HANDED_MIN, 10, 1002, 2);	/* fires */
	assert_int_equal(count_rule(c, "LC-COUNTED"), 2);
	assert_int_equal(first_rule(c, "LC-COUNTED")->scn_line, 9);
	check(c, FC_CHECK_WATCH, 11, 1002, 0);		/* from 0 again */
	check(c, FC_CHECK_FORGOTTEN, 12, 1002, 0);
	check(c, FC_CHECK_HANDED, 13, 1003, 5);		/* not watched: note */
	assert_int_equal(count_rule(c, "LC-COUNTED"), 2);
	scenario(c, 1, "scenarios/y.scn");
	check(c, FC_CHECK_HANDED, 3, 1002, 7);		/* not watched here */
	assert_int_equal(count_rule(c, "LC-COUNTED"), 2);
	checker_free(c);
}

/* The inode is followed by st_ino: the kernel forgot it, and the
 * filesystem answers the next LOOKUP with a new nodeid for the same file
 * (passthrough_ll does); both nodeids' counts are the inode's. */
static void test_checker__counted_across_new_nodeid(void **state)
{
	struct fc_checker *c = new_checker();
	struct fuse_entry_out e = entry(9, 0, REG, 1002);
	uint64_t u;

	scenario(c, 0, "scenarios/x.scn");
	lookup(c, 1, "a", 2, REG);			/* ino 1002 */
	check(c, FC_CHECK_WATCH, 5, 1002, 0);
	forget(c, 2, 1);
	u = next_unique++;
	request(c, FUSE_LOOKUP, u, 1, RUNNER_TID, NULL, 0, "a", NULL);
	reply(c, u, 0, &e, sizeof(e));			/* nodeid 9 */
	check(c, FC_CHECK_FORGOTTEN, 6, 1002, 1);
	check(c, FC_CHECK_HANDED, 7, 1002, 1);
	forget(c, 9, 1);
	check(c, FC_CHECK_FORGOTTEN, 8, 1002, 2);
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

static void test_checker__unreferenced_silent(void **state)
{
	struct fc_checker *c = new_checker();
	struct fuse_init_in in = { .major = 7, .minor = 38 };

	request(c, FUSE_INIT, 1, 0, 0, &in, sizeof(in), NULL, NULL);
	simple(c, FUSE_GETATTR, 1, NULL, 0);	/* the root */
	simple(c, FUSE_STATFS, 0, NULL, 0);
	lookup(c, 1, "a", 2, REG);
	simple(c, FUSE_GETATTR, 2, NULL, 0);
	forget(c, 2, 1);
	request(c, FUSE_DESTROY, next_unique++, 0, 0, NULL, 0, NULL, NULL);
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

/* --- LC-NODEID-REUSE ------------------------------------------------------- */

static void test_checker__reuse_type_fires_and_uncertain(void **state)
{
	struct fc_checker *c = new_checker();
	const struct fc_violation *v;
	uint64_t ref = lookup(c, 1, "a", 2, REG);

	lookup(c, 1, "b", 2, DIR);
	v = first_rule(c, "LC-NODEID-REUSE");
	assert_int_equal(v->nodeid, 2);
	assert_int_equal(v->seq_ref, ref);
	/* the type change makes it uncertain: no balance judged */
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	assert_int_equal(count_rule(c, "LC-QUIESCE-BALANCE"), 0);
	assert_true(checker_nnotes(c) >= 1);
	checker_free(c);
}

static void test_checker__reuse_generation_and_create_fire(void **state)
{
	struct fc_checker *c = new_checker();
	uint64_t u = next_unique++;

	lookup(c, 1, "a", 2, REG);
	request(c, FUSE_LOOKUP, u, 1, RUNNER_TID, NULL, 0, "a", NULL);
	entry_reply(c, u, 2, 5, REG);	/* generation 0 -> 5 */
	assert_int_equal(count_rule(c, "LC-NODEID-REUSE"), 1);
	mkdir_(c, 1, "d", 3);
	mkdir_(c, 1, "e", 3);	/* a new inode, nodeid still referenced */
	assert_int_equal(count_rule(c, "LC-NODEID-REUSE"), 2);
	checker_free(c);
}

/* The node keeps a generation's low half; the high half lives in the
 * ledger's extras and still counts: the same wide generation is the
 * same inode, one that differs only above bit 31 is not. */
static void test_checker__reuse_wide_generation(void **state)
{
	struct fc_checker *c = new_checker();
	uint64_t u;

	for (int i = 0; i < 2; i++) {
		u = next_unique++;
		request(c, FUSE_LOOKUP, u, 1, RUNNER_TID, NULL, 0, "w", NULL);
		entry_reply(c, u, 9, (1ull << 32) | 7, REG);
	}
	assert_int_equal(count_rule(c, "LC-NODEID-REUSE"), 0);
	u = next_unique++;
	request(c, FUSE_LOOKUP, u, 1, RUNNER_TID, NULL, 0, "w", NULL);
	entry_reply(c, u, 9, (2ull << 32) | 7, REG);
	assert_int_equal(count_rule(c, "LC-NODEID-REUSE"), 1);
	checker_free(c);
}

static void test_checker__reuse_silent_same_inode(void **state)
{
	struct fc_checker *c = new_checker();
	struct fuse_link_in ln = { .oldnodeid = 2 };

	lookup(c, 1, "a", 2, REG);
	lookup(c, 1, "a", 2, REG);
	request(c, FUSE_LINK, 70, 1, RUNNER_TID, &ln, sizeof(ln), "h", NULL);
	entry_reply(c, 70, 2, 0, REG);
	forget(c, 2, 3);
	mkdir_(c, 1, "d", 2);	/* reused only after the last forget */
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

/* --- LC-NODEID-UNSTABLE ---------------------------------------------------- */

static void notify_inval_entry(struct fc_checker *c, uint64_t parent,
			       const char *name)
{
	unsigned char buf[512];
	struct fuse_out_header h = { 0 };
	struct fuse_notify_inval_entry_out ie = { 0 };
	size_t len = sizeof(h) + sizeof(ie) + strlen(name) + 1;

	h.len = (uint32_t)len;
	h.error = FUSE_NOTIFY_INVAL_ENTRY;
	ie.parent = parent;
	ie.namelen = (uint32_t)strlen(name);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &ie, sizeof(ie));
	memcpy(buf + sizeof(h) + sizeof(ie), name, strlen(name) + 1);
	feed(c, FC_EV_NOTIFY, buf, len);
}

static void test_checker__unstable_nodeid_fires(void **state)
{
	struct fc_checker *c = new_checker();
	const struct fc_violation *v;
	uint64_t ref;

	ref = lookup(c, 1, "d", 2, DIR);
	lookup(c, 1, "d", 7, DIR);	/* revalidation: another nodeid */
	v = first_rule(c, "LC-NODEID-UNSTABLE");
	assert_non_null(v);
	assert_int_equal(v->nodeid, 2);
	assert_int_equal(v->seq_ref, ref);
	assert_non_null(strstr(v->detail, "returns nodeid 7"));
	checker_free(c);
}

static void test_checker__unstable_nodeid_silent(void **state)
{
	struct fc_checker *c = new_checker();
	uint64_t u = next_unique++;

	/* the same nodeid again */
	lookup(c, 1, "a", 2, REG);
	lookup(c, 1, "a", 2, REG);
	/* the old one forgotten first */
	lookup(c, 1, "b", 3, REG);
	forget(c, 3, 1);
	lookup(c, 1, "b", 4, REG);
	/* the name was renamed over, or removed and made again */
	lookup(c, 1, "c", 5, REG);
	lookup(c, 1, "x", 6, REG);
	rename2(c, 1, "x", 1, "c", 0);
	lookup(c, 1, "c", 6, REG);
	unlink_(c, 1, "c");
	lookup(c, 1, "c", 8, REG);
	/* the filesystem said the name changed */
	lookup(c, 1, "e", 9, REG);
	notify_inval_entry(c, 1, "e");
	lookup(c, 1, "e", 10, REG);
	/* a directory-changing reply came while the LOOKUP was on its way */
	lookup(c, 1, "f", 11, REG);
	request(c, FUSE_LOOKUP, u, 1, RUNNER_TID, NULL, 0, "f", NULL);
	mkdir_(c, 1, "g", 12);
	entry_reply(c, u, 13, 0, REG);
	assert_int_equal(count_rule(c, "LC-NODEID-UNSTABLE"), 0);
	checker_free(c);
}

/* --- LC-FORGET-REPLY ------------------------------------------------------- */

static void test_checker__forget_reply_fires(void **state)
{
	struct fc_checker *c = new_checker();
	struct fuse_forget_in in = { .nlookup = 1 };
	uint64_t s;

	lookup(c, 1, "a", 2, REG);
	request(c, FUSE_FORGET, 80, 2, 0, &in, sizeof(in), NULL, NULL);
	s = reply(c, 80, 0, NULL, 0);
	assert_int_equal(count_rule(c, "LC-FORGET-REPLY"), 1);
	assert_int_equal(first_rule(c, "LC-FORGET-REPLY")->seq, s);
	checker_free(c);
}

static void test_checker__forget_reply_silent(void **state)
{
	struct fc_checker *c = new_checker();

	lookup(c, 1, "a", 2, REG);
	forget(c, 2, 1);
	simple(c, FUSE_GETATTR, 1, NULL, 0);
	reply(c, 999, 0, NULL, 0);	/* unknown unique: not a FORGET */
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

/* --- LC-QUIESCE-BALANCE ---------------------------------------------------- */

static void test_checker__quiesce_balance_fires(void **state)
{
	struct fc_checker *c = new_checker();
	const struct fc_violation *v;
	uint64_t ref;

	scenario(c, 3, "scenarios/leak.scn");
	mkdir_(c, 1, "d", 2);
	ref = lookup(c, 2, "f", 3, REG);
	forget(c, 2, 1);
	quiesce(c, 12, FC_QUIESCE_DROP_CACHES, 1, 1);
	v = first_rule(c, "LC-QUIESCE-BALANCE");
	assert_int_equal(v->nodeid, 3);
	assert_string_equal(v->path, "d/f");
	assert_int_equal(v->scn_line, 12);
	assert_int_equal(v->scenario, 3);
	assert_string_equal(v->scn_file, "scenarios/leak.scn");
	assert_int_equal(v->seq_ref, ref);
	assert_non_null(strstr(v->excerpt, "\n"));
	/* the same leak is reported once, not at every check */
	check(c, FC_CHECK_BALANCED, 13, 0, 0);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	assert_int_equal(count_rule(c, "LC-QUIESCE-BALANCE"), 1);
	/* a new entry for the leaking nodeid is a new leak: told again */
	lookup(c, 2, "f", 3, REG);
	quiesce(c, 14, FC_QUIESCE_DROP_CACHES, 1, 1);
	assert_int_equal(count_rule(c, "LC-QUIESCE-BALANCE"), 2);
	checker_free(c);
}

static void test_checker__balanced_check_fires(void **state)
{
	struct fc_checker *c = new_checker();

	lookup(c, 1, "a", 2, REG);
	check(c, FC_CHECK_BALANCED, 9, 0, 0);
	assert_int_equal(first_rule(c, "LC-QUIESCE-BALANCE")->scn_line, 9);
	checker_free(c);
}

static void test_checker__quiesce_incomplete_judges_nothing(void **state)
{
	struct fc_checker *c = new_checker();

	lookup(c, 1, "a", 2, REG);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 0, 1);	/* not settled */
	quiesce(c, 0, FC_QUIESCE_NONE, 1, 1);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 0);	/* fds open */
	check(c, FC_CHECK_BALANCED, 5, 0, 0);
	assert_int_equal(checker_nviolations(c), 0);
	/* not settled, no drop_caches, and `balanced` after a settle; the
	 * settle itself judges nothing by design and says nothing */
	assert_int_equal(checker_nnotes(c), 3);
	assert_non_null(strstr(checker_note(c, 0), "did not settle"));
	assert_non_null(strstr(checker_note(c, 1), "caches"));
	assert_non_null(strstr(checker_note(c, 2), "balanced at line 5"));
	checker_free(c);
}

/* after an abort or an interrupt the quiesce says so (settled 2): the
 * references the kernel never returned are not the filesystem's fault */
static void test_checker__quiesce_unhealthy_judges_nothing(void **state)
{
	struct fc_checker *c = new_checker();

	lookup(c, 1, "a", 2, REG);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 2, 1);
	check(c, FC_CHECK_BALANCED, 5, 0, 0);
	assert_int_equal(checker_nviolations(c), 0);
	assert_non_null(strstr(checker_note(c, 0), "no longer healthy"));
	checker_free(c);
}

static void test_checker__quiesce_balance_silent(void **state)
{
	struct fc_checker *c = new_checker();

	lookup(c, 1, "a", 2, REG);
	mkdir_(c, 1, "d", 3);
	forget(c, 2, 1);
	forget(c, 3, 1);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	check(c, FC_CHECK_BALANCED, 4, 0, 0);
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

/* --- LC-OUTSTANDING -------------------------------------------------------- */

static void test_checker__outstanding(void **state)
{
	struct fc_checker *c = new_checker();
	const struct fc_violation *v;

	lookup(c, 1, "a", 2, REG);	/* ino 1002 */
	check(c, FC_CHECK_OUTSTANDING, 6, 1002, 1);
	check(c, FC_CHECK_OUTSTANDING, 7, 4242, 0);	/* unknown ino */
	assert_int_equal(checker_nviolations(c), 0);
	check(c, FC_CHECK_OUTSTANDING, 8, 1002, 2);
	v = first_rule(c, "LC-OUTSTANDING");
	assert_int_equal(v->nodeid, 2);
	assert_int_equal(v->scn_line, 8);
	assert_string_equal(v->path, "a");
	/* N+: at least N */
	lookup(c, 1, "a", 2, REG);	/* a revalidation: 2 now */
	check(c, FC_CHECK_OUTSTANDING_MIN, 9, 1002, 1);
	check(c, FC_CHECK_OUTSTANDING_MIN, 10, 1002, 2);
	assert_int_equal(count_rule(c, "LC-OUTSTANDING"), 1);
	check(c, FC_CHECK_OUTSTANDING_MIN, 11, 1002, 3);
	assert_int_equal(count_rule(c, "LC-OUTSTANDING"), 2);
	assert_non_null(strstr(checker_violation(c, 1)->detail,
			       "expects at least 3"));
	checker_free(c);
}

/* --- LF-* against the reference fs's ledger ------------------------------- */

static void test_checker__fs_ledger_fires(void **state)
{
	struct fc_checker *c = new_checker();
	struct fc_fs_inode in[2] = {
		{ .nodeid = 1, .ino = 1, .nlookup = 0, .nlink = 2,
		  .mode = DIR },
		{ .nodeid = 2, .ino = 1002, .nlookup = 0, .nlink = 1,
		  .mode = REG },
	};
	const struct fc_violation *v;

	lookup(c, 1, "a", 2, REG);
	fs_ledger(c, 4, in, 2);	/* the fs lost a lookup */
	v = first_rule(c, "LF-FS-LEDGER");
	assert_int_equal(v->nodeid, 2);
	assert_int_equal(v->scn_line, 4);
	assert_string_equal(v->path, "a");
	assert_int_equal(count_rule(c, "LF-FS-LEDGER"), 1);	/* root exempt */
	checker_free(c);
}

static void test_checker__fs_ledger_silent(void **state)
{
	struct fc_checker *c = new_checker();
	struct fc_fs_inode in[2] = {
		{ .nodeid = 1, .ino = 1, .nlookup = 7, .nlink = 2,
		  .mode = DIR },
		{ .nodeid = 2, .ino = 1002, .nlookup = 1, .nlink = 1,
		  .mode = REG },
	};
	uint64_t u = next_unique++;

	lookup(c, 1, "a", 2, REG);
	fs_ledger(c, 4, in, 2);
	/* a rejected reply: the fs counted it, the kernel did not */
	request(c, FUSE_LOOKUP, u, 1, RUNNER_TID, NULL, 0, "a", NULL);
	entry_reply(c, u, 2, 0, REG);
	reject(c, u);
	forget(c, 2, 1);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	fs_ledger(c, 0, in, 2);
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

static void test_checker__fs_ledger_extra_at_quiesce_fires(void **state)
{
	struct fc_checker *c = new_checker();
	struct fc_fs_inode in[1] = {
		{ .nodeid = 2, .ino = 1002, .nlookup = 1, .nlink = 1 },
	};

	lookup(c, 1, "a", 2, REG);
	forget(c, 2, 1);
	fs_ledger(c, 5, in, 1);	/* mid-scenario: may be in transit */
	assert_int_equal(checker_nviolations(c), 0);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	fs_ledger(c, 0, in, 1);
	assert_int_equal(count_rule(c, "LF-FS-LEDGER"), 1);
	checker_free(c);
}

static void test_checker__freed_referenced(void **state)
{
	struct fc_checker *c = new_checker();
	struct fc_fs_inode in[2] = {
		{ .nodeid = 1, .ino = 1, .nlink = 2 },
		{ .nodeid = 2, .ino = 1002, .nlookup = 1, .nlink = 1 },
	};
	const struct fc_violation *v;

	lookup(c, 1, "a", 2, REG);
	fs_ledger(c, 3, in, 2);
	assert_int_equal(checker_nviolations(c), 0);
	lookup(c, 1, "b", 3, REG);
	fs_ledger(c, 4, in, 2);	/* nodeid 3 missing */
	v = first_rule(c, "LF-FREED-REFERENCED");
	assert_int_equal(v->nodeid, 3);
	assert_string_equal(v->path, "b");
	assert_int_equal(v->scn_line, 4);
	assert_int_equal(count_rule(c, "LF-FS-LEDGER"), 0);
	checker_free(c);
}

static void test_checker__freed_while_open(void **state)
{
	struct fc_checker *c = new_checker();
	struct fc_fs_inode root = { .nodeid = 1, .ino = 1, .nlink = 2 };
	struct fuse_open_in oi = { .flags = 0 };
	struct fuse_open_out oo = { .fh = 1 };
	struct fuse_release_in ri = { .fh = 1 };

	lookup(c, 1, "a", 2, REG);
	request(c, FUSE_OPEN, 90, 2, RUNNER_TID, &oi, sizeof(oi), NULL, NULL);
	reply(c, 90, 0, &oo, sizeof(oo));
	unlink_(c, 1, "a");
	fs_ledger(c, 5, &root, 1);	/* freed while open */
	assert_int_equal(count_rule(c, "LF-FREED-REFERENCED"), 1);
	assert_string_equal(first_rule(c, "LF-FREED-REFERENCED")->path,
			    "a (unlinked)");
	/* the kernel holds the inode until RELEASE is answered, then
	 * forgets it (fs/fuse/file.c fuse_release_end) */
	request(c, FUSE_RELEASE, 91, 2, 0, &ri, sizeof(ri), NULL, NULL);
	reply(c, 91, 0, NULL, 0);
	forget(c, 2, 1);
	fs_ledger(c, 6, &root, 1);
	assert_int_equal(count_rule(c, "LF-FREED-REFERENCED"), 1);
	checker_free(c);
}

static void test_checker__not_freed(void **state)
{
	struct fc_checker *c = new_checker();
	struct fc_fs_inode in[3] = {
		{ .nodeid = 1, .ino = 1, .nlink = 2 },
		{ .nodeid = 2, .ino = 1002 },	/* nothing holds it */
		{ .nodeid = 3, .ino = 1003, .nlink = 1 },	/* linked */
	};
	const struct fc_violation *v;

	lookup(c, 1, "a", 2, REG);
	unlink_(c, 1, "a");
	forget(c, 2, 1);
	fs_ledger(c, 0, in, 3);	/* no quiesce yet: not judged */
	assert_int_equal(checker_nviolations(c), 0);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	fs_ledger(c, 0, in, 3);
	assert_int_equal(count_rule(c, "LF-NOT-FREED"), 1);
	v = first_rule(c, "LF-NOT-FREED");
	assert_int_equal(v->nodeid, 2);
	assert_string_equal(v->path, "a (unlinked)");
	fs_ledger(c, 0, in + 2, 1);	/* freed now: silent */
	assert_int_equal(count_rule(c, "LF-NOT-FREED"), 1);
	checker_free(c);
}

static void test_checker__alive_and_freed(void **state)
{
	struct fc_checker *c = new_checker();
	struct fc_fs_inode in[2] = {
		{ .nodeid = 1, .ino = 1, .nlink = 2 },
		{ .nodeid = 2, .ino = 1002, .nlookup = 1, .nlink = 1 },
	};

	check(c, FC_CHECK_ALIVE, 2, 1002, 0);	/* no snapshot: a note */
	assert_int_equal(checker_nviolations(c), 0);
	lookup(c, 1, "a", 2, REG);
	fs_ledger(c, 3, in, 2);
	check(c, FC_CHECK_ALIVE, 4, 1002, 0);
	check(c, FC_CHECK_FREED, 5, 5555, 0);
	assert_int_equal(checker_nviolations(c), 0);
	check(c, FC_CHECK_FREED, 6, 1002, 0);
	check(c, FC_CHECK_ALIVE, 7, 5555, 0);
	assert_int_equal(first_rule(c, "LF-FREED")->nodeid, 2);
	assert_int_equal(first_rule(c, "LF-FREED")->scn_line, 6);
	assert_int_equal(first_rule(c, "LF-ALIVE")->scn_line, 7);
	checker_free(c);
}

/* A snapshot given away (a live run) is kept as it is, not copied: the
 * checker takes the buffer, and later checks read it (the sanitizer run
 * would see a use after free if it did not own it). */
static void test_checker__given_snapshot_is_kept_without_copy(void **state)
{
	struct fc_checker *c = new_checker();
	struct fc_fs_inode in[2] = {
		{ .nodeid = 2, .ino = 1002, .nlookup = 1, .nlink = 1 },
		{ .nodeid = 1, .ino = 1, .nlink = 2 },
	};
	size_t len = sizeof(struct fc_ev_fs_ledger) + sizeof(in);
	struct fc_ev_fs_ledger *led = malloc(len);
	void *given = led;
	struct fc_event ev = {
		.seq = ++seq, .kind = FC_EV_FS_LEDGER, .tid = 1,
		.len = (uint32_t)len, .orig_len = (uint32_t)len, .data = led,
		.give = &given,
	};

	assert_non_null(led);
	led->count = 2;
	led->line = 3;
	memcpy(led->inodes, in, sizeof(in));
	lookup(c, 1, "a", 2, REG);
	checker_feed(c, &ev);
	assert_null(given);			/* taken */
	check(c, FC_CHECK_ALIVE, 4, 1002, 0);
	check(c, FC_CHECK_FREED, 5, 1002, 0);
	assert_int_equal(first_rule(c, "LF-FREED")->nodeid, 2);
	assert_int_equal(checker_nviolations(c), 1);
	fs_ledger(c, 6, in + 1, 1);		/* a copy replaces it */
	check(c, FC_CHECK_ALIVE, 7, 1002, 0);
	assert_int_equal(first_rule(c, "LF-ALIVE")->scn_line, 7);
	checker_free(c);
}

static void test_checker__expect_event(void **state)
{
	struct fc_checker *c = new_checker();
	unsigned char buf[128];
	struct fc_ev_expect x = { .line = 11 };
	const char msg[] = "stat a.txt: expected ENOENT, got 0";
	const struct fc_violation *v;

	memset(buf, 0, sizeof(buf));
	strcpy(x.rule, "EX-OPEN-FILE");
	memcpy(buf, &x, sizeof(x));
	memcpy(buf + sizeof(x), msg, sizeof(msg));
	scenario(c, 1, "s.scn");
	feed(c, FC_EV_EXPECT, buf, sizeof(x) + sizeof(msg));
	strcpy(x.rule, "NO-SUCH-RULE");
	memcpy(buf, &x, sizeof(x));
	feed(c, FC_EV_EXPECT, buf, sizeof(x) + sizeof(msg));
	v = first_rule(c, "EX-OPEN-FILE");
	assert_int_equal(v->scn_line, 11);
	assert_string_equal(v->detail, msg);
	assert_string_equal(v->scn_file, "s.scn");
	assert_int_equal(count_rule(c, "SCN-EXPECT"), 1);
	checker_free(c);
}

/* --- encoded exceptions ----------------------------------------------------- */

static void test_checker__unmount_without_forgets(void **state)
{
	struct fc_checker *c = new_checker();
	struct {
		struct fc_ev_mount m;
		char cmd[8];
	} mnt = { .m = { .conn = 2 }, .cmd = "memfs" };

	lookup(c, 1, "a", 2, REG);
	mkdir_(c, 1, "d", 3);
	unmount(c);
	assert_int_equal(checker_nviolations(c), 0);
	feed(c, FC_EV_MOUNT, &mnt, sizeof(mnt));	/* a new connection */
	assert_int_equal(checker_outstanding(c, 2), 0);
	assert_int_equal(checker_outstanding(c, 1), 1);
	lookup(c, 1, "a", 2, DIR);	/* no reuse across connections */
	forget(c, 2, 1);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	assert_int_equal(checker_nviolations(c), 0);
	checker_free(c);
}

static void test_checker__uncertain_invalid_mode(void **state)
{
	struct fc_checker *c = new_checker();

	lookup(c, 1, "weird", 2, 0170000 | 0644);	/* no valid type */
	lookup(c, 1, "ok", 3, REG);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	assert_int_equal(count_rule(c, "LC-QUIESCE-BALANCE"), 1);
	assert_int_equal(first_rule(c, "LC-QUIESCE-BALANCE")->nodeid, 3);
	checker_free(c);
}

static void test_checker__uncertain_wrong_type_for_op(void **state)
{
	struct fc_checker *c = new_checker();
	uint64_t u = next_unique++;
	struct fuse_mkdir_in in = { .mode = 0755 };

	/* MKDIR answered with a regular file: the kernel refuses it */
	request(c, FUSE_MKDIR, u, 1, RUNNER_TID, &in, sizeof(in), "d", NULL);
	entry_reply(c, u, 2, 0, REG);
	mkdir_(c, 1, "e", 3);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	assert_int_equal(count_rule(c, "LC-QUIESCE-BALANCE"), 1);
	assert_int_equal(first_rule(c, "LC-QUIESCE-BALANCE")->nodeid, 3);
	checker_free(c);
}

/* --- attribution and paths ------------------------------------------------- */

static void test_checker__attribution_mark_pid(void **state)
{
	struct fc_checker *c = new_checker();
	const struct fc_violation *v;
	uint64_t u = next_unique++;

	scenario(c, 2, "scenarios/t.scn");
	mark(c, 100, 5);
	mark(c, 200, 9);
	/* thread 200 asks on line 9; thread 100 moves on meanwhile */
	request(c, FUSE_GETATTR, u, 77, 200, NULL, 0, NULL, NULL);
	mark(c, 200, 10);
	v = first_rule(c, "LC-UNREFERENCED-NODEID");
	assert_int_equal(v->scn_line, 9);
	assert_int_equal(v->scenario, 2);
	assert_string_equal(v->scn_file, "scenarios/t.scn");
	/* a reply is attributed to the line of its request */
	lookup_pid(c, 1, "a", 2, REG, 100);
	request(c, FUSE_LOOKUP, 500, 1, 200, NULL, 0, "b", NULL);
	mark(c, 200, 11);
	entry_reply(c, 500, 2, 0, DIR);
	assert_int_equal(first_rule(c, "LC-NODEID-REUSE")->scn_line, 10);
	/* an unknown thread: line 0 */
	request(c, FUSE_GETATTR, 501, 78, 999, NULL, 0, NULL, NULL);
	assert_int_equal(checker_violation(c, 2)->scn_line, 0);
	checker_free(c);
}

static void test_checker__path_rename_unlink(void **state)
{
	struct fc_checker *c = new_checker();

	mkdir_(c, 1, "a", 2);
	lookup(c, 2, "b", 3, REG);
	mkdir_(c, 1, "z", 4);
	assert_path(c, 3, "a/b");
	assert_path(c, 1, ".");
	assert_path(c, 99, "");
	rename2(c, 2, "b", 4, "c", 0);
	assert_path(c, 3, "z/c");
	lookup(c, 2, "e", 5, REG);
	rename2(c, 2, "e", 4, "c", 0);	/* over z/c */
	assert_path(c, 5, "z/c");
	assert_path(c, 3, "z/c (unlinked)");
	lookup(c, 1, "x", 6, REG);
	rename2(c, 4, "c", 1, "x", RENAME_EXCHANGE);
	assert_path(c, 5, "x");
	assert_path(c, 6, "z/c");
	unlink_(c, 4, "c");
	assert_path(c, 6, "z/c (unlinked)");
	simple(c, FUSE_RMDIR, 1, "a", 0);
	assert_path(c, 2, "a (unlinked)");
	lookup(c, 1, "x2", 6, REG);	/* a new name clears the mark */
	assert_path(c, 6, "x2");
	checker_free(c);
}

static void test_checker__path_raw_bytes(void **state)
{
	struct fc_checker *c = new_checker();
	const struct fc_violation *v;

	mkdir_(c, 1, "d\xff", 2);
	lookup(c, 2, "\x01name", 3, REG);
	assert_path(c, 3, "d\xff/\x01name");
	forget(c, 3, 2);
	v = first_rule(c, "LC-FORGET-EXCESS");
	assert_string_equal(v->path, "d\xff/\x01name");
	checker_free(c);
}

static void test_checker__path_cycle_bounded(void **state)
{
	struct fc_checker *c = new_checker();
	char buf[8192];

	/* a broken fs puts 2 inside 3 and 3 inside 2 */
	lookup(c, 1, "p", 2, DIR);
	lookup(c, 2, "q", 3, DIR);
	lookup(c, 3, "p", 2, DIR);
	checker_path(c, 2, buf, sizeof(buf));
	assert_non_null(strstr(buf, ".../"));
	checker_path(c, 2, buf, 5);	/* truncated, terminated */
	assert_int_equal(strlen(buf), 4);
	checker_free(c);
}

/* --- in-flight, INIT, rule table -------------------------------------------- */

static void test_checker__inflight_counts(void **state)
{
	struct fc_checker *c = new_checker();
	struct fuse_forget_in fi = { .nlookup = 1 };

	lookup(c, 1, "a", 2, REG);
	request(c, FUSE_GETATTR, 300, 1, RUNNER_TID, NULL, 0, NULL, NULL);
	request(c, FUSE_GETATTR, 301, 1, RUNNER_TID, NULL, 0, NULL, NULL);
	request(c, FUSE_LOOKUP, 302, 1, RUNNER_TID, NULL, 0,
		"a-name-longer-than-the-inline-buffer-of-an-in-flight-record-"
		"so-it-goes-to-the-heap", NULL);
	request(c, FUSE_FORGET, 303, 2, 0, &fi, sizeof(fi), NULL, NULL);
	assert_int_equal(checker_inflight(c), 3);
	reply(c, 301, 0, NULL, 0);
	reply(c, 300, 0, NULL, 0);
	entry_reply(c, 302, 4, 0, REG);
	assert_int_equal(checker_inflight(c), 0);
	assert_int_equal(checker_max_inflight(c), 3);
	assert_path(c, 4, "a-name-longer-than-the-inline-buffer-of-an-in-"
			  "flight-record-so-it-goes-to-the-heap");
	checker_free(c);
}

static void test_checker__init_recorded(void **state)
{
	struct fc_checker *c = new_checker();
	struct fuse_init_in in = { .major = 7, .minor = 45,
				   .flags = FUSE_INIT_EXT | FUSE_ASYNC_READ };
	struct fuse_init_out out = { .major = 7, .minor = 38,
				     .flags = FUSE_ASYNC_READ,
				     .max_write = 131072 };
	struct fc_ev_init_cap cap = { .fs_max_write = 1 << 24,
				      .max_write = 1 << 20 };
	const struct fc_init_info *ii;

	request(c, FUSE_INIT, 1, 0, 0, &in, sizeof(in), NULL, NULL);
	reply(c, 1, 0, &out, sizeof(out));
	feed(c, FC_EV_INIT_CAP, &cap, sizeof(cap));
	ii = checker_init(c);
	assert_true(ii->seen);
	assert_int_equal(ii->kernel_minor, 45);
	assert_true(ii->kernel_flags & FUSE_ASYNC_READ);
	assert_int_equal(ii->minor, 38);
	assert_int_equal(ii->flags, FUSE_ASYNC_READ);
	assert_true(ii->capped);
	assert_int_equal(ii->fs_max_write, 1 << 24);
	assert_int_equal(ii->max_write, 1 << 20);
	checker_free(c);
}

static void test_checker__rule_table(void **state)
{
	static const char *const ids[] = {
		"LC-ENTRY-REF", "LC-FORGET-EXCESS", "LC-UNREFERENCED-NODEID",
		"LC-NODEID-REUSE", "LC-NODEID-UNSTABLE", "LC-FORGET-REPLY",
		"LC-QUIESCE-BALANCE",
		"LC-OUTSTANDING", "LC-COUNTED", "LF-FS-LEDGER", "LF-FREED-REFERENCED",
		"LF-NOT-FREED", "LF-ALIVE", "LF-FREED", "LF-LEAK-PROBE",
		"EX-RESULT", "EX-NAME-MAX", "EX-NOT-EMPTY", "EX-OPEN-FILE",
		"EX-INO-STABLE", "EX-INO-DISTINCT", "EX-ATTR", "EX-DATA",
		"EX-DIRENTS",
		"PR-REPLY-LENGTH", "PR-REPLY-ERROR", "PR-UNKNOWN-UNIQUE",
		"PR-DIRENT", "PR-ENTRY-NODEID", "PR-INIT-SIZE", "PR-FS-DIED",
		"SCN-EXPECT",
		"LK-PARENT-EXCL", "LK-LOOKUP-SHARED", "LK-READDIR-SHARED",
		"LK-DIROPS-SERIAL", "LK-WRITE-INODE",
	};
	unsigned i;

	assert_int_equal(fc_nrules, sizeof(ids) / sizeof(ids[0]));
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct fc_rule *r = rule_find(ids[i]);

		assert_non_null(r);
		assert_non_null(r->summary);
		assert_non_null(r->source);
	}
	assert_null(rule_find("LC-NOPE"));
	assert_null(rule_find(NULL));
}

static void test_checker__many_nodeids_fast(void **state)
{
	struct fc_checker *c = new_checker();
	struct timespec a, b;
	char name[32];
	uint64_t i, n = 200000;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%llu", (unsigned long long)i);
		lookup(c, 1, name, i + 2, REG);
	}
	for (i = 0; i < n; i++)
		forget(c, i + 2, 1);
	quiesce(c, 0, FC_QUIESCE_DROP_CACHES, 1, 1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	assert_int_equal(checker_nviolations(c), 0);
	assert_int_equal(checker_forgets(c), n);
	assert_true(secs < 5.0);
	checker_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker__entry_ref_each_op),
		cmocka_unit_test(test_checker__entry_ref_none_on_error_or_negative),
		cmocka_unit_test(test_checker__readdir_adds_none),
		cmocka_unit_test(test_checker__readdirplus_dots_and_nodeid0),
		cmocka_unit_test(test_checker__readdirplus_nul_counted_slash_stops),
		cmocka_unit_test(test_checker__rejected_reply_undone),
		cmocka_unit_test(test_checker__forget_excess_fires),
		cmocka_unit_test(test_checker__forget_batch_excess_fires),
		cmocka_unit_test(test_checker__forget_balanced_silent),
		cmocka_unit_test(test_checker__unreferenced_fires_once),
		cmocka_unit_test(test_checker__unreferenced_rename_link),
		cmocka_unit_test(test_checker__unreferenced_silent),
		cmocka_unit_test(test_checker__unreferenced_export_dots),
		cmocka_unit_test(test_checker__counted),
		cmocka_unit_test(test_checker__counted_across_new_nodeid),
		cmocka_unit_test(test_checker__reuse_type_fires_and_uncertain),
		cmocka_unit_test(test_checker__reuse_generation_and_create_fire),
		cmocka_unit_test(test_checker__reuse_wide_generation),
		cmocka_unit_test(test_checker__reuse_silent_same_inode),
		cmocka_unit_test(test_checker__unstable_nodeid_fires),
		cmocka_unit_test(test_checker__unstable_nodeid_silent),
		cmocka_unit_test(test_checker__forget_reply_fires),
		cmocka_unit_test(test_checker__forget_reply_silent),
		cmocka_unit_test(test_checker__quiesce_balance_fires),
		cmocka_unit_test(test_checker__balanced_check_fires),
		cmocka_unit_test(test_checker__quiesce_incomplete_judges_nothing),
		cmocka_unit_test(test_checker__quiesce_unhealthy_judges_nothing),
		cmocka_unit_test(test_checker__quiesce_balance_silent),
		cmocka_unit_test(test_checker__outstanding),
		cmocka_unit_test(test_checker__fs_ledger_fires),
		cmocka_unit_test(test_checker__given_snapshot_is_kept_without_copy),
		cmocka_unit_test(test_checker__fs_ledger_silent),
		cmocka_unit_test(test_checker__fs_ledger_extra_at_quiesce_fires),
		cmocka_unit_test(test_checker__freed_referenced),
		cmocka_unit_test(test_checker__freed_while_open),
		cmocka_unit_test(test_checker__not_freed),
		cmocka_unit_test(test_checker__alive_and_freed),
		cmocka_unit_test(test_checker__expect_event),
		cmocka_unit_test(test_checker__unmount_without_forgets),
		cmocka_unit_test(test_checker__uncertain_invalid_mode),
		cmocka_unit_test(test_checker__uncertain_wrong_type_for_op),
		cmocka_unit_test(test_checker__attribution_mark_pid),
		cmocka_unit_test(test_checker__path_rename_unlink),
		cmocka_unit_test(test_checker__path_raw_bytes),
		cmocka_unit_test(test_checker__path_cycle_bounded),
		cmocka_unit_test(test_checker__inflight_counts),
		cmocka_unit_test(test_checker__init_recorded),
		cmocka_unit_test(test_checker__rule_table),
		cmocka_unit_test(test_checker__many_nodeids_fast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
