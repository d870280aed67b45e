/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the zones from procfs when memvirt.ko is not loaded (or
 * `frag --source proc`), with the same figures as the module's ZONE_GET.
 */
#ifndef MEMVIRT_ZONES_PROC_H
#define MEMVIRT_ZONES_PROC_H

#include <stddef.h>

#include "lib/nl.h"
#include "lib/util.h"

/* Free pages, largest free order and per order the two indices, from the free blocks. */
void mv_zone_indices(struct mv_zone *z);

/*
 * Every populated zone, as mv_nl_zone_dump() gives them. 0 or -errno (then
 * @why says what could not be read); @why also says what is missing when
 * /proc/pagetypeinfo could not be read (the highatomic reserve).
 */
int mv_proc_zone_dump(mv_zone_cb cb, void *arg, char *why, size_t len);

#endif /* MEMVIRT_ZONES_PROC_H */
