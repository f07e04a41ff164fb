/*
 * vigil-sandbox-inproc-bench: runs the flow hooks of plugin folders in
 * this process and prints how many flow events a second they take.
 *
 * vigil-sandbox receives its events as protobuf EventBatch messages on
 * shared-memory rings and runs isolated. This program keeps only what lies
 * under that: the same loader, Lua environment and dispatcher
 * (libvg_sandbox), called directly with FlowEvents built in memory, with
 * no second process, no event encoding and no isolation step. Its rate,
 * next to the rate vigil-sandbox-drive measures through a real sandbox
 * with the same template, shows what the process boundary costs;
 * tests/bench/plugin_events.py prints both.
 *
 * Events are built as the driver's flood command builds them: one template
 * parsed from KEY=VALUE words, its l7 parts filled from l7 as the driver
 * fills them (l7_parts.c), copied for each event with the flow id
 * (1, 2...) and the client port (1024 + i % 60000) changed. Only
 * vg_sbx_dispatch_batch() is timed. Result batches are still packed,
 * because the results builder clears its items only by sending them. They
 * go to a ring in private memory and are decoded outside the timed part,
 * to count statuses, alerts and errors.
 *
 * Output is one JSON line of type "rate" on stdout. Its seconds field is
 * the time spent inside vg_sbx_dispatch_batch(), and events_per_sec is
 * events over those seconds. wall_seconds covers the whole loop, building
 * events and decoding results included. The line also gives events,
 * batches, flow_scripts (runnable after loading), load_errors, statuses,
 * alerts, errors and result_batches_dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/shm_ring.h"
#include "sandbox/l7_parts.h"
#include "sandbox/results.h"
#include "sandbox/sandbox.h"
#include "vigil_events.pb-c.h"

#define PROG "vigil-sandbox-inproc-bench"
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define DEFAULT_EVENTS 100000ull
#define DEFAULT_BATCH 256ull
#define DEFAULT_RESULT_BYTES (1u << 20)
/* The batch time vigil-sandbox-drive's flood command sends. */
#define FLOOD_TIME_US 1700000000000000ull

struct bench {
	struct vg_sbx sbx;
	const char *plugins;
	unsigned long long events;     /* n= */
	unsigned long long per_batch;  /* batch= */
	uint32_t result_bytes;
	struct vg_shm_ring *ring_mem;  /* in private memory, not shared */
	struct vg_shm_ring_ref ring;
	uint8_t *buf;                  /* one result message */

	uint64_t batches;
	uint64_t dispatch_ns;
	uint64_t wall_ns;
	uint64_t statuses;
	uint64_t alerts;
	uint64_t errors;
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " --plugins DIR[,DIR...] [options] [n=N] "
		"[batch=M] KEY=VALUE...\n"
		"\n"
		"  --plugins DIR,...     folders holding <group>/<plugin>/\n"
		"  --config FILE         vigil's YAML; only plugins.scripts is "
		"read\n"
		"  --jit P,...|all       plugins run with the JIT on\n"
		"  --memory-mb M         as vigil-sandbox's: each plugin's heap "
		"is limited to half of it (default 256)\n"
		"  --hook-budget-ms MS   time one hook call may run (default "
		"100)\n"
		"  --result-bytes B      bytes of the result ring, a power of "
		"two (default 1048576); result messages are cut at a quarter "
		"of it, as in vigil-sandbox\n"
		"\n"
		"  n=N                   flow events to dispatch (default "
		"100000)\n"
		"  batch=M               events per batch (default 256)\n"
		"  KEY=VALUE             a field of the flow template, as "
		"vigil-sandbox-drive's flow command takes it: hook=NAME, "
		"id=N, l4=TCP|UDP|ICMP|N, client_ip=ADDR, server_ip=ADDR, "
		"lists comma-separated, values percent-decoded; other keys "
		"are FlowEvent field names\n"
		"\n"
		"Prints one JSON line of type \"rate\"; seconds is the time "
		"spent in vg_sbx_dispatch_batch().\n");
}

/* Parses a decimal number in <min>..<max>. Returns 0 or -EINVAL. */
static int
parse_ull(const char *text, unsigned long long min, unsigned long long max,
	  unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Splits "a,b,c" into a NULL-terminated array of copies. Returns 0 or
 * -ENOMEM. */
static int
split_names(const char *text, char ***out, size_t *n_out)
{
	char *copy = strdup(text);
	char **names = NULL;
	char *save = NULL;
	size_t n = 0;
	char *tok;

	if (copy == NULL)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char **grown = realloc(names, (n + 2) * sizeof(*names));

		if (grown == NULL)
			goto nomem;
		names = grown;
		names[n] = strdup(tok);
		if (names[n] == NULL)
			goto nomem;
		names[++n] = NULL;
	}
	free(copy);
	*out = names;
	*n_out = n;
	return 0;
nomem:
	vg_sbx_free_names(names, n);
	free(copy);
	return -ENOMEM;
}

/* --- the flow template ------------------------------------------------ */

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Replaces each %XX of <s> by its byte, in place. "%zz" stays as is. */
static void
percent_decode(char *s)
{
	char *w = s;
	const char *r = s;

	while (*r != '\0') {
		int hi = r[0] == '%' ? hex_digit(r[1]) : -1;
		int lo = hi >= 0 ? hex_digit(r[2]) : -1;

		if (lo >= 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* hook=: a flow hook name as plugins write it, or its FlowHook number. */
static int
parse_hook(const char *value, int *out)
{
	const char *const *names = vg_sbx_hook_names(VG_SBX_FLOW);
	unsigned long long v;
	int i;

	for (i = 0; i < VG_SBX_HOOK_ALL; i++) {
		if (strcmp(value, names[i]) == 0) {
			*out = i + 1;
			return 0;
		}
	}
	if (parse_ull(value, 0, VG_SBX_HOOK_ALL, &v) != 0)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* l4=: TCP, UDP, ICMP or an IP protocol number. */
static int
parse_l4(const char *value, uint32_t *out)
{
	unsigned long long v;

	if (strcmp(value, "TCP") == 0)
		v = 6;
	else if (strcmp(value, "UDP") == 0)
		v = 17;
	else if (strcmp(value, "ICMP") == 0)
		v = 1;
	else if (parse_ull(value, 0, 255, &v) != 0)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_ip(const char *value, ProtobufCBinaryData *out)
{
	uint8_t addr[16];
	size_t len;

	if (inet_pton(AF_INET, value, addr) == 1)
		len = 4;
	else if (inet_pton(AF_INET6, value, addr) == 1)
		len = 16;
	else
		return -EINVAL;
	free(out->data);
	out->data = malloc(len);
	if (out->data == NULL) {
		out->len = 0;
		return -ENOMEM;
	}
	memcpy(out->data, addr, len);
	out->len = len;
	return 0;
}

static int
set_string(const ProtobufCFieldDescriptor *f, char **field, char *value)
{
	char *copy;

	percent_decode(value);
	copy = strdup(value);
	if (copy == NULL)
		return -ENOMEM;
	/* An unset string points at the field's static default. */
	if ((const void *)*field != f->default_value)
		free(*field);
	*field = copy;
	return 0;
}

/* Appends each comma-separated item of <value> to a repeated string. */
static int
add_strings(size_t *n, char ***items, char *value)
{
	char *save = NULL;
	char *tok;

	for (tok = strtok_r(value, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char **grown = realloc(*items, (*n + 1) * sizeof(**items));

		if (grown == NULL)
			return -ENOMEM;
		*items = grown;
		percent_decode(tok);
		(*items)[*n] = strdup(tok);
		if ((*items)[*n] == NULL)
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

/*
 * Sets field <key> of <fe> from the text <value>, which it may modify.
 * Fields are found through the FlowEvent descriptor, so every field of the
 * message can be set. Returns 0, -ENOENT for an unknown key, -EINVAL for
 * a value the field cannot take, or -ENOMEM.
 *
 * NOTE: only "id" and "l4" are renamed here, the two keys of
 * vigil-sandbox-drive's flow command that are not FlowEvent field names. A
 * key the driver adds under another name is rejected here until it is
 * added too, so one template cannot silently differ between the two.
 */
static int
set_field(Vigil__V1__FlowEvent *fe, const char *key, char *value)
{
	const ProtobufCFieldDescriptor *f;
	char *base = (char *)fe;
	unsigned long long v;

	if (strcmp(key, "id") == 0)
		key = "flow_id";
	else if (strcmp(key, "l4") == 0)
		key = "l4_proto";
	f = protobuf_c_message_descriptor_get_field_by_name(
		&vigil__v1__flow_event__descriptor, key);
	if (f == NULL)
		return -ENOENT;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		if (f->type != PROTOBUF_C_TYPE_STRING)
			return -EINVAL;
		return add_strings((size_t *)(base + f->quantifier_offset),
				   (char ***)(base + f->offset), value);
	}
	if (strcmp(key, "l4_proto") == 0)
		return parse_l4(value, (uint32_t *)(base + f->offset));

	switch (f->type) {
	case PROTOBUF_C_TYPE_ENUM:
		return parse_hook(value, (int *)(base + f->offset));
	case PROTOBUF_C_TYPE_UINT32:
		if (parse_ull(value, 0, UINT32_MAX, &v) != 0)
			return -EINVAL;
		*(uint32_t *)(base + f->offset) = (uint32_t)v;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
		if (parse_ull(value, 0, UINT64_MAX, &v) != 0)
			return -EINVAL;
		*(uint64_t *)(base + f->offset) = v;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (strcmp(value, "1") != 0 && strcmp(value, "true") != 0 &&
		    strcmp(value, "0") != 0 && strcmp(value, "false") != 0)
			return -EINVAL;
		*(protobuf_c_boolean *)(base + f->offset) =
			value[0] == '1' || value[0] == 't';
		return 0;
	case PROTOBUF_C_TYPE_STRING:
		return set_string(f, (char **)(base + f->offset), value);
	case PROTOBUF_C_TYPE_BYTES:
		return parse_ip(value, (ProtobufCBinaryData *)(base + f->offset));
	default:
		return -EINVAL;
	}
}

/* Returns what field <key> accepts, for error messages. */
static const char *
expected_value(const char *key)
{
	const ProtobufCFieldDescriptor *f;

	if (strcmp(key, "n") == 0 || strcmp(key, "batch") == 0)
		return "a positive integer (batch: at most 1048576)";
	if (strcmp(key, "l4") == 0 || strcmp(key, "l4_proto") == 0)
		return "TCP, UDP, ICMP or a protocol number 0..255";
	if (strcmp(key, "id") == 0)
		key = "flow_id";
	f = protobuf_c_message_descriptor_get_field_by_name(
		&vigil__v1__flow_event__descriptor, key);
	switch (f != NULL ? f->type : PROTOBUF_C_TYPE_MESSAGE) {
	case PROTOBUF_C_TYPE_ENUM:
		return "protocolDetected, statusChanged, periodicUpdate, "
		       "flowEnd or 1..4";
	case PROTOBUF_C_TYPE_UINT32:
		return "an integer 0..4294967295";
	case PROTOBUF_C_TYPE_UINT64:
		return "an integer 0..18446744073709551615";
	case PROTOBUF_C_TYPE_BOOL:
		return "1, true, 0 or false";
	case PROTOBUF_C_TYPE_BYTES:
		return "an IPv4 or IPv6 address";
	default:
		return "a value this program cannot set";
	}
}

/*
 * Reads n=, batch= and the template fields from the words after the
 * options. Returns 0, or -1 after printing what is wrong.
 */
static int
parse_words(struct bench *b, Vigil__V1__FlowEvent *tmpl, char **words,
	    int n_words)
{
	int i;

	for (i = 0; i < n_words; i++) {
		char *eq = strchr(words[i], '=');
		int rc;

		if (eq == NULL || eq == words[i]) {
			fprintf(stderr, PROG ": invalid word '%s': expected "
				"KEY=VALUE\n", words[i]);
			return -1;
		}
		*eq = '\0';
		if (strcmp(words[i], "n") == 0)
			rc = parse_ull(eq + 1, 1, UINT64_MAX / 2, &b->events);
		else if (strcmp(words[i], "batch") == 0)
			rc = parse_ull(eq + 1, 1, 1u << 20, &b->per_batch);
		else
			rc = set_field(tmpl, words[i], eq + 1);
		if (rc == -ENOENT) {
			fprintf(stderr, PROG ": unknown field '%s': expected "
				"n, batch or a FlowEvent field\n", words[i]);
			return -1;
		}
		if (rc == -ENOMEM) {
			fprintf(stderr, PROG ": out of memory\n");
			return -1;
		}
		if (rc != 0) {
			fprintf(stderr, PROG ": invalid value '%s' for %s: "
				"expected %s\n", eq + 1, words[i],
				expected_value(words[i]));
			return -1;
		}
	}
	return 0;
}

/* --- options ----------------------------------------------------------- */

static int
parse_options(int argc, char **argv, struct bench *b)
{
	enum {
		O_PLUGINS = 256, O_CONFIG, O_JIT, O_MEMORY, O_BUDGET,
		O_RESULT_BYTES, O_HELP,
	};
	static const struct option options[] = {
		{ "plugins", required_argument, NULL, O_PLUGINS },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "jit", required_argument, NULL, O_JIT },
		{ "memory-mb", required_argument, NULL, O_MEMORY },
		{ "hook-budget-ms", required_argument, NULL, O_BUDGET },
		{ "result-bytes", required_argument, NULL, O_RESULT_BYTES },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct vg_sbx_options *opt = &b->sbx.opt;
	unsigned long long v;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		const char *expected = NULL;

		switch (c) {
		case O_PLUGINS:
			b->plugins = optarg;
			break;
		case O_CONFIG:
			opt->config_file = optarg;
			break;
		case O_JIT:
			vg_sbx_free_names(opt->jit, opt->n_jit);
			opt->jit = NULL;
			opt->n_jit = 0;
			if (split_names(optarg, &opt->jit, &opt->n_jit) != 0)
				return -1;
			break;
		case O_MEMORY:
			if (parse_ull(optarg, 32, 1u << 20, &v) != 0)
				expected = "MiB, 32..1048576";
			opt->memory_mb = (unsigned int)v;
			break;
		case O_BUDGET:
			if (parse_ull(optarg, 1, 3600000, &v) != 0)
				expected = "milliseconds, 1..3600000";
			opt->hook_budget_ms = (unsigned int)v;
			break;
		case O_RESULT_BYTES:
			if (parse_ull(optarg, VG_SHM_RING_MIN, VG_SHM_RING_MAX,
				      &v) != 0 || (v & (v - 1)) != 0)
				expected = "a power of two, 4096..1073741824";
			b->result_bytes = (uint32_t)v;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (expected != NULL) {
			fprintf(stderr, PROG ": invalid value '%s' for --%s: "
				"expected %s\n", optarg,
				options[c - O_PLUGINS].name, expected);
			return -1;
		}
	}
	if (b->plugins == NULL) {
		fprintf(stderr, PROG ": --plugins is required\n");
		return -1;
	}
	return 0;
}

/* --- running ---------------------------------------------------------- */

static void
report_load_error(struct vg_sbx *sbx, const char *line)
{
	(void)sbx;
	VG_WARN(PROG, "%s", line);
}

static size_t
runnable_flow_scripts(const struct vg_sbx *sbx)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < sbx->n_by_kind[VG_SBX_FLOW]; i++) {
		const struct vg_sbx_script *s = sbx->by_kind[VG_SBX_FLOW][i];

		n += s->enabled && !s->disabled && s->plugin->L != NULL;
	}
	return n;
}

/*
 * Sends the results of the last batch to the private ring and counts what
 * they hold. Returns 0, or -1 when a message cannot be read back.
 */
static int
collect_results(struct bench *b)
{
	vg_sbx_results_flush(b->sbx.results);
	for (;;) {
		ssize_t len = vg_shm_ring_get(&b->ring, b->buf,
					      b->result_bytes);
		Vigil__V1__ResultBatch *rb;

		if (len == 0)
			return 0;
		if (len < 0) {
			VG_ERR(PROG, "vg_shm_ring_get() failed on the result "
			       "ring: %s", strerror((int)-len));
			return -1;
		}
		rb = vigil__v1__result_batch__unpack(NULL, (size_t)len,
						      b->buf);
		if (rb == NULL) {
			VG_ERR(PROG, "result batch of %zd bytes does not "
			       "decode", len);
			return -1;
		}
		b->statuses += rb->n_statuses;
		b->alerts += rb->n_triggers;
		b->errors += rb->n_errors;
		vigil__v1__result_batch__free_unpacked(rb, NULL);
	}
}

/* Dispatches b->events copies of <tmpl> in batches of b->per_batch. */
static int
run_events(struct bench *b, const Vigil__V1__FlowEvent *tmpl)
{
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__FlowEvent *events;
	Vigil__V1__FlowEvent **ptrs;
	unsigned long long i = 0;
	uint64_t start = vg_sbx_now_ns();
	int rc = 0;

	events = calloc(b->per_batch, sizeof(*events));
	ptrs = calloc(b->per_batch, sizeof(*ptrs));
	if (events == NULL || ptrs == NULL) {
		rc = -1;
		goto out;
	}
	batch.version = VIGIL__V1__SCHEMA_VERSION__SCHEMA_VERSION_1;
	batch.time_us = FLOOD_TIME_US;
	batch.flows = ptrs;
	while (i < b->events && rc == 0) {
		uint64_t t0;
		size_t k;

		for (k = 0; k < b->per_batch && i < b->events; k++, i++) {
			events[k] = *tmpl;
			events[k].flow_id = i + 1;
			events[k].client_port = (uint32_t)(1024 + i % 60000);
			ptrs[k] = &events[k];
		}
		batch.seq = ++b->batches;
		batch.n_flows = k;

		t0 = vg_sbx_now_ns();
		vg_sbx_dispatch_batch(&b->sbx, &batch);
		b->dispatch_ns += vg_sbx_now_ns() - t0;

		rc = collect_results(b);
	}
	b->wall_ns = vg_sbx_now_ns() - start;
out:
	free(events);
	free(ptrs);
	return rc;
}

static void
print_rate(const struct bench *b)
{
	struct vg_sbx_results_stats stats;
	double seconds = b->dispatch_ns / 1e9;

	vg_sbx_results_get_stats(b->sbx.results, &stats);
	printf("{\"type\":\"rate\",\"events\":%llu,\"batches\":%" PRIu64
	       ",\"seconds\":%.3f,\"events_per_sec\":%.0f,"
	       "\"wall_seconds\":%.3f,\"flow_scripts\":%zu,"
	       "\"load_errors\":%zu,\"statuses\":%" PRIu64 ",\"alerts\":%"
	       PRIu64 ",\"errors\":%" PRIu64 ",\"result_batches_dropped\":%"
	       PRIu64 "}\n", b->events, b->batches, seconds,
	       seconds > 0 ? b->events / seconds : 0.0, b->wall_ns / 1e9,
	       runnable_flow_scripts(&b->sbx), b->sbx.n_load_errors,
	       b->statuses, b->alerts, b->errors, stats.dropped);
	fflush(stdout);
}

static int
run_bench(struct bench *b, const Vigil__V1__FlowEvent *tmpl)
{
	int rc;

	b->ring_mem = malloc(vg_shm_ring_footprint(b->result_bytes));
	b->buf = malloc(b->result_bytes);
	if (b->ring_mem == NULL || b->buf == NULL ||
	    vg_shm_ring_init(b->ring_mem, b->result_bytes) != 0)
		return -1;
	b->ring.shared = b->ring_mem;
	b->ring.size = b->result_bytes;
	/* No eventfd: nothing sleeps on this ring. */
	b->sbx.results = vg_sbx_results_create(&b->ring, -1,
					       b->result_bytes / 4);
	if (b->sbx.results == NULL)
		return -1;

	b->sbx.report = report_load_error;
	rc = vg_sbx_load(&b->sbx, b->plugins);
	if (rc < 0) {
		VG_ERR(PROG, "plugins=%s vg_sbx_load() failed: %s", b->plugins,
		       strerror(-rc));
		return -1;
	}
	if (runnable_flow_scripts(&b->sbx) == 0) {
		VG_ERR(PROG, "plugins=%s: no flow script loaded, nothing to "
		       "measure", b->plugins);
		return -1;
	}
	if (run_events(b, tmpl) != 0)
		return -1;
	print_rate(b);
	vg_sbx_dispatch_teardown(&b->sbx);
	return collect_results(b);
}

int
main(int argc, char **argv)
{
	Vigil__V1__FlowEvent *tmpl = calloc(1, sizeof(*tmpl));
	struct bench b;
	int rc = EXIT_USAGE;

	memset(&b, 0, sizeof(b));
	b.events = DEFAULT_EVENTS;
	b.per_batch = DEFAULT_BATCH;
	b.result_bytes = DEFAULT_RESULT_BYTES;
	b.sbx.opt.memory_mb = 256;
	b.sbx.opt.hook_budget_ms = 100;
	if (tmpl == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return EXIT_FAILED;
	}
	vigil__v1__flow_event__init(tmpl);

	if (parse_options(argc, argv, &b) != 0 ||
	    parse_words(&b, tmpl, argv + optind, argc - optind) != 0)
		goto out;
	if (vg_sbx_fill_l7_parts(tmpl) != 0) {
		fprintf(stderr, PROG ": out of memory\n");
		rc = EXIT_FAILED;
		goto out;
	}
	rc = run_bench(&b, tmpl) == 0 ? 0 : EXIT_FAILED;
out:
	vg_sbx_results_free(b.sbx.results);
	b.sbx.results = NULL;
	vg_sbx_free(&b.sbx);
	vg_sbx_free_names(b.sbx.opt.jit, b.sbx.opt.n_jit);
	/* Every field of the template was allocated with malloc, as
	 * free_unpacked expects; the copies only borrowed them. */
	vigil__v1__flow_event__free_unpacked(tmpl, NULL);
	free(b.ring_mem);
	free(b.buf);
	return rc;
}
