// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt frag` - can this host give VMs huge pages? The
 * zones with their free blocks per order and the kernel's indices (from the
 * module, or without it the same figures from procfs: lib/zones-proc.c),
 * the hugetlb pools, THP and compaction counters and a 2M/1G verdict per
 * node (lib/mm.c). Needs no privilege.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/host.h"
#include "out/frag.h"


enum { OPT_SOURCE = 0x100 };

static const char *const source_names[] = {
	[MV_FRAG_AUTO] = "auto", [MV_FRAG_MODULE] = "module", [MV_FRAG_PROC] = "proc",
};

static int frag_opt(int c, const char *arg, void *ctx)
{
	struct mv_frag *f = ctx;
	size_t i;

	if (c == OPT_SOURCE) {
		for (i = 0; i < ARRAY_SIZE(source_names); i++)
			if (!strcmp(arg, source_names[i])) {
				f->source = i;
				return 0;
			}
		return mv_usage_error("frag", "invalid source '%s': expected "
				      "auto, module or proc", arg);
	}
	if (c != 'i')
		return MV_EXIT_USAGE;
	if (mv_parse_seconds(arg, 0.1, MV_MAX_INTERVAL, &f->interval))
		return mv_usage_error("frag", "invalid interval '%s': expected "
				      "0.1..%.0f seconds", arg, MV_MAX_INTERVAL);
	return 0;
}

static void frag_help(FILE *f)
{
	fputs("Columns of the order table:\n"
	      " ORDER        buddy allocation order (block = 4K << ORDER)\n"
	      " FREE-BLOCKS  free blocks of exactly this order\n"
	      " UNUSABLE     unusable free space index: share of free memory in\n"
	      "              blocks too small for this order (0..1)\n"
	      " FRAG         fragmentation index: -1 when an allocation of this\n"
	      "              order succeeds now; else towards 0 it would fail for\n"
	      "              lack of memory, towards 1 for fragmentation\n"
	      "              (compaction helps above 0.5, the kernel's default\n"
	      "              extfrag_threshold)\n"
	      "\n"
	      "frag prints several tables: no -o. No privilege needed. With\n"
	      "memvirt.ko loaded the zones come from it; without it (or with\n"
	      "--source proc) the same figures come from /proc/buddyinfo,\n"
	      "/proc/zoneinfo and /proc/pagetypeinfo (root only: without it the\n"
	      "highatomic reserve is unknown). JSON's \"source\" says which.\n", f);
}

static const struct option frag_longopts[] = {
	{ "interval",	required_argument,	NULL, 'i' },
	{ "source",	required_argument,	NULL, OPT_SOURCE },
	{ NULL, 0, NULL, 0 },
};

static const struct mv_cmd frag_cmd = {
	.name = "frag",
	.about = "Show how fragmented the host's free memory is, per NUMA node and zone,\n"
		 "the hugetlb pools, THP and compaction counters, and per node how many\n"
		 "2M (and at most how many 1G) pages could be allocated now.",
	.shortopts = "i:",
	.longopts = frag_longopts,
	.opts_help =
	" -i, --interval <sec>   sample the counters twice, <sec> apart, and\n"
	"                        show rates per second\n"
	"     --source <src>     where the zones come from: module (memvirt.ko),\n"
	"                        proc (procfs) or auto (the module if loaded;\n"
	"                        the default)\n",
	.help_more = frag_help,
	.opt = frag_opt,
};

static int frag_human(struct mv_frag *f, const struct mv_opts *o)
{
	struct mv_rows r[5];
	char title[96];
	int err;

	mv_frag_rows(f, r);
	if (f->interval)
		snprintf(title, sizeof(title), "THP and compaction (/proc/vmstat), "
			 "rates over %g s:", f->interval);
	else
		snprintf(title, sizeof(title), "THP and compaction (/proc/vmstat, "
			 "since boot; -i for rates):");
	err = mv_rows_print(&r[0], f->h.zones_proc ? "Free blocks per node, zone and "
			    "order (from /proc/buddyinfo):" :
			    "Free blocks per node, zone and order:", o);
	if (!err && putchar('\n') != EOF)
		err = mv_rows_print(&r[1], f->h.zones_proc ? "Zones (from /proc/zoneinfo "
				    "and /proc/pagetypeinfo):" : "Zones:", o);
	if (!err && putchar('\n') != EOF)
		err = r[2].nrows ? mv_rows_print(&r[2], "Hugetlb pools (pages; "
						 "reserved is host-wide only):", o) :
		      mv_table_title(o, "Hugetlb pools: none (no hugetlbfs support)");
	if (!err && putchar('\n') != EOF)
		err = mv_rows_print(&r[3], title, o);
	if (!err && putchar('\n') != EOF)
		err = mv_frag_verdicts_print(&f->h.mm, o);
	return err;
}

/* "vmstat": {"<counter>": {"total": N, "per_sec": R}}. */
static struct json_object *vmstat_json(const struct mv_frag *f, int *err)
{
	struct json_object *obj = json_object_new_object(), *j;
	size_t i;

	for (i = 0; obj && i < MV_NR_VMSTAT && !*err; i++) {
		if (!mv_frag_vmstat_shown(f, i))
			continue;
		j = json_object_new_object();
		*err = !j ? -ENOMEM : mv_json_add(obj, mv_vmstat_names[i], j) ?:
		       mv_json_add_value(j, "total", MV_FMT_NUM, true,
					 f->h.mm.vmstat.val[i]);
		if (!*err && f->interval)
			*err = mv_json_add(j, "per_sec",
					   json_object_new_double(mv_frag_vmstat_rate(f, i)));
	}
	if (!obj)
		*err = -ENOMEM;
	return obj;
}

static int frag_json(struct mv_frag *f)
{
	struct json_object *root = json_object_new_object();
	struct mv_rows r[5];
	int err = root ? 0 : -ENOMEM;

	mv_frag_rows(f, r);
	if (!err)
		err = mv_json_add(root, "source", json_object_new_string(
					  f->h.zones_proc ? "proc" : "module")) ?:
		      mv_json_add(root, "interval", f->interval ?
				  json_object_new_double(f->interval) : NULL) ?:
		      mv_rows_json_add(root, &r[1]) ?: mv_rows_json_add(root, &r[2]);
	if (!err) {
		struct json_object *vs = vmstat_json(f, &err);

		err = err ?: mv_json_add(root, "vmstat", vs);
	}
	if (!err)
		err = mv_rows_json_add(root, &r[4]) ?: mv_json_print(root);
	json_object_put(root);
	return err;
}

/* -i: the counters at the start, then everything at the end. */
static int frag_tick(void *arg, double secs)
{
	struct mv_frag *f = arg;

	f->secs = secs;
	if (mv_host_read(&f->h, MV_HOST_MM))
		return -1;
	if (f->h.mm.vmstat_err) {
		mv_err_errno(f->h.mm.vmstat_err, "/proc/vmstat");
		return -1;
	}
	if (f->interval && !secs)
		f->first = f->h.mm.vmstat;
	return 0;
}

/* On stderr: where the zones came from when not asked, what procfs lacked. */
static void frag_notes(const struct mv_frag *f)
{
	if (f->h.zones_proc && f->source == MV_FRAG_AUTO)
		mv_err("frag: memvirt.ko is not loaded: the zones are from /proc/buddyinfo, "
		       "/proc/zoneinfo and /proc/pagetypeinfo (the same figures)");
	if (f->h.zones_proc && f->h.zones_note[0])
		mv_err("frag: %s", f->h.zones_note);
}

int mv_cmd_frag(int argc, char **argv, struct mv_opts *o)
{
	struct mv_frag f = { .zone = -1 };
	struct mv_loop loop = { .tick_first = true, .clip = true };
	int err, ret = MV_EXIT_FAILURE;

	err = mv_parse_opts(&frag_cmd, argc, argv, o, &f);
	if (err)
		return mv_parse_exit(err);
	loop.interval = loop.duration = f.interval;
	if (f.source != MV_FRAG_PROC) {
		f.h.nl = f.source == MV_FRAG_MODULE ? mv_nl_open() : mv_nl_open_if_loaded();
		if (!f.h.nl && f.source == MV_FRAG_MODULE)
			return MV_EXIT_FAILURE;
	}
	f.h.zones_from_proc = f.source == MV_FRAG_PROC;
	if (!mv_loop(&loop, frag_tick, &f)) {
		frag_notes(&f);
		ret = mv_print_status(o->json ? frag_json(&f) : frag_human(&f, o));
	}
	mv_host_close(&f.h);
	return ret;
}
