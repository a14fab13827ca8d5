/* run/known.h - a profile's known deviations laid over a run's results:
 * a scenario that fails only with rules its profile declares for it is
 * marked known (reported, not counted against the exit code); a declared
 * deviation that no longer shows is reported as gone (exit 1), so that
 * the profile is brought up to date (docs/attach.md, `known`). */
#ifndef FC_RUN_KNOWN_H
#define FC_RUN_KNOWN_H

struct profile;
struct fc_run_result;

/* 0, or -ENOMEM. */
int known_apply(const struct profile *p, struct fc_run_result *r);

#endif
