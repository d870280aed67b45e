// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt export` - everything memvirt knows, as metrics for a
 * monitoring system (out/prom.c): on stdout or written atomically into a
 * file for node_exporter's textfile collector. With --json, the same
 * samples as one JSON document.
 *
 * Once (the default) it exports what memvirt.ko reports: per VM memory,
 * mappings, KVM's page tables and overhead; per zone free blocks, watermarks
 * and the kernel's fragmentation indices. With --interval it keeps running,
 * keeps the page-fault probes attached and adds per-VM fault counters: they
 * count from the moment the probes first see the VM, so they only grow while
 * the exporter runs (Prometheus' rate() handles the restart of a counter).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lib/host.h"
#include "out/prom.h"

struct export {
	const struct mv_opts *o;
	struct mv_loop loop;		/* interval 0: once */
	const char *textfile;		/* NULL: stdout */
	bool no_faults, backing;
	struct mv_host h;
};

enum { OPT_NO_FAULTS = 256, OPT_BACKING, OPT_TEXTFILE };

static const struct option export_longopts[] = {
	{ "textfile", required_argument, NULL, OPT_TEXTFILE },
	{ "output", required_argument, NULL, 'o' },	/* the old name */
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "no-faults", no_argument, NULL, OPT_NO_FAULTS },
	{ "backing", no_argument, NULL, OPT_BACKING },
	{ NULL, 0, NULL, 0 }
};

static void export_help(FILE *f)
{
	fputs("Metrics (label vm=\"<pid>-<fd>\", KVM's name for the VM):\n"
	      " memvirt_vm_info{vm,pid,comm,name,uuid,held_by}, memvirt_vm_vcpus, memvirt_vm_memslots,\n"
	      " memvirt_vm_memory_bytes, memvirt_vm_mapped_bytes,\n"
	      " memvirt_vm_mappings{size}, memvirt_vm_huge_mapped_ratio,\n"
	      " memvirt_vm_page_table_pages{mmu}, memvirt_vm_overhead_bytes{part},\n"
	      " memvirt_vm_nx_huge_page_splits; memvirt_host_vms,\n"
	      " memvirt_host_vms_without_vm_fd, and where KVM's debugfs can be read\n"
	      " memvirt_host_kvm_debugfs_vms, memvirt_host_unattributed_vms; with --backing:\n"
	      " memvirt_vm_host_bytes{state}, memvirt_vm_host_huge_bytes{kind},\n"
	      " memvirt_vm_host_node_bytes{node}, memvirt_vm_host_runs,\n"
	      " memvirt_vm_host_longest_run_bytes; per zone (labels node, zone):\n"
	      " memvirt_zone_{managed,free,lowmem_reserve,highatomic}_bytes,\n"
	      " memvirt_zone_watermark_bytes{level}, memvirt_zone_free_blocks{order},\n"
	      " memvirt_zone_unusable_free_ratio{order},\n"
	      " memvirt_zone_fragmentation_index{order}, memvirt_zone_block_available{order},\n"
	      " memvirt_zone_huge_2m_available_pages;\n"
	      " with -i: memvirt_vm_page_faults_total{access,cause},\n"
	      " memvirt_vm_page_faults_mmio_total, memvirt_vm_page_faults_pagein_total,\n"
	      " memvirt_vm_page_faults_pagein_major_total,\n"
	      " memvirt_vm_fault_mappings_total{size},\n"
	      " memvirt_vm_page_fault_duration_seconds (histogram),\n"
	      " memvirt_probe_lost_total{reason}, memvirt_probe_lost_measurable{reason}.\n"
	      "\n"
	      "The output is the Prometheus text format: always raw and in bytes, so\n"
	      "-r and -b change nothing; -n leaves out the HELP and TYPE lines.\n"
	      "Needs memvirt.ko loaded; shows the VMs whose VMM you could ptrace-read\n"
	      "(all of them as root); fault counters need BPF.\n"
	      "memvirt-export(8) lists every metric.\n", f);
}

static int export_opt(int c, const char *arg, void *ctx)
{
	struct export *x = ctx;

	switch (c) {
	case 'o':
	case OPT_TEXTFILE:
		if (!*arg)
			return mv_usage_error("export", "empty --textfile file name");
		x->textfile = arg;
		return 0;
	case 'i':
		if (mv_parse_seconds(arg, 0.1, MV_MAX_INTERVAL, &x->loop.interval))
			return mv_usage_error("export", "invalid interval '%s': expected "
					      "0.1..%.0f seconds", arg, MV_MAX_INTERVAL);
		return 0;
	case 'd':
		if (mv_parse_seconds(arg, 0.1, MV_MAX_DURATION, &x->loop.duration))
			return mv_usage_error("export", "invalid duration '%s'", arg);
		return 0;
	case OPT_NO_FAULTS:
		x->no_faults = true;
		return 0;
	case OPT_BACKING:
		x->backing = true;
		return 0;
	}
	return MV_EXIT_USAGE;
}

static const struct mv_cmd export_cmd = {
	.name = "export",
	.about = "Everything memvirt knows of this host's VMs and memory as metrics, in the\n"
		 "Prometheus text format: once, or rewritten every interval with per-VM\n"
		 "page-fault counters from the eBPF probes.",
	.shortopts = "o:i:d:",
	.longopts = export_longopts,
	.opts_help =
	"     --textfile <file>  write <file> atomically (a temporary file renamed\n"
	"                        over it), e.g. for node_exporter's textfile\n"
	"                        collector: <dir>/memvirt.prom\n"
	" -o, --output <file>    the same (the old name, kept for one release)\n"
	" -i, --interval <sec>   keep running and export every <sec> seconds,\n"
	"                        with page-fault counters\n"
	" -d, --duration <sec>   with -i: stop after <sec> seconds (default: at ^C)\n"
	"     --no-faults        with -i: no BPF probes, no fault counters\n"
	"     --backing          add how the host backs guest memory (reads\n"
	"                        the VMMs' page tables: ~200 ms per GiB of 4K\n"
	"                        pages, ~15 ms per GiB of huge pages)\n",
	.filter = true,
	.help_more = export_help,
	.opt = export_opt,
};

/* Writes the snapshot to @f; says why on failure. */
static int write_to(struct export *x, FILE *f, const char *name)
{
	int err;

	/* Repeated on stdout: one document per line, like `top --json`. */
	err = mv_prom_write(&x->h, f, x->o, x->loop.interval && !x->textfile);
	if (err == -ENOMEM) {
		mv_err_nomem();
	} else if (err || fflush(f) || ferror(f) || (x->textfile && fsync(fileno(f)))) {
		mv_err("writing %s: %s", name, strerror(err ? -err : errno));
		err = -EIO;
	}
	return err;
}

/* The textfile: written to a temporary file, renamed over it. */
static int write_textfile(struct export *x)
{
	char *tmp = NULL;
	FILE *f;
	int err;

	if (asprintf(&tmp, "%s.tmp.%d", x->textfile, (int)getpid()) < 0)
		return mv_err_nomem();
	f = fopen(tmp, "w");
	if (!f) {
		mv_err("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -EIO;
	}
	err = write_to(x, f, tmp);
	if (fclose(f) && !err) {
		mv_err("writing %s: %s", tmp, strerror(errno));
		err = -EIO;
	}
	if (!err && rename(tmp, x->textfile)) {
		mv_err("%s: %s", x->textfile, strerror(errno));
		err = -EIO;
	}
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

static int export_once(void *arg, double secs)
{
	struct export *x = arg;
	unsigned int what = MV_HOST_VMS | MV_HOST_SUM | MV_HOST_ZONES |
			    (x->h.bctx ? MV_HOST_BACKING : 0) |
			    (x->h.faults ? MV_HOST_FAULTS : 0);
	int err;

	(void)secs;
	if (mv_host_read(&x->h, what))
		return -1;
	err = x->textfile ? write_textfile(x) : write_to(x, stdout, "standard output");
	if (x->h.faults)
		mv_faults_advance(x->h.faults);
	return err ? -1 : 0;
}

int mv_cmd_export(int argc, char **argv, struct mv_opts *o)
{
	struct export x = { .o = o, .loop = { .tick_first = true } };
	int rc;

	rc = mv_parse_opts(&export_cmd, argc, argv, o, &x);
	if (rc)
		return mv_parse_exit(rc);
	if ((x.loop.duration || x.no_faults) && !x.loop.interval)
		return mv_usage_error("export", "--duration and --no-faults need --interval");

	x.h.nl = mv_nl_open();
	if (!x.h.nl)
		return MV_EXIT_FAILURE;
	x.h.filter = &o->filter;
	x.h.filter_need_all = !x.loop.interval;
	if (x.backing)
		x.h.bctx = mv_host_backing_open("exporting without host backing");
	if (x.loop.interval && !x.no_faults) {
		x.h.faults = mv_faults_start(NULL);
		if (!x.h.faults)
			mv_err("exporting without page-fault counters");
	}
	rc = mv_loop(&x.loop, export_once, &x) ? MV_EXIT_FAILURE : MV_EXIT_OK;
	mv_host_close(&x.h);
	return rc;
}
