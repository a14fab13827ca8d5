/* tap_pending.h - unique -> opcode for requests awaiting a reply, so the
 * tap knows what a reply answers (INIT to cap, READ data to leave out of
 * the log) without asking the checker.  Open addressing, one mutex. */
#ifndef FC_TAP_PENDING_H
#define FC_TAP_PENDING_H

#include <pthread.h>
#include <stdint.h>

struct tap_pending_slot {
	uint64_t unique;      /* 0: empty */
	uint32_t opcode;
};

struct tap_pending {
	pthread_mutex_t lock;
	struct tap_pending_slot *slots;
	size_t cap;           /* power of two */
	size_t used;
};

int tap_pending_init(struct tap_pending *p);
void tap_pending_fini(struct tap_pending *p);
/* Remember a request; -ENOMEM when it cannot grow. */
int tap_pending_put(struct tap_pending *p, uint64_t unique, uint32_t opcode);
/* Forget and return the opcode of unique; 0 when unknown. */
uint32_t tap_pending_take(struct tap_pending *p, uint64_t unique);

#endif
