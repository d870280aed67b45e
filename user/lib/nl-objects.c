// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the memvirt family's objects: VMs, memslots and zones, each
 * reply validated against its attribute set's policy and parsed. The
 * policies are generated from the spec (lib/nl-gen.c, make regen); the
 * numeric attributes of a VM, a cache and a memslot are read by their type
 * there, so a new one needs no code here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "lib/nl.h"
#include "lib/nl-gen.h"
#include "lib/nl-req.h"

/*
 * A numeric attribute's value, read as its (generated) policy @pol says:
 * false if it is not numeric. Signed values are stored sign-extended.
 */
static bool mv_nla_value(const struct nlattr *nla, const struct nla_policy *pol,
			 uint64_t *val)
{
	switch (pol->type) {
	case NLA_U32:
		*val = nla_get_u32(nla);
		return true;
	case NLA_U64:
		*val = nla_get_u64(nla);
		return true;
	case NLA_S32:
		*val = (uint64_t)(int64_t)nla_get_s32(nla);
		return true;
	case NLA_FLAG:
		*val = 1;
		return true;
	default:
		return false;
	}
}

/* Copies the numeric attributes described by @pol into @val/@present. */
static void mv_get_values(struct nlattr **tb, const struct nla_policy *pol,
			  int max, uint64_t *val, uint64_t *present)
{
	int i;

	for (i = 1; i <= max; i++)
		if (tb[i] && mv_nla_value(tb[i], &pol[i], &val[i]))
			*present |= 1ULL << i;
}

static void mv_get_string(char *dst, size_t size, struct nlattr *nla)
{
	if (nla)
		snprintf(dst, size, "%s", nla_get_string(nla));
}

/* ---- VMs -------------------------------------------------------------- */

static int mv_parse_cache(struct mv_vm *vm, struct nlattr *nest)
{
	struct nlattr *tb[MEMVIRT_A_CACHE_MAX + 1];
	struct mv_cache *c;

	if (vm->nr_caches >= MV_MAX_CACHES)
		return 0;	/* more than we know of: keep the first ones */
	if (nla_parse_nested(tb, MEMVIRT_A_CACHE_MAX, nest, mv_cache_policy) < 0 ||
	    !tb[MEMVIRT_A_CACHE_TYPE])
		return -EBADMSG;
	c = &vm->caches[vm->nr_caches++];
	mv_get_values(tb, mv_cache_policy, MEMVIRT_A_CACHE_MAX, c->val,
		      &c->present);
	return 0;
}

static int mv_parse_vm(struct nlmsghdr *nlh, struct mv_vm *vm)
{
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[MEMVIRT_A_VM_MAX + 1];
	struct nlattr *nla;
	int rem, err;
	uint64_t v;

	memset(vm, 0, sizeof(*vm));
	err = genlmsg_parse(nlh, 0, tb, MEMVIRT_A_VM_MAX, mv_vm_policy);
	if (err < 0 || !tb[MEMVIRT_A_VM_ID])
		return -EBADMSG;
	mv_get_string(vm->id, sizeof(vm->id), tb[MEMVIRT_A_VM_ID]);
	mv_get_string(vm->comm, sizeof(vm->comm), tb[MEMVIRT_A_VM_COMM]);
	mv_get_values(tb, mv_vm_policy, MEMVIRT_A_VM_MAX, vm->val, &vm->present);
	if (tb[MEMVIRT_A_VM_COMM])
		vm->present |= 1ULL << MEMVIRT_A_VM_COMM;
	vm->present |= 1ULL << MEMVIRT_A_VM_ID;

	/* Multi-attribute: nla_parse only kept the last one. */
	nla_for_each_attr(nla, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			  rem) {
		if (nla_type(nla) == MEMVIRT_A_VM_HOLDER &&
		    vm->nr_holders < MEMVIRT_MAX_HOLDERS &&
		    mv_nla_value(nla, &mv_vm_policy[MEMVIRT_A_VM_HOLDER], &v))
			vm->holders[vm->nr_holders++] = v;
		if (nla_type(nla) != MEMVIRT_A_VM_CACHE)
			continue;
		err = mv_parse_cache(vm, nla);
		if (err)
			return err;
	}
	return 0;
}

const char *mv_vm_held_by(const struct mv_vm *vm, char *buf, size_t size)
{
	uint32_t h = vm->val[MEMVIRT_A_VM_HELD_BY];
	const char *how;

	if (!mv_vm_has(vm, MEMVIRT_A_VM_HELD_BY))
		return NULL;
	how = h & MEMVIRT_HELD_VM_FD ? "vm-fd" :
	      h & MEMVIRT_HELD_VCPU_FD ? "vcpu-fd-only" :
	      h & MEMVIRT_HELD_MAPPING ? "mapping-only" : "unknown";
	snprintf(buf, size, "%s%s", how,
		 mv_vm_has(vm, MEMVIRT_A_VM_NO_DEBUGFS) ? ",no-debugfs-dir" : "");
	return buf;
}

const char *mv_vm_holders(const struct mv_vm *vm, char *buf, size_t size)
{
	uint64_t all = vm->val[MEMVIRT_A_VM_NR_HOLDERS];
	size_t len = 0;
	unsigned int i;

	if (!mv_vm_has(vm, MEMVIRT_A_VM_NR_HOLDERS))
		return NULL;
	buf[0] = '\0';
	for (i = 0; i < vm->nr_holders && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%" PRIu32,
				i ? "," : "", vm->holders[i]);
	if (all > vm->nr_holders && len < size)
		snprintf(buf + len, size - len, "%s+%" PRIu64, len ? "," : "",
			 all - vm->nr_holders);
	return buf;
}

struct mv_vm_walk {
	mv_vm_cb cb;
	void *arg;
	struct mv_vm *vm;	/* scratch, or the result of a get */
};

static int mv_vm_msg(struct nlmsghdr *nlh, void *ctx)
{
	struct mv_vm_walk *w = ctx;
	int err;

	err = mv_parse_vm(nlh, w->vm);
	if (err)
		return err;
	return w->cb ? w->cb(w->vm, w->arg) : 0;
}

int mv_nl_vm_dump(struct mv_nl *nl, mv_vm_cb cb, void *arg)
{
	struct mv_vm_walk w = { .cb = cb, .arg = arg };
	struct nl_msg *msg;
	int err;

	w.vm = malloc(sizeof(*w.vm));
	msg = mv_nl_msg(nl, MEMVIRT_CMD_VM_GET, NLM_F_DUMP);
	if (!w.vm || !msg) {
		free(w.vm);
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = mv_nl_request(nl, msg, MEMVIRT_CMD_VM_GET, mv_vm_msg, &w);
	free(w.vm);
	return err;
}

int mv_nl_vm_get(struct mv_nl *nl, const char *id, struct mv_vm *vm)
{
	struct mv_vm_walk w = { .vm = vm };
	struct nl_msg *msg;
	int err;

	msg = mv_nl_msg(nl, MEMVIRT_CMD_VM_GET, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, MEMVIRT_A_VM_ID, id)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	vm->id[0] = '\0';
	err = mv_nl_request(nl, msg, MEMVIRT_CMD_VM_GET, mv_vm_msg, &w);
	if (!err && !vm->id[0]) {
		snprintf(nl->msg, sizeof(nl->msg),
			 "memvirt.ko acknowledged without a VM");
		err = -EPROTO;
	}
	return err;
}

/* ---- memslots --------------------------------------------------------- */

struct mv_slot_walk {
	mv_slot_cb cb;
	void *arg;
};

static int mv_slot_msg(struct nlmsghdr *nlh, void *ctx)
{
	struct nlattr *tb[MEMVIRT_A_SLOT_MAX + 1];
	struct mv_slot_walk *w = ctx;
	struct mv_slot slot;

	memset(&slot, 0, sizeof(slot));
	if (genlmsg_parse(nlh, 0, tb, MEMVIRT_A_SLOT_MAX, mv_slot_policy) < 0)
		return -EBADMSG;
	mv_get_string(slot.vm_id, sizeof(slot.vm_id), tb[MEMVIRT_A_SLOT_VM_ID]);
	mv_get_values(tb, mv_slot_policy, MEMVIRT_A_SLOT_MAX, slot.val,
		      &slot.present);
	if (tb[MEMVIRT_A_SLOT_VM_ID])
		slot.present |= 1ULL << MEMVIRT_A_SLOT_VM_ID;
	return w->cb(&slot, w->arg);
}

int mv_nl_slot_dump(struct mv_nl *nl, const char *vm_id, mv_slot_cb cb,
		    void *arg)
{
	struct mv_slot_walk w = { .cb = cb, .arg = arg };
	struct nl_msg *msg;

	msg = mv_nl_msg(nl, MEMVIRT_CMD_MEMSLOT_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	if (vm_id && nla_put_string(msg, MEMVIRT_A_SLOT_VM_ID, vm_id)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return mv_nl_request(nl, msg, MEMVIRT_CMD_MEMSLOT_GET, mv_slot_msg, &w);
}

/* ---- zones ------------------------------------------------------------ */

struct mv_zone_walk {
	mv_zone_cb cb;
	void *arg;
};

static int mv_parse_order(struct mv_zone *z, struct nlattr *nest)
{
	struct nlattr *tb[MEMVIRT_A_ORDER_MAX + 1];
	uint64_t val[MEMVIRT_A_ORDER_MAX + 1], have = 0;
	uint64_t order;

	if (nla_parse_nested(tb, MEMVIRT_A_ORDER_MAX, nest, mv_order_policy) < 0 ||
	    !tb[MEMVIRT_A_ORDER_ORDER] || !tb[MEMVIRT_A_ORDER_FREE_BLOCKS] ||
	    !tb[MEMVIRT_A_ORDER_UNUSABLE_INDEX] || !tb[MEMVIRT_A_ORDER_FRAG_INDEX])
		return -EBADMSG;
	mv_get_values(tb, mv_order_policy, MEMVIRT_A_ORDER_MAX, val, &have);
	order = val[MEMVIRT_A_ORDER_ORDER];
	if (order >= MV_MAX_ORDERS)
		return 0;		/* more than we can show */
	if (order != z->nr_orders)
		return -EBADMSG;	/* orders come 0, 1, 2, ... */
	z->order[order].free_blocks = val[MEMVIRT_A_ORDER_FREE_BLOCKS];
	z->order[order].unusable = val[MEMVIRT_A_ORDER_UNUSABLE_INDEX];
	z->order[order].frag = (int64_t)val[MEMVIRT_A_ORDER_FRAG_INDEX];
	z->nr_orders++;
	return 0;
}

static int mv_zone_msg(struct nlmsghdr *nlh, void *ctx)
{
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[MEMVIRT_A_ZONE_MAX + 1];
	uint64_t val[MEMVIRT_A_ZONE_MAX + 1], have = 0;
	struct mv_zone_walk *w = ctx;
	struct mv_zone z;
	struct nlattr *nla;
	int rem, err;

	memset(&z, 0, sizeof(z));
	err = genlmsg_parse(nlh, 0, tb, MEMVIRT_A_ZONE_MAX, mv_zone_policy);
	if (err < 0 || !tb[MEMVIRT_A_ZONE_NODE] || !tb[MEMVIRT_A_ZONE_NAME] ||
	    !tb[MEMVIRT_A_ZONE_MANAGED_PAGES] || !tb[MEMVIRT_A_ZONE_FREE_PAGES] ||
	    !tb[MEMVIRT_A_ZONE_MAX_FREE_ORDER])
		return -EBADMSG;
	mv_get_values(tb, mv_zone_policy, MEMVIRT_A_ZONE_MAX, val, &have);
	z.node = val[MEMVIRT_A_ZONE_NODE];
	mv_get_string(z.name, sizeof(z.name), tb[MEMVIRT_A_ZONE_NAME]);
	z.managed_pages = val[MEMVIRT_A_ZONE_MANAGED_PAGES];
	z.free_pages = val[MEMVIRT_A_ZONE_FREE_PAGES];
	z.max_free_order = (int64_t)val[MEMVIRT_A_ZONE_MAX_FREE_ORDER];
	if (tb[MEMVIRT_A_ZONE_WMARK_MIN] && tb[MEMVIRT_A_ZONE_WMARK_LOW] &&
	    tb[MEMVIRT_A_ZONE_WMARK_HIGH]) {
		z.has_wmarks = true;
		z.wmark_min = val[MEMVIRT_A_ZONE_WMARK_MIN];
		z.wmark_low = val[MEMVIRT_A_ZONE_WMARK_LOW];
		z.wmark_high = val[MEMVIRT_A_ZONE_WMARK_HIGH];
	}
	if (tb[MEMVIRT_A_ZONE_LOWMEM_RESERVE] && tb[MEMVIRT_A_ZONE_HIGHATOMIC]) {
		z.has_reserves = z.has_highatomic = true;
		z.lowmem_reserve = val[MEMVIRT_A_ZONE_LOWMEM_RESERVE];
		z.highatomic = val[MEMVIRT_A_ZONE_HIGHATOMIC];
	}

	/* Multi-attribute: nla_parse only kept the last one. */
	nla_for_each_attr(nla, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			  rem) {
		if (nla_type(nla) != MEMVIRT_A_ZONE_ORDER)
			continue;
		err = mv_parse_order(&z, nla);
		if (err)
			return err;
	}
	if (!z.nr_orders)
		return -EBADMSG;
	return w->cb(&z, w->arg);
}

int mv_nl_zone_dump(struct mv_nl *nl, mv_zone_cb cb, void *arg)
{
	struct mv_zone_walk w = { .cb = cb, .arg = arg };
	struct nl_msg *msg;

	msg = mv_nl_msg(nl, MEMVIRT_CMD_ZONE_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	return mv_nl_request(nl, msg, MEMVIRT_CMD_ZONE_GET, mv_zone_msg, &w);
}
