/* mount/caps.c - capability probes: one row per requirement, each a small
 * syscall sequence in a scratch directory.  A probe that fails for any
 * reason means "not supported": a scenario is skipped, never failed, for
 * what the filesystem does not claim to do. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include "mount/quiesce.h"
#include "scenario/scn.h"
#include "mount/caps.h"

#define PROBE_DIR ".fusecheck-probe"

static int at(char *buf, size_t n, const char *dir, const char *name)
{
	return snprintf(buf, n, "%s/" PROBE_DIR "/%s", dir, name) < (int)n;
}

static int probe_write(const char *dir)
{
	char p[4096];
	int fd;

	at(p, sizeof(p), dir, "f");
	fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int probe_hardlink(const char *dir)
{
	char a[4096], b[4096];

	at(a, sizeof(a), dir, "f");
	at(b, sizeof(b), dir, "l");
	return link(a, b) == 0 && unlink(b) == 0;
}

static int probe_symlink(const char *dir)
{
	char p[4096];

	at(p, sizeof(p), dir, "s");
	return symlink("f", p) == 0 && unlink(p) == 0;
}

static int probe_mknod(const char *dir)
{
	char p[4096];

	at(p, sizeof(p), dir, "p");
	return mkfifo(p, 0644) == 0 && unlink(p) == 0;
}

static int probe_xattr(const char *dir)
{
	char p[4096], v[8];

	at(p, sizeof(p), dir, "f");
	return setxattr(p, "user.fusecheck", "1", 1, 0) == 0 &&
	       getxattr(p, "user.fusecheck", v, sizeof(v)) == 1;
}

static int probe_tmpfile(const char *dir)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/" PROBE_DIR, dir);
	fd = open(p, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int probe_rename(const char *dir, unsigned flags)
{
	char a[4096], b[4096];
	int fd, ok;

	at(a, sizeof(a), dir, "f");
	at(b, sizeof(b), dir, "g");
	fd = open(b, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return 0;
	close(fd);
	ok = renameat2(AT_FDCWD, a, AT_FDCWD, b, flags);
	/* EXCHANGE must swap.  NOREPLACE must refuse an existing target,
	 * which the kernel may answer itself, and must also reach the
	 * filesystem for a free target: one that does not speak RENAME2
	 * (protocol < 7.23) gets EINVAL there. */
	if (flags == RENAME_NOREPLACE) {
		char c[4096];

		ok = ok < 0 && errno == EEXIST;
		at(c, sizeof(c), dir, "h");
		if (ok)
			ok = renameat2(AT_FDCWD, a, AT_FDCWD, c, flags) == 0 &&
			     rename(c, a) == 0;
	} else {
		ok = ok == 0;
	}
	unlink(b);
	if (flags == RENAME_EXCHANGE && access(a, F_OK) != 0) {
		fd = open(a, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	return ok;
}

static int probe_exchange(const char *dir)
{
	return probe_rename(dir, RENAME_EXCHANGE);
}

static int probe_noreplace(const char *dir)
{
	return probe_rename(dir, RENAME_NOREPLACE);
}

/* "namemax-255": the filesystem declares Linux's NAME_MAX (statfs
 * f_namemax), which scenarios that test the name limit are written for;
 * encrypting filesystems declare less, FUSE itself allows up to 1024 */
static int probe_namemax(const char *dir)
{
	struct statvfs sv;

	return statvfs(dir, &sv) == 0 && sv.f_namemax == 255;
}

/* "drop-caches" names the ability to quiesce, whichever way */
static int probe_drop(const char *dir)
{
	return quiesce_possible();
}

/* a shared, writable mapping of "f": FUSE refuses one on a file opened
 * for direct I/O (FOPEN_DIRECT_IO without FUSE_DIRECT_IO_ALLOW_MMAP) */
static int probe_mmap(const char *dir)
{
	char p[4096];
	void *addr;
	int fd;

	at(p, sizeof(p), dir, "f");
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	addr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (addr == MAP_FAILED)
		return 0;
	munmap(addr, 4096);
	return 1;
}

/* In order: later probes use the file "f" that probe_write made. */
static const struct {
	unsigned bit;
	int (*probe)(const char *dir);
	int needs_write;
} probes[] = {
	{ SCN_REQ_WRITE, probe_write, 0 },
	{ SCN_REQ_HARDLINK, probe_hardlink, 1 },
	{ SCN_REQ_SYMLINK, probe_symlink, 1 },
	{ SCN_REQ_MKNOD, probe_mknod, 1 },
	{ SCN_REQ_XATTR, probe_xattr, 1 },
	{ SCN_REQ_TMPFILE, probe_tmpfile, 1 },
	{ SCN_REQ_RENAME_EXCHANGE, probe_exchange, 1 },
	{ SCN_REQ_RENAME_NOREPLACE, probe_noreplace, 1 },
	{ SCN_REQ_DROP_CACHES, probe_drop, 0 },
	{ SCN_REQ_NAMEMAX_255, probe_namemax, 0 },
	{ SCN_REQ_MMAP, probe_mmap, 1 },
};

unsigned probe_caps(const char *dir)
{
	char p[4096];
	unsigned caps = 0, i;
	int have_dir;

	snprintf(p, sizeof(p), "%s/" PROBE_DIR, dir);
	have_dir = mkdir(p, 0755) == 0;
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		if (probes[i].needs_write &&
		    (!have_dir || !(caps & SCN_REQ_WRITE)))
			continue;
		if (probes[i].bit == SCN_REQ_WRITE && !have_dir)
			continue;
		if (probes[i].probe(dir))
			caps |= probes[i].bit;
	}
	if (have_dir) {
		at(p, sizeof(p), dir, "f");
		unlink(p);
		snprintf(p, sizeof(p), "%s/" PROBE_DIR, dir);
		rmdir(p);
	}
	return caps;
}

