/*
 * Configuration loading: defaults, a complete valid file, and each error
 * an operator can make, with the exact message vigild prints for it.
 *
 * Messages are asserted whole, because the file, line, column and key path
 * in them are the contract: an operator greps for the key and jumps to the
 * line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/magic.h>

#include "capture/parse.h"
#include "common/config.h"

/* An empty capture (pcap header only), written by write_test_pcap(). */
#define TEST_PCAP "/tmp/vigil-test-config.pcap"

static struct vg_config cfg;
static char err[1024];

/*
 * Writes TEST_PCAP through a file of this process renamed into place, so
 * test runs in parallel never read a half-written one.
 */
static int
write_test_pcap(void **state)
{
	static const unsigned char header[24] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
		0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0,
	};
	char tmp[64];
	FILE *f;

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.%ld", TEST_PCAP, (long)getpid());
	f = fopen(tmp, "wb");
	if (f == NULL || fwrite(header, 1, sizeof(header), f) != sizeof(header)) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	return rename(tmp, TEST_PCAP) == 0 ? 0 : -1;
}

static int
parse(const char *text)
{
	return vg_config_parse(&cfg, "t.yaml", text, strlen(text), err,
			       sizeof(err));
}

/* Parses <text>, expecting -EINVAL and exactly <message>. */
static void
expect_error(const char *text, const char *message)
{
	int rc = parse(text);

	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, message);
}

/*
 * Nine levels of ten aliases each: a billion nodes once followed. The
 * document's own nodes are 35: four mappings and the three keys between
 * them, the nine keys a..i, nine sequences and the ten x of a.
 */
static void
test_alias_expansion_rejected(void **state)
{
	char text[2048];
	size_t used;
	char level;
	int i;

	(void)state;
	used = (size_t)snprintf(text, sizeof(text),
				"plugins:\n  scripts:\n    s:\n"
				"      a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (level = 'b'; level <= 'i'; level++) {
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "      %c: &%c [", level, level);
		for (i = 0; i < 10; i++)
			used += (size_t)snprintf(text + used,
						 sizeof(text) - used, "%s*%c",
						 i > 0 ? ", " : "", level - 1);
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "]\n");
	}
	assert_true(used < sizeof(text));
	expect_error(text,
		     "t.yaml:4: invalid YAML: aliases expand the document to more than 100000 nodes beyond its own 35; write the repeated settings out instead");
}

static void
test_alias_cycle_rejected(void **state)
{
	(void)state;
	expect_error("plugins:\n  scripts:\n    s: &c\n      self: *c\n",
		     "t.yaml:4: invalid YAML: nested deeper than 128 levels once aliases are followed (an alias inside its own anchor makes a cycle)");
}

static void
test_alias_used_once_accepted(void **state)
{
	(void)state;
	assert_int_equal(parse("flows:\n  idle_timeout: {tcp: &t 10, udp: *t}\n"),
			 0);
	assert_int_equal(cfg.idle_timeout_tcp, 10);
	assert_int_equal(cfg.idle_timeout_udp, 10);
}

static void
test_defaults_when_file_sets_nothing(void **state)
{
	(void)state;
	assert_int_equal(parse("log:\n  level: info\n"), 0);
	assert_int_equal(cfg.burst, 32);
	assert_int_equal(cfg.ring_size, 4096);
	assert_int_equal(cfg.tunnels, VG_TUNNEL_ALL);
	assert_int_equal(cfg.flow_table_size, 262144);
	assert_int_equal(cfg.idle_timeout_tcp, 300);
	assert_int_equal(cfg.idle_timeout_udp, 60);
	assert_int_equal(cfg.idle_timeout_icmp, 30);
	assert_int_equal(cfg.idle_timeout_other, 60);
	assert_int_equal(cfg.active_timeout, 1800);
	assert_int_equal(cfg.detection_packets_tcp, 80);
	assert_int_equal(cfg.detection_packets_udp, 24);
	assert_int_equal(cfg.mbufs, 16383);
	assert_int_equal(cfg.memory_mb, 512);
	assert_false(cfg.hugepages);
	assert_int_equal(cfg.rx_lcore_count, 1);
	assert_int_equal(cfg.engine_lcore_count, 1);
	assert_int_equal(cfg.port_count, 0);
	assert_string_equal(cfg.flow_output, "");
}

static void
test_full_file_sets_every_key(void **state)
{
	static const char text[] =
		"capture:\n"
		"  ports:\n"
		"    - pci: 0000:03:00.0\n"
		"      name: uplink\n"
		"      rx_queues: 4\n"
		"    - vdev: net_null0\n"
		"    - interface: lo\n"
		"    - pcap: " TEST_PCAP "\n"
		"      pace: true\n"
		"  tunnels: [gre, vxlan]\n"
		"  burst: 64\n"
		"  ring_size: 8192\n"
		"lcores:\n"
		"  control: 0\n"
		"  rx: [0, 0]\n"
		"  engine: [0, 0, 0]\n"
		"memory:\n"
		"  hugepages: yes\n"
		"  mbufs: 65535\n"
		"  size_mb: 2048\n"
		"flows:\n"
		"  table_size: 1048576\n"
		"  idle_timeout: {tcp: 120, udp: 30, icmp: 10, other: 20}\n"
		"  active_timeout: 0\n"
		"  detection_packets: {tcp: 40, udp: 12}\n"
		"  output: /tmp/flows.jsonl\n"
		"networks:\n"
		"  local: [10.0.0.0/8, \"fd00::/8\", 192.168.1.0/24]\n"
		"log:\n"
		"  level: debug\n"
		"  status_interval: 5\n";

	(void)state;
	assert_int_equal(parse(text), 0);
	assert_int_equal(cfg.port_count, 4);
	assert_int_equal(cfg.ports[0].kind, VG_PORT_PCI);
	assert_string_equal(cfg.ports[0].source, "0000:03:00.0");
	assert_string_equal(cfg.ports[0].name, "uplink");
	assert_int_equal(cfg.ports[0].rx_queues, 4);
	assert_int_equal(cfg.ports[1].kind, VG_PORT_VDEV);
	assert_string_equal(cfg.ports[1].name, "port1");
	assert_int_equal(cfg.ports[2].kind, VG_PORT_IFACE);
	assert_string_equal(cfg.ports[2].source, "lo");
	assert_int_equal(cfg.ports[3].kind, VG_PORT_PCAP);
	assert_true(cfg.ports[3].pace);
	assert_int_equal(cfg.tunnels, VG_TUNNEL_GRE | VG_TUNNEL_VXLAN);
	assert_int_equal(cfg.burst, 64);
	assert_int_equal(cfg.ring_size, 8192);
	assert_int_equal(cfg.rx_lcore_count, 2);
	assert_int_equal(cfg.engine_lcore_count, 3);
	assert_true(cfg.hugepages);
	assert_int_equal(cfg.mbufs, 65535);
	assert_int_equal(cfg.memory_mb, 2048);
	assert_int_equal(cfg.flow_table_size, 1048576);
	assert_int_equal(cfg.idle_timeout_tcp, 120);
	assert_int_equal(cfg.idle_timeout_udp, 30);
	assert_int_equal(cfg.idle_timeout_icmp, 10);
	assert_int_equal(cfg.idle_timeout_other, 20);
	assert_int_equal(cfg.active_timeout, 0);
	assert_int_equal(cfg.detection_packets_tcp, 40);
	assert_int_equal(cfg.detection_packets_udp, 12);
	assert_string_equal(cfg.flow_output, "/tmp/flows.jsonl");
	assert_int_equal(cfg.local_net_count, 3);
	assert_int_equal(cfg.log_level, 3);
	assert_int_equal(cfg.status_interval, 5);
	assert_int_equal(vg_config_check(&cfg, err, sizeof(err)), 0);
}

static void
test_idle_timeout_scalar_sets_all(void **state)
{
	(void)state;
	assert_int_equal(parse("flows:\n  idle_timeout: 42\n"), 0);
	assert_int_equal(cfg.idle_timeout_tcp, 42);
	assert_int_equal(cfg.idle_timeout_udp, 42);
	assert_int_equal(cfg.idle_timeout_icmp, 42);
	assert_int_equal(cfg.idle_timeout_other, 42);
}

static void
test_tunnels_none_and_all(void **state)
{
	(void)state;
	assert_int_equal(parse("capture:\n  tunnels: none\n"), 0);
	assert_int_equal(cfg.tunnels, 0);
	assert_int_equal(parse("capture:\n  tunnels: all\n"), 0);
	assert_int_equal(cfg.tunnels, VG_TUNNEL_ALL);
}

static void
test_unknown_top_level_key(void **state)
{
	(void)state;
	expect_error("log:\n  level: info\ncaptur:\n  burst: 1\n",
		     "t.yaml:3:1: captur: unknown key (expected one of: capture, lcores, memory, flows, networks, ndpi, plugins, control, log, timeseries, web, alerts)");
}

static void
test_unknown_nested_key(void **state)
{
	(void)state;
	expect_error("flows:\n  idle_timeout:\n    tpc: 10\n",
		     "t.yaml:3:5: flows.idle_timeout.tpc: unknown key (expected one of: tcp, udp, icmp, other)");
}

static void
test_wrong_type_string_for_integer(void **state)
{
	(void)state;
	expect_error("flows:\n  table_size: big\n",
		     "t.yaml:2:15: flows.table_size: expected an integer, got 'big'");
}

static void
test_quoted_number_is_a_string(void **state)
{
	(void)state;
	expect_error("capture:\n  burst: \"32\"\n",
		     "t.yaml:2:10: capture.burst: expected an integer, got a quoted string");
}

static void
test_mapping_where_scalar_expected(void **state)
{
	(void)state;
	expect_error("memory:\n  mbufs:\n    a: 1\n",
		     "t.yaml:3:5: memory.mbufs: expected an integer, got a mapping");
}

static void
test_negative_integer_rejected(void **state)
{
	(void)state;
	expect_error("flows:\n  active_timeout: -5\n",
		     "t.yaml:2:19: flows.active_timeout: -5 is out of range 0..315360000");
	expect_error("flows:\n  active_timeout: -1\n",
		     "t.yaml:2:19: flows.active_timeout: -1 is out of range 0..315360000");
	expect_error("flows:\n  idle_timeout:\n    udp: -30\n",
		     "t.yaml:3:10: flows.idle_timeout.udp: -30 is out of range 1..315360000");
	expect_error("capture:\n  burst: -99999999999999999999999\n",
		     "t.yaml:2:10: capture.burst: -99999999999999999999999 is out of range 1..512");
	/* A minus sign before anything but digits is no integer at all. */
	expect_error("flows:\n  active_timeout: -x\n",
		     "t.yaml:2:19: flows.active_timeout: expected an integer, got '-x'");
	expect_error("flows:\n  active_timeout: -1x\n",
		     "t.yaml:2:19: flows.active_timeout: expected an integer, got '-1x'");
}

static void
test_negative_zero_is_zero(void **state)
{
	(void)state;
	assert_int_equal(parse("flows:\n  active_timeout: -0\n"), 0);
	assert_int_equal(cfg.active_timeout, 0);
	expect_error("flows:\n  idle_timeout: -0\n",
		     "t.yaml:2:17: flows.idle_timeout: -0 is out of range 1..315360000");
}

static void
test_table_size_too_small(void **state)
{
	(void)state;
	expect_error("flows:\n  table_size: 10\n",
		     "t.yaml:2:15: flows.table_size: 10 is out of range 1024..67108864");
}

static void
test_ring_size_power_of_two(void **state)
{
	(void)state;
	expect_error("capture:\n  ring_size: 1000\n",
		     "t.yaml:2:14: capture.ring_size: must be a power of two, got 1000");
}

static void
test_duplicate_key(void **state)
{
	(void)state;
	expect_error("capture:\n  burst: 32\n  burst: 64\n",
		     "t.yaml:3:3: capture.burst: key given twice");
}

static void
test_port_with_two_sources(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - vdev: net_null0\n      interface: eth0\n",
		     "t.yaml:4:18: capture.ports[0].interface: a port takes exactly one of pci, vdev, pcap or interface");
}

static void
test_port_without_source(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - name: wan\n",
		     "t.yaml:3:7: capture.ports[0]: a port needs one of pci, vdev, pcap or interface");
}

static void
test_port_bad_pci_address(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - pci: eth0\n",
		     "t.yaml:3:12: capture.ports[0].pci: expected a PCI address such as 0000:01:00.0, got 'eth0'");
}

static void
test_port_missing_capture_file(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - vdev: net_null0\n    - pcap: /nonexistent/x.pcap\n",
		     "t.yaml:4:13: capture.ports[1].pcap: cannot read '/nonexistent/x.pcap': No such file or directory");
}

static void
test_capture_file_one_queue(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - pcap: " TEST_PCAP "\n      rx_queues: 2\n",
		     "t.yaml:3:7: capture.ports[0]: a capture file has exactly one rx queue, got rx_queues: 2");
}

static void
test_pace_only_for_files(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - interface: lo\n      pace: true\n",
		     "t.yaml:3:7: capture.ports[0]: pace applies to capture files only");
}

static void
test_interface_name_too_long(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - interface: abcdefghijklmnopq\n",
		     "t.yaml:3:18: capture.ports[0].interface: interface name 'abcdefghijklmnopq' is longer than 15 characters");
}

static void
test_interface_not_found(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - interface: vgnosuch0\n",
		     "t.yaml:3:18: capture.ports[0].interface: interface 'vgnosuch0' not found on this machine");
}

static void
test_output_is_directory(void **state)
{
	(void)state;
	expect_error("flows:\n  output: /tmp\n",
		     "t.yaml:2:11: flows.output: '/tmp' is a directory; give a file name");
}

/* Writes <len> bytes of <data> to <path>; returns 0 or -1. */
static int
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	size_t done;

	if (f == NULL)
		return -1;
	done = fwrite(data, 1, len, f);
	return fclose(f) == 0 && done == len ? 0 : -1;
}

/*
 * Creates an empty file from the mkstemp() template <path> and writes to
 * <text> a configuration whose alerts database is that file.
 */
static void
alerts_database_config(char *path, char *text, size_t text_len)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	snprintf(text, text_len, "alerts:\n  database: %s\n", path);
}

static void
test_alerts_database_not_sqlite(void **state)
{
	static const char garbage[] = "these bytes are not a database\n";
	char path[] = "/tmp/vg-test-alerts-XXXXXX";
	char text[256];
	char message[512];

	(void)state;
	alerts_database_config(path, text, sizeof(text));
	assert_int_equal(write_file(path, garbage, sizeof(garbage) - 1), 0);
	snprintf(message, sizeof(message),
		 "t.yaml:2:13: alerts.database: '%s' is not an SQLite database (its first 16 bytes are not the SQLite header); move it away, and vigild creates a new one",
		 path);
	expect_error(text, message);
	unlink(path);
}

/* An empty file and one with the SQLite header are taken as databases. */
static void
test_alerts_database_sqlite_header(void **state)
{
	static const char header[100] = "SQLite format 3";
	char path[] = "/tmp/vg-test-alerts-XXXXXX";
	char text[256];

	(void)state;
	alerts_database_config(path, text, sizeof(text));
	assert_int_equal(parse(text), 0);
	assert_int_equal(write_file(path, header, sizeof(header)), 0);
	assert_int_equal(parse(text), 0);
	unlink(path);
}

/*
 * Parses a file whose one port is the capture file <path>, expecting the
 * error at its pcap: value, "capture.ports[0].pcap: " and then <fmt>
 * formatted, and removes <path>.
 */
__attribute__((format(printf, 2, 3))) static void
expect_pcap_port_error(const char *path, const char *fmt, ...)
{
	char text[256];
	char message[512];
	size_t used;
	va_list ap;

	snprintf(text, sizeof(text), "capture:\n  ports:\n    - pcap: %s\n", path);
	used = (size_t)snprintf(message, sizeof(message),
				"t.yaml:3:13: capture.ports[0].pcap: ");
	va_start(ap, fmt);
	vsnprintf(message + used, sizeof(message) - used, fmt, ap);
	va_end(ap);
	expect_error(text, message);
	unlink(path);
}

static void
test_capture_file_not_pcap(void **state)
{
	char path[64];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/vigil-test-text.%ld", (long)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("GET / HTTP/1.1\r\n", f);
	fclose(f);
	expect_pcap_port_error(path,
			       "'%s' is not a pcap or pcapng file (it starts with 47 45 54 20)",
			       path);
}

/* Writes <len> bytes of <bytes> to a new file named in <path>. */
static void
write_bytes(char *path, const unsigned char *bytes, size_t len)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	close(fd);
}

static void
test_capture_file_too_short(void **state)
{
	static const unsigned char bytes[10] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0,
						 4, 0, 0, 0 };
	char path[] = "/tmp/vigil-test-short-XXXXXX";

	(void)state;
	write_bytes(path, bytes, sizeof(bytes));
	expect_pcap_port_error(path,
			       "'%s' is too short for a pcap header: 10 bytes, less than the 24-byte pcap file header",
			       path);
}

static void
test_capture_file_shorter_than_magic(void **state)
{
	static const unsigned char bytes[3] = { 0xd4, 0xc3, 0xb2 };
	char path[] = "/tmp/vigil-test-short-XXXXXX";

	(void)state;
	write_bytes(path, bytes, sizeof(bytes));
	expect_pcap_port_error(path,
			       "'%s' is too short for a pcap header: 3 bytes, less than the 24-byte pcap file header",
			       path);
}

static void
test_capture_file_short_pcapng(void **state)
{
	/* A section header block cut after 20 of its 28 bytes. */
	static const unsigned char bytes[20] = {
		0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a,
		1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
	};
	char path[] = "/tmp/vigil-test-short-XXXXXX";

	(void)state;
	write_bytes(path, bytes, sizeof(bytes));
	expect_pcap_port_error(path,
			       "'%s' is too short for a pcapng header: 20 bytes, less than the 28-byte pcapng section header block",
			       path);
}

static void
test_vdev_rx_pcap_not_pcap(void **state)
{
	static const unsigned char bytes[] = "GET / HTTP/1.1\r\n";
	char path[] = "/tmp/vigil-test-text-XXXXXX";
	char text[256];
	char message[256];

	(void)state;
	write_bytes(path, bytes, sizeof(bytes) - 1);
	/* The second rx_pcap= of the vdev is checked too. */
	snprintf(text, sizeof(text),
		 "capture:\n  ports:\n    - vdev: net_pcap0,rx_pcap=%s,rx_pcap=%s,infinite_rx=1\n",
		 TEST_PCAP, path);
	snprintf(message, sizeof(message),
		 "t.yaml:3:13: capture.ports[0].vdev: '%s' is not a pcap or pcapng file (it starts with 47 45 54 20)",
		 path);
	expect_error(text, message);
	unlink(path);
}

static void
test_vdev_rx_pcap_arguments(void **state)
{
	const char *vdev = "net_pcap0,rx_pcap=/a.pcap,infinite_rx=1,rx_pcap=/b";
	char path[16];

	(void)state;
	assert_int_equal(vg_config_vdev_rx_pcap(vdev, 0, path, sizeof(path)), 1);
	assert_string_equal(path, "/a.pcap");
	assert_int_equal(vg_config_vdev_rx_pcap(vdev, 1, path, sizeof(path)), 1);
	assert_string_equal(path, "/b");
	assert_int_equal(vg_config_vdev_rx_pcap(vdev, 2, path, sizeof(path)), 0);
	assert_int_equal(vg_config_vdev_rx_pcap("net_null0,rx_pcap=/a", 0, path,
						sizeof(path)), 0);
	assert_int_equal(vg_config_vdev_rx_pcap("net_pcap0,xrx_pcap=/a", 0,
						path, sizeof(path)), 0);
	assert_int_equal(vg_config_vdev_rx_pcap("net_pcap0,rx_pcap=/a/long/path",
						0, path, 8), -1);
}

static void
test_capture_file_is_pipe(void **state)
{
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/vigil-test-fifo.%ld", (long)getpid());
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_pcap_port_error(path,
			       "'%s' is a pipe, not a capture file (pipes and devices cannot be read)",
			       path);
}

static void
test_port_name_twice(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - vdev: net_null0\n      name: a\n"
		     "    - vdev: net_null1\n      name: a\n",
		     "t.yaml:5:7: capture.ports[1]: port name 'a' is used twice (ports 0 and 1)");
}

static void
test_quoted_boolean(void **state)
{
	(void)state;
	expect_error("memory:\n  hugepages: \"true\"\n",
		     "t.yaml:2:14: memory.hugepages: expected true or false, got the quoted string 'true' (drop the quotes)");
}

static void
test_capture_file_is_directory(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - pcap: /tmp\n",
		     "t.yaml:3:13: capture.ports[0].pcap: '/tmp' is a directory, not a capture file (pipes and devices cannot be read)");
}

static void
test_sandbox_user_not_found(void **state)
{
	(void)state;
	expect_error("plugins:\n  user: vgnosuchuser\n",
		     "t.yaml:2:9: plugins.user: user 'vgnosuchuser' not found on this machine");
}

static void
test_sandbox_user_uid_0(void **state)
{
	(void)state;
	expect_error("plugins:\n  user: root\n",
		     "t.yaml:2:9: plugins.user: user 'root' has uid 0, and vigil-sandbox does not run plugins as root; choose an unprivileged user such as nobody");
}

/* The plugins' folders come after the user, so the check waits for them. */
static void
test_sandbox_user_uid_0_before_directories(void **state)
{
	(void)state;
	expect_error("plugins:\n  user: root\n  directories: [/tmp]\n",
		     "t.yaml:2:9: plugins.user: user 'root' has uid 0, and vigil-sandbox does not run plugins as root; choose an unprivileged user such as nobody");
}

static void
test_sandbox_user_uid_0_plugins_off(void **state)
{
	(void)state;
	assert_int_equal(parse("plugins:\n  user: root\n  directories: []\n"),
			 0);
	assert_int_equal(cfg.plugin_dir_count, 0);
	assert_string_equal(cfg.sandbox_user, "root");
}

static void
test_ndpi_file_binary(void **state)
{
	static const char bytes[] = "good line\nbad\x01" "byte\n";
	char path[] = "/tmp/vigil-test-config-XXXXXX";
	char text[128];
	char message[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, sizeof(bytes) - 1),
			 (ssize_t)sizeof(bytes) - 1);
	close(fd);
	snprintf(text, sizeof(text), "ndpi:\n  categories: %s\n", path);
	snprintf(message, sizeof(message),
		 "t.yaml:2:15: ndpi.categories: '%s' is not a text file: byte 13 is 0x01",
		 path);
	expect_error(text, message);
	unlink(path);
}

static void
test_empty_port_list(void **state)
{
	(void)state;
	expect_error("capture:\n  ports: []\n",
		     "t.yaml:2:10: capture.ports: at least one port is needed");
}

static void
test_unknown_tunnel(void **state)
{
	(void)state;
	expect_error("capture:\n  tunnels: [gre, l2tp]\n",
		     "t.yaml:2:18: capture.tunnels[1]: unknown tunnel l2tp (expected ipip, gre, vxlan, gtpu, tzsp or capwap)");
}

static void
test_cpu_out_of_range(void **state)
{
	(void)state;
	expect_error("lcores:\n  rx: [5000]\n",
		     "t.yaml:2:8: lcores.rx[0]: 5000 is out of range 0..1023");
}

static void
test_cpu_that_does_not_exist(void **state)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	char text[128];
	char message[256];

	(void)state;
	if (cpus < 1 || cpus > 1023)
		skip();
	snprintf(text, sizeof(text), "lcores:\n  engine: [0, %ld]\n", cpus);
	snprintf(message, sizeof(message),
		 "t.yaml:2:15: lcores.engine[1]: CPU %ld does not exist (this machine has CPUs 0..%ld)",
		 cpus, cpus - 1);
	expect_error(text, message);
}

static void
test_bool_rejects_other_words(void **state)
{
	(void)state;
	expect_error("memory:\n  hugepages: maybe\n",
		     "t.yaml:2:14: memory.hugepages: expected true or false, got maybe");
}

static void
test_local_network_host_bits(void **state)
{
	(void)state;
	expect_error("networks:\n  local: [10.1.2.3/8]\n",
		     "t.yaml:2:11: networks.local[0]: '10.1.2.3/8': host bits are set after the prefix");
}

static void
test_local_network_bad_prefix(void **state)
{
	(void)state;
	expect_error("networks:\n  local:\n    - 10.0.0.0/8\n    - fd00::/129\n",
		     "t.yaml:4:7: networks.local[1]: 'fd00::/129': invalid prefix length");
}

static void
test_local_network_bad_address(void **state)
{
	(void)state;
	expect_error("networks:\n  local: [10.0.0/8]\n",
		     "t.yaml:2:11: networks.local[0]: '10.0.0/8': invalid address");
}

static void
test_missing_ndpi_file(void **state)
{
	(void)state;
	expect_error("ndpi:\n  protocols: /nonexistent/protos.txt\n",
		     "t.yaml:2:14: ndpi.protocols: cannot read '/nonexistent/protos.txt': No such file or directory");
}

static void
test_ndpi_file_is_directory(void **state)
{
	(void)state;
	expect_error("ndpi:\n  ja3: /tmp\n",
		     "t.yaml:2:8: ndpi.ja3: '/tmp' is not a regular file");
}

static void
test_output_directory_missing_is_accepted(void **state)
{
	char text[256];

	(void)state;
	/* vigild creates the missing levels under a writable folder. */
	snprintf(text, sizeof(text),
		 "flows:\n  output: /tmp/vigil-test-config-%ld/a/b/flows.jsonl\n",
		 (long)getpid());
	assert_int_equal(parse(text), 0);
}

static void
test_output_directory_under_a_file(void **state)
{
	char file[64];
	char text[256];
	char message[256];
	FILE *f;

	(void)state;
	snprintf(file, sizeof(file), "/tmp/vigil-test-config-%ld.file",
		 (long)getpid());
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(text, sizeof(text), "flows:\n  output: %s/dir/flows.jsonl\n",
		 file);
	snprintf(message, sizeof(message),
		 "t.yaml:2:11: flows.output: cannot create '%s/dir': '%s' is not a directory",
		 file, file);
	expect_error(text, message);
	unlink(file);
}

static void
test_output_under_proc(void **state)
{
	(void)state;
	expect_error("flows:\n  output: /proc/vigil/flows.jsonl\n",
		     "t.yaml:2:11: flows.output: '/proc/vigil/flows.jsonl' is under /proc, which is not for ordinary files; choose a path on a disk or tmpfs");
}

static void
test_output_under_sys(void **state)
{
	(void)state;
	/* /sys/fs/cgroup is a tmpfs on some machines: /sys decides. */
	expect_error("plugins:\n  alerts_output: /sys/fs/cgroup/alerts.jsonl\n",
		     "t.yaml:2:18: plugins.alerts_output: '/sys/fs/cgroup/alerts.jsonl' is under /sys, which is not for ordinary files; choose a path on a disk or tmpfs");
}

static void
test_output_link_into_proc(void **state)
{
	char link[64];
	char text[256];
	char message[512];

	(void)state;
	if (access("/proc/version", F_OK) != 0)
		skip();
	snprintf(link, sizeof(link), "/tmp/vigil-test-link.%ld",
		 (long)getpid());
	unlink(link);
	assert_int_equal(symlink("/proc/version", link), 0);
	snprintf(text, sizeof(text), "flows:\n  output: %s\n", link);
	snprintf(message, sizeof(message),
		 "t.yaml:2:11: flows.output: '%s' leads to '/proc/version', under /proc, which is not for ordinary files; choose a path on a disk or tmpfs",
		 link);
	expect_error(text, message);
	unlink(link);
}

static void
test_output_on_devpts(void **state)
{
	struct statfs fs;

	(void)state;
	if (statfs("/dev/pts", &fs) != 0 || fs.f_type != DEVPTS_SUPER_MAGIC)
		skip();
	expect_error("flows:\n  output: /dev/pts/vigil.jsonl\n",
		     "t.yaml:2:11: flows.output: '/dev/pts/vigil.jsonl' is on a devpts file system ('/dev/pts'), which is not for ordinary files; choose a path on a disk or tmpfs");
}

static void
test_ts_directory_under_sys(void **state)
{
	(void)state;
	expect_error("timeseries:\n  directory: /sys/vigil-rrd\n",
		     "t.yaml:2:14: timeseries.directory: '/sys/vigil-rrd' is under /sys, which is not for ordinary files; choose a path on a disk or tmpfs");
}

static void
test_output_is_a_device(void **state)
{
	(void)state;
	if (access("/dev/full", F_OK) != 0)
		skip();
	expect_error("flows:\n  output: /dev/full\n",
		     "t.yaml:2:11: flows.output: '/dev/full' is a character device; give a regular file, a FIFO or /dev/null");
}

static void
test_database_is_dev_null(void **state)
{
	(void)state;
	expect_error("alerts:\n  database: /dev/null\n",
		     "t.yaml:2:13: alerts.database: '/dev/null' is a character device; give a regular file");
}

static void
test_output_fifo_and_dev_null_accepted(void **state)
{
	char path[64];
	char text[256];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/vigil-test-out-fifo.%ld",
		 (long)getpid());
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(text, sizeof(text),
		 "flows:\n  output: %s\nplugins:\n  alerts_output: /dev/null\n",
		 path);
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.flow_output, path);
	assert_string_equal(cfg.alerts_output, "/dev/null");
	unlink(path);
}

/* Findings that a report passes on, kept for the tests to read. */
struct findings {
	unsigned int count;
	enum vg_config_finding kind[8];
	char text[8][512];
};

static void
keep_finding(void *ctx, enum vg_config_finding finding, const char *text)
{
	struct findings *f = ctx;

	if (f->count < 8) {
		f->kind[f->count] = finding;
		snprintf(f->text[f->count], sizeof(f->text[0]), "%s", text);
	}
	f->count++;
}

/* A report that treats machine checks as <machine> selects, into <found>. */
static struct vg_config_report
report_into(struct findings *found, enum vg_config_machine machine)
{
	return (struct vg_config_report){
		.machine = machine,
		.emit = keep_finding,
		.ctx = found,
	};
}

static int
parse_with(const char *text, struct vg_config_report *report)
{
	return vg_config_parse_report(&cfg, "t.yaml", text, strlen(text),
				      report, err, sizeof(err));
}

static void
test_check_mode_warns_about_missing_cpu(void **state)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	struct findings found = { 0 };
	struct vg_config_report report =
		report_into(&found, VG_CONFIG_MACHINE_WARN);
	char text[128];
	char message[256];

	(void)state;
	if (cpus < 1 || cpus > 1022)
		skip();
	snprintf(text, sizeof(text), "lcores:\n  engine: [0, %ld, %ld]\n",
		 cpus, cpus + 1);
	assert_int_equal(parse_with(text, &report), 0);
	assert_int_equal(report.warnings, 2);
	assert_int_equal(report.notes, 0);
	assert_int_equal(found.count, 2);
	assert_int_equal(found.kind[0], VG_CONFIG_WARNING);
	snprintf(message, sizeof(message),
		 "t.yaml:2:15: lcores.engine[1]: CPU %ld does not exist (this machine has CPUs 0..%ld)",
		 cpus, cpus - 1);
	assert_string_equal(found.text[0], message);
	/* The file's values are kept, so the later checks still see them. */
	assert_int_equal(cfg.engine_lcore_count, 3);
	assert_int_equal(cfg.engine_cpus[2], cpus + 1);
}

static void
test_check_mode_still_stops_on_file_errors(void **state)
{
	struct findings found = { 0 };
	struct vg_config_report report =
		report_into(&found, VG_CONFIG_MACHINE_WARN);

	(void)state;
	assert_int_equal(parse_with("lcores:\n  rx: [5000]\n", &report),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:2:8: lcores.rx[0]: 5000 is out of range 0..1023");
	assert_int_equal(found.count, 0);
}

static void
test_check_mode_notes_folders_to_create(void **state)
{
	struct findings found = { 0 };
	struct vg_config_report report =
		report_into(&found, VG_CONFIG_MACHINE_WARN);
	char dir[64];
	char text[256];
	char message[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-config-%ld/state",
		 (long)getpid());
	snprintf(text, sizeof(text),
		 "flows:\n  output: %s/flows.jsonl\ntimeseries:\n  directory: %s/rrd\n",
		 dir, dir);
	assert_int_equal(parse_with(text, &report), 0);
	assert_int_equal(report.warnings, 0);
	assert_int_equal(report.notes, 2);
	assert_int_equal(found.kind[0], VG_CONFIG_NOTE);
	snprintf(message, sizeof(message),
		 "t.yaml:2:11: flows.output: directory '%s' does not exist; vigild creates it at start",
		 dir);
	assert_string_equal(found.text[0], message);
	snprintf(message, sizeof(message),
		 "t.yaml:4:14: timeseries.directory: directory '%s/rrd' does not exist; vigild creates it at start",
		 dir);
	assert_string_equal(found.text[1], message);
}

static void
test_check_mode_warns_about_missing_files(void **state)
{
	struct findings found = { 0 };
	struct vg_config_report report =
		report_into(&found, VG_CONFIG_MACHINE_WARN);

	(void)state;
	assert_int_equal(parse_with("capture:\n  ports:\n    - pcap: /nonexistent/a.pcap\n"
				    "      name: a\n"
				    "    - interface: vigil-none0\n"
				    "ndpi:\n  ja3: /nonexistent/ja3.csv\n"
				    "plugins:\n  directories: [/nonexistent/plugins]\n"
				    "  user: vigil-no-such-user\n",
				    &report),
			 0);
	assert_int_equal(report.warnings, 5);
	assert_int_equal(found.count, 5);
	assert_string_equal(found.text[0],
			    "t.yaml:3:13: capture.ports[0].pcap: cannot read '/nonexistent/a.pcap': No such file or directory");
	assert_string_equal(found.text[1],
			    "t.yaml:5:18: capture.ports[1].interface: interface 'vigil-none0' not found on this machine");
	assert_string_equal(found.text[2],
			    "t.yaml:7:8: ndpi.ja3: cannot read '/nonexistent/ja3.csv': No such file or directory");
	assert_string_equal(found.text[3],
			    "t.yaml:9:17: plugins.directories[0]: cannot read '/nonexistent/plugins': No such file or directory");
	assert_string_equal(found.text[4],
			    "t.yaml:10:9: plugins.user: user 'vigil-no-such-user' not found on this machine");
	/* Later keys still load: the port count and the plugin folder. */
	assert_int_equal(cfg.port_count, 2);
	assert_int_equal(cfg.plugin_dir_count, 1);
}

/* vigild --plugins turns plugins on over directories: []. */
static void
test_uid_0_warns_with_plugins_option(void **state)
{
	struct findings found = { 0 };
	struct vg_config_report report =
		report_into(&found, VG_CONFIG_MACHINE_WARN);

	(void)state;
	report.plugin_dirs_replaced = true;
	assert_int_equal(parse_with("plugins:\n  directories: []\n  user: root\n",
				    &report),
			 0);
	assert_int_equal(report.warnings, 1);
	assert_int_equal(found.count, 1);
	assert_int_equal(found.kind[0], VG_CONFIG_WARNING);
	assert_string_equal(found.text[0],
			    "t.yaml:3:9: plugins.user: user 'root' has uid 0, and vigil-sandbox does not run plugins as root; choose an unprivileged user such as nobody");
}

static void
test_check_mode_rejects_proc_output(void **state)
{
	struct findings found = { 0 };
	struct vg_config_report report =
		report_into(&found, VG_CONFIG_MACHINE_WARN);

	(void)state;
	/* An error in every mode, not a warning about this machine. */
	assert_int_equal(parse_with("flows:\n  output: /proc/x\n", &report),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:2:11: flows.output: '/proc/x' is under /proc, which is not for ordinary files; choose a path on a disk or tmpfs");
	assert_int_equal(found.count, 0);
}

static void
test_skip_mode_makes_no_machine_check(void **state)
{
	struct findings found = { 0 };
	struct vg_config_report report =
		report_into(&found, VG_CONFIG_MACHINE_SKIP);

	(void)state;
	assert_int_equal(parse_with("lcores:\n  rx: [1023]\n"
				    "flows:\n  output: /nonexistent/x/flows.jsonl\n"
				    "ndpi:\n  ja3: /nonexistent/ja3.csv\n"
				    "control:\n  socket: /proc/vigil.sock\n"
				    "alerts:\n  database: /dev/null\n",
				    &report),
			 0);
	assert_int_equal(report.warnings, 0);
	assert_int_equal(report.notes, 0);
	assert_int_equal(found.count, 0);
}

static void
test_web_check_mode_warns(void **state)
{
	struct findings found = { 0 };
	struct vg_config_report report =
		report_into(&found, VG_CONFIG_MACHINE_WARN);

	(void)state;
	assert_int_equal(parse("web:\n  data_dir: /tmp\n  static_dir: /nonexistent/vigil-ui\n"),
			 0);
	assert_int_equal(vg_config_check_web(&cfg, &report, err, sizeof(err)), 0);
	assert_int_equal(report.warnings, 1);
	assert_int_equal(found.count, 1);
	assert_int_equal(found.kind[0], VG_CONFIG_WARNING);
	assert_string_equal(found.text[0],
			    "t.yaml:3:15: web.static_dir: cannot read '/nonexistent/vigil-ui': No such file or directory");
}

static void
test_make_folders_creates_parents(void **state)
{
	char dir[64];
	char path[128];
	struct stat st;

	(void)state;
	vg_config_defaults(&cfg);
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-config-%ld-made",
		 (long)getpid());
	snprintf(cfg.flow_output, sizeof(cfg.flow_output),
		 "%s/a/b/flows.jsonl", dir);
	snprintf(cfg.control_socket, sizeof(cfg.control_socket),
		 "%s/run/control.sock", dir);
	assert_int_equal(vg_config_make_folders(&cfg, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(path, sizeof(path), "%s/run", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* A second call finds them and changes nothing. */
	assert_int_equal(vg_config_make_folders(&cfg, err, sizeof(err)), 0);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
	rmdir(dir);
}

static void
test_make_folders_reports_failed_mkdir(void **state)
{
	char file[64];
	char message[256];
	FILE *f;

	(void)state;
	vg_config_defaults(&cfg);
	snprintf(file, sizeof(file), "/tmp/vigil-test-config-%ld.made",
		 (long)getpid());
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(cfg.alerts.database, sizeof(cfg.alerts.database),
		 "%s/db/alerts.sqlite", file);
	assert_int_equal(vg_config_make_folders(&cfg, err, sizeof(err)),
			 -ENOTDIR);
	snprintf(message, sizeof(message),
		 "alerts.database: mkdir(%s/db) failed: Not a directory", file);
	assert_string_equal(err, message);
	unlink(file);
}

static void
test_bad_log_level(void **state)
{
	(void)state;
	expect_error("log:\n  level: verbose\n",
		     "t.yaml:2:10: log.level: expected error, warn, info or debug, got verbose");
}

static void
test_top_level_not_mapping(void **state)
{
	(void)state;
	expect_error("- a\n- b\n",
		     "t.yaml:1:1: (top level): expected a mapping, got a list");
}

static void
test_syntax_error_has_position(void **state)
{
	(void)state;
	expect_error("capture:\n  burst: [1, 2\nlog: {}\n",
		     "t.yaml:3:4: capture.burst: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence");
}

static void
test_syntax_error_at_top_level(void **state)
{
	(void)state;
	expect_error("]\n",
		     "t.yaml:1:1: invalid YAML: did not find expected node content while parsing a block node");
}

static void
test_syntax_error_in_port_value(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - pcap: " TEST_PCAP "\n      name: \"x\n",
		     "t.yaml:5:1: capture.ports[0].name: invalid YAML: found unexpected end of stream while scanning a quoted scalar");
}

static void
test_syntax_error_in_port_mapping(void **state)
{
	(void)state;
	expect_error("capture: {ports: [{pcap: a, name: b: c}]}\n",
		     "t.yaml:1:36: capture.ports[0]: invalid YAML: did not find expected ',' or '}' while parsing a flow mapping");
}

static void
test_syntax_error_after_port(void **state)
{
	/* The port's mapping has ended: the ports list expects an item. */
	(void)state;
	expect_error("capture:\n  ports:\n    - pcap: " TEST_PCAP "\n     name: x\n",
		     "t.yaml:4:6: capture.ports: invalid YAML: did not find expected '-' indicator while parsing a block collection");
}

static void
test_syntax_error_colon_in_continued_value(void **state)
{
	/* "out.jsonl port" is read as one scalar before the ':' is found. */
	(void)state;
	expect_error("flows:\n  output: out.jsonl\n    port: 80\n",
		     "t.yaml:3:9: flows.output: invalid YAML: mapping values are not allowed in this context");
}

static void
test_syntax_error_colon_after_second_key(void **state)
{
	(void)state;
	expect_error("flows:\n  output: out.jsonl\n  active_timeout: 60\n    b\n    x: 1\n",
		     "t.yaml:5:6: flows.active_timeout: invalid YAML: mapping values are not allowed in this context");
}

static void
test_syntax_error_colon_in_continued_item(void **state)
{
	(void)state;
	expect_error("plugins:\n  directories:\n    - /tmp/a\n    - /tmp/b\n      c: d\n",
		     "t.yaml:5:8: plugins.directories[1]: invalid YAML: mapping values are not allowed in this context");
}

static void
test_syntax_error_tab_in_continued_value(void **state)
{
	(void)state;
	expect_error("flows:\n  output:\n    out.jsonl\n\tb\n",
		     "t.yaml:4:1: flows.output: invalid YAML: found a tab character that violates indentation while scanning a plain scalar");
}

static void
test_undefined_alias_names_key(void **state)
{
	(void)state;
	expect_error("capture:\n  ports:\n    - pcap: " TEST_PCAP "\n      name: *nope\n",
		     "t.yaml:4:13: capture.ports[0].name: invalid YAML: found undefined alias");
}

/* Parses <len> bytes of <text>, which may hold a NUL byte. */
static void
expect_error_bytes(const char *text, size_t len, const char *message)
{
	int rc = vg_config_parse(&cfg, "t.yaml", text, len, err, sizeof(err));

	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, message);
}

static void
test_invalid_utf8_position(void **state)
{
	static const char text[] = "log:\n  level: info\ncapture:\n  burst: 3\xff" "2\n";

	(void)state;
	expect_error_bytes(text, sizeof(text) - 1,
			   "t.yaml:4:11: invalid YAML: invalid leading UTF-8 octet (0xff)");
}

static void
test_invalid_utf8_column_counts_characters(void **state)
{
	/* "é" is two bytes and one column. */
	static const char text[] = "capture:\n  ports:\n    - name: \"\xc3\xa9\xfe\"\n";

	(void)state;
	expect_error_bytes(text, sizeof(text) - 1,
			   "t.yaml:3:15: invalid YAML: invalid leading UTF-8 octet (0xfe)");
}

static void
test_nul_byte_position(void **state)
{
	static const char text[] = "log:\n  level: info\ncapture:\n  burst: 3\0" "2\n";

	(void)state;
	expect_error_bytes(text, sizeof(text) - 1,
			   "t.yaml:4:11: invalid YAML: control characters are not allowed (a NUL byte)");
}

static void
test_deep_nesting_rejected(void **state)
{
	static char text[400];

	(void)state;
	memcpy(text, "log: ", 5);
	memset(text + 5, '[', 100);
	expect_error(text,
		     "t.yaml:1:70: invalid YAML: collections nested deeper than 64 levels");
	/* Brackets in a quoted string or a comment do not count. */
	memset(text, 0, sizeof(text));
	strcpy(text, "# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"
		     "log: {level: info}\n");
	assert_int_equal(parse(text), 0);
}

/*
 * A capture file given as the configuration: its pcap header is not
 * UTF-8 at byte 1, and brackets more than 1 MiB further on nest deeper
 * than 64 levels. The first problem in the file is reported.
 */
static void
test_invalid_utf8_before_deep_nesting(void **state)
{
	static const unsigned char header[24] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
		0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0,
	};
	size_t filler = 1u << 20;
	size_t len = sizeof(header) + filler + 100;
	char *text = malloc(len);
	size_t i;

	(void)state;
	assert_non_null(text);
	memcpy(text, header, sizeof(header));
	for (i = 0; i < filler; i++)
		text[sizeof(header) + i] = (char)(0x80 + i % 0x80);
	memset(text + sizeof(header) + filler, '[', 100);
	expect_error_bytes(text, len,
			   "t.yaml:1:2: invalid YAML: invalid trailing UTF-8 octet (0xc3)");
	free(text);
}

/* A YAML error before collections nested too deeply is reported first. */
static void
test_yaml_error_before_deep_nesting(void **state)
{
	static const struct {
		const char *head;
		const char *message;
	} cases[] = {
		{ "log: {level: info} x\n",
		  "t.yaml:1:20: invalid YAML: did not find expected key while parsing a block mapping" },
		{ "log:\n  level: *nowhere\n",
		  "t.yaml:2:10: log.level: invalid YAML: found undefined alias" },
		{ "log: info\n---\nlog: \"a\xff\"\n",
		  "t.yaml:3:8: invalid YAML: invalid leading UTF-8 octet (0xff)" },
	};
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t used = (size_t)snprintf(text, sizeof(text), "%sx: ",
					       cases[i].head);

		memset(text + used, '[', 100);
		text[used + 100] = '\0';
		expect_error(text, cases[i].message);
	}
}

/*
 * The text before the bracket past the limit ends inside an open
 * collection, which is not an error in the file. A byte order mark, "é"
 * (two bytes, one character) and CRLF make libyaml's character count
 * differ from the byte count.
 */
static void
test_deep_nesting_after_multibyte_text(void **state)
{
	char text[256];

	(void)state;
	memset(text, 0, sizeof(text));
	strcpy(text, "\xef\xbb\xbfk: \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\r\nx: ");
	memset(text + strlen(text), '[', 100);
	expect_error(text,
		     "t.yaml:2:68: invalid YAML: collections nested deeper than 64 levels");
}

/* Collections nested too deeply before a bad byte are reported first. */
static void
test_deep_nesting_before_invalid_utf8(void **state)
{
	char text[256];

	(void)state;
	memset(text, 0, sizeof(text));
	memcpy(text, "log: ", 5);
	memset(text + 5, '[', 100);
	text[105] = '\xff';
	expect_error(text,
		     "t.yaml:1:70: invalid YAML: collections nested deeper than 64 levels");
}

static void
test_empty_file(void **state)
{
	(void)state;
	expect_error("", "t.yaml: the file is empty");
}

static void
test_two_documents_rejected(void **state)
{
	(void)state;
	expect_error("log: {level: info}\n---\nlog: {level: debug}\n",
		     "t.yaml:3:1: (top level): only one YAML document is allowed");
}

static void
test_load_missing_file(void **state)
{
	int rc;

	(void)state;
	rc = vg_config_load(&cfg, "/nonexistent/vigil.yaml", err,
			    sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_string_equal(err,
			    "/nonexistent/vigil.yaml: cannot open: No such file or directory");
}

static void
test_check_needs_a_port(void **state)
{
	(void)state;
	assert_int_equal(parse("log: {level: info}\n"), 0);
	assert_int_equal(vg_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml: capture.ports: at least one port is needed");
}

static void
test_check_rx_lcores_need_queues(void **state)
{
	(void)state;
	assert_int_equal(parse("capture:\n  ports: [{vdev: net_null0}]\n"
			       "lcores:\n  rx: [0, 0]\n"),
			 0);
	assert_int_equal(vg_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.yaml:4:7: lcores.rx: 2 rx lcores but the ports have 1 rx queue in all; each rx lcore needs a queue");
}

static void
test_plugins_section(void **state)
{
	(void)state;
	assert_int_equal(parse("plugins:\n  directories: [/tmp]\n  sandboxes: 2\n"
			       "  deadline_ms: 500\n  scripts:\n    blacklist: {enabled: false}\n"),
			 0);
	assert_int_equal(cfg.plugin_dir_count, 1);
	assert_string_equal(cfg.plugin_dirs[0], "/tmp");
	assert_int_equal(cfg.sandboxes, 2);
	assert_int_equal(cfg.sandbox_deadline_ms, 500);
	assert_string_equal(cfg.sandbox_user, "nobody");
}

/* The test runs from the build tree, so the bundled folders are the
 * source tree's (common/paths.h). */
static void
test_plugins_section_without_directories_uses_bundled(void **state)
{
	(void)state;
	assert_int_equal(parse("plugins:\n  sandboxes: 2\n"), 0);
	assert_int_equal(cfg.plugin_dir_count, 1);
	assert_string_equal(cfg.plugin_dirs[0], VG_SOURCE_ROOT "/plugins");
	assert_true(cfg.plugin_dirs_bundled);
}

static void
test_plugins_empty_directories_keep_plugins_off(void **state)
{
	(void)state;
	assert_int_equal(parse("plugins:\n  directories: []\n"), 0);
	assert_int_equal(cfg.plugin_dir_count, 0);
	assert_false(cfg.plugin_dirs_bundled);
}

/* An alerts file that no plugin would ever write is rejected at its key. */
static void
test_alerts_output_without_plugins(void **state)
{
	struct vg_config_report report = { 0 };

	(void)state;
	expect_error("plugins:\n  alerts_output: /tmp/a.jsonl\n  directories: []\n",
		     "t.yaml:2:18: plugins.alerts_output: no plugin runs, because directories is empty, so no alert would be written; list a plugin folder, or remove alerts_output");
	/* vigild --plugins DIR replaces the empty list */
	report.plugin_dirs_replaced = true;
	assert_int_equal(parse_with("plugins:\n  directories: []\n  alerts_output: /tmp/a.jsonl\n",
				    &report),
			 0);
	/* the bundled plugins run when directories is left out */
	assert_int_equal(parse("plugins:\n  alerts_output: /tmp/a.jsonl\n"),
			 0);
}

static void
test_no_plugins_section_no_plugins(void **state)
{
	(void)state;
	assert_int_equal(parse("log:\n  level: info\n"), 0);
	assert_int_equal(cfg.plugin_dir_count, 0);
	assert_false(cfg.plugin_dirs_bundled);
}

static void
test_static_dir_defaults_to_bundled_ui(void **state)
{
	(void)state;
	assert_int_equal(parse("log:\n  level: info\n"), 0);
	assert_string_equal(cfg.web.static_dir, VG_SOURCE_ROOT "/web/ui");
	assert_int_equal(cfg.web.static_dir_at.line, 0);
}

static void
test_static_dir_empty_turns_ui_off(void **state)
{
	(void)state;
	assert_int_equal(parse("web:\n  static_dir: \"\"\n"), 0);
	assert_string_equal(cfg.web.static_dir, "");
	assert_int_equal(cfg.web.static_dir_at.line, 2);
}

static void
test_plugin_directory_missing(void **state)
{
	(void)state;
	expect_error("plugins:\n  directories:\n    - /nonexistent/plugins\n",
		     "t.yaml:3:7: plugins.directories[0]: cannot read '/nonexistent/plugins': No such file or directory");
}

static void
test_plugin_script_settings_mapping(void **state)
{
	(void)state;
	expect_error("plugins:\n  scripts:\n    blacklist: true\n",
		     "t.yaml:3:16: plugins.scripts.blacklist: expected a mapping such as {enabled: true}, got a scalar");
}

static void
test_check_pci_needs_hugepages(void **state)
{
	(void)state;
	assert_int_equal(parse("capture:\n  ports: [{vdev: net_null0}, {pci: 0000:01:00.0}]\n"),
			 0);
	assert_int_equal(vg_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.yaml:2:36: capture.ports[1].pci: a PCI port needs memory.hugepages: true");
}

static void
test_is_local_matches_prefixes(void **state)
{
	static const uint8_t in4[4] = { 192, 168, 1, 77 };
	static const uint8_t out4[4] = { 192, 168, 2, 77 };
	static const uint8_t in6[16] = { 0xfd, 0x12 };
	static const uint8_t out6[16] = { 0xfe, 0x80 };
	static const uint8_t odd4[4] = { 10, 0x7f, 0, 1 };
	static const uint8_t odd4_out[4] = { 10, 0x80, 0, 1 };

	(void)state;
	assert_int_equal(parse("networks:\n  local: [192.168.1.0/24, \"fd00::/8\", 10.0.0.0/9]\n"),
			 0);
	assert_true(vg_config_is_local(&cfg, 4, in4));
	assert_false(vg_config_is_local(&cfg, 4, out4));
	assert_true(vg_config_is_local(&cfg, 6, in6));
	assert_false(vg_config_is_local(&cfg, 6, out6));
	assert_true(vg_config_is_local(&cfg, 4, odd4));
	assert_false(vg_config_is_local(&cfg, 4, odd4_out));
	/* An IPv4 network never matches an IPv6 address with the same bytes. */
	assert_false(vg_config_is_local(&cfg, 6, in4));
}

static void
test_web_listen_twice(void **state)
{
	(void)state;
	expect_error("web:\n  listen: [\"127.0.0.1:8443\", \"127.0.0.1:8443\"]\n",
		     "t.yaml:2:30: web.listen[1]: '127.0.0.1:8443' is listed twice (also listen[0])");
}

static void
test_web_listen_overlaps_wildcard(void **state)
{
	(void)state;
	expect_error("web:\n  listen: [\"0.0.0.0:8443\", \"127.0.0.1:8443\"]\n",
		     "t.yaml:2:28: web.listen[1]: '127.0.0.1:8443' overlaps listen[0] '0.0.0.0:8443': both bind port 8443");
	/* [::] is bound dual-stack, so it takes IPv4's port too. */
	expect_error("web:\n  listen: [\"[::]:8443\", \"10.0.0.1:8443\"]\n",
		     "t.yaml:2:25: web.listen[1]: '10.0.0.1:8443' overlaps listen[0] '[::]:8443': both bind port 8443");
}

static void
test_web_listen_empty(void **state)
{
	(void)state;
	expect_error("web:\n  listen: []\n",
		     "t.yaml:2:11: web.listen: the list is empty, so vigil-web would listen nowhere; give at least one ADDRESS:PORT such as 127.0.0.1:8443");
}

static void
test_web_listen_distinct_accepted(void **state)
{
	(void)state;
	assert_int_equal(parse("web:\n  listen: [\"127.0.0.1:8443\", \"[::1]:8443\", \"0.0.0.0:8444\", \"127.0.0.1:8445\"]\n"),
			 0);
	assert_int_equal(cfg.web.listen_count, 4);
}

static void
test_web_query_keys(void **state)
{
	(void)state;
	assert_int_equal(parse("web:\n  listen: [\"127.0.0.1:8443\"]\n"), 0);
	assert_int_equal(cfg.web.query_cache_ms, 1000);
	assert_int_equal(cfg.web.query_scan_mb_per_second, 1024);
	assert_int_equal(parse("web:\n  query_cache_ms: 0\n  query_scan_mb_per_second: 64\n"),
			 0);
	assert_int_equal(cfg.web.query_cache_ms, 0);
	assert_int_equal(cfg.web.query_scan_mb_per_second, 64);
	expect_error("web:\n  query_cache_ms: 60001\n",
		     "t.yaml:2:19: web.query_cache_ms: 60001 is out of range 0..60000");
	expect_error("web:\n  query_scan_mb_per_second: 0\n",
		     "t.yaml:2:29: web.query_scan_mb_per_second: 0 is out of range 1..1000000");
}

static void
test_web_check_static_dir_missing(void **state)
{
	(void)state;
	assert_int_equal(parse("web:\n  data_dir: /tmp\n  static_dir: /nonexistent/vigil-ui\n"),
			 0);
	assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.yaml:3:15: web.static_dir: cannot read '/nonexistent/vigil-ui': No such file or directory");
}

static void
test_web_check_certificate_missing(void **state)
{
	(void)state;
	assert_int_equal(parse("web:\n  data_dir: /tmp\n  tls_certificate: /nonexistent/c.pem\n  tls_key: /nonexistent/k.pem\n"),
			 0);
	assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.yaml:3:20: web.tls_certificate: cannot read '/nonexistent/c.pem': No such file or directory");
}

static void
test_web_check_data_dir_parents(void **state)
{
	char dir[64];
	char file[80];
	char text[256];
	FILE *f;

	(void)state;
	/* Missing levels below a writable folder can be created. */
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-config-%ld", (long)getpid());
	snprintf(text, sizeof(text), "web:\n  data_dir: %s/a/b/c\n", dir);
	assert_int_equal(parse(text), 0);
	assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)), 0);

	/* A file on the way cannot hold a folder. */
	snprintf(file, sizeof(file), "%s.file", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(text, sizeof(text), "web:\n  data_dir: %s/x\n", file);
	assert_int_equal(parse(text), 0);
	assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)), -EINVAL);
	snprintf(text, sizeof(text),
		 "t.yaml:2:13: web.data_dir: cannot create '%s/x': '%s' is not a directory",
		 file, file);
	assert_string_equal(err, text);
	unlink(file);
}

static void
test_string_with_nul_byte(void **state)
{
	(void)state;
	/* "\0" in a double-quoted YAML scalar is a NUL byte. */
	expect_error("web:\n  admin_password: \"a\\0bcdefghijkl\"\n",
		     "t.yaml:2:19: web.admin_password: contains a NUL byte; remove it");
	expect_error("flows:\n  output: \"/tmp/a\\0/flows.jsonl\"\n",
		     "t.yaml:2:11: flows.output: contains a NUL byte; remove it");
}

static void
test_web_check_static_dir_is_file(void **state)
{
	char file[64];
	char text[256];
	char message[512];
	FILE *f;

	(void)state;
	/* Mode 0644: access(X_OK) fails on it with EACCES. */
	snprintf(file, sizeof(file), "/tmp/vigil-test-static.%ld",
		 (long)getpid());
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(file, 0644), 0);
	snprintf(text, sizeof(text), "web:\n  data_dir: /tmp\n  static_dir: %s\n",
		 file);
	assert_int_equal(parse(text), 0);
	assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)), -EINVAL);
	snprintf(message, sizeof(message),
		 "t.yaml:3:15: web.static_dir: '%s' is a regular file, not a directory",
		 file);
	assert_string_equal(err, message);
	unlink(file);
}

/* The advice that ends each system folder warning. */
#define SYSTEM_FOLDER_ADVICE \
	"vigil-web serves static files without a login, so give a folder that contains only the web UI"

static void
test_web_static_dir_system_folder_warns(void **state)
{
	static const char *const folders[] = { "/etc", "/etc/", "/", "/root",
					       "/home" };
	char text[256];
	char warning[512];
	char message[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
		snprintf(text, sizeof(text), "web:\n  static_dir: %s\n",
			 folders[i]);
		assert_int_equal(parse(text), 0);
		assert_true(vg_config_web_static_dir_warning(&cfg, warning,
							     sizeof(warning)));
		snprintf(message, sizeof(message),
			 "t.yaml:2:15: web.static_dir: '%s' is a system folder; %s",
			 folders[i], SYSTEM_FOLDER_ADVICE);
		assert_string_equal(warning, message);
	}
}

static void
test_web_static_dir_link_to_system_folder_warns(void **state)
{
	char link[64];
	char text[256];
	char warning[512];
	char message[512];

	(void)state;
	snprintf(link, sizeof(link), "/tmp/vigil-test-etc-link.%ld",
		 (long)getpid());
	unlink(link);
	assert_int_equal(symlink("/etc", link), 0);
	snprintf(text, sizeof(text), "web:\n  static_dir: %s\n", link);
	assert_int_equal(parse(text), 0);
	assert_true(vg_config_web_static_dir_warning(&cfg, warning,
						     sizeof(warning)));
	snprintf(message, sizeof(message),
		 "t.yaml:2:15: web.static_dir: '%s' is the system folder '/etc'; %s",
		 link, SYSTEM_FOLDER_ADVICE);
	assert_string_equal(warning, message);
	unlink(link);
}

static void
test_web_static_dir_subfolder_no_warning(void **state)
{
	char warning[512];

	(void)state;
	/* A folder below a system folder is where installed UIs live. */
	assert_int_equal(parse("web:\n  static_dir: /usr/share\n"), 0);
	assert_false(vg_config_web_static_dir_warning(&cfg, warning,
						      sizeof(warning)));
	assert_string_equal(warning, "");
	assert_int_equal(parse("web:\n  static_dir: \"\"\n"), 0);
	assert_false(vg_config_web_static_dir_warning(&cfg, warning,
						      sizeof(warning)));
}

static void
test_web_check_data_dir_under_proc(void **state)
{
	struct findings found = { 0 };
	struct vg_config_report report =
		report_into(&found, VG_CONFIG_MACHINE_WARN);
	static const char message[] =
		"t.yaml:2:13: web.data_dir: '/proc/vigil' is under /proc, which is not for ordinary files; choose a path on a disk or tmpfs";

	(void)state;
	assert_int_equal(parse("web:\n  data_dir: /proc/vigil\n"), 0);
	assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, message);
	/* An error in --check-config too, not a warning about this machine. */
	assert_int_equal(vg_config_check_web(&cfg, &report, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, message);
	assert_int_equal(report.warnings, 0);
	assert_int_equal(found.count, 0);
	assert_int_equal(vg_config_check_web_data_dir(&cfg, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, message);

	assert_int_equal(parse("web:\n  data_dir: /sys/vigil-web\n"), 0);
	assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.yaml:2:13: web.data_dir: '/sys/vigil-web' is under /sys, which is not for ordinary files; choose a path on a disk or tmpfs");
}

static void
test_web_check_data_dir_is_a_device(void **state)
{
	(void)state;
	assert_int_equal(parse("web:\n  data_dir: /dev/null\n"), 0);
	assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.yaml:2:13: web.data_dir: '/dev/null' is a character device; give a directory");
}

static void
test_web_check_users_file(void **state)
{
	char dir[64];
	char users[80];
	char text[256];
	char message[512];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-web-data.%ld",
		 (long)getpid());
	snprintf(users, sizeof(users), "%s/users", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(text, sizeof(text), "web:\n  data_dir: %s\n", dir);
	assert_int_equal(parse(text), 0);

	/* A FIFO would block vigil-web's read of its users at start. */
	assert_int_equal(mkfifo(users, 0600), 0);
	assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)), -EINVAL);
	snprintf(message, sizeof(message),
		 "t.yaml:2:13: web.data_dir: '%s' is a FIFO; vigil-web keeps its users in a regular file of that name",
		 users);
	assert_string_equal(err, message);
	unlink(users);

	if (access("/proc/version", F_OK) == 0) {
		assert_int_equal(symlink("/proc/version", users), 0);
		assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)),
				 -EINVAL);
		snprintf(message, sizeof(message),
			 "t.yaml:2:13: web.data_dir: '%s' leads to '/proc/version', under /proc, which is not for ordinary files; choose a path on a disk or tmpfs",
			 users);
		assert_string_equal(err, message);
		unlink(users);
	}

	/* A regular users file is what vigil-web writes. */
	f = fopen(users, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(vg_config_check_web(&cfg, NULL, err, sizeof(err)), 0);
	unlink(users);
	rmdir(dir);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_when_file_sets_nothing),
		cmocka_unit_test(test_full_file_sets_every_key),
		cmocka_unit_test(test_idle_timeout_scalar_sets_all),
		cmocka_unit_test(test_tunnels_none_and_all),
		cmocka_unit_test(test_unknown_top_level_key),
		cmocka_unit_test(test_unknown_nested_key),
		cmocka_unit_test(test_wrong_type_string_for_integer),
		cmocka_unit_test(test_quoted_number_is_a_string),
		cmocka_unit_test(test_mapping_where_scalar_expected),
		cmocka_unit_test(test_negative_integer_rejected),
		cmocka_unit_test(test_negative_zero_is_zero),
		cmocka_unit_test(test_table_size_too_small),
		cmocka_unit_test(test_ring_size_power_of_two),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_port_with_two_sources),
		cmocka_unit_test(test_port_without_source),
		cmocka_unit_test(test_port_bad_pci_address),
		cmocka_unit_test(test_port_missing_capture_file),
		cmocka_unit_test(test_capture_file_one_queue),
		cmocka_unit_test(test_pace_only_for_files),
		cmocka_unit_test(test_interface_name_too_long),
		cmocka_unit_test(test_interface_not_found),
		cmocka_unit_test(test_output_is_directory),
		cmocka_unit_test(test_alerts_database_not_sqlite),
		cmocka_unit_test(test_alerts_database_sqlite_header),
		cmocka_unit_test(test_capture_file_is_directory),
		cmocka_unit_test(test_capture_file_not_pcap),
		cmocka_unit_test(test_capture_file_is_pipe),
		cmocka_unit_test(test_capture_file_too_short),
		cmocka_unit_test(test_capture_file_shorter_than_magic),
		cmocka_unit_test(test_capture_file_short_pcapng),
		cmocka_unit_test(test_vdev_rx_pcap_not_pcap),
		cmocka_unit_test(test_vdev_rx_pcap_arguments),
		cmocka_unit_test(test_port_name_twice),
		cmocka_unit_test(test_quoted_boolean),
		cmocka_unit_test(test_sandbox_user_not_found),
		cmocka_unit_test(test_sandbox_user_uid_0),
		cmocka_unit_test(test_sandbox_user_uid_0_before_directories),
		cmocka_unit_test(test_sandbox_user_uid_0_plugins_off),
		cmocka_unit_test(test_ndpi_file_binary),
		cmocka_unit_test(test_empty_port_list),
		cmocka_unit_test(test_unknown_tunnel),
		cmocka_unit_test(test_cpu_out_of_range),
		cmocka_unit_test(test_cpu_that_does_not_exist),
		cmocka_unit_test(test_bool_rejects_other_words),
		cmocka_unit_test(test_local_network_host_bits),
		cmocka_unit_test(test_local_network_bad_prefix),
		cmocka_unit_test(test_local_network_bad_address),
		cmocka_unit_test(test_missing_ndpi_file),
		cmocka_unit_test(test_ndpi_file_is_directory),
		cmocka_unit_test(test_output_directory_missing_is_accepted),
		cmocka_unit_test(test_output_directory_under_a_file),
		cmocka_unit_test(test_output_under_proc),
		cmocka_unit_test(test_output_under_sys),
		cmocka_unit_test(test_output_link_into_proc),
		cmocka_unit_test(test_output_on_devpts),
		cmocka_unit_test(test_ts_directory_under_sys),
		cmocka_unit_test(test_output_is_a_device),
		cmocka_unit_test(test_database_is_dev_null),
		cmocka_unit_test(test_output_fifo_and_dev_null_accepted),
		cmocka_unit_test(test_check_mode_rejects_proc_output),
		cmocka_unit_test(test_check_mode_warns_about_missing_cpu),
		cmocka_unit_test(test_check_mode_still_stops_on_file_errors),
		cmocka_unit_test(test_check_mode_notes_folders_to_create),
		cmocka_unit_test(test_check_mode_warns_about_missing_files),
		cmocka_unit_test(test_uid_0_warns_with_plugins_option),
		cmocka_unit_test(test_skip_mode_makes_no_machine_check),
		cmocka_unit_test(test_web_check_mode_warns),
		cmocka_unit_test(test_make_folders_creates_parents),
		cmocka_unit_test(test_make_folders_reports_failed_mkdir),
		cmocka_unit_test(test_bad_log_level),
		cmocka_unit_test(test_top_level_not_mapping),
		cmocka_unit_test(test_syntax_error_has_position),
		cmocka_unit_test(test_syntax_error_at_top_level),
		cmocka_unit_test(test_syntax_error_in_port_value),
		cmocka_unit_test(test_syntax_error_in_port_mapping),
		cmocka_unit_test(test_syntax_error_after_port),
		cmocka_unit_test(test_syntax_error_colon_in_continued_value),
		cmocka_unit_test(test_syntax_error_colon_after_second_key),
		cmocka_unit_test(test_syntax_error_colon_in_continued_item),
		cmocka_unit_test(test_syntax_error_tab_in_continued_value),
		cmocka_unit_test(test_undefined_alias_names_key),
		cmocka_unit_test(test_invalid_utf8_position),
		cmocka_unit_test(test_invalid_utf8_column_counts_characters),
		cmocka_unit_test(test_nul_byte_position),
		cmocka_unit_test(test_deep_nesting_rejected),
		cmocka_unit_test(test_invalid_utf8_before_deep_nesting),
		cmocka_unit_test(test_yaml_error_before_deep_nesting),
		cmocka_unit_test(test_deep_nesting_after_multibyte_text),
		cmocka_unit_test(test_deep_nesting_before_invalid_utf8),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_two_documents_rejected),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_check_needs_a_port),
		cmocka_unit_test(test_check_rx_lcores_need_queues),
		cmocka_unit_test(test_plugins_section),
		cmocka_unit_test(test_plugins_section_without_directories_uses_bundled),
		cmocka_unit_test(test_plugins_empty_directories_keep_plugins_off),
		cmocka_unit_test(test_alerts_output_without_plugins),
		cmocka_unit_test(test_no_plugins_section_no_plugins),
		cmocka_unit_test(test_static_dir_defaults_to_bundled_ui),
		cmocka_unit_test(test_static_dir_empty_turns_ui_off),
		cmocka_unit_test(test_plugin_directory_missing),
		cmocka_unit_test(test_plugin_script_settings_mapping),
		cmocka_unit_test(test_check_pci_needs_hugepages),
		cmocka_unit_test(test_is_local_matches_prefixes),
		cmocka_unit_test(test_web_listen_twice),
		cmocka_unit_test(test_web_listen_overlaps_wildcard),
		cmocka_unit_test(test_web_listen_empty),
		cmocka_unit_test(test_web_listen_distinct_accepted),
		cmocka_unit_test(test_web_query_keys),
		cmocka_unit_test(test_web_check_static_dir_missing),
		cmocka_unit_test(test_web_check_certificate_missing),
		cmocka_unit_test(test_web_check_data_dir_parents),
		cmocka_unit_test(test_string_with_nul_byte),
		cmocka_unit_test(test_web_check_static_dir_is_file),
		cmocka_unit_test(test_web_static_dir_system_folder_warns),
		cmocka_unit_test(test_web_static_dir_link_to_system_folder_warns),
		cmocka_unit_test(test_web_static_dir_subfolder_no_warning),
		cmocka_unit_test(test_web_check_data_dir_under_proc),
		cmocka_unit_test(test_web_check_data_dir_is_a_device),
		cmocka_unit_test(test_web_check_users_file),
		cmocka_unit_test(test_alias_expansion_rejected),
		cmocka_unit_test(test_alias_cycle_rejected),
		cmocka_unit_test(test_alias_used_once_accepted),
	};

	return cmocka_run_group_tests(tests, write_test_pcap, NULL);
}
