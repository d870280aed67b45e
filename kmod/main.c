// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt: memory observatory for KVM hosts.
 *
 * Exports per-VM memory-pool statistics of every KVM VM of the host over
 * the generic netlink family "memvirt" (include/uapi/linux/memvirt.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "memvirt.h"

#include <linux/init.h>
#include <linux/module.h>

static int __init memvirt_init(void)
{
	int err;

	err = memvirt_vm_init();
	if (err)
		return err;
	err = memvirt_netlink_init();
	if (err) {
		pr_err("cannot register generic netlink family: %d\n", err);
		return err;
	}
	pr_info("generic netlink family \"%s\" version %d registered\n",
		MEMVIRT_FAMILY_NAME, MEMVIRT_FAMILY_VERSION);
	return 0;
}

static void __exit memvirt_exit(void)
{
	/* Waits for running requests; no VM reference outlives a request. */
	memvirt_netlink_exit();
}

module_init(memvirt_init);
module_exit(memvirt_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Memory observatory for KVM hosts");
MODULE_AUTHOR("memvirt developers");
MODULE_ALIAS_GENL_FAMILY(MEMVIRT_FAMILY_NAME);
