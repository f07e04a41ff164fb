/*
 * Reading vigil's timeseries: from a schema and an element to the rrd file
 * that vigild's writer keeps for them, and from the file to points.
 *
 * vigild writes, and vigil-web and `vigild --ts-fetch` read. This part has
 * no DPDK in it, so both can link it. The file layout is the one
 * engine/ts_series.h lists. When rrdcached takes vigild's updates, a read
 * sends rrdcached a flush for the file first, so it sees every point
 * vigild has handed over.
 */
#ifndef VG_TS_FETCH_H
#define VG_TS_FETCH_H

#include <stddef.h>
#include <stdint.h>

#define VG_TS_FETCH_METRICS_MAX 64

/* Points of one consolidation function over one time range. */
struct vg_ts_result {
	char file[4096];          /* the rrd file read */
	char cf[16];              /* "AVERAGE" or "MAX" */
	uint64_t start;           /* rows are at start + step, ... end */
	uint64_t end;
	uint64_t step;            /* seconds between rows */
	unsigned int metric_count;
	char metrics[VG_TS_FETCH_METRICS_MAX][20];
	size_t row_count;
	double *values;           /* row_count x metric_count, NaN unknown */
	char missing_metric[64];  /* first requested metric <file> lacks */
};

/*
 * Writes <text> into <out> as one path component: '/', '%', control bytes
 * and a leading '.' become %XX, and "" becomes "%00". Returns the length,
 * or -ENAMETOOLONG when <out> (<len> bytes) is too small.
 */
int
vg_ts_path_component(const char *text, char *out, size_t len);

/*
 * Finds the file of <schema> for <element> under <dir>:
 *
 *   interface:traffic, interface:flows   element: port name ("all" when
 *                                        several ports share the series)
 *   interface:app, interface:category    element: "PORT/NAME"
 *   host:traffic                         element: "IP@VLAN"
 *   network:traffic                      element: "CIDR"
 *   system:stages, system:sandbox, system:memory, system:timeseries
 *                                        element: ignored
 *   any other name: a plugin schema      element: its tag values in the
 *                                        schema's order, joined by ','
 *
 * Returns 0 with the path in <out>, -ENOENT when no such file exists, or
 * -ENAMETOOLONG.
 */
int
vg_ts_file(const char *dir, const char *schema, const char *element,
	   char *out, size_t len);

/*
 * Reads <cf> ("AVERAGE" or "MAX") from <file> between <start> and <end>
 * (Unix seconds; rrdtool widens the range to whole rows) at <resolution>
 * seconds, or the finest archive covering the range when 0. <metrics>
 * (<n_metrics> names, or NULL for all) selects data sources. <daemon> is
 * rrdcached's address, or NULL. Returns 0 and fills <out> (free it with
 * vg_ts_result_free()), -ENOENT when a metric is not in the file (its
 * name, truncated, is then in out->missing_metric), or -EIO with
 * rrdtool's message in <err>.
 */
int
vg_ts_fetch_file(const char *file, const char *daemon, const char *cf,
		 const char *const *metrics, size_t n_metrics, uint64_t start,
		 uint64_t end, uint32_t resolution, struct vg_ts_result *out,
		 char *err, size_t err_len);

/* vg_ts_file() then vg_ts_fetch_file(); the errors of both. */
int
vg_ts_fetch(const char *dir, const char *daemon, const char *schema,
	    const char *element, const char *cf, const char *const *metrics,
	    size_t n_metrics, uint64_t start, uint64_t end,
	    uint32_t resolution, struct vg_ts_result *out, char *err,
	    size_t err_len);

/* Archives of one file that vg_ts_steps() looks at, at most. */
#define VG_TS_FETCH_ARCHIVES_MAX 32

/*
 * Stores in <steps> the seconds per point of each archive of <cf>
 * ("AVERAGE" or "MAX") in <file>, in increasing order, at most <max> of
 * them, and their number in *count. Returns 0, or -EIO with rrdtool's
 * message in <err>.
 */
int
vg_ts_steps(const char *file, const char *cf, uint32_t *steps, size_t max,
	    size_t *count, char *err, size_t err_len);

/*
 * Stores in *last the time (Unix seconds) of the newest update of <file>,
 * which for vigild's files is the packet time of the newest point. With
 * <daemon> (rrdcached's address, or NULL) the file is flushed first.
 * Returns 0, or -EIO with rrdtool's message in <err>.
 */
int
vg_ts_last_update(const char *file, const char *daemon, uint64_t *last,
		  char *err, size_t err_len);

void
vg_ts_result_free(struct vg_ts_result *result);

/*
 * `vigild --ts-fetch DIR SCHEMA ELEMENT [options]`: prints the points of
 * both consolidation functions as one JSON object. <argv>[0] is
 * "--ts-fetch". Returns the exit status.
 */
int
vg_ts_fetch_main(int argc, char **argv);

#endif
