/*
 * What the endpoint files share: parameter parsing, the JSON of flows and
 * hosts, and vigild request builders. routes.c and routes_flows.c (the
 * flow and host lists) contain the endpoints that only query vigild.
 * routes_store.c contains those that also read the alert store, and
 * /metrics; routes_timeseries.c those that read the timeseries files,
 * and routes_plugins.c GET /plugins.
 */
#ifndef VG_WEB_ROUTES_H
#define VG_WEB_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "web.h"

/* Storage for a FlowsRequest built from query parameters. */
struct flows_query {
	Vigil__Control__V1__Request req;
	Vigil__Control__V1__FlowsRequest flows;
	Vigil__Control__V1__FlowFilter filter;
	Vigil__Control__V1__Page page;
	Vigil__Control__V1__UIntMatch l4;
	Vigil__Control__V1__UIntMatch vlan;
	Vigil__Control__V1__UIntMatch port;
	uint8_t host[16];
};

/*
 * Reads the integer parameter <name> (min..max) into <out>, left as is
 * when absent. Returns 0, or -1 with a 400 sent.
 */
int
vg_param_uint(h2o_req_t *req, const struct vg_params *params,
	      const char *name, uint64_t min, uint64_t max, uint64_t *out);

/* Parses an IPv4 or IPv6 address into <addr>; returns 4, 16 or 0. */
size_t
vg_parse_ip(const char *text, uint8_t *addr);

/*
 * Reads the address parameter <name> into <addr> and its length, 4 or
 * 16, into *len (0 when absent). Returns 0, or -1 with a 400 sent.
 */
int
vg_param_ip(h2o_req_t *req, const struct vg_params *params, const char *name,
	    uint8_t *addr, size_t *len);

/*
 * Reads the parameter <name>, true or false, into *out as 1 or 0 (-1
 * when absent). Returns 0, or -1 with a 400 sent.
 */
int
vg_param_bool(h2o_req_t *req, const struct vg_params *params,
	      const char *name, int *out);

/* Reads offset, limit and order into <page>; -1 with a 400 sent. */
int
vg_param_page(h2o_req_t *req, const struct vg_params *params,
	      Vigil__Control__V1__Page *page);

/* Returns the index of <text> in the NULL-terminated <names>, or -1. */
int
vg_name_index(const char *text, const char *const *names);

/* Sends <b> as a 200 JSON response, or 500 when building it failed. */
void
vg_send_buffer(h2o_req_t *req, struct vg_jbuf *b);

/*
 * Sends the HTTP error for a failed vigild call (NULL <resp>: 503) or a
 * non-OK status and returns -1; returns 0 when <resp> is OK.
 */
int
vg_answer_failed(h2o_req_t *req, const Vigil__Control__V1__Response *resp,
		 const char *error);

/* Sends 400 invalid_parameter for the unknown parameter <name>. */
void
vg_reject_unknown(h2o_req_t *req, const char *name);

/* Returns true when <path> is a regular file. */
bool
vg_is_file(const char *path);

/* Series listed at most in one response of GET /timeseries/series. */
#define VG_SUB_SERIES_MAX 256

/*
 * Appends to <b> the series of <sub> (app or category) that the <kind>
 * (host or interface) element <element> has files for, as {"schema",
 * "element", "step"}, at most <max> of them.
 */
void
vg_put_sub_series(struct vg_jbuf *b, const struct vg_web *web,
		  const char *kind, const char *sub, const char *element,
		  bool *first, unsigned int max);

void
vg_flow_json(struct vg_jbuf *b, const Vigil__Control__V1__Flow *flow);

void
vg_host_json(struct vg_jbuf *b, const Vigil__Control__V1__Host *host);

/* Fills <q> from the flow parameters; -1 with a 400 sent. */
int
vg_flows_query_build(h2o_req_t *req, const struct vg_params *params,
		     struct flows_query *q);

void
vg_stats_request(Vigil__Control__V1__Request *r,
		 Vigil__Control__V1__StatsRequest *body);

/* Starts a session for <user> and sends it as the login response. */
void
vg_login_succeeded(struct vg_web *web, h2o_req_t *req, const char *user,
		   enum vg_role role);

void
vg_get_flows(struct vg_web *web, h2o_req_t *req, struct vg_params *params);

void
vg_get_flow(struct vg_web *web, h2o_req_t *req, const char *id_text,
	    struct vg_params *params);

void
vg_get_hosts(struct vg_web *web, h2o_req_t *req, struct vg_params *params);

void
vg_get_host(struct vg_web *web, h2o_req_t *req, const char *ip,
	    struct vg_params *params);

void
vg_get_alerts(struct vg_web *web, h2o_req_t *req, struct vg_params *params);

void
vg_get_series_list(struct vg_web *web, h2o_req_t *req,
		   struct vg_params *params);

void
vg_get_timeseries(struct vg_web *web, h2o_req_t *req,
		  struct vg_params *params);

void
vg_get_plugins(struct vg_web *web, h2o_req_t *req, struct vg_params *params);

#endif
