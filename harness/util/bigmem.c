/* util/bigmem.c - large zeroed blocks from mmap (util/bigmem.h). */
#include <stdint.h>
#include <sys/mman.h>
#include "util/bigmem.h"

#define BIGMEM_HUGE (2u << 20)

void *bigmem_zalloc(size_t size)
{
	void *p;

	if (!size)
		size = 1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (size >= BIGMEM_HUGE)
		madvise(p, size, MADV_HUGEPAGE);
	return p;
}

void bigmem_free(void *p, size_t size)
{
	if (p)
		munmap(p, size ? size : 1);
}
