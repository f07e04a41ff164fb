/*
 * The flow: what an engine lcore keeps for one conversation.
 *
 * A flow lives in one slot of its engine lcore's table (flow_table.h) from
 * its first packet until it expires. The slot is fixed at 248 bytes so a
 * table of N flows costs N * 248 bytes plus at most 4 bytes a flow of hash
 * buckets and 1 of the list of flows owed to their hosts (flow_table.h),
 * within vigil's budget of 256 bytes per active flow. nDPI's own
 * per-flow state (about 700 bytes in nDPI 4.2) is held only while detection
 * runs and is returned to the lcore's pool the moment it ends; what a flow
 * record needs from it (protocol, category, server name, JA3, risks) is
 * copied into the slot first.
 *
 * Direction 0 is the sender of the flow's first packet and direction 1 the
 * other side. Whether that sender is the client is decided on the first
 * packet (VG_FLOW_SWAPPED) and never changes.
 */
#ifndef VG_FLOW_H
#define VG_FLOW_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

/* Canonical flow key: the lower (address, port) endpoint first. */
struct vg_flow_key {
	uint8_t lo_addr[16];
	uint8_t hi_addr[16];
	uint16_t lo_port;
	uint16_t hi_port;
	uint16_t vlan;
	uint8_t l4_proto;
	uint8_t ip_version;
};

/* vg_flow.flags */
#define VG_FLOW_FIRST_FROM_LO 0x01 /* first packet was sent by lo endpoint */
#define VG_FLOW_SWAPPED 0x02       /* the first packet came from the server */
#define VG_FLOW_DETECTED 0x04      /* detection has ended, ndpi is NULL */
#define VG_FLOW_IN_USE 0x08
#define VG_FLOW_SYN_SEEN 0x10      /* client SYN seen, RTT still pending */
#define VG_FLOW_SYNACK_SEEN 0x20
#define VG_FLOW_END_SENT 0x40      /* flowEnd fired before the record */
#define VG_FLOW_APP_OWED 0x80      /* detection ended, hosts not updated */

#define VG_FLOW_NAME_LEN 62 /* server name bytes kept, NUL included */
/*
 * Statuses plugins can set on one flow. NOTE: a seventh distinct status on
 * the same flow is counted (statuses_full) and not kept; the slot has no
 * room for more within 256 bytes per flow.
 */
#define VG_FLOW_STATUSES 6

struct vg_flow {
	struct vg_flow_key key;
	uint32_t hash;
	uint32_t generation;     /* bumped each time the slot is reused */
	uint32_t chain_next;     /* next slot in the hash bucket, or NIL */
	uint32_t queue_next;     /* next slot in the expiry queue, or NIL */

	uint64_t first_us;       /* packet times, microseconds */
	uint64_t last_us;
	uint64_t packets[2];     /* per direction, see above */
	uint64_t bytes[2];
	uint64_t risk;           /* nDPI risk bitmap */

	uint32_t ndpi_state;     /* 1 + index in the lcore's nDPI pool; 0 once
	                          * detection has ended */
	/*
	 * The low bits of bytes[] and packets[] when the flow was last counted
	 * in its hosts (flow_engine.c, update_hosts): the hosts are owed the
	 * difference. A flow is counted again before 255 packets go uncounted
	 * in one direction, so neither difference can wrap.
	 */
	uint32_t host_bytes[2];
	uint8_t host_packets[2];

	uint16_t master_proto;   /* nDPI protocol ids */
	uint16_t app_proto;
	uint16_t category;
	uint8_t confidence;      /* ndpi_confidence_t */
	uint8_t flags;           /* VG_FLOW_* */
	uint8_t tcp_flags[2];    /* OR of the TCP flags seen per direction */

	uint32_t next_seq[2];    /* highest sequence end seen per direction */
	uint32_t retransmissions;
	uint32_t out_of_order;
	/*
	 * SYN to handshake-completing ACK. While VG_FLOW_SYN_SEEN is set it
	 * is the client SYN's time minus first_us instead, so readers use
	 * vg_flow_rtt_us().
	 */
	uint32_t rtt_us;
	uint16_t zero_windows;   /* segments advertising a zero window */
	uint8_t seq_known;       /* bit d: next_seq[d] is valid */
	uint8_t expiry_class;    /* which expiry queue the flow is on */
	uint16_t score;          /* sum of the scores of its statuses */
	uint8_t statuses[VG_FLOW_STATUSES]; /* status id + 1, 0 = free */

	uint8_t lo_net;          /* local network of the key's lo_addr, +1; 0 remote */
	uint8_t hi_net;
	uint8_t ja3_client[16];  /* MD5 of the client JA3 string, binary */
	char server_name[VG_FLOW_NAME_LEN];
};

static_assert(sizeof(struct vg_flow) <= 248, "a flow slot must stay within 248 bytes");

/* Returns true when the client is the key's lo endpoint. */
static inline bool
vg_flow_client_is_lo(const struct vg_flow *flow)
{
	bool first_lo = (flow->flags & VG_FLOW_FIRST_FROM_LO) != 0;

	/* The client sent the first packet, unless the flow was swapped. */
	return (flow->flags & VG_FLOW_SWAPPED) ? !first_lo : first_lo;
}

/*
 * Stores in *master and *app the nDPI protocol ids that the flow's l7
 * name shows as Master.App. nDPI 4.2's ndpi_protocol2name() prints one
 * part when the master is Unknown (0), equal to the app, or alone with an
 * Unknown app: plain HTTP is ids (0, HTTP) and prints "HTTP". A name with
 * one part is both master and app here, so neither is Unknown unless
 * nDPI named no protocol at all.
 */
static inline void
vg_flow_l7_pair(const struct vg_flow *flow, uint16_t *master, uint16_t *app)
{
	uint16_t master_id = flow->master_proto;
	uint16_t app_id = flow->app_proto;

	if (master_id != 0 && master_id != app_id) {
		*master = master_id;
		*app = app_id != 0 ? app_id : master_id;
	} else {
		*master = app_id;
		*app = app_id;
	}
}

/* Returns the handshake RTT of <flow>, 0 while the handshake is pending. */
static inline uint32_t
vg_flow_rtt_us(const struct vg_flow *flow)
{
	return (flow->flags & VG_FLOW_SYN_SEEN) ? 0 : flow->rtt_us;
}

#endif
