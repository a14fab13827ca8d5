/* judge/lock.c - the lock checker (judge/lock.h): classifies each request by the
 * lock the kernel holds while it is in flight, keeps the judged ones in
 * a small in-flight list, and at each arrival compares the newcomer with
 * every request still in flight (O(in-flight)).
 *
 * What excludes what on Linux 6.x (fs/namei.c, fs/readdir.c,
 * fs/fuse/dir.c, readdir.c, file.c; docs/rules.md "Locking"):
 * - CREATE (open O_CREAT), MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR,
 *   RENAME(2) hold the parent's i_rwsem exclusive (both parents for
 *   rename).
 * - LOOKUP from ->lookup holds the parent's i_rwsem at least shared
 *   (lookup_slow), and fi->mutex unless parallel_dirops (fuse_lookup ->
 *   fuse_lock_inode).  LOOKUP from d_revalidate (a positive dentry whose
 *   timeout ran out), and "."/".." from the export operations, hold
 *   neither: they are exempt.
 * - READDIR(PLUS) holds i_rwsem shared (iterate_shared) and fi->mutex
 *   unless parallel_dirops (fuse_readdir_uncached).
 * - WRITE from write(2) without the writeback cache holds the inode lock
 *   exclusive (fuse_cache_write_iter, or fuse_direct_write_iter without
 *   FOPEN_PARALLEL_DIRECT_WRITES), and sends its WRITEs one at a time,
 *   unless O_DIRECT with async DIO, whose chunks go out together (and
 *   for AIO outlive the lock).  Page-cache writeback (FUSE_WRITE_CACHE)
 *   holds no inode lock at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "wire/evfmt.h"
#include "judge/inflight.h"
#include "judge/lock.h"
#include "util/u64tab.h"

/* The classes the rules compare, as sets of the opcode table's lock kinds
 * (enum fc_lock_kind, wire/proto.h: the one list of what a request
 * locks).  Rename holds two directories exclusively and is judged as an
 * exclusive request on each. */
#define LK_EXCL (FC_LK_BIT(FC_LK_PARENT_EXCL) | FC_LK_BIT(FC_LK_PARENTS_EXCL))
#define LK_LOOKUP FC_LK_BIT(FC_LK_PARENT_SHARED)
#define LK_READDIR FC_LK_BIT(FC_LK_DIR_READ)
#define LK_WRITE FC_LK_BIT(FC_LK_INODE_WRITE)

#define NAME_KEEP 40

static const struct lock_rule_info rules[LOCK_NRULES] = {
	[LOCK_PARENT_EXCL] = { "LK-PARENT-EXCL", LK_EXCL, LK_EXCL, 0, 0 },
	[LOCK_LOOKUP_SHARED] = { "LK-LOOKUP-SHARED", LK_LOOKUP, LK_EXCL, 0,
				 0 },
	[LOCK_READDIR_SHARED] = { "LK-READDIR-SHARED", LK_READDIR, LK_EXCL,
				  0, 0 },
	[LOCK_DIROPS_SERIAL] = { "LK-DIROPS-SERIAL", LK_LOOKUP | LK_READDIR,
				 LK_LOOKUP | LK_READDIR, FUSE_PARALLEL_DIROPS,
				 1 },
	[LOCK_WRITE_INODE] = { "LK-WRITE-INODE", LK_WRITE, LK_WRITE,
			       FUSE_WRITEBACK_CACHE, 1 },
};

static const char *const verdict_names[] = {
	[LOCK_V_NA] = "n/a",
	[LOCK_V_VACUOUS] = "vacuous",
	[LOCK_V_PASS] = "pass",
	[LOCK_V_VIOLATION] = "violation",
};

struct lk_req {
	uint64_t unique, seq;
	uint64_t obj[2];
	unsigned nobj;
	unsigned kind;
	uint32_t opcode, line;
	uint32_t name_len;     /* bytes kept in name */
	char name[NAME_KEEP];  /* raw, escaped only for a message */
};

/* fh -> union of the FOPEN flags of the open replies that gave it and
 * whose RELEASE has not come yet: the map holds the handles open now,
 * not every handle a long run ever saw (a filesystem may hand out a new
 * fh for every open).  A file handle may be 0, which a u64tab cannot
 * hold: it gets a record of its own. */
struct fh_rec {
	uint64_t fh;
	uint32_t flags;
	uint32_t opens;          /* open replies minus RELEASE(DIR)s */
};

struct fhmap {
	struct u64tab tab;       /* of struct fh_rec */
	struct fh_rec zero;      /* fh 0, when opens > 0 */
};

struct lock_checker {
	lock_report_fn report;
	void *arg;

	struct lk_req *live;
	size_t nlive, cap_live;

	/* the connection */
	int init_seen;
	uint64_t init_flags;
	struct fhmap fhs;

	struct lock_stat run[LOCK_NRULES];
	struct lock_stat (*scn)[LOCK_NRULES]; /* [scenario + 1] */
	size_t nscn;
};

/* --- small tables ----------------------------------------------------- */

static const uint32_t *fhmap_find(const struct fhmap *m, uint64_t fh)
{
	const struct fh_rec *r;

	if (!fh)
		return m->zero.opens ? &m->zero.flags : NULL;
	r = u64tab_find(&m->tab, fh);
	return r ? &r->flags : NULL;
}

static void fhmap_or(struct fhmap *m, uint64_t fh, uint32_t flags)
{
	struct fh_rec *r = &m->zero;
	int created;

	if (fh)
		r = u64tab_insert(&m->tab, fh, &created);
	if (!r)
		return;
	r->flags |= flags;
	if (r->opens < UINT32_MAX)
		r->opens++;
}

/* RELEASE or RELEASEDIR of fh: the last one forgets it (a filesystem may
 * give the same value to a new open, with flags of its own) */
static void fhmap_release(struct fhmap *m, uint64_t fh)
{
	struct fh_rec *r = fh ? u64tab_find(&m->tab, fh) : &m->zero;

	if (!r || !r->opens || --r->opens)
		return;
	if (fh)
		u64tab_remove(&m->tab, r);
	else
		r->flags = 0;
}

static void fhmap_clear(struct fhmap *m)
{
	u64tab_clear(&m->tab);
	m->zero = (struct fh_rec){ 0 };
}

/* --- statistics -------------------------------------------------------- */

const struct lock_rule_info *lock_rule(unsigned rule)
{
	return rule < LOCK_NRULES ? &rules[rule] : NULL;
}

const char *lock_verdict_name(int v)
{
	if (v < LOCK_V_NA || v > LOCK_V_VIOLATION)
		return "unknown";
	return verdict_names[v];
}

int lock_stat_verdict(const struct lock_stat *s)
{
	if (s->violations)
		return LOCK_V_VIOLATION;
	if (!s->judged && !s->applicable)
		return LOCK_V_NA;
	if (s->max_overlap < 2)
		return LOCK_V_VACUOUS;
	return LOCK_V_PASS;
}

static struct lock_stat *scn_stats(struct lock_checker *lk, int scenario)
{
	size_t idx = scenario < 0 ? 0 : (size_t)scenario + 1;

	if (idx >= lk->nscn) {
		size_t n = idx + 16;
		struct lock_stat(*s)[LOCK_NRULES] =
			realloc(lk->scn, n * sizeof(*s));

		if (!s)
			return NULL;
		memset(s + lk->nscn, 0, (n - lk->nscn) * sizeof(*s));
		lk->scn = s;
		lk->nscn = n;
	}
	return lk->scn[idx];
}

static const struct lock_stat zero_stat;

const struct lock_stat *lock_scn_stat(const struct lock_checker *lk,
				      int scenario, unsigned rule)
{
	size_t idx = scenario < 0 ? 0 : (size_t)scenario + 1;

	if (!lk || rule >= LOCK_NRULES || idx >= lk->nscn)
		return &zero_stat;
	return &lk->scn[idx][rule];
}

const struct lock_stat *lock_run_stat(const struct lock_checker *lk,
				      unsigned rule)
{
	if (!lk || rule >= LOCK_NRULES)
		return &zero_stat;
	return &lk->run[rule];
}

size_t lock_inflight(const struct lock_checker *lk)
{
	return lk ? lk->nlive : 0;
}

/* Apply fn to the rule's figure for the run and for the scenario. */
#define BOTH(lk, scn, rule, stmt)                                             \
	do {                                                                  \
		struct lock_stat *st_ = &(lk)->run[rule];                     \
		struct lock_stat *sc_ = scn_stats(lk, scn);                   \
		stmt;                                                         \
		if (sc_) {                                                    \
			st_ = &sc_[rule];                                     \
			stmt;                                                 \
		}                                                             \
	} while (0)

/* --- the connection ---------------------------------------------------- */

static int rule_holds(const struct lock_checker *lk, unsigned rule)
{
	const struct lock_rule_info *ri = &rules[rule];

	if (!ri->needs_init)
		return 1;
	return lk->init_seen && !(lk->init_flags & ri->void_flags);
}

void lock_on_mount(struct lock_checker *lk)
{
	if (!lk)
		return;
	lk->nlive = 0;
	lk->init_seen = 0;
	lk->init_flags = 0;
	fhmap_clear(&lk->fhs);
}

void lock_on_unmount(struct lock_checker *lk)
{
	/* requests never answered ended with the connection */
	if (lk)
		lk->nlive = 0;
}

static void on_init(struct lock_checker *lk, uint64_t flags, int scenario)
{
	unsigned r;

	lk->init_seen = 1;
	lk->init_flags = flags;
	for (r = 0; r < LOCK_NRULES; r++) {
		if (rule_holds(lk, r))
			BOTH(lk, scenario, r, st_->applicable++);
		else
			BOTH(lk, scenario, r, st_->voided++);
	}
}

/* --- classification ------------------------------------------------------ */

static int is_dot(const char *s, size_t len)
{
	return (len == 1 && s[0] == '.') ||
	       (len == 2 && s[0] == '.' && s[1] == '.');
}

/* fuse_write_in.flags (the file's f_flags), which proto does not
 * decode; 0 when the event is too short to hold it. */
static uint32_t write_file_flags(const struct fc_event *ev)
{
	size_t off = sizeof(struct fuse_in_header) +
		     offsetof(struct fuse_write_in, flags);
	uint32_t f = 0;

	if (ev->len >= off + sizeof(f))
		memcpy(&f, (const char *)ev->data + off, sizeof(f));
	return f;
}

/* May this WRITE be sent without the inode lock held exclusive, or
 * together with other WRITEs of the same syscall?  Then it is exempt. */
static int write_exempt(const struct lock_checker *lk,
			const struct fc_event *ev, const struct fc_req *rq)
{
	const uint32_t *open_flags = fhmap_find(&lk->fhs, rq->fh);

	if (rq->write_flags & FUSE_WRITE_CACHE)
		return 1;   /* page-cache writeback: no inode lock */
	if (!open_flags)
		return 1;   /* never saw it opened: its mode is unknown */
	if (*open_flags & FOPEN_PARALLEL_DIRECT_WRITES)
		return 1;   /* fuse_dio_lock may take the lock shared */
	if ((write_file_flags(ev) & O_DIRECT) &&
	    (lk->init_flags & FUSE_ASYNC_DIO))
		return 1;   /* async DIO: chunks of one write overlap */
	return 0;
}

/* The kind of a request as FC_LK_BIT(its lock kind), 0 when it is exempt
 * or takes no lock. */
static unsigned classify(struct lock_checker *lk, const struct fc_event *ev,
			 const struct fc_req *rq, unsigned hints,
			 int scenario)
{
	unsigned kind;

	if (!rq->op || rq->op->lock == FC_LK_NONE)
		return 0;
	kind = FC_LK_BIT(rq->op->lock);
	if (kind == LK_LOOKUP &&
	    (is_dot(rq->name, rq->name_len) ||
	     (hints & LOCK_HINT_NAME_SEEN))) {
		/* maybe d_revalidate or export ops: no directory lock */
		BOTH(lk, scenario, LOCK_LOOKUP_SHARED, st_->exempt++);
		if (rule_holds(lk, LOCK_DIROPS_SERIAL))
			BOTH(lk, scenario, LOCK_DIROPS_SERIAL, st_->exempt++);
		return 0;
	}
	if (kind == LK_WRITE && rule_holds(lk, LOCK_WRITE_INODE) &&
	    write_exempt(lk, ev, rq)) {
		BOTH(lk, scenario, LOCK_WRITE_INODE, st_->exempt++);
		return 0;
	}
	return kind;
}

/* --- arrival ------------------------------------------------------------ */

static int share_object(const struct lk_req *a, const struct lk_req *b,
			uint64_t *obj)
{
	unsigned i, k;

	for (i = 0; i < a->nobj; i++)
		for (k = 0; k < b->nobj; k++)
			if (a->obj[i] == b->obj[k]) {
				*obj = a->obj[i];
				return 1;
			}
	return 0;
}

/* The rule that forbids kinds x and y on one object, or -1. */
static int rule_for(const struct lock_checker *lk, unsigned x, unsigned y)
{
	unsigned r;

	for (r = 0; r < LOCK_NRULES; r++) {
		const struct lock_rule_info *ri = &rules[r];

		if (!rule_holds(lk, r))
			continue;
		if (((x & ri->kinds_a) && (y & ri->kinds_b)) ||
		    ((x & ri->kinds_b) && (y & ri->kinds_a)))
			return (int)r;
	}
	return -1;
}

static void conflict(struct lock_checker *lk, int scenario, unsigned rule,
		     const struct lk_req *nw, const struct lk_req *old,
		     uint64_t obj)
{
	struct lock_conflict cf = { 0 };
	char a[4 * NAME_KEEP + 4], b[4 * NAME_KEEP + 4];

	text_escape(nw->name, nw->name_len, TEXT_ASCII | TEXT_QUOTES, a,
		    sizeof(a));
	text_escape(old->name, old->name_len, TEXT_ASCII | TEXT_QUOTES, b,
		    sizeof(b));
	cf.rule = rule;
	cf.nodeid = obj;
	cf.seq = nw->seq;
	cf.seq_ref = old->seq;
	cf.line = nw->line;
	cf.line_ref = old->line;
	cf.opcode = nw->opcode;
	cf.opcode_ref = old->opcode;
	snprintf(cf.detail, sizeof(cf.detail),
		 "%s \"%s\" (seq %llu, line %u) arrived on nodeid %llu while "
		 "%s \"%s\" (seq %llu, line %u) was still in flight there",
		 proto_op_name(nw->opcode), a,
		 (unsigned long long)nw->seq, nw->line,
		 (unsigned long long)obj, proto_op_name(old->opcode),
		 b, (unsigned long long)old->seq, old->line);
	BOTH(lk, scenario, rule, st_->violations++);
	if (lk->report)
		lk->report(lk->arg, &cf);
}

/* How busy each rule's class is now that `nw` arrived. */
static void count_overlap(struct lock_checker *lk, int scenario,
			  const struct lk_req *nw)
{
	unsigned r;
	size_t i;

	for (r = 0; r < LOCK_NRULES; r++) {
		const struct lock_rule_info *ri = &rules[r];
		unsigned cls = ri->kinds_a | ri->kinds_b;
		size_t n = 0, na = 0, nb = 0;

		if (!(nw->kind & cls) || !rule_holds(lk, r))
			continue;
		for (i = 0; i < lk->nlive; i++) {
			unsigned k = lk->live[i].kind;

			if (!(k & cls))
				continue;
			n++;
			na += !!(k & ri->kinds_a);
			nb += !!(k & ri->kinds_b);
		}
		/* a pair rule is exercised only when both sides were in
		 * flight together */
		if (ri->kinds_a != ri->kinds_b && (!na || !nb) && n > 1)
			n = 1;
		BOTH(lk, scenario, r, st_->judged++;
		     if (n > st_->max_overlap) st_->max_overlap = n);
	}
}

void lock_on_request(struct lock_checker *lk, const struct fc_event *ev,
		     const struct fc_req *rq, unsigned hints, uint32_t line,
		     int scenario)
{
	struct lk_req nw = { 0 };
	size_t i, nlen;
	uint64_t obj;
	int r;

	if (!lk || !rq)
		return;
	if (rq->opcode == FUSE_RELEASE || rq->opcode == FUSE_RELEASEDIR)
		fhmap_release(&lk->fhs, rq->fh);
	nw.kind = classify(lk, ev, rq, hints, scenario);
	if (!nw.kind)
		return;
	nw.unique = rq->unique;
	nw.seq = ev->seq;
	nw.opcode = rq->opcode;
	nw.line = line;
	nw.obj[0] = rq->nodeid;
	nw.nobj = 1;
	if (rq->op->lock == FC_LK_PARENTS_EXCL && rq->newdir != rq->nodeid)
		nw.obj[nw.nobj++] = rq->newdir;
	nlen = rq->name_len < NAME_KEEP ? rq->name_len : NAME_KEEP;
	if (rq->name) {
		memcpy(nw.name, rq->name, nlen);
		nw.name_len = (uint32_t)nlen;
	}

	for (i = 0; i < lk->nlive; i++) {
		const struct lk_req *old = &lk->live[i];

		if (!share_object(&nw, old, &obj))
			continue;
		r = rule_for(lk, nw.kind, old->kind);
		if (r >= 0)
			conflict(lk, scenario, (unsigned)r, &nw, old, obj);
	}

	if (lk->nlive == lk->cap_live) {
		size_t ncap = lk->cap_live ? lk->cap_live * 2 : 32;
		struct lk_req *n = realloc(lk->live, ncap * sizeof(*n));

		if (!n)
			return;
		lk->live = n;
		lk->cap_live = ncap;
	}
	lk->live[lk->nlive++] = nw;
	count_overlap(lk, scenario, &nw);
}

/* --- replies -------------------------------------------------------------- */

void lock_on_reply(struct lock_checker *lk, const struct inflight_req *r,
		   const struct fc_reply *rp)
{
	size_t i;

	if (!lk || !r)
		return;
	for (i = 0; i < lk->nlive; i++)
		if (lk->live[i].unique == r->unique) {
			lk->live[i] = lk->live[--lk->nlive];
			break;
		}
	if (!rp)
		return;
	if (rp->has_init)
		on_init(lk, rp->init_flags, r->scenario);
	if (rp->has_open)
		fhmap_or(&lk->fhs, rp->open.fh, rp->open.open_flags);
}

/* --- life ------------------------------------------------------------------- */

struct lock_checker *lock_new(lock_report_fn report, void *arg)
{
	struct lock_checker *lk = calloc(1, sizeof(*lk));

	if (!lk)
		return NULL;
	lk->report = report;
	lk->arg = arg;
	u64tab_init(&lk->fhs.tab, sizeof(struct fh_rec));
	return lk;
}

void lock_free(struct lock_checker *lk)
{
	if (!lk)
		return;
	free(lk->live);
	u64tab_fini(&lk->fhs.tab);
	free(lk->scn);
	free(lk);
}
