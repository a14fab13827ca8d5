/* scenario/parse.c - statements, blocks and the header of a scenario file
 * (docs/scenarios.md).  Everything that can be known before running is
 * checked here: argument counts and kinds, errno and flag names, paths
 * confined to the working directory, tags bound before use, where each
 * statement may appear.  Each error names line and column.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "judge/rules.h"
#include "wire/proto.h"
#include "scenario/scn_int.h"

#define SCN_PAR_MAX 1024u
#define SCN_REPEAT_MAX 1000000u
#define SCN_TIMEOUT_MAX 86400u
#define SCN_DEPTH_MAX 16
#define SCN_READ_MAX (16u << 20)
/* a scenario file is text a person wrote: far below this */
#define SCN_FILE_SIZE_MAX (1u << 20)

struct frame {
	struct scn_stmt_list *body;
	int block;
	unsigned line, col;
};

struct parser {
	struct scn *s;
	struct scn_error *err;
	unsigned line;
	int seen_stmt;
	unsigned char *bound;     /* per tag: bound by an earlier ino=@ */
	/* stack[0] is the file's top level; blocks nest SCN_DEPTH_MAX
	 * deep above it */
	struct frame stack[SCN_DEPTH_MAX + 1];
	int depth;
	int in_parallel, in_repeat;
	size_t expanded;          /* bytes the words hold (scenario/lex.c) */
};

static int perr(struct parser *p, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct parser *p, unsigned col, const char *fmt, ...)
{
	va_list ap;

	p->err->line = p->line;
	p->err->col = col;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* --- small value parsers --- */

static int lit_only(struct parser *p, const struct scn_word *w,
		    const char *what)
{
	if (w->vars)
		return perr(p, w->var_col, "%s must be literal (no $i/$n or "
			    "NAME_MAX)", what);
	return 0;
}

static int parse_uint(const char *s, int base, unsigned long long max,
		      unsigned long long *out)
{
	unsigned long long v = 0;
	int d;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (v > (max - (unsigned)d) / (unsigned)base)
			return -ERANGE;
		v = v * (unsigned)base + (unsigned)d;
	}
	*out = v;
	return 0;
}

static int word_uint(struct parser *p, const struct scn_word *w, int base,
		     unsigned long long max, const char *what,
		     unsigned long long *out)
{
	int rc = lit_only(p, w, what);

	if (rc)
		return rc;
	rc = parse_uint(scn_word_lit(w, NULL), base, max, out);
	if (rc == -ERANGE)
		return perr(p, w->col, "%s out of range (at most %llu)", what,
			    max);
	if (rc)
		return perr(p, w->col, "%s must be %s digits, got '%s'", what,
			    base == 8 ? "octal" : "decimal",
			    scn_word_lit(w, NULL));
	return 0;
}

/* --- paths --- */

/* Walk the components of a path template: *net is its depth below the
 * start, *min the lowest it climbs to.  Variables count as digits, which
 * never form "." or "..". */
static void path_depth(const struct scn_word *w, int *net, int *min)
{
	int d = 0, lo = 0, clen = 0, dots = 0;
	size_t k, j;

	for (k = 0; k <= w->nsegs; k++) {
		const struct scn_seg *s = k < w->nsegs ? &w->segs[k] : NULL;
		size_t len = s ? (s->kind == SCN_SEG_LIT ? s->len : 1) : 1;

		for (j = 0; j < len; j++) {
			char c = !s ? '/' : s->kind == SCN_SEG_LIT ? s->p[j]
								   : '0';
			if (c != '/') {
				clen++;
				dots += c == '.';
				continue;
			}
			if (clen == 2 && dots == 2) {
				d--;
				lo = d < lo ? d : lo;
			} else if (clen && !(clen == 1 && dots == 1)) {
				d++;
			}
			clen = dots = 0;
		}
	}
	*net = d;
	*min = lo;
}

static int has_nul(const struct scn_word *w, unsigned *off)
{
	size_t k;
	unsigned at = 0;

	for (k = 0; k < w->nsegs; k++) {
		if (w->segs[k].kind == SCN_SEG_NAMEMAX &&
		    memchr(w->segs[k].p, '\0', w->segs[k].len)) {
			*off = at;
			return 1;
		}
		if (w->segs[k].kind != SCN_SEG_LIT) {
			at++;
			continue;
		}
		if (memchr(w->segs[k].p, '\0', w->segs[k].len)) {
			*off = at;
			return 1;
		}
		at += (unsigned)w->segs[k].len;
	}
	return 0;
}

static int check_bytes(struct parser *p, const struct scn_word *w,
		       const char *what)
{
	unsigned off;

	if (has_nul(w, &off))
		return perr(p, w->col,
			    "NUL byte in a %s (it cannot reach the kernel)",
			    what);
	if (!w->vars && !scn_word_lit(w, NULL)[0])
		return perr(p, w->col, "empty %s", what);
	return 0;
}

static int check_path(struct parser *p, const struct scn_word *w)
{
	int net, min, rc = check_bytes(p, w, "path");

	if (rc)
		return rc;
	if (scn_word_lit(w, NULL)[0] == '/')
		return perr(p, w->col,
			    "absolute path: paths are relative to the "
			    "scenario's working directory");
	path_depth(w, &net, &min);
	if (min < 0)
		return perr(p, w->col,
			    "path escapes the working directory");
	return 0;
}

static int check_target(struct parser *p, const struct scn_word *target,
			const struct scn_word *link)
{
	int net, min, lnet, lmin, rc = check_bytes(p, target, "symlink target");

	if (rc)
		return rc;
	if (scn_word_lit(target, NULL)[0] == '/')
		return perr(p, target->col,
			    "absolute symlink target escapes the working "
			    "directory");
	path_depth(link, &lnet, &lmin);
	path_depth(target, &net, &min);
	if (lnet - 1 + min < 0)
		return perr(p, target->col,
			    "symlink target escapes the working directory");
	return 0;
}

/* --- flags, tags, checks --- */

static int parse_flags(struct parser *p, const struct scn_word *w,
		       long (*value)(const char *), const char *what,
		       long long *out)
{
	const char *s = scn_word_lit(w, NULL), *bar;
	char name[64];
	long long v = 0;
	long f;
	int rc = lit_only(p, w, what);

	if (rc)
		return rc;
	for (;;) {
		size_t n;

		bar = strchr(s, '|');
		n = bar ? (size_t)(bar - s) : strlen(s);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, s, n);
		name[n] = '\0';
		f = value(name);
		if (f < 0)
			return perr(p, w->col + (unsigned)(s -
						scn_word_lit(w, NULL)),
				    "unknown %s '%s'", what, name);
		v |= f;
		if (!bar)
			break;
		s = bar + 1;
	}
	*out = v;
	return 0;
}

static int tag_index(struct parser *p, const char *name, unsigned col)
{
	size_t k;
	char **nt;
	unsigned char *nb;
	const char *c;

	for (c = name; *c; c++)
		if (!(*c == '_' || *c == '-' || (*c >= '0' && *c <= '9') ||
		      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			break;
	if (!*name || *c)
		return perr(p, col, "bad tag '@%s' (letters, digits, _ and -)",
			    name);
	for (k = 0; k < p->s->ntags; k++)
		if (!strcmp(p->s->tags[k], name))
			return (int)k;
	nt = realloc(p->s->tags, (k + 1) * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	p->s->tags = nt;
	nb = realloc(p->bound, k + 1);
	if (!nb)
		return -ENOMEM;
	p->bound = nb;
	nb[k] = 0;
	nt[k] = strdup(name);
	if (!nt[k])
		return -ENOMEM;
	p->s->ntags++;
	return (int)k;
}

/* "@TAG" that must already be bound */
static int parse_tag_use(struct parser *p, const char *s, unsigned col,
			 const char *use)
{
	int k;

	if (s[0] != '@')
		return perr(p, col, "expected @TAG, got '%s'", s);
	k = tag_index(p, s + 1, col);
	if (k < 0)
		return k;
	if (!p->bound[k])
		return perr(p, col,
			    "tag @%s used by %s before an ino=@%s binds it",
			    s + 1, use, s + 1);
	return k;
}

static const struct scn_name_type {
	const char *name;
	unsigned type;
} types[] = {
	{"reg", S_IFREG}, {"dir", S_IFDIR}, {"lnk", S_IFLNK},
	{"fifo", S_IFIFO}, {"chr", S_IFCHR}, {"blk", S_IFBLK},
	{"sock", S_IFSOCK},
};

static const struct scn_check_def {
	const char *key;
	int tail;       /* enum scn_tail_kind */
	int id;         /* enum scn_check_key */
} check_defs[] = {
	{"type=", SCN_T_STAT, SCN_C_TYPE},
	{"nlink=", SCN_T_STAT, SCN_C_NLINK},
	{"size=", SCN_T_STAT, SCN_C_SIZE},
	{"mode=", SCN_T_STAT, SCN_C_MODE},
	{"ino=", SCN_T_STAT, SCN_C_INO},
	{"ino!=", SCN_T_STAT, SCN_C_INO_NOT},
	{"count=", SCN_T_DIR, SCN_C_COUNT},
	{"has=", SCN_T_DIR, SCN_C_HAS},
	{"has!=", SCN_T_DIR, SCN_C_HAS_NOT},
	{"bufsize=", SCN_T_DIR, SCN_C_BUFSIZE},
	{"as=", SCN_T_WALK, SCN_C_WALK_AS},
	{"same=", SCN_T_WALK, SCN_C_WALK_SAME},
};

/* the word without its first `n` bytes (which are literal) */
static int word_tail(const struct scn_word *w, size_t n, struct scn_word *o)
{
	size_t k;

	memset(o, 0, sizeof(*o));
	o->col = w->col + (unsigned)n;
	o->quoted = w->quoted;
	o->vars = w->vars;
	o->var_col = w->var_col;
	o->segs = calloc(w->nsegs ? w->nsegs : 1, sizeof(*o->segs));
	if (!o->segs)
		return -ENOMEM;
	for (k = 0; k < w->nsegs; k++) {
		const struct scn_seg *s = &w->segs[k];
		size_t skip = k == 0 ? n : 0;

		o->segs[k].kind = s->kind;
		o->segs[k].delta = s->delta;
		if (s->kind != SCN_SEG_LIT && s->kind != SCN_SEG_NAMEMAX)
			continue;
		if (s->kind == SCN_SEG_NAMEMAX)
			skip = 0;	/* n counts literal bytes only */
		o->segs[k].len = s->len - skip;
		o->segs[k].p = malloc(o->segs[k].len + 1);
		if (!o->segs[k].p) {
			o->nsegs = k;
			scn_word_free(o);
			return -ENOMEM;
		}
		memcpy(o->segs[k].p, s->p + skip, o->segs[k].len + 1);
	}
	o->nsegs = w->nsegs;
	return 0;
}

static int parse_check(struct parser *p, const struct scn_call *call,
		       const struct scn_word *w, struct scn_check *c)
{
	const char *s = scn_word_lit(w, NULL), *v;
	const struct scn_check_def *d = NULL;
	unsigned long long n;
	size_t k;
	int rc;

	memset(c, 0, sizeof(*c));
	c->col = w->col;
	for (k = 0; k < sizeof(check_defs) / sizeof(check_defs[0]); k++)
		if (check_defs[k].tail == call->tail &&
		    !strncmp(s, check_defs[k].key, strlen(check_defs[k].key)))
			d = &check_defs[k];
	if (!d)
		return perr(p, w->col, "unknown check '%s' for %s (known: %s)",
			    s, call->name,
			    call->tail == SCN_T_STAT
				    ? "type= nlink= size= mode= ino=@TAG "
				      "ino!=@TAG"
				    : call->tail == SCN_T_WALK
				    ? "as=@WALK same=@WALK"
				    : "count= has= has!= bufsize=");
	c->key = d->id;
	v = s + strlen(d->key);
	if (d->id == SCN_C_HAS || d->id == SCN_C_HAS_NOT) {
		rc = word_tail(w, strlen(d->key), &c->w);
		if (rc)
			return rc;
		return check_bytes(p, &c->w, "name");
	}
	if (w->quoted || w->vars)
		return perr(p, w->col, "check '%s' must be literal", d->key);
	switch (d->id) {
	case SCN_C_TYPE:
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			if (!strcmp(types[k].name, v))
				c->num = types[k].type;
		if (!c->num)
			return perr(p, w->col,
				    "unknown type '%s' (reg dir lnk fifo chr "
				    "blk sock)", v);
		return 0;
	case SCN_C_INO:
	case SCN_C_INO_NOT:
	case SCN_C_WALK_AS:
	case SCN_C_WALK_SAME:
		if (v[0] != '@')
			return perr(p, w->col, "%s needs @TAG", d->key);
		rc = d->id == SCN_C_INO || d->id == SCN_C_WALK_AS
			     ? tag_index(p, v + 1, w->col)
			     : parse_tag_use(p, v, w->col, d->key);
		if (rc < 0)
			return rc;
		c->num = rc;
		if (d->id == SCN_C_INO || d->id == SCN_C_WALK_AS)
			p->bound[rc] = 1;
		return 0;
	}
	rc = parse_uint(v, d->id == SCN_C_MODE ? 8 : 10,
			d->id == SCN_C_MODE ? 07777 : (1ull << 62), &n);
	if (rc)
		return perr(p, w->col, "bad number in '%s'", s);
	/* getdents64 wants room for one entry; more than the runner's
	 * own buffer would only allocate */
	if (d->id == SCN_C_BUFSIZE && (n < SCN_DENTS_MIN || n > SCN_DENTS_MAX))
		return perr(p, w->col, "bufsize out of range (%u..%u)",
			    SCN_DENTS_MIN, SCN_DENTS_MAX);
	c->num = (long long)n;
	return 0;
}

/* --- statements --- */

static int parse_arg(struct parser *p, const struct scn_call *call, int kind,
		     struct scn_arg *a)
{
	unsigned long long n;
	int rc;

	switch (kind) {
	case SCN_A_PATH:
		return check_path(p, &a->w);
	case SCN_A_CHDIR:
		if (scn_word_is(&a->w, "-"))
			return 0;
		return check_path(p, &a->w);
	case SCN_A_TARGET:
		return 0;       /* with the link path, in parse_call */
	case SCN_A_FD:
		return check_bytes(p, &a->w, "descriptor name");
	case SCN_A_NAME:
		return check_bytes(p, &a->w, "name");
	case SCN_A_DATA:
		return 0;
	case SCN_A_INT:
		rc = word_uint(p, &a->w, 10, 1ull << 62, "number", &n);
		a->num = (long long)n;
		return rc;
	case SCN_A_MODE:
		rc = word_uint(p, &a->w, 8, 07777, "mode", &n);
		a->num = (long long)n;
		return rc;
	case SCN_A_OFLAGS:
		return parse_flags(p, &a->w, scn_oflag_value, "open flag",
				   &a->num);
	case SCN_A_RFLAGS:
		return parse_flags(p, &a->w, scn_rflag_value, "rename flag",
				   &a->num);
	case SCN_A_REFS: {
		const char *s;
		size_t len;
		char num[32];

		rc = lit_only(p, &a->w, "count");
		if (rc)
			return rc;
		s = scn_word_lit(&a->w, &len);
		if (len && len < sizeof(num) && s[len - 1] == '+') {
			memcpy(num, s, len - 1);
			num[len - 1] = '\0';
			rc = parse_uint(num, 10, 1u << 30, &n);
			a->num = (long long)n | SCN_REFS_AT_LEAST;
		} else {
			rc = parse_uint(s, 10, 1u << 30, &n);
			a->num = (long long)n;
		}
		if (rc)
			return perr(p, a->w.col, "count must be N or N+ (at "
				    "least N), got '%s'", s);
		return 0;
	}
	case SCN_A_OPCODE: {
		const char *name;
		int64_t op;

		rc = lit_only(p, &a->w, "opcode");
		if (rc)
			return rc;
		name = scn_word_lit(&a->w, NULL);
		op = proto_op_by_name(name);
		/* INIT and DESTROY frame the connection: holding them
		 * would only hang its start or its end */
		if (op < 0 || !strcmp(name, "INIT") ||
		    !strcmp(name, "DESTROY"))
			return perr(p, a->w.col, "unknown or unholdable "
				    "opcode '%s' (a FUSE opcode name without "
				    "FUSE_, such as LOOKUP or FORGET)", name);
		if (!strcmp(call->name, "delay-reply") && proto_op((uint32_t)op) &&
		    proto_op((uint32_t)op)->no_wait)
			return perr(p, a->w.col, "%s has no reply to hold",
				    name);
		a->num = op;
		return 0;
	}
	case SCN_A_TAG:
		rc = lit_only(p, &a->w, "tag");
		if (!rc)
			rc = parse_tag_use(p, scn_word_lit(&a->w, NULL),
					   a->w.col, call->name);
		a->num = rc;
		return rc < 0 ? rc : 0;
	}
	return perr(p, a->w.col, "internal: unknown argument kind");
}

static const char *count_str(unsigned n)
{
	static const char *const digits[] = {"0", "1", "2", "3", "4", "5"};

	return n < 6 ? digits[n] : "many";
}

static void usage(const struct scn_call *c, char *buf, size_t size)
{
	size_t at = 0;
	unsigned k;

	buf[0] = '\0';
	for (k = 0; k < (unsigned)c->nreq + c->nopt && at < size; k++)
		at += (size_t)snprintf(buf + at, size - at, "%s%s%s%s",
				       k ? " " : "", k >= c->nreq ? "[" : "",
				       scn_arg_kind_name(c->args[k]),
				       k >= c->nreq ? "]" : "");
	if (c->tail && at < size)
		snprintf(buf + at, size - at, "%s%s", k ? " " : "",
			 c->tail == SCN_T_NAMES ? "[NAME...]" : "[CHECK...]");
}

/* requirements implied by the statement beyond the call's own */
static unsigned implied_reqs(const struct scn_stmt *st)
{
	const struct scn_call *c = st->call;
	unsigned r = c->reqs;
	long long f;

	if (c->exec == scn_x_open) {
		f = st->args[2].num;
		if ((f & O_ACCMODE) != O_RDONLY || (f & (O_CREAT | O_TRUNC)))
			r |= SCN_REQ_WRITE;
		if ((f & O_TMPFILE) == O_TMPFILE)
			r |= SCN_REQ_TMPFILE | SCN_REQ_WRITE;
	}
	if (c->exec == scn_x_renameat2) {
		f = st->args[2].num;
		if (f & RENAME_EXCHANGE)
			r |= SCN_REQ_RENAME_EXCHANGE;
		if (f & RENAME_NOREPLACE)
			r |= SCN_REQ_RENAME_NOREPLACE;
	}
	/* a write expected to fail with EROFS is what a read-only
	 * filesystem is tested with */
	if (scn_expects_errno(st, EROFS))
		r &= ~SCN_REQ_WRITE;
	return r;
}

static int where_allowed(struct parser *p, const struct scn_call *c,
			 unsigned col)
{
	if ((c->flags & SCN_CF_INPAR) && !p->in_parallel)
		return perr(p, col, "'%s' outside a parallel block", c->name);
	if ((c->flags & SCN_CF_SERIAL) && p->in_parallel)
		return perr(p, col, "'%s' cannot be used inside parallel",
			    c->name);
	if ((c->flags & SCN_CF_NOBLOCK) && p->depth)
		return perr(p, col, "'%s' cannot be used inside a block",
			    c->name);
	return 0;
}

static int parse_expect(struct parser *p, const struct scn_word *w,
			struct scn_stmt *st)
{
	const char *s = scn_word_lit(w, NULL);
	unsigned long long n;
	int e;

	if (w->quoted || w->vars)
		return perr(p, w->col, "expect needs an errno name or a "
				       "number");
	if (s[0] >= '0' && s[0] <= '9') {
		if (parse_uint(s, 10, 1ull << 62, &n))
			return perr(p, w->col, "bad expected result '%s'", s);
		st->expect = SCN_EXP_NUM;
		st->expval = (long long)n;
		return 0;
	}
	/* ENOTEMPTY|EEXIST: where POSIX allows several errnos, any of
	 * them holds */
	for (;;) {
		const char *bar = strchr(s, '|');
		char name[32];
		size_t len = bar ? (size_t)(bar - s) : strlen(s);

		if (len >= sizeof(name))
			return perr(p, w->col, "unknown errno name '%s'", s);
		memcpy(name, s, len);
		name[len] = '\0';
		e = scn_errno_value(name);
		if (!e)
			return perr(p, w->col, "unknown errno name '%s'", name);
		if (st->nexperr == SCN_EXPECT_ALT_MAX)
			return perr(p, w->col, "at most %d errnos in one "
				    "expect", SCN_EXPECT_ALT_MAX);
		st->experr[st->nexperr++] = e;
		if (!bar)
			break;
		s = bar + 1;
	}
	st->expect = SCN_EXP_ERRNO;
	st->expval = st->experr[0];
	return 0;
}

static int parse_call(struct parser *p, struct scn_word *w, size_t n,
		      struct scn_stmt *st)
{
	const struct scn_call *c;
	size_t k, at = 0, nargs;
	const char *name;
	char use[128];
	int rc;

	if (scn_word_is(&w[0], "expect")) {
		if (n < 3)
			return perr(p, w[0].col,
				    "expect needs a result and a call");
		rc = parse_expect(p, &w[1], st);
		if (rc)
			return rc;
		at = 2;
	}
	name = scn_word_lit(&w[at], NULL);
	c = w[at].quoted || w[at].vars ? NULL : scn_call_find(name);
	if (!c)
		return perr(p, w[at].col, "unknown call '%s'", name);
	st->call = c;
	st->col = w[at].col;
	rc = where_allowed(p, c, w[at].col);
	if (rc)
		return rc;
	nargs = n - at - 1;
	usage(c, use, sizeof(use));
	if (nargs < c->nreq || (!c->tail && nargs > (size_t)c->nreq + c->nopt))
		return perr(p, nargs < c->nreq ? w[at].col
					       : w[at + 1 + c->nreq + c->nopt].col,
			    "%s takes %s%u%s%s argument%s (%s), got %zu",
			    c->name, c->tail ? "at least " : "", c->nreq,
			    c->nopt && !c->tail ? " to " : "",
			    c->nopt && !c->tail ? count_str(c->nreq + c->nopt)
						: "",
			    c->nreq + c->nopt == 1 && !c->tail ? "" : "s",
			    use, nargs);
	st->nargs = nargs > (size_t)c->nreq + c->nopt
			    ? (size_t)c->nreq + c->nopt
			    : nargs;
	st->args = calloc(st->nargs ? st->nargs : 1, sizeof(*st->args));
	if (!st->args)
		return -ENOMEM;
	/* the statement owns the words it keeps; they are moved out */
	for (k = 0; k < st->nargs; k++) {
		st->args[k].w = w[at + 1 + k];
		memset(&w[at + 1 + k], 0, sizeof(w[0]));
		rc = parse_arg(p, c, c->args[k], &st->args[k]);
		if (rc)
			return rc;
	}
	if (c->exec == scn_x_symlink) {
		rc = check_target(p, &st->args[0].w, &st->args[1].w);
		if (rc)
			return rc;
	}
	if ((c->exec == scn_x_mmap || c->exec == scn_x_mread) &&
	    (st->args[2].num < 1 || st->args[2].num > SCN_READ_MAX))
		return perr(p, st->args[2].w.col,
			    "length out of range (1..%u)", SCN_READ_MAX);
	if ((c->exec == scn_x_read || c->exec == scn_x_pread) &&
	    st->args[1].num > SCN_READ_MAX)
		return perr(p, st->args[1].w.col,
			    "read size out of range (at most %u)",
			    SCN_READ_MAX);
	if (c->exec == scn_x_interrupt &&
	    (st->args[0].num < 1 || st->args[0].num > SCN_INTR_MAX_MS))
		return perr(p, st->args[0].w.col,
			    "interrupt delay out of range (1..%d ms)",
			    SCN_INTR_MAX_MS);
	/* a handle names a file that exists: nothing to create */
	if (c->exec == scn_x_open_handle &&
	    ((st->args[2].num & (O_CREAT | O_EXCL | O_TRUNC)) ||
	     (st->args[2].num & O_TMPFILE) == O_TMPFILE))
		return perr(p, st->args[2].w.col, "open-handle takes no "
			    "O_CREAT, O_EXCL, O_TRUNC or O_TMPFILE");
	if (c->exec == scn_x_open) {
		long long f = st->args[2].num;

		if ((f & O_CREAT || (f & O_TMPFILE) == O_TMPFILE) &&
		    st->nargs < 4)
			return perr(p, st->args[2].w.col,
				    "open with O_CREAT or O_TMPFILE needs a "
				    "MODE");
	}
	at += 1 + st->nargs;
	if (c->tail == SCN_T_NAMES) {
		st->nnames = n - at;
		st->names = calloc(st->nnames ? st->nnames : 1,
				   sizeof(*st->names));
		if (!st->names)
			return -ENOMEM;
		for (k = 0; k < st->nnames; k++) {
			st->names[k] = w[at + k];
			memset(&w[at + k], 0, sizeof(w[0]));
			rc = check_bytes(p, &st->names[k], "name");
			if (rc)
				return rc;
		}
	} else if (c->tail) {
		st->nchecks = n - at;
		st->checks = calloc(st->nchecks ? st->nchecks : 1,
				    sizeof(*st->checks));
		if (!st->checks)
			return -ENOMEM;
		for (k = 0; k < st->nchecks; k++) {
			rc = parse_check(p, c, &w[at + k], &st->checks[k]);
			if (rc)
				return rc;
		}
	}
	p->s->reqs |= implied_reqs(st);
	return 0;
}

static int stmts_add(struct scn_stmt_list *b, struct scn_stmt **out)
{
	struct scn_stmt *nv;

	if (b->n == b->cap) {
		nv = realloc(b->v, (b->cap ? b->cap * 2 : 8) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		b->v = nv;
		b->cap = b->cap ? b->cap * 2 : 8;
	}
	*out = &b->v[b->n++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

static int open_block(struct parser *p, struct scn_word *w, size_t n,
		      int block)
{
	struct frame *f;
	struct scn_stmt *st;
	unsigned long long count = 0;
	unsigned max = block == SCN_BLK_PARALLEL ? SCN_PAR_MAX : SCN_REPEAT_MAX;
	const char *kw = block == SCN_BLK_PARALLEL ? "parallel" : "repeat";
	int rc;

	if (n != 3 || !scn_word_is(&w[2], "{"))
		return perr(p, n > 1 ? w[n - 1].col : w[0].col,
			    "%s needs a count and '{' at the end of the line",
			    kw);
	if (block == SCN_BLK_PARALLEL && p->in_parallel)
		return perr(p, w[0].col, "parallel inside parallel is not "
					 "supported");
	if (p->depth >= SCN_DEPTH_MAX)
		return perr(p, w[0].col, "blocks nested too deep (at most %d)",
			    SCN_DEPTH_MAX);
	rc = lit_only(p, &w[1], "count");
	if (rc)
		return rc;
	rc = parse_uint(scn_word_lit(&w[1], NULL), 10, ~0ull, &count);
	if (rc == -EINVAL)
		return perr(p, w[1].col, "%s count must be a number", kw);
	if (rc || count < 1 || count > max)
		return perr(p, w[1].col, "%s count out of range (1..%u)", kw,
			    max);
	rc = stmts_add(p->stack[p->depth].body, &st);
	if (rc)
		return rc;
	st->line = p->line;
	st->col = w[0].col;
	st->block = block;
	st->count = (unsigned)count;
	f = &p->stack[++p->depth];
	f->body = &st->body;
	f->block = block;
	f->line = p->line;
	f->col = w[2].col;
	if (block == SCN_BLK_PARALLEL)
		p->in_parallel = 1;
	else
		p->in_repeat++;
	return 0;
}

static int close_block(struct parser *p, struct scn_word *w, size_t n)
{
	if (n != 1)
		return perr(p, w[1].col, "'}' must be alone on its line");
	if (!p->depth)
		return perr(p, w[0].col, "unbalanced '}': no block is open");
	if (p->stack[p->depth].block == SCN_BLK_PARALLEL)
		p->in_parallel = 0;
	else
		p->in_repeat--;
	p->depth--;
	return 0;
}

/* `interrupt` arms the call that follows it in its block: a block, a
 * statement of the harness or the end of the block there would leave it
 * signalling nothing.  `before` statements of the open block come after
 * the one looked at (1 once the next statement is in the list).  0, or
 * the parse error for what came next (next: the call, NULL for a block
 * or the end of one). */
static int check_interrupted(struct parser *p, size_t before,
			     const struct scn_call *next, unsigned col,
			     const char *what)
{
	const struct scn_stmt_list *b = p->stack[p->depth].body;
	const struct scn_stmt *last;

	if (b->n <= before)
		return 0;
	last = &b->v[b->n - 1 - before];
	if (!last->call || last->call->exec != scn_x_interrupt)
		return 0;
	if (next && !(next->flags & SCN_CF_HARNESS))
		return 0;
	return perr(p, col, "'interrupt' on line %u must be followed by a "
		    "call on the mount in its block, not %s", last->line,
		    next ? next->name : what);
}

static int parse_stmt_line(struct parser *p, const char *text, size_t len)
{
	struct scn_lex_ctx lc = {p->line, p->in_parallel, p->in_repeat > 0,
				 &p->expanded};
	struct scn_word *w = NULL;
	struct scn_stmt *st;
	size_t n = 0;
	int rc;

	rc = scn_lex_line(&lc, text, len, &w, &n, p->err);
	if (rc || !n)
		goto out;
	p->seen_stmt = 1;
	if (scn_word_is(&w[0], "}")) {
		rc = check_interrupted(p, 0, NULL, w[0].col, "the end of "
				       "the block");
		if (!rc)
			rc = close_block(p, w, n);
	} else if (scn_word_is(&w[0], "parallel") ||
		   scn_word_is(&w[0], "repeat")) {
		rc = check_interrupted(p, 0, NULL, w[0].col, "a block");
		if (!rc)
			rc = open_block(p, w, n, scn_word_is(&w[0], "parallel")
						 ? SCN_BLK_PARALLEL
						 : SCN_BLK_REPEAT);
	} else {
		rc = stmts_add(p->stack[p->depth].body, &st);
		if (!rc) {
			st->line = p->line;
			rc = parse_call(p, w, n, st);
		}
		/* the statement is in the list by now: look one back */
		if (!rc)
			rc = check_interrupted(p, 1, st->call, st->col, NULL);
	}
out:
	scn_words_free(w, n);
	return rc;
}

/* --- header --- */

static char *dup_trim(const char *s, size_t len)
{
	char *o;

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
		       s[len - 1] == '\r'))
		len--;
	o = malloc(len + 1);
	if (o) {
		memcpy(o, s, len);
		o[len] = '\0';
	}
	return o;
}

static int add_rules(struct parser *p, char *v, unsigned vcol)
{
	char *tok, *save = NULL, **nr;

	for (tok = strtok_r(v, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		/* one source for rule ids: the rule table (docs/rules.md) */
		if (!rule_find(tok))
			return perr(p, vcol + (unsigned)(tok - v),
				    "unknown rule id '%.100s' (docs/rules.md "
				    "lists them)", tok);
		nr = realloc(p->s->rules, (p->s->nrules + 1) * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		p->s->rules = nr;
		nr[p->s->nrules] = strdup(tok);
		if (!nr[p->s->nrules])
			return -ENOMEM;
		p->s->nrules++;
	}
	return 0;
}

static int add_requires(struct parser *p, char *v, unsigned vcol)
{
	char *tok, *save = NULL, known[256];
	unsigned bit;

	for (tok = strtok_r(v, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		bit = scn_req_bit(tok);
		if (!bit)
			return perr(p, vcol + (unsigned)(tok - v),
				    "unknown requirement '%s' (known: %s)", tok,
				    scn_req_list(SCN_REQ_ALL, known,
						 sizeof(known)));
		p->s->reqs |= bit;
	}
	return 0;
}

/* One header value into the scenario: 0 or perr()'s code.  *v may be
 * taken (set to NULL) to keep the string. */
typedef int (*header_fn)(struct parser *p, const char *key, char **v,
			 unsigned hcol, unsigned vcol);

/* desc, memfs: text kept as it is, once */
static int header_text(struct parser *p, const char *key, char **v,
		       unsigned hcol, unsigned vcol)
{
	char **dst = !strcmp(key, "desc") ? &p->s->desc : &p->s->memfs;

	(void)vcol;
	if (*dst)
		return perr(p, hcol, "duplicate header '%s'", key);
	*dst = *v;
	*v = NULL;
	return 0;
}

static int header_rules(struct parser *p, const char *key, char **v,
			unsigned hcol, unsigned vcol)
{
	(void)key;
	(void)hcol;
	return add_rules(p, *v, vcol);
}

static int header_requires(struct parser *p, const char *key, char **v,
			   unsigned hcol, unsigned vcol)
{
	(void)key;
	(void)hcol;
	return add_requires(p, *v, vcol);
}

static int header_timeout(struct parser *p, const char *key, char **v,
			  unsigned hcol, unsigned vcol)
{
	unsigned long long t;

	(void)key;
	(void)hcol;
	if (parse_uint(*v, 10, SCN_TIMEOUT_MAX, &t) || t < 1)
		return perr(p, vcol, "timeout must be seconds in 1..%u, got "
			    "'%s'", SCN_TIMEOUT_MAX, *v);
	p->s->timeout = (unsigned)t;
	return 0;
}

static const struct {
	const char *key;
	header_fn take;
} headers[] = {
	{ "desc", header_text },
	{ "rules", header_rules },
	{ "requires", header_requires },
	{ "memfs", header_text },
	{ "timeout", header_timeout },
};

/* a "# key: value" line; 1 when it is not a header (a comment) */
static int parse_header(struct parser *p, const char *text, size_t len)
{
	const char *s = text, *end = text + len, *k;
	unsigned vcol, hcol = 0;
	size_t kl, i;
	char *v;
	int rc;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	hcol = (unsigned)(s - text) + 1;
	s++;                                    /* '#' */
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	k = s;
	while (s < end && ((*s >= 'a' && *s <= 'z') || *s == '-'))
		s++;
	kl = (size_t)(s - k);
	if (s >= end || *s != ':')
		return 1;
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		if (strlen(headers[i].key) == kl &&
		    !strncmp(headers[i].key, k, kl))
			break;
	if (i == sizeof(headers) / sizeof(headers[0]))
		return 1;
	if (p->seen_stmt)
		return perr(p, hcol, "header '%.*s' after the first statement",
			    (int)kl, k);
	s++;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	vcol = (unsigned)(s - text) + 1;
	v = dup_trim(s, (size_t)(end - s));
	if (!v)
		return -ENOMEM;
	rc = headers[i].take(p, headers[i].key, &v, hcol, vcol);
	free(v);
	return rc;
}

/* --- entry points --- */

static char *base_name(const char *file)
{
	const char *b = strrchr(file, '/');
	size_t len;
	char *o;

	b = b ? b + 1 : file;
	len = strlen(b);
	if (len > 4 && !strcmp(b + len - 4, ".scn"))
		len -= 4;
	o = malloc(len + 1);
	if (o) {
		memcpy(o, b, len);
		o[len] = '\0';
	}
	return o;
}

static int parse_text(struct parser *p, const char *text, size_t size)
{
	const char *line = text, *nl, *end = text + size, *c;
	int rc;

	for (p->line = 1; line < end; p->line++, line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		c = memchr(line, '\0', (size_t)(nl - line));
		if (c)
			return perr(p, (unsigned)(c - line) + 1,
				    "NUL byte in the file");
		for (c = line; c < nl && (*c == ' ' || *c == '\t'); c++)
			;
		if (c < nl && *c == '#') {
			rc = parse_header(p, line, (size_t)(nl - line));
			if (rc < 0)
				return rc;
			continue;
		}
		rc = parse_stmt_line(p, line, (size_t)(nl - line));
		if (rc)
			return rc;
		if (nl == end)
			break;
	}
	if (p->depth) {
		p->line = p->stack[p->depth].line;
		return perr(p, p->stack[p->depth].col,
			    "unbalanced '{': block opened here is never "
			    "closed");
	}
	if (p->s->body.n)
		p->line = p->s->body.v[p->s->body.n - 1].line;
	rc = check_interrupted(p, 0, NULL, 1, "the end of the file");
	if (rc)
		return rc;
	p->line = 1;
	if (!p->s->desc || !p->s->desc[0])
		return perr(p, 1, "missing header '# desc: ...'");
	if (!p->s->nrules)
		return perr(p, 1, "missing header '# rules: ...'");
	return 0;
}

static int parse_sized(const char *file, const char *text, size_t size,
		       struct scn **out, struct scn_error *err)
{
	struct parser p;
	struct scn *s;
	int rc;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", file);
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	atomic_init(&s->refs, 1);
	s->file = strdup(file);
	s->name = base_name(file);
	memset(&p, 0, sizeof(p));
	p.s = s;
	p.err = err;
	p.stack[0].body = &s->body;
	rc = s->file && s->name ? parse_text(&p, text, size) : -ENOMEM;
	if (rc == -ENOMEM && !err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	free(p.bound);
	if (rc) {
		scn_free(s);
		return rc;
	}
	if (!s->memfs)
		s->memfs = strdup("");
	*out = s;
	return 0;
}

int scn_parse_string(const char *file, const char *text, struct scn **out,
		     struct scn_error *err)
{
	return parse_sized(file, text, strlen(text), out, err);
}

int scn_parse_file(const char *path, struct scn **out, struct scn_error *err)
{
	struct stat st;
	FILE *f;
	int fd;
	char *buf = NULL;
	size_t size = 0, cap = 0, n;
	int rc;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
	*out = NULL;
	/* O_NONBLOCK: a FIFO must not hang the open; it is refused below */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s",
			 strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		close(fd);
		snprintf(err->msg, sizeof(err->msg), "not a regular file");
		return -EINVAL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		rc = -errno;
		close(fd);
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s",
			 strerror(-rc));
		return rc;
	}
	do {
		if (size == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 4096);

			if (!nb) {
				rc = -ENOMEM;
				goto close_file;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(buf + size, 1, cap - size, f);
		size += n;
		/* /dev/zero, a FIFO that never ends, a huge file: stop
		 * reading one byte past the limit */
		if (size > SCN_FILE_SIZE_MAX) {
			rc = -EFBIG;
			snprintf(err->msg, sizeof(err->msg), "larger than %u "
				 "bytes: not a scenario file",
				 SCN_FILE_SIZE_MAX);
			goto close_file;
		}
	} while (n);
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s",
			 strerror(EIO));
		goto close_file;
	}
	rc = parse_sized(path, buf ? buf : "", size, out, err);
close_file:
	fclose(f);
	free(buf);
	return rc;
}

/* Control bytes (ESC, BEL …) in a file name or a quoted word must not
 * reach a terminal: written as \xNN, as the reports do. */
static void escape_controls(char *buf, size_t size)
{
	char tmp[sizeof(((struct scn_error *)0)->msg) * 2 + 8192];
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; buf[i] && o + 5 < sizeof(tmp); i++) {
		c = (unsigned char)buf[i];
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "\\x%02x",
					      c);
		else
			tmp[o++] = (char)c;
	}
	tmp[o] = '\0';
	snprintf(buf, size, "%s", tmp);
}

void scn_error_format(const struct scn_error *e, char *buf, size_t size)
{
	if (e->col)
		snprintf(buf, size, "%s:%u:%u: %s", e->file, e->line, e->col,
			 e->msg);
	else if (e->line)
		snprintf(buf, size, "%s:%u: %s", e->file, e->line, e->msg);
	else
		snprintf(buf, size, "%s: %s", e->file, e->msg);
	escape_controls(buf, size);
}

static void stmts_free(struct scn_stmt_list *b)
{
	size_t k, j;

	for (k = 0; k < b->n; k++) {
		struct scn_stmt *st = &b->v[k];

		stmts_free(&st->body);
		for (j = 0; j < st->nargs; j++)
			scn_word_free(&st->args[j].w);
		free(st->args);
		for (j = 0; j < st->nchecks; j++)
			scn_word_free(&st->checks[j].w);
		free(st->checks);
		for (j = 0; j < st->nnames; j++)
			scn_word_free(&st->names[j]);
		free(st->names);
	}
	free(b->v);
}

void scn_ref(struct scn *s)
{
	atomic_fetch_add(&s->refs, 1);
}

void scn_free(struct scn *s)
{
	size_t k;

	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	stmts_free(&s->body);
	for (k = 0; k < s->nrules; k++)
		free(s->rules[k]);
	free(s->rules);
	for (k = 0; k < s->ntags; k++)
		free(s->tags[k]);
	free(s->tags);
	free(s->file);
	free(s->name);
	free(s->desc);
	free(s->memfs);
	free(s);
}

const char *scn_file(const struct scn *s) { return s->file; }
const char *scn_name(const struct scn *s) { return s->name; }
const char *scn_description(const struct scn *s) { return s->desc; }
size_t scn_nrules(const struct scn *s) { return s->nrules; }
unsigned scn_requires(const struct scn *s) { return s->reqs; }
const char *scn_memfs_args(const struct scn *s) { return s->memfs; }
unsigned scn_timeout_s(const struct scn *s)
{
	return s->timeout ? s->timeout : SCN_DEFAULT_TIMEOUT_S;
}

const char *scn_rule(const struct scn *s, size_t i)
{
	return i < s->nrules ? s->rules[i] : NULL;
}
