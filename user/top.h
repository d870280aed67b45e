/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: what `memvirt top`'s two faces share: the batch printer
 * (cmd-top.c) and the interactive screen (cmd-top-tui.c, drawn by
 * out/screen.c). Both read the same snapshot and show the same columns of
 * the field table in the same order.
 */
#ifndef MEMVIRT_TOP_H
#define MEMVIRT_TOP_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "lib/host.h"
#include "out/fields.h"

#define TOP_AVAIL	(MV_F_VM_COLS | MV_F_FAULT_COLS)
#define TOP_MAX_COLS	128
#define TOP_FILTER_LEN	64

struct top {
	const struct mv_opts *o;
	struct mv_loop loop;
	bool batch, clear, no_faults;
	const struct mv_field *sort;	/* the sort column */
	bool reverse;			/* smallest (or Z) first */
	char filter[TOP_FILTER_LEN];	/* the screen's filter as typed */
	char view_glob[TOP_FILTER_LEN + 2];
	struct mv_filter view;		/* ... as a filter (top_set_filter()) */
	struct mv_host h;
	size_t *order;			/* the visible rows, in sort order */
	size_t nr_order;
	const struct mv_field *cols[TOP_MAX_COLS];
	size_t ncols;
	unsigned long frames;		/* printed so far */
};

/* -s's key (faults, memory, overhead, id) or a column's name: its field. */
const struct mv_field *top_sort_field(const char *name);
/* The screen's filter: @text as typed at "/" (mv_filter_text()); "": all. */
void top_set_filter(struct top *t, const char *text);
/* t->order: the rows t->view lets through, sorted. 0 or -ENOMEM. */
int top_order(struct top *t);
/* Reads what every interval shows (@what: extra MV_HOST_*); 0 or -1. */
int top_read(struct top *t, unsigned int what);

/* The keys of the interactive screen, a line each: its help page, --help. */
extern const char top_keys_help[];
/* The interactive screen until q or a signal: an exit code. */
int top_tui(struct top *t);

#endif /* MEMVIRT_TOP_H */
