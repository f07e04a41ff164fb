/*
 * Partial host tables; see hosts.h.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/hash.h"
#include "hosts.h"
#include "table_mem.h"

/* The table is kept at most half full, so probes stay short. */
#define LOAD_FACTOR 2
#define MAX_PROBE 64

/* Returns the slot count of a table for <hosts> hosts. */
static uint64_t
table_capacity(uint32_t hosts)
{
	uint64_t capacity = 64;

	while (capacity < (uint64_t)hosts * LOAD_FACTOR && capacity < (1u << 30))
		capacity <<= 1;
	return capacity;
}

size_t
vg_host_table_memory(uint32_t hosts)
{
	uint64_t capacity = table_capacity(hosts);

	return sizeof(struct vg_host_table) +
	       (size_t)capacity * (sizeof(struct vg_host) + sizeof(uint32_t));
}

struct vg_host_table *
vg_host_table_create(uint32_t hosts)
{
	struct vg_host_table *table = calloc(1, sizeof(*table));
	uint64_t capacity = table_capacity(hosts);

	if (table == NULL)
		return NULL;
	table->slots = vg_table_mem_alloc((size_t)capacity *
					  sizeof(*table->slots));
	table->dirty = calloc(capacity, sizeof(*table->dirty));
	if (table->slots == NULL || table->dirty == NULL) {
		vg_table_mem_free(table->slots,
				  (size_t)capacity * sizeof(*table->slots));
		free(table->dirty);
		free(table);
		return NULL;
	}
	table->capacity = (uint32_t)capacity;
	return table;
}

void
vg_host_table_free(struct vg_host_table *table)
{
	if (table == NULL)
		return;
	vg_table_mem_free(table->slots,
			  (size_t)table->capacity * sizeof(*table->slots));
	free(table->dirty);
	free(table);
}

uint32_t
vg_host_hash(const uint8_t *addr, uint16_t vlan)
{
	return (uint32_t)vg_hash_bytes(addr, 16, vlan);
}

struct vg_host *
vg_host_get_hashed(struct vg_host_table *table, const uint8_t *addr,
		   uint8_t ip_version, uint16_t vlan, uint64_t now_us,
		   uint32_t hash)
{
	uint32_t mask = table->capacity - 1;
	uint32_t i = hash & mask;
	unsigned int probe;

	for (probe = 0; probe < MAX_PROBE; probe++, i = (i + 1) & mask) {
		struct vg_host *h = &table->slots[i];

		if (!atomic_load_explicit(&h->in_use, memory_order_relaxed)) {
			if (table->count * LOAD_FACTOR >= table->capacity)
				break;
			memcpy(h->addr, addr, 16);
			h->ip_version = ip_version;
			h->vlan = vlan;
			h->first_us = now_us;
			h->last_us = now_us;
			table->count++;
			atomic_store_explicit(&h->in_use, 1,
					      memory_order_release);
			return h;
		}
		if (h->vlan == vlan && memcmp(h->addr, addr, 16) == 0)
			return h;
	}
	table->hosts_full++;
	return NULL;
}
