/*
 * Infrastructure and administration conversations of vigil-sample: DNS
 * lookups, NTP time queries, ICMP echo, SSH sessions and TCP SYN scans.
 *
 * DNS goes to the ISP's resolver outside the LAN, as a stub resolver on
 * each host sends it (A and AAAA from one socket on dual-stack hosts).
 * SSH plays either an interactive shell (keystrokes echoed one packet
 * each way) or a git fetch (one large download). A scan probes ports with
 * bare SYNs from one source port, as nmap's SYN scan does. The target
 * replies the way its stack and firewall would.
 */
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "world.h"

/* ---- DNS ---------------------------------------------------------------- */

/* Time the resolver takes: a cache hit, or a recursive lookup. */
static uint64_t
resolver_delay(struct vg_rng *rng)
{
	if (vg_rng_chance(rng, 65))
		return vg_rng_range(rng, 200, 2000);
	return vg_rng_range(rng, 5000, 90000);
}

uint64_t
vg_flow_dns(struct vg_world *w, struct vg_host *host, const char *name,
	const struct vg_service *svc, uint64_t ts_us)
{
	struct vg_rng *rng = &w->rng;
	int family = host->dual_stack && vg_rng_chance(rng, 50) ? 6 : 4;
	uint32_t ttl = (uint32_t)vg_rng_range(rng, 30, 3600);
	uint8_t msg[512];
	struct vg_path path;
	uint64_t last = ts_us;
	unsigned queries = host->dual_stack ? 2 : 1;
	unsigned i;

	vg_world_path(w, &path, host, family,
		family == 6 ? w->resolver_v6 : w->resolver_v4, 53,
		w->resolver_rtt_us);

	for (i = 0; i < queries; i++) {
		uint16_t type = i == 0 ? VG_DNS_A : VG_DNS_AAAA;
		uint16_t id = (uint16_t)vg_rng_next(rng);
		const uint8_t *addr = NULL;
		uint64_t sent = ts_us + i * vg_rng_range(rng, 20, 300);
		uint64_t answered;
		size_t len;

		len = vg_dns_query(msg, sizeof(msg), id, name, type);
		vg_emit_udp(&w->trace, &path, VG_C2S, sent, msg, len);

		if (svc != NULL)
			addr = type == VG_DNS_A ? svc->v4 :
				svc->has_v6 ? svc->v6 : NULL;
		len = vg_dns_response(msg, sizeof(msg), id, name, type, addr,
			ttl);
		answered = sent + path.rtt_us + resolver_delay(rng);
		vg_emit_udp(&w->trace, &path, VG_S2C, answered, msg, len);
		if (answered > last)
			last = answered;
	}

	w->counts.dns++;
	return last;
}

/* ---- NTP ---------------------------------------------------------------- */

uint64_t
vg_flow_ntp(struct vg_world *w, struct vg_host *host, uint64_t ts_us)
{
	static const uint8_t refid[4] = { 192, 0, 2, 123 };
	struct vg_service *svc = vg_world_pick(w, host, VG_SVC_NTP);
	uint8_t packet[48];
	struct vg_path path;
	uint64_t sent, answered;

	if (svc == NULL)
		return ts_us;

	sent = vg_flow_dns(w, host, svc->name, svc, ts_us) +
		vg_rng_range(&w->rng, 100, 1000);
	vg_world_service_path(w, &path, host, svc, 123);

	/* w32time and many embedded clients send from port 123 too. */
	if (host->os == VG_OS_WINDOWS || host->os == VG_OS_TV)
		path.end[VG_C2S].port = 123;

	vg_ntp_packet(packet, 0, sent, sent, refid);
	vg_emit_udp(&w->trace, &path, VG_C2S, sent, packet, sizeof(packet));
	answered = sent + path.rtt_us;
	vg_ntp_packet(packet, 1, sent, sent + path.rtt_us / 2, refid);
	vg_emit_udp(&w->trace, &path, VG_S2C, answered, packet,
		sizeof(packet));

	w->counts.ntp++;
	return answered;
}

/* ---- ICMP echo ---------------------------------------------------------- */

uint64_t
vg_flow_ping(struct vg_world *w, struct vg_host *host,
	const struct vg_service *svc, uint64_t ts_us)
{
	static const char windows_data[] = "abcdefghijklmnopqrstuvwabcdefghi";
	struct vg_rng *rng = &w->rng;
	uint16_t id = (uint16_t)vg_rng_next(rng);
	uint8_t data[56];
	size_t len = sizeof(data);
	struct vg_path path;
	uint16_t seq;
	size_t i;

	vg_world_service_path(w, &path, host, svc, 0);

	for (seq = 1; seq <= 4; seq++) {
		uint64_t sec = ts_us / 1000000;
		uint64_t usec = ts_us % 1000000;

		/* Windows sends letters. Unix ping sends a timeval, 0x10 on. */
		if (host->os == VG_OS_WINDOWS) {
			len = sizeof(windows_data) - 1;
			memcpy(data, windows_data, len);
		} else {
			for (i = 0; i < 8; i++) {
				data[i] = (uint8_t)(sec >> (8 * i));
				data[8 + i] = (uint8_t)(usec >> (8 * i));
			}
			for (i = 16; i < sizeof(data); i++)
				data[i] = (uint8_t)i;
		}

		vg_emit_echo(&w->trace, &path, VG_C2S, ts_us, 0, id, seq, data,
			len);
		vg_emit_echo(&w->trace, &path, VG_S2C, ts_us + path.rtt_us, 1,
			id, seq, data, len);
		ts_us += 1000000 + vg_rng_range(rng, 0, 2000);
	}

	w->counts.icmp++;
	return ts_us;
}

/* ---- SSH ---------------------------------------------------------------- */

#define SSH_MSG_NEWKEYS 21
#define SSH_MSG_KEX_ECDH_INIT 30
#define SSH_MSG_KEX_ECDH_REPLY 31

static void
ssh_string(struct vg_buf *buf, struct vg_rng *rng, const char *text,
	size_t random_len)
{
	if (text != NULL) {
		vg_buf_u32(buf, (uint32_t)strlen(text));
		vg_buf_str(buf, text);
		return;
	}
	vg_buf_u32(buf, (uint32_t)random_len);
	vg_buf_random(buf, rng, random_len);
}

/* Client and server key exchange up to NEWKEYS (RFC 5656, 4). */
static void
ssh_key_exchange(struct vg_tcp *tcp, struct vg_rng *rng)
{
	uint8_t body_storage[512];
	uint8_t storage[2048];
	struct vg_buf body, buf;
	size_t blob;

	vg_buf_init(&buf, storage, sizeof(storage));
	vg_ssh_kexinit(&buf, rng, 0);
	vg_tcp_send(tcp, VG_C2S, buf.data, buf.len, 200);
	vg_buf_init(&buf, storage, sizeof(storage));
	vg_ssh_kexinit(&buf, rng, 1);
	vg_tcp_send(tcp, VG_S2C, buf.data, buf.len, 100);

	/* Q_C: the client's ephemeral x25519 key. */
	vg_buf_init(&body, body_storage, sizeof(body_storage));
	ssh_string(&body, rng, NULL, 32);
	vg_buf_init(&buf, storage, sizeof(storage));
	vg_ssh_packet(&buf, rng, SSH_MSG_KEX_ECDH_INIT, body.data, body.len);
	vg_tcp_send(tcp, VG_C2S, buf.data, buf.len, 300);

	/* K_S (ed25519 host key blob), Q_S and the signature, then NEWKEYS. */
	vg_buf_init(&body, body_storage, sizeof(body_storage));
	blob = vg_buf_open_len(&body, 4);
	ssh_string(&body, rng, "ssh-ed25519", 0);
	ssh_string(&body, rng, NULL, 32);
	vg_buf_close_len(&body, blob, 4);
	ssh_string(&body, rng, NULL, 32);
	blob = vg_buf_open_len(&body, 4);
	ssh_string(&body, rng, "ssh-ed25519", 0);
	ssh_string(&body, rng, NULL, 64);
	vg_buf_close_len(&body, blob, 4);
	vg_buf_init(&buf, storage, sizeof(storage));
	vg_ssh_packet(&buf, rng, SSH_MSG_KEX_ECDH_REPLY, body.data, body.len);
	vg_ssh_packet(&buf, rng, SSH_MSG_NEWKEYS, NULL, 0);
	vg_tcp_send(tcp, VG_S2C, buf.data, buf.len, 1500);

	vg_buf_init(&buf, storage, sizeof(storage));
	vg_ssh_packet(&buf, rng, SSH_MSG_NEWKEYS, NULL, 0);
	vg_tcp_send(tcp, VG_C2S, buf.data, buf.len, 200);
}

/* Sends count encrypted packets of about payload_len bytes from dir. */
static void
ssh_encrypted(struct vg_tcp *tcp, struct vg_rng *rng, enum vg_dir dir,
	size_t payload_len, unsigned count, uint32_t think_us)
{
	uint8_t storage[65536 + 1024];
	struct vg_buf buf;

	while (count-- > 0) {
		vg_buf_init(&buf, storage, sizeof(storage));
		vg_ssh_encrypted(&buf, rng, payload_len);
		vg_tcp_send(tcp, dir, buf.data, buf.len, think_us);
		think_us = 0;
	}
}

/* Keystrokes echoed by the remote shell, with command output now and then. */
static void
ssh_interactive(struct vg_world *w, struct vg_tcp *tcp)
{
	struct vg_rng *rng = &w->rng;
	unsigned keys = (unsigned)vg_rng_range(rng, 20, 150);

	while (keys-- > 0 && vg_world_has_time(w, tcp->now_us, 3000000)) {
		ssh_encrypted(tcp, rng, VG_C2S, 10, 1,
			(uint32_t)vg_rng_range(rng, 60000, 400000));
		ssh_encrypted(tcp, rng, VG_S2C, 10, 1, 300);
		if (vg_rng_chance(rng, 10))
			ssh_encrypted(tcp, rng, VG_S2C,
				vg_rng_range(rng, 200, 4000), 1, 2000);
	}
}

uint64_t
vg_flow_ssh(struct vg_world *w, struct vg_host *host,
	const struct vg_service *svc, uint64_t ts_us)
{
	struct vg_rng *rng = &w->rng;
	const char *client_banner = host->os == VG_OS_MACOS ?
		"SSH-2.0-OpenSSH_9.6\r\n" :
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n";
	int git = strcmp(svc->name, "github.com") == 0;
	char server_banner[128];
	struct vg_path path;
	struct vg_tcp tcp;

	vg_world_service_path(w, &path, host, svc, 22);
	vg_tcp_init(&tcp, &w->trace, &path, rng, ts_us);
	vg_tcp_open(&tcp);

	vg_tcp_send(&tcp, VG_C2S, client_banner, strlen(client_banner), 150);
	snprintf(server_banner, sizeof(server_banner), "%s\r\n",
		svc->software);
	vg_tcp_send(&tcp, VG_S2C, server_banner, strlen(server_banner), 0);
	ssh_key_exchange(&tcp, rng);

	/* Service request, public key authentication, channel open. */
	ssh_encrypted(&tcp, rng, VG_C2S, 30, 1, 300);
	ssh_encrypted(&tcp, rng, VG_S2C, 30, 1, 200);
	ssh_encrypted(&tcp, rng, VG_C2S, 380, 1, 500);
	ssh_encrypted(&tcp, rng, VG_S2C, 20, 1, 2000);
	ssh_encrypted(&tcp, rng, VG_C2S, 60, 2, 300);
	ssh_encrypted(&tcp, rng, VG_S2C, 40, 2, 500);

	if (git) {
		size_t pack = vg_rng_range(rng, 5000, 200000);

		ssh_encrypted(&tcp, rng, VG_S2C, 900, 1, 20000);
		ssh_encrypted(&tcp, rng, VG_C2S, 200, 1, 2000);
		while (pack > 0) {
			size_t chunk = pack > 32768 ? 32768 : pack;

			ssh_encrypted(&tcp, rng, VG_S2C, chunk, 1, 0);
			pack -= chunk;
		}
	} else {
		ssh_encrypted(&tcp, rng, VG_S2C, 800, 1, 30000);
		ssh_interactive(w, &tcp);
	}

	/* Channel EOF and close, then disconnect. */
	ssh_encrypted(&tcp, rng, VG_C2S, 20, 2, 100000);
	ssh_encrypted(&tcp, rng, VG_S2C, 20, 2, 500);
	vg_tcp_close(&tcp, VG_C2S);

	w->counts.ssh++;
	return tcp.now_us;
}

/* ---- Port scans --------------------------------------------------------- */

/* Ports a target listens on. Other ports reply with RST. */
static const uint16_t windows_open[] = { 135, 139, 445, 3389 };
static const uint16_t unix_open[] = { 22, 80, 443 };

static int
port_open(uint16_t port, const uint16_t *open, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (open[i] == port)
			return 1;
	return 0;
}

/* Path from scanner to a LAN host: both MACs local, sub-millisecond RTT. */
static void
lan_path(struct vg_world *w, struct vg_path *path, struct vg_host *scanner,
	const struct vg_host *target, int family)
{
	vg_world_path(w, path, scanner, family,
		family == 6 ? target->v6 : target->v4, 0,
		(uint32_t)vg_rng_range(&w->rng, 200, 900));
	memcpy(path->end[VG_S2C].mac, target->mac, 6);
	path->ttl[VG_S2C] = target->ttl;
}

/*
 * Fills ports with count distinct ports: the target's open ports first,
 * then ports below 1025 in random order, then random higher ports.
 */
static size_t
scan_ports(struct vg_rng *rng, uint16_t *ports, size_t count,
	const uint16_t *open, size_t open_count)
{
	uint16_t low[1024];
	size_t n = 0;
	size_t i;

	for (i = 0; i < open_count && n < count; i++)
		ports[n++] = open[i];
	for (i = 0; i < 1024; i++)
		low[i] = (uint16_t)(i + 1);
	for (i = 0; i < 1024 && n < count; i++) {
		size_t j = (size_t)vg_rng_range(rng, i, 1023);
		uint16_t port = low[j];

		low[j] = low[i];
		if (!port_open(port, open, open_count))
			ports[n++] = port;
	}
	while (n < count) {
		uint16_t port = (uint16_t)vg_rng_range(rng, 1025, 65535);

		for (i = 0; i < n && ports[i] != port; i++)
			;
		if (i == n)
			ports[n++] = port;
	}
	return n;
}

uint64_t
vg_flow_scan(struct vg_world *w, struct vg_host *scanner,
	struct vg_host *target_host, int family, const uint8_t *addr,
	unsigned port_count, uint64_t ts_us)
{
	struct vg_rng *rng = &w->rng;
	const uint16_t *open = unix_open;
	size_t open_count = sizeof(unix_open) / sizeof(unix_open[0]);
	uint16_t ports[4096];
	uint64_t last = ts_us;
	struct vg_path path;
	size_t n, i;

	if (target_host != NULL) {
		lan_path(w, &path, scanner, target_host, family);
		if (target_host->os == VG_OS_WINDOWS) {
			open = windows_open;
			open_count = sizeof(windows_open) /
				sizeof(windows_open[0]);
		}
	} else {
		vg_world_path(w, &path, scanner, family, addr, 0,
			(uint32_t)vg_rng_range(rng, 15000, 60000));
	}

	if (port_count > sizeof(ports) / sizeof(ports[0]))
		port_count = sizeof(ports) / sizeof(ports[0]);
	n = scan_ports(rng, ports, port_count, open, open_count);

	for (i = 0; i < n; i++) {
		struct vg_tcp tcp;

		path.end[VG_S2C].port = ports[i];
		vg_tcp_init(&tcp, &w->trace, &path, rng, ts_us);
		tcp.scanner = 1;
		vg_tcp_segment(&tcp, VG_C2S, VG_TCP_SYN, NULL, 0);
		tcp.now_us += path.rtt_us;

		if (port_open(ports[i], open, open_count)) {
			vg_tcp_segment(&tcp, VG_S2C, VG_TCP_SYN | VG_TCP_ACK,
				NULL, 0);
			tcp.now_us += vg_rng_range(rng, 20, 80);
			vg_tcp_segment(&tcp, VG_C2S, VG_TCP_RST, NULL, 0);
		} else if (target_host != NULL || !vg_rng_chance(rng, 25)) {
			/* A reset for a closed port has sequence number 0. */
			tcp.seq[VG_S2C] = 0;
			vg_tcp_segment(&tcp, VG_S2C, VG_TCP_RST | VG_TCP_ACK,
				NULL, 0);
		}
		if (tcp.now_us > last)
			last = tcp.now_us;
		ts_us += vg_rng_range(rng, 300, 3000);
	}

	w->counts.scan_probes += (unsigned)n;
	return last;
}
