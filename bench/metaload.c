/* metaload.c - the metadata-heavy workload of bench/tap-overhead: several
 * threads create, stat and unlink files in their own directories, then
 * one large directory is listed.  Prints operations per second of the
 * timed part only, so mount setup never counts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

static const char *root;
static int nfiles = 2000;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *churn(void *arg)
{
	long t = (long)arg;
	char dir[4096], path[4200];
	struct stat st;
	int i, fd;

	snprintf(dir, sizeof(dir), "%s/t%ld", root, t);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return (void *)1;
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0)
			return (void *)1;
		close(fd);
	}
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		if (stat(path, &st) < 0)
			return (void *)1;
	}
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		if (unlink(path) < 0)
			return (void *)1;
	}
	return rmdir(dir) < 0 ? (void *)1 : NULL;
}

/* List a directory of `n` entries `reps` times; returns entries seen. */
static long list_big(int n, int reps)
{
	char dir[4096], path[4200];
	struct dirent *de;
	long seen = 0;
	DIR *d;
	int i, fd;

	snprintf(dir, sizeof(dir), "%s/big", root);
	mkdir(dir, 0755);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/e%d", dir, i);
		fd = open(path, O_CREAT | O_WRONLY, 0644);
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < reps; i++) {
		d = opendir(dir);
		if (!d)
			return -1;
		while ((de = readdir(d)))
			seen++;
		closedir(d);
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/e%d", dir, i);
		unlink(path);
	}
	rmdir(dir);
	return seen;
}

int main(int argc, char **argv)
{
	int threads = 4, i, bad = 0;
	pthread_t tid[64];
	double t0, t1;
	void *ret;
	long listed;

	if (argc < 2) {
		fprintf(stderr, "usage: metaload DIR [THREADS] [FILES]\n");
		return 2;
	}
	root = argv[1];
	if (argc > 2)
		threads = atoi(argv[2]);
	if (argc > 3)
		nfiles = atoi(argv[3]);
	if (threads < 1 || threads > 64 || nfiles < 1)
		return 2;
	t0 = now();
	for (i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, churn, (void *)(long)i);
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], &ret);
		bad |= ret != NULL;
	}
	listed = list_big(nfiles * 2, 5);
	t1 = now();
	if (bad || listed < 0) {
		fprintf(stderr, "metaload: an operation failed\n");
		return 1;
	}
	/* create + stat + unlink per file, plus the listing's entries */
	printf("ops_per_sec %.1f\n",
	       ((double)threads * nfiles * 3 + (double)listed) / (t1 - t0));
	return 0;
}
