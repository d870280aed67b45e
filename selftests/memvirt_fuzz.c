// SPDX-License-Identifier: GPL-2.0
/*
 * A generic netlink fuzzer for memvirt.ko.
 *
 * A child process holds NR_TEST_VMS test VMs with up to MAX_DATA_SLOTS
 * memslots each (some aliased into the SMM address space). Then, once as
 * root and once in a child that dropped to uid/gid 65534:
 *
 *  fuzz   requests built from the UAPI and the spec, mutated: header fields
 *         and flags, unknown commands and types, attribute types 0, MAX+1,
 *         0xffff, NLA_F_NESTED/NLA_F_NET_BYTEORDER, wrong lengths, strings
 *         without NUL or overlong, nests where flat is expected and back,
 *         duplicates, truncated headers, batches, trailing garbage, sends
 *         shorter than the headers; and clean probes whose answer is known.
 *  dumps  VM, memslot and zone dumps on four sockets reading 4 KiB at a
 *         time, read a few batches at a time in random order, restarted
 *         while busy, abandoned by closing the socket.
 *
 * Every reply batch is parsed completely: message and attribute lengths,
 * NLMSG_ERROR (errno in -ERRNO_MAX..0, the echoed request byte-equal to
 * what was sent, extack TLVs), NLMSG_DONE, and memvirt messages against the
 * spec's attribute sets (type, flags, payload size, strings, nesting,
 * duplicates, required attributes). Each reply must also be the one the
 * request calls for: generic netlink's own header checks are modelled
 * exactly (they come first in both kernels, ahead of the module), every
 * request gets exactly one terminal message, a finished dump is ordered,
 * complete and repeats nothing, and VM_GET and the memslot filter answer
 * for the id asked.
 *
 * Every 8-byte little-endian window of every reply, at every byte offset,
 * is checked against kernel addresses (ADDR_LO..ADDR_HI). Whether a window
 * is in that range depends on its three most significant bytes only; the
 * window is excused when each of those three bytes is a known value:
 * either a request byte echoed back in NLMSG_ERROR (compared with what was
 * sent) or a byte of a negative signed 32-bit field the UAPI defines (the
 * errno of NLMSG_ERROR and NLMSG_DONE, MEMVIRT_A_ZONE_MAX_FREE_ORDER -1,
 * MEMVIRT_A_ORDER_FRAG_INDEX -1000): such a value behind its 4-byte
 * attribute header, or behind nlmsg_pid, reads as 0xfffffc18_xxxxxxxx.
 *
 * The unprivileged pass must never receive a VM or memslot whose VMM is not
 * a uid 65534 process, which holds both for the CAP_NET_ADMIN rule (EPERM)
 * and for the ptrace-read rule (root's VMs invisible).
 *
 *   MEMVIRT_FUZZ_SEED   PRNG seed (printed; set it, and the count, to replay)
 *   MEMVIRT_FUZZ_COUNT  messages per pass, fuzz and dumps (default 100000)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest.h"
#include "memvirt_nl.h"
#include "memvirt_nl_gen.h"
#include "testlib.h"
#include "vmm.h"

#define NOBODY		65534
#define NR_TEST_VMS	20
#define MAX_DATA_SLOTS	30
#define NR_DSOCKS	4
#define DEFAULT_COUNT	100000UL
#define TX_MAX		16384
#define RX_MAX		65536
#define RX_SMALL	4096
#define MAX_KREQS	32
#define MAX_ZONES	64
#define MAX_FAIL_LOG	8
#define MAX_CAT		64
/* The highest errno userspace knows (EHWPOISON); the kernel's own, like
 * ENOTSUPP (524) or ERESTARTSYS (512), must never reach it.
 */
#define ERRNO_MAX	133
/* x86-64 kernel addresses: direct map, vmalloc, vmemmap, text, modules. */
#define ADDR_LO		0xffff800000000000ULL
#define ADDR_HI		0xfffffffffffffffeULL

/* <linux/netlink.h> values, for older UAPI headers. */
#define ERRA_MSG	1
#define ERRA_OFFS	2
#define ERRA_COOKIE	3
#define ERRA_POLICY	4
#define ERRA_MISS_TYPE	5
#define ERRA_MISS_NEST	6
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK	11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK	10
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS	0x200
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* ---------------------------------------------------------------- PRNG */

static uint64_t rng;

static uint64_t rnd64(void)	/* xorshift64* */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)((rnd64() >> 32) % n) : 0;
}

static bool pct(unsigned int p)
{
	return rnd(100) < p;
}

static void rnd_seed(uint64_t seed)
{
	/* One splitmix64 step: any seed, 0 included, gives a good state. */
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	rng = (z ^ (z >> 31)) ?: 1;
}

/* ------------------------------------------------- the spec, as tables */

/*
 * The attribute sets (kind, nesting, multi-attr, string limit) and each
 * command's set and reply list are generated from the spec
 * (memvirt_nl_gen.h, make regen). What the module always sends is this
 * test's own expectation.
 */
#define BIT64(n)	(1ULL << (n))

static const uint64_t required[MV_NR_SETS] = {
	[MV_SET_VM] = BIT64(MEMVIRT_A_VM_ID) | BIT64(MEMVIRT_A_VM_PID),
	[MV_SET_CACHE] = BIT64(MEMVIRT_A_CACHE_TYPE),
	[MV_SET_SLOT] = BIT64(MEMVIRT_A_SLOT_VM_ID) | BIT64(MEMVIRT_A_SLOT_ID) |
			BIT64(MEMVIRT_A_SLOT_AS_ID),
	[MV_SET_ZONE] = BIT64(MEMVIRT_A_ZONE_NODE) | BIT64(MEMVIRT_A_ZONE_NAME),
	[MV_SET_ORDER] = BIT64(MEMVIRT_A_ORDER_ORDER),
};

/* The set of a command's messages; unknown commands are read as VM_GET. */
static int cmd_set(int cmd)
{
	if (cmd > 0 && cmd <= MEMVIRT_CMD_MAX && mv_ops[cmd].name)
		return mv_ops[cmd].set;
	return MV_SET_VM;
}

/* The attributes the spec's replies in @set list; all for a nested set. */
static uint64_t set_reply(int set)
{
	uint64_t reply = 0;
	int cmd;

	for (cmd = 0; cmd <= MEMVIRT_CMD_MAX; cmd++)
		if (mv_ops[cmd].name && mv_ops[cmd].set == set)
			reply |= mv_ops[cmd].reply;
	return reply ?: ~0ULL;
}

/* ------------------------------------------------------ shared state */

struct tvm {
	char id[MEMVIRT_VM_ID_LEN];
	int pid, fd;
	uint64_t vmm_mem_bytes;	/* what the VMM declared */
	int data_slots;
	uint32_t nr_memslots;	/* VM_GET before the fuzz */
	uint64_t mem_bytes;
};

struct zkey {
	uint32_t node;
	char name[16];
};

static struct {
	uint64_t seed;
	unsigned long count;
	int family;
	uint8_t opcaps[256];	/* GENL_CMD_CAP_DO/_DUMP by command, from nlctrl */
	int nr_vms;
	struct tvm vm[NR_TEST_VMS];
	int nr_zones;
	struct zkey zone[MAX_ZONES];
} W;

enum { F_FUZZ, F_DUMP, F_ADDR, F_LEAK, F_ZONE, F_NR };
static const char *const fcat[F_NR] = {
	"fuzz", "dumps", "kernel address", "leak", "zones",
};

struct cat {			/* one (errno, command, extack) seen */
	int err;
	int cmd;
	unsigned long n;
	char msg[100];
};

/* One pass (root or nobody); plain data, the nobody child pipes it back. */
struct pass {
	char name[8];
	bool root;
	uint32_t seq;
	unsigned long idx;		/* message number, for failure reports */
	unsigned long fuzz_msgs, probes, dump_msgs;
	unsigned long batches, replies, data, acks, errors, dones, overruns;
	unsigned long dumps_ok, dumps_busy, dumps_closed, dump_batches;
	unsigned long windows;		/* 8-byte windows scanned */
	unsigned long excused_s32, excused_echo;
	unsigned long fails[F_NR];
	uint64_t spec_extra[MV_NR_SETS];	/* attrs outside the op's reply list */
	double t_fuzz, t_dump;
	int ncat;
	struct cat cat[MAX_CAT];
	char hidden[2][128];		/* nobody: answer for root's VM, for none */
	bool zone_final_ok;
	char zone_final[200];
	char setup_err[200];		/* nobody: could not drop privileges */
};

static __printf(3, 4)
void failf(struct pass *p, int cat, const char *fmt, ...)
{
	char m[512];
	va_list ap;

	if (++p->fails[cat] > MAX_FAIL_LOG)
		return;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	ksft_print_msg("%s: %s: message %lu: %s\n", p->name, fcat[cat], p->idx, m);
	if (p->fails[cat] == MAX_FAIL_LOG)
		ksft_print_msg("%s: %s: further failures only counted\n",
			       p->name, fcat[cat]);
}

static void catalogue(struct pass *p, int err, int cmd, const char *msg)
{
	int i;

	for (i = 0; i < p->ncat; i++) {
		if (p->cat[i].err == err && p->cat[i].cmd == cmd &&
		    !strcmp(p->cat[i].msg, msg)) {
			p->cat[i].n++;
			return;
		}
	}
	if (p->ncat == MAX_CAT)
		return;
	p->cat[p->ncat].err = err;
	p->cat[p->ncat].cmd = cmd;
	p->cat[p->ncat].n = 1;
	snprintf(p->cat[p->ncat].msg, sizeof(p->cat[0].msg), "%s", msg);
	p->ncat++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int find_test_vm(int pid, int fd)
{
	int i;

	for (i = 0; i < W.nr_vms; i++)
		if (W.vm[i].pid == pid && W.vm[i].fd == fd)
			return i;
	return -1;
}

/* Is @pid a process of uid 65534 (real, effective, saved and fs uid)? */
static bool pid_is_nobody(int pid)
{
	static int cpid[32];
	static signed char cval[32];
	static int next;
	unsigned int u[4];
	char path[64], line[256];
	bool ok = false;
	FILE *f;
	int i;

	for (i = 0; i < 32; i++)
		if (cpid[i] == pid && pid)
			return cval[i];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Uid: %u %u %u %u", &u[0], &u[1], &u[2], &u[3]) == 4) {
				ok = u[0] == NOBODY && u[1] == NOBODY &&
				     u[2] == NOBODY && u[3] == NOBODY;
				break;
			}
		fclose(f);
	}
	cpid[next] = pid;
	cval[next] = ok;
	next = (next + 1) % 32;
	return ok;
}

/* ------------------------------------------------------------ sockets */

/* What the kernel makes of one nlmsghdr of a send, and what came back. */
enum model { M_ACKONLY, M_ERR, M_DO, M_DUMP };
enum sel { SEL_NONE, SEL_STR, SEL_BAD };

enum probe {
	P_NONE, P_ZONES, P_VM_KNOWN, P_VM_UNKNOWN, P_VM_MALFORMED, P_VM_NOID,
	P_VMS_ALL, P_VMS_WITH_ID, P_SLOTS_ALL, P_SLOTS_OF, P_SLOTS_UNKNOWN,
	P_SLOTS_MALFORMED, P_ZONE_ATTR, P_NO_OP, P_NR
};

struct kreq {
	bool live;
	const uint8_t *bytes;		/* the message as sent */
	uint8_t own[96];		/* storage for dump-phase requests */
	uint32_t len, seq;
	uint16_t type, flags;
	uint8_t cmd;
	bool dup;			/* another live request has this seq */
	int model, want;
	int sel;			/* last type-2 attribute as the kernel parses it */
	char selstr[MEMVIRT_VM_ID_LEN + 8];
	int probe, pvm;
	/* what came back */
	int n_ack, n_err, n_done, n_data;
	int err, done_err;
	bool extack;			/* non-empty NLMSGERR_ATTR_MSG with it */
	char emsg[100];			/* that message */
	uint32_t vm_seen, vm_dup;	/* test VMs in VM messages */
	int slots[NR_TEST_VMS];		/* memslot messages per test VM */
	int zones;
	bool zone_bad, order_bad, have_last;
	int64_t last[5];
};

struct chan {
	int fd;
	uint32_t portid;
	size_t rxlen;
	bool cap_ack, ext_ack, lossy;
	int nk;
	struct kreq k[MAX_KREQS];
};

static uint32_t port_ctr;

static int chan_open(struct chan *c, size_t rxlen, bool cap_ack, bool ext_ack)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, zero = 0, i, err;

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (c->fd < 0)
		return -errno;
	/*
	 * Our own port ids, small positive numbers: autobind hands out
	 * negative ones (0xfffff000 and down) to a process's later sockets,
	 * and nlmsg_pid in front of nlmsg_len would read as an address.
	 */
	for (i = 0; i < 256; i++) {
		sa.nl_pid = (uint32_t)(getpid() & 0x3fffff) << 8 | (port_ctr++ & 0xff);
		if (!bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		err = errno;
		if (err != EADDRINUSE || i == 255) {
			close(c->fd);
			c->fd = -1;
			errno = err;
			return -err;
		}
	}
	c->portid = sa.nl_pid;
	c->rxlen = rxlen;
	c->cap_ack = cap_ack;
	c->ext_ack = ext_ack;
	setsockopt(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, ext_ack ? &one : &zero,
		   sizeof(int));
	setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, cap_ack ? &one : &zero,
		   sizeof(int));
	return 0;
}

static void chan_close(struct chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->nk = 0;
}

static struct kreq *find_kreq(struct chan *c, uint32_t seq)
{
	int i;

	for (i = 0; i < c->nk; i++)
		if (c->k[i].live && c->k[i].seq == seq)
			return &c->k[i];
	return NULL;
}

/* ------------------------------------------------- reply validation */

static uint8_t rxbuf[RX_MAX];
static uint8_t excuse[RX_MAX];
#define EX_S32		1	/* byte of a negative s32 field */
#define EX_ECHO		2	/* request byte echoed back, checked */

struct info {			/* what one memvirt message said */
	char id[64];
	bool has_id;
	uint32_t pid, as_id, slot_id, node, nr_memslots;
	uint64_t mem_bytes;
	bool has_nr, has_mem;
	char name[32];
};

static uint16_t get16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return v;
}

static uint32_t get32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static uint64_t get64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
	return v;
}

static bool check_str(const uint8_t *s, size_t len, size_t maxlen)
{
	if (len < 1 || s[len - 1] != '\0' || memchr(s, '\0', len - 1))
		return false;
	return !maxlen || len - 1 <= maxlen;
}

/* Attributes [pos, end) of @set; fills @in at depth 0. */
static bool check_set(struct pass *p, int cat, const uint8_t *buf, size_t pos,
		      size_t end, int set, int depth, struct info *in)
{
	const struct mv_set_spec *s = &mv_sets[set];
	uint64_t seen = 0;

	while (pos < end) {
		const struct mv_attr_spec *sp;
		uint16_t alen, atype, t;
		const uint8_t *pl;
		size_t plen;

		if (end - pos < 4) {
			failf(p, cat, "%s: %zu bytes left, not an attribute header",
			      s->name, end - pos);
			return false;
		}
		alen = get16(buf + pos);
		atype = get16(buf + pos + 2);
		t = atype & NLA_TYPE_MASK;
		if (alen < 4 || alen > end - pos || NLA_ALIGN(alen) > end - pos) {
			failf(p, cat, "%s: attribute %u: nla_len %u with %zu left",
			      s->name, t, alen, end - pos);
			return false;
		}
		if (!t || t > s->max || s->attrs[t].kind == MV_K_NONE) {
			failf(p, cat, "%s: attribute type %u is not in the spec", s->name, t);
			return false;
		}
		sp = &s->attrs[t];
		pl = buf + pos + 4;
		plen = alen - 4;
		if (atype & NLA_F_NET_BYTEORDER) {
			failf(p, cat, "%s: attribute %u has NLA_F_NET_BYTEORDER", s->name, t);
			return false;
		}
		if (!!(atype & NLA_F_NESTED) != (sp->kind == MV_K_NEST)) {
			failf(p, cat, "%s: attribute %u: NLA_F_NESTED %s", s->name, t,
			      sp->kind == MV_K_NEST ? "missing" : "on a flat attribute");
			return false;
		}
		if ((seen & BIT64(t)) && !sp->multi && sp->kind != MV_K_PAD) {
			failf(p, cat, "%s: attribute %u twice", s->name, t);
			return false;
		}
		seen |= BIT64(t);
		if (!depth && !(set_reply(set) & BIT64(t)) && sp->kind != MV_K_PAD)
			p->spec_extra[set] |= BIT64(t);
		switch (sp->kind) {
		case MV_K_PAD:
		case MV_K_FLAG:
			if (plen) {
				failf(p, cat, "%s: attribute %u: %zu bytes, want 0",
				      s->name, t, plen);
				return false;
			}
			break;
		case MV_K_U32:
		case MV_K_S32:
			if (plen != 4) {
				failf(p, cat, "%s: attribute %u: %zu bytes, want 4",
				      s->name, t, plen);
				return false;
			}
			if (sp->kind == MV_K_S32 && (int32_t)get32(pl) < 0)
				memset(excuse + pos + 4, EX_S32, 4);
			break;
		case MV_K_U64:
			if (plen != 8) {
				failf(p, cat, "%s: attribute %u: %zu bytes, want 8",
				      s->name, t, plen);
				return false;
			}
			break;
		case MV_K_STR:
			if (!check_str(pl, plen, sp->maxlen)) {
				failf(p, cat, "%s: attribute %u: bad string of %zu bytes",
				      s->name, t, plen);
				return false;
			}
			break;
		case MV_K_NEST:
			if (depth > 2 || !check_set(p, cat, buf, pos + 4, pos + alen,
						    sp->nest, depth + 1, NULL))
				return false;
			break;
		}
		if (in) {
			uint32_t v32 = plen == 4 ? get32(pl) : 0;

			if ((set == MV_SET_VM && t == MEMVIRT_A_VM_ID) ||
			    (set == MV_SET_SLOT && t == MEMVIRT_A_SLOT_VM_ID)) {
				snprintf(in->id, sizeof(in->id), "%s", (const char *)pl);
				in->has_id = true;
			} else if (set == MV_SET_VM && t == MEMVIRT_A_VM_PID) {
				in->pid = v32;
			} else if (set == MV_SET_VM && t == MEMVIRT_A_VM_NR_MEMSLOTS) {
				in->nr_memslots = v32;
				in->has_nr = true;
			} else if (set == MV_SET_VM && t == MEMVIRT_A_VM_MEM_BYTES) {
				in->mem_bytes = get64(pl);
				in->has_mem = true;
			} else if (set == MV_SET_SLOT && t == MEMVIRT_A_SLOT_ID) {
				in->slot_id = v32;
			} else if (set == MV_SET_SLOT && t == MEMVIRT_A_SLOT_AS_ID) {
				in->as_id = v32;
			} else if (set == MV_SET_ZONE && t == MEMVIRT_A_ZONE_NODE) {
				in->node = v32;
			} else if (set == MV_SET_ZONE && t == MEMVIRT_A_ZONE_NAME) {
				snprintf(in->name, sizeof(in->name), "%s", (const char *)pl);
			}
		}
		pos += NLA_ALIGN(alen);
	}
	if ((seen & required[set]) != required[set]) {
		failf(p, cat, "%s: required attributes missing (have 0x%" PRIx64
		      ", need 0x%" PRIx64 ")", s->name, seen, required[set]);
		return false;
	}
	return true;
}

/* NLMSGERR_ATTR_* TLVs in [pos, end); copies the message into @msg. */
static bool check_tlvs(struct pass *p, int cat, const uint8_t *buf, size_t pos,
		       size_t end, uint32_t req_len, char *msg, size_t msgsz,
		       int depth)
{
	while (pos < end) {
		uint16_t alen, t;
		const uint8_t *pl;
		size_t plen, i;

		if (end - pos < 4) {
			failf(p, cat, "extack: %zu stray bytes", end - pos);
			return false;
		}
		alen = get16(buf + pos);
		t = get16(buf + pos + 2) & NLA_TYPE_MASK;
		if (alen < 4 || NLA_ALIGN(alen) > end - pos) {
			failf(p, cat, "extack: nla_len %u with %zu left", alen, end - pos);
			return false;
		}
		pl = buf + pos + 4;
		plen = alen - 4;
		if (depth) {		/* inside NLMSGERR_ATTR_POLICY: shape only */
			if ((get16(buf + pos + 2) & NLA_F_NESTED) &&
			    !check_tlvs(p, cat, buf, pos + 4, pos + alen, req_len,
					NULL, 0, depth + 1))
				return false;
			pos += NLA_ALIGN(alen);
			continue;
		}
		switch (t) {
		case ERRA_MSG:
			if (!check_str(pl, plen, 0)) {
				failf(p, cat, "extack message: bad string of %zu bytes", plen);
				return false;
			}
			for (i = 0; i + 1 < plen; i++)
				if (pl[i] < 0x20 || pl[i] > 0x7e) {
					failf(p, cat, "extack message: byte 0x%02x", pl[i]);
					return false;
				}
			if (msg)
				snprintf(msg, msgsz, "%s", (const char *)pl);
			break;
		case ERRA_OFFS:
		case ERRA_MISS_NEST:
			if (plen != 4 || get32(pl) >= req_len) {
				failf(p, cat, "extack offset attribute %u: %zu bytes, value %u, request %u bytes",
				      t, plen, plen == 4 ? get32(pl) : 0, req_len);
				return false;
			}
			break;
		case ERRA_MISS_TYPE:
			if (plen != 4) {
				failf(p, cat, "extack missing type: %zu bytes", plen);
				return false;
			}
			break;
		case ERRA_COOKIE:
			if (plen > 20) {
				failf(p, cat, "extack cookie of %zu bytes", plen);
				return false;
			}
			break;
		case ERRA_POLICY:
			if (!check_tlvs(p, cat, buf, pos + 4, pos + alen, req_len,
					NULL, 0, 1))
				return false;
			break;
		default:
			failf(p, cat, "extack attribute type %u unknown", t);
			return false;
		}
		pos += NLA_ALIGN(alen);
	}
	return true;
}

static void on_error(struct pass *p, struct chan *c, int cat, size_t off,
		     struct nlmsghdr *h, struct kreq *k)
{
	const uint8_t *m = rxbuf + off;
	struct nlmsghdr echo;
	size_t elen, tlv;
	char msg[100] = "";
	struct kreq *src = NULL;
	int err, i;

	if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
		failf(p, cat, "NLMSG_ERROR of %u bytes", h->nlmsg_len);
		return;
	}
	if (h->nlmsg_flags & ~(NLM_F_CAPPED | NLM_F_ACK_TLVS))
		failf(p, cat, "NLMSG_ERROR flags 0x%x", h->nlmsg_flags);
	memcpy(&err, m + NLMSG_HDRLEN, 4);
	if (err > 0 || err < -ERRNO_MAX) {
		failf(p, cat, "NLMSG_ERROR errno %d", err);
		return;
	}
	if (err < 0)
		memset(excuse + off + NLMSG_HDRLEN, EX_S32, 4);
	memcpy(&echo, m + NLMSG_HDRLEN + 4, sizeof(echo));
	/* CAPPED: header only; else the whole request, padded. */
	if (!!(h->nlmsg_flags & NLM_F_CAPPED) != (!err || c->cap_ack))
		failf(p, cat, "NLMSG_ERROR %d %s NLM_F_CAPPED", err,
		      h->nlmsg_flags & NLM_F_CAPPED ? "with" : "without");
	if (h->nlmsg_flags & NLM_F_CAPPED) {
		elen = NLMSG_HDRLEN;
	} else {
		if (echo.nlmsg_len < NLMSG_HDRLEN ||
		    NLMSG_HDRLEN + 4 + NLMSG_ALIGN(echo.nlmsg_len) > h->nlmsg_len) {
			failf(p, cat, "NLMSG_ERROR echoes %u bytes in %u",
			      echo.nlmsg_len, h->nlmsg_len);
			return;
		}
		elen = echo.nlmsg_len;
	}
	for (i = 0; i < c->nk && !src; i++) {
		struct kreq *r = &c->k[i];

		if (r->live && r->len == echo.nlmsg_len &&
		    !memcmp(r->bytes, m + NLMSG_HDRLEN + 4, elen))
			src = r;
	}
	if (!src) {
		failf(p, cat, "NLMSG_ERROR %d echoes a request never sent (len %u type 0x%x seq %u)",
		      err, echo.nlmsg_len, echo.nlmsg_type, echo.nlmsg_seq);
	} else {
		memset(excuse + off + NLMSG_HDRLEN + 4, EX_ECHO, elen);
		if (k && src->seq != k->seq)
			failf(p, cat, "NLMSG_ERROR seq %u echoes request seq %u",
			      h->nlmsg_seq, src->seq);
	}
	tlv = NLMSG_HDRLEN + 4 + (h->nlmsg_flags & NLM_F_CAPPED ?
				  NLMSG_HDRLEN : NLMSG_ALIGN(elen));
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!c->ext_ack)
			failf(p, cat, "extack TLVs without NETLINK_EXT_ACK");
		check_tlvs(p, cat, rxbuf, off + tlv, off + h->nlmsg_len,
			   k ? k->len : 0xffffffff, msg, sizeof(msg), 0);
	} else if (tlv != h->nlmsg_len) {
		failf(p, cat, "NLMSG_ERROR of %u bytes, %zu expected", h->nlmsg_len, tlv);
	}
	if (!k)
		return;
	if (!err) {
		k->n_ack++;
		p->acks++;
		return;
	}
	k->n_err++;
	k->err = err;
	k->extack |= msg[0] != '\0';
	memcpy(k->emsg, msg, sizeof(k->emsg));
	p->errors++;
	if (c->ext_ack && (k->model == M_DO || k->model == M_DUMP))
		catalogue(p, err, k->cmd, msg);
}

static void on_done(struct pass *p, struct chan *c, int cat, size_t off,
		    struct nlmsghdr *h, struct kreq *k)
{
	char msg[100] = "";
	int err;

	if (h->nlmsg_len < NLMSG_HDRLEN + 4) {
		failf(p, cat, "NLMSG_DONE of %u bytes", h->nlmsg_len);
		return;
	}
	if ((h->nlmsg_flags & ~NLM_F_ACK_TLVS) != NLM_F_MULTI)
		failf(p, cat, "NLMSG_DONE flags 0x%x", h->nlmsg_flags);
	memcpy(&err, rxbuf + off + NLMSG_HDRLEN, 4);
	if (err > 0 || err < -ERRNO_MAX) {
		failf(p, cat, "NLMSG_DONE errno %d", err);
		return;
	}
	if (err < 0)
		memset(excuse + off + NLMSG_HDRLEN, EX_S32, 4);
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!c->ext_ack)
			failf(p, cat, "extack TLVs without NETLINK_EXT_ACK");
		check_tlvs(p, cat, rxbuf, off + NLMSG_HDRLEN + 4, off + h->nlmsg_len,
			   k ? k->len : 0xffffffff, msg, sizeof(msg), 0);
	} else if (h->nlmsg_len != NLMSG_HDRLEN + 4) {
		failf(p, cat, "NLMSG_DONE of %u bytes without TLVs", h->nlmsg_len);
	}
	if (!k)
		return;
	if (k->model != M_DUMP)
		failf(p, cat, "NLMSG_DONE for a request that is no dump (flags 0x%x)",
		      k->flags);
	k->n_done++;
	k->done_err = err;
	k->extack |= msg[0] != '\0';
	if (err)
		memcpy(k->emsg, msg, sizeof(k->emsg));
	p->dones++;
	if (err) {
		p->errors++;
		if (c->ext_ack)
			catalogue(p, err, k->cmd, msg);
	}
}

static bool zone_match(const struct info *in, int idx)
{
	return idx < W.nr_zones && W.zone[idx].node == in->node &&
	       !strcmp(W.zone[idx].name, in->name);
}

/* Compares (a[0..n)) with k->last; true if strictly greater. */
static bool key_after(struct kreq *k, const int64_t *a, int n)
{
	int i;

	if (!k->have_last) {
		k->have_last = true;
		memcpy(k->last, a, n * sizeof(*a));
		return true;
	}
	for (i = 0; i < n; i++) {
		if (a[i] != k->last[i]) {
			bool up = a[i] > k->last[i];

			memcpy(k->last, a, n * sizeof(*a));
			return up;
		}
	}
	return false;
}

static void on_data(struct pass *p, struct chan *c, int cat, size_t off,
		    struct nlmsghdr *h, struct kreq *k)
{
	const struct genlmsghdr *g = (const void *)(rxbuf + off + NLMSG_HDRLEN);
	struct info in = { 0 };
	bool dump;
	int set, pid = 0, fd = 0, v;
	uint32_t tag = 0;

	if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		failf(p, cat, "memvirt message of %u bytes", h->nlmsg_len);
		return;
	}
	if (g->cmd < MEMVIRT_CMD_VM_GET || g->cmd > MEMVIRT_CMD_ZONE_GET ||
	    g->version != MEMVIRT_FAMILY_VERSION || g->reserved) {
		failf(p, cat, "genl header cmd %u version %u reserved %u",
		      g->cmd, g->version, g->reserved);
		return;
	}
	set = cmd_set(g->cmd);
	if (!check_set(p, cat, rxbuf, off + NLMSG_HDRLEN + GENL_HDRLEN,
		       off + h->nlmsg_len, set, 0, &in))
		return;
	p->data++;
	if (in.has_id && mv_parse_id_tag(in.id, &pid, &fd, &tag)) {
		failf(p, cat, "malformed VM id \"%s\"", in.id);
		return;
	}
	/* Nobody: no VM or memslot whose VMM is not a nobody process. */
	if (!p->root && in.has_id && !pid_is_nobody(pid))
		failf(p, F_LEAK, "%s message for VM %s of uid-0 (or vanished) pid %d",
		      mv_sets[set].name, in.id, pid);
	if (!k)
		return;
	k->n_data++;
	if (k->dup)
		return;
	dump = (k->flags & NLM_F_DUMP) == NLM_F_DUMP;
	if (g->cmd != k->cmd)
		failf(p, cat, "reply command %u to a command %u request", g->cmd, k->cmd);
	if (h->nlmsg_flags != (dump ? NLM_F_MULTI : 0))
		failf(p, cat, "%s reply with flags 0x%x", dump ? "dump" : "do",
		      h->nlmsg_flags);
	if (k->model != M_DO && k->model != M_DUMP)
		failf(p, cat, "data for a request that must get none (model %d, type 0x%x flags 0x%x)",
		      k->model, k->type, k->flags);
	if (k->sel == SEL_BAD)
		failf(p, cat, "data for a request whose attributes cannot parse");

	switch (set) {
	case MV_SET_VM:
		v = find_test_vm(pid, fd);
		if (!dump && (k->sel != SEL_STR || strcmp(k->selstr, in.id)))
			failf(p, cat, "VM_GET for \"%s\" answered VM %s",
			      k->sel == SEL_STR ? k->selstr : "(no id)", in.id);
		if (dump && !key_after(k, (int64_t[]){ pid, fd, tag }, 3))
			k->order_bad = true;
		if (v < 0)
			break;
		if (in.pid != (uint32_t)pid)
			failf(p, cat, "VM %s: pid attribute %u", in.id, in.pid);
		if (k->vm_seen & (1U << v))
			k->vm_dup |= 1U << v;
		k->vm_seen |= 1U << v;
		if (!in.has_nr || !in.has_mem || in.nr_memslots != W.vm[v].nr_memslots ||
		    in.mem_bytes != W.vm[v].mem_bytes)
			failf(p, cat, "VM %s: %u memslots, %" PRIu64 " bytes; before the fuzz %u, %" PRIu64,
			      in.id, in.nr_memslots, in.mem_bytes,
			      W.vm[v].nr_memslots, W.vm[v].mem_bytes);
		break;
	case MV_SET_SLOT:
		if (k->sel == SEL_STR && strcmp(k->selstr, in.id))
			failf(p, cat, "memslot of %s in a dump for \"%s\"", in.id, k->selstr);
		if (!key_after(k, (int64_t[]){ pid, fd, tag, in.as_id, in.slot_id }, 5))
			k->order_bad = true;
		v = find_test_vm(pid, fd);
		if (v >= 0)
			k->slots[v]++;
		break;
	case MV_SET_ZONE:
		if (!zone_match(&in, k->zones))
			k->zone_bad = true;
		k->zones++;
		break;
	}
}

/* One kernel-address window check over a whole batch. */
static void scan_addr(struct pass *p, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i++) {
		uint64_t v;

		p->windows++;
		if (b[i + 7] != 0xff || b[i + 6] != 0xff || b[i + 5] < 0x80)
			continue;	/* below ADDR_LO, the quick way */
		v = get64(b + i);
		if (v < ADDR_LO || v > ADDR_HI)
			continue;
		/* The top three bytes decide; are they all known values? */
		if (excuse[i + 5] && excuse[i + 6] && excuse[i + 7]) {
			if (excuse[i + 5] & excuse[i + 6] & excuse[i + 7] & EX_ECHO)
				p->excused_echo++;
			else
				p->excused_s32++;
			continue;
		}
		{
			char hex[3 * 32 + 1] = "";
			size_t j, from = i >= 8 ? i - 8 : 0;

			for (j = from; j < n && j < from + 32; j++)
				snprintf(hex + 3 * (j - from), 4, " %02x", b[j]);
			failf(p, F_ADDR, "0x%016" PRIx64 " at byte %zu of a %zu-byte batch; bytes from %zu:%s",
			      v, i, n, from, hex);
		}
	}
}

static void parse_batch(struct pass *p, struct chan *c, int cat, size_t n)
{
	size_t off = 0;

	memset(excuse, 0, n);
	while (off < n) {
		struct nlmsghdr h;
		struct kreq *k;

		if (n - off < NLMSG_HDRLEN) {
			failf(p, cat, "batch of %zu bytes ends in a %zu-byte stub", n, n - off);
			break;
		}
		memcpy(&h, rxbuf + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > n - off) {
			failf(p, cat, "nlmsg_len %u at byte %zu of a %zu-byte batch",
			      h.nlmsg_len, off, n);
			break;
		}
		p->replies++;
		if (h.nlmsg_pid != c->portid)
			failf(p, cat, "reply to port %u on port %u", h.nlmsg_pid, c->portid);
		k = find_kreq(c, h.nlmsg_seq);
		if (!k)
			failf(p, cat, "reply type 0x%x with seq %u, no such request",
			      h.nlmsg_type, h.nlmsg_seq);
		if (h.nlmsg_type == NLMSG_ERROR)
			on_error(p, c, cat, off, &h, k);
		else if (h.nlmsg_type == NLMSG_DONE)
			on_done(p, c, cat, off, &h, k);
		else if (h.nlmsg_type == W.family)
			on_data(p, c, cat, off, &h, k);
		else
			failf(p, cat, "reply of type 0x%x", h.nlmsg_type);
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	scan_addr(p, rxbuf, n);
}

/* Reads one batch: 1 if one was read, 0 if none came within @wait_ms. */
static int rx_batch(struct pass *p, struct chan *c, int cat, int wait_ms)
{
	struct sockaddr_nl from;
	struct iovec iov = { rxbuf, c->rxlen };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	for (;;) {
		n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) {
			p->overruns++;
			c->lossy = true;
			return 1;
		}
		if (errno == EAGAIN && wait_ms) {
			struct pollfd pfd = { c->fd, POLLIN };

			if (poll(&pfd, 1, wait_ms) == 1) {
				wait_ms = 0;
				continue;
			}
			return 0;
		}
		if (errno == EAGAIN)
			return 0;
		failf(p, cat, "recvmsg: %s", strerror(errno));
		return 0;
	}
	p->batches++;
	if (mh.msg_flags & MSG_TRUNC)
		failf(p, cat, "batch truncated to %zd bytes (buffer %zu)", n, c->rxlen);
	if (from.nl_pid)
		failf(p, cat, "batch from port %u, not the kernel", from.nl_pid);
	parse_batch(p, c, cat, n);
	return 1;
}

/* ------------------------------------------- request model and checks */

/* What generic netlink does with @k before the module sees it. */
static void model_of(struct kreq *k)
{
	uint16_t f = k->flags;
	bool dump = (f & NLM_F_DUMP) == NLM_F_DUMP;

	k->model = M_ERR;
	if (!(f & NLM_F_REQUEST) || k->type < NLMSG_MIN_TYPE) {
		k->model = M_ACKONLY;
		return;
	}
	if (k->type != W.family) {
		k->want = -ENOENT;
		return;
	}
	k->want = -EINVAL;
	if (k->len < NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	if (get16(k->bytes + NLMSG_HDRLEN + 2))		/* reserved */
		return;
	if (dump)
		f &= ~NLM_F_DUMP;
	if (f & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO))
		return;
	if (!(W.opcaps[k->cmd] & (dump ? GENL_CMD_CAP_DUMP : GENL_CMD_CAP_DO))) {
		k->want = -EOPNOTSUPP;
		return;
	}
	k->model = dump ? M_DUMP : M_DO;
}

/* The selector as nla_parse() would leave it: last attribute of type 2. */
static void selector_of(struct kreq *k)
{
	size_t pos = NLMSG_HDRLEN + GENL_HDRLEN;

	k->sel = SEL_NONE;
	if (k->len < pos)
		return;
	while (pos < k->len) {
		const uint8_t *a = k->bytes + pos;
		uint16_t alen;

		if (k->len - pos < 4) {
			k->sel = SEL_BAD;
			return;
		}
		alen = get16(a);
		if (alen < 4 || alen > k->len - pos) {
			k->sel = SEL_BAD;
			return;
		}
		if ((get16(a + 2) & NLA_TYPE_MASK) == 2) {
			const uint8_t *nul = memchr(a + 4, '\0', alen - 4);

			if (!nul || nul - (a + 4) >= (long)sizeof(k->selstr)) {
				k->sel = SEL_BAD;	/* policy rejects it */
				return;
			}
			memcpy(k->selstr, a + 4, nul - (a + 4) + 1);
			k->sel = SEL_STR;
		}
		pos += NLA_ALIGN(alen);
	}
}

static void kreq_init(struct kreq *k, const uint8_t *bytes, uint32_t len)
{
	struct nlmsghdr h;

	memset(k, 0, sizeof(*k));
	memcpy(&h, bytes, sizeof(h));
	k->live = true;
	k->bytes = bytes;
	k->len = len;
	k->seq = h.nlmsg_seq;
	k->type = h.nlmsg_type;
	k->flags = h.nlmsg_flags;
	k->cmd = len >= NLMSG_HDRLEN + 1 ? bytes[NLMSG_HDRLEN] : 0;
	k->pvm = -1;
	model_of(k);
	selector_of(k);
}

static int final_err(const struct kreq *k)
{
	if (k->n_err)
		return k->err;
	if (k->n_done)
		return k->done_err;
	return 1;
}

static bool err_in(int e, int a, int b, int c)
{
	return e == a || e == b || e == c;
}

/* A probe's answer, when its terminal message has arrived. */
static void check_probe(struct pass *p, struct chan *c, int cat, struct kreq *k)
{
	int e = final_err(k), i;
	bool need_extack = false;
	const char *why = NULL;
	static char buf[160];

	switch (k->probe) {
	case P_ZONES:
		if (e || k->zones != W.nr_zones || k->zone_bad) {
			snprintf(buf, sizeof(buf), "ZONE_GET dump: errno %d, %d zones of %d%s",
				 e, k->zones, W.nr_zones,
				 k->zone_bad ? ", not the zones of before" : "");
			why = buf;
		}
		cat = F_ZONE;
		break;
	case P_ZONE_ATTR:
		if (e != -EINVAL || k->n_data)
			why = "ZONE_GET dump with an attribute: want EINVAL";
		need_extack = true;
		cat = F_ZONE;
		break;
	case P_VM_KNOWN:
		if (p->root && k->n_err)
			why = "VM_GET of a test VM failed";
		else if (p->root && (k->n_data != 1 || !(k->vm_seen & (1U << k->pvm))))
			why = "VM_GET of a test VM: not one message of that VM";
		else if (!p->root && (k->n_data || !err_in(e, -EPERM, -ENOENT, -EPERM)))
			why = "VM_GET of root's VM as nobody: want EPERM or ENOENT";
		break;
	case P_VM_UNKNOWN:
		if (k->n_data || !err_in(e, -ENOENT, p->root ? -ENOENT : -EPERM, -ENOENT))
			why = "VM_GET of an unknown id: want ENOENT";
		need_extack = e == -ENOENT;
		break;
	case P_VM_MALFORMED:
	case P_SLOTS_MALFORMED:
	case P_VMS_WITH_ID:
		/* The UAPI: a malformed id, or an id in a VM dump, is EINVAL. */
		if (k->n_data || !err_in(e, -EINVAL, p->root ? -EINVAL : -EPERM, -EINVAL))
			why = "malformed id, or an id in a VM dump: want EINVAL";
		need_extack = e == -EINVAL;
		break;
	case P_VM_NOID:
		if (k->n_data || !err_in(e, -EINVAL, p->root ? -EINVAL : -EPERM, -EINVAL))
			why = "VM_GET without MEMVIRT_A_VM_ID: want EINVAL";
		need_extack = e == -EINVAL;
		break;
	case P_VMS_ALL:
		if (p->root && (e || k->vm_seen != (1U << W.nr_vms) - 1 || k->vm_dup ||
				k->order_bad))
			why = "VM_GET dump: not every test VM exactly once, in order";
		else if (!p->root && !err_in(e, 0, -EPERM, 0))
			why = "VM_GET dump as nobody: want EPERM or nothing";
		break;
	case P_SLOTS_ALL:
		if (p->root) {
			if (e || k->order_bad)
				why = "MEMSLOT_GET dump failed or out of order";
			for (i = 0; i < W.nr_vms && !why; i++)
				if (k->slots[i] != (int)W.vm[i].nr_memslots)
					why = "MEMSLOT_GET dump: memslots of a test VM missing or repeated";
		} else if (!err_in(e, 0, -EPERM, 0)) {
			why = "MEMSLOT_GET dump as nobody: want EPERM or nothing";
		}
		break;
	case P_SLOTS_OF:
		if (p->root && (e || k->n_data != (int)W.vm[k->pvm].nr_memslots ||
				k->slots[k->pvm] != k->n_data || k->order_bad))
			why = "MEMSLOT_GET dump of one VM: not exactly its memslots";
		else if (!p->root && !err_in(e, 0, -EPERM, -ENOENT))
			why = "MEMSLOT_GET dump of root's VM as nobody: want EPERM, ENOENT or nothing";
		break;
	case P_SLOTS_UNKNOWN:
		if (k->n_data || !err_in(e, -ENOENT, p->root ? -ENOENT : -EPERM, -ENOENT))
			why = "MEMSLOT_GET dump of an unknown VM: want ENOENT";
		need_extack = e == -ENOENT;
		break;
	case P_NO_OP:
		if (e != -EOPNOTSUPP)
			why = "command or mode the family lacks: want EOPNOTSUPP";
		break;
	}
	if (!why && need_extack && c->ext_ack && !k->extack)
		why = "error without an extack message";
	/*
	 * Nobody must not tell root's VM from a VM that does not exist: the
	 * same errno and extack message for both (EPERM for both, or ENOENT).
	 */
	if (!p->root && c->ext_ack && (k->probe == P_VM_KNOWN || k->probe == P_VM_UNKNOWN ||
				       k->probe == P_SLOTS_OF || k->probe == P_SLOTS_UNKNOWN)) {
		int op = k->probe == P_VM_KNOWN || k->probe == P_VM_UNKNOWN;
		char sig[128];

		snprintf(sig, sizeof(sig), "%d \"%s\"", e, k->emsg);
		if (!p->hidden[op][0])
			snprintf(p->hidden[op], sizeof(p->hidden[op]), "%s", sig);
		else if (strcmp(p->hidden[op], sig))
			failf(p, F_LEAK, "%s of %s VM answers %s, but %s before",
			      op ? "VM_GET" : "MEMSLOT_GET",
			      k->probe == P_VM_KNOWN || k->probe == P_SLOTS_OF ?
			      "root's" : "a nonexistent", sig, p->hidden[op]);
	}
	if (why)
		failf(p, cat, "probe %d (cmd %u, id \"%s\"): %s (got %s %d, %d messages)",
		      k->probe, k->cmd, k->sel == SEL_STR ? k->selstr : "", why,
		      e > 0 ? "no error" : "errno", e > 0 ? 0 : e, k->n_data);
}

/* All replies of @k are in: are they what its model allows? */
static void check_kreq(struct pass *p, struct chan *c, int cat, struct kreq *k)
{
	bool ack = k->flags & NLM_F_ACK, ok = false;
	int e = final_err(k);

	if (k->dup || c->lossy)
		return;
	switch (k->model) {
	case M_ACKONLY:
		ok = !k->n_err && !k->n_done && !k->n_data && k->n_ack == ack;
		break;
	case M_ERR:
		ok = k->n_err == 1 && k->err == k->want && !k->n_ack &&
		     !k->n_done && !k->n_data;
		break;
	case M_DO:
		ok = !k->n_done && ((k->n_err == 1 && !k->n_ack && !k->n_data) ||
				    (!k->n_err && k->n_data == 1 && k->n_ack == ack));
		break;
	case M_DUMP:
		ok = !k->n_ack && ((k->n_err == 1 && !k->n_done && !k->n_data) ||
				   (!k->n_err && k->n_done == 1));
		break;
	}
	if (!ok) {
		failf(p, cat, "request type 0x%x flags 0x%x cmd %u len %u (model %d, want %d): %d acks, %d errors (last %d), %d done, %d messages",
		      k->type, k->flags, k->cmd, k->len, k->model, k->want,
		      k->n_ack, k->n_err, k->err, k->n_done, k->n_data);
		return;
	}
	if (k->probe) {
		check_probe(p, c, cat, k);
		return;
	}
	/* Any finished dump, not only probes: complete and ordered. */
	if (k->model == M_DUMP && !e && p->root) {
		int i;

		if (k->order_bad)
			failf(p, cat, "dump of command %u out of order or repeated", k->cmd);
		if (k->cmd == MEMVIRT_CMD_VM_GET &&
		    (k->vm_seen != (1U << W.nr_vms) - 1 || k->vm_dup))
			failf(p, cat, "VM_GET dump: test VMs seen 0x%x, twice 0x%x",
			      k->vm_seen, k->vm_dup);
		if (k->cmd == MEMVIRT_CMD_MEMSLOT_GET) {
			for (i = 0; i < W.nr_vms; i++) {
				int want = k->sel != SEL_STR ||
					   !strcmp(k->selstr, W.vm[i].id) ?
					   (int)W.vm[i].nr_memslots : 0;

				if (k->slots[i] != want) {
					failf(p, cat, "MEMSLOT_GET dump (filter \"%s\"): %d memslots of %s, want %d",
					      k->sel == SEL_STR ? k->selstr : "",
					      k->slots[i], W.vm[i].id, want);
					break;
				}
			}
		}
	}
	if (k->model == M_DUMP && !e && k->cmd == MEMVIRT_CMD_ZONE_GET &&
	    (k->zones != W.nr_zones || k->zone_bad))
		failf(p, F_ZONE, "ZONE_GET dump: %d zones of %d%s", k->zones,
		      W.nr_zones, k->zone_bad ? ", not those of before" : "");
}

/* ------------------------------------------------- message generation */

struct gen {
	uint8_t *b;
	size_t len;
	struct pass *p;
	int cmd;
};

static bool room(struct gen *g, size_t n)
{
	return g->len + n <= TX_MAX;
}

static void put(struct gen *g, const void *d, size_t n)
{
	if (!room(g, n))
		n = TX_MAX - g->len;
	memcpy(g->b + g->len, d, n);
	g->len += n;
}

static void put_rnd(struct gen *g, size_t n)
{
	while (n-- && room(g, 1))
		g->b[g->len++] = rnd64() >> 56;
}

static const char *const bad_ids[] = {
	"", "-", "1-", "-1", "-1-2", "01-2", "1-02", "1-2-3", "+1-2", "1 -2",
	"1-2 ", " 1-2", "1-2\n", "abc", "0x10-1", "2147483648-1", "1-2147483648",
	"99999999999999999999-1", "1-2x", "1--2", "\xef\xbc\x91-2", "4294967297-1",
	/* memvirt's "<pid>-x<8 hex>" gone wrong */
	"1-x", "1-x1234567", "1-x123456789", "1-xABCDEF01", "1-x00000000",
	"1-X12345678", "1-x1234567g", "1-x 1234567", "x12345678-1", "1-x-1234567",
};

/* A string for an id attribute (no NUL). */
static void gen_id(char *out, size_t sz)
{
	const struct tvm *v = &W.vm[rnd(W.nr_vms)];
	int r = rnd(100), i, n;

	if (r < 35) {
		snprintf(out, sz, "%s", v->id);
	} else if (r < 45) {
		snprintf(out, sz, "%d-%d", v->pid, v->fd + 1000 + rnd(1000));
	} else if (r < 50) {
		snprintf(out, sz, "%d-%d", rnd(2) ? 0 : 1 + rnd(4000000), rnd(70000));
	} else if (r < 75) {
		snprintf(out, sz, "%s", bad_ids[rnd(ARRAY_SIZE(bad_ids))]);
	} else if (r < 88) {
		/* A test VM's id, one byte changed, dropped or added. */
		snprintf(out, sz, "%s", v->id);
		n = strlen(out);
		i = rnd(n + 1);
		switch (rnd(3)) {
		case 0:
			if (i < n)
				out[i] = 0x20 + rnd(95);
			break;
		case 1:
			memmove(out + i, out + i + 1, n - i);
			break;
		default:
			if (n + 2 < (int)sz) {
				memmove(out + i + 1, out + i, n - i + 1);
				out[i] = "0123456789-"[rnd(11)];
			}
		}
	} else {
		n = 1 + rnd(31);
		for (i = 0; i < n && i + 1 < (int)sz; i++)
			out[i] = 0x21 + rnd(94);
		out[i] = '\0';
	}
}

static uint16_t gen_type(struct gen *g)
{
	int max = mv_sets[cmd_set(g->cmd)].max, r = rnd(100);

	if (r < 45)
		return 2;	/* the selector: VM_ID, SLOT_VM_ID, ZONE_NODE */
	if (r < 52)
		return 0;
	if (r < 58)
		return 1;
	if (r < 70)
		return 3 + rnd(max - 2);
	if (r < 76)
		return max + 1;
	if (r < 80)
		return 0xffff & NLA_TYPE_MASK;
	if (r < 83)
		return 0xffff;
	return rnd(0x10000);
}

static void gen_attr(struct gen *g, int depth)
{
	static const size_t odd[] = { 0, 1, 2, 3, 5, 6, 7, 9, 15, 16 };
	static const size_t longs[] = { 31, 32, 33, 63, 64, 100, 255, 256, 1000, 4000 };
	size_t start = g->len, plen, n, i;
	uint16_t type = gen_type(g), alen;
	char id[64];
	int r = rnd(100);

	if (!room(g, 64))
		return;
	g->len += 4;
	if (r < 30) {				/* id, NUL-terminated */
		gen_id(id, sizeof(id));
		put(g, id, strlen(id) + 1);
	} else if (r < 37) {			/* id without NUL */
		gen_id(id, sizeof(id));
		put(g, id, strlen(id));
	} else if (r < 42) {			/* overlong */
		n = longs[rnd(10)];
		for (i = 0; i < n && room(g, 2); i++)
			g->b[g->len++] = "0123456789-"[rnd(11)];
		if (pct(50))
			put(g, "", 1);
	} else if (r < 47) {			/* id, NUL, junk */
		gen_id(id, sizeof(id));
		put(g, id, strlen(id) + 1);
		put_rnd(g, 1 + rnd(12));
	} else if (r < 57) {			/* odd sizes */
		put_rnd(g, odd[rnd(10)]);
	} else if (r < 64) {			/* u32 */
		uint32_t v = pct(50) ? rnd(4) : (uint32_t)rnd64();

		put(g, &v, 4);
	} else if (r < 69) {			/* u64 */
		uint64_t v = pct(50) ? rnd(4) : rnd64();

		put(g, &v, 8);
	} else if (r < 82 && depth < 3) {	/* nested */
		if (pct(80))
			type |= NLA_F_NESTED;
		n = rnd(4);
		for (i = 0; i < n; i++)
			gen_attr(g, depth + 1);
	} else if (r < 86) {			/* huge */
		put_rnd(g, 200 + rnd(6000));
	} else {
		put_rnd(g, rnd(41));
	}
	plen = g->len - start - 4;
	alen = plen + 4 > 0xffff ? 0xffff : plen + 4;
	if (pct(6))
		type ^= NLA_F_NESTED;
	if (pct(4))
		type |= NLA_F_NET_BYTEORDER;
	if (pct(3)) {				/* lie about the length */
		static const uint16_t lies[] = { 0, 1, 2, 3, 0xffff };

		alen = pct(50) ? lies[rnd(5)] : alen + 1 + rnd(64);
	}
	memcpy(g->b + start, &alen, 2);
	memcpy(g->b + start + 2, &type, 2);
	if (!pct(3)) {				/* pad, usually with zeros */
		while (g->len % 4 && room(g, 1))
			g->b[g->len++] = pct(95) ? 0 : rnd64() >> 56;
	}
	if (pct(6) && room(g, g->len - start)) {	/* duplicate it */
		memmove(g->b + g->len, g->b + start, g->len - start);
		g->len += g->len - start;
	}
}

static void put_hdr(struct gen *g, size_t at, uint32_t len, uint16_t type,
		    uint16_t flags, uint32_t seq, uint32_t pid)
{
	struct nlmsghdr h = {
		.nlmsg_len = len, .nlmsg_type = type, .nlmsg_flags = flags,
		.nlmsg_seq = seq, .nlmsg_pid = pid,
	};

	memcpy(g->b + at, &h, sizeof(h));
}

static void gen_msg(struct gen *g)
{
	struct pass *p = g->p;
	size_t start = g->len, len;
	uint16_t type, flags;
	struct genlmsghdr gh = { 0 };
	uint32_t nlen;
	int r, n, i;

	if (!room(g, 256))
		return;
	r = rnd(100);
	type = r < 88 ? W.family : r < 94 ? rnd(NLMSG_MIN_TYPE) :
	       GENL_MAX_ID + 1 + rnd(0xffff - GENL_MAX_ID);
	flags = NLM_F_REQUEST;
	if (pct(55))
		flags |= NLM_F_DUMP;
	if (pct(40))
		flags |= NLM_F_ACK;
	if (pct(4))
		flags |= NLM_F_ECHO;
	if (pct(3))
		flags &= ~NLM_F_REQUEST;
	if (pct(3))
		flags ^= NLM_F_ROOT;
	if (pct(2))
		flags ^= NLM_F_MATCH;
	if (pct(2))
		flags |= NLM_F_ATOMIC;
	if (pct(2))
		flags = rnd(0x10000);
	r = rnd(100);
	gh.cmd = r < 85 ? 1 + rnd(3) : r < 90 ? 0 : r < 95 ? 4 + rnd(4) : rnd(256);
	gh.version = pct(90) ? MEMVIRT_FAMILY_VERSION : rnd(256);
	gh.reserved = pct(95) ? 0 : 1 + rnd(0xffff);
	g->cmd = gh.cmd;
	g->len += NLMSG_HDRLEN;
	if (pct(97)) {
		put(g, &gh, GENL_HDRLEN);
		r = rnd(100);
		n = r < 25 ? 0 : r < 70 ? 1 : r < 88 ? 2 : 3 + rnd(6);
		for (i = 0; i < n; i++)
			gen_attr(g, 0);
		if (pct(4))
			put_rnd(g, 1 + rnd(3));		/* truncated nlattr header */
		if (pct(3))
			put_rnd(g, 4 + rnd(37));	/* garbage */
	} else {
		put(g, &gh, rnd(GENL_HDRLEN));		/* shorter than the headers */
	}
	len = g->len - start;
	nlen = len;
	if (pct(8)) {
		switch (rnd(6)) {
		case 0:
			nlen = rnd(NLMSG_HDRLEN);
			break;
		case 1:
			nlen = NLMSG_HDRLEN + rnd(GENL_HDRLEN);
			break;
		case 2:
			nlen = len > NLMSG_HDRLEN + 3 ? len - 1 - rnd(3) : len;
			break;
		case 3:
			nlen = len + 1 + rnd(64);
			break;
		case 4:
			nlen = 0xffffffff;
			break;
		default:
			nlen = rnd64();
		}
	}
	put_hdr(g, start, nlen, type, flags, ++p->seq, pct(5) ? (uint32_t)rnd64() : 0);
	while (g->len % NLMSG_ALIGNTO && room(g, 1))
		g->b[g->len++] = 0;
}

/* A clean request whose answer is known; returns the probe kind. */
static int gen_probe(struct gen *g, int *pvm)
{
	struct pass *p = g->p;
	int kind = 1 + rnd(P_NR - 1), cmd = MEMVIRT_CMD_VM_GET, flags = NLM_F_REQUEST;
	int attr = 0;
	uint32_t u;
	char id[64] = "";
	struct genlmsghdr gh = { .version = MEMVIRT_FAMILY_VERSION };
	size_t start = g->len;

	*pvm = rnd(W.nr_vms);
	switch (kind) {
	case P_ZONES:
		cmd = MEMVIRT_CMD_ZONE_GET;
		flags |= NLM_F_DUMP;
		break;
	case P_ZONE_ATTR:
		cmd = MEMVIRT_CMD_ZONE_GET;
		flags |= NLM_F_DUMP;
		attr = 1 + rnd(MEMVIRT_A_ZONE_MAX + 1);
		break;
	case P_VM_KNOWN:
		snprintf(id, sizeof(id), "%s", W.vm[*pvm].id);
		flags |= pct(50) ? NLM_F_ACK : 0;
		break;
	case P_VM_UNKNOWN:
		if (pct(50))
			snprintf(id, sizeof(id), "%d-%d", W.vm[*pvm].pid, 900 + rnd(100));
		else	/* well formed, and no test VM has a tag */
			snprintf(id, sizeof(id), "%d-x%08x", W.vm[*pvm].pid,
				 (uint32_t)rnd64() | 1);
		flags |= NLM_F_ACK;
		break;
	case P_VM_MALFORMED:
	case P_SLOTS_MALFORMED:
		if (kind == P_SLOTS_MALFORMED) {
			cmd = MEMVIRT_CMD_MEMSLOT_GET;
			flags |= NLM_F_DUMP;
		}
		do {
			snprintf(id, sizeof(id), "%s",
				 bad_ids[rnd(ARRAY_SIZE(bad_ids))]);
		} while (strlen(id) > MEMVIRT_VM_ID_LEN - 1);
		flags |= NLM_F_ACK;
		break;
	case P_VM_NOID:
		flags |= NLM_F_ACK;
		break;
	case P_VMS_ALL:
		flags |= NLM_F_DUMP;
		break;
	case P_VMS_WITH_ID:
		flags |= NLM_F_DUMP;
		snprintf(id, sizeof(id), "%s", W.vm[*pvm].id);
		break;
	case P_SLOTS_ALL:
		cmd = MEMVIRT_CMD_MEMSLOT_GET;
		flags |= NLM_F_DUMP;
		break;
	case P_SLOTS_OF:
		cmd = MEMVIRT_CMD_MEMSLOT_GET;
		flags |= NLM_F_DUMP;
		snprintf(id, sizeof(id), "%s", W.vm[*pvm].id);
		break;
	case P_SLOTS_UNKNOWN:
		cmd = MEMVIRT_CMD_MEMSLOT_GET;
		flags |= NLM_F_DUMP;
		snprintf(id, sizeof(id), "%d-%d", W.vm[*pvm].pid, 900 + rnd(100));
		break;
	case P_NO_OP:
		/* A command the family lacks, or lacks in this mode. */
		do {
			cmd = rnd(6);
			flags = NLM_F_REQUEST | (pct(50) ? NLM_F_DUMP : NLM_F_ACK);
		} while (cmd <= MEMVIRT_CMD_MAX &&
			 (W.opcaps[cmd] & ((flags & NLM_F_DUMP) ? GENL_CMD_CAP_DUMP :
					   GENL_CMD_CAP_DO)));
		break;
	}
	gh.cmd = cmd;
	g->len += NLMSG_HDRLEN;
	put(g, &gh, GENL_HDRLEN);
	if (id[0] || kind == P_VM_MALFORMED || kind == P_SLOTS_MALFORMED) {
		uint16_t alen = 4 + strlen(id) + 1, type = 2;

		put(g, &alen, 2);
		put(g, &type, 2);
		put(g, id, strlen(id) + 1);
		while (g->len % 4)
			g->b[g->len++] = 0;
	}
	if (attr) {
		uint16_t alen = 8, type = attr;

		u = rnd(4);
		put(g, &alen, 2);
		put(g, &type, 2);
		put(g, &u, 4);
	}
	put_hdr(g, start, g->len - start, W.family, flags, ++p->seq, 0);
	return kind;
}

/* Splits a send as netlink_rcv_skb() will; false if it would reach a family
 * that is not memvirt (a random header of nlctrl or another family).
 */
static bool kernel_view(struct chan *c, const uint8_t *tx, size_t n)
{
	size_t off = 0;
	int i, j;

	c->nk = 0;
	while (n - off >= NLMSG_HDRLEN) {
		struct nlmsghdr h;
		size_t ml;

		memcpy(&h, tx + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > n - off)
			break;
		if (c->nk == MAX_KREQS)
			return false;
		if ((h.nlmsg_flags & NLM_F_REQUEST) && h.nlmsg_type >= NLMSG_MIN_TYPE &&
		    h.nlmsg_type <= GENL_MAX_ID && h.nlmsg_type != W.family)
			return false;
		kreq_init(&c->k[c->nk++], tx + off, h.nlmsg_len);
		ml = NLMSG_ALIGN(h.nlmsg_len);
		off += ml > n - off ? n - off : ml;
	}
	for (i = 0; i < c->nk; i++)
		for (j = 0; j < c->nk; j++)
			if (i != j && c->k[i].seq == c->k[j].seq)
				c->k[i].dup = true;
	return true;
}

/* ------------------------------------------------------ the fuzz phase */

static uint8_t txbuf[TX_MAX];

static void fuzz_phase(struct pass *p, unsigned long n)
{
	static struct chan c = { .fd = -1 };
	struct gen g = { .b = txbuf, .p = p };
	unsigned long i;
	double t0 = now();
	int k;

	for (i = 0; i < n; i++) {
		int probe = P_NONE, pvm = -1, r;

		p->idx = i;
		if (i % 4096 == 0) {
			chan_close(&c);
			if (chan_open(&c, RX_MAX, pct(25), pct(85))) {
				failf(p, F_FUZZ, "socket: %s", strerror(errno));
				return;
			}
		}
		do {
			g.len = 0;
			probe = P_NONE;
			r = rnd(100);
			if (r < 2) {			/* shorter than any header */
				put_rnd(&g, rnd(NLMSG_HDRLEN + GENL_HDRLEN));
				if (g.len >= NLMSG_HDRLEN && pct(50))
					put_hdr(&g, 0, g.len, W.family, NLM_F_REQUEST | NLM_F_ACK,
						++p->seq, 0);
			} else if (r < 12) {
				probe = gen_probe(&g, &pvm);
			} else {
				int m = pct(90) ? 1 : 2 + rnd(2);

				while (m--)
					gen_msg(&g);
				if (pct(3))
					put_rnd(&g, 1 + rnd(32));
			}
		} while (!kernel_view(&c, txbuf, g.len));
		if (probe) {
			c.k[0].probe = probe;
			c.k[0].pvm = pvm;
			p->probes++;
		}
		c.lossy = false;
		/* An empty send: ENODATA on newer kernels, ignored on older. */
		if (send(c.fd, txbuf, g.len, 0) != (ssize_t)g.len &&
		    (g.len || errno != ENODATA)) {
			failf(p, F_FUZZ, "send %zu bytes: %s", g.len, strerror(errno));
			continue;
		}
		p->fuzz_msgs++;
		/* Requests are handled inside send(), dumps inside recvmsg(). */
		while (rx_batch(p, &c, F_FUZZ, 0))
			;
		for (k = 0; k < c.nk; k++)
			check_kreq(p, &c, F_FUZZ, &c.k[k]);
		c.nk = 0;
	}
	chan_close(&c);
	p->t_fuzz = now() - t0;
}

/* ------------------------------------------------------ the dump phase */

enum { D_VMS, D_SLOTS, D_SLOTS_OF, D_ZONES, D_VM_DO, D_NR };

static void dsock_send(struct pass *p, struct chan *c, int what)
{
	struct genlmsghdr gh = { .version = MEMVIRT_FAMILY_VERSION };
	uint16_t flags = NLM_F_REQUEST | NLM_F_DUMP;
	uint8_t tmp[sizeof(c->k[0].own)];
	struct gen g = { .b = tmp, .p = p };
	int pvm = rnd(W.nr_vms), i;
	const char *id = NULL;
	struct kreq *k;

	/* Reuse the slot of a finished request. */
	for (i = 0; i < c->nk && c->k[i].live; i++)
		;
	if (i == MAX_KREQS)
		return;
	k = &c->k[i];
	gh.cmd = what == D_VMS || what == D_VM_DO ? MEMVIRT_CMD_VM_GET :
		 what == D_ZONES ? MEMVIRT_CMD_ZONE_GET : MEMVIRT_CMD_MEMSLOT_GET;
	if (what == D_VM_DO) {
		flags = NLM_F_REQUEST | NLM_F_ACK;
		id = W.vm[pvm].id;
	} else if (what == D_SLOTS_OF) {
		id = W.vm[pvm].id;
	}
	g.len = NLMSG_HDRLEN;
	put(&g, &gh, GENL_HDRLEN);
	if (id) {
		uint16_t alen = 4 + strlen(id) + 1, type = 2;

		put(&g, &alen, 2);
		put(&g, &type, 2);
		put(&g, id, strlen(id) + 1);
		while (g.len % 4)
			g.b[g.len++] = 0;
	}
	put_hdr(&g, 0, g.len, W.family, flags, ++p->seq, 0);
	kreq_init(k, tmp, g.len);
	memcpy(k->own, tmp, g.len);
	k->bytes = k->own;
	k->probe = what == D_VMS ? P_VMS_ALL : what == D_SLOTS ? P_SLOTS_ALL :
		   what == D_SLOTS_OF ? P_SLOTS_OF : what == D_ZONES ? P_ZONES :
		   P_VM_KNOWN;
	k->pvm = pvm;
	if (i == c->nk)
		c->nk++;
	p->idx = p->dump_msgs++;
	if (send(c->fd, k->own, k->len, 0) != (ssize_t)k->len) {
		failf(p, F_DUMP, "send: %s", strerror(errno));
		k->live = false;
	}
}

static bool dsock_dumping(struct chan *c)
{
	int i;

	for (i = 0; i < c->nk; i++)
		if (c->k[i].live && c->k[i].model == M_DUMP)
			return true;
	return false;
}

static int dsock_live(struct chan *c)
{
	int i, n = 0;

	for (i = 0; i < c->nk; i++)
		n += c->k[i].live;
	return n;
}

/* Retires requests whose terminal message has come. */
static void dsock_retire(struct pass *p, struct chan *c)
{
	int i;

	for (i = 0; i < c->nk; i++) {
		struct kreq *k = &c->k[i];
		bool done;

		if (!k->live)
			continue;
		done = k->model == M_DUMP ? k->n_done || k->n_err :
		       k->n_err || k->n_ack;
		if (!done)
			continue;
		if (k->model == M_DUMP && k->n_err == 1 && k->err == -EBUSY) {
			int j;

			for (j = 0; j < c->nk; j++)
				if (c->k[j].live && c->k[j].model == M_DUMP &&
				    c->k[j].seq < k->seq && !c->k[j].n_done &&
				    !c->k[j].n_err)
					break;
			if (j == c->nk)
				failf(p, F_DUMP, "EBUSY for dump seq %u, no dump running",
				      k->seq);
			p->dumps_busy++;
			k->live = false;
			continue;
		}
		check_kreq(p, c, F_DUMP, k);
		if (k->model == M_DUMP)
			p->dumps_ok++;
		k->live = false;
	}
}

/*
 * Two dumps never interleave on one socket: a dump request sent while
 * another runs gets EBUSY, unless the kernel had already finished the
 * first; then all of the first comes before any of the second.
 */
static void dsock_order(struct pass *p, struct chan *c)
{
	int i, j;

	for (i = 0; i < c->nk; i++)
		for (j = 0; j < c->nk; j++) {
			struct kreq *a = &c->k[i], *b = &c->k[j];

			if (a->live && b->live && a->model == M_DUMP &&
			    b->model == M_DUMP && a->seq < b->seq &&
			    (b->n_data || b->n_done) && !a->n_done && !a->n_err)
				failf(p, F_DUMP, "dump seq %u answered while dump seq %u runs",
				      b->seq, a->seq);
		}
}

static void dsock_read(struct pass *p, struct chan *c, int batches)
{
	while (batches-- > 0 && dsock_live(c)) {
		if (!rx_batch(p, c, F_DUMP, 2000)) {
			if (!c->lossy)
				failf(p, F_DUMP, "no reply in 2 s with %d requests open",
				      dsock_live(c));
			chan_close(c);
			return;
		}
		p->dump_batches++;
		dsock_order(p, c);
		dsock_retire(p, c);
	}
}

static void dump_phase(struct pass *p, unsigned long n)
{
	static struct chan ds[NR_DSOCKS];
	double t0 = now();
	int i;

	for (i = 0; i < NR_DSOCKS; i++)
		ds[i].fd = -1;
	while (p->dump_msgs < n) {
		struct chan *c = &ds[rnd(NR_DSOCKS)];
		int a = rnd(100);

		if (c->fd < 0 && chan_open(c, RX_SMALL, false, true)) {
			failf(p, F_DUMP, "socket: %s", strerror(errno));
			return;
		}
		if (!dsock_dumping(c)) {
			if (a < 85)
				dsock_send(p, c, rnd(D_VM_DO));
			else if (a < 95)
				dsock_send(p, c, D_VM_DO);
			else
				dsock_read(p, c, 1);
		} else if (a < 50) {
			dsock_read(p, c, 1 + rnd(6));
		} else if (a < 62) {
			dsock_send(p, c, rnd(D_VM_DO));	/* while busy */
		} else if (a < 72) {
			dsock_send(p, c, D_VM_DO);
		} else if (a < 80) {
			p->dumps_closed++;		/* abandon it */
			chan_close(c);
		} else {
			dsock_read(p, c, 1 << 20);
		}
	}
	for (i = 0; i < NR_DSOCKS; i++) {
		if (ds[i].fd >= 0)
			dsock_read(p, &ds[i], 1 << 20);
		chan_close(&ds[i]);
	}
	p->t_dump = now() - t0;
}

/* ------------------------------------------------------------- a pass */

/* One clean ZONE_GET dump; true if it lists the zones of before. */
static bool zone_check(struct pass *p, char *why, size_t sz)
{
	struct chan c;
	struct kreq *k;
	struct gen g = { .b = txbuf, .p = p };
	struct genlmsghdr gh = { .cmd = MEMVIRT_CMD_ZONE_GET,
				 .version = MEMVIRT_FAMILY_VERSION };
	bool ok;

	if (chan_open(&c, RX_MAX, false, true)) {
		snprintf(why, sz, "socket: %s", strerror(errno));
		return false;
	}
	g.len = NLMSG_HDRLEN;
	put(&g, &gh, GENL_HDRLEN);
	put_hdr(&g, 0, g.len, W.family, NLM_F_REQUEST | NLM_F_DUMP, ++p->seq, 0);
	k = &c.k[0];
	kreq_init(k, txbuf, g.len);
	c.nk = 1;
	if (send(c.fd, txbuf, g.len, 0) != (ssize_t)g.len) {
		snprintf(why, sz, "send: %s", strerror(errno));
		chan_close(&c);
		return false;
	}
	while (!k->n_done && !k->n_err && rx_batch(p, &c, F_ZONE, 2000))
		;
	ok = final_err(k) == 0 && k->zones == W.nr_zones && !k->zone_bad;
	snprintf(why, sz, "errno %d, %d zones (want %d)%s", final_err(k), k->zones,
		 W.nr_zones, k->zone_bad ? ", not the zones root saw" : "");
	chan_close(&c);
	return ok;
}

static void run_pass(struct pass *p, unsigned long count)
{
	unsigned long dumps = count / 20;

	rnd_seed(W.seed);
	p->seq = 0;
	fuzz_phase(p, count - dumps);
	dump_phase(p, dumps);
	p->zone_final_ok = zone_check(p, p->zone_final, sizeof(p->zone_final));
}

static int drop_to_nobody(char *why, size_t sz)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY)) {
		snprintf(why, sz, "dropping to uid/gid %d: %s", NOBODY, strerror(errno));
		return -1;
	}
	if (syscall(SYS_capget, &h, d) || d[0].effective || d[1].effective ||
	    d[0].permitted || d[1].permitted) {
		snprintf(why, sz, "capabilities left after setresuid");
		return -1;
	}
	return 0;
}

/* The nobody pass in a child; its struct pass comes back through a pipe. */
static void run_nobody(struct pass *p, unsigned long count)
{
	int fds[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "nobody");
	if (pipe(fds)) {
		snprintf(p->setup_err, sizeof(p->setup_err), "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(p->setup_err, sizeof(p->setup_err), "fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		close(fds[0]);
		if (!drop_to_nobody(p->setup_err, sizeof(p->setup_err)))
			run_pass(p, count);
		fflush(stdout);
		for (got = 0; got < sizeof(*p); got += n) {
			n = write(fds[1], (char *)p + got, sizeof(*p) - got);
			if (n <= 0)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(*p)) {
		n = read(fds[0], (char *)p + got, sizeof(*p) - got);
		if (n <= 0)
			break;
		got += n;
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (got != sizeof(*p)) {
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "nobody");
		snprintf(p->setup_err, sizeof(p->setup_err),
			 "child died (status 0x%x) before reporting", status);
	}
}

static int cat_cmp(const void *a, const void *b)
{
	const struct cat *x = a, *y = b;

	if (x->err != y->err)
		return y->err - x->err;
	if (x->cmd != y->cmd)
		return x->cmd - y->cmd;
	return strcmp(x->msg, y->msg);
}

static void report_pass(struct pass *p)
{
	static uint64_t noted[MV_NR_SETS];
	unsigned long msgs = p->fuzz_msgs + p->dump_msgs;
	int i, s;

	if (p->setup_err[0]) {
		ksft_print_msg("%s: %s\n", p->name, p->setup_err);
		return;
	}
	ksft_print_msg("%s: %lu messages: fuzz %lu (%lu probes) in %.1f s = %.0f/s; dumps %lu requests, %lu batches in %.1f s; total %.0f messages/s\n",
		       p->name, msgs, p->fuzz_msgs, p->probes, p->t_fuzz,
		       p->t_fuzz > 0 ? p->fuzz_msgs / p->t_fuzz : 0, p->dump_msgs,
		       p->dump_batches, p->t_dump,
		       p->t_fuzz + p->t_dump > 0 ? msgs / (p->t_fuzz + p->t_dump) : 0);
	ksft_print_msg("%s: replies %lu in %lu batches: %lu memvirt messages, %lu acks, %lu errors, %lu NLMSG_DONE; dumps finished %lu, EBUSY %lu, abandoned %lu; overruns %lu\n",
		       p->name, p->replies, p->batches, p->data, p->acks, p->errors,
		       p->dones, p->dumps_ok, p->dumps_busy, p->dumps_closed, p->overruns);
	ksft_print_msg("%s: %lu 8-byte windows scanned; excused: %lu by negative s32 fields, %lu by echoed request bytes\n",
		       p->name, p->windows, p->excused_s32, p->excused_echo);
	/* Errors of requests that passed generic netlink's header checks. */
	qsort(p->cat, p->ncat, sizeof(p->cat[0]), cat_cmp);
	for (i = 0; i < p->ncat; i++)
		ksft_print_msg("%s: errno %d (%s), cmd %d, x%lu: \"%s\"\n", p->name,
			       p->cat[i].err, strerrorname_np(-p->cat[i].err) ?: "?",
			       p->cat[i].cmd, p->cat[i].n, p->cat[i].msg);
	/* Once per attribute, whichever pass met it first. */
	for (s = 0; s < MV_NR_SETS; s++)
		for (i = 0; i < 64; i++)
			if (p->spec_extra[s] & BIT64(i) & ~noted[s]) {
				noted[s] |= BIT64(i);
				ksft_print_msg("%s: note: the module sends %s attribute %d, which the spec's reply list of the op leaves out\n",
					       p->name, mv_sets[s].name, i);
			}
}

/* ------------------------------------------------------------- setup */

/* The family id and its commands' do/dump capabilities, from nlctrl. */
static int resolve_family(void)
{
	struct {
		struct nlmsghdr h;
		struct genlmsghdr g;
		struct nlattr a;
		char name[sizeof(MEMVIRT_FAMILY_NAME)];
	} __attribute__((packed)) req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = GENL_ID_CTRL,
		       .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 },
		.a = { .nla_len = sizeof(struct nlattr) + sizeof(MEMVIRT_FAMILY_NAME),
		       .nla_type = CTRL_ATTR_FAMILY_NAME },
		.name = MEMVIRT_FAMILY_NAME,
	};
	struct chan c;
	ssize_t n;
	size_t pos;
	int family = -1;

	if (chan_open(&c, RX_MAX, false, false))
		return -1;
	if (send(c.fd, &req, sizeof(req), 0) != sizeof(req)) {
		chan_close(&c);
		return -1;
	}
	n = recv(c.fd, rxbuf, sizeof(rxbuf), 0);
	chan_close(&c);
	if (n < (ssize_t)(NLMSG_HDRLEN + GENL_HDRLEN) ||
	    ((struct nlmsghdr *)rxbuf)->nlmsg_type != GENL_ID_CTRL)
		return -1;
	n = ((struct nlmsghdr *)rxbuf)->nlmsg_len < n ?
	    ((struct nlmsghdr *)rxbuf)->nlmsg_len : n;
	for (pos = NLMSG_HDRLEN + GENL_HDRLEN; pos + 4 <= (size_t)n;) {
		uint16_t alen = get16(rxbuf + pos), t = get16(rxbuf + pos + 2) & NLA_TYPE_MASK;
		size_t op, o;

		if (alen < 4 || pos + alen > (size_t)n)
			break;
		if (t == CTRL_ATTR_FAMILY_ID && alen >= 6)
			family = get16(rxbuf + pos + 4);
		for (op = pos + 4; t == CTRL_ATTR_OPS && op + 4 <= pos + alen;
		     op += NLA_ALIGN(get16(rxbuf + op))) {
			uint32_t id = 0, fl = 0;
			uint16_t olen = get16(rxbuf + op);

			if (olen < 4)
				break;
			for (o = op + 4; o + 8 <= op + olen; o += 8) {
				if ((get16(rxbuf + o + 2) & NLA_TYPE_MASK) == CTRL_ATTR_OP_ID)
					id = get32(rxbuf + o + 4);
				if ((get16(rxbuf + o + 2) & NLA_TYPE_MASK) == CTRL_ATTR_OP_FLAGS)
					fl = get32(rxbuf + o + 4);
			}
			if (id < 256)
				W.opcaps[id] = fl & (GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP);
		}
		pos += NLA_ALIGN(alen);
	}
	return family;
}

/* The VMM child: NR_TEST_VMS VMs; reports them, holds them until EOF. */
static pid_t start_holder(int *ctl, char *why, size_t sz)
{
	int up[2], down[2], i, j;
	pid_t pid;
	ssize_t n;

	if (pipe(up) || pipe(down)) {
		snprintf(why, sz, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(why, sz, "fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		static struct vmm_vm *vms[NR_TEST_VMS];
		static struct tvm out[NR_TEST_VMS];
		bool smm = true;
		char c;

		close(up[0]);
		close(down[1]);
		rnd_seed(W.seed ^ 0x5eed);
		for (i = 0; i < NR_TEST_VMS; i++) {
			int slots = 1 + rnd(MAX_DATA_SLOTS);

			vms[i] = vmm_vm_create(1);
			if (!vms[i])
				goto fail;
			for (j = 0; j < slots; j++) {
				static const enum vmm_backing b[] = {
					VMM_BACKING_ANON, VMM_BACKING_NOTHP, VMM_BACKING_MEMFD,
				};
				uint32_t fl = pct(15) ? VMM_SLOT_READONLY :
					      pct(15) ? VMM_SLOT_DIRTY_LOG : 0;
				int s = vmm_add_slot(vms[i], 0x100000ULL + j * 0x200000ULL,
						     4096ULL * (1 + rnd(16)), b[rnd(3)], fl);

				if (s < 0)
					goto fail;
				if (smm && pct(15) && vmm_alias_smm(vms[i], s))
					smm = false;	/* no SMM address space here */
			}
			snprintf(out[i].id, sizeof(out[i].id), "%s", vms[i]->id);
			out[i].pid = vms[i]->pid;
			out[i].fd = vms[i]->vm_fd;
			out[i].vmm_mem_bytes = vmm_mem_bytes(vms[i]);
			out[i].data_slots = slots;
		}
		if (write(up[1], out, sizeof(out)) != sizeof(out))
			_exit(1);
		while (read(down[0], &c, 1) > 0)
			;
		for (i = 0; i < NR_TEST_VMS; i++)
			vmm_vm_destroy(vms[i]);
		_exit(0);
fail:
		dprintf(up[1], "%s", vmm_error());
		_exit(1);
	}
	close(up[1]);
	close(down[0]);
	n = read(up[0], W.vm, sizeof(W.vm));
	if (n != sizeof(W.vm)) {
		char msg[256] = "";

		if (n > 0)
			snprintf(msg, sizeof(msg), "%.*s", (int)n, (char *)W.vm);
		snprintf(why, sz, "test VMM: %s", n > 0 ? msg : "died");
		close(up[0]);
		close(down[1]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(up[0]);
	W.nr_vms = NR_TEST_VMS;
	*ctl = down[1];
	return pid;
}

/* Zones by /proc/buddyinfo: "Node 0, zone      DMA ..." per populated zone. */
static int buddyinfo(struct zkey *z, int max)
{
	char line[512], name[16];
	unsigned int node;
	int n = 0;
	FILE *f = fopen("/proc/buddyinfo", "re");

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "Node %u, zone %15s", &node, name) == 2) {
			z[n].node = node;
			snprintf(z[n].name, sizeof(z[n].name), "%s", name);
			n++;
		}
	fclose(f);
	return n;
}

static int get_zones(struct mv_nl *nl, struct zkey *z, int max, char *why, size_t sz)
{
	struct mv_zone *zones = NULL;
	struct mv_err e;
	int nr = 0, i, ret;

	ret = mv_dump_zones(nl, &zones, &nr, &e, NULL);
	if (ret) {
		snprintf(why, sz, "ZONE_GET dump: %d %s", ret, e.msg);
		free(zones);
		return -1;
	}
	for (i = 0; i < nr && i < max; i++) {
		z[i].node = zones[i].node;
		snprintf(z[i].name, sizeof(z[i].name), "%s", zones[i].name);
	}
	free(zones);
	return nr;
}

static bool same_zones(const struct zkey *a, int na, const struct zkey *b, int nb)
{
	int i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (a[i].node != b[i].node || strcmp(a[i].name, b[i].name))
			return false;
	return true;
}

static void print_zones(const char *what, const struct zkey *z, int n)
{
	char buf[512] = "";
	size_t len = 0;
	int i;

	for (i = 0; i < n && len < sizeof(buf) - 40; i++)
		len += snprintf(buf + len, sizeof(buf) - len, " %u/%s", z[i].node, z[i].name);
	ksft_print_msg("%s:%s\n", what, buf);
}

/* VM_GET dump before the fuzz: every test VM once; records its counts. */
static int baseline(struct mv_nl *nl, char *why, size_t sz)
{
	struct mv_vm *vms = NULL;
	struct mv_err e;
	int nr = 0, i, j, seen;

	if (mv_dump_vms(nl, &vms, &nr, &e, NULL)) {
		snprintf(why, sz, "VM_GET dump: %d %s", e.err, e.msg);
		free(vms);
		return -1;
	}
	for (i = 0; i < W.nr_vms; i++) {
		for (j = 0, seen = 0; j < nr; j++) {
			if (strcmp(vms[j].id, W.vm[i].id))
				continue;
			seen++;
			W.vm[i].nr_memslots = vms[j].val[MEMVIRT_A_VM_NR_MEMSLOTS];
			W.vm[i].mem_bytes = vms[j].val[MEMVIRT_A_VM_MEM_BYTES];
		}
		if (seen != 1) {
			snprintf(why, sz, "VM_GET dump before the fuzz lists %s %d times",
				 W.vm[i].id, seen);
			free(vms);
			return -1;
		}
	}
	free(vms);
	return 0;
}

static uint64_t env_num(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		ksft_exit_fail_msg("%s=\"%s\" is not a number\n", name, s);
	return v;
}

int main(void)
{
	static struct pass root, nobody;
	struct zkey bz[MAX_ZONES], zz[MAX_ZONES];
	struct mv_vm *vms = NULL;
	struct mv_nl nl;
	const char *skip;
	char why[320];
	int ctl = -1, i, j, nr, nb, nz, bad;
	pid_t holder;
	bool ok;

	ksft_print_header();
	W.seed = env_num("MEMVIRT_FUZZ_SEED", (uint64_t)time(NULL) << 20 ^ getpid());
	W.count = env_num("MEMVIRT_FUZZ_COUNT", DEFAULT_COUNT);
	skip = memvirt_setup(&nl);
	if (skip)
		ksft_exit_skip("%s\n", skip);
	W.family = resolve_family();
	if (W.family < 0 || W.family != nl.family)
		ksft_exit_fail_msg("nlctrl: family %s: id %d, libnl says %d\n",
				   MEMVIRT_FAMILY_NAME, W.family, nl.family);
	ksft_set_plan(11);
	ksft_print_msg("seed 0x%016" PRIx64 " messages %lu\n", W.seed, W.count);
	ksft_print_msg("(messages per pass, as root and as uid %d; replay with MEMVIRT_FUZZ_SEED and MEMVIRT_FUZZ_COUNT)\n",
		       NOBODY);
	for (i = 0; i < 8; i++)
		if (W.opcaps[i])
			ksft_print_msg("family %d: command %d:%s%s\n", W.family, i,
				       W.opcaps[i] & GENL_CMD_CAP_DO ? " do" : "",
				       W.opcaps[i] & GENL_CMD_CAP_DUMP ? " dump" : "");

	holder = start_holder(&ctl, why, sizeof(why));
	if (holder < 0)
		ksft_exit_fail_msg("%s\n", why);
	if (baseline(&nl, why, sizeof(why)))
		ksft_exit_fail_msg("%s\n", why);
	W.nr_zones = get_zones(&nl, W.zone, MAX_ZONES, why, sizeof(why));
	if (W.nr_zones <= 0)
		ksft_exit_fail_msg("%s\n", W.nr_zones ? why : "ZONE_GET dump: no zone");
	for (i = 0, nr = 0; i < W.nr_vms; i++)
		nr += W.vm[i].nr_memslots;
	ksft_print_msg("%d test VMs of pid %d, %d memslots; %d zones\n", W.nr_vms,
		       W.vm[0].pid, nr, W.nr_zones);

	/* As root. */
	snprintf(root.name, sizeof(root.name), "root");
	root.root = true;
	run_pass(&root, W.count);
	report_pass(&root);
	ksft_test_result(!root.fails[F_FUZZ] && !root.fails[F_ZONE],
			 "root: fuzz, replies well formed and as the request calls for\n");
	ksft_test_result(!root.fails[F_DUMP],
			 "root: interleaved and abandoned dumps complete, ordered, none repeated\n");
	ksft_test_result(!root.fails[F_ADDR], "root: no kernel address in any reply\n");

	/* As nobody. */
	run_nobody(&nobody, W.count);
	report_pass(&nobody);
	if (nobody.setup_err[0]) {
		for (i = 0; i < 5; i++)
			ksft_test_result_fail("nobody: %s\n", nobody.setup_err);
	} else {
		ksft_test_result(!nobody.fails[F_FUZZ],
				 "nobody: fuzz, replies well formed and as the request calls for\n");
		ksft_test_result(!nobody.fails[F_DUMP],
				 "nobody: interleaved and abandoned dumps, replies as expected\n");
		ksft_test_result(!nobody.fails[F_ADDR],
				 "nobody: no kernel address in any reply\n");
		ksft_test_result(!nobody.fails[F_LEAK],
				 "nobody: no VM or memslot of a root VMM in any reply\n");
		if (!nobody.zone_final_ok)
			ksft_print_msg("nobody: final ZONE_GET dump: %s\n", nobody.zone_final);
		ksft_test_result(!nobody.fails[F_ZONE] && nobody.zone_final_ok,
				 "nobody: ZONE_GET answers every zone\n");
	}

	/* Afterwards: the module answers as before. */
	bad = 0;
	for (i = 0; i < W.nr_vms; i++) {
		struct mv_vm v;
		struct mv_err e;

		if (mv_get_vm(&nl, W.vm[i].id, &v, &e)) {
			ksft_print_msg("VM_GET %s: %d %s\n", W.vm[i].id, e.err, e.msg);
			bad++;
		} else if (strcmp(v.id, W.vm[i].id) ||
			   v.val[MEMVIRT_A_VM_NR_MEMSLOTS] != W.vm[i].nr_memslots ||
			   v.val[MEMVIRT_A_VM_MEM_BYTES] != W.vm[i].mem_bytes ||
			   W.vm[i].mem_bytes != W.vm[i].vmm_mem_bytes) {
			ksft_print_msg("VM_GET %s: id %s, %" PRIu64 " memslots, %" PRIu64
				       " bytes; before %u, %" PRIu64 "; the VMM declared %" PRIu64 "\n",
				       W.vm[i].id, v.id, v.val[MEMVIRT_A_VM_NR_MEMSLOTS],
				       v.val[MEMVIRT_A_VM_MEM_BYTES], W.vm[i].nr_memslots,
				       W.vm[i].mem_bytes, W.vm[i].vmm_mem_bytes);
			bad++;
		}
	}
	ksft_test_result(!bad, "after: VM_GET of each test VM: same id, memslots, memory size\n");

	bad = 0;
	nr = 0;
	if (mv_dump_vms(&nl, &vms, &nr, NULL, NULL)) {
		ksft_print_msg("VM_GET dump failed\n");
		bad++;
	}
	for (i = 0; i < W.nr_vms; i++) {
		int seen = 0;

		for (j = 0; j < nr; j++)
			seen += !strcmp(vms[j].id, W.vm[i].id);
		if (seen != 1) {
			ksft_print_msg("VM dump lists %s %d times\n", W.vm[i].id, seen);
			bad++;
		}
	}
	for (i = 0; i < nr; i++)
		for (j = i + 1; j < nr; j++)
			if (!strcmp(vms[i].id, vms[j].id)) {
				ksft_print_msg("VM dump lists %s twice\n", vms[i].id);
				bad++;
			}
	free(vms);
	ksft_test_result(!bad, "after: VM_GET dump lists every test VM exactly once\n");

	nz = get_zones(&nl, zz, MAX_ZONES, why, sizeof(why));
	nb = buddyinfo(bz, MAX_ZONES);
	ok = nz > 0 && same_zones(zz, nz, W.zone, W.nr_zones) && same_zones(zz, nz, bz, nb);
	if (!ok) {
		print_zones("ZONE_GET after", zz, nz > 0 ? nz : 0);
		print_zones("ZONE_GET before", W.zone, W.nr_zones);
		print_zones("/proc/buddyinfo", bz, nb > 0 ? nb : 0);
	}
	ksft_test_result(ok, "after: ZONE_GET dump returns every zone of /proc/buddyinfo\n");

	close(ctl);
	waitpid(holder, NULL, 0);
	memvirt_teardown(&nl);
	ksft_finished();
}
