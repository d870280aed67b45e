/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the output layer. Tables (aligned, raw or JSON) are
 * libsmartcols tables; documents that nest several tables are built with
 * json-c. Both render a value through the same formats, and both show a
 * statistic the kernel did not report as "-" (tables) or null (JSON).
 */
#ifndef MEMVIRT_OUT_H
#define MEMVIRT_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <libsmartcols.h>
#include <json.h>

#include "cli.h"

enum mv_fmt {
	MV_FMT_STR,	/* string */
	MV_FMT_NUM,	/* plain count */
	MV_FMT_SIZE,	/* bytes: human (1.5G) unless --bytes or --json */
	MV_FMT_PPM,	/* parts per million, shown as a percentage */
	MV_FMT_HEX,	/* address: 0x... in tables, a number in JSON */
	/* Doubles: mv_format_d(), mv_cell_double(), mv_json_double(). */
	MV_FMT_RATE,	/* per second: "0", "2.5", "1200" */
	MV_FMT_PCT,	/* percent: "12.5" */
	MV_FMT_NS,	/* nanoseconds: "850ns", "12.3us" in tables */
	MV_FMT_MILLI,	/* an index to three decimals: "0.326", "-1.000" */
	MV_FMT_SECS,	/* seconds */
};

static inline bool mv_fmt_is_double(enum mv_fmt fmt)
{
	return fmt >= MV_FMT_RATE;
}

/* "1.5G", "512M", "4K", "100B". Returns a malloc()ed string or NULL. */
char *mv_size_to_human(uint64_t bytes);

/* 987654 ppm: "98.8%" in tables, 98.7654 in JSON; malloc()ed or NULL. */
char *mv_ppm_str(uint64_t ppm, bool json);
/* @v rendered for @o's mode; malloc()ed, NULL if out of memory. */
char *mv_format(enum mv_fmt fmt, uint64_t v, const struct mv_opts *o);

/* The double @v rendered for a table (JSON: "%.15g"); malloc()ed or NULL. */
char *mv_format_d(enum mv_fmt fmt, double v, const struct mv_opts *o);
/* "850ns", "12.3us", "1.2ms"; "-" for 0. */
void mv_fmt_ns(char *buf, size_t len, double ns);

/* A table in the mode @o asks for; @name is the JSON array name. */
struct libscols_table *mv_table_new(const struct mv_opts *o, const char *name);
/* A column typed for JSON after @fmt; numbers are right-aligned. */
struct libscols_column *mv_table_col(struct libscols_table *tb,
				     const char *name, double whint,
				     int flags, enum mv_fmt fmt);
/* Cell @col of @ln: the value, or "-"/null when !@present. 0 or -ENOMEM. */
int mv_cell_value(struct libscols_line *ln, size_t col, enum mv_fmt fmt,
		  bool present, uint64_t v, const struct mv_opts *o);
/* The same for a double format. */
int mv_cell_double(struct libscols_line *ln, size_t col, enum mv_fmt fmt,
		   bool present, double v, const struct mv_opts *o);
/* Prints the table title @title unless -n or -r; 0 or -EIO. */
int mv_table_title(const struct mv_opts *o, const char *title);
/* Cell @col of @ln: the string @s, or "-"/null when NULL. */
int mv_cell_str(struct libscols_line *ln, size_t col, const char *s,
		const struct mv_opts *o);
/*
 * One line of a verb's --help column list: " *        NAME  help" (* if a
 * default column). Documentation/man/Makefile reads these lines.
 */
void mv_help_col(FILE *f, bool deflt, const char *name, const char *help);
/* Prints @tb; 0 or -errno. */
int mv_table_print(struct libscols_table *tb);

/* JSON: value or null (returns NULL for null, sets *@err on ENOMEM). */
struct json_object *mv_json_value(enum mv_fmt fmt, bool present, uint64_t v,
				  int *err);
/* JSON: a double in @fmt's unit, or null. */
struct json_object *mv_json_double(enum mv_fmt fmt, bool present, double v,
				   int *err);
/*
 * JSON: the string @s, NULL on ENOMEM. Every string that comes from outside
 * (a comm, a VM name, a label value) goes through here: JSON is UTF-8, so
 * each byte that starts no valid UTF-8 sequence becomes U+FFFD, the rule of
 * export's labels too (mv_utf8_clean()).
 */
struct json_object *mv_json_string(const char *s);
/* arr += a new object, returned; NULL (and *@err = -ENOMEM) on failure. */
struct json_object *mv_json_push(struct json_object *arr, int *err);
/* obj[@key] = @val; consumes @val. 0 or -ENOMEM. */
int mv_json_add(struct json_object *obj, const char *key,
		struct json_object *val);
/* obj[@key] = value or null. 0 or -ENOMEM. */
int mv_json_add_value(struct json_object *obj, const char *key,
		      enum mv_fmt fmt, bool present, uint64_t v);
/* @name as a JSON key: lower case, '-' as '_' ("MAP-4K": "map_4k"). */
void mv_json_key(char *dst, size_t size, const char *name);
/* Pretty-prints @obj and a newline on stdout; 0 or -errno. */
int mv_json_print(struct json_object *obj);
/* {"@name": @val} pretty-printed; consumes @val (NULL: -ENOMEM). */
int mv_json_print_named(const char *name, struct json_object *val);
/* @obj on one line (documents repeated every interval); 0 or -errno. */
int mv_json_print_line(struct json_object *obj, FILE *f);

/*
 * Tables of rows, rendered as a libsmartcols table or as a JSON array of
 * objects (keys: the column names in snake_case) from one description.
 */
enum {
	MV_COL_TABLE_ONLY	= 1 << 0,
	MV_COL_JSON_ONLY	= 1 << 1,
};

struct mv_col {
	const char *name;
	enum mv_fmt fmt;
	double whint;
	unsigned int flags;
	const char *key;	/* JSON key; NULL: the name in snake_case */
};

/* One cell: a number (u or d after the column's format) or a string. */
struct mv_cell {
	bool present;
	uint64_t u;
	double d;
	const char *s;		/* MV_FMT_STR; NULL: "-" or null */
	char *owned;		/* freed after use; s may point into it */
	struct json_object *json;	/* JSON: this value instead (consumed) */
};

/* Fills cells[0..ncols) of row @row; 0 or -ENOMEM. */
typedef int (*mv_row_fn)(void *arg, size_t row, struct mv_cell *cells);

struct mv_rows {
	const char *name;		/* the JSON array's name */
	const struct mv_col *cols;
	size_t ncols, nrows;
	mv_row_fn row;
	void *arg;
};

/* Prints @r as a table (after @title unless NULL, -n or -r); 0 or -errno. */
int mv_rows_print(const struct mv_rows *r, const char *title,
		  const struct mv_opts *o);
/* @r as a JSON array; NULL on ENOMEM. */
struct json_object *mv_rows_json(const struct mv_rows *r);
/* parent[r->name] = mv_rows_json(@r); 0 or -ENOMEM. */
int mv_rows_json_add(struct json_object *parent, const struct mv_rows *r);

/* "Label: value" lines, or with --json one object @name of key: value. */
struct mv_kv {
	const char *label, *key;
	enum mv_fmt fmt;
	bool present;
	uint64_t v;
};

int mv_kv_print(const char *name, const struct mv_kv *kv, size_t nr,
		const struct mv_opts *o);

#endif /* MEMVIRT_OUT_H */
