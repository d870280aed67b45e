/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: host memory beyond the zones: hugetlb pools, THP and
 * compaction counters, and per node whether a VM can get 2M/1G pages now.
 * The fragmentation indices are the module's (ZONE_GET) or, without it,
 * lib/zones-proc.c's; nothing here computes them again.
 */
#ifndef MEMVIRT_MM_H
#define MEMVIRT_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/nl.h"

#define MV_PAGE_4K	4096ULL
#define MV_ORDER_2M	9
#define MV_SIZE_1G	(1ULL << 30)

/* 2M pages of one zone, in 2M units. */
struct mv_zone_2m {
	uint64_t blocks;	/* free buddy blocks of order >= 9 */
	uint64_t headroom;	/* free above low watermark and reserves */
	uint64_t avail;		/* allocatable now: min(blocks, headroom) */
};

void mv_zone_2m(const struct mv_zone *z, struct mv_zone_2m *r);

/* One hugetlb pool: a page size, on one node or (node -1) the host. */
struct mv_pool {
	int node;
	uint64_t size;		/* bytes per page */
	uint64_t total, free, surplus, resv;
	bool has_resv;		/* per-node pools have no resv count */
};

/* /proc/vmstat counters shown, in mv_vmstat_names[] order. */
#define MV_NR_VMSTAT	18
extern const char *const mv_vmstat_names[MV_NR_VMSTAT];

struct mv_vmstat {
	bool have[MV_NR_VMSTAT];
	uint64_t val[MV_NR_VMSTAT];
};

/* The verdict of one node, its zones pooled. */
struct mv_node {
	uint32_t node;
	uint64_t free_pages;
	uint64_t managed_pages;
	unsigned int nr_orders;		/* the most of its zones */
	uint64_t free_2m;		/* free blocks of order >= 9, in 2M units */
	uint64_t avail_2m;		/* ... of them allocatable (mv_zone_2m()) */
	uint64_t headroom_2m;		/* 2M units free above watermark and reserves */
	uint64_t max_1g;		/* upper bound from free memory */
	/*
	 * The zones' order-9 indices (thousandths) of the node's zone with
	 * the most free memory: the zone an allocation would come from.
	 */
	uint32_t unusable_2m;
	int32_t frag_2m;
	const char *compaction;		/* "not-needed", "would-help", ... */
};

struct mv_mm {
	struct mv_pool *pools;
	size_t nr_pools;
	struct mv_vmstat vmstat;
	int vmstat_err;			/* -errno: /proc/vmstat unreadable */
	struct mv_node *nodes;
	size_t nr_nodes;
};

/* Pools, vmstat and (from @zones) the nodes' verdicts; 0 or -ENOMEM. */
int mv_mm_read(struct mv_mm *mm, const struct mv_zone *zones, size_t nr_zones);
void mv_mm_free(struct mv_mm *mm);

#endif /* MEMVIRT_MM_H */
