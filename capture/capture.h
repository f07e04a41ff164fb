/*
 * Capture: EAL start-up, ports and the rx lcores that poll them.
 *
 * Each rx lcore polls its share of the (port, queue) pairs in bursts,
 * parses every frame into the vg_pkt summary kept in the mbuf's private
 * area, hashes it symmetrically and enqueues it on the ring of the engine
 * lcore that owns the flow. Rings are single-producer single-consumer, one
 * per (rx lcore, engine lcore) pair, so no two lcores ever write one.
 *
 * A capture file is lossless: when a ring is full the rx lcore waits for
 * room. A live port is not: the frame is dropped and counted, since a wire
 * does not wait.
 */
#ifndef VG_CAPTURE_H
#define VG_CAPTURE_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "common/config.h"
#include "parse.h"

struct rte_mempool;
struct rte_ring;
struct rte_mbuf;

#define VG_MAX_QUEUES_PER_LCORE 64

struct vg_port {
	uint16_t port_id;
	uint16_t rx_queues;
	uint32_t linktype;          /* VG_LINK_* of the frames it delivers */
	bool lossless;              /* capture file: wait for ring room */
	bool pace;                  /* release frames at their capture times */
	uint64_t expected_packets;  /* frames in the file, UINT64_MAX if endless */
	/*
	 * The file has a record libpcap cannot read after expected_packets
	 * frames. What the driver delivers after that is not trusted.
	 */
	bool damaged;
	/* Records of the file whose caplen is larger than their wire length. */
	uint64_t caplen_over_len;
	char name[64];
	char device[96];            /* DPDK device name */
};

struct vg_rx_counters {
	uint64_t packets;
	uint64_t bytes;
	uint64_t parse_errors[VG_PARSE_ERROR_COUNT];
	uint64_t ring_full;   /* live frames dropped on a full engine ring */
	uint64_t oversize;    /* frames too large to copy into one mbuf */
	uint64_t copy_nombuf; /* frames to copy with no mbuf to copy into */
	uint64_t after_damage; /* frames read after a damaged file record */
	uint64_t not_replayed; /* paced frames not yet due when vigild stopped */
};

struct vg_rx_queue_ref {
	uint16_t port_index;
	uint16_t queue_id;
	uint64_t received;
	bool done;
};

struct vg_capture;

/* Size of each lcore's cache of the packet pool, in mbufs. */
#define VG_MBUF_CACHE 256

/*
 * EAL memory, in bytes, that vigild allocates for a configuration, by
 * use. memory.size_mb (EAL's -m) must hold the total.
 */
struct vg_eal_memory {
	size_t packet_pool;  /* memory.mbufs mbufs, with the pool's driver */
	size_t copy_pool;    /* one-segment copies of jumbo frames */
	size_t rings;        /* rx-to-engine rings and their return paths */
	size_t engines;      /* engine lcores' record buffers and rings */
	size_t margin;       /* EAL's own allocations and headers */
	size_t total;
};

/*
 * Fills the packet_pool and copy_pool parts of <m> with what
 * vg_capture_setup() allocates from EAL memory for <cfg>. The vdev
 * drivers' queues take a few KiB, left to the margin. PCI ports'
 * descriptor rings are not counted: PCI ports need hugepages, and EAL
 * then takes more hugepages when its memory runs short.
 * NOTE: a net_pcap vdev with infinite_rx=1 also makes a ring of 8 bytes
 * per frame of its file (rounded up to a power of two), which is not
 * counted: a large file can still fail at start past the margin.
 */
void
vg_capture_eal_memory(const struct vg_config *cfg, struct vg_eal_memory *m);

/*
 * Returns the in-flight limit (vg_rx_lcore.in_flight_max) of each of
 * <rx_lcores> rx lcores that share <pool> and receive in bursts of <burst>.
 */
uint32_t
vg_rx_in_flight_max(struct rte_mempool *pool, unsigned int rx_lcores,
		    uint16_t burst);

/*
 * The return path of one rx-to-engine ring. The engine lcore publishes how
 * many packets it has finished with, and the rx lcore frees their mbufs
 * itself. The engine reads only the parsed summary of an mbuf, so the mbuf
 * header lines stay in the rx CPU's cache for the driver's next write.
 */
struct vg_ring_return {
	/* Packets the engine lcore has finished with; only it writes this. */
	alignas(64) _Atomic uint64_t done;
	/* The rest belongs to the rx lcore, on a cache line of its own. */
	alignas(64) uint64_t sent;    /* packets enqueued on the ring */
	uint64_t freed;               /* packets whose mbufs were freed */
	uint32_t mask;                /* size of <pending> minus one */
	struct rte_mbuf **pending;    /* mbufs enqueued, in ring order */
};

/*
 * Allocates the return path of a ring of <ring_size> slots, consumed in
 * bursts of at most <burst>. Returns NULL when an allocation fails.
 */
struct vg_ring_return *
vg_ring_return_create(uint32_t ring_size, uint32_t burst, int socket);

/*
 * Returns the EAL memory, in bytes, of one return path made by
 * vg_ring_return_create(<ring_size>, <burst>).
 */
size_t
vg_ring_return_memory(uint32_t ring_size, uint32_t burst);

/*
 * Lets an lcore wait a moment for another one. An lcore alone on its CPU
 * spins. One that shares its CPU with another lcore gives the CPU up
 * instead, because the lcore it waits for may be the one beside it, which
 * runs only when the scheduler takes the CPU from the waiter: spinning
 * would leave both lcores idle for the rest of the waiter's time slice.
 */
void
vg_lcore_wait(bool shares_cpu);

struct vg_rx_lcore {
	unsigned int index;
	struct vg_capture *capture;
	struct vg_rx_queue_ref queues[VG_MAX_QUEUES_PER_LCORE];
	unsigned int queue_count;
	struct rte_ring **rings;      /* one per engine lcore */
	struct vg_ring_return **returns; /* one per engine lcore */
	unsigned int engine_count;
	uint16_t burst;
	/*
	 * Maximum mbufs this lcore may have handed to engines and not yet freed
	 * when it reads a capture file. Past it the lcore waits, because
	 * net_pcap drops a frame it has read when no mbuf is left for it.
	 */
	uint32_t in_flight_max;
	uint32_t tunnels;

	bool shares_cpu;              /* another lcore is pinned to its CPU */

	/*
	 * Written by this lcore for every frame, read by the control thread
	 * once a second.
	 */
	alignas(64) struct vg_rx_counters counters;
	uint64_t latest_us;           /* rx lcore only */

	/*
	 * Read by the engine lcores whenever their rings are empty. These
	 * fields get a cache line of their own, so those reads do not take
	 * away the lines this lcore writes for every frame.
	 */
	alignas(64) atomic_bool done; /* every queue is a finished file */
	/*
	 * Latest packet time this lcore has handed to the engine rings,
	 * published after the packets: an engine lcore whose rings are empty
	 * has seen every packet of this lcore up to that time.
	 */
	_Atomic uint64_t handed_us;
};

struct vg_capture {
	const struct vg_config *cfg;
	struct vg_port ports[VG_MAX_PORTS];
	unsigned int port_count;
	struct rte_mempool *pool;
	struct rte_mempool *copy_pool; /* one-segment copies of jumbo frames */
	int ts_offset;                 /* mbuf timestamp dynfield, or -1 */
	uint64_t ts_flag;
	atomic_bool stop;              /* set by the control thread */
	uint64_t mono_base_ns;         /* monotonic and wall time at start-up */
	uint64_t wall_base_us;
};

/*
 * Builds the EAL arguments for <cfg> and starts EAL, routing DPDK's log
 * through vigil's logger. <prefix> makes the EAL file prefix unique.
 * Returns 0 or a negative errno, with a message logged.
 */
int
vg_eal_start(const struct vg_config *cfg, const char *argv0);

/*
 * Checks the vdev string <device> as rte_eal_init() checks a --vdev
 * argument, with rte_devargs_parse() over the drivers EAL loads at start:
 * the name before the first comma must start with a driver's name or
 * alias, such as net_pcap. Loads those drivers first, once per process,
 * and leaves them loaded for EAL. Returns 0 when EAL would parse
 * <device>, and also when a driver plugin does not load, since the
 * drivers are then not known and EAL fails to start by itself. Otherwise
 * returns -ENODEV with the reason, quoting <device>, in <problem>.
 */
int
vg_eal_check_vdev(const char *device, char *problem, size_t len);

/* Releases EAL resources. */
void
vg_eal_stop(void);

/*
 * Creates the mbuf pools, configures and starts every port of <cfg>, and
 * counts the frames of capture files. Returns 0 or a negative errno.
 */
int
vg_capture_setup(struct vg_capture *capture, const struct vg_config *cfg);

/*
 * Opens the capture file <path> with libpcap, as net_pcap does when EAL
 * probes the port, and closes it. Reads the file header (for pcapng, up
 * to the first interface description block) but no frame. Returns 0, or
 * -1 with libpcap's reason and the path in <problem>.
 */
int
vg_capture_check_file(const char *path, char *problem, size_t len);

/* Stops and closes every port. */
void
vg_capture_close(struct vg_capture *capture);

/* Spreads the (port, queue) pairs over <count> rx lcores round-robin. */
void
vg_capture_assign_queues(struct vg_capture *capture, struct vg_rx_lcore *rx,
			 unsigned int count);

/* Entry point of an rx lcore; <arg> is its struct vg_rx_lcore. */
int
vg_rx_lcore_main(void *arg);

/*
 * Size of each mbuf's private area, which contains the parsed summary. It
 * is one cache line, so the summary is stored as a whole line and the
 * frame after the headroom starts on a line boundary.
 */
#define VG_MBUF_PRIV_SIZE \
	RTE_ALIGN(sizeof(struct vg_pkt), RTE_CACHE_LINE_SIZE)

static_assert(sizeof(struct vg_pkt) == 64,
	      "the summary must fill one 64-byte cache line");

/* Returns the summary in the private area of <mbuf>. */
static inline struct vg_pkt *
vg_mbuf_pkt(struct rte_mbuf *mbuf)
{
	return (struct vg_pkt *)rte_mbuf_to_priv(mbuf);
}

/*
 * Returns true when <mbuf>'s data buffer is the one that follows its
 * private area, as in every mbuf of a pool made by
 * rte_pktmbuf_pool_create(), and not in one attached to another buffer.
 */
static inline bool
vg_mbuf_own_buffer(const struct rte_mbuf *mbuf)
{
	return mbuf->buf_addr ==
	       (const char *)rte_mbuf_to_priv((struct rte_mbuf *)mbuf) +
		       VG_MBUF_PRIV_SIZE;
}

enum vg_copy_error {
	VG_COPY_OK = 0,
	VG_COPY_OVERSIZE, /* longer than 65535 bytes, or a chain cut short */
	VG_COPY_NOMBUF,   /* the copy pool is empty */
};

/*
 * Copies the frame in <mbuf>, a segment chain or an mbuf attached to
 * another buffer, into one mbuf of <capture>'s copy pool, for which
 * vg_mbuf_own_buffer() holds. Keeps the packet time. Returns the copy, or
 * NULL; sets <err> either way. <mbuf> is left for the caller to free.
 */
struct rte_mbuf *
vg_capture_copy_frame(const struct vg_capture *capture, struct rte_mbuf *mbuf,
		      enum vg_copy_error *err);

/*
 * Returns the frame whose summary <pkt> is, in an mbuf whose data buffer
 * follows its private area, as in every mbuf the rx lcore hands on. It
 * reads nothing but the summary: the mbuf's own header stays on the rx
 * lcore's CPU.
 */
static inline const uint8_t *
vg_pkt_frame(const struct vg_pkt *pkt)
{
	return (const uint8_t *)pkt + VG_MBUF_PRIV_SIZE + pkt->data_off;
}

/*
 * Returns the current time in microseconds: the wall-clock time at
 * start-up plus the monotonic time since, so it never steps back.
 */
uint64_t
vg_capture_now_us(const struct vg_capture *capture);

#endif
