/*
 * Shortest round-trip text for doubles; see number_text.h.
 *
 * Any decimal of at most 15 significant digits in the normal range
 * survives a trip through a double (DBL_DIG), so %.15g already gives the
 * shortest digits when those are 15 or fewer. The correctly rounded 16 digits are the nearest
 * 16-digit decimal, so they read back whenever any 16 digits do. The
 * result is therefore the shortest digit string that round-trips, laid
 * out as %g lays it out. The cost is at most three snprintf() and two
 * strtod() calls a value.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/number_text.h"

int
vg_format_double(char *out, size_t len, double v)
{
	static const int precisions[] = { 15, 16 };
	size_t i;
	int n;

	if (!isfinite(v))
		return snprintf(out, len, "%g", v);
	for (i = 0; i < sizeof(precisions) / sizeof(precisions[0]); i++) {
		n = snprintf(out, len, "%.*g", precisions[i], v);
		if (n > 0 && (size_t)n < len && strtod(out, NULL) == v)
			return n;
	}
	return snprintf(out, len, "%.17g", v);
}
