/*
 * The API's replies that run on the control loop without a table scan:
 * the counters of every part (stats), the sandboxes and their plugins,
 * and reload.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "alert_store.h"
#include "api_internal.h"
#include "api_scans.h"
#include "lcore.h"
#include "sandbox_sup.h"
#include "stats.h"
#include "ts_series.h"
#include "ts_writer.h"

/* ---- counters, plugins and reload, on the loop ---- */

static PbCounter **
add_counter(struct arena *a, PbCounter **list, size_t *n, const char *name,
	    uint64_t value)
{
	PbCounter *pc = arena_alloc(a, sizeof(*pc));

	if (pc == NULL)
		return list;
	vigil__control__v1__counter__init(pc);
	pc->name = arena_strdup(a, name);
	pc->value = value;
	if (pc->name == NULL)
		return list;
	list[(*n)++] = pc;
	return list;
}

#define COUNTERS_MAX 64
#define ADD(list, n, name, value) add_counter(a, list, &(n), name, value)

static void
fill_engine_counters(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		     const struct vg_stats *st)
{
	const struct vg_rx_counters *rx = &st->rx;
	const struct vg_engine_counters *en = &st->engine;
	PbCounter **l = arena_alloc(a, COUNTERS_MAX * sizeof(*l));
	size_t n = 0;

	if (l == NULL)
		return;
	ADD(l, n, "rx_packets", rx->packets);
	ADD(l, n, "rx_bytes", rx->bytes);
	ADD(l, n, "ring_full", rx->ring_full);
	ADD(l, n, "oversize", rx->oversize);
	ADD(l, n, "copy_nombuf", rx->copy_nombuf);
	ADD(l, n, "after_damage", rx->after_damage);
	ADD(l, n, "not_replayed", rx->not_replayed);
	ADD(l, n, "caplen_over_len", st->caplen_over_len);
	ADD(l, n, "engine_packets", en->packets);
	ADD(l, n, "engine_bytes", en->bytes);
	ADD(l, n, "flows_created", en->flows_created);
	ADD(l, n, "flows_expired", en->flows_expired);
	ADD(l, n, "flows_table_full", en->flows_table_full);
	ADD(l, n, "ndpi_pool_empty", en->ndpi_pool_empty);
	ADD(l, n, "ndpi_packets", en->ndpi_packets);
	ADD(l, n, "records_dropped", en->records_dropped);
	ADD(l, n, "late_statuses", en->late_statuses);
	ADD(l, n, "statuses_full", en->statuses_full);
	ADD(l, n, "active_flows", st->active_flows);
	b->counters = l;
	b->n_counters = n;
}

/* Appends the counters of the API's table scans to b->counters. */
static void
fill_scan_counters(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		   const struct vg_scans *scans)
{
	const struct vg_scan_counters *sc = &scans->counters;

	if (b->counters == NULL)
		return;
	ADD(b->counters, b->n_counters, "api_scans", sc->scans);
	ADD(b->counters, b->n_counters, "api_scans_delayed", sc->delayed);
	ADD(b->counters, b->n_counters, "api_scan_wait_ms", sc->wait_ms);
	ADD(b->counters, b->n_counters, "api_answers_reused", sc->reused);
	ADD(b->counters, b->n_counters, "api_scans_rejected", sc->rejected);
}

static void
fill_parse_errors(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		  const struct vg_stats *st)
{
	PbCounter **l = arena_alloc(a, VG_PARSE_ERROR_COUNT * sizeof(*l));
	size_t n = 0;
	unsigned int i;

	if (l == NULL)
		return;
	for (i = 1; i < VG_PARSE_ERROR_COUNT; i++)
		ADD(l, n, vg_parse_error_name((enum vg_parse_error)i),
		    st->rx.parse_errors[i]);
	b->parse_errors = l;
	b->n_parse_errors = n;
}

#define SANDBOX_COUNTERS 24 /* room for what sandbox_counters() appends */

/* Appends the 19 sandbox counters <sc> to <l>. */
static size_t
sandbox_counters(struct arena *a, PbCounter **l, size_t n,
		 const struct vg_sandbox_counters *sc)
{
	ADD(l, n, "sandbox_starts", sc->starts);
	ADD(l, n, "sandbox_exits", sc->exits);
	ADD(l, n, "deadline_kills", sc->deadline_kills);
	ADD(l, n, "heartbeat_kills", sc->heartbeat_kills);
	ADD(l, n, "load_kills", sc->load_kills);
	ADD(l, n, "teardown_kills", sc->teardown_kills);
	ADD(l, n, "hooks_skipped", sc->hooks_skipped);
	ADD(l, n, "result_batches", sc->result_batches);
	ADD(l, n, "result_bad", sc->result_bad);
	ADD(l, n, "statuses", sc->statuses);
	ADD(l, n, "statuses_dropped", sc->statuses_dropped);
	ADD(l, n, "alerts_triggered", sc->alerts_triggered);
	ADD(l, n, "alerts_released", sc->alerts_released);
	ADD(l, n, "details_wrapped", sc->details_wrapped);
	ADD(l, n, "ts_points", sc->ts_points);
	ADD(l, n, "plugin_errors", sc->plugin_errors);
	ADD(l, n, "events_seen", sc->events_seen);
	ADD(l, n, "events_lost", sc->events_lost);
	ADD(l, n, "control_dropped", sc->control_dropped);
	ADD(l, n, "plugins_disabled", sc->plugins_disabled);
	return n;
}

static void
fill_plugin_counters(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		     const struct vg_stats *st)
{
	PbCounter **l = arena_alloc(a, COUNTERS_MAX * sizeof(*l));
	size_t n = 0;

	if (l == NULL)
		return;
	ADD(l, n, "events", st->events);
	ADD(l, n, "event_batches", st->event_batches);
	ADD(l, n, "event_batches_dropped", st->event_batches_dropped);
	ADD(l, n, "events_dropped", st->events_dropped);
	n = sandbox_counters(a, l, n, &st->sandbox);
	b->plugin_counters = l;
	b->n_plugin_counters = n;
}

static void
fill_ports(struct arena *a, Vigil__Control__V1__StatsResponse *b,
	   const struct vg_stats *st, const struct vg_capture *capture)
{
	unsigned int i;

	b->ports = arena_alloc(a, (st->port_count + 1) * sizeof(*b->ports));
	if (b->ports == NULL)
		return;
	for (i = 0; i < st->port_count; i++) {
		Vigil__Control__V1__Port *p = arena_alloc(a, sizeof(*p));

		if (p == NULL)
			return;
		vigil__control__v1__port__init(p);
		p->name = (char *)capture->ports[i].name;
		p->device = (char *)capture->ports[i].device;
		p->ipackets = st->ports[i].ipackets;
		p->ibytes = st->ports[i].ibytes;
		p->imissed = st->ports[i].imissed;
		p->ierrors = st->ports[i].ierrors;
		p->rx_nombuf = st->ports[i].rx_nombuf;
		b->ports[b->n_ports++] = p;
	}
}

static void
fill_engines(struct arena *a, Vigil__Control__V1__StatsResponse *b,
	     struct vg_api *api)
{
	unsigned int e;

	b->engines = arena_alloc(a, (api->env.engine_count + 1) *
					    sizeof(*b->engines));
	if (b->engines == NULL)
		return;
	for (e = 0; e < api->env.engine_count; e++) {
		Vigil__Control__V1__EngineInfo *info =
			arena_alloc(a, sizeof(*info));
		const struct vg_engine *engine = api->engines[e];

		if (info == NULL)
			return;
		vigil__control__v1__engine_info__init(info);
		info->index = engine->index;
		info->active_flows = engine->table->count;
		info->capacity = engine->table->capacity;
		if (engine->now_us > b->packet_time_us)
			b->packet_time_us = engine->now_us;
		b->engines[b->n_engines++] = info;
	}
}

/* Collects counters handed over one at a time into an arena list. */
struct counter_list {
	struct arena *a;
	PbCounter **list;
	size_t n;
	Vigil__Control__V1__LabeledCounter **labeled;
	size_t n_labeled;
};

static void
collect_counter(void *ctx, const char *name, const char *label,
		uint64_t value)
{
	struct counter_list *cl = ctx;
	Vigil__Control__V1__LabeledCounter *lc;

	if (label == NULL) {
		if (cl->n < COUNTERS_MAX)
			add_counter(cl->a, cl->list, &cl->n, name, value);
		return;
	}
	if (cl->n_labeled >= COUNTERS_MAX)
		return;
	lc = arena_alloc(cl->a, sizeof(*lc));
	if (lc == NULL)
		return;
	vigil__control__v1__labeled_counter__init(lc);
	lc->name = (char *)name;
	lc->label = (char *)label;
	lc->value = value;
	cl->labeled[cl->n_labeled++] = lc;
}

static void
fill_alert_counters(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		    struct vg_alert_store *store)
{
	struct counter_list cl = { .a = a };

	cl.list = arena_alloc(a, COUNTERS_MAX * sizeof(*cl.list));
	cl.labeled = arena_alloc(a, COUNTERS_MAX * sizeof(*cl.labeled));
	if (cl.list == NULL || cl.labeled == NULL)
		return;
	vg_alert_store_each_counter(store, collect_counter, &cl);
	b->alert_counters = cl.list;
	b->n_alert_counters = cl.n;
	b->endpoint_counters = cl.labeled;
	b->n_endpoint_counters = cl.n_labeled;
}

static void
fill_ts_counters(struct arena *a, Vigil__Control__V1__StatsResponse *b,
		 const struct vg_ts_writer *writer,
		 const struct vg_ts_series *series)
{
	PbCounter **l = arena_alloc(a, COUNTERS_MAX * sizeof(*l));
	struct vg_ts_writer_stats w;
	struct vg_ts_series_stats s;
	size_t n = 0;

	if (l == NULL)
		return;
	vg_ts_writer_get_stats(writer, &w);
	ADD(l, n, "points_queued", w.points_queued);
	ADD(l, n, "points_dropped", w.points_dropped);
	ADD(l, n, "queue_high_water", w.queue_high_water);
	ADD(l, n, "queue_size", w.queue_size);
	ADD(l, n, "updates", w.updates);
	ADD(l, n, "update_errors", w.update_errors);
	ADD(l, n, "skipped_old", w.skipped_old);
	ADD(l, n, "files_created", w.files_created);
	ADD(l, n, "create_errors", w.create_errors);
	ADD(l, n, "files_failed", w.files_failed);
	ADD(l, n, "ds_unknown", w.ds_unknown);
	ADD(l, n, "points_lost", w.points_lost);
	ADD(l, n, "writer_restarts", w.restarts);
	if (series != NULL) {
		vg_ts_series_get_stats(series, &s);
		ADD(l, n, "minutes", s.minutes);
		ADD(l, n, "host_series", s.host_series);
		ADD(l, n, "hosts_capped", s.hosts_capped);
		ADD(l, n, "hosts_remote", s.hosts_remote);
		ADD(l, n, "plugin_points", s.plugin_points);
		ADD(l, n, "plugin_rejected", s.plugin_rejected);
	}
	b->timeseries_counters = l;
	b->n_timeseries_counters = n;
}

void
vg_api_handle_stats(struct api_client *c, const Request *req)
{
	static struct vg_stats st;
	struct vg_api *api = c->api;
	Vigil__Control__V1__StatsResponse body;
	Vigil__Control__V1__Status status;
	struct arena a = { 0 };
	Response resp;

	vg_stats_collect(&st, api->env.capture, api->env.rx, api->env.rx_count,
			 api->env.engines, api->env.engine_count);
	if (api->env.records_lost != NULL)
		st.engine.records_dropped += *api->env.records_lost;
	if (api->env.sandboxes != NULL)
		vg_sandboxes_counters(api->env.sandboxes, &st.sandbox);

	vg_api_init_response(&resp, &status, req->id);
	vigil__control__v1__stats_response__init(&body);
	fill_ports(&a, &body, &st, api->env.capture);
	fill_engine_counters(&a, &body, &st);
	fill_scan_counters(&a, &body, &api->scans);
	fill_parse_errors(&a, &body, &st);
	if (api->env.sandboxes != NULL)
		fill_plugin_counters(&a, &body, &st);
	fill_engines(&a, &body, api);
	if (api->env.alert_store != NULL)
		fill_alert_counters(&a, &body, api->env.alert_store);
	if (api->env.ts_writer != NULL)
		fill_ts_counters(&a, &body, api->env.ts_writer,
				 api->env.ts_series);
	body.uptime_ms = uv_now(api->loop) - api->started_ms;
	body.version = (char *)VG_VERSION;
	body.plugins = api->env.sandboxes != NULL;
	resp.body_case = VIGIL__CONTROL__V1__RESPONSE__BODY_STATS;
	resp.stats = &body;
	vg_api_send_response(c, &resp);
	arena_free(&a);
}

/* Fills the scripts <box> loaded with their state. */
static void
fill_scripts(struct arena *a, Vigil__Control__V1__SandboxInfo *info,
	     const struct vg_sandbox *box)
{
	unsigned int i;

	if (box->scripts == NULL || box->script_count == 0)
		return;
	info->scripts = arena_alloc(a, box->script_count *
						 sizeof(*info->scripts));
	if (info->scripts == NULL)
		return;
	for (i = 0; i < box->script_count; i++) {
		Vigil__Control__V1__ScriptState *state =
			arena_alloc(a, sizeof(*state));

		if (state == NULL)
			return;
		vigil__control__v1__script_state__init(state);
		state->plugin = (char *)box->script_plugins[i];
		state->key = (char *)box->scripts[i].key;
		state->enabled = box->scripts[i].enabled;
		state->enabled_source = (char *)box->scripts[i].enabled_source;
		info->scripts[info->n_scripts++] = state;
	}
}

/*
 * Fills the plugins <box> loaded, as its sandbox listed them, with or
 * without scripts. Plugins skipped for a load error are not among them.
 */
static void
fill_loaded(struct arena *a, Vigil__Control__V1__SandboxInfo *info,
	    const struct vg_sandbox *box)
{
	unsigned int i;

	info->scripts_loaded = box->script_count;
	if (box->loaded_plugins == NULL || box->loaded_count == 0)
		return;
	info->loaded_plugins = arena_alloc(a, box->loaded_count *
						      sizeof(char *));
	if (info->loaded_plugins == NULL)
		return;
	for (i = 0; i < box->loaded_count; i++)
		info->loaded_plugins[info->n_loaded_plugins++] =
			(char *)box->loaded_plugins[i];
}

static Vigil__Control__V1__SandboxInfo *
sandbox_to_pb(struct arena *a, struct vg_api *api,
	      const struct vg_sandbox *box)
{
	Vigil__Control__V1__SandboxInfo *info = arena_alloc(a, sizeof(*info));
	unsigned int i;

	if (info == NULL)
		return NULL;
	vigil__control__v1__sandbox_info__init(info);
	info->index = box->index;
	info->running = box->running;
	info->pid = box->running ? box->process.pid : 0;
	if (box->running && box->started_ms > 0 &&
	    uv_now(api->loop) >= box->started_ms)
		info->uptime_ms = uv_now(api->loop) - box->started_ms;
	info->counters = arena_alloc(a, SANDBOX_COUNTERS * sizeof(PbCounter *));
	if (info->counters != NULL)
		info->n_counters = sandbox_counters(a, info->counters, 0,
						    &box->counters);
	fill_loaded(a, info, box);
	fill_scripts(a, info, box);
	info->disabled_plugins = arena_alloc(a, (box->disabled_count + 1) *
							sizeof(char *));
	if (info->disabled_plugins == NULL)
		return info;
	for (i = 0; i < box->disabled_count; i++)
		info->disabled_plugins[info->n_disabled_plugins++] =
			(char *)box->disabled[i];
	return info;
}

void
vg_api_handle_plugins(struct api_client *c, const Request *req)
{
	struct vg_api *api = c->api;
	const struct vg_config *cfg = api->env.cfg;
	struct vg_sandboxes *sb = api->env.sandboxes;
	Vigil__Control__V1__PluginsResponse body;
	Vigil__Control__V1__Status status;
	struct arena a = { 0 };
	Response resp;
	unsigned int i;

	vg_api_init_response(&resp, &status, req->id);
	vigil__control__v1__plugins_response__init(&body);
	body.enabled = sb != NULL;
	body.directories = arena_alloc(&a, (cfg->plugin_dir_count + 1) *
						   sizeof(char *));
	for (i = 0; body.directories != NULL && i < cfg->plugin_dir_count; i++)
		body.directories[body.n_directories++] =
			(char *)cfg->plugin_dirs[i];
	if (sb != NULL) {
		body.sandboxes = arena_alloc(&a, (sb->count + 1) *
							 sizeof(*body.sandboxes));
		for (i = 0; body.sandboxes != NULL && i < sb->count; i++) {
			body.sandboxes[body.n_sandboxes] =
				sandbox_to_pb(&a, api, &sb->sandboxes[i]);
			if (body.sandboxes[body.n_sandboxes] != NULL)
				body.n_sandboxes++;
		}
	}
	resp.body_case = VIGIL__CONTROL__V1__RESPONSE__BODY_PLUGINS;
	resp.plugins = &body;
	vg_api_send_response(c, &resp);
	arena_free(&a);
}

void
vg_api_handle_reload(struct api_client *c, const Request *req)
{
	Vigil__Control__V1__ReloadResponse body;
	Vigil__Control__V1__Status status;
	Response resp;
	char why[1024];

	if (c->api->env.sandboxes == NULL) {
		vg_api_send_error(c, req->id,
				  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_UNAVAILABLE,
				  NULL, "no plugins are configured");
		return;
	}
	VG_INFO("engine", "api reload requested, restarting sandboxes");
	if (vg_sandboxes_reload(c->api->env.sandboxes, why, sizeof(why)) != 0) {
		vg_api_send_error(c, req->id,
				  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_CONFIG,
				  NULL, why);
		return;
	}
	vg_api_init_response(&resp, &status, req->id);
	vigil__control__v1__reload_response__init(&body);
	resp.body_case = VIGIL__CONTROL__V1__RESPONSE__BODY_RELOAD;
	resp.reload = &body;
	vg_api_send_response(c, &resp);
}
