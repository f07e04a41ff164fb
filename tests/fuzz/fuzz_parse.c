/*
 * Fuzz harness for the packet parser. Each input is parsed as a frame of
 * every link type the parser supports, once with every tunnel opened and
 * once with none. A parse that succeeds must describe bytes inside the
 * input and keep the promises of parse.h. Offsets are in order and inside
 * the capture, fields of other protocols stay zero, only opened tunnels are
 * reported, the caller's fields are left 0, a second parse gives the same
 * result, and the shortcut vg_parse() takes for common Ethernet frames
 * gives, byte for byte, what the general walk over layers gives. A broken
 * invariant aborts, so libFuzzer reports it like a crash.
 *
 * Built with -fsanitize=fuzzer and -DVG_FUZZ_LIBFUZZER, libFuzzer supplies
 * main(). Built without them, main() below replays files and directories
 * named on the command line through the same entry point, so saved crashes
 * and real captures run as a regression test. A file that libpcap can open
 * (pcap or pcapng) is replayed packet by packet, up to -n packets; any
 * other file is one input. Each input sits in a buffer of exactly its
 * size, so a read past the end shows up under AddressSanitizer or
 * valgrind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "capture/parse.h"

static const uint32_t linktypes[] = {
	VG_LINK_NULL,       VG_LINK_ETHERNET,  VG_LINK_PPP,
	VG_LINK_PPP_SERIAL, VG_LINK_RAW,       VG_LINK_C_HDLC,
	VG_LINK_LOOP,       VG_LINK_LINUX_SLL, VG_LINK_IPV4,
	VG_LINK_IPV6,       VG_LINK_LINUX_SLL2,
};

/* Left in the summary before each parse; the parse must clear them. */
#define SENTINEL_TS_US 0x0123456789abcULL
#define SENTINEL_PORT_ID 0xau

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond, const char *what, const struct vg_parse_opts *opts)
{
	if (cond)
		return;
	fprintf(stderr,
		"fuzz_parse: invariant failed: %s linktype=%u tunnels=0x%x\n",
		what, opts->linktype, opts->tunnels);
	abort();
}

static void
check_offsets(const struct vg_pkt *pkt, uint32_t len,
	      const struct vg_parse_opts *opts)
{
	uint32_t min_l3_hdr = pkt->ip_version == 4 ? 20 : 40;

	check(pkt->frame_len == len, "frame_len", opts);
	check(pkt->ip_version == 4 || pkt->ip_version == 6, "ip_version",
	      opts);
	check(pkt->l3_off + min_l3_hdr <= len, "IP header inside the capture",
	      opts);
	check(pkt->l3_off + min_l3_hdr <= pkt->payload_off,
	      "payload_off after the IP header", opts);
	check((uint32_t)pkt->payload_off + pkt->payload_len <= len,
	      "payload inside the capture", opts);
}

static void
check_fields(const struct vg_pkt *pkt, const struct vg_parse_opts *opts)
{
	static const uint8_t zero[12];
	bool tcp = pkt->l4_proto == IPPROTO_TCP;
	bool udp = pkt->l4_proto == IPPROTO_UDP;
	bool icmp = pkt->l4_proto == IPPROTO_ICMP ||
		    pkt->l4_proto == IPPROTO_ICMPV6;

	if (pkt->ip_version == 4) {
		check(memcmp(pkt->src + 4, zero, 12) == 0, "ipv4 src padding",
		      opts);
		check(memcmp(pkt->dst + 4, zero, 12) == 0, "ipv4 dst padding",
		      opts);
	}
	check(pkt->vlan <= 4095, "vlan id", opts);
	check(tcp || udp || (pkt->sport == 0 && pkt->dport == 0),
	      "ports only for TCP and UDP", opts);
	check(tcp || (pkt->tcp_flags == 0 && pkt->tcp_seq == 0),
	      "TCP fields only for TCP", opts);
	/* tcp_window and icmp_type share their bytes */
	check(tcp || icmp || pkt->tcp_window == 0,
	      "window or ICMP type only for TCP and ICMP", opts);
	check(pkt->tunnel_index <= 6, "tunnel index in range", opts);
	check((vg_pkt_tunnel(pkt) & ~opts->tunnels) == 0,
	      "only opened tunnels", opts);
	check(pkt->spare == 0, "spare bits cleared", opts);
	check(pkt->ts_us == 0 && pkt->port_id == 0 && pkt->data_off == 0,
	      "caller fields cleared", opts);
}

static enum vg_parse_error
parse_once(const struct vg_parse_opts *opts, const uint8_t *data,
	   uint32_t len, struct vg_pkt *pkt, bool walk_only)
{
	memset(pkt, 0x5a, sizeof(*pkt));
	pkt->ts_us = SENTINEL_TS_US;
	pkt->port_id = SENTINEL_PORT_ID;
	if (walk_only)
		return vg_parse_layers(opts, data, len, pkt);
	return vg_parse(opts, data, len, pkt);
}

static void
run_one(const struct vg_parse_opts *opts, const uint8_t *data, uint32_t len)
{
	struct vg_pkt pkt, again, walked;
	enum vg_parse_error err;

	err = parse_once(opts, data, len, &pkt, false);
	check((unsigned int)err < VG_PARSE_ERROR_COUNT, "error in range",
	      opts);
	check(parse_once(opts, data, len, &again, false) == err,
	      "same error twice", opts);
	check(parse_once(opts, data, len, &walked, true) == err,
	      "same error from the walk over layers", opts);
	if (err != VG_PARSE_OK)
		return;
	check(memcmp(&pkt, &again, sizeof(pkt)) == 0, "same result twice",
	      opts);
	check(memcmp(&pkt, &walked, sizeof(pkt)) == 0,
	      "same result from the walk over layers", opts);
	check_offsets(&pkt, len, opts);
	check_fields(&pkt, opts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_parse_opts opts;

	if (size > UINT32_MAX)
		return 0;
	for (size_t i = 0; i < sizeof(linktypes) / sizeof(linktypes[0]); i++) {
		opts.linktype = linktypes[i];
		opts.tunnels = VG_TUNNEL_ALL;
		run_one(&opts, data, (uint32_t)size);
		opts.tunnels = 0;
		run_one(&opts, data, (uint32_t)size);
	}
	return 0;
}

#ifndef VG_FUZZ_LIBFUZZER
#include <errno.h>
#include <sys/stat.h>

#include "replay_dir.h"
#include <unistd.h>

#include <pcap/pcap.h>

struct replay {
	unsigned long max_packets; /* per capture */
	unsigned long inputs;      /* files replayed whole */
	unsigned long captures;
	unsigned long packets;
	unsigned long own_link_ok; /* packets parsed under their own link */
	unsigned long failed;      /* paths that could not be read */
};

/* Runs <len> bytes at <data> from a buffer of exactly that size. */
static void
run_exact(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);

	if (copy == NULL) {
		fprintf(stderr, "fuzz_parse: malloc(%zu) failed\n", len);
		exit(1);
	}
	memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

static void
replay_capture(struct replay *r, const char *path, pcap_t *pcap)
{
	struct vg_parse_opts opts = {
		.linktype = (uint32_t)pcap_datalink(pcap),
		.tunnels = VG_TUNNEL_ALL,
	};
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned long n = 0;
	struct vg_pkt pkt;
	int rc = 0;

	r->captures++;
	while (n < r->max_packets &&
	       (rc = pcap_next_ex(pcap, &hdr, &data)) == 1) {
		run_exact(data, hdr->caplen);
		if (vg_parse(&opts, data, hdr->caplen, &pkt) == VG_PARSE_OK)
			r->own_link_ok++;
		n++;
	}
	/* some reference captures end mid-record on purpose: not a failure */
	if (n < r->max_packets && rc == PCAP_ERROR)
		fprintf(stderr, "fuzz_parse: read %s stopped after packets=%lu: %s\n",
			path, n, pcap_geterr(pcap));
	r->packets += n;
}

static int
replay_raw_file(struct replay *r, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (f == NULL) {
		fprintf(stderr, "fuzz_parse: open %s failed: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	buf = malloc(size > 0 ? (size_t)size : 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto fail;
	fclose(f);
	run_exact(buf, (size_t)size);
	free(buf);
	r->inputs++;
	return 0;

fail:
	fprintf(stderr, "fuzz_parse: read %s failed: %s\n", path,
		strerror(errno));
	free(buf);
	fclose(f);
	return -1;
}

static int
replay_file(struct replay *r, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pcap = pcap_open_offline(path, errbuf);

	if (pcap == NULL)
		return replay_raw_file(r, path);
	replay_capture(r, path, pcap);
	pcap_close(pcap);
	return 0;
}

/* Replays one file for vg_fuzz_replay_path(). */
static int
replay_one(void *ctx, const char *path)
{
	return replay_file(ctx, path);
}

static int
replay_path(struct replay *r, const char *path)
{
	return vg_fuzz_replay_path("fuzz_parse", path, replay_one, r, &r->failed);
}

/* meson's exit status for a skipped test */
#define EXIT_SKIP 77

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n PACKETS] [--skip-missing] FILE|DIR...\n",
		prog);
	fprintf(stderr, "  -n PACKETS      packets replayed per capture (default 1000)\n");
	fprintf(stderr, "  --skip-missing  skip absent paths, exit 77 if all are absent\n");
}

int
main(int argc, char **argv)
{
	struct replay r = {.max_packets = 1000};
	bool skip_missing = false;
	unsigned long missing = 0;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		char *end;

		if (strcmp(argv[i], "--skip-missing") == 0) {
			skip_missing = true;
			continue;
		}
		if (strcmp(argv[i], "-n") != 0 || i + 1 >= argc) {
			usage(argv[0]);
			return 2;
		}
		errno = 0;
		r.max_packets = strtoul(argv[++i], &end, 10);
		if (errno != 0 || *end != '\0' || r.max_packets == 0) {
			fprintf(stderr, "fuzz_parse: -n: expected a count above 0, got '%s'\n",
				argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(argv[0]);
		return 2;
	}

	for (; i < argc; i++) {
		if (skip_missing && access(argv[i], F_OK) != 0) {
			printf("fuzz_parse: %s not found, skipped\n", argv[i]);
			missing++;
			continue;
		}
		if (replay_path(&r, argv[i]) != 0)
			r.failed++;
	}

	printf("fuzz_parse: inputs=%lu captures=%lu packets=%lu own_link_ok=%lu failed=%lu\n",
	       r.inputs, r.captures, r.packets, r.own_link_ok, r.failed);
	if (r.failed != 0)
		return 1;
	if (missing > 0 && r.inputs == 0 && r.captures == 0) {
		printf("skipped: none of the paths named exists\n");
		return EXIT_SKIP;
	}
	return 0;
}
#endif
