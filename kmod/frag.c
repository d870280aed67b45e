// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt: host fragmentation. For every populated zone of every online
 * node, the buddy allocator's free blocks per order, and per order the two
 * indices the kernel shows in /sys/kernel/debug/extfrag (mm/vmstat.c):
 *
 *   F = free pages        = sum over o of nr_free[o] << o
 *   B = free blocks       = sum over o of nr_free[o]
 *   S(k) = blocks usable for order k, counted in order-k units
 *        = sum over o >= k of nr_free[o] << (o - k)
 *
 *   unusable(k) = 1000 if F == 0,
 *                 else (F - (S(k) << k)) * 1000 / F
 *   frag(k)     = 0 if B == 0, -1000 if S(k) > 0,
 *                 else 1000 - (1000 + F * 1000 / 2^k) / B
 *
 * all divisions truncating, on unsigned 64-bit values, as the kernel does.
 * The counts are copied under zone->lock in one pass over the orders
 * (O(orders), the free lists are never walked); the indices are computed
 * after the lock is dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "memvirt.h"

#include <linux/math64.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/spinlock.h>

static u32 memvirt_unusable_index(unsigned int order, u64 free_pages,
				  u64 suitable)
{
	/* No free memory counts as all of it unusable, as in the kernel. */
	if (!free_pages)
		return 1000;
	return div64_u64((free_pages - (suitable << order)) * 1000ULL,
			 free_pages);
}

static s32 memvirt_frag_index(unsigned int order, u64 free_pages,
			      u64 blocks, u64 suitable)
{
	if (!blocks)
		return 0;
	/* An allocation of this order would succeed now. */
	if (suitable)
		return -1000;
	/* Towards 0: failure from lack of memory; 1000: from fragmentation. */
	return 1000 - (s32)div64_u64(1000 + ((free_pages * 1000ULL) >> order),
				     blocks);
}

static void memvirt_zone_read(struct zone *zone, struct memvirt_zone_stats *st)
{
	unsigned long nr_free[COMPAT_NR_ORDERS];
	unsigned long flags;
	u64 blocks = 0, suitable;
	unsigned int order, o;

	spin_lock_irqsave(&zone->lock, flags);
	for (order = 0; order < COMPAT_NR_ORDERS; order++)
		nr_free[order] = zone->free_area[order].nr_free;
	spin_unlock_irqrestore(&zone->lock, flags);

	st->name = zone->name;
	st->managed_pages = zone_managed_pages(zone);
	st->wmark_min = min_wmark_pages(zone);
	st->wmark_low = low_wmark_pages(zone);
	st->wmark_high = high_wmark_pages(zone);
	st->lowmem_reserve = max(zone->lowmem_reserve[ZONE_MOVABLE], 0L);
	st->highatomic = READ_ONCE(zone->nr_reserved_highatomic);
	st->free_pages = 0;
	st->max_free_order = -1;
	for (order = 0; order < COMPAT_NR_ORDERS; order++) {
		blocks += nr_free[order];
		st->free_pages += (u64)nr_free[order] << order;
		if (nr_free[order])
			st->max_free_order = order;
	}
	for (order = 0; order < COMPAT_NR_ORDERS; order++) {
		suitable = 0;
		for (o = order; o < COMPAT_NR_ORDERS; o++)
			suitable += (u64)nr_free[o] << (o - order);
		st->order[order].free_blocks = nr_free[order];
		st->order[order].unusable =
			memvirt_unusable_index(order, st->free_pages, suitable);
		st->order[order].frag =
			memvirt_frag_index(order, st->free_pages, blocks,
					   suitable);
	}
}

bool memvirt_zone_next(int nid, int zid, struct memvirt_zone_stats *st)
{
	struct zone *zone;
	int n, z;

	for_each_online_node(n) {
		if (n < nid)
			continue;
		for (z = n == nid ? max(zid, 0) : 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(n)->node_zones[z];
			if (!populated_zone(zone))
				continue;
			st->nid = n;
			st->zid = z;
			memvirt_zone_read(zone, st);
			return true;
		}
	}
	return false;
}
