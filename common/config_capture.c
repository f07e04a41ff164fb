/*
 * The capture, lcores and memory sections of the configuration: the
 * ports (PCI addresses, vdevs, capture files, interfaces), the tunnels
 * decapsulated, the lcores' CPUs and the EAL memory. Capture files and
 * net_pcap vdevs are checked here as EAL's probe would read them, so that
 * a bad file stops vigild before EAL starts.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "capture/parse.h"
#include "common/config.h"
#include "common/config_loader.h"

/* ---- capture ---- */

static int
on_port_source(struct loader *ld, yaml_node_t *node, enum vg_port_kind kind)
{
	struct vg_port_config *port = &ld->cfg->ports[ld->cfg->port_count];
	int rc;

	if (port->kind != 0)
		return cfg_fail(
		    ld, node,
		    "a port takes exactly one of pci, vdev, pcap or interface");
	rc = cfg_get_string(ld, node, port->source, sizeof(port->source));
	if (rc != 0)
		return rc;
	port->kind = kind;
	cfg_set_mark(&port->at, node);
	return 0;
}

static int
on_port_pci(struct loader *ld, yaml_node_t *node, void *arg)
{
	unsigned int domain, bus, dev, fn;
	char tail;
	int rc;

	(void)arg;
	rc = on_port_source(ld, node, VG_PORT_PCI);
	if (rc != 0)
		return rc;
	if (sscanf(cfg_scalar_text(node), "%4x:%2x:%2x.%1u%c", &domain, &bus,
		   &dev, &fn, &tail) != 4 &&
	    sscanf(cfg_scalar_text(node), "%2x:%2x.%1u%c", &bus, &dev, &fn,
		   &tail) != 3)
		return cfg_fail(
		    ld, node,
		    "expected a PCI address such as 0000:01:00.0, got '%s'",
		    cfg_scalar_text(node));
	return 0;
}

int
vg_config_vdev_rx_pcap(const char *vdev, unsigned int index, char *path,
		       size_t len)
{
	const char *arg = strchr(vdev, ',');
	unsigned int seen = 0;

	if (strncmp(vdev, "net_pcap", 8) != 0)
		return 0;
	/* DPDK's kvargs: "name,key=value,key=value", no quoting. */
	while (arg != NULL) {
		size_t n;

		arg++;
		n = strcspn(arg, ",");
		if (strncmp(arg, "rx_pcap=", 8) == 0 && seen++ == index) {
			n -= 8;
			if (n >= len)
				return -1;
			memcpy(path, arg + 8, n);
			path[n] = '\0';
			return 1;
		}
		arg = strchr(arg, ',');
	}
	return 0;
}

static int
on_port_vdev(struct loader *ld, yaml_node_t *node, void *arg)
{
	char problem[VG_PATH_MAX + 128];
	char path[VG_PATH_MAX];
	unsigned int i;
	int found;
	int rc;

	(void)arg;
	rc = on_port_source(ld, node, VG_PORT_VDEV);
	if (rc != 0)
		return rc;
	/* The capture files a net_pcap vdev reads, one per rx_pcap= argument. */
	for (i = 0; (found = vg_config_vdev_rx_pcap(cfg_scalar_text(node), i,
						    path, sizeof(path))) != 0;
	     i++) {
		if (found < 0)
			return cfg_fail(
			    ld, node, "rx_pcap path %u is longer than %d bytes",
			    i, VG_PATH_MAX - 1);
		if (vg_config_check_capture_file(path, problem,
						 sizeof(problem)) != 0) {
			rc = cfg_machine_problem(ld, node, "%s", problem);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* Bytes of the smallest file header libpcap reads, by format. */
#define PCAP_HEADER_BYTES 24   /* pcap file header */
#define PCAPNG_HEADER_BYTES 28 /* pcapng section header block, no options */

int
vg_config_check_capture_file(const char *path, char *problem, size_t len)
{
	static const struct {
		uint32_t magic;   /* first 4 bytes, read big-endian */
		const char *format;
		size_t header;    /* bytes */
		const char *header_name;
	} formats[] = {
		/* pcap, microseconds, in either byte order */
		{ 0xa1b2c3d4, "pcap", PCAP_HEADER_BYTES, "pcap file header" },
		{ 0xd4c3b2a1, "pcap", PCAP_HEADER_BYTES, "pcap file header" },
		/* pcap, nanoseconds */
		{ 0xa1b23c4d, "pcap", PCAP_HEADER_BYTES, "pcap file header" },
		{ 0x4d3cb2a1, "pcap", PCAP_HEADER_BYTES, "pcap file header" },
		{ 0x0a0d0d0a, "pcapng", PCAPNG_HEADER_BYTES,
		  "pcapng section header block" },
	};
	unsigned char head[PCAPNG_HEADER_BYTES];
	struct stat st;
	uint32_t magic;
	size_t got;
	size_t i;
	FILE *f;

	if (stat(path, &st) != 0) {
		snprintf(problem, len, "cannot read '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(problem, len, "'%s' is a %s, not a capture file (pipes and devices cannot be read)",
			 path, S_ISDIR(st.st_mode) ? "directory" :
			       S_ISFIFO(st.st_mode) ? "pipe" : "special file");
		return -1;
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(problem, len, "cannot read '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	got = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (got < 4) {
		snprintf(problem, len, "'%s' is too short for a pcap header: %zu bytes, less than the %d-byte pcap file header",
			 path, got, PCAP_HEADER_BYTES);
		return -1;
	}
	magic = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
		(uint32_t)head[2] << 8 | head[3];
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (magic != formats[i].magic)
			continue;
		if (got < formats[i].header) {
			snprintf(problem, len, "'%s' is too short for a %s header: %zu bytes, less than the %zu-byte %s",
				 path, formats[i].format, got, formats[i].header,
				 formats[i].header_name);
			return -1;
		}
		return 0;
	}
	snprintf(problem, len, "'%s' is not a pcap or pcapng file (it starts with %02x %02x %02x %02x)",
		 path, head[0], head[1], head[2], head[3]);
	return -1;
}

static int
on_port_pcap(struct loader *ld, yaml_node_t *node, void *arg)
{
	char problem[VG_PATH_MAX + 128];
	int rc;

	(void)arg;
	rc = on_port_source(ld, node, VG_PORT_PCAP);
	if (rc != 0)
		return rc;
	if (vg_config_check_capture_file(cfg_scalar_text(node), problem,
					 sizeof(problem)) != 0)
		return cfg_machine_problem(ld, node, "%s", problem);
	return 0;
}

static int
on_port_iface(struct loader *ld, yaml_node_t *node, void *arg)
{
	const char *text;
	size_t i;
	int rc;

	(void)arg;
	rc = on_port_source(ld, node, VG_PORT_IFACE);
	if (rc != 0)
		return rc;
	/* Kernel names are at most IFNAMSIZ - 1 (15) bytes, no '/' or ','. */
	text = cfg_scalar_text(node);
	if (strlen(text) > 15)
		return cfg_fail(
		    ld, node,
		    "interface name '%s' is longer than 15 characters", text);
	for (i = 0; text[i]; i++) {
		if (text[i] == '/' || text[i] == ',' || text[i] == ' ')
			return cfg_fail(ld, node, "invalid interface name '%s'",
					text);
	}
	if (if_nametoindex(text) == 0)
		return cfg_machine_problem(
		    ld, node, "interface '%s' not found on this machine", text);
	return 0;
}

static int
on_port_name(struct loader *ld, yaml_node_t *node, void *arg)
{
	struct vg_port_config *port = &ld->cfg->ports[ld->cfg->port_count];

	(void)arg;
	return cfg_get_string(ld, node, port->name, sizeof(port->name));
}

static int
on_port_queues(struct loader *ld, yaml_node_t *node, void *arg)
{
	struct vg_port_config *port = &ld->cfg->ports[ld->cfg->port_count];
	unsigned long long v = 0;
	int rc;

	(void)arg;
	rc = cfg_get_uint(ld, node, 1, 16, &v);
	if (rc == 0)
		port->rx_queues = (uint16_t)v;
	return rc;
}

static int
on_port_pace(struct loader *ld, yaml_node_t *node, void *arg)
{
	struct vg_port_config *port = &ld->cfg->ports[ld->cfg->port_count];

	(void)arg;
	return cfg_get_bool(ld, node, &port->pace);
}

static int
on_port(struct loader *ld, yaml_node_t *node, size_t index)
{
	static const struct key_spec specs[] = {
		{ "pci", on_port_pci, NULL },
		{ "vdev", on_port_vdev, NULL },
		{ "pcap", on_port_pcap, NULL },
		{ "interface", on_port_iface, NULL },
		{ "name", on_port_name, NULL },
		{ "rx_queues", on_port_queues, NULL },
		{ "pace", on_port_pace, NULL },
	};
	struct vg_port_config *port = &ld->cfg->ports[index];
	size_t i;
	int rc;

	memset(port, 0, sizeof(*port));
	port->rx_queues = 1;
	rc =
	    cfg_walk_mapping(ld, node, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc != 0)
		return rc;
	if (port->kind == 0)
		return cfg_fail(
		    ld, node,
		    "a port needs one of pci, vdev, pcap or interface");
	if (port->kind == VG_PORT_PCAP && port->rx_queues != 1)
		return cfg_fail(ld, node,
				"a capture file has exactly one rx queue, got "
				"rx_queues: %u",
				port->rx_queues);
	if (port->pace && port->kind != VG_PORT_PCAP)
		return cfg_fail(ld, node, "pace applies to capture files only");
	if (port->name[0] == '\0')
		snprintf(port->name, sizeof(port->name), "port%zu", index);
	/* Names label counters and timeseries folders: two would mix. */
	for (i = 0; i < index; i++) {
		if (strcmp(ld->cfg->ports[i].name, port->name) == 0)
			return cfg_fail(
			    ld, node,
			    "port name '%s' is used twice (ports %zu and %zu)",
			    port->name, i, index);
	}
	ld->cfg->port_count = (unsigned int)index + 1;
	return 0;
}

static int
on_ports(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	ld->cfg->port_count = 0;
	if (node->type == YAML_SEQUENCE_NODE &&
	    node->data.sequence.items.start == node->data.sequence.items.top)
		return cfg_fail(ld, node, "at least one port is needed");
	return cfg_walk_sequence(ld, node, VG_MAX_PORTS, on_port);
}

static const struct {
	const char *name;
	uint32_t bit;
} tunnel_names[] = {
	{ "ipip", VG_TUNNEL_IPIP },   { "gre", VG_TUNNEL_GRE },
	{ "vxlan", VG_TUNNEL_VXLAN }, { "gtpu", VG_TUNNEL_GTPU },
	{ "tzsp", VG_TUNNEL_TZSP },   { "capwap", VG_TUNNEL_CAPWAP },
};

static int
on_tunnel(struct loader *ld, yaml_node_t *node, size_t index)
{
	size_t i;

	(void)index;
	if (node->type == YAML_SCALAR_NODE) {
		for (i = 0; i < sizeof(tunnel_names) / sizeof(tunnel_names[0]);
		     i++) {
			if (strcmp(cfg_scalar_text(node),
				   tunnel_names[i].name) == 0) {
				ld->cfg->tunnels |= tunnel_names[i].bit;
				return 0;
			}
		}
	}
	return cfg_fail(ld, node,
			"unknown tunnel %s (expected ipip, gre, vxlan, gtpu, "
			"tzsp or capwap)",
			node->type == YAML_SCALAR_NODE ? cfg_scalar_text(node)
						       : cfg_node_kind(node));
}

/* "all", "none" or a list of tunnel names to open. */
static int
on_tunnels(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	if (node->type == YAML_SCALAR_NODE) {
		if (strcmp(cfg_scalar_text(node), "all") == 0) {
			ld->cfg->tunnels = VG_TUNNEL_ALL;
			return 0;
		}
		if (strcmp(cfg_scalar_text(node), "none") == 0) {
			ld->cfg->tunnels = 0;
			return 0;
		}
		return cfg_fail(
		    ld, node,
		    "expected all, none or a list of tunnel names, got '%s'",
		    cfg_scalar_text(node));
	}
	ld->cfg->tunnels = 0;
	return cfg_walk_sequence(ld, node, 16, on_tunnel);
}

UINT_FIELD(burst_field, burst, 1, 512);

static int
on_ring_size(struct loader *ld, yaml_node_t *node, void *arg)
{
	unsigned long long v = 0;
	int rc;

	(void)arg;
	rc = cfg_get_uint(ld, node, 64, 1u << 20, &v);
	if (rc != 0)
		return rc;
	if (v & (v - 1))
		return cfg_fail(ld, node, "must be a power of two, got %llu",
				v);
	ld->cfg->ring_size = (uint32_t)v;
	return 0;
}

int
cfg_on_capture(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
	    {"ports", on_ports, NULL},
	    {"tunnels", on_tunnels, NULL},
	    {"burst", cfg_on_uint, &burst_field},
	    {"ring_size", on_ring_size, NULL},
	};

	(void)arg;
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

/* ---- lcores ---- */

long
cfg_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? n : 1;
}

static int
get_cpu(struct loader *ld, yaml_node_t *node, unsigned int *out)
{
	unsigned long long v = 0;
	int rc;

	rc = cfg_get_uint(ld, node, 0, MAX_CPU, &v);
	if (rc != 0)
		return rc;
	*out = (unsigned int)v;
	if ((long)v >= cfg_cpu_count())
		return cfg_machine_problem(
		    ld, node,
		    "CPU %llu does not exist (this machine has CPUs 0..%ld)", v,
		    cfg_cpu_count() - 1);
	return 0;
}

static int
on_control_cpu(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	return get_cpu(ld, node, &ld->cfg->control_cpu);
}

static int
on_rx_cpu(struct loader *ld, yaml_node_t *node, size_t index)
{
	ld->cfg->rx_lcore_count = (unsigned int)index + 1;
	return get_cpu(ld, node, &ld->cfg->rx_cpus[index]);
}

static int
on_engine_cpu(struct loader *ld, yaml_node_t *node, size_t index)
{
	ld->cfg->engine_lcore_count = (unsigned int)index + 1;
	return get_cpu(ld, node, &ld->cfg->engine_cpus[index]);
}

static int
on_cpu_list(struct loader *ld, yaml_node_t *node, void *arg)
{
	bool rx = arg != NULL;
	int rc;

	if (node->type == YAML_SEQUENCE_NODE &&
	    node->data.sequence.items.start == node->data.sequence.items.top)
		return cfg_fail(ld, node, "at least one CPU is needed");
	if (rx) {
		cfg_set_mark(&ld->cfg->rx_lcores_at, node);
		rc = cfg_walk_sequence(ld, node, VG_MAX_LCORES, on_rx_cpu);
	} else {
		rc = cfg_walk_sequence(ld, node, VG_MAX_LCORES, on_engine_cpu);
	}
	return rc;
}

int
cfg_on_lcores(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
		{ "control", on_control_cpu, NULL },
		{ "rx", on_cpu_list, (void *)1 },
		{ "engine", on_cpu_list, NULL },
	};

	(void)arg;
	cfg_set_mark(&ld->cfg->lcores_at, node);
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

/* ---- memory ---- */

static int
on_hugepages(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	cfg_set_mark(&ld->cfg->hugepages_at, node);
	return cfg_get_bool(ld, node, &ld->cfg->hugepages);
}

UINT_FIELD(mbufs_field, mbufs, 1023, 1u << 24);

static int
on_mbufs(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	cfg_set_mark(&ld->cfg->mbufs_at, node);
	return cfg_on_uint(ld, node, (void *)&mbufs_field);
}
UINT_FIELD(memory_field, memory_mb, 64, 1u << 20);

static int
on_memory_mb(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	cfg_set_mark(&ld->cfg->memory_mb_at, node);
	return cfg_on_uint(ld, node, (void *)&memory_field);
}

int
cfg_on_memory(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
		{ "hugepages", on_hugepages, NULL },
		{ "mbufs", on_mbufs, NULL },
		{ "size_mb", on_memory_mb, NULL },
	};

	(void)arg;
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}
