#include "prefetch.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

bool vg_cpu_has_prefetchw;

/* Sets vg_cpu_has_prefetchw before main() runs. */
__attribute__((constructor)) static void
detect_prefetchw(void)
{
#if defined(__x86_64__)
	unsigned int eax;
	unsigned int ebx;
	unsigned int ecx;
	unsigned int edx;

	if (__get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx))
		vg_cpu_has_prefetchw = (ecx & (1u << 8)) != 0;
#endif
}
