/*
 * Per-lcore flow table: fixed slots, chained hash buckets and one lazy
 * expiry queue per timeout class.
 *
 * Each engine lcore owns one table and nothing else touches it, so there
 * are no locks and no atomics. All memory is taken at creation: a full
 * table refuses new flows (the caller counts them) instead of growing on
 * the packet path.
 *
 * Expiry queues are singly linked FIFOs in insertion order. A flow that is
 * still active when it reaches the head is moved to the tail, so a scan
 * touches each live flow about once per timeout and never sorts. Whether a
 * flow has expired is always decided from its own last_us, so the records
 * are the same whenever the scan happens to run.
 */
#ifndef VG_FLOW_TABLE_H
#define VG_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define VG_FLOW_NIL UINT32_MAX
#define VG_EXPIRY_CLASSES 4 /* TCP, UDP, ICMP and ICMPv6, other */

struct vg_flow_queue {
	uint32_t head;
	uint32_t tail;
};

struct vg_flow_table {
	struct vg_flow *slots;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t capacity;
	uint32_t count;
	uint32_t free_head;       /* free slots, linked through chain_next */
	struct vg_flow_queue queues[VG_EXPIRY_CLASSES];
	/*
	 * Slots of the flows that have carried packets since their hosts last
	 * counted them (see vg_flow_table_note_owed). A slot may be listed
	 * twice, or hold another flow by the time it is read: the reader
	 * checks each flow. It has room for a quarter of the slots. When more
	 * flows than that are owed, owed_overflow makes the reader scan them all.
	 */
	uint32_t *owed;
	uint32_t owed_count;
	uint32_t owed_capacity;
	bool owed_overflow;
};

/* Returns the expiry class (0..VG_EXPIRY_CLASSES-1) of an L4 protocol. */
unsigned int
vg_flow_expiry_class(uint8_t l4_proto);

/*
 * Allocates a table for <capacity> flows (>= 1). Returns NULL and sets
 * errno to EINVAL or ENOMEM on failure.
 */
struct vg_flow_table *
vg_flow_table_create(uint32_t capacity);

void
vg_flow_table_free(struct vg_flow_table *table);

/* Returns the table's memory in bytes: slots, buckets and the owed list. */
size_t
vg_flow_table_memory(const struct vg_flow_table *table);

/* Returns what vg_flow_table_memory() returns for a table of <capacity>. */
size_t
vg_flow_table_memory_for(uint32_t capacity);

/* Returns the flow with <key>, or NULL. <hash> is vg_flow_hash() of it. */
struct vg_flow *
vg_flow_table_lookup(struct vg_flow_table *table,
		     const struct vg_flow_key *key, uint32_t hash);

/*
 * Inserts a zeroed flow with <key> and <hash>, queued for expiry at the
 * tail of its class. The key must not be in the table. Returns the flow,
 * or NULL when every slot is taken.
 */
struct vg_flow *
vg_flow_table_insert(struct vg_flow_table *table,
		     const struct vg_flow_key *key, uint32_t hash);

/*
 * Returns the flow at the head of expiry queue <cls>, or NULL if empty.
 * Use with vg_flow_table_requeue_head() and vg_flow_table_pop_head().
 */
struct vg_flow *
vg_flow_table_queue_head(struct vg_flow_table *table, unsigned int cls);

/* Moves the head of queue <cls> to its tail. */
void
vg_flow_table_requeue_head(struct vg_flow_table *table, unsigned int cls);

/*
 * Removes the head flow of queue <cls> from the table; its slot is free
 * for reuse at once, so copy what is needed first.
 */
void
vg_flow_table_pop_head(struct vg_flow_table *table, unsigned int cls);

/* Returns the slot index of <flow>. */
static inline uint32_t
vg_flow_table_slot(const struct vg_flow_table *table,
		   const struct vg_flow *flow)
{
	return (uint32_t)(flow - table->slots);
}

/* Adds <flow> to the owed list, once its hosts stop being even with it. */
static inline void
vg_flow_table_note_owed(struct vg_flow_table *table, const struct vg_flow *flow)
{
	if (table->owed_count < table->owed_capacity)
		table->owed[table->owed_count++] =
			vg_flow_table_slot(table, flow);
	else
		table->owed_overflow = true;
}

/*
 * Builds the canonical key of a packet's flow and reports whether the
 * packet's source is the key's lo endpoint.
 */
struct vg_pkt;
void
vg_flow_key_from_pkt(const struct vg_pkt *pkt, struct vg_flow_key *key,
		     bool *src_is_lo);

#endif
