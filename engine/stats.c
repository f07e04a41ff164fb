/*
 * Counter collection and reporting: the status line, the summary at exit
 * and the JSON statistics file.
 */
#include <inttypes.h>
#include <string.h>

#include <rte_ethdev.h>

#include "common/log.h"
#include "lcore.h"
#include "stats.h"

static void
add_rx(struct vg_rx_counters *sum, const struct vg_rx_counters *c)
{
	unsigned int i;

	sum->packets += c->packets;
	sum->bytes += c->bytes;
	for (i = 0; i < VG_PARSE_ERROR_COUNT; i++)
		sum->parse_errors[i] += c->parse_errors[i];
	sum->ring_full += c->ring_full;
	sum->oversize += c->oversize;
	sum->copy_nombuf += c->copy_nombuf;
	sum->after_damage += c->after_damage;
	sum->not_replayed += c->not_replayed;
}

static void
add_engine(struct vg_engine_counters *sum, const struct vg_engine_counters *c)
{
	sum->packets += c->packets;
	sum->bytes += c->bytes;
	sum->flows_created += c->flows_created;
	sum->flows_expired += c->flows_expired;
	sum->flows_table_full += c->flows_table_full;
	sum->ndpi_pool_empty += c->ndpi_pool_empty;
	sum->ndpi_packets += c->ndpi_packets;
	sum->records_dropped += c->records_dropped;
	sum->late_statuses += c->late_statuses;
	sum->statuses_full += c->statuses_full;
}

static void
add_events(struct vg_stats *stats, const struct vg_event_out *out)
{
	unsigned int s;

	stats->plugins = true;
	stats->events += atomic_load(&out->events);
	stats->event_batches += atomic_load(&out->batches_sent);
	stats->events_dropped += atomic_load(&out->events_dropped);
	for (s = 0; s < out->sandbox_count; s++)
		stats->event_batches_dropped +=
			atomic_load(&out->batches_dropped[s]);
}

void
vg_stats_collect(struct vg_stats *stats, const struct vg_capture *capture,
		 const struct vg_rx_lcore *rx, unsigned int rx_count,
		 struct vg_engine_lcore *const *engines,
		 unsigned int engine_count)
{
	unsigned int i;

	memset(stats, 0, sizeof(*stats));
	for (i = 0; i < rx_count; i++)
		add_rx(&stats->rx, &rx[i].counters);
	for (i = 0; i < engine_count; i++) {
		add_engine(&stats->engine, &engines[i]->engine->counters);
		stats->active_flows += engines[i]->engine->table->count;
		if (engines[i]->events != NULL)
			add_events(stats, engines[i]->events);
	}
	for (i = 0; i < capture->port_count; i++) {
		struct rte_eth_stats eth;

		if (rte_eth_stats_get(capture->ports[i].port_id, &eth) != 0)
			continue;
		stats->ports[i].ipackets = eth.ipackets;
		stats->ports[i].ibytes = eth.ibytes;
		stats->ports[i].imissed = eth.imissed;
		stats->ports[i].ierrors = eth.ierrors;
		stats->ports[i].rx_nombuf = eth.rx_nombuf;
	}
	for (i = 0; i < capture->port_count; i++)
		stats->caplen_over_len += capture->ports[i].caplen_over_len;
	stats->port_count = capture->port_count;
}

/*
 * Writes <text> as a JSON string. Port names come from the configuration
 * and device names from vdev strings, so either may contain a quote.
 */
static void
write_json_string(FILE *out, const char *text)
{
	const unsigned char *c;

	fputc('"', out);
	for (c = (const unsigned char *)text; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

void
vg_stats_write_json(const struct vg_stats *stats,
		    const struct vg_capture *capture, FILE *out)
{
	const struct vg_rx_counters *rx = &stats->rx;
	const struct vg_engine_counters *en = &stats->engine;
	unsigned int i;

	fprintf(out, "{\"rx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
		     ",\"ring_full\":%" PRIu64 ",\"oversize\":%" PRIu64
		     ",\"copy_nombuf\":%" PRIu64 ",\"after_damage\":%" PRIu64
		     ",\"not_replayed\":%" PRIu64
		     ",\"caplen_over_len\":%" PRIu64 ",\"parse_errors\":{",
		rx->packets, rx->bytes, rx->ring_full, rx->oversize,
		rx->copy_nombuf, rx->after_damage, rx->not_replayed,
		stats->caplen_over_len);
	for (i = 1; i < VG_PARSE_ERROR_COUNT; i++)
		fprintf(out, "%s\"%s\":%" PRIu64, i > 1 ? "," : "",
			vg_parse_error_name((enum vg_parse_error)i),
			rx->parse_errors[i]);
	fprintf(out, "},\"engine_packets\":%" PRIu64
		     ",\"engine_bytes\":%" PRIu64 ",\"flows_created\":%" PRIu64
		     ",\"flows_expired\":%" PRIu64
		     ",\"flows_table_full\":%" PRIu64
		     ",\"ndpi_pool_empty\":%" PRIu64
		     ",\"ndpi_packets\":%" PRIu64
		     ",\"records_dropped\":%" PRIu64
		     ",\"active_flows\":%" PRIu64 ",\"ports\":[",
		en->packets, en->bytes, en->flows_created, en->flows_expired,
		en->flows_table_full, en->ndpi_pool_empty, en->ndpi_packets,
		en->records_dropped, stats->active_flows);
	for (i = 0; i < stats->port_count; i++) {
		const struct vg_port_stats *p = &stats->ports[i];

		fprintf(out, "%s{\"name\":", i > 0 ? "," : "");
		write_json_string(out, capture->ports[i].name);
		fprintf(out, ",\"device\":");
		write_json_string(out, capture->ports[i].device);
		fprintf(out,
			",\"ipackets\":%" PRIu64 ",\"ibytes\":%" PRIu64
			",\"imissed\":%" PRIu64 ",\"ierrors\":%" PRIu64
			",\"rx_nombuf\":%" PRIu64 "}",
			p->ipackets, p->ibytes, p->imissed, p->ierrors,
			p->rx_nombuf);
	}
	fprintf(out, "]");
	if (stats->plugins) {
		const struct vg_sandbox_counters *sc = &stats->sandbox;

		fprintf(out,
			",\"plugins\":{\"events\":%" PRIu64
			",\"event_batches\":%" PRIu64
			",\"event_batches_dropped\":%" PRIu64
			",\"events_dropped\":%" PRIu64
			",\"late_statuses\":%" PRIu64
			",\"statuses_full\":%" PRIu64
			",\"sandbox_starts\":%" PRIu64
			",\"sandbox_exits\":%" PRIu64
			",\"deadline_kills\":%" PRIu64
			",\"heartbeat_kills\":%" PRIu64
			",\"load_kills\":%" PRIu64
			",\"teardown_kills\":%" PRIu64
			",\"hooks_skipped\":%" PRIu64
			",\"result_batches\":%" PRIu64
			",\"result_bad\":%" PRIu64 ",\"statuses\":%" PRIu64
			",\"statuses_dropped\":%" PRIu64
			",\"alerts_triggered\":%" PRIu64
			",\"alerts_released\":%" PRIu64
			",\"details_wrapped\":%" PRIu64
			",\"ts_points\":%" PRIu64
			",\"plugin_errors\":%" PRIu64
			",\"events_seen\":%" PRIu64
			",\"control_dropped\":%" PRIu64
			",\"plugins_disabled\":%" PRIu64 "}",
			stats->events, stats->event_batches,
			stats->event_batches_dropped, stats->events_dropped,
			en->late_statuses, en->statuses_full, sc->starts,
			sc->exits, sc->deadline_kills, sc->heartbeat_kills,
			sc->load_kills,
			sc->teardown_kills, sc->hooks_skipped,
			sc->result_batches,
			sc->result_bad, sc->statuses, sc->statuses_dropped,
			sc->alerts_triggered, sc->alerts_released,
			sc->details_wrapped, sc->ts_points, sc->plugin_errors, sc->events_seen,
			sc->control_dropped, sc->plugins_disabled);
	}
	fprintf(out, "}\n");
}

void
vg_stats_log_summary(const struct vg_stats *stats,
		     const struct vg_capture *capture)
{
	const struct vg_rx_counters *rx = &stats->rx;
	const struct vg_engine_counters *en = &stats->engine;
	char errors[1024];
	size_t used = 0;
	unsigned int i;

	VG_INFO("capture",
		"summary rx_packets=%" PRIu64 " rx_bytes=%" PRIu64
		" ring_full=%" PRIu64 " oversize=%" PRIu64
		" copy_nombuf=%" PRIu64 " after_damage=%" PRIu64
		" not_replayed=%" PRIu64 " caplen_over_len=%" PRIu64,
		rx->packets, rx->bytes, rx->ring_full, rx->oversize,
		rx->copy_nombuf, rx->after_damage, rx->not_replayed,
		stats->caplen_over_len);

	errors[0] = '\0';
	for (i = 1; i < VG_PARSE_ERROR_COUNT && used < sizeof(errors); i++) {
		int n = snprintf(errors + used, sizeof(errors) - used,
				 "%sparse_%s=%" PRIu64, i > 1 ? " " : "",
				 vg_parse_error_name((enum vg_parse_error)i),
				 rx->parse_errors[i]);

		if (n > 0)
			used += (size_t)n;
	}
	VG_INFO("capture", "summary %s", errors);

	for (i = 0; i < stats->port_count; i++)
		VG_INFO("capture",
			"summary port=%s device=%s ipackets=%" PRIu64
			" imissed=%" PRIu64 " ierrors=%" PRIu64
			" rx_nombuf=%" PRIu64,
			capture->ports[i].name, capture->ports[i].device,
			stats->ports[i].ipackets,
			stats->ports[i].imissed, stats->ports[i].ierrors,
			stats->ports[i].rx_nombuf);

	VG_INFO("engine",
		"summary packets=%" PRIu64 " bytes=%" PRIu64
		" flows_created=%" PRIu64 " flows_expired=%" PRIu64
		" flows_table_full=%" PRIu64 " ndpi_pool_empty=%" PRIu64
		" records_dropped=%" PRIu64,
		en->packets, en->bytes, en->flows_created, en->flows_expired,
		en->flows_table_full, en->ndpi_pool_empty,
		en->records_dropped);
}
