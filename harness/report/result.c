/* report/result.c - the verdict of a run as data: status names, totals, the
 * process exit code, and freeing what the runner collected. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/strlist.h"
#include "util/u64tab.h"
#include "report/result.h"

static const char *const status_names[] = {
	[FC_SCN_ST_PASS] = "pass",
	[FC_SCN_ST_FAIL] = "fail",
	[FC_SCN_ST_SKIP] = "skip",
	[FC_SCN_ST_BROKEN] = "broken",
};

const char *fc_status_name(int status)
{
	if (status < 0 || status > FC_SCN_ST_BROKEN)
		return "unknown";
	return status_names[status];
}

void run_result_counts(const struct fc_run_result *r, size_t counts[4],
		       size_t *nviolations)
{
	size_t i, nv = 0;

	memset(counts, 0, 4 * sizeof(counts[0]));
	for (i = 0; i < r->nscn; i++) {
		const struct fc_scn_result *s = &r->scn[i];

		/* an unknown status is the harness's fault: count it broken */
		if (s->status >= FC_SCN_ST_PASS && s->status <= FC_SCN_ST_BROKEN)
			counts[s->status]++;
		else
			counts[FC_SCN_ST_BROKEN]++;
		nv += s->nviolations;
	}
	if (nviolations)
		*nviolations = nv;
}

size_t run_result_known(const struct fc_run_result *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nscn; i++)
		n += r->scn[i].status == FC_SCN_ST_FAIL && r->scn[i].known;
	return n;
}

int run_result_exit_code(const struct fc_run_result *r)
{
	size_t counts[4];

	run_result_counts(r, counts, NULL);
	/* could not run outranks a verdict: a broken setup is never blamed
	 * on the filesystem */
	if (r->broken || counts[FC_SCN_ST_BROKEN])
		return 2;
	/* a known deviation is not a new failure; one gone is news */
	if (counts[FC_SCN_ST_FAIL] > run_result_known(r) || r->nknown_gone)
		return 1;
	return 0;
}

static void violation_free(struct fc_violation *v)
{
	free(v->path);
	free(v->detail);
	free(v->scn_file);
	free(v->excerpt);
}

int run_result_flaky(const struct fc_scn_result *s)
{
	int k, kinds = 0;

	for (k = 0; k < 4; k++)
		kinds += s->held[k] != 0;
	return kinds > 1;
}

void run_result_scn_free(struct fc_scn_result *s)
{
	size_t i;

	free(s->name);
	free(s->file);
	free(s->description);
	for (i = 0; i < s->nrules; i++)
		free(s->rules[i]);
	free(s->rules);
	free(s->reason);
	free(s->known);
	free(s->fs_exit);
	for (i = 0; i < s->nviolations; i++)
		violation_free(&s->violations[i]);
	free(s->violations);
	for (i = 0; i < s->nfindings; i++)
		free(s->findings[i].members);
	free(s->findings);
}

void run_result_free(struct fc_run_result *r)
{
	size_t i;

	if (!r)
		return;
	free(r->kernel_release);
	free(r->libfuse_version);
	free(r->fs_libfuse);
	free(r->fs_cmd);
	strv_free(r->caps);
	free(r->quiesce_method);
	free(r->attach);
	free(r->fs_pidns);
	free(r->log_path);
	free(r->broken);
	for (i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	for (i = 0; i < r->nknown_gone; i++)
		free(r->known_gone[i]);
	free(r->known_gone);
	for (i = 0; i < r->nscn; i++)
		run_result_scn_free(&r->scn[i]);
	free(r->scn);
	memset(r, 0, sizeof(*r));
}

/* A finding's key: a hash of its rule id and line (never 0). */
static uint64_t finding_key(const struct fc_violation *v)
{
	const char *id = v->rule ? v->rule->id : "";

	return u64tab_name_key(v->scn_line, id, strlen(id));
}

static int same_finding(const struct fc_finding *f,
			const struct fc_violation *v)
{
	return f->rule == v->rule && f->line == v->scn_line;
}

/* The finding v belongs to when two keys collide: found by search. */
static size_t search_finding(const struct fc_scn_result *s,
			     const struct fc_violation *v)
{
	size_t k;

	for (k = 0; k < s->nfindings; k++)
		if (same_finding(&s->findings[k], v))
			return k;
	return s->nfindings;
}

struct finding_rec {
	uint64_t key;
	size_t index;          /* into s->findings */
};

int run_result_group(struct fc_scn_result *s)
{
	struct finding_rec *rec;
	struct u64tab by_key;
	struct fc_finding *f;
	size_t i, k, *m;
	int created, err = -ENOMEM;

	if (!s->nviolations)
		return 0;
	/* at most one finding a violation: sized once, no reallocation */
	s->findings = calloc(s->nviolations, sizeof(*s->findings));
	if (!s->findings)
		return -ENOMEM;
	u64tab_init(&by_key, sizeof(struct finding_rec));
	for (i = 0; i < s->nviolations; i++) {
		rec = u64tab_insert(&by_key, finding_key(&s->violations[i]),
				    &created);
		if (!rec)
			goto out_tab;
		k = created ? s->nfindings : rec->index;
		if (!created && !same_finding(&s->findings[k],
					      &s->violations[i]))
			k = search_finding(s, &s->violations[i]);
		if (created)
			rec->index = k;
		f = &s->findings[k];
		if (k == s->nfindings) {
			s->nfindings++;
			f->rule = s->violations[i].rule;
			f->line = s->violations[i].scn_line;
		}
		/* doubling, so that a finding of n members costs O(n) */
		if (!(f->count & (f->count - 1))) {
			m = realloc(f->members, (f->count ? 2 * f->count : 1) *
						       sizeof(*m));
			if (!m)
				goto out_tab;
			f->members = m;
		}
		f->members[f->count++] = i;
	}
	err = 0;
out_tab:
	u64tab_fini(&by_key);
	return err;
}
