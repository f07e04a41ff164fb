/*
 * The alert database: merging of engaged and past alerts, release,
 * retention, queries with paging and totals, and exclusion matching.
 *
 * Each test opens a fresh database file in a temporary folder, so the
 * SQL runs as vigild runs it, WAL mode included.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/alert_db.h"

static char dir[64];
static char path[128];

static int
setup(void **state)
{
	struct vg_alert_db *db;
	char err[256];

	snprintf(dir, sizeof(dir), "/tmp/vg-alert-db-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/alerts.db", dir);
	db = vg_alert_db_open(path, false, err, sizeof(err));
	*state = db;
	return db != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char file[160];

	vg_alert_db_close(*state);
	unlink(path);
	snprintf(file, sizeof(file), "%s-wal", path);
	unlink(file);
	snprintf(file, sizeof(file), "%s-shm", path);
	unlink(file);
	rmdir(dir);
	return 0;
}

/* Fills <a> as a host alert about <host> at <t> seconds. */
static void
host_alert(struct vg_alert *a, const char *host, const char *type,
	   unsigned int severity, uint64_t t)
{
	memset(a, 0, sizeof(*a));
	a->entity = VG_ALERT_ENTITY_HOST;
	a->severity = severity;
	a->score = 10;
	a->count = 1;
	a->first_us = t * 1000000;
	a->last_us = t * 1000000;
	snprintf(a->entity_value, sizeof(a->entity_value), "%s@0", host);
	snprintf(a->type, sizeof(a->type), "%s", type);
	snprintf(a->plugin, sizeof(a->plugin), "p");
	snprintf(a->script, sizeof(a->script), "s");
	a->details = "{\"k\":1}";
}

static void
flow_alert(struct vg_alert *a, const char *client, uint16_t port,
	   uint64_t t)
{
	host_alert(a, client, "flow_type", VG_ALERT_SEV_WARNING, t);
	a->entity = VG_ALERT_ENTITY_FLOW;
	snprintf(a->entity_value, sizeof(a->entity_value),
		 "%s:%u-10.9.0.1:80@0", client, port);
	snprintf(a->client_ip, sizeof(a->client_ip), "%s", client);
	snprintf(a->server_ip, sizeof(a->server_ip), "10.9.0.1");
	a->client_port = port;
	a->server_port = 80;
}

static uint64_t
total(struct vg_alert_db *db, enum vg_alert_view view)
{
	struct vg_alert_query q = { .view = view };
	struct vg_alert_rows rows;
	uint64_t n;

	assert_int_equal(vg_alert_db_query(db, &q, &rows), 0);
	n = rows.total;
	vg_alert_rows_free(&rows);
	return n;
}

static void
test_engage_twice_merges(void **state)
{
	struct vg_alert_db *db = *state;
	struct vg_alert a;

	host_alert(&a, "10.0.0.1", "t", VG_ALERT_SEV_ERROR, 100);
	assert_int_equal(vg_alert_db_engage(db, &a), 1);
	host_alert(&a, "10.0.0.1", "t", VG_ALERT_SEV_ERROR, 160);
	assert_int_equal(vg_alert_db_engage(db, &a), 0);
	assert_int_equal(a.count, 2);
	assert_int_equal(a.first_us, 100000000);
	assert_int_equal(total(db, VG_ALERT_VIEW_ENGAGED), 1);
}

/* Returns the release reason of the past row of <host>, or "" for none. */
static const char *
past_reason(struct vg_alert_db *db, const char *host)
{
	static char reason[16];
	struct vg_alert_query q = { .view = VG_ALERT_VIEW_PAST };
	struct vg_alert_rows rows;
	char value[64];
	size_t i;

	snprintf(value, sizeof(value), "%s@0", host);
	reason[0] = '\0';
	assert_int_equal(vg_alert_db_query(db, &q, &rows), 0);
	for (i = 0; i < rows.count; i++) {
		if (strcmp(rows.rows[i].entity_value, value) == 0)
			snprintf(reason, sizeof(reason), "%s",
				 rows.rows[i].release_reason);
	}
	vg_alert_rows_free(&rows);
	return reason;
}

static void
test_unconfirm_one_sandbox(void **state)
{
	struct vg_alert_db *db = *state;
	struct vg_alert a;

	host_alert(&a, "10.0.0.1", "t", VG_ALERT_SEV_ERROR, 100);
	a.sandbox = 0;
	assert_int_equal(vg_alert_db_engage(db, &a), 1);
	host_alert(&a, "10.0.0.2", "t", VG_ALERT_SEV_ERROR, 100);
	a.sandbox = 1;
	assert_int_equal(vg_alert_db_engage(db, &a), 1);

	assert_int_equal(vg_alert_db_unconfirm(db, 1, 5000), 1);
	/* Not waited long enough: nothing goes. */
	assert_int_equal(vg_alert_db_release_unconfirmed(db, 0, 4999), 0);
	assert_int_equal(vg_alert_db_release_unconfirmed(db, 0, 5000), 1);
	assert_string_equal(past_reason(db, "10.0.0.2"), "unconfirmed");
	assert_string_equal(past_reason(db, "10.0.0.1"), "");
	assert_int_equal(total(db, VG_ALERT_VIEW_ENGAGED), 1);
}

static void
test_trigger_ends_the_wait(void **state)
{
	struct vg_alert_db *db = *state;
	struct vg_alert a;

	host_alert(&a, "10.0.0.1", "t", VG_ALERT_SEV_ERROR, 100);
	a.sandbox = 2;
	assert_int_equal(vg_alert_db_engage(db, &a), 1);
	assert_int_equal(vg_alert_db_unconfirm(db, -1, 5000), 1);
	host_alert(&a, "10.0.0.1", "t", VG_ALERT_SEV_ERROR, 160);
	a.sandbox = 2;
	assert_int_equal(vg_alert_db_engage(db, &a), 0);
	assert_int_equal(vg_alert_db_release_unconfirmed(db, 0, 99999), 0);
	assert_int_equal(total(db, VG_ALERT_VIEW_ENGAGED), 1);
}

static void
test_wait_keeps_first_time(void **state)
{
	struct vg_alert_db *db = *state;
	struct vg_alert a;

	host_alert(&a, "10.0.0.1", "t", VG_ALERT_SEV_ERROR, 100);
	a.sandbox = 0;
	assert_int_equal(vg_alert_db_engage(db, &a), 1);
	assert_int_equal(vg_alert_db_unconfirm(db, -1, 5000), 1);
	/* A second restart while it waits does not restart its wait. */
	assert_int_equal(vg_alert_db_unconfirm(db, 0, 9000), 1);
	assert_int_equal(vg_alert_db_release_unconfirmed(db, 0, 5000), 1);
	assert_int_equal(total(db, VG_ALERT_VIEW_ENGAGED), 0);
}

/* A database written by a vigild whose engaged_alerts had "confirmed"
 * and no sandbox or wait columns. */
static void
test_version1_database_upgraded(void **state)
{
	struct vg_alert_db *db = *state;
	struct vg_alert a;
	sqlite3 *conn;
	char err[256];

	vg_alert_db_close(db);
	*state = NULL;
	unlink(path);
	assert_int_equal(sqlite3_open(path, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn,
		"CREATE TABLE engaged_alerts (id INTEGER PRIMARY KEY,"
		" entity INTEGER NOT NULL, entity_value TEXT NOT NULL,"
		" alert_type TEXT NOT NULL, severity INTEGER NOT NULL,"
		" score INTEGER NOT NULL, plugin TEXT NOT NULL,"
		" script TEXT NOT NULL, details TEXT NOT NULL,"
		" first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,"
		" count INTEGER NOT NULL,"
		" confirmed INTEGER NOT NULL DEFAULT 1,"
		" UNIQUE (entity, entity_value, alert_type));"
		"INSERT INTO engaged_alerts VALUES (1, 2, '10.0.0.9@0', 't',"
		" 4, 10, 'p', 's', '{}', 100000000, 100000000, 1, 0);"
		"PRAGMA user_version=1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);

	db = vg_alert_db_open(path, false, err, sizeof(err));
	*state = db;
	assert_non_null(db);
	assert_int_equal(vg_alert_db_unconfirm(db, 0, 7000), 1);
	host_alert(&a, "10.0.0.9", "t", VG_ALERT_SEV_ERROR, 200);
	a.sandbox = 1;
	assert_int_equal(vg_alert_db_engage(db, &a), 0);
	assert_int_equal(a.count, 2);
	assert_int_equal(vg_alert_db_release_unconfirmed(db, 0, 99999), 0);
	assert_int_equal(vg_alert_db_unconfirm(db, 1, 8000), 1);
	assert_int_equal(vg_alert_db_release_unconfirmed(db, 0, 8000), 1);
	assert_string_equal(past_reason(db, "10.0.0.9"), "unconfirmed");
}

static void
test_release_moves_to_past(void **state)
{
	struct vg_alert_db *db = *state;
	struct vg_alert a, out;

	host_alert(&a, "10.0.0.1", "t", VG_ALERT_SEV_ERROR, 100);
	assert_int_equal(vg_alert_db_engage(db, &a), 1);
	assert_int_equal(vg_alert_db_release(db, VG_ALERT_ENTITY_HOST,
					     "10.0.0.1@0", "t", 200000000,
					     "release", 0, &out),
			 1);
	assert_int_equal(out.first_us, 100000000);
	assert_int_equal(out.released_us, 200000000);
	assert_string_equal(out.release_reason, "release");
	vg_alert_clear(&out);
	assert_int_equal(total(db, VG_ALERT_VIEW_ENGAGED), 0);
	assert_int_equal(total(db, VG_ALERT_VIEW_PAST), 1);
	assert_int_equal(vg_alert_db_release(db, VG_ALERT_ENTITY_HOST,
					     "10.0.0.1@0", "t", 300000000,
					     "release", 0, NULL),
			 0);
}

static void
test_past_merges_within_window_only(void **state)
{
	struct vg_alert_db *db = *state;
	struct vg_alert a;

	flow_alert(&a, "10.0.0.2", 4000, 100);
	assert_int_equal(vg_alert_db_add_past(db, &a, 60000000), 1);
	flow_alert(&a, "10.0.0.2", 4000, 150);
	assert_int_equal(vg_alert_db_add_past(db, &a, 60000000), 0);
	/* 150 s after the merged row's last time: outside the window. */
	flow_alert(&a, "10.0.0.2", 4000, 300);
	assert_int_equal(vg_alert_db_add_past(db, &a, 60000000), 1);
	/* Other details never merge. */
	flow_alert(&a, "10.0.0.2", 4000, 301);
	a.details = "{\"k\":2}";
	assert_int_equal(vg_alert_db_add_past(db, &a, 60000000), 1);
	assert_int_equal(total(db, VG_ALERT_VIEW_FLOW), 3);
	assert_int_equal(total(db, VG_ALERT_VIEW_PAST), 0);
}

static void
test_retain_by_rows_and_age(void **state)
{
	struct vg_alert_db *db = *state;
	struct vg_alert_query q = { .view = VG_ALERT_VIEW_FLOW, .limit = 10 };
	struct vg_alert_rows rows;
	struct vg_alert a;
	uint16_t i;

	for (i = 0; i < 10; i++) {
		flow_alert(&a, "10.0.0.3", (uint16_t)(1000 + i), 100 + i);
		assert_int_equal(vg_alert_db_add_past(db, &a, 0), 1);
	}
	assert_int_equal(vg_alert_db_retain(db, 0, 6), 4);
	assert_int_equal(vg_alert_db_retain(db, 107000000, 0), 3);
	assert_int_equal(vg_alert_db_query(db, &q, &rows), 0);
	assert_int_equal(rows.total, 3);
	assert_int_equal(rows.rows[0].client_port, 1009);
	assert_int_equal(rows.rows[2].client_port, 1007);
	vg_alert_rows_free(&rows);
}

static void
test_query_filters_and_pages(void **state)
{
	struct vg_alert_db *db = *state;
	struct vg_alert_query q = { .view = VG_ALERT_VIEW_ENGAGED };
	struct vg_alert_rows rows;
	struct vg_alert a;
	char host[32];
	int i;

	for (i = 0; i < 7; i++) {
		snprintf(host, sizeof(host), "10.0.1.%d", i);
		host_alert(&a, host, i < 3 ? "low" : "high",
			   i < 3 ? VG_ALERT_SEV_INFO : VG_ALERT_SEV_CRITICAL,
			   (uint64_t)(100 + i));
		assert_int_equal(vg_alert_db_engage(db, &a), 1);
	}
	q.min_severity = VG_ALERT_SEV_ERROR;
	q.limit = 2;
	q.offset = 1;
	assert_int_equal(vg_alert_db_query(db, &q, &rows), 0);
	assert_int_equal(rows.total, 4);
	assert_int_equal(rows.count, 2);
	assert_string_equal(rows.rows[0].entity_value, "10.0.1.5@0");
	assert_string_equal(rows.rows[1].entity_value, "10.0.1.4@0");
	vg_alert_rows_free(&rows);

	memset(&q, 0, sizeof(q));
	q.view = VG_ALERT_VIEW_ENGAGED;
	q.type = "low";
	q.from_us = 101000000;
	q.to_us = 101000000;
	assert_int_equal(vg_alert_db_query(db, &q, &rows), 0);
	assert_int_equal(rows.total, 1);
	assert_string_equal(rows.rows[0].entity_value, "10.0.1.1@0");
	vg_alert_rows_free(&rows);
}

static void
test_json_escapes_strings(void **state)
{
	struct vg_alert a;
	char buf[1024];
	size_t len;

	(void)state;
	host_alert(&a, "10.0.0.1", "a\"b\\c\n", VG_ALERT_SEV_NOTICE, 1);
	a.id = 7;
	len = vg_alert_to_json(&a, "trigger", buf, sizeof(buf));
	assert_int_equal(len, strlen(buf));
	assert_non_null(strstr(buf, "\"type\":\"a\\\"b\\\\c\\u000a\""));
	assert_non_null(strstr(buf, "\"event\":\"trigger\",\"id\":7"));
	assert_non_null(strstr(buf, "\"details\":{\"k\":1}}"));
	/* A short buffer is cut but still terminated, and the length
	 * needed is returned. */
	assert_int_equal(vg_alert_to_json(&a, "trigger", buf, 10), len);
	assert_int_equal(strlen(buf), 9);
}

static void
test_exclusion_matching(void **state)
{
	struct vg_alert_exclusion ex;
	const char *problem = NULL;

	(void)state;
	assert_int_equal(vg_alert_exclusion_parse(VG_EXCLUDE_NETWORK,
						  "10.8.0.0/14", NULL, &ex,
						  &problem),
			 0);
	assert_true(vg_alert_exclusion_matches(&ex, "10.11.255.1@0", "t"));
	assert_false(vg_alert_exclusion_matches(&ex, "10.12.0.1", "t"));
	assert_false(vg_alert_exclusion_matches(&ex, "fe80::1", "t"));
	assert_int_equal(vg_alert_exclusion_parse(VG_EXCLUDE_HOST_TYPE,
						  "fe80::1", "syn", &ex,
						  &problem),
			 0);
	assert_true(vg_alert_exclusion_matches(&ex, "fe80::1@3", "syn"));
	assert_false(vg_alert_exclusion_matches(&ex, "fe80::1@3", "other"));
	assert_int_equal(vg_alert_exclusion_parse(VG_EXCLUDE_NETWORK,
						  "10.1.2.3/8", NULL, &ex,
						  &problem),
			 -EINVAL);
	assert_string_equal(problem, "host bits are set after the prefix");
	assert_int_equal(vg_alert_exclusion_parse(VG_EXCLUDE_HOST, "10.0.0.1/32",
						  NULL, &ex, &problem),
			 -EINVAL);
}

static void
test_excluded_flow_by_server(void **state)
{
	struct vg_alert_exclusion ex;
	const char *problem = NULL;
	struct vg_alert a;

	(void)state;
	assert_int_equal(vg_alert_exclusion_parse(VG_EXCLUDE_HOST, "10.9.0.1",
						  NULL, &ex, &problem),
			 0);
	flow_alert(&a, "10.0.0.2", 4000, 1);
	assert_true(vg_alert_excluded(&a, &ex, 1));
	host_alert(&a, "10.0.0.2", "t", VG_ALERT_SEV_INFO, 1);
	assert_false(vg_alert_excluded(&a, &ex, 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_engage_twice_merges, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unconfirm_one_sandbox,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_trigger_ends_the_wait,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_keeps_first_time,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_version1_database_upgraded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_moves_to_past,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_past_merges_within_window_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retain_by_rows_and_age,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_filters_and_pages,
						setup, teardown),
		cmocka_unit_test(test_json_escapes_strings),
		cmocka_unit_test(test_exclusion_matching),
		cmocka_unit_test(test_excluded_flow_by_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
