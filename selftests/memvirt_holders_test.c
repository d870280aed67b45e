// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt_holders_test: memvirt finds a VM through whatever keeps it alive,
 * lists it once, under a stable id, and names who holds it and how
 * (MEMVIRT_A_VM_HELD_BY, _HOLDER, _NR_HOLDERS, _NO_DEBUGFS).
 *
 * Every VM lives in a child process ("kid") the test drives over pipes, so
 * the test process itself holds no VM; what each kid holds is checked in
 * /proc (fds of every thread, maps) before memvirt is asked.
 *
 *  1. leader_exit: the kid's main thread calls pthread_exit() while another
 *     thread keeps the VM fd, the vCPU fd and the kvm_run mapping. The VM
 *     is listed once, with the kid's tgid as PID, held by all three ways,
 *     the kid as its only holder, reachable by VM_GET, its 4K/2M/1G leaf
 *     counts equal to KVM's debugfs ones; gone when the kid has exited.
 *  2. vcpu_fd_only: the VM fd (and the kvm_run mapping, and /dev/kvm) are
 *     closed; a vCPU fd alone keeps the VM. HELD_BY is VCPU_FD only, the id
 *     is the one KVM gave before the close.
 *  3. mapping_only: every KVM fd is closed; the kvm_run mapping alone keeps
 *     the VM. HELD_BY is MAPPING only; munmap() ends the VM and its listing
 *     while the kid lives on.
 *  4. id_clash: VM A on fd N keeps living through its vCPU after its VM fd
 *     is closed; VM B then gets fd N, and KVM refuses B a debugfs dir (the
 *     kernel log says "duplicate directory <pid>-<N>"). A keeps
 *     "<pid>-<N>", B is "<pid>-x<tag>" with NO_DEBUGFS; both ids hold over
 *     20 dumps and VM_GET answers each with its own VM (told apart by
 *     MEM_BYTES). With 300 more VMs in three processes, one multi-round
 *     dump lists every VM once, in strictly increasing (pid, fd, tag)
 *     order, A and B with their ids.
 *  5. passed.{scm_rights,pidfd_getfd,fork}: the creator passes its VM fd to
 *     a receiver process and keeps no KVM fd and no mapping. The VM is
 *     listed once, with the receiver as PID and only holder, without
 *     PID_IS_MM_OWNER (the receiver does not run in the VM's mm), under the
 *     creator's id; gone when the receiver exits, although the creator
 *     lives on.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memvirt_nl.h"
#include "testlib.h"
#include "vmm.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open		434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd		438
#endif

#define SZ_4K			0x1000ULL
#define DATA_GPA		0x100000ULL
#define KVM_MINOR		232	/* /dev/kvm is misc 10:232 */

#define HELD_ALL	(MEMVIRT_HELD_VM_FD | MEMVIRT_HELD_VCPU_FD | MEMVIRT_HELD_MAPPING)

/* ---- kids: VM holders driven over pipes ---- */

#define MAX_KIDS	4
#define MAX_VMMP	3
#define KID_TIMEOUT_MS	120000	/* one step under TCG: a VM, a vCPU, touches */

/* What a kid answers to each command. */
struct report {
	int err;			/* 0, or the errno of the failed step */
	int pid;			/* the reporting process */
	int tid;			/* the reporting thread */
	int other;			/* a process the kid forked */
	int vm_fd;
	char id[VMM_ID_LEN];		/* "<pid>-<fd>", as vmm.c names it */
	uint64_t mem_bytes;
	char msg[200];
};

/*
 * A kid runs a script of steps: wait for a command byte, act, answer one
 * struct report. 'q' (or any command past the last step) ends it.
 */
struct kid {
	pid_t pid;		/* 0 in the kid itself; 0 in the test once ended */
	bool ours;		/* the test's child: reap it; else only kill it */
	int cmd[2];		/* test -> kid: one byte per command */
	int rep[2];		/* kid -> test: one struct report per command */
};

/* What a test started, for teardown to end whatever a failure left. */
struct kids {
	int nr;
	struct kid kid[MAX_KIDS];
	int nr_vmmp;
	struct vmm_proc vmmp[MAX_VMMP];
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A kid slot with its pipes; forked by the test (kid_fork()) or a kid. */
static struct kid *kid_alloc(struct __test_metadata *_metadata, struct kids *ks)
{
	struct kid *k;

	ASSERT_GT(MAX_KIDS, ks->nr);
	k = &ks->kid[ks->nr++];
	memset(k, 0, sizeof(*k));
	k->pid = -1;
	k->cmd[0] = k->cmd[1] = k->rep[0] = k->rep[1] = -1;
	ASSERT_EQ(0, pipe2(k->cmd, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(k->rep, O_CLOEXEC));
	return k;
}

/* In a freshly forked kid: die with the parent, keep the kid's pipe ends. */
static void kid_init(struct kid *k, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	close_fd(&k->cmd[1]);
	close_fd(&k->rep[0]);
	k->pid = 0;
}

/* The test's ends of a kid's pipes, once the kid is forked. */
static void kid_forked(struct kid *k, pid_t pid, bool ours)
{
	close_fd(&k->cmd[0]);
	close_fd(&k->rep[1]);
	k->pid = pid;
	k->ours = ours;
}

/* Returns the kid; in the kid itself kid->pid is 0. */
static struct kid *kid_fork(struct __test_metadata *_metadata, struct kids *ks)
{
	struct kid *k = kid_alloc(_metadata, ks);
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		kid_init(k, parent);
	else
		kid_forked(k, pid, true);
	return k;
}

/* In a kid: the next command. The test going away ends the kid. */
static char kid_wait(struct kid *k)
{
	char c;

	if (read(k->cmd[0], &c, 1) != 1)
		_exit(0);
	return c;
}

static void kid_say(struct kid *k, struct report *r)
{
	r->pid = getpid();
	r->tid = gettid();
	if (write(k->rep[1], r, sizeof(*r)) != sizeof(*r))
		_exit(1);
}

__attribute__((format(printf, 3, 4), noreturn))
static void kid_fail(struct kid *k, struct report *r, const char *fmt, ...)
{
	va_list ap;

	r->err = errno ?: EIO;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	kid_say(k, r);
	_exit(1);
}

static int kid_tell(struct kid *k, char c)
{
	return write(k->cmd[1], &c, 1) == 1 ? 0 : -1;
}

/* Sends command @c and reads the answer; -1 with r->msg on any failure. */
static int kid_step(struct kid *k, char c, struct report *r)
{
	struct pollfd p = { .fd = k->rep[0], .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (kid_tell(k, c)) {
		snprintf(r->msg, sizeof(r->msg), "command '%c': %s", c, strerror(errno));
		return -1;
	}
	while (got < sizeof(*r)) {
		if (poll(&p, 1, KID_TIMEOUT_MS) != 1) {
			snprintf(r->msg, sizeof(r->msg), "no answer in %d s", KID_TIMEOUT_MS / 1000);
			return -1;
		}
		n = read(k->rep[0], (char *)r + got, sizeof(*r) - got);
		if (n <= 0) {
			snprintf(r->msg, sizeof(r->msg), "went away");
			return -1;
		}
		got += n;
	}
	return r->err ? -1 : 0;
}

#define KID_STEP(k, c, r) \
	ASSERT_EQ(0, kid_step(k, c, r)) TH_LOG("kid %d, step '%c': %s (%s)", \
					       (k)->pid, c, (r)->msg, strerror((r)->err))

/* Ends a kid of the test with 'q'; it must exit with status 0. */
static void kid_end(struct __test_metadata *_metadata, struct kid *k)
{
	int status;

	ASSERT_TRUE(k->ours);
	kid_tell(k, 'q');
	ASSERT_EQ(k->pid, waitpid(k->pid, &status, 0));
	k->pid = 0;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("kid status 0x%x", status);
}

static void kids_cleanup(struct kids *ks)
{
	int i;

	for (i = ks->nr - 1; i >= 0; i--) {
		struct kid *k = &ks->kid[i];

		if (k->pid > 0) {
			kill(k->pid, SIGKILL);
			if (k->ours)
				waitpid(k->pid, NULL, 0);
		}
		close_fd(&k->cmd[0]);
		close_fd(&k->cmd[1]);
		close_fd(&k->rep[0]);
		close_fd(&k->rep[1]);
	}
	ks->nr = 0;
	for (i = 0; i < ks->nr_vmmp; i++)
		if (ks->vmmp[i].pid > 0)
			vmmp_stop(&ks->vmmp[i]);
	ks->nr_vmmp = 0;
}

/* ---- what a process holds, as /proc shows it ---- */

struct kvm_refs {
	int vm_fds;		/* "anon_inode:kvm-vm" */
	int vcpu_fds;		/* "anon_inode:kvm-vcpu:N" */
	int dev_kvm;		/* /dev/kvm */
	int maps;		/* mappings of either anon_inode:kvm- file */
};

/* @dir: "/proc/<pid>" or "/proc/<pid>/task/<tid>". */
static void kvm_refs(const char *dir, struct kvm_refs *r)
{
	char path[320], link[256], line[512];
	struct dirent *de;
	struct stat st;
	ssize_t n;
	FILE *f;
	DIR *d;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/fd", dir);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/fd/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:kvm-vm"))
			r->vm_fds++;
		else if (!strncmp(link, "anon_inode:kvm-vcpu:", 20))
			r->vcpu_fds++;
		else if (!stat(path, &st) && S_ISCHR(st.st_mode) &&
			 st.st_rdev == makedev(10, KVM_MINOR))
			r->dev_kvm++;
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s/maps", dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "anon_inode:kvm-"))
			r->maps++;
	if (f)
		fclose(f);
}

#define EXPECT_REFS(dir, vm, vcpu, dev, map) do { \
	struct kvm_refs __r; \
	kvm_refs(dir, &__r); \
	EXPECT_EQ(vm, __r.vm_fds) TH_LOG("%s: VM fds", dir); \
	EXPECT_EQ(vcpu, __r.vcpu_fds) TH_LOG("%s: vCPU fds", dir); \
	EXPECT_EQ(dev, __r.dev_kvm) TH_LOG("%s: /dev/kvm fds", dir); \
	EXPECT_EQ(map, __r.maps) TH_LOG("%s: kvm mappings", dir); \
} while (0)

/* ---- what memvirt says ---- */

static struct mv_vm *dump_vms(struct __test_metadata *_metadata, struct mv_nl *nl,
			      int *nr, struct mv_stats *st)
{
	struct mv_vm *vms = NULL;
	struct mv_err e;

	ASSERT_EQ(0, mv_dump_vms(nl, &vms, nr, &e, st)) TH_LOG("dump: %s %s",
		  strerror(-e.err), e.msg);
	return vms;
}

/* Is @pid the VM's VMM or one of its named holders? */
static bool names_pid(const struct mv_vm *v, pid_t pid)
{
	int i;

	if (v->val[MEMVIRT_A_VM_PID] == (uint64_t)pid)
		return true;
	for (i = 0; i < v->nr_holders; i++)
		if (v->holders[i] == (uint32_t)pid)
			return true;
	return false;
}

static int count_id(const struct mv_vm *vms, int nr, const char *id)
{
	int i, n = 0;

	for (i = 0; i < nr; i++)
		n += !strcmp(vms[i].id, id);
	return n;
}

static int count_pid(const struct mv_vm *vms, int nr, pid_t pid)
{
	int i, n = 0;

	for (i = 0; i < nr; i++)
		n += names_pid(&vms[i], pid);
	return n;
}

/*
 * One dump: @id is listed exactly once, and it is the only VM naming @pid
 * (a VM must not show up a second time under another id). *out gets it.
 */
static void listed_once(struct __test_metadata *_metadata, struct mv_nl *nl,
			const char *id, pid_t pid, struct mv_vm *out)
{
	struct mv_vm *vms;
	int nr;

	vms = dump_vms(_metadata, nl, &nr, NULL);
	EXPECT_EQ(1, count_id(vms, nr, id)) TH_LOG("%s in a dump of %d", id, nr);
	EXPECT_EQ(1, count_pid(vms, nr, pid)) TH_LOG("VMs naming pid %d in a dump of %d", pid, nr);
	memset(out, 0, sizeof(*out));
	if (mv_find_vm(vms, nr, id))
		*out = *mv_find_vm(vms, nr, id);
	free(vms);
	ASSERT_STREQ(id, out->id);
}

/* @pid is the VM's VMM and its one holder, which holds it as @held_by. */
static void check_holder(struct __test_metadata *_metadata, const struct mv_vm *v,
			 pid_t pid, uint32_t held_by, bool mm_owner)
{
	EXPECT_VM_WELL_FORMED(v);
	EXPECT_VM_ATTR(v, MEMVIRT_A_VM_PID, pid);
	EXPECT_VM_ATTR(v, MEMVIRT_A_VM_HELD_BY, held_by);
	EXPECT_VM_ATTR(v, MEMVIRT_A_VM_NR_HOLDERS, 1);
	ASSERT_EQ(1, v->nr_holders) TH_LOG("%s: %d holder pids", v->id, v->nr_holders);
	EXPECT_EQ(pid, v->holders[0]);
	EXPECT_EQ(mm_owner, MV_HAS(v, MEMVIRT_A_VM_PID_IS_MM_OWNER));
}

/* The VM is idle: memvirt's leaf counts equal KVM's debugfs ones exactly. */
static void check_maps(struct __test_metadata *_metadata, const struct mv_vm *v)
{
	static const char *const names[3] = { "pages_4k", "pages_2m", "pages_1g" };
	static const int attrs[3] = { MEMVIRT_A_VM_MAP_4K, MEMVIRT_A_VM_MAP_2M,
				      MEMVIRT_A_VM_MAP_1G };
	uint64_t kvm;
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_TRUE(MV_HAS(v, attrs[i])) TH_LOG("%s: no attribute %d", v->id, attrs[i]);
		ASSERT_VMM(vmm_debugfs_stat(v->id, names[i], &kvm));
		EXPECT_EQ(kvm, v->val[attrs[i]]) TH_LOG("%s: memvirt %llu, debugfs %s %llu",
			  v->id, (unsigned long long)v->val[attrs[i]], names[i],
			  (unsigned long long)kvm);
	}
}

/*
 * VM @vm (as its kid reported it) listed once, by a dump and by VM_GET,
 * with @pid its VMM and one holder holding it as @held_by, its memory, a
 * debugfs directory, at least @min_4k 4K mappings and KVM's leaf counts.
 * The dump's record in *@out.
 */
static void check_held(struct __test_metadata *_metadata, struct mv_nl *nl,
		       const struct report *vm, pid_t pid, uint32_t held_by, bool mm_owner,
		       uint64_t min_4k, struct mv_vm *out)
{
	struct mv_vm v, got;
	struct mv_err e;

	listed_once(_metadata, nl, vm->id, pid, &v);
	check_holder(_metadata, &v, pid, held_by, mm_owner);
	EXPECT_EQ(vm->mem_bytes, v.val[MEMVIRT_A_VM_MEM_BYTES]);
	EXPECT_FALSE(MV_HAS(&v, MEMVIRT_A_VM_NO_DEBUGFS));
	EXPECT_LE(min_4k, v.val[MEMVIRT_A_VM_MAP_4K]);
	check_maps(_metadata, &v);
	ASSERT_EQ(0, mv_get_vm(nl, vm->id, &got, &e)) TH_LOG("get %s: %s", vm->id, e.msg);
	EXPECT_STREQ(vm->id, got.id);
	check_holder(_metadata, &got, pid, held_by, mm_owner);
	check_maps(_metadata, &got);
	TH_LOG("%s: pid %llu%s held_by 0x%llx holders %d map_4k %llu", got.id,
	       (unsigned long long)got.val[MEMVIRT_A_VM_PID],
	       MV_HAS(&got, MEMVIRT_A_VM_PID_IS_MM_OWNER) ? " (mm owner)" : "",
	       (unsigned long long)got.val[MEMVIRT_A_VM_HELD_BY], got.nr_holders,
	       (unsigned long long)got.val[MEMVIRT_A_VM_MAP_4K]);
	*out = v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * @id and every VM naming @pid leave the dump, and VM_GET of @id is
 * -ENOENT. The VM ends with its last fd or mapping; allow 2 s for the
 * dump to show it, as memvirt_vm_test does.
 */
static void gone(struct __test_metadata *_metadata, struct mv_nl *nl, const char *id,
		 pid_t pid)
{
	struct mv_vm *vms, got;
	struct mv_err e;
	int nr, ids, pids;
	double t0 = now();

	for (;;) {
		vms = dump_vms(_metadata, nl, &nr, NULL);
		ids = count_id(vms, nr, id);
		pids = count_pid(vms, nr, pid);
		free(vms);
		if ((!ids && !pids) || now() - t0 > 2)
			break;
		usleep(20000);
	}
	EXPECT_EQ(0, ids) TH_LOG("%s still listed", id);
	EXPECT_EQ(0, pids) TH_LOG("a VM still names pid %d", pid);
	EXPECT_EQ(-ENOENT, mv_get_vm(nl, id, &got, &e)) TH_LOG("VM_GET %s after its end", id);
}

/* ---- VM helpers for kids ---- */

/* A VM with one vCPU and a data slot of @size with @touched pages written. */
static struct vmm_vm *kid_vm(struct kid *k, struct report *r, uint64_t size, uint32_t touched)
{
	struct vmm_touch t = { .offset = 0, .count = touched, .stride = SZ_4K, .write = true };
	struct vmm_vm *vm = vmm_vm_create(1);

	if (!vm)
		kid_fail(k, r, "%s", vmm_error());
	t.slot = vmm_add_slot(vm, DATA_GPA, size, VMM_BACKING_NOTHP, 0);
	if (t.slot < 0 || (touched && vmm_touch(vm, &t)))
		kid_fail(k, r, "%s", vmm_error());
	snprintf(r->id, sizeof(r->id), "%s", vm->id);
	r->vm_fd = vm->vm_fd;
	r->mem_bytes = vmm_mem_bytes(vm);
	return vm;
}

static void kid_unmap_run(struct vmm_vm *vm)
{
	munmap(vm->run[0], vm->run_size);
	vm->run[0] = NULL;
}

/* Both fixtures: the module and KVM's debugfs, or why not. */
static const char *kvm_fixture_setup(struct mv_nl *nl, struct kids *ks)
{
	const char *why = memvirt_setup(nl);

	memset(ks, 0, sizeof(*ks));
	if (why)
		return why;
	if (access("/sys/kernel/debug/kvm", F_OK))
		return "KVM debugfs not mounted at /sys/kernel/debug/kvm";
	/* memvirt_setup() opened /dev/kvm; kids open their own. */
	vmm_kvm_close();
	/* A kid that died early makes a command fail, not the test. */
	signal(SIGPIPE, SIG_IGN);
	return NULL;
}

static void kvm_fixture_teardown(struct mv_nl *nl, struct kids *ks)
{
	kids_cleanup(ks);
	memvirt_teardown(nl);
}

FIXTURE(holders) {
	struct mv_nl nl;
	struct kids ks;
};

FIXTURE_SETUP_SKIPPING(holders, kvm_fixture_setup, kvm_fixture_teardown, &self->nl, &self->ks)

/* ---- 1. leader_exit ---- */

static void *leader_exit_holder(void *arg)
{
	struct kid *k = arg;
	struct report r = { 0 };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	kid_say(k, &r);
	kid_wait(k);
	_exit(0);
}

__attribute__((noreturn))
static void leader_exit_kid(struct kid *k)
{
	struct report r = { 0 };
	pthread_t t;

	kid_wait(k);
	kid_vm(k, &r, 1 << 20, 16);
	kid_say(k, &r);
	kid_wait(k);
	memset(&r, 0, sizeof(r));
	errno = pthread_create(&t, NULL, leader_exit_holder, k);
	if (errno)
		kid_fail(k, &r, "pthread_create");
	pthread_exit(NULL);
}

/* Is the thread group leader @pid a zombie (its other threads live on)? */
static bool leader_is_zombie(pid_t pid)
{
	char path[64], line[128];
	bool z = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "State:", 6))
			z = strchr(line, 'Z') != NULL;
	fclose(f);
	return z;
}

TEST_F_TIMEOUT(holders, leader_exit, 180)
{
	struct report vm, th;
	struct kvm_refs lead, task;
	struct mv_vm v;
	char dir[64];
	struct kid *k;
	pid_t pid;
	int i;

	k = kid_fork(_metadata, &self->ks);
	if (!k->pid)
		leader_exit_kid(k);
	KID_STEP(k, 'v', &vm);
	KID_STEP(k, 'x', &th);
	for (i = 0; i < 250 && !leader_is_zombie(k->pid); i++)
		usleep(20000);
	ASSERT_TRUE(leader_is_zombie(k->pid)) TH_LOG("leader %d still running", k->pid);
	ASSERT_NE(k->pid, th.tid);

	/* The fds live in the other thread's table only. */
	snprintf(dir, sizeof(dir), "/proc/%d/task/%d", k->pid, th.tid);
	EXPECT_REFS(dir, 1, 1, 1, 1);
	kvm_refs(dir, &task);
	snprintf(dir, sizeof(dir), "/proc/%d", k->pid);
	kvm_refs(dir, &lead);
	TH_LOG("VM %s: %s/fd shows %d VM and %d vCPU fds, %s/task/%d/fd %d and %d",
	       vm.id, dir, lead.vm_fds, lead.vcpu_fds, dir, th.tid, task.vm_fds, task.vcpu_fds);

	check_held(_metadata, &self->nl, &vm, k->pid, HELD_ALL, true, 16 + 1, &v);

	pid = k->pid;
	kid_end(_metadata, k);	/* k->pid is 0 from here */
	gone(_metadata, &self->nl, vm.id, pid);
}

/* ---- 2. vcpu_fd_only, 3. mapping_only ---- */

/*
 * 'v': a VM, 16 pages touched; 'c': all that names it closed but @keep
 * (MEMVIRT_HELD_VCPU_FD: the vCPU fd, MEMVIRT_HELD_MAPPING: the kvm_run
 * mapping); 'u': that mapping unmapped too; 'q': exit.
 */
__attribute__((noreturn))
static void one_holder_kid(struct kid *k, uint32_t keep)
{
	struct report r = { 0 };
	struct vmm_vm *vm;

	kid_wait(k);
	vm = kid_vm(k, &r, 1 << 20, 16);
	kid_say(k, &r);
	kid_wait(k);
	close_fd(&vm->vm_fd);
	vmm_kvm_close();
	if (keep == MEMVIRT_HELD_VCPU_FD)
		kid_unmap_run(vm);
	else
		close_fd(&vm->vcpu_fd[0]);
	kid_say(k, &r);
	if (kid_wait(k) == 'u') {
		kid_unmap_run(vm);
		kid_say(k, &r);
		kid_wait(k);
	}
	_exit(0);
}

/*
 * A kid's VM (one_holder_kid), listed with all three holds; then with all
 * but @keep closed (/proc says so), listed as held by @keep alone, under the
 * same id. The kid.
 */
static struct kid *one_holder(struct __test_metadata *_metadata, FIXTURE_DATA(holders) *self,
			      uint32_t keep, struct report *vm)
{
	struct mv_vm before, v;
	struct report r;
	char dir[64];
	struct kid *k = kid_fork(_metadata, &self->ks);

	if (!k->pid)
		one_holder_kid(k, keep);
	KID_STEP(k, 'v', vm);
	listed_once(_metadata, &self->nl, vm->id, k->pid, &before);
	check_holder(_metadata, &before, k->pid, HELD_ALL, true);
	KID_STEP(k, 'c', &r);
	snprintf(dir, sizeof(dir), "/proc/%d", k->pid);
	EXPECT_REFS(dir, 0, keep == MEMVIRT_HELD_VCPU_FD, 0, keep == MEMVIRT_HELD_MAPPING);
	check_held(_metadata, &self->nl, vm, k->pid, keep, true, 16 + 1, &v);
	return k;
}

TEST_F_TIMEOUT(holders, vcpu_fd_only, 180)
{
	struct report vm;
	struct kid *k = one_holder(_metadata, self, MEMVIRT_HELD_VCPU_FD, &vm);
	pid_t pid;

	pid = k->pid;
	kid_end(_metadata, k);	/* k->pid is 0 from here */
	gone(_metadata, &self->nl, vm.id, pid);
}

TEST_F_TIMEOUT(holders, mapping_only, 180)
{
	struct report vm, r;
	struct kid *k = one_holder(_metadata, self, MEMVIRT_HELD_MAPPING, &vm);
	char dir[64];

	/* munmap() drops the last reference; the kid lives on. */
	KID_STEP(k, 'u', &r);
	snprintf(dir, sizeof(dir), "/proc/%d", k->pid);
	EXPECT_REFS(dir, 0, 0, 0, 0);
	gone(_metadata, &self->nl, vm.id, k->pid);
	EXPECT_EQ(0, kill(k->pid, 0));
	kid_end(_metadata, k);
}

/* ---- 4. id_clash ---- */

#define A_SIZE		(64 << 10)
#define B_SIZE		(32 << 10)
#define CLASH_DUMPS	20
#define MANY_PROCS	3
#define MANY_VMS	100	/* per process */

__attribute__((noreturn))
static void id_clash_kid(struct kid *k)
{
	struct report r = { 0 };
	struct vmm_vm *a;

	kid_wait(k);
	a = kid_vm(k, &r, A_SIZE, 4);
	kid_say(k, &r);
	kid_wait(k);
	/* A lives on through its vCPU fd (and kvm_run mapping). */
	memset(&r, 0, sizeof(r));
	close_fd(&a->vm_fd);
	kid_say(k, &r);
	kid_wait(k);
	memset(&r, 0, sizeof(r));
	kid_vm(k, &r, B_SIZE, 2);
	kid_say(k, &r);
	kid_wait(k);
	_exit(0);
}

/* Does a kernel log record from @fd on contain @what as a whole word? */
static bool kmsg_has(int fd, const char *what)
{
	char rec[8192];
	const char *p;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			return false;
		rec[n] = '\0';
		p = strchr(rec, ';');
		p = p ? strstr(p, what) : NULL;
		if (p && (p[strlen(what)] == '\n' || !p[strlen(what)]))
			return true;
	}
}

/* A and B as one dump shows them: each once, with its own id and memory. */
static void check_pair(struct __test_metadata *_metadata, const struct mv_vm *vms, int nr,
		       pid_t pid, const char *a_id, uint64_t a_mem, const char *b_id,
		       uint64_t b_mem)
{
	const struct mv_vm *a = mv_find_vm(vms, nr, a_id), *b = mv_find_vm(vms, nr, b_id);

	EXPECT_EQ(2, count_pid(vms, nr, pid));
	EXPECT_EQ(1, count_id(vms, nr, a_id)) TH_LOG("A %s", a_id);
	EXPECT_EQ(1, count_id(vms, nr, b_id)) TH_LOG("B %s", b_id);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(a_mem, a->val[MEMVIRT_A_VM_MEM_BYTES]);
	EXPECT_FALSE(MV_HAS(a, MEMVIRT_A_VM_NO_DEBUGFS));
	EXPECT_EQ(b_mem, b->val[MEMVIRT_A_VM_MEM_BYTES]);
	EXPECT_TRUE(MV_HAS(b, MEMVIRT_A_VM_NO_DEBUGFS));
}

/* A kid's VMs A and B of one fd number: what the kid reported, B's id. */
struct clash {
	pid_t pid;
	struct report a, b;
	char b_id[MEMVIRT_VM_ID_LEN];
};

static void check_clash(struct __test_metadata *_metadata, const struct mv_vm *vms, int nr,
			const struct clash *c)
{
	check_pair(_metadata, vms, nr, c->pid, c->a.id, c->a.mem_bytes, c->b_id, c->b.mem_bytes);
}

/* B as the first dump lists it: memvirt's own "<pid>-x<tag>" id, its holders. */
static void clash_b_id(struct __test_metadata *_metadata, struct mv_nl *nl, struct clash *c)
{
	char want[MEMVIRT_VM_ID_LEN];
	struct mv_vm *vms, v;
	int nr, i, pid, fd;
	uint32_t tag;

	vms = dump_vms(_metadata, nl, &nr, NULL);
	for (i = 0; i < nr; i++)
		if (vms[i].val[MEMVIRT_A_VM_PID] == (uint64_t)c->pid && strcmp(vms[i].id, c->a.id))
			snprintf(c->b_id, sizeof(c->b_id), "%s", vms[i].id);
	ASSERT_EQ(0, mv_parse_id_tag(c->b_id, &pid, &fd, &tag)) TH_LOG("B's id '%s'", c->b_id);
	EXPECT_EQ(c->pid, pid);
	EXPECT_EQ(-1, fd) TH_LOG("B's id '%s' is not memvirt's own", c->b_id);
	snprintf(want, sizeof(want), "%d-x%08x", c->pid, tag);
	EXPECT_STREQ(want, c->b_id);
	check_clash(_metadata, vms, nr, c);
	v = *mv_find_vm(vms, nr, c->a.id);
	check_holder(_metadata, &v, c->pid, MEMVIRT_HELD_VCPU_FD | MEMVIRT_HELD_MAPPING, true);
	check_maps(_metadata, &v);
	v = *mv_find_vm(vms, nr, c->b_id);
	check_holder(_metadata, &v, c->pid, HELD_ALL, true);
	free(vms);
}

/* Both ids hold over CLASH_DUMPS dumps; VM_GET answers each with its own VM. */
static void clash_stable(struct __test_metadata *_metadata, struct mv_nl *nl,
			 const struct clash *c)
{
	const struct report *r[2] = { &c->a, &c->b };
	const char *id[2] = { c->a.id, c->b_id };
	struct mv_vm *vms, got;
	struct mv_err e;
	int i, nr;

	for (i = 0; i < CLASH_DUMPS; i++) {
		vms = dump_vms(_metadata, nl, &nr, NULL);
		check_clash(_metadata, vms, nr, c);
		free(vms);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mv_get_vm(nl, id[i], &got, &e)) TH_LOG("get %s: %s", id[i], e.msg);
		EXPECT_STREQ(id[i], got.id);
		EXPECT_EQ(r[i]->mem_bytes, got.val[MEMVIRT_A_VM_MEM_BYTES]);
		EXPECT_EQ(i == 1, MV_HAS(&got, MEMVIRT_A_VM_NO_DEBUGFS));
	}
}

/*
 * With MANY_PROCS x MANY_VMS more VMs (the dump takes several rounds), one
 * dump lists every VM once, in order, A and B with their ids.
 */
static void clash_among_many(struct __test_metadata *_metadata, struct mv_nl *nl,
			     struct kids *ks, const struct clash *c)
{
	static const char *const argv[] = { "--vms", "100", "--vcpus", "1", NULL };
	int nr, nr0, i, j, many = 0;
	struct mv_stats st;
	struct mv_vm *vms;
	double t0 = now();

	vms = dump_vms(_metadata, nl, &nr0, NULL);
	free(vms);
	for (i = 0; i < MANY_PROCS; i++) {
		struct vmm_proc *p = &ks->vmmp[ks->nr_vmmp];

		ASSERT_VMM(vmmp_start(p, argv));
		ks->nr_vmmp++;
		ASSERT_EQ(MANY_VMS, p->nr_vms);
	}
	TH_LOG("%d VMs in %d processes started in %.1f s", MANY_PROCS * MANY_VMS, MANY_PROCS,
	       now() - t0);
	t0 = now();
	vms = dump_vms(_metadata, nl, &nr, &st);
	TH_LOG("%d VMs in %u messages, %u recvmsg batches (%u with VMs), %.1f ms", nr, st.msgs,
	       st.batches, st.data_batches, (now() - t0) * 1e3);
	EXPECT_TRUE(st.done);
	EXPECT_LT(1, st.data_batches) TH_LOG("a dump of %d VMs came in one batch", nr);
	EXPECT_EQ(NULL, dump_order_error(vms, nr)) TH_LOG("%s", dump_order_error(vms, nr));
	check_clash(_metadata, vms, nr, c);
	for (i = 0; i < ks->nr_vmmp; i++) {
		for (j = 0; j < ks->vmmp[i].nr_vms; j++) {
			EXPECT_EQ(1, count_id(vms, nr, ks->vmmp[i].id[j])) TH_LOG("%s", ks->vmmp[i].id[j]);
			many += count_id(vms, nr, ks->vmmp[i].id[j]) == 1;
		}
		EXPECT_EQ(MANY_VMS, count_pid(vms, nr, ks->vmmp[i].pid));
	}
	EXPECT_EQ(MANY_PROCS * MANY_VMS, many);
	EXPECT_EQ(nr0 + MANY_PROCS * MANY_VMS, nr) TH_LOG("%d VMs before the %d", nr0,
							  MANY_PROCS * MANY_VMS);
	free(vms);
	for (i = 0; i < ks->nr_vmmp; i++)
		EXPECT_EQ(0, vmmp_stop(&ks->vmmp[i]));
	ks->nr_vmmp = 0;
}

TEST_F_TIMEOUT(holders, id_clash, 900)
{
	struct clash c = { 0 };
	char logged[96], path[128];
	struct report r;
	struct kid *k;
	int kmsg;

	k = kid_fork(_metadata, &self->ks);
	if (!k->pid)
		id_clash_kid(k);
	c.pid = k->pid;
	KID_STEP(k, 'a', &c.a);
	KID_STEP(k, 'c', &r);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	KID_STEP(k, 'b', &c.b);
	ASSERT_EQ(c.a.vm_fd, c.b.vm_fd) TH_LOG("B did not reuse A's fd");

	/* KVM refused B the name A's debugfs dir has. */
	snprintf(logged, sizeof(logged), "duplicate directory %d-%d", c.pid, c.a.vm_fd);
	EXPECT_TRUE(kmsg_has(kmsg, logged)) TH_LOG("no \"%s\" in the kernel log", logged);
	close(kmsg);
	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s", c.a.id);
	EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s: %s", path, strerror(errno));

	clash_b_id(_metadata, &self->nl, &c);
	TH_LOG("A %s (%llu bytes), B %s (%llu bytes, no debugfs): \"%s\" in the kernel log",
	       c.a.id, (unsigned long long)c.a.mem_bytes, c.b_id,
	       (unsigned long long)c.b.mem_bytes, logged);
	clash_stable(_metadata, &self->nl, &c);
	clash_among_many(_metadata, &self->nl, &self->ks, &c);

	kid_end(_metadata, k);
	gone(_metadata, &self->nl, c.a.id, c.pid);
	gone(_metadata, &self->nl, c.b_id, c.pid);
}

/* ---- 5. passed: the VM fd given to another process ---- */

enum pass_way { PASS_SCM_RIGHTS, PASS_PIDFD_GETFD, PASS_FORK };

static int send_fd(int sock, int fd)
{
	char byte = 'f', buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
			    .msg_controllen = sizeof(buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte, buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
			    .msg_controllen = sizeof(buf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* 'r': take the VM fd (for PASS_FORK: report the inherited one); 'q': exit. */
__attribute__((noreturn))
static void receiver_kid(struct kid *k, enum pass_way way, int sock, pid_t creator, int fd)
{
	struct report r = { 0 };
	int pidfd;

	vmm_kvm_close();
	kid_wait(k);
	switch (way) {
	case PASS_SCM_RIGHTS:
		fd = recv_fd(sock);
		if (fd < 0)
			kid_fail(k, &r, "recvmsg SCM_RIGHTS");
		break;
	case PASS_PIDFD_GETFD:
		pidfd = syscall(SYS_pidfd_open, creator, 0);
		if (pidfd < 0)
			kid_fail(k, &r, "pidfd_open(%d)", creator);
		fd = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (fd < 0)
			kid_fail(k, &r, "pidfd_getfd(%d)", fd);
		close(pidfd);
		break;
	case PASS_FORK:
		break;
	}
	close_fd(&sock);
	r.vm_fd = fd;
	kid_say(k, &r);
	kid_wait(k);
	_exit(0);
}

/*
 * 'v': a VM, its vCPU fd and kvm_run mapping dropped at once, no /dev/kvm;
 * 'p': pass the VM fd on (PASS_FORK: fork @rk's receiver) and close it;
 * 'w': reap the forked receiver; 'q': exit.
 */
__attribute__((noreturn))
static void creator_kid(struct kid *k, enum pass_way way, int sock, struct kid *rk)
{
	struct report r = { 0 };
	struct vmm_vm *vm;
	pid_t pid = -1, self = getpid();
	int status;

	kid_wait(k);
	vm = kid_vm(k, &r, 64 << 10, 4);
	kid_unmap_run(vm);
	close_fd(&vm->vcpu_fd[0]);
	vmm_kvm_close();
	kid_say(k, &r);
	kid_wait(k);
	memset(&r, 0, sizeof(r));
	if (way == PASS_SCM_RIGHTS && send_fd(sock, vm->vm_fd))
		kid_fail(k, &r, "sendmsg SCM_RIGHTS");
	if (way == PASS_FORK) {
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0)
			kid_fail(k, &r, "fork");
		if (!pid) {
			kid_init(rk, self);
			receiver_kid(rk, way, -1, self, vm->vm_fd);
		}
		r.other = pid;
	}
	close_fd(&sock);
	close_fd(&vm->vm_fd);
	kid_say(k, &r);
	if (kid_wait(k) == 'w') {
		memset(&r, 0, sizeof(r));
		if (waitpid(pid, &status, 0) != pid)
			kid_fail(k, &r, "waitpid(%d)", pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			errno = ECHILD;
			kid_fail(k, &r, "receiver status 0x%x", status);
		}
		kid_say(k, &r);
		kid_wait(k);
	}
	_exit(0);
}

FIXTURE(passed) {
	struct mv_nl nl;
	struct kids ks;
};

FIXTURE_VARIANT(passed) {
	enum pass_way way;
};

FIXTURE_VARIANT_ADD(passed, scm_rights) {
	.way = PASS_SCM_RIGHTS,
};

FIXTURE_VARIANT_ADD(passed, pidfd_getfd) {
	.way = PASS_PIDFD_GETFD,
};

FIXTURE_VARIANT_ADD(passed, fork) {
	.way = PASS_FORK,
};

FIXTURE_SETUP_SKIPPING(passed, kvm_fixture_setup, kvm_fixture_teardown, &self->nl, &self->ks)

TEST_F_TIMEOUT(passed, passed_fd, 180)
{
	static const char *const way_name[] = { "SCM_RIGHTS", "pidfd_getfd", "fork" };
	enum pass_way way = variant->way;
	struct kid *c, *rk = NULL;
	struct mv_vm before, v;
	int sv[2] = { -1, -1 };
	struct report vm, r, took;
	char dir[64];
	pid_t rpid;

	if (way == PASS_SCM_RIGHTS)
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	if (way == PASS_FORK)
		rk = kid_alloc(_metadata, &self->ks);
	c = kid_fork(_metadata, &self->ks);
	if (!c->pid) {
		close_fd(&sv[1]);
		creator_kid(c, way, sv[0], rk);
	}
	if (rk)
		kid_forked(rk, -1, false);
	KID_STEP(c, 'v', &vm);
	listed_once(_metadata, &self->nl, vm.id, c->pid, &before);
	check_holder(_metadata, &before, c->pid, MEMVIRT_HELD_VM_FD, true);

	if (way != PASS_FORK) {
		rk = kid_fork(_metadata, &self->ks);
		if (!rk->pid) {
			close_fd(&sv[0]);
			receiver_kid(rk, way, sv[1], c->pid, vm.vm_fd);
		}
	}
	close_fd(&sv[0]);
	close_fd(&sv[1]);
	/* pidfd_getfd() needs the creator's fd still open; the others pass it. */
	if (way == PASS_PIDFD_GETFD)
		KID_STEP(rk, 'r', &took);
	KID_STEP(c, 'p', &r);
	if (way == PASS_FORK)
		rk->pid = r.other;
	if (way != PASS_PIDFD_GETFD)
		KID_STEP(rk, 'r', &took);
	rpid = rk->pid;
	ASSERT_EQ(rpid, took.pid);

	snprintf(dir, sizeof(dir), "/proc/%d", c->pid);
	EXPECT_REFS(dir, 0, 0, 0, 0);
	snprintf(dir, sizeof(dir), "/proc/%d", rpid);
	EXPECT_REFS(dir, 1, 0, 0, 0);

	check_held(_metadata, &self->nl, &vm, rpid, MEMVIRT_HELD_VM_FD, false, 0, &v);
	TH_LOG("%s: %s from %d (before: pid %llu%s) to %d (fd %d)", vm.id, way_name[way], c->pid,
	       (unsigned long long)before.val[MEMVIRT_A_VM_PID],
	       MV_HAS(&before, MEMVIRT_A_VM_PID_IS_MM_OWNER) ? " mm owner" : "", rpid, took.vm_fd);

	if (way == PASS_FORK) {
		kid_tell(rk, 'q');
		KID_STEP(c, 'w', &r);
		rk->pid = 0;
	} else {
		kid_end(_metadata, rk);
	}
	/* The creator lives on and holds nothing. */
	EXPECT_EQ(0, kill(c->pid, 0));
	gone(_metadata, &self->nl, vm.id, rpid);
	gone(_metadata, &self->nl, vm.id, c->pid);
	kid_end(_metadata, c);
}

TEST_HARNESS_MAIN
