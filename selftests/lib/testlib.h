/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the memvirt kselftests: the module (MEMVIRT_KO), the
 * memvirt-vmm helper process, THP and smaps, and ASSERT_VMM().
 */
#ifndef MEMVIRT_SELFTESTS_TESTLIB_H
#define MEMVIRT_SELFTESTS_TESTLIB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "vmm.h"

/*
 * The asserting form of a vmm_*() or vmmp_*() call, for kselftest_harness
 * tests (as KVM selftests' TEST_ASSERT(!ret, __KVM_IOCTL_ERROR(...)) names
 * the ioctl):
 * evaluates @call once, fails the test naming the call and vmm_error()
 * unless it succeeded (a VM not NULL, an index or 0 not negative), and
 * yields its value:
 *
 *	t.slot = ASSERT_VMM(vmm_add_slot(vm, gpa, size, VMM_BACKING_NOTHP, 0));
 *	ASSERT_VMM(vmm_touch(vm, &t));
 *	ASSERT_VMM(vmmp_start(&p, argv));
 */
static inline bool vmm_ok_ptr(const void *p)
{
	return p;
}

static inline bool vmm_ok_int(long long r)
{
	return r >= 0;
}

#define vmm_ok(v)	_Generic((v), struct vmm_vm *: vmm_ok_ptr, default: vmm_ok_int)(v)

#define ASSERT_VMM(call) ({						\
	__typeof__(call) __vmm_ret = (call);				\
	ASSERT_TRUE(vmm_ok(__vmm_ret))					\
		TH_LOG("%s: %s", #call, vmm_error());			\
	__vmm_ret;							\
})

/*
 * FIXTURE_SETUP and FIXTURE_TEARDOWN of fixture @name, for kselftest_harness
 * tests: @setup(ARGS) returns NULL or why the test is skipped, @teardown(ARGS)
 * undoes it; ARGS may name self's members (&self->nl).
 */
#define FIXTURE_SETUP_SKIPPING(name, setup, teardown, ...)		\
FIXTURE_SETUP(name)							\
{									\
	const char *why = setup(__VA_ARGS__);				\
									\
	if (why)							\
		SKIP(return, "%s", why);				\
}									\
FIXTURE_TEARDOWN(name)							\
{									\
	teardown(__VA_ARGS__);						\
}

/* For kselftest_harness tests of a VM as memvirt reports it (struct mv_vm). */
#define EXPECT_VM_WELL_FORMED(v)					\
	EXPECT_EQ(0, (v)->bad) TH_LOG("%s: attributes of wrong size: 0x%llx", (v)->id, \
				      (unsigned long long)(v)->bad)
/* Attribute @attr of VM @v is there and equals @want. */
#define EXPECT_VM_ATTR(v, attr, want) do {					\
	EXPECT_TRUE(MV_HAS(v, attr)) TH_LOG("%s: no " #attr, (v)->id);		\
	EXPECT_EQ(want, (v)->val[attr]) TH_LOG("%s: " #attr " %llu", (v)->id,	\
					       (unsigned long long)(v)->val[attr]); \
} while (0)

/* Path of a file next to this test binary (e.g. "memvirt-vmm"). */
const char *helper_path(const char *name);

/* The module. Errors are negative errnos. */
bool kmod_loaded(void);
const char *kmod_path(void);		/* $MEMVIRT_KO or NULL */
int kmod_load(void);			/* finit_module($MEMVIRT_KO) */
int kmod_unload(void);			/* delete_module("memvirt") */

/* A memvirt-vmm child process. */
#define VMMP_MAX_VMS	512
struct vmm_proc {
	pid_t pid;
	FILE *in, *out;
	int nr_vms;
	char id[VMMP_MAX_VMS][VMM_ID_LEN];
	char err[256];
};

/* argv without argv[0]; NULL-terminated. Waits for "ready". */
int vmmp_start(struct vmm_proc *p, const char *const *argv);
/* Sends one command line; 0 if answered "ok". Output lines before go to log. */
int vmmp_cmd(struct vmm_proc *p, const char *cmd);
/* quit + wait (SIGKILL after a few seconds); returns the exit status. */
int vmmp_stop(struct vmm_proc *p);

/* "always", "madvise" or "never" in buf; -1 if THP is not available. */
int thp_mode(char *buf, size_t len);
int thp_set_mode(const char *mode);
/*
 * Adds a THP-backed slot of @size at @gpa to @vm and writes all of it, with
 * THP enabled meanwhile ("never" made "madvise", then restored). Its index,
 * and in *@huge the 2M pages the host backed it with (smaps: 0 if it gave
 * none); -1 on a VMM error (vmm_error()).
 */
int thp_slot_touched(struct vmm_vm *vm, uint64_t gpa, uint64_t size, uint64_t *huge);
/*
 * KVM's 2M mappings of @vm (debugfs pages_2m), once they are @want or after
 * writing slot @slot whole again 4 times: NUMA balancing unmaps ranges of a
 * process to sample its accesses, and KVM drops its mappings of them until
 * the guest touches them again (an idle VM's count falls at any time; a
 * slot the host did not back with THPs stays short in every try).
 */
uint64_t pages_2m_retouched(struct vmm_vm *vm, int slot, uint64_t want);
/* Bytes of AnonHugePages/ShmemPmdMapped in this process's VMAs overlapping [addr, addr+len). */
uint64_t smaps_huge_bytes(const void *addr, uint64_t len);

/* The number in a sysfs or procfs file: 0, or -1. */
int read_long(const char *path, long *v);
int write_long(const char *path, long v);
/* The number after "KEY:" on a line of @path (/proc/meminfo, /proc/PID/status), or -1. */
long proc_key(const char *path, const char *key);

/* /proc/self/comm without the newline. */
void self_comm(char *buf, size_t len);


struct mv_nl;
struct mv_vm;

/*
 * Is a VM dump in strictly increasing (pid, fd, tag) order, so no VM twice?
 * (KVM's ids "<pid>-<fd>" have tag 0, memvirt's "<pid>-x<tag>" fd -1.) NULL
 * if so, else what is wrong.
 */
const char *dump_order_error(const struct mv_vm *vms, int nr);

/*
 * Prepares a test of the module: memvirt loaded (loads $MEMVIRT_KO if it is
 * not), family resolved into *nl. NULL if ready, else why to skip.
 */
const char *memvirt_open(struct mv_nl *nl);
/* The same for a test that makes VMs: KVM usable too. */
const char *memvirt_setup(struct mv_nl *nl);
/* Closes *nl and reloads the module if a test left it unloaded. */
void memvirt_teardown(struct mv_nl *nl);

#endif /* MEMVIRT_SELFTESTS_TESTLIB_H */
