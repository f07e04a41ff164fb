/*
 * Points of vigil's timeseries; see ts_series.h for the series.
 *
 * Everything here runs on the control thread: the minute consumer turns a
 * merged minute into one point per file and hands each to the writer, so
 * the cost per minute is a few string formats and one allocation per
 * point. Host series are capped. The set of hosts with a series starts
 * with the host directories already on disk, so a restart does not let
 * the count grow past the cap. A new host past the cap is counted and not
 * written.
 *
 * Application and category series appear with the first minute in which
 * they carry bytes, and are written every minute after that while vigild
 * runs, zeros included. A host gets a point only in the minutes it was
 * active; the writer fills the minutes between with zeros, because they
 * fall after the first minute this run delivered (zero_after), and with
 * unknown values when they fall before it, while vigild was not running.
 * NOTE: a host's gauges (flows_client, flows_server) read 0 in its idle
 * minutes even if it still had idle flows open then.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ndpi_api.h>

#include "common/log.h"
#include "ts_series.h"

#define MINUTE 60
#define NAME_LEN 256
#define CATEGORY_SLOTS 64

struct ds_spec {
	const char *name;
	uint8_t type;
};

static const struct ds_spec port_ds[] = {
	{ "bytes", VG_TS_ABSOLUTE },    { "packets", VG_TS_ABSOLUTE },
	{ "bytes_in", VG_TS_ABSOLUTE }, { "bytes_out", VG_TS_ABSOLUTE },
	{ "drops", VG_TS_ABSOLUTE },
};

static const struct ds_spec flows_ds[] = {
	{ "active_flows", VG_TS_GAUGE },
	{ "active_hosts", VG_TS_GAUGE },
	{ "flows_created", VG_TS_ABSOLUTE },
	{ "flows_ended", VG_TS_ABSOLUTE },
};

static const struct ds_spec bytes_ds[] = {
	{ "bytes", VG_TS_ABSOLUTE },
};

static const struct ds_spec host_ds[] = {
	{ "bytes_sent", VG_TS_ABSOLUTE },   { "bytes_rcvd", VG_TS_ABSOLUTE },
	{ "packets_sent", VG_TS_ABSOLUTE }, { "packets_rcvd", VG_TS_ABSOLUTE },
	{ "flows_client", VG_TS_GAUGE },    { "flows_server", VG_TS_GAUGE },
	{ "score", VG_TS_GAUGE },
};

static const struct ds_spec net_ds[] = {
	{ "bytes_in", VG_TS_ABSOLUTE },
	{ "bytes_out", VG_TS_ABSOLUTE },
	{ "bytes_inside", VG_TS_ABSOLUTE },
};

/* In enum vg_ts_counter order. */
static const struct ds_spec counter_ds[VG_TS_COUNTER_COUNT] = {
	{ "rx_packets", VG_TS_ABSOLUTE },      { "rx_bytes", VG_TS_ABSOLUTE },
	{ "parse_errors", VG_TS_ABSOLUTE },    { "ring_full", VG_TS_ABSOLUTE },
	{ "engine_packets", VG_TS_ABSOLUTE },  { "flows_created", VG_TS_ABSOLUTE },
	{ "flows_ended", VG_TS_ABSOLUTE },     { "table_full", VG_TS_ABSOLUTE },
	{ "ndpi_pool_empty", VG_TS_ABSOLUTE }, { "records_dropped", VG_TS_ABSOLUTE },
	{ "events", VG_TS_ABSOLUTE },          { "events_dropped", VG_TS_ABSOLUTE },
	{ "batches_dropped", VG_TS_ABSOLUTE }, { "sandbox_exits", VG_TS_ABSOLUTE },
	{ "deadline_kills", VG_TS_ABSOLUTE },  { "plugin_errors", VG_TS_ABSOLUTE },
	{ "alerts", VG_TS_ABSOLUTE },          { "plugin_points", VG_TS_ABSOLUTE },
};

static const struct ds_spec memory_ds[] = {
	{ "rss", VG_TS_GAUGE },
};

static const struct ds_spec writer_ds[] = {
	{ "points", VG_TS_ABSOLUTE },      { "dropped", VG_TS_ABSOLUTE },
	{ "skipped_old", VG_TS_ABSOLUTE }, { "update_errors", VG_TS_ABSOLUTE },
	{ "hosts_capped", VG_TS_ABSOLUTE }, { "queue_high", VG_TS_GAUGE },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A set of strings, open addressing. */
struct name_set {
	char **slots;
	size_t size;  /* a power of two, or 0 */
	size_t count;
};

struct vg_ts_series {
	const struct vg_config *cfg;
	struct vg_ts_writer *writer;
	char ports[VG_MAX_PORTS][NAME_LEN];  /* escaped port names */
	char ifaces[NAME_LEN];               /* "all", or the one port */
	char nets[VG_MAX_LOCAL_NETS][NAME_LEN];
	char *app_names[VG_APP_SLOTS];
	char *category_names[CATEGORY_SLOTS];
	bool app_seen[VG_APP_SLOTS];
	bool category_seen[CATEGORY_SLOTS];
	struct name_set hosts;

	vg_ts_sample_fn sample;
	void *sample_ctx;
	struct vg_ts_system last;            /* counters at the last minute */
	struct vg_ts_writer_stats last_writer;
	uint64_t last_capped;

	struct vg_ts_series_stats stats;
	uint64_t rejects_logged;
	uint64_t run_start;          /* start of the first minute delivered */
	uint32_t watched;            /* vg_ts_point.watched of this minute's points */
	uint32_t watched_from;       /* vg_ts_point.watched_from of the same */
};

static struct vg_ts_series *plugin_sink;

/* ---- the host set ---- */

static char **
set_find(const struct name_set *set, const char *name)
{
	size_t i = (size_t)vg_ts_hash_name(name) & (set->size - 1);

	while (set->slots[i] != NULL && strcmp(set->slots[i], name) != 0)
		i = (i + 1) & (set->size - 1);
	return &set->slots[i];
}

static bool
set_has(const struct name_set *set, const char *name)
{
	return set->size != 0 && *set_find(set, name) != NULL;
}

/* Adds <name>; returns 0, or -ENOMEM. */
static int
set_add(struct name_set *set, const char *name)
{
	char **slot;

	if (set->count + 1 > set->size / 2) {
		struct name_set bigger = { NULL, set->size ? set->size * 2 : 1024,
					   set->count };
		size_t i;

		bigger.slots = calloc(bigger.size, sizeof(*bigger.slots));
		if (bigger.slots == NULL)
			return -ENOMEM;
		for (i = 0; i < set->size; i++) {
			if (set->slots[i] != NULL)
				*set_find(&bigger, set->slots[i]) =
					set->slots[i];
		}
		free(set->slots);
		*set = bigger;
	}
	slot = set_find(set, name);
	if (*slot != NULL)
		return 0;
	*slot = strdup(name);
	if (*slot == NULL)
		return -ENOMEM;
	set->count++;
	return 0;
}

static void
set_free(struct name_set *set)
{
	size_t i;

	for (i = 0; i < set->size; i++)
		free(set->slots[i]);
	free(set->slots);
}

/* Counts the host series already on disk toward the cap. */
static void
load_hosts(struct vg_ts_series *s)
{
	char path[VG_PATH_MAX + 8];
	struct dirent *entry;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/host", s->cfg->ts_directory);
	dir = opendir(path);
	if (dir == NULL)
		return;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		if (set_add(&s->hosts, entry->d_name) != 0)
			break;
	}
	closedir(dir);
}

/* ---- setup ---- */

static void
component(const char *text, char out[NAME_LEN])
{
	if (vg_ts_path_component(text, out, NAME_LEN) < 0)
		snprintf(out, NAME_LEN, "%%toolong");
}

/* "10.0.0.0/8" as a file name: "10.0.0.0_8". */
static void
net_name(const struct vg_local_net *net, char out[NAME_LEN])
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(net->family == 4 ? AF_INET : AF_INET6, net->addr, addr,
		  sizeof(addr));
	snprintf(out, NAME_LEN, "%s_%u", addr, net->prefix_len);
}

struct vg_ts_series *
vg_ts_series_create(const struct vg_config *cfg, struct vg_ts_writer *writer)
{
	struct vg_ts_series *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->writer = writer;
	for (i = 0; i < cfg->port_count; i++)
		component(cfg->ports[i].name, s->ports[i]);
	if (cfg->port_count == 1)
		memcpy(s->ifaces, s->ports[0], NAME_LEN);
	else
		strcpy(s->ifaces, "all");
	for (i = 0; i < cfg->local_net_count; i++)
		net_name(&cfg->local_nets[i], s->nets[i]);
	load_hosts(s);
	s->stats.host_series = s->hosts.count;
	return s;
}

void
vg_ts_series_free(struct vg_ts_series *s)
{
	unsigned int i;

	if (s == NULL)
		return;
	VG_INFO("timeseries", "series minutes=%" PRIu64 " host_series=%" PRIu64
		" hosts_capped=%" PRIu64 " hosts_remote=%" PRIu64
		" plugin_points=%" PRIu64 " plugin_rejected=%" PRIu64,
		s->stats.minutes, s->stats.host_series, s->stats.hosts_capped,
		s->stats.hosts_remote, s->stats.plugin_points,
		s->stats.plugin_rejected);
	if (plugin_sink == s)
		plugin_sink = NULL;
	for (i = 0; i < VG_APP_SLOTS; i++)
		free(s->app_names[i]);
	for (i = 0; i < CATEGORY_SLOTS; i++)
		free(s->category_names[i]);
	set_free(&s->hosts);
	free(s);
}

static void
set_name(char **slot, const char *name)
{
	char escaped[NAME_LEN];

	if (name == NULL || name[0] == '\0')
		return;
	component(name, escaped);
	free(*slot);
	*slot = strdup(escaped);
}

void
vg_ts_series_set_app_name(struct vg_ts_series *s, unsigned int id,
			  const char *name)
{
	if (id < VG_APP_SLOTS)
		set_name(&s->app_names[id], name);
}

void
vg_ts_series_set_category_name(struct vg_ts_series *s, unsigned int id,
			       const char *name)
{
	if (id < CATEGORY_SLOTS)
		set_name(&s->category_names[id], name);
}

void
vg_ts_series_names_from_ndpi(struct vg_ts_series *s,
			     struct ndpi_detection_module_struct *ndpi)
{
	unsigned int protocols = ndpi_get_num_supported_protocols(ndpi);
	unsigned int i;

	for (i = 0; i < VG_APP_SLOTS && i < protocols; i++)
		vg_ts_series_set_app_name(s, i, ndpi_get_proto_name(ndpi,
								   (u_int16_t)i));
	for (i = 0; i < CATEGORY_SLOTS && i < NDPI_PROTOCOL_NUM_CATEGORIES; i++)
		vg_ts_series_set_category_name(
			s, i,
			ndpi_category_get_name(ndpi,
					       (ndpi_protocol_category_t)i));
}

void
vg_ts_series_set_sampler(struct vg_ts_series *s, vg_ts_sample_fn fn,
			 void *ctx)
{
	s->sample = fn;
	s->sample_ctx = ctx;
}

void
vg_ts_series_get_stats(const struct vg_ts_series *s,
		       struct vg_ts_series_stats *stats)
{
	*stats = s->stats;
}

/* ---- minute points ---- */

/*
 * Sends one point of <n> values at time <t> to the writer. <path> is
 * formatted from <fmt>.
 */
__attribute__((format(printf, 6, 7))) static void
emit(struct vg_ts_series *s, uint64_t t, const struct ds_spec *spec,
     const double *values, unsigned int n, const char *fmt, ...)
{
	char path[VG_TS_PATH_MAX];
	struct vg_ts_point *p;
	unsigned int i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	p = vg_ts_point_new(path, n);
	if (p == NULL)
		return;
	p->time = t;
	p->interval = MINUTE;
	p->step = s->cfg->ts_step;
	p->zero_after = s->run_start;
	p->watched = s->watched;
	p->watched_from = s->watched_from;
	for (i = 0; i < n; i++) {
		snprintf(p->ds[i].name, VG_TS_DS_NAME_LEN, "%s", spec[i].name);
		p->ds[i].type = spec[i].type;
		p->values[i] = values[i];
	}
	vg_ts_writer_put(s->writer, p);
}

static void
emit_interfaces(struct vg_ts_series *s, const struct vg_minute_merged *m,
		uint64_t t, const struct vg_ts_system *now)
{
	double v[COUNT(flows_ds)];
	unsigned int i;

	for (i = 0; i < s->cfg->port_count && i < VG_MAX_PORTS; i++) {
		const struct vg_minute_port *port = &m->ports[i];
		double values[COUNT(port_ds)] = {
			(double)port->bytes, (double)port->packets,
			(double)port->bytes_in, (double)port->bytes_out,
			now != NULL ? (double)(now->port_drops[i] -
					       s->last.port_drops[i]) :
				      NAN,
		};

		emit(s, t, port_ds, values, COUNT(port_ds),
		     "interface/%s/traffic.rrd", s->ports[i]);
	}
	v[0] = m->active_flows;
	v[1] = m->active_hosts;
	v[2] = (double)m->flows_created;
	v[3] = (double)m->flows_ended;
	emit(s, t, flows_ds, v, COUNT(flows_ds), "interface/%s/flows.rrd",
	     s->ifaces);
	for (i = 0; i < VG_APP_SLOTS; i++) {
		if (m->app_bytes[i] > 0)
			s->app_seen[i] = true;
		if (!s->app_seen[i])
			continue;
		v[0] = (double)m->app_bytes[i];
		if (s->app_names[i] != NULL)
			emit(s, t, bytes_ds, v, 1, "interface/%s/app/%s.rrd",
			     s->ifaces, s->app_names[i]);
		else
			emit(s, t, bytes_ds, v, 1, "interface/%s/app/%u.rrd",
			     s->ifaces, i);
	}
	for (i = 0; i < CATEGORY_SLOTS; i++) {
		if (m->category_bytes[i] > 0)
			s->category_seen[i] = true;
		if (!s->category_seen[i])
			continue;
		v[0] = (double)m->category_bytes[i];
		if (s->category_names[i] != NULL)
			emit(s, t, bytes_ds, v, 1,
			     "interface/%s/category/%s.rrd", s->ifaces,
			     s->category_names[i]);
		else
			emit(s, t, bytes_ds, v, 1,
			     "interface/%s/category/%u.rrd", s->ifaces, i);
	}
}

/* "10.0.0.1@0": the host's file name. */
static void
host_key(const struct vg_minute_host *h, char out[NAME_LEN])
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(h->ip_version == 6 ? AF_INET6 : AF_INET, h->addr, addr,
		  sizeof(addr));
	snprintf(out, NAME_LEN, "%s@%u", addr, h->vlan);
}

/*
 * Writes a host's bytes per application: the VG_HOST_APPS applications
 * the engine counted for it in the minute, and the rest as "_other".
 */
static void
emit_host_apps(struct vg_ts_series *s, const struct vg_minute_host *h,
	       const char *key, uint64_t t)
{
	unsigned int i;
	double v;

	for (i = 0; i < VG_HOST_APPS && h->apps[i].bytes > 0; i++) {
		unsigned int app = h->apps[i].app;

		v = (double)h->apps[i].bytes;
		if (app < VG_APP_SLOTS && s->app_names[app] != NULL)
			emit(s, t, bytes_ds, &v, 1, "host/%s/app/%s.rrd", key,
			     s->app_names[app]);
		else
			emit(s, t, bytes_ds, &v, 1, "host/%s/app/%u.rrd", key,
			     app);
	}
	if (h->app_other_bytes > 0) {
		v = (double)h->app_other_bytes;
		emit(s, t, bytes_ds, &v, 1, "host/%s/app/_other.rrd", key);
	}
}

static void
emit_hosts(struct vg_ts_series *s, const struct vg_minute_merged *m,
	   uint64_t t)
{
	uint32_t i;

	for (i = 0; i < m->host_count; i++) {
		const struct vg_minute_host *h = &m->hosts[i];
		double v[COUNT(host_ds)];
		char key[NAME_LEN];

		if (s->cfg->ts_local_hosts_only && !h->local) {
			s->stats.hosts_remote++;
			continue;
		}
		host_key(h, key);
		if (!set_has(&s->hosts, key)) {
			if (s->hosts.count >= s->cfg->ts_host_series_max ||
			    set_add(&s->hosts, key) != 0) {
				s->stats.hosts_capped++;
				continue;
			}
			s->stats.host_series = s->hosts.count;
		}
		v[0] = (double)h->bytes_sent;
		v[1] = (double)h->bytes_rcvd;
		v[2] = (double)h->packets_sent;
		v[3] = (double)h->packets_rcvd;
		v[4] = h->flows_as_client;
		v[5] = h->flows_as_server;
		v[6] = h->score;
		emit(s, t, host_ds, v, COUNT(host_ds), "host/%s/traffic.rrd",
		     key);
		emit_host_apps(s, h, key, t);
	}
}

static void
emit_networks(struct vg_ts_series *s, const struct vg_minute_merged *m,
	      uint64_t t)
{
	unsigned int i;

	for (i = 0; i < s->cfg->local_net_count; i++) {
		double v[COUNT(net_ds)] = {
			(double)m->nets[i].bytes_in,
			(double)m->nets[i].bytes_out,
			(double)m->nets[i].bytes_inside,
		};

		emit(s, t, net_ds, v, COUNT(net_ds), "network/%s/traffic.rrd",
		     s->nets[i]);
	}
}

/* Resident set size in bytes, from /proc/self/statm; NaN if unreadable. */
static double
rss_bytes(void)
{
	unsigned long long pages = 0;
	unsigned long long resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (f == NULL)
		return NAN;
	n = fscanf(f, "%llu %llu", &pages, &resident);
	fclose(f);
	if (n != 2)
		return NAN;
	return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/*
 * vigild's own counters. They are sampled when the minute is delivered,
 * not at the minute's packet-time boundary.
 * NOTE: during a replay faster than real time, a minute's stage counters
 * therefore describe the wall-clock time since the previous delivery, not
 * that packet-time minute. On a live port the two differ by the cut delay.
 */
static void
emit_system(struct vg_ts_series *s, uint64_t t, const struct vg_ts_system *now)
{
	struct vg_ts_writer_stats ws;
	double v[VG_TS_COUNTER_COUNT];
	unsigned int i;

	if (now != NULL) {
		for (i = 0; i < VG_TS_COUNTER_COUNT; i++)
			v[i] = (double)(now->counters[i] - s->last.counters[i]);
		emit(s, t, counter_ds, v, VG_TS_STAGE_COUNT,
		     "system/stages.rrd");
		emit(s, t, counter_ds + VG_TS_STAGE_COUNT,
		     v + VG_TS_STAGE_COUNT,
		     VG_TS_COUNTER_COUNT - VG_TS_STAGE_COUNT,
		     "system/sandbox.rrd");
	}
	v[0] = rss_bytes();
	emit(s, t, memory_ds, v, 1, "system/memory.rrd");

	vg_ts_writer_get_stats(s->writer, &ws);
	v[0] = (double)(ws.points_queued - s->last_writer.points_queued);
	v[1] = (double)(ws.points_dropped - s->last_writer.points_dropped);
	v[2] = (double)(ws.skipped_old - s->last_writer.skipped_old);
	v[3] = (double)(ws.update_errors - s->last_writer.update_errors);
	v[4] = (double)(s->stats.hosts_capped - s->last_capped);
	v[5] = (double)ws.queue_high_water;
	emit(s, t, writer_ds, v, COUNT(writer_ds), "system/timeseries.rrd");
	s->last_writer = ws;
	s->last_capped = s->stats.hosts_capped;
}

void
vg_ts_series_minute(void *ctx, const struct vg_minute_merged *m)
{
	struct vg_ts_series *s = ctx;
	struct vg_ts_system now;
	uint64_t t = (m->minute + 1) * MINUTE;

	s->stats.minutes++;
	if (s->run_start == 0)
		s->run_start = t - MINUTE;
	/* Whole seconds watched, rounded up so that a stop's last packet counts. */
	s->watched = 0;
	if (m->stopped_us != 0) {
		uint64_t end = (m->stopped_us + 999999) / 1000000;

		if (end > t - MINUTE && end < t)
			s->watched = (uint32_t)(end - (t - MINUTE));
	}
	/* Whole seconds before a live start, rounded down. */
	s->watched_from = 0;
	if (m->started_us != 0) {
		uint64_t begin = m->started_us / 1000000;

		if (begin > t - MINUTE && begin < t &&
		    (s->watched == 0 || begin - (t - MINUTE) < s->watched))
			s->watched_from = (uint32_t)(begin - (t - MINUTE));
	}
	if (s->sample != NULL)
		s->sample(s->sample_ctx, &now);
	emit_interfaces(s, m, t, s->sample != NULL ? &now : NULL);
	emit_hosts(s, m, t);
	emit_networks(s, m, t);
	emit_system(s, t, s->sample != NULL ? &now : NULL);
	if (s->sample != NULL)
		s->last = now;
}

/* ---- plugin points ---- */

__attribute__((format(printf, 3, 4))) static int
reject(struct vg_ts_series *s, const Vigil__V1__TimeseriesPoint *pt,
       const char *fmt, ...)
{
	char text[256];
	va_list ap;

	s->stats.plugin_rejected++;
	if (s->rejects_logged++ >= 20 && s->rejects_logged % 10000 != 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	VG_WARN("timeseries", "plugin=%s schema=%s point rejected: %s (rejected=%" PRIu64 ")",
		pt->plugin ? pt->plugin : "", pt->schema ? pt->schema : "",
		text, s->stats.plugin_rejected);
	return -EINVAL;
}

/* "<value>,<value>..." of the tags, each escaped; "all" without tags. */
static int
tags_name(const Vigil__V1__TimeseriesPoint *pt, char *out, size_t len)
{
	size_t used = 0;
	size_t i;

	if (pt->n_tags == 0) {
		snprintf(out, len, "all");
		return 0;
	}
	for (i = 0; i < pt->n_tags; i++) {
		const char *value = pt->tags[i]->value ? pt->tags[i]->value : "";
		int n;

		if (i > 0) {
			if (used + 2 >= len)
				return -ENAMETOOLONG;
			out[used++] = ',';
		}
		n = vg_ts_path_component(value, out + used, len - used);
		if (n < 0)
			return n;
		used += (size_t)n;
	}
	return 0;
}

static bool
is_counter(const Vigil__V1__TimeseriesPoint *pt, const char *metric)
{
	size_t i;

	for (i = 0; i < pt->n_counters; i++) {
		if (pt->counters[i] != NULL && strcmp(pt->counters[i], metric) == 0)
			return true;
	}
	return false;
}

int
vg_ts_series_plugin_point(struct vg_ts_series *s,
			  const Vigil__V1__TimeseriesPoint *pt)
{
	char plugin[NAME_LEN];
	char schema[NAME_LEN];
	char tags[NAME_LEN];
	char path[VG_TS_PATH_MAX];
	uint32_t step = pt->step_s ? pt->step_s : MINUTE;
	struct vg_ts_point *p;
	uint64_t t;
	size_t i;
	size_t j;

	if (pt->plugin == NULL || pt->plugin[0] == '\0' || pt->schema == NULL ||
	    pt->schema[0] == '\0')
		return reject(s, pt, "no plugin or schema name");
	if (step != 60 && step != 300 && step != 3600 && step != 86400)
		return reject(s, pt, "step %u is not 60, 300, 3600 or 86400",
			      step);
	if (pt->n_metrics == 0 || pt->n_metrics > VG_TS_DS_MAX)
		return reject(s, pt, "%zu metrics, expected 1..%d",
			      pt->n_metrics, VG_TS_DS_MAX);
	if (vg_ts_path_component(pt->plugin, plugin, sizeof(plugin)) < 0 ||
	    vg_ts_path_component(pt->schema, schema, sizeof(schema)) < 0 ||
	    tags_name(pt, tags, sizeof(tags)) != 0)
		return reject(s, pt, "names too long for a file name");
	snprintf(path, sizeof(path), "plugin/%s/%s/%s.rrd", plugin, schema,
		 tags);
	p = vg_ts_point_new(path, (unsigned int)pt->n_metrics);
	if (p == NULL)
		return reject(s, pt, "cannot make a point for %s", path);
	t = pt->time_us / 1000000;
	p->time = t - t % step;
	p->interval = step;
	p->step = step;
	for (i = 0; i < pt->n_metrics; i++) {
		const char *name = pt->metrics[i]->key ? pt->metrics[i]->key : "";

		vg_ts_ds_name(name, p->ds[i].name);
		p->ds[i].type = is_counter(pt, name) ? VG_TS_DERIVE : VG_TS_GAUGE;
		p->values[i] = pt->metrics[i]->value;
		for (j = 0; j < i; j++) {
			char shared[VG_TS_DS_NAME_LEN];

			if (strcmp(p->ds[j].name, p->ds[i].name) != 0)
				continue;
			memcpy(shared, p->ds[i].name, sizeof(shared));
			vg_ts_point_free(p);
			return reject(s, pt, "metrics %s and %s share the rrd name %s",
				      pt->metrics[j]->key, name, shared);
		}
	}
	s->stats.plugin_points++;
	return vg_ts_writer_put(s->writer, p);
}

void
vg_ts_series_set_plugin_sink(struct vg_ts_series *s)
{
	plugin_sink = s;
}

void
vg_ts_plugin_points(Vigil__V1__TimeseriesPoint *const *points, size_t n)
{
	size_t i;

	for (i = 0; plugin_sink != NULL && i < n; i++)
		vg_ts_series_plugin_point(plugin_sink, points[i]);
}
