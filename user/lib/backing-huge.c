// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: host backing where the VMM's memory is mapped by huge pages,
 * at the cost of one pagemap entry per huge page instead of one per 4K
 * page. The walk per 4K page (backing.c) stays the reference: this file
 * replaces it only where the kernel guarantees what the skipped 4K entries
 * hold, so the figures are the same. Documentation/memvirt.rst, "Host
 * backing", "Cost", says the same for users.
 *
 * - Until a page at a 2M-aligned address is found to be part of a compound
 *   or hugetlb page (probed before each chunk of the walk per 4K, and seen
 *   in the chunk), nothing more is read: 4K memory costs what it did. Then
 *   /proc/PID/smaps is read once, for each VMA's KernelPageSize and
 *   PMD-mapped bytes (AnonHugePages + ShmemPmdMapped + FilePmdMapped).
 * - hugetlb VMAs (KernelPageSize > 4 kB): a huge page is mapped or not as a
 *   whole, and the kernel fills each of its 4K pagemap entries from the one
 *   huge PTE (pagemap_hugetlb_range(): the PFN plus the offset, the same
 *   flags). One entry and one kpageflags read per huge page tell them all.
 * - THP: a PMD maps an order-9 folio at a 2M-aligned address, so the
 *   first entry of a PMD-mapped block maps a compound page and its last
 *   entry the PFN 511 above. The 2M blocks of the VMA that look so are the
 *   candidates, and they include every PMD-mapped block: when their bytes
 *   equal smaps' PMD-mapped bytes, they are exactly the PMD-mapped blocks
 *   (all 512 pages present, consecutive PFNs, one folio). When they differ
 *   (a THP split by MADV_DONTNEED or mremap, PTE-mapped THPs, mTHP), the
 *   whole VMA is walked per 4K. The huge zero page is never mapped by
 *   PTEs (splitting its PMD maps the 4K zero page) and smaps leaves it
 *   out, so a block that looks like it is counted as zero as it is.
 *
 * Like the walk per 4K, this is a snapshot taken while the VMM runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/backing-int.h"

enum bk_state { VMA_UNKNOWN, VMA_4K, VMA_THP };
enum bk_kind { BLK_4K, BLK_THP, BLK_ZERO };

/* One 2M block of a THP VMA: its first and last pagemap entries. */
struct bk_blk {
	uint64_t first, last, flags;
	enum bk_kind kind;
};

struct bk_vma {
	uint64_t start, end;		/* from smaps */
	uint64_t pagesize;		/* KernelPageSize */
	uint64_t pmd_bytes;		/* PMD-mapped THP bytes */
	enum bk_state state;
	struct bk_blk *blk;		/* from the first 2M boundary */
	size_t nr_blk;
};

#define ALIGN_UP(x, a)		(((x) + (a) - 1) & ~((a) - 1))
#define ALIGN_DOWN(x, a)	((x) & ~((a) - 1))
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))

void bk_vmas_free(struct mv_backing_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nr_vmas; i++)
		free(ctx->vmas[i].blk);
	free(ctx->vmas);
	ctx->vmas = NULL;
	ctx->nr_vmas = 0;
}

/* A "Key:   N kB" line of smaps: adds N KiB to *@v. */
static bool smaps_kb(const char *line, const char *key, uint64_t *v)
{
	size_t len = strlen(key);
	uint64_t kb;

	if (strncmp(line, key, len) || line[len] != ':' ||
	    sscanf(line + len + 1, "%" SCNu64, &kb) != 1)
		return false;
	*v += kb << 10;
	return true;
}

/* One line of smaps into the table; -ENOMEM or 0. */
static int smaps_line(struct mv_backing_ctx *ctx, size_t *cap,
		      const char *line)
{
	struct bk_vma *v = ctx->nr_vmas ? &ctx->vmas[ctx->nr_vmas - 1] : NULL;
	uint64_t start, end, ps = 0;
	char sp;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 "%c", &start, &end, &sp) == 3 &&
	    sp == ' ') {
		if (ctx->nr_vmas == *cap) {
			size_t n = *cap ? 2 * *cap : 64;
			void *p = realloc(ctx->vmas, n * sizeof(*ctx->vmas));

			if (!p)
				return -ENOMEM;
			ctx->vmas = p;
			*cap = n;
		}
		ctx->vmas[ctx->nr_vmas++] = (struct bk_vma){
			.start = start, .end = end, .pagesize = PAGE_SIZE,
		};
		return 0;
	}
	if (!v)
		return 0;
	if (smaps_kb(line, "KernelPageSize", &ps))
		v->pagesize = ps;
	else if (!smaps_kb(line, "AnonHugePages", &v->pmd_bytes) &&
		 !smaps_kb(line, "ShmemPmdMapped", &v->pmd_bytes))
		smaps_kb(line, "FilePmdMapped", &v->pmd_bytes);
	return 0;
}

/*
 * Reads /proc/PID/smaps into ctx->vmas. A smaps that cannot be read in
 * full leaves no table: every range is then walked per 4K.
 */
static int read_vmas(struct mv_backing_ctx *ctx)
{
	size_t cap = 0, len = 0;
	char path[64], *line = NULL;
	int err = 0;
	FILE *f;

	ctx->have_vmas = true;
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)ctx->pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!err && getline(&line, &len, f) > 0)
		err = smaps_line(ctx, &cap, line);
	if (err || ferror(f))
		bk_vmas_free(ctx);
	free(line);
	fclose(f);
	if (err)
		return bk_fail(ctx, "out of memory"), err;
	return 0;
}

/* The VMA holding @va, or NULL; *@next: where the answer changes. */
static struct bk_vma *vma_at(struct mv_backing_ctx *ctx, uint64_t va,
			     uint64_t *next)
{
	size_t lo = 0, hi = ctx->nr_vmas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct bk_vma *v = &ctx->vmas[mid];

		if (va < v->start) {
			hi = mid;
		} else if (va >= v->end) {
			lo = mid + 1;
		} else {
			*next = v->end;
			return v;
		}
	}
	*next = lo < ctx->nr_vmas ? ctx->vmas[lo].start : UINT64_MAX;
	return NULL;
}

/* Classifies a block from its first and last entries (see the top). */
static int probe_blk(struct mv_backing_ctx *ctx, struct bk_blk *b)
{
	uint64_t pfn = b->first & PM_PFN_MASK;
	int err;

	b->kind = BLK_4K;
	if (!(b->first & PM_PRESENT) || !(b->last & PM_PRESENT))
		return 0;
	if (!pfn)
		return bk_hidden(ctx);
	if ((b->last & PM_PFN_MASK) != pfn + PMD_PAGES - 1)
		return 0;
	err = bk_kpageflags(ctx, pfn, &b->flags);
	if (err)
		return err;
	if (!(b->flags & (KPF_BIT(KPF_COMPOUND_HEAD) |
			  KPF_BIT(KPF_COMPOUND_TAIL))) ||
	    (b->flags & KPF_BIT(KPF_HUGE)))
		return 0;
	b->kind = b->flags & KPF_BIT(KPF_ZERO_PAGE) ? BLK_ZERO : BLK_THP;
	return 0;
}

/*
 * Finds the candidate blocks of the whole VMA and keeps them if their
 * bytes are smaps' PMD-mapped bytes; otherwise the VMA goes per 4K.
 */
static int probe_thp(struct mv_backing_ctx *ctx, struct bk_vma *v)
{
	uint64_t base = ALIGN_UP(v->start, PMD_SIZE), thp = 0, e[2];
	uint64_t lim = ALIGN_DOWN(v->end, PMD_SIZE);
	size_t k, nb = lim > base ? (lim - base) / PMD_SIZE : 0;
	int err;

	v->state = VMA_4K;
	if (!nb || !base)	/* (base - 4K is read below) */
		return 0;
	v->blk = calloc(nb, sizeof(*v->blk));
	if (!v->blk)
		return bk_fail(ctx, "out of memory"), -ENOMEM;
	v->nr_blk = nb;
	/* One read each: the last entry of block k - 1, the first of k. */
	for (k = 0; k < nb; k++) {
		err = bk_pagemap(ctx, base + k * PMD_SIZE - PAGE_SIZE, e, 2);
		if (err)
			return err;
		if (k)
			v->blk[k - 1].last = e[0];
		v->blk[k].first = e[1];
	}
	err = bk_pagemap(ctx, lim - PAGE_SIZE, &v->blk[nb - 1].last, 1);
	for (k = 0; !err && k < nb; k++) {
		err = probe_blk(ctx, &v->blk[k]);
		if (v->blk[k].kind == BLK_THP)
			thp += PMD_SIZE;
	}
	if (err)
		return err;
	if (thp == v->pmd_bytes)
		v->state = VMA_THP;
	return 0;
}

/* [va, end) of a THP VMA whose candidates are its PMD-mapped blocks. */
static int walk_thp(struct mv_backing_ctx *ctx, const struct bk_vma *v,
		    uint64_t va, uint64_t end)
{
	uint64_t base = ALIGN_UP(v->start, PMD_SIZE), from = va;
	size_t k = va > base ? (va - base) / PMD_SIZE : 0;
	int err;

	for (; k < v->nr_blk && base + k * PMD_SIZE < end; k++) {
		const struct bk_blk *b = &v->blk[k];
		uint64_t bva = base + k * PMD_SIZE;
		uint64_t s = MAX(va, bva), z = MIN(end, bva + PMD_SIZE);

		if (b->kind == BLK_4K || s >= z)
			continue;
		if (from < s) {
			err = bk_walk_4k(ctx, from, s);
			if (err)
				return err;
		}
		bk_acc(ctx, s, b->first + ((s - bva) >> PAGE_SHIFT), b->flags,
		       (z - s) >> PAGE_SHIFT);
		from = z;
	}
	return from < end ? bk_walk_4k(ctx, from, end) : 0;
}

/* [va, end) of a hugetlb VMA: one entry per huge page. */
static int walk_hugetlb(struct mv_backing_ctx *ctx, const struct bk_vma *v,
			uint64_t va, uint64_t end)
{
	uint64_t ps = v->pagesize, hp, e, flags;
	int err = 0;

	for (hp = ALIGN_DOWN(va, ps); !err && hp < end; hp += ps) {
		uint64_t s = MAX(va, hp), z = MIN(end, hp + ps);

		flags = 0;
		err = bk_pagemap(ctx, s, &e, 1);
		if (!err && (e & PM_PRESENT)) {
			if (!(e & PM_PFN_MASK))
				return bk_hidden(ctx);
			err = bk_kpageflags(ctx, e & PM_PFN_MASK, &flags);
			/* Not the hugetlb page smaps promised: per 4K. */
			if (!err && !(flags & KPF_BIT(KPF_HUGE))) {
				err = bk_walk_4k(ctx, s, z);
				continue;
			}
		}
		if (!err)
			bk_acc(ctx, s, e, flags, (z - s) >> PAGE_SHIFT);
	}
	return err;
}

/* [va, end) inside one VMA of the table (or between VMAs: @v NULL). */
static int walk_vma(struct mv_backing_ctx *ctx, struct bk_vma *v,
		    uint64_t va, uint64_t end)
{
	int err;

	if (!v)
		return bk_walk_4k(ctx, va, end);
	if (v->pagesize > PAGE_SIZE && !(v->pagesize & (v->pagesize - 1)))
		return walk_hugetlb(ctx, v, va, end);
	if (v->pmd_bytes && v->state == VMA_UNKNOWN) {
		err = probe_thp(ctx, v);
		if (err)
			return err;
	}
	if (v->state == VMA_THP)
		return walk_thp(ctx, v, va, end);
	return bk_walk_4k(ctx, va, end);
}

/*
 * Before a chunk is walked per 4K: the first present of its first few
 * 2M-aligned pages, is it part of a compound or hugetlb page? Two small
 * reads per chunk of 4K memory.
 */
static int probe_hint(struct mv_backing_ctx *ctx, uint64_t va, uint64_t end)
{
	uint64_t a = ALIGN_UP(va, PMD_SIZE), e, flags;
	int i, err;

	for (i = 0; i < HINT_PROBES && a + PMD_SIZE <= end; i++, a += PMD_SIZE) {
		err = bk_pagemap(ctx, a, &e, 1);
		if (err)
			return err;
		if (!(e & PM_PRESENT))
			continue;
		if (!(e & PM_PFN_MASK))
			return bk_hidden(ctx);
		err = bk_kpageflags(ctx, e & PM_PFN_MASK, &flags);
		if (!err && (flags & KPF_HINT))
			ctx->hint = true;
		return err;
	}
	return 0;
}

int bk_walk(struct mv_backing_ctx *ctx, uint64_t va, uint64_t end)
{
	int err = 0;

	while (!err && va < end) {
		uint64_t z;

		if (ctx->have_vmas) {
			struct bk_vma *v = vma_at(ctx, va, &z);

			z = MIN(z, end);
			err = walk_vma(ctx, v, va, z);
			va = z;
			continue;
		}
		/* Per 4K until a probe or a chunk shows a hint. */
		z = end - va > CHUNK_PAGES << PAGE_SHIFT ?
		    va + (CHUNK_PAGES << PAGE_SHIFT) : end;
		err = probe_hint(ctx, va, z);
		if (!err && !ctx->hint) {
			err = bk_walk_4k(ctx, va, z);
			va = z;
		}
		if (!err && ctx->hint)
			err = read_vmas(ctx);
	}
	return err;
}
