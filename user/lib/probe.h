/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the page-fault probes: per-VM KVM page-fault statistics from
 * the BPF programs in bpf/faults.bpf.c, opened, attached, read and advanced
 * here (lib/probe.c, lib/probe-read.c). Needs no kernel module: VMs are
 * named from BPF alone.
 *
 * Per interval: mv_faults_sample() (or, for the faults verb, the read_*
 * steps it is made of), then the VMs' counters, then mv_faults_advance().
 */
#ifndef MEMVIRT_PROBE_H
#define MEMVIRT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The BPF side's header, shared like bcc's libbpf-tools <tool>.h. */
#include "../../bpf/faults.h"
#include "lib/vmname.h"

struct mv_probe_opts;
struct mv_faults;

struct mv_opts;



struct mv_fault_rates {		/* over the interval */
	unsigned long long faults;
	unsigned long long pagein;	/* faults that faulted host memory in */
	unsigned long long samples;	/* with a latency (the histogram's total) */
	double p50_ns, p99_ns;		/* 0 without samples */
};

/* @o NULL: the defaults (latency, page-ins, levels; quiet), for top and export. */
struct mv_faults *mv_faults_start(const struct mv_probe_opts *o);
/* "fentry" or "kprobe". */
const char *mv_faults_method(const struct mv_faults *f);
/* Reads the counters; 0 or -1 (out of memory). */
int mv_faults_sample(struct mv_faults *f);
/* The interval's faults of VM @id ("<pid>-<fd>"); false if it had none yet. */
bool mv_faults_get(const struct mv_faults *f, const char *id, struct mv_fault_rates *r);
void mv_faults_advance(struct mv_faults *f);

/*
 * Counters of one VM since the probes first saw it, for exporters: they
 * only grow while the probes stay attached and the VM lives.
 */
#define MV_FAULTS_HIST_SLOTS	32	/* slot i: [2^i, 2^(i+1)) ns */

enum { MV_FA_READ, MV_FA_WRITE, MV_FA_FETCH, MV_FA_NR };
enum { MV_FK_NOT_PRESENT, MV_FK_PROT, MV_FK_RSVD, MV_FK_NR };
enum { MV_FL_4K, MV_FL_2M, MV_FL_1G, MV_FL_OTHER, MV_FL_NR };

struct mv_fault_totals {
	unsigned long long cls[MV_FA_NR][MV_FK_NR];	/* access x cause */
	unsigned long long mmio;	/* handled as MMIO */
	unsigned long long pagein;	/* faulted host memory in */
	unsigned long long pagein_major;	/* ... with a major host fault */
	unsigned long long spte[MV_FL_NR];	/* mappings installed, by level */
	unsigned long long lat_ns;	/* sum of handler latencies */
	unsigned long long hist[MV_FAULTS_HIST_SLOTS];	/* handler latency */
	bool has_pagein, has_levels, has_latency;
};

/*
 * The totals of VM @id as of the last mv_faults_sample(); false if the probes
 * have not seen it (all zero). The has_* flags say what the probes measure.
 */
bool mv_faults_totals(const struct mv_faults *f, const char *id,
		      struct mv_fault_totals *t);
void mv_faults_stop(struct mv_faults *f);

/*
 * Losses: faults (or probe hits) the probes could not count, by reason, in
 * the order of mv_loss_desc[]; Documentation/faults.rst, "Losses".
 */
enum mv_fault_loss {
	MV_LOST_VM_TABLE_FULL,
	MV_LOST_INFLIGHT_FULL,
	MV_LOST_EXITS_MISSED,
	MV_LOST_SLOTS_FULL,
	MV_LOST_REGIONS_FULL,
	MV_LOST_RECURSION_MISSED,
	MV_LOST_KPROBE_MISSED,
	MV_LOST_KRETPROBE_MISSED,
	MV_LOST_COUNTER_RESETS,
	MV_LOST_NR
};

enum mv_loss_state {
	MV_LOSS_OFF,		/* does not apply (mode, options): not shown */
	MV_LOSS_NA,		/* applies, but this kernel does not report it */
	MV_LOSS_OK,		/* measured */
};

struct mv_loss_desc {
	const char *key;	/* JSON key, Prometheus reason label */
	const char *help;
};

extern const struct mv_loss_desc mv_loss_desc[MV_LOST_NR];

struct mv_fault_losses {
	unsigned long long n[MV_LOST_NR];	/* 0 unless state is MV_LOSS_OK */
	unsigned char state[MV_LOST_NR];	/* enum mv_loss_state */
};

/*
 * The losses as of the last mv_faults_sample(): over the interval (since the
 * last mv_faults_advance()) or, with @total, since the probes attached.
 */
void mv_faults_losses(const struct mv_faults *f, bool total, struct mv_fault_losses *l);


/*
 * The growth of @n counters of one record (a VM's stats, a slot, a kernel
 * counter) from @prev to @cur, into @d (which may be @cur). Counters only
 * grow while their record lives; if any went back, the record restarted (an
 * entry evicted and recreated, a map reset) and all of @cur is new: then
 * @d = @cur and the result is true, for the caller to count a reset. Never a
 * negative delta read as a huge one. Every cur - prev in user/ goes here.
 */
bool mv_delta_u64(unsigned long long *d, const unsigned long long *cur,
		  const unsigned long long *prev, size_t n);


/* ---- the probes' state, for the faults verb that renders all of it ---- */

enum attach_mode { ATTACH_AUTO, ATTACH_FENTRY, ATTACH_KPROBE };

#define FAULTS_MAX_TABLE	(1 << 20)	/* --max-slots, --max-regions at most */

extern const char *const mv_attach_names[];

struct mv_probe_opts {
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

struct mv_probe_vm {
	__u32 idx;			/* vms[] and vm_stats index */
	struct faults_vm ident;		/* .gen tells a new VM in the same entry */
	char id[FAULTS_ID_LEN + 16];
	char comm[16];			/* the VMM's, "" if gone */
	struct mv_vm_names names;	/* its command line's, with the id */
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

extern const char *const mv_sum_names[S_NR];

/* Per-CPU hash map records: .d holds the interval's growth of the counters. */
struct mv_probe_region {
	struct faults_region_key key;
	struct faults_region prev;
	struct faults_region cur;
	struct faults_region d;
	bool present;
};

struct mv_probe_slot {
	struct faults_slot_key key;
	struct faults_slot prev;
	struct faults_slot cur;
	struct faults_slot d;		/* faults, pagein only */
	bool present;
};

struct mv_faults {
	struct mv_probe_opts o;
	struct faults_bpf *skel;
	struct bpf_link *links[16];
	unsigned char link_kind[16];	/* enum link_kind */
	int nlinks;
	const char *method;
	char why[512];		/* why the last try_method() failed */
	int err;		/* ... as -errno (load or attach) */
	bool pagein;		/* host page-in accounting */
	bool levels;		/* kvm_mmu_set_spte hook attached */
	bool mmio_hook;		/* mark_mmio_spte hook attached */
	bool destroy_hook;	/* kvm_destroy_vm hook attached */
	bool destroy_kprobe;	/* ... as a kprobe, in fentry mode too */
	int ncpus;
	struct mv_probe_vm *vms;
	size_t nvms;
	struct mv_probe_region *regions;
	size_t nregions;
	struct mv_probe_slot *slots;
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

struct ring_buffer;
struct faults_bpf;

/* The probes' defaults for @o. */
void mv_probe_opts_init(struct mv_probe_opts *o);
/* One interval: VMs, regions, slots, losses; 0 or -1 (out of memory). */
int mv_probe_read(struct mv_faults *st);
/* The interval's totals of a VM's counters, by enum sum. */
void mv_probe_summarize(const struct faults_stats *d, __u64 s[S_NR]);
/* Percentile @p of the log2 latency histogram, linear within a bucket. */
double mv_probe_percentile(const struct faults_stats *d, double p);
/* This interval's --trace events, dropped (over the budget) and lost (ring full). */
void mv_probe_trace_counts(struct mv_faults *st, __u64 d[3]);
/* Reads the loss counters: cumulative and their growth since the last advance. */
void mv_probe_read_losses(struct mv_faults *st);
/* The losses: over the interval or, with @total, since attach. */
void mv_probe_losses(const struct mv_faults *st, bool total, struct mv_fault_losses *l);
/* The misses of a kprobe or kretprobe link; false if the kernel does not say. */
struct bpf_link;
bool mv_probe_link_missed(struct bpf_link *link, __u64 *missed);

#endif /* MEMVIRT_PROBE_H */
