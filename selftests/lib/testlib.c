// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the memvirt kselftests, see testlib.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memvirt_nl.h"
#include "testlib.h"

const char *helper_path(const char *name)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return name;
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dirname(self), name);
	return path;
}

bool kmod_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/memvirt", &st);
}

const char *kmod_path(void)
{
	const char *p = getenv("MEMVIRT_KO");

	return p && *p ? p : NULL;
}

int kmod_load(void)
{
	const char *path = kmod_path();
	int fd, ret;

	if (!path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

int kmod_unload(void)
{
	return syscall(SYS_delete_module, "memvirt", O_NONBLOCK) ? -errno : 0;
}

/* A memvirt-vmm failure, in p->err and vmm_error() (for ASSERT_VMM()); -1. */
__attribute__((format(printf, 2, 3)))
static int vmmp_fail(struct vmm_proc *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return vmm_fail("%s", p->err);
}

int vmmp_start(struct vmm_proc *p, const char *const *argv)
{
	const char *exe = helper_path("memvirt-vmm");
	int to[2], from[2], n = 0;
	char line[256];
	const char **av;

	memset(p, 0, sizeof(*p));
	while (argv[n])
		n++;
	av = calloc(n + 2, sizeof(*av));
	if (!av || pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC)) {
		free(av);
		return vmmp_fail(p, "pipe: %s", strerror(errno));
	}
	av[0] = exe;
	memcpy(av + 1, argv, n * sizeof(*av));
	p->pid = fork();
	if (p->pid < 0) {
		free(av);
		return vmmp_fail(p, "fork: %s", strerror(errno));
	}
	if (!p->pid) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		execv(exe, (char *const *)av);
		fprintf(stderr, "exec %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	free(av);
	close(to[0]);
	close(from[1]);
	p->in = fdopen(to[1], "w");
	p->out = fdopen(from[0], "r");
	setvbuf(p->in, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), p->out)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "ready"))
			return 0;
		if (!strncmp(line, "vm ", 3) && p->nr_vms < VMMP_MAX_VMS)
			snprintf(p->id[p->nr_vms++], VMM_ID_LEN, "%.31s", line + 3);
	}
	return vmmp_fail(p, "memvirt-vmm exited before \"ready\" (status %d)", vmmp_stop(p));
}

int vmmp_cmd(struct vmm_proc *p, const char *cmd)
{
	char line[512];

	if (fprintf(p->in, "%s\n", cmd) < 0 || fflush(p->in)) {
		return vmmp_fail(p, "write: %s", strerror(errno));
	}
	while (fgets(line, sizeof(line), p->out)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "ok"))
			return 0;
		if (!strncmp(line, "error", 5)) {
			return vmmp_fail(p, "%.200s", line);
		}
	}
	return vmmp_fail(p, "memvirt-vmm went away");
}

int vmmp_stop(struct vmm_proc *p)
{
	int status = -1, i;

	if (p->pid <= 0)
		return -1;
	if (p->in) {
		fprintf(p->in, "quit\n");
		fclose(p->in);
		p->in = NULL;
	}
	/* 300 VMs take many seconds to tear down under TCG. */
	for (i = 0; i < 3000; i++) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid)
			goto out;
		usleep(50000);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
out:
	if (p->out)
		fclose(p->out);
	p->out = NULL;
	p->pid = 0;
	return status;
}

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

int thp_mode(char *buf, size_t len)
{
	char line[128], *l, *r;
	FILE *f = fopen(THP_ENABLED, "re");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	l = strchr(line, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		return -1;
	*r = '\0';
	snprintf(buf, len, "%s", l + 1);
	return 0;
}

int thp_set_mode(const char *mode)
{
	int fd = open(THP_ENABLED, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, mode, strlen(mode)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

uint64_t smaps_huge_bytes(const void *addr, uint64_t len)
{
	uintptr_t lo = (uintptr_t)addr, hi = lo + len;
	unsigned long start, end, kb;
	bool in = false;
	uint64_t sum = 0;
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		size_t tok = strcspn(line, " ");

		/* VMA headers start "lo-hi ", fields "Name:". */
		if (tok && line[tok - 1] != ':' &&
		    sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = start < hi && end > lo;
			continue;
		}
		if (in && (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1 ||
			   sscanf(line, "ShmemPmdMapped: %lu kB", &kb) == 1 ||
			   sscanf(line, "FilePmdMapped: %lu kB", &kb) == 1))
			sum += kb * 1024;
	}
	fclose(f);
	return sum;
}

int thp_slot_touched(struct vmm_vm *vm, uint64_t gpa, uint64_t size, uint64_t *huge)
{
	struct vmm_touch t = { .count = size / 4096, .stride = 4096, .write = true };
	char old[32] = "";
	bool changed = !thp_mode(old, sizeof(old)) && !strcmp(old, "never") &&
		       !thp_set_mode("madvise");

	*huge = 0;
	t.slot = vmm_add_slot(vm, gpa, size, VMM_BACKING_THP, 0);
	if (t.slot >= 0 && vmm_touch(vm, &t))
		t.slot = -1;
	if (t.slot >= 0)
		*huge = smaps_huge_bytes(vm->slot[t.slot].hva, size) / (2 << 20);
	if (changed)
		thp_set_mode(old);
	return t.slot;
}

uint64_t pages_2m_retouched(struct vmm_vm *vm, int slot, uint64_t want)
{
	struct vmm_touch t = { .slot = slot, .count = vm->slot[slot].size / 4096,
			       .stride = 4096, .write = true };
	uint64_t got = 0;

	for (int i = 0; i < 5; i++) {
		if (i && vmm_touch(vm, &t))
			break;
		if (vmm_debugfs_stat(vm->id, "pages_2m", &got) || got == want)
			break;
	}
	return got;
}

int read_long(const char *path, long *v)
{
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%ld", v);
	fclose(f);
	return n == 1 ? 0 : -1;
}

int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", v) < 0;
	ret |= fclose(f);
	return ret ? -1 : 0;
}

long proc_key(const char *path, const char *key)
{
	size_t len = strlen(key);
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

void self_comm(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/comm", "re");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

const char *dump_order_error(const struct mv_vm *vms, int nr)
{
	static char why[160];
	int i, pid, fd, ppid = 0, pfd = -2;
	uint32_t tag, ptag = 0;

	for (i = 0; i < nr; i++) {
		if (mv_parse_id_tag(vms[i].id, &pid, &fd, &tag)) {
			snprintf(why, sizeof(why), "malformed VM id '%s'", vms[i].id);
			return why;
		}
		if (pid < ppid || (pid == ppid && (fd < pfd || (fd == pfd && tag <= ptag)))) {
			snprintf(why, sizeof(why), "dump out of order at %d: %s after %s", i,
				 vms[i].id, vms[i - 1].id);
			return why;
		}
		ppid = pid;
		pfd = fd;
		ptag = tag;
	}
	return NULL;
}

const char *memvirt_open(struct mv_nl *nl)
{
	static char why[320];
	int ret;

	nl->sk = NULL;
	if (!kmod_loaded()) {
		if (!kmod_path())
			return "memvirt module not loaded and MEMVIRT_KO not set";
		ret = kmod_load();
		if (ret) {
			snprintf(why, sizeof(why), "insmod %s: %s", kmod_path(), strerror(-ret));
			return why;
		}
	}
	ret = mv_nl_open(nl);
	if (ret) {
		snprintf(why, sizeof(why), "generic netlink family \"%s\": %s",
			 MEMVIRT_FAMILY_NAME, strerror(-ret));
		return why;
	}
	return NULL;
}

const char *memvirt_setup(struct mv_nl *nl)
{
	static char why[320];

	nl->sk = NULL;
	if (vmm_kvm_available()) {
		snprintf(why, sizeof(why), "KVM unusable: %s", vmm_error());
		return why;
	}
	return memvirt_open(nl);
}

void memvirt_teardown(struct mv_nl *nl)
{
	mv_nl_close(nl);
	if (!kmod_loaded() && kmod_path())
		kmod_load();
}
