/* util/treerm.c - remove a directory tree through descriptors only.
 *
 * Used for the scenario statement `rmtree` and for the harness's cleanup
 * of a scenario's working directory.  No path is ever built, so depth is
 * no limit (a tree deeper than PATH_MAX is removed like any other), and
 * only one directory descriptor is open at a time, so depth costs no
 * descriptors either: the walk goes down into the first directory that
 * is not empty and back up through "..", counting its depth so that it
 * never climbs above where it started.  Symlinks are never followed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "util/dents.h"
#include "util/treerm.h"

#define TREERM_BUF 32768

static void where(char *buf, size_t size, const char *name, size_t depth)
{
	if (buf && !buf[0])
		snprintf(buf, size, "at \"%.200s\" (depth %zu)", name, depth);
}

/* Empty the directory fd of everything but its subdirectories that are
 * not empty; the first such one is named in *sub (malloc'd).  0 when the
 * directory is now empty, 1 with *sub set, or -errno. */
static int clear_level(int fd, char **sub, char *wbuf, size_t wsize,
		       size_t depth)
{
	char *buf = malloc(TREERM_BUF);
	const struct dent64 *d;
	size_t pos;
	long got;
	int rc = 0, removed;

	*sub = NULL;
	if (!buf)
		return -ENOMEM;
	do {
		removed = 0;
		if (lseek(fd, 0, SEEK_SET) < 0) {
			rc = -errno;
			break;
		}
		while (!rc && !*sub &&
		       (got = syscall(SYS_getdents64, fd, buf, TREERM_BUF)) > 0) {
			for (pos = 0; (d = dents_next(buf, (size_t)got, &pos));) {
				const char *n = d->d_name;

				if (dent_name_len(d) == d->d_reclen - DENT_HDR ||
				    dent_is_dot(d))
					continue;
				/* the kernel refuses such names from a
				 * filesystem; never make one a path */
				if (strchr(n, '/')) {
					rc = -EIO;
					break;
				}
				if (!unlinkat(fd, n, 0) ||
				    (errno == EISDIR &&
				     !unlinkat(fd, n, AT_REMOVEDIR))) {
					removed = 1;
					continue;
				}
				if (errno == ENOTEMPTY || errno == EEXIST) {
					*sub = strdup(n);
					rc = *sub ? 0 : -ENOMEM;
				} else if (errno != ENOENT) {
					rc = -errno;
					where(wbuf, wsize, n, depth);
				}
				break;
			}
		}
		if (!rc && !*sub && got < 0)
			rc = -errno;
	/* a listing read while entries go may skip some: list again until
	 * a pass removes nothing */
	} while (!rc && !*sub && removed);
	free(buf);
	return rc ? rc : *sub ? 1 : 0;
}

int treerm_at(int dfd, const char *name, char *wbuf, size_t wsize)
{
	struct stat st;
	size_t depth = 0;
	char *sub;
	int fd, nfd, rc;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		goto fail;
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0))
			goto fail;
		return 0;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	for (;;) {
		rc = clear_level(fd, &sub, wbuf, wsize, depth);
		if (rc == 1) {
			nfd = openat(fd, sub, O_RDONLY | O_DIRECTORY |
						      O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0) {
				rc = -errno;
				where(wbuf, wsize, sub, depth);
				free(sub);
				break;
			}
			free(sub);
			close(fd);
			fd = nfd;
			depth++;
			continue;
		}
		if (rc < 0 || depth == 0)
			break;
		/* this level is empty: back up and go on with its parent,
		 * which removes it on its next pass */
		nfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (nfd < 0) {
			rc = -errno;
			where(wbuf, wsize, "..", depth);
			break;
		}
		close(fd);
		fd = nfd;
		depth--;
	}
	close(fd);
	if (rc < 0)
		return rc;
	if (unlinkat(dfd, name, AT_REMOVEDIR))
		goto fail;
	return 0;
fail:
	rc = -errno;
	where(wbuf, wsize, name, 0);
	return rc;
}
