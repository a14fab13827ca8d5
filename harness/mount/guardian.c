/* mount/guardian.c - abort our FUSE connection when fusecheck is killed
 * (mount/guardian.h).  The guardian reads device numbers from a pipe; at
 * end-of-file (fusecheck exited and its descriptors, /dev/fuse among
 * them, were released) it leaves quietly.  While the pipe stays open it
 * looks every 100 ms whether SIGKILL is pending for its parent: a killed
 * process whose thread waits on FUSE keeps its descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "mount/guardian.h"
#include "mount/mount.h"

#define SIGKILL_BIT (1ull << (SIGKILL - 1))

static int guardian_fd = -1;

/* 1 when pid is gone or has SIGKILL pending (any thread). */
static int parent_killed(pid_t pid)
{
	char path[64], line[256];
	unsigned long long mask;
	int killed = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if ((sscanf(line, "ShdPnd: %llx", &mask) == 1 ||
		     sscanf(line, "SigPnd: %llx", &mask) == 1) &&
		    (mask & SIGKILL_BIT))
			killed = 1;
	fclose(f);
	return killed;
}

static void guard(int fd, pid_t parent)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	dev_t dev = 0, got;
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, 100) > 0) {
			n = read(fd, &got, sizeof(got));
			if (n == 0 || (n < 0 && errno != EINTR))
				_exit(0);
			if (n == sizeof(got))
				dev = got;
			continue;
		}
		if (parent_killed(parent)) {
			if (dev)
				mnt_abort(dev);
			_exit(0);
		}
	}
}

int guardian_start(void)
{
	pid_t parent = getpid(), pid;
	int p[2], i;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		/* a grandchild, adopted elsewhere: not among the children
		 * fusecheck ends; its own private namespace, where mnt_abort
		 * may mount fusectl.  It holds nothing of ours: not the
		 * caller's pipes, no fd of a mount. */
		if (fork() != 0)
			_exit(0);
		mnt_enter_private_ns();
		i = open("/dev/null", O_RDWR);
		for (int k = 0; k < 3 && i >= 0; k++)
			dup2(i, k);
		for (i = 3; i < 1024; i++)
			if (i != p[0])
				close(i);
		guard(p[0], parent);
	}
	waitpid(pid, NULL, 0);
	close(p[0]);
	guardian_fd = p[1];
	return 0;
}

void guardian_watch(dev_t dev)
{
	if (guardian_fd >= 0 &&
	    write(guardian_fd, &dev, sizeof(dev)) != sizeof(dev))
		return;
}
