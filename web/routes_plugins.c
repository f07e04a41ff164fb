/*
 * GET /plugins: vigild's sandboxes and the state of their scripts,
 * joined with the plugin folders on disk and the scripts' settings in
 * the configuration file.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/log.h"
#include "common/yaml_guard.h"
#include "routes.h"

typedef Vigil__Control__V1__Response Response;
typedef Vigil__Control__V1__Request Request;

/* ---- plugins ---- */

static const char *const script_kinds[] = { "flow", "host", "interface",
					    "network", "system", NULL };

/*
 * Returns the state of script <key> (<key_len> bytes) of <plugin> as a
 * sandbox described it after loading: a running sandbox's when one has
 * it, else the last one any sandbox sent. Returns NULL when no sandbox
 * described the script.
 */
static const Vigil__Control__V1__ScriptState *
find_script_state(const Vigil__Control__V1__PluginsResponse *pr,
		  const char *plugin, const char *key, size_t key_len)
{
	const Vigil__Control__V1__ScriptState *found = NULL;
	size_t s;
	size_t i;

	for (s = 0; s < pr->n_sandboxes; s++) {
		const Vigil__Control__V1__SandboxInfo *sb = pr->sandboxes[s];

		for (i = 0; i < sb->n_scripts; i++) {
			const Vigil__Control__V1__ScriptState *st =
				sb->scripts[i];

			if (strcmp(st->plugin, plugin) != 0 ||
			    strlen(st->key) != key_len ||
			    strncmp(st->key, key, key_len) != 0)
				continue;
			if (sb->running)
				return st;
			found = st;
		}
	}
	return found;
}

/* Appends "enabled" and "enabled_source" of <state>, null for both when
 * no sandbox described the script. */
static void
put_script_state(struct vg_jbuf *b,
		 const Vigil__Control__V1__ScriptState *state)
{
	if (state == NULL) {
		vg_jbuf_lit(b, ",\"enabled\":null,\"enabled_source\":null");
		return;
	}
	vg_jbuf_printf(b, ",\"enabled\":%s",
		       state->enabled ? "true" : "false");
	vg_jbuf_key(b, false, "enabled_source");
	vg_jbuf_string(b, state->enabled_source,
		       strlen(state->enabled_source));
}

/*
 * Appends the user scripts of the plugin <name> in <plugin_dir>, one per
 * file of user_scripts/<kind>/, with its state from the sandboxes in
 * <pr>. A script's key is its file name without ".lua".
 * NOTE: the sandboxes report the key a script declares, so a script whose
 * file is named otherwise is listed with a null state.
 */
static void
put_plugin_scripts(struct vg_jbuf *b, const char *plugin_dir,
		   const char *name,
		   const Vigil__Control__V1__PluginsResponse *pr)
{
	char path[VG_PATH_MAX];
	bool first = true;
	unsigned int k;

	vg_jbuf_lit(b, "[");
	for (k = 0; script_kinds[k] != NULL; k++) {
		struct dirent *e;
		DIR *d;

		snprintf(path, sizeof(path), "%s/user_scripts/%s", plugin_dir,
			 script_kinds[k]);
		d = opendir(path);
		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			size_t len = strlen(e->d_name);

			if (len <= 4 || strcmp(e->d_name + len - 4, ".lua") != 0)
				continue;
			vg_jbuf_raw(b, first ? "{" : ",{", first ? 1 : 2);
			vg_jbuf_key(b, true, "key");
			vg_jbuf_string(b, e->d_name, len - 4);
			vg_jbuf_key(b, false, "kind");
			vg_jbuf_string(b, script_kinds[k],
				       strlen(script_kinds[k]));
			put_script_state(b, find_script_state(pr, name,
							      e->d_name,
							      len - 4));
			vg_jbuf_lit(b, "}");
			first = false;
		}
		closedir(d);
	}
	vg_jbuf_lit(b, "]");
}

/* Appends sandbox indexes whose list <names> (from <sb>) has <plugin>. */
static void
put_sandbox_indexes(struct vg_jbuf *b, const char *key,
		    const Vigil__Control__V1__PluginsResponse *pr,
		    const char *plugin, bool disabled)
{
	bool first = true;
	size_t s;
	size_t i;

	vg_jbuf_key(b, false, key);
	vg_jbuf_lit(b, "[");
	for (s = 0; s < pr->n_sandboxes; s++) {
		const Vigil__Control__V1__SandboxInfo *sb = pr->sandboxes[s];
		char **names = disabled ? sb->disabled_plugins :
					  sb->loaded_plugins;
		size_t n = disabled ? sb->n_disabled_plugins :
				      sb->n_loaded_plugins;

		for (i = 0; i < n; i++) {
			if (strcmp(names[i], plugin) != 0)
				continue;
			vg_jbuf_printf(b, "%s%u", first ? "" : ",", sb->index);
			first = false;
			break;
		}
	}
	vg_jbuf_lit(b, "]");
}

static void
put_plugin(struct vg_jbuf *b, bool *first, const char *dir, const char *name,
	   const Vigil__Control__V1__PluginsResponse *pr)
{
	char path[VG_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	vg_jbuf_raw(b, *first ? "{" : ",{", *first ? 1 : 2);
	*first = false;
	vg_jbuf_key(b, true, "name");
	vg_jbuf_string(b, name, strlen(name));
	vg_jbuf_key(b, false, "path");
	vg_jbuf_string(b, path, strlen(path));
	vg_jbuf_key(b, false, "scripts");
	put_plugin_scripts(b, path, name, pr);
	put_sandbox_indexes(b, "loaded_in", pr, name, false);
	put_sandbox_indexes(b, "disabled_in", pr, name, true);
	vg_jbuf_lit(b, "}");
}

/*
 * Lists the plugin folders (those with a manifest.lua) in <dir> and one
 * level below it, as ntopng's group/plugin layout has them.
 */
static void
put_plugins_of(struct vg_jbuf *b, bool *first, const char *dir,
	       const Vigil__Control__V1__PluginsResponse *pr, int depth)
{
	char path[VG_PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/manifest.lua", dir,
			 e->d_name);
		if (vg_is_file(path)) {
			put_plugin(b, first, dir, e->d_name, pr);
		} else if (depth == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			put_plugins_of(b, first, path, pr, 1);
		}
	}
	closedir(d);
}

/* Appends <node> of <doc> as JSON; plain scalars that read as numbers,
 * booleans or null stay so, everything else is a string. */
static void
put_yaml(struct vg_jbuf *b, yaml_document_t *doc, yaml_node_t *node,
	 int depth)
{
	yaml_node_pair_t *pair;
	yaml_node_item_t *item;
	const char *text;
	char *end;

	if (node == NULL || depth > 16) {
		vg_jbuf_lit(b, "null");
		return;
	}
	switch (node->type) {
	case YAML_MAPPING_NODE:
		vg_jbuf_lit(b, "{");
		for (pair = node->data.mapping.pairs.start;
		     pair < node->data.mapping.pairs.top; pair++) {
			yaml_node_t *k = yaml_document_get_node(doc, pair->key);

			if (pair != node->data.mapping.pairs.start)
				vg_jbuf_lit(b, ",");
			text = k != NULL && k->type == YAML_SCALAR_NODE ?
				       (const char *)k->data.scalar.value :
				       "";
			vg_jbuf_string(b, text, strlen(text));
			vg_jbuf_lit(b, ":");
			put_yaml(b, doc, yaml_document_get_node(doc, pair->value),
				 depth + 1);
		}
		vg_jbuf_lit(b, "}");
		return;
	case YAML_SEQUENCE_NODE:
		vg_jbuf_lit(b, "[");
		for (item = node->data.sequence.items.start;
		     item < node->data.sequence.items.top; item++) {
			if (item != node->data.sequence.items.start)
				vg_jbuf_lit(b, ",");
			put_yaml(b, doc, yaml_document_get_node(doc, *item),
				 depth + 1);
		}
		vg_jbuf_lit(b, "]");
		return;
	case YAML_SCALAR_NODE:
		text = (const char *)node->data.scalar.value;
		if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			if (strcmp(text, "true") == 0 ||
			    strcmp(text, "false") == 0 ||
			    strcmp(text, "null") == 0) {
				vg_jbuf_raw(b, text, strlen(text));
				return;
			}
			strtod(text, &end);
			if (text[0] != '\0' && *end == '\0' &&
			    strspn(text, "0123456789.-+eE") == strlen(text)) {
				vg_jbuf_raw(b, text, strlen(text));
				return;
			}
		}
		vg_jbuf_string(b, text, strlen(text));
		return;
	default:
		vg_jbuf_lit(b, "null");
	}
}

static yaml_node_t *
yaml_child(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/* Appends plugins.scripts of the configuration file, or {}. */
static void
put_script_config(struct vg_jbuf *b, const char *config_path)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *scripts = NULL;
	FILE *f = config_path != NULL ? fopen(config_path, "r") : NULL;
	char why[256];
	size_t line;

	if (f == NULL) {
		vg_jbuf_lit(b, "{}");
		return;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (yaml_parser_load(&parser, &doc)) {
		/* The file may have changed since vigil-web checked it. */
		if (vg_yaml_guard(&doc, &line, why, sizeof(why)) != 0)
			VG_WARN("web", "config=%s:%zu plugins.scripts left out of GET /api/v1/plugins: %s",
				config_path, line, why);
		else
			scripts = yaml_child(
				&doc,
				yaml_child(&doc,
					   yaml_document_get_root_node(&doc),
					   "plugins"),
				"scripts");
		if (scripts != NULL)
			put_yaml(b, &doc, scripts, 0);
		yaml_document_delete(&doc);
	}
	if (scripts == NULL)
		vg_jbuf_lit(b, "{}");
	yaml_parser_delete(&parser);
	fclose(f);
}

static void
put_sandboxes(struct vg_jbuf *b, const Vigil__Control__V1__PluginsResponse *pr)
{
	size_t s;
	size_t i;

	vg_jbuf_lit(b, "[");
	for (s = 0; s < pr->n_sandboxes; s++) {
		const Vigil__Control__V1__SandboxInfo *sb = pr->sandboxes[s];

		vg_jbuf_printf(b, "%s{\"index\":%u,\"running\":%s,\"pid\":%d,\"uptime\":%" PRIu64
				  ".%03" PRIu64 ",\"scripts_loaded\":%u,\"disabled\":[",
			       s > 0 ? "," : "", sb->index,
			       sb->running ? "true" : "false", sb->pid,
			       sb->uptime_ms / 1000, sb->uptime_ms % 1000,
			       sb->scripts_loaded);
		for (i = 0; i < sb->n_disabled_plugins; i++) {
			if (i > 0)
				vg_jbuf_lit(b, ",");
			vg_jbuf_string(b, sb->disabled_plugins[i],
				       strlen(sb->disabled_plugins[i]));
		}
		vg_jbuf_lit(b, "]");
		for (i = 0; i < sb->n_counters; i++)
			vg_jbuf_printf(b, ",\"%s\":%" PRIu64,
				       sb->counters[i]->name,
				       sb->counters[i]->value);
		vg_jbuf_lit(b, "}");
	}
	vg_jbuf_lit(b, "]");
}

static void
plugins_answered(struct vg_pending *p, const Response *resp, const char *error)
{
	const char *config_path = p->web->config_path;
	const Vigil__Control__V1__PluginsResponse *pr;
	h2o_req_t *req = vg_pending_finish(p);
	struct vg_jbuf b = { 0 };
	bool first = true;
	size_t i;

	if (req == NULL || vg_answer_failed(req, resp, error) != 0)
		return;
	pr = resp->plugins;
	if (pr == NULL) {
		vg_http_error(req, 502, "vigild_error", NULL,
			      "vigild answered without plugins");
		return;
	}
	vg_jbuf_printf(&b, "{\"enabled\":%s,\"directories\":[",
		       pr->enabled ? "true" : "false");
	for (i = 0; i < pr->n_directories; i++) {
		if (i > 0)
			vg_jbuf_lit(&b, ",");
		vg_jbuf_string(&b, pr->directories[i],
			       strlen(pr->directories[i]));
	}
	vg_jbuf_lit(&b, "],\"plugins\":[");
	for (i = 0; i < pr->n_directories; i++)
		put_plugins_of(&b, &first, pr->directories[i], pr, 0);
	vg_jbuf_lit(&b, "],\"sandboxes\":");
	put_sandboxes(&b, pr);
	vg_jbuf_lit(&b, ",\"config\":");
	put_script_config(&b, config_path);
	vg_jbuf_lit(&b, "}");
	if (b.failed)
		vg_http_error(req, 500, "internal", NULL, "out of memory");
	else
		vg_http_send_json(req, 200, b.data, b.len);
	vg_jbuf_free(&b);
}

void
vg_get_plugins(struct vg_web *web, h2o_req_t *req, struct vg_params *params)
{
	Vigil__Control__V1__PluginsRequest body;
	struct vg_pending *p;
	Request r;

	if (params->count > 0) {
		vg_reject_unknown(req, params->items[0].name);
		return;
	}
	p = vg_pending_new(web, req);
	if (p == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	vigil__control__v1__request__init(&r);
	vigil__control__v1__plugins_request__init(&body);
	r.body_case = VIGIL__CONTROL__V1__REQUEST__BODY_PLUGINS;
	r.plugins = &body;
	p->next = plugins_answered;
	vg_pending_call(p, &r);
}
