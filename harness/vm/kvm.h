/* vm/kvm.h - does /dev/kvm really run a guest here? */
#ifndef FC_VM_KVM_H
#define FC_VM_KVM_H

/* 1 when a one-instruction guest runs to its HLT under KVM within a
 * second, 0 otherwise (no /dev/kvm, no permission, or a KVM that takes
 * the ioctls but never runs the guest, as on some nested hosts); `why`
 * says which. */
int vm_kvm_works(char *why, unsigned size);

#endif
