/*
 * Unit tests for vg_format_double() (common/number_text.c): the shortest
 * of %.15g, %.16g and %.17g that reads back to the same double.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/number_text.h"

/* The expected texts are what Python's repr() prints for each double,
 * which is the shortest round-trip form, in %g's exponent layout. */
static void
test_shortest_text(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 256.8, "256.8" },
		{ 0.1, "0.1" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 1e-300, "1e-300" },
		{ 1e300, "1e+300" },
		{ 1e21, "1e+21" },
		{ 0.0, "0" },
		{ -0.0, "-0" },
		{ -2.5, "-2.5" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 9007199254740993.0, "9007199254740992" }, /* rounds to 2^53 */
		{ 123456789012345680.0, "1.2345678901234568e+17" },
		{ 18446744073709551615.0, "1.8446744073709552e+19" },
		{ DBL_MAX, "1.7976931348623157e+308" },
		{ DBL_MIN, "2.2250738585072014e-308" },
	};
	char text[VG_DOUBLE_TEXT_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = vg_format_double(text, sizeof(text), cases[i].v);

		assert_string_equal(text, cases[i].want);
		assert_int_equal(n, (int)strlen(cases[i].want));
	}
}

/* Every text reads back to the bits it came from, -0.0 included. */
static void
test_round_trip(void **state)
{
	uint64_t bits = 0x123456789abcdef1ull;
	char text[VG_DOUBLE_TEXT_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		double v;
		double back;

		/* xorshift64: arbitrary bit patterns, most of them normal. */
		bits ^= bits << 13;
		bits ^= bits >> 7;
		bits ^= bits << 17;
		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		vg_format_double(text, sizeof(text), v);
		back = strtod(text, NULL);
		assert_memory_equal(&back, &v, sizeof(v));
	}
}

/* Non-finite values come out as %g writes them; callers spell them. */
static void
test_non_finite(void **state)
{
	char text[VG_DOUBLE_TEXT_MAX];

	(void)state;
	vg_format_double(text, sizeof(text), NAN);
	assert_string_equal(text, "nan");
	vg_format_double(text, sizeof(text), INFINITY);
	assert_string_equal(text, "inf");
	vg_format_double(text, sizeof(text), -INFINITY);
	assert_string_equal(text, "-inf");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shortest_text),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_non_finite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
