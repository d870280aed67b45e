/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between faults.bpf.c and user/faults.c: per-VM KVM page-fault
 * statistics. Documentation/faults.rst explains every counter.
 *
 * VM table. A VM is known in BPF by its struct kvm pointer, which never leaves
 * BPF except as an opaque "in use" marker: vms[] is an array of max_vms
 * (a power of two, set at load) entries, open-addressed by a hash of the
 * pointer. A VM's first fault claims an entry (compare-and-swap of .kvm from 0)
 * and fills in its identity; every later fault finds it with a few inlined
 * array loads, no hash map. vm_stats (per-CPU array) is indexed by the same
 * entry index. kvm_destroy_vm() sets .kvm to FAULTS_VM_DEAD and .state to
 * FAULTS_VM_STATE_DEAD: the entry no longer matches any VM (a new VM at the
 * same address gets a new entry) and is not reused until userspace has
 * reported its last counts, zeroed its stats and written .kvm = 0.
 *
 * All counters are cumulative since the entry was claimed; the reader diffs.
 */
#ifndef MEMVIRT_BPF_FAULTS_H
#define MEMVIRT_BPF_FAULTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FAULTS_MAX_VMS_DEFAULT	256	/* vms[] and vm_stats entries, power of 2 */
#define FAULTS_VM_PROBES	8	/* open addressing: entries tried per VM */
#define FAULTS_MAX_REGIONS	16384
#define FAULTS_HIST_SLOTS	32	/* log2(ns): slot i counts [2^i, 2^(i+1)) ns; a power of 2 */
#define FAULTS_ID_LEN		32

#define FAULTS_VM_DEAD		1ULL	/* .kvm of a destroyed VM's entry */

enum faults_vm_state {
	FAULTS_VM_STATE_FREE,		/* unused, or being claimed */
	FAULTS_VM_STATE_LIVE,
	FAULTS_VM_STATE_DEAD,		/* kvm_destroy_vm() seen */
};

struct faults_vm {
	__u64 kvm;			/* 0 free, FAULTS_VM_DEAD, else struct kvm * */
	__u64 gen;			/* serial number of the claim (1, 2, ...) */
	__u32 state;			/* enum faults_vm_state */
	__u32 pid;			/* kvm->userspace_pid */
	char name[FAULTS_ID_LEN];	/* debugfs dir "<pid>-<fd>", or "" */
	__u32 trace;			/* --trace: this is the traced VM (set at claim) */
	__u32 pad;
};

/* x86 page-fault error code bits as KVM passes them to kvm_mmu_page_fault(). */
#define FAULTS_PFERR_PRESENT	(1ULL << 0)
#define FAULTS_PFERR_WRITE	(1ULL << 1)
#define FAULTS_PFERR_USER	(1ULL << 2)
#define FAULTS_PFERR_RSVD	(1ULL << 3)
#define FAULTS_PFERR_FETCH	(1ULL << 4)
#define FAULTS_PFERR_GUEST_FINAL (1ULL << 32)	/* NPF/EPT: final GPA translation */
#define FAULTS_PFERR_GUEST_PAGE	(1ULL << 33)	/* NPF/EPT: during a guest page-table walk */

/*
 * Every fault lands in exactly one class cell, one atomic add on the hot
 * path; userspace sums cells into per-axis totals. The index is
 * ((access * FK_NR + cause) * FS_NR + stage) * FR_NR + result.
 */
enum faults_access { FA_READ, FA_WRITE, FA_FETCH, FA_NR };
enum faults_cause { FK_NOT_PRESENT, FK_PROT, FK_RSVD, FK_NR };
enum faults_stage { FS_FINAL, FS_WALK, FS_NONE, FS_NR };
enum faults_result { FR_RESUME, FR_EXIT, FR_ERROR, FR_NR };
#define FAULTS_NCLASS		(FA_NR * FK_NR * FS_NR * FR_NR)

static inline unsigned int faults_class(unsigned int access, unsigned int cause,
					unsigned int stage, unsigned int result)
{
	return ((access * FK_NR + cause) * FS_NR + stage) * FR_NR + result;
}

enum faults_level { FL_4K, FL_2M, FL_1G, FL_OTHER, FL_NR };

struct faults_stats {
	__u64 cls[FAULTS_NCLASS];	/* faults by class (sum: all faults) */
	__u64 mmio;			/* handled as MMIO: RSVD, a new MMIO SPTE or exit */
	__u64 pagein;			/* faults during which the vCPU thread faulted host memory */
	__u64 pagein_major;		/* ... of which at least one host fault was major */
	__u64 host_faults;		/* host page faults taken inside KVM faults */
	__u64 spte[FL_NR];		/* leaf SPTEs installed by faults, by level */
	__u64 no_spte;			/* faults that installed no leaf SPTE */
	__u64 lat_ns;			/* sum of handler latencies */
	__u64 hist[FAULTS_HIST_SLOTS];	/* handler latency, log2 ns; sum == faults */
};

/*
 * Per-fault state of a task inside kvm_mmu_page_fault(), one cache line (BPF
 * only; here because the skeleton's .bss type refers to it).
 */
struct faults_inflight {
	__u64 owner;			/* the task's pid (thread id), 0 when free */
	__u64 start_ns;
	__u64 min_flt;
	__u64 maj_flt;
	__u64 err;			/* kprobes: the error code; else scratch */
	__u64 gpa;			/* kprobes only */
	union {
		__u64 marks;		/* all of these at once, zeroed at entry */
		struct {
			__u8 spte[FL_NR];	/* leaf SPTEs installed, by level */
			__u8 mmio;		/* an MMIO SPTE was installed */
			__u8 pad[3];
		};
	};
	__u32 vm;			/* vms[] index */
	__s32 vcpu_id;			/* kprobes with --trace */
} __attribute__((aligned(64)));

/* .marks read as one number (little endian, as x86 and its BPF are) */
#define FAULTS_MARK_SPTES(m)	((__u32)(m))		/* spte[] */
#define FAULTS_MARK_MMIO(m)	(((m) >> 32) & 0xff)	/* mmio */

/*
 * --trace: one event per fault of the traced VM, through a ring buffer, at
 * most trace_rate a second (a global budget per wall-clock second of
 * bpf_ktime_get_ns(), enforced in BPF); faults over it are counted in
 * trace_dropped, those the full ring buffer refused in trace_lost (.bss).
 */
#define FAULTS_TRACE_RATE_DEFAULT	1000
#define FAULTS_TRACE_RING_SIZE		(256 * 1024)

struct faults_event {
	__u64 ts_ns;			/* bpf_ktime_get_ns() at the handler's exit */
	__u64 gpa;			/* kvm_mmu_page_fault()'s cr2_or_gpa */
	__u64 err;			/* error code */
	__u64 lat_ns;			/* handler latency; 0 with --no-latency */
	__u32 vm;			/* vms[] index */
	__s32 vcpu_id;
	__s32 ret;			/* kvm_mmu_page_fault()'s result */
	__u32 host_faults;		/* host page faults taken meanwhile */
	__u8 spte[FL_NR];		/* leaf SPTEs installed, by level */
	__u8 mmio;			/* an MMIO SPTE was installed */
	__u8 pad[3];
};

struct faults_region_key {
	__u32 vm;			/* vms[] index */
	__u32 pad;
	__u64 region;			/* gpa >> region_shift */
};

struct faults_region {
	__u64 faults;
	__u64 pagein;
};

/*
 * --slots: faults KVM resolved against a memslot (kvm_mmu_spte_requested).
 * vm_slots and vm_regions are plain (preallocated, per-CPU) hash maps, not
 * LRU ones: an LRU map evicts silently, and an evicted entry takes the counts
 * of its last interval with it. A plain hash map refuses a new key when full
 * (-E2BIG), so each fault it cannot count is counted in lost.
 */
#define FAULTS_MAX_SLOTS	4096

struct faults_slot_key {
	__u32 vm;			/* vms[] index */
	__u16 as_id;			/* address space (1: x86 SMM) */
	__s16 id;			/* memslot id */
};

struct faults_slot {
	__u64 faults;
	__u64 pagein;			/* ... that faulted host memory in */
	__u64 base_gfn;			/* the slot when last seen */
	__u64 npages;
};

/*
 * Losses: faults the probes saw but could not count, by reason; per-CPU
 * counters (map "lost", one entry) bumped on failure paths only. User space
 * sums the CPUs and adds what the kernel counts for the programs and probes
 * (recursion misses, kprobe misses): Documentation/faults.rst, "Losses".
 */
enum faults_lost_reason {
	FAULTS_LOST_NO_VM,		/* vms[] full: the fault not counted */
	FAULTS_LOST_NO_INFLIGHT,	/* inflight[] full: the fault not counted */
	FAULTS_LOST_EXIT,		/* an entry whose exit never ran (a kretprobe
					 * or fexit miss), found at the task's next fault */
	FAULTS_LOST_SLOT,		/* vm_slots full: a fault not counted per slot */
	FAULTS_LOST_REGION,		/* vm_regions full: a fault not counted per region */
	FAULTS_LOST_NR
};

struct faults_lost {
	__u64 n[FAULTS_LOST_NR];
};

#endif
