/*
 * Unit tests for the sandbox's JSON escaping (sandbox/json.c): strings from
 * traffic may hold any bytes, and the output must stay valid JSON.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/json.h"

static void
check_escape(const char *in, size_t len, const char *want)
{
	struct vg_sbx_buf b;

	vg_sbx_buf_init(&b, 0);
	vg_sbx_json_string(&b, in, len);
	assert_false(b.failed);
	assert_string_equal(b.data, want);
	vg_sbx_buf_free(&b);
}

static void
test_json_escapes_quotes_and_controls(void **state)
{
	(void)state;
	check_escape("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_escape("line\nnext\t", 10, "\"line\\u000anext\\u0009\"");
	check_escape("\x01\x7f", 2, "\"\\u0001\\u007f\"");
	check_escape("", 0, "\"\"");
	/* An embedded NUL is data, not the end. */
	check_escape("a\0b", 3, "\"a\\u0000b\"");
}

static void
test_json_keeps_valid_utf8(void **state)
{
	(void)state;
	check_escape("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
	check_escape("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");
	check_escape("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");
}

static void
test_json_escapes_invalid_utf8(void **state)
{
	(void)state;
	check_escape("\xff", 1, "\"\\u00ff\"");
	/* Overlong encoding of '/'. */
	check_escape("\xc0\xaf", 2, "\"\\u00c0\\u00af\"");
	/* A surrogate, U+D800. */
	check_escape("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"");
	/* A sequence cut short by the end of the string. */
	check_escape("x\xe2\x82", 3, "\"x\\u00e2\\u0082\"");
	/* Past U+10FFFF. */
	check_escape("\xf4\x90\x80\x80", 4,
		      "\"\\u00f4\\u0090\\u0080\\u0080\"");
}

static void
test_json_numbers(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 1, "1" },
		{ -42, "-42" },
		{ 1.5, "1.5" },
		{ 0.1, "0.1" },
		{ 256.8, "256.8" },
		{ 9007199254740991.0, "9007199254740991" },
		{ 1e300, "1e+300" },
		{ 1e-300, "1e-300" },
		{ 0.1 + 0.2, "0.30000000000000004" },
	};
	struct vg_sbx_buf b;
	size_t i;

	(void)state;
	vg_sbx_buf_init(&b, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vg_sbx_buf_reset(&b);
		vg_sbx_json_number(&b, cases[i].v);
		assert_string_equal(b.data, cases[i].want);
	}
	vg_sbx_buf_reset(&b);
	vg_sbx_json_number(&b, NAN);
	assert_string_equal(b.data, "null");
	vg_sbx_buf_reset(&b);
	vg_sbx_json_number(&b, -INFINITY);
	assert_string_equal(b.data, "null");
	vg_sbx_buf_free(&b);
}

static void
test_json_buffer_limit(void **state)
{
	struct vg_sbx_buf b;

	(void)state;
	vg_sbx_buf_init(&b, 8);
	vg_sbx_buf_puts(&b, "12345678");
	assert_false(b.failed);
	assert_int_equal(b.len, 8);
	vg_sbx_buf_puts(&b, "9");
	assert_true(b.failed);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	vg_sbx_buf_reset(&b);
	assert_false(b.failed);
	vg_sbx_buf_printf(&b, "%d-%s", 7, "ok");
	assert_string_equal(b.data, "7-ok");
	vg_sbx_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escapes_quotes_and_controls),
		cmocka_unit_test(test_json_keeps_valid_utf8),
		cmocka_unit_test(test_json_escapes_invalid_utf8),
		cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_json_buffer_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
