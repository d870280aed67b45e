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
 *   benchtool scrape PORT N PID    N scrapes of http://127.0.0.1:PORT/metrics,
 *                                  one after the other, each on a new
 *                                  connection (waits up to 60 s for the
 *                                  first); after scrapes 1, N/20, N/2 and N
 *                                  one line "<i> <ns> <bytes> <rss_kib>
 *                                  <hwm_kib>": time since the first scrape,
 *                                  the last body's size, PID's VmRSS, VmHWM
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "memvirt_nl.h"
#include "testlib.h"

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

/* "VmRSS"/"VmHWM" of @pid in KiB, -1 if unknown. */
static long status_kib(int pid, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return proc_key(path, key);
}

/* One GET /metrics; the body's size, or -1 (not 200, or no connection). */
static long scrape_once(int port)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	char buf[65536], *body;
	long total = 0, hdr = -1;
	int fd, ok = 0;
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		if (hdr < 0) {		/* the status line and headers: first read */
			buf[n] = '\0';
			ok = !strncmp(buf, "HTTP/1.", 7) && !strncmp(buf + 8, " 200", 4);
			body = strstr(buf, "\r\n\r\n");
			hdr = body ? body + 4 - buf : 0;
		}
		total += n;
	}
	close(fd);
	return ok && n == 0 ? total - hdr : -1;
}

static int cmd_scrape(int port, int n, int pid)
{
	long long t0 = 0;
	long bytes = -1;
	int i, tries;

	for (i = 1; i <= n; i++) {
		for (tries = 0; i == 1 && tries < 600 && (bytes = scrape_once(port)) < 0; tries++)
			usleep(100000);		/* the server may still be starting */
		if (i == 1)
			t0 = now_ns();
		else
			bytes = scrape_once(port);
		if (bytes < 0) {
			fprintf(stderr, "benchtool: scrape %d of port %d failed\n", i, port);
			return 1;
		}
		if (i == 1 || i == n / 20 || i == n / 2 || i == n) {
			printf("%d %lld %ld %ld %ld\n", i, now_ns() - t0, bytes,
			       status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM"));
			fflush(stdout);
		}
	}
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
	if (argc == 5 && !strcmp(argv[1], "scrape"))
		return cmd_scrape(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: benchtool run N CMD [ARG...] | dump N | zones N | procs NPROC NFDS |\n"
		"                 scrape PORT N PID\n");
	return 2;
}
