// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the host snapshot. Every verb reads the host through
 * mv_host_read(); the arrays it fills grow as far as the host needs.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/host.h"
#include "lib/util.h"
#include "lib/zones-proc.h"

/* Appends @n bytes at @src to the array *@v of *@nr elements, cap *@cap. */
static int grow_push(void *v, size_t *nr, size_t *cap, size_t size,
		     const void *src)
{
	char **arr = v;

	if (*nr == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		char *p = realloc(*arr, c * size);

		if (!p)
			return -ENOMEM;
		*arr = p;
		*cap = c;
	}
	memcpy(*arr + (*nr)++ * size, src, size);
	return 0;
}

/* A VM of the dump, with what its VMM's command line names it. */
static int vm_collect(const struct mv_vm *vm, void *arg)
{
	struct mv_host *h = arg;
	int err;

	err = grow_push(&h->vms, &h->nr_vms, &h->cap_vms, sizeof(*vm), vm);
	if (!err && mv_vm_has(vm, MEMVIRT_A_VM_PID))
		mv_vmname_read(vm->val[MEMVIRT_A_VM_PID], &h->vms[h->nr_vms - 1].names);
	return err;
}

static int slot_collect(const struct mv_slot *slot, void *arg)
{
	struct mv_host *h = arg;

	return grow_push(&h->slots, &h->nr_slots, &h->cap_slots, sizeof(*slot),
			 slot);
}

static int zone_collect(const struct mv_zone *zone, void *arg)
{
	struct mv_host *h = arg;

	return grow_push(&h->zones, &h->nr_zones, &h->cap_zones, sizeof(*zone),
			 zone);
}

/* ---- host backing ----------------------------------------------------- */

struct mv_backing_ctx *mv_host_backing_open(const char *then)
{
	struct mv_backing_ctx *ctx;
	char why[256];

	ctx = mv_backing_open(why, sizeof(why));
	if (!ctx)
		mv_err("%s%s%s", why, then ? "; " : "", then ? then : "");
	return ctx;
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

static void backing_ranges(const struct mv_slot *slots, size_t nr,
			   struct mv_backing_range *r)
{
	size_t i;

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
}

int mv_vm_backing_compute(struct mv_backing_ctx *ctx, const struct mv_vm *vm,
			  const struct mv_slot *slots, size_t nr,
			  struct mv_vm_backing *out)
{
	struct mv_backing_range *r;
	int err;

	memset(out, 0, sizeof(*out));
	/* Only the process running in the VM's mm maps its memslots. */
	if (!mv_vm_has(vm, MEMVIRT_A_VM_PID) ||
	    !mv_vm_has(vm, MEMVIRT_A_VM_PID_IS_MM_OWNER)) {
		mv_err("VM %s: no process you can see runs in the VM's address "
		       "space (its creator exited or passed it on): no host "
		       "backing to show", vm->id);
		return -ESRCH;
	}
	r = calloc(nr ? nr : 1, sizeof(*r));
	out->slot = calloc(nr ? nr : 1, sizeof(*out->slot));
	if (!r || !out->slot) {
		free(r);
		free(out->slot);
		out->slot = NULL;
		return mv_err_nomem();
	}
	backing_ranges(slots, nr, r);
	err = mv_backing_vm(ctx, vm->val[MEMVIRT_A_VM_PID], r, nr, out->slot,
			    &out->total);
	free(r);
	if (err) {
		mv_err("VM %s: %s", vm->id, mv_backing_error(ctx));
		free(out->slot);
		out->slot = NULL;
		return err;
	}
	out->nr = nr;
	return 0;
}

/* A memslot's place among every VM's, in (VM id, dump order) order. */
struct slot_ref {
	const char *vm_id;
	size_t k;			/* index in h->slots */
};

static int cmp_slot_ref(const void *a, const void *b)
{
	const struct slot_ref *x = a, *y = b;
	int c = strcmp(x->vm_id, y->vm_id);

	return c ? c : (x->k > y->k) - (x->k < y->k);
}

/*
 * VM @i's own memslots out of every VM's (@refs, sorted): a binary search,
 * not a pass over every slot per VM. A VM that cannot be read keeps none.
 */
static int backing_of(struct mv_host *h, size_t i, const struct slot_ref *refs)
{
	const struct mv_vm *vm = &h->vms[i];
	size_t lo = 0, hi = h->nr_slots, k, n;
	struct mv_slot *mine;
	int err;

	while (lo < hi) {		/* the first slot of the VM, if any */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(refs[mid].vm_id, vm->id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (n = 0; lo + n < h->nr_slots && !strcmp(refs[lo + n].vm_id, vm->id); n++)
		;
	mine = calloc(n ? n : 1, sizeof(*mine));
	if (!mine)
		return mv_err_nomem();
	for (k = 0; k < n; k++)
		mine[k] = h->slots[refs[lo + k].k];
	err = mv_vm_backing_compute(h->bctx, vm, mine, n, &h->bk[i]);
	free(mine);
	return err == -ENOMEM ? err : 0;
}

static void backing_free_all(struct mv_host *h, size_t nr)
{
	size_t i;

	for (i = 0; h->bk && i < nr; i++)
		mv_vm_backing_free(&h->bk[i]);
	free(h->bk);
	h->bk = NULL;
}

static int backing_read(struct mv_host *h)
{
	struct slot_ref *refs;
	size_t i;
	int err = 0;

	h->bk = calloc(h->nr_vms ? h->nr_vms : 1, sizeof(*h->bk));
	refs = calloc(h->nr_slots ? h->nr_slots : 1, sizeof(*refs));
	if (!h->bk || !refs) {
		free(refs);
		return mv_err_nomem();
	}
	for (i = 0; i < h->nr_slots; i++)
		refs[i] = (struct slot_ref){ h->slots[i].vm_id, i };
	qsort(refs, h->nr_slots, sizeof(*refs), cmp_slot_ref);
	for (i = 0; i < h->nr_vms && !err; i++)
		err = backing_of(h, i, refs);
	free(refs);
	return err;
}

const struct mv_backing *mv_host_vm_backing(const struct mv_host *h, size_t i)
{
	return h->bk && h->bk[i].slot ? &h->bk[i].total : NULL;
}

/* ---- the host's totals ------------------------------------------------ */

/* "<pid>-<fd>", as KVM names a VM's debugfs directory. */
static bool kvm_dir_name(const char *s)
{
	size_t a = strspn(s, "0123456789");

	return a && s[a] == '-' && s[a + 1] &&
	       !s[a + 1 + strspn(s + a + 1, "0123456789")];
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * KVM's own count: its debugfs VM directories, and those no VM names. The
 * ids are sorted first: a binary search per directory, not a pass over
 * every VM (which made this quadratic, ~30 ms of list's time at 1000 VMs).
 */
static void kvm_debugfs_count(const struct mv_host *h, struct mv_host_sum *s)
{
	const char **ids = malloc((h->nr_vms ? h->nr_vms : 1) * sizeof(*ids));
	DIR *d = ids ? opendir("/sys/kernel/debug/kvm") : NULL;
	struct dirent *de;
	size_t i, n = 0;

	s->kvm_dirs = s->unattributed = -1;
	if (!d) {
		free(ids);
		return;
	}
	for (i = 0; i < h->nr_vms; i++)
		if (!mv_vm_has(&h->vms[i], MEMVIRT_A_VM_NO_DEBUGFS))
			ids[n++] = h->vms[i].id;
	qsort(ids, n, sizeof(*ids), cmp_id);
	s->kvm_dirs = s->unattributed = 0;
	while ((de = readdir(d))) {
		const char *name = de->d_name;

		if (!kvm_dir_name(name))
			continue;
		s->kvm_dirs++;
		if (!bsearch(&name, ids, n, sizeof(*ids), cmp_id))
			s->unattributed++;
	}
	closedir(d);
	free(ids);
}

static void host_sum(struct mv_host *h)
{
	struct mv_host_sum *s = &h->sum;
	size_t i;

	memset(s, 0, offsetof(struct mv_host_sum, kvm_dirs));
	for (i = 0; i < h->nr_vms; i++) {
		const struct mv_vm *vm = &h->vms[i];
		const struct mv_backing *bk = mv_host_vm_backing(h, i);

		s->vms++;
		s->memory += vm->val[MEMVIRT_A_VM_MEM_BYTES];
		s->overhead += vm->val[MEMVIRT_A_VM_OVERHEAD_BYTES];
		if (bk)
			s->resident += bk->resident;
		else
			s->unreadable++;
		if (mv_vm_has(vm, MEMVIRT_A_VM_HELD_BY) &&
		    !(vm->val[MEMVIRT_A_VM_HELD_BY] & MEMVIRT_HELD_VM_FD))
			s->no_vm_fd++;
		if (mv_vm_has(vm, MEMVIRT_A_VM_NO_DEBUGFS))
			s->no_debugfs++;
	}
}

/* Keeps the VMs that pass h->filter; -1 after saying why. */
static int vms_filter(struct mv_host *h)
{
	struct mv_vm_ref *refs;
	size_t i, n = 0;
	int err = 0;

	if (mv_filter_empty(h->filter))
		return 0;
	refs = calloc(h->nr_vms ? h->nr_vms : 1, sizeof(*refs));
	if (!refs)
		return mv_err_nomem();
	for (i = 0; i < h->nr_vms; i++)
		mv_vm_ref_of(&h->vms[i], &refs[i]);
	err = mv_filter_check(h->filter, refs, h->nr_vms, h->filter_need_all);
	for (i = 0; i < h->nr_vms && !err; i++)
		if (mv_filter_match(h->filter, &refs[i]))
			h->vms[n++] = h->vms[i];	/* refs[0..i) are done */
	free(refs);
	if (!err)
		h->nr_vms = n;
	return err;
}

/* ---- reading ---------------------------------------------------------- */

static int vms_read(struct mv_host *h, unsigned int what)
{
	struct mv_vm vm;
	int err;

	h->nr_vms = h->nr_slots = 0;
	if (h->vm_id) {
		err = mv_nl_vm_get(h->nl, h->vm_id, &vm);
		if (err) {
			char what_[16 + MEMVIRT_VM_ID_LEN];

			snprintf(what_, sizeof(what_), "VM %s", h->vm_id);
			mv_nl_perror(h->nl, err, what_);
			return err;
		}
		err = vm_collect(&vm, h);
	} else {
		err = mv_nl_vm_dump(h->nl, vm_collect, h);
	}
	if (err) {
		mv_nl_perror(h->nl, err, "listing VMs");
		return err;
	}
	if (what & MV_HOST_SUM)
		kvm_debugfs_count(h, &h->sum);
	err = vms_filter(h);
	if (err)
		return err;
	if (!(what & (MV_HOST_SLOTS | MV_HOST_BACKING)))
		return 0;
	err = mv_nl_slot_dump(h->nl, h->vm_id, slot_collect, h);
	if (err)
		mv_nl_perror(h->nl, err, "listing memslots");
	return err;
}

static int faults_read(struct mv_host *h)
{
	size_t i;

	free(h->vf);
	h->vf = calloc(h->nr_vms ? h->nr_vms : 1, sizeof(*h->vf));
	if (!h->vf || mv_faults_sample(h->faults))
		return mv_err_nomem();
	for (i = 0; i < h->nr_vms; i++) {
		struct mv_vm_faults *f = &h->vf[i];

		f->seen = mv_faults_get(h->faults, h->vms[i].id, &f->rate);
		mv_faults_totals(h->faults, h->vms[i].id, &f->total);
	}
	return 0;
}

/* The module's zones, or without it (or if asked) the same from procfs. */
static int zones_read(struct mv_host *h)
{
	int err;

	h->nr_zones = 0;
	h->zones_proc = !h->nl || h->zones_from_proc;
	if (!h->zones_proc) {
		err = mv_nl_zone_dump(h->nl, zone_collect, h);
		if (err)
			mv_nl_perror(h->nl, err, "reading the zones");
		return err;
	}
	err = mv_proc_zone_dump(zone_collect, h, h->zones_note, sizeof(h->zones_note));
	if (err == -ENOMEM)
		mv_err_nomem();
	else if (err)
		mv_err("reading the zones without memvirt.ko: %s", h->zones_note);
	return err;
}

int mv_host_read(struct mv_host *h, unsigned int what)
{
	size_t old_vms = h->nr_vms;
	int err = 0;

	h->time = time(NULL);
	backing_free_all(h, old_vms);
	if (what & (MV_HOST_VMS | MV_HOST_SUM))
		err = vms_read(h, what);
	if (!err && (what & MV_HOST_BACKING) && h->bctx)
		err = backing_read(h);
	if (!err && (what & MV_HOST_FAULTS) && h->faults)
		err = faults_read(h);
	if (!err && (what & (MV_HOST_ZONES | MV_HOST_MM)))
		err = zones_read(h);
	if (!err && (what & MV_HOST_MM)) {
		err = mv_mm_read(&h->mm, h->zones, h->nr_zones);
		if (err)
			mv_err_nomem();
	}
	if (!err && (what & MV_HOST_SUM))
		host_sum(h);
	return err;
}

void mv_host_free(struct mv_host *h)
{
	backing_free_all(h, h->nr_vms);
	free(h->vms);
	free(h->slots);
	free(h->vf);
	free(h->zones);
	mv_mm_free(&h->mm);
	h->vms = NULL;
	h->slots = NULL;
	h->vf = NULL;
	h->zones = NULL;
	h->nr_vms = h->nr_slots = h->nr_zones = 0;
	h->cap_vms = h->cap_slots = h->cap_zones = 0;
}

void mv_host_close(struct mv_host *h)
{
	mv_host_free(h);
	mv_faults_stop(h->faults);
	mv_backing_close(h->bctx);
	mv_nl_close(h->nl);
	h->faults = NULL;
	h->bctx = NULL;
	h->nl = NULL;
}
