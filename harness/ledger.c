/* ledger.c - nodeid table and name map of one connection (ledger.h).
 *
 * Nodes live in a u64tab keyed by nodeid (never deleted until reset).
 * The dentry index is keyed by a hash of (parent, name); two names may
 * share a hash, so it keeps its own probing, with names compared and
 * slots deleted by backward shift.
 * The live tap feeds every message through here under a mutex, so the
 * common operations are O(1) amortized and allocate only when a table
 * grows or a name outgrows its buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

#define LEDGER_MIN_CAP 1024
#define LEDGER_MAX_DEPTH 128
#define ROOT_ID 1

static uint64_t dent_hash(uint64_t parent, const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ u64tab_mix(parent);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ULL;
	}
	h = u64tab_mix(h);
	return h ? h : 1;
}

int ledger_init(struct ledger *l)
{
	memset(l, 0, sizeof(*l));
	u64tab_init(&l->nodes, sizeof(struct ledger_node));
	l->dents = calloc(LEDGER_MIN_CAP, sizeof(*l->dents));
	if (!l->dents)
		return -ENOMEM;
	l->dcap = LEDGER_MIN_CAP;
	return 0;
}

static void free_names(struct ledger *l)
{
	struct ledger_node *n;
	size_t pos = 0;

	while ((n = u64tab_next(&l->nodes, &pos)))
		free(n->name);
}

void ledger_destroy(struct ledger *l)
{
	if (!l->dents)
		return;
	free_names(l);
	u64tab_fini(&l->nodes);
	free(l->dents);
	memset(l, 0, sizeof(*l));
}

void ledger_reset(struct ledger *l)
{
	free_names(l);
	u64tab_clear(&l->nodes);
	memset(l->dents, 0, l->dcap * sizeof(*l->dents));
	l->dcount = 0;
}

struct ledger_node *ledger_find(const struct ledger *l, uint64_t nodeid)
{
	return u64tab_find(&l->nodes, nodeid);
}

struct ledger_node *ledger_get(struct ledger *l, uint64_t nodeid)
{
	int created;

	return u64tab_insert(&l->nodes, nodeid, &created);
}

struct ledger_node *ledger_next(const struct ledger *l, size_t *pos)
{
	return u64tab_next(&l->nodes, pos);
}

/* --- dentry index ------------------------------------------------------ */

static int dent_matches(const struct ledger *l, const struct ledger_dent *d,
			uint64_t h, uint64_t parent, const char *name,
			size_t len)
{
	const struct ledger_node *n;

	if (d->hash != h)
		return 0;
	n = ledger_find(l, d->nodeid);
	return n && n->parent == parent && n->name_len == len &&
	       !memcmp(n->name, name, len);
}

static size_t dent_slot(const struct ledger *l, uint64_t h, uint64_t parent,
			const char *name, size_t len)
{
	size_t mask = l->dcap - 1;
	size_t i;

	for (i = h & mask; l->dents[i].nodeid; i = (i + 1) & mask)
		if (dent_matches(l, &l->dents[i], h, parent, name, len))
			return i;
	return SIZE_MAX;
}

uint64_t ledger_lookup_name(const struct ledger *l, uint64_t parent,
			    const char *name, size_t len)
{
	size_t i = dent_slot(l, dent_hash(parent, name, len), parent, name,
			     len);

	return i == SIZE_MAX ? 0 : l->dents[i].nodeid;
}

/* Backward-shift deletion keeps linear probing free of tombstones. */
static void dent_delete(struct ledger *l, size_t i)
{
	size_t mask = l->dcap - 1, j = i, k;

	for (;;) {
		j = (j + 1) & mask;
		if (!l->dents[j].nodeid)
			break;
		k = l->dents[j].hash & mask;
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			l->dents[i] = l->dents[j];
			i = j;
		}
	}
	l->dents[i].nodeid = 0;
	l->dents[i].hash = 0;
	l->dcount--;
}

static void dent_remove_node(struct ledger *l, struct ledger_node *n)
{
	size_t mask = l->dcap - 1;
	size_t i;

	if (!(n->flags & LEDGER_F_INDEXED))
		return;
	n->flags &= ~LEDGER_F_INDEXED;
	for (i = n->dhash & mask; l->dents[i].nodeid; i = (i + 1) & mask) {
		if (l->dents[i].nodeid == n->nodeid &&
		    l->dents[i].hash == n->dhash) {
			dent_delete(l, i);
			return;
		}
	}
}

static int grow_dents(struct ledger *l)
{
	size_t ncap = l->dcap * 2, mask = ncap - 1, i, j;
	struct ledger_dent *d = calloc(ncap, sizeof(*d));

	if (!d)
		return -ENOMEM;
	for (i = 0; i < l->dcap; i++) {
		if (!l->dents[i].nodeid)
			continue;
		j = l->dents[i].hash & mask;
		while (d[j].nodeid)
			j = (j + 1) & mask;
		d[j] = l->dents[i];
	}
	free(l->dents);
	l->dents = d;
	l->dcap = ncap;
	return 0;
}

static int dent_insert(struct ledger *l, uint64_t h, uint64_t nodeid)
{
	size_t mask, i;

	if ((l->dcount + 1) * 2 > l->dcap && grow_dents(l))
		return -ENOMEM;
	mask = l->dcap - 1;
	for (i = h & mask; l->dents[i].nodeid; i = (i + 1) & mask)
		;
	l->dents[i].hash = h;
	l->dents[i].nodeid = nodeid;
	l->dcount++;
	return 0;
}

void ledger_unlink_name(struct ledger *l, uint64_t nodeid)
{
	struct ledger_node *n = ledger_find(l, nodeid);

	if (!n)
		return;
	dent_remove_node(l, n);
	n->flags |= LEDGER_F_UNLINKED;
}

int ledger_set_name(struct ledger *l, uint64_t nodeid, uint64_t parent,
		    const char *name, size_t len)
{
	uint64_t h = dent_hash(parent, name, len);
	struct ledger_node *n;
	size_t slot;

	if (!len)
		return 0;	/* nothing to name it by */
	if (!ledger_get(l, nodeid))
		return -ENOMEM;
	slot = dent_slot(l, h, parent, name, len);
	if (slot != SIZE_MAX) {
		uint64_t other = l->dents[slot].nodeid;

		if (other == nodeid)
			return 0;	/* the common case: nothing changes */
		/* the name now leads elsewhere: the old holder lost it */
		ledger_unlink_name(l, other);
	}
	n = ledger_find(l, nodeid);
	dent_remove_node(l, n);
	if (len > n->name_cap) {
		char *p = realloc(n->name, len);

		if (!p)
			return -ENOMEM;
		n->name = p;
		n->name_cap = len;
	}
	memcpy(n->name, name, len);
	n->name_len = len;
	n->parent = parent;
	n->dhash = h;
	n->flags &= ~LEDGER_F_UNLINKED;
	if (dent_insert(l, h, nodeid))
		return -ENOMEM;
	/* dent_insert never moves nodes, so n is still valid */
	n->flags |= LEDGER_F_INDEXED;
	return 0;
}

/* --- paths ------------------------------------------------------------- */

static void put(char *buf, size_t size, size_t *off, const char *s,
		size_t len)
{
	size_t room;

	if (*off + 1 >= size)
		return;
	room = size - 1 - *off;
	if (len > room)
		len = room;
	memcpy(buf + *off, s, len);
	*off += len;
	buf[*off] = '\0';
}

void ledger_path(const struct ledger *l, uint64_t nodeid, char *buf,
		 size_t size)
{
	const struct ledger_node *chain[LEDGER_MAX_DEPTH];
	const struct ledger_node *n = ledger_find(l, nodeid);
	const struct ledger_node *target = n;
	char tmp[48];
	size_t depth = 0, off = 0;
	uint64_t id = nodeid;
	int k;

	if (!size)
		return;
	buf[0] = '\0';
	if (!n && nodeid != ROOT_ID)
		return;
	if (nodeid == ROOT_ID) {
		put(buf, size, &off, ".", 1);
		return;
	}
	/* walk up to the root; the depth bound also breaks cycles */
	while (id != ROOT_ID) {
		n = ledger_find(l, id);
		if (!n || !n->name_len) {
			k = snprintf(tmp, sizeof(tmp), "<nodeid %llu>%s",
				     (unsigned long long)id,
				     depth ? "/" : "");
			put(buf, size, &off, tmp, (size_t)k);
			break;
		}
		if (depth == LEDGER_MAX_DEPTH) {
			put(buf, size, &off, ".../", 4);
			break;
		}
		chain[depth++] = n;
		id = n->parent;
	}
	while (depth--) {
		put(buf, size, &off, chain[depth]->name, chain[depth]->name_len);
		if (depth)
			put(buf, size, &off, "/", 1);
	}
	if (target->flags & LEDGER_F_UNLINKED)
		put(buf, size, &off, " (unlinked)", 11);
}
