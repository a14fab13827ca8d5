/* vm/kernel.c - turn a kernel SPEC into an image, its release and its
 * modules.  Debian's packages are fetched with apt-get and unpacked with
 * dpkg-deb into the cache, one directory per package file, so a second
 * run boots at once.  The release of a bare image is read from the x86
 * boot protocol's setup header ("HdrS", and the version string it points
 * to: Documentation/arch/x86/boot.rst), never guessed from a file name. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "util/spawn.h"
#include "vm/kernel.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

int vm_kernel_image_release(const char *path, char *buf, unsigned size)
{
	unsigned char hdr[0x210];
	unsigned off, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = -EINVAL;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4))
		goto out_fd;
	off = (unsigned)hdr[0x20e] | (unsigned)hdr[0x20f] << 8;
	if (!off || size < 2)
		goto out_fd;
	n = pread(fd, buf, size - 1, (off_t)off + 0x200);
	if (n <= 0)
		goto out_fd;
	buf[n] = '\0';
	/* "6.1.0-57-amd64 (debian-kernel@...) #1 SMP ..." */
	for (i = 0; buf[i] && buf[i] != ' '; i++)
		if ((unsigned char)buf[i] < 0x21 || buf[i] == '/')
			goto out_fd;
	buf[i] = '\0';
	/* it names a directory under --out: never "." or "..", nor hidden */
	ret = i && buf[0] != '.' ? 0 : -EINVAL;
out_fd:
	close(fd);
	return ret;
}

static int is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISREG(st.st_mode);
}

/* A package name apt would take, and nothing a shell or apt could read
 * as an option or a path. */
static int is_package_name(const char *s)
{
	size_t i;

	if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (i = 0; s[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789.+-", s[i]))
			return 0;
	return i < 128;
}

/* The one boot/vmlinuz-* under root, its release from the name's tail
 * checked against the image's own. */
static int find_image(const char *root, struct vm_kernel *k, char *err,
		      unsigned errlen)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "%s/boot", root);
	d = opendir(dir);
	if (!d) {
		ERR("%s: the package holds no /boot: not a kernel image "
		    "package (a meta-package? name the versioned one, e.g. "
		    "linux-image-6.1.0-57-amd64)", k->spec);
		return -ENOENT;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vmlinuz-", 8))
			continue;
		if (snprintf(k->image, sizeof(k->image), "%s/%s", dir,
			     de->d_name) < (int)sizeof(k->image))
			found++;
	}
	closedir(d);
	if (found != 1) {
		ERR("%s: %s kernel images in the package's /boot, expected "
		    "one", k->spec, found ? "several" : "no");
		return -ENOENT;
	}
	if (vm_kernel_image_release(k->image, k->release,
				    sizeof(k->release))) {
		ERR("%s: not a bzImage with a version string", k->image);
		return -EINVAL;
	}
	snprintf(k->moddir, sizeof(k->moddir), "%s/lib/modules/%s", root,
		 k->release);
	if (!is_dir(k->moddir))
		k->moddir[0] = '\0';
	return 0;
}

/* Unpack a .deb into cache/unpacked/BASENAME once. */
static int from_deb(const char *deb, const char *cache, struct vm_kernel *k,
		    char *err, unsigned errlen)
{
	char root[PATH_MAX], tmp[PATH_MAX], log[PATH_MAX], st[64];
	const char *base = strrchr(deb, '/') ? strrchr(deb, '/') + 1 : deb;
	char *argv[] = { "dpkg-deb", "-x", (char *)deb, tmp, NULL };
	int status, rc;

	snprintf(root, sizeof(root), "%s/unpacked", cache);
	mkdir(root, 0755);
	snprintf(root, sizeof(root), "%s/unpacked/%s", cache, base);
	if (is_dir(root))
		return find_image(root, k, err, errlen);
	/* unpack beside, then rename: a cut-short unpack is never reused */
	if (snprintf(tmp, sizeof(tmp), "%s.part%d", root, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		ERR("%s: path too long", root);
		return -ENAMETOOLONG;
	}
	snprintf(log, sizeof(log), "%s/dpkg-deb.log", cache);
	rc = spawn_wait(argv, NULL, log, 600000, &status);
	if (rc || status) {
		ERR("%s: dpkg-deb -x %s (see %s)", deb,
		    rc ? strerror(-rc) : spawn_status_text(status, st,
							   sizeof(st)), log);
		return rc ? rc : -EIO;
	}
	if (rename(tmp, root) < 0) {
		ERR("%s: %s", root, strerror(errno));
		return -errno;
	}
	return find_image(root, k, err, errlen);
}

/* apt-get download NAME into cache/debs, unless a NAME_*.deb is there. */
static int from_package(const char *name, const char *cache,
			struct vm_kernel *k, char *err, unsigned errlen)
{
	char dir[PATH_MAX], deb[PATH_MAX], log[PATH_MAX], st[64];
	char *argv[] = { "apt-get", "download", (char *)name, NULL };
	size_t len = strlen(name);
	struct dirent *de;
	int status, rc, tries;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/debs", cache);
	mkdir(dir, 0755);
	for (tries = 0; tries < 2; tries++) {
		d = opendir(dir);
		if (!d) {
			ERR("%s: %s", dir, strerror(errno));
			return -errno;
		}
		deb[0] = '\0';
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, name, len) &&
			    de->d_name[len] == '_' &&
			    strlen(de->d_name) > 4 &&
			    !strcmp(de->d_name + strlen(de->d_name) - 4,
				    ".deb"))
				if (snprintf(deb, sizeof(deb), "%s/%s", dir,
					     de->d_name) >= (int)sizeof(deb))
					deb[0] = '\0';
		closedir(d);
		if (deb[0])
			return from_deb(deb, cache, k, err, errlen);
		if (tries)
			break;
		snprintf(log, sizeof(log), "%s/apt-get.log", cache);
		rc = spawn_wait(argv, dir, log, 900000, &status);
		if (rc || status) {
			ERR("%s: apt-get download failed: %s (see %s)", name,
			    rc ? strerror(-rc) :
				 spawn_status_text(status, st, sizeof(st)),
			    log);
			return rc ? rc : -ENOENT;
		}
	}
	ERR("%s: apt-get download left no %s_*.deb in %s", name, name, dir);
	return -ENOENT;
}

int vm_kernel_resolve(const char *spec, const char *cache,
		      struct vm_kernel *k, char *err, unsigned errlen)
{
	size_t len = strlen(spec);

	memset(k, 0, sizeof(*k));
	snprintf(k->spec, sizeof(k->spec), "%s", spec);
	if (len > 4 && !strcmp(spec + len - 4, ".deb")) {
		if (!is_file(spec)) {
			ERR("%s: no such package file", spec);
			return -ENOENT;
		}
		return from_deb(spec, cache, k, err, errlen);
	}
	if (strchr(spec, '/') || is_file(spec)) {
		if (!is_file(spec)) {
			ERR("%s: no such kernel image", spec);
			return -ENOENT;
		}
		snprintf(k->image, sizeof(k->image), "%s", spec);
		if (vm_kernel_image_release(spec, k->release,
					    sizeof(k->release))) {
			ERR("%s: not a bzImage (no x86 boot header with a "
			    "version string)", spec);
			return -EINVAL;
		}
		/* the modules of an installed kernel are where it left them */
		snprintf(k->moddir, sizeof(k->moddir), "/lib/modules/%s",
			 k->release);
		if (!is_dir(k->moddir))
			k->moddir[0] = '\0';
		return 0;
	}
	if (!is_package_name(spec)) {
		ERR("%s: not a kernel image, a .deb or a Debian package name",
		    spec);
		return -EINVAL;
	}
	return from_package(spec, cache, k, err, errlen);
}
