/* report/result.h - what one `fusecheck run` found, as the reports see it. */
#ifndef FC_RUN_RESULT_H
#define FC_RUN_RESULT_H

#include <stddef.h>
#include <fusecheck/event.h>
#include "judge/checker.h"
#include "judge/verdicts.h"

/* "pass" "fail" "skip" "broken" */
const char *fc_status_name(int status);

struct fc_scn_result;
/* Runs of a repeated scenario (`run --repeat`) that ended in more than
 * one status: 1 flaky, 0 not (or not repeated). */
int run_result_flaky(const struct fc_scn_result *s);

/* One lock rule's verdict (LK-*, harness/judge/lock.h): pass, violation,
 * vacuous (never two requests of its class in flight at once) or n/a (the
 * negotiated INIT voids the kernel's guarantee). */
#define FC_LOCK_RULES_MAX 8
struct fc_lock_row {
	const char *rule;      /* "LK-PARENT-EXCL"; static, not owned */
	int verdict;           /* enum lock_verdict */
	size_t max_overlap;    /* most requests of its class in flight */
	uint64_t judged;       /* requests of its class judged */
	uint64_t exempt;       /* of its class, exempt (see rules.md) */
	uint64_t violations;
};

/* Violations of one rule at one scenario line: one finding, however many
 * times it fired (a loop, many nodeids at one quiesce).  Reports show a
 * finding once with a few of its instances; report.json keeps them all. */
struct fc_finding {
	const struct fc_rule *rule;
	uint32_t line;         /* scenario line, 0 when none */
	size_t count;          /* violations in it */
	size_t *members;       /* their indexes into the scenario's
				  violations, in order; members[0] first */
};

struct fc_scn_result {
	char *name;            /* file name without directory and ".scn" */
	char *file;            /* path as given */
	char *description;
	char **rules;          /* rule ids the scenario header names */
	size_t nrules;
	int status;            /* enum fc_scn_status */
	char *reason;          /* why skipped or broken; NULL otherwise */
	char *known;           /* a failure the profile declares, all its
				  violations' rules included: why (the
				  declared reasons); NULL otherwise */
	char *fs_exit;         /* how the filesystem ended at unmount
				  ("exited with status 0" ...); NULL:
				  not known */
	double seconds;
	struct fc_violation *violations;  /* owned copies */
	size_t nviolations;
	struct fc_finding *findings;  /* the violations grouped, in the
					 order each first fired */
	size_t nfindings;
	size_t max_inflight;   /* most requests in flight at once */
	unsigned held[4];      /* runs that ended in each enum fc_scn_status
				  (`run --repeat`); all 0 for one run */
	struct fc_request_mix mix; /* requests the scenario caused */
	struct fc_lock_row lock[FC_LOCK_RULES_MAX]; /* lock verdicts */
	size_t nlock;
};

struct fc_run_result {
	char *kernel_release;  /* uname -r */
	char *libfuse_version; /* of the installed libfuse3 */
	char *fs_libfuse;      /* the libfuse file the filesystem mapped
				  (mount/libseen.c); NULL: none seen */
	char *fs_cmd;          /* filesystem command as started */
	int reference_fs;      /* 1: bundled memfs with its ledger */
	char **caps;           /* names of the requirements the filesystem
				  meets, NULL-terminated; NULL: not known */
	char *quiesce_method;  /* "drop_caches" or "none" */
	char *attach;          /* how the filesystem got its end of the tap:
				  "fd", "fusermount"; NULL: not known */
	char *fs_pidns;        /* "own" or "host" (--fs-pidns); NULL: not
				  known (replay) */
	struct fc_init_info init;
	struct fc_lc_stats lc;  /* how much of the lookup-count contract the
				   run exercised */
	char *log_path;        /* the event log, NULL if not written */
	char *broken;          /* run-level reason it could not run, or NULL */
	char **notes;          /* what the checker did not judge, and why */
	size_t nnotes;
	double seconds;
	unsigned time_scale;   /* --time-scale (1: none) */
	struct fc_lock_row lock[FC_LOCK_RULES_MAX]; /* over the whole run */
	size_t nlock;
	struct fc_scn_result *scn;
	size_t nscn;
	char **known_gone;     /* declared deviations no longer seen:
				  "SCENARIO RULE (why)" */
	size_t nknown_gone;
	uint64_t violations_not_kept; /* found past the checker's store
				  (MAX_VIOLATIONS): counted, not listed */
	int lines_streamed;    /* the per-scenario lines were printed as
				  each scenario ended (report_human skips
				  them) */
};

/* Totals by status and violations. */
void run_result_counts(const struct fc_run_result *r, size_t counts[4],
		       size_t *nviolations);
/* Failed scenarios that are known deviations of the profile. */
size_t run_result_known(const struct fc_run_result *r);
/* 0 all pass/skip (or failing only as the profile declares), 1 other
 * violations or failures, or a declared deviation gone, 2 broken
 * (r->broken set or any scenario broken: that outranks failures) */
int run_result_exit_code(const struct fc_run_result *r);
/* Frees everything r points to (every string, each violation's owned
 * strings, the arrays) and zeroes *r; r itself is the caller's. */
void run_result_free(struct fc_run_result *r);
/* Group s's violations into findings (rule x scenario line): 0 or
 * -ENOMEM. */
int run_result_group(struct fc_scn_result *s);
/* Frees what one scenario's result points to. */
void run_result_scn_free(struct fc_scn_result *s);

#endif
