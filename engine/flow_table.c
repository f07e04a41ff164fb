/*
 * Flow table storage. Slots are one array, buckets another; a bucket holds
 * the first slot of its chain, and a slot's chain_next the next. Removing
 * a flow walks its bucket's chain, which stays short because there are at
 * least as many buckets as half the slots.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "capture/parse.h"
#include "flow_table.h"
#include "table_mem.h"

unsigned int
vg_flow_expiry_class(uint8_t l4_proto)
{
	switch (l4_proto) {
	case IPPROTO_TCP:
		return 0;
	case IPPROTO_UDP:
		return 1;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return 3;
	}
}

static uint32_t
round_up_pow2(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1u << 31))
		p <<= 1;
	return p;
}

struct vg_flow_table *
vg_flow_table_create(uint32_t capacity)
{
	struct vg_flow_table *table;
	uint32_t buckets;
	uint32_t i;

	if (capacity == 0 || capacity >= VG_FLOW_NIL) {
		errno = EINVAL;
		return NULL;
	}

	table = calloc(1, sizeof(*table));
	if (table == NULL)
		goto fail;

	buckets = round_up_pow2(capacity / 2 + 1);
	table->slots = vg_table_mem_alloc((size_t)capacity *
					  sizeof(*table->slots));
	table->buckets = malloc((size_t)buckets * sizeof(*table->buckets));
	table->owed_capacity = capacity / 4 + 1;
	table->owed = malloc((size_t)table->owed_capacity * sizeof(uint32_t));
	if (table->slots == NULL || table->buckets == NULL ||
	    table->owed == NULL)
		goto fail_free;

	memset(table->buckets, 0xff, (size_t)buckets * sizeof(uint32_t));
	table->bucket_mask = buckets - 1;
	table->capacity = capacity;
	for (i = 0; i < capacity; i++)
		table->slots[i].chain_next = i + 1 < capacity ? i + 1 : VG_FLOW_NIL;
	table->free_head = 0;
	for (i = 0; i < VG_EXPIRY_CLASSES; i++) {
		table->queues[i].head = VG_FLOW_NIL;
		table->queues[i].tail = VG_FLOW_NIL;
	}
	return table;

fail_free:
	vg_table_mem_free(table->slots,
			  (size_t)capacity * sizeof(*table->slots));
	free(table->buckets);
	free(table->owed);
	free(table);
fail:
	errno = ENOMEM;
	return NULL;
}

void
vg_flow_table_free(struct vg_flow_table *table)
{
	if (table == NULL)
		return;
	vg_table_mem_free(table->slots,
			  (size_t)table->capacity * sizeof(*table->slots));
	free(table->buckets);
	free(table->owed);
	free(table);
}

size_t
vg_flow_table_memory(const struct vg_flow_table *table)
{
	return (size_t)table->capacity * sizeof(struct vg_flow) +
	       ((size_t)table->bucket_mask + 1) * sizeof(uint32_t) +
	       (size_t)table->owed_capacity * sizeof(uint32_t);
}

size_t
vg_flow_table_memory_for(uint32_t capacity)
{
	return (size_t)capacity * sizeof(struct vg_flow) +
	       (size_t)round_up_pow2(capacity / 2 + 1) * sizeof(uint32_t) +
	       (size_t)(capacity / 4 + 1) * sizeof(uint32_t);
}

static inline bool
key_equal(const struct vg_flow_key *a, const struct vg_flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

struct vg_flow *
vg_flow_table_lookup(struct vg_flow_table *table,
		     const struct vg_flow_key *key, uint32_t hash)
{
	uint32_t idx = table->buckets[hash & table->bucket_mask];

	while (idx != VG_FLOW_NIL) {
		struct vg_flow *flow = &table->slots[idx];

		if (flow->hash == hash && key_equal(&flow->key, key))
			return flow;
		idx = flow->chain_next;
	}
	return NULL;
}

static void
queue_append(struct vg_flow_table *table, unsigned int cls, uint32_t idx)
{
	struct vg_flow_queue *queue = &table->queues[cls];

	table->slots[idx].queue_next = VG_FLOW_NIL;
	if (queue->tail == VG_FLOW_NIL)
		queue->head = idx;
	else
		table->slots[queue->tail].queue_next = idx;
	queue->tail = idx;
}

struct vg_flow *
vg_flow_table_insert(struct vg_flow_table *table,
		     const struct vg_flow_key *key, uint32_t hash)
{
	uint32_t idx = table->free_head;
	uint32_t bucket = hash & table->bucket_mask;
	struct vg_flow *flow;
	uint32_t generation;
	unsigned int cls;

	if (idx == VG_FLOW_NIL)
		return NULL;

	flow = &table->slots[idx];
	table->free_head = flow->chain_next;
	generation = flow->generation + 1;

	memset(flow, 0, sizeof(*flow));
	flow->key = *key;
	flow->hash = hash;
	/*
	 * Published last, with release stores, so a reader on another thread
	 * that loads the new generation also loads the new key (flow_query.h).
	 */
	__atomic_store_n(&flow->generation, generation, __ATOMIC_RELEASE);
	__atomic_store_n(&flow->flags, VG_FLOW_IN_USE, __ATOMIC_RELEASE);
	cls = vg_flow_expiry_class(key->l4_proto);
	flow->expiry_class = (uint8_t)cls;

	flow->chain_next = table->buckets[bucket];
	table->buckets[bucket] = idx;
	queue_append(table, cls, idx);
	table->count++;
	return flow;
}

struct vg_flow *
vg_flow_table_queue_head(struct vg_flow_table *table, unsigned int cls)
{
	uint32_t idx = table->queues[cls].head;

	return idx == VG_FLOW_NIL ? NULL : &table->slots[idx];
}

static uint32_t
queue_pop(struct vg_flow_table *table, unsigned int cls)
{
	struct vg_flow_queue *queue = &table->queues[cls];
	uint32_t idx = queue->head;

	queue->head = table->slots[idx].queue_next;
	if (queue->head == VG_FLOW_NIL)
		queue->tail = VG_FLOW_NIL;
	return idx;
}

void
vg_flow_table_requeue_head(struct vg_flow_table *table, unsigned int cls)
{
	if (table->queues[cls].head == VG_FLOW_NIL)
		return;
	queue_append(table, cls, queue_pop(table, cls));
}

static void
unlink_bucket(struct vg_flow_table *table, uint32_t idx)
{
	struct vg_flow *flow = &table->slots[idx];
	uint32_t *link = &table->buckets[flow->hash & table->bucket_mask];

	while (*link != idx)
		link = &table->slots[*link].chain_next;
	*link = flow->chain_next;
}

void
vg_flow_table_pop_head(struct vg_flow_table *table, unsigned int cls)
{
	uint32_t idx;
	struct vg_flow *flow;

	if (table->queues[cls].head == VG_FLOW_NIL)
		return;

	idx = queue_pop(table, cls);
	flow = &table->slots[idx];
	unlink_bucket(table, idx);
	/*
	 * The fence orders the cleared flag before every later write to the
	 * slot, so a reader that copied any of those writes finds the flow gone.
	 */
	__atomic_store_n(&flow->flags, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	flow->chain_next = table->free_head;
	table->free_head = idx;
	table->count--;
}

void
vg_flow_key_from_pkt(const struct vg_pkt *pkt, struct vg_flow_key *key,
		     bool *src_is_lo)
{
	int order = memcmp(pkt->src, pkt->dst, 16);

	if (order == 0)
		order = (int)pkt->sport - (int)pkt->dport;

	memset(key, 0, sizeof(*key));
	*src_is_lo = order <= 0;
	if (*src_is_lo) {
		memcpy(key->lo_addr, pkt->src, 16);
		memcpy(key->hi_addr, pkt->dst, 16);
		key->lo_port = pkt->sport;
		key->hi_port = pkt->dport;
	} else {
		memcpy(key->lo_addr, pkt->dst, 16);
		memcpy(key->hi_addr, pkt->src, 16);
		key->lo_port = pkt->dport;
		key->hi_port = pkt->sport;
	}
	key->vlan = pkt->vlan;
	key->l4_proto = pkt->l4_proto;
	key->ip_version = pkt->ip_version;
}
