/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: what the running kernel lets memvirt do: lockdown, module
 * signature enforcement, BTF for kvm. Read from sysfs; for tests,
 * MEMVIRT_SYSFS_ROOT names a directory to read instead of /sys (a fake
 * lockdown file, a tree without kvm's BTF).
 */
#ifndef MEMVIRT_KERNEL_H
#define MEMVIRT_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

enum mv_lockdown {
	MV_LOCKDOWN_NONE,
	MV_LOCKDOWN_INTEGRITY,		/* no unsigned modules */
	MV_LOCKDOWN_CONFIDENTIALITY,	/* ... and no BPF reads of kernel memory */
};

/* @rel ("kernel/btf/kvm") below /sys or MEMVIRT_SYSFS_ROOT, into @buf. */
const char *mv_sysfs_path(char *buf, size_t len, const char *rel);
bool mv_sysfs_exists(const char *rel);

/* /sys/kernel/security/lockdown's selected mode; NONE if unreadable. */
enum mv_lockdown mv_lockdown(void);
/* Does the kernel refuse unsigned modules (lockdown or module.sig_enforce)? */
bool mv_modules_must_be_signed(void);

/*
 * Why the fault probes cannot work on this kernel, decided before loading
 * them: lockdown=confidentiality, kvm not loaded, no BTF for a modular kvm.
 * One line with the fix into @buf and true; false if nothing is known to
 * be in the way.
 */
bool mv_probe_blocked(char *buf, size_t len);

/* One line with the fix for a BPF load failure -@err (EPERM, EACCES); false otherwise. */
bool mv_probe_denied(int err, char *buf, size_t len);

#endif /* MEMVIRT_KERNEL_H */
