// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt faults (eBPF) against test VMs whose faults are known, and against
 * the kvm:kvm_page_fault tracepoint counted by ftrace over the same window.
 *
 * Each VM lives in its own child process (so ftrace tells VMs apart by the
 * vCPU thread's pid) and runs its touches when told to; "memvirt faults
 * --json" runs for the window and reports once, when interrupted.
 *
 * Needs root, /dev/kvm, BTF (vmlinux, and kvm's if KVM is a module), the
 * memvirt CLI in PATH (or $MEMVIRT_CLI) and tracefs for the cross-check;
 * SKIPs with the reason otherwise.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "testlib.h"
#include "vmm.h"

#define SZ_4K		0x1000ULL
#define DATA_GPA	0x100000ULL
#define HOLE_GPA	0x80000000ULL	/* no memslot: MMIO */
#define DATA2_GPA	0x10000000ULL	/* second data slot, if any */
#define DATA3_GPA	0x20000000ULL	/* more slots: steps with .own_slot */
#define DATA4_GPA	0x30000000ULL
#define SLACK		2
#define HUGE_DELTA	(1ULL << 62)	/* a count this big is a negative delta */

static const char *tracefs(void)
{
	if (!access("/sys/kernel/tracing/events/kvm/kvm_page_fault", F_OK))
		return "/sys/kernel/tracing";
	if (!access("/sys/kernel/debug/tracing/events/kvm/kvm_page_fault", F_OK))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[512];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static char *read_all(const char *path)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				break;
			buf = nb;
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* Is @sym a symbol of the running kernel or its modules? */
static bool kallsyms_has(const char *sym)
{
	char line[512], name[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return true;	/* cannot tell: assume the usual kernel */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %255s", name) == 1 && !strcmp(name, sym);
	fclose(f);
	return found;
}

static const char *cli(void)
{
	const char *c = getenv("MEMVIRT_CLI");

	return c && *c ? c : "memvirt";
}

/* Why the BPF side cannot run here, or NULL. */
static const char *bpf_unavailable(void)
{
	if (geteuid())
		return "needs root";
	if (vmm_kvm_available())
		return vmm_error();
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return "no kernel BTF (/sys/kernel/btf/vmlinux)";
	if (access("/sys/kernel/btf/kvm", R_OK)) {
		/* KVM as a module without BTF: CO-RE cannot see struct kvm_vcpu. */
		FILE *f = fopen("/proc/modules", "r");
		char line[256];
		bool modular = false;

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "kvm ", 4))
				modular = true;
		if (f)
			fclose(f);
		if (modular)
			return "kvm module has no BTF (/sys/kernel/btf/kvm)";
	}
	return NULL;
}

/* --- memvirt faults as a child ------------------------------------------- */

struct probe {
	pid_t pid;
	char out[64], err[64];
};

/* Starts "memvirt faults ARGS --json -i INTERVAL"; 0 once attached, 1 skip, -1 fail. */
static int probe_start_i(struct probe *p, const char *const *args, const char *interval,
			 char *why, size_t whylen)
{
	const char *argv[24];
	int n = 0, fd;

	argv[n++] = cli();
	argv[n++] = "faults";
	while (*args && n < 20)
		argv[n++] = *args++;
	argv[n++] = "--json";
	argv[n++] = "-i";
	argv[n++] = interval;
	argv[n] = NULL;
	strcpy(p->out, "/tmp/memvirt-faults-out.XXXXXX");
	strcpy(p->err, "/tmp/memvirt-faults-err.XXXXXX");
	fd = mkstemp(p->out);
	if (fd >= 0)
		close(fd);
	fd = mkstemp(p->err);
	if (fd >= 0)
		close(fd);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (!p->pid) {
		if (!freopen(p->out, "w", stdout) || !freopen(p->err, "w", stderr))
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (int i = 0; i < 600; i++) {
		char *e = read_all(p->err);
		int status;

		if (e && strstr(e, "attached with")) {
			free(e);
			return 0;
		}
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = 0;
			snprintf(why, whylen, "%s", e && *e ? e : "memvirt faults exited");
			for (char *c = why; *c; c++)
				if (*c == '\n')
					*c = ' ';
			n = e && (strstr(e, "Operation not permitted") || strstr(e, "exec ")) ? 1 : -1;
			free(e);
			return n;
		}
		free(e);
		usleep(100000);
	}
	snprintf(why, whylen, "memvirt faults did not attach in 60 s");
	return -1;
}

/* One report, at the end: "memvirt faults ARGS --json -i 3600". */
static int probe_start(struct probe *p, const char *const *args, char *why, size_t whylen)
{
	return probe_start_i(p, args, "3600", why, whylen);
}

/*
 * Starts the two probe sets @mode0 and @mode1; bit i of *@started says which did.
 * 1 (skip the test) when BPF is unavailable for the first, else 0.
 */
static int probes_start(struct __test_metadata *_metadata, struct probe p[2],
			const char *const *mode0, const char *const *mode1,
			const char *const names[2], char *why, size_t len, int *started)
{
	for (int i = 0; i < 2; i++) {
		int r = probe_start(&p[i], i ? mode1 : mode0, why, len);

		if (r == 1 && i == 0)
			return 1;
		if (r) {
			TH_LOG("%s: %s", names[i], why);
			EXPECT_EQ(0, r);
			continue;
		}
		*started |= 1 << i;
	}
	return 0;
}

/* Interrupts it (it reports the window) and returns its stdout, or NULL. */
static char *probe_stop(struct probe *p, int sig)
{
	char *out = NULL;
	int status;

	if (p->pid > 0) {
		kill(p->pid, sig);
		waitpid(p->pid, &status, 0);
		if (sig == SIGINT && WIFEXITED(status) && !WEXITSTATUS(status))
			out = read_all(p->out);
	}
	p->pid = 0;
	unlink(p->out);
	unlink(p->err);
	return out;
}

/* The JSON object of VM @id in memvirt's report, copied into @obj. */
static bool vm_object(const char *json, const char *id, char *obj, size_t len)
{
	char key[64];
	const char *s, *e;

	snprintf(key, sizeof(key), "{\"id\":\"%s\"", id);
	s = json ? strstr(json, key) : NULL;
	if (!s)
		return false;
	e = strstr(s + 1, "{\"id\":\"");
	if (!e)
		e = s + strlen(s);
	if ((size_t)(e - s) >= len)
		return false;
	memcpy(obj, s, e - s);
	obj[e - s] = 0;
	return true;
}

/* A number field of a VM object; absent keys (zero class cells) read 0. */
static long long num(const char *obj, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(obj, k);
	return p ? strtoll(p + strlen(k), NULL, 10) : 0;
}

/* A member of a report's "lost" object: the count, -2 if null (n/a), -1 if absent. */
static long long lost_num(const char *json, const char *key)
{
	const char *l = json ? strstr(json, "\"lost\":{") : NULL;
	const char *e = l ? strchr(l, '}') : NULL;
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = l ? strstr(l, k) : NULL;
	if (!p || p > e)
		return -1;
	p += strlen(k);
	return !strncmp(p, "null", 4) ? -2 : strtoll(p, NULL, 10);
}

/* Sum of @key over the objects of array @array in @obj; their number in *@n. */
static long long array_sum(const char *obj, const char *array, const char *key, int *n)
{
	char a[64], k[64];
	const char *p, *end;
	long long sum = 0;

	*n = 0;
	snprintf(a, sizeof(a), "\"%s\":[", array);
	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(obj, a);
	if (!p)
		return 0;
	end = strchr(p, ']');
	for (p = strstr(p, k); p && end && p < end; p = strstr(p, k)) {
		p += strlen(k);
		sum += strtoll(p, NULL, 10);
		(*n)++;
	}
	return sum;
}

/* The largest unsigned integer in @s (ULLONG_MAX if one overflows). */
static unsigned long long max_number(const char *s)
{
	unsigned long long max = 0, v;
	char *end;

	while (s && *s) {
		if (!isdigit((unsigned char)*s)) {
			s++;
			continue;
		}
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno == ERANGE)
			v = ULLONG_MAX;
		if (v > max)
			max = v;
		s = end;
	}
	return max;
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a, b;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return false;
	return a > major || (a == major && b >= minor);
}

static long long hist_total(const char *obj)
{
	const char *p = strstr(obj, "\"log2_hist\":[");
	long long t = 0;
	char *end;

	if (!p)
		return -1;
	p += strlen("\"log2_hist\":[");
	while (*p && *p != ']') {
		t += strtoll(p, &end, 10);
		p = *end == ',' ? end + 1 : end;
		if (end == p && *p != ']')
			break;
	}
	return t;
}

/* --- ftrace -------------------------------------------------------------- */

struct ftrace_count {
	pid_t pid;
	long long faults;
	long long order_errors;	/* read-then-write check: class out of order */
	char first_err[32], last_err[32];
};

#define RTW_PAGES	1024

/* The pid of an ftrace line ("comm-pid [cpu] ... : event:") whose event is at @ev; 0 if none. */
static pid_t ftrace_pid(const char *line, const char *ev)
{
	const char *lb = strchr(line, '['), *dash;

	if (!lb || lb > ev)
		return 0;
	for (dash = lb; dash > line && *dash != '-'; dash--)
		;
	return atoi(dash + 1);
}

/* Lines of the ftrace event @event (e.g. "kvm_mmu_spte_requested") of @pid. */
static long long ftrace_events(const char *trace, const char *event, pid_t pid)
{
	const char *line = trace;
	char ev[64];
	long long n = 0;

	snprintf(ev, sizeof(ev), ": %s:", event);
	while (line && *line) {
		const char *nl = strchr(line, '\n'), *e = strstr(line, ev);

		if (e && (!nl || e < nl) && ftrace_pid(line, e) == pid)
			n++;
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

/*
 * Counts kvm_page_fault lines by pid. With @rtw_pages for a pid, checks the
 * read-then-write pages [DATA_GPA, +rtw_pages): per page, the first fault is a
 * read without the present bit and the next a write with it (a not-present
 * write may follow: the copy-on-write zaps the read-only mapping under KVM).
 */
static void ftrace_count(const char *trace, struct ftrace_count *c, int n, int rtw_pages)
{
	static unsigned char seen[RTW_PAGES];
	const char *line = trace;

	memset(seen, 0, sizeof(seen));
	while (line && *line) {
		const char *nl = strchr(line, '\n'), *ev = strstr(line, ": kvm_page_fault:");
		pid_t pid;

		if (ev && (!nl || ev < nl) && (pid = ftrace_pid(line, ev))) {
			for (int i = 0; i < n; i++) {
				const char *e = strstr(ev, "error_code "), *a = strstr(ev, "address ");
				unsigned long long err, gpa, pg;

				if (c[i].pid != pid)
					continue;
				c[i].faults++;
				if (!rtw_pages || !e || !a || (nl && e > nl))
					continue;
				err = strtoull(e + strlen("error_code "), NULL, 16);
				gpa = strtoull(a + strlen("address "), NULL, 16);
				if (!c[i].first_err[0])
					snprintf(c[i].first_err, sizeof(c[i].first_err), "%#llx", err);
				snprintf(c[i].last_err, sizeof(c[i].last_err), "%#llx", err);
				if (gpa < DATA_GPA || (pg = (gpa - DATA_GPA) / SZ_4K) >= (unsigned)rtw_pages)
					continue;
				if (seen[pg] == 0 && (err & 3) == 0)
					seen[pg] = 1;		/* read, not present */
				else if (seen[pg] == 1 && (err & 3) == 3)
					seen[pg] = 2;		/* write, present */
				else if (seen[pg] == 2 && (err & 3) == 2)
					seen[pg] = 3;		/* write, not present: retry */
				else
					c[i].order_errors++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* --- VMs in child processes ------------------------------------------------ */

struct step {
	uint64_t gpa;
	uint32_t count, stride;
	bool write;
	bool own_slot;		/* a memslot of its own at gpa */
};

struct vmchild {
	pid_t pid;
	int cmd, resp;
	char id[VMM_ID_LEN];
};

/* The child: one VM, one data slot, code page mapped; runs @steps on "g". */
static void vm_child_main(int cmd, int resp, uint64_t slot_size, const struct step *steps,
			  int nsteps)
{
	struct vmm_vm *vm = vmm_vm_create(1);
	char c;

	/* Steps reaching DATA2_GPA get a second slot there, .own_slot ones theirs. */
	for (int i = 0; i < nsteps; i++)
		if (vm && (steps[i].gpa == DATA2_GPA || steps[i].own_slot) &&
		    vmm_add_slot(vm, steps[i].gpa, slot_size, VMM_BACKING_NOTHP, 0) < 0) {
			dprintf(resp, "error %s\n", vmm_error());
			_exit(1);
		}
	if (!vm || vmm_add_slot(vm, DATA_GPA, slot_size, VMM_BACKING_NOTHP, 0) < 0 ||
	    vmm_touch_gpa(vm, VMM_CODE_GPA, 1, 0, false)) {
		dprintf(resp, "error %s\n", vmm_error());
		_exit(1);
	}
	dprintf(resp, "vm %s\n", vm->id);
	while (read(cmd, &c, 1) == 1 && c == 'g') {
		for (int i = 0; i < nsteps; i++)
			if (vmm_touch_gpa(vm, steps[i].gpa, steps[i].count, steps[i].stride,
					  steps[i].write)) {
				dprintf(resp, "error %s\n", vmm_error());
				_exit(1);
			}
		dprintf(resp, "done\n");
	}
	vmm_vm_destroy(vm);
	_exit(0);
}

static int vm_child_start(struct vmchild *v, uint64_t slot_size, const struct step *steps,
			  int nsteps)
{
	int cp[2], rp[2];
	char buf[128];
	ssize_t n;

	if (pipe(cp) || pipe(rp))
		return -1;
	v->pid = fork();
	if (v->pid < 0)
		return -1;
	if (!v->pid) {
		close(cp[1]);
		close(rp[0]);
		vm_child_main(cp[0], rp[1], slot_size, steps, nsteps);
	}
	close(cp[0]);
	close(rp[1]);
	v->cmd = cp[1];
	v->resp = rp[0];
	n = read(v->resp, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (sscanf(buf, "vm %31s", v->id) != 1) {
		fprintf(stderr, "# VM child: %s", buf);
		return -1;
	}
	return 0;
}

static void vm_child_go(struct vmchild *v)
{
	if (write(v->cmd, "g", 1) != 1)
		v->pid = -v->pid;
}

static int vm_child_wait_done(struct vmchild *v)
{
	char buf[256];
	ssize_t n = read(v->resp, buf, sizeof(buf) - 1);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (strncmp(buf, "done", 4)) {
		fprintf(stderr, "# VM %s: %s", v->id, buf);
		return -1;
	}
	return 0;
}

static void vm_child_stop(struct vmchild *v)
{
	int status;

	if (v->pid <= 0)
		return;
	/* Other children hold copies of our pipe: say quit, EOF may never come. */
	if (write(v->cmd, "q", 1) != 1)
		kill(v->pid, SIGKILL);
	close(v->cmd);
	close(v->resp);
	waitpid(v->pid, &status, 0);
	v->pid = 0;
}

/* --- tests --------------------------------------------------------------- */

FIXTURE(faults) {
	const char *trace;
};

FIXTURE_SETUP(faults)
{
	const char *why = bpf_unavailable();

	if (why)
		SKIP(return, "%s", why);
	self->trace = tracefs();
}

FIXTURE_TEARDOWN(faults)
{
	if (self->trace) {
		write_file(self->trace, "events/kvm/kvm_page_fault/enable", "0");
		write_file(self->trace, "events/kvmmmu/kvm_mmu_spte_requested/enable", "0");
	}
}

/*
 * The object the CLI embeds is the one in $BUILD/bpf: "memvirt faults -v"
 * names its size and where it was built, and both match the file (check.sh
 * builds once, on the host, for every kernel the suite boots).
 */
TEST_F_TIMEOUT(faults, object_is_the_build, 120)
{
	const char *obj = helper_path("../bpf/faults.bpf.o");
	const char *key = "object faults.bpf.o, ";
	char cmd[1024], line[1024], path[512] = "";
	long long got = -1;
	struct stat sb;
	FILE *f;

	if (stat(obj, &sb))
		SKIP(return, "no %s to compare with", obj);
	snprintf(cmd, sizeof(cmd), "%s faults -v -d 0.2 --json 2>&1 >/dev/null", cli());
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, key);

		if (p)
			sscanf(p + strlen(key), "%lld bytes, built as %511s", &got, path);
		if (strstr(line, "attached with"))
			TH_LOG("%s", line);
	}
	pclose(f);
	TH_LOG("object: %lld bytes, built as %s; %s: %lld bytes", got, path, obj,
	       (long long)sb.st_size);
	EXPECT_EQ((long long)sb.st_size, got);
	EXPECT_NE(NULL, strstr(path, "/faults.bpf.o"));
}

/*
 * Two VMs fault N and M new pages at the same time; three memvirt instances
 * (fentry, kprobe, --lite) watch, and ftrace counts kvm:kvm_page_fault.
 */
TEST_F_TIMEOUT(faults, two_vms_counts_match_ftrace, 400)
{
	static const char *const modes[3][4] = {
		{ NULL }, { "--attach", "kprobe", NULL }, { "--lite", NULL },
	};
	static const char *const names[3] = { "fentry", "kprobe", "lite" };
	const uint32_t N = 200, M = 120;
	struct step sa = { DATA_GPA, N, SZ_4K, true }, sb = { DATA_GPA, M, SZ_4K, true };
	struct vmchild a = { 0 }, b = { 0 };
	struct probe p[3] = { 0 };
	struct ftrace_count fc[2] = { 0 };
	char why[512], *json[3] = { 0 }, *trace = NULL;
	char obj[16384];
	int started = 0;

	ASSERT_EQ(0, vm_child_start(&a, 4 << 20, &sa, 1));
	ASSERT_EQ(0, vm_child_start(&b, 4 << 20, &sb, 1));
	for (int i = 0; i < 3; i++) {
		int r = probe_start(&p[i], modes[i], why, sizeof(why));

		if (r == 1 && i == 0) {
			vm_child_stop(&a);
			vm_child_stop(&b);
			SKIP(return, "BPF unavailable: %s", why);
		}
		if (r) {
			TH_LOG("%s: %s", names[i], why);
			EXPECT_EQ(0, r);
			continue;
		}
		started |= 1 << i;
	}
	if (self->trace) {
		write_file(self->trace, "trace", "");
		EXPECT_EQ(0, write_file(self->trace, "events/kvm/kvm_page_fault/enable", "1"));
	}
	vm_child_go(&a);
	vm_child_go(&b);
	EXPECT_EQ(0, vm_child_wait_done(&a));
	EXPECT_EQ(0, vm_child_wait_done(&b));
	if (self->trace) {
		char path[512];

		write_file(self->trace, "events/kvm/kvm_page_fault/enable", "0");
		snprintf(path, sizeof(path), "%s/trace", self->trace);
		trace = read_all(path);
		fc[0].pid = a.pid;
		fc[1].pid = b.pid;
		ftrace_count(trace, fc, 2, 0);
	}
	for (int i = 0; i < 3; i++)
		if (started & (1 << i))
			json[i] = probe_stop(&p[i], SIGINT);

	for (int i = 0; i < 3; i++) {
		struct vmchild *v[2] = { &a, &b };
		const uint32_t want[2] = { N, M };

		if (!(started & (1 << i)))
			continue;
		if (!json[i]) {
			TH_LOG("%s: no report", names[i]);
			EXPECT_NE(NULL, json[i]);
			continue;
		}
		for (int k = 0; k < 2; k++) {
			long long np, faults;

			if (!vm_object(json[i], v[k]->id, obj, sizeof(obj))) {
				TH_LOG("%s: VM %s missing from %s", names[i], v[k]->id, json[i]);
				EXPECT_TRUE(0);
				continue;
			}
			np = num(obj, "not_present");
			faults = num(obj, "faults");
			TH_LOG("%s: VM %s: %lld faults, %lld not present (want %u..%u), ftrace %lld, pagein %lld, 4K %lld, latency samples %lld",
			       names[i], v[k]->id, faults, np, want[k], want[k] + SLACK,
			       fc[k].faults, num(obj, "pagein"), num(obj, "map_4k"),
			       hist_total(obj));
			EXPECT_GE(np, want[k]);
			EXPECT_LE(np, want[k] + SLACK);
			EXPECT_EQ(v[k]->pid, num(obj, "pid"));
			if (trace)
				EXPECT_EQ(fc[k].faults, faults);
			if (i == 0) {
				/* Histogram total == faults; each new page paged in, mapped 4K. */
				EXPECT_EQ(faults, hist_total(obj));
				EXPECT_EQ(faults, num(obj, "latency_samples"));
				EXPECT_GE(num(obj, "pagein"), want[k]);
				EXPECT_GE(num(obj, "map_4k"), want[k]);
			}
		}
	}
	if (!trace)
		TH_LOG("no tracefs: ftrace cross-check skipped");
	for (int i = 0; i < 3; i++)
		free(json[i]);
	free(trace);
	vm_child_stop(&a);
	vm_child_stop(&b);
}

/*
 * K reads then K writes of the same new pages: reads fault not-present, the
 * writes protection (the host mapped the zero page read-only). Then X accesses
 * to one GPA without a memslot: MMIO.
 */
TEST_F_TIMEOUT(faults, read_then_write_and_mmio, 300)
{
	const uint32_t K = 64, X = 8;
	struct step st[3] = {
		{ DATA_GPA, K, SZ_4K, false },
		{ DATA_GPA, K, SZ_4K, true },
		{ HOLE_GPA, X, 0, true },
	};
	struct vmchild c = { 0 };
	struct probe p = { 0 };
	struct ftrace_count fc = { 0 };
	char why[512], obj[16384], *json, *trace = NULL;
	int r;

	ASSERT_EQ(0, vm_child_start(&c, 4 << 20, st, 3));
	r = probe_start(&p, (const char *const[]){ NULL }, why, sizeof(why));
	if (r == 1) {
		vm_child_stop(&c);
		SKIP(return, "BPF unavailable: %s", why);
	}
	ASSERT_EQ(0, r) TH_LOG("%s", why);
	if (self->trace) {
		write_file(self->trace, "trace", "");
		write_file(self->trace, "events/kvm/kvm_page_fault/enable", "1");
	}
	vm_child_go(&c);
	EXPECT_EQ(0, vm_child_wait_done(&c));
	if (self->trace) {
		char path[512];

		write_file(self->trace, "events/kvm/kvm_page_fault/enable", "0");
		snprintf(path, sizeof(path), "%s/trace", self->trace);
		trace = read_all(path);
		fc.pid = c.pid;
		ftrace_count(trace, &fc, 1, K);
	}
	json = probe_stop(&p, SIGINT);
	ASSERT_NE(NULL, json);
	ASSERT_TRUE(vm_object(json, c.id, obj, sizeof(obj))) TH_LOG("%s", json);
	TH_LOG("VM %s: read_not_present %lld, write_protection %lld (want %u each), write_not_present %lld; mmio %lld, exit %lld, write_rsvd %lld (want %u MMIO accesses); ftrace %lld faults, first error code %s, last %s",
	       c.id, num(obj, "read_not_present"), num(obj, "write_protection"), K,
	       num(obj, "write_not_present"), num(obj, "mmio"), num(obj, "exit_to_vmm"),
	       num(obj, "write_rsvd"), X, fc.faults, fc.first_err, fc.last_err);
	EXPECT_GE(num(obj, "read_not_present"), K);
	EXPECT_LE(num(obj, "read_not_present"), K + SLACK);
	EXPECT_GE(num(obj, "write_protection"), K);
	EXPECT_LE(num(obj, "write_protection"), K + SLACK);
	/* Every access to the hole is an MMIO exit, whatever the error code says. */
	EXPECT_EQ(X, num(obj, "mmio"));
	EXPECT_EQ(X, num(obj, "exit_to_vmm"));
	EXPECT_EQ(num(obj, "faults"), hist_total(obj));
	if (trace) {
		EXPECT_EQ(fc.faults, num(obj, "faults"));
		EXPECT_EQ(0, fc.order_errors);
	}
	free(json);
	free(trace);
	vm_child_stop(&c);
}

/* The faults of one slot's "faults" in a VM object's "slots" array, or -1. */
static long long slot_faults(const char *obj, uint64_t gpa)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"gpa\":%llu,", (unsigned long long)gpa);
	p = strstr(obj, "\"slots\":[");
	p = p ? strstr(p, k) : NULL;
	p = p ? strstr(p, "\"faults\":") : NULL;
	return p ? strtoll(p + strlen("\"faults\":"), NULL, 10) : -1;
}

/*
 * --slots: N1 pages of one memslot, N2 of another, each counted apart; by
 * the fentry set and the kprobe set at once, each forced (with --attach auto
 * a fentry set that fails to load would fall back and hide it).
 */
TEST_F_TIMEOUT(faults, per_memslot, 300)
{
	static const char *const modes[2][4] = {
		{ "--slots", "--attach", "fentry", NULL },
		{ "--slots", "--attach", "kprobe", NULL },
	};
	static const char *const names[2] = { "fentry", "kprobe" };
	const uint32_t N1 = 40, N2 = 24;
	struct step st[2] = {
		{ DATA_GPA, N1, SZ_4K, true },
		{ DATA2_GPA, N2, SZ_4K, true },
	};
	struct vmchild c = { 0 };
	struct probe p[2] = { 0 };
	char why[512], obj[16384], *json[2] = { 0 };
	int started = 0;

	ASSERT_EQ(0, vm_child_start(&c, 4 << 20, st, 2));
	if (probes_start(_metadata, p, modes[0], modes[1], names, why, sizeof(why),
			 &started)) {
		vm_child_stop(&c);
		SKIP(return, "BPF unavailable: %s", why);
	}
	vm_child_go(&c);
	EXPECT_EQ(0, vm_child_wait_done(&c));
	for (int i = 0; i < 2; i++)
		if (started & (1 << i))
			json[i] = probe_stop(&p[i], SIGINT);
	for (int i = 0; i < 2; i++) {
		long long f1, f2;

		if (!(started & (1 << i)))
			continue;
		if (!json[i] || !vm_object(json[i], c.id, obj, sizeof(obj))) {
			TH_LOG("%s: VM %s missing from %s", names[i], c.id, json[i] ? json[i] : "(none)");
			EXPECT_TRUE(0);
			continue;
		}
		EXPECT_NE(NULL, strstr(json[i], names[i]));	/* "attach":"<mode>" */
		f1 = slot_faults(obj, DATA_GPA);
		f2 = slot_faults(obj, DATA2_GPA);
		TH_LOG("%s: VM %s: slot at %#llx: %lld faults (want %u), slot at %#llx: %lld (want %u)",
		       names[i], c.id, DATA_GPA, f1, N1, DATA2_GPA, f2, N2);
		EXPECT_GE(f1, N1);
		EXPECT_LE(f1, N1 + SLACK);
		EXPECT_GE(f2, N2);
		EXPECT_LE(f2, N2 + SLACK);
	}
	for (int i = 0; i < 2; i++)
		free(json[i]);
	vm_child_stop(&c);
}

/* --- losses -------------------------------------------------------------- */

static const char *spte_event(const char *trace)
{
	static char path[512];

	if (!trace)
		return NULL;
	snprintf(path, sizeof(path), "%s/events/kvmmmu/kvm_mmu_spte_requested/enable", trace);
	return access(path, W_OK) ? NULL : "events/kvmmmu/kvm_mmu_spte_requested/enable";
}

/*
 * The slot table full: --slots --max-slots 2, a VM faulting P new pages in
 * each of 4 memslots. The first two slots faulted take the table's entries;
 * every fault on the others is lost and counted (slots_full), by the fentry
 * and the kprobe set at once. Per ftrace, the slots' faults plus slots_full
 * are every kvmmmu:kvm_mmu_spte_requested event of the VM. The kprobe set
 * reports kretprobe_missed and recursion_missed where the kernel has them
 * (v6.7+) and null ("n/a") before; nothing else is lost.
 */
TEST_F_TIMEOUT(faults, slot_table_full_is_counted, 300)
{
	static const char *const modes[2][6] = {
		{ "--slots", "--max-slots", "2", "--attach", "fentry", NULL },
		{ "--slots", "--max-slots", "2", "--attach", "kprobe", NULL },
	};
	static const char *const names[2] = { "fentry", "kprobe" };
	const uint32_t P = 48;
	struct step st[4] = {
		{ DATA_GPA, P, SZ_4K, true },
		{ DATA2_GPA, P, SZ_4K, true },
		{ DATA3_GPA, P, SZ_4K, true, true },
		{ DATA4_GPA, P, SZ_4K, true, true },
	};
	const char *ev = spte_event(self->trace);
	bool v67 = kernel_at_least(6, 7);
	struct vmchild c = { 0 };
	struct probe p[2] = { 0 };
	char why[512], obj[16384], *json[2] = { 0 }, *trace = NULL;
	long long events = -1;
	int started = 0;

	ASSERT_EQ(0, vm_child_start(&c, 4 << 20, st, 4));
	if (probes_start(_metadata, p, modes[0], modes[1], names, why, sizeof(why),
			 &started)) {
		vm_child_stop(&c);
		SKIP(return, "BPF unavailable: %s", why);
	}
	if (ev) {
		write_file(self->trace, "trace", "");
		EXPECT_EQ(0, write_file(self->trace, ev, "1"));
	}
	vm_child_go(&c);
	EXPECT_EQ(0, vm_child_wait_done(&c));
	if (ev) {
		char path[512];

		write_file(self->trace, ev, "0");
		snprintf(path, sizeof(path), "%s/trace", self->trace);
		trace = read_all(path);
		events = ftrace_events(trace, "kvm_mmu_spte_requested", c.pid);
	}
	for (int i = 0; i < 2; i++)
		if (started & (1 << i))
			json[i] = probe_stop(&p[i], SIGINT);
	for (int i = 0; i < 2; i++) {
		long long sum, full, f1, f2, krp, kp, rec;
		int n;

		if (!(started & (1 << i)))
			continue;
		if (!json[i] || !vm_object(json[i], c.id, obj, sizeof(obj))) {
			TH_LOG("%s: VM %s missing from %s", names[i], c.id, json[i] ? json[i] : "(none)");
			EXPECT_TRUE(0);
			continue;
		}
		sum = array_sum(obj, "slots", "faults", &n);
		f1 = slot_faults(obj, DATA_GPA);
		f2 = slot_faults(obj, DATA2_GPA);
		full = lost_num(json[i], "slots_full");
		krp = lost_num(json[i], "kretprobe_missed");
		kp = lost_num(json[i], "kprobe_missed");
		rec = lost_num(json[i], "recursion_missed");
		TH_LOG("%s: VM %s, 4 slots x %u pages, room for 2: %d slots counted (%lld + %lld = %lld faults), slots_full %lld (want %u..%u), ftrace spte_requested %lld; exits_missed %lld, recursion_missed %lld, kprobe_missed %lld, kretprobe_missed %lld (-2: null, -1: absent; kernel %s 6.7)",
		       names[i], c.id, P, n, f1, f2, sum, full, 2 * P, 2 * P + SLACK, events,
		       lost_num(json[i], "exits_missed"), rec, kp, krp, v67 ? ">=" : "<");
		EXPECT_EQ(2, n);
		EXPECT_GE(f1, P);
		EXPECT_LE(f1, P + SLACK);
		EXPECT_GE(f2, P);
		EXPECT_LE(f2, P + SLACK);
		EXPECT_GE(full, 2 * P);
		EXPECT_LE(full, 2 * P + SLACK);
		if (events >= 0)
			EXPECT_EQ(events, sum + full);
		EXPECT_EQ(0, lost_num(json[i], "vm_table_full"));
		EXPECT_EQ(0, lost_num(json[i], "inflight_full"));
		EXPECT_EQ(0, lost_num(json[i], "exits_missed"));
		EXPECT_EQ(0, lost_num(json[i], "counter_resets"));
		EXPECT_EQ(-1, lost_num(json[i], "regions_full"));	/* no --regions */
		if (i == 0) {
			/* Trampolines and BTF tracepoints count recursion on both kernels. */
			EXPECT_EQ(0, rec);
			EXPECT_EQ(-1, krp);
			EXPECT_EQ(-1, kp);
		} else {
			EXPECT_EQ(v67 ? 0 : -2, rec);
			EXPECT_EQ(v67 ? 0 : -2, krp);
			EXPECT_EQ(v67 ? 0 : -2, kp);
		}
		EXPECT_LT(max_number(json[i]), HUGE_DELTA);
	}
	if (!ev)
		TH_LOG("no kvmmmu:kvm_mmu_spte_requested in tracefs: ftrace cross-check skipped");
	for (int i = 0; i < 2; i++)
		free(json[i]);
	free(trace);
	vm_child_stop(&c);
}

/* Sums over the report lines of memvirt faults --json for VM @id. */
struct churn_sums {
	long long reports, faults, regions, slots, regions_full, slots_full;
};

static void churn_add(const char *out, const char *id, struct churn_sums *t)
{
	char line[65536], obj[16384];

	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		int n;

		if (strncmp(l, "{\"interval\":", 12) || len >= sizeof(line))
			continue;
		memcpy(line, l, len);
		line[len] = 0;
		if (!id) {		/* the losses, once per report */
			t->reports++;
			t->regions_full += lost_num(line, "regions_full");
			t->slots_full += lost_num(line, "slots_full");
			continue;
		}
		if (!vm_object(line, id, obj, sizeof(obj)))
			continue;
		t->faults += num(obj, "faults");
		t->regions += array_sum(obj, "regions", "faults", &n);
		t->slots += array_sum(obj, "slots", "faults", &n);
	}
}

/*
 * Churn over short intervals: two VMs one after the other, each faulting P
 * new pages in 4 memslots (4 regions of 2M), with room for 2 slots and 2
 * regions. Entries fill, refuse, go with their dead VM and are made again
 * for the next one. No report holds a number near 2^64 (a negative delta),
 * and over all reports the counts add up exactly: the regions' faults plus
 * regions_full are the VMs' faults; the slots' faults plus slots_full are
 * ftrace's kvm_mmu_spte_requested events of both VMs.
 */
TEST_F_TIMEOUT(faults, churn_deltas_add_up, 300)
{
	static const char *const args[] = {
		"--slots", "--max-slots", "2", "--regions", "--region-size", "2M",
		"--max-regions", "2", "--attach", "fentry", NULL,
	};
	const uint32_t P = 32;
	struct step st[4] = {
		{ DATA_GPA, P, SZ_4K, true },
		{ DATA2_GPA, P, SZ_4K, true },
		{ DATA3_GPA, P, SZ_4K, true, true },
		{ DATA4_GPA, P, SZ_4K, true, true },
	};
	const char *ev = spte_event(self->trace);
	struct churn_sums t = { 0 };
	struct vmchild v[2] = { 0 };
	struct probe p = { 0 };
	char why[512], *out, *trace = NULL;
	long long events = -1;
	unsigned long long max;
	int r;

	r = probe_start_i(&p, args, "0.2", why, sizeof(why));
	if (r == 1)
		SKIP(return, "BPF unavailable: %s", why);
	ASSERT_EQ(0, r) TH_LOG("%s", why);
	if (ev) {
		write_file(self->trace, "trace", "");
		EXPECT_EQ(0, write_file(self->trace, ev, "1"));
	}
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, vm_child_start(&v[i], 4 << 20, st, 4));
		vm_child_go(&v[i]);
		EXPECT_EQ(0, vm_child_wait_done(&v[i]));
		if (i == 0) {
			pid_t pid = v[0].pid;

			/* Dead, reported, its entries deleted: 7 intervals. */
			vm_child_stop(&v[0]);
			v[0].pid = pid;
			usleep(1500000);
		}
	}
	usleep(500000);
	if (ev) {
		char path[512];

		write_file(self->trace, ev, "0");
		snprintf(path, sizeof(path), "%s/trace", self->trace);
		trace = read_all(path);
		events = ftrace_events(trace, "kvm_mmu_spte_requested", v[0].pid) +
			 ftrace_events(trace, "kvm_mmu_spte_requested", v[1].pid);
	}
	out = probe_stop(&p, SIGINT);
	ASSERT_NE(NULL, out);
	churn_add(out, NULL, &t);
	churn_add(out, v[0].id, &t);
	churn_add(out, v[1].id, &t);
	max = max_number(out);
	TH_LOG("%lld reports; VMs %s, %s: %lld faults; regions %lld + regions_full %lld; slots %lld + slots_full %lld, ftrace spte_requested %lld; largest number %llu",
	       t.reports, v[0].id, v[1].id, t.faults, t.regions, t.regions_full, t.slots,
	       t.slots_full, events, max);
	EXPECT_GE(t.reports, 5);
	EXPECT_LT(max, HUGE_DELTA);
	EXPECT_GE(t.faults, 8 * P);
	EXPECT_EQ(t.faults, t.regions + t.regions_full);
	/*
	 * Per VM (the tables emptied between the two): the code page, faulted
	 * at the VM's start, shares the first 2M region with the first data
	 * slot, so 2 regions of 4 have no room; it has a memslot of its own,
	 * which takes one of the 2 slot entries: 3 data slots have none.
	 */
	EXPECT_GE(t.regions_full, 4 * P);
	EXPECT_GE(t.slots_full, 6 * P);
	/*
	 * The first VM's entries make room for the second only if the
	 * kvm_destroy_vm hook fires; where the compiler inlined that function
	 * (the KASAN debug kernel) there is nothing to hook, the entries stay
	 * until memvirt faults notices the VM is gone, and more is refused.
	 */
	if (kallsyms_has("kvm_destroy_vm")) {
		EXPECT_LE(t.regions_full, 4 * P + 2 * SLACK);
		EXPECT_LE(t.slots_full, 6 * P + 2 * SLACK);
	} else {
		TH_LOG("no kvm_destroy_vm symbol: the tables are not emptied between the VMs");
	}
	if (events >= 0) {
		EXPECT_EQ(events, t.slots + t.slots_full);
	} else {
		TH_LOG("no kvmmmu:kvm_mmu_spte_requested in tracefs: ftrace cross-check skipped");
	}
	free(out);
	free(trace);
	vm_child_stop(&v[1]);
}

/* --- --trace -------------------------------------------------------------- */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A number in the report's "trace" member ("events", "dropped", "lost"), or -1. */
static long long trace_num(const char *json, const char *key)
{
	const char *t = json ? strstr(json, "\"trace\":{") : NULL;
	const char *e = t ? strchr(t, '}') : NULL;
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = t ? strstr(t, k) : NULL;
	return p && p < e ? strtoll(p + strlen(k), NULL, 10) : -1;
}

struct trace_events {
	long long events, not_present, outside, dup;
	unsigned char seen[1024];	/* pages of DATA_GPA */
};

/* Counts the event lines ({"time":...}); pages below @npages are checked. */
static void trace_parse(const char *out, uint32_t npages, struct trace_events *te)
{
	memset(te, 0, sizeof(*te));
	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *nl = strchr(l, '\n'), *g, *c;
		unsigned long long gpa, pg;

		if (strncmp(l, "{\"time\":", 8))
			continue;
		te->events++;
		g = strstr(l, "\"gpa\":");
		if (!g || (nl && g > nl))
			continue;
		gpa = strtoull(g + 6, NULL, 10);
		c = strstr(l, "\"cause\":\"not_present\"");
		if (c && (!nl || c < nl))
			te->not_present++;
		pg = (gpa - DATA_GPA) / SZ_4K;
		if (gpa < DATA_GPA || (gpa & (SZ_4K - 1)) || pg >= npages || pg >= sizeof(te->seen))
			te->outside++;
		else if (te->seen[pg]++)
			te->dup++;
	}
}

/*
 * --trace: a VM touching N new pages (fewer than the budget) gives N
 * not-present events, exactly its pages; another touching M pages under
 * --trace-rate R gives at most R per second started (plus slack), and the
 * reported drops account for the rest.
 */
TEST_F_TIMEOUT(faults, trace_events_and_budget, 300)
{
	const uint32_t N = 200, M = 500, R = 50;
	struct step sa = { DATA_GPA, N, SZ_4K, true }, sb = { DATA_GPA, M, SZ_4K, true };
	struct vmchild a = { 0 }, b = { 0 };
	struct probe p = { 0 };
	struct trace_events te;
	char why[512], obj[16384], rate[16], *out;
	long long faults, ev, dr, lo;
	double t0, t1;
	uint32_t missing = 0;
	int r;

	/* Within the budget: every fault, each touched page once. */
	ASSERT_EQ(0, vm_child_start(&a, 4 << 20, &sa, 1));
	r = probe_start(&p, (const char *const[]){ "--trace", "--vm", a.id, NULL }, why,
			sizeof(why));
	if (r == 1) {
		vm_child_stop(&a);
		SKIP(return, "BPF unavailable: %s", why);
	}
	ASSERT_EQ(0, r) TH_LOG("%s", why);
	vm_child_go(&a);
	EXPECT_EQ(0, vm_child_wait_done(&a));
	out = probe_stop(&p, SIGINT);
	ASSERT_NE(NULL, out);
	ASSERT_TRUE(vm_object(out, a.id, obj, sizeof(obj))) TH_LOG("%s", out);
	trace_parse(out, N, &te);
	for (uint32_t i = 0; i < N; i++)
		missing += !te.seen[i];
	faults = num(obj, "faults");
	TH_LOG("VM %s, %u pages: %lld events (%lld not present, %lld off the pages, %lld repeated, %u pages missing), %lld faults; reported events %lld, dropped %lld, lost %lld",
	       a.id, N, te.events, te.not_present, te.outside, te.dup, missing, faults,
	       trace_num(out, "events"), trace_num(out, "dropped"), trace_num(out, "lost"));
	EXPECT_EQ(N, te.not_present);
	EXPECT_EQ(N, te.events);
	EXPECT_EQ(0, te.outside);
	EXPECT_EQ(0, te.dup);
	EXPECT_EQ(0, missing);
	EXPECT_EQ(faults, te.events);
	EXPECT_EQ(te.events, trace_num(out, "events"));
	EXPECT_EQ(0, trace_num(out, "dropped"));
	EXPECT_EQ(0, trace_num(out, "lost"));
	free(out);
	vm_child_stop(&a);

	/* Over the budget: at most R a second, the drops make up the rest. */
	ASSERT_EQ(0, vm_child_start(&b, 4 << 20, &sb, 1));
	snprintf(rate, sizeof(rate), "%u", R);
	t0 = mono_s();
	r = probe_start(&p, (const char *const[]){ "--trace", "--vm", b.id, "--trace-rate", rate,
						  NULL }, why, sizeof(why));
	ASSERT_EQ(0, r) TH_LOG("%s", why);
	vm_child_go(&b);
	EXPECT_EQ(0, vm_child_wait_done(&b));
	out = probe_stop(&p, SIGINT);
	t1 = mono_s();
	ASSERT_NE(NULL, out);
	ASSERT_TRUE(vm_object(out, b.id, obj, sizeof(obj))) TH_LOG("%s", out);
	trace_parse(out, M, &te);
	faults = num(obj, "faults");
	ev = trace_num(out, "events");
	dr = trace_num(out, "dropped");
	lo = trace_num(out, "lost");
	/* Budget windows are whole seconds: T seconds meet at most ceil(T) + 1. */
	TH_LOG("VM %s, %u pages, --trace-rate %u, %.2f s: %lld events (max %u + %d), %lld dropped, %lld lost, %lld faults",
	       b.id, M, R, t1 - t0, te.events, R * ((uint32_t)(t1 - t0) + 2), SLACK, dr, lo,
	       faults);
	EXPECT_GE(faults, M);
	EXPECT_EQ(te.events, ev);
	EXPECT_LE(te.events, R * ((uint32_t)(t1 - t0) + 2) + SLACK);
	EXPECT_GE(te.events, 1);
	EXPECT_GT(dr, 0);
	EXPECT_EQ(faults, ev + dr + lo);
	EXPECT_EQ(0, te.outside);
	EXPECT_EQ(0, te.dup);
	free(out);
	vm_child_stop(&b);
}

/* Nothing stays attached after SIGKILL: links die with the process. */
TEST_F_TIMEOUT(faults, detach_on_sigkill, 120)
{
	struct probe p = { 0 };
	char why[512], line[512];
	int r, left = 0;
	FILE *f;

	r = probe_start(&p, (const char *const[]){ NULL }, why, sizeof(why));
	if (r == 1)
		SKIP(return, "BPF unavailable: %s", why);
	ASSERT_EQ(0, r) TH_LOG("%s", why);
	probe_stop(&p, SIGKILL);
	/* Freeing programs is deferred a little (RCU). */
	for (int i = 0; i < 50; i++) {
		left = 0;
		f = popen("bpftool prog show 2>/dev/null", "r");
		if (!f)
			SKIP(return, "bpftool not available");
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "kvm_mmu_page_fault") || strstr(line, "kvm_destroy_vm"))
				left++;
		pclose(f);
		if (!left)
			break;
		usleep(100000);
	}
	EXPECT_EQ(0, left);
}

TEST_HARNESS_MAIN
