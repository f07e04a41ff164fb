/*
 * Unit tests for the error messages of vigil-web's request-body parser.
 * Each broken body names its problem and the 0-based offset of the first
 * wrong byte, or of the end of the text when it is cut short. The offsets
 * in the table were counted by hand from the bodies.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "web/json.h"

struct broken_body {
	const char *body;
	const char *message;
};

static const struct broken_body broken[] = {
	{ "{\"a\":tru}", "invalid value at byte offset 5" },
	{ "{\"a\":\"x\\qy\"}", "invalid escape at byte offset 8" },
	{ "{\"a\":\"\\u12G4\"}", "invalid \\u escape at byte offset 10" },
	{ "{\"a\":\"\\u12", "truncated \\u escape at byte offset 8" },
	{ "{\"a\":\"\\ud800x\"}", "unpaired surrogate at byte offset 12" },
	{ "{\"a\":\"\\udc00\"}", "unpaired surrogate at byte offset 6" },
	{ "{\"a\":\"\\ud800\\u0041\"}", "unpaired surrogate at byte offset 12" },
	{ "{\"a\":\"abc", "unterminated string at byte offset 9" },
	{ "{\"a\":\"\xff\"}", "invalid UTF-8 at byte offset 6" },
	{ "{\"a\":\"x\ny\"}", "control character in a string at byte offset 7" },
	{ "{\"a\":1,}", "expected a member name at byte offset 7" },
	{ "{\"a\" 1}", "expected ':' at byte offset 5" },
	{ "{\"a\":01}", "expected ',' or '}' at byte offset 6" },
	{ "{\"a\":-}", "invalid value at byte offset 6" },
	{ "{\"a\":1.}", "invalid number at byte offset 7" },
	{ "{\"a\":1e+}", "invalid number at byte offset 8" },
	{ "{\"a\":[1 2]}", "expected ',' or ']' at byte offset 8" },
	{ "{\"a\":1} x", "unexpected text after the object at byte offset 8" },
	{ "{\"a\":", "unexpected end of input at byte offset 5" },
};

static void
test_json_error_offsets(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		struct vg_json_member members[] = { { .name = "a" } };
		char err[128] = "";
		char member[64] = "";
		int rc;

		rc = vg_json_parse_members(broken[i].body,
					   strlen(broken[i].body), members, 1,
					   err, sizeof(err), member,
					   sizeof(member));
		print_message("%s\n", broken[i].body);
		assert_int_equal(rc, -EINVAL);
		assert_string_equal(err, broken[i].message);
		assert_null(members[0].value);
	}
}

static void
test_json_valid_body(void **state)
{
	struct vg_json_member members[] = { { .name = "a" } };
	const char *body = "{\"a\":\"x\\u00e9\",\"b\":[1,2.5e3,true,null]}";
	char err[128] = "";
	char member[64] = "";

	(void)state;
	assert_int_equal(vg_json_parse_members(body, strlen(body), members, 1,
					       err, sizeof(err), member,
					       sizeof(member)),
			 0);
	assert_string_equal(members[0].value, "x\xc3\xa9");
	vg_json_members_free(members, 1);
}

struct mistyped_case {
	const char *body;
	const char *member;
	const char *message;
};

static const struct mistyped_case mistyped[] = {
	{ "{\"user\":\"admin\",\"password\":1}", "password",
	  "the member 'password' must be a string, not a number" },
	{ "{\"user\":\"admin\",\"password\":null}", "password",
	  "the member 'password' must be a string, not null" },
	{ "{\"user\":\"admin\",\"password\":{}}", "password",
	  "the member 'password' must be a string, not an object" },
	{ "{\"password\":[\"x\"],\"user\":true}", "password",
	  "the member 'password' must be a string, not an array" },
	{ "{\"user\":false,\"password\":2}", "user",
	  "the member 'user' must be a string, not a boolean" },
};

static void
test_json_member_not_a_string(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(mistyped) / sizeof(mistyped[0]); i++) {
		struct vg_json_member members[] = { { .name = "user" },
						    { .name = "password" } };
		char err[128] = "";
		char member[64] = "";
		int rc;

		rc = vg_json_parse_members(mistyped[i].body,
					   strlen(mistyped[i].body), members, 2,
					   err, sizeof(err), member,
					   sizeof(member));
		print_message("%s\n", mistyped[i].body);
		assert_int_equal(rc, -ENOMSG);
		assert_string_equal(member, mistyped[i].member);
		assert_string_equal(err, mistyped[i].message);
		assert_null(members[0].value);
		assert_null(members[1].value);
	}
}

static void
test_json_other_member_any_type(void **state)
{
	struct vg_json_member members[] = { { .name = "user" } };
	const char *body = "{\"user\":\"admin\",\"extra\":1}";
	char err[128] = "";
	char member[64] = "";

	(void)state;
	assert_int_equal(vg_json_parse_members(body, strlen(body), members, 1,
					       err, sizeof(err), member,
					       sizeof(member)),
			 0);
	assert_string_equal(members[0].value, "admin");
	vg_json_members_free(members, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_error_offsets),
		cmocka_unit_test(test_json_valid_body),
		cmocka_unit_test(test_json_member_not_a_string),
		cmocka_unit_test(test_json_other_member_any_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
