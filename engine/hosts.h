/*
 * Per-engine-lcore partial host tables.
 *
 * Flows are spread over engine lcores by address pair, so one host's
 * traffic can be seen by several lcores: each keeps its own partial
 * counters for the hosts in its flows, with no locks, and the control thread
 * sums the partial entries of every lcore into one snapshot per host for
 * the plugins' host hooks.
 *
 * The table is open-addressed with linear probing and fixed at creation.
 * Entries are never removed, so the control thread may read it while the
 * lcore writes: a new entry's key is complete before its in_use flag is
 * set (release), and the reader checks the flag first (acquire). Counters
 * are read without atomics, as vigild's other counters are: at worst a
 * reading is a little stale on x86-64. A host that finds the table full is
 * not counted (hosts_full).
 */
#ifndef VG_ENGINE_HOSTS_H
#define VG_ENGINE_HOSTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "minute.h"

struct vg_host {
	_Atomic uint8_t in_use;
	uint8_t ip_version;     /* 4 or 6 */
	uint16_t vlan;
	uint8_t addr[16];       /* IPv4 in the first 4 bytes */
	uint64_t bytes_sent;
	uint64_t bytes_rcvd;
	uint64_t packets_sent;
	uint64_t packets_rcvd;
	uint64_t first_us;
	uint64_t last_us;
	uint32_t flows_as_client; /* active now, on this lcore */
	uint32_t flows_as_server;
	uint64_t total_flows_as_client;
	uint64_t total_flows_as_server;
	uint32_t score;           /* sum of its active flows' scores, this lcore */
	bool local;               /* inside networks.local */
	bool dirty;               /* on the dirty list: changed this minute */
	/* This minute so far (minute.h); zeroed at each cut. */
	uint32_t m_new_client;
	uint32_t m_new_server;
	uint64_t m_bytes_sent;
	uint64_t m_bytes_rcvd;
	uint64_t m_packets_sent;
	uint64_t m_packets_rcvd;
	uint64_t m_dns_bytes;
	uint64_t m_p2p_bytes;
	uint32_t m_syn_sent;
	uint32_t m_syn_rcvd;
	uint32_t m_synack_sent;
	uint32_t m_synack_rcvd;
	struct vg_host_app m_apps[VG_HOST_APPS];
	uint64_t m_app_other;
};

struct vg_host_table {
	struct vg_host *slots;
	uint32_t capacity;        /* power of two */
	uint32_t count;
	uint64_t hosts_full;      /* lookups that found no free slot */
	uint32_t *dirty;          /* slots changed since the last cut */
	uint32_t dirty_count;
};

/* Creates a table for at least <hosts> hosts. Returns NULL if out of memory. */
struct vg_host_table *
vg_host_table_create(uint32_t hosts);

void
vg_host_table_free(struct vg_host_table *table);

/* Returns the memory, in bytes, of vg_host_table_create(<hosts>). */
size_t
vg_host_table_memory(uint32_t hosts);

/* Returns the hash that places (<addr>, <vlan>) in a table. */
uint32_t
vg_host_hash(const uint8_t *addr, uint16_t vlan);

/* Starts loading the first slot that (<addr>, <vlan>) of <hash> probes. */
static inline void
vg_host_prefetch(const struct vg_host_table *table, uint32_t hash)
{
	__builtin_prefetch(&table->slots[hash & (table->capacity - 1)], 1);
}

/*
 * Returns the entry of (<addr>, <vlan>), adding it if new, or NULL when
 * the table is full. <hash> is vg_host_hash() of them. Owning lcore only.
 */
struct vg_host *
vg_host_get_hashed(struct vg_host_table *table, const uint8_t *addr,
		   uint8_t ip_version, uint16_t vlan, uint64_t now_us,
		   uint32_t hash);

/* Returns vg_host_get_hashed() of (<addr>, <vlan>), hashing them here. */
static inline struct vg_host *
vg_host_get(struct vg_host_table *table, const uint8_t *addr,
	    uint8_t ip_version, uint16_t vlan, uint64_t now_us)
{
	return vg_host_get_hashed(table, addr, ip_version, vlan, now_us,
				  vg_host_hash(addr, vlan));
}

/* Puts <host> on the dirty list, once per minute. Owning lcore only. */
static inline void
vg_host_touch(struct vg_host_table *table, struct vg_host *host)
{
	if (host->dirty)
		return;
	host->dirty = true;
	table->dirty[table->dirty_count++] = (uint32_t)(host - table->slots);
}

#endif
