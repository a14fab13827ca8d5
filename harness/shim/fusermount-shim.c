/* fusermount-shim.c - stands in for fusermount/fusermount3 inside
 * fusecheck's private mount namespace.
 *
 * libfuse (2.x always when not root or when mount(2) fails; 3.x when its
 * own mount(2) fails with EPERM) runs `fusermount[3] -o OPTS -- MNT` with
 * _FUSE_COMMFD naming one end of a unix socket, and waits there for one
 * byte carrying the /dev/fuse descriptor as SCM_RIGHTS (libfuse
 * lib/mount.c: fuse_mount_fusermount, receive_fd).  fusecheck has already
 * mounted FUSE at its own mountpoint and relays /dev/fuse to a socket; the
 * shim hands the filesystem that socket, inherited under the number in
 * FUSECHECK_SHIM_FD, instead of mounting anything.  Unmounting
 * (-u/--unmount) is fusecheck's job, so it succeeds doing nothing.
 *
 * The options libfuse wanted for the kernel mount are not applied (the
 * mount already exists); they are printed to stderr, which fusecheck
 * keeps in fs.log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#define SHIM_FD_ENV "FUSECHECK_SHIM_FD"
#define COMMFD_ENV "_FUSE_COMMFD"

enum shim_action { SHIM_MOUNT, SHIM_UNMOUNT, SHIM_VERSION, SHIM_HELP };

struct shim_args {
	enum shim_action action;
	int auto_unmount;
	const char *opts;
	const char *mountpoint;
};

/* Flags that only change what fusermount would do, not what we do. */
static const char *const ignored_flags[] = {
	"-q", "--quiet", "-z", "--lazy", NULL,
};

static int is_ignored(const char *a)
{
	const char *const *p;

	for (p = ignored_flags; *p; p++)
		if (!strcmp(*p, a))
			return 1;
	return 0;
}

static int parse_args(int argc, char **argv, struct shim_args *sa)
{
	int i;

	memset(sa, 0, sizeof(*sa));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			if (i + 1 < argc)
				sa->mountpoint = argv[i + 1];
			return 0;
		} else if (!strcmp(a, "-u") || !strcmp(a, "--unmount")) {
			sa->action = SHIM_UNMOUNT;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			sa->action = SHIM_VERSION;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			sa->action = SHIM_HELP;
		} else if (!strcmp(a, "--auto-unmount")) {
			sa->auto_unmount = 1;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--options")) {
			if (++i >= argc)
				return -EINVAL;
			sa->opts = argv[i];
		} else if (!strncmp(a, "-o", 2)) {
			sa->opts = a + 2;
		} else if (is_ignored(a)) {
			continue;
		} else if (a[0] != '-' && !sa->mountpoint) {
			sa->mountpoint = a;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* A descriptor number from the environment, or -1. */
static int env_fd(const char *name)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 1 << 20)
		return -1;
	return (int)v;
}

/* One zero byte with the descriptor attached, as fusermount sends it. */
static int send_fd(int sock, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -errno;
}

static int do_mount(const struct shim_args *sa, const char *prog)
{
	int tap = env_fd(SHIM_FD_ENV), comm = env_fd(COMMFD_ENV), err;

	if (tap < 0) {
		fprintf(stderr, "%s: this is fusecheck's fusermount shim; it "
			"mounts nothing and works only for a filesystem that "
			"fusecheck started (%s is not set)\n", prog,
			SHIM_FD_ENV);
		return 1;
	}
	if (comm < 0) {
		fprintf(stderr, "%s: %s is not set: not started by libfuse\n",
			prog, COMMFD_ENV);
		return 1;
	}
	fprintf(stderr, "%s: fusecheck shim: handing the tap (fd %d) to the "
		"filesystem for '%s'; mount options not applied: %s\n", prog,
		tap, sa->mountpoint ? sa->mountpoint : "",
		sa->opts && *sa->opts ? sa->opts : "(none)");
	err = send_fd(comm, tap);
	if (err) {
		fprintf(stderr, "%s: cannot pass the descriptor over %s=%d: "
			"%s\n", prog, COMMFD_ENV, comm, strerror(-err));
		return 1;
	}
	/* With auto_unmount fusermount would wait for the socket to close
	 * and then unmount; fusecheck unmounts, so there is nothing to
	 * wait for. */
	return 0;
}

static int shim(int argc, char **argv)
{
	const char *prog = argc > 0 && argv[0] ? argv[0] : "fusermount";
	struct shim_args sa;

	if (parse_args(argc, argv, &sa)) {
		fprintf(stderr, "%s: fusecheck shim: unexpected arguments\n",
			prog);
		return 1;
	}
	switch (sa.action) {
	case SHIM_VERSION:
		printf("fusermount3 version: fusecheck shim\n");
		return 0;
	case SHIM_HELP:
		printf("%s: fusecheck's fusermount shim: passes the "
		       "descriptor in %s over %s\n", prog, SHIM_FD_ENV,
		       COMMFD_ENV);
		return 0;
	case SHIM_UNMOUNT:
		/* fusecheck unmounts its own mount. */
		return 0;
	case SHIM_MOUNT:
		break;
	}
	/* `--auto-unmount -- MNT` alone (libfuse setup_auto_unmount, after
	 * a mount of its own) asks only for the unmount watch. */
	if (sa.auto_unmount)
		return 0;
	return do_mount(&sa, prog);
}

/* The shim runs inside the filesystem's pid namespace, under a /proc
 * that shows the host's pids: LeakSanitizer, in the sanitized test
 * build, lists the process's threads as /proc/<its pid>/task at exit
 * and fails there ("Can't open /proc/9/task").  The shim keeps nothing
 * it allocated; it ends without the atexit work. */
int main(int argc, char **argv)
{
	int rc = shim(argc, argv);

	fflush(NULL);
	_exit(rc);
}
