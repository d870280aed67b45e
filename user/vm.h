/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the list and show verbs, and the host backing of one VM for
 * the verbs that report it.
 */
#ifndef MEMVIRT_VM_H
#define MEMVIRT_VM_H

#include <stddef.h>
#include <stdint.h>

#include "backing.h"
#include "nl.h"

/* Memslots, as a dump callback collects them. */
struct mv_slot_list {
	struct mv_slot *v;
	size_t nr;
};

/* mv_slot_cb appending to the struct mv_slot_list @arg; 0 or -ENOMEM. */
int mv_slot_collect(const struct mv_slot *slot, void *arg);

/* Backing of a VM: one entry per memslot of its list, and the total. */
struct mv_vm_backing {
	struct mv_backing *slot;
	size_t nr;
	struct mv_backing total;
};

/*
 * Reads the host backing of @vm's memslots @slots (all address spaces, this
 * VM's only) in the address space of the process that created it. The total
 * counts each host page of the user slots once: SMM slots (address space 1)
 * alias those of address space 0. Prints why on failure; 0 or -errno.
 */
int mv_vm_backing_compute(struct mv_backing_ctx *ctx, const struct mv_vm *vm,
			  const struct mv_slot *slots, size_t nr,
			  struct mv_vm_backing *out);
/* The same from every VM's memslots @all: @vm's own are picked out. */
int mv_vm_backing_of(struct mv_backing_ctx *ctx, const struct mv_vm *vm,
		     const struct mv_slot_list *all, struct mv_vm_backing *out);
void mv_vm_backing_free(struct mv_vm_backing *b);

/* The host's totals ("list --summary", export): every VM found, summed. */
struct mv_host_sum {
	uint64_t vms, memory, overhead;
	uint64_t resident;		/* when the backing could be read */
	uint64_t unreadable;		/* VMs whose backing could not */
	uint64_t no_vm_fd;		/* held by vCPU fds or mappings only */
	uint64_t no_debugfs;		/* KVM gave no debugfs directory */
	char (*ids)[MEMVIRT_VM_ID_LEN];	/* of the VMs KVM named */
	size_t nr_ids;
};

/* Adds @vm (@bk: its backing total, NULL if not read); 0 or -ENOMEM. */
int mv_host_sum_add(struct mv_host_sum *sum, const struct mv_vm *vm,
		    const struct mv_backing *bk);
/*
 * KVM's own count: the VM directories in its debugfs, and how many of them
 * name no VM of @sum. Both -1 when debugfs cannot be read.
 */
void mv_kvm_debugfs_count(const struct mv_host_sum *sum, int64_t *dirs,
			  int64_t *unattributed);

#endif /* MEMVIRT_VM_H */
