/*
 * The endpoints that read more than vigild, besides the timeseries
 * (routes_timeseries.c) and the plugins (routes_plugins.c). Login checks
 * passwords on the thread pool. One host comes with its flows, alerts and
 * series. Alerts come from the alert database (read-only). /metrics is
 * here too.
 *
 * NOTE: alert and timeseries reads run on the event loop. They are
 * bounded (paged queries on an indexed SQLite file in WAL mode, one rrd
 * file per request), but a slow disk stalls every connection meanwhile;
 * moving them to the thread pool would remove that.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alert_db.h"
#include "common/log.h"
#include "common/ts_fetch.h"
#include "common/utf8.h"
#include "routes.h"

typedef Vigil__Control__V1__Response Response;
typedef Vigil__Control__V1__Request Request;

void
vg_reject_unknown(h2o_req_t *req, const char *name)
{
	vg_http_error(req, 400, "invalid_parameter", name,
		      "unknown parameter '%s'", name);
}

/* ---- login ---- */

struct login_job {
	uv_work_t work;
	struct vg_pending *pending;
	char user[VG_AUTH_NAME_MAX];
	char *password;
	char hash[crypto_pwhash_STRBYTES];
	bool known;
	enum vg_role role;
	bool ok;
	uint8_t addr[16];
};

static void
client_address(h2o_req_t *req, uint8_t *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(addr, 0, 16);
	len = req->conn->callbacks->get_peername(req->conn,
						 (struct sockaddr *)&ss);
	if (len == 0)
		return;
	if (ss.ss_family == AF_INET) {
		/* As an IPv4-mapped IPv6 address. */
		addr[10] = 0xff;
		addr[11] = 0xff;
		memcpy(addr + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		memcpy(addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	}
}

/*
 * Writes the address that client_address() stored into <buf> as text. An
 * IPv4-mapped address is written as IPv4, and the unspecified address
 * (no peer name) as "-".
 */
static void
address_text(const uint8_t *addr, char *buf, size_t len)
{
	struct in6_addr in6;

	memcpy(&in6, addr, sizeof(in6));
	if (IN6_IS_ADDR_UNSPECIFIED(&in6))
		snprintf(buf, len, "-");
	else if (IN6_IS_ADDR_V4MAPPED(&in6))
		inet_ntop(AF_INET, addr + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, addr, buf, (socklen_t)len);
}

static void
run_login(uv_work_t *work)
{
	struct login_job *job = work->data;
	struct vg_web *web = job->pending->web;

	job->ok = vg_auth_verify(&web->auth, job->known ? job->hash : NULL,
				 job->password);
}

static void
login_done(uv_work_t *work, int status)
{
	struct login_job *job = work->data;
	struct vg_web *web = job->pending->web;
	char peer[INET6_ADDRSTRLEN];
	h2o_req_t *req;
	bool ok;

	web->logins_running--;
	sodium_memzero(job->password, strlen(job->password));
	free(job->password);
	vg_auth_login_result(&web->auth, job->addr, job->ok && status == 0,
			     uv_now(web->loop));
	ok = status == 0 && job->ok;
	if (!ok) {
		/* Logged even when the client is gone, as the limiter counts
		 * it. The address comes before the user name, which the
		 * client chooses, so a pattern anchored at "login failed
		 * peer=" reads the real address. */
		address_text(job->addr, peer, sizeof(peer));
		VG_WARN("web", "login failed peer=%s user=%.64s", peer,
			job->user);
	}
	req = vg_pending_finish(job->pending);
	if (req != NULL) {
		if (ok)
			vg_login_succeeded(web, req, job->user, job->role);
		else
			vg_http_error(req, 401, "invalid_credentials", NULL,
				      "wrong user name or password");
	}
	free(job);
}

void
vg_routes_login(struct vg_web *web, h2o_req_t *req)
{
	struct vg_json_member m[2] = { { "user", NULL }, { "password", NULL } };
	const struct vg_user *user;
	struct login_job *job;
	unsigned int wait;
	char member[65];
	char err[128];
	char retry[16];
	int rc;

	/* The body type comes before the failed-login limit and the body:
	 * an HTML form on another site can post text/plain without the
	 * browser asking first, and would log the victim's browser in to
	 * the attacker's account. */
	if (!vg_http_method_allowed(req, "POST") ||
	    vg_http_check_json_body(req, true) != 0)
		return;
	job = calloc(1, sizeof(*job));
	if (job == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	client_address(req, job->addr);
	wait = vg_auth_login_wait(&web->auth, job->addr, uv_now(web->loop));
	if (wait > 0) {
		free(job);
		snprintf(retry, sizeof(retry), "%u", wait);
		h2o_add_header(&req->pool, &req->res.headers,
			       H2O_TOKEN_RETRY_AFTER, NULL,
			       h2o_strdup(&req->pool, retry, SIZE_MAX).base,
			       strlen(retry));
		vg_http_error(req, 429, "rate_limited", NULL,
			      "too many failed logins from this address; retry in %u s",
			      wait);
		return;
	}
	if (req->entity.base == NULL) {
		free(job);
		vg_http_error(req, 400, "invalid_json", NULL,
			      "a JSON body {\"user\":...,\"password\":...} is required");
		return;
	}
	rc = vg_json_parse_members(req->entity.base, req->entity.len, m, 2,
				   err, sizeof(err), member, sizeof(member));
	if (rc != 0) {
		free(job);
		if (rc != -EINVAL)
			vg_http_error(req, 400, "invalid_json",
				      member[0] != '\0' ? member : NULL, "%s",
				      err);
		else
			vg_http_error(req, 400, "invalid_json",
				      member[0] != '\0' ? member : NULL,
				      "the body is not valid JSON: %s", err);
		return;
	}
	if (m[0].value == NULL || m[1].value == NULL) {
		const char *missing = m[0].value == NULL ? "user" : "password";

		vg_json_members_free(m, 2);
		free(job);
		vg_http_error(req, 400, "invalid_json", missing,
			      "the string member '%s' is required", missing);
		return;
	}
	if (web->logins_running >= VG_WEB_LOGINS_RUNNING_MAX) {
		vg_json_members_free(m, 2);
		free(job);
		vg_http_error(req, 503, "busy", NULL,
			      "too many logins in progress, retry");
		return;
	}

	snprintf(job->user, sizeof(job->user), "%s", m[0].value);
	user = vg_auth_user(&web->auth, job->user);
	if (user != NULL && strlen(m[0].value) < sizeof(job->user)) {
		job->known = true;
		job->role = user->role;
		memcpy(job->hash, user->hash, sizeof(job->hash));
	}
	job->password = m[1].value;
	m[1].value = NULL;
	vg_json_members_free(m, 2);
	job->pending = vg_pending_new(web, req);
	job->work.data = job;
	if (job->pending == NULL ||
	    uv_queue_work(web->loop, &job->work, run_login, login_done) != 0) {
		if (job->pending != NULL)
			vg_pending_finish(job->pending);
		sodium_memzero(job->password, strlen(job->password));
		free(job->password);
		free(job);
		vg_http_error(req, 500, "internal", NULL,
			      "cannot start the password check");
		return;
	}
	web->logins_running++;
}

/* ---- alerts ---- */

/*
 * Returns the alert database, opening it read-only on first use, or NULL
 * with a 503 sent.
 */
static struct vg_alert_db *
alert_db(struct vg_web *web, h2o_req_t *req, char *why, size_t why_len)
{
	const char *path = web->cfg.alerts.database;
	char err[256];

	if (web->alerts != NULL)
		return web->alerts;
	if (path[0] == '\0') {
		snprintf(why, why_len, "no alerts.database is configured");
	} else {
		web->alerts = vg_alert_db_open(path, true, err, sizeof(err));
		if (web->alerts != NULL)
			return web->alerts;
		snprintf(why, why_len, "%s", err);
	}
	if (req != NULL)
		vg_http_error(req, 503, "alert_store_unavailable", NULL,
			      "alert store not available: %s", why);
	return NULL;
}

static void
put_alert_rows(struct vg_jbuf *b, const struct vg_alert_rows *rows)
{
	char stack[4096];
	size_t i;

	vg_jbuf_lit(b, "[");
	for (i = 0; i < rows->count; i++) {
		size_t len = vg_alert_to_json(&rows->rows[i], NULL, stack,
					      sizeof(stack));
		char *text = stack;

		if (len >= sizeof(stack)) {
			text = malloc(len + 1);
			if (text == NULL) {
				b->failed = true;
				return;
			}
			vg_alert_to_json(&rows->rows[i], NULL, text, len + 1);
		}
		if (i > 0)
			vg_jbuf_lit(b, ",");
		vg_jbuf_raw(b, text, len);
		if (text != stack)
			free(text);
	}
	vg_jbuf_lit(b, "]");
}

void
vg_get_alerts(struct vg_web *web, h2o_req_t *req, struct vg_params *params)
{
	static const char *const allowed[] = {
		"state", "entity", "entity_value", "type", "severity", "since",
		"until", "offset", "limit", NULL,
	};
	const char *unknown = vg_params_unknown(params, allowed);
	const char *state = vg_param(params, "state");
	const char *text;
	struct vg_alert_query q = { .view = VG_ALERT_VIEW_ENGAGED };
	struct vg_alert_rows rows = { 0 };
	struct vg_jbuf b = { 0 };
	struct vg_alert_db *db;
	uint64_t v;
	char why[256];
	int n;

	if (unknown != NULL) {
		vg_reject_unknown(req, unknown);
		return;
	}
	if (state != NULL) {
		if (strcmp(state, "engaged") == 0)
			q.view = VG_ALERT_VIEW_ENGAGED;
		else if (strcmp(state, "past") == 0)
			q.view = VG_ALERT_VIEW_PAST;
		else if (strcmp(state, "flow") == 0)
			q.view = VG_ALERT_VIEW_FLOW;
		else {
			vg_http_error(req, 400, "invalid_parameter", "state",
				      "state must be engaged, past or flow, got '%.*s'",
				      VG_UTF8_QUOTE(state, 64));
			return;
		}
	}
	text = vg_param(params, "entity");
	if (text != NULL) {
		n = vg_alert_entity_parse(text);
		if (n <= 0) {
			vg_http_error(req, 400, "invalid_parameter", "entity",
				      "unknown entity '%.*s' (flow, host, interface, network or system)",
				      VG_UTF8_QUOTE(text, 64));
			return;
		}
		q.entity = (unsigned int)n;
	}
	text = vg_param(params, "severity");
	if (text != NULL) {
		n = vg_alert_severity_parse(text);
		if (n < 0) {
			vg_http_error(req, 400, "invalid_parameter", "severity",
				      "unknown severity '%.*s'",
			      VG_UTF8_QUOTE(text, 64));
			return;
		}
		q.min_severity = (unsigned int)n;
	}
	q.entity_value = vg_param(params, "entity_value");
	q.type = vg_param(params, "type");
	v = 0;
	if (vg_param_uint(req, params, "since", 0, UINT32_MAX, &v) != 0)
		return;
	q.from_us = v * 1000000;
	v = 0;
	if (vg_param_uint(req, params, "until", 0, UINT32_MAX, &v) != 0)
		return;
	q.to_us = v * 1000000;
	if (q.to_us != 0 && q.from_us > q.to_us) {
		vg_http_error(req, 400, "invalid_parameter", "since",
			      "since must not be after until");
		return;
	}
	v = 50;
	if (vg_param_uint(req, params, "limit", 1, 1000, &v) != 0)
		return;
	q.limit = (uint32_t)v;
	v = 0;
	if (vg_param_uint(req, params, "offset", 0, 1000000, &v) != 0)
		return;
	q.offset = (uint32_t)v;

	db = alert_db(web, req, why, sizeof(why));
	if (db == NULL)
		return;
	if (vg_alert_db_query(db, &q, &rows) != 0) {
		vg_http_error(req, 503, "alert_store_unavailable", NULL,
			      "the alert query failed; see vigil-web's log");
		return;
	}
	vg_jbuf_printf(&b, "{\"total\":%" PRIu64 ",\"offset\":%u,\"limit\":%u,\"alerts\":",
		       rows.total, q.offset, q.limit);
	put_alert_rows(&b, &rows);
	vg_jbuf_lit(&b, "}");
	vg_alert_rows_free(&rows);
	if (b.failed)
		vg_http_error(req, 500, "internal", NULL, "out of memory");
	else
		vg_http_send_json(req, 200, b.data, b.len);
	vg_jbuf_free(&b);
}

/* ---- one host ---- */

/* The series schemas vigild keeps for a host, besides host:app. */
static const char *const host_schemas[] = { "host:traffic", NULL };

static void
host_extras(struct vg_pending *p, const char *element)
{
	struct vg_web *web = p->web;
	struct vg_alert_query q = { .view = VG_ALERT_VIEW_ENGAGED,
				    .entity = VG_ALERT_ENTITY_HOST,
				    .entity_value = element,
				    .limit = 100 };
	struct vg_alert_rows rows = { 0 };
	struct vg_alert_db *db;
	char why[256];
	char path[VG_PATH_MAX];
	bool first = true;
	unsigned int i;

	db = alert_db(web, NULL, why, sizeof(why));
	if (db != NULL && vg_alert_db_query(db, &q, &rows) != 0) {
		db = NULL;
		snprintf(why, sizeof(why), "the alert query failed");
	}
	vg_jbuf_lit(&p->out, ",\"alerts\":");
	if (db == NULL) {
		vg_jbuf_lit(&p->out, "null,\"alerts_error\":");
		vg_jbuf_string(&p->out, why, strlen(why));
	} else {
		put_alert_rows(&p->out, &rows);
	}
	vg_alert_rows_free(&rows);

	vg_jbuf_lit(&p->out, ",\"series\":");
	if (!web->cfg.ts_enabled || web->cfg.ts_directory[0] == '\0') {
		vg_jbuf_raw(&p->out,
			    "null,\"series_error\":\"timeseries are not configured\"",
			    51);
		return;
	}
	vg_jbuf_lit(&p->out, "[");
	for (i = 0; host_schemas[i] != NULL; i++) {
		if (vg_ts_file(web->cfg.ts_directory, host_schemas[i], element,
			       path, sizeof(path)) != 0)
			continue;
		vg_jbuf_printf(&p->out, "%s{\"schema\":\"%s\",\"element\":",
			       first ? "" : ",", host_schemas[i]);
		vg_jbuf_string(&p->out, element, strlen(element));
		vg_jbuf_printf(&p->out, ",\"step\":%u}", web->cfg.ts_step);
		first = false;
	}
	vg_put_sub_series(&p->out, web, "host", "app", element, &first,
			  VG_SUB_SERIES_MAX);
	vg_jbuf_lit(&p->out, "]");
}

static bool
answer_ok(const Response *resp)
{
	return resp != NULL && (resp->status == NULL ||
				resp->status->code ==
					VIGIL__CONTROL__V1__STATUS_CODE__STATUS_OK);
}

/*
 * Sends the error response for <resp> to the request of <p>, frees <p>.
 * The request is detached first: sending may dispose it at once.
 */
static void
host_failed(struct vg_pending *p, const Response *resp, const char *error)
{
	h2o_req_t *req = vg_pending_finish(p);

	if (req == NULL)
		return;
	if (vg_answer_failed(req, resp, error) == 0)
		vg_http_error(req, 502, "vigild_error", NULL,
			      "vigild answered without the expected list");
}

static void
host_flows_answered(struct vg_pending *p, const Response *resp,
		    const char *error)
{
	const Vigil__Control__V1__FlowsResponse *fr;
	struct vg_jbuf out;
	h2o_req_t *req;
	char element[sizeof(p->text) + 24];
	size_t i;

	if (!answer_ok(resp) || resp->flows == NULL) {
		host_failed(p, resp, error);
		return;
	}
	fr = resp->flows;
	vg_jbuf_lit(&p->out, ",\"flows\":[");
	for (i = 0; i < fr->n_flows; i++) {
		if (i > 0)
			vg_jbuf_lit(&p->out, ",");
		vg_flow_json(&p->out, fr->flows[i]);
	}
	vg_jbuf_printf(&p->out, "],\"flows_total\":%" PRIu64, fr->total);
	snprintf(element, sizeof(element), "%s@%" PRIu64, p->text, p->number);
	host_extras(p, element);
	vg_jbuf_lit(&p->out, "}");

	out = p->out;
	memset(&p->out, 0, sizeof(p->out));
	req = vg_pending_finish(p);
	if (req != NULL && out.failed)
		vg_http_error(req, 500, "internal", NULL, "out of memory");
	else if (req != NULL)
		vg_http_send_json(req, 200, out.data, out.len);
	vg_jbuf_free(&out);
}

static void
host_answered(struct vg_pending *p, const Response *resp, const char *error)
{
	const Vigil__Control__V1__HostsResponse *hr;
	h2o_req_t *req = p->req;
	struct flows_query q;
	uint64_t limit = 100;

	if (!answer_ok(resp) || resp->hosts == NULL) {
		host_failed(p, resp, error);
		return;
	}
	hr = resp->hosts;
	if (hr->n_hosts == 0) {
		const char *vlan = vg_param(&p->params, "vlan");
		bool tracking = hr->host_tracking;
		char where[sizeof(p->text) + 32];

		/* vg_get_host() has checked that vlan is 0..4095. */
		if (vlan != NULL)
			snprintf(where, sizeof(where), "%s on VLAN %lu", p->text,
				 strtoul(vlan, NULL, 10));
		else
			snprintf(where, sizeof(where), "%s", p->text);
		req = vg_pending_finish(p);
		if (req != NULL)
			vg_http_error(req, 404, "not_found", NULL,
				      "vigild has no host %s%s", where,
				      tracking ? "" :
						 " (host tracking is off: no plugins are configured)");
		return;
	}
	p->number = hr->hosts[0]->vlan;
	vg_jbuf_lit(&p->out, "{\"host\":");
	vg_host_json(&p->out, hr->hosts[0]);

	/* The host's flows on its VLAN, most bytes first. */
	vg_param_uint(req, &p->params, "flows_limit", 1, 1000, &limit);
	p->params.count = 0;
	vg_flows_query_build(req, &p->params, &q);
	q.page.limit = (uint32_t)limit;
	vg_parse_ip(p->text, q.host);
	q.filter.host.data = q.host;
	q.filter.host.len = hr->hosts[0]->ip.len;
	vigil__control__v1__uint_match__init(&q.vlan);
	q.vlan.value = hr->hosts[0]->vlan;
	q.filter.vlan = &q.vlan;
	p->next = host_flows_answered;
	vg_pending_call(p, &q.req);
}

void
vg_get_host(struct vg_web *web, h2o_req_t *req, const char *ip,
	    struct vg_params *params)
{
	static const char *const allowed[] = { "vlan", "flows_limit", NULL };
	const char *unknown = vg_params_unknown(params, allowed);
	Vigil__Control__V1__HostsRequest hr;
	Vigil__Control__V1__HostFilter filter;
	Vigil__Control__V1__Page page;
	Vigil__Control__V1__UIntMatch vlan;
	struct vg_pending *p;
	uint8_t addr[16];
	size_t len;
	uint64_t v = 0;
	Request r;

	if (unknown != NULL) {
		vg_reject_unknown(req, unknown);
		return;
	}
	len = vg_parse_ip(ip, addr);
	if (len == 0) {
		vg_http_error(req, 400, "invalid_parameter", "ip",
			      "expected an IPv4 or IPv6 address, got '%.*s'",
			      VG_UTF8_QUOTE(ip, 64));
		return;
	}
	if (vg_param_uint(req, params, "flows_limit", 1, 1000, &v) != 0 ||
	    vg_param_uint(req, params, "vlan", 0, 4095, &v) != 0)
		return;
	vigil__control__v1__request__init(&r);
	vigil__control__v1__hosts_request__init(&hr);
	vigil__control__v1__host_filter__init(&filter);
	vigil__control__v1__page__init(&page);
	r.body_case = VIGIL__CONTROL__V1__REQUEST__BODY_HOSTS;
	r.hosts = &hr;
	hr.filter = &filter;
	hr.page = &page;
	page.limit = 1;
	filter.ip.data = addr;
	filter.ip.len = len;
	if (vg_param(params, "vlan") != NULL) {
		vigil__control__v1__uint_match__init(&vlan);
		vlan.value = (uint32_t)v;
		filter.vlan = &vlan;
	}
	p = vg_pending_new(web, req);
	if (p == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	p->params = *params;
	/* The canonical text of the address, as alerts and series name it. */
	inet_ntop(len == 4 ? AF_INET : AF_INET6, addr, p->text,
		  sizeof(p->text));
	p->next = host_answered;
	vg_pending_call(p, &r);
}

/* ---- /metrics ---- */

static void
put_metric(struct vg_jbuf *b, const char *name, const char *type,
	   const char *labels, uint64_t value)
{
	vg_jbuf_printf(b, "# TYPE vigil_%s %s\nvigil_%s%s %" PRIu64 "\n", name,
		       type, name, labels, value);
}

/* Label values come from vigild's config (port names): escape them. */
static void
label_value(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in != '\0' && o + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/*
 * Writes the endpoints' counters grouped by counter name, one TYPE line
 * each, labelled by endpoint.
 */
static void
put_endpoint_metrics(struct vg_jbuf *b,
		     const Vigil__Control__V1__StatsResponse *st)
{
	static const char *const names[] = { "delivered", "failed", "retried",
					     "dropped", "queued" };
	char value[128];
	size_t i;
	size_t k;

	if (st->n_endpoint_counters == 0)
		return;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		bool gauge = strcmp(names[k], "queued") == 0;

		vg_jbuf_printf(b, "# TYPE vigil_alert_endpoint_%s%s %s\n",
			       names[k], gauge ? "" : "_total",
			       gauge ? "gauge" : "counter");
		for (i = 0; i < st->n_endpoint_counters; i++) {
			const Vigil__Control__V1__LabeledCounter *lc =
				st->endpoint_counters[i];

			if (strcmp(lc->name, names[k]) != 0)
				continue;
			label_value(lc->label, value, sizeof(value));
			vg_jbuf_printf(b, "vigil_alert_endpoint_%s%s{endpoint=\"%s\"} %" PRIu64 "\n",
				       names[k], gauge ? "" : "_total", value,
				       lc->value);
		}
	}
}

static void
put_metrics(struct vg_jbuf *b, const Vigil__Control__V1__StatsResponse *st)
{
	static const char *const port_fields[] = { "ipackets", "ibytes",
						   "imissed", "ierrors",
						   "rx_nombuf" };
	char name[96];
	char labels[256];
	char value[128];
	size_t i;
	size_t f;

	put_metric(b, "up", "gauge", "", 1);
	put_metric(b, "uptime_seconds", "gauge", "", st->uptime_ms / 1000);
	for (i = 0; i < st->n_counters; i++) {
		bool gauge = strcmp(st->counters[i]->name, "active_flows") == 0;

		snprintf(name, sizeof(name), "%s%s", st->counters[i]->name,
			 gauge ? "" : "_total");
		put_metric(b, name, gauge ? "gauge" : "counter", "",
			   st->counters[i]->value);
	}
	vg_jbuf_lit(b, "# TYPE vigil_parse_errors_total counter\n");
	for (i = 0; i < st->n_parse_errors; i++) {
		label_value(st->parse_errors[i]->name, value, sizeof(value));
		vg_jbuf_printf(b, "vigil_parse_errors_total{error=\"%s\"} %" PRIu64 "\n",
			       value, st->parse_errors[i]->value);
	}
	for (f = 0; f < 5; f++) {
		vg_jbuf_printf(b, "# TYPE vigil_port_%s_total counter\n",
			       port_fields[f]);
		for (i = 0; i < st->n_ports; i++) {
			const Vigil__Control__V1__Port *p = st->ports[i];
			uint64_t v[5] = { p->ipackets, p->ibytes, p->imissed,
					  p->ierrors, p->rx_nombuf };

			label_value(p->name, value, sizeof(value));
			vg_jbuf_printf(b, "vigil_port_%s_total{port=\"%s\"} %" PRIu64 "\n",
				       port_fields[f], value, v[f]);
		}
	}
	vg_jbuf_lit(b, "# TYPE vigil_engine_active_flows gauge\n");
	for (i = 0; i < st->n_engines; i++)
		vg_jbuf_printf(b, "vigil_engine_active_flows{engine=\"%u\"} %" PRIu64 "\n",
			       st->engines[i]->index,
			       st->engines[i]->active_flows);
	vg_jbuf_lit(b, "# TYPE vigil_engine_flow_capacity gauge\n");
	for (i = 0; i < st->n_engines; i++)
		vg_jbuf_printf(b, "vigil_engine_flow_capacity{engine=\"%u\"} %" PRIu64 "\n",
			       st->engines[i]->index, st->engines[i]->capacity);
	for (i = 0; i < st->n_plugin_counters; i++) {
		snprintf(name, sizeof(name), "plugin_%s_total",
			 st->plugin_counters[i]->name);
		snprintf(labels, sizeof(labels), "%s", "");
		put_metric(b, name, "counter", labels,
			   st->plugin_counters[i]->value);
	}
	for (i = 0; i < st->n_alert_counters; i++) {
		const char *n = st->alert_counters[i]->name;
		bool gauge = strcmp(n, "queue_length") == 0;

		snprintf(name, sizeof(name), "alerts_%s%s", n,
			 gauge ? "" : "_total");
		put_metric(b, name, gauge ? "gauge" : "counter", "",
			   st->alert_counters[i]->value);
	}
	put_endpoint_metrics(b, st);
	for (i = 0; i < st->n_timeseries_counters; i++) {
		const char *n = st->timeseries_counters[i]->name;
		bool gauge = strcmp(n, "queue_high_water") == 0 ||
			     strcmp(n, "queue_size") == 0 ||
			     strcmp(n, "host_series") == 0;

		snprintf(name, sizeof(name), "timeseries_%s%s", n,
			 gauge ? "" : "_total");
		put_metric(b, name, gauge ? "gauge" : "counter", "",
			   st->timeseries_counters[i]->value);
	}
}

static void
send_metrics(h2o_req_t *req, struct vg_jbuf *b)
{
	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
		       NULL, H2O_STRLIT("text/plain; version=0.0.4"));
	h2o_send_inline(req, b->data, b->len);
}

static void
metrics_answered(struct vg_pending *p, const Response *resp, const char *error)
{
	h2o_req_t *req = vg_pending_finish(p);
	struct vg_jbuf b = { 0 };

	(void)error;
	if (req == NULL)
		return;
	if (resp == NULL || resp->stats == NULL || resp->status == NULL ||
	    resp->status->code != VIGIL__CONTROL__V1__STATUS_CODE__STATUS_OK) {
		/* Scrapes still succeed, so vigil_up 0 can raise an alert. */
		vg_jbuf_lit(&b, "# TYPE vigil_up gauge\nvigil_up 0\n");
	} else {
		put_metrics(&b, resp->stats);
	}
	if (b.failed)
		vg_http_error(req, 500, "internal", NULL, "out of memory");
	else
		send_metrics(req, &b);
	vg_jbuf_free(&b);
}

void
vg_routes_metrics(struct vg_web *web, h2o_req_t *req)
{
	Vigil__Control__V1__StatsRequest body;
	struct vg_pending *p = vg_pending_new(web, req);
	Request r;

	if (p == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	vg_stats_request(&r, &body);
	p->next = metrics_answered;
	vg_pending_call(p, &r);
}
