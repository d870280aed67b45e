// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt: find every KVM VM of the host and read its memory pools.
 *
 * VMs are found from what keeps them alive: every process is visited, the
 * fd tables of its threads are searched for "kvm-vm" files (file_is_kvm())
 * and "kvm-vcpu:N" files, and its address space for mappings of either (a
 * vCPU's kvm_run page outlives every fd once mapped). This finds VMs of any
 * VMM, including VMs created before the module was loaded, VMs whose VM fd
 * was closed, and VMs whose creator's main thread has exited, and needs
 * nothing that KVM does not export. What can still hide a VM is listed in
 * Documentation/memvirt.rst.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "memvirt.h"

#include <linux/bsearch.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fdtable.h>
#include <linux/hash.h>
#include <linux/magic.h>
#include <linux/mm_types.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <asm/fpu/types.h>

/*
 * Most list entries one request walks under KVM's tdp_mmu_pages_lock to
 * count TDP MMU pages. 6.1 keeps no count of them, only a list, with one
 * page per 2 MiB of guest memory mapped at 4K: 4096 entries (8 GiB mapped
 * at 4K) are a few tens of microseconds of lock hold; above that the count
 * is a lower bound and says so. 6.12 walks only the roots.
 */
static unsigned int tdp_walk_budget = 4096;
module_param(tdp_walk_budget, uint, 0644);
MODULE_PARM_DESC(tdp_walk_budget,
		 "most TDP MMU list entries walked under KVM's lock per VM and request (default 4096)");

/*
 * The scan's table of VMs found so far: vms[] in the order found, and an
 * open-addressing hash of struct kvm pointers (slots hold index + 1) so a
 * VM open under many fds takes one entry and one reference, however often
 * it is dup()ed. Filled from iterate_fd() callbacks, which run under
 * files->file_lock: nothing in them may sleep or allocate.
 */
struct memvirt_scan {
	struct memvirt_vm *vms;
	u32 *hash;
	unsigned int hash_bits;
	unsigned int nr;
	unsigned int cap;
	bool full;			/* a new VM found no room: rescan */
	struct task_struct *task;	/* the thread being scanned */
	struct task_struct *leader;	/* its group leader: counted holder */
	struct mm_struct *task_mm;	/* its mm, read under task_lock() */
	struct file *last_file;		/* compared only, never dereferenced */
};

/* Keys the tags of VMs KVM did not name (memvirt_vm_name()). */
static siphash_key_t memvirt_tag_key __read_mostly;

int memvirt_vm_init(void)
{
	get_random_bytes(&memvirt_tag_key, sizeof(memvirt_tag_key));
	return 0;
}

int memvirt_key_cmp(const struct memvirt_key *a, const struct memvirt_key *b)
{
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->fd != b->fd)
		return a->fd < b->fd ? -1 : 1;
	if (a->tag != b->tag)
		return a->tag < b->tag ? -1 : 1;
	return 0;
}

/* A decimal number without sign or leading zeros, below 2^31. */
static const char *memvirt_parse_nr(const char *s, s32 *out)
{
	u64 v = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > S32_MAX)
			return NULL;
	}
	*out = v;
	return s;
}

/*
 * Parse "<pid>-<fd>" exactly as KVM prints it ("%d-%d" of two non-negative
 * numbers): no sign, no leading zero, nothing before or after; or
 * memvirt's own "<pid>-x<tag>" ("%d-x%08x").
 */
int memvirt_id_parse(const char *id, struct memvirt_key *key)
{
	struct memvirt_key k = { .tag = 0 };
	const char *s;
	int i, d;

	s = memvirt_parse_nr(id, &k.pid);
	if (!s || *s != '-')
		return -EINVAL;
	if (s[1] == 'x') {
		k.fd = -1;
		for (i = 0, s += 2; i < 8; i++, s++) {
			d = hex_to_bin(*s);
			if (d < 0 || (*s >= 'A' && *s <= 'F'))
				return -EINVAL;
			k.tag = k.tag << 4 | d;
		}
		if (*s || !k.tag)
			return -EINVAL;
		*key = k;
		return 0;
	}
	s = memvirt_parse_nr(s + 1, &k.fd);
	if (!s || *s)
		return -EINVAL;
	*key = k;
	return 0;
}

static u32 *memvirt_scan_slot(struct memvirt_scan *scan, struct kvm *kvm)
{
	unsigned int mask = (1U << scan->hash_bits) - 1;
	unsigned int i = hash_ptr(kvm, scan->hash_bits);

	/* At most half full, so an empty slot ends every probe. */
	while (scan->hash[i] && scan->vms[scan->hash[i] - 1].kvm != kvm)
		i = (i + 1) & mask;
	return &scan->hash[i];
}

/*
 * Is @file a "kvm-vcpu:N" file? KVM does not export kvm_vcpu_fops, so it
 * is recognised as KVM's create_vcpu_fd() makes it: an anonymous-inode
 * file of that name (only kernel code names anonymous-inode files) whose
 * fops belong to KVM's vendor module (kvm_init() sets their owner), or
 * have no owner where the VM pins that module itself (compat.h). Its
 * private_data is the struct kvm_vcpu, which lives until kvm_destroy_vm(),
 * and the file holds a reference on the VM.
 */
static bool memvirt_file_is_vcpu(const struct file *file)
{
	const char *name = (const char *)file->f_path.dentry->d_name.name;
	struct module *owner = file->f_op->owner;

	if (file_inode(file)->i_sb->s_magic != ANON_INODE_FS_MAGIC ||
	    strncmp(name, "kvm-vcpu:", 9) || !isdigit(name[9]))
		return false;
	if (owner ? strncmp(module_name(owner), "kvm", 3) :
		    !compat_kvm_vm_pins_module())
		return false;
	for (name += 10; isdigit(*name); name++)
		;
	return !*name;
}

/* The VM @file keeps alive, if it is a VM or vCPU file, and how. */
static struct kvm *memvirt_file_kvm(struct file *file, u32 *how)
{
	if (file_is_kvm(file)) {
		*how = MEMVIRT_HELD_VM_FD;
		return file->private_data;
	}
	if (memvirt_file_is_vcpu(file)) {
		*how = MEMVIRT_HELD_VCPU_FD;
		return ((struct kvm_vcpu *)file->private_data)->kvm;
	}
	return NULL;
}

/*
 * Note that the process being scanned holds @kvm through @file. Called
 * under files->file_lock or the mmap lock with @file pinned by them:
 * nothing here may sleep or allocate.
 */
static void memvirt_scan_found(struct memvirt_scan *scan, struct file *file,
			       struct kvm *kvm, u32 how)
{
	struct memvirt_vm *vm;
	struct module *owner;
	u32 *slot;

	slot = memvirt_scan_slot(scan, kvm);
	if (*slot) {
		vm = &scan->vms[*slot - 1];
	} else {
		if (scan->nr >= scan->cap) {
			scan->full = true;
			return;
		}
		/*
		 * The VM's code lives in the module that owns its files
		 * (kvm_amd or kvm_intel); the file pins it, and so do we, for
		 * as long as we may drop the last reference on the VM and run
		 * kvm_destroy_vm().
		 */
		owner = file->f_op->owner;
		if (!try_module_get(owner))
			return;
		if (!kvm_get_kvm_safe(kvm)) {
			module_put(owner);
			return;
		}
		vm = &scan->vms[scan->nr++];
		memset(vm, 0, sizeof(*vm));
		vm->kvm = kvm;
		vm->owner = owner;
		get_task_struct(scan->task);
		vm->holder = scan->task;
		*slot = scan->nr;
	}
	vm->held_by |= how;
	if (!vm->mm_owner && scan->task_mm == kvm->mm) {
		get_task_struct(scan->task);
		vm->mm_owner = scan->task;
	}
	/* Each process is scanned once: a new leader is a new holder. */
	if (vm->last_task != scan->leader) {
		vm->last_task = scan->leader;
		if (vm->nr_holders < MEMVIRT_MAX_HOLDERS) {
			get_task_struct(scan->task);
			vm->holders[vm->nr_holders] = scan->task;
		}
		vm->nr_holders++;
	}
}

/* iterate_fd() callback: runs under files->file_lock, must not sleep. */
static int memvirt_scan_fd(const void *arg, struct file *file, unsigned int fd)
{
	struct memvirt_scan *scan = (struct memvirt_scan *)arg;
	struct kvm *kvm;
	u32 how;

	/* dup()s of one file sit side by side: nothing new in them. */
	if (file == scan->last_file)
		return 0;
	scan->last_file = file;
	kvm = memvirt_file_kvm(file, &how);
	if (kvm)
		memvirt_scan_found(scan, file, kvm, how);
	return 0;
}

/*
 * The address space of @task: every mapping of a VM or vCPU file (QEMU and
 * every VMM map each vCPU's kvm_run page; the mapping holds the file, the
 * file the VM). The mmap lock is taken for reading, as /proc/PID/maps does.
 */
static int memvirt_scan_mm(struct memvirt_scan *scan, struct task_struct *task,
			   struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	struct kvm *kvm;
	u32 how;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	scan->task = task;
	scan->task_mm = mm;
	scan->last_file = NULL;
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (!vma->vm_file || vma->vm_file == scan->last_file)
				continue;
			scan->last_file = vma->vm_file;
			kvm = memvirt_file_kvm(vma->vm_file, &how);
			if (kvm)
				memvirt_scan_found(scan, vma->vm_file, kvm,
						   MEMVIRT_HELD_MAPPING);
		}
	}
	mmap_read_unlock(mm);
	return 0;
}

/*
 * One process: the fd table of every thread (a leader that called
 * pthread_exit() has none, its threads still share one; a thread may have
 * unshared its own), then its address space.
 */
static int memvirt_scan_process(struct memvirt_scan *scan,
				struct task_struct *leader)
{
	struct files_struct *files, *last_files = NULL;
	struct task_struct *t, *mm_task = NULL;
	struct mm_struct *mm = NULL;
	int err = 0;

	scan->leader = leader;
	rcu_read_lock();
	/*
	 * for_each_thread() without its lockdep condition, which names the
	 * unexported tasklist_lock: under RCU the list may be walked while
	 * threads come and go; leader->signal lives as long as leader.
	 */
	list_for_each_entry_rcu(t, &leader->signal->thread_head, thread_node) {
		task_lock(t);
		files = t->files;
		if (files && files != last_files) {
			scan->task = t;
			scan->task_mm = t->mm;
			scan->last_file = NULL;
			iterate_fd(files, 0, memvirt_scan_fd, scan);
			last_files = files;
		}
		if (!mm && t->mm) {
			mm = t->mm;
			mmget(mm);
			get_task_struct(t);
			mm_task = t;
		}
		task_unlock(t);
	}
	rcu_read_unlock();

	if (mm) {
		err = memvirt_scan_mm(scan, mm_task, mm);
		mmput(mm);
		put_task_struct(mm_task);
	}
	return err;
}

/*
 * Visit every process of @ns once, by ascending pid. Processes outside the
 * caller's pid namespace are never visited: a VM is found only through
 * processes the caller can name.
 */
static int memvirt_scan_tasks(struct memvirt_scan *scan,
			      struct pid_namespace *ns)
{
	struct task_struct *task;
	struct pid *pid;
	int nr = 1, err;

	for (;;) {
		rcu_read_lock();
		pid = find_ge_pid(nr, ns);
		if (!pid) {
			rcu_read_unlock();
			return 0;
		}
		nr = pid_nr_ns(pid, ns) + 1;
		task = pid_task(pid, PIDTYPE_TGID);
		if (task && !(task->flags & PF_KTHREAD))
			get_task_struct(task);
		else
			task = NULL;
		rcu_read_unlock();

		if (task) {
			err = memvirt_scan_process(scan, task);
			put_task_struct(task);
			if (err)
				return err;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}

static void memvirt_vm_put_holders(struct memvirt_vm *vm)
{
	unsigned int i;

	for (i = 0; i < MEMVIRT_MAX_HOLDERS; i++) {
		if (vm->holders[i])
			put_task_struct(vm->holders[i]);
		vm->holders[i] = NULL;
	}
}

/* Drop what one entry holds; the VM's own code stays until the last put. */
void memvirt_vm_put(struct memvirt_vm *vm)
{
	if (!vm->kvm)
		return;
	if (vm->mm_owner)
		put_task_struct(vm->mm_owner);
	memvirt_vm_put_holders(vm);
	put_task_struct(vm->holder);
	kvm_put_kvm(vm->kvm);
	module_put(vm->owner);
	vm->kvm = NULL;
}

static void memvirt_scan_free(struct memvirt_scan *scan)
{
	unsigned int i;

	for (i = 0; i < scan->nr; i++) {
		memvirt_vm_put(&scan->vms[i]);
		cond_resched();
	}
	kvfree(scan->vms);
	kvfree(scan->hash);
}

/*
 * Could the caller read @task's /proc/PID/maps? The DAC and capability
 * part of ptrace_may_access(task, PTRACE_MODE_READ_FSCREDS), which is not
 * exported to modules: same thread group; or the caller's fsuid and fsgid
 * match all of the task's uids and gids and the task is dumpable; or the
 * caller has CAP_SYS_PTRACE over the task's (and its mm's) user namespace.
 * The LSM hook (SELinux, AppArmor, Yama) cannot be consulted from a module,
 * so the rule here is never looser than the kernel's without an LSM.
 */
static bool memvirt_may_read(struct task_struct *task)
{
	const struct cred *cred = current_cred(), *tcred;
	struct mm_struct *mm;
	bool ok;

	if (same_thread_group(task, current))
		return true;
	rcu_read_lock();
	tcred = __task_cred(task);
	ok = (uid_eq(cred->fsuid, tcred->euid) &&
	      uid_eq(cred->fsuid, tcred->suid) &&
	      uid_eq(cred->fsuid, tcred->uid) &&
	      gid_eq(cred->fsgid, tcred->egid) &&
	      gid_eq(cred->fsgid, tcred->sgid) &&
	      gid_eq(cred->fsgid, tcred->gid)) ||
	     ns_capable_noaudit(tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	if (!ok)
		return false;
	/* Dumpability is read after the credentials, as ptrace.c does. */
	smp_rmb();
	task_lock(task);
	mm = task->mm;
	ok = !mm || get_dumpable(mm) == SUID_DUMP_USER ||
	     ns_capable_noaudit(mm->user_ns, CAP_SYS_PTRACE);
	task_unlock(task);
	return ok;
}

static int memvirt_vm_cmp(const void *a, const void *b)
{
	const struct memvirt_vm *va = a, *vb = b;

	return memvirt_key_cmp(&va->key, &vb->key);
}

static void memvirt_vm_set_tag(struct memvirt_vm *vm, int pid, u32 tag)
{
	vm->key.pid = pid;
	vm->key.fd = -1;
	vm->key.tag = tag ?: 1;
	snprintf(vm->id, sizeof(vm->id), "%d-x%08x", pid, vm->key.tag);
}

/*
 * Name a VM as KVM names its debugfs directory ("<pid>-<fd>", written once
 * before the VM's fd is installed, removed only by kvm_destroy_vm()).
 * Without that directory (debugfs off, or KVM refused a name an older VM
 * still held) the id is "<creator pid>-x<tag>": the pid from stats_id
 * ("kvm-<pid>", written once at creation), the tag a keyed hash of the
 * VM's address, so that nothing about the address leaves the kernel.
 */
static void memvirt_vm_name(struct memvirt_vm *vm)
{
	struct dentry *dentry = READ_ONCE(vm->kvm->debugfs_dentry);
	int pid;
	u32 tag;

	if (!IS_ERR_OR_NULL(dentry) &&
	    !memvirt_id_parse(dentry->d_name.name, &vm->key) && vm->key.fd >= 0) {
		strscpy(vm->id, dentry->d_name.name, sizeof(vm->id));
		return;
	}
	vm->no_debugfs = true;
	if (sscanf(vm->kvm->stats_id, "kvm-%d", &pid) != 1 || pid < 0)
		pid = task_tgid_nr(vm->mm_owner ?: vm->holder);
	tag = siphash_1u64((unsigned long)vm->kvm, &memvirt_tag_key);
	memvirt_vm_set_tag(vm, pid, tag);
}

/* Most VMs one request collects; more is refused, never cut silently. */
#define MEMVIRT_MAX_VMS		BIT(20)

static int memvirt_scan_alloc(struct memvirt_scan *scan, unsigned int cap)
{
	scan->cap = cap;
	scan->hash_bits = ilog2(cap) + 1;
	scan->nr = 0;
	scan->full = false;
	scan->vms = kvmalloc_array(cap, sizeof(*scan->vms),
				   GFP_KERNEL | __GFP_NOWARN);
	scan->hash = kvcalloc(1U << scan->hash_bits, sizeof(*scan->hash),
			      GFP_KERNEL | __GFP_NOWARN);
	if (scan->vms && scan->hash)
		return 0;
	kvfree(scan->vms);
	kvfree(scan->hash);
	return -ENOMEM;
}

/*
 * Find every VM the caller may see (memvirt_may_read() of its VMM, which is
 * the process running in the VM's mm if the scan met one, else the first
 * process found holding it). On success @list holds one reference per VM,
 * sorted by key; drop them with memvirt_vms_release(). May sleep.
 *
 * Cost: one visit per process of the caller's pid namespace and one hash
 * probe per open fd; memory: one entry per VM, however many fds name it.
 */
int memvirt_vms_collect(struct memvirt_vm_list *list)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct memvirt_scan scan;
	unsigned int i, j, n, cap = 64;
	struct memvirt_vm *vm;
	int err;

	list->vms = NULL;
	list->nr = 0;
	for (;;) {
		err = memvirt_scan_alloc(&scan, cap);
		if (err)
			return err;
		err = memvirt_scan_tasks(&scan, ns);
		if (!err && !scan.full)
			break;
		memvirt_scan_free(&scan);
		if (err)
			return err;
		/* More VMs than room: grow and rescan. */
		if (cap >= MEMVIRT_MAX_VMS)
			return -E2BIG;
		cap *= 4;
	}
	kvfree(scan.hash);

	for (i = 0, n = 0; i < scan.nr; i++) {
		vm = &scan.vms[i];
		vm->vmm = vm->mm_owner ?: vm->holder;
		if (!memvirt_may_read(vm->vmm)) {
			memvirt_vm_put(vm);
			continue;
		}
		vm->pid = task_tgid_nr_ns(vm->vmm, ns);
		/* Holders the caller may not read are counted, not named. */
		for (j = 0; j < MEMVIRT_MAX_HOLDERS && vm->holders[j]; j++)
			if (memvirt_may_read(vm->holders[j]))
				vm->holder_pids[vm->nr_holder_pids++] =
					task_tgid_nr_ns(vm->holders[j], ns);
		memvirt_vm_put_holders(vm);
		memvirt_vm_name(vm);
		if (n != i)
			scan.vms[n] = *vm;
		n++;
		cond_resched();
	}
	sort(scan.vms, n, sizeof(*scan.vms), memvirt_vm_cmp, NULL);
	/*
	 * Keys are unique: KVM refuses a second directory of one name, and
	 * two tags of one creator pid collide with odds of 2^-32; should they,
	 * the later VM takes the next free tag, for as long as both live.
	 */
	for (i = 1; i < n; i++)
		if (memvirt_key_cmp(&scan.vms[i].key, &scan.vms[i - 1].key) <= 0)
			memvirt_vm_set_tag(&scan.vms[i], scan.vms[i].key.pid,
					   scan.vms[i - 1].key.tag + 1);
	list->vms = scan.vms;
	list->nr = n;
	return 0;
}

void memvirt_vms_release(struct memvirt_vm_list *list)
{
	unsigned int i;

	for (i = 0; i < list->nr; i++) {
		memvirt_vm_put(&list->vms[i]);
		cond_resched();
	}
	kvfree(list->vms);
	list->vms = NULL;
	list->nr = 0;
}

static int memvirt_vm_key_cmp(const void *key, const void *elt)
{
	const struct memvirt_vm *vm = elt;

	return memvirt_key_cmp(key, &vm->key);
}

struct memvirt_vm *memvirt_vms_find(struct memvirt_vm_list *list,
				    const struct memvirt_key *key)
{
	return bsearch(key, list->vms, list->nr, sizeof(*list->vms),
		       memvirt_vm_key_cmp);
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
 * page, the guest FPU state at its smallest and the CPUID table.
 *
 * Nothing behind a pointer that the VMM can free is read: the FPU state
 * (KVM_SET_CPUID2 with AMX vfree()s and replaces it) and the CPUID table
 * count by their static size and the published entry count only. A torn
 * (cpuid_nent, cpuid_entries) pair sizes one table wrongly for one read.
 */
static u64 memvirt_vcpu_bytes(struct kvm_vcpu *vcpu)
{
	u64 bytes = sizeof(*vcpu) + PAGE_SIZE;
	int nent;

	if (READ_ONCE(vcpu->arch.pio_data))
		bytes += PAGE_SIZE;
	if (READ_ONCE(vcpu->arch.apic))
		bytes += PAGE_SIZE;
	if (READ_ONCE(vcpu->arch.guest_fpu.fpstate))
		bytes += sizeof(struct fpstate);
	nent = READ_ONCE(vcpu->arch.cpuid_nent);
	if (nent > 0 && READ_ONCE(vcpu->arch.cpuid_entries))
		bytes += (u64)min(nent, KVM_MAX_CPUID_ENTRIES) *
			 sizeof(struct kvm_cpuid_entry2);
	return bytes;
}

/*
 * Snapshot of one VM's pools. The caller holds a reference on the VM. Most
 * values are read without KVM's locks (see Documentation/memvirt.rst); the
 * memslots are stable under kvm->srcu. May sleep.
 */
/* The values the family reports that follow from those read. */
static void memvirt_vm_derive(struct memvirt_vm_stats *st)
{
	u64 huge = (st->map[1] << PMD_SHIFT) + (st->map[2] << PUD_SHIFT);
	u32 type;

	st->mapped_bytes = (st->map[0] << PAGE_SHIFT) + huge;
	if (st->mapped_bytes)
		st->huge_ppm = mul_u64_u64_div_u64(huge, 1000000,
						   st->mapped_bytes);
	st->page_table_bytes = (st->tdp_pages + st->shadow_pages) * PAGE_SIZE;
	for (type = 0; type <= MEMVIRT_CACHE_MAX; type++)
		if (st->cache[type].present)
			st->cache_bytes += st->cache[type].objects *
					   st->cache[type].object_size;
	st->overhead_bytes = st->meta.rmap + st->meta.lpage_info +
			     st->meta.dirty_bitmap + st->meta.write_track +
			     st->page_table_bytes + st->cache_bytes +
			     st->vcpu_bytes;
}

void memvirt_vm_stats(const struct memvirt_vm *vm, struct memvirt_vm_stats *st)
{
	struct kvm *kvm = vm->kvm;
	struct kvm_memory_slot *slot;
	struct memvirt_slot_meta meta;
	struct kvm_memslots *slots;
	struct kvm_vcpu *vcpu;
	int as_id, nr_as, bkt, idx, i, online;

	memset(st, 0, sizeof(*st));
	/*
	 * The VMM is referenced; comm is its leader's (a zombie leader after
	 * pthread_exit() keeps its name), read under RCU and task_lock().
	 */
	rcu_read_lock();
	get_task_comm(st->comm, READ_ONCE(vm->vmm->group_leader));
	rcu_read_unlock();
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

	st->tdp_pages = compat_tdp_mmu_pages(kvm, tdp_walk_budget,
					     &st->tdp_pages_partial);
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
	memvirt_vm_derive(st);
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
