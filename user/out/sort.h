/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: -s/--sort, the same on every table: a column, by its value
 * (numbers numerically, sizes by bytes, text by bytes), rows without a
 * value last, ties in the order read. Tables and JSON share the order.
 */
#ifndef MEMVIRT_OUT_SORT_H
#define MEMVIRT_OUT_SORT_H

#include <stdbool.h>
#include <stddef.h>

#include "out/out.h"

/*
 * Splits -s's @spec "COL[:asc|:desc]" into @col (of @size) and *@dir: 1
 * for ":desc", 0 for ":asc", -1 for neither (mv_sort_desc() then picks the
 * column's default). 0, or MV_EXIT_USAGE after saying why.
 */
int mv_sort_spec(const char *verb, const char *spec, char *col, size_t size,
		 int *dir);
/* The default order of a column: numbers largest first, text A-Z. */
static inline bool mv_sort_desc(enum mv_fmt fmt, int dir)
{
	return dir < 0 ? fmt != MV_FMT_STR : dir;
}

/*
 * Sorts @order[0..n) (row indices) by @keys[row] in @fmt, descending if
 * @desc.
 */
void mv_sort_cells(size_t *order, size_t n, const struct mv_cell *keys,
		   enum mv_fmt fmt, bool desc);

#endif /* MEMVIRT_OUT_SORT_H */
