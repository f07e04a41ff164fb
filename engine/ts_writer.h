/*
 * The timeseries writer: vigild's queue to vigil-ts-writer, the process
 * that owns every rrd file (ts_wire.h explains why it is a process).
 *
 * rrdtool writes block on the disk: an update reads the file's header and
 * writes a row, and a new file is written whole, a megabyte or more. The
 * control thread that produces points must not wait on that, so the
 * control thread hands each point to a forwarding thread through a bounded
 * single-producer single-consumer queue and goes on: a full queue drops
 * the point and counts it, and the queue's high-water mark is kept so an
 * operator can see how close it came. When the configuration names
 * rrdcached's socket, updates go to rrdcached instead of the files, and
 * rrdcached batches the disk writes; files are still created here.
 *
 * A point carries everything needed to create its file on first use: the
 * data sources with their rrdtool types, the step, and the interval it
 * covers. Files live under the configured directory at the point's
 * relative path. Times are packet times, so an offline capture writes
 * history at capture time; a point not newer than its file's last update
 * is skipped and counted, because rrdtool rejects it anyway.
 */
#ifndef VG_ENGINE_TS_WRITER_H
#define VG_ENGINE_TS_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/ts_fetch.h"

#define VG_TS_DS_MAX 32
#define VG_TS_DS_NAME_LEN 20 /* rrdtool takes 1..19 of A-Za-z0-9_ */
#define VG_TS_PATH_MAX 1024  /* a point's path relative to the directory */

/* rrdtool data source types, as vigil uses them. */
enum vg_ts_type {
	VG_TS_GAUGE = 0, /* a level, stored as given */
	VG_TS_ABSOLUTE,  /* a count over the point's interval, stored as a rate */
	VG_TS_DERIVE,    /* a running counter; a decrease (a restart) reads as
			    unknown, never as a spike */
};

struct vg_ts_ds {
	char name[VG_TS_DS_NAME_LEN];
	uint8_t type; /* enum vg_ts_type */
};

/*
 * One update of one rrd file. <time> is the end of the interval the values
 * describe, in Unix seconds; the interval is <interval> seconds long. NaN
 * in <values> is an unknown value.
 */
struct vg_ts_point {
	uint64_t time;
	uint32_t interval;
	uint32_t step;        /* rrd step, used when the file is created */
	/*
	 * A gap before this point, after the file's last update, reads 0
	 * when that update is at or after <zero_after>, because the series
	 * was kept then and had no activity. Otherwise the gap reads
	 * unknown, because nothing was watching. 0: every gap reads unknown.
	 */
	uint64_t zero_after;
	/*
	 * Seconds of the interval, from its start, that were watched, when
	 * vigild stopped inside it; 0 when the whole interval was watched.
	 */
	uint32_t watched;
	/*
	 * Seconds at the start of the interval that were not watched, because
	 * a live run began inside it; 0 when it was watched from its start.
	 */
	uint32_t watched_from;
	uint16_t n;           /* data sources, 1..VG_TS_DS_MAX */
	struct vg_ts_ds *ds;  /* in this allocation */
	double *values;       /* in this allocation */
	char path[];          /* relative, such as "host/10.0.0.1@0/traffic.rrd" */
};

struct vg_ts_writer_stats {
	uint64_t points_queued;
	uint64_t points_dropped;   /* the queue was full */
	uint64_t queue_high_water; /* most points ever waiting at once */
	uint64_t queue_size;
	uint64_t updates;          /* points written */
	uint64_t update_errors;    /* rrdtool or rrdcached refused an update */
	uint64_t skipped_old;      /* not newer than the file's last update */
	uint64_t files_created;
	uint64_t create_errors;
	uint64_t files_failed;
	uint64_t ds_unknown;       /* values for a data source the file lacks */
	uint64_t points_lost;      /* sent to a writer process that died */
	uint64_t restarts;         /* of the writer process */
};

struct vg_ts_writer;

/*
 * Allocates a point for <n> data sources at <path> (relative, at most
 * VG_TS_PATH_MAX - 1 bytes, no ".." component), values set to unknown.
 * Returns NULL when out of memory or when <n> or <path> is invalid.
 */
struct vg_ts_point *
vg_ts_point_new(const char *path, unsigned int n);

void
vg_ts_point_free(struct vg_ts_point *point);

#define VG_TS_QUEUE_MIN 262144u
#define VG_TS_QUEUE_MAX (1u << 24)

/*
 * Returns the writer queue's size in points: timeseries.queue_size, or
 * without it eight points per host series allowed, at least
 * VG_TS_QUEUE_MIN and at most VG_TS_QUEUE_MAX.
 */
uint64_t
vg_ts_queue_size(const struct vg_config *cfg);

/*
 * Starts the writer process for cfg->ts_directory (created when missing),
 * connected to cfg->ts_rrdcached when set, and the thread that forwards
 * points to it. Returns NULL with a message in <err> when the directory
 * cannot be created, the program is missing, rrdcached cannot be reached,
 * or memory or a thread is short.
 */
struct vg_ts_writer *
vg_ts_writer_start(const struct vg_config *cfg, char *err, size_t err_len);

/*
 * Hands <point> to the writer; ownership passes in every case. Returns 0,
 * or -ENOBUFS when the queue was full (the point is freed and counted).
 * Single producer: call from one thread only. It does not wait for the
 * forwarding thread; its only system call is an eventfd write() when the
 * writer sleeps.
 */
int
vg_ts_writer_put(struct vg_ts_writer *w, struct vg_ts_point *point);

/*
 * Waits until every point handed over so far has been written or
 * refused. For tests and for an orderly stop; not for the control loop.
 */
void
vg_ts_writer_sync(struct vg_ts_writer *w);

/*
 * Writes every queued point, stops the thread and the process, and frees
 * the writer. Logs the final counters, and an error with the first cause
 * when a file could not be created or a point not written. Returns the
 * points that were not written because of an error (update_errors plus
 * points_lost; a full queue's drops are not counted). NULL is ignored:
 * returns 0. Points sent to rrdcached stay there until rrdcached writes
 * them or a reader flushes the file.
 */
uint64_t
vg_ts_writer_stop(struct vg_ts_writer *w);

/*
 * Runs the writer process from <path> instead of vigil-ts-writer beside
 * the running program; NULL restores that. For tests, whose programs are
 * elsewhere. Call before vg_ts_writer_start().
 */
void
vg_ts_writer_set_program(const char *path);

/*
 * Finds the writer program vg_ts_writer_start() runs: the one set by
 * vg_ts_writer_set_program(), else vigil-ts-writer in the folder of the
 * running program, which must be executable. Fills <path> and returns 0,
 * or returns -1 with the reason and the fix in <err>.
 */
int
vg_ts_writer_find_program(char *path, size_t path_len, char *err,
			  size_t err_len);

/*
 * Returns the 64-bit FNV-1a hash of <name>, for the writer's file table
 * and the series' host set.
 */
uint64_t
vg_ts_hash_name(const char *name);

/* Copies the counters; callable from the producer while the thread runs. */
void
vg_ts_writer_get_stats(const struct vg_ts_writer *w,
		       struct vg_ts_writer_stats *stats);

/*
 * Makes a valid rrdtool data source name of <name>: kept when it is 1..19
 * of A-Za-z0-9_, otherwise other bytes become '_' and a longer name is cut
 * to 13 bytes plus '_' and a 5-digit hash of the whole name, so two long
 * names that share a beginning still differ.
 */
void
vg_ts_ds_name(const char *name, char out[VG_TS_DS_NAME_LEN]);

#endif
