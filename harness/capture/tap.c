/* capture/tap.c - relay loops between /dev/fuse and the filesystem's socket.
 *
 * Ordering is the point: a request is logged before it is forwarded and
 * a reply before it is written back, so any interval the log shows for a
 * request lies inside the interval the kernel really had it open.
 *
 * One thread relays both ways and never blocks in a read or a send: it
 * waits in poll() on both ends, and after traffic it keeps looking
 * (spin_us) before it sleeps.  A relay of two sleeping threads cost two
 * wake-ups per request on top of the filesystem's own (each a
 * cross-CPU interrupt, dearer still under a hypervisor); bench/
 * tap-overhead has the figures.
 *
 * The tap never guesses at message boundaries.  SOCK_SEQPACKET keeps
 * them, but a filesystem that splices a large reply may have it cut into
 * several messages (the kernel's splice-to-socket sends at most 16 pipe
 * buffers per message).  The INIT reply is therefore capped to a few
 * pages, and a message whose header length disagrees with its size stops
 * the relay with an error instead of being reassembled by guesswork.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <time.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/fuse.h>
#include "wire/proto.h"
#include "capture/tap.h"

struct tap_note {
	struct tap_note *next;
	size_t len;
	unsigned char data[];
};

struct tap_notify_q {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct tap_note *head, *tail;
	size_t bytes;         /* queued */
	int closing;
};

static void tap_fail(struct tap *t, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&t->err_lock);
	if (!t->error[0]) {
		va_start(ap, fmt);
		vsnprintf(t->error, sizeof(t->error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&t->err_lock);
}

int tap_error_set(struct tap *t)
{
	int set;

	pthread_mutex_lock(&t->err_lock);
	set = t->error[0] != 0;
	pthread_mutex_unlock(&t->err_lock);
	return set;
}

void tap_error(struct tap *t, char *buf, size_t size)
{
	pthread_mutex_lock(&t->err_lock);
	snprintf(buf, size, "%s", t->error);
	pthread_mutex_unlock(&t->err_lock);
}

int tap_size_socket(int fd)
{
	int size = 4 << 20;

	/* FORCE needs CAP_NET_ADMIN (we are root); fall back quietly. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)))
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)))
		return -errno;
	return 0;
}

/* Requests the kernel awaits no reply to are not remembered as pending
 * (the opcode table's no_wait); an unknown opcode is. */
static int takes_reply(uint32_t opcode)
{
	const struct fc_op_info *op = proto_op(opcode);

	return !op || !op->no_wait;
}

static void remember_kernel_flags(struct tap *t, const void *buf, size_t n)
{
	struct fc_req req;

	if (proto_decode_request(buf, n, &req) == 0) {
		t->kernel_flags = req.init_flags;
		t->kernel_minor = req.minor;
	}
}

/* A message held back until `due` (CLOCK_MONOTONIC microseconds): a
 * request of an opcode tap_delay_requests holds, a reply under
 * reply_delay_us, or the request the socket had no room for (parked). */
struct tap_held {
	struct tap_held *next;
	uint64_t due;
	uint32_t opcode;
	size_t len;
	unsigned char data[];
};

static struct tap_held *held_new(const unsigned char *buf, size_t n,
				 uint32_t opcode, uint64_t due)
{
	struct tap_held *h = malloc(sizeof(*h) + n);

	if (!h)
		return NULL;
	h->next = NULL;
	h->due = due;
	h->opcode = opcode;
	h->len = n;
	memcpy(h->data, buf, n);
	return h;
}

static void held_append(struct tap_held_list *l, struct tap_held *h)
{
	if (l->tail)
		l->tail->next = h;
	else
		l->head = h;
	l->tail = h;
	l->n++;
}

/* In due order, for replies held for different times (the order of
 * replies means nothing to the kernel); a tie keeps arrival order. */
static void held_insert_due(struct tap_held_list *l, struct tap_held *h)
{
	struct tap_held **at = &l->head;

	if (!l->tail || l->tail->due <= h->due) {
		held_append(l, h);
		return;
	}
	while (*at && (*at)->due <= h->due)
		at = &(*at)->next;
	h->next = *at;
	*at = h;
	l->n++;
}

static struct tap_held *held_pop(struct tap_held_list *l)
{
	struct tap_held *h = l->head;

	if (h) {
		l->head = h->next;
		if (!l->head)
			l->tail = NULL;
		l->n--;
	}
	return h;
}

static void held_free(struct tap_held_list *l)
{
	struct tap_held *h;

	while ((h = held_pop(l)))
		free(h);
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The opcode's table entry when its messages may be held, else NULL.
 * INIT is answered before anything else can be; holding it or DESTROY
 * would only hang the connection's set-up or end. */
static const struct fc_op_info *holdable(uint32_t opcode)
{
	if (opcode >= TAP_DELAY_OPS || opcode == FUSE_INIT ||
	    opcode == FUSE_DESTROY)
		return NULL;
	return proto_op(opcode);
}

int tap_delay_requests(struct tap *t, uint32_t opcode, uint32_t us)
{
	if (!holdable(opcode))
		return -EINVAL;
	atomic_store(&t->delay_us[opcode], us);
	return 0;
}

int tap_delay_replies(struct tap *t, uint32_t opcode, uint32_t us)
{
	const struct fc_op_info *op = holdable(opcode);

	/* a request the kernel awaits no reply to has nothing to hold */
	if (!op || op->no_wait)
		return -EINVAL;
	atomic_store(&t->reply_delay_op_us[opcode], us);
	return 0;
}

/* Send a logged request to the filesystem without blocking.  1 sent,
 * 0 the socket has no room, -1 relaying ends (the filesystem is gone). */
static int send_request(struct tap *t, const unsigned char *buf, size_t n,
			uint32_t opcode)
{
	if (send(t->sock, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno != EPIPE && errno != ECONNRESET)
			tap_fail(t, "cannot forward %s: %s",
				 proto_op_name(opcode), strerror(errno));
		t->fs_gone = 1;
		return -1;
	}
	if (opcode == FUSE_FORGET || opcode == FUSE_BATCH_FORGET)
		atomic_fetch_add(&t->forgets_sent, 1);
	return 1;
}

/* Logged, then forwarded, or parked until the socket has room (no
 * request is read meanwhile).  1 to go on, 0 when relaying ends. */
static int forward_request(struct tap *t, const unsigned char *buf, size_t n)
{
	struct fuse_in_header h;
	int rc;

	memcpy(&h, buf, sizeof(h));
	evlog_emit(t->log, FC_EV_REQUEST, buf,
		   (uint32_t)proto_log_len_request(buf, n), (uint32_t)n);
	rc = send_request(t, buf, n, h.opcode);
	if (rc)
		return rc > 0;
	t->parked = held_new(buf, n, h.opcode, 0);
	if (!t->parked) {
		tap_fail(t, "out of memory holding %s for a full socket",
			 proto_op_name(h.opcode));
		return 0;
	}
	return 1;
}

/* The parked request, once the socket has room.  1 to go on (it may
 * still be parked), 0 when relaying ends. */
static int flush_parked(struct tap *t)
{
	int rc;

	if (!t->parked)
		return 1;
	rc = send_request(t, t->parked->data, t->parked->len,
			  t->parked->opcode);
	if (rc < 0)
		return 0;
	if (rc > 0) {
		free(t->parked);
		t->parked = NULL;
	}
	return 1;
}

/* Pass on the messages of l that are due (all of them with `all`), in
 * the order they came.  `pass` answers 1 (passed on), 2 (not now: the
 * socket is full) or 0 (relaying ends).  1 to go on, 0 when it ends. */
static int release_due(struct tap *t, struct tap_held_list *l, int all,
		       int (*pass)(struct tap *, const struct tap_held *))
{
	struct tap_held *h;
	uint64_t now;
	int rc = 1;

	if (!l->head)
		return 1;	/* the relay loop's common case: no clock read */
	now = mono_us();
	while ((h = l->head) && (all || h->due <= now)) {
		rc = pass(t, h);
		if (rc != 1)
			break;
		free(held_pop(l));
	}
	return rc != 0;
}

static int pass_request(struct tap *t, const struct tap_held *h)
{
	if (t->parked)
		return 2;
	return forward_request(t, h->data, h->len);
}

/* Forward the held requests that are due (all of them with `all`), while
 * the socket takes them.  1 to go on, 0 when relaying ends. */
static int release_held(struct tap *t, int all)
{
	return release_due(t, &t->held_req, all, pass_request);
}

/* Milliseconds until the first message of l is due, for poll; -1 none. */
static int held_wait_ms(const struct tap_held_list *l)
{
	uint64_t now;

	if (!l->head)
		return -1;
	now = mono_us();
	if (l->head->due <= now)
		return 0;
	return (int)((l->head->due - now + 999) / 1000);
}

static int hold_request(struct tap *t, const unsigned char *buf, size_t n,
			uint32_t opcode, uint32_t us)
{
	struct tap_held *h;

	/* full: the oldest go now, as far as the socket takes them */
	while (t->held_req.n >= TAP_HELD_MAX && !t->parked) {
		t->held_req.head->due = 0;
		if (!release_held(t, 0))
			return 0;
	}
	/* Still full only while a request is parked; then no request is
	 * read until it went, so the list passes the limit by one at most. */
	h = held_new(buf, n, opcode, mono_us() + us);
	if (!h) {
		if (t->parked) {
			tap_fail(t, "out of memory holding %s",
				 proto_op_name(opcode));
			return 0;
		}
		return forward_request(t, buf, n); /* rather than lose it */
	}
	held_append(&t->held_req, h);
	return 1;
}

/* One request read from /dev/fuse: remembered, then forwarded or held.
 * 1 to go on, 0 when relaying ends. */
static int relay_request(struct tap *t, unsigned char *buf, size_t n)
{
	struct fuse_in_header h;
	uint32_t us;

	if (n < sizeof(h)) {
		tap_fail(t, "kernel sent a %zu-byte request", n);
		return 0;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.opcode == FUSE_INIT)
		remember_kernel_flags(t, buf, n);
	t->last_request_unique = h.unique;
	t->last_request_opcode = h.opcode;
	if (takes_reply(h.opcode) &&
	    tap_pending_put(&t->pending, h.unique, h.opcode)) {
		tap_fail(t, "out of memory tracking requests");
		return 0;
	}
	us = h.opcode < TAP_DELAY_OPS ? atomic_load(&t->delay_us[h.opcode])
				      : 0;
	/* an opcode not delayed goes at once, overtaking what is held:
	 * that reordering is the point of a delay */
	if (us)
		return hold_request(t, buf, n, h.opcode, us);
	return forward_request(t, buf, n);
}

/* Messages read from one side before the relay looks at the other, so
 * that a flood one way (FORGETs) cannot starve the other. */
#define RELAY_BATCH 32

/* What the relay loop knows between rounds. */
struct relay {
	unsigned char *buf;
	int req_open;          /* still reading /dev/fuse */
	int rep_open;          /* still reading the socket */
	int draining;          /* a drain was asked: forward what is held */
	uint64_t drain_seen;   /* drain_asked when last looked at */
	uint64_t spin_until;   /* keep looking until then (mono_us) */
};

static void close_requests(struct tap *t, struct relay *r)
{
	r->req_open = 0;
	free(t->parked);
	t->parked = NULL;
	held_free(&t->held_req);
	atomic_store(&t->req_done, 1);
}

/* Requests: what is due or parked goes first, then /dev/fuse is read
 * until the kernel has nothing queued (EAGAIN), which counts as a drain
 * cycle in drained_gen.  So a tap_drain() that starts after the kernel
 * queued something returns only once all of it was read, logged and
 * forwarded (a drain forwards what is held).  How many were relayed. */
static int relay_requests(struct tap *t, struct relay *r)
{
	int done = 0, i;
	ssize_t n;

	if (!flush_parked(t) || !release_held(t, 0))
		goto out_closed;
	for (i = 0; i < RELAY_BATCH && !t->parked; i++) {
		n = read(t->devfd, r->buf, TAP_BUF_SIZE);
		if (n >= 0) {
			if (!relay_request(t, r->buf, (size_t)n))
				goto out_closed;
			done++;
			continue;
		}
		if (errno == EAGAIN) {
			if (r->draining && !release_held(t, 1))
				goto out_closed;
			if (t->parked)
				break;	/* not drained until it went */
			r->draining = 0;
			atomic_fetch_add(&t->drained_gen, 1);
			break;
		}
		/* ENOENT: the request was interrupted before we read it;
		 * nothing to relay. */
		if (errno == EINTR || errno == ENOENT)
			continue;
		if (errno != ENODEV)
			tap_fail(t, "cannot read /dev/fuse: %s", strerror(errno));
		t->dev_gone = 1;
		goto out_closed;
	}
	return done;

out_closed:
	close_requests(t, r);
	return done;
}

int tap_drain(struct tap *t, unsigned timeout_ms)
{
	struct timespec nap = { 0, 100 * 1000 };
	unsigned long waited_us = 0;
	uint64_t g, one = 1;
	int round;

	/* A cycle already under way when we were called may have started
	 * before the kernel queued what we wait for: the first wake's cycle
	 * may be that one; the second wake's starts after it ended. */
	for (round = 0; round < 2; round++) {
		g = atomic_load(&t->drained_gen);
		atomic_fetch_add(&t->drain_asked, 1);
		if (write(t->wake_fd, &one, sizeof(one)) < 0)
			return -errno;
		while (atomic_load(&t->drained_gen) == g) {
			if (atomic_load(&t->req_done) || t->dev_gone)
				return -ENOTCONN;
			if (waited_us >= (unsigned long)timeout_ms * 1000)
				return -ETIMEDOUT;
			nanosleep(&nap, NULL);
			waited_us += 100;
		}
	}
	return 0;
}

/* Lower max_write / max_pages in an INIT reply so that every message of
 * the connection fits the tap's buffers and a spliced reply stays one
 * message.  Logged as FC_EV_INIT_CAP; the log holds the reply as the
 * kernel received it. */
static void cap_init(struct tap *t, unsigned char *buf, size_t n)
{
	size_t have = n - sizeof(struct fuse_out_header);
	size_t pages_end = offsetof(struct fuse_init_out, max_pages) +
			   sizeof(uint16_t);
	struct fuse_init_out io;
	struct fc_ev_init_cap cap = { 0 };
	uint32_t cap_bytes = t->max_pages * 4096u;

	/* A reply too short for max_write is malformed: the checker says
	 * so; the kernel will reject it. */
	if (have < offsetof(struct fuse_init_out, max_write) +
		   sizeof(uint32_t))
		return;
	memset(&io, 0, sizeof(io));
	memcpy(&io, buf + sizeof(struct fuse_out_header),
	       have < sizeof(io) ? have : sizeof(io));
	cap.fs_max_write = io.max_write;
	cap.fs_max_pages = (io.flags & FUSE_MAX_PAGES) ? io.max_pages : 0;
	if (cap_bytes > TAP_MAX_WRITE_LIMIT)
		cap_bytes = TAP_MAX_WRITE_LIMIT;
	if (io.max_write > cap_bytes)
		io.max_write = cap_bytes;
	if (have >= pages_end) {
		uint32_t want = cap.fs_max_pages ? cap.fs_max_pages : 32;

		io.flags |= FUSE_MAX_PAGES;
		io.max_pages = want < t->max_pages ? want : t->max_pages;
	}
	/* Flags asked for with --init-set, where the kernel offered them:
	 * a way to test kernel behaviour the filesystem's library never
	 * asks for.  The checker sees the reply as the kernel gets it. */
	io.flags |= (uint32_t)(t->init_set & t->kernel_flags);
	if (have >= offsetof(struct fuse_init_out, flags2) + sizeof(uint32_t) &&
	    (io.flags & FUSE_INIT_EXT))
		io.flags2 |= (uint32_t)((t->init_set & t->kernel_flags) >> 32);
	cap.max_write = io.max_write;
	cap.max_pages = (io.flags & FUSE_MAX_PAGES) ? io.max_pages : 32;
	memcpy(buf + sizeof(struct fuse_out_header), &io,
	       have < sizeof(io) ? have : sizeof(io));
	evlog_emit(t->log, FC_EV_INIT_CAP, &cap, sizeof(cap), 0);
}

/* Notifications wait here while the kernel has not taken the one before
 * (its write may block on a VFS lock).  Holding back the reply thread
 * could deadlock against that lock, so a filesystem that outruns the
 * kernel by this much is a verdict, not a reason to grow. */
#define TAP_NOTIFY_QUEUE_MAX (16u << 20)

static void notify_push(struct tap *t, const unsigned char *buf, size_t n)
{
	struct tap_note *note;
	size_t queued;

	pthread_mutex_lock(&t->nq->lock);
	queued = t->nq->bytes;
	pthread_mutex_unlock(&t->nq->lock);
	if (queued + n > TAP_NOTIFY_QUEUE_MAX) {
		tap_fail(t, "filesystem sent more notifications than the "
			 "kernel took: %zu bytes waiting (limit %u)",
			 queued + n, TAP_NOTIFY_QUEUE_MAX);
		return;
	}
	note = malloc(sizeof(*note) + n);
	if (!note) {
		tap_fail(t, "out of memory queueing a notification");
		return;
	}
	note->next = NULL;
	note->len = n;
	memcpy(note->data, buf, n);
	pthread_mutex_lock(&t->nq->lock);
	if (t->nq->tail)
		t->nq->tail->next = note;
	else
		t->nq->head = note;
	t->nq->tail = note;
	t->nq->bytes += n;
	pthread_cond_signal(&t->nq->cond);
	pthread_mutex_unlock(&t->nq->lock);
}

static void *notify_loop(void *arg)
{
	struct tap *t = arg;
	struct tap_notify_q *q = t->nq;
	struct tap_note *note;

	for (;;) {
		pthread_mutex_lock(&q->lock);
		while (!q->head && !q->closing)
			pthread_cond_wait(&q->cond, &q->lock);
		note = q->head;
		if (note) {
			q->head = note->next;
			if (!q->head)
				q->tail = NULL;
			q->bytes -= note->len;
		}
		pthread_mutex_unlock(&q->lock);
		if (!note)
			break;
		evlog_emit(t->log, FC_EV_NOTIFY, note->data,
			   (uint32_t)note->len, 0);
		/* A failed notification is the filesystem's business (the
		 * kernel said no); only a dead connection stops us. */
		if (!t->dev_gone && write(t->devfd, note->data, note->len) < 0 &&
		    errno == ENODEV)
			t->dev_gone = 1;
		free(note);
	}
	return NULL;
}

/* An INIT reply the kernel took but that leaves the connection dead:
 * an error, or a major version the kernel does not speak (it then fails
 * every request).  Nothing can be tested on it: a refusal, named. */
static void init_judge(struct tap *t, const struct fuse_out_header *oh,
		       const unsigned char *buf, size_t n)
{
	uint32_t major = 0;

	if (oh->error) {
		tap_fail(t, "the filesystem refused INIT: it answered error %d "
			 "(%s)", oh->error, strerror(-oh->error));
		return;
	}
	if (n >= sizeof(*oh) + sizeof(major))
		memcpy(&major, buf + sizeof(*oh), sizeof(major));
	if (major != FUSE_KERNEL_VERSION)
		tap_fail(t, "the filesystem refused INIT: it answered protocol "
			 "major version %u, the kernel speaks %u", major,
			 FUSE_KERNEL_VERSION);
}

static int peer_closed(int sock)
{
	struct pollfd pfd = { .fd = sock, .events = POLLRDHUP };

	if (poll(&pfd, 1, 0) < 0)
		return 1;
	return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* How much of a garbled reply goes to the log. */
#define TAP_GARBLED_LOG 4096u

/* Logged, then written to the kernel.  1 to go on, 0 once the
 * connection is gone. */
static int deliver_reply(struct tap *t, const unsigned char *buf, size_t n,
			 uint32_t opcode)
{
	struct fuse_out_header oh;

	memcpy(&oh, buf, sizeof(oh));
	evlog_emit(t->log, FC_EV_REPLY, buf,
		   (uint32_t)proto_log_len_reply(opcode, n), (uint32_t)n);
	if (write(t->devfd, buf, n) < 0) {
		struct fc_ev_reject rj = {
			.unique = oh.unique, .error = errno,
		};

		if (errno == ENODEV) {
			t->dev_gone = 1;
			return 0;
		}
		/* Not accepted: the checker takes back what the reply
		 * handed out. */
		evlog_emit(t->log, FC_EV_REPLY_REJECTED, &rj, sizeof(rj), 0);
	} else if (opcode == FUSE_INIT) {
		init_judge(t, &oh, buf, n);
		t->init_done = 1;
	}
	return 1;
}

static int pass_reply(struct tap *t, const struct tap_held *h)
{
	return deliver_reply(t, h->data, h->len, h->opcode);
}

/* Deliver the held replies that are due (all with `all`).  1 to go on,
 * 0 once the connection is gone. */
static int release_held_replies(struct tap *t, int all)
{
	return release_due(t, &t->held_rep, all, pass_reply);
}

/* One message from the filesystem, whole: a notification (to its own
 * thread) or a reply, delivered now or held under reply_delay_us.  1 to
 * go on, 0 when relaying replies ends. */
static int take_reply(struct tap *t, unsigned char *buf, ssize_t n)
{
	struct fuse_out_header oh;
	struct tap_held *h;
	uint32_t opcode, us;

	if ((size_t)n > TAP_BUF_SIZE) {
		tap_fail(t, "filesystem sent a %zd-byte message, larger than "
			 "any reply it may send (%u): cannot be relayed whole",
			 n, TAP_BUF_SIZE);
		return 0;
	}
	if ((size_t)n < sizeof(oh)) {
		tap_fail(t, "filesystem sent a %zd-byte message, shorter "
			 "than a reply header", n);
		return 0;
	}
	memcpy(&oh, buf, sizeof(oh));
	if (oh.len != (uint32_t)n) {
		/* Logged (cut short) so the checker names it
		 * (PR-REPLY-LENGTH); never written to the kernel. */
		evlog_emit(t->log, FC_EV_REPLY, buf,
			   (uint32_t)(n < TAP_GARBLED_LOG ? n : TAP_GARBLED_LOG),
			   (uint32_t)n);
		tap_fail(t, "PR-REPLY-LENGTH: reply unique=%llu says %u bytes "
			 "but its message has %zd: a fragmented or garbled "
			 "reply, not reassembled by guesswork",
			 (unsigned long long)oh.unique, oh.len, n);
		return 0;
	}
	if (oh.unique == 0) {
		notify_push(t, buf, (size_t)n);
		return 1;
	}
	opcode = tap_pending_take(&t->pending, oh.unique);
	if (opcode == FUSE_INIT)
		cap_init(t, buf, (size_t)n);
	us = t->reply_delay_us;
	if (opcode < TAP_DELAY_OPS &&
	    atomic_load(&t->reply_delay_op_us[opcode]) > us)
		us = atomic_load(&t->reply_delay_op_us[opcode]);
	if (!us)
		return deliver_reply(t, buf, (size_t)n, opcode);
	/* held, not slept on: requests go on meanwhile */
	while (t->held_rep.n >= TAP_HELD_MAX) {
		t->held_rep.head->due = 0;
		if (!release_held_replies(t, 0))
			return 0;
	}
	h = held_new(buf, (size_t)n, opcode, mono_us() + us);
	if (!h)
		return deliver_reply(t, buf, (size_t)n, opcode);
	held_insert_due(&t->held_rep, h);
	return 1;
}

static void close_replies(struct tap *t, struct relay *r)
{
	r->rep_open = 0;
	held_free(&t->held_rep);
}

/* Replies: what is due goes first, then the socket is read until it is
 * empty (or a batch was taken).  How many messages were taken. */
static int relay_replies(struct tap *t, struct relay *r)
{
	int done = 0, i;
	ssize_t n;

	if (!release_held_replies(t, 0))
		goto out_closed;
	for (i = 0; i < RELAY_BATCH; i++) {
		n = recv(t->sock, r->buf, TAP_BUF_SIZE,
			 MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		/* SOCK_SEQPACKET reads 0 for the end and for an empty
		 * message alike; only the end leaves the peer hung up */
		if (n < 0 || (n == 0 && peer_closed(t->sock))) {
			t->fs_gone = 1;
			goto out_closed;
		}
		done++;
		if (!take_reply(t, r->buf, n))
			goto out_closed;
	}
	return done;

out_closed:
	close_replies(t, r);
	return done;
}

/* Sleep until either side has traffic, something held is due, or the
 * tap is woken (drain, stop). */
static void relay_wait(struct tap *t, struct relay *r)
{
	struct pollfd pfd[3] = {
		{ .fd = -1, .events = POLLIN },
		{ .fd = -1, .events = 0 },
		{ .fd = t->wake_fd, .events = POLLIN },
	};
	int ms = held_wait_ms(&t->held_req), rep_ms;
	uint64_t v;

	rep_ms = held_wait_ms(&t->held_rep);
	if (rep_ms >= 0 && (ms < 0 || rep_ms < ms))
		ms = rep_ms;
	if (r->req_open && !t->parked)
		pfd[0].fd = t->devfd;
	if (r->rep_open)
		pfd[1].events |= POLLIN;
	if (t->parked)
		pfd[1].events |= POLLOUT;
	if (pfd[1].events)
		pfd[1].fd = t->sock;
	if (poll(pfd, 3, ms) < 0 && errno != EINTR) {
		tap_fail(t, "cannot poll the relay: %s", strerror(errno));
		close_requests(t, r);
		close_replies(t, r);
		return;
	}
	if (pfd[2].revents && read(t->wake_fd, &v, sizeof(v)) < 0 &&
	    errno != EAGAIN) {
		close_requests(t, r);
		close_replies(t, r);
	}
}

/* The relay: both directions in one thread, until both have ended or
 * tap_stop asks.  After traffic it keeps looking for spin_us before it
 * sleeps, yielding the CPU between looks (a runnable filesystem or
 * caller on this CPU goes first). */
static void *relay_loop(void *arg)
{
	struct tap *t = arg;
	struct relay r = { .req_open = 1, .rep_open = 1 };
	uint64_t asked;
	int done;

	r.buf = malloc(TAP_BUF_SIZE);
	if (!r.buf) {
		tap_fail(t, "cannot allocate the relay buffer");
		goto out;
	}
	while ((r.req_open || r.rep_open) && !atomic_load(&t->stop)) {
		asked = atomic_load(&t->drain_asked);
		if (asked != r.drain_seen) {
			r.drain_seen = asked;
			r.draining = 1;
		}
		done = 0;
		if (r.req_open)
			done += relay_requests(t, &r);
		if (r.rep_open)
			done += relay_replies(t, &r);
		if (done) {
			if (t->spin_us)
				r.spin_until = mono_us() + t->spin_us;
			continue;
		}
		if (r.spin_until && mono_us() < r.spin_until) {
			sched_yield();
			continue;
		}
		r.spin_until = 0;
		relay_wait(t, &r);
	}
out:
	if (r.req_open)
		close_requests(t, &r);
	if (r.rep_open)
		close_replies(t, &r);
	free(r.buf);
	return NULL;
}

int tap_start(struct tap *t, int devfd, int sock, struct evlog *log,
	      uint32_t max_pages)
{
	int err, fl;

	t->devfd = devfd;
	t->sock = sock;
	t->log = log;
	t->max_pages = max_pages ? max_pages : TAP_DEFAULT_MAX_PAGES;
	t->error[0] = 0;
	t->fs_gone = t->dev_gone = t->init_done = 0;
	atomic_init(&t->req_done, 0);
	atomic_init(&t->stop, 0);
	atomic_init(&t->drained_gen, 0);
	atomic_init(&t->drain_asked, 0);
	atomic_init(&t->forgets_sent, 0);
	for (unsigned op = 0; op < TAP_DELAY_OPS; op++) {
		atomic_init(&t->delay_us[op], 0);
		atomic_init(&t->reply_delay_op_us[op], 0);
	}
	memset(&t->held_req, 0, sizeof(t->held_req));
	memset(&t->held_rep, 0, sizeof(t->held_rep));
	t->parked = NULL;
	/* reads never block: the relay waits in poll, so that it can tell
	 * "the kernel has nothing queued" (tap_drain) and serve both ends */
	fl = fcntl(devfd, F_GETFL);
	if (fl < 0 || fcntl(devfd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->wake_fd < 0)
		return -errno;
	pthread_mutex_init(&t->err_lock, NULL);
	err = tap_pending_init(&t->pending);
	if (err)
		goto out_lock;
	t->nq = calloc(1, sizeof(*t->nq));
	if (!t->nq) {
		err = -ENOMEM;
		goto out_pending;
	}
	pthread_mutex_init(&t->nq->lock, NULL);
	pthread_cond_init(&t->nq->cond, NULL);
	err = -pthread_create(&t->notify_thread, NULL, notify_loop, t);
	if (err)
		goto out_nq;
	err = -pthread_create(&t->relay_thread, NULL, relay_loop, t);
	if (err)
		goto out_notify;
	t->started = 1;
	return 0;

out_notify:
	pthread_mutex_lock(&t->nq->lock);
	t->nq->closing = 1;
	pthread_cond_signal(&t->nq->cond);
	pthread_mutex_unlock(&t->nq->lock);
	pthread_join(t->notify_thread, NULL);
out_nq:
	free(t->nq);
	t->nq = NULL;
out_pending:
	tap_pending_fini(&t->pending);
out_lock:
	pthread_mutex_destroy(&t->err_lock);
	close(t->wake_fd);
	return err;
}

void tap_stop_requests(struct tap *t)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int waited;

	/* The relay stops reading requests at ENODEV, once the connection
	 * is gone (unmount or abort); then the filesystem reads
	 * end-of-file.  The relay never blocks on the filesystem, so this
	 * never waits on it for long; replies still flow until tap_stop. */
	for (waited = 0; !atomic_load(&t->req_done) && waited < 1000;
	     waited += 10)
		nanosleep(&nap, NULL);
	shutdown(t->sock, SHUT_WR);
}

void tap_stop(struct tap *t)
{
	struct tap_note *note;
	uint64_t one = 1;

	if (!t->started)
		return;
	/* The filesystem has exited or was killed: the relay ends. */
	shutdown(t->sock, SHUT_RDWR);
	atomic_store(&t->stop, 1);
	if (write(t->wake_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only at overflow: it is awake */
	}
	pthread_join(t->relay_thread, NULL);
	pthread_mutex_lock(&t->nq->lock);
	t->nq->closing = 1;
	pthread_cond_signal(&t->nq->cond);
	pthread_mutex_unlock(&t->nq->lock);
	pthread_join(t->notify_thread, NULL);
	while ((note = t->nq->head)) {
		t->nq->head = note->next;
		free(note);
	}
	pthread_cond_destroy(&t->nq->cond);
	pthread_mutex_destroy(&t->nq->lock);
	free(t->nq);
	t->nq = NULL;
	tap_pending_fini(&t->pending);
	pthread_mutex_destroy(&t->err_lock);
	close(t->wake_fd);
	t->wake_fd = -1;
	t->started = 0;
}
