/*
 * Running the hooks an event batch calls for.
 *
 * Scripts run in load order for each event, so the results of one batch
 * come out in a fixed order. Each call is protected: a Lua error, a
 * memory error or an overrun of the hook budget becomes a PluginError and
 * the next script and event go on. A script that fails
 * VG_SBX_FAILURES_TO_DISABLE times in a row is disabled and reported; a
 * plugin left with no runnable script is closed, which returns its
 * memory. A script reports at most VG_SBX_ERRORS_PER_BATCH errors per
 * batch and then one line counting the rest, so a script that fails on
 * every other event cannot flood the result ring.
 *
 * vigild kills a sandbox still inside one batch after --deadline-ms.
 * Hooks that each keep to --hook-budget-ms can still add up past that, so
 * a batch has a time budget: no hook starts once the batch has run for
 * deadline_ms - hook_budget_ms - deadline_ms / 10. The hook started last
 * can then use its whole budget, and a tenth of the deadline is left for
 * the coarse clock, the results and scheduling. When that leaves less
 * than half of deadline_ms, hooks start during the first half only, and
 * one slow hook can still get the sandbox killed. Hooks left out are
 * counted (hooks_skipped in the result batches) and logged at most once
 * a second. The batch's other work still happens, such as forgetting the
 * alerts of flows that ended.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#include "common/log.h"
#include "sandbox/results.h"
#include "sandbox/sandbox.h"

#define ERROR_LOG_PER_SEC 10
#define SKIP_LOG_INTERVAL_NS 1000000000ull

void
vg_sbx_plugin_error(struct vg_sbx *sbx, const struct vg_sbx_plugin *plugin,
		    const struct vg_sbx_script *script, const char *hook,
		    const char *message)
{
	static uint64_t window_ns;
	static unsigned int lines;
	static unsigned int suppressed;
	uint64_t now = vg_sbx_now_ns();

	if (now - window_ns >= 1000000000ull) {
		if (suppressed)
			VG_WARN(VG_SBX_TAG, "%u plugin error lines suppressed",
				suppressed);
		window_ns = now;
		lines = 0;
		suppressed = 0;
	}
	if (lines < ERROR_LOG_PER_SEC) {
		lines++;
		VG_WARN(VG_SBX_TAG, "plugin=%s script=%s hook=%s: %s",
			plugin ? plugin->name : "-", script ? script->key : "-",
			hook, message);
	} else {
		suppressed++;
	}
	if (sbx->results != NULL)
		vg_sbx_results_error(sbx->results, plugin ? plugin->name : "",
				     script ? script->key : "", hook, message);
}

/*
 * Returns what decided whether <s> runs, as vigild's API names it:
 * "failures" when repeated failures disabled it at run time, "error" when
 * its configuration could not be built (it never runs), else the setting
 * that decided at load.
 */
static const char *
enabled_source_name(const struct vg_sbx_script *s)
{
	if (s->enabled_source == VG_SBX_ENABLED_FAILURES)
		return "failures";
	if (s->disabled)
		return "error";
	switch (s->enabled_source) {
	case VG_SBX_ENABLED_CONFIG:
		return "config";
	case VG_SBX_ENABLED_SETUP:
		return "setup";
	default:
		return "default";
	}
}

void
vg_sbx_report_script(struct vg_sbx *sbx, const struct vg_sbx_script *s)
{
	int rc;

	if (sbx->results == NULL)
		return;
	rc = vg_sbx_results_script(sbx->results, s->index + 1, s->plugin->name,
				   s->key, s->file, vg_sbx_kind_name(s->kind),
				   s->enabled && !s->disabled,
				   enabled_source_name(s));
	if (rc < 0)
		VG_WARN(VG_SBX_TAG,
			"plugin=%s script=%s state not reported: vg_sbx_results_script() failed: %d",
			s->plugin->name, s->key, rc);
}

static bool
runnable(const struct vg_sbx_script *s)
{
	return s->enabled && !s->disabled && s->plugin->L != NULL;
}

/* Closes <plugin> once none of its scripts can run any more. */
static void
maybe_close(struct vg_sbx_plugin *plugin)
{
	size_t i;

	for (i = 0; i < plugin->n_scripts; i++) {
		if (runnable(plugin->scripts[i]))
			return;
	}
	VG_WARN(VG_SBX_TAG, "plugin=%s closed: no script left to run",
		plugin->name);
	vg_sbx_plugin_close(plugin);
}

static void
script_failed(struct vg_sbx *sbx, struct vg_sbx_script *s, const char *hook,
	      const char *message)
{
	char msg[1200];

	s->failures++;
	if (s->batch_errors < VG_SBX_ERRORS_PER_BATCH)
		vg_sbx_plugin_error(sbx, s->plugin, s, hook, message);
	s->batch_errors++;
	if (s->failures < VG_SBX_FAILURES_TO_DISABLE)
		return;
	snprintf(msg, sizeof(msg), "script disabled after %u consecutive "
		 "failures; the last: %s", s->failures, message);
	vg_sbx_plugin_error(sbx, s->plugin, s, hook, msg);
	s->disabled = true;
	s->enabled_source = VG_SBX_ENABLED_FAILURES;
	vg_sbx_report_script(sbx, s);
	maybe_close(s->plugin);
}

/* Returns how long a batch may start hooks, in nanoseconds (0: no limit). */
static uint64_t
batch_budget_ns(const struct vg_sbx_options *opt)
{
	uint64_t deadline = (uint64_t)opt->deadline_ms * 1000000;
	uint64_t reserve = (uint64_t)opt->hook_budget_ms * 1000000 +
			   deadline / 10;

	if (reserve > deadline / 2)
		reserve = deadline / 2;
	return deadline - reserve;
}

/* Starts the time budget of a batch or of the teardowns. */
static void
start_budget(struct vg_sbx *sbx)
{
	uint64_t budget = batch_budget_ns(&sbx->opt);

	sbx->batch_limit_ns = budget != 0 ? vg_sbx_budget_now_ns() + budget : 0;
	sbx->batch_skipped = 0;
	sbx->first_skipped = NULL;
}

/*
 * Returns true when no hook may start now (<now> from the budget clock),
 * counting <s> as skipped.
 */
static bool
budget_spent(struct vg_sbx *sbx, const struct vg_sbx_script *s, uint64_t now)
{
	if (sbx->batch_limit_ns == 0 || now < sbx->batch_limit_ns)
		return false;
	if (sbx->batch_skipped++ == 0)
		sbx->first_skipped = s;
	return true;
}

/*
 * Ends the time budget of a batch (<teardown> false) or of the teardowns:
 * counts the hooks left out for vigild and logs them. Batches log at most
 * one line a second, which sums the batches since the previous line.
 */
static void
end_budget(struct vg_sbx *sbx, bool teardown)
{
	const struct vg_sbx_script *first = sbx->first_skipped;
	unsigned long long budget_ms = batch_budget_ns(&sbx->opt) / 1000000;
	unsigned int skipped = sbx->batch_skipped;
	uint64_t now;

	sbx->batch_limit_ns = 0;
	if (skipped == 0)
		return;
	sbx->hooks_skipped += skipped;
	if (sbx->results != NULL)
		vg_sbx_results_count_skipped(sbx->results, skipped);
	sbx->batch_skipped = 0;
	sbx->first_skipped = NULL;

	if (teardown) {
		VG_WARN(VG_SBX_TAG, "teardown ran out of time: teardowns start only in the first %llu ms of a stop (deadline_ms=%u hook_budget_ms=%u); hooks_skipped=%u, from plugin=%s script=%s on",
			budget_ms, sbx->opt.deadline_ms,
			sbx->opt.hook_budget_ms, skipped, first->plugin->name,
			first->key);
		return;
	}
	sbx->skip_unlogged_hooks += skipped;
	sbx->skip_unlogged_batches++;
	now = vg_sbx_now_ns();
	if (sbx->skip_log_ns != 0 &&
	    now - sbx->skip_log_ns < SKIP_LOG_INTERVAL_NS)
		return;
	VG_WARN(VG_SBX_TAG, "batch ran out of time: hooks start only in the first %llu ms of a batch (deadline_ms=%u hook_budget_ms=%u); hooks_skipped=%llu in batches=%u since the last such line, the latest from plugin=%s script=%s on (hooks_skipped_total=%llu)",
		budget_ms, sbx->opt.deadline_ms, sbx->opt.hook_budget_ms,
		(unsigned long long)sbx->skip_unlogged_hooks,
		sbx->skip_unlogged_batches, first->plugin->name, first->key,
		(unsigned long long)sbx->hooks_skipped);
	sbx->skip_log_ns = now;
	sbx->skip_unlogged_hooks = 0;
	sbx->skip_unlogged_batches = 0;
}

/*
 * Calls hook slot <slot> of <s> (or its "all" hook) for <element>, unless
 * the batch's time budget is spent. Returns false when the script has
 * neither hook.
 */
static bool
call_hook(struct vg_sbx *sbx, struct vg_sbx_script *s, int slot,
	  enum vg_sbx_kind kind, const void *element)
{
	struct vg_sbx_plugin *plugin = s->plugin;
	const char *hook = vg_sbx_hook_names(s->kind)[slot];
	lua_State *L = plugin->L;
	int ref = s->hook_ref[slot];
	int nargs = 2;
	uint64_t now;
	int rc;

	if (ref == LUA_NOREF) {
		ref = s->hook_ref[VG_SBX_HOOK_ALL];
		if (ref == LUA_NOREF)
			return false;
		nargs = 3;
	}
	/* One clock read serves the batch budget and the hook's own. */
	now = vg_sbx_budget_now_ns();
	if (budget_spent(sbx, s, now))
		return true;
	sbx->run_plugin = plugin;
	sbx->run_script = s;
	sbx->run_hook = hook;
	sbx->run_kind = kind;
	sbx->run_element = element;
	sbx->run_outputs = 0;
	if (sbx->status_script != NULL)
		atomic_store_explicit(sbx->status_script, s->index + 1,
				      memory_order_relaxed);
	vg_sbx_proxy_set(plugin, kind, element);

	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	lua_rawgeti(L, LUA_REGISTRYINDEX, plugin->proxy_ref[kind]);
	lua_rawgeti(L, LUA_REGISTRYINDEX, s->conf_ref);
	if (nargs == 3)
		lua_pushstring(L, hook);
	rc = vg_sbx_state_call_from(plugin, nargs, 0, sbx->opt.hook_budget_ms,
				    now);

	vg_sbx_proxy_set(plugin, kind, NULL);
	sbx->run_plugin = NULL;
	sbx->run_script = NULL;
	sbx->run_element = NULL;
	if (rc != 0) {
		const char *msg = lua_tostring(L, -1);
		char buf[1024];

		msg = vg_sbx_full_message(plugin, msg ? msg : "error object "
							    "is not a string",
					  buf, sizeof(buf));
		script_failed(sbx, s, hook, msg);
		if (plugin->L != NULL)
			lua_pop(L, 1);
	} else {
		s->failures = 0;
	}
	return true;
}

/*
 * Returns true when a name in <filter> is, ignoring case, the flow's
 * whole l7 name, its master or its app: "TLS" matches "TLS", "TLS.Google"
 * and "DNS.TLS", as the API's l7 filter does. The parts come from vigild,
 * which records where nDPI split the name, so a protocol name that contains a
 * dot still matches only as a whole.
 */
static bool
l7_matches(const Vigil__V1__FlowEvent *fe, char *const *filter, size_t n)
{
	const char *l7 = fe->l7 ? fe->l7 : "";
	const char *master = fe->l7_master ? fe->l7_master : "";
	const char *app = fe->l7_app ? fe->l7_app : "";
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcasecmp(l7, filter[i]) == 0 ||
		    strcasecmp(master, filter[i]) == 0 ||
		    strcasecmp(app, filter[i]) == 0)
			return true;
	}
	return false;
}

static bool
flow_matches(const struct vg_sbx_script *s, const Vigil__V1__FlowEvent *fe)
{
	if (s->has_l4_filter &&
	    (fe->l4_proto > 255 ||
	     !(s->l4_filter[fe->l4_proto / 8] & (1u << (fe->l4_proto % 8)))))
		return false;
	if (s->n_l7_filter > 0 &&
	    !l7_matches(fe, s->l7_filter, s->n_l7_filter))
		return false;
	return true;
}

static void
dispatch_flow(struct vg_sbx *sbx, const Vigil__V1__FlowEvent *fe)
{
	int slot = (int)fe->hook - 1;
	size_t i;

	if (slot < 0 || slot >= VG_SBX_HOOK_ALL)
		return;
	sbx->n_run_statuses = 0;
	for (i = 0; i < sbx->n_by_kind[VG_SBX_FLOW]; i++) {
		struct vg_sbx_script *s = sbx->by_kind[VG_SBX_FLOW][i];

		if (runnable(s) && flow_matches(s, fe))
			call_hook(sbx, s, slot, VG_SBX_FLOW, fe);
	}
	if (fe->hook != VIGIL__V1__FLOW_HOOK__FLOW_HOOK_FLOW_END)
		return;
	for (i = 0; i < sbx->n_plugins; i++) {
		if (sbx->plugins[i]->loaded)
			vg_sbx_api_flow_ended(sbx->plugins[i], fe->flow_id);
	}
}

static void
dispatch_elements(struct vg_sbx *sbx, enum vg_sbx_kind kind, int slot,
		  void *const *elements, size_t n)
{
	size_t e;
	size_t i;

	for (e = 0; e < n; e++) {
		for (i = 0; i < sbx->n_by_kind[kind]; i++) {
			struct vg_sbx_script *s = sbx->by_kind[kind][i];

			if (!runnable(s))
				continue;
			if (kind == VG_SBX_HOST && s->local_only &&
			    !((const Vigil__V1__HostSnapshot *)elements[e])
				     ->local)
				continue;
			call_hook(sbx, s, slot, kind, elements[e]);
		}
	}
}

static void
report_suppressed(struct vg_sbx *sbx)
{
	size_t i;

	for (i = 0; i < sbx->n_scripts; i++) {
		struct vg_sbx_script *s = sbx->scripts[i];
		char msg[128];

		if (s->batch_errors > VG_SBX_ERRORS_PER_BATCH) {
			snprintf(msg, sizeof(msg), "%u more errors in this "
				 "batch not reported one by one",
				 s->batch_errors - VG_SBX_ERRORS_PER_BATCH);
			vg_sbx_plugin_error(sbx, s->plugin, s, "batch", msg);
		}
		s->batch_errors = 0;
	}
}

void
vg_sbx_dispatch_batch(struct vg_sbx *sbx, const Vigil__V1__EventBatch *batch)
{
	int slot = (int)batch->period - 1;
	size_t i;

	sbx->batch_time_us = batch->time_us;
	start_budget(sbx);
	for (i = 0; i < batch->n_flows; i++)
		dispatch_flow(sbx, batch->flows[i]);
	if (slot >= 0 && slot < VG_SBX_HOOK_ALL) {
		dispatch_elements(sbx, VG_SBX_HOST, slot,
				  (void *const *)batch->hosts, batch->n_hosts);
		dispatch_elements(sbx, VG_SBX_INTERFACE, slot,
				  (void *const *)batch->interfaces,
				  batch->n_interfaces);
		dispatch_elements(sbx, VG_SBX_NETWORK, slot,
				  (void *const *)batch->networks,
				  batch->n_networks);
		if (batch->system != NULL)
			dispatch_elements(sbx, VG_SBX_SYSTEM, slot,
					  (void *const *)&batch->system, 1);
	}
	report_suppressed(sbx);
	end_budget(sbx, false);
	if (sbx->status_script != NULL)
		atomic_store_explicit(sbx->status_script, 0,
				      memory_order_relaxed);
	if (sbx->results != NULL)
		vg_sbx_results_count_events(sbx->results, batch->n_flows);
}

void
vg_sbx_dispatch_teardown(struct vg_sbx *sbx)
{
	size_t i;

	start_budget(sbx);
	for (i = 0; i < sbx->n_scripts; i++) {
		struct vg_sbx_script *s = sbx->scripts[i];
		struct vg_sbx_plugin *plugin = s->plugin;
		lua_State *L = plugin->L;
		uint64_t now;
		int rc;

		if (!runnable(s) || s->teardown_ref == LUA_NOREF)
			continue;
		now = vg_sbx_budget_now_ns();
		if (budget_spent(sbx, s, now))
			continue;
		sbx->run_plugin = plugin;
		sbx->run_script = s;
		sbx->run_hook = "teardown";
		sbx->run_kind = s->kind;
		sbx->run_element = NULL;
		sbx->run_outputs = 0;
		lua_rawgeti(L, LUA_REGISTRYINDEX, s->teardown_ref);
		lua_rawgeti(L, LUA_REGISTRYINDEX, s->conf_ref);
		rc = vg_sbx_state_call_from(plugin, 1, 0,
					    sbx->opt.hook_budget_ms, now);
		sbx->run_plugin = NULL;
		sbx->run_script = NULL;
		if (rc != 0) {
			const char *msg = lua_tostring(L, -1);
			char buf[1024];

			vg_sbx_plugin_error(sbx, plugin, s, "teardown",
					    vg_sbx_full_message(plugin,
								msg ? msg : "?",
								buf,
								sizeof(buf)));
			lua_pop(L, 1);
		}
	}
	end_budget(sbx, true);
}
