/*
 * vigild's alert store: the control thread hands it every alert a sandbox
 * raises or releases, and a writer thread of its own puts them in the
 * alert database and passes them on to the endpoints.
 *
 * The control thread only filters (exclusions) and queues, so a slow disk
 * never stalls the libuv loop: a full queue drops the alert and counts it.
 * The writer commits what the queue holds in one transaction per wake-up,
 * merges repeats (an engaged alert raised again, a past alert repeated
 * within alerts.dedup_window), moves released alerts to the past table,
 * and enforces retention every few seconds. Engaged alerts stay in the
 * database across restarts; see docs/alerts.md for what happens to them.
 *
 * Every function is called from the control thread only.
 */
#ifndef VG_ALERT_STORE_H
#define VG_ALERT_STORE_H

#include <stddef.h>

#include "alert_endpoints.h"
#include "common/alert_config.h"
#include "vigil_events.pb-c.h"

#define VG_ALERT_EXCLUDED 1

struct vg_alert_store;

/*
 * Opens the database (when alerts.database is set), loads the stored
 * exclusions, makes reloaded engaged alerts wait for a trigger, starts the
 * endpoints and the writer thread. Returns NULL with the cause logged.
 * <cfg> must outlive the store.
 */
struct vg_alert_store *
vg_alert_store_open(const struct vg_alerts_config *cfg);

/*
 * Queues the alert <t> with <details>, the JSON object that
 * vg_alert_details_normalize() made of t->details_json (NULL for "{}").
 * The store and the endpoints embed it as it is. <sandbox> is the index
 * of the sandbox that raised it. Returns 0,
 * VG_ALERT_EXCLUDED when an exclusion covers it (nothing is queued), or
 * -ENOBUFS when the queue was full (the alert is dropped and counted).
 * <store> may be NULL: returns 0.
 */
int
vg_alert_store_trigger(struct vg_alert_store *store,
		       const Vigil__V1__AlertTrigger *t, const char *details,
		       unsigned int sandbox);

/* Queues the release <r>; same returns as vg_alert_store_trigger(). */
int
vg_alert_store_release(struct vg_alert_store *store,
		       const Vigil__V1__AlertRelease *r);

/*
 * Queues, for a sandbox that is restarting, the mark that makes its
 * engaged alerts wait for a new trigger: the new process has forgotten
 * them, so it would never release them. Those not raised again within
 * alerts.engaged_grace are released as "unconfirmed". Call it after the
 * old process's results are queued. Same returns as
 * vg_alert_store_trigger() but VG_ALERT_EXCLUDED.
 */
int
vg_alert_store_unconfirm(struct vg_alert_store *store, unsigned int sandbox);

/*
 * Runs the control-socket command <command> when it is one of the store's
 * ("exclude ...", "unexclude ...", "exclusions", "alerts engaged") and
 * writes the reply into <out>. Returns true when the command was the
 * store's, false when it is not (nothing written).
 */
bool
vg_alert_store_command(struct vg_alert_store *store, const char *command,
		       char *out, size_t out_len);

/*
 * Hands the store's counters to <fn> (label NULL), then the endpoints'
 * (labelled with the endpoint's name).
 */
void
vg_alert_store_each_counter(struct vg_alert_store *store, vg_counter_fn fn,
			    void *ctx);

/* Writes the store's and endpoints' counters as a JSON object. */
void
vg_alert_store_stats_json(struct vg_alert_store *store, char *out,
			  size_t out_len);

/*
 * Writes what is queued and pending, enforces retention once more, stops
 * the writer and the endpoints (giving them a few seconds to deliver what
 * they hold), logs every counter and frees the store. Returns how many
 * alerts, releases and exclusions were lost because the database could
 * not store them (the "lost" counter). <store> may be NULL.
 */
uint64_t
vg_alert_store_close(struct vg_alert_store *store);

#endif
