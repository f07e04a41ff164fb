/*
 * Unit tests for the packet parser. Each test builds its frame byte by byte
 * with the small builders below, so the expected offsets and lengths are
 * sums of header sizes written out in the test, not values taken from the
 * parser.
 *
 * Every frame is also cut short at each length, in a heap buffer of
 * exactly that size, so that a read past the end shows up under the
 * sanitizer build or valgrind. It is cut twice: as a short snap length
 * leaves it (the IP total length still claims the whole packet) and as a
 * sender that fixes the IP lengths would (so the cut reaches the inner
 * headers). Each cut must give the error named for the header it falls in,
 * or parse to a packet that ends at the cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/parse.h"

#define FRAME_MAX 4096

struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t len;
};

static const uint8_t ip4_a[4] = {192, 0, 2, 1};
static const uint8_t ip4_b[4] = {198, 51, 100, 2};
static const uint8_t ip4_c[4] = {10, 0, 0, 1};
static const uint8_t ip4_d[4] = {10, 0, 0, 2};
static const uint8_t ip6_a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
static const uint8_t ip6_b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x02};

/* Frame builders, outermost header first. The end_* ones fill in lengths. */

static void
put(struct frame *f, const void *src, uint32_t n)
{
	assert_true(f->len + n <= FRAME_MAX);
	memcpy(f->b + f->len, src, n);
	f->len += n;
}

static void
put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void
put_zero(struct frame *f, uint32_t n)
{
	while (n-- > 0)
		put8(f, 0);
}

static void
put_payload(struct frame *f, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		put8(f, (uint8_t)('a' + i % 26));
}

static void
set16(struct frame *f, uint32_t off, uint16_t v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

static void
put_eth(struct frame *f, uint16_t type)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	put(f, macs, sizeof(macs));
	put16(f, type);
}

static void
put_vlan(struct frame *f, uint16_t tci, uint16_t type)
{
	put16(f, tci);
	put16(f, type);
}

static uint32_t
begin_ipv4(struct frame *f, uint8_t proto, const uint8_t *src,
	   const uint8_t *dst)
{
	uint32_t at = f->len;

	put8(f, 0x45);
	put8(f, 0);
	put16(f, 0); /* total length, set by end_ipv4() */
	put16(f, 0x1234);
	put16(f, 0);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put(f, src, 4);
	put(f, dst, 4);
	return at;
}

static void
end_ipv4(struct frame *f, uint32_t at)
{
	set16(f, at + 2, (uint16_t)(f->len - at));
}

static uint32_t
begin_ipv6(struct frame *f, uint8_t next, const uint8_t *src,
	   const uint8_t *dst)
{
	uint32_t at = f->len;

	put32(f, 0x60000000);
	put16(f, 0); /* payload length, set by end_ipv6() */
	put8(f, next);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
	return at;
}

static void
end_ipv6(struct frame *f, uint32_t at)
{
	set16(f, at + 4, (uint16_t)(f->len - at - 40));
}

static uint32_t
begin_udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint32_t at = f->len;

	put16(f, sport);
	put16(f, dport);
	put16(f, 0);
	put16(f, 0);
	return at;
}

static void
end_udp(struct frame *f, uint32_t at)
{
	set16(f, at + 4, (uint16_t)(f->len - at));
}

static void
put_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint32_t seq,
	uint32_t ack, uint8_t flags, uint16_t window)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, seq);
	put32(f, ack);
	put8(f, 5 << 4);
	put8(f, flags);
	put16(f, window);
	put16(f, 0);
	put16(f, 0);
}

/* An IPv4 UDP datagram 10.0.0.1:1000 -> 10.0.0.2:2000, 6 payload bytes. */
static void
put_inner_ipv4_udp(struct frame *f)
{
	uint32_t ip = begin_ipv4(f, 17, ip4_c, ip4_d);
	uint32_t udp = begin_udp(f, 1000, 2000);

	put_payload(f, 6);
	end_udp(f, udp);
	end_ipv4(f, ip);
}

/*
 * Parsing helpers: the frame is copied to a buffer of exactly its size.
 * Every frame is also parsed by the general walk over layers alone, which
 * must agree with vg_parse() (and its shortcut for common frames) on the
 * error and, for a frame that parses, on every byte of the summary.
 */

static enum vg_parse_error
parse_exact(uint32_t linktype, uint32_t tunnels, const uint8_t *data,
	    uint32_t len, struct vg_pkt *pkt)
{
	struct vg_parse_opts opts = {.linktype = linktype, .tunnels = tunnels};
	uint8_t *copy = malloc(len > 0 ? len : 1);
	enum vg_parse_error err;
	struct vg_pkt walked;

	assert_non_null(copy);
	memcpy(copy, data, len);
	memset(&walked, 0x5a, sizeof(walked));
	err = vg_parse(&opts, copy, len, pkt);
	assert_int_equal(vg_parse_layers(&opts, copy, len, &walked), err);
	if (err == VG_PARSE_OK)
		assert_memory_equal(pkt, &walked, sizeof(walked));
	free(copy);
	return err;
}

static enum vg_parse_error
parse_frame(uint32_t linktype, uint32_t tunnels, const struct frame *f,
	    struct vg_pkt *pkt)
{
	memset(pkt, 0xa5, sizeof(*pkt));
	return parse_exact(linktype, tunnels, f->b, f->len, pkt);
}

/*
 * Expected result of a frame cut short: every cut length from the previous
 * rule's <below> up to <below> - 1 yields <err>. When <err> is VG_PARSE_OK,
 * the innermost IP header must start at <l3_off>. CUT_ANY accepts any
 * result and marks a cut that a dedicated test checks.
 */
#define CUT_ANY VG_PARSE_ERROR_COUNT

struct cut_rule {
	uint32_t below;
	enum vg_parse_error err;
	uint32_t l3_off;
};

#define NRULES(r) (sizeof(r) / sizeof((r)[0]))

static void
check_cut(uint32_t cut, uint32_t len, const struct cut_rule *rule,
	  enum vg_parse_error err, const struct vg_pkt *pkt)
{
	if (rule->err == CUT_ANY) {
		assert_true(err < VG_PARSE_ERROR_COUNT);
		return;
	}
	if (err != rule->err)
		fail_msg("cut at %u of %u bytes: got %s, expected %s", cut,
			 len, vg_parse_error_name(err),
			 vg_parse_error_name(rule->err));
	if (err != VG_PARSE_OK)
		return;
	if (pkt->l3_off != rule->l3_off)
		fail_msg("cut at %u of %u bytes: l3_off %u, expected %u", cut,
			 len, pkt->l3_off, rule->l3_off);
	assert_int_equal(pkt->frame_len, cut);
	assert_int_equal(vg_pkt_l3_len(pkt), cut - pkt->l3_off);
	assert_true(pkt->payload_off + pkt->payload_len <= cut);
}

/*
 * Parses every proper prefix of <f>, as a short snap length leaves it, and
 * checks each against <rules>, which must cover lengths 0 to f->len - 1.
 */
static void
assert_cut_errors(uint32_t linktype, uint32_t tunnels, const struct frame *f,
		  const struct cut_rule *rules, size_t nrules)
{
	struct vg_pkt pkt;
	uint32_t cut = 0;

	assert_int_equal(rules[nrules - 1].below, f->len);
	for (size_t r = 0; r < nrules; r++) {
		for (; cut < rules[r].below; cut++) {
			enum vg_parse_error err = parse_exact(
				linktype, tunnels, f->b, cut, &pkt);

			check_cut(cut, f->len, &rules[r], err, &pkt);
		}
	}
}

/*
 * The usual result of a snap length cut: the link header (<l2_len> bytes)
 * is truncated, then the IP header (<ip_hdr_len> bytes), and after that
 * the capture contains less than the IP total length.
 */
static void
assert_snap_cuts(uint32_t linktype, uint32_t tunnels, const struct frame *f,
		 uint32_t l2_len, uint32_t ip_hdr_len)
{
	const struct cut_rule rules[] = {
		{l2_len, VG_PARSE_LINK_TRUNCATED, 0},
		{l2_len + ip_hdr_len, VG_PARSE_IP_TRUNCATED, 0},
		{f->len, VG_PARSE_IP_LENGTH, 0},
	};

	assert_cut_errors(linktype, tunnels, f, rules, NRULES(rules));
}

/*
 * Rewrites the length field of each IP header at <ip_offs> whose fixed
 * part lies within the first <cut> bytes so that the packet ends at <cut>,
 * as a sender that cuts a packet short and fixes its headers would.
 */
static void
shrink_ip_lengths(struct frame *f, uint32_t cut, const uint32_t *ip_offs,
		  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t off = ip_offs[i];
		uint8_t version = f->b[off] >> 4;
		uint32_t hdr_len = version == 4 ? (f->b[off] & 0x0fu) * 4 : 40;

		if (cut < off + hdr_len)
			continue;
		if (version == 4)
			set16(f, off + 2, (uint16_t)(cut - off));
		else
			set16(f, off + 4, (uint16_t)(cut - off - 40));
	}
}

/*
 * Cuts <f> at every length from <from> to f->len - 1 with the enclosing IP
 * lengths fixed up (shrink_ip_lengths()), so that the cut reaches the inner
 * headers instead of stopping at the outer IP length check, and checks each
 * result against <rules>, which start at <from>. A cut that parses must
 * describe a packet that ends at the cut.
 */
static void
assert_inner_cut_errors(uint32_t linktype, uint32_t tunnels,
			const struct frame *f, const uint32_t *ip_offs,
			size_t n_ip, uint32_t from,
			const struct cut_rule *rules, size_t nrules)
{
	struct frame *copy = malloc(sizeof(*copy));
	struct vg_pkt pkt;
	uint32_t cut = from;

	assert_non_null(copy);
	assert_int_equal(rules[nrules - 1].below, f->len);
	for (size_t r = 0; r < nrules; r++) {
		for (; cut < rules[r].below; cut++) {
			enum vg_parse_error err;

			*copy = *f;
			shrink_ip_lengths(copy, cut, ip_offs, n_ip);
			err = parse_exact(linktype, tunnels, copy->b, cut, &pkt);
			check_cut(cut, f->len, &rules[r], err, &pkt);
			if (err == VG_PARSE_OK)
				assert_int_equal(pkt.payload_off +
						 pkt.payload_len, cut);
		}
	}
	free(copy);
}

/*
 * Cuts inside and after the transport header of a frame without tunnels,
 * with the IP length at <l3_off> fixed up: a header cut short is an
 * l4_truncated error, and a payload cut short still parses.
 */
static void
assert_l4_cuts(uint32_t linktype, const struct frame *f, uint32_t l3_off,
	       uint32_t l4_off, uint32_t l4_hdr_len)
{
	const uint32_t ips[] = {l3_off};
	const struct cut_rule rules[] = {
		{l4_off + l4_hdr_len, VG_PARSE_L4_TRUNCATED, 0},
		{f->len, VG_PARSE_OK, l3_off},
	};

	assert_inner_cut_errors(linktype, 0, f, ips, 1, l4_off, rules,
				NRULES(rules));
}

/* Rules for a put_inner_ipv4_udp() datagram at <l3> cut short. */
#define INNER_UDP4_CUTS(l3)                              \
	{(l3) + 20, VG_PARSE_IP_TRUNCATED, 0},           \
	{(l3) + 28, VG_PARSE_L4_TRUNCATED, 0},           \
	{(l3) + 34, VG_PARSE_OK, (l3)}

static void
assert_ipv4_pair(const struct vg_pkt *pkt, const uint8_t *src,
		 const uint8_t *dst)
{
	static const uint8_t zero[12];

	assert_int_equal(pkt->ip_version, 4);
	assert_memory_equal(pkt->src, src, 4);
	assert_memory_equal(pkt->dst, dst, 4);
	assert_memory_equal(pkt->src + 4, zero, 12);
	assert_memory_equal(pkt->dst + 4, zero, 12);
}

/* Asserts the inner datagram of put_inner_ipv4_udp() starting at <l3>. */
static void
assert_inner_ipv4_udp(const struct vg_pkt *pkt, uint32_t l3)
{
	assert_ipv4_pair(pkt, ip4_c, ip4_d);
	assert_int_equal(pkt->l4_proto, 17);
	assert_int_equal(pkt->sport, 1000);
	assert_int_equal(pkt->dport, 2000);
	assert_int_equal(pkt->l3_off, l3);
	assert_int_equal(pkt->payload_off, l3 + 28);
	assert_int_equal(pkt->payload_len, 6);
}

/* Ethernet */

static void
test_parse_ethernet_ipv4_tcp(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	put_eth(&f, 0x0800);
	ip = begin_ipv4(&f, 6, ip4_a, ip4_b);
	put_tcp(&f, 40000, 443, 0x01020304, 0xa0b0c0d0, 0x18, 0xfff0);
	put_payload(&f, 5);
	end_ipv4(&f, ip);

	memset(&pkt, 0, sizeof(pkt));
	pkt.ts_us = 123456789;
	pkt.port_id = 3;
	pkt.data_off = 128;
	assert_int_equal(parse_exact(VG_LINK_ETHERNET, 0, f.b, f.len, &pkt),
			 VG_PARSE_OK);
	assert_ipv4_pair(&pkt, ip4_a, ip4_b);
	assert_int_equal(pkt.l4_proto, 6);
	assert_int_equal(pkt.sport, 40000);
	assert_int_equal(pkt.dport, 443);
	assert_int_equal(pkt.tcp_seq, 0x01020304);
	assert_int_equal(pkt.tcp_flags, 0x18);
	assert_int_equal(pkt.tcp_window, 0xfff0);
	assert_int_equal(pkt.l3_off, 14);
	assert_int_equal(vg_pkt_l3_len(&pkt), 20 + 20 + 5);
	assert_int_equal(pkt.payload_off, 14 + 20 + 20);
	assert_int_equal(pkt.payload_len, 5);
	assert_int_equal(pkt.vlan, 0);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
	assert_int_equal(pkt.frame_len, 14 + 20 + 20 + 5);
	/* fields that belong to the caller are cleared for it to set */
	assert_int_equal(pkt.ts_us, 0);
	assert_int_equal(pkt.port_id, 0);
	assert_int_equal(pkt.data_off, 0);
	assert_snap_cuts(VG_LINK_ETHERNET, 0, &f, 14, 20);
	assert_l4_cuts(VG_LINK_ETHERNET, &f, 14, 14 + 20, 20);
}

static void
test_parse_ethernet_ipv6_udp(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip, udp;

	(void)state;
	put_eth(&f, 0x86dd);
	ip = begin_ipv6(&f, 17, ip6_a, ip6_b);
	udp = begin_udp(&f, 5353, 53);
	put_payload(&f, 12);
	end_udp(&f, udp);
	end_ipv6(&f, ip);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_memory_equal(pkt.src, ip6_a, 16);
	assert_memory_equal(pkt.dst, ip6_b, 16);
	assert_int_equal(pkt.l4_proto, 17);
	assert_int_equal(pkt.sport, 5353);
	assert_int_equal(pkt.dport, 53);
	assert_int_equal(pkt.l3_off, 14);
	assert_int_equal(pkt.payload_off, 14 + 40 + 8);
	assert_int_equal(pkt.payload_len, 12);
	assert_int_equal(pkt.tcp_flags, 0);
	assert_snap_cuts(VG_LINK_ETHERNET, 0, &f, 14, 40);
	assert_l4_cuts(VG_LINK_ETHERNET, &f, 14, 14 + 40, 8);
}

static void
test_parse_ethernet_padding_ignored(void **state)
{
	static const struct cut_rule rules[] = {
		{14, VG_PARSE_LINK_TRUNCATED, 0},
		{14 + 20, VG_PARSE_IP_TRUNCATED, 0},
		{14 + 20 + 8 + 2, VG_PARSE_IP_LENGTH, 0},
		{60, VG_PARSE_OK, 14},
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip, udp, ip_end;

	(void)state;
	put_eth(&f, 0x0800);
	ip = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 1, 2);
	put_payload(&f, 2);
	end_udp(&f, udp);
	end_ipv4(&f, ip);
	ip_end = f.len;
	put_zero(&f, 60 - f.len);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.payload_len, 2);
	assert_int_equal(vg_pkt_l3_len(&pkt), 60 - 14);
	assert_int_equal(pkt.frame_len, 60);

	/* cuts inside the padding still contain the whole IP packet */
	assert_int_equal(ip_end, 14 + 20 + 8 + 2);
	assert_cut_errors(VG_LINK_ETHERNET, 0, &f, rules, NRULES(rules));
	for (uint32_t cut = ip_end; cut < f.len; cut++) {
		assert_int_equal(parse_exact(VG_LINK_ETHERNET, 0, f.b, cut,
					     &pkt),
				 VG_PARSE_OK);
		assert_int_equal(pkt.payload_len, 2);
		assert_int_equal(vg_pkt_l3_len(&pkt), cut - 14);
	}
}

static void
test_parse_ethernet_cut_link_truncated(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_eth(&f, 0x0800);
	for (uint32_t cut = 0; cut < 14; cut++)
		assert_int_equal(parse_exact(VG_LINK_ETHERNET, 0, f.b, cut,
					     &pkt),
				 VG_PARSE_LINK_TRUNCATED);
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_IP_TRUNCATED);
}

static void
test_parse_ethernet_llc_and_arp_not_ip(void **state)
{
	struct frame llc = {.len = 0}, arp = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_eth(&llc, 38); /* 802.3 length: an STP BPDU */
	put8(&llc, 0x42);
	put8(&llc, 0x42);
	put8(&llc, 0x03);
	put_zero(&llc, 35);
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_ALL, &llc,
				     &pkt),
			 VG_PARSE_NOT_IP);

	put_eth(&arp, 0x0806);
	put_zero(&arp, 28);
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_ALL, &arp,
				     &pkt),
			 VG_PARSE_NOT_IP);
}

/* VLAN, MPLS, PPPoE */

static void
test_parse_vlan_single_id(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_eth(&f, 0x8100);
	put_vlan(&f, 0xa000 | 42, 0x0800); /* priority 5, id 42 */
	put_inner_ipv4_udp(&f);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.vlan, 42);
	assert_inner_ipv4_udp(&pkt, 14 + 4);
	assert_snap_cuts(VG_LINK_ETHERNET, 0, &f, 14 + 4, 20);
	assert_l4_cuts(VG_LINK_ETHERNET, &f, 18, 18 + 20, 8);
}

static void
test_parse_vlan_qinq_innermost_id(void **state)
{
	static const uint16_t outer_types[] = {0x88a8, 0x9100, 0x8100};
	struct vg_pkt pkt;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct frame f = {.len = 0};

		put_eth(&f, outer_types[i]);
		put_vlan(&f, 100, 0x8100);
		put_vlan(&f, 0x1000 | 4095, 0x0800); /* DEI set, id 4095 */
		put_inner_ipv4_udp(&f);

		assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
				 VG_PARSE_OK);
		assert_int_equal(pkt.vlan, 4095);
		assert_inner_ipv4_udp(&pkt, 14 + 4 + 4);
		assert_snap_cuts(VG_LINK_ETHERNET, 0, &f, 14 + 4 + 4, 20);
		assert_l4_cuts(VG_LINK_ETHERNET, &f, 22, 22 + 20, 8);
	}
}

static void
test_parse_mpls_labels_then_ipv4(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_eth(&f, 0x8847);
	put32(&f, (1000u << 12) | 64);         /* label 1000, ttl 64 */
	put32(&f, (2000u << 12) | 0x100 | 64); /* bottom of stack */
	put_inner_ipv4_udp(&f);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 14 + 8);
	/* two labels, then the empty payload is ip_truncated */
	assert_snap_cuts(VG_LINK_ETHERNET, 0, &f, 14 + 8, 20);
	assert_l4_cuts(VG_LINK_ETHERNET, &f, 22, 22 + 20, 8);
}

static void
test_parse_mpls_guesses_ipv6(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	put_eth(&f, 0x8848);
	put32(&f, (16u << 12) | 0x100 | 1);
	ip = begin_ipv6(&f, 59, ip6_a, ip6_b);
	end_ipv6(&f, ip);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_int_equal(pkt.l3_off, 14 + 4);
	assert_int_equal(pkt.l4_proto, 59);
	assert_snap_cuts(VG_LINK_ETHERNET, 0, &f, 14 + 4, 40);
}

static void
test_parse_mpls_pseudowire_not_ip(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_eth(&f, 0x8847);
	put32(&f, (16u << 12) | 0x100 | 1);
	put32(&f, 0); /* pseudowire control word, then Ethernet */
	put_eth(&f, 0x0800);
	put_inner_ipv4_udp(&f);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_NOT_IP);
}

static void
test_parse_pppoe_session_ipv4_and_ipv6(void **state)
{
	struct frame f4 = {.len = 0}, f6 = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	put_eth(&f4, 0x8864);
	put8(&f4, 0x11);
	put8(&f4, 0x00);
	put16(&f4, 0x0001);
	put16(&f4, 2 + 34); /* PPP protocol and IP packet */
	put16(&f4, 0x0021);
	put_inner_ipv4_udp(&f4);
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f4, &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 14 + 8);
	assert_snap_cuts(VG_LINK_ETHERNET, 0, &f4, 14 + 8, 20);
	assert_l4_cuts(VG_LINK_ETHERNET, &f4, 22, 22 + 20, 8);

	put_eth(&f6, 0x8864);
	put8(&f6, 0x11);
	put8(&f6, 0x00);
	put16(&f6, 0x0001);
	put16(&f6, 2 + 40);
	put16(&f6, 0x0057);
	ip = begin_ipv6(&f6, 59, ip6_a, ip6_b);
	end_ipv6(&f6, ip);
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f6, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_int_equal(pkt.l3_off, 14 + 8);
	assert_snap_cuts(VG_LINK_ETHERNET, 0, &f6, 14 + 8, 40);

	f6.b[14 + 6] = 0xc0; /* LCP */
	f6.b[14 + 7] = 0x21;
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f6, &pkt),
			 VG_PARSE_NOT_IP);
}

static void
test_parse_pppoe_not_session_data(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_eth(&f, 0x8864);
	put8(&f, 0x11);
	put8(&f, 0x00);
	put16(&f, 0x0001);
	put16(&f, 2 + 34);
	put16(&f, 0x0021);
	put_inner_ipv4_udp(&f);
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_OK);

	f.b[15] = 0x09; /* a discovery code on the session ethertype */
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_NOT_IP);
	f.b[15] = 0x00;
	f.b[14] = 0x21; /* version 2 */
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_NOT_IP);
}

/* Other link types */

static void
test_parse_linux_sll_v1(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put16(&f, 0);      /* packet type: to us */
	put16(&f, 1);      /* ARPHRD_ETHER */
	put16(&f, 6);      /* address length */
	put_zero(&f, 8);   /* address */
	put16(&f, 0x0800); /* protocol */
	put_inner_ipv4_udp(&f);

	assert_int_equal(parse_frame(VG_LINK_LINUX_SLL, 0, &f, &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 16);
	assert_snap_cuts(VG_LINK_LINUX_SLL, 0, &f, 16, 20);
	assert_l4_cuts(VG_LINK_LINUX_SLL, &f, 16, 16 + 20, 8);
}

static void
test_parse_linux_sll_v2(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip, udp;

	(void)state;
	put16(&f, 0x86dd); /* protocol */
	put16(&f, 0);      /* reserved */
	put32(&f, 7);      /* interface index */
	put16(&f, 1);      /* ARPHRD_ETHER */
	put8(&f, 4);       /* packet type: outgoing */
	put8(&f, 6);
	put_zero(&f, 8);
	ip = begin_ipv6(&f, 17, ip6_a, ip6_b);
	udp = begin_udp(&f, 1, 2);
	end_udp(&f, udp);
	end_ipv6(&f, ip);

	assert_int_equal(parse_frame(VG_LINK_LINUX_SLL2, 0, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_int_equal(pkt.l3_off, 20);
	assert_int_equal(pkt.payload_off, 20 + 40 + 8);
	assert_int_equal(pkt.payload_len, 0);
	assert_snap_cuts(VG_LINK_LINUX_SLL2, 0, &f, 20, 40);
	assert_l4_cuts(VG_LINK_LINUX_SLL2, &f, 20, 20 + 40, 8);
}

static void
test_parse_linux_sll_vlan_and_not_ip(void **state)
{
	struct frame f = {.len = 0}, arp = {.len = 0}, llc = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put16(&f, 0);
	put16(&f, 1);
	put16(&f, 6);
	put_zero(&f, 8);
	put16(&f, 0x8100); /* the tag was left in the frame */
	put_vlan(&f, 7, 0x0800);
	put_inner_ipv4_udp(&f);
	assert_int_equal(parse_frame(VG_LINK_LINUX_SLL, 0, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.vlan, 7);
	assert_inner_ipv4_udp(&pkt, 16 + 4);
	assert_snap_cuts(VG_LINK_LINUX_SLL, 0, &f, 16 + 4, 20);

	put16(&arp, 0);
	put16(&arp, 1);
	put16(&arp, 6);
	put_zero(&arp, 8);
	put16(&arp, 0x0806);
	put_zero(&arp, 28);
	assert_int_equal(parse_frame(VG_LINK_LINUX_SLL, 0, &arp, &pkt),
			 VG_PARSE_NOT_IP);

	put16(&llc, 0x0004); /* 802.2 LLC frame, not an ethertype */
	put16(&llc, 0);
	put32(&llc, 3);
	put16(&llc, 1);
	put8(&llc, 0);
	put8(&llc, 6);
	put_zero(&llc, 8);
	put_zero(&llc, 20);
	assert_int_equal(parse_frame(VG_LINK_LINUX_SLL2, 0, &llc, &pkt),
			 VG_PARSE_NOT_IP);
}

static void
test_parse_raw_version_nibble(void **state)
{
	struct frame f4 = {.len = 0}, f6 = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	put_inner_ipv4_udp(&f4);
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f4, &pkt), VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 0);
	assert_int_equal(parse_frame(VG_LINK_IPV4, 0, &f4, &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 0);
	assert_int_equal(parse_frame(VG_LINK_IPV6, 0, &f4, &pkt),
			 VG_PARSE_IP_BAD_VERSION);
	assert_snap_cuts(VG_LINK_RAW, 0, &f4, 0, 20);
	assert_snap_cuts(VG_LINK_IPV4, 0, &f4, 0, 20);
	assert_l4_cuts(VG_LINK_RAW, &f4, 0, 20, 8);

	ip = begin_ipv6(&f6, 59, ip6_a, ip6_b);
	end_ipv6(&f6, ip);
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f6, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_int_equal(parse_frame(VG_LINK_IPV6, 0, &f6, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(parse_frame(VG_LINK_IPV4, 0, &f6, &pkt),
			 VG_PARSE_IP_BAD_VERSION);
	assert_snap_cuts(VG_LINK_RAW, 0, &f6, 0, 40);
	assert_snap_cuts(VG_LINK_IPV6, 0, &f6, 0, 40);

	f6.b[0] = 0x50;
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f6, &pkt),
			 VG_PARSE_IP_BAD_VERSION);
}

static void
test_parse_raw_accepts_dlt_raw(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_inner_ipv4_udp(&f);
	assert_int_equal(parse_frame(12, 0, &f, &pkt), VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 0);
	assert_int_equal(parse_frame(14, 0, &f, &pkt), VG_PARSE_OK);
}

static void
put_family(struct frame *f, uint32_t family, bool network_order)
{
	if (network_order) {
		put32(f, family);
	} else {
		put8(f, (uint8_t)family);
		put8(f, (uint8_t)(family >> 8));
		put8(f, (uint8_t)(family >> 16));
		put8(f, (uint8_t)(family >> 24));
	}
}

static void
test_parse_null_family_both_orders(void **state)
{
	static const uint32_t inet6[] = {10, 24, 28, 30};
	static const uint32_t links[] = {VG_LINK_NULL, VG_LINK_LOOP};
	struct vg_pkt pkt;

	(void)state;
	for (int order = 0; order < 2; order++) {
		for (size_t l = 0; l < 2; l++) {
			struct frame f = {.len = 0};

			put_family(&f, 2, order);
			put_inner_ipv4_udp(&f);
			assert_int_equal(parse_frame(links[l], 0, &f, &pkt),
					 VG_PARSE_OK);
			assert_inner_ipv4_udp(&pkt, 4);
			assert_snap_cuts(links[l], 0, &f, 4, 20);
			assert_l4_cuts(links[l], &f, 4, 4 + 20, 8);
		}
		for (size_t i = 0; i < 4; i++) {
			struct frame f = {.len = 0};
			uint32_t ip;

			put_family(&f, inet6[i], order);
			ip = begin_ipv6(&f, 59, ip6_a, ip6_b);
			end_ipv6(&f, ip);
			for (size_t l = 0; l < 2; l++) {
				assert_int_equal(parse_frame(links[l], 0, &f,
							     &pkt),
						 VG_PARSE_OK);
				assert_int_equal(pkt.ip_version, 6);
				assert_int_equal(pkt.l3_off, 4);
				assert_snap_cuts(links[l], 0, &f, 4, 40);
			}
		}
	}
}

static void
test_parse_null_other_family_not_ip(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put32(&f, 7); /* AF_LOCAL */
	put_inner_ipv4_udp(&f);
	assert_int_equal(parse_frame(VG_LINK_NULL, 0, &f, &pkt),
			 VG_PARSE_NOT_IP);
}

static void
test_parse_ppp_with_and_without_prefix(void **state)
{
	static const uint32_t links[] = {VG_LINK_PPP, VG_LINK_PPP_SERIAL};
	/* test_parse_ppp_address_byte_alone checks the 1-byte cut */
	static const struct cut_rule full_cuts[] = {
		{1, VG_PARSE_LINK_TRUNCATED, 0},
		{2, CUT_ANY, 0},
		{4, VG_PARSE_LINK_TRUNCATED, 0},
		{4 + 20, VG_PARSE_IP_TRUNCATED, 0},
		{4 + 34, VG_PARSE_IP_LENGTH, 0},
	};
	static const struct cut_rule v6_cuts[] = {
		{1, VG_PARSE_LINK_TRUNCATED, 0},
		{2, CUT_ANY, 0},
		{4, VG_PARSE_LINK_TRUNCATED, 0},
		{4 + 40, VG_PARSE_IP_TRUNCATED, 0},
	};
	struct vg_pkt pkt;

	(void)state;
	for (size_t l = 0; l < 2; l++) {
		struct frame full = {.len = 0}, bare = {.len = 0};
		struct frame pfc = {.len = 0}, v6 = {.len = 0};
		uint32_t ip;

		put8(&full, 0xff);
		put8(&full, 0x03);
		put16(&full, 0x0021);
		put_inner_ipv4_udp(&full);
		assert_int_equal(parse_frame(links[l], 0, &full, &pkt),
				 VG_PARSE_OK);
		assert_inner_ipv4_udp(&pkt, 4);
		assert_cut_errors(links[l], 0, &full, full_cuts,
				  NRULES(full_cuts));
		assert_l4_cuts(links[l], &full, 4, 4 + 20, 8);

		put16(&bare, 0x0021);
		put_inner_ipv4_udp(&bare);
		assert_int_equal(parse_frame(links[l], 0, &bare, &pkt),
				 VG_PARSE_OK);
		assert_inner_ipv4_udp(&pkt, 2);
		assert_snap_cuts(links[l], 0, &bare, 2, 20);

		put8(&pfc, 0x21); /* protocol field compressed */
		put_inner_ipv4_udp(&pfc);
		assert_int_equal(parse_frame(links[l], 0, &pfc, &pkt),
				 VG_PARSE_OK);
		assert_inner_ipv4_udp(&pkt, 1);
		assert_snap_cuts(links[l], 0, &pfc, 1, 20);

		put8(&v6, 0xff);
		put8(&v6, 0x03);
		put16(&v6, 0x0057);
		ip = begin_ipv6(&v6, 59, ip6_a, ip6_b);
		end_ipv6(&v6, ip);
		assert_int_equal(parse_frame(links[l], 0, &v6, &pkt),
				 VG_PARSE_OK);
		assert_int_equal(pkt.ip_version, 6);
		assert_int_equal(pkt.l3_off, 4);
		assert_cut_errors(links[l], 0, &v6, v6_cuts, NRULES(v6_cuts));

		v6.b[2] = 0xc0; /* LCP */
		v6.b[3] = 0x21;
		assert_int_equal(parse_frame(links[l], 0, &v6, &pkt),
				 VG_PARSE_NOT_IP);
	}
}

static void
test_parse_cisco_hdlc(void **state)
{
	static const uint32_t links[] = {VG_LINK_C_HDLC, VG_LINK_PPP_SERIAL,
					 VG_LINK_PPP};
	struct vg_pkt pkt;

	(void)state;
	for (size_t l = 0; l < 3; l++) {
		struct frame f = {.len = 0};

		put8(&f, l == 0 ? 0x8f : 0x0f);
		put8(&f, 0x00);
		put16(&f, 0x0800);
		put_inner_ipv4_udp(&f);
		assert_int_equal(parse_frame(links[l], 0, &f, &pkt),
				 VG_PARSE_OK);
		assert_inner_ipv4_udp(&pkt, 4);
		assert_snap_cuts(links[l], 0, &f, 4, 20);
		assert_l4_cuts(links[l], &f, 4, 4 + 20, 8);

		f.b[2] = 0x80; /* SLARP */
		f.b[3] = 0x35;
		assert_int_equal(parse_frame(links[l], 0, &f, &pkt),
				 VG_PARSE_NOT_IP);
	}
}

static void
test_parse_unknown_link_unsupported(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_inner_ipv4_udp(&f);
	assert_int_equal(parse_frame(105 /* 802.11 */, 0, &f, &pkt),
			 VG_PARSE_LINK_UNSUPPORTED);
	assert_int_equal(parse_frame(0xffffffffu, 0, &f, &pkt),
			 VG_PARSE_LINK_UNSUPPORTED);
}

/* IPv4 header checks */

static void
test_parse_ipv4_options_move_l4(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	ip = begin_ipv4(&f, 6, ip4_a, ip4_b);
	f.b[ip] = 0x47; /* IHL 7: 8 bytes of options */
	put32(&f, 0x01010101);
	put32(&f, 0x01010100);
	put_tcp(&f, 1, 2, 3, 4, 0x02, 5);
	end_ipv4(&f, ip);

	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.payload_off, 48);
	assert_int_equal(pkt.payload_len, 0);
	assert_int_equal(pkt.tcp_flags, 0x02);
	/* the options are part of the header: cuts in them are ip_truncated */
	assert_snap_cuts(VG_LINK_RAW, 0, &f, 0, 28);
	assert_l4_cuts(VG_LINK_RAW, &f, 0, 28, 20);
}

static void
test_parse_ipv4_bad_headers(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_inner_ipv4_udp(&f);

	f.b[0] = 0x44; /* IHL 4 */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_IP_BAD_HEADER);
	f.b[0] = 0x4f; /* IHL 15: 60 bytes, more than the 34 captured */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_IP_TRUNCATED);
	f.b[0] = 0x45;
	set16(&f, 2, 19); /* total length below the header length */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_IP_BAD_HEADER);
	set16(&f, 2, 0); /* as TSO captures show it */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_IP_BAD_HEADER);
	set16(&f, 2, (uint16_t)(f.len + 1));
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_IP_LENGTH);
	set16(&f, 2, (uint16_t)f.len);
	assert_int_equal(parse_frame(VG_LINK_IPV4, 0, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(parse_exact(VG_LINK_IPV4, 0, f.b, 19, &pkt),
			 VG_PARSE_IP_TRUNCATED);
	assert_int_equal(parse_exact(VG_LINK_IPV4, 0, f.b, 0, &pkt),
			 VG_PARSE_IP_TRUNCATED);
}

static void
test_parse_ethertype_ipv4_with_version_6(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_eth(&f, 0x0800);
	put_inner_ipv4_udp(&f);
	f.b[14] = 0x65;
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_IP_BAD_VERSION);
}

/* Fragments */

static void
test_parse_ipv4_first_fragment_has_ports(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip, udp;

	(void)state;
	ip = begin_ipv4(&f, 17, ip4_a, ip4_b);
	set16(&f, ip + 6, 0x2000); /* MF, offset 0 */
	udp = begin_udp(&f, 4444, 53);
	set16(&f, udp + 4, 1000); /* the whole datagram is longer */
	put_payload(&f, 16);
	end_ipv4(&f, ip);

	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.sport, 4444);
	assert_int_equal(pkt.dport, 53);
	assert_int_equal(pkt.payload_len, 16);
	assert_snap_cuts(VG_LINK_RAW, 0, &f, 0, 20);
	assert_l4_cuts(VG_LINK_RAW, &f, 0, 20, 8);

	set16(&f, ip + 6, 0x6000); /* DF and MF, offset 0 */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.sport, 4444);
	set16(&f, ip + 6, 0x4000); /* DF alone: not a fragment */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	set16(&f, ip + 6, 1); /* offset 8 bytes, the smallest non-zero */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_FRAGMENT);

	set16(&f, ip + 6, 0x2000 | 185); /* offset 1480 bytes */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_FRAGMENT);
	set16(&f, ip + 6, 185); /* last fragment */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_FRAGMENT);
}

static void
test_parse_ipv6_fragment_header(void **state)
{
	static const uint32_t ips[] = {0};
	static const struct cut_rule cuts[] = {
		{40 + 8, VG_PARSE_IPV6_EXT, 0},
		{40 + 8 + 20, VG_PARSE_L4_TRUNCATED, 0},
		{40 + 8 + 20 + 3, VG_PARSE_OK, 0},
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip, frag;

	(void)state;
	ip = begin_ipv6(&f, 44, ip6_a, ip6_b);
	frag = f.len;
	put8(&f, 6);      /* next header: TCP */
	put8(&f, 0);
	put16(&f, 0x0001); /* offset 0, M */
	put32(&f, 0xabcd);
	put_tcp(&f, 80, 50000, 1, 2, 0x10, 100);
	put_payload(&f, 3);
	end_ipv6(&f, ip);

	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 6);
	assert_int_equal(pkt.sport, 80);
	assert_int_equal(pkt.dport, 50000);
	assert_int_equal(pkt.payload_off, 40 + 8 + 20);
	assert_int_equal(pkt.payload_len, 3);
	assert_snap_cuts(VG_LINK_RAW, 0, &f, 0, 40);
	assert_inner_cut_errors(VG_LINK_RAW, 0, &f, ips, 1, 40, cuts,
				NRULES(cuts));

	set16(&f, frag + 2, (uint16_t)(1448 | 1));
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_FRAGMENT);
	set16(&f, frag + 2, 8); /* offset 8 bytes, last fragment */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_FRAGMENT);
	set16(&f, frag + 2, 0); /* atomic fragment (RFC 6946) */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.sport, 80);
}

/* IPv6 extension headers */

static void
test_parse_ipv6_extension_chain(void **state)
{
	static const uint32_t ips[] = {0};
	/* each header cut short, whatever its length unit, is ipv6_ext */
	static const struct cut_rule cuts[] = {
		{48, VG_PARSE_IPV6_EXT, 0},  /* hop-by-hop */
		{72, VG_PARSE_IPV6_EXT, 0},  /* routing */
		{88, VG_PARSE_IPV6_EXT, 0},  /* destination options */
		{112, VG_PARSE_IPV6_EXT, 0}, /* AH */
		{120, VG_PARSE_L4_TRUNCATED, 0},
		{127, VG_PARSE_OK, 0},
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip, udp;

	(void)state;
	ip = begin_ipv6(&f, 0, ip6_a, ip6_b);
	put8(&f, 43); /* hop-by-hop, 8 bytes */
	put8(&f, 0);
	put_zero(&f, 6);
	put8(&f, 60); /* routing, 24 bytes */
	put8(&f, 2);
	put_zero(&f, 22);
	put8(&f, 51); /* destination options, 16 bytes */
	put8(&f, 1);
	put_zero(&f, 14);
	put8(&f, 17); /* AH, (4 + 2) * 4 = 24 bytes */
	put8(&f, 4);
	put_zero(&f, 22);
	udp = begin_udp(&f, 500, 4500);
	put_payload(&f, 7);
	end_udp(&f, udp);
	end_ipv6(&f, ip);

	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 17);
	assert_int_equal(pkt.payload_off, 40 + 8 + 24 + 16 + 24 + 8);
	assert_int_equal(pkt.sport, 500);
	assert_int_equal(pkt.dport, 4500);
	assert_int_equal(pkt.payload_len, 7);
	assert_snap_cuts(VG_LINK_RAW, 0, &f, 0, 40);
	assert_inner_cut_errors(VG_LINK_RAW, 0, &f, ips, 1, 40, cuts,
				NRULES(cuts));

	/* the routing header claims more than the packet contains */
	f.b[40 + 8 + 1] = 200;
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_IPV6_EXT);
}

static void
test_parse_ipv6_no_next_header(void **state)
{
	static const uint32_t ips[] = {0};
	static const struct cut_rule cuts[] = {
		{48, VG_PARSE_IPV6_EXT, 0},
		{52, VG_PARSE_OK, 0},
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	ip = begin_ipv6(&f, 60, ip6_a, ip6_b);
	put8(&f, 59);
	put8(&f, 0);
	put_zero(&f, 6);
	put_payload(&f, 4); /* ignored by receivers, still in the length */
	end_ipv6(&f, ip);

	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 59);
	assert_int_equal(pkt.sport, 0);
	assert_int_equal(pkt.dport, 0);
	assert_int_equal(pkt.payload_off, 48);
	assert_int_equal(pkt.payload_len, 4);
	assert_snap_cuts(VG_LINK_RAW, 0, &f, 0, 40);
	assert_inner_cut_errors(VG_LINK_RAW, 0, &f, ips, 1, 40, cuts,
				NRULES(cuts));
}

static void
test_parse_ipv6_extension_cut(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	ip = begin_ipv6(&f, 0, ip6_a, ip6_b);
	put8(&f, 59);
	put8(&f, 0);
	put_zero(&f, 4); /* 6 of the 8 bytes */
	end_ipv6(&f, ip);
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_IPV6_EXT);
}

/* Transport headers */

static void
test_parse_tcp_bad_data_offset(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	ip = begin_ipv4(&f, 6, ip4_a, ip4_b);
	put_tcp(&f, 1, 2, 3, 4, 0x02, 5);
	put_payload(&f, 8);
	end_ipv4(&f, ip);

	f.b[20 + 12] = 4 << 4;
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_TCP_BAD_OFFSET);
	f.b[20 + 12] = 8 << 4; /* 32 bytes, 28 are there */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
			 VG_PARSE_TCP_BAD_OFFSET);
	f.b[20 + 12] = 7 << 4; /* 28 bytes: options, no payload */
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.payload_off, 20 + 28);
	assert_int_equal(pkt.payload_len, 0);
}

static void
test_parse_tcp_options_before_payload(void **state)
{
	static const uint32_t ips[] = {0};
	static const struct cut_rule cuts[] = {
		{20 + 20, VG_PARSE_L4_TRUNCATED, 0},
		{20 + 32, VG_PARSE_TCP_BAD_OFFSET, 0},
		{20 + 32 + 10, VG_PARSE_OK, 0},
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	ip = begin_ipv4(&f, 6, ip4_a, ip4_b);
	put_tcp(&f, 5000, 22, 100, 200, 0x12, 29200);
	f.b[20 + 12] = 8 << 4; /* 32 bytes: 12 bytes of options */
	put_zero(&f, 12);
	put_payload(&f, 10);
	end_ipv4(&f, ip);

	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.payload_off, 20 + 32);
	assert_int_equal(pkt.payload_len, 10);
	assert_int_equal(pkt.tcp_flags, 0x12);
	assert_int_equal(pkt.tcp_window, 29200);
	/* the options cut short make the data offset point past the packet */
	assert_inner_cut_errors(VG_LINK_RAW, 0, &f, ips, 1, 20, cuts,
				NRULES(cuts));
}

static void
test_parse_l4_truncated(void **state)
{
	static const struct {
		uint8_t proto;
		uint32_t need;
	} cases[] = {{6, 20}, {17, 8}, {1, 4}, {58, 4}};
	struct vg_pkt pkt;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct frame f = {.len = 0};
		uint32_t ip = begin_ipv4(&f, cases[i].proto, ip4_a, ip4_b);

		put_payload(&f, cases[i].need - 1);
		end_ipv4(&f, ip);
		assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt),
				 VG_PARSE_L4_TRUNCATED);
	}
}

/*
 * Returns a heap frame of <len> bytes: Ethernet, then an IPv4 header
 * whose total length is the rest of the frame, then UDP 1000 -> 2000.
 */
static uint8_t *
long_udp_frame(uint32_t len)
{
	uint8_t *b = calloc(1, len);
	uint32_t ip_len = len - 14;

	assert_non_null(b);
	b[12] = 0x08;            /* EtherType IPv4 */
	b[14] = 0x45;            /* version 4, 20-byte header */
	b[16] = (uint8_t)(ip_len >> 8);
	b[17] = (uint8_t)ip_len;
	b[22] = 64;              /* TTL */
	b[23] = 17;              /* UDP */
	memcpy(b + 26, ip4_a, 4);
	memcpy(b + 30, ip4_b, 4);
	b[34] = 1000 >> 8;
	b[35] = 1000 & 0xff;
	b[36] = 2000 >> 8;
	b[37] = 2000 & 0xff;
	b[38] = (uint8_t)((ip_len - 20) >> 8);
	b[39] = (uint8_t)(ip_len - 20);
	return b;
}

static void
test_parse_frame_length_limit(void **state)
{
	uint8_t *longest = long_udp_frame(UINT16_MAX);
	uint8_t *over = long_udp_frame(UINT16_MAX + 1);
	struct vg_parse_opts raw = {.linktype = 999};
	struct vg_pkt pkt;

	(void)state;
	assert_int_equal(parse_exact(VG_LINK_ETHERNET, 0, longest, UINT16_MAX,
				     &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.frame_len, UINT16_MAX);
	assert_int_equal(pkt.payload_len, UINT16_MAX - 14 - 20 - 8);
	assert_int_equal(parse_exact(VG_LINK_ETHERNET, 0, over,
				     UINT16_MAX + 1, &pkt),
			 VG_PARSE_TOO_LONG);
	/* an unknown link type is named first, whatever the length */
	assert_int_equal(vg_parse(&raw, over, UINT16_MAX + 1, &pkt),
			 VG_PARSE_LINK_UNSUPPORTED);
	assert_string_equal(vg_parse_error_name(VG_PARSE_TOO_LONG),
			    "too_long");
	free(longest);
	free(over);
}

static void
test_parse_icmp_type_and_no_ports(void **state)
{
	struct frame f4 = {.len = 0}, f6 = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	ip = begin_ipv4(&f4, 1, ip4_a, ip4_b);
	put8(&f4, 8); /* echo request */
	put8(&f4, 0);
	put16(&f4, 0);
	put32(&f4, 0x00010002);
	put_payload(&f4, 10);
	end_ipv4(&f4, ip);
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f4, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 1);
	assert_int_equal(pkt.icmp_type, 8);
	/* the other byte that icmp_type shares with tcp_window is cleared */
	assert_int_equal(((const uint8_t *)&pkt.icmp_type)[1], 0);
	assert_int_equal(pkt.sport, 0);
	assert_int_equal(pkt.dport, 0);
	assert_int_equal(pkt.payload_off, 20 + 4);
	assert_int_equal(pkt.payload_len, 4 + 10);
	assert_snap_cuts(VG_LINK_RAW, 0, &f4, 0, 20);
	assert_l4_cuts(VG_LINK_RAW, &f4, 0, 20, 4);

	ip = begin_ipv6(&f6, 58, ip6_a, ip6_b);
	put8(&f6, 135); /* neighbour solicitation */
	put8(&f6, 0);
	put16(&f6, 0);
	put_zero(&f6, 20);
	end_ipv6(&f6, ip);
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f6, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 58);
	assert_int_equal(pkt.icmp_type, 135);
	assert_int_equal(pkt.sport, 0);
	assert_int_equal(pkt.dport, 0);
	assert_snap_cuts(VG_LINK_RAW, 0, &f6, 0, 40);
	assert_l4_cuts(VG_LINK_RAW, &f6, 0, 40, 4);
}

static void
test_parse_other_protocol_whole_payload(void **state)
{
	static const uint32_t ips[] = {0};
	static const struct cut_rule cuts[] = {{20 + 24, VG_PARSE_OK, 0}};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t ip;

	(void)state;
	ip = begin_ipv4(&f, 50, ip4_a, ip4_b); /* ESP */
	put_payload(&f, 24);
	end_ipv4(&f, ip);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 50);
	assert_int_equal(pkt.sport, 0);
	assert_int_equal(pkt.payload_off, 20);
	assert_int_equal(pkt.payload_len, 24);
	assert_inner_cut_errors(VG_LINK_RAW, VG_TUNNEL_ALL, &f, ips, 1, 20,
				cuts, NRULES(cuts));

	f.len = 20; /* a header with no payload is still complete */
	end_ipv4(&f, ip);
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.payload_len, 0);
}

/* IP in IP */

static void
test_parse_ipip_tunnels(void **state)
{
	static const uint32_t ips44[] = {14, 34}, ips64[] = {0, 20};
	static const uint32_t ips46[] = {0, 40};
	static const struct cut_rule cuts44[] = {INNER_UDP4_CUTS(34)};
	static const struct cut_rule cuts64[] = {
		{20 + 40, VG_PARSE_IP_TRUNCATED, 0},
		{20 + 40 + 8, VG_PARSE_L4_TRUNCATED, 0},
	};
	static const struct cut_rule cuts46[] = {INNER_UDP4_CUTS(40)};
	struct frame f44 = {.len = 0}, f64 = {.len = 0}, f46 = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, inner, udp;

	(void)state;
	put_eth(&f44, 0x0800);
	outer = begin_ipv4(&f44, 4, ip4_a, ip4_b);
	put_inner_ipv4_udp(&f44);
	end_ipv4(&f44, outer);
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_IPIP, &f44,
				     &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 14 + 20);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_IPIP);
	assert_int_equal(vg_pkt_l3_len(&pkt), 34);
	assert_snap_cuts(VG_LINK_ETHERNET, VG_TUNNEL_IPIP, &f44, 14, 20);
	assert_inner_cut_errors(VG_LINK_ETHERNET, VG_TUNNEL_IPIP, &f44, ips44,
				2, 34, cuts44, NRULES(cuts44));

	/* with the bit off the outer packet is the flow */
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_ALL &
				     ~VG_TUNNEL_IPIP, &f44, &pkt),
			 VG_PARSE_OK);
	assert_ipv4_pair(&pkt, ip4_a, ip4_b);
	assert_int_equal(pkt.l4_proto, 4);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
	assert_int_equal(pkt.payload_off, 14 + 20);
	assert_int_equal(pkt.payload_len, 34);

	outer = begin_ipv4(&f64, 41, ip4_a, ip4_b);
	inner = begin_ipv6(&f64, 17, ip6_a, ip6_b);
	udp = begin_udp(&f64, 7, 9);
	end_udp(&f64, udp);
	end_ipv6(&f64, inner);
	end_ipv4(&f64, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_IPIP, &f64, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_memory_equal(pkt.src, ip6_a, 16);
	assert_int_equal(pkt.l3_off, 20);
	assert_int_equal(pkt.sport, 7);
	assert_snap_cuts(VG_LINK_RAW, VG_TUNNEL_IPIP, &f64, 0, 20);
	assert_inner_cut_errors(VG_LINK_RAW, VG_TUNNEL_IPIP, &f64, ips64, 2,
				20, cuts64, NRULES(cuts64));

	outer = begin_ipv6(&f46, 4, ip6_a, ip6_b);
	put_inner_ipv4_udp(&f46);
	end_ipv6(&f46, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_IPIP, &f46, &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 40);
	assert_snap_cuts(VG_LINK_RAW, VG_TUNNEL_IPIP, &f46, 0, 40);
	assert_inner_cut_errors(VG_LINK_RAW, VG_TUNNEL_IPIP, &f46, ips46, 2,
				40, cuts46, NRULES(cuts46));
}

static void
test_parse_ipip_inner_longer_than_outer(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer;

	(void)state;
	outer = begin_ipv4(&f, 4, ip4_a, ip4_b);
	put_inner_ipv4_udp(&f);
	end_ipv4(&f, outer);
	set16(&f, 20 + 2, 35); /* the inner packet claims one byte more */
	put_zero(&f, 10);      /* which the capture contains, as padding */
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_IPIP, &f, &pkt),
			 VG_PARSE_IP_LENGTH);
}

/* GRE */

static void
test_parse_gre_optional_fields(void **state)
{
	static const uint32_t ips[] = {14, 50};
	static const struct cut_rule cuts[] = {
		{14 + 20 + 16, VG_PARSE_TUNNEL_TRUNCATED, 0},
		INNER_UDP4_CUTS(50),
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer;

	(void)state;
	put_eth(&f, 0x0800);
	outer = begin_ipv4(&f, 47, ip4_a, ip4_b);
	put16(&f, 0xb000); /* checksum, key, sequence */
	put16(&f, 0x0800);
	put32(&f, 0);
	put32(&f, 0x1234);
	put32(&f, 1);
	put_inner_ipv4_udp(&f);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_GRE, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 14 + 20 + 16);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_GRE);
	assert_snap_cuts(VG_LINK_ETHERNET, VG_TUNNEL_GRE, &f, 14, 20);
	assert_inner_cut_errors(VG_LINK_ETHERNET, VG_TUNNEL_GRE, &f, ips, 2,
				14 + 20, cuts, NRULES(cuts));

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_IPIP, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_ipv4_pair(&pkt, ip4_a, ip4_b);
	assert_int_equal(pkt.l4_proto, 47);
	assert_int_equal(pkt.sport, 0);
	assert_int_equal(pkt.dport, 0);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
	assert_int_equal(pkt.payload_off, 14 + 20);
	assert_int_equal(pkt.payload_len, 16 + 34);
}

static void
test_parse_gre_ipv6_and_bridged_ethernet(void **state)
{
	static const uint32_t ips6[] = {0, 24}, ipse[] = {0, 66};
	static const struct cut_rule cuts6[] = {
		{24, VG_PARSE_TUNNEL_TRUNCATED, 0},
		{24 + 40, VG_PARSE_IP_TRUNCATED, 0},
	};
	static const struct cut_rule cutse[] = {
		{40 + 8, VG_PARSE_TUNNEL_TRUNCATED, 0},
		{40 + 8 + 14 + 4, VG_PARSE_LINK_TRUNCATED, 0},
		INNER_UDP4_CUTS(66),
	};
	struct frame f6 = {.len = 0}, fe = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, inner;

	(void)state;
	outer = begin_ipv4(&f6, 47, ip4_a, ip4_b);
	put16(&f6, 0);
	put16(&f6, 0x86dd);
	inner = begin_ipv6(&f6, 59, ip6_a, ip6_b);
	end_ipv6(&f6, inner);
	end_ipv4(&f6, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GRE, &f6, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_int_equal(pkt.l3_off, 20 + 4);
	assert_snap_cuts(VG_LINK_RAW, VG_TUNNEL_GRE, &f6, 0, 20);
	assert_inner_cut_errors(VG_LINK_RAW, VG_TUNNEL_GRE, &f6, ips6, 2, 20,
				cuts6, NRULES(cuts6));

	outer = begin_ipv6(&fe, 47, ip6_a, ip6_b);
	put16(&fe, 0x2000); /* key */
	put16(&fe, 0x6558);
	put32(&fe, 99);
	put_eth(&fe, 0x8100);
	put_vlan(&fe, 77, 0x0800);
	put_inner_ipv4_udp(&fe);
	end_ipv6(&fe, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GRE, &fe, &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 40 + 8 + 14 + 4);
	assert_int_equal(pkt.vlan, 77);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_GRE);
	assert_snap_cuts(VG_LINK_RAW, VG_TUNNEL_GRE, &fe, 0, 40);
	assert_inner_cut_errors(VG_LINK_RAW, VG_TUNNEL_GRE, &fe, ipse, 2, 40,
				cutse, NRULES(cutse));
}

static void
test_parse_gre_unknown_payload_stays_outer(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer;

	(void)state;
	outer = begin_ipv4(&f, 47, ip4_a, ip4_b);
	put16(&f, 0x1000);
	put16(&f, 0x88be); /* ERSPAN */
	put32(&f, 1);
	put_payload(&f, 20);
	end_ipv4(&f, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 47);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
	assert_int_equal(pkt.payload_len, 28);
}

static void
test_parse_gre_header_cut(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer;

	(void)state;
	outer = begin_ipv4(&f, 47, ip4_a, ip4_b);
	put16(&f, 0x3000); /* key and sequence: 12 bytes */
	put16(&f, 0x0800);
	put32(&f, 1);
	end_ipv4(&f, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GRE, &f, &pkt),
			 VG_PARSE_TUNNEL_TRUNCATED);

	f.len = 22;
	end_ipv4(&f, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GRE, &f, &pkt),
			 VG_PARSE_TUNNEL_TRUNCATED);
}

static void
test_parse_gre_key_only(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer;

	(void)state;
	outer = begin_ipv4(&f, 47, ip4_a, ip4_b);
	put16(&f, 0x2000);
	put16(&f, 0x0800);
	put32(&f, 0xcafe);
	put_inner_ipv4_udp(&f);
	end_ipv4(&f, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GRE, &f, &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 20 + 8);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_GRE);
}

static void
test_parse_gre_routing_and_version_stay_outer(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer;

	(void)state;
	outer = begin_ipv4(&f, 47, ip4_a, ip4_b);
	put16(&f, 0x4000); /* RFC 1701 routing present */
	put16(&f, 0x0800);
	put32(&f, 0); /* checksum and offset fields, then routing */
	put_inner_ipv4_udp(&f);
	end_ipv4(&f, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_ipv4_pair(&pkt, ip4_a, ip4_b);
	assert_int_equal(pkt.l4_proto, 47);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
	assert_int_equal(pkt.payload_len, 8 + 34);

	set16(&f, 20, 0x0002); /* version 2 */
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 47);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
}

static void
put_pptp_gre(struct frame *f, uint16_t flags, uint16_t payload_len)
{
	put16(f, flags);
	put16(f, 0x880b);
	put16(f, payload_len);
	put16(f, 0x4000); /* call id */
	if (flags & 0x1000)
		put32(f, 17); /* sequence */
	if (flags & 0x0080)
		put32(f, 16); /* acknowledgement */
}

static void
test_parse_gre_pptp_ppp_ipv4(void **state)
{
	static const uint32_t ips[] = {14, 54};
	/* test_parse_ppp_address_byte_alone checks the cut after ff */
	static const struct cut_rule cuts[] = {
		{14 + 20 + 16 + 1, VG_PARSE_TUNNEL_TRUNCATED, 0},
		{14 + 20 + 16 + 2, CUT_ANY, 0},
		{14 + 20 + 16 + 4, VG_PARSE_TUNNEL_TRUNCATED, 0},
		INNER_UDP4_CUTS(54),
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer;

	(void)state;
	put_eth(&f, 0x0800);
	outer = begin_ipv4(&f, 47, ip4_a, ip4_b);
	put_pptp_gre(&f, 0x3081, 4 + 34);
	put8(&f, 0xff);
	put8(&f, 0x03);
	put16(&f, 0x0021);
	put_inner_ipv4_udp(&f);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_GRE, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 14 + 20 + 16 + 4);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_GRE);
	assert_snap_cuts(VG_LINK_ETHERNET, VG_TUNNEL_GRE, &f, 14, 20);
	assert_inner_cut_errors(VG_LINK_ETHERNET, VG_TUNNEL_GRE, &f, ips, 2,
				14 + 20, cuts, NRULES(cuts));
}

static void
test_parse_gre_pptp_ack_and_mppe_stay_outer(void **state)
{
	struct frame ack = {.len = 0}, mppe = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer;

	(void)state;
	outer = begin_ipv4(&ack, 47, ip4_a, ip4_b);
	put_pptp_gre(&ack, 0x2081, 0); /* key and acknowledgement only */
	end_ipv4(&ack, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GRE, &ack, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 47);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);

	outer = begin_ipv4(&mppe, 47, ip4_a, ip4_b);
	put_pptp_gre(&mppe, 0x3001, 2 + 10);
	put16(&mppe, 0x00fd); /* compressed datagram (MPPE) */
	put_payload(&mppe, 10);
	end_ipv4(&mppe, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GRE, &mppe, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 47);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
	assert_int_equal(pkt.payload_len, 12 + 2 + 10);
}

/*
 * A frame cut right after the 0xff address byte of the ff 03 prefix has
 * lost its header: it is truncated, not a PPP frame of protocol 0xff.
 */
static void
test_parse_ppp_address_byte_alone(void **state)
{
	static const uint8_t address = 0xff;
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer;

	(void)state;
	assert_int_equal(parse_exact(VG_LINK_PPP, 0, &address, 1, &pkt),
			 VG_PARSE_LINK_TRUNCATED);
	assert_int_equal(parse_exact(VG_LINK_PPP_SERIAL, 0, &address, 1,
				     &pkt),
			 VG_PARSE_LINK_TRUNCATED);

	outer = begin_ipv4(&f, 47, ip4_a, ip4_b);
	put_pptp_gre(&f, 0x3001, 1); /* key and sequence */
	put8(&f, 0xff);
	end_ipv4(&f, outer);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GRE, &f, &pkt),
			 VG_PARSE_TUNNEL_TRUNCATED);
}

/* UDP tunnels */

static void
test_parse_vxlan_inner_ethernet(void **state)
{
	static const uint32_t ips[] = {14, 64};
	static const struct cut_rule cuts[] = {
		{14 + 20 + 8 + 8, VG_PARSE_OK, 14}, /* outer UDP flow */
		{14 + 20 + 8 + 8 + 14, VG_PARSE_LINK_TRUNCATED, 0},
		INNER_UDP4_CUTS(64),
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp;

	(void)state;
	put_eth(&f, 0x0800);
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 51000, 4789);
	put32(&f, 0x08000000);
	put32(&f, 0x00123400); /* VNI 0x1234 */
	put_eth(&f, 0x0800);
	put_inner_ipv4_udp(&f);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_VXLAN, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 14 + 20 + 8 + 8 + 14);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_VXLAN);
	assert_int_equal(vg_pkt_l3_len(&pkt), 34);
	assert_snap_cuts(VG_LINK_ETHERNET, VG_TUNNEL_VXLAN, &f, 14, 20);
	assert_inner_cut_errors(VG_LINK_ETHERNET, VG_TUNNEL_VXLAN, &f, ips, 2,
				14 + 20 + 8, cuts, NRULES(cuts));

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_GTPU, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_ipv4_pair(&pkt, ip4_a, ip4_b);
	assert_int_equal(pkt.sport, 51000);
	assert_int_equal(pkt.dport, 4789);
	assert_int_equal(pkt.payload_len, 8 + 14 + 34);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
}

static void
test_parse_vxlan_header_cut(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp;

	(void)state;
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 51000, 4789);
	put32(&f, 0x08000000);
	end_udp(&f, udp);
	end_ipv4(&f, outer);
	/* Too short for VXLAN: the datagram stays on the outer UDP flow. */
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_VXLAN, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
	assert_int_equal(pkt.dport, 4789);
	assert_int_equal(pkt.payload_len, 4);
}

static void
test_parse_vxlan_without_i_flag_stays_outer(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp;

	(void)state;
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 51000, 4789);
	put32(&f, 0x00000000);
	put32(&f, 0x00000100);
	put_eth(&f, 0x0800);
	put_inner_ipv4_udp(&f);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_ipv4_pair(&pkt, ip4_a, ip4_b);
	assert_int_equal(pkt.dport, 4789);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
	assert_int_equal(pkt.payload_off, 20 + 8);
	assert_int_equal(pkt.payload_len, 8 + 14 + 34);
}

static uint32_t
begin_gtpu(struct frame *f, uint8_t flags, uint8_t type)
{
	uint32_t at = f->len;

	put8(f, flags);
	put8(f, type);
	put16(f, 0); /* length after the first 8 bytes, set by end_gtpu() */
	put32(f, 0x11223344);
	return at;
}

static void
end_gtpu(struct frame *f, uint32_t at)
{
	set16(f, at + 2, (uint16_t)(f->len - at - 8));
}

static void
test_parse_gtpu_gpdu(void **state)
{
	static const uint32_t ips[] = {14, 50};
	/* a G-PDU with an empty T-PDU stays on the outer flow */
	static const struct cut_rule cuts[] = {
		{14 + 20 + 8 + 8 + 1, VG_PARSE_OK, 14}, /* outer UDP flow */
		INNER_UDP4_CUTS(50),
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp, gtp;

	(void)state;
	put_eth(&f, 0x0800);
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 2152, 2152);
	gtp = begin_gtpu(&f, 0x30, 0xff);
	put_inner_ipv4_udp(&f);
	end_gtpu(&f, gtp);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_GTPU, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 14 + 20 + 8 + 8);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_GTPU);
	assert_snap_cuts(VG_LINK_ETHERNET, VG_TUNNEL_GTPU, &f, 14, 20);
	assert_inner_cut_errors(VG_LINK_ETHERNET, VG_TUNNEL_GTPU, &f, ips, 2,
				14 + 20 + 8, cuts, NRULES(cuts));

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_VXLAN, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.sport, 2152);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
}

static void
test_parse_gtpu_extension_headers(void **state)
{
	static const uint32_t ips[] = {0, 52};
	static const struct cut_rule cuts[] = {
		{53, VG_PARSE_OK, 0}, /* outer UDP flow up to 12 + 4 + 8 bytes */
		{52 + 40, VG_PARSE_IP_TRUNCATED, 0},
		{52 + 40 + 20, VG_PARSE_L4_TRUNCATED, 0},
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp, gtp, inner;

	(void)state;
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 40000, 2152); /* only one side on 2152 */
	gtp = begin_gtpu(&f, 0x36, 0xff);  /* E and S flags */
	put16(&f, 7);                      /* sequence */
	put8(&f, 0);                       /* N-PDU number */
	put8(&f, 0x85);                    /* PDU session container */
	put8(&f, 1);                       /* 4 bytes */
	put8(&f, 0x00);
	put8(&f, 0x09);
	put8(&f, 0x40); /* next: another extension */
	put8(&f, 2);    /* 8 bytes */
	put_zero(&f, 6);
	put8(&f, 0x00); /* end of chain */
	inner = begin_ipv6(&f, 6, ip6_a, ip6_b);
	put_tcp(&f, 443, 40001, 9, 10, 0x11, 0);
	end_ipv6(&f, inner);
	end_gtpu(&f, gtp);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_memory_equal(pkt.dst, ip6_b, 16);
	assert_int_equal(pkt.l3_off, 20 + 8 + 12 + 4 + 8);
	assert_int_equal(pkt.sport, 443);
	assert_int_equal(pkt.tcp_flags, 0x11);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_GTPU);
	assert_snap_cuts(VG_LINK_RAW, VG_TUNNEL_ALL, &f, 0, 20);
	assert_inner_cut_errors(VG_LINK_RAW, VG_TUNNEL_ALL, &f, ips, 2, 20 + 8,
				cuts, NRULES(cuts));

	f.b[20 + 8 + 12 + 4] = 0; /* second extension with length 0 */
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0); /* the outer UDP flow */
	assert_int_equal(pkt.dport, 2152);
}

static void
test_parse_gtpu_sequence_only_header(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp, gtp;

	(void)state;
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 2152, 2152);
	gtp = begin_gtpu(&f, 0x32, 0xff); /* S flag alone */
	put16(&f, 1);
	put8(&f, 0);
	put8(&f, 0x85); /* next extension type, ignored without E */
	put_inner_ipv4_udp(&f);
	end_gtpu(&f, gtp);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GTPU, &f, &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 20 + 8 + 12);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_GTPU);

	f.b[20 + 8 + 12] = 0x00; /* a T-PDU that is not IP */
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GTPU, &f, &pkt),
			 VG_PARSE_OK);
	assert_ipv4_pair(&pkt, ip4_a, ip4_b);
	assert_int_equal(pkt.dport, 2152);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
}

static void
test_parse_gtpu_echo_stays_outer(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp, gtp;

	(void)state;
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 2152, 2152);
	gtp = begin_gtpu(&f, 0x32, 0x01); /* echo request */
	put32(&f, 0);
	end_gtpu(&f, gtp);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_ipv4_pair(&pkt, ip4_a, ip4_b);
	assert_int_equal(pkt.dport, 2152);
	assert_int_equal(pkt.payload_len, 12);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);

	f.b[28] = 0x50; /* version 2 (GTPv2-C) */
	f.b[29] = 0xff;
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
}

static void
test_parse_tzsp_tags_then_ethernet(void **state)
{
	static const uint32_t ips[] = {14, 65};
	static const struct cut_rule cuts[] = {
		{14 + 20 + 8 + 4 + 5, VG_PARSE_OK, 14}, /* outer UDP flow */
		{14 + 20 + 8 + 4 + 5 + 14, VG_PARSE_LINK_TRUNCATED, 0},
		INNER_UDP4_CUTS(65),
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp;

	(void)state;
	put_eth(&f, 0x0800);
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 37008, 37008);
	put8(&f, 1); /* version */
	put8(&f, 0); /* received tag list */
	put16(&f, 1); /* Ethernet */
	put8(&f, 0);  /* padding */
	put8(&f, 10); /* RX channel, 1 byte */
	put8(&f, 1);
	put8(&f, 6);
	put8(&f, 1); /* end */
	put_eth(&f, 0x0800);
	put_inner_ipv4_udp(&f);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_TZSP, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 14 + 20 + 8 + 4 + 5 + 14);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_TZSP);
	assert_snap_cuts(VG_LINK_ETHERNET, VG_TUNNEL_TZSP, &f, 14, 20);
	assert_inner_cut_errors(VG_LINK_ETHERNET, VG_TUNNEL_TZSP, &f, ips, 2,
				14 + 20 + 8, cuts, NRULES(cuts));

	f.b[14 + 20 + 8 + 6] = 200; /* the tag runs past the packet */
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_TZSP, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0); /* the outer UDP flow */
	assert_int_equal(pkt.dport, 37008);
	f.b[14 + 20 + 8 + 6] = 1;

	f.b[14 + 20 + 8 + 3] = 18; /* encapsulates 802.11 */
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_TZSP, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
	assert_int_equal(pkt.dport, 37008);
}

static uint32_t
begin_capwap(struct frame *f, uint32_t word0, uint16_t sport, uint16_t dport)
{
	uint32_t udp = begin_udp(f, sport, dport);

	put32(f, word0);
	put32(f, 0);
	return udp;
}

#define CAPWAP_HLEN2 (2u << 19)
#define CAPWAP_WBID_80211 (1u << 9)
#define CAPWAP_T 0x100u
#define CAPWAP_K 0x08u

static void
test_parse_capwap_ethernet(void **state)
{
	static const uint32_t ips[] = {0, 50};
	static const struct cut_rule cuts[] = {
		{20 + 8 + 8, VG_PARSE_OK, 0}, /* outer UDP flow */
		{20 + 8 + 8 + 14, VG_PARSE_LINK_TRUNCATED, 0},
		INNER_UDP4_CUTS(50),
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp;

	(void)state;
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_capwap(&f, CAPWAP_HLEN2 | CAPWAP_WBID_80211, 12000, 5247);
	put_eth(&f, 0x0800);
	put_inner_ipv4_udp(&f);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_CAPWAP, &f, &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 20 + 8 + 8 + 14);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_CAPWAP);
	assert_snap_cuts(VG_LINK_RAW, VG_TUNNEL_CAPWAP, &f, 0, 20);
	assert_inner_cut_errors(VG_LINK_RAW, VG_TUNNEL_CAPWAP, &f, ips, 2,
				20 + 8, cuts, NRULES(cuts));

	set16(&f, 28, 0x0008); /* HLEN 1: shorter than the fixed header */
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_CAPWAP, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0); /* the outer UDP flow */
	assert_int_equal(pkt.dport, 5247);
}

/*
 * Puts an 802.11 data frame header with frame control <fc0> <fc1>, the
 * bytes swapped on the wire when <swapped>, then LLC/SNAP for IPv4. Four
 * addresses, QoS control and HT control are added as the flags call for.
 */
static void
put_80211_data(struct frame *f, uint8_t fc0, uint8_t fc1, bool swapped)
{
	static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};

	put8(f, swapped ? fc1 : fc0);
	put8(f, swapped ? fc0 : fc1);
	put16(f, 0);     /* duration */
	put_zero(f, 18); /* three addresses */
	put16(f, 0);     /* sequence control */
	if ((fc1 & 0x03) == 0x03)
		put_zero(f, 6); /* fourth address */
	if (fc0 & 0x80) {
		put16(f, 0); /* QoS control */
		if (fc1 & 0x80)
			put32(f, 0); /* HT control */
	}
	put(f, snap, sizeof(snap));
	put16(f, 0x0800);
}

/* Builds CAPWAP carrying a native 802.11 frame with an IPv4 datagram. */
static void
build_capwap_80211(struct frame *f, uint32_t word0, uint8_t fc0, uint8_t fc1,
		   bool swapped)
{
	uint32_t outer, udp;

	outer = begin_ipv4(f, 17, ip4_a, ip4_b);
	udp = begin_capwap(f, word0, 5247, 12000);
	put_80211_data(f, fc0, fc1, swapped);
	put_inner_ipv4_udp(f);
	end_udp(f, udp);
	end_ipv4(f, outer);
}

static void
test_parse_capwap_native_80211(void **state)
{
	static const struct {
		uint8_t fc0, fc1;
		bool swapped;
		uint32_t hdr_len;
	} cases[] = {
		{0x08, 0x01, false, 24}, /* data, to DS */
		{0x88, 0x02, false, 26}, /* QoS data, from DS */
		{0x08, 0x01, true, 24},  /* frame control bytes swapped */
		{0x88, 0x03, false, 32}, /* QoS data, four addresses */
		{0x88, 0x82, false, 30}, /* QoS data with HT control */
		{0x88, 0x81, true, 30},  /* the same, swapped */
	};
	const uint32_t word0 = CAPWAP_HLEN2 | CAPWAP_WBID_80211 | CAPWAP_T;
	struct vg_pkt pkt;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct frame f = {.len = 0};
		uint32_t l3 = 20 + 8 + 8 + cases[i].hdr_len + 8;
		const uint32_t ips[] = {0, l3};
		const struct cut_rule cuts[] = {
			{20 + 8 + 8, VG_PARSE_OK, 0}, /* outer UDP flow */
			{l3, VG_PARSE_LINK_TRUNCATED, 0},
			INNER_UDP4_CUTS(l3),
		};

		build_capwap_80211(&f, word0, cases[i].fc0, cases[i].fc1,
				   cases[i].swapped);
		assert_int_equal(f.len, l3 + 34);
		assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f,
					     &pkt),
				 VG_PARSE_OK);
		assert_inner_ipv4_udp(&pkt, l3);
		assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_CAPWAP);
		assert_snap_cuts(VG_LINK_RAW, VG_TUNNEL_ALL, &f, 0, 20);
		assert_inner_cut_errors(VG_LINK_RAW, VG_TUNNEL_ALL, &f, ips, 2,
					20 + 8, cuts, NRULES(cuts));

		f.b[36 + (cases[i].swapped ? 0 : 1)] |= 0x40; /* protected */
		assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f,
					     &pkt),
				 VG_PARSE_NOT_IP);
	}
}

static void
test_parse_capwap_80211_without_ip(void **state)
{
	const uint32_t word0 = CAPWAP_HLEN2 | CAPWAP_WBID_80211 | CAPWAP_T;
	struct frame beacon = {.len = 0}, null = {.len = 0};
	struct frame llc = {.len = 0}, epc = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	build_capwap_80211(&beacon, word0, 0x80, 0x00, false);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &beacon,
				     &pkt),
			 VG_PARSE_NOT_IP);

	build_capwap_80211(&null, word0, 0x48, 0x01, false); /* null data */
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &null, &pkt),
			 VG_PARSE_NOT_IP);

	build_capwap_80211(&llc, word0, 0x08, 0x01, false);
	llc.b[36 + 24] = 0x42; /* an LLC header that is not SNAP */
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &llc, &pkt),
			 VG_PARSE_NOT_IP);

	/* wireless binding 3 (EPCglobal): only 802.11 is decoded */
	build_capwap_80211(&epc, CAPWAP_HLEN2 | (3u << 9) | CAPWAP_T, 0x08,
			   0x01, false);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &epc, &pkt),
			 VG_PARSE_NOT_IP);
}

static void
test_parse_capwap_keepalive_stays_outer(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp;

	(void)state;
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_capwap(&f, CAPWAP_HLEN2 | CAPWAP_K, 12000, 5247);
	put_payload(&f, 12); /* session id message element */
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
	assert_int_equal(pkt.dport, 5247);
	assert_int_equal(pkt.payload_len, 8 + 12);

	f.b[28] = 0x01; /* preamble type 1: DTLS */
	f.b[36 + 0] = 0xff;
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
}

static void
test_parse_capwap_fragment_stays_outer(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp;

	(void)state;
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_capwap(&f, CAPWAP_HLEN2 | CAPWAP_WBID_80211 | 0x80u,
			   12000, 5247); /* F: a fragment */
	put_eth(&f, 0x0800);
	put_inner_ipv4_udp(&f);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_ipv4_pair(&pkt, ip4_a, ip4_b);
	assert_int_equal(pkt.dport, 5247);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
}

enum udp_tunnel_kind { UT_VXLAN, UT_GTPU, UT_TZSP, UT_CAPWAP };

/*
 * Builds raw IPv4, UDP <sport> -> <dport>, a header of tunnel <kind> and
 * put_inner_ipv4_udp(). Returns the offset of the inner IPv4 header.
 */
static uint32_t
build_udp_tunnel(struct frame *f, enum udp_tunnel_kind kind, uint16_t sport,
		 uint16_t dport)
{
	uint32_t outer = begin_ipv4(f, 17, ip4_a, ip4_b);
	uint32_t udp = begin_udp(f, sport, dport);
	uint32_t gtp = 0, l3;

	switch (kind) {
	case UT_VXLAN:
		put32(f, 0x08000000);
		put32(f, 0x00000100);
		put_eth(f, 0x0800);
		break;
	case UT_GTPU:
		gtp = begin_gtpu(f, 0x30, 0xff);
		break;
	case UT_TZSP:
		put32(f, 0x01000001);
		put8(f, 1);
		put_eth(f, 0x0800);
		break;
	case UT_CAPWAP:
		put32(f, CAPWAP_HLEN2);
		put32(f, 0);
		put_eth(f, 0x0800);
		break;
	}
	l3 = f->len;
	put_inner_ipv4_udp(f);
	if (kind == UT_GTPU)
		end_gtpu(f, gtp);
	end_udp(f, udp);
	end_ipv4(f, outer);
	return l3;
}

static void
test_parse_udp_tunnel_ports(void **state)
{
	static const struct {
		enum udp_tunnel_kind kind;
		uint32_t bit;
		uint16_t port;
		uint32_t l3;
		bool by_source; /* the source port alone opens it */
	} cases[] = {
		{UT_VXLAN, VG_TUNNEL_VXLAN, 4789, 20 + 8 + 8 + 14, false},
		{UT_GTPU, VG_TUNNEL_GTPU, 2152, 20 + 8 + 8, true},
		{UT_TZSP, VG_TUNNEL_TZSP, 37008, 20 + 8 + 5 + 14, true},
		{UT_CAPWAP, VG_TUNNEL_CAPWAP, 5247, 20 + 8 + 8 + 14, true},
	};
	struct vg_pkt pkt;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct frame to = {.len = 0}, from = {.len = 0};

		assert_int_equal(build_udp_tunnel(&to, cases[i].kind, 40000,
						  cases[i].port),
				 cases[i].l3);
		assert_int_equal(parse_frame(VG_LINK_RAW, cases[i].bit, &to,
					     &pkt),
				 VG_PARSE_OK);
		assert_inner_ipv4_udp(&pkt, cases[i].l3);
		assert_int_equal(vg_pkt_tunnel(&pkt), cases[i].bit);

		/* every other tunnel bit set: this one stays closed */
		assert_int_equal(parse_frame(VG_LINK_RAW,
					     VG_TUNNEL_ALL & ~cases[i].bit,
					     &to, &pkt),
				 VG_PARSE_OK);
		assert_ipv4_pair(&pkt, ip4_a, ip4_b);
		assert_int_equal(pkt.dport, cases[i].port);
		assert_int_equal(vg_pkt_tunnel(&pkt), 0);

		build_udp_tunnel(&from, cases[i].kind, cases[i].port, 40000);
		assert_int_equal(parse_frame(VG_LINK_RAW, cases[i].bit, &from,
					     &pkt),
				 VG_PARSE_OK);
		if (cases[i].by_source) {
			assert_inner_ipv4_udp(&pkt, cases[i].l3);
			assert_int_equal(vg_pkt_tunnel(&pkt), cases[i].bit);
		} else {
			assert_ipv4_pair(&pkt, ip4_a, ip4_b);
			assert_int_equal(pkt.sport, cases[i].port);
			assert_int_equal(vg_pkt_tunnel(&pkt), 0);
		}
	}
}

/* Nesting */

static void
test_parse_tunnel_records_outermost(void **state)
{
	static const uint32_t ips[] = {0, 50, 74};
	static const struct cut_rule cuts[] = {
		{20 + 8 + 8, VG_PARSE_OK, 0}, /* outer UDP flow */
		{20 + 8 + 8 + 14, VG_PARSE_LINK_TRUNCATED, 0},
		{50 + 20, VG_PARSE_IP_TRUNCATED, 0},
		{50 + 20 + 4, VG_PARSE_TUNNEL_TRUNCATED, 0},
		INNER_UDP4_CUTS(74),
	};
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp, mid;

	(void)state;
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 50000, 4789);
	put32(&f, 0x08000000);
	put32(&f, 0x00000100);
	put_eth(&f, 0x0800);
	mid = begin_ipv4(&f, 47, ip4_b, ip4_a);
	put16(&f, 0);
	put16(&f, 0x0800);
	put_inner_ipv4_udp(&f);
	end_ipv4(&f, mid);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_ALL, &f, &pkt),
			 VG_PARSE_OK);
	assert_inner_ipv4_udp(&pkt, 20 + 8 + 8 + 14 + 20 + 4);
	assert_int_equal(vg_pkt_tunnel(&pkt), VG_TUNNEL_VXLAN);
	assert_snap_cuts(VG_LINK_RAW, VG_TUNNEL_ALL, &f, 0, 20);
	assert_inner_cut_errors(VG_LINK_RAW, VG_TUNNEL_ALL, &f, ips, 3, 20 + 8,
				cuts, NRULES(cuts));

	/* GRE alone opened: the VXLAN payload is not looked into */
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_GRE, &f, &pkt),
			 VG_PARSE_OK);
	assert_ipv4_pair(&pkt, ip4_a, ip4_b);
	assert_int_equal(vg_pkt_tunnel(&pkt), 0);
}

static void
test_parse_inner_vlan_replaces_outer(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t outer, udp;

	(void)state;
	put_eth(&f, 0x8100);
	put_vlan(&f, 10, 0x0800);
	outer = begin_ipv4(&f, 17, ip4_a, ip4_b);
	udp = begin_udp(&f, 50000, 4789);
	put32(&f, 0x08000000);
	put32(&f, 0x00000100);
	put_eth(&f, 0x8100);
	put_vlan(&f, 20, 0x0800);
	put_inner_ipv4_udp(&f);
	end_udp(&f, udp);
	end_ipv4(&f, outer);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, VG_TUNNEL_VXLAN, &f,
				     &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.vlan, 20);
	assert_inner_ipv4_udp(&pkt, 18 + 20 + 8 + 8 + 18);

	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &f, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.vlan, 10);
}

static void
build_vlan_stack(struct frame *f, unsigned int tags)
{
	put_eth(f, 0x8100);
	for (unsigned int i = 0; i < tags; i++)
		put_vlan(f, (uint16_t)(i + 1),
			 i + 1 < tags ? 0x8100 : 0x0800);
	put_inner_ipv4_udp(f);
}

static void
test_parse_depth_limit_vlan(void **state)
{
	/* Ethernet, the tags and IPv4 are one step each */
	unsigned int max_tags = VG_PARSE_MAX_DEPTH - 2;
	struct frame ok = {.len = 0}, deep = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	build_vlan_stack(&ok, max_tags);
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &ok, &pkt),
			 VG_PARSE_OK);
	assert_int_equal(pkt.vlan, max_tags);

	build_vlan_stack(&deep, max_tags + 1);
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &deep, &pkt),
			 VG_PARSE_TOO_DEEP);
}

static void
build_ext_chain(struct frame *f, int headers)
{
	uint32_t ip = begin_ipv6(f, 60, ip6_a, ip6_b);

	for (int i = 0; i < headers; i++) {
		put8(f, i + 1 < headers ? 60 : 59);
		put8(f, 0);
		put_zero(f, 6);
	}
	end_ipv6(f, ip);
}

static void
test_parse_depth_limit_mpls_and_ipv6_ext(void **state)
{
	struct frame mpls = {.len = 0}, ok = {.len = 0}, deep = {.len = 0};
	struct vg_pkt pkt;

	(void)state;
	put_eth(&mpls, 0x8847);
	for (int i = 0; i < 40; i++)
		put32(&mpls, (uint32_t)(i + 16) << 12);
	put32(&mpls, 0x100);
	put_inner_ipv4_udp(&mpls);
	assert_int_equal(parse_frame(VG_LINK_ETHERNET, 0, &mpls, &pkt),
			 VG_PARSE_TOO_DEEP);

	/* raw IPv6 is one step, each extension header another */
	build_ext_chain(&ok, VG_PARSE_MAX_DEPTH - 1);
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &ok, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 59);
	assert_int_equal(pkt.payload_off, 40 + (VG_PARSE_MAX_DEPTH - 1) * 8);

	build_ext_chain(&deep, VG_PARSE_MAX_DEPTH);
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &deep, &pkt),
			 VG_PARSE_TOO_DEEP);
}

static void
test_parse_ipip_self_nesting_too_deep(void **state)
{
	struct frame f = {.len = 0};
	struct vg_pkt pkt;
	uint32_t at[VG_PARSE_MAX_DEPTH + 1];

	(void)state;
	for (int i = 0; i <= VG_PARSE_MAX_DEPTH; i++)
		at[i] = begin_ipv4(&f, i < VG_PARSE_MAX_DEPTH ? 4 : 17, ip4_a,
				   ip4_b);
	put_zero(&f, 8);
	for (int i = VG_PARSE_MAX_DEPTH; i >= 0; i--)
		end_ipv4(&f, at[i]);
	assert_int_equal(parse_frame(VG_LINK_RAW, VG_TUNNEL_IPIP, &f, &pkt),
			 VG_PARSE_TOO_DEEP);
	assert_int_equal(parse_frame(VG_LINK_RAW, 0, &f, &pkt), VG_PARSE_OK);
	assert_int_equal(pkt.l4_proto, 4);
}

/* Error names */

static void
test_parse_error_names(void **state)
{
	(void)state;
	assert_string_equal(vg_parse_error_name(VG_PARSE_OK), "ok");
	assert_string_equal(vg_parse_error_name(VG_PARSE_LINK_TRUNCATED),
			    "link_truncated");
	assert_string_equal(vg_parse_error_name(VG_PARSE_LINK_UNSUPPORTED),
			    "link_unsupported");
	assert_string_equal(vg_parse_error_name(VG_PARSE_NOT_IP), "not_ip");
	assert_string_equal(vg_parse_error_name(VG_PARSE_IP_TRUNCATED),
			    "ip_truncated");
	assert_string_equal(vg_parse_error_name(VG_PARSE_IP_BAD_VERSION),
			    "ip_bad_version");
	assert_string_equal(vg_parse_error_name(VG_PARSE_IP_BAD_HEADER),
			    "ip_bad_header");
	assert_string_equal(vg_parse_error_name(VG_PARSE_IP_LENGTH),
			    "ip_length");
	assert_string_equal(vg_parse_error_name(VG_PARSE_IPV6_EXT),
			    "ipv6_ext");
	assert_string_equal(vg_parse_error_name(VG_PARSE_FRAGMENT),
			    "fragment");
	assert_string_equal(vg_parse_error_name(VG_PARSE_L4_TRUNCATED),
			    "l4_truncated");
	assert_string_equal(vg_parse_error_name(VG_PARSE_TCP_BAD_OFFSET),
			    "tcp_bad_offset");
	assert_string_equal(vg_parse_error_name(VG_PARSE_TUNNEL_TRUNCATED),
			    "tunnel_truncated");
	assert_string_equal(vg_parse_error_name(VG_PARSE_TOO_DEEP),
			    "too_deep");
}

static void
test_parse_error_names_unique_and_bounded(void **state)
{
	(void)state;
	for (int i = 0; i < VG_PARSE_ERROR_COUNT; i++) {
		const char *a = vg_parse_error_name((enum vg_parse_error)i);

		assert_non_null(a);
		assert_string_not_equal(a, "unknown");
		for (int j = i + 1; j < VG_PARSE_ERROR_COUNT; j++)
			assert_string_not_equal(
				a, vg_parse_error_name((enum vg_parse_error)j));
	}
	assert_string_equal(vg_parse_error_name(VG_PARSE_ERROR_COUNT),
			    "unknown");
	assert_string_equal(vg_parse_error_name((enum vg_parse_error)-1),
			    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ethernet_ipv4_tcp),
		cmocka_unit_test(test_parse_ethernet_ipv6_udp),
		cmocka_unit_test(test_parse_ethernet_padding_ignored),
		cmocka_unit_test(test_parse_ethernet_cut_link_truncated),
		cmocka_unit_test(test_parse_ethernet_llc_and_arp_not_ip),
		cmocka_unit_test(test_parse_vlan_single_id),
		cmocka_unit_test(test_parse_vlan_qinq_innermost_id),
		cmocka_unit_test(test_parse_mpls_labels_then_ipv4),
		cmocka_unit_test(test_parse_mpls_guesses_ipv6),
		cmocka_unit_test(test_parse_mpls_pseudowire_not_ip),
		cmocka_unit_test(test_parse_pppoe_session_ipv4_and_ipv6),
		cmocka_unit_test(test_parse_pppoe_not_session_data),
		cmocka_unit_test(test_parse_linux_sll_v1),
		cmocka_unit_test(test_parse_linux_sll_v2),
		cmocka_unit_test(test_parse_linux_sll_vlan_and_not_ip),
		cmocka_unit_test(test_parse_raw_version_nibble),
		cmocka_unit_test(test_parse_raw_accepts_dlt_raw),
		cmocka_unit_test(test_parse_null_family_both_orders),
		cmocka_unit_test(test_parse_null_other_family_not_ip),
		cmocka_unit_test(test_parse_ppp_with_and_without_prefix),
		cmocka_unit_test(test_parse_cisco_hdlc),
		cmocka_unit_test(test_parse_unknown_link_unsupported),
		cmocka_unit_test(test_parse_ipv4_options_move_l4),
		cmocka_unit_test(test_parse_ipv4_bad_headers),
		cmocka_unit_test(test_parse_ethertype_ipv4_with_version_6),
		cmocka_unit_test(test_parse_ipv4_first_fragment_has_ports),
		cmocka_unit_test(test_parse_ipv6_fragment_header),
		cmocka_unit_test(test_parse_ipv6_extension_chain),
		cmocka_unit_test(test_parse_ipv6_no_next_header),
		cmocka_unit_test(test_parse_ipv6_extension_cut),
		cmocka_unit_test(test_parse_tcp_bad_data_offset),
		cmocka_unit_test(test_parse_tcp_options_before_payload),
		cmocka_unit_test(test_parse_l4_truncated),
		cmocka_unit_test(test_parse_icmp_type_and_no_ports),
		cmocka_unit_test(test_parse_frame_length_limit),
		cmocka_unit_test(test_parse_other_protocol_whole_payload),
		cmocka_unit_test(test_parse_ipip_tunnels),
		cmocka_unit_test(test_parse_ipip_inner_longer_than_outer),
		cmocka_unit_test(test_parse_gre_optional_fields),
		cmocka_unit_test(test_parse_gre_ipv6_and_bridged_ethernet),
		cmocka_unit_test(test_parse_gre_unknown_payload_stays_outer),
		cmocka_unit_test(test_parse_gre_header_cut),
		cmocka_unit_test(test_parse_gre_key_only),
		cmocka_unit_test(test_parse_gre_routing_and_version_stay_outer),
		cmocka_unit_test(test_parse_gre_pptp_ppp_ipv4),
		cmocka_unit_test(test_parse_gre_pptp_ack_and_mppe_stay_outer),
		cmocka_unit_test(test_parse_ppp_address_byte_alone),
		cmocka_unit_test(test_parse_vxlan_inner_ethernet),
		cmocka_unit_test(test_parse_vxlan_header_cut),
		cmocka_unit_test(test_parse_vxlan_without_i_flag_stays_outer),
		cmocka_unit_test(test_parse_gtpu_gpdu),
		cmocka_unit_test(test_parse_gtpu_extension_headers),
		cmocka_unit_test(test_parse_gtpu_sequence_only_header),
		cmocka_unit_test(test_parse_gtpu_echo_stays_outer),
		cmocka_unit_test(test_parse_tzsp_tags_then_ethernet),
		cmocka_unit_test(test_parse_capwap_ethernet),
		cmocka_unit_test(test_parse_capwap_native_80211),
		cmocka_unit_test(test_parse_capwap_80211_without_ip),
		cmocka_unit_test(test_parse_capwap_keepalive_stays_outer),
		cmocka_unit_test(test_parse_capwap_fragment_stays_outer),
		cmocka_unit_test(test_parse_udp_tunnel_ports),
		cmocka_unit_test(test_parse_tunnel_records_outermost),
		cmocka_unit_test(test_parse_inner_vlan_replaces_outer),
		cmocka_unit_test(test_parse_depth_limit_vlan),
		cmocka_unit_test(test_parse_depth_limit_mpls_and_ipv6_ext),
		cmocka_unit_test(test_parse_ipip_self_nesting_too_deep),
		cmocka_unit_test(test_parse_error_names),
		cmocka_unit_test(test_parse_error_names_unique_and_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
