/* mount/mount.c - mount(2) of FUSE by hand, as fusermount would, in our own
 * namespace.  Options follow the kernel's fs/fuse/inode.c parser:
 * fd, rootmode, user_id, group_id are required. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include "mount/mount.h"

#define FUSECTL_DIR "/sys/fs/fuse/connections"

/* write text to a /proc/self file; 0 or -errno */
static int write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n != (ssize_t)strlen(text))
		rc = n < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

/* Without root: a user namespace of our own, where we are root over our
 * own uid only (the kernel allows FUSE mounts there since Linux 4.18).
 * Must run before any thread starts. */
static int enter_user_ns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int rc;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return -errno;
	rc = write_proc("/proc/self/setgroups", "deny");
	if (!rc) {
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		rc = write_proc("/proc/self/uid_map", map);
	}
	if (!rc) {
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		rc = write_proc("/proc/self/gid_map", map);
	}
	return rc;
}

int mnt_enter_private_ns(void)
{
	int rc;

	if (geteuid() != 0) {
		rc = enter_user_ns();
		if (rc)
			return rc;
	} else if (unshare(CLONE_NEWNS) < 0) {
		return -errno;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

/* mountinfo writes space, tab, newline and backslash in a path as \ooo
 * octal escapes: 1 when the escaped field names exactly mnt. */
static int unescape_eq(const char *field, const char *mnt)
{
	const char *p = field;

	while (*p && *mnt) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' &&
		    p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
			if ((char)((p[1] - '0') * 64 + (p[2] - '0') * 8 +
				   (p[3] - '0')) != *mnt)
				return 0;
			p += 4;
		} else if (*p++ != *mnt) {
			return 0;
		}
		mnt++;
	}
	return !*p && !*mnt;
}

/* The device number of the mount at mnt.  stat() of the root would wait
 * for INIT, which nobody relays yet, so read /proc/self/mountinfo. */
static int mount_dev(const char *mnt, dev_t *dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], path[4096];
	unsigned maj, min;
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &maj, &min,
			   path) == 3 && unescape_eq(path, mnt)) {
			*dev = makedev(maj, min);
			err = 0;
		}
	}
	fclose(f);
	return err;
}

int mnt_fuse(const char *mnt, int *devfd, dev_t *dev)
{
	char opts[128];
	int fd, err;

	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=%u,group_id=%u,allow_other",
		 fd, (unsigned)getuid(), (unsigned)getgid());
	if (mount("fusecheck", mnt, "fuse.fusecheck", MS_NOSUID | MS_NODEV,
		  opts) < 0) {
		err = -errno;
		goto out_close;
	}
	err = mount_dev(mnt, dev);
	if (err)
		goto out_umount;
	*devfd = fd;
	return 0;

out_umount:
	umount2(mnt, MNT_DETACH);
out_close:
	close(fd);
	return err;
}

int mnt_unmount(const char *mnt)
{
	if (umount2(mnt, 0) == 0)
		return 0;
	if (errno == EBUSY && umount2(mnt, MNT_DETACH) == 0)
		return 0;
	return -errno;
}

int mnt_abort(dev_t dev)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), FUSECTL_DIR "/%u/abort", minor(dev));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* Not mounted in this namespace yet; our namespace is
		 * private, so this mount is ours alone. */
		if (mount("fusectl", FUSECTL_DIR, "fusectl", 0, NULL) < 0 &&
		    errno != EBUSY)
			return -errno;
		fd = open(path, O_WRONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) < 0)
		err = -errno;
	close(fd);
	return err;
}
