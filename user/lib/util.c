// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: error messages, time, the interval loop, parsing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

static void mv_verr(int err, const char *fmt, va_list ap)
{
	fputs("memvirt: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(-err));
	fputc('\n', stderr);
}

void mv_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mv_verr(0, fmt, ap);
	va_end(ap);
}

void mv_err_errno(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mv_verr(err, fmt, ap);
	va_end(ap);
}

int mv_err_nomem(void)
{
	mv_err("out of memory");
	return -ENOMEM;
}

int mv_print_status(int err)
{
	if (!err)
		return MV_EXIT_OK;
	if (err != -1)
		mv_err_errno(err, "cannot print");
	return MV_EXIT_FAILURE;
}

int mv_usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mv_verr(0, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'memvirt %s%s--help' for more information.\n",
		verb ? verb : "", verb ? " " : "");
	return MV_EXIT_USAGE;
}

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

int mv_parse_ulong(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
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

volatile sig_atomic_t mv_stop;

static void mv_on_signal(int sig)
{
	(void)sig;
	mv_stop = 1;
}

void mv_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = mv_on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void mv_sleep_until(double t)
{
	while (!mv_stop) {
		double left = t - mv_now();
		struct timespec ts;

		if (left <= 0)
			return;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);	/* EINTR on a signal: the loop checks mv_stop */
	}
}

int mv_loop(const struct mv_loop *l, int (*tick)(void *arg, double secs),
	    void *arg)
{
	double last = mv_now();
	double end = l->duration ? last + l->duration : 0;
	int rc;

	mv_catch_signals();
	if (l->tick_first) {
		rc = tick(arg, 0);
		if (rc || !l->interval)
			return rc;
	}
	while (!mv_stop) {
		double next = last + l->interval, now;

		if (end && next > end + 1e-3) {
			if (!l->clip)
				break;
			next = end;
		}
		if (l->wait)
			l->wait(next, arg);
		else
			mv_sleep_until(next);
		now = mv_now();
		if (now - last < 1e-3)
			break;
		rc = tick(arg, now - last);
		if (rc)
			return rc;
		last = now;
		if (end && now >= end - 1e-3)
			break;
	}
	return 0;
}

/* The length of the valid UTF-8 sequence at @s, 0 if none (RFC 3629). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (*s < 0x80)
		return 1;
	if (*s < 0xc2 || *s > 0xf4)
		return 0;
	n = *s < 0xe0 ? 2 : *s < 0xf0 ? 3 : 4;
	if (*s == 0xe0)
		lo = 0xa0;
	else if (*s == 0xed)
		hi = 0x9f;
	else if (*s == 0xf0)
		lo = 0x90;
	else if (*s == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

char *mv_utf8_clean(char *dst, size_t size, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t k = 0;

	while (*s) {
		size_t n = utf8_len(s);
		const char *put = n ? (const char *)s : "\xef\xbf\xbd";
		size_t len = n ? n : 3;

		if (k + len >= size)
			break;
		memcpy(dst + k, put, len);
		k += len;
		s += n ? n : 1;
	}
	dst[k] = 0;
	return dst;
}
