/* report/matrix.c - many runs side by side: one column per report.json
 * (kernels under `fusecheck vm`, or any reports given to `fusecheck
 * diff`), one row per scenario, lock rule and INIT fact.  A row whose
 * cells are not all the same is marked '*', so a maintainer reads the
 * differences first.  Reports are untrusted input: every field is
 * type-checked, and the text is escaped on its way out (diff.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "report/report.h"

#define CELL 28

struct col {
	json_t *root;
	char label[CELL];
};

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static json_t *find_named(json_t *arr, const char *key, const char *name)
{
	size_t i;
	json_t *v;

	/* key NULL: arr holds the names themselves */
	json_array_foreach(arr, i, v)
		if (!strcmp(key ? str(v, key) : json_string_value(v) ?
			    json_string_value(v) : "", name))
			return v;
	return NULL;
}

/* Every value of `key` in the objects of array `where` over all columns, in
 * first-seen order, no repeats. */
static json_t *row_names(const struct col *c, size_t n, const char *where,
			 const char *key)
{
	json_t *names = json_array(), *v;
	size_t k, i;

	if (!names)
		return NULL;
	for (k = 0; k < n; k++)
		json_array_foreach(json_object_get(c[k].root, where), i, v) {
			const char *name = str(v, key);

			if (*name && !find_named(names, NULL, name))
				json_array_append_new(names,
						      json_string(name));
		}
	return names;
}

typedef void (*cell_fn)(const struct col *c, const char *row, char *cell);

/* One row: the name, then a cell per column; '*' when the cells'
 * keys differ (`key`, or the cells themselves when NULL: a lock rule's
 * overlap is shown but is timing, only its verdict counts).  Returns 1
 * when they differ. */
static int row_keyed(FILE *out, int namew, const struct col *c, size_t n,
		     const char *name, cell_fn fn, cell_fn key)
{
	char first[CELL], cell[CELL];
	size_t k;
	int differ = 0;

	if (!key)
		key = fn;
	key(&c[0], name, first);
	for (k = 1; k < n && !differ; k++) {
		key(&c[k], name, cell);
		differ = strcmp(cell, first) != 0;
	}
	fprintf(out, "%c %-*.*s", differ ? '*' : ' ', namew, namew, name);
	for (k = 0; k < n; k++) {
		fn(&c[k], name, cell);
		fprintf(out, " %-*s", CELL - 4, cell);
	}
	fputc('\n', out);
	return differ;
}

static int row(FILE *out, int namew, const struct col *c, size_t n,
	       const char *name, cell_fn fn)
{
	return row_keyed(out, namew, c, n, name, fn, NULL);
}

static void scenario_cell(const struct col *c, const char *name, char *cell)
{
	json_t *s = find_named(json_object_get(c->root, "scenarios"), "name",
			       name);
	size_t nv = json_array_size(json_object_get(s, "violations"));

	if (!s)
		snprintf(cell, CELL, "-");
	else if (nv)
		snprintf(cell, CELL, "%s (%zu)", str(s, "status"), nv);
	else
		snprintf(cell, CELL, "%s", str(s, "status"));
}

static void lock_verdict(const struct col *c, const char *name, char *cell)
{
	json_t *l = find_named(json_object_get(c->root, "lock_rules"), "rule",
			       name);

	snprintf(cell, CELL, "%s", l ? str(l, "verdict") : "-");
}

static void lock_cell(const struct col *c, const char *name, char *cell)
{
	json_t *l = find_named(json_object_get(c->root, "lock_rules"), "rule",
			       name);

	if (!l)
		snprintf(cell, CELL, "-");
	else
		snprintf(cell, CELL, "%s, overlap %lld", str(l, "verdict"),
			 (long long)json_integer_value(
				 json_object_get(l, "max_overlap")));
}

static json_t *init_of(const struct col *c, const char *who)
{
	return json_object_get(
		json_object_get(json_object_get(c->root, "run"), "init"), who);
}

static void proto_cell(const struct col *c, const char *who, char *cell)
{
	json_t *p = init_of(c, who);

	if (!p)
		snprintf(cell, CELL, "-");
	else
		snprintf(cell, CELL, "%lld.%lld",
			 (long long)json_integer_value(
				 json_object_get(p, "major")),
			 (long long)json_integer_value(
				 json_object_get(p, "minor")));
}

static int has_flag(json_t *p, const char *flag)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(p, "flags"), i, v)
		if (!strcmp(json_string_value(v) ? json_string_value(v) : "",
			    flag))
			return 1;
	return 0;
}

static void offered_cell(const struct col *c, const char *flag, char *cell)
{
	snprintf(cell, CELL, "%s",
		 !init_of(c, "kernel") ? "-" :
		 has_flag(init_of(c, "kernel"), flag) ? "offered" : "no");
}

static void accepted_cell(const struct col *c, const char *flag, char *cell)
{
	snprintf(cell, CELL, "%s",
		 !init_of(c, "fs") ? "-" :
		 has_flag(init_of(c, "fs"), flag) ? "accepted" : "no");
}

static void run_cell(const struct col *c, const char *key, char *cell)
{
	json_t *run = json_object_get(c->root, "run"), *v;

	v = json_object_get(run, key);
	if (json_is_string(v))
		snprintf(cell, CELL, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(cell, CELL, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(cell, CELL, "%.0f s", json_real_value(v));
	else
		snprintf(cell, CELL, "-");
}

static void header(FILE *out, int namew, const char *title,
		   const struct col *c, size_t n)
{
	size_t k;

	fprintf(out, "  %-*s", namew, title);
	for (k = 0; k < n; k++)
		fprintf(out, " %-*s", CELL - 4, c[k].label);
	fputc('\n', out);
}

/* Flags some column's kernel offers (or filesystem accepts) and another
 * does not: only those rows, the rest are the same everywhere. */
static void flag_rows(FILE *out, int namew, const struct col *c, size_t n,
		     const char *who, cell_fn fn)
{
	json_t *all = json_array(), *v;
	size_t k, i;
	int same = 0;
	char label[64];

	if (!all)
		return;
	for (k = 0; k < n; k++)
		json_array_foreach(json_object_get(init_of(&c[k], who),
						   "flags"), i, v)
			if (json_is_string(v) &&
			    !find_named(all, NULL, json_string_value(v)))
				json_array_append(all, v);
	json_array_foreach(all, i, v) {
		char first[CELL], cell[CELL];
		int d = 0;

		fn(&c[0], json_string_value(v), first);
		for (k = 1; k < n; k++) {
			fn(&c[k], json_string_value(v), cell);
			d |= strcmp(first, cell) != 0;
		}
		if (!d) {
			same++;
			continue;
		}
		snprintf(label, sizeof(label), "%s", json_string_value(v));
		row(out, namew, c, n, label, fn);
	}
	fprintf(out, "  (%d more %s flags the same in every column)\n", same,
		who[0] == 'k' ? "offered" : "accepted");
	json_decref(all);
}

static int matrix(FILE *out, struct col *c, size_t n)
{
	static const char *const runrows[] = {
		"kernel_release", "libfuse_version", "fs_libfuse",
		"quiesce_method",
		"time_scale", "exit_code", "seconds",
	};
	json_t *names, *v;
	size_t i;
	int namew = 28, rows_differ = 0;

	names = row_names(c, n, "scenarios", "name");
	if (!names)
		return -ENOMEM;
	header(out, namew, "run", c, n);
	for (i = 0; i < sizeof(runrows) / sizeof(runrows[0]); i++)
		row(out, namew, c, n, runrows[i], run_cell);
	fputc('\n', out);
	header(out, namew, "scenario", c, n);
	json_array_foreach(names, i, v)
		rows_differ += row(out, namew, c, n, json_string_value(v),
				   scenario_cell);
	json_decref(names);
	fputc('\n', out);
	names = row_names(c, n, "lock_rules", "rule");
	if (!names)
		return -ENOMEM;
	header(out, namew, "lock rule", c, n);
	json_array_foreach(names, i, v)
		rows_differ += row_keyed(out, namew, c, n,
					 json_string_value(v), lock_cell,
					 lock_verdict);
	json_decref(names);
	fputc('\n', out);
	header(out, namew, "INIT", c, n);
	/* negotiation is context, as in a two-report diff: it explains a
	 * changed verdict, it is not one */
	row(out, namew, c, n, "kernel", proto_cell);
	row(out, namew, c, n, "fs", proto_cell);
	flag_rows(out, namew, c, n, "kernel", offered_cell);
	flag_rows(out, namew, c, n, "fs", accepted_cell);
	fprintf(out, "%d row%s of verdicts differ\n", rows_differ,
		rows_differ == 1 ? "" : "s");
	return rows_differ ? 1 : 0;
}

int report_matrix(FILE *out, const char *const *labels,
		  const char *const *paths, size_t n)
{
	struct col *c = calloc(n ? n : 1, sizeof(*c));
	char *text = NULL;
	size_t size = 0, k;
	FILE *mem;
	int ret = 0, err;

	if (!c)
		return -ENOMEM;
	for (k = 0; k < n && !ret; k++) {
		c[k].root = report_json_load(paths[k]);
		if (!c[k].root) {
			ret = -errno;
			break;
		}
		snprintf(c[k].label, sizeof(c[k].label) - 4, "%s",
			 labels ? labels[k] :
			 str(json_object_get(c[k].root, "run"),
			     "kernel_release"));
	}
	if (ret)
		goto out_cols;
	mem = open_memstream(&text, &size);
	if (!mem) {
		ret = -errno;
		goto out_cols;
	}
	ret = matrix(mem, c, n);
	if (fclose(mem)) {
		ret = -ENOMEM;
		goto out_text;
	}
	err = report_put_escaped(out, text);
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	if (err)
		ret = err;
out_text:
	free(text);
out_cols:
	for (k = 0; k < n; k++)
		json_decref(c[k].root);
	free(c);
	return ret;
}
