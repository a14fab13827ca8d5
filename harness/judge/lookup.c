/* judge/lookup.c - the wire ledger as messages pass: every reply that
 * hands the kernel an entry adds a reference, every FORGET returns some,
 * a reply the kernel rejected is undone (LC-FORGET-EXCESS,
 * LC-UNREFERENCED-NODEID, LC-NODEID-REUSE, LC-FORGET-REPLY).  Each reply
 * is first judged for malformation (PR-*, judge/malformed.c) and counting
 * stops where that does.  Sources: docs/rules.md, "Lookup counts" and
 * "Protocol". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "judge/checker_int.h"
#include "judge/malformed.h"
#include "wire/evfmt.h"

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

void lc_on_rejected(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_ev_reject rj;
	struct ledger_node *n;
	size_t i, k;

	if (ev->len < sizeof(rj))
		return;
	memcpy(&rj, ev->data, sizeof(rj));
	if (rj.error == ENOENT && rj.unique && rj.unique == c->orphan_unique)
		ck_violate(c, "PR-UNKNOWN-UNIQUE", 0, 0, ev->seq, c->orphan_seq,
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
				ledger_count_open(&c->ledger, n, -1);
			} else if (n->refs) {
				n->refs--;
				c->st.handed--;
				watch_count(c, ledger_ino(&c->ledger, n), -1, 0);
				/* the filesystem counted it; the kernel
				 * did not (LF-FS-LEDGER allows for it) */
				ledger_count_rejected(&c->ledger, n);
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
	c->st.returned += nlookup;
	if (nlookup > have)
		ck_violate(c, "LC-FORGET-EXCESS", nodeid, line, ev->seq,
			n ? ledger_seq_ref(&c->ledger, n) : 0,
			"FORGET returns %llu references to nodeid %llu, which "
			"has only %llu outstanding",
			(unsigned long long)nlookup,
			(unsigned long long)nodeid, (unsigned long long)have);
	if (n) {
		n->refs = have > nlookup ? have - nlookup : 0;
		watch_count(c, ledger_ino(&c->ledger, n), 0, nlookup);
	}
}

/* --- requests ------------------------------------------------------------ */

static int is_dot_name(const char *s, size_t len)
{
	return (len == 1 && s[0] == '.') ||
	       (len == 2 && s[0] == '.' && s[1] == '.');
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
	ck_violate(c, "LC-UNREFERENCED-NODEID", nodeid, line, ev->seq,
		ledger_seq_ref(&c->ledger, n),
		"%s names nodeid %llu, which has no outstanding reference "
		"(%s)",
		proto_op_name(rq->opcode), (unsigned long long)nodeid,
		ledger_handed_out(n) ? "all its references were forgotten"
			   : "never handed out on this connection");
}

/* A LOOKUP of a name some reply made positive (an entry, a READDIRPLUS
 * entry, a rename's target) may come from d_revalidate; the ledger
 * indexes exactly those names, and remembers the ones that left. */
static unsigned lock_hints(const struct fc_checker *c, const struct fc_req *rq,
			   uint64_t key)
{
	if (rq->opcode == FUSE_LOOKUP && key &&
	    ledger_name_seen_keyed(&c->ledger, rq->nodeid, rq->name,
				   rq->name_len, key))
		return LOCK_HINT_NAME_SEEN;
	return 0;
}

void lc_on_request(struct fc_checker *c, const struct fc_event *ev)
{
	struct inflight_req *r;
	struct ledger_node *n;
	struct fc_req rq;
	uint64_t nid, nl, key;
	uint32_t line, i;
	int export_dot;

	if (proto_decode_request(ev->data, ev->len, &rq))
		return;
	line = ck_line_of(c, rq.pid);

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
		if (n)
			ledger_count_open(&c->ledger, n, -1);
		break;
	default:
		break;
	}

	/* LOOKUP "." / ".." come from the export operations
	 * (fs/fuse/inode.c fuse_get_dentry, fuse_get_parent): a file
	 * handle names a nodeid the kernel may have forgotten, and asking
	 * the filesystem for it again is the point */
	export_dot = rq.opcode == FUSE_LOOKUP && rq.name &&
		     is_dot_name(rq.name, rq.name_len);
	if (!export_dot && (!rq.op || !rq.op->no_inode)) {
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
	/* keyed once here; the reply asks the ledger about the name again
	 * by the record (which keeps it unless memory ran out) */
	key = rq.name && rq.name_len ?
	      u64tab_name_key(rq.nodeid, rq.name, rq.name_len) : 0;
	if (r->name_len == rq.name_len)
		r->name_key = key;
	lock_on_request(c->lock, ev, &rq, lock_hints(c, &rq, key), line,
			c->scenario);
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
	uint64_t name_key;      /* of (parent, name); 0: not yet known */
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
	else if (same_inode_check && type != ledger_type(n))
		why = "a different file type";
	else if (same_inode_check &&
		 h->generation != ledger_generation(&c->ledger, n))
		why = "a different generation";
	if (why) {
		uint64_t prev = ledger_seq_ref(&c->ledger, n), refs = n->refs;

		/* the kernel refuses a type change of a live inode (may
		 * leak the reference): no balance can be expected */
		if ((n->flags & LEDGER_F_TYPED) && type != ledger_type(n))
			n->flags |= LEDGER_F_UNCERTAIN;
		ck_violate(c, "LC-NODEID-REUSE", h->nodeid, r->line, ev->seq,
			prev,
			"%s hands out nodeid %llu (%s) while it still has "
			"%llu outstanding references from an earlier inode",
			proto_op_name(r->opcode),
			(unsigned long long)h->nodeid, why,
			(unsigned long long)refs);
		n = ledger_find(&c->ledger, h->nodeid);
	}
	ledger_add_ref(n);
	c->st.handed++;
	watch_count(c, h->ino, 1, 0);
	ledger_set_type(n, type);
	if (ledger_set_identity(&c->ledger, n, h->ino, h->generation))
		n->flags |= LEDGER_F_UNCERTAIN;	/* out of memory */
	n->flags |= LEDGER_F_TYPED;
	n->flags &= (uint16_t)~LEDGER_F_LEAK_TOLD;
	ledger_set_seq_ref(&c->ledger, n, ev->seq);
	undo_add(c, r->unique, h->nodeid, UNDO_REF);
	if (h->parent && h->name_len && h->name_key)
		ledger_add_name_keyed(&c->ledger, h->nodeid, h->parent,
				      h->name, h->name_len, h->name_key);
	else if (h->parent && h->name_len)
		ledger_add_name(&c->ledger, h->nodeid, h->parent, h->name,
				h->name_len);
}

/* The file type the kernel requires of a new entry: create_new_entry()
 * (fs/fuse/dir.c) refuses a type other than the one asked for, and
 * fuse_create_open() anything but a regular file, without a FORGET.
 * 0: any valid type. */
static uint32_t expected_type(struct fc_checker *c,
			      const struct inflight_req *r)
{
	const struct fc_op_info *op = proto_op(r->opcode);
	const struct ledger_node *old;

	if (!op)
		return 0;
	if (op->made_type == FC_MADE_FROM_MODE)
		return r->mode & S_IFMT;
	if (op->made_type == FC_MADE_AS_OLD) {
		old = ledger_find(&c->ledger, r->nodeid2);
		return old && (old->flags & LEDGER_F_TYPED) ?
		       ledger_type(old) : 0;
	}
	return op->made_type;
}

/* A request in flight now that may change names in directory `dir`. */
static int dir_changing(const struct fc_checker *c, uint64_t dir)
{
	const struct fc_op_info *op;
	struct inflight_req *q;
	size_t pos = 0;

	while ((q = inflight_next(&c->inflight, &pos))) {
		op = proto_op(q->opcode);
		if (op && ((op->lock == FC_LK_PARENT_EXCL && q->nodeid == dir) ||
			   (op->lock == FC_LK_PARENTS_EXCL &&
			    (q->nodeid == dir || q->nodeid2 == dir))))
			return 1;
	}
	return 0;
}

/* LC-NODEID-UNSTABLE: the name (parent, name) led to `old` on the wire,
 * the kernel still holds `old`, and this LOOKUP says `nodeid`.  Judged
 * only when nothing could have changed the name while the LOOKUP was
 * on its way: no directory-changing reply or notification since its
 * request, none in flight in that directory now. */
static void check_stable(struct fc_checker *c, const struct fc_event *ev,
			 const struct inflight_req *r, uint64_t nodeid)
{
	const char *name = inflight_name(r);
	const struct ledger_node *o;
	uint64_t old;

	old = ledger_lookup_name_keyed(&c->ledger, r->nodeid, name,
				       r->name_len, r->name_key);
	o = old ? ledger_find(&c->ledger, old) : NULL;
	if (!o || !o->refs || (o->flags & LEDGER_F_UNCERTAIN))
		return;
	if (old == nodeid) {
		c->st.relookups++;
		return;
	}
	if (c->names_changed_seq > r->seq || dir_changing(c, r->nodeid))
		return;
	c->st.relookups++;
	/* named by the nodeid the kernel holds: its path is the name's */
	ck_violate(c, "LC-NODEID-UNSTABLE", old, r->line, ev->seq,
		   ledger_seq_ref(&c->ledger, o),
		   "LOOKUP of \"%.*s\" in nodeid %llu returns nodeid %llu, "
		   "but the name leads to nodeid %llu, which the kernel "
		   "still holds (%llu references) and nothing renamed or "
		   "removed it: the kernel forgets the new nodeid and drops "
		   "its dentry", (int)(r->name_len > 255 ? 255 : r->name_len),
		   name, (unsigned long long)r->nodeid,
		   (unsigned long long)nodeid, (unsigned long long)old,
		   (unsigned long long)o->refs);
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
		h.name_key = r->name_key;
	}
	if (r->opcode == FUSE_LOOKUP && h.parent)
		check_stable(c, ev, r, h.nodeid);
	/* LINK: the type the old inode had before this reply */
	if (want && (h.mode & S_IFMT) != want) {
		n = ledger_get(&c->ledger, h.nodeid);
		if (n)
			n->flags |= LEDGER_F_UNCERTAIN;
	}
	hand_out(c, ev, r, &h);
	n = ledger_find(&c->ledger, h.nodeid);
	if (rp->has_open && n) {
		ledger_count_open(&c->ledger, n, 1);
		undo_add(c, r->unique, h.nodeid, UNDO_OPEN);
	}
}

static void reply_open(struct fc_checker *c, const struct fc_event *ev,
		       const struct inflight_req *r, const struct fc_reply *rp)
{
	struct ledger_node *n = ledger_get(&c->ledger, r->nodeid);

	if (!n)
		return;
	ledger_count_open(&c->ledger, n, 1);
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
	uint64_t id = r->name_key ?
		      ledger_lookup_name_keyed(&c->ledger, r->nodeid,
					       inflight_name(r), r->name_len,
					       r->name_key) : 0;

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
		else
			ledger_name_saw(&c->ledger, newdir, nn, r->name2_len);
		if (dst)
			ledger_set_name(&c->ledger, dst, olddir, on,
					r->name_len);
		else
			ledger_name_saw(&c->ledger, olddir, on, r->name_len);
		return;
	}
	if (dst && dst != src)
		ledger_unlink_name(&c->ledger, dst);  /* renamed over */
	if (src)
		ledger_set_name(&c->ledger, src, newdir, nn, r->name2_len);
	else {	/* a dentry the wire never showed: its names, as seen */
		ledger_name_saw(&c->ledger, olddir, on, r->name_len);
		ledger_name_saw(&c->ledger, newdir, nn, r->name2_len);
	}
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
			ck_violate(c, "PR-INIT-SIZE", 0, r->line, ev->seq,
				r->seq, "%s", why);
		return;
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
		/* the log keeps READDIR bodies whole (proto_log_len_reply) */
		if (garbage_dirents(body, len, r->opcode == FUSE_READDIRPLUS,
				    why, sizeof(why)))
			ck_violate(c, "PR-DIRENT", r->nodeid, r->line, ev->seq,
				r->seq, "%s reply: %s",
				proto_op_name(r->opcode), why);
		return;
	default:
		if (len < sizeof(eo))
			return;
		memcpy(&eo, body, sizeof(eo));
		if (garbage_entry_nodeid(r->opcode, eo.nodeid))
			ck_violate(c, "PR-ENTRY-NODEID", r->nodeid, r->line,
				ev->seq, r->seq, "%s of '%s' answered with "
				"a positive entry of nodeid 0",
				proto_op_name(r->opcode), inflight_name(r));
		return;
	}
}

void lc_on_reply(struct fc_checker *c, const struct fc_event *ev)
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
		ck_violate(c, "PR-REPLY-LENGTH", r ? r->nodeid : 0,
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
		ck_violate(c, "PR-REPLY-ERROR", r ? r->nodeid : 0,
			r ? r->line : 0, ev->seq, r ? r->seq : 0,
			"reply to %s unique %llu carries error %d, outside "
			"-511..0",
			r ? proto_op_name(r->opcode) : "an unknown request",
			(unsigned long long)oh.unique, oh.error);
		return;
	}
	if (!r) {
		if (was_forget(c, oh.unique))
			ck_violate(c, "LC-FORGET-REPLY", 0, 0, ev->seq, 0,
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
	if (op && (op->lock == FC_LK_PARENT_EXCL ||
		   op->lock == FC_LK_PARENTS_EXCL))
		c->names_changed_seq = ev->seq;
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
		lock_on_reply(c->lock, r, &rp);
	} else {
		lock_on_reply(c->lock, r, NULL);
	}
	inflight_remove(&c->inflight, r);
}

void lc_on_notify(struct fc_checker *c, const struct fc_event *ev)
{
	struct fc_notify nt;
	uint64_t id;

	if (proto_decode_notify(ev->data, ev->len, &nt))
		return;
	/* the filesystem says something changed that the wire did not
	 * show: a LOOKUP in flight may see a new nodeid for a name */
	c->names_changed_seq = ev->seq;
	if (nt.code != FUSE_NOTIFY_DELETE && nt.code != FUSE_NOTIFY_INVAL_ENTRY)
		return;
	/* the filesystem says the name is gone, or may lead elsewhere now */
	id = ledger_lookup_name(&c->ledger, nt.parent, nt.name, nt.name_len);
	if (id && nt.code == FUSE_NOTIFY_INVAL_ENTRY)
		ledger_unindex_name(&c->ledger, id);
	else if (id && id == nt.child)
		ledger_unlink_name(&c->ledger, id);
}

