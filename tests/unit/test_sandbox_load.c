/*
 * Unit tests for plugin loading (sandbox/loader.c, defs.c, scripts.c) and
 * the plugins: section of the YAML (sandbox/plugin_config.c).
 *
 * Each test writes its plugins into a fresh temporary folder, loads them
 * and checks what loaded, what was skipped, and the exact error lines:
 * errors must name the file and the line an operator has to fix.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <lauxlib.h>

#include "sandbox/sandbox.h"

struct env {
	char root[64];
	char lines[32][1024];
	size_t n_lines;
	/* Lines config_report received, when a test sets it. */
	char config_lines[8][1024];
	bool config_errors[8];
	size_t n_config_lines;
	struct vg_sbx sbx;
};

static struct env *current;

static void
collect(struct vg_sbx *sbx, const char *line)
{
	(void)sbx;
	if (current->n_lines < 32)
		snprintf(current->lines[current->n_lines++], 1024, "%s", line);
}

static void
collect_config(struct vg_sbx *sbx, bool error, const char *line)
{
	size_t n = current->n_config_lines;

	(void)sbx;
	if (n < 8) {
		snprintf(current->config_lines[n], 1024, "%s", line);
		current->config_errors[n] = error;
		current->n_config_lines++;
	}
}

/* Writes <text> to <root>/<rel>, creating folders on the way. */
static void
put_file(struct env *e, const char *rel, const char *text)
{
	char path[512];
	char *slash;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", e->root, rel);
	for (slash = strchr(path + strlen(e->root) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	snprintf(e->root, sizeof(e->root), "/tmp/vigil-sbx-test.XXXXXX");
	if (mkdtemp(e->root) == NULL)
		return -1;
	e->sbx.opt.memory_mb = 64;
	e->sbx.opt.hook_budget_ms = 100;
	e->sbx.report = collect;
	current = e;
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	vg_sbx_free(&e->sbx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->root);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

static int
load(struct env *e)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/plugins", e->root);
	return vg_sbx_load(&e->sbx, dir);
}

static bool
has_line(struct env *e, const char *text)
{
	size_t i;

	for (i = 0; i < e->n_lines; i++) {
		if (strstr(e->lines[i], text) != NULL)
			return true;
	}
	print_message("no report line contains \"%s\"; lines:\n", text);
	for (i = 0; i < e->n_lines; i++)
		print_message("  %s\n", e->lines[i]);
	return false;
}

static struct vg_sbx_plugin *
plugin(struct env *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->sbx.n_plugins; i++) {
		if (strcmp(e->sbx.plugins[i]->name, name) == 0)
			return e->sbx.plugins[i];
	}
	fail_msg("plugin %s not found", name);
	return NULL;
}

static const char manifest[] = "return { title = \"T\" }\n";

static void
test_guess_line_finds_fields(void **state)
{
	const char src[] = "-- key = 'comment'\n"
			   "local t = {\n"
			   "  key = \"a\",\n"
			   "  [\"title\"] = 'b',\n"
			   "  x == y,\n"
			   "}\n"
			   "return t\n";

	(void)state;
	/* The first whole-word assignment; comments are not parsed. */
	assert_int_equal(vg_sbx_guess_line(src, "key"), 1);
	assert_int_equal(vg_sbx_guess_line(src, "title"), 4);
	/* "==" is not an assignment: falls back to the return line. */
	assert_int_equal(vg_sbx_guess_line(src, "x"), 7);
	assert_int_equal(vg_sbx_guess_line(src, NULL), 7);
	assert_int_equal(vg_sbx_guess_line("", "k"), 1);
	assert_int_equal(vg_sbx_guess_value_line(src, "b"), 4);
}

static void
test_load_counts_definitions(void **state)
{
	struct env *e = *state;
	struct vg_sbx_plugin *p;

	put_file(e, "plugins/g/demo/manifest.lua", manifest);
	put_file(e, "plugins/g/demo/alert_definitions/a.lua",
		 "return { key = \"demo_alert\", title = \"A\", "
		 "severity = \"error\" }\n");
	put_file(e, "plugins/g/demo/status_definitions/s.lua",
		 "return { key = \"demo_status\", title = \"S\", "
		 "alert = \"demo_alert\", score = 30 }\n");
	put_file(e, "plugins/g/demo/ts_schemas/hour.lua",
		 "return { { name = \"demo:x\", tags = { \"host\" }, "
		 "metrics = { { name = \"v\", type = \"gauge\" } } } }\n");
	put_file(e, "plugins/g/demo/user_scripts/flow/f.lua",
		 "return { key = \"demo_flow\", filter = { l4 = { \"TCP\", 17 },"
		 " l7 = { \"TLS\" } }, hooks = { flowEnd = function() end } }\n");
	put_file(e, "plugins/g/demo/user_scripts/system/s.lua",
		 "return { key = \"demo_sys\", hooks = { day = function() end } "
		 "}\n");
	put_file(e, "plugins/g/demo/locales/pt_BR.lua",
		 "return { demo = { title = \"T\" } }\n");
	assert_int_equal(load(e), 0);
	p = plugin(e, "demo");
	assert_true(p->loaded);
	assert_int_equal(p->n_alerts, 1);
	assert_int_equal(p->alerts[0]->severity,
			 VIGIL__V1__SEVERITY__SEVERITY_ERROR);
	assert_int_equal(p->n_statuses, 1);
	assert_ptr_equal(p->statuses[0]->alert, p->alerts[0]);
	assert_int_equal(p->statuses[0]->score, 30);
	assert_int_equal(p->n_schemas, 1);
	assert_int_equal(p->schemas[0]->step, 3600);
	assert_false(p->schemas[0]->metrics[0].counter);
	assert_int_equal(e->sbx.n_scripts, 2);
	assert_int_equal(e->sbx.n_by_kind[VG_SBX_FLOW], 1);
	assert_int_equal(e->sbx.n_by_kind[VG_SBX_SYSTEM], 1);
	/* TCP (6) and 17 are in the filter, 1 is not. */
	assert_true(e->sbx.by_kind[VG_SBX_FLOW][0]->l4_filter[0] & (1 << 6));
	assert_true(e->sbx.by_kind[VG_SBX_FLOW][0]->l4_filter[2] & (1 << 1));
	assert_false(e->sbx.by_kind[VG_SBX_FLOW][0]->l4_filter[0] & (1 << 1));
	assert_int_equal(p->n_locales, 1);
	assert_string_equal(p->locales[0], "pt_BR");
}

static const char cfg_script[] =
	"return {\n"
	"  key = \"cfg_script\",\n"
	"  default_value = { threshold = 10, operator = \"gt\",\n"
	"    suffix = \".a\", flag = true },\n"
	"  hooks = { protocolDetected = function() end },\n"
	"}\n";

static void
conf_field(struct vg_sbx_script *s, const char *name)
{
	lua_State *L = s->plugin->L;

	lua_rawgeti(L, LUA_REGISTRYINDEX, s->conf_ref);
	lua_getfield(L, -1, name);
	lua_remove(L, -2);
}

static void
test_config_overrides_defaults(void **state)
{
	struct env *e = *state;
	struct vg_sbx_script *s;
	lua_State *L;
	char config[128];

	put_file(e, "plugins/g/cfg/manifest.lua", manifest);
	put_file(e, "plugins/g/cfg/user_scripts/flow/s.lua", cfg_script);
	put_file(e, "plugins/g/cfg/user_scripts/host/off.lua",
		 "return { key = \"cfg_off\", hooks = { min = function() end "
		 "} }\n");
	put_file(e, "vigil.yaml",
		 "capture:\n"
		 "  ports: []\n"
		 "plugins:\n"
		 "  directories: [x]\n"
		 "  deadline_ms: 500\n"
		 "  scripts:\n"
		 "    cfg_script:\n"
		 "      threshold: 25.5\n"
		 "      operator: le\n"
		 "      suffix: \".b\"\n"
		 "      flag: no\n"
		 "      extra: 7\n"
		 "      word: hello\n"
		 "    cfg_off:\n"
		 "      enabled: false\n");
	snprintf(config, sizeof(config), "%s/vigil.yaml", e->root);
	e->sbx.opt.config_file = config;
	assert_int_equal(load(e), 0);
	s = vg_sbx_find_script(&e->sbx, "cfg_script");
	assert_non_null(s);
	L = s->plugin->L;
	conf_field(s, "threshold");
	assert_true(lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) == 25.5);
	conf_field(s, "operator");
	assert_string_equal(lua_tostring(L, -1), "le");
	conf_field(s, "suffix");
	assert_string_equal(lua_tostring(L, -1), ".b");
	conf_field(s, "flag");
	assert_true(lua_isboolean(L, -1) && !lua_toboolean(L, -1));
	/* Options without a default take the type their text reads as. */
	conf_field(s, "extra");
	assert_true(lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) == 7);
	conf_field(s, "word");
	assert_string_equal(lua_tostring(L, -1), "hello");
	conf_field(s, "enabled");
	assert_true(lua_toboolean(L, -1));
	lua_settop(L, 0);
	assert_true(s->enabled);
	assert_false(vg_sbx_find_script(&e->sbx, "cfg_off")->enabled);
}

static void
test_config_errors_name_lines(void **state)
{
	struct env *e = *state;
	char config[128];
	char want[256];

	put_file(e, "plugins/g/cfg/manifest.lua", manifest);
	put_file(e, "plugins/g/cfg/user_scripts/flow/s.lua", cfg_script);
	put_file(e, "vigil.yaml",
		 "plugins:\n"
		 "  scripts:\n"
		 "    cfg_script:\n"
		 "      threshold: abc\n"
		 "      operator: between\n"
		 "      flag: \"true\"\n"
		 "      suffix: [1, 2]\n"
		 "    nosuch:\n"
		 "      enabled: true\n");
	snprintf(config, sizeof(config), "%s/vigil.yaml", e->root);
	e->sbx.opt.config_file = config;
	assert_int_equal(load(e), 5);
	/* Line and column of the value, or of the key for an unknown one. */
	snprintf(want, sizeof(want), "%s:4:18: plugins.scripts.cfg_script."
		 "threshold: expected a number, got 'abc'", config);
	assert_true(has_line(e, want));
	snprintf(want, sizeof(want), "%s:5:17: plugins.scripts.cfg_script."
		 "operator: expected gt, ge, lt, le or eq, got 'between'",
		 config);
	assert_true(has_line(e, want));
	/* A quoted value is a string, never a boolean. */
	snprintf(want, sizeof(want), "%s:6:13: plugins.scripts.cfg_script."
		 "flag: expected true or false", config);
	assert_true(has_line(e, want));
	snprintf(want, sizeof(want), "%s:7:15: plugins.scripts.cfg_script."
		 "suffix: expected a scalar", config);
	assert_true(has_line(e, want));
	snprintf(want, sizeof(want), "%s:8:5: plugins.scripts.nosuch: unknown "
		 "script", config);
	assert_true(has_line(e, want));
	/* The plugin itself loaded; bad overrides left the defaults. */
	assert_true(plugin(e, "cfg")->loaded);
}

static void
test_config_report_takes_findings(void **state)
{
	struct env *e = *state;
	char config[128];
	char want[512];

	put_file(e, "plugins/g/cfg/manifest.lua", manifest);
	put_file(e, "plugins/g/cfg/user_scripts/flow/s.lua", cfg_script);
	put_file(e, "plugins/g/broken/manifest.lua", manifest);
	put_file(e, "plugins/g/broken/user_scripts/flow/b.lua",
		 "return {\n  key = \n");
	put_file(e, "vigil.yaml",
		 "plugins:\n"
		 "  scripts:\n"
		 "    cfg_script:\n"
		 "      threshold: abc\n"
		 "    broken_script:\n"
		 "      enabled: false\n");
	snprintf(config, sizeof(config), "%s/vigil.yaml", e->root);
	e->sbx.opt.config_file = config;
	e->sbx.config_report = collect_config;
	/* Only the broken plugin's error is a load error. */
	assert_int_equal(load(e), 1);
	assert_int_equal(e->sbx.n_load_errors, 1);
	assert_false(plugin(e, "broken")->loaded);
	assert_int_equal(e->n_config_lines, 2);
	snprintf(want, sizeof(want), "%s:4:18: plugins.scripts.cfg_script."
		 "threshold: expected a number, got 'abc'", config);
	assert_string_equal(e->config_lines[0], want);
	assert_true(e->config_errors[0]);
	/* A plugin was skipped, so an unknown key is only a warning. */
	snprintf(want, sizeof(want), "%s:5:5: plugins.scripts.broken_script: "
		 "no loaded plugin has this script; it may belong to a "
		 "skipped or disabled plugin", config);
	assert_string_equal(e->config_lines[1], want);
	assert_false(e->config_errors[1]);
}

static void
test_config_invalid_yaml(void **state)
{
	struct env *e = *state;
	char config[128];
	char want[256];

	put_file(e, "plugins/g/cfg/manifest.lua", manifest);
	put_file(e, "vigil.yaml", "plugins:\n  scripts: [\n   x: : y\n");
	snprintf(config, sizeof(config), "%s/vigil.yaml", e->root);
	e->sbx.opt.config_file = config;
	assert_int_equal(load(e), 1);
	snprintf(want, sizeof(want), "%s:", config);
	assert_true(has_line(e, want));
	assert_true(has_line(e, "invalid YAML"));
}

static void
test_duplicate_alert_key_skips_second(void **state)
{
	struct env *e = *state;
	char want[512];

	put_file(e, "plugins/g/a_first/manifest.lua", manifest);
	put_file(e, "plugins/g/a_first/alert_definitions/d.lua",
		 "return { key = \"dup\", title = \"1\", severity = \"info\" "
		 "}\n");
	put_file(e, "plugins/g/b_second/manifest.lua", manifest);
	put_file(e, "plugins/g/b_second/alert_definitions/d.lua",
		 "return {\n  title = \"2\",\n  key = \"dup\",\n"
		 "  severity = \"info\",\n}\n");
	assert_int_equal(load(e), 1);
	assert_true(plugin(e, "a_first")->loaded);
	assert_true(plugin(e, "b_second")->skipped);
	snprintf(want, sizeof(want), "%s/plugins/g/b_second/alert_definitions/"
		 "d.lua:3: alert key 'dup' is already defined in %s/plugins/g/"
		 "a_first/alert_definitions/d.lua", e->root, e->root);
	assert_true(has_line(e, want));
	/* The skipped plugin's alert is not visible anywhere. */
	assert_int_equal(e->sbx.n_alerts, 1);
}

static void
test_status_needs_known_alert(void **state)
{
	struct env *e = *state;

	put_file(e, "plugins/g/st/manifest.lua", manifest);
	put_file(e, "plugins/g/st/status_definitions/s.lua",
		 "return { key = \"st\", title = \"S\", score = 5,\n"
		 "  alert = \"nope\" }\n");
	assert_int_equal(load(e), 1);
	assert_true(plugin(e, "st")->skipped);
	assert_true(has_line(e, "s.lua:2: alert 'nope' is not defined by "
			     "this plugin or its dependencies"));
}

static void
test_dependencies_order_and_skips(void **state)
{
	struct env *e = *state;
	size_t z = 0;
	size_t a = 0;
	size_t i;

	put_file(e, "plugins/g/a_needs_z/manifest.lua",
		 "return { title = \"A\",\n dependencies = { \"z_base\" } }\n");
	put_file(e, "plugins/g/a_needs_z/status_definitions/s.lua",
		 "return { key = \"a_st\", title = \"S\", score = 1, "
		 "alert = \"z_alert\" }\n");
	put_file(e, "plugins/g/z_base/manifest.lua", manifest);
	put_file(e, "plugins/g/z_base/alert_definitions/a.lua",
		 "return { key = \"z_alert\", title = \"Z\", severity = "
		 "\"info\" }\n");
	put_file(e, "plugins/g/b_missing/manifest.lua",
		 "return { title = \"B\",\n\n dependencies = { \"missing\" } "
		 "}\n");
	put_file(e, "plugins/g/c_needs_b/manifest.lua",
		 "return { title = \"C\", dependencies = { \"b_missing\" } }\n");
	put_file(e, "plugins/h/d_cycle/manifest.lua",
		 "return { title = \"D\", dependencies = { \"e_cycle\" } }\n");
	put_file(e, "plugins/h/e_cycle/manifest.lua",
		 "return { title = \"E\", dependencies = { \"d_cycle\" } }\n");
	assert_int_equal(load(e), 4);
	/* The status of a_needs_z uses z_base's alert: z_base loads first. */
	assert_true(plugin(e, "a_needs_z")->loaded);
	assert_true(plugin(e, "z_base")->loaded);
	for (i = 0; i < e->sbx.n_plugins; i++) {
		if (e->sbx.plugins[i] == plugin(e, "z_base"))
			z = i;
		if (e->sbx.plugins[i] == plugin(e, "a_needs_z"))
			a = i;
	}
	assert_true(z < a);
	assert_true(has_line(e, "b_missing/manifest.lua:3: dependency "
			     "'missing' not found"));
	assert_true(has_line(e, "c_needs_b/manifest.lua:1: dependency "
			     "'b_missing' was skipped"));
	assert_true(has_line(e, "d_cycle/manifest.lua:1: dependency cycle"));
	assert_true(has_line(e, "e_cycle/manifest.lua:1: dependency cycle"));
	assert_true(plugin(e, "c_needs_b")->skipped);
	assert_true(plugin(e, "d_cycle")->skipped);
}

static void
test_disable_option_skips_quietly(void **state)
{
	struct env *e = *state;
	char *disable[] = { "z_base", NULL };

	put_file(e, "plugins/g/z_base/manifest.lua", manifest);
	put_file(e, "plugins/g/other/manifest.lua", manifest);
	e->sbx.opt.disable = disable;
	e->sbx.opt.n_disable = 1;
	assert_int_equal(load(e), 0);
	assert_true(plugin(e, "z_base")->skipped);
	assert_true(plugin(e, "other")->loaded);
	e->sbx.opt.disable = NULL;
	e->sbx.opt.n_disable = 0;
}

static void
test_syntax_error_names_line(void **state)
{
	struct env *e = *state;
	char want[512];

	put_file(e, "plugins/g/syn/manifest.lua", manifest);
	put_file(e, "plugins/g/syn/user_scripts/flow/"
		 "a_file_name_long_enough_for_lua_to_shorten_it.lua",
		 "return {\n  key = \"syn\",\n  hooks = { min = function( },\n"
		 "}\n");
	put_file(e, "plugins/g/fine/manifest.lua", manifest);
	assert_int_equal(load(e), 1);
	/* The full path, though Lua's own message shortens long names. */
	snprintf(want, sizeof(want), "%s/plugins/g/syn/user_scripts/flow/"
		 "a_file_name_long_enough_for_lua_to_shorten_it.lua:3: ",
		 e->root);
	assert_true(has_line(e, want));
	assert_true(plugin(e, "syn")->skipped);
	assert_true(plugin(e, "fine")->loaded);
}

static void
test_unknown_names_reported(void **state)
{
	struct env *e = *state;

	put_file(e, "plugins/g/typo/manifest.lua",
		 "return {\n  title = \"T\",\n  dependecies = {},\n}\n");
	put_file(e, "plugins/g/typo/user_scripts/flow/f.lua",
		 "return {\n  key = \"typo\",\n  hooks = {\n"
		 "    protocolDetcted = function() end,\n  },\n}\n");
	put_file(e, "plugins/g/typo2/manifest.lua", manifest);
	put_file(e, "plugins/g/typo2/user_scripts/flows/f.lua", "return {}\n");
	put_file(e, "plugins/g/typo3/manifest.lua", manifest);
	put_file(e, "plugins/g/typo3/user_scripts/host/h.lua",
		 "return { key = \"typo3\", filter = { l7 = { \"DNS\" } },\n"
		 "  hooks = { min = function() end } }\n");
	assert_int_equal(load(e), 3);
	assert_true(has_line(e, "typo/manifest.lua:3: unknown field "
			     "'dependecies'"));
	assert_true(has_line(e, "typo2/user_scripts/flows: unknown script "
			     "folder"));
	assert_true(has_line(e, "typo3/user_scripts/host/h.lua:1: script "
			     "'typo3': filter must be a table and applies to "
			     "flow scripts only"));
}

static void
test_unknown_hook_reported(void **state)
{
	struct env *e = *state;

	put_file(e, "plugins/g/hk/manifest.lua", manifest);
	put_file(e, "plugins/g/hk/user_scripts/flow/f.lua",
		 "return {\n  key = \"hk\",\n  hooks = {\n"
		 "    protocolDetcted = function() end,\n  },\n}\n");
	assert_int_equal(load(e), 1);
	assert_true(has_line(e, "hk/user_scripts/flow/f.lua:4: script 'hk': "
			     "unknown flow hook 'protocolDetcted'"));
}

static void
test_top_level_loop_stopped(void **state)
{
	struct env *e = *state;

	put_file(e, "plugins/g/spin/manifest.lua",
		 "while true do end\nreturn { title = \"T\" }\n");
	put_file(e, "plugins/g/fine/manifest.lua", manifest);
	assert_int_equal(load(e), 1);
	assert_true(has_line(e, "spin/manifest.lua:1: hook budget exceeded"));
	assert_true(plugin(e, "spin")->skipped);
	assert_true(plugin(e, "fine")->loaded);
}

static void
test_environment_is_restricted(void **state)
{
	struct env *e = *state;

	/* The manifest fails to load if any forbidden name is reachable. */
	put_file(e, "plugins/g/env/manifest.lua",
		 "for _, name in ipairs({ 'io', 'debug', 'package', 'jit',\n"
		 "    'dofile', 'loadfile', 'loadstring', 'getfenv', 'setfenv',\n"
		 "    'newproxy', 'module' }) do\n"
		 "  assert(_G[name] == nil, name .. ' is reachable')\n"
		 "end\n"
		 "for _, name in ipairs({ 'execute', 'exit', 'getenv', 'remove',\n"
		 "    'rename', 'tmpname', 'setlocale' }) do\n"
		 "  assert(os[name] == nil, 'os.' .. name .. ' is reachable')\n"
		 "end\n"
		 "assert(type(os.time()) == 'number' and os.date('%Y') ~= nil)\n"
		 "assert(not pcall(collectgarbage, 'stop'))\n"
		 "assert(select(2, pcall(require, 'ffi')):find('not found'))\n"
		 "assert(load('return 1', 'x', 'b') == nil)\n"
		 "assert(load(string.dump(function() end)) == nil)\n"
		 "assert(load('return ...')(5) == 5)\n"
		 "assert(require('helper').twice(4) == 8)\n"
		 "assert(require('helper') == require('helper'))\n"
		 "return { title = 'T' }\n");
	put_file(e, "plugins/g/env/modules/helper.lua",
		 "return { twice = function(x) return 2 * x end }\n");
	assert_int_equal(load(e), 0);
	assert_true(plugin(e, "env")->loaded);
}

static void
test_setup_false_disables_script(void **state)
{
	struct env *e = *state;

	put_file(e, "plugins/g/su/manifest.lua", manifest);
	put_file(e, "plugins/g/su/user_scripts/flow/off.lua",
		 "return { key = \"su_off\", hooks = { flowEnd = function() "
		 "end },\n setup = function(conf) return false end }\n");
	put_file(e, "plugins/g/su/user_scripts/flow/err.lua",
		 "return { key = \"su_err\", hooks = { flowEnd = function() "
		 "end },\n setup = function(conf) error('no') end }\n");
	put_file(e, "plugins/g/su/user_scripts/flow/on.lua",
		 "return { key = \"su_on\", hooks = { flowEnd = function() "
		 "end },\n setup = function(conf) return conf.enabled end }\n");
	assert_int_equal(load(e), 1);
	assert_false(vg_sbx_find_script(&e->sbx, "su_off")->enabled);
	assert_false(vg_sbx_find_script(&e->sbx, "su_err")->enabled);
	assert_true(vg_sbx_find_script(&e->sbx, "su_on")->enabled);
	assert_true(has_line(e, "err.lua: script 'su_err': setup() failed: "));
	assert_true(has_line(e, "err.lua:2: no"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guess_line_finds_fields),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_load_counts_definitions),
		T(test_config_overrides_defaults),
		T(test_config_errors_name_lines),
		T(test_config_report_takes_findings),
		T(test_config_invalid_yaml),
		T(test_duplicate_alert_key_skips_second),
		T(test_status_needs_known_alert),
		T(test_dependencies_order_and_skips),
		T(test_disable_option_skips_quietly),
		T(test_syntax_error_names_line),
		T(test_unknown_names_reported),
		T(test_unknown_hook_reported),
		T(test_top_level_loop_stopped),
		T(test_environment_is_restricted),
		T(test_setup_false_disables_script),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
