/* scaleload.c - the workload of bench/scale: N files in one directory
 * (flat) or spread over directories of PER files (tree); then every file
 * stat'ed, every directory listed twice (getdents64, the kernel chooses
 * READDIRPLUS or READDIR as the mount negotiated), and every file
 * removed.  Prints one line per phase: "phase NAME SECONDS OPS", so the
 * script can put the tap and the direct mount side by side. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long nfiles, per;
static int dirfds[65536];
static long ndirs;

/* the directory and name of file i */
static int where(long i, char *name, size_t size)
{
	snprintf(name, size, "f%ld", i);
	return dirfds[per ? i / per : 0];
}

static void phase(const char *name, double t0, long ops)
{
	printf("phase %s %.3f %ld\n", name, now() - t0, ops);
	fflush(stdout);
}

static int list_all(void)
{
	static char buf[65536];
	long k, got, total = 0;
	int fd;

	for (k = 0; k < ndirs; k++) {
		fd = openat(dirfds[k], ".", O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return -1;
		while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
			total += got;
		close(fd);
		if (got < 0)
			return -1;
	}
	return total > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char name[64], path[4096];
	struct stat st;
	double t0;
	long i, k;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: scaleload DIR N PER (PER 0: one "
			"directory)\n");
		return 2;
	}
	nfiles = atol(argv[2]);
	per = atol(argv[3]);
	ndirs = per ? (nfiles + per - 1) / per : 1;
	if (nfiles < 1 || ndirs > 65536) {
		fprintf(stderr, "scaleload: N or PER out of range\n");
		return 2;
	}
	t0 = now();
	for (k = 0; k < ndirs; k++) {
		snprintf(path, sizeof(path), "%s/d%ld", argv[1], k);
		if (mkdir(path, 0755) ||
		    (dirfds[k] = open(path, O_PATH | O_DIRECTORY)) < 0) {
			perror(path);
			return 1;
		}
	}
	for (i = 0; i < nfiles; i++) {
		fd = openat(where(i, name, sizeof(name)), name,
			    O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0 || close(fd)) {
			perror(name);
			return 1;
		}
	}
	phase("create", t0, nfiles);
	t0 = now();
	for (i = 0; i < nfiles; i++)
		if (fstatat(where(i, name, sizeof(name)), name, &st,
			    AT_SYMLINK_NOFOLLOW)) {
			perror(name);
			return 1;
		}
	phase("stat", t0, nfiles);
	t0 = now();
	if (list_all() || list_all()) {
		perror("getdents64");
		return 1;
	}
	phase("list", t0, 2 * nfiles);
	t0 = now();
	for (i = 0; i < nfiles; i++)
		if (unlinkat(where(i, name, sizeof(name)), name, 0)) {
			perror(name);
			return 1;
		}
	for (k = 0; k < ndirs; k++) {
		close(dirfds[k]);
		snprintf(path, sizeof(path), "%s/d%ld", argv[1], k);
		if (rmdir(path)) {
			perror(path);
			return 1;
		}
	}
	phase("remove", t0, nfiles);
	return 0;
}
