// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: json-c documents: values, keys, printing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/out.h"

struct json_object *mv_json_value(enum mv_fmt fmt, bool present, uint64_t v,
				  int *err)
{
	struct json_object *j;
	char *s;

	if (!present)
		return NULL;
	if (fmt == MV_FMT_PPM) {
		s = mv_ppm_str(v, true);
		if (!s) {
			*err = -ENOMEM;
			return NULL;
		}
		j = json_object_new_double_s((double)v / 10000.0, s);
		free(s);
	} else {
		j = json_object_new_uint64(v);
	}
	if (!j)
		*err = -ENOMEM;
	return j;
}

struct json_object *mv_json_double(enum mv_fmt fmt, bool present, double v,
				   int *err)
{
	struct json_object *j;
	char s[64];

	if (!present)
		return NULL;
	if (fmt == MV_FMT_MILLI) {
		snprintf(s, sizeof(s), "%.3f", v);
		j = json_object_new_double_s(v, s);
	} else {
		j = json_object_new_double(v);
	}
	if (!j)
		*err = -ENOMEM;
	return j;
}

struct json_object *mv_json_string(const char *s)
{
	size_t size = 3 * strlen(s) + 1;	/* U+FFFD is 3 bytes */
	struct json_object *j;
	char *buf = malloc(size);

	if (!buf)
		return NULL;
	j = json_object_new_string(mv_utf8_clean(buf, size, s));
	free(buf);
	return j;
}

struct json_object *mv_json_push(struct json_object *arr, int *err)
{
	struct json_object *j = json_object_new_object();

	if (!j || json_object_array_add(arr, j)) {
		json_object_put(j);
		*err = -ENOMEM;
		return NULL;
	}
	return j;
}

int mv_json_add(struct json_object *obj, const char *key,
		struct json_object *val)
{
	if (json_object_object_add(obj, key, val)) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

int mv_json_add_value(struct json_object *obj, const char *key,
		      enum mv_fmt fmt, bool present, uint64_t v)
{
	struct json_object *j;
	int err = 0;

	j = mv_json_value(fmt, present, v, &err);
	return err ? err : mv_json_add(obj, key, j);
}

void mv_json_key(char *dst, size_t size, const char *name)
{
	size_t i;

	/* "MAP-4K" -> "map_4k": snake_case, as every key of every verb. */
	for (i = 0; size && i < size - 1 && name[i]; i++)
		dst[i] = name[i] == '-' ? '_' : tolower((unsigned char)name[i]);
	if (size)
		dst[i] = '\0';
}

int mv_json_print(struct json_object *obj)
{
	const char *s;

	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_SPACED |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF)
		return -EIO;
	return 0;
}

int mv_json_print_line(struct json_object *obj, FILE *f)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return -ENOMEM;
	if (fputs(s, f) == EOF || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}

static struct json_object *mv_cell_json(const struct mv_col *mc,
					struct mv_cell *c, int *err)
{
	struct json_object *j;

	if (c->json) {
		j = c->json;
		c->json = NULL;
		return j;
	}
	if (mc->fmt == MV_FMT_STR) {
		if (!c->s)
			return NULL;
		j = mv_json_string(c->s);
		if (!j)
			*err = -ENOMEM;
		return j;
	}
	if (mv_fmt_is_double(mc->fmt))
		return mv_json_double(mc->fmt, c->present, c->d, err);
	return mv_json_value(mc->fmt, c->present, c->u, err);
}

static int mv_rows_obj(const struct mv_rows *r, struct json_object *obj,
		       size_t row, struct mv_cell *cells)
{
	char key[48];
	size_t k;
	int err;

	memset(cells, 0, r->ncols * sizeof(*cells));
	err = r->row(r->arg, row, cells);
	for (k = 0; k < r->ncols; k++) {
		if (!err && !(r->cols[k].flags & MV_COL_TABLE_ONLY)) {
			struct json_object *j = mv_cell_json(&r->cols[k], &cells[k], &err);

			mv_json_key(key, sizeof(key), r->cols[k].name);
			if (!err)
				err = mv_json_add(obj, r->cols[k].key ?: key, j);
		}
		free(cells[k].owned);
		json_object_put(cells[k].json);
	}
	return err;
}

struct json_object *mv_rows_json(const struct mv_rows *r)
{
	struct json_object *arr = json_object_new_array(), *obj;
	struct mv_cell *cells = calloc(r->ncols ? r->ncols : 1, sizeof(*cells));
	size_t i;
	int err = arr && cells ? 0 : -ENOMEM;

	for (i = 0; i < r->nrows && !err; i++) {
		obj = mv_json_push(arr, &err);
		if (!err)
			err = mv_rows_obj(r, obj, i, cells);
	}
	free(cells);
	if (err) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

int mv_rows_json_add(struct json_object *parent, const struct mv_rows *r)
{
	struct json_object *arr = mv_rows_json(r);

	return arr ? mv_json_add(parent, r->name, arr) : -ENOMEM;
}

int mv_json_print_named(const char *name, struct json_object *val)
{
	struct json_object *obj;
	int err;

	if (!val)
		return -ENOMEM;
	obj = json_object_new_object();
	if (!obj) {
		json_object_put(val);
		return -ENOMEM;
	}
	err = mv_json_add(obj, name, val) ?: mv_json_print(obj);
	json_object_put(obj);
	return err;
}
