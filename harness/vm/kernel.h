/* vm/kernel.h - a kernel to boot, from what the user named: an image
 * file, a Debian kernel .deb, or a Debian package name. */
#ifndef FC_VM_KERNEL_H
#define FC_VM_KERNEL_H

#include <limits.h>

struct vm_kernel {
	char spec[256];          /* as given, for messages and the matrix */
	char release[128];       /* uname -r of it: "6.1.0-57-amd64" */
	char image[PATH_MAX];    /* bzImage */
	char moddir[PATH_MAX];   /* lib/modules/RELEASE, "" when none */
};

/* Resolve `spec` into `k`, downloading (apt-get download) and extracting
 * (dpkg-deb -x) into `cache` as needed; what is there already is reused.
 * 0, or -errno with `err` saying why. */
int vm_kernel_resolve(const char *spec, const char *cache,
		      struct vm_kernel *k, char *err, unsigned errlen);

/* The release string a bzImage carries in its setup header, or -EINVAL
 * when `path` is not one. */
int vm_kernel_image_release(const char *path, char *buf, unsigned size);

#endif
