/* vm/initramfs.c - write the guest's initramfs with libarchive (newc
 * cpio, uncompressed: the kernel unpacks it as is, and it is rebuilt in
 * a second).  Modules go in decompressed, so busybox's insmod needs no
 * xz or zstd support. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <archive.h>
#include <archive_entry.h>
#include "vm/initramfs.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

static int put(struct archive *a, const char *name, mode_t mode, dev_t rdev,
	       const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	int ok;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, mode);
	archive_entry_set_rdev(e, rdev);
	archive_entry_set_size(e, S_ISREG(mode) ? (la_int64_t)len : 0);
	archive_entry_set_nlink(e, S_ISDIR(mode) ? 2 : 1);
	ok = archive_write_header(a, e) == ARCHIVE_OK &&
	     (!S_ISREG(mode) || !len ||
	      archive_write_data(a, data, len) == (la_ssize_t)len);
	archive_entry_free(e);
	return ok ? 0 : -EIO;
}

static int slurp(const char *path, void **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (64 << 20)) {
		ret = -EINVAL;
		goto out_fd;
	}
	*buf = malloc(st.st_size ? st.st_size : 1);
	if (!*buf) {
		ret = -ENOMEM;
		goto out_fd;
	}
	n = read(fd, *buf, st.st_size);
	if (n != st.st_size) {
		free(*buf);
		ret = -EIO;
	}
	*len = (size_t)st.st_size;
out_fd:
	close(fd);
	return ret;
}

static const char *const dirs[] = {
	"bin", "dev", "proc", "sys", "lib", "lib/modules", "lower", "upper",
	"newroot",
};

int vm_initramfs_write(const char *path, const char *busybox,
		       const char *init, const struct vm_modules *mods,
		       char *err, unsigned errlen)
{
	struct archive *a = archive_write_new();
	char name[128];
	void *buf;
	size_t len, i;
	int rc;

	if (!a)
		return -ENOMEM;
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, path) != ARCHIVE_OK) {
		ERR("%s: %s", path, archive_error_string(a));
		rc = -EIO;
		goto out_archive;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		rc = put(a, dirs[i], S_IFDIR | 0755, 0, NULL, 0);
		if (rc)
			goto out_write;
	}
	/* the kernel opens it for init's stdin, stdout and stderr */
	rc = put(a, "dev/console", S_IFCHR | 0600, makedev(5, 1), NULL, 0);
	if (rc)
		goto out_write;
	rc = slurp(busybox, &buf, &len);
	if (rc) {
		ERR("%s: %s (install busybox-static)", busybox,
		    strerror(-rc));
		goto out_close;
	}
	rc = put(a, "bin/busybox", S_IFREG | 0755, 0, buf, len);
	free(buf);
	if (rc)
		goto out_write;
	rc = put(a, "init", S_IFREG | 0755, 0, init, strlen(init));
	if (rc)
		goto out_write;
	for (i = 0; i < mods->n; i++) {
		rc = vm_module_read(mods->m[i].path, &buf, &len);
		if (rc) {
			ERR("%s: cannot read the module: %s",
			    mods->m[i].path, strerror(-rc));
			goto out_close;
		}
		snprintf(name, sizeof(name), "lib/modules/%s.ko",
			 mods->m[i].name);
		rc = put(a, name, S_IFREG | 0644, 0, buf, len);
		free(buf);
		if (rc)
			goto out_write;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = -EIO;
		goto out_write;
	}
	archive_write_free(a);
	return 0;
out_write:
	ERR("%s: %s", path, archive_error_string(a) ?
		    archive_error_string(a) : "cannot write");
out_close:
	archive_write_close(a);
	unlink(path);
out_archive:
	archive_write_free(a);
	return rc ? rc : -EIO;
}
