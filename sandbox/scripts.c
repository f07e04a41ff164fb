/*
 * User scripts: the .lua files in user_scripts/<kind>/, each returning a table with
 * its key, hooks, filters, default configuration and setup/teardown.
 *
 * Hook functions stay in the plugin's state, referenced from C; the rest
 * is checked here once, so dispatching an event costs only a filter test
 * and a call. A script's configuration is a copy of its default_value
 * with the YAML overrides applied, built once at start: vigild restarts
 * the sandbox to apply a new configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#include "common/log.h"
#include "sandbox/sandbox.h"

#define MAX_CONF_DEPTH 8

static const char *const flow_hooks[VG_SBX_HOOKS] = {
	"protocolDetected", "statusChanged", "periodicUpdate", "flowEnd",
	"all",
};

static const char *const periodic_hooks[VG_SBX_HOOKS] = {
	"min", "5mins", "hour", "day", "all",
};

static const struct {
	const char *name;
	unsigned int proto;
} l4_names[] = {
	{ "ICMP", 1 }, { "IGMP", 2 }, { "TCP", 6 }, { "UDP", 17 },
	{ "GRE", 47 }, { "ESP", 50 }, { "ICMPv6", 58 }, { "SCTP", 132 },
};

const char *const *
vg_sbx_hook_names(enum vg_sbx_kind kind)
{
	return kind == VG_SBX_FLOW ? flow_hooks : periodic_hooks;
}

void
vg_sbx_script_free(struct vg_sbx_script *script)
{
	size_t i;

	if (script == NULL)
		return;
	free(script->key);
	free(script->file);
	for (i = 0; i < script->n_l7_filter; i++)
		free(script->l7_filter[i]);
	free(script->l7_filter);
	free(script);
}

static struct vg_sbx_script *
find_script_in(struct vg_sbx_plugin *owner, const char *key)
{
	size_t i;

	for (i = 0; i < owner->n_scripts; i++) {
		if (strcmp(owner->scripts[i]->key, key) == 0)
			return owner->scripts[i];
	}
	return NULL;
}

struct vg_sbx_script *
vg_sbx_find_script(struct vg_sbx *sbx, const char *key)
{
	size_t i;

	for (i = 0; i < sbx->n_scripts; i++) {
		if (strcmp(sbx->scripts[i]->key, key) == 0)
			return sbx->scripts[i];
	}
	return NULL;
}

/* hooks = { name = function, ... }: refs the functions. */
static int
load_hooks(const struct vg_sbx_file *f, int t, struct vg_sbx_script *s)
{
	const char *const *names = vg_sbx_hook_names(s->kind);
	lua_State *L = f->plugin->L;
	int count = 0;
	int rc = 0;
	int h;

	lua_getfield(L, t, "hooks");
	if (!lua_istable(L, -1)) {
		vg_sbx_file_error(f, "hooks", "script '%s': field 'hooks' must "
				  "be a table of functions", s->key);
		lua_pop(L, 1);
		return -1;
	}
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		const char *name = lua_type(L, -2) == LUA_TSTRING ?
					   lua_tostring(L, -2) :
					   "";

		for (h = 0; h < VG_SBX_HOOKS; h++) {
			if (strcmp(name, names[h]) == 0)
				break;
		}
		if (h == VG_SBX_HOOKS) {
			vg_sbx_file_error(f, name, "script '%s': unknown %s hook "
					  "'%s' (expected %s, %s, %s, %s or "
					  "%s)", s->key,
					  vg_sbx_kind_name(s->kind), name,
					  names[0], names[1], names[2],
					  names[3], names[4]);
			rc = -1;
			lua_pop(L, 1);
			continue;
		}
		if (!lua_isfunction(L, -1)) {
			vg_sbx_file_error(f, name, "script '%s': hook '%s' must "
					  "be a function", s->key, name);
			rc = -1;
			lua_pop(L, 1);
			continue;
		}
		s->hook_ref[h] = luaL_ref(L, LUA_REGISTRYINDEX);
		count++;
	}
	lua_pop(L, 1);
	if (rc == 0 && count == 0) {
		vg_sbx_file_error(f, "hooks", "script '%s' has no hooks",
				  s->key);
		rc = -1;
	}
	return rc;
}

static int
add_l4(const struct vg_sbx_file *f, lua_State *L, struct vg_sbx_script *s)
{
	size_t i;

	if (lua_type(L, -1) == LUA_TNUMBER) {
		lua_Number v = lua_tonumber(L, -1);

		if (v >= 0 && v <= 255 && v == (int)v) {
			s->l4_filter[(int)v / 8] |= (uint8_t)(1u << ((int)v % 8));
			return 0;
		}
	} else if (lua_type(L, -1) == LUA_TSTRING) {
		for (i = 0; i < sizeof(l4_names) / sizeof(l4_names[0]); i++) {
			if (strcasecmp(lua_tostring(L, -1), l4_names[i].name) ==
			    0) {
				unsigned int p = l4_names[i].proto;

				s->l4_filter[p / 8] |= (uint8_t)(1u << (p % 8));
				return 0;
			}
		}
	}
	vg_sbx_file_error(f, "l4", "script '%s': filter.l4 items must be TCP, "
			  "UDP, ICMP, ICMPv6, SCTP, GRE, ESP, IGMP or a "
			  "protocol number 0..255", s->key);
	return -1;
}

/* filter = { l4 = {...}, l7 = {...} } for flow scripts. */
static int
load_filter(const struct vg_sbx_file *f, int t, struct vg_sbx_script *s)
{
	static const char *const fields[] = { "l4", "l7", NULL };
	lua_State *L = f->plugin->L;
	int ft;
	size_t n;
	size_t i;
	int rc = 0;

	lua_getfield(L, t, "filter");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	ft = lua_gettop(L);
	if (s->kind != VG_SBX_FLOW || !lua_istable(L, ft)) {
		vg_sbx_file_error(f, "filter", "script '%s': filter must be a "
				  "table and applies to flow scripts only "
				  "(host scripts use local_only)", s->key);
		lua_pop(L, 1);
		return -1;
	}
	rc |= vg_sbx_check_fields(f, ft, fields);
	lua_getfield(L, ft, "l4");
	if (!lua_isnil(L, -1)) {
		n = lua_istable(L, -1) ? lua_objlen(L, -1) : 0;
		if (n == 0) {
			vg_sbx_file_error(f, "l4", "script '%s': filter.l4 must "
					  "be a non-empty list", s->key);
			rc = -1;
		}
		for (i = 1; i <= n; i++) {
			lua_rawgeti(L, -1, (int)i);
			rc |= add_l4(f, L, s);
			lua_pop(L, 1);
		}
		s->has_l4_filter = true;
	}
	lua_pop(L, 1);
	lua_getfield(L, ft, "l7");
	if (!lua_isnil(L, -1)) {
		n = lua_istable(L, -1) ? lua_objlen(L, -1) : 0;
		if (n == 0) {
			vg_sbx_file_error(f, "l7", "script '%s': filter.l7 must "
					  "be a non-empty list", s->key);
			rc = -1;
		}
		for (i = 1; i <= n; i++) {
			char *copy = NULL;

			lua_rawgeti(L, -1, (int)i);
			if (lua_type(L, -1) != LUA_TSTRING ||
			    lua_objlen(L, -1) == 0) {
				vg_sbx_file_error(f, "l7", "script '%s': "
						  "filter.l7 items must be nDPI "
						  "protocol names", s->key);
				rc = -1;
			} else if ((copy = strdup(lua_tostring(L, -1))) ==
					   NULL ||
				   vg_sbx_push(&s->l7_filter, &s->n_l7_filter,
					       copy) != 0) {
				free(copy);
				rc = -1;
			}
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 2);
	return rc;
}

/* default_value: a table whose enabled, threshold and operator, when
 * present, have the types vigil.exceeds() and the YAML need. */
static int
load_defaults(const struct vg_sbx_file *f, int t, struct vg_sbx_script *s)
{
	lua_State *L = f->plugin->L;
	int dt;
	int rc = 0;

	lua_getfield(L, t, "default_value");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
	}
	dt = lua_gettop(L);
	if (!lua_istable(L, dt)) {
		vg_sbx_file_error(f, "default_value", "script '%s': "
				  "default_value must be a table", s->key);
		lua_pop(L, 1);
		return -1;
	}
	lua_getfield(L, dt, "enabled");
	if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
		vg_sbx_file_error(f, "enabled", "script '%s': "
				  "default_value.enabled must be true or false",
				  s->key);
		rc = -1;
	}
	lua_getfield(L, dt, "threshold");
	if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TNUMBER) {
		vg_sbx_file_error(f, "threshold", "script '%s': "
				  "default_value.threshold must be a number",
				  s->key);
		rc = -1;
	}
	lua_getfield(L, dt, "operator");
	if (!lua_isnil(L, -1)) {
		const char *op = lua_type(L, -1) == LUA_TSTRING ?
					 lua_tostring(L, -1) :
					 "";

		if (strcmp(op, "gt") && strcmp(op, "ge") && strcmp(op, "lt") &&
		    strcmp(op, "le") && strcmp(op, "eq")) {
			vg_sbx_file_error(f, "operator", "script '%s': "
					  "default_value.operator must be gt, "
					  "ge, lt, le or eq", s->key);
			rc = -1;
		}
	}
	lua_pop(L, 3);
	s->conf_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return rc;
}

static int
ref_function(const struct vg_sbx_file *f, int t, const char *name,
	     struct vg_sbx_script *s, int *ref)
{
	lua_State *L = f->plugin->L;

	*ref = LUA_NOREF;
	lua_getfield(L, t, name);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_isfunction(L, -1)) {
		vg_sbx_file_error(f, name, "script '%s': %s must be a function",
				  s->key, name);
		lua_pop(L, 1);
		return -1;
	}
	*ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

/* Returns the script of any loaded plugin, or of <plugin>, named <key>. */
static struct vg_sbx_script *
find_script_loading(struct vg_sbx *sbx, struct vg_sbx_plugin *plugin,
		    const char *key)
{
	struct vg_sbx_script *found = find_script_in(plugin, key);
	size_t i;

	for (i = 0; found == NULL && i < sbx->n_plugins; i++) {
		if (sbx->plugins[i]->loaded)
			found = find_script_in(sbx->plugins[i], key);
	}
	return found;
}

int
vg_sbx_script_load(struct vg_sbx_plugin *plugin, enum vg_sbx_kind kind,
		   const char *file, const char *source)
{
	static const char *const fields[] = {
		"key", "hooks", "filter", "local_only", "default_value",
		"setup", "teardown", "title", "description", "category", NULL,
	};
	struct vg_sbx_file f = { plugin, file, source };
	struct vg_sbx_script *s = calloc(1, sizeof(*s));
	struct vg_sbx_script *other;
	lua_State *L = plugin->L;
	int rc = 0;
	int t;
	int h;

	if (s == NULL)
		return -ENOMEM;
	s->kind = kind;
	s->plugin = plugin;
	s->conf_ref = LUA_NOREF;
	s->setup_ref = LUA_NOREF;
	s->teardown_ref = LUA_NOREF;
	for (h = 0; h < VG_SBX_HOOKS; h++)
		s->hook_ref[h] = LUA_NOREF;
	s->file = strdup(file);
	if (s->file == NULL || vg_sbx_file_run(&f) != 0)
		goto fail;
	t = lua_gettop(L);
	rc |= vg_sbx_check_fields(&f, t, fields);
	if (vg_sbx_get_string(&f, t, "key", true, &s->key) != 0) {
		lua_pop(L, 1);
		goto fail;
	}
	if (!vg_sbx_valid_key(s->key, NULL)) {
		vg_sbx_file_error(&f, "key", "key '%s' must be 1..64 of a-z, "
				  "0-9 and _", s->key);
		rc = -1;
	} else if ((other = find_script_loading(plugin->sbx, plugin,
						s->key)) != NULL) {
		vg_sbx_file_error(&f, "key", "script key '%s' is already "
				  "defined in %s", s->key, other->file);
		rc = -1;
	}
	rc |= load_hooks(&f, t, s);
	rc |= load_filter(&f, t, s);
	lua_getfield(L, t, "local_only");
	if (!lua_isnil(L, -1) &&
	    (kind != VG_SBX_HOST || !lua_isboolean(L, -1))) {
		vg_sbx_file_error(&f, "local_only", "script '%s': local_only "
				  "must be true or false and applies to host "
				  "scripts only", s->key);
		rc = -1;
	}
	s->local_only = lua_toboolean(L, -1);
	lua_pop(L, 1);
	rc |= load_defaults(&f, t, s);
	rc |= ref_function(&f, t, "setup", s, &s->setup_ref);
	rc |= ref_function(&f, t, "teardown", s, &s->teardown_ref);
	lua_pop(L, 1);
	if (rc != 0 ||
	    vg_sbx_push(&plugin->scripts, &plugin->n_scripts, s) != 0)
		goto fail;
	return 0;
fail:
	/* The state is closed with the skipped plugin, refs with it. */
	vg_sbx_script_free(s);
	return -EINVAL;
}

/* Pushes a deep copy of the table at <idx>. */
static int
copy_table(lua_State *L, int idx, int depth)
{
	if (depth > MAX_CONF_DEPTH)
		return -1;
	luaL_checkstack(L, 4, "configuration");
	lua_newtable(L);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pushvalue(L, -2);
		if (lua_istable(L, -2)) {
			if (copy_table(L, lua_gettop(L) - 1, depth + 1) != 0) {
				lua_pop(L, 4);
				return -1;
			}
		} else {
			lua_pushvalue(L, -2);
		}
		lua_rawset(L, -5);
		lua_pop(L, 1);
	}
	return 0;
}

/* Replaces the script's default_value ref by a merged configuration. */
static int
make_conf(struct vg_sbx_script *s)
{
	lua_State *L = s->plugin->L;

	lua_rawgeti(L, LUA_REGISTRYINDEX, s->conf_ref);
	if (copy_table(L, lua_gettop(L), 1) != 0) {
		lua_pop(L, 1);
		vg_sbx_load_error(s->plugin->sbx, s->file, 1,
				  "script '%s': default_value nests deeper "
				  "than %d tables or refers to itself",
				  s->key, MAX_CONF_DEPTH);
		return -1;
	}
	lua_getfield(L, -1, "enabled");
	if (lua_isnil(L, -1)) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -3, "enabled");
	}
	lua_pop(L, 1);
	luaL_unref(L, LUA_REGISTRYINDEX, s->conf_ref);
	s->conf_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pop(L, 1);
	return 0;
}

/* Calls setup(conf); a false result or an error leaves it disabled. */
static void
run_setup(struct vg_sbx *sbx, struct vg_sbx_script *s)
{
	struct vg_sbx_plugin *plugin = s->plugin;
	lua_State *L = plugin->L;
	char buf[1024];
	int rc;

	lua_rawgeti(L, LUA_REGISTRYINDEX, s->setup_ref);
	lua_rawgeti(L, LUA_REGISTRYINDEX, s->conf_ref);
	sbx->setup_plugin = plugin;
	vg_sbx_publish_loading(sbx, plugin);
	rc = vg_sbx_state_call(plugin, 1, 1, VG_SBX_LOAD_BUDGET_MS);
	vg_sbx_publish_loading(sbx, NULL);
	sbx->setup_plugin = NULL;
	if (rc != 0) {
		const char *msg = lua_tostring(L, -1);

		sbx->loading = plugin;
		vg_sbx_load_error(sbx, NULL, 0, "%s: script '%s': setup() "
				  "failed: %s", s->file, s->key,
				  vg_sbx_full_message(plugin,
						      msg ? msg : "(no message)",
						      buf, sizeof(buf)));
		sbx->loading = NULL;
		s->enabled = false;
		s->enabled_source = VG_SBX_ENABLED_SETUP;
	} else if (!lua_isnil(L, -1) && !lua_toboolean(L, -1)) {
		VG_INFO(VG_SBX_TAG, "plugin=%s script=%s disabled by its "
			"setup()", plugin->name, s->key);
		s->enabled = false;
		s->enabled_source = VG_SBX_ENABLED_SETUP;
	}
	lua_pop(L, 1);
}

int
vg_sbx_scripts_configure(struct vg_sbx *sbx)
{
	size_t i;
	int rc;

	for (i = 0; i < sbx->n_scripts; i++) {
		if (make_conf(sbx->scripts[i]) != 0)
			sbx->scripts[i]->disabled = true;
	}
	rc = vg_sbx_config_apply(sbx);
	if (rc < 0)
		return rc;
	for (i = 0; i < sbx->n_scripts; i++) {
		struct vg_sbx_script *s = sbx->scripts[i];
		lua_State *L = s->plugin->L;

		if (s->disabled)
			continue;
		lua_rawgeti(L, LUA_REGISTRYINDEX, s->conf_ref);
		lua_getfield(L, -1, "enabled");
		s->enabled = lua_toboolean(L, -1);
		lua_pop(L, 2);
		if (s->enabled && s->setup_ref != LUA_NOREF)
			run_setup(sbx, s);
	}
	return 0;
}
