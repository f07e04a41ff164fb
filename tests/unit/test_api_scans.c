/*
 * The API's scan cache and scan budget, driven by the test's own clock.
 * Covers reuse within the window and not after it, keys and ranks that do
 * not match, joins of waiting scans, the budget's schedule, rejections,
 * and the caps on scans and rows.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/api_scans.h"

#define MS 1000ull   /* microseconds */
#define S 1000000ull

static struct vg_scan_key
flow_key(enum vg_flow_sort sort, uint16_t port)
{
	struct vg_scan_key key;

	vg_scan_key_init(&key, VG_SCAN_FLOWS);
	key.sort = sort;
	if (port != 0) {
		key.flow.set = VG_FF_PORT;
		key.flow.port = port;
	}
	return key;
}

static void
drop_all(struct vg_scans *s)
{
	while (s->list != NULL)
		vg_scans_remove(s, s->list);
	assert_int_equal(s->count, 0);
	assert_int_equal(s->rows, 0);
}

/* Adds a scan of <key> at <now>, runs it at once and finishes it. */
static struct vg_scan *
scan_now(struct vg_scans *s, const struct vg_scan_key *key, uint32_t rank,
	 uint64_t now)
{
	int err = 0;
	struct vg_scan *scan = vg_scans_add(s, key, rank, 1, now, &err);

	assert_non_null(scan);
	assert_int_equal(err, 0);
	assert_ptr_equal(vg_scans_next_ready(s, now), scan);
	vg_scans_started(s, scan, now);
	vg_scans_done(s, scan, 0);
	return scan;
}

static void
test_cache_reuses_within_window(void **state)
{
	struct vg_scan_key a = flow_key(VG_FLOW_SORT_BYTES, 0);
	struct vg_scans s;
	struct vg_scan *scan;

	(void)state;
	vg_scans_init(&s, 1000, 1ull << 30);
	scan = scan_now(&s, &a, 100, 10 * S);
	assert_ptr_equal(vg_scans_find(&s, &a, 100, 10 * S), scan);
	assert_ptr_equal(vg_scans_find(&s, &a, 100, 10 * S + 999 * MS), scan);
	/* A smaller page, or a later page within the rank, reuses it too. */
	assert_ptr_equal(vg_scans_find(&s, &a, 50, 10 * S + 500 * MS), scan);
	assert_int_equal(s.counters.scans, 1);
	drop_all(&s);
}

static void
test_cache_expires_after_window(void **state)
{
	struct vg_scan_key a = flow_key(VG_FLOW_SORT_BYTES, 0);
	struct vg_scans s;

	(void)state;
	vg_scans_init(&s, 1000, 1ull << 30);
	scan_now(&s, &a, 100, 10 * S);
	assert_null(vg_scans_find(&s, &a, 100, 11 * S));
	assert_int_equal(s.count, 1);
	vg_scans_expire(&s, 11 * S);
	assert_int_equal(s.count, 0);
	assert_null(s.list);
	assert_int_equal(s.rows, 0);
}

static void
test_cache_window_zero_never_reuses(void **state)
{
	struct vg_scan_key a = flow_key(VG_FLOW_SORT_BYTES, 0);
	struct vg_scans s;

	(void)state;
	vg_scans_init(&s, 0, 1ull << 30);
	scan_now(&s, &a, 100, 10 * S);
	assert_null(vg_scans_find(&s, &a, 100, 10 * S));
	drop_all(&s);
}

static void
test_cache_needs_same_key_and_rank(void **state)
{
	struct vg_scan_key a = flow_key(VG_FLOW_SORT_BYTES, 0);
	struct vg_scan_key packets = flow_key(VG_FLOW_SORT_PACKETS, 0);
	struct vg_scan_key port = flow_key(VG_FLOW_SORT_BYTES, 443);
	struct vg_scan_key asc = a;
	struct vg_scan_key hosts;
	struct vg_scans s;

	(void)state;
	asc.ascending = 1;
	vg_scan_key_init(&hosts, VG_SCAN_HOSTS);
	vg_scans_init(&s, 1000, 1ull << 30);
	scan_now(&s, &a, 100, 10 * S);
	assert_null(vg_scans_find(&s, &a, 101, 10 * S));
	assert_null(vg_scans_find(&s, &packets, 100, 10 * S));
	assert_null(vg_scans_find(&s, &port, 100, 10 * S));
	assert_null(vg_scans_find(&s, &asc, 100, 10 * S));
	assert_null(vg_scans_find(&s, &hosts, 100, 10 * S));
	drop_all(&s);
}

static void
test_cache_skips_failed_scan(void **state)
{
	struct vg_scan_key a = flow_key(VG_FLOW_SORT_BYTES, 0);
	struct vg_scans s;
	struct vg_scan *scan;
	int err = 0;

	(void)state;
	vg_scans_init(&s, 1000, 1ull << 30);
	scan = vg_scans_add(&s, &a, 100, 1, 10 * S, &err);
	assert_non_null(scan);
	vg_scans_started(&s, scan, 10 * S);
	vg_scans_done(&s, scan, -ENOMEM);
	assert_null(vg_scans_find(&s, &a, 100, 10 * S));
	vg_scans_expire(&s, 10 * S);
	assert_int_equal(s.count, 0);
}

static void
test_waiting_scan_is_joined(void **state)
{
	struct vg_scan_key a = flow_key(VG_FLOW_SORT_BYTES, 0);
	struct vg_scans s;
	struct vg_scan *scan;
	int err = 0;

	(void)state;
	/* Window 0: only scans still waiting or running are shared. */
	vg_scans_init(&s, 0, 1ull << 30);
	scan = vg_scans_add(&s, &a, 100, 1, 10 * S, &err);
	assert_non_null(scan);
	scan->users = 1;
	assert_ptr_equal(vg_scans_find(&s, &a, 100, 20 * S), scan);
	vg_scans_started(&s, scan, 20 * S);
	assert_ptr_equal(vg_scans_find(&s, &a, 100, 20 * S), scan);
	/* Expiry leaves scans alone while requests wait for them. */
	vg_scans_done(&s, scan, 0);
	vg_scans_expire(&s, 30 * S);
	assert_int_equal(s.count, 1);
	scan->users = 0;
	vg_scans_expire(&s, 30 * S);
	assert_int_equal(s.count, 0);
}

/*
 * Every scan costs 0.4 s of budget. A burst of one second lets the first
 * three start at once. The others follow 0.4 s apart up to a wait of 5 s,
 * and the next one is rejected.
 */
static void
test_budget_delays_then_rejects(void **state)
{
	const uint64_t rate = 1000000;
	const uint64_t cost = 400000;
	const uint64_t t0 = 100 * S;
	struct vg_scan *scans[16];
	struct vg_scans s;
	uint64_t at = 0;
	unsigned int k;
	int err = 0;

	(void)state;
	vg_scans_init(&s, 1000, rate);
	for (k = 0; k < 16; k++) {
		struct vg_scan_key key = flow_key(VG_FLOW_SORT_BYTES,
						  (uint16_t)(k + 1));
		uint64_t expected = 400 * MS * k > S ? 400 * MS * k - S : 0;

		scans[k] = vg_scans_add(&s, &key, 100, cost, t0, &err);
		assert_non_null(scans[k]);
		assert_int_equal(scans[k]->start_us, t0 + expected);
	}
	assert_int_equal(scans[15]->start_us, t0 + 5 * S);
	{
		struct vg_scan_key key = flow_key(VG_FLOW_SORT_BYTES, 17);

		assert_null(vg_scans_add(&s, &key, 100, cost, t0, &err));
		assert_int_equal(err, -EBUSY);
		assert_int_equal(s.counters.rejected, 1);
	}

	/* They start in order, each at its time. */
	assert_ptr_equal(vg_scans_next_ready(&s, t0), scans[0]);
	for (k = 0; k < 3; k++) {
		assert_ptr_equal(vg_scans_next_ready(&s, t0), scans[k]);
		vg_scans_started(&s, scans[k], t0);
	}
	assert_null(vg_scans_next_ready(&s, t0));
	assert_true(vg_scans_next_start(&s, &at));
	assert_int_equal(at, t0 + 200 * MS);
	assert_null(vg_scans_next_ready(&s, t0 + 199 * MS));
	assert_ptr_equal(vg_scans_next_ready(&s, t0 + 200 * MS), scans[3]);
	vg_scans_started(&s, scans[3], t0 + 200 * MS);
	assert_int_equal(s.counters.scans, 4);
	assert_int_equal(s.counters.delayed, 1);
	assert_int_equal(s.counters.wait_ms, 200);
	assert_int_equal(scans[3]->start_us, t0 + 200 * MS);
	drop_all(&s);
}

static void
test_budget_refills_when_idle(void **state)
{
	struct vg_scan_key a = flow_key(VG_FLOW_SORT_BYTES, 1);
	struct vg_scan_key b = flow_key(VG_FLOW_SORT_BYTES, 2);
	struct vg_scan_key c = flow_key(VG_FLOW_SORT_BYTES, 3);
	struct vg_scans s;
	struct vg_scan *scan;
	int err = 0;

	(void)state;
	/* Each scan costs 2 s of budget, more than the burst. */
	vg_scans_init(&s, 1000, 1000);
	scan = vg_scans_add(&s, &a, 10, 2000, 10 * S, &err);
	assert_int_equal(scan->start_us, 10 * S);
	scan = vg_scans_add(&s, &b, 10, 2000, 10 * S, &err);
	assert_int_equal(scan->start_us, 11 * S);
	/* The reservations end at 14 s, so from 13 s on a scan starts at once. */
	scan = vg_scans_add(&s, &c, 10, 2000, 13 * S, &err);
	assert_int_equal(scan->start_us, 13 * S);
	drop_all(&s);
}

static void
test_scan_count_capped(void **state)
{
	struct vg_scan *first = NULL;
	struct vg_scans s;
	unsigned int k;
	int err = 0;

	(void)state;
	vg_scans_init(&s, 1000, 1ull << 40);
	for (k = 0; k < VG_SCANS_MAX; k++) {
		struct vg_scan_key key = flow_key(VG_FLOW_SORT_BYTES,
						  (uint16_t)(k + 1));
		struct vg_scan *scan = vg_scans_add(&s, &key, 10, 0, S, &err);

		assert_non_null(scan);
		if (first == NULL)
			first = scan;
	}
	{
		struct vg_scan_key key = flow_key(VG_FLOW_SORT_PACKETS, 0);

		assert_null(vg_scans_add(&s, &key, 10, 0, S, &err));
		assert_int_equal(err, -EBUSY);
		/* A finished scan that no request waits for makes room. */
		vg_scans_started(&s, first, S);
		vg_scans_done(&s, first, 0);
		assert_non_null(vg_scans_add(&s, &key, 10, 0, S, &err));
		assert_int_equal(s.count, VG_SCANS_MAX);
	}
	drop_all(&s);
}

static void
test_rows_capped(void **state)
{
	struct vg_scan_key a = flow_key(VG_FLOW_SORT_BYTES, 1);
	struct vg_scan_key b = flow_key(VG_FLOW_SORT_BYTES, 2);
	struct vg_scans s;
	struct vg_scan *old;
	struct vg_scan *young;
	int err = 0;

	(void)state;
	vg_scans_init(&s, 1000, 1ull << 40);
	old = vg_scans_add(&s, &a, 10000, 0, S, &err);
	vg_scans_started(&s, old, S);
	old->flows.count = 40000;
	vg_scans_done(&s, old, 0);
	young = vg_scans_add(&s, &b, 10000, 0, S + MS, &err);
	vg_scans_started(&s, young, S + MS);
	young->flows.count = 40000;
	vg_scans_done(&s, young, 0);
	assert_int_equal(s.rows, 80000);

	vg_scans_expire(&s, S + 2 * MS);
	assert_int_equal(s.rows, 40000);
	assert_ptr_equal(s.list, young);
	assert_null(young->next);
	vg_scans_remove(&s, young);
	assert_int_equal(s.rows, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_reuses_within_window),
		cmocka_unit_test(test_cache_expires_after_window),
		cmocka_unit_test(test_cache_window_zero_never_reuses),
		cmocka_unit_test(test_cache_needs_same_key_and_rank),
		cmocka_unit_test(test_cache_skips_failed_scan),
		cmocka_unit_test(test_waiting_scan_is_joined),
		cmocka_unit_test(test_budget_delays_then_rejects),
		cmocka_unit_test(test_budget_refills_when_idle),
		cmocka_unit_test(test_scan_count_capped),
		cmocka_unit_test(test_rows_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
