// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the per-VM field table and its renderers.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "out/fields.h"
#include "out/sort.h"

#define SZ_4K	(4096ULL)
#define SZ_2M	(2ULL << 20)
#define SZ_1G	(1ULL << 30)

#define VM	MV_SRC_VM
#define STR	MV_SRC_STR
#define HOST	MV_SRC_HOST
#define FLT	MV_SRC_FAULT
#define NAMES	MV_SRC_NAMES
#define COLS	(MV_F_VM_COLS | MV_F_SHOW)
#define LIST	(MV_F_LIST | COLS)
#define TOP	(MV_F_TOP | MV_F_TOP_JSON)
#define OVH	"memvirt_vm_overhead_bytes", "part"
#define MAPS	"memvirt_vm_mappings", "size"
#define PTP	"memvirt_vm_page_table_pages", "mmu"

#define HOST_COLS	MV_F_HOST_COLS
#define FAULT_COLS	MV_F_FAULT_COLS

const struct mv_field mv_fields[] = {
	{ "ID", NULL, "VM", STR, MEMVIRT_A_VM_ID, 0, MV_FMT_STR, 8, LIST | TOP,
	  NULL, NULL, NULL, NULL,
	  "VM id: <pid>-<fd> (KVM's debugfs name), <pid>-x<tag> if KVM gave none" },
	{ "NAME", NULL, "Name", NAMES, MV_NAMES_NAME, 0, MV_FMT_STR, 10, LIST | TOP,
	  NULL, NULL, NULL, NULL,
	  "the VM's name on its VMM's command line (QEMU -name, Firecracker --id, "
	  "crosvm --name)" },
	{ "UUID", NULL, "UUID", NAMES, MV_NAMES_UUID, 0, MV_FMT_STR, 36,
	  COLS | MV_F_TOP_JSON,
	  NULL, NULL, NULL, NULL,
	  "the VM's UUID on that command line (QEMU -uuid, cloud-hypervisor "
	  "--platform uuid=)" },
	{ "PID", NULL, "PID", VM, MEMVIRT_A_VM_PID, 0, MV_FMT_NUM, 5, LIST | TOP,
	  NULL, NULL, NULL, NULL, "the VM's VMM (pid in your pid namespace)" },
	{ "COMM", NULL, "Command", STR, MEMVIRT_A_VM_COMM, 0, MV_FMT_STR, 12,
	  LIST | TOP, NULL, NULL, NULL, NULL, "command name of that process" },
	{ "HELD-BY", NULL, "Held by", STR, MEMVIRT_A_VM_HELD_BY, 0, MV_FMT_STR, 8,
	  LIST, NULL, NULL, NULL, NULL,
	  "vm-fd; vcpu-fd-only or mapping-only: no VM fd names it (a leak?); "
	  "no-debugfs-dir" },
	{ "HOLDERS", NULL, "Holder pids", STR, MEMVIRT_A_VM_HOLDER, 0, MV_FMT_STR, 6,
	  COLS, NULL, NULL, NULL, NULL,
	  "pids of the processes holding the VM (+N: not yours to see)" },
	{ "VCPUS", NULL, "vCPUs created", VM, MEMVIRT_A_VM_VCPUS_CREATED, 0,
	  MV_FMT_NUM, 3, LIST, NULL, NULL, NULL, NULL, "vCPUs created" },
	{ "ONLINE", NULL, "vCPUs online", VM, MEMVIRT_A_VM_VCPUS_ONLINE, 0,
	  MV_FMT_NUM, 3, COLS | TOP, "memvirt_vm_vcpus", NULL, NULL,
	  "vCPUs online.", "vCPUs online" },
	{ "SLOTS", NULL, "Memslots", VM, MEMVIRT_A_VM_NR_MEMSLOTS, 0, MV_FMT_NUM, 3,
	  COLS, "memvirt_vm_memslots", NULL, NULL,
	  "Memslots, all address spaces, KVM's internal ones included.",
	  "memslots, all address spaces, internal ones included" },
	{ "MEMORY", NULL, "Guest memory", VM, MEMVIRT_A_VM_MEM_BYTES, 0,
	  MV_FMT_SIZE, 6, LIST | TOP, "memvirt_vm_memory_bytes", NULL, NULL,
	  "Guest memory in memslots.",
	  "guest memory declared in user memslots (address space 0)" },
	{ "MAPPED", NULL, "Mapped", VM, MEMVIRT_A_VM_MAPPED_BYTES, 0, MV_FMT_SIZE,
	  6, COLS | TOP, "memvirt_vm_mapped_bytes", NULL, NULL,
	  "Guest memory KVM maps in its EPT/NPT page tables.",
	  "guest memory mapped by TDP (EPT/NPT) leaf entries" },
	{ "MAP-4K", NULL, "4K mappings", VM, MEMVIRT_A_VM_MAP_4K, 0, MV_FMT_NUM, 6,
	  COLS, MAPS, "4K", "Leaf mappings in KVM's EPT/NPT page tables, by page size.",
	  "4K leaf mappings" },
	{ "MAPPED-4K", NULL, "Mapped by 4K", VM, MEMVIRT_A_VM_MAP_4K, SZ_4K,
	  MV_FMT_SIZE, 6, COLS, NULL, NULL, NULL, NULL,
	  "memory mapped by 4K leaf entries" },
	{ "MAP-2M", NULL, "2M mappings", VM, MEMVIRT_A_VM_MAP_2M, 0, MV_FMT_NUM, 6,
	  COLS, MAPS, "2M", NULL, "2M leaf mappings" },
	{ "MAPPED-2M", NULL, "Mapped by 2M", VM, MEMVIRT_A_VM_MAP_2M, SZ_2M,
	  MV_FMT_SIZE, 6, COLS, NULL, NULL, NULL, NULL,
	  "memory mapped by 2M leaf entries" },
	{ "MAP-1G", NULL, "1G mappings", VM, MEMVIRT_A_VM_MAP_1G, 0, MV_FMT_NUM, 6,
	  COLS, MAPS, "1G", NULL, "1G leaf mappings" },
	{ "MAPPED-1G", NULL, "Mapped by 1G", VM, MEMVIRT_A_VM_MAP_1G, SZ_1G,
	  MV_FMT_SIZE, 6, COLS, NULL, NULL, NULL, NULL,
	  "memory mapped by 1G leaf entries" },
	{ "HUGE", NULL, "Huge-mapped", VM, MEMVIRT_A_VM_HUGE_MAPPED_PPM, 0,
	  MV_FMT_PPM, 6, LIST | TOP, "memvirt_vm_huge_mapped_ratio", NULL, NULL,
	  "Share of the mapped guest memory that 2M and 1G mappings cover.",
	  "share of mapped memory mapped by 2M/1G entries (%; a ratio in export)" },
	{ "RESIDENT", NULL, "Host resident", HOST, MV_HOST_RESIDENT, 0, MV_FMT_SIZE,
	  6, HOST_COLS | MV_F_SHOW, NULL, NULL, NULL, NULL,
	  "guest memory resident in host RAM (reads page tables)" },
	{ "HOST-HUGE", NULL, "Host huge-backed", HOST, MV_HOST_HUGE_PPM, 0,
	  MV_FMT_PPM, 6, HOST_COLS | MV_F_SHOW, NULL, NULL, NULL, NULL,
	  "share of resident guest memory in THP/hugetlb pages (%)" },
	{ "NX-SPLITS", NULL, "NX huge-page splits", VM, MEMVIRT_A_VM_NX_LPAGE_SPLITS,
	  0, MV_FMT_NUM, 6, COLS, "memvirt_vm_nx_huge_page_splits", NULL, NULL,
	  "Huge mappings KVM keeps split to 4K for the NX huge-page mitigation.",
	  "huge mappings KVM split to 4K for the NX huge-page mitigation" },
	{ "TDP-PAGES", NULL, "TDP MMU pages", VM, MEMVIRT_A_VM_MMU_TDP_PAGES, 0,
	  MV_FMT_NUM, 6, COLS, PTP, "tdp", "KVM's MMU page-table pages, by MMU.",
	  "TDP MMU page-table pages" },
	{ "SHADOW-PAGES", NULL, "Shadow MMU pages", VM, MEMVIRT_A_VM_MMU_SHADOW_PAGES,
	  0, MV_FMT_NUM, 6, COLS, PTP, "shadow", NULL, "shadow MMU pages in use" },
	{ "PGTABLES", NULL, "Page tables", VM, MEMVIRT_A_VM_PAGE_TABLE_BYTES, 0,
	  MV_FMT_SIZE, 6, COLS | TOP, OVH, "page_tables",
	  "Host memory KVM spends on the VM's bookkeeping, by part; the parts add up.",
	  "MMU page tables, TDP + shadow" },
	{ "MMU-CACHES", NULL, "MMU caches", VM, MEMVIRT_A_VM_CACHE_BYTES, 0,
	  MV_FMT_SIZE, 6, COLS, OVH, "mmu_caches", NULL,
	  "objects held in KVM's MMU memory caches" },
	{ "RMAP", NULL, "Reverse maps", VM, MEMVIRT_A_VM_RMAP_BYTES, 0, MV_FMT_SIZE,
	  6, COLS, OVH, "rmap", NULL, "reverse-map arrays, all memslots" },
	{ "LPAGE-INFO", NULL, "Large-page info", VM, MEMVIRT_A_VM_LPAGE_INFO_BYTES, 0,
	  MV_FMT_SIZE, 6, COLS, OVH, "lpage_info", NULL,
	  "large-page info arrays, all memslots" },
	{ "DIRTY-LOG", NULL, "Dirty bitmaps", VM, MEMVIRT_A_VM_DIRTY_BITMAP_BYTES, 0,
	  MV_FMT_SIZE, 6, COLS, OVH, "dirty_bitmap", NULL, "dirty-log bitmaps" },
	{ "WRITE-TRACK", NULL, "Write tracking", VM, MEMVIRT_A_VM_WRITE_TRACK_BYTES,
	  0, MV_FMT_SIZE, 6, COLS, OVH, "write_track", NULL,
	  "gfn write-tracking arrays" },
	{ "VCPU-MEM", NULL, "vCPU structures", VM, MEMVIRT_A_VM_VCPU_BYTES, 0,
	  MV_FMT_SIZE, 6, COLS, OVH, "vcpus", NULL, "vCPU structures (lower bound)" },
	{ "OVERHEAD", NULL, "Total overhead", VM, MEMVIRT_A_VM_OVERHEAD_BYTES, 0,
	  MV_FMT_SIZE, 6, LIST | TOP, NULL, NULL, NULL, NULL,
	  "host memory KVM spends on the VM" },
	{ "FAULTS", NULL, NULL, FLT, MV_FV_FAULTS, 0, MV_FMT_NUM, 6,
	  FAULT_COLS | MV_F_TOP_JSON, NULL, NULL, NULL, NULL,
	  "KVM page faults in the interval" },
	{ "FAULTS/s", "faults_per_sec", NULL, FLT, MV_FV_RATE, 0, MV_FMT_RATE, 6,
	  FAULT_COLS | TOP, NULL, NULL, NULL, NULL,
	  "KVM page faults a second in the interval" },
	{ "PAGEINS", "pagein", NULL, FLT, MV_FV_PAGEIN, 0, MV_FMT_NUM, 6,
	  FAULT_COLS | MV_F_TOP_JSON, NULL, NULL, NULL, NULL,
	  "of them, those that faulted host memory in" },
	{ "PAGEIN%", "pagein_percent", NULL, FLT, MV_FV_PAGEIN_PCT, 0, MV_FMT_PCT,
	  6, FAULT_COLS | MV_F_TOP, NULL, NULL, NULL, NULL,
	  "the same as a share of the faults (%)" },
	{ "SAMPLES", "latency_samples", NULL, FLT, MV_FV_SAMPLES, 0, MV_FMT_NUM, 6,
	  FAULT_COLS | MV_F_TOP_JSON, NULL, NULL, NULL, NULL,
	  "faults with a latency measured" },
	{ "P50", "p50_ns", NULL, FLT, MV_FV_P50, 0, MV_FMT_NS, 6, FAULT_COLS | TOP,
	  NULL, NULL, NULL, NULL, "median latency of KVM's fault handler" },
	{ "P99", "p99_ns", NULL, FLT, MV_FV_P99, 0, MV_FMT_NS, 6, FAULT_COLS | TOP,
	  NULL, NULL, NULL, NULL, "99th percentile of that latency" },
};

const size_t mv_nr_fields = ARRAY_SIZE(mv_fields);

const struct mv_bk_field mv_bk_fields[] = {
	{ "RESIDENT", MV_FMT_SIZE, offsetof(struct mv_backing, resident),
	  "memvirt_vm_host_bytes", "state", "resident",
	  "Guest memory by what backs it on the host (each host page once); "
	  "the states add up to the memory of the VM's memslots." },
	{ "ZERO", MV_FMT_SIZE, offsetof(struct mv_backing, zero),
	  "memvirt_vm_host_bytes", "state", "zero", NULL },
	{ "THP", MV_FMT_SIZE, offsetof(struct mv_backing, thp),
	  "memvirt_vm_host_huge_bytes", "kind", "thp",
	  "Resident guest memory in host huge pages, by kind." },
	{ "HUGETLB", MV_FMT_SIZE, offsetof(struct mv_backing, hugetlb),
	  "memvirt_vm_host_huge_bytes", "kind", "hugetlb", NULL },
	{ "SWAPPED", MV_FMT_SIZE, offsetof(struct mv_backing, swapped),
	  "memvirt_vm_host_bytes", "state", "swapped", NULL },
	{ "NOT-PRESENT", MV_FMT_SIZE, offsetof(struct mv_backing, not_present),
	  "memvirt_vm_host_bytes", "state", "not_present", NULL },
	{ "RUNS", MV_FMT_NUM, offsetof(struct mv_backing, runs),
	  "memvirt_vm_host_runs", NULL, NULL,
	  "Physically contiguous runs of resident guest memory." },
	{ "LONGEST-RUN", MV_FMT_SIZE, offsetof(struct mv_backing, longest_run),
	  "memvirt_vm_host_longest_run_bytes", NULL, NULL,
	  "The longest physically contiguous run of resident guest memory." },
	{ "SHORTEST-RUN", MV_FMT_SIZE, offsetof(struct mv_backing, shortest_run),
	  NULL, NULL, NULL, NULL },
};

const size_t mv_nr_bk_fields = ARRAY_SIZE(mv_bk_fields);

/* ---- values ------------------------------------------------------------ */

const char *mv_field_key(const struct mv_field *f, char *buf, size_t size)
{
	if (f->key)
		return f->key;
	mv_json_key(buf, size, f->name);
	return buf;
}

static const char *field_str(const struct mv_field *f, const struct mv_vm *vm,
			     char *buf, size_t size)
{
	const char *name = f->attr == MV_NAMES_NAME ? vm->names.name : vm->names.uuid;

	if (f->src == MV_SRC_NAMES)
		return *name ? name : NULL;
	switch (f->attr) {
	case MEMVIRT_A_VM_HELD_BY:
		return mv_vm_held_by(vm, buf, size);
	case MEMVIRT_A_VM_HOLDER:
		return mv_vm_holders(vm, buf, size);
	}
	if (!mv_vm_has(vm, f->attr))
		return NULL;
	return f->attr == MEMVIRT_A_VM_ID ? vm->id : vm->comm;
}

static bool host_val(const struct mv_field *f, const struct mv_field_ctx *c,
		     uint64_t *v)
{
	const struct mv_backing *bk = mv_host_vm_backing(c->h, c->i);

	if (!bk)
		return false;
	if (f->attr == MV_HOST_RESIDENT)
		*v = bk->resident;
	else	/* VM share of resident memory in huge host pages, ppm */
		*v = bk->resident ? (bk->thp + bk->hugetlb) * 1000000 / bk->resident : 0;
	return true;
}

/* A fault field: its value, a count in *@u or a double in *@d. */
static bool fault_val(const struct mv_field *f, const struct mv_field_ctx *c,
		      uint64_t *u, double *d)
{
	const struct mv_vm_faults *vf = c->h->vf ? &c->h->vf[c->i] : NULL;
	const struct mv_fault_rates *r = vf ? &vf->rate : NULL;
	bool seen = vf && vf->seen, probes = c->h->faults && vf;

	switch (f->attr) {
	case MV_FV_FAULTS:
		*u = seen ? r->faults : 0;
		return probes;
	case MV_FV_RATE:
		*d = seen && c->secs > 0 ? r->faults / c->secs : 0;
		return probes;
	case MV_FV_PAGEIN:
		*u = seen ? r->pagein : 0;
		return probes;
	case MV_FV_PAGEIN_PCT:
		*d = seen && r->faults ? 100.0 * r->pagein / r->faults : 0;
		return seen && r->faults;
	case MV_FV_SAMPLES:
		*u = seen ? r->samples : 0;
		return probes;
	case MV_FV_P50:
	case MV_FV_P99:
		*d = !seen ? 0 : f->attr == MV_FV_P50 ? r->p50_ns : r->p99_ns;
		return seen && r->samples;
	}
	return false;
}

/* The value of a numeric field; false if unknown. */
static bool field_val(const struct mv_field *f, const struct mv_field_ctx *c,
		      uint64_t *u, double *d)
{
	const struct mv_vm *vm = &c->h->vms[c->i];

	switch (f->src) {
	case MV_SRC_HOST:
		return host_val(f, c, u);
	case MV_SRC_FAULT:
		return fault_val(f, c, u, d);
	default:
		if (!mv_vm_has(vm, f->attr))
			return false;
		*u = vm->val[f->attr] * (f->scale ? f->scale : 1);
		return true;
	}
}

int mv_field_cell(struct libscols_line *ln, size_t col, const struct mv_field *f,
		  const struct mv_field_ctx *c, const struct mv_opts *o)
{
	char buf[128];
	uint64_t u = 0;
	double d = 0;
	bool present;

	if (f->fmt == MV_FMT_STR)
		return mv_cell_str(ln, col, field_str(f, &c->h->vms[c->i], buf,
						      sizeof(buf)), o);
	present = field_val(f, c, &u, &d);
	if (mv_fmt_is_double(f->fmt))
		return mv_cell_double(ln, col, f->fmt, present, d, o);
	return mv_cell_value(ln, col, f->fmt, present, u, o);
}

char *mv_field_text(const struct mv_field *f, const struct mv_field_ctx *c,
		    const struct mv_opts *o)
{
	char buf[128];
	const char *s;
	uint64_t u = 0;
	double d = 0;

	if (f->fmt == MV_FMT_STR) {
		s = field_str(f, &c->h->vms[c->i], buf, sizeof(buf));
		return strdup(s ? s : "-");
	}
	if (!field_val(f, c, &u, &d))
		return strdup("-");
	return mv_fmt_is_double(f->fmt) ? mv_format_d(f->fmt, d, o) :
	       mv_format(f->fmt, u, o);
}

int mv_field_cmp(const struct mv_field *f, const struct mv_field_ctx *a,
		 const struct mv_field_ctx *b)
{
	char ba[128], bb[128];
	uint64_t ua = 0, ub = 0;
	double da = 0, db = 0;
	bool ha, hb;

	if (f->fmt == MV_FMT_STR) {
		const char *sa = field_str(f, &a->h->vms[a->i], ba, sizeof(ba));
		const char *sb = field_str(f, &b->h->vms[b->i], bb, sizeof(bb));

		if (!sa || !sb)
			return !sa - !sb;
		return strcmp(sa, sb);
	}
	ha = field_val(f, a, &ua, &da);
	hb = field_val(f, b, &ub, &db);
	if (!ha || !hb)
		return !ha - !hb;
	if (mv_fmt_is_double(f->fmt))
		return da < db ? 1 : da > db ? -1 : 0;
	return ua < ub ? 1 : ua > ub ? -1 : 0;
}

int mv_field_json(struct json_object *obj, const struct mv_field *f,
		  const struct mv_field_ctx *c)
{
	struct json_object *j = NULL;
	char key[32], buf[128];
	const char *s;
	uint64_t u = 0;
	double d = 0;
	bool present;
	int err = 0;

	mv_field_key(f, key, sizeof(key));
	if (f->fmt == MV_FMT_STR) {
		s = field_str(f, &c->h->vms[c->i], buf, sizeof(buf));
		if (s && !(j = mv_json_string(s)))
			return -ENOMEM;
		return mv_json_add(obj, f->key ? f->key : key, j);
	}
	present = field_val(f, c, &u, &d);
	if (mv_fmt_is_double(f->fmt))
		j = mv_json_double(f->fmt, present, d, &err);
	else
		j = mv_json_value(f->fmt, present, u, &err);
	return err ? err : mv_json_add(obj, f->key ? f->key : key, j);
}

bool mv_field_prom(const struct mv_field *f, const struct mv_field_ctx *c,
		   double *v, bool *is_double, uint64_t *u)
{
	if (!field_val(f, c, u, v))
		return false;
	*is_double = f->fmt == MV_FMT_PPM || mv_fmt_is_double(f->fmt);
	if (f->fmt == MV_FMT_PPM)
		*v = *u / 1e6;		/* Prometheus wants ratios */
	return true;
}

/* ---- columns ----------------------------------------------------------- */

static const struct mv_field *field_by_name(const char *name, size_t len,
					    unsigned int avail)
{
	size_t i;

	for (i = 0; i < mv_nr_fields; i++)
		if ((mv_fields[i].flags & avail) && strlen(mv_fields[i].name) == len &&
		    !strncasecmp(mv_fields[i].name, name, len))
			return &mv_fields[i];
	return NULL;
}

const struct mv_field *mv_field_find(const char *name, unsigned int avail)
{
	return field_by_name(name, strlen(name), avail);
}

static size_t default_cols(const struct mv_field **cols, unsigned int avail,
			   unsigned int deflt)
{
	size_t i, n = 0;

	for (i = 0; i < mv_nr_fields; i++)
		if (mv_fields[i].flags & avail && mv_fields[i].flags & deflt)
			cols[n++] = &mv_fields[i];
	return n;
}

ssize_t mv_fields_select(const char *verb, const struct mv_opts *o,
			 unsigned int avail, unsigned int deflt,
			 const struct mv_field **cols, size_t max)
{
	const char *p = o->output;
	size_t n = 0;

	if (o->output_all || !p)
		return default_cols(cols, avail, o->output_all ? avail : deflt);
	if (*p == '+') {
		n = default_cols(cols, avail, deflt);
		p++;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		const struct mv_field *f = field_by_name(p, len, avail);

		if (!f)
			return mv_usage_error(verb, "unknown column '%.*s'", (int)len, p), -1;
		if (n == max)
			return mv_usage_error(verb, "too many columns"), -1;
		cols[n++] = f;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!n)
		return mv_usage_error(verb, "no columns given"), -1;
	return n;
}

int mv_fields_sort_key(const char *verb, const struct mv_opts *o,
		       unsigned int avail, const struct mv_field **key,
		       bool *reverse)
{
	char col[32];
	int dir;

	*key = NULL;
	if (!o->sort)
		return 0;
	if (mv_sort_spec(verb, o->sort, col, sizeof(col), &dir))
		return MV_EXIT_USAGE;
	*key = field_by_name(col, strlen(col), avail);
	if (!*key)
		return mv_usage_error(verb, "unknown sort column '%s'", col);
	*reverse = mv_sort_desc((*key)->fmt, dir) != mv_sort_desc((*key)->fmt, -1);
	return 0;
}

/* What qsort_r() compares by in mv_fields_order(). */
struct order_ctx {
	const struct mv_field *key;
	struct mv_field_ctx a, b;
	bool reverse;
};

static bool field_known(const struct mv_field *f, const struct mv_field_ctx *c)
{
	char buf[128];
	uint64_t u;
	double d;

	if (f->fmt == MV_FMT_STR)
		return field_str(f, &c->h->vms[c->i], buf, sizeof(buf));
	return field_val(f, c, &u, &d);
}

/* mv_field_cmp()'s order, reversed but for unknown values; ties as read. */
static int order_cmp(const void *pa, const void *pb, void *arg)
{
	struct order_ctx *x = arg;
	int r;

	x->a.i = *(const size_t *)pa;
	x->b.i = *(const size_t *)pb;
	r = mv_field_cmp(x->key, &x->a, &x->b);
	if (r && x->reverse && field_known(x->key, &x->a) && field_known(x->key, &x->b))
		r = -r;
	return r ? r : x->a.i < x->b.i ? -1 : x->a.i > x->b.i;
}

int mv_fields_order(const struct mv_host *h, const struct mv_field *key,
		    bool reverse, double secs, size_t *order)
{
	struct mv_field_ctx c = { .h = h, .secs = secs };
	struct order_ctx x = { key, c, c, reverse };
	size_t i;

	for (i = 0; i < h->nr_vms; i++)
		order[i] = i;
	if (key)
		qsort_r(order, h->nr_vms, sizeof(*order), order_cmp, &x);
	return 0;
}

void mv_fields_help(FILE *f, unsigned int avail, unsigned int deflt)
{
	size_t i;

	fputs("Available output columns (* = default):\n", f);
	for (i = 0; i < mv_nr_fields; i++)
		if (mv_fields[i].flags & avail)
			mv_help_col(f, mv_fields[i].flags & deflt,
				    mv_fields[i].name, mv_fields[i].help);
}

/* ---- tables ------------------------------------------------------------ */

int mv_fields_table(const struct mv_host *h, const size_t *order,
		    const struct mv_field **cols, size_t ncols, double secs,
		    const char *name, const struct mv_opts *o)
{
	struct mv_field_ctx c = { .h = h, .secs = secs };
	struct libscols_table *tb;
	struct libscols_line *ln;
	size_t i, k;
	int err = -ENOMEM;

	/* JSON through json-c: libsmartcols would key by the column names. */
	if (o->json)
		return mv_json_print_named(name, mv_fields_json(h, order, cols, ncols, secs));
	tb = mv_table_new(o, name);
	if (!tb)
		return -ENOMEM;
	for (k = 0; k < ncols; k++)
		if (!mv_table_col(tb, cols[k]->name, cols[k]->whint, 0, cols[k]->fmt))
			goto out;
	for (i = 0, err = 0; i < h->nr_vms && !err; i++) {
		c.i = order ? order[i] : i;
		ln = scols_table_new_line(tb, NULL);
		err = ln ? 0 : -ENOMEM;
		for (k = 0; k < ncols && !err; k++)
			err = mv_field_cell(ln, k, cols[k], &c, o);
	}
	if (!err)
		err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

struct json_object *mv_fields_json(const struct mv_host *h, const size_t *order,
				   const struct mv_field **cols, size_t ncols,
				   double secs)
{
	struct json_object *arr = json_object_new_array(), *v;
	struct mv_field_ctx c = { .h = h, .secs = secs };
	size_t i, k;
	int err = arr ? 0 : -ENOMEM;

	for (i = 0; i < h->nr_vms && !err; i++) {
		c.i = order ? order[i] : i;
		v = mv_json_push(arr, &err);
		for (k = 0; k < ncols && !err; k++)
			err = mv_field_json(v, cols[k], &c);
	}
	if (err) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}
