// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt faults [-d SECONDS] [-i SECONDS] [--vm ID] [--hist] [--regions]
 *                [--region-size SIZE] [--json] [--attach auto|fentry|kprobe]
 *                [--max-vms N] [--max-slots N] [--max-regions N]
 *                [--no-latency] [--slots] [--lite] [-v]
 *                [--trace --vm ID [--trace-rate N]]
 *
 * Loads bpf/faults.bpf.c (CO-RE, one object for every supported kernel),
 * attaches it with the best method the running kernel offers and prints, per
 * interval and per VM: fault rates by class, the share of faults that had to
 * fault host memory in, the levels of the mappings KVM installed and handler
 * latency percentiles estimated from a log2 histogram, and what could not be
 * counted (losses, by reason: a full table, a missed probe).
 *
 * VMs are named "<pid>-<fd>" like KVM's debugfs directories, read in BPF from
 * kvm->debugfs_dentry; without debugfs the name falls back to a scan of the
 * VMM's /proc/PID/fd for its anon_inode:kvm-vm file.
 *
 * Nothing is pinned: the links close with the process, also on SIGKILL.
 * Documentation/faults.rst describes every counter and what the probes cost.
 */
#include <errno.h>
#include <getopt.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <libsmartcols.h>

#include "cli.h"
#include "faults.h"
/* The BPF side's header, shared like bcc's libbpf-tools <tool>.h; first: */
/* the skeleton's .bss type uses its struct faults_inflight. */
#include "../bpf/faults.h"
#include "faults.skel.h"

enum attach_mode { ATTACH_AUTO, ATTACH_FENTRY, ATTACH_KPROBE };

#define FAULTS_MAX_TABLE	(1 << 20)	/* --max-slots, --max-regions at most */

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
	bool quiet;		/* no "attached with" line (memvirt top) */
	bool no_latency;
	bool no_levels;
	bool lite;		/* exit hook alone: counts only */
	bool slots;		/* per-memslot counts */
	bool trace;		/* per-fault events of one VM (--vm) */
	unsigned int trace_rate;	/* events a second at most */
	unsigned int region_shift;
	unsigned int max_vms;
	unsigned int max_slots;		/* vm_slots entries (--slots) */
	unsigned int max_regions;	/* vm_regions entries (--regions) */
	enum attach_mode attach;
};

struct vm {
	__u32 idx;			/* vms[] and vm_stats index */
	struct faults_vm ident;		/* .gen tells a new VM in the same entry */
	char id[FAULTS_ID_LEN + 16];
	struct faults_stats prev;	/* cumulative, at the last report */
	struct faults_stats cur;	/* cumulative, now */
	struct faults_stats d;		/* this interval: mv_delta_u64(cur, prev) */
	bool present;			/* in vms[] this round */
};

/* Totals derived from the class cells and the other counters. */
enum sum {
	S_FAULTS, S_READ, S_WRITE, S_FETCH, S_NOTPRES, S_PROT, S_RSVD,
	S_FINAL, S_WALK, S_RESUME, S_EXIT, S_ERROR, S_MMIO,
	S_PAGEIN, S_PAGEIN_MAJOR, S_HOST_FAULTS,
	S_MAP_4K, S_MAP_2M, S_MAP_1G, S_MAP_OTHER, S_MAP_NONE, S_HIST, S_NR
};

static const char *const sum_names[S_NR] = {
	[S_FAULTS] = "faults", [S_READ] = "read", [S_WRITE] = "write", [S_FETCH] = "fetch",
	[S_NOTPRES] = "not_present", [S_PROT] = "protection", [S_RSVD] = "rsvd",
	[S_FINAL] = "final", [S_WALK] = "walk", [S_RESUME] = "resumed",
	[S_EXIT] = "exit_to_vmm", [S_ERROR] = "error", [S_MMIO] = "mmio",
	[S_PAGEIN] = "pagein", [S_PAGEIN_MAJOR] = "pagein_major",
	[S_HOST_FAULTS] = "host_mm_faults", [S_MAP_4K] = "map_4k", [S_MAP_2M] = "map_2m",
	[S_MAP_1G] = "map_1g", [S_MAP_OTHER] = "map_other", [S_MAP_NONE] = "map_none",
	[S_HIST] = "latency_samples",
};

/* Per-CPU hash map records: .d holds the interval's growth of the counters. */
struct region {
	struct faults_region_key key;
	struct faults_region prev;
	struct faults_region cur;
	struct faults_region d;
	bool present;
};

struct slotrec {
	struct faults_slot_key key;
	struct faults_slot prev;
	struct faults_slot cur;
	struct faults_slot d;		/* faults, pagein only */
	bool present;
};

struct state {
	struct opts o;
	struct faults_bpf *skel;
	struct bpf_link *links[16];
	unsigned char link_kind[16];	/* enum link_kind */
	int nlinks;
	const char *method;
	char why[512];		/* why the last try_method() failed */
	bool pagein;		/* host page-in accounting */
	bool levels;		/* kvm_mmu_set_spte hook attached */
	bool mmio_hook;		/* mark_mmio_spte hook attached */
	bool destroy_hook;	/* kvm_destroy_vm hook attached */
	bool destroy_kprobe;	/* ... as a kprobe, in fentry mode too */
	int ncpus;
	struct vm *vms;
	size_t nvms;
	struct region *regions;
	size_t nregions;
	struct slotrec *slots;
	size_t nslots;
	unsigned long round;
	struct ring_buffer *rb;		/* --trace */
	double t0;			/* CLOCK_MONOTONIC at start: event times */
	__u64 trace_events;		/* received, cumulative */
	__u64 trace_prev[3];		/* events, dropped, lost at the last report */
	/* Losses (faults.h), cumulative: now, at the last report, this interval. */
	__u64 loss_cur[MV_LOST_NR], loss_prev[MV_LOST_NR], loss_d[MV_LOST_NR];
	unsigned char loss_state[MV_LOST_NR];	/* enum mv_loss_state */
	__u64 resets;			/* records that restarted (mv_delta_u64) */
	bool link_missed;		/* the kernel reports kprobe misses per link */
};

enum link_kind { LINK_OTHER, LINK_KPROBE, LINK_KRETPROBE };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool verbose_libbpf;

/*
 * Why the last load failed, in one line: "prog 'NAME': <the verifier's
 * verdict>" from libbpf's program load log, else libbpf's last warning.
 * Reset by try_method().
 */
static char load_why[384];
static bool load_verdict;	/* load_why holds a verifier verdict: keep it */

static void note_warning(const char *msg)
{
	const char *log = strstr(msg, "-- BEGIN PROG LOAD LOG --"), *p, *nl;
	const char *best = NULL;
	int best_len = 0;

	if (!strncmp(msg, "libbpf: ", 8))
		msg += 8;
	if (!log) {
		size_t n = strcspn(msg, "\n");

		/* Later lines ("failed to load object") say less than the verifier. */
		if (!load_verdict)
			snprintf(load_why, sizeof(load_why), "%.*s", (int)n, msg);
		return;
	}
	/* The verdict is the last line that is not the log's statistics. */
	for (p = strchr(log, '\n'); p && *++p && strncmp(p, "-- END", 6); p = nl) {
		int len;

		nl = strchr(p, '\n');
		len = nl ? nl - p : (int)strlen(p);
		if (!len || !strncmp(p, "processed ", 10) || !strncmp(p, "verification time", 17) ||
		    !strncmp(p, "stack depth", 11) || !strncmp(p, "mark_read", 9))
			continue;
		best = p;
		best_len = len;
		if (!nl)
			break;
	}
	if (best) {
		snprintf(load_why, sizeof(load_why), "%.*s%.*s", (int)(log - msg), msg, best_len,
			 best);
		load_verdict = true;
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		char *msg = NULL;
		va_list cp;

		va_copy(cp, ap);
		if (vasprintf(&msg, fmt, cp) >= 0)
			note_warning(msg);
		va_end(cp);
		free(msg);
	}
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
		"      --regions            count faults per GPA region (one more map update\n"
		"                           per fault)\n"
		"      --region-size SIZE   GPA region size, a power of two (default 1G)\n"
		"      --slots              count faults per memslot (one more hook and map\n"
		"                           update per fault)\n"
		"      --json               one JSON object per interval\n"
		"      --trace              also print every fault of the VM --vm, one line\n"
		"                           each (one JSON object with --json)\n"
		"      --trace-rate N       at most N events a second (default %d); faults\n"
		"                           over it are counted as dropped\n"
		"      --attach MODE        auto, fentry (fentry/fexit + BTF tracepoints)\n"
		"                           or kprobe (kprobes + raw tracepoints)\n"
		"      --no-latency         skip the clock reads (cheaper; no P50/P99/AVG)\n"
		"      --no-levels          do not hook kvm_mmu_set_spte (no 4K/2M/1G)\n"
		"      --lite               counts by class only: one hook per fault, no\n"
		"                           latency, page-ins or levels (fentry mode)\n"
		"      --max-vms N          VMs tracked at once, a power of two (default %d)\n"
		"      --max-slots N        (VM, memslot) pairs --slots counts (default %d);\n"
		"                           faults beyond are counted as lost (slots_full)\n"
		"      --max-regions N      (VM, region) pairs --regions counts (default %d);\n"
		"                           faults beyond are counted as lost (regions_full)\n"
		"  -v, --verbose            object checksum, hooks, drops, libbpf diagnostics\n"
		"  -h, --help               this help\n"
		"\n"
		"Columns (rates per second over the interval):\n"
		"  FAULTS/s  kvm_mmu_page_fault() calls\n"
		"  READ WRITE FETCH  by access; NOTPRES PROT RSVD  by the error code's\n"
		"  cause (no mapping, protection, reserved bits: a cached MMIO mapping)\n"
		"  MMIO  faults KVM handled as MMIO (RSVD, a new MMIO mapping, or an exit\n"
		"  to the VMM); WALK  faults on the guest's page-table walk (rest: final\n"
		"  translation); EXIT  faults that exited to the VMM\n"
		"  PAGEIN%%  faults during which the vCPU thread faulted host memory in;\n"
		"  MAJOR  of those, with I/O\n"
		"  4K 2M 1G  leaf mappings installed, by size\n"
		"  P50 P99 AVG  fault handler latency (percentiles from a log2 histogram)\n"
		"\n"
		"Each interval ends with a line \"lost: <reason> N, ...\": faults the probes\n"
		"could not count (n/a: this kernel does not report that reason).\n",
		FAULTS_TRACE_RATE_DEFAULT, FAULTS_MAX_VMS_DEFAULT, FAULTS_MAX_SLOTS,
		FAULTS_MAX_REGIONS);
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
	       OPT_NO_LATENCY, OPT_MAX_VMS, OPT_NO_LEVELS, OPT_LITE, OPT_SLOTS, OPT_TRACE,
	       OPT_TRACE_RATE, OPT_MAX_SLOTS, OPT_MAX_REGIONS };
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
		{ "max-vms", required_argument, NULL, OPT_MAX_VMS },
		{ "max-slots", required_argument, NULL, OPT_MAX_SLOTS },
		{ "max-regions", required_argument, NULL, OPT_MAX_REGIONS },
		{ "no-levels", no_argument, NULL, OPT_NO_LEVELS },
		{ "lite", no_argument, NULL, OPT_LITE },
		{ "slots", no_argument, NULL, OPT_SLOTS },
		{ "trace", no_argument, NULL, OPT_TRACE },
		{ "trace-rate", required_argument, NULL, OPT_TRACE_RATE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_interval = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->interval = 1;
	o->region_shift = 30;
	o->max_vms = FAULTS_MAX_VMS_DEFAULT;
	o->max_slots = FAULTS_MAX_SLOTS;
	o->max_regions = FAULTS_MAX_REGIONS;
	o->trace_rate = FAULTS_TRACE_RATE_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:i:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (mv_parse_seconds(optarg, 0, 86400 * 365, &o->duration)) {
				fprintf(stderr, "memvirt faults: bad duration '%s'\n", optarg);
				return 2;
			}
			break;
		case 'i':
			if (mv_parse_seconds(optarg, 0, 86400 * 365, &o->interval)) {
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
		case OPT_NO_LEVELS:
			o->no_levels = true;
			break;
		case OPT_LITE:
			o->lite = true;
			break;
		case OPT_SLOTS:
			o->slots = true;
			break;
		case OPT_TRACE:
			o->trace = true;
			break;
		case OPT_TRACE_RATE: {
			unsigned long v;
			char *end;

			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || end == optarg || *end || !v || v > 1000000) {
				fprintf(stderr, "memvirt faults: bad --trace-rate '%s' (1..1000000)\n",
					optarg);
				return 2;
			}
			o->trace_rate = v;
			break;
		}
		case OPT_MAX_VMS: {
			unsigned long v;
			char *end;

			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || end == optarg || *end || v < FAULTS_VM_PROBES || v > 65536 ||
			    (v & (v - 1))) {
				fprintf(stderr, "memvirt faults: bad --max-vms '%s' (power of two, %d..65536)\n",
					optarg, FAULTS_VM_PROBES);
				return 2;
			}
			o->max_vms = v;
			break;
		}
		case OPT_MAX_SLOTS:
		case OPT_MAX_REGIONS: {
			unsigned long v;
			char *end;

			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || end == optarg || *end || !v || v > FAULTS_MAX_TABLE) {
				fprintf(stderr, "memvirt faults: bad --%s '%s' (1..%d)\n",
					c == OPT_MAX_SLOTS ? "max-slots" : "max-regions", optarg,
					FAULTS_MAX_TABLE);
				return 2;
			}
			*(c == OPT_MAX_SLOTS ? &o->max_slots : &o->max_regions) = v;
			break;
		}
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
	if (o->lite && o->attach == ATTACH_KPROBE) {
		fprintf(stderr, "memvirt faults: --lite needs fentry (a kretprobe has no arguments)\n");
		return 2;
	}
	if (o->lite && o->slots) {
		fprintf(stderr, "memvirt faults: --lite and --slots exclude each other\n");
		return 2;
	}
	if (o->trace && !o->vm) {
		fprintf(stderr, "memvirt faults: --trace needs --vm ID (<pid>-<fd>, as 'memvirt faults' shows it)\n");
		return 2;
	}
	if (o->trace && (o->lite || strlen(o->vm) >= FAULTS_ID_LEN)) {
		fprintf(stderr, "memvirt faults: %s\n", o->lite ? "--trace and --lite exclude each other" :
			"--vm ID too long for --trace");
		return 2;
	}
	if (o->lite)
		o->no_latency = o->no_levels = true;
	if (o->duration && !have_interval && o->duration < o->interval)
		o->interval = o->duration;
	return 0;
}

/* --- the object's identity ----------------------------------------------- */

/*
 * SHA-256 (FIPS 180-4) of the BPF object embedded in this binary, so a test
 * can prove which build loaded: "memvirt faults -v" prints it, and it must
 * equal sha256sum of $(BUILD)/bpf/faults.bpf.o on every kernel.
 */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror32(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(a, h, sizeof(a));
	for (int i = 0; i < 64; i++) {
		uint32_t S1 = ror32(a[4], 6) ^ ror32(a[4], 11) ^ ror32(a[4], 25);
		uint32_t ch = (a[4] & a[5]) ^ (~a[4] & a[6]);
		uint32_t t1 = a[7] + S1 + ch + sha256_k[i] + w[i];
		uint32_t S0 = ror32(a[0], 2) ^ ror32(a[0], 13) ^ ror32(a[0], 22);
		uint32_t maj = (a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]);

		memmove(&a[1], &a[0], 7 * sizeof(a[0]));
		a[4] += t1;
		a[0] = t1 + S0 + maj;
	}
	for (int i = 0; i < 8; i++)
		h[i] += a[i];
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const unsigned char *p = data;
	unsigned char tail[128] = { 0 };
	size_t full = len / 64 * 64, rest = len - full, tlen;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t off = 0; off < full; off += 64)
		sha256_block(h, p + off);
	memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tlen = rest + 9 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tlen - 1 - i] = bits >> (8 * i);
	for (size_t off = 0; off < tlen; off += 64)
		sha256_block(h, tail + off);
	for (int i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", h[i]);
}

/* --- loading and attaching ---------------------------------------------- */

/*
 * Has the running kernel BTF for the function @name, in vmlinux or in the
 * kvm module? fentry needs it; a compiler may have cloned or inlined a
 * function (kvm_destroy_vm.constprop.0 in the KASAN debug kernel), and then
 * pahole leaves it out.
 */
static bool kernel_btf_has_func(const char *name)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *kvm;
	bool found;

	if (!vmlinux)
		return false;
	found = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) >= 0;
	if (!found) {
		kvm = btf__load_module_btf("kvm", vmlinux);
		found = kvm && btf__find_by_name_kind(kvm, name, BTF_KIND_FUNC) >= 0;
		btf__free(kvm);
	}
	btf__free(vmlinux);
	return found;
}

static void set_autoload(struct faults_bpf *skel, enum attach_mode mode, const struct opts *o,
			 bool destroy_kprobe)
{
	bool f = mode == ATTACH_FENTRY, k = mode == ATTACH_KPROBE;
	bool entry = !o->lite, levels = !o->no_levels;

	bpf_program__set_autoload(skel->progs.fentry_kvm_mmu_page_fault, f && entry);
	bpf_program__set_autoload(skel->progs.fexit_kvm_mmu_page_fault, f);
	bpf_program__set_autoload(skel->progs.tp_btf_kvm_mmu_set_spte, f && levels);
	bpf_program__set_autoload(skel->progs.tp_btf_mark_mmio_spte, f && entry);
	bpf_program__set_autoload(skel->progs.fentry_kvm_destroy_vm, f && !destroy_kprobe);
	bpf_program__set_autoload(skel->progs.tp_btf_kvm_mmu_spte_requested, f && o->slots);
	bpf_program__set_autoload(skel->progs.raw_tp_kvm_mmu_spte_requested, k && o->slots);
	bpf_program__set_autoload(skel->progs.kprobe_kvm_mmu_page_fault, k);
	bpf_program__set_autoload(skel->progs.kretprobe_kvm_mmu_page_fault, k);
	bpf_program__set_autoload(skel->progs.raw_tp_kvm_mmu_set_spte, k && levels);
	bpf_program__set_autoload(skel->progs.raw_tp_mark_mmio_spte, k);
	bpf_program__set_autoload(skel->progs.kprobe_kvm_destroy_vm, k || destroy_kprobe);
}

/* Links go in reverse order: the entry hook before the exit hook. */
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

		if (required)
			snprintf(st->why, sizeof(st->why), "cannot attach %s: %s", what,
				 strerror(-err));
		else if (st->o.verbose)
			fprintf(stderr, "memvirt faults: %s: cannot attach: %s\n",
				what, strerror(-err));
		return required ? err : 0;
	}
	st->link_kind[st->nlinks] = !strncmp(what, "kretprobe ", 10) ? LINK_KRETPROBE :
				    !strncmp(what, "kprobe ", 7) ? LINK_KPROBE : LINK_OTHER;
	st->links[st->nlinks++] = link;
	if (flag)
		*flag = true;
	return 0;
}

static bool link_missed(struct bpf_link *link, __u64 *missed);

static int try_method(struct state *st, enum attach_mode mode)
{
	bool f = mode == ATTACH_FENTRY;
	struct faults_bpf *skel;
	int err;

	st->method = attach_names[mode];
	st->levels = st->mmio_hook = st->destroy_hook = false;
	st->why[0] = load_why[0] = 0;
	load_verdict = false;
	skel = faults_bpf__open();
	if (!skel) {
		snprintf(st->why, sizeof(st->why), "cannot open the BPF object: %s",
			 strerror(errno));
		return -1;
	}
	skel->rodata->vm_mask = st->o.max_vms - 1;
	skel->rodata->vm_shift = 64 - __builtin_ctz(st->o.max_vms);
	skel->rodata->region_shift = st->o.region_shift;
	skel->rodata->track_regions = st->o.regions;
	skel->rodata->measure_latency = !st->o.no_latency;
	skel->rodata->track_pagein = !st->o.lite;
	skel->rodata->use_entry = !(st->o.lite && f);
	skel->rodata->track_levels = !st->o.no_levels;
	bpf_map__set_max_entries(skel->maps.vms, st->o.max_vms);
	bpf_map__set_max_entries(skel->maps.vm_stats, st->o.max_vms);
	bpf_map__set_max_entries(skel->maps.vm_regions, st->o.regions ? st->o.max_regions : 1);
	bpf_map__set_max_entries(skel->maps.vm_slots, st->o.slots ? st->o.max_slots : 1);
	if (st->o.trace) {
		skel->rodata->trace_on = true;
		skel->rodata->trace_rate = st->o.trace_rate;
		/* "<pid>-<fd>": the pid matches when BPF cannot read the debugfs name. */
		skel->rodata->trace_pid = strtoul(st->o.vm, NULL, 10);
		memcpy((char *)skel->rodata->trace_name, st->o.vm, strlen(st->o.vm) + 1);
	} else {
		bpf_map__set_max_entries(skel->maps.trace_rb, getpagesize());
	}
	/* The destroy hook only cleans up: a kprobe does where fentry cannot. */
	st->destroy_kprobe = f && !kernel_btf_has_func("kvm_destroy_vm");
	set_autoload(skel, mode, &st->o, st->destroy_kprobe);
	st->skel = skel;
	err = faults_bpf__load(skel);
	if (err) {
		snprintf(st->why, sizeof(st->why), "cannot load: %s%s%s", strerror(-err),
			 load_why[0] ? ": " : "", load_why);
		goto fail;
	}
	/*
	 * Exit before entry: a fault whose entry we saw always has its exit seen
	 * too, so no in-flight slot is left claimed.
	 */
	if ((err = attach_one(st, f ? skel->progs.fexit_kvm_mmu_page_fault :
				      skel->progs.kretprobe_kvm_mmu_page_fault,
			      f ? "fexit kvm_mmu_page_fault" : "kretprobe kvm_mmu_page_fault",
			      true, NULL)))
		goto fail;
	if (!st->o.no_levels)
		attach_one(st, f ? skel->progs.tp_btf_kvm_mmu_set_spte :
				   skel->progs.raw_tp_kvm_mmu_set_spte,
			   f ? "tp_btf kvm_mmu_set_spte" : "raw_tp kvm_mmu_set_spte", false,
			   &st->levels);
	if (st->o.slots &&
	    (err = attach_one(st, f ? skel->progs.tp_btf_kvm_mmu_spte_requested :
				      skel->progs.raw_tp_kvm_mmu_spte_requested,
			      f ? "tp_btf kvm_mmu_spte_requested" : "raw_tp kvm_mmu_spte_requested",
			      true, NULL)))
		goto fail;
	if (!(st->o.lite && f))
		attach_one(st, f ? skel->progs.tp_btf_mark_mmio_spte :
				   skel->progs.raw_tp_mark_mmio_spte,
			   f ? "tp_btf mark_mmio_spte" : "raw_tp mark_mmio_spte", false,
			   &st->mmio_hook);
	attach_one(st, f && !st->destroy_kprobe ? skel->progs.fentry_kvm_destroy_vm :
						 skel->progs.kprobe_kvm_destroy_vm,
		   f && !st->destroy_kprobe ? "fentry kvm_destroy_vm" : "kprobe kvm_destroy_vm",
		   false, &st->destroy_hook);
	if (!(st->o.lite && f) &&
	    (err = attach_one(st, f ? skel->progs.fentry_kvm_mmu_page_fault :
				      skel->progs.kprobe_kvm_mmu_page_fault,
			      f ? "fentry kvm_mmu_page_fault" : "kprobe kvm_mmu_page_fault",
			      true, NULL)))
		goto fail;
	st->pagein = !st->o.lite;
	/* Does the kernel report kprobe misses (and count kprobe programs')? */
	st->link_missed = false;
	for (int i = 0; i < st->nlinks && !f; i++) {
		__u64 m;

		if (st->link_kind[i] == LINK_KRETPROBE)
			st->link_missed = link_missed(st->links[i], &m);
	}
	return 0;
fail:
	detach(st);
	return -1;
}

static int setup(struct state *st)
{
	if (st->o.verbose) {
		size_t sz;
		const void *obj = faults_bpf__elf_bytes(&sz);
		char hex[65];

		sha256_hex(obj, sz, hex);
		fprintf(stderr, "memvirt faults: object faults.bpf.o sha256 %s (%zu bytes)\n",
			hex, sz);
	}
	if (st->o.attach != ATTACH_KPROBE) {
		if (!try_method(st, ATTACH_FENTRY))
			goto ok;
		/* One line: why the preferred method failed (-v: libbpf's whole log). */
		fprintf(stderr, "memvirt faults: fentry: %s%s%s\n", st->why,
			st->o.attach == ATTACH_AUTO ? "; falling back to kprobe" : "",
			st->o.verbose ? "" : " (-v for libbpf's log)");
		if (st->o.attach == ATTACH_FENTRY)
			return -1;
	}
	if (!try_method(st, ATTACH_KPROBE))
		goto ok;
	fprintf(stderr, "memvirt faults: kprobe: %s%s\n", st->why,
		st->o.verbose ? "" : " (-v for libbpf's log)");
	if (geteuid())
		fprintf(stderr, "memvirt faults: needs root (CAP_BPF and CAP_PERFMON)\n");
	else if (access("/sys/module/kvm", F_OK))
		fprintf(stderr, "memvirt faults: kvm is not loaded\n");
	return -1;
ok:
	if (st->o.quiet)
		return 0;
	fprintf(stderr, "memvirt faults: attached with %s (%s kvm_mmu_page_fault%s%s%s)\n",
		st->method, st->o.lite ? "fexit" :
		st->method[0] == 'f' ? "fentry/fexit" : "kprobe/kretprobe",
		st->levels ? ", kvm_mmu_set_spte" : ", no mapping levels",
		st->mmio_hook ? ", mark_mmio_spte" : "",
		st->destroy_hook ? ", kvm_destroy_vm" : ", no VM teardown");
	return 0;
}

/* --- reading the maps --------------------------------------------------- */

static struct vm *find_vm(struct state *st, __u32 idx)
{
	for (size_t i = 0; i < st->nvms; i++)
		if (st->vms[i].idx == idx)
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
	const __u64 *in = (const __u64 *)v;
	__u64 *o = (__u64 *)out;
	size_t n = sizeof(*out) / sizeof(__u64);

	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpus; c++)
		for (size_t i = 0; i < n; i++)
			o[i] += in[c * n + i];
}

static int read_vms(struct state *st)
{
	int sfd = bpf_map__fd(st->skel->maps.vm_stats);
	int vfd = bpf_map__fd(st->skel->maps.vms);
	struct faults_stats *vals;

	vals = calloc(st->ncpus, sizeof(*vals));
	if (!vals)
		return -1;
	for (size_t i = 0; i < st->nvms; i++)
		st->vms[i].present = false;
	for (__u32 idx = 0; idx < st->o.max_vms; idx++) {
		struct faults_vm ident;
		struct vm *vm;

		if (bpf_map_lookup_elem(vfd, &idx, &ident) || !ident.kvm ||
		    ident.state == FAULTS_VM_STATE_FREE)
			continue;
		if (bpf_map_lookup_elem(sfd, &idx, vals))
			continue;
		vm = find_vm(st, idx);
		if (vm && vm->ident.gen != ident.gen) {
			/* Another VM in the same entry (teardown not seen): start over. */
			memset(&vm->prev, 0, sizeof(vm->prev));
			vm->id[0] = 0;
		}
		if (!vm) {
			struct vm *n = realloc(st->vms, (st->nvms + 1) * sizeof(*n));

			if (!n)
				break;
			st->vms = n;
			vm = &st->vms[st->nvms++];
			memset(vm, 0, sizeof(*vm));
			vm->idx = idx;
		}
		vm->ident = ident;
		vm->present = true;
		sum_percpu(&vm->cur, vals, st->ncpus);
		if (mv_delta_u64((__u64 *)&vm->d, (const __u64 *)&vm->cur,
				 (const __u64 *)&vm->prev, sizeof(vm->d) / sizeof(__u64)))
			st->resets++;
		if (!vm->id[0])
			resolve_id(vm);
	}
	free(vals);
	return 0;
}

static int cmp_region(const void *a, const void *b)
{
	const struct region *x = a, *y = b;

	if (x->key.vm != y->key.vm)
		return x->key.vm < y->key.vm ? -1 : 1;
	if (x->key.region != y->key.region)
		return x->key.region < y->key.region ? -1 : 1;
	return 0;
}

static int cmp_slot(const void *a, const void *b)
{
	const struct slotrec *x = a, *y = b;

	if (x->key.vm != y->key.vm)
		return x->key.vm < y->key.vm ? -1 : 1;
	if (x->key.as_id != y->key.as_id)
		return x->key.as_id < y->key.as_id ? -1 : 1;
	return x->key.id < y->key.id ? -1 : x->key.id > y->key.id;
}

/* Sum a region's per-CPU values into @cur. */
static void fold_region(void *cur, const void *vals, int ncpus)
{
	const struct faults_region *v = vals;
	struct faults_region *c = cur;

	for (int i = 0; i < ncpus; i++) {
		c->faults += v[i].faults;
		c->pagein += v[i].pagein;
	}
}

/* Sum a memslot's per-CPU values; the GPA range as some CPU last saw it. */
static void fold_slot(void *cur, const void *vals, int ncpus)
{
	const struct faults_slot *v = vals;
	struct faults_slot *c = cur;

	for (int i = 0; i < ncpus; i++) {
		c->faults += v[i].faults;
		c->pagein += v[i].pagein;
		if (v[i].npages) {
			c->base_gfn = v[i].base_gfn;
			c->npages = v[i].npages;
		}
	}
}

/*
 * A per-CPU hash map read into a sorted array of records { key; prev; cur; d;
 * present }: struct region for vm_regions, struct slotrec for vm_slots. The
 * first ncounters __u64 of a value are counters: d gets their growth.
 */
struct keyed_map {
	size_t rec_size, key_size, val_size;	/* val_size: one CPU's value */
	size_t prev_off, cur_off, d_off, present_off;	/* in a record */
	size_t ncounters;
	int (*cmp)(const void *, const void *);
	void (*fold)(void *cur, const void *vals, int ncpus);
};

_Static_assert(offsetof(struct region, key) == 0 && offsetof(struct slotrec, key) == 0,
	       "read_keyed() finds a record's key at its start");

_Static_assert(offsetof(struct faults_region, pagein) == sizeof(__u64) &&
	       offsetof(struct faults_slot, pagein) == sizeof(__u64),
	       "faults, pagein: the counters, first in a region's and a slot's value");

static const struct keyed_map region_map = {
	.rec_size = sizeof(struct region), .key_size = sizeof(struct faults_region_key),
	.val_size = sizeof(struct faults_region), .prev_off = offsetof(struct region, prev),
	.cur_off = offsetof(struct region, cur), .d_off = offsetof(struct region, d),
	.present_off = offsetof(struct region, present), .ncounters = 2,
	.cmp = cmp_region, .fold = fold_region,
};

static const struct keyed_map slot_map = {
	.rec_size = sizeof(struct slotrec), .key_size = sizeof(struct faults_slot_key),
	.val_size = sizeof(struct faults_slot), .prev_off = offsetof(struct slotrec, prev),
	.cur_off = offsetof(struct slotrec, cur), .d_off = offsetof(struct slotrec, d),
	.present_off = offsetof(struct slotrec, present), .ncounters = 2,
	.cmp = cmp_slot, .fold = fold_slot,
};

/*
 * Refresh *@recs (*@n records, sorted by key) from the map @fd: every key in
 * the map gets a record (new ones zeroed, so prev = 0) with .cur summed over
 * CPUs, .d its growth and .present set; records of keys gone from the map
 * stay, not present. Records that restarted are counted in *@resets.
 */
static int read_keyed(const struct keyed_map *km, int fd, int ncpus, void **recs, size_t *n,
		      __u64 *resets)
{
	char key[64], next[64], *rec, *probe;
	size_t old = *n;
	bool first = true;
	void *vals;

	if (km->key_size > sizeof(key))
		return -1;
	vals = calloc(ncpus, km->val_size);
	probe = calloc(1, km->rec_size);
	if (!vals || !probe) {
		free(vals);
		free(probe);
		return -1;
	}
	for (size_t i = 0; i < *n; i++)
		*((bool *)((char *)*recs + i * km->rec_size + km->present_off)) = false;
	while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		memcpy(key, next, km->key_size);
		first = false;
		if (bpf_map_lookup_elem(fd, key, vals))
			continue;
		memcpy(probe, key, km->key_size);
		rec = old ? bsearch(probe, *recs, old, km->rec_size, km->cmp) : NULL;
		if (!rec) {
			char *grown = realloc(*recs, (*n + 1) * km->rec_size);

			if (!grown)
				break;
			*recs = grown;
			rec = grown + (*n)++ * km->rec_size;
			memset(rec, 0, km->rec_size);
			memcpy(rec, key, km->key_size);
		}
		*(bool *)(rec + km->present_off) = true;
		memset(rec + km->cur_off, 0, km->val_size);
		km->fold(rec + km->cur_off, vals, ncpus);
		if (mv_delta_u64((__u64 *)(rec + km->d_off), (const __u64 *)(rec + km->cur_off),
				 (const __u64 *)(rec + km->prev_off), km->ncounters))
			(*resets)++;
	}
	free(vals);
	free(probe);
	if (*n)
		qsort(*recs, *n, km->rec_size, km->cmp);
	return 0;
}

static int read_regions(struct state *st)
{
	if (!st->o.regions)
		return 0;
	return read_keyed(&region_map, bpf_map__fd(st->skel->maps.vm_regions), st->ncpus,
			  (void **)&st->regions, &st->nregions, &st->resets);
}

static int read_slots(struct state *st)
{
	if (!st->o.slots)
		return 0;
	return read_keyed(&slot_map, bpf_map__fd(st->skel->maps.vm_slots), st->ncpus,
			  (void **)&st->slots, &st->nslots, &st->resets);
}

/* --- losses -------------------------------------------------------------- */

const struct mv_loss_desc mv_loss_desc[MV_LOST_NR] = {
	[MV_LOST_VM_TABLE_FULL] = { "vm_table_full",
		"faults of VMs beyond --max-vms (the VM table full)" },
	[MV_LOST_INFLIGHT_FULL] = { "inflight_full",
		"faults entered while the in-flight table (1024 threads) was full" },
	[MV_LOST_EXITS_MISSED] = { "exits_missed",
		"faults whose exit hook never ran (kretprobe or fexit missed), seen at "
		"the thread's next fault" },
	[MV_LOST_SLOTS_FULL] = { "slots_full",
		"faults not counted per memslot: the slot table (--max-slots) full" },
	[MV_LOST_REGIONS_FULL] = { "regions_full",
		"faults not counted per GPA region: the region table (--max-regions) full" },
	[MV_LOST_RECURSION_MISSED] = { "recursion_missed",
		"program runs the kernel skipped to avoid recursion "
		"(bpf_prog_info.recursion_misses, all programs)" },
	[MV_LOST_KPROBE_MISSED] = { "kprobe_missed",
		"kprobe hits the kernel skipped (a kprobe already running on the CPU)" },
	[MV_LOST_KRETPROBE_MISSED] = { "kretprobe_missed",
		"kretprobe hits and returns the kernel skipped (no free instance: "
		"maxactive; or a kprobe already running)" },
	[MV_LOST_COUNTER_RESETS] = { "counter_resets",
		"counter records found restarted (an entry recreated between two reads): "
		"counts before the restart in that interval are lost" },
};

bool mv_delta_u64(unsigned long long *d, const unsigned long long *cur,
		  const unsigned long long *prev, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cur[i] < prev[i])
			break;
	if (i < n) {
		memmove(d, cur, n * sizeof(*d));
		return true;
	}
	for (i = 0; i < n; i++)
		d[i] = cur[i] - prev[i];
	return false;
}

/*
 * struct bpf_link_info up to perf_event.kprobe.missed as v6.7 laid it out
 * (the build host's <linux/bpf.h> may be older). The kernel copies back as
 * much as it knows and says how much in info_len: 6.1's is shorter, and it
 * fills nothing in for perf-event links (no fill_link_info before v6.6).
 */
struct link_info_kprobe {
	__u32 type, id, prog_id, pad;
	__u32 perf_type, pad2;		/* perf_event.type */
	__u64 func_name;
	__u32 name_len, offset;
	__u64 addr;
	__u64 missed;
};

#define LINK_TYPE_PERF_EVENT	7	/* BPF_LINK_TYPE_PERF_EVENT */
#define PERF_EVENT_KPROBE	3	/* BPF_PERF_EVENT_KPROBE */
#define PERF_EVENT_KRETPROBE	4	/* BPF_PERF_EVENT_KRETPROBE */

/* The misses of a kprobe or kretprobe link; false if the kernel does not say. */
static bool link_missed(struct bpf_link *link, __u64 *missed)
{
	struct link_info_kprobe info;
	__u32 len = sizeof(info);
	int fd = bpf_link__fd(link);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    len < offsetof(struct link_info_kprobe, missed) + sizeof(info.missed) ||
	    info.type != LINK_TYPE_PERF_EVENT ||
	    (info.perf_type != PERF_EVENT_KPROBE && info.perf_type != PERF_EVENT_KRETPROBE))
		return false;
	*missed = info.missed;
	return true;
}

/* bpf_prog_info.recursion_misses summed over our loaded programs (v5.12+). */
static bool prog_recursion(const struct state *st, __u64 *sum)
{
	const size_t need = offsetof(struct bpf_prog_info, recursion_misses) +
			    sizeof(((struct bpf_prog_info *)0)->recursion_misses);
	struct bpf_program *prog;
	bool ok = true;

	*sum = 0;
	bpf_object__for_each_program(prog, st->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)		/* not loaded in this mode */
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || len < need)
			ok = false;
		else
			*sum += info.recursion_misses;
	}
	return ok;
}

/*
 * Reads every loss counter, cumulative, and its growth since the last
 * report. What applies and what the kernel reports:
 * - the "lost" map's reasons, ours, on every kernel;
 * - recursion misses: trampolines (fentry/fexit) and BTF/raw tracepoints
 *   count them on 6.1 and 6.12; kprobe programs only since v6.7
 *   (trace_call_bpf(), the series that also put "missed" in the kprobe
 *   link info), so in kprobe mode they are n/a without that;
 * - kprobe and kretprobe misses (the kretprobe's include maxactive): the
 *   perf-event link info, v6.7+. libbpf creates kprobes through the perf
 *   PMU, which tracefs's kprobe_profile does not list.
 * The counter_resets entry is the number of records mv_delta_u64() found
 * restarted (read_vms(), read_keyed()): read after them.
 */
static void read_losses(struct state *st)
{
	static const int ours[FAULTS_LOST_NR] = {
		[FAULTS_LOST_NO_VM] = MV_LOST_VM_TABLE_FULL,
		[FAULTS_LOST_NO_INFLIGHT] = MV_LOST_INFLIGHT_FULL,
		[FAULTS_LOST_EXIT] = MV_LOST_EXITS_MISSED,
		[FAULTS_LOST_SLOT] = MV_LOST_SLOTS_FULL,
		[FAULTS_LOST_REGION] = MV_LOST_REGIONS_FULL,
	};
	bool kprobe = st->method[0] == 'k', entry = kprobe || !st->o.lite;
	struct faults_lost *v = calloc(st->ncpus, sizeof(*v));
	unsigned char *state = st->loss_state;
	__u64 *cur = st->loss_cur, missed[3] = { 0 }, rec;	/* missed[enum link_kind] */
	bool known[3] = { true, true, true }, rec_known;
	__u32 zero = 0;

	if (v && !bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.lost), &zero, v))
		for (int r = 0; r < FAULTS_LOST_NR; r++) {
			cur[ours[r]] = 0;
			for (int c = 0; c < st->ncpus; c++)
				cur[ours[r]] += v[c].n[r];
		}
	free(v);
	state[MV_LOST_VM_TABLE_FULL] = MV_LOSS_OK;
	state[MV_LOST_INFLIGHT_FULL] = entry ? MV_LOSS_OK : MV_LOSS_OFF;
	state[MV_LOST_EXITS_MISSED] = entry ? MV_LOSS_OK : MV_LOSS_OFF;
	state[MV_LOST_SLOTS_FULL] = st->o.slots ? MV_LOSS_OK : MV_LOSS_OFF;
	state[MV_LOST_REGIONS_FULL] = st->o.regions ? MV_LOSS_OK : MV_LOSS_OFF;

	rec_known = prog_recursion(st, &rec) && (!kprobe || st->link_missed);
	for (int i = 0; i < st->nlinks; i++) {
		int k = st->link_kind[i];
		__u64 m;

		if (k == LINK_OTHER)
			continue;
		if (link_missed(st->links[i], &m))
			missed[k] += m;
		else
			known[k] = false;
	}
	cur[MV_LOST_RECURSION_MISSED] = rec;
	state[MV_LOST_RECURSION_MISSED] = rec_known ? MV_LOSS_OK : MV_LOSS_NA;
	cur[MV_LOST_KPROBE_MISSED] = missed[LINK_KPROBE];
	cur[MV_LOST_KRETPROBE_MISSED] = missed[LINK_KRETPROBE];
	state[MV_LOST_KPROBE_MISSED] = !kprobe ? MV_LOSS_OFF :
				       known[LINK_KPROBE] ? MV_LOSS_OK : MV_LOSS_NA;
	state[MV_LOST_KRETPROBE_MISSED] = !kprobe ? MV_LOSS_OFF :
					  known[LINK_KRETPROBE] ? MV_LOSS_OK : MV_LOSS_NA;

	for (int i = 0; i < MV_LOST_NR; i++) {
		if (i == MV_LOST_COUNTER_RESETS)
			continue;
		if (state[i] != MV_LOSS_OK)
			cur[i] = 0;
		if (mv_delta_u64(&st->loss_d[i], &cur[i], &st->loss_prev[i], 1))
			st->resets++;
	}
	cur[MV_LOST_COUNTER_RESETS] = st->resets;
	state[MV_LOST_COUNTER_RESETS] = MV_LOSS_OK;
	mv_delta_u64(&st->loss_d[MV_LOST_COUNTER_RESETS], &cur[MV_LOST_COUNTER_RESETS],
		     &st->loss_prev[MV_LOST_COUNTER_RESETS], 1);
}

static void losses_of(const struct state *st, bool total, struct mv_fault_losses *l)
{
	for (int i = 0; i < MV_LOST_NR; i++) {
		l->state[i] = st->loss_state[i];
		l->n[i] = st->loss_state[i] != MV_LOSS_OK ? 0 :
			  total ? st->loss_cur[i] : st->loss_d[i];
	}
}

void mv_fmt_losses(char *buf, size_t len, const struct mv_fault_losses *l, bool compact)
{
	unsigned long long total = 0;
	size_t off = 0;
	bool first = true, na = false;

#define PUT(...) do {							\
		int w_ = snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__); \
		off += w_ > 0 ? (size_t)w_ : 0;				\
	} while (0)

	if (len)
		buf[0] = 0;
	for (int i = 0; i < MV_LOST_NR; i++)
		if (l->state[i] == MV_LOSS_OK && i != MV_LOST_COUNTER_RESETS)
			total += l->n[i];
	if (compact)
		PUT("%llu", total);
	for (int i = 0; i < MV_LOST_NR; i++) {
		if (l->state[i] == MV_LOSS_OFF)
			continue;
		na |= l->state[i] == MV_LOSS_NA;
		if (compact && (l->state[i] != MV_LOSS_OK || !l->n[i]))
			continue;
		if (l->state[i] == MV_LOSS_OK)
			PUT("%s%s %llu", first ? (compact ? " (" : "") : ", ", mv_loss_desc[i].key,
			    l->n[i]);
		else
			PUT("%s%s n/a", first ? "" : ", ", mv_loss_desc[i].key);
		first = false;
	}
	if (compact && !first)
		PUT(")");
	if (compact && na) {
		first = true;
		PUT("; n/a:");
		for (int i = 0; i < MV_LOST_NR; i++)
			if (l->state[i] == MV_LOSS_NA) {
				PUT("%s%s", first ? " " : ", ", mv_loss_desc[i].key);
				first = false;
			}
	} else if (na) {
		PUT(" (n/a: not reported by this kernel)");
	}
#undef PUT
	if (len && off >= len)
		buf[len - 1] = 0;
}

/* "lost":{"<reason>":N|null,...}: the interval's losses; null: n/a. */
static void print_losses_json(const struct state *st)
{
	struct mv_fault_losses l;
	bool first = true;

	losses_of(st, false, &l);
	printf("\"lost\":{");
	for (int i = 0; i < MV_LOST_NR; i++) {
		if (l.state[i] == MV_LOSS_OFF)
			continue;
		printf("%s\"%s\":", first ? "" : ",", mv_loss_desc[i].key);
		if (l.state[i] == MV_LOSS_OK)
			printf("%llu", l.n[i]);
		else
			printf("null");
		first = false;
	}
	printf("},");
}

/* --- reporting ---------------------------------------------------------- */

static void trace_counts(struct state *st, __u64 d[3]);

static void summarize(const struct faults_stats *d, __u64 s[S_NR])
{
	memset(s, 0, S_NR * sizeof(s[0]));
	for (unsigned int a = 0; a < FA_NR; a++)
		for (unsigned int k = 0; k < FK_NR; k++)
			for (unsigned int g = 0; g < FS_NR; g++)
				for (unsigned int r = 0; r < FR_NR; r++) {
					__u64 n = d->cls[faults_class(a, k, g, r)];

					s[S_FAULTS] += n;
					s[S_READ + a] += n;
					s[S_NOTPRES + k] += n;
					if (g == FS_FINAL)
						s[S_FINAL] += n;
					else if (g == FS_WALK)
						s[S_WALK] += n;
					s[S_RESUME + r] += n;
				}
	s[S_MMIO] = d->mmio;
	s[S_PAGEIN] = d->pagein;
	s[S_PAGEIN_MAJOR] = d->pagein_major;
	s[S_HOST_FAULTS] = d->host_faults;
	s[S_MAP_4K] = d->spte[FL_4K];
	s[S_MAP_2M] = d->spte[FL_2M];
	s[S_MAP_1G] = d->spte[FL_1G];
	s[S_MAP_OTHER] = d->spte[FL_OTHER];
	s[S_MAP_NONE] = d->no_spte;
	for (int i = 0; i < FAULTS_HIST_SLOTS; i++)
		s[S_HIST] += d->hist[i];
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

void mv_fmt_ns(char *buf, size_t len, double ns)
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

void mv_fmt_rate(char *buf, size_t len, unsigned long long n, double secs)
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

enum col_kind { COL_RATE, COL_VM, COL_PID, COL_PAGEIN, COL_P50, COL_P99, COL_AVG };

static const struct {
	const char *name;
	enum col_kind kind;
	int sum;		/* COL_RATE: enum sum */
} table_cols[] = {
	{ "VM", COL_VM, 0 }, { "PID", COL_PID, 0 }, { "FAULTS/s", COL_RATE, S_FAULTS },
	{ "READ", COL_RATE, S_READ }, { "WRITE", COL_RATE, S_WRITE },
	{ "FETCH", COL_RATE, S_FETCH }, { "NOTPRES", COL_RATE, S_NOTPRES },
	{ "PROT", COL_RATE, S_PROT }, { "RSVD", COL_RATE, S_RSVD }, { "MMIO", COL_RATE, S_MMIO },
	{ "WALK", COL_RATE, S_WALK }, { "EXIT", COL_RATE, S_EXIT }, { "PAGEIN%", COL_PAGEIN, 0 },
	{ "MAJOR", COL_RATE, S_PAGEIN_MAJOR }, { "4K", COL_RATE, S_MAP_4K },
	{ "2M", COL_RATE, S_MAP_2M }, { "1G", COL_RATE, S_MAP_1G },
	{ "P50", COL_P50, 0 }, { "P99", COL_P99, 0 }, { "AVG", COL_AVG, 0 },
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
		__u64 f = r->d.faults, p = r->d.pagein;
		__u64 lo, hi;

		if (r->key.vm != vm->idx || !f)
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

static void print_slots_text(struct state *st, const struct vm *vm)
{
	bool header = false;

	for (size_t i = 0; i < st->nslots; i++) {
		const struct slotrec *r = &st->slots[i];
		__u64 f = r->d.faults, p = r->d.pagein;
		unsigned long long lo = r->cur.base_gfn << 12;

		if (r->key.vm != vm->idx || !f)
			continue;
		if (!header) {
			printf("\nVM %s: faults by memslot\n%4s %4s %-37s %10s %10s\n", vm->id,
			       "AS", "SLOT", "GPA", "FAULTS", "PAGEIN");
			header = true;
		}
		printf("%4u %4d 0x%016llx-0x%016llx %10llu %10llu\n", r->key.as_id, r->key.id,
		       lo, lo + (r->cur.npages << 12) - 1, (unsigned long long)f,
		       (unsigned long long)p);
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
		__u64 s[S_NR];

		if (!vm->present || !selected(st, vm))
			continue;
		d = vm->d;
		summarize(&d, s);
		ln = scols_table_new_line(tb, NULL);
		if (!ln)
			break;
		shown++;
		for (size_t c = 0; c < ncols; c++) {
			int k = table_cols[c].sum;

			switch (table_cols[c].kind) {
			case COL_RATE:
				if (k >= S_MAP_4K && k <= S_MAP_1G && !st->levels)
					snprintf(buf, sizeof(buf), "-");
				else
					mv_fmt_rate(buf, sizeof(buf), s[k], secs);
				break;
			case COL_VM:
				snprintf(buf, sizeof(buf), "%s", vm->id);
				break;
			case COL_PID:
				snprintf(buf, sizeof(buf), "%u", vm->ident.pid);
				break;
			case COL_PAGEIN:
				if (!st->pagein || !s[S_FAULTS])
					snprintf(buf, sizeof(buf), "-");
				else
					snprintf(buf, sizeof(buf), "%.1f",
						 100.0 * s[S_PAGEIN] / s[S_FAULTS]);
				break;
			case COL_P50:
				mv_fmt_ns(buf, sizeof(buf), hist_percentile(&d, 0.50));
				break;
			case COL_P99:
				mv_fmt_ns(buf, sizeof(buf), hist_percentile(&d, 0.99));
				break;
			case COL_AVG:
				mv_fmt_ns(buf, sizeof(buf), s[S_HIST] ? (double)d.lat_ns / s[S_HIST] : 0);
				break;
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
	{
		struct mv_fault_losses l;
		char lost[512];

		losses_of(st, false, &l);
		mv_fmt_losses(lost, sizeof(lost), &l, false);
		printf("lost: %s\n", lost);
	}
	for (size_t i = 0; i < st->nvms; i++) {
		struct vm *vm = &st->vms[i];
		struct faults_stats d;

		if (!vm->present || !selected(st, vm))
			continue;
		d = vm->d;
		if (st->o.hist)
			print_hist(vm, &d);
		if (st->o.regions)
			print_regions_text(st, vm);
		if (st->o.slots)
			print_slots_text(st, vm);
	}
	if (st->o.trace) {
		__u64 d[3];

		trace_counts(st, d);
		printf("trace %s: %llu events, %llu dropped (over %u/s), %llu lost (ring buffer full)\n",
		       st->o.vm, (unsigned long long)d[0], (unsigned long long)d[1],
		       st->o.trace_rate, (unsigned long long)d[2]);
	}
	return 0;
}

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

/* --- --trace: the event stream ------------------------------------------ */

static const char *const access_names[FA_NR] = { "read", "write", "fetch" };
static const char *const cause_names[FK_NR] = { "not_present", "protection", "rsvd" };

/* The largest mapping the fault installed: "4K", "2M", "1G", "other", "mmio" or "-". */
static const char *event_level(const struct faults_event *e)
{
	if (e->spte[FL_1G])
		return "1G";
	if (e->spte[FL_2M])
		return "2M";
	if (e->spte[FL_4K])
		return "4K";
	if (e->spte[FL_OTHER])
		return "other";
	return e->mmio ? "mmio" : "-";
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct state *st = ctx;
	const struct faults_event *e = data;
	const char *access, *cause, *stage, *result;
	double t;

	if (len < sizeof(*e))
		return 0;
	st->trace_events++;
	t = e->ts_ns / 1e9 - st->t0;
	access = access_names[e->err & FAULTS_PFERR_FETCH ? FA_FETCH :
			      e->err & FAULTS_PFERR_WRITE ? FA_WRITE : FA_READ];
	cause = cause_names[e->err & FAULTS_PFERR_RSVD ? FK_RSVD :
			    e->err & FAULTS_PFERR_PRESENT ? FK_PROT : FK_NOT_PRESENT];
	stage = e->err & FAULTS_PFERR_GUEST_FINAL ? "final" :
		e->err & FAULTS_PFERR_GUEST_PAGE ? "walk" : "-";
	result = e->ret > 0 ? "resumed" : e->ret == 0 ? "exit_to_vmm" : "error";
	if (st->o.json) {
		printf("{\"time\":%.6f,\"vm\":", t);
		json_string(st->o.vm);
		printf(",\"vcpu\":%d,\"gpa\":%llu,\"error_code\":\"%#llx\",\"access\":\"%s\","
		       "\"cause\":\"%s\",\"stage\":\"%s\",\"result\":\"%s\",\"ret\":%d,"
		       "\"level\":\"%s\",\"host_faults\":%u",
		       e->vcpu_id, (unsigned long long)e->gpa, (unsigned long long)e->err, access,
		       cause, stage, result, e->ret, event_level(e), e->host_faults);
		if (!st->o.no_latency)
			printf(",\"latency_ns\":%llu", (unsigned long long)e->lat_ns);
		printf("}\n");
	} else {
		char lat[32];

		if (st->trace_events == 1)
			printf("%-12s %-12s %4s %-18s %-12s %-5s %-11s %-5s %-11s %-5s %6s %8s\n",
			       "TIME(s)", "VM", "VCPU", "GPA", "ERROR", "ACCESS", "CAUSE", "STAGE",
			       "RESULT", "MAP", "HOSTPF", "LATENCY");
		mv_fmt_ns(lat, sizeof(lat), st->o.no_latency ? 0 : (double)e->lat_ns);
		printf("%-12.6f %-12s %4d 0x%016llx %-12llx %-5s %-11s %-5s %-11s %-5s %6u %8s\n",
		       t, st->o.vm, e->vcpu_id, (unsigned long long)e->gpa,
		       (unsigned long long)e->err, access, cause, stage, result, event_level(e),
		       e->host_faults, lat);
	}
	return 0;
}

/* This interval's events, dropped (over the budget) and lost (ring full). */
static void trace_counts(struct state *st, __u64 d[3])
{
	__u64 now[3] = { st->trace_events, st->skel->bss->trace_dropped,
			 st->skel->bss->trace_lost };

	for (int i = 0; i < 3; i++) {
		if (mv_delta_u64(&d[i], &now[i], &st->trace_prev[i], 1))
			st->resets++;
		st->trace_prev[i] = now[i];
	}
}

/* "classes":{"<access>_<cause>":N,...}: the joint counts, non-zero only. */
static void print_classes_json(const struct faults_stats *d)
{
	const char *const *access = access_names, *const *cause = cause_names;
	bool first = true;

	printf(",\"classes\":{");
	for (unsigned int a = 0; a < FA_NR; a++)
		for (unsigned int k = 0; k < FK_NR; k++) {
			__u64 n = 0;

			for (unsigned int g = 0; g < FS_NR; g++)
				for (unsigned int r = 0; r < FR_NR; r++)
					n += d->cls[faults_class(a, k, g, r)];
			if (!n)
				continue;
			printf("%s\"%s_%s\":%llu", first ? "" : ",", access[a], cause[k],
			       (unsigned long long)n);
			first = false;
		}
	printf("}");
}

static int report_json(struct state *st, double secs)
{
	bool first = true;

	/* "dropped": since start, the faults no VM counted (tables full). */
	printf("{\"interval\":%.3f,\"attach\":\"%s\",\"pagein\":%s,\"levels\":%s,"
	       "\"dropped\":%llu,",
	       secs, st->method, st->pagein ? "true" : "false", st->levels ? "true" : "false",
	       (unsigned long long)(st->loss_cur[MV_LOST_VM_TABLE_FULL] +
				    st->loss_cur[MV_LOST_INFLIGHT_FULL]));
	print_losses_json(st);
	if (st->o.trace) {
		__u64 d[3];

		trace_counts(st, d);
		printf("\"trace\":{\"rate_limit\":%u,\"events\":%llu,\"dropped\":%llu,"
		       "\"lost\":%llu,\"vm\":", st->o.trace_rate, (unsigned long long)d[0],
		       (unsigned long long)d[1], (unsigned long long)d[2]);
		json_string(st->o.vm);
		printf("},");
	}
	printf("\"vms\":[");
	for (size_t i = 0; i < st->nvms; i++) {
		struct vm *vm = &st->vms[i];
		struct faults_stats d;
		bool rfirst = true;
		__u64 s[S_NR];

		if (!vm->present || !selected(st, vm))
			continue;
		d = vm->d;
		summarize(&d, s);
		printf("%s{\"vm\":", first ? "" : ",");
		first = false;
		json_string(vm->id);
		printf(",\"pid\":%u,\"alive\":%s,\"rate\":%.3f", vm->ident.pid,
		       vm->ident.state == FAULTS_VM_STATE_DEAD ? "false" : "true",
		       s[S_FAULTS] / secs);
		for (int k = 0; k < S_NR; k++)
			printf(",\"%s\":%llu", sum_names[k], (unsigned long long)s[k]);
		print_classes_json(&d);
		printf(",\"latency_ns\":{\"avg\":%.0f,\"p50\":%.0f,\"p99\":%.0f,\"log2_hist\":[",
		       s[S_HIST] ? (double)d.lat_ns / s[S_HIST] : 0.0,
		       hist_percentile(&d, 0.5), hist_percentile(&d, 0.99));
		for (int h = 0; h < FAULTS_HIST_SLOTS; h++)
			printf("%s%llu", h ? "," : "", (unsigned long long)d.hist[h]);
		printf("]}");
		if (st->o.regions) {
			printf(",\"region_size\":%llu,\"regions\":[", 1ULL << st->o.region_shift);
			for (size_t r = 0; r < st->nregions; r++) {
				const struct region *rg = &st->regions[r];
				__u64 f = rg->d.faults;

				if (rg->key.vm != vm->idx || !f)
					continue;
				printf("%s{\"gpa\":%llu,\"faults\":%llu,\"pagein\":%llu}",
				       rfirst ? "" : ",",
				       (unsigned long long)(rg->key.region << st->o.region_shift),
				       (unsigned long long)f,
				       (unsigned long long)rg->d.pagein);
				rfirst = false;
			}
			printf("]");
		}
		if (st->o.slots) {
			bool sfirst = true;

			printf(",\"slots\":[");
			for (size_t k = 0; k < st->nslots; k++) {
				const struct slotrec *r = &st->slots[k];
				__u64 f = r->d.faults;

				if (r->key.vm != vm->idx || !f)
					continue;
				printf("%s{\"as\":%u,\"slot\":%d,\"gpa\":%llu,\"size\":%llu,"
				       "\"faults\":%llu,\"pagein\":%llu}", sfirst ? "" : ",",
				       r->key.as_id, r->key.id,
				       (unsigned long long)(r->cur.base_gfn << 12),
				       (unsigned long long)(r->cur.npages << 12),
				       (unsigned long long)f,
				       (unsigned long long)r->d.pagein);
				sfirst = false;
			}
			printf("]");
		}
		printf("}");
	}
	printf("]}\n");
	return 0;
}

/*
 * Roll cur into prev. A VM reported dead gives its entry back: its regions
 * and slots deleted, stats zeroed, then .kvm = 0 lets BPF claim the entry
 * again. Records of a VM not read yet (claimed after read_vms()) stay: the
 * next round reads them, nothing of theirs is deleted.
 */
static void advance(struct state *st)
{
	int sfd = bpf_map__fd(st->skel->maps.vm_stats);
	int vfd = bpf_map__fd(st->skel->maps.vms);
	int rfd = bpf_map__fd(st->skel->maps.vm_regions);
	struct faults_stats *zero = calloc(st->ncpus, sizeof(*zero));
	static const struct faults_vm free_vm;
	size_t n = 0;

	for (size_t i = 0; i < st->nregions; i++) {
		struct region *r = &st->regions[i];
		struct vm *vm = find_vm(st, r->key.vm);

		if (!r->present || (vm && (!vm->present ||
					   vm->ident.state == FAULTS_VM_STATE_DEAD))) {
			bpf_map_delete_elem(rfd, &r->key);
			continue;
		}
		if (vm)			/* else not reported yet: keep prev */
			r->prev = r->cur;
		st->regions[n++] = *r;
	}
	st->nregions = n;
	n = 0;
	for (size_t i = 0; i < st->nslots; i++) {
		struct slotrec *r = &st->slots[i];
		struct vm *vm = find_vm(st, r->key.vm);

		if (!r->present || (vm && (!vm->present ||
					   vm->ident.state == FAULTS_VM_STATE_DEAD))) {
			bpf_map_delete_elem(bpf_map__fd(st->skel->maps.vm_slots), &r->key);
			continue;
		}
		if (vm)			/* else not reported yet: keep prev */
			r->prev = r->cur;
		st->slots[n++] = *r;
	}
	st->nslots = n;
	n = 0;
	for (size_t i = 0; i < st->nvms; i++) {
		struct vm *vm = &st->vms[i];

		if (!vm->present)
			continue;
		if (vm->ident.state == FAULTS_VM_STATE_DEAD) {
			if (zero && !bpf_map_update_elem(sfd, &vm->idx, zero, BPF_ANY))
				bpf_map_update_elem(vfd, &vm->idx, &free_vm, BPF_ANY);
			continue;
		}
		vm->prev = vm->cur;
		st->vms[n++] = *vm;
	}
	st->nvms = n;
	free(zero);
	memcpy(st->loss_prev, st->loss_cur, sizeof(st->loss_prev));
}

/* Until @t, printing --trace events as they come. */
static void wait_until(struct state *st, double t)
{
	if (!st->rb) {
		mv_sleep_until(t, &stop);
		return;
	}
	while (!stop) {
		double left = t - mv_now();

		if (left <= 0)
			break;
		/* EINTR on a signal: the loop checks stop. */
		ring_buffer__poll(st->rb, left > 0.1 ? 100 : (int)(left * 1000) + 1);
		fflush(stdout);
	}
	ring_buffer__consume(st->rb);
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
	if (st.o.trace) {
		st.rb = ring_buffer__new(bpf_map__fd(st.skel->maps.trace_rb), on_event, &st, NULL);
		if (!st.rb) {
			fprintf(stderr, "memvirt faults: --trace: cannot open the ring buffer: %s\n",
				strerror(errno));
			detach(&st);
			return 1;
		}
	}

	start = last = st.t0 = mv_now();
	end = st.o.duration ? start + st.o.duration : 0;
	rc = 0;
	while (!stop) {
		double next = last + st.o.interval, t;

		if (end && next > end)
			next = end;
		wait_until(&st, next);
		t = mv_now();
		if (t - last < 1e-3)
			break;
		if (read_vms(&st) || read_regions(&st) || read_slots(&st)) {
			fprintf(stderr, "memvirt faults: out of memory\n");
			rc = 1;
			break;
		}
		read_losses(&st);
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
	if (st.round) {
		struct mv_fault_losses l;
		char lost[512];

		losses_of(&st, true, &l);
		mv_fmt_losses(lost, sizeof(lost), &l, true);
		if (strcmp(lost, "0") || st.o.verbose)
			fprintf(stderr, "memvirt faults: not counted since start: %s\n", lost);
	}
	ring_buffer__free(st.rb);
	detach(&st);
	free(st.vms);
	free(st.regions);
	free(st.slots);
	if (ferror(stdout) || fflush(stdout)) {
		fprintf(stderr, "memvirt faults: write error\n");
		rc = 1;
	}
	return rc;
}

/* --- for other verbs (faults.h) ---------------------------------------- */

struct mv_faults {
	struct state st;
};

struct mv_faults *mv_faults_start(void)
{
	struct mv_faults *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->st.o.interval = 1;
	f->st.o.region_shift = 30;
	f->st.o.max_vms = FAULTS_MAX_VMS_DEFAULT;
	f->st.o.max_slots = FAULTS_MAX_SLOTS;
	f->st.o.max_regions = FAULTS_MAX_REGIONS;
	f->st.o.trace_rate = FAULTS_TRACE_RATE_DEFAULT;
	f->st.o.quiet = true;
	libbpf_set_print(libbpf_print);
	f->st.ncpus = libbpf_num_possible_cpus();
	if (f->st.ncpus <= 0 || setup(&f->st)) {
		free(f);
		return NULL;
	}
	return f;
}

const char *mv_faults_method(const struct mv_faults *f)
{
	return f->st.method;
}

int mv_faults_sample(struct mv_faults *f)
{
	if (read_vms(&f->st))
		return -1;
	read_losses(&f->st);
	return 0;
}

void mv_faults_losses(const struct mv_faults *f, bool total, struct mv_fault_losses *l)
{
	losses_of(&f->st, total, l);
}

bool mv_faults_get(const struct mv_faults *f, const char *id, struct mv_fault_rates *r)
{
	for (size_t i = 0; i < f->st.nvms; i++) {
		const struct vm *vm = &f->st.vms[i];
		struct faults_stats d;
		__u64 s[S_NR];

		if (!vm->present || strcmp(vm->id, id))
			continue;
		d = vm->d;
		summarize(&d, s);
		r->faults = s[S_FAULTS];
		r->pagein = f->st.pagein ? s[S_PAGEIN] : 0;
		r->samples = s[S_HIST];
		r->p50_ns = s[S_HIST] ? hist_percentile(&d, 0.50) : 0;
		r->p99_ns = s[S_HIST] ? hist_percentile(&d, 0.99) : 0;
		return true;
	}
	return false;
}

_Static_assert(MV_FAULTS_HIST_SLOTS == FAULTS_HIST_SLOTS, "histogram size");
_Static_assert((int)MV_FA_WRITE == (int)FA_WRITE && (int)MV_FA_NR == (int)FA_NR &&
	       (int)MV_FK_PROT == (int)FK_PROT && (int)MV_FK_NR == (int)FK_NR &&
	       (int)MV_FL_2M == (int)FL_2M && (int)MV_FL_NR == (int)FL_NR,
	       "mv_fault_totals axes follow bpf/faults.h");

bool mv_faults_totals(const struct mv_faults *f, const char *id,
		      struct mv_fault_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->has_pagein = f->st.pagein;
	t->has_levels = f->st.levels;
	t->has_latency = !f->st.o.no_latency;
	for (size_t i = 0; i < f->st.nvms; i++) {
		const struct vm *vm = &f->st.vms[i];
		const struct faults_stats *c = &vm->cur;

		if (!vm->present || strcmp(vm->id, id))
			continue;
		for (unsigned int a = 0; a < FA_NR; a++)
			for (unsigned int k = 0; k < FK_NR; k++)
				for (unsigned int g = 0; g < FS_NR; g++)
					for (unsigned int r = 0; r < FR_NR; r++)
						t->cls[a][k] += c->cls[faults_class(a, k, g, r)];
		t->mmio = c->mmio;
		t->pagein = c->pagein;
		t->pagein_major = c->pagein_major;
		for (unsigned int l = 0; l < FL_NR; l++)
			t->spte[l] = c->spte[l];
		t->lat_ns = c->lat_ns;
		for (unsigned int h = 0; h < FAULTS_HIST_SLOTS; h++)
			t->hist[h] = c->hist[h];
		return true;
	}
	return false;
}

void mv_faults_advance(struct mv_faults *f)
{
	advance(&f->st);
}

void mv_faults_stop(struct mv_faults *f)
{
	if (!f)
		return;
	detach(&f->st);
	free(f->st.vms);
	free(f);
}
