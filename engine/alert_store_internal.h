/*
 * Declarations that the alert store's files share. alert_store.c owns
 * the queue, the writer thread, the counters, and opening and closing
 * the store. alert_commands.c runs the store's control-socket commands,
 * which change the exclusions and list the engaged alerts. Nothing
 * outside these files includes this header.
 */
#ifndef VG_ENGINE_ALERT_STORE_INTERNAL_H
#define VG_ENGINE_ALERT_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/alert_config.h"
#include "common/alert_db.h"
#include "alert_endpoints.h"
#include "alert_store.h"

enum op_kind { OP_TRIGGER, OP_RELEASE, OP_EXCLUDE, OP_UNEXCLUDE,
	       OP_UNCONFIRM };

/* The change an applied operation made, counted once it is committed. */
enum op_result {
	RESULT_NONE,            /* an exclusion, or not applied yet */
	RESULT_INSERTED,
	RESULT_MERGED,
	RESULT_RELEASED,
	RESULT_UNKNOWN,         /* release of nothing engaged */
};

struct op {
	enum op_kind kind;
	enum op_result result;
	const char *event;      /* notification for the endpoints, or NULL */
	bool delivered;         /* the endpoints had their notification */
	uint64_t time_us;       /* release time */
	int64_t removed;        /* engaged alerts an exclusion removed */
	int64_t unconfirmed;    /* engaged alerts an unconfirm marked */
	struct vg_alert alert;
	struct vg_alert_exclusion rule;
};

struct counters {
	_Atomic uint64_t queued;
	_Atomic uint64_t dropped;       /* queue full */
	_Atomic uint64_t excluded;
	_Atomic uint64_t engaged;       /* new engaged alerts */
	_Atomic uint64_t engaged_merged; /* triggers of engaged alerts */
	_Atomic uint64_t released;
	_Atomic uint64_t release_unknown; /* release of nothing engaged */
	_Atomic uint64_t past_inserted;  /* flow alerts stored */
	_Atomic uint64_t past_merged;    /* flow alerts merged */
	_Atomic uint64_t unconfirmed_released;
	_Atomic uint64_t retention_deleted;
	_Atomic uint64_t transactions;
	_Atomic uint64_t db_errors;     /* failed statements and commits */
	_Atomic uint64_t lost;          /* given up after failed writes */
};

struct vg_alert_store {
	const struct vg_alerts_config *cfg;
	struct vg_alert_db *db;         /* the writer's */
	struct vg_alert_db *reader;     /* the control thread's */
	struct vg_alert_endpoints *endpoints;

	/* Control thread only. */
	struct vg_alert_exclusion rules[VG_ALERT_MAX_EXCLUSIONS * 2];
	unsigned int rule_count;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;            /* work queued or stopping */
	pthread_cond_t idle;            /* the writer finished a batch */
	struct op **queue;
	uint32_t capacity;
	uint32_t head;
	uint32_t count;
	bool busy;
	bool stopping;

	/* Writer only. */
	struct op **pending;            /* taken from the queue, not stored */
	uint32_t pending_count;
	uint32_t pending_max;
	struct op **overflow;           /* beyond pending_max, to be lost */
	uint32_t overflow_count;
	bool failing;                   /* the last write failed */
	uint64_t newest_us;
	uint64_t opened_ms;
	uint64_t last_maintenance_ms;

	struct counters c;
};

/*
 * Queues <op> for the writer, which then owns it. Returns 0, or -ENOBUFS
 * when the queue was full (<op> is freed and counted as dropped).
 * Control thread only.
 */
int
vg_alert_store_enqueue(struct vg_alert_store *s, struct op *op);

/*
 * Waits until the writer has committed everything queued so far, or
 * for SYNC_WAIT_MS (1 s) at most. Control thread only.
 */
void
vg_alert_store_sync_writer(struct vg_alert_store *s);

#endif
