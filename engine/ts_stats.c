/*
 * vigild's counters as the timeseries keep them: a copy from vg_stats
 * into vg_ts_system, kept apart from ts_series.c because vg_stats comes
 * with the DPDK headers and ts_series.c is built without them.
 */
#include <string.h>

#include "stats.h"
#include "ts_series.h"

void
vg_ts_system_from_stats(struct vg_ts_system *out, const struct vg_stats *st)
{
	uint64_t *c = out->counters;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	c[VG_TS_RX_PACKETS] = st->rx.packets;
	c[VG_TS_RX_BYTES] = st->rx.bytes;
	for (i = 1; i < VG_PARSE_ERROR_COUNT; i++)
		c[VG_TS_PARSE_ERRORS] += st->rx.parse_errors[i];
	c[VG_TS_RING_FULL] = st->rx.ring_full;
	c[VG_TS_ENGINE_PACKETS] = st->engine.packets;
	c[VG_TS_FLOWS_CREATED] = st->engine.flows_created;
	c[VG_TS_FLOWS_ENDED] = st->engine.flows_expired;
	c[VG_TS_TABLE_FULL] = st->engine.flows_table_full;
	c[VG_TS_NDPI_POOL_EMPTY] = st->engine.ndpi_pool_empty;
	c[VG_TS_RECORDS_DROPPED] = st->engine.records_dropped;
	c[VG_TS_EVENTS] = st->events;
	c[VG_TS_EVENTS_DROPPED] = st->events_dropped;
	c[VG_TS_BATCHES_DROPPED] = st->event_batches_dropped;
	c[VG_TS_SANDBOX_EXITS] = st->sandbox.exits;
	c[VG_TS_DEADLINE_KILLS] = st->sandbox.deadline_kills;
	c[VG_TS_PLUGIN_ERRORS] = st->sandbox.plugin_errors;
	c[VG_TS_ALERTS] = st->sandbox.alerts_triggered;
	c[VG_TS_PLUGIN_POINTS] = st->sandbox.ts_points;
	for (i = 0; i < st->port_count && i < VG_MAX_PORTS; i++)
		out->port_drops[i] = st->ports[i].imissed + st->ports[i].rx_nombuf;
}
