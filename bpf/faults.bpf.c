// SPDX-License-Identifier: GPL-2.0
/*
 * Per-VM KVM page-fault statistics (see faults.h for the maps' contract).
 *
 * Hooks, in two interchangeable sets chosen by the loader at run time:
 *
 *   fentry/fexit kvm_mmu_page_fault   (kprobe/kretprobe)  every KVM MMU fault:
 *                                      VM, GPA, error code, latency, result
 *   fexit handle_mm_fault             (kretprobe)         host page faults the
 *                                      vCPU thread takes inside a KVM fault
 *                                      (GUP faulting guest memory in)
 *   tp_btf kvmmmu:kvm_mmu_set_spte    (raw_tp)            level of each leaf
 *                                      SPTE a fault installs (TDP and shadow MMU)
 *   fentry kvm_destroy_vm             (kprobe)            VM teardown
 *
 * kvm_mmu_page_fault() is the common entry for SVM NPF, VMX EPT violations and
 * misconfigs and shadow-paging #PFs, with the same prototype on 6.1 and 6.12.
 * Per-fault state lives in task local storage, so the entry/exit pair survives
 * CPU migration and the other hooks can tell "inside a KVM fault" cheaply.
 * Counters live in per-CPU maps and use atomic adds: tracing programs run with
 * migration disabled but may be preempted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "faults.h"

#define VM_FAULT_MAJOR_BIT	0x4	/* enum vm_fault_reason, same on 6.1 and 6.12 */
#define MAX_ERRNO		4095

const volatile __u32 region_shift = 30;	/* GPA region size for faults_regions */
const volatile bool measure_latency = true;	/* off: no clock reads, empty histogram */

__u64 next_seq;

struct task_fault {
	__u64 start_ns;
	__u64 seq;
	__u64 gpa;
	__u64 err;
	__u32 active;
	__u32 mm_faults;
	__u32 mm_major;
	__u32 spte[4];			/* 4K, 2M, 1G, other */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_fault);
} task_faults SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FAULTS_MAX_VMS);
	__type(key, __u64);			/* struct kvm *, never leaves BPF */
	__type(value, __u64);			/* seq */
} vm_seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FAULTS_MAX_VMS);
	__type(key, __u64);			/* seq */
	__type(value, struct faults_ident);
} vm_ident SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, FAULTS_MAX_VMS);
	__type(key, __u64);			/* seq */
	__type(value, struct faults_stats);
} vm_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, FAULTS_MAX_REGIONS);
	__type(key, struct faults_region_key);
	__type(value, struct faults_region);
} vm_regions SEC(".maps");

static const struct faults_stats zero_stats;
static const struct faults_region zero_region;

static __always_inline void *lookup_or_init(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xffffffffULL) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3; v >>= s; r |= s;
	s = (v > 0xf) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	r |= (v >> 1);
	return r;
}

static __always_inline void read_ident(struct kvm *kvm, struct faults_ident *id)
{
	struct dentry *d;
	const unsigned char *name;

	if (bpf_core_field_exists(kvm->userspace_pid))
		id->pid = BPF_CORE_READ(kvm, userspace_pid);
	if (!bpf_core_field_exists(kvm->debugfs_dentry))
		return;
	d = BPF_CORE_READ(kvm, debugfs_dentry);
	if (!d || (unsigned long)d >= (unsigned long)-MAX_ERRNO)
		return;
	name = BPF_CORE_READ(d, d_name.name);
	if (name)
		bpf_probe_read_kernel_str(id->name, sizeof(id->name), name);
}

/* The VM's seq; the first fault of a VM assigns it and records the ident. */
static __always_inline __u64 vm_seq_of(struct kvm *kvm)
{
	__u64 key = (__u64)kvm, seq, *p;
	struct faults_ident id = {};

	p = bpf_map_lookup_elem(&vm_seq, &key);
	if (p)
		return *p;
	seq = __sync_fetch_and_add(&next_seq, 1) + 1;
	if (bpf_map_update_elem(&vm_seq, &key, &seq, BPF_NOEXIST)) {
		/* Another vCPU of this VM won the race. */
		p = bpf_map_lookup_elem(&vm_seq, &key);
		return p ? *p : 0;
	}
	read_ident(kvm, &id);
	bpf_map_update_elem(&vm_ident, &seq, &id, BPF_ANY);
	return seq;
}

static __always_inline int on_fault_entry(struct kvm *kvm, __u64 gpa, __u64 err)
{
	struct task_fault *t;
	__u64 seq;

	if (!kvm)
		return 0;
	seq = vm_seq_of(kvm);
	if (!seq)
		return 0;
	t = bpf_task_storage_get(&task_faults, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return 0;
	t->seq = seq;
	t->gpa = gpa;
	t->err = err;
	t->mm_faults = 0;
	t->mm_major = 0;
	t->spte[0] = t->spte[1] = t->spte[2] = t->spte[3] = 0;
	t->active = 1;
	if (measure_latency)
		t->start_ns = bpf_ktime_get_ns();
	return 0;
}

#define ADD(s, c, n) __sync_fetch_and_add(&(s)->cnt[c], (n))

static __always_inline int on_fault_exit(long ret)
{
	struct faults_region_key rk;
	struct faults_stats *s;
	struct faults_region *r;
	struct task_fault *t;
	__u64 delta, err, nspte;
	__u32 slot;

	t = bpf_task_storage_get(&task_faults, bpf_get_current_task_btf(), 0, 0);
	if (!t || !t->active)
		return 0;
	t->active = 0;
	delta = measure_latency ? bpf_ktime_get_ns() - t->start_ns : 0;

	s = lookup_or_init(&vm_stats, &t->seq, &zero_stats);
	if (!s)
		return 0;
	err = t->err;
	ADD(s, FC_FAULTS, 1);
	if (err & FAULTS_PFERR_FETCH)
		ADD(s, FC_FETCH, 1);
	else if (err & FAULTS_PFERR_WRITE)
		ADD(s, FC_WRITE, 1);
	else
		ADD(s, FC_READ, 1);
	if (err & FAULTS_PFERR_RSVD)
		ADD(s, FC_RSVD, 1);
	else if (err & FAULTS_PFERR_PRESENT)
		ADD(s, FC_PROT, 1);
	else
		ADD(s, FC_NOT_PRESENT, 1);
	if (err & FAULTS_PFERR_USER)
		ADD(s, FC_USER, 1);
	if (err & FAULTS_PFERR_GUEST_FINAL)
		ADD(s, FC_FINAL, 1);
	if (err & FAULTS_PFERR_GUEST_PAGE)
		ADD(s, FC_WALK, 1);
	if (ret > 0)
		ADD(s, FC_RET_RESUME, 1);
	else if (ret == 0)
		ADD(s, FC_RET_EXIT, 1);
	else
		ADD(s, FC_RET_ERROR, 1);
	if (t->mm_faults) {
		ADD(s, FC_PAGEIN, 1);
		ADD(s, FC_MM_FAULTS, t->mm_faults);
		if (t->mm_major)
			ADD(s, FC_PAGEIN_MAJOR, 1);
	}
	nspte = t->spte[0] + t->spte[1] + t->spte[2] + t->spte[3];
	if (t->spte[0])
		ADD(s, FC_SPTE_4K, t->spte[0]);
	if (t->spte[1])
		ADD(s, FC_SPTE_2M, t->spte[1]);
	if (t->spte[2])
		ADD(s, FC_SPTE_1G, t->spte[2]);
	if (!nspte)
		ADD(s, FC_SPTE_NONE, 1);
	if (measure_latency) {
		__sync_fetch_and_add(&s->lat_ns, delta);
		slot = log2_u64(delta);
		if (slot >= FAULTS_HIST_SLOTS)
			slot = FAULTS_HIST_SLOTS - 1;
		/* 6.1's verifier loses the clamp when clang bounds a copy: mask too. */
		asm volatile("" : "+r"(slot));
		__sync_fetch_and_add(&s->hist[slot & (FAULTS_HIST_SLOTS - 1)], 1);
	}

	rk.seq = t->seq;
	rk.region = t->gpa >> (region_shift & 63);
	r = lookup_or_init(&vm_regions, &rk, &zero_region);
	if (r) {
		__sync_fetch_and_add(&r->faults, 1);
		if (t->mm_faults)
			__sync_fetch_and_add(&r->pagein, 1);
	}
	return 0;
}

static __always_inline int on_mm_fault_exit(unsigned int ret)
{
	struct task_fault *t;

	t = bpf_task_storage_get(&task_faults, bpf_get_current_task_btf(), 0, 0);
	if (!t || !t->active)
		return 0;
	t->mm_faults++;
	if (ret & VM_FAULT_MAJOR_BIT)
		t->mm_major++;
	return 0;
}

static __always_inline int on_set_spte(int level)
{
	struct task_fault *t;
	__u32 i;

	t = bpf_task_storage_get(&task_faults, bpf_get_current_task_btf(), 0, 0);
	if (!t || !t->active)
		return 0;
	i = level >= 1 && level <= 3 ? level - 1 : 3;
	t->spte[i & 3]++;
	return 0;
}

static __always_inline int on_destroy_vm(struct kvm *kvm)
{
	__u64 key = (__u64)kvm, *p;
	struct faults_ident *id;

	p = bpf_map_lookup_elem(&vm_seq, &key);
	if (!p)
		return 0;
	id = bpf_map_lookup_elem(&vm_ident, p);
	if (id)
		id->dead = 1;
	bpf_map_delete_elem(&vm_seq, &key);
	return 0;
}

/* fentry/fexit + BTF tracepoint set */

SEC("fentry/kvm_mmu_page_fault")
int BPF_PROG(fentry_kvm_mmu_page_fault, struct kvm_vcpu *vcpu, u64 gpa, u64 err)
{
	/* A trusted BTF pointer here: a direct (CO-RE relocated) load, no helper. */
	return on_fault_entry(vcpu->kvm, gpa, err);
}

SEC("fexit/kvm_mmu_page_fault")
int BPF_PROG(fexit_kvm_mmu_page_fault, struct kvm_vcpu *vcpu, u64 gpa, u64 err,
	     void *insn, int insn_len, int ret)
{
	return on_fault_exit(ret);
}

SEC("fexit/handle_mm_fault")
int BPF_PROG(fexit_handle_mm_fault, struct vm_area_struct *vma, unsigned long address,
	     unsigned int flags, struct pt_regs *regs, unsigned int ret)
{
	return on_mm_fault_exit(ret);
}

SEC("tp_btf/kvm_mmu_set_spte")
int BPF_PROG(tp_btf_kvm_mmu_set_spte, int level, u64 gfn, u64 *sptep)
{
	return on_set_spte(level);
}

SEC("fentry/kvm_destroy_vm")
int BPF_PROG(fentry_kvm_destroy_vm, struct kvm *kvm)
{
	return on_destroy_vm(kvm);
}

/* kprobe + raw tracepoint set, for kernels without trampolines */

SEC("kprobe/kvm_mmu_page_fault")
int BPF_KPROBE(kprobe_kvm_mmu_page_fault, struct kvm_vcpu *vcpu, u64 gpa, u64 err)
{
	return on_fault_entry(BPF_CORE_READ(vcpu, kvm), gpa, err);
}

SEC("kretprobe/kvm_mmu_page_fault")
int BPF_KRETPROBE(kretprobe_kvm_mmu_page_fault, int ret)
{
	return on_fault_exit(ret);
}

SEC("kretprobe/handle_mm_fault")
int BPF_KRETPROBE(kretprobe_handle_mm_fault, unsigned int ret)
{
	return on_mm_fault_exit(ret);
}

SEC("raw_tp/kvm_mmu_set_spte")
int BPF_PROG(raw_tp_kvm_mmu_set_spte, int level, u64 gfn, u64 *sptep)
{
	return on_set_spte(level);
}

SEC("kprobe/kvm_destroy_vm")
int BPF_KPROBE(kprobe_kvm_destroy_vm, struct kvm *kvm)
{
	return on_destroy_vm(kvm);
}

char LICENSE[] SEC("license") = "GPL";
