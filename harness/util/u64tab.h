/* util/u64tab.h - the hash table for records keyed by a 64-bit id:
 * requests by unique, file handles and name keys in the lock checker.
 * (The ledger keeps its nodes in chunks that never move, indexed by
 * 32-bit positions in two tables of its own, to stay near 100 bytes a
 * node at a million nodes; it hashes names with u64tab_name_key.)
 *
 * Records are fixed-size and begin with their key, a nonzero uint64_t
 * (0 marks a free slot).  Open addressing, linear probing, backward-shift
 * deletion (no tombstones, so a long run never fills with dead slots),
 * growth at half full.  Records move when the table grows or a record is
 * removed: never keep a record pointer across u64tab_insert or
 * u64tab_remove.
 */
#ifndef FC_U64TAB_H
#define FC_U64TAB_H

#include <stddef.h>
#include <stdint.h>

struct u64tab {
	unsigned char *slots;
	size_t esize;         /* bytes a record, >= 8 */
	size_t cap;           /* power of two, 0 before the first insert */
	size_t count;
};

/* An empty table of records of esize bytes; allocates on first insert. */
void u64tab_init(struct u64tab *t, size_t esize);
void u64tab_fini(struct u64tab *t);
/* Remove every record, keep the memory. */
void u64tab_clear(struct u64tab *t);

void *u64tab_find(const struct u64tab *t, uint64_t key);
/* The record for key: the existing one (*created = 0) or a new zeroed
 * one with its key set (*created = 1).  NULL for key 0 or out of memory. */
void *u64tab_insert(struct u64tab *t, uint64_t key, int *created);
/* Remove a record found or inserted in this table. */
void u64tab_remove(struct u64tab *t, void *rec);
/* Iterate: *pos starts at 0; NULL at the end. */
void *u64tab_next(const struct u64tab *t, size_t *pos);

/* The secret u64tab_mix adds (set before main; see u64tab.c). */
extern uint64_t u64tab_mix_secret;

/* The table's key mixer (splitmix64 finalizer of the key plus a secret of
 * the process, so that keys the filesystem chooses cannot be made to
 * collide), for hashes built on it.  Inline: every probe of every
 * table starts here. */
static inline uint64_t u64tab_mix(uint64_t x)
{
	/* Keys are often sequential (uniques, nodeids): spread them. */
	x += u64tab_mix_secret;
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}
/* The one hash of a directory entry (parent nodeid, name bytes): XXH3
 * (libxxhash) of the name seeded with the mixed parent.  Never 0, so it
 * can be a key of its own. */
uint64_t u64tab_name_key(uint64_t parent, const char *name, size_t len);

#endif
