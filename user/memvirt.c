// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt: memory observatory for KVM hosts - command line front end.
 *
 *   memvirt [options] <verb> [verb options] [arguments]
 *
 * Common options may come before or after the verb.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/memvirt.h>

#include "cli.h"
#include "faults.h"
#include "frag.h"

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

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

int mv_parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0 && v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

double mv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void mv_sleep_until(double t, volatile sig_atomic_t *stop)
{
	while (!*stop) {
		double left = t - mv_now();
		struct timespec ts;

		if (left <= 0)
			return;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);	/* EINTR on a signal: the loop checks *stop */
	}
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
		fprintf(stderr, "memvirt: write error: %s\n",
			errno ? strerror(errno) : "unknown");
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
	      "All verbs but faults need memvirt.ko loaded; all but frag need\n"
	      "root.\n", out);
}

int mv_usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fputs("memvirt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'memvirt %s%s--help' for more information.\n",
		verb ? verb : "", verb ? " " : "");
	return MV_EXIT_USAGE;
}

bool mv_common_opt(int c, struct mv_opts *o)
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

bool mv_opts_valid(const struct mv_opts *o)
{
	return !(o->json && o->raw);
}

static const struct mv_verb *mv_find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		MV_COMMON_LONGOPTS,
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct mv_opts opts = { 0 };
	const struct mv_verb *verb;
	int c;

	if (atexit(mv_close_stdout)) {
		fprintf(stderr, "memvirt: cannot register exit handler\n");
		return MV_EXIT_FAILURE;
	}

	/* '+': stop at the verb, its options are its own. */
	while ((c = getopt_long(argc, argv, "+" MV_COMMON_SHORTOPTS "V",
				longopts, NULL)) != -1) {
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

	verb = mv_find_verb(argv[optind]);
	if (!verb)
		return mv_usage_error(NULL, "unknown verb '%s'", argv[optind]);

	argc -= optind;
	argv += optind;
	optind = 0;	/* full getopt re-initialisation for the verb */
	return verb->run(argc, argv, &opts);
}
