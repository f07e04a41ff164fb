/*
 * The protocol between vigild and its timeseries writer process.
 *
 * librrd maps each rrd file into memory to update it, and unmaps it
 * after. Unmapping a file in vigild made the kernel interrupt every other
 * CPU that ran vigild's threads to flush its TLB: at 100 000 host series
 * a minute the packet lcores took about 4 400 such interrupts a second.
 * So the files are written by a process of their own, vigil-ts-writer,
 * whose memory map no packet lcore shares. vigild keeps the queue and a
 * forwarding thread; the process gets the points over a Unix socket.
 *
 * The socket is SOCK_SEQPACKET, one message each:
 *   1. vigild sends struct vg_ts_wire_config;
 *   2. the process replies with a status byte, 0 when it is ready, and
 *      otherwise a message naming the problem;
 *   3. vigild sends points, each as its vg_ts_point allocation byte for
 *      byte (vg_ts_wire_point_size()); the process fixes the pointers.
 * vigild ends by shutting its side down; the process writes what it has
 * received and exits 0. The counters of the written points live in a
 * shared memory file that both map (struct vg_ts_wire_stats).
 */
#ifndef VG_ENGINE_TS_WIRE_H
#define VG_ENGINE_TS_WIRE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "ts_writer.h"

#define VG_TS_WIRE_SOCKET_FD 3 /* the process's end of the socket */
#define VG_TS_WIRE_STATS_FD 4  /* the shared counters */
#define VG_TS_WIRE_REPLY_MAX 1024

struct vg_ts_wire_config {
	char dir[VG_PATH_MAX];
	char daemon[VG_PATH_MAX]; /* rrdcached address, "" = none */
	struct vg_ts_archive archives[VG_TS_ARCHIVES_MAX];
	uint32_t archive_count;
};

#define VG_TS_WIRE_ERROR_LEN 1024

/* Written by the process, read by vigild. */
struct vg_ts_wire_stats {
	_Atomic uint64_t done;     /* points received and finished */
	_Atomic uint64_t updates;
	_Atomic uint64_t update_errors;
	_Atomic uint64_t skipped_old;
	_Atomic uint64_t files_created;
	_Atomic uint64_t create_errors;
	_Atomic uint64_t files_failed; /* files failed now, waiting for a retry */
	_Atomic uint64_t ds_unknown;
	/* The first create or update error, NUL-terminated; read by vigild
	 * once the process has exited. */
	char first_error[VG_TS_WIRE_ERROR_LEN];
};

/* The largest point message: the longest path and VG_TS_DS_MAX sources. */
#define VG_TS_WIRE_POINT_MAX                                              \
	(((sizeof(struct vg_ts_point) + VG_TS_PATH_MAX + 7) & ~(size_t)7) + \
	 VG_TS_DS_MAX * (sizeof(double) + sizeof(struct vg_ts_ds)))

/* The size of <point>'s allocation, which is its message. */
size_t
vg_ts_wire_point_size(const struct vg_ts_point *point);

/*
 * Checks a received point message of <len> bytes in <buf> (8-byte
 * aligned) and points its ds and values into it. Returns the point, or
 * NULL when the message is not a valid point.
 */
struct vg_ts_point *
vg_ts_wire_point_open(void *buf, size_t len);

/*
 * Creates every missing directory above the file <full>, which it changes
 * and restores. Returns 0 or -errno.
 */
int
vg_ts_make_parents(char *full);

/* The process: main() of vigil-ts-writer. */
int
vg_ts_store_main(int argc, char **argv);

#endif
