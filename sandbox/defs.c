/*
 * Manifests and definition files: alert and status types, timeseries
 * schemas, the menu entry and locales.
 *
 * Each file runs in its plugin's state and returns a table. Its fields
 * are checked and copied into C structs, so nothing of the table is kept.
 * An unknown field is an error, like an unknown key in vigil's YAML, so a
 * misspelt field is reported instead of silently ignored. Keys of alerts,
 * statuses, scripts and schemas are unique across every plugin: vigild
 * stores them without the plugin's name.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>

#include "sandbox/sandbox.h"

#define MAX_LOCALE_DEPTH 4

void
vg_sbx_file_error(const struct vg_sbx_file *f, const char *field,
		  const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vg_sbx_load_error(f->plugin->sbx, f->path,
			  vg_sbx_guess_line(f->source, field), "%s", msg);
	f->plugin->load_errors++;
}

/* Returns true when <msg> starts with "name:LINE:", a Lua position. */
static bool
has_position(const char *msg)
{
	const char *p = strstr(msg, ":");

	while (p != NULL) {
		const char *q = p + 1;

		while (*q >= '0' && *q <= '9')
			q++;
		if (q > p + 1 && *q == ':')
			return true;
		p = strchr(p + 1, ':');
	}
	return false;
}

int
vg_sbx_file_run(const struct vg_sbx_file *f)
{
	struct vg_sbx_plugin *plugin = f->plugin;
	lua_State *L = plugin->L;
	int rc = vg_sbx_state_run(plugin, f->path, f->source,
				  VG_SBX_LOAD_BUDGET_MS);

	if (rc != 0) {
		const char *msg = lua_tostring(L, -1);
		char buf[1024];

		if (msg == NULL)
			msg = "error object is not a string";
		msg = vg_sbx_full_message(plugin, msg, buf, sizeof(buf));
		if (has_position(msg))
			vg_sbx_load_error(plugin->sbx, NULL, 0, "%s", msg);
		else
			vg_sbx_load_error(plugin->sbx, f->path, 1, "%s", msg);
		plugin->load_errors++;
		lua_pop(L, 1);
		return -1;
	}
	if (!lua_istable(L, -1)) {
		vg_sbx_file_error(f, NULL, "must return a table, got %s",
				  luaL_typename(L, -1));
		lua_pop(L, 1);
		return -1;
	}
	return 0;
}

int
vg_sbx_check_fields(const struct vg_sbx_file *f, int t,
		    const char *const *allowed)
{
	lua_State *L = f->plugin->L;
	int bad = 0;

	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ?
					  lua_tostring(L, -2) :
					  NULL;
		const char *const *a;
		char list[512] = "";

		lua_pop(L, 1);
		for (a = allowed; key != NULL && *a != NULL; a++) {
			if (strcmp(key, *a) == 0)
				break;
		}
		if (key != NULL && *a != NULL)
			continue;
		for (a = allowed; *a != NULL; a++) {
			strncat(list, a == allowed ? "" : ", ",
				sizeof(list) - strlen(list) - 1);
			strncat(list, *a, sizeof(list) - strlen(list) - 1);
		}
		if (key != NULL)
			vg_sbx_file_error(f, key, "unknown field '%s' (expected "
					  "one of: %s)", key, list);
		else
			vg_sbx_file_error(f, NULL, "fields must be named "
					  "(expected one of: %s)", list);
		bad = -1;
	}
	return bad;
}

int
vg_sbx_get_string(const struct vg_sbx_file *f, int t, const char *name,
		  bool required, char **out)
{
	lua_State *L = f->plugin->L;
	int rc = 0;

	*out = NULL;
	lua_getfield(L, t, name);
	if (lua_isnil(L, -1)) {
		if (required) {
			vg_sbx_file_error(f, name, "missing field '%s'", name);
			rc = -1;
		}
	} else if (lua_type(L, -1) != LUA_TSTRING) {
		vg_sbx_file_error(f, name, "field '%s' must be a string, got %s",
				  name, luaL_typename(L, -1));
		rc = -1;
	} else {
		*out = strdup(lua_tostring(L, -1));
		if (*out == NULL) {
			vg_sbx_file_error(f, name, "out of memory");
			rc = -1;
		}
	}
	lua_pop(L, 1);
	return rc;
}

/* Reads an integer field in min..max; <*out> keeps its default when
 * absent and not required. */
static int
get_integer(const struct vg_sbx_file *f, int t, const char *name,
	    bool required, double min, double max, double *out)
{
	lua_State *L = f->plugin->L;
	int rc = 0;

	lua_getfield(L, t, name);
	if (lua_isnil(L, -1)) {
		if (required) {
			vg_sbx_file_error(f, name, "missing field '%s'", name);
			rc = -1;
		}
	} else if (lua_type(L, -1) != LUA_TNUMBER ||
		   lua_tonumber(L, -1) != floor(lua_tonumber(L, -1)) ||
		   lua_tonumber(L, -1) < min || lua_tonumber(L, -1) > max) {
		vg_sbx_file_error(f, name, "field '%s' must be an integer "
				  "%.0f..%.0f", name, min, max);
		rc = -1;
	} else {
		*out = lua_tonumber(L, -1);
	}
	lua_pop(L, 1);
	return rc;
}

bool
vg_sbx_valid_key(const char *s, const char *extra)
{
	size_t len = strlen(s);
	const char *p;

	if (len == 0 || len > 64)
		return false;
	for (p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || (extra && strchr(extra, *p))))
			return false;
	}
	return true;
}

/* Copies the array of strings at field <name>; each must pass <check>
 * when given. */
static int
get_string_list(const struct vg_sbx_file *f, int t, const char *name,
		bool (*check)(const char *), const char *what, size_t max,
		char ***out, size_t *n_out)
{
	lua_State *L = f->plugin->L;
	size_t n;
	size_t i;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	lua_getfield(L, t, name);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1)) {
		vg_sbx_file_error(f, name, "field '%s' must be a list of "
				  "strings", name);
		lua_pop(L, 1);
		return -1;
	}
	n = lua_objlen(L, -1);
	if (n > max) {
		vg_sbx_file_error(f, name, "field '%s' has more than %zu items",
				  name, max);
		lua_pop(L, 1);
		return -1;
	}
	for (i = 1; i <= n && rc == 0; i++) {
		char *copy;

		lua_rawgeti(L, -1, (int)i);
		if (lua_type(L, -1) != LUA_TSTRING ||
		    (check && !check(lua_tostring(L, -1)))) {
			vg_sbx_file_error(f, name, "item %zu of '%s' must be %s",
					  i, name, what);
			rc = -1;
		} else if ((copy = strdup(lua_tostring(L, -1))) == NULL ||
			   vg_sbx_push(out, n_out, copy) != 0) {
			free(copy);
			rc = -1;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return rc;
}

static bool
valid_plugin_name(const char *s)
{
	return vg_sbx_valid_key(s, "-");
}

int
vg_sbx_manifest_load(struct vg_sbx_plugin *plugin, const char *path,
		     const char *source)
{
	static const char *const fields[] = {
		"title", "description", "author", "version", "dependencies",
		"license", "url", NULL,
	};
	struct vg_sbx_file f = { plugin, path, source };
	lua_State *L = plugin->L;
	int t;
	int rc = 0;

	plugin->manifest_line = vg_sbx_guess_line(source, "dependencies");
	if (vg_sbx_file_run(&f) != 0)
		return -1;
	t = lua_gettop(L);
	rc |= vg_sbx_check_fields(&f, t, fields);
	rc |= vg_sbx_get_string(&f, t, "title", true, &plugin->title);
	rc |= vg_sbx_get_string(&f, t, "description", false,
				&plugin->description);
	rc |= vg_sbx_get_string(&f, t, "author", false, &plugin->author);
	rc |= vg_sbx_get_string(&f, t, "version", false, &plugin->version);
	rc |= get_string_list(&f, t, "dependencies", valid_plugin_name,
			      "a plugin folder name", 64, &plugin->deps,
			      &plugin->n_deps);
	lua_pop(L, 1);
	return rc ? -1 : 0;
}

static struct vg_sbx_alert *
find_alert_in(struct vg_sbx_plugin *owner, const char *key)
{
	size_t i;

	for (i = 0; i < owner->n_alerts; i++) {
		if (strcmp(owner->alerts[i]->key, key) == 0)
			return owner->alerts[i];
	}
	return NULL;
}

struct vg_sbx_alert *
vg_sbx_find_alert(struct vg_sbx *sbx, struct vg_sbx_plugin *plugin,
		  const char *key, bool visible_only)
{
	struct vg_sbx_alert *found = find_alert_in(plugin, key);
	size_t i;

	for (i = 0; found == NULL && i < sbx->n_plugins; i++) {
		struct vg_sbx_plugin *owner = sbx->plugins[i];

		if (!owner->loaded ||
		    (visible_only && !vg_sbx_plugin_sees(sbx, plugin, owner)))
			continue;
		found = find_alert_in(owner, key);
	}
	return found;
}

struct vg_sbx_status *
vg_sbx_find_status(struct vg_sbx *sbx, struct vg_sbx_plugin *plugin,
		   const char *key)
{
	size_t i;
	size_t j;

	for (i = 0; i <= sbx->n_plugins; i++) {
		struct vg_sbx_plugin *owner =
			i < sbx->n_plugins ? sbx->plugins[i] : plugin;

		if (owner != plugin && !owner->loaded)
			continue;
		for (j = 0; j < owner->n_statuses; j++) {
			if (strcmp(owner->statuses[j]->key, key) == 0)
				return owner->statuses[j];
		}
	}
	return NULL;
}

static const struct {
	const char *name;
	Vigil__V1__Severity severity;
} severities[] = {
	{ "info", VIGIL__V1__SEVERITY__SEVERITY_INFO },
	{ "notice", VIGIL__V1__SEVERITY__SEVERITY_NOTICE },
	{ "warning", VIGIL__V1__SEVERITY__SEVERITY_WARNING },
	{ "error", VIGIL__V1__SEVERITY__SEVERITY_ERROR },
	{ "critical", VIGIL__V1__SEVERITY__SEVERITY_CRITICAL },
};

void
vg_sbx_alert_free(struct vg_sbx_alert *alert)
{
	if (alert == NULL)
		return;
	free(alert->key);
	free(alert->title);
	free(alert->description);
	free(alert->file);
	free(alert);
}

int
vg_sbx_alert_load(struct vg_sbx_plugin *plugin, const char *path,
		  const char *source)
{
	static const char *const fields[] = { "key", "title", "description",
					      "severity", NULL };
	struct vg_sbx_file f = { plugin, path, source };
	struct vg_sbx_alert *alert = calloc(1, sizeof(*alert));
	struct vg_sbx_alert *other;
	lua_State *L = plugin->L;
	char *severity = NULL;
	size_t i;
	int rc = 0;
	int t;

	if (alert == NULL || vg_sbx_file_run(&f) != 0) {
		free(alert);
		return -1;
	}
	t = lua_gettop(L);
	alert->plugin = plugin;
	alert->file = strdup(path);
	rc |= vg_sbx_check_fields(&f, t, fields);
	rc |= vg_sbx_get_string(&f, t, "key", true, &alert->key);
	rc |= vg_sbx_get_string(&f, t, "title", true, &alert->title);
	rc |= vg_sbx_get_string(&f, t, "description", false,
				&alert->description);
	rc |= vg_sbx_get_string(&f, t, "severity", true, &severity);
	lua_pop(L, 1);
	if (alert->key != NULL && !vg_sbx_valid_key(alert->key, NULL)) {
		vg_sbx_file_error(&f, "key", "key '%s' must be 1..64 of a-z, "
				  "0-9 and _", alert->key);
		rc = -1;
	}
	if (severity != NULL) {
		for (i = 0; i < sizeof(severities) / sizeof(severities[0]); i++)
			if (strcmp(severity, severities[i].name) == 0)
				break;
		if (i == sizeof(severities) / sizeof(severities[0])) {
			vg_sbx_file_error(&f, "severity", "severity '%s' must "
					  "be info, notice, warning, error or "
					  "critical", severity);
			rc = -1;
		} else {
			alert->severity = severities[i].severity;
		}
	}
	free(severity);
	if (rc == 0 && (other = vg_sbx_find_alert(plugin->sbx, plugin,
						  alert->key, false)) != NULL) {
		vg_sbx_file_error(&f, "key", "alert key '%s' is already "
				  "defined in %s", alert->key, other->file);
		rc = -1;
	}
	if (rc != 0 || alert->file == NULL ||
	    vg_sbx_push(&plugin->alerts, &plugin->n_alerts, alert) != 0) {
		vg_sbx_alert_free(alert);
		return -1;
	}
	return 0;
}

void
vg_sbx_status_free(struct vg_sbx_status *status)
{
	if (status == NULL)
		return;
	free(status->key);
	free(status->title);
	free(status->description);
	free(status->file);
	free(status);
}

int
vg_sbx_status_load(struct vg_sbx_plugin *plugin, const char *path,
		   const char *source)
{
	static const char *const fields[] = { "key", "title", "description",
					      "alert", "score", NULL };
	struct vg_sbx_file f = { plugin, path, source };
	struct vg_sbx_status *status = calloc(1, sizeof(*status));
	struct vg_sbx_status *other;
	lua_State *L = plugin->L;
	char *alert = NULL;
	double score = 0;
	int rc = 0;
	int t;

	if (status == NULL || vg_sbx_file_run(&f) != 0) {
		free(status);
		return -1;
	}
	t = lua_gettop(L);
	status->plugin = plugin;
	status->file = strdup(path);
	rc |= vg_sbx_check_fields(&f, t, fields);
	rc |= vg_sbx_get_string(&f, t, "key", true, &status->key);
	rc |= vg_sbx_get_string(&f, t, "title", true, &status->title);
	rc |= vg_sbx_get_string(&f, t, "description", false,
				&status->description);
	rc |= vg_sbx_get_string(&f, t, "alert", false, &alert);
	rc |= get_integer(&f, t, "score", true, 0, VG_SBX_MAX_SCORE, &score);
	lua_pop(L, 1);
	status->score = (uint32_t)score;
	if (status->key != NULL && !vg_sbx_valid_key(status->key, NULL)) {
		vg_sbx_file_error(&f, "key", "key '%s' must be 1..64 of a-z, "
				  "0-9 and _", status->key);
		rc = -1;
	}
	if (alert != NULL) {
		status->alert = vg_sbx_find_alert(plugin->sbx, plugin, alert,
						  true);
		if (status->alert == NULL) {
			vg_sbx_file_error(&f, "alert", "alert '%s' is not "
					  "defined by this plugin or its "
					  "dependencies", alert);
			rc = -1;
		}
	}
	free(alert);
	if (rc == 0 && (other = vg_sbx_find_status(plugin->sbx, plugin,
						   status->key)) != NULL) {
		vg_sbx_file_error(&f, "key", "status key '%s' is already "
				  "defined in %s", status->key, other->file);
		rc = -1;
	}
	if (rc != 0 || status->file == NULL ||
	    vg_sbx_push(&plugin->statuses, &plugin->n_statuses, status) != 0) {
		vg_sbx_status_free(status);
		return -1;
	}
	return 0;
}

void
vg_sbx_schema_free(struct vg_sbx_schema *schema)
{
	size_t i;

	if (schema == NULL)
		return;
	free(schema->name);
	for (i = 0; i < schema->n_tags; i++)
		free(schema->tags[i]);
	free(schema->tags);
	for (i = 0; i < schema->n_metrics; i++)
		free(schema->metrics[i].name);
	free(schema->metrics);
	free(schema->file);
	free(schema);
}

static bool
valid_name(const char *s)
{
	return vg_sbx_valid_key(s, NULL);
}

static struct vg_sbx_schema *
find_schema(struct vg_sbx *sbx, struct vg_sbx_plugin *plugin,
	    const char *name)
{
	size_t i;
	size_t j;

	for (i = 0; i <= sbx->n_plugins; i++) {
		struct vg_sbx_plugin *owner =
			i < sbx->n_plugins ? sbx->plugins[i] : plugin;

		if (owner != plugin && !owner->loaded)
			continue;
		for (j = 0; j < owner->n_schemas; j++) {
			if (strcmp(owner->schemas[j]->name, name) == 0)
				return owner->schemas[j];
		}
	}
	return NULL;
}

/* Reads metrics = { {name = "...", type = "gauge"|"counter"}, ... }. */
static int
load_metrics(const struct vg_sbx_file *f, int t, struct vg_sbx_schema *s)
{
	static const char *const fields[] = { "name", "type", NULL };
	lua_State *L = f->plugin->L;
	size_t n;
	size_t i;
	int rc = 0;

	lua_getfield(L, t, "metrics");
	if (!lua_istable(L, -1) || (n = lua_objlen(L, -1)) == 0 ||
	    n > VG_SBX_MAX_METRICS) {
		vg_sbx_file_error(f, "metrics", "schema '%s': metrics must be a "
				  "list of 1..%d {name = ..., type = ...}",
				  s->name, VG_SBX_MAX_METRICS);
		lua_pop(L, 1);
		return -1;
	}
	s->metrics = calloc(n, sizeof(*s->metrics));
	if (s->metrics == NULL) {
		lua_pop(L, 1);
		return -1;
	}
	for (i = 1; i <= n && rc == 0; i++) {
		struct vg_sbx_metric *m = &s->metrics[s->n_metrics];
		char *type = NULL;
		size_t j;
		int mt;

		lua_rawgeti(L, -1, (int)i);
		mt = lua_gettop(L);
		if (!lua_istable(L, mt)) {
			vg_sbx_file_error(f, "metrics", "schema '%s': metric "
					  "%zu must be {name = ..., type = ...}",
					  s->name, i);
			lua_pop(L, 1);
			rc = -1;
			break;
		}
		rc |= vg_sbx_check_fields(f, mt, fields);
		rc |= vg_sbx_get_string(f, mt, "name", true, &m->name);
		rc |= vg_sbx_get_string(f, mt, "type", true, &type);
		lua_pop(L, 1);
		if (m->name != NULL)
			s->n_metrics++;
		if (rc != 0) {
			free(type);
			break;
		}
		if (!valid_name(m->name)) {
			vg_sbx_file_error(f, "metrics", "schema '%s': metric "
					  "name '%s' must be 1..64 of a-z, 0-9 "
					  "and _", s->name, m->name);
			rc = -1;
		} else if (strcmp(type, "gauge") != 0 &&
			   strcmp(type, "counter") != 0) {
			vg_sbx_file_error(f, "type", "schema '%s': metric '%s' "
					  "type must be gauge or counter",
					  s->name, m->name);
			rc = -1;
		}
		m->counter = type != NULL && strcmp(type, "counter") == 0;
		free(type);
		for (j = 0; rc == 0 && j + 1 < s->n_metrics; j++) {
			if (strcmp(s->metrics[j].name, m->name) == 0) {
				vg_sbx_file_error(f, "metrics", "schema '%s': "
						  "metric '%s' given twice",
						  s->name, m->name);
				rc = -1;
			}
		}
	}
	lua_pop(L, 1);
	return rc;
}

static int
load_schema(const struct vg_sbx_file *f, int t, unsigned int step)
{
	static const char *const fields[] = { "name", "tags", "metrics",
					      "description", NULL };
	struct vg_sbx_plugin *plugin = f->plugin;
	struct vg_sbx_schema *s = calloc(1, sizeof(*s));
	struct vg_sbx_schema *other;
	size_t i;
	size_t j;
	int rc = 0;

	if (s == NULL)
		return -1;
	s->plugin = plugin;
	s->step = step;
	s->file = strdup(f->path);
	rc |= vg_sbx_check_fields(f, t, fields);
	rc |= vg_sbx_get_string(f, t, "name", true, &s->name);
	if (rc != 0 || s->file == NULL)
		goto fail;
	if (!vg_sbx_valid_key(s->name, ":")) {
		vg_sbx_file_error(f, "name", "schema name '%s' must be 1..64 "
				  "of a-z, 0-9, _ and :", s->name);
		goto fail;
	}
	rc |= get_string_list(f, t, "tags", valid_name,
			      "a name of a-z, 0-9 and _", VG_SBX_MAX_TAGS,
			      &s->tags, &s->n_tags);
	for (i = 0; rc == 0 && i < s->n_tags; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(s->tags[i], s->tags[j]) == 0) {
				vg_sbx_file_error(f, "tags", "schema '%s': tag "
						  "'%s' given twice", s->name,
						  s->tags[i]);
				rc = -1;
			}
		}
	}
	rc |= load_metrics(f, t, s);
	if (rc != 0)
		goto fail;
	other = find_schema(plugin->sbx, plugin, s->name);
	if (other != NULL) {
		vg_sbx_load_error(plugin->sbx, f->path,
				  vg_sbx_guess_value_line(f->source, s->name),
				  "schema '%s' is already defined in %s",
				  s->name, other->file);
		plugin->load_errors++;
		goto fail;
	}
	if (vg_sbx_push(&plugin->schemas, &plugin->n_schemas, s) != 0)
		goto fail;
	return 0;
fail:
	vg_sbx_schema_free(s);
	return -1;
}

int
vg_sbx_schemas_load(struct vg_sbx_plugin *plugin, const char *path,
		    const char *source, unsigned int step)
{
	struct vg_sbx_file f = { plugin, path, source };
	lua_State *L = plugin->L;
	size_t n;
	size_t i;
	int rc = 0;
	int t;

	if (vg_sbx_file_run(&f) != 0)
		return -1;
	t = lua_gettop(L);
	n = lua_objlen(L, t);
	if (n == 0) {
		vg_sbx_file_error(&f, NULL, "must return a list of schemas "
				  "({name = ..., tags = ..., metrics = ...})");
		lua_pop(L, 1);
		return -1;
	}
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, t, (int)i);
		if (!lua_istable(L, -1)) {
			vg_sbx_file_error(&f, NULL, "schema %zu must be a table",
					  i);
			rc = -1;
		} else if (load_schema(&f, lua_gettop(L), step) != 0) {
			rc = -1;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return rc;
}

int
vg_sbx_menu_load(struct vg_sbx_plugin *plugin, const char *path,
		 const char *source)
{
	static const char *const fields[] = { "label", "page", "sort_order",
					      "icon", NULL };
	struct vg_sbx_file f = { plugin, path, source };
	lua_State *L = plugin->L;
	double sort_order = 0;
	char *icon = NULL;
	int rc = 0;
	int t;

	if (vg_sbx_file_run(&f) != 0)
		return -1;
	t = lua_gettop(L);
	rc |= vg_sbx_check_fields(&f, t, fields);
	rc |= vg_sbx_get_string(&f, t, "label", true, &plugin->menu_label);
	rc |= vg_sbx_get_string(&f, t, "page", true, &plugin->menu_page);
	rc |= vg_sbx_get_string(&f, t, "icon", false, &icon);
	rc |= get_integer(&f, t, "sort_order", false, -1000000, 1000000,
			  &sort_order);
	lua_pop(L, 1);
	free(icon);
	/* NOTE: only the page file's presence is checked here; pages are
	 * rendered by vigil-web's page sandbox. */
	if (plugin->menu_page != NULL) {
		char page[4096];
		struct stat st;

		snprintf(page, sizeof(page), "%s/web_gui/%s", plugin->dir,
			 plugin->menu_page);
		if (strchr(plugin->menu_page, '/') != NULL ||
		    plugin->menu_page[0] == '.' || stat(page, &st) != 0 ||
		    !S_ISREG(st.st_mode)) {
			vg_sbx_file_error(&f, "page", "page '%s' must name a "
					  "file in web_gui/", plugin->menu_page);
			rc = -1;
		}
	}
	return rc ? -1 : 0;
}

/* Every key is a string and every value a string or a table of them. */
static int
check_locale_table(const struct vg_sbx_file *f, int t, int depth)
{
	lua_State *L = f->plugin->L;
	int rc = 0;

	if (depth > MAX_LOCALE_DEPTH) {
		vg_sbx_file_error(f, NULL, "locale tables nest deeper than %d",
				  MAX_LOCALE_DEPTH);
		return -1;
	}
	lua_pushnil(L);
	while (rc == 0 && lua_next(L, t) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING) {
			vg_sbx_file_error(f, NULL, "locale keys must be "
					  "strings");
			rc = -1;
		} else if (lua_istable(L, -1)) {
			rc = check_locale_table(f, lua_gettop(L), depth + 1);
		} else if (lua_type(L, -1) != LUA_TSTRING) {
			vg_sbx_file_error(f, lua_tostring(L, -2), "locale string "
					  "'%s' must be a string",
					  lua_tostring(L, -2));
			rc = -1;
		}
		lua_pop(L, 1);
	}
	if (rc != 0)
		lua_pop(L, 1);
	return rc;
}

static bool
valid_lang(const char *lang)
{
	size_t len = strlen(lang);

	if (len != 2 && len != 5)
		return false;
	if (lang[0] < 'a' || lang[0] > 'z' || lang[1] < 'a' || lang[1] > 'z')
		return false;
	return len == 2 || (lang[2] == '_' && lang[3] >= 'A' &&
			    lang[3] <= 'Z' && lang[4] >= 'A' && lang[4] <= 'Z');
}

int
vg_sbx_locale_load(struct vg_sbx_plugin *plugin, const char *path,
		   const char *source, const char *lang)
{
	struct vg_sbx_file f = { plugin, path, source };
	lua_State *L = plugin->L;
	char *copy;
	int rc;

	if (!valid_lang(lang)) {
		vg_sbx_load_error(plugin->sbx, path, 1, "locale file names are "
				  "a language code such as en.lua or pt_BR.lua");
		plugin->load_errors++;
		return -1;
	}
	if (vg_sbx_file_run(&f) != 0)
		return -1;
	rc = check_locale_table(&f, lua_gettop(L), 1);
	lua_pop(L, 1);
	copy = strdup(lang);
	if (rc == 0 && (copy == NULL ||
			vg_sbx_push(&plugin->locales, &plugin->n_locales,
				    copy) != 0)) {
		free(copy);
		return -1;
	}
	if (rc != 0)
		free(copy);
	return rc;
}
