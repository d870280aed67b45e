/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the output layer. Tables (aligned, raw or JSON) are
 * libsmartcols tables; documents that nest several tables are built with
 * json-c. Both render a value through the same formats, and both show a
 * statistic the kernel did not report as "-" (tables) or null (JSON).
 */
#ifndef MEMVIRT_OUTPUT_H
#define MEMVIRT_OUTPUT_H

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
};

/* "1.5G", "512M", "4K", "100B". Returns a malloc()ed string or NULL. */
char *mv_size_to_human(uint64_t bytes);

/* @v rendered for @o's mode; malloc()ed, NULL if out of memory. */
char *mv_format(enum mv_fmt fmt, uint64_t v, const struct mv_opts *o);

/* A table in the mode @o asks for; @name is the JSON array name. */
struct libscols_table *mv_table_new(const struct mv_opts *o, const char *name);
/* A column typed for JSON after @fmt; numbers are right-aligned. */
struct libscols_column *mv_table_col(struct libscols_table *tb,
				     const char *name, double whint,
				     int flags, enum mv_fmt fmt);
/* Cell @col of @ln: the value, or "-"/null when !@present. 0 or -ENOMEM. */
int mv_cell_value(struct libscols_line *ln, size_t col, enum mv_fmt fmt,
		  bool present, uint64_t v, const struct mv_opts *o);
/* Cell @col of @ln: the string @s, or "-"/null when NULL. */
int mv_cell_str(struct libscols_line *ln, size_t col, const char *s,
		const struct mv_opts *o);
/* Prints @tb; 0 or -errno. */
int mv_table_print(struct libscols_table *tb);

/* JSON: value or null (returns NULL for null, sets *@err on ENOMEM). */
struct json_object *mv_json_value(enum mv_fmt fmt, bool present, uint64_t v,
				  int *err);
/* obj[@key] = @val; consumes @val. 0 or -ENOMEM. */
int mv_json_add(struct json_object *obj, const char *key,
		struct json_object *val);
/* obj[@key] = value or null. 0 or -ENOMEM. */
int mv_json_add_value(struct json_object *obj, const char *key,
		      enum mv_fmt fmt, bool present, uint64_t v);
/* @name in lower case, as libsmartcols names JSON keys. */
void mv_json_key(char *dst, size_t size, const char *name);
/* Pretty-prints @obj and a newline on stdout; 0 or -errno. */
int mv_json_print(struct json_object *obj);

#endif /* MEMVIRT_OUTPUT_H */
