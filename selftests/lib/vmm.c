// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny KVM test VMM, see vmm.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "vmm.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB	(21 << 26)
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC	0x0001U
#endif

/* Offsets of the two loops in the code page. */
#define CODE_WRITE_OFF	0x00
#define CODE_READ_OFF	0x10
#define CODE_LOOP_LEN	7	/* bytes up to and including hlt */

static const uint8_t code_write[CODE_LOOP_LEN] = {
	0x88, 0x06,	/* mov [esi], al */
	0x01, 0xd6,	/* add esi, edx */
	0xe2, 0xfa,	/* loop -6 */
	0xf4,		/* hlt */
};

static const uint8_t code_read[CODE_LOOP_LEN] = {
	0x8a, 0x06,	/* mov al, [esi] */
	0x01, 0xd6,	/* add esi, edx */
	0xe2, 0xfa,	/* loop -6 */
	0xf4,		/* hlt */
};

static char err_buf[512];
static int kvm_fd = -1;

const char *vmm_error(void)
{
	return err_buf;
}

int vmm_fail(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

#define fail vmm_fail

static int kvm_open(void)
{
	int ver;

	if (kvm_fd >= 0)
		return 0;
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		return fail("open /dev/kvm: %s", strerror(errno));
	ver = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		close(kvm_fd);
		kvm_fd = -1;
		errno = ENOTSUP;
		return fail("KVM_GET_API_VERSION: %d, want %d", ver, KVM_API_VERSION);
	}
	return 0;
}

void vmm_kvm_close(void)
{
	if (kvm_fd >= 0)
		close(kvm_fd);
	kvm_fd = -1;
}

int vmm_kvm_available(void)
{
	int fd;

	if (kvm_open())
		return -1;
	fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (fd < 0)
		return fail("KVM_CREATE_VM: %s", strerror(errno));
	close(fd);
	return 0;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 1;
	s->s = 1;
	s->l = 0;
	s->g = 1;
}

/* 32-bit protected mode, flat segments, paging off. */
static int vcpu_setup(int vcpu_fd)
{
	struct kvm_sregs sregs;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs))
		return fail("KVM_GET_SREGS: %s", strerror(errno));
	set_seg(&sregs.cs, 0x08, 0xb);	/* code, execute/read, accessed */
	set_seg(&sregs.ds, 0x10, 0x3);	/* data, read/write, accessed */
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.cr0 = 0x11;		/* PE | ET; caches on, paging off */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs))
		return fail("KVM_SET_SREGS: %s", strerror(errno));
	return 0;
}

#define VMM_MPOL_BIND	2	/* MPOL_BIND, <linux/mempolicy.h> */

/* Binds the slot's memory to s->node before anything is touched. */
static int bind_node(struct vmm_slot *s)
{
	unsigned long mask[4] = { 0 };

	if (s->node < 0)
		return 0;
	if (s->node >= (int)(8 * sizeof(mask))) {
		errno = EINVAL;
		return fail("node %d: at most %zu", s->node, 8 * sizeof(mask) - 1);
	}
	mask[s->node / (8 * sizeof(long))] = 1UL << (s->node % (8 * sizeof(long)));
	/* maxnode counts one more than the bits the kernel reads. */
	if (syscall(SYS_mbind, s->hva, (unsigned long)s->size, VMM_MPOL_BIND,
		    mask, 8 * sizeof(mask) + 1, 0))
		return fail("mbind to node %d: %s", s->node, strerror(errno));
	return 0;
}

static int map_backing(struct vmm_slot *s)
{
	int prot = PROT_READ | PROT_WRITE;
	uint8_t *p;

	s->memfd = -1;
	switch (s->backing) {
	case VMM_BACKING_ANON:
	case VMM_BACKING_THP:
	case VMM_BACKING_NOTHP:
		/*
		 * Over-allocate so hva can be aligned like the GPA modulo 2M:
		 * KVM maps 2M only where both agree.
		 */
		s->map_len = s->size + SZ_2M;
		p = mmap(NULL, s->map_len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return fail("mmap %" PRIu64 " bytes: %s", s->size, strerror(errno));
		s->map = p;
		p += ((s->gpa & (SZ_2M - 1)) - ((uintptr_t)p & (SZ_2M - 1))) & (SZ_2M - 1);
		s->hva = p;
		if (s->backing == VMM_BACKING_THP &&
		    madvise(p, s->size, MADV_HUGEPAGE))
			return fail("madvise(MADV_HUGEPAGE): %s", strerror(errno));
		if (s->backing == VMM_BACKING_NOTHP &&
		    madvise(p, s->size, MADV_NOHUGEPAGE))
			return fail("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
		return bind_node(s);
	case VMM_BACKING_MEMFD:
		s->memfd = memfd_create("memvirt-vmm", MFD_CLOEXEC);
		if (s->memfd < 0)
			return fail("memfd_create: %s", strerror(errno));
		if (ftruncate(s->memfd, s->size))
			return fail("ftruncate memfd: %s", strerror(errno));
		s->map_len = s->size;
		p = mmap(NULL, s->map_len, prot, MAP_SHARED, s->memfd, 0);
		if (p == MAP_FAILED)
			return fail("mmap memfd: %s", strerror(errno));
		s->map = s->hva = p;
		return bind_node(s);
	case VMM_BACKING_HUGETLB:
		if ((s->size | s->gpa) & (SZ_2M - 1)) {
			errno = EINVAL;
			return fail("hugetlb slot needs 2M-aligned gpa and size");
		}
		s->map_len = s->size;
		p = mmap(NULL, s->map_len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
		if (p == MAP_FAILED)
			return fail("mmap MAP_HUGETLB %" PRIu64 " bytes: %s (reserve pages in /proc/sys/vm/nr_hugepages)",
				    s->size, strerror(errno));
		s->map = s->hva = p;
		return bind_node(s);
	}
	errno = EINVAL;
	return fail("unknown backing %d", s->backing);
}

static void unmap_backing(struct vmm_slot *s)
{
	if (s->map)
		munmap(s->map, s->map_len);
	if (s->memfd >= 0)
		close(s->memfd);
	s->map = s->hva = NULL;
	s->memfd = -1;
}

static int slot_install(struct vmm_vm *vm, struct vmm_slot *s)
{
	struct kvm_userspace_memory_region r = {
		.slot = s->id,
		.flags = s->flags,
		.guest_phys_addr = s->gpa,
		.memory_size = s->size,
		.userspace_addr = (uintptr_t)s->hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		return fail("KVM_SET_USER_MEMORY_REGION slot %u gpa 0x%" PRIx64 " size 0x%" PRIx64 " flags 0x%x: %s",
			    s->id, s->gpa, s->size, s->flags, strerror(errno));
	return 0;
}

static int add_slot(struct vmm_vm *vm, uint64_t gpa, uint64_t size,
		    enum vmm_backing backing, uint32_t flags, bool is_code,
		    int node)
{
	struct vmm_slot *s;
	int i;

	if (vm->nr_slots >= VMM_MAX_SLOTS) {
		errno = ENOSPC;
		return fail("too many slots (max %d)", VMM_MAX_SLOTS);
	}
	if (!size || (gpa | size) & (SZ_4K - 1) || gpa + size > VMM_GPA_LIMIT ||
	    gpa + size < gpa) {
		errno = EINVAL;
		return fail("slot gpa 0x%" PRIx64 " size 0x%" PRIx64 ": need 4K-aligned, non-empty, below 3 GiB",
			    gpa, size);
	}
	if (flags & ~(VMM_SLOT_DIRTY_LOG | VMM_SLOT_READONLY)) {
		errno = EINVAL;
		return fail("unknown slot flags 0x%x", flags);
	}
	if ((flags & VMM_SLOT_READONLY) &&
	    ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
		errno = ENOTSUP;
		return fail("KVM_CAP_READONLY_MEM not supported");
	}
	i = vm->nr_slots;
	s = &vm->slot[i];
	memset(s, 0, sizeof(*s));
	s->id = i;
	s->gpa = gpa;
	s->size = size;
	s->flags = flags;
	s->backing = backing;
	s->is_code = is_code;
	s->node = node;
	if (map_backing(s))
		goto err;
	if (is_code) {
		memcpy((uint8_t *)s->hva + CODE_WRITE_OFF, code_write, CODE_LOOP_LEN);
		memcpy((uint8_t *)s->hva + CODE_READ_OFF, code_read, CODE_LOOP_LEN);
	}
	if (slot_install(vm, s))
		goto err;
	vm->nr_slots++;
	return i;
err:
	i = errno;
	unmap_backing(s);
	errno = i;
	return -1;
}

int vmm_add_slot(struct vmm_vm *vm, uint64_t gpa, uint64_t size,
		 enum vmm_backing backing, uint32_t flags)
{
	return add_slot(vm, gpa, size, backing, flags, false, -1);
}

int vmm_add_slot_node(struct vmm_vm *vm, uint64_t gpa, uint64_t size,
		      enum vmm_backing backing, uint32_t flags, int node)
{
	return add_slot(vm, gpa, size, backing, flags, false, node);
}

int vmm_alias_smm(struct vmm_vm *vm, int slot)
{
	const struct vmm_slot *s;
	struct kvm_userspace_memory_region r;

	if (slot < 0 || slot >= vm->nr_slots) {
		errno = EINVAL;
		return fail("no slot %d", slot);
	}
	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE) < 2) {
		errno = ENOTSUP;
		return fail("KVM_CAP_MULTI_ADDRESS_SPACE < 2: no SMM address space");
	}
	s = &vm->slot[slot];
	r = (struct kvm_userspace_memory_region){
		.slot = (1U << 16) | s->id,
		.flags = s->flags,
		.guest_phys_addr = s->gpa,
		.memory_size = s->size,
		.userspace_addr = (uintptr_t)s->hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		return fail("KVM_SET_USER_MEMORY_REGION slot 1:%u: %s", s->id, strerror(errno));
	return 0;
}

struct vmm_vm *vmm_vm_create(int nr_vcpus)
{
	struct vmm_vm *vm;
	int i, sz;

	if (nr_vcpus < 1 || nr_vcpus > VMM_MAX_VCPUS) {
		errno = EINVAL;
		fail("vcpus must be 1..%d", VMM_MAX_VCPUS);
		return NULL;
	}
	if (kvm_open())
		return NULL;
	sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0) {
		fail("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return NULL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		fail("out of memory");
		return NULL;
	}
	vm->run_size = sz;
	vm->pid = getpid();
	vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		fail("KVM_CREATE_VM: %s", strerror(errno));
		free(vm);
		return NULL;
	}
	/* fcntl, not O_CLOEXEC at creation: KVM_CREATE_VM takes no flags. */
	fcntl(vm->vm_fd, F_SETFD, FD_CLOEXEC);
	snprintf(vm->id, sizeof(vm->id), "%d-%d", vm->pid, vm->vm_fd);

	/* Needed on VMX without unrestricted guest; a no-op on SVM. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VMM_TSS_GPA)) {
		fail("KVM_SET_TSS_ADDR: %s", strerror(errno));
		goto err;
	}
	if (add_slot(vm, VMM_CODE_GPA, SZ_4K, VMM_BACKING_NOTHP, 0, true, -1) < 0)
		goto err;

	for (i = 0; i < nr_vcpus; i++) {
		int fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);

		if (fd < 0) {
			fail("KVM_CREATE_VCPU %d: %s", i, strerror(errno));
			goto err;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		vm->vcpu_fd[vm->nr_vcpus++] = fd;
		vm->run[i] = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);
		if (vm->run[i] == MAP_FAILED) {
			vm->run[i] = NULL;
			fail("mmap kvm_run of vCPU %d: %s", i, strerror(errno));
			goto err;
		}
		if (vcpu_setup(fd))
			goto err;
	}
	return vm;
err:
	{
		int saved = errno;

		vmm_vm_destroy(vm);
		errno = saved;
	}
	return NULL;
}

void vmm_vm_destroy(struct vmm_vm *vm)
{
	int i;

	if (!vm)
		return;
	/* The kvm_run mappings pin the vCPU files, and those the VM. */
	for (i = 0; i < vm->nr_vcpus; i++) {
		if (vm->run[i])
			munmap(vm->run[i], vm->run_size);
		close(vm->vcpu_fd[i]);
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	for (i = 0; i < vm->nr_slots; i++)
		unmap_backing(&vm->slot[i]);
	free(vm);
}

uint64_t vmm_mem_bytes(const struct vmm_vm *vm)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < vm->nr_slots; i++)
		sum += vm->slot[i].size;
	return sum;
}

int vmm_touch_gpa(struct vmm_vm *vm, uint64_t gpa, uint32_t count,
		  uint32_t stride, bool write)
{
	uint64_t code = VMM_CODE_GPA + (write ? CODE_WRITE_OFF : CODE_READ_OFF);
	struct kvm_run *run = vm->run[0];
	struct kvm_regs regs;
	int fd = vm->vcpu_fd[0];

	if (!count || gpa + (uint64_t)(count - 1) * stride >= VMM_GPA_LIMIT) {
		errno = EINVAL;
		return fail("touch gpa 0x%" PRIx64 " count %u stride %u: need count > 0 and all accesses below 3 GiB",
			    gpa, count, stride);
	}
	memset(&regs, 0, sizeof(regs));
	regs.rax = 0x5a;
	regs.rsi = gpa;
	regs.rcx = count;
	regs.rdx = stride;
	regs.rip = code;
	regs.rflags = 0x2;
	if (ioctl(fd, KVM_SET_REGS, &regs))
		return fail("KVM_SET_REGS: %s", strerror(errno));

	for (;;) {
		if (ioctl(fd, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return fail("KVM_RUN: %s", strerror(errno));
		}
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			goto halted;
		case KVM_EXIT_MMIO:
			/* No slot there, or a write to a read-only slot. */
			vm->mmio_exits++;
			continue;
		case KVM_EXIT_FAIL_ENTRY:
			errno = EIO;
			return fail("KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx",
				    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		case KVM_EXIT_INTERNAL_ERROR:
			errno = EIO;
			return fail("KVM_EXIT_INTERNAL_ERROR, suberror %u",
				    run->internal.suberror);
		default:
			errno = EIO;
			if (!ioctl(fd, KVM_GET_REGS, &regs))
				return fail("unexpected exit reason %u at rip 0x%llx",
					    run->exit_reason, (unsigned long long)regs.rip);
			return fail("unexpected exit reason %u", run->exit_reason);
		}
	}
halted:
	if (ioctl(fd, KVM_GET_REGS, &regs))
		return fail("KVM_GET_REGS: %s", strerror(errno));
	/* hlt is the last byte; rip points past it, the loop ran out. */
	if (regs.rip != code + CODE_LOOP_LEN || (uint32_t)regs.rcx != 0 ||
	    (uint32_t)regs.rsi != (uint32_t)(gpa + (uint64_t)count * stride)) {
		errno = EIO;
		return fail("guest halted in a wrong state: rip 0x%llx rcx 0x%llx rsi 0x%llx",
			    (unsigned long long)regs.rip, (unsigned long long)regs.rcx,
			    (unsigned long long)regs.rsi);
	}
	return 0;
}

int vmm_touch(struct vmm_vm *vm, const struct vmm_touch *t)
{
	const struct vmm_slot *s;

	if (t->slot < 0 || t->slot >= vm->nr_slots) {
		errno = EINVAL;
		return fail("no slot %d", t->slot);
	}
	s = &vm->slot[t->slot];
	if (t->count == 0 || t->offset >= s->size ||
	    t->offset + (uint64_t)(t->count - 1) * t->stride >= s->size) {
		errno = EINVAL;
		return fail("touch offset 0x%" PRIx64 " count %u stride %u leaves slot %d (size 0x%" PRIx64 ")",
			    t->offset, t->count, t->stride, t->slot, s->size);
	}
	return vmm_touch_gpa(vm, s->gpa + t->offset, t->count, t->stride, t->write);
}

int vmm_debugfs_stat(const char *vm_id, const char *name, uint64_t *val)
{
	char path[256];
	unsigned long long v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s/%s", vm_id, name);
	f = fopen(path, "re");
	if (!f)
		return fail("%s: %s", path, strerror(errno));
	n = fscanf(f, "%llu", &v);
	fclose(f);
	if (n != 1) {
		errno = EIO;
		return fail("%s: not a number", path);
	}
	*val = v;
	return 0;
}

int vmm_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10; end++; break;
	case 'm': case 'M':
		v <<= 20; end++; break;
	case 'g': case 'G':
		v <<= 30; end++; break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static const char *const backing_names[] = {
	[VMM_BACKING_ANON] = "anon",
	[VMM_BACKING_THP] = "thp",
	[VMM_BACKING_NOTHP] = "nothp",
	[VMM_BACKING_MEMFD] = "memfd",
	[VMM_BACKING_HUGETLB] = "hugetlb",
};

int vmm_parse_backing(const char *s, enum vmm_backing *out)
{
	unsigned int i;

	for (i = 0; i < sizeof(backing_names) / sizeof(backing_names[0]); i++) {
		if (!strcmp(s, backing_names[i])) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

const char *vmm_backing_name(enum vmm_backing b)
{
	if ((unsigned int)b < sizeof(backing_names) / sizeof(backing_names[0]))
		return backing_names[b];
	return "?";
}
