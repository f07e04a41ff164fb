/*
 * The engine lcore loop: dequeue from every rx ring, account, detect, and
 * between bursts scan a little of the expiry queues. When every rx lcore
 * is done and the rings are empty (a capture file has been read), or when
 * the control thread asks to stop, the engine flushes all flows and exits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "common/log.h"
#include "lcore.h"
#include "minute.h"

#define PREFETCH_AHEAD 4    /* mbufs fetched ahead of the one processed */
#define EXPIRE_EVERY 16     /* bursts between two expiry scans */
#define EXPIRE_BUDGET 64    /* queue heads looked at per scan */
#define STATUS_RING_SIZE 16384
#define RECORD_FLUSH_NS 200000000ull /* oldest record a buffer keeps */
#define STATUS_BURST 64
#define CUT_RING_SIZE 256

int
vg_engine_lcore_init(struct vg_engine_lcore *lcore)
{
	char name[RTE_RING_NAMESIZE];
	unsigned int i;

	snprintf(name, sizeof(name), "vg_rec_full%u", lcore->index);
	lcore->full = rte_ring_create(name, VG_RECORD_BUFS * 2, SOCKET_ID_ANY,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "vg_rec_empty%u", lcore->index);
	lcore->empty = rte_ring_create(name, VG_RECORD_BUFS * 2, SOCKET_ID_ANY,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (lcore->full == NULL || lcore->empty == NULL)
		return -ENOMEM;
	if (lcore->events != NULL) {
		snprintf(name, sizeof(name), "vg_status%u", lcore->index);
		lcore->statuses = rte_ring_create_elem(name,
			sizeof(struct vg_status_msg), STATUS_RING_SIZE,
			SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (lcore->statuses == NULL)
			return -ENOMEM;
	}
	snprintf(name, sizeof(name), "vg_cuts%u", lcore->index);
	lcore->cuts = rte_ring_create(name, CUT_RING_SIZE, SOCKET_ID_ANY,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (lcore->cuts == NULL)
		return -ENOMEM;

	for (i = 0; i < VG_RECORD_BUFS; i++) {
		struct vg_record_buf *buf = rte_malloc("vg_records",
						       sizeof(*buf), 64);

		if (buf == NULL)
			return -ENOMEM;
		buf->used = 0;
		if (i == 0)
			lcore->current = buf;
		else
			rte_ring_enqueue(lcore->empty, buf);
	}
	return 0;
}

size_t
vg_engine_lcore_memory(bool plugins)
{
	size_t bytes = 0;

	bytes += 2 * (size_t)rte_ring_get_memsize(VG_RECORD_BUFS * 2);
	bytes += (size_t)rte_ring_get_memsize(CUT_RING_SIZE);
	bytes += VG_RECORD_BUFS * RTE_ALIGN_CEIL(sizeof(struct vg_record_buf),
						 RTE_CACHE_LINE_SIZE);
	if (plugins)
		bytes += (size_t)rte_ring_get_memsize_elem(
			sizeof(struct vg_status_msg), STATUS_RING_SIZE);
	return bytes;
}

/* Hands the current buffer over and takes an empty one. */
static int
swap_buffer(struct vg_engine_lcore *lcore)
{
	void *next;

	while (rte_ring_dequeue(lcore->empty, &next) != 0) {
		if (!lcore->lossless)
			return -ENOBUFS;
		rte_pause();
	}
	/* The full ring holds every buffer there is, so this cannot fail. */
	rte_ring_enqueue(lcore->full, lcore->current);
	lcore->current = next;
	lcore->current->used = 0;
	lcore->current_since_ns = 0;
	return 0;
}

/*
 * Hands over a buffer that has held records for RECORD_FLUSH_NS, so a
 * quiet link's records reach the file within a fraction of a second rather
 * than when 1 MiB has built up. Never waits for an empty buffer.
 */
static void
flush_old_records(struct vg_engine_lcore *lcore)
{
	bool lossless = lcore->lossless;

	if (lcore->current_since_ns == 0 ||
	    vg_events_now_ns() - lcore->current_since_ns < RECORD_FLUSH_NS)
		return;
	lcore->lossless = false;
	swap_buffer(lcore);
	lcore->lossless = lossless;
}

int
vg_engine_lcore_emit(void *ctx, const char *line, size_t len)
{
	struct vg_engine_lcore *lcore = ctx;
	struct vg_record_buf *buf = lcore->current;

	if (buf->used + len > sizeof(buf->data)) {
		if (swap_buffer(lcore) != 0)
			return -ENOBUFS;
		buf = lcore->current;
	}
	memcpy(buf->data + buf->used, line, len);
	buf->used += len;
	if (lcore->current_since_ns == 0)
		lcore->current_since_ns = vg_events_now_ns();
	return 0;
}

static bool
all_rx_done(const struct vg_engine_lcore *lcore)
{
	unsigned int i;

	for (i = 0; i < lcore->rx_count; i++) {
		if (!atomic_load(&lcore->rx[i].done))
			return false;
	}
	return true;
}

/*
 * Fetches the line of an mbuf's parsed summary, which the rx lcore wrote
 * last on another CPU. The engine never reads the mbuf header.
 */
static inline void
prefetch_mbuf(struct rte_mbuf *mbuf)
{
	rte_prefetch0(vg_mbuf_pkt(mbuf));
}

static unsigned int
drain_rings(struct vg_engine_lcore *lcore)
{
	struct rte_mbuf *mbufs[VG_ENGINE_BURST];
	unsigned int total = 0;
	unsigned int r;

	for (r = 0; r < lcore->rx_count; r++) {
		unsigned int n = rte_ring_sc_dequeue_burst(lcore->rings[r],
							   (void **)mbufs,
							   VG_ENGINE_BURST, NULL);
		unsigned int i;

		for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
			prefetch_mbuf(mbufs[i]);
		for (i = 0; i < n; i++) {
			if (i + PREFETCH_AHEAD < n)
				prefetch_mbuf(mbufs[i + PREFETCH_AHEAD]);
			struct vg_pkt *pkt = vg_mbuf_pkt(mbufs[i]);

			vg_engine_packet(lcore->engine, pkt, vg_pkt_frame(pkt));
		}
		if (n > 0) {
			/* The rx lcore frees these mbufs once it reads this. */
			struct vg_ring_return *path = lcore->returns[r];
			uint64_t done = atomic_load_explicit(&path->done,
							      memory_order_relaxed);

			atomic_store_explicit(&path->done, done + n,
					      memory_order_release);
		}
		total += n;
	}
	return total;
}

void
vg_engine_lcore_cut(void *ctx, struct vg_minute_cut *cut)
{
	struct vg_engine_lcore *lcore = ctx;

	/*
	 * A capture file waits for the control thread, which reads this ring
	 * every tick; a live port cannot, and loses the minute instead.
	 */
	while (rte_ring_sp_enqueue(lcore->cuts, cut) != 0) {
		if (!lcore->lossless) {
			atomic_fetch_add(&lcore->cuts_dropped, 1);
			vg_minute_cut_free(cut);
			return;
		}
		rte_pause();
	}
}

/*
 * The packet time every rx lcore has handed over, for a capture file's
 * engine lcore whose rings are empty; 0 when an rx lcore has handed
 * nothing yet. Rx lcores that are done no longer hold the time back.
 */
static uint64_t
rx_handed_us(const struct vg_engine_lcore *lcore)
{
	uint64_t t = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < lcore->rx_count; i++) {
		const struct vg_rx_lcore *rx = &lcore->rx[i];
		uint64_t handed = atomic_load_explicit(&rx->handed_us,
						       memory_order_acquire);

		if (atomic_load(&rx->done) && handed != 0)
			continue;
		if (handed < t)
			t = handed;
	}
	return t == UINT64_MAX ? 0 : t;
}

/* Applies the statuses plugins set; returns how many were dequeued. */
static unsigned int
apply_statuses(struct vg_engine_lcore *lcore)
{
	struct vg_status_msg msgs[STATUS_BURST];
	unsigned int n;
	unsigned int i;

	if (lcore->statuses == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst_elem(lcore->statuses, msgs,
					   sizeof(msgs[0]), STATUS_BURST, NULL);
	for (i = 0; i < n; i++)
		vg_engine_set_status(lcore->engine, msgs[i].flow_id,
				     msgs[i].status_id, msgs[i].score);
	return n;
}

/*
 * With plugins, waits before the final flush until the control thread
 * reports that every event sent so far has been handled and its statuses
 * delivered, so a capture file's records carry the statuses its flows got.
 */
static void
settle(struct vg_engine_lcore *lcore)
{
	if (lcore->events == NULL)
		return;
	/*
	 * Detection ends now for flows still under it, and flowEnd fires for
	 * all, so that the statuses these hooks set make it into the records.
	 */
	vg_engine_end_all_early(lcore->engine);
	vg_events_flush_idle(lcore->events, true);
	atomic_store(&lcore->waiting_settle, true);
	while (!atomic_load(&lcore->settled)) {
		if (apply_statuses(lcore) == 0) {
			vg_events_flush_idle(lcore->events, true);
			rte_pause();
		}
	}
	while (apply_statuses(lcore) > 0)
		;
}

/* Records that the sandboxes did not acknowledge within await_ns. */
static void
fall_behind(struct vg_engine_lcore *lcore)
{
	lcore->results_behind = true;
	atomic_fetch_add(&lcore->await_timeouts, 1);
}

/*
 * The engine's await_fn: waits until the sandboxes have acknowledged every
 * event sent so far and applies the statuses they set, for at most
 * await_ns, and not at all while results are behind.
 */
static void
await_results(void *ctx)
{
	struct vg_engine_lcore *lcore = ctx;
	struct vg_events_mark mark;
	uint64_t start = vg_events_now_ns();

	vg_events_mark(lcore->events, &mark);
	while (!lcore->results_behind &&
	       !vg_events_answered(lcore->events, &mark)) {
		if (apply_statuses(lcore) > 0)
			continue;
		if (vg_events_now_ns() - start > lcore->await_ns) {
			/* Marked flows now end at once. This mark shows when
			 * the acknowledgements have caught up. */
			lcore->marked = mark;
			lcore->marked_pending = false;
			fall_behind(lcore);
		} else {
			rte_pause();
		}
	}
	while (apply_statuses(lcore) > 0)
		;
}

/*
 * Ends the flows that are due. On a live port, at once. Reading a capture
 * file with plugins, in two steps so that the records carry the statuses
 * protocolDetected and flowEnd set, however fast the file is read,
 * without stopping capture: due flows are marked (their hooks fire), and
 * written at a later scan, once the sandboxes have acknowledged what was sent
 * up to the marking. One set of marked flows is pending at a time.
 */
static void
expire(struct vg_engine_lcore *lcore)
{
	struct vg_engine *engine = lcore->engine;

	if (lcore->events == NULL || lcore->live) {
		vg_engine_expire(engine, engine->now_us, EXPIRE_BUDGET);
		return;
	}
	/* Nothing changes before the next scan is due. */
	if (engine->now_us < engine->next_expire_us)
		return;
	if (lcore->marked_pending && !lcore->results_behind) {
		if (vg_events_answered(lcore->events, &lcore->marked)) {
			lcore->marked_pending = false;
		} else if (vg_events_now_ns() - lcore->marked_ns >
			   lcore->await_ns) {
			fall_behind(lcore);
			lcore->marked_pending = false;
		}
		while (apply_statuses(lcore) > 0)
			;
	}
	if (lcore->results_behind) {
		if (!vg_events_answered(lcore->events, &lcore->marked)) {
			/*
			 * The acknowledgements are late: flows end at once, as
			 * on a live port, until the sandboxes have acknowledged what
			 * <marked> notes.
			 */
			vg_engine_expire(engine, engine->now_us, EXPIRE_BUDGET);
			return;
		}
		lcore->results_behind = false;
	}
	/*
	 * With no set pending, every marked flow is acknowledged: write
	 * those that are due, and mark the next set.
	 */
	if (vg_engine_expire_marked(engine, engine->now_us, EXPIRE_BUDGET,
				    !lcore->marked_pending,
				    !lcore->marked_pending) > 0) {
		vg_events_mark(lcore->events, &lcore->marked);
		lcore->marked_pending = true;
		lcore->marked_ns = vg_events_now_ns();
	}
}

int
vg_engine_lcore_main(void *arg)
{
	struct vg_engine_lcore *lcore = arg;
	struct vg_engine *engine = lcore->engine;
	unsigned int bursts = 0;

	if (lcore->events != NULL && !lcore->live) {
		engine->await_fn = await_results;
		engine->await_ctx = lcore;
	}

	for (;;) {
		unsigned int n = drain_rings(lcore);

		apply_statuses(lcore);
		if (n > 0) {
			if (++bursts % EXPIRE_EVERY == 0) {
				expire(lcore);
				vg_events_flush_idle(lcore->events, false);
				flush_old_records(lcore);
			}
			continue;
		}

		/* Read the rx flags before the last look at the rings. */
		if (all_rx_done(lcore) && drain_rings(lcore) == 0)
			break;

		if (lcore->live) {
			vg_engine_advance(engine,
					  vg_capture_now_us(lcore->capture));
		} else {
			/* Read the time before the look at the rings. */
			uint64_t handed = rx_handed_us(lcore);

			if (handed != 0 && drain_rings(lcore) == 0)
				vg_engine_advance(engine, handed);
		}
		expire(lcore);
		vg_events_flush_idle(lcore->events, false);
		flush_old_records(lcore);
		vg_lcore_wait(lcore->shares_cpu);
	}

	settle(lcore);
	vg_engine_flush(engine);
	vg_engine_minutes_done(engine, atomic_load(&lcore->capture->stop));
	vg_events_flush_idle(lcore->events, true);
	/* Statuses still queued are for flows just written: counted late. */
	while (apply_statuses(lcore) > 0)
		;
	if (lcore->current->used > 0) {
		lcore->lossless = true;
		swap_buffer(lcore);
	}
	if (atomic_load(&lcore->await_timeouts) > 0)
		VG_WARN("engine", "engine=%u waits for plugin results ran out %" PRIu64
			" times: flows ended then may lack statuses",
			lcore->index, atomic_load(&lcore->await_timeouts));
	lcore->done_us = vg_capture_now_us(lcore->capture);
	atomic_store(&lcore->done, true);
	return 0;
}
