/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: one snapshot of the host, read once per interval by
 * mv_host_read(): the VMs, their memslots and host backing, the zones, the
 * hugetlb pools and vmstat counters, the page faults the probes counted.
 * Verbs choose what to read and only render it.
 */
#ifndef MEMVIRT_HOST_H
#define MEMVIRT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/backing.h"
#include "lib/filter.h"
#include "lib/mm.h"
#include "lib/nl.h"
#include "lib/probe.h"

/* Backing of a VM: one entry per memslot of its list, and the total. */
struct mv_vm_backing {
	struct mv_backing *slot;	/* NULL: not read */
	size_t nr;
	struct mv_backing total;
};

/*
 * The host's totals ("list --summary", export): every VM found, summed;
 * with a filter, every VM shown. KVM's debugfs count is always the host's.
 */
struct mv_host_sum {
	uint64_t vms, memory, overhead;
	uint64_t resident;		/* when the backing could be read */
	uint64_t unreadable;		/* VMs whose backing could not */
	uint64_t no_vm_fd;		/* held by vCPU fds or mappings only */
	uint64_t no_debugfs;		/* KVM gave no debugfs directory */
	int64_t kvm_dirs;		/* VM dirs in KVM's debugfs; -1: unreadable */
	int64_t unattributed;		/* ... that name no VM found; -1 likewise */
};

enum mv_host_what {
	MV_HOST_VMS	= 1 << 0,	/* every VM, or only h->vm_id */
	MV_HOST_SLOTS	= 1 << 1,	/* their memslots */
	MV_HOST_BACKING	= 1 << 2,	/* their host backing: needs h->bctx */
	MV_HOST_ZONES	= 1 << 3,
	MV_HOST_MM	= 1 << 4,	/* pools, vmstat, the verdicts (with zones) */
	MV_HOST_FAULTS	= 1 << 5,	/* per-VM faults: needs h->faults */
	MV_HOST_SUM	= 1 << 6,	/* h->sum, KVM's debugfs count */
};

struct mv_host {
	/* Set by the verb before the first mv_host_read(). */
	struct mv_nl *nl;		/* NULL: zones from procfs (no module) */
	bool zones_from_proc;		/* ... even with the module */
	const char *vm_id;		/* MV_HOST_VMS: only this VM */
	struct mv_backing_ctx *bctx;
	struct mv_faults *faults;
	/*
	 * MV_HOST_VMS: only the VMs that pass (the rest are dropped before
	 * anything else is read of them); an ambiguous --vm fails the read,
	 * and with filter_need_all so does a --vm that names no VM.
	 */
	const struct mv_filter *filter;
	bool filter_need_all;

	/* The snapshot; arrays grow, nothing is dropped. */
	time_t time;
	struct mv_vm *vms;
	size_t nr_vms, cap_vms;
	struct mv_slot *slots;		/* as the dump gives them */
	size_t nr_slots, cap_slots;
	struct mv_vm_backing *bk;	/* per VM, with MV_HOST_BACKING */
	struct mv_vm_faults *vf;	/* per VM, with MV_HOST_FAULTS */
	struct mv_zone *zones;
	size_t nr_zones, cap_zones;
	bool zones_proc;		/* read from procfs (lib/zones-proc.c) */
	char zones_note[256];		/* ... and what procfs could not give */
	struct mv_mm mm;		/* MV_HOST_MM */
	struct mv_host_sum sum;		/* MV_HOST_SUM */
};

/* Faults of one VM, as the probes saw them. */
struct mv_vm_faults {
	bool seen;			/* in the interval */
	struct mv_fault_rates rate;	/* over the interval */
	struct mv_fault_totals total;	/* since the probes first saw it */
};

/* Reads @what; says why on failure. 0 or a negative errno. */
int mv_host_read(struct mv_host *h, unsigned int what);
void mv_host_free(struct mv_host *h);
/* mv_host_free(), then closes what the verb opened: nl, bctx, faults. */
void mv_host_close(struct mv_host *h);

/* VM @i's backing total, NULL if not read. */
const struct mv_backing *mv_host_vm_backing(const struct mv_host *h, size_t i);

/*
 * Reads the host backing of @vm's memslots @slots (all address spaces, this
 * VM's only) in the address space of the process that created it. The total
 * counts each host page of the user slots once: SMM slots (address space 1)
 * alias those of address space 0. Says why on failure; 0 or -errno.
 */
int mv_vm_backing_compute(struct mv_backing_ctx *ctx, const struct mv_vm *vm,
			  const struct mv_slot *slots, size_t nr,
			  struct mv_vm_backing *out);
void mv_vm_backing_free(struct mv_vm_backing *b);

/* Opens the backing reader; NULL and a message ending in "; @then" if not. */
struct mv_backing_ctx *mv_host_backing_open(const char *then);

#endif /* MEMVIRT_HOST_H */
