/* util/bigmem.h - large zeroed blocks straight from mmap, for tables that
 * grow by doubling and chunks that never move (the ledger's).  malloc
 * would take some of them from the heap, where the old half of a table
 * that grew stays resident behind newer blocks, and give each mapped
 * block a header that costs a page; here a block's pages come and go
 * with it. */
#ifndef FC_BIGMEM_H
#define FC_BIGMEM_H

#include <stddef.h>

/* size zeroed bytes, NULL when memory runs out. */
void *bigmem_zalloc(size_t size);
/* Return a block of bigmem_zalloc(size); NULL is ignored. */
void bigmem_free(void *p, size_t size);

#endif
