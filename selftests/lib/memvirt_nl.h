/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal memvirt generic netlink client for the selftests: dumps into
 * plain structs, raw (possibly malformed) requests, errno + extack capture,
 * and a count of the recvmsg() batches a dump arrived in.
 */
#ifndef MEMVIRT_SELFTESTS_NL_H
#define MEMVIRT_SELFTESTS_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netlink/msg.h>
#include <linux/memvirt.h>

struct nl_sock;

struct mv_nl {
	struct nl_sock *sk;
	int family;
};

/* Outcome of one request. */
struct mv_err {
	int err;		/* 0 or negative errno from the kernel */
	char msg[256];		/* extack NLMSGERR_ATTR_MSG, "" if none */
	bool has_offs;		/* NLMSGERR_ATTR_OFFS present */
	uint32_t offs;
};

/* How a reply arrived. */
struct mv_stats {
	unsigned int batches;		/* recvmsg() calls that returned data */
	unsigned int data_batches;	/* of those, batches with family messages */
	unsigned int msgs;		/* family messages */
	bool done;			/* NLMSG_DONE seen */
};

#define MV_MAX_CACHES	16
#define MV_MAX_HOLDERS	16

struct mv_cache {
	uint64_t have;
	uint64_t val[MEMVIRT_A_CACHE_MAX + 1];
};

struct mv_vm {
	uint64_t have;			/* bit n: attribute n present */
	uint64_t bad;			/* bit n: attribute n had a wrong size */
	char id[MEMVIRT_VM_ID_LEN];
	char comm[32];
	uint64_t val[MEMVIRT_A_VM_MAX + 1];	/* numeric attributes by type */
	int nr_caches;
	struct mv_cache cache[MV_MAX_CACHES];
	int nr_holders;			/* MEMVIRT_A_VM_HOLDER pids, in order */
	uint32_t holders[MV_MAX_HOLDERS];
};

struct mv_slot {
	uint64_t have, bad;
	char vm_id[MEMVIRT_VM_ID_LEN];
	uint64_t val[MEMVIRT_A_SLOT_MAX + 1];
};

#define MV_MAX_ORDERS	16

/* One zone of a ZONE_GET dump; have/bad bits per MEMVIRT_A_ZONE_*. */
struct mv_zone {
	uint64_t have, bad;
	uint32_t node;
	char name[16];
	uint64_t managed_pages, free_pages;
	int32_t max_free_order;
	int nr_orders;			/* MEMVIRT_A_ZONE_ORDER nests seen */
	struct {
		uint64_t have, bad;	/* bits per MEMVIRT_A_ORDER_* */
		uint32_t order;
		uint64_t free_blocks;
		uint32_t unusable;
		int32_t frag;
	} order[MV_MAX_ORDERS];
};

#define MV_HAS(obj, attr)	(((obj)->have >> (attr)) & 1)

/* 0, -ENOENT if the family is not registered, or another -errno. */
int mv_nl_open(struct mv_nl *nl);
/*
 * The same, reading @bufsize bytes per recvmsg() (no MSG_PEEK sizing): the
 * kernel sizes a dump's rounds after the largest buffer the socket's
 * reader ever offered, and a larger batch fails the read (MSG_TRUNC).
 */
int mv_nl_open_bufsize(struct mv_nl *nl, size_t bufsize);
void mv_nl_close(struct mv_nl *nl);

/* A request for the memvirt family; nlflags e.g. NLM_F_DUMP. */
struct nl_msg *mv_msg(struct mv_nl *nl, uint8_t cmd, int nlflags);

typedef int (*mv_cb)(struct nlmsghdr *nlh, void *arg);
/*
 * Sends msg (and frees it), receives until NLMSG_DONE or an ACK/error.
 * Non-dump requests get NLM_F_ACK. Returns err->err (0 or -errno); a local
 * failure is returned as a negative errno with err->msg starting "local:".
 */
int mv_request(struct mv_nl *nl, struct nl_msg *msg, mv_cb cb, void *arg,
	       struct mv_err *err, struct mv_stats *st);

/*
 * One recvmsg() batch of the reply to request @seq: each family message to
 * @cb, NLMSG_DONE and NLMSG_ERROR into @err, counts into @st (not reset).
 * 1 when the exchange is over, 0 when more follows, or a negative errno
 * (a local failure, also in @err). @multi_only: a message without
 * NLM_F_MULTI does not end it (the request asked for an ACK).
 */
int mv_recv(struct mv_nl *nl, uint32_t seq, bool multi_only, mv_cb cb,
	    void *arg, struct mv_err *err, struct mv_stats *st);

/* One VM message into @vm; 0. */
int mv_parse_vm(struct nlmsghdr *nlh, struct mv_vm *vm);

/* Dumps every VM; *vms is malloc()ed. */
int mv_dump_vms(struct mv_nl *nl, struct mv_vm **vms, int *nr,
		struct mv_err *err, struct mv_stats *st);
int mv_get_vm(struct mv_nl *nl, const char *id, struct mv_vm *vm,
	      struct mv_err *err);
/* Dumps memslots, of one VM if vm_id is not NULL. */
int mv_dump_slots(struct mv_nl *nl, const char *vm_id, struct mv_slot **slots,
		  int *nr, struct mv_err *err, struct mv_stats *st);

/* Dumps every zone (ZONE_GET); *zones is malloc()ed. */
int mv_dump_zones(struct mv_nl *nl, struct mv_zone **zones, int *nr,
		  struct mv_err *err, struct mv_stats *st);

const struct mv_vm *mv_find_vm(const struct mv_vm *vms, int nr, const char *id);
/* Splits "<pid>-<fd>"; -1 if malformed. */
int mv_parse_id(const char *id, int *pid, int *fd);
/* Also memvirt's "<pid>-x<tag>" ids: fd -1 and the tag (0 for KVM's). */
int mv_parse_id_tag(const char *id, int *pid, int *fd, uint32_t *tag);

#endif /* MEMVIRT_SELFTESTS_NL_H */
