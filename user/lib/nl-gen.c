// SPDX-License-Identifier: GPL-2.0
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/memvirt.yaml */
/* nlgen user source (scripts/nlgen.py; make regen) */

#include "lib/nl-gen.h"

/* Attribute set "vm" */
const struct nla_policy mv_vm_policy[MEMVIRT_A_VM_MAX + 1] = {
	[MEMVIRT_A_VM_ID] = { .type = NLA_STRING, .maxlen = 31 + 1 },
	[MEMVIRT_A_VM_PID] = { .type = NLA_U32 },
	[MEMVIRT_A_VM_COMM] = { .type = NLA_STRING },
	[MEMVIRT_A_VM_VCPUS_CREATED] = { .type = NLA_U32 },
	[MEMVIRT_A_VM_VCPUS_ONLINE] = { .type = NLA_U32 },
	[MEMVIRT_A_VM_NR_MEMSLOTS] = { .type = NLA_U32 },
	[MEMVIRT_A_VM_MEM_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_MAP_4K] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_MAP_2M] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_MAP_1G] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_MAPPED_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_HUGE_MAPPED_PPM] = { .type = NLA_U32 },
	[MEMVIRT_A_VM_MMU_TDP_PAGES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_MMU_SHADOW_PAGES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_CACHE] = { .type = NLA_NESTED },
	[MEMVIRT_A_VM_RMAP_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_LPAGE_INFO_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_DIRTY_BITMAP_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_WRITE_TRACK_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_PAGE_TABLE_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_CACHE_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_VCPU_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_OVERHEAD_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_NX_LPAGE_SPLITS] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_PID_IS_MM_OWNER] = { .type = NLA_FLAG },
	[MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL] = { .type = NLA_FLAG },
	[MEMVIRT_A_VM_HELD_BY] = { .type = NLA_U32 },
	[MEMVIRT_A_VM_HOLDER] = { .type = NLA_U32 },
	[MEMVIRT_A_VM_NR_HOLDERS] = { .type = NLA_U32 },
	[MEMVIRT_A_VM_NO_DEBUGFS] = { .type = NLA_FLAG },
};

/* Attribute set "cache" */
const struct nla_policy mv_cache_policy[MEMVIRT_A_CACHE_MAX + 1] = {
	[MEMVIRT_A_CACHE_TYPE] = { .type = NLA_U32 },
	[MEMVIRT_A_CACHE_OBJECTS] = { .type = NLA_U64 },
	[MEMVIRT_A_CACHE_CAPACITY] = { .type = NLA_U64 },
	[MEMVIRT_A_CACHE_OBJECT_SIZE] = { .type = NLA_U32 },
	[MEMVIRT_A_CACHE_BYTES] = { .type = NLA_U64 },
};

/* Attribute set "slot" */
const struct nla_policy mv_slot_policy[MEMVIRT_A_SLOT_MAX + 1] = {
	[MEMVIRT_A_SLOT_VM_ID] = { .type = NLA_STRING, .maxlen = 31 + 1 },
	[MEMVIRT_A_SLOT_ID] = { .type = NLA_U32 },
	[MEMVIRT_A_SLOT_AS_ID] = { .type = NLA_U32 },
	[MEMVIRT_A_SLOT_GPA] = { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_SIZE] = { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_HVA] = { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_FLAGS] = { .type = NLA_U32 },
	[MEMVIRT_A_SLOT_RMAP_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_LPAGE_INFO_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_WRITE_TRACK_BYTES] = { .type = NLA_U64 },
};

/* Attribute set "zone" */
const struct nla_policy mv_zone_policy[MEMVIRT_A_ZONE_MAX + 1] = {
	[MEMVIRT_A_ZONE_NODE] = { .type = NLA_U32 },
	[MEMVIRT_A_ZONE_NAME] = { .type = NLA_STRING },
	[MEMVIRT_A_ZONE_MANAGED_PAGES] = { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_FREE_PAGES] = { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_MAX_FREE_ORDER] = { .type = NLA_S32, .minlen = 4 },
	[MEMVIRT_A_ZONE_ORDER] = { .type = NLA_NESTED },
	[MEMVIRT_A_ZONE_WMARK_MIN] = { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_WMARK_LOW] = { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_WMARK_HIGH] = { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_LOWMEM_RESERVE] = { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_HIGHATOMIC] = { .type = NLA_U64 },
};

/* Attribute set "order" */
const struct nla_policy mv_order_policy[MEMVIRT_A_ORDER_MAX + 1] = {
	[MEMVIRT_A_ORDER_ORDER] = { .type = NLA_U32 },
	[MEMVIRT_A_ORDER_FREE_BLOCKS] = { .type = NLA_U64 },
	[MEMVIRT_A_ORDER_UNUSABLE_INDEX] = { .type = NLA_U32 },
	[MEMVIRT_A_ORDER_FRAG_INDEX] = { .type = NLA_S32, .minlen = 4 },
};
