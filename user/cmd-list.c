// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt list` - the host's VMs, one per line, with the
 * columns of the field table (out/fields.c); --summary: the host's totals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/host.h"
#include "out/fields.h"

#define LIST_AVAIL	(MV_F_VM_COLS | MV_F_HOST_COLS)

struct list_args {
	bool summary;
};

enum { OPT_SUMMARY = 0x100 };

static const struct option list_longopts[] = {
	{ "summary",	no_argument,	NULL, OPT_SUMMARY },
	{ NULL, 0, NULL, 0 },
};

static void list_help(FILE *f)
{
	mv_fields_help(f, LIST_AVAIL, MV_F_LIST);
}

static int list_opt(int c, const char *arg, void *ctx)
{
	struct list_args *a = ctx;

	(void)arg;
	if (c != OPT_SUMMARY)
		return MV_EXIT_USAGE;
	a->summary = true;
	return 0;
}

static const struct mv_cmd list_cmd = {
	.name = "list",
	.about = "List the VMs on this host in the order memvirt.ko reports them\n"
		 "(or -s's). NAME and UUID: what the VMM's command line names the VM.",
	.longopts = list_longopts,
	.opts_help =
	"     --summary          the host's totals instead: VMs, guest memory,\n"
	"                        host resident, KVM overhead, VMs no VM fd names,\n"
	"                        and KVM's debugfs VM directories none of them names\n",
	.columns = true,
	.filter = true,
	.help_more = list_help,
	.opt = list_opt,
};

/* --summary: one "host" object, or FIELD: DATA lines. */
static int summary_print(const struct mv_host *h, const struct mv_opts *o)
{
	const struct mv_host_sum *s = &h->sum;
	const struct {
		const char *label, *key;
		enum mv_fmt fmt;
		bool present;
		uint64_t v;
	} rows[] = {
		{ "VMs", "vms", MV_FMT_NUM, true, s->vms },
		{ "Guest memory", "memory", MV_FMT_SIZE, true, s->memory },
		{ "Host resident", "resident", MV_FMT_SIZE,
		  h->bctx && !s->unreadable, s->resident },
		{ "KVM overhead", "overhead", MV_FMT_SIZE, true, s->overhead },
		{ "Held by no VM fd", "vms_without_vm_fd", MV_FMT_NUM, true,
		  s->no_vm_fd },
		{ "Without KVM debugfs dir", "vms_without_debugfs_dir",
		  MV_FMT_NUM, true, s->no_debugfs },
		{ "KVM debugfs VM dirs", "kvm_debugfs_vms", MV_FMT_NUM,
		  s->kvm_dirs >= 0, s->kvm_dirs },
		{ "Not attributed", "unattributed_kvm_debugfs_vms", MV_FMT_NUM,
		  s->unattributed >= 0, s->unattributed },
	};
	struct mv_kv kv[ARRAY_SIZE(rows)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rows); i++)
		kv[i] = (struct mv_kv){ rows[i].label, rows[i].key, rows[i].fmt,
					rows[i].present, rows[i].v };
	return mv_kv_print("host", kv, ARRAY_SIZE(kv), o);
}

static bool wants_backing(const struct mv_field **cols, size_t n, bool summary)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cols[i]->src == MV_SRC_HOST)
			return true;
	return summary;
}

/* The VMs as a table, in -s's order. */
static int vms_print(const struct mv_host *h, const struct mv_field **cols,
		     size_t n, const struct mv_field *key, bool reverse,
		     const struct mv_opts *o)
{
	size_t *order = calloc(h->nr_vms ? h->nr_vms : 1, sizeof(*order));
	int err = order ? mv_fields_order(h, key, reverse, 0, order) : -ENOMEM;

	if (!err)
		err = mv_fields_table(h, order, cols, n, 0, "vms", o);
	free(order);
	return err;
}

int mv_cmd_list(int argc, char **argv, struct mv_opts *o)
{
	const struct mv_field *cols[2 * 64], *key;
	struct list_args a = { 0 };
	struct mv_host h = { 0 };
	unsigned int what = MV_HOST_VMS;
	int err, ret = MV_EXIT_FAILURE;
	bool reverse = false;
	ssize_t n;

	err = mv_parse_opts(&list_cmd, argc, argv, o, &a);
	if (err)
		return mv_parse_exit(err);
	n = mv_fields_select("list", o, LIST_AVAIL, MV_F_LIST, cols, ARRAY_SIZE(cols));
	if (n < 0 || mv_fields_sort_key("list", o, LIST_AVAIL, &key, &reverse))
		return MV_EXIT_USAGE;

	h.nl = mv_nl_open();
	h.filter = &o->filter;
	h.filter_need_all = true;
	if (!h.nl)
		return MV_EXIT_FAILURE;
	if (wants_backing(cols, n, a.summary)) {
		h.bctx = mv_host_backing_open(a.summary ? "host resident left empty" :
					      "RESIDENT and HOST-HUGE left empty");
		what |= MV_HOST_BACKING;
	}
	if (a.summary)
		what |= MV_HOST_SUM;
	if (!mv_host_read(&h, what))
		ret = mv_print_status(a.summary ? summary_print(&h, o) :
				      vms_print(&h, cols, n, key, reverse, o));
	mv_host_close(&h);
	return ret;
}
