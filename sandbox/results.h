/*
 * Building ResultBatch messages and putting them on the result ring.
 *
 * Items are collected in an arena that is reset after each send, so a
 * batch costs no allocation once the arena has grown to its working size.
 * A batch is sent when the input batch that produced it is done, or
 * earlier when its estimated size reaches the limit given at creation, so
 * no message can outgrow the ring. A full ring drops the batch, as every
 * vigil ring does; the drop is counted, the sequence number still
 * advances (vigild sees the gap) and the next batch carries a PluginError
 * saying how many batches were lost.
 */
#ifndef VG_SANDBOX_RESULTS_H
#define VG_SANDBOX_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/shm_ring.h"
#include "vigil_events.pb-c.h"

struct vg_sbx_results;

struct vg_sbx_results_stats {
	uint64_t sent;      /* batches put on the ring */
	uint64_t dropped;   /* batches lost to a full ring or their size */
	uint64_t items;     /* items in sent batches */
};

/*
 * Creates a builder that sends to <ring>, waking its consumer through
 * <notify_fd> (-1: never), in messages of at most about <batch_bytes>.
 * Returns NULL when out of memory.
 */
struct vg_sbx_results *
vg_sbx_results_create(const struct vg_shm_ring_ref *ring, int notify_fd,
		      size_t batch_bytes);

void
vg_sbx_results_free(struct vg_sbx_results *res);

/* The add functions copy every string; each returns 0 or -ENOMEM. */
int
vg_sbx_results_status(struct vg_sbx_results *res, uint64_t flow_id,
		      const char *status, uint32_t score,
		      uint32_t client_score, uint32_t server_score,
		      const char *plugin, const char *script);

int
vg_sbx_results_trigger(struct vg_sbx_results *res, Vigil__V1__Entity entity,
		       const char *value, const char *alert_type,
		       Vigil__V1__Severity severity, uint32_t score,
		       const char *details_json, const char *plugin,
		       const char *script, uint64_t time_us, uint64_t flow_id);

/*
 * Makes the next vg_sbx_results_trigger() a flow alert about <fe>: it
 * copies the flow's addresses, ports, protocols, bytes and packets into
 * the trigger. <fe> must stay valid until that call.
 */
void
vg_sbx_results_next_flow(struct vg_sbx_results *res,
			 const Vigil__V1__FlowEvent *fe);

int
vg_sbx_results_release(struct vg_sbx_results *res, Vigil__V1__Entity entity,
		       const char *value, const char *alert_type,
		       const char *plugin, const char *script,
		       uint64_t time_us);

/* One point; tag and metric names pair with values by index. */
int
vg_sbx_results_point(struct vg_sbx_results *res, const char *schema,
		     const char *const *tag_keys,
		     const char *const *tag_values, size_t n_tags,
		     const char *const *metric_names, const double *metrics,
		     size_t n_metrics, uint64_t time_us, const char *plugin);

/*
 * Sets the schema step (seconds) and the names of its counter metrics for
 * the next point added, so vigild can create the point's rrd file. The
 * names must stay valid until that point is added.
 */
void
vg_sbx_results_next_point_schema(struct vg_sbx_results *res, uint32_t step,
				 const char *const *counters,
				 size_t n_counters);

int
vg_sbx_results_error(struct vg_sbx_results *res, const char *plugin,
		     const char *script, const char *hook,
		     const char *message);

/*
 * Describes loaded script <index> (1-based) for vigild's supervisor: its
 * plugin, key, file and kind, whether it runs, and <enabled_source>, what
 * decided that ("default", "config", "setup", "error" or "failures").
 */
/* Adds the name of a plugin that loaded, sent as loaded_plugins. Returns 0
 * or -ENOMEM. */
int
vg_sbx_results_plugin(struct vg_sbx_results *res, const char *plugin);

int
vg_sbx_results_script(struct vg_sbx_results *res, uint32_t index,
		      const char *plugin, const char *script,
		      const char *file, const char *kind, bool enabled,
		      const char *enabled_source);

/* Adds <n> to the flow events handled, reported as events_seen. */
void
vg_sbx_results_count_events(struct vg_sbx_results *res, uint64_t n);

/*
 * Adds <n> to the hook calls skipped, reported as hooks_skipped. The next
 * flush sends a batch even when no item is waiting, so vigild learns the
 * new total.
 */
void
vg_sbx_results_count_skipped(struct vg_sbx_results *res, uint64_t n);

/* Returns the number of items waiting to be sent. */
size_t
vg_sbx_results_pending(const struct vg_sbx_results *res);

/*
 * Sends the items collected so far as one ResultBatch and wakes the
 * consumer. Returns 0 (also when there was nothing to send), -ENOSPC when
 * the ring was full, -EMSGSIZE when the batch could never fit, -EBADMSG
 * when the ring is corrupt, or -ENOMEM; in every error case the batch is
 * dropped and counted.
 */
int
vg_sbx_results_flush(struct vg_sbx_results *res);

/* Returns the seq of the last result batch written to the ring, 0 none. */
uint64_t
vg_sbx_results_put_seq(const struct vg_sbx_results *res);

void
vg_sbx_results_get_stats(const struct vg_sbx_results *res,
			 struct vg_sbx_results_stats *stats);

#endif
