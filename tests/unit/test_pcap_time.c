/*
 * Unit tests for vg_pcap_time_us(). Each case starts from the unsigned
 * 32-bit seconds field of a pcap record, makes the stamp net_pcap gives
 * after libpcap's signed read, and expects the field's own time back,
 * written out as a literal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "capture/pcap_time.h"

/* Returns the stamp net_pcap gives a record of <field_sec> and <usec>. */
static uint64_t
stamp_of(uint32_t field_sec, uint32_t usec)
{
	int64_t sec = (int32_t)field_sec;

	return (uint64_t)(sec * 1000000 + (int64_t)usec);
}

static void
test_pcap_time_before_2038(void **state)
{
	(void)state;
	assert_int_equal(vg_pcap_time_us(stamp_of(0, 0)), 0);
	assert_int_equal(vg_pcap_time_us(stamp_of(1700000100u, 250)),
			 1700000100000250ull);
	assert_int_equal(vg_pcap_time_us(stamp_of(0x7fffffffu, 5)),
			 2147483647000005ull);
}

static void
test_pcap_time_from_2038(void **state)
{
	(void)state;
	assert_int_equal(vg_pcap_time_us(stamp_of(0x80000000u, 1)),
			 2147483648000001ull);
	assert_int_equal(vg_pcap_time_us(stamp_of(0xffffffffu, 0)),
			 4294967295000000ull);
	assert_int_equal(vg_pcap_time_us(stamp_of(0xffffffffu, 999999)),
			 4294967295999999ull);
}

static void
test_pcap_time_out_of_range(void **state)
{
	/* One second before the least a signed 32-bit field can hold. */
	int64_t below = (INT64_C(-2147483648) - 1) * 1000000;

	(void)state;
	assert_int_equal(vg_pcap_time_us((uint64_t)below), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_time_before_2038),
		cmocka_unit_test(test_pcap_time_from_2038),
		cmocka_unit_test(test_pcap_time_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
