/* wire/evfmt.c - one readable line per event (see wire/evfmt.h).
 *
 * Wire messages go through the proto_ decoders first, so a malformed one
 * is printed as "(malformed, N bytes)" and never read past its length.
 * Output is ASCII: every name is escaped by util/text.c (printable ASCII kept).
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/text.h"
#include "wire/evfmt.h"
#include "wire/proto.h"

/* How many list items (dirents, forgets, ledger inodes) a line shows. */
#define EVFMT_LIST_MAX 8

/* An append-only view of the caller's buffer: always NUL-terminated,
 * silently truncated. */
struct evout {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct evout *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct evout *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += (size_t)n;
	if (o->len >= o->size)
		o->len = o->size - 1;
}

/* "escaped" */
static void put_quoted(struct evout *o, const char *s, size_t len)
{
	put(o, "\"");
	if (o->len + 1 < o->size) {
		text_escape(s, len, TEXT_ASCII | TEXT_QUOTES, o->buf + o->len,
			    o->size - o->len);
		o->len += strlen(o->buf + o->len);
	}
	put(o, "\"");
}

/* key="escaped" */
static void put_str(struct evout *o, const char *key, const char *s,
		    size_t len)
{
	put(o, " %s=", key);
	put_quoted(o, s, len);
}

/* A 32-bit header field at `off`, read only when the message has it. */
static int peek_u32(const struct fc_event *ev, size_t off, uint32_t *v)
{
	if (!ev->data || ev->len < off + sizeof(*v))
		return -EPROTO;
	memcpy(v, (const char *)ev->data + off, sizeof(*v));
	return 0;
}

static void put_errno(struct evout *o, const char *key, int32_t err)
{
	const char *name = NULL;

	/* range first: -INT32_MIN does not exist (a logged reply can hold
	 * any error) */
	if (err != 0 && err > -4096 && err < 4096)
		name = strerrorname_np(err < 0 ? -err : err);
	put(o, " %s=%d", key, err);
	if (name)
		put(o, " (%s)", name);
}

static void put_opname(struct evout *o, uint32_t opcode)
{
	if (proto_op(opcode))
		put(o, " %s", proto_op_name(opcode));
	else
		put(o, " UNKNOWN(%u)", opcode);
}

static void put_malformed(struct evout *o, size_t len)
{
	put(o, " (malformed, %zu bytes)", len);
}

/* --- requests ------------------------------------------------------- */

static void put_forgets(struct evout *o, const struct fc_req *r)
{
	uint64_t nodeid, nlookup;
	uint32_t i;

	put(o, " count=%u [", r->forget_count);
	for (i = 0; i < r->forget_count && i < EVFMT_LIST_MAX; i++) {
		proto_forget_item(r, i, &nodeid, &nlookup);
		put(o, "%s%llu:%llu", i ? " " : "", (unsigned long long)nodeid,
		    (unsigned long long)nlookup);
	}
	put(o, "%s]", r->forget_count > EVFMT_LIST_MAX ? " ..." : "");
}

static void fmt_request(struct evout *o, const struct fc_event *ev)
{
	struct fc_req r;
	uint32_t f = 0;

	uint32_t opcode;

	if (proto_decode_request(ev->data, ev->len, &r) < 0) {
		if (!peek_u32(ev, offsetof(struct fuse_in_header, opcode),
			      &opcode))
			put_opname(o, opcode);
		put_malformed(o, ev->len);
		return;
	}
	put_opname(o, r.opcode);
	put(o, " unique=%llu nodeid=%llu pid=%u", (unsigned long long)r.unique,
	    (unsigned long long)r.nodeid, r.pid);
	if (r.op)
		f = r.op->fields;

	if (f & FC_RF_OLDNODE)
		put(o, " oldnodeid=%llu", (unsigned long long)r.oldnodeid);
	if (f & FC_RF_NAME)
		put_str(o, "name", r.name, r.name_len);
	if (f & FC_RF_NEWDIR)
		put(o, " newdir=%llu", (unsigned long long)r.newdir);
	if (f & FC_RF_NAME2)
		put_str(o, r.opcode == FUSE_SYMLINK ? "target" : "newname",
			r.name2, r.name2_len);
	if (f & FC_RF_MODE)
		put(o, " mode=0%o", r.mode);
	if (f & FC_RF_FLAGS)
		put(o, " flags=0x%x", r.flags);
	if (f & FC_RF_FH)
		put(o, " fh=%llu", (unsigned long long)r.fh);
	if (f & FC_RF_OFFSET)
		put(o, " offset=%llu", (unsigned long long)r.offset);
	if (f & FC_RF_SIZE)
		put(o, " size=%u", r.size);
	if (f & FC_RF_NLOOKUP)
		put(o, " nlookup=%llu", (unsigned long long)r.nlookup);
	if (f & FC_RF_INTR)
		put(o, " intr_unique=%llu", (unsigned long long)r.intr_unique);
	if (f & FC_RF_INIT)
		put(o, " major=%u minor=%u max_readahead=%u flags=0x%llx",
		    r.major, r.minor, r.max_readahead,
		    (unsigned long long)r.init_flags);
	if (f & FC_RF_FORGETS)
		put_forgets(o, &r);
}

/* --- replies -------------------------------------------------------- */

static void put_dirents(struct evout *o, const struct fc_reply *rp, int plus)
{
	struct fc_dirent d;
	size_t pos = 0, bad_at;
	unsigned n = 0, total = 0;
	int err;

	while ((err = proto_dirent_next(rp->body, rp->body_len, plus, &pos,
					&d)) > 0)
		total++;
	bad_at = pos;
	put(o, " entries=%u [", total);
	pos = 0;
	for (n = 0; n < EVFMT_LIST_MAX; n++) {
		if (proto_dirent_next(rp->body, rp->body_len, plus, &pos,
				      &d) <= 0)
			break;
		if (n)
			put(o, " ");
		if (d.is_dot) {
			put(o, "%s", d.name_len == 1 ? "." : "..");
			continue;
		}
		if (plus)
			put(o, "%llu ", (unsigned long long)d.nodeid);
		put_quoted(o, d.name, d.name_len);
	}
	put(o, "%s]", total > n ? " ..." : "");
	if (err < 0)
		put(o, " (malformed at byte %zu)", bad_at);
}

static void put_init_flags(struct evout *o, uint64_t flags)
{
	const char *sep = "";
	const char *name;
	unsigned bit;

	put(o, " flags=0x%llx <", (unsigned long long)flags);
	for (bit = 0; bit < 64; bit++) {
		if (!(flags & ((uint64_t)1 << bit)))
			continue;
		name = proto_init_flag_name(bit);
		if (name)
			put(o, "%s%s", sep, name);
		else
			put(o, "%sbit%u", sep, bit);
		sep = "|";
	}
	put(o, ">");
}

static void put_attr(struct evout *o, const struct fc_reply *rp)
{
	struct fuse_attr_out ao;

	if (rp->body_len < sizeof(ao))
		return;
	memcpy(&ao, rp->body, sizeof(ao));
	put(o, " ino=%llu mode=0%o size=%llu nlink=%u",
	    (unsigned long long)ao.attr.ino, ao.attr.mode,
	    (unsigned long long)ao.attr.size, ao.attr.nlink);
}

/* what a reply's body says, for the opcodes whose body is a count rather
 * than data: WRITE answers with the bytes written, not their data */
static void put_write_out(struct evout *o, const struct fc_event *ev)
{
	struct fuse_write_out wo;

	if (ev->len < sizeof(struct fuse_out_header) + sizeof(wo))
		return;
	memcpy(&wo, (const char *)ev->data + sizeof(struct fuse_out_header),
	       sizeof(wo));
	put(o, " written=%u", wo.size);
}

static void (*const reply_body[])(struct evout *, const struct fc_event *) = {
	[FUSE_WRITE] = put_write_out,
};

static void fmt_reply(struct evout *o, const struct fc_event *ev,
		      uint32_t opcode)
{
	const struct fc_op_info *op = proto_op(opcode);
	struct fc_reply rp;

	put_opname(o, opcode);
	if (proto_decode_reply(opcode, ev->data, ev->len, ev->orig_len, &rp) <
	    0) {
		put_malformed(o, ev->len);
		return;
	}
	put(o, " unique=%llu", (unsigned long long)rp.unique);
	put_errno(o, "error", rp.error);
	if (rp.error)
		return;
	if (rp.has_entry)
		put(o, " nodeid=%llu gen=%llu mode=0%o",
		    (unsigned long long)rp.entry.nodeid,
		    (unsigned long long)rp.entry.generation,
		    rp.entry.attr.mode);
	if (rp.has_open)
		put(o, " fh=%llu open_flags=0x%x",
		    (unsigned long long)rp.open.fh, rp.open.open_flags);
	if (rp.has_init) {
		put(o, " major=%u minor=%u max_write=%u max_pages=%u "
		       "max_readahead=%u",
		    rp.major, rp.minor, rp.max_write, rp.max_pages,
		    rp.max_readahead);
		put_init_flags(o, rp.init_flags);
	}
	if (opcode < sizeof(reply_body) / sizeof(reply_body[0]) &&
	    reply_body[opcode]) {
		reply_body[opcode](o, ev);
		return;
	}
	switch (op ? op->reply : FC_RK_OTHER) {
	case FC_RK_ATTR:
		put_attr(o, &rp);
		break;
	case FC_RK_DIRENT:
	case FC_RK_DIRENTPLUS:
		put_dirents(o, &rp, op->reply == FC_RK_DIRENTPLUS);
		break;
	case FC_RK_DATA:
	case FC_RK_OTHER:
	case FC_RK_EMPTY:
	case FC_RK_NONE:
		if (rp.len > sizeof(struct fuse_out_header))
			put(o, " bytes=%zu",
			    rp.len - sizeof(struct fuse_out_header));
		break;
	default:
		break;
	}
}

static void fmt_notify(struct evout *o, const struct fc_event *ev)
{
	struct fc_notify n;
	int err = proto_decode_notify(ev->data, ev->len, &n);
	uint32_t code;

	if (!peek_u32(ev, offsetof(struct fuse_out_header, error), &code)) {
		if (strcmp(proto_notify_name((int32_t)code), "UNKNOWN"))
			put(o, " %s", proto_notify_name((int32_t)code));
		else
			put(o, " UNKNOWN(%d)", (int32_t)code);
	}
	if (err < 0) {
		put_malformed(o, ev->len);
		return;
	}
	switch (n.code) {
	case FUSE_NOTIFY_INVAL_INODE:
	case FUSE_NOTIFY_STORE:
	case FUSE_NOTIFY_RETRIEVE:
		put(o, " nodeid=%llu", (unsigned long long)n.nodeid);
		break;
	case FUSE_NOTIFY_INVAL_ENTRY:
		put(o, " parent=%llu", (unsigned long long)n.parent);
		put_str(o, "name", n.name, n.name_len);
		break;
	case FUSE_NOTIFY_DELETE:
		put(o, " parent=%llu child=%llu", (unsigned long long)n.parent,
		    (unsigned long long)n.child);
		put_str(o, "name", n.name, n.name_len);
		break;
	default:
		break;
	}
}

/* --- events of the harness itself ---------------------------------- */

/* Copy a fixed payload out, or say the event is malformed. */
static int payload(struct evout *o, const struct fc_event *ev, void *dst,
		   size_t size)
{
	if (!ev->data || ev->len < size) {
		put_malformed(o, ev->len);
		return -EPROTO;
	}
	memcpy(dst, ev->data, size);
	return 0;
}

/* A NUL-terminated string at `off`, bounded by the event length. */
static void put_tail_str(struct evout *o, const char *key,
			 const struct fc_event *ev, size_t off)
{
	const char *s = (const char *)ev->data + off;
	const char *nul = memchr(s, '\0', ev->len - off);

	put_str(o, key, s, nul ? (size_t)(nul - s) : ev->len - off);
}

static void fmt_reject(struct evout *o, const struct fc_event *ev)
{
	struct fc_ev_reject r;

	if (payload(o, ev, &r, sizeof(r)))
		return;
	put(o, " unique=%llu", (unsigned long long)r.unique);
	put_errno(o, "error", r.error);
}

static void fmt_mount(struct evout *o, const struct fc_event *ev)
{
	struct fc_ev_mount m;

	if (payload(o, ev, &m, sizeof(m)))
		return;
	put(o, " conn=%u", m.conn);
	put_tail_str(o, "fs", ev, sizeof(m));
}

static void fmt_scenario(struct evout *o, const struct fc_event *ev)
{
	struct fc_ev_scenario s;

	if (payload(o, ev, &s, sizeof(s)))
		return;
	static const char *const status[] = { "pass", "fail", "skip",
					      "broken" };
	const char *file = (const char *)ev->data + sizeof(s);
	const char *nul;

	if (payload(o, ev, &s, sizeof(s)))
		return;
	put(o, " %s index=%u",
	    s.phase == FC_SCN_BEGIN ? "begin" :
	    s.phase == FC_SCN_END   ? "end" :
				      "phase?",
	    s.index);
	put_tail_str(o, "file", ev, sizeof(s));
	if (s.phase != FC_SCN_END)
		return;
	put(o, " status=%s", s.status < 4 ? status[s.status] : "?");
	/* The reason follows the file's NUL, when there is one. */
	nul = memchr(file, '\0', ev->len - sizeof(s));
	if (nul && (size_t)(nul + 1 - (const char *)ev->data) < ev->len)
		put_tail_str(o, "reason", ev,
			     (size_t)(nul + 1 - (const char *)ev->data));
}

static void fmt_expect(struct evout *o, const struct fc_event *ev)
{
	struct fc_ev_expect x;

	if (payload(o, ev, &x, sizeof(x)))
		return;
	put(o, " line=%u", x.line);
	put_str(o, "rule", x.rule, strnlen(x.rule, sizeof(x.rule)));
	put_tail_str(o, "message", ev, sizeof(x));
}

static void fmt_provoke(struct evout *o, const struct fc_event *ev)
{
	struct fc_ev_provoke pv;

	if (payload(o, ev, &pv, sizeof(pv)))
		return;
	put(o, " line=%u", pv.line);
	if (pv.what == FC_PROVOKE_DELAY || pv.what == FC_PROVOKE_DELAY_REPLY) {
		put(o, " %s %s %llu us", pv.what == FC_PROVOKE_DELAY ?
		    "delay" : "delay-reply", proto_op_name(pv.opcode),
		    (unsigned long long)pv.value);
		return;
	}
	if (pv.what != FC_PROVOKE_EVICT) {
		put(o, " what=%u?", pv.what);
		return;
	}
	put(o, " evict parent=%llu nodeid=%llu",
	    (unsigned long long)pv.parent, (unsigned long long)pv.nodeid);
	put_tail_str(o, "name", ev, sizeof(pv));
	put(o, " error=%d", pv.error);
}

static void fmt_mark(struct evout *o, const struct fc_event *ev)
{
	struct fc_ev_mark m;

	if (payload(o, ev, &m, sizeof(m)))
		return;
	put(o, " line=%u tid=%u", m.line, m.tid);
}

static void fmt_quiesce(struct evout *o, const struct fc_event *ev)
{
	struct fc_ev_quiesce q = { 0 };

	if (payload(o, ev, &q, FC_EV_QUIESCE_MIN))
		return;
	if (ev->len >= sizeof(q))
		memcpy(&q, ev->data, sizeof(q));
	put(o, " line=%u method=%s settled=%u full=%u", q.line,
	    q.method == FC_QUIESCE_DROP_CACHES ? "drop_caches" :
	    q.method == FC_QUIESCE_NONE	       ? "none" :
	    q.method == FC_QUIESCE_NOTIFY      ? "notify" :
	    q.method == FC_QUIESCE_PRUNE       ? "prune" :
						 "unknown",
	    q.settled, q.full);
	if (ev->len >= sizeof(q))
		put(o, " rounds=%u spent_us=%u", q.rounds, q.spent_us);
}

static const char *const check_names[] = {
	[FC_CHECK_BALANCED] = "balanced",
	[FC_CHECK_OUTSTANDING] = "outstanding",
	[FC_CHECK_ALIVE] = "alive",
	[FC_CHECK_FREED] = "freed",
	[FC_CHECK_COUNTS] = "fscounts",
	[FC_CHECK_OUTSTANDING_MIN] = "outstanding-at-least",
	[FC_CHECK_WATCH] = "watch",
	[FC_CHECK_HANDED] = "handed",
	[FC_CHECK_HANDED_MIN] = "handed-at-least",
	[FC_CHECK_FORGOTTEN] = "forgotten",
	[FC_CHECK_FORGOTTEN_MIN] = "forgotten-at-least",
};

static void fmt_check(struct evout *o, const struct fc_event *ev)
{
	struct fc_ev_check c;
	const char *name = NULL;

	if (payload(o, ev, &c, sizeof(c)))
		return;
	if (c.kind < sizeof(check_names) / sizeof(check_names[0]))
		name = check_names[c.kind];
	put(o, " %s line=%u", name ? name : "unknown", c.line);
	if (c.kind != FC_CHECK_BALANCED)
		put(o, " ino=%llu", (unsigned long long)c.ino);
	if (c.kind != FC_CHECK_BALANCED && c.kind != FC_CHECK_ALIVE &&
	    c.kind != FC_CHECK_FREED && c.kind != FC_CHECK_COUNTS &&
	    c.kind != FC_CHECK_WATCH)
		put(o, " expect=%llu", (unsigned long long)c.expect);
}

static void fmt_fs_ledger(struct evout *o, const struct fc_event *ev)
{
	struct fc_ev_fs_ledger l;
	struct fc_fs_inode in;
	const char *p = ev->data;
	size_t fit;
	uint32_t i;

	if (payload(o, ev, &l, sizeof(l)))
		return;
	fit = (ev->len - sizeof(l)) / sizeof(in);
	put(o, " count=%u line=%u", l.count, l.line);
	if (l.count > fit) {
		put_malformed(o, ev->len);
		return;
	}
	put(o, " [");
	for (i = 0; i < l.count && i < EVFMT_LIST_MAX; i++) {
		memcpy(&in, p + sizeof(l) + (size_t)i * sizeof(in), sizeof(in));
		put(o, "%s%llu:%llu", i ? " " : "",
		    (unsigned long long)in.nodeid,
		    (unsigned long long)in.nlookup);
	}
	put(o, "%s]", l.count > EVFMT_LIST_MAX ? " ..." : "");
}

static void fmt_init_cap(struct evout *o, const struct fc_event *ev)
{
	struct fc_ev_init_cap c;

	if (payload(o, ev, &c, sizeof(c)))
		return;
	put(o, " fs_max_write=%u fs_max_pages=%u max_write=%u max_pages=%u",
	    c.fs_max_write, c.fs_max_pages, c.max_write, c.max_pages);
}

static const char *const kind_names[FC_EV_KIND_MAX] = {
	[FC_EV_REQUEST] = "REQUEST",
	[FC_EV_REPLY] = "REPLY",
	[FC_EV_NOTIFY] = "NOTIFY",
	[FC_EV_REPLY_REJECTED] = "REPLY_REJECTED",
	[FC_EV_MOUNT] = "MOUNT",
	[FC_EV_UNMOUNT] = "UNMOUNT",
	[FC_EV_SCENARIO] = "SCENARIO",
	[FC_EV_MARK] = "MARK",
	[FC_EV_QUIESCE] = "QUIESCE",
	[FC_EV_CHECK] = "CHECK",
	[FC_EV_FS_LEDGER] = "FS_LEDGER",
	[FC_EV_INIT_CAP] = "INIT_CAP",
	[FC_EV_EXPECT] = "EXPECT",
	[FC_EV_PROVOKE] = "PROVOKE",
	[FC_EV_LOG_END] = "LOG_END",
};

size_t evfmt_event(const struct fc_event *ev, uint32_t req_opcode,
		   char *buf, size_t size)
{
	struct evout o = { .buf = buf, .size = size, .len = 0 };
	const char *kind = NULL;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (ev->kind < FC_EV_KIND_MAX)
		kind = kind_names[ev->kind];
	put(&o, "#%llu ", (unsigned long long)ev->seq);
	if (kind)
		put(&o, "%s", kind);
	else
		put(&o, "KIND%u", ev->kind);
	if (!ev->data && ev->len) {
		put_malformed(&o, ev->len);
		return o.len;
	}

	switch (ev->kind) {
	case FC_EV_REQUEST:
		fmt_request(&o, ev);
		break;
	case FC_EV_REPLY:
		fmt_reply(&o, ev, req_opcode);
		break;
	case FC_EV_NOTIFY:
		fmt_notify(&o, ev);
		break;
	case FC_EV_REPLY_REJECTED:
		fmt_reject(&o, ev);
		break;
	case FC_EV_MOUNT:
		fmt_mount(&o, ev);
		break;
	case FC_EV_SCENARIO:
		fmt_scenario(&o, ev);
		break;
	case FC_EV_MARK:
		fmt_mark(&o, ev);
		break;
	case FC_EV_QUIESCE:
		fmt_quiesce(&o, ev);
		break;
	case FC_EV_CHECK:
		fmt_check(&o, ev);
		break;
	case FC_EV_FS_LEDGER:
		fmt_fs_ledger(&o, ev);
		break;
	case FC_EV_INIT_CAP:
		fmt_init_cap(&o, ev);
		break;
	case FC_EV_EXPECT:
		fmt_expect(&o, ev);
		break;
	case FC_EV_PROVOKE:
		fmt_provoke(&o, ev);
		break;
	case FC_EV_UNMOUNT:
	case FC_EV_LOG_END:
		break;
	default:
		put(&o, " (%u bytes)", ev->len);
		break;
	}
	return o.len;
}
