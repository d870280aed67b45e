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
#include <glob.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "lib/kernel.h"
#include "lib/nl.h"
#include "lib/util.h"
#include "lib/nl-req.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

static const struct nla_policy ctrl_policy[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID]	= { .type = NLA_U16 },
	[CTRL_ATTR_VERSION]	= { .type = NLA_U32 },
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
int mv_nl_request(struct mv_nl *nl, struct nl_msg *msg, uint8_t cmd,
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
struct nl_msg *mv_nl_msg(struct mv_nl *nl, uint8_t cmd, int flags)
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
		mv_err(
			"the loaded memvirt.ko speaks family version %u, "
			"this memvirt needs %u: rebuild and reload kmod/memvirt.ko",
			nl->version, MEMVIRT_FAMILY_VERSION);
		return false;
	}
	/* Newer modules only add attributes, which we skip. */
	mv_err(
		"warning: the loaded memvirt.ko speaks family version %u, "
		"newer than this memvirt (%u): statistics it added are not shown",
		nl->version, MEMVIRT_FAMILY_VERSION);
	return true;
}

/* Is a memvirt.ko installed for the running kernel (packages, DKMS, make install)? */
static bool mv_module_installed(void)
{
	struct utsname u;
	glob_t g;
	char pat[512];
	bool found;

	if (uname(&u))
		return false;
	snprintf(pat, sizeof(pat), "/lib/modules/%s/*/*/memvirt.ko*", u.release);
	found = !glob(pat, 0, NULL, &g);
	if (found)
		globfree(&g);
	if (!found) {
		snprintf(pat, sizeof(pat), "/lib/modules/%s/*/*/*/memvirt.ko*", u.release);
		found = !glob(pat, 0, NULL, &g);
		if (found)
			globfree(&g);
	}
	return found;
}

/* memvirt.ko is not loaded: what to run, and what stands in the way. */
static void mv_nl_say_absent(void)
{
	if (!mv_modules_must_be_signed()) {
		mv_err("memvirt.ko is not loaded: run %s", mv_module_installed() ?
		       "`sudo modprobe memvirt`" :
		       "`sudo insmod kmod/memvirt.ko` in the memvirt checkout "
		       "(or install it: `make deb`, `make install`)");
		return;
	}
	/* Secure Boot: DKMS signs with its MOK, which must be enrolled. */
	mv_err("memvirt.ko is not loaded, and this kernel loads only signed modules "
	       "(lockdown or module.sig_enforce), so an unsigned memvirt.ko cannot "
	       "load: install it with DKMS (package memvirt-dkms, or `sudo dkms "
	       "install`), which signs it; enroll DKMS's key once (`sudo mokutil "
	       "--import /var/lib/dkms/mok.pub`, then reboot); then run "
	       "`sudo modprobe memvirt`");
}

static struct mv_nl *mv_nl_open_how(bool quiet_absent)
{
	struct mv_nl *nl = calloc(1, sizeof(*nl));
	int one = 1;
	int err;

	if (!nl) {
		mv_err("out of memory");
		return NULL;
	}
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		mv_err("out of memory");
		goto fail;
	}
	err = genl_connect(nl->sk);
	if (err < 0) {
		mv_err("cannot open a generic netlink socket: %s",
			nl_geterror(err));
		goto fail;
	}
	/* ACKs are requested per message: a do wants one, a dump not. */
	nl_socket_disable_auto_ack(nl->sk);
	/*
	 * The kernel sizes a dump's messages by the reader's buffer (up to
	 * 32 KiB): with libnl's default of a page, every round of a VM dump,
	 * each of which walks every process again, carries a few VMs only.
	 */
	nl_socket_set_msg_buf_size(nl->sk, 32768);
	/* Best effort: without it errors just lack the kernel's text. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));

	err = mv_nl_resolve(nl);
	if (err == -ENOENT) {
		if (!access("/sys/module/memvirt", F_OK))
			mv_err("memvirt.ko is loaded, but its "
				"netlink family exists only in the host's initial "
				"network namespace: run memvirt there");
		else if (!quiet_absent)
			mv_nl_say_absent();
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

struct mv_nl *mv_nl_open(void)
{
	return mv_nl_open_how(false);
}

struct mv_nl *mv_nl_open_if_loaded(void)
{
	return mv_nl_open_how(true);
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
		mv_err("%s: permission denied%s%s", what,
			nl->msg[0] ? ": " : "", nl->msg);
		return;
	}
	if (err == -EBADMSG && !nl->msg[0]) {
		mv_err("%s: malformed reply from memvirt.ko",
			what);
		return;
	}
	if (nl->msg[0]) {
		const char *m = nl->msg;

		/* The module may name itself; we already do. */
		if (!strncmp(m, "memvirt: ", 9))
			m += 9;
		mv_err("%s: %s", what, m);
	} else
		mv_err("%s: %s", what, strerror(-err));
}

