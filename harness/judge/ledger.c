/* judge/ledger.c - nodeid table and name map of one connection (judge/ledger.h).
 *
 * Nodes are appended to chunks of LEDGER_CHUNK records that never move,
 * and never deleted until reset; past a few chunks, they are mapped a
 * slab of many at a time (slab_chunks).  Two open-addressing indexes of 32-bit
 * slots find them: by nodeid, and by (parent, name).  A slot holds the
 * node's position + 1 in its low pbits bits, and above them the top bits
 * of the key's hash as a tag: a probe passes a foreign slot without
 * touching its node (a cache miss each at a million nodes) unless the
 * tags agree.  pbits is log2(idcap), so the tag costs no memory: nodes
 * never outnumber 3/4 of idcap, and the tag narrows by one bit each time
 * the nodeid index doubles (32 - pbits bits: 11 at a million nodes).
 * Backward-shift deletion recomputes a slot's home from its node.  Both
 * indexes grow at 3/4 full.  The live tap feeds every message through
 * here under a mutex, so the common operations are O(1) amortized and
 * allocate only when a table, a chunk list or the name arena grows.
 * What few nodes have (open handles, rejected references) sits in the
 * extras table; names that left the index are remembered by hash in
 * `buried` for the lock checker (ledger_name_seen).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/ledger.h"
#include "util/bigmem.h"
#include "util/u64tab.h"

#define LEDGER_MIN_CAP 1024
#define LEDGER_MAX_DEPTH 128
#define LEDGER_CHUNK 4096
/* 36 pages: a chunk wastes none */
#define CHUNK_BYTES (LEDGER_CHUNK * sizeof(struct ledger_node))
/* The first LEDGER_SMALL chunks are mapped one by one: most ledgers stay
 * that small.  Later ones come LEDGER_SLAB at a time, 18 MiB, nine huge
 * pages (bigmem; a whole number of them, so that the kernel aligns the
 * mapping for them): a million nodes in 4 KiB pages took 10,000 page
 * faults, each a trip to the hypervisor on a guest, and as many TLB
 * entries for the checker's random reads of its nodes.  Only the pages
 * touched are resident. */
#define LEDGER_SMALL 16
#define LEDGER_SLAB 128
#define ROOT_ID 1

static struct ledger_node *at(const struct ledger *l, uint32_t pos)
{
	return &l->chunks[pos / LEDGER_CHUNK][pos % LEDGER_CHUNK];
}

/* chunks in the slab that starts with chunk i (slabs are mapped whole,
 * so nchunks is always at a slab's start) */
static size_t slab_chunks(size_t i)
{
	return i < LEDGER_SMALL ? 1 : LEDGER_SLAB;
}

/* --- slots: position + 1 below pbits, the hash's tag above -------------- */

static uint32_t pos_mask(const struct ledger *l)
{
	return l->pbits >= 32 ? UINT32_MAX : (1u << l->pbits) - 1;
}

static uint32_t tag_at(unsigned pbits, uint64_t h)
{
	unsigned tbits = pbits >= 32 ? 0 : 32 - pbits;

	return tbits ? (uint32_t)(h >> (64 - tbits)) << pbits : 0;
}

static uint32_t slot_tag(const struct ledger *l, uint64_t h)
{
	return tag_at(l->pbits, h);
}

/* the node a used slot names */
static struct ledger_node *slot_node(const struct ledger *l, uint32_t v)
{
	return at(l, (v & pos_mask(l)) - 1);
}

static unsigned log2_of(size_t cap)
{
	unsigned b = 0;

	while ((size_t)1 << b < cap)
		b++;
	return b > 32 ? 32 : b;
}

static const char *name_of(const struct ledger *l,
			   const struct ledger_node *n)
{
	return l->names + n->name_off;
}

static uint64_t parent_of(const struct ledger *l, const struct ledger_node *n)
{
	return n->up ? at(l, n->up - 1)->nodeid : 0;
}

uint64_t ledger_parent(const struct ledger *l, const struct ledger_node *n)
{
	return parent_of(l, n);
}

int ledger_init(struct ledger *l)
{
	memset(l, 0, sizeof(*l));
	l->ids = bigmem_zalloc(LEDGER_MIN_CAP * sizeof(*l->ids));
	l->dents = bigmem_zalloc(LEDGER_MIN_CAP * sizeof(*l->dents));
	if (!l->ids || !l->dents) {
		bigmem_free(l->ids, LEDGER_MIN_CAP * sizeof(*l->ids));
		bigmem_free(l->dents, LEDGER_MIN_CAP * sizeof(*l->dents));
		return -ENOMEM;
	}
	l->idcap = l->dcap = LEDGER_MIN_CAP;
	l->pbits = log2_of(LEDGER_MIN_CAP);
	u64tab_init(&l->buried, sizeof(uint64_t));
	u64tab_init(&l->extras, sizeof(struct ledger_extra));
	return 0;
}

void ledger_destroy(struct ledger *l)
{
	size_t i;

	if (!l->ids)
		return;
	for (i = 0; i < l->nchunks; i += slab_chunks(i))
		bigmem_free(l->chunks[i], slab_chunks(i) * CHUNK_BYTES);
	free(l->chunks);
	bigmem_free(l->ids, l->idcap * sizeof(*l->ids));
	bigmem_free(l->dents, l->dcap * sizeof(*l->dents));
	free(l->names);
	free(l->aliases);
	u64tab_fini(&l->buried);
	u64tab_fini(&l->extras);
	memset(l, 0, sizeof(*l));
}

void ledger_reset(struct ledger *l)
{
	memset(l->ids, 0, l->idcap * sizeof(*l->ids));
	memset(l->dents, 0, l->dcap * sizeof(*l->dents));
	l->count = l->dcount = 0;
	memset(l->memo, 0, sizeof(l->memo));
	l->names_len = 0;
	l->naliases = 0;
	u64tab_clear(&l->buried);
	u64tab_clear(&l->extras);
	l->seq_based = 0;
	l->seq_sets = 0;
}

/* --- the event that handed a node out ---------------------------------- */

/* Move the base to 2^31 below seq: nodes handed out before the new base
 * become "too long ago to say".  Every node is visited. */
static void seq_rebase(struct ledger *l, uint64_t seq)
{
	uint64_t nb = seq - ((uint64_t)1 << 31), full;
	struct ledger_node *n;
	size_t pos = 0;

	while ((n = ledger_next(l, &pos))) {
		if (!n->seq_rel || n->seq_rel == LEDGER_SEQ_UNKNOWN)
			continue;
		full = l->seq_base + n->seq_rel;
		n->seq_rel = full > nb ? (uint32_t)(full - nb)
				       : LEDGER_SEQ_UNKNOWN;
	}
	l->seq_base = nb;
	l->seq_sets = 0;
}

/* A node keeps 32 bits of the seq, counted from a base the ledger moves
 * forward when a seq no longer fits (every 2^31 events of a real log).
 * A move visits every node, so it waits for count / 64 settings since
 * the last: a log whose seqs leap ahead cannot make each event cost a
 * walk of the ledger; until then, and for a seq that goes backward, the
 * node is marked too long ago to say, which only leaves out the
 * "related seq" of a report. */
void ledger_set_seq_ref(struct ledger *l, struct ledger_node *n, uint64_t seq)
{
	uint64_t d;

	if (!l->seq_based) {
		l->seq_base = seq - 1;	/* the first one is 1 above it */
		l->seq_based = 1;
	}
	d = seq - l->seq_base;
	if ((d == 0 || d >= LEDGER_SEQ_UNKNOWN) && seq > l->seq_base &&
	    l->seq_sets >= l->count / 64) {
		seq_rebase(l, seq);
		d = seq - l->seq_base;
	}
	if (d == 0 || d >= LEDGER_SEQ_UNKNOWN) {
		n->seq_rel = LEDGER_SEQ_UNKNOWN;
		return;
	}
	n->seq_rel = (uint32_t)d;
	l->seq_sets++;
}

uint64_t ledger_seq_ref(const struct ledger *l, const struct ledger_node *n)
{
	if (!n->seq_rel || n->seq_rel == LEDGER_SEQ_UNKNOWN)
		return 0;
	return l->seq_base + n->seq_rel;
}

/* --- nodes by nodeid --------------------------------------------------- */

static size_t id_slot(const struct ledger *l, uint64_t nodeid)
{
	uint64_t h = u64tab_mix(nodeid);
	uint32_t tag = slot_tag(l, h), tags = ~pos_mask(l), v;
	size_t mask = l->idcap - 1, i;

	for (i = h & mask; (v = l->ids[i]); i = (i + 1) & mask)
		if ((v & tags) == tag && slot_node(l, v)->nodeid == nodeid)
			return i;
	return i;	/* the empty slot where it would go */
}

#define MEMO_N (sizeof(((struct ledger *)0)->memo) / \
		sizeof(((struct ledger *)0)->memo[0]))

/* nodeid's position + 1 if get_pos met it lately, else 0 (nodeid 0,
 * the empty entries' key, is never asked for) */
static uint32_t memo_pos(const struct ledger *l, uint64_t nodeid)
{
	size_t i;

	for (i = 0; i < MEMO_N; i++)
		if (l->memo[i].nodeid == nodeid)
			return l->memo[i].pos;
	return 0;
}

static uint32_t memo_keep(struct ledger *l, uint64_t nodeid, uint32_t pos)
{
	l->memo[l->memo_next] = (struct ledger_memo){ nodeid, pos };
	l->memo_next = (l->memo_next + 1) % MEMO_N;
	return pos;
}

struct ledger_node *ledger_find(const struct ledger *l, uint64_t nodeid)
{
	uint32_t pos;
	size_t i;

	if (!nodeid || !l->ids)
		return NULL;
	pos = memo_pos(l, nodeid);
	if (pos)
		return at(l, pos - 1);
	i = id_slot(l, nodeid);
	return l->ids[i] ? slot_node(l, l->ids[i]) : NULL;
}

/* Doubling the nodeid index takes one bit more for positions, and one
 * less for tags, in both indexes. */
/* A growing index is filled by walking the nodes in memory order, but
 * each lands in a random slot of the new table: a slot is asked for
 * PLACE_AHEAD nodes before it is written, so the writes do not wait on
 * the cache one by one. */
#define PLACE_AHEAD 32

struct place_ring {
	uint64_t h[PLACE_AHEAD];
	uint32_t v[PLACE_AHEAD];
	unsigned first, n;
};

static void place_now(uint32_t *t, size_t mask, uint64_t h, uint32_t v)
{
	size_t j;

	for (j = h & mask; t[j]; j = (j + 1) & mask)
		;
	t[j] = v;
}

/* slot value v under hash h, written PLACE_AHEAD calls later */
static void place_ahead(struct place_ring *r, uint32_t *t, size_t mask,
			uint64_t h, uint32_t v)
{
	unsigned k;

	if (r->n == PLACE_AHEAD) {
		place_now(t, mask, r->h[r->first], r->v[r->first]);
		r->first = (r->first + 1) % PLACE_AHEAD;
		r->n--;
	}
	k = (r->first + r->n) % PLACE_AHEAD;
	r->h[k] = h;
	r->v[k] = v;
	r->n++;
	__builtin_prefetch(&t[h & mask], 1);
}

static void place_rest(struct place_ring *r, uint32_t *t, size_t mask)
{
	for (; r->n; r->n--, r->first = (r->first + 1) % PLACE_AHEAD)
		place_now(t, mask, r->h[r->first], r->v[r->first]);
}

static int grow_ids(struct ledger *l)
{
	struct place_ring ring = { 0 };
	size_t ncap = l->idcap * 2, mask = ncap - 1, i;
	uint32_t *t = bigmem_zalloc(ncap * sizeof(*t));
	unsigned old_pbits = l->pbits, new_pbits = log2_of(ncap);
	uint64_t h;

	if (!t)
		return -ENOMEM;
	/* every node is in this index: walk them in the order they sit in
	 * memory, not in the random order of the slots */
	for (i = 0; i < l->count; i++) {
		h = u64tab_mix(at(l, (uint32_t)i)->nodeid);
		place_ahead(&ring, t, mask, h,
			    (uint32_t)(i + 1) | tag_at(new_pbits, h));
	}
	place_rest(&ring, t, mask);
	bigmem_free(l->ids, l->idcap * sizeof(*l->ids));
	l->ids = t;
	l->idcap = ncap;
	l->pbits = new_pbits;
	/* a dentry tag is the top bits of its hash: the narrower tag is
	 * the old one without its lowest bit, which becomes a position bit */
	if (l->pbits != old_pbits)
		for (i = 0; i < l->dcap; i++)
			l->dents[i] &= ~(1u << old_pbits);
	return 0;
}

/* room for one more node at position count */
static int node_room(struct ledger *l)
{
	struct ledger_node **nc;
	size_t k = slab_chunks(l->nchunks), i;
	char *slab;

	if (l->count >= UINT32_MAX - 1)
		return -ENOSPC;
	if (l->count < l->nchunks * LEDGER_CHUNK)
		return 0;
	nc = realloc(l->chunks, (l->nchunks + k) * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	l->chunks = nc;
	slab = bigmem_zalloc(k * CHUNK_BYTES);
	if (!slab)
		return -ENOMEM;
	for (i = 0; i < k; i++, slab += CHUNK_BYTES)
		nc[l->nchunks + i] = (struct ledger_node *)slab;
	l->nchunks += k;
	return 0;
}

/* nodeid's position + 1, its node added (zeroed) when it has none; 0
 * only when memory runs out.  One probe: the slot found empty is where
 * it goes unless the table had to grow. */
static uint32_t get_pos(struct ledger *l, uint64_t nodeid)
{
	uint32_t pos = memo_pos(l, nodeid);
	struct ledger_node *n;
	size_t i;

	if (pos)
		return pos;
	i = id_slot(l, nodeid);
	if (l->ids[i])
		return memo_keep(l, nodeid, l->ids[i] & pos_mask(l));
	if ((l->count + 1) * 4 > l->idcap * 3) {
		if (grow_ids(l))
			return 0;
		i = id_slot(l, nodeid);
	}
	if (node_room(l))
		return 0;
	n = at(l, (uint32_t)l->count);
	memset(n, 0, sizeof(*n));
	n->nodeid = nodeid;
	l->ids[i] = (uint32_t)++l->count | slot_tag(l, u64tab_mix(nodeid));
	return memo_keep(l, nodeid, (uint32_t)l->count);
}

struct ledger_node *ledger_get(struct ledger *l, uint64_t nodeid)
{
	uint32_t pos;

	if (!nodeid)
		return NULL;
	pos = get_pos(l, nodeid);
	return pos ? at(l, pos - 1) : NULL;
}

void ledger_prefetch_id(const struct ledger *l, uint64_t nodeid)
{
	__builtin_prefetch(&l->ids[u64tab_mix(nodeid) & (l->idcap - 1)]);
}

void ledger_prefetch_name(const struct ledger *l, uint64_t parent,
			  const char *name, size_t len)
{
	uint64_t h = u64tab_name_key(parent, name, len);

	__builtin_prefetch(&l->dents[h & (l->dcap - 1)]);
}

size_t ledger_longest_probe(const struct ledger *l)
{
	size_t mask = l->idcap - 1, i, d, most = 0;

	for (i = 0; i < l->idcap; i++) {
		if (!l->ids[i])
			continue;
		d = (i - (u64tab_mix(slot_node(l, l->ids[i])->nodeid) & mask)) &
		    mask;
		if (d > most)
			most = d;
	}
	return most;
}

struct ledger_node *ledger_next(const struct ledger *l, size_t *pos)
{
	return *pos < l->count ? at(l, (uint32_t)(*pos)++) : NULL;
}

/* --- dentry index ------------------------------------------------------ */

static size_t dent_home(const struct ledger *l, uint32_t v)
{
	const struct ledger_node *n = slot_node(l, v);

	return u64tab_name_key(parent_of(l, n), name_of(l, n), n->name_len) &
	       (l->dcap - 1);
}

static size_t dent_slot(const struct ledger *l, uint64_t h, uint64_t parent,
			const char *name, size_t len)
{
	uint32_t tag = slot_tag(l, h), tags = ~pos_mask(l), v;
	size_t mask = l->dcap - 1, i;

	for (i = h & mask; (v = l->dents[i]); i = (i + 1) & mask) {
		const struct ledger_node *n;

		if ((v & tags) != tag)
			continue;
		n = slot_node(l, v);
		if (n->name_len == len && parent_of(l, n) == parent &&
		    !memcmp(name_of(l, n), name, len))
			return i;
	}
	return SIZE_MAX;
}

uint64_t ledger_lookup_name_keyed(const struct ledger *l, uint64_t parent,
				  const char *name, size_t len, uint64_t key)
{
	size_t i = dent_slot(l, key, parent, name, len);

	return i == SIZE_MAX ? 0 : slot_node(l, l->dents[i])->nodeid;
}

uint64_t ledger_lookup_name(const struct ledger *l, uint64_t parent,
			    const char *name, size_t len)
{
	return ledger_lookup_name_keyed(l, parent, name, len,
					u64tab_name_key(parent, name, len));
}

int ledger_name_seen_keyed(const struct ledger *l, uint64_t parent,
			   const char *name, size_t len, uint64_t key)
{
	return dent_slot(l, key, parent, name, len) != SIZE_MAX ||
	       u64tab_find(&l->buried, key) != NULL;
}

int ledger_name_seen(const struct ledger *l, uint64_t parent,
		     const char *name, size_t len)
{
	return ledger_name_seen_keyed(l, parent, name, len,
				      u64tab_name_key(parent, name, len));
}

void ledger_name_saw(struct ledger *l, uint64_t parent, const char *name,
		     size_t len)
{
	int created;

	if (len)
		u64tab_insert(&l->buried, u64tab_name_key(parent, name, len),
			      &created);
}

/* Backward-shift deletion keeps linear probing free of tombstones. */
static void dent_delete(struct ledger *l, size_t i)
{
	size_t mask = l->dcap - 1, j = i, k;

	for (;;) {
		j = (j + 1) & mask;
		if (!l->dents[j])
			break;
		k = dent_home(l, l->dents[j]);
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			l->dents[i] = l->dents[j];
			i = j;
		}
	}
	l->dents[i] = 0;
	l->dcount--;
}

static void dent_remove_node(struct ledger *l, struct ledger_node *n)
{
	uint64_t h;
	size_t i;
	int created;

	if (!(n->flags & LEDGER_F_INDEXED))
		return;
	h = u64tab_name_key(parent_of(l, n), name_of(l, n), n->name_len);
	i = dent_slot(l, h, parent_of(l, n), name_of(l, n), n->name_len);
	n->flags &= ~LEDGER_F_INDEXED;
	if (i != SIZE_MAX)
		dent_delete(l, i);
	/* out of memory only makes a later LOOKUP of it judged, as one
	 * the kernel sends under the directory lock */
	u64tab_insert(&l->buried, h, &created);
}

/* The indexed nodes are those flagged LEDGER_F_INDEXED: rehash them in
 * the order they sit in memory (their names too, mostly), not in the
 * random order of the old slots. */
static int grow_dents(struct ledger *l)
{
	struct place_ring ring = { 0 };
	size_t ncap = l->dcap * 2, mask = ncap - 1, i;
	uint32_t *d = bigmem_zalloc(ncap * sizeof(*d));
	const struct ledger_node *n;
	uint64_t h;

	if (!d)
		return -ENOMEM;
	for (i = 0; i < l->count; i++) {
		n = at(l, (uint32_t)i);
		if (!(n->flags & LEDGER_F_INDEXED))
			continue;
		h = u64tab_name_key(parent_of(l, n), name_of(l, n),
				    n->name_len);
		place_ahead(&ring, d, mask, h,
			    (uint32_t)(i + 1) | slot_tag(l, h));
	}
	place_rest(&ring, d, mask);
	bigmem_free(l->dents, l->dcap * sizeof(*l->dents));
	l->dents = d;
	l->dcap = ncap;
	return 0;
}

/* index position + 1 (pos) under name hash h */
static int dent_insert(struct ledger *l, uint64_t h, uint32_t pos)
{
	size_t mask, i;

	if ((l->dcount + 1) * 4 > l->dcap * 3 && grow_dents(l))
		return -ENOMEM;
	mask = l->dcap - 1;
	for (i = h & mask; l->dents[i]; i = (i + 1) & mask)
		;
	l->dents[i] = pos | slot_tag(l, h);
	l->dcount++;
	return 0;
}

void ledger_unindex_name(struct ledger *l, uint64_t nodeid)
{
	struct ledger_node *n = ledger_find(l, nodeid);

	if (n)
		dent_remove_node(l, n);
}

void ledger_unlink_name(struct ledger *l, uint64_t nodeid)
{
	struct ledger_node *n = ledger_find(l, nodeid);

	if (!n)
		return;
	dent_remove_node(l, n);
	n->flags |= LEDGER_F_UNLINKED;
}

/* append name to the arena: its offset in *off */
static int name_add(struct ledger *l, const char *name, size_t len,
		    uint32_t *off)
{
	size_t cap = l->names_cap ? l->names_cap : 65536;
	char *p;

	if (l->names_len + len > UINT32_MAX)
		return -ENOSPC;
	while (l->names_len + len > cap)
		cap *= 2;
	if (cap != l->names_cap) {
		p = realloc(l->names, cap);
		if (!p)
			return -ENOMEM;
		l->names = p;
		l->names_cap = cap;
	}
	memcpy(l->names + l->names_len, name, len);
	*off = (uint32_t)l->names_len;
	l->names_len += len;
	return 0;
}

/* ledger_set_name under the name's key h */
static int set_name(struct ledger *l, uint64_t nodeid, uint64_t parent,
		    const char *name, size_t len, uint64_t h)
{
	struct ledger_node *n;
	uint32_t off, up, pos;
	size_t slot;

	if (!len || len > LEDGER_NAME_MAX || !parent || !nodeid)
		return 0;	/* nothing to name it by */
	/* the parent is kept as a position: it needs a node of its own
	 * (taken first: adding nodeid cannot move it, positions never
	 * change) */
	up = get_pos(l, parent);
	pos = up ? get_pos(l, nodeid) : 0;
	if (!pos)
		return -ENOMEM;
	n = at(l, pos - 1);
	slot = dent_slot(l, h, parent, name, len);
	if (slot != SIZE_MAX) {
		uint64_t other = slot_node(l, l->dents[slot])->nodeid;

		if (other == nodeid)
			return 0;	/* the common case: nothing changes */
		/* the name now leads elsewhere: the old holder lost it */
		ledger_unlink_name(l, other);
	}
	dent_remove_node(l, n);
	if (name_add(l, name, len, &off))
		return -ENOMEM;
	n->name_off = off;
	n->name_len = (uint16_t)len & LEDGER_NAME_MAX;
	n->up = up;
	n->flags &= ~LEDGER_F_UNLINKED;
	if (dent_insert(l, h, pos))
		return -ENOMEM;
	n->flags |= LEDGER_F_INDEXED;
	return 0;
}

/* remember the name n holds now as one of its aliases */
static int alias_keep(struct ledger *l, const struct ledger_node *n)
{
	struct ledger_alias *na;

	if (l->naliases == l->aliases_cap) {
		size_t cap = l->aliases_cap ? l->aliases_cap * 2 : 64;

		na = realloc(l->aliases, cap * sizeof(*na));
		if (!na)
			return -ENOMEM;
		l->aliases = na;
		l->aliases_cap = cap;
	}
	l->aliases[l->naliases++] = (struct ledger_alias){
		.nodeid = n->nodeid, .parent = parent_of(l, n),
		.name_off = n->name_off, .name_len = n->name_len };
	return 0;
}

int ledger_set_name(struct ledger *l, uint64_t nodeid, uint64_t parent,
		    const char *name, size_t len)
{
	return set_name(l, nodeid, parent, name, len,
			u64tab_name_key(parent, name, len));
}

int ledger_add_name_keyed(struct ledger *l, uint64_t nodeid,
			  uint64_t parent, const char *name, size_t len,
			  uint64_t key)
{
	struct ledger_node *n = ledger_find(l, nodeid);

	if (n && (n->flags & LEDGER_F_INDEXED) && len &&
	    (parent_of(l, n) != parent || n->name_len != len ||
	     memcmp(name_of(l, n), name, len))) {
		if (alias_keep(l, n))
			return -ENOMEM;
	}
	return set_name(l, nodeid, parent, name, len, key);
}

int ledger_add_name(struct ledger *l, uint64_t nodeid, uint64_t parent,
		    const char *name, size_t len)
{
	return ledger_add_name_keyed(l, nodeid, parent, name, len,
				     u64tab_name_key(parent, name, len));
}

/* --- what few nodes have -------------------------------------------- */

static struct ledger_extra *extra_of(const struct ledger *l,
				     const struct ledger_node *n)
{
	return n->flags & LEDGER_F_EXTRA ? u64tab_find(&l->extras, n->nodeid)
					 : NULL;
}

uint32_t ledger_nopen(const struct ledger *l, const struct ledger_node *n)
{
	const struct ledger_extra *e = extra_of(l, n);

	return e ? e->nopen : 0;
}

uint32_t ledger_rejected(const struct ledger *l, const struct ledger_node *n)
{
	const struct ledger_extra *e = extra_of(l, n);

	return e ? e->rejected : 0;
}

/* n's record, made when it has none; NULL when memory runs out */
static struct ledger_extra *extra_get(struct ledger *l, struct ledger_node *n)
{
	struct ledger_extra *e = extra_of(l, n);
	int created;

	if (e)
		return e;
	e = u64tab_insert(&l->extras, n->nodeid, &created);
	if (e)
		n->flags |= LEDGER_F_EXTRA;
	return e;
}

/* a record back at zero goes, so the table holds what is open now */
static void extra_put(struct ledger *l, struct ledger_node *n,
		      struct ledger_extra *e)
{
	if (e->nopen || e->rejected || e->ino_hi || e->gen_hi)
		return;
	u64tab_remove(&l->extras, e);
	n->flags &= (uint16_t)~LEDGER_F_EXTRA;
}

void ledger_count_open(struct ledger *l, struct ledger_node *n, int delta)
{
	struct ledger_extra *e;

	if (delta < 0) {
		e = extra_of(l, n);
		if (!e || !e->nopen)
			return;
		e->nopen--;
		extra_put(l, n, e);
		return;
	}
	e = extra_get(l, n);
	if (e && e->nopen < UINT32_MAX)
		e->nopen++;
}

uint64_t ledger_ino(const struct ledger *l, const struct ledger_node *n)
{
	const struct ledger_extra *e = extra_of(l, n);

	return (e ? (uint64_t)e->ino_hi << 32 : 0) | n->ino_lo;
}

uint64_t ledger_generation(const struct ledger *l,
			   const struct ledger_node *n)
{
	const struct ledger_extra *e = extra_of(l, n);

	return (e ? (uint64_t)e->gen_hi << 32 : 0) | n->gen_lo;
}

int ledger_set_identity(struct ledger *l, struct ledger_node *n,
			uint64_t ino, uint64_t generation)
{
	uint32_t ino_hi = (uint32_t)(ino >> 32);
	uint32_t gen_hi = (uint32_t)(generation >> 32);
	struct ledger_extra *e;

	n->ino_lo = (uint32_t)ino;
	n->gen_lo = (uint32_t)generation;
	/* the common case: both fit, and no record has to be looked at */
	if (!ino_hi && !gen_hi && !(n->flags & LEDGER_F_EXTRA))
		return 0;
	e = ino_hi || gen_hi ? extra_get(l, n) : extra_of(l, n);
	if (!e)
		return ino_hi || gen_hi ? -ENOMEM : 0;
	e->ino_hi = ino_hi;
	e->gen_hi = gen_hi;
	extra_put(l, n, e);
	return 0;
}

void ledger_count_rejected(struct ledger *l, struct ledger_node *n)
{
	struct ledger_extra *e = extra_get(l, n);

	if (e && e->rejected < UINT32_MAX)
		e->rejected++;
}

/* --- names to evict ---------------------------------------------------- */

static unsigned depth_of(const struct ledger *l, const struct ledger_node *n)
{
	unsigned d = 0;

	while (n && n->up && parent_of(l, n) != ROOT_ID &&
	       d < LEDGER_MAX_DEPTH) {
		n = at(l, n->up - 1);
		d++;
	}
	return d;
}

static int deeper_first(const void *a, const void *b)
{
	const struct fc_dentry *x = a, *y = b;

	return x->depth < y->depth ? 1 : x->depth > y->depth ? -1 : 0;
}

static int has_refs(const struct ledger *l, uint64_t nodeid)
{
	const struct ledger_node *n = ledger_find(l, nodeid);

	return n && n->refs;
}

int ledger_named_refs(const struct ledger *l, struct fc_dentry **out,
		      size_t *n)
{
	size_t pos, k = 0, bytes = 0;
	const struct ledger_node *nd;
	const struct ledger_alias *a;
	struct fc_dentry *v;
	char *names;

	for (pos = 0; pos < l->count; pos++) {
		nd = at(l, (uint32_t)pos);
		if (nd->refs && (nd->flags & LEDGER_F_INDEXED)) {
			k++;
			bytes += nd->name_len;
		}
	}
	for (pos = 0; pos < l->naliases; pos++)
		if (has_refs(l, l->aliases[pos].nodeid)) {
			k++;
			bytes += l->aliases[pos].name_len;
		}
	v = malloc(k * sizeof(*v) + bytes + 1);
	if (!v)
		return -ENOMEM;
	names = (char *)(v + k);
	k = 0;
	for (pos = 0; pos < l->count; pos++) {
		nd = at(l, (uint32_t)pos);
		if (!nd->refs || !(nd->flags & LEDGER_F_INDEXED))
			continue;
		memcpy(names, name_of(l, nd), nd->name_len);
		v[k] = (struct fc_dentry){ parent_of(l, nd), names,
					     nd->name_len,
					     depth_of(l, nd) };
		names += nd->name_len;
		k++;
	}
	for (pos = 0; pos < l->naliases; pos++) {
		a = &l->aliases[pos];
		if (!has_refs(l, a->nodeid))
			continue;
		memcpy(names, l->names + a->name_off, a->name_len);
		/* an alias is as deep as its parent's entry, plus one */
		v[k] = (struct fc_dentry){ a->parent, names, a->name_len,
			a->parent == ROOT_ID ? 0 :
			depth_of(l, ledger_find(l, a->parent)) + 1 };
		names += a->name_len;
		k++;
	}
	qsort(v, k, sizeof(*v), deeper_first);
	*out = v;
	*n = k;
	return 0;
}

/* A counting sort by depth (at most LEDGER_MAX_DEPTH): O(n), and the
 * depths are walked once, kept in a byte each. */
int ledger_referenced_ids(const struct ledger *l, uint64_t **out,
			  size_t *n)
{
	size_t start[LEDGER_MAX_DEPTH + 2] = { 0 }, pos, k = 0, d;
	const struct ledger_node *nd;
	unsigned char *depth;
	uint64_t *v;

	for (pos = 0; pos < l->count; pos++) {
		nd = at(l, (uint32_t)pos);
		k += nd->refs && nd->nodeid != ROOT_ID;
	}
	v = malloc((k ? k : 1) * sizeof(*v));
	depth = malloc(k ? k : 1);
	if (!v || !depth) {
		free(v);
		free(depth);
		return -ENOMEM;
	}
	k = 0;
	for (pos = 0; pos < l->count; pos++) {
		nd = at(l, (uint32_t)pos);
		if (!nd->refs || nd->nodeid == ROOT_ID)
			continue;
		d = depth_of(l, nd);
		depth[k] = (unsigned char)d;
		v[k++] = nd->nodeid;
		/* deepest first: slot of depth d after every deeper one */
		start[LEDGER_MAX_DEPTH - d + 1]++;
	}
	for (d = 1; d <= LEDGER_MAX_DEPTH + 1; d++)
		start[d] += start[d - 1];
	*out = malloc((k ? k : 1) * sizeof(**out));
	if (!*out) {
		free(v);
		free(depth);
		return -ENOMEM;
	}
	for (pos = 0; pos < k; pos++)
		(*out)[start[LEDGER_MAX_DEPTH - depth[pos]]++] = v[pos];
	free(v);
	free(depth);
	*n = k;
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
		id = parent_of(l, n);
	}
	while (depth--) {
		put(buf, size, &off, name_of(l, chain[depth]),
		    chain[depth]->name_len);
		if (depth)
			put(buf, size, &off, "/", 1);
	}
	if (target->flags & LEDGER_F_UNLINKED)
		put(buf, size, &off, " (unlinked)", 11);
}
