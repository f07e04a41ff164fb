/*
 * The input of the periodic hooks (see vg_sandboxes_minute() in
 * sandbox_sup.h), sent at the end of each minute of packet time and on
 * the 5-minute, hour and day boundaries. Every running sandbox gets the
 * snapshots of the hosts that their address hash assigns to it, in
 * batches of HOSTS_PER_BATCH on its control ring. One batch with the
 * interfaces, the local networks and the system follows. A batch the
 * control ring cannot take is dropped and counted in control_dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "common/log.h"
#include "capture/hash.h"
#include "hosts.h"
#include "lcore.h"
#include "sandbox_sup.h"
#include "vigil_events.pb-c.h"

#define HOSTS_PER_BATCH 256

/* Packs and queues one batch of host snapshots for <box>. */
static void
send_host_batch(struct vg_sandbox *box, Vigil__V1__Period period,
		uint64_t at, Vigil__V1__HostSnapshot **hosts, size_t count)
{
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	struct vg_shm_ring_ref *ring = vg_sandbox_shm_control_ring(&box->shm);
	static uint8_t buf[HOSTS_PER_BATCH * 180 + 256];
	size_t len;

	batch.version = VIGIL__V1__SCHEMA_VERSION__SCHEMA_VERSION_1;
	batch.seq = ++box->control_seq;
	batch.time_us = at;
	batch.period = period;
	batch.n_hosts = count;
	batch.hosts = hosts;
	if (vigil__v1__event_batch__get_packed_size(&batch) > sizeof(buf)) {
		box->counters.control_dropped++;
		return;
	}
	len = vigil__v1__event_batch__pack(&batch, buf);
	if (vg_shm_ring_put(ring, buf, (uint32_t)len) == 0)
		vg_shm_ring_wake(ring, box->wake_fd);
	else
		box->counters.control_dropped++;
}

/*
 * Sends the snapshot of each host active during the period that ends at
 * <at> (<minutes> long) to the sandbox its address picks. <m> is the
 * minute that just ended: its deltas give the per-minute SYN counts.
 */
static void
send_hosts(struct vg_sandboxes *sb, Vigil__V1__Period period, uint64_t at,
	   uint64_t minutes, const struct vg_minute_merged *m)
{
	static Vigil__V1__HostSnapshot snaps[VG_MAX_SANDBOXES][HOSTS_PER_BATCH];
	static Vigil__V1__HostSnapshot *ptrs[VG_MAX_SANDBOXES][HOSTS_PER_BATCH];
	size_t fill[VG_MAX_SANDBOXES] = { 0 };
	const struct vg_host_totals *totals = &sb->host_totals;
	uint64_t since = m->minute + 1 - minutes;
	uint32_t i;
	unsigned int b;

	for (i = 0; i < totals->count; i++) {
		const struct vg_host_total *h = &totals->hosts[i];
		const struct vg_minute_host *d = NULL;
		Vigil__V1__HostSnapshot *snap;
		unsigned int s;

		if (h->last_minute < since)
			continue;
		/* Hosts go by address, so a host always meets one sandbox. */
		s = (unsigned int)(vg_hash_bytes(h->addr, 16, 0x686f7374) %
				   sb->count);
		if (!sb->sandboxes[s].running)
			continue;
		if (h->last_minute == m->minute && i < sb->host_delta_count)
			d = sb->host_delta[i];
		snap = &snaps[s][fill[s]];
		vigil__v1__host_snapshot__init(snap);
		snap->ip.len = h->ip_version == 6 ? 16 : 4;
		snap->ip.data = (uint8_t *)h->addr;
		snap->vlan = h->vlan;
		snap->local = h->local;
		snap->bytes_sent = h->bytes_sent;
		snap->bytes_rcvd = h->bytes_rcvd;
		snap->packets_sent = h->packets_sent;
		snap->packets_rcvd = h->packets_rcvd;
		snap->flows_as_client = h->flows_as_client;
		snap->flows_as_server = h->flows_as_server;
		snap->total_flows_as_client = h->total_flows_as_client;
		snap->total_flows_as_server = h->total_flows_as_server;
		snap->first_seen_us = h->first_us;
		snap->last_seen_us = h->last_us;
		snap->dns_bytes = h->dns_bytes;
		snap->p2p_bytes = h->p2p_bytes;
		if (d != NULL) {
			snap->syn_sent = d->syn_sent;
			snap->syn_rcvd = d->syn_rcvd;
			snap->synack_sent = d->synack_sent;
			snap->synack_rcvd = d->synack_rcvd;
		}
		ptrs[s][fill[s]] = snap;
		if (++fill[s] == HOSTS_PER_BATCH) {
			send_host_batch(&sb->sandboxes[s], period, at, ptrs[s],
					fill[s]);
			fill[s] = 0;
		}
	}
	for (b = 0; b < sb->count; b++) {
		if (fill[b] > 0)
			send_host_batch(&sb->sandboxes[b], period, at, ptrs[b],
					fill[b]);
	}
}

/* Sums the batches engine lcores dropped for sandbox <index>. */
static uint64_t
events_lost(const struct vg_sandboxes *sb, unsigned int index)
{
	uint64_t lost = 0;
	unsigned int e;

	for (e = 0; e < sb->engine_count; e++)
		lost += atomic_load(&sb->engines[e]->events->batches_dropped[index]);
	return lost;
}

/*
 * Fills the disk fields of <system> from the file system vigil writes its
 * data to: the timeseries directory, else the alert database's, else the
 * flow records'. Nothing is filled when none is configured.
 */
static void
measure_disk(const struct vg_sandboxes *sb, Vigil__V1__SystemSnapshot *system)
{
	const struct vg_config *cfg = sb->cfg;
	char dir[VG_PATH_MAX];
	struct statvfs fs;
	char *slash;

	if (cfg->ts_enabled && cfg->ts_directory[0] != '\0')
		snprintf(dir, sizeof(dir), "%s", cfg->ts_directory);
	else if (cfg->alerts.database[0] != '\0')
		snprintf(dir, sizeof(dir), "%s", cfg->alerts.database);
	else if (cfg->flow_output[0] != '\0')
		snprintf(dir, sizeof(dir), "%s", cfg->flow_output);
	else
		return;
	/* A file's directory; a directory that does not exist yet, its parent. */
	while (statvfs(dir, &fs) != 0) {
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			return;
		*slash = '\0';
	}
	if (fs.f_blocks == 0)
		return;
	system->disk_total_bytes = (uint64_t)fs.f_blocks * fs.f_frsize;
	system->disk_free_ratio = (double)fs.f_bavail / (double)fs.f_blocks;
}

/* Writes "a.b.c.d/len" or the IPv6 form of local network <net>. */
static void
format_cidr(const struct vg_local_net *net, char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(net->family == 6 ? AF_INET6 : AF_INET, net->addr, addr,
		  sizeof(addr));
	snprintf(out, len, "%s/%u", addr, net->prefix_len);
}

/*
 * Sends the interface, network and system snapshots, and the host
 * snapshots, for the hook of <period> at the end of minute <m>.
 */
static void
send_periodic(struct vg_sandboxes *sb, Vigil__V1__Period period,
	      uint64_t minutes, const struct vg_minute_merged *m,
	      const struct vg_interface_counters *ifaces,
	      unsigned int iface_count)
{
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__SystemSnapshot system = VIGIL__V1__SYSTEM_SNAPSHOT__INIT;
	static Vigil__V1__InterfaceSnapshot snaps[VG_MAX_PORTS];
	static Vigil__V1__InterfaceSnapshot *snap_ptrs[VG_MAX_PORTS];
	static Vigil__V1__NetworkSnapshot nets[VG_MAX_LOCAL_NETS];
	static Vigil__V1__NetworkSnapshot *net_ptrs[VG_MAX_LOCAL_NETS];
	static char cidrs[VG_MAX_LOCAL_NETS][INET6_ADDRSTRLEN + 8];
	static uint8_t buf[VG_MAX_LOCAL_NETS * 96 + VG_MAX_PORTS * 128 + 1024];
	uint64_t at = (m->minute + 1) * 60000000;
	unsigned int i;

	send_hosts(sb, period, at, minutes, m);
	measure_disk(sb, &system);
	batch.version = VIGIL__V1__SCHEMA_VERSION__SCHEMA_VERSION_1;
	batch.time_us = at;
	batch.period = period;
	batch.system = &system;
	for (i = 0; i < iface_count && i < VG_MAX_PORTS; i++) {
		vigil__v1__interface_snapshot__init(&snaps[i]);
		snaps[i].name = (char *)ifaces[i].name;
		/* Packets and bytes as cut at the minute's end. */
		snaps[i].packets = sb->port_packets[i];
		snaps[i].bytes = sb->port_bytes[i];
		snaps[i].imissed = ifaces[i].imissed;
		snaps[i].ring_full = ifaces[i].ring_full;
		snaps[i].flows_table_full = ifaces[i].flows_table_full;
		snaps[i].active_flows = iface_count == 1 ? m->active_flows : 0;
		snaps[i].active_hosts = iface_count == 1 ? m->active_hosts : 0;
		snaps[i].flows_capacity = ifaces[i].flows_capacity;
		snaps[i].hosts_capacity = ifaces[i].hosts_capacity;
		snaps[i].hosts_table_full = ifaces[i].hosts_table_full;
		snap_ptrs[i] = &snaps[i];
	}
	batch.n_interfaces = i;
	batch.interfaces = snap_ptrs;
	for (i = 0; i < sb->cfg->local_net_count; i++) {
		vigil__v1__network_snapshot__init(&nets[i]);
		format_cidr(&sb->cfg->local_nets[i], cidrs[i], sizeof(cidrs[i]));
		nets[i].cidr = cidrs[i];
		nets[i].bytes_in = sb->nets[i].bytes_in;
		nets[i].bytes_out = sb->nets[i].bytes_out;
		nets[i].bytes_inside = sb->nets[i].bytes_inside;
		nets[i].flows_in = sb->nets[i].flows_in;
		nets[i].flows_out = sb->nets[i].flows_out;
		net_ptrs[i] = &nets[i];
	}
	batch.n_networks = i;
	batch.networks = net_ptrs;
	for (i = 0; i < sb->count; i++) {
		struct vg_sandbox *box = &sb->sandboxes[i];
		struct vg_shm_ring_ref *ring =
			vg_sandbox_shm_control_ring(&box->shm);
		size_t len;

		if (!box->running)
			continue;
		batch.seq = ++box->control_seq;
		system.uptime_s = (uv_now(sb->loop) - box->started_ms) / 1000;
		system.events_lost = box->counters.events_lost;
		if (vigil__v1__event_batch__get_packed_size(&batch) > sizeof(buf)) {
			box->counters.control_dropped++;
			continue;
		}
		len = vigil__v1__event_batch__pack(&batch, buf);
		if (vg_shm_ring_put(ring, buf, (uint32_t)len) == 0)
			vg_shm_ring_wake(ring, box->wake_fd);
		else
			box->counters.control_dropped++;
	}
}

void
vg_sandboxes_minute(void *ctx, const struct vg_minute_merged *m)
{
	struct vg_sandboxes *sb = ctx;
	struct vg_interface_counters ifaces[VG_MAX_PORTS];
	unsigned int iface_count = 0;
	uint64_t end = m->minute + 1;
	uint32_t i;

	/* Running totals first, so the snapshots end with this minute. */
	for (i = 0; i < VG_MAX_PORTS; i++) {
		sb->port_packets[i] += m->ports[i].packets;
		sb->port_bytes[i] += m->ports[i].bytes;
	}
	for (i = 0; i < VG_MAX_LOCAL_NETS; i++) {
		sb->nets[i].bytes_in += m->nets[i].bytes_in;
		sb->nets[i].bytes_out += m->nets[i].bytes_out;
		sb->nets[i].bytes_inside += m->nets[i].bytes_inside;
		sb->nets[i].flows_in += m->nets[i].flows_in;
		sb->nets[i].flows_out += m->nets[i].flows_out;
	}
	/* host_delta[i]: this minute's deltas of host_totals.hosts[i]. */
	for (i = 0; i < m->host_count; i++) {
		const struct vg_host_total *t =
			vg_host_totals_add(&sb->host_totals, &m->hosts[i],
					   m->minute);
		uint32_t pos;

		if (t == NULL)
			continue;
		pos = (uint32_t)(t - sb->host_totals.hosts);
		if (pos >= sb->host_delta_cap) {
			uint32_t cap = sb->host_totals.cap;
			const struct vg_minute_host **d =
				realloc(sb->host_delta, cap * sizeof(*d));

			if (d == NULL)
				continue;
			sb->host_delta = d;
			sb->host_delta_cap = cap;
		}
		sb->host_delta[pos] = &m->hosts[i];
		if (pos >= sb->host_delta_count)
			sb->host_delta_count = pos + 1;
	}

	if (sb->interfaces != NULL)
		iface_count = sb->interfaces(sb->interfaces_ctx, ifaces,
					     VG_MAX_PORTS);
	for (i = 0; i < sb->count; i++)
		sb->sandboxes[i].counters.events_lost = events_lost(sb, i);
	/* Hooks run on packet time, so a replay fires them as captured. */
	send_periodic(sb, VIGIL__V1__PERIOD__PERIOD_MIN, 1, m, ifaces,
		      iface_count);
	if (end % 5 == 0)
		send_periodic(sb, VIGIL__V1__PERIOD__PERIOD_5MINS, 5, m, ifaces,
			      iface_count);
	if (end % 60 == 0)
		send_periodic(sb, VIGIL__V1__PERIOD__PERIOD_HOUR, 60, m, ifaces,
			      iface_count);
	if (end % 1440 == 0)
		send_periodic(sb, VIGIL__V1__PERIOD__PERIOD_DAY, 1440, m, ifaces,
			      iface_count);
	/* The deltas point into <m>, which is gone after this call. */
	sb->host_delta_count = 0;
}
