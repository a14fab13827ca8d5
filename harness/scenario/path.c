/* scenario/path.c - scenario paths resolved by the kernel beneath the
 * scenario's working directory, never by their text.
 *
 * fusecheck runs scenario files as root.  A path such as d/up/../../x,
 * where d/up is a symlink to "..", is harmless as text and escapes once an
 * ordinary syscall follows the link.  Every path a scenario names is
 * therefore resolved with openat2(2) from a descriptor of the working
 * directory with RESOLVE_IN_ROOT (absolute symlinks and ".." stay inside,
 * as under chroot), RESOLVE_NO_MAGICLINKS (no /proc/.../fd jumps) and
 * RESOLVE_NO_XDEV (no crossing into another mount).  Calls without such a
 * form get the parent resolved this way and act on the last component
 * with their *at variant; calls that only exist by path act on
 * /proc/self/fd/N of a descriptor resolved this way, which names exactly
 * the inode that was confined.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include "scenario/scn_int.h"

#define SCN_RESOLVE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
/* openat2 says EAGAIN when a rename elsewhere raced with a ".." step;
 * parallel scenarios rename all the time, so try again a bounded number
 * of times */
#define SCN_RESOLVE_TRIES 1000

/* flags open(2) accepts but openat2(2) refuses with O_PATH */
#define SCN_OPATH_KEEP (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* The working directory, opened for one call: a descriptor held across
 * calls would pin it and unbalance every quiesce.  Its path is ours (the
 * mountpoint, and the directory we made under it); O_NOFOLLOW because
 * the filesystem could still answer that last name with a symlink. */
static int open_root(const char *root)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int open_beneath(int root, const char *rel, int flags, mode_t mode)
{
	struct open_how how = { 0 };
	int tries, fd;

	if (flags & O_PATH)
		flags &= SCN_OPATH_KEEP;
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	/* open(2) ignores a mode without O_CREAT or O_TMPFILE; openat2
	 * refuses it */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode & 07777;
	how.resolve = SCN_RESOLVE;
	for (tries = 0; tries < SCN_RESOLVE_TRIES; tries++) {
		fd = (int)syscall(SYS_openat2, root, rel[0] ? rel : ".", &how,
				  sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

int scn_path_open(const char *root, const char *rel, int flags, mode_t mode)
{
	int rfd = open_root(root), fd;

	if (rfd < 0)
		return rfd;
	fd = open_beneath(rfd, rel, flags, mode);
	close(rfd);
	return fd;
}

int scn_path_parent(const char *root, const char *rel, char *last,
		    size_t lastsize)
{
	size_t len = strlen(rel), cut;
	const char *slash;
	char *dir;
	int fd;

	/* "d/" names d, as for the syscalls */
	while (len > 1 && rel[len - 1] == '/')
		len--;
	for (slash = NULL, cut = len; cut > 0; cut--)
		if (rel[cut - 1] == '/') {
			slash = rel + cut - 1;
			break;
		}
	if (len - cut + 1 > lastsize)
		return -ENAMETOOLONG;
	memcpy(last, rel + cut, len - cut);
	last[len - cut] = '\0';
	dir = strndup(rel, slash ? (size_t)(slash - rel) + 1 : 0);
	if (!dir)
		return -ENOMEM;
	/* The last component is never resolved by the *at call when it is
	 * "." or "..": the whole path is, beneath the root, and the call
	 * gets "." of what it names (an error for every call that takes
	 * it, as the plain call's would be). */
	if (!last[0] || !strcmp(last, ".") || !strcmp(last, "..")) {
		free(dir);
		dir = strndup(rel, len);
		if (!dir)
			return -ENOMEM;
		snprintf(last, lastsize, ".");
	}
	fd = scn_path_open(root, dir, O_PATH | O_DIRECTORY, 0);
	free(dir);
	return fd;
}

void scn_path_proc(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}
