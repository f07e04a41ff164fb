/*
 * The results the sandbox processes send back, one ResultBatch at a time
 * on each sandbox's result ring. Flow statuses go to the engine lcores'
 * status rings, and alerts to the alert store, alerts_output and the log.
 * Script descriptions, loaded plugins and plugin errors update the
 * sandbox's own state, and timeseries points go to the plugin sink of
 * the timeseries. It all runs on the control thread, woken by the
 * sandbox's notify eventfd.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "common/alert_details.h"
#include "common/log.h"
#include "lcore.h"
#include "alert_store.h"
#include "sandbox_internal.h"
#include "sandbox_sup.h"
#include "ts_series.h"
#include "vigil_events.pb-c.h"

#define ALERT_LOG_PER_SECOND 20
#define DETAILS_WARN_PER_MINUTE 10

static const char *const severity_names[] = {
	"none", "info", "notice", "warning", "error", "critical",
};

static const char *const entity_names[] = {
	"none", "flow", "host", "interface", "network", "system",
};

static void
apply_status(struct vg_sandboxes *sb, struct vg_sandbox *box,
	     const Vigil__V1__FlowStatus *st)
{
	unsigned int engine = (unsigned int)(st->flow_id >> 56);
	struct vg_status_msg msg;
	int id;

	box->counters.statuses++;
	id = st->status != NULL ? vg_status_id(st->status) : -EINVAL;
	if (engine >= sb->engine_count || id < 0) {
		box->counters.statuses_dropped++;
		return;
	}
	msg.flow_id = st->flow_id;
	msg.status_id = (uint32_t)id;
	msg.score = st->score > UINT16_MAX ? UINT16_MAX : st->score;
	if (rte_ring_sp_enqueue_elem(sb->engines[engine]->statuses, &msg,
				     sizeof(msg)) != 0)
		box->counters.statuses_dropped++;
}

/* Writes <s> as a JSON string value (quotes included). */
static void
json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', out);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* Logs at most ALERT_LOG_PER_SECOND alerts a second; counts the rest. */
static bool
may_log_alert(struct vg_sandboxes *sb)
{
	uint64_t second = now_ms(sb) / 1000;

	if (second != sb->alert_log_second) {
		if (sb->alerts_not_logged > 0)
			VG_WARN("sandbox", "alerts_not_logged=%" PRIu64
				" in the last second (rate limit)",
				sb->alerts_not_logged);
		sb->alert_log_second = second;
		sb->alert_log_count = 0;
		sb->alerts_not_logged = 0;
	}
	if (sb->alert_log_count++ < ALERT_LOG_PER_SECOND)
		return true;
	sb->alerts_not_logged++;
	return false;
}

/*
 * Logs that <plugin> sent details of <kind> with alert <type>, at most
 * DETAILS_WARN_PER_MINUTE times a minute, with the count of the rest, so
 * a plugin that does it for every flow cannot flood the log.
 */
static void
warn_details(struct vg_sandboxes *sb, int kind, const char *plugin,
	     const char *type)
{
	uint64_t minute = now_ms(sb) / 60000;

	if (minute != sb->details_warn_minute) {
		sb->details_warn_minute = minute;
		sb->details_warn_count = 0;
	}
	if (sb->details_warn_count >= DETAILS_WARN_PER_MINUTE) {
		sb->details_not_logged++;
		return;
	}
	sb->details_warn_count++;
	VG_WARN("sandbox", "plugin=%s alert=%s details are not a JSON object, stored as {\"%s\":...} (warnings_not_logged=%" PRIu64 ")",
		plugin != NULL ? plugin : "", type != NULL ? type : "",
		vg_alert_details_kind_name(kind), sb->details_not_logged);
	sb->details_not_logged = 0;
}

/*
 * Returns the details of <t>, from sandbox <box>, as the JSON object every
 * output gets (alert_details.h), malloc'd. Returns "{}" when the check
 * failed, once logged, and NULL when out of memory, which the outputs
 * take as "{}".
 */
static char *
normalize_details(struct vg_sandboxes *sb, struct vg_sandbox *box,
		  const Vigil__V1__AlertTrigger *t)
{
	char err[256];
	char *json;
	int kind;

	if (sb->details == NULL && !sb->details_failed) {
		sb->details = vg_alert_details_open(err, sizeof(err));
		if (sb->details == NULL) {
			VG_ERR("sandbox", "sqlite3 for alert details failed: %s; alerts are stored with empty details",
			       err);
			sb->details_failed = true;
		}
	}
	if (sb->details == NULL)
		return strdup("{}");
	kind = vg_alert_details_normalize(sb->details, t->details_json, &json);
	if (kind < 0) {
		VG_ERR("sandbox", "plugin=%s alert=%s checking details failed: %d; stored as {}",
		       t->plugin, t->alert_type, kind);
		return strdup("{}");
	}
	if (kind != VG_ALERT_DETAILS_OBJECT) {
		box->counters.details_wrapped++;
		warn_details(sb, kind, t->plugin, t->alert_type);
	}
	return json;
}

static void
write_alert(struct vg_sandboxes *sb, const char *action, unsigned int entity,
	    const char *value, const char *type, unsigned int severity,
	    unsigned int score, const char *details, const char *plugin,
	    const char *script, uint64_t time_us, uint64_t flow_id)
{
	const char *entity_name = entity < 6 ? entity_names[entity] : "none";
	const char *severity_name = severity < 6 ? severity_names[severity] :
						   "none";

	if (may_log_alert(sb))
		VG_INFO("sandbox", "alert %s type=%s entity=%s value=%s severity=%s plugin=%s",
			action, type ? type : "", entity_name,
			value ? value : "", severity_name,
			plugin ? plugin : "");
	if (sb->alerts == NULL)
		return;
	fprintf(sb->alerts, "{\"action\":\"%s\",\"time\":%" PRIu64 ".%06" PRIu64
		",\"entity\":\"%s\",\"value\":", action, time_us / 1000000,
		time_us % 1000000, entity_name);
	json_string(sb->alerts, value);
	fputs(",\"type\":", sb->alerts);
	json_string(sb->alerts, type);
	fprintf(sb->alerts, ",\"severity\":\"%s\",\"score\":%u,", severity_name,
		score);
	/*
	 * A string, as the store, the endpoints and the API send it: ids of
	 * engine lcores after the first pass 2^53, where many JSON readers
	 * round numbers.
	 */
	if (flow_id != 0)
		fprintf(sb->alerts, "\"flow_id\":\"%" PRIu64 "\",", flow_id);
	fputs("\"plugin\":", sb->alerts);
	json_string(sb->alerts, plugin);
	fputs(",\"script\":", sb->alerts);
	json_string(sb->alerts, script);
	/* <details> is one JSON object on one line (normalize_details). */
	fprintf(sb->alerts, ",\"details\":%s}\n",
		details != NULL ? details : "{}");
}

/*
 * Stores, writes and logs the batch's triggers and releases in the order
 * the hooks made them (their "order" field), so a release followed by a
 * new trigger of the same alert leaves it engaged.
 */
static void
handle_alerts(struct vg_sandboxes *sb, struct vg_sandbox *box,
	      const Vigil__V1__ResultBatch *rb)
{
	size_t ti = 0;
	size_t ri = 0;

	while (ti < rb->n_triggers || ri < rb->n_releases) {
		if (ri == rb->n_releases ||
		    (ti < rb->n_triggers &&
		     rb->triggers[ti]->order <= rb->releases[ri]->order)) {
			const Vigil__V1__AlertTrigger *t = rb->triggers[ti++];
			char *details = normalize_details(sb, box, t);

			box->counters.alerts_triggered++;
			/* An excluded alert is neither stored nor written. */
			if (vg_alert_store_trigger(sb->alert_store, t,
						   details, box->index) !=
			    VG_ALERT_EXCLUDED)
				write_alert(sb, "trigger", t->entity,
					    t->entity_value, t->alert_type,
					    t->severity, t->score, details,
					    t->plugin, t->script, t->time_us,
					    t->flow_id);
			free(details);
		} else {
			const Vigil__V1__AlertRelease *r = rb->releases[ri++];

			box->counters.alerts_released++;
			vg_alert_store_release(sb->alert_store, r);
			write_alert(sb, "release", r->entity, r->entity_value,
				    r->alert_type, 0, 0, NULL, r->plugin,
				    r->script, r->time_us, 0);
		}
	}
}

/*
 * Keeps the plugin, key, file and state of the script <info> describes. A
 * later ScriptInfo for the same number (the script disabled at run time)
 * replaces the earlier one.
 */
static void
describe_script(struct vg_sandbox *box, const Vigil__V1__ScriptInfo *info)
{
	struct vg_sandbox_script *script;

	if (info->index == 0 || info->index > VG_SANDBOX_SCRIPTS_MAX ||
	    box->script_plugins == NULL || box->scripts == NULL)
		return;
	snprintf(box->script_plugins[info->index - 1], VG_SANDBOX_NAME_LEN,
		 "%s", info->plugin != NULL ? info->plugin : "");
	script = &box->scripts[info->index - 1];
	snprintf(script->key, sizeof(script->key), "%s",
		 info->script != NULL ? info->script : "");
	snprintf(script->enabled_source, sizeof(script->enabled_source), "%s",
		 info->enabled_source != NULL ? info->enabled_source : "");
	script->enabled = info->enabled;
	free(script->file);
	script->file = info->file != NULL && info->file[0] != '\0' ?
			       strdup(info->file) : NULL;
	if (info->index > box->script_count)
		box->script_count = info->index;
}

/* Keeps the names of the plugins the sandbox reports as loaded. */
static void
note_loaded_plugins(struct vg_sandbox *box, const Vigil__V1__ResultBatch *rb)
{
	size_t i;

	if (rb->n_loaded_plugins == 0 || box->loaded_plugins == NULL)
		return;
	for (i = 0; i < rb->n_loaded_plugins; i++) {
		if (box->loaded_count >= VG_SANDBOX_SCRIPTS_MAX)
			break;
		snprintf(box->loaded_plugins[box->loaded_count++],
			 VG_SANDBOX_NAME_LEN, "%s", rb->loaded_plugins[i]);
	}
	VG_INFO("sandbox", "sandbox=%u pid=%d loaded plugins=%u", box->index,
		box->process.pid, box->loaded_count);
}

static void
handle_results(struct vg_sandboxes *sb, struct vg_sandbox *box,
	       const Vigil__V1__ResultBatch *rb)
{
	size_t i;

	box->counters.result_batches++;
	box->counters.events_seen = rb->events_seen;
	/* The sandbox counts from its start; earlier processes' add up. */
	box->counters.hooks_skipped = box->hooks_skipped_before +
				      rb->hooks_skipped;
	for (i = 0; i < rb->n_statuses; i++)
		apply_status(sb, box, rb->statuses[i]);
	handle_alerts(sb, box, rb);
	note_loaded_plugins(box, rb);
	for (i = 0; i < rb->n_scripts; i++)
		describe_script(box, rb->scripts[i]);
	box->counters.ts_points += rb->n_points;
	vg_ts_plugin_points(rb->points, rb->n_points);
	for (i = 0; i < rb->n_errors; i++) {
		const Vigil__V1__PluginError *e = rb->errors[i];

		box->counters.plugin_errors++;
		if (box->counters.plugin_errors <= 100 ||
		    box->counters.plugin_errors % 10000 == 0)
			VG_WARN("sandbox", "sandbox=%u plugin=%s script=%s hook=%s error: %s (errors=%" PRIu64 ")",
				box->index, e->plugin ? e->plugin : "",
				e->script ? e->script : "",
				e->hook ? e->hook : "",
				e->message ? e->message : "",
				box->counters.plugin_errors);
	}
}

void
vg_sandbox_drain_results(struct vg_sandboxes *sb, struct vg_sandbox *box)
{
	struct vg_shm_ring_ref *ring = vg_sandbox_shm_result_ring(&box->shm);

	for (;;) {
		Vigil__V1__ResultBatch *rb;
		ssize_t len = vg_shm_ring_get(ring, sb->result_buf,
					      RESULT_RING_BYTES);

		if (len == 0)
			return;
		if (len < 0) {
			/* Corrupt positions: only a restart can fix them. */
			box->counters.result_bad++;
			VG_ERR("sandbox", "sandbox=%u result ring is corrupt (%s), killing it",
			       box->index, strerror((int)-len));
			if (box->running)
				uv_process_kill(&box->process, SIGKILL);
			return;
		}
		rb = vigil__v1__result_batch__unpack(NULL, (size_t)len,
						      sb->result_buf);
		if (rb == NULL || rb->version != VIGIL__V1__SCHEMA_VERSION__SCHEMA_VERSION_1) {
			box->counters.result_bad++;
			if (rb != NULL)
				vigil__v1__result_batch__free_unpacked(rb, NULL);
			continue;
		}
		handle_results(sb, box, rb);
		/* After the statuses are in the engines' rings. */
		atomic_store_explicit(&box->results_applied, rb->seq,
				      memory_order_release);
		vigil__v1__result_batch__free_unpacked(rb, NULL);
	}
}

void
vg_sandbox_on_notify(uv_poll_t *poll, int status, int events)
{
	struct vg_sandbox *box = poll->data;
	struct vg_sandboxes *sb = box->process.data;
	uint64_t count;

	(void)events;
	if (status < 0)
		return;
	if (read(box->notify_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		VG_WARN("sandbox", "sandbox=%u read(notify eventfd) failed: %s",
			box->index, strerror(errno));
	vg_sandbox_drain_results(sb, box);
}
