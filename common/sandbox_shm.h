/*
 * The shared-memory region between vigild and one vigil-sandbox process.
 *
 * vigild creates the region with memfd_create(), lays out its rings and
 * passes the descriptor to the sandbox it spawns. Ring i < engine_count
 * carries flow events from engine lcore i; the next one carries snapshots
 * and hook calls from the control thread; the last one carries results
 * back. Each ring is one producer and one consumer, as shm_ring.h needs.
 *
 * Two eventfds go with the region: "to_sandbox" wakes the sandbox when any
 * of its input rings gets a message while it sleeps, "to_vigild" wakes
 * vigild's control thread when results arrive.
 */
#ifndef VG_SANDBOX_SHM_H
#define VG_SANDBOX_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "common/shm_ring.h"

#define VG_SANDBOX_SHM_MAGIC 0x7669676cu /* "vigl" */
#define VG_SANDBOX_SHM_VERSION 2u
#define VG_SANDBOX_MAX_RINGS 66 /* 64 engine lcores, control, results */
#define VG_SANDBOX_LOADING_LEN 64 /* a plugin name and its NUL */

/*
 * Written by the sandbox, read by vigild's supervisor: which batch and
 * which plugin script the sandbox is running now. vigild uses it only to
 * time batches and to name the script a killed sandbox was running, so a
 * sandbox that writes nonsense here hurts only itself.
 */
struct vg_sandbox_status {
	_Atomic uint64_t batch_start_ns; /* CLOCK_MONOTONIC, 0 when idle */
	_Atomic uint64_t batches;        /* input batches handled */
	_Atomic uint64_t events;         /* flow events and snapshots handled */
	_Atomic uint32_t script;         /* index of the running script + 1, 0 none */
	_Atomic uint32_t ready;          /* 1 once plugins are loaded and seccomp is on */
	/*
	 * Name of the plugin whose files or setup() run while the sandbox
	 * loads, "" between plugins and when the name does not fit. vigild
	 * reads it only from a sandbox it killed or that exited before it
	 * was ready.
	 */
	char loading[VG_SANDBOX_LOADING_LEN];
	/*
	 * Acknowledgements, so an engine lcore reading a capture file can
	 * wait for the statuses of a flow's events before writing its
	 * record: handled_seq[r] is the seq of the last event batch of input
	 * ring r that was handled, and results_at[r] (stored first) the seq
	 * of the last result batch written to the result ring by then. A
	 * sandbox writing nonsense here only makes vigild wait longer, up to
	 * its deadline, or not at all.
	 */
	_Atomic uint64_t results_at[VG_SANDBOX_MAX_RINGS];
	_Atomic uint64_t handled_seq[VG_SANDBOX_MAX_RINGS];
};

struct vg_sandbox_shm_header {
	uint32_t magic;
	uint32_t version;
	uint32_t engine_count;
	uint32_t ring_count;            /* engine_count + 2 */
	uint64_t total_bytes;
	uint64_t ring_offset[VG_SANDBOX_MAX_RINGS];
	_Alignas(64) struct vg_sandbox_status status;
};

struct vg_sandbox_shm {
	int fd;
	void *base;
	size_t len;
	unsigned int engine_count;
	struct vg_shm_ring_ref rings[VG_SANDBOX_MAX_RINGS];
	struct vg_sandbox_status *status; /* in the shared header */
};

/* Returns the ring from engine lcore <engine>, the control ring, the results. */
static inline struct vg_shm_ring_ref *
vg_sandbox_shm_engine_ring(struct vg_sandbox_shm *shm, unsigned int engine)
{
	return &shm->rings[engine];
}

static inline struct vg_shm_ring_ref *
vg_sandbox_shm_control_ring(struct vg_sandbox_shm *shm)
{
	return &shm->rings[shm->engine_count];
}

static inline struct vg_shm_ring_ref *
vg_sandbox_shm_result_ring(struct vg_sandbox_shm *shm)
{
	return &shm->rings[shm->engine_count + 1];
}

/*
 * Creates a region with one ring per engine lcore (<event_bytes> data
 * bytes each), a control ring and a result ring (<result_bytes> each).
 * Returns 0, -EINVAL for sizes shm_ring.h rejects or too many engines, or
 * -errno from memfd_create(), ftruncate() or mmap().
 */
int
vg_sandbox_shm_create(struct vg_sandbox_shm *shm, unsigned int engine_count,
		      uint32_t event_bytes, uint32_t result_bytes);

/*
 * Maps the region behind <fd> in a sandbox and checks its header: magic,
 * version, ring count, and every ring inside the region with a valid size.
 * Returns 0, -EBADMSG for a header that fails a check, or -errno.
 */
int
vg_sandbox_shm_attach(struct vg_sandbox_shm *shm, int fd);

/* Unmaps the region and closes its descriptor. */
void
vg_sandbox_shm_close(struct vg_sandbox_shm *shm);

#endif
