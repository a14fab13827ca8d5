/* capture/evlog.h - the event log: one sequence counter, one file, one sink.
 *
 * Writers (tap threads, runner threads) call evlog_emit(); under one mutex
 * it assigns the next sequence number, appends the record to the file and
 * hands the event to the sink, so file order, sink order and seq order
 * agree.  The log knows nothing of what the sink is: a run installs the
 * judge (judge/verdicts.c), which consumes the stream the same way when
 * `replay` reads it back.  The file format is in docs/report.md ("Event
 * log").
 */
#ifndef FC_EVLOG_H
#define FC_EVLOG_H

#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <fusecheck/event.h>
#include "capture/readahead.h"
#include "util/u64tab.h"

/* 8 bytes, the version in the last.  Version 2 files end with an
 * FC_EV_LOG_END record, so that a log cut short (fusecheck killed, a
 * full disk) is told from a whole one even where the cut falls between
 * two records or two zstd frames; version 1 files are read as before. */
#define FC_LOG_MAGIC "FCLOG\0\0\2"
#define FC_LOG_MAGIC_V1 "FCLOG\0\0\1"

/* On-disk record header; `len` payload bytes follow, then zero padding to
 * a multiple of 8. */
struct fc_log_rec {
	uint64_t seq;
	uint64_t time_ns;
	uint32_t kind;
	uint32_t tid;
	uint32_t len;
	uint32_t orig_len;
};

/* The stdio buffer of a log's writer.  Given as memory: glibc's setvbuf
 * ignores the size it is asked for when it is given no buffer, and keeps
 * one page: a system call per 4 KiB.  (The reader reads ahead in blocks
 * of its own: capture/readahead.h.) */
#define EVLOG_IOBUF (256u << 10)

struct evlog {
	pthread_mutex_t lock;
	uint64_t seq;
	FILE *file;               /* NULL: events only go to the sink */
	void *iobuf;              /* file's buffer: EVLOG_IOBUF bytes */
	/* every event, in seq order, under the lock; NULL: none */
	void (*sink)(void *arg, const struct fc_event *ev);
	void *sink_arg;
	int write_error;          /* first errno from writing the file */
};

/* path NULL: no file, events only go to the sink.  compress: zstd frames
 * (capture/zfile.c); readers take both forms.  The sink is set apart
 * (evlog_set_sink), before the first event. */
int evlog_open(struct evlog *log, const char *path, int compress);
void evlog_set_sink(struct evlog *log,
		    void (*sink)(void *arg, const struct fc_event *ev),
		    void *arg);
/* Log one event: returns its seq.  `orig_len` 0 means `len`. */
uint64_t evlog_emit(struct evlog *log, uint32_t kind, const void *data,
		    uint32_t len, uint32_t orig_len);
/* Log an event whose malloc'ed payload the caller gives away: the sink
 * may keep it (fc_event.give), else it is freed here.  For payloads as
 * large as a million-inode ledger snapshot, which the judge then keeps
 * without a copy. */
uint64_t evlog_emit_give(struct evlog *log, uint32_t kind, void *data,
			 uint32_t len);
/* Hold the log lock: no event reaches the sink meanwhile, so the
 * orchestrator's queries of the judge see one consistent state. */
void evlog_lock(struct evlog *log);
void evlog_unlock(struct evlog *log);
int evlog_close(struct evlog *log);

/* Reading back. */
struct evlog_reader {
	FILE *file;
	struct readahead ra;      /* reads file in blocks, ahead if asked */
	const char *path;
	void *buf;
	size_t cap;
	uint64_t offset;          /* of the record being read, for messages */
	int pair;                 /* evlog_reader_pair was called */
	int version;              /* of the file: 1 or 2 */
	int ended;                /* the LOG_END record was read */
	struct u64tab awaited;    /* unique -> opcode of requests read */
	uint32_t req_opcode;      /* of the request the last REPLY answers */
};

int evlog_reader_open(struct evlog_reader *r, const char *path);
/* Read the log ahead on a thread of its own, beside the caller's work on
 * each event (a large log's replay); right after evlog_reader_open.  0, or
 * -errno and the reader reads for itself as before. */
int evlog_reader_read_ahead(struct evlog_reader *r);
/* 1: *ev filled (data valid until the next call); 0: end; -EPROTO: the
 * file is damaged at r->offset; -EPIPE: a version 2 file ends without
 * its LOG_END record (cut short at r->offset); other -errno: read
 * error.  The LOG_END record itself is returned as an event. */
int evlog_reader_next(struct evlog_reader *r, struct fc_event *ev);
/* "damaged at byte N: bad record", "cut short at byte N: …" for what
 * evlog_reader_next returned (< 0), into buf. */
const char *evlog_reader_why(const struct evlog_reader *r, int rc, char *buf,
			     size_t size);
void evlog_reader_close(struct evlog_reader *r);
/* Pair replies with their requests from now on: after each REPLY read,
 * r->req_opcode is the opcode of the request it answers (0: none seen,
 * and for every other event). */
void evlog_reader_pair(struct evlog_reader *r);

#endif
