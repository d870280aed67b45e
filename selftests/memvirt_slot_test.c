// SPDX-License-Identifier: GPL-2.0
/*
 * MEMVIRT_CMD_MEMSLOT_GET: the slots of a VM are exactly the ones the VMM
 * set (GPA, size, HVA, read-only and dirty-log flags), with bitmap sizes
 * that follow the flags.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "memvirt_nl.h"
#include "testlib.h"
#include "vmm.h"

FIXTURE(slot) {
	struct mv_nl nl;
	struct vmm_vm *vm;
};

static const struct {
	uint64_t gpa, size;
	enum vmm_backing backing;
	uint32_t flags;
} layout[] = {
	{ 0x00100000, 4 << 20, VMM_BACKING_NOTHP, 0 },
	{ 0x01000000, 2 << 20, VMM_BACKING_MEMFD, VMM_SLOT_READONLY },
	{ 0x02000000, 8 << 20, VMM_BACKING_ANON, VMM_SLOT_DIRTY_LOG },
	{ 0x04000000, 1 << 20, VMM_BACKING_NOTHP, VMM_SLOT_READONLY | VMM_SLOT_DIRTY_LOG },
	{ 0x80000000, 64 << 20, VMM_BACKING_THP, 0 },
};

#define NR_LAYOUT (int)(sizeof(layout) / sizeof(layout[0]))

FIXTURE_SETUP(slot)
{
	const char *why = memvirt_setup(&self->nl);
	int i;

	self->vm = NULL;
	if (why)
		SKIP(return, "%s", why);
	self->vm = ASSERT_VMM(vmm_vm_create(1));
	for (i = 0; i < NR_LAYOUT; i++) {
		int s = vmm_add_slot(self->vm, layout[i].gpa, layout[i].size,
				     layout[i].backing, layout[i].flags);

		if (s < 0 && errno == ENOTSUP)
			SKIP(return, "%s", vmm_error());
		ASSERT_LE(0, s) TH_LOG("vmm_add_slot: %s", vmm_error());
	}
}

FIXTURE_TEARDOWN(slot)
{
	vmm_vm_destroy(self->vm);
	memvirt_teardown(&self->nl);
}

static uint32_t mv_flags(uint32_t vmm_flags)
{
	return (vmm_flags & VMM_SLOT_DIRTY_LOG ? MEMVIRT_SLOT_F_DIRTY_LOG : 0) |
	       (vmm_flags & VMM_SLOT_READONLY ? MEMVIRT_SLOT_F_READONLY : 0);
}

static const struct mv_slot *find_slot(const struct mv_slot *sl, int nr,
				       const char *vm_id, uint32_t as, uint32_t id)
{
	int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(sl[i].vm_id, vm_id) && sl[i].val[MEMVIRT_A_SLOT_AS_ID] == as &&
		    sl[i].val[MEMVIRT_A_SLOT_ID] == id &&
		    !(sl[i].val[MEMVIRT_A_SLOT_FLAGS] & MEMVIRT_SLOT_F_INTERNAL))
			return &sl[i];
	return NULL;
}

/* Every slot the VMM set, with its GPA, size, HVA and flags; nothing else. */
TEST_F(slot, layout_matches)
{
	struct vmm_vm *vm = self->vm;
	struct mv_slot *sl;
	struct mv_vm v;
	struct mv_err e;
	int nr, i, user_as0 = 0;

	ASSERT_EQ(0, mv_dump_slots(&self->nl, vm->id, &sl, &nr, &e, NULL)) TH_LOG("dump: %s %s",
		  strerror(-e.err), e.msg);
	for (i = 0; i < nr; i++) {
		const struct mv_slot *s = &sl[i];

		EXPECT_EQ(0, s->bad) TH_LOG("slot %d: attributes of wrong size 0x%llx", i,
					    (unsigned long long)s->bad);
		EXPECT_STREQ(vm->id, s->vm_id);
		ASSERT_TRUE(MV_HAS(s, MEMVIRT_A_SLOT_ID) && MV_HAS(s, MEMVIRT_A_SLOT_AS_ID) &&
			    MV_HAS(s, MEMVIRT_A_SLOT_GPA) && MV_HAS(s, MEMVIRT_A_SLOT_SIZE) &&
			    MV_HAS(s, MEMVIRT_A_SLOT_FLAGS));
		if (!s->val[MEMVIRT_A_SLOT_AS_ID] &&
		    !(s->val[MEMVIRT_A_SLOT_FLAGS] & MEMVIRT_SLOT_F_INTERNAL))
			user_as0++;
	}
	EXPECT_EQ(vm->nr_slots, user_as0);

	for (i = 0; i < vm->nr_slots; i++) {
		const struct vmm_slot *want = &vm->slot[i];
		const struct mv_slot *s = find_slot(sl, nr, vm->id, 0, want->id);
		uint64_t min_bitmap = want->size / 4096 / 8;

		ASSERT_NE(NULL, s) TH_LOG("slot %u not reported", want->id);
		EXPECT_EQ(want->gpa, s->val[MEMVIRT_A_SLOT_GPA]);
		EXPECT_EQ(want->size, s->val[MEMVIRT_A_SLOT_SIZE]);
		EXPECT_EQ(mv_flags(want->flags), s->val[MEMVIRT_A_SLOT_FLAGS]);
		if (MV_HAS(s, MEMVIRT_A_SLOT_HVA)) {
			EXPECT_EQ((uintptr_t)want->hva, s->val[MEMVIRT_A_SLOT_HVA]);
		}
		if (MV_HAS(s, MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES)) {
			if (want->flags & VMM_SLOT_DIRTY_LOG) {
				EXPECT_LE(min_bitmap, s->val[MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES]);
			} else {
				EXPECT_EQ(0, s->val[MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES]);
			}
		}
	}

	/* The VM record agrees: all slots counted, memory summed. */
	ASSERT_EQ(0, mv_get_vm(&self->nl, vm->id, &v, &e)) TH_LOG("get: %s", e.msg);
	EXPECT_EQ(nr, v.val[MEMVIRT_A_VM_NR_MEMSLOTS]);
	EXPECT_EQ(vmm_mem_bytes(vm), v.val[MEMVIRT_A_VM_MEM_BYTES]);
	free(sl);
}

/* Without a selector every VM's slots come, ours among them, in order. */
TEST_F(slot, dump_all)
{
	struct mv_slot *sl;
	struct mv_stats st;
	int nr, i, ours = 0;

	ASSERT_EQ(0, mv_dump_slots(&self->nl, NULL, &sl, &nr, NULL, &st));
	for (i = 0; i < nr; i++) {
		if (!strcmp(sl[i].vm_id, self->vm->id))
			ours++;
		if (i && !strcmp(sl[i].vm_id, sl[i - 1].vm_id)) {
			uint64_t a = sl[i - 1].val[MEMVIRT_A_SLOT_AS_ID] << 32 |
				     sl[i - 1].val[MEMVIRT_A_SLOT_ID];
			uint64_t b = sl[i].val[MEMVIRT_A_SLOT_AS_ID] << 32 |
				     sl[i].val[MEMVIRT_A_SLOT_ID];

			EXPECT_LT(a, b) TH_LOG("slots of %s out of order at %d", sl[i].vm_id, i);
		}
	}
	EXPECT_LE(self->vm->nr_slots, ours);
	free(sl);
}

/* A slot deleted by the VMM leaves the dump; memory shrinks with it. */
TEST_F(slot, slot_deleted)
{
	struct vmm_vm *vm = self->vm;
	struct vmm_slot *gone = &vm->slot[vm->nr_slots - 1];
	struct kvm_userspace_memory_region r = { .slot = gone->id };
	struct mv_slot *sl;
	struct mv_vm v;
	int nr;

	/* KVM_SET_USER_MEMORY_REGION with size 0 deletes the slot. */
	ASSERT_EQ(0, ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r));
	ASSERT_EQ(0, mv_dump_slots(&self->nl, vm->id, &sl, &nr, NULL, NULL));
	EXPECT_EQ(NULL, find_slot(sl, nr, vm->id, 0, gone->id));
	EXPECT_NE(NULL, find_slot(sl, nr, vm->id, 0, vm->slot[0].id));
	ASSERT_EQ(0, mv_get_vm(&self->nl, vm->id, &v, NULL));
	EXPECT_EQ(vmm_mem_bytes(vm) - gone->size, v.val[MEMVIRT_A_VM_MEM_BYTES]);
	free(sl);
}

TEST_HARNESS_MAIN
