/* mount/session.c - bring one mount of the filesystem under test up behind the
 * tap, watch it, and take it down again without leaving anything behind.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <grp.h>
#include <fusecheck/control.h>
#include "util/strlist.h"
#include "util/clock.h"
#include "mount/attach.h"
#include "mount/guardian.h"
#include "mount/interrupt.h"
#include "mount/mount.h"
#include "wire/proto.h"
#include "mount/session.h"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void session_break(struct session *s, const char *why)
{
	int first;

	pthread_mutex_lock(&s->lock);
	first = !s->broken[0];
	if (first)
		snprintf(s->broken, sizeof(s->broken), "%s", why);
	pthread_mutex_unlock(&s->lock);
	/* Blocked syscalls of the scenario return (ENOTCONN) only when the
	 * connection is aborted. */
	if (first && s->mounted)
		mnt_abort(s->dev);
}

int session_healthy(struct session *s)
{
	int ok;

	pthread_mutex_lock(&s->lock);
	ok = !s->broken[0];
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void session_set_deadline(struct session *s, unsigned ms)
{
	pthread_mutex_lock(&s->lock);
	s->deadline_ns = ms ? clock_now_ns() + (uint64_t)ms * 1000000u : 0;
	pthread_mutex_unlock(&s->lock);
}

/* The oldest request still waiting for a reply, from the tap's own table
 * (the judge only adds what it knows of it): its age in *age_ns (0: none)
 * and a description. */
static void oldest_request(struct session *s, char *buf, size_t size,
			   uint64_t *age_ns)
{
	uint64_t unique, since, now = clock_now_ns();
	uint32_t opcode;
	char what[400] = "";

	*age_ns = 0;
	snprintf(buf, size, "no request was waiting");
	if (!tap_pending_oldest(&s->tap.pending, &unique, &opcode, &since))
		return;
	if (s->judge.describe) {
		evlog_lock(s->log);
		s->judge.describe(s->judge.arg, unique, what, sizeof(what));
		evlog_unlock(s->log);
	}
	*age_ns = now > since ? now - since : 1;
	snprintf(buf, size, "%s unique=%llu%s%s, unanswered for %.1f s",
		 proto_op_name(opcode), (unsigned long long)unique,
		 what[0] ? " " : "", what, (double)*age_ns / 1e9);
}

/* Describe the death of the filesystem with the request it left, and
 * keep that request in s->death. */
static void describe_death(struct session *s, char *buf, size_t size)
{
	struct session_death *d = &s->death;
	char *how = d->how, req[384];
	uint64_t age, since;

	/* The process we started may be a wrapper that outlives the
	 * filesystem: then all we know is that the connection closed. */
	if (fsproc_wait(&s->fs, 200))
		fsproc_describe(&s->fs, how, sizeof(d->how));
	else
		snprintf(how, sizeof(d->how), "it closed its connection");
	if (!tap_pending_oldest(&s->tap.pending, &d->unique, &d->opcode,
				&since)) {
		d->unique = s->tap.last_request_unique;
		d->opcode = s->tap.last_request_opcode;
	}
	if (s->judge.line_of || s->judge.describe) {
		evlog_lock(s->log);
		if (s->judge.line_of)
			d->line = s->judge.line_of(s->judge.arg, d->unique);
		if (s->judge.describe)
			s->judge.describe(s->judge.arg, d->unique, d->what,
					  sizeof(d->what));
		evlog_unlock(s->log);
	}
	d->died = 1;
	oldest_request(s, req, sizeof(req), &age);
	snprintf(buf, size, "filesystem ended while the kernel waited (%s); "
		 "oldest request unanswered: %.250s; last request sent: %s "
		 "unique=%llu", d->how, req,
		 proto_op_name(s->tap.last_request_opcode),
		 (unsigned long long)s->tap.last_request_unique);
}

/* The per-request timeout: 1 with the verdict in why. */
static int request_timed_out(struct session *s, char *why, size_t size)
{
	uint64_t unique, since, age;
	uint32_t opcode;
	char req[384];

	if (!s->request_timeout_ns)
		return 0;
	/* the tap's table alone, every tick; the judge (under the log
	 * lock the relay threads take for every message) only once the
	 * limit has passed, to describe the request */
	if (!tap_pending_oldest(&s->tap.pending, &unique, &opcode, &since) ||
	    clock_now_ns() - since <= s->request_timeout_ns)
		return 0;
	oldest_request(s, req, sizeof(req), &age);
	snprintf(why, size, "request timeout: the filesystem did not answer "
		 "%s (limit %.0f s)", req,
		 (double)s->request_timeout_ns / 1e9);
	return 1;
}

static void *watchdog_loop(void *arg)
{
	struct session *s = arg;
	char why[512];
	uint64_t deadline;

	while (!s->stopping) {
		sleep_ms(20);
		if (s->stopping)
			break;
		if (interrupt_pending()) {
			snprintf(why, sizeof(why), "interrupted by %s",
				 interrupt_name());
			session_break(s, why);
			continue;
		}
		tap_error(&s->tap, why, sizeof(why));
		if (why[0]) {
			session_break(s, why);
			continue;
		}
		if (s->tap.fs_gone && !s->tap.dev_gone) {
			describe_death(s, why, sizeof(why));
			session_break(s, why);
			continue;
		}
		if (session_healthy(s) &&
		    request_timed_out(s, why, sizeof(why))) {
			session_break(s, why);
			continue;
		}
		pthread_mutex_lock(&s->lock);
		deadline = s->deadline_ns;
		pthread_mutex_unlock(&s->lock);
		if (deadline && clock_now_ns() > deadline) {
			snprintf(why, sizeof(why), "timed out: the scenario "
				 "did not finish in time; last request sent: "
				 "%s unique=%llu",
				 proto_op_name(s->tap.last_request_opcode),
				 (unsigned long long)
				 s->tap.last_request_unique);
			session_break(s, why);
			session_set_deadline(s, 0);
		}
	}
	return NULL;
}

static int exited_ok(const struct fsproc *p)
{
	return p->reaped && WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0;
}

static int wait_init(struct session *s, int timeout_ms, char *err,
		     size_t errlen)
{
	int waited = 0;
	char why[512];

	while (!s->tap.init_done) {
		if (interrupt_pending()) {
			snprintf(err, errlen, "interrupted by %s while "
				 "waiting for INIT", interrupt_name());
			return -EINTR;
		}
		tap_error(&s->tap, why, sizeof(why));
		if (why[0]) {
			snprintf(err, errlen, "%s", why);
			return -EPROTO;
		}
		/* A filesystem that daemonizes exits 0 while its daemon
		 * keeps the connection: only the end of the connection, or
		 * a failing exit, means it is gone. */
		if (s->tap.fs_gone ||
		    (fsproc_wait(&s->fs, 0) && !exited_ok(&s->fs))) {
			fsproc_wait(&s->fs, 500);
			fsproc_describe(&s->fs, why, sizeof(why));
			snprintf(err, errlen, "filesystem %s before answering "
				 "INIT (its output is in fs.log)", why);
			return -ECHILD;
		}
		if (waited >= timeout_ms) {
			snprintf(err, errlen, "filesystem did not answer INIT "
				 "within %d ms", timeout_ms);
			return -ETIMEDOUT;
		}
		sleep_ms(5);
		waited += 5;
	}
	/* an INIT reply the kernel took may still refuse (capture/tap.c) */
	tap_error(&s->tap, why, sizeof(why));
	if (why[0]) {
		snprintf(err, errlen, "%s", why);
		return -EPROTO;
	}
	return 0;
}

/* In the filesystem's process, just before exec: the attach method's
 * environment and filter, then the user it runs as (--fs-user): groups
 * first, the uid last, since the uid takes the right to change them. */
static int program_prepare(void *arg)
{
	struct session *s = arg;
	int rc = attach_child(&s->att);

	if (rc || !s->fs_as_user)
		return rc;
	if (setgroups(0, NULL) || setgid(s->fs_gid) || setuid(s->fs_uid))
		return -errno;
	return 0;
}

/* One attempt with one attach method (mount/attach.h). */
static int start_one(struct session *s, const char *mnt,
		     const struct session_opts *o, int method,
		     struct evlog *log, char *err, size_t errlen)
{
	int sv[2] = { -1, -1 }, cv[2] = { -1, -1 }, keep[2], nkeep = 0;
	char ctlnum[16], mount_ev[4096 + 8];
	struct fc_ev_mount *mev = (struct fc_ev_mount *)mount_ev;
	char **argv = NULL;
	int want_ctl = strstr(o->fs_cmd, "{control}") != NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	s->devfd = s->sock = s->ctl = -1;
	s->log = log;
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->mnt, sizeof(s->mnt), "%s", mnt);
	s->request_timeout_ns = (uint64_t)o->request_timeout_ms * 1000000u;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create the tap socketpair: %s",
			 strerror(errno));
		goto out_lock;
	}
	tap_size_socket(sv[0]);
	tap_size_socket(sv[1]);
	if (want_ctl &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cv) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create the control socketpair: "
			 "%s", strerror(errno));
		goto out_sockets;
	}
	rc = attach_prepare(&s->att, method, sv[1], err, errlen);
	if (rc)
		goto out_sockets;
	snprintf(s->att.hide, sizeof(s->att.hide), "%s", s->mnt);
	snprintf(ctlnum, sizeof(ctlnum), "%d", cv[1]);
	rc = fsproc_argv(o->fs_cmd, s->att.mountpoint, ctlnum, &argv, err,
			 errlen);
	if (rc)
		goto out_sockets;

	rc = mnt_fuse(s->mnt, &s->devfd, &s->dev);
	if (rc) {
		snprintf(err, errlen, "cannot mount FUSE at '%s': %s", s->mnt,
			 strerror(-rc));
		goto out_argv;
	}
	s->mounted = 1;
	guardian_watch(s->dev);
	s->sock = sv[0];
	s->ctl = cv[0];

	memset(mev, 0, sizeof(*mev));
	mev->conn = o->conn;
	snprintf(mev->fs_cmd, 4096, "%s", o->fs_cmd);
	evlog_emit(log, FC_EV_MOUNT, mev,
		   (uint32_t)(sizeof(*mev) + strlen(mev->fs_cmd) + 1), 0);

	s->tap.reply_delay_us = o->reply_delay_us;
	s->tap.spin_us = o->relay_spin_us < 0 ? TAP_DEFAULT_SPIN_US :
			 (uint32_t)o->relay_spin_us;
	s->tap.init_set = o->init_set;
	rc = tap_start(&s->tap, s->devfd, s->sock, log, o->max_pages);
	if (rc) {
		snprintf(err, errlen, "cannot start the tap: %s",
			 strerror(-rc));
		goto out_unmount;
	}
	keep[nkeep++] = sv[1];
	if (want_ctl)
		keep[nkeep++] = cv[1];
	s->fs_as_user = o->fs_as_user;
	s->fs_uid = o->fs_uid;
	s->fs_gid = o->fs_gid;
	rc = fsproc_spawn_hook(&s->fs, argv, keep, nkeep, o->out_fd,
			       o->fs_host_pidns ? FSPROC_HOST_PIDNS : 0,
			       program_prepare, s, err, errlen);
	close(sv[1]);
	sv[1] = -1;
	if (cv[1] >= 0)
		close(cv[1]);
	cv[1] = -1;
	if (rc)
		goto out_tap;
	rc = wait_init(s, o->init_timeout_ms ? o->init_timeout_ms : 10000,
		       err, errlen);
	if (rc)
		goto out_fs;
	rc = -pthread_create(&s->watchdog, NULL, watchdog_loop, s);
	if (rc) {
		snprintf(err, errlen, "cannot start the watchdog");
		goto out_fs;
	}
	s->watching = 1;
	strv_free(argv);
	return 0;

out_fs:
	mnt_abort(s->dev);
out_tap:
	/* session_stop knows the order of an orderly end. */
	strv_free(argv);
	session_stop(s);
	return rc;
out_unmount:
	mnt_unmount(s->mnt);
	evlog_emit(log, FC_EV_UNMOUNT, NULL, 0, 0);
	close(s->devfd);
	s->mounted = 0;
out_argv:
	strv_free(argv);
out_sockets:
	for (rc = 0; rc < 2; rc++) {
		if (sv[rc] >= 0)
			close(sv[rc]);
		if (cv[rc] >= 0)
			close(cv[rc]);
	}
	rc = -EIO;
out_lock:
	pthread_mutex_destroy(&s->lock);
	return rc;
}

struct start_try {
	struct session *s;
	const char *mnt;
	const struct session_opts *o;
	struct evlog *log;
};

static int start_try(void *ctx, int method, char *label, size_t labellen,
		     char *err, size_t errlen)
{
	struct start_try *t = ctx;
	int rc = start_one(t->s, t->mnt, t->o, method, t->log, err, errlen);

	snprintf(label, labellen, "%s", t->s->att.label);
	return rc;
}

int session_start(struct session *s, const char *mnt,
		  const struct session_opts *o, struct evlog *log,
		  char *err, size_t errlen)
{
	struct start_try t = { s, mnt, o, log };
	int used = ATTACH_FD, rc;

	rc = attach_start(o->attach, o->fs_cmd, start_try, &t, &used, err,
			  errlen);
	s->attach = used;
	return rc;
}

int session_stop(struct session *s)
{
	int hurry, waited;

	s->stopping = 1;
	if (s->watching)
		pthread_join(s->watchdog, NULL);
	s->watching = 0;
	/* A broken session or an interrupt must end within a couple of
	 * seconds (SIGINT/SIGTERM promise): no long grace periods then.
	 * Read after the watchdog stopped, which may have broken it last. */
	hurry = s->broken[0] || interrupt_pending();
	if (s->mounted) {
		mnt_unmount(s->mnt);
		/* A lazily detached mount keeps the connection while busy:
		 * abort it rather than wait. */
		for (waited = 0; !s->tap.dev_gone && waited < (hurry ? 200 : 2000);
		     waited += 10)
			sleep_ms(10);
		if (!s->tap.dev_gone)
			mnt_abort(s->dev);
	}
	if (s->tap.started)
		tap_stop_requests(&s->tap);
	/* a filesystem stopped (SIGSTOP) would sit out the grace period */
	if (s->broken[0])
		fsproc_signal(&s->fs, SIGCONT);
	s->exited_alone = fsproc_wait(&s->fs, hurry ? 300 : 5000);
	if (s->exited_alone) {
		s->exit_status = s->fs.status;
		fsproc_describe(&s->fs, s->exit_how, sizeof(s->exit_how));
	} else {
		fsproc_end(&s->fs, hurry ? 300 : 2000);
		snprintf(s->exit_how, sizeof(s->exit_how), "ended by fusecheck: "
			 "it had not exited %s after the unmount",
			 hurry ? "0.3 s" : "5 s");
	}
	if (s->tap.started)
		tap_stop(&s->tap);
	/* A daemon the filesystem forked has read end-of-file by now; it
	 * and anything else left in the filesystem's pid namespace ends
	 * here (mount/fsproc.c). */
	fsproc_end(&s->fs, hurry ? 300 : 2000);
	if (s->mounted) {
		/* the payload says how the filesystem ended, for the report
		 * (older logs carry none) */
		evlog_emit(s->log, FC_EV_UNMOUNT, s->exit_how,
			   (uint32_t)strlen(s->exit_how) + 1, 0);
		s->mounted = 0;
	}
	guardian_watch(0);
	if (s->devfd >= 0)
		close(s->devfd);
	if (s->sock >= 0)
		close(s->sock);
	if (s->ctl >= 0)
		close(s->ctl);
	s->devfd = s->sock = s->ctl = -1;
	pthread_mutex_destroy(&s->lock);
	return s->broken[0] ? 1 : 0;
}

/* A ledger is the filesystem's own account: bounded like any input from
 * a program we did not write, in time and in size. */
#define CTL_SNAPSHOT_MS 30000
#define CTL_SNAPSHOT_MAX_INODES (2u << 20)

/* One control message, waiting until the snapshot's deadline at most. */
static ssize_t ctl_recv(int fd, void *buf, size_t size, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now = clock_now_ns();
	int rc;

	if (now >= deadline)
		return -ETIMEDOUT;
	rc = poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1);

	if (rc <= 0)
		return rc == 0 ? -ETIMEDOUT : -errno;
	rc = (int)recv(fd, buf, size, 0);
	return rc < 0 ? -errno : rc;
}

/* One snapshot as the filesystem sends it; *forgets from its header. */
static int snapshot_once(struct session *s, uint32_t line,
			 struct fc_ev_fs_ledger **out, uint32_t *len,
			 uint32_t *forgets, uint64_t deadline);

int session_snapshot(struct session *s, uint32_t line,
		     struct fc_ev_fs_ledger **out, uint32_t *len)
{
	struct timespec nap = { 0, 200 * 1000 };
	uint32_t sent, handled = FC_CTL_FORGETS_UNKNOWN;
	uint64_t deadline = clock_now_ns() + (uint64_t)CTL_SNAPSHOT_MS * 1000000u;
	int err;

	/* A FORGET the tap forwarded may not have been handled yet: the
	 * filesystem says how many it had handled when it took the
	 * snapshot, and an older snapshot is taken again.  One deadline
	 * bounds them all: a peer that answers slowly and always stale
	 * cannot hold the run. */
	for (;;) {
		sent = atomic_load(&s->tap.forgets_sent);
		err = snapshot_once(s, line, out, len, &handled, deadline);
		if (err || handled == FC_CTL_FORGETS_UNKNOWN ||
		    (int32_t)(handled - sent) >= 0 || clock_now_ns() >= deadline)
			return err;
		free(*out);
		*out = NULL;
		nanosleep(&nap, NULL);
	}
}

static int snapshot_once(struct session *s, uint32_t line,
			 struct fc_ev_fs_ledger **out, uint32_t *len,
			 uint32_t *forgets, uint64_t deadline)
{
	char *msg = NULL, cmd = FC_CTL_SNAPSHOT;
	struct fc_ev_fs_ledger *led = NULL, *nl;
	struct fc_ctl_hdr hdr;
	size_t count = 0, bytes;
	ssize_t n;
	int err = 0;

	if (s->ctl < 0)
		return -ENOTCONN;
	msg = malloc(FC_CTL_MAX_MSG);
	led = calloc(1, sizeof(*led));
	if (!msg || !led) {
		err = -ENOMEM;
		goto out_free;
	}
	if (send(s->ctl, &cmd, 1, MSG_NOSIGNAL) != 1) {
		err = -errno;
		goto out_free;
	}
	for (;;) {
		n = ctl_recv(s->ctl, msg, FC_CTL_MAX_MSG, deadline);
		if (n < 0) {
			err = (int)n;
			goto out_free;
		}
		memcpy(&hdr, msg, (size_t)n < sizeof(hdr) ? (size_t)n :
		       sizeof(hdr));
		bytes = (size_t)hdr.count * sizeof(struct fc_fs_inode);
		if ((size_t)n < sizeof(hdr) || hdr.magic != FC_CTL_MAGIC ||
		    bytes != (size_t)n - sizeof(hdr)) {
			err = -EPROTO;
			goto out_free;
		}
		if (count + hdr.count > CTL_SNAPSHOT_MAX_INODES) {
			err = -EFBIG;
			goto out_free;
		}
		nl = realloc(led, sizeof(*led) + (count + hdr.count) *
			     sizeof(struct fc_fs_inode));
		if (!nl) {
			err = -ENOMEM;
			goto out_free;
		}
		led = nl;
		memcpy(&led->inodes[count], msg + sizeof(hdr), bytes);
		count += hdr.count;
		*forgets = hdr.forgets;
		if (hdr.last)
			break;
	}
	led->count = (uint32_t)count;
	led->line = line;
	*out = led;
	*len = (uint32_t)(sizeof(*led) + count * sizeof(struct fc_fs_inode));
	free(msg);
	return 0;

out_free:
	free(msg);
	free(led);
	return err;
}
