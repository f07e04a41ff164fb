/*
 * The YAML configuration: loading and validation. This file contains the
 * loader core (the value helpers, the top-level schema, the defaults and
 * the cross-key checks). Each section's handlers are in its own file
 * (config_capture.c, config_flows.c, config_plugins.c, config_web.c),
 * the syntax error messages in config_syntax.c, and the machine checks
 * in config_machine.c.
 *
 * libyaml loads the whole file as a node graph first, so every node keeps
 * its line and column; the schema walk then visits each mapping with
 * a table of the keys it accepts. Each table entry names its key, the
 * handler that converts and range-checks the value, and nothing else, so
 * the schema reads top to bottom like the documentation in
 * docs/configuration.md. The first error stops the walk: an operator fixes
 * one line at a time, and a message that names exactly one line and one
 * key is easier to act on than a list.
 *
 * Checks that need several keys at once (lcores against queues, at least
 * one port) live in vg_config_check(), which the command line uses too.
 *
 * Checks that look at this machine instead of the file (a CPU, an
 * interface, a user, the files and folders it names) go through
 * cfg_machine_problem(). `--check-config` then warns about them and goes on,
 * while a start stops on them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "capture/parse.h"
#include "common/config.h"
#include "common/config_loader.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/yaml_guard.h"

/* Formats "FILE:LINE:COL: key.path: problem" for <node> and returns -EINVAL. */
__attribute__((format(printf, 3, 4))) int
cfg_fail(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
	char problem[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	snprintf(ld->err, ld->err_len, "%s:%zu:%zu: %s: %s", ld->name,
		 node->start_mark.line + 1, node->start_mark.column + 1,
		 ld->path[0] ? ld->path : "(top level)", problem);
	return -EINVAL;
}

/* Formats "FILE:LINE:COL: KEY: PROBLEM" for <node> into <text>. */
__attribute__((format(printf, 5, 0))) static void
format_at(const struct loader *ld, const yaml_node_t *node, char *text,
	  size_t len, const char *fmt, va_list ap)
{
	char problem[512];

	vsnprintf(problem, sizeof(problem), fmt, ap);
	snprintf(text, len, "%s:%zu:%zu: %s: %s", ld->name,
		 node->start_mark.line + 1, node->start_mark.column + 1,
		 ld->path[0] ? ld->path : "(top level)", problem);
}

/*
 * Reports a failed machine check at <node>, as ld->report selects: an
 * error as cfg_fail() makes it (-EINVAL), or a warning after which loading
 * goes on (0).
 */
__attribute__((format(printf, 3, 4))) int
cfg_machine_problem(struct loader *ld, const yaml_node_t *node, const char *fmt,
		    ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	format_at(ld, node, text, sizeof(text), fmt, ap);
	va_end(ap);
	return vg_config_report_machine(ld->report, text, ld->err,
					ld->err_len);
}

/* Notes at <node> what a start will do, when ld->report requests notes. */
__attribute__((format(printf, 3, 4))) void
cfg_machine_note(struct loader *ld, const yaml_node_t *node, const char *fmt,
		 ...)
{
	struct vg_config_report *report = ld->report;
	char text[1024];
	va_list ap;

	if (report == NULL || report->machine != VG_CONFIG_MACHINE_WARN)
		return;
	va_start(ap, fmt);
	format_at(ld, node, text, sizeof(text), fmt, ap);
	va_end(ap);
	report->notes++;
	if (report->emit != NULL)
		report->emit(report->ctx, VG_CONFIG_NOTE, text);
}

const char *
cfg_scalar_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

const char *
cfg_node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* A scalar the user quoted is a string, whatever it looks like. */
static bool
is_plain(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE &&
	       node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

int
cfg_get_uint(struct loader *ld, yaml_node_t *node, unsigned long long min,
	     unsigned long long max, unsigned long long *out)
{
	const char *text;
	char *end;
	unsigned long long v = 0;

	if (!is_plain(node))
		return cfg_fail(ld, node, "expected an integer, got %s",
				node->type == YAML_SCALAR_NODE
				    ? "a quoted string"
				    : cfg_node_kind(node));
	text = cfg_scalar_text(node);
	errno = 0;
	if (text[0] == '-' && text[1] >= '0' && text[1] <= '9') {
		/* A negative integer is an integer, just out of range. */
		v = strtoull(text + 1, &end, 10);
		if (*end != '\0')
			goto bad;
		if (errno == ERANGE || v != 0 || min > 0)
			return cfg_fail(ld, node,
					"%s is out of range %llu..%llu", text,
					min, max);
		*out = 0;
		return 0;
	}
	if (text[0] == '-' || text[0] == '+' || text[0] == '\0')
		goto bad;
	v = strtoull(text, &end, 10);
	if (*end != '\0')
		goto bad;
	if (errno == ERANGE || v < min || v > max)
		return cfg_fail(ld, node, "%s is out of range %llu..%llu", text,
				min, max);
	*out = v;
	return 0;
bad:
	return cfg_fail(ld, node, "expected an integer, got '%s'", text);
}

int
cfg_get_bool(struct loader *ld, yaml_node_t *node, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *text;
	size_t i;

	if (!is_plain(node))
		goto bad;
	text = cfg_scalar_text(node);
	for (i = 0; i < 3; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
bad:
	if (node->type == YAML_SCALAR_NODE && !is_plain(node))
		return cfg_fail(ld, node,
				"expected true or false, got the quoted string "
				"'%s' (drop the quotes)",
				cfg_scalar_text(node));
	return cfg_fail(ld, node, "expected true or false, got %s",
			node->type == YAML_SCALAR_NODE ? cfg_scalar_text(node)
						       : cfg_node_kind(node));
}

int
cfg_get_string(struct loader *ld, yaml_node_t *node, char *dst, size_t size)
{
	const char *text;

	if (node->type != YAML_SCALAR_NODE)
		return cfg_fail(ld, node, "expected a string, got %s",
				cfg_node_kind(node));
	text = cfg_scalar_text(node);
	/* YAML's "\0" escape puts a NUL byte inside a scalar, where it
	 * would silently cut the C string short. */
	if (memchr(text, '\0', node->data.scalar.length) != NULL)
		return cfg_fail(ld, node, "contains a NUL byte; remove it");
	if (text[0] == '\0')
		return cfg_fail(ld, node, "must not be empty");
	if (strlen(text) >= size)
		return cfg_fail(ld, node, "longer than %zu characters",
				size - 1);
	strcpy(dst, text);
	return 0;
}

/* Pushes ".key" or "[index]" onto the key path; returns the old length. */
size_t
cfg_path_push(struct loader *ld, const char *key, long index)
{
	size_t len = strlen(ld->path);

	if (key != NULL)
		snprintf(ld->path + len, sizeof(ld->path) - len, "%s%s",
			 len ? "." : "", key);
	else
		snprintf(ld->path + len, sizeof(ld->path) - len, "[%ld]",
			 index);
	return len;
}

void
cfg_path_pop(struct loader *ld, size_t len)
{
	ld->path[len] = '\0';
}

/*
 * Visits every pair of the mapping <node> with the handler its key names in
 * <specs>. An unknown key, a key given twice or a non-scalar key is an
 * error; the message lists the accepted keys so a typo is easy to see.
 */
int
cfg_walk_mapping(struct loader *ld, yaml_node_t *node,
		 const struct key_spec *specs, size_t spec_count)
{
	yaml_node_pair_t *pair;
	uint64_t seen = 0;

	if (node->type != YAML_MAPPING_NODE)
		return cfg_fail(ld, node, "expected a mapping, got %s",
				cfg_node_kind(node));
	for (pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(ld->doc, pair->key);
		yaml_node_t *value =
			yaml_document_get_node(ld->doc, pair->value);
		size_t saved;
		size_t i;
		int rc;

		if (key->type != YAML_SCALAR_NODE)
			return cfg_fail(ld, key,
					"keys must be plain words, got %s",
					cfg_node_kind(key));
		for (i = 0; i < spec_count; i++) {
			if (strcmp(specs[i].key, cfg_scalar_text(key)) == 0)
				break;
		}
		if (i == spec_count) {
			char known[256] = "";
			size_t j;

			for (j = 0; j < spec_count; j++) {
				strncat(known, j ? ", " : "",
					sizeof(known) - strlen(known) - 1);
				strncat(known, specs[j].key,
					sizeof(known) - strlen(known) - 1);
			}
			saved = cfg_path_push(ld, cfg_scalar_text(key), 0);
			rc = cfg_fail(ld, key,
				      "unknown key (expected one of: %s)",
				      known);
			cfg_path_pop(ld, saved);
			return rc;
		}
		saved = cfg_path_push(ld, specs[i].key, 0);
		if (seen & (1ull << i)) {
			rc = cfg_fail(ld, key, "key given twice");
			cfg_path_pop(ld, saved);
			return rc;
		}
		seen |= 1ull << i;
		rc = specs[i].handler(ld, value, specs[i].arg);
		cfg_path_pop(ld, saved);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Calls <handler> for each item of the sequence <node>, with its index. */
int
cfg_walk_sequence(struct loader *ld, yaml_node_t *node, size_t max_items,
		  int (*handler)(struct loader *, yaml_node_t *, size_t))
{
	yaml_node_item_t *item;
	size_t index = 0;

	if (node->type != YAML_SEQUENCE_NODE)
		return cfg_fail(ld, node, "expected a list, got %s",
				cfg_node_kind(node));
	for (item = node->data.sequence.items.start;
	     item < node->data.sequence.items.top; item++, index++) {
		yaml_node_t *child = yaml_document_get_node(ld->doc, *item);
		size_t saved;
		int rc;

		saved = cfg_path_push(ld, NULL, (long)index);
		if (index >= max_items)
			rc = cfg_fail(ld, child, "more than %zu items",
				      max_items);
		else
			rc = handler(ld, child, index);
		cfg_path_pop(ld, saved);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- generic scalar handlers, with bounds carried in <arg> ---- */

int
cfg_on_uint(struct loader *ld, yaml_node_t *node, void *arg)
{
	const struct uint_field *f = arg;
	unsigned long long v = 0;
	char *base = (char *)ld->cfg;
	int rc;

	rc = cfg_get_uint(ld, node, f->min, f->max, &v);
	if (rc != 0)
		return rc;
	if (f->width == 2)
		*(uint16_t *)(base + f->offset) = (uint16_t)v;
	else
		*(uint32_t *)(base + f->offset) = (uint32_t)v;
	return 0;
}

/* A file nDPI will read at start-up: it must exist and be readable now. */
int
cfg_on_input_file(struct loader *ld, yaml_node_t *node, void *arg)
{
	char *dst = (char *)ld->cfg + (size_t)arg;
	char problem[128];
	struct stat st;
	int rc;

	rc = cfg_get_string(ld, node, dst, VG_PATH_MAX);
	if (rc != 0)
		return rc;
	if (stat(dst, &st) != 0 || access(dst, R_OK) != 0)
		return cfg_machine_problem(ld, node, "cannot read '%s': %s",
					   dst, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cfg_machine_problem(ld, node,
					   "'%s' is not a regular file", dst);
	if (vg_config_check_text_file(dst, problem, sizeof(problem)) != 0)
		return cfg_machine_problem(
		    ld, node, "'%s' is not a text file: %s", dst, problem);
	return 0;
}

/* Records where <node> starts, for errors found after loading. */
void
cfg_set_mark(struct vg_config_mark *at, const yaml_node_t *node)
{
	at->line = (uint32_t)node->start_mark.line + 1;
	at->column = (uint32_t)node->start_mark.column + 1;
}

/*
 * Checks the folder of the file or socket named by the string at <node>
 * (already in <path>): a writable folder, or one vigild creates at start
 * (vg_config_make_folders()) because its nearest existing parent is a
 * writable folder.
 */
int
cfg_check_output_folder(struct loader *ld, yaml_node_t *node, const char *path)
{
	char dir[VG_PATH_MAX];
	char problem[3 * VG_PATH_MAX];
	char *slash;
	int state;

	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	state = vg_config_probe_folder(dir, "", problem, sizeof(problem));
	if (state < 0)
		return cfg_machine_problem(ld, node, "%s", problem);
	if (state == 1)
		cfg_machine_note(
		    ld, node,
		    "directory '%s' does not exist; vigild creates it at start",
		    dir);
	return 0;
}

/* Returns true when the caller uses none of the files the file names. */
static bool
skips_machine(const struct loader *ld)
{
	return ld->report != NULL &&
	       ld->report->machine == VG_CONFIG_MACHINE_SKIP;
}

/*
 * Rejects a path to write in /proc, /sys or another file system of the
 * kernel (vg_config_check_kernel_fs()). It is an error, not a machine
 * problem, because those trees are the same on every machine.
 */
int
cfg_check_kernel_fs(struct loader *ld, yaml_node_t *node, const char *path)
{
	char problem[3 * VG_PATH_MAX];

	if (skips_machine(ld))
		return 0;
	if (vg_config_check_kernel_fs(path, problem, sizeof(problem)) != 0)
		return cfg_fail(ld, node, "%s", problem);
	return 0;
}

/*
 * Checks an output file, which vigild creates at start-up in a folder it
 * may create. <arg> is its struct output_field. A path that breaks a rule
 * of every machine (vg_config_check_output_path()) is an error, and a
 * directory at the path is a machine problem.
 */
int
cfg_on_output_file(struct loader *ld, yaml_node_t *node, void *arg)
{
	const struct output_field *f = arg;
	char *dst = (char *)ld->cfg + f->offset;
	char problem[3 * VG_PATH_MAX];
	int state;
	int rc;

	struct vg_config_mark *at;

	rc = cfg_get_string(ld, node, dst, VG_PATH_MAX);
	if (rc != 0)
		return rc;
	at = vg_config_output_mark(ld->cfg, dst);
	if (at != NULL)
		cfg_set_mark(at, node);
	if (!skips_machine(ld)) {
		state = vg_config_check_output_path(dst, f->kind, problem,
						    sizeof(problem));
		if (state < 0)
			return cfg_fail(ld, node, "%s", problem);
		if (state > 0) {
			rc = cfg_machine_problem(ld, node, "%s", problem);
			if (rc != 0)
				return rc;
		}
	}
	return cfg_check_output_folder(ld, node, dst);
}

/* ---- log ---- */

static int
on_log_level(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const char *const names[] = { "error", "warn", "info",
					     "debug" };
	int i;

	(void)arg;
	if (node->type == YAML_SCALAR_NODE) {
		for (i = 0; i < 4; i++) {
			if (strcmp(cfg_scalar_text(node), names[i]) == 0) {
				ld->cfg->log_level = i;
				return 0;
			}
		}
	}
	return cfg_fail(ld, node, "expected error, warn, info or debug, got %s",
			node->type == YAML_SCALAR_NODE ? cfg_scalar_text(node)
						       : cfg_node_kind(node));
}

UINT_FIELD(status_field, status_interval, 0, 3600);

static int
on_log(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
	    {"level", on_log_level, NULL},
	    {"status_interval", cfg_on_uint, &status_field},
	};

	(void)arg;
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

static int
on_root(struct loader *ld, yaml_node_t *node)
{
	static const struct key_spec specs[] = {
	    {"capture", cfg_on_capture, NULL},
	    {"lcores", cfg_on_lcores, NULL},
	    {"memory", cfg_on_memory, NULL},
	    {"flows", cfg_on_flows, NULL},
	    {"networks", cfg_on_networks, NULL},
	    {"ndpi", cfg_on_ndpi, NULL},
	    {"plugins", cfg_on_plugins, NULL},
	    {"control", cfg_on_control, NULL},
	    {"log", on_log, NULL},
	    {"timeseries", cfg_on_timeseries, NULL},
	    {"web", cfg_on_web, NULL},
	    {"alerts", cfg_on_alerts, NULL},
	};

	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

void
vg_config_defaults(struct vg_config *cfg)
{
	/* Keep CPU 0 for the kernel and the control thread when there is more. */
	unsigned int worker_cpu = cfg_cpu_count() > 1 ? 1 : 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->tunnels = VG_TUNNEL_ALL;
	cfg->burst = 32;
	cfg->ring_size = 4096;
	cfg->control_cpu = 0;
	cfg->rx_cpus[0] = worker_cpu;
	cfg->rx_lcore_count = 1;
	cfg->engine_cpus[0] = worker_cpu;
	cfg->engine_lcore_count = 1;
	cfg->hugepages = false;
	cfg->mbufs = 16383;
	cfg->memory_mb = 512;
	cfg->flow_table_size = 262144;
	cfg->idle_timeout_tcp = 300;
	cfg->idle_timeout_udp = 60;
	cfg->idle_timeout_icmp = 30;
	cfg->idle_timeout_other = 60;
	cfg->active_timeout = 1800;
	cfg->detection_packets_tcp = 80;
	cfg->detection_packets_udp = 24;
	cfg->sandboxes = 1;
	cfg->sandbox_deadline_ms = 2000;
	cfg->sandbox_memory_mb = 256;
	cfg->hook_budget_ms = 100;
	cfg->sandbox_load_timeout_ms = 30000;
	strcpy(cfg->sandbox_user, "nobody");
	cfg->periodic_update = 60;
	cfg->log_level = VG_LOG_INFO;
	cfg->status_interval = 1;
	strcpy(cfg->web.listen[0], "127.0.0.1:8443");
	cfg->web.listen_count = 1;
	strcpy(cfg->web.data_dir, "/var/lib/vigil/web");
	if (vg_paths_bundled(VG_BUNDLED_UI, cfg->web.static_dir,
			     sizeof(cfg->web.static_dir)) != 0)
		cfg->web.static_dir[0] = '\0';
	cfg->web.max_request_bytes = 65536;
	cfg->web.request_timeout_ms = 10000;
	cfg->web.session_timeout = 3600;
	cfg->web.login_attempts = 5;
	cfg->web.query_cache_ms = 1000;
	cfg->web.query_scan_mb_per_second = 1024;
	cfg->web.login_required = true;
	/* One-minute points for a day, 5 minutes for a week, hours for a
	 * year, days for five years. */
	cfg->ts_step = 60;
	cfg->ts_archives[0] = (struct vg_ts_archive){ 60, 86400 };
	cfg->ts_archives[1] = (struct vg_ts_archive){ 300, 7 * 86400 };
	cfg->ts_archives[2] = (struct vg_ts_archive){ 3600, 365 * 86400 };
	cfg->ts_archives[3] = (struct vg_ts_archive){ 86400, 5 * 365 * 86400 };
	cfg->ts_archive_count = 4;
	cfg->ts_host_series_max = 10000;
	cfg->ts_local_hosts_only = true;
	cfg->ts_queue_size = 0; /* sized from host_series_max, ts_writer.h */
	vg_alerts_config_defaults(&cfg->alerts);
}

int
vg_config_parse(struct vg_config *cfg, const char *name, const char *text,
		size_t text_len, char *err, size_t err_len)
{
	return vg_config_parse_report(cfg, name, text, text_len, NULL, err,
				      err_len);
}

int
vg_config_parse_report(struct vg_config *cfg, const char *name,
		       const char *text, size_t text_len,
		       struct vg_config_report *report, char *err,
		       size_t err_len)
{
	struct loader ld = { .name = name, .cfg = cfg, .err = err,
			     .err_len = err_len, .report = report };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char why[256];
	size_t line;
	int rc;

	err[0] = '\0';
	vg_config_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	rc = cfg_check_flow_depth(&ld, text, text_len);
	if (rc != 0)
		return rc;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, err_len, "%s: cannot start the YAML parser", name);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     text_len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = cfg_syntax_error(&ld, &parser, text, text_len);
		yaml_parser_delete(&parser);
		return rc;
	}
	ld.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root != NULL && vg_yaml_guard(&doc, &line, why, sizeof(why)) != 0) {
		snprintf(err, err_len, "%s:%zu: invalid YAML: %s", name, line,
			 why);
		rc = -EINVAL;
	} else if (root == NULL) {
		snprintf(err, err_len, "%s: the file is empty", name);
		rc = -EINVAL;
	} else {
		rc = on_root(&ld, root);
	}
	if (rc == 0)
		rc = cfg_apply_bundled_plugins(&ld);
	if (rc == 0)
		rc = cfg_check_sandbox_user(&ld);
	if (rc == 0) {
		/* A second document in one file is almost surely a mistake. */
		yaml_document_t next;

		if (!yaml_parser_load(&parser, &next)) {
			rc = cfg_syntax_error(&ld, &parser, text, text_len);
		} else {
			yaml_node_t *extra = yaml_document_get_root_node(&next);

			if (extra != NULL)
				rc = cfg_fail(
				    &ld, extra,
				    "only one YAML document is allowed");
			yaml_document_delete(&next);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int
vg_config_load(struct vg_config *cfg, const char *path, char *err,
	       size_t err_len)
{
	return vg_config_load_report(cfg, path, NULL, err, err_len);
}

int
vg_config_load_report(struct vg_config *cfg, const char *path,
		      struct vg_config_report *report, char *err,
		      size_t err_len)
{
	FILE *file;
	char *text;
	size_t len;
	int rc;

	file = fopen(path, "rb");
	if (file == NULL) {
		rc = -errno;
		snprintf(err, err_len, "%s: cannot open: %s", path,
			 strerror(errno));
		return rc;
	}
	text = malloc(MAX_FILE_BYTES + 1);
	if (text == NULL) {
		fclose(file);
		snprintf(err, err_len, "%s: out of memory", path);
		return -ENOMEM;
	}
	len = fread(text, 1, MAX_FILE_BYTES + 1, file);
	if (ferror(file)) {
		rc = -EIO;
		snprintf(err, err_len, "%s: read failed: %s", path,
			 strerror(errno));
	} else if (len > MAX_FILE_BYTES) {
		rc = -EFBIG;
		snprintf(err, err_len, "%s: larger than %u bytes", path,
			 MAX_FILE_BYTES);
	} else {
		rc = vg_config_parse_report(cfg, path, text, len, report, err,
					    err_len);
	}
	free(text);
	fclose(file);
	return rc;
}

int
vg_config_check(const struct vg_config *cfg, char *err, size_t err_len)
{
	unsigned int queues = 0;
	unsigned int i;

	static const struct vg_config_mark nowhere = { 0, 0 };

	err[0] = '\0';
	if (cfg->port_count == 0)
		return vg_config_error_at(cfg, &nowhere, "capture.ports", err,
					  err_len, "at least one port is needed");
	for (i = 0; i < cfg->port_count; i++) {
		queues += cfg->ports[i].rx_queues ? cfg->ports[i].rx_queues : 1;
		/* Without hugepages EAL runs with --no-pci: no NIC DMA. */
		if (cfg->ports[i].kind == VG_PORT_PCI && !cfg->hugepages) {
			char key[48];

			snprintf(key, sizeof(key), "capture.ports[%u].pci", i);
			return vg_config_error_at(cfg, &cfg->ports[i].at, key, err,
						  err_len,
						  "a PCI port needs memory.hugepages: true");
		}
	}
	if (cfg->rx_lcore_count == 0 || cfg->engine_lcore_count == 0) {
		snprintf(err, err_len, "lcores: at least one rx and one engine lcore are needed");
		return -EINVAL;
	}
	if (cfg->rx_lcore_count > queues)
		return vg_config_error_at(cfg, &cfg->rx_lcores_at, "lcores.rx",
					  err, err_len,
					  "%u rx lcores but the ports have %u rx queue%s in all; each rx lcore needs a queue",
					  cfg->rx_lcore_count, queues,
					  queues == 1 ? "" : "s");
	if (1 + cfg->rx_lcore_count + cfg->engine_lcore_count > VG_MAX_LCORES)
		return vg_config_error_at(cfg, &cfg->lcores_at, "lcores", err,
					  err_len, "%u lcores in all, at most %u",
					  1 + cfg->rx_lcore_count +
						  cfg->engine_lcore_count,
					  VG_MAX_LCORES);
	/* Each ring takes at most ring_size - 1 packets, all from the pool. */
	if ((uint64_t)cfg->mbufs < (uint64_t)cfg->burst * 2 * cfg->rx_lcore_count)
		return vg_config_error_at(cfg, &cfg->mbufs_at, "memory.mbufs",
					  err, err_len,
					  "%u mbufs cannot hold two bursts of %u per rx lcore",
					  cfg->mbufs, cfg->burst);
	return vg_config_check_output_clashes(cfg, err, err_len);
}

int
vg_config_error_at(const struct vg_config *cfg,
		   const struct vg_config_mark *at, const char *key, char *err,
		   size_t err_len, const char *fmt, ...)
{
	/* Room for messages that quote long paths, as the machine checks do. */
	char problem[3 * VG_PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	if (cfg->path[0] == '\0')
		snprintf(err, err_len, "%s: %s", key, problem);
	else if (at->line > 0)
		snprintf(err, err_len, "%s:%u:%u: %s: %s", cfg->path, at->line,
			 at->column, key, problem);
	else
		snprintf(err, err_len, "%s: %s: %s", cfg->path, key, problem);
	return -EINVAL;
}

int
vg_config_machine_problem_at(const struct vg_config *cfg,
			     struct vg_config_report *report,
			     const struct vg_config_mark *at, const char *key,
			     char *err, size_t err_len, const char *fmt, ...)
{
	char problem[3 * VG_PATH_MAX];
	char text[4 * VG_PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	vg_config_error_at(cfg, at, key, text, sizeof(text), "%s", problem);
	return vg_config_report_machine(report, text, err, err_len);
}
