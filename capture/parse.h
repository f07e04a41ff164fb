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
 */
struct vg_pkt {
	uint64_t ts_us;       /* packet time, microseconds since the epoch */
	const uint8_t *data;  /* first byte of the frame, set by the rx lcore */
	uint8_t src[16];
	uint8_t dst[16];

	uint32_t frame_len;   /* captured length of the whole frame */
	uint32_t tcp_seq;
	uint32_t tcp_ack;
	uint16_t sport;       /* 0 when the protocol has no ports */
	uint16_t dport;
	uint16_t vlan;        /* innermost VLAN id, 0 for none */
	uint16_t l3_off;      /* innermost IP header */
	uint16_t l3_len;      /* bytes from l3_off to the end of the capture */
	uint16_t l4_off;      /* transport header */
	uint16_t payload_off; /* transport payload */
	uint16_t payload_len; /* payload bytes inside the IP total length */
	uint16_t tcp_window;  /* unscaled window field */
	uint8_t ip_version;   /* 4 or 6 */
	uint8_t l4_proto;     /* IPPROTO_* of the innermost packet */
	uint8_t tcp_flags;    /* TCP flags byte (FIN 0x01 ... CWR 0x80) */
	uint8_t icmp_type;    /* ICMP/ICMPv6 type, else 0 */
	uint8_t tunnel;       /* VG_TUNNEL_* bit of the outermost opened tunnel */
	uint8_t port_id;      /* DPDK port the frame came from */
	/* Always 0: fills the struct, so every byte is a field to store. */
	uint32_t spare;
};

struct vg_parse_opts {
	uint32_t linktype; /* VG_LINK_* */
	uint32_t tunnels;  /* VG_TUNNEL_* bits to open */
};

/*
 * Parses the frame in <data>, <len> bytes long, into <pkt>. Fills every
 * field; ts_us, data and port_id are left 0 for the caller to set after.
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
