// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: host backing of guest memory from /proc/PID/pagemap,
 * /proc/kpageflags and the sysfs node layout. See backing.h and the "Host
 * backing" section of Documentation/memvirt.rst.
 *
 * This file walks per 4K page: the pagemap of a range is read in chunks
 * of CHUNK_PAGES entries (one pread each). The chunk's present pages are
 * grouped into runs of consecutive PFNs; the runs are sorted by PFN and
 * merged into spans (gaps of up to SPAN_GAP pages are read through), and
 * each span's kpageflags is one pread. backing-huge.c replaces this walk,
 * a huge page at a time, where the VMM's memory is mapped by huge pages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/backing-int.h"

#define SPAN_GAP	64		/* read through holes up to this */
#define SPAN_MAX	CHUNK_PAGES	/* pages of flags per pread */

struct bk_run {
	uint64_t pfn;
	uint32_t idx, len;	/* entries of the chunk */
};

int bk_fail(struct mv_backing_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	return -1;
}

const char *mv_backing_error(const struct mv_backing_ctx *ctx)
{
	return ctx->err;
}

unsigned int mv_backing_nr_node_ids(const struct mv_backing_ctx *ctx)
{
	return ctx->nodes.nr_node_ids;
}

bool mv_backing_node_has_memory(const struct mv_backing_ctx *ctx,
				unsigned int node)
{
	return node < ctx->nodes.nr_node_ids && ctx->nodes.has_memory[node];
}

/* ---- context ---------------------------------------------------------- */

struct mv_backing_ctx *mv_backing_open(char *err, size_t errlen)
{
	struct mv_backing_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		goto nomem;
	ctx->pm_fd = -1;
	ctx->kpf_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (ctx->kpf_fd < 0) {
		if (errno == EACCES || errno == EPERM)
			snprintf(err, errlen, "host backing needs root "
				 "(/proc/kpageflags: %s)", strerror(errno));
		else
			snprintf(err, errlen, "/proc/kpageflags: %s (kernel "
				 "without CONFIG_PROC_PAGE_MONITOR?)",
				 strerror(errno));
		free(ctx);
		return NULL;
	}
	ctx->pm = malloc(CHUNK_PAGES * sizeof(*ctx->pm));
	ctx->fl = malloc(CHUNK_PAGES * sizeof(*ctx->fl));
	ctx->span = malloc(SPAN_MAX * sizeof(*ctx->span));
	ctx->runs = malloc(CHUNK_PAGES * sizeof(*ctx->runs));
	if (!ctx->pm || !ctx->fl || !ctx->span || !ctx->runs ||
	    mv_nodes_read(&ctx->nodes)) {
		mv_backing_close(ctx);
		goto nomem;
	}
	return ctx;
nomem:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

void mv_backing_close(struct mv_backing_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->kpf_fd >= 0)
		close(ctx->kpf_fd);
	bk_vmas_free(ctx);
	mv_nodes_free(&ctx->nodes);
	free(ctx->pm);
	free(ctx->fl);
	free(ctx->span);
	free(ctx->runs);
	free(ctx);
}

void mv_backing_release(struct mv_backing *b)
{
	free(b->node);
	b->node = NULL;
}

/* ---- accumulating ----------------------------------------------------- */

static void run_end(struct mv_backing *b)
{
	uint64_t bytes = b->cur_pages << PAGE_SHIFT;

	if (!b->cur_pages)
		return;
	b->runs++;
	if (bytes > b->longest_run)
		b->longest_run = bytes;
	if (!b->shortest_run || bytes < b->shortest_run)
		b->shortest_run = bytes;
	b->cur_pages = 0;
}

/* @n resident pages from @va, PFNs from @pfn, all of one node. */
static void add_resident(struct mv_backing *b, uint64_t va, uint64_t pfn,
			 uint64_t flags, int node, uint64_t n)
{
	uint64_t bytes = n << PAGE_SHIFT;

	b->resident += bytes;
	if (flags & KPF_BIT(KPF_THP))
		b->thp += bytes;
	if (flags & KPF_BIT(KPF_HUGE))
		b->hugetlb += bytes;
	if (node >= 0 && b->node)
		b->node[node] += bytes;
	else
		b->node_unknown += bytes;
	if (b->cur_pages && va == b->last_va + PAGE_SIZE &&
	    pfn == b->last_pfn + 1) {
		b->cur_pages += n;
	} else {
		run_end(b);
		b->cur_pages = n;
	}
	b->last_va = va + ((n - 1) << PAGE_SHIFT);
	b->last_pfn = pfn + n - 1;
}

/* bk_acc(), inlined into the walk per 4K page (n = 1). */
static inline __attribute__((always_inline))
void acc_pages(struct mv_backing_ctx *ctx, uint64_t va, uint64_t pe,
	       uint64_t flags, uint64_t n)
{
	uint64_t pfn = pe & PM_PFN_MASK, bytes = n << PAGE_SHIFT, end, k;
	size_t a;
	int node;

	if (!(pe & PM_PRESENT) || (flags & KPF_BIT(KPF_ZERO_PAGE))) {
		for (a = 0; a < ctx->nacc; a++) {
			struct mv_backing *b = ctx->acc[a];

			if (pe & PM_PRESENT)
				b->zero += bytes;
			else if (pe & PM_SWAP)
				b->swapped += bytes;
			else
				b->not_present += bytes;
		}
		return;
	}
	/* Resident: split where the node table changes. */
	while (n) {
		node = mv_nodes_pfn_span(&ctx->nodes, pfn, &end);
		k = end - pfn < n ? end - pfn : n;
		for (a = 0; a < ctx->nacc; a++)
			add_resident(ctx->acc[a], va, pfn, flags, node, k);
		va += k << PAGE_SHIFT;
		pfn += k;
		n -= k;
	}
}

void bk_acc(struct mv_backing_ctx *ctx, uint64_t va, uint64_t pe,
	    uint64_t flags, uint64_t n)
{
	acc_pages(ctx, va, pe, flags, n);
}

/* ---- reading ---------------------------------------------------------- */

/* pread until @len bytes or EOF; the rest is zeroed. 0 or -errno. */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  off + done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			break;
		done += n;
	}
	memset((char *)buf + done, 0, len - done);
	return 0;
}

static int run_cmp(const void *a, const void *b)
{
	const struct bk_run *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* Fills ctx->fl[] for the entries the runs cover. Sorts the runs. */
static int read_flags(struct mv_backing_ctx *ctx, size_t nr)
{
	struct bk_run *r = ctx->runs;
	size_t i = 0, j, k;
	int err;

	qsort(r, nr, sizeof(*r), run_cmp);
	while (i < nr) {
		uint64_t start = r[i].pfn, end = r[i].pfn + r[i].len;

		for (j = i + 1; j < nr; j++) {
			uint64_t e = r[j].pfn + r[j].len;

			if (r[j].pfn > end + SPAN_GAP ||
			    (e > end ? e : end) - start > SPAN_MAX)
				break;
			if (e > end)
				end = e;
		}
		err = pread_all(ctx->kpf_fd, ctx->span,
				(end - start) * sizeof(uint64_t),
				start * sizeof(uint64_t));
		if (err)
			return bk_fail(ctx, "/proc/kpageflags: %s",
				    strerror(-err)), err;
		for (k = i; k < j; k++)
			memcpy(&ctx->fl[r[k].idx], &ctx->span[r[k].pfn - start],
			       r[k].len * sizeof(uint64_t));
		i = j;
	}
	return 0;
}

int bk_pagemap(struct mv_backing_ctx *ctx, uint64_t va, uint64_t *buf,
	       size_t n)
{
	int err = pread_all(ctx->pm_fd, buf, n * sizeof(*buf),
			    (va >> PAGE_SHIFT) * sizeof(*buf));

	if (err == -ESRCH || err == -ENOENT)
		return bk_fail(ctx, "process %d is gone", (int)ctx->pid), -ESRCH;
	if (err)
		return bk_fail(ctx, "/proc/%d/pagemap: %s", (int)ctx->pid,
			       strerror(-err)), err;
	return 0;
}

int bk_kpageflags(struct mv_backing_ctx *ctx, uint64_t pfn, uint64_t *flags)
{
	int err = pread_all(ctx->kpf_fd, flags, sizeof(*flags),
			    pfn * sizeof(*flags));

	if (err)
		return bk_fail(ctx, "/proc/kpageflags: %s", strerror(-err)), err;
	return 0;
}

int bk_hidden(struct mv_backing_ctx *ctx)
{
	return bk_fail(ctx, "/proc/%d/pagemap hides physical addresses: host "
		       "backing needs root (CAP_SYS_ADMIN)", (int)ctx->pid),
	       -EPERM;
}

/*
 * Until smaps has been read, notes whether a 2M-aligned page of the chunk
 * at @va (@n entries, flags read) is part of a compound or hugetlb page.
 */
static void note_hint(struct mv_backing_ctx *ctx, uint64_t va, uint64_t n)
{
	uint64_t i = ((PMD_SIZE - (va & (PMD_SIZE - 1))) & (PMD_SIZE - 1)) >>
		     PAGE_SHIFT;

	for (; !ctx->have_vmas && i < n; i += PMD_PAGES)
		if ((ctx->pm[i] & PM_PRESENT) && (ctx->fl[i] & KPF_HINT))
			ctx->hint = true;
}

int bk_walk_4k(struct mv_backing_ctx *ctx, uint64_t start, uint64_t end)
{
	uint64_t va = start;

	while (va < end) {
		uint64_t n = (end - va) >> PAGE_SHIFT, i;
		size_t nr = 0;
		int err;

		if (n > CHUNK_PAGES)
			n = CHUNK_PAGES;
		err = bk_pagemap(ctx, va, ctx->pm, n);
		if (err)
			return err;

		for (i = 0; i < n; i++) {
			uint64_t e = ctx->pm[i], pfn = e & PM_PFN_MASK;
			struct bk_run *last = nr ? &ctx->runs[nr - 1] : NULL;

			if (!(e & PM_PRESENT))
				continue;
			if (!pfn)
				return bk_hidden(ctx);
			if (last && last->idx + last->len == i &&
			    last->pfn + last->len == pfn)
				last->len++;
			else
				ctx->runs[nr++] = (struct bk_run){ pfn, i, 1 };
		}
		err = read_flags(ctx, nr);
		if (err)
			return err;
		note_hint(ctx, va, n);

		for (i = 0; i < n; i++, va += PAGE_SIZE)
			acc_pages(ctx, va, ctx->pm[i],
				  (ctx->pm[i] & PM_PRESENT) ? ctx->fl[i] : 0, 1);
	}
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int acc_init(struct mv_backing_ctx *ctx, struct mv_backing *b)
{
	memset(b, 0, sizeof(*b));
	if (!ctx->nodes.nr_node_ids)
		return 0;
	b->node = calloc(ctx->nodes.nr_node_ids, sizeof(*b->node));
	return b->node ? 0 : -ENOMEM;
}

/* Opens @pid's pagemap; the fd, or -errno with the reason in ctx->err. */
static int open_pagemap(struct mv_backing_ctx *ctx, pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ESRCH) {
		bk_fail(ctx, "process %d is gone", (int)pid);
		return -ESRCH;
	}
	fd = -errno;
	if (errno == EACCES || errno == EPERM) {
		bk_fail(ctx, "%s: %s: host backing needs root", path, strerror(errno));
		return -EPERM;
	}
	bk_fail(ctx, "%s: %s", path, strerror(errno));
	return fd;
}

/* The ranges' page-aligned boundaries, sorted, each once; how many. */
static size_t range_bounds(const struct mv_backing_range *ranges, size_t nr,
			   struct mv_backing *per_range, uint64_t *bounds)
{
	size_t i, j, nb = 0;

	for (i = 0; i < nr; i++) {
		uint64_t s = ranges[i].hva & ~(PAGE_SIZE - 1);
		uint64_t e = (ranges[i].hva + ranges[i].size + PAGE_SIZE - 1) &
			     ~(PAGE_SIZE - 1);

		per_range[i].size = ranges[i].size;
		if (e <= s)
			continue;
		bounds[nb++] = s;
		bounds[nb++] = e;
	}
	qsort(bounds, nb, sizeof(*bounds), u64_cmp);
	for (i = 0, j = 0; i < nb; i++)
		if (!j || bounds[j - 1] != bounds[i])
			bounds[j++] = bounds[i];
	return j;
}

int mv_backing_vm(struct mv_backing_ctx *ctx, pid_t pid,
		  const struct mv_backing_range *ranges, size_t nr,
		  struct mv_backing *per_range, struct mv_backing *total)
{
	struct mv_backing **acc = NULL;
	uint64_t *bounds = NULL;
	size_t nb = 0, i, j, nacc;
	int fd = -1, err = -ENOMEM;

	for (i = 0; i < nr; i++)
		memset(&per_range[i], 0, sizeof(per_range[i]));
	memset(total, 0, sizeof(*total));
	for (i = 0; i < nr; i++)
		if (acc_init(ctx, &per_range[i]))
			goto nomem;
	if (acc_init(ctx, total))
		goto nomem;

	fd = open_pagemap(ctx, pid);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	ctx->pid = pid;
	ctx->pm_fd = fd;
	ctx->hint = false;
	ctx->have_vmas = false;

	/*
	 * Elementary intervals between all range boundaries: each is walked
	 * once and fed to every range covering it, and to the total if one
	 * of those counts towards it.
	 */
	bounds = malloc(2 * (nr ? nr : 1) * sizeof(*bounds));
	acc = malloc((nr + 1) * sizeof(*acc));
	if (!bounds || !acc)
		goto nomem;
	nb = range_bounds(ranges, nr, per_range, bounds);

	for (i = 0; i + 1 < nb; i++) {
		uint64_t s = bounds[i], e = bounds[i + 1];
		bool tot = false;

		nacc = 0;
		for (j = 0; j < nr; j++) {
			uint64_t rs = ranges[j].hva, re = rs + ranges[j].size;

			if (rs <= s && re >= e) {
				acc[nacc++] = &per_range[j];
				tot |= ranges[j].in_total;
			}
		}
		if (!nacc)
			continue;
		if (tot) {
			acc[nacc++] = total;
			total->size += e - s;
		}
		ctx->acc = acc;
		ctx->nacc = nacc;
		err = bk_walk(ctx, s, e);
		if (err)
			goto out;
	}
	for (i = 0; i < nr; i++)
		run_end(&per_range[i]);
	run_end(total);
	err = 0;
	goto out;
nomem:
	bk_fail(ctx, "out of memory");
	err = -ENOMEM;
out:
	bk_vmas_free(ctx);
	ctx->acc = NULL;
	ctx->nacc = 0;
	if (fd >= 0)
		close(fd);
	free(bounds);
	free(acc);
	if (err) {
		for (i = 0; i < nr; i++)
			mv_backing_release(&per_range[i]);
		mv_backing_release(total);
	}
	return err;
}
