/* scenario/scn_int.h - private to the scenario modules (scn_*.c): the parsed
 * program, the call table row, and what executors share with the runner.
 */
#ifndef FC_SCN_INT_H
#define FC_SCN_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include "scenario/scn.h"

/* --- words: what the lexer makes of one blank-separated argument --- */

enum scn_seg_kind { SCN_SEG_LIT, SCN_SEG_VAR_I, SCN_SEG_VAR_N,
		    SCN_SEG_NAMEMAX };

/* "…"*NAME_MAX: the filesystem's declared name limit (statfs f_namemax,
 * at most FUSE's 1024) plus a delta of -16 … 16 */
#define SCN_NAMEMAX_DELTA 16
#define SCN_NAMEMAX_CAP 1024u

struct scn_seg {
	int kind;               /* enum scn_seg_kind */
	char *p;                /* SCN_SEG_LIT: bytes (NUL-terminated too);
				   SCN_SEG_NAMEMAX: the bytes repeated */
	size_t len;
	int delta;              /* SCN_SEG_NAMEMAX: repeats NAME_MAX+delta */
};

struct scn_word {
	struct scn_seg *segs;   /* adjacent literals are merged */
	size_t nsegs;
	unsigned col;           /* 1-based column of the first byte */
	int quoted;             /* some segment was a "string" */
	int vars;               /* some segment is $i or $n */
	unsigned var_col;       /* column of the first $ (for errors) */
};

/* --- the call table --- */

enum scn_arg_kind {
	SCN_A_NONE = 0,
	SCN_A_PATH,     /* confined to the working directory */
	SCN_A_CHDIR,    /* a PATH, or "-" */
	SCN_A_TARGET,   /* symlink target: confined relative to the link */
	SCN_A_FD,       /* descriptor name */
	SCN_A_DATA,     /* any bytes */
	SCN_A_NAME,     /* any bytes but NUL (xattr name, dirent name) */
	SCN_A_INT,      /* decimal, literal */
	SCN_A_MODE,     /* octal, literal */
	SCN_A_OFLAGS,   /* O_* names joined by | */
	SCN_A_RFLAGS,   /* 0, RENAME_* names joined by | */
	SCN_A_TAG,      /* @TAG, bound earlier by ino=@TAG */
	SCN_A_OPCODE,   /* a FUSE opcode name without FUSE_: LOOKUP */
	SCN_A_REFS,     /* a count N, or N+ for "at least N" (num has
			   SCN_REFS_AT_LEAST set) */
};

enum scn_tail_kind {
	SCN_T_NONE = 0,
	SCN_T_STAT,     /* type= nlink= size= mode= ino=@ ino!=@ */
	SCN_T_DIR,      /* count= has= has!= */
	SCN_T_NAMES,    /* NAME... */
	SCN_T_WALK,     /* as=@W same=@W */
};

enum scn_call_flag {
	SCN_CF_WRITES = 1u << 0,   /* needs SCN_REQ_WRITE */
	SCN_CF_SERIAL = 1u << 1,   /* not inside parallel */
	SCN_CF_NOBLOCK = 1u << 2,  /* not inside any block */
	SCN_CF_INPAR = 1u << 3,    /* only inside parallel */
	SCN_CF_HARNESS = 1u << 4,  /* the harness's own statement, not a
				      system call on the mount: nothing an
				      `interrupt` could signal */
	SCN_CF_MAPPED = 1u << 5,   /* works through a mapping, which holds
				      its file open like a descriptor */
	SCN_CF_BINDS_FD = 1u << 6, /* opens a file and binds its FD name:
				      the name need not be open before */
};

struct scn_thr;
struct scn_stmt;
struct scn_val;

typedef long (*scn_exec_fn)(struct scn_thr *t, const struct scn_stmt *st,
			    struct scn_val *v);
typedef void (*scn_verify_fn)(struct scn_thr *t, const struct scn_stmt *st,
			      struct scn_val *v, long ret);

#define SCN_MAXARGS 4

struct scn_call {
	const char *name;
	unsigned char args[SCN_MAXARGS]; /* enum scn_arg_kind */
	unsigned char nreq, nopt;
	unsigned char tail;              /* enum scn_tail_kind */
	signed char dflt_len;  /* without expect, the result must be the
				  length of this DATA argument; -1 any */
	unsigned reqs;         /* enum scn_req bits implied */
	unsigned flags;        /* enum scn_call_flag */
	unsigned check_kind;   /* enum fc_check_kind of ledger statements */
	scn_exec_fn exec;
	scn_verify_fn verify;  /* run when the call succeeded as expected */
};

const struct scn_call *scn_call_find(const char *name);
const char *scn_arg_kind_name(int kind);

/* errno names, both ways; NULL / 0 when unknown */
const char *scn_errno_name(int e);
int scn_errno_value(const char *name);

/* one name of a |-joined flag word; -1 when unknown */
long scn_oflag_value(const char *name);
long scn_rflag_value(const char *name);

enum scn_check_key {
	SCN_C_TYPE = 1, SCN_C_NLINK, SCN_C_SIZE, SCN_C_MODE, SCN_C_INO,
	SCN_C_INO_NOT, SCN_C_COUNT, SCN_C_HAS, SCN_C_HAS_NOT,
	SCN_C_WALK_AS, SCN_C_WALK_SAME, SCN_C_BUFSIZE,
};

/* --- the parsed program --- */

struct scn_arg {
	struct scn_word w;
	long long num;          /* INT, MODE, flags, tag index */
};

#define SCN_REFS_AT_LEAST (1ll << 62)

/* readdir bufsize=: the getdents64 buffer a listing is read with */
#define SCN_DENTS_MIN 32u
#define SCN_DENTS_MAX 1048576u

struct scn_check {
	int key;                /* enum scn_check_key */
	unsigned col;
	long long num;          /* number, S_IF* type, tag index */
	struct scn_word w;      /* has= / has!= name */
};

enum scn_expect { SCN_EXP_NONE = 0, SCN_EXP_ERRNO, SCN_EXP_NUM };
/* `expect ENOTEMPTY|EEXIST ...`: at most this many errnos */
#define SCN_EXPECT_ALT_MAX 4
enum scn_block { SCN_BLK_NONE = 0, SCN_BLK_PARALLEL, SCN_BLK_REPEAT };

struct scn_stmt_list {
	struct scn_stmt *v;
	size_t n, cap;
};

struct scn_stmt {
	unsigned line, col;
	const struct scn_call *call;    /* NULL for a block */
	int block;                      /* enum scn_block */
	unsigned count;                 /* block's N */
	struct scn_stmt_list body;
	int expect;                     /* enum scn_expect */
	long long expval;               /* errno (positive) or number */
	/* SCN_EXP_ERRNO: every errno POSIX allows, expval the first */
	int experr[SCN_EXPECT_ALT_MAX];
	unsigned nexperr;
	struct scn_arg *args;
	size_t nargs;
	struct scn_check *checks;
	size_t nchecks;
	struct scn_word *names;         /* SCN_T_NAMES */
	size_t nnames;
};

struct scn {
	atomic_int refs;        /* the caller's, plus one per detached run */
	char *file, *name, *desc, *memfs;
	char **rules;
	size_t nrules;
	unsigned reqs;
	unsigned timeout;
	struct scn_stmt_list body;
	char **tags;            /* tag names, indexed by scn_arg.num */
	size_t ntags;
};

void scn_ref(struct scn *s);

/* --- lexing (scenario/lex.c) --- */

/* What the words of one file may hold once "..."*N is expanded: a word
 * is at most the bytes a read or write may move, and a whole file four
 * times that, so that a small file cannot make the parser allocate
 * gigabytes. */
#define SCN_WORD_BYTES_MAX (16u << 20)
#define SCN_FILE_BYTES_MAX (64u << 20)

struct scn_lex_ctx {
	unsigned line;
	int in_parallel, in_repeat;   /* which of $i / $n may appear */
	size_t *spent;                /* bytes the file's words hold so
					 far (NULL: not counted) */
};

/* Split one line (without its '\n') into words; a word starting with '#'
 * ends the line.  0 or -EINVAL with *err filled (file is left alone). */
int scn_lex_line(const struct scn_lex_ctx *c, const char *text, size_t len,
		 struct scn_word **words, size_t *nwords,
		 struct scn_error *err);
void scn_word_free(struct scn_word *w);
void scn_words_free(struct scn_word *w, size_t n);
/* the bytes of a word without variables ("" for none) */
const char *scn_word_lit(const struct scn_word *w, size_t *len);
/* 1 when the word is exactly the unquoted text s */
int scn_word_is(const struct scn_word *w, const char *s);
/* expand $i / $n (and *NAME_MAX with namemax) into a malloc'd
 * NUL-terminated buffer; NULL on ENOMEM */
char *scn_word_expand(const struct scn_word *w, unsigned i, unsigned n,
		      unsigned namemax, size_t *len);
/* the word as it can be printed in a message: "…" with escapes */
void scn_quote(const char *p, size_t len, char *buf, size_t size);

/* --- what executors share with the runner (scenario/interp.c) --- */

struct scn_val {
	char *s;                /* expanded bytes (PATH: relative, resolved
				   by the executor, scenario/path.c) */
	size_t len;
	long long num;
	int fd;                 /* SCN_A_FD: -1 when unbound */
	char *fdname;
};

struct scn_runst;
struct scn_barrier;

/* What a walk saw: every path below its start, depth first, with its
 * inode; `quiesces` is the run's count when it was kept (as=). */
struct scn_walk_ent {
	char *path;
	uint64_t ino;
};

struct scn_walk {
	struct scn_walk_ent *ents;
	size_t n, cap;
	unsigned quiesces;
	int kept;                /* as= kept it (an empty walk too) */
};

void scn_walk_clear(struct scn_walk *w);

struct scn_thr {
	struct scn_runst *r;
	unsigned i, n;               /* $i, $n */
	struct scn_barrier *bar;     /* innermost parallel's, or NULL */
	uint32_t line;               /* line executing, 0 idle */
	struct scn_thr *next;        /* in the run's list of threads */
	char detail[256];            /* extra words for the failure */
	struct stat st;              /* scratch of stat-like calls */
	char *buf;                   /* scratch of read-like calls */
	size_t buflen;
	char subject[512];           /* "stat \"a.txt\"" */
	struct scn_walk walk;        /* the thread's last walk */
	unsigned intr_ms;            /* `interrupt MS` armed for the next
					call of this thread, 0 none */
};

/* What a failed expectation checked, as the rule id it is reported
 * under (docs/rules.md, "Expectations"): behaviour POSIX or Linux
 * promises, told apart from the kernel-contract rules. */
#define SCN_EX_RESULT "EX-RESULT"          /* success or errno */
#define SCN_EX_NAME_MAX "EX-NAME-MAX"      /* NAME_MAX, ENAMETOOLONG */
#define SCN_EX_NOT_EMPTY "EX-NOT-EMPTY"    /* removing a full directory */
#define SCN_EX_OPEN_FILE "EX-OPEN-FILE"    /* an open descriptor works */
#define SCN_EX_INO_STABLE "EX-INO-STABLE"  /* st_ino kept while in use */
#define SCN_EX_INO_DISTINCT "EX-INO-DISTINCT" /* two files, two st_ino */
#define SCN_EX_ATTR "EX-ATTR"              /* type, nlink, size, mode */
#define SCN_EX_DATA "EX-DATA"              /* bytes read back */
#define SCN_EX_DIRENTS "EX-DIRENTS"        /* names a listing shows */
#define SCN_EX_SCENARIO "SCN-EXPECT"       /* the scenario went wrong */

/* record a failure of st under rule (SCN_EX_*): "<subject>: <fmt...>" */
void scn_fail(struct scn_thr *t, const struct scn_stmt *st, const char *rule,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 1 when st expects failure with errno e (e > 0), one of its
 * alternatives. */
int scn_expects_errno(const struct scn_stmt *st, int e);
/* The rule a wrong result of st (ret: its return value or -errno) is
 * reported under. */
const char *scn_result_rule(const struct scn_stmt *st, long ret);

/* bind name to fd; -EEXIST when the name is already open */
int scn_fd_bind(struct scn_thr *t, const char *name, int fd);
/* unbind name and return its fd, or -1 */
int scn_fd_take(struct scn_thr *t, const char *name);

/* `handle NAME PATH` keeps a copy of fh under NAME (a name taken again
 * names the newer); 0, -ENOMEM, or -ENOSPC past 4,096 names.
 * scn_handle_get copies it into fh,
 * which has room for `room` handle bytes: 0, -ENOENT when no handle has
 * the name, -EOVERFLOW. */
int scn_handle_keep(struct scn_thr *t, const char *name,
		    const struct file_handle *fh);
int scn_handle_get(struct scn_thr *t, const char *name,
		   struct file_handle *fh, size_t room);

/* `mmap NAME FD LENGTH` keeps the mapping under NAME: 0, -EEXIST when
 * the name is taken, -ENOMEM, -ENOSPC past 4,096 mappings.
 * scn_map_find: 0 and where it is (take:
 * and forget it, for munmap), or -ENOENT. */
int scn_map_keep(struct scn_thr *t, const char *name, void *addr,
		 size_t len);
int scn_map_find(struct scn_thr *t, const char *name, int take,
		 void **addr, size_t *len);

/* the inode bound to a tag: 0 and *ino, or -ENOENT when unbound */
int scn_tag_get(struct scn_thr *t, long long tag, uint64_t *ino);
/* bind the tag if unbound; 1 when it was bound just now */
/* Keep walk w under tag (the first kept stays: others may compare with
 * it from other threads meanwhile); the one kept, NULL when none. */
void scn_walk_keep(struct scn_thr *t, long long tag, struct scn_walk *w);
const struct scn_walk *scn_walk_get(struct scn_thr *t, long long tag);
/* As scn_tag_judged, for a comparison with walk @tag. */
int scn_walk_judged(struct scn_thr *t, long long tag);
/* 0 when an ino=@TAG check must not be judged: the filesystem's st_ino
 * does not survive a quiesce and one came between bind and check (the
 * check is counted in scn_outcome.ino_unjudged). */
int scn_tag_judged(struct scn_thr *t, long long tag);
int scn_tag_bind(struct scn_thr *t, long long tag, uint64_t ino);
const char *scn_tag_name(struct scn_thr *t, long long tag);

/* 1 once the run is stopping or was given up (timeout, broken session,
 * interrupt) */
int scn_stopping(struct scn_thr *t);
/* the scenario's working directory: every scenario path is resolved
 * beneath it (scenario/path.c) */
const char *scn_root(struct scn_thr *t);
/* `chdir` moves the process cwd (a reference the kernel holds) to dirfd;
 * scenario paths are always resolved beneath the working directory
 * regardless */
int scn_cwd_enter(struct scn_thr *t, int dirfd);
int scn_cwd_leave(struct scn_thr *t);
/* ledger statements */
long scn_run_quiesce(struct scn_thr *t, const struct scn_stmt *st, int full);
long scn_run_check(struct scn_thr *t, const struct scn_stmt *st,
		   struct scn_val *v);
long scn_run_barrier(struct scn_thr *t);
/* the filesystem's declared name limit, for "…"*NAME_MAX (0: unknown) */
unsigned scn_name_max(const struct scn_thr *t);
/* `interrupt MS` (scenario/intr.c): signal the calling thread every ms
 * milliseconds from now, until disarmed; 0 or -errno */
int scn_intr_arm(unsigned ms, timer_t *out);
void scn_intr_disarm(timer_t tm);
/* the longest `interrupt` may wait before its first signal */
#define SCN_INTR_MAX_MS 10000
/* evict and delay: through the harness's callbacks; 0 or -errno */
long scn_run_provoke(struct scn_thr *t, const struct scn_stmt *st,
		     struct scn_val *v);

/* --- confined paths (scenario/path.c) --- */

/* open rel beneath the directory root (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV); "" is the root itself.  fd or -errno. */
int scn_path_open(const char *root, const char *rel, int flags, mode_t mode);
/* resolve the directory that holds rel's last component beneath root:
 * an O_PATH fd, the component copied into last ("." when rel ends in
 * "." or ".."; the directory is then rel itself).  fd or -errno. */
int scn_path_parent(const char *root, const char *rel, char *last,
		    size_t lastsize);
/* "/proc/self/fd/N": for the calls that exist only by path, the inode fd
 * was confined to */
void scn_path_proc(int fd, char *buf, size_t size);

/* --- executors (scenario/exec.c) --- */

#define SCN_EXEC(n) long scn_x_##n(struct scn_thr *t, \
				 const struct scn_stmt *st, struct scn_val *v)
#define SCN_VERIFY(n) void scn_v_##n(struct scn_thr *t, \
				     const struct scn_stmt *st, \
				     struct scn_val *v, long ret)

SCN_EXEC(open); SCN_EXEC(close); SCN_EXEC(create); SCN_EXEC(read);
SCN_EXEC(pread); SCN_EXEC(write); SCN_EXEC(pwrite); SCN_EXEC(ftruncate);
SCN_EXEC(truncate); SCN_EXEC(fsync); SCN_EXEC(stat); SCN_EXEC(lstat);
SCN_EXEC(fstat); SCN_EXEC(mkdir); SCN_EXEC(rmdir); SCN_EXEC(unlink);
SCN_EXEC(mkfifo); SCN_EXEC(symlink); SCN_EXEC(readlink); SCN_EXEC(link);
SCN_EXEC(rename); SCN_EXEC(renameat2); SCN_EXEC(setxattr);
SCN_EXEC(getxattr); SCN_EXEC(listxattr); SCN_EXEC(removexattr);
SCN_EXEC(readdir); SCN_EXEC(chdir); SCN_EXEC(mkfiles); SCN_EXEC(mktree);
SCN_EXEC(rmtree); SCN_EXEC(sleep); SCN_EXEC(barrier); SCN_EXEC(quiesce);
SCN_EXEC(settle); SCN_EXEC(check); SCN_EXEC(walk); SCN_EXEC(evict);
SCN_EXEC(delay);
SCN_EXEC(delay_reply);
SCN_EXEC(interrupt);
SCN_EXEC(handle);
SCN_EXEC(open_handle);
SCN_EXEC(mmap);
SCN_EXEC(munmap);
SCN_EXEC(mread);
SCN_EXEC(mwrite);
SCN_EXEC(msync);

SCN_VERIFY(stat); SCN_VERIFY(data); SCN_VERIFY(listxattr);
SCN_VERIFY(readdir); SCN_VERIFY(walk);

#endif
