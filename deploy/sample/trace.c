/*
 * Frame store, pcap writer and IP framing for vigil-sample.
 *
 * Frames are kept in memory and sorted by time before writing, because the
 * conversation scripts generate one conversation at a time while
 * conversations overlap on the wire. Frame bytes live in one growing arena
 * so that a few hundred thousand frames cost a handful of allocations.
 * Each frame is built whole here: Ethernet, IPv4 (header checksum, DF on
 * TCP) or IPv6, and the L4 checksum over the pseudo-header, so every
 * checksum in the file verifies.
 *
 * The file is written with stdio in the classic libpcap format, in
 * little-endian byte order whatever the host, so a seed gives the same
 * bytes on every platform. Frames are written as soon as no conversation
 * still to be generated can precede them (see vg_trace_flush), so memory
 * holds only the conversations in progress, not the whole capture.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sample.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_LINKTYPE_ETHERNET 1
#define PCAP_SNAPLEN 65535

/* ---- Random numbers ---------------------------------------------------- */

uint64_t
vg_rng_next(struct vg_rng *rng)
{
	uint64_t z;

	rng->state += 0x9e3779b97f4a7c15ULL;
	z = rng->state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
vg_rng_range(struct vg_rng *rng, uint64_t lo, uint64_t hi)
{
	uint64_t span = hi - lo + 1;

	if (span == 0)
		return vg_rng_next(rng);
	return lo + vg_rng_next(rng) % span;
}

int
vg_rng_chance(struct vg_rng *rng, unsigned percent)
{
	return vg_rng_next(rng) % 100 < percent;
}

void
vg_rng_fill(struct vg_rng *rng, void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t word = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			word = vg_rng_next(rng);
		p[i] = (uint8_t)(word >> (8 * (i % 8)));
	}
}

/* ---- Frame store and pcap writer ------------------------------------ */

void
vg_trace_init(struct vg_trace *trace)
{
	memset(trace, 0, sizeof(*trace));
}

void
vg_trace_free(struct vg_trace *trace)
{
	if (trace->file != NULL)
		fclose(trace->file);
	free(trace->frames);
	free(trace->arena);
	memset(trace, 0, sizeof(*trace));
}

/* Doubles capacity, starting at 4096, until it covers need. */
static size_t
grown_capacity(size_t capacity, size_t need)
{
	size_t grown = capacity ? capacity : 4096;

	while (grown < need)
		grown *= 2;
	return grown;
}

/* Makes room for one more frame of len bytes. Returns 0 or -ENOMEM. */
static int
trace_reserve(struct vg_trace *trace, size_t len)
{
	if (trace->count == trace->capacity) {
		size_t capacity = grown_capacity(trace->capacity,
			trace->count + 1);
		struct vg_frame *frames;

		frames = realloc(trace->frames, capacity * sizeof(*frames));
		if (frames == NULL)
			return -ENOMEM;
		trace->frames = frames;
		trace->capacity = capacity;
	}

	if (trace->arena_len + len > trace->arena_capacity) {
		size_t capacity = grown_capacity(trace->arena_capacity,
			trace->arena_len + len);
		uint8_t *arena;

		arena = realloc(trace->arena, capacity);
		if (arena == NULL)
			return -ENOMEM;
		trace->arena = arena;
		trace->arena_capacity = capacity;
	}
	return 0;
}

static void
trace_add(struct vg_trace *trace, uint64_t ts_us, const uint8_t *data,
	size_t len)
{
	struct vg_frame *frame;

	if (trace->err != 0)
		return;

	trace->err = trace_reserve(trace, len);
	if (trace->err != 0)
		return;

	frame = &trace->frames[trace->count++];
	frame->ts_us = ts_us;
	frame->serial = trace->serial++;
	frame->offset = trace->arena_len;
	frame->len = (uint32_t)len;
	memcpy(trace->arena + trace->arena_len, data, len);
	trace->arena_len += len;
}

static int
by_time(const void *a, const void *b)
{
	const struct vg_frame *x = a;
	const struct vg_frame *y = b;

	if (x->ts_us != y->ts_us)
		return x->ts_us < y->ts_us ? -1 : 1;
	if (x->serial != y->serial)
		return x->serial < y->serial ? -1 : 1;
	return 0;
}

static int
by_offset(const void *a, const void *b)
{
	const struct vg_frame *x = a;
	const struct vg_frame *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return 0;
}

static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int
vg_trace_open(struct vg_trace *trace, const char *path)
{
	uint8_t hdr[24] = { 0 };
	int rc;

	trace->file = fopen(path, "wb");
	if (trace->file == NULL) {
		rc = -errno;
		VG_ERR(VG_SAMPLE_TAG, "path=%s fopen() failed: %s", path,
			strerror(errno));
		return rc;
	}

	le32(hdr, PCAP_MAGIC);
	hdr[4] = 2;		/* version 2.4 */
	hdr[6] = 4;
	le32(hdr + 16, PCAP_SNAPLEN);
	le32(hdr + 20, PCAP_LINKTYPE_ETHERNET);
	if (fwrite(hdr, sizeof(hdr), 1, trace->file) != 1) {
		rc = -errno;
		VG_ERR(VG_SAMPLE_TAG, "path=%s fwrite() failed: %s", path,
			strerror(errno));
		return rc;
	}
	return 0;
}

static int
write_frame(FILE *f, const uint8_t *arena, const struct vg_frame *frame)
{
	uint8_t rec[16];

	le32(rec, (uint32_t)(frame->ts_us / 1000000));
	le32(rec + 4, (uint32_t)(frame->ts_us % 1000000));
	le32(rec + 8, frame->len);
	le32(rec + 12, frame->len);
	if (fwrite(rec, sizeof(rec), 1, f) != 1 ||
	    fwrite(arena + frame->offset, frame->len, 1, f) != 1)
		return -EIO;
	return 0;
}

void
vg_trace_flush(struct vg_trace *trace, uint64_t before_us)
{
	size_t written = 0;
	size_t kept, i;
	size_t len = 0;

	if (trace->err != 0 || trace->file == NULL)
		return;

	qsort(trace->frames, trace->count, sizeof(*trace->frames), by_time);
	while (written < trace->count &&
	       trace->frames[written].ts_us < before_us) {
		const struct vg_frame *frame = &trace->frames[written];

		if (write_frame(trace->file, trace->arena, frame) != 0) {
			VG_ERR(VG_SAMPLE_TAG, "frames=%" PRIu64
				" fwrite() failed: %s", trace->frames_written,
				strerror(errno));
			trace->err = -EIO;
			return;
		}
		trace->frames_written++;
		trace->bytes_written += 16 + frame->len;
		written++;
	}

	/*
	 * Keep the rest and compact the arena: moving frames in offset order
	 * never overwrites bytes that are still to be moved.
	 */
	kept = trace->count - written;
	memmove(trace->frames, trace->frames + written,
		kept * sizeof(*trace->frames));
	trace->count = kept;
	qsort(trace->frames, kept, sizeof(*trace->frames), by_offset);
	for (i = 0; i < kept; i++) {
		struct vg_frame *frame = &trace->frames[i];

		memmove(trace->arena + len, trace->arena + frame->offset,
			frame->len);
		frame->offset = len;
		len += frame->len;
	}
	trace->arena_len = len;
}

int
vg_trace_close(struct vg_trace *trace)
{
	int rc;

	vg_trace_flush(trace, UINT64_MAX);
	rc = trace->err;
	if (trace->file != NULL) {
		if (fclose(trace->file) != 0 && rc == 0) {
			VG_ERR(VG_SAMPLE_TAG, "fclose() failed: %s",
				strerror(errno));
			rc = -EIO;
		}
		trace->file = NULL;
	}
	return rc;
}

/*
 * NOTE: frames are plain Ethernet II. The sample carries no VLAN, MPLS,
 * PPPoE or tunnel headers and no IP fragments, so those parser paths of
 * vigild need other captures.
 */

/* ---- Framing ----------------------------------------------------------- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Adds bytes to a running one's-complement sum (RFC 1071). */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header sum for TCP, UDP and ICMPv6 checksums. */
static uint32_t
pseudo_sum(const struct vg_endpoint *src, const struct vg_endpoint *dst,
	uint8_t proto, size_t l4_len)
{
	size_t alen = src->family == 4 ? 4 : 16;
	uint32_t sum = 0;

	sum = csum_add(sum, src->addr, alen);
	sum = csum_add(sum, dst->addr, alen);
	sum += proto;
	sum += (uint32_t)l4_len;
	return sum;
}

/* Offset of the checksum field in the L4 header, or 0 if there is none. */
static size_t
l4_csum_offset(uint8_t proto)
{
	switch (proto) {
	case VG_PROTO_TCP:
		return 16;
	case VG_PROTO_UDP:
		return 6;
	case VG_PROTO_ICMP:
	case VG_PROTO_ICMPV6:
		return 2;
	default:
		return 0;
	}
}

static size_t
ip_header(uint8_t *ip, struct vg_path *path, enum vg_dir dir, uint8_t proto,
	size_t l4_len)
{
	const struct vg_endpoint *src = &path->end[dir];
	const struct vg_endpoint *dst = &path->end[!dir];

	if (src->family == 6) {
		put32(ip, 0x60000000u | (path->flow_label & 0xfffff));
		put16(ip + 4, (uint16_t)l4_len);
		ip[6] = proto;
		ip[7] = path->ttl[dir];
		memcpy(ip + 8, src->addr, 16);
		memcpy(ip + 24, dst->addr, 16);
		return 40;
	}

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + l4_len));
	put16(ip + 4, path->ip_id[dir]++);
	put16(ip + 6, proto == VG_PROTO_TCP ? 0x4000 : 0);
	ip[8] = path->ttl[dir];
	ip[9] = proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, src->addr, 4);
	memcpy(ip + 16, dst->addr, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	return 20;
}

void
vg_emit_ip(struct vg_trace *trace, struct vg_path *path, enum vg_dir dir,
	uint64_t ts_us, uint8_t proto, const uint8_t *l4, size_t l4_len)
{
	const struct vg_endpoint *src = &path->end[dir];
	const struct vg_endpoint *dst = &path->end[!dir];
	uint8_t frame[VG_FRAME_MAX];
	size_t ip_len = src->family == 6 ? 40 : 20;
	size_t l4_off = 14 + ip_len;
	size_t ck = l4_csum_offset(proto);

	if (ip_len + l4_len > VG_IP_MTU) {
		trace->err = -EMSGSIZE;
		return;
	}

	memcpy(frame, dst->mac, 6);
	memcpy(frame + 6, src->mac, 6);
	put16(frame + 12, src->family == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
	ip_header(frame + 14, path, dir, proto, l4_len);
	memcpy(frame + l4_off, l4, l4_len);

	if (ck != 0) {
		uint32_t sum = 0;
		uint16_t value;

		put16(frame + l4_off + ck, 0);
		if (proto != VG_PROTO_ICMP)
			sum = pseudo_sum(src, dst, proto, l4_len);
		value = csum_fold(csum_add(sum, frame + l4_off, l4_len));

		/* A UDP checksum that computes to zero is sent as all ones. */
		if (proto == VG_PROTO_UDP && value == 0)
			value = 0xffff;
		put16(frame + l4_off + ck, value);
	}

	trace_add(trace, ts_us, frame, l4_off + l4_len);
}

void
vg_emit_udp(struct vg_trace *trace, struct vg_path *path, enum vg_dir dir,
	uint64_t ts_us, const void *data, size_t len)
{
	uint8_t l4[VG_IP_MTU];

	if (len + 8 > sizeof(l4)) {
		trace->err = -EMSGSIZE;
		return;
	}

	put16(l4, path->end[dir].port);
	put16(l4 + 2, path->end[!dir].port);
	put16(l4 + 4, (uint16_t)(len + 8));
	put16(l4 + 6, 0);
	memcpy(l4 + 8, data, len);
	vg_emit_ip(trace, path, dir, ts_us, VG_PROTO_UDP, l4, len + 8);
}

void
vg_emit_echo(struct vg_trace *trace, struct vg_path *path, enum vg_dir dir,
	uint64_t ts_us, int reply, uint16_t id, uint16_t seq,
	const uint8_t *data, size_t len)
{
	uint8_t l4[VG_IP_MTU];
	int v6 = path->end[dir].family == 6;

	if (len + 8 > sizeof(l4)) {
		trace->err = -EMSGSIZE;
		return;
	}

	if (v6)
		l4[0] = reply ? 129 : 128;
	else
		l4[0] = reply ? 0 : 8;
	l4[1] = 0;
	put16(l4 + 2, 0);
	put16(l4 + 4, id);
	put16(l4 + 6, seq);
	memcpy(l4 + 8, data, len);
	vg_emit_ip(trace, path, dir, ts_us,
		v6 ? VG_PROTO_ICMPV6 : VG_PROTO_ICMP, l4, len + 8);
}
