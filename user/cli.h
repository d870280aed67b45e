/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: options shared by every verb, exit codes, verb entry points.
 */
#ifndef MEMVIRT_CLI_H
#define MEMVIRT_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

#define MEMVIRT_CLI_VERSION	"0.1"

enum {
	MV_EXIT_OK	= 0,
	MV_EXIT_FAILURE	= 1,	/* runtime error */
	MV_EXIT_USAGE	= 2,	/* bad command line */
};

/* Options every verb understands; the only mutable state besides locals. */
struct mv_opts {
	bool json;		/* -J: one JSON document on stdout */
	bool raw;		/* -r: no column alignment */
	bool bytes;		/* -b: sizes in bytes, not 1.5G */
	bool noheadings;	/* -n */
};

/*
 * Common short and long options, to be merged into each verb's tables.
 * Long-only options use values above the char range.
 */
#define MV_COMMON_SHORTOPTS	"Jrbnh"
#define MV_COMMON_LONGOPTS					\
	{ "json",	no_argument,	NULL, 'J' },		\
	{ "raw",	no_argument,	NULL, 'r' },		\
	{ "bytes",	no_argument,	NULL, 'b' },		\
	{ "noheadings",	no_argument,	NULL, 'n' },		\
	{ "help",	no_argument,	NULL, 'h' }

#define MV_COMMON_HELP						\
	" -J, --json             use JSON output format (sizes in bytes)\n" \
	" -r, --raw              use raw output format\n"	\
	" -b, --bytes            print sizes in bytes\n"	\
	" -n, --noheadings       don't print headings\n"	\
	" -h, --help             display this help\n"

/* Returns true if @c was a common option and has been stored in @o. */
bool mv_common_opt(int c, struct mv_opts *o);
/* Checks combinations; prints the problem and returns false if invalid. */
bool mv_opts_valid(const struct mv_opts *o);

/* Prints "memvirt: <msg>" and the --help hint; returns MV_EXIT_USAGE. */
int mv_usage_error(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Seconds in [@min, @max] and above 0 from @s ("2", "0.5"); 0 or -1. */
int mv_parse_seconds(const char *s, double min, double max, double *out);

/* CLOCK_MONOTONIC in seconds. */
double mv_now(void);
/* Sleeps until mv_now() reaches @t or *@stop is set (by a signal handler). */
void mv_sleep_until(double t, volatile sig_atomic_t *stop);

/* Verbs: argv[0] is the verb name. Return an exit code. */
int mv_cmd_list(int argc, char **argv, struct mv_opts *o);
int mv_cmd_show(int argc, char **argv, struct mv_opts *o);
int mv_cmd_top(int argc, char **argv, struct mv_opts *o);
int mv_cmd_export(int argc, char **argv, struct mv_opts *o);

#endif /* MEMVIRT_CLI_H */
