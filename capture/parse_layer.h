/*
 * Definitions shared by the two files of the frame parser: the cursor, its
 * bounds-checked readers, the layers and the numbers that select them.
 * parse.c walks the link, VLAN, MPLS, PPPoE, IP and transport layers.
 * parse_tunnel.c opens the tunnels (GRE, VXLAN, GTP-U, TZSP, CAPWAP).
 * Nothing outside these two files includes this header.
 */
#ifndef VG_CAPTURE_PARSE_LAYER_H
#define VG_CAPTURE_PARSE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "parse.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_PPPOE_SESSION 0x8864
#define ETHERTYPE_TEB 0x6558 /* transparent Ethernet bridging (GRE) */
#define ETHERTYPE_PPP 0x880b /* PPTP enhanced GRE */
#define ETHERTYPE_MIN 0x0600 /* smaller values are 802.3 lengths */

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

#define ETH_HDR_LEN 14
#define SLL_HDR_LEN 16
#define SLL2_HDR_LEN 20
#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define TCP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define ICMP_HDR_LEN 4

#define GRE_CSUM 0x8000
#define GRE_ROUTING 0x4000
#define GRE_KEY 0x2000
#define GRE_SEQ 0x1000
#define GRE_ACK 0x0080
#define GRE_VERSION 0x0007

/*
 * libpcap's pcap_datalink() turns LINKTYPE_RAW from a file into the DLT_RAW
 * of the platform, so those numbers mean raw IP too.
 */
#define DLT_RAW_LINUX 12
#define DLT_RAW_OPENBSD 14

#define PORT_VXLAN 4789
#define PORT_GTPU 2152
#define PORT_TZSP 37008
#define PORT_CAPWAP_DATA 5247

/* The header at the cursor. Each layer is one header in the frame. */
enum layer {
	LAYER_ETHER,
	LAYER_SLL,
	LAYER_SLL2,
	LAYER_NULL,       /* BSD null and loopback: 4-byte address family */
	LAYER_PPP, /* PPP with or without the ff 03 prefix, or Cisco HDLC */
	LAYER_CHDLC,
	LAYER_VLAN,
	LAYER_MPLS,
	LAYER_PPPOE,
	LAYER_IP, /* raw IP: the version nibble picks IPv4 or IPv6 */
	LAYER_IPV4,
	LAYER_IPV6,
	LAYER_GRE,
	LAYER_VXLAN,
	LAYER_GTPU,
	LAYER_TZSP,
	LAYER_CAPWAP,
	LAYER_DONE,
};

struct cursor {
	const uint8_t *data;
	uint32_t cap_len;  /* bytes captured */
	uint32_t off;      /* start of the current header */
	uint32_t end;      /* end of the current packet, <= cap_len */
	uint32_t tunnels;  /* VG_TUNNEL_* bits to open */
	uint32_t depth;    /* steps taken, <= VG_PARSE_MAX_DEPTH */
	enum layer layer;
};

static inline uint32_t
avail(const struct cursor *c)
{
	return c->end - c->off;
}

static inline const uint8_t *
at(const struct cursor *c)
{
	return c->data + c->off;
}

/* Reads a big-endian field; the caller has checked that it is in bounds. */
static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t
cap16(uint32_t v)
{
	return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

static inline enum vg_parse_error
descend(struct cursor *c)
{
	return ++c->depth > VG_PARSE_MAX_DEPTH ? VG_PARSE_TOO_DEEP
					       : VG_PARSE_OK;
}

static inline void
open_tunnel(struct vg_pkt *pkt, uint32_t bit)
{
	if (pkt->tunnel_index == 0)
		pkt->tunnel_index = (uint8_t)(__builtin_ctz(bit) + 1) & 7;
}

static inline enum vg_parse_error
dispatch_ethertype(struct cursor *c, uint16_t type)
{
	switch (type) {
	case ETHERTYPE_IPV4:
		c->layer = LAYER_IPV4;
		return VG_PARSE_OK;
	case ETHERTYPE_IPV6:
		c->layer = LAYER_IPV6;
		return VG_PARSE_OK;
	case ETHERTYPE_VLAN:
	case ETHERTYPE_QINQ:
	case ETHERTYPE_QINQ_OLD:
		c->layer = LAYER_VLAN;
		return VG_PARSE_OK;
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC:
		c->layer = LAYER_MPLS;
		return VG_PARSE_OK;
	case ETHERTYPE_PPPOE_SESSION:
		c->layer = LAYER_PPPOE;
		return VG_PARSE_OK;
	default:
		return VG_PARSE_NOT_IP;
	}
}

static inline enum vg_parse_error
dispatch_ppp(struct cursor *c, uint16_t proto)
{
	if (proto == PPP_IPV4)
		c->layer = LAYER_IPV4;
	else if (proto == PPP_IPV6)
		c->layer = LAYER_IPV6;
	else
		return VG_PARSE_NOT_IP;
	return VG_PARSE_OK;
}

/*
 * Reads the PPP header at the cursor into <proto> and its length into
 * <hdr_len>: an optional ff 03 address and control prefix, then a protocol
 * field that is one byte when compressed (RFC 1661 PFC, odd first byte).
 */
static inline enum vg_parse_error
read_ppp_header(const struct cursor *c, uint16_t *proto, uint32_t *hdr_len)
{
	const uint8_t *p = at(c);
	uint32_t n = avail(c);
	uint32_t skip = 0;

	/* A lone 0xff is the start of the prefix, cut short. */
	if (n == 1 && p[0] == 0xff)
		return VG_PARSE_LINK_TRUNCATED;
	if (n >= 2 && p[0] == 0xff && p[1] == 0x03)
		skip = 2;
	if (n < skip + 1)
		return VG_PARSE_LINK_TRUNCATED;
	if (p[skip] & 1) {
		*proto = p[skip];
		*hdr_len = skip + 1;
		return VG_PARSE_OK;
	}
	if (n < skip + 2)
		return VG_PARSE_LINK_TRUNCATED;
	*proto = rd16(p + skip);
	*hdr_len = skip + 2;
	return VG_PARSE_OK;
}


/*
 * The tunnel layers, in parse_tunnel.c. Each reads the tunnel header at
 * the cursor and moves the cursor to the layer it carries, or sets
 * LAYER_DONE to leave the outer packet as the flow.
 */
enum vg_parse_error vg_parse_gre(struct cursor *c, struct vg_pkt *pkt);
enum vg_parse_error vg_parse_vxlan(struct cursor *c, struct vg_pkt *pkt);
enum vg_parse_error vg_parse_gtpu(struct cursor *c, struct vg_pkt *pkt);
enum vg_parse_error vg_parse_tzsp(struct cursor *c, struct vg_pkt *pkt);
enum vg_parse_error vg_parse_capwap(struct cursor *c, struct vg_pkt *pkt);

#endif
