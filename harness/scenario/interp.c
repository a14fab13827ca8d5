/* scenario/interp.c - runs a parsed scenario: statements in order, parallel
 * blocks in threads released together, repeat, the shared descriptor and
 * tag tables, failures collected without stopping, and the scenario
 * timeout.  Syscalls themselves are in scenario/exec.c.
 *
 * A runner thread blocked in a syscall on a hung filesystem cannot be
 * cancelled safely.  On timeout scn_run returns BROKEN at once and leaves
 * the threads running detached; they own a reference on the scenario and
 * on their run state, call no env callback any more, and end at their next
 * statement once the harness aborts the connection (every syscall then
 * fails with ENOTCONN).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include "scenario/scn_int.h"

#define SCN_MAX_FAILURES 1000
/* how long stopping threads get once the harness says the run is over */
#define SCN_STOP_GRACE_S 2

struct scn_barrier {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned n, waiting;
	unsigned long gen;
	int broken;
};

struct scn_fdent {
	char *name;
	int fd;
};

/* Names a scenario may give handles and mappings: a file of `repeat`
 * loops must not grow the harness without bound. */
#define SCN_NAMED_MAX 4096

struct scn_handle {
	char *name;
	struct file_handle *fh;
};

struct scn_map {
	char *name;
	void *addr;
	size_t len;
};

struct scn_runst {
	atomic_int refs;              /* scn_run and the top thread */
	const struct scn *s;
	struct scn_env env;
	char *mnt;                    /* without a trailing '/' */
	int startcwd;                 /* O_PATH of the cwd at start */
	int chdired;                  /* the process cwd is under the mount */

	pthread_mutex_t mu;           /* everything below */
	pthread_cond_t donecv;
	int done;
	atomic_int stop;              /* broken: no further statement */
	atomic_int abandoned;         /* timed out: callbacks are off */
	unsigned cb_active;           /* callbacks under way (cb_enter) */
	pthread_cond_t cbcv;          /* cb_active reached 0 */
	struct scn_fdent *fds;
	size_t nfds;
	struct scn_handle *handles;   /* `handle` kept them, by name */
	size_t nhandles;
	struct scn_map *maps;         /* `mmap` made them, by name */
	size_t nmaps;
	uint64_t *tagino;
	unsigned char *tagset;
	unsigned *tagq;               /* quiesces done when it was bound */
	struct scn_walk *walks;       /* kept walks, by tag */
	unsigned quiesces;            /* quiesce, settle and evict statements
					 done: points after which the kernel
					 may have forgotten a file */
	unsigned ino_unjudged;        /* see scn_outcome */
	unsigned ledger_unjudged;     /* see scn_outcome */
	struct scn_failure *fails;
	size_t nfails;
	size_t dropped;
	char *broken;
	struct scn_thr *threads;      /* live runner threads */
	struct scn_thr top;
};

/* --- barrier that can be broken (a thread gave up, or timeout) --- */

static void bar_init(struct scn_barrier *b, unsigned n)
{
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->n = n;
	b->waiting = 0;
	b->gen = 0;
	b->broken = 0;
}

static void bar_destroy(struct scn_barrier *b)
{
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
}

/* 0 when all n arrived, -ECANCELED when the barrier was broken */
static int bar_wait(struct scn_barrier *b)
{
	unsigned long gen;
	int rc = 0;

	pthread_mutex_lock(&b->mu);
	gen = b->gen;
	if (++b->waiting == b->n) {
		b->waiting = 0;
		b->gen++;
		pthread_cond_broadcast(&b->cv);
	} else {
		while (gen == b->gen && !b->broken)
			pthread_cond_wait(&b->cv, &b->mu);
	}
	if (gen == b->gen && b->broken)
		rc = -ECANCELED;
	pthread_mutex_unlock(&b->mu);
	return rc;
}

static void bar_break(struct scn_barrier *b)
{
	pthread_mutex_lock(&b->mu);
	b->broken = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

static int bar_is_broken(struct scn_barrier *b)
{
	int v;

	pthread_mutex_lock(&b->mu);
	v = b->broken;
	pthread_mutex_unlock(&b->mu);
	return v;
}

/* --- failures --- */

static int cb_enter(struct scn_runst *r);
static void cb_leave(struct scn_runst *r);
static void record_failure(struct scn_thr *t, uint32_t line,
			   const char *rule, char *msg, int reported);

static void add_failure(struct scn_runst *r, uint32_t line,
			const char *rule, char *msg, int reported)
{
	struct scn_failure *nf;

	pthread_mutex_lock(&r->mu);
	if (atomic_load(&r->abandoned) || r->nfails >= SCN_MAX_FAILURES) {
		r->dropped++;
		goto out;
	}
	nf = realloc(r->fails, (r->nfails + 1) * sizeof(*nf));
	if (!nf) {
		r->dropped++;
		goto out;
	}
	r->fails = nf;
	nf[r->nfails].line = line;
	nf[r->nfails].rule = rule;
	nf[r->nfails].message = msg;
	nf[r->nfails].reported = reported;
	r->nfails++;
	msg = NULL;
out:
	pthread_mutex_unlock(&r->mu);
	free(msg);
}

void scn_fail(struct scn_thr *t, const struct scn_stmt *st, const char *rule,
	      const char *fmt, ...)
{
	char body[1024], *msg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (asprintf(&msg, "%s: %s%s%s%s", t->subject, body,
		     t->detail[0] ? " (" : "", t->detail,
		     t->detail[0] ? ")" : "") < 0)
		return;
	record_failure(t, st ? st->line : t->line, rule, msg, 0);
}

/* A failure of line: told to the harness now when it listens (env.expect)
 * unless it knows already, then kept for the outcome. */
static void record_failure(struct scn_thr *t, uint32_t line,
			   const char *rule, char *msg, int reported)
{
	struct scn_runst *r = t->r;

	if (!reported && r->env.expect && cb_enter(r)) {
		r->env.expect(r->env.ctx, line, rule, msg);
		cb_leave(r);
		reported = 1;
	}
	add_failure(r, line, rule, msg, reported);
}

/* The scenario cannot go on: BROKEN with this reason. */
static void scn_broken(struct scn_thr *t, const struct scn_stmt *st,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void scn_broken(struct scn_thr *t, const struct scn_stmt *st,
		       const char *fmt, ...)
{
	struct scn_runst *r = t->r;
	char body[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&r->mu);
	if (!r->broken &&
	    asprintf(&r->broken, "line %u: %s: %s", st ? st->line : t->line,
		     t->subject, body) < 0)
		r->broken = NULL;
	pthread_mutex_unlock(&r->mu);
	atomic_store(&r->stop, 1);
}

/* --- descriptors and tags --- */

int scn_fd_bind(struct scn_thr *t, const char *name, int fd)
{
	struct scn_runst *r = t->r;
	struct scn_fdent *nv;
	size_t k;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	for (k = 0; k < r->nfds; k++)
		if (!strcmp(r->fds[k].name, name)) {
			rc = -EEXIST;
			goto out;
		}
	nv = realloc(r->fds, (r->nfds + 1) * sizeof(*nv));
	if (!nv) {
		rc = -ENOMEM;
		goto out;
	}
	r->fds = nv;
	nv[r->nfds].name = strdup(name);
	if (!nv[r->nfds].name) {
		rc = -ENOMEM;
		goto out;
	}
	nv[r->nfds++].fd = fd;
out:
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int fd_find(struct scn_runst *r, const char *name, int take)
{
	size_t k;
	int fd = -1;

	pthread_mutex_lock(&r->mu);
	for (k = 0; k < r->nfds; k++) {
		if (strcmp(r->fds[k].name, name))
			continue;
		fd = r->fds[k].fd;
		if (take) {
			free(r->fds[k].name);
			r->fds[k] = r->fds[--r->nfds];
		}
		break;
	}
	pthread_mutex_unlock(&r->mu);
	return fd;
}

int scn_fd_take(struct scn_thr *t, const char *name)
{
	return fd_find(t->r, name, 1);
}

/* Every descriptor, and every mapping: a mapping holds its file open
 * (the RELEASE comes at munmap), so letting go of the files the scenario
 * holds means both. */
static void scn_fd_closeall(struct scn_runst *r)
{
	size_t k;

	pthread_mutex_lock(&r->mu);
	for (k = 0; k < r->nfds; k++) {
		close(r->fds[k].fd);
		free(r->fds[k].name);
	}
	r->nfds = 0;
	for (k = 0; k < r->nmaps; k++) {
		munmap(r->maps[k].addr, r->maps[k].len);
		free(r->maps[k].name);
	}
	r->nmaps = 0;
	pthread_mutex_unlock(&r->mu);
}

int scn_map_keep(struct scn_thr *t, const char *name, void *addr,
		 size_t len)
{
	struct scn_runst *r = t->r;
	struct scn_map *nv;
	size_t k;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	for (k = 0; k < r->nmaps; k++)
		if (!strcmp(r->maps[k].name, name)) {
			rc = -EEXIST;
			goto out;
		}
	if (r->nmaps == SCN_NAMED_MAX) {
		rc = -ENOSPC;
		goto out;
	}
	nv = realloc(r->maps, (r->nmaps + 1) * sizeof(*nv));
	if (!nv) {
		rc = -ENOMEM;
		goto out;
	}
	r->maps = nv;
	nv[r->nmaps].name = strdup(name);
	if (!nv[r->nmaps].name) {
		rc = -ENOMEM;
		goto out;
	}
	nv[r->nmaps].addr = addr;
	nv[r->nmaps++].len = len;
out:
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int scn_map_find(struct scn_thr *t, const char *name, int take,
		 void **addr, size_t *len)
{
	struct scn_runst *r = t->r;
	size_t k;
	int rc = -ENOENT;

	pthread_mutex_lock(&r->mu);
	for (k = 0; k < r->nmaps; k++) {
		if (strcmp(r->maps[k].name, name))
			continue;
		*addr = r->maps[k].addr;
		*len = r->maps[k].len;
		if (take) {
			free(r->maps[k].name);
			r->maps[k] = r->maps[--r->nmaps];
		}
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int scn_handle_keep(struct scn_thr *t, const char *name,
		    const struct file_handle *fh)
{
	struct scn_runst *r = t->r;
	size_t size = sizeof(*fh) + fh->handle_bytes, k;
	struct scn_handle *nv;
	struct file_handle *copy = malloc(size);
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, fh, size);
	pthread_mutex_lock(&r->mu);
	for (k = 0; k < r->nhandles; k++)
		if (!strcmp(r->handles[k].name, name)) {
			/* a name taken again names the newer handle */
			free(r->handles[k].fh);
			r->handles[k].fh = copy;
			goto out;
		}
	if (r->nhandles == SCN_NAMED_MAX) {
		free(copy);
		rc = -ENOSPC;
		goto out;
	}
	nv = realloc(r->handles, (r->nhandles + 1) * sizeof(*nv));
	if (!nv)
		goto nomem;
	r->handles = nv;
	nv[r->nhandles].name = strdup(name);
	if (!nv[r->nhandles].name)
		goto nomem;
	nv[r->nhandles++].fh = copy;
	goto out;
nomem:
	free(copy);
	rc = -ENOMEM;
out:
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int scn_handle_get(struct scn_thr *t, const char *name,
		   struct file_handle *fh, size_t room)
{
	struct scn_runst *r = t->r;
	size_t k;
	int rc = -ENOENT;

	pthread_mutex_lock(&r->mu);
	for (k = 0; k < r->nhandles; k++) {
		const struct file_handle *h = r->handles[k].fh;

		if (strcmp(r->handles[k].name, name))
			continue;
		rc = h->handle_bytes > room ? -EOVERFLOW : 0;
		if (!rc)
			memcpy(fh, h, sizeof(*h) + h->handle_bytes);
		break;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int scn_tag_get(struct scn_thr *t, long long tag, uint64_t *ino)
{
	struct scn_runst *r = t->r;
	int rc = -ENOENT;

	pthread_mutex_lock(&r->mu);
	if (r->tagset[tag]) {
		*ino = r->tagino[tag];
		rc = 0;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

void scn_walk_clear(struct scn_walk *w)
{
	size_t k;

	for (k = 0; k < w->n; k++)
		free(w->ents[k].path);
	free(w->ents);
	memset(w, 0, sizeof(*w));
}

void scn_walk_keep(struct scn_thr *t, long long tag, struct scn_walk *w)
{
	struct scn_runst *r = t->r;

	pthread_mutex_lock(&r->mu);
	if (!r->walks[tag].kept) {
		r->walks[tag] = *w;
		r->walks[tag].quiesces = r->quiesces;
		r->walks[tag].kept = 1;
		memset(w, 0, sizeof(*w));
	}
	pthread_mutex_unlock(&r->mu);
}

const struct scn_walk *scn_walk_get(struct scn_thr *t, long long tag)
{
	struct scn_runst *r = t->r;
	const struct scn_walk *w;

	pthread_mutex_lock(&r->mu);
	w = r->walks[tag].kept ? &r->walks[tag] : NULL;
	pthread_mutex_unlock(&r->mu);
	return w;
}

/* An identity bound when *bound_at quiesces were done is judged where
 * st_ino is stable or no quiesce came since (set: NULL, or nonzero when
 * it was bound at all); one not judged is counted. */
static int ino_judged(struct scn_runst *r, const unsigned *bound_at,
		      const unsigned char *set)
{
	int judged;

	if (r->env.caps & SCN_REQ_STABLE_INO)
		return 1;
	pthread_mutex_lock(&r->mu);
	judged = (set && !*set) || *bound_at == r->quiesces;
	if (!judged)
		r->ino_unjudged++;
	pthread_mutex_unlock(&r->mu);
	return judged;
}

int scn_walk_judged(struct scn_thr *t, long long tag)
{
	return ino_judged(t->r, &t->r->walks[tag].quiesces, NULL);
}

int scn_tag_judged(struct scn_thr *t, long long tag)
{
	return ino_judged(t->r, &t->r->tagq[tag], &t->r->tagset[tag]);
}

int scn_tag_bind(struct scn_thr *t, long long tag, uint64_t ino)
{
	struct scn_runst *r = t->r;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	if (!r->tagset[tag]) {
		r->tagset[tag] = 1;
		r->tagino[tag] = ino;
		r->tagq[tag] = r->quiesces;
		rc = 1;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

const char *scn_tag_name(struct scn_thr *t, long long tag)
{
	return t->r->s->tags[tag];
}

/* --- cwd --- */

int scn_stopping(struct scn_thr *t)
{
	return atomic_load(&t->r->stop) || atomic_load(&t->r->abandoned);
}

/* Callbacks into the harness run only while the run is not abandoned,
 * and scn_run does not return an abandoned run while one is under way:
 * the harness may tear its session down right after. */
static int cb_enter(struct scn_runst *r)
{
	int ok;

	pthread_mutex_lock(&r->mu);
	ok = !atomic_load(&r->abandoned);
	if (ok)
		r->cb_active++;
	pthread_mutex_unlock(&r->mu);
	return ok;
}

static void cb_leave(struct scn_runst *r)
{
	pthread_mutex_lock(&r->mu);
	if (!--r->cb_active)
		pthread_cond_broadcast(&r->cbcv);
	pthread_mutex_unlock(&r->mu);
}

const char *scn_root(struct scn_thr *t)
{
	return t->r->mnt;
}

int scn_cwd_enter(struct scn_thr *t, int dirfd)
{
	if (fchdir(dirfd))
		return -errno;
	t->r->chdired = 1;
	return 0;
}

int scn_cwd_leave(struct scn_thr *t)
{
	t->r->chdired = 0;
	if (fchdir(t->r->startcwd))
		return -errno;
	return 0;
}

/* --- ledger statements --- */

long scn_run_quiesce(struct scn_thr *t, const struct scn_stmt *st, int full)
{
	struct scn_runst *r = t->r;
	int rc;

	if (full) {
		scn_fd_closeall(r);
		scn_cwd_leave(t);
		sync();
	}
	if (!r->env.quiesce) {
		scn_broken(t, st, "the harness gave no quiesce callback");
		return 0;
	}
	if (!cb_enter(r))
		return -ECANCELED;
	rc = r->env.quiesce(r->env.ctx, st->line, full);
	cb_leave(r);
	/* counted even when it failed: the kernel may have forgotten */
	pthread_mutex_lock(&r->mu);
	r->quiesces++;
	pthread_mutex_unlock(&r->mu);
	if (rc < 0)
		scn_broken(t, st, "quiesce failed: %s", strerror(-rc));
	return 0;
}

long scn_run_check(struct scn_thr *t, const struct scn_stmt *st,
		   struct scn_val *v)
{
	struct scn_runst *r = t->r;
	struct fc_ev_check chk = {st->call->check_kind, st->line, 0, 0};
	char msg[512] = "";
	int rc;

	if (st->nargs && scn_tag_get(t, v[0].num, &chk.ino)) {
		scn_fail(t, st, SCN_EX_SCENARIO, "tag @%s is not bound (the "
			 "statement that "
				"binds it failed)",
			 scn_tag_name(t, v[0].num));
		return 0;
	}
	/* exact counts follow the inode by st_ino: where st_ino does not
	 * survive the kernel forgetting it, and it may have since the tag
	 * was bound, the tag names nothing reliably (counted, not judged) */
	if ((chk.kind == FC_CHECK_WATCH || chk.kind == FC_CHECK_HANDED ||
	     chk.kind == FC_CHECK_FORGOTTEN) && !scn_tag_judged(t, v[0].num))
		return 0;
	if (st->nargs > 1) {
		chk.expect = (uint64_t)(v[1].num & ~SCN_REFS_AT_LEAST);
		if (v[1].num & SCN_REFS_AT_LEAST)
			chk.kind = chk.kind == FC_CHECK_OUTSTANDING
					   ? FC_CHECK_OUTSTANDING_MIN
					   : chk.kind + 1; /* the _MIN after */
	}
	if ((chk.kind == FC_CHECK_ALIVE || chk.kind == FC_CHECK_FREED ||
	     chk.kind == FC_CHECK_COUNTS) &&
	    !(r->env.caps & SCN_REQ_REFLEDGER)) {
		pthread_mutex_lock(&r->mu);
		r->ledger_unjudged++;
		pthread_mutex_unlock(&r->mu);
		return 0;
	}
	if (!r->env.check) {
		scn_broken(t, st, "the harness gave no ledger callback");
		return 0;
	}
	if (!cb_enter(r))
		return -ECANCELED;
	rc = r->env.check(r->env.ctx, &chk, msg, sizeof(msg));
	cb_leave(r);
	if (rc == 1) {
		char *m;

		/* the harness recorded the violation (LC-OUTSTANDING …):
		 * the statement failed, and nothing is told twice */
		if (asprintf(&m, "%s: %s", t->subject,
			     msg[0] ? msg : "violated") >= 0)
			record_failure(t, st->line, SCN_EX_SCENARIO, m, 1);
	}
	else if (rc < 0)
		scn_broken(t, st, "%s", msg[0] ? msg : strerror(-rc));
	return 0;
}

/* Longest a scenario may hold an opcode's requests: a FORGET held for a
 * minute would only make the quiesce wait, never sharpen a race. */
#define SCN_DELAY_MAX_MS 10000

long scn_run_provoke(struct scn_thr *t, const struct scn_stmt *st,
		     struct scn_val *v)
{
	struct scn_runst *r = t->r;
	int is_evict = st->call->exec == scn_x_evict;
	int rc;

	if (is_evict ? !r->env.evict : !r->env.delay)
		return -ENOSYS;
	if (!is_evict && v[1].num > SCN_DELAY_MAX_MS) {
		scn_fail(t, st, SCN_EX_SCENARIO, "%lld ms is more than the "
			 "limit of %d ms", v[1].num, SCN_DELAY_MAX_MS);
		return 0;
	}
	if (!cb_enter(r))
		return -ECANCELED;
	rc = is_evict ? r->env.evict(r->env.ctx, st->line, v[0].s)
		      : r->env.delay(r->env.ctx, st->line,
				     (uint32_t)v[0].num,
				     (uint32_t)v[1].num * 1000u,
				     st->call->exec == scn_x_delay_reply);
	cb_leave(r);
	/* an evicted inode is forgotten like a quiesced one: where st_ino
	 * does not survive that, identities bound before are not judged */
	if (is_evict) {
		pthread_mutex_lock(&r->mu);
		r->quiesces++;
		pthread_mutex_unlock(&r->mu);
	}
	return rc;
}

unsigned scn_name_max(const struct scn_thr *t)
{
	return t->r->env.namemax;
}

long scn_run_barrier(struct scn_thr *t)
{
	return t->bar ? bar_wait(t->bar) : 0;
}

/* --- statements --- */

static int should_stop(struct scn_thr *t)
{
	return atomic_load(&t->r->stop) || atomic_load(&t->r->abandoned) ||
	       (t->bar && bar_is_broken(t->bar));
}

static void mark(struct scn_thr *t, uint32_t line)
{
	struct scn_runst *r = t->r;

	pthread_mutex_lock(&r->mu);
	t->line = line;
	pthread_mutex_unlock(&r->mu);
	if (r->env.mark && cb_enter(r)) {
		r->env.mark(r->env.ctx, line);
		cb_leave(r);
	}
}

static void vals_free(struct scn_val *v, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		free(v[k].s);
		free(v[k].fdname);
	}
}

static void subject_add(struct scn_thr *t, size_t *at, const char *s)
{
	size_t size = sizeof(t->subject);

	if (*at < size)
		*at += (size_t)snprintf(t->subject + *at, size - *at, " %s", s);
}

/* expand the arguments; 0, or -ENOMEM, or -EBADF when an FD name is not
 * open and the statement does not expect EBADF */
static int expand_args(struct scn_thr *t, const struct scn_stmt *st,
		       struct scn_val *v)
{
	struct scn_runst *r = t->r;
	char q[300];
	size_t k, at, rel_len;
	char *rel;
	int kind;

	at = (size_t)snprintf(t->subject, sizeof(t->subject), "%s",
			      st->call->name);
	for (k = 0; k < st->nargs; k++) {
		kind = st->call->args[k];
		v[k].num = st->args[k].num;
		v[k].fd = -1;
		if (kind == SCN_A_INT || kind == SCN_A_MODE ||
		    kind == SCN_A_OFLAGS || kind == SCN_A_RFLAGS ||
		    kind == SCN_A_REFS)
			continue;
		if (kind == SCN_A_OPCODE) {
			subject_add(t, &at, scn_word_lit(&st->args[k].w, NULL));
			continue;
		}
		if (kind == SCN_A_TAG) {
			snprintf(q, sizeof(q), "@%s",
				 scn_tag_name(t, st->args[k].num));
			subject_add(t, &at, q);
			continue;
		}
		rel = scn_word_expand(&st->args[k].w, t->i, t->n,
				      r->env.namemax, &rel_len);
		if (!rel)
			return -ENOMEM;
		if (kind == SCN_A_FD) {
			subject_add(t, &at, rel);
			v[k].fdname = rel;
			v[k].fd = fd_find(r, rel, 0);
			continue;
		}
		if (kind != SCN_A_DATA) {
			scn_quote(rel, rel_len, q, sizeof(q));
			subject_add(t, &at, q);
		}
		/* a PATH stays relative: the executors resolve it beneath
		 * the working directory (scenario/path.c) */
		v[k].s = rel;
		v[k].len = rel_len;
	}
	for (k = 0; k < st->nargs; k++) {
		if (st->call->args[k] != SCN_A_FD || v[k].fd >= 0)
			continue;
		/* the opens that bind the name need it not open */
		if (st->call->flags & SCN_CF_BINDS_FD)
			continue;
		if (scn_expects_errno(st, EBADF))
			continue;
		scn_fail(t, st, SCN_EX_SCENARIO, "descriptor %s is not open "
			 "(its open failed "
				"or it was closed)",
			 v[k].fdname);
		return -EBADF;
	}
	return 0;
}

static void ret_name(long ret, char *buf, size_t size)
{
	const char *n = ret < 0 ? scn_errno_name((int)-ret) : NULL;

	if (ret >= 0)
		snprintf(buf, size, "%ld", ret);
	else if (n)
		snprintf(buf, size, "%s", n);
	else
		snprintf(buf, size, "errno %ld", -ret);
}

/* EMFILE/ENFILE that came from our own descriptor table, not from the
 * filesystem (which may send any errno): a descriptor of ours cannot be
 * had right now either */
static int harness_out_of_fds(long ret)
{
	/* a call holds up to three descriptors of its own while it resolves
	 * (the working directory, two parents: scenario/path.c); fewer than that
	 * free is the harness's shortage */
	int fd[3], k, n = 0, e = 0;

	if (ret != -EMFILE && ret != -ENFILE)
		return 0;
	for (k = 0; k < 3; k++) {
		fd[k] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd[k] < 0) {
			e = errno;
			break;
		}
		n++;
	}
	for (k = 0; k < n; k++)
		close(fd[k]);
	return e == EMFILE || e == ENFILE;
}

/* "ENOTEMPTY or EEXIST" */
static void expected_errnos(const struct scn_stmt *st, char *buf,
			    size_t size)
{
	size_t at = 0;
	unsigned k;

	buf[0] = '\0';
	for (k = 0; k < st->nexperr && at < size; k++)
		at += (size_t)snprintf(buf + at, size - at, "%s%s",
				       k ? " or " : "",
				       scn_errno_name(st->experr[k]) ?
				       scn_errno_name(st->experr[k]) : "?");
}

/* compare the result with the expectation; 1 when it matched */
static int judge(struct scn_thr *t, const struct scn_stmt *st,
		 struct scn_val *v, long ret)
{
	char got[64], want[64];
	long dflt;

	ret_name(ret, got, sizeof(got));
	if (harness_out_of_fds(ret) &&
	    !(ret < 0 && scn_expects_errno(st, (int)-ret))) {
		scn_broken(t, st, "the harness ran out of file descriptors "
			   "(%s): raise 'ulimit -n'", got);
		return 0;
	}
	switch (st->expect) {
	case SCN_EXP_NONE:
		if (ret < 0) {
			scn_fail(t, st, scn_result_rule(st, ret),
				 "expected success, got %s", got);
			return 0;
		}
		dflt = st->call->dflt_len >= 0
			       ? (long)v[st->call->dflt_len].len
			       : ret;
		if (ret != dflt) {
			scn_fail(t, st, scn_result_rule(st, ret),
				 "expected %ld, got %ld", dflt, ret);
			return 0;
		}
		return 1;
	case SCN_EXP_ERRNO:
		expected_errnos(st, want, sizeof(want));
		if (ret >= 0)
			scn_fail(t, st, scn_result_rule(st, ret),
				 "expected %s, got success", want);
		else if (!scn_expects_errno(st, (int)-ret))
			scn_fail(t, st, scn_result_rule(st, ret),
				 "expected %s, got %s", want, got);
		return 0;
	case SCN_EXP_NUM:
		if (ret != st->expval) {
			scn_fail(t, st, scn_result_rule(st, ret),
				 "expected %lld, got %s", st->expval, got);
			return 0;
		}
		return 1;
	}
	return 0;
}

static int run_block(struct scn_thr *t, const struct scn_stmt_list *b);

static int run_call(struct scn_thr *t, const struct scn_stmt *st)
{
	struct scn_val v[SCN_MAXARGS];
	unsigned intr_ms;
	timer_t timer;
	long ret;
	int rc;

	memset(v, 0, sizeof(v));
	t->detail[0] = '\0';
	intr_ms = t->intr_ms; /* the armed interrupt is this call's alone */
	t->intr_ms = 0;
	rc = expand_args(t, st, v);
	if (rc == -ENOMEM) {
		scn_broken(t, st, "out of memory");
		goto free_vals;
	}
	if (rc)
		goto free_vals;
	if (intr_ms) {
		rc = scn_intr_arm(intr_ms, &timer);
		if (rc) {
			scn_broken(t, st, "cannot arm the interrupt's timer: "
				   "%s", strerror(-rc));
			goto free_vals;
		}
	}
	ret = st->call->exec(t, st, v);
	if (intr_ms)
		scn_intr_disarm(timer);
	if (should_stop(t))
		goto free_vals;
	/* an interrupted call may end in EINTR: the filesystem honoured
	 * the FUSE_INTERRUPT, which is its right (and then nothing it
	 * would have returned is there to check) */
	if (intr_ms && ret == -EINTR && !scn_expects_errno(st, EINTR))
		goto free_vals;
	if (judge(t, st, v, ret) && ret >= 0 && st->call->verify) {
		t->detail[0] = '\0';
		st->call->verify(t, st, v, ret);
	}
free_vals:
	vals_free(v, st->nargs);
	return 0;
}

struct par_arg {
	struct scn_thr thr;
	const struct scn_stmt *st;
	struct scn_barrier *start;
	pthread_t tid;
};

static void thr_register(struct scn_thr *t)
{
	pthread_mutex_lock(&t->r->mu);
	t->next = t->r->threads;
	t->r->threads = t;
	pthread_mutex_unlock(&t->r->mu);
}

static void thr_unregister(struct scn_thr *t)
{
	struct scn_thr **pp;

	pthread_mutex_lock(&t->r->mu);
	for (pp = &t->r->threads; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	pthread_mutex_unlock(&t->r->mu);
	free(t->buf);
	t->buf = NULL;
	scn_walk_clear(&t->walk);
}

static void *par_main(void *arg)
{
	struct par_arg *a = arg;

	thr_register(&a->thr);
	if (!bar_wait(a->start) && run_block(&a->thr, &a->st->body))
		bar_break(a->thr.bar);  /* the others must not wait for us */
	mark(&a->thr, 0);
	thr_unregister(&a->thr);
	return NULL;
}

static int run_parallel(struct scn_thr *t, const struct scn_stmt *st)
{
	struct scn_barrier start, bar;
	struct par_arg *a;
	unsigned k, started = 0;
	int rc = 0;

	a = calloc(st->count, sizeof(*a));
	if (!a) {
		scn_broken(t, st, "out of memory");
		return -1;
	}
	bar_init(&start, st->count + 1);
	bar_init(&bar, st->count);
	for (k = 0; k < st->count; k++) {
		a[k].thr.r = t->r;
		a[k].thr.i = k;
		a[k].thr.n = t->n;
		a[k].thr.bar = &bar;
		a[k].st = st;
		a[k].start = &start;
		rc = pthread_create(&a[k].tid, NULL, par_main, &a[k]);
		if (rc)
			break;
		started++;
	}
	if (rc) {
		scn_broken(t, st, "cannot start thread %u of %u: %s", k,
			   st->count, strerror(rc));
		bar_break(&start);
	} else {
		bar_wait(&start);
	}
	for (k = 0; k < started; k++)
		pthread_join(a[k].tid, NULL);
	bar_destroy(&start);
	bar_destroy(&bar);
	free(a);
	return rc ? -1 : 0;
}

static int run_stmt(struct scn_thr *t, const struct scn_stmt *st)
{
	unsigned saved = t->n, k;
	int rc = 0;

	mark(t, st->line);
	snprintf(t->subject, sizeof(t->subject), "%s",
		 st->block == SCN_BLK_PARALLEL ? "parallel" : "repeat");
	if (st->block == SCN_BLK_PARALLEL)
		return run_parallel(t, st);
	if (st->block == SCN_BLK_REPEAT) {
		for (k = 0; k < st->count && !rc; k++) {
			t->n = k;
			rc = run_block(t, &st->body);
		}
		t->n = saved;
		return rc;
	}
	return run_call(t, st);
}

/* Run a list of statements (a scenario, or the inside of a block): 0
 * when it ran to its end, -1 when the thread must stop. */
static int run_block(struct scn_thr *t, const struct scn_stmt_list *b)
{
	size_t k;

	for (k = 0; k < b->n; k++) {
		if (should_stop(t) || run_stmt(t, &b->v[k]))
			return -1;
	}
	return should_stop(t) ? -1 : 0;
}

/* --- the run --- */

static void runst_put(struct scn_runst *r)
{
	size_t k;

	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	scn_fd_closeall(r);
	for (k = 0; k < r->nfails; k++)
		free(r->fails[k].message);
	free(r->fails);
	free(r->fds);
	free(r->maps);
	for (k = 0; k < r->nhandles; k++) {
		free(r->handles[k].name);
		free(r->handles[k].fh);
	}
	free(r->handles);
	free(r->tagino);
	free(r->tagset);
	free(r->tagq);
	for (k = 0; r->walks && k <= r->s->ntags; k++)
		scn_walk_clear(&r->walks[k]);
	free(r->walks);
	free(r->broken);
	free(r->mnt);
	if (r->startcwd >= 0)
		close(r->startcwd);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->donecv);
	pthread_cond_destroy(&r->cbcv);
	scn_free((struct scn *)r->s);
	free(r);
}

static void *top_main(void *arg)
{
	struct scn_runst *r = arg;

	thr_register(&r->top);
	run_block(&r->top, &r->s->body);
	scn_fd_closeall(r);
	if (!atomic_load(&r->abandoned) && r->chdired)
		scn_cwd_leave(&r->top);
	mark(&r->top, 0);
	thr_unregister(&r->top);
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	pthread_cond_broadcast(&r->donecv);
	pthread_mutex_unlock(&r->mu);
	runst_put(r);
	return NULL;
}

static int skip_reason(const struct scn *s, const struct scn_env *env,
		       struct scn_outcome *out)
{
	unsigned missing = scn_requires(s) & ~env->caps;
	char names[256], buf[300];

	if (!missing)
		return 0;
	snprintf(buf, sizeof(buf), "requires %s",
		 scn_req_list(missing, names, sizeof(names)));
	out->status = FC_SCN_ST_SKIP;
	out->reason = strdup(buf);
	return 1;
}

static struct scn_runst *runst_new(const struct scn *s,
				   const struct scn_env *env)
{
	struct scn_runst *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;
	size_t len;

	if (!r)
		return NULL;
	atomic_init(&r->refs, 2);
	r->s = s;
	r->env = *env;
	r->startcwd = -1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->donecv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&r->cbcv, NULL);
	r->mnt = strdup(env->mnt);
	r->tagino = calloc(s->ntags + 1, sizeof(*r->tagino));
	r->tagset = calloc(s->ntags + 1, 1);
	r->tagq = calloc(s->ntags + 1, sizeof(*r->tagq));
	r->walks = calloc(s->ntags + 1, sizeof(*r->walks));
	r->startcwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->startcwd < 0)
		r->startcwd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!r->mnt || !r->tagino || !r->tagset || !r->tagq || !r->walks ||
	    r->startcwd < 0) {
		free(r->mnt);
		free(r->tagino);
		free(r->tagset);
		free(r->tagq);
		free(r->walks);
		if (r->startcwd >= 0)
			close(r->startcwd);
		free(r);
		return NULL;
	}
	len = strlen(r->mnt);
	while (len > 1 && r->mnt[len - 1] == '/')
		r->mnt[--len] = '\0';
	r->top.r = r;
	scn_ref((struct scn *)s);
	return r;
}

/* where a hung scenario is: the earliest line a parallel thread is on
 * (the others are likely waiting for it at a barrier), else the top's */
static uint32_t hung_line(struct scn_runst *r)
{
	struct scn_thr *t;
	uint32_t line = 0;

	for (t = r->threads; t; t = t->next)
		if (t != &r->top && t->line && (!line || t->line < line))
			line = t->line;
	return line ? line : r->top.line;
}

/* one last failure saying how many were not kept */
static void note_dropped(struct scn_runst *r)
{
	struct scn_failure *nf;
	char *msg;

	if (!r->dropped)
		return;
	nf = realloc(r->fails, (r->nfails + 1) * sizeof(*nf));
	if (!nf)
		return;
	r->fails = nf;
	if (asprintf(&msg, "%zu further failures not recorded",
		     r->dropped) < 0)
		return;
	nf[r->nfails].line = 0;
	nf[r->nfails].rule = SCN_EX_SCENARIO;
	nf[r->nfails].reported = 0;
	nf[r->nfails++].message = msg;
}

int scn_run(const struct scn *s, const struct scn_env *env,
	    struct scn_outcome *out)
{
	struct scn_runst *r;
	struct timespec dl, end;
	unsigned timeout = scn_timeout_s(s);
	const char *gone = NULL;
	pthread_t tid;
	pthread_attr_t attr;
	mode_t old_umask;
	int rc = 0, timed_out = 0;

	memset(out, 0, sizeof(*out));
	if (skip_reason(s, env, out))
		return out->reason ? 0 : -ENOMEM;
	r = runst_new(s, env);
	if (!r)
		return -ENOMEM;
	old_umask = umask(0);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = -pthread_create(&tid, &attr, top_main, r);
	pthread_attr_destroy(&attr);
	if (rc) {
		atomic_store(&r->refs, 1);
		runst_put(r);
		umask(old_umask);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout;
	pthread_mutex_lock(&r->mu);
	/* wake every 100 ms: the harness may say the run cannot go on (a
	 * `sleep` or a barrier would not notice an aborted connection) */
	while (!r->done && !timed_out && !gone) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_nsec += 100 * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		if (dl.tv_sec > end.tv_sec ||
		    (dl.tv_sec == end.tv_sec && dl.tv_nsec > end.tv_nsec))
			dl = end;
		if (pthread_cond_timedwait(&r->donecv, &r->mu, &dl) ==
		    ETIMEDOUT && !r->done) {
			timed_out = dl.tv_sec == end.tv_sec &&
				    dl.tv_nsec == end.tv_nsec;
			gone = env->gone ? env->gone(env->ctx) : NULL;
		}
	}
	/* the session broke or we were interrupted: every blocked syscall
	 * returns once the connection is aborted, so ask the threads to stop
	 * and give them a moment before leaving them behind */
	if (gone && !timed_out) {
		atomic_store(&r->stop, 1);
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += SCN_STOP_GRACE_S;
		while (!r->done &&
		       pthread_cond_timedwait(&r->donecv, &r->mu, &dl) !=
			       ETIMEDOUT)
			;
		if (r->done) {
			out->status = FC_SCN_ST_BROKEN;
			if (asprintf(&out->reason, "%s at line %u", gone,
				     hung_line(r)) < 0)
				out->reason = NULL;
			gone = NULL;
		}
	}
	if (timed_out || gone) {
		atomic_store(&r->abandoned, 1);
		while (r->cb_active)
			pthread_cond_wait(&r->cbcv, &r->mu);
		out->status = FC_SCN_ST_BROKEN;
		if (asprintf(&out->reason, "%s at line %u",
			     gone ? gone : "timed out", hung_line(r)) < 0)
			out->reason = NULL;
		timed_out = 1;
	} else if (r->broken) {
		out->status = FC_SCN_ST_BROKEN;
		out->reason = r->broken;
		r->broken = NULL;
	}
	note_dropped(r);
	out->failures = r->fails;
	out->nfailures = r->nfails;
	out->ino_unjudged = r->ino_unjudged;
	out->ledger_unjudged = r->ledger_unjudged;
	r->fails = NULL;
	r->nfails = 0;
	if (out->status == FC_SCN_ST_PASS && out->nfailures)
		out->status = FC_SCN_ST_FAIL;
	pthread_mutex_unlock(&r->mu);
	if (timed_out && fchdir(r->startcwd))
		rc = 0;         /* nowhere better to go */
	umask(old_umask);
	runst_put(r);
	return 0;
}

void scn_outcome_free(struct scn_outcome *o)
{
	size_t k;

	for (k = 0; k < o->nfailures; k++)
		free(o->failures[k].message);
	free(o->failures);
	free(o->reason);
	memset(o, 0, sizeof(*o));
}
