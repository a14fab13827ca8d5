/* scenario/lex.c - words of the scenario language: bare runs, "strings" with
 * escapes, "…"*N repetition and the $i / $n variables (docs/scenarios.md,
 * "Words").  A word is kept as segments so that variables expand per
 * thread and iteration at run time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scenario/scn_int.h"

#define SCN_STAR_MAX 1048576u
/* What "..."*N may build: the bytes a read or write may move, and a
 * segment count no scenario needs ("$i"*N keeps one segment per copy). */
#define SCN_REPEAT_BYTES (16u << 20)
#define SCN_REPEAT_SEGS 4096u

static int lex_err(struct scn_error *err, unsigned line, unsigned col,
		   const char *fmt, const char *arg)
{
	err->line = line;
	err->col = col;
	snprintf(err->msg, sizeof(err->msg), fmt, arg);
	return -EINVAL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* append bytes to the word, merging with a trailing literal */
static int add_lit(struct scn_word *w, const char *p, size_t len)
{
	struct scn_seg *last = w->nsegs ? &w->segs[w->nsegs - 1] : NULL;
	char *np;

	if (last && last->kind == SCN_SEG_LIT) {
		np = realloc(last->p, last->len + len + 1);
		if (!np)
			return -ENOMEM;
		memcpy(np + last->len, p, len);
		last->len += len;
		np[last->len] = '\0';
		last->p = np;
		return 0;
	}
	np = malloc(len + 1);
	if (!np)
		return -ENOMEM;
	memcpy(np, p, len);
	np[len] = '\0';
	last = realloc(w->segs, (w->nsegs + 1) * sizeof(*w->segs));
	if (!last) {
		free(np);
		return -ENOMEM;
	}
	w->segs = last;
	w->segs[w->nsegs++] = (struct scn_seg){SCN_SEG_LIT, np, len, 0};
	return 0;
}

static int add_var(struct scn_word *w, int kind)
{
	struct scn_seg *ns = realloc(w->segs, (w->nsegs + 1) * sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	w->segs = ns;
	w->segs[w->nsegs++] = (struct scn_seg){kind, NULL, 0, 0};
	w->vars = 1;
	return 0;
}

/* append the segments of src (a string) to w */
static int add_word(struct scn_word *w, const struct scn_word *src)
{
	size_t k;
	int rc;

	for (k = 0; k < src->nsegs; k++) {
		if (src->segs[k].kind == SCN_SEG_LIT)
			rc = add_lit(w, src->segs[k].p, src->segs[k].len);
		else
			rc = add_var(w, src->segs[k].kind);
		if (rc)
			return rc;
	}
	return 0;
}

/* append src repeated count times.  A plain string is built once and
 * appended in one piece: appending it count times would copy the growing
 * word count times over. */
static int add_repeat(struct scn_word *w, const struct scn_word *src,
		      unsigned count)
{
	size_t k, len, bytes = 0;
	char *buf;
	int rc;

	for (k = 0; k < src->nsegs; k++)
		bytes += src->segs[k].len;
	if (bytes > SCN_REPEAT_BYTES / count)
		return -E2BIG;
	if (src->nsegs != 1 || src->segs[0].kind != SCN_SEG_LIT) {
		if (src->nsegs > SCN_REPEAT_SEGS / count)
			return -E2BIG;
		for (k = 0; k < count; k++) {
			rc = add_word(w, src);
			if (rc)
				return rc;
		}
		return 0;
	}
	len = src->segs[0].len;
	buf = malloc(len * count + 1);
	if (!buf)
		return -ENOMEM;
	for (k = 0; k < count; k++)
		memcpy(buf + k * len, src->segs[0].p, len);
	rc = add_lit(w, buf, len * count);
	free(buf);
	return rc;
}

/* "$i" / "$n" at p (p[0] == '$'); 0 and *used, or -EINVAL */
static int lex_var(const struct scn_lex_ctx *c, struct scn_word *w,
		   const char *p, const char *end, unsigned col,
		   struct scn_error *err)
{
	char v = p + 1 < end ? p[1] : '\0';

	if (v == 'i' && !c->in_parallel)
		return lex_err(err, c->line, col,
			       "%s outside a parallel block", "$i");
	if (v == 'n' && !c->in_repeat)
		return lex_err(err, c->line, col,
			       "%s outside a repeat block", "$n");
	if (v != 'i' && v != 'n') {
		char s[3] = {'$', v ? v : ' ', '\0'};

		if (!v)
			s[1] = '\0';
		return lex_err(err, c->line, col,
			       "unknown variable '%s' (only $i and $n; "
			       "write \"\\$\" for a dollar)", s);
	}
	if (!w->vars)
		w->var_col = col;
	return add_var(w, v == 'i' ? SCN_SEG_VAR_I : SCN_SEG_VAR_N);
}

/* a quoted string starting at *pp (on the '"'), into seg; advances *pp */
static int lex_string(const struct scn_lex_ctx *c, const char *base,
		      const char **pp, const char *end, struct scn_word *seg,
		      struct scn_error *err)
{
	const char *p = *pp + 1;
	unsigned qcol = (unsigned)(*pp - base) + 1;
	char ch;
	int rc, hi, lo;

	while (p < end && *p != '"') {
		unsigned col = (unsigned)(p - base) + 1;

		if (*p == '$') {
			rc = lex_var(c, seg, p, end, col, err);
			if (rc)
				return rc;
			p += 2;
			continue;
		}
		if (*p != '\\') {
			rc = add_lit(seg, p, 1);
			if (rc)
				return rc;
			p++;
			continue;
		}
		if (p + 1 >= end)
			break;
		switch (p[1]) {
		case 'n': ch = '\n'; break;
		case 't': ch = '\t'; break;
		case '\\': ch = '\\'; break;
		case '"': ch = '"'; break;
		case '$': ch = '$'; break;
		case 'x':
			hi = p + 2 < end ? hexval(p[2]) : -1;
			lo = p + 3 < end ? hexval(p[3]) : -1;
			if (hi < 0 || lo < 0)
				return lex_err(err, c->line, col,
					       "bad escape '%s': \\x needs two "
					       "hex digits", "\\x");
			ch = (char)(hi * 16 + lo);
			p += 2;
			break;
		default: {
			char s[3] = {'\\', p[1], '\0'};

			return lex_err(err, c->line, col,
				       "bad escape '%s' (known: \\n \\t \\\\ "
				       "\\\" \\$ \\xNN)", s);
		}
		}
		rc = add_lit(seg, &ch, 1);
		if (rc)
			return rc;
		p += 2;
	}
	if (p >= end)
		return lex_err(err, c->line, qcol, "unterminated string%s", "");
	*pp = p + 1;
	return 0;
}

/* "*NAME_MAX", "*NAME_MAX+K" or "*NAME_MAX-K" at p (after the '*'):
 * 1 with *delta and *pp past it; 0 when p is not NAME_MAX */
static int lex_namemax(const char **pp, const char *end, int *delta)
{
	static const char key[] = "NAME_MAX";
	const char *p = *pp;
	int sign = 0, k = 0;

	if ((size_t)(end - p) < sizeof(key) - 1 ||
	    memcmp(p, key, sizeof(key) - 1))
		return 0;
	p += sizeof(key) - 1;
	if (p < end && (*p == '+' || *p == '-')) {
		sign = *p == '+' ? 1 : -1;
		p++;
		while (p < end && *p >= '0' && *p <= '9' &&
		       k <= SCN_NAMEMAX_DELTA)
			k = k * 10 + (*p++ - '0');
		if (!k || k > SCN_NAMEMAX_DELTA)
			return -1;
	}
	*delta = sign * k;
	*pp = p;
	return 1;
}

/* "*N" after a string: 0 and *count (1 when absent); "*NAME_MAX[±K]":
 * *count 0 and *delta */
static int lex_star(const struct scn_lex_ctx *c, const char *base,
		    const char **pp, const char *end, unsigned *count,
		    int *delta, struct scn_error *err)
{
	const char *p = *pp;
	unsigned long long n = 0;
	unsigned col = (unsigned)(p - base) + 1;
	int nm;

	*count = 1;
	if (p >= end || *p != '*')
		return 0;
	p++;
	nm = lex_namemax(&p, end, delta);
	if (nm < 0)
		return lex_err(err, c->line, col, "'*NAME_MAX' takes +K or -K "
			       "with K from 1 to %s", "16");
	if (nm) {
		*count = 0;
		*pp = p;
		return 0;
	}
	if (p >= end || *p < '0' || *p > '9')
		return lex_err(err, c->line, col,
			       "'*' after a string needs a count%s", "");
	while (p < end && *p >= '0' && *p <= '9') {
		n = n * 10 + (unsigned)(*p - '0');
		if (n > SCN_STAR_MAX)
			break;
		p++;
	}
	if (n < 1 || n > SCN_STAR_MAX)
		return lex_err(err, c->line, col,
			       "repeat count after '*' out of range "
			       "(1..1048576)%s", "");
	*count = (unsigned)n;
	*pp = p;
	return 0;
}

/* literal bytes of a lexed string (variables count as none) */
static size_t seg_bytes(const struct scn_word *w)
{
	size_t k, n = 0;

	for (k = 0; k < w->nsegs; k++)
		n += w->segs[k].len;
	return n;
}

/* charge n more bytes to the word (wlen) and to the file; -EINVAL with
 * the error at col past either limit */
static int budget(const struct scn_lex_ctx *c, size_t *wlen, size_t n,
		  unsigned col, struct scn_error *err)
{
	*wlen += n;
	if (*wlen > SCN_WORD_BYTES_MAX)
		return lex_err(err, c->line, col, "word longer than %s once "
			       "expanded", "16 MiB");
	if (!c->spent)
		return 0;
	*c->spent += n;
	if (*c->spent > SCN_FILE_BYTES_MAX)
		return lex_err(err, c->line, col, "the file's words hold more "
			       "than %s once expanded", "64 MiB");
	return 0;
}

/* the string of "…"*NAME_MAX as a segment expanded at run time, when the
 * filesystem's limit is known; the word then counts as variable (it is
 * not literal) */
static int add_namemax(const struct scn_lex_ctx *c, struct scn_word *w,
		       const struct scn_word *src, int delta, unsigned col,
		       size_t *wlen, struct scn_error *err)
{
	struct scn_seg *ns;
	char *p;
	int rc;

	if (src->nsegs != 1 || src->segs[0].kind != SCN_SEG_LIT ||
	    !src->segs[0].len)
		return lex_err(err, c->line, col, "'*NAME_MAX' repeats a "
			       "plain string%s", " (no $i/$n in it)");
	rc = budget(c, wlen, src->segs[0].len *
			     (SCN_NAMEMAX_CAP + SCN_NAMEMAX_DELTA), col, err);
	if (rc)
		return rc;
	p = malloc(src->segs[0].len + 1);
	ns = realloc(w->segs, (w->nsegs + 1) * sizeof(*ns));
	if (!p || !ns) {
		free(p);
		if (ns)
			w->segs = ns;
		return -ENOMEM;
	}
	memcpy(p, src->segs[0].p, src->segs[0].len + 1);
	w->segs = ns;
	w->segs[w->nsegs++] = (struct scn_seg){SCN_SEG_NAMEMAX, p,
					       src->segs[0].len, delta};
	if (!w->vars)
		w->var_col = col;
	w->vars = 1;
	return 0;
}

static int lex_word(const struct scn_lex_ctx *c, const char *base,
		    const char **pp, const char *end, struct scn_word *w,
		    struct scn_error *err)
{
	const char *p = *pp;
	struct scn_word seg;
	unsigned count;
	size_t wlen = 0;
	int rc = 0, delta = 0;

	memset(w, 0, sizeof(*w));
	w->col = (unsigned)(p - base) + 1;
	while (p < end && !is_blank(*p)) {
		unsigned col = (unsigned)(p - base) + 1;

		if (*p == '"') {
			memset(&seg, 0, sizeof(seg));
			rc = lex_string(c, base, &p, end, &seg, err);
			if (!rc)
				rc = lex_star(c, base, &p, end, &count, &delta,
					      err);
			if (!rc && !count) {
				rc = add_namemax(c, w, &seg, delta, col, &wlen,
						 err);
				scn_word_free(&seg);
				w->quoted = 1;
				if (rc)
					goto fail;
				continue;
			}
			/* the budgets are checked before anything is
			 * copied: a word, then the whole file */
			if (!rc)
				rc = budget(c, &wlen, seg_bytes(&seg) * count,
					    col, err);
			if (!rc)
				rc = add_repeat(w, &seg, count);
			if (rc == -E2BIG)
				rc = lex_err(err, c->line, col,
					     "'*' repeats the string past "
					     "%s", "16 MiB or 4096 segments");
			if (!rc && seg.vars && !w->var_col)
				w->var_col = seg.var_col;
			if (!rc && !seg.nsegs)
				rc = add_lit(w, "", 0);
			scn_word_free(&seg);
			w->quoted = 1;
		} else if (*p == '$') {
			rc = lex_var(c, w, p, end, col, err);
			p += 2;
		} else {
			rc = budget(c, &wlen, 1, col, err);
			if (!rc)
				rc = add_lit(w, p, 1);
			p++;
		}
		if (rc)
			goto fail;
	}
	*pp = p;
	return 0;
fail:
	scn_word_free(w);
	return rc;
}

int scn_lex_line(const struct scn_lex_ctx *c, const char *text, size_t len,
		 struct scn_word **words, size_t *nwords,
		 struct scn_error *err)
{
	const char *p = text, *end = text + len;
	struct scn_word *v = NULL, *nv;
	size_t n = 0;
	int rc;

	for (;;) {
		while (p < end && is_blank(*p))
			p++;
		if (p >= end || *p == '#')
			break;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			rc = -ENOMEM;
			goto fail;
		}
		v = nv;
		rc = lex_word(c, text, &p, end, &v[n], err);
		if (rc)
			goto fail;
		n++;
	}
	*words = v;
	*nwords = n;
	return 0;
fail:
	if (rc == -ENOMEM)
		lex_err(err, c->line, 0, "out of memory%s", "");
	scn_words_free(v, n);
	return rc;
}

void scn_word_free(struct scn_word *w)
{
	size_t k;

	for (k = 0; k < w->nsegs; k++)
		free(w->segs[k].p);
	free(w->segs);
	w->segs = NULL;
	w->nsegs = 0;
}

void scn_words_free(struct scn_word *w, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		scn_word_free(&w[k]);
	free(w);
}

const char *scn_word_lit(const struct scn_word *w, size_t *len)
{
	if (!w->nsegs || w->segs[0].kind != SCN_SEG_LIT) {
		if (len)
			*len = 0;
		return "";
	}
	if (len)
		*len = w->segs[0].len;
	return w->segs[0].p;
}

int scn_word_is(const struct scn_word *w, const char *s)
{
	size_t len;
	const char *p = scn_word_lit(w, &len);

	return !w->quoted && !w->vars && w->nsegs == 1 &&
	       len == strlen(s) && !memcmp(p, s, len);
}

/* how many times a NAME_MAX segment repeats its string */
static size_t namemax_count(const struct scn_seg *s, unsigned namemax)
{
	long c;

	if (!namemax || namemax > SCN_NAMEMAX_CAP)
		namemax = namemax ? SCN_NAMEMAX_CAP : 255;
	c = (long)namemax + s->delta;
	return c > 0 ? (size_t)c : 1;
}

char *scn_word_expand(const struct scn_word *w, unsigned i, unsigned n,
		      unsigned namemax, size_t *len)
{
	size_t k, j, total = 0, at = 0, reps;
	char num[16];
	char *out;
	int m;

	for (k = 0; k < w->nsegs; k++)
		total += w->segs[k].kind == SCN_SEG_LIT ? w->segs[k].len :
			 w->segs[k].kind == SCN_SEG_NAMEMAX ?
				w->segs[k].len * namemax_count(&w->segs[k],
							       namemax) :
				10;
	out = malloc(total + 1);
	if (!out)
		return NULL;
	for (k = 0; k < w->nsegs; k++) {
		const struct scn_seg *s = &w->segs[k];

		if (s->kind == SCN_SEG_LIT) {
			memcpy(out + at, s->p, s->len);
			at += s->len;
			continue;
		}
		if (s->kind == SCN_SEG_NAMEMAX) {
			reps = namemax_count(s, namemax);
			for (j = 0; j < reps; j++, at += s->len)
				memcpy(out + at, s->p, s->len);
			continue;
		}
		m = snprintf(num, sizeof(num), "%u",
			     s->kind == SCN_SEG_VAR_I ? i : n);
		memcpy(out + at, num, (size_t)m);
		at += (size_t)m;
	}
	out[at] = '\0';
	if (len)
		*len = at;
	return out;
}

void scn_quote(const char *p, size_t len, char *buf, size_t size)
{
	size_t at = 0, k;
	const size_t shown = 64;

	if (size < 16) {
		if (size)
			buf[0] = '\0';
		return;
	}
	buf[at++] = '"';
	for (k = 0; k < len && k < shown && at + 8 < size; k++) {
		unsigned char ch = (unsigned char)p[k];

		if (ch == '"' || ch == '\\')
			at += (size_t)snprintf(buf + at, size - at, "\\%c", ch);
		else if (ch == '\n')
			at += (size_t)snprintf(buf + at, size - at, "\\n");
		else if (ch == '\t')
			at += (size_t)snprintf(buf + at, size - at, "\\t");
		else if (ch < 0x20 || ch >= 0x7f)
			at += (size_t)snprintf(buf + at, size - at, "\\x%02x",
					       ch);
		else
			buf[at++] = (char)ch;
	}
	if (k < len && at + 5 < size)
		at += (size_t)snprintf(buf + at, size - at, "...");
	buf[at++] = '"';
	buf[at] = '\0';
}
