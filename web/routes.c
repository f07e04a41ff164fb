/*
 * The API endpoints that query vigild: sessions, interfaces, flows, hosts,
 * plugins and reload. docs/api.md is their contract. Every parameter is
 * checked here before anything is sent to vigild, and an invalid one gets
 * a 400 response naming it. This file contains the parameter parsers, the
 * JSON of flows and hosts, the route table and the smaller endpoints. The
 * flow and host lists are in routes_flows.c.
 *
 * vigild's protobuf answers become JSON here. Flow ids are written as
 * decimal strings because they are 64-bit and a browser's numbers are not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/utf8.h"
#include "plugin_pages.h"
#include "routes.h"
#include "web.h"

typedef Vigil__Control__V1__Response Response;
typedef Vigil__Control__V1__Request Request;

/* ---- parameters ---- */

const char *
vg_param(const struct vg_params *params, const char *name)
{
	unsigned int i;

	for (i = 0; i < params->count; i++) {
		if (strcmp(params->items[i].name, name) == 0)
			return params->items[i].value;
	}
	return NULL;
}

const char *
vg_params_unknown(const struct vg_params *params, const char *const *allowed)
{
	unsigned int i;
	unsigned int j;

	for (i = 0; i < params->count; i++) {
		for (j = 0; allowed[j] != NULL; j++) {
			if (strcmp(params->items[i].name, allowed[j]) == 0)
				break;
		}
		if (allowed[j] == NULL)
			return params->items[i].name;
	}
	return NULL;
}

int
vg_param_uint(h2o_req_t *req, const struct vg_params *params,
	      const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *text = vg_param(params, name);
	unsigned long long v;
	char *end;

	if (text == NULL)
		return 0;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
	    v < min || v > max) {
		vg_http_error(req, 400, "invalid_parameter", name,
			      "%s must be an integer %" PRIu64 "..%" PRIu64 ", got '%.*s'",
			      name, min, max, VG_UTF8_QUOTE(text, 64));
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * Parses an IPv4 or IPv6 address into <addr>; returns its length or 0.
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is taken as the IPv4
 * host, because that is how software writes an IPv4 host as IPv6.
 */
size_t
vg_parse_ip(const char *text, uint8_t *addr)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (inet_pton(AF_INET, text, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, addr) != 1)
		return 0;
	if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		return 4;
	}
	return 16;
}

int
vg_param_ip(h2o_req_t *req, const struct vg_params *params, const char *name,
	    uint8_t *addr, size_t *len)
{
	const char *text = vg_param(params, name);

	*len = 0;
	if (text == NULL)
		return 0;
	*len = vg_parse_ip(text, addr);
	if (*len == 0) {
		vg_http_error(req, 400, "invalid_parameter", name,
			      "%s must be an IPv4 or IPv6 address, got '%.*s'",
			      name, VG_UTF8_QUOTE(text, 64));
		return -1;
	}
	return 0;
}

int
vg_param_bool(h2o_req_t *req, const struct vg_params *params, const char *name,
	      int *out)
{
	const char *text = vg_param(params, name);

	*out = -1;
	if (text == NULL)
		return 0;
	if (strcmp(text, "true") == 0)
		*out = 1;
	else if (strcmp(text, "false") == 0)
		*out = 0;
	if (*out < 0) {
		vg_http_error(req, 400, "invalid_parameter", name,
			      "%s must be true or false, got '%.*s'", name,
			      VG_UTF8_QUOTE(text, 64));
		return -1;
	}
	return 0;
}

/* Reads offset, limit and order into <page>. */
int
vg_param_page(h2o_req_t *req, const struct vg_params *params,
	      Vigil__Control__V1__Page *page)
{
	const char *order = vg_param(params, "order");
	uint64_t offset = 0;
	uint64_t limit = 50;

	if (vg_param_uint(req, params, "limit", 1, 1000, &limit) != 0 ||
	    vg_param_uint(req, params, "offset", 0, 9999, &offset) != 0)
		return -1;
	if (offset + limit > 10000) {
		vg_http_error(req, 400, "invalid_parameter", "offset",
			      "offset + limit must not exceed 10000");
		return -1;
	}
	if (order != NULL && strcmp(order, "asc") != 0 &&
	    strcmp(order, "desc") != 0) {
		vg_http_error(req, 400, "invalid_parameter", "order",
			      "order must be asc or desc, got '%.*s'",
			      VG_UTF8_QUOTE(order, 64));
		return -1;
	}
	page->offset = (uint32_t)offset;
	page->limit = (uint32_t)limit;
	page->ascending = order != NULL && strcmp(order, "asc") == 0;
	return 0;
}

/* Returns the index of <text> in the NULL-terminated <names>, or -1. */
int
vg_name_index(const char *text, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(text, names[i]) == 0)
			return i;
	}
	return -1;
}

/* ---- vigild responses ---- */

/* Maps a request field of vigil_control.proto to its query parameter. */
static const char *
param_of_field(const char *field)
{
	const char *dot = strrchr(field, '.');

	if (field[0] == '\0')
		return NULL;
	if (strcmp(field, "filter.l4_proto") == 0)
		return "l4";
	if (strcmp(field, "filter.ip") == 0)
		return "ip";
	return dot != NULL ? dot + 1 : field;
}

int
vg_answer_failed(h2o_req_t *req, const Response *resp, const char *error)
{
	const Vigil__Control__V1__Status *st;

	if (resp == NULL) {
		vg_http_error(req, 503, "vigild_unavailable", NULL,
			      "vigild is not available: %s", error);
		return -1;
	}
	st = resp->status;
	if (st == NULL ||
	    st->code == VIGIL__CONTROL__V1__STATUS_CODE__STATUS_OK)
		return 0;
	switch (st->code) {
	case VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_ARGUMENT:
		vg_http_error(req, 400, "invalid_parameter",
			      param_of_field(st->field), "%s", st->message);
		break;
	case VIGIL__CONTROL__V1__STATUS_CODE__STATUS_NOT_FOUND:
		vg_http_error(req, 404, "not_found", NULL, "%s", st->message);
		break;
	case VIGIL__CONTROL__V1__STATUS_CODE__STATUS_BUSY:
		vg_http_error(req, 503, "busy", NULL, "%s", st->message);
		break;
	case VIGIL__CONTROL__V1__STATUS_CODE__STATUS_UNAVAILABLE:
		vg_http_error(req, 409, "unavailable", NULL, "%s",
			      st->message);
		break;
	default:
		vg_http_error(req, 502, "vigild_error", NULL,
			      "vigild answered code %d: %s", (int)st->code,
			      st->message);
		break;
	}
	return -1;
}

void
vg_send_buffer(h2o_req_t *req, struct vg_jbuf *b)
{
	if (b->failed)
		vg_http_error(req, 500, "internal", NULL, "out of memory");
	else
		vg_http_send_json(req, 200, b->data, b->len);
}

/* ---- JSON of flows and hosts ---- */

static void
put_ip(struct vg_jbuf *b, const ProtobufCBinaryData *ip)
{
	char text[INET6_ADDRSTRLEN] = "";

	if (ip->len == 4 || ip->len == 16)
		inet_ntop(ip->len == 4 ? AF_INET : AF_INET6, ip->data, text,
			  sizeof(text));
	vg_jbuf_string(b, text, strlen(text));
}

static const char *
l4_name(uint32_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 1:
		return "ICMP";
	case 58:
		return "ICMPV6";
	case 2:
		return "IGMP";
	case 112:
		return "VRRP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static void
put_tcp_flags(struct vg_jbuf *b, uint32_t flags)
{
	static const char *const names[8] = { "FIN", "SYN", "RST", "PSH",
					       "ACK", "URG", "ECE", "CWR" };
	char text[64] = "";
	unsigned int i;

	for (i = 0; i < 8; i++) {
		if (!(flags & (1u << i)))
			continue;
		if (text[0] != '\0')
			strcat(text, "|");
		strcat(text, names[i]);
	}
	vg_jbuf_string(b, text, strlen(text));
}

static void
put_str(struct vg_jbuf *b, const char *key, const char *value)
{
	vg_jbuf_key(b, false, key);
	vg_jbuf_string(b, value != NULL ? value : "",
		       value != NULL ? strlen(value) : 0);
}

static void
put_u64(struct vg_jbuf *b, const char *key, uint64_t value)
{
	vg_jbuf_key(b, false, key);
	vg_jbuf_printf(b, "%" PRIu64, value);
}

static void
put_bool(struct vg_jbuf *b, const char *key, bool value)
{
	vg_jbuf_key(b, false, key);
	vg_jbuf_raw(b, value ? "true" : "false", value ? 4 : 5);
}

static void
put_time(struct vg_jbuf *b, const char *key, uint64_t us)
{
	vg_jbuf_key(b, false, key);
	vg_jbuf_time(b, us);
}

static void
put_strings(struct vg_jbuf *b, const char *key, char **items, size_t n)
{
	size_t i;

	vg_jbuf_key(b, false, key);
	vg_jbuf_lit(b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			vg_jbuf_lit(b, ",");
		vg_jbuf_string(b, items[i], strlen(items[i]));
	}
	vg_jbuf_lit(b, "]");
}

void
vg_flow_json(struct vg_jbuf *b, const Vigil__Control__V1__Flow *f)
{
	char number[16];
	char ja3[33] = "";
	size_t i;

	vg_jbuf_printf(b, "{\"id\":\"%" PRIu64 "\"", f->id);
	put_u64(b, "engine", f->engine);
	put_str(b, "l4", l4_name(f->l4_proto, number, sizeof(number)));
	put_u64(b, "ip_version", f->ip_version);
	vg_jbuf_key(b, false, "client_ip");
	put_ip(b, &f->client_ip);
	put_u64(b, "client_port", f->client_port);
	vg_jbuf_key(b, false, "server_ip");
	put_ip(b, &f->server_ip);
	put_u64(b, "server_port", f->server_port);
	put_u64(b, "vlan", f->vlan);
	put_str(b, "l7", f->l7);
	put_str(b, "l7_master", f->l7_master);
	put_str(b, "l7_app", f->l7_app);
	put_str(b, "category", f->category);
	put_str(b, "confidence", f->confidence);
	put_bool(b, "detection_done", f->detection_done);
	put_u64(b, "c2s_packets", f->c2s_packets);
	put_u64(b, "c2s_bytes", f->c2s_bytes);
	put_u64(b, "s2c_packets", f->s2c_packets);
	put_u64(b, "s2c_bytes", f->s2c_bytes);
	put_time(b, "first_seen", f->first_seen_us);
	put_time(b, "last_seen", f->last_seen_us);
	put_time(b, "duration", f->last_seen_us > f->first_seen_us ?
					f->last_seen_us - f->first_seen_us : 0);
	vg_jbuf_key(b, false, "server_name");
	vg_jbuf_string(b, (const char *)f->server_name.data,
		       f->server_name.len);
	for (i = 0; i < f->ja3_client.len && i < 16; i++)
		snprintf(ja3 + 2 * i, 3, "%02x", f->ja3_client.data[i]);
	put_str(b, "ja3_client", ja3);
	put_strings(b, "risks", f->risks, f->n_risks);
	if (f->l4_proto == 6) {
		vg_jbuf_key(b, false, "tcp_flags");
		put_tcp_flags(b, f->c2s_tcp_flags | f->s2c_tcp_flags);
		vg_jbuf_key(b, false, "c2s_tcp_flags");
		put_tcp_flags(b, f->c2s_tcp_flags);
		vg_jbuf_key(b, false, "s2c_tcp_flags");
		put_tcp_flags(b, f->s2c_tcp_flags);
	} else {
		put_str(b, "tcp_flags", "");
	}
	put_u64(b, "retransmissions", f->retransmissions);
	put_u64(b, "out_of_order", f->out_of_order);
	put_u64(b, "zero_windows", f->zero_windows);
	put_u64(b, "rtt_us", f->rtt_us);
	put_strings(b, "statuses", f->statuses, f->n_statuses);
	put_u64(b, "score", f->score);
	put_bool(b, "swapped", f->swapped);
	vg_jbuf_lit(b, "}");
}

void
vg_host_json(struct vg_jbuf *b, const Vigil__Control__V1__Host *h)
{
	vg_jbuf_lit(b, "{");
	vg_jbuf_key(b, true, "ip");
	put_ip(b, &h->ip);
	put_u64(b, "ip_version", h->ip.len == 16 ? 6 : 4);
	put_u64(b, "vlan", h->vlan);
	put_bool(b, "local", h->local);
	put_u64(b, "bytes_sent", h->bytes_sent);
	put_u64(b, "bytes_rcvd", h->bytes_rcvd);
	put_u64(b, "packets_sent", h->packets_sent);
	put_u64(b, "packets_rcvd", h->packets_rcvd);
	put_time(b, "first_seen", h->first_seen_us);
	put_time(b, "last_seen", h->last_seen_us);
	put_u64(b, "active_flows_as_client", h->flows_as_client);
	put_u64(b, "active_flows_as_server", h->flows_as_server);
	put_u64(b, "total_flows_as_client", h->total_flows_as_client);
	put_u64(b, "total_flows_as_server", h->total_flows_as_server);
	put_u64(b, "score", h->score);
	vg_jbuf_lit(b, "}");
}

/* ---- interfaces ---- */

static void
put_counters(struct vg_jbuf *b, Vigil__Control__V1__Counter **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put_u64(b, list[i]->name, list[i]->value);
}

static void
interfaces_answered(struct vg_pending *p, const Response *resp,
		    const char *error)
{
	h2o_req_t *req = vg_pending_finish(p);
	const Vigil__Control__V1__StatsResponse *st;
	struct vg_jbuf b = { 0 };
	size_t i;

	if (req == NULL || vg_answer_failed(req, resp, error) != 0)
		return;
	st = resp->stats;
	if (st == NULL) {
		vg_http_error(req, 502, "vigild_error", NULL,
			      "vigild answered without counters");
		return;
	}
	vg_jbuf_lit(&b, "{\"interfaces\":[");
	for (i = 0; i < st->n_ports; i++) {
		const Vigil__Control__V1__Port *port = st->ports[i];

		vg_jbuf_raw(&b, i > 0 ? ",{" : "{", i > 0 ? 2 : 1);
		vg_jbuf_key(&b, true, "name");
		vg_jbuf_string(&b, port->name, strlen(port->name));
		put_str(&b, "device", port->device);
		put_u64(&b, "ipackets", port->ipackets);
		put_u64(&b, "ibytes", port->ibytes);
		put_u64(&b, "imissed", port->imissed);
		put_u64(&b, "ierrors", port->ierrors);
		put_u64(&b, "rx_nombuf", port->rx_nombuf);
		vg_jbuf_lit(&b, "}");
	}
	vg_jbuf_lit(&b, "],\"counters\":{\"parse_errors\":{");
	for (i = 0; i < st->n_parse_errors; i++) {
		vg_jbuf_key(&b, i == 0, st->parse_errors[i]->name);
		vg_jbuf_printf(&b, "%" PRIu64, st->parse_errors[i]->value);
	}
	vg_jbuf_lit(&b, "}");
	put_counters(&b, st->counters, st->n_counters);
	if (st->plugins) {
		vg_jbuf_lit(&b, ",\"plugins\":{");
		for (i = 0; i < st->n_plugin_counters; i++) {
			vg_jbuf_key(&b, i == 0, st->plugin_counters[i]->name);
			vg_jbuf_printf(&b, "%" PRIu64,
				       st->plugin_counters[i]->value);
		}
		vg_jbuf_lit(&b, "}");
	}
	if (st->n_alert_counters > 0) {
		vg_jbuf_lit(&b, ",\"alerts\":{");
		for (i = 0; i < st->n_alert_counters; i++) {
			vg_jbuf_key(&b, i == 0, st->alert_counters[i]->name);
			vg_jbuf_printf(&b, "%" PRIu64,
				       st->alert_counters[i]->value);
		}
		vg_jbuf_lit(&b, "},\"alert_endpoints\":[");
		for (i = 0; i < st->n_endpoint_counters; i++) {
			const Vigil__Control__V1__LabeledCounter *lc =
				st->endpoint_counters[i];

			vg_jbuf_raw(&b, i > 0 ? ",{" : "{", i > 0 ? 2 : 1);
			vg_jbuf_key(&b, true, "endpoint");
			vg_jbuf_string(&b, lc->label, strlen(lc->label));
			put_str(&b, "counter", lc->name);
			put_u64(&b, "value", lc->value);
			vg_jbuf_lit(&b, "}");
		}
		vg_jbuf_lit(&b, "]");
	}
	if (st->n_timeseries_counters > 0) {
		vg_jbuf_lit(&b, ",\"timeseries\":{");
		for (i = 0; i < st->n_timeseries_counters; i++) {
			vg_jbuf_key(&b, i == 0,
				    st->timeseries_counters[i]->name);
			vg_jbuf_printf(&b, "%" PRIu64,
				       st->timeseries_counters[i]->value);
		}
		vg_jbuf_lit(&b, "}");
	}
	vg_jbuf_lit(&b, "},\"engines\":[");
	for (i = 0; i < st->n_engines; i++)
		vg_jbuf_printf(&b, "%s{\"index\":%u,\"active_flows\":%" PRIu64
				   ",\"capacity\":%" PRIu64 "}",
			       i > 0 ? "," : "", st->engines[i]->index,
			       st->engines[i]->active_flows,
			       st->engines[i]->capacity);
	vg_jbuf_printf(&b, "],\"uptime\":%" PRIu64 ".%03" PRIu64,
		       st->uptime_ms / 1000, st->uptime_ms % 1000);
	put_time(&b, "packet_time", st->packet_time_us);
	put_str(&b, "version", st->version);
	vg_jbuf_lit(&b, "}");
	vg_send_buffer(req, &b);
	vg_jbuf_free(&b);
}

void
vg_stats_request(Request *r, Vigil__Control__V1__StatsRequest *body)
{
	vigil__control__v1__request__init(r);
	vigil__control__v1__stats_request__init(body);
	r->body_case = VIGIL__CONTROL__V1__REQUEST__BODY_STATS;
	r->stats = body;
}

static void
get_interfaces(struct vg_web *web, h2o_req_t *req, struct vg_params *params)
{
	Vigil__Control__V1__StatsRequest body;
	struct vg_pending *p;
	Request r;

	if (params->count > 0) {
		vg_http_error(req, 400, "invalid_parameter",
			      params->items[0].name, "unknown parameter '%s'",
			      params->items[0].name);
		return;
	}
	p = vg_pending_new(web, req);
	if (p == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	vg_stats_request(&r, &body);
	p->next = interfaces_answered;
	vg_pending_call(p, &r);
}

/* ---- plugin reload ---- */

static void
reload_answered(struct vg_pending *p, const Response *resp, const char *error)
{
	h2o_req_t *req = vg_pending_finish(p);

	if (req == NULL)
		return;
	if (resp != NULL && resp->status != NULL &&
	    resp->status->code ==
		    VIGIL__CONTROL__V1__STATUS_CODE__STATUS_UNAVAILABLE) {
		vg_http_error(req, 409, "no_plugins", NULL, "%s",
			      resp->status->message);
		return;
	}
	if (resp != NULL && resp->status != NULL &&
	    resp->status->code ==
		    VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_CONFIG) {
		vg_http_error(req, 409, "invalid_config", NULL,
			      "reload refused: %s", resp->status->message);
		return;
	}
	if (vg_answer_failed(req, resp, error) != 0)
		return;
	vg_http_send_json(req, 200, "{\"ok\":true}", 11);
}

static void
post_reload(struct vg_web *web, h2o_req_t *req, const struct vg_caller *caller)
{
	Vigil__Control__V1__ReloadRequest body;
	struct vg_pending *p;
	Request r;

	if (caller->role != VG_ROLE_ADMIN) {
		vg_http_error(req, 403, "forbidden", NULL,
			      "reloading plugins needs the admin role");
		return;
	}
	/* The body is optional; one that is sent must be a JSON object. */
	if (req->entity.base != NULL && req->entity.len > 0) {
		struct vg_json_member none[1] = { { "-", NULL } };
		char err[128], member[64];

		int rc = vg_json_parse_members(req->entity.base,
					       req->entity.len, none, 0, err,
					       sizeof(err), member,
					       sizeof(member));

		if (rc != 0) {
			vg_json_members_free(none, 1);
			vg_http_error(req, 400, "invalid_json",
				      member[0] != '\0' ? member : NULL, "%s%s",
				      rc == -EINVAL ? "the body is not valid JSON: " :
						      "",
				      err);
			return;
		}
		vg_json_members_free(none, 1);
	}
	p = vg_pending_new(web, req);
	if (p == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	vigil__control__v1__request__init(&r);
	vigil__control__v1__reload_request__init(&body);
	r.body_case = VIGIL__CONTROL__V1__REQUEST__BODY_RELOAD;
	r.reload = &body;
	p->next = reload_answered;
	VG_INFO("web", "user=%s requested a plugin reload",
		caller->session != NULL ? caller->session->user : "-");
	vg_pending_call(p, &r);
}

/* ---- sessions ---- */

static void
send_session(h2o_req_t *req, const struct vg_session *s)
{
	struct vg_jbuf b = { 0 };

	vg_jbuf_lit(&b, "{");
	vg_jbuf_key(&b, true, "user");
	vg_jbuf_string(&b, s->user, strlen(s->user));
	put_str(&b, "role", vg_role_name(s->role));
	put_str(&b, "csrf_token", s->csrf);
	vg_jbuf_lit(&b, "}");
	vg_send_buffer(req, &b);
	vg_jbuf_free(&b);
}

static void
post_logout(struct vg_web *web, h2o_req_t *req, const struct vg_caller *caller)
{
	static const char expired[] =
		"vigil_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";

	if (caller->session != NULL)
		vg_auth_session_end(&web->auth, caller->session);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE,
		       NULL, expired, sizeof(expired) - 1);
	vg_http_send_json(req, 200, "{\"ok\":true}", 11);
}

void
vg_login_succeeded(struct vg_web *web, h2o_req_t *req, const char *user,
		   enum vg_role role)
{
	struct vg_session *s = vg_auth_session_new(&web->auth, user, role,
						   uv_now(web->loop));
	char cookie[256];
	int len;

	if (s == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	len = snprintf(cookie, sizeof(cookie),
		       "vigil_session=%s; Path=/; HttpOnly; SameSite=Strict%s",
		       s->token, web->ssl_ctx != NULL ? "; Secure" : "");
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE,
		       NULL, h2o_strdup(&req->pool, cookie, (size_t)len).base,
		       (size_t)len);
	VG_INFO("web", "user=%s role=%s logged in", user, vg_role_name(role));
	send_session(req, s);
}

/* ---- dispatch ---- */

enum route_id {
	ROUTE_LOGOUT,
	ROUTE_SESSION,
	ROUTE_INTERFACES,
	ROUTE_FLOWS,
	ROUTE_FLOW,
	ROUTE_HOSTS,
	ROUTE_HOST,
	ROUTE_ALERTS,
	ROUTE_TIMESERIES,
	ROUTE_SERIES,
	ROUTE_PLUGINS,
	ROUTE_RELOAD,
	ROUTE_PAGES,
	ROUTE_PAGE,
};

enum route_match {
	MATCH_EXACT,               /* the path itself */
	MATCH_SEGMENT,             /* the prefix and one more path segment */
	MATCH_PAGE,                /* the prefix, then NAME/pages/NAME */
};

/* An endpoint below /api/v1. The first match in routes[] wins. */
struct route {
	const char *path;
	enum route_match match;
	const char *method;
	enum route_id id;
};

static const struct route routes[] = {
	{ "/logout", MATCH_EXACT, "POST", ROUTE_LOGOUT },
	{ "/session", MATCH_EXACT, "GET", ROUTE_SESSION },
	{ "/interfaces", MATCH_EXACT, "GET", ROUTE_INTERFACES },
	{ "/flows", MATCH_EXACT, "GET", ROUTE_FLOWS },
	{ "/flows/", MATCH_SEGMENT, "GET", ROUTE_FLOW },
	{ "/hosts", MATCH_EXACT, "GET", ROUTE_HOSTS },
	{ "/hosts/", MATCH_SEGMENT, "GET", ROUTE_HOST },
	{ "/alerts", MATCH_EXACT, "GET", ROUTE_ALERTS },
	{ "/timeseries", MATCH_EXACT, "GET", ROUTE_TIMESERIES },
	{ "/timeseries/series", MATCH_EXACT, "GET", ROUTE_SERIES },
	{ "/plugins", MATCH_EXACT, "GET", ROUTE_PLUGINS },
	{ "/plugins/reload", MATCH_EXACT, "POST", ROUTE_RELOAD },
	{ "/plugins/pages", MATCH_EXACT, "GET", ROUTE_PAGES },
	{ "/plugins/", MATCH_PAGE, "GET", ROUTE_PAGE },
};

/* Returns the route of <path>, or NULL; *<rest> is what follows a prefix. */
static const struct route *
find_route(const char *path, const char **rest)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		size_t len = strlen(r->path);

		if (r->match == MATCH_EXACT) {
			if (strcmp(path, r->path) != 0)
				continue;
		} else if (strncmp(path, r->path, len) != 0 ||
			   (r->match == MATCH_SEGMENT &&
			    strchr(path + len, '/') != NULL) ||
			   (r->match == MATCH_PAGE &&
			    strstr(path + len, "/pages/") == NULL)) {
			continue;
		}
		*rest = path + len;
		return r;
	}
	return NULL;
}

const char *
vg_routes_method(const char *path)
{
	const char *rest;
	const struct route *r = find_route(path, &rest);

	return r != NULL ? r->method : NULL;
}

void
vg_routes_api(struct vg_web *web, h2o_req_t *req, const char *path,
	      const struct vg_caller *caller, struct vg_params *params)
{
	const char *rest;
	const struct route *r = find_route(path, &rest);

	if (r == NULL) {
		vg_http_error(req, 404, "not_found", NULL, "no such endpoint");
		return;
	}
	switch (r->id) {
	case ROUTE_LOGOUT:
		post_logout(web, req, caller);
		break;
	case ROUTE_SESSION:
		if (caller->session == NULL)
			vg_http_error(req, 401, "unauthenticated", NULL,
				      "no session: login is off or has expired");
		else
			send_session(req, caller->session);
		break;
	case ROUTE_INTERFACES:
		get_interfaces(web, req, params);
		break;
	case ROUTE_FLOWS:
		vg_get_flows(web, req, params);
		break;
	case ROUTE_FLOW:
		vg_get_flow(web, req, rest, params);
		break;
	case ROUTE_HOSTS:
		vg_get_hosts(web, req, params);
		break;
	case ROUTE_HOST:
		vg_get_host(web, req, rest, params);
		break;
	case ROUTE_ALERTS:
		vg_get_alerts(web, req, params);
		break;
	case ROUTE_TIMESERIES:
		vg_get_timeseries(web, req, params);
		break;
	case ROUTE_SERIES:
		vg_get_series_list(web, req, params);
		break;
	case ROUTE_PLUGINS:
		vg_get_plugins(web, req, params);
		break;
	case ROUTE_RELOAD:
		post_reload(web, req, caller);
		break;
	case ROUTE_PAGES:
		vg_plugin_pages_menu(web, req, params);
		break;
	case ROUTE_PAGE:
		vg_plugin_pages_page(web, req, rest, caller, params);
		break;
	}
}
