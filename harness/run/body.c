/* run/body.c - one scenario from a fresh mount to its logged verdict.
 *
 * The runner (scn_run) sees the harness only through struct scn_env; the
 * callbacks here turn its requests into log events, so that the live
 * checker and `replay` judge exactly the same stream.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include "mount/interrupt.h"
#include "mount/caps.h"
#include "run/body.h"
#include "mount/libseen.h"
#include "mount/session.h"
#include "util/treerm.h"
#include "judge/checker.h"
#include "run/profile.h"
#include "run/provoke.h"

struct scn_ctx {
	struct run_ctx *rc;
	struct session *sess;
	const struct scn *scn;
	const char *workrel;   /* working directory below the mount's root */
};

static const char *method_name(uint32_t method)
{
	return method == FC_QUIESCE_DROP_CACHES ? "drop_caches" :
	       method == FC_QUIESCE_NOTIFY ? "notify" :
	       method == FC_QUIESCE_PRUNE ? "prune" : "none";
}

static void cb_mark(void *ctx, uint32_t line)
{
	struct scn_ctx *sc = ctx;
	struct fc_ev_mark m = {
		.line = line, .tid = (uint32_t)syscall(SYS_gettid),
	};

	evlog_emit(sc->rc->log, FC_EV_MARK, &m, sizeof(m), 0);
}

static int cb_quiesce(void *ctx, uint32_t line, int full)
{
	struct scn_ctx *sc = ctx;
	uint32_t method;
	int err;

	err = quiesce_run(sc->sess, &sc->rc->quiesce, line, full, &method);
	sc->rc->quiesce_method = method_name(method);
	return err;
}

/* Log the assertion; the checker judges it as it is fed.  A violation it
 * records carries the CHECK event's seq. */
static int cb_check(void *ctx, const struct fc_ev_check *chk, char *msg,
		    size_t msglen)
{
	struct scn_ctx *sc = ctx;
	struct evlog *log = sc->rc->log;
	struct fc_ev_fs_ledger *led;
	const struct fc_violation *v;
	size_t i, n0, n1;
	uint64_t seq;
	uint32_t len;
	int err;

	if (chk->kind == FC_CHECK_ALIVE || chk->kind == FC_CHECK_FREED ||
	    chk->kind == FC_CHECK_COUNTS) {
		err = session_snapshot(sc->sess, chk->line, &led, &len);
		if (err) {
			snprintf(msg, msglen, "cannot read the reference "
				 "filesystem's ledger: %s", strerror(-err));
			return err;
		}
		evlog_emit_give(log, FC_EV_FS_LEDGER, led, len);
	}
	evlog_lock(log);
	n0 = checker_nviolations(sc->rc->judge);
	evlog_unlock(log);
	seq = evlog_emit(log, FC_EV_CHECK, chk, sizeof(*chk), 0);
	evlog_lock(log);
	n1 = checker_nviolations(sc->rc->judge);
	for (i = n0, v = NULL; i < n1; i++) {
		const struct fc_violation *c = checker_violation(sc->rc->judge,
								 i);

		if (c->seq == seq) {
			v = c;
			break;
		}
	}
	if (v)
		snprintf(msg, msglen, "%s: %s", v->rule->id, v->detail);
	evlog_unlock(log);
	return v ? 1 : 0;
}

/* An expectation that failed, logged where it failed under the rule of
 * what it checked: its seq and the excerpt around it show the request
 * that failed. */
static void cb_expect(void *ctx, uint32_t line, const char *rule,
		      const char *message)
{
	struct scn_ctx *sc = ctx;

	if (session_healthy(sc->sess))
		run_emit_expect(sc->rc->log, line, rule, message);
}

static int cb_evict(void *ctx, uint32_t line, const char *path)
{
	struct scn_ctx *sc = ctx;

	return provoke_evict(sc->rc, sc->sess, sc->workrel, line, path);
}

static int cb_delay(void *ctx, uint32_t line, uint32_t opcode, uint32_t us,
		    int replies)
{
	struct scn_ctx *sc = ctx;

	return provoke_delay(sc->rc, sc->sess, line, opcode, us, replies);
}

static const char *cb_gone(void *ctx)
{
	struct scn_ctx *sc = ctx;
	static char why[64];   /* the scenario runner's thread only */

	if (interrupt_pending()) {
		snprintf(why, sizeof(why), "interrupted by %s",
			 interrupt_name());
		return why;
	}
	return session_healthy(sc->sess) ? NULL : "the session broke";
}

int run_fs_cmd(const struct run_ctx *rc, const struct scn *s, char **cmd)
{
	const char *extra = s ? scn_memfs_args(s) : "";
	size_t n;

	if (rc->fs_cmd) {
		*cmd = strdup(rc->fs_cmd);
		return *cmd ? 0 : -ENOMEM;
	}
	n = strlen(rc->memfs_cmd) + strlen(extra) + 32;
	*cmd = malloc(n);
	if (!*cmd)
		return -ENOMEM;
	snprintf(*cmd, n, "%s %s {mountpoint}", rc->memfs_cmd, extra);
	return 0;
}

/* --- what the session may ask of the judge (struct judge_view) --- */

static int view_named_refs(void *arg, struct fc_dentry **out, size_t *n)
{
	return checker_named_refs(arg, out, n);
}

static int view_referenced_ids(void *arg, uint64_t **out, size_t *n)
{
	return checker_referenced_ids(arg, out, n);
}

static size_t view_referenced(void *arg)
{
	return checker_referenced(arg);
}

static void view_describe(void *arg, uint64_t unique, char *buf,
			  size_t size)
{
	checker_describe_request(arg, unique, buf, size);
}

/* A filesystem that crashed by itself after the unmount (no request was
 * waiting, so the watchdog saw no death): a finding too. */
static void record_unmount_crash(struct run_ctx *rc, const struct session *s)
{
	char msg[300];

	if (s->death.died || !s->exited_alone ||
	    !WIFSIGNALED(s->exit_status))
		return;
	snprintf(msg, sizeof(msg), "the filesystem was %s at unmount",
		 s->exit_how);
	run_emit_expect(rc->log, 0, "PR-FS-DIED", msg);
}

static uint32_t view_line_of(void *arg, uint64_t unique)
{
	return checker_request_line(arg, unique);
}

/* The filesystem ended while the kernel waited for it: a finding
 * (PR-FS-DIED) at the line the unanswered request came from, beside the
 * broken verdict, so that the report names the request that killed it. */
static void record_death(struct run_ctx *rc, const struct session *s,
			 const char *during)
{
	const struct session_death *d = &s->death;
	char msg[900];

	if (!d->died)
		return;
	snprintf(msg, sizeof(msg), "the filesystem %s%s while the kernel "
		 "waited for its reply to %s unique=%llu%s%s", d->how, during,
		 proto_op_name(d->opcode), (unsigned long long)d->unique,
		 d->what[0] ? " " : "", d->what);
	run_emit_expect(rc->log, d->line, "PR-FS-DIED", msg);
}

static int start(struct run_ctx *rc, const struct scn *s,
		 struct session *sess, char *err, size_t errlen)
{
	struct session_opts o = {
		.max_pages = rc->max_pages,
		.init_set = rc->init_set,
		.reply_delay_us = rc->reply_delay_us,
		.relay_spin_us = rc->relay_spin_us,
		.out_fd = rc->fs_out_fd,
		.conn = ++rc->conn,
		.attach = rc->attach,
		.request_timeout_ms = rc->request_timeout_ms,
		.init_timeout_ms = 10000 * (int)(rc->time_scale ? rc->time_scale : 1),
		.fs_as_user = rc->fs_as_user,
		.fs_host_pidns = rc->fs_host_pidns,
		.fs_uid = rc->fs_uid,
		.fs_gid = rc->fs_gid,
	};
	char *cmd;
	int ret;

	/* a store a scenario may have damaged is made again, so that one
	 * corruption is one finding, not the ruin of every later mount
	 * (the first mount uses the one run_profile_open set up) */
	if (rc->prof && profile_fresh_per_mount(rc->prof) && rc->conn > 1) {
		ret = profile_refresh(rc->prof, rc->fs_out_fd, err, errlen);
		if (ret)
			return ret;
	}
	ret = run_fs_cmd(rc, s, &cmd);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	o.fs_cmd = cmd;
	if (rc->fs_out_fd >= 0)
		dprintf(rc->fs_out_fd, "=== %s: %s\n",
			s ? scn_name(s) : "probe", cmd);
	ret = session_start(sess, rc->mnt, &o, rc->log, err, errlen);
	/* auto settles on the first method that works, for every mount. */
	if (!ret) {
		rc->attach = sess->attach;
		if (rc->judge)
			sess->judge = (struct judge_view){
				.arg = rc->judge,
				.named_refs = view_named_refs,
				.referenced_ids = view_referenced_ids,
				.referenced = view_referenced,
				.describe = view_describe,
				.line_of = view_line_of,
			};
	}
	free(cmd);
	return ret;
}

/* A name to look at twice: one made for it when the filesystem is
 * writable (*made = 1), else the first entry of the root. */
static int ino_probe_name(const char *mnt, unsigned caps, char *path,
			  size_t size, int *made)
{
	struct dirent *de;
	DIR *d;
	int fd;

	*made = 0;
	if (caps & SCN_REQ_WRITE) {
		snprintf(path, size, "%s/.fusecheck-ino-probe", mnt);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
		*made = 1;
		return 0;
	}
	d = opendir(mnt);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			break;
	if (de)
		snprintf(path, size, "%s/%s", mnt, de->d_name);
	closedir(d);
	return de ? 0 : -ENOENT;
}

/* Does a file handle taken before the kernel forgot the inode open
 * after it?  The kernel then asks LOOKUP "." of the nodeid
 * (fs/fuse/inode.c fuse_get_dentry), which needs FUSE_EXPORT_SUPPORT and
 * a filesystem that still knows the nodeid: libfuse's high level forgets
 * its nodes with the kernel and answers ESTALE (unless -o noforget),
 * which is its right.  It also needs CAP_DAC_READ_SEARCH.  Called with
 * the handle taken and the kernel's caches dropped, before anything
 * looks the name up again. */
static int handle_reopens(const char *mnt, struct file_handle *fh)
{
	int mfd, fd;

	/* not O_PATH: the kernel takes the mount from an open file */
	mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return 0;
	fd = open_by_handle_at(mfd, fh, O_PATH | O_CLOEXEC);
	close(mfd);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* What survives the kernel forgetting a file, looked at across an
 * unjudged quiesce (a settle):
 * - SCN_REQ_STABLE_INO, its st_ino: a high-level libfuse filesystem
 *   without -o use_ino gives a node a new number once it was forgotten
 *   (docs/rules.md, EX-INO-STABLE); also when it cannot be told;
 * - SCN_REQ_EXPORT, a file handle to it (handle_reopens). */
static unsigned probe_after_forget(struct run_ctx *rc, struct session *sess,
				   unsigned caps)
{
	struct {
		struct file_handle fh;
		unsigned char room[MAX_HANDLE_SZ];
	} h;
	struct stat a, b;
	char path[4200];
	uint32_t method;
	int made, have_handle, mnt_id, ctl = sess->ctl;
	unsigned found = SCN_REQ_STABLE_INO;

	if (!(caps & SCN_REQ_DROP_CACHES) ||
	    ino_probe_name(rc->mnt, caps, path, sizeof(path), &made))
		return found;
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	have_handle = !name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt_id,
					 0);
	/* no ledger snapshot: this quiesce belongs to no scenario and
	 * judges nothing */
	sess->ctl = -1;
	if (lstat(path, &a) == 0 &&
	    quiesce_run(sess, &rc->quiesce, 0, 0, &method) == 0 &&
	    method != FC_QUIESCE_NONE) {
		if (have_handle && handle_reopens(rc->mnt, &h.fh))
			found |= SCN_REQ_EXPORT;
		if (lstat(path, &b) == 0 && a.st_ino != b.st_ino)
			found &= ~(unsigned)SCN_REQ_STABLE_INO;
	}
	sess->ctl = ctl;
	if (made)
		unlink(path);
	return found;
}

int run_probe(struct run_ctx *rc, unsigned *caps, char *err, size_t errlen)
{
	struct session sess;
	int ret;

	ret = start(rc, NULL, &sess, err, errlen);
	if (ret)
		return ret;
	*caps = probe_caps(rc->mnt);
	/* INIT is answered: the filesystem's libfuse, if any, is mapped */
	if (libseen_mapped(sess.fs.pid, rc->fs_libfuse,
			   sizeof(rc->fs_libfuse)))
		rc->fs_libfuse[0] = '\0';
	/* the name limit the filesystem declares, for "…"*NAME_MAX */
	{
		struct statvfs sv;

		if (statvfs(rc->mnt, &sv) == 0)
			rc->namemax = (unsigned)sv.f_namemax;
	}
	if (sess.ctl >= 0)
		*caps |= SCN_REQ_REFLEDGER;
	*caps |= probe_after_forget(rc, &sess, *caps);
	if (session_stop(&sess)) {
		/* A filesystem that crashed under the probe's calls has a
		 * bug the scenarios should see too: the crash is a finding,
		 * and the run goes on with what was probed before it. */
		if (sess.death.died) {
			record_death(rc, &sess, " during the capability probe");
			return 0;
		}
		snprintf(err, errlen, "%s", sess.broken);
		return -EIO;
	}
	return 0;
}

static void emit_scenario(struct evlog *log, uint32_t phase, uint32_t index,
			  uint32_t status, const char *file,
			  const char *reason)
{
	size_t flen = strlen(file) + 1, rlen = strlen(reason) + 1;
	struct fc_ev_scenario *ev = calloc(1, sizeof(*ev) + flen + rlen);

	if (!ev)
		return;
	ev->phase = phase;
	ev->index = index;
	ev->status = status;
	memcpy(ev->text, file, flen);
	memcpy(ev->text + flen, reason, rlen);
	evlog_emit(log, FC_EV_SCENARIO, ev,
		   (uint32_t)(sizeof(*ev) + flen + rlen), 0);
	free(ev);
}

void run_emit_expect(struct evlog *log, uint32_t line, const char *rule,
			const char *message)
{
	size_t mlen = strlen(message) + 1;
	struct fc_ev_expect *ev = calloc(1, sizeof(*ev) + mlen);

	if (!ev)
		return;
	ev->line = line;
	snprintf(ev->rule, sizeof(ev->rule), "%s", rule);
	memcpy(ev->message, message, mlen);
	evlog_emit(log, FC_EV_EXPECT, ev, (uint32_t)(sizeof(*ev) + mlen), 0);
	free(ev);
}

/* An expectation in a lifecycle scenario breaks its lifecycle rule. */
/* Remove the scenario's working directory through the mount. */
static int rmtree(const char *path, char *msg, size_t msglen)
{
	char where[256] = "";
	int rc = treerm_at(AT_FDCWD, path, where, sizeof(where));

	if (rc)
		snprintf(msg, msglen, "cleanup: cannot remove the scenario's "
			 "working directory: %s %s", strerror(-rc), where);
	return rc;
}

static void missing_caps(unsigned missing, char *buf, size_t size)
{
	char names[256];

	snprintf(buf, size, "requires %s",
		 scn_req_list(missing, names, sizeof(names)));
}

/* The scenario as a body: the runner with the env callbacks. */
static int scenario_body(struct run_ctx *rc, struct session *sess, const char *dir,
		    void *arg, char *reason, size_t reason_len,
		    uint32_t *status)
{
	const struct scn *s = arg;
	size_t mlen = strlen(rc->mnt);
	struct scn_ctx sc = { .rc = rc, .sess = sess, .scn = s, .workrel = "" };
	struct scn_outcome out = { 0 };
	struct scn_env env = {
		.mnt = dir, .caps = rc->caps, .namemax = rc->namemax,
		.ctx = &sc, .mark = cb_mark,
		.quiesce = cb_quiesce, .check = cb_check, .gone = cb_gone,
		.expect = cb_expect, .evict = cb_evict, .delay = cb_delay,
	};
	size_t i;
	int ret;

	/* the working directory is the mount's root or a directory in it */
	if (!strncmp(dir, rc->mnt, mlen) && dir[mlen] == '/')
		sc.workrel = dir + mlen + 1;
	ret = scn_run(s, &env, &out);
	if (ret < 0) {
		snprintf(reason, reason_len, "the runner failed: %s",
			 strerror(-ret));
		*status = FC_SCN_ST_BROKEN;
	} else if (out.status == FC_SCN_ST_SKIP ||
		   out.status == FC_SCN_ST_BROKEN) {
		snprintf(reason, reason_len, "%s",
			 out.reason ? out.reason : "");
		*status = (uint32_t)out.status;
	}
	/* Failures were told as they happened (cb_expect); what is left is
	 * the note of failures not kept.  Once the session broke, failed
	 * syscalls are its consequence (ENOTCONN), not findings: the BROKEN
	 * verdict says it all. */
	rc->ino_unjudged += out.ino_unjudged;
	rc->ledger_unjudged += out.ledger_unjudged;
	for (i = 0; i < out.nfailures && session_healthy(sess); i++)
		if (!out.failures[i].reported)
			run_emit_expect(rc->log, out.failures[i].line,
					out.failures[i].rule,
					out.failures[i].message);
	scn_outcome_free(&out);
	return 0;
}

int run_scenario(struct run_ctx *rc, const struct scn *s, uint32_t index)
{
	struct run_body b = {
		.file = scn_file(s), .name = scn_name(s),
		.requires = scn_requires(s), .scn = s,
		.timeout_s = scn_timeout_s(s) *
			     (rc->time_scale ? rc->time_scale : 1),
		.fn = scenario_body, .arg = (void *)s,
	};

	return run_on_fresh_mount(rc, &b, index);
}

int run_on_fresh_mount(struct run_ctx *rc, const struct run_body *b, uint32_t index)
{
	struct session sess;
	char reason[600] = "", workdir[4096];
	unsigned missing = b->requires & ~rc->caps;
	uint32_t status = FC_SCN_ST_PASS, method;
	int use_workdir = (rc->caps & SCN_REQ_WRITE) != 0;
	int ret;

	emit_scenario(rc->log, FC_SCN_BEGIN, index, 0, b->file, "");
	if (interrupt_pending()) {
		snprintf(reason, sizeof(reason), "interrupted by %s",
			 interrupt_name());
		status = FC_SCN_ST_BROKEN;
		goto out_end;
	}
	if (missing) {
		missing_caps(missing, reason, sizeof(reason));
		status = FC_SCN_ST_SKIP;
		goto out_end;
	}
	if (start(rc, b->scn, &sess, reason, sizeof(reason))) {
		status = FC_SCN_ST_BROKEN;
		goto out_end;
	}
	snprintf(workdir, sizeof(workdir), "%s", rc->mnt);
	if (use_workdir) {
		snprintf(workdir, sizeof(workdir), "%s/%s", rc->mnt, b->name);
		if (mkdir(workdir, 0755) < 0) {
			snprintf(reason, sizeof(reason), "cannot create the "
				 "working directory: %s", strerror(errno));
			status = FC_SCN_ST_BROKEN;
			goto out_stop;
		}
	}
	/* Bodies time themselves out (the scenario interpreter; exec ends
	 * its program at --timeout); the session deadline, 10 s after the
	 * body's own, is the last resort against a filesystem that hangs a
	 * syscall for good, and the only bound of the leak probe's cycles. */
	session_set_deadline(&sess, (b->timeout_s + 10) * 1000);
	b->fn(rc, &sess, workdir, b->arg, reason, sizeof(reason), &status);
	provoke_reset(&sess);

	session_set_deadline(&sess, 30000);
	if (use_workdir && session_healthy(&sess)) {
		char msg[512];

		if (rmtree(workdir, msg, sizeof(msg)))
			run_emit_expect(rc->log, 0, "SCN-EXPECT", msg);
	}
	if (session_healthy(&sess)) {
		ret = quiesce_run(&sess, &rc->quiesce, 0, 1, &method);
		rc->quiesce_method = method_name(method);
		if (ret && status != FC_SCN_ST_BROKEN) {
			snprintf(reason, sizeof(reason), "cannot read the "
				 "reference filesystem's ledger: %s",
				 strerror(-ret));
			status = FC_SCN_ST_BROKEN;
		}
	}
out_stop:
	if (session_stop(&sess)) {
		snprintf(reason, sizeof(reason), "%s", sess.broken);
		status = FC_SCN_ST_BROKEN;
	}
	record_death(rc, &sess, "");
	record_unmount_crash(rc, &sess);
	/* the same signal may have ended the filesystem first: the cause
	 * is the interrupt */
	if (status == FC_SCN_ST_BROKEN && interrupt_pending() &&
	    strncmp(reason, "interrupted", 11) != 0) {
		char why[sizeof(reason)];

		snprintf(why, sizeof(why), "%s", reason);
		snprintf(reason, sizeof(reason), "interrupted by %s; %.500s",
			 interrupt_name(), why);
	}
out_end:
	emit_scenario(rc->log, FC_SCN_END, index, status, b->file, reason);
	return 0;
}
