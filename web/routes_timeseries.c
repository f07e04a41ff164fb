/*
 * The timeseries endpoints: the points of one series from its rrd file
 * (GET /timeseries) and the series that exist for an element kind
 * (GET /timeseries/series), read from the files under ts_directory.
 * Files are read on the event loop; the NOTE in routes_store.c gives the
 * cost.
 */
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/log.h"
#include "common/number_text.h"
#include "common/ts_fetch.h"
#include "common/utf8.h"
#include "routes.h"

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
		vg_reject_unknown(req, unknown);
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

/* ---- series lists ---- */

bool
vg_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

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
void
vg_put_sub_series(struct vg_jbuf *b, const struct vg_web *web, const char *kind,
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
		    !vg_is_file(path))
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
			     VG_SUB_SERIES_MAX);
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
		vg_reject_unknown(req, unknown);
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
	vg_put_sub_series(&b, web, schema[0] == 'h' ? "host" : "interface",
			  strchr(schema, ':') + 1, element, &first,
			  VG_SUB_SERIES_MAX);
	vg_jbuf_lit(&b, "]}");
	if (b.failed)
		vg_http_error(req, 500, "internal", NULL, "out of memory");
	else
		vg_http_send_json(req, 200, b.data, b.len);
	vg_jbuf_free(&b);
}
