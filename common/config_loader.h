/*
 * Internal to the configuration loader: the loader state, the schema
 * tables and the value helpers that common/config.c and the files of
 * each section (common/config_*.c) share. Nothing outside those files
 * includes it.
 */
#ifndef VG_COMMON_CONFIG_LOADER_H
#define VG_COMMON_CONFIG_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "common/config.h"

#define MAX_TIMEOUT 315360000 /* ten years, in seconds */
#define MAX_CPU 1023
#define KEY_PATH_MAX 256
#define MAX_FILE_BYTES (16u << 20)
#define MAX_FLOW_DEPTH 64

struct loader {
	const char *name;      /* file name used in messages */
	yaml_document_t *doc;
	struct vg_config *cfg;
	char path[KEY_PATH_MAX]; /* "flows.idle_timeout.tcp" */
	char *err;
	size_t err_len;
	struct vg_config_report *report; /* NULL: machine checks are errors */
	yaml_node_t *plugins;  /* the plugins: mapping, NULL when absent */
	yaml_node_t *sandbox_user; /* plugins.user's value, NULL when absent */
	bool plugin_dirs_given;
};

typedef int (*key_handler)(struct loader *ld, yaml_node_t *node, void *arg);

struct key_spec {
	const char *key;
	key_handler handler;
	void *arg;
};

#define CFG_OFFSET(member) ((void *)offsetof(struct vg_config, member))

struct uint_field {
	size_t offset;     /* into struct vg_config */
	size_t width;      /* 2 or 4 bytes */
	unsigned long long min;
	unsigned long long max;
};

#define UINT_FIELD(name, member, lo, hi)                                    \
	static struct uint_field name = {                                   \
		offsetof(struct vg_config, member),                         \
		sizeof(((struct vg_config *)0)->member), (lo), (hi)         \
	}

struct output_field {
	size_t offset;             /* the path, in struct vg_config */
	enum vg_output_kind kind;
};

#define OUTPUT_FIELD(name, member, output_kind)                             \
	static const struct output_field name = {                           \
		offsetof(struct vg_config, member), (output_kind)            \
	}

/* Value helpers, in common/config.c. */

__attribute__((format(printf, 3, 4))) int
cfg_fail(struct loader *ld, const yaml_node_t *node, const char *fmt, ...);

__attribute__((format(printf, 3, 4))) int
cfg_machine_problem(struct loader *ld, const yaml_node_t *node, const char *fmt,
		    ...);

__attribute__((format(printf, 3, 4))) void
cfg_machine_note(struct loader *ld, const yaml_node_t *node, const char *fmt,
		 ...);

const char *cfg_scalar_text(const yaml_node_t *node);

const char *cfg_node_kind(const yaml_node_t *node);

int cfg_get_uint(struct loader *ld, yaml_node_t *node, unsigned long long min,
		 unsigned long long max, unsigned long long *out);

int cfg_get_bool(struct loader *ld, yaml_node_t *node, bool *out);

int cfg_get_string(struct loader *ld, yaml_node_t *node, char *dst,
		   size_t size);

size_t cfg_path_push(struct loader *ld, const char *key, long index);

void cfg_path_pop(struct loader *ld, size_t len);

int cfg_walk_mapping(struct loader *ld, yaml_node_t *node,
		     const struct key_spec *specs, size_t spec_count);

int cfg_walk_sequence(struct loader *ld, yaml_node_t *node, size_t max_items,
		      int (*handler)(struct loader *, yaml_node_t *, size_t));

int cfg_on_uint(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_on_input_file(struct loader *ld, yaml_node_t *node, void *arg);

void cfg_set_mark(struct vg_config_mark *at, const yaml_node_t *node);

int cfg_check_output_folder(struct loader *ld, yaml_node_t *node,
			    const char *path);

int cfg_check_kernel_fs(struct loader *ld, yaml_node_t *node, const char *path);

int cfg_on_output_file(struct loader *ld, yaml_node_t *node, void *arg);

/* Syntax errors, in common/config_syntax.c. */

int cfg_syntax_error(struct loader *ld, const yaml_parser_t *parser,
		     const char *text, size_t text_len);

int cfg_check_flow_depth(struct loader *ld, const char *text, size_t len);

/* The handlers of the top-level sections, and cfg_cpu_count(), in the
 * section files (common/config_*.c). */

long cfg_cpu_count(void);

int cfg_on_capture(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_on_lcores(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_on_memory(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_on_flows(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_on_networks(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_on_ndpi(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_on_control(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_on_plugins(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_apply_bundled_plugins(struct loader *ld);

int cfg_check_sandbox_user(struct loader *ld);

int cfg_on_timeseries(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_on_alerts(struct loader *ld, yaml_node_t *node, void *arg);

int cfg_on_web(struct loader *ld, yaml_node_t *node, void *arg);

#endif
