/*
 * Unit tests for the per-lcore flow table: sizing, insert and lookup from
 * either direction of a flow, hash chains, the expiry queues that the
 * engine's idle scan walks, and refusal when every slot is taken. Keys
 * come from vg_flow_key_from_pkt() and hashes from vg_flow_hash(), as in
 * the engine. A long random run is checked against a plain array model.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <netinet/in.h>

#include "capture/hash.h"
#include "capture/parse.h"
#include "engine/flow_table.h"

static void
make_pkt(struct vg_pkt *pkt, uint32_t src, uint32_t dst, uint16_t sport,
	 uint16_t dport, uint8_t proto)
{
	memset(pkt, 0, sizeof(*pkt));
	pkt->src[0] = (uint8_t)(src >> 24);
	pkt->src[1] = (uint8_t)(src >> 16);
	pkt->src[2] = (uint8_t)(src >> 8);
	pkt->src[3] = (uint8_t)src;
	pkt->dst[0] = (uint8_t)(dst >> 24);
	pkt->dst[1] = (uint8_t)(dst >> 16);
	pkt->dst[2] = (uint8_t)(dst >> 8);
	pkt->dst[3] = (uint8_t)dst;
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->l4_proto = proto;
	pkt->ip_version = 4;
}

static void
make_reply(const struct vg_pkt *pkt, struct vg_pkt *reply)
{
	*reply = *pkt;
	memcpy(reply->src, pkt->dst, 16);
	memcpy(reply->dst, pkt->src, 16);
	reply->sport = pkt->dport;
	reply->dport = pkt->sport;
}

/* Sample flow <i>: 10.0.<i/256>.<i%256>:<1024+i> -> 192.0.2.1:443. */
static void
make_flow_pkt(struct vg_pkt *pkt, uint32_t i, uint8_t proto)
{
	make_pkt(pkt, 0x0a000000u + i, 0xc0000201u, (uint16_t)(1024 + i), 443,
		 proto);
}

static struct vg_flow *
insert_pkt(struct vg_flow_table *table, const struct vg_pkt *pkt)
{
	struct vg_flow_key key;
	bool src_is_lo;

	vg_flow_key_from_pkt(pkt, &key, &src_is_lo);
	return vg_flow_table_insert(table, &key, vg_flow_hash(pkt));
}

static struct vg_flow *
lookup_pkt(struct vg_flow_table *table, const struct vg_pkt *pkt)
{
	struct vg_flow_key key;
	bool src_is_lo;

	vg_flow_key_from_pkt(pkt, &key, &src_is_lo);
	return vg_flow_table_lookup(table, &key, vg_flow_hash(pkt));
}

static unsigned int
queue_length(struct vg_flow_table *table, unsigned int cls)
{
	unsigned int n = 0;

	for (uint32_t idx = table->queues[cls].head; idx != VG_FLOW_NIL;
	     idx = table->slots[idx].queue_next)
		n++;
	return n;
}

static void
test_flow_table_create_rejects_bad_capacity(void **state)
{
	(void)state;
	errno = 0;
	assert_null(vg_flow_table_create(0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(vg_flow_table_create(VG_FLOW_NIL));
	assert_int_equal(errno, EINVAL);
	vg_flow_table_free(NULL);
}

static void
test_flow_table_memory_per_flow(void **state)
{
	/*
	 * buckets: the power of two at or above capacity / 2 + 1; the list of
	 * flows owed to their hosts: capacity / 4 + 1 slot numbers
	 */
	static const struct {
		uint32_t capacity, buckets;
	} cases[] = {
		{1, 1}, {2, 2}, {3, 2}, {6, 4}, {1000, 512}, {1024, 1024},
		{4094, 2048}, {100000, 65536},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vg_flow_table *table =
			vg_flow_table_create(cases[i].capacity);
		size_t expected =
			(size_t)cases[i].capacity * sizeof(struct vg_flow) +
			(size_t)cases[i].buckets * sizeof(uint32_t) +
			(size_t)(cases[i].capacity / 4 + 1) * sizeof(uint32_t);

		assert_non_null(table);
		assert_int_equal(table->capacity, cases[i].capacity);
		assert_int_equal(table->bucket_mask, cases[i].buckets - 1);
		assert_int_equal(table->count, 0);
		assert_int_equal(vg_flow_table_memory(table), expected);
		assert_int_equal(vg_flow_table_memory_for(cases[i].capacity),
				 expected);
		/* the budget of 256 bytes per flow, buckets and list included */
		assert_true(vg_flow_table_memory(table) <=
			    (size_t)cases[i].capacity * 256);
		vg_flow_table_free(table);
	}
}

static void
test_flow_key_canonical_order(void **state)
{
	struct vg_pkt pkt, reply;
	struct vg_flow_key key, rkey;
	bool src_is_lo, rsrc_is_lo;
	uint8_t lo[16] = {10, 0, 0, 1}, hi[16] = {10, 0, 0, 2};

	(void)state;
	/* 10.0.0.2:80 -> 10.0.0.1:40000: the lower address is 10.0.0.1 */
	make_pkt(&pkt, 0x0a000002, 0x0a000001, 80, 40000, IPPROTO_TCP);
	pkt.vlan = 7;
	vg_flow_key_from_pkt(&pkt, &key, &src_is_lo);
	assert_false(src_is_lo);
	assert_memory_equal(key.lo_addr, lo, 16);
	assert_memory_equal(key.hi_addr, hi, 16);
	assert_int_equal(key.lo_port, 40000);
	assert_int_equal(key.hi_port, 80);
	assert_int_equal(key.vlan, 7);
	assert_int_equal(key.l4_proto, IPPROTO_TCP);
	assert_int_equal(key.ip_version, 4);

	make_reply(&pkt, &reply);
	vg_flow_key_from_pkt(&reply, &rkey, &rsrc_is_lo);
	assert_true(rsrc_is_lo);
	assert_memory_equal(&key, &rkey, sizeof(key));

	/* one address: the lower port goes first */
	make_pkt(&pkt, 0x7f000001, 0x7f000001, 5000, 80, IPPROTO_UDP);
	vg_flow_key_from_pkt(&pkt, &key, &src_is_lo);
	assert_false(src_is_lo);
	assert_int_equal(key.lo_port, 80);
	assert_int_equal(key.hi_port, 5000);

	/* IPv6: 2001:db8::1 sorts before 2001:db8::1:0 */
	memset(&pkt, 0, sizeof(pkt));
	pkt.ip_version = 6;
	pkt.l4_proto = IPPROTO_TCP;
	pkt.src[0] = pkt.dst[0] = 0x20;
	pkt.src[1] = pkt.dst[1] = 0x01;
	pkt.src[2] = pkt.dst[2] = 0x0d;
	pkt.src[3] = pkt.dst[3] = 0xb8;
	pkt.src[15] = 0x01;
	pkt.dst[13] = 0x01;
	pkt.sport = 443;
	pkt.dport = 50000;
	vg_flow_key_from_pkt(&pkt, &key, &src_is_lo);
	assert_true(src_is_lo);
	assert_memory_equal(key.lo_addr, pkt.src, 16);
	assert_memory_equal(key.hi_addr, pkt.dst, 16);
	assert_int_equal(key.lo_port, 443);
	assert_int_equal(key.ip_version, 6);
	make_reply(&pkt, &reply);
	vg_flow_key_from_pkt(&reply, &rkey, &rsrc_is_lo);
	assert_false(rsrc_is_lo);
	assert_memory_equal(&key, &rkey, sizeof(key));
}

static void
test_flow_table_insert_lookup_both_directions(void **state)
{
	struct vg_flow_table *table = vg_flow_table_create(16);
	struct vg_pkt pkt, reply;
	struct vg_flow_key key;
	struct vg_flow *flow;
	bool src_is_lo;

	(void)state;
	assert_non_null(table);
	make_pkt(&pkt, 0xc0000201, 0xc6336402, 40000, 443, IPPROTO_TCP);
	make_reply(&pkt, &reply);
	assert_null(lookup_pkt(table, &pkt));

	flow = insert_pkt(table, &pkt);
	assert_non_null(flow);
	assert_int_equal(table->count, 1);
	assert_ptr_equal(lookup_pkt(table, &pkt), flow);
	assert_ptr_equal(lookup_pkt(table, &reply), flow);

	vg_flow_key_from_pkt(&pkt, &key, &src_is_lo);
	assert_memory_equal(&flow->key, &key, sizeof(key));
	assert_int_equal(flow->hash, vg_flow_hash(&pkt));
	assert_int_equal(flow->flags, VG_FLOW_IN_USE);
	assert_int_equal(flow->generation, 1);
	assert_int_equal(flow->expiry_class, 0);
	assert_int_equal(flow->packets[0] + flow->packets[1], 0);
	assert_int_equal(flow->bytes[0] + flow->bytes[1], 0);
	assert_int_equal(flow->ndpi_state, 0);
	assert_int_equal(flow->first_us, 0);
	assert_int_equal(flow->last_us, 0);
	assert_ptr_equal(vg_flow_table_queue_head(table, 0), flow);
	vg_flow_table_free(table);
}

static void
test_flow_table_lookup_misses_other_flows(void **state)
{
	struct vg_flow_table *table = vg_flow_table_create(16);
	struct vg_flow_key key, other;
	struct vg_pkt pkt;
	uint32_t hash;
	bool src_is_lo;

	(void)state;
	assert_non_null(table);
	make_pkt(&pkt, 0x0a000001, 0x0a000002, 1234, 80, IPPROTO_TCP);
	vg_flow_key_from_pkt(&pkt, &key, &src_is_lo);
	hash = vg_flow_hash(&pkt);
	assert_non_null(vg_flow_table_insert(table, &key, hash));

	other = key;
	other.lo_port++;
	assert_null(vg_flow_table_lookup(table, &other, hash));
	other = key;
	other.hi_port++;
	assert_null(vg_flow_table_lookup(table, &other, hash));
	other = key;
	other.vlan = 1;
	assert_null(vg_flow_table_lookup(table, &other, hash));
	other = key;
	other.l4_proto = IPPROTO_UDP;
	assert_null(vg_flow_table_lookup(table, &other, hash));
	other = key;
	other.ip_version = 6;
	assert_null(vg_flow_table_lookup(table, &other, hash));
	other = key;
	other.hi_addr[3] = 9;
	assert_null(vg_flow_table_lookup(table, &other, hash));
	/* the right key under another hash is another flow too */
	assert_null(vg_flow_table_lookup(table, &key, hash ^ 0x80000000u));
	vg_flow_table_free(table);
}

static void
test_flow_table_full_refuses_insert(void **state)
{
	enum { CAPACITY = 8 };
	struct vg_flow_table *table = vg_flow_table_create(CAPACITY);
	struct vg_flow *flows[CAPACITY];
	struct vg_flow *head, *again;
	struct vg_pkt pkt;
	uint32_t freed;

	(void)state;
	assert_non_null(table);
	for (uint32_t i = 0; i < CAPACITY; i++) {
		make_flow_pkt(&pkt, i, IPPROTO_UDP);
		flows[i] = insert_pkt(table, &pkt);
		assert_non_null(flows[i]);
		assert_int_equal(table->count, i + 1);
	}
	make_flow_pkt(&pkt, CAPACITY, IPPROTO_UDP);
	assert_null(insert_pkt(table, &pkt));
	make_flow_pkt(&pkt, CAPACITY + 1, IPPROTO_TCP);
	assert_null(insert_pkt(table, &pkt));
	assert_int_equal(table->count, CAPACITY);

	/* the refused flows left the others as they were */
	for (uint32_t i = 0; i < CAPACITY; i++) {
		make_flow_pkt(&pkt, i, IPPROTO_UDP);
		assert_ptr_equal(lookup_pkt(table, &pkt), flows[i]);
	}

	/* expiring one flow makes room, in the slot it had */
	head = vg_flow_table_queue_head(table, 1);
	assert_ptr_equal(head, flows[0]);
	freed = vg_flow_table_slot(table, head);
	vg_flow_table_pop_head(table, 1);
	assert_int_equal(table->count, CAPACITY - 1);
	make_flow_pkt(&pkt, 0, IPPROTO_UDP);
	assert_null(lookup_pkt(table, &pkt));

	make_flow_pkt(&pkt, CAPACITY, IPPROTO_UDP);
	again = insert_pkt(table, &pkt);
	assert_non_null(again);
	assert_int_equal(vg_flow_table_slot(table, again), freed);
	assert_int_equal(again->generation, 2);
	assert_ptr_equal(lookup_pkt(table, &pkt), again);
	make_flow_pkt(&pkt, CAPACITY + 1, IPPROTO_UDP);
	assert_null(insert_pkt(table, &pkt));
	vg_flow_table_free(table);
}

static void
test_flow_table_capacity_one(void **state)
{
	struct vg_flow_table *table = vg_flow_table_create(1);
	struct vg_pkt a, b;

	(void)state;
	assert_non_null(table);
	make_flow_pkt(&a, 1, IPPROTO_TCP);
	make_flow_pkt(&b, 2, IPPROTO_TCP);
	for (int round = 0; round < 3; round++) {
		assert_non_null(insert_pkt(table, &a));
		assert_null(insert_pkt(table, &b));
		vg_flow_table_pop_head(table, 0);
		assert_int_equal(table->count, 0);
		assert_null(lookup_pkt(table, &a));
	}
	assert_int_equal(table->slots[0].generation, 3);
	vg_flow_table_free(table);
}

static void
test_flow_expiry_class_by_protocol(void **state)
{
	(void)state;
	assert_int_equal(vg_flow_expiry_class(IPPROTO_TCP), 0);
	assert_int_equal(vg_flow_expiry_class(IPPROTO_UDP), 1);
	assert_int_equal(vg_flow_expiry_class(IPPROTO_ICMP), 2);
	assert_int_equal(vg_flow_expiry_class(IPPROTO_ICMPV6), 2);
	assert_int_equal(vg_flow_expiry_class(IPPROTO_GRE), 3);
	assert_int_equal(vg_flow_expiry_class(IPPROTO_ESP), 3);
	assert_int_equal(vg_flow_expiry_class(0), 3);
	assert_int_equal(vg_flow_expiry_class(255), 3);
}

static void
test_flow_table_queues_per_class_in_order(void **state)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP,
					 IPPROTO_ICMP, IPPROTO_GRE,
					 IPPROTO_ICMPV6};
	struct vg_flow_table *table = vg_flow_table_create(64);
	struct vg_flow *first[VG_EXPIRY_CLASSES] = {NULL};
	struct vg_pkt pkt;

	(void)state;
	assert_non_null(table);
	for (unsigned int cls = 0; cls < VG_EXPIRY_CLASSES; cls++)
		assert_null(vg_flow_table_queue_head(table, cls));

	/* flows 0..19, protocols in turn: ICMP and ICMPv6 share class 2 */
	for (uint32_t i = 0; i < 20; i++) {
		uint8_t proto = protos[i % 5];
		unsigned int cls = vg_flow_expiry_class(proto);
		struct vg_flow *flow;

		make_flow_pkt(&pkt, i, proto);
		flow = insert_pkt(table, &pkt);
		assert_non_null(flow);
		assert_int_equal(flow->expiry_class, cls);
		if (first[cls] == NULL)
			first[cls] = flow;
	}
	assert_int_equal(queue_length(table, 0), 4);
	assert_int_equal(queue_length(table, 1), 4);
	assert_int_equal(queue_length(table, 2), 8);
	assert_int_equal(queue_length(table, 3), 4);

	/* popping class 2 yields flows 2, 4, 7, 9, 12, 14, 17, 19 */
	for (uint32_t i = 0; i < 20; i++) {
		uint8_t proto = protos[i % 5];
		struct vg_flow *head;

		if (vg_flow_expiry_class(proto) != 2)
			continue;
		make_flow_pkt(&pkt, i, proto);
		head = vg_flow_table_queue_head(table, 2);
		assert_ptr_equal(head, lookup_pkt(table, &pkt));
		vg_flow_table_pop_head(table, 2);
		assert_null(lookup_pkt(table, &pkt));
	}
	assert_null(vg_flow_table_queue_head(table, 2));
	assert_int_equal(table->count, 12);

	/* the other queues kept their heads */
	assert_ptr_equal(vg_flow_table_queue_head(table, 0), first[0]);
	assert_ptr_equal(vg_flow_table_queue_head(table, 1), first[1]);
	assert_ptr_equal(vg_flow_table_queue_head(table, 3), first[3]);

	/* an empty queue takes requeue and pop without effect */
	vg_flow_table_requeue_head(table, 2);
	vg_flow_table_pop_head(table, 2);
	assert_int_equal(table->count, 12);
	vg_flow_table_free(table);
}

static void
test_flow_table_requeue_moves_head_to_tail(void **state)
{
	struct vg_flow_table *table = vg_flow_table_create(8);
	struct vg_flow *flows[3];
	struct vg_pkt pkt;

	(void)state;
	assert_non_null(table);
	make_flow_pkt(&pkt, 0, IPPROTO_TCP);
	flows[0] = insert_pkt(table, &pkt);
	assert_non_null(flows[0]);

	/* a queue of one: the head stays the head */
	vg_flow_table_requeue_head(table, 0);
	assert_ptr_equal(vg_flow_table_queue_head(table, 0), flows[0]);
	assert_int_equal(queue_length(table, 0), 1);

	for (uint32_t i = 1; i < 3; i++) {
		make_flow_pkt(&pkt, i, IPPROTO_TCP);
		flows[i] = insert_pkt(table, &pkt);
		assert_non_null(flows[i]);
	}
	vg_flow_table_requeue_head(table, 0);
	assert_ptr_equal(vg_flow_table_queue_head(table, 0), flows[1]);
	vg_flow_table_requeue_head(table, 0);
	assert_ptr_equal(vg_flow_table_queue_head(table, 0), flows[2]);
	vg_flow_table_requeue_head(table, 0);
	assert_ptr_equal(vg_flow_table_queue_head(table, 0), flows[0]);
	assert_int_equal(queue_length(table, 0), 3);

	/* a flow inserted now goes behind all three */
	make_flow_pkt(&pkt, 3, IPPROTO_TCP);
	assert_non_null(insert_pkt(table, &pkt));
	vg_flow_table_pop_head(table, 0);
	vg_flow_table_pop_head(table, 0);
	vg_flow_table_pop_head(table, 0);
	assert_ptr_equal(vg_flow_table_queue_head(table, 0),
			 lookup_pkt(table, &pkt));
	assert_int_equal(table->count, 1);
	vg_flow_table_free(table);
}

/*
 * Idle expiry as the engine runs it: look at each queue head, requeue it if
 * it is still active at <now_us>, pop it otherwise, and stop when the
 * first requeued flow comes round again. Returns the number popped.
 */
static unsigned int
expire_idle(struct vg_flow_table *table, unsigned int cls, uint64_t now_us,
	    uint64_t idle_us)
{
	uint32_t first_moved = VG_FLOW_NIL;
	unsigned int ended = 0;
	struct vg_flow *flow;

	while ((flow = vg_flow_table_queue_head(table, cls)) != NULL) {
		uint32_t slot = vg_flow_table_slot(table, flow);

		if (slot == first_moved)
			break;
		if (now_us < flow->last_us + idle_us) {
			if (first_moved == VG_FLOW_NIL)
				first_moved = slot;
			vg_flow_table_requeue_head(table, cls);
			continue;
		}
		vg_flow_table_pop_head(table, cls);
		ended++;
	}
	return ended;
}

static void
test_flow_table_idle_expiry_scan(void **state)
{
	enum { N = 100 };
	const uint64_t idle_us = 30000000;
	struct vg_flow_table *table = vg_flow_table_create(N);
	struct vg_pkt pkt;
	unsigned int active = 0;

	(void)state;
	assert_non_null(table);
	/* flow i was last seen at i seconds; every third one again at 100 s */
	for (uint32_t i = 0; i < N; i++) {
		struct vg_flow *flow;

		make_flow_pkt(&pkt, i, IPPROTO_UDP);
		flow = insert_pkt(table, &pkt);
		assert_non_null(flow);
		flow->first_us = (uint64_t)i * 1000000;
		flow->last_us = i % 3 == 0 ? 100000000 : flow->first_us;
	}

	/* at 80 s, flows last seen at 50 s or earlier have been idle 30 s */
	for (uint32_t i = 0; i < N; i++)
		active += i % 3 == 0 || i > 50;
	assert_int_equal(expire_idle(table, 1, 80000000, idle_us),
			 N - active);
	assert_int_equal(table->count, active);
	for (uint32_t i = 0; i < N; i++) {
		bool live = i % 3 == 0 || i > 50;

		make_flow_pkt(&pkt, i, IPPROTO_UDP);
		if (live)
			assert_non_null(lookup_pkt(table, &pkt));
		else
			assert_null(lookup_pkt(table, &pkt));
	}
	assert_int_equal(queue_length(table, 1), active);

	/* nothing more is idle at the same time */
	assert_int_equal(expire_idle(table, 1, 80000000, idle_us), 0);
	/* at 130 s everything has been idle for 30 s */
	assert_int_equal(expire_idle(table, 1, 130000000, idle_us), active);
	assert_int_equal(table->count, 0);
	assert_null(vg_flow_table_queue_head(table, 1));

	/* every slot is free again */
	for (uint32_t i = 0; i < N; i++) {
		make_flow_pkt(&pkt, i + 1000, IPPROTO_TCP);
		assert_non_null(insert_pkt(table, &pkt));
	}
	make_flow_pkt(&pkt, 5000, IPPROTO_TCP);
	assert_null(insert_pkt(table, &pkt));
	vg_flow_table_free(table);
}

static void
test_flow_table_shared_bucket_unlink(void **state)
{
	enum { N = 6 };
	struct vg_flow_table *table = vg_flow_table_create(16);
	struct vg_flow_key keys[N];
	struct vg_pkt pkt;
	bool src_is_lo;
	/* removal order: the middle, the chain head, the tail, the rest */
	static const uint32_t order[N] = {2, 5, 0, 3, 1, 4};

	(void)state;
	assert_non_null(table);
	/* one hash for all: every flow lands in the same bucket */
	for (uint32_t i = 0; i < N; i++) {
		make_flow_pkt(&pkt, i, IPPROTO_GRE);
		vg_flow_key_from_pkt(&pkt, &keys[i], &src_is_lo);
		assert_non_null(vg_flow_table_insert(table, &keys[i], 77));
	}
	for (uint32_t i = 0; i < N; i++)
		assert_non_null(vg_flow_table_lookup(table, &keys[i], 77));

	/* pop_head removes queue heads: requeue to bring each one up */
	for (uint32_t r = 0; r < N; r++) {
		struct vg_flow *target =
			vg_flow_table_lookup(table, &keys[order[r]], 77);

		assert_non_null(target);
		while (vg_flow_table_queue_head(table, 3) != target)
			vg_flow_table_requeue_head(table, 3);
		vg_flow_table_pop_head(table, 3);
		for (uint32_t j = 0; j < N; j++) {
			bool removed = false;

			for (uint32_t k = 0; k <= r; k++)
				removed |= order[k] == j;
			if (removed)
				assert_null(vg_flow_table_lookup(
					table, &keys[j], 77));
			else
				assert_non_null(vg_flow_table_lookup(
					table, &keys[j], 77));
		}
	}
	assert_int_equal(table->count, 0);
	assert_int_equal(table->buckets[77 & table->bucket_mask], VG_FLOW_NIL);
	vg_flow_table_free(table);
}

/* A small deterministic generator for the random run (xorshift32). */
static uint32_t
next_random(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void
test_flow_table_random_ops_match_model(void **state)
{
	enum { CAPACITY = 200, UNIVERSE = 400, STEPS = 50000 };
	struct vg_flow_table *table = vg_flow_table_create(CAPACITY);
	bool present[UNIVERSE] = {false};
	uint32_t count = 0, seed = 0x2545f491;
	struct vg_pkt pkt, reply;

	(void)state;
	assert_non_null(table);
	for (uint32_t step = 0; step < STEPS; step++) {
		uint32_t r = next_random(&seed);
		uint32_t id = r % UNIVERSE;
		unsigned int cls = (r >> 16) % 2;
		struct vg_flow *flow;

		/* ids below UNIVERSE / 2 are TCP (class 0), the rest UDP */
		make_flow_pkt(&pkt, id, id < UNIVERSE / 2 ? IPPROTO_TCP
							 : IPPROTO_UDP);
		make_reply(&pkt, &reply);
		switch ((r >> 8) % 3) {
		case 0: /* a packet: insert the flow unless it is known */
			flow = lookup_pkt(table, &reply);
			assert_int_equal(flow != NULL, present[id]);
			if (flow != NULL)
				break;
			flow = insert_pkt(table, &pkt);
			if (count == CAPACITY) {
				assert_null(flow);
				break;
			}
			assert_non_null(flow);
			present[id] = true;
			count++;
			break;
		case 1: /* expiry of a queue head */
			flow = vg_flow_table_queue_head(table, cls);
			if (flow == NULL)
				break;
			id = flow->key.lo_port - 1024;
			assert_true(id < UNIVERSE);
			assert_true(present[id]);
			vg_flow_table_pop_head(table, cls);
			present[id] = false;
			count--;
			break;
		default: /* a still active flow goes round its queue */
			vg_flow_table_requeue_head(table, cls);
			break;
		}
		assert_int_equal(table->count, count);
	}

	for (uint32_t id = 0; id < UNIVERSE; id++) {
		make_flow_pkt(&pkt, id, id < UNIVERSE / 2 ? IPPROTO_TCP
							 : IPPROTO_UDP);
		assert_int_equal(lookup_pkt(table, &pkt) != NULL, present[id]);
	}
	assert_int_equal(queue_length(table, 0) + queue_length(table, 1),
			 count);
	vg_flow_table_free(table);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_table_create_rejects_bad_capacity),
		cmocka_unit_test(test_flow_table_memory_per_flow),
		cmocka_unit_test(test_flow_key_canonical_order),
		cmocka_unit_test(test_flow_table_insert_lookup_both_directions),
		cmocka_unit_test(test_flow_table_lookup_misses_other_flows),
		cmocka_unit_test(test_flow_table_full_refuses_insert),
		cmocka_unit_test(test_flow_table_capacity_one),
		cmocka_unit_test(test_flow_expiry_class_by_protocol),
		cmocka_unit_test(test_flow_table_queues_per_class_in_order),
		cmocka_unit_test(test_flow_table_requeue_moves_head_to_tail),
		cmocka_unit_test(test_flow_table_idle_expiry_scan),
		cmocka_unit_test(test_flow_table_shared_bucket_unlink),
		cmocka_unit_test(test_flow_table_random_ops_match_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
