/*
 * The rx lcore loop.
 *
 * Per burst: receive, stamp, parse, hash, and hand each frame to the engine
 * lcore that owns its flow. Frames for one engine are gathered and
 * enqueued with one ring operation. A frame that fails to parse is counted
 * under its error kind and freed here; the engine never sees it.
 *
 * Packet times come from the port: net_pcap stamps each mbuf with the
 * capture file's time in microseconds. Other ports have no stamp, and
 * vg_capture_now_us() gives the wall-clock time of the burst.
 *
 * NOTE: with one rx and one engine lcore, this loop sets the packet rate,
 * not the engine. Its cost depends on how far apart the two CPUs are,
 * because each packet's summary crosses from one to the other. An AMD
 * virtual machine's two CPUs were sometimes about 470 ns apart (a cache
 * line's round trip). There, vigild with a two-line summary made 3.7 to
 * 4.4 million packets a second, and 5.3 to 5.7 million when the CPUs were
 * 130 ns apart. The summary is now one line, and that far state has not
 * been measured with it (docs/benchmarks.md).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_ring.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "capture.h"
#include "common/log.h"
#include "hash.h"
#include "pcap_time.h"

#define MAX_BURST 512
#define MAX_ENGINES VG_MAX_LCORES
/* A file port whose rx returns nothing for this long has ended. */
#define FILE_QUIET_US 1000000

void
vg_lcore_wait(bool shares_cpu)
{
	if (shares_cpu)
		sched_yield();
	else
		rte_pause();
}

struct staging {
	struct rte_mbuf *mbufs[MAX_BURST];
	unsigned int count;
};

/*
 * A summary parsed on this lcore's stack, then stored whole in the mbuf's
 * private area with non-temporal stores. An engine lcore read that area
 * last, so an ordinary store would first wait for the line to come back
 * from the other CPU, which takes a round trip between the two CPUs. A
 * non-temporal store writes the whole line without fetching it.
 */
union summary_buf {
	struct vg_pkt pkt;
	uint8_t room[VG_MBUF_PRIV_SIZE];
#if defined(__SSE2__)
	__m128i lanes[VG_MBUF_PRIV_SIZE / sizeof(__m128i)];
#endif
};

static_assert(VG_MBUF_PRIV_SIZE % 16 == 0,
	      "the summary is stored in 16-byte lanes");

/* Stores <buf> in the private area of <mbuf>, which is 16-byte aligned. */
static inline void
store_summary(struct rte_mbuf *mbuf, const union summary_buf *buf)
{
#if defined(__SSE2__)
	__m128i *dst = (__m128i *)vg_mbuf_pkt(mbuf);
	unsigned int i;

	for (i = 0; i < RTE_DIM(buf->lanes); i++)
		_mm_stream_si128(dst + i, buf->lanes[i]);
#else
	memcpy(vg_mbuf_pkt(mbuf), buf->room, sizeof(buf->room));
#endif
}

/*
 * Summaries parsed and not yet stored. Each is stored while the next frame
 * is parsed, because loading it right after the parse's narrow stores
 * would stall until those stores reach the cache.
 */
struct summary_slots {
	alignas(RTE_CACHE_LINE_SIZE) union summary_buf buf[2];
	struct rte_mbuf *held; /* the mbuf of buf[1 - next], or NULL */
	unsigned int next;     /* the buf the next frame is parsed into */
};

/* Stores the summary that is held back, if any, in its mbuf. */
static inline void
store_held(struct summary_slots *slots)
{
	if (slots->held != NULL) {
		store_summary(slots->held, &slots->buf[1 - slots->next]);
		slots->held = NULL;
	}
}

/*
 * Orders the summaries' non-temporal stores before the ring enqueue that
 * hands their mbufs over, because the ring's release store does not.
 */
static inline void
publish_summaries(void)
{
#if defined(__SSE2__)
	_mm_sfence();
#endif
}

static_assert(VG_MAX_PORTS <= 16 && (VG_MAX_PORTS & (VG_MAX_PORTS - 1)) == 0,
	      "a port index must fit the summary's 4-bit port_id");

struct rte_mbuf *
vg_capture_copy_frame(const struct vg_capture *capture, struct rte_mbuf *mbuf,
		      enum vg_copy_error *err)
{
	uint32_t len = rte_pktmbuf_pkt_len(mbuf);
	struct rte_mbuf *copy;
	const void *src;
	char *dst;

	if (len > UINT16_MAX) {
		*err = VG_COPY_OVERSIZE;
		return NULL;
	}
	copy = rte_pktmbuf_alloc(capture->copy_pool);
	if (copy == NULL) {
		*err = VG_COPY_NOMBUF;
		return NULL;
	}
	/*
	 * Nothing is ever prepended to a copy, so it needs no headroom, and
	 * the whole data room of 65535 bytes takes a frame of the largest
	 * length an IPv4 packet can have.
	 */
	copy->data_off = 0;
	dst = rte_pktmbuf_append(copy, (uint16_t)len);
	/* It returns the frame in place, without copying, when unchained. */
	src = dst == NULL ? NULL : rte_pktmbuf_read(mbuf, 0, len, dst);
	if (src == NULL) {
		rte_pktmbuf_free(copy);
		*err = VG_COPY_OVERSIZE;
		return NULL;
	}
	if (src != dst)
		memcpy(dst, src, len);
	/*
	 * Only the timestamp flag is carried over: the flags that mark an
	 * attached buffer would make rte_pktmbuf_free() detach the copy.
	 */
	copy->ol_flags = mbuf->ol_flags & capture->ts_flag;
	if (capture->ts_offset >= 0)
		*RTE_MBUF_DYNFIELD(copy, capture->ts_offset, uint64_t *) =
			*RTE_MBUF_DYNFIELD(mbuf, capture->ts_offset,
					   uint64_t *);
	*err = VG_COPY_OK;
	return copy;
}

/*
 * Returns the frame's time: the port's timestamp when it gave one, or
 * <burst_us>, the clock read once for the whole burst (a frame from a port
 * without timestamps is no more precise than its burst anyway).
 */
static uint64_t
packet_time(const struct vg_capture *capture, struct rte_mbuf *mbuf,
	    uint64_t burst_us)
{
	if (capture->ts_offset >= 0 && (mbuf->ol_flags & capture->ts_flag))
		return vg_pcap_time_us(*RTE_MBUF_DYNFIELD(
			mbuf, capture->ts_offset, uint64_t *));
	return burst_us;
}

struct vg_ring_return *
vg_ring_return_create(uint32_t ring_size, uint32_t burst, int socket)
{
	/* In flight: the ring's contents plus the burst the engine works on. */
	uint32_t slots = rte_align32pow2(ring_size + burst);
	struct vg_ring_return *path;

	path = rte_zmalloc_socket("vg_ring_return", sizeof(*path),
				  RTE_CACHE_LINE_SIZE, socket);
	if (path == NULL)
		return NULL;
	path->pending = rte_zmalloc_socket("vg_ring_pending",
					   slots * sizeof(*path->pending),
					   RTE_CACHE_LINE_SIZE, socket);
	if (path->pending == NULL) {
		rte_free(path);
		return NULL;
	}
	path->mask = slots - 1;
	return path;
}

size_t
vg_ring_return_memory(uint32_t ring_size, uint32_t burst)
{
	uint32_t slots = rte_align32pow2(ring_size + burst);

	return RTE_ALIGN_CEIL(sizeof(struct vg_ring_return),
			      RTE_CACHE_LINE_SIZE) +
	       (size_t)slots * sizeof(struct rte_mbuf *);
}

/* Frees the mbufs of one ring that its engine lcore has finished with. */
static void
reclaim_path(struct vg_ring_return *path)
{
	uint64_t done = atomic_load_explicit(&path->done, memory_order_acquire);

	while (path->freed < done) {
		uint32_t at = (uint32_t)path->freed & path->mask;
		uint64_t run = path->mask + 1 - at;

		if (run > done - path->freed)
			run = done - path->freed;
		rte_pktmbuf_free_bulk(path->pending + at, (unsigned int)run);
		path->freed += run;
	}
}

/* Frees the mbufs that every engine lcore has finished with. */
static void
reclaim(struct vg_rx_lcore *rx)
{
	unsigned int e;

	for (e = 0; e < rx->engine_count; e++)
		reclaim_path(rx->returns[e]);
}

uint32_t
vg_rx_in_flight_max(struct rte_mempool *pool, unsigned int rx_lcores,
		    uint16_t burst)
{
	struct rte_mempool_cache *cache =
		rte_mempool_default_cache(pool, rte_get_main_lcore());
	/* Each rx lcore's cache keeps up to its flush threshold of mbufs. */
	uint64_t cached = cache != NULL ?
				  (uint64_t)rx_lcores * cache->flushthresh :
				  0;
	uint64_t mbufs = pool->size;
	uint64_t share;

	if (rx_lcores == 0 || mbufs <= cached)
		return burst;
	share = (mbufs - cached) / rx_lcores;
	if (share < 2u * burst)
		return burst;
	return (uint32_t)(share - burst);
}

/* Returns the mbufs this lcore has enqueued that are not freed yet. */
static uint64_t
in_flight(const struct vg_rx_lcore *rx)
{
	uint64_t total = 0;
	unsigned int e;

	for (e = 0; e < rx->engine_count; e++)
		total += rx->returns[e]->sent - rx->returns[e]->freed;
	return total;
}

/* Returns true when every mbuf this lcore enqueued has been freed. */
static bool
all_reclaimed(const struct vg_rx_lcore *rx)
{
	unsigned int e;

	for (e = 0; e < rx->engine_count; e++) {
		if (rx->returns[e]->freed != rx->returns[e]->sent)
			return false;
	}
	return true;
}

/* Records <n> mbufs just enqueued on the ring of engine <e>. */
static void
note_sent(struct vg_rx_lcore *rx, unsigned int e, struct rte_mbuf **mbufs,
	  unsigned int n)
{
	struct vg_ring_return *path = rx->returns[e];
	unsigned int i;

	/*
	 * Mbufs the engine has not finished are at most the ring's contents
	 * plus its burst, which <pending> fits, so freeing the finished ones
	 * always makes room. Without this, several queues' bursts between
	 * two reclaim() calls could overwrite entries not yet freed.
	 */
	if (path->sent + n - path->freed > (uint64_t)path->mask + 1)
		reclaim_path(path);
	for (i = 0; i < n; i++)
		path->pending[(uint32_t)(path->sent + i) & path->mask] = mbufs[i];
	path->sent += n;
}

/*
 * Enqueues the staged frames of every engine. A lossless port waits for
 * room; otherwise what does not fit is dropped and counted.
 */
static void
flush_staging(struct vg_rx_lcore *rx, struct staging *staged, bool lossless)
{
	unsigned int e;

	publish_summaries();
	for (e = 0; e < rx->engine_count; e++) {
		struct staging *s = &staged[e];
		unsigned int sent = 0;

		while (sent < s->count) {
			unsigned int n;

			n = rte_ring_sp_enqueue_burst(rx->rings[e],
						      (void **)s->mbufs + sent,
						      s->count - sent, NULL);
			note_sent(rx, e, s->mbufs + sent, n);
			sent += n;
			if (sent == s->count)
				break;
			if (!lossless ||
			    atomic_load_explicit(&rx->capture->stop,
						 memory_order_relaxed)) {
				rx->counters.ring_full += s->count - sent;
				rte_pktmbuf_free_bulk(s->mbufs + sent,
						      s->count - sent);
				break;
			}
			reclaim(rx);
			vg_lcore_wait(rx->shares_cpu);
		}
		s->count = 0;
	}
}

/*
 * Holds a paced frame back until its time, relative to the first one.
 * Returns false when vigild is stopping before that time came: the frame
 * belongs to the part of the capture that was never replayed.
 */
static bool
pace(struct vg_rx_lcore *rx, struct staging *staged, uint64_t ts_us,
     uint64_t *ts0, uint64_t *wall0)
{
	struct vg_capture *capture = rx->capture;
	uint64_t now = vg_capture_now_us(capture);

	if (*ts0 == 0) {
		*ts0 = ts_us;
		*wall0 = now;
		return true;
	}
	if (ts_us <= *ts0)
		return true;
	if (ts_us - *ts0 <= now - *wall0)
		return true;

	flush_staging(rx, staged, true);
	while (ts_us - *ts0 > now - *wall0 &&
	       !atomic_load_explicit(&capture->stop, memory_order_relaxed)) {
		uint64_t wait = ts_us - *ts0 - (now - *wall0);

		rte_delay_us_sleep(wait > 100000 ? 100000 : (unsigned int)wait);
		now = vg_capture_now_us(capture);
	}
	return ts_us - *ts0 <= now - *wall0;
}

static unsigned int
engine_of(uint32_t hash, unsigned int engines)
{
	return (unsigned int)(((uint64_t)hash * engines) >> 32);
}

/*
 * Counts, parses and stages one frame. Its summary stays in <slots> until
 * the next frame's is parsed, or until store_held(). <latest_us> is the
 * burst's latest packet time so far, kept by the caller and raised here.
 */
static void
handle_frame(struct vg_rx_lcore *rx, const struct vg_port *port,
	     uint16_t port_index, struct rte_mbuf *mbuf,
	     struct staging *staged, struct summary_slots *slots,
	     uint64_t burst_us, uint64_t *latest_us)
{
	struct vg_parse_opts opts = { .linktype = port->linktype,
				      .tunnels = rx->tunnels };
	union summary_buf *buf = &slots->buf[slots->next];
	enum vg_parse_error err;
	struct vg_pkt *pkt;
	struct staging *s;
	uint64_t ts_us;

	rx->counters.packets++;
	rx->counters.bytes += rte_pktmbuf_pkt_len(mbuf);

	/*
	 * The engine finds the frame from the summary alone (vg_pkt_frame()),
	 * so a frame in a segment chain, or in a buffer that is not the
	 * mbuf's own, is copied into one that is.
	 */
	if (mbuf->nb_segs > 1 || !vg_mbuf_own_buffer(mbuf)) {
		enum vg_copy_error copy_err;
		struct rte_mbuf *copy =
			vg_capture_copy_frame(rx->capture, mbuf, &copy_err);

		rte_pktmbuf_free(mbuf);
		if (copy_err == VG_COPY_OVERSIZE)
			rx->counters.oversize++;
		else if (copy_err == VG_COPY_NOMBUF)
			rx->counters.copy_nombuf++;
		if (copy == NULL)
			return;
		mbuf = copy;
	}

	pkt = &buf->pkt;
	err = vg_parse(&opts, rte_pktmbuf_mtod(mbuf, const uint8_t *),
		       rte_pktmbuf_data_len(mbuf), pkt);
	if (err != VG_PARSE_OK) {
		rx->counters.parse_errors[err]++;
		rte_pktmbuf_free(mbuf);
		return;
	}
	ts_us = packet_time(rx->capture, mbuf, burst_us);
	if (ts_us > VG_PKT_TS_MAX)
		ts_us = VG_PKT_TS_MAX;
	pkt->ts_us = ts_us;
	pkt->data_off = mbuf->data_off;
	pkt->port_id = port_index & (VG_MAX_PORTS - 1);
	if (ts_us > *latest_us)
		*latest_us = ts_us;
	store_held(slots);
	slots->held = mbuf;
	slots->next = 1 - slots->next;

	s = rx->engine_count == 1 ?
		    &staged[0] :
		    &staged[engine_of(vg_pair_hash(pkt), rx->engine_count)];
	s->mbufs[s->count++] = mbuf;
}


/*
 * Ends a capture file that has delivered nothing for FILE_QUIET_US before
 * all the frames it held at start. Some of them were lost, most likely
 * because the file was cut short or replaced while it was read.
 */
static void
end_short_file(const struct vg_port *port, struct vg_rx_queue_ref *ref)
{
	ref->done = true;
	VG_WARN("capture",
		"port=%s device=%s frames_read=%" PRIu64 " frames_at_start=%" PRIu64 " the capture file ended before all its frames were read, most likely cut short or replaced while vigild read it",
		port->name, port->device, ref->received,
		port->expected_packets);
}

static bool
poll_queue(struct vg_rx_lcore *rx, struct vg_rx_queue_ref *ref,
	   struct staging *staged, struct summary_slots *slots,
	   uint64_t *quiet_since, uint64_t *ts0, uint64_t *wall0)
{
	struct vg_capture *capture = rx->capture;
	const struct vg_port *port = &capture->ports[ref->port_index];
	struct rte_mbuf *mbufs[MAX_BURST];
	uint64_t latest_us = rx->latest_us;
	uint64_t burst_us;
	uint16_t n;
	uint16_t i;

	if (port->lossless && in_flight(rx) + rx->burst > rx->in_flight_max) {
		reclaim(rx);
		if (in_flight(rx) + rx->burst > rx->in_flight_max)
			return false;
	}
	n = rte_eth_rx_burst(port->port_id, ref->queue_id, mbufs, rx->burst);
	if (n == 0) {
		if (port->lossless) {
			uint64_t now = vg_capture_now_us(capture);

			if (ref->received >= port->expected_packets)
				ref->done = true;
			else if (*quiet_since == 0)
				*quiet_since = now;
			else if (now - *quiet_since > FILE_QUIET_US)
				end_short_file(port, ref);
		}
		return false;
	}
	*quiet_since = 0;
	if (port->damaged && port->expected_packets - ref->received < n) {
		/*
		 * net_pcap goes on reading after a record libpcap rejected, from
		 * wherever that left the file, so what follows is framed by
		 * chance. The file ends at the damage, as in nDPI's reader,
		 * whose pcap_loop() call (example/ndpiReader.c) stops at the
		 * first error.
		 */
		uint16_t keep = (uint16_t)(port->expected_packets -
					   ref->received);

		rx->counters.after_damage += n - keep;
		rte_pktmbuf_free_bulk(mbufs + keep, n - keep);
		n = keep;
		ref->done = true;
		if (n == 0)
			return false;
	}
	ref->received += n;
	burst_us = vg_capture_now_us(capture);

	for (i = 0; i < n; i++) {
		if (port->pace) {
			/* pace() may hand the staged frames over. */
			store_held(slots);
			if (!pace(rx, staged,
				  packet_time(capture, mbufs[i], burst_us),
				  ts0, wall0)) {
				rx->counters.not_replayed += n - i;
				rte_pktmbuf_free_bulk(mbufs + i, n - i);
				break;
			}
		}
		handle_frame(rx, port, ref->port_index, mbufs[i], staged,
			     slots, burst_us, &latest_us);
	}
	store_held(slots);
	flush_staging(rx, staged, port->lossless);
	rx->latest_us = latest_us;
	/*
	 * NOTE: with several capture files on one rx lcore this is the
	 * latest time over all of them, so a file that lags behind another
	 * can still add packets to a minute engines have already closed;
	 * those count in the minute that is open when they arrive.
	 */
	atomic_store_explicit(&rx->handed_us, rx->latest_us,
			      memory_order_release);
	return true;
}

int
vg_rx_lcore_main(void *arg)
{
	struct vg_rx_lcore *rx = arg;
	struct vg_capture *capture = rx->capture;
	static __thread struct staging staged[MAX_ENGINES];
	/* Zeroed, so the bytes past each summary are stored as zeros. */
	static __thread struct summary_slots slots;
	uint64_t quiet_since[VG_MAX_QUEUES_PER_LCORE] = { 0 };
	uint64_t ts0[VG_MAX_QUEUES_PER_LCORE] = { 0 };
	uint64_t wall0[VG_MAX_QUEUES_PER_LCORE] = { 0 };
	unsigned int q;

	if (rx->burst > MAX_BURST)
		rx->burst = MAX_BURST;

	while (!atomic_load_explicit(&capture->stop, memory_order_relaxed)) {
		unsigned int active = 0;
		bool received = false;

		reclaim(rx);
		for (q = 0; q < rx->queue_count; q++) {
			if (rx->queues[q].done)
				continue;
			active++;
			if (poll_queue(rx, &rx->queues[q], staged, &slots,
				       &quiet_since[q], &ts0[q], &wall0[q]))
				received = true;
		}
		if (active == 0)
			break;
		if (!received && rx->shares_cpu)
			vg_lcore_wait(true);
	}
	atomic_store(&rx->done, true);
	/* The engines still own mbufs from this lcore until they drain. */
	while (!all_reclaimed(rx) &&
	       !atomic_load_explicit(&capture->stop, memory_order_relaxed)) {
		reclaim(rx);
		vg_lcore_wait(rx->shares_cpu);
	}
	return 0;
}
