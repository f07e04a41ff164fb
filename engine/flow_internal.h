/*
 * Declarations the flow engine's files share. flow_engine.c owns the
 * per-packet path, detection and the records, flow_minute.c the cutting
 * of minutes, flow_expiry.c the idle expiry, flow statuses and the flush.
 * The per-packet path calls nothing in the other two files except
 * vg_engine_cut_minute, once a minute. Nothing outside these files
 * includes this header.
 */
#ifndef VG_ENGINE_FLOW_INTERNAL_H
#define VG_ENGINE_FLOW_INTERNAL_H

#include <stdint.h>

#include <ndpi/ndpi_api.h>

#include "engine.h"

/*
 * Flows between loading a flow's slot and hashing its hosts, and from
 * there to counting them: the pass keeps this many lookups in flight.
 */
#define PASS_AHEAD 8

/*
 * Counts what <flow> carried since its last update in both its hosts, and
 * counts the flow as started (<active> 1), ended (-1) or neither (0).
 * <hash> is NULL or contains vg_host_hash() of the senders of directions
 * 0 and 1.
 */
void
vg_engine_update_hosts_hashed(struct vg_engine *engine, struct vg_flow *flow,
			      int active, const uint32_t *hash);

/* Stores the host hashes of <flow> in <hash> and starts loading them. */
void
vg_engine_pass_prefetch_hosts(struct vg_engine *engine,
			      const struct vg_flow *flow, uint32_t hash[2]);

/* Updates the hosts of every flow that owes them traffic. */
void
vg_engine_pass_owed_flows(struct vg_engine *engine);

/*
 * Hands the open minute to cut_fn with the hosts that changed in it, and
 * opens the minute of <now_us> (VG_MINUTE_DONE: none).
 */
void
vg_engine_cut_minute(struct vg_engine *engine, uint64_t now_us);

/* Returns the nDPI state of <flow>, NULL once detection has ended. */
static inline struct ndpi_flow_struct *
flow_ndpi(const struct vg_engine *engine, const struct vg_flow *flow)
{
	if (flow->ndpi_state == 0)
		return NULL;
	return &engine->ndpi_pool_mem[flow->ndpi_state - 1];
}

/*
 * Frees <flow>'s nDPI state and returns it to the pool, if it has one.
 * It is inline because finish_detection, on the packet path, calls it.
 */
static inline void
release_ndpi(struct vg_engine *engine, struct vg_flow *flow)
{
	if (flow->ndpi_state == 0)
		return;
	ndpi_free_flow_data(flow_ndpi(engine, flow));
	engine->ndpi_free[engine->ndpi_free_count++] = flow->ndpi_state - 1;
	flow->ndpi_state = 0;
}

/*
 * Gives up detection on <flow> unless it has ended, taking nDPI's guess
 * while the flow has an nDPI state, and fires protocolDetected.
 */
void
vg_engine_give_up(struct vg_engine *engine, struct vg_flow *flow);

/*
 * Ends <flow>: gives up detection, fires flowEnd unless it was sent
 * early, counts the flow as ended in its hosts and emits its record. The
 * caller then frees or reuses the slot.
 */
void
vg_engine_write_record(struct vg_engine *engine, struct vg_flow *flow,
		       enum vg_flow_end reason);

/*
 * Ends detection on <flow> and fires flowEnd now, ahead of its record, so
 * the statuses these hooks set can reach the record.
 */
void
vg_engine_end_early(struct vg_engine *engine, struct vg_flow *flow,
		    enum vg_flow_end reason);

#endif
