/*
 * Unit tests for the logger's escaping: a message that quotes a client's
 * or a plugin's text must stay one line with no raw control character.
 * The expected strings were written by hand from the escaping rule in
 * common/log.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

struct escape_case {
	const char *text;
	const char *escaped;
};

static const struct escape_case cases[] = {
	{ "plain text", "plain text" },
	{ "a\nb", "a\\nb" },
	{ "a\r\nb", "a\\r\\nb" },
	{ "tab\there", "tab\\there" },
	{ "\x1b[31mred", "\\x1b[31mred" },
	{ "bell\x07", "bell\\x07" },
	{ "del\x7f", "del\\x7f" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },               /* é stays */
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },     /* U+1F600 stays */
	{ "csi\xc2\x9b" "31m", "csi\\xc2\\x9b31m" },    /* C1 control CSI */
	{ "nbsp\xc2\xa0", "nbsp\xc2\xa0" },              /* U+00A0 stays */
	{ "ab\xff", "ab\\xff" },                        /* never UTF-8 */
	{ "\xc3(", "\\xc3(" },                          /* lead byte alone */
	{ "x\xed\xa0\x80", "x\\xed\\xa0\\x80" },        /* surrogate */
	{ "back\\slash", "back\\\\slash" },
	{ "\\x0a", "\\\\x0a" },                         /* written literally */
	{ "\\\\", "\\\\\\\\" },
};

static void
test_log_escape_table(void **state)
{
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = vg_log_escape(out, sizeof(out), cases[i].text,
					 strlen(cases[i].text));

		assert_string_equal(out, cases[i].escaped);
		assert_int_equal(n, strlen(cases[i].escaped));
	}
}

static void
test_log_escape_keeps_nul_bytes(void **state)
{
	static const char text[] = { 'a', '\0', 'b' };
	char out[16];

	(void)state;
	assert_int_equal(vg_log_escape(out, sizeof(out), text, sizeof(text)),
			 6);
	assert_string_equal(out, "a\\x00b");
}

static void
test_log_escape_never_cuts_an_escape(void **state)
{
	char out[8];

	(void)state;
	/* "ab" and "\x1b" need 6 bytes, then the NUL: "\n" no longer fits. */
	assert_int_equal(vg_log_escape(out, 7, "ab\x1b\ncd", 6), 6);
	assert_string_equal(out, "ab\\x1b");
	/* "é" is not cut after its first byte. */
	assert_int_equal(vg_log_escape(out, 3, "a\xc3\xa9", 3), 1);
	assert_string_equal(out, "a");
}

static void
test_log_escape_literal_escape_differs(void **state)
{
	char byte[16];
	char literal[16];

	(void)state;
	/* Text a client wrote literally, such as the characters \x1b or \n,
	 * must not read like the escape of a byte it did not send. */
	vg_log_escape(byte, sizeof(byte), "a\x1b" "b", 3);
	vg_log_escape(literal, sizeof(literal), "a\\x1bb", 6);
	assert_string_not_equal(byte, literal);
	vg_log_escape(byte, sizeof(byte), "a\nb", 3);
	vg_log_escape(literal, sizeof(literal), "a\\nb", 4);
	assert_string_not_equal(byte, literal);
}

/* Points stderr at a new pipe <fds>; returns the saved stderr. */
static int
stderr_to_pipe(int fds[2])
{
	int saved;

	assert_int_equal(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
	return saved;
}

/* Puts stderr back from <saved>; returns what the pipe <fds> received. */
static size_t
stderr_restore(int fds[2], int saved, char *out, size_t cap)
{
	ssize_t n;

	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, cap - 1);
	close(fds[0]);
	assert_true(n > 0);
	out[n] = '\0';
	return (size_t)n;
}

/* Runs vg_log with stderr on a pipe; returns what it wrote. */
static size_t
capture_log(char *out, size_t cap, const char *fmt, const char *arg)
{
	int fds[2];
	int saved = stderr_to_pipe(fds);

	vg_log(VG_LOG_INFO, "web", fmt, arg);
	return stderr_restore(fds, saved, out, cap);
}

static void
test_log_forged_line_stays_one(void **state)
{
	const char *user = "a\nZ info web: user=admin role=admin logged in"
			   "\x1b[31m";
	const char *want = " info web: login failed peer=127.0.0.1 "
			   "user=a\\nZ info web: user=admin role=admin logged "
			   "in\\x1b[31m\n";
	char out[2048];
	size_t n;

	(void)state;
	n = capture_log(out, sizeof(out), "login failed peer=127.0.0.1 user=%s",
			user);
	/* The line starts with a 24-byte UTC time stamp. */
	assert_true(n > 24);
	assert_string_equal(out + 24, want);
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
}

static void
test_log_trailing_newline_dropped(void **state)
{
	char out[256];
	size_t n;

	(void)state;
	n = capture_log(out, sizeof(out), "%s", "port started\n\n");
	assert_string_equal(out + 24, " info web: port started\n");
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
}

static void
test_log_long_message_one_line(void **state)
{
	char text[3000];
	char out[4096];
	size_t n;
	size_t i;

	(void)state;
	for (i = 0; i + 1 < sizeof(text); i++)
		text[i] = "x\n"[i % 2];
	text[sizeof(text) - 1] = '\0';
	n = capture_log(out, sizeof(out), "%s", text);
	/* Cut to the 1024-byte line, newline included, on a whole escape. */
	assert_true(n <= 1024);
	assert_true(n > 1000);
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
	assert_true(out[n - 2] == 'x' || out[n - 2] == 'n');
}

/* Runs vg_log_bytes with stderr on a pipe; returns what it wrote. */
static size_t
capture_log_bytes(char *out, size_t cap, const char *text, size_t len)
{
	int fds[2];
	int saved = stderr_to_pipe(fds);

	vg_log_bytes(VG_LOG_INFO, "sandbox", text, len);
	return stderr_restore(fds, saved, out, cap);
}

static void
test_log_bytes_escapes_nul_once(void **state)
{
	/* A NUL byte, a backslash, a newline and an ESC, from a plugin. */
	const char text[] = { 'a', '\0', 'b', '\\', 'c', '\n', '\x1b', 'd' };
	const char *want = " info sandbox: a\\x00b\\\\c\\n\\x1bd\n";
	char out[256];
	size_t n;

	(void)state;
	n = capture_log_bytes(out, sizeof(out), text, sizeof(text));
	/* The line starts with a 24-byte UTC time stamp. */
	assert_true(n > 24);
	assert_string_equal(out + 24, want);
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_escape_table),
		cmocka_unit_test(test_log_escape_keeps_nul_bytes),
		cmocka_unit_test(test_log_escape_never_cuts_an_escape),
		cmocka_unit_test(test_log_escape_literal_escape_differs),
		cmocka_unit_test(test_log_forged_line_stays_one),
		cmocka_unit_test(test_log_trailing_newline_dropped),
		cmocka_unit_test(test_log_long_message_one_line),
		cmocka_unit_test(test_log_bytes_escapes_nul_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
