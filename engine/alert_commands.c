/*
 * The alert store's control-socket commands. "exclude" and "unexclude"
 * change an exclusion in the control thread's copy at once and, with a
 * database, queue the write of the stored copy. "exclusions" lists the
 * rules in force. "alerts engaged" reads the engaged alerts from the
 * database once the writer has committed what was queued before it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alert_config.h"
#include "common/alert_db.h"
#include "alert_store.h"
#include "alert_store_internal.h"

/* Adds or removes rule <ex> on the control thread and queues the write. */
static int
change_rule(struct vg_alert_store *s, const struct vg_alert_exclusion *ex,
	    bool add)
{
	struct op *op;
	unsigned int i;

	for (i = 0; i < s->rule_count; i++) {
		if (vg_alert_exclusion_equal(&s->rules[i], ex))
			break;
	}
	if (add && i == s->rule_count) {
		if (s->rule_count == sizeof(s->rules) / sizeof(s->rules[0]))
			return -ENOSPC;
		s->rules[s->rule_count++] = *ex;
	} else if (!add) {
		if (i == s->rule_count)
			return -ENOENT;
		s->rules[i] = s->rules[--s->rule_count];
	}
	if (s->db == NULL)
		return 0;
	op = calloc(1, sizeof(*op));
	if (op == NULL)
		return -ENOMEM;
	op->kind = add ? OP_EXCLUDE : OP_UNEXCLUDE;
	op->rule = *ex;
	/* NOTE: a full queue loses the stored copy of the rule; the rule
	 * still applies until vigild stops. */
	return vg_alert_store_enqueue(s, op) == 0 ? 0 : -ENOBUFS;
}

/* Parses "host IP", "network CIDR" or "host-type IP TYPE" after a verb. */
static int
parse_rule(const char *args, struct vg_alert_exclusion *ex,
	   const char **problem)
{
	char kind[16] = "", value[64] = "", type[VG_ALERT_TYPE_LEN] = "";
	char extra[2] = "";
	int n = sscanf(args, "%15s %63s %63s %1s", kind, value, type, extra);

	if (n < 2 || n > 3 || (n == 3 && strcmp(kind, "host-type") != 0)) {
		*problem = "expected host ADDRESS, network ADDRESS/PREFIX or host-type ADDRESS TYPE";
		return -EINVAL;
	}
	if (strcmp(kind, "host") == 0)
		return vg_alert_exclusion_parse(VG_EXCLUDE_HOST, value, NULL,
						ex, problem);
	if (strcmp(kind, "network") == 0)
		return vg_alert_exclusion_parse(VG_EXCLUDE_NETWORK, value,
						NULL, ex, problem);
	if (strcmp(kind, "host-type") == 0)
		return vg_alert_exclusion_parse(VG_EXCLUDE_HOST_TYPE, value,
						type, ex, problem);
	*problem = "unknown kind (expected host, network or host-type)";
	return -EINVAL;
}

static void
exclude_command(struct vg_alert_store *s, const char *args, bool add,
		char *out, size_t len)
{
	struct vg_alert_exclusion ex;
	const char *problem = NULL;
	int rc;

	if (parse_rule(args, &ex, &problem) != 0) {
		args += strspn(args, " ");
		if (args[0] != '\0')
			snprintf(out, len, "error: %s (in '%s')", problem, args);
		else
			snprintf(out, len, "error: %s", problem);
		return;
	}
	rc = change_rule(s, &ex, add);
	if (rc == -ENOENT)
		snprintf(out, len, "error: no such exclusion");
	else if (rc == -ENOSPC)
		snprintf(out, len, "error: at most %zu exclusions",
			 sizeof(s->rules) / sizeof(s->rules[0]));
	else if (rc != 0)
		snprintf(out, len, "error: %s", strerror(-rc));
	else
		snprintf(out, len, "ok");
}

static void
list_exclusions(struct vg_alert_store *s, char *out, size_t len)
{
	size_t used = 0;
	unsigned int i;

	used += (size_t)snprintf(out, len, "[");
	for (i = 0; i < s->rule_count && used < len; i++)
		used += (size_t)snprintf(out + used, len - used,
					 "%s{\"kind\":\"%s\",\"value\":\"%s\",\"type\":\"%s\"}",
					 i ? "," : "",
					 vg_alert_exclusion_kind_name(s->rules[i].kind),
					 s->rules[i].text, s->rules[i].type);
	if (used + 2 <= len)
		snprintf(out + used, len - used, "]");
	else
		snprintf(out, len, "error: reply too long");
}

/* Writes {"total":N,"alerts":[...]} with as many rows as fit in <len>. */
static void
list_engaged(struct vg_alert_store *s, char *out, size_t len)
{
	struct vg_alert_query q = { .view = VG_ALERT_VIEW_ENGAGED,
				    .limit = 1000 };
	struct vg_alert_rows rows;
	size_t used;
	size_t i;

	if (s->reader == NULL) {
		snprintf(out, len, "error: no alert database (set alerts.database)");
		return;
	}
	vg_alert_store_sync_writer(s);
	if (vg_alert_db_query(s->reader, &q, &rows) != 0) {
		snprintf(out, len, "error: query failed, see the log");
		return;
	}
	used = (size_t)snprintf(out, len, "{\"total\":%" PRIu64 ",\"alerts\":[",
				rows.total);
	for (i = 0; i < rows.count; i++) {
		size_t need = vg_alert_to_json(&rows.rows[i], NULL, NULL, 0);

		/* Rows that do not fit are left out, and "total" still counts
		 * them. 4 bytes stay free for a comma, "]}" and the NUL. */
		if (used + need + 4 > len)
			break;
		if (i > 0)
			out[used++] = ',';
		used += vg_alert_to_json(&rows.rows[i], NULL, out + used,
					 len - used);
	}
	snprintf(out + used, len - used, "]}");
	vg_alert_rows_free(&rows);
}

bool
vg_alert_store_command(struct vg_alert_store *store, const char *command,
		       char *out, size_t out_len)
{
	static const struct {
		const char *name;
		bool add;
	} edits[] = { { "exclude", true }, { "unexclude", false } };
	size_t i;

	/* A bare "exclude" or "unexclude" gets a reply listing its arguments. */
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		size_t len = strlen(edits[i].name);

		if (strncmp(command, edits[i].name, len) != 0 ||
		    (command[len] != '\0' && command[len] != ' '))
			continue;
		if (store == NULL)
			snprintf(out, out_len, "error: no alert store is configured");
		else
			exclude_command(store, command + len, edits[i].add, out,
					out_len);
		return true;
	}
	if (strcmp(command, "exclusions") == 0) {
		if (store == NULL)
			snprintf(out, out_len, "[]");
		else
			list_exclusions(store, out, out_len);
		return true;
	}
	if (strcmp(command, "alerts engaged") == 0) {
		if (store == NULL)
			snprintf(out, out_len, "error: no alert store is configured");
		else
			list_engaged(store, out, out_len);
		return true;
	}
	return false;
}
