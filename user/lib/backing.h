/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: host backing of guest memory, from the stable ABI.
 *
 * A memslot's guest memory is the range [HVA, HVA + size) of the VMM's
 * address space. /proc/PID/pagemap says for each 4K page of it whether a
 * frame is mapped (and its PFN) or the page is swapped; /proc/kpageflags
 * says what each frame is (THP, hugetlb, the shared zero page);
 * /sys/devices/system/node/nodeN/memoryM says which node owns a PFN.
 * Nothing here faults a page in or changes the VMM.
 *
 * Every page of a range lands in exactly one of resident, zero, swapped and
 * not_present, so they add up to the range's size. THP and hugetlb bytes
 * and the per-node bytes are parts of resident. A run is a maximal sequence
 * of resident pages at consecutive addresses with consecutive PFNs.
 */
#ifndef MEMVIRT_BACKING_H
#define MEMVIRT_BACKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mv_backing {
	uint64_t size;		/* bytes examined */
	uint64_t resident;	/* mapped to a frame of its own */
	uint64_t zero;		/* mapped to the shared zero page */
	uint64_t thp;		/* resident in transparent huge pages */
	uint64_t hugetlb;	/* resident in hugetlbfs pages */
	uint64_t swapped;	/* in swap */
	uint64_t not_present;	/* nothing mapped (never touched, dropped) */
	uint64_t runs;		/* physically contiguous runs */
	uint64_t longest_run;	/* bytes; 0 without runs */
	uint64_t shortest_run;	/* bytes; 0 without runs */
	uint64_t node_unknown;	/* resident bytes no node claims */
	uint64_t *node;		/* resident bytes per node id, nr_node_ids */

	/* Walk state: the run being built. */
	uint64_t last_va, last_pfn, cur_pages;
};

/* One range to examine; ranges of the VM total are merged first. */
struct mv_backing_range {
	uint64_t hva;
	uint64_t size;
	bool in_total;		/* counts towards the VM total */
};

struct mv_backing_ctx;

/*
 * Opens /proc/kpageflags and reads the node layout. NULL on failure, with
 * the reason (and the fix) in @err.
 */
struct mv_backing_ctx *mv_backing_open(char *err, size_t errlen);
void mv_backing_close(struct mv_backing_ctx *ctx);

/* Node ids are 0..nr-1; mv_backing_node_has_memory() says which exist. */
unsigned int mv_backing_nr_node_ids(const struct mv_backing_ctx *ctx);
bool mv_backing_node_has_memory(const struct mv_backing_ctx *ctx,
				unsigned int node);

/*
 * Examines @nr ranges of process @pid's address space: per_range[i] for
 * each, *total over the union of the ranges marked in_total (each page
 * once). The results must be released with mv_backing_release(). Returns 0
 * or a negative errno with the reason in mv_backing_error(): -EPERM when
 * PFNs are hidden (not root), -ESRCH when the process is gone.
 */
int mv_backing_vm(struct mv_backing_ctx *ctx, pid_t pid,
		  const struct mv_backing_range *ranges, size_t nr,
		  struct mv_backing *per_range, struct mv_backing *total);
const char *mv_backing_error(const struct mv_backing_ctx *ctx);
void mv_backing_release(struct mv_backing *b);

#endif /* MEMVIRT_BACKING_H */
