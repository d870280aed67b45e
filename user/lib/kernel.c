// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: what the running kernel lets memvirt do (lib/kernel.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/kernel.h"

const char *mv_sysfs_path(char *buf, size_t len, const char *rel)
{
	const char *root = getenv("MEMVIRT_SYSFS_ROOT");

	snprintf(buf, len, "%s/%s", root && *root ? root : "/sys", rel);
	return buf;
}

bool mv_sysfs_exists(const char *rel)
{
	char path[512];

	return !access(mv_sysfs_path(path, sizeof(path), rel), F_OK);
}

/* The first line of sysfs file @rel into @buf; false if unreadable. */
static bool sysfs_line(const char *rel, char *buf, size_t len)
{
	char path[512];
	FILE *f = fopen(mv_sysfs_path(path, sizeof(path), rel), "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	return ok;
}

enum mv_lockdown mv_lockdown(void)
{
	char line[128];

	if (!sysfs_line("kernel/security/lockdown", line, sizeof(line)))
		return MV_LOCKDOWN_NONE;
	if (strstr(line, "[confidentiality]"))
		return MV_LOCKDOWN_CONFIDENTIALITY;
	if (strstr(line, "[integrity]"))
		return MV_LOCKDOWN_INTEGRITY;
	return MV_LOCKDOWN_NONE;
}

bool mv_modules_must_be_signed(void)
{
	char line[16];

	return mv_lockdown() != MV_LOCKDOWN_NONE ||
	       (sysfs_line("module/module/parameters/sig_enforce", line, sizeof(line)) &&
		line[0] == 'Y');
}

bool mv_probe_blocked(char *buf, size_t len)
{
	if (mv_lockdown() == MV_LOCKDOWN_CONFIDENTIALITY) {
		snprintf(buf, len, "kernel lockdown=confidentiality blocks BPF reads of "
			 "kernel memory, which the probes need: boot with lockdown=integrity "
			 "or none (Secure Boot sets it; see /sys/kernel/security/lockdown)");
		return true;
	}
	if (!mv_sysfs_exists("module/kvm")) {
		snprintf(buf, len, "kvm is not loaded: `sudo modprobe kvm_intel` "
			 "(or kvm_amd)");
		return true;
	}
	/* A loadable kvm has its types in its own BTF; a built-in one in vmlinux's. */
	if (mv_sysfs_exists("module/kvm/initstate") ? !mv_sysfs_exists("kernel/btf/kvm") :
	    !mv_sysfs_exists("kernel/btf/vmlinux")) {
		snprintf(buf, len, "no BTF for kvm (/sys/kernel/btf/kvm): the probes need "
			 "a kernel built with CONFIG_DEBUG_INFO_BTF_MODULES, as Debian's is");
		return true;
	}
	return false;
}

bool mv_probe_denied(int err, char *buf, size_t len)
{
	if (err != -EPERM && err != -EACCES)
		return false;
	if (geteuid())
		snprintf(buf, len, "permission denied loading BPF programs (%s): run "
			 "as root, or give memvirt CAP_BPF and CAP_PERFMON", strerror(-err));
	else	/* a container's root, say */
		snprintf(buf, len, "permission denied loading BPF programs (%s) although "
			 "root: this process lacks CAP_BPF and CAP_PERFMON (a container?)",
			 strerror(-err));
	return true;
}
