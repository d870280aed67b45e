// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt top`'s interactive screen, drawn with ncurses. The
 * cells are the field table's texts (mv_field_text()), the histogram lines
 * those of `faults --hist` (mv_hist_line()): nothing is formatted twice.
 */
#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "out/hist.h"
#include "out/screen.h"

#define HEAD_LINES	4	/* the heading; then the table */

/* Line @y: what fits of @str, in @attr. */
static void put_line(int y, const char *str, attr_t attr)
{
	if (y >= LINES)
		return;
	attron(attr);
	mvaddnstr(y, 0, str, COLS);
	attroff(attr);
}

/* "Guest memory: 12M" into @buf at @off; the size as the tables show it. */
static int put_size(char *buf, size_t len, const char *label, bool present,
		    uint64_t v, const struct mv_opts *o)
{
	char *s = present ? mv_format(MV_FMT_SIZE, v, o) : NULL;
	int n = snprintf(buf, len, "  %s: %s", label, s ? s : "-");

	free(s);
	return n < 0 ? 0 : n;
}

static void draw_heading(const struct mv_screen *s)
{
	const struct mv_host_sum *sum = &s->h->sum;
	char line[512], faults[400], ts[16];
	size_t i, off;

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&s->h->time));
	mv_fmt_faults_state(faults, sizeof(faults), s->h->faults);
	snprintf(line, sizeof(line), "memvirt top - %s, %.1f s interval, faults: %s",
		 ts, s->interval, faults);
	put_line(0, line, A_BOLD);

	off = snprintf(line, sizeof(line), "VMs: %" PRIu64 " (%zu shown, %" PRIu64
		       " held by no VM fd)", sum->vms, s->nr_rows, sum->no_vm_fd);
	off += put_size(line + off, sizeof(line) - off, "Guest memory", true,
			sum->memory, s->o);
	off += put_size(line + off, sizeof(line) - off, "Host resident",
			s->resident_ok, s->resident, s->o);
	if (s->resident_ok && s->resident_age >= 0 && off < sizeof(line))
		off += snprintf(line + off, sizeof(line) - off, " (%.0f s old)",
				s->resident_age);
	put_size(line + off, sizeof(line) - off, "KVM overhead", true, sum->overhead,
		 s->o);
	put_line(1, line, A_NORMAL);

	off = snprintf(line, sizeof(line), "2M pages now:");
	for (i = 0; i < s->h->mm.nr_nodes && off < sizeof(line); i++)
		off += snprintf(line + off, sizeof(line) - off, "%s node %u: %" PRIu64,
				i ? "," : "", s->h->mm.nodes[i].node,
				s->h->mm.nodes[i].avail_2m);
	if (!s->h->mm.nr_nodes)
		snprintf(line + off, sizeof(line) - off, " -");
	put_line(2, line, A_NORMAL);

	snprintf(line, sizeof(line), "sort: %s (%s)%s%s%s", s->sort ? s->sort->name : "-",
		 s->reverse ? "reversed" : "largest first, names A-Z",
		 *s->filter ? ", filter: " : "", s->filter,
		 "   ? help, q quit");
	put_line(3, line, A_NORMAL);
}

/* The cells' texts, row-major, ncols per row; NULL on ENOMEM. */
static char **cell_texts(const struct mv_screen *s, int *width)
{
	struct mv_field_ctx c = { .h = s->h, .secs = s->secs };
	char **cell = calloc(s->nr_rows * s->ncols + 1, sizeof(*cell));
	size_t r, k;

	if (!cell)
		return NULL;
	for (k = 0; k < s->ncols; k++)
		width[k] = strlen(s->cols[k]->name);
	for (r = 0; r < s->nr_rows; r++) {
		c.i = s->rows[r];
		for (k = 0; k < s->ncols; k++) {
			char **p = &cell[r * s->ncols + k];
			int w;

			*p = mv_field_text(s->cols[k], &c, s->o);
			w = *p ? (int)strlen(*p) : 1;
			if (w > width[k])
				width[k] = w;
		}
	}
	return cell;
}

/* One cell at @x, cut at the screen's edge: numbers right-aligned, as the tables do. */
static int put_cell(int y, int x, const struct mv_field *f, const char *text,
		    int width)
{
	char buf[256];

	if (x < COLS) {
		snprintf(buf, sizeof(buf), f->fmt == MV_FMT_STR ? "%-*s" : "%*s",
			 width, text ? text : "?");
		mvaddnstr(y, x, buf, COLS - x);
	}
	return x + width + 1;
}

/* The table from line @y, @height lines with its heading. */
static void draw_table(const struct mv_screen *s, int y, int height)
{
	int width[MV_SCREEN_MAX_COLS], x = 0, first = 0;
	size_t ncols = s->ncols < MV_SCREEN_MAX_COLS ? s->ncols : MV_SCREEN_MAX_COLS;
	char **cell = cell_texts(s, width);
	size_t r, k;

	if (!cell) {
		put_line(y, "out of memory", A_BOLD);
		return;
	}
	attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	for (k = 0; k < ncols; k++) {
		attr_t a = s->cols[k] == s->sort ? A_BOLD | A_UNDERLINE : 0;

		attron(a);
		x = put_cell(y, x, s->cols[k], s->cols[k]->name, width[k]);
		attroff(a);
	}
	attroff(A_REVERSE);
	if (height > 1 && (int)s->sel >= height - 1)
		first = s->sel - (height - 2);
	for (r = first; r < s->nr_rows && (int)(r - first) < height - 1; r++) {
		int ly = y + 1 + r - first;
		attr_t a = r == s->sel ? A_REVERSE : 0;

		attron(a);
		mvhline(ly, 0, ' ', COLS);
		for (k = 0, x = 0; k < ncols; k++)
			x = put_cell(ly, x, s->cols[k], cell[r * s->ncols + k], width[k]);
		attroff(a);
	}
	for (r = 0; r < s->nr_rows * s->ncols; r++)
		free(cell[r]);
	free(cell);
}

/* The histogram's lines from @y; how many it took. */
static int draw_hist(const struct mv_screen *s, int y)
{
	unsigned long long max;
	int first, last, i, n = 0;
	char line[256];

	put_line(y + n++, s->hist_title, A_BOLD);
	if (!mv_hist_span(s->hist, MV_FAULTS_HIST_SLOTS, &first, &last, &max)) {
		put_line(y + n++, "no latency samples", A_NORMAL);
		return n;
	}
	mv_hist_heading(line, sizeof(line));
	put_line(y + n++, line, A_NORMAL);
	for (i = first; i <= last; i++) {
		mv_hist_line(line, sizeof(line), s->hist, i, max, COLS - 40);
		put_line(y + n++, line, A_NORMAL);
	}
	return n;
}

static int hist_height(const struct mv_screen *s)
{
	unsigned long long max;
	int first, last;

	if (!s->hist)
		return 0;
	if (!mv_hist_span(s->hist, MV_FAULTS_HIST_SLOTS, &first, &last, &max))
		return 3;
	return last - first + 4;
}

static void draw_help(const struct mv_screen *s)
{
	const char *p = s->help, *nl;
	int y = 2;

	put_line(0, "memvirt top - keys (any key returns)", A_BOLD);
	for (; *p && y < LINES - 1; p = *nl ? nl + 1 : nl, y++) {
		nl = strchrnul(p, '\n');
		mvaddnstr(y, 0, p, nl - p < COLS ? nl - p : COLS);
	}
}

void mv_screen_draw(const struct mv_screen *s)
{
	int hh, table;

	erase();
	if (s->help) {
		draw_help(s);
	} else {
		draw_heading(s);
		hh = hist_height(s);
		table = LINES - HEAD_LINES - 1 - (hh ? hh + 1 : 0);
		if (table < 2)
			table = 2;
		draw_table(s, HEAD_LINES, table);
		if (hh && HEAD_LINES + table + 1 < LINES)
			draw_hist(s, HEAD_LINES + table + 1);
	}
	if (s->status)
		put_line(LINES - 1, s->status, A_BOLD);
	refresh();
}
