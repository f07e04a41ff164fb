/*
 * Script options from vigil's YAML configuration.
 *
 * The sandbox reads only plugins.scripts: one mapping per script key,
 * whose options override the script's default_value. vigild checks the
 * rest of the file and of the plugins: section; the sandbox accepts and
 * ignores those keys. Values are converted to the type of the default
 * they replace, so a threshold stays a number and a flag a boolean. An
 * option without a default is a number, a boolean or a string, as its
 * YAML plain scalar reads. Errors name the file, line, column and key, as
 * vigild's do, so that `vigild --check-config`, which runs this code in
 * `vigil-sandbox --check-config`, reports them in the same form.
 *
 * A script key no loaded plugin defines is an error, except when a
 * plugin was skipped or disabled: the key may belong to it, and vigild
 * disabling a plugin must not turn a valid configuration into an error.
 * It is a warning too with --plugin-dirs-missing, which vigild passes when
 * some plugin directories cannot be read, because the key may belong to a
 * plugin in one of them.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>
#include <yaml.h>

#include "common/log.h"
#include "common/yaml_guard.h"
#include "sandbox/sandbox.h"

struct config_walk {
	struct vg_sbx *sbx;
	yaml_document_t *doc;
	const char *file;
	unsigned int errors;
	bool some_skipped;
};

/*
 * Reports an error at <mark> in the configuration file (NULL: the whole
 * file): to sbx->config_report when it is set, otherwise as a load error
 * of <plugin> (NULL when no plugin is concerned).
 */
static void
error_at(struct config_walk *w, const yaml_mark_t *mark,
	 const struct vg_sbx_plugin *plugin, const char *msg)
{
	char line[1536];

	if (mark == NULL)
		snprintf(line, sizeof(line), "%s: %s", w->file, msg);
	else
		snprintf(line, sizeof(line), "%s:%zu:%zu: %s", w->file,
			 mark->line + 1, mark->column + 1, msg);
	w->errors++;
	if (w->sbx->config_report != NULL) {
		w->sbx->config_report(w->sbx, true, line);
		return;
	}
	w->sbx->loading = plugin;
	vg_sbx_load_error(w->sbx, NULL, 0, "%s", line);
	w->sbx->loading = NULL;
}

__attribute__((format(printf, 4, 5))) static void
config_error(struct config_walk *w, const yaml_node_t *node,
	     const struct vg_sbx_plugin *plugin, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_at(w, &node->start_mark, plugin, msg);
}

/* Reports a warning at <node>: to sbx->config_report, or to the log. */
__attribute__((format(printf, 3, 4))) static void
config_warning(struct config_walk *w, const yaml_node_t *node,
	       const char *fmt, ...)
{
	char msg[1024];
	char line[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s:%zu:%zu: %s", w->file,
		 node->start_mark.line + 1, node->start_mark.column + 1, msg);
	if (w->sbx->config_report != NULL)
		w->sbx->config_report(w->sbx, false, line);
	else
		VG_WARN(VG_SBX_TAG, "%s", line);
}

static const char *
scalar(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE ?
		       (const char *)node->data.scalar.value :
		       NULL;
}

static bool
is_plain(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE &&
	       node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* Booleans as vigild's configuration reads them. */
static int
parse_bool(const yaml_node_t *node, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	if (!is_plain(node))
		return -1;
	for (i = 0; i < 3; i++) {
		if (strcasecmp(scalar(node), yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(scalar(node), no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
parse_number(const yaml_node_t *node, double *out)
{
	const char *text = scalar(node);
	char *end;

	if (!is_plain(node) || text[0] == '\0')
		return -1;
	errno = 0;
	*out = strtod(text, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(*out))
		return -1;
	return 0;
}

static yaml_node_t *
find_key(struct config_walk *w, yaml_node_t *map, const char *key,
	 yaml_node_t **key_node)
{
	yaml_node_pair_t *pair;
	yaml_node_t *found = NULL;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		const char *text = scalar(k);

		if (text == NULL || strcmp(text, key) != 0)
			continue;
		if (found != NULL) {
			config_error(w, k, NULL, "%s: key given twice", key);
			continue;
		}
		found = yaml_document_get_node(w->doc, pair->value);
		*key_node = k;
	}
	return found;
}

/*
 * Sets option <name> of <script>'s configuration from <value>, converted
 * to the type of its default. Leaves the configuration unchanged and
 * reports when the value does not convert.
 */
static void
apply_option(struct config_walk *w, struct vg_sbx_script *s,
	     const char *name, yaml_node_t *value)
{
	lua_State *L = s->plugin->L;
	const char *text = scalar(value);
	int default_type;
	double number;
	bool flag;

	if (text == NULL) {
		config_error(w, value, s->plugin, "plugins.scripts.%s.%s: "
			     "expected a scalar, got a %s", s->key, name,
			     value->type == YAML_SEQUENCE_NODE ? "list" :
								 "mapping");
		return;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, s->conf_ref);
	lua_getfield(L, -1, name);
	default_type = lua_type(L, -1);
	lua_pop(L, 1);
	if (strcmp(name, "enabled") == 0)
		default_type = LUA_TBOOLEAN;
	else if (strcmp(name, "threshold") == 0)
		default_type = LUA_TNUMBER;

	if (strcmp(name, "operator") == 0) {
		if (strcmp(text, "gt") && strcmp(text, "ge") &&
		    strcmp(text, "lt") && strcmp(text, "le") &&
		    strcmp(text, "eq")) {
			config_error(w, value, s->plugin, "plugins.scripts.%s."
				     "operator: expected gt, ge, lt, le or eq, "
				     "got '%s'", s->key, text);
			goto out;
		}
		lua_pushstring(L, text);
	} else if (default_type == LUA_TBOOLEAN) {
		if (parse_bool(value, &flag) != 0) {
			config_error(w, value, s->plugin, "plugins.scripts.%s."
				     "%s: expected true or false, got '%s'",
				     s->key, name, text);
			goto out;
		}
		lua_pushboolean(L, flag);
	} else if (default_type == LUA_TNUMBER) {
		if (parse_number(value, &number) != 0) {
			config_error(w, value, s->plugin, "plugins.scripts.%s."
				     "%s: expected a number, got '%s'", s->key,
				     name, text);
			goto out;
		}
		lua_pushnumber(L, number);
	} else if (default_type == LUA_TSTRING) {
		lua_pushstring(L, text);
	} else if (default_type == LUA_TNIL) {
		if (parse_number(value, &number) == 0)
			lua_pushnumber(L, number);
		else if (parse_bool(value, &flag) == 0)
			lua_pushboolean(L, flag);
		else
			lua_pushstring(L, text);
	} else {
		config_error(w, value, s->plugin, "plugins.scripts.%s.%s: the "
			     "default is a %s, which the configuration cannot "
			     "set", s->key, name, lua_typename(L, default_type));
		goto out;
	}
	lua_setfield(L, -2, name);
	if (strcmp(name, "enabled") == 0)
		s->enabled_source = VG_SBX_ENABLED_CONFIG;
out:
	lua_pop(L, 1);
}

static void
apply_script(struct config_walk *w, yaml_node_t *key, yaml_node_t *options)
{
	struct vg_sbx_script *s = vg_sbx_find_script(w->sbx, scalar(key));
	yaml_node_pair_t *pair;
	yaml_node_pair_t *other;

	if (s == NULL) {
		if (w->sbx->opt.plugin_dirs_missing) {
			config_warning(w, key,
				       "plugins.scripts.%s: no loaded plugin has this script; it may belong to a plugin in a directory that cannot be read",
				       scalar(key));
			return;
		}
		if (w->some_skipped) {
			config_warning(w, key, "plugins.scripts.%s: no loaded "
				       "plugin has this script; it may belong "
				       "to a skipped or disabled plugin",
				       scalar(key));
			return;
		}
		config_error(w, key, NULL, "plugins.scripts.%s: unknown script "
			     "(no loaded plugin defines it)", scalar(key));
		return;
	}
	if (options->type != YAML_MAPPING_NODE) {
		config_error(w, options, s->plugin, "plugins.scripts.%s: "
			     "expected a mapping of options", s->key);
		return;
	}
	for (pair = options->data.mapping.pairs.start;
	     pair < options->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		bool twice = false;

		if (scalar(k) == NULL) {
			config_error(w, k, s->plugin, "plugins.scripts.%s: "
				     "option names must be plain words", s->key);
			continue;
		}
		for (other = options->data.mapping.pairs.start; other < pair;
		     other++) {
			const char *o = scalar(
				yaml_document_get_node(w->doc, other->key));

			if (o != NULL && strcmp(o, scalar(k)) == 0)
				twice = true;
		}
		if (twice) {
			config_error(w, k, s->plugin, "plugins.scripts.%s.%s: "
				     "key given twice", s->key, scalar(k));
			continue;
		}
		apply_option(w, s, scalar(k), v);
	}
}

static void
walk_scripts(struct config_walk *w, yaml_node_t *scripts)
{
	yaml_node_pair_t *pair;
	yaml_node_pair_t *other;

	if (scripts->type != YAML_MAPPING_NODE) {
		config_error(w, scripts, NULL, "plugins.scripts: expected a "
			     "mapping of script keys");
		return;
	}
	for (pair = scripts->data.mapping.pairs.start;
	     pair < scripts->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		bool twice = false;

		if (scalar(k) == NULL) {
			config_error(w, k, NULL, "plugins.scripts: keys must "
				     "be script keys");
			continue;
		}
		for (other = scripts->data.mapping.pairs.start; other < pair;
		     other++) {
			const char *o = scalar(
				yaml_document_get_node(w->doc, other->key));

			if (o != NULL && strcmp(o, scalar(k)) == 0)
				twice = true;
		}
		if (twice) {
			config_error(w, k, NULL, "plugins.scripts.%s: key given "
				     "twice", scalar(k));
			continue;
		}
		apply_script(w, k, yaml_document_get_node(w->doc, pair->value));
	}
}

static void
walk_document(struct config_walk *w)
{
	yaml_node_t *root = yaml_document_get_root_node(w->doc);
	yaml_node_t *plugins;
	yaml_node_t *scripts;
	yaml_node_t *key = NULL;

	if (root == NULL)
		return;
	if (root->type != YAML_MAPPING_NODE) {
		config_error(w, root, NULL, "expected a mapping at the top "
			     "level");
		return;
	}
	plugins = find_key(w, root, "plugins", &key);
	if (plugins == NULL)
		return;
	if (plugins->type != YAML_MAPPING_NODE) {
		config_error(w, plugins, NULL, "plugins: expected a mapping");
		return;
	}
	scripts = find_key(w, plugins, "scripts", &key);
	if (scripts != NULL)
		walk_scripts(w, scripts);
}

int
vg_sbx_config_apply(struct vg_sbx *sbx)
{
	struct config_walk w = { .sbx = sbx, .file = sbx->opt.config_file };
	yaml_parser_t parser;
	yaml_document_t doc;
	char guard_msg[256];
	size_t guard_line;
	FILE *fp;
	size_t i;

	if (w.file == NULL)
		return 0;
	for (i = 0; i < sbx->n_plugins; i++)
		w.some_skipped = w.some_skipped || !sbx->plugins[i]->loaded;
	fp = fopen(w.file, "rbe");
	if (fp == NULL) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		error_at(&w, NULL, NULL, msg);
		return 1;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(fp);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc)) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "invalid YAML: %s",
			 parser.problem ? parser.problem : "error");
		error_at(&w, &parser.problem_mark, NULL, msg);
		yaml_parser_delete(&parser);
		fclose(fp);
		return 1;
	}
	w.doc = &doc;
	if (vg_yaml_guard(&doc, &guard_line, guard_msg,
			  sizeof(guard_msg)) != 0) {
		yaml_mark_t mark = { .line = guard_line - 1 };
		char msg[1024];

		snprintf(msg, sizeof(msg), "invalid YAML: %s", guard_msg);
		error_at(&w, &mark, NULL, msg);
	} else {
		walk_document(&w);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
	return (int)w.errors;
}
