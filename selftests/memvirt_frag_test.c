// SPDX-License-Identifier: GPL-2.0
/*
 * Host fragmentation (MEMVIRT_CMD_ZONE_GET) against the kernel's own views:
 * free blocks per order against /proc/buddyinfo read around the dump, both
 * indices against /sys/kernel/debug/extfrag, a deliberately fragmented
 * node, and `memvirt frag` run as nobody.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netlink/attr.h>

#include "kselftest_harness.h"
#include "cli_json.h"
#include "memvirt_nl.h"
#include "testlib.h"

#define MAX_ZONES	32
#define ORDER_2M	9
#define PAGE_4K		4096UL
#define MV_MPOL_BIND	2

/* One "Node N, zone NAME c0 c1 ..." line of buddyinfo or an extfrag file. */
struct kzone {
	int node;
	char name[16];
	int n;			/* values on the line */
	int64_t v[MV_MAX_ORDERS];
};

struct kview {
	int nr;
	struct kzone z[MAX_ZONES];
};

/* "0.123", "-1.000", " 0.-500" (how %2d.%03d prints -500) -> thousandths. */
static int64_t parse_milli(const char *s)
{
	int ip = 0, frac = 0;

	if (sscanf(s, "%d.%d", &ip, &frac) != 2)
		return INT64_MIN;
	if (ip < 0 || (ip == 0 && s[0] == '-'))
		return (int64_t)ip * 1000 - frac;
	return (int64_t)ip * 1000 + frac;
}

/* Reads a buddyinfo-shaped file; indices in thousandths if milli. */
static int read_kview(const char *path, bool milli, struct kview *kv)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	memset(kv, 0, sizeof(*kv));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && kv->nr < MAX_ZONES) {
		struct kzone *z = &kv->z[kv->nr];
		char *p, *tok, *save;
		int used;

		if (sscanf(line, "Node %d, zone %15s %n", &z->node, z->name,
			   &used) != 2)
			continue;
		p = line + used;
		for (tok = strtok_r(p, " \t\n", &save); tok && z->n < MV_MAX_ORDERS;
		     tok = strtok_r(NULL, " \t\n", &save))
			z->v[z->n++] = milli ? parse_milli(tok) : strtoll(tok, NULL, 10);
		kv->nr++;
	}
	fclose(f);
	return 0;
}

static const struct kzone *kview_find(const struct kview *kv, int node,
				      const char *name)
{
	int i;

	for (i = 0; i < kv->nr; i++)
		if (kv->z[i].node == node && !strcmp(kv->z[i].name, name))
			return &kv->z[i];
	return NULL;
}

/* mm/vmstat.c's formulas, re-derived: see Documentation/memvirt.rst. */
static void indices(const uint64_t *blocks, int nr, int order,
		    int64_t *unusable, int64_t *frag)
{
	uint64_t free = 0, total = 0, suitable = 0;
	int o;

	for (o = 0; o < nr; o++) {
		total += blocks[o];
		free += blocks[o] << o;
		if (o >= order)
			suitable += blocks[o] << (o - order);
	}
	*unusable = free ? (int64_t)((free - (suitable << order)) * 1000 / free) : 1000;
	if (!total)
		*frag = 0;
	else if (suitable)
		*frag = -1000;
	else
		*frag = 1000 - (int64_t)((1000 + free * 1000 / (1ULL << order)) / total);
}

static void zone_blocks(const struct mv_zone *z, uint64_t *b)
{
	int o;

	for (o = 0; o < z->nr_orders && o < MV_MAX_ORDERS; o++)
		b[o] = z->order[o].free_blocks;
}

/* Blocks of node @node usable for 2M pages, in 2M units (the CLI's verdict). */
static uint64_t node_2m(const struct mv_zone *zs, int nr, int node)
{
	uint64_t n = 0;
	int i, o;

	for (i = 0; i < nr; i++)
		for (o = ORDER_2M; zs[i].node == (uint32_t)node && o < zs[i].nr_orders; o++)
			n += zs[i].order[o].free_blocks << (o - ORDER_2M);
	return n;
}

FIXTURE(frag) {
	struct mv_nl nl;
};

FIXTURE_SETUP_SKIPPING(frag, memvirt_open, memvirt_teardown, &self->nl)

/* Every attribute present with its size; free pages and indices add up. */
TEST_F(frag, self_consistent)
{
	struct mv_zone *zs;
	int nr, i, o;

	ASSERT_EQ(0, mv_dump_zones(&self->nl, &zs, &nr, NULL, NULL));
	ASSERT_LT(0, nr);
	for (i = 0; i < nr; i++) {
		const struct mv_zone *z = &zs[i];
		uint64_t b[MV_MAX_ORDERS] = { 0 }, free = 0;
		int maxo = -1;

		EXPECT_EQ(0, z->bad) TH_LOG("zone %d bad attributes %#llx", i,
					    (unsigned long long)z->bad);
		EXPECT_EQ(0x7cULL, z->have & 0x7c) TH_LOG("node %u %s: have %#llx",
			  z->node, z->name, (unsigned long long)z->have);
		ASSERT_LE(10, z->nr_orders);
		ASSERT_GE(MV_MAX_ORDERS, z->nr_orders);
		if (i)
			EXPECT_TRUE(z->node > zs[i - 1].node ||
				    (z->node == zs[i - 1].node &&
				     strcmp(z->name, zs[i - 1].name)));
		zone_blocks(z, b);
		for (o = 0; o < z->nr_orders; o++) {
			int64_t u, f;

			EXPECT_EQ(0x3cULL, z->order[o].have & 0x3c);
			EXPECT_EQ(0, z->order[o].bad);
			EXPECT_EQ((uint32_t)o, z->order[o].order);
			free += b[o] << o;
			if (b[o])
				maxo = o;
			indices(b, z->nr_orders, o, &u, &f);
			EXPECT_EQ(u, z->order[o].unusable) TH_LOG("node %u %s order %d",
								   z->node, z->name, o);
			EXPECT_EQ(f, z->order[o].frag) TH_LOG("node %u %s order %d",
							       z->node, z->name, o);
		}
		EXPECT_EQ(free, z->free_pages);
		EXPECT_EQ(maxo, z->max_free_order);
		EXPECT_LE(z->free_pages, z->managed_pages);
	}
	free(zs);
}

/* The request takes no attributes: rejected with a message, as nobody too. */
TEST_F(frag, rejects_attributes)
{
	struct nl_msg *msg = mv_msg(&self->nl, MEMVIRT_CMD_ZONE_GET, NLM_F_DUMP);
	uint32_t one = 1;
	struct mv_err e;

	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put(msg, MEMVIRT_A_ZONE_NODE, sizeof(one), &one));
	mv_request(&self->nl, msg, NULL, NULL, &e, NULL);
	EXPECT_EQ(-EINVAL, e.err);
	EXPECT_NE(0, e.msg[0]) TH_LOG("no extack message");
	TH_LOG("extack: %s", e.msg);

	msg = mv_msg(&self->nl, MEMVIRT_CMD_ZONE_GET, NLM_F_DUMP);
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put(msg, MEMVIRT_A_ZONE_MAX + 10, sizeof(one), &one));
	mv_request(&self->nl, msg, NULL, NULL, &e, NULL);
	EXPECT_EQ(-EINVAL, e.err);
}

/* No privilege needed: nobody without capabilities dumps the zones. */
TEST_F(frag, unprivileged)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct mv_zone *zs;
		struct mv_nl nl;
		int nr;

		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(2);
		if (mv_nl_open(&nl))
			_exit(3);
		_exit(mv_dump_zones(&nl, &zs, &nr, NULL, NULL) || nr < 1 ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * Every count lies within buddyinfo read just before and just after the
 * dump (+- @slack blocks). Returns the number of counts outside.
 */
static int compare_buddyinfo(struct __test_metadata *_metadata,
			     const struct mv_zone *zs, int nr,
			     const struct kview *b1, const struct kview *b2,
			     int64_t slack, bool report)
{
	int i, o, bad = 0;

	for (i = 0; i < nr; i++) {
		const struct kzone *k1 = kview_find(b1, zs[i].node, zs[i].name);
		const struct kzone *k2 = kview_find(b2, zs[i].node, zs[i].name);

		if (!k1 || !k2 || k1->n != zs[i].nr_orders || k2->n != zs[i].nr_orders) {
			if (report)
				TH_LOG("node %u zone %s: not in buddyinfo with %d orders",
				       zs[i].node, zs[i].name, zs[i].nr_orders);
			bad++;
			continue;
		}
		for (o = 0; o < zs[i].nr_orders; o++) {
			int64_t v = zs[i].order[o].free_blocks;
			int64_t lo = k1->v[o] < k2->v[o] ? k1->v[o] : k2->v[o];
			int64_t hi = k1->v[o] < k2->v[o] ? k2->v[o] : k1->v[o];

			if (v >= lo - slack && v <= hi + slack)
				continue;
			if (report)
				TH_LOG("node %u %s order %d: %lld, buddyinfo %lld..%lld",
				       zs[i].node, zs[i].name, o, (long long)v,
				       (long long)lo, (long long)hi);
			bad++;
		}
	}
	return bad;
}

TEST_F(frag, buddyinfo)
{
	struct kview *b1 = malloc(sizeof(*b1)), *b2 = malloc(sizeof(*b2));
	struct mv_zone *zs = NULL;
	int nr, round, bad = -1;

	ASSERT_NE(NULL, b1);
	ASSERT_NE(NULL, b2);
	/* A quiet moment: all counts inside the two reads, no slack. */
	for (round = 0; round < 20 && bad; round++) {
		free(zs);
		ASSERT_EQ(0, read_kview("/proc/buddyinfo", false, b1));
		ASSERT_EQ(0, mv_dump_zones(&self->nl, &zs, &nr, NULL, NULL));
		ASSERT_EQ(0, read_kview("/proc/buddyinfo", false, b2));
		ASSERT_EQ(b1->nr, nr) TH_LOG("buddyinfo has %d zones, dump %d", b1->nr, nr);
		bad = compare_buddyinfo(_metadata, zs, nr, b1, b2, 0, false);
	}
	TH_LOG("%d zones, %s after %d rounds", nr, bad ? "no exact match" : "exact",
	       round);
	/* The allocator never paused: allow pcp-batch sized drift. */
	if (bad)
		EXPECT_EQ(0, compare_buddyinfo(_metadata, zs, nr, b1, b2, 64, true));
	free(zs);
	free(b1);
	free(b2);
}

/*
 * Unusable and fragmentation index of every order equal the debugfs
 * extfrag files. Exactly, when buddyinfo did not move around the reads;
 * else within a small drift.
 */
TEST_F(frag, extfrag)
{
	struct kview *b1 = malloc(sizeof(*b1)), *b2 = malloc(sizeof(*b2));
	struct kview *ku = malloc(sizeof(*ku)), *kf = malloc(sizeof(*kf));
	struct mv_zone *zs = NULL;
	int nr = 0, round, i, o, quiet = 0, checked = 0;

	ASSERT_NE(NULL, b1);
	ASSERT_NE(NULL, kf);
	if (access("/sys/kernel/debug/extfrag/unusable_index", R_OK))
		SKIP(return, "no /sys/kernel/debug/extfrag (debugfs not mounted?)");
	for (round = 0; round < 20 && !quiet; round++) {
		free(zs);
		ASSERT_EQ(0, read_kview("/proc/buddyinfo", false, b1));
		ASSERT_EQ(0, mv_dump_zones(&self->nl, &zs, &nr, NULL, NULL));
		ASSERT_EQ(0, read_kview("/sys/kernel/debug/extfrag/unusable_index", true, ku));
		ASSERT_EQ(0, read_kview("/sys/kernel/debug/extfrag/extfrag_index", true, kf));
		ASSERT_EQ(0, read_kview("/proc/buddyinfo", false, b2));
		quiet = !compare_buddyinfo(_metadata, zs, nr, b1, b2, 0, false) &&
			!memcmp(b1, b2, sizeof(*b1));
	}
	TH_LOG("%s after %d rounds", quiet ? "quiet" : "allocator busy", round);
	for (i = 0; i < nr; i++) {
		const struct kzone *u = kview_find(ku, zs[i].node, zs[i].name);
		const struct kzone *f = kview_find(kf, zs[i].node, zs[i].name);
		int64_t tol = quiet ? 0 : 20;

		ASSERT_NE(NULL, u) TH_LOG("node %u %s not in unusable_index", zs[i].node, zs[i].name);
		ASSERT_NE(NULL, f) TH_LOG("node %u %s not in extfrag_index", zs[i].node, zs[i].name);
		ASSERT_EQ(zs[i].nr_orders, u->n);
		ASSERT_EQ(zs[i].nr_orders, f->n);
		for (o = 0; o < zs[i].nr_orders; o++) {
			int64_t mu = zs[i].order[o].unusable, mf = zs[i].order[o].frag;

			checked++;
			EXPECT_GE(tol, llabs(mu - u->v[o]))
				TH_LOG("node %u %s order %d unusable: %lld, debugfs %lld",
				       zs[i].node, zs[i].name, o, (long long)mu,
				       (long long)u->v[o]);
			/* -1000 flips with one block appearing: only if busy. */
			if (!quiet && (mf == -1000) != (f->v[o] == -1000))
				continue;
			EXPECT_GE(tol, llabs(mf - f->v[o]))
				TH_LOG("node %u %s order %d frag: %lld, debugfs %lld",
				       zs[i].node, zs[i].name, o, (long long)mf,
				       (long long)f->v[o]);
		}
	}
	TH_LOG("%d zone-orders compared", checked);
	free(zs);
	free(b1);
	free(b2);
	free(ku);
	free(kf);
}

struct node_view {
	uint64_t free_pages;	/* all zones of the node */
	uint64_t blocks_2m;	/* order >= 9 free blocks, 2M units */
	int64_t unusable9;	/* of the node's zone with most free pages */
	int64_t frag9;
	char zone[16];
};

static int node_view(struct mv_nl *nl, int node, struct node_view *v)
{
	struct mv_zone *zs;
	uint64_t best = 0;
	int nr, i, ret;

	memset(v, 0, sizeof(*v));
	ret = mv_dump_zones(nl, &zs, &nr, NULL, NULL);
	if (ret)
		return ret;
	for (i = 0; i < nr; i++) {
		if (zs[i].node != (uint32_t)node || zs[i].nr_orders <= ORDER_2M)
			continue;
		v->free_pages += zs[i].free_pages;
		if (zs[i].free_pages >= best) {
			best = zs[i].free_pages;
			v->unusable9 = zs[i].order[ORDER_2M].unusable;
			v->frag9 = zs[i].order[ORDER_2M].frag;
			snprintf(v->zone, sizeof(v->zone), "%s", zs[i].name);
		}
	}
	v->blocks_2m = node_2m(zs, nr, node);
	free(zs);
	return 0;
}

static void log_view(struct __test_metadata *_metadata, const char *when,
		     const struct node_view *v)
{
	TH_LOG("%-12s free %6llu MiB, 2M blocks %5llu, %s order 9: unusable %lld frag %lld",
	       when, (unsigned long long)(v->free_pages * PAGE_4K >> 20),
	       (unsigned long long)v->blocks_2m, v->zone,
	       (long long)v->unusable9, (long long)v->frag9);
}

/*
 * Fragment one node on purpose: 60 % of its free memory in order-0 pages
 * (MADV_NOHUGEPAGE, bound to the node), then every other page freed. The 2M
 * blocks go down and the order-9 unusable index goes up; munmap brings them
 * back.
 */
TEST_F_TIMEOUT(frag, fragment, 300)
{
	struct node_view v0, v1, v2;
	unsigned long mask, npages, i;
	int node = 1;
	size_t len;
	char *p;

	if (access("/sys/devices/system/node/node1", F_OK))
		node = 0;
	ASSERT_EQ(0, node_view(&self->nl, node, &v0));
	log_view(_metadata, "before", &v0);
	if (v0.blocks_2m < 64)
		SKIP(return, "node %d has only %llu free 2M blocks to start with",
		     node, (unsigned long long)v0.blocks_2m);

	npages = v0.free_pages * 6 / 10;
	len = npages * PAGE_4K;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	madvise(p, len, MADV_NOHUGEPAGE);
	mask = 1UL << node;
	if (syscall(SYS_mbind, p, len, MV_MPOL_BIND, &mask, 8 * sizeof(mask), 0))
		TH_LOG("mbind to node %d: %s (not bound)", node, strerror(errno));
	for (i = 0; i < npages; i++)
		p[i * PAGE_4K] = 1;
	for (i = 0; i < npages; i += 2)
		ASSERT_EQ(0, madvise(p + i * PAGE_4K, PAGE_4K, MADV_DONTNEED));
	ASSERT_EQ(0, node_view(&self->nl, node, &v1));
	log_view(_metadata, "fragmented", &v1);

	ASSERT_EQ(0, munmap(p, len));
	/*
	 * Freed pages may wait on per-CPU lists, which the free storm grew
	 * (6.7+ tunes their size and shrinks it again every second): poll.
	 */
	for (i = 0; i < 60; i++) {
		ASSERT_EQ(0, node_view(&self->nl, node, &v2));
		if (v2.blocks_2m >= v1.blocks_2m + (v0.blocks_2m - v1.blocks_2m) * 9 / 10)
			break;
		usleep(500 * 1000);
	}
	log_view(_metadata, "released", &v2);
	TH_LOG("released after %.1f s", i * 0.5);

	/* Touching 60 % of the free memory took at least half the 2M blocks. */
	EXPECT_LE(v1.blocks_2m, v0.blocks_2m / 2);
	/* The freed half is order-0 holes: order 9 cannot use it. */
	EXPECT_GE(v1.unusable9, v0.unusable9 + 200);
	EXPECT_TRUE(v1.frag9 >= v0.frag9);
	/* Released: most of the 2M blocks and the index come back. */
	EXPECT_GE(v2.blocks_2m, v1.blocks_2m + (v0.blocks_2m - v1.blocks_2m) * 8 / 10);
	EXPECT_LE(v2.unusable9, v0.unusable9 + 100);
}

/* `memvirt frag` as uid 65534 prints the zone table and a verdict per node. */
TEST_F_TIMEOUT(frag, cli_nonroot, 60)
{
	bool table = false, verdict = false;
	struct json_object *zones;
	struct cli_run r;
	char *line;

	if (!cli_path())
		SKIP(return, "memvirt CLI not found (set MEMVIRT_CLI or PATH)");
	cli_run(&r, 65534, (const char *const[]){ "frag", NULL });
	for (line = r.out ? strtok(r.out, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		printf("# %s\n", line);
		table |= strstr(line, "ORDER") || strstr(line, "FREE-BLOCKS");
		verdict |= !strncmp(line, "node ", 5) && strstr(line, "2M");
	}
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_TRUE(table);
	EXPECT_TRUE(verdict);
	cli_run_free(&r);

	/* --json: every zone of the kernel's, each with its orders. */
	cli_run(&r, 65534, (const char *const[]){ "frag", "--json", NULL });
	zones = json_get(cli_doc(&r), "zones");
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_NE(NULL, zones) TH_LOG("no \"zones\" in %s", r.out);
	EXPECT_LT(0, (int)json_object_array_length(zones));
	EXPECT_NE(NULL, json_get(zones, "[0].orders[9].free_blocks"));
	cli_run_free(&r);
}

TEST_HARNESS_MAIN
