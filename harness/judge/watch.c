/* judge/watch.c - exact counts for one inode (LC-COUNTED): after `watch
 * @f` the checker counts the references entry replies hand to f's nodeids
 * and those FORGET and BATCH_FORGET return for them, so that `handed @f N`
 * and `forgotten @f N` can say how many a line caused, on any filesystem
 * (in the spirit of FreeBSD's fuse tests, expect_forget).  The inode is
 * known by its st_ino, as the scenario knows it: a filesystem may give an
 * inode the kernel forgot a new nodeid, and where st_ino itself does not
 * survive that the runner does not ask (scn_tag_judged).  A few inodes a
 * scenario, in a small array: the ledger's node stays one cache line. */
#include <inttypes.h>
#include "judge/checker_int.h"

void watch_reset(struct fc_checker *c)
{
	c->nwatch = 0;
}

static struct ck_watch *watch_find(struct fc_checker *c, uint64_t ino)
{
	unsigned i;

	for (i = 0; i < c->nwatch; i++)
		if (c->watch[i].ino == ino)
			return &c->watch[i];
	return NULL;
}

void watch_count(struct fc_checker *c, uint64_t ino, int64_t handed,
		 uint64_t forgotten)
{
	struct ck_watch *w;

	if (!c->nwatch || !(w = watch_find(c, ino)))
		return;
	if (handed < 0 && w->handed)
		w->handed--;
	else if (handed > 0)
		w->handed += (uint64_t)handed;
	w->forgotten += forgotten;
}

static void watch_start(struct fc_checker *c, const struct fc_ev_check *k)
{
	struct ck_watch *w = watch_find(c, k->ino);

	if (!w && c->nwatch == CK_WATCH_MAX) {
		ck_note(c, "watch at line %u not kept: a scenario watches "
			"at most %d inodes", k->line, CK_WATCH_MAX);
		return;
	}
	if (!w)
		w = &c->watch[c->nwatch++];
	w->ino = k->ino;
	w->handed = w->forgotten = 0;
}

void watch_on_check(struct fc_checker *c, const struct fc_event *ev,
		    const struct fc_ev_check *k, uint64_t nodeid)
{
	int handed = k->kind == FC_CHECK_HANDED ||
		     k->kind == FC_CHECK_HANDED_MIN;
	int at_least = k->kind == FC_CHECK_HANDED_MIN ||
		       k->kind == FC_CHECK_FORGOTTEN_MIN;
	const struct ck_watch *w;
	uint64_t have;

	if (k->kind == FC_CHECK_WATCH) {
		watch_start(c, k);
		return;
	}
	w = watch_find(c, k->ino);
	if (!w) {
		ck_note(c, "%s at line %u not judged: no `watch` of inode %"
			PRIu64 " came before it in this scenario", handed ?
			"handed" : "forgotten", k->line, k->ino);
		return;
	}
	have = handed ? w->handed : w->forgotten;
	if (at_least ? have >= k->expect : have == k->expect)
		return;
	ck_violate(c, "LC-COUNTED", nodeid, k->line, ev->seq, 0,
		   "%s %" PRIu64 " references to inode %" PRIu64 " since its "
		   "watch, the scenario expects %s%" PRIu64,
		   handed ? "entry replies handed" : "FORGETs returned", have,
		   k->ino, at_least ? "at least " : "", k->expect);
}
