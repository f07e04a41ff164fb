/*
 * The alert database; see alert_db.h for the tables and the contract.
 *
 * Statements are prepared once per handle and reset after each use, so a
 * write costs one sqlite3_step() and no parsing. The writer runs in WAL
 * mode with synchronous=NORMAL: a committed transaction survives the
 * process being killed, and a power loss can lose only the last
 * transactions, never corrupt the file. Merging of repeated alerts is
 * decided here, in the same transaction as the write, so a reader never
 * sees a duplicate that a later merge would remove.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/alert_db.h"
#include "common/log.h"

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 5000
#define DEFAULT_LIMIT 100
#define MAX_LIMIT 10000
#define ERRORS_LOGGED 20        /* then one line per ERRORS_LOG_EVERY */
#define ERRORS_LOG_EVERY 100

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS engaged_alerts ("
	" id INTEGER PRIMARY KEY,"
	" entity INTEGER NOT NULL, entity_value TEXT NOT NULL,"
	" alert_type TEXT NOT NULL, severity INTEGER NOT NULL,"
	" score INTEGER NOT NULL, plugin TEXT NOT NULL, script TEXT NOT NULL,"
	" details TEXT NOT NULL, first_us INTEGER NOT NULL,"
	" last_us INTEGER NOT NULL, count INTEGER NOT NULL,"
	" sandbox INTEGER NOT NULL DEFAULT 0,"
	" unconfirmed_us INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (entity, entity_value, alert_type));"
	"CREATE TABLE IF NOT EXISTS past_alerts ("
	" id INTEGER PRIMARY KEY,"
	" entity INTEGER NOT NULL, entity_value TEXT NOT NULL,"
	" alert_type TEXT NOT NULL, severity INTEGER NOT NULL,"
	" score INTEGER NOT NULL, plugin TEXT NOT NULL, script TEXT NOT NULL,"
	" details TEXT NOT NULL, first_us INTEGER NOT NULL,"
	" last_us INTEGER NOT NULL, released_us INTEGER NOT NULL,"
	" release_reason TEXT NOT NULL, count INTEGER NOT NULL,"
	" flow_id INTEGER NOT NULL, client_ip TEXT NOT NULL,"
	" client_port INTEGER NOT NULL, server_ip TEXT NOT NULL,"
	" server_port INTEGER NOT NULL, vlan INTEGER NOT NULL,"
	" l4_proto INTEGER NOT NULL, l7 TEXT NOT NULL,"
	" bytes INTEGER NOT NULL, packets INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS past_alerts_last ON past_alerts (last_us);"
	"CREATE INDEX IF NOT EXISTS past_alerts_merge ON past_alerts"
	" (alert_type, entity, entity_value, last_us);"
	"CREATE TABLE IF NOT EXISTS exclusions ("
	" kind TEXT NOT NULL, value TEXT NOT NULL, alert_type TEXT NOT NULL,"
	" PRIMARY KEY (kind, value, alert_type));";

/* Columns every view reads, in the order read_row() expects. */
#define PAST_COLUMNS                                                       \
	"id, entity, entity_value, alert_type, severity, score, plugin,"  \
	" script, details, first_us, last_us, count, released_us,"        \
	" release_reason, flow_id, client_ip, client_port, server_ip,"    \
	" server_port, vlan, l4_proto, l7, bytes, packets"
#define ENGAGED_COLUMNS                                                    \
	"id, entity, entity_value, alert_type, severity, score, plugin,"  \
	" script, details, first_us, last_us, count, 0, '', 0, '', 0, '',"\
	" 0, 0, 0, '', 0, 0"

enum stmt_id {
	S_ENGAGED_FIND,
	S_ENGAGED_UPDATE,
	S_ENGAGED_INSERT,
	S_ENGAGED_DELETE,
	S_PAST_FIND,
	S_PAST_MERGE,
	S_PAST_INSERT,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_ENGAGED_FIND] = "SELECT " ENGAGED_COLUMNS " FROM engaged_alerts"
			   " WHERE entity = ? AND entity_value = ?"
			   " AND alert_type = ?",
	[S_ENGAGED_UPDATE] = "UPDATE engaged_alerts SET last_us = max(last_us, ?),"
			     " severity = ?, score = ?, details = ?,"
			     " count = count + 1, sandbox = ?,"
			     " unconfirmed_us = 0 WHERE id = ?",
	[S_ENGAGED_INSERT] = "INSERT INTO engaged_alerts (entity, entity_value,"
			     " alert_type, severity, score, plugin, script,"
			     " details, first_us, last_us, count, sandbox)"
			     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
	[S_ENGAGED_DELETE] = "DELETE FROM engaged_alerts WHERE id = ?",
	[S_PAST_FIND] = "SELECT id FROM past_alerts WHERE alert_type = ?"
			" AND entity = ? AND entity_value = ? AND last_us >= ?"
			" AND details = ? ORDER BY last_us DESC LIMIT 1",
	[S_PAST_MERGE] = "UPDATE past_alerts SET count = count + ?,"
			 " last_us = max(last_us, ?),"
			 " released_us = max(released_us, ?) WHERE id = ?",
	[S_PAST_INSERT] = "INSERT INTO past_alerts (entity, entity_value,"
			  " alert_type, severity, score, plugin, script, details,"
			  " first_us, last_us, released_us, release_reason, count,"
			  " flow_id, client_ip, client_port, server_ip,"
			  " server_port, vlan, l4_proto, l7, bytes, packets)"
			  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
			  " ?, ?, ?, ?, ?, ?, ?, ?)",
};

struct vg_alert_db {
	sqlite3 *conn;
	bool read_only;
	uint64_t errors;                /* failed calls, for the log limit */
	sqlite3_stmt *stmts[S_COUNT];
};

/*
 * Returns true when the next error of <db> is to be logged: the first
 * ERRORS_LOGGED, then one in ERRORS_LOG_EVERY. A full disk makes every
 * retry fail the same way, and the store counts them all.
 */
static bool
log_this_error(struct vg_alert_db *db)
{
	db->errors++;
	return db->errors <= ERRORS_LOGGED ||
	       db->errors % ERRORS_LOG_EVERY == 0;
}

static int
db_error(struct vg_alert_db *db, const char *what)
{
	if (log_this_error(db))
		VG_ERR("alerts", "sqlite %s failed: %s (errors=%" PRIu64 ")",
		       what, sqlite3_errmsg(db->conn), db->errors);
	return -EIO;
}

static int
exec(struct vg_alert_db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (log_this_error(db))
			VG_ERR("alerts", "sqlite statement '%.60s' failed: %s (errors=%" PRIu64 ")",
			       sql, msg ? msg : "?", db->errors);
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static sqlite3_stmt *
stmt(struct vg_alert_db *db, enum stmt_id id)
{
	sqlite3_stmt *s = db->stmts[id];

	if (s == NULL &&
	    sqlite3_prepare_v2(db->conn, stmt_sql[id], -1, &db->stmts[id],
			       NULL) != SQLITE_OK) {
		db_error(db, "prepare");
		return NULL;
	}
	s = db->stmts[id];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Returns true when table engaged_alerts of <db> has column <name>. */
static bool
has_column(struct vg_alert_db *db, const char *name)
{
	sqlite3_stmt *s;
	bool found = false;

	if (sqlite3_prepare_v2(db->conn, "PRAGMA table_info(engaged_alerts)",
			       -1, &s, NULL) != SQLITE_OK)
		return false;
	while (!found && sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *column = sqlite3_column_text(s, 1);

		found = column != NULL && strcmp((const char *)column, name) == 0;
	}
	sqlite3_finalize(s);
	return found;
}

/*
 * Adds the columns a database of schema version 1 lacks: which sandbox
 * raised an engaged alert, and since when it waits for a new trigger.
 * Version 1's "confirmed" column stays and is no longer used.
 */
static int
add_columns(struct vg_alert_db *db)
{
	if (!has_column(db, "sandbox") &&
	    exec(db, "ALTER TABLE engaged_alerts ADD COLUMN sandbox INTEGER"
		     " NOT NULL DEFAULT 0") != 0)
		return -1;
	if (!has_column(db, "unconfirmed_us") &&
	    exec(db, "ALTER TABLE engaged_alerts ADD COLUMN unconfirmed_us"
		     " INTEGER NOT NULL DEFAULT 0") != 0)
		return -1;
	return 0;
}

struct vg_alert_db *
vg_alert_db_open(const char *path, bool read_only, char *err, size_t err_len)
{
	struct vg_alert_db *db = calloc(1, sizeof(*db));
	int flags = read_only ? SQLITE_OPEN_READONLY :
				SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	if (db == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	db->read_only = read_only;
	if (sqlite3_open_v2(path, &db->conn, flags | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, err_len, "%s: sqlite3_open_v2() failed: %s", path,
			 db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->conn, BUSY_TIMEOUT_MS);
	if (!read_only &&
	    (exec(db, "PRAGMA journal_mode=WAL") != 0 ||
	     exec(db, "PRAGMA synchronous=NORMAL") != 0 ||
	     exec(db, schema) != 0 || add_columns(db) != 0 ||
	     exec(db, "PRAGMA user_version=2") != 0)) {
		snprintf(err, err_len, "%s: creating the alert schema failed: %s",
			 path, sqlite3_errmsg(db->conn));
		goto fail;
	}
	return db;
fail:
	sqlite3_close(db->conn);
	free(db);
	return NULL;
}

void
vg_alert_db_close(struct vg_alert_db *db)
{
	unsigned int i;

	if (db == NULL)
		return;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->stmts[i]);
	sqlite3_close(db->conn);
	free(db);
}

int
vg_alert_db_begin(struct vg_alert_db *db)
{
	return exec(db, "BEGIN IMMEDIATE");
}

int
vg_alert_db_last_errno(struct vg_alert_db *db)
{
	switch (sqlite3_errcode(db->conn)) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int
vg_alert_db_commit(struct vg_alert_db *db)
{
	int rc;

	if (exec(db, "COMMIT") == 0)
		return 0;
	rc = vg_alert_db_last_errno(db);
	vg_alert_db_rollback(db);
	return rc;
}

int
vg_alert_db_rollback(struct vg_alert_db *db)
{
	/*
	 * SQLite ends the transaction by itself after some errors (a full
	 * disk, an I/O error, no memory), and a ROLLBACK then fails with
	 * "cannot rollback - no transaction is active".
	 */
	if (!vg_alert_db_in_transaction(db))
		return 0;
	return exec(db, "ROLLBACK");
}

bool
vg_alert_db_in_transaction(struct vg_alert_db *db)
{
	return sqlite3_get_autocommit(db->conn) == 0;
}

bool
vg_alert_db_retryable(struct vg_alert_db *db)
{
	switch (sqlite3_errcode(db->conn)) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
		return true;
	default:
		return false;
	}
}

static void
bind_text(sqlite3_stmt *s, int index, const char *text)
{
	sqlite3_bind_text(s, index, text ? text : "", -1, SQLITE_STATIC);
}

static void
copy_column(sqlite3_stmt *s, int col, char *dst, size_t size)
{
	const unsigned char *text = sqlite3_column_text(s, col);

	snprintf(dst, size, "%s", text ? (const char *)text : "");
}

/* Reads a row of PAST_COLUMNS or ENGAGED_COLUMNS into <a>. */
static int
read_row(sqlite3_stmt *s, struct vg_alert *a, bool engaged)
{
	const unsigned char *details;

	memset(a, 0, sizeof(*a));
	a->engaged = engaged;
	a->id = sqlite3_column_int64(s, 0);
	a->entity = (unsigned int)sqlite3_column_int(s, 1);
	copy_column(s, 2, a->entity_value, sizeof(a->entity_value));
	copy_column(s, 3, a->type, sizeof(a->type));
	a->severity = (unsigned int)sqlite3_column_int(s, 4);
	a->score = (uint32_t)sqlite3_column_int64(s, 5);
	copy_column(s, 6, a->plugin, sizeof(a->plugin));
	copy_column(s, 7, a->script, sizeof(a->script));
	details = sqlite3_column_text(s, 8);
	a->details = strdup(details ? (const char *)details : "{}");
	a->first_us = (uint64_t)sqlite3_column_int64(s, 9);
	a->last_us = (uint64_t)sqlite3_column_int64(s, 10);
	a->count = (uint32_t)sqlite3_column_int64(s, 11);
	a->released_us = (uint64_t)sqlite3_column_int64(s, 12);
	copy_column(s, 13, a->release_reason, sizeof(a->release_reason));
	a->flow_id = (uint64_t)sqlite3_column_int64(s, 14);
	copy_column(s, 15, a->client_ip, sizeof(a->client_ip));
	a->client_port = (uint16_t)sqlite3_column_int(s, 16);
	copy_column(s, 17, a->server_ip, sizeof(a->server_ip));
	a->server_port = (uint16_t)sqlite3_column_int(s, 18);
	a->vlan = (uint16_t)sqlite3_column_int(s, 19);
	a->l4_proto = (uint8_t)sqlite3_column_int(s, 20);
	copy_column(s, 21, a->l7, sizeof(a->l7));
	a->bytes = (uint64_t)sqlite3_column_int64(s, 22);
	a->packets = (uint64_t)sqlite3_column_int64(s, 23);
	return a->details != NULL ? 0 : -ENOMEM;
}

void
vg_alert_clear(struct vg_alert *a)
{
	free(a->details);
	a->details = NULL;
}

int
vg_alert_db_engage(struct vg_alert_db *db, struct vg_alert *a)
{
	sqlite3_stmt *s;
	int rc;

	if (db->read_only)
		return -EROFS;
	s = stmt(db, S_ENGAGED_FIND);
	if (s == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)a->entity);
	bind_text(s, 2, a->entity_value);
	bind_text(s, 3, a->type);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);

		a->first_us = (uint64_t)sqlite3_column_int64(s, 9);
		a->count = (uint32_t)sqlite3_column_int64(s, 11) + 1;
		s = stmt(db, S_ENGAGED_UPDATE);
		if (s == NULL)
			return -EIO;
		sqlite3_bind_int64(s, 1, (int64_t)a->last_us);
		sqlite3_bind_int(s, 2, (int)a->severity);
		sqlite3_bind_int64(s, 3, a->score);
		bind_text(s, 4, a->details);
		sqlite3_bind_int(s, 5, (int)a->sandbox);
		sqlite3_bind_int64(s, 6, id);
		if (sqlite3_step(s) != SQLITE_DONE)
			return db_error(db, "update of an engaged alert");
		a->id = id;
		a->engaged = true;
		return 0;
	}
	if (rc != SQLITE_DONE)
		return db_error(db, "lookup of an engaged alert");
	s = stmt(db, S_ENGAGED_INSERT);
	if (s == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)a->entity);
	bind_text(s, 2, a->entity_value);
	bind_text(s, 3, a->type);
	sqlite3_bind_int(s, 4, (int)a->severity);
	sqlite3_bind_int64(s, 5, a->score);
	bind_text(s, 6, a->plugin);
	bind_text(s, 7, a->script);
	bind_text(s, 8, a->details);
	sqlite3_bind_int64(s, 9, (int64_t)a->first_us);
	sqlite3_bind_int64(s, 10, (int64_t)a->last_us);
	sqlite3_bind_int(s, 11, (int)a->sandbox);
	if (sqlite3_step(s) != SQLITE_DONE)
		return db_error(db, "insert of an engaged alert");
	a->id = sqlite3_last_insert_rowid(db->conn);
	a->count = 1;
	a->engaged = true;
	return 1;
}

/* Finds the past row <a> merges into; returns its id, 0 or -EIO. */
static int64_t
find_merge(struct vg_alert_db *db, const struct vg_alert *a,
	   uint64_t window_us)
{
	sqlite3_stmt *s = stmt(db, S_PAST_FIND);
	uint64_t since = a->last_us > window_us ? a->last_us - window_us : 0;
	int rc;

	if (s == NULL)
		return -EIO;
	bind_text(s, 1, a->type);
	sqlite3_bind_int(s, 2, (int)a->entity);
	bind_text(s, 3, a->entity_value);
	sqlite3_bind_int64(s, 4, (int64_t)since);
	bind_text(s, 5, a->details);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return sqlite3_column_int64(s, 0);
	if (rc != SQLITE_DONE)
		return db_error(db, "lookup of a past alert");
	return 0;
}

int
vg_alert_db_add_past(struct vg_alert_db *db, struct vg_alert *a,
		     uint64_t window_us)
{
	sqlite3_stmt *s;
	int64_t id = 0;

	if (db->read_only)
		return -EROFS;
	if (a->count == 0)
		a->count = 1;
	if (window_us > 0) {
		id = find_merge(db, a, window_us);
		if (id < 0)
			return (int)id;
	}
	if (id > 0) {
		s = stmt(db, S_PAST_MERGE);
		if (s == NULL)
			return -EIO;
		sqlite3_bind_int64(s, 1, a->count);
		sqlite3_bind_int64(s, 2, (int64_t)a->last_us);
		sqlite3_bind_int64(s, 3, (int64_t)a->released_us);
		sqlite3_bind_int64(s, 4, id);
		if (sqlite3_step(s) != SQLITE_DONE)
			return db_error(db, "merge of a past alert");
		a->id = id;
		a->engaged = false;
		return 0;
	}
	s = stmt(db, S_PAST_INSERT);
	if (s == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)a->entity);
	bind_text(s, 2, a->entity_value);
	bind_text(s, 3, a->type);
	sqlite3_bind_int(s, 4, (int)a->severity);
	sqlite3_bind_int64(s, 5, a->score);
	bind_text(s, 6, a->plugin);
	bind_text(s, 7, a->script);
	bind_text(s, 8, a->details);
	sqlite3_bind_int64(s, 9, (int64_t)a->first_us);
	sqlite3_bind_int64(s, 10, (int64_t)a->last_us);
	sqlite3_bind_int64(s, 11, (int64_t)a->released_us);
	bind_text(s, 12, a->release_reason);
	sqlite3_bind_int64(s, 13, a->count);
	sqlite3_bind_int64(s, 14, (int64_t)a->flow_id);
	bind_text(s, 15, a->client_ip);
	sqlite3_bind_int(s, 16, a->client_port);
	bind_text(s, 17, a->server_ip);
	sqlite3_bind_int(s, 18, a->server_port);
	sqlite3_bind_int(s, 19, a->vlan);
	sqlite3_bind_int(s, 20, a->l4_proto);
	bind_text(s, 21, a->l7);
	sqlite3_bind_int64(s, 22, (int64_t)a->bytes);
	sqlite3_bind_int64(s, 23, (int64_t)a->packets);
	if (sqlite3_step(s) != SQLITE_DONE)
		return db_error(db, "insert of a past alert");
	a->id = sqlite3_last_insert_rowid(db->conn);
	a->engaged = false;
	return 1;
}

/* Moves the engaged row <a> (read with read_row) to past_alerts. */
static int
move_to_past(struct vg_alert_db *db, struct vg_alert *a, uint64_t time_us,
	     const char *reason, uint64_t window_us)
{
	sqlite3_stmt *s = stmt(db, S_ENGAGED_DELETE);
	int64_t engaged_id = a->id;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, engaged_id);
	if (sqlite3_step(s) != SQLITE_DONE)
		return db_error(db, "delete of an engaged alert");
	a->released_us = time_us > a->last_us ? time_us : a->last_us;
	snprintf(a->release_reason, sizeof(a->release_reason), "%s", reason);
	return vg_alert_db_add_past(db, a, window_us) < 0 ? -EIO : 0;
}

int
vg_alert_db_release(struct vg_alert_db *db, unsigned int entity,
		    const char *value, const char *type, uint64_t time_us,
		    const char *reason, uint64_t window_us,
		    struct vg_alert *out)
{
	struct vg_alert a;
	sqlite3_stmt *s;
	int rc;

	if (db->read_only)
		return -EROFS;
	s = stmt(db, S_ENGAGED_FIND);
	if (s == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)entity);
	bind_text(s, 2, value);
	bind_text(s, 3, type);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return db_error(db, "lookup of an engaged alert");
	rc = read_row(s, &a, true);
	if (rc == 0)
		rc = move_to_past(db, &a, time_us, reason, window_us);
	if (rc != 0 || out == NULL) {
		vg_alert_clear(&a);
		return rc != 0 ? rc : 1;
	}
	*out = a;
	return 1;
}

int64_t
vg_alert_db_unconfirm(struct vg_alert_db *db, int sandbox, uint64_t now_us)
{
	sqlite3_stmt *s;
	int rc;

	if (db->read_only)
		return -EROFS;
	/* A row that waits already keeps the time it started waiting. */
	if (sqlite3_prepare_v2(db->conn,
			       "UPDATE engaged_alerts SET unconfirmed_us ="
			       " CASE WHEN unconfirmed_us = 0 THEN ?1"
			       " ELSE unconfirmed_us END"
			       " WHERE ?2 < 0 OR sandbox = ?2",
			       -1, &s, NULL) != SQLITE_OK)
		return db_error(db, "prepare");
	sqlite3_bind_int64(s, 1, (int64_t)now_us);
	sqlite3_bind_int(s, 2, sandbox);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(db, "unconfirm");
	return sqlite3_changes64(db->conn);
}

int64_t
vg_alert_db_release_unconfirmed(struct vg_alert_db *db, uint64_t window_us,
				uint64_t since_us)
{
	struct vg_alert *rows = NULL;
	size_t count = 0, cap = 0, i;
	sqlite3_stmt *s;
	int64_t released = 0;

	if (db->read_only)
		return -EROFS;
	if (sqlite3_prepare_v2(db->conn,
			       "SELECT " ENGAGED_COLUMNS " FROM engaged_alerts"
			       " WHERE unconfirmed_us != 0 AND unconfirmed_us <= ?",
			       -1, &s, NULL) != SQLITE_OK)
		return db_error(db, "prepare");
	sqlite3_bind_int64(s, 1, (int64_t)since_us);
	/* Rows are collected first, because the result of a SELECT whose
	 * table is changed while it runs is undefined in SQLite. */

	while (sqlite3_step(s) == SQLITE_ROW) {
		if (count == cap) {
			size_t next = cap ? cap * 2 : 64;
			struct vg_alert *grown = realloc(rows, next * sizeof(*rows));

			if (grown == NULL)
				break;
			rows = grown;
			cap = next;
		}
		if (read_row(s, &rows[count], true) == 0)
			count++;
	}
	sqlite3_finalize(s);
	for (i = 0; i < count; i++) {
		if (move_to_past(db, &rows[i], rows[i].last_us, "unconfirmed",
				 window_us) == 0)
			released++;
		vg_alert_clear(&rows[i]);
	}
	free(rows);
	return released;
}

int64_t
vg_alert_db_retain(struct vg_alert_db *db, uint64_t min_last_us,
		   uint64_t max_rows)
{
	sqlite3_stmt *s;
	int64_t deleted = 0;
	int rc;

	if (db->read_only)
		return -EROFS;
	if (min_last_us > 0) {
		if (sqlite3_prepare_v2(db->conn,
				       "DELETE FROM past_alerts WHERE last_us < ?",
				       -1, &s, NULL) != SQLITE_OK)
			return db_error(db, "prepare");
		sqlite3_bind_int64(s, 1, (int64_t)min_last_us);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return db_error(db, "retention by age");
		deleted += sqlite3_changes64(db->conn);
	}
	if (max_rows == 0)
		return deleted;
	/* The rows with the oldest last_us go first, ties by id. */
	if (sqlite3_prepare_v2(db->conn,
			       "DELETE FROM past_alerts WHERE id IN (SELECT id"
			       " FROM past_alerts ORDER BY last_us, id LIMIT"
			       " max(0, (SELECT count(*) FROM past_alerts) - ?))",
			       -1, &s, NULL) != SQLITE_OK)
		return db_error(db, "prepare");
	sqlite3_bind_int64(s, 1, (int64_t)max_rows);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(db, "retention by row count");
	return deleted + sqlite3_changes64(db->conn);
}

bool
vg_alert_excluded(const struct vg_alert *a,
		  const struct vg_alert_exclusion *rules, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		const struct vg_alert_exclusion *ex = &rules[i];

		switch (a->entity) {
		case VG_ALERT_ENTITY_HOST:
			if (vg_alert_exclusion_matches(ex, a->entity_value,
						       a->type))
				return true;
			break;
		case VG_ALERT_ENTITY_FLOW:
			if (vg_alert_exclusion_matches(ex, a->client_ip,
						       a->type) ||
			    vg_alert_exclusion_matches(ex, a->server_ip,
						       a->type))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

int64_t
vg_alert_db_drop_excluded(struct vg_alert_db *db,
			  const struct vg_alert_exclusion *ex)
{
	sqlite3_stmt *s;
	sqlite3_stmt *del;
	int64_t dropped = 0;

	if (db->read_only)
		return -EROFS;
	if (sqlite3_prepare_v2(db->conn,
			       "SELECT id, entity_value, alert_type FROM"
			       " engaged_alerts WHERE entity = 2",
			       -1, &s, NULL) != SQLITE_OK)
		return db_error(db, "prepare");
	if (sqlite3_prepare_v2(db->conn,
			       "DELETE FROM engaged_alerts WHERE id = ?", -1,
			       &del, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return db_error(db, "prepare");
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *value = (const char *)sqlite3_column_text(s, 1);
		const char *type = (const char *)sqlite3_column_text(s, 2);

		if (!vg_alert_exclusion_matches(ex, value, type))
			continue;
		sqlite3_reset(del);
		sqlite3_bind_int64(del, 1, sqlite3_column_int64(s, 0));
		if (sqlite3_step(del) == SQLITE_DONE)
			dropped++;
	}
	sqlite3_finalize(s);
	sqlite3_finalize(del);
	return dropped;
}

static int
exclusion_write(struct vg_alert_db *db, const struct vg_alert_exclusion *ex,
		const char *sql)
{
	sqlite3_stmt *s;
	int rc;

	if (db->read_only)
		return -EROFS;
	if (sqlite3_prepare_v2(db->conn, sql, -1, &s, NULL) != SQLITE_OK)
		return db_error(db, "prepare");
	bind_text(s, 1, vg_alert_exclusion_kind_name(ex->kind));
	bind_text(s, 2, ex->text);
	bind_text(s, 3, ex->type);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_error(db, "exclusion write");
}

int
vg_alert_db_exclusion_add(struct vg_alert_db *db,
			  const struct vg_alert_exclusion *ex)
{
	return exclusion_write(db, ex,
			       "INSERT OR IGNORE INTO exclusions (kind, value,"
			       " alert_type) VALUES (?, ?, ?)");
}

int
vg_alert_db_exclusion_remove(struct vg_alert_db *db,
			     const struct vg_alert_exclusion *ex)
{
	return exclusion_write(db, ex,
			       "DELETE FROM exclusions WHERE kind = ? AND"
			       " value = ? AND alert_type = ?");
}

int
vg_alert_db_exclusions(struct vg_alert_db *db, struct vg_alert_exclusion *out,
		       unsigned int max)
{
	static const enum vg_alert_exclusion_kind kinds[] = {
		VG_EXCLUDE_HOST, VG_EXCLUDE_NETWORK, VG_EXCLUDE_HOST_TYPE,
	};
	sqlite3_stmt *s;
	unsigned int n = 0;

	if (sqlite3_prepare_v2(db->conn,
			       "SELECT kind, value, alert_type FROM exclusions",
			       -1, &s, NULL) != SQLITE_OK)
		return db_error(db, "prepare");
	while (n < max && sqlite3_step(s) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(s, 0);
		const char *problem = NULL;
		unsigned int k;

		for (k = 0; k < 3; k++) {
			if (strcmp(kind, vg_alert_exclusion_kind_name(kinds[k])) != 0)
				continue;
			if (vg_alert_exclusion_parse(
				    kinds[k], (const char *)sqlite3_column_text(s, 1),
				    (const char *)sqlite3_column_text(s, 2),
				    &out[n], &problem) == 0)
				n++;
			else
				VG_WARN("alerts", "stored exclusion kind=%s ignored: %s",
					kind, problem);
			break;
		}
	}
	sqlite3_finalize(s);
	return (int)n;
}

/* Appends " AND ..." conditions for <q> and binds them in the same order. */
static void
where_clause(const struct vg_alert_query *q, char *sql, size_t len)
{
	size_t used = strlen(sql);

	if (q->view == VG_ALERT_VIEW_FLOW)
		used += (size_t)snprintf(sql + used, len - used, " AND entity = 1");
	else if (q->view == VG_ALERT_VIEW_PAST)
		used += (size_t)snprintf(sql + used, len - used, " AND entity <> 1");
	if (q->from_us > 0)
		used += (size_t)snprintf(sql + used, len - used, " AND last_us >= ?1");
	if (q->to_us > 0)
		used += (size_t)snprintf(sql + used, len - used, " AND first_us <= ?2");
	if (q->min_severity > 0)
		used += (size_t)snprintf(sql + used, len - used, " AND severity >= ?3");
	if (q->type != NULL)
		used += (size_t)snprintf(sql + used, len - used, " AND alert_type = ?4");
	if (q->entity > 0 && q->view != VG_ALERT_VIEW_FLOW)
		used += (size_t)snprintf(sql + used, len - used, " AND entity = ?5");
	if (q->entity_value != NULL)
		snprintf(sql + used, len - used, " AND entity_value = ?6");
}

static void
bind_query(sqlite3_stmt *s, const struct vg_alert_query *q)
{
	if (q->from_us > 0)
		sqlite3_bind_int64(s, 1, (int64_t)q->from_us);
	if (q->to_us > 0)
		sqlite3_bind_int64(s, 2, (int64_t)q->to_us);
	if (q->min_severity > 0)
		sqlite3_bind_int(s, 3, (int)q->min_severity);
	if (q->type != NULL)
		bind_text(s, 4, q->type);
	if (q->entity > 0 && q->view != VG_ALERT_VIEW_FLOW)
		sqlite3_bind_int(s, 5, (int)q->entity);
	if (q->entity_value != NULL)
		bind_text(s, 6, q->entity_value);
}

static int
prepare_query(struct vg_alert_db *db, const char *sql, sqlite3_stmt **s)
{
	if (sqlite3_prepare_v2(db->conn, sql, -1, s, NULL) != SQLITE_OK)
		return db_error(db, "prepare of a query");
	return 0;
}

int
vg_alert_db_query(struct vg_alert_db *db, const struct vg_alert_query *q,
		  struct vg_alert_rows *rows)
{
	bool engaged = q->view == VG_ALERT_VIEW_ENGAGED;
	const char *table = engaged ? "engaged_alerts" : "past_alerts";
	uint32_t limit = q->limit == 0 ? DEFAULT_LIMIT :
			 q->limit > MAX_LIMIT ? MAX_LIMIT : q->limit;
	char where[512] = " WHERE 1";
	char sql[1024];
	sqlite3_stmt *s;
	int rc;

	memset(rows, 0, sizeof(*rows));
	if (q->view < VG_ALERT_VIEW_ENGAGED || q->view > VG_ALERT_VIEW_FLOW)
		return -EINVAL;
	where_clause(q, where, sizeof(where));

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s%s", table, where);
	rc = prepare_query(db, sql, &s);
	if (rc != 0)
		return rc;
	bind_query(s, q);
	if (sqlite3_step(s) == SQLITE_ROW)
		rows->total = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);

	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM %s%s ORDER BY last_us DESC, id DESC"
		 " LIMIT %u OFFSET %u",
		 engaged ? ENGAGED_COLUMNS : PAST_COLUMNS, table, where, limit,
		 q->offset);
	rc = prepare_query(db, sql, &s);
	if (rc != 0)
		return rc;
	bind_query(s, q);
	rows->rows = calloc(limit, sizeof(*rows->rows));
	if (rows->rows == NULL) {
		sqlite3_finalize(s);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && rows->count < limit) {
		if (read_row(s, &rows->rows[rows->count], engaged) != 0)
			break;
		rows->count++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		vg_alert_rows_free(rows);
		return db_error(db, "query");
	}
	return 0;
}

void
vg_alert_rows_free(struct vg_alert_rows *rows)
{
	size_t i;

	for (i = 0; i < rows->count; i++)
		vg_alert_clear(&rows->rows[i]);
	free(rows->rows);
	memset(rows, 0, sizeof(*rows));
}

/* Appends formatted text at <*used>, counting what did not fit. */
__attribute__((format(printf, 4, 5))) static void
put(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*used < len ? buf + *used : NULL,
		      *used < len ? len - *used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

/* Appends <s> as a JSON string, quotes included. */
static void
put_string(char *buf, size_t len, size_t *used, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	put(buf, len, used, "\"");
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(buf, len, used, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			put(buf, len, used, "\\u%04x", *p);
		else
			put(buf, len, used, "%c", *p);
	}
	put(buf, len, used, "\"");
}

size_t
vg_alert_to_json(const struct vg_alert *a, const char *event, char *buf,
		 size_t len)
{
	size_t used = 0;

	put(buf, len, &used, "{");
	if (event != NULL) {
		put(buf, len, &used, "\"event\":");
		put_string(buf, len, &used, event);
		put(buf, len, &used, ",");
	}
	put(buf, len, &used, "\"id\":%" PRId64 ",\"state\":\"%s\",\"entity\":\"%s\",\"entity_value\":",
	    a->id, a->engaged ? "engaged" : "past",
	    vg_alert_entity_name(a->entity));
	put_string(buf, len, &used, a->entity_value);
	put(buf, len, &used, ",\"type\":");
	put_string(buf, len, &used, a->type);
	put(buf, len, &used, ",\"severity\":\"%s\",\"score\":%u,\"count\":%u,"
	    "\"first_seen\":%" PRIu64 ".%06" PRIu64 ",\"last_seen\":%" PRIu64
	    ".%06" PRIu64, vg_alert_severity_name(a->severity), a->score,
	    a->count, a->first_us / 1000000, a->first_us % 1000000,
	    a->last_us / 1000000, a->last_us % 1000000);
	if (a->released_us != 0)
		put(buf, len, &used, ",\"released\":%" PRIu64 ".%06" PRIu64
		    ",\"release_reason\":\"%s\"", a->released_us / 1000000,
		    a->released_us % 1000000, a->release_reason);
	put(buf, len, &used, ",\"plugin\":");
	put_string(buf, len, &used, a->plugin);
	put(buf, len, &used, ",\"script\":");
	put_string(buf, len, &used, a->script);
	if (a->entity == VG_ALERT_ENTITY_FLOW) {
		/* A string: flow ids pass 2^53, where JSON readers lose digits. */
		put(buf, len, &used, ",\"flow_id\":\"%" PRIu64 "\",\"client_ip\":\"%s\","
		    "\"client_port\":%u,\"server_ip\":\"%s\",\"server_port\":%u,"
		    "\"vlan\":%u,\"l4_proto\":%u,\"l7\":", a->flow_id,
		    a->client_ip, a->client_port, a->server_ip, a->server_port,
		    a->vlan, a->l4_proto);
		put_string(buf, len, &used, a->l7);
		put(buf, len, &used, ",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64,
		    a->bytes, a->packets);
	}
	/* NOTE: details are embedded as stored. vigild stores only the
	 * objects vg_alert_details_normalize() returns, but a row that an
	 * older vigild stored may hold invalid JSON inside the braces. */
	put(buf, len, &used, ",\"details\":%s}",
	    a->details && a->details[0] ? a->details : "{}");
	if (len > 0)
		buf[used < len ? used : len - 1] = '\0';
	return used;
}
