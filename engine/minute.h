/*
 * Per-minute counters, cut at packet-time minute boundaries.
 *
 * Everything vigil reports per minute (the plugins' host, interface,
 * network and system hooks, and the timeseries) must describe the same
 * minute of traffic whether a capture file is read at line rate or in
 * real time. The control thread cannot get that by reading counters on a
 * timer: during a fast replay the engines are minutes of packet time ahead
 * by the time it looks. So each engine lcore cuts its own counters when its
 * packet time crosses a minute boundary: a vg_minute_cut holds what that
 * lcore counted during one minute (deltas), and says how far the lcore's
 * clock has moved, so the control thread knows which minutes no lcore can
 * still add to. vg_minutes merges the cuts of every lcore and hands each
 * finished minute, in order, to its consumers.
 *
 * A minute in which an lcore saw no packet gets no cut from it: the cut
 * that follows reports the lcore's clock past it, and the merged minute
 * counts nothing from that lcore. A minute in which no lcore saw anything
 * is still delivered, with zero deltas, up to VG_MINUTE_GAP_MAX minutes
 * in a row; a longer silence in a capture is delivered as its last minutes
 * only.
 */
#ifndef VG_ENGINE_MINUTE_H
#define VG_ENGINE_MINUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

/* nDPI protocol ids counted per application; larger ids count as 0. */
#define VG_APP_SLOTS 512
#define VG_MINUTE_GAP_MAX 1440
#define VG_MINUTE_DONE UINT64_MAX

/*
 * Applications counted per host and minute. A host's bytes of further
 * applications in the same minute go to app_other_bytes.
 */
#define VG_HOST_APPS 4

/* Bytes of one application (a slot of app_bytes) to and from a host. */
struct vg_host_app {
	uint16_t app;              /* meaningful when bytes > 0 */
	uint64_t bytes;
};

/*
 * Adds <bytes> of application slot <app> to <apps>, or to <other> when
 * every entry holds another application.
 */
static inline void
vg_host_app_add(struct vg_host_app apps[VG_HOST_APPS], uint64_t *other,
		unsigned int app, uint64_t bytes)
{
	unsigned int i;

	for (i = 0; i < VG_HOST_APPS; i++) {
		if (apps[i].bytes == 0 || apps[i].app == app) {
			apps[i].app = (uint16_t)app;
			apps[i].bytes += bytes;
			return;
		}
	}
	*other += bytes;
}

/* One host's activity during the minute, as one engine lcore saw it. */
struct vg_minute_host {
	uint8_t addr[16];          /* IPv4 in the first 4 bytes */
	uint8_t ip_version;        /* 4 or 6 */
	bool local;                /* inside networks.local */
	uint16_t vlan;
	/* deltas over the minute */
	uint64_t bytes_sent;
	uint64_t bytes_rcvd;
	uint64_t packets_sent;
	uint64_t packets_rcvd;
	uint64_t dns_bytes;        /* sent and received, flows detected as DNS */
	uint64_t p2p_bytes;        /* flows in nDPI's download/P2P category */
	uint32_t new_flows_as_client;
	uint32_t new_flows_as_server;
	uint32_t syn_sent;         /* SYN segments without ACK */
	uint32_t syn_rcvd;
	uint32_t synack_sent;      /* SYN+ACK segments */
	uint32_t synack_rcvd;
	struct vg_host_app apps[VG_HOST_APPS]; /* bytes by application */
	uint64_t app_other_bytes;
	/* gauges at the end of the minute, this lcore's share */
	uint32_t flows_as_client;
	uint32_t flows_as_server;
	uint32_t score;            /* sum of the scores of its active flows */
	uint64_t first_us;         /* first and last packet time of the host */
	uint64_t last_us;
};

/* Traffic of one local network during the minute. */
struct vg_minute_net {
	uint64_t bytes_in;         /* from outside into the network */
	uint64_t bytes_out;        /* from the network to outside */
	uint64_t bytes_inside;     /* both ends inside the network */
	uint64_t flows_in;         /* new flows from outside to a host inside */
	uint64_t flows_out;        /* new flows from a host inside to outside */
};

/* Interface (capture port) traffic during the minute. */
struct vg_minute_port {
	uint64_t packets;
	uint64_t bytes;
	uint64_t bytes_in;         /* to a local address from a remote one */
	uint64_t bytes_out;        /* from a local address to a remote one */
};

/*
 * What one engine lcore counted during minute <minute> (Unix time / 60).
 * Allocated by the engine, owned by whoever receives it; free with
 * vg_minute_cut_free().
 */
struct vg_minute_cut {
	unsigned int engine;
	uint64_t minute;
	/*
	 * The lcore's clock after the cut, as a minute: it will add nothing
	 * to minutes before this one. VG_MINUTE_DONE once it has flushed.
	 */
	uint64_t next_minute;
	struct vg_minute_port ports[VG_MAX_PORTS];
	struct vg_minute_net nets[VG_MAX_LOCAL_NETS];
	uint64_t app_bytes[VG_APP_SLOTS];     /* by nDPI app (or master) id */
	uint64_t category_bytes[64];          /* by nDPI category id */
	uint32_t active_flows;                /* at the end of the minute */
	uint32_t active_hosts;                /* hosts in the lcore's table */
	uint64_t flows_created;               /* deltas */
	uint64_t flows_ended;
	/* Packet time at which vigild stopped mid-minute, 0 if it did not. */
	uint64_t stopped_us;
	/* Clock time at which a live run began mid-minute, 0 if it did not. */
	uint64_t started_us;
	uint32_t host_count;
	struct vg_minute_host hosts[];        /* hosts active in the minute */
};

void
vg_minute_cut_free(struct vg_minute_cut *cut);

/* A minute with the counters of every engine lcore merged. */
struct vg_minute_merged {
	uint64_t minute;           /* Unix time / 60 */
	struct vg_minute_port ports[VG_MAX_PORTS];
	struct vg_minute_net nets[VG_MAX_LOCAL_NETS];
	uint64_t app_bytes[VG_APP_SLOTS];
	uint64_t category_bytes[64];
	uint32_t active_flows;
	uint32_t active_hosts;     /* summed over lcores: a host seen by two counts twice */
	uint64_t flows_created;
	uint64_t flows_ended;
	/* Packet time at which vigild stopped mid-minute, 0 if it did not. */
	uint64_t stopped_us;
	/*
	 * Clock time at which a live run began mid-minute, 0 if it did not:
	 * the earliest of the lcores' starts, and 0 if any lcore watched the
	 * whole minute.
	 */
	uint64_t started_us;
	/* Each host once, its deltas summed over lcores. */
	uint32_t host_count;
	struct vg_minute_host *hosts;
};

/*
 * Called for each finished minute, in minute order. <m> and its hosts are
 * valid during the call only.
 */
typedef void (*vg_minute_fn)(void *ctx, const struct vg_minute_merged *m);

#define VG_MINUTE_CONSUMERS_MAX 4

struct vg_minutes;

/* Creates the merger for <engines> engine lcores. NULL if out of memory. */
struct vg_minutes *
vg_minutes_create(unsigned int engines);

void
vg_minutes_free(struct vg_minutes *mins);

/* Adds a consumer; returns 0, or -ENOSPC past VG_MINUTE_CONSUMERS_MAX. */
int
vg_minutes_add_consumer(struct vg_minutes *mins, vg_minute_fn fn, void *ctx);

/*
 * Takes <cut> (ownership passes to <mins>) and delivers every minute that
 * no engine lcore can add to any more. Control thread only.
 */
void
vg_minutes_add(struct vg_minutes *mins, struct vg_minute_cut *cut);

/* The last minute delivered, 0 before any. */
uint64_t
vg_minutes_last(const struct vg_minutes *mins);

/*
 * Running totals per host, built from merged minutes by the control
 * thread: what the plugins' host hooks and the web see of a host. Hosts
 * are never removed, as in the engines' tables.
 */
struct vg_host_total {
	uint8_t addr[16];
	uint8_t ip_version;
	bool local;
	uint16_t vlan;
	uint64_t bytes_sent;
	uint64_t bytes_rcvd;
	uint64_t packets_sent;
	uint64_t packets_rcvd;
	uint64_t dns_bytes;
	uint64_t p2p_bytes;
	uint64_t total_flows_as_client;
	uint64_t total_flows_as_server;
	uint32_t flows_as_client;  /* active at the end of its last minute */
	uint32_t flows_as_server;
	uint64_t first_us;
	uint64_t last_us;
	uint64_t last_minute;      /* last minute it was active in */
};

struct vg_host_totals {
	struct vg_host_total *hosts;
	uint32_t count;
	uint32_t cap;
	uint32_t *index;           /* position + 1, open addressing */
	uint32_t index_cap;
};

/*
 * Adds the minute's deltas of <h> to its totals, creating them. Returns
 * the totals, or NULL when out of memory.
 */
const struct vg_host_total *
vg_host_totals_add(struct vg_host_totals *t, const struct vg_minute_host *h,
		   uint64_t minute);

void
vg_host_totals_clear(struct vg_host_totals *t);

#endif
