/*
 * Flow records as JSON Lines.
 *
 * A record is formatted into a caller's buffer with no allocation. Strings
 * that came from traffic (server names) can hold any bytes: valid UTF-8 is
 * kept, control characters, quotes and backslashes are escaped, and each
 * byte of an invalid sequence becomes \u00XX, so every line is valid JSON
 * whatever the packets held.
 *
 * Nothing in a record depends on which engine lcore held the flow or when
 * the expiry scan ran, so the same capture gives the same records (after
 * sorting) with any number of engine lcores.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "common/utf8.h"
#include "engine.h"
#include "events.h"

struct out {
	char *buf;
	size_t len;
	size_t used;
	bool overflow;
};

static void
put(struct out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (out->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out->buf + out->used, out->len - out->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= out->len - out->used) {
		out->overflow = true;
		return;
	}
	out->used += (size_t)n;
}

static void
put_string(struct out *out, const char *key, const char *value)
{
	const uint8_t *s = (const uint8_t *)value;
	size_t avail = strlen(value);

	put(out, "\"%s\":\"", key);
	while (avail > 0 && !out->overflow) {
		size_t seq = vg_utf8_sequence(s, avail);

		if (seq == 0) {
			put(out, "\\u%04x", s[0]);
			seq = 1;
		} else if (seq > 1) {
			put(out, "%.*s", (int)seq, (const char *)s);
		} else if (s[0] == '"' || s[0] == '\\') {
			put(out, "\\%c", s[0]);
		} else if (s[0] < 0x20 || s[0] == 0x7f) {
			put(out, "\\u%04x", s[0]);
		} else {
			put(out, "%c", s[0]);
		}
		s += seq;
		avail -= seq;
	}
	put(out, "\",");
}

static const char *
l4_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "ICMPV6";
	case IPPROTO_IGMP:
		return "IGMP";
	case 112:
		return "VRRP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static void
put_endpoint(struct out *out, const char *role, const struct vg_flow_key *key,
	     bool lo)
{
	char text[INET6_ADDRSTRLEN];
	const uint8_t *addr = lo ? key->lo_addr : key->hi_addr;
	int family = key->ip_version == 6 ? AF_INET6 : AF_INET;

	if (inet_ntop(family, addr, text, sizeof(text)) == NULL)
		text[0] = '\0';
	put(out, "\"%s_ip\":\"%s\",\"%s_port\":%u,", role, text, role,
	    lo ? key->lo_port : key->hi_port);
}

static void
put_tcp_flags(struct out *out, const char *key, uint8_t flags)
{
	static const char *const names[8] = { "FIN", "SYN", "RST", "PSH",
					       "ACK", "URG", "ECE", "CWR" };
	bool first = true;
	unsigned int i;

	put(out, "\"%s\":\"", key);
	for (i = 0; i < 8; i++) {
		if (!(flags & (1u << i)))
			continue;
		put(out, "%s%s", first ? "" : "|", names[i]);
		first = false;
	}
	put(out, "\",");
}

static void
put_risks(struct out *out, uint64_t risk)
{
	bool first = true;
	unsigned int i;

	put(out, "\"risks\":[");
	for (i = 1; i < 64 && i < NDPI_MAX_RISK; i++) {
		if (!(risk & (1ULL << i)))
			continue;
		put(out, "%s\"%s\"", first ? "" : ",",
		    ndpi_risk2str((ndpi_risk_enum)i));
		first = false;
	}
	put(out, "],");
}

static bool
ja3_present(const struct vg_flow *flow)
{
	unsigned int i;

	for (i = 0; i < sizeof(flow->ja3_client); i++) {
		if (flow->ja3_client[i] != 0)
			return true;
	}
	return false;
}

static void
put_time(struct out *out, const char *key, uint64_t us)
{
	put(out, "\"%s\":%llu.%06llu,", key, (unsigned long long)(us / 1000000),
	    (unsigned long long)(us % 1000000));
}

size_t
vg_engine_format_record(const struct vg_engine *engine,
			const struct vg_flow *flow, enum vg_flow_end reason,
			char *buf, size_t len)
{
	struct out out = { .buf = buf, .len = len };
	bool swapped = (flow->flags & VG_FLOW_SWAPPED) != 0;
	bool client_lo = vg_flow_client_is_lo(flow);
	unsigned int c2s = swapped ? 1 : 0;
	unsigned int s2c = 1 - c2s;
	ndpi_protocol proto = {
		.master_protocol = flow->master_proto,
		.app_protocol = flow->app_proto,
		.category = (ndpi_protocol_category_t)flow->category,
	};
	char name[64];
	char number[8];
	unsigned int i;

	put(&out, "{\"l4\":\"%s\",",
	    l4_name(flow->key.l4_proto, number, sizeof(number)));
	put_endpoint(&out, "client", &flow->key, client_lo);
	put_endpoint(&out, "server", &flow->key, !client_lo);
	put(&out, "\"vlan\":%u,", flow->key.vlan);

	ndpi_protocol2name(engine->ndpi, proto, name, sizeof(name));
	put_string(&out, "l7", name);
	put_string(&out, "category",
		   ndpi_category_get_name(engine->ndpi, proto.category));
	put_string(&out, "confidence",
		   ndpi_confidence_get_name((ndpi_confidence_t)flow->confidence));

	put(&out,
	    "\"c2s_packets\":%llu,\"c2s_bytes\":%llu,"
	    "\"s2c_packets\":%llu,\"s2c_bytes\":%llu,",
	    (unsigned long long)flow->packets[c2s],
	    (unsigned long long)flow->bytes[c2s],
	    (unsigned long long)flow->packets[s2c],
	    (unsigned long long)flow->bytes[s2c]);
	put_time(&out, "first_seen", flow->first_us);
	put_time(&out, "last_seen", flow->last_us);

	put_string(&out, "server_name", flow->server_name);
	put(&out, "\"ja3_client\":\"");
	for (i = 0; i < 16 && ja3_present(flow); i++)
		put(&out, "%02x", flow->ja3_client[i]);
	put(&out, "\",");
	put_risks(&out, flow->risk);

	if (flow->key.l4_proto == IPPROTO_TCP) {
		put_tcp_flags(&out, "tcp_flags",
			      flow->tcp_flags[0] | flow->tcp_flags[1]);
		put_tcp_flags(&out, "c2s_tcp_flags", flow->tcp_flags[c2s]);
		put_tcp_flags(&out, "s2c_tcp_flags", flow->tcp_flags[s2c]);
	} else {
		put(&out, "\"tcp_flags\":\"\",");
	}
	put(&out,
	    "\"retransmissions\":%u,\"out_of_order\":%u,\"zero_windows\":%u,"
	    "\"rtt_us\":%u,",
	    flow->retransmissions, flow->out_of_order, flow->zero_windows,
	    vg_flow_rtt_us(flow));
	put(&out, "\"statuses\":[");
	for (i = 0; i < VG_FLOW_STATUSES && flow->statuses[i] != 0; i++)
		put(&out, "%s\"%s\"", i ? "," : "",
		    vg_statuses.keys[flow->statuses[i] - 1]);
	put(&out, "],\"score\":%u,", flow->score);
	if (reason == VG_END_ACTIVE)
		put(&out, "\"partial\":true,");
	put(&out, "\"swapped\":%s}\n", swapped ? "true" : "false");

	return out.overflow ? 0 : out.used;
}
