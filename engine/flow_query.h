/*
 * Queries over the live flows and hosts of every engine lcore, run by
 * threads other than the lcores (vigild's API thread pool) while capture
 * goes on.
 *
 * Reading a flow slot that its lcore writes: the lcore takes no lock and
 * never waits for a reader. A reader loads the slot's generation (acquire),
 * copies the slot, and loads the flags (acquire) and the generation again;
 * the copy is used only when the generation is unchanged and the flow was
 * in use before and after (vg_flow_slot_read()). The table publishes a new
 * flow's generation with a release store after its key is written, and
 * clears the in-use flag before a release fence when the flow ends
 * (flow_table.c), so what a reader can see is:
 *
 *   - never a slot that was recycled for another flow during the copy:
 *     that read is retried, and skipped after VG_FLOW_READ_TRIES;
 *   - the key, first_us and generation of one flow, always together;
 *   - counters and detection results of that flow as they were at some
 *     moment during the copy, each field whole (aligned loads of at most
 *     8 bytes on x86-64), but two fields may come from different packets
 *     (packets counted, bytes not yet) and a detection result may be half
 *     copied into the slot (app protocol set, category not yet);
 *   - the server name as any bytes, NUL-terminated by the reader.
 *
 * NOTE: the engine restarts a flow in place at its active timeout
 * (restart_flow() in flow_engine.c) with plain stores: a reader copying
 * that slot at that moment may see the old generation with some counters
 * already zeroed. The id it reports is then stale at once, so the worst
 * case is one row with counters too low in one answer.
 *
 * Queries select the top offset+limit flows with a bounded heap while
 * scanning (O(n log k), no sort of the whole table) and never allocate per
 * flow. Host queries merge the partial host tables of every lcore by
 * (address, VLAN) first, then select the same way.
 */
#ifndef VG_ENGINE_FLOW_QUERY_H
#define VG_ENGINE_FLOW_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "hosts.h"

struct vg_config;

#define VG_FLOW_READ_TRIES 4
#define VG_QUERY_MAX_LIMIT 1000 /* rows in one API page */
#define VG_QUERY_MAX_RANK 10000 /* offset + limit */

/* vg_flow_filter.set bits */
#define VG_FF_HOST 0x01
#define VG_FF_L4 0x02
#define VG_FF_L7 0x04
#define VG_FF_CATEGORY 0x08
#define VG_FF_STATUS 0x10
#define VG_FF_VLAN 0x20
#define VG_FF_PORT 0x40

struct vg_flow_filter {
	unsigned int set;      /* VG_FF_* of the fields that apply */
	uint8_t host[16];      /* IPv4 in the first 4 bytes */
	uint8_t host_version;  /* 4 or 6 */
	uint8_t l4_proto;
	uint8_t status;        /* status id + 1, as in vg_flow.statuses */
	uint16_t l7;           /* nDPI protocol id: vg_flow_l7_pair()'s master or app */
	uint16_t category;     /* nDPI category id */
	uint16_t vlan;
	uint16_t port;
};

/* Values match vigil.control.v1.FlowSort. */
enum vg_flow_sort {
	VG_FLOW_SORT_BYTES = 0,
	VG_FLOW_SORT_PACKETS,
	VG_FLOW_SORT_FIRST_SEEN,
	VG_FLOW_SORT_LAST_SEEN,
	VG_FLOW_SORT_DURATION,
	VG_FLOW_SORT_SCORE,
	VG_FLOW_SORT_RTT,
	VG_FLOW_SORT_RETRANSMISSIONS,
	VG_FLOW_SORT_C2S_BYTES,
	VG_FLOW_SORT_S2C_BYTES,
	VG_FLOW_SORT_COUNT,
};

/* Values match vigil.control.v1.HostSort. */
enum vg_host_sort {
	VG_HOST_SORT_BYTES = 0,
	VG_HOST_SORT_BYTES_SENT,
	VG_HOST_SORT_BYTES_RCVD,
	VG_HOST_SORT_PACKETS,
	VG_HOST_SORT_FLOWS,
	VG_HOST_SORT_TOTAL_FLOWS,
	VG_HOST_SORT_FIRST_SEEN,
	VG_HOST_SORT_LAST_SEEN,
	VG_HOST_SORT_SCORE,
	VG_HOST_SORT_COUNT,
};

struct vg_query_page {
	uint32_t offset;
	uint32_t limit;        /* 1..VG_QUERY_MAX_RANK - offset */
	bool ascending;
};

/* One flow as a query returns it: a validated copy of its slot. */
struct vg_flow_hit {
	struct vg_flow flow;
	uint64_t id;           /* engine << 56 | slot << 24 | generation */
	unsigned int engine;   /* vg_engine.index */
};

struct vg_flow_result {
	struct vg_flow_hit *hits; /* the page, in rank order; free() it */
	uint32_t count;
	uint64_t total;        /* flows matching the filter */
	uint64_t scanned;      /* slots read */
	uint64_t retried;      /* slot reads repeated after a concurrent write */
};

struct vg_host_filter {
	bool by_ip;
	uint8_t ip[16];
	uint8_t ip_version;
	bool by_vlan;
	uint16_t vlan;
	bool by_local;
	bool local;
};

struct vg_host_hit {
	struct vg_host host;   /* summed over every lcore; in_use unused */
	bool local;
};

struct vg_host_result {
	struct vg_host_hit *hits; /* free() it */
	uint32_t count;
	uint64_t total;
	uint64_t dropped;      /* hosts added during the merge, left out */
	bool tracking;         /* false: no engine keeps a host table */
};

/*
 * Copies the slot <slot> of <table> into <out> as described above.
 * Returns 0; -ENOENT when the slot has no flow; -EAGAIN when the lcore
 * changed the slot VG_FLOW_READ_TRIES times in a row during the copy.
 * Safe from any thread.
 */
int
vg_flow_slot_read(const struct vg_flow_table *table, uint32_t slot,
		  struct vg_flow *out);

/* Returns the API id of the flow in <slot> of engine <engine_index>. */
uint64_t
vg_flow_id(unsigned int engine_index, uint32_t slot, uint32_t generation);

/*
 * Returns in <result> the flows of <engines> that match <filter>, ranked
 * by <sort> (ties by id, ascending), the page <page> of them, and how
 * many matched. Returns 0, -EINVAL for a page out of bounds, -ENOMEM.
 * Safe from any thread; never blocks an engine lcore.
 */
int
vg_flow_query(struct vg_engine *const *engines, unsigned int engine_count,
	      const struct vg_flow_filter *filter, enum vg_flow_sort sort,
	      const struct vg_query_page *page, struct vg_flow_result *result);

/*
 * Finds the live flow with API id <id>. Returns 0 with <hit> filled, or
 * -ENOENT when no such flow is live (ended, or never was).
 */
int
vg_flow_find(struct vg_engine *const *engines, unsigned int engine_count,
	     uint64_t id, struct vg_flow_hit *hit);

/*
 * Merges the host tables of <engines> and returns the page <page> of the
 * hosts matching <filter>, ranked by <sort> (ties by address). <cfg>
 * gives the local networks. Returns 0, -EINVAL, or -ENOMEM.
 */
int
vg_host_query(struct vg_engine *const *engines, unsigned int engine_count,
	      const struct vg_config *cfg, const struct vg_host_filter *filter,
	      enum vg_host_sort sort, const struct vg_query_page *page,
	      struct vg_host_result *result);

#endif
