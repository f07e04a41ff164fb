/*
 * The reference checker that json_ref.h declares for fuzz_json.c.
 * It keeps every decoded string whole, NUL bytes included, and compares
 * member names as byte strings, so it needs none of the parser's
 * shortcuts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/json.h"

#include "json_ref.h"

/* The ranges are those of Table 3-7 of the Unicode Standard, which leave
 * out overlong forms, surrogates and code points past U+10FFFF. */
size_t
json_ref_utf8_length(const uint8_t *s, size_t avail)
{
	uint8_t lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (avail < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return need;
}

bool
json_ref_utf8_valid(const uint8_t *s, size_t len)
{
	while (len > 0) {
		size_t n = json_ref_utf8_length(s, len);

		if (n == 0)
			return false;
		s += n;
		len -= n;
	}
	return true;
}

void
json_ref_string_add(struct json_ref_string *s, const void *bytes, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap > 0 ? s->cap : 32;
		char *grown;

		while (cap < s->len + n + 1)
			cap *= 2;
		grown = realloc(s->data, cap);
		if (grown == NULL) {
			fprintf(stderr, "json_ref: realloc(%zu) failed\n", cap);
			exit(1);
		}
		s->data = grown;
		s->cap = cap;
	}
	if (n > 0)
		memcpy(s->data + s->len, bytes, n);
	s->len += n;
	s->data[s->len] = '\0';
}

void
json_ref_string_add_code_point(struct json_ref_string *s, uint32_t cp)
{
	uint8_t out[4];
	size_t n;

	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		out[0] = (uint8_t)(0xf0 | (cp >> 18));
		out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	json_ref_string_add(s, out, n);
}

static void
string_copy(struct json_ref_string *dst, const struct json_ref_string *src)
{
	dst->len = 0;
	json_ref_string_add(dst, src->data, src->len);
}

/* Orders strings by bytes, a prefix first, as strcmp() orders C strings. */
static int
string_compare(const struct json_ref_string *a, const struct json_ref_string *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n > 0 ? memcmp(a->data, b->data, n) : 0;

	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

static int
string_compare_indirect(const void *a, const void *b)
{
	return string_compare(*(const struct json_ref_string *const *)a,
			      *(const struct json_ref_string *const *)b);
}

/* Records the first problem and returns false, for callers to pass on. */
static bool
fail(struct json_ref *ref, enum json_ref_result result)
{
	if (ref->result == JSON_REF_OK)
		ref->result = result;
	return false;
}

static void
skip_whitespace(struct json_ref *ref)
{
	while (ref->p < ref->end && (*ref->p == ' ' || *ref->p == '\t' ||
				     *ref->p == '\n' || *ref->p == '\r'))
		ref->p++;
}

static bool
read_hex4(struct json_ref *ref, uint32_t *out)
{
	static const char digits[] = "0123456789abcdef";
	uint32_t v = 0;
	int i;

	if (ref->end - ref->p < 4)
		return fail(ref, JSON_REF_SYNTAX);
	for (i = 0; i < 4; i++) {
		int c = *ref->p++;
		const char *d;

		if (c >= 'A' && c <= 'F')
			c = c - 'A' + 'a';
		d = c != '\0' ? strchr(digits, c) : NULL;
		if (d == NULL)
			return fail(ref, JSON_REF_SYNTAX);
		v = v * 16 + (uint32_t)(d - digits);
	}
	*out = v;
	return true;
}

static void
note_nul(struct json_ref *ref, bool in_name)
{
	if (ref->nul_seen)
		return;
	ref->nul_seen = true;
	ref->nul_in_name = in_name;
	if (!in_name && ref->member != NULL)
		string_copy(&ref->nul_member, ref->member);
}

/* Decodes the escape after a backslash into <out>. */
static bool
read_escape(struct json_ref *ref, struct json_ref_string *out, bool in_name)
{
	static const char plain[] = "\"\\/bfnrt";
	static const char decoded[] = "\"\\/\b\f\n\r\t";
	const char *at;
	uint32_t cp, low;
	int c;

	if (ref->p >= ref->end)
		return fail(ref, JSON_REF_SYNTAX);
	c = *ref->p++;
	at = c != '\0' ? strchr(plain, c) : NULL;
	if (at != NULL) {
		json_ref_string_add(out, &decoded[at - plain], 1);
		return true;
	}
	if (c != 'u' || !read_hex4(ref, &cp))
		return fail(ref, JSON_REF_SYNTAX);
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(ref, JSON_REF_SYNTAX);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ref->end - ref->p < 2 || ref->p[0] != '\\' ||
		    ref->p[1] != 'u')
			return fail(ref, JSON_REF_SYNTAX);
		ref->p += 2;
		if (!read_hex4(ref, &low))
			return false;
		if (low < 0xdc00 || low > 0xdfff)
			return fail(ref, JSON_REF_SYNTAX);
		cp = 0x10000 + (((cp & 0x3ff) << 10) | (low & 0x3ff));
	}
	if (cp == 0)
		note_nul(ref, in_name);
	json_ref_string_add_code_point(out, cp);
	return true;
}

/* Decodes the string at ref->p (its opening quote) into <out>. */
static bool
read_string(struct json_ref *ref, struct json_ref_string *out, bool in_name)
{
	out->len = 0;
	json_ref_string_add(out, "", 0);
	ref->p++;
	for (;;) {
		size_t n;

		if (ref->p >= ref->end || *ref->p < 0x20)
			return fail(ref, JSON_REF_SYNTAX);
		if (*ref->p == '"') {
			ref->p++;
			return true;
		}
		if (*ref->p == '\\') {
			ref->p++;
			if (!read_escape(ref, out, in_name))
				return false;
			continue;
		}
		n = json_ref_utf8_length(ref->p, (size_t)(ref->end - ref->p));
		if (n == 0)
			return fail(ref, JSON_REF_SYNTAX);
		json_ref_string_add(out, ref->p, n);
		ref->p += n;
	}
}

static bool
read_digits(struct json_ref *ref)
{
	const uint8_t *start = ref->p;

	while (ref->p < ref->end && *ref->p >= '0' && *ref->p <= '9')
		ref->p++;
	return ref->p > start;
}

/* number = [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ]
 *          [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ] */
static bool
read_number(struct json_ref *ref)
{
	if (ref->p < ref->end && *ref->p == '-')
		ref->p++;
	if (ref->p < ref->end && *ref->p == '0')
		ref->p++;
	else if (ref->p >= ref->end || *ref->p < '1' || *ref->p > '9' ||
		 !read_digits(ref))
		return fail(ref, JSON_REF_SYNTAX);
	if (ref->p < ref->end && *ref->p == '.') {
		ref->p++;
		if (!read_digits(ref))
			return fail(ref, JSON_REF_SYNTAX);
	}
	if (ref->p < ref->end && (*ref->p == 'e' || *ref->p == 'E')) {
		ref->p++;
		if (ref->p < ref->end && (*ref->p == '+' || *ref->p == '-'))
			ref->p++;
		if (!read_digits(ref))
			return fail(ref, JSON_REF_SYNTAX);
	}
	return true;
}

static bool
read_literal(struct json_ref *ref, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ref->end - ref->p) < n || memcmp(ref->p, word, n) != 0)
		return fail(ref, JSON_REF_SYNTAX);
	ref->p += n;
	return true;
}

static bool
read_value(struct json_ref *ref, enum json_ref_type *type,
	   struct json_ref_string *string);

/* Steps over the '[' or '{' at ref->p and counts the container open. */
static bool
enter(struct json_ref *ref)
{
	ref->p++;
	if (++ref->depth > VG_JSON_DEPTH_MAX)
		return fail(ref, JSON_REF_TOO_DEEP);
	return true;
}

static bool
read_array(struct json_ref *ref)
{
	struct json_ref_string scratch = {0};
	enum json_ref_type type;
	bool ok = false;

	if (!enter(ref))
		return false;
	skip_whitespace(ref);
	if (ref->p < ref->end && *ref->p == ']') {
		ref->p++;
		ok = true;
	}
	while (!ok) {
		if (!read_value(ref, &type, &scratch))
			goto out;
		skip_whitespace(ref);
		if (ref->p < ref->end && *ref->p == ']') {
			ref->p++;
			ok = true;
		} else if (ref->p >= ref->end || *ref->p != ',') {
			fail(ref, JSON_REF_SYNTAX);
			goto out;
		} else {
			ref->p++;
		}
	}
	ref->depth--;
out:
	free(scratch.data);
	return ok;
}

/* Stores in ref->duplicate the smallest name that <names> contains twice,
 * which is the one the parser reports. */
static bool
check_unique(struct json_ref *ref, struct json_ref_string *names, size_t n)
{
	struct json_ref_string **sorted = malloc(n * sizeof(*sorted));
	bool unique = true;
	size_t i;

	if (sorted == NULL) {
		fprintf(stderr, "json_ref: malloc failed\n");
		exit(1);
	}
	for (i = 0; i < n; i++)
		sorted[i] = &names[i];
	qsort(sorted, n, sizeof(*sorted), string_compare_indirect);
	for (i = 1; i < n && unique; i++) {
		if (string_compare(sorted[i - 1], sorted[i]) == 0) {
			string_copy(&ref->duplicate, sorted[i]);
			unique = false;
		}
	}
	free(sorted);
	return unique || fail(ref, JSON_REF_DUPLICATE);
}

static void
keep_requested(struct json_ref *ref, const struct json_ref_string *name,
	       const struct json_ref_string *value)
{
	size_t i;

	for (i = 0; i < ref->n_requested; i++) {
		if (strlen(ref->requested[i]) != name->len ||
		    memcmp(ref->requested[i], name->data, name->len) != 0 ||
		    ref->have_value[i])
			continue;
		ref->have_value[i] = true;
		string_copy(&ref->values[i], value);
	}
}

/* Notes <name> when it is requested and its value is not a string. */
static void
note_mistyped(struct json_ref *ref, const struct json_ref_string *name,
	      enum json_ref_type type)
{
	size_t i;

	if (ref->mistyped || type == JSON_REF_STRING)
		return;
	for (i = 0; i < ref->n_requested; i++) {
		if (strlen(ref->requested[i]) == name->len &&
		    memcmp(ref->requested[i], name->data, name->len) == 0) {
			ref->mistyped = true;
			ref->mistyped_type = type;
			string_copy(&ref->mistyped_name, name);
			return;
		}
	}
}

/* Reads the members of an object after its '{' into <names> and <n>.
 * With <top> set, the string values of requested members are kept. */
static bool
read_members(struct json_ref *ref, bool top, struct json_ref_string **names,
	     size_t *n)
{
	struct json_ref_string value = {0};
	bool ok = false;

	for (;;) {
		const struct json_ref_string *outer = ref->member;
		struct json_ref_string *name;
		enum json_ref_type type;

		skip_whitespace(ref);
		if (ref->p >= ref->end || *ref->p != '"') {
			fail(ref, JSON_REF_SYNTAX);
			break;
		}
		name = realloc(*names, (*n + 1) * sizeof(**names));
		if (name == NULL) {
			fprintf(stderr, "json_ref: realloc failed\n");
			exit(1);
		}
		*names = name;
		name = &(*names)[(*n)++];
		memset(name, 0, sizeof(*name));
		if (!read_string(ref, name, true))
			break;
		skip_whitespace(ref);
		if (ref->p >= ref->end || *ref->p != ':') {
			fail(ref, JSON_REF_SYNTAX);
			break;
		}
		ref->p++;
		ref->member = name;
		ok = read_value(ref, &type, &value);
		ref->member = outer;
		if (!ok)
			break;
		if (top && type == JSON_REF_STRING)
			keep_requested(ref, name, &value);
		if (top)
			note_mistyped(ref, name, type);
		ok = false;
		skip_whitespace(ref);
		if (ref->p < ref->end && *ref->p == '}') {
			ref->p++;
			ok = true;
			break;
		}
		if (ref->p >= ref->end || *ref->p != ',') {
			fail(ref, JSON_REF_SYNTAX);
			break;
		}
		ref->p++;
	}
	free(value.data);
	return ok;
}

static bool
read_object(struct json_ref *ref, bool top)
{
	struct json_ref_string *names = NULL;
	size_t n = 0, i;
	bool ok;

	if (!enter(ref))
		return false;
	skip_whitespace(ref);
	if (ref->p < ref->end && *ref->p == '}') {
		ref->p++;
		ok = true;
	} else {
		ok = read_members(ref, top, &names, &n) &&
		     check_unique(ref, names, n);
	}
	for (i = 0; i < n; i++)
		free(names[i].data);
	free(names);
	if (ok)
		ref->depth--;
	return ok;
}

/* Reads one value. A string's decoded text goes to <string>. */
static bool
read_value(struct json_ref *ref, enum json_ref_type *type,
	   struct json_ref_string *string)
{
	skip_whitespace(ref);
	if (ref->p >= ref->end)
		return fail(ref, JSON_REF_SYNTAX);
	switch (*ref->p) {
	case '{':
		*type = JSON_REF_OBJECT;
		return read_object(ref, ref->depth == 0);
	case '[':
		*type = JSON_REF_ARRAY;
		return read_array(ref);
	case '"':
		*type = JSON_REF_STRING;
		return read_string(ref, string, false);
	case 't':
		*type = JSON_REF_BOOLEAN;
		return read_literal(ref, "true");
	case 'f':
		*type = JSON_REF_BOOLEAN;
		return read_literal(ref, "false");
	case 'n':
		*type = JSON_REF_NULL;
		return read_literal(ref, "null");
	default:
		*type = JSON_REF_NUMBER;
		return read_number(ref);
	}
}

void
json_ref_run(struct json_ref *ref, const uint8_t *data, size_t size,
	     const char *const *requested, size_t n_requested)
{
	struct json_ref_string scratch = {0};

	if (n_requested > JSON_REF_REQUESTED_MAX) {
		fprintf(stderr, "json_ref: %zu requested members, at most %d\n",
			n_requested, JSON_REF_REQUESTED_MAX);
		exit(1);
	}
	memset(ref, 0, sizeof(*ref));
	ref->p = data;
	ref->end = data + size;
	ref->requested = requested;
	ref->n_requested = n_requested;
	if (read_value(ref, &ref->top_type, &scratch)) {
		skip_whitespace(ref);
		if (ref->p != ref->end)
			fail(ref, JSON_REF_SYNTAX);
	}
	free(scratch.data);
}

void
json_ref_free(struct json_ref *ref)
{
	size_t i;

	free(ref->duplicate.data);
	free(ref->nul_member.data);
	free(ref->mistyped_name.data);
	for (i = 0; i < JSON_REF_REQUESTED_MAX; i++)
		free(ref->values[i].data);
	memset(ref, 0, sizeof(*ref));
}

/* Broken text, too deep nesting and a name given twice come first, then
 * a top-level value that is not an object, then a NUL. */
int
json_ref_expected_rc(const struct json_ref *ref)
{
	if (ref->result != JSON_REF_OK)
		return -EINVAL;
	if (ref->top_type != JSON_REF_OBJECT)
		return -ENOMSG;
	if (ref->nul_seen)
		return -EILSEQ;
	if (ref->mistyped)
		return -ENOMSG;
	return 0;
}

const char *
json_ref_type_name(enum json_ref_type type)
{
	switch (type) {
	case JSON_REF_OBJECT:
		return "an object";
	case JSON_REF_ARRAY:
		return "an array";
	case JSON_REF_STRING:
		return "a string";
	case JSON_REF_NUMBER:
		return "a number";
	case JSON_REF_BOOLEAN:
		return "a boolean";
	case JSON_REF_NULL:
		return "null";
	}
	return "an unknown type";
}
