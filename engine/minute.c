/*
 * Merging the engine lcores' minute cuts; see minute.h.
 *
 * Cuts arrive from each lcore in minute order, but the lcores are not in
 * step with each other, so a minute stays pending until every lcore's
 * clock has passed it. Pending minutes are few (lcores drift apart by a
 * burst or two), so they are kept in a small array; the hosts of one
 * pending minute are merged through an open-addressed index on
 * (address, VLAN).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/hash.h"
#include "minute.h"

struct pending {
	struct vg_minute_merged m;
	uint32_t host_cap;         /* room in m.hosts */
	uint32_t *index;           /* host slots: position in m.hosts + 1 */
	uint32_t index_cap;        /* power of two, twice host_cap */
	bool merged_any;           /* a cut was merged into m */
};

struct vg_minutes {
	unsigned int engines;
	uint64_t *progress;        /* per lcore: minutes before this are final */
	uint32_t *active_flows;    /* per lcore, from its latest cut */
	uint32_t *active_hosts;
	struct pending *pending;   /* sorted by minute */
	unsigned int pending_count;
	unsigned int pending_cap;
	uint64_t last;             /* last minute delivered, 0 before any */
	struct {
		vg_minute_fn fn;
		void *ctx;
	} consumers[VG_MINUTE_CONSUMERS_MAX];
	unsigned int consumer_count;
	struct vg_minute_merged empty;
};

void
vg_minute_cut_free(struct vg_minute_cut *cut)
{
	free(cut);
}

struct vg_minutes *
vg_minutes_create(unsigned int engines)
{
	struct vg_minutes *mins = calloc(1, sizeof(*mins));

	if (mins == NULL)
		return NULL;
	mins->engines = engines;
	mins->progress = calloc(engines, sizeof(*mins->progress));
	mins->active_flows = calloc(engines, sizeof(*mins->active_flows));
	mins->active_hosts = calloc(engines, sizeof(*mins->active_hosts));
	if (mins->progress == NULL || mins->active_flows == NULL ||
	    mins->active_hosts == NULL) {
		vg_minutes_free(mins);
		return NULL;
	}
	return mins;
}

static void
pending_release(struct pending *p)
{
	free(p->m.hosts);
	free(p->index);
	memset(p, 0, sizeof(*p));
}

void
vg_minutes_free(struct vg_minutes *mins)
{
	unsigned int i;

	if (mins == NULL)
		return;
	for (i = 0; i < mins->pending_count; i++)
		pending_release(&mins->pending[i]);
	free(mins->pending);
	free(mins->progress);
	free(mins->active_flows);
	free(mins->active_hosts);
	free(mins);
}

int
vg_minutes_add_consumer(struct vg_minutes *mins, vg_minute_fn fn, void *ctx)
{
	if (mins->consumer_count == VG_MINUTE_CONSUMERS_MAX)
		return -ENOSPC;
	mins->consumers[mins->consumer_count].fn = fn;
	mins->consumers[mins->consumer_count].ctx = ctx;
	mins->consumer_count++;
	return 0;
}

uint64_t
vg_minutes_last(const struct vg_minutes *mins)
{
	return mins->last;
}

/* Returns the pending entry of <minute>, adding it; NULL if out of memory. */
static struct pending *
pending_get(struct vg_minutes *mins, uint64_t minute)
{
	unsigned int i;

	for (i = 0; i < mins->pending_count; i++) {
		if (mins->pending[i].m.minute == minute)
			return &mins->pending[i];
		if (mins->pending[i].m.minute > minute)
			break;
	}
	if (mins->pending_count == mins->pending_cap) {
		unsigned int cap = mins->pending_cap ? mins->pending_cap * 2 : 4;
		struct pending *p = realloc(mins->pending, cap * sizeof(*p));

		if (p == NULL)
			return NULL;
		mins->pending = p;
		mins->pending_cap = cap;
	}
	memmove(&mins->pending[i + 1], &mins->pending[i],
		(mins->pending_count - i) * sizeof(mins->pending[0]));
	mins->pending_count++;
	memset(&mins->pending[i], 0, sizeof(mins->pending[i]));
	mins->pending[i].m.minute = minute;
	return &mins->pending[i];
}

static uint32_t
host_hash(const struct vg_minute_host *h)
{
	return (uint32_t)vg_hash_bytes(h->addr, 16, h->vlan);
}

/* Rebuilds the index of <p> with room for <cap> hosts. */
static int
pending_grow(struct pending *p, uint32_t cap)
{
	struct vg_minute_host *hosts;
	uint32_t index_cap = 16;
	uint32_t *index;
	uint32_t i;

	while (index_cap < cap * 2)
		index_cap <<= 1;
	hosts = realloc(p->m.hosts, (size_t)cap * sizeof(*hosts));
	if (hosts == NULL)
		return -ENOMEM;
	p->m.hosts = hosts;
	p->host_cap = cap;
	index = calloc(index_cap, sizeof(*index));
	if (index == NULL)
		return -ENOMEM;
	free(p->index);
	p->index = index;
	p->index_cap = index_cap;
	for (i = 0; i < p->m.host_count; i++) {
		uint32_t slot = host_hash(&hosts[i]) & (index_cap - 1);

		while (index[slot] != 0)
			slot = (slot + 1) & (index_cap - 1);
		index[slot] = i + 1;
	}
	return 0;
}

static void
add_host(struct vg_minute_host *to, const struct vg_minute_host *from)
{
	unsigned int i;

	to->bytes_sent += from->bytes_sent;
	to->bytes_rcvd += from->bytes_rcvd;
	to->packets_sent += from->packets_sent;
	to->packets_rcvd += from->packets_rcvd;
	to->dns_bytes += from->dns_bytes;
	to->p2p_bytes += from->p2p_bytes;
	to->new_flows_as_client += from->new_flows_as_client;
	to->new_flows_as_server += from->new_flows_as_server;
	to->syn_sent += from->syn_sent;
	to->syn_rcvd += from->syn_rcvd;
	to->synack_sent += from->synack_sent;
	to->synack_rcvd += from->synack_rcvd;
	to->flows_as_client += from->flows_as_client;
	to->flows_as_server += from->flows_as_server;
	to->score += from->score;
	to->app_other_bytes += from->app_other_bytes;
	for (i = 0; i < VG_HOST_APPS && from->apps[i].bytes > 0; i++)
		vg_host_app_add(to->apps, &to->app_other_bytes,
				from->apps[i].app, from->apps[i].bytes);
	to->local = to->local || from->local;
	if (from->first_us < to->first_us)
		to->first_us = from->first_us;
	if (from->last_us > to->last_us)
		to->last_us = from->last_us;
}

/* Merges <h> into <p>; returns 0 or -ENOMEM (the host is then lost). */
static int
pending_add_host(struct pending *p, const struct vg_minute_host *h)
{
	uint32_t slot;

	if (p->m.host_count == p->host_cap &&
	    pending_grow(p, p->host_cap ? p->host_cap * 2 : 256) != 0)
		return -ENOMEM;
	slot = host_hash(h) & (p->index_cap - 1);
	while (p->index[slot] != 0) {
		struct vg_minute_host *o = &p->m.hosts[p->index[slot] - 1];

		if (o->vlan == h->vlan && memcmp(o->addr, h->addr, 16) == 0) {
			add_host(o, h);
			return 0;
		}
		slot = (slot + 1) & (p->index_cap - 1);
	}
	p->m.hosts[p->m.host_count] = *h;
	p->index[slot] = ++p->m.host_count;
	return 0;
}

static void
merge_cut(struct pending *p, const struct vg_minute_cut *cut)
{
	struct vg_minute_merged *m = &p->m;
	unsigned int i;

	for (i = 0; i < VG_MAX_PORTS; i++) {
		m->ports[i].packets += cut->ports[i].packets;
		m->ports[i].bytes += cut->ports[i].bytes;
		m->ports[i].bytes_in += cut->ports[i].bytes_in;
		m->ports[i].bytes_out += cut->ports[i].bytes_out;
	}
	for (i = 0; i < VG_MAX_LOCAL_NETS; i++) {
		m->nets[i].bytes_in += cut->nets[i].bytes_in;
		m->nets[i].bytes_out += cut->nets[i].bytes_out;
		m->nets[i].bytes_inside += cut->nets[i].bytes_inside;
		m->nets[i].flows_in += cut->nets[i].flows_in;
		m->nets[i].flows_out += cut->nets[i].flows_out;
	}
	for (i = 0; i < VG_APP_SLOTS; i++)
		m->app_bytes[i] += cut->app_bytes[i];
	for (i = 0; i < 64; i++)
		m->category_bytes[i] += cut->category_bytes[i];
	m->flows_created += cut->flows_created;
	m->flows_ended += cut->flows_ended;
	if (cut->stopped_us > m->stopped_us)
		m->stopped_us = cut->stopped_us;
	if (!p->merged_any || cut->started_us < m->started_us)
		m->started_us = cut->started_us;
	p->merged_any = true;
	/*
	 * NOTE: a host that cannot be merged for want of memory is left out of
	 * this minute; its own counters in the engine are not affected.
	 */
	for (i = 0; i < cut->host_count; i++)
		(void)pending_add_host(p, &cut->hosts[i]);
}

static void
deliver(struct vg_minutes *mins, struct vg_minute_merged *m)
{
	unsigned int i;

	m->active_flows = 0;
	m->active_hosts = 0;
	for (i = 0; i < mins->engines; i++) {
		m->active_flows += mins->active_flows[i];
		m->active_hosts += mins->active_hosts[i];
	}
	for (i = 0; i < mins->consumer_count; i++)
		mins->consumers[i].fn(mins->consumers[i].ctx, m);
	mins->last = m->minute;
}

/* Delivers empty minutes after the last one delivered, up to <before>. */
static void
deliver_quiet(struct vg_minutes *mins, uint64_t before)
{
	uint64_t m = mins->last + 1;

	if (mins->last == 0 || before <= m)
		return;
	if (before - m > VG_MINUTE_GAP_MAX)
		m = before - VG_MINUTE_GAP_MAX;
	for (; m < before; m++) {
		memset(&mins->empty, 0, sizeof(mins->empty));
		mins->empty.minute = m;
		deliver(mins, &mins->empty);
	}
}

void
vg_minutes_add(struct vg_minutes *mins, struct vg_minute_cut *cut)
{
	uint64_t final = VG_MINUTE_DONE;
	unsigned int e = cut->engine < mins->engines ? cut->engine : 0;
	unsigned int i;

	/* Minute 0 is no minute: such a cut only reports the clock. */
	if (cut->minute != 0 && cut->minute > mins->last) {
		struct pending *p = pending_get(mins, cut->minute);

		if (p != NULL)
			merge_cut(p, cut);
	}
	/*
	 * NOTE: a cut for a minute already delivered (an lcore whose clock
	 * lagged, or a pending entry lost to memory) is dropped.
	 */
	if (cut->next_minute > mins->progress[e])
		mins->progress[e] = cut->next_minute;
	mins->active_flows[e] = cut->active_flows;
	mins->active_hosts[e] = cut->active_hosts;
	vg_minute_cut_free(cut);

	for (i = 0; i < mins->engines; i++)
		if (mins->progress[i] < final)
			final = mins->progress[i];

	while (mins->pending_count > 0 && mins->pending[0].m.minute < final) {
		struct pending p = mins->pending[0];

		memmove(&mins->pending[0], &mins->pending[1],
			(mins->pending_count - 1) * sizeof(mins->pending[0]));
		mins->pending_count--;
		deliver_quiet(mins, p.m.minute);
		deliver(mins, &p.m);
		pending_release(&p);
	}
	if (final != VG_MINUTE_DONE)
		deliver_quiet(mins, final);
}

static int
totals_grow(struct vg_host_totals *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : 1024;
	uint32_t index_cap = cap * 2;
	struct vg_host_total *hosts;
	uint32_t *index;
	uint32_t i;

	hosts = realloc(t->hosts, (size_t)cap * sizeof(*hosts));
	if (hosts == NULL)
		return -ENOMEM;
	t->hosts = hosts;
	index = calloc(index_cap, sizeof(*index));
	if (index == NULL)
		return -ENOMEM;
	t->cap = cap;
	free(t->index);
	t->index = index;
	t->index_cap = index_cap;
	for (i = 0; i < t->count; i++) {
		uint32_t slot = (uint32_t)vg_hash_bytes(hosts[i].addr, 16,
							hosts[i].vlan) &
				(index_cap - 1);

		while (index[slot] != 0)
			slot = (slot + 1) & (index_cap - 1);
		index[slot] = i + 1;
	}
	return 0;
}

const struct vg_host_total *
vg_host_totals_add(struct vg_host_totals *t, const struct vg_minute_host *h,
		   uint64_t minute)
{
	struct vg_host_total *o;
	uint32_t slot;

	if (t->count == t->cap && totals_grow(t) != 0)
		return NULL;
	slot = host_hash(h) & (t->index_cap - 1);
	for (;;) {
		if (t->index[slot] == 0) {
			o = &t->hosts[t->count];
			memset(o, 0, sizeof(*o));
			memcpy(o->addr, h->addr, 16);
			o->ip_version = h->ip_version;
			o->vlan = h->vlan;
			o->first_us = h->first_us;
			t->index[slot] = ++t->count;
			break;
		}
		o = &t->hosts[t->index[slot] - 1];
		if (o->vlan == h->vlan && memcmp(o->addr, h->addr, 16) == 0)
			break;
		slot = (slot + 1) & (t->index_cap - 1);
	}
	o->local = h->local;
	o->bytes_sent += h->bytes_sent;
	o->bytes_rcvd += h->bytes_rcvd;
	o->packets_sent += h->packets_sent;
	o->packets_rcvd += h->packets_rcvd;
	o->dns_bytes += h->dns_bytes;
	o->p2p_bytes += h->p2p_bytes;
	o->total_flows_as_client += h->new_flows_as_client;
	o->total_flows_as_server += h->new_flows_as_server;
	o->flows_as_client = h->flows_as_client;
	o->flows_as_server = h->flows_as_server;
	if (h->first_us < o->first_us)
		o->first_us = h->first_us;
	if (h->last_us > o->last_us)
		o->last_us = h->last_us;
	o->last_minute = minute;
	return o;
}

void
vg_host_totals_clear(struct vg_host_totals *t)
{
	free(t->hosts);
	free(t->index);
	memset(t, 0, sizeof(*t));
}
