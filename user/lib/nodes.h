/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: which NUMA node owns a PFN, from the memory blocks in sysfs
 * (/sys/devices/system/node/nodeN/memoryM).
 */
#ifndef MEMVIRT_NODES_H
#define MEMVIRT_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mv_pfn_range {
	uint64_t start, end;	/* PFNs, end exclusive */
	unsigned int node;
};

struct mv_nodes {
	struct mv_pfn_range *ranges;	/* sorted, disjoint */
	size_t nr_ranges, cap;
	size_t last_range;		/* lookup cache */
	unsigned int nr_node_ids;	/* node ids are 0..nr_node_ids-1 */
	bool *has_memory;		/* per node id */
	int single_node;		/* node of all memory, or -1 */
};

/* Reads the layout; 0 or -ENOMEM (no NUMA in sysfs: no nodes, 0). */
int mv_nodes_read(struct mv_nodes *n);
void mv_nodes_free(struct mv_nodes *n);
/* Node of @pfn, or -1. */
int mv_nodes_pfn(struct mv_nodes *n, uint64_t pfn);
/* The same, and in *@end the first PFN after @pfn whose answer may differ. */
int mv_nodes_pfn_span(struct mv_nodes *n, uint64_t pfn, uint64_t *end);

#endif /* MEMVIRT_NODES_H */
