/*
 * Defaults of the `alerts:` section and the exclusion rules; see
 * alert_config.h.
 *
 * Exclusions are matched on the control thread for every alert before it
 * is queued, so a match is a prefix comparison on parsed bytes, never a
 * string parse of the rule.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alert_config.h"

static const char *const severity_names[VG_ALERT_SEV_COUNT] = {
	"none", "info", "notice", "warning", "error", "critical",
};

static const char *const entity_names[VG_ALERT_ENTITY_COUNT] = {
	"none", "flow", "host", "interface", "network", "system",
};

void
vg_alerts_config_defaults(struct vg_alerts_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dedup_window_s = 300;
	cfg->retention_days = 30;
	cfg->max_rows = 1000000;
	cfg->queue_size = 16384;
	cfg->engaged_grace_s = 90000;
}

/* Parses a bare address into <addr>; returns its family (4, 6) or 0. */
static int
parse_address(const char *text, uint8_t *addr)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, text, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, addr) == 1)
		return 6;
	return 0;
}

int
vg_alert_exclusion_parse(enum vg_alert_exclusion_kind kind, const char *value,
			 const char *type, struct vg_alert_exclusion *out,
			 const char **problem)
{
	char addr[64];
	const char *slash;
	unsigned long len = 0;
	unsigned int max;
	unsigned int i;
	char *end;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (value == NULL || strlen(value) >= sizeof(out->text)) {
		*problem = "missing or too long address";
		return -EINVAL;
	}
	slash = strchr(value, '/');
	if (kind == VG_EXCLUDE_NETWORK && slash == NULL) {
		*problem = "expected ADDRESS/PREFIX";
		return -EINVAL;
	}
	if (kind != VG_EXCLUDE_NETWORK && slash != NULL) {
		*problem = "expected an address without a prefix";
		return -EINVAL;
	}
	snprintf(addr, sizeof(addr), "%.*s",
		 (int)(slash ? (size_t)(slash - value) : strlen(value)), value);
	out->family = (uint8_t)parse_address(addr, out->addr);
	if (out->family == 0) {
		*problem = "invalid address";
		return -EINVAL;
	}
	max = out->family == 4 ? 32 : 128;
	if (slash != NULL) {
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || len > max) {
			*problem = "invalid prefix length";
			return -EINVAL;
		}
	} else {
		len = max;
	}
	for (i = (unsigned int)len; i < max; i++) {
		if (out->addr[i / 8] & (0x80 >> (i % 8))) {
			*problem = "host bits are set after the prefix";
			return -EINVAL;
		}
	}
	out->prefix_len = (uint8_t)len;
	snprintf(out->text, sizeof(out->text), "%s", value);
	if (kind == VG_EXCLUDE_HOST_TYPE) {
		if (type == NULL || type[0] == '\0' ||
		    strlen(type) >= sizeof(out->type)) {
			*problem = "missing or too long alert type";
			return -EINVAL;
		}
		/* Alert keys are identifiers; anything else would also need
		 * escaping wherever the rule is printed. */
		if (strspn(type, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") !=
		    strlen(type)) {
			*problem = "an alert type has only letters, digits and _ . : -";
			return -EINVAL;
		}
		snprintf(out->type, sizeof(out->type), "%s", type);
	}
	return 0;
}

const char *
vg_alert_exclusion_kind_name(enum vg_alert_exclusion_kind kind)
{
	switch (kind) {
	case VG_EXCLUDE_HOST:
		return "host";
	case VG_EXCLUDE_NETWORK:
		return "network";
	case VG_EXCLUDE_HOST_TYPE:
		return "host-type";
	}
	return "unknown";
}

bool
vg_alert_exclusion_matches(const struct vg_alert_exclusion *ex,
			   const char *address, const char *type)
{
	char text[64];
	uint8_t addr[16];
	unsigned int full;
	unsigned int rest;
	size_t len;

	if (address == NULL)
		return false;
	len = strcspn(address, "@");
	if (len >= sizeof(text))
		return false;
	memcpy(text, address, len);
	text[len] = '\0';
	if (parse_address(text, addr) != ex->family)
		return false;
	if (ex->kind == VG_EXCLUDE_HOST_TYPE &&
	    (type == NULL || strcmp(type, ex->type) != 0))
		return false;
	full = ex->prefix_len / 8;
	rest = ex->prefix_len % 8;
	if (memcmp(addr, ex->addr, full) != 0)
		return false;
	if (rest != 0 && ((addr[full] ^ ex->addr[full]) & (0xff << (8 - rest))))
		return false;
	return true;
}

bool
vg_alert_exclusion_equal(const struct vg_alert_exclusion *a,
			 const struct vg_alert_exclusion *b)
{
	return a->kind == b->kind && a->family == b->family &&
	       a->prefix_len == b->prefix_len &&
	       memcmp(a->addr, b->addr, 16) == 0 &&
	       strcmp(a->type, b->type) == 0;
}

const char *
vg_alert_severity_name(unsigned int severity)
{
	return severity < VG_ALERT_SEV_COUNT ? severity_names[severity] : "none";
}

int
vg_alert_severity_parse(const char *name)
{
	int i;

	for (i = 0; i < VG_ALERT_SEV_COUNT; i++) {
		if (strcmp(name, severity_names[i]) == 0)
			return i;
	}
	return -1;
}

const char *
vg_alert_entity_name(unsigned int entity)
{
	return entity < VG_ALERT_ENTITY_COUNT ? entity_names[entity] : "none";
}

int
vg_alert_entity_parse(const char *name)
{
	int i;

	for (i = 1; i < VG_ALERT_ENTITY_COUNT; i++) {
		if (strcmp(name, entity_names[i]) == 0)
			return i;
	}
	return -1;
}
