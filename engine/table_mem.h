/*
 * Memory for the engine's large tables (flow slots, host entries).
 *
 * A lookup in a table of tens or hundreds of megabytes lands on a random
 * page, and on 4 KiB pages it then also misses the TLB most of the time.
 * So each table gets a mapping of its own, marked for transparent huge
 * pages. The kernel backs it with 2 MiB pages where it can (recent Linux
 * aligns anonymous mappings of 2 MiB or more to 2 MiB). With huge pages
 * disabled in the kernel this is plain zeroed memory.
 */
#ifndef VG_ENGINE_TABLE_MEM_H
#define VG_ENGINE_TABLE_MEM_H

#include <stddef.h>
#include <sys/mman.h>

/* Returns <size> zeroed bytes, or NULL. Free with vg_table_mem_free(). */
static inline void *
vg_table_mem_alloc(size_t size)
{
	void *mem;

	if (size == 0)
		size = 1;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	/* Advice only: the memory works the same without it. */
	(void)madvise(mem, size, MADV_HUGEPAGE);
	return mem;
}

/* Frees <mem> of <size> bytes from vg_table_mem_alloc(); NULL is allowed. */
static inline void
vg_table_mem_free(void *mem, size_t size)
{
	if (mem != NULL)
		munmap(mem, size == 0 ? 1 : size);
}

#endif
