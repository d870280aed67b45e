// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: what the page-fault probes could not count, by reason: our
 * own counters in the "lost" map, the kernel's recursion and kprobe misses,
 * and the records found restarted between two reads.
 */
#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "lib/probe.h"
#include "lib/util.h"
#include "faults.skel.h"


const struct mv_loss_desc mv_loss_desc[MV_LOST_NR] = {
	[MV_LOST_VM_TABLE_FULL] = { "vm_table_full",
		"faults of VMs beyond --max-vms (the VM table full)" },
	[MV_LOST_INFLIGHT_FULL] = { "inflight_full",
		"faults entered while the in-flight table (1024 threads) was full" },
	[MV_LOST_EXITS_MISSED] = { "exits_missed",
		"faults whose exit hook never ran (kretprobe or fexit missed), seen at "
		"the thread's next fault" },
	[MV_LOST_SLOTS_FULL] = { "slots_full",
		"faults not counted per memslot: the slot table (--max-slots) full" },
	[MV_LOST_REGIONS_FULL] = { "regions_full",
		"faults not counted per GPA region: the region table (--max-regions) full" },
	[MV_LOST_RECURSION_MISSED] = { "recursion_missed",
		"program runs the kernel skipped to avoid recursion "
		"(bpf_prog_info.recursion_misses, all programs)" },
	[MV_LOST_KPROBE_MISSED] = { "kprobe_missed",
		"kprobe hits the kernel skipped (a kprobe already running on the CPU)" },
	[MV_LOST_KRETPROBE_MISSED] = { "kretprobe_missed",
		"kretprobe hits and returns the kernel skipped (no free instance: "
		"maxactive; or a kprobe already running)" },
	[MV_LOST_COUNTER_RESETS] = { "counter_resets",
		"counter records found restarted (an entry recreated between two reads): "
		"counts before the restart in that interval are lost" },
};

bool mv_delta_u64(unsigned long long *d, const unsigned long long *cur,
		  const unsigned long long *prev, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cur[i] < prev[i])
			break;
	if (i < n) {
		memmove(d, cur, n * sizeof(*d));
		return true;
	}
	for (i = 0; i < n; i++)
		d[i] = cur[i] - prev[i];
	return false;
}

/*
 * struct bpf_link_info up to perf_event.kprobe.missed as v6.7 laid it out
 * (the build host's <linux/bpf.h> may be older). The kernel copies back as
 * much as it knows and says how much in info_len: 6.1's is shorter, and it
 * fills nothing in for perf-event links (no fill_link_info before v6.6).
 */
struct link_info_kprobe {
	__u32 type, id, prog_id, pad;
	__u32 perf_type, pad2;		/* perf_event.type */
	__u64 func_name;
	__u32 name_len, offset;
	__u64 addr;
	__u64 missed;
};

#define LINK_TYPE_PERF_EVENT	7	/* BPF_LINK_TYPE_PERF_EVENT */
#define PERF_EVENT_KPROBE	3	/* BPF_PERF_EVENT_KPROBE */
#define PERF_EVENT_KRETPROBE	4	/* BPF_PERF_EVENT_KRETPROBE */

/* The misses of a kprobe or kretprobe link; false if the kernel does not say. */
bool mv_probe_link_missed(struct bpf_link *link, __u64 *missed)
{
	struct link_info_kprobe info;
	__u32 len = sizeof(info);
	int fd = bpf_link__fd(link);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    len < offsetof(struct link_info_kprobe, missed) + sizeof(info.missed) ||
	    info.type != LINK_TYPE_PERF_EVENT ||
	    (info.perf_type != PERF_EVENT_KPROBE && info.perf_type != PERF_EVENT_KRETPROBE))
		return false;
	*missed = info.missed;
	return true;
}

/* bpf_prog_info.recursion_misses summed over our loaded programs (v5.12+). */static bool prog_recursion(const struct mv_faults *st, __u64 *sum)
{
	const size_t need = offsetof(struct bpf_prog_info, recursion_misses) +
			    sizeof(((struct bpf_prog_info *)0)->recursion_misses);
	struct bpf_program *prog;
	bool ok = true;

	*sum = 0;
	bpf_object__for_each_program(prog, st->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)		/* not loaded in this mode */
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || len < need)
			ok = false;
		else
			*sum += info.recursion_misses;
	}
	return ok;
}

/*
 * Reads every loss counter, cumulative, and its growth since the last
 * report. What applies and what the kernel reports:
 * - the "lost" map's reasons, ours, on every kernel;
 * - recursion misses: trampolines (fentry/fexit) and BTF/raw tracepoints
 *   count them on 6.1 and 6.12; kprobe programs only since v6.7
 *   (trace_call_bpf(), the series that also put "missed" in the kprobe
 *   link info), so in kprobe mode they are n/a without that;
 * - kprobe and kretprobe misses (the kretprobe's include maxactive): the
 *   perf-event link info, v6.7+. libbpf creates kprobes through the perf
 *   PMU, which tracefs's kprobe_profile does not list.
 * The counter_resets entry is the number of records mv_delta_u64() found
 * restarted (read_vms(), read_keyed()): read after them.
 */
void mv_probe_read_losses(struct mv_faults *st)
{
	static const int ours[FAULTS_LOST_NR] = {
		[FAULTS_LOST_NO_VM] = MV_LOST_VM_TABLE_FULL,
		[FAULTS_LOST_NO_INFLIGHT] = MV_LOST_INFLIGHT_FULL,
		[FAULTS_LOST_EXIT] = MV_LOST_EXITS_MISSED,
		[FAULTS_LOST_SLOT] = MV_LOST_SLOTS_FULL,
		[FAULTS_LOST_REGION] = MV_LOST_REGIONS_FULL,
	};
	bool kprobe = st->method[0] == 'k', entry = kprobe || !st->o.lite;
	struct faults_lost *v = calloc(st->ncpus, sizeof(*v));
	unsigned char *state = st->loss_state;
	__u64 *cur = st->loss_cur, missed[3] = { 0 }, rec;	/* missed[enum link_kind] */
	bool known[3] = { true, true, true }, rec_known;
	__u32 zero = 0;

	if (v && !bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.lost), &zero, v))
		for (int r = 0; r < FAULTS_LOST_NR; r++) {
			cur[ours[r]] = 0;
			for (int c = 0; c < st->ncpus; c++)
				cur[ours[r]] += v[c].n[r];
		}
	free(v);
	state[MV_LOST_VM_TABLE_FULL] = MV_LOSS_OK;
	state[MV_LOST_INFLIGHT_FULL] = entry ? MV_LOSS_OK : MV_LOSS_OFF;
	state[MV_LOST_EXITS_MISSED] = entry ? MV_LOSS_OK : MV_LOSS_OFF;
	state[MV_LOST_SLOTS_FULL] = st->o.slots ? MV_LOSS_OK : MV_LOSS_OFF;
	state[MV_LOST_REGIONS_FULL] = st->o.regions ? MV_LOSS_OK : MV_LOSS_OFF;

	rec_known = prog_recursion(st, &rec) && (!kprobe || st->link_missed);
	for (int i = 0; i < st->nlinks; i++) {
		int k = st->link_kind[i];
		__u64 m;

		if (k == LINK_OTHER)
			continue;
		if (mv_probe_link_missed(st->links[i], &m))
			missed[k] += m;
		else
			known[k] = false;
	}
	cur[MV_LOST_RECURSION_MISSED] = rec;
	state[MV_LOST_RECURSION_MISSED] = rec_known ? MV_LOSS_OK : MV_LOSS_NA;
	cur[MV_LOST_KPROBE_MISSED] = missed[LINK_KPROBE];
	cur[MV_LOST_KRETPROBE_MISSED] = missed[LINK_KRETPROBE];
	state[MV_LOST_KPROBE_MISSED] = !kprobe ? MV_LOSS_OFF :
				       known[LINK_KPROBE] ? MV_LOSS_OK : MV_LOSS_NA;
	state[MV_LOST_KRETPROBE_MISSED] = !kprobe ? MV_LOSS_OFF :
					  known[LINK_KRETPROBE] ? MV_LOSS_OK : MV_LOSS_NA;

	for (int i = 0; i < MV_LOST_NR; i++) {
		if (i == MV_LOST_COUNTER_RESETS)
			continue;
		if (state[i] != MV_LOSS_OK)
			cur[i] = 0;
		if (mv_delta_u64(&st->loss_d[i], &cur[i], &st->loss_prev[i], 1))
			st->resets++;
	}
	cur[MV_LOST_COUNTER_RESETS] = st->resets;
	state[MV_LOST_COUNTER_RESETS] = MV_LOSS_OK;
	mv_delta_u64(&st->loss_d[MV_LOST_COUNTER_RESETS], &cur[MV_LOST_COUNTER_RESETS],
		     &st->loss_prev[MV_LOST_COUNTER_RESETS], 1);
}

void mv_probe_losses(const struct mv_faults *st, bool total, struct mv_fault_losses *l)
{
	for (int i = 0; i < MV_LOST_NR; i++) {
		l->state[i] = st->loss_state[i];
		l->n[i] = st->loss_state[i] != MV_LOSS_OK ? 0 :
			  total ? st->loss_cur[i] : st->loss_d[i];
	}
}
