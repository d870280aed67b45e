// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt-vmm: create test VMs with plain KVM ioctls and hold them.
 *
 *   memvirt-vmm [--vcpus N] [--vms N] [--slot SPEC]... [--touch SPEC]...
 *               [--no-stdin] [--time] [--id NAME] [--uuid UUID] [--comm COMM]
 *
 *   --slot gpa=0x100000,size=64M[,backing=anon|thp|nothp|memfd|hugetlb]
 *          [,flags=ro|dirty|ro+dirty][,node=N]
 *   --touch SLOT,OFFSET,COUNT,STRIDE,r|w   SLOT counts --slot options from 0
 *
 * Prints "vm <id>" per VM and "ready", then reads commands from stdin:
 *   touch SPEC [vm=ID]   run a touch on every VM (or one), answers ok
 *   stats                "vm <id> pages_4k=.. pages_2m=.. pages_1g=.." per VM
 *   hold vcpu-fd|mapping [vm=ID]
 *                        keep the VM (or every VM) alive only by its vCPU fds
 *                        (the VM fd closed) or only by the vCPUs' kvm_run
 *                        mappings (every KVM fd closed): what a VMM that
 *                        leaks a VM leaves; touches fail afterwards
 *   quit                 exit (so do EOF and SIGTERM)
 * Every command is answered by "ok" or "error: <reason>".
 * With --no-stdin it ignores stdin and waits for a signal instead.
 * With --time, each --touch prints "time vm=<id> touch=<spec> ns=<N>": the
 * CLOCK_MONOTONIC time of its KVM_RUN loop alone (for benchmarks).
 * --comm sets its command name (prctl(PR_SET_NAME), at most 15 bytes, any
 * bytes: a test can give it one that is not UTF-8).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

struct slot_spec {
	uint64_t gpa, size;
	enum vmm_backing backing;
	uint32_t flags;
	int node;		/* -1: no binding */
};

static struct slot_spec slots[VMM_MAX_SLOTS];
static int nr_slots;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt-vmm [--vcpus N] [--vms N] [--slot SPEC]... [--touch SPEC]... [--no-stdin]\n"
		"                   [--time] [--id NAME] [--uuid UUID] [--comm COMM]\n"
		"  --slot gpa=ADDR,size=SIZE[,backing=anon|thp|nothp|memfd|hugetlb][,flags=ro|dirty|ro+dirty][,node=N]\n"
		"  --touch SLOT,OFFSET,COUNT,STRIDE,r|w   (SLOT: index of --slot, from 0)\n"
		"  --time   print the run time of each --touch: time vm=ID touch=SPEC ns=N\n"
		"  --id, --uuid   name the VM, as Firecracker's --id and QEMU's -uuid do\n"
		"                 (only on the command line, for memvirt to read)\n"
		"  --comm COMM    set the command name (prctl PR_SET_NAME, 15 bytes)\n"
		"stdin commands: touch SPEC [vm=ID], stats, quit\n");
}

static int parse_flags(char *v, uint32_t *flags)
{
	char *tok, *save;

	*flags = 0;
	for (tok = strtok_r(v, "|+:", &save); tok; tok = strtok_r(NULL, "|+:", &save)) {
		if (!strcmp(tok, "ro") || !strcmp(tok, "readonly"))
			*flags |= VMM_SLOT_READONLY;
		else if (!strcmp(tok, "dirty") || !strcmp(tok, "dirty-log"))
			*flags |= VMM_SLOT_DIRTY_LOG;
		else if (strcmp(tok, "none") && strcmp(tok, "0"))
			return -1;
	}
	return 0;
}

static int parse_slot(char *arg, struct slot_spec *s)
{
	char *tok, *save, *v;
	bool have_gpa = false, have_size = false;

	memset(s, 0, sizeof(*s));
	s->backing = VMM_BACKING_ANON;
	s->node = -1;
	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		v = strchr(tok, '=');
		if (!v)
			return -1;
		*v++ = '\0';
		if (!strcmp(tok, "gpa")) {
			if (vmm_parse_size(v, &s->gpa))
				return -1;
			have_gpa = true;
		} else if (!strcmp(tok, "size")) {
			if (vmm_parse_size(v, &s->size))
				return -1;
			have_size = true;
		} else if (!strcmp(tok, "backing")) {
			if (vmm_parse_backing(v, &s->backing))
				return -1;
		} else if (!strcmp(tok, "flags")) {
			if (parse_flags(v, &s->flags))
				return -1;
		} else if (!strcmp(tok, "node")) {
			uint64_t n;

			if (vmm_parse_size(v, &n) || n > 255)
				return -1;
			s->node = n;
		} else {
			return -1;
		}
	}
	return have_gpa && have_size ? 0 : -1;
}

/* "SLOT,OFFSET,COUNT,STRIDE,r|w"; SLOT is a --slot index. */
static int parse_touch(const char *arg, struct vmm_touch *t)
{
	char buf[256], *f[5], *save;
	uint64_t v;
	int n = 0;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	for (f[n] = strtok_r(buf, ",", &save); f[n] && n < 5; f[n] = strtok_r(NULL, ",", &save))
		if (++n == 5)
			break;
	if (n != 5 || strtok_r(NULL, ",", &save))
		return -1;
	if (vmm_parse_size(f[0], &v) || v >= (uint64_t)nr_slots)
		return -1;
	t->slot = (int)v + 1;	/* vm->slot[0] is the code slot */
	if (vmm_parse_size(f[1], &t->offset))
		return -1;
	if (vmm_parse_size(f[2], &v) || !v || v > UINT32_MAX)
		return -1;
	t->count = v;
	if (vmm_parse_size(f[3], &v) || v > UINT32_MAX)
		return -1;
	t->stride = v;
	if (!strcmp(f[4], "w"))
		t->write = true;
	else if (!strcmp(f[4], "r"))
		t->write = false;
	else
		return -1;
	return 0;
}

static void print_stats(struct vmm_vm *vm)
{
	static const char *const names[] = { "pages_4k", "pages_2m", "pages_1g" };
	unsigned int i;
	uint64_t v;

	printf("vm %s", vm->id);
	for (i = 0; i < 3; i++) {
		if (vmm_debugfs_stat(vm->id, names[i], &v))
			printf(" %s=?", names[i]);
		else
			printf(" %s=%" PRIu64, names[i], v);
	}
	printf("\n");
}

/* "hold vcpu-fd|mapping [vm=ID]": close what no longer holds the VM. */
static int hold(struct vmm_vm **vms, int nr_vms, const char *how, const char *sel)
{
	bool mapping = how && !strcmp(how, "mapping");
	int i, j, matched = 0;

	if (!how || (!mapping && strcmp(how, "vcpu-fd")) || (sel && strncmp(sel, "vm=", 3))) {
		printf("error: hold wants vcpu-fd|mapping [vm=ID]\n");
		return 0;
	}
	for (i = 0; i < nr_vms; i++) {
		if (sel && strcmp(sel + 3, vms[i]->id))
			continue;
		matched++;
		if (vms[i]->vm_fd >= 0)
			close(vms[i]->vm_fd);
		vms[i]->vm_fd = -1;
		for (j = 0; mapping && j < vms[i]->nr_vcpus; j++) {
			if (vms[i]->vcpu_fd[j] >= 0)
				close(vms[i]->vcpu_fd[j]);
			vms[i]->vcpu_fd[j] = -1;
		}
	}
	if (mapping)
		vmm_kvm_close();
	if (!matched)
		printf("error: no vm %s\n", sel ? sel + 3 : "");
	else
		printf("ok\n");
	return 0;
}

static int command(char *line, struct vmm_vm **vms, int nr_vms)
{
	char *cmd, *arg, *sel, *save;
	struct vmm_touch t;
	int i, matched = 0;

	line[strcspn(line, "\r\n")] = '\0';
	cmd = strtok_r(line, " \t", &save);
	if (!cmd)
		return 0;
	if (!strcmp(cmd, "quit") || !strcmp(cmd, "exit")) {
		printf("ok\n");
		return 1;
	}
	if (!strcmp(cmd, "stats")) {
		for (i = 0; i < nr_vms; i++)
			print_stats(vms[i]);
		printf("ok\n");
		return 0;
	}
	if (!strcmp(cmd, "hold")) {
		arg = strtok_r(NULL, " \t", &save);
		sel = strtok_r(NULL, " \t", &save);
		return hold(vms, nr_vms, arg, sel);
	}
	if (strcmp(cmd, "touch")) {
		printf("error: unknown command '%s'\n", cmd);
		return 0;
	}
	arg = strtok_r(NULL, " \t", &save);
	sel = strtok_r(NULL, " \t", &save);
	if (!arg || parse_touch(arg, &t)) {
		printf("error: touch wants SLOT,OFFSET,COUNT,STRIDE,r|w\n");
		return 0;
	}
	if (sel && strncmp(sel, "vm=", 3)) {
		printf("error: unexpected '%s'\n", sel);
		return 0;
	}
	for (i = 0; i < nr_vms; i++) {
		if (sel && strcmp(sel + 3, vms[i]->id))
			continue;
		matched++;
		if (vmm_touch(vms[i], &t)) {
			printf("error: vm %s: %s\n", vms[i]->id, vmm_error());
			return 0;
		}
	}
	if (!matched)
		printf("error: no vm %s\n", sel + 3);
	else
		printf("ok\n");
	return 0;
}

/* What the command line asks for (the slots are in slots[]). */
struct config {
	const char *touches[64];
	int nr_touches, nr_vcpus, nr_vms;
	bool no_stdin, timed;
};

/* Parses the options into @c; -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct config *c)
{
	static const struct option opts[] = {
		{ "vcpus", required_argument, NULL, 'c' },
		{ "vms", required_argument, NULL, 'n' },
		{ "slot", required_argument, NULL, 's' },
		{ "touch", required_argument, NULL, 't' },
		{ "no-stdin", no_argument, NULL, 'N' },
		{ "time", no_argument, NULL, 'T' },
		{ "comm", required_argument, NULL, 'C' },
		/* Ignored; memvirt reads them from /proc/PID/cmdline. */
		{ "id", required_argument, NULL, 'I' },
		{ "uuid", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int o;

	*c = (struct config){ .nr_vcpus = 1, .nr_vms = 1 };
	while ((o = getopt_long(argc, argv, "c:n:s:t:NTh", opts, NULL)) != -1) {
		switch (o) {
		case 'I':
		case 'U':
			break;
		case 'C':
			if (strlen(optarg) > 15 || prctl(PR_SET_NAME, optarg)) {
				fprintf(stderr, "memvirt-vmm: bad --comm '%s' (at most 15 bytes)\n",
					optarg);
				return 2;
			}
			break;
		case 'c':
			c->nr_vcpus = atoi(optarg);
			break;
		case 'n':
			c->nr_vms = atoi(optarg);
			break;
		case 's':
			if (nr_slots >= VMM_MAX_SLOTS - 1 || parse_slot(optarg, &slots[nr_slots])) {
				fprintf(stderr, "memvirt-vmm: bad --slot '%s'\n", optarg);
				return 2;
			}
			nr_slots++;
			break;
		case 't':
			if (c->nr_touches >= (int)(sizeof(c->touches) / sizeof(c->touches[0]))) {
				fprintf(stderr, "memvirt-vmm: too many --touch\n");
				return 2;
			}
			c->touches[c->nr_touches++] = optarg;
			break;
		case 'N':
			c->no_stdin = true;
			break;
		case 'T':
			c->timed = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || c->nr_vms < 1 || c->nr_vcpus < 1) {
		usage(stderr);
		return 2;
	}
	/* Touch specs refer to slots, so check them once all are known. */
	for (int j = 0; j < c->nr_touches; j++) {
		struct vmm_touch t;

		if (parse_touch(c->touches[j], &t)) {
			fprintf(stderr, "memvirt-vmm: bad --touch '%s'\n", c->touches[j]);
			return 2;
		}
	}
	return -1;
}

/* One VM as @c asks: its vCPUs, the slots, the touches (timed with --time). */
static struct vmm_vm *make_vm(const struct config *c, int i)
{
	struct vmm_vm *vm = vmm_vm_create(c->nr_vcpus);
	int j;

	if (!vm) {
		fprintf(stderr, "memvirt-vmm: vm %d: %s\n", i, vmm_error());
		return NULL;
	}
	for (j = 0; j < nr_slots; j++) {
		if (vmm_add_slot_node(vm, slots[j].gpa, slots[j].size, slots[j].backing,
				      slots[j].flags, slots[j].node) < 0) {
			fprintf(stderr, "memvirt-vmm: vm %s slot %d: %s\n", vm->id, j,
				vmm_error());
			return NULL;
		}
	}
	for (j = 0; j < c->nr_touches; j++) {
		struct timespec t0, t1;
		struct vmm_touch t;

		parse_touch(c->touches[j], &t);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (vmm_touch(vm, &t)) {
			fprintf(stderr, "memvirt-vmm: vm %s touch '%s': %s\n", vm->id,
				c->touches[j], vmm_error());
			return NULL;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (c->timed)
			printf("time vm=%s touch=%s ns=%lld\n", vm->id, c->touches[j],
			       (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	}
	return vm;
}

int main(int argc, char **argv)
{
	struct vmm_vm **vms;
	struct config c;
	char line[512];
	int i, ret;

	ret = parse_args(argc, argv, &c);
	if (ret >= 0)
		return ret;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	vms = calloc(c.nr_vms, sizeof(*vms));
	if (!vms)
		return 1;
	for (i = 0; i < c.nr_vms; i++) {
		vms[i] = make_vm(&c, i);
		if (!vms[i])
			return 1;
		printf("vm %s\n", vms[i]->id);
	}
	printf("ready\n");

	if (c.no_stdin) {
		for (;;)
			pause();
	}
	while (fgets(line, sizeof(line), stdin)) {
		if (command(line, vms, c.nr_vms))
			break;
	}
	for (i = 0; i < c.nr_vms; i++)
		vmm_vm_destroy(vms[i]);
	free(vms);
	return 0;
}
