/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the one VM filter of list, top, faults and export (and of
 * whatever else shows VMs): --vm ID|NAME|UUID, --pid PID, --comm GLOB, each
 * repeatable. A VM passes if it matches one of the values of every option
 * given (OR within an option, AND across them); no option: every VM.
 *
 * Usage: mv_filter_opt() from the option parser; per snapshot
 * mv_filter_check() once over all VMs (an ambiguous --vm is an error), then
 * mv_filter_match() per VM. A VM is described by a struct mv_vm_ref so that
 * the module's VMs (mv_vm_ref_of()) and the probes' VMs both fit.
 */
#ifndef MEMVIRT_FILTER_H
#define MEMVIRT_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/nl.h"

#define MV_FILTER_MAX	32	/* values of one option */

struct mv_filter {
	const char *vm[MV_FILTER_MAX];		/* id, name or UUID */
	uint32_t pid[MV_FILTER_MAX];
	const char *comm[MV_FILTER_MAX];	/* fnmatch(3) patterns */
	const char *any;	/* fnmatch(3) of id, name, UUID or comm; NULL: none */
	size_t nr_vm, nr_pid, nr_comm;
};

/* What the filter looks at; NULL or "": unknown. */
struct mv_vm_ref {
	const char *id, *comm, *name, *uuid;
	uint32_t pid;			/* 0: unknown */
};

/* The long options, for the parser; their --help lines. */
enum { MV_OPT_VM = 0x2000, MV_OPT_PID, MV_OPT_COMM };
#define MV_FILTER_HELP							\
	"     --vm <vm>          only this VM: id, name or UUID (repeatable)\n" \
	"     --pid <pid>        only the VMs of this VMM process (repeatable)\n" \
	"     --comm <glob>      only VMs whose VMM's command matches (repeatable)\n"

/* Stores option @c (MV_OPT_*) with @arg; 0 or MV_EXIT_USAGE (said why). */
int mv_filter_opt(struct mv_filter *f, const char *verb, int c, const char *arg);
static inline bool mv_filter_empty(const struct mv_filter *f)
{
	return !f || !(f->nr_vm || f->nr_pid || f->nr_comm || f->any);
}

/*
 * @f from the text @text typed at top's "/" (see top --help): "" every VM;
 * a number (1..2^32-1) the VMs of that VMM process (a pid, as --pid); any
 * other text a glob (fnmatch(3)) that the VM's id, name, UUID (any case)
 * or command must match, "*TEXT*" (contains) unless it has * ? or [.
 * @glob (of @size) holds what f->any points to; too long text is cut.
 */
void mv_filter_text(struct mv_filter *f, const char *text, char *glob, size_t size);

/* Does the VM @v pass @f (NULL: no filter)? */
bool mv_filter_match(const struct mv_filter *f, const struct mv_vm_ref *v);

/*
 * Over all VMs @refs[0..n): a --vm value that matches more than one VM is
 * an error naming the candidates; with @need_all, so is one that matches
 * none. 0, or -1 after saying why.
 */
int mv_filter_check(const struct mv_filter *f, const struct mv_vm_ref *refs,
		    size_t n, bool need_all);

/* Does @vm (an id, name or UUID as typed) name the VM @v? */
bool mv_vm_ref_is(const struct mv_vm_ref *v, const char *vm);
/* @vm's reference (pointing into @vm). */
void mv_vm_ref_of(const struct mv_vm *vm, struct mv_vm_ref *r);

#endif /* MEMVIRT_FILTER_H */
