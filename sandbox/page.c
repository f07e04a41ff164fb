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

#define EXIT_FATAL 3
#define INPUT_MAX (4u << 20)        /* request bytes */
#define OUTPUT_MAX (1u << 20)       /* answer bytes */
#define JSON_DEPTH_MAX 32
#define BLOCKS_MAX 64
#define ROWS_MAX 1000
#define COLUMNS_MAX 32
#define TEXT_MAX 65536              /* bytes of one string in a page */
#define NAME_MAX_LEN 64
#define PAGE_BUDGET_MIN_MS 1000     /* a page may build a whole table */

struct page_plugin {
	struct vg_sbx_plugin *plugin;
	int menu_ref;                  /* compiled menu.lua, or LUA_NOREF */
	char **pages;                  /* file names of web_gui/ ending in .lua */
	size_t n_pages;
	char error[512];               /* why the plugin cannot be used, or "" */
};

struct page_run {
	struct vg_sbx sbx;
	struct page_plugin *items;
	size_t n_items;
	unsigned int budget_ms;
	bool timed_out;                /* the last call overran budget_ms */
	char error[512];               /* why the request failed */
};

/* ---- reading the request ---- */

static char *
read_stdin(size_t *len_out)
{
	size_t cap = 65536;
	size_t len = 0;
	char *buf = malloc(cap + 1);

	while (buf != NULL) {
		ssize_t n;

		if (len == cap) {
			char *grown;

			if (cap >= INPUT_MAX)
				break;
			cap *= 2;
			grown = realloc(buf, cap + 1);
			if (grown == NULL)
				break;
			buf = grown;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			buf[len] = '\0';
			*len_out = len;
			return buf;
		}
		len += (size_t)n;
	}
	free(buf);
	return NULL;
}

/* A small JSON reader that builds Lua values: objects and arrays become
 * tables (arrays from index 1), null becomes nil. */
struct json_in {
	const char *p;
	const char *end;
	lua_State *L;
	const char *error;
};

static void
skip_space(struct json_in *in)
{
	while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' ||
				   *in->p == '\n' || *in->p == '\r'))
		in->p++;
}

static int
hex4(const char *s, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void
add_utf8(luaL_Buffer *b, unsigned int cp)
{
	if (cp < 0x80) {
		luaL_addchar(b, (char)cp);
	} else if (cp < 0x800) {
		luaL_addchar(b, (char)(0xc0 | cp >> 6));
		luaL_addchar(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		luaL_addchar(b, (char)(0xe0 | cp >> 12));
		luaL_addchar(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		luaL_addchar(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		luaL_addchar(b, (char)(0xf0 | cp >> 18));
		luaL_addchar(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		luaL_addchar(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		luaL_addchar(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* Reads a JSON string at in->p (on its opening quote) onto the stack. */
static int
read_string(struct json_in *in)
{
	luaL_Buffer b;

	in->p++;
	luaL_buffinit(in->L, &b);
	while (in->p < in->end && *in->p != '"') {
		unsigned char c = (unsigned char)*in->p;
		unsigned int cp;
		unsigned int low;

		if (c < 0x20) {
			in->error = "control character in a string";
			return -1;
		}
		if (c != '\\') {
			luaL_addchar(&b, (char)c);
			in->p++;
			continue;
		}
		if (in->end - in->p < 2) {
			in->error = "unterminated escape";
			return -1;
		}
		c = (unsigned char)in->p[1];
		in->p += 2;
		switch (c) {
		case '"': case '\\': case '/':
			luaL_addchar(&b, (char)c);
			break;
		case 'b': luaL_addchar(&b, '\b'); break;
		case 'f': luaL_addchar(&b, '\f'); break;
		case 'n': luaL_addchar(&b, '\n'); break;
		case 'r': luaL_addchar(&b, '\r'); break;
		case 't': luaL_addchar(&b, '\t'); break;
		case 'u':
			if (in->end - in->p < 4 || hex4(in->p, &cp) != 0) {
				in->error = "invalid \\u escape";
				return -1;
			}
			in->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && in->end - in->p >= 6 &&
			    in->p[0] == '\\' && in->p[1] == 'u' &&
			    hex4(in->p + 2, &low) == 0 && low >= 0xdc00 &&
			    low < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (low - 0xdc00);
				in->p += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd; /* a lone surrogate */
			}
			add_utf8(&b, cp);
			break;
		default:
			in->error = "invalid escape";
			return -1;
		}
	}
	if (in->p >= in->end) {
		in->error = "unterminated string";
		return -1;
	}
	in->p++;
	luaL_pushresult(&b);
	return 0;
}

static int read_value(struct json_in *in, int depth);

static int
read_container(struct json_in *in, int depth, bool object)
{
	char close = object ? '}' : ']';
	int index = 1;

	in->p++;
	lua_newtable(in->L);
	skip_space(in);
	if (in->p < in->end && *in->p == close) {
		in->p++;
		return 0;
	}
	for (;;) {
		skip_space(in);
		if (object) {
			if (in->p >= in->end || *in->p != '"') {
				in->error = "expected a member name";
				return -1;
			}
			if (read_string(in) != 0)
				return -1;
			skip_space(in);
			if (in->p >= in->end || *in->p != ':') {
				in->error = "expected ':'";
				return -1;
			}
			in->p++;
		} else {
			lua_pushinteger(in->L, index++);
		}
		if (read_value(in, depth + 1) != 0)
			return -1;
		/* null members are left out, as nil cannot be stored. */
		if (lua_isnil(in->L, -1))
			lua_pop(in->L, 2);
		else
			lua_rawset(in->L, -3);
		skip_space(in);
		if (in->p < in->end && *in->p == ',') {
			in->p++;
			continue;
		}
		if (in->p < in->end && *in->p == close) {
			in->p++;
			return 0;
		}
		in->error = object ? "expected ',' or '}'" : "expected ',' or ']'";
		return -1;
	}
}

static int
read_literal(struct json_in *in, const char *word)
{
	size_t len = strlen(word);

	if ((size_t)(in->end - in->p) < len || memcmp(in->p, word, len) != 0) {
		in->error = "invalid literal";
		return -1;
	}
	in->p += len;
	return 0;
}

static int
read_value(struct json_in *in, int depth)
{
	char *stop;
	double v;

	if (depth > JSON_DEPTH_MAX) {
		in->error = "nested too deep";
		return -1;
	}
	if (!lua_checkstack(in->L, 4)) {
		in->error = "out of memory";
		return -1;
	}
	skip_space(in);
	if (in->p >= in->end) {
		in->error = "unexpected end";
		return -1;
	}
	switch (*in->p) {
	case '{':
		return read_container(in, depth, true);
	case '[':
		return read_container(in, depth, false);
	case '"':
		return read_string(in);
	case 't':
		if (read_literal(in, "true") != 0)
			return -1;
		lua_pushboolean(in->L, 1);
		return 0;
	case 'f':
		if (read_literal(in, "false") != 0)
			return -1;
		lua_pushboolean(in->L, 0);
		return 0;
	case 'n':
		if (read_literal(in, "null") != 0)
			return -1;
		lua_pushnil(in->L);
		return 0;
	default:
		/* The input is NUL-terminated, so strtod stops in it. */
		if (*in->p != '-' && (*in->p < '0' || *in->p > '9')) {
			in->error = "unexpected character";
			return -1;
		}
		v = strtod(in->p, &stop);
		if (stop == in->p) {
			in->error = "invalid number";
			return -1;
		}
		in->p = stop;
		lua_pushnumber(in->L, v);
		return 0;
	}
}

/* Pushes the JSON <text> as a Lua value; 0, or -1 with in->error. */
static int
push_json(lua_State *L, const char *text, size_t len, const char **error)
{
	struct json_in in = { text, text + len, L, NULL };
	int top = lua_gettop(L);

	if (read_value(&in, 0) == 0) {
		skip_space(&in);
		if (in.p == in.end)
			return 0;
		in.error = "bytes after the value";
	}
	lua_settop(L, top);
	*error = in.error;
	return -1;
}

/* ---- finding plugins ---- */

static bool
valid_name(const char *s)
{
	size_t n = strlen(s);
	size_t i;

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

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
			snprintf(item->error, sizeof(item->error),
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

/* ---- writing the answer ---- */

static int
write_all(const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
answer_error(const char *code, const char *message, int status)
{
	struct vg_sbx_buf b;

	vg_sbx_buf_init(&b, 0);
	vg_sbx_buf_puts(&b, "{\"error\":");
	vg_sbx_json_string(&b, code, strlen(code));
	vg_sbx_buf_puts(&b, ",\"message\":");
	vg_sbx_json_string(&b, message, strlen(message));
	vg_sbx_buf_puts(&b, "}\n");
	if (!b.failed)
		write_all(b.data, b.len);
	vg_sbx_buf_free(&b);
	return status;
}

/*
 * Appends the string, number or boolean at <idx> (nil as null). Returns
 * 0, or -1 with run->error set.
 */
static int
put_scalar(struct page_run *run, lua_State *L, int idx, struct vg_sbx_buf *b,
	   const char *what)
{
	const char *s;
	size_t len;

	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		vg_sbx_buf_puts(b, "null");
		return 0;
	case LUA_TBOOLEAN:
		vg_sbx_buf_puts(b, lua_toboolean(L, idx) ? "true" : "false");
		return 0;
	case LUA_TNUMBER:
		vg_sbx_json_number(b, lua_tonumber(L, idx));
		return 0;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		if (len > TEXT_MAX) {
			snprintf(run->error, sizeof(run->error),
				 "%s is longer than %u bytes", what, TEXT_MAX);
			return -1;
		}
		vg_sbx_json_string(b, s, len);
		return 0;
	default:
		snprintf(run->error, sizeof(run->error),
			 "%s must be a string, number or boolean, got %s", what,
			 luaL_typename(L, idx));
		return -1;
	}
}

/* Appends the array of scalars <field> of the table at <t>. */
static int
put_row(struct page_run *run, lua_State *L, int t, struct vg_sbx_buf *b,
	const char *what)
{
	size_t n = lua_objlen(L, t);
	size_t i;
	int rc = 0;

	if (n > COLUMNS_MAX) {
		snprintf(run->error, sizeof(run->error),
			 "%s has more than %d cells", what, COLUMNS_MAX);
		return -1;
	}
	vg_sbx_buf_puts(b, "[");
	for (i = 1; i <= n && rc == 0; i++) {
		lua_rawgeti(L, t, (int)i);
		if (i > 1)
			vg_sbx_buf_puts(b, ",");
		rc = put_scalar(run, L, lua_gettop(L), b, what);
		lua_pop(L, 1);
	}
	vg_sbx_buf_puts(b, "]");
	return rc;
}

/* Appends the optional string field <name> of the table at <t>. */
static int
put_text_field(struct page_run *run, lua_State *L, int t, const char *name,
	       struct vg_sbx_buf *b, bool required, const char *what)
{
	int rc = 0;

	lua_getfield(L, t, name);
	if (lua_isnil(L, -1) && !required) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER) {
		snprintf(run->error, sizeof(run->error),
			 "%s.%s must be a string", what, name);
		rc = -1;
	} else {
		vg_sbx_buf_printf(b, ",\"%s\":", name);
		rc = put_scalar(run, L, lua_gettop(L), b, what);
	}
	lua_pop(L, 1);
	return rc;
}

/*
 * Appends the rows (a table block) or items (a kv block) list <field> of
 * the block at <t>; each entry is an array of scalars.
 */
static int
put_rows(struct page_run *run, lua_State *L, int t, const char *field,
	 struct vg_sbx_buf *b, const char *what)
{
	char entry[96];
	size_t n;
	size_t i;
	int rc = 0;

	lua_getfield(L, t, field);
	if (!lua_istable(L, -1)) {
		snprintf(run->error, sizeof(run->error),
			 "%s.%s must be a table", what, field);
		lua_pop(L, 1);
		return -1;
	}
	n = lua_objlen(L, -1);
	if (n > ROWS_MAX) {
		snprintf(run->error, sizeof(run->error),
			 "%s.%s has more than %d entries", what, field,
			 ROWS_MAX);
		lua_pop(L, 1);
		return -1;
	}
	vg_sbx_buf_printf(b, ",\"%s\":[", field);
	for (i = 1; i <= n && rc == 0; i++) {
		snprintf(entry, sizeof(entry), "%s.%s[%zu]", what, field, i);
		lua_rawgeti(L, -1, (int)i);
		if (i > 1)
			vg_sbx_buf_puts(b, ",");
		if (lua_istable(L, -1)) {
			rc = put_row(run, L, lua_gettop(L), b, entry);
		} else {
			snprintf(run->error, sizeof(run->error),
				 "%s must be a table of cells", entry);
			rc = -1;
		}
		lua_pop(L, 1);
	}
	vg_sbx_buf_puts(b, "]");
	lua_pop(L, 1);
	return rc;
}

/* Appends the block at <t>, the <index>th. */
static int
put_block(struct page_run *run, lua_State *L, int t, size_t index,
	  struct vg_sbx_buf *b)
{
	char what[48];
	const char *type;
	int rc;

	snprintf(what, sizeof(what), "blocks[%zu]", index);
	if (!lua_istable(L, t)) {
		snprintf(run->error, sizeof(run->error),
			 "%s must be a table", what);
		return -1;
	}
	lua_getfield(L, t, "type");
	type = lua_tostring(L, -1);
	if (type == NULL || (strcmp(type, "text") != 0 &&
			     strcmp(type, "table") != 0 &&
			     strcmp(type, "kv") != 0)) {
		snprintf(run->error, sizeof(run->error),
			 "%s.type must be \"text\", \"table\" or \"kv\"", what);
		lua_pop(L, 1);
		return -1;
	}
	vg_sbx_buf_printf(b, "{\"type\":\"%s\"", type);
	rc = put_text_field(run, L, t, "title", b, false, what);
	if (rc == 0 && strcmp(type, "text") == 0)
		rc = put_text_field(run, L, t, "text", b, true, what);
	if (rc == 0 && strcmp(type, "table") == 0) {
		lua_getfield(L, t, "columns");
		if (lua_istable(L, -1)) {
			vg_sbx_buf_puts(b, ",\"columns\":");
			rc = put_row(run, L, lua_gettop(L), b, what);
		} else {
			snprintf(run->error, sizeof(run->error),
				 "%s.columns must be a table of names", what);
			rc = -1;
		}
		lua_pop(L, 1);
		if (rc == 0)
			rc = put_rows(run, L, t, "rows", b, what);
	}
	if (rc == 0 && strcmp(type, "kv") == 0)
		rc = put_rows(run, L, t, "items", b, what);
	vg_sbx_buf_puts(b, "}");
	lua_pop(L, 1);
	return rc;
}

/*
 * Writes the page whose table is at <t>; <fallback> at <f> is the page
 * file's table for a title the render result leaves out.
 */
static int
put_page(struct page_run *run, lua_State *L, int t, int f,
	 const char *plugin, const char *page, struct vg_sbx_buf *b)
{
	size_t n = 0;
	size_t i;
	int rc = 0;

	/* A bare list of blocks would otherwise render as an empty page. */
	if (lua_objlen(L, t) > 0) {
		snprintf(run->error, sizeof(run->error),
			 "render returned a list; return a table with title and blocks: {title = ..., blocks = {...}}");
		return -1;
	}
	vg_sbx_buf_puts(b, "{\"plugin\":");
	vg_sbx_json_string(b, plugin, strlen(plugin));
	vg_sbx_buf_puts(b, ",\"page\":");
	vg_sbx_json_string(b, page, strlen(page));
	lua_getfield(L, t, "title");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_getfield(L, f, "title");
	}
	if (lua_isstring(L, -1)) {
		vg_sbx_buf_puts(b, ",\"title\":");
		rc = put_scalar(run, L, lua_gettop(L), b, "title");
	}
	lua_pop(L, 1);
	vg_sbx_buf_puts(b, ",\"blocks\":[");
	lua_getfield(L, t, "body");
	if (rc == 0 && !lua_isnil(L, -1)) {
		vg_sbx_buf_puts(b, "{\"type\":\"text\",\"text\":");
		rc = put_scalar(run, L, lua_gettop(L), b, "body");
		vg_sbx_buf_puts(b, "}");
		n = 1;
	}
	lua_pop(L, 1);
	lua_getfield(L, t, "blocks");
	if (rc == 0 && !lua_isnil(L, -1)) {
		int blocks = lua_gettop(L);
		size_t count = lua_istable(L, blocks) ? lua_objlen(L, blocks) :
							0;

		if (!lua_istable(L, blocks) || count + n > BLOCKS_MAX) {
			snprintf(run->error, sizeof(run->error),
				 "blocks must be a list of at most %d tables",
				 BLOCKS_MAX);
			rc = -1;
		}
		for (i = 1; rc == 0 && i <= count; i++) {
			lua_rawgeti(L, blocks, (int)i);
			if (n + i > 1)
				vg_sbx_buf_puts(b, ",");
			rc = put_block(run, L, lua_gettop(L), i, b);
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	vg_sbx_buf_puts(b, "]}\n");
	if (rc == 0 && b->failed) {
		snprintf(run->error, sizeof(run->error),
			 "the page is larger than %u bytes", OUTPUT_MAX);
		rc = -1;
	}
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
	char id[NAME_MAX_LEN + 8];
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
	if (!valid_name(id)) {
		snprintf(run->error, sizeof(run->error),
			 "page '%s' must be letters, digits, _ or - and .lua",
			 page);
		goto out;
	}
	out->sort_order = lua_isnumber(L, -1) ? (long)lua_tonumber(L, -1) : 0L;
	out->label = strdup(label);
	vg_sbx_buf_init(b, OUTPUT_MAX);
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
		return answer_error("out_of_memory", "out of memory",
				    VG_SBX_PAGE_EXIT_SCRIPT);
	vg_sbx_buf_init(&errors, OUTPUT_MAX / 2);
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

	vg_sbx_buf_init(&b, OUTPUT_MAX);
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
		     answer_error("too_large", "the menu is too large",
				  VG_SBX_PAGE_EXIT_SCRIPT) :
		     (write_all(b.data, b.len) == 0 ? VG_SBX_PAGE_EXIT_OK :
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
		return answer_error("page_timeout", run->error,
				    VG_SBX_PAGE_EXIT_TIMEOUT);
	return answer_error("page_error", run->error, VG_SBX_PAGE_EXIT_SCRIPT);
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
		return answer_error("page_error",
				    "the page file must return a table",
				    VG_SBX_PAGE_EXIT_SCRIPT);
	file = lua_gettop(L);
	lua_getfield(L, file, "render");
	if (lua_isfunction(L, -1)) {
		lua_pushvalue(L, file - 1);
		if (call(run, plugin, 1, "render()") != 0)
			return call_failed(run);
		if (!lua_istable(L, -1))
			return answer_error("page_error",
					    "render() must return a table",
					    VG_SBX_PAGE_EXIT_SCRIPT);
	} else {
		lua_pop(L, 1);
		lua_pushvalue(L, file);
	}
	vg_sbx_buf_init(&b, OUTPUT_MAX);
	rc = put_page(run, L, lua_gettop(L), file, plugin->name, page, &b);
	if (rc != 0)
		rc = answer_error("page_error", run->error,
				  VG_SBX_PAGE_EXIT_SCRIPT);
	else
		rc = write_all(b.data, b.len) == 0 ? VG_SBX_PAGE_EXIT_OK :
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
	char file[NAME_MAX_LEN + 8];
	char *path;
	char *gui;
	char *source;
	bool found = false;
	size_t i;

	snprintf(file, sizeof(file), "%s.lua", page);
	for (i = 0; i < item->n_pages; i++)
		found = found || strcmp(item->pages[i], file) == 0;
	if (!found || strcmp(page, "menu") == 0)
		return answer_error("not_found", "no such page",
				    VG_SBX_PAGE_EXIT_NOT_FOUND);
	if (push_json(L, input, input_len, &error) != 0)
		return answer_error("invalid_request", error,
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
	free(gui);
	free(path);
	if (source == NULL)
		return answer_error("page_error", "cannot read the page file",
				    VG_SBX_PAGE_EXIT_SCRIPT);
	snprintf(file, sizeof(file), "@web_gui/%s.lua", page);
	if (luaL_loadbufferx(L, source, strlen(source), file, "t") != 0) {
		snprintf(run->error, sizeof(run->error), "%s",
			 lua_tostring(L, -1));
		free(source);
		return answer_error("page_error", run->error,
				    VG_SBX_PAGE_EXIT_SCRIPT);
	}
	free(source);
	return -1;
}

/* Reads "menu", or "plugin" and "page", from the request. */
static int
parse_request(const char *input, size_t len, bool *menu, char *plugin,
	      char *page)
{
	lua_State *L = luaL_newstate();
	const char *error = NULL;
	int rc = -1;

	if (L == NULL)
		return -1;
	if (push_json(L, input, len, &error) == 0 && lua_istable(L, -1)) {
		lua_getfield(L, -1, "menu");
		*menu = lua_toboolean(L, -1);
		lua_getfield(L, -2, "plugin");
		lua_getfield(L, -3, "page");
		if (*menu) {
			rc = 0;
		} else if (lua_type(L, -2) == LUA_TSTRING &&
			   lua_type(L, -1) == LUA_TSTRING &&
			   valid_name(lua_tostring(L, -2)) &&
			   valid_name(lua_tostring(L, -1))) {
			snprintf(plugin, NAME_MAX_LEN + 1, "%s",
				 lua_tostring(L, -2));
			snprintf(page, NAME_MAX_LEN + 1, "%s",
				 lua_tostring(L, -1));
			rc = 0;
		}
	}
	lua_close(L);
	return rc;
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
	char plugin[NAME_MAX_LEN + 1] = "";
	char page[NAME_MAX_LEN + 1] = "";
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
	input = read_stdin(&len);
	if (input == NULL)
		return answer_error("invalid_request",
				    "standard input could not be read or is over 4 MiB",
				    VG_SBX_PAGE_EXIT_INPUT);
	if (parse_request(input, len, &menu, plugin, page) != 0) {
		free(input);
		return answer_error("invalid_request",
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
		return answer_error("not_found", "no such plugin",
				    VG_SBX_PAGE_EXIT_NOT_FOUND);
	}
	for (i = 0; i < run.n_items; i++) {
		if (plugin_prepare(&run.items[i], menu) != 0)
			vg_sbx_plugin_close(run.items[i].plugin);
	}
	rc = -1;
	if (!menu) {
		if (run.items[0].plugin->L == NULL)
			rc = answer_error("page_error",
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
