/* judge/checker.h - consumes events in sequence order and judges them: the
 * lookup-count ledger, the lifecycle cross-check against the reference
 * filesystem, and attribution of every violation to a scenario line.
 *
 * The same checker runs live (fed by the tap under the log lock) and in
 * `fusecheck replay` (fed from a saved log), so both reach one verdict.
 */
#ifndef FC_CHECKER_H
#define FC_CHECKER_H

#include <stdint.h>
#include <stddef.h>
#include <fusecheck/event.h>
#include "judge/rules.h"
#include "wire/proto.h"

struct fc_violation {
	const struct fc_rule *rule;
	uint64_t nodeid;       /* 0 when no single nodeid is concerned */
	char *path;            /* best-known path of the nodeid, raw bytes
				  NUL-terminated; "" when unknown */
	char *detail;          /* one sentence: what happened */
	int scenario;          /* index from FC_EV_SCENARIO, -1 outside */
	char *scn_file;        /* NULL outside a scenario */
	uint32_t scn_line;     /* 0 when no line was executing */
	uint64_t seq;          /* event that broke the rule */
	uint64_t seq_ref;      /* earlier related event, 0 none */
	char *excerpt;         /* the last few events up to `seq`, one
				  formatted line each (evfmt), '\n'-joined */
};

/* How much of the lookup-count contract a run exercised: a rule with
 * nothing to judge passes vacuously, and a reader should see that. */
struct fc_lc_stats {
	uint64_t handed;     /* references entry replies handed out (and
				the kernel took) */
	uint64_t returned;   /* references FORGET and BATCH_FORGET gave back */
	uint64_t forgets;    /* forget items (one per nodeid in a batch) */
	uint64_t balances;   /* balance judgments: settled full quiesces
				and `balanced` statements */
	uint64_t compares;   /* reference-ledger snapshots compared */
	uint64_t relookups;  /* LOOKUPs of a name the kernel held, judged
				for LC-NODEID-UNSTABLE */
	uint64_t evictions;  /* `evict` statements */
	uint64_t evicted;    /* of which the kernel dropped a cached name */
};

/* Negotiated INIT, as the checker saw it (for reports). */
struct fc_init_info {
	int seen;
	uint32_t kernel_major, kernel_minor;
	uint64_t kernel_flags;     /* offered by the kernel */
	uint32_t major, minor;     /* replied by the filesystem */
	uint64_t flags;            /* accepted by the filesystem */
	uint32_t max_write, max_pages, max_readahead;
	int capped;                /* the tap lowered max_write/max_pages */
	uint32_t fs_max_write, fs_max_pages;
};

struct fc_checker;

struct fc_checker *checker_new(void);
void checker_free(struct fc_checker *c);

/* Feed one event.  Must be called in seq order. */
/* A hint for a reader that looks ahead: ev will be fed soon. */
void checker_prefetch(struct fc_checker *c, const struct fc_event *ev);
void checker_feed(struct fc_checker *c, const struct fc_event *ev);

size_t checker_nviolations(const struct fc_checker *c);
const struct fc_violation *checker_violation(const struct fc_checker *c,
					     size_t i);

/* Outstanding references of nodeid on the current connection. */
uint64_t checker_outstanding(const struct fc_checker *c, uint64_t nodeid);
/* Number of FORGET / BATCH_FORGET items seen so far (quiesce settles when
 * this stops moving). */
uint64_t checker_forgets(const struct fc_checker *c);
/* Number of requests between request and reply right now. */
size_t checker_inflight(const struct fc_checker *c);
/* nodeids other than the root with outstanding references */
size_t checker_referenced(const struct fc_checker *c);
/* Largest number of requests in flight at once on any connection. */
size_t checker_max_inflight(const struct fc_checker *c);
const struct fc_init_info *checker_init(const struct fc_checker *c);
void checker_lc_stats(const struct fc_checker *c, struct fc_lc_stats *out);
/* Every name behind an outstanding reference, deepest first (the notify
 * quiesce evicts children before their parents); free(*out). */
int checker_named_refs(const struct fc_checker *c, struct fc_dentry **out,
		       size_t *n);
/* The nodeids the kernel still references, root aside, deepest first, in
 * one malloc'd array (free() it): for FUSE_NOTIFY_PRUNE. */
int checker_referenced_ids(const struct fc_checker *c, uint64_t **out,
			   size_t *n);
/* The nodeid the wire gave to path (relative to the mount's root, '/'
 * between names; "." and ".." components as the kernel would take
 * them), walked from the root through the names entry replies gave:
 * *parent is the directory holding the last name (0 when some
 * directory on the way was never named on the wire) and *nodeid the
 * last name's (0 unknown).  *last and *lastlen is that name inside path.
 * 0, or -EINVAL when the path ends in "." or ".." or is empty. */
int checker_resolve(const struct fc_checker *c, const char *path,
		    size_t len, uint64_t *parent, uint64_t *nodeid,
		    const char **last, size_t *lastlen);
/* Best-known path of nodeid into buf (raw bytes, NUL-terminated). */
void checker_path(const struct fc_checker *c, uint64_t nodeid, char *buf,
		  size_t size);
/* What the judge knows of request unique while it awaits its reply:
 * "nodeid=N path 'P' (scenario line L)"; "" when it is not in flight. */
void checker_describe_request(const struct fc_checker *c, uint64_t unique,
			      char *buf, size_t size);
/* The scenario line request unique came from, while it awaits its
 * reply; 0 when none or not in flight. */
uint32_t checker_request_line(const struct fc_checker *c, uint64_t unique);

/* Judgements the checker could not make, and why ("quiesce at line 12
 * not judged: caches could not be dropped"), for the reports. */
size_t checker_nnotes(const struct fc_checker *c);
const char *checker_note(const struct fc_checker *c, size_t i);
/* Violations not stored (beyond the cap, or out of memory). */
uint64_t checker_dropped(const struct fc_checker *c);

/* The lock checker the checker feeds (judge/lock.h), for its figures. */
struct lock_checker;
const struct lock_checker *checker_lock(const struct fc_checker *c);

#endif
