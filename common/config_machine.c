/*
 * The configuration's machine checks: how their findings are reported,
 * the check of the folders vigil writes to, and the folders vigild
 * creates at start.
 *
 * vigild creates the missing folders above the files and sockets it
 * writes, as `mkdir -p` would, so a fresh appliance needs no set-up step
 * for /var/lib/vigil or /run/vigil. The loader accepts such a path when
 * the nearest existing parent folder is writable, and `--check-config`
 * notes what a start will create. Checks that depend on this machine are
 * passed through a struct vg_config_report, which makes each one an
 * error (a start), a warning (`--check-config`) or nothing (vigil-web,
 * for vigild's keys).
 *
 * A path in /proc, in /sys or on another file system the kernel provides
 * for its own use is never a place for vigil's files. That holds on every
 * machine, so the loader rejects such a path as an error in every mode
 * but SKIP.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"

/* Counts and emits <text> as a warning, unless machine checks are skipped. */
static void
count_machine_warning(struct vg_config_report *report, const char *text)
{
	if (report->machine == VG_CONFIG_MACHINE_SKIP)
		return;
	report->warnings++;
	if (report->emit != NULL)
		report->emit(report->ctx, VG_CONFIG_WARNING, text);
}

int
vg_config_report_machine(struct vg_config_report *report, const char *text,
			 char *err, size_t err_len)
{
	if (report == NULL || report->machine == VG_CONFIG_MACHINE_ENFORCE) {
		snprintf(err, err_len, "%s", text);
		return -EINVAL;
	}
	count_machine_warning(report, text);
	return 0;
}

void
vg_config_print_finding(void *program, enum vg_config_finding finding,
			const char *text)
{
	fprintf(stderr, "%s: %s: %s\n", (const char *)program,
		finding == VG_CONFIG_WARNING ? "warning" : "note", text);
}

int
vg_config_print_verdict(const char *program, const char *path,
			const struct vg_config_report *report, bool strict)
{
	const char *s = report->warnings == 1 ? "" : "s";

	if (report->warnings == 0) {
		printf("%s: valid\n", path);
		return 0;
	}
	if (strict) {
		fprintf(stderr, "%s: %s: not valid on this machine (%u warning%s, --strict)\n",
			program, path, report->warnings, s);
		return -EINVAL;
	}
	printf("%s: valid, but not on this machine (%u warning%s)\n", path,
	       report->warnings, s);
	return 0;
}

/* Cuts <path> back to its parent folder: "/a/b" to "/a", "a" to ".". */
static void
cut_to_parent(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == NULL)
		strcpy(path, ".");
	else if (slash == path)
		path[1] = '\0';
	else
		*slash = '\0';
}

/* Returns true when <path> is <dir> or lies below it. */
static bool
is_under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	return strncmp(path, dir, len) == 0 &&
	       (path[len] == '\0' || path[len] == '/');
}

/*
 * File systems the kernel provides for its own use, by statfs() f_type
 * (linux/magic.h). Files there are kernel interfaces or cannot be
 * written as ordinary files (hugetlbfs takes only memory mappings).
 */
static const struct {
	unsigned long magic;
	const char *name;
} kernel_file_systems[] = {
	{ PROC_SUPER_MAGIC, "proc" },
	{ SYSFS_MAGIC, "sysfs" },
	{ CGROUP_SUPER_MAGIC, "cgroup" },
	{ CGROUP2_SUPER_MAGIC, "cgroup2" },
	{ DEBUGFS_MAGIC, "debugfs" },
	{ TRACEFS_MAGIC, "tracefs" },
	{ SECURITYFS_MAGIC, "securityfs" },
	{ SELINUX_MAGIC, "selinuxfs" },
	{ SMACK_MAGIC, "smackfs" },
	{ AAFS_MAGIC, "apparmorfs" },
	{ DEVPTS_SUPER_MAGIC, "devpts" },
	{ BPF_FS_MAGIC, "bpf" },
	{ PSTOREFS_MAGIC, "pstore" },
	{ EFIVARFS_MAGIC, "efivarfs" },
	{ BINFMTFS_MAGIC, "binfmt_misc" },
	{ HUGETLBFS_MAGIC, "hugetlbfs" },
	{ NSFS_MAGIC, "nsfs" },
	{ RDTGROUP_SUPER_MAGIC, "resctrl" },
	{ OPENPROM_SUPER_MAGIC, "openpromfs" },
	{ USBDEVICE_SUPER_MAGIC, "usbfs" },
};

int
vg_config_check_kernel_fs(const char *path, char *problem,
			  size_t problem_len)
{
	static const char *const trees[] = { "/proc", "/sys" };
	char existing[VG_PATH_MAX];
	char resolved[PATH_MAX];
	const char *where;
	struct statfs fs;
	struct stat st;
	size_t i;

	/* A missing path would be created below its nearest existing parent. */
	snprintf(existing, sizeof(existing), "%s", path);
	while (access(existing, F_OK) != 0 && strcmp(existing, "/") != 0 &&
	       strcmp(existing, ".") != 0)
		cut_to_parent(existing);
	where = realpath(existing, resolved) != NULL ? resolved : existing;
	for (i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		if (!is_under(where, trees[i]))
			continue;
		if (is_under(path, trees[i]))
			snprintf(problem, problem_len,
				 "'%s' is under %s, which is not for ordinary files; choose a path on a disk or tmpfs",
				 path, trees[i]);
		else
			snprintf(problem, problem_len,
				 "'%s' leads to '%s', under %s, which is not for ordinary files; choose a path on a disk or tmpfs",
				 path, where, trees[i]);
		return -1;
	}
	if (statfs(where, &fs) == 0) {
		for (i = 0; i < sizeof(kernel_file_systems) /
					sizeof(kernel_file_systems[0]);
		     i++) {
			if ((unsigned long)fs.f_type !=
			    kernel_file_systems[i].magic)
				continue;
			snprintf(problem, problem_len,
				 "'%s' is on a %s file system ('%s'), which is not for ordinary files; choose a path on a disk or tmpfs",
				 path, kernel_file_systems[i].name, where);
			return -1;
		}
	}
	/*
	 * /dev is devtmpfs, which reports the f_type of tmpfs, so it is found
	 * by its path. Device files and FIFOs there follow the callers' file
	 * type rules, so /dev/null still takes records. A new or regular file
	 * or a folder is rejected, because it would sit among the device
	 * nodes. /dev/shm is an ordinary tmpfs and is allowed.
	 */
	if (is_under(where, "/dev") && !is_under(where, "/dev/shm") &&
	    (stat(path, &st) != 0 || S_ISREG(st.st_mode) ||
	     S_ISDIR(st.st_mode))) {
		snprintf(problem, problem_len,
			 "'%s' is under /dev, which holds device files; choose a path on a disk or tmpfs",
			 path);
		return -1;
	}
	return 0;
}

const char *
vg_config_file_type_name(mode_t mode)
{
	if (S_ISREG(mode))
		return "regular file";
	if (S_ISDIR(mode))
		return "directory";
	if (S_ISBLK(mode))
		return "block device";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISFIFO(mode))
		return "FIFO";
	if (S_ISSOCK(mode))
		return "socket";
	return "special file";
}

/*
 * Returns false when the file at <path> starts with anything but the 16
 * bytes of an SQLite 3 database header; true when it does, or when it
 * cannot be read (the start then names that problem).
 */
static bool
has_sqlite_header(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[sizeof(magic)];
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return true;
	got = read(fd, head, sizeof(head));
	close(fd);
	if (got < 0)
		return true;
	return got == (ssize_t)sizeof(head) &&
	       memcmp(head, magic, sizeof(magic)) == 0;
}

int
vg_config_check_output_path(const char *path, enum vg_output_kind kind,
			    char *problem, size_t problem_len)
{
	struct stat st;

	if (vg_config_check_kernel_fs(path, problem, problem_len) != 0)
		return -1;
	if (stat(path, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode)) {
		if (kind == VG_OUTPUT_DATABASE && st.st_size > 0 &&
		    !has_sqlite_header(path)) {
			snprintf(problem, problem_len,
				 "'%s' is not an SQLite database (its first 16 bytes are not the SQLite header); move it away, and vigild creates a new one",
				 path);
			return 1;
		}
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(problem, problem_len,
			 "'%s' is a directory; give a file name", path);
		return 1;
	}
	if (kind == VG_OUTPUT_SOCKET)
		return 0;
	/* Character device 1:3 is /dev/null, under any name. */
	if (kind == VG_OUTPUT_RECORDS &&
	    (S_ISFIFO(st.st_mode) ||
	     (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))))
		return 0;
	snprintf(problem, problem_len, "'%s' is a %s; give %s", path,
		 vg_config_file_type_name(st.st_mode),
		 kind == VG_OUTPUT_RECORDS ?
			 "a regular file, a FIFO or /dev/null" :
			 "a regular file");
	return -1;
}

int
vg_config_probe_folder(const char *dir, const char *label, char *problem,
		       size_t problem_len)
{
	char parent[VG_PATH_MAX];
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			snprintf(problem, problem_len, "'%s'%s is not a directory",
				 dir, label);
			return -1;
		}
		if (access(dir, W_OK | X_OK) != 0) {
			snprintf(problem, problem_len,
				 "directory '%s'%s is not writable: %s", dir,
				 label, strerror(errno));
			return -1;
		}
		return 0;
	}
	/* ENOTDIR: a file is on the way, which the walk below names. */
	if (errno != ENOENT && errno != ENOTDIR) {
		snprintf(problem, problem_len, "cannot read '%s'%s: %s", dir,
			 label, strerror(errno));
		return -1;
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	for (;;) {
		cut_to_parent(parent);
		if (stat(parent, &st) == 0)
			break;
		if ((errno != ENOENT && errno != ENOTDIR) ||
		    strcmp(parent, ".") == 0 ||
		    strcmp(parent, "/") == 0) {
			snprintf(problem, problem_len,
				 "cannot create '%s'%s: '%s': %s", dir, label,
				 parent, strerror(errno));
			return -1;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(problem, problem_len,
			 "cannot create '%s'%s: '%s' is not a directory", dir,
			 label, parent);
		return -1;
	}
	if (access(parent, W_OK | X_OK) != 0) {
		snprintf(problem, problem_len,
			 "cannot create '%s'%s: directory '%s' is not writable: %s",
			 dir, label, parent, strerror(errno));
		return -1;
	}
	return 1;
}

/*
 * Creates the missing folders above the file <path>, named by <key> in
 * messages. Returns 0, or -errno with the failed mkdir() in <err>.
 */
static int
make_parents(const char *key, const char *path, char *err, size_t err_len)
{
	char dir[VG_PATH_MAX];
	char *slash;
	struct stat st;

	if (path[0] == '\0')
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	cut_to_parent(dir);
	if (stat(dir, &st) == 0)
		return 0;
	/* Each level from the top, as `mkdir -p` does. */
	for (slash = strchr(dir + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash != NULL)
			*slash = '\0';
		if (mkdir(dir, 0755) == 0) {
			VG_INFO("engine", "created directory=%s for %s", dir, key);
		} else if (errno != EEXIST) {
			int rc = -errno;

			snprintf(err, err_len, "%s: mkdir(%s) failed: %s", key,
				 dir, strerror(errno));
			return rc;
		}
		if (slash == NULL)
			return 0;
		*slash = '/';
	}
}

int
vg_config_make_folders(const struct vg_config *cfg, char *err,
		       size_t err_len)
{
	const struct {
		const char *key;
		const char *path;
	} outputs[] = {
		{ "flows.output", cfg->flow_output },
		{ "plugins.alerts_output", cfg->alerts_output },
		{ "control.socket", cfg->control_socket },
		{ "web.vigild_socket", cfg->web.vigild_socket },
		{ "alerts.database", cfg->alerts.database },
	};
	unsigned int i;
	int rc;

	for (i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
		rc = make_parents(outputs[i].key, outputs[i].path, err,
				  err_len);
		if (rc != 0)
			return rc;
	}
	for (i = 0; i < cfg->alerts.endpoint_count; i++) {
		char key[64];

		snprintf(key, sizeof(key), "alerts.endpoints[%u].path", i);
		rc = make_parents(key, cfg->alerts.endpoints[i].path, err,
				  err_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- free hugepages ---- */

/* Adds <free_pages> pages of <page_kb> kB to <hp>, keeping the sizes sorted. */
static void
add_hugepage_size(struct vg_hugepages_free *hp, uint64_t page_kb,
		  uint64_t free_pages)
{
	unsigned int i;

	if (hp->size_count == VG_HUGEPAGE_SIZES)
		return;
	for (i = hp->size_count; i > 0 && hp->sizes[i - 1].page_kb > page_kb;
	     i--)
		hp->sizes[i] = hp->sizes[i - 1];
	hp->sizes[i].page_kb = page_kb;
	hp->sizes[i].free_pages = free_pages;
	hp->size_count++;
	hp->bytes += free_pages * page_kb * 1024;
}

/* Reads the one unsigned number in the file <path> into <value>. */
static int
read_count(const char *path, uint64_t *value, char *problem,
	   size_t problem_len)
{
	unsigned long long n;
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		rc = -errno;
		snprintf(problem, problem_len, "cannot read %s: %s", path,
			 strerror(errno));
		return rc;
	}
	rc = fscanf(f, "%llu", &n);
	fclose(f);
	if (rc != 1) {
		snprintf(problem, problem_len, "%s does not hold a number",
			 path);
		return -EINVAL;
	}
	*value = n;
	return 0;
}

/* Reads the default page size's free hugepages from /proc/meminfo. */
static int
read_meminfo(const char *procfs, struct vg_hugepages_free *hp, char *problem,
	     size_t problem_len)
{
	unsigned long long free_pages = 0;
	unsigned long long page_kb = 0;
	bool have_free = false;
	bool have_size = false;
	char path[VG_PATH_MAX];
	char line[256];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/meminfo", procfs);
	f = fopen(path, "r");
	if (f == NULL) {
		rc = -errno;
		snprintf(problem, problem_len, "cannot read %s: %s", path,
			 strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Free: %llu", &free_pages) == 1)
			have_free = true;
		else if (sscanf(line, "Hugepagesize: %llu kB", &page_kb) == 1)
			have_size = true;
	}
	fclose(f);
	if (!have_free || !have_size || page_kb == 0) {
		snprintf(problem, problem_len,
			 "%s has no HugePages_Free and Hugepagesize lines, so this kernel has no hugepages",
			 path);
		return -ENOENT;
	}
	add_hugepage_size(hp, page_kb, free_pages);
	return 0;
}

int
vg_hugepages_read_free(const char *sysfs, const char *procfs,
		       struct vg_hugepages_free *hp, char *problem,
		       size_t problem_len)
{
	char dir_path[VG_PATH_MAX];
	char path[VG_PATH_MAX + 300];
	struct dirent *entry;
	DIR *dir;
	int rc = 0;

	memset(hp, 0, sizeof(*hp));
	snprintf(dir_path, sizeof(dir_path), "%s/kernel/mm/hugepages", sysfs);
	dir = opendir(dir_path);
	if (dir == NULL)
		return read_meminfo(procfs, hp, problem, problem_len);
	while (rc == 0 && (entry = readdir(dir)) != NULL) {
		unsigned long long page_kb;
		uint64_t free_pages = 0;
		char unit[3];

		/* One folder per page size: hugepages-2048kB, hugepages-1048576kB. */
		if (sscanf(entry->d_name, "hugepages-%llu%2s", &page_kb,
			   unit) != 2 || strcmp(unit, "kB") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/free_hugepages", dir_path,
			 entry->d_name);
		rc = read_count(path, &free_pages, problem, problem_len);
		if (rc == 0)
			add_hugepage_size(hp, page_kb, free_pages);
	}
	closedir(dir);
	return rc;
}

/* Formats "N pages of S MiB, ..." for the sizes of <hp> into <text>. */
static void
format_hugepage_sizes(const struct vg_hugepages_free *hp, char *text,
		      size_t len)
{
	size_t used = 0;
	unsigned int i;

	text[0] = '\0';
	for (i = 0; i < hp->size_count && used < len; i++) {
		uint64_t kb = hp->sizes[i].page_kb;

		if (kb % 1024 == 0)
			used += (size_t)snprintf(text + used, len - used,
						 "%s%llu pages of %llu MiB",
						 i > 0 ? ", " : "",
						 (unsigned long long)hp->sizes[i].free_pages,
						 (unsigned long long)kb / 1024);
		else
			used += (size_t)snprintf(text + used, len - used,
						 "%s%llu pages of %llu kB",
						 i > 0 ? ", " : "",
						 (unsigned long long)hp->sizes[i].free_pages,
						 (unsigned long long)kb);
	}
}

int
vg_config_check_hugepages(const struct vg_config *cfg, const char *sysfs,
			  const char *procfs, struct vg_config_report *report,
			  char *err, size_t err_len)
{
	static const struct vg_config_mark nowhere = { 0, 0 };
	const struct vg_config_mark *at = &cfg->memory_mb_at;
	struct vg_hugepages_free hp;
	char problem[VG_PATH_MAX + 400];
	char sizes[256];
	uint64_t need = (uint64_t)cfg->memory_mb << 20;

	err[0] = '\0';
	if (!cfg->hugepages)
		return 0;
	if (at->line == 0)
		at = cfg->hugepages_at.line > 0 ? &cfg->hugepages_at : &nowhere;
	if (vg_hugepages_read_free(sysfs, procfs, &hp, problem,
				   sizeof(problem)) != 0)
		return vg_config_machine_problem_at(cfg, report, at,
						    "memory.size_mb", err, err_len,
						    "cannot count the free hugepages that EAL would reserve %u MiB of: %s",
						    cfg->memory_mb, problem);
	/*
	 * NOTE: the free pages of all NUMA nodes are added up and a hugetlb
	 * cgroup limit is not read, so a start can pass this check and still
	 * fail in rte_eal_init() when EAL cannot use some of the pages.
	 */
	if (hp.bytes >= need)
		return 0;
	if (hp.size_count == 0)
		snprintf(sizes, sizeof(sizes), "no hugepage size");
	else
		format_hugepage_sizes(&hp, sizes, sizeof(sizes));
	return vg_config_machine_problem_at(cfg, report, at, "memory.size_mb",
					    err, err_len,
					    "EAL reserves %u MiB of hugepages%s at start, but this machine has %llu MiB free (%s); reserve more hugepages (vigil-hugepages reserve) or lower memory.size_mb",
					    cfg->memory_mb,
					    cfg->memory_mb_at.line > 0 ? "" : " (the default size_mb)",
					    (unsigned long long)(hp.bytes >> 20), sizes);
}

/* ---- system memory ---- */

/* Limits on vigild's memory, from /proc/meminfo and the cgroup. */
struct memory_limits {
	uint64_t total;     /* MemTotal, in bytes */
	uint64_t available; /* MemAvailable, in bytes */
	uint64_t hugetlb;   /* memory in hugepages, part of MemTotal */
	uint64_t cgroup;    /* smallest cgroup limit, UINT64_MAX for none */
	char cgroup_dir[2 * VG_PATH_MAX]; /* the folder of that limit */
	const char *cgroup_file; /* its file: memory.max, memory.limit_in_bytes */
};

/*
 * Reads MemTotal, MemAvailable and the memory in hugepages, in bytes,
 * from <procfs>/meminfo. The hugepages are the Hugetlb line (all page
 * sizes, Linux 4.16 and later), else HugePages_Total of the default
 * size. Returns 0, or -1 when the file cannot be read or lacks MemTotal
 * or MemAvailable (MemAvailable came with Linux 3.14).
 */
static int
read_memory(const char *procfs, struct memory_limits *m)
{
	unsigned long long kb;
	unsigned long long pages = 0;
	unsigned long long page_kb = 0;
	bool have_total = false;
	bool have_available = false;
	bool have_hugetlb = false;
	char path[VG_PATH_MAX];
	char line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/meminfo", procfs);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) {
			m->total = (uint64_t)kb * 1024;
			have_total = true;
		} else if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
			m->available = (uint64_t)kb * 1024;
			have_available = true;
		} else if (sscanf(line, "Hugetlb: %llu kB", &kb) == 1) {
			m->hugetlb = (uint64_t)kb * 1024;
			have_hugetlb = true;
		} else if (sscanf(line, "HugePages_Total: %llu", &kb) == 1) {
			pages = kb;
		} else if (sscanf(line, "Hugepagesize: %llu kB", &kb) == 1) {
			page_kb = kb;
		}
	}
	fclose(f);
	if (!have_hugetlb)
		m->hugetlb = (uint64_t)pages * page_kb * 1024;
	if (m->hugetlb > m->total)
		m->hugetlb = m->total;
	return have_total && have_available ? 0 : -1;
}

/*
 * Reads into <path> this process's path in one cgroup hierarchy, from
 * <procfs>/self/cgroup. <controller> NULL reads the v2 line ("0::/..."),
 * else the v1 line whose controller list names it ("4:memory:/...").
 * Returns 0, or -1 when there is none or it is longer than <path_len>.
 */
static int
read_cgroup_path(const char *procfs, const char *controller, char *path,
		 size_t path_len)
{
	char file[VG_PATH_MAX];
	char line[VG_PATH_MAX + 64];
	size_t controller_len = controller != NULL ? strlen(controller) : 0;
	int rc = -1;
	FILE *f;

	snprintf(file, sizeof(file), "%s/self/cgroup", procfs);
	f = fopen(file, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *list = strchr(line, ':');
		char *rel = list != NULL ? strchr(list + 1, ':') : NULL;
		size_t len;

		if (rel == NULL || rel[1] != '/')
			continue;
		if (controller == NULL) {
			if (strncmp(line, "0::", 3) != 0)
				continue;
		} else {
			const char *at = list + 1;
			bool named = false;

			while (at < rel && !named) {
				size_t item_len = strcspn(at, ",:");

				named = item_len == controller_len &&
					strncmp(at, controller,
						controller_len) == 0;
				at += item_len + 1;
			}
			if (!named)
				continue;
		}
		len = strcspn(rel + 1, "\n");
		if (len < path_len) {
			memcpy(path, rel + 1, len);
			path[len] = '\0';
			rc = 0;
		}
		break;
	}
	fclose(f);
	return rc;
}

/*
 * Lowers m->cgroup to the smallest limit in the file <name> of the cgroup
 * <rel> and its parents, in the hierarchy mounted at <root>. A missing
 * file (the root cgroup has none) or "max" is no limit.
 */
static void
walk_cgroup_limits(const char *root, char *rel, const char *name,
		   struct memory_limits *m)
{
	char dir[2 * VG_PATH_MAX];
	char file[2 * VG_PATH_MAX + 32];
	char text[32];
	unsigned long long limit;
	FILE *f;

	for (;;) {
		snprintf(dir, sizeof(dir), "%s%s", root,
			 strcmp(rel, "/") == 0 ? "" : rel);
		snprintf(file, sizeof(file), "%s/%s", dir, name);
		f = fopen(file, "r");
		if (f != NULL) {
			if (fgets(text, sizeof(text), f) != NULL &&
			    sscanf(text, "%llu", &limit) == 1 &&
			    limit < m->cgroup) {
				m->cgroup = limit;
				snprintf(m->cgroup_dir, sizeof(m->cgroup_dir),
					 "%s", dir);
				m->cgroup_file = name;
			}
			fclose(f);
		}
		if (strcmp(rel, "/") == 0)
			return;
		cut_to_parent(rel);
	}
}

/*
 * Finds the smallest memory limit of this process's cgroup and its
 * parents under <sysfs>/fs/cgroup, because each of them limits vigild.
 * cgroup v2 keeps it in memory.max, mounted there or, on a hybrid machine,
 * at unified/. cgroup v1 keeps it in memory.limit_in_bytes under memory/.
 * Both are read, because a hybrid machine can have the memory controller
 * in either. No limit leaves m->cgroup at UINT64_MAX. v1 writes "no
 * limit" as a number near 2^63, which the caller treats like any limit
 * above MemTotal. In a container with its own cgroup namespace the
 * path is "/", and the container's own limit is at the top.
 */
static void
read_cgroup_limit(const char *sysfs, const char *procfs,
		  struct memory_limits *m)
{
	char rel[VG_PATH_MAX];
	char root[VG_PATH_MAX + 32];
	char probe[VG_PATH_MAX + 64];

	m->cgroup = UINT64_MAX;
	if (read_cgroup_path(procfs, NULL, rel, sizeof(rel)) == 0) {
		snprintf(probe, sizeof(probe),
			 "%s/fs/cgroup/unified/cgroup.controllers", sysfs);
		snprintf(root, sizeof(root), "%s/fs/cgroup%s", sysfs,
			 access(probe, F_OK) == 0 ? "/unified" : "");
		walk_cgroup_limits(root, rel, "memory.max", m);
	}
	if (read_cgroup_path(procfs, "memory", rel, sizeof(rel)) == 0) {
		snprintf(root, sizeof(root), "%s/fs/cgroup/memory", sysfs);
		walk_cgroup_limits(root, rel, "memory.limit_in_bytes", m);
	}
}

/* Formats the parts of <need> that count against the system memory. */
static void
format_memory_parts(const struct vg_config *cfg,
		    const struct vg_memory_need *need, char *text, size_t len)
{
	unsigned int n = cfg->engine_lcore_count;
	unsigned long long tables_mb = (need->tables + (1u << 20) - 1) >> 20;

	if (cfg->hugepages)
		snprintf(text, len,
			 "tables of %u engine lcore%s (flows, nDPI states, hosts) %llu MiB; EAL memory is in hugepages",
			 n, n == 1 ? "" : "s", tables_mb);
	else
		snprintf(text, len,
			 "EAL memory (memory.size_mb) %llu MiB, tables of %u engine lcore%s (flows, nDPI states, hosts) %llu MiB",
			 (unsigned long long)(need->eal >> 20), n,
			 n == 1 ? "" : "s", tables_mb);
}

int
vg_config_check_memory(const struct vg_config *cfg, const char *sysfs,
		       const char *procfs, const struct vg_memory_need *need,
		       struct vg_config_report *report, char *err,
		       size_t err_len)
{
	static const struct vg_config_mark nowhere = { 0, 0 };
	const struct vg_config_mark *at = &cfg->memory_mb_at;
	const char *key = "memory.size_mb";
	const char *fix = "lower memory.size_mb and memory.mbufs";
	const char *outside = cfg->hugepages ? " outside hugepages" : "";
	struct memory_limits m = { 0 };
	uint64_t sum = need->tables;
	uint64_t normal;
	unsigned long long sum_mb;
	char parts[256];
	char text[4 * VG_PATH_MAX];

	err[0] = '\0';
	if (read_memory(procfs, &m) != 0)
		return 0;
	read_cgroup_limit(sysfs, procfs, &m);
	/* Hugepages are not charged to memory.max, so only the tables are. */
	if (!cfg->hugepages)
		sum += need->eal;
	normal = m.total - m.hugetlb;
	if (sum <= normal && sum <= m.cgroup && sum <= m.available)
		return 0;
	if (cfg->hugepages || need->tables > need->eal) {
		at = &cfg->flow_table_size_at;
		key = "flows.table_size";
		fix = "lower flows.table_size or use fewer engine lcores";
	}
	if (at->line == 0)
		at = &nowhere;
	format_memory_parts(cfg, need, parts, sizeof(parts));
	sum_mb = (sum + (1u << 20) - 1) >> 20;
	if (sum > m.cgroup && m.cgroup <= normal)
		return vg_config_machine_problem_at(cfg, report, at, key, err,
						    err_len,
						    "vigild needs %llu MiB of memory%s (%s), more than the %llu MiB its cgroup may use (%s in %s); %s, or raise that %s (MemoryMax= of a systemd unit)",
						    sum_mb, outside, parts,
						    (unsigned long long)(m.cgroup >> 20),
						    m.cgroup_file, m.cgroup_dir, fix,
						    m.cgroup_file);
	if (sum > normal && m.hugetlb == 0)
		return vg_config_machine_problem_at(cfg, report, at, key, err,
						    err_len,
						    "vigild needs %llu MiB of memory%s (%s), more than the %llu MiB this machine has (MemTotal in %s/meminfo); %s",
						    sum_mb, outside, parts,
						    (unsigned long long)(m.total >> 20),
						    procfs, fix);
	if (sum > normal)
		return vg_config_machine_problem_at(cfg, report, at, key, err,
						    err_len,
						    "vigild needs %llu MiB of memory%s (%s), more than the %llu MiB this machine has outside its hugepages (MemTotal %llu MiB less %llu MiB of hugepages in %s/meminfo); %s, or reserve fewer hugepages",
						    sum_mb, outside, parts,
						    (unsigned long long)(normal >> 20),
						    (unsigned long long)(m.total >> 20),
						    (unsigned long long)(m.hugetlb >> 20),
						    procfs, fix);
	vg_config_error_at(cfg, at, key, text, sizeof(text),
			   "vigild needs %llu MiB of memory%s (%s), more than the %llu MiB available now (MemAvailable in %s/meminfo), so the start may fail or the kernel may kill vigild; %s, or free memory",
			   sum_mb, outside, parts,
			   (unsigned long long)(m.available >> 20), procfs, fix);
	if (report == NULL || report->machine == VG_CONFIG_MACHINE_ENFORCE) {
		VG_WARN("config", "%s", text);
		return 0;
	}
	count_machine_warning(report, text);
	return 0;
}
