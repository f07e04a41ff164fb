/*
 * Finding plugins and loading them in dependency order.
 *
 * A plugin folder is plugins/<group>/<plugin>/ with a manifest.lua; its
 * name is the folder name and must be unique across every --plugins
 * folder. Manifests are read first, so dependencies are known before any
 * other file runs. A plugin then loads once every plugin it depends on
 * has loaded. It is skipped when one of them is missing, skipped or part
 * of a cycle. Folders and files are visited in sorted order, so the load
 * order, and with it the script numbers vigild sees in the status block,
 * is the same on every start.
 *
 * A plugin with any error is skipped as a whole: its definitions are kept
 * aside while it loads and become visible to other plugins only once
 * every file of it has loaded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>

#include "common/log.h"
#include "common/sandbox_shm.h"
#include "sandbox/sandbox.h"

#define MIN_HEAP_BYTES (16u << 20)

int
vg_sbx_push(void *arr, size_t *n, void *item)
{
	void ***items = arr;
	void **grown = realloc(*items, (*n + 1) * sizeof(void *));

	if (grown == NULL)
		return -ENOMEM;
	grown[(*n)++] = item;
	*items = grown;
	return 0;
}

void
vg_sbx_load_error(struct vg_sbx *sbx, const char *file, unsigned int line,
		  const char *fmt, ...)
{
	char msg[1024];
	char text[2048];
	char *copy;
	char *plugin;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file == NULL)
		snprintf(text, sizeof(text), "%s", msg);
	else if (line > 0)
		snprintf(text, sizeof(text), "%s:%u: %s", file, line, msg);
	else
		snprintf(text, sizeof(text), "%s: %s", file, msg);
	if (sbx->report != NULL)
		sbx->report(sbx, text);
	copy = strdup(text);
	plugin = sbx->loading ? strdup(sbx->loading->name) : NULL;
	n = sbx->n_load_errors;
	if (copy == NULL || vg_sbx_push(&sbx->load_errors, &n, copy) != 0) {
		free(copy);
		free(plugin);
		return;
	}
	n = sbx->n_load_errors;
	if (vg_sbx_push(&sbx->load_error_plugins, &n, plugin) != 0) {
		/* Keep the arrays the same length. */
		free(plugin);
		free(copy);
		return;
	}
	sbx->n_load_errors++;
}

/* Puts every alert and status <plugin> may use, and its own schemas, in
 * the registry tables the API looks keys up in. */
static void
publish_definitions(struct vg_sbx *sbx, struct vg_sbx_plugin *plugin)
{
	lua_State *L = plugin->L;
	size_t i;
	size_t j;

	lua_getfield(L, LUA_REGISTRYINDEX, VG_SBX_ALERTS_KEY);
	lua_getfield(L, LUA_REGISTRYINDEX, VG_SBX_STATUSES_KEY);
	for (i = 0; i <= sbx->n_plugins; i++) {
		struct vg_sbx_plugin *owner =
			i < sbx->n_plugins ? sbx->plugins[i] : plugin;

		if (owner != plugin &&
		    (!owner->loaded || !vg_sbx_plugin_sees(sbx, plugin, owner)))
			continue;
		for (j = 0; j < owner->n_alerts; j++) {
			lua_pushlightuserdata(L, owner->alerts[j]);
			lua_setfield(L, -3, owner->alerts[j]->key);
		}
		for (j = 0; j < owner->n_statuses; j++) {
			lua_pushlightuserdata(L, owner->statuses[j]);
			lua_setfield(L, -2, owner->statuses[j]->key);
		}
	}
	lua_pop(L, 2);
	lua_getfield(L, LUA_REGISTRYINDEX, VG_SBX_SCHEMAS_KEY);
	for (j = 0; j < plugin->n_schemas; j++) {
		lua_pushlightuserdata(L, plugin->schemas[j]);
		lua_setfield(L, -2, plugin->schemas[j]->name);
	}
	lua_pop(L, 1);
}

static void
free_plugin_defs(struct vg_sbx_plugin *plugin)
{
	size_t i;

	for (i = 0; i < plugin->n_alerts; i++)
		vg_sbx_alert_free(plugin->alerts[i]);
	for (i = 0; i < plugin->n_statuses; i++)
		vg_sbx_status_free(plugin->statuses[i]);
	for (i = 0; i < plugin->n_schemas; i++)
		vg_sbx_schema_free(plugin->schemas[i]);
	for (i = 0; i < plugin->n_scripts; i++)
		vg_sbx_script_free(plugin->scripts[i]);
	free(plugin->alerts);
	free(plugin->statuses);
	free(plugin->schemas);
	free(plugin->scripts);
	plugin->alerts = NULL;
	plugin->statuses = NULL;
	plugin->schemas = NULL;
	plugin->scripts = NULL;
	plugin->n_alerts = 0;
	plugin->n_statuses = 0;
	plugin->n_schemas = 0;
	plugin->n_scripts = 0;
}

void
vg_sbx_plugin_close(struct vg_sbx_plugin *plugin)
{
	size_t i;

	if (plugin->L != NULL)
		lua_close(plugin->L);
	plugin->L = NULL;
	for (i = 0; i < VG_SBX_KINDS; i++)
		plugin->proxy[i] = NULL;
	plugin->n_engaged = 0;
	plugin->n_engaged_flows = 0;
}

static void
skip_plugin(struct vg_sbx_plugin *plugin, const char *why)
{
	VG_WARN(VG_SBX_TAG, "plugin=%s dir=%s skipped: %s", plugin->name,
		plugin->dir, why);
	plugin->skipped = true;
	free_plugin_defs(plugin);
	vg_sbx_plugin_close(plugin);
}

void
vg_sbx_publish_loading(struct vg_sbx *sbx, const struct vg_sbx_plugin *plugin)
{
	size_t len = plugin != NULL ? strlen(plugin->name) : 0;

	if (sbx->status_loading == NULL)
		return;
	/* A cut name could match another plugin; vigild gets none. */
	if (len >= VG_SANDBOX_LOADING_LEN)
		len = 0;
	memcpy(sbx->status_loading, plugin != NULL ? plugin->name : "", len);
	sbx->status_loading[len] = '\0';
}

/* Loads everything of <plugin> but its manifest, read already. */
static void
load_plugin(struct vg_sbx *sbx, struct vg_sbx_plugin *plugin)
{
	char why[64];

	sbx->loading = plugin;
	vg_sbx_publish_loading(sbx, plugin);
	vg_sbx_load_definitions(plugin);
	publish_definitions(sbx, plugin);
	vg_sbx_load_scripts_and_gui(plugin);
	if (plugin->load_errors) {
		snprintf(why, sizeof(why), "%u errors", plugin->load_errors);
		skip_plugin(plugin, why);
		return;
	}
	plugin->loaded = true;
}

static bool
listed(char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0 || strcmp(names[i], "all") == 0)
			return true;
	}
	return false;
}

static struct vg_sbx_plugin *
find_plugin(struct vg_sbx *sbx, const char *name)
{
	size_t i;

	for (i = 0; i < sbx->n_plugins; i++) {
		if (strcmp(sbx->plugins[i]->name, name) == 0)
			return sbx->plugins[i];
	}
	return NULL;
}

bool
vg_sbx_plugin_sees(struct vg_sbx *sbx, const struct vg_sbx_plugin *plugin,
		   const struct vg_sbx_plugin *owner)
{
	size_t i;

	if (plugin == owner)
		return true;
	for (i = 0; i < plugin->n_deps; i++) {
		const struct vg_sbx_plugin *dep =
			find_plugin(sbx, plugin->deps[i]);

		/* The graph is acyclic once loaded: cycles are skipped. */
		if (dep != NULL && dep->loaded &&
		    vg_sbx_plugin_sees(sbx, dep, owner))
			return true;
	}
	return false;
}

static struct vg_sbx_plugin *
new_plugin(struct vg_sbx *sbx, const char *dir, const char *group,
	   const char *name)
{
	struct vg_sbx_plugin *plugin = calloc(1, sizeof(*plugin));
	char *group_dir = vg_sbx_path_join(dir, group);

	if (plugin == NULL || group_dir == NULL)
		goto fail;
	plugin->sbx = sbx;
	plugin->name = strdup(name);
	plugin->group = strdup(group);
	plugin->dir = vg_sbx_path_join(group_dir, name);
	if (plugin->name == NULL || plugin->group == NULL ||
	    plugin->dir == NULL)
		goto fail;
	plugin->heap_limit = (size_t)sbx->opt.memory_mb * (1u << 20) / 2;
	if (plugin->heap_limit < MIN_HEAP_BYTES)
		plugin->heap_limit = MIN_HEAP_BYTES;
	plugin->jit = listed(sbx->opt.jit, sbx->opt.n_jit, name);
	free(group_dir);
	return plugin;
fail:
	free(group_dir);
	if (plugin != NULL) {
		free(plugin->name);
		free(plugin->group);
		free(plugin->dir);
	}
	free(plugin);
	return NULL;
}

/* Returns true when <dir>/<sub>/manifest.lua is a file (<sub> may be ""). */
static bool
has_manifest_in(const char *dir, const char *sub)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s%smanifest.lua", dir,
			     sub, sub[0] != '\0' ? "/" : "") >= sizeof(path))
		return false;
	return vg_sbx_is_file(path);
}

/*
 * Reports that the --plugins folder <dir>, whose subfolders are <groups>,
 * contains no <group>/<plugin>/manifest.lua. A manifest.lua in <dir> or
 * in one of its subfolders means <dir> is a plugin or a group folder,
 * given in place of the plugins folder above it, so the message names
 * that folder.
 */
static void
report_no_plugin(struct vg_sbx *sbx, const char *dir, char *const *groups,
		 size_t n_groups)
{
	static const char none[] =
		"no plugin found (no <group>/<plugin>/manifest.lua)";
	char up[4096];
	size_t levels = 0;
	size_t i;

	if (has_manifest_in(dir, ""))
		levels = 2;
	for (i = 0; i < n_groups && levels == 0; i++) {
		if (has_manifest_in(dir, groups[i]))
			levels = 1;
	}
	if (levels == 0) {
		vg_sbx_load_error(sbx, dir, 0, "%s%s", none,
				  n_groups == 0 ? ": the folder has no subfolder" :
						  "");
		return;
	}
	if (realpath(dir, up) == NULL)
		snprintf(up, sizeof(up), "%s", dir);
	for (i = 0; i < levels; i++) {
		char *slash = strrchr(up, '/');

		if (slash == NULL || slash == up)
			break;
		*slash = '\0';
	}
	vg_sbx_load_error(sbx, dir, 0, "%s: this folder is %s; pass %s instead",
			  none, levels == 1 ? "a plugin group" : "a plugin",
			  up);
}

/* Finds plugins under one --plugins folder: <dir>/<group>/<plugin>/. */
static int
discover(struct vg_sbx *sbx, const char *dir)
{
	char **groups = NULL;
	size_t n_groups = 0;
	size_t n_found = 0;
	size_t i;
	int rc;
	struct stat st;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		vg_sbx_load_error(sbx, dir, 0, "plugin folder not found");
		return 0;
	}
	rc = vg_sbx_list_dir(dir, NULL, &groups, &n_groups);
	if (rc != 0) {
		vg_sbx_load_error(sbx, dir, 0, "cannot list: %s",
				  strerror(-rc));
		return rc == -ENOMEM ? rc : 0;
	}
	for (i = 0; i < n_groups && rc == 0; i++) {
		char *group_dir = vg_sbx_path_join(dir, groups[i]);
		char **names = NULL;
		size_t n_names = 0;
		size_t j;

		if (group_dir == NULL) {
			rc = -ENOMEM;
			break;
		}
		rc = vg_sbx_list_dir(group_dir, NULL, &names, &n_names);
		if (rc != 0) {
			vg_sbx_load_error(sbx, group_dir, 0, "cannot list: %s",
					  strerror(-rc));
			free(group_dir);
			rc = rc == -ENOMEM ? rc : 0;
			continue;
		}
		for (j = 0; j < n_names; j++) {
			struct vg_sbx_plugin *plugin;
			struct vg_sbx_plugin *other;
			char *pdir = vg_sbx_path_join(group_dir, names[j]);
			char *manifest = pdir ? vg_sbx_path_join(pdir, "manifest.lua") :
						NULL;
			bool has_manifest = manifest && vg_sbx_is_file(manifest);

			if (has_manifest)
				n_found++;
			other = find_plugin(sbx, names[j]);
			if (has_manifest && other != NULL)
				vg_sbx_load_error(sbx, manifest, 1,
						  "plugin name '%s' is taken by "
						  "%s (plugin folder names must "
						  "be unique)", names[j],
						  other->dir);
			free(manifest);
			free(pdir);
			if (!has_manifest || other != NULL)
				continue;
			plugin = new_plugin(sbx, dir, groups[i], names[j]);
			if (plugin == NULL ||
			    vg_sbx_push(&sbx->plugins, &sbx->n_plugins,
					plugin) != 0) {
				rc = -ENOMEM;
				break;
			}
		}
		vg_sbx_free_names(names, n_names);
		free(group_dir);
	}
	if (rc == 0 && n_found == 0)
		report_no_plugin(sbx, dir, groups, n_groups);
	vg_sbx_free_names(groups, n_groups);
	return rc;
}

/* Opens <plugin>'s state and reads its manifest; false when skipped. */
static bool
start_plugin(struct vg_sbx *sbx, struct vg_sbx_plugin *plugin)
{
	char *manifest;
	char *source;
	int rc;

	sbx->loading = plugin;
	vg_sbx_publish_loading(sbx, plugin);
	if (listed(sbx->opt.disable, sbx->opt.n_disable, plugin->name)) {
		VG_INFO(VG_SBX_TAG, "plugin=%s disabled by --disable",
			plugin->name);
		plugin->skipped = true;
		return false;
	}
	if (vg_sbx_state_open(plugin) != 0) {
		vg_sbx_load_error(sbx, plugin->dir, 0,
				  "cannot create a Lua state: out of memory");
		plugin->skipped = true;
		return false;
	}
	/* Modules first, so every file of the plugin can require them. */
	vg_sbx_load_modules(plugin);
	manifest = vg_sbx_path_join(plugin->dir, "manifest.lua");
	source = manifest ? vg_sbx_plugin_read(plugin, manifest) : NULL;
	rc = source ? vg_sbx_manifest_load(plugin, manifest, source) : -1;
	if (plugin->load_errors)
		rc = -1;
	free(source);
	free(manifest);
	if (rc != 0) {
		skip_plugin(plugin, "errors in its manifest or modules");
		return false;
	}
	return true;
}

/*
 * Reports why <plugin> cannot load yet, or returns true when every
 * dependency has loaded. <*blocked> is set when one is still pending.
 */
static bool
dependencies_ready(struct vg_sbx *sbx, struct vg_sbx_plugin *plugin,
		   bool *blocked)
{
	char manifest[4096];
	size_t i;

	*blocked = false;
	sbx->loading = plugin;
	snprintf(manifest, sizeof(manifest), "%s/manifest.lua", plugin->dir);
	for (i = 0; i < plugin->n_deps; i++) {
		struct vg_sbx_plugin *dep = find_plugin(sbx, plugin->deps[i]);

		if (dep == NULL || dep->skipped) {
			vg_sbx_load_error(sbx, manifest,
					  plugin->manifest_line,
					  dep == NULL ?
						  "dependency '%s' not found" :
						  "dependency '%s' was skipped",
					  plugin->deps[i]);
			skip_plugin(plugin, "dependency missing");
			return false;
		}
		if (!dep->loaded)
			*blocked = true;
	}
	return !*blocked;
}

/* Loads pending plugins whose dependencies are met until none is left. */
static int
resolve_and_load(struct vg_sbx *sbx, struct vg_sbx_plugin **order,
		 size_t *n_order)
{
	bool progress = true;
	size_t i;

	while (progress) {
		progress = false;
		for (i = 0; i < sbx->n_plugins; i++) {
			struct vg_sbx_plugin *plugin = sbx->plugins[i];
			bool blocked;

			if (plugin->loaded || plugin->skipped)
				continue;
			if (!dependencies_ready(sbx, plugin, &blocked)) {
				progress = progress || !blocked;
				continue;
			}
			load_plugin(sbx, plugin);
			if (plugin->loaded)
				order[(*n_order)++] = plugin;
			progress = true;
		}
	}
	for (i = 0; i < sbx->n_plugins; i++) {
		struct vg_sbx_plugin *plugin = sbx->plugins[i];
		char manifest[4096];

		if (plugin->loaded || plugin->skipped)
			continue;
		snprintf(manifest, sizeof(manifest), "%s/manifest.lua",
			 plugin->dir);
		sbx->loading = plugin;
		vg_sbx_load_error(sbx, manifest, plugin->manifest_line,
				  "dependency cycle: plugin '%s' depends on "
				  "itself through its dependencies",
				  plugin->name);
		skip_plugin(plugin, "dependency cycle");
	}
	return 0;
}

/* Orders sbx->plugins as loaded, then the skipped ones, and fills the
 * sandbox-wide arrays of scripts and definitions. */
static int
index_loaded(struct vg_sbx *sbx, struct vg_sbx_plugin **order,
	     size_t n_order)
{
	size_t n = n_order;
	size_t i;
	size_t j;

	for (i = 0; i < sbx->n_plugins; i++) {
		if (!sbx->plugins[i]->loaded)
			order[n++] = sbx->plugins[i];
	}
	memcpy(sbx->plugins, order, n * sizeof(*order));
	for (i = 0; i < n_order; i++) {
		struct vg_sbx_plugin *plugin = sbx->plugins[i];

		for (j = 0; j < plugin->n_alerts; j++)
			if (vg_sbx_push(&sbx->alerts, &sbx->n_alerts,
					plugin->alerts[j]) != 0)
				return -ENOMEM;
		for (j = 0; j < plugin->n_statuses; j++)
			if (vg_sbx_push(&sbx->statuses, &sbx->n_statuses,
					plugin->statuses[j]) != 0)
				return -ENOMEM;
		for (j = 0; j < plugin->n_schemas; j++)
			if (vg_sbx_push(&sbx->schemas, &sbx->n_schemas,
					plugin->schemas[j]) != 0)
				return -ENOMEM;
		for (j = 0; j < plugin->n_scripts; j++) {
			struct vg_sbx_script *script = plugin->scripts[j];

			script->index = (unsigned int)sbx->n_scripts;
			if (vg_sbx_push(&sbx->scripts, &sbx->n_scripts,
					script) != 0 ||
			    vg_sbx_push(&sbx->by_kind[script->kind],
					&sbx->n_by_kind[script->kind],
					script) != 0)
				return -ENOMEM;
		}
	}
	return 0;
}

int
vg_sbx_load(struct vg_sbx *sbx, const char *dirs)
{
	struct vg_sbx_plugin **order = NULL;
	size_t n_order = 0;
	char *copy = strdup(dirs);
	char *save = NULL;
	char *dir;
	size_t i;
	int rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	for (dir = strtok_r(copy, ",", &save); dir != NULL && rc == 0;
	     dir = strtok_r(NULL, ",", &save))
		rc = discover(sbx, dir);
	free(copy);
	if (rc != 0)
		return rc;

	for (i = 0; i < sbx->n_plugins; i++)
		start_plugin(sbx, sbx->plugins[i]);
	order = calloc(sbx->n_plugins + 1, sizeof(*order));
	if (order == NULL)
		return -ENOMEM;
	resolve_and_load(sbx, order, &n_order);
	sbx->loading = NULL;
	vg_sbx_publish_loading(sbx, NULL);
	rc = index_loaded(sbx, order, n_order);
	free(order);
	if (rc != 0)
		return rc;

	rc = vg_sbx_scripts_configure(sbx);
	if (rc < 0)
		return rc;
	for (i = 0; i < sbx->n_plugins; i++) {
		if (sbx->plugins[i]->loaded && sbx->plugins[i]->jit)
			vg_sbx_state_jit(sbx->plugins[i], true);
	}
	return (int)sbx->n_load_errors;
}

static void
free_plugin(struct vg_sbx_plugin *plugin)
{
	size_t i;

	free_plugin_defs(plugin);
	vg_sbx_plugin_close(plugin);
	vg_sbx_free_names(plugin->deps, plugin->n_deps);
	vg_sbx_free_names(plugin->files, plugin->n_files);
	vg_sbx_free_names(plugin->locales, plugin->n_locales);
	for (i = 0; i < plugin->n_modules; i++) {
		free(plugin->modules[i].name);
		free(plugin->modules[i].file);
	}
	free(plugin->modules);
	free(plugin->name);
	free(plugin->group);
	free(plugin->dir);
	free(plugin->title);
	free(plugin->description);
	free(plugin->author);
	free(plugin->version);
	free(plugin->menu_label);
	free(plugin->menu_page);
	free(plugin);
}

void
vg_sbx_free(struct vg_sbx *sbx)
{
	size_t i;

	for (i = 0; i < sbx->n_plugins; i++)
		free_plugin(sbx->plugins[i]);
	free(sbx->plugins);
	free(sbx->scripts);
	for (i = 0; i < VG_SBX_KINDS; i++)
		free(sbx->by_kind[i]);
	free(sbx->alerts);
	free(sbx->statuses);
	free(sbx->schemas);
	vg_sbx_free_names(sbx->load_errors, sbx->n_load_errors);
	vg_sbx_free_names(sbx->load_error_plugins, sbx->n_load_errors);
	vg_sbx_api_cleanup();
	sbx->plugins = NULL;
	sbx->n_plugins = 0;
	sbx->scripts = NULL;
	sbx->n_scripts = 0;
	sbx->alerts = NULL;
	sbx->statuses = NULL;
	sbx->schemas = NULL;
	sbx->load_errors = NULL;
	sbx->load_error_plugins = NULL;
	sbx->n_load_errors = 0;
	for (i = 0; i < VG_SBX_KINDS; i++) {
		sbx->by_kind[i] = NULL;
		sbx->n_by_kind[i] = 0;
	}
}
