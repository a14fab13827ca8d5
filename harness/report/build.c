/* report/build.c - per-scenario results from the verdicts: status, the
 * violations attributed to it (wire rules and expectations, in event
 * order), and its busiest moment.  Violations logged outside any
 * scenario (the capability probe) get an entry of their own. */
#include <errno.h>
#include <stdio.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include "judge/lock.h"
#include "report/build.h"

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int copy_violation(struct fc_violation *dst,
			  const struct fc_violation *src)
{
	*dst = *src;
	dst->path = strdup(src->path ? src->path : "");
	dst->detail = strdup(src->detail ? src->detail : "");
	dst->scn_file = xstrdup(src->scn_file);
	dst->excerpt = xstrdup(src->excerpt);
	return dst->path && dst->detail ? 0 : -ENOMEM;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct fc_violation *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static char *name_of(const char *file)
{
	char *copy = strdup(file ? file : "outside-scenarios");
	char *base, *dot, *out;

	if (!copy)
		return NULL;
	base = basename(copy);
	dot = strrchr(base, '.');
	if (dot && strcmp(dot, ".scn") == 0)
		*dot = 0;
	out = strdup(base);
	free(copy);
	return out;
}

/* Collect the violations attributed to scenario `idx`. */
static int gather(const struct verdicts *v, long idx,
		  struct fc_scn_result *sr)
{
	size_t n = checker_nviolations(v->checker), i, k = 0, total = 0;
	const struct fc_violation *cv;

	for (i = 0; i < n; i++)
		total += checker_violation(v->checker, i)->scenario == idx;
	if (!total)
		return 0;
	sr->violations = calloc(total, sizeof(*sr->violations));
	if (!sr->violations)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		cv = checker_violation(v->checker, i);
		if (cv->scenario == idx &&
		    copy_violation(&sr->violations[k++], cv))
			return -ENOMEM;
	}
	sr->nviolations = k;
	qsort(sr->violations, k, sizeof(*sr->violations), cmp_seq);
	return 0;
}

static int fill(const struct verdicts *v, long idx, const struct scn *s,
		struct fc_scn_result *sr)
{
	const struct verdict_scn *vs = idx >= 0 ? &v->scn[idx] : NULL;
	size_t i;
	int err;

	sr->file = xstrdup(vs && vs->file ? vs->file : "");
	sr->name = name_of(vs ? vs->file : NULL);
	sr->description = xstrdup(s ? scn_description(s) :
				  vs ? "" : "events outside any scenario "
				  "(capability probe)");
	if (s && scn_nrules(s)) {
		sr->rules = calloc(scn_nrules(s), sizeof(*sr->rules));
		if (!sr->rules)
			return -ENOMEM;
		for (i = 0; i < scn_nrules(s); i++)
			sr->rules[i] = xstrdup(scn_rule(s, i));
		sr->nrules = scn_nrules(s);
	}
	err = gather(v, idx, sr);
	if (!err)
		err = run_result_group(sr);
	if (err)
		return err;
	if (vs) {
		sr->max_inflight = vs->max_inflight;
		sr->mix = vs->mix;
		sr->seconds = vs->end_ns > vs->begin_ns ?
				      (double)(vs->end_ns - vs->begin_ns) / 1e9 :
				      0;
		sr->reason = xstrdup(vs->reason);
		sr->fs_exit = vs->fs_exit ? strdup(vs->fs_exit) : NULL;
	}
	if (vs && !vs->ended) {
		sr->status = FC_SCN_ST_BROKEN;
		free(sr->reason);
		sr->reason = strdup("the log ends inside this scenario");
	} else if (vs && vs->status == FC_SCN_ST_SKIP) {
		sr->status = FC_SCN_ST_SKIP;
	} else if (vs && vs->status == FC_SCN_ST_BROKEN) {
		sr->status = FC_SCN_ST_BROKEN;
	} else if (vs && vs->status == FC_SCN_ST_FAIL) {
		sr->status = FC_SCN_ST_FAIL;
	} else {
		sr->status = sr->nviolations ? FC_SCN_ST_FAIL : FC_SCN_ST_PASS;
	}
	return 0;
}

/* Violations past the checker's store are counted: every report says how
 * many were found and not listed, never silently fewer. */
static int not_kept(const struct verdicts *v, struct fc_run_result *r)
{
	char **nn;

	r->violations_not_kept = checker_dropped(v->checker);
	if (!r->violations_not_kept)
		return 0;
	nn = realloc(r->notes, (r->nnotes + 1) * sizeof(*nn));
	if (!nn)
		return -ENOMEM;
	r->notes = nn;
	if (asprintf(&nn[r->nnotes], "%llu further violations were found and "
		     "not kept: reports list the first %zu",
		     (unsigned long long)r->violations_not_kept,
		     checker_nviolations(v->checker)) < 0)
		return -ENOMEM;
	r->nnotes++;
	return 0;
}

int results_one(const struct verdicts *v, long idx, const struct scn *s,
		struct fc_scn_result *sr)
{
	memset(sr, 0, sizeof(*sr));
	if (idx < 0 || (size_t)idx >= v->nscn)
		return -ENOENT;
	return fill(v, idx, s, sr);
}

/* A run in which no scenario was executed is never a pass: every
 * scenario skipped, or none at all, is a broken run that says so (the
 * same verdict live and on replay, since both build results here). */
static int nothing_tested(struct fc_run_result *r)
{
	size_t counts[4], i, shown = 0, at;
	char why[512];

	run_result_counts(r, counts, NULL);
	if (r->broken || counts[FC_SCN_ST_PASS] || counts[FC_SCN_ST_FAIL] ||
	    counts[FC_SCN_ST_BROKEN])
		return 0;
	at = (size_t)snprintf(why, sizeof(why), "nothing was tested: %s",
			      r->nscn ? "every scenario was skipped" :
					"no scenario ran");
	for (i = 0; i < r->nscn && shown < 3 && at < sizeof(why); i++) {
		if (!r->scn[i].reason || !r->scn[i].reason[0])
			continue;
		at += (size_t)snprintf(why + at, sizeof(why) - at, "%s%s: %s",
				       shown ? "; " : " (", r->scn[i].name,
				       r->scn[i].reason);
		shown++;
	}
	if (shown && at < sizeof(why))
		snprintf(why + at, sizeof(why) - at, "%s)",
			 r->nscn > shown ? "; …" : "");
	r->broken = strdup(why);
	return r->broken ? 0 : -ENOMEM;
}

/* One lock-verdict row per rule, from the lock checker's figures. */
static void fill_lock_rows(struct fc_lock_row *rows, size_t *n,
			   const struct lock_checker *lk, int run,
			   int scenario)
{
	const struct lock_stat *st;
	unsigned r;

	for (r = 0; r < LOCK_NRULES && r < FC_LOCK_RULES_MAX; r++) {
		st = run ? lock_run_stat(lk, r) : lock_scn_stat(lk, scenario, r);
		rows[r].rule = lock_rule(r)->id;
		rows[r].verdict = lock_stat_verdict(st);
		rows[r].max_overlap = st->max_overlap;
		rows[r].judged = st->judged;
		rows[r].exempt = st->exempt;
		rows[r].violations = st->violations;
	}
	*n = r;
}

/* The lock verdict tables of r: the run's and each scenario's (slot i <
 * nlogged is scenario i of the log; a slot past them holds what happened
 * outside any scenario). */
static void fill_lock_tables(const struct lock_checker *lk, size_t nlogged,
			     struct fc_run_result *r)
{
	size_t i;

	if (!lk)
		return;
	fill_lock_rows(r->lock, &r->nlock, lk, 1, 0);
	for (i = 0; i < r->nscn; i++)
		fill_lock_rows(r->scn[i].lock, &r->scn[i].nlock, lk, 0,
			       i < nlogged ? (int)i : -1);
}

/* How bad a status is, for choosing which run of a repeated scenario
 * speaks for it: broken, then failed, then passed, then skipped. */
static int severity(int status)
{
	static const int rank[] = {
		[FC_SCN_ST_SKIP] = 0, [FC_SCN_ST_PASS] = 1,
		[FC_SCN_ST_FAIL] = 2, [FC_SCN_ST_BROKEN] = 3,
	};

	return status >= 0 && status < 4 ? rank[status] : 3;
}

static int same_scenario(const struct fc_scn_result *a,
			 const struct fc_scn_result *b)
{
	return a->name && b->name && !strcmp(a->name, b->name) &&
	       (a->file == b->file || (a->file && b->file &&
				       !strcmp(a->file, b->file)));
}

/* `run --repeat N` logs every scenario N times: one result per scenario,
 * the worst run speaking for it (its violations, lock rows, reason) and
 * `held` counting how each run ended.  Built from the log alone, so a
 * replay merges the same way.  The slot of violations outside any
 * scenario (no name) is left as it is. */
static void merge_repeats(struct fc_run_result *r)
{
	struct fc_scn_result tmp;
	size_t i, j, kept = 0;

	for (i = 0; i < r->nscn; i++) {
		for (j = 0; j < kept && !same_scenario(&r->scn[j], &r->scn[i]);
		     j++)
			;
		if (j == kept) {
			if (kept != i)
				r->scn[kept] = r->scn[i];
			if (r->scn[kept].status >= 0 && r->scn[kept].status < 4)
				r->scn[kept].held[r->scn[kept].status]++;
			kept++;
			continue;
		}
		if (r->scn[i].status >= 0 && r->scn[i].status < 4)
			r->scn[j].held[r->scn[i].status]++;
		if (severity(r->scn[i].status) > severity(r->scn[j].status)) {
			tmp = r->scn[j];
			r->scn[j] = r->scn[i];
			memcpy(r->scn[j].held, tmp.held, sizeof(tmp.held));
			run_result_scn_free(&tmp);
		} else {
			run_result_scn_free(&r->scn[i]);
		}
	}
	/* one run each: nothing was repeated, and held says nothing */
	for (i = 0; i < kept; i++) {
		unsigned total = 0, k;

		for (k = 0; k < 4; k++)
			total += r->scn[i].held[k];
		if (total < 2)
			memset(r->scn[i].held, 0, sizeof(r->scn[i].held));
	}
	r->nscn = kept;
}

int results_build(const struct verdicts *v, struct scn *const *scns,
		  size_t nscns, struct fc_run_result *r)
{
	size_t n = checker_nviolations(v->checker), i, outside = 0;
	size_t slots;
	int err;

	for (i = 0; i < n; i++)
		outside += checker_violation(v->checker, i)->scenario < 0;
	r->nnotes = checker_nnotes(v->checker);
	r->notes = calloc(r->nnotes ? r->nnotes : 1, sizeof(*r->notes));
	if (!r->notes)
		return -ENOMEM;
	for (i = 0; i < r->nnotes; i++)
		r->notes[i] = strdup(checker_note(v->checker, i));
	slots = v->nscn + (outside ? 1 : 0);
	r->scn = calloc(slots ? slots : 1, sizeof(*r->scn));
	if (!r->scn)
		return -ENOMEM;
	r->nscn = slots;
	for (i = 0; i < v->nscn; i++) {
		err = fill(v, (long)i, scns && i < nscns ? scns[i] : NULL,
			   &r->scn[i]);
		if (err)
			return err;
	}
	if (outside) {
		err = fill(v, -1, NULL, &r->scn[v->nscn]);
		if (err)
			return err;
	}
	fill_lock_tables(checker_lock(v->checker), v->nscn, r);
	err = not_kept(v, r);
	if (err)
		return err;
	merge_repeats(r);
	return nothing_tested(r);
}
