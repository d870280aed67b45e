/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt: internal interfaces between VM discovery (vm.c), dumps (dump.c)
 * and the generic netlink family (netlink.c).
 */
#ifndef _MEMVIRT_H
#define _MEMVIRT_H

#include "compat.h"

#include <linux/types.h>
#include <linux/sched.h>
#include <linux/memvirt.h>

/*
 * A VM's stable identity: the pid and fd of KVM's "<pid>-<fd>" name, or
 * for a VM KVM did not name, its creator's pid, fd -1 and a tag
 * ("<pid>-x<tag>"). Ordered by pid, fd, tag.
 */
struct memvirt_key {
	s32 pid;
	s32 fd;
	u32 tag;
};

/*
 * One VM the caller may see. While kvm is set the entry holds a reference
 * on the VM, on the module its code lives in (owner) and on the tasks.
 */
struct memvirt_vm {
	struct kvm *kvm;
	struct module *owner;		/* f_op->owner of the VM's file */
	struct task_struct *holder;	/* first process found holding it */
	struct task_struct *mm_owner;	/* a holder running in kvm->mm, or NULL */
	struct task_struct *vmm;	/* mm_owner ?: holder; no own reference */
	pid_t pid;			/* vmm's tgid in the caller's pid ns */
	u32 held_by;			/* MEMVIRT_HELD_* */
	u32 nr_holders;			/* processes found holding it */
	/* The first of them, referenced; pids in the caller's pid ns. */
	struct task_struct *holders[MEMVIRT_MAX_HOLDERS];
	pid_t holder_pids[MEMVIRT_MAX_HOLDERS];
	u32 nr_holder_pids;		/* holder_pids[] the caller may see */
	const struct task_struct *last_task; /* compared only: counted */
	bool no_debugfs;		/* KVM gave it no debugfs directory */
	struct memvirt_key key;
	char id[MEMVIRT_VM_ID_LEN];
};

/* Every VM of the host, sorted by key, one entry per struct kvm. */
struct memvirt_vm_list {
	struct memvirt_vm *vms;
	unsigned int nr;
};

struct memvirt_cache_stat {
	bool present;
	u32 object_size;
	u64 objects;
	u64 capacity;
};

/* Per-slot metadata that KVM allocates for a memslot, in bytes. */
struct memvirt_slot_meta {
	u64 rmap;
	u64 lpage_info;
	u64 dirty_bitmap;
	u64 write_track;
};

struct memvirt_vm_stats {
	u32 vcpus_created;
	u32 vcpus_online;
	u32 nr_memslots;
	u64 mem_bytes;
	u64 map[3];		/* 4K, 2M, 1G leaf mappings */
	u64 tdp_pages;
	bool tdp_pages_partial;	/* tdp_pages is a lower bound */
	u64 shadow_pages;
	struct memvirt_cache_stat cache[MEMVIRT_CACHE_MAX + 1];
	struct memvirt_slot_meta meta;	/* summed over all slots */
	u64 vcpu_bytes;
	u64 nx_lpage_splits;
	char comm[TASK_COMM_LEN];
	/* Derived from the above by memvirt_vm_stats(). */
	u64 mapped_bytes;	/* covered by the leaf mappings */
	u32 huge_ppm;		/* of mapped_bytes, by 2M and 1G mappings */
	u64 page_table_bytes;	/* (TDP + shadow pages) * PAGE_SIZE */
	u64 cache_bytes;	/* objects held in the MMU caches */
	u64 overhead_bytes;	/* metadata + page tables + caches + vCPUs */
};

struct memvirt_slot {
	u32 id;
	u32 as_id;
	u32 flags;		/* MEMVIRT_SLOT_F_* */
	u64 gpa;
	u64 size;
	u64 hva;
	struct memvirt_slot_meta meta;
};

/* One order of one zone: free blocks and mm/vmstat.c's two indices. */
struct memvirt_zone_order {
	u64 free_blocks;
	u32 unusable;		/* unusable free space index, 0..1000 */
	s32 frag;		/* fragmentation index, -1000 or <= 1000 */
};

/* One populated zone, read in one pass under its lock. */
struct memvirt_zone_stats {
	int nid;
	int zid;		/* index in the node's node_zones[] */
	const char *name;
	u64 managed_pages;
	u64 free_pages;
	u64 wmark_min;		/* watermarks in pages, boost included */
	u64 wmark_low;
	u64 wmark_high;
	u64 lowmem_reserve;	/* lowmem_reserve[ZONE_MOVABLE], pages */
	u64 highatomic;		/* nr_reserved_highatomic, pages */
	s32 max_free_order;	/* -1 when no block is free */
	struct memvirt_zone_order order[COMPAT_NR_ORDERS];
};

/*
 * Finds the first populated zone of an online node at or after (*nid, *zid)
 * in (node, zone index) order and reads it into @st. False when none is left.
 */
bool memvirt_zone_next(int nid, int zid, struct memvirt_zone_stats *st);

int memvirt_key_cmp(const struct memvirt_key *a, const struct memvirt_key *b);
int memvirt_id_parse(const char *id, struct memvirt_key *key);

int memvirt_vms_collect(struct memvirt_vm_list *list);
void memvirt_vms_release(struct memvirt_vm_list *list);
void memvirt_vm_put(struct memvirt_vm *vm);
struct memvirt_vm *memvirt_vms_find(struct memvirt_vm_list *list,
				    const struct memvirt_key *key);

void memvirt_vm_stats(const struct memvirt_vm *vm, struct memvirt_vm_stats *st);
int memvirt_vm_slots(struct kvm *kvm, struct memvirt_slot **slots,
		     unsigned int *nr);

/*
 * A VM or memslot dump (dump.c): its messages, rendered in the first round
 * by memvirt_dump_render(), whole and back to back in buf, each with the
 * dump's portid and sequence number (constant for a dump); off is the first
 * one not yet sent. Lives in the netlink_callback's ctx, which netlink
 * zeroes when a dump starts; only the dump's own callbacks touch it, one
 * at a time (netlink's cb_mutex). memvirt_dump_done() frees buf.
 */
struct memvirt_dump_ctx {
	u8 *buf;			/* kvmalloc()ed, charged to the caller */
	size_t len;			/* bytes of messages in buf */
	size_t cap;			/* bytes allocated */
	size_t off;			/* next message to send */
	bool rendered;			/* request checked, buf complete */
};

struct netlink_callback;
struct sk_buff;

/*
 * Renders @vm's messages of a dump: fills @msg (empty, NLMSG_GOODSIZE) with
 * one message, appends it with memvirt_dump_append(), repeats.
 */
typedef int (*memvirt_render_t)(struct memvirt_dump_ctx *ctx,
				struct sk_buff *msg,
				const struct memvirt_vm *vm,
				struct netlink_callback *cb);

int memvirt_dump_append(struct memvirt_dump_ctx *ctx, struct sk_buff *msg);
int memvirt_dump_render(struct netlink_callback *cb,
			struct memvirt_dump_ctx *ctx,
			const struct memvirt_key *only,
			memvirt_render_t render);
int memvirt_dump_send(struct sk_buff *skb, struct netlink_callback *cb,
		      struct memvirt_dump_ctx *ctx);
int memvirt_dump_done(struct netlink_callback *cb);

int memvirt_vm_init(void);
int memvirt_netlink_init(void);
void memvirt_netlink_exit(void);

#endif /* _MEMVIRT_H */
