// SPDX-License-Identifier: GPL-2.0
/*
 * Per-VM KVM page-fault statistics (faults.h has the maps' contract,
 * Documentation/faults.rst what each counter means and what it costs).
 *
 * Hooks, in two interchangeable sets chosen by the loader at run time:
 *
 *   fentry+fexit kvm_mmu_page_fault  (kprobe+kretprobe)  every KVM MMU fault:
 *                                     VM, error code, latency, result, host
 *                                     page faults taken meanwhile
 *   tp_btf kvmmmu:kvm_mmu_set_spte   (raw_tp)            level of each leaf
 *                                     SPTE a fault installs (TDP and shadow MMU)
 *   tp_btf kvmmmu:mark_mmio_spte     (raw_tp)            a fault made an MMIO SPTE
 *   fentry kvm_destroy_vm            (kprobe)            VM teardown
 *   tp_btf kvmmmu:kvm_mmu_spte_requested (raw_tp)        --slots: the memslot
 *                                     a fault maps (one map update per fault)
 *
 * --trace adds no hook: the exit hook of a fault of the traced VM emits an
 * event to a ring buffer, within a per-second budget (trace_emit()).
 *
 * kvm_mmu_page_fault() is the common entry for SVM NPF, VMX EPT violations and
 * misconfigs and shadow-paging #PFs, with the same prototype on 6.1 and 6.12.
 *
 * Hot-path cost is the point of the design:
 * - The VM is found by open addressing in an array map (lookups of array maps
 *   are inlined by the verifier), not a hash map; the miss path runs once per
 *   VM.
 * - Per-fault state (entry time, VM, host fault counters) sits in a .bss table
 *   keyed by the current task, also open-addressed: a task is in at most one
 *   kvm_mmu_page_fault() at a time, and the state follows it when the vCPU
 *   thread sleeps in GUP and wakes on another CPU. No task storage, no helper.
 * - Host page-ins need no hook of their own: handle_mm_fault() accounts every
 *   fault, GUP's included, in current->min_flt/maj_flt (mm_account_fault(),
 *   since v5.9, bce617edecad); the difference between entry and exit is the
 *   number of host faults the KVM fault caused.
 * - One atomic add per fault for its class (faults.h), a few more for
 *   latency; counters are per-CPU.
 * - Faults that cannot be counted (a table full, an exit never seen) are
 *   counted per reason in "lost", on those failure paths only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "faults.h"

#define MAX_ERRNO		4095
#define GOLDEN64		0x9E3779B97F4A7C15ULL

#define INFLIGHT_BITS		10
#define INFLIGHT_SLOTS		(1U << INFLIGHT_BITS)
#define INFLIGHT_PROBES		8

const volatile __u32 vm_mask = FAULTS_MAX_VMS_DEFAULT - 1;	/* max_vms - 1 */
const volatile __u32 vm_shift = 64 - 8;				/* 64 - log2(max_vms) */
const volatile __u32 region_shift = 30;	/* GPA region size for vm_regions */
const volatile bool track_regions = false;	/* vm_regions: one hash update per fault */
const volatile bool measure_latency = true;	/* off: no clock reads, empty histogram */
const volatile bool track_pagein = true;
const volatile bool track_levels = true;	/* kvm_mmu_set_spte is attached */
/* false: the exit hook alone, counts only (no latency, page-ins, levels) */
const volatile bool use_entry = true;
/*
 * --trace: an event per fault of one VM (trace_name, else trace_pid when BPF
 * has no debugfs name), at most trace_rate a second. Off, every trace branch
 * is dead code the verifier drops: the default path does not change.
 */
const volatile bool trace_on = false;
const volatile __u32 trace_rate = FAULTS_TRACE_RATE_DEFAULT;
const volatile __u32 trace_pid = 0;
const volatile char trace_name[FAULTS_ID_LEN] = {};

struct faults_inflight inflight[INFLIGHT_SLOTS];
__u64 next_gen;
__u64 trace_window;			/* --trace: the second the budget is for */
__u64 trace_used;			/* ... events admitted in it */
__u64 trace_dropped;			/* faults of the traced VM over the budget */
__u64 trace_lost;			/* ... admitted, but the ring buffer was full */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FAULTS_MAX_VMS_DEFAULT);	/* set by the loader */
	__type(key, __u32);
	__type(value, struct faults_vm);
} vms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FAULTS_MAX_VMS_DEFAULT);	/* set by the loader */
	__type(key, __u32);
	__type(value, struct faults_stats);
} vm_stats SEC(".maps");

/* Plain hash maps, not LRU: a full one refuses and we count (faults.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FAULTS_MAX_REGIONS);	/* 1 unless --regions */
	__type(key, struct faults_region_key);
	__type(value, struct faults_region);
} vm_regions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FAULTS_MAX_SLOTS);	/* 1 unless --slots */
	__type(key, struct faults_slot_key);
	__type(value, struct faults_slot);
} vm_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FAULTS_TRACE_RING_SIZE);	/* one page unless --trace */
} trace_rb SEC(".maps");

/* Faults not counted, by reason (faults.h): per-CPU, failure paths only. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct faults_lost);
} lost SEC(".maps");

static const struct faults_region zero_region;

/*
 * One more fault not counted, for @why (a constant). Only ever on a failure
 * path: the lookup is the cost of losing, not of counting. Atomic although
 * per-CPU: tracing programs can be preempted (migration is what is disabled).
 */
static __always_inline void count_lost(__u32 why)
{
	__u32 zero = 0;
	struct faults_lost *l = bpf_map_lookup_elem(&lost, &zero);

	if (l && why < FAULTS_LOST_NR)
		__sync_fetch_and_add(&l->n[why], 1);
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

static __always_inline void read_ident(struct kvm *kvm, struct faults_vm *v)
{
	struct dentry *d;
	const unsigned char *name;

	if (bpf_core_field_exists(kvm->userspace_pid))
		v->pid = BPF_CORE_READ(kvm, userspace_pid);
	if (!bpf_core_field_exists(kvm->debugfs_dentry))
		return;
	d = BPF_CORE_READ(kvm, debugfs_dentry);
	if (!d || (unsigned long)d >= (unsigned long)-MAX_ERRNO)
		return;
	name = BPF_CORE_READ(d, d_name.name);
	if (name)
		bpf_probe_read_kernel_str(v->name, sizeof(v->name), name);
}

/* --trace: is the VM just claimed the one to trace? Once per VM. */
static __always_inline __u32 trace_match(const struct faults_vm *v)
{
	__u32 i;

	if (!v->name[0])
		return trace_pid && v->pid == trace_pid;
	for (i = 0; i < FAULTS_ID_LEN; i++) {
		if (v->name[i] != trace_name[i])
			return 0;
		if (!v->name[i])
			return 1;
	}
	return 1;
}

/*
 * The vms[] index of the VM whose struct kvm is at @key, claiming an entry at
 * its first fault; -1 if full. @key is a plain number: the verifier allows no
 * arithmetic on a BTF pointer.
 */
static __always_inline __u32 vm_hash(__u64 key)
{
	return (key * GOLDEN64) >> (vm_shift & 63);
}

/* The vms[] entry of the VM at @key, or -1. */
static __always_inline int vm_find(__u64 key)
{
	__u32 h = vm_hash(key), i, idx;
	struct faults_vm *v;

	for (i = 0; i < FAULTS_VM_PROBES; i++) {
		idx = (h + i) & vm_mask;
		v = bpf_map_lookup_elem(&vms, &idx);
		if (!v)
			return -1;
		if (v->kvm == key)
			return idx;
	}
	return -1;
}

static __always_inline int vm_index(__u64 key)
{
	__u32 h = vm_hash(key), i, idx;
	struct faults_vm *v;
	int found = vm_find(key);

	if (found >= 0)
		return found;
	/* Miss: once per VM. Claim a free entry; another vCPU may race us. */
	for (i = 0; i < FAULTS_VM_PROBES; i++) {
		__u64 old;

		idx = (h + i) & vm_mask;
		v = bpf_map_lookup_elem(&vms, &idx);
		if (!v)
			return -1;
		if (v->kvm && v->kvm != key)
			continue;
		old = __sync_val_compare_and_swap(&v->kvm, 0, key);
		if (old == key)
			return idx;
		if (old)
			continue;
		read_ident((struct kvm *)key, v);
		if (trace_on)
			v->trace = trace_match(v);
		v->gen = __sync_add_and_fetch(&next_gen, 1);
		v->state = FAULTS_VM_STATE_LIVE;
		return idx;
	}
	count_lost(FAULTS_LOST_NO_VM);
	return -1;
}

static __always_inline __u32 inflight_hash(__u64 pid)
{
	return (pid * GOLDEN64) >> (64 - INFLIGHT_BITS);
}

/* The current task's in-flight slot, or NULL. */
static __always_inline struct faults_inflight *inflight_find(__u64 me)
{
	__u32 h = inflight_hash(me), i;
	struct faults_inflight *f;

	for (i = 0; i < INFLIGHT_PROBES; i++) {
		f = &inflight[(h + i) & (INFLIGHT_SLOTS - 1)];
		if (f->owner == me)
			return f;
	}
	return NULL;
}

/*
 * The current task's slot for a fault it enters. Finding the task's own slot
 * still claimed means the exit of its previous fault never ran (a kretprobe
 * without a free instance, an fexit skipped for recursion): that fault is
 * lost, and counted here, once the task faults again.
 */
static __always_inline struct faults_inflight *inflight_claim(__u64 me)
{
	__u32 h = inflight_hash(me), i;
	struct faults_inflight *f;
	__u64 old;

	for (i = 0; i < INFLIGHT_PROBES; i++) {
		f = &inflight[(h + i) & (INFLIGHT_SLOTS - 1)];
		if (f->owner == me)
			goto stale;
		if (f->owner)
			continue;
		old = __sync_val_compare_and_swap(&f->owner, 0, me);
		if (!old)
			return f;
		if (old == me)
			goto stale;
	}
	count_lost(FAULTS_LOST_NO_INFLIGHT);
	return NULL;
stale:
	count_lost(FAULTS_LOST_EXIT);
	return f;
}

/*
 * Through memory, a BTF pointer comes back as a number we may hash: the
 * verifier allows no arithmetic on the pointer itself. @tmp: a u64 of ours.
 */
static __always_inline __u64 ptr_key(void *ptr, __u64 *tmp)
{
	*(volatile __u64 *)tmp = (__u64)ptr;
	return *(volatile __u64 *)tmp;
}

/* --trace: is the VM at vms[@vm] the one traced? */
static __always_inline __u8 vm_traced(__u32 vm)
{
	struct faults_vm *v = bpf_map_lookup_elem(&vms, &vm);

	return v && v->trace;
}

/*
 * Entry of a fault: claim the task's in-flight slot, find the VM, note the
 * host fault counters and the time. A kprobe's return has no arguments, so
 * with @kprobe the error code and GPA are noted too.
 *
 * The VM is found here rather than in the exit hook, though either has the
 * vCPU: measured end to end (selftests/bench/faults-overhead.sh), the lookup
 * in the exit hook cost ~250 guest instructions more per fault on 6.12 than
 * here, for the same time inside the programs.
 */
static __always_inline void on_fault_entry(struct kvm_vcpu *vcpu, __u64 gpa, __u64 err,
					   const bool kprobe)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct kvm *kvm = kprobe ? BPF_CORE_READ(vcpu, kvm) : vcpu->kvm;
	struct faults_inflight *f;
	int vm;

	if (!kvm)
		return;
	f = inflight_claim(task->pid);
	if (!f)
		return;
	vm = vm_index(ptr_key(kvm, &f->err));
	if (vm < 0) {
		f->owner = 0;
		return;
	}
	f->vm = vm;
	if (kprobe) {
		f->err = err;
		f->gpa = gpa;
		if (trace_on && vm_traced(vm))
			f->vcpu_id = BPF_CORE_READ(vcpu, vcpu_id);
	}
	f->marks = 0;		/* spte[], mmio */
	if (track_pagein) {
		f->min_flt = task->min_flt;
		f->maj_flt = task->maj_flt;
	}
	if (measure_latency)
		f->start_ns = bpf_ktime_get_ns();
}

/*
 * --trace: one event for a fault of the traced VM, if this second's budget
 * allows. The budget is global: the first fault of a new second resets it
 * (a race between CPUs there can admit an event or two more).
 */
static __always_inline void trace_emit(__u64 now, __u64 lat, __u32 vm, __s32 vcpu, __u64 gpa,
				       __u64 err, long ret, __u64 host, const __u8 *sp,
				       __u8 mmio)
{
	__u64 sec = now / 1000000000ULL, w = trace_window;
	struct faults_event *e;

	if (sec != w && __sync_val_compare_and_swap(&trace_window, w, sec) == w)
		trace_used = 0;
	if (__sync_fetch_and_add(&trace_used, 1) >= trace_rate) {
		__sync_fetch_and_add(&trace_dropped, 1);
		return;
	}
	e = bpf_ringbuf_reserve(&trace_rb, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&trace_lost, 1);
		return;
	}
	e->ts_ns = now;
	e->gpa = gpa;
	e->err = err;
	e->lat_ns = lat;
	e->vm = vm;
	e->vcpu_id = vcpu;
	e->ret = ret;
	e->host_faults = host;
	__builtin_memcpy(e->spte, sp, FL_NR);
	e->mmio = mmio;
	bpf_ringbuf_submit(e, 0);
}

#define ADD(p, n) __sync_fetch_and_add((p), (n))

/*
 * The class cell of an error code is the sum of two table entries and the
 * result (faults_class()): by error code bits 0-4 (present, write, user,
 * rsvd, fetch) the access and cause, by bits 32-33 the stage.
 */
#define AK_ACCESS(e)	((e) & 16 ? FA_FETCH : (e) & 2 ? FA_WRITE : FA_READ)
#define AK_CAUSE(e)	((e) & 8 ? FK_RSVD : (e) & 1 ? FK_PROT : FK_NOT_PRESENT)
#define AK(e)		((AK_ACCESS(e) * FK_NR + AK_CAUSE(e)) * FS_NR * FR_NR)
#define AK4(e)		AK(e), AK((e) + 1), AK((e) + 2), AK((e) + 3)
#define AK16(e)		AK4(e), AK4((e) + 4), AK4((e) + 8), AK4((e) + 12)

/* Not static: clang 14 gives static .rodata arrays a BTF offset the kernel refuses. */
const __u8 cell_access_cause[32] = { AK16(0), AK16(16) };
const __u8 cell_stage[4] = {
	[0] = FS_NONE * FR_NR,			/* neither bit: not NPF/EPT */
	[1] = FS_FINAL * FR_NR,			/* PFERR_GUEST_FINAL */
	[2] = FS_WALK * FR_NR,			/* PFERR_GUEST_PAGE */
	[3] = FS_FINAL * FR_NR,
};

/* Leaf SPTEs of one fault, other than the common single 4K one. */
static __always_inline void add_sptes(struct faults_stats *s, __u32 sp)
{
	if (sp & 0xff)
		ADD(&s->spte[FL_4K], sp & 0xff);
	if ((sp >> 8) & 0xff)
		ADD(&s->spte[FL_2M], (sp >> 8) & 0xff);
	if ((sp >> 16) & 0xff)
		ADD(&s->spte[FL_1G], (sp >> 16) & 0xff);
	if (sp >> 24)
		ADD(&s->spte[FL_OTHER], sp >> 24);
}

/*
 * Exit of a fault: everything is counted here. @vcpu, @gpa, @err: the
 * arguments, from fexit; NULL from the kretprobe, whose entry noted them.
 */
static __always_inline int on_fault_exit(struct kvm_vcpu *vcpu, __u64 gpa, __u64 err, long ret)
{
	__u64 now = 0, start = 0, host = 0, major = 0, marks = 0;
	struct faults_inflight *f = NULL;
	struct faults_stats *s;
	__s32 vcpu_id = -1;
	__u32 vm, cls, sp;
	__u8 trace = 0;

	/* First: the fewer values live across a helper call, the better. */
	if (use_entry && measure_latency)
		now = bpf_ktime_get_ns();
	if (use_entry) {
		struct task_struct *task = bpf_get_current_task_btf();

		f = inflight_find(task->pid);
		if (!f)
			return 0;
		if (track_pagein) {
			major = task->maj_flt - f->maj_flt;
			host = task->min_flt - f->min_flt + major;
		}
		start = f->start_ns;
		marks = f->marks;
	}
	if (f) {
		vm = f->vm;
		if (!vcpu) {		/* kretprobe: the entry noted the arguments */
			err = f->err;
			gpa = f->gpa;
			vcpu_id = f->vcpu_id;
		} else if (trace_on) {
			vcpu_id = vcpu->vcpu_id;
		}
	} else {			/* fexit alone (--lite) */
		__u32 zero = 0;
		__u64 *tmp = bpf_map_lookup_elem(&scratch, &zero);
		struct kvm *kvm = vcpu ? vcpu->kvm : NULL;
		int v;

		if (!tmp || !kvm)
			return 0;
		v = vm_index(ptr_key(kvm, tmp));
		if (v < 0)
			return 0;
		vm = v;
		if (trace_on)
			vcpu_id = vcpu->vcpu_id;
	}
	if (trace_on)
		trace = vm_traced(vm);
	/* Release the slot: the same task cannot enter another fault before. */
	if (f)
		f->owner = 0;
	if (track_regions) {
		struct faults_region_key rk = { .vm = vm, .region = gpa >> (region_shift & 63) };
		struct faults_region *r;

		r = bpf_map_lookup_elem(&vm_regions, &rk);
		if (!r) {
			/* -EEXIST: another CPU added it; -E2BIG: full, and counted. */
			bpf_map_update_elem(&vm_regions, &rk, &zero_region, BPF_NOEXIST);
			r = bpf_map_lookup_elem(&vm_regions, &rk);
			if (!r)
				count_lost(FAULTS_LOST_REGION);
		}
		if (r) {
			ADD(&r->faults, 1);
			if (host)
				ADD(&r->pagein, 1);
		}
	}
	s = bpf_map_lookup_elem(&vm_stats, &vm);
	if (!s)
		return 0;

	cls = cell_access_cause[err & 31] + cell_stage[(err >> 32) & 3] +
	      (ret > 0 ? FR_RESUME : ret == 0 ? FR_EXIT : FR_ERROR);
	if (cls >= FAULTS_NCLASS)	/* cannot happen; for the verifier */
		return 0;
	ADD(&s->cls[cls], 1);
	if (FAULTS_MARK_MMIO(marks) || (err & FAULTS_PFERR_RSVD) || !ret)
		ADD(&s->mmio, 1);
	if (host) {
		ADD(&s->pagein, 1);
		ADD(&s->host_faults, host);
		if (major)
			ADD(&s->pagein_major, 1);
	}
	sp = FAULTS_MARK_SPTES(marks);
	if (track_levels) {
		if (sp == 1)		/* one 4K SPTE: the common case */
			ADD(&s->spte[FL_4K], 1);
		else if (!sp)
			ADD(&s->no_spte, 1);
		else
			add_sptes(s, sp);
	}
	if (trace_on && trace) {
		__u8 spb[FL_NR] = { sp, sp >> 8, sp >> 16, sp >> 24 };
		__u64 t = measure_latency ? now : bpf_ktime_get_ns();

		trace_emit(t, measure_latency ? t - start : 0, vm, vcpu_id, gpa, err, ret, host,
			   spb, FAULTS_MARK_MMIO(marks));
	}
	if (use_entry && measure_latency) {
		__u64 delta = now - start;
		__u32 slot = log2_u64(delta);

		ADD(&s->lat_ns, delta);
		if (slot >= FAULTS_HIST_SLOTS)
			slot = FAULTS_HIST_SLOTS - 1;
		/* 6.1's verifier loses the clamp when clang bounds a copy: mask too. */
		asm volatile("" : "+r"(slot));
		ADD(&s->hist[slot & (FAULTS_HIST_SLOTS - 1)], 1);
	}
	return 0;
}

static __always_inline int on_set_spte(int level)
{
	struct faults_inflight *f = inflight_find((__u32)bpf_get_current_pid_tgid());
	__u32 i;

	if (!f)
		return 0;
	i = level >= 1 && level <= 3 ? level - 1 : FL_OTHER;
	/* Only this task writes its slot: no atomics; saturate the u8. */
	if (f->spte[i & 3] < 255)
		f->spte[i & 3]++;
	return 0;
}

static __always_inline int on_mark_mmio(void)
{
	struct faults_inflight *f = inflight_find((__u32)bpf_get_current_pid_tgid());

	if (f)
		f->mmio = 1;
	return 0;
}

/*
 * The fault reached KVM's map step for @slot: host memory was faulted in
 * (or not) by now, in kvm_faultin_pfn(). Counts per (VM, memslot).
 */
static __always_inline int on_spte_requested(__u16 as_id, __s16 id, __u64 base_gfn,
					     __u64 npages)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct faults_inflight *f = inflight_find(task->pid);
	struct faults_slot_key k = {};
	struct faults_slot *v;

	if (!f)
		return 0;
	k.vm = f->vm;
	k.as_id = as_id;
	k.id = id;
	v = bpf_map_lookup_elem(&vm_slots, &k);
	if (!v) {
		struct faults_slot z = {};

		/* -EEXIST: another CPU added it; -E2BIG: full, and counted. */
		bpf_map_update_elem(&vm_slots, &k, &z, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&vm_slots, &k);
		if (!v) {
			count_lost(FAULTS_LOST_SLOT);
			return 0;
		}
	}
	v->base_gfn = base_gfn;
	v->npages = npages;
	ADD(&v->faults, 1);
	if (task->min_flt != f->min_flt || task->maj_flt != f->maj_flt)
		ADD(&v->pagein, 1);
	return 0;
}

static __always_inline int on_destroy_vm(__u64 key)
{
	__u32 idx;
	struct faults_vm *v;
	int found = vm_find(key);

	if (found < 0)
		return 0;
	idx = found;
	v = bpf_map_lookup_elem(&vms, &idx);
	if (v) {
		v->state = FAULTS_VM_STATE_DEAD;
		v->kvm = FAULTS_VM_DEAD;
	}
	return 0;
}

/* fentry/fexit + BTF tracepoint set */

SEC("fentry/kvm_mmu_page_fault")
int BPF_PROG(fentry_kvm_mmu_page_fault, struct kvm_vcpu *vcpu, u64 gpa, u64 err)
{
	on_fault_entry(vcpu, gpa, err, false);
	return 0;
}

/* vcpu is a trusted BTF pointer here: direct (CO-RE relocated) loads, no helper. */
SEC("fexit/kvm_mmu_page_fault")
int BPF_PROG(fexit_kvm_mmu_page_fault, struct kvm_vcpu *vcpu, u64 gpa, u64 err,
	     void *insn, int insn_len, int ret)
{
	return on_fault_exit(vcpu, gpa, err, ret);
}

SEC("tp_btf/kvm_mmu_set_spte")
int BPF_PROG(tp_btf_kvm_mmu_set_spte, int level, u64 gfn, u64 *sptep)
{
	return on_set_spte(level);
}

SEC("tp_btf/mark_mmio_spte")
int BPF_PROG(tp_btf_mark_mmio_spte, u64 *sptep, u64 gfn, u64 spte)
{
	return on_mark_mmio();
}

/*
 * 6.12's verifier types this argument trusted_ptr_or_null_ (6.1's: a plain
 * BTF pointer) and refuses any arithmetic on it before a NULL check, which
 * BPF_CORE_READ() does (&fault->slot). So: check, then direct CO-RE loads
 * (no helper calls); a NULL fault->slot (no memslot: MMIO) reads as 0.
 */
SEC("tp_btf/kvm_mmu_spte_requested")
int BPF_PROG(tp_btf_kvm_mmu_spte_requested, struct kvm_page_fault *fault)
{
	struct kvm_memory_slot *slot;

	if (!fault)
		return 0;
	slot = fault->slot;
	if (!slot)
		return 0;
	return on_spte_requested(slot->as_id, slot->id, slot->base_gfn, slot->npages);
}

SEC("fentry/kvm_destroy_vm")
int BPF_PROG(fentry_kvm_destroy_vm, struct kvm *kvm)
{
	__u32 zero = 0;
	__u64 *p = bpf_map_lookup_elem(&scratch, &zero);

	/* As in on_fault_entry(): a number, through memory. Rare path. */
	if (!p)
		return 0;
	*(volatile __u64 *)p = (__u64)kvm;
	return on_destroy_vm(*(volatile __u64 *)p);
}

/* kprobe + raw tracepoint set, for kernels without trampolines */

SEC("kprobe/kvm_mmu_page_fault")
int BPF_KPROBE(kprobe_kvm_mmu_page_fault, struct kvm_vcpu *vcpu, u64 gpa, u64 err)
{
	on_fault_entry(vcpu, gpa, err, true);
	return 0;
}

SEC("kretprobe/kvm_mmu_page_fault")
int BPF_KRETPROBE(kretprobe_kvm_mmu_page_fault, int ret)
{
	return on_fault_exit(NULL, 0, 0, ret);
}

SEC("raw_tp/kvm_mmu_set_spte")
int BPF_PROG(raw_tp_kvm_mmu_set_spte, int level, u64 gfn, u64 *sptep)
{
	return on_set_spte(level);
}

SEC("raw_tp/mark_mmio_spte")
int BPF_PROG(raw_tp_mark_mmio_spte, u64 *sptep, u64 gfn, u64 spte)
{
	return on_mark_mmio();
}

SEC("raw_tp/kvm_mmu_spte_requested")
int BPF_PROG(raw_tp_kvm_mmu_spte_requested, struct kvm_page_fault *fault)
{
	struct kvm_memory_slot *slot = BPF_CORE_READ(fault, slot);

	if (!slot)
		return 0;
	return on_spte_requested(BPF_CORE_READ(slot, as_id), BPF_CORE_READ(slot, id),
				 BPF_CORE_READ(slot, base_gfn), BPF_CORE_READ(slot, npages));
}

SEC("kprobe/kvm_destroy_vm")
int BPF_KPROBE(kprobe_kvm_destroy_vm, struct kvm *kvm)
{
	return on_destroy_vm((__u64)kvm);
}

char LICENSE[] SEC("license") = "GPL";
