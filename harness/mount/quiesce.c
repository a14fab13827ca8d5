/* mount/quiesce.c - make the kernel let go of what it caches of this mount
 * (FUSE_NOTIFY_PRUNE of the nodeids the wire ledger holds, or
 * FUSE_NOTIFY_INVAL_ENTRY of their names, or drop_caches) and wait, by
 * barrier, until every FORGET that follows has been read: "settled"
 * means nothing was in flight when the eviction began, the tap drained
 * what the kernel had queued afterwards (tap_drain), and a last round
 * brought no new FORGET. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <linux/fuse.h>
#include "util/clock.h"
#include "mount/evict.h"
#include "mount/interrupt.h"
#include "mount/quiesce.h"

static uint64_t now_us(void)
{
	return clock_now_ns() / 1000u;
}

static uint64_t now_ms(void)
{
	return clock_now_ns() / 1000000u;
}

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

static int drop_evict(struct session *s, uint64_t deadline)
{
	(void)s;
	(void)deadline;
	return drop_caches();
}

int quiesce_can_drop(void)
{
	return access("/proc/sys/vm/drop_caches", W_OK) == 0;
}

static int run_how = QUIESCE_AUTO;

void quiesce_set_how(int how)
{
	run_how = how;
}

int quiesce_possible(void)
{
	return run_how != QUIESCE_DROP || quiesce_can_drop();
}

int quiesce_how_parse(const char *s)
{
	static const char *const names[] = {
		[QUIESCE_AUTO] = "auto", [QUIESCE_DROP] = "drop-caches",
		[QUIESCE_NOTIFY] = "notify", [QUIESCE_PRUNE] = "prune",
	};
	int k;

	for (k = 0; k < (int)(sizeof(names) / sizeof(names[0])); k++)
		if (!strcmp(s, names[k]))
			return k;
	return -1;
}

/* Evict this mount's unused entries by the kernel's own notification:
 * FUSE_NOTIFY_INVAL_ENTRY for every name behind an outstanding reference,
 * deepest first so that a directory is unused by the time its turn
 * comes.  A dentry still in use (an open file, a cwd) stays, as with
 * drop_caches.  0, or -ENOTCONN once the connection is gone. */
static int notify_evict(struct session *s, uint64_t deadline)
{
	struct fc_dentry *v;
	size_t n, i;
	int rc;

	(void)deadline;
	if (!s->judge.named_refs)
		return 0;
	evlog_lock(s->log);
	rc = s->judge.named_refs(s->judge.arg, &v, &n);
	evlog_unlock(s->log);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		/* ENOENT: the kernel had no such dentry (fine) */
		rc = evict_entry(s->devfd, v[i].parent, v[i].name, v[i].len);
		if (rc == -ENOTCONN)
			break;
		rc = 0;
	}
	free(v);
	return rc;
}

/* Evict by nodeid: FUSE_NOTIFY_PRUNE of every nodeid behind an
 * outstanding reference, deepest first (a directory's dentry is in use
 * while a child's is cached), in messages of a thousand.  Aliases (hard
 * links) go with their inode, a nodeid the wire never named goes too,
 * and no directory lock is taken.  A directory that keeps negative
 * dentries (names looked up and not found, which the wire ledger does
 * not hold) is still in use after it: once the tap has read the FORGETs
 * the prune brought, the names still referenced are invalidated as the
 * notify quiesce does, which drops a directory's negative children with
 * it (d_invalidate).  0, or -ENOTCONN once the connection is gone. */
static int prune_evict(struct session *s, uint64_t deadline)
{
	uint64_t *v;
	size_t n;
	int rc;

	if (!s->judge.referenced_ids)
		return 0;
	evlog_lock(s->log);
	rc = s->judge.referenced_ids(s->judge.arg, &v, &n);
	evlog_unlock(s->log);
	if (rc)
		return rc;
	rc = evict_prune(s->devfd, v, n);
	free(v);
	if (rc == -ENOTCONN)
		return rc;
	rc = tap_drain(&s->tap, (unsigned)(deadline > now_ms() ?
					   deadline - now_ms() : 0));
	if (rc)
		return 0;	/* evict_rounds' own drain reports it */
	return notify_evict(s, deadline);
}

/* The method by which this mount can evict what `how` asks for: prune
 * only where the kernel's INIT spoke 7.45 or later. */
static int evict_how(const struct session *s, int how)
{
	if (how == QUIESCE_DROP)
		return QUIESCE_DROP;
	if (how != QUIESCE_NOTIFY &&
	    s->tap.kernel_minor >= EVICT_PRUNE_MINOR)
		return QUIESCE_PRUNE;
	return QUIESCE_NOTIFY;
}

static const struct {
	int (*evict)(struct session *s, uint64_t deadline);
	uint32_t method;       /* enum fc_quiesce_method */
} evictors[] = {
	[QUIESCE_DROP] = { drop_evict, FC_QUIESCE_DROP_CACHES },
	[QUIESCE_NOTIFY] = { notify_evict, FC_QUIESCE_NOTIFY },
	[QUIESCE_PRUNE] = { prune_evict, FC_QUIESCE_PRUNE },
};

/* The tap's counters: FORGET messages relayed, requests awaiting a
 * reply. */
static void read_counts(struct session *s, uint64_t *forgets, size_t *busy)
{
	*forgets = atomic_load(&s->tap.forgets_sent);
	*busy = tap_pending_count(&s->tap.pending);
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
		read_counts(s, &forgets, &busy);
		if (!busy)
			return 1;
		if (now_ms() >= deadline || unhealthy(s))
			return 0;
		nanosleep(&nap, NULL);
	}
}

/* --settle-ms: an extra quiet time after the barrier, for a kernel that
 * would queue FORGETs after drop_caches returns.  1 settled, 0 timed out. */
static int quiet_for(struct session *s, unsigned ms, uint64_t deadline)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	uint64_t last, now;
	size_t busy;
	unsigned quiet = 0;

	read_counts(s, &last, &busy);
	while (quiet < ms) {
		if (now_ms() >= deadline)
			return 0;
		nanosleep(&nap, NULL);
		read_counts(s, &now, &busy);
		quiet = now != last || busy ? 0 : quiet + 10;
		last = now;
	}
	return 1;
}

static size_t referenced(struct session *s)
{
	size_t n;

	if (!s->judge.referenced)
		return 0;
	evlog_lock(s->log);
	n = s->judge.referenced(s->judge.arg);
	evlog_unlock(s->log);
	return n;
}

/* Rounds of one eviction method, each followed by the drain barrier: at
 * least two (one pass of drop_caches only clears the REFERENCED bit of a
 * recently used dentry, fs/dcache.c dentry_lru_isolate; and dropping a
 * child can make its parent unused only afterwards), and again while a
 * round brought FORGETs.  Sets ev's method and rounds; returns settled
 * (1) or not (0). */
static uint32_t evict_rounds(struct session *s, int how, uint64_t deadline,
			     struct fc_ev_quiesce *ev)
{
	uint64_t before, after;
	unsigned round;
	size_t busy;
	int err;

	ev->method = evictors[how].method;
	for (round = 0; round < 16; round++) {
		if (!wait_idle(s, deadline))
			return 0;
		read_counts(s, &before, &busy);
		if (evictors[how].evict(s, deadline)) {
			ev->method = FC_QUIESCE_NONE;
			return 0;
		}
		err = tap_drain(&s->tap, (unsigned)(deadline > now_ms() ?
						    deadline - now_ms() : 0));
		if (err)
			return 0;
		ev->rounds++;
		read_counts(s, &after, &busy);
		if (round >= 1 && after == before)
			break;
	}
	return 1;
}

int quiesce_run(struct session *s, const struct quiesce_opts *q,
		uint32_t line, int full, uint32_t *method)
{
	struct fc_ev_quiesce ev = { .line = line, .full = (uint32_t)full };
	struct fc_ev_fs_ledger *led;
	uint64_t t0 = now_us(), deadline = now_ms() + q->timeout_ms;
	uint32_t len;
	int err, how;

	sync();
	/* auto: this mount's own names first, no host-wide drop; only when
	 * references remain after a full quiesce, and this process may, is
	 * drop_caches used as well (and named in the event) */
	how = evict_how(s, q->how);
	ev.settled = evict_rounds(s, how, deadline, &ev);
	if (q->how == QUIESCE_AUTO && full && ev.settled == 1 &&
	    referenced(s) && quiesce_can_drop())
		ev.settled = evict_rounds(s, QUIESCE_DROP, deadline, &ev);
	if (ev.settled && ev.method != FC_QUIESCE_NONE &&
	    q->settle_ms && !quiet_for(s, q->settle_ms, deadline))
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
	evlog_emit_give(s->log, FC_EV_FS_LEDGER, led, len);
	return 0;
}
