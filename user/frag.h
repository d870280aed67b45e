/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the frag verb (host fragmentation, hugetlb pools, THP and
 * compaction counters, a 2M/1G verdict per node).
 */
#ifndef MEMVIRT_FRAG_H
#define MEMVIRT_FRAG_H

#include "cli.h"

int mv_cmd_frag(int argc, char **argv, struct mv_opts *o);

#endif /* MEMVIRT_FRAG_H */
