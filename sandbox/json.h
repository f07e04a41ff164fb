/*
 * A growable text buffer and the JSON string escaping that alert details
 * and the test driver's output need.
 *
 * Strings from traffic (host names, SNI) may hold any bytes, and JSON must
 * be valid UTF-8, so bytes that are not part of a valid UTF-8 sequence are
 * written as \u00XX (read as Latin-1) rather than copied through.
 */
#ifndef VG_SANDBOX_JSON_H
#define VG_SANDBOX_JSON_H

#include <stdbool.h>
#include <stddef.h>

struct vg_sbx_buf {
	char *data;      /* NUL-terminated while no append failed */
	size_t len;
	size_t cap;
	size_t max;      /* 0: unlimited */
	bool failed;     /* out of memory or over <max>; the text is cut */
};

void
vg_sbx_buf_init(struct vg_sbx_buf *buf, size_t max);

void
vg_sbx_buf_free(struct vg_sbx_buf *buf);

void
vg_sbx_buf_reset(struct vg_sbx_buf *buf);

void
vg_sbx_buf_add(struct vg_sbx_buf *buf, const char *s, size_t len);

void
vg_sbx_buf_puts(struct vg_sbx_buf *buf, const char *s);

void
vg_sbx_buf_printf(struct vg_sbx_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends <s> (<len> bytes) as a quoted JSON string. */
void
vg_sbx_json_string(struct vg_sbx_buf *buf, const char *s, size_t len);

/* Appends a number; NaN and infinities become null. */
void
vg_sbx_json_number(struct vg_sbx_buf *buf, double v);

#endif
