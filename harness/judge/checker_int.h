/* judge/checker_int.h - what the checker's parts share: the checker's
 * state, the violation and note store, attribution, and the entry points
 * of each rule family (lookup.c: LC-*, lifecycle.c: LF-*).  Only the
 * judge's own files include it. */
#ifndef FC_CHECKER_INT_H
#define FC_CHECKER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "judge/checker.h"
#include "judge/inflight.h"
#include "judge/ledger.h"
#include "judge/lock.h"
#include "wire/proto.h"

#define ROOT_ID FUSE_ROOT_ID
#define EXCERPT_EVENTS 6
#define EXCERPT_BYTES 512
#define EXCERPT_LINE 1024
#define UNDO_RECORDS 64
#define FORGET_UNIQUES 1024
#define MAX_VIOLATIONS 100000
#define MAX_NOTES 1000
#define PATH_BYTES 4096
/* fs/fuse/fuse_i.h: a reply to an INTERRUPT has the request's (even)
 * unique with bit 0 set */
#define FC_INT_REQ_BIT 1ull

/* One event of the excerpt ring, with at most EXCERPT_BYTES of payload. */
struct ring_ev {
	struct fc_event ev;
	uint32_t req_opcode;
	unsigned char data[EXCERPT_BYTES];
};

enum undo_kind { UNDO_REF = 0, UNDO_OPEN = 1 };

struct undo_item {
	uint64_t nodeid;
	uint32_t kind;        /* enum undo_kind */
	uint32_t pad;
};

/* What one recent reply added, in case its write to /dev/fuse fails:
 * FC_EV_REPLY_REJECTED comes after the REPLY, maybe with other events
 * between. */
struct undo_rec {
	uint64_t unique;      /* 0: free */
	size_t n, cap;
	struct undo_item *items;
};

struct tid_line {
	uint32_t tid, line;
};

/* An inode a scenario watches, by st_ino (a filesystem may give a
 * forgotten inode a new nodeid): the references entry replies handed its
 * nodeids and FORGETs returned since its `watch` (LC-COUNTED). */
#define CK_WATCH_MAX 32
struct ck_watch {
	uint64_t ino;
	uint64_t handed, forgotten;
};

struct fc_checker {
	struct ledger ledger;
	struct inflight inflight;
	struct lock_checker *lock;  /* LK-* rules (judge/lock.c) */

	struct fc_violation *viol;
	size_t nviol, viol_cap;
	uint64_t dropped;        /* violations past MAX_VIOLATIONS */
	char **notes;
	size_t nnotes, notes_cap;

	struct fc_init_info init;
	uint64_t forgets;
	struct fc_lc_stats st;   /* what was exercised (evictions too) */
	/* seq of the latest reply that may have changed a name (a
	 * directory-changing request, a notification of the fs) */
	uint64_t names_changed_seq;

	/* attribution */
	int scenario;
	char *scn_file;
	struct tid_line *tids;
	size_t ntids, tids_cap;

	/* the latest quiesce of this connection */
	int quiesce_seen, quiesce_ok;

	/* the latest reference fs snapshot, sorted by nodeid */
	struct fc_fs_inode *snap;     /* inside snap_buf */
	void *snap_buf;               /* a copy, or a payload kept as given */
	size_t nsnap, snap_cap;
	int snap_seen;

	struct undo_rec undo[UNDO_RECORDS];
	size_t undo_next;
	struct undo_rec *cur_undo;  /* record of the reply being applied */

	/* `watch`ed nodeids of this scenario (judge/watch.c) */
	struct ck_watch watch[CK_WATCH_MAX];
	unsigned nwatch;

	uint64_t forget_uniques[FORGET_UNIQUES];
	size_t forget_next;

	/* the latest reply no request awaited: the kernel's ENOENT for it
	 * (FC_EV_REPLY_REJECTED) makes it PR-UNKNOWN-UNIQUE */
	uint64_t orphan_unique, orphan_seq;

	struct ring_ev ring[EXCERPT_EVENTS];
	size_t ring_next, ring_count;
};

/* checker.c: the store and attribution */
void ck_note(struct fc_checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ck_violate(struct fc_checker *c, const char *rule_id, uint64_t nodeid,
	     uint32_t line, uint64_t seq, uint64_t seq_ref, const char *fmt,
	     ...) __attribute__((format(printf, 7, 8)));
/* the scenario line thread tid is at (0: none) */
uint32_t ck_line_of(struct fc_checker *c, uint32_t tid);

/* lookup.c: the wire ledger (LC-*) */
void lc_on_request(struct fc_checker *c, const struct fc_event *ev);
void lc_on_reply(struct fc_checker *c, const struct fc_event *ev);
void lc_on_notify(struct fc_checker *c, const struct fc_event *ev);
void lc_on_rejected(struct fc_checker *c, const struct fc_event *ev);

/* lifecycle.c: quiesce balance, ledger assertions, the reference
 * filesystem's ledger (LF-*) */
void lf_on_quiesce(struct fc_checker *c, const struct fc_event *ev);
void lf_on_check(struct fc_checker *c, const struct fc_event *ev);
void lf_on_fs_ledger(struct fc_checker *c, const struct fc_event *ev);

/* watch.c: `watch`, `handed`, `forgotten` (LC-COUNTED) */
void watch_reset(struct fc_checker *c);
/* references handed to (may be -1: a reply undone) or returned by
 * FORGET for a nodeid whose latest entry carried st_ino `ino`, counted
 * where that inode is watched */
void watch_count(struct fc_checker *c, uint64_t ino, int64_t handed,
		 uint64_t forgotten);
/* a WATCH, HANDED(_MIN) or FORGOTTEN(_MIN) check; nodeid names the
 * inode's latest nodeid in a message (0: none yet) */
void watch_on_check(struct fc_checker *c, const struct fc_event *ev,
		    const struct fc_ev_check *k, uint64_t nodeid);

#endif
