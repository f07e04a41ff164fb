/*
 * The output of vigil-sandbox-drive: one JSON object a line on standard
 * output for everything the sandbox sends back and for the driver's own
 * events, each with a "type" so a test can pick the lines it checks.
 * Each line is built in the driver's output buffer and written whole by
 * drive_emit(); a line too long for the buffer becomes a drive_error line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sandbox/sandbox_drive.h"

void
drive_emit(struct drive *d)
{
	if (d->out.failed) {
		printf("{\"type\":\"drive_error\",\"message\":\"output line "
		       "too long\"}\n");
	} else if (d->out.len) {
		fwrite(d->out.data, 1, d->out.len, stdout);
		fputc('\n', stdout);
	}
	fflush(stdout);
	vg_sbx_buf_reset(&d->out);
}

static void
jstr(struct vg_sbx_buf *b, const char *key, const char *value)
{
	vg_sbx_buf_printf(b, ",\"%s\":", key);
	vg_sbx_json_string(b, value ? value : "", value ? strlen(value) : 0);
}

void
drive_error(struct drive *d, const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	vg_sbx_buf_puts(&d->out, "{\"type\":\"drive_error\"");
	jstr(&d->out, "message", msg);
	vg_sbx_buf_puts(&d->out, "}");
	drive_emit(d);
}

static const char *const entity_names[] = {
	"unspecified", "flow", "host", "interface", "network", "system",
};
static const char *const severity_names[] = {
	"unspecified", "info", "notice", "warning", "error", "critical",
};

void
drive_print_result(struct drive *d, const Vigil__V1__ResultBatch *rb)
{
	struct vg_sbx_buf *b = &d->out;
	size_t i;
	size_t j;

	d->counts[0] += rb->n_statuses;
	d->counts[1] += rb->n_triggers;
	d->counts[2] += rb->n_releases;
	d->counts[3] += rb->n_points;
	d->counts[4] += rb->n_errors;
	d->counts[5]++;
	if (d->quiet) {
		d->result_seq = rb->seq;
		return;
	}
	for (i = 0; i < rb->n_statuses; i++) {
		const Vigil__V1__FlowStatus *s = rb->statuses[i];

		vg_sbx_buf_printf(b, "{\"type\":\"status\",\"flow_id\":%" PRIu64
				  ",\"score\":%u,\"client_score\":%u,"
				  "\"server_score\":%u", s->flow_id, s->score,
				  s->client_score, s->server_score);
		jstr(b, "status", s->status);
		jstr(b, "plugin", s->plugin);
		jstr(b, "script", s->script);
		vg_sbx_buf_puts(b, "}");
		drive_emit(d);
	}
	for (i = 0; i < rb->n_triggers; i++) {
		const Vigil__V1__AlertTrigger *t = rb->triggers[i];

		vg_sbx_buf_printf(b, "{\"type\":\"alert\",\"score\":%u,"
				  "\"time_us\":%" PRIu64 ",\"flow_id\":%" PRIu64,
				  t->score, t->time_us, t->flow_id);
		jstr(b, "entity", t->entity < 6 ? entity_names[t->entity] : "?");
		jstr(b, "value", t->entity_value);
		jstr(b, "alert_type", t->alert_type);
		jstr(b, "severity",
		     t->severity < 6 ? severity_names[t->severity] : "?");
		jstr(b, "details_json", t->details_json);
		jstr(b, "plugin", t->plugin);
		jstr(b, "script", t->script);
		vg_sbx_buf_puts(b, "}");
		drive_emit(d);
	}
	for (i = 0; i < rb->n_releases; i++) {
		const Vigil__V1__AlertRelease *r = rb->releases[i];

		vg_sbx_buf_printf(b, "{\"type\":\"release\",\"time_us\":%" PRIu64,
				  r->time_us);
		jstr(b, "entity", r->entity < 6 ? entity_names[r->entity] : "?");
		jstr(b, "value", r->entity_value);
		jstr(b, "alert_type", r->alert_type);
		jstr(b, "plugin", r->plugin);
		jstr(b, "script", r->script);
		vg_sbx_buf_puts(b, "}");
		drive_emit(d);
	}
	for (i = 0; i < rb->n_points; i++) {
		const Vigil__V1__TimeseriesPoint *p = rb->points[i];

		vg_sbx_buf_printf(b, "{\"type\":\"point\",\"time_us\":%" PRIu64,
				  p->time_us);
		jstr(b, "schema", p->schema);
		jstr(b, "plugin", p->plugin);
		vg_sbx_buf_puts(b, ",\"tags\":{");
		for (j = 0; j < p->n_tags; j++) {
			if (j)
				vg_sbx_buf_puts(b, ",");
			vg_sbx_json_string(b, p->tags[j]->key,
					   strlen(p->tags[j]->key));
			vg_sbx_buf_puts(b, ":");
			vg_sbx_json_string(b, p->tags[j]->value,
					   strlen(p->tags[j]->value));
		}
		vg_sbx_buf_puts(b, "},\"metrics\":{");
		for (j = 0; j < p->n_metrics; j++) {
			if (j)
				vg_sbx_buf_puts(b, ",");
			vg_sbx_json_string(b, p->metrics[j]->key,
					   strlen(p->metrics[j]->key));
			vg_sbx_buf_puts(b, ":");
			vg_sbx_json_number(b, p->metrics[j]->value);
		}
		vg_sbx_buf_puts(b, "}}");
		drive_emit(d);
	}
	for (i = 0; i < rb->n_loaded_plugins; i++) {
		vg_sbx_buf_puts(b, "{\"type\":\"loaded\"");
		jstr(b, "plugin", rb->loaded_plugins[i]);
		vg_sbx_buf_puts(b, "}");
		drive_emit(d);
	}
	for (i = 0; i < rb->n_errors; i++) {
		const Vigil__V1__PluginError *e = rb->errors[i];

		vg_sbx_buf_puts(b, "{\"type\":\"error\"");
		jstr(b, "plugin", e->plugin);
		jstr(b, "script", e->script);
		jstr(b, "hook", e->hook);
		jstr(b, "message", e->message);
		vg_sbx_buf_puts(b, "}");
		drive_emit(d);
	}
	vg_sbx_buf_printf(b, "{\"type\":\"batch\",\"seq\":%" PRIu64
			  ",\"gap\":%" PRIu64 ",\"events_seen\":%" PRIu64
			  ",\"hooks_skipped\":%" PRIu64 ",\"version\":%u}",
			  rb->seq, rb->seq - d->result_seq - 1,
			  rb->events_seen, rb->hooks_skipped, rb->version);
	drive_emit(d);
	d->result_seq = rb->seq;
}

void
drive_print_exit(struct drive *d)
{
	vg_sbx_buf_printf(&d->out, "{\"type\":\"exit\",\"code\":%d,"
			  "\"signal\":%d}", d->exit_code, d->exit_signal);
	drive_emit(d);
}
