// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt_churn_test: VMs come and go while memvirt is asked about them
 * without pause, memvirt.ko is unloaded and loaded again, and the KVM
 * vendor module too. Afterwards the host is as it was.
 *
 *  1. vendor_module_pinned: a VMM dies while a dump holds its VM (the
 *     dump is kept long by processes with many fds). If the VM outlives
 *     its VMM (its debugfs directory is still there), memvirt holds the
 *     last reference, and removing the vendor module must fail until
 *     memvirt lets go: otherwise memvirt's kvm_put_kvm() would run
 *     kvm_destroy_vm() in unloaded code. On 6.1 KVM pins the vendor module
 *     for each VM itself, so this cannot happen there; the test says which.
 *  2. churn: MEMVIRT_CHURN_CYCLES (1000) VM create/destroy cycles with up
 *     to 16 vCPUs, up to 30 memslots and THP/memfd backing, while 4
 *     processes dump VMs, memslots and zones and `memvirt faults` is
 *     attached; memvirt.ko is removed and inserted MEMVIRT_CHURN_RELOADS
 *     (50) times; then, with no VM left, the vendor module is reloaded.
 *  3. after: the vendor module's refcount is back at its baseline,
 *     memvirt's module is gone, and MemFree is back within a few MiB.
 *
 * MEMVIRT_CHURN_SEED replays a run (the seed is printed). The kernel log
 * is checked by the harness afterwards (any splat fails the run).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "memvirt_nl.h"
#include "testlib.h"
#include "vmm.h"

#define BALLAST_PROCS	8
#define BALLAST_FDS	20000
#define DUMPERS		4
#define LIVE_VMS	8

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned int rnd_below(unsigned int n)
{
	return rnd() % n;
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Does the path @fmt with @arg in it exist? */
static bool exists(const char *fmt, const char *arg)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), fmt, arg);
	return !stat(path, &st);
}

static const char *vendor(void)
{
	if (exists("/sys/module/%s", "kvm_amd"))
		return "kvm_amd";
	if (exists("/sys/module/%s", "kvm_intel"))
		return "kvm_intel";
	return NULL;
}

static long module_refcnt(const char *mod)
{
	char path[128];
	long n;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	return read_long(path, &n) ? -1 : n;
}

static int vendor_unload(const char *mod)
{
	return syscall(SYS_delete_module, mod, O_NONBLOCK) ? -errno : 0;
}

static int vendor_load(const char *mod)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "modprobe %s", mod);
	return system(cmd) ? -1 : 0;
}

/* Does a line of @path contain @word? */
static bool file_has(const char *path, const char *word)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, word);
	fclose(f);
	return found;
}

static long meminfo_kb(const char *key)
{
	return proc_key("/proc/meminfo", key);
}

static long settled_memfree_kb(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		if (write(fd, "3", 1) != 1)
			ksft_print_msg("drop_caches: %s\n", strerror(errno));
		close(fd);
	}
	/* Let RCU-freed objects and per-CPU lists drain. */
	sleep(2);
	return meminfo_kb("MemFree");
}

/* /proc/slabinfo as (name, bytes in active objects), to say what grew. */
#define MAX_SLABS	512
struct slab_use {
	char name[64];
	long kb;
};

static int slab_snapshot(struct slab_use *u)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];
	long active, total, size;
	int n = 0;

	if (!f)
		return 0;
	while (n < MAX_SLABS && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld %ld %ld", u[n].name, &active, &total, &size) == 4) {
			u[n].kb = total * size / 1024;
			n++;
		}
	fclose(f);
	return n;
}

/*
 * What a leak of the kernel's would hold: slab, kernel stacks, page
 * tables, vmalloc (struct kvm), per-CPU memory and anonymous pages of
 * processes that should be gone. MemFree also moves with the page cache
 * and the per-CPU page lists (6.12 keeps THP-sized pages there).
 */
static long kernel_kb(void)
{
	static const char *const keys[] = { "Slab", "KernelStack", "PageTables",
					    "VmallocUsed", "Percpu", "AnonPages" };
	long sum = 0;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		sum += meminfo_kb(keys[i]);
	return sum;
}

/* Print the slab caches and meminfo counters that grew most. */
static void print_growth(const struct slab_use *a, int na, const struct slab_use *b, int nb)
{
	static const char *const keys[] = { "Slab", "SUnreclaim", "KernelStack",
					    "PageTables", "Percpu", "VmallocUsed", "AnonPages" };
	int i, j, k;

	for (k = 0; k < 5; k++) {
		long best = 0;
		int bi = -1;

		for (i = 0; i < nb; i++) {
			long d = b[i].kb;

			for (j = 0; j < na; j++)
				if (!strcmp(a[j].name, b[i].name))
					d -= a[j].kb;
			if (d > best && d > 0) {
				best = d;
				bi = i;
			}
		}
		if (bi < 0)
			break;
		ksft_print_msg("slab %s grew %ld kB\n", b[bi].name, best);
		((struct slab_use *)b)[bi].kb -= best;	/* next largest */
	}
	for (i = 0; i < (int)(sizeof(keys) / sizeof(keys[0])); i++)
		ksft_print_msg("%s now %ld kB\n", keys[i], meminfo_kb(keys[i]));
}

/* A process that loops VM, memslot and zone dumps until SIGTERM. */
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static int dumper(int quiet_errors)
{
	unsigned long reqs = 0, errs = 0;
	struct mv_nl nl = { 0 };
	struct mv_slot *slots;
	struct mv_zone *zones;
	struct mv_vm *vms, v;
	struct mv_err e;
	bool open = false;
	int nr, nslots, i;

	signal(SIGTERM, on_term);
	rng ^= getpid();
	while (!stop) {
		if (!open) {
			/* The module may be away: try again shortly. */
			if (mv_nl_open(&nl)) {
				usleep(20000);
				continue;
			}
			open = true;
		}
		if (mv_dump_vms(&nl, &vms, &nr, &e, NULL)) {
			errs++;
			mv_nl_close(&nl);
			open = false;
			continue;
		}
		reqs++;
		if (nr) {
			/* One VM by id; it may be gone by now: ENOENT is an answer. */
			i = rnd_below(nr);
			if (mv_get_vm(&nl, vms[i].id, &v, &e) && e.err != -ENOENT)
				errs++;
			if (!mv_dump_slots(&nl, vms[i].id, &slots, &nslots, &e, NULL))
				free(slots);
			reqs += 2;
		}
		free(vms);
		if (!mv_dump_zones(&nl, &zones, &nr, &e, NULL))
			free(zones);
		reqs++;
		/* Continuous, but leave the churn some CPU in a small guest. */
		usleep(2000);
	}
	if (open)
		mv_nl_close(&nl);
	if (!quiet_errors)
		printf("# dumper %d: %lu requests, %lu failed (module away)\n",
		       getpid(), reqs, errs);
	return 0;
}

static pid_t spawn_dumper(void)
{
	pid_t pid = fork();

	if (!pid)
		_exit(dumper(0));
	return pid;
}

static void stop_child(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* Processes that hold BALLAST_FDS open fds each and wait. */
static int ballast_spawn(pid_t *pids, int n)
{
	int i, fd, k;

	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return -1;
		if (pids[i])
			continue;
		fd = open("/dev/null", O_RDONLY);
		for (k = 1; fd >= 0 && k < BALLAST_FDS; k++)
			if (dup(fd) < 0)
				break;
		pause();
		_exit(0);
	}
	return 0;
}

static void ballast_stop(pid_t *pids, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

/* A child that creates one VM, reports its id and waits to be killed. */
static pid_t vm_child(char *id, size_t len)
{
	int fds[2];
	pid_t pid;
	ssize_t n;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (!pid) {
		struct vmm_vm *vm = vmm_vm_create(1);

		close(fds[0]);
		if (!vm || vmm_add_slot(vm, 0x100000, 1 << 20, VMM_BACKING_ANON, 0) < 0)
			_exit(1);
		vmm_kvm_close();
		if (write(fds[1], vm->id, strlen(vm->id) + 1) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], id, len - 1);
	close(fds[0]);
	if (n <= 0) {
		waitpid(pid, NULL, 0);
		return -1;
	}
	id[n] = '\0';
	return pid;
}

/*
 * 1. The window of defect 1: a dump holds a VM whose VMM just died.
 * Returns 0 pass, 1 fail, 2 skip (with a reason in @why).
 */
static int test_vendor_pinned(const char *mod, char *why, size_t len)
{
	unsigned int attempt, hits = 0, busy = 0, gone = 0;
	pid_t ballast[BALLAST_PROCS], dump, vmpid;
	char id[VMM_ID_LEN];
	int err, i;

	for (attempt = 0; attempt < 20 && hits < 5; attempt++) {
		vmpid = vm_child(id, sizeof(id));
		if (vmpid < 0) {
			snprintf(why, len, "cannot create a VM");
			return 2;
		}
		/* Younger than the VMM, so each scan meets the VM first. */
		if (ballast_spawn(ballast, BALLAST_PROCS)) {
			snprintf(why, len, "fork: %s", strerror(errno));
			return 1;
		}
		usleep(300000);
		dump = spawn_dumper();
		usleep(200000 + rnd_below(300000));
		kill(vmpid, SIGKILL);
		waitpid(vmpid, NULL, 0);
		if (exists("/sys/kernel/debug/kvm/%s", id)) {
			/* The VMM is gone; only memvirt can hold the VM now. */
			hits++;
			err = vendor_unload(mod);
			if (err == -EWOULDBLOCK || err == -EBUSY || err == -EAGAIN) {
				busy++;
			} else if (!err) {
				ksft_print_msg("%s unloaded while memvirt held VM %s: %s\n",
					       mod, id, "memvirt's last put would run unloaded code");
				gone++;
			} else {
				ksft_print_msg("delete_module(%s): %s\n", mod, strerror(-err));
			}
		}
		stop_child(dump);
		ballast_stop(ballast, BALLAST_PROCS);
		for (i = 0; i < 100 && exists("/sys/kernel/debug/kvm/%s", id); i++)
			usleep(50000);
		if (exists("/sys/kernel/debug/kvm/%s", id)) {
			snprintf(why, len, "VM %s never went away after its VMM and the dump", id);
			return 1;
		}
		if (!exists("/sys/module/%s/initstate", mod) && vendor_load(mod)) {
			snprintf(why, len, "cannot load %s again", mod);
			return 1;
		}
	}
	ksft_print_msg("%u attempts, VM outlived its VMM in %u: %s refused removal %u times, allowed %u\n",
		       attempt, hits, mod, busy, gone);
	if (!hits) {
		snprintf(why, len, "no dump held a VM when its VMM died (window not hit)");
		return 2;
	}
	if (gone) {
		snprintf(why, len, "%s was removed while memvirt held a VM", mod);
		return 1;
	}
	return 0;
}

/* One VM of the churn: random vCPUs, slots and backing, some pages touched. */
static struct vmm_vm *churn_vm(unsigned int *nslots)
{
	static const enum vmm_backing backings[] = {
		VMM_BACKING_ANON, VMM_BACKING_THP, VMM_BACKING_NOTHP,
		VMM_BACKING_MEMFD,
	};
	/* Most are small; one in eight has many vCPUs or many memslots. */
	bool big = !rnd_below(8);
	unsigned int vcpus = big && rnd_below(2) ? 2 + rnd_below(15) : 1;
	unsigned int slots = big ? 1 + rnd_below(30) : 1 + rnd_below(2);
	struct vmm_touch t = { .count = 16, .stride = 4096, .write = true };
	struct vmm_vm *vm = vmm_vm_create(vcpus);
	enum vmm_backing b;
	uint64_t size;
	unsigned int i;
	int idx;

	if (!vm)
		return NULL;
	for (i = 0; i < slots; i++) {
		b = backings[rnd_below(4)];
		size = b == VMM_BACKING_THP ? 2 << 20 : (64 << 10) << rnd_below(6);
		idx = vmm_add_slot(vm, 0x400000ULL * (i + 1), size, b, 0);
		if (idx < 0)
			break;
		if (rnd_below(2)) {
			t.slot = idx;
			t.count = size / 4096 < 16 ? size / 4096 : 16;
			vmm_touch(vm, &t);
		}
	}
	*nslots = i;
	return vm;
}

static pid_t spawn_faults(void)
{
	pid_t pid = fork();

	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			close(fd);
		}
		execlp("memvirt", "memvirt", "faults", "-i", "1", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* 0 if `memvirt faults` is still running and stops cleanly on SIGINT. */
static int stop_faults(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, WNOHANG) == pid) {
		ksft_print_msg("memvirt faults ended early: status 0x%x\n", status);
		return -1;
	}
	kill(pid, SIGINT);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		ksft_print_msg("memvirt faults: status 0x%x after SIGINT\n", status);
		return -1;
	}
	return 0;
}

static int unload_memvirt(void)
{
	int i, err = 0;

	/* A dump in flight holds the module: wait for it. */
	for (i = 0; i < 2000; i++) {
		err = kmod_unload();
		if (err != -EWOULDBLOCK && err != -EAGAIN && err != -EBUSY)
			break;
		usleep(5000);
	}
	return err;
}

/* 2. The churn. Returns 0 or 1 (fail), with a reason in @why. */
static int test_churn(const char *mod, unsigned long cycles,
		      unsigned long reloads, char *why, size_t len)
{
	struct vmm_vm *live[LIVE_VMS] = { 0 };
	unsigned long c, reloaded = 0, vms = 0, slots = 0;
	pid_t dumpers[DUMPERS], faults;
	unsigned int i, nslots;
	double t0 = now();
	int err, ret = 0;

	for (i = 0; i < DUMPERS; i++)
		dumpers[i] = spawn_dumper();
	faults = spawn_faults();
	usleep(500000);

	for (c = 0; c < cycles; c++) {
		i = rnd_below(LIVE_VMS);
		vmm_vm_destroy(live[i]);
		live[i] = churn_vm(&nslots);
		if (!live[i]) {
			snprintf(why, len, "cycle %lu: %s", c, vmm_error());
			ret = 1;
			break;
		}
		vms++;
		slots += nslots;
		if (reloads && (c + 1) % (cycles / reloads ? cycles / reloads : 1) == 0 &&
		    reloaded < reloads) {
			err = unload_memvirt();
			if (err) {
				snprintf(why, len, "rmmod memvirt: %s", strerror(-err));
				ret = 1;
				break;
			}
			err = kmod_load();
			if (err) {
				snprintf(why, len, "insmod memvirt: %s", strerror(-err));
				ret = 1;
				break;
			}
			reloaded++;
		}
	}
	for (i = 0; i < LIVE_VMS; i++)
		vmm_vm_destroy(live[i]);
	vmm_kvm_close();
	if (stop_faults(faults) && !ret) {
		snprintf(why, len, "memvirt faults did not survive the churn");
		ret = 1;
	}
	for (i = 0; i < DUMPERS; i++)
		stop_child(dumpers[i]);
	ksft_print_msg("%lu VMs (%lu memslots) created and destroyed, memvirt.ko reloaded %lu times, in %.1f s (%.1f cycles/s)\n",
		       vms, slots, reloaded, now() - t0, vms / (now() - t0));
	if (ret)
		return ret;
	if (reloaded < reloads) {
		snprintf(why, len, "memvirt.ko reloaded %lu times, want %lu", reloaded, reloads);
		return 1;
	}

	/* No VM is left: the vendor module can go and come back. */
	for (i = 0; i < 200; i++) {
		err = vendor_unload(mod);
		if (!err)
			break;
		usleep(50000);
	}
	if (err) {
		snprintf(why, len, "%s cannot be removed with no VM left: %s (refcnt %ld)",
			 mod, strerror(-err), module_refcnt(mod));
		return 1;
	}
	if (vendor_load(mod) || vmm_kvm_available()) {
		snprintf(why, len, "%s did not come back: %s", mod, vmm_error());
		return 1;
	}
	vmm_kvm_close();
	return 0;
}

/* What a leak would show in: free memory, the kernel's share, the slabs. */
struct host_mem {
	long free, kern;
	int nslab;
	struct slab_use slab[MAX_SLABS];
};

static void host_mem(struct host_mem *m)
{
	m->free = settled_memfree_kb();
	m->kern = kernel_kb();
	m->nslab = slab_snapshot(m->slab);
}

/*
 * After the churn: the vendor module's refcount at @refcnt0, memvirt
 * loaded, and MemFree back within 8 MiB of @m0; or, where the page cache or
 * per-CPU lists kept more, nothing of what a leak would hold grew by 4 MiB.
 */
static void check_no_leak(const char *mod, long refcnt0, const struct host_mem *m0)
{
	static struct host_mem m1;
	long refcnt1 = module_refcnt(mod);

	host_mem(&m1);
	ksft_print_msg("%s refcnt %ld -> %ld; MemFree %ld -> %ld kB (%+ld kB); "
		       "kernel (slab, stacks, page tables, vmalloc, per-CPU, anon) %+ld kB\n",
		       mod, refcnt0, refcnt1, m0->free, m1.free, m1.free - m0->free,
		       m1.kern - m0->kern);
	if (m1.free < m0->free - 8 * 1024)
		print_growth(m0->slab, m0->nslab, m1.slab, m1.nslab);
	ksft_test_result(refcnt1 == refcnt0 && kmod_loaded() &&
			 (m1.free >= m0->free - 8 * 1024 || m1.kern - m0->kern < 4 * 1024),
			 "after: %s refcnt at baseline, memvirt loaded, MemFree within 8 MiB "
			 "(or no kernel memory grew by 4 MiB)\n", mod);
}

int main(void)
{
	unsigned long cycles = env_ul("MEMVIRT_CHURN_CYCLES", 1000);
	unsigned long reloads = env_ul("MEMVIRT_CHURN_RELOADS", 50);
	struct rlimit rl = { BALLAST_FDS + 64, BALLAST_FDS + 64 };
	static struct host_mem before;
	long refcnt0;
	const char *why, *mod;
	struct mv_nl nl;
	char msg[256];
	int r;

	rng = env_ul("MEMVIRT_CHURN_SEED", 0);
	if (!rng)
		rng = (uint64_t)time(NULL) * 2654435761ULL ^ getpid();
	ksft_print_header();
	ksft_set_plan(4);
	ksft_print_msg("seed 0x%" PRIx64 " cycles %lu reloads %lu\n", rng, cycles, reloads);

	why = memvirt_setup(&nl);
	if (why)
		ksft_exit_skip("%s\n", why);
	mv_nl_close(&nl);
	if (!kmod_path())
		ksft_exit_skip("MEMVIRT_KO not set: cannot reload memvirt.ko\n");
	mod = vendor();
	if (!mod)
		ksft_exit_skip("no KVM vendor module loaded\n");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		ksft_exit_fail_msg("setrlimit: %s\n", strerror(errno));
	vmm_kvm_close();
	refcnt0 = module_refcnt(mod);

	msg[0] = '\0';
	r = test_vendor_pinned(mod, msg, sizeof(msg));
	if (r == 2)
		ksft_test_result_skip("vendor_module_pinned: %s\n", msg);
	else
		ksft_test_result(!r, "vendor_module_pinned%s%s\n", r ? ": " : "", msg);

	/*
	 * A short churn first, so that slab caches, per-CPU lists and the
	 * page cache of the programs run have their working size: what
	 * MemFree must come back to is the host after such a run.
	 */
	msg[0] = '\0';
	if (test_churn(mod, cycles / 20, 0, msg, sizeof(msg)))
		ksft_print_msg("warm-up churn: %s\n", msg);
	host_mem(&before);

	msg[0] = '\0';
	r = test_churn(mod, cycles, reloads, msg, sizeof(msg));
	ksft_test_result(!r, "churn%s%s\n", r ? ": " : "", msg);

	check_no_leak(mod, refcnt0, &before);

	/* The module leaves nothing behind: no module, no slab cache of its. */
	r = unload_memvirt();
	ksft_test_result(!r && !kmod_loaded() && !file_has("/proc/slabinfo", "memvirt") &&
			 !kmod_load(),
			 "after: memvirt.ko unloads without a trace (no module, no slab cache) and loads again\n");
	ksft_finished();
}
