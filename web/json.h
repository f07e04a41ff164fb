/*
 * JSON for vigil-web: a growable output buffer with writers that escape
 * any bytes into valid JSON, and a strict parser for request bodies.
 *
 * The parser accepts RFC 8259 JSON within these limits: one value, no
 * trailing bytes, at most VG_JSON_DEPTH_MAX arrays and objects open at
 * once (the body's own object counts), and no object that names a member
 * twice. It also rejects a \u escape of an unpaired UTF-16 surrogate (a
 * lone \ud800), which RFC 8259 allows, because that has no UTF-8 form.
 * It returns only the string members of the top-level object, because
 * the API's request bodies are flat objects of strings: a wanted member
 * of another type is an error. Other members are checked and skipped.
 */
#ifndef VG_WEB_JSON_H
#define VG_WEB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VG_JSON_DEPTH_MAX 32

struct vg_jbuf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;           /* out of memory: the text is incomplete */
};

void
vg_jbuf_free(struct vg_jbuf *b);

void
vg_jbuf_raw(struct vg_jbuf *b, const char *text, size_t len);

/* Appends the string literal <s>, unescaped. */
#define vg_jbuf_lit(b, s) vg_jbuf_raw((b), (s), sizeof(s) - 1)

/* Appends printf-formatted text, unescaped. */
void
vg_jbuf_printf(struct vg_jbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Appends <len> bytes of <s> as a JSON string, quotes included. Valid
 * UTF-8 is kept. Quotes, backslashes and control bytes are escaped, and
 * each byte of an invalid sequence becomes \u00XX, so any input gives
 * valid JSON. '<', '>' and '&' are escaped too, which keeps the text safe
 * inside HTML as well.
 */
void
vg_jbuf_string(struct vg_jbuf *b, const char *s, size_t len);

/* Appends "key": (a comma first unless <first>). */
void
vg_jbuf_key(struct vg_jbuf *b, bool first, const char *key);

/* Appends microseconds as seconds with six decimals. */
void
vg_jbuf_time(struct vg_jbuf *b, uint64_t us);

struct vg_json_member {
	const char *name;      /* wanted member */
	char *value;           /* out: decoded string, malloc'd, or NULL */
};

/*
 * Parses <text> (<len> bytes), which must be one JSON object, and stores
 * the decoded value of each member of <members> that is present and a
 * string, as valid UTF-8. Returns 0, or -EINVAL with a short reason in
 * <err> when the text is not valid JSON or an object at any depth names a
 * member twice (names are compared byte by byte once decoded). That
 * member's decoded name is then stored in <member> (<member_len> bytes,
 * truncated), which is "" otherwise. Returns -ENOMSG for valid JSON that
 * is not an object, with the message for the client in <err>. Returns
 * -EILSEQ for valid JSON with a NUL (\u0000) in a string, which no C
 * string can carry: <member> then names the innermost member whose value
 * contains the first one (at most 63 bytes of its name), or is "" when a
 * member name contains it, and <err> is the message for the client.
 * Otherwise returns -ENOMSG too when a member of <members> has a value
 * that is not a string: <member> names the first such member in the
 * text, and <err> is the message for the client. Free the values with
 * vg_json_members_free().
 */
int
vg_json_parse_members(const char *text, size_t len,
		      struct vg_json_member *members, size_t n_members,
		      char *err, size_t err_len, char *member,
		      size_t member_len);

void
vg_json_members_free(struct vg_json_member *members, size_t n_members);

#endif
