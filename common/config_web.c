/*
 * The web section of the configuration, which only vigil-web uses: the
 * listen addresses, TLS files, folders, login and query limits. Its
 * files and folders are checked by vg_config_check_web(), which vigild
 * does not call, so vigild does not depend on them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "common/config.h"
#include "common/config_loader.h"

/* ---- web ---- */

/* A parsed web.listen entry. */
struct listen_addr {
	int family;                /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned long port;
};

/*
 * Parses "ADDR:PORT" with an IPv4 address or a bracketed IPv6 one.
 * Returns 0 or -EINVAL.
 */
static int
parse_listen_addr(const char *text, struct listen_addr *out)
{
	char host[VG_WEB_LISTEN_LEN];
	const char *colon = strrchr(text, ':');
	char *end;

	memset(out, 0, sizeof(*out));
	if (colon == NULL || colon == text)
		return -EINVAL;
	out->port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || out->port == 0 ||
	    out->port > 65535)
		return -EINVAL;
	if (text[0] == '[') {
		if (colon[-1] != ']' || colon - text < 3)
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - text - 2),
			 text + 1);
		out->family = AF_INET6;
	} else {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
		out->family = AF_INET;
	}
	return inet_pton(out->family, host, out->addr) == 1 ? 0 : -EINVAL;
}

static bool
is_wildcard(const struct listen_addr *a)
{
	static const unsigned char zero[16];

	return memcmp(a->addr, zero, a->family == AF_INET ? 4 : 16) == 0;
}

/*
 * Returns true when binding both <a> and <b> fails with EADDRINUSE: the
 * same port on the same address, on the wildcard of the same family, or
 * on [::], which vigil-web binds dual-stack (IPv4 too).
 */
static bool
listen_overlaps(const struct listen_addr *a, const struct listen_addr *b)
{
	if (a->port != b->port)
		return false;
	if (a->family == b->family)
		return is_wildcard(a) || is_wildcard(b) ||
		       memcmp(a->addr, b->addr,
			      a->family == AF_INET ? 4 : 16) == 0;
	return (a->family == AF_INET6 && is_wildcard(a)) ||
	       (b->family == AF_INET6 && is_wildcard(b));
}

static int
on_web_listen_item(struct loader *ld, yaml_node_t *node, size_t index)
{
	struct vg_web_config *web = &ld->cfg->web;
	char text[VG_WEB_LISTEN_LEN];
	struct listen_addr addr;
	struct listen_addr other;
	size_t i;
	int rc;

	rc = cfg_get_string(ld, node, text, sizeof(text));
	if (rc != 0)
		return rc;
	if (parse_listen_addr(text, &addr) != 0)
		return cfg_fail(ld, node,
				"expected ADDRESS:PORT such as 127.0.0.1:8443 "
				"or [::1]:8443, got '%s'",
				text);
	for (i = 0; i < index; i++) {
		parse_listen_addr(web->listen[i], &other);
		if (strcmp(web->listen[i], text) == 0)
			return cfg_fail(
			    ld, node, "'%s' is listed twice (also listen[%zu])",
			    text, i);
		if (listen_overlaps(&addr, &other))
			return cfg_fail(ld, node,
					"'%s' overlaps listen[%zu] '%s': both "
					"bind port %lu",
					text, i, web->listen[i], addr.port);
	}
	strcpy(web->listen[index], text);
	web->listen_count = (unsigned int)index + 1;
	return 0;
}

static int
on_web_listen(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	if (node->type == YAML_SEQUENCE_NODE &&
	    node->data.sequence.items.start == node->data.sequence.items.top)
		return cfg_fail(ld, node,
				"the list is empty, so vigil-web would listen nowhere; give at least one ADDRESS:PORT such as 127.0.0.1:8443");
	ld->cfg->web.listen_count = 0;
	return cfg_walk_sequence(ld, node, VG_WEB_LISTEN_MAX,
				 on_web_listen_item);
}

static int
on_web_string(struct loader *ld, yaml_node_t *node, void *arg)
{
	return cfg_get_string(ld, node, (char *)ld->cfg + (size_t)arg,
			      VG_PATH_MAX);
}

/* A path of the web: section whose position is kept for later checks. */
struct web_path_field {
	size_t offset;             /* the string, in struct vg_config */
	size_t mark_offset;        /* its struct vg_config_mark */
};

#define WEB_PATH_FIELD(name, member)                                        \
	static const struct web_path_field name = {                         \
		offsetof(struct vg_config, web.member),                     \
		offsetof(struct vg_config, web.member##_at),                \
	}

WEB_PATH_FIELD(web_certificate_field, tls_certificate);
WEB_PATH_FIELD(web_key_field, tls_key);
WEB_PATH_FIELD(web_static_field, static_dir);
WEB_PATH_FIELD(web_data_field, data_dir);

static int
on_web_path(struct loader *ld, yaml_node_t *node, void *arg)
{
	const struct web_path_field *f = arg;
	struct vg_config_mark *at =
		(struct vg_config_mark *)((char *)ld->cfg + f->mark_offset);

	at->line = (uint32_t)node->start_mark.line + 1;
	at->column = (uint32_t)node->start_mark.column + 1;
	return cfg_get_string(ld, node, (char *)ld->cfg + f->offset,
			      VG_PATH_MAX);
}

/* static_dir: "" turns the UI off; the default is the bundled one. */
static int
on_web_static(struct loader *ld, yaml_node_t *node, void *arg)
{
	struct vg_web_config *web = &ld->cfg->web;

	if (node->type == YAML_SCALAR_NODE &&
	    cfg_scalar_text(node)[0] == '\0') {
		cfg_set_mark(&web->static_dir_at, node);
		web->static_dir[0] = '\0';
		return 0;
	}
	return on_web_path(ld, node, arg);
}

static int
on_web_socket(struct loader *ld, yaml_node_t *node, void *arg)
{
	int rc = on_web_string(ld, node, arg);

	if (rc != 0)
		return rc;
	cfg_set_mark(&ld->cfg->vigild_socket_at, node);
	if (strlen(ld->cfg->web.vigild_socket) >= 108)
		return cfg_fail(
		    ld, node,
		    "a socket path must be shorter than 108 bytes, got %zu",
		    strlen(ld->cfg->web.vigild_socket));
	rc = cfg_check_kernel_fs(ld, node, ld->cfg->web.vigild_socket);
	if (rc != 0)
		return rc;
	return cfg_check_output_folder(ld, node, ld->cfg->web.vigild_socket);
}

static int
on_web_password(struct loader *ld, yaml_node_t *node, void *arg)
{
	struct vg_web_config *web = &ld->cfg->web;
	int rc;

	(void)arg;
	rc = cfg_get_string(ld, node, web->admin_password,
			    sizeof(web->admin_password));
	if (rc == 0 && strlen(web->admin_password) < 8)
		return cfg_fail(ld, node,
				"a password needs at least 8 characters");
	return rc;
}

static int
on_web_bool(struct loader *ld, yaml_node_t *node, void *arg)
{
	return cfg_get_bool(ld, node, (bool *)((char *)ld->cfg + (size_t)arg));
}

UINT_FIELD(web_request_bytes_field, web.max_request_bytes, 1024, 16u << 20);
UINT_FIELD(web_request_timeout_field, web.request_timeout_ms, 100, 600000);
UINT_FIELD(web_session_field, web.session_timeout, 60, 7 * 86400);
UINT_FIELD(web_attempts_field, web.login_attempts, 1, 1000);
UINT_FIELD(web_cache_field, web.query_cache_ms, 0, 60000);
UINT_FIELD(web_scan_field, web.query_scan_mb_per_second, 1, 1000000);

int
cfg_on_web(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
	    {"listen", on_web_listen, NULL},
	    {"tls_certificate", on_web_path, (void *)&web_certificate_field},
	    {"tls_key", on_web_path, (void *)&web_key_field},
	    {"static_dir", on_web_static, (void *)&web_static_field},
	    {"data_dir", on_web_path, (void *)&web_data_field},
	    {"vigild_socket", on_web_socket, CFG_OFFSET(web.vigild_socket)},
	    {"admin_password", on_web_password, NULL},
	    {"max_request_bytes", cfg_on_uint, &web_request_bytes_field},
	    {"request_timeout_ms", cfg_on_uint, &web_request_timeout_field},
	    {"session_timeout", cfg_on_uint, &web_session_field},
	    {"login_attempts", cfg_on_uint, &web_attempts_field},
	    {"query_cache_ms", cfg_on_uint, &web_cache_field},
	    {"query_scan_mb_per_second", cfg_on_uint, &web_scan_field},
	    {"login_required", on_web_bool, CFG_OFFSET(web.login_required)},
	    {"metrics_public", on_web_bool, CFG_OFFSET(web.metrics_public)},
	};
	const struct vg_web_config *web = &ld->cfg->web;
	int rc;

	(void)arg;
	rc =
	    cfg_walk_mapping(ld, node, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc == 0 && (web->tls_certificate[0] == '\0') !=
			       (web->tls_key[0] == '\0'))
		return cfg_fail(ld, node,
				"tls_certificate and tls_key go together: give "
				"both or neither");
	return rc;
}

/* Checks that <path> is a regular file this process can read. */
static int
check_readable_file(const struct vg_config *cfg,
		    struct vg_config_report *report,
		    const struct vg_config_mark *at, const char *key,
		    const char *path, char *err, size_t err_len)
{
	struct stat st;

	if (stat(path, &st) != 0 || access(path, R_OK) != 0)
		return vg_config_machine_problem_at(cfg, report, at, key, err, err_len,
						    "cannot read '%s': %s", path,
						    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vg_config_machine_problem_at(cfg, report, at, key, err, err_len,
						    "'%s' is not a regular file", path);
	return 0;
}

/*
 * Checks <path>, a file in web.data_dir that vigil-web reads and
 * replaces, and reports a problem under web.data_dir's key. The path
 * must not lead into a file system of the kernel. What exists there must
 * be a regular file, because a FIFO would block the read at start and a
 * device would be read as the users list. A directory is a machine
 * problem, and the rest are errors.
 */
static int
check_data_file(const struct vg_config *cfg, struct vg_config_report *report,
		const char *path, char *err, size_t err_len)
{
	const struct vg_config_mark *at = &cfg->web.data_dir_at;
	char problem[3 * VG_PATH_MAX];
	struct stat st;

	if (vg_config_check_kernel_fs(path, problem, sizeof(problem)) != 0)
		return vg_config_error_at(cfg, at, "web.data_dir", err, err_len,
					  "%s", problem);
	if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
		return 0;
	if (S_ISDIR(st.st_mode))
		return vg_config_machine_problem_at(cfg, report, at, "web.data_dir",
						    err, err_len,
						    "'%s' is a directory; vigil-web keeps its users in a file of that name",
						    path);
	return vg_config_error_at(cfg, at, "web.data_dir", err, err_len,
				  "'%s' is a %s; vigil-web keeps its users in a regular file of that name",
				  path, vg_config_file_type_name(st.st_mode));
}

int
vg_config_check_web_data_dir(const struct vg_config *cfg,
			     struct vg_config_report *report, char *err,
			     size_t err_len)
{
	const struct vg_web_config *web = &cfg->web;
	const struct vg_config_mark *at = &web->data_dir_at;
	/* The default path is named as such: the file does not show it. */
	const char *dflt = at->line > 0 ? "" : " (the default)";
	char problem[3 * VG_PATH_MAX];
	char text[4 * VG_PATH_MAX];
	char users[VG_PATH_MAX + sizeof(VG_WEB_USERS_FILE) + 1];
	struct stat st;
	int state;

	err[0] = '\0';
	/* An error, not a machine problem: /proc and /sys are the same on
	 * every machine. */
	if (vg_config_check_kernel_fs(web->data_dir, problem,
				      sizeof(problem)) != 0)
		return vg_config_error_at(cfg, at, "web.data_dir", err, err_len,
					  "%s", problem);
	if (stat(web->data_dir, &st) == 0 && !S_ISDIR(st.st_mode) &&
	    !S_ISREG(st.st_mode))
		return vg_config_error_at(cfg, at, "web.data_dir", err, err_len,
					  "'%s'%s is a %s; give a directory",
					  web->data_dir, dflt,
					  vg_config_file_type_name(st.st_mode));
	state = vg_config_probe_folder(web->data_dir, dflt, problem,
				       sizeof(problem));
	if (state < 0)
		return vg_config_machine_problem_at(cfg, report, at, "web.data_dir", err,
						    err_len, "%s", problem);
	if (state == 1 && report != NULL &&
	    report->machine == VG_CONFIG_MACHINE_WARN) {
		vg_config_error_at(cfg, at, "web.data_dir", text, sizeof(text),
				   "directory '%s'%s does not exist; vigil-web creates it at start",
				   web->data_dir, dflt);
		report->notes++;
		if (report->emit != NULL)
			report->emit(report->ctx, VG_CONFIG_NOTE, text);
	}
	if (state != 0)
		return 0;
	/* vigil-web replaces the users file by renaming a temporary file
	 * over it, which it creates afresh (web/auth.c). */
	snprintf(users, sizeof(users), "%s/%s", web->data_dir,
		 VG_WEB_USERS_FILE);
	return check_data_file(cfg, report, users, err, err_len);
}

int
vg_config_check_web(const struct vg_config *cfg,
		    struct vg_config_report *report, char *err,
		    size_t err_len)
{
	const struct vg_web_config *web = &cfg->web;
	struct stat st;
	int rc = 0;

	err[0] = '\0';
	if (web->tls_certificate[0] != '\0') {
		rc = check_readable_file(cfg, report,
					 &web->tls_certificate_at,
					 "web.tls_certificate",
					 web->tls_certificate, err, err_len);
		if (rc != 0)
			return rc;
	}
	if (web->tls_key[0] != '\0') {
		rc = check_readable_file(cfg, report, &web->tls_key_at,
					 "web.tls_key", web->tls_key, err,
					 err_len);
		if (rc != 0)
			return rc;
	}
	if (web->static_dir[0] != '\0') {
		/* The default path is named as such: the file does not show it. */
		const char *dflt = web->static_dir_at.line > 0 ? "" :
								 " (the default)";

		/* The type first: access() on a file without the execute bit
		 * would report "Permission denied" for what is not a folder. */
		if (stat(web->static_dir, &st) != 0)
			rc = vg_config_machine_problem_at(cfg, report, &web->static_dir_at,
							  "web.static_dir", err, err_len,
							  "cannot read '%s'%s: %s",
							  web->static_dir, dflt,
							  strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			rc = vg_config_machine_problem_at(cfg, report, &web->static_dir_at,
							  "web.static_dir", err, err_len,
							  "'%s'%s is a %s, not a directory",
							  web->static_dir, dflt,
							  vg_config_file_type_name(st.st_mode));
		else if (access(web->static_dir, R_OK | X_OK) != 0)
			rc = vg_config_machine_problem_at(cfg, report, &web->static_dir_at,
							  "web.static_dir", err, err_len,
							  "cannot read '%s'%s: %s",
							  web->static_dir, dflt,
							  strerror(errno));
		if (rc != 0)
			return rc;
	}
	return vg_config_check_web_data_dir(cfg, report, err, err_len);
}

/* True when <path>, without trailing slashes, is one of the system's
 * own folders. */
static bool
is_system_folder(const char *path)
{
	static const char *const folders[] = {
		"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/opt",
		"/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp",
		"/usr", "/var",
	};
	size_t len = strlen(path);
	size_t i;

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (i = 0; i < sizeof(folders) / sizeof(folders[0]); i++)
		if (strlen(folders[i]) == len &&
		    strncmp(folders[i], path, len) == 0)
			return true;
	return false;
}

bool
vg_config_web_static_dir_warning(const struct vg_config *cfg, char *text,
				 size_t text_len)
{
	const char *dir = cfg->web.static_dir;
	char real[PATH_MAX];
	bool resolved;

	text[0] = '\0';
	if (dir[0] == '\0')
		return false;
	resolved = realpath(dir, real) != NULL;
	if (is_system_folder(dir))
		vg_config_error_at(cfg, &cfg->web.static_dir_at, "web.static_dir",
				   text, text_len,
				   "'%s' is a system folder; vigil-web serves static files without a login, so give a folder that contains only the web UI",
				   dir);
	else if (resolved && is_system_folder(real))
		vg_config_error_at(cfg, &cfg->web.static_dir_at, "web.static_dir",
				   text, text_len,
				   "'%s' is the system folder '%s'; vigil-web serves static files without a login, so give a folder that contains only the web UI",
				   dir, real);
	else
		return false;
	return true;
}
