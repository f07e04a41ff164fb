/*
 * Flow queries over engine tables: the top-k selection against a full
 * sort, filters, paging bounds, lookups by id, and reads racing a writer
 * that recycles slots.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/flow_query.h"

#define FLOWS 3000

static struct vg_flow_key
key_of(uint32_t n, uint8_t l4, uint16_t vlan, uint16_t port)
{
	struct vg_flow_key key;

	memset(&key, 0, sizeof(key));
	key.lo_addr[0] = 10;
	key.lo_addr[1] = (uint8_t)(n >> 16);
	key.lo_addr[2] = (uint8_t)(n >> 8);
	key.lo_addr[3] = (uint8_t)n;
	key.hi_addr[0] = 192;
	key.hi_addr[3] = 1;
	key.lo_port = (uint16_t)(1024 + n % 50000);
	key.hi_port = port;
	key.vlan = vlan;
	key.l4_proto = l4;
	key.ip_version = 4;
	return key;
}

/* Two engines with FLOWS flows spread over them, bytes pseudo-random. */
static void
fill(struct vg_engine *engines, uint64_t *bytes_of)
{
	uint32_t n;

	for (n = 0; n < FLOWS; n++) {
		struct vg_engine *e = &engines[n % 2];
		struct vg_flow_key key = key_of(n, n % 3 ? 17 : 6,
						n % 5 == 0 ? 100 : 0,
						(uint16_t)(5000 + n % 4));
		struct vg_flow *flow = vg_flow_table_insert(e->table, &key, n);

		assert_non_null(flow);
		flow->bytes[0] = (n * 2654435761u) % 1000; /* many ties */
		flow->packets[0] = n;
		flow->first_us = 1000000 + n;
		flow->last_us = flow->first_us;
		bytes_of[n] = flow->bytes[0];
	}
}

static int
setup(void **state)
{
	struct vg_engine *engines = calloc(2, sizeof(*engines));

	engines[0].index = 0;
	engines[1].index = 1;
	engines[0].table = vg_flow_table_create(FLOWS);
	engines[1].table = vg_flow_table_create(FLOWS);
	*state = engines;
	return 0;
}

static int
teardown(void **state)
{
	struct vg_engine *engines = *state;

	vg_flow_table_free(engines[0].table);
	vg_flow_table_free(engines[1].table);
	free(engines);
	return 0;
}

struct ranked {
	uint64_t bytes;
	uint64_t id;
};

static int
by_bytes_desc(const void *a, const void *b)
{
	const struct ranked *x = a;
	const struct ranked *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void
test_topk_matches_full_sort(void **state)
{
	struct vg_engine *engines = *state;
	struct vg_engine *list[2] = { &engines[0], &engines[1] };
	static uint64_t bytes_of[FLOWS];
	static struct ranked all[FLOWS];
	static const uint32_t offsets[] = { 0, 1, 99, 2950, 2999, 3000 };
	struct vg_flow_filter none = { 0 };
	unsigned int e;
	uint32_t i;
	size_t k = 0;

	fill(engines, bytes_of);
	for (e = 0; e < 2; e++) {
		for (i = 0; i < FLOWS; i++) {
			const struct vg_flow *f = &engines[e].table->slots[i];

			if (!(f->flags & VG_FLOW_IN_USE))
				continue;
			all[k].bytes = f->bytes[0];
			all[k].id = vg_flow_id(e, i, f->generation);
			k++;
		}
	}
	assert_int_equal(k, FLOWS);
	qsort(all, k, sizeof(all[0]), by_bytes_desc);

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct vg_query_page page = { .offset = offsets[i],
					      .limit = 100 };
		struct vg_flow_result r;
		uint32_t j;

		assert_int_equal(vg_flow_query(list, 2, &none,
					       VG_FLOW_SORT_BYTES, &page, &r),
				 0);
		assert_int_equal(r.total, FLOWS);
		assert_int_equal(r.count, offsets[i] + 100 <= FLOWS ?
						  100 :
						  FLOWS - offsets[i]);
		for (j = 0; j < r.count; j++)
			assert_int_equal(r.hits[j].id, all[offsets[i] + j].id);
		free(r.hits);
	}
}

static void
test_ascending_first_seen_order(void **state)
{
	struct vg_engine *engines = *state;
	struct vg_engine *list[2] = { &engines[0], &engines[1] };
	static uint64_t bytes_of[FLOWS];
	struct vg_flow_filter none = { 0 };
	struct vg_query_page page = { .limit = 1000, .ascending = true };
	struct vg_flow_result r;
	uint32_t j;

	fill(engines, bytes_of);
	assert_int_equal(vg_flow_query(list, 2, &none, VG_FLOW_SORT_FIRST_SEEN,
				       &page, &r),
			 0);
	assert_int_equal(r.count, 1000);
	for (j = 0; j < r.count; j++)
		assert_int_equal(r.hits[j].flow.first_us, 1000000 + j);
	free(r.hits);
}

static uint64_t
count_matching(struct vg_engine **list, const struct vg_flow_filter *f)
{
	struct vg_query_page page = { .limit = 1 };
	struct vg_flow_result r;

	assert_int_equal(vg_flow_query(list, 2, f, VG_FLOW_SORT_BYTES, &page,
				       &r),
			 0);
	free(r.hits);
	return r.total;
}

static void
test_filters_count(void **state)
{
	struct vg_engine *engines = *state;
	struct vg_engine *list[2] = { &engines[0], &engines[1] };
	static uint64_t bytes_of[FLOWS];
	struct vg_flow_filter f;
	uint64_t tcp = 0;
	uint64_t vlan = 0;
	uint64_t port = 0;
	uint32_t n;

	fill(engines, bytes_of);
	for (n = 0; n < FLOWS; n++) {
		tcp += n % 3 == 0;
		vlan += n % 5 == 0;
		port += n % 4 == 1;
	}
	memset(&f, 0, sizeof(f));
	f.set = VG_FF_L4;
	f.l4_proto = 6;
	assert_int_equal(count_matching(list, &f), tcp);

	memset(&f, 0, sizeof(f));
	f.set = VG_FF_VLAN;
	f.vlan = 100;
	assert_int_equal(count_matching(list, &f), vlan);

	memset(&f, 0, sizeof(f));
	f.set = VG_FF_PORT;
	f.port = 5001;
	assert_int_equal(count_matching(list, &f), port);

	memset(&f, 0, sizeof(f));
	f.set = VG_FF_HOST;
	f.host_version = 4;
	f.host[0] = 10;
	f.host[3] = 7; /* 10.0.0.7 is flow 7 */
	assert_int_equal(count_matching(list, &f), 1);

	memset(&f, 0, sizeof(f));
	f.set = VG_FF_HOST;
	f.host_version = 4;
	f.host[0] = 192;
	f.host[3] = 1;
	assert_int_equal(count_matching(list, &f), FLOWS);
}

/*
 * The l7 filter matches the two parts of the name nDPI prints. The ids
 * are arbitrary: the query compares numbers and never calls nDPI.
 */
static void
test_l7_filter_matches_printed_name(void **state)
{
	enum { UNKNOWN = 0, DNS = 5, HTTP = 7, TLS = 91, GOOGLE = 126 };
	static const uint16_t pairs[][2] = {
		{ UNKNOWN, HTTP },     /* printed "HTTP" */
		{ TLS, GOOGLE },       /* "TLS.Google" */
		{ DNS, UNKNOWN },      /* "DNS" */
		{ HTTP, HTTP },        /* "HTTP" */
		{ UNKNOWN, UNKNOWN },  /* "Unknown" */
	};
	static const struct {
		uint16_t l7;
		uint64_t count;
	} want[] = {
		{ UNKNOWN, 1 }, { HTTP, 2 }, { TLS, 1 }, { GOOGLE, 1 },
		{ DNS, 1 },
	};
	struct vg_engine *engines = *state;
	struct vg_engine *list[2] = { &engines[0], &engines[1] };
	struct vg_flow_filter f;
	uint32_t n;

	for (n = 0; n < sizeof(pairs) / sizeof(pairs[0]); n++) {
		struct vg_flow_key key = key_of(n, 6, 0, 80);
		struct vg_flow *flow = vg_flow_table_insert(engines[0].table,
							    &key, n);

		assert_non_null(flow);
		flow->master_proto = pairs[n][0];
		flow->app_proto = pairs[n][1];
	}
	for (n = 0; n < sizeof(want) / sizeof(want[0]); n++) {
		memset(&f, 0, sizeof(f));
		f.set = VG_FF_L7;
		f.l7 = want[n].l7;
		if (count_matching(list, &f) != want[n].count)
			fail_msg("l7=%u: %llu flows, expected %llu", want[n].l7,
				 (unsigned long long)count_matching(list, &f),
				 (unsigned long long)want[n].count);
	}
}

static void
test_page_out_of_bounds(void **state)
{
	struct vg_engine *engines = *state;
	struct vg_engine *list[2] = { &engines[0], &engines[1] };
	struct vg_flow_filter none = { 0 };
	struct vg_query_page zero = { .limit = 0 };
	struct vg_query_page big = { .limit = 10001 };
	struct vg_query_page deep = { .offset = 9901, .limit = 100 };
	struct vg_query_page whole = { .limit = 10000 };
	static uint64_t bytes_of[FLOWS];
	struct vg_flow_result r;

	assert_int_equal(vg_flow_query(list, 2, &none, VG_FLOW_SORT_BYTES,
				       &zero, &r),
			 -EINVAL);
	assert_int_equal(vg_flow_query(list, 2, &none, VG_FLOW_SORT_BYTES,
				       &big, &r),
			 -EINVAL);
	assert_int_equal(vg_flow_query(list, 2, &none, VG_FLOW_SORT_BYTES,
				       &deep, &r),
			 -EINVAL);
	/* The API's scans ask for every rank a cached result may serve. */
	fill(engines, bytes_of);
	assert_int_equal(vg_flow_query(list, 2, &none, VG_FLOW_SORT_BYTES,
				       &whole, &r),
			 0);
	assert_int_equal(r.count, FLOWS);
	free(r.hits);
}

static void
test_find_rejects_stale_id(void **state)
{
	struct vg_engine *engines = *state;
	struct vg_engine *list[2] = { &engines[0], &engines[1] };
	struct vg_flow_key key = key_of(1, 17, 0, 53);
	struct vg_flow_hit hit;
	struct vg_flow *flow;
	uint64_t old_id;
	uint64_t new_id;

	flow = vg_flow_table_insert(engines[1].table, &key, 1);
	old_id = vg_flow_id(1, vg_flow_table_slot(engines[1].table, flow),
			    flow->generation);
	assert_int_equal(vg_flow_find(list, 2, old_id, &hit), 0);
	assert_int_equal(hit.flow.key.hi_port, 53);

	vg_flow_table_pop_head(engines[1].table, 1);
	assert_int_equal(vg_flow_find(list, 2, old_id, &hit), -ENOENT);
	flow = vg_flow_table_insert(engines[1].table, &key, 1);
	new_id = vg_flow_id(1, vg_flow_table_slot(engines[1].table, flow),
			    flow->generation);
	assert_int_not_equal(new_id, old_id);
	assert_int_equal(vg_flow_find(list, 2, old_id, &hit), -ENOENT);
	assert_int_equal(vg_flow_find(list, 2, new_id, &hit), 0);
	assert_int_equal(vg_flow_find(list, 2, (uint64_t)7 << 56, &hit),
			 -ENOENT);
}

/*
 * A writer that ends and starts flows as fast as it can, stamping each
 * flow's key with its sequence number n and, after the flow is published,
 * packets[0] with n as well. A reader that mixed two flows would see a
 * key and a packets[0] that disagree.
 */
struct race {
	struct vg_flow_table *table;
	volatile int stop;
	uint64_t started;
};

static void *
churn(void *arg)
{
	struct race *race = arg;
	uint32_t n = 1;

	while (!race->stop) {
		struct vg_flow_key key = key_of(n, 17, 0, 9);
		struct vg_flow *flow;

		if (race->table->count == race->table->capacity)
			vg_flow_table_pop_head(race->table, 1);
		flow = vg_flow_table_insert(race->table, &key, n);
		if (flow != NULL) {
			flow->bytes[0] = n % 977;
			__atomic_store_n(&flow->packets[0], n,
					 __ATOMIC_RELAXED);
		}
		n = n % 0xffffff + 1;
		race->started++;
	}
	return NULL;
}

static void
test_reads_survive_slot_recycling(void **state)
{
	struct vg_engine small = { .index = 0 };
	struct vg_engine *list[1] = { &small };
	struct vg_flow_filter none = { 0 };
	struct vg_query_page page = { .limit = 16 };
	struct race race;
	uint64_t checked = 0;
	pthread_t writer;
	int round;

	/* A small table, so each slot is recycled often during the reads. */
	(void)state;
	small.table = vg_flow_table_create(16);
	memset(&race, 0, sizeof(race));
	race.table = small.table;
	assert_int_equal(pthread_create(&writer, NULL, churn, &race), 0);
	for (round = 0; round < 200000; round++) {
		struct vg_flow_result r;
		uint32_t j;

		assert_int_equal(vg_flow_query(list, 1, &none,
					       VG_FLOW_SORT_BYTES, &page, &r),
				 0);
		for (j = 0; j < r.count; j++) {
			const struct vg_flow *f = &r.hits[j].flow;
			uint32_t n = (uint32_t)f->packets[0];

			if (n == 0) /* published, counters not yet written */
				continue;
			assert_int_equal(f->key.lo_addr[1], (n >> 16) & 0xff);
			assert_int_equal(f->key.lo_addr[2], (n >> 8) & 0xff);
			assert_int_equal(f->key.lo_addr[3], n & 0xff);
			checked++;
		}
		free(r.hits);
	}
	race.stop = 1;
	pthread_join(writer, NULL);
	print_message("checked %llu flows while the writer started %llu\n",
		      (unsigned long long)checked,
		      (unsigned long long)race.started);
	vg_flow_table_free(small.table);
	assert_true(checked > 0);
	assert_true(race.started > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_topk_matches_full_sort,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ascending_first_seen_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters_count, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_l7_filter_matches_printed_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_out_of_bounds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_find_rejects_stale_id,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reads_survive_slot_recycling, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
