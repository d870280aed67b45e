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

#include "cli.h"
#include "lib/host.h"
#include "out/fields.h"
#include "out/hist.h"

#define TOP_AVAIL	(MV_F_VM_COLS | MV_F_FAULT_COLS)

struct top {
	const struct mv_opts *o;
	struct mv_loop loop;
	bool batch, clear, no_faults;
	const struct mv_field *sort;	/* -s */
	bool desc;
	struct mv_host h;
	size_t *order;			/* rows in sort order */
	const struct mv_field *cols[128];
	size_t ncols;
	unsigned long frames;		/* printed so far */
};

enum { OPT_BATCH = 256, OPT_NO_FAULTS };

static const struct option top_longopts[] = {
	{ "interval",	required_argument,	NULL, 'i' },
	{ "duration",	required_argument,	NULL, 'd' },
	{ "batch",	no_argument,		NULL, OPT_BATCH },
	{ "no-faults",	no_argument,		NULL, OPT_NO_FAULTS },
	{ NULL, 0, NULL, 0 },
};

static void top_help(FILE *f)
{
	mv_fields_help(f, TOP_AVAIL, MV_F_TOP);
	fputs("\n"
	      "The heading ends with the faults the probes could not count in the\n"
	      "interval (\"lost: N (reason N, ...)\"; n/a: this kernel does not say).\n"
	      "With --json, one JSON document per interval and line (\"faults_lost\":\n"
	      "{reason: N or null}); its VMs carry the columns and FAULTS, PAGEINS,\n"
	      "SAMPLES. -s sorts by any column (default FAULTS, the most first; the\n"
	      "old keys faults, memory, overhead and id are column names). Needs\n"
	      "root and memvirt.ko loaded; the fault columns need BPF with BTF for\n"
	      "kvm.\n", f);
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
	" -d, --duration <sec>   stop after <sec> seconds (default: at ^C)\n"
	"     --batch            print each interval after the last, no\n"
	"                        screen clearing (default when not a terminal)\n"
	"     --no-faults        no BPF probes: memory columns only\n",
	.columns = true,
	.filter = true,
	.help_more = top_help,
	.opt = top_opt,
};

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
	char ts[16], lost[384] = "";
	char *mem_s, *ovh_s;
	int n;

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t->h.time));
	if (t->h.faults) {
		struct mv_fault_losses l;

		mv_faults_losses(t->h.faults, false, &l);
		strcpy(lost, ", lost: ");
		mv_fmt_losses(lost + strlen(lost), sizeof(lost) - strlen(lost), &l, true);
	}
	mem_s = mv_format(MV_FMT_SIZE, s->memory, t->o);
	ovh_s = mv_format(MV_FMT_SIZE, s->overhead, t->o);
	n = printf("memvirt top - %s, %zu VM%s (%" PRIu64 " held by no VM fd), "
		   "guest memory %s, KVM overhead %s, %.1f s interval, faults: %s%s\n",
		   ts, t->h.nr_vms, t->h.nr_vms == 1 ? "" : "s", s->no_vm_fd,
		   mem_s ?: "?", ovh_s ?: "?", secs,
		   t->h.faults ? mv_faults_method(t->h.faults) : "off", lost);
	free(mem_s);
	free(ovh_s);
	return n < 0 ? -EIO : 0;
}

/* One refresh: the module's VMs, joined with the probes' counts. */
static int refresh(void *arg, double secs)
{
	struct top *t = arg;
	int err = 0;

	if (mv_host_read(&t->h, MV_HOST_VMS | MV_HOST_FAULTS | MV_HOST_SUM))
		return -1;
	free(t->order);
	t->order = calloc(t->h.nr_vms ? t->h.nr_vms : 1, sizeof(*t->order));
	if (!t->order || mv_fields_order(&t->h, t->sort, t->desc, secs, t->order))
		return mv_err_nomem();

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
	ssize_t n;
	int rc;

	rc = mv_parse_opts(&top_cmd, argc, argv, o, &t);
	if (rc)
		return mv_parse_exit(rc);
	n = mv_fields_select("top", o, TOP_AVAIL, MV_F_TOP, t.cols, ARRAY_SIZE(t.cols));
	if (!o->sort)
		o->sort = "FAULTS";
	if (n < 0 || mv_fields_sort_key("top", o, TOP_AVAIL, &t.sort, &t.desc))
		return MV_EXIT_USAGE;
	t.ncols = n;
	t.clear = !t.batch && !o->json && !o->raw && isatty(STDOUT_FILENO);

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
	rc = mv_loop(&t.loop, refresh, &t) ? MV_EXIT_FAILURE : MV_EXIT_OK;
	mv_host_close(&t.h);
	free(t.order);
	return rc;
}
