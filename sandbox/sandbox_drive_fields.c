/*
 * The input format of vigil-sandbox-drive: the KEY=VALUE words of the
 * flow and snapshot commands, written into the protobuf-c messages
 * vigild would send. Each message type has a table naming its fields,
 * their types and their offsets, so one setter fills every message and
 * a new field of a known type needs one line in its table.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/sandbox_drive.h"

#define K(type_, name_, t_, m_) { name_, t_, offsetof(type_, m_), 0 }
#define KL(type_, name_, n_, m_) \
	{ name_, T_LIST, offsetof(type_, n_), offsetof(type_, m_) }

#define FE Vigil__V1__FlowEvent
const struct drive_key drive_flow_keys[] = {
	K(FE, "hook", T_HOOK, hook),
	K(FE, "id", T_U64, flow_id),
	K(FE, "l4", T_L4, l4_proto),
	K(FE, "client_ip", T_IP, client_ip),
	K(FE, "client_port", T_U32, client_port),
	K(FE, "server_ip", T_IP, server_ip),
	K(FE, "server_port", T_U32, server_port),
	K(FE, "vlan", T_U32, vlan),
	K(FE, "l7", T_STR, l7),
	K(FE, "l7_master", T_STR, l7_master),
	K(FE, "l7_app", T_STR, l7_app),
	K(FE, "master_proto", T_U32, master_proto),
	K(FE, "app_proto", T_U32, app_proto),
	K(FE, "category", T_STR, category),
	K(FE, "confidence", T_STR, confidence),
	K(FE, "c2s_packets", T_U64, c2s_packets),
	K(FE, "c2s_bytes", T_U64, c2s_bytes),
	K(FE, "s2c_packets", T_U64, s2c_packets),
	K(FE, "s2c_bytes", T_U64, s2c_bytes),
	K(FE, "first_seen_us", T_U64, first_seen_us),
	K(FE, "last_seen_us", T_U64, last_seen_us),
	K(FE, "server_name", T_STR, server_name),
	K(FE, "ja3_client", T_STR, ja3_client),
	KL(FE, "risks", n_risks, risks),
	K(FE, "c2s_tcp_flags", T_U32, c2s_tcp_flags),
	K(FE, "s2c_tcp_flags", T_U32, s2c_tcp_flags),
	K(FE, "retransmissions", T_U32, retransmissions),
	K(FE, "out_of_order", T_U32, out_of_order),
	K(FE, "zero_windows", T_U32, zero_windows),
	K(FE, "rtt_us", T_U32, rtt_us),
	K(FE, "swapped", T_BOOL, swapped),
	K(FE, "partial", T_BOOL, partial),
	K(FE, "score", T_U32, score),
	KL(FE, "statuses", n_statuses, statuses),
	K(FE, "client_local", T_BOOL, client_local),
	K(FE, "server_local", T_BOOL, server_local),
	{ NULL, 0, 0, 0 },
};
#undef FE

#define HS Vigil__V1__HostSnapshot
const struct drive_key drive_host_keys[] = {
	K(HS, "ip", T_IP, ip),
	K(HS, "vlan", T_U32, vlan),
	K(HS, "local", T_BOOL, local),
	K(HS, "bytes_sent", T_U64, bytes_sent),
	K(HS, "bytes_rcvd", T_U64, bytes_rcvd),
	K(HS, "packets_sent", T_U64, packets_sent),
	K(HS, "packets_rcvd", T_U64, packets_rcvd),
	K(HS, "flows_as_client", T_U32, flows_as_client),
	K(HS, "flows_as_server", T_U32, flows_as_server),
	K(HS, "total_flows_as_client", T_U64, total_flows_as_client),
	K(HS, "total_flows_as_server", T_U64, total_flows_as_server),
	K(HS, "score", T_U32, score),
	K(HS, "first_seen_us", T_U64, first_seen_us),
	K(HS, "last_seen_us", T_U64, last_seen_us),
	K(HS, "dns_bytes", T_U64, dns_bytes),
	K(HS, "p2p_bytes", T_U64, p2p_bytes),
	K(HS, "syn_sent", T_U32, syn_sent),
	K(HS, "syn_rcvd", T_U32, syn_rcvd),
	{ NULL, 0, 0, 0 },
};
#undef HS

#define IS Vigil__V1__InterfaceSnapshot
const struct drive_key drive_interface_keys[] = {
	K(IS, "name", T_STR, name),
	K(IS, "packets", T_U64, packets),
	K(IS, "bytes", T_U64, bytes),
	K(IS, "imissed", T_U64, imissed),
	K(IS, "ring_full", T_U64, ring_full),
	K(IS, "active_flows", T_U32, active_flows),
	K(IS, "active_hosts", T_U32, active_hosts),
	K(IS, "flows_table_full", T_U64, flows_table_full),
	K(IS, "flows_capacity", T_U32, flows_capacity),
	K(IS, "hosts_capacity", T_U32, hosts_capacity),
	K(IS, "hosts_table_full", T_U64, hosts_table_full),
	{ NULL, 0, 0, 0 },
};
#undef IS

#define NS Vigil__V1__NetworkSnapshot
const struct drive_key drive_network_keys[] = {
	K(NS, "cidr", T_STR, cidr),
	K(NS, "bytes_in", T_U64, bytes_in),
	K(NS, "bytes_out", T_U64, bytes_out),
	K(NS, "bytes_inside", T_U64, bytes_inside),
	K(NS, "flows_in", T_U64, flows_in),
	K(NS, "flows_out", T_U64, flows_out),
	{ NULL, 0, 0, 0 },
};
#undef NS

#define SS Vigil__V1__SystemSnapshot
const struct drive_key drive_system_keys[] = {
	K(SS, "uptime_s", T_U64, uptime_s),
	K(SS, "rss_bytes", T_U64, rss_bytes),
	K(SS, "events_lost", T_U64, events_lost),
	K(SS, "disk_free_ratio", T_DOUBLE, disk_free_ratio),
	K(SS, "disk_total_bytes", T_U64, disk_total_bytes),
	{ NULL, 0, 0, 0 },
};
#undef SS

int
drive_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in place; returns the decoded length. */
static size_t
percent_decode(char *s)
{
	char *w = s;
	char *r = s;

	while (*r) {
		if (r[0] == '%' && drive_hexval(r[1]) >= 0 &&
		    drive_hexval(r[2]) >= 0) {
			*w++ = (char)(drive_hexval(r[1]) * 16 +
				      drive_hexval(r[2]));
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static int
parse_hook(const char *v)
{
	static const char *const names[] = { "", "protocolDetected",
					     "statusChanged", "periodicUpdate",
					     "flowEnd" };
	int i;

	for (i = 1; i < 5; i++) {
		if (strcmp(v, names[i]) == 0)
			return i;
	}
	return atoi(v);
}

static int
set_field(void *msg, const struct drive_key *keys, const char *name,
	  char *value)
{
	const struct drive_key *k;
	char *base = msg;

	for (k = keys; k->name != NULL; k++) {
		if (strcmp(k->name, name) == 0)
			break;
	}
	if (k->name == NULL)
		return -1;
	switch (k->type) {
	case T_U32:
		*(uint32_t *)(base + k->off) = (uint32_t)strtoul(value, NULL, 0);
		break;
	case T_U64:
		*(uint64_t *)(base + k->off) = strtoull(value, NULL, 0);
		break;
	case T_BOOL:
		*(protobuf_c_boolean *)(base + k->off) =
			strcmp(value, "1") == 0 || strcmp(value, "true") == 0;
		break;
	case T_DOUBLE:
		*(double *)(base + k->off) = strtod(value, NULL);
		break;
	case T_HOOK:
		*(uint32_t *)(base + k->off) = (uint32_t)parse_hook(value);
		break;
	case T_L4:
		*(uint32_t *)(base + k->off) =
			strcmp(value, "TCP") == 0 ? 6 :
			strcmp(value, "UDP") == 0 ? 17 :
			strcmp(value, "ICMP") == 0 ? 1 :
						     (uint32_t)strtoul(value, NULL,
								       0);
		break;
	case T_STR: {
		size_t len = percent_decode(value);
		char *copy = malloc(len + 1);

		if (copy == NULL)
			return -1;
		memcpy(copy, value, len + 1);
		*(char **)(base + k->off) = copy;
		break;
	}
	case T_IP: {
		ProtobufCBinaryData *ip = (ProtobufCBinaryData *)(base + k->off);
		uint8_t addr[16];

		if (inet_pton(AF_INET, value, addr) == 1)
			ip->len = 4;
		else if (inet_pton(AF_INET6, value, addr) == 1)
			ip->len = 16;
		else
			return -1;
		ip->data = malloc(ip->len);
		if (ip->data == NULL)
			return -1;
		memcpy(ip->data, addr, ip->len);
		break;
	}
	case T_LIST: {
		size_t *n = (size_t *)(base + k->off);
		char ***items = (char ***)(base + k->off2);
		char *save = NULL;
		char *tok;

		for (tok = strtok_r(value, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			char **grown = realloc(*items, (*n + 1) * sizeof(char *));

			if (grown == NULL)
				return -1;
			*items = grown;
			percent_decode(tok);
			(*items)[(*n)++] = strdup(tok);
		}
		break;
	}
	}
	return 0;
}

/* Command arguments that are not message fields. */
static bool
reserved(const char *key)
{
	return strcmp(key, "engine") == 0 || strcmp(key, "control") == 0 ||
	       strcmp(key, "n") == 0 || strcmp(key, "batch") == 0;
}

int
drive_fill(void *msg, const struct drive_key *keys, char **argv, int argc,
	   struct drive *d)
{
	int i;

	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		if (!reserved(argv[i])) {
			char *value = strdup(eq + 1);
			int rc = value ? set_field(msg, keys, argv[i], value) : -1;

			free(value);
			if (rc != 0) {
				drive_error(d, "unknown or invalid field '%s'",
					    argv[i]);
				*eq = '=';
				return -1;
			}
		}
		*eq = '=';
	}
	return 0;
}
