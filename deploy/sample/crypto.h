/*
 * The few cryptographic primitives vigil-sample needs to protect QUIC v1
 * Initial packets the way RFC 9001 prescribes: SHA-256, HMAC-SHA-256,
 * HKDF (RFC 5869) with the TLS 1.3 HkdfLabel layout, AES-128 and
 * AES-128-GCM sealing.
 *
 * They exist so that the generator needs no crypto library: a DPI engine
 * such as nDPI derives the Initial keys from the destination connection ID,
 * decrypts the ClientHello and reads its SNI, so the packet must be
 * protected for real. Only encryption is implemented, and nothing here is
 * constant-time or meant for secrets.
 */
#ifndef VG_SAMPLE_CRYPTO_H
#define VG_SAMPLE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define VG_SHA256_LEN 32
#define VG_AES_BLOCK 16
#define VG_GCM_TAG_LEN 16
#define VG_GCM_IV_LEN 12

void
vg_sha256(const uint8_t *data, size_t len, uint8_t out[VG_SHA256_LEN]);

/* HMAC-SHA-256 over the concatenation of up to three message parts. */
void
vg_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *a,
	size_t a_len, const uint8_t *b, size_t b_len, const uint8_t *c,
	size_t c_len, uint8_t out[VG_SHA256_LEN]);

/* HKDF-Extract with SHA-256: out = HMAC(salt, ikm). */
void
vg_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
	size_t ikm_len, uint8_t out[VG_SHA256_LEN]);

/*
 * HKDF-Expand-Label from TLS 1.3 (RFC 8446, section 7.1) with an empty
 * context: expands secret under "tls13 " + label into out_len bytes.
 * out_len must not exceed 255 * 32 and label must be at most 249 bytes.
 */
void
vg_hkdf_expand_label(const uint8_t secret[VG_SHA256_LEN], const char *label,
	uint8_t *out, size_t out_len);

/* Expanded AES-128 encryption key: 11 round keys. */
struct vg_aes128 {
	uint8_t round_key[11][VG_AES_BLOCK];
};

void
vg_aes128_init(struct vg_aes128 *aes, const uint8_t key[16]);

/* Encrypts one block. in and out may be the same buffer. */
void
vg_aes128_encrypt(const struct vg_aes128 *aes, const uint8_t in[16],
	uint8_t out[16]);

/*
 * AES-128-GCM encryption with a 96-bit IV (NIST SP 800-38D): encrypts
 * len bytes of in into out (which may alias in), authenticating aad too,
 * and writes the 16-byte tag.
 */
void
vg_aes128_gcm_seal(const struct vg_aes128 *aes, const uint8_t iv[12],
	const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
	uint8_t *out, uint8_t tag[VG_GCM_TAG_LEN]);

#endif
