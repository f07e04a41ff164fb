/*
 * vigil's timeseries: which series exist, and the points the control
 * thread builds for them from each finished minute and from the plugins.
 *
 * Built-in series, one rrd file each under timeseries.directory:
 *
 *   interface/<port>/traffic.rrd      bytes, packets, bytes_in, bytes_out,
 *                                     drops (per port)
 *   interface/<ports>/flows.rrd       active_flows, active_hosts,
 *                                     flows_created, flows_ended
 *   interface/<ports>/app/<name>.rrd  bytes of one nDPI application
 *   interface/<ports>/category/<name>.rrd  bytes of one nDPI category
 *   host/<ip>@<vlan>/traffic.rrd      bytes_sent, bytes_rcvd, packets_sent,
 *                                     packets_rcvd, flows_client,
 *                                     flows_server
 *   network/<cidr, '/' as '_'>/traffic.rrd  bytes_in, bytes_out,
 *                                     bytes_inside
 *   system/stages.rrd, system/sandbox.rrd, system/memory.rrd,
 *   system/timeseries.rrd             vigild's own counters
 *
 * <ports> is the port's name when one port is configured and "all"
 * otherwise, because the minute cut counts flows, applications and
 * categories over every port together.
 *
 * Deltas over the minute use ABSOLUTE data sources and levels at the end
 * of the minute GAUGE, so a restart of vigild writes neither a spike nor
 * a zero. Each point of minute M is written at time M * 60 + 60, the end
 * of the minute, in packet time.
 *
 * Plugin series: plugin/<plugin>/<schema>/<tag values, ','>.rrd, one data
 * source per metric, DERIVE for counters and GAUGE for gauges, with the
 * schema's step (see TimeseriesPoint in vigil_events.proto).
 */
#ifndef VG_ENGINE_TS_SERIES_H
#define VG_ENGINE_TS_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "minute.h"
#include "ts_writer.h"
#include "vigil_events.pb-c.h"

/* vigild's own counters, cumulative since start; see ts_series.c. */
enum vg_ts_counter {
	VG_TS_RX_PACKETS = 0,
	VG_TS_RX_BYTES,
	VG_TS_PARSE_ERRORS,
	VG_TS_RING_FULL,
	VG_TS_ENGINE_PACKETS,
	VG_TS_FLOWS_CREATED,
	VG_TS_FLOWS_ENDED,
	VG_TS_TABLE_FULL,
	VG_TS_NDPI_POOL_EMPTY,
	VG_TS_RECORDS_DROPPED,
	VG_TS_STAGE_COUNT,       /* the counters above go to stages.rrd */
	VG_TS_EVENTS = VG_TS_STAGE_COUNT,
	VG_TS_EVENTS_DROPPED,
	VG_TS_BATCHES_DROPPED,
	VG_TS_SANDBOX_EXITS,
	VG_TS_DEADLINE_KILLS,
	VG_TS_PLUGIN_ERRORS,
	VG_TS_ALERTS,
	VG_TS_PLUGIN_POINTS,
	VG_TS_COUNTER_COUNT,
};

struct vg_ts_system {
	uint64_t counters[VG_TS_COUNTER_COUNT];
	uint64_t port_drops[VG_MAX_PORTS]; /* NIC and driver drops per port */
};

struct vg_stats;

/* Copies the counters of <stats> (engine/stats.h) into <out>. */
void
vg_ts_system_from_stats(struct vg_ts_system *out, const struct vg_stats *stats);

/* Fills <out> with vigild's counters now. Control thread. */
typedef void (*vg_ts_sample_fn)(void *ctx, struct vg_ts_system *out);

struct vg_ts_series_stats {
	uint64_t minutes;
	uint64_t host_series;        /* hosts with a series, files included */
	uint64_t hosts_capped;       /* host points not written: cap reached */
	uint64_t hosts_remote;       /* remote host points not written */
	uint64_t plugin_points;
	uint64_t plugin_rejected;    /* invalid plugin points */
};

struct vg_ts_series;

/*
 * Creates the series for <cfg> writing through <writer>. Port names come
 * from cfg->ports. Host directories already under the timeseries
 * directory count toward cfg->ts_host_series_max. Returns NULL when out
 * of memory.
 */
struct vg_ts_series *
vg_ts_series_create(const struct vg_config *cfg, struct vg_ts_writer *writer);

void
vg_ts_series_free(struct vg_ts_series *series);

/*
 * Names nDPI application <id> (below VG_APP_SLOTS) or category <id> (below
 * 64) for file names. Without a name, the series is named by its number.
 */
void
vg_ts_series_set_app_name(struct vg_ts_series *series, unsigned int id,
			  const char *name);

void
vg_ts_series_set_category_name(struct vg_ts_series *series, unsigned int id,
			       const char *name);

/*
 * Copies the application and category names from an nDPI detection
 * module. Call before the module is in use by another thread, or from
 * the thread that uses it.
 */
struct ndpi_detection_module_struct;

void
vg_ts_series_names_from_ndpi(struct vg_ts_series *series,
			     struct ndpi_detection_module_struct *ndpi);

/* Sets the source of vigild's own counters; without one, none are kept. */
void
vg_ts_series_set_sampler(struct vg_ts_series *series, vg_ts_sample_fn fn,
			 void *ctx);

/* The minute consumer (a vg_minute_fn): <ctx> is the vg_ts_series. */
void
vg_ts_series_minute(void *ctx, const struct vg_minute_merged *minute);

/*
 * Writes one point a plugin appended. Returns 0, or -ENOBUFS when the
 * writer's queue is full. Returns -EINVAL, counted in plugin_rejected, for
 * a point without plugin, schema or metric, with more than VG_TS_DS_MAX
 * metrics, with a step other than 60, 300, 3600 or 86400, or with names
 * too long for a file name or two metrics sharing an rrdtool name.
 */
int
vg_ts_series_plugin_point(struct vg_ts_series *series,
			  const Vigil__V1__TimeseriesPoint *point);

void
vg_ts_series_get_stats(const struct vg_ts_series *series,
		       struct vg_ts_series_stats *stats);

/*
 * The series that plugin points go to, for the sandbox supervisor, which
 * has no other way to reach it. NULL (the default) drops them uncounted
 * here; the supervisor counts them as ts_points either way.
 */
void
vg_ts_series_set_plugin_sink(struct vg_ts_series *series);

/* Hands each of <n> points to the plugin sink. Control thread. */
void
vg_ts_plugin_points(Vigil__V1__TimeseriesPoint *const *points, size_t n);

#endif
