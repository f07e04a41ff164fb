/*
 * TLS handshake messages for vigil-sample: ClientHello, ServerHello, the
 * TLS 1.2 Certificate, ServerKeyExchange and ClientKeyExchange, and record
 * framing.
 *
 * The ClientHello carries a desktop browser's cipher suites and extension
 * order, with the real extension layout, so nDPI extracts SNI, ALPN,
 * supported versions and JA3 from it. QUIC's variant adds transport
 * parameters. Certificates are well-formed DER with a subject CN, a
 * subjectAltName covering the server name and a 90-day validity around
 * the capture time, which nDPI checks for mismatch and expiry. Keys and
 * signatures are random bytes, so no certificate verifies.
 */
#include <string.h>
#include <time.h>

#include "proto.h"

#define TLS_CLIENT_HELLO 1
#define TLS_SERVER_HELLO 2
#define TLS_CERTIFICATE 11
#define TLS_SERVER_KEY_EXCHANGE 12
#define TLS_CLIENT_KEY_EXCHANGE 16

#define EXT_SERVER_NAME 0x0000
#define EXT_STATUS_REQUEST 0x0005
#define EXT_SUPPORTED_GROUPS 0x000a
#define EXT_EC_POINT_FORMATS 0x000b
#define EXT_SIGNATURE_ALGORITHMS 0x000d
#define EXT_ALPN 0x0010
#define EXT_EXTENDED_MASTER_SECRET 0x0017
#define EXT_SESSION_TICKET 0x0023
#define EXT_SUPPORTED_VERSIONS 0x002b
#define EXT_PSK_KEY_EXCHANGE_MODES 0x002d
#define EXT_KEY_SHARE 0x0033
#define EXT_QUIC_TRANSPORT_PARAMETERS 0x0039
#define EXT_RENEGOTIATION_INFO 0xff01

#define GROUP_X25519 0x001d

static const uint16_t tcp_suites[] = {
	0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c,
	0xc030, 0xc00a, 0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
	0x0035,
};

static const uint16_t quic_suites[] = { 0x1301, 0x1302, 0x1303 };

static const uint16_t groups[] = { 0x001d, 0x0017, 0x0018, 0x0019 };

static const uint16_t sig_algs[] = {
	0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501,
	0x0601, 0x0203, 0x0201,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void
u16_list(struct vg_buf *buf, const uint16_t *list, size_t n)
{
	size_t len = vg_buf_open_len(buf, 2);
	size_t i;

	for (i = 0; i < n; i++)
		vg_buf_u16(buf, list[i]);
	vg_buf_close_len(buf, len, 2);
}

static void
ext_empty(struct vg_buf *buf, uint16_t type)
{
	vg_buf_u16(buf, type);
	vg_buf_u16(buf, 0);
}

static void
ext_sni(struct vg_buf *buf, const char *sni)
{
	size_t ext, list;

	vg_buf_u16(buf, EXT_SERVER_NAME);
	ext = vg_buf_open_len(buf, 2);
	list = vg_buf_open_len(buf, 2);
	vg_buf_u8(buf, 0);	/* host_name */
	vg_buf_u16(buf, (uint16_t)strlen(sni));
	vg_buf_str(buf, sni);
	vg_buf_close_len(buf, list, 2);
	vg_buf_close_len(buf, ext, 2);
}

static void
ext_alpn(struct vg_buf *buf, const char *const *alpn, size_t n)
{
	size_t ext, list, i;

	vg_buf_u16(buf, EXT_ALPN);
	ext = vg_buf_open_len(buf, 2);
	list = vg_buf_open_len(buf, 2);
	for (i = 0; i < n && alpn[i] != NULL; i++) {
		vg_buf_u8(buf, (uint8_t)strlen(alpn[i]));
		vg_buf_str(buf, alpn[i]);
	}
	vg_buf_close_len(buf, list, 2);
	vg_buf_close_len(buf, ext, 2);
}

/* key_share: a list of one x25519 share (client) or the share (server). */
static void
ext_key_share(struct vg_buf *buf, struct vg_rng *rng, int client)
{
	size_t ext, list = 0;

	vg_buf_u16(buf, EXT_KEY_SHARE);
	ext = vg_buf_open_len(buf, 2);
	if (client)
		list = vg_buf_open_len(buf, 2);
	vg_buf_u16(buf, GROUP_X25519);
	vg_buf_u16(buf, 32);
	vg_buf_random(buf, rng, 32);
	if (client)
		vg_buf_close_len(buf, list, 2);
	vg_buf_close_len(buf, ext, 2);
}

/* One QUIC transport parameter with a variable-length integer value. */
static void
quic_param_int(struct vg_buf *buf, uint64_t id, uint64_t value)
{
	uint8_t storage[8];
	struct vg_buf val;

	vg_buf_init(&val, storage, sizeof(storage));
	vg_buf_varint(&val, value);
	vg_buf_varint(buf, id);
	vg_buf_varint(buf, val.len);
	vg_buf_put(buf, val.data, val.len);
}

/* Transport parameters (RFC 9000, section 18.2) as a browser sends them. */
static void
ext_quic_params(struct vg_buf *buf, const uint8_t *scid, size_t scid_len)
{
	size_t ext;

	vg_buf_u16(buf, EXT_QUIC_TRANSPORT_PARAMETERS);
	ext = vg_buf_open_len(buf, 2);
	quic_param_int(buf, 0x01, 30000);	/* max_idle_timeout, ms */
	quic_param_int(buf, 0x03, 1472);	/* max_udp_payload_size */
	quic_param_int(buf, 0x04, 15728640);	/* initial_max_data */
	quic_param_int(buf, 0x05, 6291456);	/* ..._bidi_local */
	quic_param_int(buf, 0x06, 6291456);	/* ..._bidi_remote */
	quic_param_int(buf, 0x07, 6291456);	/* ..._stream_data_uni */
	quic_param_int(buf, 0x08, 100);	/* initial_max_streams_bidi */
	quic_param_int(buf, 0x09, 103);	/* initial_max_streams_uni */
	quic_param_int(buf, 0x0e, 4);	/* active_connection_id_limit */
	vg_buf_varint(buf, 0x0f);	/* initial_source_connection_id */
	vg_buf_varint(buf, scid_len);
	vg_buf_put(buf, scid, scid_len);
	vg_buf_close_len(buf, ext, 2);
}

static void
ext_supported_versions(struct vg_buf *buf, int with_tls12)
{
	vg_buf_u16(buf, EXT_SUPPORTED_VERSIONS);
	vg_buf_u16(buf, with_tls12 ? 5 : 3);
	vg_buf_u8(buf, with_tls12 ? 4 : 2);
	vg_buf_u16(buf, 0x0304);
	if (with_tls12)
		vg_buf_u16(buf, 0x0303);
}

static void
client_hello_extensions(struct vg_buf *buf, struct vg_rng *rng,
	const struct vg_hello *hello)
{
	/* OCSP status_request with empty responder and extension lists. */
	static const uint8_t ocsp[] = { 1, 0, 0, 0, 0 };
	int tcp = !hello->quic;

	ext_sni(buf, hello->sni);
	if (tcp) {
		ext_empty(buf, EXT_EXTENDED_MASTER_SECRET);
		vg_buf_u16(buf, EXT_RENEGOTIATION_INFO);
		vg_buf_u16(buf, 1);
		vg_buf_u8(buf, 0);
	}

	vg_buf_u16(buf, EXT_SUPPORTED_GROUPS);
	vg_buf_u16(buf, 2 + sizeof(groups));
	u16_list(buf, groups, COUNT(groups));

	if (tcp) {
		vg_buf_u16(buf, EXT_EC_POINT_FORMATS);
		vg_buf_u16(buf, 2);
		vg_buf_u8(buf, 1);
		vg_buf_u8(buf, 0);	/* uncompressed */
		ext_empty(buf, EXT_SESSION_TICKET);
	}

	if (hello->alpn[0] != NULL)
		ext_alpn(buf, hello->alpn, COUNT(hello->alpn));
	if (tcp) {
		vg_buf_u16(buf, EXT_STATUS_REQUEST);
		vg_buf_u16(buf, sizeof(ocsp));
		vg_buf_put(buf, ocsp, sizeof(ocsp));
	}

	vg_buf_u16(buf, EXT_SIGNATURE_ALGORITHMS);
	vg_buf_u16(buf, 2 + sizeof(sig_algs));
	u16_list(buf, sig_algs, COUNT(sig_algs));

	if (hello->tls13 || hello->quic) {
		ext_key_share(buf, rng, 1);
		ext_supported_versions(buf, tcp);
		vg_buf_u16(buf, EXT_PSK_KEY_EXCHANGE_MODES);
		vg_buf_u16(buf, 2);
		vg_buf_u8(buf, 1);
		vg_buf_u8(buf, 1);	/* psk_dhe_ke */
	}

	if (hello->quic)
		ext_quic_params(buf, hello->quic_scid, hello->quic_scid_len);
}

void
vg_tls_client_hello(struct vg_buf *out, struct vg_rng *rng,
	const struct vg_hello *hello)
{
	size_t msg, exts;

	vg_buf_u8(out, TLS_CLIENT_HELLO);
	msg = vg_buf_open_len(out, 3);
	vg_buf_u16(out, 0x0303);
	vg_buf_random(out, rng, 32);

	/* QUIC has no middlebox-compatibility session ID (RFC 9001, 8.4). */
	if (hello->quic || hello->session_id == NULL) {
		vg_buf_u8(out, 0);
	} else {
		vg_buf_u8(out, 32);
		vg_buf_put(out, hello->session_id, 32);
	}

	if (hello->quic)
		u16_list(out, quic_suites, COUNT(quic_suites));
	else
		u16_list(out, tcp_suites, COUNT(tcp_suites));
	vg_buf_u8(out, 1);	/* compression methods: null only */
	vg_buf_u8(out, 0);

	exts = vg_buf_open_len(out, 2);
	client_hello_extensions(out, rng, hello);
	vg_buf_close_len(out, exts, 2);
	vg_buf_close_len(out, msg, 3);
}

void
vg_tls_server_hello(struct vg_buf *out, struct vg_rng *rng, int tls13,
	const uint8_t *session_id, size_t session_id_len, const char *alpn)
{
	size_t msg, exts;

	vg_buf_u8(out, TLS_SERVER_HELLO);
	msg = vg_buf_open_len(out, 3);
	vg_buf_u16(out, 0x0303);
	vg_buf_random(out, rng, 32);
	vg_buf_u8(out, (uint8_t)session_id_len);
	vg_buf_put(out, session_id, session_id_len);
	vg_buf_u16(out, tls13 ? 0x1301 : 0xc02f);
	vg_buf_u8(out, 0);

	/* In TLS 1.3 the server's ALPN choice travels encrypted. */
	exts = vg_buf_open_len(out, 2);
	if (tls13) {
		ext_key_share(out, rng, 0);
		vg_buf_u16(out, EXT_SUPPORTED_VERSIONS);
		vg_buf_u16(out, 2);
		vg_buf_u16(out, 0x0304);
	} else {
		vg_buf_u16(out, EXT_RENEGOTIATION_INFO);
		vg_buf_u16(out, 1);
		vg_buf_u8(out, 0);
		ext_empty(out, EXT_EXTENDED_MASTER_SECRET);
		vg_buf_u16(out, EXT_EC_POINT_FORMATS);
		vg_buf_u16(out, 2);
		vg_buf_u8(out, 1);
		vg_buf_u8(out, 0);
		if (alpn != NULL)
			ext_alpn(out, &alpn, 1);
	}
	vg_buf_close_len(out, exts, 2);
	vg_buf_close_len(out, msg, 3);
}

/* ---- X.509 certificates in DER ------------------------------------------ */

#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_PRINTABLE_STRING 0x13
#define DER_UTC_TIME 0x17
#define DER_SEQUENCE 0x30
#define DER_SET 0x31

static const uint8_t oid_sha256_rsa[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b
};
static const uint8_t oid_rsa[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01
};
static const uint8_t oid_country[] = { 0x55, 0x04, 0x06 };
static const uint8_t oid_org[] = { 0x55, 0x04, 0x0a };
static const uint8_t oid_cn[] = { 0x55, 0x04, 0x03 };
static const uint8_t oid_san[] = { 0x55, 0x1d, 0x11 };
static const uint8_t oid_basic_constraints[] = { 0x55, 0x1d, 0x13 };

static const char ca_org[] = "Example Trust Services";
static const char ca_issuing[] = "Example TLS RSA CA 2024";
static const char ca_root[] = "Example Root CA";

/*
 * Wraps the bytes written since start in a DER element with tag: moves
 * them right and writes the tag and the shortest length encoding.
 */
static void
der_wrap(struct vg_buf *buf, size_t start, uint8_t tag)
{
	size_t len = buf->len - start;
	size_t hdr = len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
	uint8_t *p;

	if (buf->err != 0 || hdr > buf->capacity - buf->len) {
		buf->err = -1;
		return;
	}
	p = buf->data + start;
	memmove(p + hdr, p, len);
	p[0] = tag;
	if (hdr == 2) {
		p[1] = (uint8_t)len;
	} else if (hdr == 3) {
		p[1] = 0x81;
		p[2] = (uint8_t)len;
	} else {
		p[1] = 0x82;
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
	}
	buf->len += hdr;
}

static void
der_put(struct vg_buf *buf, uint8_t tag, const void *data, size_t len)
{
	size_t start = buf->len;

	vg_buf_put(buf, data, len);
	der_wrap(buf, start, tag);
}

/* AlgorithmIdentifier with NULL parameters. */
static void
der_algorithm(struct vg_buf *buf, const uint8_t *oid, size_t oid_len)
{
	size_t seq = buf->len;

	der_put(buf, DER_OID, oid, oid_len);
	der_put(buf, DER_NULL, NULL, 0);
	der_wrap(buf, seq, DER_SEQUENCE);
}

/* One RelativeDistinguishedName: SET { SEQUENCE { type, value } }. */
static void
der_rdn(struct vg_buf *buf, const uint8_t *oid, size_t oid_len,
	const char *value)
{
	size_t set = buf->len;
	size_t seq = buf->len;

	der_put(buf, DER_OID, oid, oid_len);
	der_put(buf, DER_PRINTABLE_STRING, value, strlen(value));
	der_wrap(buf, seq, DER_SEQUENCE);
	der_wrap(buf, set, DER_SET);
}

/* Name: C=US, O=org, CN=cn, or CN=cn alone when org is NULL. */
static void
der_name(struct vg_buf *buf, const char *org, const char *cn)
{
	size_t seq = buf->len;

	if (org != NULL) {
		der_rdn(buf, oid_country, sizeof(oid_country), "US");
		der_rdn(buf, oid_org, sizeof(oid_org), org);
	}
	der_rdn(buf, oid_cn, sizeof(oid_cn), cn);
	der_wrap(buf, seq, DER_SEQUENCE);
}

static void
der_utc_time(struct vg_buf *buf, time_t t)
{
	char text[16];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(text, sizeof(text), "%y%m%d%H%M%SZ", &tm);
	der_put(buf, DER_UTC_TIME, text, strlen(text));
}

/* RSA-2048 SubjectPublicKeyInfo with a random modulus, exponent 65537. */
static void
der_rsa_key(struct vg_buf *buf, struct vg_rng *rng)
{
	static const uint8_t exponent[] = { 0x01, 0x00, 0x01 };
	uint8_t modulus[257];
	size_t spki = buf->len;
	size_t bits, key;

	der_algorithm(buf, oid_rsa, sizeof(oid_rsa));
	bits = buf->len;
	vg_buf_u8(buf, 0);	/* no unused bits */
	key = buf->len;
	modulus[0] = 0;
	vg_rng_fill(rng, modulus + 1, sizeof(modulus) - 1);
	modulus[1] |= 0x80;
	modulus[256] |= 1;
	der_put(buf, DER_INTEGER, modulus, sizeof(modulus));
	der_put(buf, DER_INTEGER, exponent, sizeof(exponent));
	der_wrap(buf, key, DER_SEQUENCE);
	der_wrap(buf, bits, DER_BIT_STRING);
	der_wrap(buf, spki, DER_SEQUENCE);
}

/*
 * Extensions: subjectAltName listing name (and the wildcard of its parent
 * domain when it has one) for a leaf, basicConstraints CA:TRUE for a CA.
 */
static void
der_extensions(struct vg_buf *buf, const char *name)
{
	static const uint8_t ca_true[] = { 0x30, 0x03, 0x01, 0x01, 0xff };
	size_t explicit = buf->len;
	size_t list = buf->len;
	size_t ext = buf->len;

	if (name == NULL) {
		der_put(buf, DER_OID, oid_basic_constraints,
			sizeof(oid_basic_constraints));
		vg_buf_put(buf, "\x01\x01\xff", 3);	/* critical */
		der_put(buf, DER_OCTET_STRING, ca_true, sizeof(ca_true));
	} else {
		const char *parent = strchr(name, '.');
		size_t value, names;

		der_put(buf, DER_OID, oid_san, sizeof(oid_san));
		value = buf->len;
		names = buf->len;
		der_put(buf, 0x82, name, strlen(name));	/* dNSName */
		if (parent != NULL && strchr(parent + 1, '.') != NULL) {
			size_t wild = buf->len;

			vg_buf_u8(buf, '*');
			vg_buf_str(buf, parent);
			der_wrap(buf, wild, 0x82);
		}
		der_wrap(buf, names, DER_SEQUENCE);
		der_wrap(buf, value, DER_OCTET_STRING);
	}
	der_wrap(buf, ext, DER_SEQUENCE);
	der_wrap(buf, list, DER_SEQUENCE);
	der_wrap(buf, explicit, 0xa3);
}

/*
 * Appends one certificate: a leaf for name issued by the issuing CA, or
 * (name NULL) the issuing CA's own certificate issued by the root.
 */
static void
der_certificate(struct vg_buf *buf, struct vg_rng *rng, const char *name,
	time_t not_before)
{
	static const uint8_t version3[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
	uint8_t serial[16];
	size_t cert = buf->len;
	size_t tbs = buf->len;
	size_t validity, sig;

	vg_buf_put(buf, version3, sizeof(version3));
	vg_rng_fill(rng, serial, sizeof(serial));
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x01);
	der_put(buf, DER_INTEGER, serial, sizeof(serial));
	der_algorithm(buf, oid_sha256_rsa, sizeof(oid_sha256_rsa));
	der_name(buf, ca_org, name != NULL ? ca_issuing : ca_root);

	validity = buf->len;
	der_utc_time(buf, not_before);
	der_utc_time(buf, not_before + 90 * 86400);
	der_wrap(buf, validity, DER_SEQUENCE);

	if (name != NULL)
		der_name(buf, NULL, name);
	else
		der_name(buf, ca_org, ca_issuing);
	der_rsa_key(buf, rng);
	der_extensions(buf, name);
	der_wrap(buf, tbs, DER_SEQUENCE);

	der_algorithm(buf, oid_sha256_rsa, sizeof(oid_sha256_rsa));
	sig = buf->len;
	vg_buf_u8(buf, 0);
	vg_buf_random(buf, rng, 256);
	der_wrap(buf, sig, DER_BIT_STRING);
	der_wrap(buf, cert, DER_SEQUENCE);
}

void
vg_tls_certificate(struct vg_buf *out, struct vg_rng *rng, const char *name,
	uint64_t now_us)
{
	time_t now = (time_t)(now_us / 1000000);
	time_t not_before = now - now % 86400 - 30 * 86400;
	size_t msg, list, entry;

	vg_buf_u8(out, TLS_CERTIFICATE);
	msg = vg_buf_open_len(out, 3);
	list = vg_buf_open_len(out, 3);

	entry = vg_buf_open_len(out, 3);
	der_certificate(out, rng, name, not_before);
	vg_buf_close_len(out, entry, 3);

	entry = vg_buf_open_len(out, 3);
	der_certificate(out, rng, NULL, not_before - 200 * 86400);
	vg_buf_close_len(out, entry, 3);

	vg_buf_close_len(out, list, 3);
	vg_buf_close_len(out, msg, 3);
}

void
vg_tls_server_key_exchange(struct vg_buf *out, struct vg_rng *rng)
{
	size_t msg;

	vg_buf_u8(out, TLS_SERVER_KEY_EXCHANGE);
	msg = vg_buf_open_len(out, 3);
	vg_buf_u8(out, 3);	/* named_curve */
	vg_buf_u16(out, GROUP_X25519);
	vg_buf_u8(out, 32);
	vg_buf_random(out, rng, 32);
	vg_buf_u16(out, 0x0804);	/* rsa_pss_rsae_sha256 */
	vg_buf_u16(out, 256);
	vg_buf_random(out, rng, 256);
	vg_buf_close_len(out, msg, 3);
}

void
vg_tls_client_key_exchange(struct vg_buf *out, struct vg_rng *rng)
{
	vg_buf_u8(out, TLS_CLIENT_KEY_EXCHANGE);
	vg_buf_u24(out, 33);
	vg_buf_u8(out, 32);
	vg_buf_random(out, rng, 32);
}

/* ---- Records ------------------------------------------------------------ */

void
vg_tls_records(struct vg_buf *out, uint8_t type, uint16_t version,
	const uint8_t *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t chunk = len - off;

		if (chunk > 16384)
			chunk = 16384;
		vg_buf_u8(out, type);
		vg_buf_u16(out, version);
		vg_buf_u16(out, (uint16_t)chunk);
		vg_buf_put(out, data + off, chunk);
		off += chunk;
	}
}

void
vg_tls_app_records(struct vg_buf *out, struct vg_rng *rng, size_t len)
{
	while (len > 0) {
		size_t chunk = len > 16384 ? 16384 : len;

		vg_buf_u8(out, VG_TLS_APPLICATION_DATA);
		vg_buf_u16(out, 0x0303);
		vg_buf_u16(out, (uint16_t)chunk);
		vg_buf_random(out, rng, chunk);
		len -= chunk;
	}
}
