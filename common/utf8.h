/*
 * UTF-8 checks for text that vigil quotes back: request parameters and
 * paths in vigil-web's messages, filter names in vigild's API, and
 * strings from traffic in flow records. Valid means RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF.
 */
#ifndef VG_UTF8_H
#define VG_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* Returns the length (1..4) of the valid UTF-8 sequence at <s>, or 0. */
size_t
vg_utf8_sequence(const uint8_t *s, size_t avail);

/*
 * Returns the offset of the first byte of <s> (<len> bytes) that does not
 * start a valid UTF-8 sequence, or -1 when all of <s> is valid.
 */
ssize_t
vg_utf8_invalid_at(const char *s, size_t len);

/*
 * Returns how many bytes of <s> (<len> bytes) to quote so that at most
 * <max> bytes are kept and no UTF-8 character is cut in two. The result
 * suits printf's "%.*s".
 */
int
vg_utf8_cut(const char *s, size_t len, size_t max);

/*
 * Expands to the two arguments of "%.*s" that quote the C string <s> cut
 * to at most <max> bytes on a character boundary. <s> is read twice.
 */
#define VG_UTF8_QUOTE(s, max) vg_utf8_cut((s), strlen(s), (max)), (s)

#endif /* VG_UTF8_H */
