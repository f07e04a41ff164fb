/*
 * Unit tests for vg_capture_copy_frame() and vg_mbuf_own_buffer()
 * (capture/rx.c, capture/capture.h): the copy the rx lcore makes of a
 * frame that is chained or attached to another buffer, so that the engine
 * can find the frame from its summary alone. Starts EAL without hugepages
 * or devices; the pools are made as vigild makes its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "capture/capture.h"

#define PACKET_POOL_SIZE 63
#define COPY_POOL_SIZE 3
#define SEGMENT_ROOM 2048
#define FRAME_TIME 1700000000123456ull

static struct rte_mempool *packet_pool;
static struct rte_mempool *clone_pool;
static struct vg_capture *capture;

/* Returns byte <i> of every test frame, so a copy can be checked. */
static uint8_t
pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* Appends <len> pattern bytes, numbered from <first>, to <m>. */
static void
fill(struct rte_mbuf *m, uint32_t first, uint16_t len)
{
	uint8_t bytes[SEGMENT_ROOM];
	char *p;
	uint16_t i;

	assert_true(len <= sizeof(bytes));
	for (i = 0; i < len; i++)
		bytes[i] = pattern(first + i);
	p = rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memcpy(p, bytes, len);
}

/* Returns a chain of <count> segments of <len> pattern bytes each. */
static struct rte_mbuf *
make_chain(unsigned int count, uint16_t len)
{
	struct rte_mbuf *head = NULL;
	unsigned int i;

	for (i = 0; i < count; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(packet_pool);

		assert_non_null(m);
		fill(m, i * (uint32_t)len, len);
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
	}
	return head;
}

static void
stamp(struct rte_mbuf *m)
{
	*RTE_MBUF_DYNFIELD(m, capture->ts_offset, uint64_t *) = FRAME_TIME;
	m->ol_flags |= capture->ts_flag;
}

/* Asserts that <copy> contains <len> pattern bytes in a buffer of its own. */
static void
assert_copy(struct rte_mbuf *copy, uint32_t len)
{
	const uint8_t *p = rte_pktmbuf_mtod(copy, const uint8_t *);
	uint32_t i;

	assert_int_equal(copy->nb_segs, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(copy), len);
	assert_int_equal(rte_pktmbuf_data_len(copy), len);
	assert_true(vg_mbuf_own_buffer(copy));
	for (i = 0; i < len; i++)
		assert_int_equal(p[i], pattern(i));
	/* the engine's way to the frame: the summary, its size, data_off */
	assert_ptr_equal((const uint8_t *)vg_mbuf_pkt(copy) +
				 VG_MBUF_PRIV_SIZE + copy->data_off,
			 p);
}

static void
assert_pools_full(void)
{
	assert_int_equal(rte_mempool_avail_count(capture->copy_pool),
			 COPY_POOL_SIZE);
	assert_int_equal(rte_mempool_avail_count(packet_pool),
			 PACKET_POOL_SIZE);
	assert_int_equal(rte_mempool_avail_count(clone_pool),
			 PACKET_POOL_SIZE);
}

static void
test_own_buffer_direct_and_clone(void **state)
{
	struct rte_mbuf *m = make_chain(1, 64);
	struct rte_mbuf *clone = rte_pktmbuf_clone(m, clone_pool);

	(void)state;
	assert_non_null(clone);
	assert_true(vg_mbuf_own_buffer(m));
	assert_false(vg_mbuf_own_buffer(clone));
	rte_pktmbuf_free(clone);
	rte_pktmbuf_free(m);
	assert_pools_full();
}

static void
test_copy_chain_keeps_bytes_and_time(void **state)
{
	struct rte_mbuf *chain = make_chain(3, 1000);
	enum vg_copy_error err = VG_COPY_NOMBUF;
	struct rte_mbuf *copy;

	(void)state;
	stamp(chain);
	copy = vg_capture_copy_frame(capture, chain, &err);
	assert_non_null(copy);
	assert_int_equal(err, VG_COPY_OK);
	assert_copy(copy, 3000);
	assert_int_equal(copy->data_off, 0);
	assert_int_equal(copy->ol_flags, capture->ts_flag);
	assert_int_equal(*RTE_MBUF_DYNFIELD(copy, capture->ts_offset,
					    uint64_t *),
			 FRAME_TIME);
	rte_pktmbuf_free(chain);
	rte_pktmbuf_free(copy);
	assert_pools_full();
}

/*
 * An mbuf attached to another's buffer has one segment, where
 * rte_pktmbuf_read() returns the frame in place instead of copying it.
 * The copy must still get the bytes, and must not keep the flag that marks
 * an attached mbuf, or freeing it would detach it and free it twice.
 */
static void
test_copy_attached_one_segment(void **state)
{
	struct rte_mbuf *m = make_chain(1, 1500);
	struct rte_mbuf *clone, *copy;
	enum vg_copy_error err = VG_COPY_NOMBUF;

	(void)state;
	stamp(m);
	clone = rte_pktmbuf_clone(m, clone_pool);
	assert_non_null(clone);
	assert_true(RTE_MBUF_CLONED(clone));
	copy = vg_capture_copy_frame(capture, clone, &err);
	assert_non_null(copy);
	assert_int_equal(err, VG_COPY_OK);
	assert_copy(copy, 1500);
	assert_false(RTE_MBUF_CLONED(copy));
	assert_true(RTE_MBUF_DIRECT(copy));
	assert_int_equal(copy->ol_flags, capture->ts_flag);
	rte_pktmbuf_free(copy);
	rte_pktmbuf_free(clone);
	rte_pktmbuf_free(m);
	assert_pools_full();
}

static void
test_copy_over_65535_bytes_rejected(void **state)
{
	/* 33 segments of 2000 bytes: 66000 bytes */
	struct rte_mbuf *chain = make_chain(33, 2000);
	enum vg_copy_error err = VG_COPY_OK;

	(void)state;
	assert_int_equal(rte_pktmbuf_pkt_len(chain), 66000);
	assert_null(vg_capture_copy_frame(capture, chain, &err));
	assert_int_equal(err, VG_COPY_OVERSIZE);
	rte_pktmbuf_free(chain);
	assert_pools_full();
}

static void
test_copy_pool_empty(void **state)
{
	struct rte_mbuf *chain = make_chain(2, 100);
	struct rte_mbuf *copies[COPY_POOL_SIZE];
	enum vg_copy_error err;
	unsigned int i;

	(void)state;
	for (i = 0; i < COPY_POOL_SIZE; i++) {
		copies[i] = vg_capture_copy_frame(capture, chain, &err);
		assert_non_null(copies[i]);
		assert_int_equal(err, VG_COPY_OK);
	}
	assert_null(vg_capture_copy_frame(capture, chain, &err));
	assert_int_equal(err, VG_COPY_NOMBUF);
	for (i = 0; i < COPY_POOL_SIZE; i++)
		rte_pktmbuf_free(copies[i]);
	rte_pktmbuf_free(chain);
	assert_pools_full();
}

static int
start_eal(void **state)
{
	char prefix[64];
	char *argv[] = {
		"test_copy_frame", "--no-huge", "--no-pci", "--no-shconf",
		"-m", "64", prefix, "--log-level=error", "--no-telemetry", NULL,
	};
	uint64_t flag;
	int offset;

	(void)state;
	snprintf(prefix, sizeof(prefix), "--file-prefix=test-copy-frame-%ld",
		 (long)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0)
		return -1;
	packet_pool = rte_pktmbuf_pool_create("test_packets", PACKET_POOL_SIZE,
					      0, VG_MBUF_PRIV_SIZE,
					      SEGMENT_ROOM + RTE_PKTMBUF_HEADROOM,
					      SOCKET_ID_ANY);
	clone_pool = rte_pktmbuf_pool_create("test_clones", PACKET_POOL_SIZE,
					     0, VG_MBUF_PRIV_SIZE, 0,
					     SOCKET_ID_ANY);
	capture = calloc(1, sizeof(*capture));
	if (packet_pool == NULL || clone_pool == NULL || capture == NULL)
		return -1;
	capture->copy_pool = rte_pktmbuf_pool_create(
		"test_copies", COPY_POOL_SIZE, 0, VG_MBUF_PRIV_SIZE, UINT16_MAX,
		SOCKET_ID_ANY);
	if (capture->copy_pool == NULL)
		return -1;
	if (rte_mbuf_dyn_rx_timestamp_register(&offset, &flag) != 0)
		return -1;
	capture->ts_offset = offset;
	capture->ts_flag = flag;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_buffer_direct_and_clone),
		cmocka_unit_test(test_copy_chain_keeps_bytes_and_time),
		cmocka_unit_test(test_copy_attached_one_segment),
		cmocka_unit_test(test_copy_over_65535_bytes_rejected),
		cmocka_unit_test(test_copy_pool_empty),
	};

	return cmocka_run_group_tests(tests, start_eal, NULL);
}
