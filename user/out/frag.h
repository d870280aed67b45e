/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the rows of `memvirt frag` (out/frag.c).
 */
#ifndef MEMVIRT_OUT_FRAG_H
#define MEMVIRT_OUT_FRAG_H

#include "cli.h"
#include "lib/host.h"
#include "out/out.h"

struct mv_frag {
	struct mv_host h;
	struct mv_vmstat first;		/* at the start of -i's interval */
	double interval;		/* 0: one sample, totals only */
	double secs;			/* measured */
	int zone;			/* orders of this zone only; -1: all */
	enum { MV_FRAG_AUTO, MV_FRAG_MODULE, MV_FRAG_PROC } source;	/* --source */
};

/* [0] orders, [1] zones (with their orders in JSON), [2] hugetlb, [3] vmstat, [4] nodes. */
void mv_frag_rows(struct mv_frag *f, struct mv_rows r[5]);
/* Is vmstat counter @i shown: read now and, with -i, at the start too. */
bool mv_frag_vmstat_shown(const struct mv_frag *f, size_t i);
/* Its rate over -i's interval. */
double mv_frag_vmstat_rate(const struct mv_frag *f, size_t i);
/* One verdict line per node; 0 or -EIO. */
int mv_frag_verdicts_print(const struct mv_mm *mm, const struct mv_opts *o);

#endif /* MEMVIRT_OUT_FRAG_H */
