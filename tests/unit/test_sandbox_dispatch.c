/*
 * Unit tests for running hooks (sandbox/dispatch.c) and the Lua API they
 * call (sandbox/api.c, proxy.c): plugins are written to a temporary
 * folder, loaded, given hand-built event batches, and the result batches
 * they produce are decoded from an in-memory ring and checked field by
 * field.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "sandbox/results.h"
#include "sandbox/sandbox.h"

#define RING_BYTES (1u << 20)

struct env {
	char root[64];
	struct vg_sbx sbx;
	struct vg_shm_ring *shared;
	struct vg_shm_ring_ref ring;
	uint8_t *buf;
	/* Everything decoded from the last run, in order. */
	Vigil__V1__ResultBatch *batches[64];
	size_t n_batches;
};

static void
put_file(struct env *e, const char *rel, const char *text)
{
	char path[512];
	char *slash;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", e->root, rel);
	for (slash = strchr(path + strlen(e->root) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
free_batches(struct env *e)
{
	size_t i;

	for (i = 0; i < e->n_batches; i++)
		vigil__v1__result_batch__free_unpacked(e->batches[i], NULL);
	e->n_batches = 0;
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	snprintf(e->root, sizeof(e->root), "/tmp/vigil-sbx-test.XXXXXX");
	if (mkdtemp(e->root) == NULL)
		return -1;
	e->shared = malloc(vg_shm_ring_footprint(RING_BYTES));
	vg_shm_ring_init(e->shared, RING_BYTES);
	e->ring.shared = e->shared;
	e->ring.size = RING_BYTES;
	e->buf = malloc(RING_BYTES);
	e->sbx.opt.memory_mb = 64;
	e->sbx.opt.hook_budget_ms = 200;
	e->sbx.results = vg_sbx_results_create(&e->ring, -1, RING_BYTES / 4);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	free_batches(e);
	vg_sbx_results_free(e->sbx.results);
	e->sbx.results = NULL;
	vg_sbx_free(&e->sbx);
	free(e->shared);
	free(e->buf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->root);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

static void
load(struct env *e)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/plugins", e->root);
	assert_int_equal(vg_sbx_load(&e->sbx, dir), 0);
}

/* Flushes the results and decodes every batch waiting on the ring. */
static void
collect(struct env *e)
{
	ssize_t n;

	vg_sbx_results_flush(e->sbx.results);
	while ((n = vg_shm_ring_get(&e->ring, e->buf, RING_BYTES)) > 0) {
		assert_true(e->n_batches < 64);
		e->batches[e->n_batches] = vigil__v1__result_batch__unpack(
			NULL, (size_t)n, e->buf);
		assert_non_null(e->batches[e->n_batches]);
		e->n_batches++;
	}
}

/* Runs <batch> and decodes every result batch it produced. */
static void
run(struct env *e, Vigil__V1__EventBatch *batch)
{
	free_batches(e);
	batch->version = 1;
	vg_sbx_dispatch_batch(&e->sbx, batch);
	collect(e);
}

static size_t
count_statuses(struct env *e, const char *status, uint64_t flow_id)
{
	size_t count = 0;
	size_t i;
	size_t j;

	for (i = 0; i < e->n_batches; i++) {
		for (j = 0; j < e->batches[i]->n_statuses; j++) {
			const Vigil__V1__FlowStatus *s =
				e->batches[i]->statuses[j];

			if (strcmp(s->status, status) == 0 &&
			    (flow_id == 0 || s->flow_id == flow_id))
				count++;
		}
	}
	return count;
}

static size_t
count_items(struct env *e, size_t off_n)
{
	size_t count = 0;
	size_t i;

	for (i = 0; i < e->n_batches; i++)
		count += *(size_t *)((char *)e->batches[i] + off_n);
	return count;
}

#define N_TRIGGERS offsetof(Vigil__V1__ResultBatch, n_triggers)
#define N_RELEASES offsetof(Vigil__V1__ResultBatch, n_releases)
#define N_ERRORS offsetof(Vigil__V1__ResultBatch, n_errors)
#define N_POINTS offsetof(Vigil__V1__ResultBatch, n_points)

/* Returns the message of the <k>th PluginError of the last run. */
static const char *
error_message(struct env *e, size_t k)
{
	size_t i;

	for (i = 0; i < e->n_batches; i++) {
		if (k < e->batches[i]->n_errors)
			return e->batches[i]->errors[k]->message;
		k -= e->batches[i]->n_errors;
	}
	fail_msg("no error %zu", k);
	return NULL;
}

static uint8_t client_ip[4] = { 10, 0, 0, 1 };
static uint8_t server_ip[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

static void
flow_init(Vigil__V1__FlowEvent *fe, uint64_t id, uint32_t l4, char *l7)
{
	vigil__v1__flow_event__init(fe);
	fe->hook = VIGIL__V1__FLOW_HOOK__FLOW_HOOK_PROTOCOL_DETECTED;
	fe->flow_id = id;
	fe->l4_proto = l4;
	fe->l7 = l7;
	fe->client_ip.len = 4;
	fe->client_ip.data = client_ip;
	fe->client_port = 40000;
	fe->server_ip.len = 16;
	fe->server_ip.data = server_ip;
	fe->server_port = 443;
}

/* Puts <n> TCP flows of L7 "TLS", ids 1 to <n>, in <batch>. */
static void
tls_flows(Vigil__V1__EventBatch *batch, Vigil__V1__FlowEvent *fe,
	  Vigil__V1__FlowEvent **flows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		flow_init(&fe[i], i + 1, 6, "TLS");
		flows[i] = &fe[i];
	}
	batch->n_flows = n;
	batch->flows = flows;
}

static const char manifest[] = "return { title = \"T\" }\n";

/*
 * Writes plugin g/b, whose flow script sets status b_called and then
 * spins for 20 ms of CPU time.
 */
static void
put_slow_flow_plugin(struct env *e)
{
	put_file(e, "plugins/g/b/manifest.lua", manifest);
	put_file(e, "plugins/g/b/status_definitions/s.lua",
		 "return { key = \"b_called\", title = \"S\", score = 5 }\n");
	put_file(e, "plugins/g/b/user_scripts/flow/b.lua",
		 "return { key = \"b\", hooks = { protocolDetected = "
		 "function(flow)\n"
		 "  flow:setStatus('b_called')\n"
		 "  local t = os.clock()\n"
		 "  while os.clock() - t < 0.02 do end\n"
		 "end } }\n");
}

static void
test_flow_fields_reach_hooks(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__FlowEvent fe;
	Vigil__V1__FlowEvent *flows[1] = { &fe };
	char *risks[] = { "Known Proto on Non Std Port", "TLS (probably) Not "
			  "Carrying HTTPS" };
	const Vigil__V1__AlertTrigger *t;

	put_file(e, "plugins/g/f/manifest.lua", manifest);
	put_file(e, "plugins/g/f/alert_definitions/a.lua",
		 "return { key = \"f_fields\", title = \"F\", severity = "
		 "\"critical\" }\n");
	put_file(e, "plugins/g/f/user_scripts/flow/f.lua",
		 "return { key = \"f\", hooks = { all = function(flow, conf, "
		 "hook)\n"
		 "  alerts.trigger('f_fields', { score = 7, details = {\n"
		 "    hook = hook, same = (hook == flow.hook), l4 = flow.l4,\n"
		 "    client = flow.client_ip, server = flow.server_ip,\n"
		 "    ports = { flow.client_port, flow.server_port },\n"
		 "    packets = flow.packets, bytes = flow.bytes,\n"
		 "    first = flow.first_seen, dur = flow.duration,\n"
		 "    risks = flow.risks, sni = flow.server_name,\n"
		 "    flags = flow.tcp_flags, id = flow.id,\n"
		 "    cl = flow.client_local, key = flow.key,\n"
		 "    str = tostring(flow) } })\n"
		 "end } }\n");
	load(e);
	flow_init(&fe, 0x0100000200000003ull, 6, "TLS.Google");
	fe.c2s_packets = 3;
	fe.s2c_packets = 4;
	fe.c2s_bytes = 300;
	fe.s2c_bytes = 4000;
	fe.first_seen_us = 1700000000500000ull;
	fe.last_seen_us = 1700000002000000ull;
	fe.c2s_tcp_flags = 0x02;
	fe.s2c_tcp_flags = 0x12;
	fe.client_local = 1;
	fe.n_risks = 2;
	fe.risks = risks;
	fe.server_name = "a\"b\xff";
	batch.n_flows = 1;
	batch.flows = flows;
	batch.time_us = 42;
	run(e, &batch);
	assert_int_equal(e->n_batches, 1);
	assert_int_equal(e->batches[0]->events_seen, 1);
	assert_int_equal(e->batches[0]->n_triggers, 1);
	t = e->batches[0]->triggers[0];
	assert_int_equal(t->entity, VIGIL__V1__ENTITY__ENTITY_FLOW);
	assert_int_equal(t->flow_id, 0x0100000200000003ull);
	assert_int_equal(t->time_us, 42);
	assert_int_equal(t->score, 7);
	assert_int_equal(t->severity, VIGIL__V1__SEVERITY__SEVERITY_CRITICAL);
	assert_string_equal(t->entity_value, "10.0.0.1:40000-[2001:db8::1]:443@0");
#define HAS(s) assert_non_null(strstr(t->details_json, s))
	HAS("\"hook\":\"protocolDetected\"");
	HAS("\"same\":true");
	HAS("\"l4\":\"TCP\"");
	HAS("\"client\":\"10.0.0.1\"");
	HAS("\"server\":\"2001:db8::1\"");
	HAS("\"ports\":[40000,443]");
	HAS("\"packets\":7");
	HAS("\"bytes\":4300");
	HAS("\"first\":1700000000.5");
	HAS("\"dur\":1.5");
	HAS("\"risks\":[\"Known Proto on Non Std Port\",\"TLS (probably) Not "
	    "Carrying HTTPS\"]");
	HAS("\"sni\":\"a\\\"b\\u00ff\"");
	HAS("\"flags\":18");
	HAS("\"id\":\"72057602627862531\"");
	HAS("\"cl\":true");
	HAS("\"key\":\"10.0.0.1:40000-[2001:db8::1]:443@0\"");
	HAS("\"str\":\"flow 10.0.0.1:40000-[2001:db8::1]:443@0\"");
#undef HAS
}

static void
test_flow_filters(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	/* l7, then its master and app as vigild sends them. */
	static char *const names[][3] = {
		{ "TLS", "TLS", "TLS" },
		{ "TLS.Google", "TLS", "Google" },
		{ "DNS.TLS", "DNS", "TLS" },
		{ "TLS", "TLS", "TLS" },        /* UDP: filtered out */
		{ "TLSX", "TLSX", "TLSX" },     /* not a TLS part */
		{ "TLS.Custom", "TLS.Custom", "TLS.Custom" }, /* a dotted name */
		{ "tls", "tls", "tls" },        /* case is ignored */
	};
	enum { N = sizeof(names) / sizeof(names[0]) };
	Vigil__V1__FlowEvent fe[N];
	Vigil__V1__FlowEvent *flows[N];
	size_t i;

	put_file(e, "plugins/g/f/manifest.lua", manifest);
	put_file(e, "plugins/g/f/status_definitions/s.lua",
		 "return { key = \"f_tls\", title = \"S\", score = 5 }\n");
	put_file(e, "plugins/g/f/user_scripts/flow/f.lua",
		 "return { key = \"f\", filter = { l4 = { 'tcp' }, l7 = { "
		 "'TLS' } },\n hooks = { protocolDetected = function(flow) "
		 "flow:setStatus('f_tls') end } }\n");
	load(e);
	for (i = 0; i < N; i++) {
		flow_init(&fe[i], i + 1, i == 3 ? 17 : 6, names[i][0]);
		fe[i].l7_master = names[i][1];
		fe[i].l7_app = names[i][2];
		flows[i] = &fe[i];
	}
	batch.n_flows = N;
	batch.flows = flows;
	run(e, &batch);
	assert_int_equal(count_statuses(e, "f_tls", 1), 1);
	assert_int_equal(count_statuses(e, "f_tls", 2), 1);
	assert_int_equal(count_statuses(e, "f_tls", 3), 1);
	assert_int_equal(count_statuses(e, "f_tls", 4), 0);
	assert_int_equal(count_statuses(e, "f_tls", 5), 0);
	assert_int_equal(count_statuses(e, "f_tls", 6), 0);
	assert_int_equal(count_statuses(e, "f_tls", 7), 1);
	assert_int_equal(count_statuses(e, "f_tls", 0), 4);
	/* The default score is the definition's. */
	assert_int_equal(e->batches[0]->statuses[0]->score, 5);
}

static void
test_status_sent_once_per_flow(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__FlowEvent fe[2];
	Vigil__V1__FlowEvent *flows[2] = { &fe[0], &fe[1] };
	char *already[] = { "s_once" };

	put_file(e, "plugins/g/s/manifest.lua", manifest);
	put_file(e, "plugins/g/s/status_definitions/s.lua",
		 "return { key = \"s_once\", title = \"S\", score = 5 }\n");
	put_file(e, "plugins/g/s/user_scripts/flow/a.lua",
		 "return { key = \"s_a\", hooks = { protocolDetected = "
		 "function(flow)\n"
		 "  local first = flow:setStatus('s_once', 9)\n"
		 "  local again = flow:setStatus('s_once', 9)\n"
		 "  assert(again == false and flow:hasStatus('s_once'))\n"
		 "end } }\n");
	put_file(e, "plugins/g/s/user_scripts/flow/b.lua",
		 "return { key = \"s_b\", hooks = { protocolDetected = "
		 "function(flow)\n"
		 "  assert(flow:setStatus('s_once', 9) == false)\n"
		 "end } }\n");
	load(e);
	flow_init(&fe[0], 1, 6, "HTTP");
	flow_init(&fe[1], 2, 6, "HTTP");
	/* The engine already applied s_once to flow 2. */
	fe[1].n_statuses = 1;
	fe[1].statuses = already;
	batch.n_flows = 2;
	batch.flows = flows;
	run(e, &batch);
	assert_int_equal(count_items(e, N_ERRORS), 0);
	assert_int_equal(count_statuses(e, "s_once", 1), 1);
	assert_int_equal(count_statuses(e, "s_once", 2), 0);
}

static void
test_host_alert_engaged_until_released(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__HostSnapshot h[2];
	Vigil__V1__HostSnapshot *hosts[2] = { &h[0], &h[1] };
	uint8_t ip[2][4] = { { 192, 168, 1, 4 }, { 8, 8, 8, 8 } };
	int i;

	put_file(e, "plugins/g/h/manifest.lua", manifest);
	put_file(e, "plugins/g/h/alert_definitions/a.lua",
		 "return { key = \"h_big\", title = \"Big\", severity = "
		 "\"warning\" }\n");
	put_file(e, "plugins/g/h/user_scripts/host/h.lua",
		 "return { key = \"h\", local_only = true,\n"
		 " default_value = { threshold = 100, operator = 'ge' },\n"
		 " hooks = { min = function(host, conf)\n"
		 "  if vigil.exceeds(host.bytes_sent, conf) then\n"
		 "    host:triggerAlert('h_big', { score = 3,\n"
		 "      details = { sent = host.bytes_sent } })\n"
		 "  else\n"
		 "    host:releaseAlert('h_big')\n"
		 "  end\n"
		 " end } }\n");
	load(e);
	for (i = 0; i < 2; i++) {
		vigil__v1__host_snapshot__init(&h[i]);
		h[i].ip.len = 4;
		h[i].ip.data = ip[i];
		h[i].vlan = 3;
		h[i].bytes_sent = 100;
	}
	h[0].local = 1;
	batch.period = VIGIL__V1__PERIOD__PERIOD_MIN;
	batch.n_hosts = 2;
	batch.hosts = hosts;
	run(e, &batch);
	/* Only the local host, exactly at the threshold with "ge". */
	assert_int_equal(count_items(e, N_TRIGGERS), 1);
	assert_string_equal(e->batches[0]->triggers[0]->entity_value,
			    "192.168.1.4@3");
	assert_string_equal(e->batches[0]->triggers[0]->details_json,
			    "{\"sent\":100}");
	run(e, &batch);
	assert_int_equal(count_items(e, N_TRIGGERS), 0);
	h[0].bytes_sent = 99;
	run(e, &batch);
	assert_int_equal(count_items(e, N_RELEASES), 1);
	assert_string_equal(e->batches[0]->releases[0]->alert_type, "h_big");
	run(e, &batch);
	assert_int_equal(count_items(e, N_RELEASES), 0);
	/* Another period's hook is not the min hook. */
	h[0].bytes_sent = 1000;
	batch.period = VIGIL__V1__PERIOD__PERIOD_HOUR;
	run(e, &batch);
	assert_int_equal(count_items(e, N_TRIGGERS), 0);
}

static void
test_api_misuse_messages(void **state)
{
	static const char *const want[] = {
		"ts.append: unknown schema 'm:nope' (declare it in this "
		"plugin's ts_schemas/)",
		"ts.append: metric 'p' of schema 'm:t' is missing or not a "
		"number",
		"ts.append: schema 'm:t' has no tag 'x'",
		"ts.append: schema 'm:t' has no metric 'q'",
		"alerts.trigger: unknown alert 'm_none'",
		"interface has no field 'no_such_field'",
		"interface objects are read-only",
		NULL,
	};
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__InterfaceSnapshot ifs;
	Vigil__V1__InterfaceSnapshot *ifaces[1] = { &ifs };
	Vigil__V1__SystemSnapshot sys;
	size_t i;

	put_file(e, "plugins/g/m/manifest.lua", manifest);
	put_file(e, "plugins/g/m/user_scripts/system/s.lua",
		 "return { key = 'm_sys', hooks = { min = function(s)\n"
		 "  return kept_iface.name\n"
		 "end } }\n");
	put_file(e, "plugins/g/m/ts_schemas/min.lua",
		 "return { { name = 'm:t', tags = { 'ifname' },\n"
		 " metrics = { { name = 'p', type = 'counter' } } } }\n");
	put_file(e, "plugins/g/m/user_scripts/interface/m.lua",
		 "local calls = {\n"
		 " function(i) ts.append('m:nope', {}, {}) end,\n"
		 " function(i) ts.append('m:t', { ifname = i.name }, {}) end,\n"
		 " function(i) ts.append('m:t', { ifname = i.name, x = 1 },"
		 " { p = 1 }) end,\n"
		 " function(i) ts.append('m:t', { ifname = i.name }, { p = 1,"
		 " q = 2 }) end,\n"
		 " function(i) alerts.trigger('m_none') end,\n"
		 " function(i) return i.no_such_field end,\n"
		 " function(i) i.name = 'x' end,\n"
		 " function(i) kept_iface = i end,\n"
		 " function(i) ts.append('m:t', { ifname = i.name }, { p = "
		 "i.packets }) end,\n"
		 "}\n"
		 "local n = 0\n"
		 "return { key = 'm', hooks = { min = function(i)\n"
		 "  n = n + 1\n"
		 "  calls[n](i)\n"
		 "end } }\n");
	load(e);
	vigil__v1__interface_snapshot__init(&ifs);
	ifs.name = "eth0";
	ifs.packets = 12;
	batch.period = VIGIL__V1__PERIOD__PERIOD_MIN;
	batch.n_interfaces = 1;
	batch.interfaces = ifaces;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		run(e, &batch);
		if (want[i] == NULL) {
			/* Keeping the object is allowed. */
			assert_int_equal(count_items(e, N_ERRORS), 0);
			continue;
		}
		assert_int_equal(count_items(e, N_ERRORS), 1);
		assert_non_null(strstr(error_message(e, 0), want[i]));
	}
	/* Errors do not stop the next call: a good append goes through. */
	run(e, &batch);
	assert_int_equal(count_items(e, N_ERRORS), 0);
	assert_int_equal(count_items(e, N_POINTS), 1);
	assert_string_equal(e->batches[0]->points[0]->tags[0]->value, "eth0");
	assert_true(e->batches[0]->points[0]->metrics[0]->value == 12);

	/* The kept interface object, read from a system hook. */
	batch.n_interfaces = 0;
	batch.system = &sys;
	vigil__v1__system_snapshot__init(&sys);
	run(e, &batch);
	assert_int_equal(count_items(e, N_ERRORS), 1);
	assert_non_null(strstr(error_message(e, 0), "this interface object is "
			       "only valid inside the hook it was passed to"));
}

static void
test_failing_script_disabled_and_closed(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__FlowEvent fe;
	Vigil__V1__FlowEvent *flows[1];
	struct vg_sbx_script *bad;
	int i;

	put_file(e, "plugins/g/bad/manifest.lua", manifest);
	put_file(e, "plugins/g/bad/user_scripts/flow/b.lua",
		 "return { key = 'bad', hooks = { protocolDetected = "
		 "function() error('always') end } }\n");
	load(e);
	bad = vg_sbx_find_script(&e->sbx, "bad");
	tls_flows(&batch, &fe, flows, 1);
	for (i = 1; i < VG_SBX_FAILURES_TO_DISABLE; i++) {
		run(e, &batch);
		assert_int_equal(count_items(e, N_ERRORS), 1);
		assert_int_equal(bad->failures, (unsigned int)i);
		assert_false(bad->disabled);
	}
	run(e, &batch);
	assert_int_equal(count_items(e, N_ERRORS), 2);
	assert_non_null(strstr(error_message(e, 1), "script disabled after 10 "
				"consecutive failures; the last: "));
	assert_true(bad->disabled);
	/* Its only script is gone, so the plugin's state is closed. */
	assert_null(bad->plugin->L);
	run(e, &batch);
	assert_int_equal(e->n_batches, 0);
}

static void
test_errors_per_batch_summarised(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__FlowEvent fe[8];
	Vigil__V1__FlowEvent *flows[8];

	put_file(e, "plugins/g/flaky/manifest.lua", manifest);
	put_file(e, "plugins/g/flaky/user_scripts/flow/f.lua",
		 "return { key = 'flaky', hooks = { protocolDetected = "
		 "function(flow)\n"
		 "  if flow.id % 2 == 0 then error('even') end\n"
		 "end } }\n");
	load(e);
	tls_flows(&batch, fe, flows, 8);
	run(e, &batch);
	/* Four failures, never ten in a row: three reported, one counted. */
	assert_int_equal(count_items(e, N_ERRORS), 4);
	assert_string_equal(error_message(e, 3), "1 more errors in this batch "
			    "not reported one by one");
	assert_false(vg_sbx_find_script(&e->sbx, "flaky")->disabled);
}

static void
test_heap_limit_is_per_plugin(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__FlowEvent fe;
	Vigil__V1__FlowEvent *flows[1];
	const char *msg;
	char limit[96];

	put_file(e, "plugins/g/a_hog/manifest.lua", manifest);
	put_file(e, "plugins/g/a_hog/user_scripts/flow/h.lua",
		 "return { key = 'hog', hooks = { protocolDetected = "
		 "function()\n"
		 "  local t, s = {}, string.rep('z', 1024 * 1024)\n"
		 "  for i = 1, 1e6 do t[i] = s .. i end\n"
		 "end } }\n");
	put_file(e, "plugins/g/b_fine/manifest.lua", manifest);
	put_file(e, "plugins/g/b_fine/status_definitions/s.lua",
		 "return { key = 'fine', title = 'F', score = 1 }\n");
	put_file(e, "plugins/g/b_fine/user_scripts/flow/f.lua",
		 "return { key = 'fine', hooks = { protocolDetected = "
		 "function(flow)\n"
		 "  local t = {} for i = 1, 1000 do t[i] = tostring(i) end\n"
		 "  flow:setStatus('fine', #t % 1000)\n"
		 "end } }\n");
	load(e);
	tls_flows(&batch, &fe, flows, 1);
	run(e, &batch);
	assert_int_equal(count_items(e, N_ERRORS), 1);
	/* The message names the line of the concatenation and the limit,
	 * half of --memory-mb. */
	msg = error_message(e, 0);
	snprintf(limit, sizeof(limit), " bytes would pass the plugin's heap "
		 "limit of %u MiB", e->sbx.opt.memory_mb / 2);
	assert_non_null(strstr(msg, "/plugins/g/a_hog/user_scripts/flow/"
				    "h.lua:3: not enough memory: a block of "));
	assert_true(strlen(msg) > strlen(limit));
	assert_string_equal(msg + strlen(msg) - strlen(limit), limit);
	assert_int_equal(count_statuses(e, "fine", 1), 1);
	/* The hog's garbage was collected after its error. */
	assert_true(vg_sbx_find_script(&e->sbx, "hog")->plugin->heap_bytes <
		    (8u << 20));
}

static void
test_output_limit_per_hook(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__SystemSnapshot sys;

	put_file(e, "plugins/g/o/manifest.lua", manifest);
	put_file(e, "plugins/g/o/alert_definitions/a.lua",
		 "return { key = 'o_many', title = 'M', severity = 'info' }\n");
	put_file(e, "plugins/g/o/user_scripts/system/o.lua",
		 "return { key = 'o', hooks = { day = function(s)\n"
		 "  for i = 1, 5000 do\n"
		 "    alerts.trigger('o_many', { value = 'v' .. i })\n"
		 "  end\n"
		 "end } }\n");
	load(e);
	vigil__v1__system_snapshot__init(&sys);
	batch.period = VIGIL__V1__PERIOD__PERIOD_DAY;
	batch.system = &sys;
	run(e, &batch);
	assert_int_equal(count_items(e, N_TRIGGERS),
			 VG_SBX_MAX_OUTPUTS_PER_HOOK);
	assert_int_equal(count_items(e, N_ERRORS), 1);
	assert_non_null(strstr(error_message(e, 0), "result limit exceeded"));
	assert_string_equal(e->batches[0]->triggers[0]->entity_value, "v1");
}

/* Returns the hooks_skipped total of the last result batch of the run. */
static uint64_t
last_hooks_skipped(struct env *e)
{
	assert_true(e->n_batches > 0);
	return e->batches[e->n_batches - 1]->hooks_skipped;
}

/*
 * 30 hooks of at least 20 ms each against a deadline_ms of 400: with a
 * hook budget of 100 ms no hook starts after 260 ms, so the batch skips
 * the rest. Each hook sets its status before it spins, so a hook that
 * overruns its own budget on a loaded machine still counts as called.
 */
static void
test_batch_budget_skips_hooks(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__FlowEvent fe[30];
	Vigil__V1__FlowEvent *flows[30];
	uint64_t skipped;

	e->sbx.opt.deadline_ms = 400;
	e->sbx.opt.hook_budget_ms = 100;
	put_slow_flow_plugin(e);
	load(e);
	tls_flows(&batch, fe, flows, 30);
	run(e, &batch);
	skipped = last_hooks_skipped(e);
	assert_true(skipped > 0);
	assert_int_equal(count_statuses(e, "b_called", 0) + skipped, 30);
	/* Hooks run in event order, so the first flow's ran. */
	assert_int_equal(count_statuses(e, "b_called", 1), 1);
	assert_int_equal(e->batches[e->n_batches - 1]->events_seen, 30);
	assert_int_equal(e->sbx.hooks_skipped, skipped);

	/* The next batch has a budget of its own. */
	batch.n_flows = 1;
	run(e, &batch);
	assert_int_equal(count_statuses(e, "b_called", 1), 1);
	assert_int_equal(last_hooks_skipped(e), skipped);
}

/* Without --deadline-ms a batch runs every hook, however long. */
static void
test_batch_without_deadline_runs_all(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__FlowEvent fe[10];
	Vigil__V1__FlowEvent *flows[10];

	e->sbx.opt.hook_budget_ms = 100;
	put_slow_flow_plugin(e);
	load(e);
	tls_flows(&batch, fe, flows, 10);
	run(e, &batch);
	assert_int_equal(count_statuses(e, "b_called", 0), 10);
	assert_int_equal(last_hooks_skipped(e), 0);
}

/*
 * Four teardowns of at least 100 ms each against a deadline_ms of 400
 * and a hook budget of 150 ms: none starts after 210 ms, so the last ones
 * are skipped and counted.
 */
static void
test_teardown_within_budget(void **state)
{
	struct env *e = *state;
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	char path[64];
	char text[512];
	uint64_t skipped;
	int i;

	e->sbx.opt.deadline_ms = 400;
	e->sbx.opt.hook_budget_ms = 150;
	put_file(e, "plugins/g/t/manifest.lua", manifest);
	put_file(e, "plugins/g/t/alert_definitions/a.lua",
		 "return { key = 't_down', title = 'T', severity = 'info' }\n");
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path),
			 "plugins/g/t/user_scripts/system/t%d.lua", i);
		snprintf(text, sizeof(text),
			 "return { key = 't%d', hooks = { day = function() end "
			 "},\n"
			 "  teardown = function()\n"
			 "    alerts.trigger('t_down', { value = 'v%d' })\n"
			 "    local t = os.clock()\n"
			 "    while os.clock() - t < 0.1 do end\n"
			 "  end }\n", i, i);
		put_file(e, path, text);
	}
	load(e);
	run(e, &batch);
	free_batches(e);
	vg_sbx_dispatch_teardown(&e->sbx);
	collect(e);
	skipped = last_hooks_skipped(e);
	assert_true(skipped > 0);
	assert_true(count_items(e, N_TRIGGERS) > 0);
	assert_int_equal(count_items(e, N_TRIGGERS) + skipped, 4);
	assert_string_equal(e->batches[0]->triggers[0]->entity_value, "v0");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_flow_fields_reach_hooks),
		T(test_flow_filters),
		T(test_status_sent_once_per_flow),
		T(test_host_alert_engaged_until_released),
		T(test_api_misuse_messages),
		T(test_failing_script_disabled_and_closed),
		T(test_errors_per_batch_summarised),
		T(test_heap_limit_is_per_plugin),
		T(test_output_limit_per_hook),
		T(test_batch_budget_skips_hooks),
		T(test_batch_without_deadline_runs_all),
		T(test_teardown_within_budget),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
