/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: THE per-VM field table. Each quantity memvirt shows of a VM
 * is named once here: its column, JSON key, "show" label, unit (the format),
 * Prometheus family (and label) and help. list, show, top and export all
 * read it; none of them names a per-VM quantity on its own.
 */
#ifndef MEMVIRT_FIELDS_H
#define MEMVIRT_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli.h"
#include "lib/host.h"
#include "out/out.h"

/* Where a field's value comes from. */
enum mv_src {
	MV_SRC_VM,	/* MEMVIRT_A_VM_<attr> of the module, times scale */
	MV_SRC_STR,	/* a string of the VM: id, comm, held by, holders */
	MV_SRC_HOST,	/* the VM's host backing (backing.c) */
	MV_SRC_FAULT,	/* the probes' faults in the interval */
	MV_SRC_NAMES,	/* what the VMM's command line names it (lib/vmname.h) */
};

/* Who shows a field (flags). */
enum {
	MV_F_LIST	= 1 << 0,	/* a default column of list */
	MV_F_TOP	= 1 << 1,	/* a default column of top */
	MV_F_TOP_JSON	= 1 << 2,	/* in top's JSON by default too */
	MV_F_SHOW	= 1 << 3,	/* a line of show */
	MV_F_VM_COLS	= 1 << 4,	/* a column list and top offer */
	MV_F_HOST_COLS	= 1 << 5,	/* a column of list: host backing */
	MV_F_FAULT_COLS	= 1 << 6,	/* a column of top: the probes' faults */
};

struct mv_field {
	const char *name;	/* column */
	const char *key;	/* JSON key; NULL: name in snake_case */
	const char *label;	/* line label in "show" */
	enum mv_src src;
	int attr;		/* MEMVIRT_A_VM_*, or enum mv_host_val / mv_fault_val */
	uint64_t scale;		/* shown = attribute * scale; 0 = 1 */
	enum mv_fmt fmt;	/* the unit */
	double whint;
	unsigned int flags;
	const char *prom;	/* Prometheus family, NULL: not exported */
	const char *prom_label, *prom_val;	/* its extra label, if any */
	const char *prom_help;	/* the family's help, on its first field */
	const char *help;
};

enum mv_host_val { MV_HOST_RESIDENT, MV_HOST_HUGE_PPM };
enum mv_names_val { MV_NAMES_NAME, MV_NAMES_UUID };
enum mv_fault_val {
	MV_FV_FAULTS, MV_FV_RATE, MV_FV_PAGEIN, MV_FV_PAGEIN_PCT,
	MV_FV_SAMPLES, MV_FV_P50, MV_FV_P99,
};

extern const struct mv_field mv_fields[];
extern const size_t mv_nr_fields;

/* What a field of VM @i of @h reads; secs: the interval, for rates. */
struct mv_field_ctx {
	const struct mv_host *h;
	size_t i;
	double secs;
};

/* @f's JSON key into @buf. */
const char *mv_field_key(const struct mv_field *f, char *buf, size_t size);
/* Cell @col of @ln, "-"/null when unknown. 0 or -ENOMEM. */
int mv_field_cell(struct libscols_line *ln, size_t col, const struct mv_field *f,
		  const struct mv_field_ctx *c, const struct mv_opts *o);
/* obj[key] = the value or null. 0 or -ENOMEM. */
int mv_field_json(struct json_object *obj, const struct mv_field *f,
		  const struct mv_field_ctx *c);
/* The cell's text as a table shows it ("-" when unknown); malloc()ed or NULL. */
char *mv_field_text(const struct mv_field *f, const struct mv_field_ctx *c,
		    const struct mv_opts *o);
/*
 * The order of VMs @a and @b by @f, for sorting: numbers largest first,
 * strings A to Z, unknown values last. <0, 0 or >0 like strcmp().
 */
int mv_field_cmp(const struct mv_field *f, const struct mv_field_ctx *a,
		 const struct mv_field_ctx *b);
/* The field of column @name (any case) among those flagged @avail, or NULL. */
const struct mv_field *mv_field_find(const char *name, unsigned int avail);
/* The numeric value as a double (Prometheus' unit: ratios, not ppm). */
bool mv_field_prom(const struct mv_field *f, const struct mv_field_ctx *c,
		   double *v, bool *is_double, uint64_t *u);

/*
 * The columns of a verb: -o's list ("+COL,..." adds to the defaults), all
 * with --output-all, else those flagged @deflt. Only fields flagged @avail.
 * Returns the count or -1 after a usage message.
 */
ssize_t mv_fields_select(const char *verb, const struct mv_opts *o,
			 unsigned int avail, unsigned int deflt,
			 const struct mv_field **cols, size_t max);
/*
 * The column -s names among @avail into *@key (NULL without -s), and into
 * *@reverse whether -s asks for the reverse of mv_field_cmp()'s order.
 * 0, or MV_EXIT_USAGE after saying why.
 */
int mv_fields_sort_key(const char *verb, const struct mv_opts *o,
		       unsigned int avail, const struct mv_field **key,
		       bool *reverse);
/*
 * @order[0..h->nr_vms): the VMs of @h in mv_field_cmp()'s order of @key
 * (reversed with @reverse, unknown values still last; ties as read; NULL
 * @key: as read). -s of list and top. 0 or -ENOMEM.
 */
int mv_fields_order(const struct mv_host *h, const struct mv_field *key,
		    bool reverse, double secs, size_t *order);

/* "Available output columns (* = default):" and the list. */
void mv_fields_help(FILE *f, unsigned int avail, unsigned int deflt);

/*
 * One table line per VM of @h, in the order @order (NULL: as read), with
 * the columns @cols; printed. 0 or -errno.
 */
int mv_fields_table(const struct mv_host *h, const size_t *order,
		    const struct mv_field **cols, size_t ncols, double secs,
		    const char *name, const struct mv_opts *o);
/* The same as an array of json-c objects. NULL on ENOMEM. */
struct json_object *mv_fields_json(const struct mv_host *h, const size_t *order,
				   const struct mv_field **cols, size_t ncols,
				   double secs);

/* The VM's backing: one table names each part of struct mv_backing. */
struct mv_bk_field {
	const char *name;	/* column; JSON key in snake_case */
	enum mv_fmt fmt;
	size_t off;		/* in struct mv_backing */
	const char *prom, *prom_label, *prom_val, *prom_help;
};

extern const struct mv_bk_field mv_bk_fields[];
extern const size_t mv_nr_bk_fields;

static inline uint64_t mv_bk_val(const struct mv_backing *b,
				 const struct mv_bk_field *f)
{
	return *(const uint64_t *)((const char *)b + f->off);
}

/*
 * What `show` prints of VM 0 of @h as tables: [0] MMU caches, [1] memslots,
 * [2] with @backing the host backing per memslot and the total (else
 * .name NULL). out/parts.c.
 */
void mv_show_parts(const struct mv_host *h, const struct mv_opts *o,
		   bool backing, struct mv_rows parts[3]);
/* parts[2] as show's "backing" object: pid, slots, total. */
struct json_object *mv_show_backing_json(const struct mv_host *h,
					 const struct mv_rows *r);

#endif /* MEMVIRT_FIELDS_H */
