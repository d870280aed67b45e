// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the host snapshot as metrics: the Prometheus text exposition
 * format (version 0.0.4), or the same samples as a json-c document. The
 * per-VM families come from the field table (out/fields.c); names follow
 * Prometheus' conventions: base units (bytes, seconds, ratios), _total for
 * counters, one "vm" label carrying KVM's "<pid>-<fd>" identity.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out/fields.h"
#include "out/hist.h"
#include "out/prom.h"
#include "out/prom-int.h"

/* ---- the writer -------------------------------------------------------- */

/*
 * A label value in valid UTF-8 (the format's rule; a comm or VM name may
 * not be) with \, " and newline escaped, as the format wants.
 */
static void put_escaped(FILE *f, const char *val)
{
	char buf[3 * MV_VM_NAME_LEN];
	const char *s = mv_utf8_clean(buf, sizeof(buf), val);

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

void mv_prom_family(struct mv_prom *e, const char *name, const char *type,
		   const char *help)
{
	struct json_object *fam;

	if (e->err)
		return;
	if (e->f) {
		if (e->help)
			fprintf(e->f, "# HELP %s %s\n# TYPE %s %s\n", name, help,
				name, type);
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
void mv_prom_sample(struct mv_prom *e, const char *name, const struct mv_label *l,
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
		e->err = mv_json_add(labels, l[i].key, mv_json_string(l[i].val));
	if (e->err) {
		json_object_put(labels);
		return;
	}
	e->err = mv_json_add(s, "labels", labels) ?:
		 mv_json_add(s, "value", is_double ? json_object_new_double(d) :
			     json_object_new_uint64(u));
}

void mv_prom_sample_u(struct mv_prom *e, const char *name, const struct mv_label *l,
		     unsigned int nl, uint64_t v)
{
	mv_prom_sample(e, name, l, nl, false, v, 0);
}

void mv_prom_sample_d(struct mv_prom *e, const char *name, const struct mv_label *l,
		     unsigned int nl, double v)
{
	mv_prom_sample(e, name, l, nl, true, 0, v);
}

/* ---- per VM, from the field table ------------------------------------- */

/* The families of the field table, each once, in the table's order. */
static void field_family(struct mv_prom *e, const struct mv_host *h, size_t first)
{
	const struct mv_field *f = &mv_fields[first];
	struct mv_field_ctx c = { .h = h };
	size_t k;

	mv_prom_family(e, f->prom, "gauge", f->prom_help);
	for (c.i = 0; c.i < h->nr_vms; c.i++)
		for (k = first; k < mv_nr_fields; k++) {
			const struct mv_field *g = &mv_fields[k];
			struct mv_label l[] = { { "vm", h->vms[c.i].id },
					     { g->prom_label, g->prom_val } };
			bool is_double;
			uint64_t u = 0;
			double d = 0;

			if (!g->prom || strcmp(g->prom, f->prom) ||
			    !mv_field_prom(g, &c, &d, &is_double, &u))
				continue;
			mv_prom_sample(e, g->prom, l, g->prom_label ? 2 : 1, is_double, u, d);
		}
}

/* Is @name the prom of an entry before @before of the table @tab (stride @size)? */
static bool family_seen(const void *tab, size_t size, size_t before, const char *name)
{
	size_t k;

	for (k = 0; k < before; k++) {
		const char *p = *(const char *const *)((const char *)tab + k * size);

		if (p && !strcmp(p, name))
			return true;
	}
	return false;
}

/* The host's count of VMs, and KVM's own where its debugfs can be read. */
static void host_metrics(struct mv_prom *e, const struct mv_host *h)
{
	const struct mv_host_sum *s = &h->sum;
	const struct {
		const char *name, *help;
		bool present;
		uint64_t v;
	} g[] = {
		{ "memvirt_host_vms", "VMs memvirt found on this host.", true, s->vms },
		{ "memvirt_host_vms_without_vm_fd",
		  "VMs that no VM fd names: held by vCPU fds or mappings only.",
		  true, s->no_vm_fd },
		{ "memvirt_host_kvm_debugfs_vms", "VM directories in KVM's debugfs.",
		  s->kvm_dirs >= 0, s->kvm_dirs },
		{ "memvirt_host_unattributed_vms",
		  "VM directories in KVM's debugfs that name no VM memvirt found.",
		  s->unattributed >= 0, s->unattributed },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(g); i++) {
		if (!g[i].present)
			continue;
		mv_prom_family(e, g[i].name, "gauge", g[i].help);
		mv_prom_sample_u(e, g[i].name, NULL, 0, g[i].v);
	}
}

static void vm_metrics(struct mv_prom *e, const struct mv_host *h)
{
	char pid[16], held[64];
	size_t i;

	mv_prom_family(e, "memvirt_vm_info", "gauge",
	       "A KVM VM on this host: its VMM's pid and command, the name and "
	       "UUID its command line gives it (empty: none), and how it is "
	       "held (vm-fd; vcpu-fd-only or mapping-only: no VM fd names it).");
	for (i = 0; i < h->nr_vms; i++) {
		const struct mv_vm *vm = &h->vms[i];
		const char *hb = mv_vm_held_by(vm, held, sizeof(held));
		struct mv_label l[] = { { "vm", vm->id }, { "pid", pid }, { "comm", vm->comm },
				     { "name", vm->names.name }, { "uuid", vm->names.uuid },
				     { "held_by", hb ?: "" } };

		snprintf(pid, sizeof(pid), "%" PRIu64,
			 mv_vm_has(vm, MEMVIRT_A_VM_PID) ? vm->val[MEMVIRT_A_VM_PID] : 0);
		mv_prom_sample_u(e, "memvirt_vm_info", l, ARRAY_SIZE(l), 1);
	}
	host_metrics(e, h);
	for (i = 0; i < mv_nr_fields; i++)
		if (mv_fields[i].prom &&
		    !family_seen(&mv_fields[0].prom, sizeof(mv_fields[0]), i, mv_fields[i].prom))
			field_family(e, h, i);
}

/* ---- host backing ----------------------------------------------------- */

static void bk_family(struct mv_prom *e, const struct mv_host *h, size_t first)
{
	const struct mv_bk_field *f = &mv_bk_fields[first];
	size_t i, k;

	mv_prom_family(e, f->prom, "gauge", f->prom_help);
	for (i = 0; i < h->nr_vms; i++)
		for (k = first; k < mv_nr_bk_fields; k++) {
			const struct mv_bk_field *g = &mv_bk_fields[k];
			const struct mv_backing *b = mv_host_vm_backing(h, i);
			struct mv_label l[] = { { "vm", h->vms[i].id },
					     { g->prom_label, g->prom_val } };

			if (b && g->prom && !strcmp(g->prom, f->prom))
				mv_prom_sample_u(e, g->prom, l, g->prom_label ? 2 : 1,
					 mv_bk_val(b, g));
		}
}

static void backing_metrics(struct mv_prom *e, const struct mv_host *h)
{
	unsigned int nr_nodes = mv_backing_nr_node_ids(h->bctx), n;
	char node[16];
	size_t i;

	for (i = 0; i < mv_nr_bk_fields; i++)
		if (mv_bk_fields[i].prom &&
		    !family_seen(&mv_bk_fields[0].prom, sizeof(mv_bk_fields[0]), i,
				 mv_bk_fields[i].prom))
			bk_family(e, h, i);
	mv_prom_family(e, "memvirt_vm_host_node_bytes", "gauge",
	       "Resident guest memory by the host NUMA node it is on.");
	for (i = 0; i < h->nr_vms; i++) {
		const struct mv_backing *b = mv_host_vm_backing(h, i);
		struct mv_label l[] = { { "vm", h->vms[i].id }, { "node", node } };

		for (n = 0; b && b->node && n < nr_nodes; n++) {
			if (!mv_backing_node_has_memory(h->bctx, n))
				continue;
			snprintf(node, sizeof(node), "%u", n);
			mv_prom_sample_u(e, "memvirt_vm_host_node_bytes", l, 2, b->node[n]);
		}
	}
}

/* ---- page faults ------------------------------------------------------- */

static const char *const access_names[MV_FA_NR] = { "read", "write", "fetch" };
static const char *const cause_names[MV_FK_NR] = { "not_present", "protection", "rsvd" };
static const char *const level_names[MV_FL_NR] = { "4K", "2M", "1G", "other" };

/* Losses: a reason this kernel does not report has no counter, measurable 0. */
static void loss_metrics(struct mv_prom *e, const struct mv_host *h)
{
	struct mv_label pl[] = { { "method", mv_faults_method(h->faults) } };
	struct mv_fault_losses lost;
	size_t i;

	mv_prom_family(e, "memvirt_faults_probe_info", "gauge",
	       "The page-fault probes are attached, and how (fentry or kprobe).");
	mv_prom_sample_u(e, "memvirt_faults_probe_info", pl, 1, 1);
	mv_faults_losses(h->faults, true, &lost);
	mv_prom_family(e, "memvirt_probe_lost_total", "counter",
	       "Page faults (or probe hits) the fault probes could not count since they "
	       "attached, by reason (Documentation/faults.rst, Losses).");
	for (i = 0; i < MV_LOST_NR; i++) {
		struct mv_label l[] = { { "reason", mv_loss_desc[i].key } };

		if (lost.state[i] == MV_LOSS_OK)
			mv_prom_sample_u(e, "memvirt_probe_lost_total", l, 1, lost.n[i]);
	}
	mv_prom_family(e, "memvirt_probe_lost_measurable", "gauge",
	       "1 if memvirt_probe_lost_total{reason} is measured, 0 if this kernel does "
	       "not report that reason.");
	for (i = 0; i < MV_LOST_NR; i++) {
		struct mv_label l[] = { { "reason", mv_loss_desc[i].key } };

		if (lost.state[i] != MV_LOSS_OFF)
			mv_prom_sample_u(e, "memvirt_probe_lost_measurable", l, 1,
				 lost.state[i] == MV_LOSS_OK);
	}
}

/* A counter family of one value per VM: the field at @off of its totals. */
static void vm_counter(struct mv_prom *e, const struct mv_host *h, const char *name,
		       const char *help, size_t off)
{
	size_t i;

	mv_prom_family(e, name, "counter", help);
	for (i = 0; i < h->nr_vms; i++) {
		struct mv_label l[] = { { "vm", h->vms[i].id } };

		mv_prom_sample_u(e, name, l, 1, *(const unsigned long long *)
			 ((const char *)&h->vf[i].total + off));
	}
}

static void fault_counts(struct mv_prom *e, const struct mv_host *h,
			 const struct mv_fault_totals *caps)
{
	size_t i;

	mv_prom_family(e, "memvirt_vm_page_faults_total", "counter",
	       "KVM page faults (EPT/NPT violations) handled, by access and cause.");
	for (i = 0; i < h->nr_vms; i++)
		for (int a = 0; a < MV_FA_NR; a++)
			for (int k = 0; k < MV_FK_NR; k++) {
				struct mv_label l[] = { { "vm", h->vms[i].id },
						     { "access", access_names[a] },
						     { "cause", cause_names[k] } };

				mv_prom_sample_u(e, "memvirt_vm_page_faults_total", l, 3,
					 h->vf[i].total.cls[a][k]);
			}
	vm_counter(e, h, "memvirt_vm_page_faults_mmio_total",
		   "KVM page faults handled as MMIO (emulated or exited to the VMM).",
		   offsetof(struct mv_fault_totals, mmio));
	if (caps->has_pagein) {
		vm_counter(e, h, "memvirt_vm_page_faults_pagein_total",
			   "KVM page faults that had to fault host memory in.",
			   offsetof(struct mv_fault_totals, pagein));
		vm_counter(e, h, "memvirt_vm_page_faults_pagein_major_total",
			   "KVM page faults that took a major host fault (I/O: swap, file).",
			   offsetof(struct mv_fault_totals, pagein_major));
	}
	if (!caps->has_levels)
		return;
	mv_prom_family(e, "memvirt_vm_fault_mappings_total", "counter",
	       "Leaf mappings KVM's page faults installed, by page size.");
	for (i = 0; i < h->nr_vms; i++)
		for (int s = 0; s < MV_FL_NR; s++) {
			struct mv_label l[] = { { "vm", h->vms[i].id },
					     { "size", level_names[s] } };

			mv_prom_sample_u(e, "memvirt_vm_fault_mappings_total", l, 2,
				 h->vf[i].total.spte[s]);
		}
}

/*
 * Buckets of 2^10 ns (~1 us, below which KVM's handler is not timed apart
 * from the probe's own cost) to 2^30 ns (~1.07 s); slower goes to +Inf.
 */
#define LAT_LE_MIN_SHIFT	10
#define LAT_LE_MAX_SHIFT	30

static void fault_latency(struct mv_prom *e, const struct mv_host *h)
{
	const char *name = "memvirt_vm_page_fault_duration_seconds";
	char n[96];
	size_t i;
	int b;

	mv_prom_family(e, name, "histogram",
		       "Time in KVM's page-fault handler (log2 buckets, 1 us to 1 s).");
	for (i = 0; i < h->nr_vms; i++) {
		const struct mv_fault_totals *t = &h->vf[i].total;
		uint64_t cum = 0;
		char le[32];
		struct mv_label l[] = { { "vm", h->vms[i].id }, { "le", le } };

		/* Slot b counts [2^b, 2^(b+1)) ns: it is in bucket le=2^(b+1) ns. */
		snprintf(n, sizeof(n), "%s_bucket", name);
		for (b = 0; b < MV_FAULTS_HIST_SLOTS; b++) {
			cum += t->hist[b];
			if (b + 1 < LAT_LE_MIN_SHIFT || b + 1 > LAT_LE_MAX_SHIFT)
				continue;
			snprintf(le, sizeof(le), "%.10g", (double)(2ULL << b) / 1e9);
			mv_prom_sample_u(e, n, l, 2, cum);
		}
		snprintf(le, sizeof(le), "+Inf");
		mv_prom_sample_u(e, n, l, 2, cum);
		snprintf(n, sizeof(n), "%s_sum", name);
		mv_prom_sample_d(e, n, l, 1, t->lat_ns / 1e9);
		snprintf(n, sizeof(n), "%s_count", name);
		mv_prom_sample_u(e, n, l, 1, cum);
	}
}

static void fault_metrics(struct mv_prom *e, const struct mv_host *h)
{
	struct mv_fault_totals caps;

	/* A VM the probes have not seen yet has faulted nothing since: zeros. */
	mv_faults_totals(h->faults, "", &caps);
	loss_metrics(e, h);
	fault_counts(e, h, &caps);
	if (caps.has_latency)
		fault_latency(e, h);
}

/* ---- the document ------------------------------------------------------ */

struct mv_prom *mv_prom_begin(FILE *f, const struct mv_opts *o)
{
	struct mv_prom *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->out = f;
	e->f = o->json ? NULL : f;
	e->help = !o->noheadings;
	if (!o->json)
		return e;
	e->doc = json_object_new_object();
	e->fams = json_object_new_array();
	if (!e->doc || !e->fams || mv_json_add(e->doc, "metrics", e->fams)) {
		json_object_put(e->doc);
		free(e);
		return NULL;
	}
	return e;
}

void mv_prom_host(struct mv_prom *e, const struct mv_host *h)
{
	vm_metrics(e, h);
	if (h->bctx)
		backing_metrics(e, h);
	if (h->faults && h->vf)
		fault_metrics(e, h);
	mv_prom_zones(e, h);
}

void mv_prom_self(struct mv_prom *e, const struct mv_prom_self *s)
{
	struct mv_label l[] = { { "version", s->version }, { "kernel", s->kernel } };

	mv_prom_family(e, "memvirt_up", "gauge",
		       "1 if this scrape read the host (memvirt.ko answered), 0 if not.");
	mv_prom_sample_u(e, "memvirt_up", NULL, 0, s->up);
	mv_prom_family(e, "memvirt_build_info", "gauge",
		       "1; the labels: memvirt's version and the running kernel's release.");
	mv_prom_sample_u(e, "memvirt_build_info", l, 2, 1);
	mv_prom_family(e, "memvirt_scrape_duration_seconds", "gauge",
		       "Time this scrape took to read the host and render the metrics.");
	mv_prom_sample_d(e, "memvirt_scrape_duration_seconds", NULL, 0, s->seconds);
}

int mv_prom_end(struct mv_prom *e, bool one_line)
{
	int err;

	if (!e)
		return -ENOMEM;
	err = e->err;
	if (!err && e->doc)
		err = one_line ? mv_json_print_line(e->doc, e->out) :
			fputs(json_object_to_json_string_ext(e->doc, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_SPACED), e->out) == EOF ||
			fputc('\n', e->out) == EOF ? -EIO : 0;
	json_object_put(e->doc);
	free(e);
	return err;
}

int mv_prom_write(const struct mv_host *h, FILE *f, const struct mv_opts *o,
		  bool one_line)
{
	struct mv_prom *e = mv_prom_begin(f, o);

	if (e)
		mv_prom_host(e, h);
	return mv_prom_end(e, one_line);
}
