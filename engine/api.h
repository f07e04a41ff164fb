/*
 * vigild's API socket: the framed protobuf protocol of
 * common/proto/vigil_control.proto, served to vigil-web on the control
 * thread's loop.
 *
 * It is a second Unix socket (web.vigild_socket), beside the line-based
 * control socket, so neither protocol has to guess the other's framing.
 * Requests that scan the flow or host tables run on libuv's thread pool,
 * at most VG_API_MAX_QUERIES at a time, so a scan of a million flows
 * does not delay the control loop (records, sandboxes, signals). List
 * requests share recent scans and wait for the scan budget (api_scans.h),
 * at most VG_API_MAX_WAITING of them at a time. The others (counters,
 * plugins, reload) run on the loop itself, because they read state only
 * the control thread may touch.
 */
#ifndef VG_ENGINE_API_H
#define VG_ENGINE_API_H

#include <stdint.h>

#include <uv.h>

#define VG_API_MAX_QUERIES 4
#define VG_API_MAX_WAITING 256             /* list requests waiting for scans */
#define VG_API_REQUEST_MAX 65536u          /* bytes in one request frame */
#define VG_API_RESPONSE_MAX (16u << 20)    /* bytes in one response frame */

struct vg_config;
struct vg_capture;
struct vg_rx_lcore;
struct vg_engine_lcore;
struct vg_sandboxes;
struct vg_alert_store;
struct vg_ts_writer;
struct vg_ts_series;

/* Sources of the API's data; every pointer must outlive the API. */
struct vg_api_env {
	const struct vg_config *cfg;
	const struct vg_capture *capture;
	const struct vg_rx_lcore *rx;
	unsigned int rx_count;
	struct vg_engine_lcore *const *engines;
	unsigned int engine_count;
	struct vg_sandboxes *sandboxes;    /* NULL when plugins are off */
	const uint64_t *records_lost;      /* added to records_dropped */
	struct vg_alert_store *alert_store;   /* or NULL */
	const struct vg_ts_writer *ts_writer; /* NULL without timeseries */
	const struct vg_ts_series *ts_series;
};

struct vg_api;

/*
 * Listens on <path> (mode 0660, so a group can be given to vigil-web).
 * A stale socket file left by a dead vigild is replaced; any other file
 * there is kept and the call fails. Returns NULL with the cause logged.
 * Control thread only.
 */
struct vg_api *
vg_api_start(uv_loop_t *loop, const char *path, const struct vg_api_env *env);

/*
 * Closes the listener and every connection and removes the socket file.
 * Queries still running finish on the thread pool and are discarded, so
 * the loop must run again (as vigild's shutdown does) before the engines
 * are freed.
 */
void
vg_api_stop(struct vg_api *api);

#endif
