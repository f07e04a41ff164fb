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
 *
 * The colder work lives in flow_minute.c (cutting minutes) and
 * flow_expiry.c (the idle scan, statuses and the flush). Everything a
 * packet runs stays in this file, so the compiler can inline it, apart
 * from the cut of a minute that a packet past the minute triggers.
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
#include "flow_internal.h"
#include "hosts.h"
#include "minute.h"

/*
 * Packet time between two passes that count the owed flows in their hosts
 * (update_hosts). A minute's cut makes a pass of its own, so the minutes
 * are exact whatever this is.
 * NOTE: a live host's traffic counters (bytes, packets, last seen, in the
 * API's host list) lag its flows by up to this much. Its active-flow
 * counts do not. A 5 s pass cost a third of the packet rate with 100 000 hosts
 * whose flows send a packet every few seconds (tests/bench/timeseries.py):
 * each pass then looks up both hosts of nearly every flow again.
 */
#define HOST_PASS_US 60000000

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define RECORD_MAX 4096

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

size_t
vg_engine_memory(uint32_t table_size)
{
	size_t pool = ndpi_pool_size(table_size);

	return vg_flow_table_memory_for(table_size) +
	       pool * (sizeof(struct ndpi_flow_struct) + sizeof(uint32_t));
}

static int
create_ndpi_pool(struct vg_engine *engine, uint32_t size)
{
	struct ndpi_flow_struct *mem;
	uint32_t i;

	mem = calloc(size, sizeof(*mem));
	engine->ndpi_free = calloc(size, sizeof(*engine->ndpi_free));
	if (mem == NULL || engine->ndpi_free == NULL) {
		free(mem);
		return -ENOMEM;
	}
	for (i = 0; i < size; i++)
		engine->ndpi_free[i] = size - 1 - i;
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
	engine->ndpi = vg_ndpi_create(cfg, err, err_len);
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

/*
 * Host counters follow their flows instead of each packet. A packet only
 * moves its flow's own counters. The flow's hosts count it as active when
 * it starts and as ended when it ends. They are paid its traffic (the
 * counters since host_bytes and host_packets) then, when 255 packets are
 * uncounted, and at every pass over the owed flows (each HOST_PASS_US of
 * packet time and at each minute's cut). So two host lookups serve a
 * flow's whole minute of traffic.
 *
 * Counts what <flow> carried since its last update in both its hosts, and
 * counts the flow as started (<active> 1), ended (-1) or neither (0).
 * Once detection has ended, the new bytes go under the flow's application
 * too, and with VG_FLOW_APP_OWED every byte of the flow does (the bytes
 * before detection ended were paid without one). <hash> is NULL or
 * contains vg_host_hash() of the senders of directions 0 and 1.
 */
void
vg_engine_update_hosts_hashed(struct vg_engine *engine, struct vg_flow *flow,
			      int active, const uint32_t *hash)
{
	struct vg_host_table *table = engine->hosts;
	const struct vg_flow_key *key = &flow->key;
	bool first_lo = (flow->flags & VG_FLOW_FIRST_FROM_LO) != 0;
	bool client_lo = vg_flow_client_is_lo(flow);
	bool dns = flow_is_dns(flow);
	bool p2p = flow_is_p2p(flow);
	unsigned int app = app_slot(flow);
	bool detected_now = (flow->flags & VG_FLOW_APP_OWED) != 0;
	uint32_t bytes[2], packets[2];
	uint64_t both, app_bytes;
	struct vg_host *h[2]; /* h[d]: the sender of direction d */
	const uint8_t *addr[2];
	unsigned int d;

	for (d = 0; d < 2; d++) {
		bytes[d] = (uint32_t)flow->bytes[d] - flow->host_bytes[d];
		packets[d] = (uint8_t)((uint8_t)flow->packets[d] -
				       flow->host_packets[d]);
		flow->host_bytes[d] = (uint32_t)flow->bytes[d];
		flow->host_packets[d] = (uint8_t)flow->packets[d];
	}
	both = (uint64_t)bytes[0] + bytes[1];
	if (active == 0 && !detected_now && packets[0] == 0 && packets[1] == 0)
		return;
	flow->flags &= (uint8_t)~VG_FLOW_APP_OWED;
	if (detected_now)
		app_bytes = flow->bytes[0] + flow->bytes[1];
	else
		app_bytes = (flow->flags & VG_FLOW_DETECTED) ? both : 0;

	addr[0] = first_lo ? key->lo_addr : key->hi_addr;
	addr[1] = first_lo ? key->hi_addr : key->lo_addr;
	for (d = 0; d < 2; d++)
		h[d] = vg_host_get_hashed(table, addr[d], key->ip_version,
					  key->vlan, flow->first_us,
					  hash != NULL ?
						  hash[d] :
						  vg_host_hash(addr[d],
							       key->vlan));
	for (d = 0; d < 2; d++) {
		struct vg_host *host = h[d];
		/* Whether this host is the key's lo endpoint, and the client. */
		bool lo = first_lo == (d == 0);
		bool client = lo == client_lo;

		if (host == NULL)
			continue;
		host->bytes_sent += bytes[d];
		host->packets_sent += packets[d];
		host->bytes_rcvd += bytes[1 - d];
		host->packets_rcvd += packets[1 - d];
		host->m_bytes_sent += bytes[d];
		host->m_packets_sent += packets[d];
		host->m_bytes_rcvd += bytes[1 - d];
		host->m_packets_rcvd += packets[1 - d];
		host->m_dns_bytes += dns ? app_bytes : 0;
		host->m_p2p_bytes += p2p ? app_bytes : 0;
		if (app_bytes > 0)
			vg_host_app_add(host->m_apps, &host->m_app_other, app,
					app_bytes);
		if (both > 0 && flow->last_us > host->last_us)
			host->last_us = flow->last_us;
		host->local = (lo ? flow->lo_net : flow->hi_net) != 0;
		if (active > 0) {
			if (client) {
				host->flows_as_client++;
				host->total_flows_as_client++;
				host->m_new_client++;
			} else {
				host->flows_as_server++;
				host->total_flows_as_server++;
				host->m_new_server++;
			}
		}
		if (active < 0) {
			if (client)
				host->flows_as_client--;
			else
				host->flows_as_server--;
			host->score -= flow->score < host->score ? flow->score :
								  host->score;
		}
		vg_host_touch(table, host);
	}
}

static void
update_hosts(struct vg_engine *engine, struct vg_flow *flow, int active)
{
	vg_engine_update_hosts_hashed(engine, flow, active, NULL);
}

/*
 * Counts the SYN segments of a packet in its hosts' open minute. The rest
 * of a packet reaches its hosts through update_hosts.
 */
static void
count_syn(struct vg_engine *engine, const struct vg_pkt *pkt)
{
	bool ack = (pkt->tcp_flags & TCP_ACK) != 0;
	struct vg_host *src, *dst;

	src = vg_host_get(engine->hosts, pkt->src, pkt->ip_version, pkt->vlan,
			  pkt->ts_us);
	dst = vg_host_get(engine->hosts, pkt->dst, pkt->ip_version, pkt->vlan,
			  pkt->ts_us);
	if (src != NULL) {
		src->m_syn_sent += !ack;
		src->m_synack_sent += ack;
		vg_host_touch(engine->hosts, src);
	}
	if (dst != NULL) {
		dst->m_syn_rcvd += !ack;
		dst->m_synack_rcvd += ack;
		vg_host_touch(engine->hosts, dst);
	}
}

/*
 * Records a packet of <flow> in direction <dir> after the flow's counters
 * took it. Lists the flow as owed when its hosts had counted all of it,
 * and updates them at once when 255 packets are uncounted.
 */
static inline void
note_host_packet(struct vg_engine *engine, struct vg_flow *flow,
		 const struct vg_pkt *pkt, unsigned int dir)
{
	uint8_t owed = (uint8_t)((uint8_t)flow->packets[dir] -
				 flow->host_packets[dir]);
	uint8_t other = (uint8_t)((uint8_t)flow->packets[1 - dir] -
				  flow->host_packets[1 - dir]);

	if (owed == 1 && other == 0)
		vg_flow_table_note_owed(engine->table, flow);
	else if (owed == UINT8_MAX)
		update_hosts(engine, flow, 0);
	if (pkt->l4_proto == IPPROTO_TCP && (pkt->tcp_flags & TCP_SYN))
		count_syn(engine, pkt);
}

/* Starts loading the lines of a flow slot that update_hosts reads. */
static inline void
prefetch_slot(const struct vg_flow *flow)
{
	__builtin_prefetch(flow, 1);
	__builtin_prefetch((const char *)flow + 64, 1);
	__builtin_prefetch((const char *)flow + 128, 1);
	__builtin_prefetch((const char *)flow + 192, 1);
}

void
vg_engine_pass_prefetch_hosts(struct vg_engine *engine,
			      const struct vg_flow *flow, uint32_t hash[2])
{
	const struct vg_flow_key *key = &flow->key;
	bool first_lo = (flow->flags & VG_FLOW_FIRST_FROM_LO) != 0;

	hash[0] = vg_host_hash(first_lo ? key->lo_addr : key->hi_addr,
			       key->vlan);
	hash[1] = vg_host_hash(first_lo ? key->hi_addr : key->lo_addr,
			       key->vlan);
	vg_host_prefetch(engine->hosts, hash[0]);
	vg_host_prefetch(engine->hosts, hash[1]);
}

/*
 * Updates the hosts of every owed flow (update_hosts). The flows and hosts
 * are scattered over tables of many megabytes, so the pass loads the slot
 * of flow i + 2 * PASS_AHEAD and the hosts of flow i + PASS_AHEAD while it
 * counts flow i.
 */
void
vg_engine_pass_owed_flows(struct vg_engine *engine)
{
	struct vg_flow_table *table = engine->table;
	uint32_t hash[2 * PASS_AHEAD][2];
	uint32_t i, n;

	if (table->owed_overflow) {
		/* Slots in order: the hardware prefetcher follows. */
		for (i = 0; i < table->capacity; i++)
			if (table->slots[i].flags & VG_FLOW_IN_USE)
				update_hosts(engine, &table->slots[i], 0);
		goto done;
	}
	n = table->owed_count;
	for (i = 0; i < n && i < 2 * PASS_AHEAD; i++)
		prefetch_slot(&table->slots[table->owed[i]]);
	for (i = 0; i < n && i < PASS_AHEAD; i++)
		vg_engine_pass_prefetch_hosts(
			engine, &table->slots[table->owed[i]], hash[i]);
	for (i = 0; i < n; i++) {
		struct vg_flow *flow = &table->slots[table->owed[i]];
		uint32_t ahead = i + PASS_AHEAD;

		if (ahead + PASS_AHEAD < n)
			prefetch_slot(
				&table->slots[table->owed[ahead + PASS_AHEAD]]);
		if (ahead < n)
			vg_engine_pass_prefetch_hosts(
				engine, &table->slots[table->owed[ahead]],
				hash[ahead % (2 * PASS_AHEAD)]);
		if (flow->flags & VG_FLOW_IN_USE)
			vg_engine_update_hosts_hashed(
				engine, flow, 0, hash[i % (2 * PASS_AHEAD)]);
	}
done:
	table->owed_count = 0;
	table->owed_overflow = false;
	engine->host_pass_us = engine->now_us + HOST_PASS_US;
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
 * per-packet counting left out, under its application and category, and
 * brings its hosts up to date with them (update_hosts).
 */
static void
count_detected(struct vg_engine *engine, struct vg_flow *flow)
{
	uint64_t bytes = flow->bytes[0] + flow->bytes[1];

	if (engine->minute != NULL) {
		engine->minute->app_bytes[app_slot(flow)] += bytes;
		engine->minute->category_bytes[flow->category % 64] += bytes;
	}
	/*
	 * Its hosts count these bytes under the application at their next
	 * update (update_hosts).
	 */
	if (engine->hosts != NULL)
		flow->flags |= VG_FLOW_APP_OWED;
}

/* Closes the open minute when <now_us> is past it. */
static inline void
check_minute(struct vg_engine *engine, uint64_t now_us)
{
	if (engine->hosts != NULL && now_us >= engine->host_pass_us)
		vg_engine_pass_owed_flows(engine);
	if (engine->minute == NULL || now_us < engine->minute_end_us)
		return;
	if (engine->minute_end_us == 0) {
		/* The first packet opens the first minute. */
		engine->minute_end_us = (now_us / 60000000 + 1) * 60000000;
		if (engine->minutes_from_start)
			engine->minute->started_us = now_us;
		return;
	}
	vg_engine_cut_minute(engine, now_us);
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
	struct ndpi_flow_struct *state = flow_ndpi(engine, flow);
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

void
vg_engine_give_up(struct vg_engine *engine, struct vg_flow *flow)
{
	ndpi_protocol proto = { 0 };
	uint8_t guessed = 0;

	if (flow->flags & VG_FLOW_DETECTED)
		return;
	if (flow->ndpi_state != 0) {
		proto = ndpi_detection_giveup(engine->ndpi,
					      flow_ndpi(engine, flow), 1,
					      &guessed);
	} else {
		proto.master_protocol = flow->master_proto;
		proto.app_protocol = flow->app_proto;
		proto.category = flow->category;
	}
	finish_detection(engine, flow, proto);
}

void
vg_engine_write_record(struct vg_engine *engine, struct vg_flow *flow,
		       enum vg_flow_end reason)
{
	char line[RECORD_MAX];
	size_t len;

	vg_engine_give_up(engine, flow);
	if (!(flow->flags & VG_FLOW_END_SENT))
		vg_events_flow(engine->events, engine, flow, VG_HOOK_FLOW_END,
			       reason);
	if (engine->hosts != NULL && !engine->hosts_settled)
		update_hosts(engine, flow, -1);
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
		update_hosts(engine, flow, 1);

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
	flow->ndpi_state = engine->ndpi_free[--engine->ndpi_free_count] + 1;
	memset(flow_ndpi(engine, flow), 0, sizeof(struct ndpi_flow_struct));
}

/*
 * Ends <flow> and starts it again in the same slot, keeping its key, hash
 * and links: the slot stays where it is in its bucket and queue.
 */
/*
 * Ends detection on <flow> and fires flowEnd now, ahead of its record, so
 * the statuses these hooks set can reach the record.
 */
void
vg_engine_end_early(struct vg_engine *engine, struct vg_flow *flow,
		    enum vg_flow_end reason)
{
	vg_engine_give_up(engine, flow);
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
			vg_engine_end_early(engine, flow, reason);
		engine->await_fn(engine->await_ctx);
	}
	keep = *flow;
	vg_engine_write_record(engine, flow, reason);
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
	struct ndpi_flow_struct *state = flow_ndpi(engine, flow);
	ndpi_protocol proto;
	uint64_t seen = flow->packets[0] + flow->packets[1];
	bool enough;

	engine->counters.ndpi_packets++;
	proto = ndpi_detection_process_packet(
		engine->ndpi, state, frame + pkt->l3_off, vg_pkt_l3_len(pkt),
		pkt->ts_us / 1000);
	flow->master_proto = proto.master_protocol;
	flow->app_proto = proto.app_protocol;
	flow->category = (uint16_t)proto.category;
	/*
	 * A TLS or QUIC server name comes with the first packet, long before
	 * extra dissection ends: live queries see it from then on.
	 */
	if (flow->server_name[0] == '\0' &&
	    state->host_server_name[0] != '\0')
		snprintf(flow->server_name, sizeof(flow->server_name), "%.*s",
			 (int)sizeof(flow->server_name) - 1,
			 state->host_server_name);

	enough = (pkt->l4_proto == IPPROTO_TCP &&
		  seen > engine->detect_limit_tcp) ||
		 (pkt->l4_proto == IPPROTO_UDP &&
		  seen > engine->detect_limit_udp);
	if (!enough && proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		return;
	if (!enough && ndpi_extra_dissection_possible(engine->ndpi, state))
		return;

	if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
		uint8_t guessed = 0;

		proto = ndpi_detection_giveup(engine->ndpi, state, 1,
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

	if (engine->minute != NULL)
		count_minute(engine, flow, pkt, src_is_lo);
	dir = src_is_lo == !!(flow->flags & VG_FLOW_FIRST_FROM_LO) ? 0 : 1;
	flow->packets[dir]++;
	flow->bytes[dir] += pkt->frame_len;
	if (engine->hosts != NULL)
		note_host_packet(engine, flow, pkt, dir);
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
	if (flow->ndpi_state != 0)
		detect(engine, flow, pkt, frame);
}
