/*
 * Unit tests for the shared-memory message rings (common/shm_ring.c) and
 * the vigild-sandbox region built from them (common/sandbox_shm.c).
 *
 * Payloads are generated from their sequence number, so every check
 * compares against bytes computed independently of the ring.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/sandbox_shm.h"
#include "common/shm_ring.h"

#define SMALL 4096u

struct test_ring {
	struct vg_shm_ring *shared;
	struct vg_shm_ring_ref ref;
	size_t bytes;
};

/* Maps a ring shared with children forked later. */
static void
ring_new(struct test_ring *r, uint32_t size)
{
	r->bytes = vg_shm_ring_footprint(size);
	r->shared = mmap(NULL, r->bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(r->shared != MAP_FAILED);
	assert_int_equal(vg_shm_ring_init(r->shared, size), 0);
	r->ref.shared = r->shared;
	r->ref.size = size;
}

static void
ring_free(struct test_ring *r)
{
	munmap(r->shared, r->bytes);
}

/* Fills <buf> with the payload of message <seq>: its length, then bytes. */
static uint32_t
payload(uint64_t seq, uint8_t *buf, uint32_t max_len)
{
	uint32_t len = 1 + (uint32_t)(seq * 7919 % max_len);
	uint32_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i);
	return len;
}

static void
test_ring_init_rejects_bad_sizes(void **state)
{
	struct vg_shm_ring *ring = malloc(vg_shm_ring_footprint(8192));

	(void)state;
	assert_int_equal(vg_shm_ring_init(ring, 4095), -EINVAL);
	assert_int_equal(vg_shm_ring_init(ring, 2048), -EINVAL);
	assert_int_equal(vg_shm_ring_init(ring, 6144), -EINVAL);
	assert_int_equal(vg_shm_ring_init(ring, 8192), 0);
	free(ring);
}

static void
test_ring_put_get_roundtrip(void **state)
{
	struct test_ring r;
	uint8_t out[64];
	const char msg[] = "flow event batch";

	(void)state;
	ring_new(&r, SMALL);
	assert_true(vg_shm_ring_empty(&r.ref));
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)), 0);
	assert_int_equal(vg_shm_ring_put(&r.ref, msg, sizeof(msg)), 0);
	assert_false(vg_shm_ring_empty(&r.ref));
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)),
			 (ssize_t)sizeof(msg));
	assert_memory_equal(out, msg, sizeof(msg));
	assert_true(vg_shm_ring_empty(&r.ref));
	/* Positions count bytes: 4-byte length plus the message. */
	assert_int_equal(atomic_load(&r.shared->head), 4 + sizeof(msg));
	assert_int_equal(atomic_load(&r.shared->tail), 4 + sizeof(msg));
	ring_free(&r);
}

static void
test_ring_zero_length_message(void **state)
{
	struct test_ring r;
	uint8_t out[8];

	(void)state;
	ring_new(&r, SMALL);
	assert_int_equal(vg_shm_ring_put(&r.ref, "", 0), 0);
	assert_false(vg_shm_ring_empty(&r.ref));
	/* NOTE: get returns 0 for a zero-length message as for an empty
	 * ring; the message is consumed all the same. */
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)), 0);
	assert_true(vg_shm_ring_empty(&r.ref));
	ring_free(&r);
}

static void
test_ring_wraps_around(void **state)
{
	struct test_ring r;
	uint8_t in[1000];
	uint8_t expect[1000];
	uint8_t out[1000];
	uint64_t seq;

	(void)state;
	ring_new(&r, SMALL);
	/* 3000 messages of 1..999 bytes cross the end of 4096 bytes of data
	 * hundreds of times, at every alignment. */
	for (seq = 0; seq < 3000; seq++) {
		uint32_t len = payload(seq, in, 999);

		assert_int_equal(vg_shm_ring_put(&r.ref, in, len), 0);
		assert_int_equal(payload(seq, expect, 999), len);
		assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)),
				 (ssize_t)len);
		assert_memory_equal(out, expect, len);
	}
	assert_true(atomic_load(&r.shared->head) > 100 * SMALL);
	assert_int_equal(atomic_load(&r.shared->dropped), 0);
	ring_free(&r);
}

static void
test_ring_full_drops_and_counts(void **state)
{
	struct test_ring r;
	uint8_t msg[1020];
	uint8_t out[1020];
	int i;

	(void)state;
	ring_new(&r, SMALL);
	memset(msg, 0xab, sizeof(msg));
	/* 1020 + 4 bytes each: exactly four fill 4096 bytes. */
	for (i = 0; i < 4; i++)
		assert_int_equal(vg_shm_ring_put(&r.ref, msg, sizeof(msg)), 0);
	assert_int_equal(vg_shm_ring_put(&r.ref, msg, 1), -ENOSPC);
	assert_int_equal(vg_shm_ring_put(&r.ref, msg, sizeof(msg)), -ENOSPC);
	assert_int_equal(atomic_load(&r.shared->dropped), 2);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)),
			 (ssize_t)sizeof(msg));
	assert_int_equal(vg_shm_ring_put(&r.ref, msg, sizeof(msg)), 0);
	assert_int_equal(atomic_load(&r.shared->dropped), 2);
	ring_free(&r);
}

static void
test_ring_oversize_rejected(void **state)
{
	struct test_ring r;
	uint8_t *msg = calloc(1, SMALL);
	uint8_t *out = malloc(SMALL);

	(void)state;
	ring_new(&r, SMALL);
	assert_int_equal(vg_shm_ring_put(&r.ref, msg, SMALL - 3), -EMSGSIZE);
	assert_int_equal(vg_shm_ring_put(&r.ref, msg, SMALL), -EMSGSIZE);
	/* A message that could never fit is not a drop of a full ring. */
	assert_int_equal(atomic_load(&r.shared->dropped), 0);
	assert_true(vg_shm_ring_empty(&r.ref));
	/* The largest that fits takes the whole empty ring. */
	assert_int_equal(vg_shm_ring_put(&r.ref, msg, SMALL - 4), 0);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, SMALL), SMALL - 4);
	free(msg);
	free(out);
	ring_free(&r);
}

static void
test_ring_small_buffer_keeps_message(void **state)
{
	struct test_ring r;
	uint8_t out[16];

	(void)state;
	ring_new(&r, SMALL);
	assert_int_equal(vg_shm_ring_put(&r.ref, "0123456789", 10), 0);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, 9), -EMSGSIZE);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)), 10);
	assert_memory_equal(out, "0123456789", 10);
	ring_free(&r);
}

static void
test_ring_corrupt_positions_rejected(void **state)
{
	struct test_ring r;
	uint8_t out[SMALL];
	uint32_t huge = SMALL;

	(void)state;
	ring_new(&r, SMALL);
	/* Consumer ahead of the producer. */
	atomic_store(&r.shared->head, 100);
	atomic_store(&r.shared->tail, 200);
	assert_int_equal(vg_shm_ring_put(&r.ref, "x", 1), -EBADMSG);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)), -EBADMSG);
	/* More bytes in flight than the ring holds. */
	atomic_store(&r.shared->head, SMALL + 1);
	atomic_store(&r.shared->tail, 0);
	assert_int_equal(vg_shm_ring_put(&r.ref, "x", 1), -EBADMSG);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)), -EBADMSG);
	/* Fewer bytes than a length field. */
	atomic_store(&r.shared->head, 3);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)), -EBADMSG);
	/* A length longer than what was published. */
	atomic_store(&r.shared->head, 0);
	assert_int_equal(vg_shm_ring_put(&r.ref, "abcd", 4), 0);
	memcpy(r.shared->data, &huge, 4);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)), -EBADMSG);
	/* Nothing was consumed by the rejected reads. */
	assert_int_equal(atomic_load(&r.shared->tail), 0);
	/* The shared size field is not trusted: the reference's copy is. */
	r.shared->size = 1u << 30;
	huge = 4;
	memcpy(r.shared->data, &huge, 4);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)), 4);
	ring_free(&r);
}

static void
test_ring_wake_handshake_eventfd(void **state)
{
	struct test_ring r;
	struct pollfd pfd;
	uint64_t value = 0;
	uint8_t out[8];
	int efd = eventfd(0, EFD_NONBLOCK);

	(void)state;
	assert_true(efd >= 0);
	ring_new(&r, SMALL);
	pfd.fd = efd;
	pfd.events = POLLIN;

	/* A consumer not asleep costs the producer no write. */
	assert_int_equal(vg_shm_ring_put(&r.ref, "a", 1), 0);
	assert_int_equal(vg_shm_ring_wake(&r.ref, efd), 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);

	/* A message waiting: the consumer must not sleep. */
	assert_false(vg_shm_ring_prepare_sleep(&r.ref));
	assert_int_equal(atomic_load(&r.shared->asleep), 0);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)), 1);

	/* Empty: the consumer announces sleep, the next put wakes it once. */
	assert_true(vg_shm_ring_prepare_sleep(&r.ref));
	assert_int_equal(atomic_load(&r.shared->asleep), 1);
	assert_int_equal(vg_shm_ring_put(&r.ref, "b", 1), 0);
	assert_int_equal(vg_shm_ring_wake(&r.ref, efd), 1);
	assert_int_equal(vg_shm_ring_wake(&r.ref, efd), 0);
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	assert_int_equal(read(efd, &value, sizeof(value)), sizeof(value));
	assert_int_equal(value, 1);
	vg_shm_ring_awake(&r.ref);
	assert_int_equal(atomic_load(&r.shared->asleep), 0);
	assert_int_equal(vg_shm_ring_get(&r.ref, out, sizeof(out)), 1);
	assert_int_equal(out[0], 'b');
	close(efd);
	ring_free(&r);
}

#define EXCHANGE_COUNT 100000

struct exchange_stats {
	_Atomic uint64_t full;  /* -ENOSPC the producer saw */
	_Atomic uint64_t wakes; /* eventfd writes it made */
};

/* Child: puts EXCHANGE_COUNT messages, retrying while the ring is full. */
static void
produce(struct test_ring *r, int efd, struct exchange_stats *stats)
{
	uint8_t msg[600];
	uint64_t seq;

	for (seq = 0; seq < EXCHANGE_COUNT; seq++) {
		uint32_t len = payload(seq, msg + 8, 500) + 8;
		int rc;

		memcpy(msg, &seq, 8);
		while ((rc = vg_shm_ring_put(&r->ref, msg, len)) == -ENOSPC) {
			atomic_fetch_add(&stats->full, 1);
			if (vg_shm_ring_wake(&r->ref, efd) == 1)
				atomic_fetch_add(&stats->wakes, 1);
			sched_yield();
		}
		if (rc != 0)
			_exit(2);
		if (vg_shm_ring_wake(&r->ref, efd) == 1)
			atomic_fetch_add(&stats->wakes, 1);
	}
	_exit(0);
}

static void
test_ring_two_processes_in_order(void **state)
{
	struct exchange_stats *stats;
	struct test_ring r;
	uint8_t out[600];
	uint8_t expect[600];
	uint64_t next = 0;
	uint64_t sleeps = 0;
	int efd = eventfd(0, 0);
	int status;
	pid_t pid;

	(void)state;
	assert_true(efd >= 0);
	ring_new(&r, 16384);
	stats = mmap(NULL, sizeof(*stats), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(stats != MAP_FAILED);
	memset(stats, 0, sizeof(*stats));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		produce(&r, efd, stats);

	while (next < EXCHANGE_COUNT) {
		ssize_t n = vg_shm_ring_get(&r.ref, out, sizeof(out));
		uint64_t seq;
		uint32_t len;

		if (n == 0) {
			struct pollfd pfd = { .fd = efd, .events = POLLIN };
			uint64_t value;

			if (vg_shm_ring_prepare_sleep(&r.ref)) {
				sleeps++;
				assert_int_equal(poll(&pfd, 1, 5000), 1);
				assert_int_equal(read(efd, &value, 8), 8);
			}
			vg_shm_ring_awake(&r.ref);
			continue;
		}
		assert_true(n >= 8);
		memcpy(&seq, out, 8);
		assert_int_equal(seq, next);
		len = payload(seq, expect, 500);
		assert_int_equal((size_t)n, len + 8);
		assert_memory_equal(out + 8, expect, len);
		next++;
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(vg_shm_ring_empty(&r.ref));
	/* Every full ring the producer met was counted as a drop. */
	assert_int_equal(atomic_load(&r.shared->dropped),
			 atomic_load(&stats->full));
	/* A lost wake-up would have made a poll above time out. */
	print_message("consumer slept %llu times, producer woke it %llu "
		      "times\n", (unsigned long long)sleeps,
		      (unsigned long long)atomic_load(&stats->wakes));
	munmap(stats, sizeof(*stats));
	close(efd);
	ring_free(&r);
}

static void
test_region_attach_sees_rings(void **state)
{
	struct vg_sandbox_shm created;
	struct vg_sandbox_shm attached;
	uint8_t out[64];
	int fd;

	(void)state;
	assert_int_equal(vg_sandbox_shm_create(&created, 2, 8192, 4096), 0);
	fd = dup(created.fd);
	assert_int_equal(vg_sandbox_shm_attach(&attached, fd), 0);
	assert_int_equal(attached.engine_count, 2);
	assert_int_equal(vg_sandbox_shm_engine_ring(&attached, 1)->size, 8192);
	assert_int_equal(vg_sandbox_shm_control_ring(&attached)->size, 4096);
	assert_int_equal(vg_sandbox_shm_result_ring(&attached)->size, 4096);

	/* One ring, two mappings: what one side puts the other gets. */
	assert_int_equal(vg_shm_ring_put(vg_sandbox_shm_result_ring(&attached),
					 "results", 7), 0);
	assert_int_equal(vg_shm_ring_get(vg_sandbox_shm_result_ring(&created),
					 out, sizeof(out)), 7);
	assert_memory_equal(out, "results", 7);
	atomic_store(&attached.status->ready, 1);
	assert_int_equal(atomic_load(&created.status->ready), 1);
	vg_sandbox_shm_close(&attached);
	vg_sandbox_shm_close(&created);
}

static void
test_region_attach_rejects_bad_header(void **state)
{
	struct vg_sandbox_shm created;
	struct vg_sandbox_shm attached;
	struct vg_sandbox_shm_header *hdr;

	(void)state;
	assert_int_equal(vg_sandbox_shm_create(&created, 1, 4096, 4096), 0);
	hdr = created.base;
	hdr->magic ^= 1;
	assert_int_equal(vg_sandbox_shm_attach(&attached, created.fd),
			 -EBADMSG);
	hdr->magic ^= 1;
	hdr->ring_offset[1] = created.len; /* past the end */
	assert_int_equal(vg_sandbox_shm_attach(&attached, created.fd),
			 -EBADMSG);
	vg_sandbox_shm_close(&created);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_init_rejects_bad_sizes),
		cmocka_unit_test(test_ring_put_get_roundtrip),
		cmocka_unit_test(test_ring_zero_length_message),
		cmocka_unit_test(test_ring_wraps_around),
		cmocka_unit_test(test_ring_full_drops_and_counts),
		cmocka_unit_test(test_ring_oversize_rejected),
		cmocka_unit_test(test_ring_small_buffer_keeps_message),
		cmocka_unit_test(test_ring_corrupt_positions_rejected),
		cmocka_unit_test(test_ring_wake_handshake_eventfd),
		cmocka_unit_test(test_ring_two_processes_in_order),
		cmocka_unit_test(test_region_attach_sees_rings),
		cmocka_unit_test(test_region_attach_rejects_bad_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
