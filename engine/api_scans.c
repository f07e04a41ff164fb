/*
 * Scan cache and scan budget of vigild's API; see api_scans.h.
 *
 * The budget is a virtual schedule. budget_end_us is when the budget
 * reserved so far would be used up at bytes_per_second. A new scan may
 * start once that moment is at most VG_SCAN_BURST_US ahead of it, and then
 * moves it on by its own cost. After an idle second the budget is full
 * again, so over any span of t seconds scans read at most
 * (t + 1) * bytes_per_second bytes plus the cost of one scan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api_scans.h"

void
vg_scans_init(struct vg_scans *s, uint32_t window_ms,
	      uint64_t bytes_per_second)
{
	memset(s, 0, sizeof(*s));
	s->window_us = (uint64_t)window_ms * 1000;
	s->bytes_per_second = bytes_per_second > 0 ? bytes_per_second : 1;
}

void
vg_scan_key_init(struct vg_scan_key *key, enum vg_scan_kind kind)
{
	memset(key, 0, sizeof(*key));
	key->kind = kind;
}

static bool
scan_fresh(const struct vg_scans *s, const struct vg_scan *scan,
	   uint64_t now_us)
{
	if (scan->state != VG_SCAN_DONE)
		return true;
	return scan->rc == 0 && now_us - scan->start_us < s->window_us;
}

struct vg_scan *
vg_scans_find(struct vg_scans *s, const struct vg_scan_key *key,
	      uint32_t rank, uint64_t now_us)
{
	struct vg_scan *scan;

	for (scan = s->list; scan != NULL; scan = scan->next) {
		if (scan->rank < rank ||
		    memcmp(&scan->key, key, sizeof(*key)) != 0 ||
		    !scan_fresh(s, scan, now_us))
			continue;
		return scan;
	}
	return NULL;
}

static uint64_t
scan_rows(const struct vg_scan *scan)
{
	return scan->key.kind == VG_SCAN_FLOWS ? scan->flows.count :
						 scan->hosts.count;
}

void
vg_scans_remove(struct vg_scans *s, struct vg_scan *scan)
{
	struct vg_scan **p;

	for (p = &s->list; *p != NULL; p = &(*p)->next) {
		if (*p == scan) {
			*p = scan->next;
			s->count--;
			break;
		}
	}
	if (scan->state == VG_SCAN_DONE)
		s->rows -= scan_rows(scan);
	free(scan->flows.hits);
	free(scan->hosts.hits);
	free(scan);
}

/* Returns the oldest finished scan that no request waits for, or NULL. */
static struct vg_scan *
oldest_idle(const struct vg_scans *s)
{
	struct vg_scan *scan;
	struct vg_scan *oldest = NULL;

	for (scan = s->list; scan != NULL; scan = scan->next) {
		if (scan->state == VG_SCAN_DONE && scan->users == 0)
			oldest = scan;
	}
	return oldest;
}

void
vg_scans_expire(struct vg_scans *s, uint64_t now_us)
{
	struct vg_scan *scan = s->list;
	struct vg_scan *victim;

	while (scan != NULL) {
		struct vg_scan *next = scan->next;

		if (scan->state == VG_SCAN_DONE && scan->users == 0 &&
		    !scan_fresh(s, scan, now_us))
			vg_scans_remove(s, scan);
		scan = next;
	}
	while (s->rows > VG_SCAN_ROWS_MAX && (victim = oldest_idle(s)) != NULL)
		vg_scans_remove(s, victim);
}

struct vg_scan *
vg_scans_add(struct vg_scans *s, const struct vg_scan_key *key,
	     uint32_t rank, uint64_t cost, uint64_t now_us, int *err)
{
	uint64_t start = now_us;
	struct vg_scan *scan;
	struct vg_scan *victim;

	if (s->budget_end_us > now_us + VG_SCAN_BURST_US)
		start = s->budget_end_us - VG_SCAN_BURST_US;
	if (start - now_us > VG_SCAN_WAIT_MAX_US) {
		s->counters.rejected++;
		*err = -EBUSY;
		return NULL;
	}
	if (s->count >= VG_SCANS_MAX) {
		victim = oldest_idle(s);
		if (victim == NULL) {
			s->counters.rejected++;
			*err = -EBUSY;
			return NULL;
		}
		vg_scans_remove(s, victim);
	}
	scan = calloc(1, sizeof(*scan));
	if (scan == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	scan->key = *key;
	scan->rank = rank;
	scan->state = VG_SCAN_WAITING;
	scan->arrived_us = now_us;
	scan->start_us = start;
	scan->cost = cost;
	scan->next = s->list;
	s->list = scan;
	s->count++;

	if (s->budget_end_us < start)
		s->budget_end_us = start;
	s->budget_end_us += (uint64_t)((double)cost * 1e6 /
				       (double)s->bytes_per_second);
	return scan;
}

struct vg_scan *
vg_scans_next_ready(const struct vg_scans *s, uint64_t now_us)
{
	struct vg_scan *scan;
	struct vg_scan *first = NULL;

	for (scan = s->list; scan != NULL; scan = scan->next) {
		if (scan->state != VG_SCAN_WAITING || scan->start_us > now_us)
			continue;
		/* Ties go to the older scan, which comes later in the list. */
		if (first == NULL || scan->start_us <= first->start_us)
			first = scan;
	}
	return first;
}

bool
vg_scans_next_start(const struct vg_scans *s, uint64_t *at_us)
{
	const struct vg_scan *scan;
	bool found = false;

	for (scan = s->list; scan != NULL; scan = scan->next) {
		if (scan->state != VG_SCAN_WAITING)
			continue;
		if (!found || scan->start_us < *at_us)
			*at_us = scan->start_us;
		found = true;
	}
	return found;
}

void
vg_scans_started(struct vg_scans *s, struct vg_scan *scan, uint64_t now_us)
{
	s->counters.scans++;
	if (scan->start_us > scan->arrived_us)
		s->counters.delayed++;
	if (now_us > scan->arrived_us)
		s->counters.wait_ms += (now_us - scan->arrived_us) / 1000;
	scan->state = VG_SCAN_RUNNING;
	scan->start_us = now_us;
}

void
vg_scans_done(struct vg_scans *s, struct vg_scan *scan, int rc)
{
	scan->state = VG_SCAN_DONE;
	scan->rc = rc;
	s->rows += scan_rows(scan);
}
