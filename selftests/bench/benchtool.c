// SPDX-License-Identifier: GPL-2.0
/*
 * benchtool: the timing half of "make bench" (selftests/bench/bench.sh).
 *
 *   benchtool run N CMD [ARG...]   fork+exec CMD N times, stdout and stderr
 *                                  to /dev/null; per run one line
 *                                  "<ns> <maxrss_kib> <exit>": the time from
 *                                  fork() to wait4() and the child's peak RSS
 *   benchtool dump N               N VM dumps (MEMVIRT_CMD_VM_GET) in this
 *                                  process, one open socket: "<ns> <vms>
 *                                  <rounds>" (recvmsg() batches with data)
 *   benchtool zones N              the same for MEMVIRT_CMD_ZONE_GET
 *   benchtool procs NPROC NFDS     NPROC idle processes holding NFDS open
 *                                  fds each; prints "ready", then waits
 *                                  for EOF on stdin and kills them all
 *
 * One process times every run, so the timer's own start-up is not in the
 * figures; "run" of /bin/true is the empty-process floor.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../memvirt_nl.h"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmd_run(int n, char **argv)
{
	int i;

	for (i = 0; i < n; i++) {
		struct rusage ru;
		long long t0, t1;
		int status, fd;
		pid_t pid;

		t0 = now_ns();
		pid = fork();
		if (pid < 0) {
			perror("benchtool: fork");
			return 1;
		}
		if (!pid) {
			fd = open("/dev/null", O_RDWR);
			if (fd >= 0) {
				dup2(fd, 0);
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execvp(argv[0], argv);
			_exit(127);
		}
		if (wait4(pid, &status, 0, &ru) < 0) {
			perror("benchtool: wait4");
			return 1;
		}
		t1 = now_ns();
		printf("%lld %ld %d\n", t1 - t0, ru.ru_maxrss,
		       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		fflush(stdout);
	}
	return 0;
}

static int cmd_dump(int n, int zones)
{
	struct mv_nl nl;
	int i;

	if (mv_nl_open(&nl)) {
		fprintf(stderr, "benchtool: cannot open the memvirt family (memvirt.ko loaded?)\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct mv_vm *vms = NULL;
		struct mv_zone *zs = NULL;
		struct mv_err err = { 0 };
		struct mv_stats st = { 0 };
		long long t0, t1;
		int nr = 0, ret;

		t0 = now_ns();
		if (zones)
			ret = mv_dump_zones(&nl, &zs, &nr, &err, &st);
		else
			ret = mv_dump_vms(&nl, &vms, &nr, &err, &st);
		t1 = now_ns();
		free(vms);
		free(zs);
		if (ret || err.err) {
			fprintf(stderr, "benchtool: dump failed: %d %s\n", err.err, err.msg);
			return 1;
		}
		printf("%lld %d %u\n", t1 - t0, nr, st.data_batches);
		fflush(stdout);
	}
	mv_nl_close(&nl);
	return 0;
}

static int cmd_procs(int nproc, int nfds)
{
	struct rlimit rl = { nfds + 16, nfds + 16 };
	pid_t *pids = calloc(nproc, sizeof(*pids));
	char buf[256];
	int i, j;

	if (!pids)
		return 1;
	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			fprintf(stderr, "benchtool: fork %d: %s\n", i, strerror(errno));
			nproc = i;
			break;
		}
		if (!pids[i]) {
			int fd;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(0);
			setrlimit(RLIMIT_NOFILE, &rl);
			fd = open("/dev/null", O_RDONLY);
			for (j = 1; fd >= 0 && j < nfds; j++)
				if (dup(fd) < 0)
					break;
			for (;;)
				pause();
		}
	}
	printf("ready %d\n", nproc);
	fflush(stdout);
	while (fgets(buf, sizeof(buf), stdin))
		;
	for (i = 0; i < nproc; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < nproc; i++)
		waitpid(pids[i], NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "run"))
		return cmd_run(atoi(argv[2]), argv + 3);
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return cmd_dump(atoi(argv[2]), 0);
	if (argc == 3 && !strcmp(argv[1], "zones"))
		return cmd_dump(atoi(argv[2]), 1);
	if (argc == 4 && !strcmp(argv[1], "procs"))
		return cmd_procs(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: benchtool run N CMD [ARG...] | dump N | zones N | procs NPROC NFDS\n");
	return 2;
}
