// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt export` - everything memvirt knows, as metrics for a
 * monitoring system: the Prometheus text exposition format (version 0.0.4),
 * on stdout or written atomically into a file for node_exporter's textfile
 * collector. With --json, the same samples as one JSON document.
 *
 * Once (the default) it exports what memvirt.ko reports: per VM memory,
 * mappings, KVM's page tables and overhead; per zone free blocks, watermarks
 * and the kernel's fragmentation indices. With --interval it keeps running,
 * keeps the page-fault probes attached and adds per-VM fault counters: they
 * count from the moment the probes first see the VM, so they only grow while
 * the exporter runs (Prometheus' rate() handles the restart of a counter).
 *
 * Names follow Prometheus' conventions: base units (bytes, seconds), _total
 * for counters, one "vm" label carrying KVM's "<pid>-<fd>" identity.
 */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backing.h"
#include "faults.h"
#include "frag.h"
#include "nl.h"
#include "output.h"
#include "vm.h"

#define MAX_INTERVAL	3600.0
#define MAX_ZONES	64
#define MAX_LABELS	4

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct label {
	const char *key;
	const char *val;
};

/*
 * The writer: families of samples, as text or as a json-c document. A family
 * is announced once (HELP, TYPE) and its samples follow it, as the format
 * requires.
 */
struct emit {
	FILE *f;			/* text, or NULL for JSON */
	struct json_object *fams;	/* JSON: the "metrics" array */
	struct json_object *samples;	/* JSON: the current family's */
	int err;
};

struct export {
	const struct mv_opts *o;
	double interval, duration;	/* 0: once */
	const char *output;		/* NULL: stdout */
	struct mv_faults *faults;
	struct mv_backing_ctx *bctx;	/* --backing, and readable */
	struct mv_vm *vms;
	struct mv_vm_backing *bk;	/* with bctx: per VM, .slot NULL if unread */
	size_t nr, cap, nr_bk;
	struct mv_slot_list slots;	/* with bctx: every VM's memslots */
	struct mv_zone zones[MAX_ZONES];
	unsigned int nr_zones;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void export_usage(void)
{
	fputs("Usage:\n"
	      " memvirt export [options]\n"
	      "\n"
	      "Everything memvirt knows of this host's VMs and memory as metrics, in the\n"
	      "Prometheus text format: once, or rewritten every interval with per-VM\n"
	      "page-fault counters from the eBPF probes.\n"
	      "\n"
	      "Options:\n"
	      " -o, --output <file>    write <file> atomically (a temporary file renamed\n"
	      "                        over it), e.g. for node_exporter's textfile\n"
	      "                        collector: <dir>/memvirt.prom\n"
	      " -i, --interval <sec>   keep running and export every <sec> seconds,\n"
	      "                        with page-fault counters\n"
	      " -d, --duration <sec>   with -i: stop after <sec> seconds (default: at ^C)\n"
	      "     --no-faults        with -i: no BPF probes, no fault counters\n"
	      "     --backing          add how the host backs guest memory (reads\n"
	      "                        the VMMs' page tables: ~200 ms per GiB)\n"
	      " -J, --json             the same samples as one JSON document\n"
	      " -h, --help             display this help\n"
	      "\n"
	      "Metrics (label vm=\"<pid>-<fd>\", KVM's name for the VM):\n"
	      " memvirt_vm_info{vm,pid,comm,held_by}, memvirt_vm_vcpus, memvirt_vm_memslots,\n"
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
	      " memvirt_zone_fragmentation_index{order}, memvirt_zone_huge_2m_available;\n"
	      " with -i: memvirt_vm_page_faults_total{access,cause},\n"
	      " memvirt_vm_page_faults_mmio_total, memvirt_vm_page_faults_pagein_total,\n"
	      " memvirt_vm_page_faults_pagein_major_total,\n"
	      " memvirt_vm_fault_mappings_total{size},\n"
	      " memvirt_vm_page_fault_duration_seconds (histogram),\n"
	      " memvirt_probe_lost_total{reason}, memvirt_probe_lost_measurable{reason}.\n"
	      "\n"
	      "Needs memvirt.ko loaded; shows the VMs whose VMM you could ptrace-read\n"
	      "(all of them as root); fault counters need BPF.\n"
	      "Documentation/memvirt.rst lists every metric.\n",
	      stdout);
}

/* ---- the writer -------------------------------------------------------- */

/* A label value with \, " and newline escaped, as the format wants. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void family(struct emit *e, const char *name, const char *type,
		   const char *help)
{
	struct json_object *fam;

	if (e->err)
		return;
	if (e->f) {
		fprintf(e->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
		return;
	}
	fam = json_object_new_object();
	e->samples = json_object_new_array();
	if (!fam || !e->samples || json_object_array_add(e->fams, fam)) {
		json_object_put(fam);
		json_object_put(e->samples);
		e->err = -ENOMEM;
		return;
	}
	e->err = mv_json_add(fam, "name", json_object_new_string(name)) ?:
		 mv_json_add(fam, "type", json_object_new_string(type)) ?:
		 mv_json_add(fam, "help", json_object_new_string(help)) ?:
		 mv_json_add(fam, "samples", e->samples);
}

/* One sample: an integer, or a double when @is_double. */
static void sample(struct emit *e, const char *name, const struct label *l,
		   unsigned int nl, bool is_double, uint64_t u, double d)
{
	struct json_object *s, *labels;
	unsigned int i;

	if (e->err)
		return;
	if (e->f) {
		fputs(name, e->f);
		for (i = 0; i < nl; i++) {
			fprintf(e->f, "%s%s=\"", i ? "," : "{", l[i].key);
			put_escaped(e->f, l[i].val);
			fputc('"', e->f);
		}
		if (nl)
			fputc('}', e->f);
		if (is_double)
			fprintf(e->f, " %.15g\n", d);
		else
			fprintf(e->f, " %" PRIu64 "\n", u);
		return;
	}
	s = json_object_new_object();
	labels = json_object_new_object();
	if (!s || !labels || json_object_array_add(e->samples, s)) {
		json_object_put(s);
		json_object_put(labels);
		e->err = -ENOMEM;
		return;
	}
	e->err = mv_json_add(s, "name", json_object_new_string(name));
	for (i = 0; i < nl && !e->err; i++)
		e->err = mv_json_add(labels, l[i].key, json_object_new_string(l[i].val));
	if (e->err) {
		json_object_put(labels);
		return;
	}
	e->err = mv_json_add(s, "labels", labels) ?:
		 mv_json_add(s, "value", is_double ? json_object_new_double(d) :
			     json_object_new_uint64(u));
}

static void sample_u(struct emit *e, const char *name, const struct label *l,
		     unsigned int nl, uint64_t v)
{
	sample(e, name, l, nl, false, v, 0);
}

static void sample_d(struct emit *e, const char *name, const struct label *l,
		     unsigned int nl, double v)
{
	sample(e, name, l, nl, true, 0, v);
}

/* ---- per VM ------------------------------------------------------------ */

static int collect(const struct mv_vm *vm, void *arg)
{
	struct export *x = arg;

	if (x->nr == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		struct mv_vm *v = realloc(x->vms, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->vms = v;
		x->cap = cap;
	}
	x->vms[x->nr++] = *vm;
	return 0;
}

/* Gauges that are one MEMVIRT_A_VM_* attribute each. */
static const struct {
	const char *name, *help;
	int attr;
} vm_gauges[] = {
	{ "memvirt_vm_vcpus", "vCPUs online.", MEMVIRT_A_VM_VCPUS_ONLINE },
	{ "memvirt_vm_memslots", "Memslots, all address spaces, KVM's internal ones included.",
	  MEMVIRT_A_VM_NR_MEMSLOTS },
	{ "memvirt_vm_memory_bytes", "Guest memory in memslots.", MEMVIRT_A_VM_MEM_BYTES },
	{ "memvirt_vm_mapped_bytes", "Guest memory KVM maps in its EPT/NPT page tables.",
	  MEMVIRT_A_VM_MAPPED_BYTES },
	{ "memvirt_vm_nx_huge_page_splits",
	  "Huge mappings KVM keeps split to 4K for the NX huge-page mitigation.",
	  MEMVIRT_A_VM_NX_LPAGE_SPLITS },
};

/* Gauges with one more label, each value an attribute. */
static const struct {
	const char *name, *help, *key;
	struct {
		const char *val;
		int attr;
	} parts[8];
} vm_split[] = {
	{ "memvirt_vm_mappings", "Leaf mappings in KVM's EPT/NPT page tables, by page size.",
	  "size", { { "4K", MEMVIRT_A_VM_MAP_4K }, { "2M", MEMVIRT_A_VM_MAP_2M },
		    { "1G", MEMVIRT_A_VM_MAP_1G } } },
	{ "memvirt_vm_page_table_pages", "KVM's MMU page-table pages, by MMU.", "mmu",
	  { { "tdp", MEMVIRT_A_VM_MMU_TDP_PAGES },
	    { "shadow", MEMVIRT_A_VM_MMU_SHADOW_PAGES } } },
	{ "memvirt_vm_overhead_bytes",
	  "Host memory KVM spends on the VM's bookkeeping, by part; the parts add up.",
	  "part", { { "page_tables", MEMVIRT_A_VM_PAGE_TABLE_BYTES },
		    { "mmu_caches", MEMVIRT_A_VM_CACHE_BYTES },
		    { "rmap", MEMVIRT_A_VM_RMAP_BYTES },
		    { "lpage_info", MEMVIRT_A_VM_LPAGE_INFO_BYTES },
		    { "dirty_bitmap", MEMVIRT_A_VM_DIRTY_BITMAP_BYTES },
		    { "write_track", MEMVIRT_A_VM_WRITE_TRACK_BYTES },
		    { "vcpus", MEMVIRT_A_VM_VCPU_BYTES } } },
};

/* The host's count of VMs, and KVM's own where its debugfs can be read. */
static void host_metrics(struct emit *e, const struct export *x)
{
	struct mv_host_sum sum = { 0 };
	int64_t dirs, unattributed;
	size_t i;

	for (i = 0; i < x->nr; i++)
		if (mv_host_sum_add(&sum, &x->vms[i], NULL))
			break;
	family(e, "memvirt_host_vms", "gauge", "VMs memvirt found on this host.");
	sample_u(e, "memvirt_host_vms", NULL, 0, x->nr);
	family(e, "memvirt_host_vms_without_vm_fd", "gauge",
	       "VMs that no VM fd names: held by vCPU fds or mappings only.");
	sample_u(e, "memvirt_host_vms_without_vm_fd", NULL, 0, sum.no_vm_fd);
	if (i == x->nr) {
		mv_kvm_debugfs_count(&sum, &dirs, &unattributed);
		if (dirs >= 0) {
			family(e, "memvirt_host_kvm_debugfs_vms", "gauge",
			       "VM directories in KVM's debugfs.");
			sample_u(e, "memvirt_host_kvm_debugfs_vms", NULL, 0, dirs);
			family(e, "memvirt_host_unattributed_vms", "gauge",
			       "VM directories in KVM's debugfs that name no VM memvirt found.");
			sample_u(e, "memvirt_host_unattributed_vms", NULL, 0, unattributed);
		}
	}
	free(sum.ids);
}

static void vm_metrics(struct emit *e, const struct export *x)
{
	char pid[16];
	size_t i, g, p;

	family(e, "memvirt_vm_info", "gauge",
	       "A KVM VM on this host: its VMM's pid and command, and how it is "
	       "held (vm-fd; vcpu-fd-only or mapping-only: no VM fd names it).");
	for (i = 0; i < x->nr; i++) {
		const struct mv_vm *vm = &x->vms[i];
		char held[64];
		const char *h = mv_vm_held_by(vm, held, sizeof(held));
		struct label l[] = { { "vm", vm->id }, { "pid", pid }, { "comm", vm->comm },
				     { "held_by", h ?: "" } };

		snprintf(pid, sizeof(pid), "%" PRIu64,
			 mv_vm_has(vm, MEMVIRT_A_VM_PID) ? vm->val[MEMVIRT_A_VM_PID] : 0);
		sample_u(e, "memvirt_vm_info", l, 4, 1);
	}
	host_metrics(e, x);
	for (g = 0; g < ARRAY_SIZE(vm_gauges); g++) {
		family(e, vm_gauges[g].name, "gauge", vm_gauges[g].help);
		for (i = 0; i < x->nr; i++) {
			const struct mv_vm *vm = &x->vms[i];
			struct label l[] = { { "vm", vm->id } };

			if (mv_vm_has(vm, vm_gauges[g].attr))
				sample_u(e, vm_gauges[g].name, l, 1,
					 vm->val[vm_gauges[g].attr]);
		}
	}
	family(e, "memvirt_vm_huge_mapped_ratio", "gauge",
	       "Share of the mapped guest memory that 2M and 1G mappings cover.");
	for (i = 0; i < x->nr; i++) {
		const struct mv_vm *vm = &x->vms[i];
		struct label l[] = { { "vm", vm->id } };

		if (mv_vm_has(vm, MEMVIRT_A_VM_HUGE_MAPPED_PPM))
			sample_d(e, "memvirt_vm_huge_mapped_ratio", l, 1,
				 vm->val[MEMVIRT_A_VM_HUGE_MAPPED_PPM] / 1e6);
	}
	for (g = 0; g < ARRAY_SIZE(vm_split); g++) {
		family(e, vm_split[g].name, "gauge", vm_split[g].help);
		for (i = 0; i < x->nr; i++) {
			const struct mv_vm *vm = &x->vms[i];

			for (p = 0; p < ARRAY_SIZE(vm_split[g].parts) &&
			     vm_split[g].parts[p].val; p++) {
				struct label l[] = { { "vm", vm->id },
						     { vm_split[g].key, vm_split[g].parts[p].val } };
				int a = vm_split[g].parts[p].attr;

				if (mv_vm_has(vm, a))
					sample_u(e, vm_split[g].name, l, 2, vm->val[a]);
			}
		}
	}
}

/* ---- host backing ----------------------------------------------------- */

static void backing_free(struct export *x)
{
	for (size_t i = 0; i < x->nr_bk; i++)
		mv_vm_backing_free(&x->bk[i]);
	free(x->bk);
	x->bk = NULL;
	x->nr_bk = 0;
}

/* Each VM's backing from its memslots; a VM that cannot be read is left out. */
static int backing_read(struct export *x)
{
	x->bk = calloc(x->nr ? x->nr : 1, sizeof(*x->bk));
	if (!x->bk)
		return -ENOMEM;
	x->nr_bk = x->nr;
	for (size_t i = 0; i < x->nr; i++)
		if (mv_vm_backing_of(x->bctx, &x->vms[i], &x->slots, &x->bk[i]) == -ENOMEM)
			return -ENOMEM;
	return 0;
}

static void backing_metrics(struct emit *e, const struct export *x)
{
	static const struct {
		const char *val;
		size_t off;
	} states[] = {
		{ "resident", offsetof(struct mv_backing, resident) },
		{ "zero", offsetof(struct mv_backing, zero) },
		{ "swapped", offsetof(struct mv_backing, swapped) },
		{ "not_present", offsetof(struct mv_backing, not_present) },
	}, huge[] = {
		{ "thp", offsetof(struct mv_backing, thp) },
		{ "hugetlb", offsetof(struct mv_backing, hugetlb) },
	};
	unsigned int nr_nodes = mv_backing_nr_node_ids(x->bctx), n;
	char node[16];
	size_t i, k;

#define BK(b, off)	(*(const uint64_t *)((const char *)(b) + (off)))
	family(e, "memvirt_vm_host_bytes", "gauge",
	       "Guest memory by what backs it on the host (each host page once); "
	       "the states add up to the memory of the VM's memslots.");
	for (i = 0; i < x->nr; i++)
		for (k = 0; x->bk[i].slot && k < ARRAY_SIZE(states); k++) {
			struct label l[] = { { "vm", x->vms[i].id }, { "state", states[k].val } };

			sample_u(e, "memvirt_vm_host_bytes", l, 2, BK(&x->bk[i].total, states[k].off));
		}
	family(e, "memvirt_vm_host_huge_bytes", "gauge",
	       "Resident guest memory in host huge pages, by kind.");
	for (i = 0; i < x->nr; i++)
		for (k = 0; x->bk[i].slot && k < ARRAY_SIZE(huge); k++) {
			struct label l[] = { { "vm", x->vms[i].id }, { "kind", huge[k].val } };

			sample_u(e, "memvirt_vm_host_huge_bytes", l, 2, BK(&x->bk[i].total, huge[k].off));
		}
#undef BK
	family(e, "memvirt_vm_host_node_bytes", "gauge",
	       "Resident guest memory by the host NUMA node it is on.");
	for (i = 0; i < x->nr; i++) {
		const struct mv_backing *b = &x->bk[i].total;
		struct label l[] = { { "vm", x->vms[i].id }, { "node", node } };

		for (n = 0; x->bk[i].slot && b->node && n < nr_nodes; n++) {
			if (!mv_backing_node_has_memory(x->bctx, n))
				continue;
			snprintf(node, sizeof(node), "%u", n);
			sample_u(e, "memvirt_vm_host_node_bytes", l, 2, b->node[n]);
		}
	}
	family(e, "memvirt_vm_host_runs", "gauge",
	       "Physically contiguous runs of resident guest memory.");
	for (i = 0; i < x->nr; i++) {
		struct label l[] = { { "vm", x->vms[i].id } };

		if (x->bk[i].slot)
			sample_u(e, "memvirt_vm_host_runs", l, 1, x->bk[i].total.runs);
	}
	family(e, "memvirt_vm_host_longest_run_bytes", "gauge",
	       "The longest physically contiguous run of resident guest memory.");
	for (i = 0; i < x->nr; i++) {
		struct label l[] = { { "vm", x->vms[i].id } };

		if (x->bk[i].slot)
			sample_u(e, "memvirt_vm_host_longest_run_bytes", l, 1,
				 x->bk[i].total.longest_run);
	}
}

/* ---- page faults ------------------------------------------------------- */

static const char *const access_names[MV_FA_NR] = { "read", "write", "fetch" };
static const char *const cause_names[MV_FK_NR] = { "not_present", "protection", "rsvd" };
static const char *const level_names[MV_FL_NR] = { "4K", "2M", "1G", "other" };

static void fault_metrics(struct emit *e, const struct export *x)
{
	struct mv_fault_totals *t = calloc(x->nr ? x->nr : 1, sizeof(*t));
	struct mv_fault_totals caps;
	struct mv_fault_losses lost;
	struct label pl[] = { { "method", mv_faults_method(x->faults) } };
	size_t i;
	int h;

	if (!t) {
		e->err = -ENOMEM;
		return;
	}
	/* A VM the probes have not seen yet has faulted nothing since: zeros. */
	mv_faults_totals(x->faults, "", &caps);
	for (i = 0; i < x->nr; i++)
		mv_faults_totals(x->faults, x->vms[i].id, &t[i]);

	family(e, "memvirt_faults_probe_info", "gauge",
	       "The page-fault probes are attached, and how (fentry or kprobe).");
	sample_u(e, "memvirt_faults_probe_info", pl, 1, 1);

	/* Losses: a reason this kernel does not report has no counter, measurable 0. */
	mv_faults_losses(x->faults, true, &lost);
	family(e, "memvirt_probe_lost_total", "counter",
	       "Page faults (or probe hits) the fault probes could not count since they "
	       "attached, by reason (Documentation/faults.rst, Losses).");
	for (i = 0; i < MV_LOST_NR; i++) {
		struct label l[] = { { "reason", mv_loss_desc[i].key } };

		if (lost.state[i] == MV_LOSS_OK)
			sample_u(e, "memvirt_probe_lost_total", l, 1, lost.n[i]);
	}
	family(e, "memvirt_probe_lost_measurable", "gauge",
	       "1 if memvirt_probe_lost_total{reason} is measured, 0 if this kernel does "
	       "not report that reason.");
	for (i = 0; i < MV_LOST_NR; i++) {
		struct label l[] = { { "reason", mv_loss_desc[i].key } };

		if (lost.state[i] != MV_LOSS_OFF)
			sample_u(e, "memvirt_probe_lost_measurable", l, 1,
				 lost.state[i] == MV_LOSS_OK);
	}

	family(e, "memvirt_vm_page_faults_total", "counter",
	       "KVM page faults (EPT/NPT violations) handled, by access and cause.");
	for (i = 0; i < x->nr; i++)
		for (int a = 0; a < MV_FA_NR; a++)
			for (int k = 0; k < MV_FK_NR; k++) {
				struct label l[] = { { "vm", x->vms[i].id },
						     { "access", access_names[a] },
						     { "cause", cause_names[k] } };

				sample_u(e, "memvirt_vm_page_faults_total", l, 3, t[i].cls[a][k]);
			}

	family(e, "memvirt_vm_page_faults_mmio_total", "counter",
	       "KVM page faults handled as MMIO (emulated or exited to the VMM).");
	for (i = 0; i < x->nr; i++) {
		struct label l[] = { { "vm", x->vms[i].id } };

		sample_u(e, "memvirt_vm_page_faults_mmio_total", l, 1, t[i].mmio);
	}

	if (caps.has_pagein) {
		family(e, "memvirt_vm_page_faults_pagein_total", "counter",
		       "KVM page faults that had to fault host memory in.");
		for (i = 0; i < x->nr; i++) {
			struct label l[] = { { "vm", x->vms[i].id } };

			sample_u(e, "memvirt_vm_page_faults_pagein_total", l, 1, t[i].pagein);
		}
		family(e, "memvirt_vm_page_faults_pagein_major_total", "counter",
		       "KVM page faults that took a major host fault (I/O: swap, file).");
		for (i = 0; i < x->nr; i++) {
			struct label l[] = { { "vm", x->vms[i].id } };

			sample_u(e, "memvirt_vm_page_faults_pagein_major_total", l, 1,
				 t[i].pagein_major);
		}
	}

	if (caps.has_levels) {
		family(e, "memvirt_vm_fault_mappings_total", "counter",
		       "Leaf mappings KVM's page faults installed, by page size.");
		for (i = 0; i < x->nr; i++)
			for (int s = 0; s < MV_FL_NR; s++) {
				struct label l[] = { { "vm", x->vms[i].id },
						     { "size", level_names[s] } };

				sample_u(e, "memvirt_vm_fault_mappings_total", l, 2, t[i].spte[s]);
			}
	}

	if (!caps.has_latency)
		goto out;
	family(e, "memvirt_vm_page_fault_duration_seconds", "histogram",
	       "Time in KVM's page-fault handler (log2 buckets).");
	for (i = 0; i < x->nr; i++) {
		uint64_t cum = 0;
		char le[32];
		struct label l[] = { { "vm", x->vms[i].id }, { "le", le } };

		/* Slot h counts [2^h, 2^(h+1)) ns: bucket le=2^(h+1) ns. */
		for (h = 0; h < MV_FAULTS_HIST_SLOTS; h++) {
			cum += t[i].hist[h];
			snprintf(le, sizeof(le), "%.10g", (double)(2ULL << h) / 1e9);
			sample_u(e, "memvirt_vm_page_fault_duration_seconds_bucket", l, 2, cum);
		}
		snprintf(le, sizeof(le), "+Inf");
		sample_u(e, "memvirt_vm_page_fault_duration_seconds_bucket", l, 2, cum);
		sample_d(e, "memvirt_vm_page_fault_duration_seconds_sum", l, 1,
			 t[i].lat_ns / 1e9);
		sample_u(e, "memvirt_vm_page_fault_duration_seconds_count", l, 1, cum);
	}
out:
	free(t);
}

/* ---- per zone ---------------------------------------------------------- */

static int zone_collect(const struct mv_zone *z, void *arg)
{
	struct export *x = arg;

	if (x->nr_zones < MAX_ZONES)
		x->zones[x->nr_zones++] = *z;
	return 0;
}

enum zone_val { ZV_MANAGED, ZV_FREE, ZV_RESERVE, ZV_HIGHATOMIC };

static const struct {
	const char *name, *help;
	enum zone_val v;
} zone_gauges[] = {
	{ "memvirt_zone_managed_bytes", "Memory the buddy allocator manages in the zone.",
	  ZV_MANAGED },
	{ "memvirt_zone_free_bytes", "Free memory in the zone.", ZV_FREE },
	{ "memvirt_zone_lowmem_reserve_bytes",
	  "Free memory the zone keeps from allocations that could use a higher zone.",
	  ZV_RESERVE },
	{ "memvirt_zone_highatomic_bytes", "Memory in the zone's highatomic reserve blocks.",
	  ZV_HIGHATOMIC },
};

/* Per-order values; the indices are the kernel's, in thousandths. */
enum order_val { OV_BLOCKS, OV_UNUSABLE, OV_FRAG };

static const struct {
	const char *name, *help;
	enum order_val v;
} order_gauges[] = {
	{ "memvirt_zone_free_blocks",
	  "Free blocks of 2^order pages in the buddy allocator (/proc/buddyinfo).", OV_BLOCKS },
	{ "memvirt_zone_unusable_free_ratio",
	  "Share of free memory in blocks too small for an allocation of this order "
	  "(the kernel's unusable free space index).", OV_UNUSABLE },
	{ "memvirt_zone_fragmentation_index",
	  "The kernel's fragmentation index of an allocation of this order: -1 it "
	  "succeeds now, towards 0 it fails for lack of memory, towards 1 for "
	  "fragmentation.", OV_FRAG },
};

static uint64_t zone_pages(const struct mv_zone *z, enum zone_val v, bool *has)
{
	*has = true;
	switch (v) {
	case ZV_MANAGED:
		return z->managed_pages;
	case ZV_FREE:
		return z->free_pages;
	case ZV_RESERVE:
		*has = z->has_reserves;
		return z->lowmem_reserve;
	case ZV_HIGHATOMIC:
		*has = z->has_reserves;
		return z->highatomic;
	}
	return 0;
}

static void zone_metrics(struct emit *e, const struct export *x)
{
	long page = sysconf(_SC_PAGESIZE);
	char node[16], order[12];
	unsigned int i, o;
	size_t g;

	for (g = 0; g < ARRAY_SIZE(zone_gauges); g++) {
		family(e, zone_gauges[g].name, "gauge", zone_gauges[g].help);
		for (i = 0; i < x->nr_zones; i++) {
			const struct mv_zone *z = &x->zones[i];
			struct label l[] = { { "node", node }, { "zone", z->name } };
			bool has;
			uint64_t v = zone_pages(z, zone_gauges[g].v, &has);

			snprintf(node, sizeof(node), "%u", z->node);
			if (has)
				sample_u(e, zone_gauges[g].name, l, 2, v * page);
		}
	}

	family(e, "memvirt_zone_watermark_bytes", "gauge",
	       "The zone's min, low and high watermarks.");
	for (i = 0; i < x->nr_zones; i++) {
		const struct mv_zone *z = &x->zones[i];
		const char *const lv[] = { "min", "low", "high" };
		const uint64_t w[] = { z->wmark_min, z->wmark_low, z->wmark_high };

		snprintf(node, sizeof(node), "%u", z->node);
		for (o = 0; o < 3 && z->has_wmarks; o++) {
			struct label l[] = { { "node", node }, { "zone", z->name },
					     { "level", lv[o] } };

			sample_u(e, "memvirt_zone_watermark_bytes", l, 3, w[o] * page);
		}
	}

	for (g = 0; g < ARRAY_SIZE(order_gauges); g++) {
		family(e, order_gauges[g].name, "gauge", order_gauges[g].help);
		for (i = 0; i < x->nr_zones; i++) {
			const struct mv_zone *z = &x->zones[i];
			struct label l[] = { { "node", node }, { "zone", z->name },
					     { "order", order } };

			snprintf(node, sizeof(node), "%u", z->node);
			for (o = 0; o < z->nr_orders; o++) {
				snprintf(order, sizeof(order), "%u", o);
				if (order_gauges[g].v == OV_BLOCKS)
					sample_u(e, order_gauges[g].name, l, 3,
						 z->order[o].free_blocks);
				else
					sample_d(e, order_gauges[g].name, l, 3,
						 (order_gauges[g].v == OV_UNUSABLE ?
						  (int32_t)z->order[o].unusable :
						  z->order[o].frag) / 1000.0);
			}
		}
	}

	family(e, "memvirt_zone_huge_2m_available", "gauge",
	       "2M pages the zone can hand out now without compaction or reclaim: free "
	       "blocks of order 9 and up, as far as the low watermark and reserves allow.");
	for (i = 0; i < x->nr_zones; i++) {
		const struct mv_zone *z = &x->zones[i];
		struct label l[] = { { "node", node }, { "zone", z->name } };
		struct mv_zone_2m r;

		snprintf(node, sizeof(node), "%u", z->node);
		mv_zone_2m(z, &r);
		sample_u(e, "memvirt_zone_huge_2m_available", l, 2, r.avail);
	}
}

/* ---- one export -------------------------------------------------------- */

static int write_all(struct export *x, struct emit *e)
{
	vm_metrics(e, x);
	if (x->bctx)
		backing_metrics(e, x);
	if (x->faults)
		fault_metrics(e, x);
	zone_metrics(e, x);
	return e->err;
}

/* Writes @x to stdout or, atomically, to x->output. */
static int export_once(struct export *x, struct mv_nl *nl)
{
	struct emit e = { 0 };
	struct json_object *doc = NULL;
	char *tmp = NULL;
	FILE *f = stdout;
	int err;

	x->nr = 0;
	x->nr_zones = 0;
	err = mv_nl_vm_dump(nl, collect, x);
	if (err) {
		mv_nl_perror(nl, err, "listing VMs");
		return -1;
	}
	err = mv_nl_zone_dump(nl, zone_collect, x);
	if (err) {
		mv_nl_perror(nl, err, "reading zones");
		return -1;
	}
	if (x->bctx) {
		x->slots.nr = 0;
		err = mv_nl_slot_dump(nl, NULL, mv_slot_collect, &x->slots);
		if (err) {
			mv_nl_perror(nl, err, "listing memslots");
			return -1;
		}
		backing_free(x);
		if (backing_read(x))
			goto nomem;
	}
	if (x->faults && mv_faults_sample(x->faults))
		goto nomem;

	if (x->output) {
		if (asprintf(&tmp, "%s.tmp.%d", x->output, (int)getpid()) < 0)
			goto nomem;
		f = fopen(tmp, "w");
		if (!f) {
			fprintf(stderr, "memvirt: %s: %s\n", tmp, strerror(errno));
			free(tmp);
			return -1;
		}
	}
	if (x->o->json) {
		doc = json_object_new_object();
		e.fams = json_object_new_array();
		if (!doc || !e.fams || mv_json_add(doc, "metrics", e.fams)) {
			json_object_put(doc);
			doc = NULL;
			e.err = -ENOMEM;
		}
	} else {
		e.f = f;
	}
	err = write_all(x, &e);
	if (!err && doc) {
		/* Repeated on stdout: one document per line, like `top --json`. */
		fputs(json_object_to_json_string_ext(doc, x->interval && !x->output ?
						     JSON_C_TO_STRING_PLAIN :
						     JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_SPACED), f);
		fputc('\n', f);
	}
	json_object_put(doc);
	if (err == -ENOMEM) {
		fprintf(stderr, "memvirt: out of memory\n");
	} else if (fflush(f) || ferror(f) || (x->output && fsync(fileno(f)))) {
		fprintf(stderr, "memvirt: writing %s: %s\n",
			x->output ? tmp : "standard output", strerror(errno));
		err = -EIO;
	}
	if (x->output) {
		if (fclose(f) && !err) {
			fprintf(stderr, "memvirt: writing %s: %s\n", tmp, strerror(errno));
			err = -EIO;
		}
		if (!err && rename(tmp, x->output)) {
			fprintf(stderr, "memvirt: %s: %s\n", x->output, strerror(errno));
			err = -EIO;
		}
		if (err)
			unlink(tmp);
		free(tmp);
	}
	return err ? -1 : 0;
nomem:
	fprintf(stderr, "memvirt: out of memory\n");
	return -1;
}

int mv_cmd_export(int argc, char **argv, struct mv_opts *o)
{
	enum { OPT_NO_FAULTS = 256, OPT_BACKING };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "no-faults", no_argument, NULL, OPT_NO_FAULTS },
		{ "backing", no_argument, NULL, OPT_BACKING },
		MV_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct export x = { .o = o };
	struct sigaction sa = { .sa_handler = on_signal };
	bool no_faults = false, backing = false;
	struct mv_nl *nl;
	double next, end;
	int c, rc = MV_EXIT_OK;

	while ((c = getopt_long(argc, argv, MV_COMMON_SHORTOPTS "o:i:d:", longopts,
				NULL)) != -1) {
		if (mv_common_opt(c, o))
			continue;
		switch (c) {
		case 'o':
			x.output = optarg;
			continue;
		case 'i':
			if (mv_parse_seconds(optarg, 0.1, MAX_INTERVAL, &x.interval))
				return mv_usage_error("export", "invalid interval '%s': expected "
						      "0.1..%.0f seconds", optarg, MAX_INTERVAL);
			continue;
		case 'd':
			if (mv_parse_seconds(optarg, 0.1, MAX_INTERVAL * 24 * 365, &x.duration))
				return mv_usage_error("export", "invalid duration '%s'", optarg);
			continue;
		case OPT_NO_FAULTS:
			no_faults = true;
			continue;
		case OPT_BACKING:
			backing = true;
			continue;
		case 'h':
			export_usage();
			return MV_EXIT_OK;
		}
		fputs("Try 'memvirt export --help' for more information.\n", stderr);
		return MV_EXIT_USAGE;
	}
	if (optind < argc)
		return mv_usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (!mv_opts_valid(o))
		return mv_usage_error("export", "--json and --raw are mutually exclusive");
	if ((x.duration || no_faults) && !x.interval)
		return mv_usage_error("export", "--duration and --no-faults need --interval");
	if (x.output && !*x.output)
		return mv_usage_error("export", "empty --output file name");

	nl = mv_nl_open();
	if (!nl)
		return MV_EXIT_FAILURE;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (backing) {
		char why[256];

		x.bctx = mv_backing_open(why, sizeof(why));
		if (!x.bctx)
			fprintf(stderr, "memvirt: %s; exporting without host backing\n", why);
	}
	if (x.interval && !no_faults) {
		x.faults = mv_faults_start();
		if (!x.faults)
			fprintf(stderr, "memvirt: exporting without page-fault counters\n");
	}

	end = mv_now() + x.duration;
	next = mv_now();
	do {
		if (export_once(&x, nl)) {
			rc = MV_EXIT_FAILURE;
			break;
		}
		if (!x.interval)
			break;
		if (x.faults)
			mv_faults_advance(x.faults);
		next += x.interval;
		if (x.duration && next > end + 1e-3)
			break;
		mv_sleep_until(next, &stop);
	} while (!stop);

	mv_faults_stop(x.faults);
	backing_free(&x);
	mv_backing_close(x.bctx);
	mv_nl_close(nl);
	free(x.vms);
	free(x.slots.v);
	return rc;
}
