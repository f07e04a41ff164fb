/*
 * Reference checker for the fuzz harness of vigil-web's request-body
 * parser. It works out what vg_json_parse_members() must return for a text
 * by a recursive descent over the grammar of RFC 8259 and the rules
 * web/json.h adds. It is written apart from web/json.c, so the two agree
 * only where both follow those rules.
 */
#ifndef VG_TESTS_FUZZ_JSON_REF_H
#define VG_TESTS_FUZZ_JSON_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_REF_REQUESTED_MAX 8

/* Decoded text, which may contain NUL bytes. After the first append,
 * <data> is also NUL-terminated. */
struct json_ref_string {
	char *data;
	size_t len;
	size_t cap;
};

enum json_ref_result {
	JSON_REF_OK,
	JSON_REF_SYNTAX,    /* not JSON, or an unpaired surrogate escape */
	JSON_REF_TOO_DEEP,  /* more than VG_JSON_DEPTH_MAX containers open */
	JSON_REF_DUPLICATE, /* an object names a member twice */
};

enum json_ref_type {
	JSON_REF_OBJECT,
	JSON_REF_ARRAY,
	JSON_REF_STRING,
	JSON_REF_NUMBER,
	JSON_REF_BOOLEAN,
	JSON_REF_NULL,
};

struct json_ref {
	const uint8_t *p;
	const uint8_t *end;
	const char *const *requested;  /* member names to keep */
	size_t n_requested;
	unsigned int depth;            /* arrays and objects open */
	enum json_ref_result result;   /* the first problem found */
	struct json_ref_string duplicate; /* the name reported twice */
	/* The innermost member whose value is being read, or NULL. */
	const struct json_ref_string *member;
	/* The first U+0000 decoded: in a name, or else in the value of
	 * <nul_member>. */
	bool nul_seen;
	bool nul_in_name;
	struct json_ref_string nul_member;
	enum json_ref_type top_type;
	/* The first requested member of the top-level object whose value
	 * is not a string, and that value's type. */
	bool mistyped;
	struct json_ref_string mistyped_name;
	enum json_ref_type mistyped_type;
	/* The string values of requested members of the top-level object. */
	bool have_value[JSON_REF_REQUESTED_MAX];
	struct json_ref_string values[JSON_REF_REQUESTED_MAX];
};

/*
 * Returns the length of the well-formed UTF-8 sequence at <s> (<avail>
 * bytes left, at least 1), or 0.
 */
size_t
json_ref_utf8_length(const uint8_t *s, size_t avail);

bool
json_ref_utf8_valid(const uint8_t *s, size_t len);

/* Appends <n> bytes, and exits the program when out of memory. */
void
json_ref_string_add(struct json_ref_string *s, const void *bytes, size_t n);

/* Appends the UTF-8 encoding of <cp> (at most U+10FFFF). */
void
json_ref_string_add_code_point(struct json_ref_string *s, uint32_t cp);

/*
 * Reads the <size> bytes at <data> into <ref>, keeping the values of the
 * <n_requested> (at most JSON_REF_REQUESTED_MAX) members named in <requested>.
 * Free with json_ref_free().
 */
void
json_ref_run(struct json_ref *ref, const uint8_t *data, size_t size,
	     const char *const *requested, size_t n_requested);

void
json_ref_free(struct json_ref *ref);

/* Returns the code that web/json.h promises for the text read. */
int
json_ref_expected_rc(const struct json_ref *ref);

/* Names <type> the way the parser's message for a non-object does. */
const char *json_ref_type_name(enum json_ref_type type);

#endif
