/*
 * JSON writer and request-body parser; see json.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "json.h"

static bool
reserve(struct vg_jbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void
vg_jbuf_free(struct vg_jbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void
vg_jbuf_raw(struct vg_jbuf *b, const char *text, size_t len)
{
	if (!reserve(b, len))
		return;
	memcpy(b->data + b->len, text, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
vg_jbuf_printf(struct vg_jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
vg_jbuf_string(struct vg_jbuf *b, const char *text, size_t len)
{
	const uint8_t *s = (const uint8_t *)text;

	vg_jbuf_lit(b, "\"");
	while (len > 0 && !b->failed) {
		size_t seq = vg_utf8_sequence(s, len);

		if (seq == 0) {
			vg_jbuf_printf(b, "\\u%04x", s[0]);
			seq = 1;
		} else if (seq > 1) {
			vg_jbuf_raw(b, (const char *)s, seq);
		} else if (s[0] == '"' || s[0] == '\\') {
			vg_jbuf_printf(b, "\\%c", s[0]);
		} else if (s[0] < 0x20 || s[0] == 0x7f || s[0] == '<' ||
			   s[0] == '>' || s[0] == '&') {
			vg_jbuf_printf(b, "\\u%04x", s[0]);
		} else {
			vg_jbuf_raw(b, (const char *)s, 1);
		}
		s += seq;
		len -= seq;
	}
	vg_jbuf_lit(b, "\"");
}

void
vg_jbuf_key(struct vg_jbuf *b, bool first, const char *key)
{
	if (!first)
		vg_jbuf_lit(b, ",");
	vg_jbuf_string(b, key, strlen(key));
	vg_jbuf_lit(b, ":");
}

void
vg_jbuf_time(struct vg_jbuf *b, uint64_t us)
{
	vg_jbuf_printf(b, "%llu.%06llu", (unsigned long long)(us / 1000000),
		       (unsigned long long)(us % 1000000));
}

/* ---- parser ---- */

struct parser {
	const char *start;     /* first byte of the text, for error offsets */
	const char *p;
	const char *end;
	char *err;
	size_t err_len;
	char *member;          /* out: the member named twice, or "" */
	size_t member_len;
	unsigned int depth;    /* arrays and objects open */
	const char *current;   /* the innermost member whose value is read */
	bool in_name;          /* a member name is being read */
	bool nul_seen;         /* a string contained \u0000 */
	bool nul_in_name;      /* ... in a member name */
	char nul_member[64];   /* ... else in this member's value */
	/* The first wanted member whose value is not a string, and the
	 * type it has instead. */
	const char *mistyped;
	const char *mistyped_type;
};

/*
 * Reports <what> at <at>, the first byte that is wrong (the end of the
 * text when it is cut short), as a 0-based offset into the text.
 */
static int
perror_oom(struct parser *ps)
{
	snprintf(ps->err, ps->err_len, "out of memory");
	return -EINVAL;
}

static int
perror_at(struct parser *ps, const char *at, const char *what)
{
	snprintf(ps->err, ps->err_len, "%s at byte offset %zu", what,
		 (size_t)(at - ps->start));
	return -EINVAL;
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
hex4(struct parser *ps, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	if (ps->end - ps->p < 4)
		return perror_at(ps, ps->p, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		char c = *ps->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return perror_at(ps, ps->p - 1, "invalid \\u escape");
	}
	*out = v;
	return 0;
}

static void
put_utf8(char **o, uint32_t cp)
{
	char *d = *o;

	if (cp < 0x80) {
		*d++ = (char)cp;
	} else if (cp < 0x800) {
		*d++ = (char)(0xc0 | cp >> 6);
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*d++ = (char)(0xe0 | cp >> 12);
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*d++ = (char)(0xf0 | cp >> 18);
		*d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	}
	*o = d;
}

static int
parse_escape(struct parser *ps, char **o)
{
	uint32_t cp;
	uint32_t lo;
	char c;

	if (ps->p >= ps->end)
		return perror_at(ps, ps->p, "truncated escape");
	c = *ps->p++;
	switch (c) {
	case '"': case '\\': case '/':
		*(*o)++ = c;
		return 0;
	case 'b': *(*o)++ = '\b'; return 0;
	case 'f': *(*o)++ = '\f'; return 0;
	case 'n': *(*o)++ = '\n'; return 0;
	case 'r': *(*o)++ = '\r'; return 0;
	case 't': *(*o)++ = '\t'; return 0;
	case 'u':
		break;
	default:
		return perror_at(ps, ps->p - 1, "invalid escape");
	}
	if (hex4(ps, &cp) != 0)
		return -EINVAL;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
			return perror_at(ps, ps->p, "unpaired surrogate");
		ps->p += 2;
		if (hex4(ps, &lo) != 0)
			return -EINVAL;
		if (lo < 0xdc00 || lo > 0xdfff)
			return perror_at(ps, ps->p - 6, "unpaired surrogate");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		return perror_at(ps, ps->p - 6, "unpaired surrogate");
	}
	if (cp == 0 && !ps->nul_seen) {
		/* Valid JSON, but no C string can carry it: the first one is
		 * remembered and reported once the whole text has parsed. It
		 * stays in the decoded text, so that "a\u0000b" and "ab" are
		 * two names. */
		ps->nul_seen = true;
		ps->nul_in_name = ps->in_name;
		snprintf(ps->nul_member, sizeof(ps->nul_member), "%s",
			 ps->current != NULL ? ps->current : "");
	}
	put_utf8(o, cp);
	return 0;
}

/*
 * Parses a string at ps->p (the opening quote). Stores the decoded text
 * in *out (malloc'd and NUL-terminated) when <out> is not NULL, and its
 * length, which counts any decoded NUL bytes, in *out_len when that is not
 * NULL.
 */
static int
parse_string(struct parser *ps, char **out, size_t *out_len)
{
	const char *start = ++ps->p;
	const char *close = start;
	char *buf = NULL;
	char *o = NULL;

	/* Decoded text is never longer than the source, which ends at the
	 * first quote that no backslash escapes. */
	while (close < ps->end && *close != '"')
		close += *close == '\\' && ps->end - close > 1 ? 2 : 1;
	if (out != NULL) {
		buf = malloc((size_t)(close - start) + 1);
		if (buf == NULL)
			return perror_oom(ps);
		o = buf;
	}
	while (ps->p < ps->end && *ps->p != '"') {
		size_t seq;

		if ((uint8_t)*ps->p < 0x20) {
			free(buf);
			return perror_at(ps, ps->p, "control character in a string");
		}
		if (*ps->p == '\\') {
			char scratch[8];
			char *so = scratch;

			ps->p++;
			if (parse_escape(ps, out != NULL ? &o : &so) != 0) {
				free(buf);
				return -EINVAL;
			}
			continue;
		}
		seq = vg_utf8_sequence((const uint8_t *)ps->p,
				    (size_t)(ps->end - ps->p));
		if (seq == 0) {
			free(buf);
			return perror_at(ps, ps->p, "invalid UTF-8");
		}
		if (o != NULL) {
			memcpy(o, ps->p, seq);
			o += seq;
		}
		ps->p += seq;
	}
	if (ps->p >= ps->end) {
		free(buf);
		return perror_at(ps, ps->p, "unterminated string");
	}
	ps->p++;
	if (out != NULL) {
		*o = '\0';
		*out = buf;
		if (out_len != NULL)
			*out_len = (size_t)(o - buf);
	}
	return 0;
}

static int
parse_number(struct parser *ps)
{
	const char *p = ps->p;

	if (p < ps->end && *p == '-')
		p++;
	if (p >= ps->end)
		return perror_at(ps, p, "invalid number");
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return perror_at(ps, p, "invalid value");
	}
	if (p < ps->end && *p == '.') {
		p++;
		if (p >= ps->end || *p < '0' || *p > '9')
			return perror_at(ps, p, "invalid number");
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || *p < '0' || *p > '9')
			return perror_at(ps, p, "invalid number");
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	ps->p = p;
	return 0;
}

static int
parse_literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return perror_at(ps, ps->p, "invalid value");
	ps->p += n;
	return 0;
}

static int parse_value(struct parser *ps);

static int
parse_elements(struct parser *ps)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return 0;
	}
	for (;;) {
		if (parse_value(ps) != 0)
			return -EINVAL;
		skip_ws(ps);
		if (ps->p >= ps->end)
			return perror_at(ps, ps->p, "unterminated array");
		if (*ps->p == ']') {
			ps->p++;
			return 0;
		}
		if (*ps->p != ',')
			return perror_at(ps, ps->p, "expected ',' or ']'");
		ps->p++;
	}
}

/* Counts the array or object at ps->p as open and steps over its first
 * byte. The caller closes it with ps->depth--. */
static int
open_container(struct parser *ps)
{
	if (ps->depth >= VG_JSON_DEPTH_MAX)
		return perror_at(ps, ps->p, "nested too deeply");
	ps->depth++;
	ps->p++;
	return 0;
}

static int
parse_array(struct parser *ps)
{
	int rc;

	if (open_container(ps) != 0)
		return -EINVAL;
	rc = parse_elements(ps);
	ps->depth--;
	return rc;
}

/* A decoded member name, which may contain NUL bytes from \u0000. */
struct member_name {
	char *text;
	size_t len;
};

/* Orders names byte by byte, a prefix before the longer name. */
static int
compare_names(const void *a, const void *b)
{
	const struct member_name *x = a;
	const struct member_name *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->text, y->text, n);

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/*
 * Checks that no two of the <n> decoded member names of one object are
 * equal; sorting keeps this O(n log n) for an object with many members.
 * Sorts <names>. The name reported is cut at its first NUL byte.
 */
static int
check_unique(struct parser *ps, struct member_name *names, size_t n)
{
	size_t i;

	qsort(names, n, sizeof(names[0]), compare_names);
	for (i = 1; i < n; i++) {
		if (compare_names(&names[i - 1], &names[i]) == 0) {
			snprintf(ps->member, ps->member_len, "%s",
				 names[i].text);
			snprintf(ps->err, ps->err_len,
				 "member '%.*s' appears more than once",
				 VG_UTF8_QUOTE(names[i].text, 64));
			return -EINVAL;
		}
	}
	return 0;
}

/* Names the JSON type of a value whose first byte is <c>. */
static const char *
json_type_name(char c)
{
	switch (c) {
	case '{':
		return "an object";
	case '[':
		return "an array";
	case '"':
		return "a string";
	case 't':
	case 'f':
		return "a boolean";
	case 'n':
		return "null";
	default:
		return "a number";
	}
}

/*
 * Parses the members of an object into <names> and <n>: each decoded
 * name, then its value. At the top level (<members> not NULL) the string
 * values of wanted members are kept.
 */
static int
parse_members(struct parser *ps, struct vg_json_member *members,
	      size_t n_members, struct member_name **names, size_t *n)
{
	size_t cap = 0;

	for (;;) {
		struct vg_json_member *want = NULL;
		const char *outer = ps->current;
		char *name = NULL;
		size_t name_len = 0;
		size_t i;
		int rc;

		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"')
			return perror_at(ps, ps->p, "expected a member name");
		if (*n == cap) {
			struct member_name *grown;

			cap = cap ? cap * 2 : 8;
			grown = realloc(*names, cap * sizeof(**names));
			if (grown == NULL)
				return perror_oom(ps);
			*names = grown;
		}
		ps->in_name = true;
		rc = parse_string(ps, &name, &name_len);
		ps->in_name = false;
		if (rc != 0)
			return -EINVAL;
		(*names)[*n].text = name;
		(*names)[*n].len = name_len;
		(*n)++;
		for (i = 0; members != NULL && i < n_members; i++) {
			if (strlen(members[i].name) == name_len &&
			    memcmp(members[i].name, name, name_len) == 0)
				want = &members[i];
		}
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return perror_at(ps, ps->p, "expected ':'");
		ps->p++;
		skip_ws(ps);
		ps->current = name;
		if (want != NULL && ps->p < ps->end && *ps->p == '"') {
			/* A member given twice is rejected once the object
			 * ends; until then the first value is kept. */
			char **value = want->value == NULL ? &want->value :
							     NULL;

			rc = parse_string(ps, value, NULL);
		} else {
			if (want != NULL && ps->mistyped == NULL &&
			    ps->p < ps->end) {
				ps->mistyped = want->name;
				ps->mistyped_type = json_type_name(*ps->p);
			}
			rc = parse_value(ps);
		}
		ps->current = outer;
		if (rc != 0)
			return -EINVAL;
		skip_ws(ps);
		if (ps->p >= ps->end)
			return perror_at(ps, ps->p, "unterminated object");
		if (*ps->p == '}') {
			ps->p++;
			return 0;
		}
		if (*ps->p != ',')
			return perror_at(ps, ps->p, "expected ',' or '}'");
		ps->p++;
	}
}

/*
 * Parses an object and rejects one that names a member twice: RFC 8259
 * leaves such an object's meaning to each parser, and two parsers that
 * pick different values (the first, the last) would read one request
 * two ways.
 */
static int
parse_object(struct parser *ps, struct vg_json_member *members, size_t n)
{
	struct member_name *names = NULL;
	size_t count = 0;
	size_t i;
	int rc;

	if (open_container(ps) != 0)
		return -EINVAL;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		ps->depth--;
		return 0;
	}
	rc = parse_members(ps, members, n, &names, &count);
	if (rc == 0)
		rc = check_unique(ps, names, count);
	for (i = 0; i < count; i++)
		free(names[i].text);
	free(names);
	ps->depth--;
	return rc;
}

static int
parse_value(struct parser *ps)
{
	int rc;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return perror_at(ps, ps->p, "unexpected end of input");
	switch (*ps->p) {
	case '{':
		rc = parse_object(ps, NULL, 0);
		break;
	case '[':
		rc = parse_array(ps);
		break;
	case '"':
		rc = parse_string(ps, NULL, NULL);
		break;
	case 't':
		rc = parse_literal(ps, "true");
		break;
	case 'f':
		rc = parse_literal(ps, "false");
		break;
	case 'n':
		rc = parse_literal(ps, "null");
		break;
	default:
		rc = parse_number(ps);
		break;
	}
	return rc;
}

/*
 * Parses a top-level value that is not an object, so that valid JSON of
 * the wrong type gets its own message (-ENOMSG) and broken text is still
 * called invalid JSON (-EINVAL).
 */
static int
reject_non_object(struct parser *ps)
{
	const char *value = ps->p;

	if (parse_value(ps) != 0)
		return -EINVAL;
	skip_ws(ps);
	if (ps->p != ps->end)
		return perror_at(ps, ps->p, "unexpected text after the value");
	snprintf(ps->err, ps->err_len, "the body must be a JSON object, not %s",
		 json_type_name(*value));
	return -ENOMSG;
}

int
vg_json_parse_members(const char *text, size_t len,
		      struct vg_json_member *members, size_t n_members,
		      char *err, size_t err_len, char *member,
		      size_t member_len)
{
	struct parser ps = { .start = text, .p = text, .end = text + len,
			     .err = err,
			     .err_len = err_len, .member = member,
			     .member_len = member_len };
	size_t i;

	if (member_len > 0)
		member[0] = '\0';
	for (i = 0; i < n_members; i++)
		members[i].value = NULL;
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{')
		return reject_non_object(&ps);
	if (parse_object(&ps, members, n_members) != 0)
		goto fail;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		perror_at(&ps, ps.p, "unexpected text after the object");
		goto fail;
	}
	if (ps.nul_seen) {
		if (ps.nul_in_name) {
			snprintf(err, err_len,
				 "a member name contains a NUL byte (\\u0000)");
		} else {
			if (member_len > 0)
				snprintf(member, member_len, "%s",
					 ps.nul_member);
			snprintf(err, err_len,
				 "member '%s' contains a NUL byte (\\u0000)",
				 ps.nul_member);
		}
		vg_json_members_free(members, n_members);
		return -EILSEQ;
	}
	if (ps.mistyped != NULL) {
		if (member_len > 0)
			snprintf(member, member_len, "%s", ps.mistyped);
		snprintf(err, err_len, "the member '%s' must be a string, not %s",
			 ps.mistyped, ps.mistyped_type);
		vg_json_members_free(members, n_members);
		return -ENOMSG;
	}
	return 0;
fail:
	vg_json_members_free(members, n_members);
	return -EINVAL;
}

void
vg_json_members_free(struct vg_json_member *members, size_t n_members)
{
	size_t i;

	for (i = 0; i < n_members; i++) {
		free(members[i].value);
		members[i].value = NULL;
	}
}
