/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: what backing.c (the context, the accumulators, the walk per
 * 4K page) and backing-huge.c (ranges mapped by huge pages) share. Not an
 * interface: lib/backing.h is.
 */
#ifndef MEMVIRT_BACKING_INT_H
#define MEMVIRT_BACKING_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/backing.h"
#include "lib/nodes.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ULL << PAGE_SHIFT)
#define PMD_SIZE	(1ULL << 21)
#define PMD_PAGES	(PMD_SIZE >> PAGE_SHIFT)

/* /proc/PID/pagemap, Documentation/admin-guide/mm/pagemap.rst */
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define PM_SWAP		(1ULL << 62)
#define PM_PRESENT	(1ULL << 63)

/* /proc/kpageflags bits, include/uapi/linux/kernel-page-flags.h */
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define KPF_HUGE		17
#define KPF_THP			22
#define KPF_ZERO_PAGE		24
#define KPF_BIT(b)		(1ULL << (b))
/* A page that may be mapped by a huge page: worth reading smaps for. */
#define KPF_HINT	(KPF_BIT(KPF_COMPOUND_HEAD) | KPF_BIT(KPF_COMPOUND_TAIL) | \
			 KPF_BIT(KPF_HUGE))
#define HINT_PROBES	8		/* 2M pages probed per chunk */

#define CHUNK_PAGES	65536ULL	/* 512K of pagemap per pread */

struct bk_run;
struct bk_vma;

struct mv_backing_ctx {
	int kpf_fd;
	struct mv_nodes nodes;		/* PFN -> node */

	uint64_t *pm;			/* CHUNK_PAGES pagemap entries */
	uint64_t *fl;			/* their kpageflags */
	uint64_t *span;			/* kpageflags of one span */
	struct bk_run *runs;		/* CHUNK_PAGES at most */
	char err[256];

	/* One mv_backing_vm() call; the walk feeds acc[0..nacc). */
	pid_t pid;
	int pm_fd;
	struct mv_backing **acc;
	size_t nacc;
	bool hint;			/* a chunk mapped compound/hugetlb pages */
	bool have_vmas;			/* smaps read (or unreadable: none) */
	struct bk_vma *vmas;		/* sorted by address */
	size_t nr_vmas;
};

__attribute__((format(printf, 2, 3)))
int bk_fail(struct mv_backing_ctx *ctx, const char *fmt, ...);
/* @n pagemap entries from @va into @buf; 0 or -errno, reason in ctx. */
int bk_pagemap(struct mv_backing_ctx *ctx, uint64_t va, uint64_t *buf,
	       size_t n);
/* The kpageflags of @pfn; 0 or -errno, reason in ctx. */
int bk_kpageflags(struct mv_backing_ctx *ctx, uint64_t pfn, uint64_t *flags);
/* The error of a present entry with a zeroed PFN (not root). */
int bk_hidden(struct mv_backing_ctx *ctx);

/*
 * Counts @n pages from @va whose first pagemap entry is @pe and kpageflags
 * @flags, each page as the walk per 4K would: PFN, node and run advance
 * page by page, everything else is the first page's.
 */
void bk_acc(struct mv_backing_ctx *ctx, uint64_t va, uint64_t pe,
	    uint64_t flags, uint64_t n);
/* Walks [start, end) per 4K page (backing.c). */
int bk_walk_4k(struct mv_backing_ctx *ctx, uint64_t start, uint64_t end);

/* Walks [start, end), a huge page at a time where it can (backing-huge.c). */
int bk_walk(struct mv_backing_ctx *ctx, uint64_t start, uint64_t end);
/* Drops the VMA table of the call. */
void bk_vmas_free(struct mv_backing_ctx *ctx);

#endif /* MEMVIRT_BACKING_INT_H */
