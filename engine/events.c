/*
 * Flow events into sandbox rings; see events.h for the design.
 *
 * The wire format of an EventBatch built here: field 1 (version) and
 * field 2 (seq) when the batch opens, one field 4 (a FlowEvent, length
 * delimited) per event, and field 3 (time_us) when it is sealed. Protobuf
 * readers accept fields in any order and merge repeated ones, so this is
 * exactly what vigil__v1__event_batch__pack() would produce, in another
 * field order.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <ndpi/ndpi_api.h>

#include "events.h"
#include "flow.h"
#include "vigil_events.pb-c.h"

#define MAX_RISKS 64

struct vg_status_registry vg_statuses;

int
vg_status_id(const char *key)
{
	uint32_t count = atomic_load_explicit(&vg_statuses.count,
					      memory_order_relaxed);
	uint32_t i;

	if (key[0] == '\0' || strlen(key) >= VG_STATUS_KEY_LEN)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		if (strcmp(vg_statuses.keys[i], key) == 0)
			return (int)i;
	}
	if (count == VG_STATUS_MAX)
		return -ENOSPC;
	strcpy(vg_statuses.keys[count], key);
	atomic_store_explicit(&vg_statuses.count, count + 1,
			      memory_order_release);
	return (int)count;
}

void
vg_events_mark(struct vg_event_out *out, struct vg_events_mark *m)
{
	unsigned int s;

	vg_events_flush_idle(out, true);
	memset(m, 0, sizeof(*m));
	for (s = 0; s < out->sandbox_count; s++)
		m->target[s] = out->put_seq[s];
}

bool
vg_events_answered(const struct vg_event_out *out, struct vg_events_mark *m)
{
	unsigned int e = out->engine_index;
	unsigned int s;

	for (s = 0; s < out->sandbox_count; s++) {
		const struct vg_sandbox_status *st = out->status[s];

		if (st == NULL || m->target[s] == 0)
			continue;
		if (!m->handled[s]) {
			if (atomic_load_explicit(&st->handled_seq[e],
						 memory_order_acquire) <
			    m->target[s])
				return false;
			/* At least the results written with the target batch. */
			m->results[s] = atomic_load_explicit(
				&st->results_at[e], memory_order_acquire);
			m->handled[s] = true;
		}
		if (atomic_load_explicit(out->results_applied[s],
					 memory_order_acquire) < m->results[s])
			return false;
	}
	return true;
}

uint64_t
vg_events_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
vg_events_init(struct vg_event_out *out, unsigned int sandboxes,
	       uint64_t flush_after_ns)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->sandbox_count = sandboxes;
	out->flush_after_ns = flush_after_ns;
	for (i = 0; i < VG_MAX_SANDBOXES; i++)
		out->wake_fd[i] = -1;
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static void
open_batch(struct vg_event_out *out, unsigned int s)
{
	struct vg_event_batch *b = &out->batches[s];

	b->used = 0;
	b->data[b->used++] = (1 << 3) | 0;	/* version */
	b->used += put_varint(b->data + b->used, VIGIL__V1__SCHEMA_VERSION__SCHEMA_VERSION_1);
	b->data[b->used++] = (2 << 3) | 0;	/* seq */
	b->seq = ++out->seq[s];
	b->used += put_varint(b->data + b->used, b->seq);
	b->events = 0;
	b->opened_ns = vg_events_now_ns();
}

/* Seals and writes batch <s>; a full ring drops it. */
static void
send_batch(struct vg_event_out *out, unsigned int s, uint64_t time_us)
{
	struct vg_event_batch *b = &out->batches[s];
	struct vg_shm_ring_ref *ring = &out->rings[s];
	int rc;

	if (b->events == 0)
		return;
	b->data[b->used++] = (3 << 3) | 0;	/* time_us */
	b->used += put_varint(b->data + b->used, time_us);
	if (ring->shared == NULL)
		rc = -ENOTCONN;
	else
		rc = vg_shm_ring_put(ring, b->data, (uint32_t)b->used);
	if (rc == 0) {
		out->put_seq[s] = b->seq;
		atomic_fetch_add_explicit(&out->batches_sent, 1,
					  memory_order_relaxed);
		vg_shm_ring_wake(ring, out->wake_fd[s]);
	} else {
		atomic_fetch_add_explicit(&out->batches_dropped[s], 1,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&out->events_dropped, b->events,
					  memory_order_relaxed);
	}
	b->events = 0;
	b->used = 0;
	b->opened_ns = 0;
}

static void
fill_endpoints(const struct vg_flow *flow, Vigil__V1__FlowEvent *ev)
{
	bool client_lo = vg_flow_client_is_lo(flow);
	size_t alen = flow->key.ip_version == 6 ? 16 : 4;
	const struct vg_flow_key *key = &flow->key;

	ev->client_ip.len = alen;
	ev->client_ip.data = (uint8_t *)(client_lo ? key->lo_addr : key->hi_addr);
	ev->server_ip.len = alen;
	ev->server_ip.data = (uint8_t *)(client_lo ? key->hi_addr : key->lo_addr);
	ev->client_port = client_lo ? key->lo_port : key->hi_port;
	ev->server_port = client_lo ? key->hi_port : key->lo_port;
	ev->client_local = (client_lo ? flow->lo_net : flow->hi_net) != 0;
	ev->server_local = (client_lo ? flow->hi_net : flow->lo_net) != 0;
}

void
vg_events_flow(struct vg_event_out *out, const struct vg_engine *engine,
	       const struct vg_flow *flow, enum vg_flow_hook hook,
	       enum vg_flow_end reason)
{
	Vigil__V1__FlowEvent ev = VIGIL__V1__FLOW_EVENT__INIT;
	bool swapped = (flow->flags & VG_FLOW_SWAPPED) != 0;
	unsigned int c2s = swapped ? 1 : 0;
	ndpi_protocol proto = {
		.master_protocol = flow->master_proto,
		.app_protocol = flow->app_proto,
		.category = (ndpi_protocol_category_t)flow->category,
	};
	char *risks[MAX_RISKS];
	char *statuses[VG_FLOW_STATUSES];
	char l7[64];
	char ja3[33] = "";
	uint16_t master;
	uint16_t app;
	unsigned int s;
	unsigned int i;
	size_t size;
	struct vg_event_batch *b;

	if (out == NULL || out->sandbox_count == 0)
		return;
	s = flow->hash % out->sandbox_count;

	ev.hook = (Vigil__V1__FlowHook)hook;
	ev.flow_id = ((uint64_t)engine->index << 56) |
		     ((uint64_t)vg_flow_table_slot(engine->table, flow) << 24) |
		     (flow->generation & 0xffffff);
	ev.l4_proto = flow->key.l4_proto;
	fill_endpoints(flow, &ev);
	ev.vlan = flow->key.vlan;
	ndpi_protocol2name(engine->ndpi, proto, l7, sizeof(l7));
	ev.l7 = l7;
	/* The parts of l7, as the API shows them, not nDPI's stored pair:
	 * plain HTTP is stored as master 0 but is HTTP/HTTP here. */
	vg_flow_l7_pair(flow, &master, &app);
	ev.master_proto = master;
	ev.app_proto = app;
	ev.l7_master = (char *)ndpi_get_proto_name(engine->ndpi, master);
	ev.l7_app = (char *)ndpi_get_proto_name(engine->ndpi, app);
	ev.category = (char *)ndpi_category_get_name(engine->ndpi,
						      proto.category);
	ev.confidence = (char *)ndpi_confidence_get_name(
		(ndpi_confidence_t)flow->confidence);
	ev.c2s_packets = flow->packets[c2s];
	ev.c2s_bytes = flow->bytes[c2s];
	ev.s2c_packets = flow->packets[1 - c2s];
	ev.s2c_bytes = flow->bytes[1 - c2s];
	ev.first_seen_us = flow->first_us;
	ev.last_seen_us = flow->last_us;
	ev.server_name = (char *)flow->server_name;
	for (i = 0; i < 16; i++) {
		if (flow->ja3_client[i] != 0)
			break;
	}
	if (i < 16) {
		for (i = 0; i < 16; i++)
			snprintf(ja3 + 2 * i, 3, "%02x", flow->ja3_client[i]);
	}
	ev.ja3_client = ja3;
	for (i = 1; i < 64 && i < NDPI_MAX_RISK; i++) {
		if (flow->risk & (1ull << i))
			risks[ev.n_risks++] =
				(char *)ndpi_risk2str((ndpi_risk_enum)i);
	}
	ev.risks = risks;
	ev.c2s_tcp_flags = flow->tcp_flags[c2s];
	ev.s2c_tcp_flags = flow->tcp_flags[1 - c2s];
	ev.retransmissions = flow->retransmissions;
	ev.out_of_order = flow->out_of_order;
	ev.zero_windows = flow->zero_windows;
	ev.rtt_us = vg_flow_rtt_us(flow);
	ev.swapped = swapped;
	ev.partial = hook == VG_HOOK_FLOW_END && reason == VG_END_ACTIVE;
	ev.score = flow->score;
	for (i = 0; i < VG_FLOW_STATUSES && flow->statuses[i] != 0; i++)
		statuses[ev.n_statuses++] =
			vg_statuses.keys[flow->statuses[i] - 1];
	ev.statuses = statuses;

	size = vigil__v1__flow_event__get_packed_size(&ev);
	b = &out->batches[s];
	/* Tag, length (at most 5 bytes) and the time_us field at sealing. */
	if (b->events > 0 &&
	    (b->used + 1 + 5 + size + 11 > sizeof(b->data) ||
	     b->events == VG_EVENT_BATCH_EVENTS))
		send_batch(out, s, engine->now_us);
	if (b->events == 0)
		open_batch(out, s);
	if (b->used + 1 + 5 + size + 11 > sizeof(b->data)) {
		/* Cannot happen with 64 KiB batches; counted if it ever does. */
		atomic_fetch_add_explicit(&out->events_dropped, 1,
					  memory_order_relaxed);
		return;
	}
	b->data[b->used++] = (4 << 3) | 2;	/* flows, length delimited */
	b->used += put_varint(b->data + b->used, size);
	b->used += vigil__v1__flow_event__pack(&ev, b->data + b->used);
	b->events++;
	atomic_fetch_add_explicit(&out->events, 1, memory_order_relaxed);
}

static void
reset_ring(struct vg_event_out *out, unsigned int s)
{
	uint32_t want = atomic_load_explicit(&out->reset_request[s],
					     memory_order_acquire);
	struct vg_shm_ring *ring = out->rings[s].shared;

	if (want == atomic_load_explicit(&out->reset_done[s],
					 memory_order_relaxed))
		return;
	/*
	 * The sandbox is gone, so this lcore is the only one on the ring.
	 * The batches still in it are lost with the restart: count them,
	 * walking the length headers while they stay inside the ring.
	 * NOTE: the batch the sandbox was running when it died was already
	 * taken off the ring and is not counted.
	 */
	if (ring != NULL) {
		uint64_t tail = atomic_load(&ring->tail);
		uint64_t head = atomic_load(&ring->head);
		uint32_t size = out->rings[s].size;
		uint64_t lost = 0;

		while (tail < head && head - tail <= size &&
		       head - tail >= 4) {
			uint32_t off = (uint32_t)(tail & (size - 1));
			uint32_t len = 0;
			unsigned int b;

			for (b = 0; b < 4; b++)
				((uint8_t *)&len)[b] =
					ring->data[(off + b) & (size - 1)];
			if ((uint64_t)len + 4 > head - tail)
				break;
			tail += 4 + len;
			lost++;
		}
		atomic_fetch_add_explicit(&out->batches_dropped[s], lost,
					  memory_order_relaxed);
		atomic_store(&ring->head, 0);
		atomic_store(&ring->tail, 0);
		atomic_store(&ring->asleep, 0);
	}
	atomic_store_explicit(&out->reset_done[s], want, memory_order_release);
}

void
vg_events_flush_idle(struct vg_event_out *out, bool all)
{
	uint64_t now = 0;
	unsigned int s;

	if (out == NULL)
		return;
	for (s = 0; s < out->sandbox_count; s++) {
		struct vg_event_batch *b = &out->batches[s];

		reset_ring(out, s);
		if (b->events == 0)
			continue;
		if (!all) {
			if (now == 0)
				now = vg_events_now_ns();
			if (now - b->opened_ns < out->flush_after_ns)
				continue;
		}
		send_batch(out, s, out->now_us != NULL ? *out->now_us : 0);
	}
}
