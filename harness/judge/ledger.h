/* judge/ledger.h - the wire ledger of one FUSE connection: nodeid -> outstanding
 * references and what is known about the inode, plus the name map
 * nodeid -> (parent, name) that gives violations a readable path.
 *
 * Nodes are never removed while the connection lives (a node at zero
 * references keeps its name so that a late violation can still name it);
 * ledger_reset() empties the table at the next mount.  Node pointers are
 * valid until ledger_reset().
 */
#ifndef FC_LEDGER_H
#define FC_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include "util/u64tab.h"
#include "wire/proto.h"

enum ledger_flag {
	LEDGER_F_TYPED = 1 << 0,      /* type and generation known */
	LEDGER_F_UNCERTAIN = 1 << 1,  /* the kernel may have refused the
					 entry: may leak, not judged */
	LEDGER_F_UNLINKED = 1 << 2,   /* its name is gone */
	LEDGER_F_UNREF_SEEN = 1 << 3, /* LC-UNREFERENCED-NODEID reported */
	LEDGER_F_INDEXED = 1 << 4,    /* (parent, name) is in the index */
	LEDGER_F_LEAK_TOLD = 1 << 5,  /* LC-QUIESCE-BALANCE reported for
					 its latest entry (a new entry
					 clears it) */
	LEDGER_F_EXTRA = 1 << 6,      /* open handles, rejected
					 references or an ino or generation
					 wider than 32 bits: a record in
					 extras */
};

/* The most references a node counts: one more makes it uncertain
 * (LEDGER_F_UNCERTAIN), which no run of 4 billion entry replies to one
 * inode reaches in practice. */
#define LEDGER_REFS_MAX UINT32_MAX

/* Longest name the ledger keeps (a FUSE name has at most 1024 bytes; a
 * longer one from a filesystem's READDIRPLUS names nothing). */
#define LEDGER_NAME_MAX 4095u

/* 36 bytes: a million live nodeids fit in about 60 MB with the indexes
 * and names (bench/replay, bench/scale).  What every node needs is here;
 * what few have (open handles, rejected references, the high halves of
 * an ino or generation beyond 32 bits) is in the ledger's extras, and
 * the parent is a position, not a nodeid.  Read ino and generation
 * through ledger_ino() and ledger_generation(), the event that handed
 * the node out through ledger_seq_ref().  Packed to 4-byte alignment:
 * the one 8-byte field would otherwise pad it to 40 (x86 reads it
 * unaligned at no cost that bench/replay shows). */
struct ledger_node {
	uint64_t nodeid;      /* never 0 */
	uint32_t seq_rel;     /* latest reply that handed it out, as its
				 seq above the ledger's seq_base; 0 never
				 handed out, LEDGER_SEQ_UNKNOWN too long
				 ago to say (ledger_set_seq_ref) */
	uint32_t refs;        /* outstanding lookups, at most LEDGER_REFS_MAX */
	uint32_t up;          /* the parent's position + 1; 0: no name known
				 (ledger_parent gives its nodeid) */
	uint32_t name_off;    /* raw bytes in the ledger's name arena */
	uint32_t ino_lo;      /* attr.ino of the latest entry, low half */
	uint32_t gen_lo;      /* its generation, low half */
	uint16_t name_len : 12; /* at most LEDGER_NAME_MAX */
	uint16_t ftype : 4;   /* (mode & S_IFMT) >> 12: ledger_type() */
	uint16_t flags;       /* enum ledger_flag */
} __attribute__((packed, aligned(4)));
_Static_assert(sizeof(struct ledger_node) == 36, "a node is 36 bytes");

#define LEDGER_SEQ_UNKNOWN UINT32_MAX

/* The file type of the latest entry (mode & S_IFMT). */
static inline uint32_t ledger_type(const struct ledger_node *n)
{
	return (uint32_t)n->ftype << 12;
}

/* One reference more; at LEDGER_REFS_MAX the node is counted no further
 * and made uncertain (no balance can be judged of it). */
static inline void ledger_add_ref(struct ledger_node *n)
{
	if (n->refs < LEDGER_REFS_MAX)
		n->refs++;
	else
		n->flags |= LEDGER_F_UNCERTAIN;
}

static inline void ledger_set_type(struct ledger_node *n, uint32_t mode)
{
	n->ftype = (uint16_t)((mode & 0170000u) >> 12);
}

/* Nodes sit in chunks that never move (pointers stay valid until
 * ledger_reset), found by nodeid through an index of positions; the
 * dentry index maps (parent, name) to a position too.  Names live in one
 * arena: a rename appends, so the arena grows with the names ever given,
 * which the connection's own traffic bounds. */
struct ledger {
	struct ledger_node **chunks;
	size_t nchunks, count;
	uint32_t *ids;        /* nodeid -> position + 1 and a tag; 0 empty */
	size_t idcap;
	uint32_t *dents;      /* (parent, name) -> position + 1 and a tag */
	size_t dcap, dcount;
	unsigned pbits;       /* low bits of a slot that hold position + 1 */
	/* the nodeids get_pos found or added last, and their positions + 1:
	 * the checker asks for the same few several times an event (a
	 * LOOKUP's reply finds its nodeid, adds it, names it under its
	 * parent; the FORGET that follows finds it again), and a node's
	 * position never changes until reset */
	struct ledger_memo {
		uint64_t nodeid;
		uint32_t pos;
	} memo[4];
	unsigned memo_next;
	char *names;
	size_t names_len, names_cap;
	/* earlier names of aliased nodes (hard links), for the notify
	 * quiesce: it must evict every name that may hold an inode */
	struct ledger_alias {
		uint64_t nodeid, parent;
		uint32_t name_off;
		uint16_t name_len;
	} *aliases;
	size_t naliases, aliases_cap;
	/* name keys (u64tab_name_key) of names that left the index: the
	 * kernel may still hold, or revalidate, a dentry of one */
	struct u64tab buried;
	/* struct ledger_extra of the nodes flagged LEDGER_F_EXTRA */
	struct u64tab extras;
	/* a node's seq_rel counts from seq_base (ledger_set_seq_ref);
	 * seq_sets counts the settings since the base last moved: it moves
	 * again only after count / 64 of them (a move visits every node) */
	uint64_t seq_base;
	size_t seq_sets;
	int seq_based;
};

struct ledger_extra {
	uint64_t nodeid;
	uint32_t nopen;       /* open handles seen on the wire */
	uint32_t rejected;    /* references undone because the kernel
				 refused the reply (the fs still counts) */
	uint32_t ino_hi;      /* high halves of the node's ino and */
	uint32_t gen_hi;      /* generation (most are 0: no record) */
};

int ledger_init(struct ledger *l);
void ledger_destroy(struct ledger *l);
/* Forget every node (a new connection); the root is not re-added. */
void ledger_reset(struct ledger *l);

struct ledger_node *ledger_find(const struct ledger *l, uint64_t nodeid);
/* Find or add (zeroed) nodeid; NULL only when memory runs out. */
struct ledger_node *ledger_get(struct ledger *l, uint64_t nodeid);

/* The seq of the reply that last handed n out; 0 when none did, or when
 * the node could not keep it in its 32 bits: the base moved past it (a
 * handout 2^31 or more events before the seq that moved it), or it came
 * while the base could not move. */
uint64_t ledger_seq_ref(const struct ledger *l, const struct ledger_node *n);
/* n was handed out by the reply of event seq. */
void ledger_set_seq_ref(struct ledger *l, struct ledger_node *n, uint64_t seq);
/* Some reply handed n out on this connection. */
static inline int ledger_handed_out(const struct ledger_node *n)
{
	return n->seq_rel != 0;
}

/* The nodeid of n's parent, 0 when n has no name. */
uint64_t ledger_parent(const struct ledger *l, const struct ledger_node *n);

/* attr.ino and generation of n's latest entry (0 before one). */
uint64_t ledger_ino(const struct ledger *l, const struct ledger_node *n);
uint64_t ledger_generation(const struct ledger *l,
			   const struct ledger_node *n);
/* Record them; -ENOMEM when a value wider than 32 bits finds no room
 * (the node then keeps only the low halves). */
int ledger_set_identity(struct ledger *l, struct ledger_node *n,
			uint64_t ino, uint64_t generation);

/* Open handles of n seen on the wire; references the kernel refused. */
uint32_t ledger_nopen(const struct ledger *l, const struct ledger_node *n);
uint32_t ledger_rejected(const struct ledger *l,
			 const struct ledger_node *n);
/* One handle more (delta 1) or less (-1, never below 0). */
void ledger_count_open(struct ledger *l, struct ledger_node *n, int delta);
/* One reference of n the kernel refused (the filesystem counted it). */
void ledger_count_rejected(struct ledger *l, struct ledger_node *n);

/* Give nodeid the name (parent, name); a node that held that name until
 * now loses it (marked unlinked).  Clears the node's unlinked flag. */
int ledger_set_name(struct ledger *l, uint64_t nodeid, uint64_t parent,
		    const char *name, size_t len);
/* ledger_set_name for an entry handed out (LOOKUP, LINK, CREATE …): a
 * name the node still had is kept as an alias (a hard link), for the
 * notify quiesce to evict too. */
int ledger_add_name(struct ledger *l, uint64_t nodeid, uint64_t parent,
		    const char *name, size_t len);
/* The node currently named (parent, name), or 0. */
uint64_t ledger_lookup_name(const struct ledger *l, uint64_t parent,
			    const char *name, size_t len);
/* The same three given the name's key, u64tab_name_key(parent, name,
 * len), which the caller already has: the checker keys a request's name
 * once, asks about it at the request, and again at the reply by the
 * request's record. */
int ledger_add_name_keyed(struct ledger *l, uint64_t nodeid,
			  uint64_t parent, const char *name, size_t len,
			  uint64_t key);
uint64_t ledger_lookup_name_keyed(const struct ledger *l, uint64_t parent,
				  const char *name, size_t len, uint64_t key);
int ledger_name_seen_keyed(const struct ledger *l, uint64_t parent,
			   const char *name, size_t len, uint64_t key);
/* The name (parent, name) leads to a node now, or led to one earlier on
 * this connection (a name that left the index is remembered by its
 * hash, so a collision may answer 1 for a name never seen; never 0 for
 * one that was).  The lock checker asks it: the kernel may hold a
 * positive dentry of such a name. */
int ledger_name_seen(const struct ledger *l, uint64_t parent,
		     const char *name, size_t len);
/* Remember (parent, name) as seen without a node to index it by (a
 * rename of a name the ledger never saw: the kernel moved a dentry). */
void ledger_name_saw(struct ledger *l, uint64_t parent, const char *name,
		     size_t len);
/* The name no longer leads to nodeid as far as the wire knows (the fs
 * invalidated it); the node keeps its name for messages and eviction. */
void ledger_unindex_name(struct ledger *l, uint64_t nodeid);
/* The name is gone (UNLINK, RMDIR, renamed over): keep it for the path,
 * drop it from the index, mark the node unlinked. */
void ledger_unlink_name(struct ledger *l, uint64_t nodeid);

/* Path of nodeid relative to the mount root, raw bytes, NUL-terminated:
 * "." for the root, "a/b", "a/b (unlinked)"; "" for an unknown nodeid,
 * "<nodeid N>" for a node without a name; an ancestor without a name
 * shows as "<nodeid N>/", a chain too deep or cyclic as ".../". */
void ledger_path(const struct ledger *l, uint64_t nodeid, char *buf,
		 size_t size);

/* A name that leads to a node the kernel still references. */
/* Every indexed name of a node with outstanding references, deepest
 * first, in one malloc'd block (*out, free() it). */
int ledger_named_refs(const struct ledger *l, struct fc_dentry **out,
		      size_t *n);

/* The nodeids the kernel still references, root aside, deepest first
 * (a child before its directory), in one malloc'd array (*out, free()
 * it): what FUSE_NOTIFY_PRUNE is given, by nodeid, names or not. */
int ledger_referenced_ids(const struct ledger *l, uint64_t **out,
			  size_t *n);

/* The longest distance of a node's slot from its home slot in the
 * nodeid index (for tests: it shows whether keys cluster). */
size_t ledger_longest_probe(const struct ledger *l);

/* Hints, for a reader that looks ahead: bring the index slot where
 * nodeid, or (parent, name), would be found into the cache. */
void ledger_prefetch_id(const struct ledger *l, uint64_t nodeid);
void ledger_prefetch_name(const struct ledger *l, uint64_t parent,
			  const char *name, size_t len);

/* Iterate: *pos starts at 0; returns the next used node or NULL. */
struct ledger_node *ledger_next(const struct ledger *l, size_t *pos);

#endif
