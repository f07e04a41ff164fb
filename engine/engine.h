/*
 * Flow engine: what one engine lcore does with the packets it owns.
 *
 * vg_engine is the per-lcore state: its flow table, its own nDPI detection
 * module and a preallocated pool of nDPI flow states. It has no DPDK
 * dependency, so the same code runs under EAL (engine/lcore.c) and in unit
 * tests. It is not thread-safe: one engine belongs to one thread.
 *
 * Records leave through a callback (vg_engine.emit), one JSON line per
 * call, when a flow ends: idle timeout, active timeout or flush.
 */
#ifndef VG_ENGINE_H
#define VG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_table.h"

struct vg_config;
struct vg_pkt;
struct ndpi_detection_module_struct;
struct ndpi_flow_struct;

/* Why a flow record was written (the record's "end" field). */
enum vg_flow_end {
	VG_END_IDLE = 0,
	VG_END_ACTIVE,
	VG_END_FLUSH,
};

struct vg_engine_counters {
	uint64_t packets;
	uint64_t bytes;
	uint64_t flows_created;
	uint64_t flows_expired;    /* records written for any reason */
	uint64_t flows_table_full; /* packets of new flows the table refused */
	uint64_t ndpi_pool_empty;  /* flows left unclassified: no nDPI state */
	uint64_t ndpi_packets;     /* packets given to nDPI */
	uint64_t records_dropped;  /* records the sink had no room for */
	uint64_t late_statuses;    /* statuses for flows that had ended */
	uint64_t statuses_full;    /* statuses a flow had no room for */
};

struct vg_event_out;
struct vg_host_table;
struct vg_minute_cut;

/* Receives a minute's cut; ownership of <cut> passes to the callee. */
typedef void (*vg_cut_fn)(void *ctx, struct vg_minute_cut *cut);

typedef int (*vg_record_fn)(void *ctx, const char *line, size_t len);

struct vg_engine {
	unsigned int index;
	struct vg_flow_table *table;
	struct ndpi_detection_module_struct *ndpi;

	uint32_t *ndpi_free;                 /* stack of free pool indexes */
	uint32_t ndpi_free_count;
	uint32_t ndpi_pool_size;
	struct ndpi_flow_struct *ndpi_pool_mem;

	uint64_t idle_us[VG_EXPIRY_CLASSES];
	uint64_t active_us;                  /* 0 = no active timeout */
	uint16_t detect_limit_tcp;
	uint16_t detect_limit_udp;

	uint64_t now_us;                     /* latest packet time seen */
	uint64_t first_us;                   /* first packet time, 0 before */
	uint64_t next_expire_us;             /* no expiry scan before this */
	uint64_t host_pass_us;               /* next pass over owed flows */
	bool hosts_settled;                  /* flushing: hosts counted all */
	vg_record_fn emit;
	void *emit_ctx;

	struct vg_event_out *events;         /* to plugin sandboxes, or NULL */
	/*
	 * Reading a capture file with plugins: waits for the acknowledgement of every
	 * event sent so far, before a flow that a packet ends is written.
	 * NULL otherwise.
	 */
	void (*await_fn)(void *ctx);
	void *await_ctx;
	struct vg_host_table *hosts;         /* partial host table, or NULL */
	uint64_t periodic_us;                /* periodicUpdate interval, 0 off */
	const struct vg_config *cfg;

	/* Per-minute counters (minute.h), kept while cut_fn is set. */
	vg_cut_fn cut_fn;
	void *cut_ctx;
	struct vg_minute_cut *minute;        /* the open minute, hosts aside */
	uint64_t minute_end_us;              /* 0 before the first packet */
	/*
	 * The clock is wall time (a live port), so the first minute was
	 * watched only from the moment it opened.
	 */
	bool minutes_from_start;
	uint64_t cuts_lost;                  /* no memory for a cut */

	struct vg_engine_counters counters;
};

/*
 * Loads the nDPI lists <cfg> names into a throwaway nDPI module, as an
 * engine lcore will at start, leaving out files that cannot be read.
 * Returns 0, or a negative errno with the file, the line when nDPI quotes
 * it, and the problem in <err>.
 */
int
vg_engine_check_ndpi_files(const struct vg_config *cfg, char *err,
			   size_t err_len);

/*
 * Creates an nDPI module with every protocol on and the lists <cfg> names
 * loaded. Returns NULL with the file, the line when nDPI quotes it, and
 * the problem in <err>.
 */
struct ndpi_detection_module_struct *
vg_ndpi_create(const struct vg_config *cfg, char *err, size_t err_len);

/*
 * Creates engine <index> from <cfg>: a flow table of cfg->flow_table_size
 * flows, an nDPI module loaded with the configured files, and the nDPI
 * state pool. Returns NULL with a message in <err> on failure.
 */
struct vg_engine *
vg_engine_create(const struct vg_config *cfg, unsigned int index,
		 vg_record_fn emit, void *emit_ctx, char *err, size_t err_len);

void
vg_engine_free(struct vg_engine *engine);

/*
 * Returns the memory, in bytes, outside EAL that vg_engine_create() takes
 * for a flow table of <table_size> flows: the table and the nDPI state
 * pool. The nDPI module itself is not counted.
 */
size_t
vg_engine_memory(uint32_t table_size);

/*
 * Accounts one parsed packet to its flow, creating the flow if needed, and
 * runs detection on it while detection lasts. <frame> is the whole frame
 * that <pkt> describes.
 */
void
vg_engine_packet(struct vg_engine *engine, struct vg_pkt *pkt,
		 const uint8_t *frame);

/*
 * Ends flows idle at <now_us>, looking at no more than <budget> queue
 * heads. Returns the number of flows ended.
 */
unsigned int
vg_engine_expire(struct vg_engine *engine, uint64_t now_us,
		 unsigned int budget);

/*
 * Ends idle flows in two steps, for a capture file read with plugins. A
 * due flow is first marked, which fires its protocolDetected (if still
 * under detection) and flowEnd, and it stays in the table. A later call
 * with <write_marked> writes the marked flows, once the sandboxes have
 * acknowledged their events. <mark_new> false leaves unmarked flows
 * alone. Looks at no more than <budget> heads per queue and returns the
 * number of flows this call marked.
 */
unsigned int
vg_engine_expire_marked(struct vg_engine *engine, uint64_t now_us,
			unsigned int budget, bool write_marked, bool mark_new);

/*
 * Adds status <status_id> (an id of vg_status_id()) with <score> to the
 * flow named by <flow_id>, and fires statusChanged. Returns 0; -ESTALE
 * when that flow has ended (counted in late_statuses); -EINVAL when the id
 * names no slot of this engine; -ENOSPC when the flow has no room for
 * another status (counted in statuses_full). A status the flow already
 * has changes nothing and returns 0.
 */
int
vg_engine_set_status(struct vg_engine *engine, uint64_t flow_id,
		     unsigned int status_id, unsigned int score);

/*
 * Before the final flush: ends detection on every flow still under it,
 * taking nDPI's guess, and fires flowEnd for every flow, so the statuses
 * protocolDetected and flowEnd set can reach the records that
 * vg_engine_flush() writes next.
 */
void
vg_engine_end_all_early(struct vg_engine *engine);

/*
 * Starts per-minute counting: from now on, each time packet time crosses a
 * minute boundary the closed minute goes to <fn>. Returns 0 or -ENOMEM.
 */
int
vg_engine_count_minutes(struct vg_engine *engine, vg_cut_fn fn, void *ctx);

/*
 * Moves the engine's clock to <now_us> when it is later, as when every
 * packet up to that time has been handled, closing the minutes it passes.
 */
void
vg_engine_advance(struct vg_engine *engine, uint64_t now_us);

/*
 * Closes the open minute for good (after vg_engine_flush): its cut says the
 * engine will count nothing more. <stopped>: vigild was stopped, so the
 * minute was watched only up to the engine's clock.
 */
void
vg_engine_minutes_done(struct vg_engine *engine, bool stopped);

/* Ends every flow (VG_END_FLUSH) and writes its record. */
void
vg_engine_flush(struct vg_engine *engine);

/*
 * Formats the record of <flow> ending for <reason> into <buf> as one JSON
 * line with its newline. Returns the length, or 0 if <buf> is too small.
 */
size_t
vg_engine_format_record(const struct vg_engine *engine,
			const struct vg_flow *flow, enum vg_flow_end reason,
			char *buf, size_t len);

#endif
