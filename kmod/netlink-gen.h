/* SPDX-License-Identifier: GPL-2.0 */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/memvirt.yaml */
/* nlgen kernel header (scripts/nlgen.py; make regen) */

#ifndef _MEMVIRT_NETLINK_GEN_H
#define _MEMVIRT_NETLINK_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <linux/memvirt.h>

extern const struct genl_ops memvirt_nl_ops[3];

int memvirt_dump_done(struct netlink_callback *cb);

int memvirt_nl_vm_get_doit(struct sk_buff *skb, struct genl_info *info);
int memvirt_nl_vm_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int memvirt_nl_memslot_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int memvirt_nl_zone_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);

#endif /* _MEMVIRT_NETLINK_GEN_H */
