/*
 * Fuzz harness for vigil-web's request-body parser, vg_json_parse_members(),
 * and for vg_jbuf_string(), whose output that parser must read back.
 *
 * Each input goes through the parser and through the reference checker
 * of json_ref.c, which is written apart from web/json.c. The checker
 * follows the grammar of RFC 8259 and the rules json.h adds: at most
 * VG_JSON_DEPTH_MAX arrays and objects open at once, no object that names
 * a member twice, no unpaired surrogate escape, no requested member whose
 * value is not a string. The two must agree on the
 * return code, on the member named in <member>, on the messages json.h
 * gives to clients, and on the decoded value of every requested member.
 * Besides that:
 *   - values are valid UTF-8, and on failure every value is NULL;
 *   - <err> and <member> are NUL-terminated inside the buffers given, and
 *     short buffers get a prefix of what long ones get;
 *   - a second parse and a parse of the same text between whitespace
 *     give the same result, and so does a parse that requests no member
 *     unless a requested member had the wrong type;
 *   - an object cut short before its closing brace is invalid;
 *   - vg_jbuf_string() turns the input bytes into a JSON string with no
 *     raw control byte, '<', '>' or '&', which parses back to the input,
 *     each byte of an invalid UTF-8 sequence read as U+0080..U+00FF.
 * A broken invariant aborts, so libFuzzer reports it like a crash, and
 * libFuzzer's leak check covers the parser's error paths.
 *
 * Built with -fsanitize=fuzzer and -DVG_FUZZ_LIBFUZZER, libFuzzer supplies
 * main(). Built without them, main() below replays the files and
 * directories named on the command line through the same entry point:
 * each file whole and, when it has at most REPLAY_PREFIX_MAX bytes, cut
 * short at every byte. Each input sits in a buffer of exactly its size,
 * so a read past the end shows up under AddressSanitizer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/json.h"

#include "json_ref.h"

/* The members vigil-web's handlers request, and two names that only
 * escapes or UTF-8 in the input can spell. */
static const char *const requested_names[] = {
    "user", "password", "message", "-", "", "\xc3\xa9",
};
#define MESSAGE_INDEX 2
#define N_REQUESTED (sizeof(requested_names) / sizeof(requested_names[0]))

#define ERR_LEN 256
#define MEMBER_LEN 80
#define SHORT_ERR_LEN 8
#define SHORT_MEMBER_LEN 4

/* The parser stores at most this many bytes of the name of the member
 * named in a NUL error (json.h). */
#define NUL_MEMBER_MAX 63

/* Name of the file being replayed, for the failure message. */
static const char *input_name;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool cond, const char *what, size_t size)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz_json: invariant failed: %s input=%s size=%zu\n",
		what, input_name != NULL ? input_name : "-", size);
	abort();
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n > 0 ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "fuzz_json: malloc(%zu) failed\n", n);
		exit(1);
	}
	return p;
}

struct parse_result {
	int rc;
	char err[ERR_LEN];
	char member[MEMBER_LEN];
	char *values[N_REQUESTED]; /* copies, NULL when not stored */
};

/* Left in each value before the parse, which must reset it. */
static char stale_value[] = "stale";

/*
 * Runs the parser on a copy of <data> in a buffer of exactly <size>
 * bytes, with <err> and <member> buffers of exactly <err_len> and
 * <member_len> bytes (no <member> buffer when <member_len> is 0), and
 * copies what it stored into <out>.
 */
static void
parse(const uint8_t *data, size_t size, size_t err_len, size_t member_len,
      bool with_members, struct parse_result *out)
{
	struct vg_json_member members[N_REQUESTED];
	char *text = xmalloc(size);
	char *err = xmalloc(err_len);
	char *member = member_len > 0 ? xmalloc(member_len) : NULL;
	size_t i;

	memcpy(text, data, size);
	memset(err, 'E', err_len);
	if (member != NULL)
		memset(member, 'M', member_len);
	for (i = 0; i < N_REQUESTED; i++) {
		members[i].name = requested_names[i];
		members[i].value = stale_value;
	}

	memset(out, 0, sizeof(*out));
	out->rc = vg_json_parse_members(text, size, members,
					with_members ? N_REQUESTED : 0, err,
					err_len, member, member_len);

	if (out->rc != 0) {
		check(memchr(err, '\0', err_len) != NULL, "err NUL-terminated",
		      size);
		snprintf(out->err, sizeof(out->err), "%s", err);
	}
	if (member != NULL) {
		check(memchr(member, '\0', member_len) != NULL,
		      "member NUL-terminated", size);
		snprintf(out->member, sizeof(out->member), "%s", member);
	}
	for (i = 0; i < N_REQUESTED && with_members; i++) {
		check(members[i].value != stale_value, "value reset", size);
		if (members[i].value != NULL)
			out->values[i] = strdup(members[i].value);
	}
	if (with_members) {
		vg_json_members_free(members, N_REQUESTED);
		for (i = 0; i < N_REQUESTED; i++)
			check(members[i].value == NULL, "value NULL after free",
			      size);
	}
	free(member);
	free(err);
	free(text);
}

static void
parse_result_free(struct parse_result *r)
{
	size_t i;

	for (i = 0; i < N_REQUESTED; i++)
		free(r->values[i]);
}

static bool
same_values(const struct parse_result *a, const struct parse_result *b)
{
	size_t i;

	for (i = 0; i < N_REQUESTED; i++) {
		if ((a->values[i] == NULL) != (b->values[i] == NULL))
			return false;
		if (a->values[i] != NULL &&
		    strcmp(a->values[i], b->values[i]) != 0)
			return false;
	}
	return true;
}

/* Returns <s> cut to <max> bytes, in <buf> of <buf_len> bytes. */
static const char *
truncated(char *buf, size_t buf_len, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		n = max;
	if (n >= buf_len)
		n = buf_len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* Returns the whole name that json.h documents for <member>, and in
 * <max> the length the parser cuts it to. */
static const char *
expected_member(const struct json_ref *ref, int rc, size_t *max)
{
	*max = SIZE_MAX;
	if (rc == -EINVAL && ref->result == JSON_REF_DUPLICATE)
		return ref->duplicate.data;
	if (rc == -EILSEQ && !ref->nul_in_name) {
		*max = NUL_MEMBER_MAX;
		return ref->nul_member.data != NULL ? ref->nul_member.data : "";
	}
	if (rc == -ENOMSG && ref->top_type == JSON_REF_OBJECT)
		return ref->mistyped_name.data;
	return "";
}

/* Checks <r>, from buffers of <err_len> and <member_len> bytes, against
 * what the reference checker found. */
static void
check_against_ref(const struct parse_result *r, const struct json_ref *ref,
		  size_t err_len, size_t member_len, size_t size)
{
	char expected[ERR_LEN], nul_name[NUL_MEMBER_MAX + 1];
	const char *member;
	size_t max, i;

	check(r->rc == json_ref_expected_rc(ref),
	      "return code as the reference", size);
	if (r->rc != 0) {
		check(err_len < 2 || r->err[0] != '\0', "err not empty", size);
		check(strlen(r->err) < err_len, "err inside its buffer", size);
	}
	if (member_len > 0) {
		member = expected_member(ref, r->rc, &max);
		check(strcmp(r->member,
			     truncated(expected, member_len, member, max)) == 0,
		      "member as the reference", size);
	}

	if (r->rc == -ENOMSG && ref->top_type != JSON_REF_OBJECT) {
		snprintf(expected, err_len,
			 "the body must be a JSON object, not %s",
			 json_ref_type_name(ref->top_type));
		check(strcmp(r->err, expected) == 0, "message for a non-object",
		      size);
	}
	if (r->rc == -ENOMSG && ref->top_type == JSON_REF_OBJECT) {
		snprintf(expected, err_len,
			 "the member '%s' must be a string, not %s",
			 ref->mistyped_name.data,
			 json_ref_type_name(ref->mistyped_type));
		check(strcmp(r->err, expected) == 0,
		      "message for a member that is not a string", size);
	}
	if (r->rc == -EILSEQ && ref->nul_in_name) {
		snprintf(expected, err_len,
			 "a member name contains a NUL byte (\\u0000)");
		check(strcmp(r->err, expected) == 0,
		      "message for a NUL in a name", size);
	}
	if (r->rc == -EILSEQ && !ref->nul_in_name) {
		truncated(nul_name, sizeof(nul_name),
			  expected_member(ref, r->rc, &max), max);
		snprintf(expected, err_len,
			 "member '%s' contains a NUL byte (\\u0000)", nul_name);
		check(strcmp(r->err, expected) == 0,
		      "message for a NUL in a value", size);
	}

	for (i = 0; i < N_REQUESTED; i++) {
		const char *v = r->values[i];

		if (r->rc != 0 || !ref->have_value[i]) {
			check(v == NULL, "no value stored", size);
			continue;
		}
		check(v != NULL, "value stored", size);
		check(strlen(v) == ref->values[i].len,
		      "value length as the reference", size);
		check(memcmp(v, ref->values[i].data, ref->values[i].len) == 0,
		      "value as the reference", size);
		check(json_ref_utf8_valid((const uint8_t *)v, strlen(v)),
		      "value valid UTF-8", size);
	}
}

/* The result must not change when whitespace surrounds the text. */
static void
check_whitespace(const uint8_t *data, size_t size,
		 const struct parse_result *plain)
{
	static const char before[] = " \t\r\n";
	static const char after[] = "\r\n\t ";
	size_t n = sizeof(before) - 1 + size + sizeof(after) - 1;
	uint8_t *padded = xmalloc(n);
	struct parse_result r;

	memcpy(padded, before, sizeof(before) - 1);
	if (size > 0)
		memcpy(padded + sizeof(before) - 1, data, size);
	memcpy(padded + n - (sizeof(after) - 1), after, sizeof(after) - 1);
	parse(padded, n, ERR_LEN, MEMBER_LEN, true, &r);
	check(r.rc == plain->rc, "same code between whitespace", size);
	check(strcmp(r.member, plain->member) == 0,
	      "same member between whitespace", size);
	check(same_values(&r, plain), "same values between whitespace", size);
	parse_result_free(&r);
	free(padded);
}

/* An object cut before its closing brace must be invalid. */
static void
check_truncation(const uint8_t *data, size_t size, const struct json_ref *ref)
{
	struct parse_result r;
	size_t close = size;
	int k;

	if (ref->top_type != JSON_REF_OBJECT || ref->result != JSON_REF_OK)
		return;
	while (close > 0 && data[close - 1] != '}')
		close--;
	check(close > 0, "a valid object ends with '}'", size);
	close--;
	for (k = 0; k <= 8; k++) {
		size_t cut = close * (size_t)k / 8;

		parse(data, cut, ERR_LEN, MEMBER_LEN, true, &r);
		check(r.rc == -EINVAL, "object cut short is invalid", size);
		parse_result_free(&r);
	}
}

/* vg_jbuf_string() must give JSON that parses back to <data>. */
static void
check_writer(const uint8_t *data, size_t size)
{
	static const char head[] = "{\"message\":";
	struct vg_jbuf b = {0};
	struct json_ref_string expected = {0};
	struct parse_result r;
	size_t i;

	vg_jbuf_lit(&b, head);
	vg_jbuf_string(&b, (const char *)data, size);
	vg_jbuf_lit(&b, "}");
	if (b.failed) {
		vg_jbuf_free(&b);
		return;
	}
	check(b.len >= sizeof(head) + 2, "writer output length", size);
	check(json_ref_utf8_valid((const uint8_t *)b.data, b.len),
	      "writer output valid UTF-8", size);
	for (i = sizeof(head) - 1; i < b.len; i++) {
		uint8_t c = (uint8_t)b.data[i];

		check(c >= 0x20 && c != 0x7f, "writer escapes control bytes",
		      size);
		check(c != '<' && c != '>' && c != '&',
		      "writer escapes '<', '>' and '&'", size);
	}

	json_ref_string_add(&expected, "", 0);
	for (i = 0; i < size;) {
		size_t n = json_ref_utf8_length(data + i, size - i);

		if (n == 0) {
			json_ref_string_add_code_point(&expected, data[i]);
			n = 1;
		} else {
			json_ref_string_add(&expected, data + i, n);
		}
		i += n;
	}

	parse((const uint8_t *)b.data, b.len, ERR_LEN, MEMBER_LEN, true, &r);
	if (memchr(data, '\0', size) != NULL) {
		check(r.rc == -EILSEQ, "writer's \\u0000 read back as a NUL",
		      size);
		check(strcmp(r.member, "message") == 0,
		      "writer's \\u0000 named in its member", size);
	} else {
		const char *v = r.values[MESSAGE_INDEX];

		check(r.rc == 0, "writer output parses", size);
		check(v != NULL, "writer output has its member", size);
		check(strlen(v) == expected.len,
		      "writer output reads back to the input's length", size);
		check(memcmp(v, expected.data, expected.len) == 0,
		      "writer output reads back to the input", size);
	}
	parse_result_free(&r);
	free(expected.data);
	vg_jbuf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_result full, again, short_bufs, no_member, no_requested;
	struct json_ref ref;
	struct json_ref bare_ref;

	json_ref_run(&ref, data, size, requested_names, N_REQUESTED);

	parse(data, size, ERR_LEN, MEMBER_LEN, true, &full);
	check_against_ref(&full, &ref, ERR_LEN, MEMBER_LEN, size);

	parse(data, size, ERR_LEN, MEMBER_LEN, true, &again);
	check(again.rc == full.rc, "same code twice", size);
	check(strcmp(again.err, full.err) == 0, "same err twice", size);
	check(strcmp(again.member, full.member) == 0, "same member twice",
	      size);
	check(same_values(&again, &full), "same values twice", size);

	parse(data, size, SHORT_ERR_LEN, SHORT_MEMBER_LEN, true, &short_bufs);
	check_against_ref(&short_bufs, &ref, SHORT_ERR_LEN, SHORT_MEMBER_LEN,
			  size);
	check(strncmp(short_bufs.err, full.err, strlen(short_bufs.err)) == 0,
	      "short err is a prefix", size);

	parse(data, size, ERR_LEN, 0, true, &no_member);
	check(no_member.rc == full.rc, "same code without <member>", size);
	check(strcmp(no_member.err, full.err) == 0,
	      "same err without <member>", size);
	check(same_values(&no_member, &full), "same values without <member>",
	      size);

	/* Without requested members no member can have the wrong type, so
	 * the code is the reference's for that case, and only then the
	 * same as with them. */
	json_ref_run(&bare_ref, data, size, requested_names, 0);
	parse(data, size, ERR_LEN, MEMBER_LEN, false, &no_requested);
	check_against_ref(&no_requested, &bare_ref, ERR_LEN, MEMBER_LEN, size);
	if (!ref.mistyped || full.rc != -ENOMSG ||
	    ref.top_type != JSON_REF_OBJECT) {
		check(no_requested.rc == full.rc,
		      "same code with no member requested", size);
		check(strcmp(no_requested.err, full.err) == 0,
		      "same err with no member requested", size);
		check(strcmp(no_requested.member, full.member) == 0,
		      "same member with no member requested", size);
	} else {
		check(no_requested.rc == 0,
		      "a mistyped member is an error only when requested",
		      size);
	}

	check_whitespace(data, size, &full);
	check_truncation(data, size, &ref);
	check_writer(data, size);

	parse_result_free(&full);
	parse_result_free(&again);
	parse_result_free(&short_bufs);
	parse_result_free(&no_member);
	parse_result_free(&no_requested);
	json_ref_free(&ref);
	json_ref_free(&bare_ref);
	return 0;
}

#ifndef VG_FUZZ_LIBFUZZER
#include <sys/stat.h>

#include "replay_dir.h"

/* Files up to this size are also replayed cut short at every byte. */
#define REPLAY_PREFIX_MAX 4096

struct replay {
	unsigned long files;
	unsigned long inputs;
	unsigned long failed; /* paths that could not be read */
};

/* Runs <len> bytes at <data> from a buffer of exactly that size. */
static void
run_exact(struct replay *r, const uint8_t *data, size_t len)
{
	uint8_t *copy = xmalloc(len);

	if (len > 0)
		memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	r->inputs++;
}

static int
replay_file(struct replay *r, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cut;
	long size;

	if (f == NULL) {
		fprintf(stderr, "fuzz_json: open %s failed: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	buf = xmalloc((size_t)size);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto fail;
	fclose(f);

	input_name = path;
	run_exact(r, buf, (size_t)size);
	for (cut = 0; size <= REPLAY_PREFIX_MAX && cut < (size_t)size; cut++)
		run_exact(r, buf, cut);
	input_name = NULL;
	free(buf);
	r->files++;
	return 0;

fail:
	fprintf(stderr, "fuzz_json: read %s failed: %s\n", path,
		strerror(errno));
	free(buf);
	fclose(f);
	return -1;
}

/* Replays one file for vg_fuzz_replay_path(). */
static int
replay_one(void *ctx, const char *path)
{
	return replay_file(ctx, path);
}

static int
replay_path(struct replay *r, const char *path)
{
	return vg_fuzz_replay_path("fuzz_json", path, replay_one, r, &r->failed);
}

int
main(int argc, char **argv)
{
	struct replay r = {0};
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (replay_path(&r, argv[i]) != 0)
			r.failed++;
	}
	printf("fuzz_json: files=%lu inputs=%lu failed=%lu\n", r.files,
	       r.inputs, r.failed);
	if (r.files == 0) {
		fprintf(stderr, "fuzz_json: no input file found\n");
		return 1;
	}
	return r.failed != 0 ? 1 : 0;
}
#endif
