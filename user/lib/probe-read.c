// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: reading the page-fault probes' maps once per interval: the
 * VMs' counters, the per-region and per-memslot counts, the losses; and
 * rolling them over for the next interval.
 *
 * VMs are named "<pid>-<fd>" like KVM's debugfs directories, read in BPF from
 * kvm->debugfs_dentry; without debugfs the name falls back to a scan of the
 * VMM's /proc/PID/fd for its anon_inode:kvm-vm file.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lib/probe.h"
#include "lib/util.h"
#include "faults.skel.h"

/* --- reading the maps --------------------------------------------------- */

static struct mv_probe_vm *find_vm(struct mv_faults *st, __u32 idx)
{
	for (size_t i = 0; i < st->nvms; i++)
		if (st->vms[i].idx == idx)
			return &st->vms[i];
	return NULL;
}

/* The VMM's comm and what its command line names the VM. */
static void read_names(struct mv_probe_vm *vm)
{
	char path[64];
	FILE *f;

	mv_vmname_read(vm->ident.pid, &vm->names);
	vm->comm[0] = 0;
	snprintf(path, sizeof(path), "/proc/%u/comm", vm->ident.pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(vm->comm, sizeof(vm->comm), f))
		vm->comm[strcspn(vm->comm, "\n")] = 0;
	fclose(f);
}

/* No debugfs name from BPF: find the VMM's kvm-vm fd; only unambiguous if one. */
static void resolve_id(struct mv_probe_vm *vm)
{
	int fd;

	read_names(vm);
	if (vm->ident.name[0]) {
		snprintf(vm->id, sizeof(vm->id), "%.*s", FAULTS_ID_LEN, vm->ident.name);
		return;
	}
	if (mv_kvm_vm_fds(vm->ident.pid, &fd) == 1)
		snprintf(vm->id, sizeof(vm->id), "%u-%d", vm->ident.pid, fd);
	else
		snprintf(vm->id, sizeof(vm->id), "%u-?", vm->ident.pid);
}

static void sum_percpu(struct faults_stats *out, const struct faults_stats *v, int ncpus)
{
	const __u64 *in = (const __u64 *)v;
	__u64 *o = (__u64 *)out;
	size_t n = sizeof(*out) / sizeof(__u64);

	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpus; c++)
		for (size_t i = 0; i < n; i++)
			o[i] += in[c * n + i];
}

static int read_vms(struct mv_faults *st)
{
	int sfd = bpf_map__fd(st->skel->maps.vm_stats);
	int vfd = bpf_map__fd(st->skel->maps.vms);
	struct faults_stats *vals;

	vals = calloc(st->ncpus, sizeof(*vals));
	if (!vals)
		return -1;
	for (size_t i = 0; i < st->nvms; i++)
		st->vms[i].present = false;
	for (__u32 idx = 0; idx < st->o.max_vms; idx++) {
		struct faults_vm ident;
		struct mv_probe_vm *vm;

		if (bpf_map_lookup_elem(vfd, &idx, &ident) || !ident.kvm ||
		    ident.state == FAULTS_VM_STATE_FREE)
			continue;
		if (bpf_map_lookup_elem(sfd, &idx, vals))
			continue;
		vm = find_vm(st, idx);
		if (vm && vm->ident.gen != ident.gen) {
			/* Another VM in the same entry (teardown not seen): start over. */
			memset(&vm->prev, 0, sizeof(vm->prev));
			vm->id[0] = 0;
		}
		if (!vm) {
			struct mv_probe_vm *n = realloc(st->vms, (st->nvms + 1) * sizeof(*n));

			if (!n)
				break;
			st->vms = n;
			vm = &st->vms[st->nvms++];
			memset(vm, 0, sizeof(*vm));
			vm->idx = idx;
		}
		vm->ident = ident;
		vm->present = true;
		sum_percpu(&vm->cur, vals, st->ncpus);
		if (mv_delta_u64((__u64 *)&vm->d, (const __u64 *)&vm->cur,
				 (const __u64 *)&vm->prev, sizeof(vm->d) / sizeof(__u64)))
			st->resets++;
		if (!vm->id[0])
			resolve_id(vm);
	}
	free(vals);
	return 0;
}

static int cmp_region(const void *a, const void *b)
{
	const struct mv_probe_region *x = a, *y = b;

	if (x->key.vm != y->key.vm)
		return x->key.vm < y->key.vm ? -1 : 1;
	if (x->key.region != y->key.region)
		return x->key.region < y->key.region ? -1 : 1;
	return 0;
}

static int cmp_slot(const void *a, const void *b)
{
	const struct mv_probe_slot *x = a, *y = b;

	if (x->key.vm != y->key.vm)
		return x->key.vm < y->key.vm ? -1 : 1;
	if (x->key.as_id != y->key.as_id)
		return x->key.as_id < y->key.as_id ? -1 : 1;
	return x->key.id < y->key.id ? -1 : x->key.id > y->key.id;
}

/* Sum a region's per-CPU values into @cur. */
static void fold_region(void *cur, const void *vals, int ncpus)
{
	const struct faults_region *v = vals;
	struct faults_region *c = cur;

	for (int i = 0; i < ncpus; i++) {
		c->faults += v[i].faults;
		c->pagein += v[i].pagein;
	}
}

/* Sum a memslot's per-CPU values; the GPA range as some CPU last saw it. */
static void fold_slot(void *cur, const void *vals, int ncpus)
{
	const struct faults_slot *v = vals;
	struct faults_slot *c = cur;

	for (int i = 0; i < ncpus; i++) {
		c->faults += v[i].faults;
		c->pagein += v[i].pagein;
		if (v[i].npages) {
			c->base_gfn = v[i].base_gfn;
			c->npages = v[i].npages;
		}
	}
}

/*
 * A per-CPU hash map read into a sorted array of records { key; prev; cur; d;
 * present }: struct mv_probe_region for vm_regions, struct mv_probe_slot for vm_slots. The
 * first ncounters __u64 of a value are counters: d gets their growth.
 */
struct keyed_map {
	size_t rec_size, key_size, val_size;	/* val_size: one CPU's value */
	size_t prev_off, cur_off, d_off, present_off;	/* in a record */
	size_t ncounters;
	int (*cmp)(const void *, const void *);
	void (*fold)(void *cur, const void *vals, int ncpus);
};

_Static_assert(offsetof(struct faults_region_key, vm) == 0 &&
	       offsetof(struct faults_slot_key, vm) == 0, "keys start with the VM");
_Static_assert(offsetof(struct mv_probe_region, key) == 0 && offsetof(struct mv_probe_slot, key) == 0,
	       "read_keyed() finds a record's key at its start");

_Static_assert(offsetof(struct faults_region, pagein) == sizeof(__u64) &&
	       offsetof(struct faults_slot, pagein) == sizeof(__u64),
	       "faults, pagein: the counters, first in a region's and a slot's value");

static const struct keyed_map region_map = {
	.rec_size = sizeof(struct mv_probe_region), .key_size = sizeof(struct faults_region_key),
	.val_size = sizeof(struct faults_region), .prev_off = offsetof(struct mv_probe_region, prev),
	.cur_off = offsetof(struct mv_probe_region, cur), .d_off = offsetof(struct mv_probe_region, d),
	.present_off = offsetof(struct mv_probe_region, present), .ncounters = 2,
	.cmp = cmp_region, .fold = fold_region,
};

static const struct keyed_map slot_map = {
	.rec_size = sizeof(struct mv_probe_slot), .key_size = sizeof(struct faults_slot_key),
	.val_size = sizeof(struct faults_slot), .prev_off = offsetof(struct mv_probe_slot, prev),
	.cur_off = offsetof(struct mv_probe_slot, cur), .d_off = offsetof(struct mv_probe_slot, d),
	.present_off = offsetof(struct mv_probe_slot, present), .ncounters = 2,
	.cmp = cmp_slot, .fold = fold_slot,
};

/*
 * Refresh *@recs (*@n records, sorted by key) from the map @fd: every key in
 * the map gets a record (new ones zeroed, so prev = 0) with .cur summed over
 * CPUs, .d its growth and .present set; records of keys gone from the map
 * stay, not present. Records that restarted are counted in *@resets.
 */
static int read_keyed(const struct keyed_map *km, int fd, int ncpus, void **recs, size_t *n,
		      __u64 *resets)
{
	char key[64], next[64], *rec, *probe;
	size_t old = *n;
	bool first = true;
	void *vals;

	if (km->key_size > sizeof(key))
		return -1;
	vals = calloc(ncpus, km->val_size);
	probe = calloc(1, km->rec_size);
	if (!vals || !probe) {
		free(vals);
		free(probe);
		return -1;
	}
	for (size_t i = 0; i < *n; i++)
		*((bool *)((char *)*recs + i * km->rec_size + km->present_off)) = false;
	while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		memcpy(key, next, km->key_size);
		first = false;
		if (bpf_map_lookup_elem(fd, key, vals))
			continue;
		memcpy(probe, key, km->key_size);
		rec = old ? bsearch(probe, *recs, old, km->rec_size, km->cmp) : NULL;
		if (!rec) {
			char *grown = realloc(*recs, (*n + 1) * km->rec_size);

			if (!grown)
				break;
			*recs = grown;
			rec = grown + (*n)++ * km->rec_size;
			memset(rec, 0, km->rec_size);
			memcpy(rec, key, km->key_size);
		}
		*(bool *)(rec + km->present_off) = true;
		memset(rec + km->cur_off, 0, km->val_size);
		km->fold(rec + km->cur_off, vals, ncpus);
		if (mv_delta_u64((__u64 *)(rec + km->d_off), (const __u64 *)(rec + km->cur_off),
				 (const __u64 *)(rec + km->prev_off), km->ncounters))
			(*resets)++;
	}
	free(vals);
	free(probe);
	if (*n)
		qsort(*recs, *n, km->rec_size, km->cmp);
	return 0;
}

static int read_regions(struct mv_faults *st)
{
	if (!st->o.regions)
		return 0;
	return read_keyed(&region_map, bpf_map__fd(st->skel->maps.vm_regions), st->ncpus,
			  (void **)&st->regions, &st->nregions, &st->resets);
}

static int read_slots(struct mv_faults *st)
{
	if (!st->o.slots)
		return 0;
	return read_keyed(&slot_map, bpf_map__fd(st->skel->maps.vm_slots), st->ncpus,
			  (void **)&st->slots, &st->nslots, &st->resets);
}

void mv_probe_summarize(const struct faults_stats *d, __u64 s[S_NR])
{
	memset(s, 0, S_NR * sizeof(s[0]));
	for (unsigned int a = 0; a < FA_NR; a++)
		for (unsigned int k = 0; k < FK_NR; k++)
			for (unsigned int g = 0; g < FS_NR; g++)
				for (unsigned int r = 0; r < FR_NR; r++) {
					__u64 n = d->cls[faults_class(a, k, g, r)];

					s[S_FAULTS] += n;
					s[S_READ + a] += n;
					s[S_NOTPRES + k] += n;
					if (g == FS_FINAL)
						s[S_FINAL] += n;
					else if (g == FS_WALK)
						s[S_WALK] += n;
					s[S_RESUME + r] += n;
				}
	s[S_MMIO] = d->mmio;
	s[S_PAGEIN] = d->pagein;
	s[S_PAGEIN_MAJOR] = d->pagein_major;
	s[S_HOST_FAULTS] = d->host_faults;
	s[S_MAP_4K] = d->spte[FL_4K];
	s[S_MAP_2M] = d->spte[FL_2M];
	s[S_MAP_1G] = d->spte[FL_1G];
	s[S_MAP_OTHER] = d->spte[FL_OTHER];
	s[S_MAP_NONE] = d->no_spte;
	for (int i = 0; i < FAULTS_HIST_SLOTS; i++)
		s[S_HIST] += d->hist[i];
}

/* Percentile from the log2 histogram, linear within the bucket. */
double mv_probe_percentile(const struct faults_stats *d, double p)
{
	__u64 total = 0, cum = 0;

	for (int i = 0; i < FAULTS_HIST_SLOTS; i++)
		total += d->hist[i];
	if (!total)
		return 0;
	for (int i = 0; i < FAULTS_HIST_SLOTS; i++) {
		double target = p * total;

		if (d->hist[i] && cum + d->hist[i] >= target) {
			double lo = i ? (double)(1ULL << i) : 0, hi = (double)(1ULL << (i + 1));
			double frac = (target - cum) / d->hist[i];

			return lo + (hi - lo) * frac;
		}
		cum += d->hist[i];
	}
	return (double)(1ULL << FAULTS_HIST_SLOTS);
}
/*
 * Rolls the records of a keyed map over: cur into prev. Records gone from
 * the map, or of a VM reported gone or dead, are deleted from it and from
 * @recs; those of a VM not reported yet keep their prev. Returns how many
 * records are left.
 */
static size_t prune_keyed(struct mv_faults *st, const struct keyed_map *km, int fd,
			  void *recs, size_t n)
{
	char *r = recs;
	size_t i, out = 0;

	for (i = 0; i < n; i++) {
		char *rec = r + i * km->rec_size;
		/* Both keys start with the vms[] index. */
		struct mv_probe_vm *vm = find_vm(st, *(const __u32 *)rec);

		if (!*(bool *)(rec + km->present_off) ||
		    (vm && (!vm->present || vm->ident.state == FAULTS_VM_STATE_DEAD))) {
			bpf_map_delete_elem(fd, rec);
			continue;
		}
		if (vm)
			memcpy(rec + km->prev_off, rec + km->cur_off, km->val_size);
		memmove(r + out++ * km->rec_size, rec, km->rec_size);
	}
	return out;
}

/*
 * Roll cur into prev. A VM reported dead gives its entry back: its regions
 * and slots deleted, stats zeroed, then .kvm = 0 lets BPF claim the entry
 * again. Records of a VM not read yet (claimed after read_vms()) stay: the
 * next round reads them, nothing of theirs is deleted.
 */
void mv_faults_advance(struct mv_faults *st)
{
	int sfd = bpf_map__fd(st->skel->maps.vm_stats);
	int vfd = bpf_map__fd(st->skel->maps.vms);
	int rfd = bpf_map__fd(st->skel->maps.vm_regions);
	struct faults_stats *zero = calloc(st->ncpus, sizeof(*zero));
	static const struct faults_vm free_vm;
	size_t n = 0;

	st->nregions = prune_keyed(st, &region_map, rfd, st->regions, st->nregions);
	st->nslots = prune_keyed(st, &slot_map, bpf_map__fd(st->skel->maps.vm_slots),
				 st->slots, st->nslots);
	n = 0;
	for (size_t i = 0; i < st->nvms; i++) {
		struct mv_probe_vm *vm = &st->vms[i];

		if (!vm->present)
			continue;
		if (vm->ident.state == FAULTS_VM_STATE_DEAD) {
			if (zero && !bpf_map_update_elem(sfd, &vm->idx, zero, BPF_ANY))
				bpf_map_update_elem(vfd, &vm->idx, &free_vm, BPF_ANY);
			continue;
		}
		vm->prev = vm->cur;
		st->vms[n++] = *vm;
	}
	st->nvms = n;
	free(zero);
	memcpy(st->loss_prev, st->loss_cur, sizeof(st->loss_prev));
}

int mv_faults_sample(struct mv_faults *f)
{
	if (read_vms(f))
		return -1;
	mv_probe_read_losses(f);
	return 0;
}

void mv_faults_losses(const struct mv_faults *f, bool total, struct mv_fault_losses *l)
{
	mv_probe_losses(f, total, l);
}

bool mv_faults_get(const struct mv_faults *f, const char *id, struct mv_fault_rates *r)
{
	for (size_t i = 0; i < f->nvms; i++) {
		const struct mv_probe_vm *vm = &f->vms[i];
		struct faults_stats d;
		__u64 s[S_NR];

		if (!vm->present || strcmp(vm->id, id))
			continue;
		d = vm->d;
		mv_probe_summarize(&d, s);
		r->faults = s[S_FAULTS];
		r->pagein = f->pagein ? s[S_PAGEIN] : 0;
		r->samples = s[S_HIST];
		r->p50_ns = s[S_HIST] ? mv_probe_percentile(&d, 0.50) : 0;
		r->p99_ns = s[S_HIST] ? mv_probe_percentile(&d, 0.99) : 0;
		return true;
	}
	return false;
}

_Static_assert(MV_FAULTS_HIST_SLOTS == FAULTS_HIST_SLOTS, "histogram size");
_Static_assert((int)MV_FA_WRITE == (int)FA_WRITE && (int)MV_FA_NR == (int)FA_NR &&
	       (int)MV_FK_PROT == (int)FK_PROT && (int)MV_FK_NR == (int)FK_NR &&
	       (int)MV_FL_2M == (int)FL_2M && (int)MV_FL_NR == (int)FL_NR,
	       "mv_fault_totals axes follow bpf/faults.h");

bool mv_faults_totals(const struct mv_faults *f, const char *id,
		      struct mv_fault_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->has_pagein = f->pagein;
	t->has_levels = f->levels;
	t->has_latency = !f->o.no_latency;
	for (size_t i = 0; i < f->nvms; i++) {
		const struct mv_probe_vm *vm = &f->vms[i];
		const struct faults_stats *c = &vm->cur;

		if (!vm->present || strcmp(vm->id, id))
			continue;
		for (unsigned int a = 0; a < FA_NR; a++)
			for (unsigned int k = 0; k < FK_NR; k++)
				for (unsigned int g = 0; g < FS_NR; g++)
					for (unsigned int r = 0; r < FR_NR; r++)
						t->cls[a][k] += c->cls[faults_class(a, k, g, r)];
		t->mmio = c->mmio;
		t->pagein = c->pagein;
		t->pagein_major = c->pagein_major;
		for (unsigned int l = 0; l < FL_NR; l++)
			t->spte[l] = c->spte[l];
		t->lat_ns = c->lat_ns;
		for (unsigned int h = 0; h < FAULTS_HIST_SLOTS; h++)
			t->hist[h] = c->hist[h];
		return true;
	}
	return false;
}


int mv_probe_read(struct mv_faults *st)
{
	if (read_vms(st) || read_regions(st) || read_slots(st))
		return -1;
	mv_probe_read_losses(st);
	return 0;
}

void mv_probe_trace_counts(struct mv_faults *st, __u64 d[3])
{
	__u64 now[3] = { st->trace_events, st->skel->bss->trace_dropped,
			 st->skel->bss->trace_lost };

	for (int i = 0; i < 3; i++) {
		if (mv_delta_u64(&d[i], &now[i], &st->trace_prev[i], 1))
			st->resets++;
		st->trace_prev[i] = now[i];
	}
}
