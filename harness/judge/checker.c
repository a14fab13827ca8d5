/* judge/checker.c - judges the event stream (judge/checker.h): the lookup-count
 * ledger of each connection, the cross-check against the reference
 * filesystem's own ledger, and attribution of every violation to the
 * scenario line behind it.  The rules and their sources are in
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

#include "judge/checker.h"
#include "wire/evfmt.h"
#include "judge/malformed.h"
#include "judge/inflight.h"
#include "judge/ledger.h"
#include "judge/lock.h"
#include "wire/proto.h"

/* More scenarios than any run has: see on_scenario. */
#define FC_SCN_INDEX_MAX 65536u

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
/* RENAME_EXCHANGE from <linux/fs.h>, as RENAME2 carries it on the wire */
#define FC_RENAME_EXCHANGE (1 << 1)

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

	/* attribution */
	int scenario;
	char *scn_file;
	struct tid_line *tids;
	size_t ntids, tids_cap;

	/* the latest quiesce of this connection */
	int quiesce_seen, quiesce_ok;

	/* the latest reference fs snapshot, sorted by nodeid */
	struct fc_fs_inode *snap;
	size_t nsnap, snap_cap;
	int snap_seen;

	struct undo_rec undo[UNDO_RECORDS];
	size_t undo_next;
	struct undo_rec *cur_undo;  /* record of the reply being applied */

	uint64_t forget_uniques[FORGET_UNIQUES];
	size_t forget_next;

	/* the latest reply no request awaited: the kernel's ENOENT for it
	 * (FC_EV_REPLY_REJECTED) makes it PR-UNKNOWN-UNIQUE */
	uint64_t orphan_unique, orphan_seq;

	struct ring_ev ring[EXCERPT_EVENTS];
	size_t ring_next, ring_count;
};

/* --- notes and violations ---------------------------------------------- */

/* A note names the scenario it belongs to, as "file: ...". */
static void note(struct fc_checker *c, const char *fmt, ...)
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

static void violate(struct fc_checker *c, const char *rule_id,
		    uint64_t nodeid, uint32_t line, uint64_t seq,
		    uint64_t seq_ref, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void violate(struct fc_checker *c, const char *rule_id,
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

	violate(c, lock_rule(cf->rule)->id, cf->nodeid, cf->line, cf->seq,
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
static uint32_t line_of(struct fc_checker *c, uint32_t tid)
{
	uint32_t *l;

	if (!tid)
		return 0;
	l = tid_slot(c, tid, 0);
	return l ? *l : 0;
}

/* --- rejected replies ---------------------------------------------------- */

static void undo_add(struct fc_checker *c, uint64_t unique, uint64_t nodeid,
		     uint32_t kind)
{
	struct undo_rec *u = c->cur_undo;

	if (!u) {
		u = &c->undo[c->undo_next];
		c->undo_next = (c->undo_next + 1) % UNDO_RECORDS;
		u->unique = unique;
		u->n = 0;
		c->cur_undo = u;
	}
	if (u->n == u->cap) {
		size_t ncap = u->cap ? u->cap * 2 : 8;
		struct undo_item *n = realloc(u->items, ncap * sizeof(*n));

		if (!n)
			return;
		u->items = n;
		u->cap = ncap;
	}
	u->items[u->n].nodeid = nodeid;
	u->items[u->n].kind = kind;
	u->n++;
}

static void on_rejected(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_ev_reject rj;
	struct ledger_node *n;
	size_t i, k;

	if (ev->len < sizeof(rj))
		return;
	memcpy(&rj, ev->data, sizeof(rj));
	if (rj.error == ENOENT && rj.unique && rj.unique == c->orphan_unique)
		violate(c, "PR-UNKNOWN-UNIQUE", 0, 0, ev->seq, c->orphan_seq,
			"the kernel refused a reply with unique %llu: no "
			"request awaits it (answered already, or never sent)",
			(unsigned long long)rj.unique);
	c->orphan_unique = 0;
	for (i = 0; i < UNDO_RECORDS; i++) {
		struct undo_rec *u = &c->undo[i];

		if (u->unique != rj.unique || !rj.unique)
			continue;
		for (k = 0; k < u->n; k++) {
			n = ledger_find(&c->ledger, u->items[k].nodeid);
			if (!n)
				continue;
			if (u->items[k].kind == UNDO_OPEN) {
				if (n->nopen)
					n->nopen--;
			} else if (n->refs) {
				n->refs--;
				/* the filesystem counted it; the kernel
				 * did not (LF-FS-LEDGER allows for it) */
				n->rejected++;
			}
		}
		u->unique = 0;
		u->n = 0;
		return;
	}
}

/* --- FORGET ------------------------------------------------------------- */

static void remember_forget(struct fc_checker *c, uint64_t unique)
{
	c->forget_uniques[c->forget_next] = unique;
	c->forget_next = (c->forget_next + 1) % FORGET_UNIQUES;
}

static int was_forget(const struct fc_checker *c, uint64_t unique)
{
	size_t i;

	for (i = 0; i < FORGET_UNIQUES; i++)
		if (unique && c->forget_uniques[i] == unique)
			return 1;
	return 0;
}

static void forget(struct fc_checker *c, const struct fc_event *ev,
		   uint64_t nodeid, uint64_t nlookup, uint32_t line)
{
	struct ledger_node *n = ledger_find(&c->ledger, nodeid);
	uint64_t have = n ? n->refs : 0;

	c->forgets++;
	if (nlookup > have)
		violate(c, "LC-FORGET-EXCESS", nodeid, line, ev->seq,
			n ? n->seq_ref : 0,
			"FORGET returns %llu references to nodeid %llu, which "
			"has only %llu outstanding",
			(unsigned long long)nlookup,
			(unsigned long long)nodeid, (unsigned long long)have);
	if (n)
		n->refs = have > nlookup ? have - nlookup : 0;
}

/* --- requests ------------------------------------------------------------ */

/* Requests that carry no nodeid of an inode, or return references. */
static int names_no_inode(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INIT:
	case FUSE_DESTROY:
	case FUSE_INTERRUPT:
	case FUSE_NOTIFY_REPLY:
		return 1;
	default:
		return 0;
	}
}

static void check_referenced(struct fc_checker *c, const struct fc_event *ev,
			     const struct fc_req *rq, uint64_t nodeid,
			     uint32_t line)
{
	struct ledger_node *n = ledger_find(&c->ledger, nodeid);

	if (!nodeid || nodeid == ROOT_ID)
		return;
	if (n && (n->refs ||
		  (n->flags & (LEDGER_F_UNCERTAIN | LEDGER_F_UNREF_SEEN))))
		return;
	n = ledger_get(&c->ledger, nodeid);
	if (!n)
		return;
	n->flags |= LEDGER_F_UNREF_SEEN;
	violate(c, "LC-UNREFERENCED-NODEID", nodeid, line, ev->seq, n->seq_ref,
		"%s names nodeid %llu, which has no outstanding reference "
		"(%s)",
		proto_op_name(rq->opcode), (unsigned long long)nodeid,
		n->seq_ref ? "all its references were forgotten"
			   : "never handed out on this connection");
}

static void on_request(struct fc_checker *c, const struct fc_event *ev)
{
	struct inflight_req *r;
	struct ledger_node *n;
	struct fc_req rq;
	uint64_t nid, nl;
	uint32_t line, i;

	if (proto_decode_request(ev->data, ev->len, &rq))
		return;
	line = line_of(c, rq.pid);

	switch (rq.opcode) {
	case FUSE_FORGET:
		remember_forget(c, rq.unique);
		forget(c, ev, rq.nodeid, rq.nlookup, line);
		return;
	case FUSE_BATCH_FORGET:
		remember_forget(c, rq.unique);
		for (i = 0; i < rq.forget_count; i++) {
			proto_forget_item(&rq, i, &nid, &nl);
			forget(c, ev, nid, nl, line);
		}
		return;
	case FUSE_INIT:
		c->init.kernel_major = rq.major;
		c->init.kernel_minor = rq.minor;
		c->init.kernel_flags = rq.init_flags;
		break;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
		/* counted down when asked: a snapshot may lag, never lead */
		n = ledger_find(&c->ledger, rq.nodeid);
		if (n && n->nopen)
			n->nopen--;
		break;
	default:
		break;
	}

	if (!names_no_inode(rq.opcode)) {
		check_referenced(c, ev, &rq, rq.nodeid, line);
		if (rq.opcode == FUSE_RENAME || rq.opcode == FUSE_RENAME2)
			check_referenced(c, ev, &rq, rq.newdir, line);
		if (rq.opcode == FUSE_LINK)
			check_referenced(c, ev, &rq, rq.oldnodeid, line);
	}

	/* no reply will come: keep it out of the in-flight table */
	if (rq.opcode == FUSE_INTERRUPT ||
	    (rq.op && rq.op->reply == FC_RK_NONE))
		return;
	r = inflight_add(&c->inflight, rq.unique);
	if (!r)
		return;
	r->opcode = rq.opcode;
	r->nodeid = rq.nodeid;
	r->nodeid2 = rq.opcode == FUSE_LINK ? rq.oldnodeid : rq.newdir;
	r->seq = ev->seq;
	r->time_ns = ev->time_ns;
	r->pid = rq.pid;
	r->flags = rq.flags;
	r->mode = rq.mode;
	r->line = line;
	r->scenario = c->scenario;
	if (rq.name || rq.name2)
		inflight_set_names(r, rq.name, rq.name_len, rq.name2,
				   rq.name2_len);
	lock_on_request(c->lock, ev, &rq, line, c->scenario);
}

/* --- replies -------------------------------------------------------------- */

static int valid_type(uint32_t type)
{
	switch (type) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return 1;
	default:
		return 0;
	}
}

/* An entry the filesystem handed out: one reference (LC-ENTRY-REF). */
struct handout {
	uint64_t nodeid, generation, ino;
	uint32_t mode;
	int creates;
	uint64_t parent;        /* 0: do not touch the name map */
	const char *name;
	size_t name_len;
};

static void hand_out(struct fc_checker *c, const struct fc_event *ev,
		     const struct inflight_req *r, const struct handout *h)
{
	uint32_t type = h->mode & S_IFMT;
	struct ledger_node *n = ledger_get(&c->ledger, h->nodeid);
	const char *why = NULL;
	int same_inode_check;

	if (!n)
		return;
	if (!valid_type(type))
		n->flags |= LEDGER_F_UNCERTAIN;  /* fuse_invalid_attr */
	/* the root is fixed at (1, 0) and never replaced (kernel commit
	 * 68ca1b49e430 "fuse: don't unhash root"): only a create reuses it */
	same_inode_check = n->refs && (n->flags & LEDGER_F_TYPED) &&
			   h->nodeid != ROOT_ID;
	if (n->refs && h->creates)
		why = "a request that creates a new inode";
	else if (same_inode_check && type != n->type)
		why = "a different file type";
	else if (same_inode_check && h->generation != n->generation)
		why = "a different generation";
	if (why) {
		uint64_t prev = n->seq_ref, refs = n->refs;

		/* the kernel refuses a type change of a live inode (may
		 * leak the reference): no balance can be expected */
		if ((n->flags & LEDGER_F_TYPED) && type != n->type)
			n->flags |= LEDGER_F_UNCERTAIN;
		violate(c, "LC-NODEID-REUSE", h->nodeid, r->line, ev->seq,
			prev,
			"%s hands out nodeid %llu (%s) while it still has "
			"%llu outstanding references from an earlier inode",
			proto_op_name(r->opcode),
			(unsigned long long)h->nodeid, why,
			(unsigned long long)refs);
		n = ledger_find(&c->ledger, h->nodeid);
	}
	n->refs++;
	n->type = type;
	n->generation = h->generation;
	n->ino = h->ino;
	n->flags |= LEDGER_F_TYPED;
	n->seq_ref = ev->seq;
	undo_add(c, r->unique, h->nodeid, UNDO_REF);
	if (h->parent && h->name_len)
		ledger_add_name(&c->ledger, h->nodeid, h->parent, h->name,
				h->name_len);
}

static int is_dot_name(const char *s, size_t len)
{
	return (len == 1 && s[0] == '.') ||
	       (len == 2 && s[0] == '.' && s[1] == '.');
}

/* The file type the kernel requires of a new entry: create_new_entry()
 * (fs/fuse/dir.c) refuses a type other than the one asked for, and
 * fuse_create_open() anything but a regular file, without a FORGET.
 * 0: any valid type. */
static uint32_t expected_type(struct fc_checker *c,
			      const struct inflight_req *r)
{
	const struct ledger_node *old;

	switch (r->opcode) {
	case FUSE_MKDIR:
		return S_IFDIR;
	case FUSE_SYMLINK:
		return S_IFLNK;
	case FUSE_CREATE:
	case FUSE_TMPFILE:
		return S_IFREG;
	case FUSE_MKNOD:
		return r->mode & S_IFMT;
	case FUSE_LINK:
		old = ledger_find(&c->ledger, r->nodeid2);
		return old && (old->flags & LEDGER_F_TYPED) ? old->type : 0;
	default:
		return 0;
	}
}

static void reply_entry(struct fc_checker *c, const struct fc_event *ev,
			const struct inflight_req *r, const struct fc_reply *rp)
{
	const struct fc_op_info *op = proto_op(r->opcode);
	struct handout h = { 0 };
	uint32_t want = expected_type(c, r);
	struct ledger_node *n;

	if (!rp->has_entry || !rp->entry.nodeid)
		return;		/* nodeid 0: a negative entry */
	h.nodeid = rp->entry.nodeid;
	h.generation = rp->entry.generation;
	h.ino = rp->entry.attr.ino;
	h.mode = rp->entry.attr.mode;
	h.creates = op && op->creates;
	/* LOOKUP "." / ".." (FUSE_EXPORT_SUPPORT) counts but names nothing;
	 * TMPFILE has no name */
	if (r->name_len && !is_dot_name(inflight_name(r), r->name_len)) {
		h.parent = r->nodeid;
		h.name = inflight_name(r);
		h.name_len = r->name_len;
	}
	/* LINK: the type the old inode had before this reply */
	if (want && (h.mode & S_IFMT) != want) {
		n = ledger_get(&c->ledger, h.nodeid);
		if (n)
			n->flags |= LEDGER_F_UNCERTAIN;
	}
	hand_out(c, ev, r, &h);
	n = ledger_find(&c->ledger, h.nodeid);
	if (rp->has_open && n) {
		n->nopen++;
		undo_add(c, r->unique, h.nodeid, UNDO_OPEN);
	}
}

static void reply_open(struct fc_checker *c, const struct fc_event *ev,
		       const struct inflight_req *r, const struct fc_reply *rp)
{
	struct ledger_node *n = ledger_get(&c->ledger, r->nodeid);

	if (!n)
		return;
	n->nopen++;
	undo_add(c, r->unique, r->nodeid, UNDO_OPEN);
}

static void reply_direntplus(struct fc_checker *c, const struct fc_event *ev,
			     const struct inflight_req *r,
			     const struct fc_reply *rp)
{
	struct fc_dirent d;
	size_t pos = 0;

	/* entries before a malformed one were linked by the kernel
	 * (fs/fuse/readdir.c parse_dirplusfile stops there) */
	while (proto_dirent_next(rp->body, rp->body_len, 1, &pos, &d) == 1) {
		struct handout h = { 0 };

		/* fuse_direntplus_link: nodeid 0, "." and ".." take none */
		if (!d.nodeid || d.is_dot)
			continue;
		h.nodeid = d.nodeid;
		h.generation = d.generation;
		h.ino = d.ino;
		h.mode = d.mode;
		h.parent = r->nodeid;
		h.name = d.name;
		h.name_len = d.name_len;
		hand_out(c, ev, r, &h);
	}
}

static void reply_name_gone(struct fc_checker *c, const struct fc_event *ev,
			    const struct inflight_req *r,
			    const struct fc_reply *rp)
{
	uint64_t id = ledger_lookup_name(&c->ledger, r->nodeid,
					 inflight_name(r), r->name_len);

	if (id)
		ledger_unlink_name(&c->ledger, id);
}

static void reply_rename(struct fc_checker *c, const struct fc_event *ev,
			 const struct inflight_req *r,
			 const struct fc_reply *rp)
{
	uint64_t olddir = r->nodeid, newdir = r->nodeid2;
	const char *on = inflight_name(r), *nn = inflight_name2(r);
	uint64_t src = ledger_lookup_name(&c->ledger, olddir, on, r->name_len);
	uint64_t dst = ledger_lookup_name(&c->ledger, newdir, nn,
					  r->name2_len);

	if (r->opcode == FUSE_RENAME2 && (r->flags & FC_RENAME_EXCHANGE)) {
		/* both names stay, their inodes swap */
		if (src)
			ledger_unlink_name(&c->ledger, src);
		if (dst)
			ledger_unlink_name(&c->ledger, dst);
		if (src)
			ledger_set_name(&c->ledger, src, newdir, nn,
					r->name2_len);
		if (dst)
			ledger_set_name(&c->ledger, dst, olddir, on,
					r->name_len);
		return;
	}
	if (dst && dst != src)
		ledger_unlink_name(&c->ledger, dst);  /* renamed over */
	if (src)
		ledger_set_name(&c->ledger, src, newdir, nn, r->name2_len);
}

typedef void (*reply_fn)(struct fc_checker *c, const struct fc_event *ev,
			 const struct inflight_req *r,
			 const struct fc_reply *rp);

/* What a successful reply does to the ledger, by reply kind ... */
static const reply_fn reply_by_kind[] = {
	[FC_RK_ENTRY] = reply_entry,
	[FC_RK_CREATE] = reply_entry,
	[FC_RK_OPEN] = reply_open,
	[FC_RK_DIRENTPLUS] = reply_direntplus,
};

/* ... and by opcode, for replies that change only the name map. */
static const reply_fn reply_by_opcode[] = {
	[FUSE_UNLINK] = reply_name_gone,
	[FUSE_RMDIR] = reply_name_gone,
	[FUSE_RENAME] = reply_rename,
	[FUSE_RENAME2] = reply_rename,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* PR-* rules on a reply with error 0 that the kernel takes but cannot
 * use as sent (docs/rules.md). */
static void check_garbage(struct fc_checker *c, const struct fc_event *ev,
			  const struct inflight_req *r)
{
	const unsigned char *body = ev->data + sizeof(struct fuse_out_header);
	size_t len = ev->len - sizeof(struct fuse_out_header);
	struct fuse_entry_out eo;
	char why[256];

	switch (r->opcode) {
	case FUSE_INIT:
		if (garbage_init_size(body, len, why, sizeof(why)))
			violate(c, "PR-INIT-SIZE", 0, r->line, ev->seq,
				r->seq, "%s", why);
		return;
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
		/* the log keeps READDIR bodies whole (proto_log_len_reply) */
		if (garbage_dirents(body, len, r->opcode == FUSE_READDIRPLUS,
				    why, sizeof(why)))
			violate(c, "PR-DIRENT", r->nodeid, r->line, ev->seq,
				r->seq, "%s reply: %s",
				proto_op_name(r->opcode), why);
		return;
	default:
		if (len < sizeof(eo))
			return;
		memcpy(&eo, body, sizeof(eo));
		if (garbage_entry_nodeid(r->opcode, eo.nodeid))
			violate(c, "PR-ENTRY-NODEID", r->nodeid, r->line,
				ev->seq, r->seq, "%s of '%s' answered with "
				"a positive entry of nodeid 0",
				proto_op_name(r->opcode), inflight_name(r));
		return;
	}
}

static void on_reply(struct fc_checker *c, const struct fc_event *ev)
{
	const struct fc_op_info *op;
	struct fuse_out_header oh;
	struct inflight_req *r;
	struct fc_reply rp;
	reply_fn fn = NULL;

	if (ev->len < sizeof(oh))
		return;
	memcpy(&oh, ev->data, sizeof(oh));
	r = inflight_find(&c->inflight, oh.unique);
	if (oh.len != (ev->orig_len ? ev->orig_len : ev->len)) {
		/* the kernel refuses it (EINVAL) before any lookup; the tap
		 * stops relaying (the session breaks) */
		violate(c, "PR-REPLY-LENGTH", r ? r->nodeid : 0,
			r ? r->line : 0, ev->seq, r ? r->seq : 0,
			"reply to %s unique %llu says %u bytes in its header "
			"but its message has %u",
			r ? proto_op_name(r->opcode) : "an unknown request",
			(unsigned long long)oh.unique, oh.len,
			ev->orig_len ? ev->orig_len : ev->len);
		return;
	}
	if (garbage_error(oh.error)) {
		/* refused before the kernel looks for the request: it still
		 * waits, so it stays in flight */
		violate(c, "PR-REPLY-ERROR", r ? r->nodeid : 0,
			r ? r->line : 0, ev->seq, r ? r->seq : 0,
			"reply to %s unique %llu carries error %d, outside "
			"-511..0",
			r ? proto_op_name(r->opcode) : "an unknown request",
			(unsigned long long)oh.unique, oh.error);
		return;
	}
	if (!r) {
		if (was_forget(c, oh.unique))
			violate(c, "LC-FORGET-REPLY", 0, 0, ev->seq, 0,
				"the filesystem replied to unique %llu, a "
				"FORGET, which takes no reply",
				(unsigned long long)oh.unique);
		else if (!(oh.unique & FC_INT_REQ_BIT)) {
			c->orphan_unique = oh.unique;
			c->orphan_seq = ev->seq;
		}
		return;
	}
	if (!oh.error)
		check_garbage(c, ev, r);
	op = proto_op(r->opcode);
	if (!proto_decode_reply(r->opcode, ev->data, ev->len,
				ev->orig_len ? ev->orig_len : ev->len, &rp) &&
	    !rp.error) {
		c->cur_undo = NULL;
		if (op && op->reply < NELEM(reply_by_kind))
			fn = reply_by_kind[op->reply];
		if (!fn && r->opcode < NELEM(reply_by_opcode))
			fn = reply_by_opcode[r->opcode];
		if (fn)
			fn(c, ev, r, &rp);
		if (rp.has_init) {
			c->init.seen = 1;
			c->init.major = rp.major;
			c->init.minor = rp.minor;
			c->init.flags = rp.init_flags;
			c->init.max_write = rp.max_write;
			c->init.max_pages = rp.max_pages;
			c->init.max_readahead = rp.max_readahead;
		}
		c->cur_undo = NULL;
		lock_on_reply(c->lock, r, inflight_name(r), inflight_name2(r),
			      &rp);
	} else {
		lock_on_reply(c->lock, r, NULL, NULL, NULL);
	}
	inflight_remove(&c->inflight, r);
}

static void on_notify(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_notify nt;
	uint64_t id;

	if (proto_decode_notify(ev->data, ev->len, &nt) ||
	    nt.code != FUSE_NOTIFY_DELETE)
		return;
	/* the filesystem says the name is gone */
	id = ledger_lookup_name(&c->ledger, nt.parent, nt.name, nt.name_len);
	if (id && id == nt.child)
		ledger_unlink_name(&c->ledger, id);
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
	violate(c, rule_find(rule) ? rule : "SCN-EXPECT", 0, x.line, ev->seq,
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

/* --- quiesce and ledger assertions --------------------------------------- */

static void judge_balance(struct fc_checker *c, const struct fc_event *ev,
			  uint32_t line, const char *when)
{
	struct ledger_node *n;
	size_t pos = 0;
	char path[PATH_BYTES];

	while ((n = ledger_next(&c->ledger, &pos))) {
		if (n->nodeid == ROOT_ID || !n->refs)
			continue;
		if (n->flags & LEDGER_F_UNCERTAIN) {
			ledger_path(&c->ledger, n->nodeid, path, sizeof(path));
			note(c, "%s at line %u: nodeid %llu (%s) keeps %llu "
				"references but the kernel may have refused "
				"its entry: not judged", when, line,
			     (unsigned long long)n->nodeid, path,
			     (unsigned long long)n->refs);
			continue;
		}
		/* one report per leak, not per quiesce/balanced point */
		if (n->leak_seq == n->seq_ref)
			continue;
		n->leak_seq = n->seq_ref;
		violate(c, "LC-QUIESCE-BALANCE", n->nodeid, line, ev->seq,
			n->seq_ref,
			"nodeid %llu still has %llu outstanding references "
			"after %s",
			(unsigned long long)n->nodeid,
			(unsigned long long)n->refs, when);
	}
}

static void on_quiesce(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_ev_quiesce q = { 0 };
	const char *why = NULL;

	if (ev->len < FC_EV_QUIESCE_MIN)
		return;
	memcpy(&q, ev->data, ev->len < sizeof(q) ? ev->len : sizeof(q));
	if (q.method != FC_QUIESCE_DROP_CACHES &&
	    q.method != FC_QUIESCE_NOTIFY)
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
			note(c, "quiesce at line %u not judged: %s", q.line,
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
		if ((n->flags & LEDGER_F_TYPED) && n->ino == ino &&
		    (!best || n->seq_ref > best->seq_ref))
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

static void on_check(struct fc_checker *c, const struct fc_event *ev)
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
			note(c, "balanced at line %u not judged: the last "
				"quiesce was not complete", k.line);
			return;
		}
		judge_balance(c, ev, k.line, "`balanced`");
		return;
	case FC_CHECK_OUTSTANDING:
		n = node_of_ino(c, k.ino);
		have = n ? n->refs : 0;
		if (n && (n->flags & LEDGER_F_UNCERTAIN)) {
			note(c, "outstanding at line %u not judged: nodeid "
				"%llu is uncertain", k.line,
			     (unsigned long long)n->nodeid);
			return;
		}
		if (have != k.expect)
			violate(c, "LC-OUTSTANDING", n ? n->nodeid : 0, k.line,
				ev->seq, n ? n->seq_ref : 0,
				"inode %llu has %llu outstanding references, "
				"the scenario expects %llu",
				(unsigned long long)k.ino,
				(unsigned long long)have,
				(unsigned long long)k.expect);
		return;
	case FC_CHECK_ALIVE:
	case FC_CHECK_FREED:
		if (!c->snap_seen) {
			note(c, "%s at line %u not judged: no reference fs "
				"snapshot", k.kind == FC_CHECK_ALIVE ?
				"alive" : "freed", k.line);
			return;
		}
		fi = snap_by_ino(c, k.ino);
		n = node_of_ino(c, k.ino);
		if (k.kind == FC_CHECK_ALIVE && !fi)
			violate(c, "LF-ALIVE", n ? n->nodeid : 0, k.line,
				ev->seq, 0,
				"inode %llu is gone from the reference "
				"filesystem, the scenario expects it alive",
				(unsigned long long)k.ino);
		if (k.kind == FC_CHECK_FREED && fi)
			violate(c, "LF-FREED", fi->nodeid, k.line, ev->seq, 0,
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

/* The reference fs's own ledger against the wire.  In transit the fs can
 * only be ahead of the wire (it counts a lookup before its reply is
 * logged, and a FORGET after it is logged), so fs < wire is always a
 * violation, and fs > wire only when nothing can be in transit: a
 * snapshot at the end of a full, settled quiesce. */
static void on_fs_ledger(struct fc_checker *c, const struct fc_event *ev)
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
	if (h.count > c->snap_cap) {
		struct fc_fs_inode *s = realloc(c->snap, h.count * sizeof(*s));

		if (!s)
			return;
		c->snap = s;
		c->snap_cap = h.count;
	}
	if (h.count)
		memcpy(c->snap, (const char *)ev->data + sizeof(h),
		       h.count * sizeof(*c->snap));
	c->nsnap = h.count;
	c->snap_seen = 1;
	if (c->nsnap)	/* snap is still NULL after an empty first one */
		qsort(c->snap, c->nsnap, sizeof(*c->snap), cmp_inode);

	quiet = h.line == 0 && c->quiesce_ok;
	if (inflight_count(&c->inflight)) {
		note(c, "reference fs ledger at line %u: %zu requests in "
			"flight, nlookup not compared", h.line,
		     inflight_count(&c->inflight));
	} else {
		for (i = 0; i < c->nsnap; i++) {
			const struct fc_fs_inode *fi = &c->snap[i];
			uint64_t wire, slack;

			if (fi->nodeid == ROOT_ID)
				continue;
			n = ledger_find(&c->ledger, fi->nodeid);
			wire = n ? n->refs : 0;
			/* references of rejected replies: the fs counted
			 * them, the kernel never got them */
			slack = n ? n->rejected : 0;
			if (fi->nlookup < wire ||
			    (quiet && fi->nlookup > wire + slack))
				violate(c, "LF-FS-LEDGER", fi->nodeid, h.line,
					ev->seq, n ? n->seq_ref : 0,
					"the reference filesystem counts "
					"%llu lookups of nodeid %llu, the "
					"wire %llu",
					(unsigned long long)fi->nlookup,
					(unsigned long long)fi->nodeid,
					(unsigned long long)wire);
		}
	}

	while ((n = ledger_next(&c->ledger, &pos))) {
		if (n->nodeid == ROOT_ID || (!n->refs && !n->nopen))
			continue;
		if (snap_by_nodeid(c, n->nodeid))
			continue;
		violate(c, "LF-FREED-REFERENCED", n->nodeid, h.line, ev->seq,
			n->seq_ref,
			"the reference filesystem freed nodeid %llu while "
			"the kernel %s",
			(unsigned long long)n->nodeid,
			n->refs ? "still references it" : "holds it open");
	}

	if (h.line != 0)
		return;
	if (!c->quiesce_ok) {
		note(c, "reference fs ledger at quiesce: the quiesce was not "
			"complete, leaks not judged");
		return;
	}
	for (i = 0; i < c->nsnap; i++) {
		const struct fc_fs_inode *fi = &c->snap[i];

		if (fi->nodeid == ROOT_ID || fi->nlookup || fi->nlink ||
		    fi->nopen)
			continue;
		n = ledger_find(&c->ledger, fi->nodeid);
		violate(c, "LF-NOT-FREED", fi->nodeid, 0, ev->seq,
			n ? n->seq_ref : 0,
			"inode %llu (nodeid %llu) has no lookups, links or "
			"open handles but the reference filesystem keeps it",
			(unsigned long long)fi->ino,
			(unsigned long long)fi->nodeid);
	}
}

/* --- feed ------------------------------------------------------------------ */

typedef void (*event_fn)(struct fc_checker *c, const struct fc_event *ev);

static const event_fn handlers[FC_EV_KIND_MAX] = {
	[FC_EV_REQUEST] = on_request,
	[FC_EV_REPLY] = on_reply,
	[FC_EV_NOTIFY] = on_notify,
	[FC_EV_REPLY_REJECTED] = on_rejected,
	[FC_EV_MOUNT] = on_mount,
	[FC_EV_UNMOUNT] = on_unmount,
	[FC_EV_SCENARIO] = on_scenario,
	[FC_EV_MARK] = on_mark,
	[FC_EV_QUIESCE] = on_quiesce,
	[FC_EV_CHECK] = on_check,
	[FC_EV_FS_LEDGER] = on_fs_ledger,
	[FC_EV_INIT_CAP] = on_init_cap,
	[FC_EV_EXPECT] = on_expect,
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
	free(c->snap);
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

const struct fc_init_info *checker_init(const struct fc_checker *c)
{
	return &c->init;
}

int checker_named_refs(const struct fc_checker *c, struct ledger_name **out,
		       size_t *n)
{
	return ledger_named_refs(&c->ledger, out, n);
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

const struct inflight *checker_inflight_table(const struct fc_checker *c)
{
	return &c->inflight;
}

const struct lock_checker *checker_lock(const struct fc_checker *c)
{
	return c ? c->lock : NULL;
}
