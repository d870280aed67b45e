// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt: find every KVM VM of the host and read its memory pools.
 *
 * VMs are found from their file descriptors: every process is visited and
 * its fd table is searched for "kvm-vm" files (file_is_kvm()). This finds
 * VMs of any VMM, including VMs created before the module was loaded, and
 * needs nothing that KVM does not export.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "memvirt.h"

#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fdtable.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <asm/fpu/types.h>

/* A VM file seen in some process: (kvm, pid, fd). */
struct memvirt_ref {
	struct kvm *kvm;
	struct memvirt_key where;
};

struct memvirt_scan {
	struct memvirt_ref *refs;
	unsigned int nr;
	unsigned int cap;
	unsigned int needed;
	pid_t pid;
};

int memvirt_key_cmp(const struct memvirt_key *a, const struct memvirt_key *b)
{
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->fd != b->fd)
		return a->fd < b->fd ? -1 : 1;
	return 0;
}

/* Parse "<pid>-<fd>", both non-negative decimal numbers. */
int memvirt_id_parse(const char *id, struct memvirt_key *key)
{
	char buf[MEMVIRT_VM_ID_LEN];
	char *dash;
	int pid, fd;

	if (strscpy(buf, id, sizeof(buf)) < 0)
		return -EINVAL;
	dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (kstrtoint(buf, 10, &pid) || kstrtoint(dash + 1, 10, &fd))
		return -EINVAL;
	if (pid < 0 || fd < 0 || buf[0] == '+' || dash[1] == '+')
		return -EINVAL;
	key->pid = pid;
	key->fd = fd;
	return 0;
}

/* iterate_fd() callback: runs under files->file_lock, must not sleep. */
static int memvirt_scan_fd(const void *arg, struct file *file, unsigned int fd)
{
	struct memvirt_scan *scan = (struct memvirt_scan *)arg;
	struct kvm *kvm;

	if (!file_is_kvm(file))
		return 0;
	scan->needed++;
	if (scan->nr >= scan->cap)
		return 0;
	kvm = file->private_data;
	if (!kvm_get_kvm_safe(kvm))
		return 0;
	scan->refs[scan->nr].kvm = kvm;
	scan->refs[scan->nr].where.pid = scan->pid;
	scan->refs[scan->nr].where.fd = fd;
	scan->nr++;
	return 0;
}

/* Visit every process of the host once, by ascending tgid. */
static int memvirt_scan_tasks(struct memvirt_scan *scan)
{
	struct task_struct *task;
	struct pid *pid;
	int nr = 1;

	for (;;) {
		rcu_read_lock();
		pid = find_ge_pid(nr, &init_pid_ns);
		if (!pid) {
			rcu_read_unlock();
			return 0;
		}
		nr = pid_nr(pid) + 1;
		task = pid_task(pid, PIDTYPE_TGID);
		if (task && !(task->flags & PF_KTHREAD))
			get_task_struct(task);
		else
			task = NULL;
		rcu_read_unlock();

		if (task) {
			scan->pid = task_tgid_nr(task);
			task_lock(task);
			if (task->files)
				iterate_fd(task->files, 0, memvirt_scan_fd, scan);
			task_unlock(task);
			put_task_struct(task);
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}

static void memvirt_refs_put(struct memvirt_ref *refs, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		kvm_put_kvm(refs[i].kvm);
}

static int memvirt_ref_cmp(const void *a, const void *b)
{
	const struct memvirt_ref *ra = a, *rb = b;

	if (ra->kvm != rb->kvm)
		return (unsigned long)ra->kvm < (unsigned long)rb->kvm ? -1 : 1;
	return memvirt_key_cmp(&ra->where, &rb->where);
}

static int memvirt_vm_cmp(const void *a, const void *b)
{
	const struct memvirt_vm *va = a, *vb = b;

	return memvirt_key_cmp(&va->key, &vb->key);
}

/*
 * Name a VM as KVM names its debugfs directory. Without that directory (no
 * debugfs, or a clash KVM refused), rebuild it: the creating pid and the
 * lowest fd under which the VM is open in that process. @refs are this VM's
 * references, sorted by (pid, fd).
 */
static void memvirt_vm_name(struct memvirt_vm *vm, const struct memvirt_ref *refs,
			    unsigned int nr)
{
	struct dentry *dentry = READ_ONCE(vm->kvm->debugfs_dentry);
	pid_t creator = READ_ONCE(vm->kvm->userspace_pid);
	unsigned int i;

	if (!IS_ERR_OR_NULL(dentry) &&
	    !memvirt_id_parse(dentry->d_name.name, &vm->key)) {
		strscpy(vm->id, dentry->d_name.name, sizeof(vm->id));
		return;
	}
	vm->key = refs[0].where;
	for (i = 0; i < nr; i++) {
		if (refs[i].where.pid == creator) {
			vm->key = refs[i].where;
			break;
		}
	}
	snprintf(vm->id, sizeof(vm->id), "%d-%d", vm->key.pid, vm->key.fd);
}

/*
 * Find every VM of the host. On success @list holds one reference per VM,
 * sorted by key; drop them with memvirt_vms_release(). May sleep.
 */
int memvirt_vms_collect(struct memvirt_vm_list *list)
{
	struct memvirt_scan scan = { .cap = 32 };
	struct memvirt_vm *vms;
	unsigned int i, j, n;
	int err;

	list->vms = NULL;
	list->nr = 0;
	for (;;) {
		scan.refs = kvmalloc_array(scan.cap, sizeof(*scan.refs), GFP_KERNEL);
		if (!scan.refs)
			return -ENOMEM;
		scan.nr = 0;
		scan.needed = 0;
		err = memvirt_scan_tasks(&scan);
		if (!err && scan.needed <= scan.cap)
			break;
		memvirt_refs_put(scan.refs, scan.nr);
		kvfree(scan.refs);
		if (err)
			return err;
		/* More VM files than room: grow with some slack and rescan. */
		if (scan.needed > INT_MAX / 2)
			return -ENOMEM;
		scan.cap = scan.needed + scan.needed / 2;
	}

	vms = kvmalloc_array(max(scan.nr, 1U), sizeof(*vms), GFP_KERNEL);
	if (!vms) {
		memvirt_refs_put(scan.refs, scan.nr);
		kvfree(scan.refs);
		return -ENOMEM;
	}

	/* One entry per struct kvm; a VM may be open in many fds. */
	sort(scan.refs, scan.nr, sizeof(*scan.refs), memvirt_ref_cmp, NULL);
	for (i = 0, n = 0; i < scan.nr; i = j) {
		for (j = i + 1; j < scan.nr && scan.refs[j].kvm == scan.refs[i].kvm; j++)
			kvm_put_kvm(scan.refs[j].kvm);
		vms[n].kvm = scan.refs[i].kvm;
		memvirt_vm_name(&vms[n], &scan.refs[i], j - i);
		n++;
	}
	kvfree(scan.refs);

	sort(vms, n, sizeof(*vms), memvirt_vm_cmp, NULL);
	list->vms = vms;
	list->nr = n;
	return 0;
}

void memvirt_vms_release(struct memvirt_vm_list *list)
{
	unsigned int i;

	for (i = 0; i < list->nr; i++) {
		kvm_put_kvm(list->vms[i].kvm);
		cond_resched();
	}
	kvfree(list->vms);
	list->vms = NULL;
	list->nr = 0;
}

struct memvirt_vm *memvirt_vms_find(struct memvirt_vm_list *list,
				    const struct memvirt_key *key)
{
	unsigned int i;

	for (i = 0; i < list->nr; i++)
		if (!memvirt_key_cmp(&list->vms[i].key, key))
			return &list->vms[i];
	return NULL;
}

/* Number of @level (1 = 4K, 2 = 2M, 3 = 1G) pages that @slot touches. */
static u64 memvirt_slot_lpages(const struct kvm_memory_slot *slot, int level)
{
	unsigned int shift = KVM_HPAGE_GFN_SHIFT(level);
	gfn_t last = slot->base_gfn + slot->npages - 1;

	return (last >> shift) - (slot->base_gfn >> shift) + 1;
}

static void memvirt_slot_meta(struct kvm_memory_slot *slot,
			      struct memvirt_slot_meta *meta)
{
	int i;

	memset(meta, 0, sizeof(*meta));
	/* rmap[i] maps level i + 1; allocated only once shadow roots exist. */
	for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
		if (READ_ONCE(slot->arch.rmap[i]))
			meta->rmap += memvirt_slot_lpages(slot, i + 1) *
				      sizeof(struct kvm_rmap_head);
	/* lpage_info[i] describes level i + 2. */
	for (i = 0; i < KVM_NR_PAGE_SIZES - 1; i++)
		if (READ_ONCE(slot->arch.lpage_info[i]))
			meta->lpage_info += memvirt_slot_lpages(slot, i + 2) *
					    sizeof(struct kvm_lpage_info);
	/* x86 allocates the bitmap and a second one for KVM_GET_DIRTY_LOG. */
	if (READ_ONCE(slot->dirty_bitmap))
		meta->dirty_bitmap = 2 * (u64)kvm_dirty_bitmap_bytes(slot);
	meta->write_track = compat_slot_write_track_bytes(slot);
}

static void memvirt_cache_add(struct memvirt_cache_stat *c,
			      struct kvm_mmu_memory_cache *mc)
{
	struct kmem_cache *kc = READ_ONCE(mc->kmem_cache);

	c->present = true;
	c->objects += max(READ_ONCE(mc->nobjs), 0);
	c->capacity += max(READ_ONCE(mc->capacity), 0);
	c->object_size = kc ? kmem_cache_size(kc) : PAGE_SIZE;
}

/*
 * Lower bound of what one vCPU allocates, from public structures only: the
 * generic struct kvm_vcpu (embedded in the vendor's VMX/SVM structure, whose
 * size is private), the kvm_run page, the PIO page, the local APIC register
 * page, the guest FPU state and the CPUID table.
 */
static u64 memvirt_vcpu_bytes(struct kvm_vcpu *vcpu)
{
	struct fpstate *fps = READ_ONCE(vcpu->arch.guest_fpu.fpstate);
	u64 bytes = sizeof(*vcpu) + PAGE_SIZE;
	int nent;

	if (READ_ONCE(vcpu->arch.pio_data))
		bytes += PAGE_SIZE;
	if (READ_ONCE(vcpu->arch.apic))
		bytes += PAGE_SIZE;
	if (fps)
		bytes += offsetof(struct fpstate, regs) + READ_ONCE(fps->size);
	nent = READ_ONCE(vcpu->arch.cpuid_nent);
	if (nent > 0 && READ_ONCE(vcpu->arch.cpuid_entries))
		bytes += (u64)nent * sizeof(struct kvm_cpuid_entry2);
	return bytes;
}

static void memvirt_vm_comm(const struct memvirt_vm *vm,
			    struct memvirt_vm_stats *st)
{
	struct task_struct *task;

	rcu_read_lock();
	task = pid_task(find_pid_ns(vm->key.pid, &init_pid_ns), PIDTYPE_PID);
	if (task) {
		get_task_comm(st->comm, task->group_leader);
		st->has_comm = true;
	}
	rcu_read_unlock();
}

/*
 * Snapshot of one VM's pools. The caller holds a reference on the VM. Most
 * values are read without KVM's locks (see Documentation/memvirt.rst); the
 * memslots are stable under kvm->srcu. May sleep.
 */
void memvirt_vm_stats(const struct memvirt_vm *vm, struct memvirt_vm_stats *st)
{
	struct kvm *kvm = vm->kvm;
	struct kvm_memory_slot *slot;
	struct memvirt_slot_meta meta;
	struct kvm_memslots *slots;
	struct kvm_vcpu *vcpu;
	int as_id, nr_as, bkt, idx, i, online;

	memset(st, 0, sizeof(*st));
	memvirt_vm_comm(vm, st);
	st->vcpus_created = max(READ_ONCE(kvm->created_vcpus), 0);
	online = atomic_read(&kvm->online_vcpus);
	st->vcpus_online = max(online, 0);

	idx = srcu_read_lock(&kvm->srcu);
	nr_as = min(compat_nr_memslot_as_ids(kvm), COMPAT_MAX_NR_ADDRESS_SPACES);
	for (as_id = 0; as_id < nr_as; as_id++) {
		slots = __kvm_memslots(kvm, as_id);
		kvm_for_each_memslot(slot, bkt, slots) {
			st->nr_memslots++;
			if (as_id == 0 && slot->id < KVM_USER_MEM_SLOTS)
				st->mem_bytes += (u64)slot->npages << PAGE_SHIFT;
			memvirt_slot_meta(slot, &meta);
			st->meta.rmap += meta.rmap;
			st->meta.lpage_info += meta.lpage_info;
			st->meta.dirty_bitmap += meta.dirty_bitmap;
			st->meta.write_track += meta.write_track;
		}
	}
	srcu_read_unlock(&kvm->srcu, idx);

	st->map[0] = max_t(s64, atomic64_read(&kvm->stat.pages_4k), 0);
	st->map[1] = max_t(s64, atomic64_read(&kvm->stat.pages_2m), 0);
	st->map[2] = max_t(s64, atomic64_read(&kvm->stat.pages_1g), 0);
	/* Changed under mmu_lock; a plain 64-bit load is a whole value. */
	st->nx_lpage_splits = READ_ONCE(kvm->stat.nx_lpage_splits);

	st->tdp_pages = compat_tdp_mmu_pages(kvm);
	st->shadow_pages = READ_ONCE(kvm->arch.n_used_mmu_pages);

	/* vCPUs below online_vcpus are fully created and never go away. */
	for (i = 0; i < online; i++) {
		vcpu = kvm_get_vcpu(kvm, i);
		if (!vcpu)
			continue;
		memvirt_cache_add(&st->cache[MEMVIRT_CACHE_PTE_LIST_DESC],
				  &vcpu->arch.mmu_pte_list_desc_cache);
		memvirt_cache_add(&st->cache[MEMVIRT_CACHE_SHADOW_PAGE],
				  &vcpu->arch.mmu_shadow_page_cache);
		memvirt_cache_add(&st->cache[MEMVIRT_CACHE_SHADOWED_INFO],
				  &vcpu->arch.mmu_shadowed_info_cache);
		memvirt_cache_add(&st->cache[MEMVIRT_CACHE_PAGE_HEADER],
				  &vcpu->arch.mmu_page_header_cache);
		st->vcpu_bytes += memvirt_vcpu_bytes(vcpu);
	}
	memvirt_cache_add(&st->cache[MEMVIRT_CACHE_SPLIT_SHADOW_PAGE],
			  &kvm->arch.split_shadow_page_cache);
	memvirt_cache_add(&st->cache[MEMVIRT_CACHE_SPLIT_PAGE_HEADER],
			  &kvm->arch.split_page_header_cache);
	memvirt_cache_add(&st->cache[MEMVIRT_CACHE_SPLIT_DESC],
			  &kvm->arch.split_desc_cache);
}

static u32 memvirt_slot_flags(const struct kvm_memory_slot *slot)
{
	u32 flags = 0;

	if (slot->flags & KVM_MEM_LOG_DIRTY_PAGES)
		flags |= MEMVIRT_SLOT_F_DIRTY_LOG;
	if (slot->flags & KVM_MEM_READONLY)
		flags |= MEMVIRT_SLOT_F_READONLY;
	if (slot->flags & KVM_MEM_GUEST_MEMFD)
		flags |= MEMVIRT_SLOT_F_GUEST_MEMFD;
	if (slot->id >= KVM_USER_MEM_SLOTS)
		flags |= MEMVIRT_SLOT_F_INTERNAL;
	return flags;
}

static int memvirt_slot_cmp(const void *a, const void *b)
{
	const struct memvirt_slot *sa = a, *sb = b;

	if (sa->as_id != sb->as_id)
		return sa->as_id < sb->as_id ? -1 : 1;
	if (sa->id != sb->id)
		return sa->id < sb->id ? -1 : 1;
	return 0;
}

/*
 * Copy the memslots of all address spaces of @kvm, sorted by (as_id, id).
 * The caller holds a reference on the VM and kvfree()s *@slots. May sleep.
 */
int memvirt_vm_slots(struct kvm *kvm, struct memvirt_slot **slots,
		     unsigned int *nr)
{
	struct kvm_memslots *ms[COMPAT_MAX_NR_ADDRESS_SPACES];
	struct kvm_memory_slot *slot;
	struct memvirt_slot *out;
	unsigned int n = 0, cap;
	int as_id, nr_as, bkt, idx;

	idx = srcu_read_lock(&kvm->srcu);
	nr_as = min(compat_nr_memslot_as_ids(kvm), COMPAT_MAX_NR_ADDRESS_SPACES);
	for (as_id = 0; as_id < nr_as; as_id++) {
		/* Read each set once: an update may publish a new one meanwhile. */
		ms[as_id] = __kvm_memslots(kvm, as_id);
		kvm_for_each_memslot(slot, bkt, ms[as_id])
			n++;
	}
	/* SRCU readers may sleep; the sets read above stay valid until unlock. */
	cap = n;
	out = kvmalloc_array(max(cap, 1U), sizeof(*out), GFP_KERNEL);
	if (!out) {
		srcu_read_unlock(&kvm->srcu, idx);
		return -ENOMEM;
	}
	n = 0;
	for (as_id = 0; as_id < nr_as; as_id++) {
		kvm_for_each_memslot(slot, bkt, ms[as_id]) {
			if (WARN_ON_ONCE(n >= cap))
				break;
			out[n].id = slot->id;
			out[n].as_id = as_id;
			out[n].flags = memvirt_slot_flags(slot);
			out[n].gpa = (u64)slot->base_gfn << PAGE_SHIFT;
			out[n].size = (u64)slot->npages << PAGE_SHIFT;
			out[n].hva = slot->userspace_addr;
			memvirt_slot_meta(slot, &out[n].meta);
			n++;
		}
	}
	srcu_read_unlock(&kvm->srcu, idx);

	sort(out, n, sizeof(*out), memvirt_slot_cmp, NULL);
	*slots = out;
	*nr = n;
	return 0;
}
