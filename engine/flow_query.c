/*
 * Flow and host queries; see flow_query.h for what a reader can see.
 *
 * A flow query makes one pass over every slot of every engine table. The
 * filter and the sort key are evaluated on the live slot (three cache
 * lines), so the common case copies nothing. Only a flow that enters the
 * top-k heap is copied whole and validated. The heap keeps the k best
 * flows seen so far with the worst at its root, so a flow that cannot
 * place costs one comparison. The k survivors are sorted at the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "flow_query.h"

/* A heap entry: a rank key, then the copy it belongs to. */
struct rank {
	uint64_t key;
	uint64_t id;
	uint32_t index;        /* into the pool of copies */
};

struct topk {
	struct rank *heap;     /* heap[0] is the worst kept */
	uint32_t count;
	uint32_t k;
	bool ascending;
};

uint64_t
vg_flow_id(unsigned int engine_index, uint32_t slot, uint32_t generation)
{
	return ((uint64_t)engine_index << 56) | ((uint64_t)slot << 24) |
	       (generation & 0xffffff);
}

static uint32_t
load_generation(const struct vg_flow *slot, int order)
{
	return __atomic_load_n(&slot->generation, order);
}

static uint8_t
load_flags(const struct vg_flow *slot, int order)
{
	return __atomic_load_n(&slot->flags, order);
}

/*
 * Returns true when the slot still contains the flow of generation <gen>
 * after the reads that came before the call.
 */
static bool
slot_unchanged(const struct vg_flow *slot, uint32_t gen)
{
	uint8_t flags;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	flags = load_flags(slot, __ATOMIC_ACQUIRE);
	return (flags & VG_FLOW_IN_USE) &&
	       load_generation(slot, __ATOMIC_RELAXED) == gen;
}

int
vg_flow_slot_read(const struct vg_flow_table *table, uint32_t index,
		  struct vg_flow *out)
{
	const struct vg_flow *slot = &table->slots[index];
	unsigned int tries;

	for (tries = 0; tries < VG_FLOW_READ_TRIES; tries++) {
		uint32_t gen = load_generation(slot, __ATOMIC_ACQUIRE);

		if (!(load_flags(slot, __ATOMIC_RELAXED) & VG_FLOW_IN_USE))
			return -ENOENT;
		memcpy(out, slot, sizeof(*out));
		if (!slot_unchanged(slot, gen) || out->generation != gen ||
		    !(out->flags & VG_FLOW_IN_USE))
			continue;
		out->server_name[VG_FLOW_NAME_LEN - 1] = '\0';
		return 0;
	}
	return -EAGAIN;
}

static bool
has_status(const struct vg_flow *flow, uint8_t status)
{
	unsigned int i;

	for (i = 0; i < VG_FLOW_STATUSES; i++) {
		if (flow->statuses[i] == status)
			return true;
	}
	return false;
}

static bool
filter_match(const struct vg_flow_filter *f, const struct vg_flow *flow)
{
	const struct vg_flow_key *key = &flow->key;

	if (f->set == 0)
		return true;
	if ((f->set & VG_FF_L4) && key->l4_proto != f->l4_proto)
		return false;
	if ((f->set & VG_FF_VLAN) && key->vlan != f->vlan)
		return false;
	if ((f->set & VG_FF_PORT) && key->lo_port != f->port &&
	    key->hi_port != f->port)
		return false;
	if ((f->set & VG_FF_HOST) &&
	    (key->ip_version != f->host_version ||
	     (memcmp(key->lo_addr, f->host, 16) != 0 &&
	      memcmp(key->hi_addr, f->host, 16) != 0)))
		return false;
	if ((f->set & VG_FF_L7)) {
		uint16_t master;
		uint16_t app;

		vg_flow_l7_pair(flow, &master, &app);
		if (master != f->l7 && app != f->l7)
			return false;
	}
	if ((f->set & VG_FF_CATEGORY) && flow->category != f->category)
		return false;
	if ((f->set & VG_FF_STATUS) && !has_status(flow, f->status))
		return false;
	return true;
}

static uint64_t
sort_key(const struct vg_flow *flow, enum vg_flow_sort sort)
{
	unsigned int c2s = (flow->flags & VG_FLOW_SWAPPED) ? 1 : 0;

	switch (sort) {
	case VG_FLOW_SORT_PACKETS:
		return flow->packets[0] + flow->packets[1];
	case VG_FLOW_SORT_FIRST_SEEN:
		return flow->first_us;
	case VG_FLOW_SORT_LAST_SEEN:
		return flow->last_us;
	case VG_FLOW_SORT_DURATION:
		return flow->last_us > flow->first_us ?
			       flow->last_us - flow->first_us : 0;
	case VG_FLOW_SORT_SCORE:
		return flow->score;
	case VG_FLOW_SORT_RTT:
		return vg_flow_rtt_us(flow);
	case VG_FLOW_SORT_RETRANSMISSIONS:
		return flow->retransmissions;
	case VG_FLOW_SORT_C2S_BYTES:
		return flow->bytes[c2s];
	case VG_FLOW_SORT_S2C_BYTES:
		return flow->bytes[1 - c2s];
	case VG_FLOW_SORT_BYTES:
	default:
		return flow->bytes[0] + flow->bytes[1];
	}
}

/* Returns true when <a> ranks after <b>; ties go by id, smaller first. */
static bool
ranks_after(const struct rank *a, const struct rank *b, bool ascending)
{
	if (a->key != b->key)
		return ascending ? a->key > b->key : a->key < b->key;
	return a->id > b->id;
}

static void
sift_down(struct topk *t, uint32_t i)
{
	for (;;) {
		uint32_t worst = i;
		uint32_t l = 2 * i + 1;
		uint32_t r = l + 1;
		struct rank tmp;

		if (l < t->count &&
		    ranks_after(&t->heap[l], &t->heap[worst], t->ascending))
			worst = l;
		if (r < t->count &&
		    ranks_after(&t->heap[r], &t->heap[worst], t->ascending))
			worst = r;
		if (worst == i)
			return;
		tmp = t->heap[i];
		t->heap[i] = t->heap[worst];
		t->heap[worst] = tmp;
		i = worst;
	}
}

static void
sift_up(struct topk *t, uint32_t i)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		struct rank tmp;

		if (!ranks_after(&t->heap[i], &t->heap[parent], t->ascending))
			return;
		tmp = t->heap[i];
		t->heap[i] = t->heap[parent];
		t->heap[parent] = tmp;
		i = parent;
	}
}

/* Returns true when a flow ranked <r> would be kept. */
static bool
topk_wants(const struct topk *t, const struct rank *r)
{
	return t->count < t->k || ranks_after(&t->heap[0], r, t->ascending);
}

/*
 * Keeps <r>; returns the pool index its copy goes to: a free one while the
 * heap fills, then the index of the evicted worst entry.
 */
static uint32_t
topk_push(struct topk *t, struct rank r)
{
	if (t->count < t->k) {
		r.index = t->count;
		t->heap[t->count] = r;
		sift_up(t, t->count++);
		return r.index;
	}
	r.index = t->heap[0].index;
	t->heap[0] = r;
	sift_down(t, 0);
	return r.index;
}

/* qsort_r() comparator; <arg> points to the query's bool ascending. */
static int
compare_rank(const void *a, const void *b, void *arg)
{
	const struct rank *x = a;
	const struct rank *y = b;
	bool ascending = *(const bool *)arg;

	if (ranks_after(x, y, ascending))
		return 1;
	return ranks_after(y, x, ascending) ? -1 : 0;
}

struct flow_scan {
	const struct vg_flow_filter *filter;
	enum vg_flow_sort sort;
	struct topk top;
	struct vg_flow_hit *pool;
	struct vg_flow_result *result;
};

/* Copies the flow in <slot> into the heap if it still ranks there. */
static void
keep_flow(struct flow_scan *s, const struct vg_engine *engine, uint32_t slot)
{
	struct vg_flow copy;
	struct rank r;
	uint32_t index;

	if (vg_flow_slot_read(engine->table, slot, &copy) != 0)
		return;
	/* Re-checked on the validated copy: the live read may have raced. */
	if (!filter_match(s->filter, &copy))
		return;
	r.key = sort_key(&copy, s->sort);
	r.id = vg_flow_id(engine->index, slot, copy.generation);
	if (!topk_wants(&s->top, &r))
		return;
	index = topk_push(&s->top, r);
	s->pool[index].flow = copy;
	s->pool[index].id = r.id;
	s->pool[index].engine = engine->index;
}

static void
scan_slot(struct flow_scan *s, const struct vg_engine *engine, uint32_t i)
{
	const struct vg_flow *slot = &engine->table->slots[i];
	unsigned int tries;

	for (tries = 0; tries < VG_FLOW_READ_TRIES; tries++) {
		uint32_t gen = load_generation(slot, __ATOMIC_ACQUIRE);
		struct rank r;
		bool match;

		if (!(load_flags(slot, __ATOMIC_RELAXED) & VG_FLOW_IN_USE))
			return;
		match = filter_match(s->filter, slot);
		r.key = sort_key(slot, s->sort);
		r.id = vg_flow_id(engine->index, i, gen);
		if (!slot_unchanged(slot, gen)) {
			s->result->retried++;
			continue;
		}
		if (!match)
			return;
		s->result->total++;
		if (topk_wants(&s->top, &r))
			keep_flow(s, engine, i);
		return;
	}
}

int
vg_flow_query(struct vg_engine *const *engines, unsigned int engine_count,
	      const struct vg_flow_filter *filter, enum vg_flow_sort sort,
	      const struct vg_query_page *page, struct vg_flow_result *result)
{
	struct flow_scan s = { .filter = filter, .sort = sort,
			       .result = result };
	unsigned int e;
	uint32_t i;

	memset(result, 0, sizeof(*result));
	if (page->limit == 0 ||
	    (uint64_t)page->offset + page->limit > VG_QUERY_MAX_RANK ||
	    sort >= VG_FLOW_SORT_COUNT)
		return -EINVAL;

	s.top.k = page->offset + page->limit;
	s.top.ascending = page->ascending;
	s.top.heap = malloc(s.top.k * sizeof(*s.top.heap));
	s.pool = malloc(s.top.k * sizeof(*s.pool));
	if (s.top.heap == NULL || s.pool == NULL)
		goto nomem;

	for (e = 0; e < engine_count; e++) {
		const struct vg_engine *engine = engines[e];

		for (i = 0; i < engine->table->capacity; i++)
			scan_slot(&s, engine, i);
		result->scanned += engine->table->capacity;
	}

	qsort_r(s.top.heap, s.top.count, sizeof(*s.top.heap), compare_rank,
		&s.top.ascending);
	if (s.top.count > page->offset) {
		result->count = s.top.count - page->offset;
		result->hits = malloc(result->count * sizeof(*result->hits));
		if (result->hits == NULL)
			goto nomem;
		for (i = 0; i < result->count; i++)
			result->hits[i] =
				s.pool[s.top.heap[page->offset + i].index];
	}
	free(s.top.heap);
	free(s.pool);
	return 0;

nomem:
	free(s.top.heap);
	free(s.pool);
	result->count = 0;
	return -ENOMEM;
}

int
vg_flow_find(struct vg_engine *const *engines, unsigned int engine_count,
	     uint64_t id, struct vg_flow_hit *hit)
{
	unsigned int engine_index = (unsigned int)(id >> 56);
	uint32_t slot = (uint32_t)(id >> 24);
	unsigned int e;

	for (e = 0; e < engine_count; e++) {
		const struct vg_engine *engine = engines[e];

		if (engine->index != engine_index)
			continue;
		if (slot >= engine->table->capacity ||
		    vg_flow_slot_read(engine->table, slot, &hit->flow) != 0 ||
		    (hit->flow.generation & 0xffffff) != (id & 0xffffff))
			return -ENOENT;
		hit->id = id;
		hit->engine = engine_index;
		return 0;
	}
	return -ENOENT;
}

/* ---- hosts ---- */

struct merged_host {
	struct vg_host sum;
	bool used;
};

static uint32_t
host_slot(const uint8_t *addr, uint16_t vlan, uint32_t mask)
{
	uint32_t h = 2166136261u;
	unsigned int i;

	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return (h ^ vlan) * 16777619u & mask;
}

static void
add_host(struct merged_host *m, const struct vg_host *h)
{
	if (!m->used) {
		m->used = true;
		memcpy(m->sum.addr, h->addr, 16);
		m->sum.vlan = h->vlan;
		m->sum.ip_version = h->ip_version;
		m->sum.first_us = h->first_us;
	}
	m->sum.bytes_sent += h->bytes_sent;
	m->sum.bytes_rcvd += h->bytes_rcvd;
	m->sum.packets_sent += h->packets_sent;
	m->sum.packets_rcvd += h->packets_rcvd;
	m->sum.flows_as_client += h->flows_as_client;
	m->sum.flows_as_server += h->flows_as_server;
	m->sum.total_flows_as_client += h->total_flows_as_client;
	m->sum.total_flows_as_server += h->total_flows_as_server;
	m->sum.score = m->sum.score + h->score < m->sum.score ?
			       UINT32_MAX :
			       m->sum.score + h->score;
	if (h->first_us < m->sum.first_us)
		m->sum.first_us = h->first_us;
	if (h->last_us > m->sum.last_us)
		m->sum.last_us = h->last_us;
}

/*
 * Sums the partial entries of every engine into <merged> (<mask> + 1
 * entries). Hosts beyond half of that are left out (and counted in
 * <dropped>), so probing always ends.
 */
static void
merge_hosts(struct vg_engine *const *engines, unsigned int engine_count,
	    struct merged_host *merged, uint32_t mask, uint64_t *dropped)
{
	uint32_t used = 0;
	unsigned int e;
	uint32_t i;

	for (e = 0; e < engine_count; e++) {
		const struct vg_host_table *t = engines[e]->hosts;

		if (t == NULL)
			continue;
		for (i = 0; i < t->capacity; i++) {
			const struct vg_host *h = &t->slots[i];
			uint32_t j;

			/* Acquire: the key is complete once in_use is set. */
			if (!atomic_load_explicit(&h->in_use,
						  memory_order_acquire))
				continue;
			j = host_slot(h->addr, h->vlan, mask);
			while (merged[j].used &&
			       (merged[j].sum.vlan != h->vlan ||
				memcmp(merged[j].sum.addr, h->addr, 16) != 0))
				j = (j + 1) & mask;
			if (!merged[j].used && used >= mask / 2) {
				(*dropped)++;
				continue;
			}
			used += !merged[j].used;
			add_host(&merged[j], h);
		}
	}
}

static bool
host_match(const struct vg_host_filter *f, const struct vg_host *h,
	   bool local)
{
	if (f->by_ip && (h->ip_version != f->ip_version ||
			 memcmp(h->addr, f->ip, 16) != 0))
		return false;
	if (f->by_vlan && h->vlan != f->vlan)
		return false;
	if (f->by_local && local != f->local)
		return false;
	return true;
}

static uint64_t
host_key(const struct vg_host *h, enum vg_host_sort sort)
{
	switch (sort) {
	case VG_HOST_SORT_BYTES_SENT:
		return h->bytes_sent;
	case VG_HOST_SORT_BYTES_RCVD:
		return h->bytes_rcvd;
	case VG_HOST_SORT_PACKETS:
		return h->packets_sent + h->packets_rcvd;
	case VG_HOST_SORT_FLOWS:
		return (uint64_t)h->flows_as_client + h->flows_as_server;
	case VG_HOST_SORT_TOTAL_FLOWS:
		return h->total_flows_as_client + h->total_flows_as_server;
	case VG_HOST_SORT_FIRST_SEEN:
		return h->first_us;
	case VG_HOST_SORT_LAST_SEEN:
		return h->last_us;
	case VG_HOST_SORT_SCORE:
		return h->score;
	case VG_HOST_SORT_BYTES:
	default:
		return h->bytes_sent + h->bytes_rcvd;
	}
}

/*
 * Tie-break of equal sort keys: the address read as a big-endian number
 * (its first 8 bytes for IPv6), then the VLAN for IPv4.
 */
static uint64_t
host_order(const struct vg_host *h)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < (h->ip_version == 6 ? 8u : 4u); i++)
		v = v << 8 | h->addr[i];
	if (h->ip_version != 6)
		v = v << 16 | h->vlan;
	return v;
}

int
vg_host_query(struct vg_engine *const *engines, unsigned int engine_count,
	      const struct vg_config *cfg, const struct vg_host_filter *filter,
	      enum vg_host_sort sort, const struct vg_query_page *page,
	      struct vg_host_result *result)
{
	struct topk top = { .ascending = page->ascending };
	struct merged_host *merged = NULL;
	bool *local = NULL;
	uint64_t entries = 0;
	uint32_t cap = 64;
	unsigned int e;
	uint32_t i;

	memset(result, 0, sizeof(*result));
	if (page->limit == 0 ||
	    (uint64_t)page->offset + page->limit > VG_QUERY_MAX_RANK ||
	    sort >= VG_HOST_SORT_COUNT)
		return -EINVAL;
	for (e = 0; e < engine_count; e++) {
		if (engines[e]->hosts == NULL)
			continue;
		result->tracking = true;
		/* The lcore may add hosts meanwhile: merge_hosts() stops
		 * adding new ones when the merge table is half full. */
		entries += __atomic_load_n(&engines[e]->hosts->count,
					   __ATOMIC_RELAXED) + 1024;
	}
	if (!result->tracking)
		return 0;
	while (cap < entries * 2 && cap < (1u << 31))
		cap <<= 1;

	top.k = page->offset + page->limit;
	top.heap = malloc(top.k * sizeof(*top.heap));
	merged = calloc(cap, sizeof(*merged));
	local = calloc(cap, sizeof(*local));
	if (top.heap == NULL || merged == NULL || local == NULL)
		goto nomem;
	merge_hosts(engines, engine_count, merged, cap - 1, &result->dropped);

	for (i = 0; i < cap; i++) {
		const struct vg_host *h = &merged[i].sum;
		struct rank r;

		if (!merged[i].used)
			continue;
		local[i] = vg_config_is_local(cfg, h->ip_version, h->addr);
		if (!host_match(filter, h, local[i]))
			continue;
		result->total++;
		r.key = host_key(h, sort);
		r.id = host_order(h);
		if (!topk_wants(&top, &r))
			continue;
		/* The merged array is the pool: index = position in it. */
		if (top.count < top.k) {
			r.index = i;
			top.heap[top.count] = r;
			sift_up(&top, top.count++);
		} else {
			r.index = i;
			top.heap[0] = r;
			sift_down(&top, 0);
		}
	}

	qsort_r(top.heap, top.count, sizeof(*top.heap), compare_rank,
		&top.ascending);
	if (top.count > page->offset) {
		result->count = top.count - page->offset;
		result->hits = calloc(result->count, sizeof(*result->hits));
		if (result->hits == NULL)
			goto nomem;
		for (i = 0; i < result->count; i++) {
			uint32_t at = top.heap[page->offset + i].index;

			result->hits[i].host = merged[at].sum;
			result->hits[i].local = local[at];
		}
	}
	free(top.heap);
	free(merged);
	free(local);
	return 0;

nomem:
	free(top.heap);
	free(merged);
	free(local);
	result->count = 0;
	return -ENOMEM;
}
