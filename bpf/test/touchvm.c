// SPDX-License-Identifier: GPL-2.0
/*
 * touchvm - a minimal VMM for testing the fault tracker.
 *
 *   touchvm [-s MB] [-H] [-r ROUNDS] [-m MODE] [-n PAGES] [-p STRIDE] [-M]
 *
 * One data memslot of MB MiB at GPA 2 MiB (anonymous memory; -H asks for THP),
 * one code page at GPA 0x1000. vCPU 0 runs in 32-bit protected mode, paging
 * off, a loop that touches PAGES addresses STRIDE bytes apart from the slot's
 * start, then hlt. MODE: w (writes), r (reads), rw (a read pass, then a write
 * pass). -M first touches PAGES pages of an unbacked GPA (0xd0000000) once:
 * MMIO exits. Prints "vm <pid>-<fd>" and, per pass, the pass and its pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define CODE_GPA	0x1000
#define DATA_GPA	0x200000	/* 2M aligned like the HVA: huge pages possible */
#define MMIO_GPA	0xd0000000u

static void die(const char *what)
{
	fprintf(stderr, "touchvm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int vmfd, vcpufd;
static struct kvm_run *run;

static void seg(struct kvm_segment *s, int code)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = code ? 8 : 16;
	s->type = code ? 11 : 3;
	s->present = 1;
	s->s = 1;
	s->db = 1;
	s->g = 1;
}

static int run_loop(uint64_t code_off, uint32_t start, uint32_t count, uint32_t stride)
{
	struct kvm_regs regs = { 0 };
	int mmio = 0;

	regs.rip = CODE_GPA + code_off;
	regs.rsi = start;
	regs.rcx = count;
	regs.rdx = stride;
	regs.rflags = 2;
	if (ioctl(vcpufd, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	for (;;) {
		if (ioctl(vcpufd, KVM_RUN, 0))
			die("KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			return mmio;
		case KVM_EXIT_MMIO:
			mmio++;
			continue;
		default:
			fprintf(stderr, "touchvm: unexpected exit %u\n", run->exit_reason);
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	/* write: mov [esi],al; add esi,edx; loop; hlt   read: mov al,[esi]; ... */
	static const uint8_t code[] = {
		0x88, 0x06, 0x01, 0xd6, 0xe2, 0xfa, 0xf4, 0x90,
		0x8a, 0x06, 0x01, 0xd6, 0xe2, 0xfa, 0xf4, 0x90,
	};
	unsigned long mb = 64, rounds = 1, pages = 1000, stride = 4096, mmio = 0;
	const char *mode = "w";
	int kvm, c, thp = 0, mmap_size;
	struct kvm_userspace_memory_region r;
	struct kvm_sregs sregs;
	void *code_mem, *data;

	while ((c = getopt(argc, argv, "s:Hr:m:n:p:M:")) != -1) {
		switch (c) {
		case 's': mb = strtoul(optarg, NULL, 0); break;
		case 'H': thp = 1; break;
		case 'r': rounds = strtoul(optarg, NULL, 0); break;
		case 'm': mode = optarg; break;
		case 'n': pages = strtoul(optarg, NULL, 0); break;
		case 'p': stride = strtoul(optarg, NULL, 0); break;
		case 'M': mmio = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: touchvm [-s MB] [-H] [-r ROUNDS] [-m w|r|rw] [-n PAGES] [-p STRIDE] [-M MMIO_PAGES]\n");
			return 2;
		}
	}
	if ((pages - 1) * stride >= mb << 20) {
		fprintf(stderr, "touchvm: %lu pages at stride %lu do not fit in %lu MiB\n",
			pages, stride, mb);
		return 2;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vmfd < 0)
		die("KVM_CREATE_VM");
	code_mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (code_mem == MAP_FAILED)
		die("mmap code");
	memcpy(code_mem, code, sizeof(code));
	r = (struct kvm_userspace_memory_region){ .slot = 0, .guest_phys_addr = CODE_GPA,
		.memory_size = 4096, .userspace_addr = (uintptr_t)code_mem };
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION code");
	/* 2M-aligned data for THP */
	data = mmap(NULL, (mb << 20) + (2 << 20), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (data == MAP_FAILED)
		die("mmap data");
	data = (void *)(((uintptr_t)data + (2 << 20) - 1) & ~((uintptr_t)(2 << 20) - 1));
	madvise(data, mb << 20, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	r = (struct kvm_userspace_memory_region){ .slot = 1, .guest_phys_addr = DATA_GPA,
		.memory_size = mb << 20, .userspace_addr = (uintptr_t)data };
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION data");
	vcpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	if (vcpufd < 0)
		die("KVM_CREATE_VCPU");
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpufd, 0);
	if (run == MAP_FAILED)
		die("mmap run");
	if (ioctl(vcpufd, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	seg(&sregs.cs, 1);
	seg(&sregs.ds, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 |= 1;
	if (ioctl(vcpufd, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");

	printf("vm %d-%d\n", getpid(), vmfd);
	fflush(stdout);
	if (mmio) {
		int n = run_loop(0, MMIO_GPA, mmio, 4096);

		printf("mmio %lu exits %d\n", mmio, n);
	}
	for (unsigned long i = 0; i < rounds; i++) {
		if (strchr(mode, 'r'))
			run_loop(8, DATA_GPA, pages, stride);
		if (strchr(mode, 'w'))
			run_loop(0, DATA_GPA, pages, stride);
	}
	printf("done %lu pages x %lu rounds mode %s\n", pages, rounds, mode);
	fflush(stdout);
	if (getenv("TOUCHVM_WAIT"))
		pause();
	return 0;
}
