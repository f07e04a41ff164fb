/*
 * The check of a vdev string before EAL starts, with EAL's own parser.
 *
 * rte_eal_init() loads the driver plugins of a shared DPDK build from its
 * driver folder (RTE_EAL_PMD_PATH), then parses each --vdev argument with
 * rte_devargs_parse(). A name that starts with no driver's name fails
 * there, and EAL's message names neither the file nor the key. vigild
 * loads the same plugins itself and runs the same parser, so that
 * --check-config and a start name the key instead. EAL's own load later
 * gets the libraries already loaded, with their drivers registered.
 *
 * The plugins are chosen as EAL chooses them (eal_plugins_init() in
 * DPDK's lib/eal/common/eal_common_options.c): only in a shared build,
 * only regular files whose names end in ".so" or ".so." and a version,
 * and none below a world-writable folder. When the drivers EAL would have
 * cannot be known, because a plugin does not load, nothing is rejected,
 * because EAL then fails to start by itself.
 */
/* rte_devargs_reset() is experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_config.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_log.h>
#include <rte_version.h>

#include "capture.h"

enum drivers_state {
	DRIVERS_NOT_LOADED,
	DRIVERS_LINKED,   /* EAL loads no plugin: static build, or no folder */
	DRIVERS_LOADED,   /* the plugins of RTE_EAL_PMD_PATH are loaded */
	DRIVERS_UNKNOWN,  /* a plugin could not be loaded */
};

static enum drivers_state drivers;

/*
 * Returns true when EAL is a shared library, the case in which
 * rte_eal_init() loads the plugins of RTE_EAL_PMD_PATH.
 */
static bool
eal_is_shared(void)
{
	Dl_info info;
	const char *base;

	if (dladdr((void *)rte_eal_init, &info) == 0 ||
	    info.dli_fname == NULL)
		return false;
	base = strrchr(info.dli_fname, '/');
	base = base != NULL ? base + 1 : info.dli_fname;
	return strncmp(base, "librte_eal.so", 13) == 0;
}

/*
 * Returns true for a plugin's file name: one that ends in ".so", or in
 * ".so." and a version such as "23" or "23.0". EAL takes ".so" and ".so."
 * with its own ABI version, so this takes at least the same files.
 */
static bool
is_plugin_name(const char *name)
{
	const char *so = NULL;
	const char *p;

	for (p = strstr(name, ".so"); p != NULL; p = strstr(p + 1, ".so"))
		so = p;
	if (so == NULL || so == name)
		return false;
	if (so[3] == '\0')
		return true;
	if (so[3] != '.' || !isdigit((unsigned char)so[4]))
		return false;
	for (p = so + 4; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return false;
	}
	return true;
}

/*
 * Returns true when neither <path> nor a folder above it is writable by
 * every user. EAL refuses to load a plugin otherwise.
 */
static bool
is_secure_path(const char *path)
{
	char copy[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(copy, sizeof(copy), "%s", path);
	for (;;) {
		if (stat(copy[0] != '\0' ? copy : "/", &st) != 0 ||
		    (st.st_mode & S_IWOTH) != 0)
			return false;
		if (copy[0] == '\0')
			return true;
		slash = strrchr(copy, '/');
		if (slash == NULL)
			return true;
		*slash = '\0';
	}
}

/*
 * Loads the plugin <path> for good, as EAL does, and returns false when it
 * cannot be loaded.
 */
static bool
load_plugin(const char *path)
{
	char *real = realpath(path, NULL);
	bool loaded;

	if (real == NULL)
		return false;
	loaded = is_secure_path(real) && dlopen(real, RTLD_NOW) != NULL;
	free(real);
	return loaded;
}

/* Loads the plugins rte_eal_init() would load, once per process. */
static void
load_drivers(void)
{
	const char *dir = RTE_EAL_PMD_PATH;
	char path[PATH_MAX];
	struct dirent *entry;
	struct stat st;
	DIR *folder;

	if (drivers != DRIVERS_NOT_LOADED)
		return;
	if (!eal_is_shared() || dir[0] == '\0' || stat(dir, &st) != 0 ||
	    !S_ISDIR(st.st_mode)) {
		drivers = DRIVERS_LINKED;
		return;
	}
	folder = opendir(dir);
	if (folder == NULL) {
		drivers = DRIVERS_UNKNOWN;
		return;
	}
	drivers = DRIVERS_LOADED;
	while ((entry = readdir(folder)) != NULL) {
		if (!is_plugin_name(entry->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (!load_plugin(path))
			drivers = DRIVERS_UNKNOWN;
	}
	closedir(folder);
}

/*
 * Parses <device> with rte_devargs_parse() into <da>, with EAL's log
 * muted: the caller reports the failure with the key that gave it.
 */
static int
parse_quietly(struct rte_devargs *da, const char *device)
{
	int level = rte_log_get_level(RTE_LOGTYPE_EAL);
	int rc;

	rte_log_set_level(RTE_LOGTYPE_EAL, RTE_LOG_EMERG);
	rc = rte_devargs_parse(da, device);
	if (level >= 0)
		rte_log_set_level(RTE_LOGTYPE_EAL, (uint32_t)level);
	return rc;
}

int
vg_eal_check_vdev(const char *device, char *problem, size_t len)
{
	size_t name_len = strcspn(device, ",");
	struct rte_devargs da;
	bool has_bus;
	int rc;

	problem[0] = '\0';
	load_drivers();
	if (drivers == DRIVERS_UNKNOWN)
		return 0;
	memset(&da, 0, sizeof(da));
	rc = parse_quietly(&da, device);
	has_bus = da.bus != NULL;
	rte_devargs_reset(&da);
	if (rc == 0 && has_bus)
		return 0;
	if (rc == 0)
		snprintf(problem, len,
			 "'%s' names no bus, and EAL adds a device only on a bus",
			 device);
	else if (rc == -EINVAL && name_len >= RTE_DEV_NAME_MAX_LEN)
		snprintf(problem, len,
			 "the device name in '%s' is %zu bytes, more than the %d that EAL accepts",
			 device, name_len, RTE_DEV_NAME_MAX_LEN - 1);
	else
		snprintf(problem, len,
			 "'%s' matches no driver of %s%s%s; a vdev name starts with the name of a driver, such as net_pcap in net_pcap0",
			 device, rte_version(),
			 drivers == DRIVERS_LOADED ? " in " : "",
			 drivers == DRIVERS_LOADED ? RTE_EAL_PMD_PATH : "");
	return -ENODEV;
}
