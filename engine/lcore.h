/*
 * Engine lcores under EAL: the loop that feeds vg_engine from the rings,
 * and the buffers that carry flow records to the control thread.
 *
 * Records are written into 1 MiB buffers; a buffer goes to the control
 * thread through a ring when it is full or has held records for
 * RECORD_FLUSH_NS, and comes back empty through another, so the engine
 * never touches a file. With a capture file as input the engine
 * waits for an empty buffer (nothing may be lost); on a live port a record
 * that finds no buffer is dropped and counted.
 */
#ifndef VG_ENGINE_LCORE_H
#define VG_ENGINE_LCORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "capture/capture.h"
#include "engine.h"
#include "events.h"

#define VG_RECORD_BUF_SIZE (1u << 20)
#define VG_RECORD_BUFS 8

/* Packets an engine lcore takes from a ring at a time. */
#define VG_ENGINE_BURST 64

struct vg_record_buf {
	size_t used;
	char data[VG_RECORD_BUF_SIZE];
};

struct vg_engine_lcore {
	unsigned int index;
	struct vg_engine *engine;
	struct vg_capture *capture;
	struct rte_ring **rings;       /* one from each rx lcore */
	struct vg_ring_return **returns; /* one from each rx lcore */
	struct vg_rx_lcore *rx;        /* to see when every rx lcore is done */
	unsigned int rx_count;
	bool lossless;                 /* wait for record buffers */
	bool live;                     /* advance time from the clock when idle */
	bool shares_cpu;               /* another lcore is pinned to its CPU */

	struct rte_ring *full;         /* engine -> control thread */
	struct rte_ring *empty;        /* control thread -> engine */
	struct vg_record_buf *current;
	uint64_t current_since_ns;     /* first record in <current>, 0 if none */
	atomic_bool done;              /* flushed and exited */
	/*
	 * Reading a capture file with plugins: flows marked to end wait for
	 * the sandboxes' answers to what <marked> notes, for at most
	 * await_ns. After a wait that ran out, flows end at once until the
	 * answers catch up (results_behind).
	 */
	struct vg_events_mark marked;
	bool marked_pending;
	uint64_t marked_ns;            /* when <marked> was taken */
	uint64_t await_ns;
	bool results_behind;
	_Atomic uint64_t await_timeouts;
	uint64_t done_us;              /* vg_capture_now_us() when done was set */

	/* Plugins: events out, statuses in (NULL when plugins are off). */
	struct vg_event_out *events;
	struct rte_ring *statuses;     /* control thread -> engine */
	atomic_bool waiting_settle;    /* input done, waiting for results */
	atomic_bool settled;           /* control thread: results all in */

	/* Minute cuts to the control thread (NULL when nothing reads them). */
	struct rte_ring *cuts;
	_Atomic uint64_t cuts_dropped; /* ring full on a live port */
};

/*
 * Creates the record rings and buffers of <lcore>. Returns 0 or a negative
 * errno.
 */
int
vg_engine_lcore_init(struct vg_engine_lcore *lcore);

/*
 * Returns the EAL memory, in bytes, that vg_engine_lcore_init() takes for
 * one engine lcore: its record buffers and rings, and its status ring
 * when <plugins> run.
 */
size_t
vg_engine_lcore_memory(bool plugins);

/* The vg_record_fn that writes into <ctx>, a struct vg_engine_lcore. */
int
vg_engine_lcore_emit(void *ctx, const char *line, size_t len);

/* The vg_cut_fn that queues a minute cut for the control thread. */
void
vg_engine_lcore_cut(void *ctx, struct vg_minute_cut *cut);

/* Entry point of an engine lcore; <arg> is its struct vg_engine_lcore. */
int
vg_engine_lcore_main(void *arg);

#endif
