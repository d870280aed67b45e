// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt-holes: leave free memory of a NUMA node in 4K holes.
 *
 *   memvirt-holes NODE PAGES
 *
 * Touches PAGES 4K pages bound to NODE (MADV_NOHUGEPAGE), then frees every
 * other one (MADV_DONTNEED): half of them come back as free 4K pages that
 * cannot merge with their neighbours, which stay allocated and movable. Free
 * memory that no 2M allocation can use as it is, and that compaction can
 * turn into 2M blocks.
 *
 * Prints "touched N freed M" and "ready", then holds the pages until stdin
 * reaches EOF.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE_4K		4096UL
#define MPOL_BIND_	2

int main(int argc, char **argv)
{
	unsigned long pages, freed = 0, i, mask;
	char *p, c;
	int node;

	if (argc != 3) {
		fprintf(stderr, "usage: memvirt-holes NODE PAGES\n");
		return 2;
	}
	node = atoi(argv[1]);
	pages = strtoul(argv[2], NULL, 0);
	if (node < 0 || node >= 64 || !pages) {
		fprintf(stderr, "memvirt-holes: bad NODE or PAGES\n");
		return 2;
	}
	p = mmap(NULL, pages * PAGE_4K, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		perror("memvirt-holes: mmap");
		return 1;
	}
	mask = 1UL << node;
	if (madvise(p, pages * PAGE_4K, MADV_NOHUGEPAGE) ||
	    syscall(SYS_mbind, p, pages * PAGE_4K, MPOL_BIND_, &mask, 8 * sizeof(mask), 0)) {
		fprintf(stderr, "memvirt-holes: madvise/mbind: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < pages; i++)
		p[i * PAGE_4K] = 1;
	for (i = 0; i < pages; i += 2, freed++) {
		if (madvise(p + i * PAGE_4K, PAGE_4K, MADV_DONTNEED)) {
			perror("memvirt-holes: madvise");
			return 1;
		}
	}
	printf("touched %lu freed %lu\nready\n", pages, freed);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
