/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: the netlink client's insides, shared by lib/nl.c (socket,
 * requests, errors) and lib/nl-objects.c (the family's objects).
 */
#ifndef MEMVIRT_NL_REQ_H
#define MEMVIRT_NL_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/netlink.h>

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

/* A new request for our family; NULL if out of memory. */
struct nl_msg *mv_nl_msg(struct mv_nl *nl, uint8_t cmd, int flags);
/*
 * Sends @msg (consumed) and runs the receive loop until the request is
 * finished or failed; each reply of command @cmd goes to @parse.
 */
int mv_nl_request(struct mv_nl *nl, struct nl_msg *msg, uint8_t cmd,
		  int (*parse)(struct nlmsghdr *nlh, void *ctx), void *ctx);

#endif /* MEMVIRT_NL_REQ_H */
