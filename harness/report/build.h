/* report/build.h - assemble struct fc_run_result from what the verdicts and
 * the checker concluded; the same code serves `run` and `replay`. */
#ifndef FC_RESULTS_H
#define FC_RESULTS_H

#include "report/result.h"
#include "scenario/scn.h"
#include "judge/verdicts.h"

/* scns[i] (may be NULL, or shorter than the log) gives descriptions and
 * rule lists.  Metadata fields of r are left to the caller. */
int results_build(const struct verdicts *v, struct scn *const *scns,
		  size_t nscns, struct fc_run_result *r);
/* Scenario idx alone, as results_build would fill it (for the line a
 * run prints as each scenario ends); free with run_result_scn_free. */
int results_one(const struct verdicts *v, long idx, const struct scn *s,
		struct fc_scn_result *sr);

#endif
