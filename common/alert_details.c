/*
 * Alert details checked and normalized; see alert_details.h for the rule.
 *
 * SQLite does the JSON work (json_valid, json_type, json, json_object)
 * because vigild links it for the alert store already. Its JSON functions
 * do not check UTF-8, so invalid bytes are replaced here first, and text
 * that needed it counts as invalid whatever it parses as.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/alert_details.h"
#include "common/utf8.h"

/* ?1 is the text in valid UTF-8, ?2 is 1 when invalid bytes were replaced. */
#define NORMALIZE_SQL                                                    \
	"SELECT CASE WHEN ?2 OR NOT json_valid(?1) THEN 2"               \
	" WHEN json_type(?1) = 'object' THEN 0 ELSE 1 END,"             \
	" CASE WHEN ?2 OR NOT json_valid(?1) THEN json_object('invalid', ?1)" \
	" WHEN json_type(?1) = 'object' THEN json(?1)"                  \
	" ELSE json_object('value', json(?1)) END"

#define REPLACEMENT "\xef\xbf\xbd"      /* U+FFFD in UTF-8 */

struct vg_alert_details {
	sqlite3 *db;
	sqlite3_stmt *normalize;
};

struct vg_alert_details *
vg_alert_details_open(char *err, size_t err_len)
{
	struct vg_alert_details *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	rc = sqlite3_open_v2(":memory:", &d->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(d->db, NORMALIZE_SQL, -1,
					&d->normalize, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, err_len, "%s", d->db != NULL ?
			 sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
		vg_alert_details_close(d);
		return NULL;
	}
	return d;
}

void
vg_alert_details_close(struct vg_alert_details *d)
{
	if (d == NULL)
		return;
	sqlite3_finalize(d->normalize);
	sqlite3_close(d->db);
	free(d);
}

/*
 * Returns a malloc'd copy of <s> (<len> bytes) with each byte that starts
 * no valid UTF-8 sequence replaced by U+FFFD, or NULL when out of memory.
 */
static char *
replace_invalid_utf8(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	char *copy = malloc(len * 3 + 1);
	size_t used = 0;
	size_t i = 0;

	if (copy == NULL)
		return NULL;
	while (i < len) {
		size_t n = vg_utf8_sequence(p + i, len - i);

		if (n == 0) {
			memcpy(copy + used, REPLACEMENT, 3);
			used += 3;
			i++;
			continue;
		}
		memcpy(copy + used, s + i, n);
		used += n;
		i += n;
	}
	copy[used] = '\0';
	return copy;
}

int
vg_alert_details_normalize(struct vg_alert_details *d, const char *details,
			   char **out)
{
	size_t len = details != NULL ? strlen(details) : 0;
	char *repaired = NULL;
	const char *text = details;
	const unsigned char *json;
	int kind = -EIO;

	*out = NULL;
	if (details == NULL || len == 0) {
		/* Nothing sent is the same as no details. */
		*out = strdup("{}");
		return *out != NULL ? VG_ALERT_DETAILS_OBJECT : -ENOMEM;
	}
	if (vg_utf8_invalid_at(details, len) >= 0) {
		repaired = replace_invalid_utf8(details, len);
		if (repaired == NULL)
			return -ENOMEM;
		text = repaired;
	}
	sqlite3_bind_text64(d->normalize, 1, text, strlen(text), SQLITE_STATIC,
			    SQLITE_UTF8);
	sqlite3_bind_int(d->normalize, 2, repaired != NULL);
	if (sqlite3_step(d->normalize) == SQLITE_ROW) {
		json = sqlite3_column_text(d->normalize, 1);
		if (json != NULL) {
			*out = strdup((const char *)json);
			kind = *out != NULL ?
				       sqlite3_column_int(d->normalize, 0) :
				       -ENOMEM;
		}
	}
	sqlite3_reset(d->normalize);
	sqlite3_clear_bindings(d->normalize);
	free(repaired);
	return kind;
}

const char *
vg_alert_details_kind_name(int kind)
{
	switch (kind) {
	case VG_ALERT_DETAILS_OBJECT:
		return "object";
	case VG_ALERT_DETAILS_VALUE:
		return "value";
	case VG_ALERT_DETAILS_INVALID:
		return "invalid";
	}
	return "unknown";
}
