/* judge/verdicts.h - what a stream of events concludes per scenario: the
 * checker's verdicts plus the scenario begin/end statuses and how busy
 * each scenario was.  Fed by the live log and by `replay` alike. */
#ifndef FC_VERDICTS_H
#define FC_VERDICTS_H

#include <stddef.h>
#include <stdint.h>
#include "judge/checker.h"

/* Which requests a scenario caused: a kernel upgrade that changes the
 * conversation (more LOOKUPs, READDIRPLUS instead of READDIR, larger
 * buffers) shows here even when every verdict holds. */
#define FC_MIX_OPS 64          /* opcodes below this are counted each */
struct fc_request_mix {
	uint32_t count[FC_MIX_OPS];
	uint32_t other;            /* opcodes at or above FC_MIX_OPS */
	uint32_t readdir_size_max; /* largest READDIR(PLUS) buffer asked */
};

struct verdict_scn {
	char *file;
	int ended;
	uint32_t status;       /* enum fc_scn_status from the END event */
	char *reason;
	size_t max_inflight;
	struct fc_request_mix mix;
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
