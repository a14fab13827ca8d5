/* judge/verdicts.h - what a stream of events concludes per scenario: the
 * checker's verdicts plus the scenario begin/end statuses and how busy
 * each scenario was.  Fed by the live log and by `replay` alike. */
#ifndef FC_VERDICTS_H
#define FC_VERDICTS_H

#include <stddef.h>
#include <stdint.h>
#include "judge/checker.h"

struct verdict_scn {
	char *file;
	int ended;
	uint32_t status;       /* enum fc_scn_status from the END event */
	char *reason;
	size_t max_inflight;
	uint64_t begin_ns, end_ns;
	char *fs_exit;         /* UNMOUNT's payload: how the filesystem
				  ended at this scenario's unmount */
};

struct verdicts {
	struct fc_checker *checker;
	struct verdict_scn *scn;
	size_t nscn, capscn;
	long current;          /* scenario being run, -1 none */
};

int verdicts_init(struct verdicts *v, struct fc_checker *c);
void verdicts_feed(struct verdicts *v, const struct fc_event *ev);
/* verdicts_feed as an event-log sink (capture/evlog.h); arg is the
 * struct verdicts. */
void verdicts_sink(void *arg, const struct fc_event *ev);
void verdicts_fini(struct verdicts *v);

#endif
