/*
 * The API's flow and host queries: the conversion of flows and hosts to
 * protobuf, the checks of each request, and the work they run on libuv's
 * thread pool. A flow or host list is served from a table scan that
 * api_scans.c schedules and caches; a lookup of one flow by id runs as a
 * job of its own.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "common/log.h"
#include "common/utf8.h"
#include "api_internal.h"
#include "api_scans.h"
#include "events.h"
#include "flow_query.h"
#include "lcore.h"

typedef Vigil__Control__V1__Flow PbFlow;
typedef Vigil__Control__V1__Host PbHost;

/* A lookup of one flow by id, run on the thread pool. */
struct job {
	uv_work_t work;
	struct api_client *client;
	uint64_t id;                 /* request id */
	int rc;
	uint64_t flow_id;
	struct vg_flow_hit one;
};

/* A flow or host list request waiting for the scan whose result it needs. */
struct list_request {
	struct api_client *client;
	uint64_t id;                 /* request id */
	struct vg_query_page page;
	struct list_request *next;
};

struct scan_work {
	uv_work_t work;
	struct vg_api *api;
	struct vg_scan *scan;
	int rc;
};

/* ---- flows to protobuf ---- */

static const char *
confidence_name(uint8_t confidence)
{
	return ndpi_confidence_get_name((ndpi_confidence_t)confidence);
}

static bool
ja3_present(const struct vg_flow *flow)
{
	unsigned int i;

	for (i = 0; i < sizeof(flow->ja3_client); i++) {
		if (flow->ja3_client[i] != 0)
			return true;
	}
	return false;
}

static void
fill_risks(struct arena *a, PbFlow *pb, uint64_t risk)
{
	unsigned int i;
	size_t n = 0;

	for (i = 1; i < 64 && i < NDPI_MAX_RISK; i++)
		n += (risk >> i) & 1;
	if (n == 0)
		return;
	pb->risks = arena_alloc(a, n * sizeof(char *));
	if (pb->risks == NULL)
		return;
	for (i = 1; i < 64 && i < NDPI_MAX_RISK; i++) {
		if (risk & (1ULL << i))
			pb->risks[pb->n_risks++] =
				(char *)ndpi_risk2str((ndpi_risk_enum)i);
	}
}

static void
fill_statuses(struct arena *a, PbFlow *pb, const struct vg_flow *flow)
{
	unsigned int i;

	pb->statuses = arena_alloc(a, VG_FLOW_STATUSES * sizeof(char *));
	if (pb->statuses == NULL)
		return;
	for (i = 0; i < VG_FLOW_STATUSES && flow->statuses[i] != 0; i++)
		pb->statuses[pb->n_statuses++] =
			vg_statuses.keys[flow->statuses[i] - 1];
}

/*
 * Converts <hit> (which must outlive the packing: addresses and names
 * point into it) into a Flow message. <ndpi> names the protocols.
 */
static PbFlow *
flow_to_pb(struct arena *a, struct vg_flow_hit *hit,
	   struct ndpi_detection_module_struct *ndpi)
{
	struct vg_flow *flow = &hit->flow;
	PbFlow *pb = arena_alloc(a, sizeof(*pb));
	bool client_lo = vg_flow_client_is_lo(flow);
	unsigned int c2s = (flow->flags & VG_FLOW_SWAPPED) ? 1 : 0;
	size_t alen = flow->key.ip_version == 6 ? 16 : 4;
	ndpi_protocol proto = {
		.master_protocol = flow->master_proto,
		.app_protocol = flow->app_proto,
		.category = (ndpi_protocol_category_t)flow->category,
	};
	char name[64];
	uint16_t master;
	uint16_t app;

	if (pb == NULL)
		return NULL;
	vigil__control__v1__flow__init(pb);
	pb->id = hit->id;
	pb->engine = hit->engine;
	pb->l4_proto = flow->key.l4_proto;
	pb->ip_version = flow->key.ip_version;
	pb->client_ip.data = client_lo ? flow->key.lo_addr : flow->key.hi_addr;
	pb->client_ip.len = alen;
	pb->server_ip.data = client_lo ? flow->key.hi_addr : flow->key.lo_addr;
	pb->server_ip.len = alen;
	pb->client_port = client_lo ? flow->key.lo_port : flow->key.hi_port;
	pb->server_port = client_lo ? flow->key.hi_port : flow->key.lo_port;
	pb->vlan = flow->key.vlan;

	ndpi_protocol2name(ndpi, proto, name, sizeof(name));
	pb->l7 = arena_strdup(a, name);
	vg_flow_l7_pair(flow, &master, &app);
	pb->l7_master = arena_strdup(a, ndpi_get_proto_name(ndpi, master));
	pb->l7_app = arena_strdup(a, ndpi_get_proto_name(ndpi, app));
	pb->category = arena_strdup(a,
		ndpi_category_get_name(ndpi, proto.category));
	pb->confidence = arena_strdup(a, confidence_name(flow->confidence));
	pb->detection_done = (flow->flags & VG_FLOW_DETECTED) != 0;

	pb->c2s_packets = flow->packets[c2s];
	pb->c2s_bytes = flow->bytes[c2s];
	pb->s2c_packets = flow->packets[1 - c2s];
	pb->s2c_bytes = flow->bytes[1 - c2s];
	pb->first_seen_us = flow->first_us;
	pb->last_seen_us = flow->last_us;
	pb->server_name.data = (uint8_t *)flow->server_name;
	pb->server_name.len = strlen(flow->server_name);
	if (ja3_present(flow)) {
		pb->ja3_client.data = flow->ja3_client;
		pb->ja3_client.len = sizeof(flow->ja3_client);
	}
	fill_risks(a, pb, flow->risk);
	if (flow->key.l4_proto == 6) {
		pb->c2s_tcp_flags = flow->tcp_flags[c2s];
		pb->s2c_tcp_flags = flow->tcp_flags[1 - c2s];
	}
	pb->retransmissions = flow->retransmissions;
	pb->out_of_order = flow->out_of_order;
	pb->zero_windows = flow->zero_windows;
	pb->rtt_us = vg_flow_rtt_us(flow);
	fill_statuses(a, pb, flow);
	pb->score = flow->score;
	pb->swapped = (flow->flags & VG_FLOW_SWAPPED) != 0;
	if (pb->l7 == NULL || pb->l7_master == NULL || pb->l7_app == NULL ||
	    pb->category == NULL || pb->confidence == NULL)
		return NULL;
	return pb;
}

static PbHost *
host_to_pb(struct arena *a, struct vg_host_hit *hit)
{
	const struct vg_host *h = &hit->host;
	PbHost *pb = arena_alloc(a, sizeof(*pb));

	if (pb == NULL)
		return NULL;
	vigil__control__v1__host__init(pb);
	pb->ip.data = hit->host.addr;
	pb->ip.len = h->ip_version == 6 ? 16 : 4;
	pb->vlan = h->vlan;
	pb->local = hit->local;
	pb->bytes_sent = h->bytes_sent;
	pb->bytes_rcvd = h->bytes_rcvd;
	pb->packets_sent = h->packets_sent;
	pb->packets_rcvd = h->packets_rcvd;
	pb->first_seen_us = h->first_us;
	pb->last_seen_us = h->last_us;
	pb->flows_as_client = h->flows_as_client;
	pb->flows_as_server = h->flows_as_server;
	pb->total_flows_as_client = h->total_flows_as_client;
	pb->total_flows_as_server = h->total_flows_as_server;
	pb->score = h->score;
	return pb;
}

/* ---- queries on the thread pool ---- */

/* Counts one finished request of <c>; frees <c> once closed and idle. */
static void
client_job_done(struct api_client *c)
{
	c->jobs--;
	if (c->closed && c->jobs == 0) {
		free(c->buf);
		free(c);
	}
}

void
vg_api_free_when_idle(struct vg_api *api)
{
	struct vg_scan *scan;

	if (api->open_handles > 0 || api->queries > 0)
		return;
	while ((scan = api->scans.list) != NULL)
		vg_scans_remove(&api->scans, scan);
	free(api);
}

static void
run_flow_job(uv_work_t *work)
{
	struct job *job = work->data;
	struct vg_api *api = job->client->api;

	job->rc = vg_flow_find(api->engines, api->env.engine_count,
			       job->flow_id, &job->one);
}

static void
run_scan(uv_work_t *work)
{
	struct scan_work *sw = work->data;
	struct vg_api *api = sw->api;
	struct vg_scan *scan = sw->scan;
	struct vg_query_page page = { .limit = scan->rank,
				      .ascending = scan->key.ascending != 0 };

	if (scan->key.kind == VG_SCAN_FLOWS)
		sw->rc = vg_flow_query(api->engines, api->env.engine_count,
				       &scan->key.flow,
				       (enum vg_flow_sort)scan->key.sort, &page,
				       &scan->flows);
	else
		sw->rc = vg_host_query(api->engines, api->env.engine_count,
				       api->env.cfg, &scan->key.host,
				       (enum vg_host_sort)scan->key.sort, &page,
				       &scan->hosts);
}

/* Returns the milliseconds since <scan> started reading the tables. */
static uint64_t
scan_age_ms(const struct vg_scan *scan)
{
	uint64_t now = now_us();

	return now > scan->start_us ? (now - scan->start_us) / 1000 : 0;
}

static void
answer_flows(struct api_client *c, uint64_t id, const struct vg_scan *scan,
	     const struct vg_query_page *page, struct arena *a)
{
	struct ndpi_detection_module_struct *ndpi = c->api->engines[0]->ndpi;
	const struct vg_flow_result *r = &scan->flows;
	Vigil__Control__V1__FlowsResponse body;
	Vigil__Control__V1__Status status;
	Response resp;
	uint32_t end = r->count;
	uint32_t i;

	if (end > page->offset + page->limit)
		end = page->offset + page->limit;
	vg_api_init_response(&resp, &status, id);
	vigil__control__v1__flows_response__init(&body);
	body.total = r->total;
	body.scanned = r->scanned;
	body.retried = r->retried;
	body.age_ms = scan_age_ms(scan);
	body.flows = arena_alloc(a, (r->count + 1) * sizeof(PbFlow *));
	if (body.flows == NULL)
		goto nomem;
	for (i = page->offset; i < end; i++) {
		body.flows[body.n_flows] = flow_to_pb(a, &r->hits[i], ndpi);
		if (body.flows[body.n_flows] == NULL)
			goto nomem;
		body.n_flows++;
	}
	resp.body_case = VIGIL__CONTROL__V1__RESPONSE__BODY_FLOWS;
	resp.flows = &body;
	vg_api_send_response(c, &resp);
	return;
nomem:
	vg_api_send_error(c, id, VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
			  NULL, "out of memory");
}

static void
answer_hosts(struct api_client *c, uint64_t id, const struct vg_scan *scan,
	     const struct vg_query_page *page, struct arena *a)
{
	const struct vg_host_result *r = &scan->hosts;
	Vigil__Control__V1__HostsResponse body;
	Vigil__Control__V1__Status status;
	Response resp;
	uint32_t end = r->count;
	uint32_t i;

	if (end > page->offset + page->limit)
		end = page->offset + page->limit;
	vg_api_init_response(&resp, &status, id);
	vigil__control__v1__hosts_response__init(&body);
	body.total = r->total;
	body.host_tracking = r->tracking;
	body.age_ms = scan_age_ms(scan);
	body.hosts = arena_alloc(a, (r->count + 1) * sizeof(PbHost *));
	if (body.hosts == NULL)
		goto nomem;
	for (i = page->offset; i < end; i++) {
		body.hosts[body.n_hosts] = host_to_pb(a, &r->hits[i]);
		if (body.hosts[body.n_hosts] == NULL)
			goto nomem;
		body.n_hosts++;
	}
	resp.body_case = VIGIL__CONTROL__V1__RESPONSE__BODY_HOSTS;
	resp.hosts = &body;
	vg_api_send_response(c, &resp);
	return;
nomem:
	vg_api_send_error(c, id, VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
			  NULL, "out of memory");
}

/* Sends the page <page> of the finished <scan> to <c>. */
static void
answer_list(struct api_client *c, uint64_t id, const struct vg_scan *scan,
	    const struct vg_query_page *page)
{
	struct arena a = { 0 };

	if (c->closing)
		return;
	if (scan->rc == -EINVAL)
		vg_api_send_error(c, id,
				  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_ARGUMENT,
				  "page", "invalid page");
	else if (scan->rc != 0)
		vg_api_send_error(c, id, VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
				  NULL, strerror(-scan->rc));
	else if (scan->key.kind == VG_SCAN_FLOWS)
		answer_flows(c, id, scan, page, &a);
	else
		answer_hosts(c, id, scan, page, &a);
	arena_free(&a);
}

/* Sends the response of every request waiting for <scan>, and frees them. */
void
vg_api_answer_waiters(struct vg_api *api, struct vg_scan *scan)
{
	struct list_request *r = scan->waiters;

	while (r != NULL) {
		struct list_request *next = r->next;

		answer_list(r->client, r->id, scan, &r->page);
		client_job_done(r->client);
		free(r);
		api->waiting--;
		r = next;
	}
	scan->waiters = NULL;
	scan->users = 0;
}

static void dispatch_scans(struct vg_api *api);

static void
scan_done(uv_work_t *work, int status)
{
	struct scan_work *sw = work->data;
	struct vg_api *api = sw->api;
	struct vg_scan *scan = sw->scan;

	api->queries--;
	vg_scans_done(&api->scans, scan, status != 0 ? -ECANCELED : sw->rc);
	free(sw);
	vg_api_answer_waiters(api, scan);
	if (api->open_handles == 0) {
		vg_api_free_when_idle(api);
		return;
	}
	vg_scans_expire(&api->scans, now_us());
	dispatch_scans(api);
}

/* Queues <scan> on the thread pool, or fails its requests. */
static void
start_scan(struct vg_api *api, struct vg_scan *scan)
{
	struct scan_work *sw = calloc(1, sizeof(*sw));
	int rc = -ENOMEM;

	vg_scans_started(&api->scans, scan, now_us());
	if (sw != NULL) {
		sw->api = api;
		sw->scan = scan;
		sw->work.data = sw;
		rc = uv_queue_work(api->loop, &sw->work, run_scan, scan_done);
		if (rc == 0) {
			api->queries++;
			return;
		}
		VG_WARN("engine", "api uv_queue_work() failed: %s",
			uv_strerror(rc));
		rc = -EIO;
	}
	free(sw);
	vg_scans_done(&api->scans, scan, rc);
	vg_api_answer_waiters(api, scan);
	vg_scans_expire(&api->scans, now_us());
}

static void
on_scan_timer(uv_timer_t *timer)
{
	dispatch_scans(timer->data);
}

/*
 * Starts the waiting scans whose budget has come, as long as the thread
 * pool has room, and sets the timer for the next one.
 */
static void
dispatch_scans(struct vg_api *api)
{
	struct vg_scan *scan;
	uint64_t at;
	uint64_t now;

	while (api->queries < VG_API_MAX_QUERIES &&
	       (scan = vg_scans_next_ready(&api->scans, now_us())) != NULL)
		start_scan(api, scan);
	if (api->queries >= VG_API_MAX_QUERIES ||
	    !vg_scans_next_start(&api->scans, &at))
		return;
	/* The timer counts loop milliseconds: round up, so it never fires
	 * early and spins. A scan that is ready already waits for a query
	 * to end, which calls this again. */
	now = now_us();
	if (at > now)
		uv_timer_start(&api->timer, on_scan_timer,
			       (at - now + 999) / 1000, 0);
}

/*
 * Serves a flow or host list request <id> of <c> for <key> and <page>,
 * at once from a fresh scan, or once a scan it joins or starts is done.
 */
static void
request_list(struct api_client *c, uint64_t id, const struct vg_scan_key *key,
	     const struct vg_query_page *page)
{
	struct vg_api *api = c->api;
	uint32_t rank = page->offset + page->limit;
	uint64_t now = now_us();
	struct list_request *r;
	struct vg_scan *scan;
	int err = 0;

	vg_scans_expire(&api->scans, now);
	scan = vg_scans_find(&api->scans, key, rank, now);
	if (scan != NULL && scan->state == VG_SCAN_DONE) {
		api->scans.counters.reused++;
		answer_list(c, id, scan, page);
		return;
	}
	if (api->waiting >= VG_API_MAX_WAITING) {
		vg_api_send_error(c, id, VIGIL__CONTROL__V1__STATUS_CODE__STATUS_BUSY,
				  NULL, "too many queries waiting, retry");
		return;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		vg_api_close_client(c);
		return;
	}
	if (scan == NULL)
		scan = vg_scans_add(&api->scans, key, rank,
				    key->kind == VG_SCAN_FLOWS ? api->flow_bytes :
								 api->host_bytes,
				    now, &err);
	if (scan == NULL) {
		vg_api_send_error(c, id,
				  err == -EBUSY ?
					  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_BUSY :
					  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
				  NULL,
				  err == -EBUSY ?
					  "the budget for table scans is spent for the next seconds, retry" :
					  "out of memory");
		free(r);
		return;
	}
	if (scan->users > 0)
		api->scans.counters.reused++;
	r->client = c;
	r->id = id;
	r->page = *page;
	r->next = scan->waiters;
	scan->waiters = r;
	scan->users++;
	c->jobs++;
	api->waiting++;
	dispatch_scans(api);
}

static void
answer_flow(struct api_client *c, struct job *job, struct arena *a)
{
	struct ndpi_detection_module_struct *ndpi = c->api->engines[0]->ndpi;
	Vigil__Control__V1__FlowResponse body;
	Vigil__Control__V1__Status status;
	Response resp;

	vg_api_init_response(&resp, &status, job->id);
	vigil__control__v1__flow_response__init(&body);
	body.flow = flow_to_pb(a, &job->one, ndpi);
	if (body.flow == NULL) {
		vg_api_send_error(c, job->id,
				  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
				  NULL, "out of memory");
		return;
	}
	resp.body_case = VIGIL__CONTROL__V1__RESPONSE__BODY_FLOW;
	resp.flow = &body;
	vg_api_send_response(c, &resp);
}

static void
flow_job_done(uv_work_t *work, int status)
{
	struct job *job = work->data;
	struct api_client *c = job->client;
	struct vg_api *api = c->api;
	struct arena a = { 0 };

	api->queries--;
	if (status == 0 && !c->closing) {
		if (job->rc == -ENOENT)
			vg_api_send_error(c, job->id,
					  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_NOT_FOUND,
					  "flow_id", "no live flow has this id");
		else if (job->rc != 0)
			vg_api_send_error(c, job->id,
					  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
					  NULL, strerror(-job->rc));
		else
			answer_flow(c, job, &a);
	}
	arena_free(&a);
	free(job);
	client_job_done(c);
	if (api->open_handles == 0)
		vg_api_free_when_idle(api);
	else
		dispatch_scans(api);
}

/* Queues <job> on the thread pool, or responds STATUS_BUSY. Takes <job>. */
static void
queue_job(struct api_client *c, struct job *job)
{
	struct vg_api *api = c->api;

	if (api->queries >= VG_API_MAX_QUERIES) {
		vg_api_send_error(c, job->id, VIGIL__CONTROL__V1__STATUS_CODE__STATUS_BUSY,
				  NULL, "too many queries running, retry");
		free(job);
		return;
	}
	job->client = c;
	job->work.data = job;
	if (uv_queue_work(api->loop, &job->work, run_flow_job,
			  flow_job_done) != 0) {
		vg_api_send_error(c, job->id,
				  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
				  NULL, "uv_queue_work() failed");
		free(job);
		return;
	}
	api->queries++;
	c->jobs++;
}

/* ---- request validation ---- */

/*
 * Checks <page> and copies it into <out>. Returns NULL, or the name of
 * the field at fault.
 */
static const char *
read_page(const Vigil__Control__V1__Page *page, struct vg_query_page *out)
{
	out->offset = 0;
	out->limit = 50;
	out->ascending = false;
	if (page == NULL)
		return NULL;
	out->offset = page->offset;
	out->limit = page->limit;
	out->ascending = page->ascending;
	if (out->limit == 0 || out->limit > VG_QUERY_MAX_LIMIT)
		return "page.limit";
	if ((uint64_t)out->offset + out->limit > VG_QUERY_MAX_RANK)
		return "page.offset";
	return NULL;
}

static bool
read_address(const ProtobufCBinaryData *in, uint8_t *addr, uint8_t *version)
{
	if (in->len != 4 && in->len != 16)
		return false;
	memset(addr, 0, 16);
	memcpy(addr, in->data, in->len);
	*version = in->len == 16 ? 6 : 4;
	return true;
}

static int
status_index(const char *key)
{
	uint32_t count = atomic_load(&vg_statuses.count);
	uint32_t i;

	for (i = 0; i < count && i < VG_STATUS_MAX; i++) {
		if (strcmp(vg_statuses.keys[i], key) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * Returns false, with the reason in <why>, when <text> is not valid
 * UTF-8: error messages quote filter names back to the API's client.
 */
static bool
filter_text_valid(const char *text, char *why, size_t why_len)
{
	ssize_t bad_at = vg_utf8_invalid_at(text, strlen(text));

	if (bad_at < 0)
		return true;
	snprintf(why, why_len, "not valid UTF-8: byte %zd is 0x%02x",
		 bad_at, (uint8_t)text[bad_at]);
	return false;
}

/*
 * Fills <f> from <in>, resolving names with <ndpi>. Returns NULL, or the
 * name of the field at fault with the reason in <why> (<why_len> bytes).
 */
static const char *
read_flow_filter(const Vigil__Control__V1__FlowFilter *in,
		 struct ndpi_detection_module_struct *ndpi,
		 struct vg_flow_filter *f, char *why, size_t why_len)
{
	char name[64];
	int id;

	memset(f, 0, sizeof(*f));
	if (in == NULL)
		return NULL;
	if (in->host.len > 0) {
		if (!read_address(&in->host, f->host, &f->host_version)) {
			snprintf(why, why_len, "an address has 4 or 16 bytes");
			return "filter.host";
		}
		f->set |= VG_FF_HOST;
	}
	if (in->l4_proto != NULL) {
		if (in->l4_proto->value > 255) {
			snprintf(why, why_len, "an IP protocol number is 0..255");
			return "filter.l4_proto";
		}
		f->l4_proto = (uint8_t)in->l4_proto->value;
		f->set |= VG_FF_L4;
	}
	if (in->l7 != NULL && !filter_text_valid(in->l7, why, why_len))
		return "filter.l7";
	if (in->l7 != NULL && in->l7[0] != '\0') {
		snprintf(name, sizeof(name), "%s", in->l7);
		id = ndpi_get_protocol_id(ndpi, name);
		if (id < 0) {
			snprintf(why, why_len,
				 "unknown nDPI protocol name '%.*s'",
				 VG_UTF8_QUOTE(in->l7, 64));
			return "filter.l7";
		}
		f->l7 = (uint16_t)id;
		f->set |= VG_FF_L7;
	}
	if (in->category != NULL && !filter_text_valid(in->category, why, why_len))
		return "filter.category";
	if (in->category != NULL && in->category[0] != '\0') {
		snprintf(name, sizeof(name), "%s", in->category);
		id = ndpi_get_category_id(ndpi, name);
		if (id < 0) {
			snprintf(why, why_len,
				 "unknown nDPI category name '%.*s'",
				 VG_UTF8_QUOTE(in->category, 64));
			return "filter.category";
		}
		f->category = (uint16_t)id;
		f->set |= VG_FF_CATEGORY;
	}
	if (in->status != NULL && !filter_text_valid(in->status, why, why_len))
		return "filter.status";
	if (in->status != NULL && in->status[0] != '\0') {
		id = status_index(in->status);
		if (id < 0) {
			snprintf(why, why_len,
				 "no plugin has defined status '%.*s'",
				 VG_UTF8_QUOTE(in->status, 64));
			return "filter.status";
		}
		f->status = (uint8_t)(id + 1);
		f->set |= VG_FF_STATUS;
	}
	if (in->vlan != NULL) {
		if (in->vlan->value > 4095) {
			snprintf(why, why_len, "a VLAN id is 0..4095");
			return "filter.vlan";
		}
		f->vlan = (uint16_t)in->vlan->value;
		f->set |= VG_FF_VLAN;
	}
	if (in->port != NULL) {
		if (in->port->value > 65535) {
			snprintf(why, why_len, "a port is 0..65535");
			return "filter.port";
		}
		f->port = (uint16_t)in->port->value;
		f->set |= VG_FF_PORT;
	}
	return NULL;
}

void
vg_api_handle_flows(struct api_client *c, const Request *req)
{
	const Vigil__Control__V1__FlowsRequest *in = req->flows;
	char why[160] = "out of range";
	struct vg_query_page page;
	struct vg_scan_key key;
	const char *field;

	vg_scan_key_init(&key, VG_SCAN_FLOWS);
	field = read_page(in->page, &page);
	if (field == NULL)
		field = read_flow_filter(in->filter, c->api->engines[0]->ndpi,
					 &key.flow, why, sizeof(why));
	if (field == NULL && (unsigned int)in->sort >= VG_FLOW_SORT_COUNT)
		field = "sort";
	if (field != NULL) {
		vg_api_send_error(c, req->id,
				  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_ARGUMENT,
				  field, why);
		return;
	}
	key.sort = (uint32_t)in->sort;
	key.ascending = page.ascending;
	request_list(c, req->id, &key, &page);
}

void
vg_api_handle_flow(struct api_client *c, const Request *req)
{
	struct job *job = calloc(1, sizeof(*job));

	if (job == NULL) {
		vg_api_close_client(c);
		return;
	}
	job->id = req->id;
	job->flow_id = req->flow->flow_id;
	queue_job(c, job);
}

void
vg_api_handle_hosts(struct api_client *c, const Request *req)
{
	const Vigil__Control__V1__HostsRequest *in = req->hosts;
	const Vigil__Control__V1__HostFilter *hf = in->filter;
	const char *why = "out of range";
	struct vg_host_filter *f;
	struct vg_query_page page;
	struct vg_scan_key key;
	const char *field;

	vg_scan_key_init(&key, VG_SCAN_HOSTS);
	f = &key.host;
	field = read_page(in->page, &page);
	if (field == NULL && (unsigned int)in->sort >= VG_HOST_SORT_COUNT)
		field = "sort";
	if (field == NULL && hf != NULL && hf->ip.len > 0) {
		if (!read_address(&hf->ip, f->ip, &f->ip_version)) {
			field = "filter.ip";
			why = "an address has 4 or 16 bytes";
		}
		f->by_ip = true;
	}
	if (field == NULL && hf != NULL && hf->vlan != NULL) {
		if (hf->vlan->value > 4095)
			field = "filter.vlan";
		f->by_vlan = true;
		f->vlan = (uint16_t)hf->vlan->value;
	}
	if (hf != NULL && hf->local != NULL) {
		f->by_local = true;
		f->local = hf->local->value;
	}
	if (field != NULL) {
		vg_api_send_error(c, req->id,
				  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_ARGUMENT,
				  field, why);
		return;
	}
	key.sort = (uint32_t)in->sort;
	key.ascending = page.ascending;
	request_list(c, req->id, &key, &page);
}
