// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the "list" and "show" verbs.
 *
 * One field table describes every per-VM value: it gives list its columns
 * (--output, defaults, help) and show its lines and JSON keys, so a value
 * has the same name everywhere.
 */
#include <ctype.h>
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backing.h"
#include "cli.h"
#include "nl.h"
#include "output.h"
#include "vm.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct mv_field {
	const char *name;	/* column header; lower case is the JSON key */
	const char *label;	/* line label in "show" */
	int attr;		/* MEMVIRT_A_VM_* holding the value */
	uint64_t scale;		/* shown value = attribute * scale; 0 = 1 */
	enum mv_fmt fmt;
	double whint;
	int flags;		/* SCOLS_FL_* */
	bool deflt;		/* a default "list" column */
	const char *help;
};

/*
 * Fields computed by the CLI from the host backing (backing.c), not sent by
 * the module: list computes them only when asked, show with --backing.
 */
#define MV_ATTR_HOST_RESIDENT	1000	/* resident bytes, VM total */
#define MV_ATTR_HOST_HUGE	1001	/* THP + hugetlb share, ppm */
#define IS_HOST_ATTR(a)		((a) >= MV_ATTR_HOST_RESIDENT)

#define SZ_4K	(4096ULL)
#define SZ_2M	(2ULL << 20)
#define SZ_1G	(1ULL << 30)

static const struct mv_field vm_fields[] = {
	{ "ID", "VM", MEMVIRT_A_VM_ID, 0, MV_FMT_STR, 8, 0, true,
	  "VM id: <pid>-<fd> (KVM's debugfs name), <pid>-x<tag> if KVM gave none" },
	{ "PID", "PID", MEMVIRT_A_VM_PID, 0, MV_FMT_NUM, 5, 0, true,
	  "the VM's VMM (pid in your pid namespace)" },
	{ "COMM", "Command", MEMVIRT_A_VM_COMM, 0, MV_FMT_STR, 12, 0, true,
	  "command name of that process" },
	{ "HELD-BY", "Held by", MEMVIRT_A_VM_HELD_BY, 0, MV_FMT_STR, 8, 0, true,
	  "vm-fd; vcpu-fd-only or mapping-only: no VM fd names it (a leak?); "
	  "no-debugfs-dir" },
	{ "HOLDERS", "Holder pids", MEMVIRT_A_VM_HOLDER, 0, MV_FMT_STR, 6, 0,
	  false, "pids of the processes holding the VM (+N: not yours to see)" },
	{ "VCPUS", "vCPUs created", MEMVIRT_A_VM_VCPUS_CREATED, 0, MV_FMT_NUM,
	  3, 0, true, "vCPUs created" },
	{ "ONLINE", "vCPUs online", MEMVIRT_A_VM_VCPUS_ONLINE, 0, MV_FMT_NUM,
	  3, 0, false, "vCPUs online" },
	{ "SLOTS", "Memslots", MEMVIRT_A_VM_NR_MEMSLOTS, 0, MV_FMT_NUM, 3, 0,
	  false, "memslots, all address spaces, internal ones included" },
	{ "MEMORY", "Guest memory", MEMVIRT_A_VM_MEM_BYTES, 0, MV_FMT_SIZE, 6,
	  0, true, "guest memory declared in user memslots (address space 0)" },
	{ "MAPPED", "Mapped", MEMVIRT_A_VM_MAPPED_BYTES, 0, MV_FMT_SIZE, 6, 0,
	  false, "guest memory mapped by TDP (EPT/NPT) leaf entries" },
	{ "MAP-4K", "4K mappings", MEMVIRT_A_VM_MAP_4K, 0, MV_FMT_NUM, 6, 0,
	  false, "4K leaf mappings" },
	{ "MAPPED-4K", "Mapped by 4K", MEMVIRT_A_VM_MAP_4K, SZ_4K, MV_FMT_SIZE,
	  6, 0, false, "memory mapped by 4K leaf entries" },
	{ "MAP-2M", "2M mappings", MEMVIRT_A_VM_MAP_2M, 0, MV_FMT_NUM, 6, 0,
	  false, "2M leaf mappings" },
	{ "MAPPED-2M", "Mapped by 2M", MEMVIRT_A_VM_MAP_2M, SZ_2M, MV_FMT_SIZE,
	  6, 0, false, "memory mapped by 2M leaf entries" },
	{ "MAP-1G", "1G mappings", MEMVIRT_A_VM_MAP_1G, 0, MV_FMT_NUM, 6, 0,
	  false, "1G leaf mappings" },
	{ "MAPPED-1G", "Mapped by 1G", MEMVIRT_A_VM_MAP_1G, SZ_1G, MV_FMT_SIZE,
	  6, 0, false, "memory mapped by 1G leaf entries" },
	{ "HUGE", "Huge-mapped", MEMVIRT_A_VM_HUGE_MAPPED_PPM, 0, MV_FMT_PPM,
	  6, 0, true, "share of mapped memory mapped by 2M/1G entries (%)" },
	{ "RESIDENT", "Host resident", MV_ATTR_HOST_RESIDENT, 0, MV_FMT_SIZE,
	  6, 0, false, "guest memory resident in host RAM (reads page tables)" },
	{ "HOST-HUGE", "Host huge-backed", MV_ATTR_HOST_HUGE, 0, MV_FMT_PPM,
	  6, 0, false, "share of resident guest memory in THP/hugetlb pages (%)" },
	{ "NX-SPLITS", "NX huge-page splits", MEMVIRT_A_VM_NX_LPAGE_SPLITS, 0,
	  MV_FMT_NUM, 6, 0, false,
	  "huge mappings KVM split to 4K for the NX huge-page mitigation" },
	{ "TDP-PAGES", "TDP MMU pages", MEMVIRT_A_VM_MMU_TDP_PAGES, 0,
	  MV_FMT_NUM, 6, 0, false, "TDP MMU page-table pages" },
	{ "SHADOW-PAGES", "Shadow MMU pages", MEMVIRT_A_VM_MMU_SHADOW_PAGES, 0,
	  MV_FMT_NUM, 6, 0, false, "shadow MMU pages in use" },
	{ "PGTABLES", "Page tables", MEMVIRT_A_VM_PAGE_TABLE_BYTES, 0,
	  MV_FMT_SIZE, 6, 0, false, "MMU page tables, TDP + shadow" },
	{ "MMU-CACHES", "MMU caches", MEMVIRT_A_VM_CACHE_BYTES, 0, MV_FMT_SIZE,
	  6, 0, false, "objects held in KVM's MMU memory caches" },
	{ "RMAP", "Reverse maps", MEMVIRT_A_VM_RMAP_BYTES, 0, MV_FMT_SIZE, 6,
	  0, false, "reverse-map arrays, all memslots" },
	{ "LPAGE-INFO", "Large-page info", MEMVIRT_A_VM_LPAGE_INFO_BYTES, 0,
	  MV_FMT_SIZE, 6, 0, false, "large-page info arrays, all memslots" },
	{ "DIRTY-LOG", "Dirty bitmaps", MEMVIRT_A_VM_DIRTY_BITMAP_BYTES, 0,
	  MV_FMT_SIZE, 6, 0, false, "dirty-log bitmaps" },
	{ "WRITE-TRACK", "Write tracking", MEMVIRT_A_VM_WRITE_TRACK_BYTES, 0,
	  MV_FMT_SIZE, 6, 0, false, "gfn write-tracking arrays" },
	{ "VCPU-MEM", "vCPU structures", MEMVIRT_A_VM_VCPU_BYTES, 0,
	  MV_FMT_SIZE, 6, 0, false, "vCPU structures (lower bound)" },
	{ "OVERHEAD", "Total overhead", MEMVIRT_A_VM_OVERHEAD_BYTES, 0,
	  MV_FMT_SIZE, 6, 0, true, "host memory KVM spends on the VM" },
};

static const char *const cache_names[] = {
	[MEMVIRT_CACHE_PTE_LIST_DESC]		= "pte_list_desc",
	[MEMVIRT_CACHE_SHADOW_PAGE]		= "shadow_page",
	[MEMVIRT_CACHE_SHADOWED_INFO]		= "shadowed_info",
	[MEMVIRT_CACHE_PAGE_HEADER]		= "page_header",
	[MEMVIRT_CACHE_SPLIT_SHADOW_PAGE]	= "split_shadow_page",
	[MEMVIRT_CACHE_SPLIT_PAGE_HEADER]	= "split_page_header",
	[MEMVIRT_CACHE_SPLIT_DESC]		= "split_desc",
};

static const struct {
	uint32_t bit;
	const char *name;
} slot_flag_names[] = {
	{ MEMVIRT_SLOT_F_DIRTY_LOG,	"dirty-log" },
	{ MEMVIRT_SLOT_F_READONLY,	"readonly" },
	{ MEMVIRT_SLOT_F_GUEST_MEMFD,	"guest_memfd" },
	{ MEMVIRT_SLOT_F_INTERNAL,	"internal" },
};

/* Per-slot metadata attributes, summed into the METADATA column. */
static const int slot_meta_attrs[] = {
	MEMVIRT_A_SLOT_RMAP_BYTES,
	MEMVIRT_A_SLOT_LPAGE_INFO_BYTES,
	MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES,
	MEMVIRT_A_SLOT_WRITE_TRACK_BYTES,
};

static const char *const slot_meta_keys[] = {
	"rmap", "lpage-info", "dirty-log", "write-track",
};

/* ---- field values ----------------------------------------------------- */

static const char *vm_field_str(const struct mv_vm *vm,
				const struct mv_field *f, char *buf, size_t size)
{
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

/* VM share of resident memory in huge host pages, parts per million. */
static uint64_t host_huge_ppm(const struct mv_backing *bk)
{
	if (!bk->resident)
		return 0;
	return (bk->thp + bk->hugetlb) * 1000000 / bk->resident;
}

/* @bk: the VM's backing total, NULL when not computed. */
static bool vm_field_num(const struct mv_vm *vm, const struct mv_backing *bk,
			 const struct mv_field *f, uint64_t *v)
{
	if (IS_HOST_ATTR(f->attr)) {
		if (!bk)
			return false;
		*v = f->attr == MV_ATTR_HOST_RESIDENT ? bk->resident :
		     host_huge_ppm(bk);
		return true;
	}
	if (!mv_vm_has(vm, f->attr))
		return false;
	*v = vm->val[f->attr] * (f->scale ? f->scale : 1);
	return true;
}

static int vm_field_cell(struct libscols_line *ln, size_t col,
			 const struct mv_vm *vm, const struct mv_backing *bk,
			 const struct mv_field *f, const struct mv_opts *o)
{
	char buf[128];
	uint64_t v = 0;
	bool present;

	if (f->fmt == MV_FMT_STR)
		return mv_cell_str(ln, col, vm_field_str(vm, f, buf, sizeof(buf)), o);
	present = vm_field_num(vm, bk, f, &v);
	return mv_cell_value(ln, col, f->fmt, present, v, o);
}

static int vm_field_json(struct json_object *obj, const struct mv_vm *vm,
			 const struct mv_backing *bk, const struct mv_field *f)
{
	struct json_object *j = NULL;
	const char *s;
	char key[32], buf[128];
	uint64_t v = 0;
	bool present;

	mv_json_key(key, sizeof(key), f->name);
	if (f->fmt != MV_FMT_STR) {
		present = vm_field_num(vm, bk, f, &v);
		return mv_json_add_value(obj, key, f->fmt, present, v);
	}
	s = vm_field_str(vm, f, buf, sizeof(buf));
	if (s) {
		j = json_object_new_string(s);
		if (!j)
			return -ENOMEM;
	}
	return mv_json_add(obj, key, j);
}

/* ---- host backing ----------------------------------------------------- */

int mv_slot_collect(const struct mv_slot *slot, void *arg)
{
	struct mv_slot_list *l = arg;
	struct mv_slot *v;

	v = realloc(l->v, (l->nr + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->v[l->nr++] = *slot;
	return 0;
}

void mv_vm_backing_free(struct mv_vm_backing *b)
{
	size_t i;

	for (i = 0; i < b->nr; i++)
		mv_backing_release(&b->slot[i]);
	mv_backing_release(&b->total);
	free(b->slot);
	b->slot = NULL;
	b->nr = 0;
}

int mv_vm_backing_compute(struct mv_backing_ctx *ctx, const struct mv_vm *vm,
			  const struct mv_slot *slots, size_t nr,
			  struct mv_vm_backing *out)
{
	struct mv_backing_range *r;
	unsigned long pid;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	/* Only the process running in the VM's mm maps its memslots. */
	if (!mv_vm_has(vm, MEMVIRT_A_VM_PID) ||
	    !mv_vm_has(vm, MEMVIRT_A_VM_PID_IS_MM_OWNER)) {
		fprintf(stderr, "memvirt: VM %s: no process you can see runs in "
			"the VM's address space (its creator exited or passed "
			"it on): no host backing to show\n", vm->id);
		return -ESRCH;
	}
	pid = vm->val[MEMVIRT_A_VM_PID];
	r = calloc(nr ? nr : 1, sizeof(*r));
	out->slot = calloc(nr ? nr : 1, sizeof(*out->slot));
	if (!r || !out->slot) {
		free(r);
		free(out->slot);
		out->slot = NULL;
		fprintf(stderr, "memvirt: out of memory\n");
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		const struct mv_slot *s = &slots[i];

		if (!mv_slot_has(s, MEMVIRT_A_SLOT_HVA) ||
		    !mv_slot_has(s, MEMVIRT_A_SLOT_SIZE))
			continue;
		r[i].hva = s->val[MEMVIRT_A_SLOT_HVA];
		r[i].size = s->val[MEMVIRT_A_SLOT_SIZE];
		r[i].in_total = !(s->val[MEMVIRT_A_SLOT_FLAGS] &
				  MEMVIRT_SLOT_F_INTERNAL);
	}
	err = mv_backing_vm(ctx, pid, r, nr, out->slot, &out->total);
	free(r);
	if (err) {
		fprintf(stderr, "memvirt: VM %s: %s\n", vm->id,
			mv_backing_error(ctx));
		free(out->slot);
		out->slot = NULL;
		return err;
	}
	out->nr = nr;
	return 0;
}

int mv_vm_backing_of(struct mv_backing_ctx *ctx, const struct mv_vm *vm,
		     const struct mv_slot_list *all, struct mv_vm_backing *out)
{
	struct mv_slot_list mine = { 0 };
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < all->nr; i++) {
		if (strcmp(all->v[i].vm_id, vm->id))
			continue;
		err = mv_slot_collect(&all->v[i], &mine);
		if (err) {
			free(mine.v);
			fprintf(stderr, "memvirt: out of memory\n");
			return err;
		}
	}
	err = mv_vm_backing_compute(ctx, vm, mine.v, mine.nr, out);
	free(mine.v);
	return err;
}

/* ---- list ------------------------------------------------------------- */

struct list_ctx {
	const struct mv_opts *o;
	struct libscols_table *tb;
	const struct mv_field **cols;
	size_t ncols;
	struct mv_backing_ctx *bctx;	/* host columns asked for and readable */
	struct mv_slot_list slots;		/* then: every VM's memslots */
	struct mv_host_sum *sum;	/* --summary */
};

int mv_host_sum_add(struct mv_host_sum *sum, const struct mv_vm *vm,
			const struct mv_backing *bk)
{
	void *p;

	sum->vms++;
	sum->memory += vm->val[MEMVIRT_A_VM_MEM_BYTES];
	sum->overhead += vm->val[MEMVIRT_A_VM_OVERHEAD_BYTES];
	if (bk)
		sum->resident += bk->resident;
	else
		sum->unreadable++;
	if (mv_vm_has(vm, MEMVIRT_A_VM_HELD_BY) &&
	    !(vm->val[MEMVIRT_A_VM_HELD_BY] & MEMVIRT_HELD_VM_FD))
		sum->no_vm_fd++;
	if (mv_vm_has(vm, MEMVIRT_A_VM_NO_DEBUGFS)) {
		sum->no_debugfs++;
		return 0;
	}
	p = realloc(sum->ids, (sum->nr_ids + 1) * sizeof(*sum->ids));
	if (!p)
		return -ENOMEM;
	sum->ids = p;
	snprintf(sum->ids[sum->nr_ids++], MEMVIRT_VM_ID_LEN, "%s", vm->id);
	return 0;
}

/* "<pid>-<fd>", as KVM names a VM's debugfs directory. */
static bool kvm_dir_name(const char *s)
{
	size_t a = strspn(s, "0123456789");

	return a && s[a] == '-' && s[a + 1] && !s[a + 1 + strspn(s + a + 1, "0123456789")];
}

void mv_kvm_debugfs_count(const struct mv_host_sum *sum, int64_t *dirs,
			      int64_t *unattributed)
{
	DIR *d = opendir("/sys/kernel/debug/kvm");
	struct dirent *de;
	size_t i;

	*dirs = *unattributed = -1;
	if (!d)
		return;
	*dirs = *unattributed = 0;
	while ((de = readdir(d))) {
		if (!kvm_dir_name(de->d_name))
			continue;
		(*dirs)++;
		for (i = 0; i < sum->nr_ids; i++)
			if (!strcmp(sum->ids[i], de->d_name))
				break;
		if (i == sum->nr_ids)
			(*unattributed)++;
	}
	closedir(d);
}

static int host_sum_print(const struct mv_host_sum *sum, bool have_bk,
			  const struct mv_opts *o)
{
	struct {
		const char *label, *key;
		enum mv_fmt fmt;
		bool present;
		uint64_t v;
	} rows[] = {
		{ "VMs", "vms", MV_FMT_NUM, true, sum->vms },
		{ "Guest memory", "memory", MV_FMT_SIZE, true, sum->memory },
		{ "Host resident", "resident", MV_FMT_SIZE,
		  have_bk && !sum->unreadable, sum->resident },
		{ "KVM overhead", "overhead", MV_FMT_SIZE, true, sum->overhead },
		{ "Held by no VM fd", "vms_without_vm_fd", MV_FMT_NUM, true,
		  sum->no_vm_fd },
		{ "Without KVM debugfs dir", "vms_without_debugfs_dir",
		  MV_FMT_NUM, true, sum->no_debugfs },
		{ "KVM debugfs VM dirs", "kvm_debugfs_vms", MV_FMT_NUM, false, 0 },
		{ "Not attributed", "unattributed_kvm_debugfs_vms", MV_FMT_NUM,
		  false, 0 },
	};
	size_t i, nr = sizeof(rows) / sizeof(rows[0]);
	struct libscols_table *tb;
	struct libscols_line *ln;
	struct json_object *obj, *host;
	int64_t dirs, unattributed;
	int err = -ENOMEM;

	mv_kvm_debugfs_count(sum, &dirs, &unattributed);
	rows[nr - 2].present = rows[nr - 1].present = dirs >= 0;
	rows[nr - 2].v = dirs;
	rows[nr - 1].v = unattributed;

	if (o->json) {
		obj = json_object_new_object();
		host = json_object_new_object();
		if (!obj || !host || mv_json_add(obj, "host", host)) {
			json_object_put(obj);
			return -ENOMEM;
		}
		for (i = 0, err = 0; i < nr && !err; i++)
			err = mv_json_add_value(host, rows[i].key, rows[i].fmt,
						rows[i].present, rows[i].v);
		if (!err)
			err = mv_json_print(obj);
		json_object_put(obj);
		return err;
	}
	tb = mv_table_new(o, "host");
	if (!tb)
		return -ENOMEM;
	scols_table_enable_noheadings(tb, 1);
	if (!scols_table_new_column(tb, "FIELD", 0, 0) ||
	    !scols_table_new_column(tb, "DATA", 0, SCOLS_FL_RIGHT))
		goto out;
	for (i = 0; i < nr; i++) {
		char label[64];

		snprintf(label, sizeof(label), "%s:", rows[i].label);
		ln = scols_table_new_line(tb, NULL);
		if (!ln || scols_line_set_data(ln, 0, label) ||
		    mv_cell_value(ln, 1, rows[i].fmt, rows[i].present, rows[i].v, o))
			goto out;
	}
	err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static void list_usage(void)
{
	size_t i;

	fputs("Usage:\n"
	      " memvirt list [options]\n"
	      "\n"
	      "List the VMs on this host in the order memvirt.ko reports them.\n"
	      "\n"
	      "Options:\n"
	      MV_COMMON_HELP
	      " -o, --output <list>    columns to print; \"+COL,...\" adds to the defaults\n"
	      "     --output-all       print all columns\n"
	      "     --summary          the host's totals instead: VMs, guest memory,\n"
	      "                        host resident, KVM overhead, VMs no VM fd names,\n"
	      "                        and KVM's debugfs VM directories none of them names\n"
	      "\n"
	      "Available output columns (* = default):\n", stdout);
	for (i = 0; i < ARRAY_SIZE(vm_fields); i++)
		printf(" %c%12s  %s\n", vm_fields[i].deflt ? '*' : ' ',
		       vm_fields[i].name, vm_fields[i].help);
}

static const struct mv_field *field_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vm_fields); i++)
		if (strlen(vm_fields[i].name) == len &&
		    !strncasecmp(vm_fields[i].name, name, len))
			return &vm_fields[i];
	return NULL;
}

static size_t list_default_cols(const struct mv_field **cols, bool all)
{
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(vm_fields); i++)
		if (all || vm_fields[i].deflt)
			cols[n++] = &vm_fields[i];
	return n;
}

/* Fills @cols from "-o"; returns the count or -1 (message printed). */
static ssize_t list_parse_cols(const char *arg, const struct mv_field **cols,
			       size_t max)
{
	const char *p = arg;
	size_t n = 0;

	if (*p == '+') {
		n = list_default_cols(cols, false);
		p++;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		const struct mv_field *f = field_by_name(p, len);

		if (!f) {
			mv_usage_error("list", "unknown column '%.*s'",
				       (int)len, p);
			return -1;
		}
		if (n == max) {
			mv_usage_error("list", "too many columns");
			return -1;
		}
		cols[n++] = f;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!n) {
		mv_usage_error("list", "no columns given");
		return -1;
	}
	return n;
}

static int list_add_vm(const struct mv_vm *vm, void *arg)
{
	struct list_ctx *ctx = arg;
	struct libscols_line *ln;
	size_t i;
	int err;

	struct mv_vm_backing vb = { 0 };
	bool have_bk = false;

	if (ctx->bctx) {
		/* A VM that cannot be read gets "-" and a message. */
		err = mv_vm_backing_of(ctx->bctx, vm, &ctx->slots, &vb);
		if (err == -ENOMEM)
			return err;
		have_bk = !err;
	}
	if (ctx->sum) {
		err = mv_host_sum_add(ctx->sum, vm, have_bk ? &vb.total : NULL);
		mv_vm_backing_free(&vb);
		return err;
	}
	ln = scols_table_new_line(ctx->tb, NULL);
	err = ln ? 0 : -ENOMEM;
	for (i = 0; i < ctx->ncols && !err; i++)
		err = vm_field_cell(ln, i, vm, have_bk ? &vb.total : NULL,
				    ctx->cols[i], ctx->o);
	mv_vm_backing_free(&vb);
	return err;
}

static int list_run(struct list_ctx *ctx)
{
	struct mv_nl *nl;
	size_t i;
	int err;

	ctx->tb = mv_table_new(ctx->o, "vms");
	if (!ctx->tb)
		goto nomem;
	for (i = 0; i < ctx->ncols; i++)
		if (!mv_table_col(ctx->tb, ctx->cols[i]->name,
				  ctx->cols[i]->whint, ctx->cols[i]->flags,
				  ctx->cols[i]->fmt))
			goto nomem;

	nl = mv_nl_open();
	if (!nl)
		return MV_EXIT_FAILURE;
	for (i = 0; i < ctx->ncols; i++)
		if (IS_HOST_ATTR(ctx->cols[i]->attr))
			break;
	if (i < ctx->ncols || ctx->sum) {
		char why[256];

		ctx->bctx = mv_backing_open(why, sizeof(why));
		if (!ctx->bctx)
			fprintf(stderr, "memvirt: %s; %s left empty\n", why,
				ctx->sum ? "host resident" : "RESIDENT and HOST-HUGE");
	}
	if (ctx->bctx) {
		/* All slots first: no request can run inside the VM dump. */
		err = mv_nl_slot_dump(nl, NULL, mv_slot_collect, &ctx->slots);
		if (err) {
			mv_nl_perror(nl, err, "listing memslots");
			mv_nl_close(nl);
			return MV_EXIT_FAILURE;
		}
	}
	err = mv_nl_vm_dump(nl, list_add_vm, ctx);
	if (err) {
		mv_nl_perror(nl, err, "listing VMs");
		mv_nl_close(nl);
		return MV_EXIT_FAILURE;
	}
	mv_nl_close(nl);

	if (ctx->sum)
		err = host_sum_print(ctx->sum, ctx->bctx, ctx->o);
	else
		err = mv_table_print(ctx->tb);
	if (err) {
		fprintf(stderr, "memvirt: cannot print: %s\n", strerror(-err));
		return MV_EXIT_FAILURE;
	}
	return MV_EXIT_OK;
nomem:
	fprintf(stderr, "memvirt: out of memory\n");
	return MV_EXIT_FAILURE;
}

int mv_cmd_list(int argc, char **argv, struct mv_opts *o)
{
	enum { OPT_OUTPUT_ALL = 0x100, OPT_SUMMARY };
	static const struct option longopts[] = {
		MV_COMMON_LONGOPTS,
		{ "output",	required_argument, NULL, 'o' },
		{ "output-all",	no_argument,	NULL, OPT_OUTPUT_ALL },
		{ "summary",	no_argument,	NULL, OPT_SUMMARY },
		{ NULL, 0, NULL, 0 },
	};
	const struct mv_field *cols[2 * ARRAY_SIZE(vm_fields)];
	struct list_ctx ctx = { .o = o, .cols = cols };
	struct mv_host_sum sum = { 0 };
	const char *output = NULL;
	bool all = false;
	ssize_t n;
	int c, ret;

	while ((c = getopt_long(argc, argv, MV_COMMON_SHORTOPTS "o:",
				longopts, NULL)) != -1) {
		if (mv_common_opt(c, o))
			continue;
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_OUTPUT_ALL:
			all = true;
			break;
		case OPT_SUMMARY:
			ctx.sum = &sum;
			break;
		case 'h':
			list_usage();
			return MV_EXIT_OK;
		default:
			fputs("Try 'memvirt list --help' for more information.\n",
			      stderr);
			return MV_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return mv_usage_error("list", "unexpected argument '%s'",
				      argv[optind]);
	if (!mv_opts_valid(o))
		return mv_usage_error("list", "--json and --raw are mutually exclusive");

	if (output) {
		n = list_parse_cols(output, cols, ARRAY_SIZE(cols));
		if (n < 0)
			return MV_EXIT_USAGE;
	} else {
		n = list_default_cols(cols, all);
	}
	ctx.ncols = n;

	ret = list_run(&ctx);
	free(sum.ids);
	scols_unref_table(ctx.tb);
	mv_backing_close(ctx.bctx);
	free(ctx.slots.v);
	return ret;
}

/* ---- resolving the VM argument ---------------------------------------- */

struct pid_ctx {
	uint32_t pid;
	struct mv_vm *vm;	/* the first match */
	char (*ids)[MEMVIRT_VM_ID_LEN];
	size_t nr;
};

static int pid_match(const struct mv_vm *vm, void *arg)
{
	struct pid_ctx *ctx = arg;
	char (*ids)[MEMVIRT_VM_ID_LEN];

	if (!mv_vm_has(vm, MEMVIRT_A_VM_PID) ||
	    vm->val[MEMVIRT_A_VM_PID] != ctx->pid)
		return 0;
	if (!ctx->nr)
		*ctx->vm = *vm;
	ids = realloc(ctx->ids, (ctx->nr + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	ctx->ids = ids;
	snprintf(ids[ctx->nr++], sizeof(*ids), "%s", vm->id);
	return 0;
}

/* Ids listed when a pid is ambiguous. */
#define MV_AMBIGUOUS_MAX	16

/* "<pid>" has exactly one VM: fetch it; otherwise explain. */
static int resolve_pid(struct mv_nl *nl, uint32_t pid, struct mv_vm *vm)
{
	struct pid_ctx ctx = { .pid = pid, .vm = vm };
	size_t i;
	int err;

	err = mv_nl_vm_dump(nl, pid_match, &ctx);
	if (err) {
		mv_nl_perror(nl, err, "listing VMs");
	} else if (ctx.nr == 0) {
		fprintf(stderr, "memvirt: no VM created by pid %" PRIu32 "\n",
			pid);
		err = -ENOENT;
	} else if (ctx.nr > 1) {
		fprintf(stderr, "memvirt: pid %" PRIu32 " has %zu VMs, "
			"name one by id:", pid, ctx.nr);
		for (i = 0; i < ctx.nr && i < MV_AMBIGUOUS_MAX; i++)
			fprintf(stderr, " %s", ctx.ids[i]);
		if (ctx.nr > MV_AMBIGUOUS_MAX)
			fprintf(stderr, " ... (see 'memvirt list')");
		fputc('\n', stderr);
		err = -EEXIST;
	}
	free(ctx.ids);
	return err;
}

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

/* ---- show: memslots --------------------------------------------------- */

static bool slot_meta(const struct mv_slot *s, uint64_t *sum)
{
	bool any = false;
	size_t i;

	*sum = 0;
	for (i = 0; i < ARRAY_SIZE(slot_meta_attrs); i++) {
		if (!mv_slot_has(s, slot_meta_attrs[i]))
			continue;
		*sum += s->val[slot_meta_attrs[i]];
		any = true;
	}
	return any;
}

/* "dirty-log,readonly"; unknown bits as hex. Returns malloc()ed or NULL. */
static char *slot_flags_str(uint32_t flags)
{
	char buf[128] = "";
	size_t i, len = 0;

	for (i = 0; i < ARRAY_SIZE(slot_flag_names); i++) {
		if (!(flags & slot_flag_names[i].bit))
			continue;
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s",
				len ? "," : "", slot_flag_names[i].name);
		flags &= ~slot_flag_names[i].bit;
	}
	if (flags)
		snprintf(buf + len, sizeof(buf) - len, "%s0x%" PRIx32,
			 len ? "," : "", flags);
	return strdup(buf);
}

enum { SC_AS, SC_ID, SC_GPA, SC_SIZE, SC_HVA, SC_FLAGS, SC_META };

static int slot_line(struct libscols_table *tb, const struct mv_slot *s,
		     const struct mv_opts *o)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	uint64_t meta;
	bool has_meta;
	char *str;
	int err;

	if (!ln)
		return -ENOMEM;
	err = mv_cell_value(ln, SC_AS, MV_FMT_NUM,
			    mv_slot_has(s, MEMVIRT_A_SLOT_AS_ID),
			    s->val[MEMVIRT_A_SLOT_AS_ID], o) ?:
	      mv_cell_value(ln, SC_ID, MV_FMT_NUM,
			    mv_slot_has(s, MEMVIRT_A_SLOT_ID),
			    s->val[MEMVIRT_A_SLOT_ID], o) ?:
	      mv_cell_value(ln, SC_SIZE, MV_FMT_SIZE,
			    mv_slot_has(s, MEMVIRT_A_SLOT_SIZE),
			    s->val[MEMVIRT_A_SLOT_SIZE], o) ?:
	      mv_cell_value(ln, SC_HVA, MV_FMT_HEX,
			    mv_slot_has(s, MEMVIRT_A_SLOT_HVA),
			    s->val[MEMVIRT_A_SLOT_HVA], o);
	if (err)
		return err;

	has_meta = slot_meta(s, &meta);
	err = mv_cell_value(ln, SC_META, MV_FMT_SIZE, has_meta, meta, o);
	if (err)
		return err;

	/* GPA range, inclusive like lsmem's RANGE. */
	if (mv_slot_has(s, MEMVIRT_A_SLOT_GPA) &&
	    mv_slot_has(s, MEMVIRT_A_SLOT_SIZE) &&
	    s->val[MEMVIRT_A_SLOT_SIZE]) {
		if (asprintf(&str, "0x%010" PRIx64 "-0x%010" PRIx64,
			     s->val[MEMVIRT_A_SLOT_GPA],
			     s->val[MEMVIRT_A_SLOT_GPA] +
			     s->val[MEMVIRT_A_SLOT_SIZE] - 1) < 0)
			return -ENOMEM;
	} else if (mv_slot_has(s, MEMVIRT_A_SLOT_GPA)) {
		str = mv_format(MV_FMT_HEX, s->val[MEMVIRT_A_SLOT_GPA], o);
		if (!str)
			return -ENOMEM;
	} else {
		str = NULL;
	}
	err = mv_cell_str(ln, SC_GPA, str, o);
	free(str);
	if (err)
		return err;

	str = NULL;
	if (mv_slot_has(s, MEMVIRT_A_SLOT_FLAGS)) {
		str = slot_flags_str(s->val[MEMVIRT_A_SLOT_FLAGS]);
		if (!str)
			return -ENOMEM;
	}
	err = mv_cell_str(ln, SC_FLAGS, str, o);
	free(str);
	return err;
}

static int slot_table_print(const struct mv_slot_list *l,
			    const struct mv_opts *o)
{
	static const struct {
		const char *name;
		enum mv_fmt fmt;
		double whint;
	} cols[] = {
		[SC_AS]		= { "AS", MV_FMT_NUM, 2 },
		[SC_ID]		= { "ID", MV_FMT_NUM, 3 },
		[SC_GPA]	= { "GPA", MV_FMT_STR, 25 },
		[SC_SIZE]	= { "SIZE", MV_FMT_SIZE, 6 },
		[SC_HVA]	= { "HVA", MV_FMT_HEX, 14 },
		[SC_FLAGS]	= { "FLAGS", MV_FMT_STR, 10 },
		[SC_META]	= { "METADATA", MV_FMT_SIZE, 6 },
	};
	struct libscols_table *tb = mv_table_new(o, "memslots");
	size_t i;
	int err = -ENOMEM;

	if (!tb)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(cols); i++)
		if (!mv_table_col(tb, cols[i].name, cols[i].whint, 0,
				  cols[i].fmt))
			goto out;
	for (i = 0; i < l->nr; i++) {
		err = slot_line(tb, &l->v[i], o);
		if (err)
			goto out;
	}
	err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static int slot_json(struct json_object *arr, const struct mv_slot *s)
{
	static const struct {
		const char *key;
		int attr;
	} keys[] = {
		{ "as", MEMVIRT_A_SLOT_AS_ID },
		{ "id", MEMVIRT_A_SLOT_ID },
		{ "gpa", MEMVIRT_A_SLOT_GPA },
		{ "size", MEMVIRT_A_SLOT_SIZE },
		{ "hva", MEMVIRT_A_SLOT_HVA },
	};
	struct json_object *obj = json_object_new_object();
	struct json_object *flags = NULL;
	uint64_t meta;
	bool has_meta;
	size_t i;
	int err = 0;

	if (!obj)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(keys) && !err; i++)
		err = mv_json_add_value(obj, keys[i].key, MV_FMT_NUM,
					mv_slot_has(s, keys[i].attr),
					s->val[keys[i].attr]);
	if (!err && mv_slot_has(s, MEMVIRT_A_SLOT_FLAGS)) {
		flags = json_object_new_array();
		for (i = 0; flags && i < ARRAY_SIZE(slot_flag_names); i++) {
			if (!(s->val[MEMVIRT_A_SLOT_FLAGS] &
			      slot_flag_names[i].bit))
				continue;
			if (json_object_array_add(flags,
				json_object_new_string(slot_flag_names[i].name)))
				err = -ENOMEM;
		}
		if (!flags)
			err = -ENOMEM;
	}
	if (!err)
		err = mv_json_add(obj, "flags", flags);
	for (i = 0; i < ARRAY_SIZE(slot_meta_attrs) && !err; i++)
		err = mv_json_add_value(obj, slot_meta_keys[i], MV_FMT_SIZE,
					mv_slot_has(s, slot_meta_attrs[i]),
					s->val[slot_meta_attrs[i]]);
	has_meta = slot_meta(s, &meta);
	if (!err)
		err = mv_json_add_value(obj, "metadata", MV_FMT_SIZE,
					has_meta, meta);
	if (!err && json_object_array_add(arr, obj))
		err = -ENOMEM;
	if (err)
		json_object_put(obj);
	return err;
}

/* ---- show: MMU caches ------------------------------------------------- */

static const char *cache_name(const struct mv_cache *c, char *buf, size_t size)
{
	uint64_t type = c->val[MEMVIRT_A_CACHE_TYPE];

	if (type < ARRAY_SIZE(cache_names) && cache_names[type])
		return cache_names[type];
	snprintf(buf, size, "type-%" PRIu64, type);
	return buf;
}

static const char *cache_scope(const struct mv_cache *c)
{
	uint64_t type = c->val[MEMVIRT_A_CACHE_TYPE];

	if (type > MEMVIRT_CACHE_MAX)
		return NULL;
	return type <= MEMVIRT_CACHE_PAGE_HEADER ? "vcpu" : "vm";
}

static const struct {
	const char *name;
	int attr;
	enum mv_fmt fmt;
} cache_cols[] = {
	{ "OBJECTS", MEMVIRT_A_CACHE_OBJECTS, MV_FMT_NUM },
	{ "CAPACITY", MEMVIRT_A_CACHE_CAPACITY, MV_FMT_NUM },
	{ "OBJECT-SIZE", MEMVIRT_A_CACHE_OBJECT_SIZE, MV_FMT_NUM },
	{ "BYTES", MEMVIRT_A_CACHE_BYTES, MV_FMT_SIZE },
};

static int cache_line(struct libscols_table *tb, const struct mv_cache *c,
		      const struct mv_opts *o)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	char buf[32];
	size_t i;
	int err;

	if (!ln)
		return -ENOMEM;
	err = mv_cell_str(ln, 0, cache_name(c, buf, sizeof(buf)), o) ?:
	      mv_cell_str(ln, 1, cache_scope(c), o);
	for (i = 0; i < ARRAY_SIZE(cache_cols) && !err; i++)
		err = mv_cell_value(ln, 2 + i, cache_cols[i].fmt,
				    mv_cache_has(c, cache_cols[i].attr),
				    c->val[cache_cols[i].attr], o);
	return err;
}

static int cache_table_print(const struct mv_vm *vm, const struct mv_opts *o)
{
	struct libscols_table *tb = mv_table_new(o, "caches");
	unsigned int i;
	int err = -ENOMEM;

	if (!tb)
		return -ENOMEM;
	if (!mv_table_col(tb, "TYPE", 17, 0, MV_FMT_STR) ||
	    !mv_table_col(tb, "SCOPE", 5, 0, MV_FMT_STR))
		goto out;
	for (i = 0; i < ARRAY_SIZE(cache_cols); i++)
		if (!mv_table_col(tb, cache_cols[i].name, 6, 0,
				  cache_cols[i].fmt))
			goto out;
	for (i = 0; i < vm->nr_caches; i++) {
		err = cache_line(tb, &vm->caches[i], o);
		if (err)
			goto out;
	}
	err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static int cache_json(struct json_object *arr, const struct mv_cache *c)
{
	struct json_object *obj = json_object_new_object();
	const char *scope = cache_scope(c);
	char buf[32], key[32];
	size_t i;
	int err;

	if (!obj)
		return -ENOMEM;
	err = mv_json_add(obj, "type",
			  json_object_new_string(cache_name(c, buf,
							    sizeof(buf))));
	if (!err)
		err = mv_json_add(obj, "scope",
				  scope ? json_object_new_string(scope) : NULL);
	for (i = 0; i < ARRAY_SIZE(cache_cols) && !err; i++) {
		mv_json_key(key, sizeof(key), cache_cols[i].name);
		err = mv_json_add_value(obj, key, cache_cols[i].fmt,
					mv_cache_has(c, cache_cols[i].attr),
					c->val[cache_cols[i].attr]);
	}
	if (!err && json_object_array_add(arr, obj))
		err = -ENOMEM;
	if (err)
		json_object_put(obj);
	return err;
}

/* ---- show: host backing ----------------------------------------------- */

static const struct {
	const char *name;
	enum mv_fmt fmt;
	size_t off;
} bk_cols[] = {
	{ "RESIDENT",	  MV_FMT_SIZE, offsetof(struct mv_backing, resident) },
	{ "ZERO",	  MV_FMT_SIZE, offsetof(struct mv_backing, zero) },
	{ "THP",	  MV_FMT_SIZE, offsetof(struct mv_backing, thp) },
	{ "HUGETLB",	  MV_FMT_SIZE, offsetof(struct mv_backing, hugetlb) },
	{ "SWAPPED",	  MV_FMT_SIZE, offsetof(struct mv_backing, swapped) },
	{ "NOT-PRESENT",  MV_FMT_SIZE, offsetof(struct mv_backing, not_present) },
	{ "RUNS",	  MV_FMT_NUM,  offsetof(struct mv_backing, runs) },
	{ "LONGEST-RUN",  MV_FMT_SIZE, offsetof(struct mv_backing, longest_run) },
	{ "SHORTEST-RUN", MV_FMT_SIZE, offsetof(struct mv_backing, shortest_run) },
};

static uint64_t bk_val(const struct mv_backing *b, size_t col)
{
	return *(const uint64_t *)((const char *)b + bk_cols[col].off);
}

/* "0:1.5G 1:512M": resident bytes of each node with memory. */
static char *bk_nodes_str(struct mv_backing_ctx *ctx,
			  const struct mv_backing *b, const struct mv_opts *o)
{
	unsigned int n, nr = mv_backing_nr_node_ids(ctx);
	char *out = NULL, *v, *tmp;

	if (!b->node && !b->node_unknown)
		return NULL;
	for (n = 0; n <= nr; n++) {
		uint64_t bytes;

		if (n < nr && !mv_backing_node_has_memory(ctx, n))
			continue;
		bytes = n < nr ? b->node[n] : b->node_unknown;
		if (n == nr && !bytes)
			break;
		v = mv_format(MV_FMT_SIZE, bytes, o);
		if (!v)
			goto nomem;
		if (n < nr && asprintf(&tmp, "%s%s%u:%s", out ? out : "",
				       out ? " " : "", n, v) < 0)
			tmp = NULL;
		else if (n == nr && asprintf(&tmp, "%s%s?:%s", out ? out : "",
					     out ? " " : "", v) < 0)
			tmp = NULL;
		free(v);
		if (!tmp)
			goto nomem;
		free(out);
		out = tmp;
	}
	return out ? out : strdup("-");
nomem:
	free(out);
	return NULL;
}

/* Columns: these, then bk_cols[], then NODES (the widest) last. */
enum { BC_AS, BC_ID, BC_GPA, BC_SIZE, BC_FIRST };
#define BC_NODES	(BC_FIRST + ARRAY_SIZE(bk_cols))

/* One line: a slot (@s) or the total (@s NULL). */
static int bk_line(struct libscols_table *tb, struct mv_backing_ctx *ctx,
		   const struct mv_slot *s, const struct mv_backing *b,
		   const struct mv_opts *o)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	size_t i;
	char *str;
	int err;

	if (!ln)
		return -ENOMEM;
	if (s) {
		err = mv_cell_value(ln, BC_AS, MV_FMT_NUM,
				    mv_slot_has(s, MEMVIRT_A_SLOT_AS_ID),
				    s->val[MEMVIRT_A_SLOT_AS_ID], o) ?:
		      mv_cell_value(ln, BC_ID, MV_FMT_NUM,
				    mv_slot_has(s, MEMVIRT_A_SLOT_ID),
				    s->val[MEMVIRT_A_SLOT_ID], o) ?:
		      mv_cell_value(ln, BC_GPA, MV_FMT_HEX,
				    mv_slot_has(s, MEMVIRT_A_SLOT_GPA),
				    s->val[MEMVIRT_A_SLOT_GPA], o);
	} else {
		err = mv_cell_str(ln, BC_AS, NULL, o) ?:
		      mv_cell_str(ln, BC_ID, NULL, o) ?:
		      mv_cell_str(ln, BC_GPA, "total", o);
	}
	if (!err)
		err = mv_cell_value(ln, BC_SIZE, MV_FMT_SIZE, true, b->size, o);
	for (i = 0; i < ARRAY_SIZE(bk_cols) && !err; i++)
		err = mv_cell_value(ln, BC_FIRST + i, bk_cols[i].fmt, true,
				    bk_val(b, i), o);
	if (err)
		return err;
	str = bk_nodes_str(ctx, b, o);
	if (!str && (b->node || b->node_unknown))
		return -ENOMEM;
	err = mv_cell_str(ln, BC_NODES, str, o);
	free(str);
	return err;
}

static int bk_table_print(struct mv_backing_ctx *ctx,
			  const struct mv_slot_list *slots,
			  const struct mv_vm_backing *vb, const struct mv_opts *o)
{
	static const struct {
		const char *name;
		enum mv_fmt fmt;
	} head[] = {
		[BC_AS]	   = { "AS", MV_FMT_NUM },
		[BC_ID]	   = { "ID", MV_FMT_NUM },
		[BC_GPA]   = { "GPA", MV_FMT_STR },
		[BC_SIZE]  = { "SIZE", MV_FMT_SIZE },
	};
	struct libscols_table *tb = mv_table_new(o, "backing");
	size_t i;
	int err = -ENOMEM;

	if (!tb)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(head); i++)
		if (!mv_table_col(tb, head[i].name, 6, 0, head[i].fmt))
			goto out;
	for (i = 0; i < ARRAY_SIZE(bk_cols); i++)
		if (!mv_table_col(tb, bk_cols[i].name, 6, 0, bk_cols[i].fmt))
			goto out;
	if (!mv_table_col(tb, "NODES", 12, 0, MV_FMT_STR))
		goto out;
	for (i = 0; i < vb->nr; i++) {
		err = bk_line(tb, ctx, &slots->v[i], &vb->slot[i], o);
		if (err)
			goto out;
	}
	err = bk_line(tb, ctx, NULL, &vb->total, o);
	if (!err)
		err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static struct json_object *bk_json(struct mv_backing_ctx *ctx,
				   const struct mv_slot *s,
				   const struct mv_backing *b)
{
	static const struct {
		const char *key;
		int attr;
	} keys[] = {
		{ "as", MEMVIRT_A_SLOT_AS_ID },
		{ "id", MEMVIRT_A_SLOT_ID },
		{ "gpa", MEMVIRT_A_SLOT_GPA },
		{ "hva", MEMVIRT_A_SLOT_HVA },
	};
	struct json_object *obj = json_object_new_object(), *nodes, *n;
	unsigned int i, nr = mv_backing_nr_node_ids(ctx);
	char key[32];
	int err = 0;

	if (!obj)
		return NULL;
	for (i = 0; s && i < ARRAY_SIZE(keys) && !err; i++)
		err = mv_json_add_value(obj, keys[i].key, MV_FMT_NUM,
					mv_slot_has(s, keys[i].attr),
					s->val[keys[i].attr]);
	if (!err)
		err = mv_json_add_value(obj, "size", MV_FMT_SIZE, true,
					b->size);
	for (i = 0; i < ARRAY_SIZE(bk_cols) && !err; i++) {
		mv_json_key(key, sizeof(key), bk_cols[i].name);
		err = mv_json_add_value(obj, key, bk_cols[i].fmt, true,
					bk_val(b, i));
	}
	nodes = json_object_new_array();
	if (!err && (!nodes || mv_json_add(obj, "nodes", nodes)))
		err = -ENOMEM;
	for (i = 0; b->node && i < nr && !err; i++) {
		if (!mv_backing_node_has_memory(ctx, i))
			continue;
		n = json_object_new_object();
		if (!n || json_object_array_add(nodes, n)) {
			json_object_put(n);
			err = -ENOMEM;
			break;
		}
		err = mv_json_add_value(n, "node", MV_FMT_NUM, true, i) ?:
		      mv_json_add_value(n, "bytes", MV_FMT_SIZE, true,
					b->node[i]);
	}
	if (!err)
		err = mv_json_add_value(obj, "node-unknown", MV_FMT_SIZE, true,
					b->node_unknown);
	if (err) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static int bk_json_add(struct json_object *parent, struct mv_backing_ctx *ctx,
		       const struct mv_vm *vm, const struct mv_slot_list *slots,
		       const struct mv_vm_backing *vb)
{
	struct json_object *obj = json_object_new_object(), *arr, *j;
	size_t i;
	int err;

	if (!obj || mv_json_add(parent, "backing", obj))
		return -ENOMEM;
	err = mv_json_add_value(obj, "pid", MV_FMT_NUM,
				mv_vm_has(vm, MEMVIRT_A_VM_PID),
				vm->val[MEMVIRT_A_VM_PID]);
	if (err)
		return err;
	arr = json_object_new_array();
	if (!arr || mv_json_add(obj, "slots", arr))
		return -ENOMEM;
	for (i = 0; i < vb->nr; i++) {
		j = bk_json(ctx, &slots->v[i], &vb->slot[i]);
		if (!j || json_object_array_add(arr, j)) {
			json_object_put(j);
			return -ENOMEM;
		}
	}
	j = bk_json(ctx, NULL, &vb->total);
	return j ? mv_json_add(obj, "total", j) : -ENOMEM;
}

/* ---- show ------------------------------------------------------------- */

/* What show prints; backing only with --backing. */
struct show_data {
	const struct mv_vm *vm;
	const struct mv_slot_list *slots;
	struct mv_backing_ctx *bctx;
	const struct mv_vm_backing *vb;	/* NULL without --backing */
};

static int show_fields_print(const struct show_data *d,
			     const struct mv_opts *o)
{
	const struct mv_backing *bk = d->vb ? &d->vb->total : NULL;
	struct libscols_table *tb = mv_table_new(o, "vm");
	struct libscols_line *ln;
	char *label;
	size_t i;
	int err = -ENOMEM;

	if (!tb)
		return -ENOMEM;
	scols_table_enable_noheadings(tb, 1);
	if (!scols_table_new_column(tb, "FIELD", 0, 0) ||
	    !scols_table_new_column(tb, "DATA", 0, 0))
		goto out;
	for (i = 0; i < ARRAY_SIZE(vm_fields); i++) {
		if (IS_HOST_ATTR(vm_fields[i].attr) && !bk)
			continue;
		ln = scols_table_new_line(tb, NULL);
		if (!ln || asprintf(&label, "%s:", vm_fields[i].label) < 0)
			goto out;
		if (scols_line_refer_data(ln, 0, label)) {
			free(label);
			goto out;
		}
		err = vm_field_cell(ln, 1, d->vm, bk, &vm_fields[i], o);
		if (err)
			goto out;
		err = -ENOMEM;
	}
	err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static int show_human(const struct show_data *d, const struct mv_opts *o)
{
	int err;

	err = show_fields_print(d, o);
	if (err)
		return err;
	fputs("\nMMU caches:\n", stdout);
	err = cache_table_print(d->vm, o);
	if (err)
		return err;
	fputs("\nMemslots:\n", stdout);
	err = slot_table_print(d->slots, o);
	if (err || !d->vb)
		return err;
	printf("\nHost backing (pid %" PRIu64 "):\n",
	       d->vm->val[MEMVIRT_A_VM_PID]);
	return bk_table_print(d->bctx, d->slots, d->vb, o);
}

static int show_json(const struct show_data *d)
{
	const struct mv_backing *bk = d->vb ? &d->vb->total : NULL;
	const struct mv_vm *vm = d->vm;
	struct json_object *obj = json_object_new_object();
	struct json_object *caches = NULL, *memslots = NULL;
	size_t i;
	int err = 0;

	if (!obj)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(vm_fields) && !err; i++)
		if (!IS_HOST_ATTR(vm_fields[i].attr) || bk)
			err = vm_field_json(obj, vm, bk, &vm_fields[i]);

	caches = json_object_new_array();
	if (!err && (!caches || mv_json_add(obj, "caches", caches)))
		err = -ENOMEM;
	for (i = 0; i < vm->nr_caches && !err; i++)
		err = cache_json(caches, &vm->caches[i]);

	memslots = json_object_new_array();
	if (!err && (!memslots || mv_json_add(obj, "memslots", memslots)))
		err = -ENOMEM;
	for (i = 0; i < d->slots->nr && !err; i++)
		err = slot_json(memslots, &d->slots->v[i]);

	if (!err && d->vb)
		err = bk_json_add(obj, d->bctx, vm, d->slots, d->vb);
	if (!err)
		err = mv_json_print(obj);
	json_object_put(obj);
	return err;
}

static void show_usage(void)
{
	fputs("Usage:\n"
	      " memvirt show [options] <VM>\n"
	      "\n"
	      "Show everything memvirt.ko reports for one VM: identity, vCPUs,\n"
	      "mappings by page size, MMU pages and caches, metadata overhead\n"
	      "and memslots. <VM> is a VM id (<pid>-<fd>, see 'memvirt list')\n"
	      "or the pid of a process with exactly one VM.\n"
	      "\n"
	      "Options:\n"
	      MV_COMMON_HELP
	      " -B, --backing          also read the host backing of each memslot\n"
	      "                        from /proc/PID/pagemap (needs root): resident,\n"
	      "                        THP, hugetlb, swapped bytes, bytes per NUMA\n"
	      "                        node, physically contiguous runs\n"
	      "\n"
	      "With --json the output is one object: the VM's fields (named as\n"
	      "'memvirt list' columns, lower case) plus arrays \"caches\" and\n"
	      "\"memslots\", and with --backing an object \"backing\" (\"slots\",\n"
	      "\"total\"). Values the kernel does not report are null.\n",
	      stdout);
}

static int show_fetch(struct mv_nl *nl, const char *arg, struct mv_vm *vm,
		      struct mv_slot_list *slots)
{
	uint32_t pid = 0;
	int kind, err;

	kind = parse_vm_arg(arg, &pid);
	if (kind == 0) {
		err = resolve_pid(nl, pid, vm);
		if (err)
			return err;
	} else {
		err = mv_nl_vm_get(nl, arg, vm);
		if (err) {
			char what[16 + MEMVIRT_VM_ID_LEN];

			snprintf(what, sizeof(what), "VM %s", arg);
			mv_nl_perror(nl, err, what);
			return err;
		}
	}
	err = mv_nl_slot_dump(nl, vm->id, mv_slot_collect, slots);
	if (err)
		mv_nl_perror(nl, err, "listing memslots");
	return err;
}

int mv_cmd_show(int argc, char **argv, struct mv_opts *o)
{
	static const struct option longopts[] = {
		MV_COMMON_LONGOPTS,
		{ "backing",	no_argument,	NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	struct mv_backing_ctx *bctx = NULL;
	struct mv_vm_backing vb = { 0 };
	struct show_data d = { 0 };
	bool backing = false;
	struct mv_slot_list slots = { 0 };
	struct mv_vm *vm = NULL;
	struct mv_nl *nl = NULL;
	uint32_t pid;
	int c, err, ret = MV_EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, MV_COMMON_SHORTOPTS "B", longopts,
				NULL)) != -1) {
		if (mv_common_opt(c, o))
			continue;
		if (c == 'B') {
			backing = true;
			continue;
		}
		if (c == 'h') {
			show_usage();
			return MV_EXIT_OK;
		}
		fputs("Try 'memvirt show --help' for more information.\n",
		      stderr);
		return MV_EXIT_USAGE;
	}
	if (optind >= argc)
		return mv_usage_error("show", "no VM given");
	if (optind + 1 < argc)
		return mv_usage_error("show", "unexpected argument '%s'",
				      argv[optind + 1]);
	if (!mv_opts_valid(o))
		return mv_usage_error("show", "--json and --raw are mutually exclusive");
	if (parse_vm_arg(argv[optind], &pid) < 0)
		return mv_usage_error("show", "invalid VM '%s': expected "
				      "<pid>-<fd>, <pid>-x<tag> or a pid", argv[optind]);

	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		fprintf(stderr, "memvirt: out of memory\n");
		return MV_EXIT_FAILURE;
	}
	nl = mv_nl_open();
	if (!nl)
		goto out;
	if (backing) {
		char why[256];

		bctx = mv_backing_open(why, sizeof(why));
		if (!bctx) {
			fprintf(stderr, "memvirt: %s\n", why);
			goto out;
		}
	}
	if (show_fetch(nl, argv[optind], vm, &slots))
		goto out;
	if (backing &&
	    mv_vm_backing_compute(bctx, vm, slots.v, slots.nr, &vb))
		goto out;

	d.vm = vm;
	d.slots = &slots;
	d.bctx = bctx;
	d.vb = backing ? &vb : NULL;
	err = o->json ? show_json(&d) : show_human(&d, o);
	if (err) {
		fprintf(stderr, "memvirt: cannot print: %s\n", strerror(-err));
		goto out;
	}
	ret = MV_EXIT_OK;
out:
	mv_nl_close(nl);
	mv_vm_backing_free(&vb);
	mv_backing_close(bctx);
	free(slots.v);
	free(vm);
	return ret;
}
