// SPDX-License-Identifier: GPL-2.0
/*
 * Host backing, end to end: "memvirt show ID --backing --json" against what
 * the test VMM mapped and touched (THP, no THP, hugetlb, memfd, a NUMA
 * binding, scattered pages). The numbers are checked against truths the
 * test made: pages it touched, smaps, the node it bound the memory to.
 * Needs root, the memvirt CLI (MEMVIRT_CLI, PATH, or ../../user/memvirt
 * next to this binary) and jq.
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

static const char *cli_path(void)
{
	static char path[4096];
	const char *env = getenv("MEMVIRT_CLI"), *p;
	char *dirs, *d, *save;

	if (env && *env)
		return env;
	p = getenv("PATH");
	dirs = strdup(p ? p : "");
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/memvirt", d);
		if (!access(path, X_OK)) {
			free(dirs);
			return path;
		}
	}
	free(dirs);
	snprintf(path, sizeof(path), "%s", helper_path("../../user/memvirt"));
	return access(path, X_OK) ? NULL : path;
}

/* Runs @cmd, output to @file; returns the exit status or -1. */
static int run_to_file(const char *cmd, const char *file)
{
	char *full;
	int st;

	if (asprintf(&full, "%s > %s 2>&1", cmd, file) < 0)
		return -1;
	st = system(full);
	free(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct ctx {
	const char *cli;
	char json[64];		/* the CLI's output */
};

/*
 * Fetches the backing of slot @slot_id of address space @as (or the total,
 * @slot_id < 0) and, if @host_huge, the VM's HOST-HUGE field (%).
 */
static int get_backing_as(struct ctx *c, const char *vm_id, int as, int slot_id,
			  struct bk *b, double *host_huge, char *err, size_t errlen)
{
	static const char fields[] =
		"[.size, .resident, .zero, .thp, .hugetlb, .swapped, .not_present,"
		" .runs, .longest_run, .shortest_run,"
		" ((.nodes[] | select(.node == 0) | .bytes) // 0),"
		" ((.nodes[] | select(.node == 1) | .bytes) // 0),"
		" .node_unknown] | @tsv";
	char cmd[1024], sel[128], line[1024];
	unsigned long long v[13];
	FILE *f;
	int st, n;

	snprintf(cmd, sizeof(cmd), "'%s' show %s --backing --json", c->cli, vm_id);
	st = run_to_file(cmd, c->json);
	if (st) {
		f = fopen(c->json, "re");
		if (!f || !fgets(line, sizeof(line), f))
			line[0] = '\0';
		if (f)
			fclose(f);
		snprintf(err, errlen, "memvirt show %s --backing: exit %d: %.300s", vm_id, st,
			 line);
		return -1;
	}
	if (slot_id >= 0)
		snprintf(sel, sizeof(sel), ".backing.slots[] | select(.as == %d and .id == %d)",
			 as, slot_id);
	else
		snprintf(sel, sizeof(sel), ".backing.total");
	snprintf(cmd, sizeof(cmd), "jq -r '(%s | %s), .host_huge' %s", sel, fields, c->json);
	f = popen(cmd, "r");
	if (!f) {
		snprintf(err, errlen, "popen jq: %s", strerror(errno));
		return -1;
	}
	n = 0;
	if (fgets(line, sizeof(line), f))
		n = sscanf(line, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
			   &v[9], &v[10], &v[11], &v[12]);
	if (host_huge && (!fgets(line, sizeof(line), f) || sscanf(line, "%lf", host_huge) != 1))
		n = -1;
	pclose(f);
	if (n != 13) {
		snprintf(err, errlen, "no backing for slot %d in the output of memvirt show %s",
			 slot_id, vm_id);
		return -1;
	}
	*b = (struct bk){ v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9],
			  v[10], v[11], v[12] };
	return 0;
}

static int get_backing(struct ctx *c, const char *vm_id, int slot_id,
		       struct bk *b, double *host_huge, char *err, size_t errlen)
{
	return get_backing_as(c, vm_id, 0, slot_id, b, host_huge, err, errlen);
}

/* "memvirt list -o ID,RESIDENT,HOST-HUGE": the VM's row. */
static int list_host(struct ctx *c, const char *vm_id, uint64_t *resident, double *host_huge)
{
	char cmd[1024], line[256];
	unsigned long long r = 0;
	FILE *f;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "'%s' list -J -o ID,RESIDENT,HOST-HUGE", c->cli);
	if (run_to_file(cmd, c->json))
		return -1;
	snprintf(cmd, sizeof(cmd), "jq -r '.vms[] | select(.id == \"%s\") | "
		 "\"\\(.resident) \\(.host_huge)\"' %s", vm_id, c->json);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		n = sscanf(line, "%llu %lf", &r, host_huge);
	pclose(f);
	*resident = r;
	return n == 2 ? 0 : -1;
}

static int read_long(const char *path, long *v)
{
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%ld", v);
	fclose(f);
	return n == 1 ? 0 : -1;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", v) < 0;
	ret |= fclose(f);
	return ret ? -1 : 0;
}

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define MAX_PTES_NONE	"/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none"

FIXTURE(backing) {
	struct mv_nl nl;
	struct vmm_vm *vm;
	struct ctx c;
	bool json_made;		/* c.json exists */
	char thp_old[32];	/* THP mode to restore, "" if unchanged */
	long hugepages_old;	/* nr_hugepages to restore, -1 if unchanged */
	long ptes_none_old;	/* khugepaged max_ptes_none to restore, or -1 */
};

FIXTURE_SETUP(backing)
{
	const char *why = memvirt_setup(&self->nl);
	int fd;

	self->vm = NULL;
	self->json_made = false;
	self->thp_old[0] = '\0';
	self->hugepages_old = -1;
	self->ptes_none_old = -1;
	snprintf(self->c.json, sizeof(self->c.json), "/tmp/memvirt-backing.XXXXXX");
	if (why)
		SKIP(return, "%s", why);
	self->c.cli = cli_path();
	if (!self->c.cli)
		SKIP(return, "memvirt CLI not found (set MEMVIRT_CLI or PATH)");
	if (system("jq --version > /dev/null 2>&1"))
		SKIP(return, "jq not installed");
	fd = mkstemp(self->c.json);
	ASSERT_LE(0, fd);
	close(fd);
	self->json_made = true;
	self->vm = vmm_vm_create(1);
	ASSERT_NE(NULL, self->vm) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, vmm_touch_gpa(self->vm, VMM_CODE_GPA, 1, 0, false)) TH_LOG("%s", vmm_error());
}

FIXTURE_TEARDOWN(backing)
{
	vmm_vm_destroy(self->vm);	/* frees hugetlb pages before the pool shrinks */
	if (self->thp_old[0])
		thp_set_mode(self->thp_old);
	if (self->hugepages_old >= 0)
		write_long(NR_HUGEPAGES, self->hugepages_old);
	if (self->ptes_none_old >= 0)
		write_long(MAX_PTES_NONE, self->ptes_none_old);
	if (self->json_made)
		unlink(self->c.json);
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

/* THP-backed RAM touched in whole 2M regions: ~100 % THP, 2M mappings. */
TEST_F(backing, thp)
{
	const uint64_t size = 8 * SZ_2M;
	struct vmm_touch t = { .count = size / SZ_4K, .stride = SZ_4K, .write = true };
	char mode[32], err[512];
	uint64_t smaps, map2m, listed;
	double host_huge;
	struct bk b;

	if (thp_mode(mode, sizeof(mode)))
		SKIP(return, "no transparent hugepages in this kernel");
	if (!strcmp(mode, "never")) {
		ASSERT_EQ(0, thp_set_mode("madvise"));
		strcpy(self->thp_old, mode);
	}
	t.slot = vmm_add_slot(self->vm, 0x40000000, size, VMM_BACKING_THP, 0);
	ASSERT_LE(0, t.slot) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, vmm_touch(self->vm, &t)) TH_LOG("%s", vmm_error());
	smaps = smaps_huge_bytes(self->vm->slot[t.slot].hva, size);
	if (!smaps)
		SKIP(return, "the host gave no THP; fragmented memory?");

	ASSERT_EQ(0, get_backing(&self->c, self->vm->id, t.slot, &b, &host_huge, err,
				 sizeof(err))) TH_LOG("%s", err);
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
	ASSERT_EQ(0, list_host(&self->c, self->vm->id, &listed, &host_huge));
	EXPECT_EQ(SZ_4K + size, listed);
	EXPECT_LE(90.0, host_huge);
	ASSERT_EQ(0, vmm_debugfs_stat(self->vm->id, "pages_2m", &map2m));
	EXPECT_EQ(smaps / SZ_2M, map2m);
}

/* The same with MADV_NOHUGEPAGE: ~0 %. */
TEST_F(backing, nothp)
{
	const uint64_t size = 8 * SZ_2M;
	struct vmm_touch t = { .count = size / SZ_4K, .stride = SZ_4K, .write = true };
	double host_huge;
	char err[512];
	struct bk b;

	t.slot = vmm_add_slot(self->vm, 0x40000000, size, VMM_BACKING_NOTHP, 0);
	ASSERT_LE(0, t.slot) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, vmm_touch(self->vm, &t)) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, get_backing(&self->c, self->vm->id, t.slot, &b, &host_huge, err,
				 sizeof(err))) TH_LOG("%s", err);
	log_bk(_metadata, "nothp slot", &b);
	check_sum(_metadata, &b);
	EXPECT_EQ(size, b.resident);
	EXPECT_EQ(0, b.thp);
	EXPECT_EQ(0, b.hugetlb);
	EXPECT_GE(1.0, host_huge);
}

/* MAP_HUGETLB: hugetlb bytes, runs no shorter than 2M. */
TEST_F(backing, hugetlb)
{
	const uint64_t size = 4 * SZ_2M;
	struct vmm_touch t = { .count = size / SZ_4K, .stride = SZ_4K, .write = true };
	long old, now, free_pages;
	char err[512];
	struct bk b;

	if (read_long(NR_HUGEPAGES, &old))
		SKIP(return, "no hugetlb support (%s)", NR_HUGEPAGES);
	ASSERT_EQ(0, write_long(NR_HUGEPAGES, old + size / SZ_2M));
	self->hugepages_old = old;
	ASSERT_EQ(0, read_long(NR_HUGEPAGES, &now));
	ASSERT_EQ(0, read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
			       &free_pages));
	if (free_pages < (long)(size / SZ_2M))
		SKIP(return, "only %ld free 2M hugetlb pages (nr_hugepages %ld)", free_pages, now);

	t.slot = vmm_add_slot(self->vm, 0x40000000, size, VMM_BACKING_HUGETLB, 0);
	ASSERT_LE(0, t.slot) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, vmm_touch(self->vm, &t)) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, get_backing(&self->c, self->vm->id, t.slot, &b, NULL, err,
				 sizeof(err))) TH_LOG("%s", err);
	log_bk(_metadata, "hugetlb slot", &b);
	check_sum(_metadata, &b);
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
	char err[512];
	struct bk b;

	t.slot = vmm_add_slot(self->vm, 0x40000000, size, VMM_BACKING_MEMFD, 0);
	ASSERT_LE(0, t.slot) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, vmm_touch(self->vm, &t)) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, get_backing(&self->c, self->vm->id, t.slot, &b, NULL, err,
				 sizeof(err))) TH_LOG("%s", err);
	log_bk(_metadata, "memfd slot", &b);
	check_sum(_metadata, &b);
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
	struct vmm_touch t = { .count = 777, .stride = SZ_4K, .write = true };
	char err[512];
	struct bk b;
	int slot;

	if (access("/sys/devices/system/node/node1/meminfo", F_OK))
		SKIP(return, "no NUMA node 1 (the QEMU test guest has two)");
	/* The CLI maps PFNs to nodes through sysfs memory blocks. */
	if (access("/sys/devices/system/memory/block_size_bytes", F_OK))
		SKIP(return, "no memory blocks in sysfs (CONFIG_MEMORY_HOTPLUG off): nodes cannot be told");
	slot = vmm_add_slot_node(self->vm, 0x40000000, size, VMM_BACKING_NOTHP, 0, 1);
	ASSERT_LE(0, slot) TH_LOG("%s", vmm_error());
	t.slot = slot;
	ASSERT_EQ(0, vmm_touch(self->vm, &t)) TH_LOG("%s", vmm_error());
	/* The same on node 0, as a control. */
	slot = vmm_add_slot_node(self->vm, 0x50000000, size, VMM_BACKING_MEMFD, 0, 0);
	ASSERT_LE(0, slot) TH_LOG("%s", vmm_error());
	t.slot = slot;
	t.count = 333;
	ASSERT_EQ(0, vmm_touch(self->vm, &t)) TH_LOG("%s", vmm_error());

	ASSERT_EQ(0, get_backing(&self->c, self->vm->id, slot - 1, &b, NULL, err,
				 sizeof(err))) TH_LOG("%s", err);
	log_bk(_metadata, "node 1 slot", &b);
	check_sum(_metadata, &b);
	EXPECT_EQ(777 * SZ_4K, b.resident);
	EXPECT_EQ(777 * SZ_4K, b.node1);
	EXPECT_EQ(0, b.node0);

	ASSERT_EQ(0, get_backing(&self->c, self->vm->id, slot, &b, NULL, err,
				 sizeof(err))) TH_LOG("%s", err);
	log_bk(_metadata, "node 0 slot", &b);
	EXPECT_EQ(333 * SZ_4K, b.node0);
	EXPECT_EQ(0, b.node1);

	/* Total: both slots and the code page, each page once. */
	ASSERT_EQ(0, get_backing(&self->c, self->vm->id, -1, &b, NULL, err,
				 sizeof(err))) TH_LOG("%s", err);
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
	char err[512];
	struct bk b;

	t.slot = vmm_add_slot(self->vm, 0x40000000, size, VMM_BACKING_NOTHP, 0);
	ASSERT_LE(0, t.slot) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, vmm_touch(self->vm, &t)) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, get_backing(&self->c, self->vm->id, t.slot, &b, NULL, err,
				 sizeof(err))) TH_LOG("%s", err);
	log_bk(_metadata, "scattered slot", &b);
	check_sum(_metadata, &b);
	EXPECT_EQ(t.count * SZ_4K, b.resident);
	EXPECT_EQ(size - t.count * SZ_4K, b.not_present);
	EXPECT_EQ(t.count, b.runs);
	EXPECT_EQ(SZ_4K, b.longest);
	EXPECT_EQ(SZ_4K, b.shortest);
}

/* Read-only touches of anonymous memory map the shared zero page. */
TEST_F(backing, zero_page)
{
	const uint64_t size = 2 * SZ_2M;
	struct vmm_touch t = { .count = 64, .stride = SZ_4K, .write = false };
	char err[512];
	struct bk b;

	t.slot = vmm_add_slot(self->vm, 0x40000000, size, VMM_BACKING_NOTHP, 0);
	ASSERT_LE(0, t.slot) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, vmm_touch(self->vm, &t)) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, get_backing(&self->c, self->vm->id, t.slot, &b, NULL, err,
				 sizeof(err))) TH_LOG("%s", err);
	log_bk(_metadata, "read-only slot", &b);
	check_sum(_metadata, &b);
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

	t.slot = vmm_add_slot(self->vm, 0x40000000, size, VMM_BACKING_NOTHP, 0);
	ASSERT_LE(0, t.slot) TH_LOG("%s", vmm_error());
	if (vmm_alias_smm(self->vm, t.slot))
		SKIP(return, "%s", vmm_error());
	ASSERT_EQ(0, vmm_touch(self->vm, &t)) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, get_backing_as(&self->c, self->vm->id, 0, t.slot, &b0, NULL, err,
				    sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, get_backing_as(&self->c, self->vm->id, 1, t.slot, &b1, NULL, err,
				    sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, get_backing(&self->c, self->vm->id, -1, &tot, NULL, err,
				 sizeof(err))) TH_LOG("%s", err);
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
	char cmd[1024], out[512] = "";
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "setpriv --reuid=65534 --regid=65534 --clear-groups "
		 "'%s' show %s --backing", self->c.cli, self->vm->id);
	if (system("setpriv --version > /dev/null 2>&1"))
		SKIP(return, "setpriv (util-linux) not installed");
	st = run_to_file(cmd, self->c.json);
	if (st == 126 || st == 127)
		SKIP(return, "nobody cannot run %s", self->c.cli);
	EXPECT_EQ(1, st);
	f = fopen(self->c.json, "re");
	ASSERT_NE(NULL, f);
	if (!fgets(out, sizeof(out), f))
		out[0] = '\0';
	fclose(f);
	TH_LOG("as nobody: %s", out);
	EXPECT_NE(NULL, strstr(out, "root"));
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
static void check_truth(struct __test_metadata *_metadata, struct ctx *c,
			const struct vmm_vm *vm, int slot, struct bk *out)
{
	uint64_t hva = (uintptr_t)vm->slot[slot].hva, size = vm->slot[slot].size;
	struct bk t0, t1, b;
	char err[512];
	int try;

	for (try = 0; try < 5; try++) {
		ASSERT_EQ(0, truth_4k(hva, size, &t0));
		ASSERT_EQ(0, get_backing(c, vm->id, slot, &b, NULL, err, sizeof(err)))
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
 * A THP slot of 8 x 2M written in full: its HVA, or NULL without THPs.
 * khugepaged may not collapse a 2M range with a page missing while the
 * test runs (it did on 6.1, filling the hole the test made).
 */
static uint8_t *thp_slot(FIXTURE_DATA(backing) *self, int *slot)
{
	const uint64_t size = 8 * SZ_2M;
	struct vmm_touch t = { .count = size / SZ_4K, .stride = SZ_4K, .write = true };
	char mode[32];

	if (thp_mode(mode, sizeof(mode)))
		return NULL;
	if (!strcmp(mode, "never")) {
		if (thp_set_mode("madvise"))
			return NULL;
		strcpy(self->thp_old, mode);
	}
	if (read_long(MAX_PTES_NONE, &self->ptes_none_old) ||
	    write_long(MAX_PTES_NONE, 0)) {
		self->ptes_none_old = -1;
		return NULL;
	}
	t.slot = *slot = vmm_add_slot(self->vm, 0x40000000, size, VMM_BACKING_THP, 0);
	if (t.slot < 0 || vmm_touch(self->vm, &t) ||
	    !smaps_huge_bytes(self->vm->slot[t.slot].hva, size))
		return NULL;
	return self->vm->slot[t.slot].hva;
}

/*
 * THPs split at their edges: the last 4K page of block 2 and the first of
 * block 5 dropped (their PMDs now map PTEs), block 7 dropped and read back
 * from the VMM side (the huge zero page, if the host uses it). The PMD-mapped
 * blocks go a huge page at a time, the others per 4K: the same figures.
 */
TEST_F(backing, thp_split_edges)
{
	struct bk b;
	int slot;
	uint8_t *hva = thp_slot(self, &slot);

	if (!hva)
		SKIP(return, "no THP-backed slot: THP unavailable or not given (%s)", vmm_error());
	ASSERT_EQ(0, madvise(hva + 3 * SZ_2M - SZ_4K, SZ_4K, MADV_DONTNEED));
	ASSERT_EQ(0, madvise(hva + 5 * SZ_2M, SZ_4K, MADV_DONTNEED));
	ASSERT_EQ(0, madvise(hva + 7 * SZ_2M, SZ_2M, MADV_DONTNEED));
	EXPECT_EQ(0, *(volatile uint8_t *)(hva + 7 * SZ_2M));
	check_truth(_metadata, &self->c, self->vm, slot, &b);
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
	struct bk b;
	int slot;
	uint8_t *hva = thp_slot(self, &slot);

	if (!hva)
		SKIP(return, "no THP-backed slot: THP unavailable or not given (%s)", vmm_error());
	ASSERT_EQ(0, madvise(hva + 3 * SZ_2M + 123 * SZ_4K, SZ_4K, MADV_DONTNEED));
	check_truth(_metadata, &self->c, self->vm, slot, &b);
	EXPECT_EQ(SZ_4K, b.not_present);
	EXPECT_EQ(8 * SZ_2M - SZ_4K, b.resident);
}

/* hugetlb pages touched or not, each a whole: one entry per huge page. */
TEST_F(backing, hugetlb_truth)
{
	const uint64_t size = 4 * SZ_2M;
	struct vmm_touch t = { .offset = SZ_4K, .count = 2, .stride = 2 * SZ_2M,
			       .write = true };
	long old, free_pages;
	struct bk b;

	if (read_long(NR_HUGEPAGES, &old))
		SKIP(return, "no hugetlb support (%s)", NR_HUGEPAGES);
	ASSERT_EQ(0, write_long(NR_HUGEPAGES, old + size / SZ_2M));
	self->hugepages_old = old;
	ASSERT_EQ(0, read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
			       &free_pages));
	if (free_pages < (long)(size / SZ_2M))
		SKIP(return, "only %ld free 2M hugetlb pages", free_pages);
	t.slot = vmm_add_slot(self->vm, 0x40000000, size, VMM_BACKING_HUGETLB, 0);
	ASSERT_LE(0, t.slot) TH_LOG("%s", vmm_error());
	ASSERT_EQ(0, vmm_touch(self->vm, &t)) TH_LOG("%s", vmm_error());
	check_truth(_metadata, &self->c, self->vm, t.slot, &b);
	EXPECT_EQ(2 * SZ_2M, b.hugetlb);	/* blocks 0 and 2 */
	EXPECT_EQ(2 * SZ_2M, b.not_present);
}

TEST_HARNESS_MAIN
