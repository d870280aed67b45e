/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt faults: per-VM KVM page-fault statistics from the BPF programs in
 * bpf/faults.bpf.c. Needs no kernel module: VMs are named from BPF alone.
 */
#ifndef MEMVIRT_USER_FAULTS_H
#define MEMVIRT_USER_FAULTS_H

struct mv_opts;

/*
 * argv[0] is the verb ("faults"); common options (--json) come in @common.
 * Returns 0, 1 (runtime error) or 2 (usage).
 */
int mv_cmd_faults(int argc, char **argv, struct mv_opts *common);

#endif
