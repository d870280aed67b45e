// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: value formatting, libsmartcols tables and json-c documents.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

char *mv_size_to_human(uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	unsigned int exp = 0, tenths = 0;
	uint64_t whole = bytes;
	char *s;
	int n;

	while (exp < sizeof(units) - 2 && (bytes >> (10 * (exp + 1))))
		exp++;
	if (exp) {
		unsigned int shift = 10 * exp;
		uint64_t frac = bytes & ((1ULL << shift) - 1);

		whole = bytes >> shift;
		/* One rounded decimal; frac * 10 cannot overflow (< 2^64). */
		tenths = (frac * 10 + (1ULL << (shift - 1))) >> shift;
		if (tenths == 10) {
			whole++;
			tenths = 0;
		}
	}
	if (tenths)
		n = asprintf(&s, "%" PRIu64 ".%u%c", whole, tenths, units[exp]);
	else
		n = asprintf(&s, "%" PRIu64 "%c", whole, units[exp]);
	return n < 0 ? NULL : s;
}

/* 987654 ppm: "98.8%" in tables, 98.7654 (exact, no trailing zeros) in JSON. */
static char *mv_ppm_str(uint64_t ppm, bool json)
{
	char *s;
	int n;

	if (!json) {
		n = asprintf(&s, "%.1f%%", (double)ppm / 10000.0);
		return n < 0 ? NULL : s;
	}
	n = asprintf(&s, "%" PRIu64 ".%04" PRIu64, ppm / 10000, ppm % 10000);
	if (n < 0)
		return NULL;
	while (n > 0 && s[n - 1] == '0')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	return s;
}

char *mv_format(enum mv_fmt fmt, uint64_t v, const struct mv_opts *o)
{
	char *s;
	int n;

	switch (fmt) {
	case MV_FMT_SIZE:
		if (!o->bytes && !o->json)
			return mv_size_to_human(v);
		break;
	case MV_FMT_PPM:
		return mv_ppm_str(v, o->json);
	case MV_FMT_HEX:
		if (o->json)
			break;
		n = asprintf(&s, "0x%" PRIx64, v);
		return n < 0 ? NULL : s;
	default:
		break;
	}
	n = asprintf(&s, "%" PRIu64, v);
	return n < 0 ? NULL : s;
}

struct libscols_table *mv_table_new(const struct mv_opts *o, const char *name)
{
	struct libscols_table *tb = scols_new_table();

	if (!tb)
		return NULL;
	if (scols_table_set_name(tb, name)) {
		scols_unref_table(tb);
		return NULL;
	}
	scols_table_enable_json(tb, o->json);
	scols_table_enable_raw(tb, o->raw);
	scols_table_enable_noheadings(tb, o->noheadings);
	return tb;
}

struct libscols_column *mv_table_col(struct libscols_table *tb,
				     const char *name, double whint,
				     int flags, enum mv_fmt fmt)
{
	struct libscols_column *cl;

	if (fmt != MV_FMT_STR)
		flags |= SCOLS_FL_RIGHT;
	cl = scols_table_new_column(tb, name, whint, flags);
	if (!cl)
		return NULL;
	if (fmt != MV_FMT_STR)
		scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
	return cl;
}

int mv_cell_value(struct libscols_line *ln, size_t col, enum mv_fmt fmt,
		  bool present, uint64_t v, const struct mv_opts *o)
{
	char *s;

	if (!present)
		return mv_cell_str(ln, col, NULL, o);
	s = mv_format(fmt, v, o);
	if (!s)
		return -ENOMEM;
	/* The line takes ownership of s. */
	if (scols_line_refer_data(ln, col, s)) {
		free(s);
		return -ENOMEM;
	}
	return 0;
}

int mv_cell_str(struct libscols_line *ln, size_t col, const char *s,
		const struct mv_opts *o)
{
	if (!s && o->json)
		return 0;	/* empty cell: null in JSON */
	return scols_line_set_data(ln, col, s ? s : "-") ? -ENOMEM : 0;
}

int mv_table_print(struct libscols_table *tb)
{
	int err = scols_print_table(tb);

	return err ? (err < 0 ? err : -EIO) : 0;
}

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

	for (i = 0; size && i < size - 1 && name[i]; i++)
		dst[i] = tolower((unsigned char)name[i]);
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
