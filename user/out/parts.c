// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the parts of one VM that `show` lists as tables: MMU caches,
 * memslots and how the host backs them. Each is one column description and
 * one row function, rendered as a table or JSON by out/table.c, out/json.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/fields.h"

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

/* ---- MMU caches -------------------------------------------------------- */

static const struct mv_col cache_cols[] = {
	{ "TYPE", MV_FMT_STR, 17, 0 },
	{ "SCOPE", MV_FMT_STR, 5, 0 },
	{ "OBJECTS", MV_FMT_NUM, 6, 0 },
	{ "CAPACITY", MV_FMT_NUM, 6, 0 },
	{ "OBJECT-SIZE", MV_FMT_NUM, 6, 0 },
	{ "BYTES", MV_FMT_SIZE, 6, 0 },
};

static const int cache_attrs[] = {
	MEMVIRT_A_CACHE_OBJECTS, MEMVIRT_A_CACHE_CAPACITY,
	MEMVIRT_A_CACHE_OBJECT_SIZE, MEMVIRT_A_CACHE_BYTES,
};

static int cache_row(void *arg, size_t row, struct mv_cell *c)
{
	const struct mv_cache *cache = &((const struct mv_host *)arg)->vms[0].caches[row];
	uint64_t type = cache->val[MEMVIRT_A_CACHE_TYPE];
	size_t i;

	if (type < ARRAY_SIZE(cache_names) && cache_names[type])
		c[0].s = cache_names[type];
	else if (asprintf(&c[0].owned, "type-%" PRIu64, type) >= 0)
		c[0].s = c[0].owned;
	else
		return -ENOMEM;
	if (type <= MEMVIRT_CACHE_MAX)
		c[1].s = type <= MEMVIRT_CACHE_PAGE_HEADER ? "vcpu" : "vm";
	for (i = 0; i < ARRAY_SIZE(cache_attrs); i++) {
		c[2 + i].present = mv_cache_has(cache, cache_attrs[i]);
		c[2 + i].u = cache->val[cache_attrs[i]];
	}
	return 0;
}

/* ---- memslots ---------------------------------------------------------- */

enum { SC_AS, SC_ID, SC_GPA_RANGE, SC_GPA, SC_SIZE, SC_HVA, SC_FLAGS,
       SC_RMAP, SC_LPAGE, SC_DIRTY, SC_WTRACK, SC_META, SC_NR };

static const struct mv_col slot_cols[SC_NR] = {
	[SC_AS]		= { "AS", MV_FMT_NUM, 2, 0 },
	[SC_ID]		= { "ID", MV_FMT_NUM, 3, 0 },
	[SC_GPA_RANGE]	= { "GPA", MV_FMT_STR, 25, MV_COL_TABLE_ONLY },
	[SC_GPA]	= { "GPA", MV_FMT_NUM, 0, MV_COL_JSON_ONLY },
	[SC_SIZE]	= { "SIZE", MV_FMT_SIZE, 6, 0 },
	[SC_HVA]	= { "HVA", MV_FMT_HEX, 14, 0 },
	[SC_FLAGS]	= { "FLAGS", MV_FMT_STR, 10, 0 },
	[SC_RMAP]	= { "RMAP", MV_FMT_SIZE, 0, MV_COL_JSON_ONLY },
	[SC_LPAGE]	= { "LPAGE-INFO", MV_FMT_SIZE, 0, MV_COL_JSON_ONLY },
	[SC_DIRTY]	= { "DIRTY-LOG", MV_FMT_SIZE, 0, MV_COL_JSON_ONLY },
	[SC_WTRACK]	= { "WRITE-TRACK", MV_FMT_SIZE, 0, MV_COL_JSON_ONLY },
	[SC_META]	= { "METADATA", MV_FMT_SIZE, 6, 0 },
};

static void slot_num(const struct mv_slot *s, int attr, struct mv_cell *c)
{
	c->present = mv_slot_has(s, attr);
	c->u = s->val[attr];
}

/* "dirty-log,readonly", unknown bits as hex; and the same as a JSON array. */
static int slot_flags(uint64_t flags, struct mv_cell *c)
{
	char buf[128] = "";
	size_t i, len = 0;

	c->json = json_object_new_array();
	for (i = 0; c->json && i < ARRAY_SIZE(slot_flag_names); i++) {
		if (!(flags & slot_flag_names[i].bit))
			continue;
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s",
				len ? "," : "", slot_flag_names[i].name);
		if (json_object_array_add(c->json,
				json_object_new_string(slot_flag_names[i].name)))
			return -ENOMEM;
		flags &= ~slot_flag_names[i].bit;
	}
	if (flags)
		snprintf(buf + len, sizeof(buf) - len, "%s0x%" PRIx64,
			 len ? "," : "", flags);
	c->s = c->owned = strdup(buf);
	return c->json && c->owned ? 0 : -ENOMEM;
}

/* The GPA range, inclusive like lsmem's RANGE. */
static int slot_range(const struct mv_slot *s, struct mv_cell *c)
{
	uint64_t gpa = s->val[MEMVIRT_A_SLOT_GPA], size = s->val[MEMVIRT_A_SLOT_SIZE];
	int n = 0;

	if (!mv_slot_has(s, MEMVIRT_A_SLOT_GPA))
		return 0;
	if (mv_slot_has(s, MEMVIRT_A_SLOT_SIZE) && size)
		n = asprintf(&c->owned, "0x%010" PRIx64 "-0x%010" PRIx64, gpa,
			     gpa + size - 1);
	else
		n = asprintf(&c->owned, "0x%" PRIx64, gpa);
	c->s = n < 0 ? NULL : c->owned;
	return n < 0 ? -ENOMEM : 0;
}

static int slot_row(void *arg, size_t row, struct mv_cell *c)
{
	const struct mv_slot *s = &((const struct mv_host *)arg)->slots[row];
	size_t i;

	slot_num(s, MEMVIRT_A_SLOT_AS_ID, &c[SC_AS]);
	slot_num(s, MEMVIRT_A_SLOT_ID, &c[SC_ID]);
	slot_num(s, MEMVIRT_A_SLOT_GPA, &c[SC_GPA]);
	slot_num(s, MEMVIRT_A_SLOT_SIZE, &c[SC_SIZE]);
	slot_num(s, MEMVIRT_A_SLOT_HVA, &c[SC_HVA]);
	slot_num(s, MEMVIRT_A_SLOT_RMAP_BYTES, &c[SC_RMAP]);
	slot_num(s, MEMVIRT_A_SLOT_LPAGE_INFO_BYTES, &c[SC_LPAGE]);
	slot_num(s, MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES, &c[SC_DIRTY]);
	slot_num(s, MEMVIRT_A_SLOT_WRITE_TRACK_BYTES, &c[SC_WTRACK]);
	/* METADATA: the four above, summed. */
	for (i = SC_RMAP; i <= SC_WTRACK; i++) {
		c[SC_META].present |= c[i].present;
		c[SC_META].u += c[i].present ? c[i].u : 0;
	}
	if (mv_slot_has(s, MEMVIRT_A_SLOT_FLAGS) &&
	    slot_flags(s->val[MEMVIRT_A_SLOT_FLAGS], &c[SC_FLAGS]))
		return -ENOMEM;
	return slot_range(s, &c[SC_GPA_RANGE]);
}

/* ---- host backing ------------------------------------------------------ */

/* Columns: these, then mv_bk_fields[], then the nodes. */
enum { BC_AS, BC_ID, BC_GPA_STR, BC_GPA, BC_HVA, BC_SIZE, BC_FIRST };
#define BC_NR	(BC_FIRST + 9 + 2)

static struct mv_col bk_cols[BC_NR] = {
	[BC_AS]		= { "AS", MV_FMT_NUM, 6, 0 },
	[BC_ID]		= { "ID", MV_FMT_NUM, 6, 0 },
	[BC_GPA_STR]	= { "GPA", MV_FMT_STR, 6, MV_COL_TABLE_ONLY },
	[BC_GPA]	= { "GPA", MV_FMT_NUM, 0, MV_COL_JSON_ONLY },
	[BC_HVA]	= { "HVA", MV_FMT_NUM, 0, MV_COL_JSON_ONLY },
	[BC_SIZE]	= { "SIZE", MV_FMT_SIZE, 6, 0 },
	[BC_NR - 2]	= { "NODES", MV_FMT_STR, 12, 0 },
	[BC_NR - 1]	= { "NODE-UNKNOWN", MV_FMT_SIZE, 0, MV_COL_JSON_ONLY },
};

/* "0:1.5G 1:512M ?:4K" and [{"node": 0, "bytes": N}, ...]. */
static int bk_nodes(struct mv_backing_ctx *ctx, const struct mv_backing *b,
		    struct mv_cell *c, const struct mv_opts *o)
{
	unsigned int n, nr = mv_backing_nr_node_ids(ctx);
	char buf[1024] = "", *v;
	size_t len = 0;
	int err = 0;

	c->json = json_object_new_array();
	for (n = 0; c->json && n <= nr && !err; n++) {
		uint64_t bytes = n < nr ? (b->node ? b->node[n] : 0) : b->node_unknown;
		struct json_object *j;

		if ((n < nr && (!b->node || !mv_backing_node_has_memory(ctx, n))) ||
		    (n == nr && !bytes))
			continue;
		v = mv_format(MV_FMT_SIZE, bytes, o);
		if (n < nr && (j = mv_json_push(c->json, &err)))
			err = mv_json_add_value(j, "node", MV_FMT_NUM, true, n) ?:
			      mv_json_add_value(j, "bytes", MV_FMT_SIZE, true, bytes);
		if (n < nr)
			len += snprintf(buf + len, sizeof(buf) - len, "%s%u:%s",
					len ? " " : "", n, v ?: "?");
		else
			len += snprintf(buf + len, sizeof(buf) - len, "%s?:%s",
					len ? " " : "", v ?: "?");
		free(v);
	}
	c->s = c->owned = strdup(b->node || b->node_unknown ? (len ? buf : "-") : "");
	if (!(b->node || b->node_unknown))
		c->s = NULL;
	return c->json && c->owned && !err ? 0 : -ENOMEM;
}

struct bk_arg {
	const struct mv_host *h;
	const struct mv_opts *o;
};

static int bk_row(void *arg, size_t row, struct mv_cell *c)
{
	const struct bk_arg *a = arg;
	const struct mv_vm_backing *vb = &a->h->bk[0];
	const struct mv_backing *b = row < vb->nr ? &vb->slot[row] : &vb->total;
	size_t i;

	if (row < vb->nr) {
		const struct mv_slot *s = &a->h->slots[row];

		slot_num(s, MEMVIRT_A_SLOT_AS_ID, &c[BC_AS]);
		slot_num(s, MEMVIRT_A_SLOT_ID, &c[BC_ID]);
		slot_num(s, MEMVIRT_A_SLOT_GPA, &c[BC_GPA]);
		slot_num(s, MEMVIRT_A_SLOT_HVA, &c[BC_HVA]);
		if (c[BC_GPA].present &&
		    asprintf(&c[BC_GPA_STR].owned, "0x%" PRIx64, c[BC_GPA].u) < 0)
			return -ENOMEM;
		c[BC_GPA_STR].s = c[BC_GPA_STR].owned;
	} else {
		c[BC_GPA_STR].s = "total";
	}
	c[BC_SIZE].present = true;
	c[BC_SIZE].u = b->size;
	for (i = 0; i < mv_nr_bk_fields; i++) {
		c[BC_FIRST + i].present = true;
		c[BC_FIRST + i].u = mv_bk_val(b, &mv_bk_fields[i]);
	}
	c[BC_NR - 1].present = true;
	c[BC_NR - 1].u = b->node_unknown;
	return bk_nodes(a->h->bctx, b, &c[BC_NR - 2], a->o);
}

static struct bk_arg bk_arg;

void mv_show_parts(const struct mv_host *h, const struct mv_opts *o,
		   bool backing, struct mv_rows parts[3])
{
	size_t i;

	_Static_assert(BC_NR - 2 - BC_FIRST == 9, "bk_cols[] fits mv_bk_fields[]");
	for (i = 0; i < mv_nr_bk_fields; i++)
		bk_cols[BC_FIRST + i] = (struct mv_col){ mv_bk_fields[i].name,
							 mv_bk_fields[i].fmt, 6, 0 };
	parts[0] = (struct mv_rows){ "caches", cache_cols, ARRAY_SIZE(cache_cols),
				     h->vms[0].nr_caches, cache_row, (void *)h };
	parts[1] = (struct mv_rows){ "memslots", slot_cols, SC_NR, h->nr_slots,
				     slot_row, (void *)h };
	memset(&parts[2], 0, sizeof(parts[2]));
	if (!backing)
		return;
	bk_arg = (struct bk_arg){ h, o };
	parts[2] = (struct mv_rows){ "backing", bk_cols, BC_NR, h->bk[0].nr + 1,
				     bk_row, &bk_arg };
}

struct json_object *mv_show_backing_json(const struct mv_host *h,
					 const struct mv_rows *r)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *arr = mv_rows_json(r), *total;
	size_t nr = h->bk[0].nr;
	int err = obj && arr ? 0 : -ENOMEM;

	if (!err) {
		total = json_object_get(json_object_array_get_idx(arr, nr));
		json_object_array_del_idx(arr, nr, 1);
		err = mv_json_add_value(obj, "pid", MV_FMT_NUM,
					mv_vm_has(&h->vms[0], MEMVIRT_A_VM_PID),
					h->vms[0].val[MEMVIRT_A_VM_PID]) ?:
		      mv_json_add(obj, "slots", arr);
		arr = NULL;
		if (!err)
			err = mv_json_add(obj, "total", total);
	}
	json_object_put(arr);
	if (err) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}
