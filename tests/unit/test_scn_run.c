/* test_scn_run.c - the scenario runner on a plain temporary directory (no
 * FUSE): expectations that hold and that fail with their messages,
 * parallel threads, skips, descriptors closed, ledger callbacks, timeout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/fuse.h>
#include "scenario/scn_int.h"

#define HDR "# desc: a test\n# rules: LC-QUIESCE-BALANCE\n"
#define MAXREC 4096

/* what the stub harness saw */
struct rec {
	pthread_mutex_t mu;
	uint32_t lines[MAXREC];
	pid_t tids[MAXREC];
	size_t nmarks;
	unsigned quiesce_full, quiesce_part;
	struct fc_ev_check checks[16];
	size_t nchecks;
	int check_rc;               /* what check() answers */
	char evicted[8][64];        /* evict() paths, in order */
	size_t nevict;
	uint32_t delays[8][2];      /* delay() opcode, us */
	size_t ndelay;
	int evict_rc;               /* what evict() answers */
	char dir[64];
};

static void stub_mark(void *ctx, uint32_t line)
{
	struct rec *r = ctx;

	pthread_mutex_lock(&r->mu);
	if (r->nmarks < MAXREC) {
		r->lines[r->nmarks] = line;
		r->tids[r->nmarks++] = (pid_t)syscall(SYS_gettid);
	}
	pthread_mutex_unlock(&r->mu);
}

static int stub_quiesce(void *ctx, uint32_t line, int full)
{
	struct rec *r = ctx;

	if (full)
		r->quiesce_full++;
	else
		r->quiesce_part++;
	return 0;
}

static int stub_check(void *ctx, const struct fc_ev_check *chk, char *msg,
		      size_t msglen)
{
	struct rec *r = ctx;

	if (r->nchecks < 16)
		r->checks[r->nchecks++] = *chk;
	if (r->check_rc)
		snprintf(msg, msglen, "nodeid 7 has 2 references");
	return r->check_rc;
}

static int stub_evict(void *ctx, uint32_t line, const char *path)
{
	struct rec *r = ctx;

	(void)line;
	pthread_mutex_lock(&r->mu);
	if (r->nevict < 8)
		snprintf(r->evicted[r->nevict++], 64, "%s", path);
	pthread_mutex_unlock(&r->mu);
	return r->evict_rc;
}

static int stub_delay(void *ctx, uint32_t line, uint32_t opcode, uint32_t us,
		      int replies)
{
	struct rec *r = ctx;

	(void)line;
	(void)replies;
	if (r->ndelay < 8) {
		r->delays[r->ndelay][0] = opcode;
		r->delays[r->ndelay++][1] = us;
	}
	return 0;
}

static int setup(void **state)
{
	struct rec *r = calloc(1, sizeof(*r));

	pthread_mutex_init(&r->mu, NULL);
	snprintf(r->dir, sizeof(r->dir), "/tmp/scn-run-XXXXXX");
	if (!mkdtemp(r->dir))
		return -1;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rec *r = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	if (system(cmd))
		return -1;
	pthread_mutex_destroy(&r->mu);
	free(r);
	return 0;
}

static void run(struct rec *r, unsigned caps, const char *text,
		struct scn_outcome *out)
{
	struct scn_env env = {
		.mnt = r->dir, .caps = caps, .ctx = r, .mark = stub_mark,
		.quiesce = stub_quiesce, .check = stub_check,
		.evict = stub_evict, .delay = stub_delay,
	};
	struct scn_error err;
	struct scn *s;
	char buf[1024];

	if (scn_parse_string("t.scn", text, &s, &err)) {
		scn_error_format(&err, buf, sizeof(buf));
		fail_msg("parse error: %s", buf);
	}
	assert_int_equal(scn_run(s, &env, out), 0);
	scn_free(s);
}

static void dump(const struct scn_outcome *o)
{
	size_t k;

	for (k = 0; k < o->nfailures; k++)
		print_message("  line %u: %s\n", o->failures[k].line,
			      o->failures[k].message);
	if (o->reason)
		print_message("  reason: %s\n", o->reason);
}

static void assert_pass(const struct scn_outcome *o)
{
	if (o->status != FC_SCN_ST_PASS) {
		dump(o);
		fail_msg("status %d, want pass", o->status);
	}
}

#define ALL (~0u)

static void test_scn_run__passes(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;

	run(r, ALL, HDR
	    "open f a.txt O_CREAT|O_RDWR 0644\n"
	    "write f \"hello\"\n"
	    "stat a.txt ino=@a nlink=1 type=reg size=5 mode=0644\n"
	    "link a.txt b.txt\n"
	    "stat b.txt ino=@a nlink=2\n"
	    "unlink a.txt\n"
	    "unlink b.txt\n"
	    "expect ENOENT stat a.txt\n"
	    "fstat f nlink=0 size=5 ino=@a\n"
	    "stat . ino!=@a\n"
	    "pread f 5 0 \"hello\"\n"
	    "expect 3 pread f 3 2 \"llo\"\n"
	    "expect 0 pread f 10 5\n"
	    "ftruncate f 2\n"
	    "fstat f size=2\n"
	    "close f\n"
	    "expect EBADF read f 1\n"
	    "mkdir d 0700\n"
	    "stat d type=dir mode=0700\n"
	    "symlink d l\n"
	    "lstat l type=lnk\n"
	    "readlink l \"d\"\n"
	    "mkfifo d/p 0600\n"
	    "lstat d/p type=fifo\n"
	    "create d/\"\\xff\" 0644\n"
	    "readdir d count=2 has=p has=\"\\xff\" has!=q\n"
	    "rename d/p d/q\n"
	    "renameat2 d/q d/\"\\xff\" RENAME_EXCHANGE\n"
	    "expect EEXIST renameat2 d/q d/\"\\xff\" RENAME_NOREPLACE\n"
	    "truncate d/q 7\n"
	    "stat d/q size=7 type=reg\n"
	    "repeat 5 {\n"
	    "\tcreate r$n 0600\n"
	    "}\n"
	    "stat r4 mode=0600\n"
	    "mkfiles d 20\n"
	    "readdir d count=22 has=f19 bufsize=32\n"
	    "mktree t 10\n"
	    "stat t/d/d/d/d/d/d/d/d/d/d type=dir\n"
	    "expect ENOENT stat t/d/d/d/d/d/d/d/d/d/d/d\n"
	    "rmtree t\n"
	    "rmtree d\n"
	    "expect ENOENT stat d\n"
	    "open w . O_RDONLY|O_DIRECTORY\n"
	    "fsync w\n"
	    "sleep 1\n",
	    &o);
	assert_pass(&o);
	scn_outcome_free(&o);
}

static void want_failure(const struct scn_outcome *o, uint32_t line,
			 const char *msg)
{
	size_t k;

	for (k = 0; k < o->nfailures; k++)
		if (o->failures[k].line == line &&
		    !strcmp(o->failures[k].message, msg))
			return;
	dump(o);
	fail_msg("no failure at line %u: %s", line, msg);
}

static void test_scn_run__failures(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;

	run(r, ALL, HDR
	    "open f a.txt O_CREAT|O_RDWR 0644\n"          /* 3 */
	    "write f \"hello\"\n"
	    "expect ENOENT stat a.txt\n"                  /* 5 */
	    "stat nope\n"
	    "pread f 5 0 \"help!\"\n"                     /* 7 */
	    "pread f 3 0 \"hello\"\n"
	    "fstat f nlink=0 size=4 mode=0600 type=dir\n" /* 9 */
	    "expect EISDIR stat nope\n"
	    "open g nope O_RDONLY\n"                      /* 11 */
	    "read g 1\n"
	    "open f a.txt O_RDONLY\n"                     /* 13 */
	    "expect 3 write f \"xy\"\n"
	    "stat a.txt ino=@a\n"                         /* 15 */
	    "stat . ino=@a\n"
	    "stat a.txt ino!=@a\n"                        /* 17 */
	    "mkfiles missing 3\n"
	    "readdir . count=9 has=zz has!=a.txt\n"       /* 19 */
	    "stat d/\"\\x01\"\n",
	    &o);
	assert_int_equal(o.status, FC_SCN_ST_FAIL);
	want_failure(&o, 5, "stat \"a.txt\": expected ENOENT, got success");
	want_failure(&o, 6, "stat \"nope\": expected success, got ENOENT");
	want_failure(&o, 7, "pread f: expected \"help!\", got \"hello\" "
			    "(5 bytes)");
	want_failure(&o, 8, "pread f: expected \"hello\", got \"hel\" "
			    "(3 bytes)");
	want_failure(&o, 9, "fstat f: nlink expected 0, got 1");
	want_failure(&o, 9, "fstat f: size expected 4, got 5");
	want_failure(&o, 9, "fstat f: mode expected 0600, got 0644");
	want_failure(&o, 9, "fstat f: type expected dir, got reg");
	want_failure(&o, 10, "stat \"nope\": expected EISDIR, got ENOENT");
	want_failure(&o, 11, "open g \"nope\": expected success, got ENOENT");
	want_failure(&o, 12, "read g: descriptor g is not open (its open "
			     "failed or it was closed)");
	want_failure(&o, 13, "open f \"a.txt\": descriptor name f is "
			     "already open");
	want_failure(&o, 14, "write f: expected 3, got 2");
	want_failure(&o, 18, "mkfiles \"missing\": expected success, got "
			     "ENOENT");
	want_failure(&o, 19, "readdir \".\": count expected 9, got 1");
	want_failure(&o, 19, "readdir \".\": \"zz\" not listed");
	want_failure(&o, 19, "readdir \".\": \"a.txt\" listed, expected "
			     "absent");
	want_failure(&o, 20, "stat \"d/\\x01\": expected success, got "
			     "ENOENT");
	scn_outcome_free(&o);
}

/* A failed expectation is filed under what it checked, never under the
 * scenario's header rules (docs/rules.md, "Expectations"). */
static void want_rule(const struct scn_outcome *o, uint32_t line,
		      const char *rule)
{
	size_t k;

	for (k = 0; k < o->nfailures; k++)
		if (o->failures[k].line == line &&
		    !strcmp(o->failures[k].rule, rule))
			return;
	dump(o);
	fail_msg("no %s failure at line %u", rule, line);
}

static void test_scn_run__failure_rules(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;
	size_t k;

	run(r, ALL, "# desc: d\n# rules: LC-QUIESCE-BALANCE\n"
	    "open f a O_CREAT|O_RDONLY 0644\n"          /* 3 */
	    "stat nope\n"                                /* 4 result */
	    "expect ENAMETOOLONG create b 0644\n"        /* 5 name max */
	    "mkdir d 0755\n"
	    "expect ENOTEMPTY rmdir d\n"                 /* 7 not empty */
	    "write f \"x\"\n"                            /* 8 open file */
	    "fstat f nlink=2\n"                          /* 9 attr */
	    "pread f 1 0 \"z\"\n"                        /* 10 data */
	    "stat a ino=@a\n"
	    "stat . ino=@a\n"                            /* 12 ino stable */
	    "stat a ino!=@a\n"                           /* 13 distinct */
	    "readdir . has=zz\n"                         /* 14 dirents */
	    "read g 1\n"                                 /* 15 scenario */
	    "expect EEXIST create a 0644\n",             /* 16 holds */
	    &o);
	want_rule(&o, 4, "EX-RESULT");
	want_rule(&o, 5, "EX-NAME-MAX");
	want_rule(&o, 7, "EX-NOT-EMPTY");
	want_rule(&o, 8, "EX-OPEN-FILE");
	want_rule(&o, 9, "EX-ATTR");
	want_rule(&o, 10, "EX-DATA");
	want_rule(&o, 12, "EX-INO-STABLE");
	want_rule(&o, 13, "EX-INO-DISTINCT");
	want_rule(&o, 14, "EX-DIRENTS");
	want_rule(&o, 15, "SCN-EXPECT");
	for (k = 0; k < o.nfailures; k++)
		assert_true(strcmp(o.failures[k].rule, "LC-QUIESCE-BALANCE"));
	scn_outcome_free(&o);
}

/* Without stable-ino, an identity check across a quiesce is counted,
 * not judged; one within a quiesce interval still is. */
static void test_scn_run__unstable_ino_across_quiesce(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;

	run(r, ALL & ~SCN_REQ_STABLE_INO, HDR
	    "create a 0644\n"
	    "stat a ino=@a\n"                  /* 4 bound */
	    "quiesce\n"
	    "stat . ino=@a\n"                  /* 6 across: not judged */
	    "stat . ino=@b\n"                  /* 7 bound */
	    "stat a ino=@b\n",                 /* 8 same interval: judged */
	    &o);
	assert_int_equal(o.ino_unjudged, 1);
	assert_int_equal(o.nfailures, 1);
	want_rule(&o, 8, "EX-INO-STABLE");
	scn_outcome_free(&o);
	/* with it, both are judged */
	run(r, ALL, HDR "create a 0644\nstat a ino=@a\nquiesce\n"
	    "stat . ino=@a\n", &o);
	assert_int_equal(o.ino_unjudged, 0);
	want_rule(&o, 6, "EX-INO-STABLE");
	scn_outcome_free(&o);
}

/* expect E1|E2: any errno POSIX allows holds; the message names all */
static void test_scn_run__errno_alternatives(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;

	run(r, ALL, HDR
	    "mkdir d 0755\n"                              /* 3 */
	    "create d/f 0644\n"
	    "expect ENOTEMPTY|EEXIST rmdir d\n"           /* 5 holds */
	    "expect EEXIST|ENOTEMPTY rmdir d\n"           /* 6 holds */
	    "expect ENOENT|EEXIST stat d\n",              /* 7 fails */
	    &o);
	assert_int_equal(o.status, FC_SCN_ST_FAIL);
	assert_int_equal(o.nfailures, 1);
	want_failure(&o, 7, "stat \"d\": expected ENOENT or EEXIST, got "
			    "success");
	want_rule(&o, 7, "EX-RESULT");
	scn_outcome_free(&o);
}

/* the ino of a.txt differs in every run: find line 16's message by
 * prefix, and line 17's by fixing up the number */
static void test_scn_run__ino_messages(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;
	struct stat st;
	char want[256];

	run(r, ALL, HDR "create a 0644\nstat a ino=@a\nstat . ino=@a\n"
			"stat a ino!=@a\n",
	    &o);
	assert_int_equal(o.status, FC_SCN_ST_FAIL);
	assert_int_equal(o.nfailures, 2);
	snprintf(want, sizeof(want), "%s/a", r->dir);
	assert_int_equal(stat(want, &st), 0);
	snprintf(want, sizeof(want), "stat \".\": ino expected @a (%llu), got ",
		 (unsigned long long)st.st_ino);
	assert_int_equal(o.failures[0].line, 5);
	assert_memory_equal(o.failures[0].message, want, strlen(want));
	snprintf(want, sizeof(want),
		 "stat \"a\": ino expected other than @a, got %llu",
		 (unsigned long long)st.st_ino);
	assert_string_equal(o.failures[1].message, want);
	scn_outcome_free(&o);
}

static void test_scn_run__parallel(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;
	pid_t seen[64];
	size_t k, j, nseen = 0;
	char path[128];
	struct stat st;

	/* the barrier can only be passed if all 8 threads run at once */
	run(r, ALL, "# desc: d\n# rules: SCN-EXPECT\n# timeout: 10\n"
		    "parallel 8 {\n"
		    "\tmkdir d$i 0755\n"
		    "\tbarrier\n"
		    "\trepeat 3 {\n"
		    "\t\tcreate d$i/f$n 0644\n"
		    "\t}\n"
		    "\topen h$i d$i/f2 O_RDONLY\n"
		    "\tbarrier\n"
		    "\treaddir d$i count=3\n"
		    "}\n"
		    "stat d7/f2 type=reg\n",
	    &o);
	assert_pass(&o);
	for (k = 0; k < 8; k++) {
		snprintf(path, sizeof(path), "%s/d%zu/f2", r->dir, k);
		assert_int_equal(stat(path, &st), 0);
	}
	/* marks from 8 threads besides the top one; each ends with 0 */
	for (k = 0; k < r->nmarks; k++) {
		for (j = 0; j < nseen && seen[j] != r->tids[k]; j++)
			;
		if (j == nseen && nseen < 64)
			seen[nseen++] = r->tids[k];
	}
	assert_int_equal(nseen, 9);
	for (j = 0; j < nseen; j++) {
		uint32_t last = 1;

		for (k = 0; k < r->nmarks; k++)
			if (r->tids[k] == seen[j])
				last = r->lines[k];
		assert_int_equal(last, 0);
	}
	scn_outcome_free(&o);
}

static void test_scn_run__skip(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;

	run(r, SCN_REQ_WRITE, HDR "symlink a l\nsetxattr a user.x \"v\"\n",
	    &o);
	assert_int_equal(o.status, FC_SCN_ST_SKIP);
	assert_string_equal(o.reason, "requires symlink xattr");
	assert_int_equal(r->nmarks, 0);
	scn_outcome_free(&o);
	run(r, 0, HDR "# requires: drop-caches\nstat .\n", &o);
	assert_string_equal(o.reason, "requires drop-caches");
	scn_outcome_free(&o);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

static void test_scn_run__closes_descriptors(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;
	char before[4096], after[4096];
	int n = count_fds();

	assert_non_null(getcwd(before, sizeof(before)));
	run(r, ALL, HDR "create a 0644\nmkdir d 0755\n"
			"open f a O_RDONLY\nopen g a O_RDWR\n"
			"parallel 4 {\n\topen h$i a O_RDONLY\n}\n"
			"chdir d\ncreate d/inside 0644\n"
			"open i d/inside O_RDONLY\n",
	    &o);
	assert_pass(&o);
	assert_int_equal(count_fds(), n);
	assert_non_null(getcwd(after, sizeof(after)));
	assert_string_equal(before, after);
	snprintf(after, sizeof(after), "%s/d/inside", r->dir);
	assert_int_equal(access(after, F_OK), 0);
	scn_outcome_free(&o);
}

/* evict and delay reach the harness with the path as written (relative
 * to the working directory, $i expanded), the opcode and microseconds;
 * a failed eviction is the statement's result; a delay past the limit
 * fails the scenario, not the harness. */
static void test_scn_run__provoke(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;

	run(r, ALL, HDR "mkdir d 0755\ndelay FORGET 5\n"
			"parallel 2 {\nevict d/f$i\n}\ndelay FORGET 0\n",
	    &o);
	assert_pass(&o);
	assert_int_equal(r->nevict, 2);
	assert_true((!strcmp(r->evicted[0], "d/f0") &&
		     !strcmp(r->evicted[1], "d/f1")) ||
		    (!strcmp(r->evicted[0], "d/f1") &&
		     !strcmp(r->evicted[1], "d/f0")));
	assert_int_equal(r->ndelay, 2);
	assert_int_equal(r->delays[0][0], FUSE_FORGET);
	assert_int_equal(r->delays[0][1], 5000);
	assert_int_equal(r->delays[1][1], 0);
	scn_outcome_free(&o);

	r->evict_rc = -ENOTCONN;
	run(r, ALL, HDR "evict x\nexpect ENOTCONN evict y\n", &o);
	assert_int_equal(o.status, FC_SCN_ST_FAIL);
	want_failure(&o, 3, "evict \"x\": expected success, got ENOTCONN");
	assert_int_equal(o.nfailures, 1);
	scn_outcome_free(&o);

	r->evict_rc = 0;
	run(r, ALL, HDR "delay LOOKUP 10001\n", &o);
	assert_int_equal(o.status, FC_SCN_ST_FAIL);
	want_failure(&o, 3, "delay LOOKUP: 10001 ms is more than the limit of 10000 ms");
	scn_outcome_free(&o);
}

static void test_scn_run__ledger(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;
	struct stat st;
	char path[128];

	run(r, ALL, HDR "create a 0644\nopen f a O_RDONLY\nstat a ino=@a\n"
			"mkdir d 0755\nchdir d\n"
			"settle\noutstanding @a 1\nalive @a\n"
			"quiesce\n"
			"expect EBADF read f 1\n"
			"stat a\n"
			"balanced\nfreed @a\n",
	    &o);
	assert_pass(&o);
	assert_int_equal(r->quiesce_full, 1);
	assert_int_equal(r->quiesce_part, 1);
	assert_int_equal(r->nchecks, 4);
	snprintf(path, sizeof(path), "%s/a", r->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(r->checks[0].kind, FC_CHECK_OUTSTANDING);
	assert_int_equal(r->checks[0].line, 9);
	assert_int_equal(r->checks[0].ino, st.st_ino);
	assert_int_equal(r->checks[0].expect, 1);
	assert_int_equal(r->checks[1].kind, FC_CHECK_ALIVE);
	assert_int_equal(r->checks[2].kind, FC_CHECK_BALANCED);
	assert_int_equal(r->checks[2].ino, 0);
	assert_int_equal(r->checks[3].kind, FC_CHECK_FREED);
	scn_outcome_free(&o);

	r->check_rc = 1;
	run(r, ALL, HDR "quiesce\nbalanced\nstat .\n", &o);
	assert_int_equal(o.status, FC_SCN_ST_FAIL);
	want_failure(&o, 4, "balanced: nodeid 7 has 2 references");
	scn_outcome_free(&o);

	r->check_rc = -EIO;
	r->nmarks = 0;
	run(r, ALL, HDR "quiesce\nbalanced\nstat .\n", &o);
	assert_int_equal(o.status, FC_SCN_ST_BROKEN);
	assert_string_equal(o.reason,
			    "line 4: balanced: nodeid 7 has 2 references");
	/* the statement after a broken one does not run */
	assert_int_equal(r->lines[r->nmarks - 2], 4);
	assert_int_equal(r->lines[r->nmarks - 1], 0);
	scn_outcome_free(&o);
}

static void test_scn_run__unbound_tag(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;

	run(r, ALL, HDR "stat nope ino=@a\noutstanding @a 1\n", &o);
	assert_int_equal(o.status, FC_SCN_ST_FAIL);
	want_failure(&o, 4, "outstanding @a: tag @a is not bound (the "
			    "statement that binds it failed)");
	assert_int_equal(r->nchecks, 0);
	scn_outcome_free(&o);
}

static void test_scn_run__timeout(void **state)
{
	struct rec *r = *state;
	struct scn_outcome o;
	char before[4096], after[4096];

	assert_non_null(getcwd(before, sizeof(before)));
	run(r, ALL, "# desc: d\n# rules: SCN-EXPECT\n# timeout: 1\n"
		    "mkdir d 0755\nchdir d\n"
		    "parallel 2 {\n\tsleep 1500\n\tbarrier\n}\nstat .\n",
	    &o);
	assert_int_equal(o.status, FC_SCN_ST_BROKEN);
	assert_string_equal(o.reason, "timed out at line 7");
	assert_non_null(getcwd(after, sizeof(after)));
	assert_string_equal(before, after);
	scn_outcome_free(&o);
	sleep(1);       /* let the detached threads end before teardown */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scn_run__passes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scn_run__failure_rules,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scn_run__errno_alternatives,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_scn_run__unstable_ino_across_quiesce, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_scn_run__failures, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scn_run__ino_messages,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scn_run__parallel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scn_run__skip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_scn_run__closes_descriptors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scn_run__provoke, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scn_run__ledger, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scn_run__unbound_tag,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scn_run__timeout, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
