/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: what every part shares: error messages, time, the interval
 * loop and its signal handling, number parsing.
 */
#ifndef MEMVIRT_UTIL_H
#define MEMVIRT_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum {
	MV_EXIT_OK	= 0,
	MV_EXIT_FAILURE	= 1,	/* runtime error */
	MV_EXIT_USAGE	= 2,	/* bad command line */
};

/* "memvirt: <msg>\n" on stderr: every runtime error message goes here. */
void mv_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for -@err (a negative errno), after @what: "memvirt: what: why". */
void mv_err_errno(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* mv_err("out of memory"); returns -ENOMEM. */
int mv_err_nomem(void);

/* A verb's exit code after printing: says why if @err (-errno). */
int mv_print_status(int err);

/* Prints "memvirt: <msg>" and the --help hint; returns MV_EXIT_USAGE. */
int mv_usage_error(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Seconds in [@min, @max] and above 0 from @s ("2", "0.5"); 0 or -1. */
int mv_parse_seconds(const char *s, double min, double max, double *out);
/* An unsigned number in [@min, @max] (0x.. allowed); 0 or -1. */
int mv_parse_ulong(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out);

/* The longest --interval and --duration any verb accepts. */
#define MV_MAX_INTERVAL	3600.0
#define MV_MAX_DURATION	(MV_MAX_INTERVAL * 24 * 365)

/*
 * @src as valid UTF-8 into @dst (of @size, NUL-terminated, cut at a whole
 * character): each byte that starts no valid sequence becomes U+FFFD.
 * Returns @dst.
 */
char *mv_utf8_clean(char *dst, size_t size, const char *src);

/* CLOCK_MONOTONIC in seconds. */
double mv_now(void);

/* Set by SIGINT and SIGTERM once mv_loop() (or mv_catch_signals()) runs. */
extern volatile sig_atomic_t mv_stop;
void mv_catch_signals(void);
/* Sleeps until mv_now() reaches @t or mv_stop is set. */
void mv_sleep_until(double t);

/*
 * The one interval loop: every @interval seconds calls tick(@arg, secs since
 * the last tick) until @duration has passed (0: until SIGINT/SIGTERM) or
 * tick returns non-zero (which mv_loop returns). With @tick_first, a first
 * tick at once (secs 0). With @clip, the last interval ends at @duration
 * sharp; else the loop stops at the first tick past it. @wait, if not NULL,
 * sleeps until its argument (mv_sleep_until() otherwise), e.g. polling a
 * ring buffer meanwhile.
 */
struct mv_loop {
	double interval, duration;
	bool tick_first, clip;
	void (*wait)(double t, void *arg);
};

int mv_loop(const struct mv_loop *l, int (*tick)(void *arg, double secs),
	    void *arg);

#endif /* MEMVIRT_UTIL_H */
