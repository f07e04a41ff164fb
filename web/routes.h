/*
 * What the endpoint files share: parameter parsing, the JSON of flows and
 * hosts, and vigild request builders. routes.c contains the endpoints
 * that only query vigild. routes_store.c contains those that also read
 * the alert store, the timeseries files or the plugin folders, and
 * /metrics.
 */
#ifndef VG_WEB_ROUTES_H
#define VG_WEB_ROUTES_H

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
 * Sends the HTTP error for a failed vigild call (NULL <resp>: 503) or a
 * non-OK status and returns -1; returns 0 when <resp> is OK.
 */
int
vg_answer_failed(h2o_req_t *req, const Vigil__Control__V1__Response *resp,
		 const char *error);

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
