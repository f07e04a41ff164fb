/*
 * Ending flows outside the packet path: the background scan that ends
 * flows past their idle timeout, the statuses plugins set on live flows,
 * and the flush that ends every flow when the engine lcore stops. A
 * packet that finds its own flow timed out restarts it in flow_engine.c
 * instead.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "events.h"
#include "flow_internal.h"
#include "hosts.h"

#define EXPIRE_INTERVAL_US 10000 /* packet time between expiry scans */

/* Action an expiry scan takes on a flow past its idle timeout. */
enum idle_action {
	IDLE_KEEP,  /* leave it in the table, at the back of its queue */
	IDLE_MARK,  /* fire its end events, keep it in the table */
	IDLE_WRITE, /* write its record and remove it */
};

/*
 * Returns the action vg_engine_expire_marked() takes on an idle flow. A
 * flow already marked is written when <write_marked>, and one not yet
 * marked is marked when <mark_new>.
 */
static enum idle_action
marked_action(const struct vg_flow *flow, bool write_marked, bool mark_new)
{
	if (flow->flags & VG_FLOW_END_SENT)
		return write_marked ? IDLE_WRITE : IDLE_KEEP;
	return mark_new ? IDLE_MARK : IDLE_KEEP;
}

/*
 * Walks the expiry queues for both scans, looking at no more than
 * <budget> heads per queue. A walk stops at the first flow it sent to the
 * back, because every flow after it was looked at already. Every idle flow
 * gets marked_action(), or IDLE_WRITE when <two_steps> is false. Returns the
 * number of flows written (one step) or marked (two steps).
 *
 * A scan touches one cold slot per queue head, so it runs once per
 * EXPIRE_INTERVAL_US of packet time, unless the last one ran out of
 * budget while ending flows: then there may be more to end at once.
 */
static unsigned int
expiry_scan(struct vg_engine *engine, uint64_t now_us, unsigned int budget,
	    bool two_steps, bool write_marked, bool mark_new)
{
	unsigned int counted = 0;
	unsigned int cls;
	bool more = false;

	if (now_us < engine->next_expire_us)
		return 0;
	for (cls = 0; cls < VG_EXPIRY_CLASSES; cls++) {
		uint32_t first_moved = VG_FLOW_NIL;
		unsigned int looked;

		for (looked = 0; looked < budget; looked++) {
			struct vg_flow *flow =
				vg_flow_table_queue_head(engine->table, cls);
			enum idle_action action = IDLE_KEEP;
			uint32_t slot;

			if (flow == NULL)
				break;
			slot = vg_flow_table_slot(engine->table, flow);
			if (slot == first_moved)
				break;
			if (now_us >= flow->last_us + engine->idle_us[cls])
				action = two_steps ?
					marked_action(flow, write_marked,
						      mark_new) :
					IDLE_WRITE;
			if (action == IDLE_WRITE) {
				vg_engine_write_record(engine, flow,
						       VG_END_IDLE);
				release_ndpi(engine, flow);
				vg_flow_table_pop_head(engine->table, cls);
				if (!two_steps)
					counted++;
				continue;
			}
			if (action == IDLE_MARK) {
				vg_engine_end_early(engine, flow, VG_END_IDLE);
				counted++;
			}
			if (first_moved == VG_FLOW_NIL)
				first_moved = slot;
			vg_flow_table_requeue_head(engine->table, cls);
		}
		if (looked == budget && first_moved == VG_FLOW_NIL)
			more = true;
	}
	engine->next_expire_us = more ? now_us : now_us + EXPIRE_INTERVAL_US;
	return counted;
}

unsigned int
vg_engine_expire_marked(struct vg_engine *engine, uint64_t now_us,
			unsigned int budget, bool write_marked, bool mark_new)
{
	return expiry_scan(engine, now_us, budget, true, write_marked,
			   mark_new);
}

unsigned int
vg_engine_expire(struct vg_engine *engine, uint64_t now_us,
		 unsigned int budget)
{
	return expiry_scan(engine, now_us, budget, false, false, false);
}

/* Adds <score> to the scores of both hosts of <flow>. */
static void
add_host_score(struct vg_engine *engine, const struct vg_flow *flow,
	       unsigned int score)
{
	const struct vg_flow_key *key = &flow->key;
	struct vg_host *h[2];
	unsigned int i;

	h[0] = vg_host_get(engine->hosts, key->lo_addr, key->ip_version,
			   key->vlan, engine->now_us);
	h[1] = vg_host_get(engine->hosts, key->hi_addr, key->ip_version,
			   key->vlan, engine->now_us);
	for (i = 0; i < 2; i++) {
		if (h[i] == NULL)
			continue;
		h[i]->score = h[i]->score + score < h[i]->score ?
				      UINT32_MAX :
				      h[i]->score + score;
		vg_host_touch(engine->hosts, h[i]);
	}
}

int
vg_engine_set_status(struct vg_engine *engine, uint64_t flow_id,
		     unsigned int status_id, unsigned int score)
{
	uint32_t slot = (uint32_t)(flow_id >> 24);
	struct vg_flow *flow;
	unsigned int added;
	unsigned int i;

	if ((flow_id >> 56) != engine->index ||
	    (slot & 0xffffffffu) >= engine->table->capacity ||
	    status_id >= VG_STATUS_MAX)
		return -EINVAL;
	flow = &engine->table->slots[slot];
	if (!(flow->flags & VG_FLOW_IN_USE) ||
	    (flow->generation & 0xffffff) != (flow_id & 0xffffff)) {
		engine->counters.late_statuses++;
		return -ESTALE;
	}
	for (i = 0; i < VG_FLOW_STATUSES; i++) {
		if (flow->statuses[i] == status_id + 1)
			return 0;
		if (flow->statuses[i] == 0)
			break;
	}
	if (i == VG_FLOW_STATUSES) {
		engine->counters.statuses_full++;
		return -ENOSPC;
	}
	flow->statuses[i] = (uint8_t)(status_id + 1);
	added = flow->score + score > UINT16_MAX ? UINT16_MAX - flow->score :
						    score;
	flow->score = (uint16_t)(flow->score + added);
	if (engine->hosts != NULL && added > 0)
		add_host_score(engine, flow, added);
	/* Plugins never see a flow again after its flowEnd. */
	if (!(flow->flags & VG_FLOW_END_SENT))
		vg_events_flow(engine->events, engine, flow,
			       VG_HOOK_STATUS_CHANGED, VG_END_IDLE);
	return 0;
}

void
vg_engine_end_all_early(struct vg_engine *engine)
{
	uint32_t slot;

	for (slot = 0; slot < engine->table->capacity; slot++) {
		struct vg_flow *flow = &engine->table->slots[slot];

		if ((flow->flags & VG_FLOW_IN_USE) &&
		    !(flow->flags & VG_FLOW_END_SENT))
			vg_engine_end_early(engine, flow, VG_END_FLUSH);
	}
}

/*
 * Counts every flow as ended in its hosts before vg_engine_flush writes
 * the records. It goes in slot order and loads the hosts of the flow
 * PASS_AHEAD slots on, where the flush would look them up cold in queue
 * order. Detection is given up first, as vg_engine_write_record does.
 */
static void
settle_hosts_ending(struct vg_engine *engine)
{
	struct vg_flow_table *table = engine->table;
	uint32_t hash[2 * PASS_AHEAD][2];
	uint32_t i, n = table->capacity;

	for (i = 0; i < n && i < PASS_AHEAD; i++)
		if (table->slots[i].flags & VG_FLOW_IN_USE)
			vg_engine_pass_prefetch_hosts(engine, &table->slots[i],
						      hash[i]);
	for (i = 0; i < n; i++) {
		struct vg_flow *flow = &table->slots[i];
		uint32_t ahead = i + PASS_AHEAD;

		if (ahead < n && (table->slots[ahead].flags & VG_FLOW_IN_USE))
			vg_engine_pass_prefetch_hosts(
				engine, &table->slots[ahead],
				hash[ahead % (2 * PASS_AHEAD)]);
		if (!(flow->flags & VG_FLOW_IN_USE))
			continue;
		vg_engine_give_up(engine, flow);
		vg_engine_update_hosts_hashed(engine, flow, -1,
					      hash[i % (2 * PASS_AHEAD)]);
	}
	engine->hosts_settled = true;
}

void
vg_engine_flush(struct vg_engine *engine)
{
	unsigned int cls;
	struct vg_flow *flow;

	if (engine->hosts != NULL)
		settle_hosts_ending(engine);
	for (cls = 0; cls < VG_EXPIRY_CLASSES; cls++) {
		while ((flow = vg_flow_table_queue_head(engine->table, cls))) {
			vg_engine_write_record(engine, flow, VG_END_FLUSH);
			release_ndpi(engine, flow);
			vg_flow_table_pop_head(engine->table, cls);
		}
	}
	engine->hosts_settled = false;
}
