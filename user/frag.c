// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt frag` - can this host give VMs huge pages?
 *
 * Sources, none of which needs privilege:
 *  - memvirt.ko's ZONE_GET dump: free blocks per node, zone and order, with
 *    the kernel's unusable free space and fragmentation indices;
 *  - /sys/kernel/mm/hugepages and /sys/devices/system/node/nodeN/hugepages:
 *    hugetlb pools per page size and node;
 *  - /proc/vmstat: THP, compaction, migration counters (rates with -i).
 *
 * The verdict per node pools the node's zones: 2M pages allocatable now
 * without compaction are the free blocks of order >= 9 counted in 2M units;
 * for 1G only an upper bound from free memory can be given, because buddy
 * blocks top out below 1G (order 10, 4M, on x86-64) and a runtime 1G page
 * needs a contiguous-range allocation that migrates the pages in the way.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frag.h"
#include "nl.h"
#include "output.h"

#define PAGE_4K		4096ULL
#define ORDER_2M	9
#define SIZE_1G		(1ULL << 30)
#define MAX_ZONES	64
#define MAX_POOLS	64
#define MAX_NODES	64
#define MAX_INTERVAL	3600

/* /proc/vmstat counters shown, in this order; missing ones are skipped. */
static const char *const vmstat_names[] = {
	"thp_fault_alloc",
	"thp_fault_fallback",
	"thp_fault_fallback_charge",
	"thp_collapse_alloc",
	"thp_collapse_alloc_failed",
	"thp_split_page",
	"thp_split_pmd",
	"compact_stall",
	"compact_fail",
	"compact_success",
	"compact_migrate_scanned",
	"compact_free_scanned",
	"compact_isolated",
	"compact_daemon_wake",
	"pgmigrate_success",
	"pgmigrate_fail",
	"htlb_buddy_alloc_success",
	"htlb_buddy_alloc_fail",
};

#define NR_VMSTAT	(sizeof(vmstat_names) / sizeof(vmstat_names[0]))

struct vmstat_sample {
	bool have[NR_VMSTAT];
	uint64_t val[NR_VMSTAT];
};

/* One hugetlb pool: a page size, on one node or (node -1) the host. */
struct pool {
	int node;
	uint64_t size;		/* bytes per page */
	uint64_t total, free, surplus, resv;
	bool has_resv;		/* per-node pools have no resv count */
};

/* The verdict of one node, its zones pooled. */
struct node_verdict {
	uint32_t node;
	uint64_t free_pages;
	uint64_t managed_pages;
	uint64_t blocks[MV_MAX_ORDERS];	/* free blocks per order, all zones */
	unsigned int nr_orders;
	uint64_t free_2m;		/* free blocks of order >= 9, in 2M units */
	uint64_t avail_2m;		/* ... of them allocatable (zone_2m()) */
	uint64_t headroom_2m;		/* 2M units free above watermark and reserves */
	uint64_t max_1g;		/* upper bound from free memory */
	uint32_t unusable_2m;		/* thousandths, node-level */
	int32_t frag_2m;		/* thousandths, node-level */
	const char *compaction;		/* "not-needed", "would-help", ... */
};

struct frag_data {
	struct mv_zone zones[MAX_ZONES];
	unsigned int nr_zones;
	struct pool pools[MAX_POOLS];
	unsigned int nr_pools;
	struct vmstat_sample vs[2];
	unsigned int interval;		/* 0: one sample, totals only */
	struct node_verdict nodes[MAX_NODES];
	unsigned int nr_nodes;
};

static void frag_usage(void)
{
	fputs("Usage:\n"
	      " memvirt frag [options]\n"
	      "\n"
	      "Show how fragmented the host's free memory is, per NUMA node and zone,\n"
	      "the hugetlb pools, THP and compaction counters, and per node how many\n"
	      "2M (and at most how many 1G) pages could be allocated now.\n"
	      "\n"
	      "Options:\n"
	      " -i, --interval <sec>   sample the counters twice, <sec> apart, and\n"
	      "                        show rates per second\n"
	      MV_COMMON_HELP
	      "\n"
	      "Columns of the order table:\n"
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
	      "Needs memvirt.ko loaded; no privilege needed.\n", stdout);
}

/* ---- data ------------------------------------------------------------- */

static int zone_collect(const struct mv_zone *z, void *arg)
{
	struct frag_data *d = arg;

	if (d->nr_zones >= MAX_ZONES)
		return 0;
	d->zones[d->nr_zones++] = *z;
	return 0;
}

/* One unsigned number from a sysfs/procfs file; false if unreadable. */
static bool read_u64_file(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%" SCNu64, v) == 1;
	fclose(f);
	return ok;
}

/* Pools below @dir (".../hugepages"), for @node (-1: the host). */
static void pools_read_dir(struct frag_data *d, const char *dir, int node)
{
	struct dirent *de;
	char path[512];
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((de = readdir(dp)) && d->nr_pools < MAX_POOLS) {
		struct pool *p = &d->pools[d->nr_pools];
		uint64_t kb;

		if (sscanf(de->d_name, "hugepages-%" SCNu64 "kB", &kb) != 1)
			continue;
		memset(p, 0, sizeof(*p));
		p->node = node;
		p->size = kb * 1024;
#define POOL_FILE(name, field)						\
		(snprintf(path, sizeof(path), "%s/%s/%s", dir, de->d_name, name), \
		 read_u64_file(path, &p->field))
		if (!POOL_FILE("nr_hugepages", total) ||
		    !POOL_FILE("free_hugepages", free) ||
		    !POOL_FILE("surplus_hugepages", surplus))
			continue;
		p->has_resv = node < 0 && POOL_FILE("resv_hugepages", resv);
#undef POOL_FILE
		d->nr_pools++;
	}
	closedir(dp);
}

static int pool_cmp(const void *a, const void *b)
{
	const struct pool *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->node - y->node;
}

static void pools_read(struct frag_data *d)
{
	struct dirent *de;
	char path[512];
	DIR *dp;
	int node;

	pools_read_dir(d, "/sys/kernel/mm/hugepages", -1);
	dp = opendir("/sys/devices/system/node");
	if (dp) {
		while ((de = readdir(dp))) {
			if (sscanf(de->d_name, "node%d", &node) != 1)
				continue;
			snprintf(path, sizeof(path),
				 "/sys/devices/system/node/%s/hugepages",
				 de->d_name);
			pools_read_dir(d, path, node);
		}
		closedir(dp);
	}
	qsort(d->pools, d->nr_pools, sizeof(d->pools[0]), pool_cmp);
}

static int vmstat_read(struct vmstat_sample *s)
{
	char name[128];
	uint64_t v;
	size_t i;
	FILE *f = fopen("/proc/vmstat", "r");

	memset(s, 0, sizeof(*s));
	if (!f)
		return -errno;
	while (fscanf(f, "%127s %" SCNu64, name, &v) == 2)
		for (i = 0; i < NR_VMSTAT; i++)
			if (!strcmp(name, vmstat_names[i])) {
				s->have[i] = true;
				s->val[i] = v;
			}
	fclose(f);
	return 0;
}

/* mm/vmstat.c's indices at @order from pooled free block counts. */
static void indices(const uint64_t *blocks, unsigned int nr, unsigned int order,
		    uint32_t *unusable, int32_t *frag)
{
	uint64_t free = 0, total = 0, suitable = 0;
	unsigned int o;

	for (o = 0; o < nr; o++) {
		total += blocks[o];
		free += blocks[o] << o;
		if (o >= order)
			suitable += blocks[o] << (o - order);
	}
	*unusable = free ? (free - (suitable << order)) * 1000 / free : 1000;
	if (!total)
		*frag = 0;
	else if (suitable)
		*frag = -1000;
	else
		*frag = 1000 - (int32_t)((1000 + free * 1000 / (1ULL << order)) /
					 total);
}

/*
 * A zone's share of the node's 2M pages. Without reclaim, an order-9
 * allocation for guest memory, THP or hugetlb (GFP_HIGHUSER_MOVABLE) succeeds
 * while the zone keeps more free than its low watermark plus what it reserves
 * against such allocations (lowmem_reserve[ZONE_MOVABLE]), not counting
 * highatomic blocks as free (__zone_watermark_ok()): free blocks these hold
 * back are not "allocatable now".
 */
void mv_zone_2m(const struct mv_zone *z, struct mv_zone_2m *r)
{
	uint64_t keep;
	unsigned int o;

	r->blocks = 0;
	for (o = ORDER_2M; o < z->nr_orders; o++)
		r->blocks += z->order[o].free_blocks << (o - ORDER_2M);
	keep = z->has_wmarks ? z->wmark_low : 0;	/* else an older module */
	if (z->has_reserves)
		keep += z->lowmem_reserve + z->highatomic;
	r->headroom = z->free_pages > keep ? (z->free_pages - keep) >> ORDER_2M : 0;
	r->avail = r->blocks < r->headroom ? r->blocks : r->headroom;
}

static void zone_2m(const struct mv_zone *z, struct node_verdict *v)
{
	struct mv_zone_2m r;

	mv_zone_2m(z, &r);
	v->free_2m += r.blocks;
	v->headroom_2m += r.headroom;
	v->avail_2m += r.avail;
}

static void verdicts(struct frag_data *d)
{
	unsigned int i, o;

	for (i = 0; i < d->nr_zones; i++) {
		const struct mv_zone *z = &d->zones[i];
		struct node_verdict *v = NULL;
		unsigned int n;

		for (n = 0; n < d->nr_nodes; n++)
			if (d->nodes[n].node == z->node)
				v = &d->nodes[n];
		if (!v) {
			if (d->nr_nodes >= MAX_NODES)
				continue;
			v = &d->nodes[d->nr_nodes++];
			memset(v, 0, sizeof(*v));
			v->node = z->node;
		}
		v->free_pages += z->free_pages;
		v->managed_pages += z->managed_pages;
		if (z->nr_orders > v->nr_orders)
			v->nr_orders = z->nr_orders;
		for (o = 0; o < z->nr_orders; o++)
			v->blocks[o] += z->order[o].free_blocks;
		zone_2m(z, v);
	}
	for (i = 0; i < d->nr_nodes; i++) {
		struct node_verdict *v = &d->nodes[i];

		v->max_1g = v->free_pages * PAGE_4K / SIZE_1G;
		if (v->nr_orders <= ORDER_2M) {
			/* No 2M buddy order on this kernel: nothing to say. */
			v->compaction = "unknown";
			continue;
		}
		indices(v->blocks, v->nr_orders, ORDER_2M, &v->unusable_2m,
			&v->frag_2m);
		if (v->avail_2m)
			v->compaction = "not-needed";
		else if (!v->headroom_2m || v->frag_2m < 500)
			v->compaction = "memory-short";
		else
			v->compaction = "would-help";
	}
}

/* ---- tables ----------------------------------------------------------- */

/* Thousandths as "0.326" / "-1.000"; malloc()ed. */
static char *milli_str(int64_t m)
{
	char *s;

	if (asprintf(&s, "%s%" PRId64 ".%03" PRId64, m < 0 ? "-" : "",
		     (m < 0 ? -m : m) / 1000, (m < 0 ? -m : m) % 1000) < 0)
		return NULL;
	return s;
}

static int cell_take(struct libscols_line *ln, size_t col, char *s)
{
	if (!s)
		return -ENOMEM;
	if (scols_line_refer_data(ln, col, s)) {
		free(s);
		return -ENOMEM;
	}
	return 0;
}

static int print_title(const struct mv_opts *o, const char *title)
{
	if (o->noheadings || o->raw)
		return 0;
	return printf("%s\n", title) < 0 ? -EIO : 0;
}

static int table_orders(const struct frag_data *d, const struct mv_opts *o)
{
	struct libscols_table *tb = mv_table_new(o, "orders");
	unsigned int i, k;
	int err = -ENOMEM;

	if (!tb)
		return -ENOMEM;
	if (!mv_table_col(tb, "NODE", 0, 0, MV_FMT_NUM) ||
	    !mv_table_col(tb, "ZONE", 0, 0, MV_FMT_STR) ||
	    !mv_table_col(tb, "ORDER", 0, 0, MV_FMT_NUM) ||
	    !mv_table_col(tb, "BLOCK", 0, 0, MV_FMT_SIZE) ||
	    !mv_table_col(tb, "FREE-BLOCKS", 0, 0, MV_FMT_NUM) ||
	    !mv_table_col(tb, "FREE", 0, 0, MV_FMT_SIZE) ||
	    !mv_table_col(tb, "UNUSABLE", 0, 0, MV_FMT_NUM) ||
	    !mv_table_col(tb, "FRAG", 0, 0, MV_FMT_NUM))
		goto out;
	for (i = 0; i < d->nr_zones; i++) {
		const struct mv_zone *z = &d->zones[i];

		for (k = 0; k < z->nr_orders; k++) {
			struct libscols_line *ln = scols_table_new_line(tb, NULL);
			uint64_t blk = PAGE_4K << k;

			if (!ln ||
			    mv_cell_value(ln, 0, MV_FMT_NUM, true, z->node, o) ||
			    mv_cell_str(ln, 1, z->name, o) ||
			    mv_cell_value(ln, 2, MV_FMT_NUM, true, k, o) ||
			    mv_cell_value(ln, 3, MV_FMT_SIZE, true, blk, o) ||
			    mv_cell_value(ln, 4, MV_FMT_NUM, true,
					  z->order[k].free_blocks, o) ||
			    mv_cell_value(ln, 5, MV_FMT_SIZE, true,
					  z->order[k].free_blocks * blk, o) ||
			    cell_take(ln, 6, milli_str(z->order[k].unusable)) ||
			    cell_take(ln, 7, milli_str(z->order[k].frag)))
				goto out;
		}
	}
	err = print_title(o, "Free blocks per node, zone and order:");
	if (!err)
		err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static int table_zones(const struct frag_data *d, const struct mv_opts *o)
{
	struct libscols_table *tb = mv_table_new(o, "zones");
	unsigned int i;
	int err = -ENOMEM;

	if (!tb)
		return -ENOMEM;
	if (!mv_table_col(tb, "NODE", 0, 0, MV_FMT_NUM) ||
	    !mv_table_col(tb, "ZONE", 0, 0, MV_FMT_STR) ||
	    !mv_table_col(tb, "MANAGED", 0, 0, MV_FMT_SIZE) ||
	    !mv_table_col(tb, "FREE", 0, 0, MV_FMT_SIZE) ||
	    !mv_table_col(tb, "LARGEST-FREE", 0, 0, MV_FMT_SIZE))
		goto out;
	for (i = 0; i < d->nr_zones; i++) {
		const struct mv_zone *z = &d->zones[i];
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln ||
		    mv_cell_value(ln, 0, MV_FMT_NUM, true, z->node, o) ||
		    mv_cell_str(ln, 1, z->name, o) ||
		    mv_cell_value(ln, 2, MV_FMT_SIZE, true,
				  z->managed_pages * PAGE_4K, o) ||
		    mv_cell_value(ln, 3, MV_FMT_SIZE, true,
				  z->free_pages * PAGE_4K, o) ||
		    mv_cell_value(ln, 4, MV_FMT_SIZE, z->max_free_order >= 0,
				  PAGE_4K << (z->max_free_order >= 0 ?
					      z->max_free_order : 0), o))
			goto out;
	}
	err = print_title(o, "Zones:");
	if (!err)
		err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static int table_pools(const struct frag_data *d, const struct mv_opts *o)
{
	struct libscols_table *tb;
	unsigned int i;
	int err = -ENOMEM;

	if (!d->nr_pools)
		return print_title(o, "Hugetlb pools: none (no hugetlbfs support)");
	tb = mv_table_new(o, "hugetlb");
	if (!tb)
		return -ENOMEM;
	if (!mv_table_col(tb, "PAGESIZE", 0, 0, MV_FMT_SIZE) ||
	    !mv_table_col(tb, "NODE", 0, 0, MV_FMT_STR) ||
	    !mv_table_col(tb, "TOTAL", 0, 0, MV_FMT_NUM) ||
	    !mv_table_col(tb, "FREE", 0, 0, MV_FMT_NUM) ||
	    !mv_table_col(tb, "RESERVED", 0, 0, MV_FMT_NUM) ||
	    !mv_table_col(tb, "SURPLUS", 0, 0, MV_FMT_NUM))
		goto out;
	for (i = 0; i < d->nr_pools; i++) {
		const struct pool *p = &d->pools[i];
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		char node[16];

		snprintf(node, sizeof(node), "%d", p->node);
		if (!ln ||
		    mv_cell_value(ln, 0, MV_FMT_SIZE, true, p->size, o) ||
		    mv_cell_str(ln, 1, p->node < 0 ? "all" : node, o) ||
		    mv_cell_value(ln, 2, MV_FMT_NUM, true, p->total, o) ||
		    mv_cell_value(ln, 3, MV_FMT_NUM, true, p->free, o) ||
		    mv_cell_value(ln, 4, MV_FMT_NUM, p->has_resv, p->resv, o) ||
		    mv_cell_value(ln, 5, MV_FMT_NUM, true, p->surplus, o))
			goto out;
	}
	err = print_title(o, "Hugetlb pools (pages; reserved is host-wide only):");
	if (!err)
		err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static char *rate_str(const struct frag_data *d, size_t i)
{
	uint64_t delta = d->vs[1].val[i] - d->vs[0].val[i];
	char *s;

	if (d->vs[1].val[i] < d->vs[0].val[i])
		delta = 0;	/* counter reset: cannot happen, be safe */
	if (asprintf(&s, "%.1f", (double)delta / d->interval) < 0)
		return NULL;
	return s;
}

static int table_vmstat(const struct frag_data *d, const struct mv_opts *o)
{
	const struct vmstat_sample *last = &d->vs[d->interval ? 1 : 0];
	struct libscols_table *tb = mv_table_new(o, "vmstat");
	size_t i;
	int err = -ENOMEM;
	char title[96];

	if (!tb)
		return -ENOMEM;
	if (!mv_table_col(tb, "COUNTER", 0, 0, MV_FMT_STR) ||
	    !mv_table_col(tb, "TOTAL", 0, 0, MV_FMT_NUM) ||
	    (d->interval && !mv_table_col(tb, "PER-SEC", 0, 0, MV_FMT_NUM)))
		goto out;
	for (i = 0; i < NR_VMSTAT; i++) {
		struct libscols_line *ln;

		if (!last->have[i] || (d->interval && !d->vs[0].have[i]))
			continue;
		ln = scols_table_new_line(tb, NULL);
		if (!ln ||
		    mv_cell_str(ln, 0, vmstat_names[i], o) ||
		    mv_cell_value(ln, 1, MV_FMT_NUM, true, last->val[i], o) ||
		    (d->interval && cell_take(ln, 2, rate_str(d, i))))
			goto out;
	}
	if (d->interval)
		snprintf(title, sizeof(title),
			 "THP and compaction (/proc/vmstat), rates over %u s:",
			 d->interval);
	else
		snprintf(title, sizeof(title),
			 "THP and compaction (/proc/vmstat, since boot; -i for rates):");
	err = print_title(o, title);
	if (!err)
		err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static const char *verdict_text(const struct node_verdict *v)
{
	if (!strcmp(v->compaction, "not-needed"))
		return "compaction not needed";
	if (!strcmp(v->compaction, "would-help"))
		return "compaction would likely help";
	if (!strcmp(v->compaction, "memory-short"))
		return "memory is short, compaction would not help";
	return "no 2M buddy order on this kernel";
}

static int print_verdicts(const struct frag_data *d, const struct mv_opts *o)
{
	unsigned int i;

	if (print_title(o, "Verdict (2M: free blocks of order >= 9 above the low watermark "
			"and reserves, "
			"no compaction or reclaim; 1G: upper bound from free memory, "
			"not checked for contiguity):"))
		return -EIO;
	for (i = 0; i < d->nr_nodes; i++) {
		const struct node_verdict *v = &d->nodes[i];
		char *free_s = mv_format(MV_FMT_SIZE, v->free_pages * PAGE_4K, o);
		char *fi = milli_str(v->frag_2m), *ui = milli_str(v->unusable_2m);
		char held[64] = "";
		int n = -1;

		if (v->free_2m > v->avail_2m)
			snprintf(held, sizeof(held), ", %" PRIu64 " more held back (watermark, reserves)",
				 v->free_2m - v->avail_2m);
		if (free_s && fi && ui)
			n = printf("node %u: %" PRIu64 " x 2M now (%s free%s, order-9 "
				   "unusable %s, frag %s): %s; 1G: at most %"
				   PRIu64 "%s\n",
				   v->node, v->avail_2m, free_s, held, ui, fi,
				   verdict_text(v), v->max_1g,
				   v->max_1g ? " (needs a contiguous-range allocation "
				   "that migrates pages; may fail)" : "");
		free(free_s);
		free(fi);
		free(ui);
		if (n < 0)
			return -EIO;
	}
	return 0;
}

static int frag_human(const struct frag_data *d, const struct mv_opts *o)
{
	int err;

	err = table_orders(d, o);
	if (!err && putchar('\n') == EOF)
		err = -EIO;
	if (!err)
		err = table_zones(d, o);
	if (!err && putchar('\n') == EOF)
		err = -EIO;
	if (!err)
		err = table_pools(d, o);
	if (!err && putchar('\n') == EOF)
		err = -EIO;
	if (!err)
		err = table_vmstat(d, o);
	if (!err && putchar('\n') == EOF)
		err = -EIO;
	if (!err)
		err = print_verdicts(d, o);
	return err;
}

/* ---- JSON ------------------------------------------------------------- */

static struct json_object *json_milli(int64_t m, int *err)
{
	char *s = milli_str(m);
	struct json_object *j;

	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	j = json_object_new_double_s((double)m / 1000.0, s);
	free(s);
	if (!j)
		*err = -ENOMEM;
	return j;
}

/* arr += new object; NULL and -ENOMEM in *err on failure. */
static struct json_object *json_push(struct json_object *arr, int *err)
{
	struct json_object *j = json_object_new_object();

	if (!j || json_object_array_add(arr, j)) {
		json_object_put(j);
		*err = -ENOMEM;
		return NULL;
	}
	return j;
}

static int json_add_u(struct json_object *obj, const char *key, uint64_t v)
{
	return mv_json_add_value(obj, key, MV_FMT_NUM, true, v);
}

static int json_zones(const struct frag_data *d, struct json_object *arr)
{
	unsigned int i, k;
	int err = 0;

	for (i = 0; i < d->nr_zones && !err; i++) {
		const struct mv_zone *z = &d->zones[i];
		struct json_object *jz = json_push(arr, &err), *orders;

		if (!jz)
			break;
		orders = json_object_new_array();
		err = json_add_u(jz, "node", z->node) ?:
		      mv_json_add(jz, "zone", json_object_new_string(z->name)) ?:
		      json_add_u(jz, "managed", z->managed_pages * PAGE_4K) ?:
		      json_add_u(jz, "free", z->free_pages * PAGE_4K) ?:
		      mv_json_add(jz, "max_free_order", z->max_free_order >= 0 ?
				  json_object_new_int(z->max_free_order) : NULL) ?:
		      (z->has_wmarks ? json_add_u(jz, "watermark_min", z->wmark_min * PAGE_4K) ?:
		       json_add_u(jz, "watermark_low", z->wmark_low * PAGE_4K) ?:
		       json_add_u(jz, "watermark_high", z->wmark_high * PAGE_4K) : 0) ?:
		      (z->has_reserves ?
		       json_add_u(jz, "lowmem_reserve", z->lowmem_reserve * PAGE_4K) ?:
		       json_add_u(jz, "highatomic", z->highatomic * PAGE_4K) : 0) ?:
		      mv_json_add(jz, "orders", orders);
		for (k = 0; k < z->nr_orders && !err && orders; k++) {
			struct json_object *jo = json_push(orders, &err);

			if (!jo)
				break;
			err = json_add_u(jo, "order", k) ?:
			      json_add_u(jo, "block", PAGE_4K << k) ?:
			      json_add_u(jo, "free_blocks", z->order[k].free_blocks) ?:
			      mv_json_add(jo, "unusable_index",
					  json_milli(z->order[k].unusable, &err)) ?:
			      mv_json_add(jo, "fragmentation_index",
					  json_milli(z->order[k].frag, &err));
		}
		if (!orders)
			err = -ENOMEM;
	}
	return err;
}

static int json_pools(const struct frag_data *d, struct json_object *arr)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < d->nr_pools && !err; i++) {
		const struct pool *p = &d->pools[i];
		struct json_object *j = json_push(arr, &err);

		if (!j)
			break;
		err = json_add_u(j, "pagesize", p->size) ?:
		      mv_json_add(j, "node", p->node >= 0 ?
				  json_object_new_int(p->node) : NULL) ?:
		      json_add_u(j, "total", p->total) ?:
		      json_add_u(j, "free", p->free) ?:
		      mv_json_add_value(j, "reserved", MV_FMT_NUM, p->has_resv,
					p->resv) ?:
		      json_add_u(j, "surplus", p->surplus);
	}
	return err;
}

static int json_vmstat(const struct frag_data *d, struct json_object *obj)
{
	const struct vmstat_sample *last = &d->vs[d->interval ? 1 : 0];
	size_t i;
	int err = 0;

	for (i = 0; i < NR_VMSTAT && !err; i++) {
		struct json_object *j;
		double rate;

		if (!last->have[i] || (d->interval && !d->vs[0].have[i]))
			continue;
		j = json_object_new_object();
		if (!j)
			return -ENOMEM;
		err = json_add_u(j, "total", last->val[i]);
		if (!err && d->interval) {
			rate = last->val[i] >= d->vs[0].val[i] ?
			       (double)(last->val[i] - d->vs[0].val[i]) / d->interval : 0;
			err = mv_json_add(j, "per_sec", json_object_new_double(rate));
		}
		if (err)
			json_object_put(j);
		else
			err = mv_json_add(obj, vmstat_names[i], j);
	}
	return err;
}

static int json_nodes(const struct frag_data *d, struct json_object *arr)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < d->nr_nodes && !err; i++) {
		const struct node_verdict *v = &d->nodes[i];
		struct json_object *j = json_push(arr, &err);

		if (!j)
			break;
		err = json_add_u(j, "node", v->node) ?:
		      json_add_u(j, "free", v->free_pages * PAGE_4K) ?:
		      json_add_u(j, "hugepages_2m_now", v->avail_2m) ?:
		      json_add_u(j, "free_blocks_2m", v->free_2m) ?:
		      json_add_u(j, "hugepages_1g_max", v->max_1g) ?:
		      mv_json_add(j, "unusable_index_2m",
				  json_milli(v->unusable_2m, &err)) ?:
		      mv_json_add(j, "fragmentation_index_2m",
				  json_milli(v->frag_2m, &err)) ?:
		      mv_json_add(j, "compaction",
				  json_object_new_string(v->compaction));
	}
	return err;
}

static int frag_json(const struct frag_data *d)
{
	struct json_object *root = json_object_new_object();
	struct json_object *zones = json_object_new_array();
	struct json_object *pools = json_object_new_array();
	struct json_object *vmstat = json_object_new_object();
	struct json_object *nodes = json_object_new_array();
	int err;

	if (!root || !zones || !pools || !vmstat || !nodes) {
		json_object_put(root);
		json_object_put(zones);
		json_object_put(pools);
		json_object_put(vmstat);
		json_object_put(nodes);
		return -ENOMEM;
	}
	err = mv_json_add(root, "interval", d->interval ?
			  json_object_new_int(d->interval) : NULL) ?:
	      mv_json_add(root, "zones", zones) ?:
	      mv_json_add(root, "hugetlb", pools) ?:
	      mv_json_add(root, "vmstat", vmstat) ?:
	      mv_json_add(root, "nodes", nodes);
	if (!err)
		err = json_zones(d, zones) ?: json_pools(d, pools) ?:
		      json_vmstat(d, vmstat) ?: json_nodes(d, nodes);
	if (!err)
		err = mv_json_print(root);
	json_object_put(root);
	return err;
}

/* ---- verb ------------------------------------------------------------- */

static int parse_interval(const char *arg, unsigned int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 1 || v > MAX_INTERVAL)
		return -1;
	*out = v;
	return 0;
}

int mv_cmd_frag(int argc, char **argv, struct mv_opts *o)
{
	static const struct option longopts[] = {
		MV_COMMON_LONGOPTS,
		{ "interval",	required_argument,	NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct frag_data *d;
	struct mv_nl *nl = NULL;
	int c, err, ret = MV_EXIT_FAILURE;
	unsigned int interval = 0;

	while ((c = getopt_long(argc, argv, MV_COMMON_SHORTOPTS "i:", longopts,
				NULL)) != -1) {
		if (mv_common_opt(c, o))
			continue;
		if (c == 'i') {
			if (parse_interval(optarg, &interval))
				return mv_usage_error("frag", "invalid interval '%s': "
						      "expected 1..%d seconds",
						      optarg, MAX_INTERVAL);
			continue;
		}
		if (c == 'h') {
			frag_usage();
			return MV_EXIT_OK;
		}
		fputs("Try 'memvirt frag --help' for more information.\n",
		      stderr);
		return MV_EXIT_USAGE;
	}
	if (optind < argc)
		return mv_usage_error("frag", "unexpected argument '%s'",
				      argv[optind]);
	if (!mv_opts_valid(o))
		return mv_usage_error("frag", "--json and --raw are mutually exclusive");

	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "memvirt: out of memory\n");
		return MV_EXIT_FAILURE;
	}
	d->interval = interval;
	nl = mv_nl_open();
	if (!nl)
		goto out;
	err = vmstat_read(&d->vs[0]);
	if (err) {
		fprintf(stderr, "memvirt: /proc/vmstat: %s\n", strerror(-err));
		goto out;
	}
	if (interval) {
		struct timespec ts = { .tv_sec = interval };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		err = vmstat_read(&d->vs[1]);
		if (err) {
			fprintf(stderr, "memvirt: /proc/vmstat: %s\n", strerror(-err));
			goto out;
		}
	}
	/* The zones and pools as they are at the end of the interval. */
	err = mv_nl_zone_dump(nl, zone_collect, d);
	if (err) {
		mv_nl_perror(nl, err, "reading the zones");
		goto out;
	}
	pools_read(d);
	verdicts(d);

	err = o->json ? frag_json(d) : frag_human(d, o);
	if (err) {
		fprintf(stderr, "memvirt: cannot print: %s\n", strerror(-err));
		goto out;
	}
	ret = MV_EXIT_OK;
out:
	mv_nl_close(nl);
	free(d);
	return ret;
}
