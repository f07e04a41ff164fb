/*
 * Ports: mbuf pools, port configuration and capture-file bookkeeping.
 *
 * Every mbuf carries the parsed summary (struct vg_pkt) in its private
 * area, so the engine reads it without touching packet data twice. Frames
 * larger than one mbuf arrive as segment chains; the rx lcore copies those
 * into one mbuf from a separate pool of 64 KiB buffers, because nDPI needs
 * the IP packet in one piece.
 *
 * A capture file ends when all its frames have been received: vigil counts
 * them with libpcap before the port starts, since net_pcap reports nothing
 * at the end of a file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <sys/time.h>

#include "capture.h"
#include "common/log.h"

#define RX_DESCRIPTORS 1024
#define PACKET_POOL_OPS "stack" /* DPDK mempool driver, see create_packet_pool() */
/*
 * NOTE: the copy pool is sized for the rare frame that needs a copy: a
 * segment chain, or an mbuf attached to another buffer (see
 * vg_capture_copy_frame()). A PMD that attaches most of its mbufs, such
 * as mlx5 with multi-packet receive queues, would send every frame
 * through this pool and a memcpy, and drop frames under copy_nombuf once
 * 255 copies wait in the rings. No such PMD runs here.
 */
#define COPY_POOL_SIZE 255
#define COPY_DATA_ROOM UINT16_MAX

/*
 * The capture file a port reads, if any: its own, or the first rx_pcap=
 * of a net_pcap vdev.
 */
static bool
port_file(const struct vg_port_config *cfg, char *path, size_t len)
{
	if (cfg->kind == VG_PORT_PCAP) {
		snprintf(path, len, "%s", cfg->source);
		return true;
	}
	return cfg->kind == VG_PORT_VDEV &&
	       vg_config_vdev_rx_pcap(cfg->source, 0, path, len) == 1;
}

/*
 * Counts the records of the open capture <pcap> into <frames>, and into
 * <caplen_over_len> those whose caplen is larger than their wire length
 * (len). Such a record breaks the pcap format's rule, but nDPI's reader
 * processes it, and net_pcap (DPDK 22.11) delivers its caplen bytes as
 * the frame, so vigild keeps it too and warns once for the file. Returns
 * pcap_next_ex()'s last result.
 */
static int
count_records(pcap_t *pcap, const char *path, uint64_t *frames,
	      uint64_t *caplen_over_len)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t first = 0;
	uint32_t first_caplen = 0;
	uint32_t first_len = 0;
	int rc;

	*frames = 0;
	*caplen_over_len = 0;
	while ((rc = pcap_next_ex(pcap, &hdr, &data)) == 1) {
		(*frames)++;
		if (hdr->caplen <= hdr->len)
			continue;
		if ((*caplen_over_len)++ == 0) {
			first = *frames;
			first_caplen = hdr->caplen;
			first_len = hdr->len;
		}
	}
	if (*caplen_over_len > 0)
		VG_WARN("capture",
			"file=%s frame=%" PRIu64 " caplen=%u len=%u caplen_over_len=%" PRIu64 " records have a captured length larger than their wire length, the first at this frame (counted from 1); vigild reads each frame as its caplen bytes",
			path, first, first_caplen, first_len, *caplen_over_len);
	return rc;
}

/*
 * Reads the link type and frame count of capture file <path>, and whether
 * a record that libpcap cannot read ends the count. libpcap returns DLT_
 * values, which equal the file format's LINKTYPE_ values that vigil's
 * parser takes except for raw IP (DLT_RAW is 12 on Linux, the file says
 * 101), so that one is mapped back.
 */
static int
scan_file(const char *path, uint32_t *linktype, uint64_t *frames,
	  uint64_t *caplen_over_len, bool *damaged)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pcap;
	int dlt;
	int rc;

	pcap = pcap_open_offline(path, errbuf);
	if (pcap == NULL) {
		VG_ERR("capture", "file=%s pcap_open_offline() failed: %s", path,
		       errbuf);
		return -EINVAL;
	}

	dlt = pcap_datalink(pcap);
	switch (dlt) {
	case DLT_RAW:
		*linktype = VG_LINK_RAW;
		break;
	default:
		*linktype = (uint32_t)dlt;
		break;
	}
	if (!vg_parse_linktype_supported(*linktype))
		VG_WARN("capture",
			"file=%s linktype=%u (%s) is not a link type vigil parses, so every frame counts as parse_link_unsupported and makes no flow",
			path, *linktype,
			pcap_datalink_val_to_name(dlt) != NULL ?
				pcap_datalink_val_to_name(dlt) :
				"unknown");

	rc = count_records(pcap, path, frames, caplen_over_len);
	*damaged = rc == PCAP_ERROR;
	if (*damaged)
		VG_WARN("capture",
			"file=%s frames_read=%" PRIu64 " libpcap stopped reading the file, so the rest of it is skipped: %s",
			path, *frames, pcap_geterr(pcap));
	pcap_close(pcap);
	return 0;
}

int
vg_capture_check_file(const char *path, char *problem, size_t len)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pcap;

	pcap = pcap_open_offline(path, errbuf);
	if (pcap == NULL) {
		snprintf(problem, len, "libpcap cannot read '%s': %s", path,
			 errbuf);
		return -1;
	}
	pcap_close(pcap);
	return 0;
}

/*
 * Size of each mbuf's private area. Being a whole cache line, it also lets
 * a port's DMA write whole lines: a 384-byte frame spans 6 lines, not 7.
 */
static uint16_t
mbuf_priv_size(void)
{
	return VG_MBUF_PRIV_SIZE;
}

/*
 * Returns the EAL memory, in bytes, of a pool of <n> mbufs with <priv>
 * bytes of private area and <data_room> bytes of data room (headroom
 * included), and a cache of <cache> mbufs per lcore, on pages of
 * <page_size> bytes. It counts what DPDK 22.11's rte_pktmbuf_pool_create()
 * allocates: the pool's header, with a cache for each of RTE_MAX_LCORE
 * lcores when <cache> is not 0, the objects, which do not cross a page
 * boundary (with 4 KiB pages a 2.4 KiB mbuf takes a page of its own),
 * and the driver's store of pointers, counted as the ring driver's ring,
 * which is at least as large as the stack driver's array.
 */
static size_t
pool_memory(uint32_t n, uint32_t cache, uint16_t priv, uint32_t data_room,
	    size_t page_size)
{
	struct rte_mempool shape; /* only the object sizes are read */
	struct rte_mempool_objsz object;
	size_t min_chunk;
	size_t align;
	size_t header;
	ssize_t objects;
	ssize_t store;

	memset(&shape, 0, sizeof(shape));
	rte_mempool_calc_obj_size(sizeof(struct rte_mbuf) + priv + data_room,
				  0, &object);
	shape.header_size = object.header_size;
	shape.elt_size = object.elt_size;
	shape.trailer_size = object.trailer_size;
	objects = rte_mempool_op_calc_mem_size_default(
		&shape, n, (uint32_t)rte_bsf64(page_size), &min_chunk, &align);
	header = RTE_ALIGN_CEIL(RTE_MEMPOOL_HEADER_SIZE(&shape, cache) +
					sizeof(struct rte_pktmbuf_pool_private),
				RTE_MEMPOOL_ALIGN);
	store = rte_ring_get_memsize(rte_align32pow2(n + 1));
	return header + (objects > 0 ? (size_t)objects : 0) +
	       (store > 0 ? (size_t)store : 0);
}

void
vg_capture_eal_memory(const struct vg_config *cfg, struct vg_eal_memory *m)
{
	/*
	 * With hugepages, the size of the smallest x86 hugepage: larger
	 * pages fit more objects and waste less, so 2 MiB bounds them too.
	 */
	size_t page = cfg->hugepages ? RTE_PGSIZE_2M :
				       (size_t)sysconf(_SC_PAGESIZE);
	uint16_t priv = mbuf_priv_size();

	m->packet_pool = pool_memory(cfg->mbufs, VG_MBUF_CACHE, priv,
				     RTE_MBUF_DEFAULT_BUF_SIZE, page);
	m->copy_pool = pool_memory(COPY_POOL_SIZE, 0, priv, COPY_DATA_ROOM,
				   page);
}

/*
 * Creates the pool that ports receive into. An rx lcore takes mbufs from
 * it and frees them when its engine lcores are done with them. Most go
 * through the lcore's own cache, and the mempool driver gets the rest when
 * the cache overflows or runs dry. The default driver is a FIFO ring,
 * which hands out the mbuf freed longest ago, so every mbuf of the pool
 * takes its turn, and with a pool larger than the CPU caches they arrive
 * cold. The "stack" driver hands out the mbufs freed last, which are
 * still in the caches.
 * A platform that names its own (hardware) mempool driver keeps it.
 * Only a driver that cannot be used (rte_errno other than ENOMEM) makes
 * vigild fall back to the default one: out of memory, the default driver
 * would fail the same way.
 */
static struct rte_mempool *
create_packet_pool(const struct vg_config *cfg, uint16_t priv, int socket,
		   const char **call)
{
	struct rte_mempool *pool;

	if (rte_mbuf_platform_mempool_ops() == NULL) {
		*call = "rte_pktmbuf_pool_create_by_ops()";
		pool = rte_pktmbuf_pool_create_by_ops("vg_pkts", cfg->mbufs,
						      VG_MBUF_CACHE, priv,
						      RTE_MBUF_DEFAULT_BUF_SIZE,
						      socket, PACKET_POOL_OPS);
		if (pool != NULL || rte_errno == ENOMEM)
			return pool;
		VG_WARN("capture",
			"mempool_ops=%s rte_pktmbuf_pool_create_by_ops() failed: %d (%s)%s; falling back to the default mempool driver, which is slower",
			PACKET_POOL_OPS, rte_errno, rte_strerror(rte_errno),
			rte_errno == EINVAL ? ", so the driver is not registered (DPDK's mempool_stack library may be missing)" : "");
	}
	*call = "rte_pktmbuf_pool_create()";
	return rte_pktmbuf_pool_create("vg_pkts", cfg->mbufs, VG_MBUF_CACHE, priv,
				       RTE_MBUF_DEFAULT_BUF_SIZE, socket);
}

/*
 * Logs that <call> failed to create the pool named <what>, which takes
 * <need> bytes of EAL memory, with rte_errno as the cause.
 */
static void
log_pool_failure(const struct vg_config *cfg, const char *call,
		 const char *what, size_t need)
{
	int error = rte_errno;

	if (error == ENOMEM)
		VG_ERR("capture",
		       "size_mb=%u mbufs=%u %s failed: %d (%s): not enough EAL memory is left for the %s, which needs %.1f MiB; raise memory.size_mb or lower memory.mbufs",
		       cfg->memory_mb, cfg->mbufs, call, error,
		       rte_strerror(error), what, (double)need / (1 << 20));
	else
		VG_ERR("capture", "mbufs=%u %s failed for the %s: %d (%s)",
		       cfg->mbufs, call, what, error, rte_strerror(error));
}

static int
create_pools(struct vg_capture *capture, const struct vg_config *cfg)
{
	uint16_t priv = mbuf_priv_size();
	int socket = (int)rte_socket_id();
	struct vg_eal_memory need;
	const char *call;

	vg_capture_eal_memory(cfg, &need);
	capture->pool = create_packet_pool(cfg, priv, socket, &call);
	if (capture->pool == NULL) {
		log_pool_failure(cfg, call, "packet pool", need.packet_pool);
		return -rte_errno;
	}
	capture->copy_pool = rte_pktmbuf_pool_create("vg_copies",
						     COPY_POOL_SIZE, 0, priv,
						     COPY_DATA_ROOM, socket);
	if (capture->copy_pool == NULL) {
		log_pool_failure(cfg, "rte_pktmbuf_pool_create()",
				 "frame copy pool", need.copy_pool);
		return -rte_errno;
	}
	return 0;
}

static void
set_rss(struct rte_eth_conf *conf, const struct rte_eth_dev_info *info,
	uint16_t queues)
{
	/*
	 * A key of repeated 0x6d5a makes the Toeplitz hash symmetric, so both
	 * directions of a flow land on one queue. The engine does not depend
	 * on it (vigil rehashes), but it keeps a flow on one rx lcore.
	 */
	static uint8_t symmetric_key[52];
	unsigned int i;

	if (queues < 2 || info->flow_type_rss_offloads == 0)
		return;
	for (i = 0; i < sizeof(symmetric_key); i += 2) {
		symmetric_key[i] = 0x6d;
		symmetric_key[i + 1] = 0x5a;
	}
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_key = symmetric_key;
	conf->rx_adv_conf.rss_conf.rss_key_len =
		info->hash_key_size ? info->hash_key_size : 40;
	conf->rx_adv_conf.rss_conf.rss_hf =
		(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
		info->flow_type_rss_offloads;
}

static int
start_port(struct vg_capture *capture, struct vg_port *port)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t q;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port->port_id, &info);
	if (rc != 0) {
		VG_ERR("capture", "port=%s rte_eth_dev_info_get() failed: %d",
		       port->name, rc);
		return rc;
	}
	if (port->rx_queues > info.max_rx_queues) {
		VG_ERR("capture",
		       "port=%s rx_queues=%u: the device has at most %u rx queues",
		       port->name, port->rx_queues, info.max_rx_queues);
		return -EINVAL;
	}
	set_rss(&conf, &info, port->rx_queues);

	rc = rte_eth_dev_configure(port->port_id, port->rx_queues, 0, &conf);
	if (rc != 0) {
		VG_ERR("capture", "port=%s rte_eth_dev_configure() failed: %d (%s)",
		       port->name, rc, rte_strerror(-rc));
		return rc;
	}
	for (q = 0; q < port->rx_queues; q++) {
		rc = rte_eth_rx_queue_setup(port->port_id, q, RX_DESCRIPTORS,
					    rte_eth_dev_socket_id(port->port_id),
					    NULL, capture->pool);
		if (rc != 0) {
			VG_ERR("capture",
			       "port=%s queue=%u rte_eth_rx_queue_setup() failed: %d (%s)",
			       port->name, q, rc, rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(port->port_id);
	if (rc != 0) {
		VG_ERR("capture", "port=%s rte_eth_dev_start() failed: %d (%s)",
		       port->name, rc, rte_strerror(-rc));
		return rc;
	}
	if (!port->lossless)
		rte_eth_promiscuous_enable(port->port_id);
	return 0;
}

static int
open_port(struct vg_capture *capture, const struct vg_port_config *cfg,
	  unsigned int index)
{
	struct vg_port *port = &capture->ports[index];
	char file[VG_PATH_MAX];
	int rc;

	snprintf(port->name, sizeof(port->name), "%s", cfg->name);
	port->rx_queues = cfg->rx_queues ? cfg->rx_queues : 1;
	port->linktype = VG_LINK_ETHERNET;
	port->expected_packets = UINT64_MAX;
	port->pace = cfg->pace;

	switch (cfg->kind) {
	case VG_PORT_PCI:
		snprintf(port->device, sizeof(port->device), "%.*s",
			 (int)sizeof(port->device) - 1, cfg->source);
		break;
	case VG_PORT_PCAP:
		snprintf(port->device, sizeof(port->device), "net_pcap%u",
			 index);
		break;
	case VG_PORT_IFACE:
		snprintf(port->device, sizeof(port->device), "net_af_packet%u",
			 index);
		break;
	default:
		snprintf(port->device, sizeof(port->device), "%.*s",
			 (int)strcspn(cfg->source, ","), cfg->source);
		break;
	}

	if (port_file(cfg, file, sizeof(file))) {
		port->lossless = true;
		port->rx_queues = 1;
		rc = scan_file(file, &port->linktype, &port->expected_packets,
			       &port->caplen_over_len, &port->damaged);
		if (rc != 0)
			return rc;
		if (strstr(cfg->source, "infinite_rx=1") != NULL) {
			port->expected_packets = UINT64_MAX;
			port->damaged = false;
		}
	}

	rc = rte_eth_dev_get_port_by_name(port->device, &port->port_id);
	if (rc != 0) {
		VG_ERR("capture", "port=%s device=%s not found by DPDK: %d",
		       port->name, port->device, rc);
		return -ENODEV;
	}
	return start_port(capture, port);
}

int
vg_capture_setup(struct vg_capture *capture, const struct vg_config *cfg)
{
	struct timespec wall;
	struct timespec mono;
	unsigned int i;
	int rc;

	capture->cfg = cfg;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	capture->mono_base_ns = (uint64_t)mono.tv_sec * 1000000000 +
				(uint64_t)mono.tv_nsec;
	capture->wall_base_us = (uint64_t)wall.tv_sec * 1000000 +
				(uint64_t)wall.tv_nsec / 1000;

	rc = create_pools(capture, cfg);
	if (rc != 0)
		return rc;

	for (i = 0; i < cfg->port_count; i++) {
		rc = open_port(capture, &cfg->ports[i], i);
		if (rc != 0)
			return rc;
		capture->port_count++;
	}

	/* net_pcap registers the timestamp field when its queues start. */
	capture->ts_offset = rte_mbuf_dynfield_lookup(
		RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	if (capture->ts_offset >= 0) {
		int bit = rte_mbuf_dynflag_lookup(
			RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);

		capture->ts_flag = bit >= 0 ? 1ULL << bit : 0;
	}
	return 0;
}

void
vg_capture_close(struct vg_capture *capture)
{
	unsigned int i;

	for (i = 0; i < capture->port_count; i++) {
		rte_eth_dev_stop(capture->ports[i].port_id);
		rte_eth_dev_close(capture->ports[i].port_id);
	}
	capture->port_count = 0;
}

void
vg_capture_assign_queues(struct vg_capture *capture, struct vg_rx_lcore *rx,
			 unsigned int count)
{
	unsigned int next = 0;
	unsigned int p;
	uint16_t q;

	for (p = 0; p < capture->port_count; p++) {
		for (q = 0; q < capture->ports[p].rx_queues; q++) {
			struct vg_rx_lcore *lcore = &rx[next % count];

			if (lcore->queue_count < VG_MAX_QUEUES_PER_LCORE) {
				lcore->queues[lcore->queue_count].port_index =
					(uint16_t)p;
				lcore->queues[lcore->queue_count].queue_id = q;
				lcore->queue_count++;
			}
			next++;
		}
	}
}

uint64_t
vg_capture_now_us(const struct vg_capture *capture)
{
	struct timespec mono;
	uint64_t ns;

	/*
	 * The kernel's monotonic clock, not the TSC over rte_get_tsc_hz().
	 * DPDK's Linux estimate of the TSC rate is rounded to 10 MHz: on one
	 * test machine it gave 2 600 000 000 Hz against the kernel's
	 * 2 596.13 MHz, which put live packet times 2 minutes a day behind.
	 * The monotonic clock follows NTP's rate corrections and never steps
	 * back. It reads the TSC through the vDSO, in about 22 ns here.
	 */
	clock_gettime(CLOCK_MONOTONIC, &mono);
	ns = (uint64_t)mono.tv_sec * 1000000000 + (uint64_t)mono.tv_nsec;
	return capture->wall_base_us + (ns - capture->mono_base_ns) / 1000;
}
