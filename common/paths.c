/*
 * Locates the bundled UI and plugins (paths.h). The build passes four
 * strings: the source and build roots (VG_SOURCE_ROOT, VG_BUILD_ROOT),
 * the installed folder (VG_PKGDATADIR, absolute) and the same folder
 * relative to the installed programs (VG_BINDIR_TO_PKGDATADIR, "" when
 * bindir or datadir lies outside the prefix). A program is taken to run
 * from the build tree when its path lies below VG_BUILD_ROOT, because
 * `meson install` copies the same binaries.
 *
 * NOTE: programs installed below a DESTDIR inside the build folder count
 * as build-tree programs and use the source tree's folders.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/paths.h"

#ifndef VG_SOURCE_ROOT
#error "VG_SOURCE_ROOT must be defined by the build"
#endif

struct bundled_place {
	const char *in_source;     /* below VG_SOURCE_ROOT */
	const char *installed;     /* below VG_PKGDATADIR */
};

static const struct bundled_place places[] = {
	[VG_BUNDLED_UI] = { "web/ui", "ui" },
	[VG_BUNDLED_PLUGINS] = { "plugins", "plugins" },
};

/* True when <path> is <root> or lies below it. */
static bool
path_below(const char *path, const char *root)
{
	size_t n = strlen(root);

	return strncmp(path, root, n) == 0 &&
	       (path[n] == '/' || path[n] == '\0');
}

static int
put(char *out, size_t len, const char *a, const char *b)
{
	if ((size_t)snprintf(out, len, "%s/%s", a, b) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Writes the folder holding the running executable into <dir>. */
static int
self_dir(char *dir, size_t len)
{
	char *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", dir, len - 1);
	if (n <= 0 || (size_t)n >= len - 1)
		return -ENOENT;
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return -ENOENT;
	*slash = '\0';
	return 0;
}

int
vg_paths_bundled(enum vg_bundled what, char *out, size_t len)
{
	const struct bundled_place *place = &places[what];
	char dir[PATH_MAX];
	char relative[PATH_MAX + 64];
	char resolved[PATH_MAX];

	if (self_dir(dir, sizeof(dir)) != 0)
		return put(out, len, VG_PKGDATADIR, place->installed);
	if (path_below(dir, VG_BUILD_ROOT))
		return put(out, len, VG_SOURCE_ROOT, place->in_source);
	if (VG_BINDIR_TO_PKGDATADIR[0] != '\0' &&
	    (size_t)snprintf(relative, sizeof(relative), "%s/%s/%s", dir,
			     VG_BINDIR_TO_PKGDATADIR, place->installed) <
		    sizeof(relative) &&
	    realpath(relative, resolved) != NULL) {
		if (strlen(resolved) >= len)
			return -ENAMETOOLONG;
		strcpy(out, resolved);
		return 0;
	}
	return put(out, len, VG_PKGDATADIR, place->installed);
}
