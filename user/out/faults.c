// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the report of `memvirt faults`, per interval: a table of the
 * VMs (rates per second), the losses, per-VM histograms, regions and
 * memslots; or all of it as one JSON object.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "out/faults.h"
#include "out/hist.h"
#include "out/sort.h"

const char *const mv_sum_names[S_NR] = {
	[S_FAULTS] = "faults", [S_READ] = "read", [S_WRITE] = "write", [S_FETCH] = "fetch",
	[S_NOTPRES] = "not_present", [S_PROT] = "protection", [S_RSVD] = "rsvd",
	[S_FINAL] = "final", [S_WALK] = "walk", [S_RESUME] = "resumed",
	[S_EXIT] = "exit_to_vmm", [S_ERROR] = "error", [S_MMIO] = "mmio",
	[S_PAGEIN] = "pagein", [S_PAGEIN_MAJOR] = "pagein_major",
	[S_HOST_FAULTS] = "host_mm_faults", [S_MAP_4K] = "map_4k", [S_MAP_2M] = "map_2m",
	[S_MAP_1G] = "map_1g", [S_MAP_OTHER] = "map_other", [S_MAP_NONE] = "map_none",
	[S_HIST] = "latency_samples",
};


/* ---- the table --------------------------------------------------------- */

enum col_kind { COL_RATE, COL_ID, COL_NAME, COL_PID, COL_PAGEIN, COL_P50, COL_P99,
		COL_AVG };

static const struct {
	struct mv_col col;
	enum col_kind kind;
	int sum;		/* COL_RATE: enum sum */
	const char *help;	/* --help's line */
} table_cols[] = {
	{ { "ID", MV_FMT_STR }, COL_ID, 0, "the VM (<pid>-<fd>)" },
	{ { "NAME", MV_FMT_STR }, COL_NAME, 0, "its VMM's name for it" },
	{ { "PID", MV_FMT_NUM }, COL_PID, 0, "its VMM" },
	{ { "FAULTS/s", MV_FMT_RATE }, COL_RATE, S_FAULTS, "kvm_mmu_page_fault() calls" },
	{ { "READ", MV_FMT_RATE }, COL_RATE, S_READ, "by access: reads" },
	{ { "WRITE", MV_FMT_RATE }, COL_RATE, S_WRITE, "by access: writes" },
	{ { "FETCH", MV_FMT_RATE }, COL_RATE, S_FETCH, "by access: instruction fetches" },
	{ { "NOTPRES", MV_FMT_RATE }, COL_RATE, S_NOTPRES,
	  "by the error code's cause: no mapping" },
	{ { "PROT", MV_FMT_RATE }, COL_RATE, S_PROT, "by cause: protection" },
	{ { "RSVD", MV_FMT_RATE }, COL_RATE, S_RSVD,
	  "by cause: reserved bits (a cached MMIO mapping)" },
	{ { "MMIO", MV_FMT_RATE }, COL_RATE, S_MMIO,
	  "handled as MMIO (RSVD, a new MMIO mapping, an exit)" },
	{ { "WALK", MV_FMT_RATE }, COL_RATE, S_WALK,
	  "on the guest's page-table walk (rest: final translation)" },
	{ { "EXIT", MV_FMT_RATE }, COL_RATE, S_EXIT, "faults that exited to the VMM" },
	{ { "PAGEIN%", MV_FMT_PCT }, COL_PAGEIN, 0,
	  "share in which the vCPU thread faulted host memory in" },
	{ { "MAJOR", MV_FMT_RATE }, COL_RATE, S_PAGEIN_MAJOR, "of those, with I/O" },
	{ { "4K", MV_FMT_RATE }, COL_RATE, S_MAP_4K, "4K leaf mappings installed" },
	{ { "2M", MV_FMT_RATE }, COL_RATE, S_MAP_2M, "2M leaf mappings installed" },
	{ { "1G", MV_FMT_RATE }, COL_RATE, S_MAP_1G, "1G leaf mappings installed" },
	{ { "P50", MV_FMT_NS }, COL_P50, 0,
	  "median fault handler latency (from a log2 histogram)" },
	{ { "P99", MV_FMT_NS }, COL_P99, 0, "99th percentile of that latency" },
	{ { "AVG", MV_FMT_NS }, COL_AVG, 0, "mean fault handler latency" },
};

#define NR_COLS	ARRAY_SIZE(table_cols)

static struct mv_col cols[NR_COLS];
static size_t col_of[NR_COLS], ncols;	/* the chosen columns */
static size_t sort_col;			/* -s */
static bool sort_desc;

static void cell(const struct mv_faults_report *fc, const struct mv_probe_vm *vm,
		 size_t c, const __u64 *s, struct mv_cell *out)
{
	const struct faults_stats *d = &vm->d;
	int k = table_cols[c].sum;

	out->present = true;
	switch (table_cols[c].kind) {
	case COL_RATE:
		out->present = !(k >= S_MAP_4K && k <= S_MAP_1G && !fc->st->levels);
		out->d = s[k] / fc->secs;
		break;
	case COL_ID:
		out->s = vm->id;
		break;
	case COL_NAME:
		out->s = vm->names.name[0] ? vm->names.name : NULL;
		break;
	case COL_PID:
		out->u = vm->ident.pid;
		break;
	case COL_PAGEIN:
		out->present = fc->st->pagein && s[S_FAULTS];
		out->d = out->present ? 100.0 * s[S_PAGEIN] / s[S_FAULTS] : 0;
		break;
	case COL_P50:
	case COL_P99:
		out->d = mv_probe_percentile(d, table_cols[c].kind == COL_P50 ? 0.5 : 0.99);
		out->present = out->d > 0;
		break;
	case COL_AVG:
		out->d = s[S_HIST] ? (double)d->lat_ns / s[S_HIST] : 0;
		out->present = out->d > 0;
		break;
	}
}

static int vm_row(void *arg, size_t row, struct mv_cell *c)
{
	const struct mv_faults_report *fc = arg;
	const struct mv_probe_vm *vm = &fc->st->vms[fc->shown[row]];
	__u64 s[S_NR];
	size_t k;

	mv_probe_summarize(&vm->d, s);
	for (k = 0; k < ncols; k++)
		cell(fc, vm, col_of[k], s, &c[k]);
	return 0;
}

/* The column named by @len bytes at @p; NR_COLS if none. */
static size_t col_by_name(const char *p, size_t len)
{
	size_t k;

	for (k = 0; k < NR_COLS; k++)
		if (strlen(table_cols[k].col.name) == len &&
		    !strncasecmp(table_cols[k].col.name, p, len))
			break;
	return k;
}

static int select_sort(const struct mv_opts *o)
{
	char col[32];
	int dir;

	if (!o->sort)
		return 0;
	if (mv_sort_spec("faults", o->sort, col, sizeof(col), &dir))
		return MV_EXIT_USAGE;
	sort_col = col_by_name(col, strlen(col));
	if (sort_col == NR_COLS)
		return mv_usage_error("faults", "unknown sort column '%s'", col);
	sort_desc = mv_sort_desc(table_cols[sort_col].col.fmt, dir);
	return 0;
}

int mv_faults_select_cols(const struct mv_opts *o)
{
	const char *p = o->output;
	size_t k;

	if (!p || o->output_all || *p == '+') {
		for (k = 0; k < NR_COLS; k++)
			col_of[ncols++] = k;
		p = p && *p == '+' && !o->output_all ? p + 1 : "";
	}
	while (*p) {
		size_t len = strcspn(p, ",");

		k = col_by_name(p, len);
		if (k == NR_COLS)
			return mv_usage_error("faults", "unknown column '%.*s'", (int)len, p);
		if (ncols == NR_COLS)
			return mv_usage_error("faults", "too many columns");
		col_of[ncols++] = k;
		p += len + !!p[len];
	}
	for (k = 0; k < ncols; k++)
		cols[k] = table_cols[col_of[k]].col;
	return select_sort(o);
}

void mv_faults_help_cols(FILE *f)
{
	size_t k;

	fputs("Available output columns (* = default; rates per second):\n", f);
	for (k = 0; k < NR_COLS; k++)
		mv_help_col(f, true, table_cols[k].col.name, table_cols[k].help);
}

/* ---- per region and memslot -------------------------------------------- */

static const struct mv_col region_cols[] = {
	{ "REGION", MV_FMT_STR, 36, MV_COL_TABLE_ONLY },
	{ "GPA", MV_FMT_NUM, 0, MV_COL_JSON_ONLY },
	{ "FAULTS", MV_FMT_NUM, 10, 0 },
	{ "PAGEIN", MV_FMT_NUM, 10, 0 },
};

static int region_row(void *arg, size_t row, struct mv_cell *c)
{
	const struct mv_faults_report *fc = arg;
	const struct mv_probe_region *r = &fc->st->regions[fc->idx[row]];
	unsigned long long lo = r->key.region << fc->po->region_shift;

	if (asprintf(&c[0].owned, "0x%016llx-0x%016llx", lo,
		     lo + (1ULL << fc->po->region_shift) - 1) < 0)
		return -ENOMEM;
	c[0].s = c[0].owned;
	c[1] = (struct mv_cell){ .present = true, .u = lo };
	c[2] = (struct mv_cell){ .present = true, .u = r->d.faults };
	c[3] = (struct mv_cell){ .present = true, .u = r->d.pagein };
	return 0;
}

static const struct mv_col slot_cols[] = {
	{ "AS", MV_FMT_NUM, 4, 0 },
	{ "SLOT", MV_FMT_NUM, 4, 0 },
	{ "GPA", MV_FMT_STR, 37, MV_COL_TABLE_ONLY },
	{ "GPA", MV_FMT_NUM, 0, MV_COL_JSON_ONLY },
	{ "SIZE", MV_FMT_NUM, 0, MV_COL_JSON_ONLY },
	{ "FAULTS", MV_FMT_NUM, 10, 0 },
	{ "PAGEIN", MV_FMT_NUM, 10, 0 },
};

static int slot_row(void *arg, size_t row, struct mv_cell *c)
{
	const struct mv_faults_report *fc = arg;
	const struct mv_probe_slot *r = &fc->st->slots[fc->idx[row]];
	unsigned long long lo = r->cur.base_gfn << 12, size = r->cur.npages << 12;
	const uint64_t v[] = { r->key.as_id, r->key.id, 0, lo, size, r->d.faults,
			       r->d.pagein };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++)
		c[i] = (struct mv_cell){ .present = true, .u = v[i] };
	if (asprintf(&c[2].owned, "0x%016llx-0x%016llx", lo, lo + size - 1) < 0)
		return -ENOMEM;
	c[2].s = c[2].owned;
	return 0;
}

/* The records of VM @vm with faults in the interval, into fc->idx. */
static int pick(struct mv_faults_report *fc, const struct mv_probe_vm *vm, bool slots)
{
	size_t n = slots ? fc->st->nslots : fc->st->nregions, i;

	free(fc->idx);
	fc->idx = calloc(n ? n : 1, sizeof(*fc->idx));
	if (!fc->idx)
		return -ENOMEM;
	for (i = 0, fc->nidx = 0; i < n; i++) {
		__u32 key_vm = slots ? fc->st->slots[i].key.vm : fc->st->regions[i].key.vm;
		__u64 f = slots ? fc->st->slots[i].d.faults : fc->st->regions[i].d.faults;

		if (key_vm == vm->idx && f)
			fc->idx[fc->nidx++] = i;
	}
	return 0;
}

static int detail_rows(struct mv_faults_report *fc, const struct mv_probe_vm *vm,
		       bool slots, struct mv_rows *r)
{
	int err = pick(fc, vm, slots);

	*r = slots ? (struct mv_rows){ "slots", slot_cols, ARRAY_SIZE(slot_cols),
				       fc->nidx, slot_row, fc } :
		     (struct mv_rows){ "regions", region_cols, ARRAY_SIZE(region_cols),
				       fc->nidx, region_row, fc };
	return err;
}


/* ---- reports ----------------------------------------------------------- */

static void vm_ref(const struct mv_probe_vm *vm, struct mv_vm_ref *r)
{
	*r = (struct mv_vm_ref){ vm->id, vm->comm, vm->names.name, vm->names.uuid,
				 vm->ident.pid };
}

/* The shown VMs in -s's order (read order without -s). */
static int sort_shown(struct mv_faults_report *fc)
{
	struct mv_cell *keys;
	__u64 s[S_NR];
	size_t i;

	if (!fc->o->sort)
		return 0;
	keys = calloc(fc->st->nvms ? fc->st->nvms : 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < fc->nshown; i++) {
		const struct mv_probe_vm *vm = &fc->st->vms[fc->shown[i]];

		mv_probe_summarize(&vm->d, s);
		cell(fc, vm, sort_col, s, &keys[fc->shown[i]]);
	}
	mv_sort_cells(fc->shown, fc->nshown, keys, table_cols[sort_col].col.fmt,
		      sort_desc);
	free(keys);
	return 0;
}

/* The VMs that pass the filter; an ambiguous --vm fails. */
static int pick_vms(struct mv_faults_report *fc)
{
	struct mv_vm_ref *refs;
	size_t i, n = 0;
	int err = 0;

	free(fc->shown);
	fc->shown = calloc(fc->st->nvms ? fc->st->nvms : 1, sizeof(*fc->shown));
	refs = calloc(fc->st->nvms ? fc->st->nvms : 1, sizeof(*refs));
	if (!fc->shown || !refs) {
		free(refs);
		return -ENOMEM;
	}
	for (i = 0; i < fc->st->nvms; i++)
		if (fc->st->vms[i].present)
			vm_ref(&fc->st->vms[i], &refs[n++]);
	if (mv_filter_check(&fc->o->filter, refs, n, false))
		err = -1;
	for (i = 0, fc->nshown = 0; i < fc->st->nvms && !err; i++) {
		vm_ref(&fc->st->vms[i], &refs[0]);
		if (fc->st->vms[i].present && mv_filter_match(&fc->o->filter, &refs[0]))
			fc->shown[fc->nshown++] = i;
	}
	free(refs);
	return err ?: sort_shown(fc);
}


/* After the table: histograms, regions, slots of each VM shown. */
static int report_details(struct mv_faults_report *fc)
{
	struct mv_rows r;
	char title[128];
	size_t i;
	int err = 0;

	for (i = 0; i < fc->nshown && !err; i++) {
		const struct mv_probe_vm *vm = &fc->st->vms[fc->shown[i]];

		snprintf(title, sizeof(title), "VM %s: fault handler latency", vm->id);
		if (fc->po->hist)
			err = mv_hist_print(title, vm->d.hist, FAULTS_HIST_SLOTS);
		snprintf(title, sizeof(title), "\nVM %s: faults by GPA region", vm->id);
		if (!err && fc->po->regions && !(err = detail_rows(fc, vm, false, &r)) && r.nrows)
			err = mv_rows_print(&r, title, fc->o);
		snprintf(title, sizeof(title), "\nVM %s: faults by memslot", vm->id);
		if (!err && fc->po->slots && !(err = detail_rows(fc, vm, true, &r)) && r.nrows)
			err = mv_rows_print(&r, title, fc->o);
	}
	return err;
}

static int report_text(struct mv_faults_report *fc)
{
	struct mv_rows r = { "vms", cols, ncols, fc->nshown, vm_row, fc };
	struct mv_fault_losses l;
	char lost[512];
	int err = 0;

	if (fc->st->round > 1)
		putchar('\n');
	if (fc->nshown)
		err = mv_rows_print(&r, NULL, fc->o);
	else
		printf("(no KVM page faults%s%s)\n", fc->po->vm ? " for VM " : "",
		       fc->po->vm ? fc->po->vm : "");
	mv_probe_losses(fc->st, false, &l);
	mv_fmt_losses(lost, sizeof(lost), &l, false);
	printf("lost: %s\n", lost);
	err = err ?: report_details(fc);
	if (!err && fc->po->trace) {
		__u64 d[3];

		mv_probe_trace_counts(fc->st, d);
		printf("trace %s: %llu events, %llu dropped (over %u/s), %llu lost "
		       "(ring buffer full)\n", fc->po->vm, d[0], d[1], fc->po->trace_rate, d[2]);
	}
	return err;
}

/* "classes":{"<access>_<cause>":N,...}: the joint counts, non-zero only. */
static struct json_object *classes_json(const struct faults_stats *d)
{
	static const char *const access[FA_NR] = { "read", "write", "fetch" };
	static const char *const cause[FK_NR] = { "not_present", "protection", "rsvd" };
	struct json_object *obj = json_object_new_object();
	char key[48];

	for (unsigned int a = 0; obj && a < FA_NR; a++)
		for (unsigned int k = 0; k < FK_NR; k++) {
			__u64 n = 0;

			for (unsigned int g = 0; g < FS_NR; g++)
				for (unsigned int r = 0; r < FR_NR; r++)
					n += d->cls[faults_class(a, k, g, r)];
			snprintf(key, sizeof(key), "%s_%s", access[a], cause[k]);
			if (n && mv_json_add(obj, key, json_object_new_uint64(n)))
				return NULL;
		}
	return obj;
}

static struct json_object *latency_json(const struct faults_stats *d, const __u64 *s)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *h = json_object_new_array();
	int err = obj && h ? 0 : -ENOMEM;

	err = err ?: mv_json_add(obj, "avg", json_object_new_double(
				 s[S_HIST] ? (double)d->lat_ns / s[S_HIST] : 0)) ?:
	      mv_json_add(obj, "p50", json_object_new_double(mv_probe_percentile(d, 0.5))) ?:
	      mv_json_add(obj, "p99", json_object_new_double(mv_probe_percentile(d, 0.99)));
	for (int i = 0; !err && i < FAULTS_HIST_SLOTS; i++)
		err = json_object_array_add(h, json_object_new_uint64(d->hist[i]));
	if (!err && !mv_json_add(obj, "log2_hist", h))
		return obj;
	json_object_put(obj);
	return NULL;
}

static int vm_json(struct mv_faults_report *fc, struct json_object *v,
		   const struct mv_probe_vm *vm)
{
	struct mv_rows r;
	__u64 s[S_NR];
	int err;

	mv_probe_summarize(&vm->d, s);
	err = mv_json_add(v, "id", json_object_new_string(vm->id)) ?:
	      mv_json_add(v, "name", vm->names.name[0] ?
			  mv_json_string(vm->names.name) : NULL) ?:
	      mv_json_add(v, "uuid", vm->names.uuid[0] ?
			  mv_json_string(vm->names.uuid) : NULL) ?:
	      mv_json_add(v, "pid", json_object_new_int64(vm->ident.pid)) ?:
	      mv_json_add(v, "alive", json_object_new_boolean(
			  vm->ident.state != FAULTS_VM_STATE_DEAD)) ?:
	      mv_json_add(v, "rate", json_object_new_double(s[S_FAULTS] / fc->secs));
	for (int k = 0; k < S_NR && !err; k++)
		err = mv_json_add(v, mv_sum_names[k], json_object_new_uint64(s[k]));
	err = err ?: mv_json_add(v, "classes", classes_json(&vm->d)) ?:
	      mv_json_add(v, "latency_ns", latency_json(&vm->d, s));
	if (!err && fc->po->regions)
		err = mv_json_add(v, "region_size",
				  json_object_new_uint64(1ULL << fc->po->region_shift)) ?:
		      detail_rows(fc, vm, false, &r) ?: mv_rows_json_add(v, &r);
	if (!err && fc->po->slots)
		err = detail_rows(fc, vm, true, &r) ?: mv_rows_json_add(v, &r);
	return err;
}

static struct json_object *trace_json(struct mv_faults_report *fc)
{
	struct json_object *t = json_object_new_object();
	__u64 d[3];

	mv_probe_trace_counts(fc->st, d);
	if (!t || mv_json_add(t, "rate_limit", json_object_new_int64(fc->po->trace_rate)) ||
	    mv_json_add(t, "events", json_object_new_uint64(d[0])) ||
	    mv_json_add(t, "dropped", json_object_new_uint64(d[1])) ||
	    mv_json_add(t, "lost", json_object_new_uint64(d[2])) ||
	    mv_json_add(t, "id", json_object_new_string(fc->po->vm))) {
		json_object_put(t);
		return NULL;
	}
	return t;
}

static int report_json(struct mv_faults_report *fc)
{
	const struct mv_faults *st = fc->st;
	struct json_object *doc = json_object_new_object(), *vms, *v;
	struct mv_fault_losses l;
	size_t i;
	int err;

	mv_probe_losses(st, false, &l);
	vms = json_object_new_array();
	/* "dropped": since start, the faults no VM counted (tables full). */
	err = !doc || !vms ? -ENOMEM :
	      mv_json_add(doc, "interval", json_object_new_double(fc->secs)) ?:
	      mv_json_add(doc, "attach", json_object_new_string(st->method)) ?:
	      mv_json_add(doc, "pagein", json_object_new_boolean(st->pagein)) ?:
	      mv_json_add(doc, "levels", json_object_new_boolean(st->levels)) ?:
	      mv_json_add(doc, "dropped", json_object_new_uint64(
			  st->loss_cur[MV_LOST_VM_TABLE_FULL] +
			  st->loss_cur[MV_LOST_INFLIGHT_FULL])) ?:
	      mv_json_add(doc, "lost", mv_losses_json(&l)) ?:
	      (fc->po->trace ? mv_json_add(doc, "trace", trace_json(fc)) : 0) ?:
	      mv_json_add(doc, "vms", json_object_get(vms));
	for (i = 0; i < fc->nshown && !err; i++) {
		v = mv_json_push(vms, &err);
		err = err ?: vm_json(fc, v, &st->vms[fc->shown[i]]);
	}
	err = err ?: mv_json_print_line(doc, stdout);
	json_object_put(vms);
	json_object_put(doc);
	return err;
}

int mv_faults_report(struct mv_faults_report *fc)
{
	int err = pick_vms(fc);

	if (err)
		return err;
	return fc->o->json ? report_json(fc) : report_text(fc);
}

void mv_faults_report_free(struct mv_faults_report *fc)
{
	free(fc->shown);
	free(fc->idx);
}

