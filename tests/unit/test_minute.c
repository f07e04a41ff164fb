/*
 * Unit tests for the minute merger (engine/minute.c): cuts from several
 * engine lcores arriving out of step are summed per minute and delivered
 * in order, only once every lcore's clock has passed the minute; silent
 * minutes are delivered empty; hosts seen by two lcores are merged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/minute.h"

#define MAX_SEEN 64

struct seen {
	uint64_t minute[MAX_SEEN];
	uint64_t bytes[MAX_SEEN];     /* port 0 */
	uint64_t net_in[MAX_SEEN];    /* network 0 */
	uint32_t hosts[MAX_SEEN];
	uint64_t host_sent[MAX_SEEN]; /* 10.0.0.1's bytes_sent */
	unsigned int count;
};

static void
record(void *ctx, const struct vg_minute_merged *m)
{
	struct seen *s = ctx;
	uint32_t i;

	assert_true(s->count < MAX_SEEN);
	s->minute[s->count] = m->minute;
	s->bytes[s->count] = m->ports[0].bytes;
	s->net_in[s->count] = m->nets[0].bytes_in;
	s->hosts[s->count] = m->host_count;
	for (i = 0; i < m->host_count; i++) {
		if (m->hosts[i].addr[3] == 1)
			s->host_sent[s->count] = m->hosts[i].bytes_sent;
	}
	s->count++;
}

/* A cut from <engine> for <minute> with <bytes> on port 0 and <hosts>
 * hosts 10.0.0.1.. each having sent <sent> bytes. */
static struct vg_minute_cut *
cut(unsigned int engine, uint64_t minute, uint64_t next, uint64_t bytes,
    unsigned int hosts, uint64_t sent)
{
	struct vg_minute_cut *c =
		calloc(1, sizeof(*c) + hosts * sizeof(c->hosts[0]));
	unsigned int i;

	assert_non_null(c);
	c->engine = engine;
	c->minute = minute;
	c->next_minute = next;
	c->ports[0].bytes = bytes;
	c->nets[0].bytes_in = bytes / 2;
	c->host_count = hosts;
	for (i = 0; i < hosts; i++) {
		c->hosts[i].ip_version = 4;
		c->hosts[i].addr[0] = 10;
		c->hosts[i].addr[3] = (uint8_t)(i + 1);
		c->hosts[i].bytes_sent = sent;
		c->hosts[i].first_us = minute * 60000000;
		c->hosts[i].last_us = minute * 60000000 + 1;
	}
	return c;
}

static void
test_waits_for_every_engine(void **state)
{
	struct vg_minutes *mins = vg_minutes_create(2);
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(vg_minutes_add_consumer(mins, record, &s), 0);
	/* Engine 0 closes minute 100 and moves to 101: engine 1 has said
	 * nothing, so nothing is final. */
	vg_minutes_add(mins, cut(0, 100, 101, 1000, 1, 10));
	assert_int_equal(s.count, 0);
	/* Engine 1 closes 100 too: minute 100 is the sum of both. */
	vg_minutes_add(mins, cut(1, 100, 101, 500, 2, 7));
	assert_int_equal(s.count, 1);
	assert_int_equal(s.minute[0], 100);
	assert_int_equal(s.bytes[0], 1500);
	assert_int_equal(s.net_in[0], 500 + 250);
	/* 10.0.0.1 from both engines is one host; 10.0.0.2 from engine 1. */
	assert_int_equal(s.hosts[0], 2);
	assert_int_equal(s.host_sent[0], 17);
	assert_int_equal(vg_minutes_last(mins), 100);
	vg_minutes_free(mins);
}

static void
test_out_of_step_and_quiet_minutes(void **state)
{
	struct vg_minutes *mins = vg_minutes_create(2);
	struct seen s = { 0 };

	(void)state;
	vg_minutes_add_consumer(mins, record, &s);
	vg_minutes_add(mins, cut(0, 100, 101, 1, 0, 0));
	vg_minutes_add(mins, cut(1, 100, 101, 2, 0, 0));
	/* Engine 0 runs ahead to 104, skipping 101..103 (no packets). */
	vg_minutes_add(mins, cut(0, 101, 104, 10, 0, 0));
	assert_int_equal(s.count, 1);
	/* Engine 1 reaches 103: minutes 101 and 102 are final. */
	vg_minutes_add(mins, cut(1, 101, 103, 20, 0, 0));
	assert_int_equal(s.count, 3);
	assert_int_equal(s.minute[1], 101);
	assert_int_equal(s.bytes[1], 30);
	assert_int_equal(s.minute[2], 102);
	assert_int_equal(s.bytes[2], 0);
	/* Both done: 103 (quiet) and nothing else. */
	vg_minutes_add(mins, cut(0, 0, VG_MINUTE_DONE, 0, 0, 0));
	vg_minutes_add(mins, cut(1, 103, VG_MINUTE_DONE, 5, 0, 0));
	assert_int_equal(s.count, 4);
	assert_int_equal(s.minute[3], 103);
	assert_int_equal(s.bytes[3], 5);
	vg_minutes_free(mins);
}

static void
test_late_cut_is_dropped(void **state)
{
	struct vg_minutes *mins = vg_minutes_create(1);
	struct seen s = { 0 };

	(void)state;
	vg_minutes_add_consumer(mins, record, &s);
	vg_minutes_add(mins, cut(0, 200, 201, 1, 0, 0));
	vg_minutes_add(mins, cut(0, 201, 202, 2, 0, 0));
	assert_int_equal(s.count, 2);
	/* A cut for a minute already delivered changes nothing. */
	vg_minutes_add(mins, cut(0, 200, 202, 99, 0, 0));
	assert_int_equal(s.count, 2);
	assert_int_equal(s.bytes[0], 1);
	vg_minutes_free(mins);
}

struct span {
	uint64_t first;
	uint64_t last;
	unsigned int count;
};

static void
count_span(void *ctx, const struct vg_minute_merged *m)
{
	struct span *s = ctx;

	if (s->count++ == 0)
		s->first = m->minute;
	s->last = m->minute;
}

static void
test_long_silence_is_capped(void **state)
{
	struct vg_minutes *mins = vg_minutes_create(1);
	struct span s = { 0 };

	(void)state;
	vg_minutes_add_consumer(mins, count_span, &s);
	vg_minutes_add(mins, cut(0, 1000, 1001, 1, 0, 0));
	assert_int_equal(s.count, 1);
	/* Ten days of silence: only the last VG_MINUTE_GAP_MAX minutes
	 * before the clock's minute are delivered, empty. */
	vg_minutes_add(mins, cut(0, 0, 1000 + 14400, 0, 0, 0));
	assert_int_equal(s.count, 1 + VG_MINUTE_GAP_MAX);
	assert_int_equal(s.last, 1000 + 14400 - 1);
	assert_int_equal(vg_minutes_last(mins), 1000 + 14400 - 1);
	vg_minutes_free(mins);
}

static void
test_host_totals(void **state)
{
	struct vg_host_totals t = { 0 };
	struct vg_minute_host h = { 0 };
	const struct vg_host_total *o;
	unsigned int i;

	(void)state;
	h.ip_version = 4;
	h.addr[0] = 192;
	h.bytes_sent = 5;
	h.new_flows_as_client = 1;
	h.flows_as_client = 1;
	h.first_us = 10;
	h.last_us = 20;
	o = vg_host_totals_add(&t, &h, 7);
	assert_int_equal(o->bytes_sent, 5);
	h.bytes_sent = 6;
	h.flows_as_client = 0;
	h.first_us = 30;
	h.last_us = 40;
	o = vg_host_totals_add(&t, &h, 8);
	assert_int_equal(t.count, 1);
	assert_int_equal(o->bytes_sent, 11);
	assert_int_equal(o->total_flows_as_client, 2);
	assert_int_equal(o->flows_as_client, 0); /* a gauge, not summed */
	assert_int_equal(o->first_us, 10);
	assert_int_equal(o->last_us, 40);
	assert_int_equal(o->last_minute, 8);
	/* Growth keeps every host findable. */
	for (i = 0; i < 5000; i++) {
		h.addr[2] = (uint8_t)(i >> 8);
		h.addr[3] = (uint8_t)i;
		h.vlan = (uint16_t)(i % 3);
		vg_host_totals_add(&t, &h, 9);
	}
	for (i = 0; i < 5000; i++) {
		h.addr[2] = (uint8_t)(i >> 8);
		h.addr[3] = (uint8_t)i;
		h.vlan = (uint16_t)(i % 3);
		vg_host_totals_add(&t, &h, 9);
	}
	/* 192.0.0.0 vlan 0 was already there: 5000 hosts, each added twice. */
	assert_int_equal(t.count, 5000);
	for (i = 0; i < t.count; i++) {
		if (t.hosts[i].addr[2] == 0 && t.hosts[i].addr[3] == 0 &&
		    t.hosts[i].vlan == 0)
			assert_int_equal(t.hosts[i].bytes_sent, 11 + 12);
		else
			assert_int_equal(t.hosts[i].bytes_sent, 12);
	}
	vg_host_totals_clear(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waits_for_every_engine),
		cmocka_unit_test(test_out_of_step_and_quiet_minutes),
		cmocka_unit_test(test_late_cut_is_dropped),
		cmocka_unit_test(test_long_silence_is_capped),
		cmocka_unit_test(test_host_totals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
