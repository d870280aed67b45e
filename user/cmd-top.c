// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt top` - the host's VMs, refreshed every interval:
 * what memvirt.ko reports of each next to the page faults the BPF probes
 * counted for it in the interval. The two meet on the VM's identity,
 * "<pid>-<fd>", which both read from KVM. Columns: the field table's.
 *
 * Without the probes (not root, no BTF for kvm, --no-faults) the fault
 * columns stay empty and the rest still refreshes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "out/hist.h"
#include "out/sort.h"
#include "top.h"

/* -s's names for the columns it sorts by; any column name works too. */
static const struct {
	const char *key, *col;
} sort_names[] = {
	{ "faults", "FAULTS/s" },
	{ "memory", "MEMORY" },
	{ "overhead", "OVERHEAD" },
	{ "id", "ID" },
};

enum { OPT_BATCH = 256, OPT_NO_FAULTS };

static const struct option top_longopts[] = {
	{ "interval",	required_argument,	NULL, 'i' },
	{ "duration",	required_argument,	NULL, 'd' },
	{ "sort",	required_argument,	NULL, 's' },
	{ "batch",	no_argument,		NULL, OPT_BATCH },
	{ "no-faults",	no_argument,		NULL, OPT_NO_FAULTS },
	{ NULL, 0, NULL, 0 },
};

static void top_help(FILE *f)
{
	mv_fields_help(f, TOP_AVAIL, MV_F_TOP);
	fputs("\n"
	      "On a terminal top is interactive (ncurses); the first frame comes at\n"
	      "once. Its heading has the host's totals: VMs, guest memory, host\n"
	      "resident, KVM overhead, and per NUMA node the 2M pages a VM could get\n"
	      "now (as frag). Keys:\n", f);
	fputs(top_keys_help, f);
	fputs("The h histogram: KVM's fault handler, since the probes saw the VM\n"
	      "or since the last z. q, -d, ^C, SIGTERM and SIGHUP restore the\n"
	      "terminal and detach the probes; the exit status is 0.\n"
	      "\n"
	      "Not on a terminal, with --batch, --json or --raw, each interval is\n"
	      "printed after the last, with a heading line. The heading ends with the\n"
	      "faults the probes could not count in the interval (\"lost: N (reason\n"
	      "N, ...)\"; n/a: this kernel does not say).\n"
	      "With --json, one JSON document per interval and line (\"faults_lost\":\n"
	      "{reason: N or null}); its VMs carry the columns and FAULTS, PAGEINS,\n"
	      "SAMPLES. -s takes any column and the old keys faults (FAULTS/s, the\n"
	      "default), memory, overhead and id. Needs root and memvirt.ko loaded;\n"
	      "the fault columns need BPF with BTF for kvm.\n", f);
}

const struct mv_field *top_sort_field(const char *name)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(sort_names); k++)
		if (!strcmp(name, sort_names[k].key))
			name = sort_names[k].col;
	return mv_field_find(name, TOP_AVAIL);
}

/* -s (the common option): a column or an old key, :asc or :desc. */
static int top_sort_opt(struct top *t)
{
	char col[32];
	int dir;

	if (mv_sort_spec("top", t->o->sort ?: sort_names[0].key, col, sizeof(col), &dir))
		return MV_EXIT_USAGE;
	t->sort = top_sort_field(col);
	if (!t->sort)
		return mv_usage_error("top", "unknown sort key '%s': expected faults, "
				      "memory, overhead, id or a column", col);
	t->reverse = mv_sort_desc(t->sort->fmt, dir) != mv_sort_desc(t->sort->fmt, -1);
	return 0;
}

static int top_opt(int c, const char *arg, void *ctx)
{
	struct top *t = ctx;

	switch (c) {
	case 'i':
		if (mv_parse_seconds(arg, 0.1, MV_MAX_INTERVAL, &t->loop.interval))
			return mv_usage_error("top", "invalid interval '%s': expected "
					      "0.1..%.0f seconds", arg, MV_MAX_INTERVAL);
		return 0;
	case 'd':
		if (mv_parse_seconds(arg, 0.1, MV_MAX_DURATION, &t->loop.duration))
			return mv_usage_error("top", "invalid duration '%s'", arg);
		return 0;
	case OPT_BATCH:
		t->batch = true;
		return 0;
	case OPT_NO_FAULTS:
		t->no_faults = true;
		return 0;
	}
	return MV_EXIT_USAGE;
}

static const struct mv_cmd top_cmd = {
	.name = "top",
	.about = "The VMs of this host, refreshed every interval: memory and mappings\n"
		 "from memvirt.ko next to the KVM page faults of the interval (eBPF).",
	.shortopts = "i:d:",
	.longopts = top_longopts,
	.opts_help =
	" -i, --interval <sec>   refresh every <sec> seconds (default 2)\n"
	" -d, --duration <sec>   stop after <sec> seconds (default: at q or ^C)\n"
	"     --batch            print each interval after the last, no screen\n"
	"                        (default when stdout or stdin is not a terminal)\n"
	"     --no-faults        no BPF probes: memory columns only\n",
	.columns = true,
	.filter = true,
	.help_more = top_help,
	.opt = top_opt,
};

/* ---- rows: which, in what order ---------------------------------------- */

void top_set_filter(struct top *t, const char *text)
{
	snprintf(t->filter, sizeof(t->filter), "%s", text);
	mv_filter_text(&t->view, t->filter, t->view_glob, sizeof(t->view_glob));
}

/*
 * The rows in the sort order every verb shares (mv_fields_order()), then
 * those the screen's filter lets through (the one matcher of every verb,
 * lib/filter.c). A rate column is ordered with a
 * 1 s interval: every VM's rate shares the interval, any positive one
 * orders them alike.
 */
int top_order(struct top *t)
{
	size_t i, n = 0;

	free(t->order);
	t->nr_order = 0;
	t->order = calloc(t->h.nr_vms ? t->h.nr_vms : 1, sizeof(*t->order));
	if (!t->order || mv_fields_order(&t->h, t->sort, t->reverse, 1, t->order))
		return mv_err_nomem();
	for (i = 0; i < t->h.nr_vms; i++) {
		struct mv_vm_ref ref;

		mv_vm_ref_of(&t->h.vms[t->order[i]], &ref);
		if (mv_filter_match(&t->view, &ref))
			t->order[n++] = t->order[i];
	}
	t->nr_order = n;
	return 0;
}

int top_read(struct top *t, unsigned int what)
{
	if (mv_host_read(&t->h, MV_HOST_VMS | MV_HOST_FAULTS | MV_HOST_SUM | what))
		return -1;
	return top_order(t) ? -1 : 0;
}

/* ---- rendering --------------------------------------------------------- */

/* "faults_lost": the interval's losses by reason, null where n/a. */
static int add_losses(struct json_object *doc, const struct top *t)
{
	struct mv_fault_losses l;

	if (!t->h.faults)
		return mv_json_add(doc, "faults_lost", NULL);
	mv_faults_losses(t->h.faults, false, &l);
	return mv_json_add(doc, "faults_lost", mv_losses_json(&l));
}

/* One interval as one line of JSON. */
static int print_json(const struct top *t, double secs)
{
	const struct mv_field *cols[128];
	struct json_object *doc = json_object_new_object(), *vms;
	size_t n = t->ncols, i;
	int err;

	memcpy(cols, t->cols, n * sizeof(*cols));
	for (i = 0; !t->o->output && i < mv_nr_fields; i++)
		if ((mv_fields[i].flags & MV_F_TOP_JSON) &&
		    !(mv_fields[i].flags & MV_F_TOP) && n < ARRAY_SIZE(cols))
			cols[n++] = &mv_fields[i];
	vms = mv_fields_json(&t->h, t->order, cols, n, secs);
	if (!doc || !vms) {
		json_object_put(doc);
		json_object_put(vms);
		return -ENOMEM;
	}
	err = mv_json_add(doc, "time", json_object_new_int64(t->h.time)) ?:
	      mv_json_add(doc, "interval", json_object_new_double(secs)) ?:
	      mv_json_add(doc, "faults_attach", t->h.faults ?
			  json_object_new_string(mv_faults_method(t->h.faults)) : NULL) ?:
	      add_losses(doc, t) ?:
	      mv_json_add(doc, "vms", vms) ?:
	      mv_json_print_line(doc, stdout);
	json_object_put(doc);
	return err;
}

static int print_heading(const struct top *t, double secs)
{
	const struct mv_host_sum *s = &t->h.sum;
	char ts[16], faults[400];
	char *mem_s, *ovh_s;
	int n;

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t->h.time));
	mv_fmt_faults_state(faults, sizeof(faults), t->h.faults);
	mem_s = mv_format(MV_FMT_SIZE, s->memory, t->o);
	ovh_s = mv_format(MV_FMT_SIZE, s->overhead, t->o);
	n = printf("memvirt top - %s, %zu VM%s (%" PRIu64 " held by no VM fd), "
		   "guest memory %s, KVM overhead %s, %.1f s interval, faults: %s\n",
		   ts, t->h.nr_vms, t->h.nr_vms == 1 ? "" : "s", s->no_vm_fd,
		   mem_s ?: "?", ovh_s ?: "?", secs, faults);
	free(mem_s);
	free(ovh_s);
	return n < 0 ? -EIO : 0;
}

/* One refresh: the module's VMs, joined with the probes' counts. */
static int refresh(void *arg, double secs)
{
	struct top *t = arg;
	int err = 0;

	if (top_read(t, 0))
		return -1;

	if (t->o->json) {
		err = print_json(t, secs);
	} else {
		if (t->clear)
			fputs("\033[H\033[2J", stdout);
		else if (t->frames && !t->o->noheadings)
			putchar('\n');
		if (!t->o->noheadings)
			err = print_heading(t, secs);
		if (!err)
			err = mv_fields_table(&t->h, t->order, t->cols, t->ncols, secs,
					      "vms", t->o);
	}
	t->frames++;
	if (t->h.faults)
		mv_faults_advance(t->h.faults);
	if (err) {
		mv_err_errno(err, "cannot print");
		return -1;
	}
	return fflush(stdout) ? -1 : 0;
}

int mv_cmd_top(int argc, char **argv, struct mv_opts *o)
{
	struct top t = { .o = o, .loop = { .interval = 2, .clip = true } };
	bool tui;
	ssize_t n;
	int rc;

	rc = mv_parse_opts(&top_cmd, argc, argv, o, &t);
	if (rc)
		return mv_parse_exit(rc);
	n = mv_fields_select("top", o, TOP_AVAIL, MV_F_TOP, t.cols, ARRAY_SIZE(t.cols));
	if (n < 0 || top_sort_opt(&t))
		return MV_EXIT_USAGE;
	t.ncols = n;
	t.clear = !t.batch && !o->json && !o->raw && isatty(STDOUT_FILENO);
	tui = t.clear && isatty(STDIN_FILENO);

	t.h.nl = mv_nl_open();
	if (!t.h.nl)
		return MV_EXIT_FAILURE;
	t.h.filter = &o->filter;
	if (!t.no_faults) {
		t.h.faults = mv_faults_start(NULL);
		if (!t.h.faults)
			mv_err("top: no fault columns (the probes did not attach; "
			       "--no-faults hides this)");
	}
	if (tui)
		rc = top_tui(&t);
	else
		rc = mv_loop(&t.loop, refresh, &t) ? MV_EXIT_FAILURE : MV_EXIT_OK;
	mv_host_close(&t.h);
	free(t.order);
	return rc;
}
