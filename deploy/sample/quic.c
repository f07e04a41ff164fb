/*
 * QUIC v1 packets for vigil-sample (RFC 9000 and RFC 9001).
 *
 * Initial packets are protected for real: keys come from the client's
 * first destination connection ID and the v1 salt, the payload is sealed
 * with AES-128-GCM and the header protected with an AES-128 mask. A DPI
 * engine can therefore decrypt the client's Initial and read the TLS
 * ClientHello inside, which is how nDPI 4.2 finds the SNI and ALPN of a
 * QUIC connection. Handshake and 1-RTT packets carry random bytes in place
 * of ciphertext: nothing inspects them, and producing their keys would
 * need a real TLS key exchange.
 */
#include <string.h>

#include "crypto.h"
#include "proto.h"

#define QUIC_VERSION_1 0x00000001u
#define QUIC_LONG_HEADER 0xc0	/* header form and fixed bit */
#define QUIC_TYPE_INITIAL 0x00
#define QUIC_TYPE_HANDSHAKE 0x20
#define QUIC_PN_LEN 2

#define FRAME_ACK 0x02
#define FRAME_CRYPTO 0x06

/* Initial salt for QUIC version 1 (RFC 9001, section 5.2). */
static const uint8_t initial_salt_v1[20] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};

void
vg_quic_initial_keys(struct vg_quic_keys *keys, const uint8_t *odcid,
	size_t odcid_len, int server)
{
	uint8_t initial[VG_SHA256_LEN];
	uint8_t secret[VG_SHA256_LEN];

	vg_hkdf_extract(initial_salt_v1, sizeof(initial_salt_v1), odcid,
		odcid_len, initial);
	vg_hkdf_expand_label(initial, server ? "server in" : "client in",
		secret, sizeof(secret));
	vg_hkdf_expand_label(secret, "quic key", keys->key, sizeof(keys->key));
	vg_hkdf_expand_label(secret, "quic iv", keys->iv, sizeof(keys->iv));
	vg_hkdf_expand_label(secret, "quic hp", keys->hp, sizeof(keys->hp));
}

/*
 * Writes a long header up to and including the Length field, which covers
 * the packet number, payload and AEAD tag. Returns the offset of the
 * packet number, or sets out->err.
 */
static size_t
long_header(struct vg_buf *out, uint8_t type, const uint8_t *dcid,
	size_t dcid_len, const uint8_t *scid, size_t scid_len, size_t length)
{
	if (dcid_len > VG_QUIC_CID_MAX || scid_len > VG_QUIC_CID_MAX ||
	    length >= 0x4000) {
		out->err = -1;
		return out->len;
	}

	vg_buf_u8(out, QUIC_LONG_HEADER | type | (QUIC_PN_LEN - 1));
	vg_buf_u32(out, QUIC_VERSION_1);
	vg_buf_u8(out, (uint8_t)dcid_len);
	vg_buf_put(out, dcid, dcid_len);
	vg_buf_u8(out, (uint8_t)scid_len);
	vg_buf_put(out, scid, scid_len);
	if (type == QUIC_TYPE_INITIAL)
		vg_buf_varint(out, 0);	/* token length */
	vg_buf_u16(out, (uint16_t)(0x4000 | length));	/* 2-byte varint */
	return out->len;
}

void
vg_quic_initial(struct vg_buf *out, const struct vg_quic_keys *keys,
	const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
	size_t scid_len, uint32_t pn, const uint8_t *frames,
	size_t frames_len, size_t min_len)
{
	/* Header: first byte, version, two CIDs, token and length fields. */
	size_t header_len = 1 + 4 + 1 + dcid_len + 1 + scid_len + 1 + 2;
	size_t payload_len = frames_len;
	size_t start = out->len;
	struct vg_aes128 aes;
	uint8_t nonce[VG_GCM_IV_LEN];
	uint8_t mask[VG_AES_BLOCK];
	size_t pn_off, i;
	uint8_t *packet;

	/*
	 * Pad so the packet reaches min_len and the header protection sample
	 * (16 bytes starting 4 bytes after the packet number) exists.
	 */
	if (header_len + QUIC_PN_LEN + payload_len + VG_GCM_TAG_LEN < min_len)
		payload_len = min_len - header_len - QUIC_PN_LEN -
			VG_GCM_TAG_LEN;
	if (QUIC_PN_LEN + payload_len < 4)
		payload_len = 4 - QUIC_PN_LEN;

	pn_off = long_header(out, QUIC_TYPE_INITIAL, dcid, dcid_len, scid,
		scid_len, QUIC_PN_LEN + payload_len + VG_GCM_TAG_LEN);
	vg_buf_u16(out, (uint16_t)pn);
	vg_buf_put(out, frames, frames_len);
	for (i = frames_len; i < payload_len; i++)
		vg_buf_u8(out, 0);	/* PADDING frames */
	if (out->err != 0 || VG_GCM_TAG_LEN > out->capacity - out->len) {
		out->err = -1;
		return;
	}
	packet = out->data + start;
	pn_off -= start;

	/* The nonce is the IV with the packet number XORed into its end. */
	memcpy(nonce, keys->iv, sizeof(nonce));
	nonce[10] ^= (uint8_t)(pn >> 8);
	nonce[11] ^= (uint8_t)pn;
	vg_aes128_init(&aes, keys->key);
	vg_aes128_gcm_seal(&aes, nonce, packet, pn_off + QUIC_PN_LEN,
		packet + pn_off + QUIC_PN_LEN, payload_len,
		packet + pn_off + QUIC_PN_LEN,
		packet + pn_off + QUIC_PN_LEN + payload_len);
	out->len += VG_GCM_TAG_LEN;

	/* Header protection masks the low 4 bits and the packet number. */
	vg_aes128_init(&aes, keys->hp);
	vg_aes128_encrypt(&aes, packet + pn_off + 4, mask);
	packet[0] ^= mask[0] & 0x0f;
	for (i = 0; i < QUIC_PN_LEN; i++)
		packet[pn_off + i] ^= mask[1 + i];
}

void
vg_quic_handshake(struct vg_buf *out, struct vg_rng *rng,
	const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
	size_t scid_len, size_t payload_len)
{
	long_header(out, QUIC_TYPE_HANDSHAKE, dcid, dcid_len, scid, scid_len,
		QUIC_PN_LEN + payload_len + VG_GCM_TAG_LEN);

	/* Protected packet number, payload and tag all look random. */
	vg_buf_random(out, rng, QUIC_PN_LEN + payload_len + VG_GCM_TAG_LEN);
}

void
vg_quic_short(struct vg_buf *out, struct vg_rng *rng, const uint8_t *dcid,
	size_t dcid_len, size_t payload_len)
{
	uint8_t first;

	/* The fixed bit is set. Spin, key phase and length bits look random. */
	vg_rng_fill(rng, &first, 1);
	vg_buf_u8(out, (uint8_t)(0x40 | (first & 0x1f)));
	vg_buf_put(out, dcid, dcid_len);
	vg_buf_random(out, rng, QUIC_PN_LEN + payload_len + VG_GCM_TAG_LEN);
}

void
vg_quic_crypto_frame(struct vg_buf *out, const uint8_t *data, size_t len)
{
	vg_buf_u8(out, FRAME_CRYPTO);
	vg_buf_varint(out, 0);
	vg_buf_varint(out, len);
	vg_buf_put(out, data, len);
}

void
vg_quic_ack_frame(struct vg_buf *out, uint32_t largest, uint32_t delay)
{
	vg_buf_u8(out, FRAME_ACK);
	vg_buf_varint(out, largest);
	vg_buf_varint(out, delay);
	vg_buf_varint(out, 0);	/* ACK Range Count */
	vg_buf_varint(out, largest);	/* First ACK Range: 0 to largest */
}
