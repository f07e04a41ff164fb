/*
 * vigil-sample: writes a synthetic but realistic capture for trying vigild
 * without live traffic.
 *
 *   vigil-sample OUT.pcap [--seed N] [--duration SEC] [--hosts N]
 *
 * Every host of the simulated LAN runs a loop of activities drawn from its
 * OS profile: web browsing over TLS, QUIC or plain HTTP, DNS lookups,
 * pings and SSH. Each host also queries NTP every 64 seconds, and one host
 * runs three SYN scans. Conversations start in time order and draw from
 * one seeded generator, so the same arguments always produce the same
 * file, and the file is written as the run goes. The capture starts at a
 * fixed time, 2024-03-01 09:00:00 UTC, so certificate validity and HTTP
 * dates in the file agree with each other.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "world.h"

#define DEFAULT_SEED 1
#define DEFAULT_DURATION_S 120
#define DEFAULT_HOSTS 40
#define DURATION_MIN_S 10
#define DURATION_MAX_S 86400

/* 2024-03-01T09:00:00Z in microseconds since the epoch. */
#define CAPTURE_START_US 1709283600000000ULL

/* Conversations start no later than this before the end of capture. */
#define TAIL_US 3000000ULL

#define NTP_POLL_US 64000000ULL

/* The first scan starts no later than this into the capture. */
#define FIRST_SCAN_MAX_US 45000000ULL

/* Frame bytes held in memory before older frames are written out. */
#define FLUSH_BYTES (32u << 20)

struct options {
	const char *path;
	uint64_t seed;
	uint64_t duration_s;
	uint64_t hosts;
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: vigil-sample OUT.pcap [--seed N] [--duration SEC] "
		"[--hosts N]\n"
		"Writes a synthetic Ethernet pcap of LAN hosts talking to "
		"Internet servers.\n"
		"  --seed N        random seed; the same seed gives the same "
		"file (default %d)\n"
		"  --duration SEC  capture length in seconds, %d to %d "
		"(default %d)\n"
		"  --hosts N       local hosts in 192.168.1.0/24, 1 to %d "
		"(default %d)\n",
		DEFAULT_SEED, DURATION_MIN_S, DURATION_MAX_S,
		DEFAULT_DURATION_S, VG_HOSTS_MAX, DEFAULT_HOSTS);
}

/* Parses a decimal number in [min, max]. Returns 0 or -EINVAL. */
static int
parse_number(const char *name, const char *text, uint64_t min, uint64_t max,
	uint64_t *value)
{
	char *end;

	errno = 0;
	*value = strtoull(text, &end, 10);
	if (errno != 0 || text[0] < '0' || text[0] > '9' || *end != '\0' ||
	    *value < min || *value > max) {
		fprintf(stderr,
			"vigil-sample: invalid %s '%s': expected a whole "
			"number from %" PRIu64 " to %" PRIu64 "\n",
			name, text, min, max);
		return -EINVAL;
	}
	return 0;
}

static int
parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "hosts", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opt->seed = DEFAULT_SEED;
	opt->duration_s = DEFAULT_DURATION_S;
	opt->hosts = DEFAULT_HOSTS;

	while ((c = getopt_long(argc, argv, "s:d:n:h", longopts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case 's':
			rc = parse_number("--seed", optarg, 0, UINT64_MAX,
				&opt->seed);
			break;
		case 'd':
			rc = parse_number("--duration", optarg, DURATION_MIN_S,
				DURATION_MAX_S, &opt->duration_s);
			break;
		case 'n':
			rc = parse_number("--hosts", optarg, 1, VG_HOSTS_MAX,
				&opt->hosts);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (rc != 0)
			return rc;
	}

	if (optind + 1 != argc) {
		fprintf(stderr, "vigil-sample: expected exactly one output "
			"file, got %d arguments\n", argc - optind);
		usage(stderr);
		return -EINVAL;
	}
	opt->path = argv[optind];
	return 0;
}

/* A web visit: usually a DNS lookup, then HTTPS over TCP or HTTP/3. */
static void
web_visit(struct vg_world *w, struct vg_host *host, uint64_t ts_us)
{
	struct vg_service *svc = vg_world_pick(w, host, VG_SVC_TLS);

	if (svc == NULL)
		return;
	if (vg_rng_chance(&w->rng, 85))
		ts_us = vg_flow_dns(w, host, svc->name, svc, ts_us) +
			vg_rng_range(&w->rng, 100, 2000);

	if (host->quic && (svc->offers & VG_SVC_QUIC) &&
	    vg_rng_chance(&w->rng, 75))
		vg_flow_quic(w, host, svc, ts_us);
	else
		vg_flow_tls(w, host, svc, ts_us);
}

/* Runs one activity of host at ts_us, drawn from what its OS does. */
static void
activity(struct vg_world *w, struct vg_host *host, uint64_t ts_us)
{
	uint64_t roll = vg_rng_range(&w->rng, 0, 99);
	int desktop = (VG_OS_BIT(host->os) & VG_OS_DESKTOP) != 0;
	int unix_desktop = host->os == VG_OS_LINUX || host->os == VG_OS_MACOS;
	struct vg_service *svc;

	if (roll < 62) {
		web_visit(w, host, ts_us);
	} else if (roll < 77) {
		vg_flow_http(w, host, ts_us);
	} else if (roll < 85) {
		/* A lookup with no connection: prefetch or a cached answer. */
		svc = vg_world_pick(w, host, VG_SVC_TLS);
		if (svc != NULL)
			vg_flow_dns(w, host, svc->name, svc, ts_us);
	} else if (roll < 90 && desktop) {
		svc = vg_world_pick(w, host, VG_SVC_PING);
		if (svc != NULL)
			vg_flow_ping(w, host, svc, ts_us);
	} else if (roll < 93 && unix_desktop) {
		svc = vg_world_pick(w, host, VG_SVC_SSH);
		if (svc != NULL) {
			ts_us = vg_flow_dns(w, host, svc->name, svc, ts_us);
			vg_flow_ssh(w, host, svc, ts_us + 500);
		}
	} else {
		web_visit(w, host, ts_us);
	}
}

/* Start times of the next recurring jobs of one host. */
struct host_clock {
	uint64_t next_activity;
	uint64_t next_ntp;
};

/* The three scans: scanner, target and start time of each. */
struct scan_job {
	struct vg_host *target_host;	/* NULL: a remote address */
	int family;
	const uint8_t *addr;
	unsigned port_count;
	uint64_t at_us;
};

#define SCAN_JOBS 3

/*
 * Plans the scans: one host (a Linux desktop when there is one) scans
 * another LAN host, a remote IPv4 address and, if it has IPv6, a remote
 * IPv6 address, a quarter (at most FIRST_SCAN_MAX_US), a half and three
 * quarters into the capture, so a long paced replay shows a scan within
 * its first minute. Returns the scanner. Jobs that cannot run get port_count 0.
 */
static struct vg_host *
plan_scans(struct vg_world *w, struct scan_job jobs[SCAN_JOBS])
{
	static const uint8_t remote_v4[4] = { 203, 0, 113, 200 };
	static const uint8_t remote_v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x0b,
		0xad, [15] = 0x01 };
	struct vg_host *scanner = &w->hosts[0];
	uint64_t span = w->end_us - TAIL_US - w->start_us;
	size_t i;

	for (i = 0; i < w->host_count; i++) {
		if (w->hosts[i].os == VG_OS_LINUX) {
			scanner = &w->hosts[i];
			break;
		}
	}

	memset(jobs, 0, SCAN_JOBS * sizeof(*jobs));
	jobs[0].target_host = &w->hosts[scanner == &w->hosts[0]];
	jobs[0].family = 4;
	jobs[0].port_count = w->host_count > 1 ? 1000 : 0;
	jobs[1].family = 4;
	jobs[1].addr = remote_v4;
	jobs[1].port_count = 300;
	jobs[2].family = 6;
	jobs[2].addr = remote_v6;
	jobs[2].port_count = scanner->dual_stack ? 200 : 0;
	for (i = 0; i < SCAN_JOBS; i++)
		jobs[i].at_us = w->start_us + span * (i + 1) / 4;
	if (span / 4 > FIRST_SCAN_MAX_US)
		jobs[0].at_us = w->start_us + FIRST_SCAN_MAX_US;
	return scanner;
}

static void
init_clocks(struct vg_world *w, struct host_clock *clocks)
{
	uint64_t first_ntp = (w->end_us - w->start_us) / 4;
	size_t i;

	if (first_ntp > 30000000)
		first_ntp = 30000000;
	for (i = 0; i < w->host_count; i++) {
		uint64_t gap_us = (uint64_t)w->hosts[i].activity_gap_ms * 1000;

		clocks[i].next_ntp = w->start_us +
			vg_rng_range(&w->rng, 0, first_ntp);
		clocks[i].next_activity = w->start_us +
			vg_rng_range(&w->rng, 0, gap_us);
	}
}

/*
 * Runs every job in order of start time until no job starts before the
 * tail of the capture. Starting conversations in time order is what lets
 * the trace write frames older than the current start (vg_trace_flush).
 */
static void
run_schedule(struct vg_world *w, struct host_clock *clocks)
{
	uint64_t last_start = w->end_us - TAIL_US;
	struct scan_job scans[SCAN_JOBS];
	struct vg_host *scanner = plan_scans(w, scans);
	size_t next_scan = 0;

	for (;;) {
		uint64_t t = UINT64_MAX;
		size_t host = 0;
		int ntp = 0;
		size_t i;

		for (i = 0; i < w->host_count; i++) {
			if (clocks[i].next_ntp < t) {
				t = clocks[i].next_ntp;
				host = i;
				ntp = 1;
			}
			if (clocks[i].next_activity < t) {
				t = clocks[i].next_activity;
				host = i;
				ntp = 0;
			}
		}
		if (next_scan < SCAN_JOBS && scans[next_scan].at_us <= t) {
			struct scan_job *job = &scans[next_scan++];

			if (job->port_count != 0)
				vg_flow_scan(w, scanner, job->target_host,
					job->family, job->addr,
					job->port_count, job->at_us);
			continue;
		}
		if (t >= last_start || w->trace.err != 0)
			break;

		if (w->trace.arena_len >= FLUSH_BYTES)
			vg_trace_flush(&w->trace, t);

		if (ntp) {
			vg_flow_ntp(w, &w->hosts[host], t);
			clocks[host].next_ntp += NTP_POLL_US;
		} else {
			uint64_t gap_us =
				(uint64_t)w->hosts[host].activity_gap_ms * 1000;

			/* Gaps between activities average gap_us. */
			activity(w, &w->hosts[host], t);
			clocks[host].next_activity +=
				vg_rng_range(&w->rng, gap_us / 4,
					gap_us * 7 / 4);
		}
	}
}

/*
 * Deletes a partial capture, which would otherwise look complete to a
 * reader. Only regular files go: the output may be a device or a FIFO.
 */
static void
remove_partial(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		remove(path);
}

int
main(int argc, char **argv)
{
	struct host_clock *clocks;
	struct options opt;
	struct vg_world w;
	int rc;

	if (parse_options(argc, argv, &opt) != 0)
		return 2;

	rc = vg_world_init(&w, opt.seed, (size_t)opt.hosts, CAPTURE_START_US,
		CAPTURE_START_US + opt.duration_s * 1000000);
	clocks = calloc((size_t)opt.hosts, sizeof(*clocks));
	if (rc != 0 || clocks == NULL) {
		VG_ERR(VG_SAMPLE_TAG, "hosts=%" PRIu64
			" world setup failed: %s", opt.hosts, strerror(ENOMEM));
		if (rc == 0)
			vg_world_free(&w);
		free(clocks);
		return 1;
	}

	rc = vg_trace_open(&w.trace, opt.path);
	if (rc != 0)
		goto out;

	init_clocks(&w, clocks);
	run_schedule(&w, clocks);
	rc = vg_trace_close(&w.trace);
	if (rc != 0) {
		VG_ERR(VG_SAMPLE_TAG, "path=%s writing the capture failed: %s",
			opt.path, strerror(-rc));
		remove_partial(opt.path);
		goto out;
	}

	VG_INFO(VG_SAMPLE_TAG,
		"wrote path=%s seed=%" PRIu64 " frames=%" PRIu64
		" file_bytes=%" PRIu64 " dns=%u http=%u tls=%u quic=%u ssh=%u "
		"ntp=%u icmp=%u scan_probes=%u",
		opt.path, opt.seed, w.trace.frames_written,
		w.trace.bytes_written + 24, w.counts.dns, w.counts.http,
		w.counts.tls, w.counts.quic, w.counts.ssh, w.counts.ntp,
		w.counts.icmp, w.counts.scan_probes);
out:
	vg_world_free(&w);
	free(clocks);
	return rc != 0;
}
