/*
 * The alert database: its SQLite schema and the queries vigild and
 * vigil-web run on it.
 *
 * vigild's alert store is the only writer; vigil-web opens the file
 * read-only. The database is in WAL mode, in which readers do not block
 * the writer and see only committed transactions (SQLite's WAL
 * documentation). The library needs SQLite and nothing else (no DPDK,
 * no libuv), so vigil-web links it without the capture code.
 *
 * Tables:
 *   engaged_alerts  alerts whose condition still holds, one row per
 *                   (entity, entity_value, alert_type)
 *   past_alerts     released alerts and flow alerts (past at once)
 *   exclusions      rules added on the control socket, kept across
 *                   restarts (rules from the config file are not stored)
 *
 * Every function returns 0 or a negative errno unless it says otherwise:
 * -EIO for an SQLite error (logged with the statement that failed),
 * -ENOMEM, -EINVAL for a bad argument, -EROFS for a write on a read-only
 * handle. None of them is thread-safe on one handle: use one handle per
 * thread.
 */
#ifndef VG_ALERT_DB_H
#define VG_ALERT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/alert_config.h"

#define VG_ALERT_VALUE_LEN 256
#define VG_ALERT_NAME_LEN 64

/* One alert, as stored. Times are microseconds of packet time. */
struct vg_alert {
	int64_t id;                     /* row id in its table */
	bool engaged;                   /* in engaged_alerts */
	unsigned int entity;            /* enum vg_alert_entity */
	unsigned int severity;          /* enum vg_alert_severity */
	uint32_t score;
	uint32_t count;                 /* raises merged into this row */
	uint64_t first_us;
	uint64_t last_us;
	uint64_t released_us;           /* 0 while engaged and for flows */
	char entity_value[VG_ALERT_VALUE_LEN];
	char type[VG_ALERT_NAME_LEN];
	char plugin[VG_ALERT_NAME_LEN];
	char script[VG_ALERT_NAME_LEN];
	char release_reason[16];        /* "release", "unconfirmed" or "" */
	unsigned int sandbox;           /* engaged alerts: which raised it */
	char *details;                  /* JSON object, malloc'd, never NULL */

	/* Flow alerts only: the flow when the alert was raised. */
	uint64_t flow_id;
	char client_ip[46];
	char server_ip[46];
	uint16_t client_port;
	uint16_t server_port;
	uint16_t vlan;
	uint8_t l4_proto;               /* IP protocol number */
	char l7[VG_ALERT_NAME_LEN];
	uint64_t bytes;                 /* both directions */
	uint64_t packets;
};

enum vg_alert_view {
	VG_ALERT_VIEW_ENGAGED = 1,      /* engaged_alerts */
	VG_ALERT_VIEW_PAST,             /* past_alerts, flow alerts aside */
	VG_ALERT_VIEW_FLOW,             /* past_alerts of flows */
};

struct vg_alert_query {
	enum vg_alert_view view;
	uint64_t from_us;               /* last_us >= from_us; 0: no bound */
	uint64_t to_us;                 /* first_us <= to_us; 0: no bound */
	unsigned int min_severity;
	const char *type;               /* NULL: any */
	unsigned int entity;            /* 0: any */
	const char *entity_value;       /* NULL: any */
	uint32_t limit;                 /* 0: 100 */
	uint32_t offset;
};

struct vg_alert_rows {
	struct vg_alert *rows;
	size_t count;
	uint64_t total;                 /* rows matching, paging aside */
};

struct vg_alert_db;

/*
 * Opens the database at <path>. Read-write creates the file and the schema
 * when missing and switches to WAL; read-only requires both. Returns NULL
 * with the cause in <err>.
 * NOTE: SQLite opens a WAL database read-only only when its -wal and -shm
 * files exist (they do while vigild runs) or the folder is writable, so a
 * vigil-web without write access fails while vigild is stopped.
 */
struct vg_alert_db *
vg_alert_db_open(const char *path, bool read_only, char *err, size_t err_len);

void
vg_alert_db_close(struct vg_alert_db *db);

int
vg_alert_db_begin(struct vg_alert_db *db);

/*
 * Commits the transaction. On failure rolls it back, unless SQLite has
 * already ended it, and returns -ENOSPC when the disk or the database
 * was full, -EBUSY when it was locked, -ENOMEM or -EIO.
 */
int
vg_alert_db_commit(struct vg_alert_db *db);

/* Rolls back the transaction when one is open; returns 0 when none is. */
int
vg_alert_db_rollback(struct vg_alert_db *db);

/*
 * Returns true while a transaction is open. SQLite ends one by itself
 * when a statement fails on a full disk, an I/O error or short memory,
 * and later statements would then run outside it.
 */
bool
vg_alert_db_in_transaction(struct vg_alert_db *db);

/*
 * Returns true when the last failed call on <db> failed for a reason that
 * may pass (a full disk, an I/O error, a lock, short memory), so that the
 * same write may succeed later. Call it before any other call on <db>.
 */
bool
vg_alert_db_retryable(struct vg_alert_db *db);

/*
 * Returns the error of the last failed call on <db> as a negative errno:
 * -ENOSPC for a full disk or database, -EBUSY for a lock, -ENOMEM, or
 * -EIO for any other SQLite error.
 */
int
vg_alert_db_last_errno(struct vg_alert_db *db);

/*
 * Engages <a>: when an engaged row with its entity, value and type exists,
 * updates last_us, severity, score, details and sandbox, adds one to
 * count and ends its wait for a trigger; otherwise inserts it. Sets a->id, a->first_us and
 * a->count from the row. Returns 1 when inserted, 0 when merged.
 */
int
vg_alert_db_engage(struct vg_alert_db *db, struct vg_alert *a);

/*
 * Adds the past alert <a> (a flow alert, or a released one): when a past
 * row of the same type, entity, value and details has last_us within
 * <window_us> before a->last_us, adds a->count to it and moves its
 * last_us; otherwise inserts. Sets a->id. Returns 1 when inserted, 0 when
 * merged.
 */
int
vg_alert_db_add_past(struct vg_alert_db *db, struct vg_alert *a,
		     uint64_t window_us);

/*
 * Moves the engaged alert (entity, value, type) to past_alerts with
 * released_us <time_us> and <reason>, merging as vg_alert_db_add_past()
 * does; fills <out> (details malloc'd) when not NULL. Returns 1 when
 * released, 0 when no such alert is engaged.
 */
int
vg_alert_db_release(struct vg_alert_db *db, unsigned int entity,
		    const char *value, const char *type, uint64_t time_us,
		    const char *reason, uint64_t window_us,
		    struct vg_alert *out);

/*
 * Marks the engaged alerts that sandbox <sandbox> raised (every one when
 * <sandbox> is negative) as waiting for a new trigger since <now_us>; one
 * waiting already keeps its earlier time. A trigger ends the wait
 * (vg_alert_db_engage). Returns how many alerts matched, or a negative
 * errno.
 */
int64_t
vg_alert_db_unconfirm(struct vg_alert_db *db, int sandbox, uint64_t now_us);

/*
 * Releases every engaged alert that has waited for a trigger since
 * <since_us> or earlier, at its own last_us, with reason "unconfirmed".
 * Returns how many, or a negative errno.
 */
int64_t
vg_alert_db_release_unconfirmed(struct vg_alert_db *db, uint64_t window_us,
				uint64_t since_us);

/*
 * Deletes past alerts with last_us before <min_last_us> (0: none by age),
 * then the oldest past alerts beyond <max_rows> (0: no limit). Returns
 * the rows deleted.
 */
int64_t
vg_alert_db_retain(struct vg_alert_db *db, uint64_t min_last_us,
		   uint64_t max_rows);

/* Deletes the engaged alerts that <ex> covers; returns how many. */
int64_t
vg_alert_db_drop_excluded(struct vg_alert_db *db,
			  const struct vg_alert_exclusion *ex);

int
vg_alert_db_exclusion_add(struct vg_alert_db *db,
			  const struct vg_alert_exclusion *ex);

int
vg_alert_db_exclusion_remove(struct vg_alert_db *db,
			     const struct vg_alert_exclusion *ex);

/* Reads up to <max> stored exclusions into <out>; returns how many. */
int
vg_alert_db_exclusions(struct vg_alert_db *db, struct vg_alert_exclusion *out,
		       unsigned int max);

/* Runs <q>; <rows> is filled and must be freed with vg_alert_rows_free. */
int
vg_alert_db_query(struct vg_alert_db *db, const struct vg_alert_query *q,
		  struct vg_alert_rows *rows);

void
vg_alert_rows_free(struct vg_alert_rows *rows);

/* Frees a->details and sets it to NULL. */
void
vg_alert_clear(struct vg_alert *a);

/*
 * Writes <a> as one JSON object, with <event> ("trigger", "release",
 * "flow" or NULL for none) as its "event" field. Returns the length it
 * needed, as snprintf() does; the text is cut when <len> is too small.
 */
size_t
vg_alert_to_json(const struct vg_alert *a, const char *event, char *buf,
		 size_t len);

/* Returns true when one of <rules> covers <a>. */
bool
vg_alert_excluded(const struct vg_alert *a,
		  const struct vg_alert_exclusion *rules, unsigned int count);

#endif
