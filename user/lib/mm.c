// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: hugetlb pools, vmstat counters and the per-node 2M/1G
 * verdict. Sources, none of which needs privilege:
 *  - the zones: the module's (ZONE_GET), free blocks per node, zone and
 *    order with the kernel's unusable free space and fragmentation indices,
 *    or without it the same figures from procfs (lib/zones-proc.c);
 *  - /sys/kernel/mm/hugepages and /sys/devices/system/node/nodeN/hugepages;
 *  - /proc/vmstat: THP, compaction, migration counters.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mm.h"
#include "lib/util.h"

const char *const mv_vmstat_names[MV_NR_VMSTAT] = {
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

static bool pool_file(const char *dir, const char *pool, const char *name,
		      uint64_t *v)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, pool, name);
	return read_u64_file(path, v);
}

static struct mv_pool *pool_new(struct mv_mm *mm)
{
	struct mv_pool *p = realloc(mm->pools, (mm->nr_pools + 1) * sizeof(*p));

	if (!p)
		return NULL;
	mm->pools = p;
	memset(&p[mm->nr_pools], 0, sizeof(*p));
	return &p[mm->nr_pools];
}

/* Pools below @dir (".../hugepages"), for @node (-1: the host). */
static int pools_read_dir(struct mv_mm *mm, const char *dir, int node)
{
	struct dirent *de;
	DIR *dp = opendir(dir);
	int err = 0;

	if (!dp)
		return 0;
	while (!err && (de = readdir(dp))) {
		struct mv_pool *p;
		uint64_t kb;

		if (sscanf(de->d_name, "hugepages-%" SCNu64 "kB", &kb) != 1)
			continue;
		p = pool_new(mm);
		if (!p) {
			err = -ENOMEM;
			break;
		}
		p->node = node;
		p->size = kb * 1024;
		if (!pool_file(dir, de->d_name, "nr_hugepages", &p->total) ||
		    !pool_file(dir, de->d_name, "free_hugepages", &p->free) ||
		    !pool_file(dir, de->d_name, "surplus_hugepages", &p->surplus))
			continue;
		p->has_resv = node < 0 &&
			      pool_file(dir, de->d_name, "resv_hugepages", &p->resv);
		mm->nr_pools++;
	}
	closedir(dp);
	return err;
}

static int pool_cmp(const void *a, const void *b)
{
	const struct mv_pool *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->node - y->node;
}

static int pools_read(struct mv_mm *mm)
{
	struct dirent *de;
	char path[512];
	DIR *dp;
	int node, err;

	err = pools_read_dir(mm, "/sys/kernel/mm/hugepages", -1);
	dp = opendir("/sys/devices/system/node");
	while (!err && dp && (de = readdir(dp))) {
		if (sscanf(de->d_name, "node%d", &node) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/node/%s/hugepages",
			 de->d_name);
		err = pools_read_dir(mm, path, node);
	}
	if (dp)
		closedir(dp);
	if (mm->nr_pools)
		qsort(mm->pools, mm->nr_pools, sizeof(*mm->pools), pool_cmp);
	return err;
}

static int vmstat_read(struct mv_vmstat *s)
{
	char name[128];
	uint64_t v;
	size_t i;
	FILE *f = fopen("/proc/vmstat", "r");

	memset(s, 0, sizeof(*s));
	if (!f)
		return -errno;
	while (fscanf(f, "%127s %" SCNu64, name, &v) == 2)
		for (i = 0; i < MV_NR_VMSTAT; i++)
			if (!strcmp(name, mv_vmstat_names[i])) {
				s->have[i] = true;
				s->val[i] = v;
			}
	fclose(f);
	return 0;
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
	for (o = MV_ORDER_2M; o < z->nr_orders; o++)
		r->blocks += z->order[o].free_blocks << (o - MV_ORDER_2M);
	keep = z->has_wmarks ? z->wmark_low : 0;	/* else an older module */
	if (z->has_reserves)
		keep += z->lowmem_reserve;
	if (z->has_highatomic)
		keep += z->highatomic;
	r->headroom = z->free_pages > keep ? (z->free_pages - keep) >> MV_ORDER_2M : 0;
	r->avail = r->blocks < r->headroom ? r->blocks : r->headroom;
}

static struct mv_node *node_of(struct mv_mm *mm, uint32_t node)
{
	struct mv_node *v;
	size_t i;

	for (i = 0; i < mm->nr_nodes; i++)
		if (mm->nodes[i].node == node)
			return &mm->nodes[i];
	v = realloc(mm->nodes, (mm->nr_nodes + 1) * sizeof(*v));
	if (!v)
		return NULL;
	mm->nodes = v;
	v = &v[mm->nr_nodes++];
	memset(v, 0, sizeof(*v));
	v->node = node;
	v->unusable_2m = 1000;
	return v;
}

static void node_verdict(struct mv_node *v)
{
	v->max_1g = v->free_pages * MV_PAGE_4K / MV_SIZE_1G;
	if (v->nr_orders <= MV_ORDER_2M)
		v->compaction = "unknown";	/* no 2M buddy order here */
	else if (v->avail_2m)
		v->compaction = "not-needed";
	else if (!v->headroom_2m || v->frag_2m < 500)
		v->compaction = "memory-short";
	else
		v->compaction = "would-help";
}

static int verdicts(struct mv_mm *mm, const struct mv_zone *zones, size_t nr)
{
	uint64_t *most = calloc(nr ? nr : 1, sizeof(*most));
	size_t i;

	if (!most)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		const struct mv_zone *z = &zones[i];
		struct mv_node *v = node_of(mm, z->node);
		struct mv_zone_2m r;
		size_t n;

		if (!v) {
			free(most);
			return -ENOMEM;
		}
		n = v - mm->nodes;
		v->free_pages += z->free_pages;
		v->managed_pages += z->managed_pages;
		if (z->nr_orders > v->nr_orders)
			v->nr_orders = z->nr_orders;
		mv_zone_2m(z, &r);
		v->free_2m += r.blocks;
		v->headroom_2m += r.headroom;
		v->avail_2m += r.avail;
		if (z->nr_orders > MV_ORDER_2M && z->free_pages >= most[n]) {
			most[n] = z->free_pages;
			v->unusable_2m = z->order[MV_ORDER_2M].unusable;
			v->frag_2m = z->order[MV_ORDER_2M].frag;
		}
	}
	for (i = 0; i < mm->nr_nodes; i++)
		node_verdict(&mm->nodes[i]);
	free(most);
	return 0;
}

void mv_mm_free(struct mv_mm *mm)
{
	free(mm->pools);
	free(mm->nodes);
	memset(mm, 0, sizeof(*mm));
}

int mv_mm_read(struct mv_mm *mm, const struct mv_zone *zones, size_t nr_zones)
{
	mv_mm_free(mm);
	mm->vmstat_err = vmstat_read(&mm->vmstat);
	return pools_read(mm) ?: verdicts(mm, zones, nr_zones);
}
