// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: sorting table rows by one column (out/sort.h).
 */
#include <stdlib.h>
#include <string.h>

#include "out/sort.h"

int mv_sort_spec(const char *verb, const char *spec, char *col, size_t size,
		 int *dir)
{
	const char *colon = strrchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);

	*dir = -1;
	if (colon && !strcmp(colon, ":asc"))
		*dir = 0;
	else if (colon && !strcmp(colon, ":desc"))
		*dir = 1;
	else if (colon)
		return mv_usage_error(verb, "invalid sort order '%s': expected "
				      "COL, COL:asc or COL:desc", spec);
	if (!len || len >= size)
		return mv_usage_error(verb, "invalid sort column '%s'", spec);
	memcpy(col, spec, len);
	col[len] = 0;
	return 0;
}

struct sort_ctx {
	const struct mv_cell *keys;
	enum mv_fmt fmt;
	bool desc;
};

static int cmp_present(const struct sort_ctx *s, const struct mv_cell *x,
		       const struct mv_cell *y)
{
	if (s->fmt == MV_FMT_STR)
		return strcmp(x->s, y->s);
	if (mv_fmt_is_double(s->fmt))
		return x->d < y->d ? -1 : x->d > y->d;
	return x->u < y->u ? -1 : x->u > y->u;
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *s = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const struct mv_cell *x = &s->keys[a], *y = &s->keys[b];
	bool hx = x->present && (s->fmt != MV_FMT_STR || x->s);
	bool hy = y->present && (s->fmt != MV_FMT_STR || y->s);
	int c;

	if (hx != hy)
		return hx ? -1 : 1;	/* no value: last either way */
	c = hx ? cmp_present(s, x, y) : 0;
	if (c)
		return s->desc ? -c : c;
	return a < b ? -1 : a > b;
}

void mv_sort_cells(size_t *order, size_t n, const struct mv_cell *keys,
		   enum mv_fmt fmt, bool desc)
{
	struct sort_ctx s = { keys, fmt, desc };

	qsort_r(order, n, sizeof(*order), cmp_rows, &s);
}
