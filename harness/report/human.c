/* report/human.c - the summary a person reads after `fusecheck run`: one
 * line a scenario, then every violation with everything needed to find its
 * cause (rule, nodeid, path, scenario line, sequence numbers, log excerpt),
 * then the run's metadata and a count line.
 *
 * Names from the filesystem are escaped to printable ASCII and free text
 * to printable UTF-8 (util/text.c), so the only control bytes written are '\n' and, with
 * color, ESC.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "util/text.h"
#include "report/report.h"
#include "wire/evfmt.h"
#include "judge/lock.h"
#include "wire/proto.h"

#define NAME_COL_MAX 40

struct status_look {
	const char *label;
	const char *color;
};

static const struct status_look status_looks[] = {
	[FC_SCN_ST_PASS] = { "PASS", "\033[32m" },       /* green */
	[FC_SCN_ST_FAIL] = { "FAIL", "\033[1;31m" },     /* bold red */
	[FC_SCN_ST_SKIP] = { "SKIP", "\033[33m" },       /* yellow */
	[FC_SCN_ST_BROKEN] = { "BROKEN", "\033[1;35m" }, /* bold magenta */
};

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"

struct human {
	FILE *out;
	int color;
};

static const char *col(const struct human *h, const char *code)
{
	return h->color ? code : "";
}

static const struct status_look *look(int status)
{
	if (status < FC_SCN_ST_PASS || status > FC_SCN_ST_BROKEN)
		status = FC_SCN_ST_BROKEN;
	return &status_looks[status];
}

/* A name as printable ASCII, as the event log shows it. */
static char *name_dup(const char *s)
{
	return text_escape_dup(s, TEXT_ASCII | TEXT_QUOTES);
}

/* Names as the event log shows them; free text as printable UTF-8. */
static void put_name(FILE *out, const char *s)
{
	text_put(out, s, TEXT_ASCII | TEXT_QUOTES);
}

static void put_text(FILE *out, const char *s)
{
	text_put(out, s, TEXT_UTF8);
}

static void scenario_line(const struct human *h,
			  const struct fc_scn_result *s, int width)
{
	const struct status_look *l = look(s->status);
	char *name = name_dup(s->name);

	fprintf(h->out, "%s%-6s%s %-*s  ", col(h, l->color), l->label,
		col(h, C_RESET), width, name ? name : "?");
	free(name);
	switch (s->status) {
	case FC_SCN_ST_PASS:
		fprintf(h->out, "%.2fs", s->seconds);
		break;
	case FC_SCN_ST_FAIL:
		fprintf(h->out, "%zu violation%s", s->nviolations,
			s->nviolations == 1 ? "" : "s");
		if (s->known)
			fputs(" (a known deviation)", h->out);
		break;
	default:
		put_text(h->out, s->reason ? s->reason : "no reason given");
		break;
	}
	fputc('\n', h->out);
}

void report_human_line(FILE *out, const struct fc_scn_result *s, int color,
		       int width)
{
	struct human h = { out, color };

	scenario_line(&h, s, width);
}

int report_human_width(const char *const *names, size_t n)
{
	size_t i, len;
	int width = 16;

	for (i = 0; i < n; i++) {
		char *e = name_dup(names[i]);

		len = e ? strlen(e) : 1;
		free(e);
		if (len > (size_t)width)
			width = len < NAME_COL_MAX ? (int)len : NAME_COL_MAX;
	}
	return width;
}

static void excerpt(FILE *out, const char *ex)
{
	const char *nl;
	char *line;

	while (ex && *ex) {
		nl = strchr(ex, '\n');
		if (!nl)
			nl = ex + strlen(ex);
		line = strndup(ex, nl - ex);
		fputs("      | ", out);
		put_text(out, line ? line : "?");
		fputc('\n', out);
		free(line);
		ex = *nl ? nl + 1 : nl;
	}
}

/* A finding's first violation in full: the rule, where, what, and (for
 * the first few findings of a run) the log excerpt around it. */
static void violation(const struct human *h, const struct fc_violation *v,
		      size_t i, size_t count, int with_excerpt)
{
	FILE *out = h->out;
	const char *id = v->rule ? v->rule->id : "UNKNOWN";
	const char *summary = v->rule ? v->rule->summary : "";

	fprintf(out, "  [%zu] %s%s%s", i + 1, col(h, C_BOLD), id,
		col(h, C_RESET));
	if (count > 1)
		fprintf(out, " x%zu", count);
	fputs("  ", out);
	put_text(out, summary);
	fputc('\n', out);

	/* what it is about, where known (a failed expectation names its
	 * file in the message instead) */
	if (v->nodeid || (v->path && *v->path)) {
		fputs("      ", out);
		if (v->nodeid)
			fprintf(out, "nodeid %" PRIu64, v->nodeid);
		if (v->path && *v->path) {
			fputs(v->nodeid ? ", path \"" : "path \"", out);
			put_name(out, v->path);
			fputc('"', out);
		}
		fputc('\n', out);
	}

	fputs("      at ", out);
	if (v->scn_file) {
		put_name(out, v->scn_file);
		if (v->scn_line)
			fprintf(out, ":%" PRIu32, v->scn_line);
	} else {
		fputs("(outside a scenario)", out);
	}
	fprintf(out, ", seq %" PRIu64, v->seq);
	if (v->seq_ref)
		fprintf(out, " (related seq %" PRIu64 ")", v->seq_ref);
	fputc('\n', out);

	if (v->detail && *v->detail) {
		fputs("      ", out);
		put_text(out, v->detail);
		fputc('\n', out);
	}
	if (with_excerpt)
		excerpt(out, v->excerpt);
}

/* Further instances of a finding: a few, one line each. */
#define ALSO_SHOWN 2
/* Findings of a run shown in full, with their log excerpt; the rest one
 * line each, pointing to report.json and `fusecheck log`, so that the
 * summary of a bad filesystem stays a screen or two. */
#define EXCERPTS_SHOWN 3

/* A finding past the first few: rule, counts, where, what, in one line. */
static void finding_line(const struct human *h, const struct fc_violation *v,
			 size_t i, size_t count, size_t findings,
			 const char *more)
{
	FILE *out = h->out;
	const char *base;

	fprintf(out, "  [%zu] %s%s%s", i + 1, col(h, C_BOLD),
		v->rule ? v->rule->id : "UNKNOWN", col(h, C_RESET));
	if (count > 1)
		fprintf(out, " x%zu", count);
	if (findings > 1)
		fprintf(out, " in %zu findings", findings);
	if (v->scn_file) {
		base = strrchr(v->scn_file, '/');
		fputs("  ", out);
		put_name(out, base ? base + 1 : v->scn_file);
		if (v->scn_line)
			fprintf(out, ":%" PRIu32, v->scn_line);
	}
	if (more && *more)
		fprintf(out, " (also %s)", more);
	if (v->path && *v->path && !v->detail) {
		fputs("  \"", out);
		put_name(out, v->path);
		fputc('"', out);
	}
	fputs(": ", out);
	put_text(out, v->detail && *v->detail ? v->detail :
		 (v->rule ? v->rule->summary : ""));
	fputc('\n', out);
}

/* Scenario lines listed on a compact finding line, at most. */
#define LINES_LISTED 8

/* The findings of scenario s past the first few, one line per rule:
 * the rule, how many violations in how many findings, the scenario lines
 * they are at, and the first one's message.  `first` is the first
 * finding shown so; `done` marks what a line has taken. */
static void finding_lines(const struct human *h, const struct fc_scn_result *s,
			  size_t first, unsigned char *done)
{
	char more[LINES_LISTED * 12 + 8];
	size_t j, k, nv, nf, listed, len;

	for (j = first; j < s->nfindings; j++) {
		const struct fc_finding *f = &s->findings[j];

		if (done[j])
			continue;
		nv = nf = listed = len = 0;
		more[0] = '\0';
		for (k = j; k < s->nfindings; k++) {
			const struct fc_finding *g = &s->findings[k];

			if (done[k] || g->rule != f->rule)
				continue;
			done[k] = 1;
			nv += g->count;
			/* the lines of the rest, after the first one's */
			if (!nf++ || !g->line || len >= sizeof(more))
				continue;
			if (listed < LINES_LISTED)
				len += (size_t)snprintf(more + len,
					sizeof(more) - len, "%s%" PRIu32,
					listed ? ", " : "", g->line);
			else if (listed == LINES_LISTED)
				len += (size_t)snprintf(more + len,
					sizeof(more) - len, ", ...");
			listed++;
		}
		finding_line(h, &s->violations[f->members[0]], j, nv, nf,
			     more);
	}
}

static void also(const struct human *h, const struct fc_scn_result *s,
		 const struct fc_finding *f)
{
	const struct fc_violation *v;
	size_t k;

	for (k = 1; k < f->count && k <= ALSO_SHOWN; k++) {
		v = &s->violations[f->members[k]];
		fprintf(h->out, "      also seq %" PRIu64, v->seq);
		if (v->path && *v->path) {
			fputs(" \"", h->out);
			put_name(h->out, v->path);
			fputc('"', h->out);
		}
		fputs(": ", h->out);
		put_text(h->out, v->detail ? v->detail : "");
		fputc('\n', h->out);
	}
	if (f->count > ALSO_SHOWN + 1)
		fprintf(h->out, "      ... and %zu more like it (report.json "
			"lists every one)\n", f->count - ALSO_SHOWN - 1);
}

/* How each lock verdict looks, indexed by enum lock_verdict. */
static const struct status_look lock_looks[] = {
	[LOCK_V_NA] = { "n/a", C_DIM },
	[LOCK_V_VACUOUS] = { "vacuous", "\033[33m" },
	[LOCK_V_PASS] = { "pass", "\033[32m" },
	[LOCK_V_VIOLATION] = { "violation", "\033[1;31m" },
};

/* The run's lock verdicts: one row a rule, with the overlap figure that
 * tells a pass from a vacuous one. */
static void lock_table(const struct human *h, const struct fc_run_result *r)
{
	size_t i;

	if (!r->nlock)
		return;
	fprintf(h->out, "\nlock rules (overlap: most requests of the rule's "
		"class in flight at once)\n");
	for (i = 0; i < r->nlock; i++) {
		const struct fc_lock_row *w = &r->lock[i];
		int v = w->verdict;
		const struct status_look *l;

		if (v < LOCK_V_NA || v > LOCK_V_VIOLATION)
			v = LOCK_V_VACUOUS;
		l = &lock_looks[v];
		fprintf(h->out, "  %-18s %s%-9s%s overlap %-4zu judged %-7"
			PRIu64 " exempt %" PRIu64, w->rule ? w->rule : "?",
			col(h, l->color), l->label, col(h, C_RESET),
			w->max_overlap, w->judged, w->exempt);
		if (w->violations)
			fprintf(h->out, " violations %" PRIu64, w->violations);
		fputc('\n', h->out);
	}
}

static void flag_names(FILE *out, uint64_t flags)
{
	char *names = proto_init_flag_names(flags);

	fprintf(out, "[%s]", names ? names : "?");
	free(names);
}

static void init_info(FILE *out, const struct fc_init_info *in)
{
	if (!in->seen) {
		fputs("INIT: not seen\n", out);
		return;
	}
	fprintf(out, "INIT: kernel offered %" PRIu32 ".%" PRIu32 " ",
		in->kernel_major, in->kernel_minor);
	flag_names(out, in->kernel_flags);
	fprintf(out, "\n      filesystem accepted %" PRIu32 ".%" PRIu32 " ",
		in->major, in->minor);
	flag_names(out, in->flags);
	fprintf(out,
		"\n      max_write %" PRIu32 ", max_pages %" PRIu32
		", max_readahead %" PRIu32,
		in->max_write, in->max_pages, in->max_readahead);
	if (in->capped)
		fprintf(out,
			" (capped by the tap; the filesystem asked max_write %"
			PRIu32 ", max_pages %" PRIu32 ")",
			in->fs_max_write, in->fs_max_pages);
	fputc('\n', out);
}

static void metadata(FILE *out, const struct fc_run_result *r)
{
	fputs("kernel ", out);
	put_text(out, r->kernel_release ? r->kernel_release : "unknown");
	fputs(", libfuse ", out);
	put_text(out, r->libfuse_version ? r->libfuse_version : "unknown");
	if (r->fs_libfuse) {
		fputs(" (the filesystem runs ", out);
		put_name(out, r->fs_libfuse);
		fputc(')', out);
	}
	fputs("\nfilesystem: ", out);
	put_name(out, r->fs_cmd ? r->fs_cmd : "unknown");
	if (r->reference_fs)
		fputs(" (reference filesystem)", out);
	fputc('\n', out);
	if (r->attach) {
		fputs("attached by: ", out);
		put_text(out, r->attach);
		fputc('\n', out);
	}
	if (r->fs_pidns && !strcmp(r->fs_pidns, "host"))
		fputs("pid namespace: fusecheck's (--fs-pidns host): what the "
		      "filesystem forks may outlive the mount\n", out);
	if (r->caps) {
		char **c;

		fputs("requirements met:", out);
		for (c = r->caps; *c; c++) {
			fputc(' ', out);
			put_text(out, *c);
		}
		fputc('\n', out);
	}
	init_info(out, &r->init);
	/* a lookup-count rule with nothing to judge passes vacuously: say
	 * how much there was */
	fprintf(out, "lookup counts: %llu references handed out, %llu "
		"returned by %llu forgets; %llu balances judged, %llu "
		"reference-ledger comparisons, %llu re-lookups of held names",
		(unsigned long long)r->lc.handed,
		(unsigned long long)r->lc.returned,
		(unsigned long long)r->lc.forgets,
		(unsigned long long)r->lc.balances,
		(unsigned long long)r->lc.compares,
		(unsigned long long)r->lc.relookups);
	if (r->lc.evictions)
		fprintf(out, "; %llu evictions (%llu dropped a name)",
			(unsigned long long)r->lc.evictions,
			(unsigned long long)r->lc.evicted);
	fputs("\nquiesce: ", out);
	put_text(out, r->quiesce_method ? r->quiesce_method : "unknown");
	if (r->time_scale > 1)
		fprintf(out, "\ntimeouts: scaled by %u (--time-scale)",
			r->time_scale);
	fputs("\nevent log: ", out);
	if (r->log_path)
		put_name(out, r->log_path);
	else
		fputs("not written", out);
	fputc('\n', out);
}

int report_human(FILE *out, const struct fc_run_result *r, int color)
{
	struct human h = { out, color };
	size_t counts[4], nv, i, j, len, excerpts = 0, exits = 0;
	int width = 16;

	for (i = 0; i < r->nscn; i++) {
		char *e = name_dup(r->scn[i].name);

		len = e ? strlen(e) : 1;
		free(e);
		if (len > (size_t)width)
			width = len < NAME_COL_MAX ? (int)len : NAME_COL_MAX;
	}
	for (i = 0; i < r->nscn && !r->lines_streamed; i++)
		scenario_line(&h, &r->scn[i], width);

	/* a filesystem killed by a signal at unmount, or that had to be
	 * ended, is news; an exit status is not (libfuse reads the tap's
	 * end of the connection as "short read on fuse device" and exits
	 * 1), so it is in report.json only */
	for (i = 0; i < r->nscn; i++) {
		const struct fc_scn_result *s = &r->scn[i];

		if (!s->fs_exit || !strncmp(s->fs_exit, "exited with status", 18))
			continue;
		if (!exits++)
			fputc('\n', out);
		put_name(out, s->name);
		fputs(": the filesystem at unmount: ", out);
		put_text(out, s->fs_exit);
		fputc('\n', out);
	}
	for (i = 0; i < r->nscn; i++) {
		const struct fc_scn_result *s = &r->scn[i];

		if (!s->nviolations)
			continue;
		fputc('\n', out);
		fprintf(out, "%s", col(&h, look(FC_SCN_ST_FAIL)->color));
		put_name(out, s->name);
		fprintf(out, "%s (", col(&h, C_RESET));
		put_name(out, s->file);
		fprintf(out, "): %zu violation%s", s->nviolations,
			s->nviolations == 1 ? "" : "s");
		if (s->nfindings != s->nviolations)
			fprintf(out, " in %zu finding%s", s->nfindings,
				s->nfindings == 1 ? "" : "s");
		if (s->known) {
			fputs("; a known deviation of the profile: ", out);
			put_text(out, s->known);
		}
		fputc('\n', out);
		for (j = 0; j < s->nfindings &&
			    excerpts < EXCERPTS_SHOWN; j++, excerpts++) {
			const struct fc_finding *f = &s->findings[j];

			violation(&h, &s->violations[f->members[0]], j,
				  f->count, 1);
			also(&h, s, f);
		}
		if (j < s->nfindings) {
			unsigned char *done = calloc(s->nfindings, 1);

			excerpts++;	/* some were shown short */
			if (done)
				finding_lines(&h, s, j, done);
			free(done);
		}
	}
	if (excerpts > EXCERPTS_SHOWN)
		fprintf(out, "\n(the first %d findings are shown in full, the "
			"rest one line a rule and scenario; report.json has "
			"every violation with its log excerpt, and `fusecheck "
			"log` prints the whole log)\n", EXCERPTS_SHOWN);

	lock_table(&h, r);
	fputc('\n', out);
	metadata(out, r);
	for (i = 0; i < r->nnotes; i++) {
		fputs("note: ", out);
		put_text(out, r->notes[i]);
		fputc('\n', out);
	}
	for (i = 0; i < r->nknown_gone; i++) {
		fprintf(out, "%sknown deviation gone:%s ",
			col(&h, look(FC_SCN_ST_FAIL)->color), col(&h, C_RESET));
		put_text(out, r->known_gone[i]);
		fputs(": the profile declares it, this run did not see it "
		      "(update the profile)\n", out);
	}
	if (r->broken) {
		fprintf(out, "%srun broken:%s ",
			col(&h, look(FC_SCN_ST_BROKEN)->color), col(&h, C_RESET));
		put_text(out, r->broken);
		fputc('\n', out);
	}

	for (i = 0; i < r->nscn; i++) {
		const struct fc_scn_result *s = &r->scn[i];
		int k, first = 1;

		if (!run_result_flaky(s))
			continue;
		fprintf(out, "%sflaky:%s ", col(&h, look(FC_SCN_ST_FAIL)->color),
			col(&h, C_RESET));
		put_name(out, s->name ? s->name : "?");
		fputs(" (", out);
		for (k = 0; k < 4; k++) {
			if (!s->held[k])
				continue;
			fprintf(out, "%s%s %u", first ? "" : ", ",
				fc_status_name(k), s->held[k]);
			first = 0;
		}
		fputs("): the worst run is reported\n", out);
	}
	run_result_counts(r, counts, &nv);
	fprintf(out,
		"%s%zu scenarios: %zu passed, %zu failed, %zu skipped, "
		"%zu broken; %zu violations",
		col(&h, C_BOLD), r->nscn, counts[FC_SCN_ST_PASS],
		counts[FC_SCN_ST_FAIL], counts[FC_SCN_ST_SKIP],
		counts[FC_SCN_ST_BROKEN], nv);
	if (run_result_known(r))
		fprintf(out, " (%zu of the failures known deviations)",
			run_result_known(r));
	if (r->violations_not_kept)
		fprintf(out, " (and %llu not kept)",
			(unsigned long long)r->violations_not_kept);
	fprintf(out, "%s\n", col(&h, C_RESET));
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}
