// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: generic netlink client.
 *
 * One request at a time: send, then run libnl's receive loop until the
 * request is finished (ACK for a do, NLMSG_DONE for a dump) or failed
 * (NLMSG_ERROR, or an error code carried by NLMSG_DONE). Kernel extack
 * messages are kept so the user sees the module's own explanation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

struct mv_nl {
	struct nl_sock *sk;
	int family;
	uint32_t version;
	char msg[256];		/* extack or libnl text of the last failure */
};

struct mv_req {
	struct mv_nl *nl;
	uint8_t cmd;		/* expected command in replies, 0: any */
	int (*parse)(struct nlmsghdr *nlh, void *ctx);
	void *ctx;
	uint32_t seq;		/* of the request: replies must echo it */
	int err;		/* first error, negative errno */
	bool done;
};

static const struct nla_policy ctrl_policy[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID]	= { .type = NLA_U16 },
	[CTRL_ATTR_VERSION]	= { .type = NLA_U32 },
};

static const struct nla_policy vm_policy[MEMVIRT_A_VM_MAX + 1] = {
	[MEMVIRT_A_VM_ID]		= { .type = NLA_STRING,
					    .maxlen = MEMVIRT_VM_ID_LEN },
	[MEMVIRT_A_VM_PID]		= { .type = NLA_U32 },
	[MEMVIRT_A_VM_COMM]		= { .type = NLA_STRING },
	[MEMVIRT_A_VM_VCPUS_CREATED]	= { .type = NLA_U32 },
	[MEMVIRT_A_VM_VCPUS_ONLINE]	= { .type = NLA_U32 },
	[MEMVIRT_A_VM_NR_MEMSLOTS]	= { .type = NLA_U32 },
	[MEMVIRT_A_VM_MEM_BYTES]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_MAP_4K]		= { .type = NLA_U64 },
	[MEMVIRT_A_VM_MAP_2M]		= { .type = NLA_U64 },
	[MEMVIRT_A_VM_MAP_1G]		= { .type = NLA_U64 },
	[MEMVIRT_A_VM_MAPPED_BYTES]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_HUGE_MAPPED_PPM]	= { .type = NLA_U32 },
	[MEMVIRT_A_VM_MMU_TDP_PAGES]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_MMU_SHADOW_PAGES]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_CACHE]		= { .type = NLA_NESTED },
	[MEMVIRT_A_VM_RMAP_BYTES]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_LPAGE_INFO_BYTES]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_DIRTY_BITMAP_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_WRITE_TRACK_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_VM_PAGE_TABLE_BYTES]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_CACHE_BYTES]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_VCPU_BYTES]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_OVERHEAD_BYTES]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_NX_LPAGE_SPLITS]	= { .type = NLA_U64 },
	[MEMVIRT_A_VM_PID_IS_MM_OWNER]	= { .type = NLA_FLAG },
	[MEMVIRT_A_VM_MMU_TDP_PAGES_PARTIAL] = { .type = NLA_FLAG },
	[MEMVIRT_A_VM_HELD_BY]		= { .type = NLA_U32 },
	[MEMVIRT_A_VM_HOLDER]		= { .type = NLA_U32 },
	[MEMVIRT_A_VM_NR_HOLDERS]	= { .type = NLA_U32 },
	[MEMVIRT_A_VM_NO_DEBUGFS]	= { .type = NLA_FLAG },
};

static const struct nla_policy cache_policy[MEMVIRT_A_CACHE_MAX + 1] = {
	[MEMVIRT_A_CACHE_TYPE]		= { .type = NLA_U32 },
	[MEMVIRT_A_CACHE_OBJECTS]	= { .type = NLA_U64 },
	[MEMVIRT_A_CACHE_CAPACITY]	= { .type = NLA_U64 },
	[MEMVIRT_A_CACHE_OBJECT_SIZE]	= { .type = NLA_U32 },
	[MEMVIRT_A_CACHE_BYTES]		= { .type = NLA_U64 },
};

static const struct nla_policy slot_policy[MEMVIRT_A_SLOT_MAX + 1] = {
	[MEMVIRT_A_SLOT_VM_ID]		= { .type = NLA_STRING,
					    .maxlen = MEMVIRT_VM_ID_LEN },
	[MEMVIRT_A_SLOT_ID]		= { .type = NLA_U32 },
	[MEMVIRT_A_SLOT_AS_ID]		= { .type = NLA_U32 },
	[MEMVIRT_A_SLOT_GPA]		= { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_SIZE]		= { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_HVA]		= { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_FLAGS]		= { .type = NLA_U32 },
	[MEMVIRT_A_SLOT_RMAP_BYTES]	= { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_LPAGE_INFO_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_DIRTY_BITMAP_BYTES] = { .type = NLA_U64 },
	[MEMVIRT_A_SLOT_WRITE_TRACK_BYTES] = { .type = NLA_U64 },
};

static const struct nla_policy zone_policy[MEMVIRT_A_ZONE_MAX + 1] = {
	[MEMVIRT_A_ZONE_NODE]		= { .type = NLA_U32 },
	[MEMVIRT_A_ZONE_NAME]		= { .type = NLA_STRING },
	[MEMVIRT_A_ZONE_MANAGED_PAGES]	= { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_FREE_PAGES]	= { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_MAX_FREE_ORDER]	= { .type = NLA_U32 },
	[MEMVIRT_A_ZONE_ORDER]		= { .type = NLA_NESTED },
	[MEMVIRT_A_ZONE_WMARK_MIN]	= { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_WMARK_LOW]	= { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_WMARK_HIGH]	= { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_LOWMEM_RESERVE]	= { .type = NLA_U64 },
	[MEMVIRT_A_ZONE_HIGHATOMIC]	= { .type = NLA_U64 },
};

static const struct nla_policy order_policy[MEMVIRT_A_ORDER_MAX + 1] = {
	[MEMVIRT_A_ORDER_ORDER]		= { .type = NLA_U32 },
	[MEMVIRT_A_ORDER_FREE_BLOCKS]	= { .type = NLA_U64 },
	[MEMVIRT_A_ORDER_UNUSABLE_INDEX] = { .type = NLA_U32 },
	[MEMVIRT_A_ORDER_FRAG_INDEX]	= { .type = NLA_U32 },
};

static const struct nla_policy extack_policy[NLMSGERR_ATTR_MAX + 1] = {
	[NLMSGERR_ATTR_MSG]	= { .type = NLA_STRING },
};

/* libnl error (NLE_*) to errno, remembering libnl's text for the user. */
static int mv_nl_nle(struct mv_nl *nl, int nle)
{
	if (nle < 0)
		nle = -nle;
	snprintf(nl->msg, sizeof(nl->msg), "%s", nl_geterror(nle));
	switch (nle) {
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_PERM:		return -EPERM;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:	return -EBADMSG;
	default:		return -EIO;
	}
}

/* Extended ACK TLVs start @off bytes into the payload of @nlh. */
static void mv_req_extack(struct mv_req *req, struct nlmsghdr *nlh, size_t off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t len = nlmsg_datalen(nlh);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_ALIGN(off);
	if (off >= len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + off),
		      len - off, extack_policy) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(req->nl->msg, sizeof(req->nl->msg), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
}

static int mv_req_on_error(struct sockaddr_nl *who, struct nlmsgerr *e,
			   void *arg)
{
	/* libnl hands us the payload; the header sits right before it. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct mv_req *req = arg;
	size_t off = sizeof(*e);

	(void)who;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= NLMSG_HDRLEN)
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;

	req->err = e->error < 0 ? e->error : -e->error;
	mv_req_extack(req, nlh, off);
	req->done = true;
	return NL_STOP;
}

/* NLMSG_DONE: a dump may end with an error code and extack TLVs. */
static int mv_req_on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct mv_req *req = arg;
	int code = 0;

	if (nlmsg_datalen(nlh) >= (int)sizeof(code))
		memcpy(&code, nlmsg_data(nlh), sizeof(code));
	if (code < 0) {
		req->err = code;
		mv_req_extack(req, nlh, sizeof(code));
	}
	req->done = true;
	return NL_STOP;
}

static int mv_req_on_ack(struct nl_msg *msg, void *arg)
{
	struct mv_req *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

/* Skip anything not answering our request (e.g. a late ACK). */
static int mv_req_on_seq(struct nl_msg *msg, void *arg)
{
	struct mv_req *req = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == req->seq ? NL_OK : NL_SKIP;
}

static int mv_req_on_valid(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct mv_req *req = arg;
	struct genlmsghdr *gh;
	int err;

	if (!genlmsg_valid_hdr(nlh, 0)) {
		err = -EBADMSG;
		goto fail;
	}
	gh = nlmsg_data(nlh);
	if (req->cmd && gh->cmd != req->cmd)
		return NL_SKIP;
	err = req->parse(nlh, req->ctx);
	if (!err)
		return NL_OK;
fail:
	req->err = err;
	req->done = true;
	return NL_STOP;
}

/* Sends @msg (consumed) and receives until the request completes. */
static int mv_nl_request(struct mv_nl *nl, struct nl_msg *msg, uint8_t cmd,
			 int (*parse)(struct nlmsghdr *, void *), void *ctx)
{
	struct mv_req req = {
		.nl = nl, .cmd = cmd, .parse = parse, .ctx = ctx,
	};
	struct nl_cb *cb;
	int ret;

	nl->msg[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, mv_req_on_seq, &req);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, mv_req_on_valid, &req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, mv_req_on_finish, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, mv_req_on_ack, &req);
	nl_cb_err(cb, NL_CB_CUSTOM, mv_req_on_error, &req);

	ret = nl_send_auto(nl->sk, msg);
	req.seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (ret < 0) {
		req.err = mv_nl_nle(nl, ret);
		goto out;
	}
	while (!req.done) {
		ret = nl_recvmsgs_report(nl->sk, cb);
		if (req.done)
			break;
		if (ret < 0) {
			req.err = mv_nl_nle(nl, ret);
			break;
		}
		if (ret == 0) {
			snprintf(nl->msg, sizeof(nl->msg),
				 "netlink reply ended early");
			req.err = -EPROTO;
			break;
		}
	}
out:
	nl_cb_put(cb);
	return req.err;
}

/*
 * A new request for our family; NULL if out of memory. A do asks for an
 * ACK, which ends it; a dump ends with NLMSG_DONE.
 */
static struct nl_msg *mv_nl_msg(struct mv_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!(flags & NLM_F_DUMP))
		flags |= NLM_F_ACK;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, MEMVIRT_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Copies the numeric attributes described by @pol into @val/@present. */
static void mv_get_values(struct nlattr **tb, const struct nla_policy *pol,
			  int max, uint64_t *val, uint64_t *present)
{
	int i;

	for (i = 1; i <= max; i++) {
		if (!tb[i])
			continue;
		switch (pol[i].type) {
		case NLA_U32:
			val[i] = nla_get_u32(tb[i]);
			break;
		case NLA_U64:
			val[i] = nla_get_u64(tb[i]);
			break;
		case NLA_FLAG:
			val[i] = 1;
			break;
		default:
			continue;
		}
		*present |= 1ULL << i;
	}
}

static void mv_get_string(char *dst, size_t size, struct nlattr *nla)
{
	if (nla)
		snprintf(dst, size, "%s", nla_get_string(nla));
}

/* ---- family lookup ---------------------------------------------------- */

static int mv_parse_family(struct nlmsghdr *nlh, void *ctx)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct mv_nl *nl = ctx;
	int err;

	err = genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, ctrl_policy);
	if (err < 0 || !tb[CTRL_ATTR_FAMILY_ID])
		return -EBADMSG;
	nl->family = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	nl->version = tb[CTRL_ATTR_VERSION] ?
		      nla_get_u32(tb[CTRL_ATTR_VERSION]) : 0;
	return 0;
}

static int mv_nl_resolve(struct mv_nl *nl)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0,
			 NLM_F_ACK, CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, MEMVIRT_FAMILY_NAME)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return mv_nl_request(nl, msg, CTRL_CMD_NEWFAMILY, mv_parse_family, nl);
}

static bool mv_nl_version_ok(const struct mv_nl *nl)
{
	if (nl->version == MEMVIRT_FAMILY_VERSION)
		return true;
	if (nl->version < MEMVIRT_FAMILY_VERSION) {
		fprintf(stderr,
			"memvirt: the loaded memvirt.ko speaks family version %u, "
			"this memvirt needs %u: rebuild and reload kmod/memvirt.ko\n",
			nl->version, MEMVIRT_FAMILY_VERSION);
		return false;
	}
	/* Newer modules only add attributes, which we skip. */
	fprintf(stderr,
		"memvirt: warning: the loaded memvirt.ko speaks family version %u, "
		"newer than this memvirt (%u): statistics it added are not shown\n",
		nl->version, MEMVIRT_FAMILY_VERSION);
	return true;
}

struct mv_nl *mv_nl_open(void)
{
	struct mv_nl *nl = calloc(1, sizeof(*nl));
	int one = 1;
	int err;

	if (!nl) {
		fprintf(stderr, "memvirt: out of memory\n");
		return NULL;
	}
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		fprintf(stderr, "memvirt: out of memory\n");
		goto fail;
	}
	err = genl_connect(nl->sk);
	if (err < 0) {
		fprintf(stderr, "memvirt: cannot open a generic netlink socket: %s\n",
			nl_geterror(err));
		goto fail;
	}
	/* ACKs are requested per message: a do wants one, a dump not. */
	nl_socket_disable_auto_ack(nl->sk);
	/* Best effort: without it errors just lack the kernel's text. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));

	err = mv_nl_resolve(nl);
	if (err == -ENOENT) {
		if (!access("/sys/module/memvirt", F_OK))
			fprintf(stderr, "memvirt: memvirt.ko is loaded, but its "
				"netlink family exists only in the host's initial "
				"network namespace: run memvirt there\n");
		else
			fprintf(stderr, "memvirt: memvirt.ko is not loaded: "
				"run `sudo insmod kmod/memvirt.ko`\n");
		goto fail;
	}
	if (err) {
		mv_nl_perror(nl, err, "looking up the memvirt netlink family");
		goto fail;
	}
	if (!mv_nl_version_ok(nl))
		goto fail;
	return nl;
fail:
	mv_nl_close(nl);
	return NULL;
}

void mv_nl_close(struct mv_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

void mv_nl_perror(const struct mv_nl *nl, int err, const char *what)
{
	if (err == -EPERM || err == -EACCES) {
		fprintf(stderr, "memvirt: %s: permission denied%s%s\n", what,
			nl->msg[0] ? ": " : "", nl->msg);
		return;
	}
	if (err == -EBADMSG && !nl->msg[0]) {
		fprintf(stderr, "memvirt: %s: malformed reply from memvirt.ko\n",
			what);
		return;
	}
	if (nl->msg[0]) {
		const char *m = nl->msg;

		/* The module may name itself; we already do. */
		if (!strncmp(m, "memvirt: ", 9))
			m += 9;
		fprintf(stderr, "memvirt: %s: %s\n", what, m);
	} else
		fprintf(stderr, "memvirt: %s: %s\n", what, strerror(-err));
}

/* ---- VMs -------------------------------------------------------------- */

static int mv_parse_cache(struct mv_vm *vm, struct nlattr *nest)
{
	struct nlattr *tb[MEMVIRT_A_CACHE_MAX + 1];
	struct mv_cache *c;

	if (vm->nr_caches >= MV_MAX_CACHES)
		return 0;	/* more than we know of: keep the first ones */
	if (nla_parse_nested(tb, MEMVIRT_A_CACHE_MAX, nest, cache_policy) < 0 ||
	    !tb[MEMVIRT_A_CACHE_TYPE])
		return -EBADMSG;
	c = &vm->caches[vm->nr_caches++];
	mv_get_values(tb, cache_policy, MEMVIRT_A_CACHE_MAX, c->val,
		      &c->present);
	return 0;
}

static int mv_parse_vm(struct nlmsghdr *nlh, struct mv_vm *vm)
{
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[MEMVIRT_A_VM_MAX + 1];
	struct nlattr *nla;
	int rem, err;

	memset(vm, 0, sizeof(*vm));
	err = genlmsg_parse(nlh, 0, tb, MEMVIRT_A_VM_MAX, vm_policy);
	if (err < 0 || !tb[MEMVIRT_A_VM_ID])
		return -EBADMSG;
	mv_get_string(vm->id, sizeof(vm->id), tb[MEMVIRT_A_VM_ID]);
	mv_get_string(vm->comm, sizeof(vm->comm), tb[MEMVIRT_A_VM_COMM]);
	mv_get_values(tb, vm_policy, MEMVIRT_A_VM_MAX, vm->val, &vm->present);
	if (tb[MEMVIRT_A_VM_COMM])
		vm->present |= 1ULL << MEMVIRT_A_VM_COMM;
	vm->present |= 1ULL << MEMVIRT_A_VM_ID;

	/* Multi-attribute: nla_parse only kept the last one. */
	nla_for_each_attr(nla, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			  rem) {
		if (nla_type(nla) == MEMVIRT_A_VM_HOLDER &&
		    vm->nr_holders < MEMVIRT_MAX_HOLDERS)
			vm->holders[vm->nr_holders++] = nla_get_u32(nla);
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
	if (genlmsg_parse(nlh, 0, tb, MEMVIRT_A_SLOT_MAX, slot_policy) < 0)
		return -EBADMSG;
	mv_get_string(slot.vm_id, sizeof(slot.vm_id), tb[MEMVIRT_A_SLOT_VM_ID]);
	mv_get_values(tb, slot_policy, MEMVIRT_A_SLOT_MAX, slot.val,
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
	uint32_t order;

	if (nla_parse_nested(tb, MEMVIRT_A_ORDER_MAX, nest, order_policy) < 0 ||
	    !tb[MEMVIRT_A_ORDER_ORDER] || !tb[MEMVIRT_A_ORDER_FREE_BLOCKS] ||
	    !tb[MEMVIRT_A_ORDER_UNUSABLE_INDEX] || !tb[MEMVIRT_A_ORDER_FRAG_INDEX])
		return -EBADMSG;
	order = nla_get_u32(tb[MEMVIRT_A_ORDER_ORDER]);
	if (order >= MV_MAX_ORDERS)
		return 0;		/* more than we can show */
	if (order != z->nr_orders)
		return -EBADMSG;	/* orders come 0, 1, 2, ... */
	z->order[order].free_blocks = nla_get_u64(tb[MEMVIRT_A_ORDER_FREE_BLOCKS]);
	z->order[order].unusable = nla_get_u32(tb[MEMVIRT_A_ORDER_UNUSABLE_INDEX]);
	z->order[order].frag = (int32_t)nla_get_u32(tb[MEMVIRT_A_ORDER_FRAG_INDEX]);
	z->nr_orders++;
	return 0;
}

static int mv_zone_msg(struct nlmsghdr *nlh, void *ctx)
{
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[MEMVIRT_A_ZONE_MAX + 1];
	struct mv_zone_walk *w = ctx;
	struct mv_zone z;
	struct nlattr *nla;
	int rem, err;

	memset(&z, 0, sizeof(z));
	err = genlmsg_parse(nlh, 0, tb, MEMVIRT_A_ZONE_MAX, zone_policy);
	if (err < 0 || !tb[MEMVIRT_A_ZONE_NODE] || !tb[MEMVIRT_A_ZONE_NAME] ||
	    !tb[MEMVIRT_A_ZONE_MANAGED_PAGES] || !tb[MEMVIRT_A_ZONE_FREE_PAGES] ||
	    !tb[MEMVIRT_A_ZONE_MAX_FREE_ORDER])
		return -EBADMSG;
	z.node = nla_get_u32(tb[MEMVIRT_A_ZONE_NODE]);
	mv_get_string(z.name, sizeof(z.name), tb[MEMVIRT_A_ZONE_NAME]);
	z.managed_pages = nla_get_u64(tb[MEMVIRT_A_ZONE_MANAGED_PAGES]);
	z.free_pages = nla_get_u64(tb[MEMVIRT_A_ZONE_FREE_PAGES]);
	z.max_free_order = (int32_t)nla_get_u32(tb[MEMVIRT_A_ZONE_MAX_FREE_ORDER]);
	if (tb[MEMVIRT_A_ZONE_WMARK_MIN] && tb[MEMVIRT_A_ZONE_WMARK_LOW] &&
	    tb[MEMVIRT_A_ZONE_WMARK_HIGH]) {
		z.has_wmarks = true;
		z.wmark_min = nla_get_u64(tb[MEMVIRT_A_ZONE_WMARK_MIN]);
		z.wmark_low = nla_get_u64(tb[MEMVIRT_A_ZONE_WMARK_LOW]);
		z.wmark_high = nla_get_u64(tb[MEMVIRT_A_ZONE_WMARK_HIGH]);
	}
	if (tb[MEMVIRT_A_ZONE_LOWMEM_RESERVE] && tb[MEMVIRT_A_ZONE_HIGHATOMIC]) {
		z.has_reserves = true;
		z.lowmem_reserve = nla_get_u64(tb[MEMVIRT_A_ZONE_LOWMEM_RESERVE]);
		z.highatomic = nla_get_u64(tb[MEMVIRT_A_ZONE_HIGHATOMIC]);
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
