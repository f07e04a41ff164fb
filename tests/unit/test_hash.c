/*
 * Unit tests for the flow hashes. The rx lcores pick a packet's engine
 * lcore from vg_pair_hash() and the engine picks its table bucket from
 * vg_flow_hash(). Both must give one value for the two directions of a
 * flow and different values for different flows. Both must also spread
 * realistic address and port sequences evenly over any number of engines
 * and buckets, which a chi-squared test checks at a threshold that an
 * unbiased hash exceeds with probability about 1e-6 per check.
 *
 * The fixed values in test_hash_known_answers come from a separate model
 * of the algorithm (SplitMix64's finaliser over little-endian 8-byte
 * words) written in Python, not from this C code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <cmocka.h>

#include <netinet/in.h>

#include "capture/hash.h"
#include "capture/parse.h"

#define SAMPLE_FLOWS 65536u

/* Standard normal quantile of the chi-squared threshold: p ~ 1e-6. */
#define CHI2_Z 4.75

static void
set_ipv4(uint8_t addr[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(addr, 0, 16);
	addr[0] = a;
	addr[1] = b;
	addr[2] = c;
	addr[3] = d;
}

static void
make_ipv4_pkt(struct vg_pkt *pkt, uint32_t src, uint32_t dst, uint16_t sport,
	      uint16_t dport, uint8_t proto)
{
	memset(pkt, 0, sizeof(*pkt));
	set_ipv4(pkt->src, (uint8_t)(src >> 24), (uint8_t)(src >> 16),
		 (uint8_t)(src >> 8), (uint8_t)src);
	set_ipv4(pkt->dst, (uint8_t)(dst >> 24), (uint8_t)(dst >> 16),
		 (uint8_t)(dst >> 8), (uint8_t)dst);
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->l4_proto = proto;
	pkt->ip_version = 4;
}

/* Builds the reply of <pkt>: addresses and ports swapped. */
static void
make_reply(const struct vg_pkt *pkt, struct vg_pkt *reply)
{
	*reply = *pkt;
	memcpy(reply->src, pkt->dst, 16);
	memcpy(reply->dst, pkt->src, 16);
	reply->sport = pkt->dport;
	reply->dport = pkt->sport;
}

/*
 * Sample flow <i>: clients 10.<i/256>.<i%256>.1 and a few ephemeral ports
 * towards a handful of servers, the kind of neighbouring values a weak mix
 * leaves clustered. IPv6 for every fourth flow.
 */
static void
make_sample_flow(struct vg_pkt *pkt, uint32_t i)
{
	static const uint16_t server_ports[] = {443, 80, 53, 123};

	make_ipv4_pkt(pkt, 0x0a000001u | (i & 0xffffu) << 8,
		      0xc0000201u + (i % 3), (uint16_t)(32768 + i % 7919),
		      server_ports[i % 4], i % 5 == 0 ? IPPROTO_UDP
						      : IPPROTO_TCP);
	if (i % 4 == 3) {
		pkt->ip_version = 6;
		pkt->src[0] = 0x20;
		pkt->src[1] = 0x01;
		pkt->src[14] = (uint8_t)(i >> 8);
		pkt->src[15] = (uint8_t)i;
		pkt->dst[0] = 0x20;
		pkt->dst[1] = 0x01;
		pkt->dst[15] = 0x01;
	}
}

/*
 * Returns the chi-squared value above which <buckets> counts of <n> samples
 * are too uneven, by the Wilson-Hilferty approximation of the quantile.
 */
static double
chi2_threshold(unsigned int buckets)
{
	double k = (double)(buckets - 1);
	double t = 1.0 - 2.0 / (9.0 * k) + CHI2_Z * sqrt(2.0 / (9.0 * k));

	return k * t * t * t;
}

static double
chi2_of(const uint32_t *counts, unsigned int buckets, uint32_t n)
{
	double expected = (double)n / buckets;
	double chi2 = 0.0;

	for (unsigned int b = 0; b < buckets; b++) {
		double d = (double)counts[b] - expected;

		chi2 += d * d / expected;
	}
	return chi2;
}

/* The engine index the rx lcores derive (capture/rx.c, engine_of()). */
static unsigned int
engine_of(uint32_t hash, unsigned int engines)
{
	return (unsigned int)(((uint64_t)hash * engines) >> 32);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_hash_known_answers(void **state)
{
	uint8_t bytes[40];
	struct vg_pkt pkt;

	(void)state;
	for (int i = 0; i < 40; i++)
		bytes[i] = (uint8_t)i;
	assert_int_equal(vg_hash_bytes("vigil", 5, 1), 0xdc631a757eba7fd3ULL);
	assert_int_equal(vg_hash_bytes(bytes, 40, 0x76696769),
			 0x3ffa42c0b30d56e0ULL);

	/* 192.0.2.1:40000 -> 198.51.100.2:443, TCP, VLAN 42 */
	make_ipv4_pkt(&pkt, 0xc0000201, 0xc6336402, 40000, 443, IPPROTO_TCP);
	pkt.vlan = 42;
	assert_int_equal(vg_flow_hash(&pkt), 0xff5b0a7d);
	assert_int_equal(vg_pair_hash(&pkt), 0xa7fca9ad);
}

static void
test_hash_bytes_length_matters(void **state)
{
	static const uint8_t zeros[24];
	uint64_t seen[25];

	(void)state;
	/* zero bytes add nothing to a word, so only the length separates these */
	for (uint32_t len = 0; len <= 24; len++) {
		seen[len] = vg_hash_bytes(zeros, len, 0x1234);
		for (uint32_t j = 0; j < len; j++)
			assert_true(seen[j] != seen[len]);
	}
	assert_true(vg_hash_bytes("vigil", 5, 1) !=
		    vg_hash_bytes("vigil", 5, 2));
	assert_true(vg_hash_bytes("vigil", 5, 1) !=
		    vg_hash_bytes("vigim", 5, 1));
}

static void
test_flow_hash_same_both_directions(void **state)
{
	struct vg_pkt pkt, reply;

	(void)state;
	for (uint32_t i = 0; i < SAMPLE_FLOWS; i += 7) {
		make_sample_flow(&pkt, i);
		pkt.vlan = (uint16_t)(i % 4096);
		make_reply(&pkt, &reply);
		assert_int_equal(vg_flow_hash(&pkt), vg_flow_hash(&reply));
		assert_int_equal(vg_pair_hash(&pkt), vg_pair_hash(&reply));
	}
}

static void
test_flow_hash_same_address_ports_swapped(void **state)
{
	struct vg_pkt pkt, reply;

	(void)state;
	/* a host talking to itself: only the ports give the order */
	make_ipv4_pkt(&pkt, 0x7f000001, 0x7f000001, 5000, 80, IPPROTO_TCP);
	make_reply(&pkt, &reply);
	assert_int_equal(vg_flow_hash(&pkt), vg_flow_hash(&reply));

	make_ipv4_pkt(&reply, 0x7f000001, 0x7f000001, 5000, 81, IPPROTO_TCP);
	assert_true(vg_flow_hash(&pkt) != vg_flow_hash(&reply));
}

static void
test_flow_hash_ignores_non_key_fields(void **state)
{
	struct vg_pkt pkt, other;

	(void)state;
	make_ipv4_pkt(&pkt, 0x0a000001, 0x0a000002, 1234, 80, IPPROTO_TCP);
	other = pkt;
	other.ts_us = 99;
	other.frame_len = 1514;
	other.l3_off = 14;
	other.payload_off = 54;
	other.payload_len = 1460;
	other.tcp_flags = 0x18;
	other.tcp_seq = 1;
	other.tcp_window = 3;
	other.tunnel_index = 3;
	other.data_off = 128;
	other.port_id = 2;
	assert_int_equal(vg_flow_hash(&pkt), vg_flow_hash(&other));
	assert_int_equal(vg_pair_hash(&pkt), vg_pair_hash(&other));
}

static void
test_flow_hash_each_key_field_counts(void **state)
{
	struct vg_pkt base, pkt;
	uint32_t h;

	(void)state;
	make_ipv4_pkt(&base, 0x0a000001, 0x0a000002, 1234, 80, IPPROTO_TCP);
	h = vg_flow_hash(&base);

	pkt = base;
	pkt.sport = 1235;
	assert_true(vg_flow_hash(&pkt) != h);
	pkt = base;
	pkt.dport = 81;
	assert_true(vg_flow_hash(&pkt) != h);
	pkt = base;
	pkt.l4_proto = IPPROTO_UDP;
	assert_true(vg_flow_hash(&pkt) != h);
	pkt = base;
	pkt.vlan = 1;
	assert_true(vg_flow_hash(&pkt) != h);
	pkt = base;
	pkt.ip_version = 6; /* the same 16 bytes read as an IPv6 address */
	assert_true(vg_flow_hash(&pkt) != h);
	pkt = base;
	pkt.dst[3] = 3;
	assert_true(vg_flow_hash(&pkt) != h);
}

static void
test_pair_hash_ignores_ports_and_protocol(void **state)
{
	struct vg_pkt base, pkt, reply;
	uint32_t h;

	(void)state;
	make_ipv4_pkt(&base, 0x0a000001, 0x0a000002, 1234, 80, IPPROTO_TCP);
	h = vg_pair_hash(&base);
	for (uint32_t i = 0; i < 1000; i++) {
		make_ipv4_pkt(&pkt, 0x0a000001, 0x0a000002,
			      (uint16_t)(1024 + i * 61), (uint16_t)(i * 7),
			      i % 2 ? IPPROTO_UDP : IPPROTO_TCP);
		assert_int_equal(vg_pair_hash(&pkt), h);
		make_reply(&pkt, &reply);
		assert_int_equal(vg_pair_hash(&reply), h);
	}

	/* a different VLAN is a different pair */
	pkt.vlan = 100;
	assert_true(vg_pair_hash(&pkt) != h);
}

static void
test_flow_hash_distinct_in_sample(void **state)
{
	/* 10000 flows: about 0.012 collisions expected over 32 bits */
	enum { N = 10000 };
	uint32_t *flow = malloc(N * sizeof(*flow));
	uint32_t *pair = malloc(N * sizeof(*pair));
	unsigned int flow_dups = 0, pair_dups = 0;
	struct vg_pkt pkt;

	(void)state;
	assert_non_null(flow);
	assert_non_null(pair);
	for (uint32_t i = 0; i < N; i++) {
		make_sample_flow(&pkt, i);
		flow[i] = vg_flow_hash(&pkt);
		pair[i] = vg_pair_hash(&pkt);
	}
	qsort(flow, N, sizeof(*flow), cmp_u32);
	qsort(pair, N, sizeof(*pair), cmp_u32);
	for (uint32_t i = 1; i < N; i++) {
		flow_dups += flow[i] == flow[i - 1];
		pair_dups += pair[i] == pair[i - 1];
	}
	assert_int_equal(flow_dups, 0);
	/* every sample flow has its own client address, so its own pair */
	assert_int_equal(pair_dups, 0);
	free(flow);
	free(pair);
}

static void
test_pair_hash_spreads_over_engines(void **state)
{
	uint32_t counts[64];
	struct vg_pkt pkt;

	(void)state;
	for (unsigned int engines = 2; engines <= 64; engines++) {
		double chi2;

		memset(counts, 0, sizeof(counts));
		for (uint32_t i = 0; i < SAMPLE_FLOWS; i++) {
			make_sample_flow(&pkt, i);
			counts[engine_of(vg_pair_hash(&pkt), engines)]++;
		}
		chi2 = chi2_of(counts, engines, SAMPLE_FLOWS);
		if (chi2 > chi2_threshold(engines))
			fail_msg("engines=%u chi2=%.1f threshold=%.1f",
				 engines, chi2, chi2_threshold(engines));
	}
}

static void
test_pair_hash_spreads_sequential_hosts(void **state)
{
	static const unsigned int engine_counts[] = {2, 3, 4, 6, 8, 12, 16};
	uint32_t counts[16];
	struct vg_pkt pkt;

	(void)state;
	/* one server, clients numbered in order across a /16 */
	for (size_t e = 0; e < sizeof(engine_counts) / sizeof(engine_counts[0]);
	     e++) {
		unsigned int engines = engine_counts[e];
		double chi2;

		memset(counts, 0, sizeof(counts));
		for (uint32_t i = 0; i < SAMPLE_FLOWS; i++) {
			make_ipv4_pkt(&pkt, 0xac100000u | i, 0xc0000201u,
				      50000, 443, IPPROTO_TCP);
			counts[engine_of(vg_pair_hash(&pkt), engines)]++;
		}
		chi2 = chi2_of(counts, engines, SAMPLE_FLOWS);
		if (chi2 > chi2_threshold(engines))
			fail_msg("engines=%u chi2=%.1f threshold=%.1f",
				 engines, chi2, chi2_threshold(engines));
	}
}

static void
test_flow_hash_spreads_over_buckets(void **state)
{
	/* the flow table takes the low bits: hash & (buckets - 1) */
	enum { BUCKETS = 4096 };
	uint32_t *counts = calloc(BUCKETS, sizeof(*counts));
	struct vg_pkt pkt;
	double chi2;

	(void)state;
	assert_non_null(counts);
	/* one client, one server, consecutive source ports */
	for (uint32_t i = 0; i < SAMPLE_FLOWS; i++) {
		make_ipv4_pkt(&pkt, 0x0a000001, 0x0a000002, (uint16_t)i, 443,
			      IPPROTO_TCP);
		counts[vg_flow_hash(&pkt) & (BUCKETS - 1)]++;
	}
	chi2 = chi2_of(counts, BUCKETS, SAMPLE_FLOWS);
	if (chi2 > chi2_threshold(BUCKETS))
		fail_msg("buckets=%u chi2=%.1f threshold=%.1f", BUCKETS, chi2,
			 chi2_threshold(BUCKETS));

	memset(counts, 0, BUCKETS * sizeof(*counts));
	for (uint32_t i = 0; i < SAMPLE_FLOWS; i++) {
		make_sample_flow(&pkt, i);
		counts[vg_flow_hash(&pkt) & (BUCKETS - 1)]++;
	}
	chi2 = chi2_of(counts, BUCKETS, SAMPLE_FLOWS);
	if (chi2 > chi2_threshold(BUCKETS))
		fail_msg("buckets=%u chi2=%.1f threshold=%.1f", BUCKETS, chi2,
			 chi2_threshold(BUCKETS));
	free(counts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_known_answers),
		cmocka_unit_test(test_hash_bytes_length_matters),
		cmocka_unit_test(test_flow_hash_same_both_directions),
		cmocka_unit_test(test_flow_hash_same_address_ports_swapped),
		cmocka_unit_test(test_flow_hash_ignores_non_key_fields),
		cmocka_unit_test(test_flow_hash_each_key_field_counts),
		cmocka_unit_test(test_pair_hash_ignores_ports_and_protocol),
		cmocka_unit_test(test_flow_hash_distinct_in_sample),
		cmocka_unit_test(test_pair_hash_spreads_over_engines),
		cmocka_unit_test(test_pair_hash_spreads_sequential_hosts),
		cmocka_unit_test(test_flow_hash_spreads_over_buckets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
