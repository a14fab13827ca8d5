/* test_capture.c - the capture layer.  The relay between a stand-in
 * kernel and a stand-in filesystem (two SOCK_SEQPACKET pairs: a socket
 * reads and writes whole messages as /dev/fuse does): what a filesystem
 * that stops reading costs, replies held without holding requests, and
 * the drain barrier; the assertions are about order and delivery, never
 * about speed.  The log: a payload given away reaches the sink, one read
 * back never is; it is written and read in large calls. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/fuse.h>
#include <linux/sockios.h>
#include <cmocka.h>
#include "capture/tap.h"

#define MAX_SEEN 4096

struct rig {
	struct tap t;
	struct evlog log;
	int kern;            /* the kernel's end: requests in, replies out */
	int fs;              /* the filesystem's end */
	int devfd, sock;     /* the tap's ends */
	/* what the log saw, in order: kind and unique */
	uint32_t kind[MAX_SEEN];
	uint64_t unique[MAX_SEEN];
	unsigned nseen;
};

static void record(void *arg, const struct fc_event *ev)
{
	struct rig *r = arg;
	uint64_t u = 0;

	if (r->nseen >= MAX_SEEN)
		return;
	if (ev->kind == FC_EV_REQUEST && ev->len >= sizeof(struct fuse_in_header))
		u = ((const struct fuse_in_header *)ev->data)->unique;
	else if (ev->kind == FC_EV_REPLY &&
		 ev->len >= sizeof(struct fuse_out_header))
		u = ((const struct fuse_out_header *)ev->data)->unique;
	r->kind[r->nseen] = ev->kind;
	r->unique[r->nseen] = u;
	r->nseen++;
}

static void rig_up(struct rig *r, int fs_sndbuf, uint32_t reply_delay_us,
		   uint32_t spin_us)
{
	int k[2], f[2];

	memset(r, 0, sizeof(*r));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, k), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, f), 0);
	r->kern = k[0];
	r->devfd = k[1];
	r->sock = f[0];
	r->fs = f[1];
	if (fs_sndbuf)
		assert_int_equal(setsockopt(r->sock, SOL_SOCKET, SO_SNDBUF,
					    &fs_sndbuf, sizeof(fs_sndbuf)), 0);
	assert_int_equal(evlog_open(&r->log, NULL, 0), 0);
	evlog_set_sink(&r->log, record, r);
	r->t.reply_delay_us = reply_delay_us;
	r->t.spin_us = spin_us;
	assert_int_equal(tap_start(&r->t, r->devfd, r->sock, &r->log, 8), 0);
}

static void rig_down(struct rig *r)
{
	tap_stop(&r->t);
	evlog_close(&r->log);
	close(r->kern);
	close(r->devfd);
	close(r->sock);
	close(r->fs);
}

static void send_request(int fd, uint32_t opcode, uint64_t unique)
{
	struct {
		struct fuse_in_header h;
		struct fuse_forget_in f;
	} m;

	memset(&m, 0, sizeof(m));
	m.h.len = sizeof(m);
	m.h.opcode = opcode;
	m.h.unique = unique;
	m.h.nodeid = 2;
	m.f.nlookup = 1;
	assert_int_equal(send(fd, &m, sizeof(m), 0), (ssize_t)sizeof(m));
}

static void send_reply(int fd, uint64_t unique)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh), .error = -ENOENT, .unique = unique,
	};

	assert_int_equal(send(fd, &oh, sizeof(oh), 0), (ssize_t)sizeof(oh));
}

/* The next message on fd within ms milliseconds: its length, or -1. */
static ssize_t next_message(int fd, void *buf, size_t size, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return recv(fd, buf, size, MSG_DONTWAIT);
}

static int unread_bytes(int fd)
{
	int n = -1;

	assert_int_equal(ioctl(fd, SIOCOUTQ, &n), 0);
	return n;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A filesystem that stops reading: the tap parks the one request its
 * socket has no room for and reads no more (the rest wait with the
 * kernel), replies still flow, and once the filesystem reads again every
 * request arrives, in the order the kernel sent them. */
static void test_tap__full_socket_parks_one_and_keeps_order(void **state)
{
	enum { N = 100 };
	struct rig r;
	unsigned char buf[256];
	struct fuse_in_header h;
	int before, after, sent;
	uint64_t want = 1;
	ssize_t n;

	rig_up(&r, 4096, 0, 50);
	for (sent = 1; sent <= N; sent++)
		send_request(r.kern, FUSE_FORGET, (uint64_t)sent);
	/* the tap stops reading once parked: what is left with the
	 * "kernel" stops shrinking */
	after = unread_bytes(r.kern);
	do {
		before = after;
		nap_ms(100);
		after = unread_bytes(r.kern);
	} while (after != before);
	assert_true(after > 0);

	send_reply(r.fs, 77);
	n = next_message(r.kern, buf, sizeof(buf), 5000);
	assert_int_equal(n, (ssize_t)sizeof(struct fuse_out_header));

	while (want <= N) {
		n = next_message(r.fs, buf, sizeof(buf), 5000);
		assert_true(n >= (ssize_t)sizeof(h));
		memcpy(&h, buf, sizeof(h));
		assert_int_equal(h.opcode, FUSE_FORGET);
		assert_int_equal(h.unique, want);
		want++;
	}
	/* counted once send() returned, which may be after the filesystem
	 * read it */
	for (int waited = 0; atomic_load(&r.t.forgets_sent) != N &&
	     waited < 5000; waited += 10)
		nap_ms(10);
	assert_int_equal(atomic_load(&r.t.forgets_sent), N);
	rig_down(&r);
}

/* Under --reply-delay-us a reply waits on its own clock: a request the
 * kernel sends meanwhile reaches the filesystem first, and the log shows
 * the reply where the kernel got it, after that request. */
static void test_tap__held_reply_does_not_hold_requests(void **state)
{
	struct rig r;
	unsigned char buf[256];
	struct fuse_in_header h;
	ssize_t n;
	unsigned i, req2 = 0, rep1 = 0;

	rig_up(&r, 0, 2000000, 50);
	send_request(r.kern, FUSE_LOOKUP, 1);
	n = next_message(r.fs, buf, sizeof(buf), 5000);
	assert_true(n >= (ssize_t)sizeof(h));
	send_reply(r.fs, 1);
	send_request(r.kern, FUSE_FORGET, 2);
	n = next_message(r.fs, buf, sizeof(buf), 5000);
	assert_true(n >= (ssize_t)sizeof(h));
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.unique, 2);
	/* held for 2 s: not delivered yet */
	assert_int_equal(next_message(r.kern, buf, sizeof(buf), 0), -1);
	n = next_message(r.kern, buf, sizeof(buf), 10000);
	assert_int_equal(n, (ssize_t)sizeof(struct fuse_out_header));

	evlog_lock(&r.log);
	for (i = 0; i < r.nseen; i++) {
		if (r.kind[i] == FC_EV_REQUEST && r.unique[i] == 2)
			req2 = i + 1;
		if (r.kind[i] == FC_EV_REPLY && r.unique[i] == 1)
			rep1 = i + 1;
	}
	evlog_unlock(&r.log);
	assert_true(req2 && rep1);
	assert_true(req2 < rep1);
	rig_down(&r);
}

/* tap_drain returns once what the kernel queued before it was called has
 * been read and logged, and it forwards requests a delay holds. */
static void test_tap__drain_logs_what_was_queued_and_frees_held(void **state)
{
	struct rig r;
	unsigned char buf[256];
	struct fuse_in_header h;
	unsigned i, logged = 0;
	ssize_t n;

	rig_up(&r, 0, 0, 50);
	assert_int_equal(tap_delay_requests(&r.t, FUSE_FORGET, 60000000u), 0);
	send_request(r.kern, FUSE_FORGET, 5);
	assert_int_equal(tap_drain(&r.t, 5000), 0);
	evlog_lock(&r.log);
	for (i = 0; i < r.nseen; i++)
		if (r.kind[i] == FC_EV_REQUEST && r.unique[i] == 5)
			logged = 1;
	evlog_unlock(&r.log);
	assert_true(logged);
	n = next_message(r.fs, buf, sizeof(buf), 5000);
	assert_true(n >= (ssize_t)sizeof(h));
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.unique, 5);
	rig_down(&r);
}

/* With the relay asleep at once (spin 0) the same traffic flows: the
 * sleeping path is the one every quiet moment takes. */
static void test_tap__no_spin_relays_both_ways(void **state)
{
	struct rig r;
	unsigned char buf[256];
	int i;

	rig_up(&r, 0, 0, 0);
	for (i = 1; i <= 20; i++) {
		send_request(r.kern, FUSE_LOOKUP, (uint64_t)i);
		assert_true(next_message(r.fs, buf, sizeof(buf), 5000) > 0);
		nap_ms(1);
		send_reply(r.fs, (uint64_t)i);
		assert_int_equal(next_message(r.kern, buf, sizeof(buf), 5000),
				 (ssize_t)sizeof(struct fuse_out_header));
	}
	rig_down(&r);
}

static void *kept;

static void keep_given(void *arg, const struct fc_event *ev)
{
	(void)arg;
	if (ev->give) {
		kept = *ev->give;
		*ev->give = NULL;
	}
}

/* evlog_emit_give offers the payload to the sink (which keeps it here);
 * an event read back from the file offers nothing, whatever the caller's
 * struct held before (it is the reader's buffer). */
static void test_evlog__given_payload_reaches_the_sink_only_live(void **state)
{
	char path[] = "/tmp/test_capture.XXXXXX";
	struct evlog log;
	struct evlog_reader r;
	struct fc_event ev;
	char *payload = strdup("twelve bytes");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_non_null(payload);
	assert_int_equal(evlog_open(&log, path, 1), 0);
	evlog_set_sink(&log, keep_given, NULL);
	evlog_emit_give(&log, FC_EV_UNMOUNT, payload, 13);
	assert_ptr_equal(kept, payload);
	assert_int_equal(evlog_close(&log), 0);
	free(kept);

	assert_int_equal(evlog_reader_open(&r, path), 0);
	memset(&ev, 0xa5, sizeof(ev));
	assert_int_equal(evlog_reader_next(&r, &ev), 1);
	assert_int_equal(ev.kind, FC_EV_UNMOUNT);
	assert_string_equal((const char *)ev.data, "twelve bytes");
	assert_null(ev.give);
	evlog_reader_close(&r);
	unlink(path);
}

/* A zstd log cut exactly between two frames decompresses cleanly up to
 * the cut: only the missing end record tells it from a whole log.  A
 * frame ends every 4 MiB of input (capture/zfile.c); the magic (8) and
 * one record of 4 MiB - 8 bytes fill the first exactly, so that the cut
 * falls between two records. */
static void test_evlog__cut_between_frames_is_cut_short(void **state)
{
	char path[] = "/tmp/test_capture.XXXXXX";
	const size_t big = (4u << 20) - 8 - sizeof(struct fc_log_rec);
	unsigned char *payload = calloc(1, big);
	static const unsigned char zmagic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	struct evlog log;
	struct evlog_reader r;
	struct fc_event ev;
	unsigned char *data;
	long size, at = -1, k;
	int fd = mkstemp(path), rc, n = 0;
	FILE *f;

	assert_true(fd >= 0);
	assert_non_null(payload);
	close(fd);
	assert_int_equal(evlog_open(&log, path, 1), 0);
	evlog_emit(&log, FC_EV_UNMOUNT, payload, (uint32_t)big, 0);
	for (k = 0; k < 10; k++)
		evlog_emit(&log, FC_EV_UNMOUNT, payload, 16, 0);
	assert_int_equal(evlog_close(&log), 0);
	free(payload);

	/* whole: every event, then the end record, then the end */
	assert_int_equal(evlog_reader_open(&r, path), 0);
	while ((rc = evlog_reader_next(&r, &ev)) == 1)
		n++;
	assert_int_equal(rc, 0);
	assert_int_equal(n, 12);	/* 11 and the end record */
	evlog_reader_close(&r);

	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	data = malloc((size_t)size);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	for (k = 4; k + 4 <= size && at < 0; k++)
		if (!memcmp(data + k, zmagic, 4))
			at = k;
	assert_true(at > 0);	/* a second frame starts here */
	assert_int_equal(truncate(path, at), 0);
	free(data);

	assert_int_equal(evlog_reader_open(&r, path), 0);
	n = 0;
	while ((rc = evlog_reader_next(&r, &ev)) == 1)
		n++;
	assert_int_equal(rc, -EPIPE);
	assert_int_equal(n, 1);
	evlog_reader_close(&r);
	unlink(path);
}

/* This process's count of read or write system calls so far
 * (/proc/self/io: "syscr" or "syscw"); -1 where the kernel keeps none. */
static long io_calls(const char *which)
{
	char key[16];
	long v, found = -1;
	FILE *f = fopen("/proc/self/io", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%15[^:]: %ld\n", key, &v) == 2)
		if (!strcmp(key, which))
			found = v;
	fclose(f);
	return found;
}

/* A plain log of 4 MiB is written and read in a few large calls, not one
 * per 4 KiB page: with a system call per page, reading was a third of a
 * large replay's time, and the tap wrote under the log's lock every few
 * dozen messages (glibc's setvbuf keeps its page when given no buffer). */
static void test_evlog__log_is_written_and_read_in_large_calls(void **state)
{
	char path[] = "/tmp/test_capture.XXXXXX";
	static unsigned char payload[120];
	const long events = (4l << 20) / (sizeof(struct fc_log_rec) + 120);
	struct evlog log;
	struct evlog_reader r;
	struct fc_event ev;
	long k, before, n = 0;
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	close(fd);
	before = io_calls("syscw");
	if (before < 0) {
		unlink(path);
		skip();
	}
	assert_int_equal(evlog_open(&log, path, 0), 0);
	for (k = 0; k < events; k++)
		evlog_emit(&log, FC_EV_UNMOUNT, payload, sizeof(payload), 0);
	assert_int_equal(evlog_close(&log), 0);
	/* 4 MiB in 256 KiB writes: 16 and the last; one a page: 1,024 */
	assert_in_range(io_calls("syscw") - before, 1, 64);

	before = io_calls("syscr");
	assert_int_equal(evlog_reader_open(&r, path), 0);
	while ((rc = evlog_reader_next(&r, &ev)) == 1)
		n++;
	assert_int_equal(rc, 0);
	assert_int_equal(n, events + 1);	/* and the end record */
	evlog_reader_close(&r);
	/* 4 MiB in reads of a read-ahead block (64 KiB): 64, and the few of
	 * the open and the end */
	assert_in_range(io_calls("syscr") - before, 1, 96);
	unlink(path);
}

/* Records of every size, some across the reader's block boundaries and
 * one over several blocks, read back byte for byte, in order; the same
 * log cut inside a record is damage there, after the whole ones.  With
 * the read-ahead thread (ahead) and without. */
static void records_across_blocks(int ahead)
{
	char path[] = "/tmp/test_capture.XXXXXX";
	const uint32_t big = 3 * RA_BLOCK + 77;
	/* record k is payload + k: the room for the big one's offset too */
	unsigned char *payload = malloc(big + 700);
	struct evlog log;
	struct evlog_reader r;
	struct fc_event ev;
	uint32_t len[700], k, i;
	long cut = 0, size = 8;
	int fd = mkstemp(path), rc, n;

	assert_true(fd >= 0);
	assert_non_null(payload);
	close(fd);
	for (i = 0; i < big + 700; i++)
		payload[i] = (unsigned char)(i * 7 + 3);
	for (k = 0; k < 700; k++)
		len[k] = k == 350 ? big : (k * 389u) % 1500u;
	assert_int_equal(evlog_open(&log, path, 0), 0);
	for (k = 0; k < 700; k++) {
		evlog_emit(&log, FC_EV_UNMOUNT, payload + k, len[k], 0);
		size += (long)sizeof(struct fc_log_rec) + ((len[k] + 7) & ~7u);
		if (k == 400)	/* inside record 401, past the big one */
			cut = size + 20;
	}
	assert_int_equal(evlog_close(&log), 0);

	assert_int_equal(evlog_reader_open(&r, path), 0);
	if (ahead)
		assert_int_equal(evlog_reader_read_ahead(&r), 0);
	for (k = 0; k < 700; k++) {
		assert_int_equal(evlog_reader_next(&r, &ev), 1);
		assert_int_equal(ev.seq, k + 1);
		assert_int_equal(ev.len, len[k]);
		assert_memory_equal(ev.data, payload + k, len[k]);
	}
	assert_int_equal(evlog_reader_next(&r, &ev), 1);
	assert_int_equal(ev.kind, FC_EV_LOG_END);
	assert_int_equal(evlog_reader_next(&r, &ev), 0);
	evlog_reader_close(&r);

	assert_int_equal(truncate(path, cut), 0);
	assert_int_equal(evlog_reader_open(&r, path), 0);
	if (ahead)
		assert_int_equal(evlog_reader_read_ahead(&r), 0);
	n = 0;
	while ((rc = evlog_reader_next(&r, &ev)) == 1)
		n++;
	assert_int_equal(rc, -EPROTO);
	assert_int_equal(n, 401);
	assert_int_equal(r.offset, cut - 20);
	evlog_reader_close(&r);
	free(payload);
	unlink(path);
}

static void test_evlog__records_across_blocks_read_back_whole(void **state)
{
	records_across_blocks(0);
}

static void test_evlog__records_read_ahead_read_back_whole(void **state)
{
	records_across_blocks(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap__full_socket_parks_one_and_keeps_order),
		cmocka_unit_test(test_tap__held_reply_does_not_hold_requests),
		cmocka_unit_test(test_tap__drain_logs_what_was_queued_and_frees_held),
		cmocka_unit_test(test_tap__no_spin_relays_both_ways),
		cmocka_unit_test(test_evlog__given_payload_reaches_the_sink_only_live),
		cmocka_unit_test(test_evlog__cut_between_frames_is_cut_short),
		cmocka_unit_test(test_evlog__log_is_written_and_read_in_large_calls),
		cmocka_unit_test(test_evlog__records_across_blocks_read_back_whole),
		cmocka_unit_test(test_evlog__records_read_ahead_read_back_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
