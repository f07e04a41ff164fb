/*
 * Byte buffers and the plain-text and binary application messages of
 * vigil-sample: DNS queries and answers, HTTP/1.1 requests and responses,
 * SSH binary packets and NTP v4 packets.
 *
 * The messages follow what current software sends: a stub resolver with
 * EDNS(0), browser request headers, OpenSSH 9 algorithm lists.
 * nDPI's dissectors parse them fully and report the DNS query name, the
 * HTTP Host, User-Agent and Content-Type, and the SSH HASSH. SSH keys,
 * cookies and ciphertext are random bytes from the seeded generator.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proto.h"

/* ---- Byte buffer -------------------------------------------------------- */

void
vg_buf_init(struct vg_buf *buf, uint8_t *storage, size_t capacity)
{
	buf->data = storage;
	buf->len = 0;
	buf->capacity = capacity;
	buf->err = 0;
}

void
vg_buf_put(struct vg_buf *buf, const void *data, size_t len)
{
	if (buf->err != 0 || len > buf->capacity - buf->len) {
		buf->err = -1;
		return;
	}
	if (len != 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
}

void
vg_buf_str(struct vg_buf *buf, const char *s)
{
	vg_buf_put(buf, s, strlen(s));
}

void
vg_buf_random(struct vg_buf *buf, struct vg_rng *rng, size_t len)
{
	if (buf->err != 0 || len > buf->capacity - buf->len) {
		buf->err = -1;
		return;
	}
	vg_rng_fill(rng, buf->data + buf->len, len);
	buf->len += len;
}

void
vg_buf_u8(struct vg_buf *buf, uint8_t value)
{
	vg_buf_put(buf, &value, 1);
}

void
vg_buf_u16(struct vg_buf *buf, uint16_t value)
{
	uint8_t b[2] = { (uint8_t)(value >> 8), (uint8_t)value };

	vg_buf_put(buf, b, sizeof(b));
}

void
vg_buf_u24(struct vg_buf *buf, uint32_t value)
{
	uint8_t b[3] = {
		(uint8_t)(value >> 16), (uint8_t)(value >> 8), (uint8_t)value
	};

	vg_buf_put(buf, b, sizeof(b));
}

void
vg_buf_u32(struct vg_buf *buf, uint32_t value)
{
	vg_buf_u16(buf, (uint16_t)(value >> 16));
	vg_buf_u16(buf, (uint16_t)value);
}

void
vg_buf_varint(struct vg_buf *buf, uint64_t value)
{
	if (value < 0x40) {
		vg_buf_u8(buf, (uint8_t)value);
	} else if (value < 0x4000) {
		vg_buf_u16(buf, (uint16_t)(0x4000 | value));
	} else if (value < 0x40000000) {
		vg_buf_u32(buf, (uint32_t)(0x80000000u | value));
	} else {
		vg_buf_u32(buf, (uint32_t)(0xc0000000u | (value >> 32)));
		vg_buf_u32(buf, (uint32_t)value);
	}
}

size_t
vg_buf_open_len(struct vg_buf *buf, int width)
{
	static const uint8_t zero[4];
	size_t offset = buf->len;

	vg_buf_put(buf, zero, (size_t)width);
	return offset;
}

void
vg_buf_close_len(struct vg_buf *buf, size_t offset, int width)
{
	size_t len;
	int i;

	if (buf->err != 0)
		return;
	len = buf->len - offset - (size_t)width;
	for (i = 0; i < width; i++)
		buf->data[offset + (size_t)i] =
			(uint8_t)(len >> (8 * (width - 1 - i)));
}

/* ---- DNS ---------------------------------------------------------------- */

static void
dns_name(struct vg_buf *buf, const char *name)
{
	const char *label = name;

	while (*label != '\0') {
		const char *dot = strchr(label, '.');
		size_t len = dot ? (size_t)(dot - label) : strlen(label);

		vg_buf_u8(buf, (uint8_t)len);
		vg_buf_put(buf, label, len);
		label += len;
		if (*label == '.')
			label++;
	}
	vg_buf_u8(buf, 0);
}

/* EDNS(0) OPT record advertising a 1232-byte UDP payload. */
static void
dns_opt(struct vg_buf *buf)
{
	vg_buf_u8(buf, 0);
	vg_buf_u16(buf, 41);
	vg_buf_u16(buf, 1232);
	vg_buf_u32(buf, 0);
	vg_buf_u16(buf, 0);
}

static void
dns_header(struct vg_buf *buf, uint16_t id, uint16_t flags, uint16_t answers)
{
	vg_buf_u16(buf, id);
	vg_buf_u16(buf, flags);
	vg_buf_u16(buf, 1);	/* QDCOUNT */
	vg_buf_u16(buf, answers);
	vg_buf_u16(buf, 0);	/* NSCOUNT */
	vg_buf_u16(buf, 1);	/* ARCOUNT: the OPT record */
}

size_t
vg_dns_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
	uint16_t type)
{
	struct vg_buf buf;

	vg_buf_init(&buf, out, cap);
	dns_header(&buf, id, 0x0120, 0);	/* RD, and AD (RFC 6840) */
	dns_name(&buf, name);
	vg_buf_u16(&buf, type);
	vg_buf_u16(&buf, 1);	/* class IN */
	dns_opt(&buf);
	return buf.err ? 0 : buf.len;
}

size_t
vg_dns_response(uint8_t *out, size_t cap, uint16_t id, const char *name,
	uint16_t type, const uint8_t *addr, uint32_t ttl)
{
	uint16_t rdlen = type == VG_DNS_A ? 4 : 16;
	struct vg_buf buf;

	vg_buf_init(&buf, out, cap);
	dns_header(&buf, id, 0x8180, addr != NULL);	/* QR, RD, RA */
	dns_name(&buf, name);
	vg_buf_u16(&buf, type);
	vg_buf_u16(&buf, 1);

	if (addr != NULL) {
		vg_buf_u16(&buf, 0xc00c);	/* pointer to the question */
		vg_buf_u16(&buf, type);
		vg_buf_u16(&buf, 1);
		vg_buf_u32(&buf, ttl);
		vg_buf_u16(&buf, rdlen);
		vg_buf_put(&buf, addr, rdlen);
	}
	dns_opt(&buf);
	return buf.err ? 0 : buf.len;
}

/* ---- HTTP/1.1 ----------------------------------------------------------- */

void
vg_http_request(struct vg_buf *out, const struct vg_http_request *req)
{
	vg_buf_str(out, req->method);
	vg_buf_str(out, " ");
	vg_buf_str(out, req->path);
	vg_buf_str(out, " HTTP/1.1\r\nHost: ");
	vg_buf_str(out, req->host);
	vg_buf_str(out, "\r\nUser-Agent: ");
	vg_buf_str(out, req->user_agent);
	vg_buf_str(out, "\r\nAccept: ");
	vg_buf_str(out, req->accept != NULL ? req->accept : "*/*");
	vg_buf_str(out, "\r\nAccept-Encoding: gzip, deflate\r\n"
		"Accept-Language: en-US,en;q=0.9\r\n"
		"Connection: keep-alive\r\n\r\n");
}

static const char *
http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 304:
		return "Not Modified";
	case 404:
		return "Not Found";
	default:
		return "Unknown";
	}
}

static const char *const words[] = {
	"network", "traffic", "packet", "monitor", "the", "of", "and", "a",
	"flow", "host", "report", "daily", "update", "service", "status",
	"page", "news", "search", "result", "weather", "sport", "market",
	"open", "source", "release", "notes", "with", "for", "new", "data",
};

/* Appends exactly len bytes of space-separated words. */
static void
put_words(struct vg_buf *out, struct vg_rng *rng, size_t len)
{
	size_t n = sizeof(words) / sizeof(words[0]);

	while (len > 0) {
		const char *w = words[vg_rng_range(rng, 0, n - 1)];
		size_t wl = strlen(w);

		if (wl + 1 > len) {
			while (len-- > 0)
				vg_buf_u8(out, '.');
			return;
		}
		vg_buf_put(out, w, wl);
		vg_buf_u8(out, ' ');
		len -= wl + 1;
	}
}

/* Appends a body of exactly len bytes that looks like content_type. */
static void
http_body(struct vg_buf *out, struct vg_rng *rng, const char *content_type,
	size_t len)
{
	static const uint8_t png[] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a,
		0x0a };
	static const uint8_t jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10,
		'J', 'F', 'I', 'F', 0x00 };
	const char *head = "";
	const char *tail = "";
	const uint8_t *magic = NULL;
	size_t magic_len = 0;

	if (strncmp(content_type, "text/html", 9) == 0) {
		head = "<!DOCTYPE html>\n<html><head><title>Home</title></head>"
			"<body>\n<p>";
		tail = "</p>\n</body></html>\n";
	} else if (strncmp(content_type, "application/json", 16) == 0) {
		head = "{\"status\":\"ok\",\"text\":\"";
		tail = "\"}\n";
	} else if (strncmp(content_type, "image/png", 9) == 0) {
		magic = png;
		magic_len = sizeof(png);
	} else if (strncmp(content_type, "image/jpeg", 10) == 0) {
		magic = jpeg;
		magic_len = sizeof(jpeg);
	} else if (strncmp(content_type, "text/", 5) != 0) {
		vg_buf_random(out, rng, len);
		return;
	}

	if (magic != NULL) {
		if (magic_len > len)
			magic_len = len;
		vg_buf_put(out, magic, magic_len);
		vg_buf_random(out, rng, len - magic_len);
		return;
	}

	if (strlen(head) + strlen(tail) > len) {
		put_words(out, rng, len);
		return;
	}
	vg_buf_str(out, head);
	put_words(out, rng, len - strlen(head) - strlen(tail));
	vg_buf_str(out, tail);
}

void
vg_http_response(struct vg_buf *out, struct vg_rng *rng, uint64_t now_us,
	int status, const char *server, const char *content_type,
	const char *body, size_t body_len)
{
	time_t now = (time_t)(now_us / 1000000);
	char line[128];
	struct tm tm;

	gmtime_r(&now, &tm);
	snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status,
		http_reason(status));
	vg_buf_str(out, line);
	strftime(line, sizeof(line), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n",
		&tm);
	vg_buf_str(out, line);
	vg_buf_str(out, "Server: ");
	vg_buf_str(out, server);
	vg_buf_str(out, "\r\n");

	if (status == 204 || status == 304) {
		vg_buf_str(out, "Connection: keep-alive\r\n\r\n");
		return;
	}

	if (body != NULL)
		body_len = strlen(body);
	vg_buf_str(out, "Content-Type: ");
	vg_buf_str(out, content_type);
	snprintf(line, sizeof(line), "\r\nContent-Length: %zu\r\n", body_len);
	vg_buf_str(out, line);
	vg_buf_str(out, "Cache-Control: max-age=3600\r\n"
		"Connection: keep-alive\r\n\r\n");
	if (body != NULL)
		vg_buf_str(out, body);
	else
		http_body(out, rng, content_type, body_len);
}

/* ---- SSH ---------------------------------------------------------------- */

#define SSH_MSG_KEXINIT 20
#define SSH_MAC_LEN 16

/*
 * Name-lists of a KEXINIT in RFC 4253 order: kex, host key, ciphers and
 * MACs (client to server, then server to client), compression (both ways)
 * and languages (both ways).
 */
static const char ssh_kex_client[] =
	"sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
	"curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
	"ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
	"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
	"diffie-hellman-group14-sha256,ext-info-c";
static const char ssh_kex_server[] =
	"sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
	"curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
	"ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
	"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
	"diffie-hellman-group14-sha256";
static const char ssh_hostkey_client[] =
	"ssh-ed25519-cert-v01@openssh.com,"
	"ecdsa-sha2-nistp256-cert-v01@openssh.com,"
	"rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,"
	"ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256";
static const char ssh_hostkey_server[] =
	"rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519";
static const char ssh_ciphers[] =
	"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
	"aes128-gcm@openssh.com,aes256-gcm@openssh.com";
static const char ssh_macs[] =
	"umac-64-etm@openssh.com,umac-128-etm@openssh.com,"
	"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	"hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,"
	"hmac-sha2-256,hmac-sha2-512,hmac-sha1";
static const char ssh_compression[] = "none,zlib@openssh.com";

/*
 * Frames payload as an unencrypted SSH binary packet (RFC 4253, 6): random
 * padding of at least 4 bytes brings the whole packet to a multiple of 8.
 */
static void
ssh_frame(struct vg_buf *out, struct vg_rng *rng, const uint8_t *payload,
	size_t len)
{
	size_t pad = 8 - (5 + len) % 8;

	if (pad < 4)
		pad += 8;
	vg_buf_u32(out, (uint32_t)(1 + len + pad));
	vg_buf_u8(out, (uint8_t)pad);
	vg_buf_put(out, payload, len);
	vg_buf_random(out, rng, pad);
}

static void
ssh_string(struct vg_buf *buf, const char *s)
{
	vg_buf_u32(buf, (uint32_t)strlen(s));
	vg_buf_str(buf, s);
}

void
vg_ssh_kexinit(struct vg_buf *out, struct vg_rng *rng, int server)
{
	uint8_t storage[2048];
	struct vg_buf msg;

	vg_buf_init(&msg, storage, sizeof(storage));
	vg_buf_u8(&msg, SSH_MSG_KEXINIT);
	vg_buf_random(&msg, rng, 16);	/* cookie */
	ssh_string(&msg, server ? ssh_kex_server : ssh_kex_client);
	ssh_string(&msg, server ? ssh_hostkey_server : ssh_hostkey_client);
	ssh_string(&msg, ssh_ciphers);
	ssh_string(&msg, ssh_ciphers);
	ssh_string(&msg, ssh_macs);
	ssh_string(&msg, ssh_macs);
	ssh_string(&msg, ssh_compression);
	ssh_string(&msg, ssh_compression);
	ssh_string(&msg, "");
	ssh_string(&msg, "");
	vg_buf_u8(&msg, 0);	/* first_kex_packet_follows */
	vg_buf_u32(&msg, 0);	/* reserved */
	if (msg.err != 0) {
		out->err = msg.err;
		return;
	}
	ssh_frame(out, rng, msg.data, msg.len);
}

void
vg_ssh_packet(struct vg_buf *out, struct vg_rng *rng, uint8_t type,
	const uint8_t *body, size_t body_len)
{
	uint8_t storage[1024];
	struct vg_buf msg;

	vg_buf_init(&msg, storage, sizeof(storage));
	vg_buf_u8(&msg, type);
	vg_buf_put(&msg, body, body_len);
	if (msg.err != 0) {
		out->err = msg.err;
		return;
	}
	ssh_frame(out, rng, msg.data, msg.len);
}

void
vg_ssh_encrypted(struct vg_buf *out, struct vg_rng *rng, size_t payload_len)
{
	/* chacha20-poly1305 pads padding_length + payload + padding to 8. */
	size_t pad = 8 - (1 + payload_len) % 8;

	if (pad < 4)
		pad += 8;
	vg_buf_random(out, rng, 4 + 1 + payload_len + pad + SSH_MAC_LEN);
}

/* ---- NTP ---------------------------------------------------------------- */

/* Seconds between 1900-01-01 (NTP era 0) and 1970-01-01. */
#define NTP_UNIX_OFFSET 2208988800ULL

static void
ntp_timestamp(uint8_t *p, uint64_t unix_us)
{
	uint64_t sec = unix_us / 1000000 + NTP_UNIX_OFFSET;
	uint64_t frac = ((unix_us % 1000000) << 32) / 1000000;
	int i;

	for (i = 0; i < 4; i++) {
		p[i] = (uint8_t)(sec >> (24 - 8 * i));
		p[4 + i] = (uint8_t)(frac >> (24 - 8 * i));
	}
}

void
vg_ntp_packet(uint8_t out[48], int server, uint64_t client_tx_us,
	uint64_t now_us, const uint8_t refid[4])
{
	memset(out, 0, 48);
	if (!server) {
		out[0] = 0x23;	/* LI 0, version 4, mode 3 (client) */
		out[2] = 6;	/* poll interval 2^6 s */
		out[3] = 0xe9;	/* precision 2^-23 s */
		ntp_timestamp(out + 40, client_tx_us);
		return;
	}

	out[0] = 0x24;		/* LI 0, version 4, mode 4 (server) */
	out[1] = 2;		/* stratum */
	out[2] = 6;
	out[3] = 0xe7;
	out[5] = 0x01;		/* root delay about 4 ms (16.16 seconds) */
	out[6] = 0x06;
	out[9] = 0x02;		/* root dispersion about 8 ms */
	out[10] = 0x10;
	memcpy(out + 12, refid, 4);
	ntp_timestamp(out + 16, now_us - 37000000);	/* reference time */
	ntp_timestamp(out + 24, client_tx_us);		/* origin */
	ntp_timestamp(out + 32, now_us);		/* receive */
	ntp_timestamp(out + 40, now_us + 25);		/* transmit */
}
