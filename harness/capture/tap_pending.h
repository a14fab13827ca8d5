/* capture/tap_pending.h - requests awaiting a reply, by unique: the opcode,
 * so that the tap knows what a reply answers (INIT to cap, READ data to
 * leave out of the log), and the arrival time, so that live control (the
 * watchdog, quiesce) knows how many wait and for how long without asking
 * the judge.  One mutex: the request and reply threads both use it. */
#ifndef FC_TAP_PENDING_H
#define FC_TAP_PENDING_H

#include <pthread.h>
#include <stdint.h>
#include "util/u64tab.h"

struct tap_pending {
	pthread_mutex_t lock;
	struct u64tab tab;    /* of struct tap_pending_rec */
};

int tap_pending_init(struct tap_pending *p);
void tap_pending_fini(struct tap_pending *p);
/* Remember a request; -ENOMEM when it cannot grow. */
int tap_pending_put(struct tap_pending *p, uint64_t unique, uint32_t opcode);
/* Forget and return the opcode of unique; 0 when unknown. */
uint32_t tap_pending_take(struct tap_pending *p, uint64_t unique);
/* How many requests await a reply. */
size_t tap_pending_count(struct tap_pending *p);
/* The request waiting longest: 1 with its unique, opcode and arrival
 * (CLOCK_MONOTONIC ns), 0 when none waits. */
int tap_pending_oldest(struct tap_pending *p, uint64_t *unique,
		       uint32_t *opcode, uint64_t *since_ns);

#endif
