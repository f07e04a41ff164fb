/*
 * Text buffer and JSON escaping; see json.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/number_text.h"
#include "sandbox/json.h"

void
vg_sbx_buf_init(struct vg_sbx_buf *buf, size_t max)
{
	memset(buf, 0, sizeof(*buf));
	buf->max = max;
}

void
vg_sbx_buf_free(struct vg_sbx_buf *buf)
{
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}

void
vg_sbx_buf_reset(struct vg_sbx_buf *buf)
{
	buf->len = 0;
	buf->failed = false;
	if (buf->data != NULL)
		buf->data[0] = '\0';
}

static bool
reserve(struct vg_sbx_buf *buf, size_t more)
{
	size_t need = buf->len + more + 1;
	size_t cap;
	char *data;

	if (buf->failed)
		return false;
	if (buf->max != 0 && buf->len + more > buf->max) {
		buf->failed = true;
		return false;
	}
	if (need <= buf->cap)
		return true;
	cap = buf->cap ? buf->cap : 256;
	while (cap < need)
		cap *= 2;
	data = realloc(buf->data, cap);
	if (data == NULL) {
		buf->failed = true;
		return false;
	}
	buf->data = data;
	buf->cap = cap;
	return true;
}

void
vg_sbx_buf_add(struct vg_sbx_buf *buf, const char *s, size_t len)
{
	if (!reserve(buf, len))
		return;
	memcpy(buf->data + buf->len, s, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

void
vg_sbx_buf_puts(struct vg_sbx_buf *buf, const char *s)
{
	vg_sbx_buf_add(buf, s, strlen(s));
}

void
vg_sbx_buf_printf(struct vg_sbx_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(buf, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
}

/* Returns the length of the valid UTF-8 sequence at <s>, or 0. */
static size_t
utf8_len(const unsigned char *s, size_t avail)
{
	uint32_t cp;
	size_t n;
	size_t i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void
vg_sbx_json_string(struct vg_sbx_buf *buf, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	vg_sbx_buf_add(buf, "\"", 1);
	while (i < len) {
		unsigned char c = p[i];
		size_t run = i;
		size_t n;

		/* Plain printable ASCII is copied a run at a time. */
		while (run < len && p[run] >= 0x20 && p[run] < 0x7f &&
		       p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i) {
			vg_sbx_buf_add(buf, (const char *)&p[i], run - i);
			i = run;
			continue;
		}
		if (c == '"' || c == '\\') {
			vg_sbx_buf_add(buf, "\\", 1);
			vg_sbx_buf_add(buf, (const char *)&p[i], 1);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			vg_sbx_buf_printf(buf, "\\u%04x", c);
			i++;
			continue;
		}
		n = utf8_len(p + i, len - i);
		if (n == 0) {
			vg_sbx_buf_printf(buf, "\\u%04x", c);
			i++;
			continue;
		}
		vg_sbx_buf_add(buf, (const char *)&p[i], n);
		i += n;
	}
	vg_sbx_buf_add(buf, "\"", 1);
}

void
vg_sbx_json_number(struct vg_sbx_buf *buf, double v)
{
	char text[VG_DOUBLE_TEXT_MAX];

	if (!isfinite(v)) {
		vg_sbx_buf_puts(buf, "null");
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		vg_sbx_buf_printf(buf, "%.0f", v);
		return;
	}
	vg_format_double(text, sizeof(text), v);
	vg_sbx_buf_puts(buf, text);
}
