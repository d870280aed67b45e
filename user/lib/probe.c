// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the page-fault probes: open bpf/faults.bpf.c (CO-RE, one
 * object for every supported kernel), attach it with the best method the
 * running kernel offers (fentry/fexit + BTF tracepoints, else kprobes + raw
 * tracepoints), detach. Nothing is pinned: the links close with the process,
 * also on SIGKILL. Documentation/faults.rst describes what the probes cost.
 */
#include <errno.h>
#include <dirent.h>
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

#include "lib/kernel.h"
#include "lib/probe.h"
#include "lib/util.h"
#include "faults.skel.h"

const char *const mv_attach_names[] = {
	[ATTACH_AUTO] = "auto",
	[ATTACH_FENTRY] = "fentry",
	[ATTACH_KPROBE] = "kprobe",
};

static bool verbose_libbpf;

/*
 * Why the last load failed, in one line: "prog 'NAME': <the verifier's
 * verdict>" from libbpf's program load log, else libbpf's last warning.
 * Reset by try_method().
 */
static char load_why[384];
static bool load_verdict;	/* load_why holds a verifier verdict: keep it */

static void note_warning(const char *msg)
{
	const char *log = strstr(msg, "-- BEGIN PROG LOAD LOG --"), *p, *nl;
	const char *best = NULL;
	int best_len = 0;

	if (!strncmp(msg, "libbpf: ", 8))
		msg += 8;
	if (!log) {
		size_t n = strcspn(msg, "\n");

		/* Later lines ("failed to load object") say less than the verifier. */
		if (!load_verdict)
			snprintf(load_why, sizeof(load_why), "%.*s", (int)n, msg);
		return;
	}
	/* The verdict is the last line that is not the log's statistics. */
	for (p = strchr(log, '\n'); p && *++p && strncmp(p, "-- END", 6); p = nl) {
		int len;

		nl = strchr(p, '\n');
		len = nl ? nl - p : (int)strlen(p);
		if (!len || !strncmp(p, "processed ", 10) || !strncmp(p, "verification time", 17) ||
		    !strncmp(p, "stack depth", 11) || !strncmp(p, "mark_read", 9))
			continue;
		best = p;
		best_len = len;
		if (!nl)
			break;
	}
	if (best) {
		snprintf(load_why, sizeof(load_why), "%.*s%.*s", (int)(log - msg), msg, best_len,
			 best);
		load_verdict = true;
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		char *msg = NULL;
		va_list cp;

		va_copy(cp, ap);
		if (vasprintf(&msg, fmt, cp) >= 0)
			note_warning(msg);
		va_end(cp);
		free(msg);
	}
	if (!verbose_libbpf)
		return 0;	/* load failures are reported by us, per method */
	return vfprintf(stderr, fmt, ap);
}

/* --- loading and attaching ---------------------------------------------- */

/*
 * Has the running kernel BTF for the function @name, in vmlinux or in the
 * kvm module? fentry needs it; a compiler may have cloned or inlined a
 * function (kvm_destroy_vm.constprop.0 in the KASAN debug kernel), and then
 * pahole leaves it out.
 */
static bool kernel_btf_has_func(const char *name)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *kvm;
	bool found;

	if (!vmlinux)
		return false;
	found = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) >= 0;
	if (!found) {
		kvm = btf__load_module_btf("kvm", vmlinux);
		found = kvm && btf__find_by_name_kind(kvm, name, BTF_KIND_FUNC) >= 0;
		btf__free(kvm);
	}
	btf__free(vmlinux);
	return found;
}

static void set_autoload(struct faults_bpf *skel, enum attach_mode mode, const struct mv_probe_opts *o,
			 bool destroy_kprobe)
{
	bool f = mode == ATTACH_FENTRY, k = mode == ATTACH_KPROBE;
	bool entry = !o->lite, levels = !o->no_levels;

	bpf_program__set_autoload(skel->progs.fentry_kvm_mmu_page_fault, f && entry);
	bpf_program__set_autoload(skel->progs.fexit_kvm_mmu_page_fault, f);
	bpf_program__set_autoload(skel->progs.tp_btf_kvm_mmu_set_spte, f && levels);
	bpf_program__set_autoload(skel->progs.tp_btf_mark_mmio_spte, f && entry);
	bpf_program__set_autoload(skel->progs.fentry_kvm_destroy_vm, f && !destroy_kprobe);
	bpf_program__set_autoload(skel->progs.tp_btf_kvm_mmu_spte_requested, f && o->slots);
	bpf_program__set_autoload(skel->progs.raw_tp_kvm_mmu_spte_requested, k && o->slots);
	bpf_program__set_autoload(skel->progs.kprobe_kvm_mmu_page_fault, k);
	bpf_program__set_autoload(skel->progs.kretprobe_kvm_mmu_page_fault, k);
	bpf_program__set_autoload(skel->progs.raw_tp_kvm_mmu_set_spte, k && levels);
	bpf_program__set_autoload(skel->progs.raw_tp_mark_mmio_spte, k);
	bpf_program__set_autoload(skel->progs.kprobe_kvm_destroy_vm, k || destroy_kprobe);
}

/* Links go in reverse order: the entry hook before the exit hook. */
static void detach(struct mv_faults *st)
{
	while (st->nlinks > 0)
		bpf_link__destroy(st->links[--st->nlinks]);
	faults_bpf__destroy(st->skel);
	st->skel = NULL;
}

static int attach_one(struct mv_faults *st, struct bpf_program *prog, const char *what,
		      bool required, bool *flag)
{
	struct bpf_link *link = bpf_program__attach(prog);

	if (!link) {
		int err = -errno;

		if (required)
			snprintf(st->why, sizeof(st->why), "cannot attach %s: %s", what,
				 strerror(-err));
		else if (st->o.verbose)
			mv_err("faults: %s: cannot attach: %s",
				what, strerror(-err));
		return required ? err : 0;
	}
	st->link_kind[st->nlinks] = !strncmp(what, "kretprobe ", 10) ? LINK_KRETPROBE :
				    !strncmp(what, "kprobe ", 7) ? LINK_KPROBE : LINK_OTHER;
	st->links[st->nlinks++] = link;
	if (flag)
		*flag = true;
	return 0;
}

/* The object's constants and map sizes after the options @o. */
static void configure(struct faults_bpf *skel, const struct mv_probe_opts *o, bool f)
{
	skel->rodata->vm_mask = o->max_vms - 1;
	skel->rodata->vm_shift = 64 - __builtin_ctz(o->max_vms);
	skel->rodata->region_shift = o->region_shift;
	skel->rodata->track_regions = o->regions;
	skel->rodata->measure_latency = !o->no_latency;
	skel->rodata->track_pagein = !o->lite;
	skel->rodata->use_entry = !(o->lite && f);
	skel->rodata->track_levels = !o->no_levels;
	bpf_map__set_max_entries(skel->maps.vms, o->max_vms);
	bpf_map__set_max_entries(skel->maps.vm_stats, o->max_vms);
	bpf_map__set_max_entries(skel->maps.vm_regions, o->regions ? o->max_regions : 1);
	bpf_map__set_max_entries(skel->maps.vm_slots, o->slots ? o->max_slots : 1);
	if (o->trace) {
		skel->rodata->trace_on = true;
		skel->rodata->trace_rate = o->trace_rate;
		/* "<pid>-<fd>": the pid matches when BPF cannot read the debugfs name. */
		skel->rodata->trace_pid = strtoul(o->vm, NULL, 10);
		memcpy((char *)skel->rodata->trace_name, o->vm, strlen(o->vm) + 1);
	} else {
		bpf_map__set_max_entries(skel->maps.trace_rb, getpagesize());
	}
}

/* The hooks, in order; 0 or -errno if a required one would not attach. */
static int attach_all(struct mv_faults *st, bool f)
{
	struct faults_bpf *skel = st->skel;
	int err;

	/*
	 * Exit before entry: a fault whose entry we saw always has its exit seen
	 * too, so no in-flight slot is left claimed.
	 */
	if ((err = attach_one(st, f ? skel->progs.fexit_kvm_mmu_page_fault :
				      skel->progs.kretprobe_kvm_mmu_page_fault,
			      f ? "fexit kvm_mmu_page_fault" : "kretprobe kvm_mmu_page_fault",
			      true, NULL)))
		return err;
	if (!st->o.no_levels)
		attach_one(st, f ? skel->progs.tp_btf_kvm_mmu_set_spte :
				   skel->progs.raw_tp_kvm_mmu_set_spte,
			   f ? "tp_btf kvm_mmu_set_spte" : "raw_tp kvm_mmu_set_spte", false,
			   &st->levels);
	if (st->o.slots &&
	    (err = attach_one(st, f ? skel->progs.tp_btf_kvm_mmu_spte_requested :
				      skel->progs.raw_tp_kvm_mmu_spte_requested,
			      f ? "tp_btf kvm_mmu_spte_requested" : "raw_tp kvm_mmu_spte_requested",
			      true, NULL)))
		return err;
	if (!(st->o.lite && f))
		attach_one(st, f ? skel->progs.tp_btf_mark_mmio_spte :
				   skel->progs.raw_tp_mark_mmio_spte,
			   f ? "tp_btf mark_mmio_spte" : "raw_tp mark_mmio_spte", false,
			   &st->mmio_hook);
	attach_one(st, f && !st->destroy_kprobe ? skel->progs.fentry_kvm_destroy_vm :
						 skel->progs.kprobe_kvm_destroy_vm,
		   f && !st->destroy_kprobe ? "fentry kvm_destroy_vm" : "kprobe kvm_destroy_vm",
		   false, &st->destroy_hook);
	if (!(st->o.lite && f) &&
	    (err = attach_one(st, f ? skel->progs.fentry_kvm_mmu_page_fault :
				      skel->progs.kprobe_kvm_mmu_page_fault,
			      f ? "fentry kvm_mmu_page_fault" : "kprobe kvm_mmu_page_fault",
			      true, NULL)))
		return err;
	return 0;
}

static int try_method(struct mv_faults *st, enum attach_mode mode)
{
	bool f = mode == ATTACH_FENTRY;
	struct faults_bpf *skel;
	int err;

	st->method = mv_attach_names[mode];
	st->levels = st->mmio_hook = st->destroy_hook = false;
	st->why[0] = load_why[0] = 0;
	load_verdict = false;
	skel = faults_bpf__open();
	if (!skel) {
		snprintf(st->why, sizeof(st->why), "cannot open the BPF object: %s",
			 strerror(errno));
		return -1;
	}
	configure(skel, &st->o, f);
	/* The destroy hook only cleans up: a kprobe does where fentry cannot. */
	st->destroy_kprobe = f && !kernel_btf_has_func("kvm_destroy_vm");
	set_autoload(skel, mode, &st->o, st->destroy_kprobe);
	st->skel = skel;
	err = faults_bpf__load(skel);
	st->err = err;
	if (err) {
		snprintf(st->why, sizeof(st->why), "cannot load: %s%s%s", strerror(-err),
			 load_why[0] ? ": " : "", load_why);
		goto fail;
	}
	err = attach_all(st, f);
	st->err = err;
	if (err)
		goto fail;
	st->pagein = !st->o.lite;
	/* Does the kernel report kprobe misses (and count kprobe programs')? */
	st->link_missed = false;
	for (int i = 0; i < st->nlinks && !f; i++) {
		__u64 m;

		if (st->link_kind[i] == LINK_KRETPROBE)
			st->link_missed = mv_probe_link_missed(st->links[i], &m);
	}
	return 0;
fail:
	detach(st);
	return -1;
}

/*
 * No permission: one line with the fix, as the other method would fail the
 * same way. The verifier rejects a program with EACCES too: that is no
 * permission problem, and its verdict says more.
 */
static bool denied(const struct mv_faults *st)
{
	char why[256];

	if (load_verdict || !mv_probe_denied(st->err, why, sizeof(why)))
		return false;
	mv_err("faults: %s%s%s", why, st->o.verbose ? ": " : "",
	       st->o.verbose ? st->why : "");
	return true;
}

static int setup(struct mv_faults *st)
{
	char why[512];

	if (st->o.verbose) {
		size_t sz;

		faults_bpf__elf_bytes(&sz);
		/* The object is embedded: its size and where it was built. */
		mv_err("faults: object faults.bpf.o, %zu bytes, built as %s", sz,
		       MV_BPF_OBJ);
	}
	/* Lockdown, no kvm, no BTF for it: say that alone, without trying. */
	if (mv_probe_blocked(why, sizeof(why))) {
		mv_err("faults: %s", why);
		return -1;
	}
	if (st->o.attach != ATTACH_KPROBE) {
		if (!try_method(st, ATTACH_FENTRY))
			goto ok;
		if (denied(st))
			return -1;
		/* One line: why the preferred method failed (-v: libbpf's whole log). */
		mv_err("faults: fentry: %s%s%s", st->why,
			st->o.attach == ATTACH_AUTO ? "; falling back to kprobe" : "",
			st->o.verbose ? "" : " (-v for libbpf's log)");
		if (st->o.attach == ATTACH_FENTRY)
			return -1;
	}
	if (!try_method(st, ATTACH_KPROBE))
		goto ok;
	if (!denied(st))
		mv_err("faults: kprobe: %s%s", st->why,
		       st->o.verbose ? "" : " (-v for libbpf's log)");
	return -1;
ok:
	if (st->o.quiet)
		return 0;
	mv_err("faults: attached with %s (%s kvm_mmu_page_fault%s%s%s)",
		st->method, st->o.lite ? "fexit" :
		st->method[0] == 'f' ? "fentry/fexit" : "kprobe/kretprobe",
		st->levels ? ", kvm_mmu_set_spte" : ", no mapping levels",
		st->mmio_hook ? ", mark_mmio_spte" : "",
		st->destroy_hook ? ", kvm_destroy_vm" : ", no VM teardown");
	return 0;
}

void mv_probe_opts_init(struct mv_probe_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval = 1;
	o->region_shift = 30;
	o->max_vms = FAULTS_MAX_VMS_DEFAULT;
	o->max_slots = FAULTS_MAX_SLOTS;
	o->max_regions = FAULTS_MAX_REGIONS;
	o->trace_rate = FAULTS_TRACE_RATE_DEFAULT;
}

struct mv_faults *mv_faults_start(const struct mv_probe_opts *o)
{
	struct mv_faults *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	if (o) {
		f->o = *o;
	} else {
		mv_probe_opts_init(&f->o);
		f->o.quiet = true;
	}
	verbose_libbpf = f->o.verbose;
	libbpf_set_print(libbpf_print);
	f->ncpus = libbpf_num_possible_cpus();
	if (f->ncpus <= 0) {
		mv_err("faults: cannot count possible CPUs");
		free(f);
		return NULL;
	}
	if (setup(f)) {
		free(f);
		return NULL;
	}
	return f;
}

const char *mv_faults_method(const struct mv_faults *f)
{
	return f->method;
}

void mv_faults_stop(struct mv_faults *f)
{
	if (!f)
		return;
	detach(f);
	free(f->vms);
	free(f->regions);
	free(f->slots);
	free(f);
}
