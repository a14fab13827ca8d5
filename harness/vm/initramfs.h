/* vm/initramfs.h - the guest's first userspace: busybox, an init script
 * and the modules it loads, as a cpio archive the kernel unpacks. */
#ifndef FC_VM_INITRAMFS_H
#define FC_VM_INITRAMFS_H

#include "vm/modules.h"

/* Write `path` (newc cpio): /bin/busybox (a static busybox, from
 * `busybox`), /init with text `init`, /dev/console, and every module of
 * `mods` decompressed as /lib/modules/NAME.ko.  0 or -errno, with `err`
 * naming what failed. */
int vm_initramfs_write(const char *path, const char *busybox,
		       const char *init, const struct vm_modules *mods,
		       char *err, unsigned errlen);

#endif
