// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the zones of the host snapshot as metrics (labels node and
 * zone): sizes, watermarks, per order the free blocks and the kernel's two
 * indices, and the 2M pages each zone can hand out now.
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/util.h"
#include "out/prom-int.h"

enum zone_val { ZV_MANAGED, ZV_FREE, ZV_RESERVE, ZV_HIGHATOMIC };

static const struct {
	const char *name, *help;
	enum zone_val v;
} zone_gauges[] = {
	{ "memvirt_zone_managed_bytes", "Memory the buddy allocator manages in the zone.",
	  ZV_MANAGED },
	{ "memvirt_zone_free_bytes", "Free memory in the zone.", ZV_FREE },
	{ "memvirt_zone_lowmem_reserve_bytes",
	  "Free memory the zone keeps from allocations that could use a higher zone.",
	  ZV_RESERVE },
	{ "memvirt_zone_highatomic_bytes", "Memory in the zone's highatomic reserve blocks.",
	  ZV_HIGHATOMIC },
};

static uint64_t zone_pages(const struct mv_zone *z, enum zone_val v, bool *has)
{
	*has = true;
	switch (v) {
	case ZV_MANAGED:
		return z->managed_pages;
	case ZV_FREE:
		return z->free_pages;
	case ZV_RESERVE:
		*has = z->has_reserves;
		return z->lowmem_reserve;
	case ZV_HIGHATOMIC:
		*has = z->has_reserves;
		return z->highatomic;
	}
	return 0;
}

/*
 * Per order: free blocks, the unusable free space index and the kernel's
 * fragmentation index (thousandths from the module). That index is -1 when a
 * free block of the order exists: a state, not a value on its 0..1 scale, so
 * it goes to its own 0/1 gauge and the index has no sample then (an avg() or
 * min() over zones must not mix -1 in).
 */
static void order_metrics(struct mv_prom *e, const struct mv_host *h)
{
	static const char *const name[] = {
		"memvirt_zone_free_blocks", "memvirt_zone_unusable_free_ratio",
		"memvirt_zone_fragmentation_index", "memvirt_zone_block_available",
	};
	static const char *const help[] = {
		"Free blocks of 2^order pages in the buddy allocator (/proc/buddyinfo).",
		"Share of free memory in blocks too small for an allocation of this order "
		"(the kernel's unusable free space index).",
		"The kernel's fragmentation index of an allocation of this order when no "
		"free block is large enough: towards 0 it fails for lack of memory, towards "
		"1 for fragmentation. No sample while memvirt_zone_block_available is 1.",
		"1 if the zone has a free block of this order or larger: an allocation of "
		"it succeeds without compaction (the kernel's fragmentation index is -1).",
	};
	char node[16], order[12];
	unsigned int i, o;
	size_t g;

	for (g = 0; g < ARRAY_SIZE(name); g++) {
		mv_prom_family(e, name[g], "gauge", help[g]);
		for (i = 0; i < h->nr_zones; i++) {
			const struct mv_zone *z = &h->zones[i];
			struct mv_label l[] = { { "node", node }, { "zone", z->name },
						{ "order", order } };

			snprintf(node, sizeof(node), "%u", z->node);
			for (o = 0; o < z->nr_orders; o++) {
				int32_t frag = z->order[o].frag;

				snprintf(order, sizeof(order), "%u", o);
				if (g == 0)
					mv_prom_sample_u(e, name[g], l, 3, z->order[o].free_blocks);
				else if (g == 1)
					mv_prom_sample_d(e, name[g], l, 3,
							 z->order[o].unusable / 1000.0);
				else if (g == 2 && frag != -1000)
					mv_prom_sample_d(e, name[g], l, 3, frag / 1000.0);
				else if (g == 3)
					mv_prom_sample_u(e, name[g], l, 3, frag == -1000);
			}
		}
	}
}

void mv_prom_zones(struct mv_prom *e, const struct mv_host *h)
{
	long page = sysconf(_SC_PAGESIZE);
	char node[16];
	unsigned int i, o;
	size_t g;

	for (g = 0; g < ARRAY_SIZE(zone_gauges); g++) {
		mv_prom_family(e, zone_gauges[g].name, "gauge", zone_gauges[g].help);
		for (i = 0; i < h->nr_zones; i++) {
			const struct mv_zone *z = &h->zones[i];
			struct mv_label l[] = { { "node", node }, { "zone", z->name } };
			bool has;
			uint64_t v = zone_pages(z, zone_gauges[g].v, &has);

			snprintf(node, sizeof(node), "%u", z->node);
			if (has)
				mv_prom_sample_u(e, zone_gauges[g].name, l, 2, v * page);
		}
	}

	mv_prom_family(e, "memvirt_zone_watermark_bytes", "gauge",
	       "The zone's min, low and high watermarks.");
	for (i = 0; i < h->nr_zones; i++) {
		const struct mv_zone *z = &h->zones[i];
		const char *const lv[] = { "min", "low", "high" };
		const uint64_t w[] = { z->wmark_min, z->wmark_low, z->wmark_high };

		snprintf(node, sizeof(node), "%u", z->node);
		for (o = 0; o < 3 && z->has_wmarks; o++) {
			struct mv_label l[] = { { "node", node }, { "zone", z->name },
					     { "level", lv[o] } };

			mv_prom_sample_u(e, "memvirt_zone_watermark_bytes", l, 3, w[o] * page);
		}
	}

	order_metrics(e, h);

	mv_prom_family(e, "memvirt_zone_huge_2m_available_pages", "gauge",
	       "2M pages the zone can hand out now without compaction or reclaim: free "
	       "blocks of order 9 and up, as far as the low watermark and reserves allow.");
	for (i = 0; i < h->nr_zones; i++) {
		const struct mv_zone *z = &h->zones[i];
		struct mv_label l[] = { { "node", node }, { "zone", z->name } };
		struct mv_zone_2m r;

		snprintf(node, sizeof(node), "%u", z->node);
		mv_zone_2m(z, &r);
		mv_prom_sample_u(e, "memvirt_zone_huge_2m_available_pages", l, 2, r.avail);
	}
}

