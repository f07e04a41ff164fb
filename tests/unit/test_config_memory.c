/*
 * System memory: vg_config_check_memory() against meminfo, cgroup and
 * memory.max files the test writes, with the exact messages. The figures
 * in each expected message are worked out here from the test's own
 * numbers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"

#define MIB (1ull << 20)
#define TOTAL_KB 24000000ull     /* MemTotal of the fake meminfo */
#define AVAILABLE_KB 20000000ull /* its MemAvailable */

static struct vg_config cfg;
static char err[4096];
static char dir[64];   /* the test's folder, the fake /proc */
static char nosys[96]; /* a fake /sys that does not exist */
static char proc[96];  /* a fake /proc with self/cgroup, see write_limits() */
static char sys[96];   /* a fake /sys with fs/cgroup */
static char yaml[128]; /* its configuration file */
static char pcap[128]; /* an empty capture file */

static char warning[4096]; /* the last warning emitted */

static void
keep_warning(void *ctx, enum vg_config_finding finding, const char *text)
{
	(void)ctx;
	assert_int_equal(finding, VG_CONFIG_WARNING);
	snprintf(warning, sizeof(warning), "%s", text);
}

static int
make_folder(void **state)
{
	static const unsigned char header[24] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
		0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0,
	};
	char path[128];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-memory.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(yaml, sizeof(yaml), "%s/vigil.yaml", dir);
	snprintf(nosys, sizeof(nosys), "%s/no-sys", dir);
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	snprintf(sys, sizeof(sys), "%s/sys", dir);
	snprintf(pcap, sizeof(pcap), "%s/in.pcap", dir);
	f = fopen(pcap, "wb");
	if (f == NULL)
		return -1;
	fwrite(header, 1, sizeof(header), f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/meminfo", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "MemTotal:       %llu kB\nMemFree:         1000000 kB\nMemAvailable:   %llu kB\nBuffers:          100000 kB\n",
		TOTAL_KB, AVAILABLE_KB);
	fclose(f);
	return 0;
}

static int
remove_folder(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Loads the capture port, then <body>, lines 4 and on of the file. */
static void
load(const char *body)
{
	FILE *f = fopen(yaml, "w");

	assert_non_null(f);
	fprintf(f, "capture:\n  ports:\n    - pcap: %s\n%s", pcap, body);
	fclose(f);
	assert_int_equal(vg_config_load(&cfg, yaml, err, sizeof(err)), 0);
}

/* Returns the parts list of the messages for <need>. */
static const char *
parts(const struct vg_memory_need *need)
{
	static char text[256];

	snprintf(text, sizeof(text),
		 "EAL memory (memory.size_mb) %llu MiB, tables of %u engine lcore%s (flows, nDPI states, hosts) %llu MiB",
		 (unsigned long long)(need->eal / MIB), cfg.engine_lcore_count,
		 cfg.engine_lcore_count == 1 ? "" : "s",
		 (unsigned long long)((need->tables + MIB - 1) / MIB));
	return text;
}

/* Writes <text> to <path>, creating the folders above it. */
static void
write_file(const char *path, const char *text)
{
	char cmd[1100];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Writes <proc_dir>/meminfo: MemTotal, MemAvailable, then the lines <more>. */
static void
write_meminfo(const char *proc_dir, const char *more)
{
	char path[256];
	char text[512];

	snprintf(path, sizeof(path), "%s/meminfo", proc_dir);
	snprintf(text, sizeof(text),
		 "MemTotal:       %llu kB\nMemAvailable:   %llu kB\n%s",
		 TOTAL_KB, AVAILABLE_KB, more);
	write_file(path, text);
}

/*
 * Writes the fake /proc in <proc>: the meminfo of make_folder() plus the
 * lines <more>, and self/cgroup placing vigild in
 * /system.slice/vigild.service. Then writes the memory.max of that
 * cgroup (<leaf>) and of system.slice (<parent>) under <sys>/fs/cgroup.
 */
static void
write_limits(const char *more, const char *leaf, const char *parent)
{
	char path[256];
	char text[512];

	write_meminfo(proc, more);
	snprintf(path, sizeof(path), "%s/self/cgroup", proc);
	write_file(path, "0::/system.slice/vigild.service\n");
	snprintf(path, sizeof(path),
		 "%s/fs/cgroup/system.slice/vigild.service/memory.max", sys);
	snprintf(text, sizeof(text), "%s\n", leaf);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/fs/cgroup/system.slice/memory.max",
		 sys);
	snprintf(text, sizeof(text), "%s\n", parent);
	write_file(path, text);
}

/* Returns the parts list of the messages for <need> with hugepages. */
static const char *
parts_outside_hugepages(const struct vg_memory_need *need)
{
	static char text[256];

	snprintf(text, sizeof(text),
		 "tables of %u engine lcore%s (flows, nDPI states, hosts) %llu MiB; EAL memory is in hugepages",
		 cfg.engine_lcore_count,
		 cfg.engine_lcore_count == 1 ? "" : "s",
		 (unsigned long long)((need->tables + MIB - 1) / MIB));
	return text;
}

static void
test_size_mb_over_total_rejected(void **state)
{
	struct vg_memory_need need = { 1048576ull * MIB, 300 * MIB };
	char expected[4096];
	int rc;

	(void)state;
	load("memory:\n  hugepages: false\n  size_mb: 1048576\n");
	rc = vg_config_check_memory(&cfg, nosys, dir, &need, NULL, err,
				    sizeof(err));
	snprintf(expected, sizeof(expected),
		 "%s:6:12: memory.size_mb: vigild needs %llu MiB of memory (%s), more than the %llu MiB this machine has (MemTotal in %s/meminfo); lower memory.size_mb and memory.mbufs",
		 yaml, 1048576ull + 300, parts(&need), TOTAL_KB / 1024, dir);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, expected);
}

static void
test_table_size_over_total_names_table(void **state)
{
	struct vg_memory_need need = { 256 * MIB, 30000ull * MIB + 1 };
	char expected[4096];
	int rc;

	(void)state;
	load("flows:\n  table_size: 67108864\n");
	rc = vg_config_check_memory(&cfg, nosys, dir, &need, NULL, err,
				    sizeof(err));
	snprintf(expected, sizeof(expected),
		 "%s:5:15: flows.table_size: vigild needs %llu MiB of memory (%s), more than the %llu MiB this machine has (MemTotal in %s/meminfo); lower flows.table_size or use fewer engine lcores",
		 yaml, 256ull + 30001, parts(&need), TOTAL_KB / 1024, dir);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, expected);
}

static void
test_over_total_is_warning_in_check(void **state)
{
	struct vg_memory_need need = { 1048576ull * MIB, 300 * MIB };
	struct vg_config_report report = {
		.machine = VG_CONFIG_MACHINE_WARN,
		.emit = keep_warning,
	};
	char expected[4096];

	(void)state;
	load("memory:\n  hugepages: false\n  size_mb: 1048576\n");
	warning[0] = '\0';
	assert_int_equal(vg_config_check_memory(&cfg, nosys, dir, &need,
						&report, err, sizeof(err)),
			 0);
	snprintf(expected, sizeof(expected),
		 "%s:6:12: memory.size_mb: vigild needs %llu MiB of memory (%s), more than the %llu MiB this machine has (MemTotal in %s/meminfo); lower memory.size_mb and memory.mbufs",
		 yaml, 1048576ull + 300, parts(&need), TOTAL_KB / 1024, dir);
	assert_int_equal(report.warnings, 1);
	assert_string_equal(warning, expected);
}

static void
test_over_available_warns_only(void **state)
{
	/* 21000 MiB: above MemAvailable (19531 MiB), below MemTotal. */
	struct vg_memory_need need = { 20000ull * MIB, 1000ull * MIB };
	struct vg_config_report report = {
		.machine = VG_CONFIG_MACHINE_WARN,
		.emit = keep_warning,
	};
	struct vg_config_report start = { .machine = VG_CONFIG_MACHINE_ENFORCE };
	char expected[4096];

	(void)state;
	load("memory:\n  size_mb: 20000\n");
	warning[0] = '\0';
	assert_int_equal(vg_config_check_memory(&cfg, nosys, dir, &need,
						&report, err, sizeof(err)),
			 0);
	snprintf(expected, sizeof(expected),
		 "%s:5:12: memory.size_mb: vigild needs %llu MiB of memory (%s), more than the %llu MiB available now (MemAvailable in %s/meminfo), so the start may fail or the kernel may kill vigild; lower memory.size_mb and memory.mbufs, or free memory",
		 yaml, 21000ull, parts(&need), AVAILABLE_KB / 1024, dir);
	assert_int_equal(report.warnings, 1);
	assert_string_equal(warning, expected);

	/* A start logs the warning and goes on. */
	assert_int_equal(vg_config_check_memory(&cfg, nosys, dir, &need,
						&start, err, sizeof(err)),
			 0);
	assert_int_equal(vg_config_check_memory(&cfg, nosys, dir, &need,
						NULL, err, sizeof(err)),
			 0);
	assert_int_equal(start.warnings, 0);
}

static void
test_within_available_passes(void **state)
{
	struct vg_memory_need need = { 19000ull * MIB, 500ull * MIB };
	struct vg_config_report report = {
		.machine = VG_CONFIG_MACHINE_WARN,
		.emit = keep_warning,
	};

	(void)state;
	load("memory:\n  size_mb: 19000\n");
	assert_int_equal(vg_config_check_memory(&cfg, nosys, dir, &need,
						&report, err, sizeof(err)),
			 0);
	assert_int_equal(report.warnings, 0);
	assert_string_equal(err, "");
}

static void
test_hugepages_eal_memory_not_counted(void **state)
{
	struct vg_memory_need need = { 1048576ull * MIB, 300 * MIB };

	(void)state;
	load("memory:\n  hugepages: true\n  size_mb: 1048576\n");
	assert_int_equal(vg_config_check_memory(&cfg, nosys, dir, &need, NULL,
						err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
}

static void
test_meminfo_missing_passes(void **state)
{
	struct vg_memory_need need = { 1048576ull * MIB, 300 * MIB };
	char missing[128];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no-proc", dir);
	load("memory:\n  size_mb: 1048576\n");
	assert_int_equal(vg_config_check_memory(&cfg, nosys, missing, &need,
						NULL, err, sizeof(err)),
			 0);
}

static void
test_cgroup_limit_below_total_rejected(void **state)
{
	struct vg_memory_need need = { 512 * MIB, 5000 * MIB };
	struct vg_config_report report = {
		.machine = VG_CONFIG_MACHINE_WARN,
		.emit = keep_warning,
	};
	char expected[4096];
	int rc;

	(void)state;
	write_limits("", "4294967296", "max");
	load("flows:\n  table_size: 67108864\n");
	rc = vg_config_check_memory(&cfg, sys, proc, &need, NULL, err,
				    sizeof(err));
	snprintf(expected, sizeof(expected),
		 "%s:5:15: flows.table_size: vigild needs %llu MiB of memory (%s), more than the %llu MiB its cgroup may use (memory.max in %s/fs/cgroup/system.slice/vigild.service); lower flows.table_size or use fewer engine lcores, or raise that memory.max (MemoryMax= of a systemd unit)",
		 yaml, 512ull + 5000, parts(&need), 4294967296ull / MIB, sys);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, expected);

	/* --check-config warns with the same text. */
	warning[0] = '\0';
	assert_int_equal(vg_config_check_memory(&cfg, sys, proc, &need,
						&report, err, sizeof(err)),
			 0);
	assert_int_equal(report.warnings, 1);
	assert_string_equal(warning, expected);
}

static void
test_cgroup_parent_limit_named(void **state)
{
	struct vg_memory_need need = { 4000 * MIB, 300 * MIB };
	char expected[4096];

	(void)state;
	load("memory:\n  size_mb: 4000\n");
	/* The parent's 3 GiB limits vigild, whether the leaf has none or more. */
	write_limits("", "max", "3221225472");
	assert_int_equal(vg_config_check_memory(&cfg, sys, proc, &need, NULL,
						err, sizeof(err)),
			 -EINVAL);
	snprintf(expected, sizeof(expected),
		 "%s:5:12: memory.size_mb: vigild needs %llu MiB of memory (%s), more than the %llu MiB its cgroup may use (memory.max in %s/fs/cgroup/system.slice); lower memory.size_mb and memory.mbufs, or raise that memory.max (MemoryMax= of a systemd unit)",
		 yaml, 4000ull + 300, parts(&need), 3221225472ull / MIB, sys);
	assert_string_equal(err, expected);

	write_limits("", "6442450944", "3221225472");
	assert_int_equal(vg_config_check_memory(&cfg, sys, proc, &need, NULL,
						err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, expected);
}

static void
test_cgroup_max_is_no_limit(void **state)
{
	struct vg_memory_need need = { 4000 * MIB, 300 * MIB };
	struct vg_config_report report = {
		.machine = VG_CONFIG_MACHINE_WARN,
		.emit = keep_warning,
	};

	(void)state;
	write_limits("", "max", "max");
	load("memory:\n  size_mb: 4000\n");
	assert_int_equal(vg_config_check_memory(&cfg, sys, proc, &need,
						&report, err, sizeof(err)),
			 0);
	assert_int_equal(report.warnings, 0);
	assert_string_equal(err, "");
}

static void
test_cgroup_above_total_names_total(void **state)
{
	struct vg_memory_need need = { 1048576ull * MIB, 300 * MIB };
	char expected[4096];

	(void)state;
	write_limits("", "107374182400", "max");
	load("memory:\n  hugepages: false\n  size_mb: 1048576\n");
	assert_int_equal(vg_config_check_memory(&cfg, sys, proc, &need, NULL,
						err, sizeof(err)),
			 -EINVAL);
	snprintf(expected, sizeof(expected),
		 "%s:6:12: memory.size_mb: vigild needs %llu MiB of memory (%s), more than the %llu MiB this machine has (MemTotal in %s/meminfo); lower memory.size_mb and memory.mbufs",
		 yaml, 1048576ull + 300, parts(&need), TOTAL_KB / 1024, proc);
	assert_string_equal(err, expected);
}

/*
 * Writes a fake /proc in <dir>/<name>-proc with a meminfo and
 * <self_cgroup> as self/cgroup. Returns its path in <proc_out> and the
 * path of the fake /sys beside it, <dir>/<name>-sys, in <sys_out>.
 */
static void
write_other_tree(const char *name, const char *self_cgroup, char *proc_out,
		 char *sys_out, size_t len)
{
	char path[256];

	snprintf(proc_out, len, "%s/%s-proc", dir, name);
	snprintf(sys_out, len, "%s/%s-sys", dir, name);
	write_meminfo(proc_out, "");
	snprintf(path, sizeof(path), "%s/self/cgroup", proc_out);
	write_file(path, self_cgroup);
}

static void
test_cgroup_v1_limit_named(void **state)
{
	struct vg_memory_need need = { 4000 * MIB, 300 * MIB };
	char v1_proc[128];
	char v1_sys[128];
	char path[256];
	char expected[4096];

	(void)state;
	/* A hybrid machine whose memory controller is in cgroup v1. */
	write_other_tree("v1",
			 "12:cpu,cpuacct:/system.slice/vigild.service\n"
			 "5:name=memoryless:/\n"
			 "4:memory:/system.slice/vigild.service\n"
			 "1:name=systemd:/system.slice/vigild.service\n"
			 "0::/system.slice/vigild.service\n",
			 v1_proc, v1_sys, sizeof(v1_proc));
	snprintf(path, sizeof(path), "%s/fs/cgroup/unified/cgroup.controllers",
		 v1_sys);
	write_file(path, "\n");
	snprintf(path, sizeof(path),
		 "%s/fs/cgroup/memory/system.slice/memory.limit_in_bytes",
		 v1_sys);
	write_file(path, "9223372036854771712\n");
	snprintf(path, sizeof(path),
		 "%s/fs/cgroup/memory/system.slice/vigild.service/memory.limit_in_bytes",
		 v1_sys);
	write_file(path, "3221225472\n");
	load("memory:\n  size_mb: 4000\n");
	assert_int_equal(vg_config_check_memory(&cfg, v1_sys, v1_proc, &need,
						NULL, err, sizeof(err)),
			 -EINVAL);
	snprintf(expected, sizeof(expected),
		 "%s:5:12: memory.size_mb: vigild needs %llu MiB of memory (%s), more than the %llu MiB its cgroup may use (memory.limit_in_bytes in %s/fs/cgroup/memory/system.slice/vigild.service); lower memory.size_mb and memory.mbufs, or raise that memory.limit_in_bytes (MemoryMax= of a systemd unit)",
		 yaml, 4000ull + 300, parts(&need), 3221225472ull / MIB,
		 v1_sys);
	assert_string_equal(err, expected);

	/* v1 writes "no limit" as the largest page-aligned signed number. */
	write_file(path, "9223372036854771712\n");
	assert_int_equal(vg_config_check_memory(&cfg, v1_sys, v1_proc, &need,
						NULL, err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
}

static void
test_cgroup_hybrid_unified_named(void **state)
{
	struct vg_memory_need need = { 4000 * MIB, 300 * MIB };
	char h_proc[128];
	char h_sys[128];
	char path[256];
	char expected[4096];

	(void)state;
	write_other_tree("hybrid",
			 "1:name=systemd:/vigil.scope\n0::/vigil.scope\n",
			 h_proc, h_sys, sizeof(h_proc));
	snprintf(path, sizeof(path), "%s/fs/cgroup/unified/cgroup.controllers",
		 h_sys);
	write_file(path, "memory pids\n");
	snprintf(path, sizeof(path),
		 "%s/fs/cgroup/unified/vigil.scope/memory.max", h_sys);
	write_file(path, "3221225472\n");
	/* Not read: on a hybrid machine v2 is mounted at unified/. */
	snprintf(path, sizeof(path), "%s/fs/cgroup/vigil.scope/memory.max",
		 h_sys);
	write_file(path, "1073741824\n");
	load("memory:\n  size_mb: 4000\n");
	assert_int_equal(vg_config_check_memory(&cfg, h_sys, h_proc, &need,
						NULL, err, sizeof(err)),
			 -EINVAL);
	snprintf(expected, sizeof(expected),
		 "%s:5:12: memory.size_mb: vigild needs %llu MiB of memory (%s), more than the %llu MiB its cgroup may use (memory.max in %s/fs/cgroup/unified/vigil.scope); lower memory.size_mb and memory.mbufs, or raise that memory.max (MemoryMax= of a systemd unit)",
		 yaml, 4000ull + 300, parts(&need), 3221225472ull / MIB, h_sys);
	assert_string_equal(err, expected);
}

static void
test_cgroup_long_path_kept_whole(void **state)
{
	struct vg_memory_need need = { 4000 * MIB, 300 * MIB };
	char cgroup[512];
	char path[1024];
	char expected[4096];
	int used = 0;
	int i;

	(void)state;
	write_limits("", "max", "max");
	/* A cgroup as deep as a Kubernetes pod's, so the message passes 512 bytes. */
	for (i = 0; i < 6; i++)
		used += snprintf(cgroup + used, sizeof(cgroup) - used,
				 "/level-%d-0123456789abcdef0123456789abcdef", i);
	snprintf(path, sizeof(path), "%s/self/cgroup", proc);
	snprintf(expected, sizeof(expected), "0::%s\n", cgroup);
	write_file(path, expected);
	snprintf(path, sizeof(path), "%s/fs/cgroup%s/memory.max", sys, cgroup);
	write_file(path, "1073741824\n");
	load("memory:\n  size_mb: 4000\n");
	assert_int_equal(vg_config_check_memory(&cfg, sys, proc, &need, NULL,
						err, sizeof(err)),
			 -EINVAL);
	snprintf(expected, sizeof(expected),
		 "%s:5:12: memory.size_mb: vigild needs %llu MiB of memory (%s), more than the %llu MiB its cgroup may use (memory.max in %s/fs/cgroup%s); lower memory.size_mb and memory.mbufs, or raise that memory.max (MemoryMax= of a systemd unit)",
		 yaml, 4000ull + 300, parts(&need), 1073741824ull / MIB, sys,
		 cgroup);
	assert_true(strlen(expected) > 512);
	assert_string_equal(err, expected);
}

#define HUGETLB_KB 16777216ull /* 16 GiB of hugepages */

/* Checks the message for tables above what <more>'s hugepages leave. */
static void
check_tables_over_rest(const char *more)
{
	struct vg_memory_need need = { 16384ull * MIB, 8000ull * MIB };
	struct vg_config_report report = {
		.machine = VG_CONFIG_MACHINE_WARN,
		.emit = keep_warning,
	};
	char expected[4096];

	write_limits(more, "max", "max");
	load("memory:\n  hugepages: true\n  size_mb: 16384\n"
	     "flows:\n  table_size: 67108864\n");
	snprintf(expected, sizeof(expected),
		 "%s:8:15: flows.table_size: vigild needs %llu MiB of memory outside hugepages (%s), more than the %llu MiB this machine has outside its hugepages (MemTotal %llu MiB less %llu MiB of hugepages in %s/meminfo); lower flows.table_size or use fewer engine lcores, or reserve fewer hugepages",
		 yaml, 8000ull, parts_outside_hugepages(&need),
		 (TOTAL_KB - HUGETLB_KB) / 1024, TOTAL_KB / 1024,
		 HUGETLB_KB / 1024, proc);
	assert_int_equal(vg_config_check_memory(&cfg, sys, proc, &need, NULL,
						err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, expected);
	warning[0] = '\0';
	assert_int_equal(vg_config_check_memory(&cfg, sys, proc, &need,
						&report, err, sizeof(err)),
			 0);
	assert_int_equal(report.warnings, 1);
	assert_string_equal(warning, expected);
}

static void
test_hugepages_tables_over_rest(void **state)
{
	char more[128];

	(void)state;
	snprintf(more, sizeof(more), "Hugetlb:        %llu kB\n", HUGETLB_KB);
	check_tables_over_rest(more);
}

static void
test_hugepages_counted_by_pages(void **state)
{
	char more[128];

	(void)state;
	/* Without the Hugetlb line (before Linux 4.16): pages of 2 MiB. */
	snprintf(more, sizeof(more),
		 "HugePages_Total:    %llu\nHugePages_Free:     0\nHugepagesize:       2048 kB\n",
		 HUGETLB_KB / 2048);
	check_tables_over_rest(more);
}

static void
test_hugepages_tables_within_rest_pass(void **state)
{
	struct vg_memory_need need = { 16384ull * MIB, 5000ull * MIB };
	struct vg_config_report report = {
		.machine = VG_CONFIG_MACHINE_WARN,
		.emit = keep_warning,
	};
	char more[128];

	(void)state;
	snprintf(more, sizeof(more), "Hugetlb:        %llu kB\n", HUGETLB_KB);
	write_limits(more, "max", "max");
	load("memory:\n  hugepages: true\n  size_mb: 16384\n");
	assert_int_equal(vg_config_check_memory(&cfg, sys, proc, &need,
						&report, err, sizeof(err)),
			 0);
	assert_int_equal(report.warnings, 0);
}

static void
test_hugepages_tables_over_cgroup(void **state)
{
	struct vg_memory_need need = { 16384ull * MIB, 3000ull * MIB };
	char expected[4096];
	char more[128];

	(void)state;
	snprintf(more, sizeof(more), "Hugetlb:        %llu kB\n", HUGETLB_KB);
	write_limits(more, "2147483648", "max");
	load("memory:\n  hugepages: true\n  size_mb: 16384\n");
	assert_int_equal(vg_config_check_memory(&cfg, sys, proc, &need, NULL,
						err, sizeof(err)),
			 -EINVAL);
	snprintf(expected, sizeof(expected),
		 "%s: flows.table_size: vigild needs %llu MiB of memory outside hugepages (%s), more than the %llu MiB its cgroup may use (memory.max in %s/fs/cgroup/system.slice/vigild.service); lower flows.table_size or use fewer engine lcores, or raise that memory.max (MemoryMax= of a systemd unit)",
		 yaml, 3000ull, parts_outside_hugepages(&need),
		 2147483648ull / MIB, sys);
	assert_string_equal(err, expected);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_mb_over_total_rejected),
		cmocka_unit_test(test_table_size_over_total_names_table),
		cmocka_unit_test(test_over_total_is_warning_in_check),
		cmocka_unit_test(test_over_available_warns_only),
		cmocka_unit_test(test_within_available_passes),
		cmocka_unit_test(test_hugepages_eal_memory_not_counted),
		cmocka_unit_test(test_meminfo_missing_passes),
		cmocka_unit_test(test_cgroup_limit_below_total_rejected),
		cmocka_unit_test(test_cgroup_parent_limit_named),
		cmocka_unit_test(test_cgroup_max_is_no_limit),
		cmocka_unit_test(test_cgroup_above_total_names_total),
		cmocka_unit_test(test_cgroup_v1_limit_named),
		cmocka_unit_test(test_cgroup_hybrid_unified_named),
		cmocka_unit_test(test_cgroup_long_path_kept_whole),
		cmocka_unit_test(test_hugepages_tables_over_rest),
		cmocka_unit_test(test_hugepages_counted_by_pages),
		cmocka_unit_test(test_hugepages_tables_within_rest_pass),
		cmocka_unit_test(test_hugepages_tables_over_cgroup),
	};

	return cmocka_run_group_tests(tests, make_folder, remove_folder);
}
