// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt faults` - KVM page faults per VM, from the BPF
 * probes (lib/probe.c): per interval and VM the fault rates by class, the
 * share of faults that had to fault host memory in, the levels of the
 * mappings KVM installed and handler latency percentiles estimated from a
 * log2 histogram, and what could not be counted (losses, by reason).
 * Needs no kernel module. Documentation/faults.rst describes every counter.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "lib/probe.h"
#include "out/faults.h"
#include "out/hist.h"
#include "faults.skel.h"

struct faults_cmd {
	struct mv_probe_opts o;
	bool have_interval;
	const struct mv_opts *mo;
	struct mv_faults *st;
	struct mv_faults_report r;
};


/* ---- options ----------------------------------------------------------- */

enum { OPT_VM = 256, OPT_HIST, OPT_REGIONS, OPT_REGION_SIZE, OPT_ATTACH,
       OPT_NO_LATENCY, OPT_MAX_VMS, OPT_NO_LEVELS, OPT_LITE, OPT_SLOTS, OPT_TRACE,
       OPT_TRACE_RATE, OPT_MAX_SLOTS, OPT_MAX_REGIONS };

static const struct option faults_longopts[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "interval", required_argument, NULL, 'i' },
	{ "hist", no_argument, NULL, OPT_HIST },
	{ "regions", no_argument, NULL, OPT_REGIONS },
	{ "region-size", required_argument, NULL, OPT_REGION_SIZE },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "no-latency", no_argument, NULL, OPT_NO_LATENCY },
	{ "max-vms", required_argument, NULL, OPT_MAX_VMS },
	{ "max-slots", required_argument, NULL, OPT_MAX_SLOTS },
	{ "max-regions", required_argument, NULL, OPT_MAX_REGIONS },
	{ "no-levels", no_argument, NULL, OPT_NO_LEVELS },
	{ "lite", no_argument, NULL, OPT_LITE },
	{ "slots", no_argument, NULL, OPT_SLOTS },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "trace-rate", required_argument, NULL, OPT_TRACE_RATE },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static int parse_size_shift(const char *s, unsigned int *shift)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	case 't': case 'T': v <<= 40; end++; break;
	}
	if (*end || v < 4096 || (v & (v - 1)))
		return -1;
	*shift = __builtin_ctzll(v);
	return 0;
}

/* A number option @name in [@min, @max] (a power of two if @pow2) into *@out. */
static int num_opt(const char *name, const char *arg, unsigned long min,
		   unsigned long max, bool pow2, unsigned int *out)
{
	unsigned long v;

	if (mv_parse_ulong(arg, min, max, &v) || (pow2 && (v & (v - 1))))
		return mv_usage_error("faults", "bad --%s '%s' (%s%lu..%lu)", name, arg,
				      pow2 ? "power of two, " : "", min, max);
	*out = v;
	return 0;
}

static int flag_opt(int c, struct mv_probe_opts *o)
{
	bool *flag[] = {
		[OPT_HIST - OPT_VM] = &o->hist, [OPT_REGIONS - OPT_VM] = &o->regions,
		[OPT_NO_LATENCY - OPT_VM] = &o->no_latency,
		[OPT_NO_LEVELS - OPT_VM] = &o->no_levels, [OPT_LITE - OPT_VM] = &o->lite,
		[OPT_SLOTS - OPT_VM] = &o->slots, [OPT_TRACE - OPT_VM] = &o->trace,
	};

	if (c < OPT_VM || c - OPT_VM >= (int)ARRAY_SIZE(flag) || !flag[c - OPT_VM])
		return MV_EXIT_USAGE;
	*flag[c - OPT_VM] = true;
	return 0;
}

static int faults_opt(int c, const char *arg, void *ctx)
{
	struct faults_cmd *fc = ctx;
	struct mv_probe_opts *o = &fc->o;
	size_t k;

	switch (c) {
	case 'd':
		if (mv_parse_seconds(arg, 0, MV_MAX_DURATION, &o->duration))
			return mv_usage_error("faults", "bad duration '%s'", arg);
		return 0;
	case 'i':
		fc->have_interval = true;
		if (mv_parse_seconds(arg, 0, MV_MAX_DURATION, &o->interval))
			return mv_usage_error("faults", "bad interval '%s'", arg);
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_REGION_SIZE:
		if (parse_size_shift(arg, &o->region_shift))
			return mv_usage_error("faults", "bad region size '%s' (power of "
					      "two >= 4K)", arg);
		return 0;
	case OPT_ATTACH:
		for (k = 0; k <= ATTACH_KPROBE; k++)
			if (!strcmp(arg, mv_attach_names[k]))
				break;
		if (k > ATTACH_KPROBE)
			return mv_usage_error("faults", "bad attach mode '%s'", arg);
		o->attach = k;
		return 0;
	case OPT_TRACE_RATE:
		return num_opt("trace-rate", arg, 1, 1000000, false, &o->trace_rate);
	case OPT_MAX_VMS:
		return num_opt("max-vms", arg, FAULTS_VM_PROBES, 65536, true, &o->max_vms);
	case OPT_MAX_SLOTS:
		return num_opt("max-slots", arg, 1, FAULTS_MAX_TABLE, false, &o->max_slots);
	case OPT_MAX_REGIONS:
		return num_opt("max-regions", arg, 1, FAULTS_MAX_TABLE, false,
			       &o->max_regions);
	}
	return flag_opt(c, o);
}

static void faults_help(FILE *f)
{
	fprintf(f,
		"Columns (rates per second over the interval):\n"
		" ID        the VM (<pid>-<fd>); NAME  its VMM's name for it; PID  its VMM\n"
		" FAULTS/s  kvm_mmu_page_fault() calls\n"
		" READ WRITE FETCH  by access; NOTPRES PROT RSVD  by the error code's\n"
		" cause (no mapping, protection, reserved bits: a cached MMIO mapping)\n"
		" MMIO  faults KVM handled as MMIO (RSVD, a new MMIO mapping, or an exit\n"
		" to the VMM); WALK  faults on the guest's page-table walk (rest: final\n"
		" translation); EXIT  faults that exited to the VMM\n"
		" PAGEIN%%  faults during which the vCPU thread faulted host memory in;\n"
		" MAJOR  of those, with I/O\n"
		" 4K 2M 1G  leaf mappings installed, by size\n"
		" P50 P99 AVG  fault handler latency (percentiles from a log2 histogram)\n"
		"\n"
		"Each interval ends with a line \"lost: <reason> N, ...\": faults the probes\n"
		"could not count (n/a: this kernel does not report that reason). With\n"
		"--json, one JSON object per interval and line. Defaults: --trace-rate %d,\n"
		"--max-vms %d, --max-slots %d, --max-regions %d.\n",
		FAULTS_TRACE_RATE_DEFAULT, FAULTS_MAX_VMS_DEFAULT, FAULTS_MAX_SLOTS,
		FAULTS_MAX_REGIONS);
}

static const struct mv_cmd faults_cmd = {
	.name = "faults",
	.about = "Trace KVM page faults per VM with BPF (no kernel module needed).",
	.shortopts = "d:i:v",
	.longopts = faults_longopts,
	.opts_help =
	" -d, --duration <sec>   stop after <sec> seconds (default: until interrupted)\n"
	" -i, --interval <sec>   report every <sec> seconds (default 1)\n"
	"     --hist             print latency histograms\n"
	"     --regions          count faults per GPA region (one more map update\n"
	"                        per fault)\n"
	"     --region-size <n>  GPA region size, a power of two (default 1G)\n"
	"     --slots            count faults per memslot (one more hook and map\n"
	"                        update per fault)\n"
	"     --trace            also print every fault of the one VM --vm names,\n"
	"                        one line each (one JSON object with --json)\n"
	"     --trace-rate <n>   at most <n> events a second; faults over it are\n"
	"                        counted as dropped\n"
	"     --attach <mode>    auto, fentry (fentry/fexit + BTF tracepoints)\n"
	"                        or kprobe (kprobes + raw tracepoints)\n"
	"     --no-latency       skip the clock reads (cheaper; no P50/P99/AVG)\n"
	"     --no-levels        do not hook kvm_mmu_set_spte (no 4K/2M/1G)\n"
	"     --lite             counts by class only: one hook per fault, no\n"
	"                        latency, page-ins or levels (fentry mode)\n"
	"     --max-vms <n>      VMs tracked at once, a power of two\n"
	"     --max-slots <n>    (VM, memslot) pairs --slots counts; faults\n"
	"                        beyond are counted as lost (slots_full)\n"
	"     --max-regions <n>  (VM, region) pairs --regions counts; faults\n"
	"                        beyond are counted as lost (regions_full)\n"
	" -v, --verbose          the object's size and origin, hooks, drops,\n"
	"                        libbpf diagnostics\n",
	.columns = true,
	.filter = true,
	.help_more = faults_help,
	.opt = faults_opt,
};

/*
 * --trace --vm NAME|UUID: the probes compare ids, so find the one process
 * whose command line names it and its one VM fd: "<pid>-<fd>" into @id.
 */
static int trace_id(const char *vm, char *id, size_t size)
{
	pid_t pids[MV_FILTER_MAX];
	size_t n = mv_vmname_pids(vm, pids, ARRAY_SIZE(pids)), i;
	int fd = -1;

	if (n == 1 && mv_kvm_vm_fds(pids[0], &fd) == 1) {
		snprintf(id, size, "%d-%d", (int)pids[0], fd);
		return 0;
	}
	if (!n)
		mv_err("faults: --trace: no process names a VM '%s' on its command line",
		       vm);
	else if (n == 1)
		mv_err("faults: --trace: pid %d has %s VM fd: give --vm <pid>-<fd>",
		       (int)pids[0], fd < 0 ? "no" : "more than one");
	else {
		fprintf(stderr, "memvirt: faults: --trace: VM '%s' is ambiguous, "
			"give --vm <pid>-<fd>; pids:", vm);
		for (i = 0; i < n && i < ARRAY_SIZE(pids); i++)
			fprintf(stderr, " %d", (int)pids[i]);
		fputc('\n', stderr);
	}
	return MV_EXIT_FAILURE;
}

/* Combinations parse_opts() cannot see one option at a time. */
static int faults_check(struct mv_probe_opts *o, bool have_interval,
			const struct mv_filter *f)
{
	static char id[FAULTS_ID_LEN];

	o->vm = f->nr_vm == 1 ? f->vm[0] : NULL;
	if (o->trace && f->nr_vm != 1)
		return mv_usage_error("faults", "--trace needs one --vm (an id, name "
				      "or UUID)");
	if (o->trace && !(isdigit((unsigned char)*o->vm) && strchr(o->vm, '-'))) {
		if (trace_id(o->vm, id, sizeof(id)))
			return MV_EXIT_FAILURE;
		o->vm = id;
	}
	if (o->lite && o->attach == ATTACH_KPROBE)
		return mv_usage_error("faults", "--lite needs fentry (a kretprobe has "
				      "no arguments)");
	if (o->lite && o->slots)
		return mv_usage_error("faults", "--lite and --slots exclude each other");
	if (o->trace && o->lite)
		return mv_usage_error("faults", "--trace and --lite exclude each other");
	if (o->trace && strlen(o->vm) >= FAULTS_ID_LEN)
		return mv_usage_error("faults", "--vm ID too long for --trace");
	if (o->lite)
		o->no_latency = o->no_levels = true;
	if (o->duration && !have_interval && o->duration < o->interval)
		o->interval = o->duration;
	return 0;
}


/* ---- the loop ---------------------------------------------------------- */

static int on_event(void *ctx, void *data, size_t len)
{
	struct faults_cmd *fc = ctx;
	const struct faults_event *e = data;

	if (len < sizeof(*e))
		return 0;
	fc->st->trace_events++;
	mv_trace_event_print(e, fc->o.vm, e->ts_ns / 1e9 - fc->st->t0, fc->mo->json,
			     !fc->o.no_latency, fc->st->trace_events == 1);
	return 0;
}

/* Until @t, printing --trace events as they come. */
static void wait_until(double t, void *arg)
{
	struct faults_cmd *fc = arg;

	if (!fc->st->rb) {
		mv_sleep_until(t);
		return;
	}
	while (!mv_stop) {
		double left = t - mv_now();

		if (left <= 0)
			break;
		/* EINTR on a signal: the loop checks mv_stop. */
		ring_buffer__poll(fc->st->rb, left > 0.1 ? 100 : (int)(left * 1000) + 1);
		fflush(stdout);
	}
	ring_buffer__consume(fc->st->rb);
}

static int tick(void *arg, double secs)
{
	struct faults_cmd *fc = arg;
	int err;

	fc->r.secs = secs;
	if (mv_probe_read(fc->st))
		return mv_err_nomem();
	fc->st->round++;
	err = mv_faults_report(&fc->r);
	if (err)
		return err == -ENOMEM ? mv_err_nomem() : err;
	fflush(stdout);
	mv_faults_advance(fc->st);
	return 0;
}

int mv_cmd_faults(int argc, char **argv, struct mv_opts *o)
{
	struct faults_cmd fc = { .mo = o };
	struct mv_loop loop = { .clip = true, .wait = wait_until };
	int rc;

	mv_probe_opts_init(&fc.o);
	rc = mv_parse_opts(&faults_cmd, argc, argv, o, &fc);
	if (rc || (rc = faults_check(&fc.o, fc.have_interval, &o->filter)) ||
	    (rc = mv_faults_select_cols(o)))
		return mv_parse_exit(rc);
	loop.interval = fc.o.interval;
	loop.duration = fc.o.duration;
	fc.st = mv_faults_start(&fc.o);
	if (!fc.st)
		return MV_EXIT_FAILURE;
	fc.r = (struct mv_faults_report){ .po = &fc.o, .o = o, .st = fc.st };
	if (fc.o.trace) {
		fc.st->rb = ring_buffer__new(bpf_map__fd(fc.st->skel->maps.trace_rb),
					     on_event, &fc, NULL);
		if (!fc.st->rb) {
			mv_err("faults: --trace: cannot open the ring buffer: %s",
			       strerror(errno));
			mv_faults_stop(fc.st);
			return MV_EXIT_FAILURE;
		}
	}
	fc.st->t0 = mv_now();
	rc = mv_loop(&loop, tick, &fc) ? MV_EXIT_FAILURE : MV_EXIT_OK;
	if (fc.st->round) {
		struct mv_fault_losses l;
		char lost[512];

		mv_probe_losses(fc.st, true, &l);
		mv_fmt_losses(lost, sizeof(lost), &l, true);
		if (strcmp(lost, "0") || fc.o.verbose)
			mv_err("faults: not counted since start: %s", lost);
	}
	ring_buffer__free(fc.st->rb);
	mv_faults_stop(fc.st);
	mv_faults_report_free(&fc.r);
	return rc;
}
