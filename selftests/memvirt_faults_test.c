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
#include "cli_json.h"
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
	struct cli_run run;
};

/* Starts "memvirt faults ARGS --json -i INTERVAL"; 0 once attached, 1 skip, -1 fail. */
static int probe_start_i(struct probe *p, const char *const *args, const char *interval,
			 char *why, size_t whylen)
{
	const char *argv[24];
	int n = 0;

	argv[n++] = "faults";
	while (*args && n < 20)
		argv[n++] = *args++;
	argv[n++] = "--json";
	argv[n++] = "-i";
	argv[n++] = interval;
	argv[n] = NULL;
	if (cli_start(&p->run, CLI_AS_IS, argv)) {
		snprintf(why, whylen, "%s", p->run.err ? p->run.err : "cannot start the CLI");
		return -1;
	}
	for (int i = 0; i < 600; i++) {
		char *e = cli_stderr(&p->run);
		bool attached = e && strstr(e, "attached with");

		free(e);
		if (attached)
			return 0;
		if (cli_exited(&p->run)) {
			cli_stop(&p->run, 0);
			snprintf(why, whylen, "%s", p->run.err && *p->run.err ? p->run.err :
				 "memvirt faults exited");
			for (char *c = why; *c; c++)
				if (*c == '\n')
					*c = ' ';
			n = p->run.err && (strstr(p->run.err, "Operation not permitted") ||
					   strstr(p->run.err, "exec ")) ? 1 : -1;
			cli_run_free(&p->run);
			return n;
		}
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
 * Starts the probe sets @modes[0..@n); bit i of *@started says which did.
 * 1 (skip the test) when BPF is unavailable for the first, else 0.
 */
static int probes_start(struct __test_metadata *_metadata, struct probe *p, int n,
			const char *const *const *modes, const char *const *names,
			char *why, size_t len, int *started)
{
	for (int i = 0; i < n; i++) {
		int r = probe_start(&p[i], modes[i], why, len);

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

/*
 * Interrupts it (it reports the window) and returns its output, a JSON
 * document per line; NULL unless it exited 0 after SIGINT. Freed by
 * probe_free().
 */
static const struct json_docs *probe_stop(struct probe *p, int sig)
{
	int status = cli_stop(&p->run, sig);

	return sig == SIGINT && !status ? &p->run.json : NULL;
}

static void probe_free(struct probe *p)
{
	cli_run_free(&p->run);
}

/* The last report of an output ({"interval":...}), or NULL. */
static struct json_object *report(const struct json_docs *d)
{
	for (int i = d ? d->nr - 1 : -1; i >= 0; i--)
		if (json_get(d->doc[i], "interval"))
			return d->doc[i];
	return NULL;
}

/* VM @id's object in the last report, or NULL. */
static struct json_object *vm_object(const struct json_docs *d, const char *id)
{
	return json_get(report(d), "vms[id=%s]", id);
}

/* A count of a VM object; absent keys (zero class cells) read 0. */
static long long num(struct json_object *vm, const char *key)
{
	return json_int(vm, 0, "%s", key);
}

/* A member of a report's object @obj ("lost", "trace"): -2 if null (n/a), -1 if absent. */
static long long member(struct json_object *rep, const char *obj, const char *key)
{
	struct json_object *o = json_get(rep, "%s", obj), *m;

	if (!o || !json_object_object_get_ex(o, key, &m))
		return -1;
	return m ? json_object_get_int64(m) : -2;
}

static long long lost_num(struct json_object *rep, const char *key)
{
	return member(rep, "lost", key);
}

/* Sum of @key over the objects of array @array in @obj; their number in *@n. */
static long long array_sum(struct json_object *obj, const char *array, const char *key, int *n)
{
	struct json_object *a = json_get(obj, "%s", array);
	long long sum = 0;

	*n = a ? json_object_array_length(a) : 0;
	for (int i = 0; i < *n; i++)
		sum += json_int(json_object_array_get_idx(a, i), 0, "%s", key);
	return sum;
}

/* The largest unsigned integer anywhere in @o. */
static unsigned long long max_number(struct json_object *o)
{
	unsigned long long max = 0, v;
	int i, n;

	switch (o ? json_object_get_type(o) : json_type_null) {
	case json_type_int:
		return json_object_get_uint64(o);
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			v = max_number(json_object_array_get_idx(o, i));
			max = v > max ? v : max;
		}
		return max;
	case json_type_object: {
		json_object_object_foreach(o, k, m) {
			(void)k;
			v = max_number(m);
			max = v > max ? v : max;
		}
		return max;
	}
	default:
		return 0;
	}
}

static unsigned long long docs_max_number(const struct json_docs *d)
{
	unsigned long long max = 0, v;

	for (int i = 0; d && i < d->nr; i++) {
		v = max_number(d->doc[i]);
		max = v > max ? v : max;
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

/* The latency histogram's samples; -1 without one. */
static long long hist_total(struct json_object *vm)
{
	struct json_object *h = json_get(vm, "latency_ns.log2_hist");
	long long t = 0;
	int n = h ? json_object_array_length(h) : 0;

	if (!h)
		return -1;
	for (int i = 0; i < n; i++)
		t += json_object_get_int64(json_object_array_get_idx(h, i));
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

#define KVM_PAGE_FAULT	"events/kvm/kvm_page_fault/enable"

/* An ftrace window: the buffer emptied, @event enabled; 0 or -1. */
static int ftrace_on(const char *trace, const char *event)
{
	write_file(trace, "trace", "");
	return write_file(trace, event, "1");
}

/* The window closed: @event disabled; the buffer (malloc()ed), or NULL. */
static char *ftrace_off(const char *trace, const char *event)
{
	char path[512];

	write_file(trace, event, "0");
	snprintf(path, sizeof(path), "%s/trace", trace);
	return read_all(path);
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

/* @pages new pages written in each of 4 memslots, the last two .own_slot. */
static void four_slots(struct step st[4], uint32_t pages)
{
	static const uint64_t gpa[4] = { DATA_GPA, DATA2_GPA, DATA3_GPA, DATA4_GPA };

	for (int i = 0; i < 4; i++)
		st[i] = (struct step){ gpa[i], pages, SZ_4K, true, i >= 2 };
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
		write_file(self->trace, KVM_PAGE_FAULT, "0");
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
	const char *key = "object faults.bpf.o, ", *p;
	char path[512] = "";
	long long got = -1;
	struct cli_run r;
	struct stat sb;

	if (stat(obj, &sb))
		SKIP(return, "no %s to compare with", obj);
	cli_run(&r, CLI_AS_IS, (const char *const[]){ "faults", "-v", "-d", "0.2", "--json",
						     NULL });
	ASSERT_NE(NULL, r.err);
	p = strstr(r.err, key);
	if (p)
		sscanf(p + strlen(key), "%lld bytes, built as %511s", &got, path);
	p = strstr(r.err, "attached with");
	if (p)
		TH_LOG("%.*s", (int)strcspn(p, "\n"), p);
	TH_LOG("object: %lld bytes, built as %s; %s: %lld bytes", got, path, obj,
	       (long long)sb.st_size);
	EXPECT_EQ((long long)sb.st_size, got);
	EXPECT_NE(NULL, strstr(path, "/faults.bpf.o"));
	cli_run_free(&r);
}

/* What the fentry set (@full) or any set saw of a VM that faulted @want new pages. */
static void check_vm_faults(struct __test_metadata *_metadata, const char *name, bool full,
			    struct json_object *vm, const struct vmchild *v, uint32_t want,
			    const struct ftrace_count *fc)
{
	long long np = num(vm, "not_present"), faults = num(vm, "faults");

	TH_LOG("%s: VM %s: %lld faults, %lld not present (want %u..%u), ftrace %lld, pagein %lld, 4K %lld, latency samples %lld",
	       name, v->id, faults, np, want, want + SLACK, fc ? fc->faults : -1,
	       num(vm, "pagein"), num(vm, "map_4k"), hist_total(vm));
	EXPECT_GE(np, want);
	EXPECT_LE(np, want + SLACK);
	EXPECT_EQ(v->pid, num(vm, "pid"));
	if (fc)
		EXPECT_EQ(fc->faults, faults);
	if (full) {
		/* Histogram total == faults; each new page paged in, mapped 4K. */
		EXPECT_EQ(faults, hist_total(vm));
		EXPECT_EQ(faults, num(vm, "latency_samples"));
		EXPECT_GE(num(vm, "pagein"), want);
		EXPECT_GE(num(vm, "map_4k"), want);
	}
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
	static const char *const *const mode_args[3] = { modes[0], modes[1], modes[2] };
	static const char *const names[3] = { "fentry", "kprobe", "lite" };
	const uint32_t want[2] = { 200, 120 };
	struct step sa = { DATA_GPA, want[0], SZ_4K, true }, sb = { DATA_GPA, want[1], SZ_4K, true };
	struct vmchild v[2] = { 0 };
	struct probe p[3] = { 0 };
	struct ftrace_count fc[2] = { 0 };
	char why[512], *trace = NULL;
	int started = 0;

	ASSERT_EQ(0, vm_child_start(&v[0], 4 << 20, &sa, 1));
	ASSERT_EQ(0, vm_child_start(&v[1], 4 << 20, &sb, 1));
	if (probes_start(_metadata, p, 3, mode_args, names, why, sizeof(why), &started)) {
		vm_child_stop(&v[0]);
		vm_child_stop(&v[1]);
		SKIP(return, "BPF unavailable: %s", why);
	}
	if (self->trace)
		EXPECT_EQ(0, ftrace_on(self->trace, KVM_PAGE_FAULT));
	vm_child_go(&v[0]);
	vm_child_go(&v[1]);
	EXPECT_EQ(0, vm_child_wait_done(&v[0]));
	EXPECT_EQ(0, vm_child_wait_done(&v[1]));
	if (self->trace) {
		trace = ftrace_off(self->trace, KVM_PAGE_FAULT);
		fc[0].pid = v[0].pid;
		fc[1].pid = v[1].pid;
		ftrace_count(trace, fc, 2, 0);
	}
	for (int i = 0; i < 3; i++) {
		const struct json_docs *out;

		if (!(started & (1 << i)))
			continue;
		out = probe_stop(&p[i], SIGINT);
		EXPECT_NE(NULL, out) TH_LOG("%s: no report", names[i]);
		for (int k = 0; out && k < 2; k++) {
			struct json_object *vm = vm_object(out, v[k].id);

			EXPECT_NE(NULL, vm) TH_LOG("%s: VM %s missing from %s", names[i], v[k].id,
						   p[i].run.out);
			if (vm)
				check_vm_faults(_metadata, names[i], i == 0, vm, &v[k], want[k],
						trace ? &fc[k] : NULL);
		}
		probe_free(&p[i]);
	}
	if (!trace)
		TH_LOG("no tracefs: ftrace cross-check skipped");
	free(trace);
	vm_child_stop(&v[0]);
	vm_child_stop(&v[1]);
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
	struct json_object *vm;
	char why[512], *trace = NULL;
	int r;

	ASSERT_EQ(0, vm_child_start(&c, 4 << 20, st, 3));
	r = probe_start(&p, (const char *const[]){ NULL }, why, sizeof(why));
	if (r == 1) {
		vm_child_stop(&c);
		SKIP(return, "BPF unavailable: %s", why);
	}
	ASSERT_EQ(0, r) TH_LOG("%s", why);
	if (self->trace)
		ftrace_on(self->trace, KVM_PAGE_FAULT);
	vm_child_go(&c);
	EXPECT_EQ(0, vm_child_wait_done(&c));
	if (self->trace) {
		trace = ftrace_off(self->trace, KVM_PAGE_FAULT);
		fc.pid = c.pid;
		ftrace_count(trace, &fc, 1, K);
	}
	ASSERT_NE(NULL, probe_stop(&p, SIGINT));
	vm = vm_object(&p.run.json, c.id);
	ASSERT_NE(NULL, vm) TH_LOG("%s", p.run.out);
	TH_LOG("VM %s: read_not_present %lld, write_protection %lld (want %u each), write_not_present %lld; mmio %lld, exit %lld, write_rsvd %lld (want %u MMIO accesses); ftrace %lld faults, first error code %s, last %s",
	       c.id, num(vm, "classes.read_not_present"), num(vm, "classes.write_protection"), K,
	       num(vm, "classes.write_not_present"), num(vm, "mmio"), num(vm, "exit_to_vmm"),
	       num(vm, "classes.write_rsvd"), X, fc.faults, fc.first_err, fc.last_err);
	EXPECT_GE(num(vm, "classes.read_not_present"), K);
	EXPECT_LE(num(vm, "classes.read_not_present"), K + SLACK);
	EXPECT_GE(num(vm, "classes.write_protection"), K);
	EXPECT_LE(num(vm, "classes.write_protection"), K + SLACK);
	/* Every access to the hole is an MMIO exit, whatever the error code says. */
	EXPECT_EQ(X, num(vm, "mmio"));
	EXPECT_EQ(X, num(vm, "exit_to_vmm"));
	EXPECT_EQ(num(vm, "faults"), hist_total(vm));
	if (trace) {
		EXPECT_EQ(fc.faults, num(vm, "faults"));
		EXPECT_EQ(0, fc.order_errors);
	}
	probe_free(&p);
	free(trace);
	vm_child_stop(&c);
}

/* The faults of the slot at @gpa in a VM object's "slots" array, or -1. */
static long long slot_faults(struct json_object *vm, uint64_t gpa)
{
	return json_int(vm, -1, "slots[gpa=%llu].faults", (unsigned long long)gpa);
}

/* Stops the probe sets of @started; each one's VM object of @id to @check. */
typedef void (*vm_check)(struct __test_metadata *_metadata, int set, const char *name,
			 struct json_object *rep, struct json_object *vm, void *arg);

static void probes_check(struct __test_metadata *_metadata, struct probe *p, int n,
			 int started, const char *const *names, const char *id,
			 vm_check check, void *arg)
{
	for (int i = 0; i < n; i++) {
		const struct json_docs *out;
		struct json_object *vm;

		if (!(started & (1 << i)))
			continue;
		out = probe_stop(&p[i], SIGINT);
		vm = vm_object(out, id);
		EXPECT_NE(NULL, vm) TH_LOG("%s: VM %s missing from %s", names[i], id,
					   p[i].run.out ? p[i].run.out : "(none)");
		if (vm)
			check(_metadata, i, names[i], report(out), vm, arg);
		probe_free(&p[i]);
	}
}

static void check_per_memslot(struct __test_metadata *_metadata, int set, const char *name,
			      struct json_object *rep, struct json_object *vm, void *arg)
{
	const uint32_t *n = arg;
	long long f1 = slot_faults(vm, DATA_GPA), f2 = slot_faults(vm, DATA2_GPA);
	const char *attach = json_str(rep, "attach");

	EXPECT_TRUE(attach && strstr(attach, name)) TH_LOG("attach: %s", attach);
	TH_LOG("%s: slot at %#llx: %lld faults (want %u), slot at %#llx: %lld (want %u)",
	       name, DATA_GPA, f1, n[0], DATA2_GPA, f2, n[1]);
	EXPECT_GE(f1, n[0]);
	EXPECT_LE(f1, n[0] + SLACK);
	EXPECT_GE(f2, n[1]);
	EXPECT_LE(f2, n[1] + SLACK);
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
	static const char *const *const mode_args[2] = { modes[0], modes[1] };
	static const char *const names[2] = { "fentry", "kprobe" };
	uint32_t n[2] = { 40, 24 };
	struct step st[2] = {
		{ DATA_GPA, n[0], SZ_4K, true },
		{ DATA2_GPA, n[1], SZ_4K, true },
	};
	struct vmchild c = { 0 };
	struct probe p[2] = { 0 };
	char why[512];
	int started = 0;

	ASSERT_EQ(0, vm_child_start(&c, 4 << 20, st, 2));
	if (probes_start(_metadata, p, 2, mode_args, names, why, sizeof(why), &started)) {
		vm_child_stop(&c);
		SKIP(return, "BPF unavailable: %s", why);
	}
	vm_child_go(&c);
	EXPECT_EQ(0, vm_child_wait_done(&c));
	probes_check(_metadata, p, 2, started, names, c.id, check_per_memslot, n);
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

#define FULL_PAGES	48	/* per slot in slot_table_full_is_counted */

/* @events: ftrace's kvm_mmu_spte_requested events of the VM, or -1. */
static void check_slot_table(struct __test_metadata *_metadata, int set, const char *name,
			     struct json_object *rep, struct json_object *vm, void *arg)
{
	const long long events = *(const long long *)arg;
	const uint32_t P = FULL_PAGES;
	bool v67 = kernel_at_least(6, 7);
	long long sum, full, f1, f2, krp, kp, rec;
	int n;

	sum = array_sum(vm, "slots", "faults", &n);
	f1 = slot_faults(vm, DATA_GPA);
	f2 = slot_faults(vm, DATA2_GPA);
	full = lost_num(rep, "slots_full");
	krp = lost_num(rep, "kretprobe_missed");
	kp = lost_num(rep, "kprobe_missed");
	rec = lost_num(rep, "recursion_missed");
	TH_LOG("%s: 4 slots x %u pages, room for 2: %d slots counted (%lld + %lld = %lld faults), slots_full %lld (want %u..%u), ftrace spte_requested %lld; exits_missed %lld, recursion_missed %lld, kprobe_missed %lld, kretprobe_missed %lld (-2: null, -1: absent; kernel %s 6.7)",
	       name, P, n, f1, f2, sum, full, 2 * P, 2 * P + SLACK, events,
	       lost_num(rep, "exits_missed"), rec, kp, krp, v67 ? ">=" : "<");
	EXPECT_EQ(2, n);
	EXPECT_GE(f1, P);
	EXPECT_LE(f1, P + SLACK);
	EXPECT_GE(f2, P);
	EXPECT_LE(f2, P + SLACK);
	EXPECT_GE(full, 2 * P);
	EXPECT_LE(full, 2 * P + SLACK);
	if (events >= 0)
		EXPECT_EQ(events, sum + full);
	EXPECT_EQ(0, lost_num(rep, "vm_table_full"));
	EXPECT_EQ(0, lost_num(rep, "inflight_full"));
	EXPECT_EQ(0, lost_num(rep, "exits_missed"));
	EXPECT_EQ(0, lost_num(rep, "counter_resets"));
	EXPECT_EQ(-1, lost_num(rep, "regions_full"));	/* no --regions */
	/* Trampolines and BTF tracepoints count recursion on both kernels. */
	EXPECT_EQ(set ? (v67 ? 0 : -2) : 0, rec);
	EXPECT_EQ(set ? (v67 ? 0 : -2) : -1, krp);
	EXPECT_EQ(set ? (v67 ? 0 : -2) : -1, kp);
	EXPECT_LT(max_number(rep), HUGE_DELTA);
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
	static const char *const *const mode_args[2] = { modes[0], modes[1] };
	static const char *const names[2] = { "fentry", "kprobe" };
	struct step st[4];
	const char *ev = spte_event(self->trace);
	struct vmchild c = { 0 };
	struct probe p[2] = { 0 };
	char why[512], *trace = NULL;
	long long events = -1;
	int started = 0;

	four_slots(st, FULL_PAGES);
	ASSERT_EQ(0, vm_child_start(&c, 4 << 20, st, 4));
	if (probes_start(_metadata, p, 2, mode_args, names, why, sizeof(why), &started)) {
		vm_child_stop(&c);
		SKIP(return, "BPF unavailable: %s", why);
	}
	if (ev)
		EXPECT_EQ(0, ftrace_on(self->trace, ev));
	vm_child_go(&c);
	EXPECT_EQ(0, vm_child_wait_done(&c));
	if (ev) {
		trace = ftrace_off(self->trace, ev);
		events = ftrace_events(trace, "kvm_mmu_spte_requested", c.pid);
	} else {
		TH_LOG("no kvmmmu:kvm_mmu_spte_requested in tracefs: ftrace cross-check skipped");
	}
	TH_LOG("VM %s", c.id);
	probes_check(_metadata, p, 2, started, names, c.id, check_slot_table, &events);
	free(trace);
	vm_child_stop(&c);
}

/* Sums over the reports of memvirt faults --json for VM @id. */
struct churn_sums {
	long long reports, faults, regions, slots, regions_full, slots_full;
};

static void churn_add(const struct json_docs *out, const char *id, struct churn_sums *t)
{
	struct json_object *vm;
	int n;

	for (int i = 0; out && i < out->nr; i++) {
		if (!json_get(out->doc[i], "interval"))
			continue;
		if (!id) {		/* the losses, once per report */
			t->reports++;
			t->regions_full += lost_num(out->doc[i], "regions_full");
			t->slots_full += lost_num(out->doc[i], "slots_full");
			continue;
		}
		vm = json_get(out->doc[i], "vms[id=%s]", id);
		if (!vm)
			continue;
		t->faults += num(vm, "faults");
		t->regions += array_sum(vm, "regions", "faults", &n);
		t->slots += array_sum(vm, "slots", "faults", &n);
	}
}

/*
 * The sums over all reports of two VMs that faulted @P new pages in each of
 * 4 memslots: @max the largest number of any report, @events ftrace's
 * kvm_mmu_spte_requested events of both VMs (or -1).
 */
static void check_churn(struct __test_metadata *_metadata, const struct churn_sums *t,
			uint32_t P, unsigned long long max, long long events)
{
	TH_LOG("%lld faults; regions %lld + regions_full %lld; slots %lld + slots_full %lld, ftrace spte_requested %lld; largest number %llu",
	       t->faults, t->regions, t->regions_full, t->slots, t->slots_full, events, max);
	EXPECT_GE(t->reports, 5);
	EXPECT_LT(max, HUGE_DELTA);
	EXPECT_GE(t->faults, 8 * P);
	EXPECT_EQ(t->faults, t->regions + t->regions_full);
	/*
	 * Per VM (the tables emptied between the two): the code page, faulted
	 * at the VM's start, shares the first 2M region with the first data
	 * slot, so 2 regions of 4 have no room; it has a memslot of its own,
	 * which takes one of the 2 slot entries: 3 data slots have none.
	 */
	EXPECT_GE(t->regions_full, 4 * P);
	EXPECT_GE(t->slots_full, 6 * P);
	/*
	 * The first VM's entries make room for the second only if the
	 * kvm_destroy_vm hook fires; where the compiler inlined that function
	 * (the KASAN debug kernel) there is nothing to hook, the entries stay
	 * until memvirt faults notices the VM is gone, and more is refused.
	 */
	if (kallsyms_has("kvm_destroy_vm")) {
		EXPECT_LE(t->regions_full, 4 * P + 2 * SLACK);
		EXPECT_LE(t->slots_full, 6 * P + 2 * SLACK);
	} else {
		TH_LOG("no kvm_destroy_vm symbol: the tables are not emptied between the VMs");
	}
	if (events >= 0) {
		EXPECT_EQ(events, t->slots + t->slots_full);
	} else {
		TH_LOG("no kvmmmu:kvm_mmu_spte_requested in tracefs: ftrace cross-check skipped");
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
	struct step st[4];
	const char *ev = spte_event(self->trace);
	const struct json_docs *out;
	struct churn_sums t = { 0 };
	struct vmchild v[2] = { 0 };
	struct probe p = { 0 };
	char why[512], *trace = NULL;
	long long events = -1;
	int r;

	four_slots(st, P);
	r = probe_start_i(&p, args, "0.2", why, sizeof(why));
	if (r == 1)
		SKIP(return, "BPF unavailable: %s", why);
	ASSERT_EQ(0, r) TH_LOG("%s", why);
	if (ev)
		EXPECT_EQ(0, ftrace_on(self->trace, ev));
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
		trace = ftrace_off(self->trace, ev);
		events = ftrace_events(trace, "kvm_mmu_spte_requested", v[0].pid) +
			 ftrace_events(trace, "kvm_mmu_spte_requested", v[1].pid);
	}
	out = probe_stop(&p, SIGINT);
	ASSERT_NE(NULL, out);
	churn_add(out, NULL, &t);
	churn_add(out, v[0].id, &t);
	churn_add(out, v[1].id, &t);
	TH_LOG("%lld reports; VMs %s, %s", t.reports, v[0].id, v[1].id);
	check_churn(_metadata, &t, P, docs_max_number(out), events);
	probe_free(&p);
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

/* A number in the last report's "trace" member ("events", "dropped", "lost"), or -1. */
static long long trace_num(const struct json_docs *out, const char *key)
{
	return member(report(out), "trace", key);
}

struct trace_events {
	long long events, not_present, outside, dup;
	unsigned char seen[1024];	/* pages of DATA_GPA */
};

/* Counts the event documents ({"time":...}); pages below @npages are checked. */
static void trace_parse(const struct json_docs *out, uint32_t npages, struct trace_events *te)
{
	memset(te, 0, sizeof(*te));
	for (int i = 0; out && i < out->nr; i++) {
		struct json_object *e = out->doc[i];
		unsigned long long gpa, pg;
		const char *cause;

		if (!json_get(e, "time"))
			continue;
		te->events++;
		if (!json_get(e, "gpa"))
			continue;
		gpa = json_u64(e, 0, "gpa");
		cause = json_str(e, "cause");
		if (cause && !strcmp(cause, "not_present"))
			te->not_present++;
		pg = (gpa - DATA_GPA) / SZ_4K;
		if (gpa < DATA_GPA || (gpa & (SZ_4K - 1)) || pg >= npages || pg >= sizeof(te->seen))
			te->outside++;
		else if (te->seen[pg]++)
			te->dup++;
	}
}

/*
 * "memvirt faults --trace --vm ID ARGS" over one run of a new VM touching
 * @pages pages: its output (in @p, to be freed), the VM's object and the
 * events; the run's seconds in *@secs. 1: BPF unavailable (the reason in @why).
 */
static int traced_run(struct __test_metadata *_metadata, struct probe *p, uint32_t pages,
		      const char *rate, struct json_object **vm, struct trace_events *te,
		      double *secs, char *why, size_t len)
{
	struct step s = { DATA_GPA, pages, SZ_4K, true };
	struct vmchild c = { 0 };
	double t0 = mono_s();
	int r;

	if (vm_child_start(&c, 4 << 20, &s, 1)) {
		snprintf(why, len, "the VM's child process did not start");
		return -1;
	}
	r = probe_start(p, (const char *const[]){ "--trace", "--vm", c.id, rate ? "--trace-rate" : NULL,
						  rate, NULL }, why, len);
	if (r) {
		vm_child_stop(&c);
		return r;
	}
	vm_child_go(&c);
	EXPECT_EQ(0, vm_child_wait_done(&c));
	EXPECT_NE(NULL, probe_stop(p, SIGINT));
	*secs = mono_s() - t0;
	*vm = vm_object(&p->run.json, c.id);
	EXPECT_NE(NULL, *vm) TH_LOG("VM %s not in %s", c.id, p->run.out);
	trace_parse(&p->run.json, pages, te);
	TH_LOG("VM %s, %u pages%s%s, %.2f s: %lld events (%lld not present, %lld off the pages, %lld repeated), %lld faults; reported events %lld, dropped %lld, lost %lld",
	       c.id, pages, rate ? ", --trace-rate " : "", rate ? rate : "", *secs, te->events,
	       te->not_present, te->outside, te->dup, *vm ? num(*vm, "faults") : -1,
	       trace_num(&p->run.json, "events"), trace_num(&p->run.json, "dropped"),
	       trace_num(&p->run.json, "lost"));
	vm_child_stop(&c);
	return *vm ? 0 : -1;
}

/*
 * --trace: a VM touching N new pages (fewer than the budget) gives N
 * not-present events, exactly its pages.
 */
TEST_F_TIMEOUT(faults, trace_events, 300)
{
	const uint32_t N = 200;
	struct json_object *vm = NULL;
	struct probe p = { 0 };
	struct trace_events te;
	uint32_t missing = 0;
	char why[512];
	double secs;
	int r;

	r = traced_run(_metadata, &p, N, NULL, &vm, &te, &secs, why, sizeof(why));
	if (r == 1)
		SKIP(return, "BPF unavailable: %s", why);
	ASSERT_EQ(0, r) TH_LOG("%s", why);
	for (uint32_t i = 0; i < N; i++)
		missing += !te.seen[i];
	TH_LOG("%u pages missing", missing);
	EXPECT_EQ(N, te.not_present);
	EXPECT_EQ(N, te.events);
	EXPECT_EQ(0, te.outside);
	EXPECT_EQ(0, te.dup);
	EXPECT_EQ(0, missing);
	EXPECT_EQ(num(vm, "faults"), te.events);
	EXPECT_EQ(te.events, trace_num(&p.run.json, "events"));
	EXPECT_EQ(0, trace_num(&p.run.json, "dropped"));
	EXPECT_EQ(0, trace_num(&p.run.json, "lost"));
	probe_free(&p);
}

/*
 * --trace over the budget: a VM touching M pages under --trace-rate R gives
 * at most R per second started (plus slack), and the reported drops account
 * for the rest.
 */
TEST_F_TIMEOUT(faults, trace_budget, 300)
{
	const uint32_t M = 500, R = 50;
	struct json_object *vm = NULL;
	long long faults, ev, dr, lo;
	struct probe p = { 0 };
	struct trace_events te;
	char why[512], rate[16];
	uint32_t max;
	double secs;
	int r;

	snprintf(rate, sizeof(rate), "%u", R);
	r = traced_run(_metadata, &p, M, rate, &vm, &te, &secs, why, sizeof(why));
	if (r == 1)
		SKIP(return, "BPF unavailable: %s", why);
	ASSERT_EQ(0, r) TH_LOG("%s", why);
	faults = num(vm, "faults");
	ev = trace_num(&p.run.json, "events");
	dr = trace_num(&p.run.json, "dropped");
	lo = trace_num(&p.run.json, "lost");
	/* Budget windows are whole seconds: T seconds meet at most ceil(T) + 1. */
	max = R * ((uint32_t)secs + 2) + SLACK;
	TH_LOG("at most %u events in %.2f s", max, secs);
	EXPECT_GE(faults, M);
	EXPECT_EQ(te.events, ev);
	EXPECT_LE(te.events, max);
	EXPECT_GE(te.events, 1);
	EXPECT_GT(dr, 0);
	EXPECT_EQ(faults, ev + dr + lo);
	EXPECT_EQ(0, te.outside);
	EXPECT_EQ(0, te.dup);
	probe_free(&p);
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
	probe_free(&p);
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
