/* inflight.c - the in-flight request table (inflight.h): open addressing
 * keyed by unique, linear probing, backward-shift deletion. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inflight.h"

#define INFLIGHT_MIN_CAP 256

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

int inflight_init(struct inflight *t)
{
	memset(t, 0, sizeof(*t));
	t->slots = calloc(INFLIGHT_MIN_CAP, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->cap = INFLIGHT_MIN_CAP;
	return 0;
}

void inflight_reset(struct inflight *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		if (t->slots[i].unique)
			free(t->slots[i].heap);
	memset(t->slots, 0, t->cap * sizeof(*t->slots));
	t->count = 0;
}

void inflight_destroy(struct inflight *t)
{
	if (!t->slots)
		return;
	inflight_reset(t);
	free(t->slots);
	t->slots = NULL;
	t->cap = 0;
}

struct inflight_req *inflight_find(const struct inflight *t, uint64_t unique)
{
	size_t mask = t->cap - 1;
	size_t i;

	if (!unique)
		return NULL;
	for (i = mix64(unique) & mask; t->slots[i].unique; i = (i + 1) & mask)
		if (t->slots[i].unique == unique)
			return &t->slots[i];
	return NULL;
}

static int grow(struct inflight *t)
{
	size_t ncap = t->cap * 2, mask = ncap - 1, i, j;
	struct inflight_req *s = calloc(ncap, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		if (!t->slots[i].unique)
			continue;
		j = mix64(t->slots[i].unique) & mask;
		while (s[j].unique)
			j = (j + 1) & mask;
		s[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = s;
	t->cap = ncap;
	return 0;
}

struct inflight_req *inflight_add(struct inflight *t, uint64_t unique)
{
	struct inflight_req *r = inflight_find(t, unique);
	size_t mask, i;

	if (!unique)
		return NULL;
	if (r) {
		/* a unique reused before its reply: the old one is gone */
		free(r->heap);
		memset(r, 0, sizeof(*r));
		r->unique = unique;
		return r;
	}
	if ((t->count + 1) * 2 > t->cap && grow(t))
		return NULL;
	mask = t->cap - 1;
	for (i = mix64(unique) & mask; t->slots[i].unique; i = (i + 1) & mask)
		;
	r = &t->slots[i];
	memset(r, 0, sizeof(*r));
	r->unique = unique;
	if (++t->count > t->max)
		t->max = t->count;
	return r;
}

void inflight_remove(struct inflight *t, struct inflight_req *r)
{
	size_t mask = t->cap - 1;
	size_t i = (size_t)(r - t->slots), j = i, k;

	free(r->heap);
	for (;;) {
		j = (j + 1) & mask;
		if (!t->slots[j].unique)
			break;
		k = mix64(t->slots[j].unique) & mask;
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->count--;
}

int inflight_set_names(struct inflight_req *r, const char *name,
		       size_t len, const char *name2, size_t len2)
{
	char *p = r->inl;
	size_t need;

	if (!name)
		len = 0;
	if (!name2)
		len2 = 0;
	need = len + 1 + len2 + 1;
	free(r->heap);
	r->heap = NULL;
	if (need > sizeof(r->inl)) {
		r->heap = malloc(need);
		if (!r->heap)
			return -ENOMEM;
		p = r->heap;
	}
	if (len)
		memcpy(p, name, len);
	p[len] = '\0';
	if (len2)
		memcpy(p + len + 1, name2, len2);
	p[len + 1 + len2] = '\0';
	r->name_len = (uint32_t)len;
	r->name2_len = (uint32_t)len2;
	return 0;
}

const char *inflight_name(const struct inflight_req *r)
{
	return r->heap ? r->heap : r->inl;
}

const char *inflight_name2(const struct inflight_req *r)
{
	return inflight_name(r) + r->name_len + 1;
}

struct inflight_req *inflight_next(const struct inflight *t, size_t *pos)
{
	while (*pos < t->cap) {
		struct inflight_req *r = &t->slots[(*pos)++];

		if (r->unique)
			return r;
	}
	return NULL;
}
