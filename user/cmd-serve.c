// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt serve` - what `memvirt export` writes, served over
 * HTTP at /metrics for Prometheus to scrape (lib/httpd.c). Each scrape reads
 * one host snapshot and renders it through out/prom.c, with the exporter's
 * own metrics: memvirt_up, memvirt_build_info, memvirt_scrape_duration_seconds.
 * The page-fault probes stay attached for the server's life, so their
 * counters (and the probes' loss counters) grow from its start. SIGTERM or
 * SIGINT stops it: probes detached, exit 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli.h"
#include "lib/host.h"
#include "lib/httpd.h"
#include "out/prom.h"

struct serve {
	const struct mv_opts *o;
	struct mv_httpd_conf http;
	bool no_faults, backing;
	struct mv_host h;
	struct utsname uts;
};

enum { OPT_NO_FAULTS = 256, OPT_BACKING, OPT_LISTEN };

static const struct option serve_longopts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "no-faults", no_argument, NULL, OPT_NO_FAULTS },
	{ "backing", no_argument, NULL, OPT_BACKING },
	{ NULL, 0, NULL, 0 }
};

static void serve_help(FILE *f)
{
	fputs("GET /metrics answers with the metrics of 'memvirt export -i' (see\n"
	      "'memvirt export --help'), read from the host at each scrape, and:\n"
	      " memvirt_up (0 when memvirt.ko did not answer: then nothing else),\n"
	      " memvirt_build_info{version,kernel}, memvirt_scrape_duration_seconds.\n"
	      "Other paths are 404, other methods than GET and HEAD 405. Scrapes are\n"
	      "served one at a time; an idle connection is closed after 10 s.\n"
	      "\n"
	      "The output is the Prometheus text format; -J serves the JSON document of\n"
	      "'export --json' instead, -n leaves out HELP and TYPE. Needs memvirt.ko\n"
	      "loaded at start (it reconnects if the module is reloaded later); fault\n"
	      "counters need BPF. contrib/systemd/memvirt.service runs it as a service.\n", f);
}

static int serve_opt(int c, const char *arg, void *ctx)
{
	struct serve *s = ctx;

	switch (c) {
	case OPT_LISTEN:
		if (s->http.nr_listen == MV_HTTPD_MAX_LISTEN)
			return mv_usage_error("serve", "more than %d --listen addresses",
					      MV_HTTPD_MAX_LISTEN);
		if (!mv_httpd_addr_ok(arg))
			return mv_usage_error("serve", "invalid listen address '%s': expected "
					      "HOST:PORT, [IPV6]:PORT or :PORT", arg);
		s->http.listen[s->http.nr_listen++] = arg;
		return 0;
	case OPT_NO_FAULTS:
		s->no_faults = true;
		return 0;
	case OPT_BACKING:
		s->backing = true;
		return 0;
	}
	return MV_EXIT_USAGE;
}

static const struct mv_cmd serve_cmd = {
	.name = "serve",
	.about = "Serve everything memvirt knows of this host's VMs and memory over HTTP,\n"
		 "for Prometheus to scrape: read at each scrape, with per-VM page-fault\n"
		 "counters from the eBPF probes, attached while it runs.",
	.longopts = serve_longopts,
	.opts_help =
	"     --listen <addr>    listen on <addr>: HOST:PORT, [IPV6]:PORT or :PORT\n"
	"                        (every address); may repeat (default: "
	MV_HTTPD_DEFAULT_LISTEN ")\n"
	"     --no-faults        no BPF probes, no fault counters\n"
	"     --backing          add how the host backs guest memory (reads the\n"
	"                        VMMs' page tables at each scrape: ~200 ms per GiB\n"
	"                        of 4K pages, ~15 ms per GiB of huge pages)\n",
	.help_more = serve_help,
	.opt = serve_opt,
};

/* One scrape: the host, then the exporter's own metrics, into *@body. */
static int scrape(void *arg, char **body, size_t *len)
{
	struct serve *s = arg;
	unsigned int what = MV_HOST_VMS | MV_HOST_SUM | MV_HOST_ZONES |
			    (s->h.bctx ? MV_HOST_BACKING : 0) |
			    (s->h.faults ? MV_HOST_FAULTS : 0);
	struct mv_prom_self self = { .version = MEMVIRT_CLI_VERSION,
				     .kernel = s->uts.release };
	double t0 = mv_now();
	struct mv_prom *e;
	FILE *f;
	int err;

	/* After a failed read, a new socket: the module may have been reloaded. */
	if (!s->h.nl)
		s->h.nl = mv_nl_open();
	self.up = s->h.nl && !mv_host_read(&s->h, what);
	f = open_memstream(body, len);
	if (!f)
		return -ENOMEM;
	e = mv_prom_begin(f, s->o);
	if (e && self.up)
		mv_prom_host(e, &s->h);
	self.seconds = mv_now() - t0;
	if (e)
		mv_prom_self(e, &self);
	err = mv_prom_end(e, false);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(*body);
		*body = NULL;
	}
	if (self.up && s->h.faults)
		mv_faults_advance(s->h.faults);
	if (!self.up) {
		mv_nl_close(s->h.nl);
		s->h.nl = NULL;
	}
	return err;
}

/* Until SIGINT or SIGTERM, blocked in every thread and taken here. */
static void wait_for_stop(const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig))
		;
	fprintf(stderr, "memvirt: %s: stopping\n", strsignal(sig));
}

int mv_cmd_serve(int argc, char **argv, struct mv_opts *o)
{
	struct serve s = { .o = o };
	struct mv_httpd *d;
	sigset_t set;
	int rc;

	rc = mv_parse_opts(&serve_cmd, argc, argv, o, &s);
	if (rc)
		return mv_parse_exit(rc);
	if (!s.http.nr_listen)
		s.http.listen[s.http.nr_listen++] = MV_HTTPD_DEFAULT_LISTEN;
	s.http.path = "/metrics";
	s.http.content_type = o->json ? "application/json" :
			      "text/plain; version=0.0.4; charset=utf-8";
	s.http.body = scrape;
	s.http.arg = &s;
	uname(&s.uts);

	/* Before any thread starts, so that they all inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	s.h.nl = mv_nl_open();
	if (!s.h.nl)
		return MV_EXIT_FAILURE;
	if (s.backing)
		s.h.bctx = mv_host_backing_open("serving without host backing");
	if (!s.no_faults) {
		s.h.faults = mv_faults_start(NULL);
		if (!s.h.faults)
			mv_err("serving without page-fault counters");
	}
	d = mv_httpd_start(&s.http);
	if (d) {
		wait_for_stop(&set);
		mv_httpd_stop(d);
	}
	mv_host_close(&s.h);
	return d ? MV_EXIT_OK : MV_EXIT_FAILURE;
}
