// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the PFN -> node map. Node N owns the memory blocks
 * nodeN/memoryM, each block_size_bytes long from M * block_size_bytes;
 * adjacent blocks of one node are merged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/nodes.h"

#define PAGE_SHIFT	12
#define NODES_DIR	"/sys/devices/system/node"

static int range_cmp(const void *a, const void *b)
{
	const struct mv_pfn_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static bool read_u64_file(const char *path, int base, uint64_t *v)
{
	char buf[64], *end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	*v = strtoull(buf, &end, base);
	return end != buf;
}

static int add_range(struct mv_nodes *n, uint64_t start, uint64_t end,
		     unsigned int node)
{
	if (n->nr_ranges == n->cap) {
		size_t ncap = n->cap ? 2 * n->cap : 64;
		struct mv_pfn_range *r = realloc(n->ranges, ncap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		n->ranges = r;
		n->cap = ncap;
	}
	n->ranges[n->nr_ranges++] = (struct mv_pfn_range){ start, end, node };
	return 0;
}

/* "<prefix><digits>": the number, or -1. */
static long name_num(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);
	char *end;
	long v;

	if (strncmp(name, prefix, len) || !(name[len] >= '0' && name[len] <= '9'))
		return -1;
	v = strtol(name + len, &end, 10);
	return *end ? -1 : v;
}

static int grow_nodes(struct mv_nodes *n, unsigned int node)
{
	bool *has;

	if (node < n->nr_node_ids)
		return 0;
	has = realloc(n->has_memory, (node + 1) * sizeof(*has));
	if (!has)
		return -ENOMEM;
	memset(has + n->nr_node_ids, 0, (node + 1 - n->nr_node_ids) * sizeof(*has));
	n->has_memory = has;
	n->nr_node_ids = node + 1;
	return 0;
}

/* The memory blocks of node @node, @block_pages each. */
static int node_blocks(struct mv_nodes *n, const char *dir, unsigned int node,
		       uint64_t block_pages)
{
	struct dirent *me;
	DIR *md = block_pages ? opendir(dir) : NULL;
	int err = 0;

	while (!err && md && (me = readdir(md))) {
		long block = name_num(me->d_name, "memory");

		if (block < 0)
			continue;
		err = add_range(n, block * block_pages, (block + 1) * block_pages, node);
		n->has_memory[node] = true;
	}
	if (md)
		closedir(md);
	return err;
}

static void merge_ranges(struct mv_nodes *n)
{
	size_t i, out;

	qsort(n->ranges, n->nr_ranges, sizeof(*n->ranges), range_cmp);
	for (i = 0, out = 0; i < n->nr_ranges; i++) {
		if (out && n->ranges[out - 1].end == n->ranges[i].start &&
		    n->ranges[out - 1].node == n->ranges[i].node)
			n->ranges[out - 1].end = n->ranges[i].end;
		else
			n->ranges[out++] = n->ranges[i];
	}
	n->nr_ranges = out;
}

int mv_nodes_read(struct mv_nodes *n)
{
	uint64_t block_size = 0;
	int nodes_seen = 0, last_node = -1, err = 0;
	struct dirent *de;
	char path[320];
	DIR *d;

	n->single_node = -1;
	if (!read_u64_file("/sys/devices/system/memory/block_size_bytes", 16,
			   &block_size))
		block_size = 0;
	d = opendir(NODES_DIR);
	if (!d)
		return 0;	/* no NUMA in this kernel: no per-node bytes */
	while (!err && (de = readdir(d))) {
		long node = name_num(de->d_name, "node");

		if (node < 0 || node > 65535)
			continue;
		nodes_seen++;
		last_node = node;
		snprintf(path, sizeof(path), "%s/%s", NODES_DIR, de->d_name);
		err = grow_nodes(n, node) ?:
		      node_blocks(n, path, node, block_size >> PAGE_SHIFT);
	}
	closedir(d);
	if (err)
		return err;
	/* Without memory blocks in sysfs only a single node can be told. */
	if (!n->nr_ranges && nodes_seen == 1) {
		n->single_node = last_node;
		n->has_memory[last_node] = true;
	}
	merge_ranges(n);
	return 0;
}

void mv_nodes_free(struct mv_nodes *n)
{
	free(n->ranges);
	free(n->has_memory);
	memset(n, 0, sizeof(*n));
}

int mv_nodes_pfn_span(struct mv_nodes *n, uint64_t pfn, uint64_t *end)
{
	const struct mv_pfn_range *r = n->ranges;
	size_t lo = 0, hi = n->nr_ranges;

	*end = UINT64_MAX;
	if (n->single_node >= 0)
		return n->single_node;
	if (!hi)
		return -1;
	if (pfn >= r[n->last_range].start && pfn < r[n->last_range].end) {
		*end = r[n->last_range].end;
		return r[n->last_range].node;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pfn < r[mid].start)
			hi = mid;
		else if (pfn >= r[mid].end)
			lo = mid + 1;
		else {
			n->last_range = mid;
			*end = r[mid].end;
			return r[mid].node;
		}
	}
	/* In no range: unknown up to the next range. */
	if (lo < n->nr_ranges)
		*end = r[lo].start;
	return -1;
}

int mv_nodes_pfn(struct mv_nodes *n, uint64_t pfn)
{
	uint64_t end;

	return mv_nodes_pfn_span(n, pfn, &end);
}
