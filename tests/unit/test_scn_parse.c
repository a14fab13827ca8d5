/* test_scn_parse.c - the scenario parser: every call and check, the
 * header, words, blocks, and each parse error with its line and column.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "scenario/scn_int.h"

#define HDR "# desc: a test\n# rules: LC-QUIESCE-BALANCE\n"

static struct scn *parse_ok(const char *text)
{
	struct scn_error err;
	struct scn *s = NULL;
	char buf[1024];
	int rc = scn_parse_string("t.scn", text, &s, &err);

	if (rc) {
		scn_error_format(&err, buf, sizeof(buf));
		fail_msg("unexpected parse error: %s", buf);
	}
	return s;
}

static void parse_ok_free(const char *text)
{
	scn_free(parse_ok(text));
}

/* the text must fail at line:col with a message containing msg */
static void parse_bad(const char *text, unsigned line, unsigned col,
		      const char *msg)
{
	struct scn_error err;
	struct scn *s = NULL;
	char buf[1024];

	assert_int_equal(scn_parse_string("bad.scn", text, &s, &err),
			 -EINVAL);
	assert_null(s);
	scn_error_format(&err, buf, sizeof(buf));
	if (err.line != line || err.col != col || !strstr(err.msg, msg))
		fail_msg("got '%s', want %u:%u '%s'", buf, line, col, msg);
}

static const char example[] =
	"# desc: Unlinking a file that is still open keeps its data.\n"
	"# rules: EX-OPEN-FILE LC-QUIESCE-BALANCE\n"
	"# requires: write\n"
	"\n"
	"open f a.txt O_CREAT|O_RDWR 0644\n"
	"write f \"hello\"\n"
	"stat a.txt ino=@a nlink=1\n"
	"unlink a.txt\n"
	"expect ENOENT stat a.txt\n"
	"fstat f nlink=0 size=5\n"
	"pread f 5 0 \"hello\"\n"
	"ftruncate f 2\n"
	"fstat f size=2\n"
	"settle\n"
	"outstanding @a 1\n"
	"close f\n"
	"quiesce\n"
	"balanced\n"
	"freed @a\n";

static void test_scn_parse__doc_example(void **state)
{
	struct scn *s = parse_ok(example);

	assert_string_equal(scn_name(s), "t");
	assert_string_equal(scn_file(s), "t.scn");
	assert_string_equal(scn_description(s),
			    "Unlinking a file that is still open keeps its "
			    "data.");
	assert_int_equal(scn_nrules(s), 2);
	assert_string_equal(scn_rule(s, 1), "LC-QUIESCE-BALANCE");
	assert_null(scn_rule(s, 2));
	/* freed needs no refledger: unjudged where there is none */
	assert_int_equal(scn_requires(s), SCN_REQ_WRITE | SCN_REQ_DROP_CACHES);
	assert_string_equal(scn_memfs_args(s), "");
	assert_int_equal(scn_timeout_s(s), SCN_DEFAULT_TIMEOUT_S);
	assert_int_equal(s->body.n, 15);
	assert_int_equal(s->body.v[0].line, 5);
	assert_string_equal(s->body.v[0].call->name, "open");
	assert_int_equal(s->body.v[0].args[2].num, O_CREAT | O_RDWR);
	assert_int_equal(s->body.v[0].args[3].num, 0644);
	assert_int_equal(s->body.v[4].expect, SCN_EXP_ERRNO);
	assert_int_equal(s->body.v[4].expval, ENOENT);
	assert_int_equal(s->body.v[5].nchecks, 2);
	assert_int_equal(s->body.v[5].checks[0].key, SCN_C_NLINK);
	assert_int_equal(s->body.v[5].checks[0].num, 0);
	scn_free(s);
}

static void test_scn_parse__every_call(void **state)
{
	static const char text[] = HDR
		"# requires: write\n"
		"open f a O_CREAT|O_EXCL|O_WRONLY|O_TRUNC|O_APPEND 0600\n"
		"open g . O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_DIRECT|O_PATH\n"
		"open t . O_TMPFILE|O_RDWR 0600\n"
		"close g\n"
		"create b 0644\n"
		"read f 10\n"
		"expect 3 read f 10 \"abc\"\n"
		"pread f 5 0 \"hello\"\n"
		"write f \"x\"\n"
		"expect 1 pwrite f \"y\" 7\n"
		"ftruncate f 0\n"
		"truncate b 100\n"
		"fsync f\n"
		"stat a type=reg nlink=1 size=0 mode=0600 ino=@a\n"
		"lstat a ino=@a type=reg\n"
		"fstat f ino!=@a type=dir\n"
		"mkdir d 0755\n"
		"rmdir d\n"
		"unlink b\n"
		"mkfifo p 0644\n"
		"symlink a l\n"
		"readlink l \"a\"\n"
		"link a h\n"
		"rename h h2\n"
		"renameat2 a h2 RENAME_EXCHANGE\n"
		"renameat2 a h3 RENAME_NOREPLACE\n"
		"renameat2 a h4 0\n"
		"setxattr a user.k \"v\"\n"
		"getxattr a user.k \"v\"\n"
		"getxattr a user.k\n"
		"listxattr a user.k user.j\n"
		"removexattr a user.k\n"
		"readdir . count=3 has=a has!=b has=\"\\xff\"\n"
		"readdir . bufsize=64\n"
		"chdir d\n"
		"chdir -\n"
		"mkfiles d 10\n"
		"mktree t 5\n"
		"rmtree t\n"
		"sleep 10\n"
		"evict d/a\n"
		"delay FORGET 5\n"
		"delay BATCH_FORGET 0\n"
		"delay-reply LOOKUP 5\n"
		"interrupt 50\n"
		"stat a\n"
		"handle h0 a\n"
		"open-handle g h0 O_RDONLY|O_DIRECTORY\n"
		"open m a O_RDWR\n"
		"mmap mm m 4096\n"
		"mread mm 0 5 \"hello\"\n"
		"mwrite mm 0 \"HELLO\"\n"
		"msync mm\n"
		"munmap mm\n"
		"parallel 2 {\n"
		"\tbarrier\n"
		"\tevict a\n"
		"}\n"
		"fscounts\n"
		"outstanding @a 2+\n"
		"settle\n"
		"outstanding @a 1\n"
		"alive @a\n"
		"quiesce\n"
		"balanced\n"
		"freed @a\n";
	struct scn *s = parse_ok(text);
	unsigned want = SCN_REQ_WRITE | SCN_REQ_TMPFILE | SCN_REQ_MKNOD |
			SCN_REQ_SYMLINK | SCN_REQ_HARDLINK |
			SCN_REQ_RENAME_EXCHANGE | SCN_REQ_RENAME_NOREPLACE |
			SCN_REQ_XATTR | SCN_REQ_DROP_CACHES |
			SCN_REQ_EXPORT | SCN_REQ_MMAP;

	assert_int_equal(scn_requires(s), want);
	assert_int_equal(s->ntags, 1);
	assert_string_equal(s->tags[0], "a");
	assert_int_equal(s->body.v[6].expect, SCN_EXP_NUM);
	assert_int_equal(s->body.v[6].expval, 3);
	scn_free(s);
}

static void test_scn_parse__read_only_needs_no_write(void **state)
{
	struct scn *s = parse_ok(HDR "open f a O_RDONLY\nstat a\n"
				     "expect EROFS mkdir d 0755\n");

	assert_int_equal(scn_requires(s), 0);
	scn_free(s);
}

static void test_scn_parse__header(void **state)
{
	struct scn *s = parse_ok("# just a comment: with a colon? no\n"
				 "#desc:   spaced out   \n"
				 "# rules: LF-ALIVE LF-FREED\n# rules: SCN-EXPECT\n"
				 "# requires: symlink  xattr\n"
				 "# memfs: --no-readdirplus --delay 2\n"
				 "# timeout: 5\n"
				 "# Note: prose comments are fine\n"
				 "stat .\n"
				 "# a comment after statements\n");

	assert_string_equal(scn_description(s), "spaced out");
	assert_int_equal(scn_nrules(s), 3);
	assert_string_equal(scn_rule(s, 2), "SCN-EXPECT");
	assert_int_equal(scn_requires(s), SCN_REQ_SYMLINK | SCN_REQ_XATTR);
	assert_string_equal(scn_memfs_args(s), "--no-readdirplus --delay 2");
	assert_int_equal(scn_timeout_s(s), 5);
	scn_free(s);
}

static void test_scn_parse__segments(void **state)
{
	struct scn *s = parse_ok(HDR "stat d/\"a\"*255\n"
				     "write f \"\\x41\\n\\t\\\\\\\"\\$i\\xfF\"\n"
				     "write f \"\"\n"
				     "write f a*3\n"
				     "stat \"a\"\"b\"*2c # trailing comment\n");
	const struct scn_word *w;
	size_t len;
	const char *p;

	w = &s->body.v[0].args[0].w;
	p = scn_word_lit(w, &len);
	assert_int_equal(w->nsegs, 1);
	assert_int_equal(len, 257);
	assert_memory_equal(p, "d/aaa", 5);
	assert_int_equal(p[256], 'a');

	p = scn_word_lit(&s->body.v[1].args[1].w, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(p, "A\n\t\\\"$i\xff", 8);

	scn_word_lit(&s->body.v[2].args[1].w, &len);
	assert_int_equal(len, 0);

	p = scn_word_lit(&s->body.v[3].args[1].w, &len);
	assert_string_equal(p, "a*3");       /* '*' repeats strings only */

	assert_int_equal(s->body.v[4].nargs, 1);
	p = scn_word_lit(&s->body.v[4].args[0].w, &len);
	assert_string_equal(p, "abbc");
	scn_free(s);
}

static void test_scn_parse__variables(void **state)
{
	struct scn *s = parse_ok(HDR "parallel 4 {\n"
				     "\trepeat 3 {\n"
				     "\t\tmkdir d$i-$n 0755\n"
				     "\t\twrite f$i \"t$i\"\n"
				     "\t}\n"
				     "}\n");
	const struct scn_stmt *rep = &s->body.v[0].body.v[0];
	const struct scn_word *w = &rep->body.v[0].args[0].w;
	size_t len;
	char *e;

	assert_int_equal(s->body.v[0].block, SCN_BLK_PARALLEL);
	assert_int_equal(s->body.v[0].count, 4);
	assert_int_equal(rep->block, SCN_BLK_REPEAT);
	assert_int_equal(rep->count, 3);
	assert_int_equal(w->nsegs, 4);
	assert_int_equal(w->segs[1].kind, SCN_SEG_VAR_I);
	assert_int_equal(w->segs[3].kind, SCN_SEG_VAR_N);
	e = scn_word_expand(w, 12, 345, 255, &len);
	assert_string_equal(e, "d12-345");
	assert_int_equal(len, 7);
	free(e);
	e = scn_word_expand(&rep->body.v[1].args[1].w, 3, 0, 255, &len);
	assert_string_equal(e, "t3");
	free(e);
	scn_free(s);
}

/* "…"*NAME_MAX: expanded at run time with the filesystem's limit (255
 * when unknown, 1024 at most), +K/-K on it; the word is not literal */
static void test_scn_parse__name_max(void **state)
{
	struct scn *s = parse_ok(HDR "create d/\"ab\"*NAME_MAX 0644\n"
				     "stat \"x\"*NAME_MAX+1\n"
				     "stat \"y\"*NAME_MAX-16z\n"
				     "readdir . has=\"q\"*NAME_MAX\n");
	const struct scn_word *w = &s->body.v[0].args[0].w;
	size_t len;
	char *e;

	assert_true(w->vars);
	e = scn_word_expand(w, 0, 0, 100, &len);
	assert_int_equal(len, 2 + 200);
	assert_memory_equal(e, "d/abab", 6);
	free(e);
	e = scn_word_expand(&s->body.v[1].args[0].w, 0, 0, 189, &len);
	assert_int_equal(len, 190);
	free(e);
	e = scn_word_expand(&s->body.v[1].args[0].w, 0, 0, 0, &len);
	assert_int_equal(len, 256);	/* unknown: 255 */
	free(e);
	e = scn_word_expand(&s->body.v[1].args[0].w, 0, 0, 5000, &len);
	assert_int_equal(len, 1025);	/* FUSE's 1024 at most */
	free(e);
	e = scn_word_expand(&s->body.v[2].args[0].w, 0, 0, 255, &len);
	assert_int_equal(len, 239 + 1);
	assert_int_equal(e[239], 'z');
	free(e);
	e = scn_word_expand(&s->body.v[3].checks[0].w, 0, 0, 10, &len);
	assert_string_equal(e, "qqqqqqqqqq");
	free(e);
	scn_free(s);
	parse_bad(HDR "stat \"x\"*NAME_MAX+17\n", 3, 9,
		  "'*NAME_MAX' takes +K or -K with K from 1 to 16");
	parse_bad(HDR "parallel 2 {\nstat \"x$i\"*NAME_MAX\n}\n", 4, 6,
		  "'*NAME_MAX' repeats a plain string (no $i/$n in it)");
	parse_bad(HDR "readdir . count=\"1\"*NAME_MAX\n", 3, 11,
		  "check 'count=' must be literal");
}

static void test_scn_parse__paths_inside(void **state)
{
	struct scn *s = parse_ok(HDR "stat a/../b\nstat ./a/./../.\n"
				     "stat .\nstat ...\nstat a/..b/../..\n"
				     "mkdir d 0755\nsymlink ../x d/l\n"
				     "symlink a/b/../../c l2\n"
				     "chdir d\nstat a\nchdir -\n"
				     "chdir d\nquiesce\nstat a\n");

	scn_free(s);
}

static void test_scn_parse__file(void **state)
{
	char path[] = "/tmp/scn-parse-XXXXXX";
	struct scn_error err;
	struct scn *s;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, example, sizeof(example) - 1),
			 (ssize_t)sizeof(example) - 1);
	close(fd);
	assert_int_equal(scn_parse_file(path, &s, &err), 0);
	assert_int_equal(scn_requires(s) & SCN_REQ_WRITE, SCN_REQ_WRITE);
	scn_free(s);
	unlink(path);
	assert_int_equal(scn_parse_file(path, &s, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "cannot open"));
}

/* --- one test per parse error --- */

static void test_scn_parse__err_unknown_call(void **state)
{
	parse_bad(HDR "stat .\n  frobnicate a\n", 4, 3,
		  "unknown call 'frobnicate'");
}

/* The known requirements are listed from the one table (scn_req_list). */
static void test_scn_parse__err_unknown_requirement(void **state)
{
	char names[256];

	parse_bad(HDR "# requires: write nope\nstat .\n", 3, 19,
		  "unknown requirement 'nope' (known: write hardlink symlink "
		  "mknod xattr tmpfile rename-exchange rename-noreplace "
		  "refledger drop-caches stable-ino namemax-255 export mmap)");
	assert_string_equal(scn_req_list(SCN_REQ_XATTR | SCN_REQ_WRITE,
					 names, sizeof(names)), "write xattr");
	assert_string_equal(scn_req_list(0, names, sizeof(names)), "");
}

static void test_scn_parse__err_errno_alternatives(void **state)
{
	parse_bad(HDR "expect ENOENT|ENOPE stat a\n", 3, 8,
		  "unknown errno name 'ENOPE'");
	parse_bad(HDR "expect ENOENT|EIO|EEXIST|EPERM|EACCES stat a\n", 3, 8,
		  "at most 4 errnos in one expect");
	parse_bad(HDR "expect ENOENT| stat a\n", 3, 8,
		  "unknown errno name ''");
}

static void test_scn_parse__err_arg_count(void **state)
{
	parse_bad(HDR "open f a\n", 3, 1,
		  "open takes 3 to 4 arguments (FD PATH FLAGS [MODE]), got 2");
	parse_bad(HDR "unlink a b\n", 3, 10,
		  "unlink takes 1 argument (PATH), got 2");
	parse_bad(HDR "stat\n", 3, 1, "stat takes at least 1 argument");
	parse_bad(HDR "read f 16777217\n", 3, 8, "read size out of range");
}

static void test_scn_parse__err_errno(void **state)
{
	parse_bad(HDR "expect ENOENTT stat a\n", 3, 8,
		  "unknown errno name 'ENOENTT'");
	parse_bad(HDR "expect ENOENT\n", 3, 1,
		  "expect needs a result and a call");
}

static void test_scn_parse__err_unterminated(void **state)
{
	parse_bad(HDR "write f \"abc\n", 3, 9, "unterminated string");
	parse_bad(HDR "write f \"abc\\\"\n", 3, 9, "unterminated string");
}

static void test_scn_parse__err_escape(void **state)
{
	parse_bad(HDR "write f \"a\\qb\"\n", 3, 11, "bad escape '\\q'");
	parse_bad(HDR "write f \"\\xG0\"\n", 3, 10, "two hex digits");
}

static void test_scn_parse__err_braces(void **state)
{
	parse_bad(HDR "stat .\n}\n", 4, 1, "unbalanced '}'");
	parse_bad(HDR "repeat 2 {\n  stat .\n", 3, 10,
		  "unbalanced '{': block opened here is never closed");
	parse_bad(HDR "repeat 2\n", 3, 8, "needs a count and '{'");
	parse_bad(HDR "repeat 2 {\n} x\n", 4, 3, "alone on its line");
}

/* depth blocks nested, each "repeat 2 {", a statement, then the closing
 * braces; malloc'd */
static char *nested(int depth)
{
	size_t size = sizeof(HDR) + (size_t)depth * 16 + 32, at;
	char *t = malloc(size);
	int k;

	assert_non_null(t);
	at = (size_t)snprintf(t, size, "%s", HDR);
	for (k = 0; k < depth; k++)
		at += (size_t)snprintf(t + at, size - at, "repeat 2 {\n");
	at += (size_t)snprintf(t + at, size - at, "sleep 0\n");
	for (k = 0; k < depth; k++)
		at += (size_t)snprintf(t + at, size - at, "}\n");
	return t;
}

/* the documented limit is the one enforced: 16 deep parses (it once
 * overflowed the parser's stack), 17 is an error at the 17th opening */
static void test_scn_parse__depth_limit(void **state)
{
	char *t = nested(16);

	parse_ok_free(t);
	free(t);
	t = nested(17);
	parse_bad(t, 3 + 16, 1, "blocks nested too deep (at most 16)");
	free(t);
	t = nested(200);
	parse_bad(t, 3 + 16, 1, "blocks nested too deep");
	free(t);
}

/* "..."*N is charged before it is copied: per word and per file */
static void test_scn_parse__expansion_limits(void **state)
{
	/* 16 MiB in one string is the limit of a word */
	parse_ok_free(HDR "open f a O_CREAT|O_WRONLY 0644\n"
		      "write f \"0123456789abcdef\"*1048576\n");
	parse_bad(HDR "open f a O_CREAT|O_WRONLY 0644\n"
		  "write f \"0123456789abcdef\"*1048576\"x\"\n", 4, 35,
		  "word longer than 16 MiB");
	parse_bad(HDR "open f a O_CREAT|O_WRONLY 0644\n"
		  "write f \"0123456789abcdef\"*1048576x\n", 4, 35,
		  "word longer than 16 MiB");
	/* four such words and the short ones around them pass the file's
	 * 64 MiB: the fourth is refused */
	parse_bad(HDR "open f a O_CREAT|O_WRONLY 0644\n"
		  "write f \"0123456789abcdef\"*1048576\n"
		  "write f \"0123456789abcdef\"*1048576\n"
		  "write f \"0123456789abcdef\"*1048576\n"
		  "write f \"0123456789abcdef\"*1048576\n"
		  "write f \"0123456789abcdef\"*1048576\n", 7, 9,
		  "more than 64 MiB");
}

/* a file is read up to its limit and no further: /dev/zero ends */
static void test_scn_parse__file_size_limit(void **state)
{
	struct scn_error err;
	struct scn *s = NULL;

	assert_int_equal(scn_parse_file("/dev/zero", &s, &err), -EFBIG);
	assert_null(s);
	assert_non_null(strstr(err.msg, "not a scenario file"));
	assert_int_equal(scn_parse_file("/", &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

static void test_scn_parse__err_counts(void **state)
{
	parse_bad(HDR "parallel 0 {\n}\n", 3, 10,
		  "parallel count out of range (1..1024)");
	parse_bad(HDR "parallel 1025 {\n}\n", 3, 10,
		  "parallel count out of range (1..1024)");
	parse_bad(HDR "repeat 1000001 {\n}\n", 3, 8,
		  "repeat count out of range (1..1000000)");
	parse_bad(HDR "repeat x {\n}\n", 3, 8, "repeat count must be a number");
	parse_bad(HDR "write f \"a\"*0\n", 3, 12, "out of range");
	parse_bad(HDR "parallel 2 {\nparallel 2 {\n}\n}\n", 4, 1,
		  "parallel inside parallel");
}

static void test_scn_parse__err_paths(void **state)
{
	parse_bad(HDR "stat /etc/passwd\n", 3, 6, "absolute path");
	parse_bad(HDR "stat ../x\n", 3, 6, "path escapes the working directory");
	parse_bad(HDR "mkdir ok 0755\nrename ok a/../../x\n", 4, 11,
		  "path escapes the working directory");
	parse_bad(HDR "chdir d\nstat ../x\n", 4, 6, "path escapes");
	parse_bad(HDR "stat \"a\\x00b\"\n", 3, 6, "NUL byte in a path");
	parse_bad(HDR "stat \"\"\n", 3, 6, "empty path");
}

static void test_scn_parse__err_symlink_target(void **state)
{
	parse_bad(HDR "symlink ../x l\n", 3, 9,
		  "symlink target escapes the working directory");
	parse_bad(HDR "symlink /etc l\n", 3, 9, "absolute symlink target");
	parse_bad(HDR "symlink ../../x d/l\n", 3, 9, "escapes");
	parse_ok_free(HDR "symlink d/../../x d/l\n");
}

static void test_scn_parse__err_check(void **state)
{
	parse_bad(HDR "stat a color=red\n", 3, 8,
		  "unknown check 'color=red' for stat");
	parse_bad(HDR "readdir . nlink=1\n", 3, 11, "unknown check");
	parse_bad(HDR "stat a type=door\n", 3, 8, "unknown type 'door'");
	parse_bad(HDR "stat a size=x\n", 3, 8, "bad number");
}

static void test_scn_parse__err_requirement(void **state)
{
	parse_bad("# desc: d\n# rules: SCN-EXPECT\n# requires: write  xatr\n", 3, 20,
		  "unknown requirement 'xatr'");
}

static void test_scn_parse__err_open_flag(void **state)
{
	parse_bad(HDR "open f a O_RDWR|O_CREATE 0644\n", 3, 17,
		  "unknown open flag 'O_CREATE'");
	parse_bad(HDR "stat a ino=@a\noutstanding @a 1-\n", 4, 16,
		  "count must be N or N+ (at least N), got '1-'");
	parse_bad(HDR "readdir . bufsize=8\n", 3, 11,
		  "bufsize out of range (32..1048576)");
	parse_bad(HDR "delay FORGOT 5\n", 3, 7,
		  "unknown or unholdable opcode 'FORGOT' (a FUSE opcode "
		  "name without FUSE_, such as LOOKUP or FORGET)");
	parse_bad(HDR "delay-reply FORGET 5\n", 3, 13,
		  "FORGET has no reply to hold");
	parse_bad(HDR "delay INIT 5\n", 3, 7,
		  "unknown or unholdable opcode 'INIT' (a FUSE opcode "
		  "name without FUSE_, such as LOOKUP or FORGET)");
	parse_bad(HDR "parallel 2 {\ndelay FORGET$i 5\n}\n", 4, 13,
		  "opcode must be literal (no $i/$n or NAME_MAX)");
	parse_bad(HDR "renameat2 a b RENAME_SWAP\n", 3, 15,
		  "unknown rename flag 'RENAME_SWAP'");
	parse_bad(HDR "open f a O_RDWR|O_CREAT\n", 3, 10, "needs a MODE");
	parse_bad(HDR "mkdir d 0789\n", 3, 9, "octal");
	parse_bad(HDR "interrupt 0\nstat a\n", 3, 11,
		  "interrupt delay out of range (1..10000 ms)");
	parse_bad(HDR "handle h a\nopen-handle f h O_RDWR|O_CREAT\n", 4, 17,
		  "open-handle takes no O_CREAT");
	parse_bad(HDR "open f a O_RDWR\nmmap m f 0\n", 4, 10,
		  "length out of range");
	parse_bad(HDR "open f a O_RDWR\nmmap m f 4096\nmread m 0 99999999\n",
		  5, 11, "length out of range");
}

/* `interrupt` arms the next call of its block, and nothing else */
static void test_scn_parse__err_interrupt_unfollowed(void **state)
{
	parse_bad(HDR "interrupt 5\nquiesce\n", 4, 1,
		  "'interrupt' on line 3 must be followed by a call on the "
		  "mount in its block, not quiesce");
	parse_bad(HDR "interrupt 5\ninterrupt 5\nstat a\n", 4, 1,
		  "not interrupt");
	parse_bad(HDR "interrupt 5\nrepeat 2 {\nstat a\n}\n", 4, 1,
		  "not a block");
	parse_bad(HDR "repeat 2 {\nstat a\ninterrupt 5\n}\nstat a\n", 6, 1,
		  "not the end of the block");
	parse_bad(HDR "stat a\ninterrupt 5\n", 4, 1,
		  "not the end of the file");
	parse_ok_free(HDR "repeat 2 {\ninterrupt 5\nstat a\n}\n");
}

static void test_scn_parse__err_header(void **state)
{
	parse_bad(HDR "stat .\n# requires: write\n", 4, 1,
		  "header 'requires' after the first statement");
	parse_bad("# rules: SCN-EXPECT\nstat .\n", 1, 1,
		  "missing header '# desc");
	/* rule ids come from the rule table */
	parse_bad("# desc: d\n# rules: SCN-EXPECT LC-NO-SUCH-RULE\n", 2, 21,
		  "unknown rule id 'LC-NO-SUCH-RULE'");
	/* a control byte in a message reaches no terminal raw */
	{
		struct scn_error err;
		struct scn *s = NULL;
		char buf[1024];

		assert_int_equal(scn_parse_string("bad.scn", HDR "\x1b[2J\a\n",
						  &s, &err), -EINVAL);
		scn_error_format(&err, buf, sizeof(buf));
		assert_null(strchr(buf, '\x1b'));
		assert_null(strchr(buf, '\a'));
		assert_non_null(strstr(buf, "\\x1b"));
	}
	parse_bad("# desc: d\nstat .\n", 1, 1, "missing header '# rules");
	parse_bad(HDR "# desc: again\n", 3, 1, "duplicate header 'desc'");
	parse_bad(HDR "# timeout: 0\n", 3, 12, "timeout must be seconds");
}

static void test_scn_parse__err_variables(void **state)
{
	parse_bad(HDR "mkdir d$i 0755\n", 3, 8, "$i outside a parallel block");
	parse_bad(HDR "parallel 2 {\nmkdir d$n 0755\n}\n", 4, 8,
		  "$n outside a repeat block");
	parse_bad(HDR "write f \"$n\"\n", 3, 10, "$n outside a repeat block");
	parse_bad(HDR "mkdir d$x 0755\n", 3, 8, "unknown variable '$x'");
	parse_bad(HDR "repeat 2 {\nmkdir d 07$n\n}\n", 4, 11, "literal");
}

static void test_scn_parse__err_tags(void **state)
{
	parse_bad(HDR "outstanding @a 1\n", 3, 13,
		  "tag @a used by outstanding before an ino=@a binds it");
	parse_bad(HDR "stat a ino=@b\nalive @a\n", 4, 7, "tag @a used by");
	parse_bad(HDR "stat a ino!=@a\n", 3, 8, "tag @a used by ino!=");
	parse_bad(HDR "stat a ino=@a\nfreed a\n", 4, 7, "expected @TAG");
	parse_bad(HDR "stat a ino=@a.b\n", 3, 8, "bad tag");
}

static void test_scn_parse__err_placement(void **state)
{
	parse_bad(HDR "barrier\n", 3, 1, "'barrier' outside a parallel block");
	parse_bad(HDR "parallel 2 {\n  quiesce\n}\n", 4, 3,
		  "'quiesce' cannot be used inside parallel");
	parse_bad(HDR "repeat 2 {\n  chdir d\n}\n", 4, 3,
		  "'chdir' cannot be used inside a block");
}

static void test_scn_parse__err_nul_in_file(void **state)
{
	static const char text[] = HDR "stat a\0b\n";
	char path[] = "/tmp/scn-nul-XXXXXX";
	struct scn_error err;
	struct scn *s;
	char buf[600];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(scn_parse_file(path, &s, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 7);
	scn_error_format(&err, buf, sizeof(buf));
	assert_non_null(strstr(buf, ":3:7: NUL byte in the file"));
	unlink(path);
}

static void test_scn_parse__tables(void **state)
{
	assert_string_equal(scn_req_name(0), "write");
	assert_string_equal(scn_req_name(SCN_NREQ - 1), "mmap");
	assert_null(scn_req_name(SCN_NREQ));
	assert_int_equal(scn_req_bit("rename-exchange"),
			 SCN_REQ_RENAME_EXCHANGE);
	assert_int_equal(scn_req_bit("nope"), 0);
	assert_int_equal(scn_errno_value("ENOTEMPTY"), ENOTEMPTY);
	assert_int_equal(scn_errno_value("ENOTSUP"), ENOTSUP);
	assert_string_equal(scn_errno_name(ENOENT), "ENOENT");
	assert_string_equal(scn_errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	assert_string_equal(scn_errno_name(EAGAIN), "EAGAIN");
	assert_int_equal(scn_errno_value("EWHAT"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scn_parse__doc_example),
		cmocka_unit_test(test_scn_parse__every_call),
		cmocka_unit_test(test_scn_parse__read_only_needs_no_write),
		cmocka_unit_test(test_scn_parse__header),
		cmocka_unit_test(test_scn_parse__segments),
		cmocka_unit_test(test_scn_parse__variables),
		cmocka_unit_test(test_scn_parse__name_max),
		cmocka_unit_test(test_scn_parse__paths_inside),
		cmocka_unit_test(test_scn_parse__file),
		cmocka_unit_test(test_scn_parse__err_unknown_call),
		cmocka_unit_test(test_scn_parse__err_unknown_requirement),
		cmocka_unit_test(test_scn_parse__err_errno_alternatives),
		cmocka_unit_test(test_scn_parse__err_arg_count),
		cmocka_unit_test(test_scn_parse__err_errno),
		cmocka_unit_test(test_scn_parse__err_unterminated),
		cmocka_unit_test(test_scn_parse__err_escape),
		cmocka_unit_test(test_scn_parse__err_braces),
		cmocka_unit_test(test_scn_parse__depth_limit),
		cmocka_unit_test(test_scn_parse__expansion_limits),
		cmocka_unit_test(test_scn_parse__file_size_limit),
		cmocka_unit_test(test_scn_parse__err_counts),
		cmocka_unit_test(test_scn_parse__err_paths),
		cmocka_unit_test(test_scn_parse__err_symlink_target),
		cmocka_unit_test(test_scn_parse__err_check),
		cmocka_unit_test(test_scn_parse__err_requirement),
		cmocka_unit_test(test_scn_parse__err_open_flag),
		cmocka_unit_test(test_scn_parse__err_header),
		cmocka_unit_test(test_scn_parse__err_variables),
		cmocka_unit_test(test_scn_parse__err_tags),
		cmocka_unit_test(test_scn_parse__err_placement),
		cmocka_unit_test(test_scn_parse__err_nul_in_file),
		cmocka_unit_test(test_scn_parse__tables),
		cmocka_unit_test(test_scn_parse__err_interrupt_unfollowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
