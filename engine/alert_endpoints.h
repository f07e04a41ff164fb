/*
 * Alert endpoints: where vigild sends each new, released and flow alert
 * besides the database. Kinds: syslog (RFC 5424 over the local /dev/log
 * socket, UDP or TCP), webhook (an HTTP POST of the alert as JSON),
 * a JSON Lines file, and e-mail over SMTP.
 *
 * Each endpoint has its own thread and a bounded queue. The alert store's
 * writer only copies the alert into the queues whose severity and type
 * filters it passes, so a slow or unreachable endpoint never stalls the
 * store or another endpoint. A full queue drops the alert and counts it.
 * Webhook, TCP syslog and e-mail retry a failed delivery with a delay that
 * doubles up to backoff_max_ms, and keep the order: the next alert waits
 * until the one before it is delivered or given up.
 */
#ifndef VG_ALERT_ENDPOINTS_H
#define VG_ALERT_ENDPOINTS_H

#include <stddef.h>

#include "common/alert_config.h"
#include "common/alert_db.h"

struct vg_alert_endpoints;

/*
 * Receives one counter: <name> in snake_case, <label> the endpoint's name
 * for an endpoint's counter, else NULL.
 */
typedef void (*vg_counter_fn)(void *ctx, const char *name, const char *label,
			      uint64_t value);

/* Starts one thread per endpoint of <cfg>; returns NULL, cause logged. */
struct vg_alert_endpoints *
vg_alert_endpoints_start(const struct vg_alerts_config *cfg);

/*
 * Queues <a> for every endpoint whose filters it passes, with <event>
 * ("trigger", "release" or "flow"). Never blocks on delivery. Called from
 * one thread at a time (the store's writer).
 */
void
vg_alert_endpoints_deliver(struct vg_alert_endpoints *eps,
			   const struct vg_alert *a, const char *event);

/* Hands every endpoint's counters to <fn>. */
void
vg_alert_endpoints_each_counter(struct vg_alert_endpoints *eps, vg_counter_fn fn,
				void *ctx);

/* Writes a JSON array of every endpoint's counters into <out>. */
void
vg_alert_endpoints_stats_json(struct vg_alert_endpoints *eps, char *out,
			      size_t out_len);

/*
 * Lets each endpoint deliver what it holds for at most <drain_ms>, then
 * stops it, counts what is left as dropped, logs the counters and frees
 * everything. <eps> may be NULL.
 */
void
vg_alert_endpoints_stop(struct vg_alert_endpoints *eps, unsigned int drain_ms);

#endif
