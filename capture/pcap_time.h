/*
 * Packet times of capture files.
 *
 * The pcap format stores a record's seconds as an unsigned 32-bit count,
 * which runs to February 2106. libpcap reads that field as a signed
 * 32-bit number. net_pcap therefore stamps a record from 2038 on, or a
 * damaged one such as 0xffffffff, with a time before 1970, which as an
 * unsigned count of microseconds is almost 2^64. vigil turns such a stamp
 * back into the unsigned seconds the file holds.
 */
#ifndef VG_PCAP_TIME_H
#define VG_PCAP_TIME_H

#include <stdint.h>

#define VG_US_PER_S 1000000

/*
 * Returns the time in microseconds since the epoch of a net_pcap stamp
 * <stamp_us>, taking a negative stamp as seconds that libpcap read as a
 * signed 32-bit number.
 */
static inline uint64_t
vg_pcap_time_us(uint64_t stamp_us)
{
	int64_t signed_us = (int64_t)stamp_us;
	int64_t sec;
	int64_t usec;

	if (signed_us >= 0)
		return stamp_us;
	sec = signed_us / VG_US_PER_S;
	usec = signed_us % VG_US_PER_S;
	if (usec < 0) {
		usec += VG_US_PER_S;
		sec -= 1;
	}
	/* A stamp below -2^31 s did not come from a 32-bit field. */
	if (sec < INT32_MIN)
		return 0;
	return ((uint64_t)(sec + ((int64_t)1 << 32))) * VG_US_PER_S +
	       (uint64_t)usec;
}

#endif /* VG_PCAP_TIME_H */
