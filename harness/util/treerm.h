/* util/treerm.h - remove a directory tree through descriptors only (any depth,
 * one directory descriptor at a time, never following a symlink). */
#ifndef FC_TREERM_H
#define FC_TREERM_H

#include <stddef.h>

/* Remove name in the directory dfd and everything below it.  0 or the
 * first -errno, with where it happened written to wbuf when wbuf is
 * non-NULL and still empty. */
int treerm_at(int dfd, const char *name, char *wbuf, size_t wsize);

#endif
