/*
 * Declarations shared by the files of vigil-sandbox --page: the state of
 * one request (page.c), the request and response I/O (page_io.c) and the
 * checks on a rendered page (page_blocks.c). Only those files include
 * this header, and main.c includes page.h alone.
 */
#ifndef VG_SANDBOX_PAGE_INTERNAL_H
#define VG_SANDBOX_PAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "sandbox/json.h"
#include "sandbox/sandbox.h"

#define VG_SBX_PAGE_OUTPUT_MAX (1u << 20)  /* response bytes */
#define VG_SBX_PAGE_NAME_MAX 64            /* bytes of a plugin or page name */

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

/*
 * Reads standard input to its end. Returns a NUL-terminated copy with its
 * length in <len_out>, or NULL when the read failed or the input is over
 * 4 MiB.
 */
char *
vg_sbx_page_read_stdin(size_t *len_out);

/*
 * Pushes the JSON <text> as a Lua value: objects and arrays become tables,
 * null becomes nil. Returns 0, or -1 with a static message in <error> and
 * the stack as it was.
 */
int
vg_sbx_page_push_json(lua_State *L, const char *text, size_t len,
		      const char **error);

/* Tells whether <s> is 1 to 64 letters, digits, '_' or '-'. */
bool
vg_sbx_page_valid_name(const char *s);

/*
 * Reads "menu", or "plugin" and "page", from the request <input>, each
 * name into a buffer of VG_SBX_PAGE_NAME_MAX + 1 bytes. Returns 0, or -1
 * when the request is not one of the two forms.
 */
int
vg_sbx_page_parse_request(const char *input, size_t len, bool *menu,
			  char *plugin, char *page);

/* Writes all of <data> to standard output. Returns 0 or -1. */
int
vg_sbx_page_write_all(const char *data, size_t len);

/*
 * Writes {"error": <code>, "message": <message>} to standard output and
 * returns <status>, so a caller can return its result.
 */
int
vg_sbx_page_write_error(const char *code, const char *message, int status);

/*
 * Checks the page table at stack index <t> and appends it to <b> as the
 * response; the table at <f> is the page file's, for a title the render
 * result leaves out. Returns 0, or -1 with run->error set.
 */
int
vg_sbx_page_put(struct page_run *run, lua_State *L, int t, int f,
		const char *plugin, const char *page, struct vg_sbx_buf *b);

#endif
