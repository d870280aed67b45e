// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the VM filter (lib/filter.h).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/filter.h"
#include "lib/util.h"

/* Candidates listed when a --vm is ambiguous. */
#define MV_AMBIGUOUS_MAX	16

int mv_filter_opt(struct mv_filter *f, const char *verb, int c, const char *arg)
{
	unsigned long pid;

	if ((c == MV_OPT_VM && f->nr_vm == MV_FILTER_MAX) ||
	    (c == MV_OPT_PID && f->nr_pid == MV_FILTER_MAX) ||
	    (c == MV_OPT_COMM && f->nr_comm == MV_FILTER_MAX))
		return mv_usage_error(verb, "at most %d of each filter option",
				      MV_FILTER_MAX);
	switch (c) {
	case MV_OPT_VM:
		if (!*arg)
			return mv_usage_error(verb, "empty --vm");
		f->vm[f->nr_vm++] = arg;
		return 0;
	case MV_OPT_PID:
		if (mv_parse_ulong(arg, 1, UINT32_MAX, &pid))
			return mv_usage_error(verb, "invalid --pid '%s'", arg);
		f->pid[f->nr_pid++] = pid;
		return 0;
	case MV_OPT_COMM:
		f->comm[f->nr_comm++] = arg;
		return 0;
	}
	return MV_EXIT_USAGE;
}

static bool set(const char *s)
{
	return s && *s;
}

bool mv_vm_ref_is(const struct mv_vm_ref *v, const char *vm)
{
	return (set(v->id) && !strcmp(v->id, vm)) ||
	       (set(v->uuid) && !strcasecmp(v->uuid, vm)) ||
	       (set(v->name) && !strcmp(v->name, vm));
}

void mv_filter_text(struct mv_filter *f, const char *text, char *glob, size_t size)
{
	unsigned long pid;

	memset(f, 0, sizeof(*f));
	if (!*text || !size)
		return;
	if (!mv_parse_ulong(text, 1, UINT32_MAX, &pid)) {
		f->pid[f->nr_pid++] = pid;
		return;
	}
	snprintf(glob, size, strpbrk(text, "*?[") ? "%s" : "*%s*", text);
	f->any = glob;
}

/* Does @glob match @s (case-folded with @fold)? Unknown (NULL, ""): no. */
static bool glob_is(const char *glob, const char *s, int fold)
{
	return set(s) && !fnmatch(glob, s, fold);
}

/* f->any: one of id, name, UUID and comm matches. */
static bool any_match(const char *glob, const struct mv_vm_ref *v)
{
	return glob_is(glob, v->id, 0) || glob_is(glob, v->name, 0) ||
	       glob_is(glob, v->uuid, FNM_CASEFOLD) || glob_is(glob, v->comm, 0);
}

bool mv_filter_match(const struct mv_filter *f, const struct mv_vm_ref *v)
{
	bool ok;
	size_t k;

	if (mv_filter_empty(f))
		return true;
	for (k = 0, ok = !f->nr_vm; k < f->nr_vm && !ok; k++)
		ok = mv_vm_ref_is(v, f->vm[k]);
	if (!ok)
		return false;
	for (k = 0, ok = !f->nr_pid; k < f->nr_pid && !ok; k++)
		ok = v->pid == f->pid[k];
	if (!ok)
		return false;
	for (k = 0, ok = !f->nr_comm; k < f->nr_comm && !ok; k++)
		ok = glob_is(f->comm[k], v->comm, 0);
	return ok && (!f->any || any_match(f->any, v));
}

/* "memvirt: VM 'web' is ambiguous: 12-13 (web), 14-15 (web); name one by id". */
static void ambiguous(const char *vm, const struct mv_vm_ref *refs, size_t n)
{
	size_t i, shown = 0;

	fprintf(stderr, "memvirt: VM '%s' is ambiguous, name one by id or UUID:", vm);
	for (i = 0; i < n; i++) {
		if (!mv_vm_ref_is(&refs[i], vm))
			continue;
		if (shown++ == MV_AMBIGUOUS_MAX) {
			fputs(" ... (see 'memvirt list')", stderr);
			break;
		}
		fprintf(stderr, " %s (name '%s', uuid %s, pid %u)", refs[i].id,
			set(refs[i].name) ? refs[i].name : "",
			set(refs[i].uuid) ? refs[i].uuid : "-", refs[i].pid);
	}
	fputc('\n', stderr);
}

int mv_filter_check(const struct mv_filter *f, const struct mv_vm_ref *refs,
		    size_t n, bool need_all)
{
	size_t k, i, hits;

	for (k = 0; f && k < f->nr_vm; k++) {
		for (i = 0, hits = 0; i < n; i++)
			hits += mv_vm_ref_is(&refs[i], f->vm[k]);
		if (hits > 1) {
			ambiguous(f->vm[k], refs, n);
			return -1;
		}
		if (!hits && need_all) {
			mv_err("no VM '%s' (an id, name or UUID; see 'memvirt list')",
			       f->vm[k]);
			return -1;
		}
	}
	return 0;
}

void mv_vm_ref_of(const struct mv_vm *vm, struct mv_vm_ref *r)
{
	r->id = vm->id;
	r->comm = mv_vm_has(vm, MEMVIRT_A_VM_COMM) ? vm->comm : NULL;
	r->name = vm->names.name;
	r->uuid = vm->names.uuid;
	r->pid = mv_vm_has(vm, MEMVIRT_A_VM_PID) ? vm->val[MEMVIRT_A_VM_PID] : 0;
}
