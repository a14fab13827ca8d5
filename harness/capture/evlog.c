/* capture/evlog.c - the single ordered event stream: sequence numbers, the
 * log file and the sink, all under one mutex so that their orders agree.  The tap logs a request before forwarding it and a reply before
 * writing it back, so observed intervals lie inside true ones
 * (docs/architecture.md, "The tap and its ordering").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fuse.h>
#include <sys/syscall.h>
#include "util/clock.h"
#include "capture/evlog.h"
#include "capture/readahead.h"
#include "capture/zfile.h"
#include "wire/proto.h"

void evlog_set_sink(struct evlog *log,
		    void (*sink)(void *arg, const struct fc_event *ev),
		    void *arg)
{
	pthread_mutex_lock(&log->lock);
	log->sink = sink;
	log->sink_arg = arg;
	pthread_mutex_unlock(&log->lock);
}

int evlog_open(struct evlog *log, const char *path, int compress)
{
	int err;

	memset(log, 0, sizeof(*log));
	pthread_mutex_init(&log->lock, NULL);
	if (!path)
		return 0;
	/* compressed, the log costs a CI disk a fraction of 100 bytes an
	 * event; the records inside are the same (capture/zfile.c) */
	log->iobuf = malloc(EVLOG_IOBUF);
	if (!log->iobuf)
		return -ENOMEM;
	log->file = compress ? zfile_open_write(path) : fopen(path, "wb");
	if (!log->file) {
		err = errno;
		goto free_iobuf;
	}
	/* A large buffer: the tap appends for every message it relays,
	 * under the log's lock. */
	setvbuf(log->file, log->iobuf, _IOFBF, EVLOG_IOBUF);
	if (fwrite(FC_LOG_MAGIC, 8, 1, log->file) != 1) {
		err = errno ? errno : EIO;
		fclose(log->file);
		log->file = NULL;
		goto free_iobuf;
	}
	return 0;
free_iobuf:
	free(log->iobuf);
	log->iobuf = NULL;
	return -err;
}

static void write_record(struct evlog *log, const struct fc_event *ev)
{
	static const char zeros[8];
	struct fc_log_rec rec = {
		.seq = ev->seq, .time_ns = ev->time_ns, .kind = ev->kind,
		.tid = ev->tid, .len = ev->len, .orig_len = ev->orig_len,
	};
	size_t pad = (8 - (ev->len & 7)) & 7;

	if (!log->file || log->write_error)
		return;
	if (fwrite(&rec, sizeof(rec), 1, log->file) != 1 ||
	    (ev->len && fwrite(ev->data, ev->len, 1, log->file) != 1) ||
	    (pad && fwrite(zeros, pad, 1, log->file) != 1))
		log->write_error = errno ? errno : EIO;
}

/* The calling thread's id, asked of the kernel once per thread: every
 * relayed message is an event, and a system call each was measurable.
 * A forked child's thread is another thread: it asks again. */
static __thread uint32_t cached_tid;
static pthread_once_t tid_once = PTHREAD_ONCE_INIT;

static void forget_tid(void)
{
	cached_tid = 0;
}

static void watch_forks(void)
{
	pthread_atfork(NULL, NULL, forget_tid);
}

static uint32_t thread_id(void)
{
	if (!cached_tid) {
		pthread_once(&tid_once, watch_forks);
		cached_tid = (uint32_t)syscall(SYS_gettid);
	}
	return cached_tid;
}

static uint64_t emit(struct evlog *log, struct fc_event *ev)
{
	pthread_mutex_lock(&log->lock);
	ev->seq = ++log->seq;
	ev->time_ns = clock_now_ns();
	write_record(log, ev);
	if (log->sink)
		log->sink(log->sink_arg, ev);
	pthread_mutex_unlock(&log->lock);
	return ev->seq;
}

uint64_t evlog_emit(struct evlog *log, uint32_t kind, const void *data,
		    uint32_t len, uint32_t orig_len)
{
	struct fc_event ev = {
		.kind = kind, .tid = thread_id(),
		.len = len, .orig_len = orig_len ? orig_len : len,
		.data = data,
	};

	return emit(log, &ev);
}

uint64_t evlog_emit_give(struct evlog *log, uint32_t kind, void *data,
			 uint32_t len)
{
	void *given = data;
	struct fc_event ev = {
		.kind = kind, .tid = thread_id(), .len = len, .orig_len = len,
		.data = data, .give = &given,
	};
	uint64_t seq = emit(log, &ev);

	free(given);	/* NULL when the sink kept it */
	return seq;
}

void evlog_lock(struct evlog *log)
{
	pthread_mutex_lock(&log->lock);
}

void evlog_unlock(struct evlog *log)
{
	pthread_mutex_unlock(&log->lock);
}

int evlog_close(struct evlog *log)
{
	struct fc_event end = { .kind = FC_EV_LOG_END, .tid = thread_id() };
	int err;

	if (log->file) {
		/* the file's last record says it is whole; the sink, which
		 * judges events, has nothing to learn from it */
		pthread_mutex_lock(&log->lock);
		end.seq = ++log->seq;
		end.time_ns = clock_now_ns();
		write_record(log, &end);
		pthread_mutex_unlock(&log->lock);
	}
	err = log->write_error ? -log->write_error : 0;
	if (log->file) {
		if (fclose(log->file) != 0 && !err)
			err = -errno;
		log->file = NULL;
	}
	free(log->iobuf);	/* after the fclose that flushed it */
	log->iobuf = NULL;
	pthread_mutex_destroy(&log->lock);
	return err;
}

int evlog_reader_open(struct evlog_reader *r, const char *path)
{
	char magic[8];
	size_t n;
	int err;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->file = fopen(path, "rb");
	if (!r->file)
		return -errno;
	/* Unbuffered: the reader's blocks (capture/readahead.c) are read
	 * whole, each in one read, straight into the block.  (Not the zstd
	 * stream below: a stream of fopencookie's, unbuffered, is read a
	 * byte a call.) */
	setvbuf(r->file, NULL, _IONBF, 0);
	/* plain or zstd, told by the first bytes */
	n = fread(magic, 1, 8, r->file);
	if (zfile_is_zstd(magic, n)) {
		fclose(r->file);
		r->file = zfile_open_read(path);
		if (!r->file)
			return -errno;
		n = fread(magic, 1, 8, r->file);
	}
	if (n == 8 && !memcmp(magic, FC_LOG_MAGIC, 8))
		r->version = 2;
	else if (n == 8 && !memcmp(magic, FC_LOG_MAGIC_V1, 8))
		r->version = 1;
	if (!r->version) {
		err = -EPROTO;
		goto close_file;
	}
	r->offset = 8;
	err = readahead_start(&r->ra, r->file);
	if (err)
		goto close_file;
	return 0;
close_file:
	fclose(r->file);
	r->file = NULL;
	return err;
}

struct awaited_rec {
	uint64_t unique;
	uint32_t opcode;
};

void evlog_reader_pair(struct evlog_reader *r)
{
	if (r->pair)
		return;
	r->pair = 1;
	u64tab_init(&r->awaited, sizeof(struct awaited_rec));
}

/* Remember each request the kernel awaits a reply to (no FORGET, so a
 * long log does not grow the table without end); name the request a
 * reply answers, and forget it. */
static void pair_event(struct evlog_reader *r, const struct fc_event *ev)
{
	const struct fc_op_info *op;
	struct fuse_in_header ih;
	struct fuse_out_header oh;
	struct awaited_rec *a;
	int created;

	r->req_opcode = 0;
	if (ev->kind == FC_EV_REQUEST && ev->len >= sizeof(ih)) {
		memcpy(&ih, ev->data, sizeof(ih));
		op = proto_op(ih.opcode);
		if (op && op->no_wait)
			return;
		a = u64tab_insert(&r->awaited, ih.unique, &created);
		if (a)
			a->opcode = ih.opcode;
	} else if (ev->kind == FC_EV_REPLY && ev->len >= sizeof(oh)) {
		memcpy(&oh, ev->data, sizeof(oh));
		a = u64tab_find(&r->awaited, oh.unique);
		if (a) {
			r->req_opcode = a->opcode;
			u64tab_remove(&r->awaited, a);
		}
	}
}

/* A record larger than this is damage, not data: the tap never keeps
 * more than one message (at most a few MiB) per record. */
#define EVLOG_MAX_REC (64u << 20)

/* Why a take came up short: damage (-EPROTO) where the stream ended,
 * the error where it could not be read or the buffer not grow. */
static int short_take(const struct evlog_reader *r, size_t n)
{
	if (r->cap < n)
		return -ENOMEM;
	return readahead_status(&r->ra) ? -EIO : -EPROTO;
}

int evlog_reader_next(struct evlog_reader *r, struct fc_event *ev)
{
	struct fc_log_rec rec;
	const void *p;
	size_t padded;

	if (!readahead_more(&r->ra)) {
		if (readahead_status(&r->ra))
			return -EIO;
		if (r->ended)
			return 0;
		return r->version >= 2 ? -EPIPE : 0;
	}
	if (r->ended)	/* nothing may follow the end record */
		return -EPROTO;
	p = readahead_take(&r->ra, sizeof(rec), &r->buf, &r->cap);
	if (!p)
		return short_take(r, sizeof(rec));
	memcpy(&rec, p, sizeof(rec));
	if (rec.len > EVLOG_MAX_REC || rec.orig_len < rec.len ||
	    rec.kind == 0 || rec.kind >= FC_EV_KIND_MAX)
		return -EPROTO;
	padded = (rec.len + 7u) & ~7u;
	p = readahead_take(&r->ra, padded, &r->buf, &r->cap);
	if (!p)
		return short_take(r, padded);
	ev->seq = rec.seq;
	ev->time_ns = rec.time_ns;
	ev->kind = rec.kind;
	ev->tid = rec.tid;
	ev->len = rec.len;
	ev->orig_len = rec.orig_len;
	ev->data = p;	/* in the read-ahead block, or in r->buf */
	ev->give = NULL;	/* the reader's: never given away */
	r->offset += sizeof(rec) + padded;
	if (rec.kind == FC_EV_LOG_END)
		r->ended = 1;
	if (r->pair)
		pair_event(r, ev);
	return 1;
}

int evlog_reader_read_ahead(struct evlog_reader *r)
{
	return readahead_spawn(&r->ra);
}

const char *evlog_reader_why(const struct evlog_reader *r, int rc, char *buf,
			     size_t size)
{
	if (rc == -EPIPE)
		snprintf(buf, size, "cut short at byte %llu: it ends without "
			 "the record fusecheck writes when it closes a log "
			 "(fusecheck was killed, or the disk filled)",
			 (unsigned long long)r->offset);
	else
		snprintf(buf, size, "damaged at byte %llu: %s",
			 (unsigned long long)r->offset,
			 rc == -EPROTO ? "bad record" : strerror(-rc));
	return buf;
}

void evlog_reader_close(struct evlog_reader *r)
{
	readahead_stop(&r->ra);	/* the thread reads r->file until then */
	if (r->file)
		fclose(r->file);
	free(r->buf);
	if (r->pair)
		u64tab_fini(&r->awaited);
	memset(r, 0, sizeof(*r));
}
