/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt: every difference between the supported kernels lives here.
 *
 * Verified against Debian 6.1.0-56 and 6.12.117+deb12. Where a version cut
 * below falls between those two it is taken from the kernel history and
 * not tested; features that have a macro are tested by the macro instead.
 */
#ifndef _MEMVIRT_COMPAT_H
#define _MEMVIRT_COMPAT_H

#include <linux/version.h>
#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/mmzone.h>
#include <linux/netlink.h>
#include <net/genetlink.h>

/* Kernel version being built for, as COMPAT_V(major, minor). */
#define COMPAT_V(maj, min) ((maj) * 256 + (min))
#define COMPAT_KVER COMPAT_V(LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL)
#define COMPAT_AT_LEAST(maj, min) (COMPAT_V(maj, min) <= COMPAT_KVER)

#if !COMPAT_AT_LEAST(6, 1) || COMPAT_AT_LEAST(6, 13)
#error "memvirt supports Linux 6.1 up to 6.12"
#endif

#ifndef CONFIG_X86_64
#error "memvirt reads x86-64 KVM structures"
#endif

/* 6.3: struct kvm_arch counts TDP MMU pages instead of listing them. */
#if COMPAT_AT_LEAST(6, 3)
#define COMPAT_HAS_TDP_MMU_PAGES_COUNTER 1
#endif

/* 6.7: one gfn_write_track array per slot replaces gfn_track[mode]. */
#if COMPAT_AT_LEAST(6, 7)
#define COMPAT_HAS_GFN_WRITE_TRACK 1
#endif

/*
 * Before 6.7 kvm_create_vm() takes a reference on the vendor module for the
 * VM's life and KVM's vCPU files have no owner; from 6.7 (measured: 6.12)
 * the VM pins nothing and every KVM file is owned by the vendor module.
 */
static inline bool compat_kvm_vm_pins_module(void)
{
	return !COMPAT_AT_LEAST(6, 7);
}

/* 6.6: genl_dumpit_info carries a struct genl_info. */
#if COMPAT_AT_LEAST(6, 6)
#define COMPAT_HAS_GENL_INFO_DUMP 1
#endif

/*
 * Buddy orders are 0..COMPAT_NR_ORDERS - 1. 6.8 names the count
 * NR_PAGE_ORDERS; 6.4 to 6.7 have MAX_ORDER as the largest order; before
 * 6.4 MAX_ORDER is the count (11 on x86-64 in both 6.1 and 6.12).
 */
#if defined(NR_PAGE_ORDERS)
#define COMPAT_NR_ORDERS NR_PAGE_ORDERS
#elif COMPAT_AT_LEAST(6, 4)
#define COMPAT_NR_ORDERS (MAX_ORDER + 1)
#else
#define COMPAT_NR_ORDERS MAX_ORDER
#endif

/* 6.8: guest_memfd-backed memslots. */
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD 0
#endif

/* 6.8: the number of address spaces became per VM. */
#ifdef KVM_MAX_NR_ADDRESS_SPACES
#define COMPAT_MAX_NR_ADDRESS_SPACES KVM_MAX_NR_ADDRESS_SPACES
#else
#define COMPAT_MAX_NR_ADDRESS_SPACES KVM_ADDRESS_SPACE_NUM
#endif

/* Number of memslot address spaces this VM uses. */
static inline int compat_nr_memslot_as_ids(struct kvm *kvm)
{
#ifdef KVM_MAX_NR_ADDRESS_SPACES
	return kvm_arch_nr_memslot_as_ids(kvm);
#else
	return KVM_ADDRESS_SPACE_NUM;
#endif
}

/* Bytes of the gfn write-tracking arrays of @slot (0 if not allocated). */
static inline u64 compat_slot_write_track_bytes(const struct kvm_memory_slot *slot)
{
	u64 per_array = (u64)slot->npages * sizeof(unsigned short);
#ifdef COMPAT_HAS_GFN_WRITE_TRACK
	return READ_ONCE(slot->arch.gfn_write_track) ? per_array : 0;
#else
	u64 bytes = 0;
	int i;

	for (i = 0; i < KVM_PAGE_TRACK_MAX; i++)
		if (READ_ONCE(slot->arch.gfn_track[i]))
			bytes += per_array;
	return bytes;
#endif
}

/*
 * Entries of @head, counting at most @budget of them; *@partial is set when
 * the list is longer. Bounds a walk under a KVM lock by a constant.
 */
static inline u64 compat_list_count(const struct list_head *head, u64 budget,
				    bool *partial)
{
	const struct list_head *pos;
	u64 n = 0;

	list_for_each(pos, head) {
		if (n == budget) {
			*partial = true;
			break;
		}
		n++;
	}
	return n;
}

/* Does @kvm use the TDP MMU, i.e. are its TDP MMU lists initialised? */
static inline bool compat_tdp_mmu_in_use(struct kvm *kvm)
{
#ifdef COMPAT_HAS_TDP_MMU_PAGES_COUNTER
	/*
	 * The flag became the kvm module's global tdp_mmu_enabled, which is
	 * not exported. kvm_mmu_init_tdp_mmu() runs only when it is set and
	 * initialises tdp_mmu_roots; struct kvm is allocated zeroed, so the
	 * list head is NULL for VMs without the TDP MMU (e.g. npt=0).
	 */
	return READ_ONCE(kvm->arch.tdp_mmu_roots.next);
#else
	return READ_ONCE(kvm->arch.tdp_mmu_enabled);
#endif
}

/*
 * Page-table pages of the TDP MMU, roots included. Neither kernel counts the
 * roots with the other pages (6.1 keeps them on tdp_mmu_roots, not on
 * tdp_mmu_pages; 6.12's counter is bumped only when a page is linked below
 * a root), so the roots list is walked in both. Writers of both lists hold
 * tdp_mmu_pages_lock when they hold mmu_lock for read, so holding mmu_lock
 * for read plus that spinlock gives a consistent count. 0 for VMs that do
 * not use the TDP MMU.
 *
 * Lock hold: 6.12 reads a counter and walks the roots (a few per vCPU
 * role); 6.1 has no counter and walks both lists. At most @budget list
 * entries are visited in all; *@partial is set when the count stopped there.
 */
static inline u64 compat_tdp_mmu_pages(struct kvm *kvm, u64 budget,
				       bool *partial)
{
	u64 n;

	*partial = false;
	if (!compat_tdp_mmu_in_use(kvm))
		return 0;
	read_lock(&kvm->mmu_lock);
	spin_lock(&kvm->arch.tdp_mmu_pages_lock);
	n = compat_list_count(&kvm->arch.tdp_mmu_roots, budget, partial);
#ifdef COMPAT_HAS_TDP_MMU_PAGES_COUNTER
	n += max_t(s64, atomic64_read(&kvm->arch.tdp_mmu_pages), 0);
#else
	n += compat_list_count(&kvm->arch.tdp_mmu_pages, budget - n, partial);
#endif
	spin_unlock(&kvm->arch.tdp_mmu_pages_lock);
	read_unlock(&kvm->mmu_lock);
	return n;
}

/* Parsed attributes of a dump request. */
static inline struct nlattr **compat_dump_attrs(struct netlink_callback *cb)
{
#ifdef COMPAT_HAS_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#endif /* _MEMVIRT_COMPAT_H */
