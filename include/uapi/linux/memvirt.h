/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * memvirt: memory observatory for KVM hosts - generic netlink contract.
 *
 * Family "memvirt", version 1, registered in init_net only.
 *
 * Commands
 * --------
 * MEMVIRT_CMD_VM_GET
 *   do:   request carries MEMVIRT_A_VM_ID; reply is one VM (attributes
 *         MEMVIRT_A_VM_*). Unknown id: -ENOENT with an extack message.
 *   dump: one message per VM, ordered by (pid, fd) of the id. A dump is
 *         one snapshot, built whole when the request is received, however
 *         many messages it spans: every VM visible then, exactly once; VMs
 *         created or destroyed while it is read are not reflected (a VM
 *         that died meanwhile is reported as it was). A dump takes no
 *         attribute: MEMVIRT_A_VM_ID there is -EINVAL.
 *   Ids: a VM that KVM gave a debugfs directory has KVM's name for it,
 *   "<pid>-<fd>" (the creating thread's pid and the VM's first fd). A VM
 *   KVM gave none (debugfs off, or a name clash KVM refused: an older VM
 *   of the same "<pid>-<fd>" still lived) gets memvirt's own id,
 *   "<pid>-x<8 hex digits>": the creator's pid and a tag unique among
 *   the live VMs of that pid, stable while the VM and memvirt.ko live.
 *   A malformed id (anything but those two forms: decimal numbers without
 *   sign or leading zeros, lowercase hex) is -EINVAL with extack; an
 *   id attribute the policy refuses (too long, no NUL) is -EINVAL or
 *   -ERANGE, as the kernel's attribute validation decides.
 *   Who sees what: a caller sees a VM only if it could read the maps of
 *   the VM's VMM (/proc/PID/maps: same uids and gids and dumpable, or
 *   CAP_SYS_PTRACE over it) and that process is in the caller's pid
 *   namespace; others are left out (VM_GET: -ENOENT). Pids are reported
 *   in the caller's pid namespace. No genetlink op flag expresses this
 *   rule (GENL_ADMIN_PERM asks for CAP_NET_ADMIN), so the operations carry
 *   none and the module checks each VM. The VMM is the process running in the
 *   VM's address space if one holds the VM, else the first process found
 *   holding it.
 *   A process holds a VM through a VM fd, a vCPU fd or a memory mapping
 *   of either (a vCPU's kvm_run page) in any of its threads' fd tables
 *   or in its address space; MEMVIRT_A_VM_HELD_BY says which were found.
 *
 * MEMVIRT_CMD_MEMSLOT_GET
 *   dump: one message per memslot (attributes MEMVIRT_A_SLOT_*), ordered by
 *         VM, then address space, then slot id. With MEMVIRT_A_SLOT_VM_ID in
 *         the request only that VM's slots are dumped (-ENOENT if unknown
 *         or not visible, -EINVAL if malformed). Same visibility as VM_GET;
 *         one snapshot, as the VM_GET dump.
 *
 * MEMVIRT_CMD_ZONE_GET
 *   dump: one message per populated zone of every online node (attributes
 *         MEMVIRT_A_ZONE_*), ordered by node, then zone index: the buddy
 *         allocator's free blocks per order and the fragmentation indices
 *         the kernel's debugfs extfrag files show. Needs no privilege, like
 *         /proc/buddyinfo.
 *
 * Conventions
 * -----------
 * All 64-bit values are NLA_U64 put with MEMVIRT_A_*_PAD. A statistic the
 * running kernel does not provide is absent, never zero. Sizes are bytes,
 * counts are plain counts. Values are snapshots read without stopping the
 * VM; see Documentation/memvirt.rst for what each counts and how exact it is.
 */
#ifndef _UAPI_LINUX_MEMVIRT_H
#define _UAPI_LINUX_MEMVIRT_H

#define MEMVIRT_FAMILY_NAME	"memvirt"
#define MEMVIRT_FAMILY_VERSION	1

/* Longest VM id, "<pid>-<fd>", including the terminating NUL. */
#define MEMVIRT_VM_ID_LEN	32

/* How processes hold a VM (MEMVIRT_A_VM_HELD_BY): a bit per way found. */
#define MEMVIRT_HELD_VM_FD	(1U << 0)	/* a "kvm-vm" fd */
#define MEMVIRT_HELD_VCPU_FD	(1U << 1)	/* a "kvm-vcpu:N" fd */
#define MEMVIRT_HELD_MAPPING	(1U << 2)	/* a mapping of either file */

/* Most holder pids one VM reports (MEMVIRT_A_VM_HOLDER). */
#define MEMVIRT_MAX_HOLDERS	8

enum memvirt_cmd {
	MEMVIRT_CMD_UNSPEC,
	MEMVIRT_CMD_VM_GET,
	MEMVIRT_CMD_MEMSLOT_GET,
	MEMVIRT_CMD_ZONE_GET,

	__MEMVIRT_CMD_MAX,
	MEMVIRT_CMD_MAX = __MEMVIRT_CMD_MAX - 1
};

/*
 * One VM. Identity first, then pools. "Mapped" means leaf entries in the
 * two-dimensional paging structures (EPT on Intel, NPT on AMD) that KVM
 * currently holds, as counted by KVM's own pages_4k/2m/1g statistics.
 */
enum memvirt_vm_attr {
	MEMVIRT_A_VM_UNSPEC,
	MEMVIRT_A_VM_PAD,
	MEMVIRT_A_VM_ID,		/* string: "<pid>-<fd>", KVM's debugfs name */
	MEMVIRT_A_VM_PID,		/* u32: its VMM's pid, caller's pid ns */
	MEMVIRT_A_VM_COMM,		/* string: comm of that process */
	MEMVIRT_A_VM_VCPUS_CREATED,	/* u32 */
	MEMVIRT_A_VM_VCPUS_ONLINE,	/* u32 */
	MEMVIRT_A_VM_NR_MEMSLOTS,	/* u32: all address spaces, incl. internal */
	/*
	 * u64: guest memory declared in user
	 * memslots of address space 0
	 */
	MEMVIRT_A_VM_MEM_BYTES,
	MEMVIRT_A_VM_MAP_4K,		/* u64: 4K leaf mappings */
	MEMVIRT_A_VM_MAP_2M,		/* u64: 2M leaf mappings */
	MEMVIRT_A_VM_MAP_1G,		/* u64: 1G leaf mappings */
	MEMVIRT_A_VM_MAPPED_BYTES,	/* u64: guest memory covered by them */
	/*
	 * u32: share of MAPPED_BYTES mapped by
	 * 2M or 1G entries, parts per million
	 */
	MEMVIRT_A_VM_HUGE_MAPPED_PPM,
	MEMVIRT_A_VM_MMU_TDP_PAGES,	/* u64: TDP MMU page-table pages */
	MEMVIRT_A_VM_MMU_SHADOW_PAGES,	/* u64: shadow MMU pages in use */
	MEMVIRT_A_VM_CACHE,		/* nest, multi: MEMVIRT_A_CACHE_* */
	MEMVIRT_A_VM_RMAP_BYTES,	/* u64: reverse-map arrays, all slots */
	MEMVIRT_A_VM_LPAGE_INFO_BYTES,	/* u64: large-page info arrays */
	MEMVIRT_A_VM_DIRTY_BITMAP_BYTES,/* u64: dirty-log bitmaps */
	MEMVIRT_A_VM_WRITE_TRACK_BYTES,	/* u64: gfn write-tracking arrays */
	MEMVIRT_A_VM_PAGE_TABLE_BYTES,	/* u64: (TDP + shadow pages) * 4096 */
	MEMVIRT_A_VM_CACHE_BYTES,	/* u64: objects held in MMU caches */
	MEMVIRT_A_VM_VCPU_BYTES,	/* u64: vCPU structures (lower bound) */
	MEMVIRT_A_VM_OVERHEAD_BYTES,	/* u64: sum of the *_BYTES above */
	/*
	 * u64: huge mappings KVM split to 4K
	 * for the NX huge-page mitigation
	 */
	MEMVIRT_A_VM_NX_LPAGE_SPLITS,
	/*
	 * flag: the process of MEMVIRT_A_VM_PID runs in the address space
	 * that created the VM, so its memory map holds the VM's memslots.
	 * Absent when the VM is held only by other processes (its fd was
	 * passed on, or its creator exited).
	 */
	MEMVIRT_A_VM_PID_IS_MM_OWNER,
	/*
	 * flag: MMU_TDP_PAGES (and PAGE_TABLE_BYTES, OVERHEAD_BYTES) are
	 * lower bounds: the kernel keeps no count and the walk of its list
	 * stopped at a fixed budget (Linux before 6.3).
	 */
	MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL,
	MEMVIRT_A_VM_HELD_BY,		/* u32: MEMVIRT_HELD_* */
	/*
	 * u32, multi: pid of a process holding the VM, in the caller's pid
	 * namespace; the first MEMVIRT_MAX_HOLDERS in pid order.
	 */
	MEMVIRT_A_VM_HOLDER,
	MEMVIRT_A_VM_NR_HOLDERS,	/* u32: processes holding it, all */
	/*
	 * flag: KVM gave the VM no debugfs directory (debugfs off, or a
	 * name clash); the id is memvirt's own "<pid>-x<tag>".
	 */
	MEMVIRT_A_VM_NO_DEBUGFS,

	__MEMVIRT_A_VM_MAX,
	MEMVIRT_A_VM_MAX = __MEMVIRT_A_VM_MAX - 1
};

/* KVM's MMU memory caches: per vCPU (summed over vCPUs) and per VM. */
enum memvirt_cache_type {
	MEMVIRT_CACHE_PTE_LIST_DESC,	/* vCPU: rmap descriptors */
	MEMVIRT_CACHE_SHADOW_PAGE,	/* vCPU: page-table pages */
	MEMVIRT_CACHE_SHADOWED_INFO,	/* vCPU: shadowed gfn info pages */
	MEMVIRT_CACHE_PAGE_HEADER,	/* vCPU: struct kvm_mmu_page */
	MEMVIRT_CACHE_SPLIT_SHADOW_PAGE,/* VM: eager huge-page split pages */
	MEMVIRT_CACHE_SPLIT_PAGE_HEADER,/* VM: eager split page headers */
	MEMVIRT_CACHE_SPLIT_DESC,	/* VM: eager split rmap descriptors */

	__MEMVIRT_CACHE_MAX,
	MEMVIRT_CACHE_MAX = __MEMVIRT_CACHE_MAX - 1
};

enum memvirt_cache_attr {
	MEMVIRT_A_CACHE_UNSPEC,
	MEMVIRT_A_CACHE_PAD,
	MEMVIRT_A_CACHE_TYPE,		/* u32: enum memvirt_cache_type */
	MEMVIRT_A_CACHE_OBJECTS,	/* u64: objects cached now */
	MEMVIRT_A_CACHE_CAPACITY,	/* u64: objects it can hold */
	MEMVIRT_A_CACHE_OBJECT_SIZE,	/* u32: bytes per object */
	MEMVIRT_A_CACHE_BYTES,		/* u64: OBJECTS * OBJECT_SIZE */

	__MEMVIRT_A_CACHE_MAX,
	MEMVIRT_A_CACHE_MAX = __MEMVIRT_A_CACHE_MAX - 1
};

/* Memslot flags, as reported in MEMVIRT_A_SLOT_FLAGS. */
#define MEMVIRT_SLOT_F_DIRTY_LOG	(1U << 0)	/* KVM_MEM_LOG_DIRTY_PAGES */
#define MEMVIRT_SLOT_F_READONLY		(1U << 1)	/* KVM_MEM_READONLY */
#define MEMVIRT_SLOT_F_GUEST_MEMFD	(1U << 2)	/* KVM_MEM_GUEST_MEMFD */
#define MEMVIRT_SLOT_F_INTERNAL		(1U << 3)	/* KVM-private slot */

enum memvirt_slot_attr {
	MEMVIRT_A_SLOT_UNSPEC,
	MEMVIRT_A_SLOT_PAD,
	MEMVIRT_A_SLOT_VM_ID,		/* string: VM id; request selector */
	MEMVIRT_A_SLOT_ID,		/* u32: slot id within its space */
	MEMVIRT_A_SLOT_AS_ID,		/* u32: address space (x86: 1 = SMM) */
	MEMVIRT_A_SLOT_GPA,		/* u64: guest physical base */
	MEMVIRT_A_SLOT_SIZE,		/* u64: bytes */
	MEMVIRT_A_SLOT_HVA,		/* u64: userspace address in the VMM */
	MEMVIRT_A_SLOT_FLAGS,		/* u32: MEMVIRT_SLOT_F_* */
	MEMVIRT_A_SLOT_RMAP_BYTES,	/* u64 */
	MEMVIRT_A_SLOT_LPAGE_INFO_BYTES,/* u64 */
	MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES,/* u64 */
	MEMVIRT_A_SLOT_WRITE_TRACK_BYTES,/* u64 */

	__MEMVIRT_A_SLOT_MAX,
	MEMVIRT_A_SLOT_MAX = __MEMVIRT_A_SLOT_MAX - 1
};

/*
 * One zone of one node. Indices are in thousandths, computed as the kernel
 * computes /sys/kernel/debug/extfrag/{unusable_index,extfrag_index} from the
 * same free-block counts, read in one pass under the zone lock.
 */
enum memvirt_zone_attr {
	MEMVIRT_A_ZONE_UNSPEC,
	MEMVIRT_A_ZONE_PAD,
	MEMVIRT_A_ZONE_NODE,		/* u32: NUMA node id */
	MEMVIRT_A_ZONE_NAME,		/* string: "DMA", "DMA32", "Normal", ... */
	MEMVIRT_A_ZONE_MANAGED_PAGES,	/* u64: pages managed by the buddy */
	MEMVIRT_A_ZONE_FREE_PAGES,	/* u64: sum of free blocks << order */
	/*
	 * s32: highest order with a free
	 * block, -1 when none
	 */
	MEMVIRT_A_ZONE_MAX_FREE_ORDER,
	/*
	 * nest, multi: MEMVIRT_A_ORDER_*,
	 * one per order 0..MAX
	 */
	MEMVIRT_A_ZONE_ORDER,
	/*
	 * u64: the zone's min, low and high
	 * watermarks in pages (boost included),
	 * as /proc/zoneinfo shows them
	 */
	MEMVIRT_A_ZONE_WMARK_MIN,
	MEMVIRT_A_ZONE_WMARK_LOW,
	MEMVIRT_A_ZONE_WMARK_HIGH,
	/*
	 * u64: pages the zone holds back from an
	 * allocation that could also use every
	 * higher zone (lowmem_reserve[ZONE_MOVABLE]:
	 * user and guest memory, THP, hugetlb), the
	 * highest of /proc/zoneinfo's "protection"
	 */
	MEMVIRT_A_ZONE_LOWMEM_RESERVE,
	/*
	 * u64: pages in pageblocks reserved for
	 * high-order atomic allocations, which
	 * other allocations do not count as free
	 */
	MEMVIRT_A_ZONE_HIGHATOMIC,

	__MEMVIRT_A_ZONE_MAX,
	MEMVIRT_A_ZONE_MAX = __MEMVIRT_A_ZONE_MAX - 1
};

enum memvirt_order_attr {
	MEMVIRT_A_ORDER_UNSPEC,
	MEMVIRT_A_ORDER_PAD,
	MEMVIRT_A_ORDER_ORDER,		/* u32: allocation order */
	MEMVIRT_A_ORDER_FREE_BLOCKS,	/* u64: free blocks of this order */
	/*
	 * u32: 0..1000, share of free memory
	 * in blocks too small for the order
	 */
	MEMVIRT_A_ORDER_UNUSABLE_INDEX,
	/*
	 * s32: -1000 when an allocation of the order would succeed now;
	 * else up to 1000: towards 0 a failure would come from lack of
	 * memory, towards 1000 from fragmentation. The kernel's formula
	 * goes slightly below 0 when very few blocks are free.
	 */
	MEMVIRT_A_ORDER_FRAG_INDEX,

	__MEMVIRT_A_ORDER_MAX,
	MEMVIRT_A_ORDER_MAX = __MEMVIRT_A_ORDER_MAX - 1
};

#endif /* _UAPI_LINUX_MEMVIRT_H */
