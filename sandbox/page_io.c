/*
 * The two ends of the page protocol: reading the one JSON request from
 * standard input and writing the response, or an error object, to standard
 * output. The request is read before isolation, so its size is capped
 * here, and its JSON is read straight into Lua values, which become the
 * data table the page is rendered with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>

#include "sandbox/json.h"
#include "sandbox/page_internal.h"

#define INPUT_MAX (4u << 20)        /* request bytes */
#define JSON_DEPTH_MAX 32

/* ---- reading the request ---- */

char *
vg_sbx_page_read_stdin(size_t *len_out)
{
	size_t cap = 65536;
	size_t len = 0;
	char *buf = malloc(cap + 1);

	while (buf != NULL) {
		ssize_t n;

		if (len == cap) {
			char *grown;

			if (cap >= INPUT_MAX) {
				char extra;

				/* Exactly INPUT_MAX bytes are accepted. */
				do
					n = read(STDIN_FILENO, &extra, 1);
				while (n < 0 && errno == EINTR);
				if (n == 0) {
					buf[len] = '\0';
					*len_out = len;
					return buf;
				}
				break;
			}
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
int
vg_sbx_page_push_json(lua_State *L, const char *text, size_t len,
		      const char **error)
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

bool
vg_sbx_page_valid_name(const char *s)
{
	size_t n = strlen(s);
	size_t i;

	if (n == 0 || n > VG_SBX_PAGE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Reads "menu", or "plugin" and "page", from the request. */
int
vg_sbx_page_parse_request(const char *input, size_t len, bool *menu,
			  char *plugin, char *page)
{
	lua_State *L = luaL_newstate();
	const char *error = NULL;
	int rc = -1;

	if (L == NULL)
		return -1;
	if (vg_sbx_page_push_json(L, input, len, &error) == 0 &&
	    lua_istable(L, -1)) {
		lua_getfield(L, -1, "menu");
		*menu = lua_toboolean(L, -1);
		lua_getfield(L, -2, "plugin");
		lua_getfield(L, -3, "page");
		if (*menu) {
			rc = 0;
		} else if (lua_type(L, -2) == LUA_TSTRING &&
			   lua_type(L, -1) == LUA_TSTRING &&
			   vg_sbx_page_valid_name(lua_tostring(L, -2)) &&
			   vg_sbx_page_valid_name(lua_tostring(L, -1))) {
			snprintf(plugin, VG_SBX_PAGE_NAME_MAX + 1, "%s",
				 lua_tostring(L, -2));
			snprintf(page, VG_SBX_PAGE_NAME_MAX + 1, "%s",
				 lua_tostring(L, -1));
			rc = 0;
		}
	}
	lua_close(L);
	return rc;
}

/* ---- writing the response ---- */

int
vg_sbx_page_write_all(const char *data, size_t len)
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

int
vg_sbx_page_write_error(const char *code, const char *message, int status)
{
	struct vg_sbx_buf b;

	vg_sbx_buf_init(&b, 0);
	vg_sbx_buf_puts(&b, "{\"error\":");
	vg_sbx_json_string(&b, code, strlen(code));
	vg_sbx_buf_puts(&b, ",\"message\":");
	vg_sbx_json_string(&b, message, strlen(message));
	vg_sbx_buf_puts(&b, "}\n");
	if (!b.failed)
		vg_sbx_page_write_all(b.data, b.len);
	vg_sbx_buf_free(&b);
	return status;
}
