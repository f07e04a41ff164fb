/*
 * Flow events from an engine lcore to the plugin sandboxes.
 *
 * When a flow hook fires (detection ended, a status changed, a periodic
 * update, the flow ended), the engine lcore serializes a FlowEvent
 * (common/proto/vigil_events.proto) at once into the open batch of the
 * sandbox that owns the flow (flow hash modulo sandbox count, so a flow
 * always meets the same sandbox). A batch is written to that sandbox's
 * ring when it is full, or by vg_events_flush_idle() once it has waited
 * long enough. Batches are built by hand in protobuf wire format, field by
 * field, so building one allocates nothing: an EventBatch is its header
 * fields followed by one length-delimited "flows" field per event.
 *
 * Nothing here blocks: a batch that finds its ring full is dropped and
 * counted for that sandbox.
 *
 * Status ids: plugins name statuses by key; vigild's control thread gives
 * each key a small id (vg_status_registry) and sends statuses to engine
 * lcores by id, so a flow keeps them in a few bytes.
 */
#ifndef VG_ENGINE_EVENTS_H
#define VG_ENGINE_EVENTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/sandbox_shm.h"
#include "common/shm_ring.h"
#include "engine.h"

#define VG_MAX_SANDBOXES 16
#define VG_EVENT_BATCH_BYTES (64u * 1024)
#define VG_EVENT_BATCH_EVENTS 256
#define VG_STATUS_MAX 255
#define VG_STATUS_KEY_LEN 64

enum vg_flow_hook {
	VG_HOOK_PROTOCOL_DETECTED = 1,
	VG_HOOK_STATUS_CHANGED = 2,
	VG_HOOK_PERIODIC_UPDATE = 3,
	VG_HOOK_FLOW_END = 4,
};

/*
 * Status keys by id. Written only by the control thread, which publishes
 * a new id (release on <count>) before any engine lcore can receive it.
 */
struct vg_status_registry {
	_Atomic uint32_t count;
	char keys[VG_STATUS_MAX][VG_STATUS_KEY_LEN];
};

extern struct vg_status_registry vg_statuses;

/*
 * Returns the id of status <key>, adding it if new. Control thread only.
 * Returns -ENOSPC when VG_STATUS_MAX keys are taken, -EINVAL for an empty
 * or too long key.
 */
int
vg_status_id(const char *key);

/* A status for an engine lcore, from the control thread (rte_ring elem). */
struct vg_status_msg {
	uint64_t flow_id;
	uint32_t status_id;
	uint32_t score;
};

struct vg_event_batch {
	size_t used;
	uint32_t events;
	uint64_t seq;
	uint64_t opened_ns;  /* monotonic time of the first event, 0 if none */
	uint8_t data[VG_EVENT_BATCH_BYTES];
};

struct vg_event_out {
	unsigned int sandbox_count;
	/* This engine lcore's ring in each sandbox's region, and its wake fd. */
	struct vg_shm_ring_ref rings[VG_MAX_SANDBOXES];
	int wake_fd[VG_MAX_SANDBOXES];
	uint64_t seq[VG_MAX_SANDBOXES];
	uint64_t put_seq[VG_MAX_SANDBOXES]; /* last batch written to the ring */
	/* Each sandbox's acknowledgements (see vg_events_acked). */
	const struct vg_sandbox_status *status[VG_MAX_SANDBOXES];
	const _Atomic uint64_t *results_applied[VG_MAX_SANDBOXES];
	unsigned int engine_index;  /* this lcore's ring in each sandbox */
	struct vg_event_batch batches[VG_MAX_SANDBOXES];
	uint64_t flush_after_ns;   /* oldest a non-empty batch may get */
	const uint64_t *now_us;    /* the engine's packet time, for batches */

	/*
	 * Ring resets, for a sandbox restart: the control thread bumps
	 * reset_request[s] once the old sandbox is gone; the engine lcore
	 * empties the ring and copies the value to reset_done[s].
	 */
	_Atomic uint32_t reset_request[VG_MAX_SANDBOXES];
	_Atomic uint32_t reset_done[VG_MAX_SANDBOXES];

	_Atomic uint64_t events;        /* serialized into a batch */
	_Atomic uint64_t batches_sent;  /* written to a ring */
	_Atomic uint64_t batches_dropped[VG_MAX_SANDBOXES];
	_Atomic uint64_t events_dropped;
};

/* Sets up <out> for <sandboxes> sandboxes; rings are filled in later. */
void
vg_events_init(struct vg_event_out *out, unsigned int sandboxes,
	       uint64_t flush_after_ns);

/*
 * Serializes the event <hook> for <flow> of <engine>, for the flow's
 * sandbox. <reason> matters for VG_HOOK_FLOW_END only.
 */
void
vg_events_flow(struct vg_event_out *out, const struct vg_engine *engine,
	       const struct vg_flow *flow, enum vg_flow_hook hook,
	       enum vg_flow_end reason);

/*
 * Writes every batch older than flush_after_ns (all of them when <all>),
 * and performs requested ring resets. Called by the engine lcore when it
 * has no packets, and before it exits.
 */
void
vg_events_flush_idle(struct vg_event_out *out, bool all);

/* How far the sandboxes must have answered, for vg_events_answered(). */
struct vg_events_mark {
	uint64_t target[VG_MAX_SANDBOXES];  /* batch seq, 0: nothing sent */
	uint64_t results[VG_MAX_SANDBOXES]; /* result seq, once handled */
	bool handled[VG_MAX_SANDBOXES];
};

/* Writes every open batch and notes in <m> what has been sent so far. */
void
vg_events_mark(struct vg_event_out *out, struct vg_events_mark *m);

/*
 * Returns true once every batch noted in <m> has been handled by its
 * sandbox and the statuses set meanwhile are in the engine lcore's status
 * ring (vigild's control thread has applied those results).
 */
bool
vg_events_answered(const struct vg_event_out *out, struct vg_events_mark *m);

/* Returns the monotonic clock in nanoseconds. */
uint64_t
vg_events_now_ns(void);

#endif
