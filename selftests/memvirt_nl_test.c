// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink contract's error paths: unprivileged callers see none of
 * root's VMs, malformed requests get EINVAL with an extack message,
 * unknown VMs ENOENT with an extack message.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <netlink/attr.h>

#include "kselftest_harness.h"
#include "memvirt_nl.h"
#include "testlib.h"
#include "vmm.h"

#define NOBODY 65534

FIXTURE(nl) {
	struct mv_nl nl;
	struct vmm_vm *vm;
};

FIXTURE_SETUP(nl)
{
	const char *why = memvirt_setup(&self->nl);

	self->vm = NULL;
	if (why)
		SKIP(return, "%s", why);
	/* A real VM, so errors cannot come from an empty VM list. */
	self->vm = ASSERT_VMM(vmm_vm_create(1));
}

FIXTURE_TEARDOWN(nl)
{
	vmm_vm_destroy(self->vm);
	memvirt_teardown(&self->nl);
}

static int nl_req(struct mv_nl *nl, struct nl_msg *msg, struct mv_err *e)
{
	return mv_request(nl, msg, NULL, NULL, e, NULL);
}

/* Asserts errno and a non-empty extack message. */
#define EXPECT_NL_ERR(want, e) do {						\
	EXPECT_EQ(want, (e).err) TH_LOG("got %d (%s), extack \"%s\"", (e).err,	\
					strerror(-(e).err), (e).msg);		\
	EXPECT_NE(0, (e).msg[0]) TH_LOG("no extack message with %s",		\
					strerror(-(want)));			\
	if ((e).msg[0])								\
		TH_LOG("extack: %s", (e).msg);					\
} while (0)

/* Root (the control) may do what nobody may not. */
TEST_F(nl, root_allowed)
{
	struct mv_vm *vms, v;
	struct mv_slot *sl;
	int nr;

	ASSERT_EQ(0, mv_dump_vms(&self->nl, &vms, &nr, NULL, NULL));
	free(vms);
	ASSERT_EQ(0, mv_get_vm(&self->nl, self->vm->id, &v, NULL));
	ASSERT_EQ(0, mv_dump_slots(&self->nl, NULL, &sl, &nr, NULL, NULL));
	free(sl);
}

/*
 * uid 65534 with no capabilities could not read root's /proc/PID/maps, so
 * it sees none of root's VMs: empty dumps, and -ENOENT for the VM by id.
 */
TEST_F(nl, unprivileged_sees_nothing_of_root)
{
	int status, fds[2];
	char report[512] = "";
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct d[2];
		struct mv_vm *vms, v;
		struct mv_slot *sl;
		struct mv_err e;
		struct mv_nl nl;
		int nr[2], r[3];

		close(fds[0]);
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY)) {
			dprintf(fds[1], "drop privileges: %s", strerror(errno));
			_exit(2);
		}
		if (syscall(SYS_capget, &h, d) || d[0].effective || d[1].effective ||
		    d[0].permitted || d[1].permitted) {
			dprintf(fds[1], "capabilities left after setuid");
			_exit(2);
		}
		if (mv_nl_open(&nl)) {
			dprintf(fds[1], "family not resolvable as nobody");
			_exit(2);
		}
		r[0] = mv_dump_vms(&nl, &vms, &nr[0], &e, NULL);
		r[1] = mv_get_vm(&nl, self->vm->id, &v, &e);
		r[2] = mv_dump_slots(&nl, NULL, &sl, &nr[1], &e, NULL);
		dprintf(fds[1], "VM_GET dump %d (%d VMs), VM_GET do %d, MEMSLOT_GET dump %d (%d slots)",
			r[0], r[0] ? -1 : nr[0], r[1], r[2], r[2] ? -1 : nr[1]);
		_exit(!r[0] && !nr[0] && r[1] == -ENOENT && !r[2] && !nr[1] ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], report, sizeof(report) - 1);
	if (n > 0)
		report[n] = '\0';
	close(fds[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_NE(2, WEXITSTATUS(status)) TH_LOG("%s", report);
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("want empty dumps and -ENOENT (%d): %s", -ENOENT, report);
}

/* Ids that are not exactly "%d-%d": -EINVAL with a message, not -ENOENT. */
TEST_F(nl, malformed_ids)
{
	static const char *const bad[] = {
		"+1-2", "1-+2", "1-2\n", " 1-2", "01-2", "1-02", "-1-2", "1--2",
		"1-", "-2", "1", "", "1-2-3", "1_2", "2147483648-1", "1-2x",
	};
	struct mv_slot *sl;
	struct mv_vm v;
	struct mv_err e;
	unsigned int i;
	int nr;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mv_get_vm(&self->nl, bad[i], &v, &e);
		EXPECT_EQ(-EINVAL, e.err) TH_LOG("VM_GET \"%s\": %d (%s)", bad[i], e.err, e.msg);
		EXPECT_NE(0, e.msg[0]) TH_LOG("VM_GET \"%s\": no extack message", bad[i]);
		sl = NULL;
		mv_dump_slots(&self->nl, bad[i], &sl, &nr, &e, NULL);
		free(sl);
		EXPECT_EQ(-EINVAL, e.err) TH_LOG("MEMSLOT_GET \"%s\": %d (%s)", bad[i], e.err, e.msg);
	}
	/* The good spelling of the same VM still works. */
	EXPECT_EQ(0, mv_get_vm(&self->nl, self->vm->id, &v, &e)) TH_LOG("%s", e.msg);
}

/* A VM dump takes no VM id: naming one is an error, not a silent filter. */
TEST_F(nl, dump_with_id)
{
	struct nl_msg *msg = mv_msg(&self->nl, MEMVIRT_CMD_VM_GET, NLM_F_DUMP);
	struct mv_err e;

	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put_string(msg, MEMVIRT_A_VM_ID, self->vm->id));
	nl_req(&self->nl, msg, &e);
	EXPECT_NL_ERR(-EINVAL, e);
	EXPECT_NE(0, e.msg[0]);
}

/* VM_GET do without MEMVIRT_A_VM_ID. */
TEST_F(nl, get_without_id)
{
	struct nl_msg *msg = mv_msg(&self->nl, MEMVIRT_CMD_VM_GET, 0);
	struct mv_err e;

	ASSERT_NE(NULL, msg);
	nl_req(&self->nl, msg, &e);
	EXPECT_NL_ERR(-EINVAL, e);
}

/* MEMVIRT_A_VM_ID of the wrong size: empty, and longer than any id. */
TEST_F(nl, id_wrong_size)
{
	char longid[MEMVIRT_VM_ID_LEN * 4];
	struct nl_msg *msg;
	struct mv_err e;

	msg = mv_msg(&self->nl, MEMVIRT_CMD_VM_GET, 0);
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put(msg, MEMVIRT_A_VM_ID, 0, NULL));
	nl_req(&self->nl, msg, &e);
	EXPECT_NL_ERR(-EINVAL, e);

	/* "<our id>" padded with digits far beyond MEMVIRT_VM_ID_LEN. */
	memset(longid, '7', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	memcpy(longid, self->vm->id, strlen(self->vm->id));
	msg = mv_msg(&self->nl, MEMVIRT_CMD_VM_GET, 0);
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put_string(msg, MEMVIRT_A_VM_ID, longid));
	nl_req(&self->nl, msg, &e);
	EXPECT_NL_ERR(-EINVAL, e);

	/* Same on the memslot selector. */
	msg = mv_msg(&self->nl, MEMVIRT_CMD_MEMSLOT_GET, NLM_F_DUMP);
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put(msg, MEMVIRT_A_SLOT_VM_ID, 0, NULL));
	nl_req(&self->nl, msg, &e);
	EXPECT_NL_ERR(-EINVAL, e);
}

/* An attribute the policy does not know, under strict validation. */
TEST_F(nl, unknown_attribute)
{
	struct nl_msg *msg;
	struct mv_err e;
	uint32_t junk = 1;

	msg = mv_msg(&self->nl, MEMVIRT_CMD_VM_GET, 0);
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put_string(msg, MEMVIRT_A_VM_ID, self->vm->id));
	ASSERT_EQ(0, nla_put(msg, MEMVIRT_A_VM_MAX + 10, sizeof(junk), &junk));
	nl_req(&self->nl, msg, &e);
	EXPECT_NL_ERR(-EINVAL, e);

	msg = mv_msg(&self->nl, MEMVIRT_CMD_MEMSLOT_GET, NLM_F_DUMP);
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put(msg, MEMVIRT_A_SLOT_MAX + 10, sizeof(junk), &junk));
	nl_req(&self->nl, msg, &e);
	EXPECT_NL_ERR(-EINVAL, e);
}

/* A well-formed id of no VM: ENOENT, for VM_GET and the slot selector. */
TEST_F(nl, unknown_vm)
{
	char id[MEMVIRT_VM_ID_LEN];
	struct mv_slot *sl;
	struct mv_vm v;
	struct mv_err e;
	int nr;

	/* Our own pid with an fd number that is not a VM. */
	snprintf(id, sizeof(id), "%d-%d", getpid(), 1000);
	mv_get_vm(&self->nl, id, &v, &e);
	EXPECT_NL_ERR(-ENOENT, e);

	mv_dump_slots(&self->nl, id, &sl, &nr, &e, NULL);
	EXPECT_NL_ERR(-ENOENT, e);
	free(sl);

	/* A destroyed VM is unknown too. */
	snprintf(id, sizeof(id), "%s", self->vm->id);
	vmm_vm_destroy(self->vm);
	self->vm = NULL;
	mv_get_vm(&self->nl, id, &v, &e);
	EXPECT_NL_ERR(-ENOENT, e);
}

/* A command the family does not have. */
TEST_F(nl, unknown_command)
{
	struct nl_msg *msg = mv_msg(&self->nl, MEMVIRT_CMD_MAX + 5, 0);
	struct mv_err e;

	ASSERT_NE(NULL, msg);
	EXPECT_EQ(-EOPNOTSUPP, nl_req(&self->nl, msg, &e));
}

TEST_HARNESS_MAIN
