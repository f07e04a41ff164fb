/*
 * Memory without hugepages: vg_config_check_memory() against a meminfo
 * file the test writes, with the exact messages. The figures in each
 * expected message are worked out here from the test's own numbers.
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

static void
test_size_mb_over_total_rejected(void **state)
{
	struct vg_memory_need need = { 1048576ull * MIB, 300 * MIB };
	char expected[4096];
	int rc;

	(void)state;
	load("memory:\n  hugepages: false\n  size_mb: 1048576\n");
	rc = vg_config_check_memory(&cfg, dir, &need, NULL, err, sizeof(err));
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
	rc = vg_config_check_memory(&cfg, dir, &need, NULL, err, sizeof(err));
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
	assert_int_equal(vg_config_check_memory(&cfg, dir, &need, &report, err,
						sizeof(err)),
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
	assert_int_equal(vg_config_check_memory(&cfg, dir, &need, &report, err,
						sizeof(err)),
			 0);
	snprintf(expected, sizeof(expected),
		 "%s:5:12: memory.size_mb: vigild needs %llu MiB of memory (%s), more than the %llu MiB available now (MemAvailable in %s/meminfo), so the start may fail or the kernel may kill vigild; lower memory.size_mb and memory.mbufs, or free memory",
		 yaml, 21000ull, parts(&need), AVAILABLE_KB / 1024, dir);
	assert_int_equal(report.warnings, 1);
	assert_string_equal(warning, expected);

	/* A start logs the warning and goes on. */
	assert_int_equal(vg_config_check_memory(&cfg, dir, &need, &start, err,
						sizeof(err)),
			 0);
	assert_int_equal(vg_config_check_memory(&cfg, dir, &need, NULL, err,
						sizeof(err)),
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
	assert_int_equal(vg_config_check_memory(&cfg, dir, &need, &report, err,
						sizeof(err)),
			 0);
	assert_int_equal(report.warnings, 0);
	assert_string_equal(err, "");
}

static void
test_hugepages_not_checked_here(void **state)
{
	struct vg_memory_need need = { 1048576ull * MIB, 300 * MIB };

	(void)state;
	load("memory:\n  hugepages: true\n  size_mb: 1048576\n");
	assert_int_equal(vg_config_check_memory(&cfg, dir, &need, NULL, err,
						sizeof(err)),
			 0);
}

static void
test_meminfo_missing_passes(void **state)
{
	struct vg_memory_need need = { 1048576ull * MIB, 300 * MIB };
	char missing[128];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no-proc", dir);
	load("memory:\n  size_mb: 1048576\n");
	assert_int_equal(vg_config_check_memory(&cfg, missing, &need, NULL, err,
						sizeof(err)),
			 0);
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
		cmocka_unit_test(test_hugepages_not_checked_here),
		cmocka_unit_test(test_meminfo_missing_passes),
	};

	return cmocka_run_group_tests(tests, make_folder, remove_folder);
}
