/* quiesce.c - drop caches and wait for FORGETs to settle.  FORGETs are
 * queued apart from other requests (kernel fs/fuse/dev.c) and read by the
 * tap whenever it gets to them, so "settled" means: the number seen has
 * not moved for settle_ms and nothing is in flight. */
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

/* Wait until FORGETs stop: 1 settled, 0 timed out. */
static int settle(struct evlog *log, const struct quiesce_opts *q,
		  unsigned *spent)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	uint64_t last, now;
	size_t busy;
	unsigned quiet = 0;

	read_counts(log, &last, &busy);
	while (*spent < q->timeout_ms) {
		nanosleep(&nap, NULL);
		*spent += 10;
		read_counts(log, &now, &busy);
		if (now != last || busy) {
			last = now;
			quiet = 0;
			continue;
		}
		quiet += 10;
		if (quiet >= q->settle_ms)
			return 1;
	}
	return 0;
}

int quiesce_run(struct session *s, const struct quiesce_opts *q,
		uint32_t line, int full, uint32_t *method)
{
	struct fc_ev_quiesce ev = { .line = line, .full = (uint32_t)full };
	struct fc_ev_fs_ledger *led;
	uint64_t before, after;
	unsigned spent = 0, round;
	uint32_t len;
	size_t busy;
	int err;

	sync();
	ev.method = FC_QUIESCE_DROP_CACHES;
	/* One pass of drop_caches only clears the REFERENCED bit of a
	 * recently used dentry (fs/dcache.c dentry_lru_isolate rotates it),
	 * and dropping a child can make its parent unused only afterwards:
	 * drop at least twice, and again while a round still brought
	 * FORGETs. */
	for (round = 0; round < 6; round++) {
		read_counts(s->log, &before, &busy);
		if (drop_caches()) {
			ev.method = FC_QUIESCE_NONE;
			break;
		}
		ev.settled = (uint32_t)settle(s->log, q, &spent);
		read_counts(s->log, &after, &busy);
		if (!ev.settled || (round >= 1 && after == before))
			break;
	}
	if (ev.method == FC_QUIESCE_NONE)
		ev.settled = 0;
	/* After an abort or an interrupt the kernel forgot everything at
	 * once, or the FORGETs never came: a count then proves nothing. */
	if (!session_healthy(s) || interrupt_pending())
		ev.settled = 2;
	*method = ev.method;
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
