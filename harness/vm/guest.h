/* vm/guest.h - boot one kernel under qemu and run fusecheck inside. */
#ifndef FC_VM_GUEST_H
#define FC_VM_GUEST_H

#include "vm/kernel.h"
#include "vm/modules.h"

struct vm_guest_opts {
	const char *qemu;        /* qemu-system-x86_64 */
	unsigned memory_mb, cpus;
	unsigned timeout_s;      /* the whole guest, boot to poweroff */
	int kvm;                 /* 1: /dev/kvm works, 0: TCG */
	unsigned first_line_s;   /* under KVM: a guest that has not printed
				    its first line by then is given up */
};

struct vm_guest_result {
	int exit_code;           /* fusecheck's in the guest; -1: none */
	char why[512];           /* when there is none: what went wrong */
	double seconds;          /* boot to poweroff */
	int silent;              /* given up for printing nothing in time */
};

/* The init script every guest runs; the results directory comes from
 * the kernel command line, so one initramfs serves every run of a
 * kernel.  malloc'd. */
char *vm_guest_init_text(const struct vm_modules *mods);

/* resdir/guest.sh: cd to cwd and exec argv (fusecheck run ...), every
 * word quoted for sh.  0 or -errno. */
int vm_guest_write_script(const char *resdir, const char *cwd,
			  char *const argv[]);

/* Boot `k` with `initrd`, the host's root read-only and resdir
 * writable; wait for poweroff or the timeout.  resdir/console.log
 * keeps what the guest printed.  0 (read r) or -errno. */
int vm_guest_run(const struct vm_kernel *k, const char *initrd,
		 const char *resdir, const struct vm_guest_opts *o,
		 struct vm_guest_result *r);

/* The last `lines` lines of resdir/console.log into buf. */
void vm_guest_console_tail(const char *resdir, unsigned lines, char *buf,
			   size_t size);

#endif
