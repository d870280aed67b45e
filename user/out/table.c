// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: value formatting and libsmartcols tables.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/out.h"

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
char *mv_ppm_str(uint64_t ppm, bool json)
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

void mv_fmt_ns(char *buf, size_t len, double ns)
{
	if (ns <= 0)
		snprintf(buf, len, "-");
	else if (ns < 1000)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

char *mv_format_d(enum mv_fmt fmt, double v, const struct mv_opts *o)
{
	char buf[64];

	if (o->json)
		snprintf(buf, sizeof(buf), "%.15g", v);
	else if (fmt == MV_FMT_RATE)
		snprintf(buf, sizeof(buf), v == 0 ? "0" : v < 10 ? "%.1f" : "%.0f", v);
	else if (fmt == MV_FMT_NS)
		mv_fmt_ns(buf, sizeof(buf), v);
	else if (fmt == MV_FMT_MILLI)
		snprintf(buf, sizeof(buf), "%.3f", v);
	else
		snprintf(buf, sizeof(buf), "%.1f", v);
	return strdup(buf);
}

int mv_table_title(const struct mv_opts *o, const char *title)
{
	if (o->noheadings || o->raw)
		return 0;
	return printf("%s\n", title) < 0 ? -EIO : 0;
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

static int mv_cell_take(struct libscols_line *ln, size_t col, char *s)
{
	if (!s)
		return -ENOMEM;
	/* The line takes ownership of s. */
	if (scols_line_refer_data(ln, col, s)) {
		free(s);
		return -ENOMEM;
	}
	return 0;
}

int mv_cell_value(struct libscols_line *ln, size_t col, enum mv_fmt fmt,
		  bool present, uint64_t v, const struct mv_opts *o)
{
	if (!present)
		return mv_cell_str(ln, col, NULL, o);
	return mv_cell_take(ln, col, mv_format(fmt, v, o));
}


int mv_cell_double(struct libscols_line *ln, size_t col, enum mv_fmt fmt,
		   bool present, double v, const struct mv_opts *o)
{
	if (!present)
		return mv_cell_str(ln, col, NULL, o);
	return mv_cell_take(ln, col, mv_format_d(fmt, v, o));
}

int mv_cell_str(struct libscols_line *ln, size_t col, const char *s,
		const struct mv_opts *o)
{
	if (!s && o->json)
		return 0;	/* empty cell: null in JSON */
	return scols_line_set_data(ln, col, s ? s : "-") ? -ENOMEM : 0;
}

void mv_help_col(FILE *f, bool deflt, const char *name, const char *help)
{
	fprintf(f, " %c%12s  %s\n", deflt ? '*' : ' ', name, help);
}

int mv_table_print(struct libscols_table *tb)
{
	int err = scols_print_table(tb);

	return err ? (err < 0 ? err : -EIO) : 0;
}

static void mv_cell_release(struct mv_cell *c)
{
	free(c->owned);
	json_object_put(c->json);
	memset(c, 0, sizeof(*c));
}

static int mv_cell_put(struct libscols_line *ln, size_t col,
		       const struct mv_col *mc, const struct mv_cell *c,
		       const struct mv_opts *o)
{
	if (mc->fmt == MV_FMT_STR)
		return mv_cell_str(ln, col, c->s, o);
	if (mv_fmt_is_double(mc->fmt))
		return mv_cell_double(ln, col, mc->fmt, c->present, c->d, o);
	return mv_cell_value(ln, col, mc->fmt, c->present, c->u, o);
}

static int mv_rows_line(const struct mv_rows *r, struct libscols_table *tb,
			size_t row, struct mv_cell *cells, const struct mv_opts *o)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	size_t k, col = 0;
	int err;

	if (!ln)
		return -ENOMEM;
	memset(cells, 0, r->ncols * sizeof(*cells));
	err = r->row(r->arg, row, cells);
	for (k = 0; k < r->ncols; k++) {
		if (!err && !(r->cols[k].flags & MV_COL_JSON_ONLY))
			err = mv_cell_put(ln, col++, &r->cols[k], &cells[k], o);
		mv_cell_release(&cells[k]);
	}
	return err;
}

int mv_rows_print(const struct mv_rows *r, const char *title,
		  const struct mv_opts *o)
{
	struct libscols_table *tb;
	struct mv_cell *cells;
	size_t k, i;
	int err = -ENOMEM;

	/* JSON through json-c: libsmartcols would key by the column names. */
	if (o->json)
		return mv_json_print_named(r->name, mv_rows_json(r));
	tb = mv_table_new(o, r->name);
	cells = calloc(r->ncols ? r->ncols : 1, sizeof(*cells));
	if (!tb || !cells)
		goto out;
	for (k = 0; k < r->ncols; k++)
		if (!(r->cols[k].flags & MV_COL_JSON_ONLY) &&
		    !mv_table_col(tb, r->cols[k].name, r->cols[k].whint, 0,
				  r->cols[k].fmt))
			goto out;
	for (i = 0, err = 0; i < r->nrows && !err; i++)
		err = mv_rows_line(r, tb, i, cells, o);
	if (!err && title)
		err = mv_table_title(o, title);
	if (!err)
		err = mv_table_print(tb);
out:
	free(cells);
	scols_unref_table(tb);
	return err;
}

int mv_kv_print(const char *name, const struct mv_kv *kv, size_t nr,
		const struct mv_opts *o)
{
	struct json_object *obj, *inner;
	struct libscols_table *tb;
	struct libscols_line *ln;
	char label[64];
	size_t i;
	int err = -ENOMEM;

	if (o->json) {
		obj = json_object_new_object();
		inner = json_object_new_object();
		if (!obj || !inner || mv_json_add(obj, name, inner)) {
			json_object_put(obj);
			return -ENOMEM;
		}
		for (i = 0, err = 0; i < nr && !err; i++)
			err = mv_json_add_value(inner, kv[i].key, kv[i].fmt,
						kv[i].present, kv[i].v);
		if (!err)
			err = mv_json_print(obj);
		json_object_put(obj);
		return err;
	}
	tb = mv_table_new(o, name);
	if (!tb)
		return -ENOMEM;
	scols_table_enable_noheadings(tb, 1);
	if (!scols_table_new_column(tb, "FIELD", 0, 0) ||
	    !scols_table_new_column(tb, "DATA", 0, SCOLS_FL_RIGHT))
		goto out;
	for (i = 0; i < nr; i++) {
		snprintf(label, sizeof(label), "%s:", kv[i].label);
		ln = scols_table_new_line(tb, NULL);
		if (!ln || scols_line_set_data(ln, 0, label) ||
		    mv_cell_value(ln, 1, kv[i].fmt, kv[i].present, kv[i].v, o))
			goto out;
	}
	err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}
