/* SPDX-License-Identifier: GPL-2.0 */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/memvirt.yaml */
/* nlgen user header (scripts/nlgen.py; make regen) */

#ifndef MEMVIRT_NL_GEN_H
#define MEMVIRT_NL_GEN_H

#include <netlink/attr.h>
#include <linux/memvirt.h>

/* Reply policies, one per attribute set of the spec. */
extern const struct nla_policy mv_vm_policy[MEMVIRT_A_VM_MAX + 1];
extern const struct nla_policy mv_cache_policy[MEMVIRT_A_CACHE_MAX + 1];
extern const struct nla_policy mv_slot_policy[MEMVIRT_A_SLOT_MAX + 1];
extern const struct nla_policy mv_zone_policy[MEMVIRT_A_ZONE_MAX + 1];
extern const struct nla_policy mv_order_policy[MEMVIRT_A_ORDER_MAX + 1];

#endif /* MEMVIRT_NL_GEN_H */
