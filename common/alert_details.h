/*
 * The rule that turns the details a plugin sent with an alert into the
 * one JSON object that the alert store, the alert endpoints and
 * plugins.alerts_output all hold. vigild does not trust the sandbox
 * process, so the text is checked here before any output gets it:
 *
 *   a JSON object          kept, minified (no line break can split a
 *                          JSON Lines record)
 *   other valid JSON       wrapped: {"value":<the array, string, ...>}
 *   not JSON, or invalid   wrapped as a string: {"invalid":"<text>"},
 *   UTF-8                  each invalid UTF-8 byte replaced by U+FFFD
 *
 * JSON validity is RFC 8259 as SQLite's json_valid() checks it.
 */
#ifndef VG_ALERT_DETAILS_H
#define VG_ALERT_DETAILS_H

#include <stddef.h>

enum vg_alert_details_kind {
	VG_ALERT_DETAILS_OBJECT,        /* a JSON object, kept */
	VG_ALERT_DETAILS_VALUE,         /* other JSON, under "value" */
	VG_ALERT_DETAILS_INVALID,       /* not JSON, under "invalid" */
};

struct vg_alert_details;

/*
 * Opens the in-memory SQLite database that checks details. Returns NULL
 * with the SQLite error in <err> (<err_len> bytes) when it fails.
 */
struct vg_alert_details *
vg_alert_details_open(char *err, size_t err_len);

void
vg_alert_details_close(struct vg_alert_details *d);

/*
 * Sets *<out> to the JSON object for <details> (NULL counts as "{}"),
 * malloc'd, and returns its vg_alert_details_kind. Returns -ENOMEM, or
 * -EIO when SQLite failed on the check, with *<out> NULL.
 */
int
vg_alert_details_normalize(struct vg_alert_details *d, const char *details,
			   char **out);

/* Returns "object", "value" or "invalid" for a vg_alert_details_kind. */
const char *
vg_alert_details_kind_name(int kind);

#endif /* VG_ALERT_DETAILS_H */
