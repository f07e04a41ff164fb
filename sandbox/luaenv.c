/*
 * The Lua state each plugin runs in.
 *
 * A plugin can use the base library without its file and bytecode
 * loaders, string, table, math, bit, coroutine and the time functions of
 * os.
 * io, debug, package, ffi and jit are never opened, so no code in the
 * state can reach a file, a C library or the interpreter's internals. load
 * accepts text chunks only, and require returns the plugin's own modules,
 * compiled from the .lua files in modules/ before the sandbox dropped
 * its privileges.
 *
 * The allocator counts the state's bytes and fails past the plugin's
 * share of --memory-mb, which Lua reports as "not enough memory" to the
 * hook that asked. The allocator records the file and line of the
 * request it rejects, and vg_sbx_full_message() adds them to that
 * message. The instruction-count hook checks the running hook's
 * deadline; the JIT does not call it inside compiled traces, which is why
 * the JIT is off unless --jit turns it on for the plugin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>
#include <luajit.h>

#include "common/log.h"
#include "sandbox/sandbox.h"

#define BUDGET_COUNT 1000      /* instructions between deadline checks */
#define PRINT_LINES_PER_SEC 10
#define PRINT_MAX 400          /* bytes of text in one print() line */
#define PRINT_PREFIX_MAX 128   /* bytes of its "plugin=NAME: " */
#define MODULES_KEY "vigil.modules"
#define LOADED_KEY "vigil.loaded"

/*
 * LuaJIT 2.1.0-beta3 bounds Lua stack depth but not how often library C
 * functions re-enter Lua. Nested coroutine resumes and string.gsub
 * callbacks each take C stack (gsub keeps an 8 KiB buffer there) and
 * little Lua stack. A plugin recursing through them overflows the C stack
 * and the process dies with SIGSEGV, as the stock luajit binary does.
 * Those functions are wrapped to count their nesting. All plugin states
 * share the one C stack, so the count is process-wide. 100 levels of a
 * few KiB each stay far below the default 8 MiB stack.
 */
#define MAX_C_NESTING 100
static unsigned int c_nesting;

char vg_sbx_log_tag[16] = "sandbox";

uint64_t
vg_sbx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The hook budget's clock. The coarse clock is read without a TSC access,
 * which showed in profiles at one read per hook call. Its resolution (a
 * kernel tick, 1 to 10 ms) is fine for budgets of tens of milliseconds.
 */
uint64_t
vg_sbx_budget_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Records where <plugin>'s request for a block of <nsize> bytes was
 * refused: the file and line of the innermost Lua function of the running
 * thread. It runs inside the allocator, so it only reads the stack:
 * lua_getinfo() with "Sl" allocates nothing. The interpreter saves the
 * current instruction before each call that can allocate, as it does for
 * error positions, which makes the line exact.
 *
 * NOTE: with the JIT on, a compiled trace does not keep the interpreter's
 * frames up to date, so no position is read and the message names only
 * the limit.
 */
static void
record_rejection(struct vg_sbx_plugin *plugin, size_t nsize, bool heap_limit)
{
	lua_State *L = plugin->running ? plugin->running : plugin->L;
	lua_Debug ar;
	int level;

	plugin->oom_seen = true;
	plugin->oom_bytes = nsize;
	plugin->oom_heap_limit = heap_limit;
	plugin->oom_where[0] = '\0';
	if (L == NULL || plugin->jit_on)
		return;
	for (level = 0; level < 32 && lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0 ||
		    ar.source == NULL || ar.source[0] != '@')
			continue;
		snprintf(plugin->oom_where, sizeof(plugin->oom_where),
			 "%s:%d", ar.source + 1, ar.currentline);
		return;
	}
}

/*
 * Allocates for Lua: nsize 0 frees, and a shrink that realloc() fails
 * keeps the old block, because Lua assumes shrinking never fails.
 */
static void *
plugin_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct vg_sbx_plugin *plugin = ud;
	void *p;

	if (nsize == 0) {
		free(ptr);
		plugin->heap_bytes -= osize;
		return NULL;
	}
	if (nsize > osize && plugin->heap_bytes + (nsize - osize) >
				     plugin->heap_limit) {
		record_rejection(plugin, nsize, true);
		return NULL;
	}
	p = realloc(ptr, nsize);
	if (p == NULL && nsize > osize)
		record_rejection(plugin, nsize, false);
	if (p == NULL)
		return nsize <= osize ? ptr : NULL;
	plugin->heap_bytes = plugin->heap_bytes - osize + nsize;
	return p;
}

static int
at_panic(lua_State *L)
{
	struct vg_sbx_plugin *plugin = vg_sbx_state_plugin(L);
	const char *msg = lua_tostring(L, -1);

	VG_ERR(VG_SBX_TAG, "lua panic plugin=%s: %s", plugin->name,
	       msg ? msg : "(no message)");
	return 0;
}

static void
budget_hook(lua_State *L, lua_Debug *ar)
{
	struct vg_sbx_plugin *plugin = vg_sbx_state_plugin(L);

	(void)ar;
	if (plugin->deadline_ns == 0 ||
	    vg_sbx_budget_now_ns() < plugin->deadline_ns)
		return;
	/*
	 * From now on every instruction raises the error again, so a hook
	 * that catches it with pcall cannot keep running: the next
	 * instruction outside the pcall fails too.
	 */
	if (!plugin->budget_exhausted) {
		plugin->budget_exhausted = true;
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
	}
	/* Level 0 is the function the hook interrupted: its line is where
	 * the time went. NOTE: a single long call into a library C
	 * function (a pathological string.find pattern) runs no
	 * instructions and is not interrupted; vigild's deadline covers it. */
	luaL_where(L, 0);
	lua_pushfstring(L, "hook budget exceeded: ran longer than %d ms",
			(int)plugin->budget_ms);
	lua_concat(L, 2);
	lua_error(L);
}

/* Appends what fits of <s> to <line>, NUL bytes included; returns the
 * new length. */
static size_t
append_text(char *line, size_t len, size_t cap, const char *s, size_t slen)
{
	size_t n = slen < cap - len ? slen : cap - len;

	memcpy(line + len, s, n);
	return len + n;
}

/*
 * print(...): one log line per call. The logger escapes control
 * characters, NUL bytes, backslashes and invalid UTF-8 (vg_log_escape),
 * so a plugin cannot forge log lines, and the tab between arguments
 * shows as \t. At most
 * PRINT_LINES_PER_SEC lines a second per plugin are written, and the next
 * line reports how many were suppressed.
 */
static int
l_print(lua_State *L)
{
	struct vg_sbx_plugin *plugin = vg_sbx_state_plugin(L);
	uint64_t now = vg_sbx_now_ns();
	char line[PRINT_PREFIX_MAX + PRINT_MAX];
	size_t len;
	size_t cap;
	int n = lua_gettop(L);
	int i;

	if (now - plugin->print_window_ns >= 1000000000ull) {
		plugin->print_window_ns = now;
		plugin->print_lines = 0;
	}
	if (plugin->print_lines >= PRINT_LINES_PER_SEC) {
		plugin->print_dropped++;
		return 0;
	}
	plugin->print_lines++;

	len = (size_t)snprintf(line, PRINT_PREFIX_MAX, "plugin=%s: ",
			       plugin->name);
	if (len >= PRINT_PREFIX_MAX)
		len = PRINT_PREFIX_MAX - 1;
	cap = len + PRINT_MAX;
	for (i = 1; i <= n; i++) {
		char other[64];
		const char *s;
		size_t slen;

		switch (lua_type(L, i)) {
		case LUA_TSTRING:
		case LUA_TNUMBER:
			s = lua_tolstring(L, i, &slen);
			break;
		case LUA_TBOOLEAN:
			s = lua_toboolean(L, i) ? "true" : "false";
			slen = strlen(s);
			break;
		case LUA_TNIL:
			s = "nil";
			slen = 3;
			break;
		default:
			snprintf(other, sizeof(other), "%s: %p",
				 luaL_typename(L, i), lua_topointer(L, i));
			s = other;
			slen = strlen(s);
			break;
		}
		if (i > 1)
			len = append_text(line, len, cap, "\t", 1);
		len = append_text(line, len, cap, s, slen);
	}
	if (plugin->print_dropped) {
		VG_INFO(VG_SBX_TAG, "plugin=%s: %u print lines suppressed",
			plugin->name, plugin->print_dropped);
		plugin->print_dropped = 0;
	}
	vg_log_bytes(VG_LOG_INFO, VG_SBX_TAG, line, len);
	return 0;
}

/*
 * load(chunk [, chunkname [, mode [, env]]]): text chunks given as a
 * string only. A reader function could hand over bytecode piecewise, and
 * binary chunks can crash the VM, so both are rejected.
 */
static int
l_load(lua_State *L)
{
	const char *mode = luaL_optstring(L, 3, "t");
	const char *name;
	const char *s;
	size_t len;

	if (lua_type(L, 1) != LUA_TSTRING) {
		lua_pushnil(L);
		lua_pushstring(L, "load: the chunk must be a string of Lua "
				  "source");
		return 2;
	}
	if (strcmp(mode, "t") != 0) {
		lua_pushnil(L);
		lua_pushstring(L, "load: only mode \"t\" (text) is allowed");
		return 2;
	}
	s = lua_tolstring(L, 1, &len);
	name = luaL_optstring(L, 2, "=(load)");
	if (luaL_loadbufferx(L, s, len, name, "t") != 0) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	if (lua_istable(L, 4)) {
		lua_pushvalue(L, 4);
		lua_setfenv(L, -2);
	}
	return 1;
}

/* require(name): the plugin's modules/<name>.lua, run once. */
static int
l_require(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	lua_settop(L, 1);
	lua_getfield(L, lua_upvalueindex(2), name);
	if (lua_toboolean(L, -1)) {
		if (lua_islightuserdata(L, -1))
			return luaL_error(L, "require: module '%s' requires "
					     "itself while it loads", name);
		return 1;
	}
	lua_pop(L, 1);
	lua_getfield(L, lua_upvalueindex(1), name);
	if (!lua_isfunction(L, -1))
		return luaL_error(L, "require: module '%s' not found (a plugin "
				     "can require only its own modules/*.lua)",
				  name);
	/* A marker while the module runs, to catch require loops. */
	lua_pushlightuserdata(L, (void *)l_require);
	lua_setfield(L, lua_upvalueindex(2), name);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, lua_upvalueindex(2), name);
	return 1;
}

/*
 * collectgarbage([opt [, arg]]): "collect", "count" and "step" only. The
 * collector's tuning belongs to the sandbox.
 */
static int
l_collectgarbage(lua_State *L)
{
	const char *opt = luaL_optstring(L, 1, "collect");

	if (strcmp(opt, "count") == 0) {
		lua_pushnumber(L, lua_gc(L, LUA_GCCOUNT, 0) +
				  lua_gc(L, LUA_GCCOUNTB, 0) / 1024.0);
		return 1;
	}
	if (strcmp(opt, "collect") == 0) {
		lua_gc(L, LUA_GCCOLLECT, 0);
		lua_pushinteger(L, 0);
		return 1;
	}
	if (strcmp(opt, "step") == 0) {
		lua_pushboolean(L, lua_gc(L, LUA_GCSTEP,
					  (int)luaL_optinteger(L, 2, 0)));
		return 1;
	}
	return luaL_error(L, "collectgarbage: option '%s' is not allowed "
			     "(use collect, count or step)", opt);
}

/*
 * Calls upvalue 1 with the arguments, counting nested calls. <co>, when
 * not NULL, is the coroutine the call resumes: it is the plugin's running
 * thread until the call returns, so a rejected allocation is located in
 * the coroutine's code.
 */
static int
nested_call(lua_State *L, lua_State *co)
{
	struct vg_sbx_plugin *plugin = vg_sbx_state_plugin(L);
	lua_State *outer = plugin->running;
	int n = lua_gettop(L);
	int rc;

	if (c_nesting >= MAX_C_NESTING)
		return luaL_error(L, "C stack limit: coroutines and gsub "
				     "callbacks nested deeper than %d",
				  MAX_C_NESTING);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	if (co != NULL)
		plugin->running = co;
	c_nesting++;
	rc = lua_pcall(L, n, LUA_MULTRET, 0);
	c_nesting--;
	plugin->running = outer;
	if (rc != 0)
		return lua_error(L);
	return lua_gettop(L);
}

static int
l_nested_call(lua_State *L)
{
	return nested_call(L, NULL);
}

/* coroutine.resume(co, ...) */
static int
l_resume(lua_State *L)
{
	return nested_call(L, lua_tothread(L, 1));
}

/* The generator coroutine.wrap returned, with its coroutine as upvalue 2. */
static int
l_wrapped(lua_State *L)
{
	return nested_call(L, lua_tothread(L, lua_upvalueindex(2)));
}

/*
 * coroutine.wrap(f): the generator it returns is counted too. The stock
 * generator keeps its coroutine as upvalue 1 (LuaJIT 2.1 and Lua 5.1);
 * when it does not, the generator's allocations are located in the
 * thread that called it.
 */
static int
l_wrap(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	if (lua_getupvalue(L, -1, 1) == NULL || !lua_isthread(L, -1)) {
		lua_settop(L, 1);
		lua_pushnil(L);
	}
	lua_pushcclosure(L, l_wrapped, 2);
	return 1;
}

/* Replaces <table>.<name> by a counted call of the original. */
static void
count_nesting(lua_State *L, const char *table, const char *name,
	      lua_CFunction wrapper)
{
	lua_getglobal(L, table);
	lua_getfield(L, -1, name);
	lua_pushcclosure(L, wrapper, 1);
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
}

static void
open_lib(lua_State *L, const char *name, lua_CFunction open)
{
	lua_pushcfunction(L, open);
	lua_pushstring(L, name);
	lua_call(L, 1, 0);
}

/* Keeps only the time functions of os. */
static void
restrict_os(lua_State *L)
{
	static const char *const keep[] = { "time", "date", "clock",
					    "difftime" };
	size_t i;

	lua_getglobal(L, "os");
	lua_createtable(L, 0, 4);
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		lua_getfield(L, -2, keep[i]);
		lua_setfield(L, -2, keep[i]);
	}
	lua_setglobal(L, "os");
	lua_pop(L, 1);
}

static int
open_env(lua_State *L)
{
	static const char *const removed[] = {
		"dofile", "loadfile", "loadstring", "getfenv", "setfenv",
		"newproxy", "gcinfo", "module", "require", "package", "jit",
	};
	struct vg_sbx_plugin *plugin = vg_sbx_state_plugin(L);
	size_t i;

	open_lib(L, "", luaopen_base);
	open_lib(L, LUA_STRLIBNAME, luaopen_string);
	open_lib(L, LUA_TABLIBNAME, luaopen_table);
	open_lib(L, LUA_MATHLIBNAME, luaopen_math);
	open_lib(L, LUA_BITLIBNAME, luaopen_bit);
	open_lib(L, LUA_OSLIBNAME, luaopen_os);
	/* Opening jit is what sets up the compiler (CPU features, default
	 * parameters); its global is removed below. */
	open_lib(L, LUA_JITLIBNAME, luaopen_jit);
	restrict_os(L);
	count_nesting(L, "coroutine", "resume", l_resume);
	count_nesting(L, "coroutine", "wrap", l_wrap);
	count_nesting(L, "string", "gsub", l_nested_call);
	for (i = 0; i < sizeof(removed) / sizeof(removed[0]); i++) {
		lua_pushnil(L);
		lua_setglobal(L, removed[i]);
	}
	lua_pushcfunction(L, l_print);
	lua_setglobal(L, "print");
	lua_pushcfunction(L, l_load);
	lua_setglobal(L, "load");
	lua_pushcfunction(L, l_collectgarbage);
	lua_setglobal(L, "collectgarbage");

	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, MODULES_KEY);
	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, LOADED_KEY);
	lua_pushcclosure(L, l_require, 2);
	lua_setglobal(L, "require");

	if (vg_sbx_api_open(plugin) != 0 || vg_sbx_proxy_open(plugin) != 0)
		return luaL_error(L, "cannot create the plugin API");
	return 0;
}

int
vg_sbx_state_open(struct vg_sbx_plugin *plugin)
{
	lua_State *L;
	size_t i;

	for (i = 0; i < VG_SBX_KINDS; i++)
		plugin->proxy_ref[i] = LUA_NOREF;
	plugin->engaged_ref = LUA_NOREF;
	plugin->engaged_flows_ref = LUA_NOREF;
	L = lua_newstate(plugin_alloc, plugin);
	if (L == NULL)
		return -ENOMEM;
	lua_atpanic(L, at_panic);
	plugin->L = L;
	if (lua_cpcall(L, open_env, NULL) != 0) {
		VG_ERR(VG_SBX_TAG, "plugin=%s: cannot open lua state: %s",
		       plugin->name, lua_tostring(L, -1));
		lua_close(L);
		plugin->L = NULL;
		return -ENOMEM;
	}
	/* Loading runs with the JIT off, so a loop at a file's top level
	 * still meets the budget hook. */
	luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
	lua_sethook(L, budget_hook, LUA_MASKCOUNT, BUDGET_COUNT);
	return 0;
}

void
vg_sbx_state_jit(struct vg_sbx_plugin *plugin, bool on)
{
	if (plugin->L == NULL)
		return;
	luaJIT_setmode(plugin->L, 0, LUAJIT_MODE_ENGINE |
		       (on ? LUAJIT_MODE_ON : LUAJIT_MODE_OFF));
	plugin->jit_on = on;
}

int
vg_sbx_state_call(struct vg_sbx_plugin *plugin, int nargs, int nresults,
		  unsigned int budget_ms)
{
	return vg_sbx_state_call_from(plugin, nargs, nresults, budget_ms,
				      vg_sbx_budget_now_ns());
}

int
vg_sbx_state_call_from(struct vg_sbx_plugin *plugin, int nargs, int nresults,
		       unsigned int budget_ms, uint64_t start_ns)
{
	lua_State *L = plugin->L;
	int rc;

	plugin->budget_ms = budget_ms;
	plugin->budget_exhausted = false;
	plugin->deadline_ns = start_ns + budget_ms * 1000000ull;
	plugin->oom_seen = false;
	rc = lua_pcall(L, nargs, nresults, 0);
	plugin->deadline_ns = 0;
	if (plugin->budget_exhausted) {
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, BUDGET_COUNT);
		plugin->budget_exhausted = false;
		if (rc == 0) {
			/* A hook that returned after its error was caught
			 * still overran. */
			lua_pop(L, nresults);
			lua_pushfstring(L, "hook budget exceeded: ran longer "
					   "than %d ms", (int)budget_ms);
			rc = LUA_ERRRUN;
		}
	}
	if (rc == LUA_ERRMEM)
		lua_gc(L, LUA_GCCOLLECT, 0);
	return rc;
}

int
vg_sbx_state_run(struct vg_sbx_plugin *plugin, const char *file,
		 const char *source, unsigned int budget_ms)
{
	lua_State *L = plugin->L;
	char name[4096];
	int rc;

	snprintf(name, sizeof(name), "@%s", file);
	plugin->oom_seen = false;
	rc = luaL_loadbufferx(L, source, strlen(source), name, "t");
	if (rc != 0)
		return rc;
	return vg_sbx_state_call(plugin, 0, 1, budget_ms);
}

int
vg_sbx_state_add_module(struct vg_sbx_plugin *plugin, const char *name,
			const char *file, const char *source)
{
	lua_State *L = plugin->L;
	char chunk[4096];
	int rc;

	snprintf(chunk, sizeof(chunk), "@%s", file);
	plugin->oom_seen = false;
	rc = luaL_loadbufferx(L, source, strlen(source), chunk, "t");
	if (rc != 0)
		return rc;
	lua_getfield(L, LUA_REGISTRYINDEX, MODULES_KEY);
	lua_insert(L, -2);
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
	return 0;
}

/* Lua's "not enough memory", with where and why the allocator rejected it. */
static const char *
locate_memory_error(const struct vg_sbx_plugin *plugin, char *buf,
		    size_t size)
{
	char why[160];

	if (plugin->oom_heap_limit)
		snprintf(why, sizeof(why), "a block of %zu bytes would pass "
			 "the plugin's heap limit of %zu MiB",
			 plugin->oom_bytes, plugin->heap_limit >> 20);
	else
		snprintf(why, sizeof(why), "realloc() of %zu bytes failed "
			 "(the sandbox's address-space limit, --memory-mb)",
			 plugin->oom_bytes);
	if (plugin->oom_where[0] != '\0')
		snprintf(buf, size, "%s: not enough memory: %s",
			 plugin->oom_where, why);
	else
		snprintf(buf, size, "not enough memory: %s", why);
	return buf;
}

const char *
vg_sbx_full_message(const struct vg_sbx_plugin *plugin, const char *msg,
		    char *buf, size_t size)
{
	const char *colon;
	size_t tail_len;
	size_t i;

	if (msg != NULL && strcmp(msg, "not enough memory") == 0 &&
	    plugin->oom_seen)
		return locate_memory_error(plugin, buf, size);
	if (msg == NULL || strncmp(msg, "...", 3) != 0)
		return msg;
	/* "...tail/of/file.lua:12: text" */
	colon = strchr(msg + 3, ':');
	while (colon != NULL && !(colon[1] >= '0' && colon[1] <= '9'))
		colon = strchr(colon + 1, ':');
	if (colon == NULL)
		return msg;
	tail_len = (size_t)(colon - (msg + 3));
	for (i = 0; i < plugin->n_files; i++) {
		const char *file = plugin->files[i];
		size_t len = strlen(file);

		if (len >= tail_len &&
		    memcmp(file + len - tail_len, msg + 3, tail_len) == 0) {
			snprintf(buf, size, "%s%s", file, colon);
			return buf;
		}
	}
	return msg;
}
