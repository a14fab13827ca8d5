/* scenario/scn.h - scenarios: parsing the .scn language (docs/scenarios.md) and
 * running a parsed scenario against a mounted filesystem.
 *
 * The runner only performs syscalls under the mount and asks the harness,
 * through struct scn_env, to mark lines, quiesce and check the ledger; it
 * knows nothing of the tap.
 */
#ifndef FC_SCN_H
#define FC_SCN_H

#include <stddef.h>
#include <stdint.h>
#include <fusecheck/event.h>

/* Requirements a scenario may declare; the filesystem under test meets a
 * subset (probed by the harness). */
enum scn_req {
	SCN_REQ_WRITE = 1u << 0,           /* create and modify files */
	SCN_REQ_HARDLINK = 1u << 1,
	SCN_REQ_SYMLINK = 1u << 2,
	SCN_REQ_MKNOD = 1u << 3,           /* fifos */
	SCN_REQ_XATTR = 1u << 4,           /* user.* xattrs */
	SCN_REQ_TMPFILE = 1u << 5,         /* O_TMPFILE */
	SCN_REQ_RENAME_EXCHANGE = 1u << 6,
	SCN_REQ_RENAME_NOREPLACE = 1u << 7,
	SCN_REQ_REFLEDGER = 1u << 8,       /* reference fs ledger (alive/freed) */
	SCN_REQ_DROP_CACHES = 1u << 9,     /* quiesce can drop caches */
	/* st_ino survives the kernel forgetting the file (probed once a
	 * run): without it, ino=@TAG checks across a quiesce are not
	 * judged */
	SCN_REQ_STABLE_INO = 1u << 10,
	/* statfs f_namemax is 255: the name-limit expectations hold */
	SCN_REQ_NAMEMAX_255 = 1u << 11,
	/* a file handle opens again once the kernel forgot the inode (probed
	 * once a run): FUSE_EXPORT_SUPPORT, a filesystem that still knows
	 * the nodeid, and CAP_DAC_READ_SEARCH for open_by_handle_at */
	SCN_REQ_EXPORT = 1u << 12,
	/* a shared, writable mapping of a file (a filesystem that opens
	 * files for direct I/O may refuse it: ENODEV) */
	SCN_REQ_MMAP = 1u << 13,
};
#define SCN_NREQ 14

/* "write", "hardlink", ...; NULL past the end */
const char *scn_req_name(unsigned index);
/* bit for a name, 0 when unknown */
unsigned scn_req_bit(const char *name);
/* The names of the bits set in reqs, space-separated, into buf (the one
 * spelling of "requires X Y", the probe's capabilities and the list of
 * known requirements).  Returns buf. */
char *scn_req_list(unsigned reqs, char *buf, size_t size);
#define SCN_REQ_ALL ((1u << SCN_NREQ) - 1)

struct scn;

struct scn_error {
	char file[512];
	unsigned line, col;     /* 1-based; col 0 when not known */
	char msg[256];
};

/* "file:line:col: msg" */
void scn_error_format(const struct scn_error *e, char *buf, size_t size);

int scn_parse_file(const char *path, struct scn **out, struct scn_error *err);
int scn_parse_string(const char *file, const char *text, struct scn **out,
		     struct scn_error *err);
/* Drops the caller's reference; a scenario left running after a timeout
 * keeps its own, so scn_free is always safe. */
void scn_free(struct scn *s);

const char *scn_file(const struct scn *s);
const char *scn_name(const struct scn *s);        /* basename, no ".scn" */
const char *scn_description(const struct scn *s);
size_t scn_nrules(const struct scn *s);
const char *scn_rule(const struct scn *s, size_t i);
unsigned scn_requires(const struct scn *s);       /* enum scn_req bits */
const char *scn_memfs_args(const struct scn *s);  /* "" when none */
/* Seconds a scenario may run: its `# timeout:` header, or the default. */
#define SCN_DEFAULT_TIMEOUT_S 60
unsigned scn_timeout_s(const struct scn *s);

/* What the runner may ask of the harness.  Callbacks are thread-safe and
 * called from runner threads. */
struct scn_env {
	const char *mnt;        /* absolute path of the scenario's working
				   directory, under the mount: every
				   scenario path is resolved beneath it by
				   the kernel (scenario/path.c) */
	unsigned caps;          /* enum scn_req bits the filesystem meets */
	unsigned namemax;       /* statfs f_namemax of the mount, for
				   "…"*NAME_MAX (0: unknown, taken as 255) */
	void *ctx;
	/* the calling thread now executes `line` (0: idle) */
	void (*mark)(void *ctx, uint32_t line);
	/* drop caches and wait for FORGETs to settle.  full=1 when every
	 * descriptor of the scenario was closed first.  0 or -errno. */
	int (*quiesce)(void *ctx, uint32_t line, int full);
	/* a ledger assertion: 0 holds, 1 violated (msg says how; the
	 * harness recorded the violation itself: it is not told again
	 * through expect), -errno could not be checked (msg says why) */
	int (*check)(void *ctx, const struct fc_ev_check *chk, char *msg,
		     size_t msglen);
	/* NULL while the run may go on; otherwise why it cannot (the
	 * session broke, fusecheck was interrupted): the runner then gives
	 * up at once, as on timeout.  Optional. */
	const char *(*gone)(void *ctx);
	/* provocation (docs/architecture.md): drop the kernel's cached
	 * name `path` (relative to the working directory) by notification,
	 * so that its inode goes and a FORGET follows once unused: 0, or
	 * -errno when it could not be asked.  Optional: -ENOSYS without. */
	int (*evict)(void *ctx, uint32_t line, const char *path);
	/* hold every request of `opcode` for `us` microseconds before the
	 * filesystem sees it, from now on (0: no longer).  0 or -errno. */
	int (*delay)(void *ctx, uint32_t line, uint32_t opcode, uint32_t us,
		     int replies);
	/* a statement failed, told as it happens (so that the harness logs
	 * it where it happened, not after the scenario).  Optional. */
	void (*expect)(void *ctx, uint32_t line, const char *rule,
		       const char *message);
};

struct scn_failure {
	uint32_t line;
	const char *rule;       /* what the failed expectation checked, an
				   EX- rule id (SCN-EXPECT: the scenario
				   itself went wrong) */
	char *message;          /* "expected ENOENT, got 0" ... */
	int reported;           /* the harness has it already (env.expect
				   took it as it happened, or env.check
				   recorded the violation itself) */
};

struct scn_outcome {
	int status;             /* enum fc_scn_status */
	/* ino=@TAG checks not judged: the tag was bound before a quiesce
	 * and the filesystem's st_ino does not survive one (no
	 * SCN_REQ_STABLE_INO in env.caps) */
	unsigned ino_unjudged;
	/* alive, freed and fscounts statements not judged: the filesystem
	 * has no reference ledger (SCN_REQ_REFLEDGER) */
	unsigned ledger_unjudged;
	char *reason;           /* skip / broken reason */
	struct scn_failure *failures;
	size_t nfailures;
};

/* Run the scenario.  Skips (FC_SCN_ST_SKIP, reason "requires X Y" naming every
 * missing requirement) when env->caps lacks one of scn_requires().  Closes
 * every descriptor it opened and returns to the starting cwd before
 * returning.  On timeout (scn_timeout_s) returns FC_SCN_ST_BROKEN
 * "timed out at line N" at once: threads blocked in a syscall are left
 * detached, call no env callback again and end at their next statement
 * once the harness aborts the connection (their descriptors are closed
 * then).  Returns 0 (the verdict is in *out) or -errno when the runner
 * itself failed. */
int scn_run(const struct scn *s, const struct scn_env *env,
	    struct scn_outcome *out);
void scn_outcome_free(struct scn_outcome *o);

#endif
