/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the metrics writer inside the output layer (out/prom.c), for
 * the files that render a part of the document (out/prom-zone.c).
 */
#ifndef MEMVIRT_PROM_INT_H
#define MEMVIRT_PROM_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json.h>

#include "lib/host.h"

struct mv_label {
	const char *key;
	const char *val;
};

/*
 * The writer: families of samples, as text or as a json-c document. A family
 * is announced once (HELP, TYPE; not with --noheadings) and its samples
 * follow it, as the format requires.
 */
struct mv_prom {
	FILE *out;			/* where the document goes */
	FILE *f;			/* text, or NULL for JSON */
	bool help;			/* HELP and TYPE lines */
	struct json_object *doc;	/* JSON: the document */
	struct json_object *fams;	/* JSON: its "metrics" array */
	struct json_object *samples;	/* JSON: the current family's */
	int err;
};

void mv_prom_family(struct mv_prom *e, const char *name, const char *type,
		    const char *help);
/* One sample: an integer, or a double when @is_double. */
void mv_prom_sample(struct mv_prom *e, const char *name, const struct mv_label *l,
		    unsigned int nl, bool is_double, uint64_t u, double d);
void mv_prom_sample_u(struct mv_prom *e, const char *name, const struct mv_label *l,
		      unsigned int nl, uint64_t v);
void mv_prom_sample_d(struct mv_prom *e, const char *name, const struct mv_label *l,
		      unsigned int nl, double v);

/* Per zone: sizes, watermarks, free blocks and indices per order, 2M pages. */
void mv_prom_zones(struct mv_prom *e, const struct mv_host *h);

#endif /* MEMVIRT_PROM_INT_H */
