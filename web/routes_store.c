/*
 * The endpoints that read more than vigild. Login checks passwords on the
 * thread pool. One host comes with its flows, alerts and series. Alerts
 * come from the alert database (read-only) and timeseries from the rrd
 * files. Plugins combine vigild's sandboxes with the plugin folders and
 * the configuration file. /metrics is here too.
 *
 * NOTE: alert and timeseries reads run on the event loop. They are
 * bounded (paged queries on an indexed SQLite file in WAL mode, one rrd
 * file per request), but a slow disk stalls every connection meanwhile;
 * moving them to the thread pool would remove that.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <yaml.h>

#include "common/alert_db.h"
#include "common/log.h"
#include "common/number_text.h"
#include "common/ts_fetch.h"
#include "common/utf8.h"
#include "routes.h"

typedef Vigil__Control__V1__Response Response;
typedef Vigil__Control__V1__Request Request;

static void
reject_unknown(h2o_req_t *req, const char *name)
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
	h2o_req_t *req;

	web->logins_running--;
	sodium_memzero(job->password, strlen(job->password));
	free(job->password);
	vg_auth_login_result(&web->auth, job->addr, job->ok && status == 0,
			     uv_now(web->loop));
	req = vg_pending_finish(job->pending);
	if (req != NULL) {
		if (status == 0 && job->ok) {
			vg_login_succeeded(web, req, job->user, job->role);
		} else {
			VG_WARN("web", "login failed user=%.64s", job->user);
			vg_http_error(req, 401, "invalid_credentials", NULL,
				      "wrong user name or password");
		}
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
		reject_unknown(req, unknown);
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

/* ---- timeseries ---- */

static void
put_number(struct vg_jbuf *b, double v)
{
	if (isnan(v) || isinf(v))
		vg_jbuf_lit(b, "null");
	else {
		char text[VG_DOUBLE_TEXT_MAX];

		vg_format_double(text, sizeof(text), v);
		vg_jbuf_printf(b, "%s", text);
	}
}

static void
put_series(struct vg_jbuf *b, const struct vg_ts_result *r)
{
	size_t row;
	unsigned int m;

	vg_jbuf_printf(b, "\"cf\":\"%s\",\"start\":%" PRIu64 ",\"end\":%" PRIu64
			  ",\"step\":%" PRIu64 ",\"metrics\":[",
		       r->cf, r->start, r->end, r->step);
	for (m = 0; m < r->metric_count; m++) {
		if (m > 0)
			vg_jbuf_lit(b, ",");
		vg_jbuf_string(b, r->metrics[m], strlen(r->metrics[m]));
	}
	vg_jbuf_lit(b, "],\"points\":[");
	for (row = 0; row < r->row_count; row++) {
		vg_jbuf_printf(b, "%s[%" PRIu64, row > 0 ? "," : "",
			       r->start + (row + 1) * r->step);
		for (m = 0; m < r->metric_count; m++) {
			vg_jbuf_lit(b, ",");
			put_number(b, r->values[row * r->metric_count + m]);
		}
		vg_jbuf_lit(b, "]");
	}
	vg_jbuf_lit(b, "]");
}

/* Splits the comma-separated <text> in place into <out>; returns count. */
static size_t
split_metrics(char *text, const char **out, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	char *tok;

	for (tok = strtok_r(text, ",", &save); tok != NULL && n < max;
	     tok = strtok_r(NULL, ",", &save))
		out[n++] = tok;
	return n;
}

/*
 * Maximum points in one timeseries response: about five times the 2 017
 * five-minute points of the dashboard's widest range (a week), and more
 * than a year of hourly points (8 784).
 */
#define TS_POINTS_MAX 10000

/*
 * Rows rrd_fetch_r() returns at <step> seconds: rrdtool 1.7 rounds <from>
 * down to a multiple of the step and moves <to> up to the next multiple
 * (a whole step up when it is one already).
 */
static uint64_t
ts_points(uint64_t from, uint64_t to, uint64_t step)
{
	return to / step + 1 - from / step;
}

/* One GET /api/v1/timeseries read, as its parameters give it. */
struct ts_request {
	const char *schema;
	const char *element;
	const char *cf;
	const char *const *metrics; /* NULL: all */
	size_t n_metrics;
	uint64_t from;
	uint64_t to;
	uint64_t resolution;        /* 0: the finest archive covering it */
};

/*
 * Reads <q> into <r>. When the archive rrdtool picks gives more than
 * TS_POINTS_MAX points, reads again from each coarser archive of the file
 * in turn until one gives at most that many. Returns 0, -E2BIG with the
 * points and step of the coarsest read in *points and *step, or the
 * errors of vg_ts_fetch() with a message in <err>.
 */
static int
fetch_capped(const struct vg_config *cfg, const struct ts_request *q,
	     struct vg_ts_result *r, uint64_t *points, uint64_t *step,
	     char *err, size_t err_len)
{
	const char *daemon = cfg->ts_rrdcached[0] ? cfg->ts_rrdcached : NULL;
	uint32_t steps[VG_TS_FETCH_ARCHIVES_MAX];
	char file[sizeof(r->file)];
	size_t count;
	size_t i;
	int rc;

	rc = vg_ts_fetch(cfg->ts_directory, daemon, q->schema, q->element,
			 q->cf, q->metrics, q->n_metrics, q->from, q->to,
			 (uint32_t)q->resolution, r, err, err_len);
	if (rc != 0 || r->row_count <= TS_POINTS_MAX)
		return rc;
	snprintf(file, sizeof(file), "%s", r->file);
	rc = vg_ts_steps(file, q->cf, steps, VG_TS_FETCH_ARCHIVES_MAX, &count,
			 err, err_len);
	for (i = 0; rc == 0 && i < count; i++) {
		if (steps[i] <= r->step)
			continue;
		vg_ts_result_free(r);
		rc = vg_ts_fetch_file(file, daemon, q->cf, q->metrics,
				      q->n_metrics, q->from, q->to, steps[i], r,
				      err, err_len);
		if (rc == 0 && r->row_count <= TS_POINTS_MAX)
			return 0;
	}
	if (rc != 0)
		return rc;
	*points = r->row_count;
	*step = r->step;
	vg_ts_result_free(r);
	return -E2BIG;
}

void
vg_get_timeseries(struct vg_web *web, h2o_req_t *req, struct vg_params *params)
{
	static const char *const allowed[] = {
		"schema", "element", "cf", "from", "to", "resolution",
		"metrics", NULL,
	};
	const char *unknown = vg_params_unknown(params, allowed);
	const char *schema = vg_param(params, "schema");
	const char *element = vg_param(params, "element");
	const char *cf = vg_param(params, "cf");
	char *metrics_text = (char *)vg_param(params, "metrics");
	const char *metrics[VG_TS_FETCH_METRICS_MAX];
	struct ts_request q = { 0 };
	struct vg_ts_result r;
	struct vg_jbuf b = { 0 };
	uint64_t to = (uint64_t)time(NULL);
	uint64_t from;
	uint64_t resolution = 0;
	uint64_t points = 0;
	uint64_t step = 0;
	size_t n_metrics = 0;
	char err[256];
	int rc;

	if (unknown != NULL) {
		reject_unknown(req, unknown);
		return;
	}
	if (schema == NULL || element == NULL) {
		vg_http_error(req, 400, "invalid_parameter",
			      schema == NULL ? "schema" : "element",
			      "schema and element are required");
		return;
	}
	if (cf == NULL)
		cf = "AVERAGE";
	if (strcmp(cf, "AVERAGE") != 0 && strcmp(cf, "MAX") != 0) {
		vg_http_error(req, 400, "invalid_parameter", "cf",
			      "cf must be AVERAGE or MAX, got '%.*s'",
			      VG_UTF8_QUOTE(cf, 64));
		return;
	}
	if (vg_param_uint(req, params, "to", 1, UINT32_MAX, &to) != 0)
		return;
	from = to > 3600 ? to - 3600 : 0;
	if (vg_param_uint(req, params, "from", 0, UINT32_MAX, &from) != 0 ||
	    vg_param_uint(req, params, "resolution", 1, 86400 * 366,
			  &resolution) != 0)
		return;
	if (from >= to) {
		vg_http_error(req, 400, "invalid_parameter", "from",
			      "from must be before to");
		return;
	}
	if (resolution > 0 &&
	    ts_points(from, to, resolution) > TS_POINTS_MAX) {
		vg_http_error(req, 400, "invalid_parameter", "resolution",
			      "from=%" PRIu64 " to=%" PRIu64 " at resolution=%" PRIu64 " is %" PRIu64 " points, more than the %d a request may return; narrow from and to, or raise resolution",
			      from, to, resolution,
			      ts_points(from, to, resolution), TS_POINTS_MAX);
		return;
	}
	if (metrics_text != NULL)
		n_metrics = split_metrics(metrics_text, metrics,
					  VG_TS_FETCH_METRICS_MAX);
	if (!web->cfg.ts_enabled || web->cfg.ts_directory[0] == '\0') {
		vg_http_error(req, 503, "timeseries_unavailable", NULL,
			      "timeseries are not configured (timeseries.directory)");
		return;
	}
	q.schema = schema;
	q.element = element;
	q.cf = cf;
	q.metrics = n_metrics ? metrics : NULL;
	q.n_metrics = n_metrics;
	q.from = from;
	q.to = to;
	q.resolution = resolution;
	rc = fetch_capped(&web->cfg, &q, &r, &points, &step, err, sizeof(err));
	if (rc == -E2BIG) {
		vg_http_error(req, 400, "invalid_parameter",
			      resolution > 0 ? "resolution" : "from",
			      "from=%" PRIu64 " to=%" PRIu64 " is %" PRIu64 " points even at resolution=%" PRIu64 ", the coarsest this series keeps, more than the %d a request may return; narrow from and to",
			      from, to, points, step, TS_POINTS_MAX);
		return;
	}
	if (rc == -ENOENT && r.missing_metric[0] != '\0') {
		vg_http_error(req, 404, "not_found", "metrics",
			      "the timeseries for schema '%.*s' element '%.*s' has no metric '%.*s'",
			      VG_UTF8_QUOTE(schema, 64), VG_UTF8_QUOTE(element, 128),
			      VG_UTF8_QUOTE(r.missing_metric, 64));
		return;
	}
	if (rc == -ENOENT) {
		vg_http_error(req, 404, "not_found", NULL,
			      "no timeseries for schema '%.*s' element '%.*s'",
			      VG_UTF8_QUOTE(schema, 64), VG_UTF8_QUOTE(element, 128));
		return;
	}
	if (rc != 0) {
		vg_http_error(req, 503, "timeseries_unavailable", NULL,
			      "reading the series failed: %s", err);
		return;
	}
	vg_jbuf_lit(&b, "{");
	vg_jbuf_key(&b, true, "schema");
	vg_jbuf_string(&b, schema, strlen(schema));
	vg_jbuf_key(&b, false, "element");
	vg_jbuf_string(&b, element, strlen(element));
	vg_jbuf_lit(&b, ",");
	put_series(&b, &r);
	vg_jbuf_lit(&b, "}");
	vg_ts_result_free(&r);
	if (b.failed)
		vg_http_error(req, 500, "internal", NULL, "out of memory");
	else
		vg_http_send_json(req, 200, b.data, b.len);
	vg_jbuf_free(&b);
}

/* ---- one host ---- */

/* The series schemas vigild keeps for a host, besides host:app. */
static const char *const host_schemas[] = { "host:traffic", NULL };

static bool
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Series listed at most in one response of GET /timeseries/series. */
#define SUB_SERIES_MAX 256

/* Returns the value of the hexadecimal digit <c>, which isxdigit() accepted. */
static unsigned int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned int)(c - '0');
	return (unsigned int)(tolower((unsigned char)c) - 'a' + 10);
}

/*
 * Decodes the %XX escapes of a file name component (as written by
 * vg_ts_path_component()) from the <len> bytes at <in> into <out>.
 * Returns 0, or -1 for a bad escape, "%00" or a name too long.
 */
static int
unescape_component(const char *in, size_t len, char *out, size_t out_len)
{
	size_t i;
	size_t o = 0;

	for (i = 0; i < len; i++) {
		unsigned int byte;

		if (o + 1 >= out_len)
			return -1;
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (i + 2 >= len || !isxdigit((unsigned char)in[i + 1]) ||
		    !isxdigit((unsigned char)in[i + 2]))
			return -1;
		byte = hex_digit(in[i + 1]) << 4 | hex_digit(in[i + 2]);
		if (byte == 0)
			return -1;
		out[o++] = (char)byte;
		i += 2;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Appends, for each file of <sub> (app or category) of <kind> (host or
 * interface) element <element>, the series as {"schema", "element",
 * "step"}, at most <max> of them, so pages draw the series that exist
 * without guessing their names.
 */
static void
put_sub_series(struct vg_jbuf *b, const struct vg_web *web, const char *kind,
	       const char *sub, const char *element, bool *first,
	       unsigned int max)
{
	char component[256];
	char path[VG_PATH_MAX];
	char name[256];
	char full[512];
	struct dirent *entry;
	unsigned int listed = 0;
	int n;
	DIR *dir;

	if (vg_ts_path_component(element, component, sizeof(component)) < 0)
		return;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s/%s",
			     web->cfg.ts_directory, kind, component, sub) >=
	    sizeof(path))
		return;
	dir = opendir(path);
	if (dir == NULL)
		return;
	while (listed < max && (entry = readdir(dir)) != NULL) {
		size_t len = strlen(entry->d_name);

		if (entry->d_name[0] == '.' || len <= 4 ||
		    strcmp(entry->d_name + len - 4, ".rrd") != 0 ||
		    unescape_component(entry->d_name, len - 4, name,
				       sizeof(name)) != 0)
			continue;
		n = snprintf(full, sizeof(full), "%s/%s", element, name);
		if (n < 0 || (size_t)n >= sizeof(full))
			continue;
		vg_jbuf_printf(b, "%s{\"schema\":\"%s:%s\",\"element\":",
			       *first ? "" : ",", kind, sub);
		vg_jbuf_string(b, full, (size_t)n);
		vg_jbuf_printf(b, ",\"step\":%u}", web->cfg.ts_step);
		*first = false;
		listed++;
	}
	closedir(dir);
}

/*
 * Appends each interface element (a port name, or "all") that has a
 * <file> (traffic.rrd or flows.rrd) as {"schema", "element", "step",
 * "last_update"}, at most <max> of them. A page learns from it which ports
 * the stored series are filed under, and up to which packet time, while
 * vigild is not running. last_update is null when the file's header cannot
 * be read.
 */
static void
put_interface_series(struct vg_jbuf *b, const struct vg_web *web,
		     const char *schema, const char *file, unsigned int max)
{
	const char *daemon = web->cfg.ts_rrdcached[0] ?
				     web->cfg.ts_rrdcached :
				     NULL;
	char path[VG_PATH_MAX];
	char name[256];
	char err[512];
	struct dirent *entry;
	unsigned int listed = 0;
	uint64_t last;
	DIR *dir;

	if ((size_t)snprintf(path, sizeof(path), "%s/interface",
			     web->cfg.ts_directory) >= sizeof(path))
		return;
	dir = opendir(path);
	if (dir == NULL)
		return;
	while (listed < max && (entry = readdir(dir)) != NULL) {
		size_t len = strlen(entry->d_name);

		if (entry->d_name[0] == '.' ||
		    unescape_component(entry->d_name, len, name,
				       sizeof(name)) != 0 ||
		    (size_t)snprintf(path, sizeof(path), "%s/interface/%s/%s",
				     web->cfg.ts_directory, entry->d_name,
				     file) >= sizeof(path) ||
		    !is_file(path))
			continue;
		vg_jbuf_printf(b, "%s{\"schema\":\"%s\",\"element\":",
			       listed > 0 ? "," : "", schema);
		vg_jbuf_string(b, name, strlen(name));
		vg_jbuf_printf(b, ",\"step\":%u,\"last_update\":",
			       web->cfg.ts_step);
		if (vg_ts_last_update(path, daemon, &last, err,
				      sizeof(err)) == 0) {
			vg_jbuf_printf(b, "%" PRIu64 "}", last);
		} else {
			VG_WARN("web", "schema=%s element=%s reading the last update failed: %s",
				schema, name, err);
			vg_jbuf_lit(b, "null}");
		}
		listed++;
	}
	closedir(dir);
}

/* GET /api/v1/timeseries/series for interface:traffic or interface:flows,
 * which list the interface elements and take no element. */
static void
list_interfaces(struct vg_web *web, h2o_req_t *req, const char *schema,
		const char *element)
{
	struct vg_jbuf b = { 0 };

	if (element != NULL) {
		vg_http_error(req, 400, "invalid_parameter", "element",
			      "%s lists every interface element: leave out element",
			      schema);
		return;
	}
	if (!web->cfg.ts_enabled || web->cfg.ts_directory[0] == '\0') {
		vg_http_error(req, 503, "timeseries_unavailable", NULL,
			      "timeseries are not configured (timeseries.directory)");
		return;
	}
	vg_jbuf_lit(&b, "{\"series\":[");
	put_interface_series(&b, web, schema,
			     strcmp(schema, "interface:traffic") == 0 ?
				     "traffic.rrd" :
				     "flows.rrd",
			     SUB_SERIES_MAX);
	vg_jbuf_lit(&b, "]}");
	if (b.failed)
		vg_http_error(req, 500, "internal", NULL, "out of memory");
	else
		vg_http_send_json(req, 200, b.data, b.len);
	vg_jbuf_free(&b);
}

void
vg_get_series_list(struct vg_web *web, h2o_req_t *req,
		   struct vg_params *params)
{
	static const char *const allowed[] = { "schema", "element", NULL };
	const char *unknown = vg_params_unknown(params, allowed);
	const char *schema = vg_param(params, "schema");
	const char *element = vg_param(params, "element");
	struct vg_jbuf b = { 0 };
	bool first = true;

	if (unknown != NULL) {
		reject_unknown(req, unknown);
		return;
	}
	if (schema != NULL && (strcmp(schema, "interface:traffic") == 0 ||
			       strcmp(schema, "interface:flows") == 0)) {
		list_interfaces(web, req, schema, element);
		return;
	}
	if (schema == NULL || (strcmp(schema, "interface:app") != 0 &&
			       strcmp(schema, "interface:category") != 0 &&
			       strcmp(schema, "host:app") != 0)) {
		vg_http_error(req, 400, "invalid_parameter", "schema",
			      "schema must be interface:traffic, interface:flows, interface:app, interface:category or host:app, got '%.*s'",
			      VG_UTF8_QUOTE(schema != NULL ? schema : "", 64));
		return;
	}
	if (element == NULL || element[0] == '\0') {
		vg_http_error(req, 400, "invalid_parameter", "element",
			      "element is required: a port name, all, or IP@VLAN");
		return;
	}
	if (!web->cfg.ts_enabled || web->cfg.ts_directory[0] == '\0') {
		vg_http_error(req, 503, "timeseries_unavailable", NULL,
			      "timeseries are not configured (timeseries.directory)");
		return;
	}
	vg_jbuf_lit(&b, "{\"series\":[");
	put_sub_series(&b, web, schema[0] == 'h' ? "host" : "interface",
		       strchr(schema, ':') + 1, element, &first,
		       SUB_SERIES_MAX);
	vg_jbuf_lit(&b, "]}");
	if (b.failed)
		vg_http_error(req, 500, "internal", NULL, "out of memory");
	else
		vg_http_send_json(req, 200, b.data, b.len);
	vg_jbuf_free(&b);
}

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
	put_sub_series(&p->out, web, "host", "app", element, &first,
		       SUB_SERIES_MAX);
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
		reject_unknown(req, unknown);
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

/* ---- plugins ---- */

static const char *const script_kinds[] = { "flow", "host", "interface",
					    "network", "system", NULL };

/*
 * Returns the state of script <key> (<key_len> bytes) of <plugin> as a
 * sandbox described it after loading: a running sandbox's when one has
 * it, else the last one any sandbox sent. Returns NULL when no sandbox
 * described the script.
 */
static const Vigil__Control__V1__ScriptState *
find_script_state(const Vigil__Control__V1__PluginsResponse *pr,
		  const char *plugin, const char *key, size_t key_len)
{
	const Vigil__Control__V1__ScriptState *found = NULL;
	size_t s;
	size_t i;

	for (s = 0; s < pr->n_sandboxes; s++) {
		const Vigil__Control__V1__SandboxInfo *sb = pr->sandboxes[s];

		for (i = 0; i < sb->n_scripts; i++) {
			const Vigil__Control__V1__ScriptState *st =
				sb->scripts[i];

			if (strcmp(st->plugin, plugin) != 0 ||
			    strlen(st->key) != key_len ||
			    strncmp(st->key, key, key_len) != 0)
				continue;
			if (sb->running)
				return st;
			found = st;
		}
	}
	return found;
}

/* Appends "enabled" and "enabled_source" of <state>, null for both when
 * no sandbox described the script. */
static void
put_script_state(struct vg_jbuf *b,
		 const Vigil__Control__V1__ScriptState *state)
{
	if (state == NULL) {
		vg_jbuf_lit(b, ",\"enabled\":null,\"enabled_source\":null");
		return;
	}
	vg_jbuf_printf(b, ",\"enabled\":%s",
		       state->enabled ? "true" : "false");
	vg_jbuf_key(b, false, "enabled_source");
	vg_jbuf_string(b, state->enabled_source,
		       strlen(state->enabled_source));
}

/*
 * Appends the user scripts of the plugin <name> in <plugin_dir>, one per
 * file of user_scripts/<kind>/, with its state from the sandboxes in
 * <pr>. A script's key is its file name without ".lua".
 * NOTE: the sandboxes report the key a script declares, so a script whose
 * file is named otherwise is listed with a null state.
 */
static void
put_plugin_scripts(struct vg_jbuf *b, const char *plugin_dir,
		   const char *name,
		   const Vigil__Control__V1__PluginsResponse *pr)
{
	char path[VG_PATH_MAX];
	bool first = true;
	unsigned int k;

	vg_jbuf_lit(b, "[");
	for (k = 0; script_kinds[k] != NULL; k++) {
		struct dirent *e;
		DIR *d;

		snprintf(path, sizeof(path), "%s/user_scripts/%s", plugin_dir,
			 script_kinds[k]);
		d = opendir(path);
		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			size_t len = strlen(e->d_name);

			if (len <= 4 || strcmp(e->d_name + len - 4, ".lua") != 0)
				continue;
			vg_jbuf_raw(b, first ? "{" : ",{", first ? 1 : 2);
			vg_jbuf_key(b, true, "key");
			vg_jbuf_string(b, e->d_name, len - 4);
			vg_jbuf_key(b, false, "kind");
			vg_jbuf_string(b, script_kinds[k],
				       strlen(script_kinds[k]));
			put_script_state(b, find_script_state(pr, name,
							      e->d_name,
							      len - 4));
			vg_jbuf_lit(b, "}");
			first = false;
		}
		closedir(d);
	}
	vg_jbuf_lit(b, "]");
}

/* Appends sandbox indexes whose list <names> (from <sb>) has <plugin>. */
static void
put_sandbox_indexes(struct vg_jbuf *b, const char *key,
		    const Vigil__Control__V1__PluginsResponse *pr,
		    const char *plugin, bool disabled)
{
	bool first = true;
	size_t s;
	size_t i;

	vg_jbuf_key(b, false, key);
	vg_jbuf_lit(b, "[");
	for (s = 0; s < pr->n_sandboxes; s++) {
		const Vigil__Control__V1__SandboxInfo *sb = pr->sandboxes[s];
		char **names = disabled ? sb->disabled_plugins :
					  sb->loaded_plugins;
		size_t n = disabled ? sb->n_disabled_plugins :
				      sb->n_loaded_plugins;

		for (i = 0; i < n; i++) {
			if (strcmp(names[i], plugin) != 0)
				continue;
			vg_jbuf_printf(b, "%s%u", first ? "" : ",", sb->index);
			first = false;
			break;
		}
	}
	vg_jbuf_lit(b, "]");
}

static void
put_plugin(struct vg_jbuf *b, bool *first, const char *dir, const char *name,
	   const Vigil__Control__V1__PluginsResponse *pr)
{
	char path[VG_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	vg_jbuf_raw(b, *first ? "{" : ",{", *first ? 1 : 2);
	*first = false;
	vg_jbuf_key(b, true, "name");
	vg_jbuf_string(b, name, strlen(name));
	vg_jbuf_key(b, false, "path");
	vg_jbuf_string(b, path, strlen(path));
	vg_jbuf_key(b, false, "scripts");
	put_plugin_scripts(b, path, name, pr);
	put_sandbox_indexes(b, "loaded_in", pr, name, false);
	put_sandbox_indexes(b, "disabled_in", pr, name, true);
	vg_jbuf_lit(b, "}");
}

/*
 * Lists the plugin folders (those with a manifest.lua) in <dir> and one
 * level below it, as ntopng's group/plugin layout has them.
 */
static void
put_plugins_of(struct vg_jbuf *b, bool *first, const char *dir,
	       const Vigil__Control__V1__PluginsResponse *pr, int depth)
{
	char path[VG_PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/manifest.lua", dir,
			 e->d_name);
		if (is_file(path)) {
			put_plugin(b, first, dir, e->d_name, pr);
		} else if (depth == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			put_plugins_of(b, first, path, pr, 1);
		}
	}
	closedir(d);
}

/* Appends <node> of <doc> as JSON; plain scalars that read as numbers,
 * booleans or null stay so, everything else is a string. */
static void
put_yaml(struct vg_jbuf *b, yaml_document_t *doc, yaml_node_t *node,
	 int depth)
{
	yaml_node_pair_t *pair;
	yaml_node_item_t *item;
	const char *text;
	char *end;

	if (node == NULL || depth > 16) {
		vg_jbuf_lit(b, "null");
		return;
	}
	switch (node->type) {
	case YAML_MAPPING_NODE:
		vg_jbuf_lit(b, "{");
		for (pair = node->data.mapping.pairs.start;
		     pair < node->data.mapping.pairs.top; pair++) {
			yaml_node_t *k = yaml_document_get_node(doc, pair->key);

			if (pair != node->data.mapping.pairs.start)
				vg_jbuf_lit(b, ",");
			text = k != NULL && k->type == YAML_SCALAR_NODE ?
				       (const char *)k->data.scalar.value :
				       "";
			vg_jbuf_string(b, text, strlen(text));
			vg_jbuf_lit(b, ":");
			put_yaml(b, doc, yaml_document_get_node(doc, pair->value),
				 depth + 1);
		}
		vg_jbuf_lit(b, "}");
		return;
	case YAML_SEQUENCE_NODE:
		vg_jbuf_lit(b, "[");
		for (item = node->data.sequence.items.start;
		     item < node->data.sequence.items.top; item++) {
			if (item != node->data.sequence.items.start)
				vg_jbuf_lit(b, ",");
			put_yaml(b, doc, yaml_document_get_node(doc, *item),
				 depth + 1);
		}
		vg_jbuf_lit(b, "]");
		return;
	case YAML_SCALAR_NODE:
		text = (const char *)node->data.scalar.value;
		if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			if (strcmp(text, "true") == 0 ||
			    strcmp(text, "false") == 0 ||
			    strcmp(text, "null") == 0) {
				vg_jbuf_raw(b, text, strlen(text));
				return;
			}
			strtod(text, &end);
			if (text[0] != '\0' && *end == '\0' &&
			    strspn(text, "0123456789.-+eE") == strlen(text)) {
				vg_jbuf_raw(b, text, strlen(text));
				return;
			}
		}
		vg_jbuf_string(b, text, strlen(text));
		return;
	default:
		vg_jbuf_lit(b, "null");
	}
}

static yaml_node_t *
yaml_child(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/* Appends plugins.scripts of the configuration file, or {}. */
static void
put_script_config(struct vg_jbuf *b, const char *config_path)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *scripts = NULL;
	FILE *f = config_path != NULL ? fopen(config_path, "r") : NULL;

	if (f == NULL) {
		vg_jbuf_lit(b, "{}");
		return;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (yaml_parser_load(&parser, &doc)) {
		scripts = yaml_child(&doc,
				     yaml_child(&doc,
						yaml_document_get_root_node(&doc),
						"plugins"),
				     "scripts");
		if (scripts != NULL)
			put_yaml(b, &doc, scripts, 0);
		yaml_document_delete(&doc);
	}
	if (scripts == NULL)
		vg_jbuf_lit(b, "{}");
	yaml_parser_delete(&parser);
	fclose(f);
}

static void
put_sandboxes(struct vg_jbuf *b, const Vigil__Control__V1__PluginsResponse *pr)
{
	size_t s;
	size_t i;

	vg_jbuf_lit(b, "[");
	for (s = 0; s < pr->n_sandboxes; s++) {
		const Vigil__Control__V1__SandboxInfo *sb = pr->sandboxes[s];

		vg_jbuf_printf(b, "%s{\"index\":%u,\"running\":%s,\"pid\":%d,\"uptime\":%" PRIu64
				  ".%03" PRIu64 ",\"scripts_loaded\":%u,\"disabled\":[",
			       s > 0 ? "," : "", sb->index,
			       sb->running ? "true" : "false", sb->pid,
			       sb->uptime_ms / 1000, sb->uptime_ms % 1000,
			       sb->scripts_loaded);
		for (i = 0; i < sb->n_disabled_plugins; i++) {
			if (i > 0)
				vg_jbuf_lit(b, ",");
			vg_jbuf_string(b, sb->disabled_plugins[i],
				       strlen(sb->disabled_plugins[i]));
		}
		vg_jbuf_lit(b, "]");
		for (i = 0; i < sb->n_counters; i++)
			vg_jbuf_printf(b, ",\"%s\":%" PRIu64,
				       sb->counters[i]->name,
				       sb->counters[i]->value);
		vg_jbuf_lit(b, "}");
	}
	vg_jbuf_lit(b, "]");
}

static void
plugins_answered(struct vg_pending *p, const Response *resp, const char *error)
{
	const char *config_path = p->web->config_path;
	const Vigil__Control__V1__PluginsResponse *pr;
	h2o_req_t *req = vg_pending_finish(p);
	struct vg_jbuf b = { 0 };
	bool first = true;
	size_t i;

	if (req == NULL || vg_answer_failed(req, resp, error) != 0)
		return;
	pr = resp->plugins;
	if (pr == NULL) {
		vg_http_error(req, 502, "vigild_error", NULL,
			      "vigild answered without plugins");
		return;
	}
	vg_jbuf_printf(&b, "{\"enabled\":%s,\"directories\":[",
		       pr->enabled ? "true" : "false");
	for (i = 0; i < pr->n_directories; i++) {
		if (i > 0)
			vg_jbuf_lit(&b, ",");
		vg_jbuf_string(&b, pr->directories[i],
			       strlen(pr->directories[i]));
	}
	vg_jbuf_lit(&b, "],\"plugins\":[");
	for (i = 0; i < pr->n_directories; i++)
		put_plugins_of(&b, &first, pr->directories[i], pr, 0);
	vg_jbuf_lit(&b, "],\"sandboxes\":");
	put_sandboxes(&b, pr);
	vg_jbuf_lit(&b, ",\"config\":");
	put_script_config(&b, config_path);
	vg_jbuf_lit(&b, "}");
	if (b.failed)
		vg_http_error(req, 500, "internal", NULL, "out of memory");
	else
		vg_http_send_json(req, 200, b.data, b.len);
	vg_jbuf_free(&b);
}

void
vg_get_plugins(struct vg_web *web, h2o_req_t *req, struct vg_params *params)
{
	Vigil__Control__V1__PluginsRequest body;
	struct vg_pending *p;
	Request r;

	if (params->count > 0) {
		reject_unknown(req, params->items[0].name);
		return;
	}
	p = vg_pending_new(web, req);
	if (p == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	vigil__control__v1__request__init(&r);
	vigil__control__v1__plugins_request__init(&body);
	r.body_case = VIGIL__CONTROL__V1__REQUEST__BODY_PLUGINS;
	r.plugins = &body;
	p->next = plugins_answered;
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
