// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt_amplify_test: a VM named by 200 000 fd entries costs what a VM
 * named once costs. A user in the kvm group could dup() a VM fd to its
 * RLIMIT_NOFILE in many processes; memvirt must still take one reference
 * and one entry per VM, allocate nothing in proportion to the fds (no
 * WARN from a huge kvmalloc: the harness checks the kernel log) and answer
 * in about the same time.
 *
 * One VM; 10 children; a VM dump timed (median of 7); then the VM fd
 * dup()ed 20 000 times and 10 new children forked (200 000+ fd entries
 * naming the VM); the same dump timed again. The dump must list the VM
 * once, the same VMs as before. Both times are printed, not judged (the
 * walk visits every fd entry, so its cost grows with them: see
 * Documentation/memvirt.rst); performance belongs in benchmarks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "cli_json.h"
#include "memvirt_nl.h"
#include "testlib.h"
#include "vmm.h"

#define CHILDREN	10
#define DUPS		20000
#define RUNS		7

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void children(pid_t *pids, bool start)
{
	int i;

	for (i = 0; i < CHILDREN; i++) {
		if (!start) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			continue;
		}
		pids[i] = fork();
		if (!pids[i]) {
			pause();
			_exit(0);
		}
	}
}

/* Median time of a VM dump; *@nr VMs, *@mine copies of @id in it. */
static double timed_dump(struct mv_nl *nl, const char *id, int *nr, int *mine)
{
	double t[RUNS], t0;
	struct mv_vm *vms;
	struct mv_err e;
	int r, i;

	*nr = -1;
	for (r = 0; r < RUNS; r++) {
		t0 = now();
		if (mv_dump_vms(nl, &vms, nr, &e, NULL)) {
			ksft_print_msg("VM dump: %s (%s)\n", strerror(-e.err), e.msg);
			*nr = -1;
			return -1;
		}
		t[r] = now() - t0;
		*mine = 0;
		for (i = 0; i < *nr; i++)
			*mine += !strcmp(vms[i].id, id);
		free(vms);
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	return t[RUNS / 2];
}

/* How many times "memvirt list --json" lists VM @id; -1 if it failed. */
static int cli_listed(const char *id)
{
	struct json_object *vms;
	struct cli_run r;
	int i, n = -1;

	cli_run(&r, CLI_AS_IS, (const char *const[]){ "list", "--json", NULL });
	vms = json_get(cli_doc(&r), "vms");
	if (vms && !r.status)
		for (i = 0, n = 0; i < (int)json_object_array_length(vms); i++)
			n += !strcmp(json_str(json_object_array_get_idx(vms, i), "id") ?: "", id);
	if (n < 0)
		ksft_print_msg("memvirt list --json: exit %d: %s\n", r.status, r.err);
	cli_run_free(&r);
	return n;
}

int main(void)
{
	struct rlimit rl = { DUPS + 256, DUPS + 256 };
	int nr0, nr1, mine0, mine1, i;
	pid_t pids[CHILDREN];
	struct vmm_vm *vm;
	double t0, t1;
	const char *why;
	struct mv_nl nl;

	ksft_print_header();
	ksft_set_plan(2);
	why = memvirt_setup(&nl);
	if (why)
		ksft_exit_skip("%s\n", why);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		ksft_exit_fail_msg("setrlimit: %s\n", strerror(errno));
	vm = vmm_vm_create(1);
	if (!vm)
		ksft_exit_fail_msg("%s\n", vmm_error());

	children(pids, true);
	t0 = timed_dump(&nl, vm->id, &nr0, &mine0);
	children(pids, false);

	for (i = 0; i < DUPS; i++)
		if (dup(vm->vm_fd) < 0)
			ksft_exit_fail_msg("dup #%d: %s\n", i, strerror(errno));
	children(pids, true);
	t1 = timed_dump(&nl, vm->id, &nr1, &mine1);
	ksft_print_msg("VM %s: %d fd entries name it; dump of %d VMs in %.2f ms, was %.2f ms with %d entries (%.2fx)\n",
		       vm->id, (DUPS + 1) * (CHILDREN + 1), nr1, t1 * 1e3, t0 * 1e3,
		       CHILDREN + 1, t1 / t0);

	ksft_test_result(nr1 >= 0 && mine1 == 1 && nr1 == nr0 && mine0 == 1,
			 "the dump lists the VM once, the same VMs as without the dups (%d, %d)\n",
			 nr0, nr1);
	ksft_test_result(cli_listed(vm->id) == 1, "memvirt list shows the VM once\n");

	children(pids, false);
	vmm_vm_destroy(vm);
	memvirt_teardown(&nl);
	ksft_finished();
}
