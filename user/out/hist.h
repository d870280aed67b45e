/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: rendering what the page-fault probes measure.
 */
#ifndef MEMVIRT_HIST_H
#define MEMVIRT_HIST_H

#include <stddef.h>

#include "lib/probe.h"
#include "out/out.h"

/*
 * @l in one line. Full: "vm_table_full 0, ..., kretprobe_missed n/a" (every
 * reason that applies). Compact: the sum ("0"), the reasons that are not 0
 * in parentheses, then "; n/a: <reasons>" if this kernel lacks some.
 */
void mv_fmt_losses(char *buf, size_t len, const struct mv_fault_losses *l, bool compact);
/* {"<reason>": N or null (n/a)}, the reasons that apply; NULL on ENOMEM. */
struct json_object *mv_losses_json(const struct mv_fault_losses *l);
/* A log2 histogram (slot i: [2^i, 2^(i+1)) ns) under @title, as bars. */
int mv_hist_print(const char *title, const unsigned long long *hist, int nr);

/* One --trace event of VM @id at @t seconds: a JSON line or a text line
 * (after the heading when @first). 0 or -errno. */
int mv_trace_event_print(const struct faults_event *e, const char *id, double t,
			 bool json, bool latency, bool first);

#endif /* MEMVIRT_HIST_H */
