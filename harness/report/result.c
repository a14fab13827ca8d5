/* report/result.c - the verdict of a run as data: status names, totals, the
 * process exit code, and freeing what the runner collected. */
#include <stdlib.h>
#include <string.h>
#include "util/strlist.h"
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

int run_result_exit_code(const struct fc_run_result *r)
{
	size_t counts[4];

	run_result_counts(r, counts, NULL);
	/* could not run outranks a verdict: a broken setup is never blamed
	 * on the filesystem */
	if (r->broken || counts[FC_SCN_ST_BROKEN])
		return 2;
	if (counts[FC_SCN_ST_FAIL])
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
	for (i = 0; i < s->nviolations; i++)
		violation_free(&s->violations[i]);
	free(s->violations);
}

void run_result_free(struct fc_run_result *r)
{
	size_t i;

	if (!r)
		return;
	free(r->kernel_release);
	free(r->libfuse_version);
	free(r->fs_cmd);
	strv_free(r->caps);
	free(r->quiesce_method);
	free(r->attach);
	free(r->log_path);
	free(r->broken);
	for (i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	for (i = 0; i < r->nscn; i++)
		run_result_scn_free(&r->scn[i]);
	free(r->scn);
	memset(r, 0, sizeof(*r));
}
