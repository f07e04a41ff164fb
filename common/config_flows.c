/*
 * The flows, networks, ndpi and control sections of the configuration:
 * flow table size and timeouts, the flow records file, the local
 * networks, the nDPI list files and the control socket. The lookup of
 * whether an address is local (vg_config_is_local()) is here too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/config.h"
#include "common/config_loader.h"

/* ---- flows ---- */

UINT_FIELD(idle_tcp_field, idle_timeout_tcp, 1, MAX_TIMEOUT);
UINT_FIELD(idle_udp_field, idle_timeout_udp, 1, MAX_TIMEOUT);
UINT_FIELD(idle_icmp_field, idle_timeout_icmp, 1, MAX_TIMEOUT);
UINT_FIELD(idle_other_field, idle_timeout_other, 1, MAX_TIMEOUT);
UINT_FIELD(active_field, active_timeout, 0, MAX_TIMEOUT);
UINT_FIELD(detect_tcp_field, detection_packets_tcp, 1, 1000);
UINT_FIELD(detect_udp_field, detection_packets_udp, 1, 1000);
UINT_FIELD(periodic_field, periodic_update, 0, 86400);

static int
on_table_size(struct loader *ld, yaml_node_t *node, void *arg)
{
	unsigned long long v = 0;
	int rc;

	(void)arg;
	/* The table indexes slots with 26 bits (engine/flow_table.h). */
	rc = cfg_get_uint(ld, node, 1024, 1u << 26, &v);
	if (rc == 0)
		ld->cfg->flow_table_size = (uint32_t)v;
	cfg_set_mark(&ld->cfg->flow_table_size_at, node);
	return rc;
}

static int
on_idle_timeout(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
	    {"tcp", cfg_on_uint, &idle_tcp_field},
	    {"udp", cfg_on_uint, &idle_udp_field},
	    {"icmp", cfg_on_uint, &idle_icmp_field},
	    {"other", cfg_on_uint, &idle_other_field},
	};
	unsigned long long v = 0;
	int rc;

	(void)arg;
	if (node->type != YAML_SCALAR_NODE)
		return cfg_walk_mapping(ld, node, specs,
					sizeof(specs) / sizeof(specs[0]));
	/* One number sets every protocol. */
	rc = cfg_get_uint(ld, node, 1, MAX_TIMEOUT, &v);
	if (rc != 0)
		return rc;
	ld->cfg->idle_timeout_tcp = (uint32_t)v;
	ld->cfg->idle_timeout_udp = (uint32_t)v;
	ld->cfg->idle_timeout_icmp = (uint32_t)v;
	ld->cfg->idle_timeout_other = (uint32_t)v;
	return 0;
}

static int
on_detection_packets(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
	    {"tcp", cfg_on_uint, &detect_tcp_field},
	    {"udp", cfg_on_uint, &detect_udp_field},
	};

	(void)arg;
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

OUTPUT_FIELD(flow_output_field, flow_output, VG_OUTPUT_RECORDS);

int
cfg_on_flows(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
	    {"table_size", on_table_size, NULL},
	    {"idle_timeout", on_idle_timeout, NULL},
	    {"active_timeout", cfg_on_uint, &active_field},
	    {"detection_packets", on_detection_packets, NULL},
	    {"output", cfg_on_output_file, (void *)&flow_output_field},
	    {"periodic_update", cfg_on_uint, &periodic_field},
	};

	(void)arg;
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

/* ---- networks ---- */

/*
 * Parses "ADDR/LEN" into <net>. Host bits must be zero: 10.1.2.3/8 is
 * almost always a typo for a host route or for 10.0.0.0/8.
 */
static int
parse_cidr(const char *text, struct vg_local_net *net, const char **problem)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	char *end;
	unsigned long len;
	unsigned int max;
	unsigned int i;

	if (slash == NULL || (size_t)(slash - text) >= sizeof(addr)) {
		*problem = "expected ADDRESS/PREFIX";
		return -EINVAL;
	}
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET, addr, net->addr) == 1) {
		net->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, net->addr) == 1) {
		net->family = 6;
		max = 128;
	} else {
		*problem = "invalid address";
		return -EINVAL;
	}
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || len > max) {
		*problem = "invalid prefix length";
		return -EINVAL;
	}
	net->prefix_len = (uint8_t)len;
	for (i = len; i < max; i++) {
		if (net->addr[i / 8] & (0x80 >> (i % 8))) {
			*problem = "host bits are set after the prefix";
			return -EINVAL;
		}
	}
	return 0;
}

static int
on_local_net(struct loader *ld, yaml_node_t *node, size_t index)
{
	const char *problem = NULL;

	if (node->type != YAML_SCALAR_NODE)
		return cfg_fail(ld, node,
				"expected a network such as 10.0.0.0/8, got %s",
				cfg_node_kind(node));
	if (parse_cidr(cfg_scalar_text(node), &ld->cfg->local_nets[index],
		       &problem) != 0)
		return cfg_fail(ld, node, "'%s': %s", cfg_scalar_text(node),
				problem);
	ld->cfg->local_net_count = (unsigned int)index + 1;
	return 0;
}

static int
on_local_nets(struct loader *ld, yaml_node_t *node, void *arg)
{
	(void)arg;
	ld->cfg->local_net_count = 0;
	return cfg_walk_sequence(ld, node, VG_MAX_LOCAL_NETS, on_local_net);
}

int
cfg_on_networks(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
		{ "local", on_local_nets, NULL },
	};

	(void)arg;
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

/* ---- ndpi ---- */

int
cfg_on_ndpi(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
	    {"protocols", cfg_on_input_file, CFG_OFFSET(ndpi_protos)},
	    {"categories", cfg_on_input_file, CFG_OFFSET(ndpi_categories)},
	    {"risky_domains", cfg_on_input_file,
	     CFG_OFFSET(ndpi_risky_domains)},
	    {"ja3", cfg_on_input_file, CFG_OFFSET(ndpi_ja3)},
	    {"sha1", cfg_on_input_file, CFG_OFFSET(ndpi_sha1)},
	};

	(void)arg;
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

/* ---- control ---- */

/* A Unix socket path must fit sockaddr_un.sun_path (108 bytes on Linux). */
static int
on_control_socket(struct loader *ld, yaml_node_t *node, void *arg)
{
	int rc = cfg_on_output_file(ld, node, arg);

	if (rc == 0 && strlen(ld->cfg->control_socket) >= 108)
		return cfg_fail(
		    ld, node,
		    "a socket path must be shorter than 108 bytes, got %zu",
		    strlen(ld->cfg->control_socket));
	return rc;
}

OUTPUT_FIELD(control_socket_field, control_socket, VG_OUTPUT_SOCKET);

int
cfg_on_control(struct loader *ld, yaml_node_t *node, void *arg)
{
	static const struct key_spec specs[] = {
		{ "socket", on_control_socket, (void *)&control_socket_field },
	};

	(void)arg;
	return cfg_walk_mapping(ld, node, specs,
				sizeof(specs) / sizeof(specs[0]));
}

int
vg_config_check_text_file(const char *path, char *problem, size_t len)
{
	unsigned char buf[65536];
	uint64_t offset = 0;
	FILE *file = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (file == NULL) {
		rc = -errno;
		snprintf(problem, len, "%s", strerror(errno));
		return rc;
	}
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), file)) > 0) {
		size_t i;

		for (i = 0; i < n; i++) {
			unsigned char c = buf[i];

			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
				snprintf(problem, len, "byte %llu is 0x%02x",
					 (unsigned long long)(offset + i), c);
				rc = -EINVAL;
				break;
			}
		}
		offset += n;
	}
	fclose(file);
	return rc;
}

int
vg_config_local_net(const struct vg_config *cfg, int family,
		    const uint8_t *addr)
{
	unsigned int i;

	for (i = 0; i < cfg->local_net_count; i++) {
		const struct vg_local_net *net = &cfg->local_nets[i];
		unsigned int full = net->prefix_len / 8;
		unsigned int rest = net->prefix_len % 8;

		if (net->family != family)
			continue;
		if (memcmp(net->addr, addr, full) != 0)
			continue;
		if (rest == 0 ||
		    ((net->addr[full] ^ addr[full]) & (0xff00 >> rest)) == 0)
			return (int)i;
	}
	return -1;
}

bool
vg_config_is_local(const struct vg_config *cfg, int family,
		   const uint8_t *addr)
{
	return vg_config_local_net(cfg, family, addr) >= 0;
}
