/*
 * UTF-8 checks shared by vigild's records and API and by vigil-web. One
 * decoder, so that every program agrees on what is valid.
 */
#include "common/utf8.h"

size_t
vg_utf8_sequence(const uint8_t *s, size_t avail)
{
	size_t need;
	size_t i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (need > avail)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) ||
	    (need == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

ssize_t
vg_utf8_invalid_at(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t at = 0;

	while (at < len) {
		size_t seq = vg_utf8_sequence(p + at, len - at);

		if (seq == 0)
			return (ssize_t)at;
		at += seq;
	}
	return -1;
}

int
vg_utf8_cut(const char *s, size_t len, size_t max)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t at = max;

	if (len <= max)
		return (int)len;
	/* The cut falls before p[max]. Step back over the continuation
	 * bytes of the character it falls in, so that the character is
	 * left out whole. */
	while (at > 0 && max - at < 3 && (p[at] & 0xc0) == 0x80)
		at--;
	if ((p[at] & 0xc0) == 0x80)
		return (int)max;
	return (int)at;
}
