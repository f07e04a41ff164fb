/*
 * The per-minute cut of one engine: at each minute boundary of packet
 * time the open minute's counters and the hosts that changed in it go to
 * cut_fn (minute.h merges the lcores' cuts), and a new minute opens. The
 * packet path only checks the boundary (check_minute in flow_engine.c),
 * so the cut itself lives here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "flow_internal.h"
#include "hosts.h"
#include "minute.h"

/*
 * Hands the open minute to cut_fn with the hosts that changed in it, and
 * opens the minute of <now_us> (VG_MINUTE_DONE: none).
 */
void
vg_engine_cut_minute(struct vg_engine *engine, uint64_t now_us)
{
	struct vg_minute_cut *open = engine->minute;
	struct vg_host_table *table = engine->hosts;
	uint32_t hosts = table != NULL ? table->dirty_count : 0;
	bool first = engine->minute_end_us == 0;
	struct vg_minute_cut *cut;
	uint32_t i;

	/* The minute's host counts are complete once no flow owes them. */
	if (table != NULL) {
		vg_engine_pass_owed_flows(engine);
		hosts = table->dirty_count;
	}
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
	if (first && engine->minutes_from_start && now_us != VG_MINUTE_DONE)
		open->started_us = now_us;
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

void
vg_engine_advance(struct vg_engine *engine, uint64_t now_us)
{
	if (now_us <= engine->now_us)
		return;
	engine->now_us = now_us;
	if (engine->hosts != NULL && now_us >= engine->host_pass_us)
		vg_engine_pass_owed_flows(engine);
	if (engine->minute == NULL)
		return;
	/*
	 * An engine that has seen no packet yet still reports how far its
	 * clock is, so the others' minutes are not held back waiting for it:
	 * a cut of minute 0 carries no counts, only next_minute.
	 */
	if (engine->minute_end_us == 0 || now_us >= engine->minute_end_us)
		vg_engine_cut_minute(engine, now_us);
}

void
vg_engine_minutes_done(struct vg_engine *engine, bool stopped)
{
	if (engine->minute == NULL || engine->minute_end_us == VG_MINUTE_DONE)
		return;
	if (stopped && engine->minute_end_us != 0 &&
	    engine->now_us < engine->minute_end_us)
		engine->minute->stopped_us = engine->now_us;
	vg_engine_cut_minute(engine, VG_MINUTE_DONE);
}
