/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the report of `memvirt faults` (out/faults.c).
 */
#ifndef MEMVIRT_OUT_FAULTS_H
#define MEMVIRT_OUT_FAULTS_H

#include "cli.h"
#include "lib/probe.h"
#include "out/out.h"

struct mv_faults_report {
	const struct mv_probe_opts *po;
	const struct mv_opts *o;
	struct mv_faults *st;
	double secs;			/* this interval */
	size_t *shown;			/* the VMs reported, indices */
	size_t nshown;
	size_t *idx;			/* regions or slots of one VM, indices */
	size_t nidx;
};

/* The table's columns from -o / --output-all; 0 or MV_EXIT_USAGE. */
int mv_faults_select_cols(const struct mv_opts *o);
/* --help's list of those columns. */
void mv_faults_help_cols(FILE *f);
/* One interval's report of what mv_probe_read() read; 0 or -errno. */
int mv_faults_report(struct mv_faults_report *r);
void mv_faults_report_free(struct mv_faults_report *r);

#endif /* MEMVIRT_OUT_FAULTS_H */
