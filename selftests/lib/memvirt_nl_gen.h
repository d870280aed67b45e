/* SPDX-License-Identifier: GPL-2.0 */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/memvirt.yaml */
/* nlgen selftests header (scripts/nlgen.py; make regen) */

#ifndef MEMVIRT_SELFTESTS_NL_GEN_H
#define MEMVIRT_SELFTESTS_NL_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/memvirt.h>

/* How an attribute is encoded; MV_K_NONE: not in the spec. */
enum mv_kind { MV_K_NONE, MV_K_PAD, MV_K_FLAG, MV_K_U32, MV_K_S32, MV_K_U64,
	       MV_K_STR, MV_K_NEST };

/* The attribute sets of the spec. */
enum mv_set_id { MV_SET_VM, MV_SET_CACHE, MV_SET_SLOT, MV_SET_ZONE, MV_SET_ORDER, MV_NR_SETS };

struct mv_attr_spec {
	const char *name;	/* the spec's name; NULL: not in the spec */
	uint8_t kind;		/* enum mv_kind */
	uint8_t nest;		/* MV_K_NEST: its set, enum mv_set_id */
	bool multi;		/* multi-attr: may repeat */
	uint8_t maxlen;		/* MV_K_STR: checks max-len, 0 = none */
};

static const struct mv_attr_spec mv_vm_attrs[MEMVIRT_A_VM_MAX + 1] = {
	[MEMVIRT_A_VM_PAD] = { "pad", MV_K_PAD },
	[MEMVIRT_A_VM_ID] = { "id", MV_K_STR, .maxlen = 31 },
	[MEMVIRT_A_VM_PID] = { "pid", MV_K_U32 },
	[MEMVIRT_A_VM_COMM] = { "comm", MV_K_STR },
	[MEMVIRT_A_VM_VCPUS_CREATED] = { "vcpus-created", MV_K_U32 },
	[MEMVIRT_A_VM_VCPUS_ONLINE] = { "vcpus-online", MV_K_U32 },
	[MEMVIRT_A_VM_NR_MEMSLOTS] = { "nr-memslots", MV_K_U32 },
	[MEMVIRT_A_VM_MEM_BYTES] = { "mem-bytes", MV_K_U64 },
	[MEMVIRT_A_VM_MAP_4K] = { "map-4k", MV_K_U64 },
	[MEMVIRT_A_VM_MAP_2M] = { "map-2m", MV_K_U64 },
	[MEMVIRT_A_VM_MAP_1G] = { "map-1g", MV_K_U64 },
	[MEMVIRT_A_VM_MAPPED_BYTES] = { "mapped-bytes", MV_K_U64 },
	[MEMVIRT_A_VM_HUGE_MAPPED_PPM] = { "huge-mapped-ppm", MV_K_U32 },
	[MEMVIRT_A_VM_MMU_TDP_PAGES] = { "mmu-tdp-pages", MV_K_U64 },
	[MEMVIRT_A_VM_MMU_SHADOW_PAGES] = { "mmu-shadow-pages", MV_K_U64 },
	[MEMVIRT_A_VM_CACHE] = { "cache", MV_K_NEST, .nest = MV_SET_CACHE, .multi = true },
	[MEMVIRT_A_VM_RMAP_BYTES] = { "rmap-bytes", MV_K_U64 },
	[MEMVIRT_A_VM_LPAGE_INFO_BYTES] = { "lpage-info-bytes", MV_K_U64 },
	[MEMVIRT_A_VM_DIRTY_BITMAP_BYTES] = { "dirty-bitmap-bytes", MV_K_U64 },
	[MEMVIRT_A_VM_WRITE_TRACK_BYTES] = { "write-track-bytes", MV_K_U64 },
	[MEMVIRT_A_VM_PAGE_TABLE_BYTES] = { "page-table-bytes", MV_K_U64 },
	[MEMVIRT_A_VM_CACHE_BYTES] = { "cache-bytes", MV_K_U64 },
	[MEMVIRT_A_VM_VCPU_BYTES] = { "vcpu-bytes", MV_K_U64 },
	[MEMVIRT_A_VM_OVERHEAD_BYTES] = { "overhead-bytes", MV_K_U64 },
	[MEMVIRT_A_VM_NX_LPAGE_SPLITS] = { "nx-lpage-splits", MV_K_U64 },
	[MEMVIRT_A_VM_PID_IS_MM_OWNER] = { "pid-is-mm-owner", MV_K_FLAG },
	[MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL] = { "mmu-tdp-pages-partial", MV_K_FLAG },
	[MEMVIRT_A_VM_HELD_BY] = { "held-by", MV_K_U32 },
	[MEMVIRT_A_VM_HOLDER] = { "holder", MV_K_U32, .multi = true },
	[MEMVIRT_A_VM_NR_HOLDERS] = { "nr-holders", MV_K_U32 },
	[MEMVIRT_A_VM_NO_DEBUGFS] = { "no-debugfs", MV_K_FLAG },
};

static const struct mv_attr_spec mv_cache_attrs[MEMVIRT_A_CACHE_MAX + 1] = {
	[MEMVIRT_A_CACHE_PAD] = { "pad", MV_K_PAD },
	[MEMVIRT_A_CACHE_TYPE] = { "type", MV_K_U32 },
	[MEMVIRT_A_CACHE_OBJECTS] = { "objects", MV_K_U64 },
	[MEMVIRT_A_CACHE_CAPACITY] = { "capacity", MV_K_U64 },
	[MEMVIRT_A_CACHE_OBJECT_SIZE] = { "object-size", MV_K_U32 },
	[MEMVIRT_A_CACHE_BYTES] = { "bytes", MV_K_U64 },
};

static const struct mv_attr_spec mv_slot_attrs[MEMVIRT_A_SLOT_MAX + 1] = {
	[MEMVIRT_A_SLOT_PAD] = { "pad", MV_K_PAD },
	[MEMVIRT_A_SLOT_VM_ID] = { "vm-id", MV_K_STR, .maxlen = 31 },
	[MEMVIRT_A_SLOT_ID] = { "id", MV_K_U32 },
	[MEMVIRT_A_SLOT_AS_ID] = { "as-id", MV_K_U32 },
	[MEMVIRT_A_SLOT_GPA] = { "gpa", MV_K_U64 },
	[MEMVIRT_A_SLOT_SIZE] = { "size", MV_K_U64 },
	[MEMVIRT_A_SLOT_HVA] = { "hva", MV_K_U64 },
	[MEMVIRT_A_SLOT_FLAGS] = { "flags", MV_K_U32 },
	[MEMVIRT_A_SLOT_RMAP_BYTES] = { "rmap-bytes", MV_K_U64 },
	[MEMVIRT_A_SLOT_LPAGE_INFO_BYTES] = { "lpage-info-bytes", MV_K_U64 },
	[MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES] = { "dirty-bitmap-bytes", MV_K_U64 },
	[MEMVIRT_A_SLOT_WRITE_TRACK_BYTES] = { "write-track-bytes", MV_K_U64 },
};

static const struct mv_attr_spec mv_zone_attrs[MEMVIRT_A_ZONE_MAX + 1] = {
	[MEMVIRT_A_ZONE_PAD] = { "pad", MV_K_PAD },
	[MEMVIRT_A_ZONE_NODE] = { "node", MV_K_U32 },
	[MEMVIRT_A_ZONE_NAME] = { "name", MV_K_STR },
	[MEMVIRT_A_ZONE_MANAGED_PAGES] = { "managed-pages", MV_K_U64 },
	[MEMVIRT_A_ZONE_FREE_PAGES] = { "free-pages", MV_K_U64 },
	[MEMVIRT_A_ZONE_MAX_FREE_ORDER] = { "max-free-order", MV_K_S32 },
	[MEMVIRT_A_ZONE_ORDER] = { "order", MV_K_NEST, .nest = MV_SET_ORDER, .multi = true },
	[MEMVIRT_A_ZONE_WMARK_MIN] = { "wmark-min", MV_K_U64 },
	[MEMVIRT_A_ZONE_WMARK_LOW] = { "wmark-low", MV_K_U64 },
	[MEMVIRT_A_ZONE_WMARK_HIGH] = { "wmark-high", MV_K_U64 },
	[MEMVIRT_A_ZONE_LOWMEM_RESERVE] = { "lowmem-reserve", MV_K_U64 },
	[MEMVIRT_A_ZONE_HIGHATOMIC] = { "highatomic", MV_K_U64 },
};

static const struct mv_attr_spec mv_order_attrs[MEMVIRT_A_ORDER_MAX + 1] = {
	[MEMVIRT_A_ORDER_PAD] = { "pad", MV_K_PAD },
	[MEMVIRT_A_ORDER_ORDER] = { "order", MV_K_U32 },
	[MEMVIRT_A_ORDER_FREE_BLOCKS] = { "free-blocks", MV_K_U64 },
	[MEMVIRT_A_ORDER_UNUSABLE_INDEX] = { "unusable-index", MV_K_U32 },
	[MEMVIRT_A_ORDER_FRAG_INDEX] = { "frag-index", MV_K_S32 },
};

struct mv_set_spec {
	const char *name;
	int max;			/* highest attribute type */
	const struct mv_attr_spec *attrs;	/* [0..max] */
};

static const struct mv_set_spec mv_sets[MV_NR_SETS] = {
	[MV_SET_VM] = { "vm", MEMVIRT_A_VM_MAX, mv_vm_attrs },
	[MV_SET_CACHE] = { "cache", MEMVIRT_A_CACHE_MAX, mv_cache_attrs },
	[MV_SET_SLOT] = { "slot", MEMVIRT_A_SLOT_MAX, mv_slot_attrs },
	[MV_SET_ZONE] = { "zone", MEMVIRT_A_ZONE_MAX, mv_zone_attrs },
	[MV_SET_ORDER] = { "order", MEMVIRT_A_ORDER_MAX, mv_order_attrs },
};

/* A command: its attribute set, whether it has do and dump, and the
 * attributes its replies list (bit n: attribute type n).
 */
struct mv_op_spec {
	const char *name;	/* NULL: not a command */
	int set;		/* enum mv_set_id */
	bool has_do, has_dump;
	uint64_t reply;
};

#define MV_ATTR_BIT(type)	(1ULL << (type))

static const struct mv_op_spec mv_ops[MEMVIRT_CMD_MAX + 1] = {
	[MEMVIRT_CMD_VM_GET] = {
		"vm-get", MV_SET_VM, true, true,
		MV_ATTR_BIT(MEMVIRT_A_VM_ID) | MV_ATTR_BIT(MEMVIRT_A_VM_PID) |
		MV_ATTR_BIT(MEMVIRT_A_VM_COMM) |
		MV_ATTR_BIT(MEMVIRT_A_VM_VCPUS_CREATED) |
		MV_ATTR_BIT(MEMVIRT_A_VM_VCPUS_ONLINE) |
		MV_ATTR_BIT(MEMVIRT_A_VM_NR_MEMSLOTS) |
		MV_ATTR_BIT(MEMVIRT_A_VM_MEM_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_MAP_4K) |
		MV_ATTR_BIT(MEMVIRT_A_VM_MAP_2M) |
		MV_ATTR_BIT(MEMVIRT_A_VM_MAP_1G) |
		MV_ATTR_BIT(MEMVIRT_A_VM_MAPPED_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_HUGE_MAPPED_PPM) |
		MV_ATTR_BIT(MEMVIRT_A_VM_MMU_TDP_PAGES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_MMU_SHADOW_PAGES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_CACHE) |
		MV_ATTR_BIT(MEMVIRT_A_VM_RMAP_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_LPAGE_INFO_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_DIRTY_BITMAP_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_WRITE_TRACK_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_PAGE_TABLE_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_CACHE_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_VCPU_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_OVERHEAD_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_VM_NX_LPAGE_SPLITS) |
		MV_ATTR_BIT(MEMVIRT_A_VM_PID_IS_MM_OWNER) |
		MV_ATTR_BIT(MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL) |
		MV_ATTR_BIT(MEMVIRT_A_VM_HELD_BY) |
		MV_ATTR_BIT(MEMVIRT_A_VM_HOLDER) |
		MV_ATTR_BIT(MEMVIRT_A_VM_NR_HOLDERS) |
		MV_ATTR_BIT(MEMVIRT_A_VM_NO_DEBUGFS),
	},
	[MEMVIRT_CMD_MEMSLOT_GET] = {
		"memslot-get", MV_SET_SLOT, false, true,
		MV_ATTR_BIT(MEMVIRT_A_SLOT_VM_ID) |
		MV_ATTR_BIT(MEMVIRT_A_SLOT_ID) |
		MV_ATTR_BIT(MEMVIRT_A_SLOT_AS_ID) |
		MV_ATTR_BIT(MEMVIRT_A_SLOT_GPA) |
		MV_ATTR_BIT(MEMVIRT_A_SLOT_SIZE) |
		MV_ATTR_BIT(MEMVIRT_A_SLOT_HVA) |
		MV_ATTR_BIT(MEMVIRT_A_SLOT_FLAGS) |
		MV_ATTR_BIT(MEMVIRT_A_SLOT_RMAP_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_SLOT_LPAGE_INFO_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES) |
		MV_ATTR_BIT(MEMVIRT_A_SLOT_WRITE_TRACK_BYTES),
	},
	[MEMVIRT_CMD_ZONE_GET] = {
		"zone-get", MV_SET_ZONE, false, true,
		MV_ATTR_BIT(MEMVIRT_A_ZONE_NODE) |
		MV_ATTR_BIT(MEMVIRT_A_ZONE_NAME) |
		MV_ATTR_BIT(MEMVIRT_A_ZONE_MANAGED_PAGES) |
		MV_ATTR_BIT(MEMVIRT_A_ZONE_FREE_PAGES) |
		MV_ATTR_BIT(MEMVIRT_A_ZONE_MAX_FREE_ORDER) |
		MV_ATTR_BIT(MEMVIRT_A_ZONE_WMARK_MIN) |
		MV_ATTR_BIT(MEMVIRT_A_ZONE_WMARK_LOW) |
		MV_ATTR_BIT(MEMVIRT_A_ZONE_WMARK_HIGH) |
		MV_ATTR_BIT(MEMVIRT_A_ZONE_LOWMEM_RESERVE) |
		MV_ATTR_BIT(MEMVIRT_A_ZONE_HIGHATOMIC) |
		MV_ATTR_BIT(MEMVIRT_A_ZONE_ORDER),
	},
};

#endif /* MEMVIRT_SELFTESTS_NL_GEN_H */
