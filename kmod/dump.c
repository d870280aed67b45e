// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt: VM and memslot dumps as one snapshot, rendered once.
 *
 * The first round of a dump finds the VMs once (memvirt_vms_collect()),
 * renders every message of the dump into a buffer the dump owns and drops
 * every VM reference before it returns; each round, that one included,
 * copies whole messages from the buffer into its skb. So a dump walks the
 * caller's processes once, not once per round, and between rounds it
 * holds bytes, never a VM: a reader that stops reading pins no VM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "memvirt.h"

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/netlink.h>

/*
 * Append the one message in @msg to the dump's buffer and empty @msg. The
 * buffer is charged to the caller's memory cgroup and grows by doubling,
 * so each byte is copied a bounded number of times on average.
 */
int memvirt_dump_append(struct memvirt_dump_ctx *ctx, struct sk_buff *msg)
{
	size_t need = ctx->len + msg->len, cap;
	u8 *buf;

	if (need > ctx->cap) {
		cap = max3(need, 2 * ctx->cap, (size_t)PAGE_SIZE);
		buf = kvmalloc(cap, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!buf)
			return -ENOMEM;
		if (ctx->len)
			memcpy(buf, ctx->buf, ctx->len);
		kvfree(ctx->buf);
		ctx->buf = buf;
		ctx->cap = cap;
	}
	memcpy(ctx->buf + ctx->len, msg->data, msg->len);
	ctx->len = need;
	skb_trim(msg, 0);
	return 0;
}

static void memvirt_dump_free(struct memvirt_dump_ctx *ctx)
{
	kvfree(ctx->buf);
	ctx->buf = NULL;
	ctx->len = 0;
	ctx->cap = 0;
	ctx->off = 0;
}

/*
 * The first round of a VM or memslot dump: find the VMs the caller may see
 * (all, or only @only; -ENOENT if it is not among them) and @render every
 * message of the dump into ctx->buf, in key order. Each VM is dropped right
 * after its messages are built, and every reference is gone on return,
 * whatever the outcome. Errors carry an extack message. May sleep.
 *
 * Cost: one walk of the caller's processes per dump; memory: the dump's
 * messages (about 800 bytes per VM with one vCPU, measured on 6.12; under
 * 200 per memslot) for at most MEMVIRT_MAX_VMS VMs (vm.c), beyond which
 * the walk fails with -E2BIG.
 */
int memvirt_dump_render(struct netlink_callback *cb,
			struct memvirt_dump_ctx *ctx,
			const struct memvirt_key *only,
			memvirt_render_t render)
{
	struct memvirt_vm_list list;
	struct sk_buff *msg;
	struct memvirt_vm *vm;
	unsigned int i;
	int err;

	err = memvirt_vms_collect(&list);
	if (err) {
		NL_SET_ERR_MSG(cb->extack, "memvirt: cannot list the VMs");
		return err;
	}
	if (only && !memvirt_vms_find(&list, only)) {
		memvirt_vms_release(&list);
		NL_SET_ERR_MSG(cb->extack, "memvirt: no such VM");
		return -ENOENT;
	}
	/* One message at a time, in the smallest skb a round can get. */
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	err = msg ? 0 : -ENOMEM;
	for (i = 0; i < list.nr && !err; i++) {
		vm = &list.vms[i];
		if (!only || !memvirt_key_cmp(&vm->key, only))
			err = render(ctx, msg, vm, cb);
		/* Hold a VM no longer than needed (see memvirt_vm_put()). */
		memvirt_vm_put(vm);
		cond_resched();
	}
	nlmsg_free(msg);
	memvirt_vms_release(&list);
	if (!err)
		return 0;
	memvirt_dump_free(ctx);
	if (err == -ENOMEM)
		NL_SET_ERR_MSG(cb->extack,
			       "memvirt: out of memory (a dump is built whole in its first round)");
	else if (err == -EMSGSIZE)
		NL_SET_ERR_MSG(cb->extack, "memvirt: a message of the dump is too big");
	else
		NL_SET_ERR_MSG(cb->extack, "memvirt: cannot build the dump");
	return err;
}

/*
 * A round: whole messages from ctx->buf, as many as fit in @skb. Returns
 * skb->len (0 once every message is sent, which ends the dump). A message
 * that does not fit an empty skb ends the dump with -EMSGSIZE instead of
 * looping; it cannot happen while messages are built in NLMSG_GOODSIZE,
 * the smallest skb a round gets.
 */
int memvirt_dump_send(struct sk_buff *skb, struct netlink_callback *cb,
		      struct memvirt_dump_ctx *ctx)
{
	const struct nlmsghdr *nlh;
	u32 size;

	while (ctx->off < ctx->len) {
		nlh = (const struct nlmsghdr *)(ctx->buf + ctx->off);
		size = NLMSG_ALIGN(nlh->nlmsg_len);
		/* Only memvirt_dump_append() wrote buf: whole messages. */
		if (WARN_ON_ONCE(size < NLMSG_HDRLEN ||
				 size > ctx->len - ctx->off))
			return -EINVAL;
		if (size > skb_tailroom(skb))
			break;
		skb_put_data(skb, nlh, size);
		ctx->off += size;
	}
	if (ctx->off < ctx->len && !skb->len) {
		NL_SET_ERR_MSG(cb->extack,
			       "memvirt: a message of the dump does not fit the receive buffer");
		return -EMSGSIZE;
	}
	return skb->len;
}

/*
 * The .done callback of VM and memslot dumps: netlink calls it once, when
 * the dump ends (also with an error) or when its socket is closed mid-dump.
 */
int memvirt_dump_done(struct netlink_callback *cb)
{
	memvirt_dump_free((struct memvirt_dump_ctx *)cb->ctx);
	return 0;
}
