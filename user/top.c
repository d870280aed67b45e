// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: `memvirt top` - the host's VMs, refreshed every interval:
 * what memvirt.ko reports of each (guest memory, how much of it KVM maps and
 * how much by huge pages, KVM's own overhead) next to the page faults the BPF
 * probes counted for it in the interval. The two meet on the VM's identity,
 * "<pid>-<fd>", which both read from KVM.
 *
 * Without the probes (not root, no BTF for kvm, --no-faults) the fault
 * columns stay empty and the rest still refreshes.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"
#include "nl.h"
#include "output.h"

#define MAX_INTERVAL	3600.0

enum sort_key { SORT_FAULTS, SORT_MEMORY, SORT_OVERHEAD, SORT_ID };

static const char *const sort_names[] = {
	[SORT_FAULTS] = "faults",
	[SORT_MEMORY] = "memory",
	[SORT_OVERHEAD] = "overhead",
	[SORT_ID] = "id",
};

struct top_row {
	struct mv_vm vm;
	bool has_faults;		/* the probes saw it this interval */
	struct mv_fault_rates f;
};

struct top {
	const struct mv_opts *o;
	double interval, duration;
	bool batch, clear;
	enum sort_key sort;
	struct mv_faults *faults;	/* NULL: no fault columns */
	struct top_row *rows;
	size_t nr, cap;
	unsigned long frames;		/* printed so far */
};

/* Module columns: MEMVIRT_A_VM_* attributes as `memvirt list` names them. */
static const struct {
	const char *name, *key;
	int attr;
	enum mv_fmt fmt;
} vm_cols[] = {
	{ "PID", "pid", MEMVIRT_A_VM_PID, MV_FMT_NUM },
	{ "VCPUS", "vcpus", MEMVIRT_A_VM_VCPUS_ONLINE, MV_FMT_NUM },
	{ "MEMORY", "memory", MEMVIRT_A_VM_MEM_BYTES, MV_FMT_SIZE },
	{ "MAPPED", "mapped", MEMVIRT_A_VM_MAPPED_BYTES, MV_FMT_SIZE },
	{ "HUGE", "huge", MEMVIRT_A_VM_HUGE_MAPPED_PPM, MV_FMT_PPM },
	{ "PGTABLES", "pgtables", MEMVIRT_A_VM_PAGE_TABLE_BYTES, MV_FMT_SIZE },
	{ "OVERHEAD", "overhead", MEMVIRT_A_VM_OVERHEAD_BYTES, MV_FMT_SIZE },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define FAULT_COLS	"FAULTS/s", "PAGEIN%", "P50", "P99"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void top_usage(void)
{
	fputs("Usage:\n"
	      " memvirt top [options]\n"
	      "\n"
	      "The VMs of this host, refreshed every interval: memory and mappings\n"
	      "from memvirt.ko next to the KVM page faults of the interval (eBPF).\n"
	      "\n"
	      "Options:\n"
	      " -i, --interval <sec>   refresh every <sec> seconds (default 2)\n"
	      " -d, --duration <sec>   stop after <sec> seconds (default: at ^C)\n"
	      " -s, --sort <key>       faults (default), memory, overhead or id\n"
	      "     --batch            print each interval after the last, no\n"
	      "                        screen clearing (default when not a terminal)\n"
	      "     --no-faults        no BPF probes: memory columns only\n"
	      MV_COMMON_HELP
	      "\n"
	      "Columns:\n"
	      " ID, PID, VCPUS  the VM (\"<pid>-<fd>\"), its VMM, vCPUs online\n"
	      " MEMORY          guest memory in memslots\n"
	      " MAPPED, HUGE    guest memory KVM maps (EPT/NPT), the share mapped\n"
	      "                 by 2M and 1G pages\n"
	      " PGTABLES        KVM's page-table pages for the VM\n"
	      " OVERHEAD        all host memory KVM spends on the VM's bookkeeping\n"
	      " FAULTS/s        KVM page faults a second in the interval\n"
	      " PAGEIN%         of them, those that faulted host memory in\n"
	      " P50, P99        latency of KVM's fault handler\n"
	      "\n"
	      "The heading ends with the faults the probes could not count in the\n"
	      "interval (\"lost: N (reason N, ...)\"; n/a: this kernel does not say).\n"
	      "With --json, one JSON document per interval and line (\"faults_lost\":\n"
	      "{reason: N or null}). Needs root and memvirt.ko loaded; the fault\n"
	      "columns need BPF with BTF for kvm.\n",
	      stdout);
}

static int collect(const struct mv_vm *vm, void *arg)
{
	struct top *t = arg;

	if (t->nr == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct top_row *r = realloc(t->rows, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		t->rows = r;
		t->cap = cap;
	}
	memset(&t->rows[t->nr], 0, sizeof(t->rows[t->nr]));
	t->rows[t->nr++].vm = *vm;
	return 0;
}

static uint64_t vm_val(const struct top_row *r, int attr)
{
	return mv_vm_has(&r->vm, attr) ? r->vm.val[attr] : 0;
}

static enum sort_key sort_by;

static int cmp_rows(const void *pa, const void *pb)
{
	const struct top_row *a = pa, *b = pb;
	uint64_t x = 0, y = 0;

	switch (sort_by) {
	case SORT_FAULTS:
		x = a->f.faults;
		y = b->f.faults;
		break;
	case SORT_MEMORY:
		x = vm_val(a, MEMVIRT_A_VM_MEM_BYTES);
		y = vm_val(b, MEMVIRT_A_VM_MEM_BYTES);
		break;
	case SORT_OVERHEAD:
		x = vm_val(a, MEMVIRT_A_VM_OVERHEAD_BYTES);
		y = vm_val(b, MEMVIRT_A_VM_OVERHEAD_BYTES);
		break;
	case SORT_ID:
		break;
	}
	if (x != y)
		return x < y ? 1 : -1;		/* largest first */
	return strcmp(a->vm.id, b->vm.id);
}

/* One interval's table; the fault cells "-" without probes or samples. */
static int print_table(const struct top *t, double secs)
{
	static const char *const fcols[] = { FAULT_COLS };
	struct libscols_table *tb = mv_table_new(t->o, "vms");
	int err = -ENOMEM;
	size_t i, c;

	if (!tb)
		return -ENOMEM;
	if (!mv_table_col(tb, "ID", 8, 0, MV_FMT_STR) ||
	    !mv_table_col(tb, "COMM", 10, 0, MV_FMT_STR))
		goto out;
	for (c = 0; c < ARRAY_SIZE(vm_cols); c++)
		if (!mv_table_col(tb, vm_cols[c].name, 6, 0, vm_cols[c].fmt))
			goto out;
	for (c = 0; c < ARRAY_SIZE(fcols); c++)
		if (!mv_table_col(tb, fcols[c], 6, 0, MV_FMT_NUM))
			goto out;
	for (i = 0; i < t->nr; i++) {
		const struct top_row *r = &t->rows[i];
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		char buf[4][32];
		bool f = r->has_faults;

		if (!ln)
			goto out;
		err = mv_cell_str(ln, 0, r->vm.id, t->o) ?:
		      mv_cell_str(ln, 1, r->vm.comm, t->o);
		for (c = 0; c < ARRAY_SIZE(vm_cols) && !err; c++)
			err = mv_cell_value(ln, 2 + c, vm_cols[c].fmt,
					    mv_vm_has(&r->vm, vm_cols[c].attr),
					    r->vm.val[vm_cols[c].attr], t->o);
		if (err)
			goto out;
		if (f)
			mv_fmt_rate(buf[0], sizeof(buf[0]), r->f.faults, secs);
		if (f && r->f.faults && t->faults)
			snprintf(buf[1], sizeof(buf[1]), "%.1f",
				 100.0 * r->f.pagein / r->f.faults);
		mv_fmt_ns(buf[2], sizeof(buf[2]), f ? r->f.p50_ns : 0);
		mv_fmt_ns(buf[3], sizeof(buf[3]), f ? r->f.p99_ns : 0);
		c = 2 + ARRAY_SIZE(vm_cols);
		err = mv_cell_str(ln, c, f ? buf[0] : t->faults ? "0" : NULL, t->o) ?:
		      mv_cell_str(ln, c + 1, f && r->f.faults ? buf[1] : NULL, t->o) ?:
		      mv_cell_str(ln, c + 2, f && r->f.samples ? buf[2] : NULL, t->o) ?:
		      mv_cell_str(ln, c + 3, f && r->f.samples ? buf[3] : NULL, t->o);
		if (err)
			goto out;
	}
	err = mv_table_print(tb);
out:
	scols_unref_table(tb);
	return err;
}

static int add_double(struct json_object *obj, const char *key, bool present, double v)
{
	return mv_json_add(obj, key, present ? json_object_new_double(v) : NULL);
}

/* "faults_lost": the interval's losses by reason, null where n/a. */
static int add_losses(struct json_object *doc, const struct top *t)
{
	struct json_object *lost;
	struct mv_fault_losses l;
	int err = 0;

	if (!t->faults)
		return 0;
	lost = json_object_new_object();
	if (!lost)
		return -ENOMEM;
	mv_faults_losses(t->faults, false, &l);
	for (int i = 0; i < MV_LOST_NR && !err; i++) {
		if (l.state[i] == MV_LOSS_OFF)
			continue;
		err = mv_json_add(lost, mv_loss_desc[i].key, l.state[i] == MV_LOSS_OK ?
				  json_object_new_int64(l.n[i]) : NULL);
	}
	if (err) {
		json_object_put(lost);
		return err;
	}
	return mv_json_add(doc, "faults_lost", lost);
}

/* One interval as one line of JSON. */
static int print_json(const struct top *t, double secs, time_t now)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *vms = json_object_new_array();
	int err;
	size_t i, c;

	if (!doc || !vms) {
		json_object_put(doc);
		json_object_put(vms);
		return -ENOMEM;
	}
	err = mv_json_add(doc, "time", json_object_new_int64(now)) ?:
	      add_double(doc, "interval", true, secs) ?:
	      mv_json_add(doc, "faults_attach", t->faults ?
			  json_object_new_string(mv_faults_method(t->faults)) : NULL) ?:
	      add_losses(doc, t);
	if (err) {
		json_object_put(vms);
		goto out;
	}
	err = mv_json_add(doc, "vms", vms);
	for (i = 0; i < t->nr && !err; i++) {
		const struct top_row *r = &t->rows[i];
		struct json_object *v = json_object_new_object();
		bool f = r->has_faults, n = f || t->faults;

		if (!v || json_object_array_add(vms, v)) {
			json_object_put(v);
			err = -ENOMEM;
			break;
		}
		err = mv_json_add(v, "id", json_object_new_string(r->vm.id)) ?:
		      mv_json_add(v, "comm", json_object_new_string(r->vm.comm));
		for (c = 0; c < ARRAY_SIZE(vm_cols) && !err; c++)
			err = mv_json_add_value(v, vm_cols[c].key, vm_cols[c].fmt,
						mv_vm_has(&r->vm, vm_cols[c].attr),
						r->vm.val[vm_cols[c].attr]);
		if (err)
			break;
		err = mv_json_add_value(v, "faults", MV_FMT_NUM, n, r->f.faults) ?:
		      add_double(v, "faults_per_sec", n, r->f.faults / secs) ?:
		      mv_json_add_value(v, "pagein", MV_FMT_NUM, n, r->f.pagein) ?:
		      mv_json_add_value(v, "latency_samples", MV_FMT_NUM, n, r->f.samples) ?:
		      add_double(v, "p50_ns", f && r->f.samples, r->f.p50_ns) ?:
		      add_double(v, "p99_ns", f && r->f.samples, r->f.p99_ns);
	}
	if (!err && puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN)) == EOF)
		err = -EIO;
out:
	json_object_put(doc);
	return err;
}

/* One refresh: the module's VMs, joined with the probes' counts. */
static int refresh(struct top *t, struct mv_nl *nl, double secs)
{
	time_t now = time(NULL);
	size_t i;
	int err;

	t->nr = 0;
	err = mv_nl_vm_dump(nl, collect, t);
	if (err) {
		mv_nl_perror(nl, err, "listing VMs");
		return -1;
	}
	if (t->faults && mv_faults_sample(t->faults)) {
		fprintf(stderr, "memvirt: out of memory\n");
		return -1;
	}
	for (i = 0; i < t->nr && t->faults; i++)
		t->rows[i].has_faults = mv_faults_get(t->faults, t->rows[i].vm.id,
						      &t->rows[i].f);
	sort_by = t->sort;
	qsort(t->rows, t->nr, sizeof(*t->rows), cmp_rows);

	if (t->o->json) {
		err = print_json(t, secs, now);
	} else {
		char ts[16];

		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
		if (t->clear)
			fputs("\033[H\033[2J", stdout);
		else if (t->frames && !t->o->noheadings)
			putchar('\n');
		if (!t->o->noheadings) {
			struct mv_fault_losses l;
			char lost[384] = "";

			if (t->faults) {
				mv_faults_losses(t->faults, false, &l);
				strcpy(lost, ", lost: ");
				mv_fmt_losses(lost + strlen(lost), sizeof(lost) - strlen(lost), &l,
					      true);
			}
			uint64_t mem = 0, ovh = 0, no_fd = 0;
			char *mem_s, *ovh_s;
			size_t i;

			for (i = 0; i < t->nr; i++) {
				const struct mv_vm *vm = &t->rows[i].vm;

				mem += vm->val[MEMVIRT_A_VM_MEM_BYTES];
				ovh += vm->val[MEMVIRT_A_VM_OVERHEAD_BYTES];
				if (mv_vm_has(vm, MEMVIRT_A_VM_HELD_BY) &&
				    !(vm->val[MEMVIRT_A_VM_HELD_BY] & MEMVIRT_HELD_VM_FD))
					no_fd++;
			}
			mem_s = mv_format(MV_FMT_SIZE, mem, t->o);
			ovh_s = mv_format(MV_FMT_SIZE, ovh, t->o);
			printf("memvirt top - %s, %zu VM%s (%" PRIu64 " held by no VM fd), "
			       "guest memory %s, KVM overhead %s, %.1f s interval, faults: %s%s\n",
			       ts, t->nr, t->nr == 1 ? "" : "s", no_fd,
			       mem_s ?: "?", ovh_s ?: "?", secs,
			       t->faults ? mv_faults_method(t->faults) : "off", lost);
			free(mem_s);
			free(ovh_s);
		}
		err = print_table(t, secs);
	}
	t->frames++;
	if (t->faults)
		mv_faults_advance(t->faults);
	if (err) {
		fprintf(stderr, "memvirt: cannot print: %s\n", strerror(-err));
		return -1;
	}
	return fflush(stdout) ? -1 : 0;
}

int mv_cmd_top(int argc, char **argv, struct mv_opts *o)
{
	enum { OPT_BATCH = 256, OPT_NO_FAULTS };
	static const struct option longopts[] = {
		MV_COMMON_LONGOPTS,
		{ "interval",	required_argument,	NULL, 'i' },
		{ "duration",	required_argument,	NULL, 'd' },
		{ "sort",	required_argument,	NULL, 's' },
		{ "batch",	no_argument,		NULL, OPT_BATCH },
		{ "no-faults",	no_argument,		NULL, OPT_NO_FAULTS },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct top t = { .o = o, .interval = 2, .sort = SORT_FAULTS };
	bool no_faults = false;
	struct mv_nl *nl;
	double start, last, end;
	int c, ret = MV_EXIT_FAILURE;
	size_t k;

	while ((c = getopt_long(argc, argv, MV_COMMON_SHORTOPTS "i:d:s:", longopts,
				NULL)) != -1) {
		if (mv_common_opt(c, o))
			continue;
		switch (c) {
		case 'i':
			if (mv_parse_seconds(optarg, 0.1, MAX_INTERVAL, &t.interval))
				return mv_usage_error("top", "invalid interval '%s': expected "
						      "0.1..%.0f seconds", optarg, MAX_INTERVAL);
			continue;
		case 'd':
			if (mv_parse_seconds(optarg, 0.1, MAX_INTERVAL * 24 * 365, &t.duration))
				return mv_usage_error("top", "invalid duration '%s'", optarg);
			continue;
		case 's':
			for (k = 0; k < ARRAY_SIZE(sort_names); k++)
				if (!strcmp(optarg, sort_names[k]))
					break;
			if (k == ARRAY_SIZE(sort_names))
				return mv_usage_error("top", "unknown sort key '%s': expected "
						      "faults, memory, overhead or id", optarg);
			t.sort = k;
			continue;
		case OPT_BATCH:
			t.batch = true;
			continue;
		case OPT_NO_FAULTS:
			no_faults = true;
			continue;
		case 'h':
			top_usage();
			return MV_EXIT_OK;
		}
		fputs("Try 'memvirt top --help' for more information.\n", stderr);
		return MV_EXIT_USAGE;
	}
	if (optind < argc)
		return mv_usage_error("top", "unexpected argument '%s'", argv[optind]);
	if (!mv_opts_valid(o))
		return mv_usage_error("top", "--json and --raw are mutually exclusive");
	t.clear = !t.batch && !o->json && !o->raw && isatty(STDOUT_FILENO);

	nl = mv_nl_open();
	if (!nl)
		return MV_EXIT_FAILURE;
	if (!no_faults) {
		t.faults = mv_faults_start();
		if (!t.faults)
			fprintf(stderr, "memvirt: top: no fault columns (the probes did not "
				"attach; --no-faults hides this)\n");
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	start = last = mv_now();
	end = t.duration ? start + t.duration : 0;
	while (!stop) {
		double next = last + t.interval, now;

		if (end && next > end)
			next = end;
		mv_sleep_until(next, &stop);
		now = mv_now();
		if (now - last < 1e-3)
			break;
		if (refresh(&t, nl, now - last))
			goto out;
		last = now;
		if (end && now >= end - 1e-3)
			break;
	}
	ret = MV_EXIT_OK;
out:
	mv_faults_stop(t.faults);
	mv_nl_close(nl);
	free(t.rows);
	return ret;
}
