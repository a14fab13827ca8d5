/* judge/inflight.h - requests between request and reply, keyed by unique.
 *
 * The checker adds a record when a request is logged and removes it when
 * its reply is; the LC rules, the excerpt ring and
 * checker_describe_request read it.  (The lock checker keeps its own
 * short list of the lock-taking requests in flight; the tap counts
 * waiting requests for live control in capture/tap_pending.c.)  Names are copied (short ones inline, so the common
 * case does not allocate).  Record pointers are valid until the next
 * inflight_add() or inflight_remove().
 */
#ifndef FC_INFLIGHT_H
#define FC_INFLIGHT_H

#include <stddef.h>
#include <stdint.h>
#include "util/u64tab.h"

#define INFLIGHT_INLINE 64

struct inflight_req {
	uint64_t unique;      /* 0: free slot */
	uint64_t nodeid;      /* fuse_in_header.nodeid */
	uint64_t nodeid2;     /* RENAME(2) newdir, LINK oldnodeid */
	uint64_t seq;         /* of the REQUEST event */
	uint64_t time_ns;
	uint32_t opcode;
	uint32_t pid;         /* fuse_in_header.pid: the caller's tid */
	uint32_t flags;       /* RENAME2 flags */
	uint32_t mode;        /* MKNOD/MKDIR/CREATE/TMPFILE mode */
	uint32_t line;        /* scenario line the caller was executing */
	int32_t scenario;     /* scenario index at request time, -1 none */
	uint32_t name_len, name2_len;
	uint64_t name_key;    /* u64tab_name_key(nodeid, name); 0: no name */
	char *heap;           /* names when they do not fit inline */
	char inl[INFLIGHT_INLINE];
};

struct inflight {
	struct u64tab tab;    /* of struct inflight_req, keyed by unique */
	size_t max;           /* largest count since init */
};

int inflight_init(struct inflight *t);
void inflight_destroy(struct inflight *t);
/* Drop every record (the connection ended); max is kept. */
void inflight_reset(struct inflight *t);

/* A zeroed record for unique (an existing one is replaced); NULL when
 * memory runs out. */
struct inflight_req *inflight_add(struct inflight *t, uint64_t unique);
struct inflight_req *inflight_find(const struct inflight *t,
				   uint64_t unique);
void inflight_remove(struct inflight *t, struct inflight_req *r);

/* Copy the request's names into the record (either may be NULL). */
int inflight_set_names(struct inflight_req *r, const char *name,
		       size_t len, const char *name2, size_t len2);
const char *inflight_name(const struct inflight_req *r);
const char *inflight_name2(const struct inflight_req *r);

/* Requests in flight now. */
size_t inflight_count(const struct inflight *t);
/* Iterate: *pos starts at 0; the next record or NULL. */
struct inflight_req *inflight_next(const struct inflight *t, size_t *pos);

#endif
