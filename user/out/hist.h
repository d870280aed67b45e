/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: rendering what the page-fault probes measure.
 */
#ifndef MEMVIRT_HIST_H
#define MEMVIRT_HIST_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/probe.h"
#include "out/out.h"

/*
 * @l in one line. Full: "vm_table_full 0, ..., kretprobe_missed n/a" (every
 * reason that applies). Compact: the sum ("0"), the reasons that are not 0
 * in parentheses, then "; n/a: <reasons>" if this kernel lacks some.
 */
void mv_fmt_losses(char *buf, size_t len, const struct mv_fault_losses *l, bool compact);
/* What the probes do: "fentry, lost: 0 (...)" (mv_fmt_losses(), compact) or "off". */
void mv_fmt_faults_state(char *buf, size_t len, const struct mv_faults *f);
/* {"<reason>": N or null (n/a)}, the reasons that apply; NULL on ENOMEM. */
struct json_object *mv_losses_json(const struct mv_fault_losses *l);
/* The slots of @hist to show, [*first, *last], and the largest count; false: all 0. */
bool mv_hist_span(const unsigned long long *hist, int nr, int *first, int *last,
		  unsigned long long *max);
/* The column heading of mv_hist_line()'s lines. */
void mv_hist_heading(char *buf, size_t len);
#define MV_HIST_BAR_MAX	80
/* Slot @i as one line, "1024 -> 2047 : 12 |****  |", a bar @width wide. */
void mv_hist_line(char *buf, size_t len, const unsigned long long *hist, int i,
		  unsigned long long max, int width);
/* A log2 histogram (slot i: [2^i, 2^(i+1)) ns) under @title, as bars. */
int mv_hist_print(const char *title, const unsigned long long *hist, int nr);

/* One --trace event of VM @id at @t seconds: a JSON line or a text line
 * (after the heading when @first). 0 or -errno. */
int mv_trace_event_print(const struct faults_event *e, const char *id, double t,
			 bool json, bool latency, bool first);

#endif /* MEMVIRT_HIST_H */
