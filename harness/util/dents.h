/* util/dents.h - one walk of a getdents64(2) buffer, shared by the scenario
 * runner's readdir and the tree remover (util/treerm.c): the next whole
 * record, never a byte past what the kernel returned. */
#ifndef FC_DENTS_H
#define FC_DENTS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define DENT_HDR offsetof(struct dent64, d_name)

/* The record at *pos of the got bytes of buf, *pos moved past it; NULL
 * at the end or at a record that does not fit. */
static inline const struct dent64 *dents_next(const char *buf, size_t got,
					      size_t *pos)
{
	const struct dent64 *d;

	if (*pos + DENT_HDR > got)
		return NULL;
	d = (const struct dent64 *)(buf + *pos);
	if (d->d_reclen <= DENT_HDR || *pos + d->d_reclen > got)
		return NULL;
	*pos += d->d_reclen;
	return d;
}

/* the name's length, bounded by its record */
static inline size_t dent_name_len(const struct dent64 *d)
{
	return strnlen(d->d_name, d->d_reclen - DENT_HDR);
}

/* "." or ".." */
static inline int dent_is_dot(const struct dent64 *d)
{
	return !strcmp(d->d_name, ".") || !strcmp(d->d_name, "..");
}

#endif
