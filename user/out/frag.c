// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: what `memvirt frag` shows, as rows: free blocks per node,
 * zone and order, the zones, the hugetlb pools, the vmstat counters and the
 * per-node verdicts (lib/mm.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/frag.h"

static const struct mv_col order_cols[] = {
	{ "NODE", MV_FMT_NUM, 0, MV_COL_TABLE_ONLY },
	{ "ZONE", MV_FMT_STR, 0, MV_COL_TABLE_ONLY },
	{ "ORDER", MV_FMT_NUM, 0, 0 },
	{ "BLOCK", MV_FMT_SIZE, 0, 0 },
	{ "FREE-BLOCKS", MV_FMT_NUM, 0, 0 },
	{ "FREE", MV_FMT_SIZE, 0, MV_COL_TABLE_ONLY },
	{ "UNUSABLE", MV_FMT_MILLI, 0, 0, "unusable_index" },
	{ "FRAG", MV_FMT_MILLI, 0, 0, "fragmentation_index" },
};

/* Row @row: the zones' orders in turn, or only f->zone's. */
static int order_row(void *arg, size_t row, struct mv_cell *c)
{
	const struct mv_frag *f = arg;
	size_t z = f->zone >= 0 ? (size_t)f->zone : 0;
	const struct mv_zone *zn;
	uint64_t v[] = { 0, 0, 0, 0, 0, 0 };
	size_t k;

	while (f->zone < 0 && row >= f->h.zones[z].nr_orders)
		row -= f->h.zones[z++].nr_orders;
	zn = &f->h.zones[z];
	v[0] = zn->node;
	v[2] = row;
	v[3] = MV_PAGE_4K << row;
	v[4] = zn->order[row].free_blocks;
	v[5] = v[4] * v[3];
	for (k = 0; k < ARRAY_SIZE(v); k++)
		c[k] = (struct mv_cell){ .present = true, .u = v[k] };
	c[1].s = zn->name;
	c[6] = (struct mv_cell){ .present = true, .d = zn->order[row].unusable / 1000.0 };
	c[7] = (struct mv_cell){ .present = true, .d = zn->order[row].frag / 1000.0 };
	return 0;
}

static size_t nr_orders(const struct mv_frag *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->h.nr_zones; i++)
		n += f->h.zones[i].nr_orders;
	return n;
}

enum { ZC_NODE, ZC_ZONE, ZC_MANAGED, ZC_FREE, ZC_LARGEST, ZC_MAX_ORDER,
       ZC_WMIN, ZC_WLOW, ZC_WHIGH, ZC_RESERVE, ZC_HIGHATOMIC, ZC_ORDERS, ZC_NR };

static const struct mv_col zone_cols[ZC_NR] = {
	[ZC_NODE]	= { "NODE", MV_FMT_NUM, 0, 0 },
	[ZC_ZONE]	= { "ZONE", MV_FMT_STR, 0, 0 },
	[ZC_MANAGED]	= { "MANAGED", MV_FMT_SIZE, 0, 0 },
	[ZC_FREE]	= { "FREE", MV_FMT_SIZE, 0, 0 },
	[ZC_LARGEST]	= { "LARGEST-FREE", MV_FMT_SIZE, 0, MV_COL_TABLE_ONLY },
	[ZC_MAX_ORDER]	= { "MAX-FREE-ORDER", MV_FMT_NUM, 0, MV_COL_JSON_ONLY },
	[ZC_WMIN]	= { "WATERMARK-MIN", MV_FMT_SIZE, 0, MV_COL_JSON_ONLY },
	[ZC_WLOW]	= { "WATERMARK-LOW", MV_FMT_SIZE, 0, MV_COL_JSON_ONLY },
	[ZC_WHIGH]	= { "WATERMARK-HIGH", MV_FMT_SIZE, 0, MV_COL_JSON_ONLY },
	[ZC_RESERVE]	= { "LOWMEM-RESERVE", MV_FMT_SIZE, 0, MV_COL_JSON_ONLY },
	[ZC_HIGHATOMIC]	= { "HIGHATOMIC", MV_FMT_SIZE, 0, MV_COL_JSON_ONLY },
	[ZC_ORDERS]	= { "ORDERS", MV_FMT_STR, 0, MV_COL_JSON_ONLY },
};

static int zone_row(void *arg, size_t row, struct mv_cell *c)
{
	struct mv_frag *f = arg;
	const struct mv_zone *z = &f->h.zones[row];
	struct mv_rows orders = { "orders", order_cols, ARRAY_SIZE(order_cols),
				  z->nr_orders, order_row, f };
	const struct { int col; bool has; uint64_t pages; } v[] = {
		{ ZC_NODE, true, z->node },	/* not pages: scaled below */
		{ ZC_MANAGED, true, z->managed_pages },
		{ ZC_FREE, true, z->free_pages },
		{ ZC_LARGEST, z->max_free_order >= 0,
		  z->max_free_order >= 0 ? 1ULL << z->max_free_order : 0 },
		{ ZC_MAX_ORDER, z->max_free_order >= 0, z->max_free_order },
		{ ZC_WMIN, z->has_wmarks, z->wmark_min },
		{ ZC_WLOW, z->has_wmarks, z->wmark_low },
		{ ZC_WHIGH, z->has_wmarks, z->wmark_high },
		{ ZC_RESERVE, z->has_reserves, z->lowmem_reserve },
		{ ZC_HIGHATOMIC, z->has_highatomic, z->highatomic },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		bool pages = zone_cols[v[i].col].fmt == MV_FMT_SIZE;

		c[v[i].col].present = v[i].has;
		c[v[i].col].u = v[i].pages * (pages ? MV_PAGE_4K : 1);
	}
	c[ZC_ZONE].s = z->name;
	f->zone = row;
	c[ZC_ORDERS].json = mv_rows_json(&orders);
	f->zone = -1;
	return c[ZC_ORDERS].json ? 0 : -ENOMEM;
}

static const struct mv_col pool_cols[] = {
	{ "PAGESIZE", MV_FMT_SIZE, 0, 0 },
	{ "NODE", MV_FMT_STR, 0, MV_COL_TABLE_ONLY },
	{ "NODE", MV_FMT_NUM, 0, MV_COL_JSON_ONLY },
	{ "TOTAL", MV_FMT_NUM, 0, 0 },
	{ "FREE", MV_FMT_NUM, 0, 0 },
	{ "RESERVED", MV_FMT_NUM, 0, 0 },
	{ "SURPLUS", MV_FMT_NUM, 0, 0 },
};

static int pool_row(void *arg, size_t row, struct mv_cell *c)
{
	const struct mv_pool *p = &((struct mv_frag *)arg)->h.mm.pools[row];
	const uint64_t v[] = { p->size, 0, p->node, p->total, p->free, p->resv,
			       p->surplus };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++)
		c[i] = (struct mv_cell){ .present = true, .u = v[i] };
	c[2].present = p->node >= 0;
	c[5].present = p->has_resv;
	if (p->node < 0) {
		c[1].s = "all";
		return 0;
	}
	return asprintf(&c[1].owned, "%d", p->node) < 0 ? -ENOMEM :
	       (c[1].s = c[1].owned, 0);
}

/* Is vmstat counter @i shown: read now and, with -i, at the start too. */
bool mv_frag_vmstat_shown(const struct mv_frag *f, size_t i)
{
	return f->h.mm.vmstat.have[i] && (!f->interval || f->first.have[i]);
}

double mv_frag_vmstat_rate(const struct mv_frag *f, size_t i)
{
	uint64_t a = f->first.val[i], b = f->h.mm.vmstat.val[i];

	return b >= a && f->secs > 0 ? (b - a) / f->secs : 0;
}

static const struct mv_col vmstat_cols[] = {
	{ "COUNTER", MV_FMT_STR, 0, 0 },
	{ "TOTAL", MV_FMT_NUM, 0, 0 },
	{ "PER-SEC", MV_FMT_PCT, 0, 0 },
};

static int vmstat_row(void *arg, size_t row, struct mv_cell *c)
{
	const struct mv_frag *f = arg;
	size_t i;

	for (i = 0; ; i++)
		if (mv_frag_vmstat_shown(f, i) && !row--)
			break;
	c[0].s = mv_vmstat_names[i];
	c[1] = (struct mv_cell){ .present = true, .u = f->h.mm.vmstat.val[i] };
	/* Without -i the table has no PER-SEC column, and @c no cell for it. */
	if (f->interval)
		c[2] = (struct mv_cell){ .present = true, .d = mv_frag_vmstat_rate(f, i) };
	return 0;
}

static const struct mv_col node_cols[] = {
	{ "NODE", MV_FMT_NUM, 0, 0 },
	{ "FREE", MV_FMT_SIZE, 0, 0 },
	{ "HUGEPAGES-2M-NOW", MV_FMT_NUM, 0, 0 },
	{ "FREE-BLOCKS-2M", MV_FMT_NUM, 0, 0 },
	{ "HUGEPAGES-1G-MAX", MV_FMT_NUM, 0, 0 },
	{ "UNUSABLE-INDEX-2M", MV_FMT_MILLI, 0, 0 },
	{ "FRAGMENTATION-INDEX-2M", MV_FMT_MILLI, 0, 0 },
	{ "COMPACTION", MV_FMT_STR, 0, 0 },
};

static int node_row(void *arg, size_t row, struct mv_cell *c)
{
	const struct mv_node *v = &((struct mv_frag *)arg)->h.mm.nodes[row];
	const uint64_t u[] = { v->node, v->free_pages * MV_PAGE_4K, v->avail_2m,
			       v->free_2m, v->max_1g };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(u); i++)
		c[i] = (struct mv_cell){ .present = true, .u = u[i] };
	c[5] = (struct mv_cell){ .present = true, .d = v->unusable_2m / 1000.0 };
	c[6] = (struct mv_cell){ .present = true, .d = v->frag_2m / 1000.0 };
	c[7].s = v->compaction;
	return 0;
}

/* ---- rendering --------------------------------------------------------- */

static const char *verdict_text(const struct mv_node *v)
{
	if (!strcmp(v->compaction, "not-needed"))
		return "compaction not needed";
	if (!strcmp(v->compaction, "would-help"))
		return "compaction would likely help";
	if (!strcmp(v->compaction, "memory-short"))
		return "memory is short, compaction would not help";
	return "no 2M buddy order on this kernel";
}

int mv_frag_verdicts_print(const struct mv_mm *mm, const struct mv_opts *o)
{
	size_t i;
	int n = 0;

	if (mv_table_title(o, "Verdict (2M: free blocks of order >= 9 above the low "
			   "watermark and reserves, no compaction or reclaim; 1G: "
			   "upper bound from free memory, not checked for contiguity):"))
		return -EIO;
	for (i = 0; i < mm->nr_nodes && n >= 0; i++) {
		const struct mv_node *v = &mm->nodes[i];
		char *free_s = mv_format(MV_FMT_SIZE, v->free_pages * MV_PAGE_4K, o);
		char held[64] = "";

		if (v->free_2m > v->avail_2m)
			snprintf(held, sizeof(held), ", %" PRIu64 " more held back "
				 "(watermark, reserves)", v->free_2m - v->avail_2m);
		n = printf("node %u: %" PRIu64 " x 2M now (%s free%s, order-9 "
			   "unusable %.3f, frag %.3f): %s; 1G: at most %" PRIu64 "%s\n",
			   v->node, v->avail_2m, free_s ?: "?", held,
			   v->unusable_2m / 1000.0, v->frag_2m / 1000.0,
			   verdict_text(v), v->max_1g, v->max_1g ?
			   " (needs a contiguous-range allocation that migrates "
			   "pages; may fail)" : "");
		free(free_s);
	}
	return n < 0 ? -EIO : 0;
}

static size_t nr_vmstat(const struct mv_frag *f)
{
	size_t i, n = 0;

	for (i = 0; i < MV_NR_VMSTAT; i++)
		n += mv_frag_vmstat_shown(f, i);
	return n;
}

void mv_frag_rows(struct mv_frag *f, struct mv_rows r[5])
{
	f->zone = -1;
	r[0] = (struct mv_rows){ "orders", order_cols, ARRAY_SIZE(order_cols),
				 nr_orders(f), order_row, f };
	r[1] = (struct mv_rows){ "zones", zone_cols, ZC_NR, f->h.nr_zones, zone_row, f };
	r[2] = (struct mv_rows){ "hugetlb", pool_cols, ARRAY_SIZE(pool_cols),
				 f->h.mm.nr_pools, pool_row, f };
	r[3] = (struct mv_rows){ "vmstat", vmstat_cols,
				 ARRAY_SIZE(vmstat_cols) - !f->interval,
				 nr_vmstat(f), vmstat_row, f };
	r[4] = (struct mv_rows){ "nodes", node_cols, ARRAY_SIZE(node_cols),
				 f->h.mm.nr_nodes, node_row, f };
}

