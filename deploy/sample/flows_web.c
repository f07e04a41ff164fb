/*
 * Web conversations of vigil-sample: HTTPS over TCP with TLS 1.2 or 1.3,
 * HTTP/3 over QUIC v1, and plain HTTP/1.1.
 *
 * Each script plays one connection from handshake to teardown. Handshakes
 * follow the real message order and sizes. In TLS 1.3 the ServerHello is
 * followed by ChangeCipherSpec and encrypted records. In TLS 1.2 it is
 * followed by Certificate, ServerKeyExchange and ServerHelloDone, then
 * the client's key exchange and both Finished messages. Responses are sent
 * at most 64 KiB per round trip, as a window-limited TCP sender would.
 * A connection makes no new request in the last 5 seconds of the capture.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"
#include "world.h"

/* Bytes a server sends per round trip (an approximate TCP window). */
#define WINDOW_BYTES 65536

/* One flight of TLS records or a QUIC datagram. */
static uint8_t flight[WINDOW_BYTES + 4096];

/* An HTTP response: headers and a body of up to 400 kB. */
static uint8_t response[448 * 1024];

/*
 * Draws a response size: mostly small objects, some medium ones and a few
 * large ones. Video segments are 80 kB to 300 kB. The sizes keep the
 * default capture (120 s, 40 hosts) near 40 MB rather than match any
 * measured mix.
 */
static size_t
response_size(struct vg_rng *rng, int video)
{
	uint64_t roll = vg_rng_range(rng, 0, 99);

	if (video)
		return vg_rng_range(rng, 80000, 300000);
	if (roll < 78)
		return vg_rng_range(rng, 300, 8000);
	if (roll < 98)
		return vg_rng_range(rng, 8000, 50000);
	return vg_rng_range(rng, 50000, 250000);
}

/* ---- HTTPS over TCP ----------------------------------------------------- */

/* Sends a flight of random TLS application_data records. */
static void
send_app_data(struct vg_tcp *tcp, struct vg_rng *rng, enum vg_dir dir,
	size_t len, uint32_t think_us)
{
	while (len > 0) {
		size_t chunk = len > WINDOW_BYTES ? WINDOW_BYTES : len;
		struct vg_buf buf;

		vg_buf_init(&buf, flight, sizeof(flight));
		vg_tls_app_records(&buf, rng, chunk);
		vg_tcp_send(tcp, dir, buf.data, buf.len, think_us);
		len -= chunk;
		think_us = 0;
	}
}

static void
tls13_handshake(struct vg_tcp *tcp, struct vg_rng *rng,
	const uint8_t session_id[32], size_t request_len)
{
	static const uint8_t ccs = 1;
	uint8_t msg[256];
	struct vg_buf hello, buf;

	vg_buf_init(&hello, msg, sizeof(msg));
	vg_tls_server_hello(&hello, rng, 1, session_id, 32, NULL);

	/* ServerHello, then EncryptedExtensions to Finished, encrypted. */
	vg_buf_init(&buf, flight, sizeof(flight));
	vg_tls_records(&buf, VG_TLS_HANDSHAKE, 0x0303, hello.data, hello.len);
	vg_tls_records(&buf, VG_TLS_CHANGE_CIPHER_SPEC, 0x0303, &ccs, 1);
	vg_tls_app_records(&buf, rng, vg_rng_range(rng, 2500, 4500));
	vg_tcp_send(tcp, VG_S2C, buf.data, buf.len,
		(uint32_t)vg_rng_range(rng, 300, 3000));

	/* Client Finished (53 bytes sealed) and the first request. */
	vg_buf_init(&buf, flight, sizeof(flight));
	vg_tls_records(&buf, VG_TLS_CHANGE_CIPHER_SPEC, 0x0303, &ccs, 1);
	vg_tls_app_records(&buf, rng, 53);
	vg_tls_app_records(&buf, rng, request_len);
	vg_tcp_send(tcp, VG_C2S, buf.data, buf.len,
		(uint32_t)vg_rng_range(rng, 500, 4000));
}

static void
tls12_handshake(struct vg_tcp *tcp, struct vg_rng *rng, const char *sni,
	const uint8_t session_id[32], size_t request_len)
{
	static const uint8_t ccs = 1;
	static const uint8_t hello_done[4] = { 14, 0, 0, 0 };
	uint8_t msg[4096];
	struct vg_buf m, buf;

	/* ServerHello, Certificate, ServerKeyExchange and ServerHelloDone. */
	vg_buf_init(&buf, flight, sizeof(flight));
	vg_buf_init(&m, msg, sizeof(msg));
	vg_tls_server_hello(&m, rng, 0, session_id, 32, "h2");
	vg_tls_records(&buf, VG_TLS_HANDSHAKE, 0x0303, m.data, m.len);
	vg_buf_init(&m, msg, sizeof(msg));
	vg_tls_certificate(&m, rng, sni, tcp->now_us);
	vg_tls_records(&buf, VG_TLS_HANDSHAKE, 0x0303, m.data, m.len);
	vg_buf_init(&m, msg, sizeof(msg));
	vg_tls_server_key_exchange(&m, rng);
	vg_tls_records(&buf, VG_TLS_HANDSHAKE, 0x0303, m.data, m.len);
	vg_tls_records(&buf, VG_TLS_HANDSHAKE, 0x0303, hello_done,
		sizeof(hello_done));
	vg_tcp_send(tcp, VG_S2C, buf.data, buf.len,
		(uint32_t)vg_rng_range(rng, 300, 3000));

	/* ClientKeyExchange, ChangeCipherSpec and the encrypted Finished. */
	vg_buf_init(&buf, flight, sizeof(flight));
	vg_buf_init(&m, msg, sizeof(msg));
	vg_tls_client_key_exchange(&m, rng);
	vg_tls_records(&buf, VG_TLS_HANDSHAKE, 0x0303, m.data, m.len);
	vg_tls_records(&buf, VG_TLS_CHANGE_CIPHER_SPEC, 0x0303, &ccs, 1);
	vg_buf_init(&m, msg, sizeof(msg));
	vg_buf_random(&m, rng, 40);
	vg_tls_records(&buf, VG_TLS_HANDSHAKE, 0x0303, m.data, m.len);
	vg_tcp_send(tcp, VG_C2S, buf.data, buf.len,
		(uint32_t)vg_rng_range(rng, 500, 4000));

	/* The server's ChangeCipherSpec and Finished. */
	vg_buf_init(&buf, flight, sizeof(flight));
	vg_tls_records(&buf, VG_TLS_CHANGE_CIPHER_SPEC, 0x0303, &ccs, 1);
	vg_buf_init(&m, msg, sizeof(msg));
	vg_buf_random(&m, rng, 40);
	vg_tls_records(&buf, VG_TLS_HANDSHAKE, 0x0303, m.data, m.len);
	vg_tcp_send(tcp, VG_S2C, buf.data, buf.len,
		(uint32_t)vg_rng_range(rng, 100, 800));

	send_app_data(tcp, rng, VG_C2S, request_len,
		(uint32_t)vg_rng_range(rng, 200, 2000));
}

uint64_t
vg_flow_tls(struct vg_world *w, struct vg_host *host,
	const struct vg_service *svc, uint64_t ts_us)
{
	struct vg_rng *rng = &w->rng;
	struct vg_hello offer = { .sni = svc->name };
	uint8_t session_id[32];
	uint8_t msg[2048];
	struct vg_buf hello, buf;
	struct vg_path path;
	struct vg_tcp tcp;
	unsigned requests = 1;
	int tls13 = vg_rng_chance(rng, 75);

	vg_world_service_path(w, &path, host, svc, 443);
	vg_tcp_init(&tcp, &w->trace, &path, rng, ts_us);
	vg_tcp_open(&tcp);

	offer.alpn[0] = "h2";
	offer.alpn[1] = "http/1.1";
	offer.tls13 = 1;
	vg_rng_fill(rng, session_id, sizeof(session_id));
	offer.session_id = session_id;
	vg_buf_init(&hello, msg, sizeof(msg));
	vg_tls_client_hello(&hello, rng, &offer);
	vg_buf_init(&buf, flight, sizeof(flight));
	vg_tls_records(&buf, VG_TLS_HANDSHAKE, 0x0301, hello.data, hello.len);
	vg_tcp_send(&tcp, VG_C2S, buf.data, buf.len,
		(uint32_t)vg_rng_range(rng, 50, 300));

	if (tls13)
		tls13_handshake(&tcp, rng, session_id,
			vg_rng_range(rng, 150, 700));
	else
		tls12_handshake(&tcp, rng, svc->name, session_id,
			vg_rng_range(rng, 150, 700));

	/* Responses, and later requests on the kept-alive connection. */
	for (;;) {
		send_app_data(&tcp, rng, VG_S2C, response_size(rng, svc->video),
			(uint32_t)vg_rng_range(rng, 1000, 30000));
		if (requests >= 5 || !vg_rng_chance(rng, 40) ||
		    !vg_world_has_time(w, tcp.now_us, 5000000))
			break;
		send_app_data(&tcp, rng, VG_C2S, vg_rng_range(rng, 100, 600),
			(uint32_t)vg_rng_range(rng, 50000, 2000000));
		requests++;
	}

	/* close_notify: a sealed alert (TLS 1.3 seals it as app data). */
	vg_buf_init(&buf, flight, sizeof(flight));
	if (tls13) {
		vg_tls_app_records(&buf, rng, 19);
	} else {
		vg_buf_init(&hello, msg, sizeof(msg));
		vg_buf_random(&hello, rng, 26);
		vg_tls_records(&buf, VG_TLS_ALERT, 0x0303, hello.data,
			hello.len);
	}
	vg_tcp_send(&tcp, VG_C2S, buf.data, buf.len,
		(uint32_t)vg_rng_range(rng, 100000, 1500000));
	vg_tcp_close(&tcp, VG_C2S);

	w->counts.tls++;
	return tcp.now_us;
}

/* ---- HTTP/3 over QUIC --------------------------------------------------- */

#define QUIC_CID_LEN 8
#define QUIC_DATAGRAM 1252	/* largest UDP payload sent */

struct quic_conn {
	struct vg_world *w;
	struct vg_path path;
	uint64_t now_us;
	uint8_t odcid[QUIC_CID_LEN];	/* the client's first DCID */
	uint8_t client_cid[QUIC_CID_LEN];
	uint8_t server_cid[QUIC_CID_LEN];
	struct vg_quic_keys client_keys;
	struct vg_quic_keys server_keys;
};

static void
quic_emit(struct quic_conn *c, enum vg_dir dir, const struct vg_buf *buf)
{
	if (buf->err != 0) {
		c->w->trace.err = -ENOBUFS;
		return;
	}
	vg_emit_udp(&c->w->trace, &c->path, dir, c->now_us, buf->data,
		buf->len);
}

/* The client's first Initial: a ClientHello padded to 1250 bytes. */
static void
quic_client_hello(struct quic_conn *c, const char *sni)
{
	struct vg_rng *rng = &c->w->rng;
	struct vg_hello offer = { .sni = sni, .quic = 1 };
	uint8_t msg[2048];
	uint8_t frames[2048];
	struct vg_buf hello, fr, buf;

	offer.alpn[0] = "h3";
	offer.quic_scid = c->client_cid;
	offer.quic_scid_len = QUIC_CID_LEN;
	vg_buf_init(&hello, msg, sizeof(msg));
	vg_tls_client_hello(&hello, rng, &offer);
	vg_buf_init(&fr, frames, sizeof(frames));
	vg_quic_crypto_frame(&fr, hello.data, hello.len);

	vg_buf_init(&buf, flight, QUIC_DATAGRAM);
	vg_quic_initial(&buf, &c->client_keys, c->odcid, QUIC_CID_LEN,
		c->client_cid, QUIC_CID_LEN, 0, fr.data, fr.len, 1250);
	quic_emit(c, VG_C2S, &buf);
}

/*
 * The server's Initial (ACK and ServerHello) coalesced with its first
 * Handshake packet, then the rest of the certificate chain.
 */
static void
quic_server_flight(struct quic_conn *c)
{
	struct vg_rng *rng = &c->w->rng;
	size_t remaining = vg_rng_range(rng, 2500, 4500);
	uint8_t msg[256];
	uint8_t frames[512];
	struct vg_buf hello, fr, buf;

	vg_buf_init(&hello, msg, sizeof(msg));
	vg_tls_server_hello(&hello, rng, 1, NULL, 0, NULL);
	vg_buf_init(&fr, frames, sizeof(frames));
	vg_quic_ack_frame(&fr, 0, (uint32_t)vg_rng_range(rng, 0, 40));
	vg_quic_crypto_frame(&fr, hello.data, hello.len);

	c->now_us += c->path.rtt_us + vg_rng_range(rng, 200, 2000);
	while (remaining > 0) {
		size_t room, chunk;

		vg_buf_init(&buf, flight, QUIC_DATAGRAM);
		if (fr.len != 0) {
			vg_quic_initial(&buf, &c->server_keys, c->client_cid,
				QUIC_CID_LEN, c->server_cid, QUIC_CID_LEN, 0,
				fr.data, fr.len, 0);
			fr.len = 0;
		}

		/* A Handshake header with 8-byte CIDs and tag costs 45. */
		room = QUIC_DATAGRAM - buf.len - 45;
		chunk = remaining < room ? remaining : room;
		vg_quic_handshake(&buf, rng, c->client_cid, QUIC_CID_LEN,
			c->server_cid, QUIC_CID_LEN, chunk);
		quic_emit(c, VG_S2C, &buf);
		remaining -= chunk;
		c->now_us += vg_rng_range(rng, 50, 400);
	}
}

/*
 * The client's Initial ACK and Handshake Finished, padded to 1200 bytes
 * because the datagram contains an Initial packet.
 */
static void
quic_client_finished(struct quic_conn *c)
{
	struct vg_rng *rng = &c->w->rng;
	uint8_t frames[16];
	uint8_t hs[128];
	struct vg_buf fr, handshake, buf;

	vg_buf_init(&handshake, hs, sizeof(hs));
	vg_quic_handshake(&handshake, rng, c->server_cid, QUIC_CID_LEN,
		c->client_cid, QUIC_CID_LEN, 40);
	vg_buf_init(&fr, frames, sizeof(frames));
	vg_quic_ack_frame(&fr, 0, (uint32_t)vg_rng_range(rng, 0, 40));

	c->now_us += vg_rng_range(rng, 300, 3000);
	vg_buf_init(&buf, flight, QUIC_DATAGRAM);
	vg_quic_initial(&buf, &c->client_keys, c->server_cid, QUIC_CID_LEN,
		c->client_cid, QUIC_CID_LEN, 1, fr.data, fr.len,
		1200 - handshake.len);
	vg_buf_put(&buf, handshake.data, handshake.len);
	quic_emit(c, VG_C2S, &buf);
}

/* Sends len bytes as 1-RTT packets, which the peer ACKs in pairs. */
static void
quic_send(struct quic_conn *c, enum vg_dir dir, size_t len, uint32_t think_us)
{
	struct vg_rng *rng = &c->w->rng;
	/* Short header: flags, 8-byte DCID, 2-byte number, 16-byte tag. */
	size_t max_payload = QUIC_DATAGRAM - 1 - QUIC_CID_LEN - 2 - 16;
	const uint8_t *peer_cid[2] = { c->server_cid, c->client_cid };
	unsigned packets = 0;
	struct vg_buf buf;

	c->now_us += think_us + (dir == VG_S2C ? c->path.rtt_us : 0);
	while (len > 0) {
		size_t chunk = len > max_payload ? max_payload : len;

		vg_buf_init(&buf, flight, QUIC_DATAGRAM);
		vg_quic_short(&buf, rng, peer_cid[dir], QUIC_CID_LEN, chunk);
		quic_emit(c, dir, &buf);
		len -= chunk;

		if (++packets % 2 == 0 || len == 0) {
			uint64_t sent_us = c->now_us;

			if (dir == VG_S2C)
				c->now_us += vg_rng_range(rng, 30, 400);
			else
				c->now_us += c->path.rtt_us;
			vg_buf_init(&buf, flight, QUIC_DATAGRAM);
			vg_quic_short(&buf, rng, peer_cid[!dir], QUIC_CID_LEN,
				vg_rng_range(rng, 6, 14));
			quic_emit(c, !dir, &buf);
			if (dir == VG_C2S)
				c->now_us = sent_us;
		}
		c->now_us += vg_rng_range(rng, 40, 500);
	}
}

uint64_t
vg_flow_quic(struct vg_world *w, struct vg_host *host,
	const struct vg_service *svc, uint64_t ts_us)
{
	struct vg_rng *rng = &w->rng;
	struct quic_conn c;
	unsigned requests = 1;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.now_us = ts_us;
	vg_world_service_path(w, &c.path, host, svc, 443);
	vg_rng_fill(rng, c.odcid, sizeof(c.odcid));
	vg_rng_fill(rng, c.client_cid, sizeof(c.client_cid));
	vg_rng_fill(rng, c.server_cid, sizeof(c.server_cid));
	vg_quic_initial_keys(&c.client_keys, c.odcid, sizeof(c.odcid), 0);
	vg_quic_initial_keys(&c.server_keys, c.odcid, sizeof(c.odcid), 1);

	quic_client_hello(&c, svc->name);
	quic_server_flight(&c);
	quic_client_finished(&c);
	quic_send(&c, VG_C2S, vg_rng_range(rng, 150, 600), 50);

	for (;;) {
		quic_send(&c, VG_S2C, response_size(rng, svc->video),
			(uint32_t)vg_rng_range(rng, 1000, 30000));
		if (requests >= 5 || !vg_rng_chance(rng, 40) ||
		    !vg_world_has_time(w, c.now_us, 5000000))
			break;
		quic_send(&c, VG_C2S, vg_rng_range(rng, 80, 400),
			(uint32_t)vg_rng_range(rng, 50000, 2000000));
		requests++;
	}

	/* CONNECTION_CLOSE from the client after an idle moment. */
	quic_send(&c, VG_C2S, vg_rng_range(rng, 12, 30),
		(uint32_t)vg_rng_range(rng, 200000, 2000000));

	w->counts.quic++;
	return c.now_us;
}

/* ---- Plain HTTP --------------------------------------------------------- */

#define WIN VG_OS_BIT(VG_OS_WINDOWS)
#define MAC VG_OS_BIT(VG_OS_MACOS)
#define LNX VG_OS_BIT(VG_OS_LINUX)
#define AND VG_OS_BIT(VG_OS_ANDROID)
#define IOS VG_OS_BIT(VG_OS_IOS)

/* A resource fetched over plain HTTP and the response it gets. */
struct http_object {
	unsigned os_mask;
	const char *host;
	const char *path;
	const char *user_agent;	/* NULL: the host's browser */
	int status;
	const char *content_type;
	const char *body;	/* fixed body, or NULL for a generated one */
	size_t min_len;
	size_t max_len;
};

static const char apt_agent[] = "Debian APT-HTTP/1.3 (2.6.1)";

static const struct http_object http_objects[] = {
	{ WIN, "www.msftconnecttest.com", "/connecttest.txt",
		"Microsoft NCSI", 200, "text/plain", "Microsoft Connect Test",
		0, 0 },
	{ WIN, "ctldl.windowsupdate.com",
		"/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab",
		"Microsoft-CryptoAPI/10.0", 200,
		"application/vnd.ms-cab-compressed", NULL, 5000, 9000 },
	{ AND, "connectivitycheck.gstatic.com", "/generate_204",
		"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 "
		"Build/UQ1A.240205.004)", 204, NULL, NULL, 0, 0 },
	{ MAC | IOS, "captive.apple.com", "/hotspot-detect.html",
		"CaptiveNetworkSupport-481.60.2 wispr", 200, "text/html",
		"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success"
		"</BODY></HTML>", 0, 0 },
	{ LNX, "detectportal.firefox.com", "/canonical.html", NULL, 200,
		"text/html", "<meta http-equiv=\"refresh\" content=\"0;"
		"url=https://support.mozilla.org/kb/captive-portal\"/>", 0, 0 },
	{ LNX, "deb.debian.org", "/debian/dists/bookworm/InRelease",
		apt_agent, 200, "text/plain", NULL, 150000, 152000 },
	{ LNX, "deb.debian.org",
		"/debian/pool/main/c/curl/curl_7.88.1-10+deb12u5_amd64.deb",
		apt_agent, 200, "application/vnd.debian.binary-package", NULL,
		300000, 320000 },
	{ VG_OS_DESKTOP, "neverssl.com", "/online/", NULL, 200, "text/html",
		NULL, 2000, 4000 },
	{ VG_OS_ALL, "example.com", "/", NULL, 200, "text/html", NULL, 1256,
		1256 },
	{ VG_OS_ALL, "example.com", "/index.html", NULL, 304, NULL, NULL, 0,
		0 },
};

#define HTTP_OBJECT_COUNT (sizeof(http_objects) / sizeof(http_objects[0]))

static const struct http_object *
pick_object(struct vg_rng *rng, const struct vg_host *host)
{
	size_t fits = 0;
	uint64_t roll;
	size_t i;

	for (i = 0; i < HTTP_OBJECT_COUNT; i++)
		if (http_objects[i].os_mask & VG_OS_BIT(host->os))
			fits++;
	roll = vg_rng_range(rng, 0, fits - 1);
	for (i = 0; i < HTTP_OBJECT_COUNT; i++) {
		if (!(http_objects[i].os_mask & VG_OS_BIT(host->os)))
			continue;
		if (roll-- == 0)
			break;
	}
	return &http_objects[i];
}

/* Sends one request for path and its response on tcp. */
static void
http_exchange(struct vg_tcp *tcp, struct vg_rng *rng,
	const struct vg_host *host, const struct vg_service *svc,
	const struct http_object *obj, const char *path, int status,
	uint32_t think_us)
{
	struct vg_http_request req = {
		.method = "GET",
		.host = obj->host,
		.path = path,
		.user_agent = obj->user_agent ? obj->user_agent :
			host->user_agent,
	};
	size_t body_len = vg_rng_range(rng, obj->min_len, obj->max_len);
	struct vg_buf buf;
	size_t off;

	if (obj->user_agent == NULL)
		req.accept = "text/html,application/xhtml+xml,*/*;q=0.8";
	vg_buf_init(&buf, flight, sizeof(flight));
	vg_http_request(&buf, &req);
	vg_tcp_send(tcp, VG_C2S, buf.data, buf.len, think_us);

	vg_buf_init(&buf, response, sizeof(response));
	if (status == 404)
		vg_http_response(&buf, rng, tcp->now_us, 404, svc->software,
			"text/html", NULL, vg_rng_range(rng, 150, 400));
	else
		vg_http_response(&buf, rng, tcp->now_us, status, svc->software,
			obj->content_type, obj->body, body_len);
	if (buf.err != 0) {
		tcp->trace->err = -ENOBUFS;
		return;
	}

	think_us = (uint32_t)vg_rng_range(rng, 1000, 20000);
	for (off = 0; off < buf.len; off += WINDOW_BYTES) {
		size_t chunk = buf.len - off;

		if (chunk > WINDOW_BYTES)
			chunk = WINDOW_BYTES;
		vg_tcp_send(tcp, VG_S2C, buf.data + off, chunk, think_us);
		think_us = 0;
	}
}

uint64_t
vg_flow_http(struct vg_world *w, struct vg_host *host, uint64_t ts_us)
{
	struct vg_rng *rng = &w->rng;
	const struct http_object *obj = pick_object(rng, host);
	struct vg_service *svc = vg_world_service(w, obj->host);
	struct vg_path path;
	struct vg_tcp tcp;

	if (svc == NULL) {
		w->trace.err = -ENOENT;
		return ts_us;
	}

	ts_us = vg_flow_dns(w, host, obj->host, svc, ts_us);
	vg_world_service_path(w, &path, host, svc, 80);
	vg_tcp_init(&tcp, &w->trace, &path, rng, ts_us + 200);
	vg_tcp_open(&tcp);
	http_exchange(&tcp, rng, host, svc, obj, obj->path, obj->status,
		(uint32_t)vg_rng_range(rng, 50, 300));

	/* Browsers ask for the site icon next, which most sites lack. */
	if (obj->user_agent == NULL && vg_rng_chance(rng, 60))
		http_exchange(&tcp, rng, host, svc, obj, "/favicon.ico", 404,
			(uint32_t)vg_rng_range(rng, 2000, 50000));

	vg_tcp_close(&tcp, VG_C2S);
	w->counts.http++;
	return tcp.now_us;
}
