/* capture/readahead.c - a stream read ahead by a thread of its own.  The
 * thread fills the next free block while the taker works through the
 * filled ones; each block is handed over under the lock, and its bytes
 * are the thread's before and the taker's after (readahead.h).  Reading a
 * large log was a third or more of a replay's time on one CPU: system
 * calls and the copy out of the page cache for a plain log, zstd's
 * decompression for a compressed one (bench/replay). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "capture/readahead.h"

static void *read_blocks(void *arg)
{
	struct readahead *ra = arg;
	struct ra_block *b;
	size_t n;
	int end;

	for (;;) {
		pthread_mutex_lock(&ra->lock);
		while (ra->filled - ra->taken == RA_BLOCKS && !ra->stop)
			pthread_cond_wait(&ra->cond, &ra->lock);
		if (ra->stop) {
			pthread_mutex_unlock(&ra->lock);
			return NULL;
		}
		/* not among the filled ones: no taker reads it meanwhile */
		b = &ra->blocks[ra->filled % RA_BLOCKS];
		pthread_mutex_unlock(&ra->lock);

		n = fread_unlocked(b->data, 1, RA_BLOCK, ra->file);
		end = n < RA_BLOCK;	/* fread is short only at the end */

		pthread_mutex_lock(&ra->lock);
		b->len = n;
		if (n)
			ra->filled++;
		if (end) {
			ra->done = 1;
			ra->status = ferror(ra->file) ? -EIO : 0;
		}
		pthread_cond_broadcast(&ra->cond);
		pthread_mutex_unlock(&ra->lock);
		if (end)
			return NULL;
	}
}

int readahead_start(struct readahead *ra, FILE *file)
{
	char *mem;
	int err, i;

	memset(ra, 0, sizeof(*ra));
	mem = malloc((size_t)RA_BLOCKS * RA_BLOCK);
	if (!mem)
		return -ENOMEM;
	for (i = 0; i < RA_BLOCKS; i++)
		ra->blocks[i].data = mem + (size_t)i * RA_BLOCK;
	ra->file = file;
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->cond, NULL);
	err = pthread_create(&ra->thread, NULL, read_blocks, ra);
	if (err)
		goto destroy_sync;
	return 0;

destroy_sync:
	pthread_cond_destroy(&ra->cond);
	pthread_mutex_destroy(&ra->lock);
	free(mem);
	memset(ra, 0, sizeof(*ra));
	return -err;
}

/* The oldest filled block, waiting for the thread; NULL at the end. */
static struct ra_block *next_block(struct readahead *ra)
{
	struct ra_block *b = NULL;

	pthread_mutex_lock(&ra->lock);
	while (ra->filled == ra->taken && !ra->done)
		pthread_cond_wait(&ra->cond, &ra->lock);
	if (ra->filled != ra->taken)
		b = &ra->blocks[ra->taken % RA_BLOCKS];
	pthread_mutex_unlock(&ra->lock);
	return b;
}

/* The current block is used up: the thread may fill it again. */
static void give_back(struct readahead *ra)
{
	pthread_mutex_lock(&ra->lock);
	ra->taken++;
	pthread_cond_signal(&ra->cond);
	pthread_mutex_unlock(&ra->lock);
	ra->cur = NULL;
}

const void *readahead_take(struct readahead *ra, size_t n, void **scratch,
			   size_t *cap)
{
	static const char nothing[1];
	size_t got = 0, k;
	char *dst;

	if (!n)
		return nothing;
	/* what the last call returned in place may go now */
	if (ra->cur && ra->pos == ra->cur->len)
		give_back(ra);
	if (!ra->cur) {
		ra->cur = next_block(ra);
		ra->pos = 0;
		if (!ra->cur)
			return NULL;
	}
	if (ra->cur->len - ra->pos >= n) {	/* the usual case: in place */
		const char *p = ra->cur->data + ra->pos;

		ra->pos += n;
		return p;
	}
	if (*cap < n) {
		void *nb = realloc(*scratch, n);

		if (!nb)
			return NULL;
		*scratch = nb;
		*cap = n;
	}
	dst = *scratch;
	while (got < n) {
		if (!ra->cur) {
			ra->cur = next_block(ra);
			ra->pos = 0;
			if (!ra->cur)
				return NULL;
		}
		k = ra->cur->len - ra->pos;
		if (k > n - got)
			k = n - got;
		memcpy(dst + got, ra->cur->data + ra->pos, k);
		got += k;
		ra->pos += k;
		if (ra->pos == ra->cur->len)
			give_back(ra);
	}
	return dst;
}

int readahead_more(struct readahead *ra)
{
	if (ra->cur && ra->pos < ra->cur->len)
		return 1;
	if (ra->cur)
		give_back(ra);
	ra->cur = next_block(ra);
	ra->pos = 0;
	return ra->cur != NULL;
}

int readahead_status(const struct readahead *ra)
{
	return ra->status;
}

void readahead_stop(struct readahead *ra)
{
	if (!ra->blocks[0].data)
		return;	/* never started */
	pthread_mutex_lock(&ra->lock);
	ra->stop = 1;
	pthread_cond_broadcast(&ra->cond);
	pthread_mutex_unlock(&ra->lock);
	pthread_join(ra->thread, NULL);
	pthread_cond_destroy(&ra->cond);
	pthread_mutex_destroy(&ra->lock);
	free(ra->blocks[0].data);
	memset(ra, 0, sizeof(*ra));
}
