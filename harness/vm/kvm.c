/* vm/kvm.c - probe KVM by running a guest of one HLT instruction.  An
 * open /dev/kvm proves little: seen here, a host whose KVM creates VMs
 * and vCPUs but whose guests never print a line.  The probe vCPU starts
 * in real mode at address 0 of a page holding 0xf4 (HLT) and must come
 * back with KVM_EXIT_HLT; a timer signal bounds a KVM_RUN that never
 * returns. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include "vm/kvm.h"

static void on_alarm(int sig)
{
	(void)sig; /* only to make KVM_RUN return EINTR */
}

static int run_hlt(int vcpu, struct kvm_run *run)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval t = { .it_value = { 1, 0 } }, off = { 0 };
	int rc;

	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &t, NULL);
	rc = ioctl(vcpu, KVM_RUN, 0);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (rc < 0)
		return -errno;
	return run->exit_reason == KVM_EXIT_HLT ? 0 : -EPROTO;
}

int vm_kvm_works(char *why, unsigned size)
{
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0, .rflags = 2 };
	struct kvm_run *run;
	unsigned char *mem;
	int kvm, vm, vcpu, mmap_size, ok = 0, rc;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		snprintf(why, size, "/dev/kvm: %s", strerror(errno));
		return 0;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		snprintf(why, size, "KVM_CREATE_VM: %s", strerror(errno));
		goto out_kvm;
	}
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		goto out_vm;
	mem[0] = 0xf4; /* hlt */
	region.memory_size = 4096;
	region.userspace_addr = (unsigned long)mem;
	vcpu = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -1 :
	       ioctl(vm, KVM_CREATE_VCPU, 0);
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || mmap_size <= 0) {
		snprintf(why, size, "KVM vCPU: %s", strerror(errno));
		goto out_mem;
	}
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
		   0);
	if (run == MAP_FAILED ||
	    ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(why, size, "KVM vCPU state: %s", strerror(errno));
		goto out_vcpu;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(vcpu, KVM_SET_REGS, &regs) < 0) {
		snprintf(why, size, "KVM vCPU setup: %s", strerror(errno));
		goto out_run;
	}
	rc = run_hlt(vcpu, run);
	ok = rc == 0;
	if (!ok)
		snprintf(why, size, "a KVM guest of one HLT did not halt "
			 "(%s)", rc == -EINTR ? "no exit within 1 s" :
			 strerror(-rc));
out_run:
	munmap(run, mmap_size);
out_vcpu:
	close(vcpu);
out_mem:
	munmap(mem, 4096);
out_vm:
	close(vm);
out_kvm:
	close(kvm);
	return ok;
}
