/*
 * Reading vigil's timeseries; see ts_fetch.h.
 *
 * rrd_fetch_r() returns every data source of one archive. The metrics a
 * caller names are picked out of it here, so a caller does not depend on
 * the order of data sources in a file. Plugin files are found by looking
 * under each plugin's folder, since a schema name is unique across
 * plugins and the caller need not know which plugin owns it.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "common/number_text.h"
#include "common/ts_fetch.h"

#define COMPONENT_MAX 256

int
vg_ts_path_component(const char *text, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)text;
	size_t used = 0;

	if (*p == '\0') {
		if (len < 4)
			return -ENAMETOOLONG;
		memcpy(out, "%00", 4);
		return 3;
	}
	for (; *p != '\0'; p++) {
		bool escape = *p == '/' || *p == '%' || *p < 0x20 ||
			      *p == 0x7f ||
			      (p == (const unsigned char *)text && *p == '.');

		if (used + (escape ? 3 : 1) >= len)
			return -ENAMETOOLONG;
		if (escape) {
			out[used++] = '%';
			out[used++] = hex[*p >> 4];
			out[used++] = hex[*p & 15];
		} else {
			out[used++] = (char)*p;
		}
	}
	out[used] = '\0';
	return (int)used;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Joins the escaped tag values of <element> (split at ',') into <out>. */
static int
tags_component(const char *element, char *out, size_t len)
{
	char value[COMPONENT_MAX];
	size_t used = 0;
	const char *p = element;

	if (element[0] == '\0') {
		snprintf(out, len, "all");
		return 0;
	}
	for (;;) {
		size_t n = strcspn(p, ",");
		int rc;

		if (n >= sizeof(value))
			return -ENAMETOOLONG;
		memcpy(value, p, n);
		value[n] = '\0';
		rc = vg_ts_path_component(value, out + used, len - used);
		if (rc < 0)
			return rc;
		used += (size_t)rc;
		p += n;
		if (*p == '\0')
			return 0;
		p++;
		if (used + 2 >= len)
			return -ENAMETOOLONG;
		out[used++] = ',';
	}
}

/* plugin/<any plugin>/<schema>/<tags>.rrd */
static int
plugin_file(const char *dir, const char *schema, const char *element,
	    char *out, size_t len)
{
	char schema_c[COMPONENT_MAX];
	char tags[1024];
	char base[4096];
	struct dirent *entry;
	DIR *plugins;
	int rc = -ENOENT;

	if (vg_ts_path_component(schema, schema_c, sizeof(schema_c)) < 0 ||
	    tags_component(element, tags, sizeof(tags)) != 0)
		return -ENAMETOOLONG;
	snprintf(base, sizeof(base), "%s/plugin", dir);
	plugins = opendir(base);
	if (plugins == NULL)
		return -ENOENT;
	while (rc == -ENOENT && (entry = readdir(plugins)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(out, len, "%s/%s/%s/%s.rrd", base,
				     entry->d_name, schema_c, tags) >= len)
			rc = -ENAMETOOLONG;
		else if (exists(out))
			rc = 0;
	}
	closedir(plugins);
	return rc;
}

int
vg_ts_file(const char *dir, const char *schema, const char *element,
	   char *out, size_t len)
{
	char first[COMPONENT_MAX];
	char second[COMPONENT_MAX];
	const char *slash;
	size_t n;

	if (strcmp(schema, "interface:traffic") == 0 ||
	    strcmp(schema, "interface:flows") == 0) {
		if (vg_ts_path_component(element, first, sizeof(first)) < 0)
			return -ENAMETOOLONG;
		n = (size_t)snprintf(out, len, "%s/interface/%s/%s.rrd", dir,
				     first, schema + 10);
	} else if (strcmp(schema, "interface:app") == 0 ||
		   strcmp(schema, "interface:category") == 0 ||
		   strcmp(schema, "host:app") == 0) {
		bool host = schema[0] == 'h';

		slash = strrchr(element, '/');
		if (slash == NULL || (size_t)(slash - element) >= sizeof(first))
			return -ENOENT;
		memcpy(second, element, (size_t)(slash - element));
		second[slash - element] = '\0';
		if (vg_ts_path_component(second, first, sizeof(first)) < 0 ||
		    vg_ts_path_component(slash + 1, second, sizeof(second)) < 0)
			return -ENAMETOOLONG;
		n = (size_t)snprintf(out, len, "%s/%s/%s/%s/%s.rrd", dir,
				     host ? "host" : "interface", first,
				     host ? "app" : schema + 10, second);
	} else if (strcmp(schema, "host:traffic") == 0) {
		if (vg_ts_path_component(element, first, sizeof(first)) < 0)
			return -ENAMETOOLONG;
		n = (size_t)snprintf(out, len, "%s/host/%s/traffic.rrd", dir,
				     first);
	} else if (strcmp(schema, "network:traffic") == 0) {
		char *p;

		snprintf(second, sizeof(second), "%s", element);
		for (p = second; *p != '\0'; p++) {
			if (*p == '/')
				*p = '_';
		}
		if (vg_ts_path_component(second, first, sizeof(first)) < 0)
			return -ENAMETOOLONG;
		n = (size_t)snprintf(out, len, "%s/network/%s/traffic.rrd", dir,
				     first);
	} else if (strncmp(schema, "system:", 7) == 0) {
		if (vg_ts_path_component(schema + 7, first, sizeof(first)) < 0)
			return -ENAMETOOLONG;
		n = (size_t)snprintf(out, len, "%s/system/%s.rrd", dir, first);
	} else {
		return plugin_file(dir, schema, element, out, len);
	}
	if (n >= len)
		return -ENAMETOOLONG;
	return exists(out) ? 0 : -ENOENT;
}

/* Fills <out> with the columns <want> of rrdtool's rows <data>. */
static int
pick_metrics(struct vg_ts_result *out, char **names, unsigned long ds_count,
	     const double *data, const char *const *want, size_t n_want,
	     char *err, size_t err_len)
{
	unsigned long column[VG_TS_FETCH_METRICS_MAX];
	size_t i;
	size_t j;

	if (want == NULL)
		n_want = ds_count < VG_TS_FETCH_METRICS_MAX ?
				 ds_count :
				 VG_TS_FETCH_METRICS_MAX;
	if (n_want > VG_TS_FETCH_METRICS_MAX)
		n_want = VG_TS_FETCH_METRICS_MAX;
	for (i = 0; i < n_want; i++) {
		const char *name = want != NULL ? want[i] : names[i];

		for (j = 0; j < ds_count; j++) {
			if (strcmp(names[j], name) == 0)
				break;
		}
		if (j == ds_count) {
			snprintf(err, err_len, "%s: no metric '%s'", out->file,
				 name);
			snprintf(out->missing_metric,
				 sizeof(out->missing_metric), "%s", name);
			return -ENOENT;
		}
		column[i] = j;
		snprintf(out->metrics[i], sizeof(out->metrics[i]), "%s", name);
	}
	out->metric_count = (unsigned int)n_want;
	out->values = calloc(out->row_count * n_want + 1, sizeof(double));
	if (out->values == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < out->row_count; i++) {
		for (j = 0; j < n_want; j++)
			out->values[i * n_want + j] =
				data[i * ds_count + column[j]];
	}
	return 0;
}

int
vg_ts_fetch_file(const char *file, const char *daemon, const char *cf,
		 const char *const *metrics, size_t n_metrics, uint64_t start,
		 uint64_t end, uint32_t resolution, struct vg_ts_result *out,
		 char *err, size_t err_len)
{
	time_t t0 = (time_t)start;
	time_t t1 = (time_t)end;
	unsigned long step = resolution;
	unsigned long ds_count = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	unsigned long i;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->file, sizeof(out->file), "%s", file);
	snprintf(out->cf, sizeof(out->cf), "%s", cf);
	rrd_clear_error();
	if (daemon != NULL && daemon[0] != '\0' &&
	    rrdc_flush_if_daemon(daemon, file) != 0) {
		snprintf(err, err_len, "%s: rrdcached %s flush failed: %s",
			 file, daemon, rrd_get_error());
		return -EIO;
	}
	if (rrd_fetch_r(file, cf, &t0, &t1, &step, &ds_count, &names, &data) !=
	    0) {
		snprintf(err, err_len, "%s: rrd_fetch_r() failed: %s", file,
			 rrd_get_error());
		return -EIO;
	}
	out->start = (uint64_t)t0;
	out->end = (uint64_t)t1;
	out->step = step;
	out->row_count = step ? (size_t)((t1 - t0) / (time_t)step) : 0;
	rc = pick_metrics(out, names, ds_count, data, metrics, n_metrics, err,
			  err_len);
	for (i = 0; i < ds_count; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return rc;
}

int
vg_ts_fetch(const char *dir, const char *daemon, const char *schema,
	    const char *element, const char *cf, const char *const *metrics,
	    size_t n_metrics, uint64_t start, uint64_t end,
	    uint32_t resolution, struct vg_ts_result *out, char *err,
	    size_t err_len)
{
	char file[4096];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = vg_ts_file(dir, schema, element, file, sizeof(file));
	if (rc != 0) {
		snprintf(err, err_len, "no timeseries for schema '%s' element '%s' under %s",
			 schema, element, dir);
		return rc;
	}
	return vg_ts_fetch_file(file, daemon, cf, metrics, n_metrics, start,
				end, resolution, out, err, err_len);
}

/* Returns the index N of a key "rra[N].<field>", or -1. */
static long
rra_index(const char *key, const char *field)
{
	char *end;
	long n;

	if (strncmp(key, "rra[", 4) != 0)
		return -1;
	n = strtol(key + 4, &end, 10);
	if (end == key + 4 || n < 0 || strncmp(end, "].", 2) != 0 ||
	    strcmp(end + 2, field) != 0)
		return -1;
	return n;
}

static int
compare_steps(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
vg_ts_steps(const char *file, const char *cf, uint32_t *steps, size_t max,
	    size_t *count, char *err, size_t err_len)
{
	/* Per archive: whether its consolidation function is <cf>, and its
	 * rows per point. */
	bool same_cf[VG_TS_FETCH_ARCHIVES_MAX] = { false };
	unsigned long pdp_per_row[VG_TS_FETCH_ARCHIVES_MAX] = { 0 };
	unsigned long step = 0;
	rrd_info_t *info;
	rrd_info_t *item;
	size_t i;

	*count = 0;
	rrd_clear_error();
	info = rrd_info_r(file);
	if (info == NULL) {
		snprintf(err, err_len, "%s: rrd_info_r() failed: %s", file,
			 rrd_get_error());
		return -EIO;
	}
	for (item = info; item != NULL; item = item->next) {
		long n;

		if (strcmp(item->key, "step") == 0 && item->type == RD_I_CNT)
			step = item->value.u_cnt;
		n = rra_index(item->key, "cf");
		if (n >= 0 && n < VG_TS_FETCH_ARCHIVES_MAX &&
		    item->type == RD_I_STR)
			same_cf[n] = strcmp(item->value.u_str, cf) == 0;
		n = rra_index(item->key, "pdp_per_row");
		if (n >= 0 && n < VG_TS_FETCH_ARCHIVES_MAX &&
		    item->type == RD_I_CNT)
			pdp_per_row[n] = item->value.u_cnt;
	}
	rrd_info_free(info);
	for (i = 0; i < VG_TS_FETCH_ARCHIVES_MAX && *count < max; i++) {
		if (same_cf[i] && pdp_per_row[i] > 0 && step > 0)
			steps[(*count)++] = (uint32_t)(step * pdp_per_row[i]);
	}
	qsort(steps, *count, sizeof(steps[0]), compare_steps);
	return 0;
}

int
vg_ts_last_update(const char *file, const char *daemon, uint64_t *last,
		  char *err, size_t err_len)
{
	time_t t;

	rrd_clear_error();
	if (daemon != NULL && daemon[0] != '\0' &&
	    rrdc_flush_if_daemon(daemon, file) != 0) {
		snprintf(err, err_len, "%s: rrdcached %s flush failed: %s",
			 file, daemon, rrd_get_error());
		return -EIO;
	}
	t = rrd_last_r(file);
	if (t <= 0) {
		snprintf(err, err_len, "%s: rrd_last_r() failed: %s", file,
			 rrd_get_error());
		return -EIO;
	}
	*last = (uint64_t)t;
	return 0;
}

void
vg_ts_result_free(struct vg_ts_result *result)
{
	free(result->values);
	result->values = NULL;
}

/* ---- vigild --ts-fetch ---- */

/* Prints <s> as a JSON string, quotes included. */
static void
print_json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
print_result(const struct vg_ts_result *r, bool first)
{
	size_t i;
	unsigned int j;

	printf("%s{\"cf\":\"%s\",\"step\":%" PRIu64 ",\"start\":%" PRIu64
	       ",\"end\":%" PRIu64 ",\"metrics\":[",
	       first ? "" : ",", r->cf, r->step, r->start, r->end);
	for (j = 0; j < r->metric_count; j++) {
		printf("%s", j ? "," : "");
		print_json_string(r->metrics[j]);
	}
	printf("],\"points\":[");
	for (i = 0; i < r->row_count; i++) {
		printf("%s[%" PRIu64, i ? "," : "",
		       r->start + (i + 1) * r->step);
		for (j = 0; j < r->metric_count; j++) {
			double v = r->values[i * r->metric_count + j];

			char text[VG_DOUBLE_TEXT_MAX];

			if (isnan(v)) {
				printf(",null");
			} else {
				vg_format_double(text, sizeof(text), v);
				printf(",%s", text);
			}
		}
		printf("]");
	}
	printf("]}");
}

static void
fetch_usage(FILE *out)
{
	fprintf(out,
		"usage: vigild --ts-fetch DIR SCHEMA ELEMENT [options]\n"
		"\n"
		"Prints the points of one timeseries as JSON.\n"
		"  --start T       first time, Unix seconds (default: end - 1 day)\n"
		"  --end T         last time, Unix seconds (default: the last update)\n"
		"  --step S        resolution in seconds (default: the finest archive)\n"
		"  --cf CF         AVERAGE or MAX (default: both)\n"
		"  --metrics LIST  metric names, comma-separated (default: all)\n"
		"  --rrdcached ADDR  flush the file through rrdcached first\n");
}

static int
parse_time(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (text[0] == '\0' || text[0] == '-' || *end != '\0' || errno != 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int
vg_ts_fetch_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "start", required_argument, NULL, 's' },
		{ "end", required_argument, NULL, 'e' },
		{ "step", required_argument, NULL, 'r' },
		{ "cf", required_argument, NULL, 'c' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "rrdcached", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfs[2] = { "AVERAGE", "MAX" };
	const char *metric_list[VG_TS_FETCH_METRICS_MAX];
	char *metrics_copy = NULL;
	const char *daemon = NULL;
	size_t n_metrics = 0;
	size_t n_cfs = 2;
	uint64_t start = 0, end = 0, step = 0;
	char file[4096];
	char err[1024];
	size_t i;
	int opt;
	int rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
		case 'e':
		case 'r':
			if (parse_time(optarg, opt == 's' ? &start :
					       opt == 'e' ? &end : &step) != 0) {
				fprintf(stderr, "vigild: --ts-fetch: invalid number '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'c':
			if (strcmp(optarg, "AVERAGE") != 0 &&
			    strcmp(optarg, "MAX") != 0) {
				fprintf(stderr, "vigild: --cf: expected AVERAGE or MAX, got '%s'\n",
					optarg);
				return 2;
			}
			cfs[0] = optarg;
			n_cfs = 1;
			break;
		case 'm': {
			char *save = NULL;
			char *item;

			free(metrics_copy);
			metrics_copy = strdup(optarg);
			n_metrics = 0;
			for (item = strtok_r(metrics_copy, ",", &save);
			     item != NULL && n_metrics < VG_TS_FETCH_METRICS_MAX;
			     item = strtok_r(NULL, ",", &save))
				metric_list[n_metrics++] = item;
			break;
		}
		case 'd':
			daemon = optarg;
			break;
		case 'h':
			fetch_usage(stdout);
			return 0;
		default:
			fetch_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 3) {
		fetch_usage(stderr);
		free(metrics_copy);
		return 2;
	}
	rc = vg_ts_file(argv[optind], argv[optind + 1], argv[optind + 2], file,
			sizeof(file));
	if (rc != 0) {
		fprintf(stderr, "vigild: no timeseries for schema '%s' element '%s' under %s\n",
			argv[optind + 1], argv[optind + 2], argv[optind]);
		free(metrics_copy);
		return 1;
	}
	if (daemon != NULL)
		rrdc_flush_if_daemon(daemon, file);
	if (end == 0)
		end = (uint64_t)rrd_last_r(file);
	if (start == 0)
		start = end > 86400 ? end - 86400 : 0;
	printf("{\"file\":");
	print_json_string(file);
	printf(",\"series\":[");
	for (i = 0; i < n_cfs; i++) {
		struct vg_ts_result r;

		rc = vg_ts_fetch_file(file, daemon, cfs[i],
				      n_metrics ? metric_list : NULL, n_metrics,
				      start, end, (uint32_t)step, &r, err,
				      sizeof(err));
		if (rc != 0) {
			printf("]}\n");
			fprintf(stderr, "vigild: %s\n", err);
			free(metrics_copy);
			return 1;
		}
		print_result(&r, i == 0);
		vg_ts_result_free(&r);
	}
	printf("]}\n");
	free(metrics_copy);
	return 0;
}
