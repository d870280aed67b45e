// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt: memory observatory for KVM hosts - command line front end.
 *
 *   memvirt [options] <verb> [verb options] [arguments]
 *
 * Common options may come before or after the verb. This file holds the
 * verb table and the one parser of command lines; the verbs are cmd-*.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/memvirt.h>

#include "cli.h"

struct mv_verb {
	const char *name;
	int (*run)(int argc, char **argv, struct mv_opts *o);
	const char *help;
};

static const struct mv_verb verbs[] = {
	{ "list", mv_cmd_list, "list the VMs on this host, one per line" },
	{ "show", mv_cmd_show, "show everything known about one VM" },
	{ "faults", mv_cmd_faults, "trace KVM page faults per VM (eBPF)" },
	{ "frag", mv_cmd_frag, "host fragmentation: can VMs get 2M/1G pages?" },
	{ "top", mv_cmd_top, "the VMs, refreshed: memory next to page faults" },
	{ "export", mv_cmd_export, "all of it as Prometheus metrics, once or every interval" },
};

enum { OPT_OUTPUT_ALL = 0x1000 };

static const struct option common_longopts[] = {
	{ "json",	no_argument,	NULL, 'J' },
	{ "raw",	no_argument,	NULL, 'r' },
	{ "bytes",	no_argument,	NULL, 'b' },
	{ "noheadings",	no_argument,	NULL, 'n' },
	{ "help",	no_argument,	NULL, 'h' },
};

static const struct option column_longopts[] = {
	{ "output",	required_argument, NULL, 'o' },
	{ "output-all",	no_argument,	NULL, OPT_OUTPUT_ALL },
	{ "sort",	required_argument, NULL, 's' },
};

static const struct option filter_longopts[] = {
	{ "vm",		required_argument, NULL, MV_OPT_VM },
	{ "pid",	required_argument, NULL, MV_OPT_PID },
	{ "comm",	required_argument, NULL, MV_OPT_COMM },
};

#define MV_MAX_LONGOPTS	64

/* Returns true if @c was a common option and has been stored in @o. */
static bool mv_common_opt(int c, struct mv_opts *o)
{
	switch (c) {
	case 'J':
		o->json = true;
		return true;
	case 'r':
		o->raw = true;
		return true;
	case 'b':
		o->bytes = true;
		return true;
	case 'n':
		o->noheadings = true;
		return true;
	default:
		return false;
	}
}

void mv_cmd_usage(const struct mv_cmd *cmd, FILE *f)
{
	fprintf(f, "Usage:\n memvirt %s [options]%s%s\n\n%s\n\nOptions:\n%s",
		cmd->name, cmd->args ? " " : "", cmd->args ? cmd->args : "",
		cmd->about, cmd->opts_help ? cmd->opts_help : "");
	if (cmd->filter)
		fputs(MV_FILTER_HELP, f);
	if (cmd->columns)
		fputs(" -o, --output <list>    columns to print; \"+COL,...\" adds to the defaults\n"
		      "     --output-all       print all columns\n"
		      " -s, --sort <col>[:asc|:desc]\n"
		      "                        sort the rows by a column (numbers largest\n"
		      "                        first, text A-Z, unless :asc or :desc)\n", f);
	fputs(MV_COMMON_HELP, f);
	if (cmd->help_more) {
		fputc('\n', f);
		cmd->help_more(f);
	}
}

/* The verb's options, then the column options, then the common ones. */
static int mv_merge_longopts(const struct mv_cmd *cmd, struct option *lo)
{
	size_t n = 0, i;

	for (i = 0; cmd->longopts && cmd->longopts[i].name; i++)
		lo[n++] = cmd->longopts[i];
	for (i = 0; cmd->columns && i < ARRAY_SIZE(column_longopts); i++)
		lo[n++] = column_longopts[i];
	for (i = 0; cmd->filter && i < ARRAY_SIZE(filter_longopts); i++)
		lo[n++] = filter_longopts[i];
	for (i = 0; i < ARRAY_SIZE(common_longopts); i++)
		lo[n++] = common_longopts[i];
	if (n >= MV_MAX_LONGOPTS)
		return -1;
	memset(&lo[n], 0, sizeof(lo[n]));
	return 0;
}

int mv_parse_opts(const struct mv_cmd *cmd, int argc, char **argv,
		  struct mv_opts *o, void *ctx)
{
	struct option lo[MV_MAX_LONGOPTS + 1];
	char so[64];
	unsigned int nargs;
	int c, rc;

	if (mv_merge_longopts(cmd, lo))
		return mv_usage_error(cmd->name, "internal error: too many options");
	snprintf(so, sizeof(so), "%s%sJrbnh", cmd->shortopts ? cmd->shortopts : "",
		 cmd->columns ? "o:s:" : "");
	optind = 0;	/* full getopt re-initialisation for the verb */
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (mv_common_opt(c, o))
			continue;
		if (c == 'h') {
			mv_cmd_usage(cmd, stdout);
			return -1;
		}
		if (cmd->columns && c == 'o') {
			o->output = optarg;
			continue;
		}
		if (cmd->columns && c == OPT_OUTPUT_ALL) {
			o->output_all = true;
			continue;
		}
		if (cmd->columns && c == 's') {
			o->sort = optarg;
			continue;
		}
		if (cmd->filter && c >= MV_OPT_VM && c <= MV_OPT_COMM) {
			rc = mv_filter_opt(&o->filter, cmd->name, c, optarg);
			if (rc)
				return rc;
			continue;
		}
		if (c == '?' || !cmd->opt) {
			fprintf(stderr, "Try 'memvirt %s --help' for more information.\n",
				cmd->name);
			return MV_EXIT_USAGE;
		}
		rc = cmd->opt(c, optarg, ctx);
		if (rc)
			return rc;
	}
	nargs = argc - optind;
	if (nargs < cmd->min_args)
		return mv_usage_error(cmd->name, "no %s given", cmd->args);
	if (nargs > cmd->max_args)
		return mv_usage_error(cmd->name, "unexpected argument '%s'",
				      argv[optind + cmd->max_args]);
	if (o->json && o->raw)
		return mv_usage_error(cmd->name, "--json and --raw are mutually exclusive");
	return 0;
}

/* Like util-linux close_stdout(): a failed write must not exit 0. */
static void mv_close_stdout(void)
{
	bool failed = ferror(stdout);

	errno = 0;
	if (fclose(stdout) != 0)
		failed = true;
	else if (failed && !errno)
		errno = EIO;
	if (failed && errno != EPIPE) {
		mv_err("write error: %s", errno ? strerror(errno) : "unknown");
		_exit(MV_EXIT_FAILURE);
	}
	if (fclose(stderr) != 0)
		_exit(MV_EXIT_FAILURE);
}

static void mv_usage(FILE *out)
{
	size_t i;

	fputs("Usage:\n"
	      " memvirt [options] <verb> [verb options]\n"
	      "\n"
	      "Observe the memory KVM spends on each VM of this host.\n"
	      "\n"
	      "Verbs:\n", out);
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(out, " %-22s %s\n", verbs[i].name, verbs[i].help);
	fputs("\n"
	      "Options:\n"
	      MV_COMMON_HELP
	      " -V, --version          display version\n"
	      "\n"
	      "Run 'memvirt <verb> --help' for the verb's options and columns.\n"
	      "All verbs but faults need memvirt.ko loaded. A VM shows to whoever\n"
	      "could read its VMM's /proc/PID/maps (its user; root sees all);\n"
	      "frag is open to all; faults needs root (BPF).\n", out);
}

static const struct mv_verb *mv_find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

/*
 * "memvirt __vmname < cmdline": what lib/vmname.c reads of a command line
 * (NUL-separated arguments on stdin), for the selftests; not a verb.
 */
static int mv_vmname_debug(void)
{
	static char buf[65536];
	struct mv_vm_names n;
	size_t len = fread(buf, 1, sizeof(buf) - 1, stdin);

	if (len && buf[len - 1])
		buf[len++] = 0;
	mv_vmname_parse(buf, len, &n);
	printf("name=%s\nuuid=%s\n", n.name, n.uuid);
	return MV_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct option longopts[ARRAY_SIZE(common_longopts) + 2] = { { 0 } };
	struct mv_opts opts = { 0 };
	const struct mv_verb *verb;
	int c;

	if (atexit(mv_close_stdout)) {
		mv_err("cannot register exit handler");
		return MV_EXIT_FAILURE;
	}
	memcpy(longopts, common_longopts, sizeof(common_longopts));
	longopts[ARRAY_SIZE(common_longopts)] =
		(struct option){ "version", no_argument, NULL, 'V' };

	/* '+': stop at the verb, its options are its own. */
	while ((c = getopt_long(argc, argv, "+JrbnhV", longopts, NULL)) != -1) {
		if (mv_common_opt(c, &opts))
			continue;
		switch (c) {
		case 'h':
			mv_usage(stdout);
			return MV_EXIT_OK;
		case 'V':
			printf("memvirt %s (netlink family \"%s\" version %d)\n",
			       MEMVIRT_CLI_VERSION, MEMVIRT_FAMILY_NAME,
			       MEMVIRT_FAMILY_VERSION);
			return MV_EXIT_OK;
		default:
			fputs("Try 'memvirt --help' for more information.\n",
			      stderr);
			return MV_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return mv_usage_error(NULL, "no verb given");

	if (!strcmp(argv[optind], "__vmname"))
		return mv_vmname_debug();
	verb = mv_find_verb(argv[optind]);
	if (!verb)
		return mv_usage_error(NULL, "unknown verb '%s'", argv[optind]);

	return verb->run(argc - optind, argv + optind, &opts);
}
