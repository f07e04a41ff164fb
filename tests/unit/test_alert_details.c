/*
 * Alert details normalized to the one JSON object that the alert store,
 * the alert endpoints and plugins.alerts_output hold: objects kept,
 * other JSON wrapped under "value", anything else (invalid JSON, invalid
 * UTF-8) wrapped as a string under "invalid".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/alert_details.h"

static int
setup(void **state)
{
	char err[256];

	*state = vg_alert_details_open(err, sizeof(err));
	return *state != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	vg_alert_details_close(*state);
	return 0;
}

/* Normalizes <in> and checks the kind and the text it returns. */
static void
check(struct vg_alert_details *d, const char *in, int kind,
      const char *expected)
{
	char *out = NULL;

	assert_int_equal(vg_alert_details_normalize(d, in, &out), kind);
	assert_non_null(out);
	assert_string_equal(out, expected);
	free(out);
}

/* Returns "{\"<key>\":<json>}" in <buf>. */
static const char *
wrapped(char *buf, size_t len, const char *key, const char *json)
{
	snprintf(buf, len, "{\"%s\":%s}", key, json);
	return buf;
}

static void
test_details_object_kept(void **state)
{
	const char *object = "{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{}}";

	check(*state, object, VG_ALERT_DETAILS_OBJECT, object);
	check(*state, NULL, VG_ALERT_DETAILS_OBJECT, "{}");
	check(*state, "", VG_ALERT_DETAILS_OBJECT, "{}");
}

static void
test_details_object_minified(void **state)
{
	/* A line break would split an alerts_output record in two. */
	check(*state, " {\n \"a\" : [1, 2] }\n", VG_ALERT_DETAILS_OBJECT,
	      "{\"a\":[1,2]}");
}

static void
test_details_array_wrapped(void **state)
{
	static const char *const values[] = {
		"[\"10.0.0.1\",5003]", "[]", "[{\"a\":1},[2]]",
		"[\"\xc3\xa9\"]",
	};
	char expected[128];
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		check(*state, values[i], VG_ALERT_DETAILS_VALUE,
		      wrapped(expected, sizeof(expected), "value", values[i]));
}

static void
test_details_scalar_wrapped(void **state)
{
	static const char *const values[] = {
		"\"text\"", "42", "-1.5e3", "true", "false", "null",
	};
	char expected[128];
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		check(*state, values[i], VG_ALERT_DETAILS_VALUE,
		      wrapped(expected, sizeof(expected), "value", values[i]));
}

static void
test_details_invalid_json_string(void **state)
{
	/* Quotes, backslashes and control characters escaped (RFC 8259). */
	check(*state, "{\"a\":", VG_ALERT_DETAILS_INVALID,
	      "{\"invalid\":\"{\\\"a\\\":\"}");
	check(*state, "{'a':1}", VG_ALERT_DETAILS_INVALID,
	      "{\"invalid\":\"{'a':1}\"}");
	check(*state, "a\tb\\\x01", VG_ALERT_DETAILS_INVALID,
	      "{\"invalid\":\"a\\tb\\\\\\u0001\"}");
	check(*state, "{\"a\":1}{", VG_ALERT_DETAILS_INVALID,
	      "{\"invalid\":\"{\\\"a\\\":1}{\"}");
}

static void
test_details_invalid_utf8_replaced(void **state)
{
	/* Valid JSON once each invalid byte is U+FFFD, still "invalid". */
	check(*state, "{\"a\":\"\xff\"}", VG_ALERT_DETAILS_INVALID,
	      "{\"invalid\":\"{\\\"a\\\":\\\"\xef\xbf\xbd\\\"}\"}");
	/* An overlong '/' (two bytes) and a cut three-byte sequence. */
	check(*state, "[\xc0\xaf]", VG_ALERT_DETAILS_INVALID,
	      "{\"invalid\":\"[\xef\xbf\xbd\xef\xbf\xbd]\"}");
	check(*state, "x\xe2\x82", VG_ALERT_DETAILS_INVALID,
	      "{\"invalid\":\"x\xef\xbf\xbd\xef\xbf\xbd\"}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_details_object_kept),
		cmocka_unit_test(test_details_object_minified),
		cmocka_unit_test(test_details_array_wrapped),
		cmocka_unit_test(test_details_scalar_wrapped),
		cmocka_unit_test(test_details_invalid_json_string),
		cmocka_unit_test(test_details_invalid_utf8_replaced),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
