/*
 * The flow hash orders the two endpoints by comparing (address, port)
 * bytewise, hashes the lower one first, and mixes in VLAN and protocol.
 * The mixing function is a 64-bit multiply-xorshift over 8-byte words
 * (the finaliser of SplitMix64), which is cheap on the packet path and
 * spreads neighbouring addresses across the whole range; the engine index
 * comes from the high bits and the table bucket from the low ones.
 */
#include <stdbool.h>
#include <string.h>

#include "hash.h"
#include "parse.h"

static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t
vg_hash_bytes(const void *data, uint32_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = mix64(seed ^ len);
	uint64_t word;

	while (len >= 8) {
		memcpy(&word, p, 8);
		h = mix64(h ^ word) + 0x9e3779b97f4a7c15ULL;
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		word = 0;
		memcpy(&word, p, len);
		h = mix64(h ^ word ^ ((uint64_t)len << 56));
	}
	return mix64(h);
}

uint32_t
vg_pair_hash(const struct vg_pkt *pkt)
{
	struct {
		uint8_t lo_addr[16];
		uint8_t hi_addr[16];
		uint16_t vlan;
		uint16_t version;
	} key;
	bool src_first = memcmp(pkt->src, pkt->dst, 16) <= 0;
	uint64_t h;

	memset(&key, 0, sizeof(key));
	memcpy(key.lo_addr, src_first ? pkt->src : pkt->dst, 16);
	memcpy(key.hi_addr, src_first ? pkt->dst : pkt->src, 16);
	key.vlan = pkt->vlan;
	key.version = pkt->ip_version;

	h = vg_hash_bytes(&key, sizeof(key), 0x70616972ULL);
	return (uint32_t)(h ^ (h >> 32));
}

uint32_t
vg_flow_hash(const struct vg_pkt *pkt)
{
	struct {
		uint8_t lo_addr[16];
		uint8_t hi_addr[16];
		uint16_t lo_port;
		uint16_t hi_port;
		uint16_t vlan;
		uint8_t proto;
		uint8_t version;
	} key;
	int order;
	uint64_t h;

	memset(&key, 0, sizeof(key));
	order = memcmp(pkt->src, pkt->dst, 16);
	if (order == 0)
		order = (int)pkt->sport - (int)pkt->dport;

	if (order <= 0) {
		memcpy(key.lo_addr, pkt->src, 16);
		memcpy(key.hi_addr, pkt->dst, 16);
		key.lo_port = pkt->sport;
		key.hi_port = pkt->dport;
	} else {
		memcpy(key.lo_addr, pkt->dst, 16);
		memcpy(key.hi_addr, pkt->src, 16);
		key.lo_port = pkt->dport;
		key.hi_port = pkt->sport;
	}
	key.vlan = pkt->vlan;
	key.proto = pkt->l4_proto;
	key.version = pkt->ip_version;

	h = vg_hash_bytes(&key, sizeof(key), 0x76696769ULL);
	return (uint32_t)(h ^ (h >> 32));
}
