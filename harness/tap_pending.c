/* tap_pending.c - open-addressing table of requests awaiting a reply.
 * Deletion shifts later entries back (no tombstones), so the table never
 * fills with dead slots however long the run. */
#include <errno.h>
#include <stdlib.h>
#include "tap_pending.h"

static size_t slot_of(uint64_t unique, size_t cap)
{
	/* Kernel uniques step by 2; mix so that they spread. */
	uint64_t h = unique * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (cap - 1);
}

int tap_pending_init(struct tap_pending *p)
{
	p->cap = 1024;
	p->used = 0;
	p->slots = calloc(p->cap, sizeof(*p->slots));
	if (!p->slots)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void tap_pending_fini(struct tap_pending *p)
{
	free(p->slots);
	p->slots = NULL;
	pthread_mutex_destroy(&p->lock);
}

static void insert(struct tap_pending_slot *slots, size_t cap,
		   uint64_t unique, uint32_t opcode)
{
	size_t i = slot_of(unique, cap);

	while (slots[i].unique && slots[i].unique != unique)
		i = (i + 1) & (cap - 1);
	slots[i].unique = unique;
	slots[i].opcode = opcode;
}

static int grow(struct tap_pending *p)
{
	size_t ncap = p->cap * 2, i;
	struct tap_pending_slot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (i = 0; i < p->cap; i++)
		if (p->slots[i].unique)
			insert(ns, ncap, p->slots[i].unique,
			       p->slots[i].opcode);
	free(p->slots);
	p->slots = ns;
	p->cap = ncap;
	return 0;
}

int tap_pending_put(struct tap_pending *p, uint64_t unique, uint32_t opcode)
{
	int err = 0;

	if (!unique)
		return 0;
	pthread_mutex_lock(&p->lock);
	if ((p->used + 1) * 2 > p->cap)
		err = grow(p);
	if (!err) {
		insert(p->slots, p->cap, unique, opcode);
		p->used++;
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

uint32_t tap_pending_take(struct tap_pending *p, uint64_t unique)
{
	size_t i, j, mask;
	uint32_t opcode = 0;

	pthread_mutex_lock(&p->lock);
	mask = p->cap - 1;
	i = slot_of(unique, p->cap);
	while (p->slots[i].unique && p->slots[i].unique != unique)
		i = (i + 1) & mask;
	if (!p->slots[i].unique)
		goto out;
	opcode = p->slots[i].opcode;
	p->slots[i].unique = 0;
	p->used--;
	/* Backward-shift: move up any entry whose home lies at or before
	 * the hole, so lookups never stop early at it. */
	j = i;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!p->slots[j].unique)
			break;
		home = slot_of(p->slots[j].unique, p->cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			p->slots[i] = p->slots[j];
			p->slots[j].unique = 0;
			i = j;
		}
	}
out:
	pthread_mutex_unlock(&p->lock);
	return opcode;
}
