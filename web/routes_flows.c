/*
 * GET /flows, /flows/{id} and /hosts: their parameters become a vigild
 * query, and vigild's response becomes JSON through vg_flow_json() and
 * vg_host_json(). An invalid parameter gets a 400 response naming it
 * before anything is sent to vigild.
 */
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/utf8.h"
#include "routes.h"
#include "web.h"

typedef Vigil__Control__V1__Response Response;
typedef Vigil__Control__V1__Request Request;

/* ---- flows ---- */

static const char *const flow_sorts[] = {
	"bytes", "packets", "first_seen", "last_seen", "duration", "score",
	"rtt", "retransmissions", "c2s_bytes", "s2c_bytes", NULL,
};

static int
param_l4(h2o_req_t *req, const char *text, uint32_t *out)
{
	static const char *const names[] = { "tcp", "udp", "icmp", "icmpv6",
					     NULL };
	static const uint32_t numbers[] = { 6, 17, 1, 58 };
	unsigned long v;
	char *end;
	int i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcasecmp(text, names[i]) == 0) {
			*out = numbers[i];
			return 0;
		}
	}
	v = strtoul(text, &end, 10);
	if (text[0] >= '0' && text[0] <= '9' && *end == '\0' && v <= 255) {
		*out = (uint32_t)v;
		return 0;
	}
	vg_http_error(req, 400, "invalid_parameter", "l4",
		      "l4 must be tcp, udp, icmp, icmpv6 or a number 0..255, got '%.*s'",
		      VG_UTF8_QUOTE(text, 64));
	return -1;
}

/*
 * Fills <q> from the flow filters in <params>. Returns 0, or -1 with the
 * 400 sent.
 */
int
vg_flows_query_build(h2o_req_t *req, const struct vg_params *params,
		     struct flows_query *q)
{
	const char *sort = vg_param(params, "sort");
	const char *text;
	uint64_t v;
	size_t len;

	vigil__control__v1__request__init(&q->req);
	vigil__control__v1__flows_request__init(&q->flows);
	vigil__control__v1__flow_filter__init(&q->filter);
	vigil__control__v1__page__init(&q->page);
	q->req.body_case = VIGIL__CONTROL__V1__REQUEST__BODY_FLOWS;
	q->req.flows = &q->flows;
	q->flows.filter = &q->filter;
	q->flows.page = &q->page;
	if (vg_param_page(req, params, &q->page) != 0)
		return -1;
	if (sort != NULL) {
		int i = vg_name_index(sort, flow_sorts);

		if (i < 0) {
			vg_http_error(req, 400, "invalid_parameter", "sort",
				      "sort must be one of bytes, packets, first_seen, last_seen, duration, score, rtt, retransmissions, c2s_bytes, s2c_bytes; got '%.*s'",
				      VG_UTF8_QUOTE(sort, 64));
			return -1;
		}
		q->flows.sort = (Vigil__Control__V1__FlowSort)i;
	}
	if (vg_param_ip(req, params, "host", q->host, &len) != 0)
		return -1;
	q->filter.host.data = q->host;
	q->filter.host.len = len;
	text = vg_param(params, "l4");
	if (text != NULL) {
		vigil__control__v1__uint_match__init(&q->l4);
		if (param_l4(req, text, &q->l4.value) != 0)
			return -1;
		q->filter.l4_proto = &q->l4;
	}
	q->filter.l7 = (char *)vg_param(params, "l7");
	q->filter.category = (char *)vg_param(params, "category");
	q->filter.status = (char *)vg_param(params, "status");
	if (vg_param(params, "vlan") != NULL) {
		if (vg_param_uint(req, params, "vlan", 0, 4095, &v) != 0)
			return -1;
		vigil__control__v1__uint_match__init(&q->vlan);
		q->vlan.value = (uint32_t)v;
		q->filter.vlan = &q->vlan;
	}
	if (vg_param(params, "port") != NULL) {
		if (vg_param_uint(req, params, "port", 0, 65535, &v) != 0)
			return -1;
		vigil__control__v1__uint_match__init(&q->port);
		q->port.value = (uint32_t)v;
		q->filter.port = &q->port;
	}
	return 0;
}

static void
flows_answered(struct vg_pending *p, const Response *resp, const char *error)
{
	uint64_t page = p->number; /* p is freed by vg_pending_finish() */
	h2o_req_t *req = vg_pending_finish(p);
	const Vigil__Control__V1__FlowsResponse *fr;
	struct vg_jbuf b = { 0 };
	size_t i;

	if (req == NULL || vg_answer_failed(req, resp, error) != 0)
		return;
	fr = resp->flows;
	if (fr == NULL) {
		vg_http_error(req, 502, "vigild_error", NULL,
			      "vigild answered without a flow list");
		return;
	}
	vg_jbuf_printf(&b, "{\"total\":%" PRIu64 ",\"offset\":%" PRIu64
			   ",\"limit\":%" PRIu64 ",\"age_ms\":%" PRIu64
			   ",\"flows\":[",
		       fr->total, page >> 32, page & 0xffffffff, fr->age_ms);
	for (i = 0; i < fr->n_flows; i++) {
		if (i > 0)
			vg_jbuf_lit(&b, ",");
		vg_flow_json(&b, fr->flows[i]);
	}
	vg_jbuf_lit(&b, "]}");
	vg_send_buffer(req, &b);
	vg_jbuf_free(&b);
}

void
vg_get_flows(struct vg_web *web, h2o_req_t *req, struct vg_params *params)
{
	static const char *const allowed[] = {
		"host", "l4", "l7", "category", "status", "vlan", "port",
		"sort", "order", "offset", "limit", NULL,
	};
	const char *unknown = vg_params_unknown(params, allowed);
	struct flows_query q;
	struct vg_pending *p;

	if (unknown != NULL) {
		vg_http_error(req, 400, "invalid_parameter", unknown,
			      "unknown parameter '%s'", unknown);
		return;
	}
	if (vg_flows_query_build(req, params, &q) != 0)
		return;
	p = vg_pending_new(web, req);
	if (p == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	p->params = *params;
	p->number = (uint64_t)q.page.offset << 32 | q.page.limit;
	p->next = flows_answered;
	vg_pending_call(p, &q.req);
}

static void
flow_answered(struct vg_pending *p, const Response *resp, const char *error)
{
	h2o_req_t *req = vg_pending_finish(p);
	struct vg_jbuf b = { 0 };

	if (req == NULL || vg_answer_failed(req, resp, error) != 0)
		return;
	if (resp->flow == NULL || resp->flow->flow == NULL) {
		vg_http_error(req, 502, "vigild_error", NULL,
			      "vigild answered without a flow");
		return;
	}
	vg_jbuf_lit(&b, "{\"flow\":");
	vg_flow_json(&b, resp->flow->flow);
	vg_jbuf_lit(&b, "}");
	vg_send_buffer(req, &b);
	vg_jbuf_free(&b);
}

void
vg_get_flow(struct vg_web *web, h2o_req_t *req, const char *id_text,
	    struct vg_params *params)
{
	Vigil__Control__V1__FlowRequest fr;
	struct vg_pending *p;
	unsigned long long id;
	Request r;
	char *end;

	if (params->count > 0) {
		vg_http_error(req, 400, "invalid_parameter",
			      params->items[0].name, "unknown parameter '%s'",
			      params->items[0].name);
		return;
	}
	errno = 0;
	id = strtoull(id_text, &end, 10);
	if (id_text[0] >= '0' && id_text[0] <= '9' && *end == '\0' &&
	    errno == ERANGE) {
		vg_http_error(req, 400, "invalid_parameter", "id",
			      "a flow id is at most %llu, got '%.*s'",
			      ULLONG_MAX, VG_UTF8_QUOTE(id_text, 64));
		return;
	}
	if (id_text[0] < '0' || id_text[0] > '9' || *end != '\0' ||
	    errno != 0) {
		vg_http_error(req, 400, "invalid_parameter", "id",
			      "a flow id is a decimal number, got '%.*s'",
			      VG_UTF8_QUOTE(id_text, 64));
		return;
	}
	p = vg_pending_new(web, req);
	if (p == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	vigil__control__v1__request__init(&r);
	vigil__control__v1__flow_request__init(&fr);
	fr.flow_id = id;
	r.body_case = VIGIL__CONTROL__V1__REQUEST__BODY_FLOW;
	r.flow = &fr;
	p->next = flow_answered;
	vg_pending_call(p, &r);
}

/* ---- hosts ---- */

static const char *const host_sorts[] = {
	"bytes", "bytes_sent", "bytes_rcvd", "packets", "flows",
	"total_flows", "first_seen", "last_seen", "score", NULL,
};

static void
hosts_answered(struct vg_pending *p, const Response *resp, const char *error)
{
	uint64_t page = p->number; /* p is freed by vg_pending_finish() */
	h2o_req_t *req = vg_pending_finish(p);
	const Vigil__Control__V1__HostsResponse *hr;
	struct vg_jbuf b = { 0 };
	size_t i;

	if (req == NULL || vg_answer_failed(req, resp, error) != 0)
		return;
	hr = resp->hosts;
	if (hr == NULL) {
		vg_http_error(req, 502, "vigild_error", NULL,
			      "vigild answered without a host list");
		return;
	}
	vg_jbuf_printf(&b, "{\"total\":%" PRIu64 ",\"offset\":%" PRIu64
			   ",\"limit\":%" PRIu64 ",\"age_ms\":%" PRIu64
			   ",\"host_tracking\":%s,\"hosts\":[",
		       hr->total, page >> 32, page & 0xffffffff, hr->age_ms,
		       hr->host_tracking ? "true" : "false");
	for (i = 0; i < hr->n_hosts; i++) {
		if (i > 0)
			vg_jbuf_lit(&b, ",");
		vg_host_json(&b, hr->hosts[i]);
	}
	vg_jbuf_lit(&b, "]}");
	vg_send_buffer(req, &b);
	vg_jbuf_free(&b);
}

void
vg_get_hosts(struct vg_web *web, h2o_req_t *req, struct vg_params *params)
{
	static const char *const allowed[] = {
		"ip", "vlan", "local", "sort", "order", "offset", "limit", NULL,
	};
	const char *unknown = vg_params_unknown(params, allowed);
	const char *sort = vg_param(params, "sort");
	Vigil__Control__V1__HostsRequest hr;
	Vigil__Control__V1__HostFilter filter;
	Vigil__Control__V1__Page page;
	Vigil__Control__V1__UIntMatch vlan;
	Vigil__Control__V1__BoolMatch local;
	struct vg_pending *p;
	uint8_t ip[16];
	size_t ip_len;
	uint64_t v;
	Request r;
	int flag;

	if (unknown != NULL) {
		vg_http_error(req, 400, "invalid_parameter", unknown,
			      "unknown parameter '%s'", unknown);
		return;
	}
	vigil__control__v1__request__init(&r);
	vigil__control__v1__hosts_request__init(&hr);
	vigil__control__v1__host_filter__init(&filter);
	vigil__control__v1__page__init(&page);
	r.body_case = VIGIL__CONTROL__V1__REQUEST__BODY_HOSTS;
	r.hosts = &hr;
	hr.filter = &filter;
	hr.page = &page;
	if (vg_param_page(req, params, &page) != 0 ||
	       vg_param_ip(req, params, "ip", ip, &ip_len) != 0 ||
	       vg_param_bool(req, params, "local", &flag) != 0)
		return;
	filter.ip.data = ip;
	filter.ip.len = ip_len;
	if (vg_param(params, "vlan") != NULL) {
		if (vg_param_uint(req, params, "vlan", 0, 4095, &v) != 0)
			return;
		vigil__control__v1__uint_match__init(&vlan);
		vlan.value = (uint32_t)v;
		filter.vlan = &vlan;
	}
	if (flag >= 0) {
		vigil__control__v1__bool_match__init(&local);
		local.value = flag == 1;
		filter.local = &local;
	}
	if (sort != NULL) {
		int i = vg_name_index(sort, host_sorts);

		if (i < 0) {
			vg_http_error(req, 400, "invalid_parameter", "sort",
				      "sort must be one of bytes, bytes_sent, bytes_rcvd, packets, flows, total_flows, first_seen, last_seen, score; got '%.*s'",
				      VG_UTF8_QUOTE(sort, 64));
			return;
		}
		hr.sort = (Vigil__Control__V1__HostSort)i;
	}
	p = vg_pending_new(web, req);
	if (p == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	p->number = (uint64_t)page.offset << 32 | page.limit;
	p->next = hosts_answered;
	vg_pending_call(p, &r);
}
