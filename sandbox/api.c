/*
 * What plugin code can do besides computing: set flow statuses, trigger
 * and release alerts, append timeseries points. Everything becomes an
 * item of the current result batch; nothing is written by the sandbox.
 *
 * Every misuse (an unknown key, a wrong argument, a call outside a hook)
 * raises a Lua error, which the dispatcher reports as a PluginError for
 * the hook that made it. A hook may emit VG_SBX_MAX_OUTPUTS_PER_HOOK
 * results per call; past that its calls raise an error too, so one
 * runaway loop cannot flood vigild.
 *
 * Alerts on hosts, interfaces, networks and the system stay engaged until
 * released. The plugin's state records which are engaged, so a repeated
 * trigger, or a release of an alert that is not engaged, sends nothing.
 * Flow alerts are sent once per (flow, alert type) while the flow lives.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "sandbox/json.h"
#include "sandbox/results.h"
#include "sandbox/sandbox.h"

#define MAX_DETAILS_DEPTH 8

/* Reused for every alert's details; single-threaded, reset per use. */
static struct vg_sbx_buf details_buf = { .max = VG_SBX_MAX_DETAILS_BYTES };

static const char *const kind_names[VG_SBX_KINDS] = {
	[VG_SBX_FLOW] = "flow",
	[VG_SBX_HOST] = "host",
	[VG_SBX_INTERFACE] = "interface",
	[VG_SBX_NETWORK] = "network",
	[VG_SBX_SYSTEM] = "system",
};

static const Vigil__V1__Entity kind_entity[VG_SBX_KINDS] = {
	[VG_SBX_FLOW] = VIGIL__V1__ENTITY__ENTITY_FLOW,
	[VG_SBX_HOST] = VIGIL__V1__ENTITY__ENTITY_HOST,
	[VG_SBX_INTERFACE] = VIGIL__V1__ENTITY__ENTITY_INTERFACE,
	[VG_SBX_NETWORK] = VIGIL__V1__ENTITY__ENTITY_NETWORK,
	[VG_SBX_SYSTEM] = VIGIL__V1__ENTITY__ENTITY_SYSTEM,
};

const char *
vg_sbx_kind_name(enum vg_sbx_kind kind)
{
	return kind < VG_SBX_KINDS ? kind_names[kind] : "?";
}

/* Returns the sandbox when <L>'s plugin is running a hook, else raises. */
static struct vg_sbx *
hook_context(lua_State *L, const char *fn)
{
	struct vg_sbx_plugin *plugin = vg_sbx_state_plugin(L);
	struct vg_sbx *sbx = plugin->sbx;

	if (sbx->run_plugin != plugin || sbx->results == NULL ||
	    sbx->run_script == NULL)
		luaL_error(L, "%s can only be called from a hook", fn);
	return sbx;
}

void
vg_sbx_api_count_output(lua_State *L, struct vg_sbx *sbx)
{
	if (sbx->run_outputs >= VG_SBX_MAX_OUTPUTS_PER_HOOK)
		luaL_error(L, "result limit exceeded: a hook call may emit at "
			      "most %d statuses, alerts and points",
			   VG_SBX_MAX_OUTPUTS_PER_HOOK);
	sbx->run_outputs++;
}

static void
check_added(lua_State *L, int rc)
{
	if (rc != 0)
		luaL_error(L, "out of memory for results");
}

/*
 * Pushes field <name> of the plugin's table at <idx> without metamethods:
 * a metamethod would run plugin code inside this C function, which is how
 * C stack recursion starts.
 */
static void
raw_field(lua_State *L, int idx, const char *name)
{
	lua_pushstring(L, name);
	lua_rawget(L, idx < 0 ? idx - 1 : idx);
}

/* Looks <key> up in the registry table <table>; raises when absent. */
static void *
lookup_def(lua_State *L, const char *table, int arg, const char *fn,
	   const char *what, const char *hint)
{
	const char *key = luaL_checkstring(L, arg);
	void *def;

	lua_getfield(L, LUA_REGISTRYINDEX, table);
	lua_getfield(L, -1, key);
	def = lua_touserdata(L, -1);
	lua_pop(L, 2);
	if (def == NULL)
		luaL_error(L, "%s: unknown %s '%s' (%s)", fn, what, key, hint);
	return def;
}

static uint32_t
check_score(lua_State *L, int arg, const char *fn)
{
	lua_Number v = luaL_checknumber(L, arg);

	if (!(v >= 0 && v <= VG_SBX_MAX_SCORE) || v != floor(v))
		luaL_error(L, "%s: score must be an integer 0..%d, got %f", fn,
			   VG_SBX_MAX_SCORE, (double)v);
	return (uint32_t)v;
}

/* --- details as JSON --------------------------------------------------- */

static void encode_value(lua_State *L, int idx, struct vg_sbx_buf *b,
			 int depth);

static bool
is_array(lua_State *L, int idx, size_t *n)
{
	size_t count = 0;

	*n = lua_objlen(L, idx);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		count++;
		lua_pop(L, 1);
	}
	return *n > 0 && count == *n;
}

static void
encode_table(lua_State *L, int idx, struct vg_sbx_buf *b, int depth)
{
	bool first = true;
	size_t n;
	size_t i;

	if (depth > MAX_DETAILS_DEPTH)
		luaL_error(L, "details: nested deeper than %d tables",
			   MAX_DETAILS_DEPTH);
	luaL_checkstack(L, 6, "details");
	if (is_array(L, idx, &n)) {
		vg_sbx_buf_add(b, "[", 1);
		for (i = 1; i <= n; i++) {
			if (i > 1)
				vg_sbx_buf_add(b, ",", 1);
			lua_rawgeti(L, idx, (int)i);
			encode_value(L, lua_gettop(L), b, depth + 1);
			lua_pop(L, 1);
		}
		vg_sbx_buf_add(b, "]", 1);
		return;
	}
	vg_sbx_buf_add(b, "{", 1);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		const char *key;
		size_t len;
		int kt = lua_type(L, -2);

		if (kt != LUA_TSTRING && kt != LUA_TNUMBER)
			luaL_error(L, "details: keys must be strings or "
				      "numbers, got %s", lua_typename(L, kt));
		if (!first)
			vg_sbx_buf_add(b, ",", 1);
		first = false;
		/* A copy, so converting a number key leaves lua_next's
		 * key intact. */
		lua_pushvalue(L, -2);
		key = lua_tolstring(L, -1, &len);
		vg_sbx_json_string(b, key, len);
		lua_pop(L, 1);
		vg_sbx_buf_add(b, ":", 1);
		encode_value(L, lua_gettop(L), b, depth + 1);
		lua_pop(L, 1);
	}
	vg_sbx_buf_add(b, "}", 1);
}

static void
encode_value(lua_State *L, int idx, struct vg_sbx_buf *b, int depth)
{
	const char *s;
	size_t len;

	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		vg_sbx_json_string(b, s, len);
		break;
	case LUA_TNUMBER:
		vg_sbx_json_number(b, lua_tonumber(L, idx));
		break;
	case LUA_TBOOLEAN:
		vg_sbx_buf_puts(b, lua_toboolean(L, idx) ? "true" : "false");
		break;
	case LUA_TNIL:
		vg_sbx_buf_puts(b, "null");
		break;
	case LUA_TTABLE:
		encode_table(L, idx, b, depth);
		break;
	default:
		luaL_error(L, "details: cannot encode a %s",
			   luaL_typename(L, idx));
	}
	if (b->failed)
		luaL_error(L, "details: longer than %d bytes as JSON",
			   VG_SBX_MAX_DETAILS_BYTES);
}

/*
 * Encodes the table at the absolute index <idx> (or "{}" for nil) into the
 * shared details buffer, which stays valid until the next call.
 */
static const char *
encode_details(lua_State *L, int idx)
{
	vg_sbx_buf_reset(&details_buf);
	if (lua_isnoneornil(L, idx))
		return "{}";
	if (!lua_istable(L, idx))
		luaL_error(L, "details must be a table, got %s",
			   luaL_typename(L, idx));
	encode_table(L, idx, &details_buf, 1);
	return details_buf.data ? details_buf.data : "{}";
}


/* --- alerts ------------------------------------------------------------ */

struct target {
	enum vg_sbx_kind kind;
	char value[256];
	const Vigil__V1__FlowEvent *flow; /* for flow alerts */
};

static enum vg_sbx_kind
kind_from_name(lua_State *L, const char *name, const char *fn)
{
	int k;

	for (k = 0; k < VG_SBX_KINDS; k++) {
		if (strcmp(name, kind_names[k]) == 0)
			return (enum vg_sbx_kind)k;
	}
	luaL_error(L, "%s: unknown entity '%s' (expected flow, host, "
		      "interface, network or system)", fn, name);
	return VG_SBX_SYSTEM;
}

/*
 * Finds what an alert is about: params.entity (default: the element of
 * the running hook) and params.value (default: that element's value). A
 * flow alert is always about the flow of the running flow hook.
 */
static void
resolve_target(lua_State *L, struct vg_sbx *sbx, int params, const char *fn,
	       struct target *t)
{
	const char *value = NULL;

	t->kind = sbx->run_kind;
	t->flow = NULL;
	if (params != 0) {
		raw_field(L, params, "entity");
		if (!lua_isnil(L, -1)) {
			if (!lua_isstring(L, -1))
				luaL_error(L, "%s: entity must be a string", fn);
			t->kind = kind_from_name(L, lua_tostring(L, -1), fn);
		}
		lua_pop(L, 1);
		raw_field(L, params, "value");
		if (!lua_isnil(L, -1)) {
			if (lua_type(L, -1) != LUA_TSTRING)
				luaL_error(L, "%s: value must be a string", fn);
			value = lua_tostring(L, -1);
		}
		lua_pop(L, 1);
	}
	if (t->kind == VG_SBX_FLOW) {
		if (sbx->run_kind != VG_SBX_FLOW || sbx->run_element == NULL)
			luaL_error(L, "%s: flow alerts can only be triggered "
				      "from a flow hook", fn);
		t->flow = sbx->run_element;
		vg_sbx_entity_value(VG_SBX_FLOW, t->flow, t->value,
				    sizeof(t->value));
		return;
	}
	if (value != NULL) {
		if (strlen(value) >= sizeof(t->value))
			luaL_error(L, "%s: value longer than %d bytes", fn,
				   (int)sizeof(t->value) - 1);
		strcpy(t->value, value);
		return;
	}
	if (t->kind != sbx->run_kind || sbx->run_element == NULL)
		luaL_error(L, "%s: a %s alert outside a %s hook needs "
			      "params.value", fn, kind_names[t->kind],
			   kind_names[t->kind]);
	vg_sbx_entity_value(t->kind, sbx->run_element, t->value,
			    sizeof(t->value));
}

static void
push_flow_id(lua_State *L, uint64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, id);
	lua_pushstring(L, buf);
}

/*
 * Marks (flow, alert) as sent; returns false when it was already. Leaves
 * the stack as it found it.
 */
static bool
engage_flow_alert(lua_State *L, struct vg_sbx_plugin *plugin,
		  uint64_t flow_id, const char *alert_key)
{
	int top = lua_gettop(L);
	bool fresh;

	if (plugin->n_engaged_flows >= VG_SBX_MAX_ENGAGED) {
		/* Flows whose end never arrived would otherwise fill the
		 * table; forgetting them risks a repeated flow alert, not a
		 * lost one. */
		lua_newtable(L);
		lua_rawseti(L, LUA_REGISTRYINDEX, plugin->engaged_flows_ref);
		plugin->n_engaged_flows = 0;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, plugin->engaged_flows_ref);
	push_flow_id(L, flow_id);
	lua_rawget(L, -2);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		push_flow_id(L, flow_id);
		lua_pushvalue(L, -2);
		lua_rawset(L, -4);
		plugin->n_engaged_flows++;
	}
	lua_getfield(L, -1, alert_key);
	fresh = lua_isnil(L, -1);
	lua_pop(L, 1);
	if (fresh) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, alert_key);
	}
	lua_settop(L, top);
	return fresh;
}

static void
push_engaged_key(lua_State *L, const struct target *t, const char *alert_key)
{
	lua_pushfstring(L, "%s|%s|%s", kind_names[t->kind], t->value,
			alert_key);
}

/* Returns true when the engaged entry existed; <set> adds or removes. */
static bool
engaged_update(lua_State *L, struct vg_sbx_plugin *plugin,
	       const struct target *t, const char *alert_key, bool set)
{
	bool was;

	lua_rawgeti(L, LUA_REGISTRYINDEX, plugin->engaged_ref);
	push_engaged_key(L, t, alert_key);
	lua_pushvalue(L, -1);
	lua_rawget(L, -3);
	was = !lua_isnil(L, -1);
	lua_pop(L, 1);
	if (set && !was) {
		if (plugin->n_engaged >= VG_SBX_MAX_ENGAGED)
			luaL_error(L, "too many engaged alerts: a plugin may "
				      "keep at most %d engaged",
				   VG_SBX_MAX_ENGAGED);
		lua_pushboolean(L, 1);
		lua_rawset(L, -3);
		plugin->n_engaged++;
	} else if (!set && was) {
		lua_pushnil(L);
		lua_rawset(L, -3);
		plugin->n_engaged--;
	} else {
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return was;
}

/*
 * Triggers the alert named at <key_arg> with the optional params table at
 * <params> (0: none) for <self_target> or, when NULL, the target params
 * and the running hook name. Returns 1 with a boolean: true when a trigger
 * was sent, false when the alert was engaged already.
 */
static int
trigger(lua_State *L, const char *fn, int key_arg, int params,
	const struct target *self_target)
{
	struct vg_sbx *sbx = hook_context(L, fn);
	struct vg_sbx_plugin *plugin = sbx->run_plugin;
	const struct vg_sbx_alert *alert;
	const char *details;
	struct target t;
	uint32_t score = 0;
	bool fresh;

	alert = lookup_def(L, VG_SBX_ALERTS_KEY, key_arg, fn, "alert",
			   "not defined by this plugin or its dependencies");
	if (params != 0 && !lua_isnoneornil(L, params))
		luaL_checktype(L, params, LUA_TTABLE);
	else
		params = 0;
	if (self_target != NULL)
		t = *self_target;
	else
		resolve_target(L, sbx, params, fn, &t);
	details = "{}";
	if (params != 0) {
		raw_field(L, params, "score");
		if (!lua_isnil(L, -1))
			score = check_score(L, lua_gettop(L), fn);
		lua_pop(L, 1);
		raw_field(L, params, "details");
		details = encode_details(L, lua_gettop(L));
		lua_pop(L, 1);
	}

	vg_sbx_api_count_output(L, sbx);
	if (t.kind == VG_SBX_FLOW)
		fresh = engage_flow_alert(L, plugin, t.flow->flow_id,
					  alert->key);
	else
		fresh = !engaged_update(L, plugin, &t, alert->key, true);
	if (!fresh) {
		sbx->run_outputs--;
		lua_pushboolean(L, 0);
		return 1;
	}
	if (t.flow != NULL)
		vg_sbx_results_next_flow(sbx->results, t.flow);
	check_added(L, vg_sbx_results_trigger(
			       sbx->results, kind_entity[t.kind], t.value,
			       alert->key, alert->severity, score, details,
			       plugin->name, sbx->run_script->key,
			       sbx->batch_time_us,
			       t.flow ? t.flow->flow_id : 0));
	lua_pushboolean(L, 1);
	return 1;
}

static int
release(lua_State *L, const char *fn, int key_arg, int params,
	const struct target *self_target)
{
	struct vg_sbx *sbx = hook_context(L, fn);
	struct vg_sbx_plugin *plugin = sbx->run_plugin;
	const struct vg_sbx_alert *alert;
	struct target t;

	alert = lookup_def(L, VG_SBX_ALERTS_KEY, key_arg, fn, "alert",
			   "not defined by this plugin or its dependencies");
	if (params != 0 && !lua_isnoneornil(L, params))
		luaL_checktype(L, params, LUA_TTABLE);
	else
		params = 0;
	if (self_target != NULL)
		t = *self_target;
	else
		resolve_target(L, sbx, params, fn, &t);
	if (t.kind == VG_SBX_FLOW)
		return luaL_error(L, "%s: flow alerts are not engaged, so "
				     "they cannot be released", fn);
	vg_sbx_api_count_output(L, sbx);
	if (!engaged_update(L, plugin, &t, alert->key, false)) {
		sbx->run_outputs--;
		lua_pushboolean(L, 0);
		return 1;
	}
	check_added(L, vg_sbx_results_release(
			       sbx->results, kind_entity[t.kind], t.value,
			       alert->key, plugin->name, sbx->run_script->key,
			       sbx->batch_time_us));
	lua_pushboolean(L, 1);
	return 1;
}

static int
l_alerts_trigger(lua_State *L)
{
	return trigger(L, "alerts.trigger", 1, 2, NULL);
}

static int
l_alerts_release(lua_State *L)
{
	return release(L, "alerts.release", 1, 2, NULL);
}

void
vg_sbx_api_flow_ended(struct vg_sbx_plugin *plugin, uint64_t flow_id)
{
	lua_State *L = plugin->L;

	if (L == NULL || plugin->n_engaged_flows == 0)
		return;
	lua_rawgeti(L, LUA_REGISTRYINDEX, plugin->engaged_flows_ref);
	push_flow_id(L, flow_id);
	lua_rawget(L, -2);
	if (!lua_isnil(L, -1)) {
		push_flow_id(L, flow_id);
		lua_pushnil(L);
		lua_rawset(L, -4);
		plugin->n_engaged_flows--;
	}
	lua_pop(L, 2);
}

/* --- element objects --------------------------------------------------- */

/* Returns the element behind the object at index 1, checked to be the one
 * the running hook was given. */
static const void *
check_self(lua_State *L, struct vg_sbx *sbx, enum vg_sbx_kind *kind,
	   const char *fn)
{
	struct vg_sbx_proxy *px = lua_touserdata(L, 1);
	struct vg_sbx_plugin *plugin = sbx->run_plugin;

	if (px == NULL || plugin == NULL || px != plugin->proxy[px->kind])
		luaL_error(L, "%s: call it as object:%s(...)", fn, fn);
	if (px->element == NULL || px->element != sbx->run_element)
		luaL_error(L, "%s: this %s object is only valid inside the hook "
			      "it was passed to", fn, kind_names[px->kind]);
	*kind = px->kind;
	return px->element;
}

static void
self_target(lua_State *L, struct vg_sbx *sbx, const char *fn,
	    struct target *t)
{
	const void *element = check_self(L, sbx, &t->kind, fn);

	t->flow = t->kind == VG_SBX_FLOW ? element : NULL;
	vg_sbx_entity_value(t->kind, element, t->value, sizeof(t->value));
}

static int
l_trigger_alert(lua_State *L)
{
	struct vg_sbx *sbx = hook_context(L, "triggerAlert");
	struct target t;

	self_target(L, sbx, "triggerAlert", &t);
	return trigger(L, "triggerAlert", 2, 3, &t);
}

static int
l_release_alert(lua_State *L)
{
	struct vg_sbx *sbx = hook_context(L, "releaseAlert");
	struct target t;

	self_target(L, sbx, "releaseAlert", &t);
	return release(L, "releaseAlert", 2, 3, &t);
}

static bool
flow_has_status(const struct vg_sbx *sbx, const Vigil__V1__FlowEvent *fe,
		const struct vg_sbx_status *status)
{
	size_t i;

	for (i = 0; i < fe->n_statuses; i++) {
		if (strcmp(fe->statuses[i], status->key) == 0)
			return true;
	}
	for (i = 0; i < sbx->n_run_statuses; i++) {
		if (sbx->run_statuses[i] == status)
			return true;
	}
	return false;
}

/*
 * flow:setStatus(status_key [, score [, client_score, server_score]]):
 * the score defaults to the status definition's.
 */
static int
l_set_status(lua_State *L)
{
	struct vg_sbx *sbx = hook_context(L, "setStatus");
	const Vigil__V1__FlowEvent *fe;
	const struct vg_sbx_status *status;
	struct vg_sbx_buf *b = &details_buf;
	enum vg_sbx_kind kind;
	uint32_t score, cli, srv;
	char value[256];
	bool alert;

	fe = check_self(L, sbx, &kind, "setStatus");
	if (kind != VG_SBX_FLOW)
		return luaL_error(L, "setStatus: only flows have statuses");
	status = lookup_def(L, VG_SBX_STATUSES_KEY, 2, "setStatus", "status",
			    "not defined by this plugin or its dependencies");
	score = lua_isnoneornil(L, 3) ? status->score :
					 check_score(L, 3, "setStatus");
	cli = lua_isnoneornil(L, 4) ? 0 : check_score(L, 4, "setStatus");
	srv = lua_isnoneornil(L, 5) ? 0 : check_score(L, 5, "setStatus");
	if (flow_has_status(sbx, fe, status)) {
		lua_pushboolean(L, 0);
		return 1;
	}

	/*
	 * One flow alert per status and flow, also when the flow's events
	 * came in one batch and the later one does not show the status yet
	 * (vigild fires protocolDetected and flowEnd together at a flow's end).
	 */
	alert = status->alert != NULL &&
		engage_flow_alert(L, sbx->run_plugin, fe->flow_id,
				  status->alert->key);
	vg_sbx_api_count_output(L, sbx);
	if (alert)
		vg_sbx_api_count_output(L, sbx);
	check_added(L, vg_sbx_results_status(sbx->results, fe->flow_id,
					     status->key, score, cli, srv,
					     sbx->run_plugin->name,
					     sbx->run_script->key));
	if (sbx->n_run_statuses < sizeof(sbx->run_statuses) /
					  sizeof(sbx->run_statuses[0]))
		sbx->run_statuses[sbx->n_run_statuses++] = status;
	if (alert) {
		vg_sbx_buf_reset(b);
		vg_sbx_buf_puts(b, "{\"status\":");
		vg_sbx_json_string(b, status->key, strlen(status->key));
		vg_sbx_buf_puts(b, ",\"l7\":");
		vg_sbx_json_string(b, fe->l7 ? fe->l7 : "",
				   fe->l7 ? strlen(fe->l7) : 0);
		vg_sbx_buf_puts(b, ",\"server_name\":");
		/* A long SNI makes the details overflow; cut it then. */
		vg_sbx_json_string(b, fe->server_name ? fe->server_name : "",
				   fe->server_name ?
					   strnlen(fe->server_name, 1024) :
					   0);
		vg_sbx_buf_puts(b, "}");
		vg_sbx_entity_value(VG_SBX_FLOW, fe, value, sizeof(value));
		vg_sbx_results_next_flow(sbx->results, fe);
		check_added(L, vg_sbx_results_trigger(
				       sbx->results, VIGIL__V1__ENTITY__ENTITY_FLOW,
				       value, status->alert->key,
				       status->alert->severity, score,
				       b->failed ? "{}" : b->data,
				       sbx->run_plugin->name,
				       sbx->run_script->key,
				       sbx->batch_time_us, fe->flow_id));
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* flow:hasStatus(status_key) */
static int
l_has_status(lua_State *L)
{
	struct vg_sbx *sbx = hook_context(L, "hasStatus");
	const Vigil__V1__FlowEvent *fe;
	const struct vg_sbx_status *status;
	enum vg_sbx_kind kind;

	fe = check_self(L, sbx, &kind, "hasStatus");
	if (kind != VG_SBX_FLOW)
		return luaL_error(L, "hasStatus: only flows have statuses");
	status = lookup_def(L, VG_SBX_STATUSES_KEY, 2, "hasStatus", "status",
			    "not defined by this plugin or its dependencies");
	lua_pushboolean(L, flow_has_status(sbx, fe, status));
	return 1;
}

const luaL_Reg vg_sbx_flow_methods[] = {
	{ "setStatus", l_set_status },
	{ "hasStatus", l_has_status },
	{ "triggerAlert", l_trigger_alert },
	{ NULL, NULL },
};

const luaL_Reg vg_sbx_element_methods[] = {
	{ "triggerAlert", l_trigger_alert },
	{ "releaseAlert", l_release_alert },
	{ NULL, NULL },
};

/* --- timeseries -------------------------------------------------------- */

/* Raises when the table at <idx> has a key not in <names>. */
static void
check_no_extra(lua_State *L, int idx, char *const *names, size_t n,
	       const struct vg_sbx_metric *metrics, const char *schema,
	       const char *what)
{
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ?
					  lua_tostring(L, -2) :
					  NULL;
		bool known = false;
		size_t i;

		for (i = 0; key != NULL && i < n; i++) {
			const char *name = names ? names[i] : metrics[i].name;

			if (strcmp(key, name) == 0) {
				known = true;
				break;
			}
		}
		if (!known)
			luaL_error(L, "ts.append: schema '%s' has no %s '%s'",
				   schema, what,
				   key ? key : luaL_typename(L, -2));
		lua_pop(L, 1);
	}
}

/* ts.append(schema, tags, metrics) */
static int
l_ts_append(lua_State *L)
{
	struct vg_sbx *sbx = hook_context(L, "ts.append");
	const struct vg_sbx_schema *schema;
	const char *tag_values[VG_SBX_MAX_TAGS];
	const char *metric_names[VG_SBX_MAX_METRICS];
	double values[VG_SBX_MAX_METRICS];
	const char *counters[VG_SBX_MAX_METRICS];
	size_t n_counters = 0;
	size_t i;

	schema = lookup_def(L, VG_SBX_SCHEMAS_KEY, 1, "ts.append", "schema",
			    "declare it in this plugin's ts_schemas/");
	luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checktype(L, 3, LUA_TTABLE);
	lua_settop(L, 3);
	luaL_checkstack(L, (int)schema->n_tags + 4, "ts.append");
	check_no_extra(L, 2, schema->tags, schema->n_tags, NULL, schema->name,
		       "tag");
	check_no_extra(L, 3, NULL, schema->n_metrics, schema->metrics,
		       schema->name, "metric");
	for (i = 0; i < schema->n_tags; i++) {
		raw_field(L, 2, schema->tags[i]);
		if (!lua_isstring(L, -1))
			return luaL_error(L, "ts.append: tag '%s' of schema "
					     "'%s' is missing or not a string",
					  schema->tags[i], schema->name);
		/* Stays on the stack, so the string stays valid. */
		tag_values[i] = lua_tostring(L, -1);
	}
	for (i = 0; i < schema->n_metrics; i++) {
		raw_field(L, 3, schema->metrics[i].name);
		if (lua_type(L, -1) != LUA_TNUMBER)
			return luaL_error(L, "ts.append: metric '%s' of schema "
					     "'%s' is missing or not a number",
					  schema->metrics[i].name,
					  schema->name);
		values[i] = lua_tonumber(L, -1);
		metric_names[i] = schema->metrics[i].name;
		lua_pop(L, 1);
	}
	vg_sbx_api_count_output(L, sbx);
	for (i = 0; i < schema->n_metrics; i++) {
		if (schema->metrics[i].counter)
			counters[n_counters++] = schema->metrics[i].name;
	}
	vg_sbx_results_next_point_schema(sbx->results, schema->step, counters,
					 n_counters);
	check_added(L, vg_sbx_results_point(
			       sbx->results, schema->name,
			       (const char *const *)schema->tags, tag_values,
			       schema->n_tags, metric_names, values,
			       schema->n_metrics, sbx->batch_time_us,
			       sbx->run_plugin->name));
	lua_pushboolean(L, 1);
	return 1;
}

/* --- vigil ------------------------------------------------------------- */

/* vigil.time(): the current batch's packet time in seconds. */
static int
l_vigil_time(lua_State *L)
{
	lua_pushnumber(L, vg_sbx_state_plugin(L)->sbx->batch_time_us / 1e6);
	return 1;
}

/* vigil.exceeds(value, conf): value <conf.operator> conf.threshold. */
static int
l_vigil_exceeds(lua_State *L)
{
	lua_Number value = luaL_checknumber(L, 1);
	lua_Number threshold;
	const char *op;
	bool r;

	luaL_checktype(L, 2, LUA_TTABLE);
	raw_field(L, 2, "threshold");
	if (lua_type(L, -1) != LUA_TNUMBER)
		return luaL_error(L, "vigil.exceeds: conf.threshold must be a "
				     "number");
	threshold = lua_tonumber(L, -1);
	raw_field(L, 2, "operator");
	op = lua_isnil(L, -1) ? "gt" : lua_tostring(L, -1);
	if (op == NULL)
		op = "";
	if (strcmp(op, "gt") == 0)
		r = value > threshold;
	else if (strcmp(op, "ge") == 0)
		r = value >= threshold;
	else if (strcmp(op, "lt") == 0)
		r = value < threshold;
	else if (strcmp(op, "le") == 0)
		r = value <= threshold;
	else if (strcmp(op, "eq") == 0)
		r = value == threshold;
	else
		return luaL_error(L, "vigil.exceeds: conf.operator must be gt, "
				     "ge, lt, le or eq, got '%s'", op);
	lua_pushboolean(L, r);
	return 1;
}

int
vg_sbx_api_open(struct vg_sbx_plugin *plugin)
{
	static const luaL_Reg alerts_fns[] = {
		{ "trigger", l_alerts_trigger },
		{ "release", l_alerts_release },
		{ NULL, NULL },
	};
	static const luaL_Reg ts_fns[] = {
		{ "append", l_ts_append },
		{ NULL, NULL },
	};
	static const luaL_Reg vigil_fns[] = {
		{ "time", l_vigil_time },
		{ "exceeds", l_vigil_exceeds },
		{ "read_list", vg_sbx_read_list },
		{ NULL, NULL },
	};
	lua_State *L = plugin->L;

	lua_newtable(L);
	luaL_register(L, NULL, alerts_fns);
	lua_setglobal(L, "alerts");
	lua_newtable(L);
	luaL_register(L, NULL, ts_fns);
	lua_setglobal(L, "ts");
	lua_newtable(L);
	luaL_register(L, NULL, vigil_fns);
	lua_pushstring(L, plugin->name);
	lua_setfield(L, -2, "plugin");
	lua_pushstring(L, VG_VERSION);
	lua_setfield(L, -2, "version");
	lua_setglobal(L, "vigil");

	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, VG_SBX_ALERTS_KEY);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, VG_SBX_STATUSES_KEY);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, VG_SBX_SCHEMAS_KEY);
	lua_newtable(L);
	plugin->engaged_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	plugin->engaged_flows_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

void
vg_sbx_api_cleanup(void)
{
	vg_sbx_buf_free(&details_buf);
	details_buf.max = VG_SBX_MAX_DETAILS_BYTES;
}
