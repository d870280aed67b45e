// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal memvirt generic netlink client for the selftests, see memvirt_nl.h.
 *
 * libnl builds and sends the messages; replies are read with one nl_recv()
 * per batch and walked by hand, so the tests see every batch boundary,
 * NLMSG_DONE and the extack TLVs exactly as the kernel sent them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "memvirt_nl.h"
#include "memvirt_nl_gen.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK	11
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED	0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS	0x200
#endif

/* Values of the nlmsgerr TLVs (stable UAPI, <linux/netlink.h>). */
#define MV_NLMSGERR_ATTR_MSG	1
#define MV_NLMSGERR_ATTR_OFFS	2

static int local_err(struct mv_err *err, int e, const char *what)
{
	err->err = e;
	snprintf(err->msg, sizeof(err->msg), "local: %s: %s", what, strerror(-e));
	return e;
}

int mv_nl_open(struct mv_nl *nl)
{
	return mv_nl_open_bufsize(nl, 0);
}

int mv_nl_open_bufsize(struct mv_nl *nl, size_t bufsize)
{
	int one = 1, ret;

	nl->family = -1;
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	/* Before the first read: the kernel remembers the largest buffer. */
	if (bufsize) {
		nl_socket_disable_msg_peek(nl->sk);
		if (nl_socket_set_msg_buf_size(nl->sk, bufsize)) {
			ret = -EINVAL;
			goto err;
		}
	}
	if (genl_connect(nl->sk)) {
		ret = -errno ?: -EIO;
		goto err;
	}
	nl_socket_disable_auto_ack(nl->sk);
	nl_socket_disable_seq_check(nl->sk);
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, MEMVIRT_FAMILY_NAME);
	if (nl->family < 0) {
		ret = nl->family == -NLE_OBJ_NOTFOUND ? -ENOENT : -EIO;
		goto err;
	}
	return 0;
err:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return ret;
}

void mv_nl_close(struct mv_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *mv_msg(struct mv_nl *nl, uint8_t cmd, int nlflags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 nlflags, cmd, MEMVIRT_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void parse_tlvs(struct mv_err *err, void *data, int len)
{
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, data, len, rem) {
		if (nla_type(a) == MV_NLMSGERR_ATTR_MSG && nla_len(a) > 0)
			snprintf(err->msg, sizeof(err->msg), "%.*s",
				 nla_len(a), (char *)nla_data(a));
		if (nla_type(a) == MV_NLMSGERR_ATTR_OFFS && nla_len(a) >= 4) {
			err->has_offs = true;
			err->offs = nla_get_u32(a);
		}
	}
}

/* Returns 1 when the exchange is over. */
static int handle_error(struct nlmsghdr *nlh, struct mv_err *err)
{
	struct nlmsgerr *e = nlmsg_data(nlh);
	int len = nlmsg_datalen(nlh), off = sizeof(*e);

	if (len < (int)sizeof(*e)) {
		local_err(err, -EBADMSG, "short NLMSG_ERROR");
		return 1;
	}
	err->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(struct nlmsghdr);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && off < len)
		parse_tlvs(err, (char *)e + off, len - off);
	return 1;
}

static int handle_done(struct nlmsghdr *nlh, struct mv_err *err)
{
	int len = nlmsg_datalen(nlh);

	if (len >= (int)sizeof(int)) {
		err->err = *(int *)nlmsg_data(nlh);
		if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && len > (int)sizeof(int))
			parse_tlvs(err, (char *)nlmsg_data(nlh) + sizeof(int),
				   len - sizeof(int));
	}
	return 1;
}

int mv_recv(struct mv_nl *nl, uint32_t seq, bool multi_only, mv_cb cb,
	    void *arg, struct mv_err *err, struct mv_stats *st)
{
	struct sockaddr_nl peer;
	unsigned char *buf = NULL;
	struct nlmsghdr *nlh;
	bool had_data = false;
	int n, over = 0;

	n = nl_recv(nl->sk, &peer, &buf, NULL);
	if (n <= 0) {
		free(buf);
		if (n == -NLE_INTR || n == -NLE_AGAIN)
			return 0;
		return local_err(err, -EIO, n ? nl_geterror(n) : "EOF");
	}
	st->batches++;
	for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, n);
	     nlh = nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_seq != seq)
			continue;	/* stale reply of an earlier request */
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			over = handle_error(nlh, err);
		} else if (nlh->nlmsg_type == NLMSG_DONE) {
			st->done = true;
			over = handle_done(nlh, err);
		} else if (nlh->nlmsg_type == nl->family) {
			had_data = true;
			st->msgs++;
			if (cb && cb(nlh, arg) < 0 && !err->err)
				local_err(err, -EBADMSG, "reply parse");
			if (!(nlh->nlmsg_flags & NLM_F_MULTI) && !multi_only)
				over = 1;
		}
		if (over)
			break;
	}
	if (had_data)
		st->data_batches++;
	free(buf);
	return over;
}

int mv_request(struct mv_nl *nl, struct nl_msg *msg, mv_cb cb, void *arg,
	       struct mv_err *err, struct mv_stats *st)
{
	struct mv_stats local_st;
	struct mv_err local_e;
	struct nlmsghdr *req = nlmsg_hdr(msg);
	bool ack;
	uint32_t seq;
	int ret;

	if (!err)
		err = &local_e;
	if (!st)
		st = &local_st;
	memset(err, 0, sizeof(*err));
	memset(st, 0, sizeof(*st));
	if (!(req->nlmsg_flags & NLM_F_DUMP))
		req->nlmsg_flags |= NLM_F_ACK;
	ack = req->nlmsg_flags & NLM_F_ACK;
	ret = nl_send_auto(nl->sk, msg);
	seq = req->nlmsg_seq;
	nlmsg_free(msg);
	if (ret < 0)
		return local_err(err, -EIO, nl_geterror(ret));

	do
		ret = mv_recv(nl, seq, ack, cb, arg, err, st);
	while (!ret);
	return ret < 0 ? ret : err->err;
}

/* 4 or 8, the payload of a numeric attribute of @set by the spec; else 0. */
static int attr_width(int set, int type)
{
	const struct mv_set_spec *s = &mv_sets[set];

	if (type > s->max)
		return 0;
	switch (s->attrs[type].kind) {
	case MV_K_U32:
	case MV_K_S32:
		return 4;
	case MV_K_U64:
		return 8;
	default:
		return 0;
	}
}

/* Stores a u32/u64 attribute in val[], or marks it bad. */
static void put_num(struct nlattr *a, int width, uint64_t *val,
		    uint64_t *have, uint64_t *bad)
{
	int t = nla_type(a);

	*have |= 1ULL << t;
	if (width == 4 && nla_len(a) == 4)
		val[t] = nla_get_u32(a);
	else if (width == 8 && nla_len(a) == 8)
		val[t] = nla_get_u64(a);
	else
		*bad |= 1ULL << t;
}

static void put_str(struct nlattr *a, char *dst, size_t size, uint64_t *bad)
{
	int len = nla_len(a);
	const char *s = nla_data(a);

	if (len < 1 || s[len - 1] != '\0' || (size_t)len > size) {
		*bad |= 1ULL << nla_type(a);
		len = len > 0 ? len : 0;
		if ((size_t)len >= size)
			len = size - 1;
		memcpy(dst, s, len);
		dst[len] = '\0';
		return;
	}
	memcpy(dst, s, len);
}

int mv_parse_vm(struct nlmsghdr *nlh, struct mv_vm *vm)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a, *c;
	int rem, crem;

	memset(vm, 0, sizeof(*vm));
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		int t = nla_type(a);

		if (t > MEMVIRT_A_VM_MAX)
			continue;	/* newer than this test */
		switch (t) {
		case MEMVIRT_A_VM_ID:
			vm->have |= 1ULL << t;
			put_str(a, vm->id, sizeof(vm->id), &vm->bad);
			break;
		case MEMVIRT_A_VM_COMM:
			vm->have |= 1ULL << t;
			put_str(a, vm->comm, sizeof(vm->comm), &vm->bad);
			break;
		case MEMVIRT_A_VM_PAD:
			break;
		case MEMVIRT_A_VM_HOLDER:
			/* u32, repeated: one pid each */
			vm->have |= 1ULL << t;
			if (nla_len(a) != 4)
				vm->bad |= 1ULL << t;
			else if (vm->nr_holders < MV_MAX_HOLDERS)
				vm->holders[vm->nr_holders++] = nla_get_u32(a);
			break;
		case MEMVIRT_A_VM_CACHE:
			vm->have |= 1ULL << t;
			if (vm->nr_caches >= MV_MAX_CACHES)
				break;
			nla_for_each_nested(c, a, crem) {
				struct mv_cache *mc = &vm->cache[vm->nr_caches];
				int ct = nla_type(c);
				uint64_t cbad = 0;

				if (!attr_width(MV_SET_CACHE, ct))
					continue;
				put_num(c, attr_width(MV_SET_CACHE, ct), mc->val, &mc->have, &cbad);
				if (cbad)
					vm->bad |= 1ULL << t;
			}
			vm->nr_caches++;
			break;
		default:
			if (mv_vm_attrs[t].kind != MV_K_FLAG) {
				put_num(a, attr_width(MV_SET_VM, t), vm->val,
					&vm->have, &vm->bad);
				break;
			}
			/* Flags: present or not, and empty. */
			vm->have |= 1ULL << t;
			if (nla_len(a))
				vm->bad |= 1ULL << t;
		}
	}
	return 0;
}

static int parse_slot(struct nlmsghdr *nlh, struct mv_slot *s)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a;
	int rem;

	memset(s, 0, sizeof(*s));
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		int t = nla_type(a);

		if (t > MEMVIRT_A_SLOT_MAX || t == MEMVIRT_A_SLOT_PAD)
			continue;
		if (t == MEMVIRT_A_SLOT_VM_ID) {
			s->have |= 1ULL << t;
			put_str(a, s->vm_id, sizeof(s->vm_id), &s->bad);
		} else {
			put_num(a, attr_width(MV_SET_SLOT, t), s->val, &s->have, &s->bad);
		}
	}
	return 0;
}

struct collect {
	void *arr;
	int nr, cap;
	size_t size;
	int (*parse)(struct nlmsghdr *nlh, void *obj);
};

static int collect_cb(struct nlmsghdr *nlh, void *arg)
{
	struct collect *c = arg;

	if (c->nr == c->cap) {
		int cap = c->cap ? c->cap * 2 : 64;
		void *p = realloc(c->arr, cap * c->size);

		if (!p)
			return -1;
		c->arr = p;
		c->cap = cap;
	}
	return c->parse(nlh, (char *)c->arr + c->nr++ * c->size);
}

/*
 * Dumps @cmd (with an optional string selector attribute) and collects one
 * object of @size per message through @parse into a malloc'd array.
 */
static int dump_collect(struct mv_nl *nl, int cmd, int sel_attr,
			const char *sel, size_t size,
			int (*parse)(struct nlmsghdr *nlh, void *obj),
			void **arr, int *nr, struct mv_err *err,
			struct mv_stats *st)
{
	struct collect c = { .size = size, .parse = parse };
	struct nl_msg *msg = mv_msg(nl, cmd, NLM_F_DUMP);
	struct mv_err e;
	int ret;

	if (!err)
		err = &e;
	if (!msg || (sel && nla_put_string(msg, sel_attr, sel))) {
		nlmsg_free(msg);
		return local_err(err, -ENOMEM, "nlmsg_alloc");
	}
	ret = mv_request(nl, msg, collect_cb, &c, err, st);
	*arr = c.arr;
	*nr = c.nr;
	return ret;
}

int mv_dump_vms(struct mv_nl *nl, struct mv_vm **vms, int *nr,
		struct mv_err *err, struct mv_stats *st)
{
	return dump_collect(nl, MEMVIRT_CMD_VM_GET, 0, NULL, sizeof(**vms),
			    (void *)mv_parse_vm, (void **)vms, nr, err, st);
}

static int get_vm_cb(struct nlmsghdr *nlh, void *arg)
{
	return mv_parse_vm(nlh, arg);
}

int mv_get_vm(struct mv_nl *nl, const char *id, struct mv_vm *vm,
	      struct mv_err *err)
{
	struct nl_msg *msg = mv_msg(nl, MEMVIRT_CMD_VM_GET, 0);
	struct mv_stats st;
	struct mv_err e;
	int ret;

	if (!err)
		err = &e;
	if (!msg || nla_put_string(msg, MEMVIRT_A_VM_ID, id)) {
		nlmsg_free(msg);
		return local_err(err, -ENOMEM, "nlmsg_alloc");
	}
	memset(vm, 0, sizeof(*vm));
	ret = mv_request(nl, msg, get_vm_cb, vm, err, &st);
	if (!ret && st.msgs != 1)
		return local_err(err, -EBADMSG, "VM_GET do did not answer one VM");
	return ret;
}

int mv_dump_slots(struct mv_nl *nl, const char *vm_id, struct mv_slot **slots,
		  int *nr, struct mv_err *err, struct mv_stats *st)
{
	return dump_collect(nl, MEMVIRT_CMD_MEMSLOT_GET, MEMVIRT_A_SLOT_VM_ID,
			    vm_id, sizeof(**slots), (void *)parse_slot,
			    (void **)slots, nr, err, st);
}

/* Stores a 4-byte attribute; marks it bad if it has another size. */
static uint32_t get_u32(struct nlattr *a, uint64_t *have, uint64_t *bad)
{
	*have |= 1ULL << nla_type(a);
	if (nla_len(a) != 4) {
		*bad |= 1ULL << nla_type(a);
		return 0;
	}
	return nla_get_u32(a);
}

static uint64_t get_u64(struct nlattr *a, uint64_t *have, uint64_t *bad)
{
	*have |= 1ULL << nla_type(a);
	if (nla_len(a) != 8) {
		*bad |= 1ULL << nla_type(a);
		return 0;
	}
	return nla_get_u64(a);
}

static void parse_order(struct nlattr *nest, struct mv_zone *z)
{
	struct nlattr *a;
	int rem, i = z->nr_orders++;

	if (i >= MV_MAX_ORDERS)
		return;
	nla_for_each_nested(a, nest, rem) {
		uint64_t *have = &z->order[i].have, *bad = &z->order[i].bad;

		switch (nla_type(a)) {
		case MEMVIRT_A_ORDER_ORDER:
			z->order[i].order = get_u32(a, have, bad);
			break;
		case MEMVIRT_A_ORDER_FREE_BLOCKS:
			z->order[i].free_blocks = get_u64(a, have, bad);
			break;
		case MEMVIRT_A_ORDER_UNUSABLE_INDEX:
			z->order[i].unusable = get_u32(a, have, bad);
			break;
		case MEMVIRT_A_ORDER_FRAG_INDEX:
			z->order[i].frag = (int32_t)get_u32(a, have, bad);
			break;
		}
	}
}

static int parse_zone(struct nlmsghdr *nlh, struct mv_zone *z)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a;
	int rem;

	memset(z, 0, sizeof(*z));
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		switch (nla_type(a)) {
		case MEMVIRT_A_ZONE_NODE:
			z->node = get_u32(a, &z->have, &z->bad);
			break;
		case MEMVIRT_A_ZONE_NAME:
			z->have |= 1ULL << MEMVIRT_A_ZONE_NAME;
			put_str(a, z->name, sizeof(z->name), &z->bad);
			break;
		case MEMVIRT_A_ZONE_MANAGED_PAGES:
			z->managed_pages = get_u64(a, &z->have, &z->bad);
			break;
		case MEMVIRT_A_ZONE_FREE_PAGES:
			z->free_pages = get_u64(a, &z->have, &z->bad);
			break;
		case MEMVIRT_A_ZONE_MAX_FREE_ORDER:
			z->max_free_order = (int32_t)get_u32(a, &z->have, &z->bad);
			break;
		case MEMVIRT_A_ZONE_ORDER:
			z->have |= 1ULL << MEMVIRT_A_ZONE_ORDER;
			parse_order(a, z);
			break;
		}
	}
	return 0;
}

int mv_dump_zones(struct mv_nl *nl, struct mv_zone **zones, int *nr,
		  struct mv_err *err, struct mv_stats *st)
{
	return dump_collect(nl, MEMVIRT_CMD_ZONE_GET, 0, NULL, sizeof(**zones),
			    (void *)parse_zone, (void **)zones, nr, err, st);
}

const struct mv_vm *mv_find_vm(const struct mv_vm *vms, int nr, const char *id)
{
	int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(vms[i].id, id))
			return &vms[i];
	return NULL;
}

int mv_parse_id_tag(const char *id, int *pid, int *fd, uint32_t *tag)
{
	unsigned int t;
	char x, tail;
	int n = 0;

	*tag = 0;
	if (sscanf(id, "%d-%d%c", pid, fd, &tail) == 2 && *pid > 0 && *fd >= 0)
		return 0;
	/* memvirt's own id of a VM KVM did not name: "<pid>-x<8 hex>" */
	if (sscanf(id, "%d-%c%8x%n", pid, &x, &t, &n) == 3 && x == 'x' &&
	    *pid > 0 && n > 0 && !id[n] && strlen(strchr(id, 'x') + 1) == 8 && t) {
		*fd = -1;
		*tag = t;
		return 0;
	}
	return -1;
}

int mv_parse_id(const char *id, int *pid, int *fd)
{
	uint32_t tag;

	return mv_parse_id_tag(id, pid, fd, &tag);
}
