/*
 * vigil-web: the HTTP server (http.c), the API endpoints (routes.c) and
 * what they share.
 *
 * Everything runs on one libuv loop: h2o's connections, the connection to
 * vigild and the timers. Only password hashing and checking run on
 * libuv's thread pool, because Argon2id takes tens of milliseconds by
 * design.
 */
#ifndef VG_WEB_WEB_H
#define VG_WEB_WEB_H

#include <stdbool.h>
#include <stdint.h>

#include <h2o.h>
#include <uv.h>

#include "common/config.h"
#include "auth.h"
#include "json.h"
#include "vigild.h"

#define VG_WEB_PARAMS_MAX 32
#define VG_WEB_LOGINS_RUNNING_MAX 2

struct vg_alert_db;

struct vg_web {
	struct vg_config cfg;
	const char *config_path;
	uv_loop_t *loop;
	h2o_globalconf_t h2o_config;
	h2o_context_t h2o_ctx;
	h2o_accept_ctx_t accept_ctx;
	void *ssl_ctx;                 /* SSL_CTX, NULL without TLS */
	uv_tcp_t listeners[VG_WEB_LISTEN_MAX];
	unsigned int listener_count;
	struct vg_vigild *vigild;
	struct vg_auth auth;
	unsigned int logins_running;   /* password checks on the pool */
	struct vg_alert_db *alerts;    /* opened on first use, or NULL */
};

/* One query-string parameter, percent-decoded. */
struct vg_param {
	char name[32];
	char *value;                   /* in the request's pool */
};

struct vg_params {
	struct vg_param items[VG_WEB_PARAMS_MAX];
	unsigned int count;
};

/* The caller of an API request, once authenticated. */
struct vg_caller {
	struct vg_session *session;    /* NULL when login is off */
	enum vg_role role;
};

/*
 * A request that waits on vigild or the thread pool. <req> becomes NULL
 * when the client goes away first; the response is then dropped.
 */
struct vg_pending {
	h2o_req_t *req;
	struct vg_pending **guard;     /* in req's pool, points back here */
	struct vg_web *web;
	struct vg_params params;
	struct vg_jbuf out;            /* JSON built across several calls */
	int stage;
	uint64_t number;               /* endpoint-specific */
	char text[128];                /* endpoint-specific */
	void (*next)(struct vg_pending *p,
		     const Vigil__Control__V1__Response *resp,
		     const char *error);
	/* Called once by vg_pending_finish, on every path that ends <p>. */
	void (*on_finish)(struct vg_pending *p);
};

/* ---- http.c ---- */

/*
 * Starts listening on every web.listen address, with TLS when configured.
 * Returns 0 or a negative errno with the cause logged.
 */
int
vg_http_start(struct vg_web *web);

void
vg_http_stop(struct vg_web *web);

/* Sends <body> (<len> bytes of JSON) with <status>. */
void
vg_http_send_json(h2o_req_t *req, int status, const char *body, size_t len);

/*
 * Sends the error object {"error": <code>, "message": ..., "parameter":
 * <param>} with <status>; <param> may be NULL.
 */
void
vg_http_error(h2o_req_t *req, int status, const char *code,
	      const char *param, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Creates a pending request tied to <req>'s lifetime. NULL if no memory. */
struct vg_pending *
vg_pending_new(struct vg_web *web, h2o_req_t *req);

/*
 * Detaches <p> from its request and frees it. Returns the request to
 * respond to, or NULL when the client has gone.
 */
h2o_req_t *
vg_pending_finish(struct vg_pending *p);

/* Sends <req> to vigild; the response goes to p->next. */
void
vg_pending_call(struct vg_pending *p, Vigil__Control__V1__Request *req);

/* ---- request_checks.c ---- */

/*
 * Registers, as the first handler of <conf>, the guard that rejects an
 * overlong request target (414) or a control byte in it or in the
 * decoded path (400) and, with <static_root>, npm's files and dot-files
 * (404).
 */
void
vg_http_register_guard(h2o_pathconf_t *conf, bool static_root);

/*
 * Returns true when <req> uses <method> (GET also takes HEAD); otherwise
 * sends 405 with an Allow header and returns false.
 */
bool
vg_http_method_allowed(h2o_req_t *req, const char *method);

/*
 * Checks that the body of <req> is declared JSON: Content-Type
 * application/json, with no charset other than UTF-8. A body is needed
 * when <required>; otherwise only a non-empty body is checked. Returns
 * 0, or sends 415 unsupported_media_type and returns -1.
 */
int
vg_http_check_json_body(h2o_req_t *req, bool required);

/* ---- static_check.c ---- */

/*
 * Registers on <conf>, to run before h2o's file handler for the folder
 * <dir>, the check that sends 404 for a file that others may not read,
 * that is not a regular file or whose real path is outside the folder
 * <static_dir>. <index_file> (may be NULL) is the file h2o serves for a
 * path that ends in '/'. Returns 0, or -errno when <static_dir> has no
 * real path or memory runs out.
 */
int
vg_http_register_static_check(h2o_pathconf_t *conf, const char *dir,
			      const char *index_file, const char *static_dir);

/* ---- tls.c ---- */

/*
 * Loads web.tls_certificate and web.tls_key into a new SSL_CTX (TLS 1.2
 * or later, HTTP/2 offered through ALPN) stored in *<ssl_ctx>; NULL
 * without TLS. Returns 0, or a negative errno with "FILE:LINE:COL: web.KEY:
 * problem" and OpenSSL's reason in <err>.
 */
int
vg_http_tls_load(const struct vg_config *cfg, void **ssl_ctx, char *err,
		 size_t err_len);

void
vg_http_tls_free(void *ssl_ctx);

/* ---- routes.c ---- */

/*
 * Answers the API request <req> for <path> (below /api/v1, starting with
 * '/') from an authenticated <caller>, once its method, CSRF token and
 * body type have passed. <params> are its query parameters.
 */
void
vg_routes_api(struct vg_web *web, h2o_req_t *req, const char *path,
	      const struct vg_caller *caller, struct vg_params *params);

/*
 * Returns the method that the endpoint <path> (below /api/v1) takes, or
 * NULL when there is no such endpoint.
 */
const char *
vg_routes_method(const char *path);

/* Serves GET /metrics. */
void
vg_routes_metrics(struct vg_web *web, h2o_req_t *req);

/* Serves POST /api/v1/login (no session needed). */
void
vg_routes_login(struct vg_web *web, h2o_req_t *req);

/* Returns the value of parameter <name>, or NULL. */
const char *
vg_param(const struct vg_params *params, const char *name);

/*
 * Checks that every parameter is one of the NULL-terminated <allowed>.
 * Returns NULL, or the first parameter that is not.
 */
const char *
vg_params_unknown(const struct vg_params *params, const char *const *allowed);

#endif
