/* quiesce.c - drop caches and wait, by barrier, until every FORGET the
 * drop queued has been read: "settled" means nothing was in flight when
 * caches were dropped, the tap drained what the kernel had queued
 * afterwards (tap_drain), and a last round brought no new FORGET. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "interrupt.h"
#include "quiesce.h"

static int drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "2", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

int quiesce_can_drop(void)
{
	return access("/proc/sys/vm/drop_caches", W_OK) == 0;
}

static void read_counts(struct evlog *log, uint64_t *forgets, size_t *busy)
{
	evlog_lock(log);
	*forgets = checker_forgets(log->checker);
	*busy = checker_inflight(log->checker);
	evlog_unlock(log);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The connection can no longer come to rest: nothing to wait for. */
static int unhealthy(struct session *s)
{
	return !session_healthy(s) || interrupt_pending() || s->tap.fs_gone ||
	       s->tap.dev_gone || tap_error_set(&s->tap);
}

/* Wait until no request is in flight: an inode whose RELEASE is still
 * out is pinned by the kernel and would not be evicted by the drop.
 * 1 when idle, 0 at the deadline or once the connection broke. */
static int wait_idle(struct session *s, uint64_t deadline)
{
	struct timespec nap = { 0, 500 * 1000 };
	uint64_t forgets;
	size_t busy;

	for (;;) {
		read_counts(s->log, &forgets, &busy);
		if (!busy)
			return 1;
		if (now_ms() >= deadline || unhealthy(s))
			return 0;
		nanosleep(&nap, NULL);
	}
}

/* --settle-ms: an extra quiet time after the barrier, for a kernel that
 * would queue FORGETs after drop_caches returns.  1 settled, 0 timed out. */
static int quiet_for(struct evlog *log, unsigned ms, uint64_t deadline)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	uint64_t last, now;
	size_t busy;
	unsigned quiet = 0;

	read_counts(log, &last, &busy);
	while (quiet < ms) {
		if (now_ms() >= deadline)
			return 0;
		nanosleep(&nap, NULL);
		read_counts(log, &now, &busy);
		quiet = now != last || busy ? 0 : quiet + 10;
		last = now;
	}
	return 1;
}

int quiesce_run(struct session *s, const struct quiesce_opts *q,
		uint32_t line, int full, uint32_t *method)
{
	struct fc_ev_quiesce ev = { .line = line, .full = (uint32_t)full };
	struct fc_ev_fs_ledger *led;
	uint64_t before, after, t0 = now_us(),
		 deadline = now_ms() + q->timeout_ms;
	unsigned round;
	uint32_t len;
	size_t busy;
	int err;

	sync();
	ev.method = FC_QUIESCE_DROP_CACHES;
	ev.settled = 1;
	/* A barrier, not a clock: drop_caches evicts and queues every
	 * FORGET before its write returns, and tap_drain returns once the
	 * tap has read and logged all that the kernel had queued.  One pass
	 * of drop_caches only clears the REFERENCED bit of a recently used
	 * dentry (fs/dcache.c dentry_lru_isolate rotates it), and dropping a
	 * child can make its parent unused only afterwards: drop at least
	 * twice, and again while a round still brought FORGETs. */
	for (round = 0; round < 16; round++) {
		if (!wait_idle(s, deadline)) {
			ev.settled = 0;
			break;
		}
		read_counts(s->log, &before, &busy);
		if (drop_caches()) {
			ev.method = FC_QUIESCE_NONE;
			break;
		}
		err = tap_drain(&s->tap, (unsigned)(deadline > now_ms() ?
						    deadline - now_ms() : 0));
		if (err) {
			ev.settled = 0;
			break;
		}
		read_counts(s->log, &after, &busy);
		if (round >= 1 && after == before)
			break;
	}
	ev.rounds = round + (round < 16);
	if (ev.settled && ev.method == FC_QUIESCE_DROP_CACHES &&
	    q->settle_ms && !quiet_for(s->log, q->settle_ms, deadline))
		ev.settled = 0;
	if (ev.method == FC_QUIESCE_NONE)
		ev.settled = 0;
	/* After an abort or an interrupt the kernel forgot everything at
	 * once, or the FORGETs never came: a count then proves nothing.  The
	 * watchdog notices a dead filesystem within 20 ms; the tap's own
	 * flags close that window. */
	if (unhealthy(s))
		ev.settled = 2;
	*method = ev.method;
	ev.spent_us = (uint32_t)(now_us() - t0);
	evlog_emit(s->log, FC_EV_QUIESCE, &ev, sizeof(ev), 0);
	if (s->ctl < 0 || !session_healthy(s))
		return 0;
	err = session_snapshot(s, line, &led, &len);
	if (err)
		return err;
	evlog_emit(s->log, FC_EV_FS_LEDGER, led, len, 0);
	free(led);
	return 0;
}
