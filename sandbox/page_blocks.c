/*
 * Checks the table a page returns and writes it as the JSON response.
 * A page may hold only text, table and key/value blocks of strings,
 * numbers and booleans, within the limits below, so vigil-web shows it
 * with text nodes alone. A failed check names the offending field where
 * there is one, such as "blocks[2].rows[5]", for the plugin author.
 */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "sandbox/json.h"
#include "sandbox/page_internal.h"

#define BLOCKS_MAX 64
#define ROWS_MAX 1000
#define COLUMNS_MAX 32
#define TEXT_MAX 65536              /* bytes of one string in a page */

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
int
vg_sbx_page_put(struct page_run *run, lua_State *L, int t, int f,
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
			 "the page is larger than %u bytes",
			 VG_SBX_PAGE_OUTPUT_MAX);
		rc = -1;
	}
	return rc;
}
