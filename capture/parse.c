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

#include "parse_layer.h"

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
	pkt->tcp_window = 0; /* and icmp_type, which shares its bytes */

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
		return vg_parse_gre(c, pkt);
	case LAYER_VXLAN:
		return vg_parse_vxlan(c, pkt);
	case LAYER_GTPU:
		return vg_parse_gtpu(c, pkt);
	case LAYER_TZSP:
		return vg_parse_tzsp(c, pkt);
	case LAYER_CAPWAP:
		return vg_parse_capwap(c, pkt);
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
		       sizeof(uint64_t) + 2 * 16 + sizeof(uint32_t) +
			       9 * sizeof(uint16_t) + 2 * sizeof(uint8_t),
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
		pkt->tcp_window = 0;
		pkt->tcp_flags = 0;
	} else {
		return false;
	}
	pkt->sport = rd16(p);
	pkt->dport = rd16(p + 2);
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
 * Each field is stored once, in place, except those that share the first
 * 64-bit word, which each rewrite it. A copy of the summary made right
 * after it is built stalls, so the rx lcore copies it one frame later.
 * Each wide load of the copy waits until the narrow stores it spans reach
 * the cache, because the CPU cannot forward several stores to one load. A
 * memset() of the summary stalls too, because it compiles to "rep stos",
 * which is slow to start.
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
	pkt->port_id = 0;
	pkt->tunnel_index = 0;
	pkt->spare = 0;
	pkt->frame_len = (uint16_t)len;
	pkt->vlan = 0;
	pkt->l3_off = ETH_HDR_LEN;
	pkt->data_off = 0;
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
	if (!first_layer(opts->linktype, &c.layer))
		return VG_PARSE_LINK_UNSUPPORTED;
	if (len > UINT16_MAX)
		return VG_PARSE_TOO_LONG;
	pkt->frame_len = (uint16_t)len;

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
		[VG_PARSE_TOO_LONG] = "too_long",
	};

	if ((unsigned int)err >= VG_PARSE_ERROR_COUNT)
		return "unknown";
	return names[err];
}
