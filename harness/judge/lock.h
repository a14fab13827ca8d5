/* judge/lock.h - the lock checker: requests the VFS and FUSE serialise must
 * never be seen in flight together on the wire (docs/rules.md,
 * "Locking").
 *
 * The tap logs a request after the kernel sent it (holding its locks)
 * and a reply before the kernel sees it (still holding them), so the
 * logged interval of a request lies inside the interval the kernel held
 * its locks.  Two requests the kernel serialises therefore have disjoint
 * logged intervals, and an overlap on the wire is proof of a broken rule:
 * no false positives, as long as every exemption below is honoured.
 *
 * Each rule also counts how many requests of its class were in flight at
 * once.  A rule whose class never had two requests in flight together
 * proved nothing: its verdict is "vacuous", not "pass".
 */
#ifndef FC_LOCK_H
#define FC_LOCK_H

#include <stddef.h>
#include <stdint.h>
#include <fusecheck/event.h>
#include "wire/proto.h"

struct inflight_req;

/* The lock rules, in report order. */
enum lock_rule {
	LOCK_PARENT_EXCL = 0,  /* LK-PARENT-EXCL */
	LOCK_LOOKUP_SHARED,    /* LK-LOOKUP-SHARED */
	LOCK_READDIR_SHARED,   /* LK-READDIR-SHARED */
	LOCK_DIROPS_SERIAL,    /* LK-DIROPS-SERIAL */
	LOCK_WRITE_INODE,      /* LK-WRITE-INODE */
	LOCK_NRULES
};

/* One rule of the table: which request kinds it relates, and when the
 * kernel's guarantee holds (the INIT flags that void it). */
struct lock_rule_info {
	const char *id;
	unsigned kinds_a, kinds_b; /* FC_LK_BIT sets; a vs b */
	uint64_t void_flags;       /* INIT flags that void the guarantee */
	int needs_init;            /* judged only once INIT was seen */
};

const struct lock_rule_info *lock_rule(unsigned rule);

/* Per-rule figures, for a scenario or the whole run. */
struct lock_stat {
	uint64_t judged;       /* requests of the class that were judged */
	uint64_t exempt;       /* of the class, not judged (revalidation,
				  page-cache writeback, parallel DIO ...) */
	uint64_t violations;
	size_t max_overlap;    /* most class requests in flight at once */
	uint32_t applicable;   /* connections on which the rule held */
	uint32_t voided;       /* connections whose INIT voided it */
};

enum lock_verdict {
	LOCK_V_NA = 0,         /* the kernel gave no such guarantee here */
	LOCK_V_VACUOUS,        /* never two of the class in flight at once */
	LOCK_V_PASS,
	LOCK_V_VIOLATION,
};

/* "n/a" "vacuous" "pass" "violation" */
const char *lock_verdict_name(int v);
int lock_stat_verdict(const struct lock_stat *s);

/* One overlap found: `req` arrived while `other` was in flight. */
struct lock_conflict {
	unsigned rule;         /* enum lock_rule */
	uint64_t nodeid;       /* the directory or inode both lock */
	uint64_t seq, seq_ref; /* req's and other's REQUEST events */
	uint32_t line, line_ref;
	uint32_t opcode, opcode_ref;
	char detail[640];
};

typedef void (*lock_report_fn)(void *arg, const struct lock_conflict *cf);

struct lock_checker;

struct lock_checker *lock_new(lock_report_fn report, void *arg);
void lock_free(struct lock_checker *lk);

/* A new connection (FC_EV_MOUNT) / the end of one. */
void lock_on_mount(struct lock_checker *lk);
void lock_on_unmount(struct lock_checker *lk);
/* What the caller knows of a request that the wire alone does not say. */
enum lock_hint {
	/* LOOKUP of a name that led to a node on this connection
	 * (ledger_name_seen): the kernel may hold a positive dentry of it
	 * and revalidate it without the directory lock */
	LOCK_HINT_NAME_SEEN = 1 << 0,
};

/* A decoded request, at its REQUEST event; hints: enum lock_hint;
 * `scenario` -1 outside. */
void lock_on_request(struct lock_checker *lk, const struct fc_event *ev,
		     const struct fc_req *rq, unsigned hints, uint32_t line,
		     int scenario);
/* The reply to in-flight request `r`; rp NULL unless it decoded with
 * error 0. */
void lock_on_reply(struct lock_checker *lk, const struct inflight_req *r,
		   const struct fc_reply *rp);

/* Figures of rule `rule` for the whole run. */
const struct lock_stat *lock_run_stat(const struct lock_checker *lk,
				      unsigned rule);
/* Requests judged so far that are in flight now (for tests). */
size_t lock_inflight(const struct lock_checker *lk);

/* Figures of rule `rule` for scenario `scenario` (-1: outside any). */
const struct lock_stat *lock_scn_stat(const struct lock_checker *lk,
				      int scenario, unsigned rule);

#endif
