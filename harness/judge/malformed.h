/* judge/malformed.h - what is wrong with a message the filesystem sent, in
 * words, for the PR-* rules (docs/rules.md).  Pure functions over a
 * buffer and its length as received; no length is taken from the wire
 * without a bound. */
#ifndef FC_GARBAGE_H
#define FC_GARBAGE_H

#include <stddef.h>
#include <stdint.h>

/* 1 when the kernel refuses `error` in a reply (fuse_dev_do_write:
 * error > 0 or <= -ERESTARTSYS), leaving the request unanswered. */
int garbage_error(int32_t error);

/* 1 when a positive entry reply to `opcode` names a nodeid the kernel
 * refuses for a new entry: 0 (fs/fuse/dir.c invalid_nodeid; the root
 * case is LC-NODEID-REUSE). */
int garbage_entry_nodeid(uint32_t opcode, uint64_t nodeid);

/* The first malformed record of a READDIR (plus=0) or READDIRPLUS body,
 * described in why; 0 when every record is well formed. */
int garbage_dirents(const void *body, size_t len, int plus, char *why,
		    size_t size);

/* An INIT reply body of `len` bytes too short for the minor it states;
 * described in why.  0 when long enough. */
int garbage_init_size(const void *body, size_t len, char *why, size_t size);

#endif
