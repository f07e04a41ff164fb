/*
 * Frame parser. The walk is a small state machine over layers (a link
 * header, a VLAN tag, an MPLS label, a PPPoE header, an IP header, a tunnel
 * header), driven by a cursor that contains the current offset and the end of
 * the bytes the current packet may use. Every read is preceded by a length
 * check against that end, and the end never grows past the captured length,
 * so no input makes the parser read outside the frame. Each layer costs one
 * step of VG_PARSE_MAX_DEPTH, and so does each IPv6 extension header and
 * GTP-U extension header, which bounds the work per frame as well as the
 * nesting.
 *
 * A header cut short is an error. A tunnel header that is complete but is not
 * the tunnel its port or protocol number suggests (a GTP-U echo request, a
 * DTLS-protected CAPWAP packet, GRE carrying ERSPAN, PPTP carrying
 * encrypted PPP) leaves the outer packet as the flow, so that the probe
 * still counts it.
 *
 * This runs on the rx lcores for every packet: no allocation, no logging,
 * no division, no library calls beyond memcpy, memcmp and memset.
 */
#include <string.h>

#include <netinet/in.h>

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
	if (pkt->tunnel == 0)
		pkt->tunnel = (uint8_t)bit;
}

static enum vg_parse_error
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

static enum vg_parse_error
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
static enum vg_parse_error
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

static enum vg_parse_error
parse_ppp(struct cursor *c)
{
	enum vg_parse_error err;
	uint16_t proto;
	uint32_t hdr_len;

	err = read_ppp_header(c, &proto, &hdr_len);
	if (err != VG_PARSE_OK)
		return err;
	c->off += hdr_len;
	return dispatch_ppp(c, proto);
}

static enum vg_parse_error
parse_ether(struct cursor *c)
{
	uint16_t type;

	if (avail(c) < ETH_HDR_LEN)
		return VG_PARSE_LINK_TRUNCATED;
	type = rd16(at(c) + 12);
	c->off += ETH_HDR_LEN;
	if (type < ETHERTYPE_MIN)
		return VG_PARSE_NOT_IP; /* 802.3 with LLC: STP, CDP... */
	return dispatch_ethertype(c, type);
}

/* Linux cooked v1: the protocol field, an ethertype, ends the header. */
static enum vg_parse_error
parse_sll(struct cursor *c)
{
	uint16_t proto;

	if (avail(c) < SLL_HDR_LEN)
		return VG_PARSE_LINK_TRUNCATED;
	proto = rd16(at(c) + 14);
	c->off += SLL_HDR_LEN;
	return dispatch_ethertype(c, proto);
}

/* Linux cooked v2: the protocol field comes first. */
static enum vg_parse_error
parse_sll2(struct cursor *c)
{
	uint16_t proto;

	if (avail(c) < SLL2_HDR_LEN)
		return VG_PARSE_LINK_TRUNCATED;
	proto = rd16(at(c));
	c->off += SLL2_HDR_LEN;
	return dispatch_ethertype(c, proto);
}

static inline bool
is_af_inet6(uint32_t family)
{
	/* Linux, OpenBSD and NetBSD, FreeBSD, macOS */
	return family == 10 || family == 24 || family == 28 || family == 30;
}

/*
 * BSD null and loopback: the address family of the capturing host, in its
 * byte order for LINKTYPE_NULL and in network order for LINKTYPE_LOOP, but
 * writers mix them up, so both orders are accepted for both.
 */
static enum vg_parse_error
parse_null(struct cursor *c)
{
	uint32_t be, le;
	const uint8_t *p = at(c);

	if (avail(c) < 4)
		return VG_PARSE_LINK_TRUNCATED;
	be = rd32(p);
	le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	     (uint32_t)p[1] << 8 | p[0];
	c->off += 4;
	if (be == 2 || le == 2)
		c->layer = LAYER_IPV4;
	else if (is_af_inet6(be) || is_af_inet6(le))
		c->layer = LAYER_IPV6;
	else
		return VG_PARSE_NOT_IP;
	return VG_PARSE_OK;
}

/* Cisco HDLC: address 0x0f (unicast) or 0x8f (broadcast), control 0. */
static enum vg_parse_error
parse_chdlc(struct cursor *c)
{
	const uint8_t *p = at(c);

	if (avail(c) < 4)
		return VG_PARSE_LINK_TRUNCATED;
	if ((p[0] != 0x0f && p[0] != 0x8f) || p[1] != 0x00)
		return VG_PARSE_NOT_IP;
	c->off += 4;
	return dispatch_ethertype(c, rd16(p + 2));
}

/*
 * The PPP link types also carry Cisco HDLC in captures from Cisco routers.
 * Its address bytes are odd, and no uncompressed PPP protocol field starts
 * with an odd byte.
 */
static enum vg_parse_error
parse_ppp_link(struct cursor *c)
{
	const uint8_t *p = at(c);

	if (avail(c) < 1)
		return VG_PARSE_LINK_TRUNCATED;
	if (p[0] == 0x0f || p[0] == 0x8f)
		return parse_chdlc(c);
	return parse_ppp(c);
}

static enum vg_parse_error
parse_vlan(struct cursor *c, struct vg_pkt *pkt)
{
	const uint8_t *p = at(c);

	if (avail(c) < 4)
		return VG_PARSE_LINK_TRUNCATED;
	pkt->vlan = rd16(p) & 0x0fff;
	c->off += 4;
	return dispatch_ethertype(c, rd16(p + 2));
}

/*
 * One MPLS label per step. The label stack does not name its payload, so
 * the version nibble below the bottom label is taken as the guess.
 * NOTE: Ethernet pseudowires count as not_ip; only signalling names them.
 */
static enum vg_parse_error
parse_mpls(struct cursor *c)
{
	uint32_t entry;
	uint8_t version;

	if (avail(c) < 4)
		return VG_PARSE_LINK_TRUNCATED;
	entry = rd32(at(c));
	c->off += 4;
	if (!(entry & 0x100))
		return VG_PARSE_OK; /* not bottom of stack: next label */

	if (avail(c) < 1)
		return VG_PARSE_IP_TRUNCATED;
	version = at(c)[0] >> 4;
	if (version == 4)
		c->layer = LAYER_IPV4;
	else if (version == 6)
		c->layer = LAYER_IPV6;
	else
		return VG_PARSE_NOT_IP;
	return VG_PARSE_OK;
}

/* PPPoE session stage: version 1, type 1, code 0, then a PPP protocol. */
static enum vg_parse_error
parse_pppoe(struct cursor *c)
{
	const uint8_t *p = at(c);

	if (avail(c) < 8)
		return VG_PARSE_LINK_TRUNCATED;
	if (p[0] != 0x11 || p[1] != 0x00)
		return VG_PARSE_NOT_IP;
	c->off += 8;
	return dispatch_ppp(c, rd16(p + 6));
}

/*
 * Records the transport header at the cursor, <hdr_len> bytes long, and the
 * payload after it up to the end of the IP packet. Ends the walk unless the
 * caller opens a tunnel afterwards.
 */
static enum vg_parse_error
finish_l4(struct cursor *c, struct vg_pkt *pkt, uint32_t hdr_len)
{
	uint32_t payload_off = c->off + hdr_len;

	/* vg_pkt offsets are 16 bits; only crafted nesting gets this far */
	if (payload_off > UINT16_MAX)
		return VG_PARSE_TOO_DEEP;
	pkt->l4_off = (uint16_t)c->off;
	pkt->payload_off = (uint16_t)payload_off;
	pkt->payload_len = cap16(c->end - payload_off);
	c->layer = LAYER_DONE;
	return VG_PARSE_OK;
}

static enum vg_parse_error
parse_tcp(struct cursor *c, struct vg_pkt *pkt)
{
	const uint8_t *p = at(c);
	uint32_t data_off;

	if (avail(c) < TCP_HDR_LEN)
		return VG_PARSE_L4_TRUNCATED;
	data_off = (uint32_t)(p[12] >> 4) << 2;
	if (data_off < TCP_HDR_LEN || data_off > avail(c))
		return VG_PARSE_TCP_BAD_OFFSET;

	pkt->sport = rd16(p);
	pkt->dport = rd16(p + 2);
	pkt->tcp_seq = rd32(p + 4);
	pkt->tcp_ack = rd32(p + 8);
	pkt->tcp_flags = p[13];
	pkt->tcp_window = rd16(p + 14);
	return finish_l4(c, pkt, data_off);
}

/* Picks the tunnel a UDP datagram carries, by port, among those enabled. */
static enum layer
udp_tunnel(uint32_t tunnels, uint16_t sport, uint16_t dport)
{
	if ((tunnels & VG_TUNNEL_VXLAN) && dport == PORT_VXLAN)
		return LAYER_VXLAN;
	if ((tunnels & VG_TUNNEL_GTPU) &&
	    (sport == PORT_GTPU || dport == PORT_GTPU))
		return LAYER_GTPU;
	if ((tunnels & VG_TUNNEL_TZSP) &&
	    (sport == PORT_TZSP || dport == PORT_TZSP))
		return LAYER_TZSP;
	if ((tunnels & VG_TUNNEL_CAPWAP) &&
	    (sport == PORT_CAPWAP_DATA || dport == PORT_CAPWAP_DATA))
		return LAYER_CAPWAP;
	return LAYER_DONE;
}

static enum vg_parse_error
parse_udp(struct cursor *c, struct vg_pkt *pkt)
{
	const uint8_t *p = at(c);
	enum vg_parse_error err;

	if (avail(c) < UDP_HDR_LEN)
		return VG_PARSE_L4_TRUNCATED;
	pkt->sport = rd16(p);
	pkt->dport = rd16(p + 2);
	err = finish_l4(c, pkt, UDP_HDR_LEN);
	if (err != VG_PARSE_OK || c->tunnels == 0)
		return err;

	c->layer = udp_tunnel(c->tunnels, pkt->sport, pkt->dport);
	c->off += UDP_HDR_LEN;
	return VG_PARSE_OK;
}

/*
 * Dispatches on the protocol of the IP packet whose payload starts at the
 * cursor: the transport header, or the next header of an IP-in-IP or GRE
 * tunnel. The outer fields are written first and the inner packet, when a
 * tunnel is opened, writes over them.
 */
static enum vg_parse_error
parse_transport(struct cursor *c, struct vg_pkt *pkt, uint8_t proto)
{
	enum vg_parse_error err;

	pkt->l4_proto = proto;
	pkt->sport = 0;
	pkt->dport = 0;
	pkt->tcp_flags = 0;
	pkt->tcp_seq = 0;
	pkt->tcp_ack = 0;
	pkt->tcp_window = 0;
	pkt->icmp_type = 0;

	switch (proto) {
	case IPPROTO_TCP:
		return parse_tcp(c, pkt);
	case IPPROTO_UDP:
		return parse_udp(c, pkt);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (avail(c) < ICMP_HDR_LEN)
			return VG_PARSE_L4_TRUNCATED;
		pkt->icmp_type = at(c)[0];
		return finish_l4(c, pkt, ICMP_HDR_LEN);
	}

	err = finish_l4(c, pkt, 0);
	if (err != VG_PARSE_OK)
		return err;
	if ((c->tunnels & VG_TUNNEL_IPIP) &&
	    (proto == IPPROTO_IPIP || proto == IPPROTO_IPV6)) {
		open_tunnel(pkt, VG_TUNNEL_IPIP);
		c->layer = proto == IPPROTO_IPIP ? LAYER_IPV4 : LAYER_IPV6;
	} else if ((c->tunnels & VG_TUNNEL_GRE) && proto == IPPROTO_GRE) {
		c->layer = LAYER_GRE;
	}
	return VG_PARSE_OK;
}

/* Records the IP header at the cursor as the innermost one so far. */
static enum vg_parse_error
set_l3(const struct cursor *c, struct vg_pkt *pkt, uint8_t version)
{
	const uint8_t *p = at(c);

	if (c->off > UINT16_MAX)
		return VG_PARSE_TOO_DEEP; /* see finish_l4() */
	pkt->ip_version = version;
	pkt->l3_off = (uint16_t)c->off;
	pkt->l3_len = cap16(c->cap_len - c->off);
	if (version == 4) {
		memcpy(pkt->src, p + 12, 4);
		memset(pkt->src + 4, 0, 12);
		memcpy(pkt->dst, p + 16, 4);
		memset(pkt->dst + 4, 0, 12);
	} else {
		memcpy(pkt->src, p + 8, 16);
		memcpy(pkt->dst, p + 24, 16);
	}
	return VG_PARSE_OK;
}

static enum vg_parse_error
parse_ipv4(struct cursor *c, struct vg_pkt *pkt)
{
	const uint8_t *p = at(c);
	uint32_t hdr_len, total;
	enum vg_parse_error err;

	if (avail(c) < 1)
		return VG_PARSE_IP_TRUNCATED;
	if (p[0] >> 4 != 4)
		return VG_PARSE_IP_BAD_VERSION;
	if (avail(c) < IPV4_HDR_LEN)
		return VG_PARSE_IP_TRUNCATED;
	hdr_len = (uint32_t)(p[0] & 0x0f) << 2;
	total = rd16(p + 2);
	if (hdr_len < IPV4_HDR_LEN)
		return VG_PARSE_IP_BAD_HEADER;
	if (hdr_len > avail(c))
		return VG_PARSE_IP_TRUNCATED;
	/*
	 * NOTE: TSO frames captured before segmentation have total length 0
	 * and are rejected here. ndpiReader 4.2 skips them too, so flow
	 * counters stay comparable, but their bytes are not counted.
	 */
	if (total < hdr_len)
		return VG_PARSE_IP_BAD_HEADER;
	if (total > avail(c))
		return VG_PARSE_IP_LENGTH;
	if (rd16(p + 6) & 0x1fff)
		return VG_PARSE_FRAGMENT;

	err = set_l3(c, pkt, 4);
	if (err != VG_PARSE_OK)
		return err;
	c->end = c->off + total; /* drops Ethernet padding */
	c->off += hdr_len;
	return parse_transport(c, pkt, p[9]);
}

/*
 * Returns the length of the IPv6 extension header <next> at the cursor, 0
 * when <next> is not one that the parser steps over, or an error through
 * <err>. A fragment header with a non-zero offset is VG_PARSE_FRAGMENT.
 */
static uint32_t
ipv6_ext_len(const struct cursor *c, uint8_t next, enum vg_parse_error *err)
{
	const uint8_t *p = at(c);
	uint32_t len;

	if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING &&
	    next != IPPROTO_DSTOPTS && next != IPPROTO_FRAGMENT &&
	    next != IPPROTO_AH)
		return 0;

	*err = VG_PARSE_IPV6_EXT;
	if (avail(c) < 8) /* every one of them is at least 8 bytes */
		return 0;
	if (next == IPPROTO_FRAGMENT) {
		len = 8;
		if (rd16(p + 2) & 0xfff8)
			*err = VG_PARSE_FRAGMENT;
	} else if (next == IPPROTO_AH) {
		len = ((uint32_t)p[1] + 2) << 2;
	} else {
		len = ((uint32_t)p[1] + 1) << 3;
	}
	if (*err == VG_PARSE_FRAGMENT || len > avail(c))
		return 0;
	*err = VG_PARSE_OK;
	return len;
}

static enum vg_parse_error
parse_ipv6(struct cursor *c, struct vg_pkt *pkt)
{
	const uint8_t *p = at(c);
	enum vg_parse_error err;
	uint32_t payload, ext_len;
	uint8_t next;

	if (avail(c) < 1)
		return VG_PARSE_IP_TRUNCATED;
	if (p[0] >> 4 != 6)
		return VG_PARSE_IP_BAD_VERSION;
	if (avail(c) < IPV6_HDR_LEN)
		return VG_PARSE_IP_TRUNCATED;
	payload = rd16(p + 4);
	if (payload > avail(c) - IPV6_HDR_LEN)
		return VG_PARSE_IP_LENGTH;

	err = set_l3(c, pkt, 6);
	if (err != VG_PARSE_OK)
		return err;
	c->end = c->off + IPV6_HDR_LEN + payload;
	c->off += IPV6_HDR_LEN;
	next = p[6];

	for (;;) {
		err = VG_PARSE_OK;
		ext_len = ipv6_ext_len(c, next, &err);
		if (err != VG_PARSE_OK)
			return err;
		if (ext_len == 0)
			break;
		err = descend(c);
		if (err != VG_PARSE_OK)
			return err;
		next = at(c)[0];
		c->off += ext_len;
	}
	return parse_transport(c, pkt, next);
}

/* Raw IP link type: the version nibble selects IPv4 or IPv6. */
static enum vg_parse_error
parse_ip(struct cursor *c, struct vg_pkt *pkt)
{
	uint8_t version;

	if (avail(c) < 1)
		return VG_PARSE_IP_TRUNCATED;
	version = at(c)[0] >> 4;
	if (version == 4)
		return parse_ipv4(c, pkt);
	if (version == 6)
		return parse_ipv6(c, pkt);
	return VG_PARSE_IP_BAD_VERSION;
}

/*
 * PPTP enhanced GRE (RFC 2637): a key field is always there (payload
 * length and call id), then optional sequence and acknowledgement numbers,
 * then a PPP frame. Packets with only an acknowledgement, and PPP that is
 * not IP (compressed or encrypted with MPPE), stay on the outer flow.
 */
static enum vg_parse_error
parse_gre_pptp(struct cursor *c, uint16_t flags, uint16_t proto)
{
	struct cursor ppp = *c;
	enum vg_parse_error err;
	uint32_t hdr_len = 8, ppp_len;
	uint16_t ppp_proto;

	if (proto != ETHERTYPE_PPP || !(flags & GRE_KEY) || !(flags & GRE_SEQ))
		return VG_PARSE_OK;
	hdr_len += 4; /* sequence number */
	if (flags & GRE_ACK)
		hdr_len += 4;
	if (avail(c) < hdr_len)
		return VG_PARSE_TUNNEL_TRUNCATED;

	ppp.off += hdr_len;
	err = read_ppp_header(&ppp, &ppp_proto, &ppp_len);
	if (err != VG_PARSE_OK)
		return VG_PARSE_TUNNEL_TRUNCATED;
	if (ppp_proto != PPP_IPV4 && ppp_proto != PPP_IPV6)
		return VG_PARSE_OK;
	c->off = ppp.off + ppp_len;
	return dispatch_ppp(c, ppp_proto);
}

/*
 * GRE version 0 (RFC 2784 and 2890) with optional checksum, key and
 * sequence fields, carrying IPv4, IPv6 or Ethernet; version 1 is PPTP.
 * Other payloads (ERSPAN, WCCP, keepalives) and RFC 1701 source routing
 * stay on the outer flow, which parse_transport() has already recorded.
 */
static enum vg_parse_error
parse_gre(struct cursor *c, struct vg_pkt *pkt)
{
	const uint8_t *p = at(c);
	enum vg_parse_error err;
	uint16_t flags, proto;
	uint32_t hdr_len = 4;

	if (avail(c) < 4)
		return VG_PARSE_TUNNEL_TRUNCATED;
	flags = rd16(p);
	proto = rd16(p + 2);
	c->layer = LAYER_DONE;

	if ((flags & GRE_VERSION) == 1) {
		err = parse_gre_pptp(c, flags, proto);
		if (err == VG_PARSE_OK && c->layer != LAYER_DONE)
			open_tunnel(pkt, VG_TUNNEL_GRE);
		return err;
	}
	if ((flags & GRE_VERSION) != 0 || (flags & GRE_ROUTING))
		return VG_PARSE_OK;
	if (proto != ETHERTYPE_IPV4 && proto != ETHERTYPE_IPV6 &&
	    proto != ETHERTYPE_TEB)
		return VG_PARSE_OK;

	if (flags & GRE_CSUM)
		hdr_len += 4;
	if (flags & GRE_KEY)
		hdr_len += 4;
	if (flags & GRE_SEQ)
		hdr_len += 4;
	if (avail(c) < hdr_len)
		return VG_PARSE_TUNNEL_TRUNCATED;
	c->off += hdr_len;
	open_tunnel(pkt, VG_TUNNEL_GRE);
	if (proto == ETHERTYPE_TEB)
		c->layer = LAYER_ETHER;
	else
		c->layer = proto == ETHERTYPE_IPV4 ? LAYER_IPV4 : LAYER_IPV6;
	return VG_PARSE_OK;
}

/* VXLAN (RFC 7348): 8 bytes with the I flag set, then an Ethernet frame. */
static enum vg_parse_error
parse_vxlan(struct cursor *c, struct vg_pkt *pkt)
{
	if (avail(c) < 8)
		return VG_PARSE_TUNNEL_TRUNCATED;
	if (!(at(c)[0] & 0x08)) {
		c->layer = LAYER_DONE;
		return VG_PARSE_OK;
	}
	c->off += 8;
	open_tunnel(pkt, VG_TUNNEL_VXLAN);
	c->layer = LAYER_ETHER;
	return VG_PARSE_OK;
}

/*
 * Returns the length of the GTPv1-U header at the cursor, <flags> being its
 * first byte: 8 bytes, 12 when any of the E, S or PN flags is set, plus the
 * chain of extension headers that the E flag announces. Each extension
 * header gives its length in 4-byte units and ends with the type of the
 * next one, 0 for none. Returns 0 with <err> set on failure.
 */
static uint32_t
gtpu_header_len(struct cursor *c, uint8_t flags, enum vg_parse_error *err)
{
	const uint8_t *p = at(c);
	uint32_t n = avail(c);
	uint32_t len = 12, ext_len;
	uint8_t next;

	*err = VG_PARSE_OK;
	if (!(flags & 0x07))
		return 8;
	*err = VG_PARSE_TUNNEL_TRUNCATED;
	if (n < len)
		return 0;
	next = (flags & 0x04) ? p[11] : 0;
	while (next != 0) {
		if (descend(c) != VG_PARSE_OK) {
			*err = VG_PARSE_TOO_DEEP;
			return 0;
		}
		if (n - len < 1)
			return 0;
		ext_len = (uint32_t)p[len] << 2;
		if (ext_len == 0 || ext_len > n - len)
			return 0; /* a zero length cannot be walked */
		next = p[len + ext_len - 1];
		len += ext_len;
	}
	*err = VG_PARSE_OK;
	return len;
}

/*
 * GTPv1-U: only G-PDUs (message type 0xff) of version 1 with the protocol
 * type bit set carry user traffic. Echo, error indication and end marker
 * messages, and a PDU that is not IP, stay on the outer flow.
 */
static enum vg_parse_error
parse_gtpu(struct cursor *c, struct vg_pkt *pkt)
{
	const uint8_t *p = at(c);
	enum vg_parse_error err;
	uint32_t hdr_len;
	uint8_t version;

	if (avail(c) < 8)
		return VG_PARSE_TUNNEL_TRUNCATED;
	c->layer = LAYER_DONE;
	if (p[0] >> 5 != 1 || !(p[0] & 0x10) || p[1] != 0xff)
		return VG_PARSE_OK;
	hdr_len = gtpu_header_len(c, p[0], &err);
	if (err != VG_PARSE_OK)
		return err;
	if (avail(c) == hdr_len)
		return VG_PARSE_OK;

	version = p[hdr_len] >> 4;
	if (version == 4)
		c->layer = LAYER_IPV4;
	else if (version == 6)
		c->layer = LAYER_IPV6;
	else
		return VG_PARSE_OK;
	c->off += hdr_len;
	open_tunnel(pkt, VG_TUNNEL_GTPU);
	return VG_PARSE_OK;
}

/*
 * TZSP: version 1, type 0 (received tag list), encapsulating Ethernet (1).
 * The tagged fields follow, each a type and a length byte, except padding
 * (0) and the end tag (1), which are one byte. Tags do not count towards
 * the depth: each one consumes at least a byte, so the walk is bounded.
 */
static enum vg_parse_error
parse_tzsp(struct cursor *c, struct vg_pkt *pkt)
{
	const uint8_t *p = at(c);
	uint32_t off;
	uint8_t tag;

	if (avail(c) < 4)
		return VG_PARSE_TUNNEL_TRUNCATED;
	if (p[0] != 1 || p[1] != 0 || rd16(p + 2) != 1) {
		c->layer = LAYER_DONE;
		return VG_PARSE_OK;
	}

	off = c->off + 4;
	do {
		if (off >= c->end)
			return VG_PARSE_TUNNEL_TRUNCATED;
		tag = c->data[off];
		if (tag <= 1) {
			off += 1;
			continue;
		}
		if (c->end - off < 2 ||
		    c->end - off - 2 < c->data[off + 1])
			return VG_PARSE_TUNNEL_TRUNCATED;
		off += 2 + (uint32_t)c->data[off + 1];
	} while (tag != 1);

	c->off = off;
	open_tunnel(pkt, VG_TUNNEL_TZSP);
	c->layer = LAYER_ETHER;
	return VG_PARSE_OK;
}

static inline bool
is_80211_data(uint8_t fc0)
{
	return (fc0 & 0x0f) == 0x08; /* protocol version 0, type 2 (data) */
}

/*
 * An 802.11 data frame as CAPWAP carries it (no FCS): a 24-byte header, 30
 * with four addresses, plus QoS and HT control fields when present, then
 * LLC/SNAP (RFC 1042) and an ethertype. Management and control frames,
 * null data and protected frames carry no IP that the parser can read.
 *
 * Some Cisco access points send the two frame control bytes swapped, so
 * when the first byte is not a data frame but the second one is, the bytes
 * are read the other way round.
 */
static enum vg_parse_error
parse_80211_data(struct cursor *c)
{
	static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00};
	const uint8_t *p = at(c);
	uint32_t hdr_len = 24;
	uint8_t fc0, fc1;

	if (avail(c) < 2)
		return VG_PARSE_LINK_TRUNCATED;
	fc0 = p[0];
	fc1 = p[1];
	if (!is_80211_data(fc0) && is_80211_data(fc1)) {
		fc0 = p[1];
		fc1 = p[0];
	}
	if (!is_80211_data(fc0) || (fc0 & 0x40) || (fc1 & 0x40))
		return VG_PARSE_NOT_IP;
	if ((fc1 & 0x03) == 0x03)
		hdr_len += 6;
	if (fc0 & 0x80) {
		hdr_len += 2;
		if (fc1 & 0x80)
			hdr_len += 4;
	}
	if (avail(c) < hdr_len + 8)
		return VG_PARSE_LINK_TRUNCATED;
	if (memcmp(p + hdr_len, snap, sizeof(snap)) != 0)
		return VG_PARSE_NOT_IP;
	c->off += hdr_len + 8;
	return dispatch_ethertype(c, rd16(p + hdr_len + 6));
}

/*
 * CAPWAP data channel (RFC 5415): a preamble of version 0 and type 0 (type
 * 1 is a DTLS record), then HLEN in 4-byte words, which covers the optional
 * fields. An Ethernet frame follows, or with the T bit set a native frame of
 * the wireless binding, of which only IEEE 802.11 is decoded. Keep-alives
 * stay on the outer flow.
 */
static enum vg_parse_error
parse_capwap(struct cursor *c, struct vg_pkt *pkt)
{
	uint32_t word, hdr_len;

	if (avail(c) < 8)
		return VG_PARSE_TUNNEL_TRUNCATED;
	word = rd32(at(c));
	hdr_len = ((word >> 19) & 0x1f) << 2;
	c->layer = LAYER_DONE;
	if ((word >> 24) != 0 || (word & 0x08))
		return VG_PARSE_OK;
	/* NOTE: fragmented frames stay on the outer flow: no reassembly */
	if (word & 0x80)
		return VG_PARSE_OK;
	if (hdr_len < 8 || hdr_len > avail(c))
		return VG_PARSE_TUNNEL_TRUNCATED;

	c->off += hdr_len;
	open_tunnel(pkt, VG_TUNNEL_CAPWAP);
	if (!(word & 0x100)) {
		c->layer = LAYER_ETHER;
		return VG_PARSE_OK;
	}
	if (((word >> 9) & 0x1f) != 1)
		return VG_PARSE_NOT_IP; /* a binding other than IEEE 802.11 */
	return parse_80211_data(c);
}

static enum vg_parse_error
step(struct cursor *c, struct vg_pkt *pkt)
{
	switch (c->layer) {
	case LAYER_ETHER:
		return parse_ether(c);
	case LAYER_SLL:
		return parse_sll(c);
	case LAYER_SLL2:
		return parse_sll2(c);
	case LAYER_NULL:
		return parse_null(c);
	case LAYER_PPP:
		return parse_ppp_link(c);
	case LAYER_CHDLC:
		return parse_chdlc(c);
	case LAYER_VLAN:
		return parse_vlan(c, pkt);
	case LAYER_MPLS:
		return parse_mpls(c);
	case LAYER_PPPOE:
		return parse_pppoe(c);
	case LAYER_IP:
		return parse_ip(c, pkt);
	case LAYER_IPV4:
		return parse_ipv4(c, pkt);
	case LAYER_IPV6:
		return parse_ipv6(c, pkt);
	case LAYER_GRE:
		return parse_gre(c, pkt);
	case LAYER_VXLAN:
		return parse_vxlan(c, pkt);
	case LAYER_GTPU:
		return parse_gtpu(c, pkt);
	case LAYER_TZSP:
		return parse_tzsp(c, pkt);
	case LAYER_CAPWAP:
		return parse_capwap(c, pkt);
	case LAYER_DONE:
		break;
	}
	return VG_PARSE_OK;
}

static bool
first_layer(uint32_t linktype, enum layer *layer)
{
	switch (linktype) {
	case VG_LINK_ETHERNET:
		*layer = LAYER_ETHER;
		break;
	case VG_LINK_NULL:
	case VG_LINK_LOOP:
		*layer = LAYER_NULL;
		break;
	case VG_LINK_PPP:
	case VG_LINK_PPP_SERIAL:
		*layer = LAYER_PPP;
		break;
	case VG_LINK_C_HDLC:
		*layer = LAYER_CHDLC;
		break;
	case VG_LINK_RAW:
	case DLT_RAW_LINUX:
	case DLT_RAW_OPENBSD:
		*layer = LAYER_IP;
		break;
	case VG_LINK_IPV4:
		*layer = LAYER_IPV4;
		break;
	case VG_LINK_IPV6:
		*layer = LAYER_IPV6;
		break;
	case VG_LINK_LINUX_SLL:
		*layer = LAYER_SLL;
		break;
	case VG_LINK_LINUX_SLL2:
		*layer = LAYER_SLL2;
		break;
	default:
		return false;
	}
	return true;
}

static bool
udp_tunnel_layer(enum layer layer)
{
	return layer == LAYER_VXLAN || layer == LAYER_GTPU ||
	       layer == LAYER_TZSP || layer == LAYER_CAPWAP;
}

/*
 * UDP tunnels are recognised by port alone, and port 37008 (TZSP) is in
 * Linux's ephemeral range, so a datagram too short for the tunnel header
 * is most likely ordinary traffic: it stays on the outer UDP flow, as in
 * nDPI's reader, instead of being dropped as a cut tunnel.
 */
static enum vg_parse_error
step_udp_tunnel(struct cursor *c, struct vg_pkt *pkt)
{
	struct vg_pkt outer = *pkt;
	enum vg_parse_error err = step(c, pkt);

	if (err != VG_PARSE_TUNNEL_TRUNCATED)
		return err;
	*pkt = outer;
	c->layer = LAYER_DONE;
	return VG_PARSE_OK;
}

/*
 * The shortcut below sets each field of struct vg_pkt by name. This check
 * fails when a field is added, so that it gets set there too. The unit
 * tests also compare the shortcut with the walk on every byte.
 */
_Static_assert(sizeof(struct vg_pkt) ==
		       2 * sizeof(uint64_t) + 2 * 16 + 4 * sizeof(uint32_t) +
			       9 * sizeof(uint16_t) + 6 * sizeof(uint8_t),
	       "struct vg_pkt has padding or a field parse_common() lacks");

/*
 * Parses the transport header of a common frame, from <l4> to <end>, the
 * end of the IP packet, into <pkt>. Returns false unless it is a TCP header
 * or a UDP header that opens no tunnel, and the layer walk would accept it.
 */
static inline bool
common_transport(const uint8_t *data, uint32_t l4, uint32_t end,
		 uint32_t tunnels, struct vg_pkt *pkt)
{
	const uint8_t *p = data + l4;
	uint32_t hdr_len;

	if (pkt->l4_proto == IPPROTO_TCP) {
		if (end - l4 < TCP_HDR_LEN)
			return false;
		hdr_len = (uint32_t)(p[12] >> 4) << 2;
		if (hdr_len < TCP_HDR_LEN || hdr_len > end - l4)
			return false;
		pkt->tcp_seq = rd32(p + 4);
		pkt->tcp_ack = rd32(p + 8);
		pkt->tcp_window = rd16(p + 14);
		pkt->tcp_flags = p[13];
	} else if (pkt->l4_proto == IPPROTO_UDP) {
		if (end - l4 < UDP_HDR_LEN)
			return false;
		hdr_len = UDP_HDR_LEN;
		if (tunnels != 0 &&
		    udp_tunnel(tunnels, rd16(p), rd16(p + 2)) != LAYER_DONE)
			return false;
		pkt->tcp_seq = 0;
		pkt->tcp_ack = 0;
		pkt->tcp_window = 0;
		pkt->tcp_flags = 0;
	} else {
		return false;
	}
	pkt->sport = rd16(p);
	pkt->dport = rd16(p + 2);
	pkt->l4_off = (uint16_t)l4;
	pkt->payload_off = (uint16_t)(l4 + hdr_len);
	pkt->payload_len = cap16(end - (l4 + hdr_len));
	return true;
}

/*
 * Parses the frame most links carry: Ethernet, IPv4 without fragmentation
 * or IPv6 without extension headers, then TCP, or UDP that opens no tunnel.
 * Returns true with <pkt> exactly as the layer walk would fill it. Returns
 * false for any other frame, with <pkt> partly written; the walk then
 * parses it from the start and writes every byte.
 *
 * Each field is stored once, in place. A summary built on the stack and
 * then copied stalls the rx lcore: each wide load of the copy waits until
 * the narrow stores it spans reach the cache, because the CPU cannot
 * forward several stores to one load. A memset() of the summary stalls
 * it too, because it compiles to "rep stos", which is slow to start.
 */
static bool
parse_common(const uint8_t *data, uint32_t len, uint32_t tunnels,
	     struct vg_pkt *pkt)
{
	const uint8_t *ip = data + ETH_HDR_LEN;
	uint32_t l3_len = len - ETH_HDR_LEN;
	uint32_t l4, end;

	if (len < ETH_HDR_LEN + IPV4_HDR_LEN || len > UINT16_MAX)
		return false;
	switch (rd16(data + 12)) {
	case ETHERTYPE_IPV4: {
		uint32_t hdr_len = (uint32_t)(ip[0] & 0x0f) << 2;
		uint32_t total = rd16(ip + 2);

		if (ip[0] >> 4 != 4 || hdr_len < IPV4_HDR_LEN ||
		    total < hdr_len || total > l3_len ||
		    (rd16(ip + 6) & 0x1fff) != 0)
			return false;
		pkt->ip_version = 4;
		pkt->l4_proto = ip[9];
		memcpy(pkt->src, ip + 12, 4);
		memset(pkt->src + 4, 0, sizeof(pkt->src) - 4);
		memcpy(pkt->dst, ip + 16, 4);
		memset(pkt->dst + 4, 0, sizeof(pkt->dst) - 4);
		l4 = ETH_HDR_LEN + hdr_len;
		end = ETH_HDR_LEN + total;
		break;
	}
	case ETHERTYPE_IPV6:
		if (l3_len < IPV6_HDR_LEN || ip[0] >> 4 != 6 ||
		    rd16(ip + 4) > l3_len - IPV6_HDR_LEN)
			return false;
		pkt->ip_version = 6;
		pkt->l4_proto = ip[6];
		memcpy(pkt->src, ip + 8, 16);
		memcpy(pkt->dst, ip + 24, 16);
		l4 = ETH_HDR_LEN + IPV6_HDR_LEN;
		end = l4 + rd16(ip + 4);
		break;
	default:
		return false;
	}
	if (!common_transport(data, l4, end, tunnels, pkt))
		return false;
	pkt->ts_us = 0;
	pkt->data = NULL;
	pkt->frame_len = len;
	pkt->vlan = 0;
	pkt->l3_off = ETH_HDR_LEN;
	pkt->l3_len = (uint16_t)l3_len;
	pkt->icmp_type = 0;
	pkt->tunnel = 0;
	pkt->port_id = 0;
	pkt->spare = 0;
	return true;
}

bool
vg_parse_linktype_supported(uint32_t linktype)
{
	enum layer layer;

	return first_layer(linktype, &layer);
}

enum vg_parse_error
vg_parse(const struct vg_parse_opts *opts, const uint8_t *data, uint32_t len,
	 struct vg_pkt *pkt)
{
	if (opts->linktype == VG_LINK_ETHERNET &&
	    parse_common(data, len, opts->tunnels, pkt))
		return VG_PARSE_OK;
	return vg_parse_layers(opts, data, len, pkt);
}

enum vg_parse_error
vg_parse_layers(const struct vg_parse_opts *opts, const uint8_t *data,
		uint32_t len, struct vg_pkt *pkt)
{
	struct cursor c = {
		.data = data,
		.cap_len = len,
		.end = len,
		.tunnels = opts->tunnels,
	};
	enum vg_parse_error err;

	memset(pkt, 0, sizeof(*pkt));
	pkt->frame_len = len;

	if (!first_layer(opts->linktype, &c.layer))
		return VG_PARSE_LINK_UNSUPPORTED;
	do {
		err = descend(&c);
		if (err == VG_PARSE_OK)
			err = udp_tunnel_layer(c.layer) ? step_udp_tunnel(&c, pkt) :
							  step(&c, pkt);
	} while (err == VG_PARSE_OK && c.layer != LAYER_DONE);
	return err;
}

const char *
vg_parse_error_name(enum vg_parse_error err)
{
	static const char *const names[VG_PARSE_ERROR_COUNT] = {
		[VG_PARSE_OK] = "ok",
		[VG_PARSE_LINK_TRUNCATED] = "link_truncated",
		[VG_PARSE_LINK_UNSUPPORTED] = "link_unsupported",
		[VG_PARSE_NOT_IP] = "not_ip",
		[VG_PARSE_IP_TRUNCATED] = "ip_truncated",
		[VG_PARSE_IP_BAD_VERSION] = "ip_bad_version",
		[VG_PARSE_IP_BAD_HEADER] = "ip_bad_header",
		[VG_PARSE_IP_LENGTH] = "ip_length",
		[VG_PARSE_IPV6_EXT] = "ipv6_ext",
		[VG_PARSE_FRAGMENT] = "fragment",
		[VG_PARSE_L4_TRUNCATED] = "l4_truncated",
		[VG_PARSE_TCP_BAD_OFFSET] = "tcp_bad_offset",
		[VG_PARSE_TUNNEL_TRUNCATED] = "tunnel_truncated",
		[VG_PARSE_TOO_DEEP] = "too_deep",
	};

	if ((unsigned int)err >= VG_PARSE_ERROR_COUNT)
		return "unknown";
	return names[err];
}
