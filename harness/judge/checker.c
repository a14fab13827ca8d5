/* judge/checker.c - judges the event stream (judge/checker.h): the
 * context, the dispatch of each event to its rule family (lookup.c: LC-*,
 * lifecycle.c: LF-*, malformed.c: PR-*, lock.c: LK-*), the violation and
 * note store, and attribution of every violation to the scenario line
 * behind it.  The rules and their sources are in
 * docs/rules.md; the ids are rows of judge/rules.c.
 *
 * Hot path: checker_feed() runs under the event log mutex for every
 * message the tap relays, so a REQUEST or REPLY costs a decode, a few
 * hash probes and one bounded copy into the excerpt ring; formatting and
 * allocation happen only when a violation is recorded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "judge/checker_int.h"
#include "wire/evfmt.h"
#include "judge/malformed.h"
#include "judge/inflight.h"
#include "judge/ledger.h"
#include "judge/lock.h"
#include "wire/proto.h"

/* --- notes and violations ---------------------------------------------- */

/* A note names the scenario it belongs to, as "file: ...". */
void ck_note(struct fc_checker *c, const char *fmt, ...)
{
	char buf[512];
	const char *base;
	va_list ap;
	char *s;
	int off = 0;

	if (c->nnotes >= MAX_NOTES)
		return;
	if (c->scn_file) {
		base = strrchr(c->scn_file, '/');
		off = snprintf(buf, sizeof(buf), "%s: ",
			       base ? base + 1 : c->scn_file);
		if (off < 0 || (size_t)off >= sizeof(buf))
			off = 0;
	}
	va_start(ap, fmt);
	vsnprintf(buf + off, sizeof(buf) - (size_t)off, fmt, ap);
	va_end(ap);
	if (c->nnotes == c->notes_cap) {
		size_t ncap = c->notes_cap ? c->notes_cap * 2 : 16;
		char **n = realloc(c->notes, ncap * sizeof(*n));

		if (!n)
			return;
		c->notes = n;
		c->notes_cap = ncap;
	}
	s = strdup(buf);
	if (s)
		c->notes[c->nnotes++] = s;
}

/* The excerpt ring formatted oldest first, one line per event. */
static char *format_excerpt(const struct fc_checker *c)
{
	size_t cap = (size_t)EXCERPT_EVENTS * (EXCERPT_LINE + 1) + 1;
	char *out = malloc(cap), line[EXCERPT_LINE];
	size_t off = 0, i, n;

	if (!out)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < c->ring_count; i++) {
		size_t k = (c->ring_next + EXCERPT_EVENTS - c->ring_count + i) %
			   EXCERPT_EVENTS;

		n = evfmt_event(&c->ring[k].ev, c->ring[k].req_opcode, line,
				sizeof(line));
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		if (off)
			out[off++] = '\n';
		memcpy(out + off, line, n);
		off += n;
		out[off] = '\0';
	}
	return out;
}

void ck_violate(struct fc_checker *c, const char *rule_id,
		    uint64_t nodeid, uint32_t line, uint64_t seq,
		    uint64_t seq_ref, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

void ck_violate(struct fc_checker *c, const char *rule_id,
		    uint64_t nodeid, uint32_t line, uint64_t seq,
		    uint64_t seq_ref, const char *fmt, ...)
{
	char detail[512], path[PATH_BYTES];
	struct fc_violation *v;
	va_list ap;

	if (c->nviol >= MAX_VIOLATIONS) {
		c->dropped++;
		return;
	}
	if (c->nviol == c->viol_cap) {
		size_t ncap = c->viol_cap ? c->viol_cap * 2 : 16;
		struct fc_violation *n = realloc(c->viol, ncap * sizeof(*n));

		if (!n) {
			c->dropped++;
			return;
		}
		c->viol = n;
		c->viol_cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	path[0] = '\0';
	if (nodeid)
		ledger_path(&c->ledger, nodeid, path, sizeof(path));

	v = &c->viol[c->nviol];
	memset(v, 0, sizeof(*v));
	v->rule = rule_find(rule_id);
	v->nodeid = nodeid;
	v->path = strdup(path);
	v->detail = strdup(detail);
	v->scenario = c->scenario;
	v->scn_file = c->scn_file ? strdup(c->scn_file) : NULL;
	v->scn_line = line;
	v->seq = seq;
	v->seq_ref = seq_ref;
	v->excerpt = format_excerpt(c);
	if (!v->rule || !v->path || !v->detail || !v->excerpt ||
	    (c->scn_file && !v->scn_file)) {
		free(v->path);
		free(v->detail);
		free(v->scn_file);
		free(v->excerpt);
		c->dropped++;
		return;
	}
	c->nviol++;
}

/* A lock rule broken (judge/lock.c): both requests are named in the detail. */
static void lock_report(void *arg, const struct lock_conflict *cf)
{
	struct fc_checker *c = arg;

	ck_violate(c, lock_rule(cf->rule)->id, cf->nodeid, cf->line, cf->seq,
		cf->seq_ref, "%s", cf->detail);
}

/* --- attribution -------------------------------------------------------- */

static uint32_t *tid_slot(struct fc_checker *c, uint32_t tid, int add)
{
	size_t i;

	for (i = 0; i < c->ntids; i++)
		if (c->tids[i].tid == tid)
			return &c->tids[i].line;
	if (!add)
		return NULL;
	if (c->ntids == c->tids_cap) {
		size_t ncap = c->tids_cap ? c->tids_cap * 2 : 16;
		struct tid_line *n = realloc(c->tids, ncap * sizeof(*n));

		if (!n)
			return NULL;
		c->tids = n;
		c->tids_cap = ncap;
	}
	c->tids[c->ntids].tid = tid;
	c->tids[c->ntids].line = 0;
	return &c->tids[c->ntids++].line;
}

/* The scenario line thread `tid` is executing; 0 when unknown (FORGETs
 * come from kernel threads, pid 0). */
uint32_t ck_line_of(struct fc_checker *c, uint32_t tid)
{
	uint32_t *l;

	if (!tid)
		return 0;
	l = tid_slot(c, tid, 0);
	return l ? *l : 0;
}

/* --- connection, scenario, marks ----------------------------------------- */

static void start_connection(struct fc_checker *c)
{
	struct ledger_node *root;
	size_t i;

	ledger_reset(&c->ledger);
	inflight_reset(&c->inflight);
	for (i = 0; i < UNDO_RECORDS; i++) {
		c->undo[i].unique = 0;
		c->undo[i].n = 0;
	}
	memset(c->forget_uniques, 0, sizeof(c->forget_uniques));
	c->orphan_unique = 0;
	c->quiesce_seen = 0;
	c->quiesce_ok = 0;
	c->snap_seen = 0;
	c->nsnap = 0;
	/* the kernel's own reference from mount (fuse_get_root_inode) */
	root = ledger_get(&c->ledger, ROOT_ID);
	if (root)
		root->refs = 1;
}

static void on_mount(struct fc_checker *c, const struct fc_event *ev)
{
	start_connection(c);
	lock_on_mount(c->lock);
}

static void on_unmount(struct fc_checker *c, const struct fc_event *ev)
{
	/* No FORGETs at unmount (fuse_evict_inode needs SB_ACTIVE), so the
	 * ledger is not judged here; requests never answered are dropped. */
	inflight_reset(&c->inflight);
	lock_on_unmount(c->lock);
}

static void on_scenario(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_ev_scenario s;
	size_t tlen;

	if (ev->len < sizeof(s))
		return;
	memcpy(&s, ev->data, sizeof(s));
	free(c->scn_file);
	c->scn_file = NULL;
	c->ntids = 0;
	watch_reset(c);
	if (s.phase != FC_SCN_BEGIN) {
		c->scenario = -1;
		return;
	}
	/* an index no run reaches is a damaged log: attributing to it
	 * would size per-scenario tables by it (FC_SCN_INDEX_MAX, as
	 * judge/verdicts.c) */
	if (s.index >= FC_SCN_INDEX_MAX) {
		c->scenario = -1;
		return;
	}
	c->scenario = (int)s.index;
	tlen = strnlen((const char *)ev->data + sizeof(s), ev->len - sizeof(s));
	c->scn_file = strndup((const char *)ev->data + sizeof(s), tlen);
}

static void on_mark(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_ev_mark m;
	uint32_t *l;

	if (ev->len < sizeof(m))
		return;
	memcpy(&m, ev->data, sizeof(m));
	l = tid_slot(c, m.tid, 1);
	if (l)
		*l = m.line;
}

static void on_expect(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_ev_expect x;
	char rule[sizeof(x.rule) + 1];
	const char *msg = (const char *)ev->data + sizeof(x);
	size_t mlen;

	if (ev->len < sizeof(x))
		return;
	memcpy(&x, ev->data, sizeof(x));
	memcpy(rule, x.rule, sizeof(x.rule));
	rule[sizeof(x.rule)] = '\0';
	mlen = strnlen(msg, ev->len - sizeof(x));
	ck_violate(c, rule_find(rule) ? rule : "SCN-EXPECT", 0, x.line, ev->seq,
		0, "%.*s", (int)mlen, msg);
}

static void on_init_cap(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_ev_init_cap cap;

	if (ev->len < sizeof(cap))
		return;
	memcpy(&cap, ev->data, sizeof(cap));
	c->init.capped = 1;
	c->init.fs_max_write = cap.fs_max_write;
	c->init.fs_max_pages = cap.fs_max_pages;
	c->init.max_write = cap.max_write;
	c->init.max_pages = cap.max_pages;
}

/* An eviction the kernel answered with anything but "dropped" or "had
 * none" is the kernel refusing the harness: worth a note, not a
 * verdict on the filesystem. */
static void on_provoke(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_ev_provoke pv;

	if (ev->len < sizeof(pv))
		return;
	memcpy(&pv, ev->data, sizeof(pv));
	if (pv.what != FC_PROVOKE_EVICT)
		return;
	c->st.evictions++;
	if (pv.error == 0)
		c->st.evicted++;
	else if (pv.error != ENOENT && pv.error != ENOTCONN)
		ck_note(c, "line %u: the kernel refused to evict a name "
			"(FUSE_NOTIFY_INVAL_ENTRY parent=%llu): %s", pv.line,
			(unsigned long long)pv.parent, strerror(pv.error));
}

/* --- feed ------------------------------------------------------------------ */

typedef void (*event_fn)(struct fc_checker *c, const struct fc_event *ev);

static const event_fn handlers[FC_EV_KIND_MAX] = {
	[FC_EV_REQUEST] = lc_on_request,
	[FC_EV_REPLY] = lc_on_reply,
	[FC_EV_NOTIFY] = lc_on_notify,
	[FC_EV_REPLY_REJECTED] = lc_on_rejected,
	[FC_EV_MOUNT] = on_mount,
	[FC_EV_UNMOUNT] = on_unmount,
	[FC_EV_SCENARIO] = on_scenario,
	[FC_EV_MARK] = on_mark,
	[FC_EV_QUIESCE] = lf_on_quiesce,
	[FC_EV_CHECK] = lf_on_check,
	[FC_EV_FS_LEDGER] = lf_on_fs_ledger,
	[FC_EV_INIT_CAP] = on_init_cap,
	[FC_EV_EXPECT] = on_expect,
	[FC_EV_PROVOKE] = on_provoke,
};

static void ring_push(struct fc_checker *c, const struct fc_event *ev)
{
	struct ring_ev *r = &c->ring[c->ring_next];
	uint32_t n = ev->len < EXCERPT_BYTES ? ev->len : EXCERPT_BYTES;
	struct fuse_out_header oh;
	const struct inflight_req *q;

	r->ev = *ev;
	r->ev.len = n;
	r->ev.orig_len = ev->orig_len ? ev->orig_len : ev->len;
	r->ev.data = r->data;
	r->ev.give = NULL;	/* the ring keeps a copy, never the payload */
	if (n)
		memcpy(r->data, ev->data, n);
	r->req_opcode = 0;
	if (ev->kind == FC_EV_REPLY && ev->len >= sizeof(oh)) {
		memcpy(&oh, ev->data, sizeof(oh));
		q = inflight_find(&c->inflight, oh.unique);
		if (q)
			r->req_opcode = q->opcode;
	}
	c->ring_next = (c->ring_next + 1) % EXCERPT_EVENTS;
	if (c->ring_count < EXCERPT_EVENTS)
		c->ring_count++;
}

void checker_prefetch(struct fc_checker *c, const struct fc_event *ev)
{
	struct fuse_in_header ih;
	struct fuse_out_header oh;
	struct fuse_entry_out eo;
	const char *name;
	size_t len;

	if (ev->kind == FC_EV_REQUEST && ev->len > sizeof(ih)) {
		memcpy(&ih, ev->data, sizeof(ih));
		ledger_prefetch_id(&c->ledger, ih.nodeid);
		if (ih.opcode != FUSE_LOOKUP)
			return;
		name = (const char *)ev->data + sizeof(ih);
		len = strnlen(name, ev->len - sizeof(ih));
		ledger_prefetch_name(&c->ledger, ih.nodeid, name, len);
	} else if (ev->kind == FC_EV_REPLY &&
		   ev->len == sizeof(oh) + sizeof(eo)) {
		memcpy(&eo, (const char *)ev->data + sizeof(oh), sizeof(eo));
		ledger_prefetch_id(&c->ledger, eo.nodeid);
	}
}

void checker_feed(struct fc_checker *c, const struct fc_event *ev)
{
	if (!c || !ev || (ev->len && !ev->data))
		return;
	ring_push(c, ev);
	if (ev->kind < FC_EV_KIND_MAX && handlers[ev->kind])
		handlers[ev->kind](c, ev);
}

/* --- life and queries ------------------------------------------------------- */

struct fc_checker *checker_new(void)
{
	struct fc_checker *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (ledger_init(&c->ledger))
		goto free_c;
	if (inflight_init(&c->inflight))
		goto free_ledger;
	c->lock = lock_new(lock_report, c);
	if (!c->lock)
		goto free_inflight;
	c->scenario = -1;
	start_connection(c);
	return c;

free_inflight:
	inflight_destroy(&c->inflight);
free_ledger:
	ledger_destroy(&c->ledger);
free_c:
	free(c);
	return NULL;
}

void checker_free(struct fc_checker *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nviol; i++) {
		free(c->viol[i].path);
		free(c->viol[i].detail);
		free(c->viol[i].scn_file);
		free(c->viol[i].excerpt);
	}
	free(c->viol);
	for (i = 0; i < c->nnotes; i++)
		free(c->notes[i]);
	free(c->notes);
	for (i = 0; i < UNDO_RECORDS; i++)
		free(c->undo[i].items);
	free(c->snap_buf);
	free(c->tids);
	free(c->scn_file);
	lock_free(c->lock);
	inflight_destroy(&c->inflight);
	ledger_destroy(&c->ledger);
	free(c);
}

size_t checker_nviolations(const struct fc_checker *c)
{
	return c->nviol;
}

const struct fc_violation *checker_violation(const struct fc_checker *c,
					     size_t i)
{
	return i < c->nviol ? &c->viol[i] : NULL;
}

uint64_t checker_outstanding(const struct fc_checker *c, uint64_t nodeid)
{
	const struct ledger_node *n = ledger_find(&c->ledger, nodeid);

	return n ? n->refs : 0;
}

uint64_t checker_forgets(const struct fc_checker *c)
{
	return c->forgets;
}

size_t checker_referenced(const struct fc_checker *c)
{
	const struct ledger_node *n;
	size_t pos = 0, k = 0;

	while ((n = ledger_next(&c->ledger, &pos)))
		k += n->nodeid != ROOT_ID && n->refs;
	return k;
}

size_t checker_inflight(const struct fc_checker *c)
{
	return inflight_count(&c->inflight);
}

size_t checker_max_inflight(const struct fc_checker *c)
{
	return c->inflight.max;
}

void checker_lc_stats(const struct fc_checker *c, struct fc_lc_stats *out)
{
	*out = c->st;
	out->forgets = c->forgets;
}

const struct fc_init_info *checker_init(const struct fc_checker *c)
{
	return &c->init;
}

int checker_named_refs(const struct fc_checker *c, struct fc_dentry **out,
		       size_t *n)
{
	return ledger_named_refs(&c->ledger, out, n);
}

int checker_referenced_ids(const struct fc_checker *c, uint64_t **out,
			   size_t *n)
{
	return ledger_referenced_ids(&c->ledger, out, n);
}

static int is_dots(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

int checker_resolve(const struct fc_checker *c, const char *path,
		    size_t len, uint64_t *parent, uint64_t *nodeid,
		    const char **last, size_t *lastlen)
{
	uint64_t cur = FUSE_ROOT_ID;
	const struct ledger_node *n;
	const char *p = path, *end = path + len, *slash;
	size_t k;

	*parent = *nodeid = 0;
	while (p < end && *p == '/')
		p++;
	while (end > p && end[-1] == '/')
		end--;
	if (p == end)
		return -EINVAL;
	for (;;) {
		slash = memchr(p, '/', (size_t)(end - p));
		k = slash ? (size_t)(slash - p) : (size_t)(end - p);
		if (!slash)
			break;
		if (k == 2 && p[0] == '.' && p[1] == '.') {
			n = cur ? ledger_find(&c->ledger, cur) : NULL;
			if (cur != FUSE_ROOT_ID)
				cur = n ? ledger_parent(&c->ledger, n) : 0;
		} else if (k && !(k == 1 && p[0] == '.') && cur) {
			cur = ledger_lookup_name(&c->ledger, cur, p, k);
		}
		p = slash + 1;
	}
	if (is_dots(p, k))
		return -EINVAL;
	*last = p;
	*lastlen = k;
	if (!cur)
		return 0;
	*parent = cur;
	*nodeid = ledger_lookup_name(&c->ledger, cur, p, k);
	return 0;
}

void checker_path(const struct fc_checker *c, uint64_t nodeid, char *buf,
		  size_t size)
{
	ledger_path(&c->ledger, nodeid, buf, size);
}

size_t checker_nnotes(const struct fc_checker *c)
{
	return c->nnotes;
}

const char *checker_note(const struct fc_checker *c, size_t i)
{
	return i < c->nnotes ? c->notes[i] : NULL;
}

uint64_t checker_dropped(const struct fc_checker *c)
{
	return c->dropped;
}

uint32_t checker_request_line(const struct fc_checker *c, uint64_t unique)
{
	const struct inflight_req *r = inflight_find(&c->inflight, unique);

	return r ? r->line : 0;
}

void checker_describe_request(const struct fc_checker *c, uint64_t unique,
			      char *buf, size_t size)
{
	const struct inflight_req *r = inflight_find(&c->inflight, unique);
	char path[512];

	if (!size)
		return;
	buf[0] = '\0';
	if (!r)
		return;
	checker_path(c, r->nodeid, path, sizeof(path));
	snprintf(buf, size, "nodeid=%llu path '%.200s%s%.100s' (scenario line "
		 "%u)", (unsigned long long)r->nodeid, path,
		 r->name_len ? "/" : "", inflight_name(r), r->line);
}

const struct lock_checker *checker_lock(const struct fc_checker *c)
{
	return c ? c->lock : NULL;
}
