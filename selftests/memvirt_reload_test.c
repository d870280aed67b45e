// SPDX-License-Identifier: GPL-2.0
/*
 * Module life cycle against live VMs: VMs created before insmod are found,
 * rmmod with VMs alive is clean and leaves them running, and a reload lists
 * them again with current numbers. Needs MEMVIRT_KO.
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

FIXTURE(reload) {
	struct mv_nl nl;
};

FIXTURE_SETUP(reload)
{
	const char *why;

	self->nl.sk = NULL;
	if (!kmod_path())
		SKIP(return, "MEMVIRT_KO not set: cannot reload the module");
	if (access(kmod_path(), R_OK))
		SKIP(return, "MEMVIRT_KO=%s: %s", kmod_path(), strerror(errno));
	if (access("/sys/kernel/debug/kvm", F_OK))
		SKIP(return, "KVM debugfs not mounted at /sys/kernel/debug/kvm");
	why = memvirt_setup(&self->nl);
	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(reload)
{
	memvirt_teardown(&self->nl);	/* reloads if a test left it out */
}

static void unload(struct __test_metadata *_metadata, struct mv_nl *nl)
{
	struct mv_nl probe;

	mv_nl_close(nl);
	ASSERT_EQ(0, kmod_unload()) TH_LOG("rmmod memvirt: %s", strerror(errno));
	ASSERT_FALSE(kmod_loaded());
	ASSERT_EQ(-ENOENT, mv_nl_open(&probe)) TH_LOG("family still registered");
}

static void load(struct __test_metadata *_metadata, struct mv_nl *nl)
{
	int ret = kmod_load();

	ASSERT_EQ(0, ret) TH_LOG("insmod %s: %s", kmod_path(), strerror(-ret));
	ASSERT_EQ(0, mv_nl_open(nl));
}

/* Listed with pid, vCPUs, memory and mappings equal to debugfs. */
static void expect_listed(struct __test_metadata *_metadata, struct mv_nl *nl,
			  const char *id, int pid, int vcpus, uint64_t mem)
{
	struct mv_vm *vms;
	const struct mv_vm *v;
	uint64_t kvm;
	int nr;

	ASSERT_EQ(0, mv_dump_vms(nl, &vms, &nr, NULL, NULL));
	v = mv_find_vm(vms, nr, id);
	ASSERT_NE(NULL, v) TH_LOG("VM %s not listed among %d", id, nr);
	EXPECT_EQ(pid, v->val[MEMVIRT_A_VM_PID]);
	EXPECT_EQ(vcpus, v->val[MEMVIRT_A_VM_VCPUS_CREATED]);
	EXPECT_EQ(mem, v->val[MEMVIRT_A_VM_MEM_BYTES]);
	ASSERT_VMM(vmm_debugfs_stat(id, "pages_4k", &kvm));
	EXPECT_EQ(kvm, v->val[MEMVIRT_A_VM_MAP_4K]);
	free(vms);
}

/* (a) VMs created while the module is out are found after insmod. */
TEST_F_TIMEOUT(reload, vm_before_insmod, 120)
{
	const char *argv[] = { "--vms", "2", "--vcpus", "2",
		"--slot", "gpa=0x100000,size=2M,backing=nothp",
		"--touch", "0,0,9,4096,w", NULL };
	struct vmm_touch t = { .count = 12, .stride = 4096, .write = true };
	struct vmm_proc p;
	struct vmm_vm *vm;
	int i;

	unload(_metadata, &self->nl);
	vm = ASSERT_VMM(vmm_vm_create(1));
	t.slot = ASSERT_VMM(vmm_add_slot(vm, 0x100000, 1 << 20, VMM_BACKING_MEMFD, 0));
	ASSERT_VMM(vmm_touch(vm, &t));
	ASSERT_VMM(vmmp_start(&p, argv));

	load(_metadata, &self->nl);
	expect_listed(_metadata, &self->nl, vm->id, getpid(), 1, vmm_mem_bytes(vm));
	for (i = 0; i < p.nr_vms; i++)
		expect_listed(_metadata, &self->nl, p.id[i], p.pid, 2, 0x1000 + (2 << 20));
	EXPECT_EQ(0, vmmp_stop(&p));
	vmm_vm_destroy(vm);
}

/* (i) rmmod with VMs alive: clean, VMs keep running, listed after insmod. */
TEST_F_TIMEOUT(reload, rmmod_with_vms_alive, 120)
{
	struct vmm_touch t = { .count = 20, .stride = 4096, .write = true };
	uint64_t before, after;
	struct vmm_vm *vm;
	int round;

	vm = ASSERT_VMM(vmm_vm_create(2));
	t.slot = ASSERT_VMM(vmm_add_slot(vm, 0x100000, 8 << 20, VMM_BACKING_NOTHP, 0));
	ASSERT_VMM(vmm_touch(vm, &t));
	expect_listed(_metadata, &self->nl, vm->id, getpid(), 2, vmm_mem_bytes(vm));

	for (round = 0; round < 3; round++) {
		unload(_metadata, &self->nl);
		/* The VM runs on without the module and maps new pages. */
		ASSERT_VMM(vmm_debugfs_stat(vm->id, "pages_4k", &before));
		t.offset = (uint64_t)(round + 1) << 20;
		ASSERT_VMM(vmm_touch(vm, &t));
		ASSERT_VMM(vmm_debugfs_stat(vm->id, "pages_4k", &after));
		EXPECT_EQ(before + t.count, after);

		load(_metadata, &self->nl);
		expect_listed(_metadata, &self->nl, vm->id, getpid(), 2, vmm_mem_bytes(vm));
	}
	vmm_vm_destroy(vm);
}

TEST_HARNESS_MAIN
