/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the interactive screen of `memvirt top` (ncurses), drawn
 * from one snapshot: a heading with the host's totals, the VMs as rows of
 * the field table's columns (the same texts a table prints), and on demand
 * one VM's fault-latency histogram or a page of help. Only draws; the keys
 * are cmd-top-tui.c's.
 */
#ifndef MEMVIRT_SCREEN_H
#define MEMVIRT_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/host.h"
#include "out/fields.h"

#define MV_SCREEN_MAX_COLS	128

struct mv_screen {
	const struct mv_host *h;
	const struct mv_opts *o;
	const size_t *rows;		/* the VMs shown, in order */
	size_t nr_rows;
	const struct mv_field **cols;
	size_t ncols;
	const struct mv_field *sort;	/* its heading is underlined */
	bool reverse;
	const char *filter;		/* "": none */
	double secs, interval;		/* the last interval, the next */
	/*
	 * The heading's host resident: read every few frames only (a walk
	 * of every VM's pagemap), so with its age in seconds (< 0: read for
	 * this frame).
	 */
	bool resident_ok;		/* false: "-", it could not be read */
	uint64_t resident;
	double resident_age;
	size_t sel;			/* the selected row, in rows[] */
	/* The selected VM's latency histogram (NULL: hidden) and its title. */
	const unsigned long long *hist;
	const char *hist_title;
	const char *status;		/* the last line: a prompt, a message */
	const char *help;		/* not NULL: this page instead */
};

/* Draws @s on stdscr and refreshes the terminal. */
void mv_screen_draw(const struct mv_screen *s);

#endif /* MEMVIRT_SCREEN_H */
