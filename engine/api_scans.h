/*
 * The table scans behind vigild's flow and host list queries: a cache of
 * recent scan results and a budget on the table bytes that scans read.
 *
 * A list query reads every slot of every engine table (279 MB for a
 * million flows), and that traffic competes with the engine lcores for
 * memory bandwidth and the shared cache. Two rules bound it:
 *
 *   - A scan keeps the top <rank> rows of one key (kind, filter, sort,
 *     order). For window_us after it started, its result serves every
 *     request with that key whose offset + limit is within <rank>. A request that
 *     arrives while such a scan waits or runs joins it.
 *   - Scans start no faster than the budget allows (the generic cell rate
 *     algorithm). Each scan reserves cost / rate seconds of the budget and
 *     may start once the reservations before it end less than
 *     VG_SCAN_BURST_US in the future. A scan that could not start within
 *     VG_SCAN_WAIT_MAX_US is rejected, so no request waits longer.
 *
 * Everything here runs on one thread (vigild's control loop) and takes the
 * time as an argument, so tests can drive it with their own clock.
 */
#ifndef VG_ENGINE_API_SCANS_H
#define VG_ENGINE_API_SCANS_H

#include <stdbool.h>
#include <stdint.h>

#include "flow_query.h"

#define VG_SCAN_BURST_US 1000000u    /* budget a scan may use ahead */
#define VG_SCAN_WAIT_MAX_US 5000000u /* maximum wait before a scan starts */
#define VG_SCANS_MAX 64              /* scans kept, in any state */
#define VG_SCAN_ROWS_MAX 65536u      /* rows kept by finished scans */

enum vg_scan_kind { VG_SCAN_FLOWS = 1, VG_SCAN_HOSTS };

/*
 * A list request without its page. Keys are compared with memcmp(), so
 * start each with vg_scan_key_init(), which zeroes the padding too.
 */
struct vg_scan_key {
	uint32_t kind;                /* enum vg_scan_kind */
	uint32_t sort;                /* enum vg_flow_sort or vg_host_sort */
	uint32_t ascending;
	struct vg_flow_filter flow;   /* zero in host keys */
	struct vg_host_filter host;   /* zero in flow keys */
};

enum vg_scan_state { VG_SCAN_WAITING, VG_SCAN_RUNNING, VG_SCAN_DONE };

struct vg_scan {
	struct vg_scan_key key;
	uint32_t rank;           /* the scan keeps the top <rank> rows */
	enum vg_scan_state state;
	uint64_t arrived_us;     /* the request that created it */
	uint64_t start_us;       /* allowed start; the real one once running */
	uint64_t cost;           /* table bytes it reads */
	uint32_t users;          /* requests waiting for its result */
	int rc;                  /* of the query, once done */
	struct vg_flow_result flows;
	struct vg_host_result hosts;
	void *waiters;           /* the caller's list of those requests */
	struct vg_scan *next;
};

struct vg_scan_counters {
	uint64_t scans;          /* scans started */
	uint64_t delayed;        /* scans the budget made wait */
	uint64_t wait_ms;        /* summed waits of every scan before it ran */
	uint64_t reused;         /* requests served by an earlier request's scan */
	uint64_t rejected;       /* requests rejected: no budget within the wait */
};

struct vg_scans {
	struct vg_scan *list;    /* newest first */
	uint32_t count;
	uint64_t rows;           /* rows held by finished scans */
	uint64_t window_us;      /* 0: every request scans */
	uint64_t bytes_per_second;
	uint64_t budget_end_us;  /* when the reservations made so far end */
	struct vg_scan_counters counters;
};

/* Sets up <s> empty: results are reused for <window_ms>. */
void
vg_scans_init(struct vg_scans *s, uint32_t window_ms,
	      uint64_t bytes_per_second);

/* Zeroes <key> and sets its kind. */
void
vg_scan_key_init(struct vg_scan_key *key, enum vg_scan_kind kind);

/*
 * Returns a scan whose result serves <key> up to rank <rank> at <now_us>.
 * That is a scan still waiting or running, or one that finished without
 * error and started less than window_us ago. Returns NULL when a new scan is
 * needed.
 */
struct vg_scan *
vg_scans_find(struct vg_scans *s, const struct vg_scan_key *key,
	      uint32_t rank, uint64_t now_us);

/*
 * Adds a waiting scan of <key> for the top <rank> rows that reads <cost>
 * table bytes, and reserves its share of the budget. Its start_us is when
 * it may run. Returns it, or NULL with <err> set: -EBUSY when it
 * could not start within VG_SCAN_WAIT_MAX_US or VG_SCANS_MAX scans are in
 * use, -ENOMEM.
 */
struct vg_scan *
vg_scans_add(struct vg_scans *s, const struct vg_scan_key *key,
	     uint32_t rank, uint64_t cost, uint64_t now_us, int *err);

/* Returns the waiting scan allowed to start first, if its time has come. */
struct vg_scan *
vg_scans_next_ready(const struct vg_scans *s, uint64_t now_us);

/*
 * Sets <at_us> to the earliest start of a waiting scan. Returns false when
 * no scan waits.
 */
bool
vg_scans_next_start(const struct vg_scans *s, uint64_t *at_us);

/* Marks <scan> running from <now_us>, the time its responses' age counts from. */
void
vg_scans_started(struct vg_scans *s, struct vg_scan *scan, uint64_t now_us);

/* Marks <scan> done with the query's return code <rc>. */
void
vg_scans_done(struct vg_scans *s, struct vg_scan *scan, int rc);

/*
 * Frees the finished scans that no request waits for and that are stale
 * at <now_us> or failed, then the oldest others while finished scans hold
 * more than VG_SCAN_ROWS_MAX rows.
 */
void
vg_scans_expire(struct vg_scans *s, uint64_t now_us);

/* Unlinks <scan> from <s> and frees it with its results. */
void
vg_scans_remove(struct vg_scans *s, struct vg_scan *scan);

#endif
