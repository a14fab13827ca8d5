/* mount/libseen.c - read which libfuse the filesystem mapped, from
 * /proc/PID/maps of the filesystem's processes, found through the
 * children lists from the keeper down (/proc/PID/task/TID/children).
 * fusecheck's own libfuse says nothing about the filesystem's: mergerfs
 * bundles one, and `--libfuse DIR` or LD_LIBRARY_PATH may give it
 * another.  At most PIDS_MAX processes are looked at. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mount/libseen.h"

#define PIDS_MAX 64

static int mapped_in(pid_t pid, char *buf, size_t size)
{
	char path[64], line[PATH_MAX + 256], *p, *nl;
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (ret && fgets(line, sizeof(line), f)) {
		p = strchr(line, '/');
		if (!p || (!strstr(p, "/libfuse3.so") &&
			   !strstr(p, "/libfuse.so")))
			continue;
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		snprintf(buf, size, "%s", p);
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* Append the children of every thread of pid to list. */
static void children_of(pid_t pid, pid_t *list, size_t *n)
{
	char path[64], cpath[128];
	struct dirent *de;
	DIR *d;
	FILE *f;
	int child;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && *n < PIDS_MAX) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "%s/%.20s/children", path,
			 de->d_name);
		f = fopen(cpath, "re");
		if (!f)
			continue;
		while (*n < PIDS_MAX && fscanf(f, "%d", &child) == 1)
			list[(*n)++] = child;
		fclose(f);
	}
	closedir(d);
}

/* A fork of fusecheck itself (the same executable), not yet exec'd. */
static int is_fusecheck(pid_t pid)
{
	char path[64], exe[PATH_MAX], self[PATH_MAX];
	ssize_t a, b;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	a = readlink(path, exe, sizeof(exe) - 1);
	b = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (a <= 0 || b <= 0)
		return 0;
	exe[a] = self[b] = '\0';
	return !strcmp(exe, self);
}

int libseen_mapped(pid_t root, char *buf, size_t size)
{
	pid_t list[PIDS_MAX];
	size_t n = 0, i;

	if (root <= 0)
		return -ENOENT;
	/* the keeper and the namespace's init are forks of fusecheck and
	 * map fusecheck's libfuse: only what runs the filesystem's program
	 * counts */
	list[n++] = root;
	for (i = 0; i < n; i++) {
		if (!is_fusecheck(list[i]) && !mapped_in(list[i], buf, size))
			return 0;
		children_of(list[i], list, &n);
	}
	return -ENOENT;
}
