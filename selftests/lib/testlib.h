/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the memvirt kselftests: the module (MEMVIRT_KO), the
 * memvirt-vmm helper process, THP and smaps.
 */
#ifndef MEMVIRT_SELFTESTS_TESTLIB_H
#define MEMVIRT_SELFTESTS_TESTLIB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "vmm.h"

/* Path of a file next to this test binary (e.g. "memvirt-vmm"). */
const char *helper_path(const char *name);

/* The module. Errors are negative errnos. */
bool kmod_loaded(void);
const char *kmod_path(void);		/* $MEMVIRT_KO or NULL */
int kmod_load(void);			/* finit_module($MEMVIRT_KO) */
int kmod_unload(void);			/* delete_module("memvirt") */

/* A memvirt-vmm child process. */
#define VMMP_MAX_VMS	512
struct vmm_proc {
	pid_t pid;
	FILE *in, *out;
	int nr_vms;
	char id[VMMP_MAX_VMS][VMM_ID_LEN];
	char err[256];
};

/* argv without argv[0]; NULL-terminated. Waits for "ready". */
int vmmp_start(struct vmm_proc *p, const char *const *argv);
/* Sends one command line; 0 if answered "ok". Output lines before go to log. */
int vmmp_cmd(struct vmm_proc *p, const char *cmd);
/* quit + wait (SIGKILL after a few seconds); returns the exit status. */
int vmmp_stop(struct vmm_proc *p);

/* "always", "madvise" or "never" in buf; -1 if THP is not available. */
int thp_mode(char *buf, size_t len);
int thp_set_mode(const char *mode);
/* Bytes of AnonHugePages/ShmemPmdMapped in this process's VMAs overlapping [addr, addr+len). */
uint64_t smaps_huge_bytes(const void *addr, uint64_t len);

/* /proc/self/comm without the newline. */
void self_comm(char *buf, size_t len);


struct mv_nl;
/*
 * Prepares a module test: KVM usable, memvirt loaded (loads $MEMVIRT_KO if
 * it is not), family resolved into *nl. NULL if ready, else why to skip.
 */
const char *memvirt_setup(struct mv_nl *nl);
/* Closes *nl and reloads the module if a test left it unloaded. */
void memvirt_teardown(struct mv_nl *nl);

#endif /* MEMVIRT_SELFTESTS_TESTLIB_H */
