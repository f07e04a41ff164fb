/*
 * The checks a request passes before any handler reads it, and the ones
 * every endpoint shares: the request target's length and bytes, the
 * files below the static root that are never served, the method and the
 * type of the body.
 *
 * h2o calls a path's handlers in the order they were registered until
 * one responds, so vigil-web registers the guard first on every path.
 * What it rejects never reaches the API or h2o's file handler.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/utf8.h"
#include "web.h"

/*
 * Maximum length of a request target (path and query string); longer
 * ones get 414. The API's valid queries take a few hundred bytes. Some
 * clients leave the session cookie out of longer requests (curl 7.88
 * does once the request's header passes 8190 bytes), which would
 * otherwise end in a misleading 401.
 */
#define TARGET_MAX 8192

/* Runs on_guard() ahead of the handlers of one path. */
struct guard_handler {
	h2o_handler_t super;
	bool static_root;          /* "/": npm's files are not served */
};

/* Writes the client's address into <buf>, or "-" when it is unknown. */
static void
peer_text(h2o_req_t *req, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	const void *addr = NULL;

	snprintf(buf, len, "-");
	sl = req->conn->callbacks->get_peername(req->conn,
						(struct sockaddr *)&ss);
	if (sl == 0)
		return;
	if (ss.ss_family == AF_INET)
		addr = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		addr = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (addr != NULL)
		inet_ntop(ss.ss_family, addr, buf, (socklen_t)len);
}

/*
 * Logs a rejected request with the client's address, at most once a
 * second: the lines left out in between are counted in the next one, so
 * a client cannot flood the log.
 */
__attribute__((format(printf, 2, 3))) static void
log_rejected(h2o_req_t *req, const char *fmt, ...)
{
	static uint64_t last_ms;
	static unsigned int suppressed;
	uint64_t now = h2o_now(req->conn->ctx->loop);
	char peer[INET6_ADDRSTRLEN];
	char what[256];
	va_list ap;

	if (last_ms != 0 && now - last_ms < 1000) {
		suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	peer_text(req, peer, sizeof(peer));
	VG_WARN("web", "peer=%s %s (suppressed=%u)", peer, what, suppressed);
	last_ms = now;
	suppressed = 0;
}

static bool
segment_is(const char *seg, size_t len, const char *name)
{
	return len == strlen(name) && memcmp(seg, name, len) == 0;
}

/*
 * Returns true for a path below the static root that must not be
 * served: npm's files and its node_modules folder, which hold every
 * package's sources (/vendor/uplot/ serves uPlot's dist folder alone),
 * and dot-files.
 */
static bool
private_static_path(h2o_iovec_t path)
{
	const char *p = path.base;
	const char *end = path.base + path.len;

	while (p < end) {
		const char *slash;
		size_t len;

		while (p < end && *p == '/')
			p++;
		slash = memchr(p, '/', (size_t)(end - p));
		len = (size_t)((slash != NULL ? slash : end) - p);
		if (len > 0 &&
		    (p[0] == '.' || segment_is(p, len, "node_modules") ||
		     segment_is(p, len, "package.json") ||
		     segment_is(p, len, "package-lock.json") ||
		     segment_is(p, len, "npm-shrinkwrap.json")))
			return true;
		p += len;
	}
	return false;
}

/* Returns the first control byte (below 0x20, or 0x7f) in <s>, or -1. */
static int
control_byte(h2o_iovec_t s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.base[i];

		if (c < 0x20 || c == 0x7f)
			return c;
	}
	return -1;
}

/* Returns true when the header line <line> (<len> bytes) is <name>. */
static bool
line_names(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/*
 * Counts the Content-Length and Transfer-Encoding lines of an HTTP/1
 * request. h2o 2.2 keeps neither header in req->headers, so they are
 * read from the header block itself: the connection's input buffer
 * starts with it while the handlers run, and h2o consumes it only after
 * the response (lib/http1.c, on_send_complete()). Returns false when
 * the buffer does not start with this request's request line, so the
 * counts are unknown.
 */
static bool
count_framing_headers(h2o_req_t *req, unsigned int *lengths,
		      unsigned int *encodings)
{
	h2o_socket_t *sock;
	const char *p;
	const char *end;

	*lengths = 0;
	*encodings = 0;
	/* HTTP/2 frames a body by its DATA frames, and h2o 2.2 checks them
	 * against the request's last Content-Length before any handler
	 * runs: a length that disagrees gets RST_STREAM, a list value or
	 * Transfer-Encoding gets GOAWAY (web_api.py, check_http2_lengths).
	 * NOTE: h2o keeps no Content-Length header for the handlers, so an
	 * HTTP/2 request that repeats it, with the last value matching the
	 * DATA frames, is served without a 400. The body read is still
	 * exactly the DATA frames, so nothing is smuggled. */
	if (req->version >= 0x200 || req->conn->callbacks->get_socket == NULL)
		return false;
	sock = req->conn->callbacks->get_socket(req->conn);
	if (sock == NULL || sock->input == NULL)
		return false;
	p = sock->input->bytes;
	end = p + sock->input->size;
	/* h2o's parser skips one empty line before the request line. */
	if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		p += 2;
	else if (p < end && p[0] == '\n')
		p++;
	if ((size_t)(end - p) <= req->input.method.len ||
	    memcmp(p, req->input.method.base, req->input.method.len) != 0 ||
	    p[req->input.method.len] != ' ')
		return false;
	p = memchr(p, '\n', (size_t)(end - p));
	while (p != NULL) {
		const char *line = p + 1;
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t len;

		if (eol == NULL)
			return false;
		len = (size_t)(eol - line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0)
			return true;
		if (line_names(line, len, "content-length"))
			(*lengths)++;
		else if (line_names(line, len, "transfer-encoding"))
			(*encodings)++;
		p = eol;
	}
	return false;
}

/*
 * Rejects a request whose body length is ambiguous: Content-Length more
 * than once, or beside Transfer-Encoding. h2o 2.2 reads the body by the
 * first Content-Length (or by Transfer-Encoding), and a proxy in front
 * that read it by another would take the rest for a second request
 * (request smuggling). RFC 9112 (sections 6.1 and 6.3) lets a server
 * process repeated equal values, or Transfer-Encoding alone, but also
 * lets it reject both, and vigil-web rejects them with 400. It then
 * closes the connection, as section 6.1 requires, because where the
 * next request starts is unknown. Returns 0 when a response was sent,
 * -1 otherwise.
 */
static int
reject_ambiguous_length(h2o_req_t *req)
{
	unsigned int lengths;
	unsigned int encodings;

	if (!count_framing_headers(req, &lengths, &encodings) ||
	    lengths == 0 || (lengths == 1 && encodings == 0))
		return -1;
	req->http1_is_persistent = 0;
	log_rejected(req, "request with content_length_headers=%u transfer_encoding_headers=%u rejected with 400",
		     lengths, encodings);
	if (lengths > 1)
		vg_http_error(req, 400, "invalid_header", "Content-Length",
			      "the Content-Length header is given %u times; send it once",
			      lengths);
	else
		vg_http_error(req, 400, "invalid_header", "Content-Length",
			      "Content-Length and Transfer-Encoding are both given; send one of them");
	return 0;
}

/*
 * Routes a request whose target is not a path. h2o 2.2 matches such a
 * target against the registered paths as "/" followed by it, so an
 * absolute-form target ("http://host/api/v1/flows", which RFC 9112
 * section 3.2.2 requires a server to accept) would reach the static
 * files whatever path it names. The request is processed again with
 * the target's path, under vigil-web's own host: h2o would forward a
 * request for a host it does not serve to that host as a proxy. Any
 * other target ("*") gets 400. Returns 0, because a response is sent.
 */
static int
route_absolute_target(h2o_req_t *req)
{
	h2o_url_t url;

	if (req->num_reprocessed == 0 &&
	    h2o_url_parse(req->path.base, req->path.len, &url) == 0 &&
	    url.path.len > 0 && url.path.base[0] == '/') {
		h2o_reprocess_request_deferred(req, req->method, req->scheme,
					       req->hostconf->authority.hostport,
					       url.path, NULL, 0);
		return 0;
	}
	vg_http_error(req, 400, "invalid_path", NULL,
		      "the request target must be a path starting with '/' or an absolute http(s) URL");
	return 0;
}

/*
 * Rejects a request that no handler may see: a body length given in
 * more than one way (400), a target longer than TARGET_MAX (414), a
 * control byte in the target or in the decoded path, or a decoded path
 * that is not valid UTF-8 (400). h2o decodes
 * %00 into the path that the handlers and the file handler read, where
 * it would cut a name short. A target that is not a path is routed by
 * route_absolute_target(). Below the static root, private files get
 * 404. Returns 0 when a response was sent, -1 to pass the request on to
 * the next handler.
 */
static int
on_guard(h2o_handler_t *self, h2o_req_t *req)
{
	struct guard_handler *g = (struct guard_handler *)self;
	h2o_iovec_t path = req->path_normalized;
	ssize_t bad_at;
	int c;

	if (reject_ambiguous_length(req) == 0)
		return 0;
	if (req->path.len == 0 || req->path.base[0] != '/')
		return route_absolute_target(req);
	if (req->path.len > TARGET_MAX) {
		log_rejected(req, "request target of %zu bytes is over %d, rejected with 414",
			     req->path.len, TARGET_MAX);
		vg_http_error(req, 414, "uri_too_long", NULL,
			      "the path and query string take %zu bytes, at most %d",
			      req->path.len, TARGET_MAX);
		return 0;
	}
	c = control_byte(req->path);
	if (c < 0)
		c = control_byte(path);
	if (c >= 0) {
		vg_http_error(req, 400, "invalid_path", NULL,
			      "the path holds the control character 0x%02x once percent-decoded",
			      c);
		return 0;
	}
	bad_at = vg_utf8_invalid_at(path.base, path.len);
	if (bad_at >= 0) {
		vg_http_error(req, 400, "invalid_path", NULL,
			      "the path is not valid UTF-8 once percent-decoded: byte %zd is 0x%02x",
			      bad_at, (uint8_t)path.base[bad_at]);
		return 0;
	}
	if (g->static_root && private_static_path(path)) {
		vg_http_error(req, 404, "not_found", NULL, "no such file");
		return 0;
	}
	return -1;
}

void
vg_http_register_guard(h2o_pathconf_t *conf, bool static_root)
{
	struct guard_handler *g;

	g = (struct guard_handler *)h2o_create_handler(conf, sizeof(*g));
	g->super.on_req = on_guard;
	g->static_root = static_root;
}

bool
vg_http_method_allowed(h2o_req_t *req, const char *method)
{
	if (h2o_memis(req->method.base, req->method.len, method,
		      strlen(method)) ||
	    (strcmp(method, "GET") == 0 &&
	     h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))))
		return true;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
		       method, strlen(method));
	vg_http_error(req, 405, "method_not_allowed", NULL,
		      "this endpoint takes %s", method);
	return false;
}

/*
 * Returns true when the media type <v> is application/json in UTF-8.
 * When it is application/json with another charset, that charset's value
 * is stored in <charset>, which is left empty otherwise.
 */
static bool
is_json_type(h2o_iovec_t v, h2o_iovec_t *charset)
{
	static const char json[] = "application/json";
	const char *p = v.base;
	const char *end = v.base + v.len;
	const char *semi;
	const char *stop;

	*charset = h2o_iovec_init(NULL, 0);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	semi = memchr(p, ';', (size_t)(end - p));
	stop = semi != NULL ? semi : end;
	while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t'))
		stop--;
	if ((size_t)(stop - p) != sizeof(json) - 1 ||
	    strncasecmp(p, json, sizeof(json) - 1) != 0)
		return false;
	/* Parameters: only a charset of UTF-8 is accepted. */
	while (semi != NULL) {
		const char *name;
		const char *next;

		p = semi + 1;
		next = memchr(p, ';', (size_t)(end - p));
		stop = next != NULL ? next : end;
		while (p < stop && (*p == ' ' || *p == '\t'))
			p++;
		name = p;
		if ((size_t)(stop - name) >= 8 &&
		    strncasecmp(name, "charset=", 8) == 0) {
			p = name + 8;
			while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t'))
				stop--;
			if (stop - p >= 2 && *p == '"' && stop[-1] == '"') {
				p++;
				stop--;
			}
			if (!((stop - p == 5 && strncasecmp(p, "utf-8", 5) == 0) ||
			      (stop - p == 4 && strncasecmp(p, "utf8", 4) == 0))) {
				*charset = h2o_iovec_init(p, (size_t)(stop - p));
				return false;
			}
		}
		semi = next;
	}
	return true;
}

int
vg_http_check_json_body(h2o_req_t *req, bool required)
{
	h2o_iovec_t charset = { NULL, 0 };
	ssize_t bad_at = -1;
	ssize_t at;

	if (!required && req->entity.len == 0)
		return 0;
	at = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
	if (at != -1 && is_json_type(req->headers.entries[at].value, &charset))
		return 0;
	/* The charset is quoted back, cut to 64 bytes, when it is valid
	 * UTF-8; otherwise the message names its first invalid byte. */
	if (charset.base != NULL)
		bad_at = vg_utf8_invalid_at(charset.base, charset.len);
	if (charset.base != NULL && charset.len == 0)
		vg_http_error(req, 415, "unsupported_media_type", "Content-Type",
			      "charset is empty; send the body in UTF-8 (charset=utf-8)");
	else if (charset.base != NULL && bad_at >= 0)
		vg_http_error(req, 415, "unsupported_media_type", "Content-Type",
			      "charset is not valid UTF-8: byte %zd of its value is 0x%02x; send the body in UTF-8 (charset=utf-8)",
			      bad_at, (uint8_t)charset.base[bad_at]);
	else if (charset.base != NULL)
		vg_http_error(req, 415, "unsupported_media_type", "Content-Type",
			      "charset %.*s is not supported; send the body in UTF-8 (charset=utf-8)",
			      vg_utf8_cut(charset.base, charset.len, 64),
			      charset.base);
	else
		vg_http_error(req, 415, "unsupported_media_type", "Content-Type",
			      "the body must be JSON sent with Content-Type: application/json");
	return -1;
}
