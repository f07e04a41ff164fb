/*
 * vigil-web's HTTP side: listeners, TLS, h2o's configuration, static
 * files, and the checks every API request passes before its endpoint
 * runs (session cookie, method, CSRF header, body type, query string).
 * request_checks.c contains the checks that need no session, and tls.c
 * the certificate loading.
 *
 * Five paths are registered with h2o: /api/v1 (the API), /metrics, /api
 * (404 for the rest), /vendor/uplot (the charting library from
 * web.static_dir/node_modules) and / (static files from web.static_dir).
 * Each gets the same security headers through h2o's headers filter, so
 * no response leaves without them, whichever handler produced it (h2o's
 * own errors included). Each also runs request_checks.c's guard first,
 * so an ambiguous body length, an overlong request target or a control
 * byte in the decoded path is rejected before any handler reads the
 * path. The two file paths start with a handler that sends the API's
 * JSON 405 for a method other than GET or HEAD and end with one that
 * sends its JSON 404, so neither response is h2o's plain-text one.
 * Between those, static_check.c's handler rejects, with the same 404, a
 * file that others may not read, that is not a regular file or whose
 * real path is outside web.static_dir.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/utf8.h"
#include "web.h"

#define API_PREFIX "/api/v1"
#define COOKIE_NAME "vigil_session"
/* Where `npm ci` (web/ui/package.json) puts uPlot, below web.static_dir. */
#define UPLOT_DIR "node_modules/uplot/dist"
#define CSP "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"

struct api_handler {
	h2o_handler_t super;
	struct vg_web *web;
	bool metrics;
};

/* ---- responses ---- */

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Error";
	}
}

void
vg_http_send_json(h2o_req_t *req, int status, const char *body, size_t len)
{
	req->res.status = status;
	req->res.reason = reason_phrase(status);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
		       NULL, H2O_STRLIT("application/json; charset=utf-8"));
	h2o_send_inline(req, body, len);
}

void
vg_http_error(h2o_req_t *req, int status, const char *code,
	      const char *param, const char *fmt, ...)
{
	struct vg_jbuf b = { 0 };
	char message[512];
	ssize_t bad_at;
	size_t len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	/* A message cut to the buffer may end inside a UTF-8 character,
	 * which the JSON string would show as Latin-1 characters. */
	if (n >= (int)sizeof(message)) {
		len = sizeof(message) - 1;
		bad_at = vg_utf8_invalid_at(message, len);
		if (bad_at >= 0 && len - (size_t)bad_at < 4)
			message[bad_at] = '\0';
	}
	vg_jbuf_lit(&b, "{");
	vg_jbuf_key(&b, true, "error");
	vg_jbuf_string(&b, code, strlen(code));
	if (param != NULL) {
		vg_jbuf_key(&b, false, "parameter");
		vg_jbuf_string(&b, param, strlen(param));
	}
	vg_jbuf_key(&b, false, "message");
	vg_jbuf_string(&b, message, strlen(message));
	vg_jbuf_lit(&b, "}");
	if (b.failed)
		vg_http_send_json(req, 500, "{\"error\":\"internal\"}", 20);
	else
		vg_http_send_json(req, status, b.data, b.len);
	vg_jbuf_free(&b);
}

/* ---- pending requests ---- */

static void
on_req_disposed(void *ptr)
{
	struct vg_pending **guard = ptr;

	if (*guard != NULL)
		(*guard)->req = NULL;
}

struct vg_pending *
vg_pending_new(struct vg_web *web, h2o_req_t *req)
{
	struct vg_pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->guard = h2o_mem_alloc_shared(&req->pool, sizeof(*p->guard),
					on_req_disposed);
	*p->guard = p;
	p->req = req;
	p->web = web;
	return p;
}

h2o_req_t *
vg_pending_finish(struct vg_pending *p)
{
	h2o_req_t *req = p->req;

	/* Cut the link first: sending a response may dispose the request. */
	if (req != NULL)
		*p->guard = NULL;
	if (p->on_finish != NULL)
		p->on_finish(p);
	vg_jbuf_free(&p->out);
	free(p);
	return req;
}

static void
on_vigild_answer(void *ctx, const Vigil__Control__V1__Response *resp,
		 const char *error)
{
	struct vg_pending *p = ctx;

	if (p->req == NULL) {
		vg_pending_finish(p);
		return;
	}
	p->next(p, resp, error);
}

void
vg_pending_call(struct vg_pending *p, Vigil__Control__V1__Request *req)
{
	if (vg_vigild_call(p->web->vigild, req, on_vigild_answer, p) != 0) {
		h2o_req_t *r = vg_pending_finish(p);

		if (r != NULL)
			vg_http_error(r, 500, "internal", NULL, "out of memory");
	}
}

/* ---- query string ---- */

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes <len> bytes of <s> into <out>. Returns 0, -1 on a '%' without
 * two hex digits after it, or -2 on %00, which would cut the value short
 * in C and is rejected.
 */
static int
percent_decode(const char *s, size_t len, char *out)
{
	size_t i;
	size_t o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int hi;
			int lo;

			if (i + 2 >= len)
				return -1;
			hi = hex_value(s[i + 1]);
			lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			if (hi == 0 && lo == 0)
				return -2;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return 0;
}

/*
 * Splits the query string of <req> into <params>. Returns 0, or -1 with
 * a message in <problem> and the parameter's name in *bad when it is
 * known. Names and values must be valid UTF-8 once decoded: messages
 * quote them back in JSON, which would otherwise show each stray byte
 * as a Latin-1 character.
 */
static int
parse_query(h2o_req_t *req, struct vg_params *params, const char **bad,
	    char *problem, size_t problem_len)
{
	const char *q;
	const char *end;
	int rc;

	params->count = 0;
	*bad = NULL;
	if (req->query_at == SIZE_MAX)
		return 0;
	q = req->path.base + req->query_at + 1;
	end = req->path.base + req->path.len;
	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *stop = amp != NULL ? amp : end;
		const char *eq = memchr(q, '=', (size_t)(stop - q));
		struct vg_param *p;
		size_t name_len;
		ssize_t bad_at;
		unsigned int i;

		if (stop == q) {
			q = stop + 1;
			continue;
		}
		if (params->count == VG_WEB_PARAMS_MAX) {
			snprintf(problem, problem_len,
				 "too many query parameters");
			return -1;
		}
		p = &params->items[params->count];
		name_len = (size_t)((eq != NULL ? eq : stop) - q);
		rc = name_len == 0 || name_len >= sizeof(p->name) ? -1 :
			percent_decode(q, name_len, p->name);
		if (rc != 0) {
			snprintf(problem, problem_len, "%s",
				 rc == -2 ? "a query parameter name contains a NUL byte (%00)" :
					    "malformed query parameter name");
			return -1;
		}
		bad_at = vg_utf8_invalid_at(p->name, strlen(p->name));
		if (bad_at >= 0) {
			snprintf(problem, problem_len,
				 "a query parameter name is not valid UTF-8: byte %zd of the decoded name is 0x%02x",
				 bad_at, (uint8_t)p->name[bad_at]);
			return -1;
		}
		p->value = h2o_mem_alloc_pool(&req->pool,
					      (size_t)(stop - q) + 1);
		p->value[0] = '\0';
		rc = eq == NULL ? 0 :
			percent_decode(eq + 1, (size_t)(stop - eq - 1),
				       p->value);
		if (rc != 0) {
			*bad = p->name;
			if (rc == -2)
				snprintf(problem, problem_len,
					 "%s contains a NUL byte (%%00)",
					 p->name);
			else
				snprintf(problem, problem_len,
					 "%s has malformed percent-encoding: '%%' must be followed by two hex digits",
					 p->name);
			return -1;
		}
		bad_at = vg_utf8_invalid_at(p->value, strlen(p->value));
		if (bad_at >= 0) {
			*bad = p->name;
			snprintf(problem, problem_len,
				 "%s is not valid UTF-8: byte %zd of the decoded value is 0x%02x",
				 p->name, bad_at, (uint8_t)p->value[bad_at]);
			return -1;
		}
		for (i = 0; i < params->count; i++) {
			if (strcmp(params->items[i].name, p->name) == 0) {
				*bad = p->name;
				snprintf(problem, problem_len,
					 "parameter given twice");
				return -1;
			}
		}
		params->count++;
		q = stop + 1;
	}
	return 0;
}

/* ---- authentication ---- */

/* Returns the value of cookie <name> in <req>, or a NULL base. */
static h2o_iovec_t
find_cookie(h2o_req_t *req, const char *name)
{
	size_t name_len = strlen(name);
	ssize_t cursor = -1;

	while ((cursor = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE,
					 cursor)) != -1) {
		h2o_iovec_t v = req->headers.entries[cursor].value;
		const char *p = v.base;
		const char *end = v.base + v.len;

		while (p < end) {
			const char *semi = memchr(p, ';', (size_t)(end - p));
			const char *stop = semi != NULL ? semi : end;

			while (p < stop && *p == ' ')
				p++;
			if ((size_t)(stop - p) > name_len &&
			    memcmp(p, name, name_len) == 0 &&
			    p[name_len] == '=')
				return h2o_iovec_init(p + name_len + 1,
						      (size_t)(stop - p) -
							      name_len - 1);
			p = stop + 1;
		}
	}
	return h2o_iovec_init(NULL, 0);
}

static bool
state_changing(h2o_req_t *req)
{
	return !(h2o_memis(req->method.base, req->method.len,
			   H2O_STRLIT("GET")) ||
		 h2o_memis(req->method.base, req->method.len,
			   H2O_STRLIT("HEAD")) ||
		 h2o_memis(req->method.base, req->method.len,
			   H2O_STRLIT("OPTIONS")));
}

/* Fills <caller> for <req>. Returns 0, or sends 401 and returns -1. */
static int
authenticate(struct vg_web *web, h2o_req_t *req, struct vg_caller *caller)
{
	h2o_iovec_t token = find_cookie(req, COOKIE_NAME);

	caller->session = NULL;
	caller->role = VG_ROLE_NONE;
	if (token.base != NULL)
		caller->session = vg_auth_session_find(&web->auth, token.base,
						       token.len,
						       uv_now(web->loop));
	if (caller->session == NULL) {
		if (!web->cfg.web.login_required) {
			/* NOTE: with login off, anonymous callers may read
			 * but never change state. */
			caller->role = VG_ROLE_READONLY;
			return 0;
		}
		vg_http_error(req, 401, "unauthenticated", NULL,
			      "log in first: POST /api/v1/login");
		return -1;
	}
	caller->role = caller->session->role;
	return 0;
}

/*
 * Checks the X-CSRF-Token header of a state-changing request from a
 * session. The header must come once, because with two the token that
 * counts would depend on which of them a reader takes. Returns 0, or
 * sends 403 and returns -1.
 */
static int
check_csrf(h2o_req_t *req, const struct vg_caller *caller)
{
	unsigned int count = 0;
	ssize_t cursor = -1;
	ssize_t at;

	if (caller->session == NULL || !state_changing(req))
		return 0;
	while ((cursor = h2o_find_header_by_str(&req->headers,
						H2O_STRLIT("x-csrf-token"),
						cursor)) != -1)
		count++;
	if (count > 1) {
		vg_http_error(req, 403, "csrf", "X-CSRF-Token",
			      "the X-CSRF-Token header is given %u times; send it once",
			      count);
		return -1;
	}
	at = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-csrf-token"),
				    -1);
	if (at == -1 ||
	    !vg_auth_csrf_ok(caller->session,
			     req->headers.entries[at].value.base,
			     req->headers.entries[at].value.len)) {
		vg_http_error(req, 403, "csrf", "X-CSRF-Token",
			      "a state-changing request needs the X-CSRF-Token header of the session");
		return -1;
	}
	return 0;
}

/* ---- handlers ---- */

static int
on_api(h2o_handler_t *self, h2o_req_t *req)
{
	struct api_handler *h = (struct api_handler *)self;
	struct vg_web *web = h->web;
	h2o_iovec_t path = req->path_normalized;
	struct vg_params *params;
	struct vg_caller caller;
	char problem[128];
	const char *method;
	const char *bad;
	char sub[256];

	if (h->metrics) {
		if (!web->cfg.web.metrics_public &&
		    authenticate(web, req, &caller) != 0)
			return 0;
		/* h2o passes every path below /metrics to this handler. */
		if (!h2o_memis(path.base, path.len, H2O_STRLIT("/metrics"))) {
			vg_http_error(req, 404, "not_found", NULL,
				      "no such endpoint");
			return 0;
		}
		if (vg_http_method_allowed(req, "GET"))
			vg_routes_metrics(web, req);
		return 0;
	}
	if (path.len < sizeof(API_PREFIX) - 1 ||
	    memcmp(path.base, API_PREFIX, sizeof(API_PREFIX) - 1) != 0)
		return -1;
	path.base += sizeof(API_PREFIX) - 1;
	path.len -= sizeof(API_PREFIX) - 1;
	if (path.len >= sizeof(sub)) {
		vg_http_error(req, 404, "not_found", NULL, "no such endpoint");
		return 0;
	}
	memcpy(sub, path.base, path.len);
	sub[path.len] = '\0';
	if (strcmp(sub, "/login") == 0) {
		vg_routes_login(web, req);
		return 0;
	}
	if (authenticate(web, req, &caller) != 0)
		return 0;
	/* The method first: a method that no endpoint takes is 405 whether
	 * or not the request carries a CSRF token. */
	method = vg_routes_method(sub);
	if (method == NULL) {
		vg_http_error(req, 404, "not_found", NULL, "no such endpoint");
		return 0;
	}
	if (!vg_http_method_allowed(req, method) ||
	    check_csrf(req, &caller) != 0 ||
	    vg_http_check_json_body(req, false) != 0)
		return 0;
	params = h2o_mem_alloc_pool(&req->pool, sizeof(*params));
	if (parse_query(req, params, &bad, problem, sizeof(problem)) != 0) {
		vg_http_error(req, 400, "invalid_parameter", bad, "%s", problem);
		return 0;
	}
	vg_routes_api(web, req, sub, &caller, params);
	return 0;
}

/* Sends 404 for every path under /api/ that /api/v1 did not take. */
static int
on_api_unknown(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	vg_http_error(req, 404, "not_found", NULL, "no such endpoint");
	return 0;
}

/*
 * Sends 404 for a path that h2o's file handler passed on. h2o 2.2 hands
 * a file that does not exist to the next handler, and without one it
 * would send its own plain-text 404.
 */
static int
on_file_missing(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	vg_http_error(req, 404, "not_found", NULL, "no such file");
	return 0;
}

/* Adds on_file_missing() after the handlers of <conf>. */
static void
register_file_missing(h2o_pathconf_t *conf)
{
	h2o_handler_t *h = h2o_create_handler(conf, sizeof(*h));

	h->on_req = on_file_missing;
}

/*
 * Sends the API's JSON 405 for a method other than GET or HEAD on a file
 * path, before h2o's file handler, which would send a plain-text one.
 */
static int
on_file_method(h2o_handler_t *self, h2o_req_t *req)
{
	static const char allow[] = "GET, HEAD";

	(void)self;
	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
	    h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")))
		return -1;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
		       allow, sizeof(allow) - 1);
	vg_http_error(req, 405, "method_not_allowed", NULL,
		      "static files take GET or HEAD");
	return 0;
}

/* Adds on_file_method() to <conf>, to run before its file handler. */
static void
register_file_method(h2o_pathconf_t *conf)
{
	h2o_handler_t *h = h2o_create_handler(conf, sizeof(*h));

	h->on_req = on_file_method;
}

static h2o_iovec_t csp_name = { H2O_STRLIT("content-security-policy") };
static h2o_iovec_t nosniff_name = { H2O_STRLIT("x-content-type-options") };
static h2o_iovec_t frame_name = { H2O_STRLIT("x-frame-options") };
static h2o_iovec_t referrer_name = { H2O_STRLIT("referrer-policy") };

static void
add_security_headers(h2o_pathconf_t *conf, const char *cache_control)
{
	h2o_headers_command_t *cmds = NULL;

	h2o_headers_append_command(&cmds, H2O_HEADERS_CMD_SET, &csp_name,
				   h2o_iovec_init(H2O_STRLIT(CSP)));
	h2o_headers_append_command(&cmds, H2O_HEADERS_CMD_SET, &nosniff_name,
				   h2o_iovec_init(H2O_STRLIT("nosniff")));
	h2o_headers_append_command(&cmds, H2O_HEADERS_CMD_SET, &frame_name,
				   h2o_iovec_init(H2O_STRLIT("DENY")));
	h2o_headers_append_command(&cmds, H2O_HEADERS_CMD_SET, &referrer_name,
				   h2o_iovec_init(H2O_STRLIT("no-referrer")));
	h2o_headers_append_command(&cmds, H2O_HEADERS_CMD_SET,
				   (h2o_iovec_t *)&H2O_TOKEN_CACHE_CONTROL->buf,
				   h2o_iovec_init(cache_control,
						  strlen(cache_control)));
	h2o_headers_register(conf, cmds);
}

static void
register_api(struct vg_web *web, h2o_hostconf_t *host, const char *path,
	     bool metrics)
{
	h2o_pathconf_t *conf = h2o_config_register_path(host, path, 0);
	struct api_handler *h;

	vg_http_register_guard(conf, false);
	h = (struct api_handler *)h2o_create_handler(conf, sizeof(*h));
	h->super.on_req = on_api;
	h->web = web;
	h->metrics = metrics;
	add_security_headers(conf, "no-store");
}

/* Adds gzip and the static files' headers to <conf>. */
static void
static_filters(h2o_pathconf_t *conf)
{
	h2o_compress_args_t gzip = { .min_size = 1024 };

	gzip.gzip.quality = 1;
	gzip.brotli.quality = -1;
	h2o_compress_register(conf, &gzip);
	/* The browser revalidates with the ETag on every use. */
	add_security_headers(conf, "no-cache");
}

/*
 * Serves /vendor/uplot/ from the uPlot package that `npm ci` puts in
 * <static_dir>/node_modules, so the pages never load code from another
 * host. Must be registered before "/": h2o picks the first registered
 * path that matches. A missing package is logged once here; the pages
 * then get 404 and the charts say that the library is missing.
 */
static int
register_vendor(struct vg_web *web, h2o_hostconf_t *host)
{
	char dir[VG_PATH_MAX + sizeof(UPLOT_DIR)];
	struct stat st;
	h2o_pathconf_t *conf;
	int rc;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", web->cfg.web.static_dir,
			     UPLOT_DIR) >= sizeof(dir))
		return 0;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		VG_WARN("web", "dir=%s not found: charts will not draw; run 'npm ci' in web.static_dir",
			dir);
	conf = h2o_config_register_path(host, "/vendor/uplot", 0);
	vg_http_register_guard(conf, false);
	register_file_method(conf);
	rc = vg_http_register_static_check(conf, dir, NULL,
					   web->cfg.web.static_dir);
	if (rc != 0)
		return rc;
	h2o_file_register(conf, dir, NULL, NULL, 0);
	register_file_missing(conf);
	static_filters(conf);
	return 0;
}

static int
register_static(struct vg_web *web, h2o_hostconf_t *host)
{
	static const char *index_files[] = { "index.html", NULL };
	const char *static_dir = web->cfg.web.static_dir;
	h2o_pathconf_t *conf;
	int rc;

	if (static_dir[0] != '\0') {
		rc = register_vendor(web, host);
		if (rc != 0)
			return rc;
	}
	conf = h2o_config_register_path(host, "/", 0);
	vg_http_register_guard(conf, true);
	if (static_dir[0] != '\0') {
		register_file_method(conf);
		rc = vg_http_register_static_check(conf, static_dir,
						   index_files[0], static_dir);
		if (rc != 0)
			return rc;
		h2o_file_register(conf, static_dir, index_files, NULL, 0);
		register_file_missing(conf);
	} else {
		h2o_handler_t *h = h2o_create_handler(conf, sizeof(*h));

		h->on_req = on_api_unknown;
	}
	static_filters(conf);
	return 0;
}

/* ---- listeners and TLS ---- */

static void
on_accept(uv_stream_t *listener, int status)
{
	struct vg_web *web = listener->data;
	h2o_socket_t *sock;
	uv_tcp_t *conn;

	if (status != 0)
		return;
	conn = malloc(sizeof(*conn));
	if (conn == NULL)
		return;
	uv_tcp_init(listener->loop, conn);
	if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
		uv_close((uv_handle_t *)conn, (uv_close_cb)free);
		return;
	}
	sock = h2o_uv_socket_create((uv_stream_t *)conn, (uv_close_cb)free);
	h2o_accept(&web->accept_ctx, sock);
}

static int
parse_listen(const char *text, struct sockaddr_storage *ss)
{
	char host[VG_WEB_LISTEN_LEN];
	const char *colon = strrchr(text, ':');
	int port;

	if (colon == NULL)
		return -EINVAL;
	port = atoi(colon + 1);
	if (text[0] == '[') {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - text - 2),
			 text + 1);
		return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss);
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
	return uv_ip4_addr(host, port, (struct sockaddr_in *)ss);
}

static int
start_listener(struct vg_web *web, const char *text)
{
	uv_tcp_t *l = &web->listeners[web->listener_count];
	struct sockaddr_storage ss;
	int rc;

	rc = parse_listen(text, &ss);
	if (rc != 0) {
		VG_ERR("web", "listen=%s: invalid address", text);
		return -EINVAL;
	}
	uv_tcp_init(web->loop, l);
	l->data = web;
	rc = uv_tcp_bind(l, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)l, 128, on_accept);
	if (rc != 0) {
		VG_ERR("web", "listen=%s failed: %s", text, uv_strerror(rc));
		uv_close((uv_handle_t *)l, NULL);
		return -EADDRNOTAVAIL;
	}
	web->listener_count++;
	VG_INFO("web", "listening on %s://%s", web->ssl_ctx ? "https" : "http",
		text);
	return 0;
}

int
vg_http_start(struct vg_web *web)
{
	const struct vg_web_config *wc = &web->cfg.web;
	h2o_hostconf_t *host;
	char err[1024];
	unsigned int i;
	int rc;

	h2o_config_init(&web->h2o_config);
	/* No Server header: the software and its version are nobody's
	 * business. h2o 2.2 leaves the header out when the name is empty. */
	web->h2o_config.server_name = h2o_iovec_init(H2O_STRLIT(""));
	/* NOTE: h2o 2.2 responds to an HTTP/1.1 body over this limit with
	 * its own plain-text 413, but resets an HTTP/2 stream with
	 * REFUSED_STREAM, and no handler runs in either case. */
	web->h2o_config.max_request_entity_size = wc->max_request_bytes;
	/* NOTE: h2o 2.2 closes a connection whose request is still
	 * unfinished after this timeout without calling vigil-web, which
	 * then neither responds nor logs it. */
	web->h2o_config.http1.req_timeout = wc->request_timeout_ms;
	web->h2o_config.http2.idle_timeout = wc->request_timeout_ms;
	web->h2o_config.handshake_timeout = wc->request_timeout_ms;
	host = h2o_config_register_host(&web->h2o_config,
					h2o_iovec_init(H2O_STRLIT("default")),
					65535);
	register_api(web, host, API_PREFIX, false);
	register_api(web, host, "/metrics", true);
	{
		h2o_pathconf_t *conf = h2o_config_register_path(host, "/api",
								 0);
		h2o_handler_t *h;

		vg_http_register_guard(conf, false);
		h = h2o_create_handler(conf, sizeof(*h));

		h->on_req = on_api_unknown;
		add_security_headers(conf, "no-store");
	}
	rc = register_static(web, host);
	if (rc != 0)
		return rc;

	rc = vg_http_tls_load(&web->cfg, &web->ssl_ctx, err, sizeof(err));
	if (rc != 0) {
		VG_ERR("web", "%s", err);
		return rc;
	}
	h2o_context_init(&web->h2o_ctx, web->loop, &web->h2o_config);
	web->accept_ctx.ctx = &web->h2o_ctx;
	web->accept_ctx.hosts = web->h2o_config.hosts;
	web->accept_ctx.ssl_ctx = web->ssl_ctx;

	for (i = 0; i < wc->listen_count; i++) {
		rc = start_listener(web, wc->listen[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
vg_http_stop(struct vg_web *web)
{
	unsigned int i;

	for (i = 0; i < web->listener_count; i++)
		uv_close((uv_handle_t *)&web->listeners[i], NULL);
	web->listener_count = 0;
}
