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

struct label {
	const char *key;
	const char *val;
};

/*
 * The writer: families of samples, as text or as a json-c document. A family
 * is announced once (HELP, TYPE; not with --noheadings) and its samples
 * follow it, as the format requires.
 */
struct mv_prom {
	FILE *f;			/* text, or NULL for JSON */
	bool help;			/* HELP and TYPE lines */
	struct json_object *fams;	/* JSON: the "metrics" array */
	struct json_object *samples;	/* JSON: the current family's */
	int err;
};

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

static void family(struct mv_prom *e, const char *name, const char *type,
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
static void sample(struct mv_prom *e, const char *name, const struct label *l,
		   unsigned int nl, bool is_double, uint64_t u, double d)
{
	char buf[3 * MV_VM_NAME_LEN];
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
		e->err = mv_json_add(labels, l[i].key, json_object_new_string(
				     mv_utf8_clean(buf, sizeof(buf), l[i].val)));
	if (e->err) {
		json_object_put(labels);
		return;
	}
	e->err = mv_json_add(s, "labels", labels) ?:
		 mv_json_add(s, "value", is_double ? json_object_new_double(d) :
			     json_object_new_uint64(u));
}

static void sample_u(struct mv_prom *e, const char *name, const struct label *l,
		     unsigned int nl, uint64_t v)
{
	sample(e, name, l, nl, false, v, 0);
}

static void sample_d(struct mv_prom *e, const char *name, const struct label *l,
		     unsigned int nl, double v)
{
	sample(e, name, l, nl, true, 0, v);
}

/* ---- per VM, from the field table ------------------------------------- */

/* The families of the field table, each once, in the table's order. */
static void field_family(struct mv_prom *e, const struct mv_host *h, size_t first)
{
	const struct mv_field *f = &mv_fields[first];
	struct mv_field_ctx c = { .h = h };
	size_t k;

	family(e, f->prom, "gauge", f->prom_help);
	for (c.i = 0; c.i < h->nr_vms; c.i++)
		for (k = first; k < mv_nr_fields; k++) {
			const struct mv_field *g = &mv_fields[k];
			struct label l[] = { { "vm", h->vms[c.i].id },
					     { g->prom_label, g->prom_val } };
			bool is_double;
			uint64_t u = 0;
			double d = 0;

			if (!g->prom || strcmp(g->prom, f->prom) ||
			    !mv_field_prom(g, &c, &d, &is_double, &u))
				continue;
			sample(e, g->prom, l, g->prom_label ? 2 : 1, is_double, u, d);
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
		family(e, g[i].name, "gauge", g[i].help);
		sample_u(e, g[i].name, NULL, 0, g[i].v);
	}
}

static void vm_metrics(struct mv_prom *e, const struct mv_host *h)
{
	char pid[16], held[64];
	size_t i;

	family(e, "memvirt_vm_info", "gauge",
	       "A KVM VM on this host: its VMM's pid and command, the name and "
	       "UUID its command line gives it (empty: none), and how it is "
	       "held (vm-fd; vcpu-fd-only or mapping-only: no VM fd names it).");
	for (i = 0; i < h->nr_vms; i++) {
		const struct mv_vm *vm = &h->vms[i];
		const char *hb = mv_vm_held_by(vm, held, sizeof(held));
		struct label l[] = { { "vm", vm->id }, { "pid", pid }, { "comm", vm->comm },
				     { "name", vm->names.name }, { "uuid", vm->names.uuid },
				     { "held_by", hb ?: "" } };

		snprintf(pid, sizeof(pid), "%" PRIu64,
			 mv_vm_has(vm, MEMVIRT_A_VM_PID) ? vm->val[MEMVIRT_A_VM_PID] : 0);
		sample_u(e, "memvirt_vm_info", l, ARRAY_SIZE(l), 1);
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

	family(e, f->prom, "gauge", f->prom_help);
	for (i = 0; i < h->nr_vms; i++)
		for (k = first; k < mv_nr_bk_fields; k++) {
			const struct mv_bk_field *g = &mv_bk_fields[k];
			const struct mv_backing *b = mv_host_vm_backing(h, i);
			struct label l[] = { { "vm", h->vms[i].id },
					     { g->prom_label, g->prom_val } };

			if (b && g->prom && !strcmp(g->prom, f->prom))
				sample_u(e, g->prom, l, g->prom_label ? 2 : 1,
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
	family(e, "memvirt_vm_host_node_bytes", "gauge",
	       "Resident guest memory by the host NUMA node it is on.");
	for (i = 0; i < h->nr_vms; i++) {
		const struct mv_backing *b = mv_host_vm_backing(h, i);
		struct label l[] = { { "vm", h->vms[i].id }, { "node", node } };

		for (n = 0; b && b->node && n < nr_nodes; n++) {
			if (!mv_backing_node_has_memory(h->bctx, n))
				continue;
			snprintf(node, sizeof(node), "%u", n);
			sample_u(e, "memvirt_vm_host_node_bytes", l, 2, b->node[n]);
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
	struct label pl[] = { { "method", mv_faults_method(h->faults) } };
	struct mv_fault_losses lost;
	size_t i;

	family(e, "memvirt_faults_probe_info", "gauge",
	       "The page-fault probes are attached, and how (fentry or kprobe).");
	sample_u(e, "memvirt_faults_probe_info", pl, 1, 1);
	mv_faults_losses(h->faults, true, &lost);
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
}

/* A counter family of one value per VM: the field at @off of its totals. */
static void vm_counter(struct mv_prom *e, const struct mv_host *h, const char *name,
		       const char *help, size_t off)
{
	size_t i;

	family(e, name, "counter", help);
	for (i = 0; i < h->nr_vms; i++) {
		struct label l[] = { { "vm", h->vms[i].id } };

		sample_u(e, name, l, 1, *(const unsigned long long *)
			 ((const char *)&h->vf[i].total + off));
	}
}

static void fault_counts(struct mv_prom *e, const struct mv_host *h,
			 const struct mv_fault_totals *caps)
{
	size_t i;

	family(e, "memvirt_vm_page_faults_total", "counter",
	       "KVM page faults (EPT/NPT violations) handled, by access and cause.");
	for (i = 0; i < h->nr_vms; i++)
		for (int a = 0; a < MV_FA_NR; a++)
			for (int k = 0; k < MV_FK_NR; k++) {
				struct label l[] = { { "vm", h->vms[i].id },
						     { "access", access_names[a] },
						     { "cause", cause_names[k] } };

				sample_u(e, "memvirt_vm_page_faults_total", l, 3,
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
	family(e, "memvirt_vm_fault_mappings_total", "counter",
	       "Leaf mappings KVM's page faults installed, by page size.");
	for (i = 0; i < h->nr_vms; i++)
		for (int s = 0; s < MV_FL_NR; s++) {
			struct label l[] = { { "vm", h->vms[i].id },
					     { "size", level_names[s] } };

			sample_u(e, "memvirt_vm_fault_mappings_total", l, 2,
				 h->vf[i].total.spte[s]);
		}
}

static void fault_latency(struct mv_prom *e, const struct mv_host *h)
{
	const char *name = "memvirt_vm_page_fault_duration_seconds";
	char n[96];
	size_t i;
	int b;

	family(e, name, "histogram", "Time in KVM's page-fault handler (log2 buckets).");
	for (i = 0; i < h->nr_vms; i++) {
		const struct mv_fault_totals *t = &h->vf[i].total;
		uint64_t cum = 0;
		char le[32];
		struct label l[] = { { "vm", h->vms[i].id }, { "le", le } };

		/* Slot b counts [2^b, 2^(b+1)) ns: bucket le=2^(b+1) ns. */
		snprintf(n, sizeof(n), "%s_bucket", name);
		for (b = 0; b <= MV_FAULTS_HIST_SLOTS; b++) {
			cum += b < MV_FAULTS_HIST_SLOTS ? t->hist[b] : 0;
			if (b < MV_FAULTS_HIST_SLOTS)
				snprintf(le, sizeof(le), "%.10g", (double)(2ULL << b) / 1e9);
			else
				snprintf(le, sizeof(le), "+Inf");
			sample_u(e, n, l, 2, cum);
		}
		snprintf(n, sizeof(n), "%s_sum", name);
		sample_d(e, n, l, 1, t->lat_ns / 1e9);
		snprintf(n, sizeof(n), "%s_count", name);
		sample_u(e, n, l, 1, cum);
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

/* ---- per zone ---------------------------------------------------------- */


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

static void zone_metrics(struct mv_prom *e, const struct mv_host *h)
{
	long page = sysconf(_SC_PAGESIZE);
	char node[16], order[12];
	unsigned int i, o;
	size_t g;

	for (g = 0; g < ARRAY_SIZE(zone_gauges); g++) {
		family(e, zone_gauges[g].name, "gauge", zone_gauges[g].help);
		for (i = 0; i < h->nr_zones; i++) {
			const struct mv_zone *z = &h->zones[i];
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
	for (i = 0; i < h->nr_zones; i++) {
		const struct mv_zone *z = &h->zones[i];
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
		for (i = 0; i < h->nr_zones; i++) {
			const struct mv_zone *z = &h->zones[i];
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
	for (i = 0; i < h->nr_zones; i++) {
		const struct mv_zone *z = &h->zones[i];
		struct label l[] = { { "node", node }, { "zone", z->name } };
		struct mv_zone_2m r;

		snprintf(node, sizeof(node), "%u", z->node);
		mv_zone_2m(z, &r);
		sample_u(e, "memvirt_zone_huge_2m_available", l, 2, r.avail);
	}
}

/* ---- one export -------------------------------------------------------- */

/* ---- the document ------------------------------------------------------ */

int mv_prom_write(const struct mv_host *h, FILE *f, const struct mv_opts *o,
		  bool one_line)
{
	struct mv_prom e = { .f = o->json ? NULL : f, .help = !o->noheadings };
	struct json_object *doc = NULL;

	if (o->json) {
		doc = json_object_new_object();
		e.fams = json_object_new_array();
		if (!doc || !e.fams || mv_json_add(doc, "metrics", e.fams)) {
			json_object_put(doc);
			return -ENOMEM;
		}
	}
	vm_metrics(&e, h);
	if (h->bctx)
		backing_metrics(&e, h);
	if (h->faults && h->vf)
		fault_metrics(&e, h);
	zone_metrics(&e, h);
	if (!e.err && doc)
		e.err = one_line ? mv_json_print_line(doc, f) :
			fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_SPACED), f) == EOF ||
			fputc('\n', f) == EOF ? -EIO : 0;
	json_object_put(doc);
	return e.err;
}
