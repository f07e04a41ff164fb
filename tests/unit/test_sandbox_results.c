/*
 * Unit tests for the ResultBatch builder (sandbox/results.c): what it puts
 * on the ring decodes to exactly what was added, batches are cut by size,
 * and a full ring drops a batch, counts it and reports it in the next one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/results.h"

struct fixture {
	struct vg_shm_ring *shared;
	struct vg_shm_ring_ref ring;
	uint8_t *buf;
};

static void
ring_setup(struct fixture *f, uint32_t size)
{
	f->shared = malloc(vg_shm_ring_footprint(size));
	assert_non_null(f->shared);
	assert_int_equal(vg_shm_ring_init(f->shared, size), 0);
	f->ring.shared = f->shared;
	f->ring.size = size;
	f->buf = malloc(size);
}

static void
ring_teardown(struct fixture *f)
{
	free(f->shared);
	free(f->buf);
}

/* Takes the next batch off the ring; NULL when it is empty. */
static Vigil__V1__ResultBatch *
next_batch(struct fixture *f)
{
	ssize_t n = vg_shm_ring_get(&f->ring, f->buf, f->ring.size);

	assert_true(n >= 0);
	if (n == 0)
		return NULL;
	return vigil__v1__result_batch__unpack(NULL, (size_t)n, f->buf);
}

static void
test_results_roundtrip_every_item(void **state)
{
	const char *tag_keys[] = { "ifname" };
	const char *tag_values[] = { "eth0" };
	const char *metric_names[] = { "packets", "bytes" };
	const double metrics[] = { 100, 64000.5 };
	struct vg_sbx_results *res;
	Vigil__V1__ResultBatch *rb;
	struct fixture f;

	(void)state;
	ring_setup(&f, 65536);
	res = vg_sbx_results_create(&f.ring, -1, 16384);
	assert_int_equal(vg_sbx_results_status(res, 0x0100000200000003ull,
					       "tls_watch", 50, 40, 10, "ex",
					       "watch"), 0);
	assert_int_equal(vg_sbx_results_trigger(
				 res, VIGIL__V1__ENTITY__ENTITY_HOST,
				 "10.0.0.1@0", "upload",
				 VIGIL__V1__SEVERITY__SEVERITY_NOTICE, 20,
				 "{\"a\":1}", "ex", "upload", 1700000060000000ull,
				 0), 0);
	assert_int_equal(vg_sbx_results_release(
				 res, VIGIL__V1__ENTITY__ENTITY_HOST,
				 "10.0.0.2@0", "upload", "ex", "upload", 7), 0);
	assert_int_equal(vg_sbx_results_point(res, "ex:traffic", tag_keys,
					      tag_values, 1, metric_names,
					      metrics, 2, 99, "ex"), 0);
	assert_int_equal(vg_sbx_results_error(res, "ex", "watch", "flowEnd",
					      "boom"), 0);
	vg_sbx_results_count_events(res, 12);
	assert_int_equal(vg_sbx_results_pending(res), 5);
	assert_int_equal(vg_sbx_results_flush(res), 0);
	assert_int_equal(vg_sbx_results_pending(res), 0);

	rb = next_batch(&f);
	assert_non_null(rb);
	assert_int_equal(rb->version, 1);
	assert_int_equal(rb->seq, 1);
	assert_int_equal(rb->events_seen, 12);
	assert_int_equal(rb->n_statuses, 1);
	assert_int_equal(rb->statuses[0]->flow_id, 0x0100000200000003ull);
	assert_string_equal(rb->statuses[0]->status, "tls_watch");
	assert_int_equal(rb->statuses[0]->score, 50);
	assert_int_equal(rb->statuses[0]->client_score, 40);
	assert_int_equal(rb->statuses[0]->server_score, 10);
	assert_string_equal(rb->statuses[0]->plugin, "ex");
	assert_string_equal(rb->statuses[0]->script, "watch");
	assert_int_equal(rb->n_triggers, 1);
	assert_int_equal(rb->triggers[0]->entity,
			 VIGIL__V1__ENTITY__ENTITY_HOST);
	assert_string_equal(rb->triggers[0]->entity_value, "10.0.0.1@0");
	assert_string_equal(rb->triggers[0]->alert_type, "upload");
	assert_int_equal(rb->triggers[0]->severity,
			 VIGIL__V1__SEVERITY__SEVERITY_NOTICE);
	assert_int_equal(rb->triggers[0]->score, 20);
	assert_string_equal(rb->triggers[0]->details_json, "{\"a\":1}");
	assert_int_equal(rb->triggers[0]->time_us, 1700000060000000ull);
	assert_int_equal(rb->n_releases, 1);
	assert_string_equal(rb->releases[0]->entity_value, "10.0.0.2@0");
	assert_int_equal(rb->releases[0]->time_us, 7);
	assert_int_equal(rb->n_points, 1);
	assert_string_equal(rb->points[0]->schema, "ex:traffic");
	assert_int_equal(rb->points[0]->n_tags, 1);
	assert_string_equal(rb->points[0]->tags[0]->key, "ifname");
	assert_string_equal(rb->points[0]->tags[0]->value, "eth0");
	assert_int_equal(rb->points[0]->n_metrics, 2);
	assert_string_equal(rb->points[0]->metrics[1]->key, "bytes");
	assert_true(rb->points[0]->metrics[1]->value == 64000.5);
	assert_int_equal(rb->n_errors, 1);
	assert_string_equal(rb->errors[0]->hook, "flowEnd");
	assert_string_equal(rb->errors[0]->message, "boom");
	vigil__v1__result_batch__free_unpacked(rb, NULL);
	assert_null(next_batch(&f));

	/* Nothing pending: nothing sent. */
	assert_int_equal(vg_sbx_results_flush(res), 0);
	assert_null(next_batch(&f));
	vg_sbx_results_free(res);
	ring_teardown(&f);
}

static void
test_results_split_by_size(void **state)
{
	struct vg_sbx_results_stats stats;
	struct vg_sbx_results *res;
	Vigil__V1__ResultBatch *rb;
	struct fixture f;
	uint64_t flow = 1;
	uint64_t seq = 0;
	int i;

	(void)state;
	ring_setup(&f, 65536);
	res = vg_sbx_results_create(&f.ring, -1, 1024);
	for (i = 0; i < 200; i++)
		assert_int_equal(vg_sbx_results_status(res, (uint64_t)i + 1,
						       "status_key", 1, 0, 0,
						       "plugin_name",
						       "script_name"), 0);
	assert_int_equal(vg_sbx_results_flush(res), 0);
	while ((rb = next_batch(&f)) != NULL) {
		size_t j;

		assert_int_equal(rb->seq, ++seq);
		assert_true(vigil__v1__result_batch__get_packed_size(rb) <
			    2048);
		for (j = 0; j < rb->n_statuses; j++)
			assert_int_equal(rb->statuses[j]->flow_id, flow++);
		vigil__v1__result_batch__free_unpacked(rb, NULL);
	}
	/* Every status, in order, over several messages. */
	assert_int_equal(flow, 201);
	assert_true(seq > 1);
	vg_sbx_results_get_stats(res, &stats);
	assert_int_equal(stats.sent, seq);
	assert_int_equal(stats.items, 200);
	assert_int_equal(stats.dropped, 0);
	vg_sbx_results_free(res);
	ring_teardown(&f);
}

static void
test_results_full_ring_drops_and_reports(void **state)
{
	struct vg_sbx_results_stats stats;
	struct vg_sbx_results *res;
	Vigil__V1__ResultBatch *rb;
	struct fixture f;
	char big[2500];

	(void)state;
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ring_setup(&f, 4096);
	res = vg_sbx_results_create(&f.ring, -1, 1u << 20);
	assert_int_equal(vg_sbx_results_error(res, "p", "s", "h", big), 0);
	assert_int_equal(vg_sbx_results_flush(res), 0);
	/* The first batch still fills most of the ring. */
	assert_int_equal(vg_sbx_results_error(res, "p", "s", "h", big), 0);
	assert_int_equal(vg_sbx_results_flush(res), -ENOSPC);
	assert_int_equal(vg_sbx_results_pending(res), 0);
	assert_int_equal(atomic_load(&f.shared->dropped), 1);

	rb = next_batch(&f);
	assert_non_null(rb);
	assert_int_equal(rb->seq, 1);
	vigil__v1__result_batch__free_unpacked(rb, NULL);

	assert_int_equal(vg_sbx_results_error(res, "p", "s", "h", "small"), 0);
	assert_int_equal(vg_sbx_results_flush(res), 0);
	rb = next_batch(&f);
	assert_non_null(rb);
	/* Seq 2 was the dropped batch: vigild detects the gap. */
	assert_int_equal(rb->seq, 3);
	assert_int_equal(rb->n_errors, 2);
	assert_string_equal(rb->errors[0]->message, "small");
	assert_string_equal(rb->errors[1]->hook, "results");
	assert_string_equal(rb->errors[1]->message,
			    "1 result batches dropped: result ring full");
	vigil__v1__result_batch__free_unpacked(rb, NULL);

	vg_sbx_results_get_stats(res, &stats);
	assert_int_equal(stats.sent, 2);
	assert_int_equal(stats.dropped, 1);
	vg_sbx_results_free(res);
	ring_teardown(&f);
}

static void
test_results_oversize_batch_dropped(void **state)
{
	struct vg_sbx_results *res;
	struct fixture f;
	char *huge = malloc(8192);

	(void)state;
	memset(huge, 'x', 8191);
	huge[8191] = '\0';
	ring_setup(&f, 4096);
	res = vg_sbx_results_create(&f.ring, -1, 1u << 20);
	assert_int_equal(vg_sbx_results_error(res, "p", "s", "h", huge), 0);
	assert_int_equal(vg_sbx_results_flush(res), -EMSGSIZE);
	assert_null(next_batch(&f));
	free(huge);
	vg_sbx_results_free(res);
	ring_teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_roundtrip_every_item),
		cmocka_unit_test(test_results_split_by_size),
		cmocka_unit_test(test_results_full_ring_drops_and_reports),
		cmocka_unit_test(test_results_oversize_batch_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
