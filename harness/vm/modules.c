/* vm/modules.c - which modules a guest loads, and in which order.  A
 * kernel package carries no modules.dep (depmod writes it at install),
 * so the dependencies are read where depmod reads them: the "depends="
 * entry of each module's .modinfo.  Compressed modules (Debian's 6.12
 * ships .ko.xz, which busybox insmod cannot load) are decompressed here
 * through libarchive. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include "vm/modules.h"

/* A name as the kernel compares it: '-' and '_' are one. */
static void norm(char *dst, const char *src, size_t size)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = src[i] == '-' ? '_' : src[i];
	dst[i] = '\0';
}

/* NAME of ".../NAME.ko[.xz|.zst|.gz]", normalised; 0 when not a module. */
static int module_name(const char *path, char *name, size_t size)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *ko = strstr(base, ".ko");
	char raw[64];
	size_t i;

	if (!ko || (ko[3] && strcmp(ko + 3, ".xz") && strcmp(ko + 3, ".zst") &&
		    strcmp(ko + 3, ".gz")))
		return 0;
	if ((size_t)(ko - base) >= sizeof(raw) || ko == base)
		return 0;
	/* the name goes into the guest's init script: a package is input,
	 * and only a plain module name is taken from it */
	for (i = 0; base + i < ko; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-", base[i]))
			return 0;
	memcpy(raw, base, ko - base);
	raw[ko - base] = '\0';
	norm(name, raw, size);
	return 1;
}

/* Every module file under moddir, found once (nftw has no user pointer). */
static struct {
	char (*names)[64];
	char **paths;
	size_t n, cap;
} found;

static int collect(const char *path, const struct stat *st, int type,
		   struct FTW *ftw)
{
	char name[64];

	if (type != FTW_F || !module_name(path, name, sizeof(name)))
		return 0;
	if (found.n == found.cap) {
		size_t cap = found.cap ? found.cap * 2 : 1024;
		void *a = realloc(found.names, cap * sizeof(*found.names));
		void *b;

		if (!a)
			return -1;
		found.names = a;
		b = realloc(found.paths, cap * sizeof(*found.paths));
		if (!b)
			return -1;
		found.paths = b;
		found.cap = cap;
	}
	found.paths[found.n] = strdup(path);
	if (!found.paths[found.n])
		return -1;
	memcpy(found.names[found.n++], name, sizeof(name));
	return 0;
}

static void found_free(void)
{
	size_t i;

	for (i = 0; i < found.n; i++)
		free(found.paths[i]);
	free(found.paths);
	free(found.names);
	memset(&found, 0, sizeof(found));
}

static const char *found_path(const char *name)
{
	size_t i;

	for (i = 0; i < found.n; i++)
		if (!strcmp(found.names[i], name))
			return found.paths[i];
	return NULL;
}

int vm_module_read(const char *path, void **buf, size_t *len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t cap = 1 << 20, n = 0;
	char *data = NULL, *bigger;
	la_ssize_t got;
	int ret = -EIO;

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		goto out_archive;
	data = malloc(cap);
	if (!data) {
		ret = -ENOMEM;
		goto out_archive;
	}
	for (;;) {
		if (n == cap) {
			/* no module is near this; a bigger one is not one */
			if (cap >= (256u << 20))
				goto out_data;
			bigger = realloc(data, cap * 2);
			if (!bigger) {
				ret = -ENOMEM;
				goto out_data;
			}
			data = bigger;
			cap *= 2;
		}
		got = archive_read_data(a, data + n, cap - n);
		if (got < 0)
			goto out_data;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*buf = data;
	*len = n;
	archive_read_free(a);
	return 0;
out_data:
	free(data);
out_archive:
	archive_read_free(a);
	return ret;
}

/* The "depends=a,b" string of a module's .modinfo, copied into deps. */
static int module_depends(const char *path, char *deps, size_t size)
{
	static const char key[] = "depends=";
	void *buf;
	size_t len, i, k;
	const char *p;
	int rc = vm_module_read(path, &buf, &len);

	if (rc)
		return rc;
	deps[0] = '\0';
	p = buf;
	for (i = 1; i + sizeof(key) <= len; i++) {
		if (p[i - 1] != '\0' || memcmp(p + i, key, sizeof(key) - 1))
			continue;
		i += sizeof(key) - 1;
		for (k = 0; i < len && p[i] && k + 1 < size; i++, k++)
			deps[k] = p[i];
		deps[k] = '\0';
		break;
	}
	free(buf);
	return 0;
}

static int push(struct vm_modules *out, const char *name, const char *path)
{
	struct vm_module *m = realloc(out->m, (out->n + 1) * sizeof(*m));

	if (!m)
		return -ENOMEM;
	out->m = m;
	snprintf(m[out->n].name, sizeof(m[out->n].name), "%s", name);
	m[out->n].path = strdup(path);
	if (!m[out->n].path)
		return -ENOMEM;
	out->n++;
	return 0;
}

static int listed(const struct vm_modules *out, const char *name)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		if (!strcmp(out->m[i].name, name))
			return 1;
	return 0;
}

/* Depth-first: dependencies land before their users.  `depth` bounds a
 * dependency loop in a hostile package. */
static int add(struct vm_modules *out, const char *name, int depth)
{
	char deps[512], *tok, *save;
	const char *path = found_path(name);
	int rc;

	if (!path || listed(out, name))
		return 0;
	if (depth > 32)
		return -ELOOP;
	rc = module_depends(path, deps, sizeof(deps));
	if (rc)
		return rc;
	for (tok = strtok_r(deps, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char n[64];

		norm(n, tok, sizeof(n));
		rc = add(out, n, depth + 1);
		if (rc)
			return rc;
	}
	return listed(out, name) ? 0 : push(out, name, path);
}

int vm_modules_resolve(const char *moddir, const char *const *wanted,
		       struct vm_modules *out)
{
	char dir[4096], name[64];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!*moddir)
		return 0;
	snprintf(dir, sizeof(dir), "%s/kernel", moddir);
	if (nftw(dir, collect, 16, FTW_PHYS) < 0) {
		rc = errno ? -errno : -ENOMEM;
		goto out_found;
	}
	for (; *wanted && !rc; wanted++) {
		norm(name, *wanted, sizeof(name));
		rc = add(out, name, 0);
	}
out_found:
	found_free();
	if (rc)
		vm_modules_free(out);
	return rc;
}

void vm_modules_free(struct vm_modules *mods)
{
	size_t i;

	for (i = 0; i < mods->n; i++)
		free(mods->m[i].path);
	free(mods->m);
	memset(mods, 0, sizeof(*mods));
}
