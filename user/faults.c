// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt faults [-d SECONDS] [-i SECONDS] [--vm ID] [--hist] [--regions]
 *                [--region-size SIZE] [--json] [--attach auto|fentry|kprobe]
 *
 * Loads bpf/faults.bpf.c (CO-RE, one object for every supported kernel),
 * attaches it with the best method the running kernel offers and prints, per
 * interval and per VM: fault rates by class, the share of faults that had to
 * fault host memory in, the levels of the mappings KVM installed and handler
 * latency percentiles estimated from a log2 histogram.
 *
 * VMs are named "<pid>-<fd>" like KVM's debugfs directories, read in BPF from
 * kvm->debugfs_dentry; without debugfs the name falls back to a scan of the
 * VMM's /proc/PID/fd for its anon_inode:kvm-vm file.
 *
 * Nothing is pinned: the links close with the process, also on SIGKILL.
 */
#include <errno.h>
#include <getopt.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libsmartcols.h>

#include "cli.h"
#include "faults.h"
#include "faults.skel.h"
/* The BPF side's header, shared like bcc's libbpf-tools <tool>.h. */
#include "../bpf/faults.h"

enum attach_mode { ATTACH_AUTO, ATTACH_FENTRY, ATTACH_KPROBE };

static const char *const attach_names[] = {
	[ATTACH_AUTO] = "auto",
	[ATTACH_FENTRY] = "fentry",
	[ATTACH_KPROBE] = "kprobe",
};

struct opts {
	double duration;	/* 0: until SIGINT/SIGTERM */
	double interval;
	const char *vm;
	bool hist;
	bool regions;
	bool json;
	bool verbose;
	bool no_latency;
	unsigned int region_shift;
	enum attach_mode attach;
};

struct vm {
	__u64 seq;
	struct faults_ident ident;
	char id[FAULTS_ID_LEN + 16];
	struct faults_stats prev;	/* cumulative, at the last report */
	struct faults_stats cur;	/* cumulative, now */
	bool present;			/* seen in vm_stats this round */
};

struct region {
	struct faults_region_key key;
	struct faults_region prev;
	struct faults_region cur;
	bool present;
};

struct state {
	struct opts o;
	struct faults_bpf *skel;
	struct bpf_link *links[16];
	int nlinks;
	const char *method;
	bool pagein;		/* handle_mm_fault hook attached */
	bool levels;		/* kvm_mmu_set_spte hook attached */
	int ncpus;
	struct vm *vms;
	size_t nvms;
	struct region *regions;
	size_t nregions;
	unsigned long round;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose_libbpf && level != LIBBPF_WARN)
		return 0;
	if (!verbose_libbpf)
		return 0;	/* load failures are reported by us, per method */
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: memvirt faults [options]\n"
		"\n"
		"Trace KVM page faults per VM with BPF (no kernel module needed).\n"
		"\n"
		"Options:\n"
		"  -d, --duration SECONDS   stop after SECONDS (default: until interrupted)\n"
		"  -i, --interval SECONDS   report every SECONDS (default 1)\n"
		"      --vm ID              only the VM ID (<pid>-<fd>)\n"
		"      --hist               print latency histograms\n"
		"      --regions            print faults per GPA region\n"
		"      --region-size SIZE   GPA region size, a power of two (default 1G)\n"
		"      --json               one JSON object per interval\n"
		"      --attach MODE        auto, fentry (fentry/fexit + BTF tracepoints)\n"
		"                           or kprobe (kprobes + raw tracepoints)\n"
		"      --no-latency         skip the clock reads (cheaper; no P50/P99/AVG)\n"
		"  -v, --verbose            libbpf diagnostics\n"
		"  -h, --help               this help\n"
		"\n"
		"Columns (rates per second over the interval):\n"
		"  FAULTS/s  kvm_mmu_page_fault() calls\n"
		"  READ WRITE FETCH  by access; NOTPRES PROT MMIO  by cause (no mapping,\n"
		"  protection, reserved bits: a cached MMIO mapping); WALK  faults on the\n"
		"  guest's page-table walk (rest: final translation); EXIT  faults that\n"
		"  exited to the VMM (MMIO emulation in userspace)\n"
		"  PAGEIN%%  faults during which the host faulted guest memory in\n"
		"  (handle_mm_fault in the vCPU thread); MAJOR  of those, with I/O\n"
		"  4K 2M 1G  leaf mappings installed, by size\n"
		"  P50 P99 AVG  fault handler latency (percentiles from a log2 histogram)\n");
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v <= 0 || v > 86400 * 365)
		return -1;
	*out = v;
	return 0;
}

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

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { OPT_VM = 256, OPT_HIST, OPT_REGIONS, OPT_REGION_SIZE, OPT_JSON, OPT_ATTACH,
	       OPT_NO_LATENCY };
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "vm", required_argument, NULL, OPT_VM },
		{ "hist", no_argument, NULL, OPT_HIST },
		{ "regions", no_argument, NULL, OPT_REGIONS },
		{ "region-size", required_argument, NULL, OPT_REGION_SIZE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "attach", required_argument, NULL, OPT_ATTACH },
		{ "no-latency", no_argument, NULL, OPT_NO_LATENCY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_interval = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->interval = 1;
	o->region_shift = 30;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:i:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_seconds(optarg, &o->duration)) {
				fprintf(stderr, "memvirt faults: bad duration '%s'\n", optarg);
				return 2;
			}
			break;
		case 'i':
			if (parse_seconds(optarg, &o->interval)) {
				fprintf(stderr, "memvirt faults: bad interval '%s'\n", optarg);
				return 2;
			}
			have_interval = true;
			break;
		case OPT_VM:
			o->vm = optarg;
			break;
		case OPT_HIST:
			o->hist = true;
			break;
		case OPT_REGIONS:
			o->regions = true;
			break;
		case OPT_REGION_SIZE:
			if (parse_size_shift(optarg, &o->region_shift)) {
				fprintf(stderr, "memvirt faults: bad region size '%s' (power of two >= 4K)\n",
					optarg);
				return 2;
			}
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_ATTACH:
			if (!strcmp(optarg, "auto"))
				o->attach = ATTACH_AUTO;
			else if (!strcmp(optarg, "fentry"))
				o->attach = ATTACH_FENTRY;
			else if (!strcmp(optarg, "kprobe"))
				o->attach = ATTACH_KPROBE;
			else {
				fprintf(stderr, "memvirt faults: bad attach mode '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_NO_LATENCY:
			o->no_latency = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "memvirt faults: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (o->duration && !have_interval && o->duration < o->interval)
		o->interval = o->duration;
	return 0;
}

/* --- loading and attaching ---------------------------------------------- */

struct hook {
	const char *what;
	bool required;
	bool *flag;		/* set when attached */
};

static void set_autoload(struct faults_bpf *skel, enum attach_mode mode)
{
	bool f = mode == ATTACH_FENTRY, k = mode == ATTACH_KPROBE;

	bpf_program__set_autoload(skel->progs.fentry_kvm_mmu_page_fault, f);
	bpf_program__set_autoload(skel->progs.fexit_kvm_mmu_page_fault, f);
	bpf_program__set_autoload(skel->progs.fexit_handle_mm_fault, f);
	bpf_program__set_autoload(skel->progs.tp_btf_kvm_mmu_set_spte, f);
	bpf_program__set_autoload(skel->progs.fentry_kvm_destroy_vm, f);
	bpf_program__set_autoload(skel->progs.kprobe_kvm_mmu_page_fault, k);
	bpf_program__set_autoload(skel->progs.kretprobe_kvm_mmu_page_fault, k);
	bpf_program__set_autoload(skel->progs.kretprobe_handle_mm_fault, k);
	bpf_program__set_autoload(skel->progs.raw_tp_kvm_mmu_set_spte, k);
	bpf_program__set_autoload(skel->progs.kprobe_kvm_destroy_vm, k);
}

static void detach(struct state *st)
{
	while (st->nlinks > 0)
		bpf_link__destroy(st->links[--st->nlinks]);
	faults_bpf__destroy(st->skel);
	st->skel = NULL;
}

static int attach_one(struct state *st, struct bpf_program *prog, const char *what,
		      bool required, bool *flag)
{
	struct bpf_link *link = bpf_program__attach(prog);

	if (!link) {
		int err = -errno;

		if (required || st->o.verbose)
			fprintf(stderr, "memvirt faults: %s: cannot attach: %s\n",
				what, strerror(-err));
		return required ? err : 0;
	}
	st->links[st->nlinks++] = link;
	if (flag)
		*flag = true;
	return 0;
}

static int try_method(struct state *st, enum attach_mode mode)
{
	struct faults_bpf *skel;
	int err;

	st->method = attach_names[mode];
	st->pagein = st->levels = false;
	skel = faults_bpf__open();
	if (!skel) {
		fprintf(stderr, "memvirt faults: cannot open the BPF object: %s\n", strerror(errno));
		return -1;
	}
	skel->rodata->region_shift = st->o.region_shift;
	skel->rodata->measure_latency = !st->o.no_latency;
	set_autoload(skel, mode);
	st->skel = skel;
	err = faults_bpf__load(skel);
	if (err) {
		fprintf(stderr, "memvirt faults: %s: cannot load: %s%s\n", st->method,
			strerror(-err), st->o.verbose ? "" : " (-v for libbpf's log)");
		goto fail;
	}
	if (mode == ATTACH_FENTRY) {
		if ((err = attach_one(st, skel->progs.fentry_kvm_mmu_page_fault,
				      "fentry kvm_mmu_page_fault", true, NULL)) ||
		    (err = attach_one(st, skel->progs.fexit_kvm_mmu_page_fault,
				      "fexit kvm_mmu_page_fault", true, NULL)))
			goto fail;
		attach_one(st, skel->progs.fexit_handle_mm_fault, "fexit handle_mm_fault",
			   false, &st->pagein);
		attach_one(st, skel->progs.tp_btf_kvm_mmu_set_spte, "tp_btf kvm_mmu_set_spte",
			   false, &st->levels);
		attach_one(st, skel->progs.fentry_kvm_destroy_vm, "fentry kvm_destroy_vm",
			   false, NULL);
	} else {
		if ((err = attach_one(st, skel->progs.kprobe_kvm_mmu_page_fault,
				      "kprobe kvm_mmu_page_fault", true, NULL)) ||
		    (err = attach_one(st, skel->progs.kretprobe_kvm_mmu_page_fault,
				      "kretprobe kvm_mmu_page_fault", true, NULL)))
			goto fail;
		attach_one(st, skel->progs.kretprobe_handle_mm_fault, "kretprobe handle_mm_fault",
			   false, &st->pagein);
		attach_one(st, skel->progs.raw_tp_kvm_mmu_set_spte, "raw_tp kvm_mmu_set_spte",
			   false, &st->levels);
		attach_one(st, skel->progs.kprobe_kvm_destroy_vm, "kprobe kvm_destroy_vm",
			   false, NULL);
	}
	return 0;
fail:
	detach(st);
	return -1;
}

static int setup(struct state *st)
{
	if (st->o.attach != ATTACH_KPROBE && !try_method(st, ATTACH_FENTRY))
		goto ok;
	if (st->o.attach == ATTACH_FENTRY)
		return -1;
	if (!try_method(st, ATTACH_KPROBE))
		goto ok;
	if (geteuid())
		fprintf(stderr, "memvirt faults: needs root (CAP_BPF and CAP_PERFMON)\n");
	else if (access("/sys/module/kvm", F_OK))
		fprintf(stderr, "memvirt faults: kvm is not loaded\n");
	return -1;
ok:
	fprintf(stderr, "memvirt faults: attached with %s (%s%s%s)\n",
			st->method,
			st->method[0] == 'f' ? "fentry/fexit kvm_mmu_page_fault"
					     : "kprobe/kretprobe kvm_mmu_page_fault",
			st->pagein ? ", handle_mm_fault" : ", no host page-in accounting",
			st->levels ? (st->method[0] == 'f' ? ", tp_btf kvm_mmu_set_spte"
							   : ", raw_tp kvm_mmu_set_spte")
				   : ", no mapping levels");
	return 0;
}

/* --- reading the maps --------------------------------------------------- */

static struct vm *find_vm(struct state *st, __u64 seq)
{
	for (size_t i = 0; i < st->nvms; i++)
		if (st->vms[i].seq == seq)
			return &st->vms[i];
	return NULL;
}

/* No debugfs name from BPF: find the VMM's kvm-vm fd; only unambiguous if one. */
static void resolve_id(struct vm *vm)
{
	char path[64], link[64], found[NAME_MAX + 1] = "";
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (vm->ident.name[0]) {
		snprintf(vm->id, sizeof(vm->id), "%.*s", FAULTS_ID_LEN, vm->ident.name);
		return;
	}
	snprintf(vm->id, sizeof(vm->id), "%u-?", vm->ident.pid);
	snprintf(path, sizeof(path), "/proc/%u/fd", vm->ident.pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char fdpath[PATH_MAX];
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
		len = readlink(fdpath, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (!strcmp(link, "anon_inode:kvm-vm")) {
			snprintf(found, sizeof(found), "%s", de->d_name);
			n++;
		}
	}
	closedir(d);
	if (n == 1)
		snprintf(vm->id, sizeof(vm->id), "%u-%.8s", vm->ident.pid, found);
}

static void sum_percpu(struct faults_stats *out, const struct faults_stats *v, int ncpus)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpus; c++) {
		for (int i = 0; i < FC_NR; i++)
			out->cnt[i] += v[c].cnt[i];
		out->lat_ns += v[c].lat_ns;
		for (int i = 0; i < FAULTS_HIST_SLOTS; i++)
			out->hist[i] += v[c].hist[i];
	}
}

static int read_vms(struct state *st)
{
	int sfd = bpf_map__fd(st->skel->maps.vm_stats);
	int ifd = bpf_map__fd(st->skel->maps.vm_ident);
	struct faults_stats *vals;
	__u64 key, next, *prev = NULL;

	vals = calloc(st->ncpus, sizeof(*vals));
	if (!vals)
		return -1;
	for (size_t i = 0; i < st->nvms; i++)
		st->vms[i].present = false;
	while (!bpf_map_get_next_key(sfd, prev, &next)) {
		struct vm *vm;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(sfd, &key, vals))
			continue;
		vm = find_vm(st, key);
		if (!vm) {
			struct vm *n = realloc(st->vms, (st->nvms + 1) * sizeof(*n));

			if (!n)
				break;
			st->vms = n;
			vm = &st->vms[st->nvms++];
			memset(vm, 0, sizeof(*vm));
			vm->seq = key;
		}
		vm->present = true;
		sum_percpu(&vm->cur, vals, st->ncpus);
		if (bpf_map_lookup_elem(ifd, &key, &vm->ident) == 0 && !vm->id[0])
			resolve_id(vm);
		if (!vm->id[0])
			snprintf(vm->id, sizeof(vm->id), "?");
	}
	free(vals);
	return 0;
}

static int cmp_region(const void *a, const void *b)
{
	const struct region *x = a, *y = b;

	if (x->key.seq != y->key.seq)
		return x->key.seq < y->key.seq ? -1 : 1;
	if (x->key.region != y->key.region)
		return x->key.region < y->key.region ? -1 : 1;
	return 0;
}

static int read_regions(struct state *st)
{
	int fd = bpf_map__fd(st->skel->maps.vm_regions);
	struct faults_region_key key, next, *prev = NULL;
	struct faults_region *vals;
	size_t old = st->nregions;

	vals = calloc(st->ncpus, sizeof(*vals));
	if (!vals)
		return -1;
	for (size_t i = 0; i < st->nregions; i++)
		st->regions[i].present = false;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct region probe = { .key = next }, *r;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		r = bsearch(&probe, st->regions, old, sizeof(*r), cmp_region);
		if (!r) {
			struct region *n = realloc(st->regions, (st->nregions + 1) * sizeof(*n));

			if (!n)
				break;
			st->regions = n;
			r = &st->regions[st->nregions++];
			memset(r, 0, sizeof(*r));
			r->key = key;
		}
		r->present = true;
		memset(&r->cur, 0, sizeof(r->cur));
		for (int c = 0; c < st->ncpus; c++) {
			r->cur.faults += vals[c].faults;
			r->cur.pagein += vals[c].pagein;
		}
	}
	free(vals);
	qsort(st->regions, st->nregions, sizeof(*st->regions), cmp_region);
	return 0;
}

/* --- reporting ---------------------------------------------------------- */

static void diff_stats(struct faults_stats *d, const struct faults_stats *cur,
		       const struct faults_stats *prev)
{
	for (int i = 0; i < FC_NR; i++)
		d->cnt[i] = cur->cnt[i] - prev->cnt[i];
	d->lat_ns = cur->lat_ns - prev->lat_ns;
	for (int i = 0; i < FAULTS_HIST_SLOTS; i++)
		d->hist[i] = cur->hist[i] - prev->hist[i];
}

/* Percentile from the log2 histogram, linear within the bucket. */
static double hist_percentile(const struct faults_stats *d, double p)
{
	__u64 total = 0, cum = 0;

	for (int i = 0; i < FAULTS_HIST_SLOTS; i++)
		total += d->hist[i];
	if (!total)
		return 0;
	for (int i = 0; i < FAULTS_HIST_SLOTS; i++) {
		double target = p * total;

		if (d->hist[i] && cum + d->hist[i] >= target) {
			double lo = i ? (double)(1ULL << i) : 0, hi = (double)(1ULL << (i + 1));
			double frac = (target - cum) / d->hist[i];

			return lo + (hi - lo) * frac;
		}
		cum += d->hist[i];
	}
	return (double)(1ULL << FAULTS_HIST_SLOTS);
}

static void fmt_ns(char *buf, size_t len, double ns)
{
	if (ns <= 0)
		snprintf(buf, len, "-");
	else if (ns < 1000)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

static void fmt_rate(char *buf, size_t len, __u64 n, double secs)
{
	double r = n / secs;

	if (r == 0)
		snprintf(buf, len, "0");
	else if (r < 10)
		snprintf(buf, len, "%.1f", r);
	else
		snprintf(buf, len, "%.0f", r);
}

static bool selected(const struct state *st, const struct vm *vm)
{
	return !st->o.vm || !strcmp(st->o.vm, vm->id);
}

static const struct {
	const char *name;
	int counter;		/* -1: computed */
} table_cols[] = {
	{ "VM", -1 }, { "PID", -1 }, { "FAULTS/s", FC_FAULTS },
	{ "READ", FC_READ }, { "WRITE", FC_WRITE }, { "FETCH", FC_FETCH },
	{ "NOTPRES", FC_NOT_PRESENT }, { "PROT", FC_PROT }, { "MMIO", FC_RSVD },
	{ "WALK", FC_WALK }, { "EXIT", FC_RET_EXIT }, { "PAGEIN%", -1 }, { "MAJOR", FC_PAGEIN_MAJOR },
	{ "4K", FC_SPTE_4K }, { "2M", FC_SPTE_2M }, { "1G", FC_SPTE_1G },
	{ "P50", -1 }, { "P99", -1 }, { "AVG", -1 },
};

static void print_hist(const struct vm *vm, const struct faults_stats *d)
{
	int first = -1, last = -1;
	__u64 max = 0;

	for (int i = 0; i < FAULTS_HIST_SLOTS; i++) {
		if (!d->hist[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (d->hist[i] > max)
			max = d->hist[i];
	}
	if (first < 0)
		return;
	printf("\nVM %s: fault handler latency\n", vm->id);
	printf("%22s : %-10s %s\n", "nsecs", "count", "distribution");
	for (int i = first; i <= last; i++) {
		char range[48], bar[41];
		int w = (int)(d->hist[i] * 40 / max);

		snprintf(range, sizeof(range), "%llu -> %llu", i ? 1ULL << i : 0ULL,
			 (1ULL << (i + 1)) - 1);
		memset(bar, '*', w);
		bar[w] = 0;
		printf("%22s : %-10llu |%-40s|\n", range, (unsigned long long)d->hist[i], bar);
	}
}

static void print_regions_text(struct state *st, const struct vm *vm)
{
	bool header = false;

	for (size_t i = 0; i < st->nregions; i++) {
		const struct region *r = &st->regions[i];
		__u64 f = r->cur.faults - r->prev.faults, p = r->cur.pagein - r->prev.pagein;
		__u64 lo, hi;

		if (r->key.seq != vm->seq || !f)
			continue;
		if (!header) {
			printf("\nVM %s: faults by GPA region\n%-36s %10s %10s\n", vm->id,
			       "REGION", "FAULTS", "PAGEIN");
			header = true;
		}
		lo = r->key.region << st->o.region_shift;
		hi = lo + (1ULL << st->o.region_shift) - 1;
		printf("0x%016llx-0x%016llx %10llu %10llu\n", (unsigned long long)lo,
		       (unsigned long long)hi, (unsigned long long)f, (unsigned long long)p);
	}
}

static int report_table(struct state *st, double secs)
{
	struct libscols_table *tb = scols_new_table();
	size_t ncols = sizeof(table_cols) / sizeof(table_cols[0]);
	char buf[64];
	int shown = 0;

	if (!tb)
		return -1;
	for (size_t c = 0; c < ncols; c++)
		if (!scols_table_new_column(tb, table_cols[c].name, 0,
					    c == 0 ? 0 : SCOLS_FL_RIGHT)) {
			scols_unref_table(tb);
			return -1;
		}
	for (size_t i = 0; i < st->nvms; i++) {
		struct vm *vm = &st->vms[i];
		struct libscols_line *ln;
		struct faults_stats d;

		if (!vm->present || !selected(st, vm))
			continue;
		diff_stats(&d, &vm->cur, &vm->prev);
		ln = scols_table_new_line(tb, NULL);
		if (!ln)
			break;
		shown++;
		for (size_t c = 0; c < ncols; c++) {
			const char *name = table_cols[c].name;

			if (table_cols[c].counter >= 0) {
				int k = table_cols[c].counter;

				if ((k == FC_PAGEIN_MAJOR && !st->pagein) ||
				    (k >= FC_SPTE_4K && k <= FC_SPTE_1G && !st->levels))
					snprintf(buf, sizeof(buf), "-");
				else
					fmt_rate(buf, sizeof(buf), d.cnt[k], secs);
			} else if (!strcmp(name, "VM")) {
				snprintf(buf, sizeof(buf), "%s", vm->id);
			} else if (!strcmp(name, "PID")) {
				snprintf(buf, sizeof(buf), "%u", vm->ident.pid);
			} else if (!strcmp(name, "PAGEIN%")) {
				if (!st->pagein || !d.cnt[FC_FAULTS])
					snprintf(buf, sizeof(buf), "-");
				else
					snprintf(buf, sizeof(buf), "%.1f",
						 100.0 * d.cnt[FC_PAGEIN] / d.cnt[FC_FAULTS]);
			} else if (!strcmp(name, "P50")) {
				fmt_ns(buf, sizeof(buf), hist_percentile(&d, 0.50));
			} else if (!strcmp(name, "P99")) {
				fmt_ns(buf, sizeof(buf), hist_percentile(&d, 0.99));
			} else {
				fmt_ns(buf, sizeof(buf), d.cnt[FC_FAULTS] ?
				       (double)d.lat_ns / d.cnt[FC_FAULTS] : 0);
			}
			scols_line_set_data(ln, c, buf);
		}
	}
	if (st->round > 1)
		printf("\n");
	if (shown)
		scols_print_table(tb);
	else
		printf("(no KVM page faults%s%s)\n", st->o.vm ? " for VM " : "",
		       st->o.vm ? st->o.vm : "");
	scols_unref_table(tb);
	for (size_t i = 0; i < st->nvms; i++) {
		struct vm *vm = &st->vms[i];
		struct faults_stats d;

		if (!vm->present || !selected(st, vm))
			continue;
		diff_stats(&d, &vm->cur, &vm->prev);
		if (st->o.hist)
			print_hist(vm, &d);
		if (st->o.regions)
			print_regions_text(st, vm);
	}
	return 0;
}

static const char *const json_counter_names[FC_NR] = {
	[FC_FAULTS] = "faults", [FC_READ] = "read", [FC_WRITE] = "write",
	[FC_FETCH] = "fetch", [FC_NOT_PRESENT] = "not_present", [FC_PROT] = "protection",
	[FC_RSVD] = "mmio", [FC_USER] = "user", [FC_FINAL] = "final",
	[FC_WALK] = "walk", [FC_RET_RESUME] = "resumed", [FC_RET_EXIT] = "exit_to_vmm",
	[FC_RET_ERROR] = "error", [FC_PAGEIN] = "pagein", [FC_PAGEIN_MAJOR] = "pagein_major",
	[FC_MM_FAULTS] = "host_mm_faults", [FC_SPTE_4K] = "map_4k", [FC_SPTE_2M] = "map_2m",
	[FC_SPTE_1G] = "map_1g", [FC_SPTE_NONE] = "map_none",
};

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static int report_json(struct state *st, double secs)
{
	bool first = true;

	printf("{\"interval\":%.3f,\"attach\":\"%s\",\"pagein\":%s,\"levels\":%s,\"vms\":[",
	       secs, st->method, st->pagein ? "true" : "false", st->levels ? "true" : "false");
	for (size_t i = 0; i < st->nvms; i++) {
		struct vm *vm = &st->vms[i];
		struct faults_stats d;
		bool rfirst = true;

		if (!vm->present || !selected(st, vm))
			continue;
		diff_stats(&d, &vm->cur, &vm->prev);
		printf("%s{\"vm\":", first ? "" : ",");
		first = false;
		json_string(vm->id);
		printf(",\"pid\":%u,\"alive\":%s,\"rate\":%.3f", vm->ident.pid,
		       vm->ident.dead ? "false" : "true", d.cnt[FC_FAULTS] / secs);
		for (int k = 0; k < FC_NR; k++)
			printf(",\"%s\":%llu", json_counter_names[k], (unsigned long long)d.cnt[k]);
		printf(",\"latency_ns\":{\"avg\":%.0f,\"p50\":%.0f,\"p99\":%.0f,\"log2_hist\":[",
		       d.cnt[FC_FAULTS] ? (double)d.lat_ns / d.cnt[FC_FAULTS] : 0.0,
		       hist_percentile(&d, 0.5), hist_percentile(&d, 0.99));
		for (int h = 0; h < FAULTS_HIST_SLOTS; h++)
			printf("%s%llu", h ? "," : "", (unsigned long long)d.hist[h]);
		printf("]},\"region_size\":%llu,\"regions\":[", 1ULL << st->o.region_shift);
		for (size_t r = 0; r < st->nregions; r++) {
			const struct region *rg = &st->regions[r];
			__u64 f = rg->cur.faults - rg->prev.faults;

			if (rg->key.seq != vm->seq || !f)
				continue;
			printf("%s{\"gpa\":%llu,\"faults\":%llu,\"pagein\":%llu}", rfirst ? "" : ",",
			       (unsigned long long)(rg->key.region << st->o.region_shift),
			       (unsigned long long)f,
			       (unsigned long long)(rg->cur.pagein - rg->prev.pagein));
			rfirst = false;
		}
		printf("]}");
	}
	printf("]}\n");
	return 0;
}

/* Forget VMs that died (after their last report) and roll cur into prev. */
static void advance(struct state *st)
{
	int sfd = bpf_map__fd(st->skel->maps.vm_stats);
	int ifd = bpf_map__fd(st->skel->maps.vm_ident);
	int rfd = bpf_map__fd(st->skel->maps.vm_regions);
	size_t n = 0;

	for (size_t i = 0; i < st->nregions; i++) {
		struct region *r = &st->regions[i];
		struct vm *vm = find_vm(st, r->key.seq);

		if (!r->present || (vm && vm->ident.dead)) {
			bpf_map_delete_elem(rfd, &r->key);
			continue;
		}
		r->prev = r->cur;
		st->regions[n++] = *r;
	}
	st->nregions = n;
	n = 0;
	for (size_t i = 0; i < st->nvms; i++) {
		struct vm *vm = &st->vms[i];

		if (!vm->present || vm->ident.dead) {
			bpf_map_delete_elem(sfd, &vm->seq);
			bpf_map_delete_elem(ifd, &vm->seq);
			continue;
		}
		vm->prev = vm->cur;
		st->vms[n++] = *vm;
	}
	st->nvms = n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	while (!stop) {
		double left = t - now_s();
		struct timespec ts;

		if (left <= 0)
			return;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);	/* EINTR on a signal: loop checks stop */
	}
}

int mv_cmd_faults(int argc, char **argv, struct mv_opts *common)
{
	struct state st = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	double start, last, end;
	int rc;

	rc = parse_opts(argc, argv, &st.o);
	if (rc)
		return rc < 0 ? 0 : rc;
	st.o.json |= common->json;
	verbose_libbpf = st.o.verbose;
	libbpf_set_print(libbpf_print);
	st.ncpus = libbpf_num_possible_cpus();
	if (st.ncpus <= 0) {
		fprintf(stderr, "memvirt faults: cannot count possible CPUs\n");
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (setup(&st))
		return 1;

	start = last = now_s();
	end = st.o.duration ? start + st.o.duration : 0;
	rc = 0;
	while (!stop) {
		double next = last + st.o.interval, t;

		if (end && next > end)
			next = end;
		sleep_until(next);
		t = now_s();
		if (t - last < 1e-3)
			break;
		if (read_vms(&st) || read_regions(&st)) {
			fprintf(stderr, "memvirt faults: out of memory\n");
			rc = 1;
			break;
		}
		st.round++;
		if (st.o.json)
			report_json(&st, t - last);
		else
			report_table(&st, t - last);
		fflush(stdout);
		advance(&st);
		last = t;
		if (end && t >= end - 1e-3)
			break;
	}
	detach(&st);
	free(st.vms);
	free(st.regions);
	if (ferror(stdout) || fflush(stdout)) {
		fprintf(stderr, "memvirt faults: write error\n");
		rc = 1;
	}
	return rc;
}
