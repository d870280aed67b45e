// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: host backing of guest memory from /proc/PID/pagemap,
 * /proc/kpageflags and the sysfs node layout. See backing.h and the "Host
 * backing" section of Documentation/memvirt.rst.
 *
 * Cost: the pagemap of a range is read in chunks of CHUNK_PAGES entries
 * (one pread each). The chunk's present pages are grouped into runs of
 * consecutive PFNs; the runs are sorted by PFN and merged into spans
 * (gaps of up to SPAN_GAP pages are read through), and each span's
 * kpageflags is one pread. THP and hugetlb memory thus costs one flags
 * read per huge page at most, scattered 4K memory a few per chunk.
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

#include "lib/backing.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ULL << PAGE_SHIFT)

/* /proc/PID/pagemap, Documentation/admin-guide/mm/pagemap.rst */
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define PM_SWAP		(1ULL << 62)
#define PM_PRESENT	(1ULL << 63)

/* /proc/kpageflags bits, include/uapi/linux/kernel-page-flags.h */
#define KPF_HUGE	17
#define KPF_THP		22
#define KPF_ZERO_PAGE	24

#define CHUNK_PAGES	65536ULL	/* 512K of pagemap per pread */
#define SPAN_GAP	64		/* read through holes up to this */
#define SPAN_MAX	CHUNK_PAGES	/* pages of flags per pread */

struct pfn_range {
	uint64_t start, end;	/* PFNs, end exclusive */
	unsigned int node;
};

struct run {
	uint64_t pfn;
	uint32_t idx, len;	/* entries of the chunk */
};

struct mv_backing_ctx {
	int kpf_fd;
	struct pfn_range *ranges;	/* sorted, disjoint */
	size_t nr_ranges;
	size_t last_range;		/* lookup cache */
	unsigned int nr_node_ids;
	bool *has_memory;
	int single_node;		/* node of all memory, or -1 */

	uint64_t *pm;			/* CHUNK_PAGES pagemap entries */
	uint64_t *fl;			/* their kpageflags */
	uint64_t *span;			/* SPAN_MAX flags of one span */
	struct run *runs;		/* CHUNK_PAGES at most */
	char err[256];
};

__attribute__((format(printf, 2, 3)))
static int fail(struct mv_backing_ctx *ctx, const char *fmt, ...)
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
	return ctx->nr_node_ids;
}

bool mv_backing_node_has_memory(const struct mv_backing_ctx *ctx,
				unsigned int node)
{
	return node < ctx->nr_node_ids && ctx->has_memory[node];
}

/* ---- PFN -> node ------------------------------------------------------ */

static int range_cmp(const void *a, const void *b)
{
	const struct pfn_range *x = a, *y = b;

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

static int add_range(struct mv_backing_ctx *ctx, size_t *cap, uint64_t start,
		     uint64_t end, unsigned int node)
{
	if (ctx->nr_ranges == *cap) {
		size_t ncap = *cap ? 2 * *cap : 64;
		struct pfn_range *r = realloc(ctx->ranges, ncap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		ctx->ranges = r;
		*cap = ncap;
	}
	ctx->ranges[ctx->nr_ranges++] = (struct pfn_range){ start, end, node };
	return 0;
}

/*
 * Node N owns the memory blocks nodeN/memoryM, each block_size_bytes long
 * from M * block_size_bytes. Adjacent blocks of one node are merged.
 */
static int read_nodes(struct mv_backing_ctx *ctx)
{
	const char *base = "/sys/devices/system/node";
	uint64_t block_size = 0, block_pages;
	size_t cap = 0, i, out;
	int nodes_seen = 0, last_node = -1;
	struct dirent *de, *me;
	char path[320];
	DIR *d, *md;
	bool *has;

	ctx->single_node = -1;
	if (!read_u64_file("/sys/devices/system/memory/block_size_bytes", 16,
			   &block_size))
		block_size = 0;
	block_pages = block_size >> PAGE_SHIFT;
	d = opendir(base);
	if (!d)
		return 0;	/* no NUMA in this kernel: no per-node bytes */
	while ((de = readdir(d))) {
		unsigned int node;
		char *end;

		if (strncmp(de->d_name, "node", 4) ||
		    !(de->d_name[4] >= '0' && de->d_name[4] <= '9'))
			continue;
		node = strtoul(de->d_name + 4, &end, 10);
		if (*end || node > 65535)
			continue;
		if (node + 1 > ctx->nr_node_ids) {
			has = realloc(ctx->has_memory, (node + 1) * sizeof(*has));
			if (!has)
				goto nomem;
			memset(has + ctx->nr_node_ids, 0,
			       (node + 1 - ctx->nr_node_ids) * sizeof(*has));
			ctx->has_memory = has;
			ctx->nr_node_ids = node + 1;
		}
		nodes_seen++;
		last_node = node;
		snprintf(path, sizeof(path), "%s/%s", base, de->d_name);
		md = block_pages ? opendir(path) : NULL;
		while (md && (me = readdir(md))) {
			uint64_t block;

			if (strncmp(me->d_name, "memory", 6) ||
			    !(me->d_name[6] >= '0' && me->d_name[6] <= '9'))
				continue;
			block = strtoull(me->d_name + 6, &end, 10);
			if (*end)
				continue;
			if (add_range(ctx, &cap, block * block_pages,
				      (block + 1) * block_pages, node)) {
				closedir(md);
				goto nomem;
			}
			ctx->has_memory[node] = true;
		}
		if (md)
			closedir(md);
	}
	closedir(d);

	/* Without memory blocks in sysfs only a single node can be told. */
	if (!ctx->nr_ranges && nodes_seen == 1) {
		ctx->single_node = last_node;
		ctx->has_memory[last_node] = true;
	}
	qsort(ctx->ranges, ctx->nr_ranges, sizeof(*ctx->ranges), range_cmp);
	for (i = 0, out = 0; i < ctx->nr_ranges; i++) {
		if (out && ctx->ranges[out - 1].end == ctx->ranges[i].start &&
		    ctx->ranges[out - 1].node == ctx->ranges[i].node)
			ctx->ranges[out - 1].end = ctx->ranges[i].end;
		else
			ctx->ranges[out++] = ctx->ranges[i];
	}
	ctx->nr_ranges = out;
	return 0;
nomem:
	closedir(d);
	return -ENOMEM;
}

/* Node of @pfn, or -1. */
static int pfn_node(struct mv_backing_ctx *ctx, uint64_t pfn)
{
	const struct pfn_range *r = ctx->ranges;
	size_t lo = 0, hi = ctx->nr_ranges;

	if (ctx->single_node >= 0)
		return ctx->single_node;
	if (!hi)
		return -1;
	if (pfn >= r[ctx->last_range].start && pfn < r[ctx->last_range].end)
		return r[ctx->last_range].node;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pfn < r[mid].start)
			hi = mid;
		else if (pfn >= r[mid].end)
			lo = mid + 1;
		else {
			ctx->last_range = mid;
			return r[mid].node;
		}
	}
	return -1;
}

/* ---- context ---------------------------------------------------------- */

struct mv_backing_ctx *mv_backing_open(char *err, size_t errlen)
{
	struct mv_backing_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		goto nomem;
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
	    read_nodes(ctx)) {
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
	free(ctx->ranges);
	free(ctx->has_memory);
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

static void add_resident(struct mv_backing *b, uint64_t va, uint64_t pfn,
			 uint64_t flags, int node)
{
	b->resident += PAGE_SIZE;
	if (flags & (1ULL << KPF_THP))
		b->thp += PAGE_SIZE;
	if (flags & (1ULL << KPF_HUGE))
		b->hugetlb += PAGE_SIZE;
	if (node >= 0 && b->node)
		b->node[node] += PAGE_SIZE;
	else
		b->node_unknown += PAGE_SIZE;
	if (b->cur_pages && va == b->last_va + PAGE_SIZE &&
	    pfn == b->last_pfn + 1) {
		b->cur_pages++;
	} else {
		run_end(b);
		b->cur_pages = 1;
	}
	b->last_va = va;
	b->last_pfn = pfn;
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
	const struct run *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* Fills ctx->fl[] for the entries the runs cover. Sorts the runs. */
static int read_flags(struct mv_backing_ctx *ctx, size_t nr)
{
	struct run *r = ctx->runs;
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
			return fail(ctx, "/proc/kpageflags: %s",
				    strerror(-err)), err;
		for (k = i; k < j; k++)
			memcpy(&ctx->fl[r[k].idx], &ctx->span[r[k].pfn - start],
			       r[k].len * sizeof(uint64_t));
		i = j;
	}
	return 0;
}

/* Walks [start, end) once, feeding every accumulator in @acc. */
static int walk(struct mv_backing_ctx *ctx, int pm_fd, pid_t pid,
		uint64_t start, uint64_t end, struct mv_backing **acc,
		size_t nacc)
{
	uint64_t va = start;

	while (va < end) {
		uint64_t n = (end - va) >> PAGE_SHIFT, i;
		size_t nr = 0, a;
		int err;

		if (n > CHUNK_PAGES)
			n = CHUNK_PAGES;
		err = pread_all(pm_fd, ctx->pm, n * sizeof(uint64_t),
				(va >> PAGE_SHIFT) * sizeof(uint64_t));
		if (err == -ESRCH || err == -ENOENT)
			return fail(ctx, "process %d is gone", (int)pid), -ESRCH;
		if (err)
			return fail(ctx, "/proc/%d/pagemap: %s", (int)pid,
				    strerror(-err)), err;

		for (i = 0; i < n; i++) {
			uint64_t e = ctx->pm[i], pfn = e & PM_PFN_MASK;
			struct run *last = nr ? &ctx->runs[nr - 1] : NULL;

			if (!(e & PM_PRESENT))
				continue;
			if (!pfn)
				return fail(ctx, "/proc/%d/pagemap hides "
					    "physical addresses: host backing "
					    "needs root (CAP_SYS_ADMIN)",
					    (int)pid), -EPERM;
			if (last && last->idx + last->len == i &&
			    last->pfn + last->len == pfn)
				last->len++;
			else
				ctx->runs[nr++] = (struct run){ pfn, i, 1 };
		}
		err = read_flags(ctx, nr);
		if (err)
			return err;

		for (i = 0; i < n; i++, va += PAGE_SIZE) {
			uint64_t e = ctx->pm[i], pfn = e & PM_PFN_MASK;
			enum { RESIDENT, ZERO, SWAPPED, NOT_PRESENT } kind;
			int node = -1;

			if (!(e & PM_PRESENT))
				kind = e & PM_SWAP ? SWAPPED : NOT_PRESENT;
			else if (ctx->fl[i] & (1ULL << KPF_ZERO_PAGE))
				kind = ZERO;
			else {
				kind = RESIDENT;
				node = pfn_node(ctx, pfn);
			}
			for (a = 0; a < nacc; a++) {
				struct mv_backing *b = acc[a];

				switch (kind) {
				case SWAPPED:
					b->swapped += PAGE_SIZE;
					break;
				case NOT_PRESENT:
					b->not_present += PAGE_SIZE;
					break;
				case ZERO:
					b->zero += PAGE_SIZE;
					break;
				case RESIDENT:
					add_resident(b, va, pfn, ctx->fl[i],
						     node);
					break;
				}
			}
		}
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
	if (!ctx->nr_node_ids)
		return 0;
	b->node = calloc(ctx->nr_node_ids, sizeof(*b->node));
	return b->node ? 0 : -ENOMEM;
}

int mv_backing_vm(struct mv_backing_ctx *ctx, pid_t pid,
		  const struct mv_backing_range *ranges, size_t nr,
		  struct mv_backing *per_range, struct mv_backing *total)
{
	struct mv_backing **acc = NULL;
	uint64_t *bounds = NULL;
	size_t nb = 0, i, j, nacc;
	char path[64];
	int fd = -1, err = -ENOMEM;

	for (i = 0; i < nr; i++)
		memset(&per_range[i], 0, sizeof(per_range[i]));
	memset(total, 0, sizeof(*total));
	for (i = 0; i < nr; i++)
		if (acc_init(ctx, &per_range[i]))
			goto nomem;
	if (acc_init(ctx, total))
		goto nomem;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (errno == ENOENT || errno == ESRCH) {
			fail(ctx, "process %d is gone", (int)pid);
			err = -ESRCH;
		} else if (errno == EACCES || errno == EPERM) {
			fail(ctx, "%s: %s: host backing needs root", path,
			     strerror(errno));
			err = -EPERM;
		} else {
			fail(ctx, "%s: %s", path, strerror(errno));
		}
		goto out;
	}

	/*
	 * Elementary intervals between all range boundaries: each is walked
	 * once and fed to every range covering it, and to the total if one
	 * of those counts towards it.
	 */
	bounds = malloc(2 * (nr ? nr : 1) * sizeof(*bounds));
	acc = malloc((nr + 1) * sizeof(*acc));
	if (!bounds || !acc)
		goto nomem;
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
	nb = j;

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
		err = walk(ctx, fd, pid, s, e, acc, nacc);
		if (err)
			goto out;
	}
	for (i = 0; i < nr; i++)
		run_end(&per_range[i]);
	run_end(total);
	err = 0;
	goto out;
nomem:
	fail(ctx, "out of memory");
	err = -ENOMEM;
out:
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
