/*
 * vigil-sandbox --page: plugin pages for vigil-web.
 *
 * vigil-web starts one process per page request and writes one JSON
 * request on its standard input:
 *
 *   {"menu": true}
 *   {"plugin": "example", "page": "example", "data": {...}}
 *
 * The first lists the menu entry of every plugin (web_gui/menu.lua); the
 * second renders web_gui/<page>.lua of one plugin with <data>, the
 * read-only facts vigil-web gathered (counters, alerts, the query
 * string). The answer is one JSON object on standard output: a title and
 * a list of blocks (text, table, key/value list) made only of strings,
 * numbers and booleans, so the browser can show it with text nodes and
 * never has to parse markup from a plugin.
 *
 * Isolation is the hook sandbox's (isolate.c): every file is read and
 * every chunk compiled first, then descriptors other than standard
 * input, output and error are closed, the rlimits and the seccomp
 * allow-list are applied, and only then does plugin code run. The Lua
 * environment is the one hooks get (no io, no os but time, no ffi), with
 * the plugin's own modules for require().
 *
 * This file finds the plugins, isolates the process and runs menu.lua or
 * the page; page_io.c reads the request and writes the response, and
 * page_blocks.c checks the table a page returns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>

#include "common/log.h"
#include "sandbox/isolate.h"
#include "sandbox/json.h"
#include "sandbox/page.h"
#include "sandbox/page_internal.h"

#define EXIT_FATAL 3
#define PAGE_BUDGET_MIN_MS 1000     /* a page may build a whole table */

/* ---- finding plugins ---- */

static void
report_log(struct vg_sbx *sbx, const char *line)
{
	(void)sbx;
	VG_WARN(VG_SBX_TAG, "%s", line);
}

static struct vg_sbx_plugin *
plugin_new(struct page_run *run, const char *group_dir, const char *group,
	   const char *name)
{
	struct vg_sbx_plugin *plugin = calloc(1, sizeof(*plugin));

	if (plugin == NULL)
		return NULL;
	plugin->sbx = &run->sbx;
	plugin->name = strdup(name);
	plugin->group = strdup(group);
	plugin->dir = vg_sbx_path_join(group_dir, name);
	plugin->heap_limit = (size_t)run->sbx.opt.memory_mb * (1u << 20) / 2;
	if (plugin->name == NULL || plugin->group == NULL ||
	    plugin->dir == NULL ||
	    vg_sbx_push(&run->sbx.plugins, &run->sbx.n_plugins, plugin) != 0) {
		free(plugin->name);
		free(plugin->group);
		free(plugin->dir);
		free(plugin);
		return NULL;
	}
	return plugin;
}

/*
 * Opens <plugin>'s Lua state, compiles its modules and, when present,
 * web_gui/menu.lua, and lists its web_gui pages. Reads files: call before
 * isolation. Returns 0, or -1 when the plugin cannot be used, with the
 * reason in item->error unless the plugin has no menu and <menu_only>.
 */
static int
plugin_prepare(struct page_plugin *item, bool menu_only)
{
	struct vg_sbx_plugin *plugin = item->plugin;
	char *gui = vg_sbx_path_join(plugin->dir, "web_gui");
	char *menu = gui ? vg_sbx_path_join(gui, "menu.lua") : NULL;
	char *source = NULL;
	int rc = -1;

	item->menu_ref = LUA_NOREF;
	item->error[0] = '\0';
	if (menu == NULL) {
		snprintf(item->error, sizeof(item->error), "out of memory");
		goto out;
	}
	if (menu_only && !vg_sbx_is_file(menu))
		goto out;
	if (vg_sbx_state_open(plugin) != 0) {
		snprintf(item->error, sizeof(item->error),
			 "the Lua state cannot be opened");
		goto out;
	}
	vg_sbx_load_modules(plugin);
	if (vg_sbx_list_dir(gui, ".lua", &item->pages, &item->n_pages) != 0) {
		snprintf(item->error, sizeof(item->error),
			 "web_gui/ cannot be listed");
		goto out;
	}
	if (vg_sbx_is_file(menu)) {
		source = vg_sbx_plugin_read(plugin, menu);
		if (source == NULL) {
			snprintf(item->error, sizeof(item->error), "%s",
				 errno == EXDEV ?
					 "web_gui/menu.lua is a symlink out of the plugin folder" :
					 "web_gui/menu.lua cannot be read");
			goto out;
		}
		if (luaL_loadbufferx(plugin->L, source, strlen(source),
				     "@web_gui/menu.lua", "t") != 0) {
			/* The message starts "web_gui/menu.lua:LINE:". */
			snprintf(item->error, sizeof(item->error), "%s",
				 lua_tostring(plugin->L, -1));
			vg_sbx_load_error(plugin->sbx, menu, 0, "%s",
					  lua_tostring(plugin->L, -1));
			lua_pop(plugin->L, 1);
			goto out;
		}
		item->menu_ref = luaL_ref(plugin->L, LUA_REGISTRYINDEX);
	}
	rc = 0;
out:
	free(source);
	free(menu);
	free(gui);
	return rc;
}

/*
 * Adds every plugin folder <dir>/<group>/<name>/ with a manifest.lua to
 * <run> (only <want> when not NULL). Returns 0 or -ENOMEM.
 */
static int
discover(struct page_run *run, const char *dir, const char *want)
{
	char **groups = NULL;
	size_t n_groups = 0;
	size_t i;
	size_t j;
	int rc = 0;

	if (vg_sbx_list_dir(dir, NULL, &groups, &n_groups) != 0)
		return 0;
	for (i = 0; i < n_groups && rc == 0; i++) {
		char *group_dir = vg_sbx_path_join(dir, groups[i]);
		char **names = NULL;
		size_t n_names = 0;

		if (group_dir == NULL ||
		    vg_sbx_list_dir(group_dir, NULL, &names, &n_names) != 0) {
			free(group_dir);
			continue;
		}
		for (j = 0; j < n_names && rc == 0; j++) {
			char *pdir = vg_sbx_path_join(group_dir, names[j]);
			char *manifest = pdir ? vg_sbx_path_join(pdir,
								 "manifest.lua") :
						NULL;
			bool wanted = want == NULL || strcmp(want, names[j]) == 0;
			struct page_plugin *grown;
			size_t k;

			for (k = 0; k < run->n_items; k++)
				wanted = wanted &&
					 strcmp(run->items[k].plugin->name,
						names[j]) != 0;
			if (wanted && manifest != NULL &&
			    vg_sbx_is_file(manifest)) {
				grown = realloc(run->items, (run->n_items + 1) *
							    sizeof(*grown));
				if (grown == NULL) {
					rc = -ENOMEM;
				} else {
					run->items = grown;
					memset(&grown[run->n_items], 0,
					       sizeof(*grown));
					grown[run->n_items].plugin =
						plugin_new(run, group_dir,
							   groups[i], names[j]);
					if (grown[run->n_items].plugin == NULL)
						rc = -ENOMEM;
					else
						run->n_items++;
				}
			}
			free(manifest);
			free(pdir);
		}
		vg_sbx_free_names(names, n_names);
		free(group_dir);
	}
	vg_sbx_free_names(groups, n_groups);
	return rc;
}

static int
discover_all(struct page_run *run, const char *dirs, const char *want)
{
	char *copy = strdup(dirs);
	char *save = NULL;
	char *tok;
	int rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, ",", &save))
		rc = discover(run, tok, want);
	free(copy);
	return rc;
}

/* ---- running ---- */

static int
isolate(const char *user, const struct vg_sbx_options *opt)
{
	struct vg_sbx_isolation iso = { 0 };
	int rc;

	rc = vg_sbx_isolate_lookup_user(&iso, user);
	if (rc != 0) {
		VG_ERR(VG_SBX_TAG, "user=%s cannot be used: %s", user,
		       rc == -ENOENT ? "no such user" : strerror(-rc));
		return rc;
	}
	/* Standard input is the only descriptor read (it is at its end by
	 * now) and standard output the only one written, besides stderr. */
	iso.shm_fd = STDIN_FILENO;
	iso.wake_fd = STDIN_FILENO;
	iso.notify_fd = STDOUT_FILENO;
	iso.memory_mb = opt->memory_mb;
	iso.allow_exec = false;
	iso.parent = getppid();
	tzset();
	return vg_sbx_isolate(&iso);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	/* The budget hook reads this clock too (luaenv.c). */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Calls the function on top of the stack; a message in run->error, and
 * run->timed_out set when the call failed because it overran the budget.
 */
static int
call(struct page_run *run, struct vg_sbx_plugin *plugin, int nargs,
     const char *what)
{
	char buf[1024];
	uint64_t start = now_ms();
	int rc = vg_sbx_state_call(plugin, nargs, 1, run->budget_ms);

	/* The budget hook stops a call only once the budget has passed, so
	 * a failed call that took that long is one it stopped. */
	run->timed_out = rc != 0 && now_ms() - start >= run->budget_ms;
	if (rc != 0) {
		const char *msg = lua_tostring(plugin->L, -1);

		snprintf(run->error, sizeof(run->error), "%s failed: %s", what,
			 msg ? vg_sbx_full_message(plugin, msg, buf,
						   sizeof(buf)) :
			       "error object is not a string");
		lua_pop(plugin->L, 1);
		return -1;
	}
	return 0;
}

/* One menu entry, kept until all are known so they can be sorted. */
struct menu_item {
	long sort_order;
	char *label;
	struct vg_sbx_buf json;        /* {"plugin":...,"sort_order":N} */
};

/* One menu entry: run menu.lua, check its fields and fill <out>. */
static int
menu_entry(struct page_run *run, struct page_plugin *item,
	   struct menu_item *out)
{
	struct vg_sbx_plugin *plugin = item->plugin;
	lua_State *L = plugin->L;
	struct vg_sbx_buf *b = &out->json;
	const char *label;
	const char *page;
	size_t len;
	size_t i;
	bool found = false;
	char id[VG_SBX_PAGE_NAME_MAX + 8];
	int rc = -1;

	lua_rawgeti(L, LUA_REGISTRYINDEX, item->menu_ref);
	if (call(run, plugin, 0, "web_gui/menu.lua") != 0)
		return -1;
	lua_getfield(L, -1, "label");
	lua_getfield(L, -2, "page");
	lua_getfield(L, -3, "sort_order");
	label = lua_type(L, -3) == LUA_TSTRING ? lua_tostring(L, -3) : NULL;
	page = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &len) :
						NULL;
	for (i = 0; page != NULL && i < item->n_pages; i++)
		found = found || strcmp(item->pages[i], page) == 0;
	if (label == NULL || page == NULL || len <= 4 || !found) {
		snprintf(run->error, sizeof(run->error),
			 "web_gui/menu.lua must return a label and a page naming a file in web_gui/");
		goto out;
	}
	snprintf(id, sizeof(id), "%.*s", (int)(len - 4), page);
	if (!vg_sbx_page_valid_name(id)) {
		snprintf(run->error, sizeof(run->error),
			 "page '%s' must be letters, digits, _ or - and .lua",
			 page);
		goto out;
	}
	out->sort_order = lua_isnumber(L, -1) ? (long)lua_tonumber(L, -1) : 0L;
	out->label = strdup(label);
	vg_sbx_buf_init(b, VG_SBX_PAGE_OUTPUT_MAX);
	vg_sbx_buf_puts(b, "{\"plugin\":");
	vg_sbx_json_string(b, plugin->name, strlen(plugin->name));
	vg_sbx_buf_puts(b, ",\"page\":");
	vg_sbx_json_string(b, id, strlen(id));
	vg_sbx_buf_puts(b, ",\"label\":");
	vg_sbx_json_string(b, label, strlen(label));
	vg_sbx_buf_printf(b, ",\"sort_order\":%ld}", out->sort_order);
	if (out->label == NULL || b->failed) {
		snprintf(run->error, sizeof(run->error), "out of memory");
		free(out->label);
		vg_sbx_buf_free(b);
		goto out;
	}
	rc = 0;
out:
	lua_pop(L, 4);
	return rc;
}

/* Orders menu entries as the dashboard shows them: sort_order, then label. */
static int
compare_menu_items(const void *a, const void *b)
{
	const struct menu_item *x = a;
	const struct menu_item *y = b;

	if (x->sort_order != y->sort_order)
		return x->sort_order < y->sort_order ? -1 : 1;
	return strcmp(x->label, y->label);
}

static int
run_menu(struct page_run *run)
{
	struct menu_item *items;
	struct vg_sbx_buf b;
	struct vg_sbx_buf errors;
	size_t count = 0;
	size_t i;
	int rc;

	items = calloc(run->n_items + 1, sizeof(*items));
	if (items == NULL)
		return vg_sbx_page_write_error("out_of_memory", "out of memory",
					       VG_SBX_PAGE_EXIT_SCRIPT);
	vg_sbx_buf_init(&errors, VG_SBX_PAGE_OUTPUT_MAX / 2);
	vg_sbx_buf_puts(&errors, "[");
	for (i = 0; i < run->n_items; i++) {
		struct page_plugin *item = &run->items[i];

		run->error[0] = '\0';
		if (item->plugin->L == NULL || item->menu_ref == LUA_NOREF) {
			/* A plugin without web_gui/menu.lua has no entry. */
			if (item->error[0] == '\0')
				continue;
			snprintf(run->error, sizeof(run->error), "%s",
				 item->error);
		} else if (menu_entry(run, item, &items[count]) == 0) {
			count++;
			continue;
		}
		/* One broken menu hides its own entry only. */
		vg_sbx_buf_printf(&errors, "%s{\"plugin\":",
				  errors.len > 1 ? "," : "");
		vg_sbx_json_string(&errors, item->plugin->name,
				   strlen(item->plugin->name));
		vg_sbx_buf_puts(&errors, ",\"message\":");
		vg_sbx_json_string(&errors, run->error, strlen(run->error));
		vg_sbx_buf_puts(&errors, "}");
	}
	vg_sbx_buf_puts(&errors, "]");
	qsort(items, count, sizeof(*items), compare_menu_items);

	vg_sbx_buf_init(&b, VG_SBX_PAGE_OUTPUT_MAX);
	vg_sbx_buf_puts(&b, "{\"pages\":[");
	for (i = 0; i < count; i++) {
		if (i > 0)
			vg_sbx_buf_puts(&b, ",");
		vg_sbx_buf_add(&b, items[i].json.data, items[i].json.len);
		vg_sbx_buf_free(&items[i].json);
		free(items[i].label);
	}
	free(items);
	vg_sbx_buf_puts(&b, "],\"errors\":");
	vg_sbx_buf_add(&b, errors.data, errors.len);
	vg_sbx_buf_puts(&b, "}\n");
	rc = b.failed || errors.failed ?
		     vg_sbx_page_write_error("too_large",
					     "the menu is too large",
					     VG_SBX_PAGE_EXIT_SCRIPT) :
		     (vg_sbx_page_write_all(b.data, b.len) == 0 ?
			      VG_SBX_PAGE_EXIT_OK :
			      EXIT_FATAL);
	vg_sbx_buf_free(&b);
	vg_sbx_buf_free(&errors);
	return rc;
}

/* Writes the error of a failed call(): a timeout, or a script error. */
static int
call_failed(struct page_run *run)
{
	if (run->timed_out)
		return vg_sbx_page_write_error("page_timeout", run->error,
					       VG_SBX_PAGE_EXIT_TIMEOUT);
	return vg_sbx_page_write_error("page_error", run->error,
				       VG_SBX_PAGE_EXIT_SCRIPT);
}

/*
 * Renders the page whose compiled chunk is on top of the stack, with the
 * data table below it.
 */
static int
render(struct page_run *run, struct vg_sbx_plugin *plugin, const char *page)
{
	lua_State *L = plugin->L;
	struct vg_sbx_buf b;
	int file;
	int rc;

	if (call(run, plugin, 0, "the page file") != 0)
		return call_failed(run);
	if (!lua_istable(L, -1))
		return vg_sbx_page_write_error(
		    "page_error", "the page file must return a table",
		    VG_SBX_PAGE_EXIT_SCRIPT);
	file = lua_gettop(L);
	lua_getfield(L, file, "render");
	if (lua_isfunction(L, -1)) {
		lua_pushvalue(L, file - 1);
		if (call(run, plugin, 1, "render()") != 0)
			return call_failed(run);
		if (!lua_istable(L, -1))
			return vg_sbx_page_write_error(
			    "page_error", "render() must return a table",
			    VG_SBX_PAGE_EXIT_SCRIPT);
	} else {
		lua_pop(L, 1);
		lua_pushvalue(L, file);
	}
	vg_sbx_buf_init(&b, VG_SBX_PAGE_OUTPUT_MAX);
	rc = vg_sbx_page_put(run, L, lua_gettop(L), file, plugin->name, page,
			     &b);
	if (rc != 0)
		rc = vg_sbx_page_write_error("page_error", run->error,
					     VG_SBX_PAGE_EXIT_SCRIPT);
	else
		rc = vg_sbx_page_write_all(b.data, b.len) == 0 ?
			     VG_SBX_PAGE_EXIT_OK :
			     EXIT_FATAL;
	vg_sbx_buf_free(&b);
	return rc;
}

/*
 * Prepares the page <page> of the one plugin in <run>: leaves the data
 * table and the compiled page chunk on the stack.
 */
static int
prepare_page(struct page_run *run, const char *page, const char *input,
	     size_t input_len)
{
	struct page_plugin *item = &run->items[0];
	struct vg_sbx_plugin *plugin = item->plugin;
	lua_State *L = plugin->L;
	const char *error = NULL;
	char file[VG_SBX_PAGE_NAME_MAX + 8];
	char *path;
	char *gui;
	char *source;
	bool found = false;
	int read_errno;
	size_t i;

	snprintf(file, sizeof(file), "%s.lua", page);
	for (i = 0; i < item->n_pages; i++)
		found = found || strcmp(item->pages[i], file) == 0;
	if (!found || strcmp(page, "menu") == 0)
		return vg_sbx_page_write_error("not_found", "no such page",
					       VG_SBX_PAGE_EXIT_NOT_FOUND);
	if (vg_sbx_page_push_json(L, input, input_len, &error) != 0)
		return vg_sbx_page_write_error("invalid_request", error,
					       VG_SBX_PAGE_EXIT_INPUT);
	lua_getfield(L, -1, "data");
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
	}
	lua_remove(L, -2);
	gui = vg_sbx_path_join(plugin->dir, "web_gui");
	path = gui ? vg_sbx_path_join(gui, file) : NULL;
	source = path ? vg_sbx_plugin_read(plugin, path) : NULL;
	read_errno = errno;
	free(gui);
	free(path);
	if (source == NULL && read_errno == EXDEV) {
		snprintf(run->error, sizeof(run->error),
			 "web_gui/%s.lua is a symlink out of the plugin folder",
			 page);
		return vg_sbx_page_write_error("page_error", run->error,
					       VG_SBX_PAGE_EXIT_SCRIPT);
	}
	if (source == NULL)
		return vg_sbx_page_write_error("page_error",
					       "cannot read the page file",
					       VG_SBX_PAGE_EXIT_SCRIPT);
	snprintf(file, sizeof(file), "@web_gui/%s.lua", page);
	if (luaL_loadbufferx(L, source, strlen(source), file, "t") != 0) {
		snprintf(run->error, sizeof(run->error), "%s",
			 lua_tostring(L, -1));
		free(source);
		return vg_sbx_page_write_error("page_error", run->error,
					       VG_SBX_PAGE_EXIT_SCRIPT);
	}
	free(source);
	return -1;
}

static void
run_free(struct page_run *run)
{
	size_t i;

	for (i = 0; i < run->n_items; i++)
		vg_sbx_free_names(run->items[i].pages, run->items[i].n_pages);
	free(run->items);
	vg_sbx_free(&run->sbx);
}

int
vg_sbx_page_run(const char *plugins, const char *user,
		const struct vg_sbx_options *opt)
{
	struct page_run run = { .sbx = { .opt = *opt, .report = report_log } };
	char plugin[VG_SBX_PAGE_NAME_MAX + 1] = "";
	char page[VG_SBX_PAGE_NAME_MAX + 1] = "";
	bool menu = false;
	size_t len = 0;
	char *input;
	size_t i;
	int rc;

	snprintf(vg_sbx_log_tag, sizeof(vg_sbx_log_tag), "sandbox-page");
	run.budget_ms = opt->hook_budget_ms > PAGE_BUDGET_MIN_MS ?
				opt->hook_budget_ms : PAGE_BUDGET_MIN_MS;
	if (vg_sbx_isolate_early() != 0)
		return EXIT_FATAL;
	input = vg_sbx_page_read_stdin(&len);
	if (input == NULL)
		return vg_sbx_page_write_error(
		    "invalid_request",
		    "standard input could not be read or is over 4 MiB",
		    VG_SBX_PAGE_EXIT_INPUT);
	if (vg_sbx_page_parse_request(input, len, &menu, plugin, page) != 0) {
		free(input);
		return vg_sbx_page_write_error(
		    "invalid_request",
		    "expected {\"menu\":true} or {\"plugin\":NAME,\"page\":NAME,\"data\":{...}}",
		    VG_SBX_PAGE_EXIT_INPUT);
	}
	if (discover_all(&run, plugins, menu ? NULL : plugin) != 0) {
		free(input);
		run_free(&run);
		return EXIT_FATAL;
	}
	if (!menu && run.n_items == 0) {
		free(input);
		run_free(&run);
		return vg_sbx_page_write_error("not_found", "no such plugin",
					       VG_SBX_PAGE_EXIT_NOT_FOUND);
	}
	for (i = 0; i < run.n_items; i++) {
		if (plugin_prepare(&run.items[i], menu) != 0)
			vg_sbx_plugin_close(run.items[i].plugin);
	}
	rc = -1;
	if (!menu) {
		if (run.items[0].plugin->L == NULL)
			rc = vg_sbx_page_write_error(
			    "page_error",
			    "the plugin's modules or pages cannot be loaded",
			    VG_SBX_PAGE_EXIT_SCRIPT);
		else
			rc = prepare_page(&run, page, input, len);
	}
	free(input);
	if (rc < 0) {
		if (isolate(user, opt) != 0)
			rc = EXIT_FATAL;
		else
			rc = menu ? run_menu(&run) :
				    render(&run, run.items[0].plugin, page);
	}
	run_free(&run);
	return rc;
}
