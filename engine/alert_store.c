/*
 * The alert store; see alert_store.h.
 *
 * The queue between the control thread and the writer is an array of
 * pointers guarded by one mutex. The control thread holds it only to put
 * a pointer, and the writer only to take the whole backlog at once, so
 * neither waits on the other's work. Exclusions are kept twice: the
 * control thread's copy filters alerts before they are queued (so an
 * excluded alert costs no allocation), and the database keeps the rules
 * added on the control socket across restarts.
 *
 * The writer moves what is queued to its own pending list and commits it
 * in transactions of up to BATCH_MAX operations. A transaction that fails
 * (a full disk, an I/O error) leaves its operations pending, in order, to
 * be written again RETRY_MS later and at exit. The list is bounded, and
 * what does not fit, or is still pending at exit, is counted as lost.
 * Counters of stored alerts grow only after a commit.
 *
 * Times are packet time. Retention by age counts back from the newest
 * alert the store has seen, not from the wall clock, so a replayed
 * capture keeps its alerts however old it is.
 *
 * The store's control-socket commands, which change the exclusions and
 * list the engaged alerts, are in alert_commands.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alert_db.h"
#include "common/log.h"
#include "alert_endpoints.h"
#include "alert_store.h"
#include "alert_store_internal.h"

#define BATCH_MAX 1024          /* operations per transaction */
#define MAINTENANCE_MS 2000     /* retention and grace checks */
#define RETRY_MS 1000           /* between writes after a failed one */
#define SYNC_WAIT_MS 1000       /* a command waits this long for the writer */
#define ENDPOINT_DRAIN_MS 3000  /* endpoints' last chance at exit */
#define US_PER_DAY 86400000000ULL


static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
count(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static uint64_t
read_counter(_Atomic uint64_t *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

static uint64_t
realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t
window_us(const struct vg_alert_store *s)
{
	return (uint64_t)s->cfg->dedup_window_s * 1000000;
}

/* ---- writer thread ---- */

/*
 * Applies the trigger <op>. Returns 0, or a negative errno when a
 * statement failed. op->result records what the database would store.
 */
static int
apply_trigger(struct vg_alert_store *s, struct op *op)
{
	struct vg_alert *a = &op->alert;
	int rc;

	if (a->last_us > s->newest_us)
		s->newest_us = a->last_us;
	if (a->entity == VG_ALERT_ENTITY_FLOW) {
		rc = vg_alert_db_add_past(s->db, a, window_us(s));
		if (rc >= 0)
			op->event = rc == 1 ? "flow" : NULL;
	} else {
		rc = vg_alert_db_engage(s->db, a);
		if (rc >= 0)
			op->event = rc == 1 ? "trigger" : NULL;
	}
	if (rc < 0)
		return rc;
	op->result = rc == 1 ? RESULT_INSERTED : RESULT_MERGED;
	return 0;
}

static int
apply_release(struct vg_alert_store *s, struct op *op)
{
	struct vg_alert out;
	int rc;

	rc = vg_alert_db_release(s->db, op->alert.entity,
				 op->alert.entity_value, op->alert.type,
				 op->time_us, "release", window_us(s), &out);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		op->result = RESULT_UNKNOWN;
		return 0;
	}
	/* The released row replaces the key; entity, value and type stay,
	 * and the release time is kept in op->time_us for a retry. */
	op->result = RESULT_RELEASED;
	vg_alert_clear(&op->alert);
	op->alert = out;
	op->event = "release";
	return 0;
}

static int
apply_exclusion(struct vg_alert_store *s, struct op *op)
{
	int64_t removed;

	if (op->kind == OP_UNEXCLUDE)
		return vg_alert_db_exclusion_remove(s->db, &op->rule);
	if (vg_alert_db_exclusion_add(s->db, &op->rule) != 0)
		return -EIO;
	removed = vg_alert_db_drop_excluded(s->db, &op->rule);
	if (removed < 0)
		return (int)removed;
	op->removed = removed;
	return 0;
}

static int
apply_unconfirm(struct vg_alert_store *s, struct op *op)
{
	int64_t n = vg_alert_db_unconfirm(s->db, (int)op->alert.sandbox,
					  realtime_us());

	if (n < 0)
		return (int)n;
	op->unconfirmed = n;
	return 0;
}

/* Without a database nothing is merged: every trigger is passed on. */
static void
apply_without_db(struct op *op)
{
	if (op->kind == OP_TRIGGER)
		op->event = op->alert.entity == VG_ALERT_ENTITY_FLOW ? "flow" :
								       "trigger";
	else if (op->kind == OP_RELEASE)
		op->event = "release";
}

static int
apply(struct vg_alert_store *s, struct op *op)
{
	op->event = NULL;
	op->result = RESULT_NONE;
	op->removed = 0;
	op->unconfirmed = 0;
	switch (op->kind) {
	case OP_TRIGGER:
		return apply_trigger(s, op);
	case OP_RELEASE:
		return apply_release(s, op);
	case OP_EXCLUDE:
	case OP_UNEXCLUDE:
		return apply_exclusion(s, op);
	case OP_UNCONFIRM:
		return apply_unconfirm(s, op);
	}
	return -EINVAL;
}

/* Counts what the committed <op> stored. */
static void
count_stored(struct vg_alert_store *s, const struct op *op)
{
	bool flow = op->alert.entity == VG_ALERT_ENTITY_FLOW;

	switch (op->result) {
	case RESULT_INSERTED:
		count(flow ? &s->c.past_inserted : &s->c.engaged, 1);
		break;
	case RESULT_MERGED:
		count(flow ? &s->c.past_merged : &s->c.engaged_merged, 1);
		break;
	case RESULT_RELEASED:
		count(&s->c.released, 1);
		break;
	case RESULT_UNKNOWN:
		count(&s->c.release_unknown, 1);
		break;
	case RESULT_NONE:
		break;
	}
	if (op->unconfirmed > 0)
		VG_INFO("alerts", "sandbox=%u restarted: engaged=%" PRId64 " alerts it raised are released unless raised again within engaged_grace=%u s",
			op->alert.sandbox, op->unconfirmed,
			s->cfg->engaged_grace_s);
	if (op->removed > 0)
		VG_INFO("alerts", "exclusion %s %s %s removed engaged=%" PRId64,
			vg_alert_exclusion_kind_name(op->rule.kind),
			op->rule.text, op->rule.type, op->removed);
}

/*
 * Sends the event of <op> to the endpoints once, on the first attempt
 * that decided it, whether or not that attempt was committed: a full
 * disk must not silence notifications.
 * NOTE: the id of an alert whose commit failed names no row until a
 * retry stores it, and then it may name another one.
 */
static void
deliver(struct vg_alert_store *s, struct op *op)
{
	if (op->delivered)
		return;
	op->delivered = true;
	if (op->event != NULL && s->endpoints != NULL)
		vg_alert_endpoints_deliver(s->endpoints, &op->alert, op->event);
}

static void
free_op(struct op *op)
{
	vg_alert_clear(&op->alert);
	free(op);
}

/* Gives up on <op>: counts it as lost and still notifies the endpoints. */
static void
lose(struct vg_alert_store *s, struct op *op)
{
	count(&s->c.lost, 1);
	if (!op->delivered && (op->kind == OP_TRIGGER ||
				 op->kind == OP_RELEASE))
		apply_without_db(op);
	deliver(s, op);
	free_op(op);
}

/* Removes the first <n> pending operations from the list. */
static void
pending_shift(struct vg_alert_store *s, uint32_t n)
{
	memmove(s->pending, s->pending + n,
		(s->pending_count - n) * sizeof(*s->pending));
	s->pending_count -= n;
}

/*
 * Writes the first <n> pending operations in one transaction. Returns 0
 * when they were committed. Returns 1 when one of them failed for good and
 * was dropped from the list, so the caller runs the rest again. Returns a
 * negative errno when the write may succeed later; every operation then
 * stays pending.
 */
static int
write_batch(struct vg_alert_store *s, uint32_t n)
{
	struct op **ops = s->pending;
	uint32_t i;
	int rc;

	if (vg_alert_db_begin(s->db) != 0) {
		count(&s->c.db_errors, 1);
		return vg_alert_db_last_errno(s->db);
	}
	for (i = 0; i < n; i++) {
		rc = apply(s, ops[i]);
		if (rc == 0)
			continue;
		count(&s->c.db_errors, 1);
		if (!vg_alert_db_in_transaction(s->db) ||
		    vg_alert_db_retryable(s->db)) {
			rc = vg_alert_db_last_errno(s->db);
			vg_alert_db_rollback(s->db);
			break;
		}
		/* A statement failed for a reason a retry cannot change. */
		vg_alert_db_rollback(s->db);
		VG_ERR("alerts", "alert type=%s entity_value=%s cannot be stored; dropped",
		       ops[i]->alert.type, ops[i]->alert.entity_value);
		lose(s, ops[i]);
		memmove(ops + i, ops + i + 1,
			(s->pending_count - i - 1) * sizeof(*ops));
		s->pending_count--;
		return 1;
	}
	if (i == n) {
		count(&s->c.transactions, 1);
		rc = vg_alert_db_commit(s->db);
		if (rc == 0) {
			for (i = 0; i < n; i++) {
				count_stored(s, ops[i]);
				deliver(s, ops[i]);
				free_op(ops[i]);
			}
			pending_shift(s, n);
			return 0;
		}
		count(&s->c.db_errors, 1);
	}
	/* Nothing was stored. The operations applied so far decided their
	 * events, which go out now. */
	for (uint32_t j = 0; j < i && j < n; j++)
		deliver(s, ops[j]);
	return rc < 0 ? rc : -EIO;
}

/* Writes the pending operations; returns false when a write failed. */
static bool
write_pending(struct vg_alert_store *s)
{
	int rc = 0;

	if (s->db == NULL) {
		for (uint32_t i = 0; i < s->pending_count; i++) {
			apply_without_db(s->pending[i]);
			deliver(s, s->pending[i]);
			free_op(s->pending[i]);
		}
		s->pending_count = 0;
		return true;
	}
	while (s->pending_count > 0) {
		uint32_t n = s->pending_count < BATCH_MAX ? s->pending_count :
							    BATCH_MAX;

		rc = write_batch(s, n);
		if (rc < 0)
			break;
	}
	if (rc < 0 && !s->failing)
		VG_ERR("alerts", "writing alerts to database=%s failed: %s; keeping pending=%u (at most %u), retrying after %u ms and at exit",
		       s->cfg->database, strerror(-rc), s->pending_count,
		       s->pending_max, RETRY_MS);
	else if (rc >= 0 && s->failing)
		VG_INFO("alerts", "writing alerts to database=%s works again; pending alerts stored",
			s->cfg->database);
	s->failing = rc < 0;
	return rc >= 0;
}

/*
 * Moves what is queued to the pending list; called with the lock held.
 * While writes fail the list keeps at most pending_max operations, so a
 * full disk costs bounded memory, and the newer ones go to the overflow
 * list, which lose_overflow() empties once the lock is released.
 */
static void
take_queued(struct vg_alert_store *s)
{
	while (s->count > 0) {
		struct op *op = s->queue[s->head];

		s->head = (s->head + 1) % s->capacity;
		s->count--;
		if (s->pending_count < s->pending_max)
			s->pending[s->pending_count++] = op;
		else
			s->overflow[s->overflow_count++] = op;
	}
}

static void
lose_overflow(struct vg_alert_store *s)
{
	for (uint32_t i = 0; i < s->overflow_count; i++)
		lose(s, s->overflow[i]);
	s->overflow_count = 0;
}

static void
maintain(struct vg_alert_store *s, bool force)
{
	uint64_t now = monotonic_ms();
	uint64_t age_us = (uint64_t)s->cfg->retention_days * US_PER_DAY;
	uint64_t grace_us = (uint64_t)s->cfg->engaged_grace_s * 1000000;
	uint64_t now_us = realtime_us();
	uint64_t min_last = 0;
	int64_t n;

	if (s->db == NULL ||
	    (!force && now - s->last_maintenance_ms < MAINTENANCE_MS))
		return;
	s->last_maintenance_ms = now;
	/* Alerts wait for a trigger after a restart of vigild or of the
	 * sandbox that raised them. */
	if (s->cfg->engaged_grace_s > 0 && now_us > grace_us) {
		n = vg_alert_db_release_unconfirmed(s->db, window_us(s),
						    now_us - grace_us);
		if (n > 0) {
			count(&s->c.unconfirmed_released, (uint64_t)n);
			VG_INFO("alerts", "released engaged=%" PRId64 " not raised again within engaged_grace=%u s of a restart of vigild or of their sandbox",
				n, s->cfg->engaged_grace_s);
		} else if (n < 0) {
			count(&s->c.db_errors, 1);
		}
	}
	if (age_us > 0 && s->newest_us > age_us)
		min_last = s->newest_us - age_us;
	n = vg_alert_db_retain(s->db, min_last, s->cfg->max_rows);
	if (n > 0)
		count(&s->c.retention_deleted, (uint64_t)n);
	else if (n < 0)
		count(&s->c.db_errors, 1);
}

static void *
writer_main(void *arg)
{
	struct vg_alert_store *s = arg;
	uint64_t retry_at = 0;
	bool stop = false;

	pthread_setname_np(pthread_self(), "vg-alerts");
	while (!stop) {
		struct timespec until;
		bool work;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (s->pending_count > 0 ? RETRY_MS :
							MAINTENANCE_MS) / 1000;
		pthread_mutex_lock(&s->lock);
		while (s->count == 0 && !s->stopping &&
		       !(s->pending_count > 0 && monotonic_ms() >= retry_at) &&
		       pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
			;
		take_queued(s);
		work = s->pending_count > 0;
		s->busy = work;
		stop = s->stopping;
		pthread_mutex_unlock(&s->lock);
		lose_overflow(s);

		/* After a failure the next write waits RETRY_MS, unless
		 * vigild is stopping: then it is the last chance. */
		if (work && (stop || monotonic_ms() >= retry_at) &&
		    !write_pending(s))
			retry_at = monotonic_ms() + RETRY_MS;
		maintain(s, stop);

		pthread_mutex_lock(&s->lock);
		s->busy = false;
		pthread_cond_broadcast(&s->idle);
		pthread_mutex_unlock(&s->lock);
	}
	if (s->pending_count > 0) {
		VG_ERR("alerts", "alerts lost=%u that could not be written to database=%s before exit",
		       s->pending_count, s->cfg->database);
		for (uint32_t i = 0; i < s->pending_count; i++)
			lose(s, s->pending[i]);
		s->pending_count = 0;
	}
	return NULL;
}

/* ---- control thread ---- */

int
vg_alert_store_enqueue(struct vg_alert_store *s, struct op *op)
{
	pthread_mutex_lock(&s->lock);
	if (s->count == s->capacity) {
		pthread_mutex_unlock(&s->lock);
		count(&s->c.dropped, 1);
		vg_alert_clear(&op->alert);
		free(op);
		return -ENOBUFS;
	}
	s->queue[(s->head + s->count) % s->capacity] = op;
	s->count++;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	count(&s->c.queued, 1);
	return 0;
}

/* Waits until the writer has committed everything queued so far. */
void
vg_alert_store_sync_writer(struct vg_alert_store *s)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SYNC_WAIT_MS / 1000;
	pthread_mutex_lock(&s->lock);
	while ((s->count > 0 || s->busy) &&
	       pthread_cond_timedwait(&s->idle, &s->lock, &until) == 0)
		;
	pthread_mutex_unlock(&s->lock);
}

static void
format_ip(const ProtobufCBinaryData *ip, char *out, size_t len)
{
	out[0] = '\0';
	if (ip->len == 4)
		inet_ntop(AF_INET, ip->data, out, (socklen_t)len);
	else if (ip->len == 16)
		inet_ntop(AF_INET6, ip->data, out, (socklen_t)len);
}

static void
copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int
vg_alert_store_trigger(struct vg_alert_store *store,
		       const Vigil__V1__AlertTrigger *t, const char *details,
		       unsigned int sandbox)
{
	struct op *op;
	struct vg_alert *a;

	if (store == NULL)
		return 0;
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		count(&store->c.dropped, 1);
		return -ENOBUFS;
	}
	op->kind = OP_TRIGGER;
	a = &op->alert;
	a->entity = (unsigned int)t->entity < VG_ALERT_ENTITY_COUNT ?
			    (unsigned int)t->entity : 0;
	a->severity = (unsigned int)t->severity < VG_ALERT_SEV_COUNT ?
			      (unsigned int)t->severity : 0;
	a->score = t->score;
	a->sandbox = sandbox;
	a->count = 1;
	a->first_us = t->time_us;
	a->last_us = t->time_us;
	copy(a->entity_value, sizeof(a->entity_value), t->entity_value);
	copy(a->type, sizeof(a->type), t->alert_type);
	copy(a->plugin, sizeof(a->plugin), t->plugin);
	copy(a->script, sizeof(a->script), t->script);
	a->flow_id = t->flow_id;
	format_ip(&t->client_ip, a->client_ip, sizeof(a->client_ip));
	format_ip(&t->server_ip, a->server_ip, sizeof(a->server_ip));
	a->client_port = (uint16_t)t->client_port;
	a->server_port = (uint16_t)t->server_port;
	a->vlan = (uint16_t)t->vlan;
	a->l4_proto = (uint8_t)t->l4_proto;
	copy(a->l7, sizeof(a->l7), t->l7);
	a->bytes = t->bytes;
	a->packets = t->packets;
	if (vg_alert_excluded(a, store->rules, store->rule_count)) {
		count(&store->c.excluded, 1);
		free(op);
		return VG_ALERT_EXCLUDED;
	}
	a->details = strdup(details != NULL ? details : "{}");
	if (a->details == NULL) {
		count(&store->c.dropped, 1);
		free(op);
		return -ENOBUFS;
	}
	return vg_alert_store_enqueue(store, op);
}

int
vg_alert_store_release(struct vg_alert_store *store,
		       const Vigil__V1__AlertRelease *r)
{
	struct op *op;

	if (store == NULL)
		return 0;
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		count(&store->c.dropped, 1);
		return -ENOBUFS;
	}
	op->kind = OP_RELEASE;
	op->alert.entity = (unsigned int)r->entity < VG_ALERT_ENTITY_COUNT ?
				   (unsigned int)r->entity : 0;
	op->time_us = r->time_us;
	op->alert.last_us = r->time_us;
	op->alert.released_us = r->time_us;
	copy(op->alert.entity_value, sizeof(op->alert.entity_value),
	     r->entity_value);
	copy(op->alert.type, sizeof(op->alert.type), r->alert_type);
	copy(op->alert.plugin, sizeof(op->alert.plugin), r->plugin);
	copy(op->alert.script, sizeof(op->alert.script), r->script);
	copy(op->alert.release_reason, sizeof(op->alert.release_reason),
	     "release");
	op->alert.details = strdup("{}");
	if (op->alert.details == NULL) {
		free(op);
		count(&store->c.dropped, 1);
		return -ENOBUFS;
	}
	return vg_alert_store_enqueue(store, op);
}

int
vg_alert_store_unconfirm(struct vg_alert_store *store, unsigned int sandbox)
{
	struct op *op;

	/* Without a database nothing stays engaged to be released. */
	if (store == NULL || store->db == NULL)
		return 0;
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		count(&store->c.dropped, 1);
		return -ENOBUFS;
	}
	op->kind = OP_UNCONFIRM;
	op->alert.sandbox = sandbox;
	return vg_alert_store_enqueue(store, op);
}

void
vg_alert_store_each_counter(struct vg_alert_store *s, vg_counter_fn fn,
			    void *ctx)
{
	uint32_t queue_len;

	pthread_mutex_lock(&s->lock);
	queue_len = s->count;
	pthread_mutex_unlock(&s->lock);
	fn(ctx, "queued", NULL, read_counter(&s->c.queued));
	fn(ctx, "queue_length", NULL, queue_len);
	fn(ctx, "dropped", NULL, read_counter(&s->c.dropped));
	fn(ctx, "excluded", NULL, read_counter(&s->c.excluded));
	fn(ctx, "engaged", NULL, read_counter(&s->c.engaged));
	fn(ctx, "engaged_merged", NULL, read_counter(&s->c.engaged_merged));
	fn(ctx, "released", NULL, read_counter(&s->c.released));
	fn(ctx, "release_unknown", NULL, read_counter(&s->c.release_unknown));
	fn(ctx, "flow_stored", NULL, read_counter(&s->c.past_inserted));
	fn(ctx, "flow_merged", NULL, read_counter(&s->c.past_merged));
	fn(ctx, "unconfirmed_released", NULL,
	   read_counter(&s->c.unconfirmed_released));
	fn(ctx, "retention_deleted", NULL,
	   read_counter(&s->c.retention_deleted));
	fn(ctx, "transactions", NULL, read_counter(&s->c.transactions));
	fn(ctx, "db_errors", NULL, read_counter(&s->c.db_errors));
	fn(ctx, "lost", NULL, read_counter(&s->c.lost));
	if (s->endpoints != NULL)
		vg_alert_endpoints_each_counter(s->endpoints, fn, ctx);
}

void
vg_alert_store_stats_json(struct vg_alert_store *s, char *out, size_t len)
{
	char endpoints[4096] = "[]";
	uint32_t queue_len;

	if (s->endpoints != NULL)
		vg_alert_endpoints_stats_json(s->endpoints, endpoints,
					      sizeof(endpoints));
	pthread_mutex_lock(&s->lock);
	queue_len = s->count;
	pthread_mutex_unlock(&s->lock);
	snprintf(out, len,
		 "{\"queued\":%" PRIu64 ",\"queue_length\":%u,\"dropped\":%" PRIu64
		 ",\"excluded\":%" PRIu64 ",\"engaged\":%" PRIu64
		 ",\"engaged_merged\":%" PRIu64 ",\"released\":%" PRIu64
		 ",\"release_unknown\":%" PRIu64 ",\"flow_stored\":%" PRIu64
		 ",\"flow_merged\":%" PRIu64 ",\"unconfirmed_released\":%" PRIu64
		 ",\"retention_deleted\":%" PRIu64 ",\"transactions\":%" PRIu64
		 ",\"db_errors\":%" PRIu64 ",\"lost\":%" PRIu64
		 ",\"endpoints\":%s}",
		 read_counter(&s->c.queued), queue_len,
		 read_counter(&s->c.dropped), read_counter(&s->c.excluded),
		 read_counter(&s->c.engaged), read_counter(&s->c.engaged_merged),
		 read_counter(&s->c.released),
		 read_counter(&s->c.release_unknown),
		 read_counter(&s->c.past_inserted),
		 read_counter(&s->c.past_merged),
		 read_counter(&s->c.unconfirmed_released),
		 read_counter(&s->c.retention_deleted),
		 read_counter(&s->c.transactions),
		 read_counter(&s->c.db_errors), read_counter(&s->c.lost),
		 endpoints);
}

/* Config rules first, then the stored ones that are not duplicates. */
static void
load_rules(struct vg_alert_store *s)
{
	struct vg_alert_exclusion stored[VG_ALERT_MAX_EXCLUSIONS];
	unsigned int i;
	int n = 0;

	for (i = 0; i < s->cfg->exclusion_count; i++)
		s->rules[s->rule_count++] = s->cfg->exclusions[i];
	if (s->db != NULL)
		n = vg_alert_db_exclusions(s->db, stored,
					   VG_ALERT_MAX_EXCLUSIONS);
	for (i = 0; n > 0 && i < (unsigned int)n; i++) {
		unsigned int j;

		for (j = 0; j < s->rule_count; j++) {
			if (vg_alert_exclusion_equal(&s->rules[j], &stored[i]))
				break;
		}
		if (j == s->rule_count)
			s->rules[s->rule_count++] = stored[i];
	}
}

static int
open_database(struct vg_alert_store *s)
{
	char err[512];
	int64_t reloaded;

	s->db = vg_alert_db_open(s->cfg->database, false, err, sizeof(err));
	if (s->db == NULL) {
		VG_ERR("alerts", "alerts.database %s", err);
		return -EIO;
	}
	s->reader = vg_alert_db_open(s->cfg->database, true, err, sizeof(err));
	if (s->reader == NULL) {
		VG_ERR("alerts", "alerts.database read-only %s", err);
		return -EIO;
	}
	reloaded = vg_alert_db_unconfirm(s->db, -1, realtime_us());
	if (reloaded > 0)
		VG_INFO("alerts", "reloaded engaged=%" PRId64 " alerts from database=%s",
			reloaded, s->cfg->database);
	return 0;
}

struct vg_alert_store *
vg_alert_store_open(const struct vg_alerts_config *cfg)
{
	struct vg_alert_store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->capacity = cfg->queue_size ? cfg->queue_size : 1;
	s->queue = calloc(s->capacity, sizeof(*s->queue));
	s->pending_max = s->capacity > BATCH_MAX ? s->capacity : BATCH_MAX;
	s->pending = calloc(s->pending_max, sizeof(*s->pending));
	s->overflow = calloc(s->capacity, sizeof(*s->overflow));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->idle, NULL);
	s->opened_ms = monotonic_ms();
	s->last_maintenance_ms = s->opened_ms;
	if (s->queue == NULL || s->pending == NULL || s->overflow == NULL)
		goto fail;
	if (cfg->database[0] != '\0' && open_database(s) != 0)
		goto fail;
	load_rules(s);
	if (cfg->endpoint_count > 0) {
		s->endpoints = vg_alert_endpoints_start(cfg);
		if (s->endpoints == NULL)
			goto fail;
	}
	if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
		VG_ERR("alerts", "pthread_create() of the alert writer failed");
		goto fail;
	}
	VG_INFO("alerts", "alert store started database=%s exclusions=%u endpoints=%u",
		cfg->database[0] ? cfg->database : "(none)", s->rule_count,
		cfg->endpoint_count);
	return s;
fail:
	vg_alert_endpoints_stop(s->endpoints, 0);
	vg_alert_db_close(s->reader);
	vg_alert_db_close(s->db);
	free(s->overflow);
	free(s->pending);
	free(s->queue);
	free(s);
	return NULL;
}

uint64_t
vg_alert_store_close(struct vg_alert_store *s)
{
	char stats[8192];
	uint64_t lost;

	if (s == NULL)
		return 0;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	vg_alert_endpoints_stop(s->endpoints, ENDPOINT_DRAIN_MS);
	s->endpoints = NULL;
	vg_alert_store_stats_json(s, stats, sizeof(stats));
	VG_INFO("alerts", "alert store stopped counters=%s", stats);
	vg_alert_db_close(s->reader);
	vg_alert_db_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->idle);
	lost = read_counter(&s->c.lost);
	free(s->overflow);
	free(s->pending);
	free(s->queue);
	free(s);
	return lost;
}
