/*
 * Packet parser: turns one captured frame into the small summary that the
 * engine needs (vg_pkt), or into a named error.
 *
 * The parser reads only the bytes it is given and never past their end: a
 * frame cut short by the snap length or by a broken sender yields an error
 * kind, never a read beyond the buffer. It walks the link layer named by the
 * capture (Ethernet, Linux cooked v1 and v2, raw IP, BSD null/loopback, PPP,
 * Cisco HDLC), then VLAN and QinQ tags, MPLS labels, PPPoE sessions, IPv4
 * and IPv6 with extension headers, and the tunnels vigil looks through (IP
 * in IP, GRE, VXLAN, GTP-U, TZSP, CAPWAP data). The innermost IP packet is
 * the one the flow is keyed on, as nDPI's own reader does with tunnel
 * decoding on.
 *
 * Which tunnels are opened is a per-call choice (vg_parse_opts.tunnels), so
 * an operator can key flows on the outer addresses of a tunnel instead.
 */
#ifndef VG_PARSE_H
#define VG_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* Link types, numbered as in the pcap file format (LINKTYPE_*). */
#define VG_LINK_NULL 0
#define VG_LINK_ETHERNET 1
#define VG_LINK_PPP 9
#define VG_LINK_PPP_SERIAL 50 /* PPP in HDLC-like framing */
#define VG_LINK_RAW 101
#define VG_LINK_C_HDLC 104
#define VG_LINK_LOOP 108
#define VG_LINK_LINUX_SLL 113
#define VG_LINK_IPV4 228
#define VG_LINK_IPV6 229
#define VG_LINK_LINUX_SLL2 276

/* Tunnels the parser may open (bits of vg_parse_opts.tunnels). */
#define VG_TUNNEL_IPIP (1u << 0)   /* IPv4 or IPv6 carried in IPv4 or IPv6 */
#define VG_TUNNEL_GRE (1u << 1)    /* GRE carrying IP or transparent Ethernet */
#define VG_TUNNEL_VXLAN (1u << 2)  /* UDP port 4789 */
#define VG_TUNNEL_GTPU (1u << 3)   /* UDP port 2152, GTPv1-U G-PDU */
#define VG_TUNNEL_TZSP (1u << 4)   /* UDP port 37008, encapsulated Ethernet */
#define VG_TUNNEL_CAPWAP (1u << 5) /* UDP port 5247, CAPWAP data channel */
#define VG_TUNNEL_ALL 0x3fu

/*
 * What went wrong with a frame. VG_PARSE_OK is 0; every other value names a
 * counter ("parse_<name>", see vg_parse_error_name()).
 */
enum vg_parse_error {
	VG_PARSE_OK = 0,
	VG_PARSE_LINK_TRUNCATED,   /* link-layer, VLAN, MPLS or PPPoE header cut */
	VG_PARSE_LINK_UNSUPPORTED, /* link type the parser does not know */
	VG_PARSE_NOT_IP,           /* ARP, LLDP, STP...: valid, but no flow */
	VG_PARSE_IP_TRUNCATED,     /* IP header cut short */
	VG_PARSE_IP_BAD_VERSION,   /* version nibble is neither 4 nor 6 */
	VG_PARSE_IP_BAD_HEADER,    /* IHL < 5, or total length < header */
	VG_PARSE_IP_LENGTH,        /* capture holds less than the IP total length */
	VG_PARSE_IPV6_EXT,         /* IPv6 extension header cut or malformed */
	VG_PARSE_FRAGMENT,         /* IPv4/IPv6 fragment other than the first */
	VG_PARSE_L4_TRUNCATED,     /* TCP, UDP or ICMP header cut short */
	VG_PARSE_TCP_BAD_OFFSET,   /* TCP data offset < 5 or past the packet */
	VG_PARSE_TUNNEL_TRUNCATED, /* GRE/VXLAN/GTP/TZSP/CAPWAP header cut */
	VG_PARSE_TOO_DEEP,         /* more nested layers than VG_PARSE_MAX_DEPTH */
	VG_PARSE_TOO_LONG,         /* frame longer than 65535 bytes */
	VG_PARSE_ERROR_COUNT,
};

/* Layers the parser follows before it gives up with VG_PARSE_TOO_DEEP. */
#define VG_PARSE_MAX_DEPTH 16

/*
 * Summary of one parsed frame, kept in the mbuf's private area from the rx
 * lcore to the engine lcore. Addresses are in network order; an IPv4
 * address takes the first 4 bytes of its field and the rest are zero.
 * Ports, sequence numbers and lengths are in host order. Offsets are from
 * the start of the frame.
 *
 * It fills one cache line exactly, because every line of it crosses from
 * the rx lcore's CPU to the engine lcore's. So it holds only what the
 * engine reads: the IP header's length is the frame's length past l3_off,
 * and the frame is found from data_off (see vg_pkt_frame() in capture.h).
 */
struct vg_pkt {
	/*
	 * Packet time, microseconds since the epoch. 52 bits reach the year
	 * 2112, past any time a pcap file's 32-bit seconds can hold. The rx
	 * lcore clamps a later time to VG_PKT_TS_MAX. GCC computes in 52
	 * bits when the other operand is an int, so widen to uint64_t first.
	 */
	uint64_t ts_us : 52;
	uint64_t port_id : 4;    /* index of the port in the configuration */
	uint64_t ip_version : 3; /* 4 or 6 */
	/* Outermost opened tunnel, see vg_pkt_tunnel(); 0 for none. */
	uint64_t tunnel_index : 3;
	uint64_t spare : 2;      /* always 0, so every bit is a field */
	uint8_t src[16];
	uint8_t dst[16];

	uint32_t tcp_seq;
	uint16_t sport;          /* 0 when the protocol has no ports */
	uint16_t dport;
	uint16_t frame_len;      /* captured length of the whole frame */
	uint16_t payload_len;    /* payload bytes inside the IP total length */
	uint16_t l3_off;         /* innermost IP header */
	uint16_t payload_off;    /* transport payload */
	union {
		uint16_t tcp_window; /* TCP: unscaled window field */
		uint8_t icmp_type;   /* ICMP and ICMPv6: message type */
	};
	uint16_t vlan;           /* innermost VLAN id, 0 for none */
	/* Set by the rx lcore: the frame's offset in its mbuf's buffer. */
	uint16_t data_off;
	uint8_t l4_proto;        /* IPPROTO_* of the innermost packet */
	uint8_t tcp_flags;       /* TCP flags byte (FIN 0x01 ... CWR 0x80) */
};

/* Latest packet time a summary holds: the largest 52-bit value. */
#define VG_PKT_TS_MAX ((UINT64_C(1) << 52) - 1)

/* Returns the VG_TUNNEL_* bit of the outermost tunnel opened, or 0. */
static inline uint32_t
vg_pkt_tunnel(const struct vg_pkt *pkt)
{
	return pkt->tunnel_index == 0 ? 0 : 1u << (pkt->tunnel_index - 1);
}

/* Returns the bytes from the innermost IP header to the end of the frame. */
static inline uint16_t
vg_pkt_l3_len(const struct vg_pkt *pkt)
{
	return (uint16_t)(pkt->frame_len - pkt->l3_off);
}

struct vg_parse_opts {
	uint32_t linktype; /* VG_LINK_* */
	uint32_t tunnels;  /* VG_TUNNEL_* bits to open */
};

/*
 * Parses the frame in <data>, <len> bytes long, into <pkt>. Fills every
 * field; ts_us, data_off and port_id are left 0 for the caller to set
 * after. A frame longer than 65535 bytes is VG_PARSE_TOO_LONG.
 * Returns VG_PARSE_OK or the error kind; on error <pkt> is left partly
 * written and must not be used.
 */
enum vg_parse_error
vg_parse(const struct vg_parse_opts *opts, const uint8_t *data, uint32_t len,
	 struct vg_pkt *pkt);

/*
 * Parses like vg_parse(), always through the general walk over layers,
 * without the shortcut vg_parse() takes for common Ethernet frames. The
 * results are the same, and the tests compare the two.
 */
enum vg_parse_error
vg_parse_layers(const struct vg_parse_opts *opts, const uint8_t *data,
		uint32_t len, struct vg_pkt *pkt);

/* Returns true when vg_parse() takes frames of link type <linktype>. */
bool
vg_parse_linktype_supported(uint32_t linktype);

/* Returns the counter name of <err> ("ok", "link_truncated", ...). */
const char *
vg_parse_error_name(enum vg_parse_error err);

#endif
