/*
 * The tunnel layers of the frame parser: GRE (with PPTP), VXLAN, GTP-U,
 * TZSP and CAPWAP with the 802.11 frames it carries. parse.c calls them
 * from the IP and UDP layers when the configuration opens the tunnel.
 * Every read is checked against the cursor's end. A tunnel header that is
 * complete but not what its port or protocol suggests leaves the outer
 * packet as the flow.
 */
#include <string.h>

#include "parse_layer.h"

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
enum vg_parse_error
vg_parse_gre(struct cursor *c, struct vg_pkt *pkt)
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
enum vg_parse_error
vg_parse_vxlan(struct cursor *c, struct vg_pkt *pkt)
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
enum vg_parse_error
vg_parse_gtpu(struct cursor *c, struct vg_pkt *pkt)
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
enum vg_parse_error
vg_parse_tzsp(struct cursor *c, struct vg_pkt *pkt)
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
enum vg_parse_error
vg_parse_capwap(struct cursor *c, struct vg_pkt *pkt)
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

