/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: generic netlink client for the "memvirt" family.
 *
 * Replies are validated against per-attribute-set policies; attributes newer
 * than <linux/memvirt.h> are ignored. Every statistic carries a presence bit
 * because the kernel omits what it cannot report.
 */
#ifndef MEMVIRT_NL_H
#define MEMVIRT_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/memvirt.h>

#include "lib/vmname.h"

#define MV_COMM_LEN	64
#define MV_MAX_CACHES	16

_Static_assert(MEMVIRT_A_VM_MAX < 64, "VM presence mask too small");
_Static_assert(MEMVIRT_A_SLOT_MAX < 64, "slot presence mask too small");
_Static_assert(MEMVIRT_A_CACHE_MAX < 64, "cache presence mask too small");

struct mv_cache {
	uint64_t present;			/* bit per MEMVIRT_A_CACHE_* */
	uint64_t val[MEMVIRT_A_CACHE_MAX + 1];
};

struct mv_vm {
	uint64_t present;			/* bit per MEMVIRT_A_VM_* */
	uint64_t val[MEMVIRT_A_VM_MAX + 1];	/* numeric attributes */
	char id[MEMVIRT_VM_ID_LEN];
	char comm[MV_COMM_LEN];
	unsigned int nr_caches;
	struct mv_cache caches[MV_MAX_CACHES];
	unsigned int nr_holders;		/* MEMVIRT_A_VM_HOLDER pids */
	uint32_t holders[MEMVIRT_MAX_HOLDERS];
	struct mv_vm_names names;		/* not the module's: host.c reads them */
};

struct mv_slot {
	uint64_t present;			/* bit per MEMVIRT_A_SLOT_* */
	uint64_t val[MEMVIRT_A_SLOT_MAX + 1];
	char vm_id[MEMVIRT_VM_ID_LEN];
};

#define MV_MAX_ORDERS	16

/* One zone of a ZONE_GET dump; orders in order[0..nr_orders). */
struct mv_zone {
	uint32_t node;
	char name[32];
	uint64_t managed_pages;
	uint64_t free_pages;
	int32_t max_free_order;		/* -1: nothing free */
	bool has_wmarks;		/* a module older than the watermarks has none */
	uint64_t wmark_min, wmark_low, wmark_high;	/* pages */
	bool has_reserves;		/* nor this */
	uint64_t lowmem_reserve;	/* pages kept from allocations that may go higher */
	bool has_highatomic;		/* nor this; from procfs, root only */
	uint64_t highatomic;		/* pages in highatomic reserve blocks */
	unsigned int nr_orders;
	struct {
		uint64_t free_blocks;
		uint32_t unusable;	/* thousandths */
		int32_t frag;		/* thousandths, -1000: succeeds now */
	} order[MV_MAX_ORDERS];
};

static inline bool mv_vm_has(const struct mv_vm *vm, int attr)
{
	return vm->present & (1ULL << attr);
}

/*
 * How the VM is held, as one word: "vm-fd", "vcpu-fd-only" or
 * "mapping-only" (no VM fd names it: the VMM may believe it freed it), then
 * ",no-debugfs-dir" when KVM gave it none. NULL from a module that does
 * not say.
 */
const char *mv_vm_held_by(const struct mv_vm *vm, char *buf, size_t size);
/* The holder pids as "1,2,3", "+N" for holders not named; NULL if none. */
const char *mv_vm_holders(const struct mv_vm *vm, char *buf, size_t size);

static inline bool mv_slot_has(const struct mv_slot *s, int attr)
{
	return s->present & (1ULL << attr);
}

static inline bool mv_cache_has(const struct mv_cache *c, int attr)
{
	return c->present & (1ULL << attr);
}

struct mv_nl;

/* Callbacks return 0 to go on or a negative errno to abort the dump. */
typedef int (*mv_vm_cb)(const struct mv_vm *vm, void *arg);
typedef int (*mv_slot_cb)(const struct mv_slot *slot, void *arg);
typedef int (*mv_zone_cb)(const struct mv_zone *zone, void *arg);

/*
 * Connects and resolves the family. On failure prints why (module not
 * loaded, version mismatch, ...) and returns NULL.
 */
struct mv_nl *mv_nl_open(void);
/*
 * The same, but without memvirt.ko loaded returns NULL silently (the
 * caller has another source); other failures are still said.
 */
struct mv_nl *mv_nl_open_if_loaded(void);
void mv_nl_close(struct mv_nl *nl);

/* These return 0 or a negative errno; explain it with mv_nl_perror(). */
int mv_nl_vm_dump(struct mv_nl *nl, mv_vm_cb cb, void *arg);
int mv_nl_vm_get(struct mv_nl *nl, const char *id, struct mv_vm *vm);
int mv_nl_slot_dump(struct mv_nl *nl, const char *vm_id, mv_slot_cb cb,
		    void *arg);

/* Every populated zone, by node then zone index; needs no privilege. */
int mv_nl_zone_dump(struct mv_nl *nl, mv_zone_cb cb, void *arg);

/* Prints the last failure: kernel extack message if any, else @what. */
void mv_nl_perror(const struct mv_nl *nl, int err, const char *what);

#endif /* MEMVIRT_NL_H */
