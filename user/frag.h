/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the frag verb (host fragmentation, hugetlb pools, THP and
 * compaction counters, a 2M/1G verdict per node).
 */
#ifndef MEMVIRT_FRAG_H
#define MEMVIRT_FRAG_H

#include <stdint.h>

#include "cli.h"
#include "nl.h"

int mv_cmd_frag(int argc, char **argv, struct mv_opts *o);

/* 2M pages of one zone, in 2M units. */
struct mv_zone_2m {
	uint64_t blocks;	/* free buddy blocks of order >= 9 */
	uint64_t headroom;	/* free above low watermark and reserves */
	uint64_t avail;		/* allocatable now: min(blocks, headroom) */
};

void mv_zone_2m(const struct mv_zone *z, struct mv_zone_2m *r);

#endif /* MEMVIRT_FRAG_H */
