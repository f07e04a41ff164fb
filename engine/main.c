/*
 * vigild: start-up, the control thread and shutdown.
 *
 * main() loads and validates the configuration before EAL starts, so a bad
 * file costs nothing. It then starts EAL and the ports, creates one SPSC
 * ring per (rx lcore, engine lcore) pair and one vg_engine per engine
 * lcore, launches the lcores and becomes the control thread: a libuv loop
 * that writes the records the engines hand over, prints a status line on
 * live ports, and stops everything on SIGINT or SIGTERM. When every
 * capture file has been read and every flow flushed, vigild exits 0.
 *
 * vigild_output.c opens the files that records go to (the flow output,
 * plugins.alerts_output and a --stats FIFO), writes the flow records and
 * reopens the files for a rotation.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <uv.h>

#include "capture/capture.h"
#include "alert_store.h"
#include "api.h"
#include "cmdline.h"
#include "control.h"
#include "common/config.h"
#include "common/log.h"
#include "config_check.h"
#include "hosts.h"
#include "lcore.h"
#include "minute.h"
#include "sandbox_sup.h"
#include "stats.h"
#include "ts_series.h"
#include "ts_writer.h"
#include "vigild_internal.h"

#define CONTROL_TICK_MS 50
#define EVENT_FLUSH_NS 1000000 /* a batch waits at most 1 ms for company */
/* Exit status when a signal stops vigild while it waits for a reader on
 * a FIFO output: no packet was read and no record written. */
#define EXIT_NO_READER 3
/* Exit status of a capture-file run that lost alerts or timeseries points
 * to write errors (docs/configuration.md, "Exit status"). */
#define EXIT_OUTPUT_LOST 4

static bool
engines_done(const struct vigild *d)
{
	unsigned int e;

	for (e = 0; e < d->engine_count; e++) {
		if (!atomic_load(&d->engines[e].done))
			return false;
	}
	return true;
}

static void
print_status(struct vigild *d, uint64_t elapsed_ms)
{
	struct vg_stats now;
	uint64_t parse_errors = 0;
	uint64_t imissed = 0;
	double seconds = elapsed_ms / 1000.0;
	unsigned int i;

	vg_stats_collect(&now, &d->capture, d->rx, d->rx_count,
			 d->engine_ptrs, d->engine_count);
	for (i = 1; i < VG_PARSE_ERROR_COUNT; i++)
		parse_errors += now.rx.parse_errors[i];
	for (i = 0; i < now.port_count; i++)
		imissed += now.ports[i].imissed;

	VG_INFO("engine",
		"status pps=%.0f mbps=%.1f packets=%" PRIu64
		" active_flows=%" PRIu64 " flows=%" PRIu64
		" imissed=%" PRIu64 " ring_full=%" PRIu64
		" table_full=%" PRIu64 " parse_errors=%" PRIu64,
		(now.rx.packets - d->last_stats.rx.packets) / seconds,
		(now.rx.bytes - d->last_stats.rx.bytes) * 8 / seconds / 1e6,
		now.rx.packets, now.active_flows, now.engine.flows_created,
		imissed, now.rx.ring_full, now.engine.flows_table_full,
		parse_errors);
	d->last_stats = now;
}

/* Fills the interface hooks' counters from every port. */
static unsigned int
interface_counters(void *ctx, struct vg_interface_counters *out,
		   unsigned int max)
{
	struct vigild *d = ctx;
	static struct vg_stats stats;
	unsigned int i;
	unsigned int e;

	vg_stats_collect(&stats, &d->capture, d->rx, d->rx_count,
			 d->engine_ptrs, d->engine_count);
	for (i = 0; i < stats.port_count && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].name = d->capture.ports[i].name;
		out[i].packets = stats.ports[i].ipackets;
		out[i].bytes = stats.ports[i].ibytes;
		out[i].imissed = stats.ports[i].imissed;
		/* Ring and table drops are vigild-wide: exact with one port. */
		if (stats.port_count == 1) {
			out[i].ring_full = stats.rx.ring_full;
			out[i].flows_table_full = stats.engine.flows_table_full;
			out[i].active_flows = (uint32_t)stats.active_flows;
		}
		out[i].flows_capacity = d->cfg.flow_table_size *
					d->engine_count;
		for (e = 0; e < d->engine_count; e++) {
			const struct vg_host_table *h = d->engines[e].engine->hosts;

			if (h == NULL)
				continue;
			out[i].hosts_capacity += h->capacity;
			out[i].hosts_table_full += h->hosts_full;
		}
	}
	return i;
}

/*
 * Lets engine lcores that wait for plugin results go on once every result
 * is in, or once a sandbox had a deadline's time to produce them.
 */
static void
release_settled_engines(struct vigild *d)
{
	uint64_t now = uv_now(&d->loop);
	unsigned int e;

	for (e = 0; e < d->engine_count; e++) {
		if (!atomic_load(&d->engines[e].waiting_settle))
			return;
	}
	if (d->settle_since_ms == 0)
		d->settle_since_ms = now;
	if (!vg_sandboxes_settled(&d->sandboxes) &&
	    now - d->settle_since_ms < d->cfg.sandbox_deadline_ms + 1000ULL)
		return;
	for (e = 0; e < d->engine_count; e++)
		atomic_store(&d->engines[e].settled, true);
}

/* Hands every minute cut the engine lcores have queued to the merger. */
static void
drain_cuts(struct vigild *d)
{
	unsigned int e;
	void *cut;

	if (d->minutes == NULL)
		return;
	for (e = 0; e < d->engine_count; e++) {
		while (rte_ring_sc_dequeue(d->engines[e].cuts, &cut) == 0)
			vg_minutes_add(d->minutes, cut);
	}
}

static void
on_tick(uv_timer_t *timer)
{
	struct vigild *d = timer->data;
	uint64_t now = uv_now(&d->loop);

	vg_vigild_drain_records(d);
	drain_cuts(d);
	if (d->plugins) {
		vg_sandboxes_tick(&d->sandboxes);
		release_settled_engines(d);
	}
	if (d->final_settle) {
		/* Engines are done: wait for the results of their last events. */
		if (vg_sandboxes_settled(&d->sandboxes) ||
		    now - d->settle_since_ms >= d->cfg.sandbox_deadline_ms + 1000ULL)
			uv_stop(&d->loop);
		return;
	}
	if (engines_done(d)) {
		if (d->plugins) {
			vg_vigild_drain_records(d);
			d->final_settle = true;
			d->settle_since_ms = now;
			return;
		}
		vg_vigild_drain_records(d);
		uv_stop(&d->loop);
		return;
	}
	if (d->status_lines && d->cfg.status_interval > 0 &&
	    now - d->last_status_ms >= d->cfg.status_interval * 1000ULL) {
		print_status(d, now - d->last_status_ms);
		d->last_status_ms = now;
	}
}

static void
on_signal(uv_signal_t *handle, int signum)
{
	struct vigild *d = handle->data;

	if (signum == SIGUSR1) {
		vg_vigild_reopen_outputs(d);
		return;
	}
	if (signum == SIGUSR2) {
		VG_INFO("engine", "SIGUSR2 received: vigild does not use it, ignored");
		return;
	}
	if (signum == SIGHUP) {
		char why[1024];

		if (d->plugins)
			vg_sandboxes_reload(&d->sandboxes, why, sizeof(why));
		else
			VG_INFO("engine", "SIGHUP: no plugins to reload");
		return;
	}

	if (d->signals++ > 0) {
		VG_WARN("engine", "second signal=%d, exiting without flushing",
			signum);
		_exit(1);
	}
	if (d->waiting_for_reader)
		VG_INFO("engine", "signal=%d received while waiting for a reader on a FIFO output, stopping",
			signum);
	else
		VG_INFO("engine", "signal=%d received, flushing flows", signum);
	atomic_store(&d->capture.stop, true);
}

static void report_json(struct vigild *d, FILE *out);

/* Adds "alerts": {...} to the JSON object that fills <out>. */
static void
append_alert_stats(struct vigild *d, char *out, size_t len)
{
	static char alerts[8192];
	char *end = strrchr(out, '}');
	size_t at;

	if (d->alert_store == NULL || end == NULL)
		return;
	vg_alert_store_stats_json(d->alert_store, alerts, sizeof(alerts));
	at = (size_t)(end - out);
	if (at + strlen(alerts) + 16 < len)
		snprintf(out + at, len - at, ",\"alerts\":%s}", alerts);
}

static void
on_control_command(void *ctx, const char *command, char *out, size_t len)
{
	struct vigild *d = ctx;
	char why[1024];
	FILE *mem;

	if (strcmp(command, "reload") == 0) {
		if (!d->plugins) {
			snprintf(out, len, "error: no plugins are configured");
			return;
		}
		if (vg_sandboxes_reload(&d->sandboxes, why, sizeof(why)) != 0)
			snprintf(out, len, "error: reload refused: %s", why);
		else
			snprintf(out, len, "ok");
		return;
	}
	if (strcmp(command, "reopen") == 0) {
		snprintf(out, len, "ok reopened=%d", vg_vigild_reopen_outputs(d));
		return;
	}
	if (strcmp(command, "stats") == 0) {
		mem = fmemopen(out, len, "w");
		if (mem == NULL) {
			snprintf(out, len, "error: %s", strerror(errno));
			return;
		}
		report_json(d, mem);
		fclose(mem);
		out[strcspn(out, "\n")] = '\0';
		append_alert_stats(d, out, len);
		return;
	}
	if (vg_alert_store_command(d->alert_store, command, out, len))
		return;
	snprintf(out, len, "error: unknown command '%.64s' (expected %s)",
		 command, d->alert_store != NULL ?
		 "reload, reopen, stats, exclude, unexclude, exclusions or alerts engaged" :
		 "reload, reopen or stats");
}

static int
create_rings(struct vigild *d)
{
	static struct rte_ring *rx_to_engine[VG_MAX_LCORES][VG_MAX_LCORES];
	static struct rte_ring *engine_from_rx[VG_MAX_LCORES][VG_MAX_LCORES];
	static struct vg_ring_return *rx_returns[VG_MAX_LCORES][VG_MAX_LCORES];
	static struct vg_ring_return *engine_returns[VG_MAX_LCORES][VG_MAX_LCORES];
	unsigned int r;
	unsigned int e;

	for (r = 0; r < d->rx_count; r++) {
		for (e = 0; e < d->engine_count; e++) {
			char name[RTE_RING_NAMESIZE];
			struct vg_ring_return *path;
			struct rte_ring *ring;

			snprintf(name, sizeof(name), "vg_rx%u_en%u", r, e);
			ring = rte_ring_create(name, d->cfg.ring_size,
					       rte_socket_id(),
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (ring == NULL) {
				VG_ERR("capture",
				       "ring=%s size=%u rte_ring_create() failed: %s",
				       name, d->cfg.ring_size,
				       rte_strerror(rte_errno));
				return -rte_errno;
			}
			rx_to_engine[r][e] = ring;
			engine_from_rx[e][r] = ring;
			path = vg_ring_return_create(d->cfg.ring_size,
						     VG_ENGINE_BURST,
						     (int)rte_socket_id());
			if (path == NULL) {
				VG_ERR("capture",
				       "ring=%s size=%u: out of memory for its return path",
				       name, d->cfg.ring_size);
				return -ENOMEM;
			}
			rx_returns[r][e] = path;
			engine_returns[e][r] = path;
		}
		d->rx[r].rings = rx_to_engine[r];
		d->rx[r].returns = rx_returns[r];
	}
	for (e = 0; e < d->engine_count; e++) {
		d->engines[e].rings = engine_from_rx[e];
		d->engines[e].returns = engine_returns[e];
	}
	return 0;
}

/* Returns true when more than one rx or engine lcore is pinned to <cpu>. */
static bool
cpu_has_lcores(const struct vg_config *cfg, unsigned int cpu)
{
	unsigned int lcores = 0;
	unsigned int i;

	for (i = 0; i < cfg->rx_lcore_count; i++)
		lcores += cfg->rx_cpus[i] == cpu;
	for (i = 0; i < cfg->engine_lcore_count; i++)
		lcores += cfg->engine_cpus[i] == cpu;
	return lcores > 1;
}

static int
setup_lcores(struct vigild *d)
{
	bool lossless = true;
	char err[512];
	unsigned int i;
	int rc;

	d->rx_count = d->cfg.rx_lcore_count;
	d->engine_count = d->cfg.engine_lcore_count;
	for (i = 0; i < d->capture.port_count; i++) {
		if (!d->capture.ports[i].lossless)
			lossless = false;
		if (d->capture.ports[i].expected_packets == UINT64_MAX)
			d->status_lines = true;
	}
	d->live = !lossless;
	if (d->live)
		d->status_lines = true;

	for (i = 0; i < d->rx_count; i++) {
		d->rx[i].index = i;
		d->rx[i].capture = &d->capture;
		d->rx[i].engine_count = d->engine_count;
		d->rx[i].burst = d->cfg.burst;
		d->rx[i].in_flight_max = vg_rx_in_flight_max(d->capture.pool,
							     d->rx_count,
							     d->cfg.burst);
		d->rx[i].tunnels = d->cfg.tunnels;
		d->rx[i].shares_cpu = cpu_has_lcores(&d->cfg,
						     d->cfg.rx_cpus[i]);
	}
	vg_capture_assign_queues(&d->capture, d->rx, d->rx_count);

	for (i = 0; i < d->engine_count; i++) {
		struct vg_engine_lcore *lcore = &d->engines[i];

		lcore->index = i;
		lcore->capture = &d->capture;
		lcore->rx = d->rx;
		lcore->rx_count = d->rx_count;
		lcore->lossless = lossless;
		lcore->live = !lossless;
		lcore->shares_cpu = cpu_has_lcores(&d->cfg,
						   d->cfg.engine_cpus[i]);
		if (d->plugins) {
			lcore->events = calloc(1, sizeof(*lcore->events));
			if (lcore->events == NULL)
				return -ENOMEM;
			vg_events_init(lcore->events, d->cfg.sandboxes,
				       EVENT_FLUSH_NS);
			lcore->events->engine_index = i;
			lcore->await_ns =
				(d->cfg.sandbox_deadline_ms + 1000ULL) *
				1000000ULL;
		}
		rc = vg_engine_lcore_init(lcore);
		if (rc != 0) {
			VG_ERR("engine", "engine=%u cannot create record buffers: %s",
			       i, strerror(-rc));
			return rc;
		}
		lcore->engine = vg_engine_create(&d->cfg, i,
						 vg_engine_lcore_emit, lcore,
						 err, sizeof(err));
		if (lcore->engine == NULL) {
			VG_ERR("engine", "%s", err);
			return -ENOMEM;
		}
		lcore->engine->events = lcore->events;
		/*
		 * Hosts and minute cuts feed the plugins' periodic hooks and
		 * the timeseries: kept only when one of them reads them.
		 */
		if (d->minutes_on) {
			lcore->engine->hosts = vg_host_table_create(
				d->cfg.flow_table_size / 2);
			if (lcore->engine->hosts == NULL ||
			    vg_engine_count_minutes(lcore->engine,
						    vg_engine_lcore_cut,
						    lcore) != 0)
				return -ENOMEM;
		}
		lcore->engine->minutes_from_start = d->live;
		if (lcore->events != NULL)
			lcore->events->now_us = &lcore->engine->now_us;
		lcore->engine->periodic_us =
			(uint64_t)d->cfg.periodic_update * 1000000;
		d->engine_ptrs[i] = lcore;
	}
	return create_rings(d);
}

static int
launch_lcores(struct vigild *d)
{
	unsigned int i;
	int rc;

	d->launched_us = vg_capture_now_us(&d->capture);

	/* lcore 0 is this thread; rx lcores follow, then engine lcores. */
	for (i = 0; i < d->engine_count; i++) {
		rc = rte_eal_remote_launch(vg_engine_lcore_main, &d->engines[i],
					   1 + d->rx_count + i);
		if (rc != 0)
			return rc;
	}
	for (i = 0; i < d->rx_count; i++) {
		rc = rte_eal_remote_launch(vg_rx_lcore_main, &d->rx[i], 1 + i);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Installs the signal handlers and the control socket before any lcore
 * starts, so a signal at any moment after this is a clean stop.
 */
static int
start_control(struct vigild *d)
{
	uv_signal_init(&d->loop, &d->sigint);
	uv_signal_init(&d->loop, &d->sigterm);
	d->sigint.data = d;
	d->sigterm.data = d;
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_init(&d->loop, &d->sighup);
	d->sighup.data = d;
	uv_signal_start(&d->sighup, on_signal, SIGHUP);
	d->signals_started = true;
	uv_signal_init(&d->loop, &d->sigusr1);
	d->sigusr1.data = d;
	uv_signal_start(&d->sigusr1, on_signal, SIGUSR1);
	uv_signal_init(&d->loop, &d->sigusr2);
	d->sigusr2.data = d;
	uv_signal_start(&d->sigusr2, on_signal, SIGUSR2);
	if (d->cfg.control_socket[0] != '\0') {
		d->control = vg_control_start(&d->loop, d->cfg.control_socket,
					      on_control_command, d);
		if (d->control == NULL)
			return -EADDRNOTAVAIL;
	}
	if (d->cfg.web.vigild_socket[0] != '\0') {
		struct vg_api_env env = {
			.cfg = &d->cfg,
			.capture = &d->capture,
			.rx = d->rx,
			.rx_count = d->rx_count,
			.engines = d->engine_ptrs,
			.engine_count = d->engine_count,
			.sandboxes = d->plugins ? &d->sandboxes : NULL,
			.records_lost = &d->records_lost,
			.alert_store = d->alert_store,
			.ts_writer = d->ts_writer,
			.ts_series = d->ts_series,
		};

		d->api = vg_api_start(&d->loop, d->cfg.web.vigild_socket, &env);
		if (d->api == NULL)
			return -EADDRNOTAVAIL;
	}
	return 0;
}

static void
run_control_loop(struct vigild *d)
{
	uv_timer_init(&d->loop, &d->tick);
	d->tick.data = d;
	uv_timer_start(&d->tick, on_tick, CONTROL_TICK_MS, CONTROL_TICK_MS);
	d->last_status_ms = uv_now(&d->loop);

	uv_run(&d->loop, UV_RUN_DEFAULT);

	vg_control_stop(d->control);
	vg_api_stop(d->api);
	if (d->plugins)
		vg_sandboxes_stop(&d->sandboxes);
	uv_close((uv_handle_t *)&d->tick, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sighup, NULL);
	uv_close((uv_handle_t *)&d->sigusr1, NULL);
	uv_close((uv_handle_t *)&d->sigusr2, NULL);
	/* Runs until the sandboxes have exited and every handle is closed. */
	uv_run(&d->loop, UV_RUN_DEFAULT);
	uv_loop_close(&d->loop);
}

/*
 * Undoes what start-up did on the control loop when a later step fails,
 * a signal during the wait for a FIFO reader included. The sandboxes run
 * in sessions of their own and set their parent-death signal only once
 * their plugins are loaded, so one still loading would outlive vigild.
 * They get SIGTERM, then SIGKILL after the stop timeout, and this returns
 * once every one has exited. Call after the lcores have returned.
 */
static void
stop_failed_start(struct vigild *d)
{
	vg_control_stop(d->control);
	vg_api_stop(d->api);
	d->control = NULL;
	d->api = NULL;
	if (d->sandboxes_started)
		vg_sandboxes_stop(&d->sandboxes);
	if (d->signals_started) {
		uv_close((uv_handle_t *)&d->sigint, NULL);
		uv_close((uv_handle_t *)&d->sigterm, NULL);
		uv_close((uv_handle_t *)&d->sighup, NULL);
		uv_close((uv_handle_t *)&d->sigusr1, NULL);
		uv_close((uv_handle_t *)&d->sigusr2, NULL);
	}
	if (d->sandboxes_started || d->signals_started)
		uv_run(&d->loop, UV_RUN_DEFAULT);
}

/*
 * Logs how fast the capture files were read: engine packets over the time
 * from the lcores' launch until the last engine lcore had flushed its
 * flows. The time leaves out start-up and what the control thread does
 * after the input ends (records, the last minute's timeseries points).
 * Call after the lcores have returned.
 */
static void
log_file_rate(const struct vigild *d)
{
	uint64_t packets = 0;
	uint64_t end = d->launched_us;
	double seconds;
	unsigned int i;

	for (i = 0; i < d->engine_count; i++) {
		packets += d->engines[i].engine->counters.packets;
		if (d->engines[i].done_us > end)
			end = d->engines[i].done_us;
	}
	seconds = (double)(end - d->launched_us) / 1e6;
	VG_INFO("capture", "input read packets=%" PRIu64 " seconds=%.3f pps=%.0f",
		packets, seconds, seconds > 0 ? (double)packets / seconds : 0.0);
}

static void
collect(struct vigild *d, struct vg_stats *stats)
{
	vg_stats_collect(stats, &d->capture, d->rx, d->rx_count,
			 d->engine_ptrs, d->engine_count);
	stats->engine.records_dropped += d->records_lost;
	if (d->plugins)
		vg_sandboxes_counters(&d->sandboxes, &stats->sandbox);
}

static void
report_json(struct vigild *d, FILE *out)
{
	static struct vg_stats stats;

	collect(d, &stats);
	vg_stats_write_json(&stats, &d->capture, out);
}

static void
report(struct vigild *d)
{
	struct vg_stats stats;
	FILE *out;

	collect(d, &stats);
	vg_stats_log_summary(&stats, &d->capture);
	if (d->records_lost > 0)
		VG_ERR("engine", "flows.output file=%s records_dropped=%" PRIu64 " reason=%s",
		       d->cfg.flow_output, d->records_lost,
		       strerror(d->records_error));
	if (stats.engine.ndpi_pool_empty > 0)
		VG_WARN("engine", "flows=%" PRIu64 " went unclassified: every nDPI detection state was in use (a quarter of flows.table_size per engine lcore)",
			stats.engine.ndpi_pool_empty);
	if (d->stats_path == NULL)
		return;
	if (d->stats_fd >= 0)
		out = fdopen(d->stats_fd, "w");
	else
		out = fopen(d->stats_path, "w");
	if (out == NULL) {
		VG_ERR("engine", "--stats file=%s %s() failed: %s",
		       d->stats_path, d->stats_fd >= 0 ? "fdopen" : "fopen",
		       strerror(errno));
		if (d->stats_fd >= 0)
			close(d->stats_fd);
		d->write_errors++;
		return;
	}
	vg_stats_write_json(&stats, &d->capture, out);
	fclose(out);
}

/* vigild's counters for the timeseries of the appliance itself. */
static void
ts_sample(void *ctx, struct vg_ts_system *out)
{
	static struct vg_stats stats;

	collect(ctx, &stats);
	vg_ts_system_from_stats(out, &stats);
}

/* Starts the timeseries writer and registers its minute consumer. */
static int
start_timeseries(struct vigild *d)
{
	char err[1024];

	d->ts_writer = vg_ts_writer_start(&d->cfg, err, sizeof(err));
	if (d->ts_writer == NULL) {
		VG_ERR("timeseries", "%s", err);
		return -EIO;
	}
	d->ts_series = vg_ts_series_create(&d->cfg, d->ts_writer);
	if (d->ts_series == NULL)
		return -ENOMEM;
	/* The lcores have not started: their nDPI module is not in use. */
	vg_ts_series_names_from_ndpi(d->ts_series, d->engines[0].engine->ndpi);
	vg_ts_series_set_sampler(d->ts_series, ts_sample, d);
	vg_ts_series_set_plugin_sink(d->ts_series);
	return vg_minutes_add_consumer(d->minutes, vg_ts_series_minute,
				       d->ts_series);
}

int
main(int argc, char **argv)
{
	static struct vigild d;
	char err[3 * VG_PATH_MAX];
	uint64_t alerts_lost, points_lost;
	unsigned int i;
	int rc;

	if (argc > 1 && strcmp(argv[1], "--ts-fetch") == 0)
		return vg_ts_fetch_main(argc - 1, argv + 1);
	d.out_fd = -1;
	d.stats_fd = -1;
	rc = vg_parse_args(&d.cfg, &d.config_path, &d.stats_path, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 1;
	vg_log_set_level((enum vg_log_level)d.cfg.log_level > vg_log_get_level() ?
				 (enum vg_log_level)d.cfg.log_level :
				 vg_log_get_level());

	/* A control client that goes away must not kill vigild, nor may a
	 * rotation's SIGUSR1 before the control loop handles it. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	if (vg_check_programs(&d.cfg, argv[0], NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigild: %s\n", err);
		return 1;
	}
	if (vg_config_make_folders(&d.cfg, err, sizeof(err)) != 0) {
		VG_ERR("engine", "%s", err);
		return 1;
	}
	if (vg_eal_start(&d.cfg, argv[0]) != 0)
		return 1;
	uv_loop_init(&d.loop);
	d.plugins = d.cfg.plugin_dir_count > 0;
	d.minutes_on = d.plugins || d.cfg.ts_enabled;
	if (d.minutes_on) {
		d.minutes = vg_minutes_create(d.cfg.engine_lcore_count);
		if (d.minutes == NULL)
			return 1;
	}
	rc = vg_capture_setup(&d.capture, &d.cfg);
	if (rc == 0)
		rc = setup_lcores(&d);
	if (rc == 0 && (d.cfg.alerts.database[0] != '\0' ||
			d.cfg.alerts.endpoint_count > 0)) {
		d.alert_store = vg_alert_store_open(&d.cfg.alerts);
		if (d.alert_store == NULL)
			rc = -EIO;
	}
	if (rc == 0 && d.plugins) {
		rc = vg_sandboxes_start(&d.sandboxes, &d.cfg, d.config_path,
					argv[0], &d.loop, d.engine_ptrs,
					d.engine_count);
		d.sandboxes_started = rc == 0;
		d.sandboxes.alert_store = d.alert_store;
		d.sandboxes.interfaces = interface_counters;
		d.sandboxes.interfaces_ctx = &d;
		if (rc == 0)
			rc = vg_minutes_add_consumer(d.minutes,
						     vg_sandboxes_minute,
						     &d.sandboxes);
	}
	if (rc == 0 && d.cfg.ts_enabled)
		rc = start_timeseries(&d);
	if (rc == 0)
		rc = start_control(&d);
	/* Opened last, so a start-up that fails leaves old records alone. */
	if (rc == 0)
		rc = vg_vigild_open_output(&d);
	if (rc == 0)
		rc = launch_lcores(&d);
	if (rc != 0) {
		atomic_store(&d.capture.stop, true);
		rte_eal_mp_wait_lcore();
		stop_failed_start(&d);
		vg_alert_store_close(d.alert_store);
		vg_eal_stop();
		return rc == -ECANCELED ? EXIT_NO_READER : 1;
	}
	VG_INFO("engine", "started ports=%u rx_lcores=%u engine_lcores=%u flows_per_engine=%u",
		d.capture.port_count, d.rx_count, d.engine_count,
		d.cfg.flow_table_size);

	run_control_loop(&d);
	rte_eal_mp_wait_lcore();
	if (!d.live)
		log_file_rate(&d);
	vg_vigild_drain_records(&d);
	drain_cuts(&d);
	/* Every minute is delivered: write the last points and stop. */
	vg_ts_series_free(d.ts_series);
	points_lost = vg_ts_writer_stop(d.ts_writer);
	/* The sandboxes have stopped, so no alert can arrive any more. */
	alerts_lost = vg_alert_store_close(d.alert_store);
	report(&d);

	if (d.out_fd >= 0 && close(d.out_fd) != 0)
		d.write_errors++;
	vg_capture_close(&d.capture);
	for (i = 0; i < d.engine_count; i++)
		vg_engine_free(d.engines[i].engine);
	vg_minutes_free(d.minutes);
	vg_eal_stop();
	if (d.write_errors)
		return 1;
	if (alerts_lost == 0 && points_lost == 0)
		return 0;
	VG_ERR("engine", "lost alerts=%" PRIu64 " timeseries_points=%" PRIu64 " to write errors (see the errors above); exit status %d",
	       alerts_lost, points_lost, d.live ? 0 : EXIT_OUTPUT_LOST);
	return d.live ? 0 : EXIT_OUTPUT_LOST;
}
