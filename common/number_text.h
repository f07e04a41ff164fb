/*
 * Doubles as text: the shortest of %.15g, %.16g and %.17g that strtod()
 * reads back to the same double, so 256.8 prints as "256.8", not as the
 * "256.80000000000001" that %.17g gives. Every double of IEEE 754 binary64
 * round-trips at 17 significant digits, so the last form always works.
 */
#ifndef VG_NUMBER_TEXT_H
#define VG_NUMBER_TEXT_H

#include <stddef.h>

/* Maximum length of a result, "-1.2345678901234567e-308" and its NUL. */
#define VG_DOUBLE_TEXT_MAX 32

/*
 * Writes <v> into <out> (<len> bytes, at least VG_DOUBLE_TEXT_MAX) as the
 * shortest %g form that reads back to <v>. -0.0 keeps its sign ("-0").
 * NaN and the infinities are written as printf's %g writes them ("nan",
 * "inf"); callers that need another spelling check for them first.
 * Returns the length written.
 */
int
vg_format_double(char *out, size_t len, double v);

#endif
