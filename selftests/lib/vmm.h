/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny KVM test VMM: plain /dev/kvm ioctls, no guest page tables.
 *
 * A VM gets a code slot (one 4K page at VMM_CODE_GPA) holding two
 * hand-encoded loops, and any number of data slots. vCPU 0 enters 32-bit
 * protected mode directly (flat segments, paging off) and runs one loop per
 * touch:
 *
 *   write: 88 06  mov [esi],al     read: 8a 06  mov al,[esi]
 *          01 d6  add esi,edx            01 d6  add esi,edx
 *          e2 fa  loop  (to start)       e2 fa  loop  (to start)
 *          f4     hlt                    f4     hlt
 *
 * with ESI = first GPA, ECX = count, EDX = stride. Accesses to a GPA without
 * a memslot (or writes to a read-only one) exit with KVM_EXIT_MMIO and are
 * resumed. All GPAs stay below 3 GiB.
 *
 * Errors: functions return -1 (or NULL) and leave a message in vmm_error().
 */
#ifndef MEMVIRT_SELFTESTS_VMM_H
#define MEMVIRT_SELFTESTS_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_CODE_GPA		0x1000ULL	/* code slot, one page */
#define VMM_TSS_GPA		0xbfffd000ULL	/* 3 pages, VMX only, unused */
#define VMM_GPA_LIMIT		0xc0000000ULL	/* 3 GiB */
#define VMM_MAX_SLOTS		32
#define VMM_MAX_VCPUS		64
#define VMM_ID_LEN		32

enum vmm_backing {
	VMM_BACKING_ANON,	/* private anonymous, THP per system policy */
	VMM_BACKING_THP,	/* private anonymous, 2M aligned, MADV_HUGEPAGE */
	VMM_BACKING_NOTHP,	/* private anonymous, MADV_NOHUGEPAGE */
	VMM_BACKING_MEMFD,	/* memfd (shmem), MAP_SHARED */
	VMM_BACKING_HUGETLB,	/* MAP_HUGETLB 2M pages, needs reserved pages */
};

/* Slot flags: the KVM_MEM_* values. */
#define VMM_SLOT_DIRTY_LOG	(1U << 0)	/* KVM_MEM_LOG_DIRTY_PAGES */
#define VMM_SLOT_READONLY	(1U << 1)	/* KVM_MEM_READONLY */

struct vmm_slot {
	uint32_t id;		/* KVM slot id (address space 0) */
	uint64_t gpa;
	uint64_t size;
	uint32_t flags;		/* VMM_SLOT_* == KVM_MEM_* */
	enum vmm_backing backing;
	bool is_code;		/* the VMM's own code page */
	void *hva;		/* userspace_addr given to KVM */
	void *map;		/* what to munmap */
	size_t map_len;
	int memfd;		/* -1 unless VMM_BACKING_MEMFD */
	int node;		/* NUMA node the memory is bound to, or -1 */
};

struct vmm_vm {
	int vm_fd;
	char id[VMM_ID_LEN];	/* "<pid>-<fd>", KVM's debugfs dir name */
	int pid;
	int nr_vcpus;
	int vcpu_fd[VMM_MAX_VCPUS];
	void *run[VMM_MAX_VCPUS];	/* mmapped struct kvm_run */
	size_t run_size;
	int nr_slots;
	struct vmm_slot slot[VMM_MAX_SLOTS];	/* slot[0] is the code slot */
	uint64_t mmio_exits;	/* resumed KVM_EXIT_MMIO, for tests */
};

struct vmm_touch {
	int slot;		/* index into vm->slot[] */
	uint64_t offset;	/* bytes from the slot's GPA */
	uint32_t count;		/* accesses, > 0 */
	uint32_t stride;	/* bytes between accesses */
	bool write;
};

const char *vmm_error(void);
/* Sets what vmm_error() says (for helpers built on this library); -1. */
__attribute__((format(printf, 1, 2)))
int vmm_fail(const char *fmt, ...);

/* 0 if /dev/kvm can create VMs here; otherwise -1 with a reason. */
int vmm_kvm_available(void);
/* Closes the cached /dev/kvm fd (it pins the KVM vendor module). */
void vmm_kvm_close(void);

struct vmm_vm *vmm_vm_create(int nr_vcpus);
void vmm_vm_destroy(struct vmm_vm *vm);

/* Adds a data slot; returns its index into vm->slot[] or -1. */
int vmm_add_slot(struct vmm_vm *vm, uint64_t gpa, uint64_t size,
		 enum vmm_backing backing, uint32_t flags);

/* Same, with the slot's memory bound to NUMA node @node (mbind MPOL_BIND). */
int vmm_add_slot_node(struct vmm_vm *vm, uint64_t gpa, uint64_t size,
		      enum vmm_backing backing, uint32_t flags, int node);

/*
 * Maps slot @slot (an index) a second time, same GPA and memory, in address
 * space 1 (x86 SMM), as QEMU does for RAM. -1 with ENOTSUP without SMM.
 */
int vmm_alias_smm(struct vmm_vm *vm, int slot);

/* Runs one access loop on vCPU 0 until HLT. */
int vmm_touch(struct vmm_vm *vm, const struct vmm_touch *t);
/* Same at an arbitrary GPA (may be outside every slot). */
int vmm_touch_gpa(struct vmm_vm *vm, uint64_t gpa, uint32_t count,
		  uint32_t stride, bool write);

/* Sum of the sizes of all slots (address space 0), code slot included. */
uint64_t vmm_mem_bytes(const struct vmm_vm *vm);

/* KVM's own per-VM statistic from debugfs, e.g. "pages_4k". */
int vmm_debugfs_stat(const char *vm_id, const char *name, uint64_t *val);

/* Parsers shared by memvirt-vmm and the tests. */
int vmm_parse_size(const char *s, uint64_t *out);
int vmm_parse_backing(const char *s, enum vmm_backing *out);
const char *vmm_backing_name(enum vmm_backing b);

#endif /* MEMVIRT_SELFTESTS_VMM_H */
