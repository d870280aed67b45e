/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: a host snapshot as Prometheus metrics (text format 0.0.4),
 * or the same samples as JSON ({"metrics": [families]}).
 */
#ifndef MEMVIRT_PROM_H
#define MEMVIRT_PROM_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "lib/host.h"

/*
 * Writes every metric of @h to @f: per VM (the field table's families),
 * their backing (with h->bctx), page faults (with h->faults), zones. With
 * -J a JSON document, on one line if @one_line; -n drops HELP and TYPE.
 * 0 or -errno.
 */
int mv_prom_write(const struct mv_host *h, FILE *f, const struct mv_opts *o,
		  bool one_line);

/*
 * The same in steps, for a document with more than the host: begin (NULL
 * on ENOMEM), any of host and self, end (which prints a JSON document and
 * frees @e; 0 or -errno, -ENOMEM for a NULL @e).
 */
struct mv_prom;
struct mv_prom *mv_prom_begin(FILE *f, const struct mv_opts *o);
void mv_prom_host(struct mv_prom *e, const struct mv_host *h);

/* About the exporter itself (memvirt serve): memvirt_up and the like. */
struct mv_prom_self {
	bool up;			/* the host was read */
	double seconds;			/* the scrape's time so far */
	const char *version, *kernel;
};

void mv_prom_self(struct mv_prom *e, const struct mv_prom_self *s);
int mv_prom_end(struct mv_prom *e, bool one_line);

#endif /* MEMVIRT_PROM_H */
