/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/memvirt.yaml */
/* YNL-GEN uapi header */
/* Documentation added by scripts/nlgen.py uapi-doc; make regen */

/*
 * Memory observatory for KVM hosts: per-VM memory-pool statistics of every KVM
 * VM of the host, whatever its VMM, and the host's buddy-allocator
 * fragmentation. Family "memvirt", version 1, registered in init_net only.
 *
 * Who sees what: a caller sees a VM only if it could read the maps of the VM's
 * VMM (/proc/PID/maps: the same uids and gids and a dumpable process, or
 * CAP_SYS_PTRACE over it) and that process is in the caller's pid namespace;
 * others are left out (vm-get do: -ENOENT). Pids are reported in that
 * namespace. No genetlink op flag expresses that rule (admin-perm and
 * uns-admin-perm ask for CAP_NET_ADMIN, which says nothing about a VMM's
 * maps), so the operations carry none and the module checks each VM. zone-get
 * is open to all, like /proc/buddyinfo.
 *
 * Conventions: every 64-bit value is a u64 attribute put with its set's pad
 * attribute (nla_put_u64_64bit). A statistic the running kernel does not
 * provide is absent, never zero. Sizes are bytes, counts are plain counts.
 * Values are snapshots read without stopping the VM; see
 * Documentation/memvirt.rst for what each counts and how exact it is. Derived
 * values (mapped-bytes, huge-mapped-ppm, page-table-bytes, cache-bytes,
 * overhead-bytes) are computed by the module from the ones it reads in the
 * same request.
 */
#ifndef _UAPI_LINUX_MEMVIRT_H
#define _UAPI_LINUX_MEMVIRT_H

#define MEMVIRT_FAMILY_NAME	"memvirt"
#define MEMVIRT_FAMILY_VERSION	1

/* Longest VM id, "<pid>-<fd>", including the terminating NUL. */
#define MEMVIRT_VM_ID_LEN	32

/**
 * enum memvirt_held - How processes hold a VM (vm held-by), a bit per way
 *   found. A process holds a VM through a VM fd, a vCPU fd or a memory mapping
 *   of either (a vCPU's kvm_run page), in any of its threads' fd tables or in
 *   its address space.
 * @MEMVIRT_HELD_VM_FD: A "kvm-vm" fd.
 * @MEMVIRT_HELD_VCPU_FD: A "kvm-vcpu:N" fd.
 * @MEMVIRT_HELD_MAPPING: A memory mapping of either file (a vCPU's kvm_run
 *   page).
 */
enum memvirt_held {
	MEMVIRT_HELD_VM_FD = 1,
	MEMVIRT_HELD_VCPU_FD = 2,
	MEMVIRT_HELD_MAPPING = 4,
};

/* Most holder pids one VM reports (vm holder). */
#define MEMVIRT_MAX_HOLDERS	8

/**
 * enum memvirt_cache_type - KVM's MMU memory caches, per vCPU (summed over
 *   vCPUs) and per VM.
 * @MEMVIRT_CACHE_PTE_LIST_DESC: vCPU cache of rmap descriptors (struct
 *   pte_list_desc).
 * @MEMVIRT_CACHE_SHADOW_PAGE: vCPU cache of page-table pages.
 * @MEMVIRT_CACHE_SHADOWED_INFO: vCPU cache of shadowed gfn info pages.
 * @MEMVIRT_CACHE_PAGE_HEADER: vCPU cache of page headers (struct
 *   kvm_mmu_page).
 * @MEMVIRT_CACHE_SPLIT_SHADOW_PAGE: VM cache of page-table pages for eager
 *   huge-page splitting.
 * @MEMVIRT_CACHE_SPLIT_PAGE_HEADER: VM cache of page headers for eager
 *   huge-page splitting.
 * @MEMVIRT_CACHE_SPLIT_DESC: VM cache of rmap descriptors for eager huge-page
 *   splitting.
 */
enum memvirt_cache_type {
	MEMVIRT_CACHE_PTE_LIST_DESC,
	MEMVIRT_CACHE_SHADOW_PAGE,
	MEMVIRT_CACHE_SHADOWED_INFO,
	MEMVIRT_CACHE_PAGE_HEADER,
	MEMVIRT_CACHE_SPLIT_SHADOW_PAGE,
	MEMVIRT_CACHE_SPLIT_PAGE_HEADER,
	MEMVIRT_CACHE_SPLIT_DESC,

	/* private: */
	__MEMVIRT_CACHE_MAX,
	MEMVIRT_CACHE_MAX = (__MEMVIRT_CACHE_MAX - 1)
};

/**
 * enum memvirt_slot_flags - Memslot flags, as reported in slot flags.
 * @MEMVIRT_SLOT_F_DIRTY_LOG: KVM_MEM_LOG_DIRTY_PAGES, dirty logging is on.
 * @MEMVIRT_SLOT_F_READONLY: KVM_MEM_READONLY, guest writes exit to the VMM.
 * @MEMVIRT_SLOT_F_GUEST_MEMFD: KVM_MEM_GUEST_MEMFD, private memory from a
 *   guest_memfd.
 * @MEMVIRT_SLOT_F_INTERNAL: KVM-private slot (id >= KVM_USER_MEM_SLOTS), not
 *   the VMM's.
 */
enum memvirt_slot_flags {
	MEMVIRT_SLOT_F_DIRTY_LOG = 1,
	MEMVIRT_SLOT_F_READONLY = 2,
	MEMVIRT_SLOT_F_GUEST_MEMFD = 4,
	MEMVIRT_SLOT_F_INTERNAL = 8,
};

/**
 * enum memvirt_vm_attr - One VM. Identity first, then pools. "Mapped" means
 *   leaf entries in the two-dimensional paging structures (EPT on Intel, NPT
 *   on AMD) that KVM currently holds, as counted by KVM's own pages_4k/2m/1g
 *   statistics.
 * @MEMVIRT_A_VM_PAD: (pad) Padding for the 64-bit attributes.
 * @MEMVIRT_A_VM_ID: (string, at most 31 bytes and a NUL) VM id: "<pid>-<fd>",
 *   the name of KVM's debugfs directory for it, or for a VM KVM gave no
 *   directory (see no-debugfs) memvirt's own "<pid>-x<tag>": the creator's pid
 *   and 8 hex digits, stable while the VM and the module live.
 * @MEMVIRT_A_VM_PID: (u32) Pid, in the caller's pid namespace, of the VM's
 *   VMM: the process running in the VM's address space if one holds the VM,
 *   else the first process found holding it (see pid-is-mm-owner).
 * @MEMVIRT_A_VM_COMM: (string) Command name of that process; absent when it
 *   has exited.
 * @MEMVIRT_A_VM_VCPUS_CREATED: (u32) vCPUs whose creation has started
 *   (kvm->created_vcpus).
 * @MEMVIRT_A_VM_VCPUS_ONLINE: (u32) vCPUs fully created (kvm->online_vcpus).
 * @MEMVIRT_A_VM_NR_MEMSLOTS: (u32) Memslots in all address spaces,
 *   KVM-internal ones included.
 * @MEMVIRT_A_VM_MEM_BYTES: (u64) Guest memory declared in the user memslots of
 *   address space 0.
 * @MEMVIRT_A_VM_MAP_4K: (u64) 4K leaf mappings (KVM statistic pages_4k).
 * @MEMVIRT_A_VM_MAP_2M: (u64) 2M leaf mappings (KVM statistic pages_2m).
 * @MEMVIRT_A_VM_MAP_1G: (u64) 1G leaf mappings (KVM statistic pages_1g).
 * @MEMVIRT_A_VM_MAPPED_BYTES: (u64) Guest memory covered by the leaf mappings.
 * @MEMVIRT_A_VM_HUGE_MAPPED_PPM: (u32) Share of mapped-bytes mapped by 2M or
 *   1G entries, parts per million.
 * @MEMVIRT_A_VM_MMU_TDP_PAGES: (u64) TDP MMU page-table pages, roots included.
 * @MEMVIRT_A_VM_MMU_SHADOW_PAGES: (u64) Shadow MMU pages in use
 *   (kvm->arch.n_used_mmu_pages).
 * @MEMVIRT_A_VM_CACHE: (nest of enum memvirt_cache_attr, multi-attr) One nest
 *   per MMU memory cache.
 * @MEMVIRT_A_VM_RMAP_BYTES: (u64) Reverse-map arrays of all memslots.
 * @MEMVIRT_A_VM_LPAGE_INFO_BYTES: (u64) Large-page info arrays of all
 *   memslots.
 * @MEMVIRT_A_VM_DIRTY_BITMAP_BYTES: (u64) Dirty-log bitmaps of all memslots.
 * @MEMVIRT_A_VM_WRITE_TRACK_BYTES: (u64) Gfn write-tracking arrays of all
 *   memslots.
 * @MEMVIRT_A_VM_PAGE_TABLE_BYTES: (u64) (mmu-tdp-pages + mmu-shadow-pages) *
 *   4096.
 * @MEMVIRT_A_VM_CACHE_BYTES: (u64) Objects held in the MMU memory caches.
 * @MEMVIRT_A_VM_VCPU_BYTES: (u64) vCPU structures, a lower bound.
 * @MEMVIRT_A_VM_OVERHEAD_BYTES: (u64) Sum of the *-bytes attributes above
 *   (mem-bytes and mapped-bytes excluded).
 * @MEMVIRT_A_VM_NX_LPAGE_SPLITS: (u64) Huge mappings KVM split to 4K for the
 *   NX huge-page mitigation (kvm->stat.nx_lpage_splits, currently split, not a
 *   running total).
 * @MEMVIRT_A_VM_PID_IS_MM_OWNER: (flag) The process of pid runs in the address
 *   space that created the VM, so its memory map holds the VM's memslots.
 *   Absent when only other processes hold the VM (its fd was passed on, or its
 *   creator exited).
 * @MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL: (flag) mmu-tdp-pages (and
 *   page-table-bytes, overhead-bytes) are lower bounds: the kernel keeps no
 *   count and the walk of its list stopped at a fixed budget (Linux before
 *   6.3).
 * @MEMVIRT_A_VM_HELD_BY: (u32: flags of enum memvirt_held) How the processes
 *   found holding the VM hold it.
 * @MEMVIRT_A_VM_HOLDER: (u32, multi-attr) Pid, in the caller's pid namespace,
 *   of a process holding the VM; the first max-holders in pid order that the
 *   caller may read.
 * @MEMVIRT_A_VM_NR_HOLDERS: (u32) Processes holding the VM, all of them.
 * @MEMVIRT_A_VM_NO_DEBUGFS: (flag) KVM gave the VM no debugfs directory
 *   (debugfs off, or a name clash with an older VM that still lived); the id
 *   is memvirt's own, "<pid>-x<tag>".
 */
enum memvirt_vm_attr {
	MEMVIRT_A_VM_UNSPEC,
	MEMVIRT_A_VM_PAD,
	MEMVIRT_A_VM_ID,
	MEMVIRT_A_VM_PID,
	MEMVIRT_A_VM_COMM,
	MEMVIRT_A_VM_VCPUS_CREATED,
	MEMVIRT_A_VM_VCPUS_ONLINE,
	MEMVIRT_A_VM_NR_MEMSLOTS,
	MEMVIRT_A_VM_MEM_BYTES,
	MEMVIRT_A_VM_MAP_4K,
	MEMVIRT_A_VM_MAP_2M,
	MEMVIRT_A_VM_MAP_1G,
	MEMVIRT_A_VM_MAPPED_BYTES,
	MEMVIRT_A_VM_HUGE_MAPPED_PPM,
	MEMVIRT_A_VM_MMU_TDP_PAGES,
	MEMVIRT_A_VM_MMU_SHADOW_PAGES,
	MEMVIRT_A_VM_CACHE,
	MEMVIRT_A_VM_RMAP_BYTES,
	MEMVIRT_A_VM_LPAGE_INFO_BYTES,
	MEMVIRT_A_VM_DIRTY_BITMAP_BYTES,
	MEMVIRT_A_VM_WRITE_TRACK_BYTES,
	MEMVIRT_A_VM_PAGE_TABLE_BYTES,
	MEMVIRT_A_VM_CACHE_BYTES,
	MEMVIRT_A_VM_VCPU_BYTES,
	MEMVIRT_A_VM_OVERHEAD_BYTES,
	MEMVIRT_A_VM_NX_LPAGE_SPLITS,
	MEMVIRT_A_VM_PID_IS_MM_OWNER,
	MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL,
	MEMVIRT_A_VM_HELD_BY,
	MEMVIRT_A_VM_HOLDER,
	MEMVIRT_A_VM_NR_HOLDERS,
	MEMVIRT_A_VM_NO_DEBUGFS,

	__MEMVIRT_A_VM_MAX,
	MEMVIRT_A_VM_MAX = (__MEMVIRT_A_VM_MAX - 1)
};

/**
 * enum memvirt_cache_attr - One KVM MMU memory cache.
 * @MEMVIRT_A_CACHE_PAD: (pad) Padding for the 64-bit attributes.
 * @MEMVIRT_A_CACHE_TYPE: (u32: enum memvirt_cache_type) Which cache.
 * @MEMVIRT_A_CACHE_OBJECTS: (u64) Objects cached now.
 * @MEMVIRT_A_CACHE_CAPACITY: (u64) Objects the cache can hold.
 * @MEMVIRT_A_CACHE_OBJECT_SIZE: (u32) Bytes per object.
 * @MEMVIRT_A_CACHE_BYTES: (u64) objects * object-size.
 */
enum memvirt_cache_attr {
	MEMVIRT_A_CACHE_UNSPEC,
	MEMVIRT_A_CACHE_PAD,
	MEMVIRT_A_CACHE_TYPE,
	MEMVIRT_A_CACHE_OBJECTS,
	MEMVIRT_A_CACHE_CAPACITY,
	MEMVIRT_A_CACHE_OBJECT_SIZE,
	MEMVIRT_A_CACHE_BYTES,

	__MEMVIRT_A_CACHE_MAX,
	MEMVIRT_A_CACHE_MAX = (__MEMVIRT_A_CACHE_MAX - 1)
};

/**
 * enum memvirt_slot_attr - One memslot of one VM.
 * @MEMVIRT_A_SLOT_PAD: (pad) Padding for the 64-bit attributes.
 * @MEMVIRT_A_SLOT_VM_ID: (string, at most 31 bytes and a NUL) Id of the VM; in
 *   a request, selects that VM.
 * @MEMVIRT_A_SLOT_ID: (u32) Slot id within its address space.
 * @MEMVIRT_A_SLOT_AS_ID: (u32) Address space (on x86, 1 is SMM).
 * @MEMVIRT_A_SLOT_GPA: (u64) Guest physical base address.
 * @MEMVIRT_A_SLOT_SIZE: (u64) Size in bytes.
 * @MEMVIRT_A_SLOT_HVA: (u64) Userspace address of the slot in the VMM.
 * @MEMVIRT_A_SLOT_FLAGS: (u32: flags of enum memvirt_slot_flags) The slot's
 *   flags.
 * @MEMVIRT_A_SLOT_RMAP_BYTES: (u64) Reverse-map arrays of the slot.
 * @MEMVIRT_A_SLOT_LPAGE_INFO_BYTES: (u64) Large-page info arrays of the slot.
 * @MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES: (u64) Dirty-log bitmap of the slot.
 * @MEMVIRT_A_SLOT_WRITE_TRACK_BYTES: (u64) Gfn write-tracking array of the
 *   slot.
 */
enum memvirt_slot_attr {
	MEMVIRT_A_SLOT_UNSPEC,
	MEMVIRT_A_SLOT_PAD,
	MEMVIRT_A_SLOT_VM_ID,
	MEMVIRT_A_SLOT_ID,
	MEMVIRT_A_SLOT_AS_ID,
	MEMVIRT_A_SLOT_GPA,
	MEMVIRT_A_SLOT_SIZE,
	MEMVIRT_A_SLOT_HVA,
	MEMVIRT_A_SLOT_FLAGS,
	MEMVIRT_A_SLOT_RMAP_BYTES,
	MEMVIRT_A_SLOT_LPAGE_INFO_BYTES,
	MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES,
	MEMVIRT_A_SLOT_WRITE_TRACK_BYTES,

	__MEMVIRT_A_SLOT_MAX,
	MEMVIRT_A_SLOT_MAX = (__MEMVIRT_A_SLOT_MAX - 1)
};

/**
 * enum memvirt_zone_attr - One populated zone of one online node. Indices are
 *   in thousandths, computed as the kernel computes /sys/kernel/debug/extfrag/
 *   {unusable_index,extfrag_index} from the same free-block counts, read in
 *   one pass under the zone lock.
 * @MEMVIRT_A_ZONE_PAD: (pad) Padding for the 64-bit attributes.
 * @MEMVIRT_A_ZONE_NODE: (u32) NUMA node id.
 * @MEMVIRT_A_ZONE_NAME: (string) Zone name ("DMA", "DMA32", "Normal",
 *   "Movable", ...).
 * @MEMVIRT_A_ZONE_MANAGED_PAGES: (u64) Pages managed by the buddy allocator
 *   (zone_managed_pages()).
 * @MEMVIRT_A_ZONE_FREE_PAGES: (u64) Sum over orders of free blocks << order.
 * @MEMVIRT_A_ZONE_MAX_FREE_ORDER: (s32) Highest order with a free block, -1
 *   when none.
 * @MEMVIRT_A_ZONE_ORDER: (nest of enum memvirt_order_attr, multi-attr) One per
 *   order 0..MAX (11 orders on x86-64), in order.
 * @MEMVIRT_A_ZONE_WMARK_MIN: (u64) Min watermark in pages (boost included), as
 *   /proc/zoneinfo shows it.
 * @MEMVIRT_A_ZONE_WMARK_LOW: (u64) Low watermark in pages; kswapd wakes below
 *   it.
 * @MEMVIRT_A_ZONE_WMARK_HIGH: (u64) High watermark in pages; kswapd stops
 *   above it.
 * @MEMVIRT_A_ZONE_LOWMEM_RESERVE: (u64) Pages the zone holds back from an
 *   allocation that could also use every higher zone
 *   (lowmem_reserve[ZONE_MOVABLE]: user and guest memory, THP, hugetlb); the
 *   highest "protection" value of /proc/zoneinfo.
 * @MEMVIRT_A_ZONE_HIGHATOMIC: (u64) Pages in pageblocks reserved for
 *   high-order atomic allocations (nr_reserved_highatomic); other allocations
 *   do not count them as free.
 */
enum memvirt_zone_attr {
	MEMVIRT_A_ZONE_UNSPEC,
	MEMVIRT_A_ZONE_PAD,
	MEMVIRT_A_ZONE_NODE,
	MEMVIRT_A_ZONE_NAME,
	MEMVIRT_A_ZONE_MANAGED_PAGES,
	MEMVIRT_A_ZONE_FREE_PAGES,
	MEMVIRT_A_ZONE_MAX_FREE_ORDER,
	MEMVIRT_A_ZONE_ORDER,
	MEMVIRT_A_ZONE_WMARK_MIN,
	MEMVIRT_A_ZONE_WMARK_LOW,
	MEMVIRT_A_ZONE_WMARK_HIGH,
	MEMVIRT_A_ZONE_LOWMEM_RESERVE,
	MEMVIRT_A_ZONE_HIGHATOMIC,

	__MEMVIRT_A_ZONE_MAX,
	MEMVIRT_A_ZONE_MAX = (__MEMVIRT_A_ZONE_MAX - 1)
};

/**
 * enum memvirt_order_attr - One allocation order of one zone.
 * @MEMVIRT_A_ORDER_PAD: (pad) Padding for the 64-bit attributes.
 * @MEMVIRT_A_ORDER_ORDER: (u32) Allocation order (block of 4K << order).
 * @MEMVIRT_A_ORDER_FREE_BLOCKS: (u64) Free blocks of exactly this order
 *   (free_area[order].nr_free).
 * @MEMVIRT_A_ORDER_UNUSABLE_INDEX: (u32) 0..1000: share of free memory in
 *   blocks too small for this order. 1000 when the zone has no free memory.
 * @MEMVIRT_A_ORDER_FRAG_INDEX: (s32) -1000 when an allocation of this order
 *   would succeed now; else towards 0 a failure would be from lack of memory,
 *   towards 1000 from fragmentation (the kernel compacts above
 *   extfrag_threshold, 500). Slightly negative values occur with very few free
 *   blocks, as in the kernel.
 */
enum memvirt_order_attr {
	MEMVIRT_A_ORDER_UNSPEC,
	MEMVIRT_A_ORDER_PAD,
	MEMVIRT_A_ORDER_ORDER,
	MEMVIRT_A_ORDER_FREE_BLOCKS,
	MEMVIRT_A_ORDER_UNUSABLE_INDEX,
	MEMVIRT_A_ORDER_FRAG_INDEX,

	__MEMVIRT_A_ORDER_MAX,
	MEMVIRT_A_ORDER_MAX = (__MEMVIRT_A_ORDER_MAX - 1)
};

/**
 * enum memvirt_cmd - The commands of the family: request, reply and what each
 *   does.
 * @MEMVIRT_CMD_UNSPEC: Unused; generic netlink has no command 0.
 * @MEMVIRT_CMD_VM_GET: (do: request MEMVIRT_A_VM_ID; dump; replies enum
 *   memvirt_vm_attr) Get one VM by id (do), or every VM ordered by (pid, fd)
 *   of its id (dump). An unknown or invisible id fails with -ENOENT, a
 *   malformed one with -EINVAL, both with an extack message; a dump takes no
 *   id (-EINVAL). A dump is one snapshot, built whole when the request is
 *   received, whatever the number of messages it spans: every VM visible then,
 *   exactly once; VMs created or destroyed while it is read are not reflected
 *   (a VM that died meanwhile is reported as it was).
 *   Ids: a VM that KVM gave a debugfs directory has KVM's name for it,
 *   "<pid>-<fd>" (the creating thread's pid and the VM's first fd). A VM KVM
 *   gave none (debugfs off, or a name clash KVM refused: an older VM of the
 *   same "<pid>-<fd>" still lived) gets memvirt's own id, "<pid>-x<8 hex
 *   digits>": the creator's pid and a tag unique among the live VMs of that
 *   pid, stable while the VM and memvirt.ko live. A malformed id (anything but
 *   those two forms: decimal numbers without sign or leading zeros, lowercase
 *   hex) is -EINVAL with extack; an id attribute the policy refuses (too long,
 *   no NUL) is -EINVAL or -ERANGE, as the kernel's attribute validation
 *   decides.
 * @MEMVIRT_CMD_MEMSLOT_GET: (dump: request MEMVIRT_A_SLOT_VM_ID; replies enum
 *   memvirt_slot_attr) Dump memslots ordered by VM, address space and slot id,
 *   one snapshot built when the request is received (as vm-get's dump), with
 *   the same visibility as vm-get. With vm-id only that VM's slots are dumped
 *   (-ENOENT if unknown or not visible, -EINVAL if malformed).
 * @MEMVIRT_CMD_ZONE_GET: (dump; replies enum memvirt_zone_attr) Dump every
 *   populated zone of every online node, ordered by node, then zone index: the
 *   buddy allocator's free blocks per order and the fragmentation indices the
 *   kernel's debugfs extfrag files show; resumes after the last zone sent. No
 *   privilege needed (the counts are world-readable in /proc/buddyinfo). The
 *   request carries no attributes; any is rejected with -EINVAL and an extack
 *   message.
 */
enum memvirt_cmd {
	MEMVIRT_CMD_UNSPEC,
	MEMVIRT_CMD_VM_GET,
	MEMVIRT_CMD_MEMSLOT_GET,
	MEMVIRT_CMD_ZONE_GET,

	__MEMVIRT_CMD_MAX,
	MEMVIRT_CMD_MAX = (__MEMVIRT_CMD_MAX - 1)
};

#endif /* _UAPI_LINUX_MEMVIRT_H */
