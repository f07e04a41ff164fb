/*
 * Application messages for vigil-sample in their real wire formats:
 * DNS, HTTP/1.1, SSH, NTP (payload.c), TLS handshake messages and X.509
 * certificates (tls.c), and QUIC v1 packets (quic.c).
 *
 * The messages are complete enough that a DPI engine parses them as it
 * would real traffic. From them nDPI 4.2 reports the DNS query name, HTTP
 * Host and User-Agent, TLS SNI, ALPN, JA3 and certificate names, the SSH
 * HASSH and the QUIC SNI. Keys, signatures and ciphertext are random bytes
 * from the seeded generator. Only QUIC Initial protection is real.
 */
#ifndef VG_SAMPLE_PROTO_H
#define VG_SAMPLE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"

/* ---- DNS (payload.c) ---------------------------------------------------- */

#define VG_DNS_A 1
#define VG_DNS_AAAA 28

/*
 * Builds a recursive query for name with an EDNS(0) OPT record. Returns the
 * message length, or 0 if it does not fit in cap bytes.
 */
size_t
vg_dns_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
	uint16_t type);

/*
 * Builds the answer to a query: one record of type carrying addr (4 bytes
 * for A, 16 for AAAA), or no answer record if addr is NULL. Returns the
 * message length, or 0 if it does not fit in cap bytes.
 */
size_t
vg_dns_response(uint8_t *out, size_t cap, uint16_t id, const char *name,
	uint16_t type, const uint8_t *addr, uint32_t ttl);

/* ---- HTTP/1.1 (payload.c) ----------------------------------------------- */

struct vg_http_request {
	const char *method;
	const char *host;
	const char *path;
	const char *user_agent;
	const char *accept;
};

void
vg_http_request(struct vg_buf *out, const struct vg_http_request *req);

/*
 * Builds a response dated now_us with Content-Length and a body: body
 * itself when it is not NULL, else body_len bytes of readable text for
 * text/ and JSON types or random bytes behind the format's magic number.
 * A 204 or 304 status carries no body and ignores the body arguments.
 */
void
vg_http_response(struct vg_buf *out, struct vg_rng *rng, uint64_t now_us,
	int status, const char *server, const char *content_type,
	const char *body, size_t body_len);

/* ---- SSH (payload.c) ---------------------------------------------------- */

/* Builds an SSH binary packet holding a KEXINIT message (RFC 4253, 7.1). */
void
vg_ssh_kexinit(struct vg_buf *out, struct vg_rng *rng, int server);

/* Builds an unencrypted SSH binary packet of message type with body. */
void
vg_ssh_packet(struct vg_buf *out, struct vg_rng *rng, uint8_t type,
	const uint8_t *body, size_t body_len);

/*
 * Appends an encrypted chacha20-poly1305 packet carrying payload_len bytes:
 * 4-byte encrypted length, padded payload and 16-byte MAC, all random.
 */
void
vg_ssh_encrypted(struct vg_buf *out, struct vg_rng *rng, size_t payload_len);

/* ---- NTP (payload.c) ---------------------------------------------------- */

/*
 * Builds a 48-byte NTP v4 client (mode 3) or server (mode 4) packet. Times
 * are microseconds since the Unix epoch, and refid is the server's
 * reference identifier.
 */
void
vg_ntp_packet(uint8_t out[48], int server, uint64_t client_tx_us,
	uint64_t now_us, const uint8_t refid[4]);

/* ---- TLS (tls.c) -------------------------------------------------------- */

#define VG_TLS_CHANGE_CIPHER_SPEC 20
#define VG_TLS_ALERT 21
#define VG_TLS_HANDSHAKE 22
#define VG_TLS_APPLICATION_DATA 23

/* Offer made in a ClientHello. */
struct vg_hello {
	const char *sni;
	const char *alpn[3];	/* NULL-terminated when shorter */
	int tls13;		/* offer TLS 1.3 with a key share */
	int quic;		/* QUIC: TLS 1.3 only, transport parameters */
	const uint8_t *quic_scid;
	size_t quic_scid_len;
	const uint8_t *session_id;	/* 32 bytes, ignored for QUIC */
};

/* Builds a ClientHello handshake message (no record header). */
void
vg_tls_client_hello(struct vg_buf *out, struct vg_rng *rng,
	const struct vg_hello *hello);

/*
 * Builds a ServerHello handshake message (no record header) that accepts
 * TLS 1.3 (TLS_AES_128_GCM_SHA256) or TLS 1.2
 * (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), echoing the client's session
 * ID and selecting alpn if it is not NULL.
 */
void
vg_tls_server_hello(struct vg_buf *out, struct vg_rng *rng, int tls13,
	const uint8_t *session_id, size_t session_id_len, const char *alpn);

/*
 * Builds a TLS 1.2 Certificate handshake message carrying a leaf
 * certificate for name (with name in subjectAltName) and its issuing CA.
 * The certificates are valid from 30 days before now_us to 60 days after.
 */
void
vg_tls_certificate(struct vg_buf *out, struct vg_rng *rng, const char *name,
	uint64_t now_us);

/* Builds a TLS 1.2 ECDHE ServerKeyExchange with an RSA-PSS signature. */
void
vg_tls_server_key_exchange(struct vg_buf *out, struct vg_rng *rng);

/* Builds a TLS 1.2 ClientKeyExchange carrying an x25519 public key. */
void
vg_tls_client_key_exchange(struct vg_buf *out, struct vg_rng *rng);

/* Wraps len bytes of content type in TLS records of at most 16 KiB. */
void
vg_tls_records(struct vg_buf *out, uint8_t type, uint16_t version,
	const uint8_t *data, size_t len);

/*
 * Appends TLS 1.2 or 1.3 application_data records (version 0x0303) holding
 * len bytes of random ciphertext, split at 16 KiB.
 */
void
vg_tls_app_records(struct vg_buf *out, struct vg_rng *rng, size_t len);

/* ---- QUIC v1 (quic.c) --------------------------------------------------- */

#define VG_QUIC_CID_MAX 20

/* Initial packet protection keys of one side (RFC 9001, section 5.2). */
struct vg_quic_keys {
	uint8_t key[16];
	uint8_t iv[12];
	uint8_t hp[16];
};

/*
 * Derives the client (server = 0) or server Initial keys from the
 * destination connection ID of the client's first Initial packet.
 */
void
vg_quic_initial_keys(struct vg_quic_keys *keys, const uint8_t *odcid,
	size_t odcid_len, int server);

/*
 * Appends a protected Initial packet with packet number pn carrying
 * frames, padded with PADDING frames until the packet is at least min_len
 * bytes. Sets out->err if a connection ID is longer than 20 bytes.
 */
void
vg_quic_initial(struct vg_buf *out, const struct vg_quic_keys *keys,
	const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
	size_t scid_len, uint32_t pn, const uint8_t *frames,
	size_t frames_len, size_t min_len);

/*
 * Appends a Handshake packet (long header type 2) whose protected payload
 * is payload_len random bytes, standing in for encrypted TLS messages.
 */
void
vg_quic_handshake(struct vg_buf *out, struct vg_rng *rng,
	const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
	size_t scid_len, size_t payload_len);

/* Appends a 1-RTT short header packet of payload_len random bytes. */
void
vg_quic_short(struct vg_buf *out, struct vg_rng *rng, const uint8_t *dcid,
	size_t dcid_len, size_t payload_len);

/* Appends a CRYPTO frame at offset 0 carrying data. */
void
vg_quic_crypto_frame(struct vg_buf *out, const uint8_t *data, size_t len);

/* Appends an ACK frame acknowledging packet numbers 0 to largest. */
void
vg_quic_ack_frame(struct vg_buf *out, uint32_t largest, uint32_t delay);

#endif
