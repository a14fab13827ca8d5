/* util/u64tab.c - open addressing on 64-bit keys (util/u64tab.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <xxhash.h>

#include "util/u64tab.h"

#define U64TAB_MIN_CAP 64

/* A secret of this process, added to every key before it is mixed.  The
 * filesystem under test chooses nodeids, file handles and names, and the
 * mixer alone is invertible: with it public, a filesystem could choose
 * keys that all land in one run of slots and make every probe walk it.
 * Set once before main (getrandom; the clock and pid where it cannot
 * answer); it changes only the order of a table's slots, which no
 * output depends on. */
uint64_t u64tab_mix_secret;

__attribute__((constructor)) static void mix_secret_init(void)
{
	struct timespec ts;

	if (getrandom(&u64tab_mix_secret, sizeof(u64tab_mix_secret),
		      GRND_NONBLOCK) == (ssize_t)sizeof(u64tab_mix_secret))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	u64tab_mix_secret = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
			    (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 32);
}

static uint64_t key_at(const struct u64tab *t, size_t i)
{
	uint64_t k;

	memcpy(&k, t->slots + i * t->esize, sizeof(k));
	return k;
}

static void *rec_at(const struct u64tab *t, size_t i)
{
	return t->slots + i * t->esize;
}

void u64tab_init(struct u64tab *t, size_t esize)
{
	memset(t, 0, sizeof(*t));
	t->esize = esize;
}

void u64tab_fini(struct u64tab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->count = 0;
}

void u64tab_clear(struct u64tab *t)
{
	if (t->slots)
		memset(t->slots, 0, t->cap * t->esize);
	t->count = 0;
}

/* The slot holding key, or the free slot where it would go. */
static size_t probe(const struct u64tab *t, uint64_t key)
{
	size_t mask = t->cap - 1, i = (size_t)u64tab_mix(key) & mask;
	uint64_t k;

	while ((k = key_at(t, i)) && k != key)
		i = (i + 1) & mask;
	return i;
}

void *u64tab_find(const struct u64tab *t, uint64_t key)
{
	size_t i;

	if (!key || !t->cap)
		return NULL;
	i = probe(t, key);
	return key_at(t, i) ? rec_at(t, i) : NULL;
}

static int grow(struct u64tab *t)
{
	struct u64tab n = *t;
	size_t i;

	n.cap = t->cap ? t->cap * 2 : U64TAB_MIN_CAP;
	n.slots = calloc(n.cap, t->esize);
	if (!n.slots)
		return -1;
	for (i = 0; i < t->cap; i++) {
		uint64_t k = key_at(t, i);

		if (k)
			memcpy(rec_at(&n, probe(&n, k)), rec_at(t, i),
			       t->esize);
	}
	free(t->slots);
	*t = n;
	return 0;
}

void *u64tab_insert(struct u64tab *t, uint64_t key, int *created)
{
	void *rec;
	size_t i;

	*created = 0;
	if (!key)
		return NULL;
	if ((t->count + 1) * 2 > t->cap && grow(t))
		return NULL;
	i = probe(t, key);
	rec = rec_at(t, i);
	if (key_at(t, i))
		return rec;
	memset(rec, 0, t->esize);
	memcpy(rec, &key, sizeof(key));
	t->count++;
	*created = 1;
	return rec;
}

void u64tab_remove(struct u64tab *t, void *rec)
{
	size_t mask = t->cap - 1;
	size_t hole = (size_t)((unsigned char *)rec - t->slots) / t->esize;
	size_t j = hole, home;
	uint64_t k;

	/* Shift back every later record of the run whose home is at or
	 * before the hole, so lookups never stop early at it. */
	for (;;) {
		j = (j + 1) & mask;
		k = key_at(t, j);
		if (!k)
			break;
		home = (size_t)u64tab_mix(k) & mask;
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			memcpy(rec_at(t, hole), rec_at(t, j), t->esize);
			hole = j;
		}
	}
	memset(rec_at(t, hole), 0, t->esize);
	t->count--;
}

void *u64tab_next(const struct u64tab *t, size_t *pos)
{
	while (*pos < t->cap) {
		size_t i = (*pos)++;

		if (key_at(t, i))
			return rec_at(t, i);
	}
	return NULL;
}

uint64_t u64tab_name_key(uint64_t parent, const char *name, size_t len)
{
	uint64_t h = XXH3_64bits_withSeed(name, len, u64tab_mix(parent));

	return h ? h : 1;
}
