/*
 * Unit tests for the UTF-8 checks that decide what vigild and vigil-web
 * quote back in messages: where the first invalid byte is, and where a
 * quote cut to a byte limit ends. Expected offsets were counted by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/utf8.h"

struct invalid_case {
	const char *text;
	ssize_t at;
};

static const struct invalid_case invalid[] = {
	{ "HTTP", -1 },
	{ "", -1 },
	{ "caf\xc3\xa9", -1 },                /* é, 2 bytes */
	{ "\xf0\x9f\x98\x80", -1 },           /* U+1F600, 4 bytes */
	{ "\xc3(", 0 },                        /* lead byte, no continuation */
	{ "ab\xff", 2 },                       /* never valid in UTF-8 */
	{ "ab\xc0\xaf", 2 },                   /* overlong '/' */
	{ "x\xed\xa0\x80", 1 },                /* surrogate U+D800 */
	{ "x\xf4\x90\x80\x80", 1 },            /* past U+10FFFF */
	{ "caf\xc3", 3 },                      /* cut at the end */
	{ "\xa9", 0 },                         /* lone continuation byte */
};

static void
test_utf8_invalid_at(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		ssize_t at = vg_utf8_invalid_at(invalid[i].text,
						strlen(invalid[i].text));

		if (at != invalid[i].at)
			fail_msg("'%s': invalid at %zd, expected %zd",
				 invalid[i].text, at, invalid[i].at);
	}
}

struct cut_case {
	const char *text;
	size_t max;
	int len;
};

static const struct cut_case cuts[] = {
	{ "abc", 64, 3 },
	{ "abc", 3, 3 },
	{ "abcd", 3, 3 },
	{ "ab\xc3\xa9", 3, 2 },                 /* é would be cut in two */
	{ "ab\xc3\xa9", 4, 4 },
	{ "a\xe2\x82\xac", 3, 1 },              /* € after 1 byte */
	{ "a\xe2\x82\xac", 2, 1 },
	{ "a\xf0\x9f\x98\x80z", 4, 1 },         /* U+1F600 after 1 byte */
	{ "a\xf0\x9f\x98\x80z", 5, 5 },
	{ "\xf0\x9f\x98\x80", 1, 0 },
};

static void
test_utf8_cut(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		int len = vg_utf8_cut(cuts[i].text, strlen(cuts[i].text),
				      cuts[i].max);

		if (len != cuts[i].len)
			fail_msg("case %zu: cut at %zu gives %d bytes, expected %d",
				 i, cuts[i].max, len, cuts[i].len);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_invalid_at),
		cmocka_unit_test(test_utf8_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
