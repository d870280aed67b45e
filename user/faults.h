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
void mv_faults_stop(struct mv_faults *f);

/* "850ns", "12.3us", "1.2ms"; "-" for 0. */
void mv_fmt_ns(char *buf, size_t len, double ns);
/* @n events in @secs as a rate: "0", "2.5", "1200". */
void mv_fmt_rate(char *buf, size_t len, unsigned long long n, double secs);

#endif
