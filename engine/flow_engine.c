/*
 * Per-packet flow accounting, TCP analysis and nDPI detection.
 *
 * Detection follows the rules of nDPI's own reader so that vigil's results
 * can be checked against it: every packet of a flow goes to
 * ndpi_detection_process_packet() until a protocol is found and nDPI has no
 * extra dissection left (certificates, JA3S and the like), or until the flow
 * has seen more packets than the per-protocol budget, when the flow is given
 * up with ndpi_detection_giveup(). A flow that ends while still undetected
 * is given up the same way, which yields nDPI's port and address guesses.
 *
 * Expiry is decided by packet time only. A packet that arrives after its
 * flow's idle timeout starts a new flow, and one past the active timeout
 * closes the current record and starts a new one, whenever the background
 * scan runs. That keeps the records of a capture file the same however fast
 * it is read and however many engine lcores share it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "capture/hash.h"
#include "capture/parse.h"
#include "common/config.h"
#include "engine.h"
#include "events.h"
#include "hosts.h"
#include "minute.h"

#define EXPIRE_INTERVAL_US 10000 /* packet time between expiry scans */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define RECORD_MAX 4096

static int
load_ndpi_file(struct ndpi_detection_module_struct *ndpi, const char *what,
	       const char *path, char *err, size_t err_len)
{
	char problem[128];
	int rc;

	if (path[0] == '\0')
		return 0;
	if (vg_config_check_text_file(path, problem, sizeof(problem)) != 0) {
		snprintf(err, err_len, "ndpi.%s: %s is not a text file: %s",
			 what, path, problem);
		return -EINVAL;
	}

	if (strcmp(what, "protocols") == 0)
		rc = ndpi_load_protocols_file(ndpi, path);
	else if (strcmp(what, "categories") == 0)
		rc = ndpi_load_categories_file(ndpi, path);
	else if (strcmp(what, "risky_domains") == 0)
		rc = ndpi_load_risk_domain_file(ndpi, path);
	else if (strcmp(what, "ja3") == 0)
		rc = ndpi_load_malicious_ja3_file(ndpi, path);
	else
		rc = ndpi_load_malicious_sha1_file(ndpi, path);

	if (rc < 0) {
		snprintf(err, err_len, "ndpi.%s: cannot load %s (nDPI returned %d)",
			 what, path, rc);
		return -EINVAL;
	}
	return 0;
}

static struct ndpi_detection_module_struct *
create_ndpi(const struct vg_config *cfg, char *err, size_t err_len)
{
	struct ndpi_detection_module_struct *ndpi;
	NDPI_PROTOCOL_BITMASK all;

	ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (ndpi == NULL) {
		snprintf(err, err_len, "ndpi_init_detection_module() failed");
		return NULL;
	}

	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(ndpi, &all);

	if (load_ndpi_file(ndpi, "protocols", cfg->ndpi_protos, err,
			   err_len) ||
	    load_ndpi_file(ndpi, "categories", cfg->ndpi_categories, err,
			   err_len) ||
	    load_ndpi_file(ndpi, "risky_domains", cfg->ndpi_risky_domains, err,
			   err_len) ||
	    load_ndpi_file(ndpi, "ja3", cfg->ndpi_ja3, err, err_len) ||
	    load_ndpi_file(ndpi, "sha1", cfg->ndpi_sha1, err, err_len)) {
		ndpi_exit_detection_module(ndpi);
		return NULL;
	}

	ndpi_finalize_initialization(ndpi);
	return ndpi;
}

/*
 * nDPI keeps state only for flows under detection, and detection ends
 * within a few packets, so the pool is a fraction of the table's size. A flow
 * that finds the pool empty is counted and left unclassified.
 */
static uint32_t
ndpi_pool_size(uint32_t table_size)
{
	uint32_t size = table_size / 4;

	if (size < 1024)
		size = table_size < 1024 ? table_size : 1024;
	return size;
}

static int
create_ndpi_pool(struct vg_engine *engine, uint32_t size)
{
	size_t state_size = sizeof(struct ndpi_flow_struct);
	uint8_t *mem;
	uint32_t i;

	mem = calloc(size, state_size);
	engine->ndpi_free = calloc(size, sizeof(*engine->ndpi_free));
	if (mem == NULL || engine->ndpi_free == NULL) {
		free(mem);
		return -ENOMEM;
	}
	for (i = 0; i < size; i++)
		engine->ndpi_free[i] =
			(struct ndpi_flow_struct *)(mem + (size_t)i * state_size);
	engine->ndpi_pool_mem = mem;
	engine->ndpi_pool_size = size;
	engine->ndpi_free_count = size;
	return 0;
}

struct vg_engine *
vg_engine_create(const struct vg_config *cfg, unsigned int index,
		 vg_record_fn emit, void *emit_ctx, char *err, size_t err_len)
{
	struct vg_engine *engine;

	engine = calloc(1, sizeof(*engine));
	if (engine == NULL) {
		snprintf(err, err_len, "engine=%u: out of memory", index);
		return NULL;
	}
	engine->index = index;
	engine->cfg = cfg;
	engine->emit = emit;
	engine->emit_ctx = emit_ctx;
	engine->idle_us[0] = (uint64_t)cfg->idle_timeout_tcp * 1000000;
	engine->idle_us[1] = (uint64_t)cfg->idle_timeout_udp * 1000000;
	engine->idle_us[2] = (uint64_t)cfg->idle_timeout_icmp * 1000000;
	engine->idle_us[3] = (uint64_t)cfg->idle_timeout_other * 1000000;
	engine->active_us = (uint64_t)cfg->active_timeout * 1000000;
	engine->detect_limit_tcp = cfg->detection_packets_tcp;
	engine->detect_limit_udp = cfg->detection_packets_udp;

	engine->table = vg_flow_table_create(cfg->flow_table_size);
	if (engine->table == NULL) {
		snprintf(err, err_len,
			 "engine=%u flows.table_size=%u: cannot allocate the flow table",
			 index, cfg->flow_table_size);
		goto fail;
	}
	if (create_ndpi_pool(engine, ndpi_pool_size(cfg->flow_table_size))) {
		snprintf(err, err_len, "engine=%u: cannot allocate nDPI states",
			 index);
		goto fail;
	}
	engine->ndpi = create_ndpi(cfg, err, err_len);
	if (engine->ndpi == NULL)
		goto fail;
	return engine;

fail:
	vg_engine_free(engine);
	return NULL;
}

/* The slot of <flow>'s application in a cut's app_bytes. */
static unsigned int
app_slot(const struct vg_flow *flow)
{
	unsigned int id = flow->app_proto != NDPI_PROTOCOL_UNKNOWN ?
				  flow->app_proto :
				  flow->master_proto;

	return id < VG_APP_SLOTS ? id : 0;
}

/*
 * Counts <flow> as active (<delta> 1) or ended (-1) for its client and
 * server hosts; an ended flow's score leaves theirs.
 */
static void
count_flow_hosts(struct vg_engine *engine, const struct vg_flow *flow,
		 int delta)
{
	bool client_lo = vg_flow_client_is_lo(flow);
	const struct vg_flow_key *key = &flow->key;
	struct vg_host_table *table = engine->hosts;
	struct vg_host *client, *server;

	client = vg_host_get(table, client_lo ? key->lo_addr : key->hi_addr,
			     key->ip_version, key->vlan, engine->now_us);
	server = vg_host_get(table, client_lo ? key->hi_addr : key->lo_addr,
			     key->ip_version, key->vlan, engine->now_us);
	if (client != NULL) {
		client->flows_as_client += (uint32_t)delta;
		if (delta > 0) {
			client->total_flows_as_client++;
			client->m_new_client++;
		} else {
			client->score -= flow->score < client->score ?
						 flow->score :
						 client->score;
		}
		client->local = (client_lo ? flow->lo_net : flow->hi_net) != 0;
		vg_host_touch(table, client);
	}
	if (server != NULL) {
		server->flows_as_server += (uint32_t)delta;
		if (delta > 0) {
			server->total_flows_as_server++;
			server->m_new_server++;
		} else {
			server->score -= flow->score < server->score ?
						 flow->score :
						 server->score;
		}
		server->local = (client_lo ? flow->hi_net : flow->lo_net) != 0;
		vg_host_touch(table, server);
	}
}

static bool
flow_is_dns(const struct vg_flow *flow)
{
	return (flow->flags & VG_FLOW_DETECTED) &&
	       (flow->app_proto == NDPI_PROTOCOL_DNS ||
		flow->master_proto == NDPI_PROTOCOL_DNS);
}

static bool
flow_is_p2p(const struct vg_flow *flow)
{
	return (flow->flags & VG_FLOW_DETECTED) &&
	       flow->category == NDPI_PROTOCOL_CATEGORY_DOWNLOAD_FT;
}

static void
count_packet_hosts(struct vg_engine *engine, const struct vg_flow *flow,
		   const struct vg_pkt *pkt, bool src_is_lo)
{
	struct vg_host_table *table = engine->hosts;
	struct vg_host *src, *dst;
	uint64_t len = pkt->frame_len;
	bool dns = flow_is_dns(flow);
	bool p2p = flow_is_p2p(flow);
	bool syn = pkt->l4_proto == IPPROTO_TCP && (pkt->tcp_flags & TCP_SYN);
	bool ack = (pkt->tcp_flags & TCP_ACK) != 0;
	/* Bytes before detection are counted when it ends (count_detected). */
	bool detected = (flow->flags & VG_FLOW_DETECTED) != 0;
	unsigned int app = app_slot(flow);

	src = vg_host_get(table, pkt->src, pkt->ip_version, pkt->vlan,
			  pkt->ts_us);
	dst = vg_host_get(table, pkt->dst, pkt->ip_version, pkt->vlan,
			  pkt->ts_us);
	if (src != NULL) {
		src->bytes_sent += len;
		src->packets_sent++;
		src->m_bytes_sent += len;
		src->m_packets_sent++;
		src->m_dns_bytes += dns ? len : 0;
		src->m_p2p_bytes += p2p ? len : 0;
		src->m_syn_sent += syn && !ack;
		src->m_synack_sent += syn && ack;
		if (detected)
			vg_host_app_add(src->m_apps, &src->m_app_other, app,
					len);
		src->local = (src_is_lo ? flow->lo_net : flow->hi_net) != 0;
		if (pkt->ts_us > src->last_us)
			src->last_us = pkt->ts_us;
		vg_host_touch(table, src);
	}
	if (dst != NULL) {
		dst->bytes_rcvd += len;
		dst->packets_rcvd++;
		dst->m_bytes_rcvd += len;
		dst->m_packets_rcvd++;
		dst->m_dns_bytes += dns ? len : 0;
		dst->m_p2p_bytes += p2p ? len : 0;
		dst->m_syn_rcvd += syn && !ack;
		dst->m_synack_rcvd += syn && ack;
		if (detected)
			vg_host_app_add(dst->m_apps, &dst->m_app_other, app,
					len);
		dst->local = (src_is_lo ? flow->hi_net : flow->lo_net) != 0;
		if (pkt->ts_us > dst->last_us)
			dst->last_us = pkt->ts_us;
		vg_host_touch(table, dst);
	}
}

/* Counts one packet of <flow> in the open minute. */
static void
count_minute(struct vg_engine *engine, const struct vg_flow *flow,
	     const struct vg_pkt *pkt, bool src_is_lo)
{
	struct vg_minute_cut *m = engine->minute;
	struct vg_minute_port *port = &m->ports[pkt->port_id % VG_MAX_PORTS];
	unsigned int src_net = src_is_lo ? flow->lo_net : flow->hi_net;
	unsigned int dst_net = src_is_lo ? flow->hi_net : flow->lo_net;
	uint64_t len = pkt->frame_len;

	port->packets++;
	port->bytes += len;
	if (src_net != 0 && dst_net != 0) {
		if (src_net == dst_net) {
			m->nets[src_net - 1].bytes_inside += len;
		} else {
			m->nets[src_net - 1].bytes_out += len;
			m->nets[dst_net - 1].bytes_in += len;
		}
	} else if (src_net != 0) {
		m->nets[src_net - 1].bytes_out += len;
		port->bytes_out += len;
	} else if (dst_net != 0) {
		m->nets[dst_net - 1].bytes_in += len;
		port->bytes_in += len;
	}
	/* Bytes before detection are counted when it ends (count_detected). */
	if (flow->flags & VG_FLOW_DETECTED) {
		m->app_bytes[app_slot(flow)] += len;
		m->category_bytes[flow->category % 64] += len;
	}
}

/*
 * Counts the bytes <flow> carried before its detection ended, which the
 * per-packet counting left out: under its application and category, and
 * as DNS or P2P bytes of both its hosts.
 */
static void
count_detected(struct vg_engine *engine, const struct vg_flow *flow)
{
	uint64_t bytes = flow->bytes[0] + flow->bytes[1];
	bool dns = flow_is_dns(flow);
	bool p2p = flow_is_p2p(flow);

	if (engine->minute != NULL) {
		engine->minute->app_bytes[app_slot(flow)] += bytes;
		engine->minute->category_bytes[flow->category % 64] += bytes;
	}
	if (engine->hosts != NULL && bytes > 0) {
		const struct vg_flow_key *key = &flow->key;
		unsigned int app = app_slot(flow);
		struct vg_host *h[2];
		unsigned int i;

		h[0] = vg_host_get(engine->hosts, key->lo_addr, key->ip_version,
				   key->vlan, engine->now_us);
		h[1] = vg_host_get(engine->hosts, key->hi_addr, key->ip_version,
				   key->vlan, engine->now_us);
		for (i = 0; i < 2; i++) {
			if (h[i] == NULL)
				continue;
			h[i]->m_dns_bytes += dns ? bytes : 0;
			h[i]->m_p2p_bytes += p2p ? bytes : 0;
			vg_host_app_add(h[i]->m_apps, &h[i]->m_app_other, app,
					bytes);
			vg_host_touch(engine->hosts, h[i]);
		}
	}
}

/*
 * Hands the open minute to cut_fn with the hosts that changed in it, and
 * opens the minute of <now_us> (VG_MINUTE_DONE: none).
 */
static void
cut_minute(struct vg_engine *engine, uint64_t now_us)
{
	struct vg_minute_cut *open = engine->minute;
	struct vg_host_table *table = engine->hosts;
	uint32_t hosts = table != NULL ? table->dirty_count : 0;
	struct vg_minute_cut *cut;
	uint32_t i;

	cut = malloc(sizeof(*cut) + (size_t)hosts * sizeof(cut->hosts[0]));
	if (cut != NULL) {
		memcpy(cut, open, sizeof(*cut));
		cut->engine = engine->index;
		cut->minute = engine->minute_end_us == 0 ?
				      0 :
				      engine->minute_end_us / 60000000 - 1;
		cut->next_minute = now_us == VG_MINUTE_DONE ?
					   VG_MINUTE_DONE :
					   now_us / 60000000;
		cut->active_flows = engine->table->count;
		cut->active_hosts = table != NULL ? table->count : 0;
		cut->host_count = hosts;
	} else {
		engine->cuts_lost++;
	}
	for (i = 0; i < hosts; i++) {
		struct vg_host *h = &table->slots[table->dirty[i]];

		if (cut != NULL) {
			struct vg_minute_host *o = &cut->hosts[i];

			memcpy(o->addr, h->addr, 16);
			o->ip_version = h->ip_version;
			o->local = h->local;
			o->vlan = h->vlan;
			o->bytes_sent = h->m_bytes_sent;
			o->bytes_rcvd = h->m_bytes_rcvd;
			o->packets_sent = h->m_packets_sent;
			o->packets_rcvd = h->m_packets_rcvd;
			o->dns_bytes = h->m_dns_bytes;
			o->p2p_bytes = h->m_p2p_bytes;
			o->new_flows_as_client = h->m_new_client;
			o->new_flows_as_server = h->m_new_server;
			o->syn_sent = h->m_syn_sent;
			o->syn_rcvd = h->m_syn_rcvd;
			o->synack_sent = h->m_synack_sent;
			o->synack_rcvd = h->m_synack_rcvd;
			o->flows_as_client = h->flows_as_client;
			o->flows_as_server = h->flows_as_server;
			o->score = h->score;
			memcpy(o->apps, h->m_apps, sizeof(o->apps));
			o->app_other_bytes = h->m_app_other;
			o->first_us = h->first_us;
			o->last_us = h->last_us;
		}
		h->dirty = false;
		h->m_new_client = h->m_new_server = 0;
		h->m_bytes_sent = h->m_bytes_rcvd = 0;
		h->m_packets_sent = h->m_packets_rcvd = 0;
		h->m_dns_bytes = h->m_p2p_bytes = 0;
		h->m_syn_sent = h->m_syn_rcvd = 0;
		h->m_synack_sent = h->m_synack_rcvd = 0;
		memset(h->m_apps, 0, sizeof(h->m_apps));
		h->m_app_other = 0;
	}
	if (table != NULL)
		table->dirty_count = 0;
	memset(open, 0, sizeof(*open));
	engine->minute_end_us = now_us == VG_MINUTE_DONE ?
					VG_MINUTE_DONE :
					(now_us / 60000000 + 1) * 60000000;
	if (cut != NULL)
		engine->cut_fn(engine->cut_ctx, cut);
}

int
vg_engine_count_minutes(struct vg_engine *engine, vg_cut_fn fn, void *ctx)
{
	engine->minute = calloc(1, sizeof(*engine->minute));
	if (engine->minute == NULL)
		return -ENOMEM;
	engine->cut_fn = fn;
	engine->cut_ctx = ctx;
	return 0;
}

/* Closes the open minute when <now_us> is past it. */
static inline void
check_minute(struct vg_engine *engine, uint64_t now_us)
{
	if (engine->minute == NULL || now_us < engine->minute_end_us)
		return;
	if (engine->minute_end_us == 0) {
		/* The first packet opens the first minute. */
		engine->minute_end_us = (now_us / 60000000 + 1) * 60000000;
		return;
	}
	cut_minute(engine, now_us);
}

void
vg_engine_advance(struct vg_engine *engine, uint64_t now_us)
{
	if (now_us <= engine->now_us)
		return;
	engine->now_us = now_us;
	if (engine->minute == NULL)
		return;
	/*
	 * An engine that has seen no packet yet still reports how far its
	 * clock is, so the others' minutes are not held back waiting for it:
	 * a cut of minute 0 carries no counts, only next_minute.
	 */
	if (engine->minute_end_us == 0 || now_us >= engine->minute_end_us)
		cut_minute(engine, now_us);
}

void
vg_engine_minutes_done(struct vg_engine *engine)
{
	if (engine->minute == NULL || engine->minute_end_us == VG_MINUTE_DONE)
		return;
	cut_minute(engine, VG_MINUTE_DONE);
}

static void
release_ndpi(struct vg_engine *engine, struct vg_flow *flow)
{
	if (flow->ndpi == NULL)
		return;
	ndpi_free_flow_data(flow->ndpi);
	engine->ndpi_free[engine->ndpi_free_count++] = flow->ndpi;
	flow->ndpi = NULL;
}

void
vg_engine_free(struct vg_engine *engine)
{
	unsigned int cls;
	struct vg_flow *flow;

	if (engine == NULL)
		return;
	vg_host_table_free(engine->hosts);
	free(engine->minute);
	if (engine->table != NULL) {
		for (cls = 0; cls < VG_EXPIRY_CLASSES; cls++) {
			while ((flow = vg_flow_table_queue_head(engine->table,
								cls))) {
				release_ndpi(engine, flow);
				vg_flow_table_pop_head(engine->table, cls);
			}
		}
	}
	if (engine->ndpi != NULL)
		ndpi_exit_detection_module(engine->ndpi);
	vg_flow_table_free(engine->table);
	free(engine->ndpi_pool_mem);
	free(engine->ndpi_free);
	free(engine);
}

/* Copies what the record needs out of nDPI's state, then frees it. */
static void
copy_detection(struct vg_engine *engine, struct vg_flow *flow,
	       ndpi_protocol proto)
{
	struct ndpi_flow_struct *state = flow->ndpi;
	const char *ja3;
	unsigned int i;

	flow->master_proto = proto.master_protocol;
	flow->app_proto = proto.app_protocol;
	flow->category = (uint16_t)proto.category;
	flow->flags |= VG_FLOW_DETECTED;
	if (state == NULL)
		return;

	flow->confidence = (uint8_t)state->confidence;
	flow->risk = state->risk;
	/* NOTE: names longer than 61 bytes are cut to fit the flow slot. */
	snprintf(flow->server_name, sizeof(flow->server_name), "%.*s",
		 (int)sizeof(flow->server_name) - 1, state->host_server_name);

	ja3 = state->protos.tls_quic.ja3_client;
	if (strlen(ja3) == 32) {
		for (i = 0; i < 16; i++) {
			unsigned int byte;

			if (sscanf(ja3 + 2 * i, "%2x", &byte) != 1)
				break;
			flow->ja3_client[i] = (uint8_t)byte;
		}
	}
	release_ndpi(engine, flow);
}

/* Ends detection on <flow> and fires protocolDetected. */
static void
finish_detection(struct vg_engine *engine, struct vg_flow *flow,
		 ndpi_protocol proto)
{
	copy_detection(engine, flow, proto);
	count_detected(engine, flow);
	vg_events_flow(engine->events, engine, flow, VG_HOOK_PROTOCOL_DETECTED,
		       VG_END_IDLE);
}

static void
give_up(struct vg_engine *engine, struct vg_flow *flow)
{
	ndpi_protocol proto = { 0 };
	uint8_t guessed = 0;

	if (flow->flags & VG_FLOW_DETECTED)
		return;
	if (flow->ndpi != NULL) {
		proto = ndpi_detection_giveup(engine->ndpi, flow->ndpi, 1,
					      &guessed);
	} else {
		proto.master_protocol = flow->master_proto;
		proto.app_protocol = flow->app_proto;
		proto.category = flow->category;
	}
	finish_detection(engine, flow, proto);
}

static void
write_record(struct vg_engine *engine, struct vg_flow *flow,
	     enum vg_flow_end reason)
{
	char line[RECORD_MAX];
	size_t len;

	give_up(engine, flow);
	if (!(flow->flags & VG_FLOW_END_SENT))
		vg_events_flow(engine->events, engine, flow, VG_HOOK_FLOW_END,
			       reason);
	if (engine->hosts != NULL)
		count_flow_hosts(engine, flow, -1);
	engine->counters.flows_expired++;
	if (engine->minute != NULL)
		engine->minute->flows_ended++;
	if (engine->emit == NULL)
		return;

	len = vg_engine_format_record(engine, flow, reason, line, sizeof(line));
	if (len == 0 || engine->emit(engine->emit_ctx, line, len) != 0)
		engine->counters.records_dropped++;
}

/*
 * Decides from a flow's first packet whether its sender is the server: a
 * SYN-ACK, an echo reply, a DNS response, or, with no handshake to go by,
 * a well-known port talking to an ephemeral one.
 */
static bool
first_packet_from_server(const struct vg_pkt *pkt, const uint8_t *frame)
{
	const uint8_t *payload = frame + pkt->payload_off;

	switch (pkt->l4_proto) {
	case IPPROTO_TCP:
		if (pkt->tcp_flags & TCP_SYN)
			return (pkt->tcp_flags & TCP_ACK) != 0;
		break;
	case IPPROTO_ICMP:
		return pkt->icmp_type == 0;
	case IPPROTO_ICMPV6:
		return pkt->icmp_type == 129;
	case IPPROTO_UDP:
		if ((pkt->sport == 53 || pkt->dport == 53) &&
		    pkt->payload_len >= 12)
			return (payload[2] & 0x80) != 0;
		break;
	default:
		return false;
	}
	return pkt->sport < 1024 && pkt->dport >= 1024;
}

static void
start_flow(struct vg_engine *engine, struct vg_flow *flow,
	   const struct vg_pkt *pkt, const uint8_t *frame, bool src_is_lo)
{
	engine->counters.flows_created++;
	if (engine->minute != NULL)
		engine->minute->flows_created++;
	flow->first_us = pkt->ts_us;
	flow->last_us = pkt->ts_us;
	if (src_is_lo)
		flow->flags |= VG_FLOW_FIRST_FROM_LO;
	if (first_packet_from_server(pkt, frame))
		flow->flags |= VG_FLOW_SWAPPED;
	flow->lo_net = flow->hi_net = 0;
	if (engine->cfg->local_net_count > 0) {
		int family = flow->key.ip_version;

		flow->lo_net = (uint8_t)(vg_config_local_net(engine->cfg, family,
							     flow->key.lo_addr) + 1);
		flow->hi_net = (uint8_t)(vg_config_local_net(engine->cfg, family,
							     flow->key.hi_addr) + 1);
	}
	if (engine->minute != NULL && flow->lo_net != flow->hi_net) {
		bool client_lo = vg_flow_client_is_lo(flow);
		unsigned int c = client_lo ? flow->lo_net : flow->hi_net;
		unsigned int s = client_lo ? flow->hi_net : flow->lo_net;

		if (c != 0)
			engine->minute->nets[c - 1].flows_out++;
		if (s != 0)
			engine->minute->nets[s - 1].flows_in++;
	}
	if (engine->hosts != NULL)
		count_flow_hosts(engine, flow, 1);

	if (engine->ndpi_free_count == 0) {
		/*
		 * NOTE: every nDPI state is in use, so this flow goes
		 * unclassified. The pool has states for a quarter of the
		 * table's flows, and flows that never end detection, such as
		 * scan probes, keep theirs until their idle timeout.
		 */
		engine->counters.ndpi_pool_empty++;
		flow->flags |= VG_FLOW_DETECTED;
		return;
	}
	flow->ndpi = engine->ndpi_free[--engine->ndpi_free_count];
	memset(flow->ndpi, 0, sizeof(*flow->ndpi));
}

/*
 * Ends <flow> and starts it again in the same slot, keeping its key, hash
 * and links: the slot stays where it is in its bucket and queue.
 */
/*
 * Ends detection on <flow> and fires flowEnd now, ahead of its record, so
 * the statuses these hooks set can reach the record.
 */
static void
end_early(struct vg_engine *engine, struct vg_flow *flow,
	  enum vg_flow_end reason)
{
	give_up(engine, flow);
	vg_events_flow(engine->events, engine, flow, VG_HOOK_FLOW_END, reason);
	flow->flags |= VG_FLOW_END_SENT;
}

static void
restart_flow(struct vg_engine *engine, struct vg_flow *flow,
	     enum vg_flow_end reason)
{
	struct vg_flow keep;

	if (engine->await_fn != NULL) {
		if (!(flow->flags & VG_FLOW_END_SENT))
			end_early(engine, flow, reason);
		engine->await_fn(engine->await_ctx);
	}
	keep = *flow;
	write_record(engine, flow, reason);
	memset(flow, 0, sizeof(*flow));
	flow->key = keep.key;
	flow->hash = keep.hash;
	flow->generation = keep.generation + 1;
	flow->chain_next = keep.chain_next;
	flow->queue_next = keep.queue_next;
	flow->expiry_class = keep.expiry_class;
	flow->flags = VG_FLOW_IN_USE;
}

static void
update_tcp(struct vg_flow *flow, const struct vg_pkt *pkt, unsigned int dir)
{
	unsigned int client = (flow->flags & VG_FLOW_SWAPPED) ? 1 : 0;
	uint8_t flags = pkt->tcp_flags;
	uint32_t seg_len;
	uint32_t end;
	int32_t gap;

	flow->tcp_flags[dir] |= flags;
	if (pkt->tcp_window == 0 && !(flags & (TCP_RST | TCP_SYN)))
		flow->zero_windows++;

	if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && dir == client &&
	    (flow->rtt_us == 0 || (flow->flags & VG_FLOW_SYN_SEEN))) {
		/* Until the handshake ends, rtt_us is the SYN's offset. */
		flow->flags |= VG_FLOW_SYN_SEEN;
		flow->rtt_us = (uint32_t)(pkt->ts_us - flow->first_us);
	} else if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) &&
		   dir != client) {
		flow->flags |= VG_FLOW_SYNACK_SEEN;
	} else if ((flags & (TCP_SYN | TCP_ACK)) == TCP_ACK && dir == client &&
		   (flow->flags & VG_FLOW_SYN_SEEN) &&
		   (flow->flags & VG_FLOW_SYNACK_SEEN)) {
		flow->rtt_us = (uint32_t)(pkt->ts_us - flow->first_us -
					  flow->rtt_us);
		flow->flags &= (uint8_t)~VG_FLOW_SYN_SEEN;
	}

	seg_len = pkt->payload_len + ((flags & TCP_SYN) ? 1 : 0) +
		  ((flags & TCP_FIN) ? 1 : 0);
	if (seg_len == 0 || (flags & TCP_RST))
		return;

	end = pkt->tcp_seq + seg_len;
	if (!(flow->seq_known & (1u << dir))) {
		flow->seq_known |= (uint8_t)(1u << dir);
		flow->next_seq[dir] = end;
		return;
	}

	/* Sequence numbers wrap: compare them as a signed distance. */
	gap = (int32_t)(pkt->tcp_seq - flow->next_seq[dir]);
	if (gap < 0) {
		flow->retransmissions++;
		if ((int32_t)(end - flow->next_seq[dir]) > 0)
			flow->next_seq[dir] = end;
		return;
	}
	/*
	 * NOTE: a segment past the expected sequence is counted as out of
	 * order; the one that fills the hole later counts as a
	 * retransmission, since a passive probe cannot tell a late segment
	 * from a resent one without timing heuristics.
	 */
	if (gap > 0)
		flow->out_of_order++;
	flow->next_seq[dir] = end;
}

static void
detect(struct vg_engine *engine, struct vg_flow *flow,
       const struct vg_pkt *pkt, const uint8_t *frame)
{
	ndpi_protocol proto;
	uint64_t seen = flow->packets[0] + flow->packets[1];
	bool enough;

	engine->counters.ndpi_packets++;
	proto = ndpi_detection_process_packet(engine->ndpi, flow->ndpi,
					      frame + pkt->l3_off, pkt->l3_len,
					      pkt->ts_us / 1000);
	flow->detect_packets++;
	flow->master_proto = proto.master_protocol;
	flow->app_proto = proto.app_protocol;
	flow->category = (uint16_t)proto.category;
	/*
	 * A TLS or QUIC server name comes with the first packet, long before
	 * extra dissection ends: live queries see it from then on.
	 */
	if (flow->server_name[0] == '\0' &&
	    flow->ndpi->host_server_name[0] != '\0')
		snprintf(flow->server_name, sizeof(flow->server_name), "%.*s",
			 (int)sizeof(flow->server_name) - 1,
			 flow->ndpi->host_server_name);

	enough = (pkt->l4_proto == IPPROTO_TCP &&
		  seen > engine->detect_limit_tcp) ||
		 (pkt->l4_proto == IPPROTO_UDP &&
		  seen > engine->detect_limit_udp);
	if (!enough && proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		return;
	if (!enough && ndpi_extra_dissection_possible(engine->ndpi, flow->ndpi))
		return;

	if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
		uint8_t guessed = 0;

		proto = ndpi_detection_giveup(engine->ndpi, flow->ndpi, 1,
					      &guessed);
	}
	finish_detection(engine, flow, proto);
}

void
vg_engine_packet(struct vg_engine *engine, struct vg_pkt *pkt,
		 const uint8_t *frame)
{
	struct vg_flow_key key;
	struct vg_flow *flow;
	bool src_is_lo;
	unsigned int dir;
	uint32_t hash;

	engine->counters.packets++;
	engine->counters.bytes += pkt->frame_len;
	if (pkt->ts_us > engine->now_us)
		engine->now_us = pkt->ts_us;
	if (engine->first_us == 0)
		engine->first_us = pkt->ts_us;
	check_minute(engine, engine->now_us);

	/*
	 * The flow hash is computed here rather than on the rx lcore, which
	 * is the busier of the two: rx only hashes to pick an engine lcore.
	 * It stays out of <pkt>, because a write there would leave the mbuf's
	 * cache line modified on this CPU, for the rx lcore to fetch back.
	 */
	hash = vg_flow_hash(pkt);
	vg_flow_key_from_pkt(pkt, &key, &src_is_lo);
	flow = vg_flow_table_lookup(engine->table, &key, hash);
	if (flow == NULL) {
		flow = vg_flow_table_insert(engine->table, &key, hash);
		if (flow == NULL) {
			engine->counters.flows_table_full++;
			return;
		}
		start_flow(engine, flow, pkt, frame, src_is_lo);
	} else if (pkt->ts_us >=
		   flow->last_us + engine->idle_us[flow->expiry_class]) {
		restart_flow(engine, flow, VG_END_IDLE);
		start_flow(engine, flow, pkt, frame, src_is_lo);
	} else if (engine->active_us != 0 &&
		   pkt->ts_us >= flow->first_us + engine->active_us) {
		restart_flow(engine, flow, VG_END_ACTIVE);
		start_flow(engine, flow, pkt, frame, src_is_lo);
	}

	if (engine->hosts != NULL)
		count_packet_hosts(engine, flow, pkt, src_is_lo);
	if (engine->minute != NULL)
		count_minute(engine, flow, pkt, src_is_lo);
	dir = src_is_lo == !!(flow->flags & VG_FLOW_FIRST_FROM_LO) ? 0 : 1;
	flow->packets[dir]++;
	flow->bytes[dir] += pkt->frame_len;
	if (pkt->ts_us > flow->last_us) {
		/* periodicUpdate each time the flow's age crosses a multiple. */
		if (engine->periodic_us != 0 &&
		    (pkt->ts_us - flow->first_us) / engine->periodic_us >
			    (flow->last_us - flow->first_us) /
				    engine->periodic_us)
			vg_events_flow(engine->events, engine, flow,
				       VG_HOOK_PERIODIC_UPDATE, VG_END_IDLE);
		flow->last_us = pkt->ts_us;
	}

	if (pkt->l4_proto == IPPROTO_TCP)
		update_tcp(flow, pkt, dir);
	if (flow->ndpi != NULL)
		detect(engine, flow, pkt, frame);
}

unsigned int
vg_engine_expire_marked(struct vg_engine *engine, uint64_t now_us,
			unsigned int budget, bool write_marked, bool mark_new)
{
	unsigned int marked = 0;
	unsigned int cls;
	bool more = false;

	if (now_us < engine->next_expire_us)
		return 0;
	for (cls = 0; cls < VG_EXPIRY_CLASSES; cls++) {
		uint32_t first_moved = VG_FLOW_NIL;
		unsigned int looked;

		for (looked = 0; looked < budget; looked++) {
			struct vg_flow *flow =
				vg_flow_table_queue_head(engine->table, cls);
			uint32_t slot;

			if (flow == NULL)
				break;
			slot = vg_flow_table_slot(engine->table, flow);
			if (slot == first_moved)
				break;
			if (now_us >= flow->last_us + engine->idle_us[cls]) {
				if ((flow->flags & VG_FLOW_END_SENT) &&
				    write_marked) {
					write_record(engine, flow, VG_END_IDLE);
					release_ndpi(engine, flow);
					vg_flow_table_pop_head(engine->table,
							       cls);
					continue;
				}
				if (!(flow->flags & VG_FLOW_END_SENT) &&
				    mark_new) {
					end_early(engine, flow, VG_END_IDLE);
					marked++;
				}
			}
			if (first_moved == VG_FLOW_NIL)
				first_moved = slot;
			vg_flow_table_requeue_head(engine->table, cls);
		}
		if (looked == budget && first_moved == VG_FLOW_NIL)
			more = true;
	}
	engine->next_expire_us = more ? now_us : now_us + EXPIRE_INTERVAL_US;
	return marked;
}

unsigned int
vg_engine_expire(struct vg_engine *engine, uint64_t now_us,
		 unsigned int budget)
{
	unsigned int ended = 0;
	unsigned int cls;
	bool more = false;

	/*
	 * A scan touches one cold slot per queue head, so it runs once per
	 * EXPIRE_INTERVAL_US of packet time, unless the last one ran out of
	 * budget while ending flows: then there may be more to end at once.
	 */
	if (now_us < engine->next_expire_us)
		return 0;
	for (cls = 0; cls < VG_EXPIRY_CLASSES; cls++) {
		uint32_t first_moved = VG_FLOW_NIL;
		unsigned int looked;

		for (looked = 0; looked < budget; looked++) {
			struct vg_flow *flow =
				vg_flow_table_queue_head(engine->table, cls);

			if (flow == NULL)
				break;
			if (vg_flow_table_slot(engine->table, flow) ==
			    first_moved)
				break;
			if (now_us < flow->last_us + engine->idle_us[cls]) {
				if (first_moved == VG_FLOW_NIL)
					first_moved = vg_flow_table_slot(
						engine->table, flow);
				vg_flow_table_requeue_head(engine->table, cls);
				continue;
			}
			write_record(engine, flow, VG_END_IDLE);
			release_ndpi(engine, flow);
			vg_flow_table_pop_head(engine->table, cls);
			ended++;
		}
		if (looked == budget && first_moved == VG_FLOW_NIL)
			more = true;
	}
	engine->next_expire_us = more ? now_us : now_us + EXPIRE_INTERVAL_US;
	return ended;
}

/* Adds <score> to the scores of both hosts of <flow>. */
static void
add_host_score(struct vg_engine *engine, const struct vg_flow *flow,
	       unsigned int score)
{
	const struct vg_flow_key *key = &flow->key;
	struct vg_host *h[2];
	unsigned int i;

	h[0] = vg_host_get(engine->hosts, key->lo_addr, key->ip_version,
			   key->vlan, engine->now_us);
	h[1] = vg_host_get(engine->hosts, key->hi_addr, key->ip_version,
			   key->vlan, engine->now_us);
	for (i = 0; i < 2; i++) {
		if (h[i] == NULL)
			continue;
		h[i]->score = h[i]->score + score < h[i]->score ?
				      UINT32_MAX :
				      h[i]->score + score;
		vg_host_touch(engine->hosts, h[i]);
	}
}

int
vg_engine_set_status(struct vg_engine *engine, uint64_t flow_id,
		     unsigned int status_id, unsigned int score)
{
	uint32_t slot = (uint32_t)(flow_id >> 24);
	struct vg_flow *flow;
	unsigned int added;
	unsigned int i;

	if ((flow_id >> 56) != engine->index ||
	    (slot & 0xffffffffu) >= engine->table->capacity ||
	    status_id >= VG_STATUS_MAX)
		return -EINVAL;
	flow = &engine->table->slots[slot];
	if (!(flow->flags & VG_FLOW_IN_USE) ||
	    (flow->generation & 0xffffff) != (flow_id & 0xffffff)) {
		engine->counters.late_statuses++;
		return -ESTALE;
	}
	for (i = 0; i < VG_FLOW_STATUSES; i++) {
		if (flow->statuses[i] == status_id + 1)
			return 0;
		if (flow->statuses[i] == 0)
			break;
	}
	if (i == VG_FLOW_STATUSES) {
		engine->counters.statuses_full++;
		return -ENOSPC;
	}
	flow->statuses[i] = (uint8_t)(status_id + 1);
	added = flow->score + score > UINT16_MAX ? UINT16_MAX - flow->score :
						    score;
	flow->score = (uint16_t)(flow->score + added);
	if (engine->hosts != NULL && added > 0)
		add_host_score(engine, flow, added);
	/* Plugins never see a flow again after its flowEnd. */
	if (!(flow->flags & VG_FLOW_END_SENT))
		vg_events_flow(engine->events, engine, flow,
			       VG_HOOK_STATUS_CHANGED, VG_END_IDLE);
	return 0;
}

void
vg_engine_end_all_early(struct vg_engine *engine)
{
	uint32_t slot;

	for (slot = 0; slot < engine->table->capacity; slot++) {
		struct vg_flow *flow = &engine->table->slots[slot];

		if ((flow->flags & VG_FLOW_IN_USE) &&
		    !(flow->flags & VG_FLOW_END_SENT))
			end_early(engine, flow, VG_END_FLUSH);
	}
}

void
vg_engine_flush(struct vg_engine *engine)
{
	unsigned int cls;
	struct vg_flow *flow;

	for (cls = 0; cls < VG_EXPIRY_CLASSES; cls++) {
		while ((flow = vg_flow_table_queue_head(engine->table, cls))) {
			write_record(engine, flow, VG_END_FLUSH);
			release_ndpi(engine, flow);
			vg_flow_table_pop_head(engine->table, cls);
		}
	}
}
