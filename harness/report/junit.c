/* report/junit.c - JUnit XML for CI systems: one <testsuite
 * name="fusecheck">, one <testcase> a scenario; a failed scenario carries
 * its violations in <failure>, a broken one an <error>, a skipped one
 * <skipped>.  A run that could not run at all adds a testcase "(run)" with
 * an <error>, so a CI gate never reads it as green.
 *
 * XML 1.0 forbids most control characters even as character references,
 * so every string is escaped textually by util/text.c first; the
 * writer then only has <, & and " left to escape.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/xmlwriter.h>
#include "wire/proto.h"
#include "util/text.h"
#include "report/report.h"

#define X(s) ((const xmlChar *)(s))

struct jw {
	xmlTextWriterPtr w;
	int err;
};

static void start(struct jw *j, const char *el)
{
	if (xmlTextWriterStartElement(j->w, X(el)) < 0)
		j->err = 1;
}

static void end(struct jw *j)
{
	if (xmlTextWriterEndElement(j->w) < 0)
		j->err = 1;
}

/* Attribute from raw bytes: escaped to XML-safe text first. */
static void attr(struct jw *j, const char *name, const char *raw)
{
	char *e = text_escape_dup(raw, TEXT_UTF8);

	if (!e || xmlTextWriterWriteAttribute(j->w, X(name), X(e)) < 0)
		j->err = 1;
	free(e);
}

static void attrf(struct jw *j, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void attrf(struct jw *j, const char *name, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attr(j, name, buf);
}

static void property(struct jw *j, const char *name, const char *value)
{
	start(j, "property");
	attr(j, "name", name);
	attr(j, "value", value ? value : "");
	end(j);
}

/* "a b c" from a NULL-terminated list (NULL: ""); NULL when out of
 * memory. */
static char *join_words(char *const *v)
{
	size_t len = 1, k;
	char *out;

	for (k = 0; v && v[k]; k++)
		len += strlen(v[k]) + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (k = 0; v && v[k]; k++) {
		if (k)
			strcat(out, " ");
		strcat(out, v[k]);
	}
	return out;
}

static void property_u(struct jw *j, const char *name, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	property(j, name, buf);
}

static void property_flags(struct jw *j, const char *name, uint64_t flags)
{
	char *names = proto_init_flag_names(flags);

	if (!names)
		j->err = 1;
	property(j, name, names ? names : "");
	free(names);
}

static void properties(struct jw *j, const struct fc_run_result *r)
{
	const struct fc_init_info *in = &r->init;
	char buf[32], *caps;

	start(j, "properties");
	property(j, "kernel_release", r->kernel_release);
	property(j, "libfuse_version", r->libfuse_version);
	if (r->fs_libfuse)
		property(j, "fs_libfuse", r->fs_libfuse);
	property(j, "fs_cmd", r->fs_cmd);
	property(j, "reference_fs", r->reference_fs ? "true" : "false");
	caps = join_words(r->caps);
	property(j, "caps", caps ? caps : "");
	free(caps);
	property(j, "quiesce_method", r->quiesce_method);
	if (in->seen) {
		snprintf(buf, sizeof(buf), "%" PRIu32 ".%" PRIu32,
			 in->kernel_major, in->kernel_minor);
		property(j, "init.kernel", buf);
		property_flags(j, "init.kernel_flags", in->kernel_flags);
		snprintf(buf, sizeof(buf), "%" PRIu32 ".%" PRIu32, in->major,
			 in->minor);
		property(j, "init.fs", buf);
		property_flags(j, "init.fs_flags", in->flags);
		property_u(j, "init.max_write", in->max_write);
		property_u(j, "init.max_pages", in->max_pages);
		property_u(j, "init.max_readahead", in->max_readahead);
		property(j, "init.capped", in->capped ? "true" : "false");
		property_u(j, "init.fs_max_write", in->fs_max_write);
		property_u(j, "init.fs_max_pages", in->fs_max_pages);
	}
	property(j, "log_path", r->log_path);
	if (r->broken)
		property(j, "broken", r->broken);
	if (r->violations_not_kept)
		property_u(j, "violations_not_kept", r->violations_not_kept);
	property_u(j, "exit_code", (uint64_t)run_result_exit_code(r));
	end(j);
}

/* The text of a <failure>: each violation as in the human report, with
 * every piece escaped so that '\n' is the only control byte. */
static void violation_text(FILE *f, const struct fc_violation *v, size_t i,
			   size_t count)
{
	char *path = text_escape_dup(v->path, TEXT_UTF8);
	char *file = text_escape_dup(v->scn_file ? v->scn_file : "-", TEXT_UTF8);
	char *detail = text_escape_dup(v->detail, TEXT_UTF8);
	char *summary = text_escape_dup(v->rule ? v->rule->summary : "", TEXT_UTF8);
	const char *ex = v->excerpt, *nl;
	char *line, *eline;

	fprintf(f, "[%zu] %s", i + 1, v->rule ? v->rule->id : "UNKNOWN");
	if (count > 1)
		fprintf(f, " x%zu", count);
	fprintf(f, ": %s\n", summary ? summary : "?");
	fprintf(f, "    nodeid %" PRIu64 ", path \"%s\"\n", v->nodeid,
		path ? path : "?");
	fprintf(f, "    at %s:%" PRIu32 ", seq %" PRIu64, file ? file : "?",
		v->scn_line, v->seq);
	if (v->seq_ref)
		fprintf(f, " (related seq %" PRIu64 ")", v->seq_ref);
	fprintf(f, "\n    %s\n", detail ? detail : "?");
	while (ex && *ex) {
		nl = strchr(ex, '\n');
		if (!nl)
			nl = ex + strlen(ex);
		line = strndup(ex, nl - ex);
		eline = text_escape_dup(line, TEXT_UTF8);
		fprintf(f, "    | %s\n", eline ? eline : "?");
		free(eline);
		free(line);
		ex = *nl ? nl + 1 : nl;
	}
	free(summary);
	free(detail);
	free(file);
	free(path);
}

/* type="RULE-ID ...": the distinct rules broken, in order of first
 * appearance (over findings, so a flood costs no quadratic time). */
static char *failure_type(const struct fc_scn_result *s)
{
	char *buf = NULL;
	size_t size = 0, i, k;
	FILE *f = open_memstream(&buf, &size);
	const char *id;
	int seen;

	if (!f)
		return NULL;
	for (i = 0; i < s->nfindings; i++) {
		id = s->findings[i].rule ? s->findings[i].rule->id :
					   "UNKNOWN";
		seen = 0;
		for (k = 0; k < i && !seen; k++)
			seen = s->findings[k].rule == s->findings[i].rule;
		if (!seen)
			fprintf(f, "%s%s", i ? " " : "", id);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void failure(struct jw *j, const struct fc_scn_result *s)
{
	char *type = failure_type(s), *text = NULL;
	size_t size = 0, i;
	FILE *f;

	start(j, "failure");
	if (s->nfindings != s->nviolations)
		attrf(j, "message", "%zu violation%s in %zu finding%s",
		      s->nviolations, s->nviolations == 1 ? "" : "s",
		      s->nfindings, s->nfindings == 1 ? "" : "s");
	else
		attrf(j, "message", "%zu violation%s", s->nviolations,
		      s->nviolations == 1 ? "" : "s");
	attr(j, "type", type ? type : "");
	f = open_memstream(&text, &size);
	if (f) {
		for (i = 0; i < s->nfindings; i++)
			violation_text(f, &s->violations[
					       s->findings[i].members[0]],
				       i, s->findings[i].count);
		fclose(f);
	}
	if (!text || xmlTextWriterWriteString(j->w, X(text)) < 0)
		j->err = 1;
	end(j);
	free(text);
	free(type);
}

/* "fusecheck.<fs>": the base name of the command's first word, with dots
 * made '_' (CI tools split classnames at dots). */
static char *classname(const struct fc_run_result *r)
{
	const char *cmd = r->fs_cmd ? r->fs_cmd : "fs";
	const char *end = strchr(cmd, ' '), *base;
	char *out, *p;

	if (!end)
		end = cmd + strlen(cmd);
	base = memrchr(cmd, '/', end - cmd);
	base = base ? base + 1 : cmd;
	out = malloc(strlen("fusecheck.") + (end - base) + 1);
	if (!out)
		return NULL;
	p = stpcpy(out, "fusecheck.");
	memcpy(p, base, end - base);
	p[end - base] = '\0';
	for (; *p; p++)
		if (*p == '.')
			*p = '_';
	return out;
}

static void testcase(struct jw *j, const char *cls,
		     const struct fc_scn_result *s)
{
	start(j, "testcase");
	attr(j, "classname", cls);
	attr(j, "name", s->name);
	attr(j, "file", s->file);
	attrf(j, "time", "%.3f", s->seconds);
	switch (s->status) {
	case FC_SCN_ST_PASS:
		break;
	case FC_SCN_ST_FAIL:
		if (s->known) {
			/* declared by the profile: not a new failure */
			start(j, "skipped");
			attrf(j, "message", "known deviation: %s", s->known);
			end(j);
			break;
		}
		failure(j, s);
		break;
	case FC_SCN_ST_SKIP:
		start(j, "skipped");
		attr(j, "message", s->reason ? s->reason : "skipped");
		end(j);
		break;
	default:
		start(j, "error");
		attr(j, "message", s->reason ? s->reason : "broken");
		attr(j, "type", "broken");
		end(j);
		break;
	}
	end(j);
}

int report_junit(const char *path, const struct fc_run_result *r)
{
	struct jw j = { 0 };
	size_t counts[4], i;
	char *cls = classname(r);
	int ret = 0, run_broken = r->broken != NULL;
	xmlOutputBufferPtr ob;
	FILE *fp;

	if (!cls)
		return -ENOMEM;
	/* our own FILE: a real errno when it cannot be opened, and no
	 * message from libxml2 on stderr */
	fp = fopen(path, "w");
	if (!fp) {
		ret = -errno;
		goto out_cls;
	}
	ob = xmlOutputBufferCreateFile(fp, NULL);
	j.w = ob ? xmlNewTextWriter(ob) : NULL;
	if (!j.w) {
		if (ob)
			xmlOutputBufferClose(ob);
		ret = -ENOMEM;
		goto out_fp;
	}
	xmlTextWriterSetIndent(j.w, 1);
	xmlTextWriterSetIndentString(j.w, X("  "));
	run_result_counts(r, counts, NULL);

	if (xmlTextWriterStartDocument(j.w, NULL, "UTF-8", NULL) < 0)
		j.err = 1;
	start(&j, "testsuite");
	attr(&j, "name", "fusecheck");
	attrf(&j, "tests", "%zu", r->nscn + run_broken);
	attrf(&j, "failures", "%zu", counts[FC_SCN_ST_FAIL]);
	attrf(&j, "errors", "%zu", counts[FC_SCN_ST_BROKEN] + run_broken);
	attrf(&j, "skipped", "%zu", counts[FC_SCN_ST_SKIP]);
	attrf(&j, "time", "%.3f", r->seconds);
	properties(&j, r);
	for (i = 0; i < r->nscn; i++)
		testcase(&j, cls, &r->scn[i]);
	if (run_broken) {
		start(&j, "testcase");
		attr(&j, "classname", cls);
		attr(&j, "name", "(run)");
		attrf(&j, "time", "%.3f", r->seconds);
		start(&j, "error");
		attr(&j, "message", r->broken);
		attr(&j, "type", "broken");
		end(&j);
		end(&j);
	}
	end(&j);
	if (xmlTextWriterEndDocument(j.w) < 0)
		j.err = 1;
	/* freeing the writer flushes its buffer into fp */
	xmlFreeTextWriter(j.w);
	if (j.err)
		ret = -EIO;
out_fp:
	if (fclose(fp) && !ret)
		ret = -errno;
out_cls:
	free(cls);
	return ret;
}
