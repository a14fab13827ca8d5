/* judge/lifecycle.c - what is judged at a quiesce or a scenario's
 * assertion rather than message by message: the balance after a quiesce
 * (LC-QUIESCE-BALANCE), a scenario's ledger assertions (LC-OUTSTANDING,
 * LF-ALIVE, LF-FREED), and the cross-check against the reference
 * filesystem's own ledger (LF-FS-LEDGER, LF-FREED-REFERENCED,
 * LF-NOT-FREED).  Sources: docs/rules.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "judge/checker_int.h"

/* --- quiesce and ledger assertions --------------------------------------- */

static void judge_balance(struct fc_checker *c, const struct fc_event *ev,
			  uint32_t line, const char *when)
{
	struct ledger_node *n;
	size_t pos = 0;
	char path[PATH_BYTES];

	c->st.balances++;
	while ((n = ledger_next(&c->ledger, &pos))) {
		if (n->nodeid == ROOT_ID || !n->refs)
			continue;
		if (n->flags & LEDGER_F_UNCERTAIN) {
			ledger_path(&c->ledger, n->nodeid, path, sizeof(path));
			ck_note(c, "%s at line %u: nodeid %llu (%s) keeps %llu "
				"references but the kernel may have refused "
				"its entry: not judged", when, line,
			     (unsigned long long)n->nodeid, path,
			     (unsigned long long)n->refs);
			continue;
		}
		/* one report per leak, not per quiesce/balanced point */
		if (n->flags & LEDGER_F_LEAK_TOLD)
			continue;
		n->flags |= LEDGER_F_LEAK_TOLD;
		ck_violate(c, "LC-QUIESCE-BALANCE", n->nodeid, line, ev->seq,
			ledger_seq_ref(&c->ledger, n),
			"nodeid %llu still has %llu outstanding references "
			"after %s",
			(unsigned long long)n->nodeid,
			(unsigned long long)n->refs, when);
	}
}

void lf_on_quiesce(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_ev_quiesce q = { 0 };
	const char *why = NULL;

	if (ev->len < FC_EV_QUIESCE_MIN)
		return;
	memcpy(&q, ev->data, ev->len < sizeof(q) ? ev->len : sizeof(q));
	if (q.method != FC_QUIESCE_DROP_CACHES &&
	    q.method != FC_QUIESCE_NOTIFY && q.method != FC_QUIESCE_PRUNE)
		why = "caches could not be dropped";
	else if (q.settled == 2)
		why = "the connection was no longer healthy (aborted or "
		      "interrupted)";
	else if (q.settled != 1)
		why = "FORGETs did not settle before the timeout";
	else if (!q.full)
		why = "descriptors were still open";
	c->quiesce_seen = 1;
	c->quiesce_ok = !why;
	if (why) {
		/* A settle keeps descriptors open on purpose: not judging
		 * its balance is the design, not news. */
		if (q.full)
			ck_note(c, "quiesce at line %u not judged: %s", q.line,
			     why);
		return;
	}
	judge_balance(c, ev, q.line, "quiesce");
}

static struct ledger_node *node_of_ino(struct fc_checker *c, uint64_t ino)
{
	struct ledger_node *n, *best = NULL;
	size_t pos = 0;

	/* rare (scenario assertions): a scan is fine */
	while ((n = ledger_next(&c->ledger, &pos)))
		if ((n->flags & LEDGER_F_TYPED) &&
		    ledger_ino(&c->ledger, n) == ino &&
		    (!best || ledger_seq_ref(&c->ledger, n) >
			      ledger_seq_ref(&c->ledger, best)))
			best = n;
	return best;
}

static const struct fc_fs_inode *snap_by_ino(const struct fc_checker *c,
					     uint64_t ino)
{
	size_t i;

	for (i = 0; i < c->nsnap; i++)
		if (c->snap[i].ino == ino)
			return &c->snap[i];
	return NULL;
}

void lf_on_check(struct fc_checker *c, const struct fc_event *ev)
{
	const struct fc_fs_inode *fi;
	struct ledger_node *n;
	struct fc_ev_check k;
	uint64_t have;

	if (ev->len < sizeof(k))
		return;
	memcpy(&k, ev->data, sizeof(k));
	switch (k.kind) {
	case FC_CHECK_BALANCED:
		if (c->quiesce_seen && !c->quiesce_ok) {
			ck_note(c, "balanced at line %u not judged: the last "
				"quiesce was not complete", k.line);
			return;
		}
		judge_balance(c, ev, k.line, "`balanced`");
		return;
	case FC_CHECK_OUTSTANDING:
	case FC_CHECK_OUTSTANDING_MIN:
		n = node_of_ino(c, k.ino);
		have = n ? n->refs : 0;
		if (n && (n->flags & LEDGER_F_UNCERTAIN)) {
			ck_note(c, "outstanding at line %u not judged: nodeid "
				"%llu is uncertain", k.line,
			     (unsigned long long)n->nodeid);
			return;
		}
		if (k.kind == FC_CHECK_OUTSTANDING ? have != k.expect
						    : have < k.expect)
			ck_violate(c, "LC-OUTSTANDING", n ? n->nodeid : 0, k.line,
				ev->seq, n ? ledger_seq_ref(&c->ledger, n) : 0,
				"inode %llu has %llu outstanding references, "
				"the scenario expects %s%llu",
				(unsigned long long)k.ino,
				(unsigned long long)have,
				k.kind == FC_CHECK_OUTSTANDING ? "" :
								 "at least ",
				(unsigned long long)k.expect);
		return;
	case FC_CHECK_WATCH:
	case FC_CHECK_HANDED:
	case FC_CHECK_HANDED_MIN:
	case FC_CHECK_FORGOTTEN:
	case FC_CHECK_FORGOTTEN_MIN:
		n = node_of_ino(c, k.ino);
		watch_on_check(c, ev, &k, n ? n->nodeid : 0);
		return;
	case FC_CHECK_ALIVE:
	case FC_CHECK_FREED:
		if (!c->snap_seen) {
			ck_note(c, "%s at line %u not judged: no reference fs "
				"snapshot", k.kind == FC_CHECK_ALIVE ?
				"alive" : "freed", k.line);
			return;
		}
		fi = snap_by_ino(c, k.ino);
		n = node_of_ino(c, k.ino);
		if (k.kind == FC_CHECK_ALIVE && !fi)
			ck_violate(c, "LF-ALIVE", n ? n->nodeid : 0, k.line,
				ev->seq, 0,
				"inode %llu is gone from the reference "
				"filesystem, the scenario expects it alive",
				(unsigned long long)k.ino);
		if (k.kind == FC_CHECK_FREED && fi)
			ck_violate(c, "LF-FREED", fi->nodeid, k.line, ev->seq, 0,
				"inode %llu is still alive in the reference "
				"filesystem (nlookup %llu, nlink %u, open %u), "
				"the scenario expects it freed",
				(unsigned long long)k.ino,
				(unsigned long long)fi->nlookup, fi->nlink,
				fi->nopen);
		return;
	default:
		return;
	}
}

static int cmp_inode(const void *a, const void *b)
{
	const struct fc_fs_inode *x = a, *y = b;

	return x->nodeid < y->nodeid ? -1 : x->nodeid > y->nodeid;
}

static const struct fc_fs_inode *snap_by_nodeid(const struct fc_checker *c,
						uint64_t nodeid)
{
	struct fc_fs_inode key = { .nodeid = nodeid };

	if (!c->nsnap)
		return NULL;
	return bsearch(&key, c->snap, c->nsnap, sizeof(key), cmp_inode);
}

/* The snapshot's inodes kept until the next one: the payload itself
 * where it was given away (a live run: no second copy of what may be a
 * million inodes), else a copy (replay).  0, or -ENOMEM. */
static int keep_snapshot(struct fc_checker *c, const struct fc_event *ev,
			 uint32_t count)
{
	void *buf;

	if (ev->give && *ev->give == ev->data) {
		free(c->snap_buf);
		c->snap_buf = *ev->give;
		*ev->give = NULL;
		c->snap = ((struct fc_ev_fs_ledger *)c->snap_buf)->inodes;
		c->snap_cap = count;
		return 0;
	}
	if (count > c->snap_cap || !c->snap_buf) {
		buf = malloc((count ? count : 1) * sizeof(*c->snap));
		if (!buf)
			return -ENOMEM;
		free(c->snap_buf);
		c->snap_buf = c->snap = buf;
		c->snap_cap = count;
	}
	if (count)
		memcpy(c->snap, (const char *)ev->data + sizeof(struct
		       fc_ev_fs_ledger), count * sizeof(*c->snap));
	return 0;
}

/* Requests in flight whose reply may hand out references.  The snapshot
 * is taken before its event is logged, so such a reply logged in between
 * is on the wire and not yet in the snapshot; a RELEASE or a GETATTR in
 * flight changes no count. */
static size_t refs_in_transit(const struct fc_checker *c)
{
	const struct fc_op_info *op;
	struct inflight_req *q;
	size_t pos = 0, n = 0;

	while ((q = inflight_next(&c->inflight, &pos))) {
		op = proto_op(q->opcode);
		n += !op || op->reply == FC_RK_ENTRY ||
		     op->reply == FC_RK_CREATE || op->reply == FC_RK_DIRENTPLUS;
	}
	return n;
}

/* The reference fs's own ledger against the wire.  In transit the fs can
 * only be ahead of the wire (it counts a lookup before its reply is
 * logged, and a FORGET after it is logged), so fs < wire is always a
 * violation, and fs > wire only when nothing can be in transit: a
 * snapshot at the end of a full, settled quiesce. */
void lf_on_fs_ledger(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_ev_fs_ledger h;
	struct ledger_node *n;
	size_t i, pos = 0, max;
	int quiet;

	if (ev->len < sizeof(h))
		return;
	memcpy(&h, ev->data, sizeof(h));
	max = (ev->len - sizeof(h)) / sizeof(struct fc_fs_inode);
	if (h.count > max)
		h.count = (uint32_t)max;  /* never trust a count */
	if (keep_snapshot(c, ev, h.count))
		return;
	c->nsnap = h.count;
	c->snap_seen = 1;
	if (c->nsnap)	/* snap is still NULL after an empty first one */
		qsort(c->snap, c->nsnap, sizeof(*c->snap), cmp_inode);

	quiet = h.line == 0 && c->quiesce_ok;
	if (refs_in_transit(c)) {
		ck_note(c, "reference fs ledger at line %u: %zu requests that "
			"hand out references in flight, nlookup not compared",
			h.line, refs_in_transit(c));
	} else {
		c->st.compares++;
		for (i = 0; i < c->nsnap; i++) {
			const struct fc_fs_inode *fi = &c->snap[i];
			uint64_t wire, slack;

			if (fi->nodeid == ROOT_ID)
				continue;
			n = ledger_find(&c->ledger, fi->nodeid);
			wire = n ? n->refs : 0;
			/* references of rejected replies: the fs counted
			 * them, the kernel never got them */
			slack = n ? ledger_rejected(&c->ledger, n) : 0;
			if (fi->nlookup < wire ||
			    (quiet && fi->nlookup > wire + slack))
				ck_violate(c, "LF-FS-LEDGER", fi->nodeid, h.line,
					ev->seq, n ? ledger_seq_ref(&c->ledger, n) : 0,
					"the reference filesystem counts "
					"%llu lookups of nodeid %llu, the "
					"wire %llu",
					(unsigned long long)fi->nlookup,
					(unsigned long long)fi->nodeid,
					(unsigned long long)wire);
		}
	}

	while ((n = ledger_next(&c->ledger, &pos))) {
		if (n->nodeid == ROOT_ID ||
		    (!n->refs && !ledger_nopen(&c->ledger, n)))
			continue;
		if (snap_by_nodeid(c, n->nodeid))
			continue;
		ck_violate(c, "LF-FREED-REFERENCED", n->nodeid, h.line, ev->seq,
			ledger_seq_ref(&c->ledger, n),
			"the reference filesystem freed nodeid %llu while "
			"the kernel %s",
			(unsigned long long)n->nodeid,
			n->refs ? "still references it" : "holds it open");
	}

	if (h.line != 0)
		return;
	if (!c->quiesce_ok) {
		ck_note(c, "reference fs ledger at quiesce: the quiesce was not "
			"complete, leaks not judged");
		return;
	}
	for (i = 0; i < c->nsnap; i++) {
		const struct fc_fs_inode *fi = &c->snap[i];

		if (fi->nodeid == ROOT_ID || fi->nlookup || fi->nlink ||
		    fi->nopen)
			continue;
		n = ledger_find(&c->ledger, fi->nodeid);
		ck_violate(c, "LF-NOT-FREED", fi->nodeid, 0, ev->seq,
			n ? ledger_seq_ref(&c->ledger, n) : 0,
			"inode %llu (nodeid %llu) has no lookups, links or "
			"open handles but the reference filesystem keeps it",
			(unsigned long long)fi->ino,
			(unsigned long long)fi->nodeid);
	}
}

