/* test_lock.c - the lock checker on crafted traffic: every LK-* rule
 * fires on an overlap it forbids and stays silent on the traffic the
 * kernel does allow (exemptions included), overlap figures and verdicts,
 * and the ordering argument (a request logged after another's reply never
 * overlaps it). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <linux/fuse.h>

#include "judge/checker.h"
#include "judge/lock.h"

struct fx {
	struct fc_checker *c;
	uint64_t seq, unique;
	unsigned char buf[8192];
};

static void feed(struct fx *f, uint32_t kind, const void *data, size_t len)
{
	struct fc_event ev = {
		.seq = ++f->seq,
		.time_ns = f->seq * 1000,
		.kind = kind,
		.len = (uint32_t)len,
		.orig_len = (uint32_t)len,
		.data = data,
	};

	checker_feed(f->c, &ev);
}

/* A request: header, fixed args, then NUL-terminated names. */
static uint64_t req(struct fx *f, uint32_t opcode, uint64_t nodeid,
		    const void *args, size_t alen, const char *n1,
		    const char *n2)
{
	struct fuse_in_header h = { 0 };
	size_t off = sizeof(h);

	if (alen)	/* args is NULL for an opcode without them */
		memcpy(f->buf + off, args, alen);
	off += alen;
	if (n1) {
		memcpy(f->buf + off, n1, strlen(n1) + 1);
		off += strlen(n1) + 1;
	}
	if (n2) {
		memcpy(f->buf + off, n2, strlen(n2) + 1);
		off += strlen(n2) + 1;
	}
	h.len = (uint32_t)off;
	h.opcode = opcode;
	h.unique = ++f->unique * 2;
	h.nodeid = nodeid;
	h.pid = 4242;
	memcpy(f->buf, &h, sizeof(h));
	feed(f, FC_EV_REQUEST, f->buf, off);
	return h.unique;
}

static void reply(struct fx *f, uint64_t unique, int32_t error,
		  const void *body, size_t blen)
{
	struct fuse_out_header oh = {
		.len = (uint32_t)(sizeof(oh) + blen),
		.error = error,
		.unique = unique,
	};
	unsigned char out[4096];

	memcpy(out, &oh, sizeof(oh));
	if (blen)
		memcpy(out + sizeof(oh), body, blen);
	feed(f, FC_EV_REPLY, out, sizeof(oh) + blen);
}

static void entry_reply(struct fx *f, uint64_t unique, uint64_t nodeid,
			uint32_t mode)
{
	struct fuse_entry_out e = { .nodeid = nodeid };

	e.attr.mode = mode;
	e.attr.ino = nodeid;
	reply(f, unique, 0, &e, sizeof(e));
}

static void init(struct fx *f, uint32_t flags)
{
	struct fuse_init_in in = { .major = 7, .minor = 38,
				   .flags = 0xffffffffu };
	struct fuse_init_out out = { .major = 7, .minor = 31,
				     .flags = flags, .max_write = 65536 };
	uint64_t u = req(f, FUSE_INIT, 0, &in, sizeof(in), NULL, NULL);

	reply(f, u, 0, &out, sizeof(out));
}

static uint64_t mkdir_rq(struct fx *f, uint64_t dir, const char *name)
{
	struct fuse_mkdir_in in = { .mode = 0755 };

	return req(f, FUSE_MKDIR, dir, &in, sizeof(in), name, NULL);
}

static uint64_t create_rq(struct fx *f, uint64_t dir, const char *name)
{
	struct fuse_create_in in = { .flags = O_CREAT | O_WRONLY,
				     .mode = S_IFREG | 0644 };

	return req(f, FUSE_CREATE, dir, &in, sizeof(in), name, NULL);
}

static uint64_t lookup_rq(struct fx *f, uint64_t dir, const char *name)
{
	return req(f, FUSE_LOOKUP, dir, NULL, 0, name, NULL);
}

static uint64_t readdir_rq(struct fx *f, uint64_t dir)
{
	struct fuse_read_in in = { .fh = 9, .size = 4096 };

	return req(f, FUSE_READDIR, dir, &in, sizeof(in), NULL, NULL);
}

static uint64_t rename_rq(struct fx *f, uint64_t from, const char *a,
			  uint64_t to, const char *b)
{
	struct fuse_rename_in in = { .newdir = to };

	return req(f, FUSE_RENAME, from, &in, sizeof(in), a, b);
}

static void open_fh(struct fx *f, uint64_t nodeid, uint64_t fh,
		    uint32_t open_flags)
{
	struct fuse_open_in in = { .flags = O_WRONLY };
	struct fuse_open_out out = { .fh = fh, .open_flags = open_flags };
	uint64_t u = req(f, FUSE_OPEN, nodeid, &in, sizeof(in), NULL, NULL);

	reply(f, u, 0, &out, sizeof(out));
}

static uint64_t write_rq(struct fx *f, uint64_t nodeid, uint64_t fh,
			 uint32_t write_flags, uint32_t file_flags)
{
	struct {
		struct fuse_write_in w;
		char data[16];
	} in = { { .fh = fh, .size = 16, .write_flags = write_flags,
		   .flags = file_flags }, { 0 } };

	return req(f, FUSE_WRITE, nodeid, &in, sizeof(in), NULL, NULL);
}

static size_t lk_count(const struct fx *f, const char *rule)
{
	size_t i, n = 0;

	for (i = 0; i < checker_nviolations(f->c); i++) {
		const struct fc_violation *v = checker_violation(f->c, i);

		if (v->rule && !strcmp(v->rule->id, rule))
			n++;
	}
	return n;
}

static size_t lk_total(const struct fx *f)
{
	size_t i, n = 0;

	for (i = 0; i < checker_nviolations(f->c); i++)
		n += checker_violation(f->c, i)->rule->family == FC_RF_LOCK;
	return n;
}

static const struct lock_stat *run_stat(const struct fx *f, unsigned rule)
{
	return lock_run_stat(checker_lock(f->c), rule);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->c = checker_new();
	if (!f->c) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	checker_free(f->c);
	free(f);
	return 0;
}

/* --- LK-PARENT-EXCL ------------------------------------------------------ */

static void test_lock__parent_excl_fires(void **state)
{
	struct fx *f = *state;
	uint64_t a, b;
	const struct fc_violation *v;

	init(f, 0);
	a = mkdir_rq(f, 1, "a");
	b = create_rq(f, 1, "b");
	assert_int_equal(lk_count(f, "LK-PARENT-EXCL"), 1);
	v = checker_violation(f->c, checker_nviolations(f->c) - 1);
	assert_int_equal(v->nodeid, 1);
	assert_int_equal(v->seq, f->seq);
	assert_int_equal(v->seq_ref, f->seq - 1);
	/* both requests are named */
	assert_non_null(strstr(v->detail, "CREATE \"b\""));
	assert_non_null(strstr(v->detail, "MKDIR \"a\""));
	entry_reply(f, a, 2, S_IFDIR | 0755);
	entry_reply(f, b, 3, S_IFREG | 0644);
	assert_int_equal(lock_stat_verdict(run_stat(f, LOCK_PARENT_EXCL)),
			 LOCK_V_VIOLATION);
}

static void test_lock__parent_excl_silent_on_other_dirs(void **state)
{
	struct fx *f = *state;
	uint64_t a, b, c;

	init(f, 0);
	a = mkdir_rq(f, 1, "p");
	entry_reply(f, a, 2, S_IFDIR | 0755);
	a = mkdir_rq(f, 1, "q");
	entry_reply(f, a, 3, S_IFDIR | 0755);
	b = mkdir_rq(f, 2, "x");
	c = create_rq(f, 3, "y");
	entry_reply(f, c, 5, S_IFREG | 0644);
	entry_reply(f, b, 4, S_IFDIR | 0755);
	assert_int_equal(lk_total(f), 0);
	assert_int_equal(run_stat(f, LOCK_PARENT_EXCL)->max_overlap, 2);
	assert_int_equal(lock_stat_verdict(run_stat(f, LOCK_PARENT_EXCL)),
			 LOCK_V_PASS);
}

static void test_lock__rename_locks_both_parents(void **state)
{
	struct fx *f = *state;
	uint64_t r;

	init(f, 0);
	r = rename_rq(f, 1, "a", 2, "b");
	mkdir_rq(f, 2, "c");   /* new parent of the rename */
	assert_int_equal(lk_count(f, "LK-PARENT-EXCL"), 1);
	reply(f, r, 0, NULL, 0);
}

/* The ordering argument: the tap logs a reply before the kernel sees it,
 * so a request logged after it came after the lock was released. */
static void test_lock__request_after_reply_never_overlaps(void **state)
{
	struct fx *f = *state;
	uint64_t a, b;

	init(f, 0);
	a = mkdir_rq(f, 1, "a");
	reply(f, a, -17, NULL, 0);   /* EEXIST: the lock was held all the same */
	b = create_rq(f, 1, "b");
	entry_reply(f, b, 3, S_IFREG | 0644);
	assert_int_equal(lk_total(f), 0);
	assert_int_equal(lock_inflight(checker_lock(f->c)), 0);
}

static void test_lock__vacuous_without_concurrency(void **state)
{
	struct fx *f = *state;
	int i;

	init(f, 0);
	for (i = 0; i < 5; i++) {
		char n[8];

		snprintf(n, sizeof(n), "d%d", i);
		entry_reply(f, mkdir_rq(f, 1, n), 10 + i, S_IFDIR | 0755);
	}
	assert_int_equal(run_stat(f, LOCK_PARENT_EXCL)->judged, 5);
	assert_int_equal(run_stat(f, LOCK_PARENT_EXCL)->max_overlap, 1);
	assert_int_equal(lock_stat_verdict(run_stat(f, LOCK_PARENT_EXCL)),
			 LOCK_V_VACUOUS);
	assert_string_equal(lock_verdict_name(LOCK_V_VACUOUS), "vacuous");
}

/* --- LK-LOOKUP-SHARED ------------------------------------------------------ */

static void test_lock__lookup_vs_exclusive_fires(void **state)
{
	struct fx *f = *state;

	init(f, FUSE_PARALLEL_DIROPS);
	req(f, FUSE_UNLINK, 1, NULL, 0, "a", NULL);
	lookup_rq(f, 1, "b");
	assert_int_equal(lk_count(f, "LK-LOOKUP-SHARED"), 1);
}

static void test_lock__lookups_share_with_parallel_dirops(void **state)
{
	struct fx *f = *state;
	uint64_t a, b, c;

	init(f, FUSE_PARALLEL_DIROPS);
	a = lookup_rq(f, 1, "a");
	b = lookup_rq(f, 1, "b");
	c = mkdir_rq(f, 7, "z");   /* another directory: the control */
	reply(f, a, -2, NULL, 0);
	reply(f, b, -2, NULL, 0);
	entry_reply(f, c, 8, S_IFDIR | 0755);
	assert_int_equal(lk_total(f), 0);
	assert_int_equal(lock_stat_verdict(run_stat(f, LOCK_LOOKUP_SHARED)),
			 LOCK_V_PASS);
	assert_int_equal(lock_stat_verdict(run_stat(f, LOCK_DIROPS_SERIAL)),
			 LOCK_V_NA);
}

/* A LOOKUP of a name the kernel may hold a positive dentry for can come
 * from d_revalidate, which takes no directory lock. */
static void test_lock__revalidation_lookup_exempt(void **state)
{
	struct fx *f = *state;
	uint64_t a, b;

	init(f, 0);
	entry_reply(f, lookup_rq(f, 1, "x"), 5, S_IFREG | 0644);
	a = create_rq(f, 1, "y");
	b = lookup_rq(f, 1, "x");
	lookup_rq(f, 1, "..");   /* export ops: no lock either */
	assert_int_equal(lk_total(f), 0);
	assert_int_equal(run_stat(f, LOCK_LOOKUP_SHARED)->exempt, 2);
	entry_reply(f, b, 5, S_IFREG | 0644);
	entry_reply(f, a, 6, S_IFREG | 0644);
}

/* A name leaves the index (unlink, rename) while a revalidation of its
 * dentry may still be on its way: its LOOKUP stays exempt. */
static void test_lock__revalidation_exempt_after_name_left(void **state)
{
	struct fx *f = *state;
	uint64_t a;

	init(f, 0);
	entry_reply(f, lookup_rq(f, 1, "x"), 5, S_IFREG | 0644);
	entry_reply(f, lookup_rq(f, 1, "y"), 6, S_IFREG | 0644);
	reply(f, req(f, FUSE_UNLINK, 1, NULL, 0, "x", NULL), 0, NULL, 0);
	reply(f, rename_rq(f, 1, "y", 1, "z"), 0, NULL, 0);
	a = create_rq(f, 1, "w");
	lookup_rq(f, 1, "x");
	lookup_rq(f, 1, "y");
	lookup_rq(f, 1, "z");
	assert_int_equal(lk_total(f), 0);
	assert_int_equal(run_stat(f, LOCK_LOOKUP_SHARED)->exempt, 3);
	entry_reply(f, a, 7, S_IFREG | 0644);
}

/* A rename of names the wire never showed positive (the tap came
 * later): the kernel held a dentry of each, so either may be revalidated,
 * as after a rename of names it did show. */
static void test_lock__rename_of_unseen_names_exempt(void **state)
{
	struct fx *f = *state;
	struct {
		struct fuse_rename2_in in;
	} x = { { .newdir = 1, .flags = RENAME_EXCHANGE } };
	uint64_t a;

	init(f, 0);
	reply(f, rename_rq(f, 1, "old", 1, "new"), 0, NULL, 0);
	reply(f, req(f, FUSE_RENAME2, 1, &x.in, sizeof(x.in), "p", "q"), 0,
	      NULL, 0);
	a = create_rq(f, 1, "w");
	lookup_rq(f, 1, "new");
	lookup_rq(f, 1, "p");
	lookup_rq(f, 1, "q");
	lookup_rq(f, 1, "old");
	assert_int_equal(lk_total(f), 0);
	assert_int_equal(run_stat(f, LOCK_LOOKUP_SHARED)->exempt, 4);
	lookup_rq(f, 1, "other");
	assert_int_equal(lk_count(f, "LK-LOOKUP-SHARED"), 1);
	entry_reply(f, a, 7, S_IFREG | 0644);
}

/* A name no reply made positive (a negative entry, an error, another
 * directory's name) is looked up under the directory lock: judged. */
static void test_lock__lookup_of_unseen_name_judged(void **state)
{
	struct fx *f = *state;
	uint64_t a;

	init(f, 0);
	entry_reply(f, lookup_rq(f, 1, "neg"), 0, 0);
	reply(f, lookup_rq(f, 1, "gone"), -2, NULL, 0);
	entry_reply(f, lookup_rq(f, 2, "x"), 5, S_IFREG | 0644);
	a = create_rq(f, 1, "w");
	lookup_rq(f, 1, "neg");
	lookup_rq(f, 1, "gone");
	lookup_rq(f, 1, "x");
	assert_int_equal(lk_count(f, "LK-LOOKUP-SHARED"), 3);
	assert_int_equal(run_stat(f, LOCK_LOOKUP_SHARED)->exempt, 0);
	entry_reply(f, a, 7, S_IFREG | 0644);
}

/* A READDIRPLUS entry makes its name positive too
 * (fuse_direntplus_link). */
static void test_lock__readdirplus_name_exempt(void **state)
{
	struct fx *f = *state;
	unsigned char body[256] = { 0 };
	struct fuse_direntplus *dp = (struct fuse_direntplus *)body;
	uint64_t r, a;
	size_t len;

	init(f, 0);
	dp->entry_out.nodeid = 9;
	dp->entry_out.attr.ino = 9;
	dp->entry_out.attr.mode = S_IFREG | 0644;
	dp->dirent.ino = 9;
	dp->dirent.off = 1;
	dp->dirent.namelen = 4;
	dp->dirent.type = S_IFREG >> 12;
	memcpy(dp->dirent.name, "seen", 4);
	len = FUSE_DIRENTPLUS_SIZE(dp);
	r = req(f, FUSE_READDIRPLUS, 1, &(struct fuse_read_in){ .fh = 9,
		.size = 4096 }, sizeof(struct fuse_read_in), NULL, NULL);
	reply(f, r, 0, body, len);
	a = create_rq(f, 1, "w");
	lookup_rq(f, 1, "seen");
	assert_int_equal(lk_total(f), 0);
	assert_int_equal(run_stat(f, LOCK_LOOKUP_SHARED)->exempt, 1);
	lookup_rq(f, 1, "unseen");
	assert_int_equal(lk_count(f, "LK-LOOKUP-SHARED"), 1);
	entry_reply(f, a, 7, S_IFREG | 0644);
}

/* --- LK-READDIR-SHARED ------------------------------------------------------ */

static void test_lock__readdir_vs_exclusive_fires(void **state)
{
	struct fx *f = *state;
	uint64_t r;

	init(f, FUSE_PARALLEL_DIROPS);
	r = readdir_rq(f, 1);
	mkdir_rq(f, 1, "n");
	assert_int_equal(lk_count(f, "LK-READDIR-SHARED"), 1);
	reply(f, r, 0, NULL, 0);
}

/* --- LK-DIROPS-SERIAL -------------------------------------------------------- */

static void test_lock__dirops_serial_fires_without_parallel(void **state)
{
	struct fx *f = *state;

	init(f, 0);
	lookup_rq(f, 1, "a");
	readdir_rq(f, 1);
	lookup_rq(f, 1, "b");
	assert_int_equal(lk_count(f, "LK-DIROPS-SERIAL"), 3);
}

static void test_lock__dirops_serial_silent_across_dirs(void **state)
{
	struct fx *f = *state;

	init(f, 0);
	lookup_rq(f, 1, "a");
	readdir_rq(f, 2);
	lookup_rq(f, 3, "b");
	assert_int_equal(lk_total(f), 0);
	assert_int_equal(run_stat(f, LOCK_DIROPS_SERIAL)->max_overlap, 3);
}

/* --- LK-WRITE-INODE ------------------------------------------------------------ */

static void test_lock__write_overlap_fires(void **state)
{
	struct fx *f = *state;
	uint64_t a;

	init(f, FUSE_ASYNC_DIO);
	open_fh(f, 5, 70, 0);
	a = write_rq(f, 5, 70, 0, O_WRONLY);
	write_rq(f, 5, 70, 0, O_WRONLY);
	assert_int_equal(lk_count(f, "LK-WRITE-INODE"), 1);
	reply(f, a, 0, "\x10\0\0\0\0\0\0\0", 8);
}

static void test_lock__write_exemptions(void **state)
{
	struct fx *f = *state;

	init(f, FUSE_ASYNC_DIO);
	open_fh(f, 5, 70, 0);
	open_fh(f, 6, 71, FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES);
	/* page-cache writeback takes no inode lock */
	write_rq(f, 5, 70, FUSE_WRITE_CACHE, O_WRONLY);
	write_rq(f, 5, 70, FUSE_WRITE_CACHE, O_WRONLY);
	/* async DIO: chunks of one O_DIRECT write go out together */
	write_rq(f, 5, 70, 0, O_WRONLY | O_DIRECT);
	write_rq(f, 5, 70, 0, O_WRONLY | O_DIRECT);
	/* parallel direct writes take the inode lock shared */
	write_rq(f, 6, 71, 0, O_WRONLY);
	write_rq(f, 6, 71, 0, O_WRONLY);
	/* a handle never seen opened: its mode is unknown */
	write_rq(f, 5, 99, 0, O_WRONLY);
	assert_int_equal(lk_total(f), 0);
	assert_int_equal(run_stat(f, LOCK_WRITE_INODE)->exempt, 7);
}

static void release_fh(struct fx *f, uint64_t nodeid, uint64_t fh)
{
	struct fuse_release_in in = { .fh = fh };

	reply(f, req(f, FUSE_RELEASE, nodeid, &in, sizeof(in), NULL, NULL), 0,
	      NULL, 0);
}

/* A file handle's flags last until its RELEASE: a filesystem that gives
 * the same fh value to a later open, without FOPEN_PARALLEL_DIRECT_WRITES,
 * has its writes judged again; and the map holds only open handles. */
static void test_lock__fh_flags_end_at_release(void **state)
{
	struct fx *f = *state;
	uint64_t a;

	init(f, FUSE_ASYNC_DIO);
	open_fh(f, 5, 70, FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES);
	open_fh(f, 5, 70, FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES);
	release_fh(f, 5, 70);
	/* one open of fh 70 is left: still exempt */
	write_rq(f, 5, 70, 0, O_WRONLY);
	write_rq(f, 5, 70, 0, O_WRONLY);
	assert_int_equal(lk_total(f), 0);
	release_fh(f, 5, 70);
	open_fh(f, 6, 70, 0);
	a = write_rq(f, 6, 70, 0, O_WRONLY);
	write_rq(f, 6, 70, 0, O_WRONLY);
	assert_int_equal(lk_count(f, "LK-WRITE-INODE"), 1);
	reply(f, a, 0, "\x10\0\0\0\0\0\0\0", 8);
}

static void test_lock__write_with_writeback_not_applicable(void **state)
{
	struct fx *f = *state;

	init(f, FUSE_WRITEBACK_CACHE);
	open_fh(f, 5, 70, 0);
	write_rq(f, 5, 70, 0, O_WRONLY);
	write_rq(f, 5, 70, 0, O_WRONLY);
	assert_int_equal(lk_total(f), 0);
	assert_int_equal(lock_stat_verdict(run_stat(f, LOCK_WRITE_INODE)),
			 LOCK_V_NA);
}

static void test_lock__write_before_init_not_judged(void **state)
{
	struct fx *f = *state;

	open_fh(f, 5, 70, 0);
	write_rq(f, 5, 70, 0, O_WRONLY);
	write_rq(f, 5, 70, 0, O_WRONLY);
	assert_int_equal(lk_total(f), 0);
}

/* A new connection forgets everything in flight on the old one. */
static void test_lock__unmount_ends_intervals(void **state)
{
	struct fx *f = *state;
	unsigned char mnt[16] = { 0 };

	init(f, 0);
	mkdir_rq(f, 1, "a");
	feed(f, FC_EV_UNMOUNT, NULL, 0);
	mnt[0] = 2;
	feed(f, FC_EV_MOUNT, mnt, sizeof(mnt));
	init(f, 0);
	mkdir_rq(f, 1, "b");
	assert_int_equal(lk_total(f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_lock__parent_excl_fires),
		T(test_lock__parent_excl_silent_on_other_dirs),
		T(test_lock__rename_locks_both_parents),
		T(test_lock__request_after_reply_never_overlaps),
		T(test_lock__vacuous_without_concurrency),
		T(test_lock__lookup_vs_exclusive_fires),
		T(test_lock__lookups_share_with_parallel_dirops),
		T(test_lock__revalidation_lookup_exempt),
		T(test_lock__revalidation_exempt_after_name_left),
		T(test_lock__rename_of_unseen_names_exempt),
		T(test_lock__lookup_of_unseen_name_judged),
		T(test_lock__readdirplus_name_exempt),
		T(test_lock__readdir_vs_exclusive_fires),
		T(test_lock__dirops_serial_fires_without_parallel),
		T(test_lock__dirops_serial_silent_across_dirs),
		T(test_lock__write_overlap_fires),
		T(test_lock__write_exemptions),
		T(test_lock__fh_flags_end_at_release),
		T(test_lock__write_with_writeback_not_applicable),
		T(test_lock__write_before_init_not_judged),
		T(test_lock__unmount_ends_intervals),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
