/* report/diff.c - `fusecheck diff BEFORE.json AFTER.json`: what changed
 * between two runs, e.g. before and after a kernel or libfuse upgrade.
 * Verdicts (scenario statuses, violations per rule) decide the result;
 * metadata differences (kernel, libfuse, INIT) are printed as context.
 *
 * Input is a file someone gave us: every field is checked for its type and
 * a missing one reads as empty, never as a crash; and since its strings
 * may hold any character (JSON "\u001b"), the whole text is escaped line
 * by line on its way to `out`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "util/text.h"
#include "report/report.h"

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

json_t *report_json_load(const char *path)
{
	json_error_t jerr;
	json_t *root;
	FILE *f = fopen(path, "r");
	int err;

	if (!f) {
		err = errno;
		fprintf(stderr, "fusecheck: cannot open '%s': %s\n", path,
			strerror(err));
		errno = err;
		return NULL;
	}
	root = json_loadf(f, 0, &jerr);
	fclose(f);
	if (!root) {
		fprintf(stderr, "fusecheck: cannot read '%s': line %d: %s\n",
			path, jerr.line, jerr.text);
		errno = EINVAL;
		return NULL;
	}
	/* a report always has its run and its scenarios: one without them
	 * is not a report to compare */
	if (strcmp(str(root, "schema"), "fusecheck-report") ||
	    json_integer_value(json_object_get(root, "schema_version")) !=
		    REPORT_JSON_VERSION ||
	    !json_is_object(json_object_get(root, "run")) ||
	    !json_is_array(json_object_get(root, "scenarios"))) {
		fprintf(stderr, "fusecheck: cannot read '%s': not a fusecheck "
			"report of schema version %d (with run and scenarios)\n",
			path, REPORT_JSON_VERSION);
		json_decref(root);
		errno = EINVAL;
		return NULL;
	}
	return root;
}

static void meta_str(FILE *out, json_t *a, json_t *b, const char *label,
		     const char *key)
{
	const char *x = str(a, key), *y = str(b, key);

	if (strcmp(x, y))
		fprintf(out, "  %s: %s -> %s\n", label, x, y);
}

static void meta_int(FILE *out, json_t *a, json_t *b, const char *label,
		     const char *key)
{
	json_int_t x = json_integer_value(json_object_get(a, key));
	json_int_t y = json_integer_value(json_object_get(b, key));

	if (x != y)
		fprintf(out, "  %s: %lld -> %lld\n", label, (long long)x,
			(long long)y);
}

static int has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

/* Names in `from` missing from `in`, printed after `sign`. */
static int flags_missing(FILE *out, json_t *from, json_t *in, char sign)
{
	size_t i;
	json_t *v;
	int n = 0;

	json_array_foreach(from, i, v) {
		if (!json_is_string(v) || has_string(in, json_string_value(v)))
			continue;
		fprintf(out, " %c%s", sign, json_string_value(v));
		n++;
	}
	return n;
}

static void meta_proto(FILE *out, json_t *a, json_t *b, const char *who)
{
	json_t *fa = json_object_get(a, "flags");
	json_t *fb = json_object_get(b, "flags");
	json_int_t amaj = json_integer_value(json_object_get(a, "major"));
	json_int_t amin = json_integer_value(json_object_get(a, "minor"));
	json_int_t bmaj = json_integer_value(json_object_get(b, "major"));
	json_int_t bmin = json_integer_value(json_object_get(b, "minor"));
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	if (amaj != bmaj || amin != bmin)
		fprintf(out, "  INIT %s protocol: %lld.%lld -> %lld.%lld\n",
			who, (long long)amaj, (long long)amin, (long long)bmaj,
			(long long)bmin);
	f = open_memstream(&buf, &size);
	if (!f)
		return;
	if (flags_missing(f, fb, fa, '+') + flags_missing(f, fa, fb, '-')) {
		fclose(f);
		fprintf(out, "  INIT %s flags:%s\n", who, buf);
	} else {
		fclose(f);
	}
	free(buf);
}

static void metadata(FILE *out, json_t *ra, json_t *rb)
{
	json_t *ia = json_object_get(ra, "init");
	json_t *ib = json_object_get(rb, "init");

	meta_str(out, ra, rb, "kernel", "kernel_release");
	meta_str(out, ra, rb, "libfuse", "libfuse_version");
	meta_str(out, ra, rb, "filesystem", "fs_cmd");
	meta_str(out, ra, rb, "quiesce", "quiesce_method");
	meta_proto(out, json_object_get(ia, "kernel"),
		   json_object_get(ib, "kernel"), "kernel offered");
	meta_proto(out, json_object_get(ia, "fs"), json_object_get(ib, "fs"),
		   "filesystem accepted");
	meta_int(out, ia, ib, "max_write", "max_write");
	meta_int(out, ia, ib, "max_pages", "max_pages");
}

static json_t *find_scenario(json_t *scns, const char *name)
{
	size_t i;
	json_t *s;

	json_array_foreach(scns, i, s)
		if (!strcmp(str(s, "name"), name))
			return s;
	return NULL;
}

static size_t rule_count(json_t *scn, const char *rule)
{
	json_t *vs = json_object_get(scn, "violations"), *v;
	size_t i, n = 0;

	json_array_foreach(vs, i, v)
		if (!strcmp(str(v, "rule"), rule))
			n++;
	return n;
}

/* Print per-rule count changes of rules that appear in `from` (and, when
 * `both`, skip rules also in `to`: they were printed from the other
 * side).  Returns how many rules changed. */
static int rule_changes(FILE *out, const char *name, json_t *a, json_t *b,
			json_t *from, int skip_in_other, json_t *other)
{
	json_t *vs = json_object_get(from, "violations"), *v;
	size_t i, k, na, nb;
	const char *rule;
	int changed = 0, dup;

	json_array_foreach(vs, i, v) {
		rule = str(v, "rule");
		dup = 0;
		for (k = 0; k < i && !dup; k++)
			dup = !strcmp(str(json_array_get(vs, k), "rule"), rule);
		if (dup || (skip_in_other && rule_count(other, rule)))
			continue;
		na = rule_count(a, rule);
		nb = rule_count(b, rule);
		if (na == nb)
			continue;
		fprintf(out, "  %s: %s %+lld (%zu -> %zu)\n", name, rule,
			(long long)nb - (long long)na, na, nb);
		changed++;
	}
	return changed;
}

static int verdicts(FILE *out, json_t *sa, json_t *sb)
{
	size_t i;
	json_t *a, *b;
	const char *name;
	int changed = 0;

	json_array_foreach(sa, i, a) {
		name = str(a, "name");
		b = find_scenario(sb, name);
		if (!b) {
			fprintf(out, "  %s: only before (%s)\n", name,
				str(a, "status"));
			changed++;
			continue;
		}
		if (strcmp(str(a, "status"), str(b, "status"))) {
			fprintf(out, "  %s: %s -> %s\n", name, str(a, "status"),
				str(b, "status"));
			changed++;
		}
		changed += rule_changes(out, name, a, b, a, 0, NULL);
		changed += rule_changes(out, name, a, b, b, 1, a);
	}
	json_array_foreach(sb, i, b) {
		name = str(b, "name");
		if (find_scenario(sa, name))
			continue;
		fprintf(out, "  %s: only after (%s)\n", name, str(b, "status"));
		changed++;
	}
	return changed;
}

/* Copy text to out one line at a time, escaped. */
int report_put_escaped(FILE *out, const char *text)
{
	const char *nl;
	char *line, *e;

	while (*text) {
		nl = strchr(text, '\n');
		if (!nl)
			nl = text + strlen(text);
		line = strndup(text, nl - text);
		e = line ? text_escape_dup(line, TEXT_UTF8) : NULL;
		free(line);
		if (!e)
			return -ENOMEM;
		fprintf(out, "%s\n", e);
		free(e);
		text = *nl ? nl + 1 : nl;
	}
	return 0;
}

static int diff(FILE *out, const char *a_json, const char *b_json)
{
	json_t *a, *b;
	int changed, ret, n;

	a = report_json_load(a_json);
	if (!a)
		return -errno;
	b = report_json_load(b_json);
	if (!b) {
		ret = -errno;
		goto out_a;
	}
	fputs("verdicts:\n", out);
	changed = verdicts(out, json_object_get(a, "scenarios"),
			   json_object_get(b, "scenarios"));
	if (!changed)
		fputs("  same\n", out);
	fputs("metadata:\n", out);
	n = ftell(out);
	metadata(out, json_object_get(a, "run"), json_object_get(b, "run"));
	if (ftell(out) == n)
		fputs("  same\n", out);
	fprintf(out, "%d verdict difference%s\n", changed,
		changed == 1 ? "" : "s");
	ret = changed ? 1 : 0;
	json_decref(b);
out_a:
	json_decref(a);
	return ret;
}

int report_diff(FILE *out, const char *a_json, const char *b_json)
{
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);
	int ret, err;

	if (!mem)
		return -errno;
	ret = diff(mem, a_json, b_json);
	if (fclose(mem)) {
		free(text);
		return -ENOMEM;
	}
	err = report_put_escaped(out, text);
	free(text);
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	return err ? err : ret;
}
