/*
 * The check each static file passes before h2o's file handler sends it.
 * Static files are served without a login, so that the login page can
 * load its own scripts and styles. A web.static_dir set by mistake to a
 * folder such as /etc would then hand its files to anyone. So only a
 * regular file that others may read (S_IROTH), and whose real path lies
 * inside web.static_dir, is passed on to h2o. Any other file is rejected
 * with the same 404 as a missing one, and a warning that names it is
 * logged once.
 *
 * The check maps the request path to a file as h2o 2.2's file handler
 * does: the path below the registered prefix is appended to the folder,
 * and a path that ends in '/' gets the index file appended.
 *
 * NOTE: h2o opens the file again after the check, so a process that can
 * write to web.static_dir could swap the file in between. The check
 * guards against a wrong folder, not against a hostile one.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "web.h"

/*
 * Files named in a warning are remembered up to this count, so a client
 * that requests many rejected files cannot grow the memory without bound.
 * Later rejections are counted, and the count is logged at each power of
 * two.
 */
#define WARNED_MAX 256

struct static_check {
	h2o_handler_t super;
	char *dir;                 /* the folder, as h2o's file handler has it */
	size_t prefix_len;         /* registered path, with its trailing '/' */
	const char *index_file;    /* appended to a path that ends in '/' */
	char *root;                /* real path of web.static_dir */
	char *warned[WARNED_MAX];
	size_t warned_count;
	uint64_t unlogged;         /* rejections after warned[] filled up */
};

/* Logs <reason> for the file <path> the first time it is rejected. */
static void
warn_once(struct static_check *c, const char *path, const char *reason)
{
	size_t i;

	for (i = 0; i < c->warned_count; i++)
		if (strcmp(c->warned[i], path) == 0)
			return;
	if (c->warned_count == WARNED_MAX) {
		c->unlogged++;
		if ((c->unlogged & (c->unlogged - 1)) == 0)
			VG_WARN("web", "rejected_unnamed=%" PRIu64 " static file requests rejected with 404 and not named, because %d files were named already",
				c->unlogged, WARNED_MAX);
		return;
	}
	c->warned[c->warned_count] = strdup(path);
	if (c->warned[c->warned_count] != NULL)
		c->warned_count++;
	VG_WARN("web", "file=%s rejected with 404: %s; static files are served without a login",
		path, reason);
}

/* True when <real> is <root> or a path inside it. */
static bool
is_inside(const char *root, const char *real)
{
	size_t n = strlen(root);

	if (strncmp(real, root, n) != 0)
		return false;
	/* "/" is the one root that ends in '/'. */
	return real[n] == '\0' || real[n] == '/' || root[n - 1] == '/';
}

/*
 * Returns NULL when the file whose real path is <real> may be served, or
 * the reason it may not. A directory passes, because h2o only redirects
 * a request for it and lists no folder.
 */
static const char *
rejection_reason(const struct static_check *c, const char *real,
	       const struct stat *st)
{
	if (!is_inside(c->root, real))
		return "its real path is outside web.static_dir";
	if (S_ISDIR(st->st_mode))
		return NULL;
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if ((st->st_mode & S_IROTH) == 0)
		return "not readable by others (mode lacks o+r)";
	return NULL;
}

static int
on_static_check(h2o_handler_t *self, h2o_req_t *req)
{
	struct static_check *c = (struct static_check *)self;
	h2o_iovec_t rest;
	char path[PATH_MAX];
	char real[PATH_MAX];
	const char *reason;
	struct stat st;
	int len;

	/* h2o redirects a path shorter than its prefix ("/vendor/uplot"). */
	if (req->path_normalized.len < c->prefix_len)
		return -1;
	rest = h2o_iovec_init(req->path_normalized.base + c->prefix_len,
			      req->path_normalized.len - c->prefix_len);
	len = snprintf(path, sizeof(path), "%s%.*s%s", c->dir, (int)rest.len,
		       rest.base,
		       rest.len == 0 || rest.base[rest.len - 1] == '/' ?
			       c->index_file : "");
	if (len < 0 || (size_t)len >= sizeof(path))
		goto not_found;
	/* A missing file, a dangling link or one that cannot be reached
	 * gets the 404 of a missing file, with nothing to log. */
	if (realpath(path, real) == NULL || stat(real, &st) != 0)
		goto not_found;
	reason = rejection_reason(c, real, &st);
	if (reason == NULL)
		return -1;
	warn_once(c, path, reason);

not_found:
	vg_http_error(req, 404, "not_found", NULL, "no such file");
	return 0;
}

static void
on_static_check_dispose(h2o_handler_t *self)
{
	struct static_check *c = (struct static_check *)self;
	size_t i;

	for (i = 0; i < c->warned_count; i++)
		free(c->warned[i]);
	free(c->dir);
	free(c->root);
}

int
vg_http_register_static_check(h2o_pathconf_t *conf, const char *dir,
			      const char *index_file, const char *static_dir)
{
	struct static_check *c;
	char real[PATH_MAX];

	if (realpath(static_dir, real) == NULL) {
		int rc = -errno;

		VG_ERR("web", "static_dir=%s realpath() failed: %s", static_dir,
		       strerror(errno));
		return rc;
	}
	c = (struct static_check *)h2o_create_handler(conf, sizeof(*c));
	c->super.on_req = on_static_check;
	c->super.dispose = on_static_check_dispose;
	c->index_file = index_file != NULL ? index_file : "";
	c->prefix_len = conf->path.len;
	if (c->prefix_len == 0 || conf->path.base[c->prefix_len - 1] != '/')
		c->prefix_len++;
	c->root = strdup(real);
	c->dir = malloc(strlen(dir) + 2);
	if (c->root == NULL || c->dir == NULL)
		return -ENOMEM;
	strcpy(c->dir, dir);
	if (c->dir[0] == '\0' || c->dir[strlen(c->dir) - 1] != '/')
		strcat(c->dir, "/");
	return 0;
}
