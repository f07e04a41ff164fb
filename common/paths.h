/*
 * The folders vigil ships beside its programs: the dashboard's files and
 * the bundled plugins. A program finds them from the path of its own
 * executable, so one binary works from the build tree and installed,
 * also below a DESTDIR or with the whole prefix moved elsewhere.
 */
#ifndef VG_PATHS_H
#define VG_PATHS_H

#include <stddef.h>

enum vg_bundled {
	VG_BUNDLED_UI,       /* web.static_dir's default */
	VG_BUNDLED_PLUGINS,  /* plugins.directories' default */
};

/*
 * Writes the folder of <what> for the running program into <out>:
 *  - run from the build tree: the source tree's web/ui or plugins;
 *  - run installed: <bindir>/../share/vigil/ui or .../plugins, found
 *    relative to the executable and resolved to an absolute path;
 *  - otherwise (the relative folder is missing, or /proc/self/exe cannot
 *    be read): the folder under the prefix given to meson at build time.
 * The folder may not exist; callers check it. Returns 0, or -ENAMETOOLONG
 * when the path does not fit in <len> bytes.
 */
int
vg_paths_bundled(enum vg_bundled what, char *out, size_t len);

#endif /* VG_PATHS_H */
