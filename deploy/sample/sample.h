/*
 * Core of vigil-sample, the program that writes a synthetic capture for
 * trying vigild without live traffic. It has three parts: a seeded random
 * generator, a byte buffer for building messages, and the frame store.
 * The store frames packets (Ethernet, IPv4 or IPv6, TCP, UDP, ICMP) with
 * correct checksums and TCP sequence numbers.
 *
 * The other files build on this: payload.c, tls.c and quic.c build
 * application messages (proto.h), world.c lays out hosts and servers,
 * flows_web.c and flows_net.c script conversations (world.h), and main.c
 * schedules them. Every random choice comes from one seeded vg_rng, and
 * conversations are generated in a fixed order, so a seed always yields
 * the same file.
 */
#ifndef VG_SAMPLE_H
#define VG_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VG_SAMPLE_TAG "sample"

/* Largest frame built: a 1500-byte IP packet plus the Ethernet header. */
#define VG_FRAME_MAX 1514
#define VG_IP_MTU 1500

#define VG_PROTO_ICMP 1
#define VG_PROTO_TCP 6
#define VG_PROTO_UDP 17
#define VG_PROTO_ICMPV6 58

/* splitmix64 generator: small, fast and the same on every platform. */
struct vg_rng {
	uint64_t state;
};

uint64_t
vg_rng_next(struct vg_rng *rng);

/* Returns a value drawn uniformly from [lo, hi], where lo <= hi. */
uint64_t
vg_rng_range(struct vg_rng *rng, uint64_t lo, uint64_t hi);

/* Returns 1 with probability percent / 100. */
int
vg_rng_chance(struct vg_rng *rng, unsigned percent);

void
vg_rng_fill(struct vg_rng *rng, void *buf, size_t len);

/*
 * Byte buffer over caller-provided storage for building messages. The
 * first overflow sets err and later writes do nothing, so builders check
 * once at the end instead of after every field.
 */
struct vg_buf {
	uint8_t *data;
	size_t len;
	size_t capacity;
	int err;
};

void
vg_buf_init(struct vg_buf *buf, uint8_t *storage, size_t capacity);

void
vg_buf_put(struct vg_buf *buf, const void *data, size_t len);

/* Appends a NUL-terminated string without its terminator. */
void
vg_buf_str(struct vg_buf *buf, const char *s);

/* Appends len bytes from rng. */
void
vg_buf_random(struct vg_buf *buf, struct vg_rng *rng, size_t len);

void
vg_buf_u8(struct vg_buf *buf, uint8_t value);

/* Big-endian integers of 2, 3 and 4 bytes. */
void
vg_buf_u16(struct vg_buf *buf, uint16_t value);

void
vg_buf_u24(struct vg_buf *buf, uint32_t value);

void
vg_buf_u32(struct vg_buf *buf, uint32_t value);

/* QUIC variable-length integer (RFC 9000, section 16). */
void
vg_buf_varint(struct vg_buf *buf, uint64_t value);

/* Reserves a big-endian length field of width 1 to 4 bytes. */
size_t
vg_buf_open_len(struct vg_buf *buf, int width);

/* Fills a field from vg_buf_open_len with the bytes written after it. */
void
vg_buf_close_len(struct vg_buf *buf, size_t offset, int width);

/*
 * One stored frame: capture time in microseconds since the epoch, creation
 * order, and where its bytes sit in the trace's arena.
 */
struct vg_frame {
	uint64_t ts_us;
	uint64_t serial;
	size_t offset;
	uint32_t len;
};

/*
 * Frames generated but not yet written, and the pcap file they go to.
 * Conversations overlap on the wire, so frames are sorted by time (then by
 * creation order) before they are written. The caller promises that no
 * frame generated after vg_trace_flush(before_us) is older than
 * before_us. That is true when conversations are started in time order,
 * and then memory contains only the conversations in progress. The first
 * error is kept in err and later calls do nothing, which lets
 * conversation scripts run without checking every call.
 */
struct vg_trace {
	struct vg_frame *frames;
	size_t count;
	size_t capacity;
	uint8_t *arena;
	size_t arena_len;
	size_t arena_capacity;
	uint64_t serial;
	FILE *file;
	uint64_t frames_written;
	uint64_t bytes_written;
	int err;
};
/* One interface: MAC, IP version (4 or 6), address and port. */
struct vg_endpoint {
	int family;
	uint8_t mac[6];
	uint8_t addr[16];	/* IPv4 uses the first 4 bytes */
	uint16_t port;
};

/* Direction of a packet within a conversation. */
enum vg_dir {
	VG_C2S = 0,
	VG_S2C = 1,
};

/*
 * The two ends of a conversation as seen at the capture point, which sits
 * next to the local client: client packets are stamped when sent, server
 * packets one round-trip time after the client packet they reply to.
 */
struct vg_path {
	struct vg_endpoint end[2];
	uint8_t ttl[2];
	uint16_t ip_id[2];
	uint32_t flow_label;
	uint32_t rtt_us;
};

void
vg_trace_init(struct vg_trace *trace);

/* Closes the file if it is still open and frees all frames. */
void
vg_trace_free(struct vg_trace *trace);

/*
 * Creates path and writes a classic pcap file header with Ethernet link
 * type. Returns 0 or a negative errno from fopen() or fwrite().
 */
int
vg_trace_open(struct vg_trace *trace, const char *path);

/* Writes the stored frames older than before_us, in time order. */
void
vg_trace_flush(struct vg_trace *trace, uint64_t before_us);

/*
 * Writes the remaining frames and closes the file. Returns 0, the first
 * error the trace met (-ENOMEM, -EMSGSIZE, -ENOBUFS, -ENOENT) or -EIO.
 */
int
vg_trace_close(struct vg_trace *trace);

/*
 * Adds an IP packet carrying l4 (an L4 header and its payload) from side
 * dir of path at ts_us. The checksum field of TCP, UDP, ICMP and ICMPv6
 * is computed here, and other protocols are copied as they are. Packets
 * over the 1500-byte MTU set trace->err to -EMSGSIZE.
 */
void
vg_emit_ip(struct vg_trace *trace, struct vg_path *path, enum vg_dir dir,
	uint64_t ts_us, uint8_t proto, const uint8_t *l4, size_t l4_len);

void
vg_emit_udp(struct vg_trace *trace, struct vg_path *path, enum vg_dir dir,
	uint64_t ts_us, const void *data, size_t len);

/* Adds an ICMP or ICMPv6 echo request (reply = 0) or echo reply. */
void
vg_emit_echo(struct vg_trace *trace, struct vg_path *path, enum vg_dir dir,
	uint64_t ts_us, int reply, uint16_t id, uint16_t seq,
	const uint8_t *data, size_t len);

#define VG_TCP_FIN 0x01
#define VG_TCP_SYN 0x02
#define VG_TCP_RST 0x04
#define VG_TCP_PSH 0x08
#define VG_TCP_ACK 0x10

/*
 * TCP connection state: the next sequence number each side sends and the
 * clock of the conversation. now_us is when the next step starts: after
 * the client sends data it is the time of the client's last segment, even
 * though the server's ACK of that data is stamped one round trip later.
 */
struct vg_tcp {
	struct vg_trace *trace;
	struct vg_path *path;
	struct vg_rng *rng;
	uint64_t now_us;
	uint32_t seq[2];
	uint16_t window[2];
	uint16_t mss;
	int scanner;		/* SYNs look like a port scanner's probes */
};

void
vg_tcp_init(struct vg_tcp *tcp, struct vg_trace *trace, struct vg_path *path,
	struct vg_rng *rng, uint64_t start_us);

/* Adds one segment at now_us with the given flags and payload. */
void
vg_tcp_segment(struct vg_tcp *tcp, enum vg_dir dir, uint8_t flags,
	const void *data, size_t len);

/* Adds SYN, SYN-ACK and ACK, leaving now_us at the final ACK. */
void
vg_tcp_open(struct vg_tcp *tcp);

/*
 * Sends len bytes from side dir as MSS-sized segments, with the peer
 * acknowledging every second segment. Client data leaves think_us after
 * now_us, and server data reaches the capture point one round-trip time
 * plus think_us after now_us.
 */
void
vg_tcp_send(struct vg_tcp *tcp, enum vg_dir dir, const void *data,
	size_t len, uint32_t think_us);

/* Closes with FIN from side dir, FIN from the peer and a final ACK. */
void
vg_tcp_close(struct vg_tcp *tcp, enum vg_dir dir);

#endif
