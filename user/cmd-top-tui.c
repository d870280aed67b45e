// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt top` on a terminal: the keys, the refresh loop and
 * the terminal's state. The screen is drawn by out/screen.c from the same
 * snapshot and columns the batch output prints (cmd-top.c).
 *
 * Whatever ends it - q, -d, SIGINT, SIGTERM, SIGHUP, an error - leaves
 * through one path: endwin() restores the terminal, then the caller
 * detaches the probes (mv_host_close()).
 */
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "out/screen.h"
#include "top.h"

#define KEY_WAIT_MAX	0.2	/* seconds: how soon a signal is seen */
/*
 * The heading's host resident walks every VM's pagemap (~200 ms per GiB of
 * 4K pages under TCG, ~15 ms per GiB of huge pages): on the first frame,
 * then every RESIDENT_FRAMES frames but no sooner than RESIDENT_DUTY times
 * what the last walk took (so it takes at most about a tenth of top's
 * time), and on b.
 */
#define RESIDENT_FRAMES	10
#define RESIDENT_DUTY	10

/* The keys, for the help page; top --help has the same list. */
const char top_keys_help[] =
	"  < >            sort by the column left or right of the sort column\n"
	"  s              sort by a column, typed (MEMORY, faults, ...)\n"
	"  r R            reverse the sort order\n"
	"  / f            filter (the matcher of --pid and --comm): a number\n"
	"                 shows that VMM's VMs (a pid), other text the VMs whose\n"
	"                 id, name, UUID or command contains it or, with * ? or\n"
	"                 [, matches it whole as a glob (qemu-*); empty: all\n"
	"  d i            change the interval (seconds)\n"
	"  F              hide or show the fault columns\n"
	"  up down j k    select a VM\n"
	"  h              the selected VM's fault-latency histogram\n"
	"  b              read the heading's host resident now (it is read every\n"
	"                 10th frame, or less often if reading it is slow)\n"
	"  z c            reset the histograms: count from now\n"
	"  ?              these keys\n"
	"  q              quit (^C, SIGTERM, SIGHUP too)\n";

/* A VM's histogram when z was last pressed. */
struct hist_base {
	char id[MEMVIRT_VM_ID_LEN];
	unsigned long long hist[MV_FAULTS_HIST_SLOTS];
};

struct tui {
	struct top *t;
	const struct mv_field *cols[TOP_MAX_COLS];	/* shown: F hides some */
	size_t ncols;
	bool hide_faults, show_hist, help;
	size_t sel;
	char sel_id[MEMVIRT_VM_ID_LEN];
	unsigned long long hist[MV_FAULTS_HIST_SLOTS];
	char hist_title[160];
	struct hist_base *base;
	size_t nr_base;
	time_t reset_time;		/* 0: never */
	char status[160];
	double last, secs;		/* the last read, the interval before it */
	/* The host resident of the last walk (read_frame()). */
	struct {
		bool due, ok;		/* due: on the next frame (b) */
		uint64_t bytes;
		unsigned long frame;	/* t->frames when read */
		double time, cost;	/* when, and what the read took */
	} res;
};

/*
 * What is written to stderr while the screen is up (a failed read says why)
 * would vanish with the screen: it goes to a file, shown after endwin().
 */
static FILE *held_err;
static int saved_err = -1;

static void stderr_hold(void)
{
	fflush(stderr);
	held_err = tmpfile();
	saved_err = held_err ? dup(STDERR_FILENO) : -1;
	if (saved_err < 0 || dup2(fileno(held_err), STDERR_FILENO) < 0) {
		if (saved_err >= 0)
			close(saved_err);
		if (held_err)
			fclose(held_err);
		held_err = NULL;
		saved_err = -1;
	}
}

static void stderr_release(void)
{
	char buf[512];
	size_t n;

	if (saved_err < 0)
		return;
	fflush(stderr);
	dup2(saved_err, STDERR_FILENO);
	close(saved_err);
	rewind(held_err);
	while ((n = fread(buf, 1, sizeof(buf), held_err)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(held_err);
}

static void on_hangup(int sig)
{
	(void)sig;
	mv_stop = 1;
}

static void shown_cols(struct tui *u)
{
	size_t k;

	for (k = u->ncols = 0; k < u->t->ncols; k++)
		if (!u->hide_faults || !(u->t->cols[k]->flags & MV_F_FAULT_COLS))
			u->cols[u->ncols++] = u->t->cols[k];
}

/* Keeps the selection on the same VM when the rows move. */
static void follow_selection(struct tui *u)
{
	const struct top *t = u->t;
	size_t r;

	for (r = 0; r < t->nr_order; r++)
		if (!strcmp(t->h.vms[t->order[r]].id, u->sel_id)) {
			u->sel = r;
			return;
		}
	if (u->sel >= t->nr_order)
		u->sel = t->nr_order ? t->nr_order - 1 : 0;
	u->sel_id[0] = 0;
	if (t->nr_order)
		strcpy(u->sel_id, t->h.vms[t->order[u->sel]].id);
}

/* The selected VM's histogram since z (or since the probes saw it). */
static void selected_hist(struct tui *u)
{
	const struct top *t = u->t;
	size_t i, b;
	char since[32] = "the probes saw it";

	memset(u->hist, 0, sizeof(u->hist));
	if (!t->nr_order || !t->h.vf) {
		snprintf(u->hist_title, sizeof(u->hist_title),
			 "Fault latency: %s", t->h.faults ? "no VM selected" :
			 "no probes (see top --help)");
		return;
	}
	i = t->order[u->sel];
	memcpy(u->hist, t->h.vf[i].total.hist, sizeof(u->hist));
	for (b = 0; b < u->nr_base; b++)
		if (!strcmp(u->base[b].id, t->h.vms[i].id))
			mv_delta_u64(u->hist, u->hist, u->base[b].hist,
				     MV_FAULTS_HIST_SLOTS);
	if (u->reset_time)
		strftime(since, sizeof(since), "%H:%M:%S", localtime(&u->reset_time));
	snprintf(u->hist_title, sizeof(u->hist_title),
		 "Fault latency of VM %s (KVM's handler), since %s:", t->h.vms[i].id, since);
}

/* z: every VM's histogram counts from now. */
static void reset_hists(struct tui *u)
{
	const struct top *t = u->t;
	struct hist_base *b;
	size_t i;

	b = calloc(t->h.nr_vms ? t->h.nr_vms : 1, sizeof(*b));
	if (!b) {
		snprintf(u->status, sizeof(u->status), "out of memory");
		return;
	}
	for (i = 0; t->h.vf && i < t->h.nr_vms; i++) {
		strcpy(b[i].id, t->h.vms[i].id);
		memcpy(b[i].hist, t->h.vf[i].total.hist, sizeof(b[i].hist));
	}
	free(u->base);
	u->base = b;
	u->nr_base = t->h.vf ? t->h.nr_vms : 0;
	u->reset_time = time(NULL);
	snprintf(u->status, sizeof(u->status), "histograms reset");
}

static void draw(struct tui *u)
{
	struct top *t = u->t;
	struct mv_screen s = {
		.h = &t->h, .o = t->o, .rows = t->order, .nr_rows = t->nr_order,
		.cols = u->cols, .ncols = u->ncols, .sort = t->sort,
		.reverse = t->reverse, .filter = t->filter, .secs = u->secs,
		.interval = t->loop.interval, .sel = u->sel,
		.status = u->status[0] ? u->status : NULL,
		.help = u->help ? top_keys_help : NULL,
		.resident_ok = u->res.ok, .resident = u->res.bytes,
		.resident_age = u->res.frame + 1 == t->frames ? -1 :
				u->last - u->res.time,
	};

	follow_selection(u);
	s.sel = u->sel;
	if (u->show_hist) {
		selected_hist(u);
		s.hist = u->hist;
		s.hist_title = u->hist_title;
	}
	mv_screen_draw(&s);
}

/* Is the host resident walk due this frame? See RESIDENT_FRAMES. */
static bool resident_due(const struct tui *u, double now)
{
	const struct top *t = u->t;

	if (!t->h.bctx)
		return false;
	return !t->frames || u->res.due ||
	       (t->frames - u->res.frame >= RESIDENT_FRAMES &&
		now - u->res.time >= RESIDENT_DUTY * u->res.cost);
}

/* Reads the host; the first frame's interval is 0 (no rates yet). */
static int read_frame(struct tui *u)
{
	struct top *t = u->t;
	double now = mv_now();
	unsigned int what = MV_HOST_ZONES | MV_HOST_MM;
	bool walk = resident_due(u, now);

	if (walk)
		what |= MV_HOST_SLOTS | MV_HOST_BACKING;
	if (top_read(t, what))
		return -1;
	if (walk) {
		u->res.due = false;
		u->res.ok = t->h.bk && !t->h.sum.unreadable;
		u->res.bytes = t->h.sum.resident;
		u->res.frame = t->frames;
		u->res.time = now;
		u->res.cost = mv_now() - now;
	}
	u->secs = t->frames ? now - u->last : 0;
	u->last = now;
	t->frames++;
	if (t->h.faults)
		mv_faults_advance(t->h.faults);
	return 0;
}

/* Waits up to @secs for a key; ERR if none came. */
static int wait_key(double secs)
{
	if (secs > KEY_WAIT_MAX)
		secs = KEY_WAIT_MAX;
	timeout(secs > 0 ? (int)(secs * 1000) : 0);
	return getch();
}

/* A line typed at the bottom; false if cancelled (Escape, a signal). */
static bool prompt(struct tui *u, const char *what, char *buf, size_t len)
{
	size_t n = 0;
	int c = 27;

	buf[0] = 0;
	curs_set(1);
	while (!mv_stop) {
		snprintf(u->status, sizeof(u->status), "%s: %s", what, buf);
		draw(u);
		c = wait_key(KEY_WAIT_MAX);
		if (c == '\n' || c == KEY_ENTER || c == 27)
			break;
		if ((c == KEY_BACKSPACE || c == 127 || c == '\b') && n)
			buf[--n] = 0;
		else if (c >= ' ' && c < 127 && n + 1 < len) {
			buf[n++] = c;
			buf[n] = 0;
		}
	}
	curs_set(0);
	u->status[0] = 0;
	return c != 27 && !mv_stop;
}

/* <, >: the sort column moves among those shown. */
static void sort_step(struct tui *u, int dir)
{
	size_t k;

	if (!u->ncols)
		return;
	for (k = 0; k < u->ncols && u->cols[k] != u->t->sort; k++)
		;
	if (k == u->ncols)
		k = dir < 0 ? 0 : u->ncols - 1;
	else if ((dir < 0 && k) || (dir > 0 && k + 1 < u->ncols))
		k += dir;
	u->t->sort = u->cols[k];
}

/* The keys that ask for a line: s, /, d. */
static void key_prompted(struct tui *u, int c)
{
	struct top *t = u->t;
	char buf[TOP_FILTER_LEN];
	const struct mv_field *f;
	double v;

	if (c == 's' && prompt(u, "sort by column", buf, sizeof(buf))) {
		f = top_sort_field(buf);
		if (f)
			t->sort = f;
		else
			snprintf(u->status, sizeof(u->status), "no column '%s'", buf);
	} else if ((c == '/' || c == 'f') &&
		   prompt(u, "filter (pid, or part or glob of id, name, UUID or command; "
			  "empty: all)", buf, sizeof(buf))) {
		top_set_filter(t, buf);
	} else if ((c == 'd' || c == 'i') && prompt(u, "interval (seconds)", buf,
						      sizeof(buf))) {
		if (!mv_parse_seconds(buf, 0.1, MV_MAX_INTERVAL, &v))
			t->loop.interval = v;
		else
			snprintf(u->status, sizeof(u->status),
				 "invalid interval '%s': 0.1..%.0f seconds", buf,
				 MV_MAX_INTERVAL);
	}
}

/* One key; false for q. */
static bool key(struct tui *u, int c)
{
	struct top *t = u->t;

	u->status[0] = 0;
	if (u->help && c != KEY_RESIZE) {
		u->help = false;
		return true;
	}
	switch (c) {
	case 'q':
	case 'Q':
		return false;
	case '<':
	case '>':
		sort_step(u, c == '<' ? -1 : 1);
		break;
	case 'r':
	case 'R':
		t->reverse = !t->reverse;
		break;
	case 'F':
		u->hide_faults = !u->hide_faults;
		shown_cols(u);
		break;
	case 'h':
		u->show_hist = !u->show_hist;
		break;
	case 'z':
	case 'c':
		reset_hists(u);
		break;
	case 'b':
		if (t->h.bctx)
			u->res.due = true;
		else
			snprintf(u->status, sizeof(u->status), "host resident "
				 "cannot be read here (q shows why)");
		break;
	case '?':
		u->help = true;
		break;
	case KEY_UP:
	case 'k':
		u->sel -= u->sel > 0;
		u->sel_id[0] = 0;
		break;
	case KEY_DOWN:
	case 'j':
		u->sel += u->sel + 1 < t->nr_order;
		u->sel_id[0] = 0;
		break;
	default:
		key_prompted(u, c);
	}
	if (!u->sel_id[0] && u->sel < t->nr_order)
		strcpy(u->sel_id, t->h.vms[t->order[u->sel]].id);
	top_order(t);
	return true;
}

/* Until q, -d or a signal; -1 if a read failed. */
static int run(struct tui *u)
{
	struct top *t = u->t;
	double start = mv_now(), next = start;
	int c;

	while (!mv_stop) {
		if (mv_now() >= next) {
			if (read_frame(u))
				return -1;
			next = u->last + t->loop.interval;
			draw(u);
		}
		if (t->loop.duration && mv_now() >= start + t->loop.duration)
			break;
		c = wait_key(next - mv_now());
		if (c == ERR)
			continue;
		if (!key(u, c))
			break;
		next = u->res.due ? mv_now() : u->last + t->loop.interval;
		draw(u);
	}
	return 0;
}

int top_tui(struct top *t)
{
	struct sigaction sa = { .sa_handler = on_hangup };
	struct tui u = { .t = t };
	SCREEN *scr;
	int rc;

	/* Ours before ncurses', which it then leaves alone. */
	mv_catch_signals();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	t->h.bctx = mv_host_backing_open("host resident left empty");
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		mv_err("top: cannot drive the terminal (TERM=%s): set TERM to a "
		       "terminal with a terminfo entry, or use --batch",
		       getenv("TERM") ?: "");
		return MV_EXIT_FAILURE;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	shown_cols(&u);
	stderr_hold();
	rc = run(&u);
	endwin();
	delscreen(scr);
	stderr_release();
	free(u.base);
	return rc ? MV_EXIT_FAILURE : MV_EXIT_OK;
}
