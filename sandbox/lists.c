/*
 * vigil.read_list(path): list files that plugins load in setup(), such as
 * the IP and domain block lists the blacklist plugin matches flows with.
 *
 * The sandbox reads no file once it is isolated, so a list is read while
 * setup() runs, before the seccomp filter is loaded; called anywhere else
 * it raises an error instead of reaching a system call the filter would
 * kill the process for. Start-up may run as root before switching to the
 * sandbox user, so a list must be a regular file that every user may read:
 * plugin code cannot use this call to read a file the sandbox user could
 * not. Only entries come back, never raw lines: each is one word of the
 * characters that addresses, networks and domain names use, so the call
 * cannot hand a plugin the text of some other kind of file either.
 *
 * Lines hold one entry, optionally after "0.0.0.0", "127.0.0.1", "::" or
 * "::1" as in hosts files; '#' starts a comment and blank lines are
 * skipped. Lines whose entry holds other characters are skipped and
 * counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>

#include "common/log.h"
#include "sandbox/sandbox.h"

#define MAX_LIST_BYTES (64u << 20)
#define MAX_ENTRY_BYTES 255

static bool
entry_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
	       c == ':' || c == '/' || c == '*';
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == ',' || c == ';';
}

static bool
is_sink_address(const char *word, size_t len)
{
	static const char *const sinks[] = { "0.0.0.0", "127.0.0.1", "::",
					     "::1" };
	size_t i;

	for (i = 0; i < sizeof(sinks) / sizeof(sinks[0]); i++) {
		if (strlen(sinks[i]) == len && memcmp(word, sinks[i], len) == 0)
			return true;
	}
	return false;
}

/* Finds the next word in [*p, end); returns its length, 0 at the end. */
static size_t
next_word(const char **p, const char *end)
{
	const char *s = *p;
	size_t len = 0;

	while (s < end && is_space(*s))
		s++;
	while (s + len < end && !is_space(s[len]))
		len++;
	*p = s;
	return len;
}

/*
 * Pushes the entry of the line [line, end) onto the table at the top of
 * the stack as item <*n> + 1. Returns 1 for an entry, 0 for a blank or
 * comment line, -1 for a line skipped as invalid.
 */
static int
add_line(lua_State *L, const char *line, const char *end, int *n)
{
	const char *hash = memchr(line, '#', (size_t)(end - line));
	const char *p = line;
	size_t len;
	size_t i;

	if (hash != NULL)
		end = hash;
	len = next_word(&p, end);
	if (len == 0)
		return 0;
	if (is_sink_address(p, len)) {
		const char *q = p + len;
		size_t second = next_word(&q, end);

		if (second != 0) {
			p = q;
			len = second;
		}
	}
	if (len > MAX_ENTRY_BYTES)
		return -1;
	for (i = 0; i < len; i++) {
		if (!entry_char(p[i]))
			return -1;
	}
	lua_pushlstring(L, p, len);
	lua_rawseti(L, -2, ++*n);
	return 1;
}

/* Reads all <size> bytes of <fd> into <buf>; 0 or -1 with errno set. */
static int
read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != size) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* Returns NULL when <st> may be read, else why not. */
static const char *
check_file(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (geteuid() == 0 && !(st->st_mode & S_IROTH))
		return "not readable by every user (the sandbox reads lists "
		       "before it drops root)";
	if ((uint64_t)st->st_size > MAX_LIST_BYTES)
		return "larger than 64 MiB";
	return NULL;
}

/*
 * vigil.read_list(path): returns a table of the entries of the list file
 * <path> and the number of lines skipped as invalid. Only inside setup().
 */
int
vg_sbx_read_list(lua_State *L)
{
	struct vg_sbx_plugin *plugin = vg_sbx_state_plugin(L);
	const char *path = luaL_checkstring(L, 1);
	const char *why;
	struct stat st;
	const char *p;
	const char *end;
	char *text;
	int entries = 0;
	int skipped = 0;
	int fd;

	if (plugin->sbx->setup_plugin != plugin)
		return luaL_error(L, "vigil.read_list can only be called from "
				     "setup()");
	if (path[0] != '/')
		return luaL_error(L, "vigil.read_list: '%s' is not an absolute "
				     "path", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return luaL_error(L, "vigil.read_list: cannot open '%s': %s",
				  path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		int err = errno;

		close(fd);
		return luaL_error(L, "vigil.read_list: cannot stat '%s': %s",
				  path, strerror(err));
	}
	why = check_file(&st);
	if (why != NULL) {
		close(fd);
		return luaL_error(L, "vigil.read_list: '%s' is %s", path, why);
	}
	/* The text lives in a userdata, so a memory error while the table
	 * grows leaves nothing behind for the collector to miss. */
	text = lua_newuserdata(L, (size_t)st.st_size + 1);
	errno = 0;
	if (read_all(fd, text, (size_t)st.st_size) != 0) {
		int err = errno;

		close(fd);
		return luaL_error(L, "vigil.read_list: cannot read '%s': %s",
				  path, strerror(err));
	}
	close(fd);

	lua_newtable(L);
	end = text + st.st_size;
	for (p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl != NULL ? nl : end;

		if (add_line(L, p, line_end, &entries) < 0)
			skipped++;
		p = line_end + 1;
	}
	VG_INFO(VG_SBX_TAG, "plugin=%s list=%s entries=%d skipped=%d",
		plugin->name, path, entries, skipped);
	lua_pushinteger(L, skipped);
	return 2;
}
