// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt: the "memvirt" generic netlink family (see Documentation/memvirt.rst
 * and Documentation/netlink/specs/memvirt.yaml).
 *
 * VM and memslot dumps are one snapshot, rendered whole in their first
 * round and then copied out round by round (dump.c): between rounds they
 * hold bytes, never a VM. ZONE_GET dumps resume after the last zone sent.
 * The request policies and the op table are generated from the spec
 * (netlink-gen.c, make regen); the handlers keep the names it gives them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "memvirt.h"
#include "netlink-gen.h"

#include <linux/netlink.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>

static struct genl_family memvirt_family;

struct memvirt_zone_dump_ctx {
	int nid;			/* last zone sent: its node */
	int zid;			/* and zone index */
	bool started;
};

static int memvirt_put_u64(struct sk_buff *skb, int type, u64 value, int pad)
{
	return nla_put_u64_64bit(skb, type, value, pad);
}

static int memvirt_fill_cache(struct sk_buff *skb, u32 type,
			      const struct memvirt_cache_stat *c)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, MEMVIRT_A_VM_CACHE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MEMVIRT_A_CACHE_TYPE, type) ||
	    memvirt_put_u64(skb, MEMVIRT_A_CACHE_OBJECTS, c->objects,
			    MEMVIRT_A_CACHE_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_CACHE_CAPACITY, c->capacity,
			    MEMVIRT_A_CACHE_PAD) ||
	    nla_put_u32(skb, MEMVIRT_A_CACHE_OBJECT_SIZE, c->object_size) ||
	    memvirt_put_u64(skb, MEMVIRT_A_CACHE_BYTES,
			    c->objects * c->object_size, MEMVIRT_A_CACHE_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The one VM message, shared by VM_GET do and dump. May sleep. */
static int memvirt_put_holders(struct sk_buff *skb, const struct memvirt_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_holder_pids; i++)
		if (nla_put_u32(skb, MEMVIRT_A_VM_HOLDER, vm->holder_pids[i]))
			return -EMSGSIZE;
	return 0;
}

/* Who the VM is and who holds it. */
static int memvirt_put_identity(struct sk_buff *skb, const struct memvirt_vm *vm,
				const struct memvirt_vm_stats *st)
{
	if (nla_put_string(skb, MEMVIRT_A_VM_ID, vm->id) ||
	    nla_put_u32(skb, MEMVIRT_A_VM_PID, vm->pid) ||
	    (vm->mm_owner && nla_put_flag(skb, MEMVIRT_A_VM_PID_IS_MM_OWNER)) ||
	    nla_put_u32(skb, MEMVIRT_A_VM_HELD_BY, vm->held_by) ||
	    nla_put_u32(skb, MEMVIRT_A_VM_NR_HOLDERS, vm->nr_holders) ||
	    memvirt_put_holders(skb, vm) ||
	    (vm->no_debugfs && nla_put_flag(skb, MEMVIRT_A_VM_NO_DEBUGFS)) ||
	    nla_put_string(skb, MEMVIRT_A_VM_COMM, st->comm))
		return -EMSGSIZE;
	return 0;
}

static int memvirt_fill_vm(struct sk_buff *skb, const struct memvirt_vm *vm,
			   u32 portid, u32 seq, int flags)
{
	struct memvirt_vm_stats *st;
	void *hdr;
	int err = -EMSGSIZE;
	u32 type;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	memvirt_vm_stats(vm, st);

	hdr = genlmsg_put(skb, portid, seq, &memvirt_family, flags,
			  MEMVIRT_CMD_VM_GET);
	if (!hdr)
		goto out;

	if (memvirt_put_identity(skb, vm, st) ||
	    nla_put_u32(skb, MEMVIRT_A_VM_VCPUS_CREATED, st->vcpus_created) ||
	    nla_put_u32(skb, MEMVIRT_A_VM_VCPUS_ONLINE, st->vcpus_online) ||
	    nla_put_u32(skb, MEMVIRT_A_VM_NR_MEMSLOTS, st->nr_memslots) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_MEM_BYTES, st->mem_bytes,
			    MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_MAP_4K, st->map[0],
			    MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_MAP_2M, st->map[1],
			    MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_MAP_1G, st->map[2],
			    MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_MAPPED_BYTES, st->mapped_bytes,
			    MEMVIRT_A_VM_PAD) ||
	    nla_put_u32(skb, MEMVIRT_A_VM_HUGE_MAPPED_PPM, st->huge_ppm) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_MMU_TDP_PAGES, st->tdp_pages,
			    MEMVIRT_A_VM_PAD) ||
	    (st->tdp_pages_partial &&
	     nla_put_flag(skb, MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL)) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_MMU_SHADOW_PAGES,
			    st->shadow_pages, MEMVIRT_A_VM_PAD))
		goto cancel;

	for (type = 0; type <= MEMVIRT_CACHE_MAX; type++)
		if (st->cache[type].present &&
		    memvirt_fill_cache(skb, type, &st->cache[type]))
			goto cancel;

	if (memvirt_put_u64(skb, MEMVIRT_A_VM_RMAP_BYTES, st->meta.rmap,
			    MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_LPAGE_INFO_BYTES,
			    st->meta.lpage_info, MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_DIRTY_BITMAP_BYTES,
			    st->meta.dirty_bitmap, MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_WRITE_TRACK_BYTES,
			    st->meta.write_track, MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_PAGE_TABLE_BYTES,
			    st->page_table_bytes, MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_CACHE_BYTES, st->cache_bytes,
			    MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_VCPU_BYTES, st->vcpu_bytes,
			    MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_OVERHEAD_BYTES,
			    st->overhead_bytes, MEMVIRT_A_VM_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_VM_NX_LPAGE_SPLITS,
			    st->nx_lpage_splits, MEMVIRT_A_VM_PAD))
		goto cancel;

	genlmsg_end(skb, hdr);
	err = 0;
	goto out;
cancel:
	genlmsg_cancel(skb, hdr);
out:
	kfree(st);
	return err;
}

static int memvirt_fill_slot(struct sk_buff *skb, const struct memvirt_vm *vm,
			     const struct memvirt_slot *slot, u32 portid,
			     u32 seq, int flags)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &memvirt_family, flags,
			  MEMVIRT_CMD_MEMSLOT_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(skb, MEMVIRT_A_SLOT_VM_ID, vm->id) ||
	    nla_put_u32(skb, MEMVIRT_A_SLOT_ID, slot->id) ||
	    nla_put_u32(skb, MEMVIRT_A_SLOT_AS_ID, slot->as_id) ||
	    memvirt_put_u64(skb, MEMVIRT_A_SLOT_GPA, slot->gpa,
			    MEMVIRT_A_SLOT_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_SLOT_SIZE, slot->size,
			    MEMVIRT_A_SLOT_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_SLOT_HVA, slot->hva,
			    MEMVIRT_A_SLOT_PAD) ||
	    nla_put_u32(skb, MEMVIRT_A_SLOT_FLAGS, slot->flags) ||
	    memvirt_put_u64(skb, MEMVIRT_A_SLOT_RMAP_BYTES, slot->meta.rmap,
			    MEMVIRT_A_SLOT_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_SLOT_LPAGE_INFO_BYTES,
			    slot->meta.lpage_info, MEMVIRT_A_SLOT_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES,
			    slot->meta.dirty_bitmap, MEMVIRT_A_SLOT_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_SLOT_WRITE_TRACK_BYTES,
			    slot->meta.write_track, MEMVIRT_A_SLOT_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The one zone message of ZONE_GET dumps. Atomic-safe, does not sleep. */
static int memvirt_fill_zone(struct sk_buff *skb,
			     const struct memvirt_zone_stats *st, u32 portid,
			     u32 seq, int flags)
{
	const struct memvirt_zone_order *o;
	struct nlattr *nest;
	unsigned int order;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &memvirt_family, flags,
			  MEMVIRT_CMD_ZONE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MEMVIRT_A_ZONE_NODE, st->nid) ||
	    nla_put_string(skb, MEMVIRT_A_ZONE_NAME, st->name) ||
	    memvirt_put_u64(skb, MEMVIRT_A_ZONE_MANAGED_PAGES,
			    st->managed_pages, MEMVIRT_A_ZONE_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_ZONE_FREE_PAGES, st->free_pages,
			    MEMVIRT_A_ZONE_PAD) ||
	    nla_put_s32(skb, MEMVIRT_A_ZONE_MAX_FREE_ORDER,
			st->max_free_order) ||
	    memvirt_put_u64(skb, MEMVIRT_A_ZONE_WMARK_MIN, st->wmark_min,
			    MEMVIRT_A_ZONE_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_ZONE_WMARK_LOW, st->wmark_low,
			    MEMVIRT_A_ZONE_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_ZONE_WMARK_HIGH, st->wmark_high,
			    MEMVIRT_A_ZONE_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_ZONE_LOWMEM_RESERVE,
			    st->lowmem_reserve, MEMVIRT_A_ZONE_PAD) ||
	    memvirt_put_u64(skb, MEMVIRT_A_ZONE_HIGHATOMIC, st->highatomic,
			    MEMVIRT_A_ZONE_PAD))
		goto cancel;
	for (order = 0; order < COMPAT_NR_ORDERS; order++) {
		o = &st->order[order];
		nest = nla_nest_start(skb, MEMVIRT_A_ZONE_ORDER);
		if (!nest)
			goto cancel;
		if (nla_put_u32(skb, MEMVIRT_A_ORDER_ORDER, order) ||
		    memvirt_put_u64(skb, MEMVIRT_A_ORDER_FREE_BLOCKS,
				    o->free_blocks, MEMVIRT_A_ORDER_PAD) ||
		    nla_put_u32(skb, MEMVIRT_A_ORDER_UNUSABLE_INDEX,
				o->unusable) ||
		    nla_put_s32(skb, MEMVIRT_A_ORDER_FRAG_INDEX, o->frag)) {
			nla_nest_cancel(skb, nest);
			goto cancel;
		}
		nla_nest_end(skb, nest);
	}
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Parse a VM id attribute; -EINVAL with extack if it is not an id. */
static int memvirt_parse_vm_attr(const struct nlattr *attr,
				 struct memvirt_key *key,
				 struct netlink_ext_ack *extack)
{
	if (memvirt_id_parse(nla_data(attr), key)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "memvirt: malformed VM id (ids look like <pid>-<fd> or <pid>-x<tag>)");
		return -EINVAL;
	}
	return 0;
}

int memvirt_nl_vm_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[MEMVIRT_A_VM_ID];
	struct memvirt_vm_list list;
	struct memvirt_key key;
	struct memvirt_vm *vm;
	struct sk_buff *msg;
	unsigned int i;
	int err;

	if (!attr) {
		NL_SET_ERR_MSG(info->extack, "memvirt: VM_GET needs MEMVIRT_A_VM_ID");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, MEMVIRT_A_VM_ID);
		return -EINVAL;
	}
	err = memvirt_parse_vm_attr(attr, &key, info->extack);
	if (err)
		return err;

	err = memvirt_vms_collect(&list);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "memvirt: cannot list the VMs");
		return err;
	}
	vm = memvirt_vms_find(&list, &key);
	if (!vm) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "memvirt: no such VM");
		err = -ENOENT;
		goto out;
	}
	/* Hold no VM longer than needed (see memvirt_vm_put()). */
	for (i = 0; i < list.nr; i++)
		if (&list.vms[i] != vm)
			memvirt_vm_put(&list.vms[i]);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		NL_SET_ERR_MSG(info->extack, "memvirt: out of memory");
		err = -ENOMEM;
		goto out;
	}
	err = memvirt_fill_vm(msg, vm, info->snd_portid, info->snd_seq, 0);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "memvirt: cannot build the reply");
		nlmsg_free(msg);
		goto out;
	}
	memvirt_vms_release(&list);
	return genlmsg_reply(msg, info);
out:
	memvirt_vms_release(&list);
	return err;
}

/* A VM dump's message of @vm (memvirt_render_t). */
static int memvirt_render_vm(struct memvirt_dump_ctx *ctx, struct sk_buff *msg,
			     const struct memvirt_vm *vm,
			     struct netlink_callback *cb)
{
	int err;

	err = memvirt_fill_vm(msg, vm, NETLINK_CB(cb->skb).portid,
			      cb->nlh->nlmsg_seq, NLM_F_MULTI);
	return err ?: memvirt_dump_append(ctx, msg);
}

/* A memslot dump's messages of @vm, one per slot (memvirt_render_t). */
static int memvirt_render_slots(struct memvirt_dump_ctx *ctx,
				struct sk_buff *msg,
				const struct memvirt_vm *vm,
				struct netlink_callback *cb)
{
	struct memvirt_slot *slots;
	unsigned int j, nr;
	int err;

	err = memvirt_vm_slots(vm->kvm, &slots, &nr);
	if (err)
		return err;
	for (j = 0; j < nr && !err; j++) {
		err = memvirt_fill_slot(msg, vm, &slots[j],
					NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (!err)
			err = memvirt_dump_append(ctx, msg);
	}
	kvfree(slots);
	return err;
}

int memvirt_nl_vm_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct memvirt_dump_ctx *ctx = (struct memvirt_dump_ctx *)cb->ctx;
	int err;

	if (!ctx->rendered) {
		struct nlattr **attrs = compat_dump_attrs(cb);

		if (attrs && attrs[MEMVIRT_A_VM_ID]) {
			NL_SET_ERR_MSG_ATTR(cb->extack, attrs[MEMVIRT_A_VM_ID],
					    "memvirt: a VM dump takes no VM id (use a VM_GET request)");
			return -EINVAL;
		}
		err = memvirt_dump_render(cb, ctx, NULL, memvirt_render_vm);
		if (err)
			return err;
		ctx->rendered = true;
	}
	return memvirt_dump_send(skb, cb, ctx);
}

int memvirt_nl_memslot_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct memvirt_dump_ctx *ctx = (struct memvirt_dump_ctx *)cb->ctx;
	struct nlattr **attrs, *attr;
	struct memvirt_key only;
	int err;

	if (!ctx->rendered) {
		attrs = compat_dump_attrs(cb);
		attr = attrs ? attrs[MEMVIRT_A_SLOT_VM_ID] : NULL;
		if (attr) {
			err = memvirt_parse_vm_attr(attr, &only, cb->extack);
			if (err)
				return err;
		}
		err = memvirt_dump_render(cb, ctx, attr ? &only : NULL,
					  memvirt_render_slots);
		if (err)
			return err;
		ctx->rendered = true;
	}
	return memvirt_dump_send(skb, cb, ctx);
}

/*
 * One message per populated zone, in (node, zone index) order, resuming
 * after the last zone sent. No privilege: the same counts are world-readable
 * in /proc/buddyinfo. The request has no attributes (the policy rejects
 * any), so there is nothing to check in the first round.
 */
int memvirt_nl_zone_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	struct memvirt_zone_dump_ctx *ctx = (struct memvirt_zone_dump_ctx *)cb->ctx;
	struct memvirt_zone_stats *st;
	unsigned int sent = 0;
	int nid = 0, zid = 0;
	int err = 0;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st) {
		NL_SET_ERR_MSG(cb->extack, "memvirt: out of memory");
		return -ENOMEM;
	}
	if (ctx->started) {
		nid = ctx->nid;
		zid = ctx->zid + 1;
	}
	while (memvirt_zone_next(nid, zid, st)) {
		err = memvirt_fill_zone(skb, st, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (err)
			break;
		ctx->nid = st->nid;
		ctx->zid = st->zid;
		ctx->started = true;
		sent++;
		nid = st->nid;
		zid = st->zid + 1;
	}
	kfree(st);

	if (err == -EMSGSIZE && sent)
		return skb->len;
	if (err) {
		NL_SET_ERR_MSG(cb->extack, "memvirt: zone message too big");
		return err;
	}
	return skb->len;
}

static struct genl_family memvirt_family __ro_after_init = {
	.name = MEMVIRT_FAMILY_NAME,
	.version = MEMVIRT_FAMILY_VERSION,
	.netnsok = false,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = memvirt_nl_ops,
	.n_ops = ARRAY_SIZE(memvirt_nl_ops),
};

/*
 * Dumps need no start callback: netlink zeroes cb->ctx when a dump starts,
 * and requests are checked in the first round of dumpit, not in start (6.1
 * drops start's extack; dumpit's reaches the caller in NLMSG_DONE).
 */
int __init memvirt_netlink_init(void)
{
	BUILD_BUG_ON(sizeof(struct memvirt_dump_ctx) >
		     sizeof_field(struct netlink_callback, ctx));
	BUILD_BUG_ON(sizeof(struct memvirt_zone_dump_ctx) >
		     sizeof_field(struct netlink_callback, ctx));
	return genl_register_family(&memvirt_family);
}

void memvirt_netlink_exit(void)
{
	genl_unregister_family(&memvirt_family);
}
