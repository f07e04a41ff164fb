/*
 * Reading a plugin's folder: listing files in a fixed order, reading
 * them with size and content checks, and handing each to the loader of
 * its kind (defs.c, scripts.c).
 *
 * Every path read is recorded in the plugin, so an error message that
 * Lua shortened to "...tail:LINE:" can be given its full path back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>

#include "sandbox/sandbox.h"

#define MAX_FILE_BYTES (1u << 20)

typedef int (*def_loader)(struct vg_sbx_plugin *plugin, const char *path,
			  const char *source);

static const char *const kind_dirs[VG_SBX_KINDS] = {
	"flow", "host", "interface", "network", "system",
};

static const struct {
	const char *file;
	unsigned int step;
} schema_files[] = {
	{ "min.lua", 60 },
	{ "5mins.lua", 300 },
	{ "hour.lua", 3600 },
	{ "day.lua", 86400 },
};

unsigned int
vg_sbx_guess_line(const char *source, const char *name)
{
	unsigned int line = 1;
	unsigned int return_line = 0;
	size_t len = name ? strlen(name) : 0;
	const char *p = source;
	bool line_start = true;

	for (; *p != '\0'; p++) {
		if (*p == '\n') {
			line++;
			line_start = true;
			continue;
		}
		if (line_start && strncmp(p, "return", 6) == 0)
			return_line = line;
		line_start = false;
		if (len == 0 || strncmp(p, name, len) != 0)
			continue;
		/* A whole word followed by "=" (not "=="). */
		if (p > source && (p[-1] == '_' || p[-1] == '.' ||
				   (p[-1] >= 'a' && p[-1] <= 'z') ||
				   (p[-1] >= 'A' && p[-1] <= 'Z') ||
				   (p[-1] >= '0' && p[-1] <= '9')))
			continue;
		{
			const char *q = p + len;

			if (*q == '"' || *q == '\'')
				q++;
			if (*q == ']')
				q++;
			while (*q == ' ' || *q == '\t')
				q++;
			if (q[0] == '=' && q[1] != '=')
				return line;
		}
	}
	return return_line ? return_line : 1;
}

unsigned int
vg_sbx_guess_value_line(const char *source, const char *value)
{
	size_t len = strlen(value);
	unsigned int line = 1;
	const char *p;

	for (p = source; *p != '\0'; p++) {
		if (*p == '\n')
			line++;
		else if ((*p == '"' || *p == '\'') &&
			 strncmp(p + 1, value, len) == 0 && p[len + 1] == *p)
			return line;
	}
	return vg_sbx_guess_line(source, NULL);
}

char *
vg_sbx_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);
	char *p = malloc(la + lb + 2);

	if (p == NULL)
		return NULL;
	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	return p;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
vg_sbx_free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * Lists the folders (<suffix> NULL) or the regular files ending in
 * <suffix> under <path>, sorted, skipping dot files. Returns 0 (an absent
 * folder lists nothing), or -errno.
 */
int
vg_sbx_list_dir(const char *path, const char *suffix, char ***out, size_t *n_out)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	*out = NULL;
	*n_out = 0;
	if (dir == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		struct stat st;
		char *full;
		char *copy;
		bool want;

		if (de->d_name[0] == '.')
			continue;
		full = vg_sbx_path_join(path, de->d_name);
		if (full == NULL)
			goto nomem;
		want = stat(full, &st) == 0 &&
		       (suffix == NULL ?
				S_ISDIR(st.st_mode) :
				S_ISREG(st.st_mode) && len > strlen(suffix) &&
					strcmp(de->d_name + len - strlen(suffix),
					       suffix) == 0);
		free(full);
		if (!want)
			continue;
		copy = strdup(de->d_name);
		if (copy == NULL || vg_sbx_push(&names, &n, copy) != 0) {
			free(copy);
			goto nomem;
		}
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	*n_out = n;
	return 0;
nomem:
	closedir(dir);
	vg_sbx_free_names(names, n);
	return -ENOMEM;
}

bool
vg_sbx_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* True when the resolved path <real> is <base> or lies below it. */
static bool
path_below(const char *real, const char *base)
{
	size_t len = strlen(base);

	return strncmp(real, base, len) == 0 &&
	       (real[len] == '/' || real[len] == '\0');
}

/*
 * Checks that <path>, and the file open at <fd> when it is not -1, lie in
 * the plugin folder <dir> once every symlink is resolved. The path is
 * checked before the open, so that a symlink to a FIFO or a device
 * elsewhere is never opened, and the descriptor after it, so that a
 * symlink swapped in between is caught too. Returns 0, -EXDEV when the
 * file lies outside, or -errno.
 * A hard link passes this check, so vg_sbx_plugin_read() rejects a file
 * with more than one link.
 */
static int
check_inside(const char *path, int fd, const char *dir)
{
	char proc[64];
	char opened[PATH_MAX];
	char *base = realpath(dir, NULL);
	char *real = NULL;
	ssize_t n;
	int rc = 0;

	if (base == NULL)
		return -errno;
	if (fd < 0) {
		real = realpath(path, NULL);
		/* A path that does not resolve is left to open() to report. */
		if (real != NULL && !path_below(real, base))
			rc = -EXDEV;
		goto out;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, opened, sizeof(opened) - 1);
	if (n < 0) {
		/* Without /proc, the path is resolved again. */
		real = realpath(path, NULL);
		if (real == NULL)
			rc = -errno;
		else if (!path_below(real, base))
			rc = -EXDEV;
		goto out;
	}
	opened[n] = '\0';
	if (!path_below(opened, base))
		rc = -EXDEV;
out:
	free(real);
	free(base);
	return rc;
}

/*
 * Reads the whole text file <path> for <plugin> and records its path for
 * error messages. A symlink may point anywhere inside the plugin's
 * folder, but not out of it: plugin files are read before the sandbox
 * drops its privileges, and the Lua parser quotes what it reads in its
 * errors. Returns the text, or NULL after reporting with errno set:
 * EXDEV for a file outside the plugin folder.
 */
char *
vg_sbx_plugin_read(struct vg_sbx_plugin *plugin, const char *path)
{
	struct vg_sbx *sbx = plugin->sbx;
	char *text = NULL;
	char *copy;
	struct stat st;
	size_t done = 0;
	int rc;
	int fd;

	copy = strdup(path);
	if (copy == NULL || vg_sbx_push(&plugin->files, &plugin->n_files,
					copy) != 0)
		free(copy);
	fd = -1;
	rc = check_inside(path, -1, plugin->dir);
	if (rc == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		rc = fd < 0 ? -errno : check_inside(path, fd, plugin->dir);
	}
	if (rc == -EXDEV) {
		vg_sbx_load_error(sbx, path, 0, "is a symlink out of the plugin folder %s; copy the file into the plugin folder instead",
				  plugin->dir);
		goto fail;
	}
	if (rc == 0 && fstat(fd, &st) != 0)
		rc = -errno;
	if (rc != 0) {
		vg_sbx_load_error(sbx, path, 1, "cannot read: %s",
				  strerror(-rc));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_FILE_BYTES) {
		vg_sbx_load_error(sbx, path, 1, "not a regular file of at most "
				  "%u bytes", MAX_FILE_BYTES);
		goto fail;
	}
	/*
	 * A second name of the file may lie anywhere on the same file
	 * system, and its path cannot be found from this one. Linux's
	 * fs.protected_hardlinks stops a user from linking a file they
	 * cannot read, but not root.
	 */
	if (st.st_nlink > 1) {
		vg_sbx_load_error(sbx, path, 0, "has %ju hard links, and a plugin file must have one; copy the file into the plugin folder instead",
				  (uintmax_t)st.st_nlink);
		goto fail;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL)
		goto fail;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, text + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vg_sbx_load_error(sbx, path, 1, "cannot read: %s",
					  n < 0 ? strerror(errno) :
						  "file shrank");
			goto fail;
		}
		done += (size_t)n;
	}
	text[done] = '\0';
	if (strlen(text) != done) {
		vg_sbx_load_error(sbx, path, 1, "contains a NUL byte; plugin "
				  "files must be Lua source text");
		goto fail;
	}
	close(fd);
	return text;
fail:
	plugin->load_errors++;
	if (fd >= 0)
		close(fd);
	free(text);
	errno = rc != 0 ? -rc : EIO;
	return NULL;
}

/* Loads every *.lua of <plugin>'s folder <sub> with <load>. */
static void
load_folder(struct vg_sbx_plugin *plugin, const char *sub, def_loader load)
{
	char *dir = vg_sbx_path_join(plugin->dir, sub);
	char **names = NULL;
	size_t n = 0;
	size_t i;
	int rc;

	if (dir == NULL)
		goto nomem;
	rc = vg_sbx_list_dir(dir, ".lua", &names, &n);
	if (rc != 0) {
		vg_sbx_load_error(plugin->sbx, dir, 0, "cannot list: %s",
				  strerror(-rc));
		plugin->load_errors++;
		free(dir);
		return;
	}
	for (i = 0; i < n; i++) {
		char *path = vg_sbx_path_join(dir, names[i]);
		char *source;

		if (path == NULL)
			goto nomem;
		source = vg_sbx_plugin_read(plugin, path);
		if (source != NULL)
			load(plugin, path, source);
		free(source);
		free(path);
	}
	vg_sbx_free_names(names, n);
	free(dir);
	return;
nomem:
	plugin->load_errors++;
	vg_sbx_free_names(names, n);
	free(dir);
}

static void
load_schemas(struct vg_sbx_plugin *plugin)
{
	char *dir = vg_sbx_path_join(plugin->dir, "ts_schemas");
	char **names = NULL;
	size_t n = 0;
	size_t i;
	size_t j;

	if (dir == NULL || vg_sbx_list_dir(dir, ".lua", &names, &n) != 0) {
		plugin->load_errors++;
		free(dir);
		return;
	}
	for (i = 0; i < n; i++) {
		char *path = vg_sbx_path_join(dir, names[i]);
		char *source;

		if (path == NULL) {
			plugin->load_errors++;
			break;
		}
		for (j = 0; j < sizeof(schema_files) / sizeof(schema_files[0]);
		     j++) {
			if (strcmp(names[i], schema_files[j].file) == 0)
				break;
		}
		if (j == sizeof(schema_files) / sizeof(schema_files[0])) {
			vg_sbx_load_error(plugin->sbx, path, 1,
					  "unknown schema file (expected min.lua, "
					  "5mins.lua, hour.lua or day.lua)");
			plugin->load_errors++;
			free(path);
			continue;
		}
		source = vg_sbx_plugin_read(plugin, path);
		if (source != NULL)
			vg_sbx_schemas_load(plugin, path, source,
					    schema_files[j].step);
		free(source);
		free(path);
	}
	vg_sbx_free_names(names, n);
	free(dir);
}

static bool
valid_module_name(const char *name)
{
	const char *p;

	if (*name == '\0')
		return false;
	for (p = name; *p; p++) {
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	}
	return true;
}

/* Compiles the .lua files in modules/; require() runs them on first use. */
void
vg_sbx_load_modules(struct vg_sbx_plugin *plugin)
{
	char *dir = vg_sbx_path_join(plugin->dir, "modules");
	char **names = NULL;
	size_t n = 0;
	size_t i;

	if (dir == NULL || vg_sbx_list_dir(dir, ".lua", &names, &n) != 0) {
		plugin->load_errors++;
		free(dir);
		return;
	}
	for (i = 0; i < n; i++) {
		char *path = vg_sbx_path_join(dir, names[i]);
		char *source = NULL;
		char name[256];

		if (path == NULL) {
			plugin->load_errors++;
			break;
		}
		snprintf(name, sizeof(name), "%.*s",
			 (int)(strlen(names[i]) - 4), names[i]);
		if (!valid_module_name(name)) {
			vg_sbx_load_error(plugin->sbx, path, 1,
					  "module names may contain only "
					  "letters, digits and _");
			plugin->load_errors++;
		} else if ((source = vg_sbx_plugin_read(plugin, path)) != NULL &&
			   vg_sbx_state_add_module(plugin, name, path,
						   source) != 0) {
			char buf[1024];

			vg_sbx_load_error(plugin->sbx, NULL, 0, "%s",
					  vg_sbx_full_message(plugin,
							      lua_tostring(plugin->L,
									   -1),
							      buf, sizeof(buf)));
			lua_pop(plugin->L, 1);
			plugin->load_errors++;
		}
		free(source);
		free(path);
	}
	vg_sbx_free_names(names, n);
	free(dir);
}

static void
load_scripts(struct vg_sbx_plugin *plugin)
{
	char *dir = vg_sbx_path_join(plugin->dir, "user_scripts");
	char **kinds = NULL;
	size_t n_kinds = 0;
	size_t i;

	if (dir == NULL || vg_sbx_list_dir(dir, NULL, &kinds, &n_kinds) != 0) {
		plugin->load_errors++;
		free(dir);
		return;
	}
	for (i = 0; i < n_kinds; i++) {
		char *sub = vg_sbx_path_join(dir, kinds[i]);
		char **files = NULL;
		size_t n_files = 0;
		size_t k;
		size_t j;

		for (k = 0; k < VG_SBX_KINDS; k++) {
			if (strcmp(kinds[i], kind_dirs[k]) == 0)
				break;
		}
		if (sub == NULL || k == VG_SBX_KINDS) {
			vg_sbx_load_error(plugin->sbx, sub ? sub : dir, 0,
					  "unknown script folder (expected flow, "
					  "host, interface, network or system)");
			plugin->load_errors++;
			free(sub);
			continue;
		}
		if (vg_sbx_list_dir(sub, ".lua", &files, &n_files) != 0)
			plugin->load_errors++;
		for (j = 0; j < n_files; j++) {
			char *path = vg_sbx_path_join(sub, files[j]);
			char *source = path ? vg_sbx_plugin_read(plugin, path) : NULL;

			if (source != NULL)
				vg_sbx_script_load(plugin,
						   (enum vg_sbx_kind)k, path,
						   source);
			free(source);
			free(path);
		}
		vg_sbx_free_names(files, n_files);
		free(sub);
	}
	vg_sbx_free_names(kinds, n_kinds);
	free(dir);
}

static void
load_gui_and_locales(struct vg_sbx_plugin *plugin)
{
	char *menu = vg_sbx_path_join(plugin->dir, "web_gui/menu.lua");
	char *dir = vg_sbx_path_join(plugin->dir, "locales");
	char **names = NULL;
	size_t n = 0;
	size_t i;

	if (menu != NULL && vg_sbx_is_file(menu)) {
		char *source = vg_sbx_plugin_read(plugin, menu);

		if (source != NULL)
			vg_sbx_menu_load(plugin, menu, source);
		free(source);
	}
	free(menu);
	if (dir == NULL || vg_sbx_list_dir(dir, ".lua", &names, &n) != 0) {
		plugin->load_errors++;
		free(dir);
		return;
	}
	for (i = 0; i < n; i++) {
		char *path = vg_sbx_path_join(dir, names[i]);
		char *source = path ? vg_sbx_plugin_read(plugin, path) : NULL;
		char lang[64];

		snprintf(lang, sizeof(lang), "%.*s",
			 (int)(strlen(names[i]) - 4), names[i]);
		if (source != NULL)
			vg_sbx_locale_load(plugin, path, source, lang);
		free(source);
		free(path);
	}
	vg_sbx_free_names(names, n);
	free(dir);
}

void
vg_sbx_load_definitions(struct vg_sbx_plugin *plugin)
{
	load_folder(plugin, "alert_definitions", vg_sbx_alert_load);
	load_folder(plugin, "status_definitions", vg_sbx_status_load);
	load_schemas(plugin);
}

void
vg_sbx_load_scripts_and_gui(struct vg_sbx_plugin *plugin)
{
	load_scripts(plugin);
	load_gui_and_locales(plugin);
}
