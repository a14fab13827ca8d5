/* capture/readahead.h - a stream read in blocks, and ahead by a thread of
 * its own when asked (readahead_spawn), so that reading a large log (its
 * system calls, the copy out of the page cache, zstd's decompression)
 * runs beside the checker that judges it. */
#ifndef FC_READAHEAD_H
#define FC_READAHEAD_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

/* Bounded memory whatever the file: at most RA_BLOCKS blocks of RA_BLOCK
 * bytes (one without a thread). */
#define RA_BLOCKS 16
#define RA_BLOCK (64u << 10)

struct ra_block {
	char *data;
	size_t len;
};

struct readahead {
	FILE *file;               /* read by fill_block alone */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;      /* a block filled, a block freed, a stop */
	struct ra_block blocks[RA_BLOCKS];
	unsigned nblocks;         /* RA_BLOCKS with a thread, else 1 */
	int threaded;             /* readahead_spawn started the thread */
	unsigned filled;          /* blocks filled so far (under lock) */
	unsigned taken;           /* blocks given back so far (under lock) */
	int done;                 /* the file's end or an error was met */
	int status;               /* then: 0 end of file, -EIO read error */
	int stop;                 /* the taker asks the thread to stop */
	int reader_asleep;        /* the thread waits for free blocks */
	int taker_asleep;         /* the taker waits for a filled block */
	/* the taker's side */
	struct ra_block *cur;     /* the block being taken from, or NULL */
	size_t pos;               /* in cur */
};

/* Read file in blocks, one at a time as the taker needs them; the taker
 * must not touch file itself until readahead_stop.  0 or -errno. */
int readahead_start(struct readahead *ra, FILE *file);
/* Read ahead from now on, on a thread of its own, into RA_BLOCKS blocks.
 * Only before the first take.  0, or -errno and the taker still reads
 * for itself. */
int readahead_spawn(struct readahead *ra);
/* Both below are inline for the usual case, where the bytes lie in the
 * current block: a replay takes twice an event (record header, payload),
 * and the calls were 7 % of its instructions (callgrind).  The _slow
 * halves do the rest. */
const void *readahead_take_slow(struct readahead *ra, size_t n,
				void **scratch, size_t *cap);
int readahead_more_slow(struct readahead *ra);

/* n contiguous bytes of the stream: in place when they lie in one block,
 * else copied into *scratch (grown as needed, *cap its size).  Valid until
 * the next call.  NULL when the stream ends first (readahead_status says
 * how) or scratch cannot grow (*cap left below n). */
static inline const void *readahead_take(struct readahead *ra, size_t n,
					 void **scratch, size_t *cap)
{
	const char *p;

	if (!n || !ra->cur || ra->cur->len - ra->pos < n)
		return readahead_take_slow(ra, n, scratch, cap);
	p = ra->cur->data + ra->pos;
	ra->pos += n;
	return p;
}

/* 1 when the stream holds at least one more byte, 0 at its end (waits
 * for the thread).  What a take returned in place may go. */
static inline int readahead_more(struct readahead *ra)
{
	return ra->cur && ra->pos < ra->cur->len ? 1 : readahead_more_slow(ra);
}

/* After a short take or the end: 0 the stream ended, -EIO it could not be read. */
int readahead_status(const struct readahead *ra);
/* Stop the thread and free the blocks; the file stays open. */
void readahead_stop(struct readahead *ra);

#endif
