/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt faults: per-VM KVM page-fault statistics from the BPF programs in
 * bpf/faults.bpf.c. Needs no kernel module: VMs are named from BPF alone.
 */
#ifndef MEMVIRT_USER_FAULTS_H
#define MEMVIRT_USER_FAULTS_H

#include <stdbool.h>
#include <stddef.h>

struct mv_opts;

/*
 * argv[0] is the verb ("faults"); common options (--json) come in @common.
 * Returns 0, 1 (runtime error) or 2 (usage).
 */
int mv_cmd_faults(int argc, char **argv, struct mv_opts *common);

/*
 * The probes with their default options (latency, page-ins, levels), for
 * verbs that show faults next to other data (memvirt top). Per interval:
 * mv_faults_sample(), then mv_faults_get() per VM, then mv_faults_advance().
 */
struct mv_faults;

struct mv_fault_rates {		/* over the interval */
	unsigned long long faults;
	unsigned long long pagein;	/* faults that faulted host memory in */
	unsigned long long samples;	/* with a latency (the histogram's total) */
	double p50_ns, p99_ns;		/* 0 without samples */
};

/* NULL if the probes cannot attach (why: on stderr). */
struct mv_faults *mv_faults_start(void);
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
 * @l in one line. Full: "vm_table_full 0, ..., kretprobe_missed n/a" (every
 * reason that applies). Compact: the sum ("0"), the reasons that are not 0
 * in parentheses, then "; n/a: <reasons>" if this kernel lacks some.
 */
void mv_fmt_losses(char *buf, size_t len, const struct mv_fault_losses *l, bool compact);

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

/* "850ns", "12.3us", "1.2ms"; "-" for 0. */
void mv_fmt_ns(char *buf, size_t len, double ns);
/* @n events in @secs as a rate: "0", "2.5", "1200". */
void mv_fmt_rate(char *buf, size_t len, unsigned long long n, double secs);

#endif
