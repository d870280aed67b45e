/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between faults.bpf.c and user/faults.c: per-VM KVM page-fault
 * statistics.
 *
 * A VM is known in BPF by its struct kvm pointer, which is only ever a map key
 * inside BPF (vm_seq: kvm -> seq). Everything userspace reads is keyed by seq,
 * a serial number handed out at the VM's first fault; vm_ident[seq] holds the
 * "<pid>-<fd>" name KVM gives the VM's debugfs directory (the id memvirt uses
 * everywhere). kvm_destroy_vm() marks the ident dead so the reader can report
 * the last counts and drop the entries; a new VM at the same address gets a new
 * seq.
 *
 * All counters are cumulative since the tool loaded; the reader diffs them.
 */
#ifndef MEMVIRT_BPF_FAULTS_H
#define MEMVIRT_BPF_FAULTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FAULTS_MAX_VMS		1024
#define FAULTS_MAX_REGIONS	16384
#define FAULTS_HIST_SLOTS	32	/* log2(ns): slot i counts [2^i, 2^(i+1)) ns; a power of 2 */
#define FAULTS_ID_LEN		32

/* x86 page-fault error code bits as KVM passes them to kvm_mmu_page_fault(). */
#define FAULTS_PFERR_PRESENT	(1ULL << 0)
#define FAULTS_PFERR_WRITE	(1ULL << 1)
#define FAULTS_PFERR_USER	(1ULL << 2)
#define FAULTS_PFERR_RSVD	(1ULL << 3)
#define FAULTS_PFERR_FETCH	(1ULL << 4)
#define FAULTS_PFERR_GUEST_FINAL (1ULL << 32)	/* NPF/EPT: final GPA translation */
#define FAULTS_PFERR_GUEST_PAGE	(1ULL << 33)	/* NPF/EPT: during a guest page-table walk */

enum faults_counter {
	FC_FAULTS,		/* kvm_mmu_page_fault() calls that returned */
	FC_READ,		/* access type: neither write nor fetch */
	FC_WRITE,
	FC_FETCH,
	FC_NOT_PRESENT,		/* no SPTE yet (PFERR_PRESENT clear) */
	FC_PROT,		/* SPTE present, access not allowed (write-protect, ...) */
	FC_RSVD,		/* reserved bits set: MMIO SPTE (or misconfig on VMX) */
	FC_USER,		/* PFERR_USER */
	FC_FINAL,		/* PFERR_GUEST_FINAL */
	FC_WALK,		/* PFERR_GUEST_PAGE */
	FC_RET_RESUME,		/* returned 1: vCPU resumes (fixed, retried or emulated) */
	FC_RET_EXIT,		/* returned 0: exit to the VMM (e.g. MMIO) */
	FC_RET_ERROR,		/* returned < 0 */
	FC_PAGEIN,		/* faults during which the host faulted memory in (handle_mm_fault) */
	FC_PAGEIN_MAJOR,	/* ... of which at least one was a major fault (I/O) */
	FC_MM_FAULTS,		/* handle_mm_fault() calls inside KVM faults */
	FC_SPTE_4K,		/* leaf SPTEs installed by a fault, by level */
	FC_SPTE_2M,
	FC_SPTE_1G,
	FC_SPTE_NONE,		/* faults that installed no leaf SPTE (fast path, MMIO, retry) */
	FC_NR,
};

struct faults_stats {
	__u64 cnt[FC_NR];
	__u64 lat_ns;				/* sum of handler latencies */
	__u64 hist[FAULTS_HIST_SLOTS];		/* handler latency, log2 ns */
};

struct faults_ident {
	__u32 pid;				/* kvm->userspace_pid */
	__u32 dead;				/* kvm_destroy_vm() seen */
	char name[FAULTS_ID_LEN];		/* debugfs dir "<pid>-<fd>", or "" */
};

struct faults_region_key {
	__u64 seq;
	__u64 region;				/* gpa >> region_shift */
};

struct faults_region {
	__u64 faults;
	__u64 pagein;
};

#endif
