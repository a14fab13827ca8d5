/* run/harness.h - what `run` and `exec` share: their options, and the
 * harness around the bodies they run (namespace, mountpoint, checker,
 * event log, capability probe, reports). */
#ifndef FC_RUN_HARNESS_H
#define FC_RUN_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include "capture/evlog.h"
#include "run/profile.h"
#include "run/body.h"
#include "judge/verdicts.h"

struct run_opts {
	const char *fs_cmd;
	const char *out_dir;
	const char *junit;
	const char *memfs_args;
	const char *only;
	int tap;
	int plain_log;           /* --plain-log: events.fclog uncompressed */
	int quiesce_how;         /* --quiesce: enum quiesce_how */
	int color;               /* -1: when stdout is a terminal */
	uint32_t max_pages;
	uint64_t init_set;       /* INIT flags the tap adds (--init-set) */
	uint32_t reply_delay_us;
	int32_t relay_spin_us;   /* -1: the tap's default */
	unsigned settle_ms, quiesce_timeout_ms;
	int attach;              /* enum attach_method, -1: not given */
	const char *profile;     /* --profile NAME or file */
	const char *timeline_dir; /* --timeline DIR: SVG per scenario */
	struct profile *prof;    /* loaded and set up: run_profile_open */
	char **scenario_args;    /* the operands after the options */
	size_t nscenario_args;
	unsigned request_timeout_s; /* --request-timeout, 0: none */
	unsigned time_scale;     /* --time-scale: timeouts multiplied */
	unsigned repeat;         /* --repeat: every scenario this often */
	int fs_as_user;          /* --fs-user given */
	int fs_pidns;             /* 0 default, 1 own, 2 host (--fs-pidns) */
	uid_t fs_uid;
	gid_t fs_gid;
};


struct run_harness {
	const struct run_opts *o;
	struct run_ctx rc;
	struct fc_checker *checker;
	struct verdicts v;
	struct evlog log;
	int log_open;
	char *memfs_cmd;
	char *broken;            /* the probe could not start the fs */
	char mnt[4096];          /* $TMPDIR/fusecheck.XXXXXX */
	int mnt_made;            /* mkdtemp made mnt: remove it at the end */
	char logpath[4096];
	struct timespec t0;      /* when the run began */
	int lines_streamed;      /* scenario lines printed as they ended */
};

/* --profile: load it, run its setup, take its command (NULL: memfs),
 * and its attach method unless given; 0, or exit code 2 with a message.
 * The caller frees p (profile_free) after run_harness_finish. */
int run_profile_open(struct run_opts *o, struct profile *p);

/* 0 (check h->broken) or the exit code 2 with a message printed. */
int run_harness_open(struct run_harness *h, const struct run_opts *o);
/* The whole life of a run of one body (exec, probe-leaks): profile,
 * harness, the body, reports.  Returns the exit code. */
int run_one_body(struct run_opts *o, const struct run_body *b);
/* Close the log, report, clean up; returns the exit code. */
int run_harness_finish(struct run_harness *h, struct scn *const *scns,
		       size_t nscns);

#endif
