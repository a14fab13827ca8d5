/* report/test_anything.c - TAP version 13: one test point a scenario, a failed one
 * followed by a YAML block listing its violations; a run that could not
 * run ends in "Bail out!".
 *
 * A description must not carry '#' (it would start a directive) and no
 * line may carry a control byte: names are escaped to printable ASCII
 * with '#' escaped too, free text to printable UTF-8 (util/text.c); YAML values are
 * single-quoted, where only the quote itself needs doubling.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "util/text.h"
#include "report/report.h"
#include "wire/evfmt.h"

/* Name as printable ASCII with '#' as "\x23". */
static void put_name(FILE *out, const char *s)
{
	text_put(out, s, TEXT_ASCII | TEXT_QUOTES | TEXT_HASH);
}

static void put_text(FILE *out, const char *s)
{
	text_put(out, s, TEXT_UTF8);
}

/* A YAML single-quoted scalar; `name` selects name escaping. */
static void yaml_str(FILE *out, const char *s, int name)
{
	char *buf = NULL, *p;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (f) {
		if (name)
			put_name(f, s);
		else
			put_text(f, s);
		fclose(f);
	}
	fputc('\'', out);
	for (p = buf; p && *p; p++) {
		if (*p == '\'')
			fputc('\'', out);
		fputc(*p, out);
	}
	fputc('\'', out);
	free(buf);
}

/* One finding: its first violation in full, with how many it holds. */
static void yaml_finding(FILE *out, const struct fc_finding *f,
			 const struct fc_violation *v)
{
	const char *ex = v->excerpt, *nl;
	char *line;

	fputs("    - rule: ", out);
	yaml_str(out, v->rule ? v->rule->id : "UNKNOWN", 0);
	fprintf(out, "\n      count: %zu", f->count);
	fputs("\n      summary: ", out);
	yaml_str(out, v->rule ? v->rule->summary : "", 0);
	fprintf(out, "\n      nodeid: %" PRIu64 "\n      path: ", v->nodeid);
	yaml_str(out, v->path, 1);
	fputs("\n      file: ", out);
	yaml_str(out, v->scn_file ? v->scn_file : "", 1);
	fprintf(out,
		"\n      line: %" PRIu32 "\n      seq: %" PRIu64
		"\n      seq_ref: %" PRIu64 "\n      detail: ",
		v->scn_line, v->seq, v->seq_ref);
	yaml_str(out, v->detail, 0);
	fputs("\n      excerpt:\n", out);
	while (ex && *ex) {
		nl = strchr(ex, '\n');
		if (!nl)
			nl = ex + strlen(ex);
		line = strndup(ex, nl - ex);
		fputs("        - ", out);
		yaml_str(out, line ? line : "?", 0);
		fputc('\n', out);
		free(line);
		ex = *nl ? nl + 1 : nl;
	}
}

static void yaml_block(FILE *out, const struct fc_scn_result *s)
{
	size_t i;

	fprintf(out, "  ---\n  message: '%zu violation%s", s->nviolations,
		s->nviolations == 1 ? "" : "s");
	if (s->nfindings != s->nviolations)
		fprintf(out, " in %zu finding%s", s->nfindings,
			s->nfindings == 1 ? "" : "s");
	fputs("'\n", out);
	fputs("  severity: fail\n  file: ", out);
	yaml_str(out, s->file, 1);
	fprintf(out, "\n  duration_ms: %.0f\n", s->seconds * 1000);
	if (s->nfindings)
		fputs("  findings:\n", out);
	for (i = 0; i < s->nfindings; i++)
		yaml_finding(out, &s->findings[i],
			     &s->violations[s->findings[i].members[0]]);
	fputs("  ...\n", out);
}

int report_tap(FILE *out, const struct fc_run_result *r)
{
	const struct fc_scn_result *s;
	size_t i;

	fprintf(out, "TAP version 13\n1..%zu\n", r->nscn);
	for (i = 0; i < r->nscn; i++) {
		s = &r->scn[i];
		fprintf(out, "%s %zu - ",
			s->status == FC_SCN_ST_PASS || s->status == FC_SCN_ST_SKIP ?
				"ok" : "not ok",
			i + 1);
		put_name(out, s->name);
		switch (s->status) {
		case FC_SCN_ST_PASS:
			fputc('\n', out);
			break;
		case FC_SCN_ST_FAIL:
			/* TAP's TODO: a failure expected for now */
			if (s->known) {
				fputs(" # TODO known: ", out);
				put_text(out, s->known);
			}
			fputc('\n', out);
			yaml_block(out, s);
			break;
		case FC_SCN_ST_SKIP:
			fputs(" # SKIP ", out);
			put_text(out, s->reason ? s->reason : "skipped");
			fputc('\n', out);
			break;
		default:
			fputs(" # broken: ", out);
			put_text(out, s->reason ? s->reason : "no reason");
			fputc('\n', out);
			break;
		}
	}
	for (i = 0; i < r->nknown_gone; i++) {
		fputs("# known deviation gone: ", out);
		put_text(out, r->known_gone[i]);
		fputc('\n', out);
	}
	if (r->broken) {
		fputs("Bail out! ", out);
		put_text(out, r->broken);
		fputc('\n', out);
	}
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}
