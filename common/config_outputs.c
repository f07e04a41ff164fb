/*
 * Outputs that are one file (see vg_config_check_output_clashes()).
 *
 * Two keys naming one file break vigild at start or, worse, once it runs:
 * flow records written into the SQLite database or over the YAML file,
 * two sockets bound at one path. A path that exists is compared by
 * device and inode, which also matches through symbolic and hard links. A path
 * that does not exist yet is compared by the real path of its folder
 * (or of the nearest folder above it that exists) and its name, so
 * "/var/lib/vigil/../vigil/f" and "/var/lib/vigil/f" are one file too.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/config.h"

/* Outputs, capture files and the configuration file, as compared. */
#define MAX_PATHS (8 + VG_ALERT_MAX_ENDPOINTS + VG_MAX_PORTS)

/* One path and the key (or option) that gave it. */
struct named_path {
	char key[64];
	const char *path;
	const struct vg_config_mark *at; /* NULL: a command-line option */
	bool output;                     /* vigild writes it */
};

struct path_list {
	struct named_path items[MAX_PATHS];
	unsigned int count;
};

static const struct vg_config_mark nowhere = { 0, 0 };

struct vg_config_mark *
vg_config_output_mark(struct vg_config *cfg, const char *member)
{
	unsigned int i;

	if (member == cfg->flow_output)
		return &cfg->flow_output_at;
	if (member == cfg->alerts_output)
		return &cfg->alerts_output_at;
	if (member == cfg->control_socket)
		return &cfg->control_socket_at;
	if (member == cfg->web.vigild_socket)
		return &cfg->vigild_socket_at;
	if (member == cfg->alerts.database)
		return &cfg->database_at;
	for (i = 0; i < VG_ALERT_MAX_ENDPOINTS; i++) {
		if (member == cfg->alerts.endpoints[i].path)
			return &cfg->endpoint_path_at[i];
	}
	return NULL;
}

/*
 * Writes into <out> the real path of the folder of <path>, or of the
 * nearest folder above it that exists, followed by the rest of <path>.
 * NOTE: ".." after a folder that does not exist yet stays as written, so
 * "a/new/../f" and "a/f" are taken as two files until "a/new" exists.
 */
static void
canonical_path(const char *path, char *out, size_t len)
{
	char dir[VG_PATH_MAX];
	char real[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *name = slash != NULL ? slash + 1 : path;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);

	if (realpath(dir, real) != NULL) {
		snprintf(out, len, "%s/%s", strcmp(real, "/") == 0 ? "" : real,
			 name);
		return;
	}
	if (strcmp(dir, path) == 0 || strcmp(dir, ".") == 0 ||
	    strcmp(dir, "/") == 0) {
		snprintf(out, len, "%s", path);
		return;
	}
	canonical_path(dir, real, sizeof(real));
	snprintf(out, len, "%s/%s", real, name);
}

/* Returns true when <a> and <b> name one file, or one file to be. */
static bool
same_file(const char *a, const char *b)
{
	char ca[VG_PATH_MAX + 256];
	char cb[VG_PATH_MAX + 256];
	struct stat sa, sb;
	bool a_exists = stat(a, &sa) == 0;
	bool b_exists = stat(b, &sb) == 0;

	if (a_exists && b_exists)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (a_exists != b_exists)
		return false;
	canonical_path(a, ca, sizeof(ca));
	canonical_path(b, cb, sizeof(cb));
	return strcmp(ca, cb) == 0;
}

/* Returns true for a character device such as /dev/null, which several
 * outputs may share because what is written there is dropped. */
static bool
is_char_device(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

static void
add(struct path_list *list, const char *key, const char *option,
    const char *path, const struct vg_config_mark *at, bool output)
{
	struct named_path *p;

	if (path == NULL || path[0] == '\0' || list->count == MAX_PATHS)
		return;
	p = &list->items[list->count++];
	snprintf(p->key, sizeof(p->key), "%s", option != NULL ? option : key);
	p->path = path;
	p->at = option != NULL ? NULL : at;
	p->output = output;
}

/* NOTE: only the first rx_pcap= file of a vdev port is compared. */
static void
add_capture_files(const struct vg_config *cfg, struct path_list *list)
{
	static char vdev_files[VG_MAX_PORTS][VG_PATH_MAX];
	unsigned int i;
	char key[64];

	for (i = 0; i < cfg->port_count; i++) {
		const struct vg_port_config *port = &cfg->ports[i];
		bool from_option = cfg->path[0] == '\0';

		if (port->kind == VG_PORT_PCAP) {
			snprintf(key, sizeof(key), "capture.ports[%u].pcap", i);
			add(list, key, from_option ? "--pcap" : NULL,
			    port->source, &port->at, false);
		} else if (port->kind == VG_PORT_VDEV &&
			   vg_config_vdev_rx_pcap(port->source, 0, vdev_files[i],
						  sizeof(vdev_files[i])) == 1) {
			snprintf(key, sizeof(key), "capture.ports[%u].vdev", i);
			add(list, key, NULL, vdev_files[i], &port->at, false);
		}
	}
}

/* Fills <list> with every path to compare, outputs first. */
static void
collect_paths(const struct vg_config *cfg, struct path_list *list)
{
	unsigned int i;
	char key[64];

	list->count = 0;
	add(list, "flows.output", cfg->flow_output_option, cfg->flow_output,
	    &cfg->flow_output_at, true);
	add(list, "plugins.alerts_output", cfg->alerts_output_option,
	    cfg->alerts_output, &cfg->alerts_output_at, true);
	for (i = 0; i < cfg->alerts.endpoint_count; i++) {
		if (cfg->alerts.endpoints[i].kind != VG_ENDPOINT_FILE)
			continue;
		snprintf(key, sizeof(key), "alerts.endpoints[%u].path", i);
		add(list, key, NULL, cfg->alerts.endpoints[i].path,
		    &cfg->endpoint_path_at[i], true);
	}
	add(list, "alerts.database", NULL, cfg->alerts.database,
	    &cfg->database_at, true);
	add(list, "control.socket", cfg->control_socket_option,
	    cfg->control_socket, &cfg->control_socket_at, true);
	add(list, "web.vigild_socket", NULL, cfg->web.vigild_socket,
	    &cfg->vigild_socket_at, true);
	add(list, "--stats", "--stats", cfg->stats_path, NULL, true);
	add_capture_files(cfg, list);
}

/* Writes where <p> was given: "KEY (FILE:LINE:COL)" or the option. */
static void
describe(const struct vg_config *cfg, const struct named_path *p, char *out,
	 size_t len)
{
	if (p->at != NULL && p->at->line > 0 && cfg->path[0] != '\0')
		snprintf(out, len, "%s (%s:%u:%u)", p->key, cfg->path,
			 p->at->line, p->at->column);
	else
		snprintf(out, len, "%s", p->key);
}

static int
report_clash(const struct vg_config *cfg, const struct named_path *later,
	     const struct named_path *earlier, char *err, size_t err_len)
{
	char other[128 + VG_PATH_MAX];

	describe(cfg, earlier, other, sizeof(other));
	if (!earlier->output)
		return vg_config_error_at(cfg, later->at ? later->at : &nowhere,
					  later->key, err, err_len,
					  "'%s' is the capture file of %s; vigild would write over it, so give another file",
					  later->path, other);
	return vg_config_error_at(cfg, later->at ? later->at : &nowhere,
				  later->key, err, err_len,
				  "'%s' is also %s; give each output a file of its own",
				  later->path, other);
}

int
vg_config_check_output_clashes(const struct vg_config *cfg, char *err,
			       size_t err_len)
{
	static struct path_list list;
	unsigned int i, j;

	collect_paths(cfg, &list);
	for (i = 0; i < list.count; i++) {
		const struct named_path *p = &list.items[i];

		if (!p->output)
			continue;
		if (cfg->path[0] != '\0' && same_file(p->path, cfg->path))
			return vg_config_error_at(cfg, p->at ? p->at : &nowhere,
						  p->key, err, err_len,
						  "'%s' is the configuration file itself; vigild would write over it, so give another file",
						  p->path);
		if (is_char_device(p->path))
			continue;
		for (j = 0; j < list.count; j++) {
			const struct named_path *q = &list.items[j];

			/* Each pair once; a capture file against every output. */
			if (j == i || (q->output && j > i))
				continue;
			if (same_file(p->path, q->path))
				return report_clash(cfg, p, q, err, err_len);
		}
	}
	return 0;
}
