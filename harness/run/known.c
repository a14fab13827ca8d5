/* run/known.c - known deviations of a profile, applied to a run's results.
 * Matching is by scenario name and rule id; every violation of a failed
 * scenario must be declared for it to count as known, so a new kind of
 * failure in the same scenario still fails the run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/result.h"
#include "run/known.h"
#include "run/profile.h"

static const struct profile_known *declared(const struct profile *p,
					    const char *scn, const char *rule)
{
	int i;

	for (i = 0; i < p->nknown; i++)
		if (!strcmp(p->known[i].scn, scn) &&
		    !strcmp(p->known[i].rule, rule))
			return &p->known[i];
	return NULL;
}

static int fired(const struct fc_scn_result *s, const char *rule)
{
	size_t v;

	for (v = 0; v < s->nviolations; v++)
		if (!strcmp(s->violations[v].rule->id, rule))
			return 1;
	return 0;
}

/* every violation of s is declared: the reasons, joined; NULL otherwise */
static char *all_known(const struct profile *p, const struct fc_scn_result *s)
{
	const struct profile_known *k;
	char *out = NULL, *n;
	size_t v;

	for (v = 0; v < s->nviolations; v++) {
		k = declared(p, s->name, s->violations[v].rule->id);
		if (!k) {
			free(out);
			return NULL;
		}
		if (out && strstr(out, k->why))
			continue;
		if (asprintf(&n, "%s%s%s", out ? out : "", out ? "; " : "",
			     k->why) < 0) {
			free(out);
			return NULL;
		}
		free(out);
		out = n;
	}
	return out;
}

static int add_gone(struct fc_run_result *r, const struct profile_known *k)
{
	char **g = realloc(r->known_gone, (r->nknown_gone + 1) * sizeof(*g));

	if (!g)
		return -ENOMEM;
	r->known_gone = g;
	if (asprintf(&g[r->nknown_gone], "%s %s (%s)", k->scn, k->rule,
		     k->why) < 0)
		return -ENOMEM;
	r->nknown_gone++;
	return 0;
}

int known_apply(const struct profile *p, struct fc_run_result *r)
{
	struct fc_scn_result *s;
	size_t i;
	int k;

	if (!p || !p->nknown)
		return 0;
	for (i = 0; i < r->nscn; i++) {
		s = &r->scn[i];
		if (s->status == FC_SCN_ST_FAIL && s->nviolations)
			s->known = all_known(p, s);
	}
	/* declared, run, and silent: the filesystem changed */
	for (k = 0; k < p->nknown; k++) {
		for (i = 0; i < r->nscn; i++)
			if (!strcmp(r->scn[i].name, p->known[k].scn))
				break;
		if (i == r->nscn)
			continue;	/* not run (--only) */
		s = &r->scn[i];
		if (s->status != FC_SCN_ST_PASS &&
		    s->status != FC_SCN_ST_FAIL)
			continue;	/* skipped or broken: not seen */
		if (!fired(s, p->known[k].rule) && add_gone(r, &p->known[k]))
			return -ENOMEM;
	}
	return 0;
}
