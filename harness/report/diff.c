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

/* s with every occurrence of the run's --out directory (the directory
 * of its event log) as "{out}": two runs into two directories are not
 * two filesystem commands.  malloc'd. */
static char *without_out(const char *s, json_t *run)
{
	const char *log = str(run, "log_path"), *slash = strrchr(log, '/');
	size_t dlen = slash ? (size_t)(slash - log) : 0;
	char *res, *o;

	res = malloc(strlen(s) * 5 + 1); /* "{out}" per byte at worst */
	if (!res)
		return NULL;
	for (o = res; *s;) {
		if (dlen > 1 && !strncmp(s, log, dlen)) {
			o = stpcpy(o, "{out}");
			s += dlen;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return res;
}

static void meta_cmd(FILE *out, json_t *a, json_t *b)
{
	char *x = without_out(str(a, "fs_cmd"), a);
	char *y = without_out(str(b, "fs_cmd"), b);

	if (x && y && strcmp(x, y))
		fprintf(out, "  filesystem: %s -> %s\n", x, y);
	free(x);
	free(y);
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
	meta_str(out, ra, rb, "the filesystem's libfuse", "fs_libfuse");
	meta_cmd(out, ra, rb);
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

/* Lock rules whose verdict changed (run-wide): a kernel that stops
 * serialising, or starts overlapping, is a verdict of its own. */
static int lock_changes(FILE *out, json_t *la, json_t *lb)
{
	size_t i, k;
	json_t *a, *b;
	int changed = 0;

	json_array_foreach(la, i, a) {
		const char *rule = str(a, "rule");

		b = NULL;
		for (k = 0; k < json_array_size(lb) && !b; k++)
			if (!strcmp(str(json_array_get(lb, k), "rule"), rule))
				b = json_array_get(lb, k);
		if (!b ||
		    !strcmp(str(a, "verdict"), str(b, "verdict")))
			continue;
		fprintf(out, "  %s: %s -> %s (most overlapping: %lld -> "
			"%lld)\n", rule, str(a, "verdict"), str(b, "verdict"),
			(long long)json_integer_value(
				json_object_get(a, "max_overlap")),
			(long long)json_integer_value(
				json_object_get(b, "max_overlap")));
		changed++;
	}
	return changed;
}

/* How many FORGETs the kernel batches, and whether a request is
 * interrupted, is timing: the same run twice differs by hundreds. */
static const char *const timing_ops[] = {
	"FORGET", "BATCH_FORGET", "INTERRUPT",
};

static int is_timing_op(const char *op)
{
	size_t i;

	for (i = 0; i < sizeof(timing_ops) / sizeof(timing_ops[0]); i++)
		if (!strcmp(timing_ops[i], op))
			return 1;
	return 0;
}

/* The request mix of one scenario in both runs: opcodes that came or
 * went, counts that moved by a quarter or more (and by more than two:
 * FORGET timing alone moves a few), and the READDIR buffer size. */
static int mix_changes(FILE *out, const char *name, json_t *a, json_t *b)
{
	json_t *ra = json_object_get(a, "requests");
	json_t *rb = json_object_get(b, "requests");
	json_int_t x, y, sa, sb;
	const char *op;
	json_t *v;
	int n = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		json_object_foreach(pass ? rb : ra, op, v) {
			if ((pass && json_object_get(ra, op)) ||
			    is_timing_op(op))
				continue; /* a's side printed it; timing */
			x = json_integer_value(json_object_get(ra, op));
			y = json_integer_value(json_object_get(rb, op));
			if (x == y || (x && y && llabs(y - x) <= 2) ||
			    (x && y && llabs(y - x) * 4 < (x > y ? x : y)))
				continue;
			fprintf(out, "  %s: %s %lld -> %lld\n", name, op,
				(long long)x, (long long)y);
			n++;
		}
	}
	sa = json_integer_value(json_object_get(a, "readdir_size_max"));
	sb = json_integer_value(json_object_get(b, "readdir_size_max"));
	if (sa != sb) {
		fprintf(out, "  %s: largest READDIR buffer %lld -> %lld\n",
			name, (long long)sa, (long long)sb);
		n++;
	}
	return n;
}

static void requests(FILE *out, json_t *sa, json_t *sb)
{
	size_t i;
	json_t *a, *b;
	int n = 0;

	json_array_foreach(sa, i, a) {
		b = find_scenario(sb, str(a, "name"));
		if (b)
			n += mix_changes(out, str(a, "name"), a, b);
	}
	if (!n)
		fputs("  same\n", out);
}

/* "pass 19, fail 1" of a repeated scenario, or its one status. */
static void put_runs(FILE *out, json_t *s)
{
	json_t *runs = json_object_get(s, "runs"), *v;
	const char *k;
	int first = 1;

	if (!json_is_object(runs)) {
		fputs(str(s, "status"), out);
		return;
	}
	json_object_foreach(runs, k, v) {
		fprintf(out, "%s%s %lld", first ? "" : ", ", k,
			(long long)json_integer_value(v));
		first = 0;
	}
}

/* Flaky on either side (`run --repeat`): a verdict that comes and goes
 * is not a regression, and is shown apart. */
static int flaky_either(FILE *out, const char *name, json_t *a, json_t *b)
{
	if (!json_is_true(json_object_get(a, "flaky")) &&
	    !json_is_true(json_object_get(b, "flaky")))
		return 0;
	fprintf(out, "  %s: flaky (before: ", name);
	put_runs(out, a);
	fputs("; after: ", out);
	put_runs(out, b);
	fputs(")\n", out);
	return 1;
}

static int verdicts(FILE *out, json_t *sa, json_t *sb, int *flaky)
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
		if (flaky_either(out, name, a, b)) {
			(*flaky)++;
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
	int changed, ret, n, flaky = 0;

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
			   json_object_get(b, "scenarios"), &flaky);
	changed += lock_changes(out, json_object_get(a, "lock_rules"),
				json_object_get(b, "lock_rules"));
	if (!changed && !flaky)
		fputs("  same\n", out);
	fputs("requests (context):\n", out);
	requests(out, json_object_get(a, "scenarios"),
		 json_object_get(b, "scenarios"));
	fputs("metadata:\n", out);
	n = ftell(out);
	metadata(out, json_object_get(a, "run"), json_object_get(b, "run"));
	if (ftell(out) == n)
		fputs("  same\n", out);
	fprintf(out, "%d verdict difference%s", changed,
		changed == 1 ? "" : "s");
	if (flaky)
		fprintf(out, "; %d flaky scenario%s, not counted", flaky,
			flaky == 1 ? "" : "s");
	fputc('\n', out);
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
