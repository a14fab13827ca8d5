/* util/spawn.c - run a helper program to its end, bounded in time.  The
 * child learns of a failed exec through a close-on-exec pipe, so "not
 * installed" is an error of ours, not an exit status of 127. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "util/spawn.h"

static void child(char *const argv[], const char *cwd, const char *log,
		  int report)
{
	int fd, err;

	signal(SIGPIPE, SIG_DFL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	fd = open(log ? log : "/dev/null",
		  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		goto fail;
	if (cwd && chdir(cwd) < 0)
		goto fail;
	execvp(argv[0], argv);
fail:
	err = errno;
	if (write(report, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int spawn_wait(char *const argv[], const char *cwd, const char *log,
	       unsigned timeout_ms, int *status)
{
	return spawn_wait_watched(argv, cwd, log, timeout_ms, status, NULL,
				  NULL);
}

int spawn_wait_watched(char *const argv[], const char *cwd, const char *log,
		       unsigned timeout_ms, int *status,
		       int (*watch)(void *arg, unsigned waited_ms),
		       void *arg)
{
	int polling = timeout_ms || watch;
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	unsigned waited = 0;
	int pipefd[2], err = 0;
	pid_t pid, r;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0)
		child(argv, cwd, log, pipefd[1]);
	close(pipefd[1]);
	if (read(pipefd[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(pipefd[0]);
	for (;;) {
		r = waitpid(pid, status, polling ? WNOHANG : 0);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0 && ((timeout_ms && waited >= timeout_ms) ||
			       (watch && watch(arg, waited)))) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return timeout_ms && waited >= timeout_ms ?
				       -ETIMEDOUT : -ECANCELED;
		}
		if (r == 0) {
			nanosleep(&nap, NULL);
			waited += 20;
		}
	}
	return err ? -err : 0;
}

const char *spawn_status_text(int status, char *buf, unsigned size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "ended with wait status %#x", status);
	return buf;
}
