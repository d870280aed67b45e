/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: what a VMM says about the VM it runs, read from its command
 * line (/proc/PID/cmdline): the VM's name and UUID. Recognised:
 *
 *   QEMU (argv[0] "qemu*", as libvirt starts it too):
 *     -name [guest=]NAME[,debug-threads=on][,process=...], -uuid UUID
 *   Firecracker: --id ID                    (no UUID)
 *   crosvm:      run --name NAME            (no UUID)
 *   cloud-hypervisor: --platform ...,uuid=UUID   (no name)
 *   memvirt-vmm (selftests): --id ID, --uuid UUID
 *
 * Anything else: both empty, never guessed.
 */
#ifndef MEMVIRT_VMNAME_H
#define MEMVIRT_VMNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MV_VM_NAME_LEN	128
#define MV_VM_UUID_LEN	37	/* 36 characters and the NUL */

struct mv_vm_names {
	char name[MV_VM_NAME_LEN];	/* "": none given; bytes that are not
					 * UTF-8 replaced by U+FFFD */
	char uuid[MV_VM_UUID_LEN];	/* lower case; "": none given */
};

/* The names in a command line of @len bytes, NUL-separated arguments. */
void mv_vmname_parse(const char *cmdline, size_t len, struct mv_vm_names *out);
/* The same from /proc/@pid/cmdline; both empty if it cannot be read. */
void mv_vmname_read(pid_t pid, struct mv_vm_names *out);
/*
 * The processes whose command line names @vm (a name or UUID): up to @max
 * pids into @pids. Returns how many there are (maybe more than @max).
 */
size_t mv_vmname_pids(const char *vm, pid_t *pids, size_t max);
/*
 * The KVM VM fds of process @pid ("anon_inode:kvm-vm"): the first one's
 * number into *@fd. Returns how many; 0 if none or unreadable.
 */
unsigned int mv_kvm_vm_fds(pid_t pid, int *fd);

/* "8-4-4-4-12" hexadecimal digits. */
bool mv_uuid_valid(const char *s);

#endif /* MEMVIRT_VMNAME_H */
