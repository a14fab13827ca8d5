/* run/body.h - one scenario from start to verdict: a fresh mount, the
 * runner, cleanup, the closing quiesce, and the log events that let
 * `replay` reach the same verdict. */
#ifndef FC_RUN_SCN_H
#define FC_RUN_SCN_H

#include <stdint.h>
#include <sys/types.h>
#include "capture/evlog.h"
#include "mount/quiesce.h"
#include "scenario/scn.h"

struct session;

struct profile;

struct run_ctx {
	const char *mnt;          /* the (empty) mountpoint directory */
	const char *fs_cmd;       /* --fs template, or NULL for memfs */
	const char *memfs_cmd;    /* memfs template without scenario args */
	uint32_t max_pages;
	uint64_t init_set;
	uint32_t reply_delay_us;
	int32_t relay_spin_us;   /* -1: the tap's default */
	int fs_out_fd;            /* the filesystem's output (fs.log) */
	unsigned caps;            /* probed requirements */
	unsigned namemax;         /* statfs f_namemax, 0: not known */
	struct quiesce_opts quiesce;
	struct evlog *log;
	struct fc_checker *judge; /* fed by the log; asked under its lock */
	struct profile *prof;     /* --profile, NULL: none */
	unsigned ino_unjudged;    /* scenarios' ino=@TAG checks not judged */
	unsigned ledger_unjudged; /* alive/freed/fscounts not judged */
	uint32_t conn;            /* connections so far */
	const char *quiesce_method; /* last method used: "drop_caches"... */
	int attach;               /* enum attach_method; auto until probed */
	unsigned request_timeout_ms; /* oldest unanswered request: broken */
	unsigned time_scale;      /* --time-scale: INIT and scenario bounds */
	char fs_libfuse[512];     /* the libfuse the filesystem mapped, "" none */
	int fs_as_user;           /* --fs-user: drop to fs_uid/fs_gid */
	int fs_host_pidns;        /* --fs-pidns host */
	uid_t fs_uid;
	gid_t fs_gid;
};

/* Start a session for scenario `s` (NULL: the probe) with its memfs
 * options; the command template goes to *cmd (malloc'd). */
int run_fs_cmd(const struct run_ctx *rc, const struct scn *s, char **cmd);

/* What runs inside one session: a scenario, or `fusecheck exec`'s
 * program.  `fn` works in `dir` (the working directory), logs what it
 * finds (run_emit_expect), and may set *status (BROKEN, SKIP) with a
 * reason. */
struct run_body {
	const char *file;         /* names it in SCENARIO events */
	const char *name;         /* its working directory's name */
	unsigned requires;        /* enum scn_req bits */
	const struct scn *scn;    /* for memfs options; may be NULL */
	unsigned timeout_s;
	int (*fn)(struct run_ctx *rc, struct session *sess, const char *dir,
		  void *arg, char *reason, size_t reason_len,
		  uint32_t *status);
	void *arg;
};

/* Mount, run the body, clean up, quiesce, unmount: index-th in the log. */
int run_on_fresh_mount(struct run_ctx *rc, const struct run_body *b,
		       uint32_t index);
/* Log an expectation that did not hold. */
void run_emit_expect(struct evlog *log, uint32_t line, const char *rule,
		     const char *message);

/* Run scenario number `index`.  Everything it concludes goes to the log
 * (SCENARIO begin/end, EXPECT); returns 0 or -errno when the harness
 * itself could not go on. */
int run_scenario(struct run_ctx *rc, const struct scn *s, uint32_t index);

/* Probe what the filesystem supports on a fresh mount: *caps.
 * err says why it could not mount. */
int run_probe(struct run_ctx *rc, unsigned *caps, char *err, size_t errlen);

#endif
