/* fsproc.c - starting and ending the filesystem process.  A failed exec
 * is reported through a close-on-exec pipe, so "no such binary" is a
 * clear error before anything waits on the mount. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "fsproc.h"

#define MP_TOKEN "@@FUSECHECK_MOUNTPOINT@@"
#define CTL_TOKEN "@@FUSECHECK_CONTROL@@"

static char *replace_all(const char *s, const char *key, const char *val)
{
	size_t klen = strlen(key), vlen = strlen(val), n = 0;
	const char *p;
	char *out, *o;

	for (p = strstr(s, key); p; p = strstr(p + klen, key))
		n++;
	out = malloc(strlen(s) + n * vlen + 1);
	if (!out)
		return NULL;
	for (o = out; (p = strstr(s, key)); s = p + klen) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, val, vlen);
		o += vlen;
	}
	strcpy(o, s);
	return out;
}

void fsproc_argv_free(char **argv)
{
	char **a;

	if (!argv)
		return;
	for (a = argv; *a; a++)
		free(*a);
	free(argv);
}

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
	masked = replace_all(tmpl, "{mountpoint}", MP_TOKEN);
	masked2 = masked ? replace_all(masked, "{control}", CTL_TOKEN) : NULL;
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
		char *w = replace_all(we.we_wordv[i], MP_TOKEN, mountpoint);
		char *w2 = w ? replace_all(w, CTL_TOKEN,
					   control ? control : "") : NULL;

		free(w);
		if (!w2)
			goto out_free;
		seen |= strstr(we.we_wordv[i], MP_TOKEN) != NULL;
		out[i] = w2;
	}
	wordfree(&we);
	if (!out[0] || !seen) {
		fsproc_argv_free(out);
		snprintf(err, errlen, "filesystem command '%s' has no program "
			 "or no {mountpoint} word", tmpl);
		return -EINVAL;
	}
	*argv = out;
	return 0;

out_free:
	fsproc_argv_free(out);
out_nomem:
	wordfree(&we);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

static void child(char **argv, const int *keep, int nkeep, int out_fd,
		  int report_fd, int (*hook)(void *), void *arg)
{
	int i, e;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
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

int fsproc_spawn(struct fsproc *p, char **argv, const int *keep, int nkeep,
		 int out_fd, char *err, size_t errlen)
{
	return fsproc_spawn_hook(p, argv, keep, nkeep, out_fd, NULL, NULL, err,
				 errlen);
}

int fsproc_spawn_hook(struct fsproc *p, char **argv, const int *keep,
		      int nkeep, int out_fd, int (*hook)(void *), void *arg,
		      char *err, size_t errlen)
{
	int pipefd[2], e = 0;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	p->pid = fork();
	if (p->pid < 0) {
		e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		snprintf(err, errlen, "cannot fork: %s", strerror(e));
		return -e;
	}
	if (p->pid == 0)
		child(argv, keep, nkeep, out_fd, pipefd[1], hook, arg);
	close(pipefd[1]);
	do
		n = read(pipefd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof(e)) {
		waitpid(p->pid, &p->status, 0);
		p->reaped = 1;
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

int fsproc_wait(struct fsproc *p, int timeout_ms)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int waited = 0;
	pid_t r;

	if (p->reaped || p->pid <= 0)
		return 1;
	for (;;) {
		r = waitpid(p->pid, &p->status, WNOHANG);
		if (r == p->pid || (r < 0 && errno == ECHILD)) {
			p->reaped = 1;
			return 1;
		}
		if (waited >= timeout_ms)
			return 0;
		nanosleep(&nap, NULL);
		waited += 10;
	}
}

void fsproc_end(struct fsproc *p, int grace_ms)
{
	if (p->reaped || p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	if (fsproc_wait(p, grace_ms))
		return;
	kill(p->pid, SIGKILL);
	fsproc_wait(p, 5000);
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

int fsproc_become_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ? -errno : 0;
}

/* Children of every thread of ours, from /proc (adopted orphans go to
 * one of our threads).  Returns how many pids it stored. */
static size_t list_children(pid_t *pids, size_t max)
{
	char path[300], buf[4096];
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir("/proc/self/task");
	FILE *f;
	char *tok, *save;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f))
			for (tok = strtok_r(buf, " \n", &save); tok && n < max;
			     tok = strtok_r(NULL, " \n", &save))
				pids[n++] = (pid_t)atoi(tok);
		fclose(f);
	}
	closedir(d);
	return n;
}

static void reap_ended(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int fsproc_end_orphans(int grace_ms)
{
	pid_t pids[64];
	size_t n, i;
	int waited;

	reap_ended();
	n = list_children(pids, 64);
	for (i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	for (waited = 0; n && waited < grace_ms; waited += 10) {
		usleep(10000);
		reap_ended();
		if (!list_children(pids, 64))
			break;
	}
	if (n) {
		size_t left = list_children(pids, 64);

		for (i = 0; i < left; i++)
			kill(pids[i], SIGKILL);
		for (waited = 0; left && waited < 2000; waited += 10) {
			usleep(10000);
			reap_ended();
			left = list_children(pids, 64);
		}
	}
	return (int)n;
}
