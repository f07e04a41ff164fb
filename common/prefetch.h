/*
 * Prefetching for a write.
 *
 * GCC turns __builtin_prefetch(p, 1, ...) into a plain read prefetch unless
 * the target flags enable PREFETCHW, and Debian builds for baseline x86-64.
 * A read prefetch of a line that another CPU read last brings it in shared,
 * so the write that follows still waits for the other copy to be
 * invalidated. PREFETCHW asks for the line in exclusive state at once.
 * x86-64 CPUs without the instruction execute its encoding as a no-op.
 */
#ifndef VG_PREFETCH_H
#define VG_PREFETCH_H

static inline void
vg_prefetch_write(const void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

#endif
