/* capture/readahead.c - a stream read in blocks, ahead by a thread of its
 * own where one was spawned.  The thread fills the next free block while
 * the taker works through the filled ones; each block is handed over
 * under the lock, and its bytes are the thread's before and the taker's
 * after (readahead.h).  Without a thread the taker fills one block
 * itself when it needs the next: a small log (a fuzzer's input, a
 * scenario's) pays for no thread.  Reading a large log was a third or
 * more of a replay's time on one CPU: system calls and the copy out of
 * the page cache for a plain log, zstd's decompression for a compressed
 * one (bench/replay). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "capture/readahead.h"

/* Fill the next free block from the file: the thread's work, or the
 * taker's own where there is no thread.  The block is not among the
 * filled ones, so no taker reads it meanwhile.  1 when the stream ended. */
static int fill_block(struct readahead *ra, struct ra_block *b)
{
	size_t n = fread_unlocked(b->data, 1, RA_BLOCK, ra->file);
	int end = n < RA_BLOCK;	/* fread is short only at the end */

	pthread_mutex_lock(&ra->lock);
	b->len = n;
	if (n)
		ra->filled++;
	if (end) {
		ra->done = 1;
		ra->status = ferror(ra->file) ? -EIO : 0;
	}
	if (ra->taker_asleep)
		pthread_cond_signal(&ra->cond);
	pthread_mutex_unlock(&ra->lock);
	return end;
}

static void *read_blocks(void *arg)
{
	struct readahead *ra = arg;
	struct ra_block *b;

	do {
		pthread_mutex_lock(&ra->lock);
		/* full: sleep until half the blocks are free, so that one
		 * wake-up fills several (one per block was two futex calls
		 * a block, a tenth of a large replay on a guest) */
		if (ra->filled - ra->taken == ra->nblocks) {
			ra->reader_asleep = 1;
			while (ra->filled - ra->taken > ra->nblocks / 2 &&
			       !ra->stop)
				pthread_cond_wait(&ra->cond, &ra->lock);
			ra->reader_asleep = 0;
		}
		if (ra->stop) {
			pthread_mutex_unlock(&ra->lock);
			return NULL;
		}
		b = &ra->blocks[ra->filled % ra->nblocks];
		pthread_mutex_unlock(&ra->lock);
	} while (!fill_block(ra, b));
	return NULL;
}

/* nblocks blocks of RA_BLOCK bytes, in one allocation */
static int alloc_blocks(struct readahead *ra, unsigned nblocks)
{
	char *mem = malloc((size_t)nblocks * RA_BLOCK);
	unsigned i;

	if (!mem)
		return -ENOMEM;
	free(ra->blocks[0].data);
	for (i = 0; i < RA_BLOCKS; i++)
		ra->blocks[i].data = i < nblocks ? mem + (size_t)i * RA_BLOCK :
				     NULL;
	ra->nblocks = nblocks;
	return 0;
}

int readahead_start(struct readahead *ra, FILE *file)
{
	int err;

	memset(ra, 0, sizeof(*ra));
	err = alloc_blocks(ra, 1);
	if (err)
		return err;
	ra->file = file;
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->cond, NULL);
	return 0;
}

int readahead_spawn(struct readahead *ra)
{
	int err;

	if (ra->threaded || ra->filled || ra->done)
		return -EINVAL;	/* only before the first take */
	err = alloc_blocks(ra, RA_BLOCKS);
	if (err)
		return err;
	err = pthread_create(&ra->thread, NULL, read_blocks, ra);
	if (err)
		return -err;	/* the taker reads for itself, as before */
	ra->threaded = 1;
	return 0;
}

/* The oldest filled block, waiting for the thread; NULL at the end. */
static struct ra_block *next_block(struct readahead *ra)
{
	struct ra_block *b = NULL;

	if (!ra->threaded && ra->filled == ra->taken && !ra->done)
		fill_block(ra, &ra->blocks[ra->filled % ra->nblocks]);
	pthread_mutex_lock(&ra->lock);
	ra->taker_asleep = 1;
	while (ra->filled == ra->taken && !ra->done)
		pthread_cond_wait(&ra->cond, &ra->lock);
	ra->taker_asleep = 0;
	if (ra->filled != ra->taken)
		b = &ra->blocks[ra->taken % ra->nblocks];
	pthread_mutex_unlock(&ra->lock);
	return b;
}

/* The current block is used up: the thread may fill it again. */
static void give_back(struct readahead *ra)
{
	pthread_mutex_lock(&ra->lock);
	ra->taken++;
	if (ra->reader_asleep && ra->filled - ra->taken <= ra->nblocks / 2)
		pthread_cond_signal(&ra->cond);
	pthread_mutex_unlock(&ra->lock);
	ra->cur = NULL;
}

/* Reached through readahead_more only, when the current block is used
 * up or there is none yet. */
int readahead_more_slow(struct readahead *ra)
{
	if (ra->cur)
		give_back(ra);
	ra->cur = next_block(ra);
	ra->pos = 0;
	return ra->cur != NULL;
}

const void *readahead_take_slow(struct readahead *ra, size_t n,
				void **scratch, size_t *cap)
{
	static const char nothing[1];
	size_t got = 0, k;
	char *dst;

	if (!n)
		return nothing;
	/* what the last call returned in place may go now */
	if (!readahead_more(ra))
		return NULL;
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
		if (!readahead_more(ra))
			return NULL;
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

int readahead_status(const struct readahead *ra)
{
	return ra->status;
}

void readahead_stop(struct readahead *ra)
{
	if (!ra->blocks[0].data)
		return;	/* never started */
	if (ra->threaded) {
		pthread_mutex_lock(&ra->lock);
		ra->stop = 1;
		pthread_cond_broadcast(&ra->cond);
		pthread_mutex_unlock(&ra->lock);
		pthread_join(ra->thread, NULL);
	}
	pthread_cond_destroy(&ra->cond);
	pthread_mutex_destroy(&ra->lock);
	free(ra->blocks[0].data);
	memset(ra, 0, sizeof(*ra));
}
