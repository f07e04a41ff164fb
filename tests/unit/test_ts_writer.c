/*
 * The timeseries writer and series, on synthetic minutes: the values
 * rrdtool stores for a merged minute, the host cap, remote hosts, old
 * points, a full queue, gaps after a restart and inside a run, plugin
 * points with their types, path escaping, data-source names, the
 * timeseries section of the configuration, and reading back through
 * ts_fetch.
 *
 * Each test writes real rrd files in its own temporary directory and
 * reads them back with librrd, so what is asserted is what rrdtool holds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <rrd.h>

#include "common/config.h"
#include "common/ts_fetch.h"
#include "engine/minute.h"
#include "engine/ts_series.h"
#include "engine/ts_wire.h"
#include "engine/ts_writer.h"

#define M0 28333333ull /* a minute in November 2023 */

struct fixture {
	char dir[64];
	struct vg_config cfg;
	struct vg_ts_writer *writer;
	struct vg_ts_series *series;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/vigil-ts-unit-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	vg_config_defaults(&fx->cfg);
	strcpy(fx->cfg.ts_directory, fx->dir);
	fx->cfg.ts_enabled = true;
	/* Small archives keep each file at a few kilobytes. */
	fx->cfg.ts_archives[0] = (struct vg_ts_archive){ 60, 7200 };
	fx->cfg.ts_archives[1] = (struct vg_ts_archive){ 300, 86400 };
	fx->cfg.ts_archive_count = 2;
	fx->cfg.port_count = 1;
	strcpy(fx->cfg.ports[0].name, "eth0");
	fx->cfg.local_net_count = 1;
	fx->cfg.local_nets[0] = (struct vg_local_net){ 4, 8, { 10 } };
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	vg_ts_series_free(fx->series);
	vg_ts_writer_stop(fx->writer);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void
start(struct fixture *fx)
{
	char err[256];

	fx->writer = vg_ts_writer_start(&fx->cfg, err, sizeof(err));
	assert_non_null(fx->writer);
	fx->series = vg_ts_series_create(&fx->cfg, fx->writer);
	assert_non_null(fx->series);
}

static void
restart(struct fixture *fx)
{
	vg_ts_series_free(fx->series);
	vg_ts_writer_stop(fx->writer);
	start(fx);
}

static struct vg_minute_host
host(const char *ip4, bool local, uint64_t sent, uint64_t rcvd)
{
	struct vg_minute_host h = { .ip_version = 4, .local = local };
	unsigned int a, b, c, d;

	assert_int_equal(sscanf(ip4, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	h.addr[0] = (uint8_t)a;
	h.addr[1] = (uint8_t)b;
	h.addr[2] = (uint8_t)c;
	h.addr[3] = (uint8_t)d;
	h.bytes_sent = sent;
	h.bytes_rcvd = rcvd;
	h.packets_sent = sent / 100;
	h.packets_rcvd = rcvd / 100;
	h.flows_as_client = 2;
	return h;
}

/* Delivers minute <minute> with <bytes> on the port and <hosts>. */
static void
deliver(struct fixture *fx, uint64_t minute, uint64_t bytes,
	struct vg_minute_host *hosts, uint32_t host_count)
{
	static struct vg_minute_merged m;

	memset(&m, 0, sizeof(m));
	m.minute = minute;
	m.ports[0].bytes = bytes;
	m.ports[0].packets = bytes / 100;
	m.ports[0].bytes_in = bytes / 3;
	m.ports[0].bytes_out = bytes - bytes / 3;
	m.nets[0].bytes_in = bytes / 3;
	m.app_bytes[7] = bytes / 2;
	m.active_flows = 42;
	m.hosts = hosts;
	m.host_count = host_count;
	vg_ts_series_minute(fx->series, &m);
}

/* The value per minute of <metric> in <schema>/<element> at minute <m>. */
static double
minute_value(struct fixture *fx, const char *schema, const char *element,
	     const char *metric, uint64_t m)
{
	const char *metrics[1] = { metric };
	struct vg_ts_result r;
	char err[512];
	double v;
	int rc;

	vg_ts_writer_sync(fx->writer);
	rc = vg_ts_fetch(fx->dir, NULL, schema, element, "AVERAGE", metrics,
			 1, m * 60, (m + 1) * 60, 60, &r, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(r.step, 60);
	assert_true(r.row_count >= 1);
	/* Rows are at start + step, ...: find the one ending the minute. */
	assert_true(r.start < (m + 1) * 60);
	v = r.values[((m + 1) * 60 - r.start) / 60 - 1];
	vg_ts_result_free(&r);
	return isnan(v) ? v : v * 60;
}

static void
test_minute_values_read_back(void **state)
{
	struct fixture *fx = *state;
	struct vg_minute_host hosts[1] = { host("10.0.0.1", true, 1200, 600) };

	start(fx);
	deliver(fx, M0, 6000, hosts, 1);
	deliver(fx, M0 + 1, 3000, hosts, 1);
	assert_float_equal(minute_value(fx, "interface:traffic", "eth0",
					"bytes", M0), 6000, 1e-6);
	assert_float_equal(minute_value(fx, "interface:traffic", "eth0",
					"bytes", M0 + 1), 3000, 1e-6);
	assert_float_equal(minute_value(fx, "interface:traffic", "eth0",
					"bytes_in", M0), 2000, 1e-6);
	assert_float_equal(minute_value(fx, "host:traffic", "10.0.0.1@0",
					"bytes_sent", M0), 1200, 1e-6);
	assert_float_equal(minute_value(fx, "network:traffic", "10.0.0.0/8",
					"bytes_in", M0 + 1), 1000, 1e-6);
	/* A gauge is stored as given: the value times 60 here. */
	assert_float_equal(minute_value(fx, "interface:flows", "eth0",
					"active_flows", M0), 42 * 60, 1e-6);
}

static void
test_app_series_named_by_id_without_names(void **state)
{
	struct fixture *fx = *state;
	char path[256];

	start(fx);
	deliver(fx, M0, 600, NULL, 0);
	vg_ts_writer_sync(fx->writer);
	snprintf(path, sizeof(path), "%s/interface/eth0/app/7.rrd", fx->dir);
	assert_int_equal(access(path, F_OK), 0);
	vg_ts_series_set_app_name(fx->series, 8, "TLS");
	deliver(fx, M0 + 1, 0, NULL, 0);
	assert_float_equal(minute_value(fx, "interface:app", "eth0/7", "bytes",
					M0 + 1), 0, 1e-9);
}

static void
test_host_cap_counts_hosts_left_out(void **state)
{
	struct fixture *fx = *state;
	struct vg_minute_host hosts[3] = {
		host("10.0.0.1", true, 100, 100),
		host("10.0.0.2", true, 100, 100),
		host("10.0.0.3", true, 100, 100),
	};
	struct vg_ts_series_stats st;
	char path[256];

	fx->cfg.ts_host_series_max = 2;
	start(fx);
	deliver(fx, M0, 600, hosts, 3);
	deliver(fx, M0 + 1, 600, hosts, 3);
	vg_ts_series_get_stats(fx->series, &st);
	assert_int_equal(st.host_series, 2);
	assert_int_equal(st.hosts_capped, 2);
	vg_ts_writer_sync(fx->writer);
	snprintf(path, sizeof(path), "%s/host/10.0.0.3@0", fx->dir);
	assert_int_not_equal(access(path, F_OK), 0);

	/* The files on disk count toward the cap after a restart. */
	restart(fx);
	vg_ts_series_get_stats(fx->series, &st);
	assert_int_equal(st.host_series, 2);
	deliver(fx, M0 + 2, 600, hosts + 2, 1);
	vg_ts_series_get_stats(fx->series, &st);
	assert_int_equal(st.hosts_capped, 1);
}

static void
test_remote_hosts_not_written(void **state)
{
	struct fixture *fx = *state;
	struct vg_minute_host hosts[2] = {
		host("10.0.0.1", true, 100, 100),
		host("192.0.2.1", false, 100, 100),
	};
	struct vg_ts_series_stats st;
	char path[256];

	start(fx);
	deliver(fx, M0, 600, hosts, 2);
	vg_ts_writer_sync(fx->writer);
	vg_ts_series_get_stats(fx->series, &st);
	assert_int_equal(st.hosts_remote, 1);
	snprintf(path, sizeof(path), "%s/host/192.0.2.1@0", fx->dir);
	assert_int_not_equal(access(path, F_OK), 0);
}

static void
test_old_minute_skipped_and_counted(void **state)
{
	struct fixture *fx = *state;
	struct vg_ts_writer_stats ws;
	uint64_t before;

	start(fx);
	deliver(fx, M0 + 1, 6000, NULL, 0);
	vg_ts_writer_sync(fx->writer);
	vg_ts_writer_get_stats(fx->writer, &ws);
	before = ws.skipped_old;
	assert_int_equal(ws.update_errors, 0);
	deliver(fx, M0, 1200, NULL, 0);
	vg_ts_writer_sync(fx->writer);
	vg_ts_writer_get_stats(fx->writer, &ws);
	/* Every point of the older minute: one per file. */
	assert_int_equal(ws.skipped_old - before, ws.files_created);
	assert_int_equal(ws.update_errors, 0);
	assert_float_equal(minute_value(fx, "interface:traffic", "eth0",
					"bytes", M0 + 1), 6000, 1e-6);
}

/*
 * A file that could not be created is tried again 5 minutes of point time
 * later, and takes points from then on.
 */
static void
test_failed_file_retried_later(void **state)
{
	struct fixture *fx = *state;
	struct vg_minute_host hosts[1] = { host("10.0.0.1", true, 1200, 600) };
	struct vg_ts_writer_stats ws;
	char blocker[128];
	uint64_t failed;
	uint64_t m;
	int fd;

	/* A file where the host's folder goes makes every host file fail. */
	snprintf(blocker, sizeof(blocker), "%s/host", fx->dir);
	assert_int_equal(mkdir(blocker, 0755), 0);
	snprintf(blocker, sizeof(blocker), "%s/host/10.0.0.1@0", fx->dir);
	fd = open(blocker, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);

	start(fx);
	deliver(fx, M0, 6000, hosts, 1);
	vg_ts_writer_sync(fx->writer);
	vg_ts_writer_get_stats(fx->writer, &ws);
	failed = ws.files_failed;
	assert_true(failed > 0);
	assert_int_equal(ws.create_errors, failed);

	/* Cleared, but not tried again before 5 minutes have passed. */
	assert_int_equal(unlink(blocker), 0);
	for (m = M0 + 1; m < M0 + 5; m++)
		deliver(fx, m, 6000, hosts, 1);
	vg_ts_writer_sync(fx->writer);
	vg_ts_writer_get_stats(fx->writer, &ws);
	assert_int_equal(ws.files_failed, failed);
	assert_int_equal(ws.create_errors, failed);
	assert_int_equal(ws.update_errors, 5 * failed);

	deliver(fx, M0 + 5, 6000, hosts, 1);
	vg_ts_writer_sync(fx->writer);
	vg_ts_writer_get_stats(fx->writer, &ws);
	assert_int_equal(ws.files_failed, 0);
	assert_int_equal(ws.create_errors, failed);
	assert_int_equal(ws.update_errors, 5 * failed);
	assert_float_equal(minute_value(fx, "host:traffic", "10.0.0.1@0",
					"bytes_sent", M0 + 5), 1200, 1e-6);
}

static void
test_full_queue_drops_and_counts(void **state)
{
	struct fixture *fx = *state;
	struct vg_ts_writer_stats ws;
	unsigned int i;

	fx->cfg.ts_queue_size = 4;
	/* A year of one-minute rows: creating the file takes a while. */
	fx->cfg.ts_archives[0] = (struct vg_ts_archive){ 60, 365 * 86400 };
	fx->cfg.ts_archive_count = 1;
	start(fx);
	for (i = 0; i < 2000; i++) {
		struct vg_ts_point *p = vg_ts_point_new("q/one.rrd", 1);

		assert_non_null(p);
		p->time = (M0 + i + 1) * 60;
		p->interval = 60;
		p->step = 60;
		strcpy(p->ds[0].name, "v");
		p->values[0] = i;
		vg_ts_writer_put(fx->writer, p);
	}
	vg_ts_writer_sync(fx->writer);
	vg_ts_writer_get_stats(fx->writer, &ws);
	assert_int_equal(ws.points_queued + ws.points_dropped, 2000);
	assert_true(ws.points_dropped > 0);
	assert_int_equal(ws.queue_high_water, 4);
	assert_int_equal(ws.queue_size, 4);
	assert_int_equal(ws.updates + ws.skipped_old + ws.update_errors,
			 ws.points_queued);
}

static void
test_restart_gap_unknown_idle_host_zero(void **state)
{
	struct fixture *fx = *state;
	struct vg_minute_host hosts[1] = { host("10.0.0.1", true, 1200, 600) };

	start(fx);
	deliver(fx, M0, 600, hosts, 1);
	deliver(fx, M0 + 1, 600, NULL, 0);
	deliver(fx, M0 + 2, 600, NULL, 0);
	deliver(fx, M0 + 3, 600, hosts, 1);
	/* The host was idle while vigild ran: its quiet minutes read 0. */
	assert_float_equal(minute_value(fx, "host:traffic", "10.0.0.1@0",
					"bytes_sent", M0 + 1), 0, 1e-9);
	assert_float_equal(minute_value(fx, "host:traffic", "10.0.0.1@0",
					"bytes_sent", M0 + 2), 0, 1e-9);
	assert_float_equal(minute_value(fx, "host:traffic", "10.0.0.1@0",
					"bytes_sent", M0 + 3), 1200, 1e-6);

	/* vigild stopped for two minutes: unknown, neither 0 nor a spike. */
	restart(fx);
	deliver(fx, M0 + 6, 900, hosts, 1);
	assert_true(isnan(minute_value(fx, "interface:traffic", "eth0",
				       "bytes", M0 + 4)));
	assert_true(isnan(minute_value(fx, "interface:traffic", "eth0",
				       "bytes", M0 + 5)));
	assert_float_equal(minute_value(fx, "interface:traffic", "eth0",
					"bytes", M0 + 6), 900, 1e-6);
	assert_true(isnan(minute_value(fx, "host:traffic", "10.0.0.1@0",
				       "bytes_sent", M0 + 5)));
	assert_float_equal(minute_value(fx, "host:traffic", "10.0.0.1@0",
					"bytes_sent", M0 + 6), 1200, 1e-6);
}

/* Delivers minute <minute> with <bytes>, watched over seconds [from, to). */
static void
deliver_part(struct fixture *fx, uint64_t minute, uint64_t bytes,
	     uint64_t from, uint64_t to)
{
	static struct vg_minute_merged m;

	memset(&m, 0, sizeof(m));
	m.minute = minute;
	m.ports[0].bytes = bytes;
	if (from > 0)
		m.started_us = (minute * 60 + from) * 1000000;
	if (to < 60)
		m.stopped_us = (minute * 60 + to) * 1000000;
	vg_ts_series_minute(fx->series, &m);
}

static void
test_partial_minutes_average_watched_part(void **state)
{
	struct fixture *fx = *state;

	/*
	 * rrdtool averages a partly known minute over its known seconds:
	 * 600 bytes over 40 s read as 900 a minute.
	 */
	start(fx);
	deliver_part(fx, M0, 600, 20, 60);
	deliver_part(fx, M0 + 1, 600, 0, 60);
	deliver_part(fx, M0 + 2, 600, 0, 45);
	assert_float_equal(minute_value(fx, "interface:traffic", "eth0",
					"bytes", M0), 900, 1e-6);
	assert_float_equal(minute_value(fx, "interface:traffic", "eth0",
					"bytes", M0 + 1), 600, 1e-6);
	assert_float_equal(minute_value(fx, "interface:traffic", "eth0",
					"bytes", M0 + 2), 800, 1e-6);

	/*
	 * rrdtool reads a minute whose first 40 s are unknown as unknown,
	 * while a minute known for its first 20 s only is still averaged.
	 * Neither reads as a dip.
	 */
	restart(fx);
	deliver_part(fx, M0 + 5, 600, 40, 60);
	deliver_part(fx, M0 + 6, 600, 0, 20);
	assert_true(isnan(minute_value(fx, "interface:traffic", "eth0",
				       "bytes", M0 + 5)));
	assert_float_equal(minute_value(fx, "interface:traffic", "eth0",
					"bytes", M0 + 6), 1800, 1e-6);
}

/* A point as vigil-sandbox sends it. */
struct plugin_point {
	Vigil__V1__TimeseriesPoint pt;
	Vigil__V1__TimeseriesPoint__TagsEntry tag;
	Vigil__V1__TimeseriesPoint__TagsEntry *tags[1];
	Vigil__V1__TimeseriesPoint__MetricsEntry metric[2];
	Vigil__V1__TimeseriesPoint__MetricsEntry *metrics[2];
	char *counters[1];
};

static void
plugin_point(struct plugin_point *pp, uint64_t time_s, double level,
	     double total)
{
	vigil__v1__timeseries_point__init(&pp->pt);
	vigil__v1__timeseries_point__tags_entry__init(&pp->tag);
	pp->tag.key = "ifname";
	pp->tag.value = "eth/0";
	pp->tags[0] = &pp->tag;
	vigil__v1__timeseries_point__metrics_entry__init(&pp->metric[0]);
	vigil__v1__timeseries_point__metrics_entry__init(&pp->metric[1]);
	pp->metric[0].key = "level";
	pp->metric[0].value = level;
	pp->metric[1].key = "total";
	pp->metric[1].value = total;
	pp->metrics[0] = &pp->metric[0];
	pp->metrics[1] = &pp->metric[1];
	pp->counters[0] = "total";
	pp->pt.schema = "ex:load";
	pp->pt.plugin = "ex";
	pp->pt.time_us = time_s * 1000000 + 1234; /* a little after the minute */
	pp->pt.n_tags = 1;
	pp->pt.tags = pp->tags;
	pp->pt.n_metrics = 2;
	pp->pt.metrics = pp->metrics;
	pp->pt.step_s = 60;
	pp->pt.n_counters = 1;
	pp->pt.counters = pp->counters;
}

static void
test_plugin_point_gauge_and_counter(void **state)
{
	struct fixture *fx = *state;
	struct plugin_point pp;
	char path[256];
	rrd_info_t *info;
	rrd_info_t *i;
	int types = 0;

	start(fx);
	plugin_point(&pp, (M0 + 1) * 60, 3.5, 1000);
	assert_int_equal(vg_ts_series_plugin_point(fx->series, &pp.pt), 0);
	plugin_point(&pp, (M0 + 2) * 60, 4.5, 1600);
	assert_int_equal(vg_ts_series_plugin_point(fx->series, &pp.pt), 0);
	assert_float_equal(minute_value(fx, "ex:load", "eth/0", "level",
					M0 + 1) / 60, 4.5, 1e-9);
	/* 600 more in 60 s: 10 per second, 600 per minute. */
	assert_float_equal(minute_value(fx, "ex:load", "eth/0", "total",
					M0 + 1), 600, 1e-6);
	snprintf(path, sizeof(path), "%s/plugin/ex/ex:load/eth%%2F0.rrd",
		 fx->dir);
	info = rrd_info_r(path);
	assert_non_null(info);
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "ds[level].type") == 0) {
			assert_string_equal(i->value.u_str, "GAUGE");
			types++;
		}
		if (strcmp(i->key, "ds[total].type") == 0) {
			assert_string_equal(i->value.u_str, "DERIVE");
			types++;
		}
	}
	rrd_info_free(info);
	assert_int_equal(types, 2);
}

static void
test_plugin_point_rejected_not_written(void **state)
{
	struct fixture *fx = *state;
	struct vg_ts_series_stats st;
	struct plugin_point pp;

	start(fx);
	plugin_point(&pp, (M0 + 1) * 60, 1, 1);
	pp.pt.n_metrics = 0;
	assert_int_equal(vg_ts_series_plugin_point(fx->series, &pp.pt),
			 -EINVAL);
	plugin_point(&pp, (M0 + 1) * 60, 1, 1);
	pp.pt.step_s = 17;
	assert_int_equal(vg_ts_series_plugin_point(fx->series, &pp.pt),
			 -EINVAL);
	plugin_point(&pp, (M0 + 1) * 60, 1, 1);
	pp.pt.plugin = "";
	assert_int_equal(vg_ts_series_plugin_point(fx->series, &pp.pt),
			 -EINVAL);
	vg_ts_series_get_stats(fx->series, &st);
	assert_int_equal(st.plugin_rejected, 3);
	assert_int_equal(st.plugin_points, 0);
}

static void
test_path_component_escapes(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(vg_ts_path_component("eth0", out, sizeof(out)), 4);
	assert_string_equal(out, "eth0");
	vg_ts_path_component("a/b%c", out, sizeof(out));
	assert_string_equal(out, "a%2Fb%25c");
	vg_ts_path_component("..", out, sizeof(out));
	assert_string_equal(out, "%2E.");
	vg_ts_path_component("", out, sizeof(out));
	assert_string_equal(out, "%00");
	vg_ts_path_component("fe80::1@0", out, sizeof(out));
	assert_string_equal(out, "fe80::1@0");
	assert_int_equal(vg_ts_path_component("abcdef", out, 4),
			 -ENAMETOOLONG);
}

static void
test_ds_name_fits_rrdtool(void **state)
{
	char a[VG_TS_DS_NAME_LEN];
	char b[VG_TS_DS_NAME_LEN];

	(void)state;
	vg_ts_ds_name("bytes_sent", a);
	assert_string_equal(a, "bytes_sent");
	vg_ts_ds_name("a-b.c", a);
	assert_string_equal(a, "a_b_c");
	vg_ts_ds_name("retransmissions_per_flow_client", a);
	vg_ts_ds_name("retransmissions_per_flow_server", b);
	assert_int_equal(strlen(a), 19);
	assert_int_equal(strlen(b), 19);
	assert_memory_equal(a, "retransmissio_", 14);
	assert_string_not_equal(a, b);
}

static void
test_point_path_must_stay_inside(void **state)
{
	(void)state;
	assert_null(vg_ts_point_new("../x.rrd", 1));
	assert_null(vg_ts_point_new("/etc/x.rrd", 1));
	assert_null(vg_ts_point_new("a//x.rrd", 1));
	assert_null(vg_ts_point_new("a/x.rrd", 0));
	assert_null(vg_ts_point_new("a/x.rrd", VG_TS_DS_MAX + 1));
}

static int
parse(struct vg_config *cfg, const char *text, char *err, size_t len)
{
	return vg_config_parse(cfg, "t.yaml", text, strlen(text), err, len);
}

static void
test_config_timeseries_section(void **state)
{
	struct vg_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(parse(&cfg, "log:\n  level: info\n", err,
			       sizeof(err)), 0);
	assert_false(cfg.ts_enabled);
	assert_int_equal(cfg.ts_archive_count, 4);
	assert_int_equal(cfg.ts_archives[3].keep, 5 * 365 * 86400);
	assert_int_equal(cfg.ts_host_series_max, 10000);
	assert_true(cfg.ts_local_hosts_only);

	assert_int_equal(parse(&cfg,
			       "timeseries:\n"
			       "  directory: /tmp\n"
			       "  rrdcached: unix:/run/rrdcached.sock\n"
			       "  step: 300\n"
			       "  host_series_max: 7\n"
			       "  local_hosts_only: false\n"
			       "  queue_size: 2048\n",
			       err, sizeof(err)), 0);
	assert_true(cfg.ts_enabled);
	assert_string_equal(cfg.ts_directory, "/tmp");
	assert_string_equal(cfg.ts_rrdcached, "unix:/run/rrdcached.sock");
	assert_int_equal(cfg.ts_step, 300);
	/* The default archives finer than the step are left out. */
	assert_int_equal(cfg.ts_archive_count, 3);
	assert_int_equal(cfg.ts_archives[0].resolution, 300);
	assert_int_equal(cfg.ts_host_series_max, 7);
	assert_false(cfg.ts_local_hosts_only);
	assert_int_equal(cfg.ts_queue_size, 2048);

	assert_int_equal(parse(&cfg,
			       "timeseries:\n"
			       "  directory: /tmp\n"
			       "  archives:\n"
			       "    - { resolution: 60, keep: 3600 }\n"
			       "    - { resolution: 600, keep: 86400 }\n",
			       err, sizeof(err)), 0);
	assert_int_equal(cfg.ts_archive_count, 2);
	assert_int_equal(cfg.ts_archives[1].resolution, 600);
	assert_int_equal(cfg.ts_archives[1].keep, 86400);
}

static void
expect_config_error(const char *text, const char *message)
{
	struct vg_config cfg;
	char err[512];

	assert_int_equal(parse(&cfg, text, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, message);
}

/* The default queue has eight points per host series allowed, within bounds. */
static void
test_queue_size_default(void **state)
{
	struct vg_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, "timeseries:\n  directory: /tmp\n", err,
			       sizeof(err)), 0);
	assert_int_equal(cfg.ts_host_series_max, 10000);
	assert_int_equal(vg_ts_queue_size(&cfg), 262144);

	cfg.ts_host_series_max = 100000;
	assert_int_equal(vg_ts_queue_size(&cfg), 800000);

	cfg.ts_host_series_max = 10000000;
	assert_int_equal(vg_ts_queue_size(&cfg), 1u << 24);

	cfg.ts_queue_size = 2048;
	assert_int_equal(vg_ts_queue_size(&cfg), 2048);
}

static void
test_config_timeseries_errors(void **state)
{
	(void)state;
	expect_config_error("timeseries:\n  enabled: true\n",
			    "t.yaml:2:3: timeseries: directory is required when timeseries are enabled");
	expect_config_error("timeseries:\n  directory: /tmp\n  step: 90\n",
			    "t.yaml:3:9: timeseries.step: must be a multiple of 60 seconds, got 90");
	expect_config_error("timeseries:\n  directory: /tmp\n  rrdcached: host:42217\n",
			    "t.yaml:3:14: timeseries.rrdcached: expected a Unix socket such as unix:/run/rrdcached.sock, got 'host:42217'");
	expect_config_error("timeseries:\n  directory: /etc/passwd\n",
			    "t.yaml:2:14: timeseries.directory: '/etc/passwd' is not a directory");
	expect_config_error("timeseries:\n  directory: /tmp\n  archives:\n"
			    "    - { resolution: 300, keep: 3600 }\n"
			    "    - { resolution: 60, keep: 86400 }\n",
			    "t.yaml:5:7: timeseries.archives[1]: resolutions must increase from one archive to the next, got 60 after 300");
	expect_config_error("timeseries:\n  directory: /tmp\n  archives:\n"
			    "    - { resolution: 600, keep: 300 }\n",
			    "t.yaml:4:7: timeseries.archives[0]: keep (300 s) is shorter than resolution (600 s)");
	expect_config_error("timeseries:\n  directory: /tmp\n  archives:\n"
			    "    - { resolution: 600, keep: 1000 }\n",
			    "t.yaml:2:3: timeseries: archives[0]: keep 1000 is not a multiple of resolution 600");
	expect_config_error("timeseries:\n  directory: /tmp\n  queue_size: 10\n",
			    "t.yaml:3:15: timeseries.queue_size: 10 is out of range 1024..16777216");
}

static void
test_fetch_unknown_metric_and_file(void **state)
{
	struct fixture *fx = *state;
	const char *metrics[1] = { "nope" };
	struct vg_ts_result r;
	char path[512];
	char err[512];

	start(fx);
	deliver(fx, M0, 600, NULL, 0);
	vg_ts_writer_sync(fx->writer);
	assert_int_equal(vg_ts_file(fx->dir, "system:memory", "", path,
				    sizeof(path)), 0);
	assert_int_equal(vg_ts_file(fx->dir, "host:traffic", "10.9.9.9@0",
				    path, sizeof(path)), -ENOENT);
	assert_int_equal(vg_ts_fetch(fx->dir, NULL, "interface:traffic", "eth0",
				     "AVERAGE", metrics, 1, M0 * 60,
				     (M0 + 1) * 60, 60, &r, err, sizeof(err)),
			 -ENOENT);
	vg_ts_result_free(&r);
}

/* The pid of this test's vigil-ts-writer child, read from /proc. */
static pid_t
writer_child(void)
{
	char path[64], line[256];
	pid_t found = 0;
	DIR *proc = opendir("/proc");
	struct dirent *e;

	assert_non_null(proc);
	while (found == 0 && (e = readdir(proc)) != NULL) {
		FILE *f;
		int pid, ppid;
		char comm[64];

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(line, sizeof(line), f) != NULL &&
		    sscanf(line, "%d (%63[^)]) %*c %d", &pid, comm, &ppid) ==
			    3 &&
		    ppid == getpid() && strcmp(comm, "vigil-ts-writer") == 0)
			found = pid;
		fclose(f);
	}
	closedir(proc);
	return found;
}

static bool
is_zombie(pid_t pid)
{
	char path[64], line[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return true;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	return strstr(line, ") Z ") != NULL;
}

static void
put_value(struct fixture *fx, const char *path, uint64_t minute, double v)
{
	struct vg_ts_point *p = vg_ts_point_new(path, 1);

	assert_non_null(p);
	p->time = (minute + 1) * 60;
	p->interval = 60;
	p->step = 60;
	strcpy(p->ds[0].name, "v");
	p->values[0] = v;
	assert_int_equal(vg_ts_writer_put(fx->writer, p), 0);
}

static void
test_killed_writer_process_restarts(void **state)
{
	struct fixture *fx = *state;
	struct vg_ts_writer_stats ws;
	unsigned long ds_count = 0;
	char **names = NULL;
	char **values = NULL;
	char path[512];
	pid_t first, second;
	time_t last = 0;

	start(fx);
	put_value(fx, "k/one.rrd", M0, 60);
	vg_ts_writer_sync(fx->writer);
	first = writer_child();
	assert_true(first > 0);
	assert_int_equal(kill(first, SIGKILL), 0);
	/*
	 * Dead but not reaped: the forwarding thread finds out on its next
	 * send. A point sent before the socket closed would be lost.
	 */
	while (!is_zombie(first))
		usleep(1000);
	put_value(fx, "k/one.rrd", M0 + 1, 120);
	vg_ts_writer_sync(fx->writer);
	vg_ts_writer_get_stats(fx->writer, &ws);
	second = writer_child();
	assert_true(second > 0);
	assert_int_not_equal(second, first);
	assert_int_equal(ws.restarts, 1);
	assert_int_equal(ws.points_lost, 0);
	assert_int_equal(ws.updates, 2);
	snprintf(path, sizeof(path), "%s/k/one.rrd", fx->dir);
	assert_int_equal(rrd_lastupdate_r(path, &last, &ds_count, &names,
					  &values), 0);
	assert_int_equal(last, (M0 + 2) * 60);
	assert_int_equal(ds_count, 1);
	assert_string_equal(values[0], "120");
	free(names[0]);
	free(values[0]);
	free(names);
	free(values);
}

static void
test_wire_point_checked(void **state)
{
	struct vg_ts_point *p = vg_ts_point_new("a/b.rrd", 2);
	size_t size;
	char *buf;
	struct vg_ts_point *q;

	(void)state;
	assert_non_null(p);
	p->time = 120;
	p->interval = 60;
	p->step = 60;
	strcpy(p->ds[0].name, "in");
	strcpy(p->ds[1].name, "out");
	p->ds[1].type = VG_TS_DERIVE;
	p->values[0] = 1.5;
	size = vg_ts_wire_point_size(p);
	/* Header, "a/b.rrd" and its NUL rounded up to 8, two values. */
	assert_int_equal(size, ((sizeof(*p) + 8 + 7) & ~(size_t)7) +
				       2 * (sizeof(double) +
					    sizeof(struct vg_ts_ds)));
	buf = aligned_alloc(8, VG_TS_WIRE_POINT_MAX);
	assert_non_null(buf);

	memcpy(buf, p, size);
	q = vg_ts_wire_point_open(buf, size);
	assert_non_null(q);
	assert_string_equal(q->path, "a/b.rrd");
	assert_string_equal(q->ds[1].name, "out");
	assert_int_equal(q->ds[1].type, VG_TS_DERIVE);
	assert_float_equal(q->values[0], 1.5, 0);
	assert_true(isnan(q->values[1]));

	memcpy(buf, p, size);
	assert_null(vg_ts_wire_point_open(buf, size - 1));
	assert_null(vg_ts_wire_point_open(buf, size + 8));
	assert_null(vg_ts_wire_point_open(buf, sizeof(*p)));
	((struct vg_ts_point *)buf)->n = 0;
	assert_null(vg_ts_wire_point_open(buf, size));
	memcpy(buf, p, size);
	memcpy(((struct vg_ts_point *)buf)->path, "../b.rr", 8);
	assert_null(vg_ts_wire_point_open(buf, size));
	memcpy(buf, p, size);
	memset(((struct vg_ts_point *)buf)->path, 'x', 8);
	assert_null(vg_ts_wire_point_open(buf, size));
	memcpy(buf, p, size);
	q = vg_ts_wire_point_open(buf, size);
	assert_non_null(q);
	q->ds[0].type = 7;
	assert_null(vg_ts_wire_point_open(buf, size));
	memcpy(buf, p, size);
	q = vg_ts_wire_point_open(buf, size);
	memset(q->ds[1].name, 'n', VG_TS_DS_NAME_LEN);
	assert_null(vg_ts_wire_point_open(buf, size));
	free(buf);
	vg_ts_point_free(p);
}

/*
 * Without the override, the writer is looked for beside the running
 * program: this test's folder, which has none.
 */
static void
test_find_program_missing(void **state)
{
	char self[4096];
	char path[4200];
	char problem[8192];
	char want[8192];
	char *slash;
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	slash = strrchr(self, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/vigil-ts-writer", self);
	if (access(path, F_OK) == 0)
		skip();
	vg_ts_writer_set_program(NULL);
	assert_int_equal(vg_ts_writer_find_program(path, sizeof(path), problem,
						   sizeof(problem)),
			 -1);
	vg_ts_writer_set_program(VG_TS_WRITER_PROGRAM);
	snprintf(want, sizeof(want), "writer program %s/vigil-ts-writer: No such file or directory; install vigil-ts-writer in the folder of vigild",
		 self);
	assert_string_equal(problem, want);
	assert_int_equal(vg_ts_writer_find_program(path, sizeof(path), problem,
						   sizeof(problem)),
			 0);
	assert_string_equal(path, VG_TS_WRITER_PROGRAM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_minute_values_read_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_app_series_named_by_id_without_names, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_host_cap_counts_hosts_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_hosts_not_written,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_old_minute_skipped_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_drops_and_counts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_restart_gap_unknown_idle_host_zero, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_partial_minutes_average_watched_part, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_plugin_point_gauge_and_counter, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plugin_point_rejected_not_written, setup, teardown),
		cmocka_unit_test(test_path_component_escapes),
		cmocka_unit_test(test_ds_name_fits_rrdtool),
		cmocka_unit_test(test_point_path_must_stay_inside),
		cmocka_unit_test(test_config_timeseries_section),
		cmocka_unit_test(test_config_timeseries_errors),
		cmocka_unit_test(test_queue_size_default),
		cmocka_unit_test_setup_teardown(
			test_fetch_unknown_metric_and_file, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_killed_writer_process_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_file_retried_later,
						setup, teardown),
		cmocka_unit_test(test_wire_point_checked),
		cmocka_unit_test(test_find_program_missing),
	};

	vg_ts_writer_set_program(VG_TS_WRITER_PROGRAM);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
