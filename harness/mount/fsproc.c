/* mount/fsproc.c - starting and ending the filesystem process, contained.
 *
 * The program runs as pid 2 of a pid namespace of its own, under an init
 * of ours (pid 1), under a keeper in our namespace:
 *
 *   fusecheck -> keeper -> init (pid 1) -> program (pid 2) -> whatever
 *                                                        it forks
 *
 * The kernel ends every process of a pid namespace when its init ends,
 * at any depth and count, daemons included; init dies with the keeper
 * and the keeper with us (PR_SET_PDEATHSIG), so nothing the filesystem
 * starts outlives its mount, even after SIGKILL of fusecheck.  A failed
 * exec is reported through a close-on-exec pipe, so "no such binary" is
 * a clear error before anything waits on the mount; init reports the
 * program's own wait status on another, so the report shows how the
 * program itself ended while a daemon it forked lives on.
 *
 * FSPROC_HOST_PIDNS leaves the program in our pid namespace, for a
 * filesystem that must see its callers' pids (lxcfs joins each caller's
 * namespaces; a caller outside the filesystem's pid namespace has pid 0
 * in its requests).  Init is then a child subreaper of the program and
 * what it forks, and signals go to the program only; the program dies
 * with init, but a daemon it forked may outlive the mount: the price,
 * said in docs/attach.md. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "util/strlist.h"
#include "mount/fsproc.h"

#define MP_TOKEN "@@FUSECHECK_MOUNTPOINT@@"
#define CTL_TOKEN "@@FUSECHECK_CONTROL@@"

int fsproc_argv(const char *tmpl, const char *mountpoint, const char *control,
		char ***argv, char *err, size_t errlen)
{
	wordexp_t we;
	char **out, *masked, *masked2;
	size_t i;
	int rc, seen = 0;

	if (!strstr(tmpl, "{mountpoint}")) {
		snprintf(err, errlen, "filesystem command '%s' has no "
			 "{mountpoint}", tmpl);
		return -EINVAL;
	}
	/* wordexp refuses unquoted braces: hide the placeholders from it
	 * behind tokens that need no quoting. */
	masked = str_replace_all(tmpl, "{mountpoint}", MP_TOKEN);
	masked2 = masked ? str_replace_all(masked, "{control}", CTL_TOKEN) : NULL;
	free(masked);
	if (!masked2) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = wordexp(masked2, &we, WRDE_NOCMD | WRDE_UNDEF);
	free(masked2);
	if (rc) {
		snprintf(err, errlen, "cannot split filesystem command '%s': "
			 "%s", tmpl, rc == WRDE_CMDSUB ?
			 "command substitution is not allowed" :
			 rc == WRDE_BADCHAR ? "unquoted special character" :
			 rc == WRDE_BADVAL ? "undefined variable" :
			 rc == WRDE_SYNTAX ? "syntax error" : "out of memory");
		return -EINVAL;
	}
	out = calloc(we.we_wordc + 1, sizeof(*out));
	if (!out)
		goto out_nomem;
	for (i = 0; i < we.we_wordc; i++) {
		char *w = str_replace_all(we.we_wordv[i], MP_TOKEN, mountpoint);
		char *w2 = w ? str_replace_all(w, CTL_TOKEN,
					   control ? control : "") : NULL;

		free(w);
		if (!w2)
			goto out_free;
		seen |= strstr(we.we_wordv[i], MP_TOKEN) != NULL;
		out[i] = w2;
	}
	wordfree(&we);
	if (!out[0] || !seen) {
		strv_free(out);
		snprintf(err, errlen, "filesystem command '%s' has no program "
			 "or no {mountpoint} word", tmpl);
		return -EINVAL;
	}
	*argv = out;
	return 0;

out_free:
	strv_free(out);
out_nomem:
	wordfree(&we);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

/* The program itself (inside the namespace, pid 2): its descriptors,
 * output, the attach hook, then exec.  Never returns. */
static void program(char **argv, const int *keep, int nkeep, int out_fd,
		    int report_fd, int (*hook)(void *), void *arg)
{
	int i, e;

	/* fusecheck ignores SIGPIPE (main.c); the filesystem gets the
	 * default it would have anywhere else */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCONT, SIG_DFL);
	/* The descriptors it needs lose close-on-exec; everything else of
	 * ours (notably /dev/fuse) must not leak into it. */
	for (i = 0; i < nkeep; i++)
		fcntl(keep[i], F_SETFD, 0);
	if (out_fd >= 0) {
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
	}
	i = open("/dev/null", O_RDONLY);
	if (i >= 0 && i != STDIN_FILENO) {
		dup2(i, STDIN_FILENO);
		close(i);
	}
	/* A hook failure is reported negated, to tell it from exec's. */
	e = hook ? hook(arg) : 0;
	if (!e) {
		execvp(argv[0], argv);
		e = errno;
	}
	if (write(report_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Die with the parent, also when it is already gone: getppid() is then
 * no longer what it was (0 for init, whose parent is outside its pid
 * namespace). */
static void die_with_parent(pid_t expect)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != expect)
		_exit(127);
}

static volatile sig_atomic_t fwd_sig, fwd_pid;
/* in init, FSPROC_HOST_PIDNS: forward to the program, not kill(-1) */
static int host_pidns;

static void forward(int sig)
{
	fwd_sig = sig;
	if (fwd_pid > 0)
		kill((pid_t)fwd_pid, sig);
}

/* pid 1 of the namespace: starts the program, tells its wait status on
 * status_fd, passes SIGTERM/SIGCONT to every process of the namespace,
 * and reaps until none is left.  Its end ends them all (the kernel kills
 * a pid namespace with its init). */
static void ns_init(char **argv, const int *keep, int nkeep, int out_fd,
		    int report_fd, int status_fd, int (*hook)(void *),
		    void *arg)
{
	struct sigaction sa = { .sa_handler = forward };
	pid_t prog, pid;
	int ws;

	pid_t self = getpid();

	/* kill(-1, sig): every process of the namespace but us; in the
	 * host's namespace that would be every process there is */
	fwd_pid = host_pidns ? 0 : -1;
	if (host_pidns)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCONT, &sa, NULL);
	prog = fork();
	if (prog < 0) {
		ws = errno;
		if (write(report_fd, &ws, sizeof(ws)) < 0)
			_exit(127);
		_exit(127);
	}
	if (prog == 0) {
		close(status_fd);
		die_with_parent(host_pidns ? self : 1);
		program(argv, keep, nkeep, out_fd, report_fd, hook, arg);
	}
	if (host_pidns) {
		fwd_pid = prog;
		if (fwd_sig)
			kill(prog, fwd_sig);
	}
	close(report_fd);
	for (;;) {
		pid = waitpid(-1, &ws, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		if (pid == prog && status_fd >= 0) {
			if (write(status_fd, &ws, sizeof(ws)) < 0)
				break;
			close(status_fd);
			status_fd = -1;
		}
	}
	_exit(0);
}

/* Close every descriptor but 0-2 and the n in fds: the keeper and init
 * never exec, so without this they would hold our /dev/fuse, our end of
 * the socketpair (the filesystem would never read end-of-file) and the
 * event log for as long as the filesystem lives.  No allocation: we are
 * the child of a multithreaded fork. */
static void close_all_but(const int *fds, int n)
{
	int sorted[16], k, j, v, lo = 3;

	if (n > 16)
		n = 16;
	for (k = 0; k < n; k++) {
		v = fds[k];
		for (j = k; j > 0 && sorted[j - 1] > v; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = v;
	}
	for (k = 0; k < n; k++) {
		if (sorted[k] < lo)
			continue;
		if (sorted[k] > lo)
			close_range((unsigned)lo, (unsigned)sorted[k] - 1, 0);
		lo = sorted[k] + 1;
	}
	close_range((unsigned)lo, ~0u, 0);
}

/* The keeper, in our pid namespace: makes the new one, and passes our
 * signals to its init.  Its wait status is init's. */
static void keeper(char **argv, const int *keep, int nkeep, int out_fd,
		   int report_fd, int status_fd, int (*hook)(void *),
		   void *arg, pid_t parent, unsigned flags)
{
	struct sigaction sa = { .sa_handler = forward };
	pid_t init, me;
	int ws, e;

	int mine[16], n = 0, k;

	for (k = 0; k < nkeep && n < 13; k++)
		mine[n++] = keep[k];
	mine[n++] = out_fd;
	mine[n++] = report_fd;
	mine[n++] = status_fd;
	close_all_but(mine, n);
	die_with_parent(parent);
	host_pidns = (flags & FSPROC_HOST_PIDNS) != 0;
	if (!host_pidns && unshare(CLONE_NEWPID)) {
		e = -errno;   /* a failed preparation, as the hook's */
		if (write(report_fd, &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCONT, &sa, NULL);
	me = getpid();
	init = fork();
	if (init == 0) {
		die_with_parent(host_pidns ? me : 0);
		ns_init(argv, keep, nkeep, out_fd, report_fd, status_fd, hook,
			arg);
	}
	if (init < 0)
		_exit(127);
	fwd_pid = init;
	if (fwd_sig)
		kill(init, fwd_sig);
	close(report_fd);
	close(status_fd);
	while (waitpid(init, &ws, 0) < 0 && errno == EINTR)
		;
	_exit(0);
}

int fsproc_spawn_hook(struct fsproc *p, char **argv, const int *keep,
		      int nkeep, int out_fd, unsigned flags,
		      int (*hook)(void *), void *arg, char *err, size_t errlen)
{
	int pipefd[2], statfd[2], e = 0;
	pid_t parent = getpid();
	ssize_t n;

	memset(p, 0, sizeof(*p));
	p->statfd = -1;
	p->host_pidns = (flags & FSPROC_HOST_PIDNS) != 0;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(statfd, O_CLOEXEC) < 0) {
		e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return -e;
	}
	p->pid = fork();
	if (p->pid < 0) {
		e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		close(statfd[0]);
		close(statfd[1]);
		snprintf(err, errlen, "cannot fork: %s", strerror(e));
		return -e;
	}
	if (p->pid == 0) {
		close(pipefd[0]);
		close(statfd[0]);
		keeper(argv, keep, nkeep, out_fd, pipefd[1], statfd[1], hook,
		       arg, parent, flags);
	}
	close(pipefd[1]);
	close(statfd[1]);
	p->statfd = statfd[0];
	do
		n = read(pipefd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof(e)) {
		fsproc_end(p, 0);
		if (e < 0) {
			snprintf(err, errlen, "cannot prepare the start of "
				 "'%s': %s", argv[0], strerror(-e));
			return e;
		}
		snprintf(err, errlen, "cannot start '%s': %s", argv[0],
			 strerror(e));
		return -e;
	}
	return 0;
}

/* The keeper's end: everything in the namespace is gone. */
static int keeper_reaped(struct fsproc *p, int block)
{
	int ws;
	pid_t r;

	if (p->all_gone || p->pid <= 0)
		return 1;
	do
		r = waitpid(p->pid, &ws, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->all_gone = 1;
		if (!p->reaped) {
			/* killed before the program's status came */
			p->reaped = 1;
			p->status = ws;
		}
		return 1;
	}
	return 0;
}

/* The program's status, when init has told it. */
static int status_known(struct fsproc *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->statfd, .events = POLLIN };
	int ws;
	ssize_t n;

	if (p->reaped)
		return 1;
	if (p->statfd < 0 || poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	n = read(p->statfd, &ws, sizeof(ws));
	close(p->statfd);
	p->statfd = -1;
	if (n == sizeof(ws)) {
		p->reaped = 1;
		p->status = ws;
		return 1;
	}
	/* init is gone without a word: the keeper's status stands in */
	return keeper_reaped(p, 1);
}

int fsproc_wait(struct fsproc *p, int timeout_ms)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int waited = 0;

	if (p->reaped || p->pid <= 0)
		return 1;
	for (;;) {
		if (status_known(p, 0))
			return 1;
		if (waited >= timeout_ms)
			return 0;
		nanosleep(&nap, NULL);
		waited += 10;
	}
}

void fsproc_signal(struct fsproc *p, int sig)
{
	if (p->pid > 0 && !p->all_gone)
		kill(p->pid, sig);
}

void fsproc_end(struct fsproc *p, int grace_ms)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int waited;

	if (p->pid <= 0 || p->all_gone)
		goto out_statfd;
	if (grace_ms > 0) {
		kill(p->pid, SIGTERM);
		for (waited = 0; waited < grace_ms; waited += 10) {
			if (keeper_reaped(p, 0))
				goto out_statfd;
			nanosleep(&nap, NULL);
		}
	}
	/* the keeper's death kills init (PDEATHSIG), and init's every
	 * process of the namespace, at any depth */
	kill(p->pid, SIGKILL);
	keeper_reaped(p, 1);
out_statfd:
	status_known(p, 0);
	if (p->statfd >= 0)
		close(p->statfd);
	p->statfd = -1;
}

/* When process `pid` started (/proc/PID/stat field 22), 0 unknown. */
static unsigned long long start_time(const char *pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')'))) {
		/* field 3 follows the command's closing parenthesis */
		for (field = 2; p && field < 22; field++)
			p = strchr(p + 1, ' ');
		if (p)
			t = strtoull(p + 1, NULL, 10);
	}
	fclose(f);
	return t;
}

/* In our pid namespace, init's children are the program and the orphans
 * it reaps: the program is the one that started first. */
static pid_t first_started(char *children)
{
	unsigned long long best = 0, t;
	pid_t pick = -1;
	char *tok, *save = NULL;

	for (tok = strtok_r(children, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		t = start_time(tok);
		if (t && (pick < 0 || t < best)) {
			best = t;
			pick = (pid_t)atoi(tok);
		}
	}
	return pick;
}

pid_t fsproc_main_pid(const struct fsproc *p)
{
	char path[64], buf[4096], *line;
	pid_t init = 0, pid;
	FILE *f;
	int k;

	/* keeper -> init -> the program, each listed as a child in /proc
	 * (which shows our namespace's pids); the program is the one whose
	 * pid inside the namespace is 2 */
	for (k = 0, pid = p->pid; k < 2 && pid > 0; k++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
			 (int)pid, (int)pid);
		f = fopen(path, "re");
		if (!f)
			return -1;
		buf[0] = '\0';
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		if (k == 0) {
			init = (pid_t)atoi(buf);
			pid = init;
			continue;
		}
		if (p->host_pidns)
			return first_started(buf);
		for (line = strtok(buf, " \n"); line;
		     line = strtok(NULL, " \n")) {
			char st[64], want[] = "NSpid:";
			FILE *sf;

			snprintf(st, sizeof(st), "/proc/%s/status", line);
			sf = fopen(st, "re");
			if (!sf)
				continue;
			while (fgets(path, sizeof(path), sf))
				if (!strncmp(path, want, sizeof(want) - 1) &&
				    strstr(path, "\t2\n")) {
					fclose(sf);
					return (pid_t)atoi(line);
				}
			fclose(sf);
		}
	}
	return -1;
}

void fsproc_describe(const struct fsproc *p, char *buf, size_t size)
{
	if (!p->reaped)
		snprintf(buf, size, "running");
	else if (WIFEXITED(p->status))
		snprintf(buf, size, "exited with status %d",
			 WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(buf, size, "killed by signal %d (%s)",
			 WTERMSIG(p->status), strsignal(WTERMSIG(p->status)));
	else
		snprintf(buf, size, "ended (status 0x%x)", p->status);
}
