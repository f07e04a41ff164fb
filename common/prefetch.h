/*
 * Prefetching for a write.
 *
 * On baseline x86-64, GCC compiles __builtin_prefetch(p, 1, ...) to a read
 * prefetch. That brings a line that another CPU read last in shared state,
 * so the write that follows still waits for the other copy to be
 * invalidated. PREFETCHW fetches the line for writing instead.
 */
#ifndef VG_PREFETCH_H
#define VG_PREFETCH_H

#include <stdbool.h>

/* True when the CPU reports PREFETCHW (CPUID 0x80000001, ECX bit 8). */
extern bool vg_cpu_has_prefetchw;

static inline void
vg_prefetch_write(const void *p)
{
#if defined(__x86_64__)
	if (vg_cpu_has_prefetchw) {
		__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
		return;
	}
#endif
	__builtin_prefetch(p, 1, 3);
}

#endif
