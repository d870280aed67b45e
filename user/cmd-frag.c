// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt frag` - can this host give VMs huge pages? The
 * zones with their free blocks per order and the kernel's indices (from the
 * module), the hugetlb pools, THP and compaction counters and a 2M/1G
 * verdict per node (lib/mm.c). Needs no privilege.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/host.h"
#include "out/out.h"

struct frag {
	struct mv_host h;
	struct mv_vmstat first;		/* at the start of -i's interval */
	double interval;		/* 0: one sample, totals only */
	double secs;			/* measured */
	int zone;			/* orders of this zone only; -1: all */
};

static int frag_opt(int c, const char *arg, void *ctx)
{
	struct frag *f = ctx;

	if (c != 'i')
		return MV_EXIT_USAGE;
	if (mv_parse_seconds(arg, 0.1, MV_MAX_INTERVAL, &f->interval))
		return mv_usage_error("frag", "invalid interval '%s': expected "
				      "0.1..%.0f seconds", arg, MV_MAX_INTERVAL);
	return 0;
}

static void frag_help(FILE *f)
{
	fputs("Columns of the order table:\n"
	      " ORDER        buddy allocation order (block = 4K << ORDER)\n"
	      " FREE-BLOCKS  free blocks of exactly this order\n"
	      " UNUSABLE     unusable free space index: share of free memory in\n"
	      "              blocks too small for this order (0..1)\n"
	      " FRAG         fragmentation index: -1 when an allocation of this\n"
	      "              order succeeds now; else towards 0 it would fail for\n"
	      "              lack of memory, towards 1 for fragmentation\n"
	      "              (compaction helps above 0.5, the kernel's default\n"
	      "              extfrag_threshold)\n"
	      "\n"
	      "frag prints several tables: no -o. Needs memvirt.ko loaded; no\n"
	      "privilege needed.\n", f);
}

static const struct option frag_longopts[] = {
	{ "interval",	required_argument,	NULL, 'i' },
	{ NULL, 0, NULL, 0 },
};

static const struct mv_cmd frag_cmd = {
	.name = "frag",
	.about = "Show how fragmented the host's free memory is, per NUMA node and zone,\n"
		 "the hugetlb pools, THP and compaction counters, and per node how many\n"
		 "2M (and at most how many 1G) pages could be allocated now.",
	.shortopts = "i:",
	.longopts = frag_longopts,
	.opts_help =
	" -i, --interval <sec>   sample the counters twice, <sec> apart, and\n"
	"                        show rates per second\n",
	.help_more = frag_help,
	.opt = frag_opt,
};

/* ---- rows -------------------------------------------------------------- */

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
	const struct frag *f = arg;
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

static size_t nr_orders(const struct frag *f)
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
	struct frag *f = arg;
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
		{ ZC_HIGHATOMIC, z->has_reserves, z->highatomic },
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
	const struct mv_pool *p = &((struct frag *)arg)->h.mm.pools[row];
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
static bool vmstat_shown(const struct frag *f, size_t i)
{
	return f->h.mm.vmstat.have[i] && (!f->interval || f->first.have[i]);
}

static double vmstat_rate(const struct frag *f, size_t i)
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
	const struct frag *f = arg;
	size_t i;

	for (i = 0; ; i++)
		if (vmstat_shown(f, i) && !row--)
			break;
	c[0].s = mv_vmstat_names[i];
	c[1] = (struct mv_cell){ .present = true, .u = f->h.mm.vmstat.val[i] };
	c[2] = (struct mv_cell){ .present = true, .d = vmstat_rate(f, i) };
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
	const struct mv_node *v = &((struct frag *)arg)->h.mm.nodes[row];
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

static int verdicts_print(const struct mv_mm *mm, const struct mv_opts *o)
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

static size_t nr_vmstat(const struct frag *f)
{
	size_t i, n = 0;

	for (i = 0; i < MV_NR_VMSTAT; i++)
		n += vmstat_shown(f, i);
	return n;
}

static void frag_rows(struct frag *f, struct mv_rows r[5])
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

static int frag_human(struct frag *f, const struct mv_opts *o)
{
	struct mv_rows r[5];
	char title[96];
	int err;

	frag_rows(f, r);
	if (f->interval)
		snprintf(title, sizeof(title), "THP and compaction (/proc/vmstat), "
			 "rates over %g s:", f->interval);
	else
		snprintf(title, sizeof(title), "THP and compaction (/proc/vmstat, "
			 "since boot; -i for rates):");
	err = mv_rows_print(&r[0], "Free blocks per node, zone and order:", o);
	if (!err && putchar('\n') != EOF)
		err = mv_rows_print(&r[1], "Zones:", o);
	if (!err && putchar('\n') != EOF)
		err = r[2].nrows ? mv_rows_print(&r[2], "Hugetlb pools (pages; "
						 "reserved is host-wide only):", o) :
		      mv_table_title(o, "Hugetlb pools: none (no hugetlbfs support)");
	if (!err && putchar('\n') != EOF)
		err = mv_rows_print(&r[3], title, o);
	if (!err && putchar('\n') != EOF)
		err = verdicts_print(&f->h.mm, o);
	return err;
}

/* "vmstat": {"<counter>": {"total": N, "per_sec": R}}. */
static struct json_object *vmstat_json(const struct frag *f, int *err)
{
	struct json_object *obj = json_object_new_object(), *j;
	size_t i;

	for (i = 0; obj && i < MV_NR_VMSTAT && !*err; i++) {
		if (!vmstat_shown(f, i))
			continue;
		j = json_object_new_object();
		*err = !j ? -ENOMEM : mv_json_add(obj, mv_vmstat_names[i], j) ?:
		       mv_json_add_value(j, "total", MV_FMT_NUM, true,
					 f->h.mm.vmstat.val[i]);
		if (!*err && f->interval)
			*err = mv_json_add(j, "per_sec",
					   json_object_new_double(vmstat_rate(f, i)));
	}
	if (!obj)
		*err = -ENOMEM;
	return obj;
}

static int frag_json(struct frag *f)
{
	struct json_object *root = json_object_new_object();
	struct mv_rows r[5];
	int err = root ? 0 : -ENOMEM;

	frag_rows(f, r);
	if (!err)
		err = mv_json_add(root, "interval", f->interval ?
				  json_object_new_double(f->interval) : NULL) ?:
		      mv_rows_json_add(root, &r[1]) ?: mv_rows_json_add(root, &r[2]);
	if (!err) {
		struct json_object *vs = vmstat_json(f, &err);

		err = err ?: mv_json_add(root, "vmstat", vs);
	}
	if (!err)
		err = mv_rows_json_add(root, &r[4]) ?: mv_json_print(root);
	json_object_put(root);
	return err;
}

/* -i: the counters at the start, then everything at the end. */
static int frag_tick(void *arg, double secs)
{
	struct frag *f = arg;

	f->secs = secs;
	if (mv_host_read(&f->h, MV_HOST_MM))
		return -1;
	if (f->h.mm.vmstat_err) {
		mv_err_errno(f->h.mm.vmstat_err, "/proc/vmstat");
		return -1;
	}
	if (f->interval && !secs)
		f->first = f->h.mm.vmstat;
	return 0;
}

int mv_cmd_frag(int argc, char **argv, struct mv_opts *o)
{
	struct frag f = { .zone = -1 };
	struct mv_loop loop = { .tick_first = true, .clip = true };
	int err, ret = MV_EXIT_FAILURE;

	err = mv_parse_opts(&frag_cmd, argc, argv, o, &f);
	if (err)
		return mv_parse_exit(err);
	loop.interval = loop.duration = f.interval;
	f.h.nl = mv_nl_open();
	if (!f.h.nl)
		return MV_EXIT_FAILURE;
	if (mv_loop(&loop, frag_tick, &f))
		goto out;
	err = o->json ? frag_json(&f) : frag_human(&f, o);
	if (err) {
		mv_err_errno(err, "cannot print");
		goto out;
	}
	ret = MV_EXIT_OK;
out:
	mv_host_free(&f.h);
	mv_nl_close(f.h.nl);
	return ret;
}
