/* report/timeline.c - draws each scenario of an event log as an SVG timeline
 * (report/timeline.h).  The log is fed to a fresh checker, exactly as `replay`
 * does, so the red bars are the violations the report names.
 *
 * Only requests that take a lock the lock rules know (wire/proto.h
 * fc_lock_kind) are drawn: those are the ones a reader wants to see side
 * by side.  Lanes are keyed by the nodeid the request locks (the parent
 * for directory operations, the file for WRITE) and labelled with the
 * best-known path at the time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <libxml/xmlwriter.h>
#include <sys/stat.h>

#include "util/text.h"
#include "judge/checker.h"
#include "wire/evfmt.h"
#include "capture/evlog.h"
#include "wire/proto.h"
#include "judge/rules.h"
#include "report/timeline.h"

#define MAX_BARS 6000
#define MAX_LANES 48
#define MAX_ROWS 10        /* stacked rows in one lane */
#define LABEL_W 300
#define PLOT_W 1300
#define ROW_H 16
#define LANE_GAP 8
#define TOP 96
#define NAME_KEEP 32

struct bar {
	uint64_t unique, seq, seq_end;
	uint64_t start, end;      /* ns; end 0: no reply seen */
	uint64_t nodeid;
	uint32_t opcode, pid;
	int lock;                 /* enum fc_lock_kind */
	int red;
	int lane, row;
	char name[4 * NAME_KEEP + 4];
};

struct lane {
	uint64_t nodeid;
	char label[160];
	int rows;
	uint64_t row_end[MAX_ROWS];
};

struct tl {
	struct fc_checker *c;
	struct bar *bars;
	size_t nbars, dropped;
	struct lane lanes[MAX_LANES];
	int nlanes;
	size_t lanes_dropped;
	int scenario;             /* -1: none */
	char scn_name[128];
	uint64_t scn_start, scn_end;
	const char *dir;
	int err;
};

/* A look per lock kind: fill color and legend text. */
static const struct {
	const char *fill, *legend;
} looks[] = {
	[FC_LK_PARENT_EXCL] = { "#e69f00", "exclusive on the parent" },
	[FC_LK_PARENTS_EXCL] = { "#d55e00", "rename (both parents)" },
	[FC_LK_PARENT_SHARED] = { "#56b4e9", "LOOKUP (parent shared)" },
	[FC_LK_DIR_READ] = { "#009e73", "READDIR(PLUS)" },
	[FC_LK_INODE_WRITE] = { "#9467bd", "WRITE (inode)" },
};

#define RED "#d62728"

/* The SVG writer: libxml2's xmlTextWriter escapes markup; err keeps the
 * first failure so drawing code need not check every call. */
struct svg {
	xmlTextWriterPtr w;
	int err;
};

static void svg_check(struct svg *g, int rc)
{
	if (rc < 0 && !g->err)
		g->err = -EIO;
}

static void svg_open(struct svg *g, const char *name)
{
	svg_check(g, xmlTextWriterStartElement(g->w, BAD_CAST name));
}

static void svg_close(struct svg *g)
{
	svg_check(g, xmlTextWriterEndElement(g->w));
}

static void svg_attr(struct svg *g, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void svg_attr(struct svg *g, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	svg_check(g, xmlTextWriterWriteVFormatAttribute(g->w, BAD_CAST name,
							 fmt, ap));
	va_end(ap);
}

static void svg_text(struct svg *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void svg_text(struct svg *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	svg_check(g, xmlTextWriterWriteVFormatString(g->w, fmt, ap));
	va_end(ap);
}

/* <rect x y width height fill/> with the numbers as given. */
static void svg_rect(struct svg *g, double x, double y, double w, double h,
		     const char *fill)
{
	svg_open(g, "rect");
	svg_attr(g, "x", "%.2f", x);
	svg_attr(g, "y", "%.0f", y);
	svg_attr(g, "width", "%.2f", w);
	svg_attr(g, "height", "%.0f", h);
	svg_attr(g, "fill", "%s", fill);
}

/* <text x y class>...</text>, the element left open for svg_text. */
static void svg_label(struct svg *g, double x, double y, const char *cls)
{
	svg_open(g, "text");
	svg_attr(g, "x", "%.2f", x);
	svg_attr(g, "y", "%.0f", y);
	svg_attr(g, "class", "%s", cls);
}

static int lane_of(struct tl *t, uint64_t nodeid)
{
	char path[4096], esc[128];
	int i;

	for (i = 0; i < t->nlanes; i++)
		if (t->lanes[i].nodeid == nodeid)
			return i;
	if (t->nlanes == MAX_LANES) {
		t->lanes_dropped++;
		return -1;
	}
	checker_path(t->c, nodeid, path, sizeof(path));
	if (nodeid == FUSE_ROOT_ID)
		snprintf(path, sizeof(path), "/ (mount root)");
	text_escape(path, strlen(path), TEXT_ASCII | TEXT_QUOTES,
		    esc, sizeof(esc));
	snprintf(t->lanes[i].label, sizeof(t->lanes[i].label), "%s%s#%llu",
		 esc[0] ? esc : "", esc[0] ? "  " : "nodeid ",
		 (unsigned long long)nodeid);
	t->lanes[i].nodeid = nodeid;
	t->lanes[i].rows = 0;
	return t->nlanes++;
}

static void on_request(struct tl *t, const struct fc_event *ev)
{
	struct fc_req rq;
	struct bar *b;
	size_t n;

	if (t->scenario < 0 || proto_decode_request(ev->data, ev->len, &rq) ||
	    !rq.op || rq.op->lock == FC_LK_NONE)
		return;
	if (t->nbars == MAX_BARS) {
		t->dropped++;
		return;
	}
	b = &t->bars[t->nbars];
	memset(b, 0, sizeof(*b));
	b->lane = lane_of(t, rq.nodeid);
	if (b->lane < 0)
		return;
	b->unique = rq.unique;
	b->seq = ev->seq;
	b->start = ev->time_ns;
	b->nodeid = rq.nodeid;
	b->opcode = rq.opcode;
	b->pid = rq.pid;
	b->lock = rq.op->lock;
	n = rq.name_len < NAME_KEEP ? rq.name_len : NAME_KEEP;
	if (rq.name)
		text_escape(rq.name, n, TEXT_ASCII | TEXT_QUOTES,
			    b->name, sizeof(b->name));
	t->nbars++;
}

static void on_reply(struct tl *t, const struct fc_event *ev)
{
	struct fuse_out_header oh;
	size_t i;

	if (ev->len < sizeof(oh))
		return;
	memcpy(&oh, ev->data, sizeof(oh));
	/* newest first: the open bars are near the end */
	for (i = t->nbars; i-- > 0;)
		if (t->bars[i].unique == oh.unique && !t->bars[i].end) {
			t->bars[i].end = ev->time_ns;
			t->bars[i].seq_end = ev->seq;
			return;
		}
}

/* Red for every bar a lock violation of this scenario names. */
static void mark_violations(struct tl *t, size_t *nviol)
{
	size_t i, k, n = checker_nviolations(t->c);

	*nviol = 0;
	for (i = 0; i < n; i++) {
		const struct fc_violation *v = checker_violation(t->c, i);

		if (v->scenario != t->scenario || !v->rule ||
		    v->rule->family != FC_RF_LOCK)
			continue;
		(*nviol)++;
		for (k = 0; k < t->nbars; k++)
			if (t->bars[k].seq == v->seq ||
			    t->bars[k].seq == v->seq_ref)
				t->bars[k].red = 1;
	}
}

/* Stack overlapping bars of a lane into rows (bars are in start order). */
static void pack(struct tl *t, uint64_t end_all)
{
	size_t i;
	int r;

	for (i = 0; i < t->nbars; i++) {
		struct bar *b = &t->bars[i];
		struct lane *l = &t->lanes[b->lane];
		uint64_t end = b->end ? b->end : end_all;

		for (r = 0; r < l->rows; r++)
			if (l->row_end[r] < b->start)
				break;
		if (r == l->rows) {
			if (l->rows < MAX_ROWS)
				l->rows++;
			else
				r = MAX_ROWS - 1;  /* crowded: overdraw */
		}
		l->row_end[r] = end;
		b->row = r;
	}
}

static double xpos(uint64_t ns, uint64_t t0, uint64_t span)
{
	return LABEL_W + (double)(ns - t0) * PLOT_W / (double)span;
}

static void axis(struct svg *g, uint64_t t0, uint64_t span, int height)
{
	static const double steps[] = { 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1,
					2, 5, 10, 20, 50, 100, 200, 500,
					1000, 2000, 5000, 10000 };
	double ms = (double)span / 1e6, step = steps[0], v;
	size_t i;

	(void)t0;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		if (ms / step <= 12)
			break;
	}
	for (v = 0; v <= ms + 1e-9; v += step) {
		double x = LABEL_W + v * PLOT_W / ms;

		svg_open(g, "line");
		svg_attr(g, "x1", "%.1f", x);
		svg_attr(g, "y1", "%d", TOP - 6);
		svg_attr(g, "x2", "%.1f", x);
		svg_attr(g, "y2", "%d", height - 24);
		svg_attr(g, "stroke", "#ddd");
		svg_close(g);
		svg_label(g, x, TOP - 10, "t");
		svg_attr(g, "text-anchor", "middle");
		svg_text(g, "%g ms", v);
		svg_close(g);
	}
}

static void legend(struct svg *g)
{
	int i, x = 10;

	for (i = FC_LK_PARENT_EXCL; i <= FC_LK_INODE_WRITE; i++) {
		svg_rect(g, x, 48, 14, 12, looks[i].fill);
		svg_close(g);
		svg_label(g, x + 18, 58, "t");
		svg_text(g, "%s", looks[i].legend);
		svg_close(g);
		x += 40 + 7 * (int)strlen(looks[i].legend);
	}
	svg_rect(g, x, 48, 14, 12, RED);
	svg_attr(g, "stroke", "black");
	svg_close(g);
	svg_label(g, x + 18, 58, "t");
	svg_text(g, "in a lock violation");
	svg_close(g);
}

static void draw_bar(struct svg *g, const struct bar *b, uint64_t t0,
		     uint64_t span, uint64_t end_all, const int *lane_y)
{
	uint64_t end = b->end ? b->end : end_all;
	double x = xpos(b->start, t0, span), w = xpos(end, t0, span) - x;
	int y = lane_y[b->lane] + b->row * ROW_H;
	const char *name = proto_op_name(b->opcode);
	size_t chars = strlen(name) + 1 + strlen(b->name);

	if (w < 1.5)
		w = 1.5;
	svg_open(g, "g");
	svg_open(g, "title");
	svg_text(g, "%s \"%s\" nodeid %llu, seq %llu..%llu, pid %u, %.3f ms%s",
		 name, b->name, (unsigned long long)b->nodeid,
		 (unsigned long long)b->seq, (unsigned long long)b->seq_end,
		 b->pid, (double)(end - b->start) / 1e6,
		 b->end ? "" : " (no reply seen)");
	svg_close(g);
	svg_rect(g, x, y + 1, w, ROW_H - 3, b->red ? RED : looks[b->lock].fill);
	if (b->red) {
		svg_attr(g, "stroke", "black");
		svg_attr(g, "stroke-width", "1.5");
	} else if (!b->end) {
		svg_attr(g, "stroke", "black");
		svg_attr(g, "stroke-dasharray", "3,2");
	}
	svg_close(g);
	if (w > 6.5 * (double)chars + 4) {
		svg_label(g, x + 2, y + ROW_H - 5, "b");
		svg_text(g, "%s %s", name, b->name);
		svg_close(g);
	}
	svg_close(g);
}

static void draw(struct svg *g, struct tl *t, const int *lane_y, int height,
		 uint64_t t0, uint64_t span, uint64_t end_all, size_t nviol)
{
	int width = LABEL_W + PLOT_W + 20, i;
	size_t k;

	svg_check(g, xmlTextWriterStartDocument(g->w, NULL, "UTF-8", NULL));
	svg_open(g, "svg");
	svg_attr(g, "xmlns", "http://www.w3.org/2000/svg");
	svg_attr(g, "width", "%d", width);
	svg_attr(g, "height", "%d", height);
	svg_attr(g, "viewBox", "0 0 %d %d", width, height);
	svg_open(g, "style");
	svg_text(g, "text{font-family:DejaVu Sans Mono,monospace;"
		 "font-size:11px}.h{font-size:15px;font-weight:bold}"
		 ".t{fill:#333}.b{fill:#000;font-size:10px}.l{fill:#222}");
	svg_close(g);
	svg_open(g, "rect");
	svg_attr(g, "width", "100%%");
	svg_attr(g, "height", "100%%");
	svg_attr(g, "fill", "white");
	svg_close(g);
	svg_label(g, 10, 22, "h");
	svg_text(g, "%s - lock timeline", t->scn_name);
	svg_close(g);
	svg_label(g, 10, 40, "t");
	svg_text(g, "%zu requests that take a directory or inode lock, "
		 "arrival to reply; %zu lock violation%s%s", t->nbars, nviol,
		 nviol == 1 ? "" : "s", t->dropped || t->lanes_dropped ?
		 " (some requests not drawn: too many)" : "");
	svg_close(g);
	legend(g);
	axis(g, t0, span, height);
	for (i = 0; i < t->nlanes; i++) {
		int h = (t->lanes[i].rows ? t->lanes[i].rows : 1) * ROW_H;

		svg_rect(g, 0, lane_y[i] - 2, width, h + 2,
			 i % 2 ? "#f4f4f4" : "#fbfbfb");
		svg_close(g);
		svg_label(g, 8, lane_y[i] + 12, "l");
		svg_text(g, "%s", t->lanes[i].label);
		svg_close(g);
	}
	for (k = 0; k < t->nbars; k++)
		if (!t->bars[k].red)
			draw_bar(g, &t->bars[k], t0, span, end_all, lane_y);
	/* red on top, so a violation is never hidden under its peers */
	for (k = 0; k < t->nbars; k++)
		if (t->bars[k].red)
			draw_bar(g, &t->bars[k], t0, span, end_all, lane_y);
	svg_check(g, xmlTextWriterEndDocument(g->w));
}

static int render(struct tl *t)
{
	char path[4096];
	int lane_y[MAX_LANES], y = TOP, i, height;
	uint64_t t0 = t->scn_start, end_all = t->scn_end, span;
	struct svg g = { 0 };
	size_t k, nviol;

	if (t->nbars) {
		t0 = t->bars[0].start;
		for (k = 0; k < t->nbars; k++)
			if (t->bars[k].end > end_all)
				end_all = t->bars[k].end;
	}
	if (end_all <= t0)
		end_all = t0 + 1000;
	span = end_all - t0;
	mark_violations(t, &nviol);
	pack(t, end_all);
	for (i = 0; i < t->nlanes; i++) {
		lane_y[i] = y;
		y += (t->lanes[i].rows ? t->lanes[i].rows : 1) * ROW_H +
		     LANE_GAP;
	}
	height = y + 30;

	snprintf(path, sizeof(path), "%s/%02d-%s.svg", t->dir, t->scenario,
		 t->scn_name);
	g.w = xmlNewTextWriterFilename(path, 0);
	if (!g.w)
		return -EIO;
	draw(&g, t, lane_y, height, t0, span, end_all, nviol);
	xmlFreeTextWriter(g.w);
	return g.err;
}

static void begin_scenario(struct tl *t, const struct fc_event *ev)
{
	struct fc_ev_scenario s;
	const char *file = (const char *)ev->data + sizeof(s), *base, *dot;
	size_t len;

	memcpy(&s, ev->data, sizeof(s));
	len = strnlen(file, ev->len - sizeof(s));
	base = memrchr(file, '/', len);
	base = base ? base + 1 : file;
	dot = memrchr(base, '.', len - (size_t)(base - file));
	len = dot ? (size_t)(dot - base) : len - (size_t)(base - file);
	if (len >= sizeof(t->scn_name) / 4)
		len = sizeof(t->scn_name) / 4 - 1;
	text_escape(base, len, TEXT_ASCII | TEXT_QUOTES,
		    t->scn_name, sizeof(t->scn_name));
	/* a file name: keep it tame */
	for (len = 0; t->scn_name[len]; len++)
		if (t->scn_name[len] == '\\' || t->scn_name[len] == '"')
			t->scn_name[len] = '_';
	t->scenario = (int)s.index;
	t->scn_start = ev->time_ns;
	t->nbars = 0;
	t->dropped = 0;
	t->nlanes = 0;
	t->lanes_dropped = 0;
}

static void on_scenario(struct tl *t, const struct fc_event *ev)
{
	struct fc_ev_scenario s;
	int ret;

	if (ev->len < sizeof(s) + 1)
		return;
	memcpy(&s, ev->data, sizeof(s));
	if (s.phase == FC_SCN_BEGIN) {
		begin_scenario(t, ev);
		return;
	}
	if (t->scenario < 0)
		return;
	t->scn_end = ev->time_ns;
	ret = render(t);
	if (ret && !t->err)
		t->err = ret;
	t->scenario = -1;
}

int timeline_write(const char *log_path, const char *dir, char *err,
		   size_t errlen)
{
	struct evlog_reader rd;
	struct fc_event ev;
	struct tl t = { .scenario = -1, .dir = dir };
	int ret;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create '%s': %s", dir,
			 strerror(errno));
		return ret;
	}
	t.c = checker_new();
	t.bars = calloc(MAX_BARS, sizeof(*t.bars));
	if (!t.c || !t.bars) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	ret = evlog_reader_open(&rd, log_path);
	if (ret) {
		snprintf(err, errlen, "cannot read '%s': %s", log_path,
			 strerror(-ret));
		goto out_free;
	}
	evlog_reader_read_ahead(&rd);	/* or read as it goes: the same */
	while ((ret = evlog_reader_next(&rd, &ev)) == 1) {
		checker_feed(t.c, &ev);
		if (ev.kind == FC_EV_REQUEST)
			on_request(&t, &ev);
		else if (ev.kind == FC_EV_REPLY)
			on_reply(&t, &ev);
		else if (ev.kind == FC_EV_SCENARIO)
			on_scenario(&t, &ev);
	}
	if (ret < 0) {
		char why[256];

		snprintf(err, errlen, "'%s' is %s", log_path,
			 evlog_reader_why(&rd, ret, why, sizeof(why)));
		evlog_reader_close(&rd);
		goto out_free;
	}
	evlog_reader_close(&rd);
	if (t.scenario >= 0) {
		/* the log ends inside a scenario: draw what there is */
		t.scn_end = t.scn_start;
		t.err = render(&t);
	}
	ret = t.err;
	if (ret)
		snprintf(err, errlen, "cannot write a timeline in '%s': %s",
			 dir, strerror(-ret));
out_free:
	free(t.bars);
	checker_free(t.c);
	return ret;
}
