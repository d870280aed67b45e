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

#endif /* MEMVIRT_PROM_H */
