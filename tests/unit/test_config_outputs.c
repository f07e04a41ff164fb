/*
 * Outputs that are one file: vg_config_check_output_clashes() through
 * vg_config_check(), on configuration files written to a folder of their
 * own under /tmp, with the exact messages.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"

static struct vg_config cfg;
static char err[2048];
static char dir[64];      /* the test's folder */
static char yaml[128];    /* its configuration file */
static char pcap[128];    /* an empty capture file in it */

static int
make_folder(void **state)
{
	static const unsigned char header[24] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
		0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0,
	};
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-outputs.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(yaml, sizeof(yaml), "%s/vigil.yaml", dir);
	snprintf(pcap, sizeof(pcap), "%s/sub", dir);
	if (mkdir(pcap, 0755) != 0)
		return -1;
	snprintf(pcap, sizeof(pcap), "%s/in.pcap", dir);
	f = fopen(pcap, "wb");
	if (f == NULL)
		return -1;
	fwrite(header, 1, sizeof(header), f);
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

/*
 * Writes the capture port and then <fmt> (where every %1$s is the test's
 * folder) to the configuration file, loads it and runs vg_config_check().
 */
static int
load_and_check(const char *fmt)
{
	char body[2048];
	FILE *f;
	int rc;

	snprintf(body, sizeof(body), fmt, dir);
	f = fopen(yaml, "w");
	assert_non_null(f);
	fprintf(f, "capture:\n  ports:\n    - pcap: %s\n%s", pcap, body);
	fclose(f);
	rc = vg_config_load(&cfg, yaml, err, sizeof(err));
	assert_int_equal(rc, 0);
	return vg_config_check(&cfg, err, sizeof(err));
}

/* Checks that vg_config_check() failed with "<yaml>:<expected>". */
static void
expect_clash(int rc, const char *expected_fmt)
{
	char expected[2048];
	char tail[1536];

	snprintf(tail, sizeof(tail), expected_fmt, dir, yaml);
	snprintf(expected, sizeof(expected), "%s:%s", yaml, tail);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, expected);
}

static void
test_flows_output_is_config_file(void **state)
{
	int rc;

	(void)state;
	rc = load_and_check("flows:\n  output: %1$s/vigil.yaml\n");
	expect_clash(rc, "5:11: flows.output: '%1$s/vigil.yaml' is the configuration file itself; vigild would write over it, so give another file");
}

static void
test_flows_output_is_database(void **state)
{
	int rc;

	(void)state;
	rc = load_and_check("flows:\n  output: %1$s/alerts.db\n"
			    "alerts:\n  database: %1$s/./alerts.db\n");
	expect_clash(rc, "7:13: alerts.database: '%1$s/./alerts.db' is also flows.output (%2$s:5:11); give each output a file of its own");
}

static void
test_alerts_output_is_flows_output(void **state)
{
	int rc;

	(void)state;
	rc = load_and_check("flows:\n  output: %1$s/records.jsonl\n"
			    "plugins:\n  alerts_output: %1$s/sub/../records.jsonl\n");
	expect_clash(rc, "7:18: plugins.alerts_output: '%1$s/sub/../records.jsonl' is also flows.output (%2$s:5:11); give each output a file of its own");
}

static void
test_file_endpoint_is_alerts_output(void **state)
{
	int rc;

	(void)state;
	rc = load_and_check("plugins:\n  alerts_output: %1$s/alerts.jsonl\n"
			    "alerts:\n  endpoints:\n    - kind: file\n"
			    "      path: %1$s/alerts.jsonl\n");
	expect_clash(rc, "9:13: alerts.endpoints[0].path: '%1$s/alerts.jsonl' is also plugins.alerts_output (%2$s:5:18); give each output a file of its own");
}

static void
test_control_socket_is_web_socket(void **state)
{
	int rc;

	(void)state;
	rc = load_and_check("control:\n  socket: %1$s/vigild.sock\n"
			    "web:\n  vigild_socket: %1$s/vigild.sock\n");
	expect_clash(rc, "7:18: web.vigild_socket: '%1$s/vigild.sock' is also control.socket (%2$s:5:11); give each output a file of its own");
}

static void
test_flows_output_is_capture_file(void **state)
{
	int rc;

	(void)state;
	rc = load_and_check("flows:\n  output: %1$s/in.pcap\n");
	expect_clash(rc, "5:11: flows.output: '%1$s/in.pcap' is the capture file of capture.ports[0].pcap (%2$s:3:13); vigild would write over it, so give another file");
}

static void
test_stats_is_flows_output(void **state)
{
	char expected[512];
	int rc;

	(void)state;
	rc = load_and_check("flows:\n  output: %1$s/flows.jsonl\n");
	assert_int_equal(rc, 0);
	snprintf(expected, sizeof(expected), "%s/flows.jsonl", dir);
	cfg.stats_path = expected;
	rc = vg_config_check(&cfg, err, sizeof(err));
	cfg.stats_path = NULL;
	assert_int_equal(rc, -EINVAL);
	snprintf(expected, sizeof(expected),
		 "%s: --stats: '%s/flows.jsonl' is also flows.output (%s:5:11); give each output a file of its own",
		 yaml, dir, yaml);
	assert_string_equal(err, expected);
}

/* A symbolic link to an existing file is the file: device and inode. */
static void
test_link_to_output_is_output(void **state)
{
	char target[128];
	char link[128];
	FILE *f;
	int rc;

	(void)state;
	snprintf(target, sizeof(target), "%s/real.jsonl", dir);
	snprintf(link, sizeof(link), "%s/link.jsonl", dir);
	f = fopen(target, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(symlink(target, link), 0);
	rc = load_and_check("flows:\n  output: %1$s/link.jsonl\n"
			    "plugins:\n  alerts_output: %1$s/real.jsonl\n");
	expect_clash(rc, "7:18: plugins.alerts_output: '%1$s/real.jsonl' is also flows.output (%2$s:5:11); give each output a file of its own");
}

static void
test_distinct_outputs_and_dev_null_pass(void **state)
{
	int rc;

	(void)state;
	rc = load_and_check("flows:\n  output: /dev/null\n"
			    "plugins:\n  alerts_output: /dev/null\n"
			    "alerts:\n  database: %1$s/alerts.db\n"
			    "control:\n  socket: %1$s/control.sock\n"
			    "web:\n  vigild_socket: %1$s/web.sock\n");
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flows_output_is_config_file),
		cmocka_unit_test(test_flows_output_is_database),
		cmocka_unit_test(test_alerts_output_is_flows_output),
		cmocka_unit_test(test_file_endpoint_is_alerts_output),
		cmocka_unit_test(test_control_socket_is_web_socket),
		cmocka_unit_test(test_flows_output_is_capture_file),
		cmocka_unit_test(test_stats_is_flows_output),
		cmocka_unit_test(test_link_to_output_is_output),
		cmocka_unit_test(test_distinct_outputs_and_dev_null_pass),
	};

	return cmocka_run_group_tests(tests, make_folder, remove_folder);
}
