// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the zones without memvirt.ko, the same figures the module's
 * ZONE_GET gives (kmod/frag.c), read from procfs:
 *  - /proc/buddyinfo: free blocks per order of every populated zone (the
 *    module copies zone->free_area[].nr_free; the kernel prints the same);
 *  - /proc/zoneinfo: managed pages, the min/low/high watermarks (boost
 *    included, as the module's *_wmark_pages()), lowmem_reserve[] as
 *    "protection", of which the module reports the ZONE_MOVABLE entry;
 *  - /proc/pagetypeinfo (root only): pageblocks of type HighAtomic times
 *    pages per block, which is what zone->nr_reserved_highatomic counts.
 * Free pages, the largest free order and the two indices per order are
 * computed from the free blocks exactly as the module does (mv_zone_indices).
 * The files are read one after the other, not under the zone lock: the
 * buddy allocator may move between them, as it may between two dumps.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/zones-proc.h"

/* unusable(k) and frag(k) as kmod/frag.c (and the kernel's extfrag). */
void mv_zone_indices(struct mv_zone *z)
{
	uint64_t blocks = 0, suitable;
	unsigned int k, o;

	z->free_pages = 0;
	z->max_free_order = -1;
	for (o = 0; o < z->nr_orders; o++) {
		blocks += z->order[o].free_blocks;
		z->free_pages += z->order[o].free_blocks << o;
		if (z->order[o].free_blocks)
			z->max_free_order = o;
	}
	for (k = 0; k < z->nr_orders; k++) {
		uint64_t f = z->free_pages;

		suitable = 0;
		for (o = k; o < z->nr_orders; o++)
			suitable += z->order[o].free_blocks << (o - k);
		z->order[k].unusable = f ? (f - (suitable << k)) * 1000 / f : 1000;
		if (!blocks)
			z->order[k].frag = 0;
		else if (suitable)
			z->order[k].frag = -1000;
		else
			z->order[k].frag = 1000 - (int32_t)((1000 + ((f * 1000) >> k)) / blocks);
	}
}

struct proc_zones {
	struct mv_zone *z;
	size_t nr;
};

static struct mv_zone *find_zone(struct proc_zones *pz, uint32_t node, const char *name)
{
	size_t i;

	for (i = 0; i < pz->nr; i++)
		if (pz->z[i].node == node && !strcmp(pz->z[i].name, name))
			return &pz->z[i];
	return NULL;
}

/* "Node 0, zone   Normal ..." : the node, the zone name, the rest. */
static const char *zone_head(const char *line, uint32_t *node, char name[32])
{
	int n = 0;

	if (sscanf(line, "Node %" SCNu32 ", zone %31[A-Za-z0-9_]%n", node, name, &n) != 2)
		return NULL;
	return line + n;
}

/* /proc/buddyinfo: the zones, in the kernel's order (node, zone index). */
static int buddyinfo_read(struct proc_zones *pz)
{
	FILE *f = fopen("/proc/buddyinfo", "r");
	char line[1024];
	int err = 0;

	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		struct mv_zone z = { 0 }, *p;
		const char *s = zone_head(line, &z.node, z.name);
		unsigned long long v;
		int n;

		if (!s)
			continue;
		while (z.nr_orders < MV_MAX_ORDERS && sscanf(s, "%llu%n", &v, &n) == 1) {
			z.order[z.nr_orders++].free_blocks = v;
			s += n;
		}
		p = realloc(pz->z, (pz->nr + 1) * sizeof(*p));
		if (!p) {
			err = -ENOMEM;
			break;
		}
		pz->z = p;
		pz->z[pz->nr++] = z;
	}
	fclose(f);
	return err ?: pz->nr ? 0 : -ENODATA;
}

/* lowmem_reserve[ZONE_MOVABLE] from "protection: (a, b, ...)"; false if absent. */
static bool protection_at(const char *s, int idx, uint64_t *v)
{
	long long x;
	int i;

	s = strchr(s, '(');
	for (i = 0; s && i <= idx; i++, s = strchr(s, ',')) {
		if (sscanf(++s, "%lld", &x) != 1)
			return false;
		if (i == idx) {
			*v = x > 0 ? (uint64_t)x : 0;
			return true;
		}
	}
	return false;
}

struct zi_cur {
	struct mv_zone *z;
	unsigned int got;		/* bits: min low high managed */
	char protection[256];
};

static void zi_flush(struct zi_cur *c, int movable_idx)
{
	if (!c->z)
		return;
	c->z->has_wmarks = (c->got & 7) == 7;
	c->z->has_reserves = movable_idx >= 0 &&
			     protection_at(c->protection, movable_idx, &c->z->lowmem_reserve);
	memset(c, 0, sizeof(*c));
}

/* The ZONE_MOVABLE index: the place of "Movable" among node 0's zones. */
static int movable_index(FILE *f)
{
	char line[512], name[32];
	uint32_t node;
	int i = 0;

	while (fgets(line, sizeof(line), f))
		if (zone_head(line, &node, name) && node == 0) {
			if (!strcmp(name, "Movable"))
				return i;
			i++;
		}
	return -1;
}

/* /proc/zoneinfo: managed pages, watermarks, lowmem reserve. */
static int zoneinfo_read(struct proc_zones *pz)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	static const char *const keys[] = { "min", "low", "high", "managed" };
	struct zi_cur c = { 0 };
	char line[1024], key[64], name[32];
	int movable;
	uint32_t node;

	if (!f)
		return -errno;
	movable = movable_index(f);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		size_t i;
		int n;

		if (zone_head(line, &node, name)) {
			zi_flush(&c, movable);
			c.z = find_zone(pz, node, name);
			continue;
		}
		/* "        min      17": a key, then (here) one number. */
		n = c.z ? sscanf(line, "%63s %llu", key, &v) : 0;
		if (n >= 1 && !strcmp(key, "protection:"))
			snprintf(c.protection, sizeof(c.protection), "%.255s", line);
		for (i = 0; n == 2 && i < ARRAY_SIZE(keys); i++) {
			uint64_t *dst[] = { &c.z->wmark_min, &c.z->wmark_low,
					    &c.z->wmark_high, &c.z->managed_pages };

			if (!strcmp(key, keys[i])) {
				*dst[i] = v;
				c.got |= 1U << i;
			}
		}
	}
	zi_flush(&c, movable);
	fclose(f);
	return 0;
}

/* Column of @type in the "Number of blocks type ..." header; -1 if none. */
static int block_column(const char *header, const char *type)
{
	char word[64];
	int col = 0, n;

	header += strlen("Number of blocks type");
	while (sscanf(header, "%63s%n", word, &n) == 1) {
		if (!strcmp(word, type))
			return col;
		col++;
		header += n;
	}
	return -1;
}

/* /proc/pagetypeinfo: the highatomic reserve; -errno if unreadable. */
static int pagetypeinfo_read(struct proc_zones *pz)
{
	FILE *f = fopen("/proc/pagetypeinfo", "r");
	char line[1024], name[32];
	unsigned long long per_block = 0, v;
	int col = -1, n, i;
	uint32_t node;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct mv_zone *z;
		const char *s;

		if (sscanf(line, "Pages per block: %llu", &v) == 1)
			per_block = v;
		if (!strncmp(line, "Number of blocks type", 21)) {
			col = block_column(line, "HighAtomic");
			continue;
		}
		if (col < 0 || line[0] == '\n') {
			col = -1;
			continue;
		}
		s = zone_head(line, &node, name);
		z = s ? find_zone(pz, node, name) : NULL;
		for (i = 0; z && sscanf(s, "%llu%n", &v, &n) == 1; i++, s += n)
			if (i == col) {
				z->highatomic = v * per_block;
				z->has_highatomic = true;
			}
	}
	fclose(f);
	return per_block ? 0 : -ENODATA;
}

int mv_proc_zone_dump(mv_zone_cb cb, void *arg, char *why, size_t len)
{
	struct proc_zones pz = { 0 };
	size_t i;
	int err;

	why[0] = '\0';
	err = buddyinfo_read(&pz);
	if (err) {
		snprintf(why, len, "/proc/buddyinfo: %s", strerror(-err));
		goto out;
	}
	err = zoneinfo_read(&pz);
	if (err) {
		snprintf(why, len, "/proc/zoneinfo: %s", strerror(-err));
		goto out;
	}
	err = pagetypeinfo_read(&pz);
	if (err)
		snprintf(why, len, "/proc/pagetypeinfo: %s%s: the highatomic reserve "
			 "is unknown (not shown, not held back from the 2M counts)",
			 strerror(-err), err == -EACCES ? " (root only)" : "");
	err = 0;
	for (i = 0; i < pz.nr && !err; i++) {
		mv_zone_indices(&pz.z[i]);
		err = cb(&pz.z[i], arg);
	}
out:
	free(pz.z);
	return err;
}
