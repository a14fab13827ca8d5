/* vm/modules.h - the kernel modules a guest must load, in order. */
#ifndef FC_VM_MODULES_H
#define FC_VM_MODULES_H

#include <stddef.h>

struct vm_module {
	char name[64];           /* as insmod's messages name it */
	char *path;              /* the file, maybe .ko.xz/.ko.zst/.ko.gz */
};

struct vm_modules {
	struct vm_module *m;     /* dependencies before their users */
	size_t n;
};

/* Resolve `wanted` (names, NULL-terminated) and their dependencies
 * under `moddir` (lib/modules/RELEASE; "" when the kernel has none: all
 * wanted must then be built in).  A wanted module that is neither built
 * in nor found is not an error here: the guest says what failed. */
int vm_modules_resolve(const char *moddir, const char *const *wanted,
		       struct vm_modules *out);
void vm_modules_free(struct vm_modules *mods);

/* A module file's contents, decompressed whatever its suffix; the
 * caller frees *buf. */
int vm_module_read(const char *path, void **buf, size_t *len);

#endif
