/*
 * TCP conversations for vigil-sample: handshake, data with correct
 * sequence and acknowledgement numbers, delayed ACKs and FIN teardown.
 *
 * Timing follows the capture point next to the client: a client segment
 * is stamped when it leaves, and the server's reply arrives one round
 * trip later. The peer acknowledges every second data segment, as delayed
 * ACK does. Only the SYN and SYN-ACK carry options (MSS, SACK permitted,
 * window scale). Timestamps are not negotiated, so later segments carry a
 * bare 20-byte header and windows are in units of 128 bytes.
 *
 * NOTE: the network never loses, duplicates or reorders a segment, so the
 * sample does not exercise how vigild handles retransmissions, gaps or
 * out-of-order data.
 */
#include <errno.h>
#include <string.h>

#include "sample.h"

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

void
vg_tcp_init(struct vg_tcp *tcp, struct vg_trace *trace, struct vg_path *path,
	struct vg_rng *rng, uint64_t start_us)
{
	memset(tcp, 0, sizeof(*tcp));
	tcp->trace = trace;
	tcp->path = path;
	tcp->rng = rng;
	tcp->now_us = start_us;
	tcp->seq[VG_C2S] = (uint32_t)vg_rng_next(rng);
	tcp->seq[VG_S2C] = (uint32_t)vg_rng_next(rng);
	tcp->window[VG_C2S] = (uint16_t)vg_rng_range(rng, 500, 2000);
	tcp->window[VG_S2C] = (uint16_t)vg_rng_range(rng, 450, 1100);
	tcp->mss = path->end[0].family == 4 ? 1460 : 1440;
}

/*
 * Writes SYN options: MSS, NOP, window scale 7, NOP, NOP, SACK permitted
 * (12 bytes, the order Windows and many servers use). A scanner's probe
 * carries the MSS option only, as nmap's SYN scan does.
 */
static size_t
syn_options(uint8_t *opt, uint16_t mss, int scanner)
{
	opt[0] = 2;
	opt[1] = 4;
	put16(opt + 2, mss);
	if (scanner)
		return 4;

	opt[4] = 1;
	opt[5] = 3;
	opt[6] = 3;
	opt[7] = 7;
	opt[8] = 1;
	opt[9] = 1;
	opt[10] = 4;
	opt[11] = 2;
	return 12;
}

void
vg_tcp_segment(struct vg_tcp *tcp, enum vg_dir dir, uint8_t flags,
	const void *data, size_t len)
{
	struct vg_path *path = tcp->path;
	uint8_t l4[VG_IP_MTU];
	size_t hlen = 20;
	uint16_t window = tcp->window[dir];

	if (len + 32 > sizeof(l4)) {
		tcp->trace->err = -EMSGSIZE;
		return;
	}

	if (flags & VG_TCP_SYN) {
		int probe = tcp->scanner && dir == VG_C2S;

		hlen += syn_options(l4 + 20, tcp->mss, probe);
		window = probe ? 1024 : 64240;
	}

	put16(l4, path->end[dir].port);
	put16(l4 + 2, path->end[!dir].port);
	put32(l4 + 4, tcp->seq[dir]);
	put32(l4 + 8, (flags & VG_TCP_ACK) ? tcp->seq[!dir] : 0);
	l4[12] = (uint8_t)((hlen / 4) << 4);
	l4[13] = flags;
	put16(l4 + 14, (flags & VG_TCP_RST) ? 0 : window);
	put16(l4 + 16, 0);
	put16(l4 + 18, 0);
	if (len != 0)
		memcpy(l4 + hlen, data, len);

	vg_emit_ip(tcp->trace, path, dir, tcp->now_us, VG_PROTO_TCP, l4,
		hlen + len);

	tcp->seq[dir] += (uint32_t)len;
	if (flags & (VG_TCP_SYN | VG_TCP_FIN))
		tcp->seq[dir] += 1;
}

void
vg_tcp_open(struct vg_tcp *tcp)
{
	vg_tcp_segment(tcp, VG_C2S, VG_TCP_SYN, NULL, 0);
	tcp->now_us += tcp->path->rtt_us;
	vg_tcp_segment(tcp, VG_S2C, VG_TCP_SYN | VG_TCP_ACK, NULL, 0);
	tcp->now_us += vg_rng_range(tcp->rng, 20, 120);
	vg_tcp_segment(tcp, VG_C2S, VG_TCP_ACK, NULL, 0);
}

/* Adds the receiver's delayed ACK for data that dir sent at now_us. */
static void
ack_data(struct vg_tcp *tcp, enum vg_dir dir)
{
	uint64_t sent_us = tcp->now_us;

	/*
	 * The client's ACK leaves a moment after server data arrives. The
	 * server's ACK of client data arrives one round trip later, while
	 * the client goes on sending, so the clock returns to the data.
	 */
	if (dir == VG_S2C) {
		tcp->now_us += vg_rng_range(tcp->rng, 30, 400);
		vg_tcp_segment(tcp, VG_C2S, VG_TCP_ACK, NULL, 0);
		return;
	}

	tcp->now_us += tcp->path->rtt_us;
	vg_tcp_segment(tcp, VG_S2C, VG_TCP_ACK, NULL, 0);
	tcp->now_us = sent_us;
}

void
vg_tcp_send(struct vg_tcp *tcp, enum vg_dir dir, const void *data,
	size_t len, uint32_t think_us)
{
	const uint8_t *p = data;
	size_t sent = 0;
	unsigned segments = 0;

	if (dir == VG_S2C)
		tcp->now_us += tcp->path->rtt_us + think_us;
	else
		tcp->now_us += think_us;

	while (sent < len) {
		size_t chunk = len - sent;
		uint8_t flags = VG_TCP_ACK;

		if (chunk > tcp->mss)
			chunk = tcp->mss;
		if (sent + chunk == len)
			flags |= VG_TCP_PSH;

		vg_tcp_segment(tcp, dir, flags, p + sent, chunk);
		sent += chunk;
		segments++;

		if (segments % 2 == 0 || sent == len)
			ack_data(tcp, dir);
		if (sent < len)
			tcp->now_us += vg_rng_range(tcp->rng, 80, 900);
	}
}

void
vg_tcp_close(struct vg_tcp *tcp, enum vg_dir dir)
{
	tcp->now_us += vg_rng_range(tcp->rng, 100, 5000);
	vg_tcp_segment(tcp, dir, VG_TCP_FIN | VG_TCP_ACK, NULL, 0);

	/* The server's FIN is seen one round trip after the client's. */
	if (dir == VG_C2S)
		tcp->now_us += tcp->path->rtt_us;
	else
		tcp->now_us += vg_rng_range(tcp->rng, 50, 400);
	vg_tcp_segment(tcp, !dir, VG_TCP_FIN | VG_TCP_ACK, NULL, 0);

	if (dir == VG_C2S)
		tcp->now_us += vg_rng_range(tcp->rng, 20, 120);
	else
		tcp->now_us += tcp->path->rtt_us;
	vg_tcp_segment(tcp, dir, VG_TCP_ACK, NULL, 0);
}
