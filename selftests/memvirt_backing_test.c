// SPDX-License-Identifier: GPL-2.0
/*
 * Host backing, end to end: "memvirt show ID --backing --json" against what
 * the test VMM mapped and touched (THP, no THP, hugetlb, memfd, a NUMA
 * binding, scattered pages). The numbers are checked against truths the
 * test made: pages it touched, smaps, the node it bound the memory to.
 * Needs root and the memvirt CLI (MEMVIRT_CLI, PATH, or ../../user/memvirt
 * next to this binary); its JSON is read with json-c (lib/cli_json).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "cli_json.h"
#include "memvirt_nl.h"
#include "testlib.h"
#include "vmm.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL

/* One backing record as the CLI prints it. */
struct bk {
	uint64_t size, resident, zero, thp, hugetlb, swapped, not_present;
	uint64_t runs, longest, shortest, node0, node1, unknown;
};

/* The backing record @o ("backing.total" or a slot) into @b; -1 if incomplete. */
static int bk_from(struct json_object *o, struct bk *b)
{
	static const char *const keys[] = { "size", "resident", "zero", "thp", "hugetlb",
		"swapped", "not_present", "runs", "longest_run", "shortest_run", "node_unknown" };
	uint64_t *const dst[] = { &b->size, &b->resident, &b->zero, &b->thp, &b->hugetlb,
		&b->swapped, &b->not_present, &b->runs, &b->longest, &b->shortest, &b->unknown };

	if (!o)
		return -1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!json_get(o, "%s", keys[i]))
			return -1;
		*dst[i] = json_u64(o, 0, "%s", keys[i]);
	}
	b->node0 = json_u64(o, 0, "nodes[node=0].bytes");
	b->node1 = json_u64(o, 0, "nodes[node=1].bytes");
	return 0;
}

/*
 * "memvirt show ID --backing --json": the backing of slot @slot_id of
 * address space @as (or the total, @slot_id < 0) and, if @host_huge, the
 * VM's host_huge (%).
 */
static int get_backing_as(const char *vm_id, int as, int slot_id, struct bk *b,
			  double *host_huge, char *err, size_t errlen)
{
	struct json_object *doc;
	struct cli_run r;
	int ret = 0;

	cli_run(&r, CLI_AS_IS, (const char *const[]){ "show", vm_id, "--backing", "--json",
						     NULL });
	doc = cli_doc(&r);
	if (r.status || !doc) {
		snprintf(err, errlen, "memvirt show %s --backing: exit %d: %.300s", vm_id,
			 r.status, r.err ? r.err : "");
		ret = -1;
	} else if (bk_from(slot_id < 0 ? json_get(doc, "backing.total") :
			   json_get(doc, "backing.slots[as=%d,id=%d]", as, slot_id), b) ||
		   (host_huge && !json_get(doc, "host_huge"))) {
		snprintf(err, errlen, "no backing for slot %d in the output of memvirt show %s",
			 slot_id, vm_id);
		ret = -1;
	} else if (host_huge) {
		*host_huge = json_dbl(doc, 0, "host_huge");
	}
	cli_run_free(&r);
	return ret;
}

static int get_backing(const char *vm_id, int slot_id, struct bk *b, double *host_huge,
		       char *err, size_t errlen)
{
	return get_backing_as(vm_id, 0, slot_id, b, host_huge, err, errlen);
}

/* "memvirt list -J -o ID,RESIDENT,HOST-HUGE": the VM's row. */
static int list_host(const char *vm_id, uint64_t *resident, double *host_huge)
{
	struct json_object *vm;
	struct cli_run r;
	int ret = -1;

	cli_run(&r, CLI_AS_IS, (const char *const[]){ "list", "-J", "-o", "ID,RESIDENT,HOST-HUGE",
						     NULL });
	vm = json_get(cli_doc(&r), "vms[id=%s]", vm_id);
	if (!r.status && json_get(vm, "resident") && json_get(vm, "host_huge")) {
		*resident = json_u64(vm, 0, "resident");
		*host_huge = json_dbl(vm, 0, "host_huge");
		ret = 0;
	}
	cli_run_free(&r);
	return ret;
}

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define MAX_PTES_NONE	"/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none"

FIXTURE(backing) {
	struct mv_nl nl;
	struct vmm_vm *vm;
	long hugepages_old;	/* nr_hugepages to restore, -1 if unchanged */
	long ptes_none_old;	/* khugepaged max_ptes_none to restore, or -1 */
};

FIXTURE_SETUP(backing)
{
	const char *why = memvirt_setup(&self->nl);

	self->vm = NULL;
	self->hugepages_old = -1;
	self->ptes_none_old = -1;
	if (why)
		SKIP(return, "%s", why);
	if (!cli_path())
		SKIP(return, "memvirt CLI not found (set MEMVIRT_CLI or PATH)");
	self->vm = ASSERT_VMM(vmm_vm_create(1));
	ASSERT_VMM(vmm_touch_gpa(self->vm, VMM_CODE_GPA, 1, 0, false));
}

FIXTURE_TEARDOWN(backing)
{
	vmm_vm_destroy(self->vm);	/* frees hugetlb pages before the pool shrinks */
	if (self->hugepages_old >= 0)
		write_long(NR_HUGEPAGES, self->hugepages_old);
	if (self->ptes_none_old >= 0)
		write_long(MAX_PTES_NONE, self->ptes_none_old);
	memvirt_teardown(&self->nl);
}

/* Every page is in exactly one class. */
static void check_sum(struct __test_metadata *_metadata, const struct bk *b)
{
	EXPECT_EQ(b->size, b->resident + b->zero + b->swapped + b->not_present);
	EXPECT_EQ(b->resident, b->node0 + b->node1 + b->unknown);
	EXPECT_LE(b->thp + b->hugetlb, b->resident);
	if (b->runs) {
		EXPECT_LE(b->shortest, b->longest);
		EXPECT_LE(b->longest, b->resident);
		EXPECT_LE(b->runs * b->shortest, b->resident);
	}
}

static void log_bk(struct __test_metadata *_metadata, const char *what, const struct bk *b)
{
	TH_LOG("%s: size %" PRIu64 " resident %" PRIu64 " zero %" PRIu64 " thp %" PRIu64
	       " hugetlb %" PRIu64 " swapped %" PRIu64 " not-present %" PRIu64 " runs %" PRIu64
	       " longest %" PRIu64 " shortest %" PRIu64 " node0 %" PRIu64 " node1 %" PRIu64,
	       what, b->size, b->resident, b->zero, b->thp, b->hugetlb, b->swapped,
	       b->not_present, b->runs, b->longest, b->shortest, b->node0, b->node1);
}

#define SLOT_GPA	0x40000000ULL

/*
 * A slot of @size at SLOT_GPA backed as @backing (on NUMA node @node, or -1),
 * touched as @t says (its .slot set here): its index. Then, unless @what is
 * NULL, its backing as the CLI shows it, logged as @what, its classes checked
 * to add up.
 */
static int touched_slot(struct __test_metadata *_metadata, struct vmm_vm *vm,
			enum vmm_backing backing, int node, uint64_t gpa, uint64_t size,
			struct vmm_touch *t, const char *what, struct bk *b)
{
	char err[512];

	t->slot = ASSERT_VMM(vmm_add_slot_node(vm, gpa, size, backing, 0, node));
	ASSERT_VMM(vmm_touch(vm, t));
	if (!what)
		return t->slot;
	ASSERT_EQ(0, get_backing(vm->id, t->slot, b, NULL, err, sizeof(err))) TH_LOG("%s", err);
	log_bk(_metadata, what, b);
	check_sum(_metadata, b);
	return t->slot;
}

/* THP-backed RAM touched in whole 2M regions: ~100 % THP, 2M mappings. */
TEST_F(backing, thp)
{
	const uint64_t size = 8 * SZ_2M;
	uint64_t huge, smaps, map2m, listed;
	char mode[32], err[512];
	double host_huge;
	struct bk b;
	int slot;

	if (thp_mode(mode, sizeof(mode)))
		SKIP(return, "no transparent hugepages in this kernel");
	slot = ASSERT_VMM(thp_slot_touched(self->vm, SLOT_GPA, size, &huge));
	if (!huge)
		SKIP(return, "the host gave no THP; fragmented memory?");
	smaps = huge * SZ_2M;

	ASSERT_EQ(0, get_backing(self->vm->id, slot, &b, &host_huge, err, sizeof(err)))
		TH_LOG("%s", err);
	log_bk(_metadata, "thp slot", &b);
	check_sum(_metadata, &b);
	EXPECT_EQ(size, b.size);
	EXPECT_EQ(size, b.resident);
	EXPECT_EQ(smaps, b.thp);	/* the kernel's own count of the same pages */
	EXPECT_LE(size * 9 / 10, b.thp);
	EXPECT_EQ(0, b.hugetlb);
	/* A THP is physically contiguous: runs are at least 2M. */
	EXPECT_LE(SZ_2M, b.shortest);
	EXPECT_LE(b.runs, size / SZ_2M);
	/* The VM as a whole: the 4K code page aside, all huge. */
	EXPECT_LE(90.0, host_huge);
	/* list's opt-in columns say the same. */
	ASSERT_EQ(0, list_host(self->vm->id, &listed, &host_huge));
	EXPECT_EQ(SZ_4K + size, listed);
	EXPECT_LE(90.0, host_huge);
	ASSERT_VMM(vmm_debugfs_stat(self->vm->id, "pages_2m", &map2m));
	if (map2m != huge)
		TH_LOG("KVM maps %llu of the %llu THPs now: writing the slot again",
		       (unsigned long long)map2m, (unsigned long long)huge);
	map2m = pages_2m_retouched(self->vm, slot, huge);
	EXPECT_EQ(huge, map2m);
}

/* The same with MADV_NOHUGEPAGE: ~0 %. */
TEST_F(backing, nothp)
{
	const uint64_t size = 8 * SZ_2M;
	struct vmm_touch t = { .count = size / SZ_4K, .stride = SZ_4K, .write = true };
	double host_huge;
	char err[512];
	struct bk b;

	touched_slot(_metadata, self->vm, VMM_BACKING_NOTHP, -1, SLOT_GPA, size, &t, NULL, &b);
	ASSERT_EQ(0, get_backing(self->vm->id, t.slot, &b, &host_huge, err, sizeof(err)))
		TH_LOG("%s", err);
	log_bk(_metadata, "nothp slot", &b);
	check_sum(_metadata, &b);
	EXPECT_EQ(size, b.resident);
	EXPECT_EQ(0, b.thp);
	EXPECT_EQ(0, b.hugetlb);
	EXPECT_GE(1.0, host_huge);
}

/*
 * Grows the 2M hugetlb pool by @size (teardown shrinks it back); NULL if
 * that many 2M pages are free then, else why the test is skipped.
 */
static const char *hugetlb_grow(struct __test_metadata *_metadata,
				FIXTURE_DATA(backing) *self, uint64_t size)
{
	static char why[128];
	long old, free_pages;

	if (read_long(NR_HUGEPAGES, &old))
		return "no hugetlb support (" NR_HUGEPAGES ")";
	EXPECT_EQ(0, write_long(NR_HUGEPAGES, old + size / SZ_2M));
	self->hugepages_old = old;
	if (read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", &free_pages))
		return "no 2M hugetlb pages";
	if (free_pages >= (long)(size / SZ_2M))
		return NULL;
	snprintf(why, sizeof(why), "only %ld free 2M hugetlb pages", free_pages);
	return why;
}

/* MAP_HUGETLB: hugetlb bytes, runs no shorter than 2M. */
TEST_F(backing, hugetlb)
{
	const uint64_t size = 4 * SZ_2M;
	struct vmm_touch t = { .count = size / SZ_4K, .stride = SZ_4K, .write = true };
	const char *why = hugetlb_grow(_metadata, self, size);
	struct bk b;

	if (why)
		SKIP(return, "%s", why);
	touched_slot(_metadata, self->vm, VMM_BACKING_HUGETLB, -1, SLOT_GPA, size, &t,
		     "hugetlb slot", &b);
	EXPECT_EQ(size, b.resident);
	EXPECT_EQ(size, b.hugetlb);
	EXPECT_EQ(0, b.thp);
	EXPECT_LE(1, b.runs);
	EXPECT_LE(b.runs, size / SZ_2M);
	EXPECT_LE(SZ_2M, b.shortest);
	EXPECT_EQ(0, b.longest % SZ_2M);
}

/* memfd (shmem): resident bytes are the pages touched. */
TEST_F(backing, memfd)
{
	const uint64_t size = 8 * SZ_2M;
	struct vmm_touch t = { .offset = 5 * SZ_4K, .count = 300, .stride = 3 * SZ_4K,
			       .write = true };
	struct bk b;

	touched_slot(_metadata, self->vm, VMM_BACKING_MEMFD, -1, SLOT_GPA, size, &t,
		     "memfd slot", &b);
	EXPECT_EQ(t.count * SZ_4K, b.resident);
	EXPECT_EQ(0, b.zero);
	EXPECT_EQ(0, b.hugetlb);
	EXPECT_EQ(size - t.count * SZ_4K, b.not_present);
	/* Touched pages are 2 pages apart: every one is its own run. */
	EXPECT_EQ(t.count, b.runs);
}

/* Memory bound to node 1 is reported on node 1. */
TEST_F(backing, numa_node1)
{
	const uint64_t size = 4 * SZ_2M;
	struct vmm_touch t1 = { .count = 777, .stride = SZ_4K, .write = true };
	struct vmm_touch t0 = { .count = 333, .stride = SZ_4K, .write = true };
	char err[512];
	struct bk b;

	if (access("/sys/devices/system/node/node1/meminfo", F_OK))
		SKIP(return, "no NUMA node 1 (the QEMU test guest has two)");
	/* The CLI maps PFNs to nodes through sysfs memory blocks. */
	if (access("/sys/devices/system/memory/block_size_bytes", F_OK))
		SKIP(return, "no memory blocks in sysfs (CONFIG_MEMORY_HOTPLUG off): nodes cannot be told");
	touched_slot(_metadata, self->vm, VMM_BACKING_NOTHP, 1, SLOT_GPA, size, &t1,
		     "node 1 slot", &b);
	EXPECT_EQ(777 * SZ_4K, b.resident);
	EXPECT_EQ(777 * SZ_4K, b.node1);
	EXPECT_EQ(0, b.node0);
	/* The same on node 0, as a control. */
	touched_slot(_metadata, self->vm, VMM_BACKING_MEMFD, 0, SLOT_GPA + 0x10000000, size, &t0,
		     "node 0 slot", &b);
	EXPECT_EQ(333 * SZ_4K, b.node0);
	EXPECT_EQ(0, b.node1);

	/* Total: both slots and the code page, each page once. */
	ASSERT_EQ(0, get_backing(self->vm->id, -1, &b, NULL, err, sizeof(err))) TH_LOG("%s", err);
	log_bk(_metadata, "total", &b);
	check_sum(_metadata, &b);
	EXPECT_EQ(SZ_4K + 2 * size, b.size);
	EXPECT_EQ((1 + 777 + 333) * SZ_4K, b.resident);
	EXPECT_LE(777 * SZ_4K, b.node1);
}

/* Every other 4K page touched: as many runs as pages, each 4K. */
TEST_F(backing, scattered_4k)
{
	const uint64_t size = 8 * SZ_2M;
	struct vmm_touch t = { .offset = SZ_4K, .count = size / SZ_4K / 2, .stride = 2 * SZ_4K,
			       .write = true };
	struct bk b;

	touched_slot(_metadata, self->vm, VMM_BACKING_NOTHP, -1, SLOT_GPA, size, &t,
		     "scattered slot", &b);
	EXPECT_EQ(t.count * SZ_4K, b.resident);
	EXPECT_EQ(size - t.count * SZ_4K, b.not_present);
	EXPECT_EQ(t.count, b.runs);
	EXPECT_EQ(SZ_4K, b.longest);
	EXPECT_EQ(SZ_4K, b.shortest);
}

/* Read-only touches of anonymous memory map the shared zero page. */
TEST_F(backing, zero_page)
{
	struct vmm_touch t = { .count = 64, .stride = SZ_4K, .write = false };
	struct bk b;

	touched_slot(_metadata, self->vm, VMM_BACKING_NOTHP, -1, SLOT_GPA, 2 * SZ_2M, &t,
		     "read-only slot", &b);
	/* Zero page or, if KVM asked for a writable page, own pages. */
	EXPECT_EQ(t.count * SZ_4K, b.zero + b.resident);
	EXPECT_LE(b.runs, b.resident / SZ_4K);
}

/* An SMM alias (address space 1) has its own line; the total counts it once. */
TEST_F(backing, smm_alias_counted_once)
{
	const uint64_t size = 2 * SZ_2M;
	struct vmm_touch t = { .count = 100, .stride = SZ_4K, .write = true };
	char err[512];
	struct bk b0, b1, tot;

	t.slot = ASSERT_VMM(vmm_add_slot(self->vm, SLOT_GPA, size, VMM_BACKING_NOTHP, 0));
	if (vmm_alias_smm(self->vm, t.slot))
		SKIP(return, "%s", vmm_error());
	ASSERT_VMM(vmm_touch(self->vm, &t));
	ASSERT_EQ(0, get_backing_as(self->vm->id, 0, t.slot, &b0, NULL, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, get_backing_as(self->vm->id, 1, t.slot, &b1, NULL, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, get_backing(self->vm->id, -1, &tot, NULL, err, sizeof(err)))
		TH_LOG("%s", err);
	log_bk(_metadata, "as 0", &b0);
	log_bk(_metadata, "as 1", &b1);
	log_bk(_metadata, "total", &tot);
	check_sum(_metadata, &tot);
	EXPECT_EQ(t.count * SZ_4K, b0.resident);
	EXPECT_EQ(b0.resident, b1.resident);
	EXPECT_EQ(b0.runs, b1.runs);
	/* The code page and the slot, once. */
	EXPECT_EQ(SZ_4K + size, tot.size);
	EXPECT_EQ(SZ_4K + t.count * SZ_4K, tot.resident);
}

/* Without root the CLI refuses and says why, exit 1. */
TEST_F(backing, needs_root)
{
	struct cli_run r;

	cli_run(&r, 65534, (const char *const[]){ "show", self->vm->id, "--backing", NULL });
	if (r.status == 126 || r.status == 127) {
		cli_run_free(&r);
		SKIP(return, "nobody cannot run %s", cli_path());
	}
	TH_LOG("as nobody (exit %d): %s", r.status, r.err);
	EXPECT_EQ(1, r.status);
	EXPECT_TRUE(r.err && strstr(r.err, "root"));
	cli_run_free(&r);
}

/*
 * The per-4K truth of [hva, hva + size) of this process (the test is the
 * VMM), read another way than the CLI does: one pread of /proc/self/pagemap
 * per page and one of /proc/kpageflags per present page. Nodes are left
 * out (check_sum() ties them to resident).
 */
static int truth_4k(uint64_t hva, uint64_t size, struct bk *t)
{
	uint64_t va, e, fl, pfn = 0, last_va = 0, last_pfn = 0, cur = 0;
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int kpf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	int ret = -1;

	memset(t, 0, sizeof(*t));
	if (pm < 0 || kpf < 0)
		goto out;
	t->size = size;
	for (va = hva; va < hva + size + SZ_4K; va += SZ_4K) {
		bool res = false;

		if (va < hva + size) {
			if (pread(pm, &e, 8, va / SZ_4K * 8) != 8)
				goto out;
			pfn = e & ((1ULL << 55) - 1);
			if (!(e >> 63)) {
				*((e >> 62) & 1 ? &t->swapped : &t->not_present) += SZ_4K;
			} else if (pread(kpf, &fl, 8, pfn * 8) != 8) {
				goto out;
			} else if (fl & (1ULL << 24)) {		/* KPF_ZERO_PAGE */
				t->zero += SZ_4K;
			} else {
				res = true;
				t->resident += SZ_4K;
				t->thp += (fl >> 22 & 1) * SZ_4K;	/* KPF_THP */
				t->hugetlb += (fl >> 17 & 1) * SZ_4K;	/* KPF_HUGE */
			}
		}
		if (res && cur && va == last_va + SZ_4K && pfn == last_pfn + 1) {
			cur++;
		} else if (cur) {	/* a run ends */
			t->runs++;
			if (cur * SZ_4K > t->longest)
				t->longest = cur * SZ_4K;
			if (!t->shortest || cur * SZ_4K < t->shortest)
				t->shortest = cur * SZ_4K;
			cur = res;
		} else {
			cur = res;
		}
		last_va = va;
		last_pfn = pfn;
	}
	ret = 0;
out:
	if (pm >= 0)
		close(pm);
	if (kpf >= 0)
		close(kpf);
	return ret;
}

/*
 * Slot @slot as the CLI shows it, equal to the per-4K truth taken before
 * and after it; retried while the host changes the pages in between
 * (khugepaged, the deferred split).
 */
static void check_truth(struct __test_metadata *_metadata, const struct vmm_vm *vm, int slot,
			struct bk *out)
{
	uint64_t hva = (uintptr_t)vm->slot[slot].hva, size = vm->slot[slot].size;
	struct bk t0, t1, b;
	char err[512];
	int try;

	for (try = 0; try < 5; try++) {
		ASSERT_EQ(0, truth_4k(hva, size, &t0));
		ASSERT_EQ(0, get_backing(vm->id, slot, &b, NULL, err, sizeof(err)))
			TH_LOG("%s", err);
		ASSERT_EQ(0, truth_4k(hva, size, &t1));
		if (!memcmp(&t0, &t1, sizeof(t0)))
			break;
	}
	ASSERT_GT(5, try) TH_LOG("the pages kept changing under the walk");
	log_bk(_metadata, "memvirt", &b);
	log_bk(_metadata, "per-4K truth", &t0);
	check_sum(_metadata, &b);
	EXPECT_EQ(t0.size, b.size);
	EXPECT_EQ(t0.resident, b.resident);
	EXPECT_EQ(t0.zero, b.zero);
	EXPECT_EQ(t0.thp, b.thp);
	EXPECT_EQ(t0.hugetlb, b.hugetlb);
	EXPECT_EQ(t0.swapped, b.swapped);
	EXPECT_EQ(t0.not_present, b.not_present);
	EXPECT_EQ(t0.runs, b.runs);
	EXPECT_EQ(t0.longest, b.longest);
	EXPECT_EQ(t0.shortest, b.shortest);
	*out = b;
}

/*
 * A THP slot of 8 x 2M written in full: its HVA, or NULL (the test failed
 * or is skipped without THPs).
 * khugepaged may not collapse a 2M range with a page missing while the
 * test runs (it did on 6.1, filling the hole the test made).
 */
static uint8_t *thp_slot(struct __test_metadata *_metadata, FIXTURE_DATA(backing) *self,
			 int *slot)
{
	char mode[32];
	uint64_t huge;

	if (thp_mode(mode, sizeof(mode)))
		SKIP(return NULL, "no transparent hugepages in this kernel");
	if (read_long(MAX_PTES_NONE, &self->ptes_none_old) ||
	    write_long(MAX_PTES_NONE, 0)) {
		self->ptes_none_old = -1;
		SKIP(return NULL, "cannot set %s", MAX_PTES_NONE);
	}
	*slot = thp_slot_touched(self->vm, SLOT_GPA, 8 * SZ_2M, &huge);
	EXPECT_LE(0, *slot) TH_LOG("thp_slot_touched: %s", vmm_error());
	if (*slot >= 0 && !huge)
		SKIP(return NULL, "the host gave no THP; fragmented memory?");
	return *slot >= 0 ? self->vm->slot[*slot].hva : NULL;
}

/* A range of a slot, in bytes from its start. */
struct range {
	uint64_t off, len;
};

/*
 * thp_slot() with @drop ranges dropped (MADV_DONTNEED), then the byte at
 * @read_back read from the VMM side (unless it is ~0), checked against the
 * per-4K truth into *@b. false if the test failed or is skipped.
 */
static bool thp_split(struct __test_metadata *_metadata, FIXTURE_DATA(backing) *self,
		      const struct range *drop, int nr, uint64_t read_back, struct bk *b)
{
	int slot, i;
	uint8_t *hva = thp_slot(_metadata, self, &slot);

	if (!hva)
		return false;
	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, madvise(hva + drop[i].off, drop[i].len, MADV_DONTNEED));
	if (read_back != ~0ULL)
		EXPECT_EQ(0, *(volatile uint8_t *)(hva + read_back));
	check_truth(_metadata, self->vm, slot, b);
	return true;
}

/*
 * THPs split at their edges: the last 4K page of block 2 and the first of
 * block 5 dropped (their PMDs now map PTEs), block 7 dropped and read back
 * from the VMM side (the huge zero page, if the host uses it). The PMD-mapped
 * blocks go a huge page at a time, the others per 4K: the same figures.
 */
TEST_F(backing, thp_split_edges)
{
	static const struct range drop[] = {
		{ 3 * SZ_2M - SZ_4K, SZ_4K }, { 5 * SZ_2M, SZ_4K }, { 7 * SZ_2M, SZ_2M },
	};
	struct bk b;

	if (!thp_split(_metadata, self, drop, 3, 7 * SZ_2M, &b))
		return;
	/* Block 7 read back: the huge zero page, or a THP of its own. */
	EXPECT_EQ(8 * SZ_2M - 2 * SZ_4K, b.resident + b.zero);
	EXPECT_LE(7 * SZ_2M - 2 * SZ_4K, b.resident);
	EXPECT_LE(5 * SZ_2M, b.thp);	/* blocks 0, 1, 3, 4, 6 at least */
}

/*
 * A THP with a hole: one 4K page inside block 3 dropped. The block's first
 * and last pages still map the THP's first and last PFN, so it looks
 * PMD-mapped; smaps says it is not, and the slot is walked per 4K.
 */
TEST_F(backing, thp_split_hole)
{
	static const struct range drop[] = { { 3 * SZ_2M + 123 * SZ_4K, SZ_4K } };
	struct bk b;

	if (!thp_split(_metadata, self, drop, 1, ~0ULL, &b))
		return;
	EXPECT_EQ(SZ_4K, b.not_present);
	EXPECT_EQ(8 * SZ_2M - SZ_4K, b.resident);
}

/* hugetlb pages touched or not, each a whole: one entry per huge page. */
TEST_F(backing, hugetlb_truth)
{
	const uint64_t size = 4 * SZ_2M;
	struct vmm_touch t = { .offset = SZ_4K, .count = 2, .stride = 2 * SZ_2M,
			       .write = true };
	const char *why = hugetlb_grow(_metadata, self, size);
	struct bk b;

	if (why)
		SKIP(return, "%s", why);
	touched_slot(_metadata, self->vm, VMM_BACKING_HUGETLB, -1, SLOT_GPA, size, &t, NULL, &b);
	check_truth(_metadata, self->vm, t.slot, &b);
	EXPECT_EQ(2 * SZ_2M, b.hugetlb);	/* blocks 0 and 2 */
	EXPECT_EQ(2 * SZ_2M, b.not_present);
}

TEST_HARNESS_MAIN
