/*
 * ResultBatch builder; see results.h for the sending rules.
 *
 * The size estimate adds each string's length and a fixed allowance per
 * field for tags and varints. It only decides when to cut a batch, so it
 * may be off by a few bytes; the exact size is computed by protobuf-c when
 * the batch is packed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/results.h"

#define ARENA_CHUNK (64u * 1024u)
#define FIELD_OVERHEAD 12u

struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
	size_t size;
	_Alignas(16) unsigned char data[];
};

struct item_array {
	void **items;
	size_t count;
	size_t cap;
};

struct vg_sbx_results {
	const struct vg_shm_ring_ref *ring;
	int notify_fd;
	size_t batch_bytes;
	struct arena_chunk *chunks;   /* current chunk first */
	struct item_array statuses;
	struct item_array triggers;
	struct item_array releases;
	struct item_array points;
	struct item_array errors;
	struct item_array scripts;
	struct item_array plugins;         /* names of loaded plugins */
	uint32_t next_step;                 /* for the next point */
	const char *const *next_counters;
	size_t next_counter_count;
	size_t estimate;
	uint64_t seq;
	uint64_t put_seq;             /* seq of the last batch in the ring */
	uint64_t events_seen;
	uint64_t hooks_skipped;
	uint64_t hooks_skipped_sent;  /* the total the last batch carried */
	uint64_t dropped_unreported;
	struct vg_sbx_results_stats stats;
	uint8_t *pack_buf;
	size_t pack_cap;
	const Vigil__V1__FlowEvent *next_flow; /* for the next trigger */
};

static void *
arena_alloc(struct vg_sbx_results *res, size_t len)
{
	struct arena_chunk *chunk = res->chunks;
	size_t size;

	len = (len + 15) & ~(size_t)15;
	if (chunk != NULL && chunk->size - chunk->used >= len) {
		void *p = chunk->data + chunk->used;

		chunk->used += len;
		return p;
	}
	size = len > ARENA_CHUNK ? len : ARENA_CHUNK;
	chunk = malloc(sizeof(*chunk) + size);
	if (chunk == NULL)
		return NULL;
	chunk->size = size;
	chunk->used = len;
	chunk->next = res->chunks;
	res->chunks = chunk;
	return chunk->data;
}

/* Keeps the newest chunk for reuse and frees the others. */
static void
arena_reset(struct vg_sbx_results *res)
{
	struct arena_chunk *chunk = res->chunks;

	if (chunk == NULL)
		return;
	while (chunk->next != NULL) {
		struct arena_chunk *next = chunk->next->next;

		free(chunk->next);
		chunk->next = next;
	}
	chunk->used = 0;
}

static char *
arena_strdup(struct vg_sbx_results *res, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;
	char *copy = arena_alloc(res, len + 1);

	if (copy == NULL)
		return NULL;
	if (len)
		memcpy(copy, s, len);
	copy[len] = '\0';
	res->estimate += len + FIELD_OVERHEAD;
	return copy;
}

static int
array_push(struct item_array *arr, void *item)
{
	if (arr->count == arr->cap) {
		size_t cap = arr->cap ? arr->cap * 2 : 64;
		void **items = realloc(arr->items, cap * sizeof(*items));

		if (items == NULL)
			return -ENOMEM;
		arr->items = items;
		arr->cap = cap;
	}
	arr->items[arr->count++] = item;
	return 0;
}

struct vg_sbx_results *
vg_sbx_results_create(const struct vg_shm_ring_ref *ring, int notify_fd,
		      size_t batch_bytes)
{
	struct vg_sbx_results *res = calloc(1, sizeof(*res));

	if (res == NULL)
		return NULL;
	res->ring = ring;
	res->notify_fd = notify_fd;
	res->batch_bytes = batch_bytes;
	return res;
}

void
vg_sbx_results_free(struct vg_sbx_results *res)
{
	if (res == NULL)
		return;
	arena_reset(res);
	free(res->chunks);
	free(res->statuses.items);
	free(res->triggers.items);
	free(res->releases.items);
	free(res->points.items);
	free(res->errors.items);
	free(res->scripts.items);
	free(res->plugins.items);
	free(res->pack_buf);
	free(res);
}

/* Sends early once the batch reaches its size limit. */
static int
added(struct vg_sbx_results *res, struct item_array *arr, void *item)
{
	int rc = array_push(arr, item);

	if (rc != 0)
		return rc;
	if (res->estimate >= res->batch_bytes)
		vg_sbx_results_flush(res);
	return 0;
}

int
vg_sbx_results_status(struct vg_sbx_results *res, uint64_t flow_id,
		      const char *status, uint32_t score,
		      uint32_t client_score, uint32_t server_score,
		      const char *plugin, const char *script)
{
	Vigil__V1__FlowStatus *st = arena_alloc(res, sizeof(*st));

	if (st == NULL)
		return -ENOMEM;
	vigil__v1__flow_status__init(st);
	st->flow_id = flow_id;
	st->score = score;
	st->client_score = client_score;
	st->server_score = server_score;
	st->status = arena_strdup(res, status);
	st->plugin = arena_strdup(res, plugin);
	st->script = arena_strdup(res, script);
	if (st->status == NULL || st->plugin == NULL || st->script == NULL)
		return -ENOMEM;
	res->estimate += 5 * FIELD_OVERHEAD;
	return added(res, &res->statuses, st);
}

static int
arena_bytes(struct vg_sbx_results *res, ProtobufCBinaryData *dst,
	    const ProtobufCBinaryData *src)
{
	dst->len = 0;
	dst->data = NULL;
	if (src->len == 0)
		return 0;
	dst->data = arena_alloc(res, src->len);
	if (dst->data == NULL)
		return -ENOMEM;
	memcpy(dst->data, src->data, src->len);
	dst->len = src->len;
	res->estimate += src->len + FIELD_OVERHEAD;
	return 0;
}

/* Copies the flow fields of <fe> into the trigger <tr>. */
static int
trigger_flow(struct vg_sbx_results *res, Vigil__V1__AlertTrigger *tr,
	     const Vigil__V1__FlowEvent *fe)
{
	if (arena_bytes(res, &tr->client_ip, &fe->client_ip) != 0 ||
	    arena_bytes(res, &tr->server_ip, &fe->server_ip) != 0)
		return -ENOMEM;
	tr->l7 = arena_strdup(res, fe->l7);
	if (tr->l7 == NULL)
		return -ENOMEM;
	tr->client_port = fe->client_port;
	tr->server_port = fe->server_port;
	tr->l4_proto = fe->l4_proto;
	tr->vlan = fe->vlan;
	tr->bytes = fe->c2s_bytes + fe->s2c_bytes;
	tr->packets = fe->c2s_packets + fe->s2c_packets;
	res->estimate += 6 * FIELD_OVERHEAD;
	return 0;
}

int
vg_sbx_results_trigger(struct vg_sbx_results *res, Vigil__V1__Entity entity,
		       const char *value, const char *alert_type,
		       Vigil__V1__Severity severity, uint32_t score,
		       const char *details_json, const char *plugin,
		       const char *script, uint64_t time_us, uint64_t flow_id)
{
	Vigil__V1__AlertTrigger *tr = arena_alloc(res, sizeof(*tr));
	const Vigil__V1__FlowEvent *fe = res->next_flow;

	res->next_flow = NULL;
	if (tr == NULL)
		return -ENOMEM;
	vigil__v1__alert_trigger__init(tr);
	tr->entity = entity;
	tr->severity = severity;
	tr->score = score;
	tr->time_us = time_us;
	tr->flow_id = flow_id;
	tr->entity_value = arena_strdup(res, value);
	tr->alert_type = arena_strdup(res, alert_type);
	tr->details_json = arena_strdup(res, details_json ? details_json : "{}");
	tr->plugin = arena_strdup(res, plugin);
	tr->script = arena_strdup(res, script);
	if (tr->entity_value == NULL || tr->alert_type == NULL ||
	    tr->details_json == NULL || tr->plugin == NULL ||
	    tr->script == NULL)
		return -ENOMEM;
	if (fe != NULL && trigger_flow(res, tr, fe) != 0)
		return -ENOMEM;
	tr->order = (uint32_t)(res->triggers.count + res->releases.count + 1);
	res->estimate += 6 * FIELD_OVERHEAD;
	return added(res, &res->triggers, tr);
}

void
vg_sbx_results_next_flow(struct vg_sbx_results *res,
			 const Vigil__V1__FlowEvent *fe)
{
	res->next_flow = fe;
}

int
vg_sbx_results_release(struct vg_sbx_results *res, Vigil__V1__Entity entity,
		       const char *value, const char *alert_type,
		       const char *plugin, const char *script,
		       uint64_t time_us)
{
	Vigil__V1__AlertRelease *rel = arena_alloc(res, sizeof(*rel));

	if (rel == NULL)
		return -ENOMEM;
	vigil__v1__alert_release__init(rel);
	rel->entity = entity;
	rel->time_us = time_us;
	rel->entity_value = arena_strdup(res, value);
	rel->alert_type = arena_strdup(res, alert_type);
	rel->plugin = arena_strdup(res, plugin);
	rel->script = arena_strdup(res, script);
	if (rel->entity_value == NULL || rel->alert_type == NULL ||
	    rel->plugin == NULL || rel->script == NULL)
		return -ENOMEM;
	rel->order = (uint32_t)(res->triggers.count + res->releases.count + 1);
	res->estimate += 3 * FIELD_OVERHEAD;
	return added(res, &res->releases, rel);
}

void
vg_sbx_results_next_point_schema(struct vg_sbx_results *res, uint32_t step,
				 const char *const *counters,
				 size_t n_counters)
{
	res->next_step = step;
	res->next_counters = counters;
	res->next_counter_count = n_counters;
}

/* Copies the schema set by vg_sbx_results_next_point_schema() into <pt>. */
static int
point_schema(struct vg_sbx_results *res, Vigil__V1__TimeseriesPoint *pt)
{
	size_t i;

	pt->step_s = res->next_step;
	pt->counters = arena_alloc(res, (res->next_counter_count + 1) *
						sizeof(*pt->counters));
	if (pt->counters == NULL)
		return -ENOMEM;
	for (i = 0; i < res->next_counter_count; i++) {
		pt->counters[i] = arena_strdup(res, res->next_counters[i]);
		if (pt->counters[i] == NULL)
			return -ENOMEM;
		res->estimate += strlen(pt->counters[i]) + FIELD_OVERHEAD;
	}
	pt->n_counters = res->next_counter_count;
	res->next_step = 0;
	res->next_counter_count = 0;
	return 0;
}

int
vg_sbx_results_point(struct vg_sbx_results *res, const char *schema,
		     const char *const *tag_keys,
		     const char *const *tag_values, size_t n_tags,
		     const char *const *metric_names, const double *metrics,
		     size_t n_metrics, uint64_t time_us, const char *plugin)
{
	Vigil__V1__TimeseriesPoint *pt = arena_alloc(res, sizeof(*pt));
	size_t i;

	if (pt == NULL)
		return -ENOMEM;
	vigil__v1__timeseries_point__init(pt);
	pt->time_us = time_us;
	if (point_schema(res, pt) != 0)
		return -ENOMEM;
	pt->schema = arena_strdup(res, schema);
	pt->plugin = arena_strdup(res, plugin);
	pt->tags = arena_alloc(res, (n_tags + 1) * sizeof(*pt->tags));
	pt->metrics = arena_alloc(res, (n_metrics + 1) * sizeof(*pt->metrics));
	if (pt->schema == NULL || pt->plugin == NULL || pt->tags == NULL ||
	    pt->metrics == NULL)
		return -ENOMEM;
	for (i = 0; i < n_tags; i++) {
		Vigil__V1__TimeseriesPoint__TagsEntry *e =
			arena_alloc(res, sizeof(*e));

		if (e == NULL)
			return -ENOMEM;
		vigil__v1__timeseries_point__tags_entry__init(e);
		e->key = arena_strdup(res, tag_keys[i]);
		e->value = arena_strdup(res, tag_values[i]);
		if (e->key == NULL || e->value == NULL)
			return -ENOMEM;
		pt->tags[pt->n_tags++] = e;
	}
	for (i = 0; i < n_metrics; i++) {
		Vigil__V1__TimeseriesPoint__MetricsEntry *e =
			arena_alloc(res, sizeof(*e));

		if (e == NULL)
			return -ENOMEM;
		vigil__v1__timeseries_point__metrics_entry__init(e);
		e->key = arena_strdup(res, metric_names[i]);
		if (e->key == NULL)
			return -ENOMEM;
		e->value = metrics[i];
		res->estimate += 9 + FIELD_OVERHEAD;
		pt->metrics[pt->n_metrics++] = e;
	}
	res->estimate += 2 * FIELD_OVERHEAD;
	return added(res, &res->points, pt);
}

int
vg_sbx_results_error(struct vg_sbx_results *res, const char *plugin,
		     const char *script, const char *hook,
		     const char *message)
{
	Vigil__V1__PluginError *err = arena_alloc(res, sizeof(*err));

	if (err == NULL)
		return -ENOMEM;
	vigil__v1__plugin_error__init(err);
	err->plugin = arena_strdup(res, plugin);
	err->script = arena_strdup(res, script);
	err->hook = arena_strdup(res, hook);
	err->message = arena_strdup(res, message);
	if (err->plugin == NULL || err->script == NULL || err->hook == NULL ||
	    err->message == NULL)
		return -ENOMEM;
	return added(res, &res->errors, err);
}

int
vg_sbx_results_plugin(struct vg_sbx_results *res, const char *plugin)
{
	char *name = arena_strdup(res, plugin);

	if (name == NULL)
		return -ENOMEM;
	return added(res, &res->plugins, name);
}

int
vg_sbx_results_script(struct vg_sbx_results *res, uint32_t index,
		      const char *plugin, const char *script,
		      const char *file, const char *kind, bool enabled,
		      const char *enabled_source)
{
	Vigil__V1__ScriptInfo *info = arena_alloc(res, sizeof(*info));

	if (info == NULL)
		return -ENOMEM;
	vigil__v1__script_info__init(info);
	info->index = index;
	info->plugin = arena_strdup(res, plugin);
	info->script = arena_strdup(res, script);
	info->file = arena_strdup(res, file);
	info->kind = arena_strdup(res, kind);
	info->enabled = enabled;
	info->enabled_source = arena_strdup(res, enabled_source);
	if (info->plugin == NULL || info->script == NULL ||
	    info->file == NULL || info->kind == NULL ||
	    info->enabled_source == NULL)
		return -ENOMEM;
	return added(res, &res->scripts, info);
}

void
vg_sbx_results_count_events(struct vg_sbx_results *res, uint64_t n)
{
	res->events_seen += n;
}

void
vg_sbx_results_count_skipped(struct vg_sbx_results *res, uint64_t n)
{
	res->hooks_skipped += n;
}

size_t
vg_sbx_results_pending(const struct vg_sbx_results *res)
{
	return res->statuses.count + res->triggers.count +
	       res->releases.count + res->points.count + res->errors.count +
	       res->scripts.count + res->plugins.count;
}

static void
clear_items(struct vg_sbx_results *res)
{
	res->statuses.count = 0;
	res->triggers.count = 0;
	res->releases.count = 0;
	res->points.count = 0;
	res->errors.count = 0;
	res->scripts.count = 0;
	res->plugins.count = 0;
	res->estimate = 0;
	arena_reset(res);
}

/* Adds the PluginError that reports batches lost since the last send. */
static void
report_drops(struct vg_sbx_results *res)
{
	char msg[128];
	Vigil__V1__PluginError *err;

	if (res->dropped_unreported == 0)
		return;
	snprintf(msg, sizeof(msg),
		 "%llu result batches dropped: result ring full",
		 (unsigned long long)res->dropped_unreported);
	err = arena_alloc(res, sizeof(*err));
	if (err == NULL)
		return;
	vigil__v1__plugin_error__init(err);
	err->hook = arena_strdup(res, "results");
	err->message = arena_strdup(res, msg);
	if (err->hook == NULL || err->message == NULL)
		return;
	err->plugin = (char *)"";
	err->script = (char *)"";
	if (array_push(&res->errors, err) == 0)
		res->dropped_unreported = 0;
}

uint64_t
vg_sbx_results_put_seq(const struct vg_sbx_results *res)
{
	return res->put_seq;
}

int
vg_sbx_results_flush(struct vg_sbx_results *res)
{
	Vigil__V1__ResultBatch batch = VIGIL__V1__RESULT_BATCH__INIT;
	size_t items = vg_sbx_results_pending(res);
	uint64_t carried = res->dropped_unreported;
	size_t len;
	int rc;

	if (items == 0 && res->hooks_skipped == res->hooks_skipped_sent)
		return 0;
	report_drops(res);
	batch.version = VIGIL__V1__SCHEMA_VERSION__SCHEMA_VERSION_1;
	batch.seq = ++res->seq;
	batch.events_seen = res->events_seen;
	batch.hooks_skipped = res->hooks_skipped;
	batch.n_statuses = res->statuses.count;
	batch.statuses = (Vigil__V1__FlowStatus **)res->statuses.items;
	batch.n_triggers = res->triggers.count;
	batch.triggers = (Vigil__V1__AlertTrigger **)res->triggers.items;
	batch.n_releases = res->releases.count;
	batch.releases = (Vigil__V1__AlertRelease **)res->releases.items;
	batch.n_points = res->points.count;
	batch.points = (Vigil__V1__TimeseriesPoint **)res->points.items;
	batch.n_errors = res->errors.count;
	batch.errors = (Vigil__V1__PluginError **)res->errors.items;
	batch.n_scripts = res->scripts.count;
	batch.scripts = (Vigil__V1__ScriptInfo **)res->scripts.items;
	batch.n_loaded_plugins = res->plugins.count;
	batch.loaded_plugins = (char **)res->plugins.items;

	len = vigil__v1__result_batch__get_packed_size(&batch);
	if (len > res->pack_cap) {
		uint8_t *buf = realloc(res->pack_buf, len);

		if (buf == NULL) {
			rc = -ENOMEM;
			goto drop;
		}
		res->pack_buf = buf;
		res->pack_cap = len;
	}
	vigil__v1__result_batch__pack(&batch, res->pack_buf);
	if (len > UINT32_MAX) {
		rc = -EMSGSIZE;
		goto drop;
	}
	rc = vg_shm_ring_put(res->ring, res->pack_buf, (uint32_t)len);
	if (rc != 0)
		goto drop;
	res->put_seq = batch.seq;
	res->hooks_skipped_sent = batch.hooks_skipped;
	res->stats.sent++;
	res->stats.items += items;
	clear_items(res);
	if (res->notify_fd >= 0)
		vg_shm_ring_wake(res->ring, res->notify_fd);
	return 0;
drop:
	/* -ENOSPC was counted in the ring's own dropped field already. */
	res->stats.dropped++;
	res->dropped_unreported = carried + 1;
	clear_items(res);
	return rc;
}

void
vg_sbx_results_get_stats(const struct vg_sbx_results *res,
			 struct vg_sbx_results_stats *stats)
{
	*stats = res->stats;
}
