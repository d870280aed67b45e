// SPDX-License-Identifier: GPL-2.0
/*
 * The test VMM against KVM's own truth (debugfs pages_4k/2m), no memvirt
 * module needed: every later test relies on these properties.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "testlib.h"
#include "vmm.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL

static uint64_t stat_of(struct __test_metadata *_metadata, const char *id,
			const char *name)
{
	uint64_t v = 0;

	if (vmm_debugfs_stat(id, name, &v))
		TH_LOG("%s", vmm_error());
	return v;
}

#define STAT(vm, name) stat_of(_metadata, (vm)->id, name)

static bool debugfs_dir(const char *id)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s", id);
	return !stat(path, &st);
}

FIXTURE(vmm) {
	struct vmm_vm *vm;
};

FIXTURE_SETUP(vmm)
{
	struct stat st;

	self->vm = NULL;
	if (vmm_kvm_available())
		SKIP(return, "KVM unusable: %s", vmm_error());
	if (stat("/sys/kernel/debug/kvm", &st))
		SKIP(return, "KVM debugfs not mounted at /sys/kernel/debug/kvm");
	self->vm = ASSERT_VMM(vmm_vm_create(1));
	ASSERT_TRUE(debugfs_dir(self->vm->id)) TH_LOG("no debugfs dir for %s", self->vm->id);
}

FIXTURE_TEARDOWN(vmm)
{
	vmm_vm_destroy(self->vm);
}

/* N new 4K pages = N new 4K mappings; the code page adds one, once. */
TEST_F(vmm, touch_4k_exact)
{
	struct vmm_touch t = { .count = 37, .stride = 4096, .write = true };
	uint64_t before, after;

	t.slot = ASSERT_VMM(vmm_add_slot(self->vm, 0x100000, 4 << 20, VMM_BACKING_NOTHP, 0));

	before = STAT(self->vm, "pages_4k");
	ASSERT_VMM(vmm_touch(self->vm, &t));
	after = STAT(self->vm, "pages_4k");
	EXPECT_EQ(before + t.count + 1, after);

	/* Reads of N other pages, at an odd offset and stride. */
	t.offset = 64 * SZ_4K + 123;
	t.count = 11;
	t.stride = 3 * 4096;
	t.write = false;
	before = after;
	ASSERT_VMM(vmm_touch(self->vm, &t));
	after = STAT(self->vm, "pages_4k");
	EXPECT_EQ(before + t.count, after);

	/* Same pages again: nothing new. */
	before = after;
	ASSERT_VMM(vmm_touch(self->vm, &t));
	EXPECT_EQ(before, STAT(self->vm, "pages_4k"));
	EXPECT_EQ(0, STAT(self->vm, "pages_2m"));
	EXPECT_EQ(0, self->vm->mmio_exits);
}

TEST_F(vmm, memfd_4k)
{
	struct vmm_touch t = { .count = 20, .stride = 8192, .write = true };
	uint64_t before;

	t.slot = ASSERT_VMM(vmm_add_slot(self->vm, 0x400000, 1 << 20, VMM_BACKING_MEMFD, 0));
	/* Map the code page first, so the delta is the data pages alone. */
	ASSERT_VMM(vmm_touch_gpa(self->vm, VMM_CODE_GPA, 1, 0, false));
	before = STAT(self->vm, "pages_4k");
	ASSERT_VMM(vmm_touch(self->vm, &t));
	EXPECT_EQ(before + t.count, STAT(self->vm, "pages_4k"));
}

/* No slot there: every access exits to userspace, nothing is mapped. */
TEST_F(vmm, mmio_hole)
{
	uint64_t before;

	ASSERT_VMM(vmm_touch_gpa(self->vm, VMM_CODE_GPA, 1, 0, false));
	before = STAT(self->vm, "pages_4k");
	ASSERT_VMM(vmm_touch_gpa(self->vm, 0x80000000, 5, 4096, true));
	ASSERT_VMM(vmm_touch_gpa(self->vm, 0x80000000, 3, 4096, false));
	EXPECT_EQ(8, self->vm->mmio_exits);
	EXPECT_EQ(before, STAT(self->vm, "pages_4k"));
}

/* Writes to a read-only slot exit as MMIO; reads map it. */
TEST_F(vmm, readonly_slot)
{
	struct vmm_touch t = { .count = 6, .stride = 4096, .write = true };
	uint64_t before;

	t.slot = vmm_add_slot(self->vm, 0x800000, 1 << 20, VMM_BACKING_NOTHP,
			      VMM_SLOT_READONLY);
	if (t.slot < 0 && errno == ENOTSUP)
		SKIP(return, "%s", vmm_error());
	ASSERT_LE(0, t.slot) TH_LOG("vmm_add_slot: %s", vmm_error());
	ASSERT_VMM(vmm_touch_gpa(self->vm, VMM_CODE_GPA, 1, 0, false));
	before = STAT(self->vm, "pages_4k");
	ASSERT_VMM(vmm_touch(self->vm, &t));
	EXPECT_EQ(t.count, self->vm->mmio_exits);
	t.write = false;
	ASSERT_VMM(vmm_touch(self->vm, &t));
	EXPECT_EQ(before + t.count, STAT(self->vm, "pages_4k"));
}

/* Touching whole THP-backed 2M regions maps them with 2M entries. */
TEST_F(vmm, thp_2m)
{
	const uint64_t size = 8 * SZ_2M, gpa = 0x40000000;
	uint64_t before, huge;
	char mode[32];
	int slot;

	if (thp_mode(mode, sizeof(mode)))
		SKIP(return, "no transparent hugepages in this kernel");
	before = STAT(self->vm, "pages_2m");
	slot = ASSERT_VMM(thp_slot_touched(self->vm, gpa, size, &huge));
	if (!huge)
		SKIP(return, "the host gave no THP (mode %s); fragmented memory?", mode);
	TH_LOG("%lu of %lu regions THP-backed on the host", (unsigned long)huge,
	       (unsigned long)(size / SZ_2M));
	EXPECT_EQ(before + huge, pages_2m_retouched(self->vm, slot, before + huge));
}

/* memvirt-vmm: several VMs, each visible in debugfs, gone after quit. */
TEST(vmm_process)
{
	const char *argv[] = { "--vms", "3", "--vcpus", "2",
		"--slot", "gpa=0x100000,size=2M,backing=nothp",
		"--slot", "gpa=0x400000,size=1M,backing=memfd,flags=dirty",
		"--touch", "0,0,10,4096,w", NULL };
	struct vmm_proc p;
	struct stat st;
	uint64_t v;
	int i;

	if (vmm_kvm_available())
		SKIP(return, "KVM unusable: %s", vmm_error());
	if (stat("/sys/kernel/debug/kvm", &st))
		SKIP(return, "KVM debugfs not mounted at /sys/kernel/debug/kvm");
	ASSERT_VMM(vmmp_start(&p, argv));
	ASSERT_EQ(3, p.nr_vms);
	for (i = 0; i < p.nr_vms; i++) {
		ASSERT_TRUE(debugfs_dir(p.id[i])) TH_LOG("no debugfs dir for %s", p.id[i]);
		ASSERT_VMM(vmm_debugfs_stat(p.id[i], "pages_4k", &v));
		EXPECT_EQ(11, v);
	}
	ASSERT_VMM(vmmp_cmd(&p, "touch 1,0,4,4096,r"));
	for (i = 0; i < p.nr_vms; i++) {
		ASSERT_VMM(vmm_debugfs_stat(p.id[i], "pages_4k", &v));
		EXPECT_EQ(15, v);
	}
	EXPECT_NE(0, vmmp_cmd(&p, "touch 2,0,1,1,r"));
	EXPECT_NE(0, vmmp_cmd(&p, "bogus"));
	EXPECT_EQ(0, vmmp_cmd(&p, "stats"));
	EXPECT_EQ(0, vmmp_stop(&p));
	for (i = 0; i < 3; i++)
		EXPECT_FALSE(debugfs_dir(p.id[i])) TH_LOG("%s still in debugfs", p.id[i]);
}

TEST_HARNESS_MAIN
