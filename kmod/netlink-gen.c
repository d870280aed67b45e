// SPDX-License-Identifier: GPL-2.0
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/memvirt.yaml */
/* nlgen kernel source (scripts/nlgen.py; make regen) */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

/* MEMVIRT_CMD_VM_GET: the request policy of do and dump */
static const struct nla_policy memvirt_vm_get_nl_policy[MEMVIRT_A_VM_ID + 1] = {
	[MEMVIRT_A_VM_ID] = { .type = NLA_NUL_STRING, .len = 31, },
};

/* MEMVIRT_CMD_MEMSLOT_GET: the request policy of do and dump */
static const struct nla_policy memvirt_memslot_get_nl_policy[MEMVIRT_A_SLOT_VM_ID + 1] = {
	[MEMVIRT_A_SLOT_VM_ID] = { .type = NLA_NUL_STRING, .len = 31, },
};

/* MEMVIRT_CMD_ZONE_GET: no request attributes, each refused */
static const struct nla_policy memvirt_zone_get_nl_policy[MEMVIRT_A_ZONE_MAX + 1] = {
	[MEMVIRT_A_ZONE_UNSPEC ... MEMVIRT_A_ZONE_MAX] = {
		.type = NLA_REJECT,
		.reject_message = "memvirt: ZONE_GET takes no attributes",
	},
};

/* Ops table for memvirt */
const struct genl_ops memvirt_nl_ops[3] = {
	{
		.cmd		= MEMVIRT_CMD_VM_GET,
		.doit		= memvirt_nl_vm_get_doit,
		.dumpit		= memvirt_nl_vm_get_dumpit,
		.done		= memvirt_dump_done,
		.policy		= memvirt_vm_get_nl_policy,
		.maxattr	= MEMVIRT_A_VM_ID,
	},
	{
		.cmd		= MEMVIRT_CMD_MEMSLOT_GET,
		.dumpit		= memvirt_nl_memslot_get_dumpit,
		.done		= memvirt_dump_done,
		.policy		= memvirt_memslot_get_nl_policy,
		.maxattr	= MEMVIRT_A_SLOT_VM_ID,
	},
	{
		.cmd		= MEMVIRT_CMD_ZONE_GET,
		.dumpit		= memvirt_nl_zone_get_dumpit,
		.policy		= memvirt_zone_get_nl_policy,
		.maxattr	= MEMVIRT_A_ZONE_MAX,
	},
};
