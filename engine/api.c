/*
 * The API socket; see api.h and common/proto/vigil_control.proto.
 *
 * Each connection accumulates bytes until one whole frame is in, decodes
 * it and sends its response. A frame longer than VG_API_REQUEST_MAX closes the
 * connection, so a client cannot make vigild buffer without bound, and a
 * client that stops reading its responses is cut off once
 * VG_API_QUEUE_MAX bytes wait for it.
 *
 * Responses are built with protobuf-c structures whose strings and
 * arrays come from a per-response arena, freed in one go after packing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ndpi/ndpi_api.h>

#include "common/config.h"
#include "common/log.h"
#include "common/utf8.h"
#include "alert_store.h"
#include "api.h"
#include "api_scans.h"
#include "events.h"
#include "flow_query.h"
#include "lcore.h"
#include "sandbox_sup.h"
#include "stats.h"
#include "ts_series.h"
#include "ts_writer.h"
#include "vigil_control.pb-c.h"

#define VG_API_QUEUE_MAX (64u << 20) /* response bytes queued per client */
#define ARENA_BLOCK (64u << 10)

typedef Vigil__Control__V1__Request Request;
typedef Vigil__Control__V1__Response Response;
typedef Vigil__Control__V1__Flow PbFlow;
typedef Vigil__Control__V1__Host PbHost;
typedef Vigil__Control__V1__Counter PbCounter;

struct arena_block {
	struct arena_block *next;
	size_t used;
	size_t size;
	char data[];
};

struct arena {
	struct arena_block *head;
};

struct api_client;

struct vg_api {
	uv_pipe_t server;
	uv_timer_t timer;            /* starts scans the budget held back */
	char path[108];
	struct vg_api_env env;
	struct vg_engine *engines[VG_MAX_LCORES];
	uv_loop_t *loop;
	uint64_t started_ms;
	unsigned int queries;        /* running on the thread pool */
	unsigned int waiting;        /* list requests waiting for a scan */
	unsigned int open_handles;   /* freed once 0 and no query runs */
	struct api_client *clients;
	struct vg_scans scans;
	uint64_t flow_bytes;         /* what a flow scan reads */
	uint64_t host_bytes;         /* what a host scan reads */
};

struct api_client {
	uv_pipe_t pipe;
	struct vg_api *api;
	struct api_client *next;
	unsigned int jobs;           /* requests without a response yet */
	bool closing;
	bool closed;                 /* handle closed, freed when jobs == 0 */
	size_t used;
	uint8_t *buf;                /* VG_API_REQUEST_MAX + 4 bytes */
};

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

/* Monotonic microseconds, for the scan budget and the responses' age. */
static uint64_t
now_us(void)
{
	return uv_hrtime() / 1000;
}

/* ---- arena ---- */

static void *
arena_alloc(struct arena *a, size_t size)
{
	struct arena_block *b = a->head;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (b == NULL || b->size - b->used < size) {
		size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->size = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

static char *
arena_strdup(struct arena *a, const char *s)
{
	size_t len = strlen(s);
	char *p = arena_alloc(a, len + 1);

	if (p != NULL)
		memcpy(p, s, len + 1);
	return p;
}

static void
arena_free(struct arena *a)
{
	while (a->head != NULL) {
		struct arena_block *b = a->head;

		a->head = b->next;
		free(b);
	}
}

/* ---- connections and frames ---- */

static void
on_client_closed(uv_handle_t *handle)
{
	struct api_client *c = handle->data;
	struct api_client **p;

	for (p = &c->api->clients; *p != NULL; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	c->closed = true;
	if (c->jobs == 0) {
		free(c->buf);
		free(c);
	}
}

static void
close_client(struct api_client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_read_stop((uv_stream_t *)&c->pipe);
	uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

static void
on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req);
}

/* Packs <resp> into one frame and queues it; closes <c> on failure. */
static void
send_response(struct api_client *c, Response *resp)
{
	size_t len = vigil__control__v1__response__get_packed_size(resp);
	uv_write_t *req;
	uint8_t *frame;
	uv_buf_t buf;

	if (c->closing)
		return;
	if (len > VG_API_RESPONSE_MAX ||
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >
		    VG_API_QUEUE_MAX) {
		VG_WARN("engine", "api response=%zu bytes queued=%zu: closing the connection",
			len,
			uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe));
		close_client(c);
		return;
	}
	req = malloc(sizeof(*req) + 4 + len);
	if (req == NULL) {
		close_client(c);
		return;
	}
	frame = (uint8_t *)(req + 1);
	frame[0] = (uint8_t)(len >> 24);
	frame[1] = (uint8_t)(len >> 16);
	frame[2] = (uint8_t)(len >> 8);
	frame[3] = (uint8_t)len;
	vigil__control__v1__response__pack(resp, frame + 4);
	buf = uv_buf_init((char *)frame, (unsigned int)(len + 4));
	if (uv_write(req, (uv_stream_t *)&c->pipe, &buf, 1, on_written) != 0) {
		free(req);
		close_client(c);
	}
}

static void
init_response(Response *resp, Vigil__Control__V1__Status *status,
	      uint64_t id)
{
	vigil__control__v1__response__init(resp);
	vigil__control__v1__status__init(status);
	resp->version = VIGIL__CONTROL__V1__CONTROL_VERSION__CONTROL_VERSION_1;
	resp->id = id;
	resp->status = status;
}

static void
send_error(struct api_client *c, uint64_t id,
	   Vigil__Control__V1__StatusCode code, const char *field,
	   const char *message)
{
	Vigil__Control__V1__Status status;
	Response resp;

	init_response(&resp, &status, id);
	status.code = code;
	status.message = (char *)message;
	status.field = (char *)(field != NULL ? field : "");
	send_response(c, &resp);
}

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

static void
free_api_when_idle(struct vg_api *api)
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
	init_response(&resp, &status, id);
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
	send_response(c, &resp);
	return;
nomem:
	send_error(c, id, VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
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
	init_response(&resp, &status, id);
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
	send_response(c, &resp);
	return;
nomem:
	send_error(c, id, VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
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
		send_error(c, id,
			   VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_ARGUMENT,
			   "page", "invalid page");
	else if (scan->rc != 0)
		send_error(c, id, VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
			   NULL, strerror(-scan->rc));
	else if (scan->key.kind == VG_SCAN_FLOWS)
		answer_flows(c, id, scan, page, &a);
	else
		answer_hosts(c, id, scan, page, &a);
	arena_free(&a);
}

/* Sends the response of every request waiting for <scan>, and frees them. */
static void
answer_waiters(struct vg_api *api, struct vg_scan *scan)
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
	answer_waiters(api, scan);
	if (api->open_handles == 0) {
		free_api_when_idle(api);
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
	answer_waiters(api, scan);
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
		send_error(c, id, VIGIL__CONTROL__V1__STATUS_CODE__STATUS_BUSY,
			   NULL, "too many queries waiting, retry");
		return;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		close_client(c);
		return;
	}
	if (scan == NULL)
		scan = vg_scans_add(&api->scans, key, rank,
				    key->kind == VG_SCAN_FLOWS ? api->flow_bytes :
								 api->host_bytes,
				    now, &err);
	if (scan == NULL) {
		send_error(c, id,
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

	init_response(&resp, &status, job->id);
	vigil__control__v1__flow_response__init(&body);
	body.flow = flow_to_pb(a, &job->one, ndpi);
	if (body.flow == NULL) {
		send_error(c, job->id,
			   VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
			   NULL, "out of memory");
		return;
	}
	resp.body_case = VIGIL__CONTROL__V1__RESPONSE__BODY_FLOW;
	resp.flow = &body;
	send_response(c, &resp);
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
			send_error(c, job->id,
				   VIGIL__CONTROL__V1__STATUS_CODE__STATUS_NOT_FOUND,
				   "flow_id", "no live flow has this id");
		else if (job->rc != 0)
			send_error(c, job->id,
				   VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INTERNAL,
				   NULL, strerror(-job->rc));
		else
			answer_flow(c, job, &a);
	}
	arena_free(&a);
	free(job);
	client_job_done(c);
	if (api->open_handles == 0)
		free_api_when_idle(api);
	else
		dispatch_scans(api);
}

/* Queues <job> on the thread pool, or responds STATUS_BUSY. Takes <job>. */
static void
queue_job(struct api_client *c, struct job *job)
{
	struct vg_api *api = c->api;

	if (api->queries >= VG_API_MAX_QUERIES) {
		send_error(c, job->id, VIGIL__CONTROL__V1__STATUS_CODE__STATUS_BUSY,
			   NULL, "too many queries running, retry");
		free(job);
		return;
	}
	job->client = c;
	job->work.data = job;
	if (uv_queue_work(api->loop, &job->work, run_flow_job,
			  flow_job_done) != 0) {
		send_error(c, job->id,
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

static void
handle_flows(struct api_client *c, const Request *req)
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
		send_error(c, req->id,
			   VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_ARGUMENT,
			   field, why);
		return;
	}
	key.sort = (uint32_t)in->sort;
	key.ascending = page.ascending;
	request_list(c, req->id, &key, &page);
}

static void
handle_flow(struct api_client *c, const Request *req)
{
	struct job *job = calloc(1, sizeof(*job));

	if (job == NULL) {
		close_client(c);
		return;
	}
	job->id = req->id;
	job->flow_id = req->flow->flow_id;
	queue_job(c, job);
}

static void
handle_hosts(struct api_client *c, const Request *req)
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
		send_error(c, req->id,
			   VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_ARGUMENT,
			   field, why);
		return;
	}
	key.sort = (uint32_t)in->sort;
	key.ascending = page.ascending;
	request_list(c, req->id, &key, &page);
}

/* ---- counters, plugins and reload, on the loop ---- */

static PbCounter **
add_counter(struct arena *a, PbCounter **list, size_t *n, const char *name,
	    uint64_t value)
{
	PbCounter *pc = arena_alloc(a, sizeof(*pc));

	if (pc == NULL)
		return list;
	vigil__control__v1__counter__init(pc);
	pc->name = arena_strdup(a, name);
	pc->value = value;
	if (pc->name == NULL)
		return list;
	list[(*n)++] = pc;
	return list;
}

#define COUNTERS_MAX 64
#define ADD(list, n, name, value) add_counter(a, list, &(n), name, value)

static void
fill_engine_counters(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		     const struct vg_stats *st)
{
	const struct vg_rx_counters *rx = &st->rx;
	const struct vg_engine_counters *en = &st->engine;
	PbCounter **l = arena_alloc(a, COUNTERS_MAX * sizeof(*l));
	size_t n = 0;

	if (l == NULL)
		return;
	ADD(l, n, "rx_packets", rx->packets);
	ADD(l, n, "rx_bytes", rx->bytes);
	ADD(l, n, "ring_full", rx->ring_full);
	ADD(l, n, "oversize", rx->oversize);
	ADD(l, n, "copy_nombuf", rx->copy_nombuf);
	ADD(l, n, "after_damage", rx->after_damage);
	ADD(l, n, "not_replayed", rx->not_replayed);
	ADD(l, n, "engine_packets", en->packets);
	ADD(l, n, "engine_bytes", en->bytes);
	ADD(l, n, "flows_created", en->flows_created);
	ADD(l, n, "flows_expired", en->flows_expired);
	ADD(l, n, "flows_table_full", en->flows_table_full);
	ADD(l, n, "ndpi_pool_empty", en->ndpi_pool_empty);
	ADD(l, n, "ndpi_packets", en->ndpi_packets);
	ADD(l, n, "records_dropped", en->records_dropped);
	ADD(l, n, "late_statuses", en->late_statuses);
	ADD(l, n, "statuses_full", en->statuses_full);
	ADD(l, n, "active_flows", st->active_flows);
	b->counters = l;
	b->n_counters = n;
}

/* Appends the counters of the API's table scans to b->counters. */
static void
fill_scan_counters(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		   const struct vg_scans *scans)
{
	const struct vg_scan_counters *sc = &scans->counters;

	if (b->counters == NULL)
		return;
	ADD(b->counters, b->n_counters, "api_scans", sc->scans);
	ADD(b->counters, b->n_counters, "api_scans_delayed", sc->delayed);
	ADD(b->counters, b->n_counters, "api_scan_wait_ms", sc->wait_ms);
	ADD(b->counters, b->n_counters, "api_answers_reused", sc->reused);
	ADD(b->counters, b->n_counters, "api_scans_rejected", sc->rejected);
}

static void
fill_parse_errors(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		  const struct vg_stats *st)
{
	PbCounter **l = arena_alloc(a, VG_PARSE_ERROR_COUNT * sizeof(*l));
	size_t n = 0;
	unsigned int i;

	if (l == NULL)
		return;
	for (i = 1; i < VG_PARSE_ERROR_COUNT; i++)
		ADD(l, n, vg_parse_error_name((enum vg_parse_error)i),
		    st->rx.parse_errors[i]);
	b->parse_errors = l;
	b->n_parse_errors = n;
}

#define SANDBOX_COUNTERS 24 /* room for what sandbox_counters() appends */

/* Appends the 19 sandbox counters <sc> to <l>. */
static size_t
sandbox_counters(struct arena *a, PbCounter **l, size_t n,
		 const struct vg_sandbox_counters *sc)
{
	ADD(l, n, "sandbox_starts", sc->starts);
	ADD(l, n, "sandbox_exits", sc->exits);
	ADD(l, n, "deadline_kills", sc->deadline_kills);
	ADD(l, n, "heartbeat_kills", sc->heartbeat_kills);
	ADD(l, n, "load_kills", sc->load_kills);
	ADD(l, n, "teardown_kills", sc->teardown_kills);
	ADD(l, n, "hooks_skipped", sc->hooks_skipped);
	ADD(l, n, "result_batches", sc->result_batches);
	ADD(l, n, "result_bad", sc->result_bad);
	ADD(l, n, "statuses", sc->statuses);
	ADD(l, n, "statuses_dropped", sc->statuses_dropped);
	ADD(l, n, "alerts_triggered", sc->alerts_triggered);
	ADD(l, n, "alerts_released", sc->alerts_released);
	ADD(l, n, "ts_points", sc->ts_points);
	ADD(l, n, "plugin_errors", sc->plugin_errors);
	ADD(l, n, "events_seen", sc->events_seen);
	ADD(l, n, "events_lost", sc->events_lost);
	ADD(l, n, "control_dropped", sc->control_dropped);
	ADD(l, n, "plugins_disabled", sc->plugins_disabled);
	return n;
}

static void
fill_plugin_counters(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		     const struct vg_stats *st)
{
	PbCounter **l = arena_alloc(a, COUNTERS_MAX * sizeof(*l));
	size_t n = 0;

	if (l == NULL)
		return;
	ADD(l, n, "events", st->events);
	ADD(l, n, "event_batches", st->event_batches);
	ADD(l, n, "event_batches_dropped", st->event_batches_dropped);
	ADD(l, n, "events_dropped", st->events_dropped);
	n = sandbox_counters(a, l, n, &st->sandbox);
	b->plugin_counters = l;
	b->n_plugin_counters = n;
}

static void
fill_ports(struct arena *a, Vigil__Control__V1__StatsResponse *b,
	   const struct vg_stats *st, const struct vg_capture *capture)
{
	unsigned int i;

	b->ports = arena_alloc(a, (st->port_count + 1) * sizeof(*b->ports));
	if (b->ports == NULL)
		return;
	for (i = 0; i < st->port_count; i++) {
		Vigil__Control__V1__Port *p = arena_alloc(a, sizeof(*p));

		if (p == NULL)
			return;
		vigil__control__v1__port__init(p);
		p->name = (char *)capture->ports[i].name;
		p->device = (char *)capture->ports[i].device;
		p->ipackets = st->ports[i].ipackets;
		p->ibytes = st->ports[i].ibytes;
		p->imissed = st->ports[i].imissed;
		p->ierrors = st->ports[i].ierrors;
		p->rx_nombuf = st->ports[i].rx_nombuf;
		b->ports[b->n_ports++] = p;
	}
}

static void
fill_engines(struct arena *a, Vigil__Control__V1__StatsResponse *b,
	     struct vg_api *api)
{
	unsigned int e;

	b->engines = arena_alloc(a, (api->env.engine_count + 1) *
					    sizeof(*b->engines));
	if (b->engines == NULL)
		return;
	for (e = 0; e < api->env.engine_count; e++) {
		Vigil__Control__V1__EngineInfo *info =
			arena_alloc(a, sizeof(*info));
		const struct vg_engine *engine = api->engines[e];

		if (info == NULL)
			return;
		vigil__control__v1__engine_info__init(info);
		info->index = engine->index;
		info->active_flows = engine->table->count;
		info->capacity = engine->table->capacity;
		if (engine->now_us > b->packet_time_us)
			b->packet_time_us = engine->now_us;
		b->engines[b->n_engines++] = info;
	}
}

/* Collects counters handed over one at a time into an arena list. */
struct counter_list {
	struct arena *a;
	PbCounter **list;
	size_t n;
	Vigil__Control__V1__LabeledCounter **labeled;
	size_t n_labeled;
};

static void
collect_counter(void *ctx, const char *name, const char *label,
		uint64_t value)
{
	struct counter_list *cl = ctx;
	Vigil__Control__V1__LabeledCounter *lc;

	if (label == NULL) {
		if (cl->n < COUNTERS_MAX)
			add_counter(cl->a, cl->list, &cl->n, name, value);
		return;
	}
	if (cl->n_labeled >= COUNTERS_MAX)
		return;
	lc = arena_alloc(cl->a, sizeof(*lc));
	if (lc == NULL)
		return;
	vigil__control__v1__labeled_counter__init(lc);
	lc->name = (char *)name;
	lc->label = (char *)label;
	lc->value = value;
	cl->labeled[cl->n_labeled++] = lc;
}

static void
fill_alert_counters(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		    struct vg_alert_store *store)
{
	struct counter_list cl = { .a = a };

	cl.list = arena_alloc(a, COUNTERS_MAX * sizeof(*cl.list));
	cl.labeled = arena_alloc(a, COUNTERS_MAX * sizeof(*cl.labeled));
	if (cl.list == NULL || cl.labeled == NULL)
		return;
	vg_alert_store_each_counter(store, collect_counter, &cl);
	b->alert_counters = cl.list;
	b->n_alert_counters = cl.n;
	b->endpoint_counters = cl.labeled;
	b->n_endpoint_counters = cl.n_labeled;
}

static void
fill_ts_counters(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		 const struct vg_ts_writer *writer,
		 const struct vg_ts_series *series)
{
	PbCounter **l = arena_alloc(a, COUNTERS_MAX * sizeof(*l));
	struct vg_ts_writer_stats w;
	struct vg_ts_series_stats s;
	size_t n = 0;

	if (l == NULL)
		return;
	vg_ts_writer_get_stats(writer, &w);
	ADD(l, n, "points_queued", w.points_queued);
	ADD(l, n, "points_dropped", w.points_dropped);
	ADD(l, n, "queue_high_water", w.queue_high_water);
	ADD(l, n, "queue_size", w.queue_size);
	ADD(l, n, "updates", w.updates);
	ADD(l, n, "update_errors", w.update_errors);
	ADD(l, n, "skipped_old", w.skipped_old);
	ADD(l, n, "files_created", w.files_created);
	ADD(l, n, "create_errors", w.create_errors);
	ADD(l, n, "ds_unknown", w.ds_unknown);
	ADD(l, n, "points_lost", w.points_lost);
	ADD(l, n, "writer_restarts", w.restarts);
	if (series != NULL) {
		vg_ts_series_get_stats(series, &s);
		ADD(l, n, "minutes", s.minutes);
		ADD(l, n, "host_series", s.host_series);
		ADD(l, n, "hosts_capped", s.hosts_capped);
		ADD(l, n, "hosts_remote", s.hosts_remote);
		ADD(l, n, "plugin_points", s.plugin_points);
		ADD(l, n, "plugin_rejected", s.plugin_rejected);
	}
	b->timeseries_counters = l;
	b->n_timeseries_counters = n;
}

static void
handle_stats(struct api_client *c, const Request *req)
{
	static struct vg_stats st;
	struct vg_api *api = c->api;
	Vigil__Control__V1__StatsResponse body;
	Vigil__Control__V1__Status status;
	struct arena a = { 0 };
	Response resp;

	vg_stats_collect(&st, api->env.capture, api->env.rx, api->env.rx_count,
			 api->env.engines, api->env.engine_count);
	if (api->env.records_lost != NULL)
		st.engine.records_dropped += *api->env.records_lost;
	if (api->env.sandboxes != NULL)
		vg_sandboxes_counters(api->env.sandboxes, &st.sandbox);

	init_response(&resp, &status, req->id);
	vigil__control__v1__stats_response__init(&body);
	fill_ports(&a, &body, &st, api->env.capture);
	fill_engine_counters(&a, &body, &st);
	fill_scan_counters(&a, &body, &api->scans);
	fill_parse_errors(&a, &body, &st);
	if (api->env.sandboxes != NULL)
		fill_plugin_counters(&a, &body, &st);
	fill_engines(&a, &body, api);
	if (api->env.alert_store != NULL)
		fill_alert_counters(&a, &body, api->env.alert_store);
	if (api->env.ts_writer != NULL)
		fill_ts_counters(&a, &body, api->env.ts_writer,
				 api->env.ts_series);
	body.uptime_ms = uv_now(api->loop) - api->started_ms;
	body.version = (char *)VG_VERSION;
	body.plugins = api->env.sandboxes != NULL;
	resp.body_case = VIGIL__CONTROL__V1__RESPONSE__BODY_STATS;
	resp.stats = &body;
	send_response(c, &resp);
	arena_free(&a);
}

/* Fills the scripts <box> loaded with their state. */
static void
fill_scripts(struct arena *a, Vigil__Control__V1__SandboxInfo *info,
	     const struct vg_sandbox *box)
{
	unsigned int i;

	if (box->scripts == NULL || box->script_count == 0)
		return;
	info->scripts = arena_alloc(a, box->script_count *
						 sizeof(*info->scripts));
	if (info->scripts == NULL)
		return;
	for (i = 0; i < box->script_count; i++) {
		Vigil__Control__V1__ScriptState *state =
			arena_alloc(a, sizeof(*state));

		if (state == NULL)
			return;
		vigil__control__v1__script_state__init(state);
		state->plugin = (char *)box->script_plugins[i];
		state->key = (char *)box->scripts[i].key;
		state->enabled = box->scripts[i].enabled;
		state->enabled_source = (char *)box->scripts[i].enabled_source;
		info->scripts[info->n_scripts++] = state;
	}
}

/*
 * Fills the plugins <box> loaded, as its sandbox listed them, with or
 * without scripts. Plugins skipped for a load error are not among them.
 */
static void
fill_loaded(struct arena *a, Vigil__Control__V1__SandboxInfo *info,
	    const struct vg_sandbox *box)
{
	unsigned int i;

	info->scripts_loaded = box->script_count;
	if (box->loaded_plugins == NULL || box->loaded_count == 0)
		return;
	info->loaded_plugins = arena_alloc(a, box->loaded_count *
						      sizeof(char *));
	if (info->loaded_plugins == NULL)
		return;
	for (i = 0; i < box->loaded_count; i++)
		info->loaded_plugins[info->n_loaded_plugins++] =
			(char *)box->loaded_plugins[i];
}

static Vigil__Control__V1__SandboxInfo *
sandbox_to_pb(struct arena *a, struct vg_api *api,
	      const struct vg_sandbox *box)
{
	Vigil__Control__V1__SandboxInfo *info = arena_alloc(a, sizeof(*info));
	unsigned int i;

	if (info == NULL)
		return NULL;
	vigil__control__v1__sandbox_info__init(info);
	info->index = box->index;
	info->running = box->running;
	info->pid = box->running ? box->process.pid : 0;
	if (box->running && box->started_ms > 0 &&
	    uv_now(api->loop) >= box->started_ms)
		info->uptime_ms = uv_now(api->loop) - box->started_ms;
	info->counters = arena_alloc(a, SANDBOX_COUNTERS * sizeof(PbCounter *));
	if (info->counters != NULL)
		info->n_counters = sandbox_counters(a, info->counters, 0,
						    &box->counters);
	fill_loaded(a, info, box);
	fill_scripts(a, info, box);
	info->disabled_plugins = arena_alloc(a, (box->disabled_count + 1) *
							sizeof(char *));
	if (info->disabled_plugins == NULL)
		return info;
	for (i = 0; i < box->disabled_count; i++)
		info->disabled_plugins[info->n_disabled_plugins++] =
			(char *)box->disabled[i];
	return info;
}

static void
handle_plugins(struct api_client *c, const Request *req)
{
	struct vg_api *api = c->api;
	const struct vg_config *cfg = api->env.cfg;
	struct vg_sandboxes *sb = api->env.sandboxes;
	Vigil__Control__V1__PluginsResponse body;
	Vigil__Control__V1__Status status;
	struct arena a = { 0 };
	Response resp;
	unsigned int i;

	init_response(&resp, &status, req->id);
	vigil__control__v1__plugins_response__init(&body);
	body.enabled = sb != NULL;
	body.directories = arena_alloc(&a, (cfg->plugin_dir_count + 1) *
						   sizeof(char *));
	for (i = 0; body.directories != NULL && i < cfg->plugin_dir_count; i++)
		body.directories[body.n_directories++] =
			(char *)cfg->plugin_dirs[i];
	if (sb != NULL) {
		body.sandboxes = arena_alloc(&a, (sb->count + 1) *
							 sizeof(*body.sandboxes));
		for (i = 0; body.sandboxes != NULL && i < sb->count; i++) {
			body.sandboxes[body.n_sandboxes] =
				sandbox_to_pb(&a, api, &sb->sandboxes[i]);
			if (body.sandboxes[body.n_sandboxes] != NULL)
				body.n_sandboxes++;
		}
	}
	resp.body_case = VIGIL__CONTROL__V1__RESPONSE__BODY_PLUGINS;
	resp.plugins = &body;
	send_response(c, &resp);
	arena_free(&a);
}

static void
handle_reload(struct api_client *c, const Request *req)
{
	Vigil__Control__V1__ReloadResponse body;
	Vigil__Control__V1__Status status;
	Response resp;

	if (c->api->env.sandboxes == NULL) {
		send_error(c, req->id,
			   VIGIL__CONTROL__V1__STATUS_CODE__STATUS_UNAVAILABLE,
			   NULL, "no plugins are configured");
		return;
	}
	VG_INFO("engine", "api reload requested, restarting sandboxes");
	vg_sandboxes_reload(c->api->env.sandboxes);
	init_response(&resp, &status, req->id);
	vigil__control__v1__reload_response__init(&body);
	resp.body_case = VIGIL__CONTROL__V1__RESPONSE__BODY_RELOAD;
	resp.reload = &body;
	send_response(c, &resp);
}

static void
handle_request(struct api_client *c, const uint8_t *data, size_t len)
{
	Request *req = vigil__control__v1__request__unpack(NULL, len, data);

	if (req == NULL) {
		VG_WARN("engine", "api request of %zu bytes does not decode, closing the connection",
			len);
		close_client(c);
		return;
	}
	if (req->version !=
	    VIGIL__CONTROL__V1__CONTROL_VERSION__CONTROL_VERSION_1) {
		send_error(c, req->id,
			   VIGIL__CONTROL__V1__STATUS_CODE__STATUS_UNSUPPORTED_VERSION,
			   "version", "vigild speaks version 1 of this protocol");
		goto done;
	}
	switch (req->body_case) {
	case VIGIL__CONTROL__V1__REQUEST__BODY_FLOWS:
		handle_flows(c, req);
		break;
	case VIGIL__CONTROL__V1__REQUEST__BODY_FLOW:
		handle_flow(c, req);
		break;
	case VIGIL__CONTROL__V1__REQUEST__BODY_HOSTS:
		handle_hosts(c, req);
		break;
	case VIGIL__CONTROL__V1__REQUEST__BODY_STATS:
		handle_stats(c, req);
		break;
	case VIGIL__CONTROL__V1__REQUEST__BODY_PLUGINS:
		handle_plugins(c, req);
		break;
	case VIGIL__CONTROL__V1__REQUEST__BODY_RELOAD:
		handle_reload(c, req);
		break;
	default:
		send_error(c, req->id,
			   VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_ARGUMENT,
			   "body", "unknown or missing request body");
		break;
	}
done:
	vigil__control__v1__request__free_unpacked(req, NULL);
}

static uint32_t
frame_length(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct api_client *c = handle->data;

	(void)suggested;
	*buf = uv_buf_init((char *)c->buf + c->used,
			   (unsigned int)(VG_API_REQUEST_MAX + 4 - c->used));
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct api_client *c = stream->data;
	size_t start = 0;

	(void)buf;
	if (nread < 0) {
		close_client(c);
		return;
	}
	c->used += (size_t)nread;
	while (!c->closing && c->used - start >= 4) {
		uint32_t len = frame_length(c->buf + start);

		if (len > VG_API_REQUEST_MAX) {
			VG_WARN("engine", "api request frame=%" PRIu32 " bytes exceeds the limit of %u, closing the connection",
				len, VG_API_REQUEST_MAX);
			close_client(c);
			return;
		}
		if (c->used - start - 4 < len)
			break;
		handle_request(c, c->buf + start + 4, len);
		start += 4 + (size_t)len;
	}
	if (start > 0 && !c->closing) {
		memmove(c->buf, c->buf + start, c->used - start);
		c->used -= start;
	}
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct vg_api *api = server->data;
	struct api_client *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->buf = malloc(VG_API_REQUEST_MAX + 4);
	if (c->buf == NULL) {
		free(c);
		return;
	}
	c->api = api;
	c->next = api->clients;
	api->clients = c;
	uv_pipe_init(server->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) != 0)
		close_client(c);
}

/* ---- start and stop ---- */

/*
 * Removes a socket file that a vigild which died left at <path>. A file
 * that is not a socket, or a socket that another process listens on, is
 * left alone and reported.
 */
static int
remove_stale_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;
	int rc;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return UV_EEXIST;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return uv_translate_sys_error(errno);
	rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	close(fd);
	if (rc == 0)
		return UV_EADDRINUSE;
	unlink(path);
	return 0;
}

static void
on_handle_closed(uv_handle_t *handle)
{
	struct vg_api *api = handle->data;

	api->open_handles--;
	free_api_when_idle(api);
}

/* Sets the table bytes that one flow scan and one host scan read. */
static void
size_scans(struct vg_api *api)
{
	unsigned int e;

	for (e = 0; e < api->env.engine_count; e++) {
		const struct vg_engine *engine = api->engines[e];

		api->flow_bytes += (uint64_t)engine->table->capacity *
				   sizeof(struct vg_flow);
		if (engine->hosts != NULL)
			api->host_bytes += (uint64_t)engine->hosts->capacity *
					   sizeof(struct vg_host);
	}
}

struct vg_api *
vg_api_start(uv_loop_t *loop, const char *path, const struct vg_api_env *env)
{
	struct vg_api *api;
	unsigned int e;
	int rc;

	if (strlen(path) >= sizeof(api->path) || env->engine_count == 0) {
		VG_ERR("engine", "api socket=%s: path too long or no engine lcore",
		       path);
		return NULL;
	}
	api = calloc(1, sizeof(*api));
	if (api == NULL)
		return NULL;
	snprintf(api->path, sizeof(api->path), "%s", path);
	api->env = *env;
	api->loop = loop;
	api->started_ms = uv_now(loop);
	for (e = 0; e < env->engine_count; e++)
		api->engines[e] = env->engines[e]->engine;
	size_scans(api);
	vg_scans_init(&api->scans, env->cfg->web.query_cache_ms,
		      (uint64_t)env->cfg->web.query_scan_mb_per_second << 20);

	uv_pipe_init(loop, &api->server, 0);
	api->server.data = api;
	uv_timer_init(loop, &api->timer);
	api->timer.data = api;
	api->open_handles = 2;
	rc = remove_stale_socket(path);
	if (rc == 0)
		rc = uv_pipe_bind(&api->server, path);
	if (rc == 0) {
		chmod(path, 0660);
		rc = uv_listen((uv_stream_t *)&api->server, 16, on_connection);
	}
	if (rc != 0) {
		VG_ERR("engine", "api socket=%s listen failed: %s%s", path,
		       uv_strerror(rc),
		       rc == UV_EEXIST ? " (the path is not a socket)" :
		       rc == UV_EADDRINUSE ? " (another process listens there)" :
					     "");
		uv_close((uv_handle_t *)&api->server, on_handle_closed);
		uv_close((uv_handle_t *)&api->timer, on_handle_closed);
		return NULL;
	}
	VG_INFO("engine", "api socket=%s listening query_cache_ms=%u query_scan_mb_per_second=%u flow_scan_bytes=%" PRIu64 " host_scan_bytes=%" PRIu64,
		path, env->cfg->web.query_cache_ms,
		env->cfg->web.query_scan_mb_per_second, api->flow_bytes,
		api->host_bytes);
	return api;
}

/* Drops the scans still waiting for the budget, with their requests. */
static void
drop_waiting_scans(struct vg_api *api)
{
	struct vg_scan *scan = api->scans.list;

	while (scan != NULL) {
		struct vg_scan *next = scan->next;

		if (scan->state == VG_SCAN_WAITING) {
			vg_scans_done(&api->scans, scan, -ECANCELED);
			answer_waiters(api, scan);
			vg_scans_remove(&api->scans, scan);
		}
		scan = next;
	}
}

void
vg_api_stop(struct vg_api *api)
{
	struct api_client *c;

	if (api == NULL)
		return;
	for (c = api->clients; c != NULL; c = c->next)
		close_client(c);
	drop_waiting_scans(api);
	unlink(api->path);
	uv_timer_stop(&api->timer);
	uv_close((uv_handle_t *)&api->timer, on_handle_closed);
	uv_close((uv_handle_t *)&api->server, on_handle_closed);
}
