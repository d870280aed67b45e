// SPDX-License-Identifier: GPL-2.0
/*
 * MEMVIRT_CMD_VM_GET: VMs are listed with the identity the test gave them,
 * vanish when destroyed, and a dump of 300 VMs is complete, ordered and
 * spans several netlink messages, also in many 4 KiB rounds; a dump
 * abandoned or paused after its first round pins no VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "memvirt_nl.h"
#include "testlib.h"
#include "vmm.h"

FIXTURE(vm) {
	struct mv_nl nl;
};

FIXTURE_SETUP_SKIPPING(vm, memvirt_setup, memvirt_teardown, &self->nl)

/* Dump order is (pid, fd) ascending; no id twice. */
static bool dump_ordered(struct __test_metadata *_metadata, const struct mv_vm *vms, int nr)
{
	const char *why = dump_order_error(vms, nr);

	if (why)
		TH_LOG("%s", why);
	return !why;
}

static void check_identity(struct __test_metadata *_metadata,
			   const struct mv_vm *v, int pid, const char *comm,
			   int vcpus, uint64_t mem_bytes, int nr_slots)
{
	EXPECT_VM_WELL_FORMED(v);
	EXPECT_VM_ATTR(v, MEMVIRT_A_VM_PID, pid);
	ASSERT_TRUE(MV_HAS(v, MEMVIRT_A_VM_COMM));
	EXPECT_STREQ(comm, v->comm);
	EXPECT_VM_ATTR(v, MEMVIRT_A_VM_VCPUS_CREATED, vcpus);
	EXPECT_VM_ATTR(v, MEMVIRT_A_VM_VCPUS_ONLINE, vcpus);
	EXPECT_VM_ATTR(v, MEMVIRT_A_VM_MEM_BYTES, mem_bytes);
	ASSERT_TRUE(MV_HAS(v, MEMVIRT_A_VM_NR_MEMSLOTS));
	EXPECT_LE(nr_slots, v->val[MEMVIRT_A_VM_NR_MEMSLOTS]);
}

/* An in-process VM: our pid and comm, the vCPUs and memory we gave it. */
TEST_F(vm, identity)
{
	struct vmm_vm *vm;
	const struct mv_vm *v;
	struct mv_vm *vms, got;
	struct mv_err e;
	char comm[32];
	int nr;

	vm = ASSERT_VMM(vmm_vm_create(3));
	ASSERT_VMM(vmm_add_slot(vm, 0x100000, 4 << 20, VMM_BACKING_NOTHP, 0));
	ASSERT_VMM(vmm_add_slot(vm, 0x800000, 2 << 20, VMM_BACKING_MEMFD, 0));
	ASSERT_VMM(vmm_add_slot(vm, 0x40000000, 6 << 20, VMM_BACKING_ANON, VMM_SLOT_DIRTY_LOG));
	self_comm(comm, sizeof(comm));

	ASSERT_EQ(0, mv_dump_vms(&self->nl, &vms, &nr, &e, NULL)) TH_LOG("dump: %s %s",
		  strerror(-e.err), e.msg);
	EXPECT_TRUE(dump_ordered(_metadata, vms, nr));
	v = mv_find_vm(vms, nr, vm->id);
	ASSERT_NE(NULL, v) TH_LOG("VM %s not in a dump of %d", vm->id, nr);
	check_identity(_metadata, v, getpid(), comm, 3, vmm_mem_bytes(vm), vm->nr_slots);

	/* The do form answers the same VM. */
	ASSERT_EQ(0, mv_get_vm(&self->nl, vm->id, &got, &e)) TH_LOG("get: %s %s",
		  strerror(-e.err), e.msg);
	EXPECT_STREQ(vm->id, got.id);
	check_identity(_metadata, &got, getpid(), comm, 3, vmm_mem_bytes(vm), vm->nr_slots);
	free(vms);
	vmm_vm_destroy(vm);
}

/*
 * The VMM is the process running in the VM's address space. When its
 * creator exits and only a forked child (another mm) still holds the VM,
 * the VM is reported with the child's pid and comm and without
 * PID_IS_MM_OWNER: nothing may read the child's memory map as the VM's.
 */
TEST_F(vm, held_by_other_mm)
{
	int ready[2], go[2], status;
	struct mv_vm got;
	struct mv_err e;
	char id[VMM_ID_LEN] = "", c;
	pid_t creator, holder;
	ssize_t n;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	creator = fork();
	ASSERT_LE(0, creator);
	if (!creator) {
		struct vmm_vm *vm = vmm_vm_create(1);

		close(go[1]);
		close(ready[0]);
		if (!vm)
			_exit(1);
		vmm_kvm_close();
		/* The holder inherits the VM fd; the creator then exits. */
		if (!fork()) {
			prctl(PR_SET_NAME, "mv-holder");
			if (read(go[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
		if (write(ready[1], vm->id, strlen(vm->id)) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	n = read(ready[0], id, sizeof(id) - 1);
	ASSERT_LT(0, n);
	ASSERT_EQ(creator, waitpid(creator, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* Wait for the holder to take its name. */
	holder = -1;
	for (int i = 0; i < 100 && holder < 0; i++) {
		char path[64], comm[32] = "";
		FILE *f;

		for (pid_t p = creator + 1; p < creator + 64; p++) {
			snprintf(path, sizeof(path), "/proc/%d/comm", p);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "mv-holder\n"))
				holder = p;
			fclose(f);
		}
		if (holder < 0)
			usleep(20000);
	}
	ASSERT_LT(0, holder);

	ASSERT_EQ(0, mv_get_vm(&self->nl, id, &got, &e)) TH_LOG("%s: %s", id, e.msg);
	EXPECT_EQ(holder, got.val[MEMVIRT_A_VM_PID]);
	EXPECT_STREQ("mv-holder", got.comm);
	EXPECT_FALSE(MV_HAS(&got, MEMVIRT_A_VM_PID_IS_MM_OWNER));

	close(go[1]);
	waitpid(holder, NULL, 0);
}

/* The creator running in the VM's mm is flagged as such. */
TEST_F(vm, creator_is_mm_owner)
{
	struct vmm_vm *vm;
	struct mv_vm got;
	struct mv_err e;

	vm = ASSERT_VMM(vmm_vm_create(1));
	ASSERT_EQ(0, mv_get_vm(&self->nl, vm->id, &got, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(getpid(), got.val[MEMVIRT_A_VM_PID]);
	EXPECT_TRUE(MV_HAS(&got, MEMVIRT_A_VM_PID_IS_MM_OWNER));
	vmm_vm_destroy(vm);
}

static int write_param(const char *name, unsigned int v)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/sys/module/memvirt/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ret = fprintf(f, "%u\n", v) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/*
 * The TDP page count holds KVM's mmu_lock and tdp_mmu_pages_lock; on
 * kernels without a counter (before 6.3) it walks a list, at most
 * tdp_walk_budget entries. A VM with more page-table pages than the budget
 * gets the budget as a lower bound, flagged; with room, the full count.
 * 6.3+ reads a counter and never needs the flag.
 */
TEST_F(vm, tdp_walk_bounded)
{
	struct vmm_touch t = { .offset = 0, .count = 64, .stride = 2 << 20, .write = true };
	struct vmm_vm *vm;
	struct mv_vm small, full;
	struct utsname u;
	struct mv_err e;
	int maj = 0, min = 0;
	bool listed;

	vm = ASSERT_VMM(vmm_vm_create(1));
	ASSERT_EQ(0, uname(&u));
	sscanf(u.release, "%d.%d", &maj, &min);
	listed = maj < 6 || (maj == 6 && min < 3);
	/* One 4K page in each of 64 separate 2M ranges: 64+ page-table pages. */
	t.slot = ASSERT_VMM(vmm_add_slot(vm, 0x10000000, 128 << 20, VMM_BACKING_NOTHP, 0));
	ASSERT_VMM(vmm_touch(vm, &t));

	ASSERT_EQ(0, write_param("tdp_walk_budget", 8));
	ASSERT_EQ(0, mv_get_vm(&self->nl, vm->id, &small, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, write_param("tdp_walk_budget", 4096));
	ASSERT_EQ(0, mv_get_vm(&self->nl, vm->id, &full, &e)) TH_LOG("%s", e.msg);
	TH_LOG("%s: TDP pages %llu with a budget of 8 (%s), %llu with 4096 (%s)",
	       u.release, (unsigned long long)small.val[MEMVIRT_A_VM_MMU_TDP_PAGES],
	       MV_HAS(&small, MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL) ? "partial" : "exact",
	       (unsigned long long)full.val[MEMVIRT_A_VM_MMU_TDP_PAGES],
	       MV_HAS(&full, MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL) ? "partial" : "exact");
	EXPECT_FALSE(MV_HAS(&full, MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL));
	EXPECT_LE(64, full.val[MEMVIRT_A_VM_MMU_TDP_PAGES]);
	if (listed) {
		EXPECT_TRUE(MV_HAS(&small, MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL));
		EXPECT_EQ(8, small.val[MEMVIRT_A_VM_MMU_TDP_PAGES]);
	} else {
		EXPECT_FALSE(MV_HAS(&small, MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL));
		EXPECT_EQ(full.val[MEMVIRT_A_VM_MMU_TDP_PAGES],
			  small.val[MEMVIRT_A_VM_MMU_TDP_PAGES]);
	}
	vmm_vm_destroy(vm);
}

/* A VM of another process (memvirt-vmm): its pid and comm. */
TEST_F(vm, other_process)
{
	const char *argv[] = { "--vms", "2", "--vcpus", "2",
		"--slot", "gpa=0x100000,size=3M,backing=nothp",
		"--slot", "gpa=0x2000000,size=1M,backing=memfd,flags=ro", NULL };
	const uint64_t mem = 0x1000 + (3 << 20) + (1 << 20);
	struct vmm_proc p;
	struct mv_vm *vms;
	int nr, i;

	ASSERT_VMM(vmmp_start(&p, argv));
	ASSERT_EQ(0, mv_dump_vms(&self->nl, &vms, &nr, NULL, NULL));
	for (i = 0; i < p.nr_vms; i++) {
		const struct mv_vm *v = mv_find_vm(vms, nr, p.id[i]);

		ASSERT_NE(NULL, v) TH_LOG("VM %s not listed", p.id[i]);
		check_identity(_metadata, v, p.pid, "memvirt-vmm", 2, mem, 3);
	}
	free(vms);
	EXPECT_EQ(0, vmmp_stop(&p));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A destroyed VM leaves the dump and VM_GET; its sibling stays. */
TEST_F(vm, destroyed_vm_disappears)
{
	struct vmm_vm *a, *b;
	char id_a[VMM_ID_LEN];
	struct mv_vm *vms, got;
	struct mv_err e;
	double t0;
	int nr;

	a = ASSERT_VMM(vmm_vm_create(1));
	b = ASSERT_VMM(vmm_vm_create(1));
	ASSERT_VMM(vmm_touch_gpa(a, VMM_CODE_GPA, 1, 0, false));
	ASSERT_EQ(0, mv_dump_vms(&self->nl, &vms, &nr, NULL, NULL));
	ASSERT_NE(NULL, mv_find_vm(vms, nr, a->id));
	ASSERT_NE(NULL, mv_find_vm(vms, nr, b->id));
	free(vms);

	strcpy(id_a, a->id);
	vmm_vm_destroy(a);
	/* close() has released the VM by the time it returns; allow 2 s. */
	for (t0 = now();; usleep(20000)) {
		ASSERT_EQ(0, mv_dump_vms(&self->nl, &vms, &nr, NULL, NULL));
		if (!mv_find_vm(vms, nr, id_a) || now() - t0 > 2)
			break;
		free(vms);
	}
	EXPECT_EQ(NULL, mv_find_vm(vms, nr, id_a)) TH_LOG("destroyed VM %s still listed", id_a);
	EXPECT_NE(NULL, mv_find_vm(vms, nr, b->id));
	free(vms);
	EXPECT_EQ(-ENOENT, mv_get_vm(&self->nl, id_a, &got, &e));
	vmm_vm_destroy(b);
}

#define MANY_VMS 300
/* Dumps read 4 KiB at a time come in rounds of at most 4 KiB. */
#define SMALL_RCVBUF 4096

/*
 * 300 VMs in one process: the dump lists exactly them plus what existed
 * before, in order, across more than one netlink message.
 */
TEST_F_TIMEOUT(vm, dump_300_vms, 600)
{
	const char *argv[] = { "--vms", "300", "--vcpus", "1", NULL };
	struct mv_vm *pre, *vms, *svms;
	struct mv_stats st, sst;
	struct mv_nl small;
	struct mv_err e;
	int nr_pre, nr, snr, i, ours = 0, old = 0;
	struct vmm_proc p;

	ASSERT_EQ(0, mv_dump_vms(&self->nl, &pre, &nr_pre, NULL, NULL));
	ASSERT_VMM(vmmp_start(&p, argv));
	ASSERT_EQ(MANY_VMS, p.nr_vms);

	ASSERT_EQ(0, mv_dump_vms(&self->nl, &vms, &nr, &e, &st)) TH_LOG("dump: %s %s",
		  strerror(-e.err), e.msg);
	TH_LOG("%d VMs in %u messages, %u recvmsg batches (%u with VMs)", nr,
	       st.msgs, st.batches, st.data_batches);
	EXPECT_TRUE(st.done);
	EXPECT_TRUE(dump_ordered(_metadata, vms, nr));
	for (i = 0; i < nr; i++) {
		int j, mine = 0;

		for (j = 0; j < p.nr_vms; j++)
			mine |= !strcmp(vms[i].id, p.id[j]);
		if (mine)
			ours++;
		else if (mv_find_vm(pre, nr_pre, vms[i].id))
			old++;
		else
			TH_LOG("unexpected VM %s", vms[i].id);
	}
	EXPECT_EQ(MANY_VMS, ours);
	EXPECT_EQ(nr, ours + old);
	EXPECT_LT(1, st.data_batches) TH_LOG("a dump of %d VMs fit one message", nr);
	for (i = 0; i < p.nr_vms; i++)
		EXPECT_NE(NULL, mv_find_vm(vms, nr, p.id[i])) TH_LOG("%s missing", p.id[i]);

	/* The same VMs in 4 KiB rounds: each exactly once, in the same order. */
	ASSERT_EQ(0, mv_nl_open_bufsize(&small, SMALL_RCVBUF));
	ASSERT_EQ(0, mv_dump_vms(&small, &svms, &snr, &e, &sst)) TH_LOG("dump: %s %s",
		  strerror(-e.err), e.msg);
	mv_nl_close(&small);
	TH_LOG("4 KiB rounds: %d VMs in %u messages, %u batches with VMs", snr, sst.msgs,
	       sst.data_batches);
	EXPECT_TRUE(sst.done);
	EXPECT_TRUE(dump_ordered(_metadata, svms, snr));
	ASSERT_EQ(nr, snr);
	for (i = 0; i < nr; i++)
		EXPECT_STREQ(vms[i].id, svms[i].id) TH_LOG("VM %d of the dumps", i);
	/* About 800 bytes per VM: some 60 rounds of 4 KiB, surely 10. */
	EXPECT_LE(10, sst.data_batches);
	free(svms);
	free(vms);
	free(pre);
	EXPECT_EQ(0, vmmp_stop(&p));

	ASSERT_EQ(0, mv_dump_vms(&self->nl, &vms, &nr, NULL, NULL));
	for (i = 0; i < p.nr_vms; i++)
		EXPECT_EQ(NULL, mv_find_vm(vms, nr, p.id[i])) TH_LOG("%s outlived its VMM", p.id[i]);
	free(vms);
}

/* VMs of one dump read batch by batch. */
struct vm_batches {
	struct mv_vm *vms;
	int nr, cap;
};

static int batches_cb(struct nlmsghdr *nlh, void *arg)
{
	struct vm_batches *b = arg;

	if (b->nr == b->cap) {
		int cap = b->cap ? 2 * b->cap : 64;
		struct mv_vm *v = realloc(b->vms, cap * sizeof(*v));

		if (!v)
			return -1;
		b->vms = v;
		b->cap = cap;
	}
	return mv_parse_vm(nlh, &b->vms[b->nr++]);
}

/* Sends a VM dump request on @nl; its sequence number in *@seq. */
static int vm_dump_send(struct mv_nl *nl, uint32_t *seq)
{
	struct nl_msg *msg = mv_msg(nl, MEMVIRT_CMD_VM_GET, NLM_F_DUMP);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = nl_send_auto(nl->sk, msg);
	*seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	return ret < 0 ? -EIO : 0;
}

/* How many of @p's VMs still have their KVM debugfs directory, after up to 2 s. */
static int vms_in_debugfs(const struct vmm_proc *p)
{
	char path[128];
	int i, left;
	double t0;

	for (t0 = now();; usleep(20000)) {
		for (i = 0, left = 0; i < p->nr_vms; i++) {
			snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s", p->id[i]);
			left += !access(path, F_OK);
		}
		if (!left || now() - t0 > 2)
			return left;
	}
}

/*
 * Two dumps of 100 VMs in 4 KiB rounds stop after their first round: one's
 * socket is closed, the other's is kept and not read. Neither pins a VM:
 * once the VMM exits, KVM destroys every VM (its debugfs directory goes)
 * and a new dump lists none of them. The paused dump then reads to its end
 * as the snapshot it is: every VM of its start once, in order, although
 * all of them are gone by now.
 */
TEST_F_TIMEOUT(vm, dump_abandoned, 300)
{
	const char *argv[] = { "--vms", "100", NULL };
	struct vm_batches closed = { 0 }, paused = { 0 };
	struct mv_stats cst = { 0 }, pst = { 0 };
	struct mv_err ce = { 0 }, pe = { 0 };
	struct mv_nl nl_closed, nl_paused;
	uint32_t cseq, pseq;
	struct mv_vm *vms;
	struct vmm_proc p;
	int i, nr, ret;

	if (access("/sys/kernel/debug/kvm", F_OK))
		SKIP(return, "no /sys/kernel/debug/kvm (debugfs not mounted): cannot see VMs go");
	ASSERT_VMM(vmmp_start(&p, argv));
	ASSERT_EQ(p.nr_vms, vms_in_debugfs(&p)) TH_LOG("VMs without a debugfs directory");

	ASSERT_EQ(0, mv_nl_open_bufsize(&nl_closed, SMALL_RCVBUF));
	ASSERT_EQ(0, vm_dump_send(&nl_closed, &cseq));
	ASSERT_EQ(0, mv_recv(&nl_closed, cseq, true, batches_cb, &closed, &ce, &cst))
		TH_LOG("first round: %d %s", ce.err, ce.msg);
	mv_nl_close(&nl_closed);	/* mid-dump */
	ASSERT_LT(0, closed.nr);

	ASSERT_EQ(0, mv_nl_open_bufsize(&nl_paused, SMALL_RCVBUF));
	ASSERT_EQ(0, vm_dump_send(&nl_paused, &pseq));
	ASSERT_EQ(0, mv_recv(&nl_paused, pseq, true, batches_cb, &paused, &pe, &pst))
		TH_LOG("first round: %d %s", pe.err, pe.msg);
	ASSERT_LT(0, paused.nr);
	TH_LOG("both dumps stopped after a first round of %d VMs", paused.nr);

	EXPECT_EQ(0, vmmp_stop(&p));
	EXPECT_EQ(0, vms_in_debugfs(&p)) TH_LOG("VMs outlived their VMM: a dump pins them");
	ASSERT_EQ(0, mv_dump_vms(&self->nl, &vms, &nr, NULL, NULL));
	for (i = 0; i < p.nr_vms; i++)
		EXPECT_EQ(NULL, mv_find_vm(vms, nr, p.id[i])) TH_LOG("%s outlived its VMM", p.id[i]);
	free(vms);

	do
		ret = mv_recv(&nl_paused, pseq, true, batches_cb, &paused, &pe, &pst);
	while (!ret);
	mv_nl_close(&nl_paused);
	EXPECT_EQ(1, ret) TH_LOG("%s", pe.msg);
	EXPECT_EQ(0, pe.err) TH_LOG("%s", pe.msg);
	EXPECT_TRUE(pst.done);
	EXPECT_LT(1, pst.data_batches);
	EXPECT_TRUE(dump_ordered(_metadata, paused.vms, paused.nr));
	for (i = 0; i < p.nr_vms; i++)
		EXPECT_NE(NULL, mv_find_vm(paused.vms, paused.nr, p.id[i]))
			TH_LOG("%s missing from the paused dump", p.id[i]);
	TH_LOG("the paused dump: %d VMs in %u batches", paused.nr, pst.data_batches);
	free(closed.vms);
	free(paused.vms);
}

TEST_HARNESS_MAIN
