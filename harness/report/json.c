/* report/json.c - report.json: the machine-readable verdict of a run, the
 * input of `fusecheck diff`.  The schema is in docs/report.md; bump
 * REPORT_JSON_VERSION when a field changes meaning or goes away.
 *
 * JSON strings must be UTF-8 while names are bytes: every string goes
 * through util/text.c, and a violation's path whose bytes did not
 * survive that unchanged also comes as exact hex (path_hex).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "util/text.h"
#include "report/report.h"
#include "judge/lock.h"
#include "wire/proto.h"
#include "wire/proto.h"

/* Building stops caring about errors until the end: `err` remembers that
 * something could not be allocated and the file is not written. */
struct jb {
	int err;
};

static void put(struct jb *b, json_t *obj, const char *key, json_t *val)
{
	if (!obj || !val) {
		json_decref(val);
		b->err = 1;
		return;
	}
	if (json_object_set_new(obj, key, val))
		b->err = 1;
}

static void push(struct jb *b, json_t *arr, json_t *val)
{
	if (!arr || !val) {
		json_decref(val);
		b->err = 1;
		return;
	}
	if (json_array_append_new(arr, val))
		b->err = 1;
}

static json_t *jtext(const char *s)
{
	char *e;
	json_t *j;

	if (!s)
		return json_null();
	e = text_escape_dup(s, TEXT_UTF8);
	if (!e)
		return NULL;
	j = json_string(e);
	free(e);
	return j;
}

/* Numbers above INT64_MAX do not fit a jansson integer: give them as a
 * "0x..." string (documented; nodeids come from the filesystem). */
static json_t *ju64(uint64_t v)
{
	char buf[24];

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

static json_t *jhex(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(s), i;
	char *buf = malloc(2 * len + 1);
	json_t *j;

	if (!buf)
		return NULL;
	for (i = 0; i < len; i++) {
		buf[2 * i] = hex[(unsigned char)s[i] >> 4];
		buf[2 * i + 1] = hex[(unsigned char)s[i] & 15];
	}
	buf[2 * len] = '\0';
	j = json_string(buf);
	free(buf);
	return j;
}

/* '\n'-joined lines, or space-separated words, as an array of strings. */
static json_t *jsplit(struct jb *b, const char *s, char sep)
{
	json_t *arr = json_array();
	const char *end;
	char *piece;

	while (arr && s && *s) {
		end = strchr(s, sep);
		if (!end)
			end = s + strlen(s);
		if (end > s || sep == '\n') {
			piece = strndup(s, end - s);
			push(b, arr, piece ? jtext(piece) : NULL);
			free(piece);
		}
		s = *end ? end + 1 : end;
	}
	return arr;
}

/* An array of the strings of a NULL-terminated list (NULL: empty). */
static json_t *jlist(struct jb *b, char *const *v)
{
	json_t *arr = json_array();

	for (; arr && v && *v; v++)
		push(b, arr, jtext(*v));
	return arr;
}

static json_t *jflags(struct jb *b, uint64_t flags)
{
	json_t *arr = json_array();
	const char *name;
	char buf[16];
	unsigned bit;

	for (bit = 0; arr && bit < 64; bit++) {
		if (!(flags & (UINT64_C(1) << bit)))
			continue;
		name = proto_init_flag_name(bit);
		if (!name) {
			snprintf(buf, sizeof(buf), "BIT%u", bit);
			name = buf;
		}
		push(b, arr, json_string(name));
	}
	return arr;
}

static json_t *jproto(struct jb *b, uint32_t major, uint32_t minor,
		      uint64_t flags)
{
	json_t *o = json_object();
	char raw[24];

	snprintf(raw, sizeof(raw), "0x%016" PRIx64, flags);
	put(b, o, "major", json_integer(major));
	put(b, o, "minor", json_integer(minor));
	put(b, o, "flags", jflags(b, flags));
	put(b, o, "flags_raw", json_string(raw));
	return o;
}

static json_t *jlc(struct jb *b, const struct fc_lc_stats *s)
{
	json_t *o = json_object();

	put(b, o, "handed_out", json_integer((json_int_t)s->handed));
	put(b, o, "returned", json_integer((json_int_t)s->returned));
	put(b, o, "forgets", json_integer((json_int_t)s->forgets));
	put(b, o, "balances_judged", json_integer((json_int_t)s->balances));
	put(b, o, "ledger_compares", json_integer((json_int_t)s->compares));
	put(b, o, "relookups_judged", json_integer((json_int_t)s->relookups));
	put(b, o, "evictions", json_integer((json_int_t)s->evictions));
	put(b, o, "evicted", json_integer((json_int_t)s->evicted));
	return o;
}

static json_t *jinit(struct jb *b, const struct fc_init_info *in)
{
	json_t *o = json_object();

	put(b, o, "seen", json_boolean(in->seen));
	put(b, o, "kernel",
	    jproto(b, in->kernel_major, in->kernel_minor, in->kernel_flags));
	put(b, o, "fs", jproto(b, in->major, in->minor, in->flags));
	put(b, o, "max_write", json_integer(in->max_write));
	put(b, o, "max_pages", json_integer(in->max_pages));
	put(b, o, "max_readahead", json_integer(in->max_readahead));
	put(b, o, "capped", json_boolean(in->capped));
	put(b, o, "fs_max_write", json_integer(in->fs_max_write));
	put(b, o, "fs_max_pages", json_integer(in->fs_max_pages));
	return o;
}

static json_t *jviolation(struct jb *b, const struct fc_violation *v)
{
	json_t *o = json_object();
	const char *path = v->path ? v->path : "";

	put(b, o, "rule", json_string(v->rule ? v->rule->id : "UNKNOWN"));
	put(b, o, "summary", jtext(v->rule ? v->rule->summary : ""));
	put(b, o, "nodeid", ju64(v->nodeid));
	put(b, o, "path", jtext(path));
	if (!text_is_clean(path, strlen(path), TEXT_UTF8))
		put(b, o, "path_hex", jhex(path));
	put(b, o, "detail", jtext(v->detail ? v->detail : ""));
	put(b, o, "scenario_file", jtext(v->scn_file));
	put(b, o, "line", json_integer(v->scn_line));
	put(b, o, "seq", ju64(v->seq));
	put(b, o, "seq_ref", ju64(v->seq_ref));
	put(b, o, "excerpt", jsplit(b, v->excerpt, '\n'));
	return o;
}

/* Findings: rule, line, how many, and which violations (indexes into
 * the scenario's "violations"), the first first. */
static json_t *jfindings(struct jb *b, const struct fc_scn_result *s)
{
	json_t *a = json_array();
	size_t i, k;

	for (i = 0; a && i < s->nfindings; i++) {
		const struct fc_finding *f = &s->findings[i];
		json_t *o = json_object(), *m = json_array();

		for (k = 0; m && k < f->count; k++)
			push(b, m, json_integer((json_int_t)f->members[k]));
		put(b, o, "rule", json_string(f->rule ? f->rule->id :
					      "UNKNOWN"));
		put(b, o, "line", json_integer(f->line));
		put(b, o, "count", json_integer((json_int_t)f->count));
		put(b, o, "violations", m);
		push(b, a, o);
	}
	return a;
}

/* Lock verdicts (LK-*): one object a rule. */
static json_t *jlock(struct jb *b, const struct fc_lock_row *rows, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		put(b, o, "rule", json_string(rows[i].rule ? rows[i].rule :
					      "UNKNOWN"));
		put(b, o, "verdict",
		    json_string(lock_verdict_name(rows[i].verdict)));
		put(b, o, "max_overlap",
		    json_integer((json_int_t)rows[i].max_overlap));
		put(b, o, "judged", ju64(rows[i].judged));
		put(b, o, "exempt", ju64(rows[i].exempt));
		put(b, o, "violations", ju64(rows[i].violations));
		push(b, a, o);
	}
	return a;
}

/* {"LOOKUP": 12, ...}: the opcodes seen, by name ("other": above the
 * table). */
static json_t *jmix(struct jb *b, const struct fc_request_mix *m)
{
	json_t *o = json_object();
	unsigned op;

	for (op = 0; op < FC_MIX_OPS; op++)
		if (m->count[op])
			put(b, o, proto_op_name(op), json_integer(m->count[op]));
	if (m->other)
		put(b, o, "other", json_integer(m->other));
	return o;
}

static json_t *jscenario(struct jb *b, const struct fc_scn_result *s)
{
	json_t *o = json_object();
	json_t *rules = json_array();
	json_t *vs = json_array();
	size_t i;

	for (i = 0; i < s->nrules; i++)
		push(b, rules, jtext(s->rules[i]));
	for (i = 0; i < s->nviolations; i++)
		push(b, vs, jviolation(b, &s->violations[i]));

	put(b, o, "name", jtext(s->name));
	put(b, o, "file", jtext(s->file));
	put(b, o, "description", jtext(s->description));
	put(b, o, "rules", rules);
	put(b, o, "status", json_string(fc_status_name(s->status)));
	put(b, o, "reason", jtext(s->reason));
	put(b, o, "known", jtext(s->known));
	put(b, o, "fs_exit", jtext(s->fs_exit));
	put(b, o, "seconds", json_real(s->seconds));
	put(b, o, "max_inflight", json_integer((json_int_t)s->max_inflight));
	if (s->held[0] + s->held[1] + s->held[2] + s->held[3]) {
		json_t *runs = json_object();
		int k;

		for (k = 0; k < 4; k++)
			if (s->held[k])
				put(b, runs, fc_status_name(k),
				    json_integer(s->held[k]));
		put(b, o, "runs", runs);
		put(b, o, "flaky", json_boolean(run_result_flaky(s)));
	}
	put(b, o, "requests", jmix(b, &s->mix));
	put(b, o, "readdir_size_max",
	    json_integer(s->mix.readdir_size_max));
	put(b, o, "lock_rules", jlock(b, s->lock, s->nlock));
	put(b, o, "violations", vs);
	put(b, o, "findings", jfindings(b, s));
	return o;
}

/* an array of texts (notes, deviations gone) */
static json_t *jtexts(struct jb *b, char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		json_array_append_new(a, jtext(v[i]));
	return a;
}

static json_t *jrun(struct jb *b, const struct fc_run_result *r)
{
	json_t *o = json_object();

	put(b, o, "kernel_release", jtext(r->kernel_release));
	put(b, o, "libfuse_version", jtext(r->libfuse_version));
	put(b, o, "fs_libfuse", jtext(r->fs_libfuse));
	put(b, o, "fs_cmd", jtext(r->fs_cmd));
	put(b, o, "reference_fs", json_boolean(r->reference_fs));
	put(b, o, "caps", jlist(b, r->caps));
	put(b, o, "quiesce_method", jtext(r->quiesce_method));
	put(b, o, "attach", jtext(r->attach));
	put(b, o, "fs_pidns", jtext(r->fs_pidns));
	put(b, o, "init", jinit(b, &r->init));
	put(b, o, "lookup_counts", jlc(b, &r->lc));
	put(b, o, "log_path", jtext(r->log_path));
	put(b, o, "broken", jtext(r->broken));
	put(b, o, "notes", jtexts(b, r->notes, r->nnotes));
	put(b, o, "known_gone", jtexts(b, r->known_gone, r->nknown_gone));
	put(b, o, "seconds", json_real(r->seconds));
	put(b, o, "time_scale", json_integer(r->time_scale ? r->time_scale : 1));
	put(b, o, "exit_code", json_integer(run_result_exit_code(r)));
	return o;
}

static json_t *jtotals(struct jb *b, const struct fc_run_result *r)
{
	json_t *o = json_object();
	size_t counts[4], nv;

	run_result_counts(r, counts, &nv);
	put(b, o, "scenarios", json_integer((json_int_t)r->nscn));
	put(b, o, "passed", json_integer((json_int_t)counts[FC_SCN_ST_PASS]));
	put(b, o, "failed", json_integer((json_int_t)counts[FC_SCN_ST_FAIL]));
	put(b, o, "known", json_integer((json_int_t)run_result_known(r)));
	put(b, o, "skipped", json_integer((json_int_t)counts[FC_SCN_ST_SKIP]));
	put(b, o, "broken", json_integer((json_int_t)counts[FC_SCN_ST_BROKEN]));
	put(b, o, "violations", json_integer((json_int_t)nv));
	put(b, o, "violations_not_kept",
	    json_integer((json_int_t)r->violations_not_kept));
	return o;
}

int report_json(const char *path, const struct fc_run_result *r)
{
	struct jb b = { 0 };
	json_t *root = json_object();
	json_t *scns = json_array();
	size_t i;
	int ret = 0;

	for (i = 0; i < r->nscn; i++)
		push(&b, scns, jscenario(&b, &r->scn[i]));
	put(&b, root, "schema", json_string("fusecheck-report"));
	put(&b, root, "schema_version", json_integer(REPORT_JSON_VERSION));
	put(&b, root, "run", jrun(&b, r));
	put(&b, root, "totals", jtotals(&b, r));
	put(&b, root, "lock_rules", jlock(&b, r->lock, r->nlock));
	put(&b, root, "scenarios", scns);
	if (b.err) {
		ret = -ENOMEM;
		goto out_root;
	}
	errno = 0;
	if (json_dump_file(root, path, JSON_INDENT(2) | JSON_REAL_PRECISION(6)))
		ret = errno ? -errno : -EIO;
out_root:
	json_decref(root);
	return ret;
}
