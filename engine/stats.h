/*
 * vigild's counters, gathered from every lcore by the control thread.
 *
 * Lcores write their own counters without atomics; the control thread
 * reads them while they run. On x86-64 an aligned 64-bit load is never
 * torn, so a reading is at worst a little stale.
 */
#ifndef VG_STATS_H
#define VG_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
#include "engine.h"
#include "sandbox_sup.h"

struct vg_port_stats {
	uint64_t ipackets;
	uint64_t ibytes;
	uint64_t imissed;   /* dropped by the NIC: no descriptor free */
	uint64_t ierrors;
	uint64_t rx_nombuf; /* dropped by the driver: no mbuf free */
};

struct vg_stats {
	struct vg_rx_counters rx;         /* summed over rx lcores */
	struct vg_engine_counters engine; /* summed over engine lcores */
	uint64_t active_flows;
	uint64_t caplen_over_len; /* capture-file records, summed over ports */
	struct vg_port_stats ports[VG_MAX_PORTS];
	unsigned int port_count;

	/* Plugins: events from the engine lcores, and the sandboxes' side. */
	bool plugins;
	uint64_t events;
	uint64_t event_batches;
	uint64_t event_batches_dropped;
	uint64_t events_dropped;
	struct vg_sandbox_counters sandbox; /* filled in by the caller */
};

struct vg_engine_lcore;

/* Sums the counters of every lcore and port into <stats>. */
void
vg_stats_collect(struct vg_stats *stats, const struct vg_capture *capture,
		 const struct vg_rx_lcore *rx, unsigned int rx_count,
		 struct vg_engine_lcore *const *engines,
		 unsigned int engine_count);

/* Writes <stats> as one JSON object to <out>. */
void
vg_stats_write_json(const struct vg_stats *stats,
		    const struct vg_capture *capture, FILE *out);

/* Logs every counter, one line per group. */
void
vg_stats_log_summary(const struct vg_stats *stats,
		     const struct vg_capture *capture);

#endif
