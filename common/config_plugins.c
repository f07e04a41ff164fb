/*
 * The plugins, timeseries and alerts sections of the configuration: the
 * plugin folders and sandboxes, the options of plugin scripts, the rrd
 * files' steps and archives, and the alert store with its endpoints and
 * exclusions. A plugins: section without directories loads the bundled
 * plugins (cfg_apply_bundled_plugins()).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "common/config.h"
#include "common/config_loader.h"
#include "common/paths.h"

/* ---- plugins ---- */

static int
on_plugin_dir(struct loader *ld, yaml_node_t *node, size_t index)
{
	char *dst = ld->cfg->plugin_dirs[index];
	char problem[VG_PATH_MAX + 64];
	int rc;

	rc = cfg_get_string(ld, node, dst, VG_PATH_MAX);
	if (rc != 0)
		return rc;
	ld->cfg->plugin_dir_count = (unsigned int)index + 1;
	if (vg_config_check_plugin_dir(dst, problem, sizeof(problem)) != 0)
		return cfg_machine_problem(ld, node, "%s", problem);
	return 0;
}

static int
on_plugin_dirs(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	ld->cfg->plugin_dir_count = 0;
	ld->plugin_dirs_given = true;
	return cfg_walk_sequence(ld, node, VG_MAX_PLUGIN_DIRS, on_plugin_dir);
}

static int
on_sandboxes(struct loader *ld, yaml_node_t *node, void *arg)
{
	unsigned long long v = 0;
	int rc;

	(void)arg;
	rc = cfg_get_uint(ld, node, 1, 16, &v);
	if (rc == 0)
		ld->cfg->sandboxes = (unsigned int)v;
	return rc;
}

static int
on_sandbox_user(struct loader *ld, yaml_node_t *node, void *arg)
{
	int rc;

	(void)arg;
	ld->sandbox_user = node;
	rc = cfg_get_string(ld, node, ld->cfg->sandbox_user,
			    sizeof(ld->cfg->sandbox_user));
	if (rc == 0 && getpwnam(ld->cfg->sandbox_user) == NULL)
		return cfg_machine_problem(
		    ld, node, "user '%s' not found on this machine",
		    ld->cfg->sandbox_user);
	return rc;
}

static int
on_sandbox_path(struct loader *ld, yaml_node_t *node, void *arg)
{
	int rc;

	(void)arg;
	rc = cfg_get_string(ld, node, ld->cfg->sandbox_path,
			    sizeof(ld->cfg->sandbox_path));
	if (rc == 0 && access(ld->cfg->sandbox_path, X_OK) != 0)
		return cfg_machine_problem(ld, node, "cannot run '%s': %s",
					   ld->cfg->sandbox_path,
					   strerror(errno));
	return rc;
}

/*
 * Per-script settings belong to the plugins, which vigil-sandbox loads, so
 * it checks their contents (vigild --check-config runs that check); here
 * each entry must be a mapping.
 */
static int
on_scripts(struct loader *ld, yaml_node_t *node, void *arg)
{
	yaml_node_pair_t *pair;

	(void)arg;
	cfg_set_mark(&ld->cfg->scripts_at, node);
	if (node->type != YAML_MAPPING_NODE)
		return cfg_fail(ld, node,
				"expected a mapping of script keys, got %s",
				cfg_node_kind(node));
	for (pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(ld->doc, pair->key);
		yaml_node_t *value =
			yaml_document_get_node(ld->doc, pair->value);
		size_t saved;
		int rc = 0;

		if (key->type != YAML_SCALAR_NODE)
			return cfg_fail(ld, key,
					"keys must be plain words, got %s",
					cfg_node_kind(key));
		saved = cfg_path_push(ld, cfg_scalar_text(key), 0);
		if (value->type != YAML_MAPPING_NODE)
			rc = cfg_fail(ld, value,
				      "expected a mapping such as {enabled: "
				      "true}, got %s",
				      cfg_node_kind(value));
		cfg_path_pop(ld, saved);
		if (rc != 0)
			return rc;
	}
	return 0;
}

UINT_FIELD(deadline_field, sandbox_deadline_ms, 10, 600000);
UINT_FIELD(sandbox_memory_field, sandbox_memory_mb, 32, 65536);
UINT_FIELD(hook_budget_field, hook_budget_ms, 1, 60000);
UINT_FIELD(load_timeout_field, sandbox_load_timeout_ms, 1000, 3600000);

OUTPUT_FIELD(alerts_output_field, alerts_output, VG_OUTPUT_RECORDS);

/*
 * Rejects plugins.alerts_output when directories: [] turns plugins off,
 * because vigild would then never write that file. vigild --plugins DIR
 * replaces the empty list, so the output is accepted with it.
 */
static int
check_alerts_output(struct loader *ld, yaml_node_t *plugins)
{
	bool replaced = ld->report != NULL && ld->report->plugin_dirs_replaced;
	yaml_node_pair_t *pair;

	if (ld->cfg->alerts_output[0] == '\0' || !ld->plugin_dirs_given ||
	    ld->cfg->plugin_dir_count > 0 || replaced)
		return 0;
	for (pair = plugins->data.mapping.pairs.start;
	     pair < plugins->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(ld->doc, pair->key);
		size_t saved;
		int rc;

		if (strcmp(cfg_scalar_text(key), "alerts_output") != 0)
			continue;
		saved = cfg_path_push(ld, "alerts_output", 0);
		rc = cfg_fail(ld, yaml_document_get_node(ld->doc, pair->value),
			      "no plugin runs, because directories is empty, so no alert would be written; list a plugin folder, or remove alerts_output");
		cfg_path_pop(ld, saved);
		return rc;
	}
	return 0;
}

int
cfg_on_plugins(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
	    {"directories", on_plugin_dirs, NULL},
	    {"sandboxes", on_sandboxes, NULL},
	    {"deadline_ms", cfg_on_uint, &deadline_field},
	    {"memory_mb", cfg_on_uint, &sandbox_memory_field},
	    {"hook_budget_ms", cfg_on_uint, &hook_budget_field},
	    {"load_timeout_ms", cfg_on_uint, &load_timeout_field},
	    {"user", on_sandbox_user, NULL},
	    {"sandbox_path", on_sandbox_path, NULL},
	    {"alerts_output", cfg_on_output_file, (void *)&alerts_output_field},
	    {"scripts", on_scripts, NULL},
	};

	int rc;

	(void)arg;
	ld->plugins = node;
	rc = cfg_walk_mapping(ld, node, specs,
			      sizeof(specs) / sizeof(specs[0]));
	if (rc == 0)
		rc = check_alerts_output(ld, node);
	return rc;
}

/*
 * A plugins: section without directories runs the plugins shipped with
 * vigil. Its folder is checked as a listed one is, at the section's key,
 * unless the caller replaces the folders. An empty list (directories: [])
 * keeps plugins off.
 */
int
cfg_apply_bundled_plugins(struct loader *ld)
{
	struct vg_config *cfg = ld->cfg;
	char *dir = cfg->plugin_dirs[0];
	struct stat st;
	size_t saved;
	int rc = 0;

	if (ld->plugins == NULL || ld->plugin_dirs_given)
		return 0;
	saved = cfg_path_push(ld, "plugins.directories", 0);
	if (vg_paths_bundled(VG_BUNDLED_PLUGINS, dir, VG_PATH_MAX) != 0) {
		rc = cfg_fail(
		    ld, ld->plugins,
		    "the bundled plugins' path is longer than %d characters",
		    VG_PATH_MAX - 1);
		cfg_path_pop(ld, saved);
		return rc;
	}
	cfg->plugin_dir_count = 1;
	cfg->plugin_dirs_bundled = true;
	if (ld->report != NULL && ld->report->plugin_dirs_replaced)
		rc = 0;
	else if (stat(dir, &st) != 0)
		rc = cfg_machine_problem(ld, ld->plugins,
					 "cannot read '%s' (the default): %s",
					 dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		rc = cfg_machine_problem(
		    ld, ld->plugins, "'%s' (the default) is not a directory",
		    dir);
	cfg_path_pop(ld, saved);
	return rc;
}

/*
 * Reports plugins.user at its key when it has uid 0 and plugins are on
 * (known after cfg_apply_bundled_plugins(), or from vigild --plugins).
 * vigil-sandbox exits at start for such a user, so a start would restart
 * the sandboxes in a loop while no plugin runs. A user missing from this
 * machine was already reported by on_sandbox_user().
 */
int
cfg_check_sandbox_user(struct loader *ld)
{
	const struct vg_config *cfg = ld->cfg;
	bool replaced = ld->report != NULL && ld->report->plugin_dirs_replaced;
	struct passwd *pw;
	size_t saved;
	int rc;

	if (ld->sandbox_user == NULL)
		return 0;
	if (cfg->plugin_dir_count == 0 && !replaced)
		return 0;
	pw = getpwnam(cfg->sandbox_user);
	if (pw == NULL || pw->pw_uid != 0)
		return 0;

	saved = cfg_path_push(ld, "plugins.user", 0);
	rc = cfg_machine_problem(
	    ld, ld->sandbox_user,
	    "user '%s' has uid 0, and vigil-sandbox does not run plugins as root; choose an unprivileged user such as nobody",
	    cfg->sandbox_user);
	cfg_path_pop(ld, saved);
	return rc;
}

/* ---- timeseries ---- */

#define TS_STEP_MAX 86400
#define TS_KEEP_MAX 315360000 /* ten years, in seconds */

/*
 * The directory rrd files go to: an existing writable directory, or a
 * missing one whose nearest existing parent is writable, since the writer
 * creates it and its missing parents at start-up.
 */
static int
on_ts_directory(struct loader *ld, yaml_node_t *node, void *arg)
{
	char *dst = ld->cfg->ts_directory;
	char problem[3 * VG_PATH_MAX];
	int state;
	int rc;

	(void)arg;
	rc = cfg_get_string(ld, node, dst, VG_PATH_MAX);
	if (rc == 0)
		rc = cfg_check_kernel_fs(ld, node, dst);
	if (rc != 0)
		return rc;
	state = vg_config_probe_folder(dst, "", problem, sizeof(problem));
	if (state < 0)
		return cfg_machine_problem(ld, node, "%s", problem);
	if (state == 1)
		cfg_machine_note(
		    ld, node,
		    "directory '%s' does not exist; vigild creates it at start",
		    dst);
	return 0;
}

/*
 * rrdcached's address: a Unix socket, as "unix:PATH" or an absolute PATH.
 * NOTE: TCP addresses are rejected; rrdcached on another machine would
 * need its own access control, which vigil does not configure.
 */
static int
on_ts_rrdcached(struct loader *ld, yaml_node_t *node, void *arg)
{
	char *dst = ld->cfg->ts_rrdcached;
	const char *path;
	int rc;

	(void)arg;
	rc = cfg_get_string(ld, node, dst, VG_PATH_MAX);
	if (rc != 0)
		return rc;
	path = strncmp(dst, "unix:", 5) == 0 ? dst + 5 : dst;
	if (path[0] != '/')
		return cfg_fail(ld, node,
				"expected a Unix socket such as "
				"unix:/run/rrdcached.sock, got '%s'",
				dst);
	if (strlen(path) >= 108)
		return cfg_fail(
		    ld, node,
		    "a socket path must be shorter than 108 bytes, got %zu",
		    strlen(path));
	return 0;
}

static int
on_ts_step(struct loader *ld, yaml_node_t *node, void *arg)
{
	unsigned long long v = 0;
	int rc;

	(void)arg;
	rc = cfg_get_uint(ld, node, 60, TS_STEP_MAX, &v);
	if (rc != 0)
		return rc;
	if (v % 60 != 0)
		return cfg_fail(
		    ld, node, "must be a multiple of 60 seconds, got %llu", v);
	ld->cfg->ts_step = (uint32_t)v;
	return 0;
}

static int
on_ts_archive_field(struct loader *ld, yaml_node_t *node, void *arg)
{
	struct vg_ts_archive *a =
		&ld->cfg->ts_archives[ld->cfg->ts_archive_count];
	unsigned long long v = 0;
	int rc;

	rc = cfg_get_uint(ld, node, 60, TS_KEEP_MAX, &v);
	if (rc != 0)
		return rc;
	if (arg != NULL)
		a->keep = (uint32_t)v;
	else
		a->resolution = (uint32_t)v;
	return 0;
}

static int
on_ts_archive(struct loader *ld, yaml_node_t *node, size_t index)
{
	static const struct key_spec specs[] = {
		{ "resolution", on_ts_archive_field, NULL },
		{ "keep", on_ts_archive_field, (void *)1 },
	};
	struct vg_ts_archive *a = &ld->cfg->ts_archives[index];
	int rc;

	memset(a, 0, sizeof(*a));
	ld->cfg->ts_archive_count = (unsigned int)index;
	rc =
	    cfg_walk_mapping(ld, node, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc != 0)
		return rc;
	if (a->resolution == 0 || a->keep == 0)
		return cfg_fail(
		    ld, node,
		    "an archive needs resolution and keep, in seconds");
	if (a->keep < a->resolution)
		return cfg_fail(ld, node,
				"keep (%u s) is shorter than resolution (%u s)",
				a->keep, a->resolution);
	if (index > 0 && a->resolution <= ld->cfg->ts_archives[index - 1].resolution)
		return cfg_fail(ld, node,
				"resolutions must increase from one archive to "
				"the next, got %u after %u",
				a->resolution,
				ld->cfg->ts_archives[index - 1].resolution);
	ld->cfg->ts_archive_count = (unsigned int)index + 1;
	return 0;
}

static int
on_ts_archives(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	if (node->type == YAML_SEQUENCE_NODE &&
	    node->data.sequence.items.start == node->data.sequence.items.top)
		return cfg_fail(ld, node, "at least one archive is needed");
	ld->cfg->ts_archive_count = 0;
	return cfg_walk_sequence(ld, node, VG_TS_ARCHIVES_MAX, on_ts_archive);
}

static int
on_ts_bool(struct loader *ld, yaml_node_t *node, void *arg)
{
	return cfg_get_bool(ld, node, (bool *)((char *)ld->cfg + (size_t)arg));
}

UINT_FIELD(ts_hosts_field, ts_host_series_max, 0, 10000000);
UINT_FIELD(ts_queue_field, ts_queue_size, 1024, 1u << 24);

int
cfg_on_timeseries(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
	    {"enabled", on_ts_bool, CFG_OFFSET(ts_enabled)},
	    {"directory", on_ts_directory, NULL},
	    {"rrdcached", on_ts_rrdcached, NULL},
	    {"step", on_ts_step, NULL},
	    {"archives", on_ts_archives, NULL},
	    {"host_series_max", cfg_on_uint, &ts_hosts_field},
	    {"local_hosts_only", on_ts_bool, CFG_OFFSET(ts_local_hosts_only)},
	    {"queue_size", cfg_on_uint, &ts_queue_field},
	};
	struct vg_ts_archive defaults[VG_TS_ARCHIVES_MAX];
	struct vg_config *cfg = ld->cfg;
	unsigned int default_count;
	unsigned int n = 0;
	unsigned int i;
	int rc;

	(void)arg;
	cfg_set_mark(&cfg->timeseries_at, node);
	/* Giving the section turns timeseries on, unless enabled is false. */
	cfg->ts_enabled = true;
	memcpy(defaults, cfg->ts_archives, sizeof(defaults));
	default_count = cfg->ts_archive_count;
	cfg->ts_archive_count = 0;
	rc =
	    cfg_walk_mapping(ld, node, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc != 0)
		return rc;
	/* Without archives, the defaults whose resolution suits the step. */
	for (i = 0; cfg->ts_archive_count == 0 && i < default_count; i++) {
		if (defaults[i].resolution % cfg->ts_step == 0)
			cfg->ts_archives[n++] = defaults[i];
	}
	if (n > 0)
		cfg->ts_archive_count = n;
	if (cfg->ts_archive_count == 0) {
		cfg->ts_archives[0].resolution = cfg->ts_step;
		cfg->ts_archives[0].keep = 5u * 365 * 86400 / cfg->ts_step * cfg->ts_step;
		cfg->ts_archive_count = 1;
	}
	if (cfg->ts_enabled && cfg->ts_directory[0] == '\0')
		return cfg_fail(
		    ld, node,
		    "directory is required when timeseries are enabled");
	for (i = 0; i < cfg->ts_archive_count; i++) {
		const struct vg_ts_archive *a = &cfg->ts_archives[i];

		if (a->resolution % cfg->ts_step != 0)
			return cfg_fail(ld, node,
					"archives[%u]: resolution %u is not a "
					"multiple of step %u",
					i, a->resolution, cfg->ts_step);
		if (a->keep % a->resolution != 0)
			return cfg_fail(ld, node,
					"archives[%u]: keep %u is not a "
					"multiple of resolution %u",
					i, a->keep, a->resolution);
	}
	return 0;
}

/* ---- alerts ---- */

/* The endpoint being parsed: the one after those already accepted. */
static struct vg_alert_endpoint_config *
current_endpoint(struct loader *ld)
{
	return &ld->cfg->alerts.endpoints[ld->cfg->alerts.endpoint_count];
}

static int
add_exclusion(struct loader *ld, yaml_node_t *node,
	      enum vg_alert_exclusion_kind kind, const char *value,
	      const char *type)
{
	struct vg_alerts_config *a = &ld->cfg->alerts;
	const char *problem = NULL;

	if (a->exclusion_count == VG_ALERT_MAX_EXCLUSIONS)
		return cfg_fail(ld, node, "more than %d exclusions in all",
				VG_ALERT_MAX_EXCLUSIONS);
	if (vg_alert_exclusion_parse(kind, value, type,
				     &a->exclusions[a->exclusion_count],
				     &problem) != 0)
		return cfg_fail(ld, node, "'%s': %s", value, problem);
	a->exclusion_count++;
	return 0;
}

static int
on_exclude_address(struct loader *ld, yaml_node_t *node,
		   enum vg_alert_exclusion_kind kind)
{
	if (node->type != YAML_SCALAR_NODE)
		return cfg_fail(ld, node, "expected %s, got %s",
				kind == VG_EXCLUDE_HOST
				    ? "an address such as 10.0.0.1"
				    : "a network such as 10.0.0.0/8",
				cfg_node_kind(node));
	return add_exclusion(ld, node, kind, cfg_scalar_text(node), NULL);
}

static int
on_exclude_host(struct loader *ld, yaml_node_t *node, size_t index)
{
	(void)index;
	return on_exclude_address(ld, node, VG_EXCLUDE_HOST);
}

static int
on_exclude_network(struct loader *ld, yaml_node_t *node, size_t index)
{
	(void)index;
	return on_exclude_address(ld, node, VG_EXCLUDE_NETWORK);
}

/* One {host: ADDRESS, type: ALERT_TYPE} item. */
static int
on_exclude_host_type(struct loader *ld, yaml_node_t *node, size_t index)
{
	const char *host = NULL;
	const char *type = NULL;
	yaml_node_pair_t *pair;

	(void)index;
	if (node->type != YAML_MAPPING_NODE)
		return cfg_fail(ld, node,
				"expected a mapping such as {host: 10.0.0.1, "
				"type: syn_flood}, got %s",
				cfg_node_kind(node));
	for (pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(ld->doc, pair->key);
		yaml_node_t *value =
			yaml_document_get_node(ld->doc, pair->value);
		const char *name =
		    key->type == YAML_SCALAR_NODE ? cfg_scalar_text(key) : "";

		if (value->type != YAML_SCALAR_NODE ||
		    (strcmp(name, "host") != 0 && strcmp(name, "type") != 0))
			return cfg_fail(
			    ld, key,
			    "expected the keys host and type, each a string");
		if (strcmp(name, "host") == 0)
			host = cfg_scalar_text(value);
		else
			type = cfg_scalar_text(value);
	}
	if (host == NULL || type == NULL)
		return cfg_fail(ld, node, "both host and type are needed");
	return add_exclusion(ld, node, VG_EXCLUDE_HOST_TYPE, host, type);
}

static int
on_exclude_hosts(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	return cfg_walk_sequence(ld, node, VG_ALERT_MAX_EXCLUSIONS,
				 on_exclude_host);
}

static int
on_exclude_networks(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	return cfg_walk_sequence(ld, node, VG_ALERT_MAX_EXCLUSIONS,
				 on_exclude_network);
}

static int
on_exclude_host_types(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	return cfg_walk_sequence(ld, node, VG_ALERT_MAX_EXCLUSIONS,
				 on_exclude_host_type);
}

static int
on_alerts_exclude(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
		{ "hosts", on_exclude_hosts, NULL },
		{ "networks", on_exclude_networks, NULL },
		{ "host_types", on_exclude_host_types, NULL },
	};

	(void)arg;
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

static int
on_endpoint_kind(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const char *const names[] = { "syslog", "webhook", "file",
					     "email" };
	unsigned int i;

	(void)arg;
	for (i = 0; node->type == YAML_SCALAR_NODE && i < 4; i++) {
		if (strcmp(cfg_scalar_text(node), names[i]) == 0) {
			current_endpoint(ld)->kind =
				(enum vg_alert_endpoint_kind)(i + 1);
			return 0;
		}
	}
	return cfg_fail(ld, node,
			"expected syslog, webhook, file or email, got %s",
			node->type == YAML_SCALAR_NODE ? cfg_scalar_text(node)
						       : cfg_node_kind(node));
}

/* Offset and size of an endpoint's string key in its struct. */
struct endpoint_string {
	size_t offset;
	size_t size;
};

#define ENDPOINT_STRING(name, member)                                       \
	static const struct endpoint_string name = {                        \
		offsetof(struct vg_alert_endpoint_config, member),          \
		sizeof(((struct vg_alert_endpoint_config *)0)->member)      \
	}

ENDPOINT_STRING(endpoint_name, name);
ENDPOINT_STRING(endpoint_address, address);
ENDPOINT_STRING(endpoint_url, url);
ENDPOINT_STRING(endpoint_from, from);

static int
on_endpoint_string(struct loader *ld, yaml_node_t *node, void *arg)
{
	const struct endpoint_string *f = arg;

	return cfg_get_string(
	    ld, node, (char *)current_endpoint(ld) + f->offset, f->size);
}

/* The file is checked as every output file of records is. */
static int
on_endpoint_path(struct loader *ld, yaml_node_t *node, void *arg)
{
	struct output_field field = {
		.offset = (size_t)((char *)current_endpoint(ld)->path -
				   (char *)ld->cfg),
		.kind = VG_OUTPUT_RECORDS,
	};

	(void)arg;
	return cfg_on_output_file(ld, node, &field);
}

static int
on_endpoint_severity(struct loader *ld, yaml_node_t *node, void *arg)
{
	int severity = node->type == YAML_SCALAR_NODE
			   ? vg_alert_severity_parse(cfg_scalar_text(node))
			   : -1;

	(void)arg;
	if (severity < 0)
		return cfg_fail(ld, node,
				"expected none, info, notice, warning, error "
				"or critical, got %s",
				node->type == YAML_SCALAR_NODE
				    ? cfg_scalar_text(node)
				    : cfg_node_kind(node));
	current_endpoint(ld)->min_severity = (unsigned int)severity;
	return 0;
}

static int
on_endpoint_type(struct loader *ld, yaml_node_t *node, size_t index)
{
	struct vg_alert_endpoint_config *ep = current_endpoint(ld);
	int rc = cfg_get_string(ld, node, ep->types[index], VG_ALERT_TYPE_LEN);

	if (rc == 0)
		ep->type_count = (unsigned int)index + 1;
	return rc;
}

static int
on_endpoint_types(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	current_endpoint(ld)->type_count = 0;
	return cfg_walk_sequence(ld, node, VG_ALERT_MAX_TYPES,
				 on_endpoint_type);
}

static int
on_endpoint_recipient(struct loader *ld, yaml_node_t *node, size_t index)
{
	struct vg_alert_endpoint_config *ep = current_endpoint(ld);
	int rc = cfg_get_string(ld, node, ep->to[index], VG_ALERT_ADDR_LEN);

	if (rc == 0)
		ep->to_count = (unsigned int)index + 1;
	return rc;
}

static int
on_endpoint_recipients(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	current_endpoint(ld)->to_count = 0;
	return cfg_walk_sequence(ld, node, VG_ALERT_MAX_RECIPIENTS,
				 on_endpoint_recipient);
}

/* An unsigned key of the current endpoint; <arg> selects which. */
static int
on_endpoint_uint(struct loader *ld, yaml_node_t *node, void *arg)
{
	struct vg_alert_endpoint_config *ep = current_endpoint(ld);
	static const struct {
		unsigned long long min, max;
	} bounds[] = { { 1, 1u << 20 }, { 0, 1000000 }, { 100, 3600000 },
		       { 100, 600000 }, { 0, 23 } };
	size_t which = (size_t)arg;
	unsigned long long v = 0;
	int rc;

	rc = cfg_get_uint(ld, node, bounds[which].min, bounds[which].max, &v);
	if (rc != 0)
		return rc;
	switch (which) {
	case 0:
		ep->queue_size = (uint32_t)v;
		break;
	case 1:
		ep->retries = (uint32_t)v;
		break;
	case 2:
		ep->backoff_max_ms = (uint32_t)v;
		break;
	case 3:
		ep->timeout_ms = (uint32_t)v;
		break;
	default:
		ep->facility = (unsigned int)v;
		break;
	}
	return 0;
}

/*
 * Checks the "HOST:PORT" at the start of <text>, which ends at the first
 * character of <stop> or at its end: a host that is not empty and a port
 * of 1..65535 in decimal. A missing port passes when <port_needed> is
 * false. Returns NULL, or what is wrong.
 */
static const char *
host_port_problem(const char *text, const char *stop, bool port_needed)
{
	size_t len = strcspn(text, stop);
	const char *colon = NULL;
	const char *p;
	unsigned long port = 0;

	if (text[0] == '[') {
		const char *close = memchr(text, ']', len);

		if (close == NULL)
			return "an IPv6 host needs its closing ']'";
		if (close == text + 1)
			return "the host is empty";
		if (close + 1 < text + len && close[1] != ':')
			return "expected ':PORT' after the IPv6 host";
		if (close + 1 < text + len)
			colon = close + 1;
	} else {
		colon = memrchr(text, ':', len);
		if ((colon != NULL ? colon : text + len) == text)
			return "the host is empty";
	}
	if (colon == NULL)
		return port_needed ? "the port is missing" : NULL;
	if (colon + 1 == text + len)
		return "the port is empty";
	for (p = colon + 1; p < text + len; p++) {
		if (*p < '0' || *p > '9')
			return "the port is not a number";
		port = port * 10 + (unsigned long)(*p - '0');
		if (port > 65535)
			break;
	}
	if (port < 1 || port > 65535)
		return "the port is not in 1..65535";
	return NULL;
}

/* Checks that the keys given suit the endpoint's kind. */
static int
check_endpoint(struct loader *ld, yaml_node_t *node,
	       const struct vg_alert_endpoint_config *ep)
{
	const char *address = ep->address;
	const char *problem;
	bool syslog = ep->kind == VG_ENDPOINT_SYSLOG;
	bool web = ep->kind == VG_ENDPOINT_WEBHOOK;
	bool mail = ep->kind == VG_ENDPOINT_EMAIL;

	if (ep->kind == 0)
		return cfg_fail(
		    ld, node,
		    "an endpoint needs kind: syslog, webhook, file or email");
	if (!syslog && strcmp(address, "unix:/dev/log") != 0)
		return cfg_fail(ld, node,
				"address applies to syslog endpoints only");
	if (syslog && strncmp(address, "unix:/", 6) != 0 &&
	    ((strncmp(address, "udp:", 4) != 0 &&
	      strncmp(address, "tcp:", 4) != 0) ||
	     strrchr(address + 4, ':') == NULL))
		return cfg_fail(ld, node,
				"address '%s': expected unix:/PATH, "
				"udp:HOST:PORT or tcp:HOST:PORT",
				address);
	if (syslog && strncmp(address, "unix:/", 6) != 0 &&
	    (problem = host_port_problem(address + 4, "", true)) != NULL)
		return cfg_fail(ld, node,
				"address '%s': %s; expected udp:HOST:PORT or "
				"tcp:HOST:PORT with a port of 1..65535",
				address, problem);
	if (web && strncmp(ep->url, "http://", 7) != 0 &&
	    strncmp(ep->url, "https://", 8) != 0)
		return cfg_fail(
		    ld, node, "a webhook needs url: http://... or https://...");
	if (mail && strncmp(ep->url, "smtp://", 7) != 0 &&
	    strncmp(ep->url, "smtps://", 8) != 0)
		return cfg_fail(ld, node,
				"an email endpoint needs url: smtp://HOST:PORT "
				"or smtps://...");
	if (web || mail) {
		const char *host = strstr(ep->url, "://") + 3;
		size_t authority = strcspn(host, "/?#");
		const char *at = memrchr(host, '@', authority);

		/* user:password@ comes before the host. */
		if (at != NULL)
			host = at + 1;
		problem = host_port_problem(host, "/?#", false);
		if (problem != NULL)
			return cfg_fail(ld, node, "url '%s': %s", ep->url,
					problem);
	}
	if (!web && !mail && ep->url[0] != '\0')
		return cfg_fail(
		    ld, node,
		    "url applies to webhook and email endpoints only");
	if (mail && (ep->from[0] == '\0' || ep->to_count == 0))
		return cfg_fail(ld, node,
				"an email endpoint needs from and to");
	if (!mail && (ep->from[0] != '\0' || ep->to_count > 0))
		return cfg_fail(ld, node,
				"from and to apply to email endpoints only");
	if (ep->kind == VG_ENDPOINT_FILE && ep->path[0] == '\0')
		return cfg_fail(ld, node, "a file endpoint needs path");
	if (ep->kind != VG_ENDPOINT_FILE && ep->path[0] != '\0')
		return cfg_fail(ld, node,
				"path applies to file endpoints only");
	return 0;
}

static int
on_endpoint(struct loader *ld, yaml_node_t *node, size_t index)
{
	static const struct key_spec specs[] = {
		{ "kind", on_endpoint_kind, NULL },
		{ "name", on_endpoint_string, (void *)&endpoint_name },
		{ "min_severity", on_endpoint_severity, NULL },
		{ "types", on_endpoint_types, NULL },
		{ "queue_size", on_endpoint_uint, (void *)0 },
		{ "retries", on_endpoint_uint, (void *)1 },
		{ "backoff_max_ms", on_endpoint_uint, (void *)2 },
		{ "timeout_ms", on_endpoint_uint, (void *)3 },
		{ "facility", on_endpoint_uint, (void *)4 },
		{ "address", on_endpoint_string, (void *)&endpoint_address },
		{ "url", on_endpoint_string, (void *)&endpoint_url },
		{ "path", on_endpoint_path, NULL },
		{ "from", on_endpoint_string, (void *)&endpoint_from },
		{ "to", on_endpoint_recipients, NULL },
	};
	struct vg_alert_endpoint_config *ep = &ld->cfg->alerts.endpoints[index];
	int rc;

	memset(ep, 0, sizeof(*ep));
	ep->queue_size = 1024;
	ep->backoff_max_ms = 30000;
	ep->timeout_ms = 5000;
	ep->facility = 16; /* local0 */
	strcpy(ep->address, "unix:/dev/log");
	rc =
	    cfg_walk_mapping(ld, node, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc != 0)
		return rc;
	rc = check_endpoint(ld, node, ep);
	if (rc != 0)
		return rc;
	if (ep->name[0] == '\0')
		snprintf(ep->name, sizeof(ep->name), "endpoint%zu", index);
	ld->cfg->alerts.endpoint_count = (unsigned int)index + 1;
	return 0;
}

static int
on_alert_endpoints(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	ld->cfg->alerts.endpoint_count = 0;
	return cfg_walk_sequence(ld, node, VG_ALERT_MAX_ENDPOINTS, on_endpoint);
}

UINT_FIELD(alert_dedup_field, alerts.dedup_window_s, 0, 86400 * 30);
UINT_FIELD(alert_retention_field, alerts.retention_days, 0, 36500);
UINT_FIELD(alert_rows_field, alerts.max_rows, 0, 1000000000);
UINT_FIELD(alert_queue_field, alerts.queue_size, 16, 1u << 22);
UINT_FIELD(alert_grace_field, alerts.engaged_grace_s, 0, MAX_TIMEOUT);

OUTPUT_FIELD(alert_database_field, alerts.database, VG_OUTPUT_DATABASE);

int
cfg_on_alerts(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
	    {"database", cfg_on_output_file, (void *)&alert_database_field},
	    {"dedup_window", cfg_on_uint, &alert_dedup_field},
	    {"retention_days", cfg_on_uint, &alert_retention_field},
	    {"max_rows", cfg_on_uint, &alert_rows_field},
	    {"queue_size", cfg_on_uint, &alert_queue_field},
	    {"engaged_grace", cfg_on_uint, &alert_grace_field},
	    {"exclude", on_alerts_exclude, NULL},
	    {"endpoints", on_alert_endpoints, NULL},
	};

	(void)arg;
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

int
vg_config_check_plugin_dir(const char *path, char *problem, size_t len)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(problem, len, "cannot read '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(problem, len, "'%s' is not a directory", path);
		return -1;
	}
	return 0;
}
