/* capture/tap_pending.c - requests awaiting a reply, by unique (capture/tap_pending.h). */
#include <errno.h>
#include "capture/tap_pending.h"
#include "util/clock.h"

struct tap_pending_rec {
	uint64_t unique;
	uint64_t since_ns;
	uint32_t opcode;
};

int tap_pending_init(struct tap_pending *p)
{
	u64tab_init(&p->tab, sizeof(struct tap_pending_rec));
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void tap_pending_fini(struct tap_pending *p)
{
	u64tab_fini(&p->tab);
	pthread_mutex_destroy(&p->lock);
}

int tap_pending_put(struct tap_pending *p, uint64_t unique, uint32_t opcode)
{
	struct tap_pending_rec *r;
	int created;

	if (!unique)
		return 0;
	pthread_mutex_lock(&p->lock);
	r = u64tab_insert(&p->tab, unique, &created);
	if (r) {
		r->opcode = opcode;
		r->since_ns = clock_now_ns();
	}
	pthread_mutex_unlock(&p->lock);
	return r ? 0 : -ENOMEM;
}

uint32_t tap_pending_take(struct tap_pending *p, uint64_t unique)
{
	struct tap_pending_rec *r;
	uint32_t opcode = 0;

	pthread_mutex_lock(&p->lock);
	r = u64tab_find(&p->tab, unique);
	if (r) {
		opcode = r->opcode;
		u64tab_remove(&p->tab, r);
	}
	pthread_mutex_unlock(&p->lock);
	return opcode;
}

size_t tap_pending_count(struct tap_pending *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->tab.count;
	pthread_mutex_unlock(&p->lock);
	return n;
}

int tap_pending_oldest(struct tap_pending *p, uint64_t *unique,
		       uint32_t *opcode, uint64_t *since_ns)
{
	const struct tap_pending_rec *r, *old = NULL;
	size_t pos = 0;

	pthread_mutex_lock(&p->lock);
	while ((r = u64tab_next(&p->tab, &pos)))
		if (!old || r->since_ns < old->since_ns)
			old = r;
	if (old) {
		*unique = old->unique;
		*opcode = old->opcode;
		*since_ns = old->since_ns;
	}
	pthread_mutex_unlock(&p->lock);
	return old != NULL;
}
