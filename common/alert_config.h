/*
 * The `alerts:` section of vigil's configuration, and the exclusion rules
 * that vigild, vigil-web and the configuration loader share.
 *
 * These types live apart from config.h so that vigil-web, which reads the
 * alert database but no capture settings, can use them without the rest of
 * the configuration. The parsing and matching of exclusions needs neither
 * SQLite nor DPDK, so it sits in vg_common with the configuration loader.
 */
#ifndef VG_ALERT_CONFIG_H
#define VG_ALERT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VG_ALERT_MAX_ENDPOINTS 8
#define VG_ALERT_MAX_EXCLUSIONS 256
#define VG_ALERT_MAX_TYPES 16     /* alert types an endpoint accepts */
#define VG_ALERT_MAX_RECIPIENTS 8 /* e-mail recipients per endpoint */
#define VG_ALERT_TYPE_LEN 64
#define VG_ALERT_ADDR_LEN 256

/* Entity kinds, numbered as Entity in vigil_events.proto. */
enum vg_alert_entity {
	VG_ALERT_ENTITY_NONE = 0,
	VG_ALERT_ENTITY_FLOW,
	VG_ALERT_ENTITY_HOST,
	VG_ALERT_ENTITY_INTERFACE,
	VG_ALERT_ENTITY_NETWORK,
	VG_ALERT_ENTITY_SYSTEM,
	VG_ALERT_ENTITY_COUNT
};

/* Severities, numbered as Severity in vigil_events.proto. */
enum vg_alert_severity {
	VG_ALERT_SEV_NONE = 0,
	VG_ALERT_SEV_INFO,
	VG_ALERT_SEV_NOTICE,
	VG_ALERT_SEV_WARNING,
	VG_ALERT_SEV_ERROR,
	VG_ALERT_SEV_CRITICAL,
	VG_ALERT_SEV_COUNT
};

enum vg_alert_exclusion_kind {
	VG_EXCLUDE_HOST = 1,   /* every alert about one address */
	VG_EXCLUDE_NETWORK,    /* every alert about an address in a CIDR */
	VG_EXCLUDE_HOST_TYPE,  /* alerts of one type about one address */
};

struct vg_alert_exclusion {
	enum vg_alert_exclusion_kind kind;
	uint8_t family;                 /* 4 or 6 */
	uint8_t prefix_len;             /* 32 or 128 for a host */
	uint8_t addr[16];               /* network order */
	char text[64];                  /* as written: "10.0.0.0/8" */
	char type[VG_ALERT_TYPE_LEN];   /* VG_EXCLUDE_HOST_TYPE only */
};

enum vg_alert_endpoint_kind {
	VG_ENDPOINT_SYSLOG = 1,
	VG_ENDPOINT_WEBHOOK,
	VG_ENDPOINT_FILE,
	VG_ENDPOINT_EMAIL,
};

struct vg_alert_endpoint_config {
	enum vg_alert_endpoint_kind kind;
	char name[64];                  /* label in logs and counters */
	unsigned int min_severity;      /* enum vg_alert_severity */
	char types[VG_ALERT_MAX_TYPES][VG_ALERT_TYPE_LEN]; /* none: all */
	unsigned int type_count;
	uint32_t queue_size;            /* alerts waiting; more are dropped */
	uint32_t retries;               /* attempts after the first, 0 = no limit */
	uint32_t backoff_max_ms;        /* cap of the doubling retry delay */
	uint32_t timeout_ms;            /* per HTTP request or SMTP session */

	/* syslog: "unix:/dev/log", "udp:HOST:PORT" or "tcp:HOST:PORT" */
	char address[VG_ALERT_ADDR_LEN];
	unsigned int facility;          /* 0..23, RFC 5424 numbering */

	/* webhook: http(s) URL; email: smtp(s) server URL */
	char url[1024];

	/* file: JSON Lines file, appended to */
	char path[4096];

	/* email */
	char from[VG_ALERT_ADDR_LEN];
	char to[VG_ALERT_MAX_RECIPIENTS][VG_ALERT_ADDR_LEN];
	unsigned int to_count;
};

struct vg_alerts_config {
	char database[4096];            /* SQLite file, "" = no store */
	uint32_t dedup_window_s;        /* merge repeats this close, 0 = off */
	uint32_t retention_days;        /* past alerts older are deleted */
	uint32_t max_rows;              /* past alerts kept at most, 0 = any */
	uint32_t queue_size;            /* alerts waiting for the writer */
	uint32_t engaged_grace_s;       /* see docs/alerts.md, 0 = forever */
	struct vg_alert_exclusion exclusions[VG_ALERT_MAX_EXCLUSIONS];
	unsigned int exclusion_count;
	struct vg_alert_endpoint_config endpoints[VG_ALERT_MAX_ENDPOINTS];
	unsigned int endpoint_count;
};

/* Fills <cfg> with the defaults of every alerts key. */
void
vg_alerts_config_defaults(struct vg_alerts_config *cfg);

/*
 * Parses one exclusion: <value> is an address for VG_EXCLUDE_HOST and
 * VG_EXCLUDE_HOST_TYPE and ADDRESS/PREFIX for VG_EXCLUDE_NETWORK, whose
 * host bits must be zero; <type> is required for VG_EXCLUDE_HOST_TYPE and
 * ignored otherwise. Returns 0, or -EINVAL with a static description in
 * <problem>.
 */
int
vg_alert_exclusion_parse(enum vg_alert_exclusion_kind kind, const char *value,
			 const char *type, struct vg_alert_exclusion *out,
			 const char **problem);

/* Returns "host", "network" or "host-type", the names commands use. */
const char *
vg_alert_exclusion_kind_name(enum vg_alert_exclusion_kind kind);

/*
 * Returns true when <ex> covers an alert of <type> about <address>: a bare
 * IPv4 or IPv6 address, optionally followed by "@VLAN" as host entity
 * values are. Anything else never matches.
 */
bool
vg_alert_exclusion_matches(const struct vg_alert_exclusion *ex,
			   const char *address, const char *type);

/* Returns true when the two rules are the same (kind, network, type). */
bool
vg_alert_exclusion_equal(const struct vg_alert_exclusion *a,
			 const struct vg_alert_exclusion *b);

const char *
vg_alert_severity_name(unsigned int severity);

/* Returns the severity named <name> ("warning"...), or -1. */
int
vg_alert_severity_parse(const char *name);

const char *
vg_alert_entity_name(unsigned int entity);

/* Returns the entity kind named <name> ("host"...), or -1. */
int
vg_alert_entity_parse(const char *name);

#endif
