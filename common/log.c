/*
 * The logger writes whole lines with one write() each, so lines from the
 * control thread and from DPDK's log do not interleave mid-line.
 *
 * A message often quotes what a client or a plugin sent (a user name, a
 * port name, a Lua error). So every control character, DEL and byte of
 * invalid UTF-8 in it is escaped (vg_log_escape), and so is the backslash,
 * so that an escape the logger wrote differs from the same text sent
 * literally. One call then always writes one line, and no terminal escape
 * sequence reaches the log raw.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "utf8.h"

#define LOG_LINE_MAX 1024

static enum vg_log_level log_level = VG_LOG_INFO;

static const char *const level_names[] = {
	[VG_LOG_ERR] = "error",
	[VG_LOG_WARN] = "warn",
	[VG_LOG_INFO] = "info",
	[VG_LOG_DEBUG] = "debug",
};

void
vg_log_set_level(enum vg_log_level level)
{
	log_level = level;
}

enum vg_log_level
vg_log_get_level(void)
{
	return log_level;
}

/* Returns the escape for the control byte or backslash <c>, or NULL for
 * "\\xHH". */
static const char *
short_escape(unsigned char c)
{
	switch (c) {
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\\':
		return "\\\\";
	default:
		return NULL;
	}
}

/* True for the two-byte UTF-8 form of a C1 control (U+0080..U+009F). */
static bool
is_c1_control(const uint8_t *s, size_t n)
{
	return n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

size_t
vg_log_escape(char *dst, size_t cap, const char *src, size_t len)
{
	const uint8_t *s = (const uint8_t *)src;
	size_t out = 0;
	size_t i = 0;

	if (cap == 0)
		return 0;
	while (i < len) {
		size_t n = s[i] >= 0x80 ? vg_utf8_sequence(s + i, len - i) : 1;
		bool escaped = s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\';
		char esc[4 * 4 + 1];
		const char *put = esc;
		size_t put_len;
		size_t k;

		if (n == 0 || is_c1_control(s + i, n)) {
			/* Invalid UTF-8 goes one byte at a time, so the valid
			 * text after it is kept as it is. */
			n = n == 0 ? 1 : n;
			for (k = 0; k < n; k++)
				snprintf(esc + 4 * k, 5, "\\x%02x", s[i + k]);
			put_len = 4 * n;
		} else if (escaped) {
			put = short_escape(s[i]);
			if (put == NULL) {
				snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
				put = esc;
			}
			put_len = strlen(put);
		} else {
			put = src + i;
			put_len = n;
		}
		/* Never cut an escape or a character in two. */
		if (out + put_len >= cap)
			break;
		memcpy(dst + out, put, put_len);
		out += put_len;
		i += n;
	}
	dst[out] = '\0';
	return out;
}

/* Writes one line with the message <message> (<message_len> bytes, NUL
 * bytes included), escaped. */
static void
write_line(enum vg_log_level level, const char *tag, const char *message,
	   size_t message_len)
{
	char line[LOG_LINE_MAX];
	struct timespec now;
	struct tm tm;
	int len;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	len = snprintf(line, sizeof(line),
		       "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
		       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		       tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000,
		       level_names[level], tag);
	if (len < 0)
		return;

	/* Drop a trailing newline the caller (or DPDK) added; any other
	 * newline is escaped, and the line gets its own. */
	while (message_len > 0 && message[message_len - 1] == '\n')
		message_len--;
	/* One byte stays free for the newline. */
	len += (int)vg_log_escape(line + len, sizeof(line) - 1 - (size_t)len,
				  message, message_len);
	line[len++] = '\n';

	if (write(STDERR_FILENO, line, (size_t)len) < 0)
		return;
}

void
vg_vlog(enum vg_log_level level, const char *tag, const char *fmt,
	va_list ap)
{
	char message[LOG_LINE_MAX];
	size_t message_len;
	int more;

	if (level > log_level)
		return;

	more = vsnprintf(message, sizeof(message), fmt, ap);
	if (more < 0)
		return;
	message_len = (size_t)more < sizeof(message) ? (size_t)more :
						      sizeof(message) - 1;
	write_line(level, tag, message, message_len);
}

void
vg_log_bytes(enum vg_log_level level, const char *tag, const char *text,
	     size_t len)
{
	if (level > log_level)
		return;
	write_line(level, tag, text, len < LOG_LINE_MAX ? len : LOG_LINE_MAX);
}

void
vg_log(enum vg_log_level level, const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vg_vlog(level, tag, fmt, ap);
	va_end(ap);
}
