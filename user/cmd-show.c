// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt show` - everything known about one VM: its fields
 * (the field table's lines), MMU caches, memslots and, with --backing, how
 * the host backs each memslot.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/host.h"
#include "out/fields.h"

/* Ids listed when a pid is ambiguous. */
#define MV_AMBIGUOUS_MAX	16

struct show_args {
	bool backing;
};

static const struct option show_longopts[] = {
	{ "backing",	no_argument,	NULL, 'B' },
	{ NULL, 0, NULL, 0 },
};

static void show_help(FILE *f)
{
	fputs("With --json the output is one object: the VM's fields (named as\n"
	      "'memvirt list' columns, in snake_case) plus arrays \"caches\" and\n"
	      "\"memslots\", and with --backing an object \"backing\" (\"slots\",\n"
	      "\"total\"). Values the kernel does not report are null.\n"
	      "show prints several tables: no -o.\n", f);
}

static int show_opt(int c, const char *arg, void *ctx)
{
	struct show_args *a = ctx;

	(void)arg;
	if (c != 'B')
		return MV_EXIT_USAGE;
	a->backing = true;
	return 0;
}

static const struct mv_cmd show_cmd = {
	.name = "show",
	.args = "<VM>",
	.about = "Show everything memvirt.ko reports for one VM: identity, vCPUs,\n"
		 "mappings by page size, MMU pages and caches, metadata overhead\n"
		 "and memslots. <VM> is a VM id (<pid>-<fd>, see 'memvirt list'),\n"
		 "the pid of a process with exactly one VM, or the VM's name or UUID\n"
		 "(columns NAME and UUID of 'memvirt list'; a name more than one VM\n"
		 "has is an error that lists them).",
	.shortopts = "B",
	.longopts = show_longopts,
	.opts_help =
	" -B, --backing          also read the host backing of each memslot\n"
	"                        from /proc/PID/pagemap (needs root): resident,\n"
	"                        THP, hugetlb, swapped bytes, bytes per NUMA\n"
	"                        node, physically contiguous runs\n",
	.min_args = 1,
	.max_args = 1,
	.help_more = show_help,
	.opt = show_opt,
};

/* ---- the VM argument --------------------------------------------------- */

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	if (!len || len > 10)
		return false;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * Returns 1 for an id ("<pid>-<fd>" or "<pid>-x<tag>"), 0 for "<pid>"
 * (stored in @pid), -1 else.
 */
static int parse_vm_arg(const char *arg, uint32_t *pid)
{
	const char *dash = strchr(arg, '-');
	unsigned long v;

	if (dash && dash[1] == 'x')	/* memvirt's "<pid>-x<tag>" */
		return all_digits(arg, dash - arg) && strlen(dash + 2) == 8 &&
		       strspn(dash + 2, "0123456789abcdef") == 8 ? 1 : -1;
	if (dash)
		return all_digits(arg, dash - arg) &&
		       all_digits(dash + 1, strlen(dash + 1)) ? 1 : -1;
	if (!all_digits(arg, strlen(arg)))
		return -1;
	v = strtoul(arg, NULL, 10);
	if (!v || v > UINT32_MAX)
		return -1;
	*pid = v;
	return 0;
}

/* "<pid>" has exactly one VM: its id into @id; otherwise explain. */
static int resolve_pid(struct mv_host *h, uint32_t pid, char *id)
{
	size_t i, n = 0;

	if (mv_host_read(h, MV_HOST_VMS))
		return -1;
	for (i = 0; i < h->nr_vms; i++)
		if (mv_vm_has(&h->vms[i], MEMVIRT_A_VM_PID) &&
		    h->vms[i].val[MEMVIRT_A_VM_PID] == pid && !n++)
			snprintf(id, MEMVIRT_VM_ID_LEN, "%s", h->vms[i].id);
	if (n == 1)
		return 0;
	if (!n) {
		mv_err("no VM created by pid %" PRIu32, pid);
		return -1;
	}
	fprintf(stderr, "memvirt: pid %" PRIu32 " has %zu VMs, name one by id:", pid, n);
	for (i = 0, n = 0; i < h->nr_vms; i++)
		if (h->vms[i].val[MEMVIRT_A_VM_PID] == pid && n++ < MV_AMBIGUOUS_MAX)
			fprintf(stderr, " %s", h->vms[i].id);
	if (n > MV_AMBIGUOUS_MAX)
		fprintf(stderr, " ... (see 'memvirt list')");
	fputc('\n', stderr);
	return -1;
}

/* A name or UUID names exactly one VM: its id into @id; otherwise explain. */
static int resolve_name(struct mv_host *h, const char *name, char *id)
{
	struct mv_filter f = { .vm = { name }, .nr_vm = 1 };
	int err;

	h->filter = &f;
	h->filter_need_all = true;
	err = mv_host_read(h, MV_HOST_VMS);
	h->filter = NULL;
	if (err)
		return -1;
	snprintf(id, MEMVIRT_VM_ID_LEN, "%s", h->vms[0].id);
	return 0;
}

/* ---- rendering --------------------------------------------------------- */

static bool show_field(const struct mv_host *h, const struct mv_field *f)
{
	return (f->flags & MV_F_SHOW) &&
	       (f->src != MV_SRC_HOST || mv_host_vm_backing(h, 0));
}

static int fields_print(const struct mv_host *h, const struct mv_opts *o)
{
	struct libscols_table *tb = mv_table_new(o, "vm");
	struct mv_field_ctx c = { .h = h };
	struct libscols_line *ln;
	char label[64];
	size_t i;
	int err = -ENOMEM;

	if (!tb)
		return -ENOMEM;
	scols_table_enable_noheadings(tb, 1);
	if (!scols_table_new_column(tb, "FIELD", 0, 0) ||
	    !scols_table_new_column(tb, "DATA", 0, 0))
		goto out;
	for (i = 0, err = 0; i < mv_nr_fields && !err; i++) {
		if (!show_field(h, &mv_fields[i]))
			continue;
		snprintf(label, sizeof(label), "%s:", mv_fields[i].label);
		ln = scols_table_new_line(tb, NULL);
		err = !ln || scols_line_set_data(ln, 0, label) ? -ENOMEM :
		      mv_field_cell(ln, 1, &mv_fields[i], &c, o);
	}
	if (!err)
		err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static int show_human(const struct mv_host *h, const struct mv_rows *parts,
		      const struct mv_opts *o)
{
	static const char *const titles[] = {
		"\nMMU caches:", "\nMemslots:", NULL,
	};
	char title[64];
	int err, i;

	err = fields_print(h, o);
	for (i = 0; i < 3 && !err && parts[i].name; i++) {
		if (titles[i] && puts(titles[i]) == EOF)
			return -EIO;
		if (!titles[i]) {
			snprintf(title, sizeof(title), "\nHost backing (pid %" PRIu64 "):",
				 h->vms[0].val[MEMVIRT_A_VM_PID]);
			if (puts(title) == EOF)
				return -EIO;
		}
		err = mv_rows_print(&parts[i], NULL, o);
	}
	return err;
}

static int show_json(const struct mv_host *h, const struct mv_rows *parts)
{
	struct json_object *obj = json_object_new_object(), *bk;
	struct mv_field_ctx c = { .h = h };
	size_t i;
	int err = obj ? 0 : -ENOMEM;

	for (i = 0; i < mv_nr_fields && !err; i++)
		if (show_field(h, &mv_fields[i]))
			err = mv_field_json(obj, &mv_fields[i], &c);
	if (!err)
		err = mv_rows_json_add(obj, &parts[0]) ?:
		      mv_rows_json_add(obj, &parts[1]);
	if (!err && parts[2].name) {
		bk = mv_show_backing_json(h, &parts[2]);
		err = bk ? mv_json_add(obj, "backing", bk) : -ENOMEM;
	}
	if (!err)
		err = mv_json_print(obj);
	json_object_put(obj);
	return err;
}

static int show_read(struct mv_host *h, const char *arg, bool backing)
{
	static char id[MEMVIRT_VM_ID_LEN];
	uint32_t pid = 0;

	switch (parse_vm_arg(arg, &pid)) {
	case 0:
		if (resolve_pid(h, pid, id))
			return -1;
		arg = id;
		break;
	case -1:
		if (resolve_name(h, arg, id))
			return -1;
		arg = id;
		break;
	}
	h->vm_id = arg;
	if (mv_host_read(h, MV_HOST_VMS | MV_HOST_SLOTS |
			 (backing ? MV_HOST_BACKING : 0)))
		return -1;
	if (backing && !mv_host_vm_backing(h, 0))
		return -1;	/* said why */
	return 0;
}

int mv_cmd_show(int argc, char **argv, struct mv_opts *o)
{
	struct show_args a = { 0 };
	struct mv_host h = { 0 };
	struct mv_rows parts[3];
	int err, ret = MV_EXIT_FAILURE;

	err = mv_parse_opts(&show_cmd, argc, argv, o, &a);
	if (err)
		return mv_parse_exit(err);
	h.nl = mv_nl_open();
	if (!h.nl)
		return MV_EXIT_FAILURE;
	if (a.backing) {
		h.bctx = mv_host_backing_open(NULL);
		if (!h.bctx)
			goto out;
	}
	if (show_read(&h, argv[optind], a.backing))
		goto out;
	mv_show_parts(&h, o, a.backing, parts);
	ret = mv_print_status(o->json ? show_json(&h, parts) : show_human(&h, parts, o));
out:
	mv_host_close(&h);
	return ret;
}
