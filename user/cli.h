/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the options every verb shares, the one parser that reads them
 * (and the verb's own), the one shape of --help, the verbs' entry points.
 */
#ifndef MEMVIRT_CLI_H
#define MEMVIRT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "lib/filter.h"
#include "lib/util.h"

#define MEMVIRT_CLI_VERSION	"0.1"

/* Options every verb understands; the only mutable state besides locals. */
struct mv_opts {
	bool json;		/* -J: JSON on stdout */
	bool raw;		/* -r: no column alignment */
	bool bytes;		/* -b: sizes in bytes, not 1.5G */
	bool noheadings;	/* -n */
	const char *output;	/* -o: the table's columns; NULL: defaults */
	bool output_all;	/* --output-all */
	const char *sort;	/* -s: "COL", "COL:asc", "COL:desc"; NULL: none */
	struct mv_filter filter;	/* --vm, --pid, --comm */
};

#define MV_COMMON_HELP						\
	" -J, --json             use JSON output format (sizes in bytes)\n" \
	" -r, --raw              use raw output format\n"	\
	" -b, --bytes            print sizes in bytes\n"	\
	" -n, --noheadings       don't print headings\n"	\
	" -h, --help             display this help\n"

/* A verb's command line: what mv_parse_opts() and mv_cmd_usage() read. */
struct mv_cmd {
	const char *name;
	const char *args;		/* after "[options]" in the usage line */
	const char *about;		/* what the verb does, a paragraph */
	const char *shortopts;		/* the verb's own options */
	const struct option *longopts;	/* the same, NULL-terminated, or NULL */
	const char *opts_help;		/* their help lines */
	bool columns;			/* one table: -o, --output-all, -s */
	bool filter;			/* of VMs: --vm, --pid, --comm */
	unsigned int min_args, max_args;
	void (*help_more)(FILE *f);	/* columns, notes: after the options */
	/* A verb option @c (@arg its argument): 0 or MV_EXIT_USAGE (said why). */
	int (*opt)(int c, const char *arg, void *ctx);
};

/*
 * Reads argv (argv[0] the verb) into @o and, through cmd->opt, @ctx.
 * Returns 0 (the arguments are argv[optind..argc)), -1 after --help, or
 * MV_EXIT_USAGE after saying what was wrong.
 */
int mv_parse_opts(const struct mv_cmd *cmd, int argc, char **argv,
		  struct mv_opts *o, void *ctx);
void mv_cmd_usage(const struct mv_cmd *cmd, FILE *f);

/* mv_parse_opts()'s result as an exit code, for "if (rc) return rc"-style use. */
static inline int mv_parse_exit(int rc)
{
	return rc < 0 ? MV_EXIT_OK : rc;
}

/* Verbs: argv[0] is the verb name. Return an exit code. */
int mv_cmd_list(int argc, char **argv, struct mv_opts *o);
int mv_cmd_show(int argc, char **argv, struct mv_opts *o);
int mv_cmd_frag(int argc, char **argv, struct mv_opts *o);
int mv_cmd_faults(int argc, char **argv, struct mv_opts *o);
int mv_cmd_top(int argc, char **argv, struct mv_opts *o);
int mv_cmd_export(int argc, char **argv, struct mv_opts *o);

#endif /* MEMVIRT_CLI_H */
