// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping counts: what memvirt reports for a VM's two-dimensional page
 * tables against what the test VMM touched and KVM's own debugfs counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "memvirt_nl.h"
#include "testlib.h"
#include "vmm.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL

FIXTURE(map) {
	struct mv_nl nl;
	struct vmm_vm *vm;
};

FIXTURE_SETUP(map)
{
	const char *why = memvirt_setup(&self->nl);

	self->vm = NULL;
	if (why)
		SKIP(return, "%s", why);
	if (access("/sys/kernel/debug/kvm", F_OK))
		SKIP(return, "KVM debugfs not mounted at /sys/kernel/debug/kvm");
	self->vm = ASSERT_VMM(vmm_vm_create(1));
	/* Map the code page now so later deltas are data pages alone. */
	ASSERT_VMM(vmm_touch_gpa(self->vm, VMM_CODE_GPA, 1, 0, false));
}

FIXTURE_TEARDOWN(map)
{
	vmm_vm_destroy(self->vm);
	memvirt_teardown(&self->nl);
}

struct counts {
	uint64_t mv[3];		/* memvirt MAP_4K, MAP_2M, MAP_1G */
	uint64_t kvm[3];	/* debugfs pages_4k, pages_2m, pages_1g */
};

/* Reads both sides; the VM is idle, so they must agree exactly. */
static void read_counts(struct __test_metadata *_metadata, struct mv_nl *nl,
			const char *id, struct counts *c, struct mv_vm *out)
{
	static const char *const names[3] = { "pages_4k", "pages_2m", "pages_1g" };
	static const int attrs[3] = { MEMVIRT_A_VM_MAP_4K, MEMVIRT_A_VM_MAP_2M,
				      MEMVIRT_A_VM_MAP_1G };
	struct mv_vm v;
	struct mv_err e;
	int i;

	ASSERT_EQ(0, mv_get_vm(nl, id, &v, &e)) TH_LOG("get %s: %s %s", id,
		  strerror(-e.err), e.msg);
	EXPECT_EQ(0, v.bad);
	for (i = 0; i < 3; i++) {
		ASSERT_TRUE(MV_HAS(&v, attrs[i])) TH_LOG("%s: no attribute %d", id, attrs[i]);
		c->mv[i] = v.val[attrs[i]];
		ASSERT_VMM(vmm_debugfs_stat(id, names[i], &c->kvm[i]));
		EXPECT_EQ(c->kvm[i], c->mv[i]) TH_LOG("%s: memvirt %llu, debugfs %s %llu", id,
			  (unsigned long long)c->mv[i], names[i],
			  (unsigned long long)c->kvm[i]);
	}
	if (MV_HAS(&v, MEMVIRT_A_VM_MAPPED_BYTES)) {
		EXPECT_EQ(c->mv[0] * SZ_4K + c->mv[1] * SZ_2M + c->mv[2] * SZ_1G,
			  v.val[MEMVIRT_A_VM_MAPPED_BYTES]);
	}
	if (out)
		*out = v;
}

/* N new 4K pages: memvirt's 4K count rises by at least N, equals KVM's. */
TEST_F(map, touch_4k)
{
	struct vmm_touch t = { .offset = 5 * SZ_4K, .count = 100, .stride = 4096,
			       .write = true };
	struct counts before, after;

	t.slot = ASSERT_VMM(vmm_add_slot(self->vm, 0x100000, 16 << 20, VMM_BACKING_NOTHP, 0));
	read_counts(_metadata, &self->nl, self->vm->id, &before, NULL);
	ASSERT_VMM(vmm_touch(self->vm, &t));
	read_counts(_metadata, &self->nl, self->vm->id, &after, NULL);
	EXPECT_LE(before.mv[0] + t.count, after.mv[0]);
	EXPECT_EQ(before.kvm[0] + t.count, after.kvm[0]);

	/* Reads of other pages, a sparse stride. */
	t.offset = 2 << 20;
	t.count = 33;
	t.stride = 5 * 4096;
	t.write = false;
	before = after;
	ASSERT_VMM(vmm_touch(self->vm, &t));
	read_counts(_metadata, &self->nl, self->vm->id, &after, NULL);
	EXPECT_LE(before.mv[0] + t.count, after.mv[0]);
	EXPECT_EQ(before.kvm[0] + t.count, after.kvm[0]);
}

/* Whole THP-backed 2M regions touched: 2M mappings, huge share > 0. */
TEST_F(map, thp_2m)
{
	const uint64_t size = 6 * SZ_2M, gpa = 0x40000000;
	struct counts before, after;
	uint64_t huge;
	char mode[32];
	struct mv_vm v;
	int slot;

	if (thp_mode(mode, sizeof(mode)))
		SKIP(return, "no transparent hugepages in this kernel");
	read_counts(_metadata, &self->nl, self->vm->id, &before, NULL);
	slot = ASSERT_VMM(thp_slot_touched(self->vm, gpa, size, &huge));
	if (!huge)
		SKIP(return, "the host gave no THP (mode %s); fragmented memory?", mode);
	pages_2m_retouched(self->vm, slot, before.kvm[1] + huge);
	read_counts(_metadata, &self->nl, self->vm->id, &after, &v);
	EXPECT_EQ(before.mv[1] + huge, after.mv[1]);
	if (MV_HAS(&v, MEMVIRT_A_VM_HUGE_MAPPED_PPM) && MV_HAS(&v, MEMVIRT_A_VM_MAPPED_BYTES)) {
		uint64_t mapped = v.val[MEMVIRT_A_VM_MAPPED_BYTES];
		uint64_t want = (after.mv[1] * SZ_2M + after.mv[2] * SZ_1G) * 1000000 / mapped;

		EXPECT_GE(want + 1, v.val[MEMVIRT_A_VM_HUGE_MAPPED_PPM]);
		EXPECT_LE(want, v.val[MEMVIRT_A_VM_HUGE_MAPPED_PPM] + 1);
	}
}

/* A dirty-logged slot is mapped 4K only, even when THP-backed. */
TEST_F(map, dirty_log_4k)
{
	const uint64_t size = 2 * SZ_2M;
	struct vmm_touch t = { .count = size / SZ_4K, .stride = 4096, .write = true };
	struct counts before, after;

	t.slot = ASSERT_VMM(vmm_add_slot(self->vm, 0x20000000, size, VMM_BACKING_THP, VMM_SLOT_DIRTY_LOG));
	read_counts(_metadata, &self->nl, self->vm->id, &before, NULL);
	ASSERT_VMM(vmm_touch(self->vm, &t));
	read_counts(_metadata, &self->nl, self->vm->id, &after, NULL);
	EXPECT_EQ(before.mv[1], after.mv[1]);
	EXPECT_LE(before.mv[0] + t.count, after.mv[0]);
}

/* Every VM of a dump agrees with debugfs, whatever each one touched. */
TEST_F(map, dump_matches_debugfs)
{
	const char *argv[] = { "--vms", "4",
		"--slot", "gpa=0x100000,size=8M,backing=nothp",
		"--touch", "0,0,17,4096,w", NULL };
	static const char *const names[3] = { "pages_4k", "pages_2m", "pages_1g" };
	static const int attrs[3] = { MEMVIRT_A_VM_MAP_4K, MEMVIRT_A_VM_MAP_2M,
				      MEMVIRT_A_VM_MAP_1G };
	struct vmm_proc p;
	struct mv_vm *vms;
	char cmd[128];
	int nr, i, k;

	ASSERT_VMM(vmmp_start(&p, argv));
	/* Give each VM a different amount. */
	for (i = 0; i < p.nr_vms; i++) {
		snprintf(cmd, sizeof(cmd), "touch 0,4M,%d,4096,r vm=%s", 1 + 7 * i, p.id[i]);
		ASSERT_VMM(vmmp_cmd(&p, cmd));
	}
	ASSERT_EQ(0, mv_dump_vms(&self->nl, &vms, &nr, NULL, NULL));
	for (i = 0; i < p.nr_vms; i++) {
		const struct mv_vm *v = mv_find_vm(vms, nr, p.id[i]);
		uint64_t kvm;

		ASSERT_NE(NULL, v) TH_LOG("%s not listed", p.id[i]);
		for (k = 0; k < 3; k++) {
			ASSERT_VMM(vmm_debugfs_stat(p.id[i], names[k], &kvm));
			EXPECT_EQ(kvm, v->val[attrs[k]]) TH_LOG("%s %s", p.id[i], names[k]);
		}
		EXPECT_LE(1 + 17 + 1 + 7 * i, v->val[MEMVIRT_A_VM_MAP_4K]);
	}
	free(vms);
	EXPECT_EQ(0, vmmp_stop(&p));
}

/* The byte totals add up as the UAPI defines them. */
TEST_F(map, overhead_adds_up)
{
	static const int parts[] = {
		MEMVIRT_A_VM_RMAP_BYTES, MEMVIRT_A_VM_LPAGE_INFO_BYTES,
		MEMVIRT_A_VM_DIRTY_BITMAP_BYTES, MEMVIRT_A_VM_WRITE_TRACK_BYTES,
		MEMVIRT_A_VM_PAGE_TABLE_BYTES, MEMVIRT_A_VM_CACHE_BYTES,
		MEMVIRT_A_VM_VCPU_BYTES,
	};
	struct vmm_touch t = { .count = 64, .stride = 4096, .write = true };
	uint64_t sum = 0, cache_sum = 0;
	struct counts c;
	struct mv_vm v;
	unsigned int i;

	t.slot = ASSERT_VMM(vmm_add_slot(self->vm, 0x100000, 4 << 20, VMM_BACKING_NOTHP, VMM_SLOT_DIRTY_LOG));
	ASSERT_VMM(vmm_touch(self->vm, &t));
	read_counts(_metadata, &self->nl, self->vm->id, &c, &v);
	if (!MV_HAS(&v, MEMVIRT_A_VM_OVERHEAD_BYTES))
		SKIP(return, "OVERHEAD_BYTES not reported on this kernel");
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		sum += v.val[parts[i]];		/* absent = 0 */
	EXPECT_EQ(sum, v.val[MEMVIRT_A_VM_OVERHEAD_BYTES]);
	if (MV_HAS(&v, MEMVIRT_A_VM_PAGE_TABLE_BYTES)) {
		EXPECT_EQ((v.val[MEMVIRT_A_VM_MMU_TDP_PAGES] +
			   v.val[MEMVIRT_A_VM_MMU_SHADOW_PAGES]) * 4096,
			  v.val[MEMVIRT_A_VM_PAGE_TABLE_BYTES]);
		/* 65 pages mapped need a few page-table pages at least. */
		EXPECT_LT(0, v.val[MEMVIRT_A_VM_PAGE_TABLE_BYTES]);
	}
	/* 4M dirty-logged: at least one bit per page. */
	if (MV_HAS(&v, MEMVIRT_A_VM_DIRTY_BITMAP_BYTES)) {
		EXPECT_LE((4 << 20) / 4096 / 8, v.val[MEMVIRT_A_VM_DIRTY_BITMAP_BYTES]);
	}
	for (i = 0; i < (unsigned int)v.nr_caches; i++) {
		const struct mv_cache *mc = &v.cache[i];

		EXPECT_EQ(mc->val[MEMVIRT_A_CACHE_OBJECTS] * mc->val[MEMVIRT_A_CACHE_OBJECT_SIZE],
			  mc->val[MEMVIRT_A_CACHE_BYTES]);
		EXPECT_LE(mc->val[MEMVIRT_A_CACHE_OBJECTS], mc->val[MEMVIRT_A_CACHE_CAPACITY]);
		cache_sum += mc->val[MEMVIRT_A_CACHE_BYTES];
	}
	if (v.nr_caches && MV_HAS(&v, MEMVIRT_A_VM_CACHE_BYTES)) {
		EXPECT_EQ(cache_sum, v.val[MEMVIRT_A_VM_CACHE_BYTES]);
	}
}

TEST_HARNESS_MAIN
