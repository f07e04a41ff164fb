/*
 * SHA-256 (FIPS 180-4), HMAC and HKDF on top of it, AES-128 (FIPS 197)
 * and GCM (NIST SP 800-38D), written for clarity rather than speed.
 *
 * vigil-sample protects a few thousand QUIC Initial packets per run, so a
 * byte-oriented AES with an S-box computed at first use and a bitwise
 * GHASH multiplication are fast enough and easy to check against the
 * standards. The AES S-box is derived from its definition (multiplicative
 * inverse in GF(2^8) followed by the affine map) instead of a typed table.
 */
#include <string.h>

#include "crypto.h"

/* ---- SHA-256 ---------------------------------------------------------- */

struct sha256 {
	uint32_t state[8];
	uint8_t block[64];
	size_t fill;
	uint64_t total;
};

/* First 32 bits of the fractional parts of the cube roots of the primes. */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
ror32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void
sha256_init(struct sha256 *ctx)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(ctx->state, iv, sizeof(iv));
	ctx->fill = 0;
	ctx->total = 0;
}

static void
sha256_compress(uint32_t state[8], const uint8_t block[64])
{
	uint32_t w[64];
	uint32_t v[8];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)block[4 * i] << 24 |
			(uint32_t)block[4 * i + 1] << 16 |
			(uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^
			(w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^
			(w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}

	memcpy(v, state, sizeof(v));
	for (i = 0; i < 64; i++) {
		uint32_t e = v[4];
		uint32_t a = v[0];
		uint32_t s1 = ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25);
		uint32_t ch = (e & v[5]) ^ (~e & v[6]);
		uint32_t t1 = v[7] + s1 + ch + sha256_k[i] + w[i];
		uint32_t s0 = ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22);
		uint32_t maj = (a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]);

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + s0 + maj;
	}
	for (i = 0; i < 8; i++)
		state[i] += v[i];
}

static void
sha256_update(struct sha256 *ctx, const uint8_t *data, size_t len)
{
	ctx->total += len;
	while (len > 0) {
		size_t take = 64 - ctx->fill;

		if (take > len)
			take = len;
		memcpy(ctx->block + ctx->fill, data, take);
		ctx->fill += take;
		data += take;
		len -= take;
		if (ctx->fill == 64) {
			sha256_compress(ctx->state, ctx->block);
			ctx->fill = 0;
		}
	}
}

static void
sha256_final(struct sha256 *ctx, uint8_t out[VG_SHA256_LEN])
{
	uint64_t bits = ctx->total * 8;
	uint8_t pad = 0x80;
	uint8_t zero = 0;
	uint8_t length[8];
	int i;

	sha256_update(ctx, &pad, 1);
	while (ctx->fill != 56)
		sha256_update(ctx, &zero, 1);
	for (i = 0; i < 8; i++)
		length[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(ctx, length, sizeof(length));

	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(ctx->state[i] >> 24);
		out[4 * i + 1] = (uint8_t)(ctx->state[i] >> 16);
		out[4 * i + 2] = (uint8_t)(ctx->state[i] >> 8);
		out[4 * i + 3] = (uint8_t)ctx->state[i];
	}
}

void
vg_sha256(const uint8_t *data, size_t len, uint8_t out[VG_SHA256_LEN])
{
	struct sha256 ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, data, len);
	sha256_final(&ctx, out);
}

/* ---- HMAC and HKDF ----------------------------------------------------- */

void
vg_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *a,
	size_t a_len, const uint8_t *b, size_t b_len, const uint8_t *c,
	size_t c_len, uint8_t out[VG_SHA256_LEN])
{
	uint8_t block[64] = { 0 };
	uint8_t pad[64];
	uint8_t inner[VG_SHA256_LEN];
	struct sha256 ctx;
	int i;

	/* Keys longer than the block are hashed first (RFC 2104). */
	if (key_len > sizeof(block))
		vg_sha256(key, key_len, block);
	else
		memcpy(block, key, key_len);

	for (i = 0; i < 64; i++)
		pad[i] = block[i] ^ 0x36;
	sha256_init(&ctx);
	sha256_update(&ctx, pad, sizeof(pad));
	sha256_update(&ctx, a, a_len);
	sha256_update(&ctx, b, b_len);
	sha256_update(&ctx, c, c_len);
	sha256_final(&ctx, inner);

	for (i = 0; i < 64; i++)
		pad[i] = block[i] ^ 0x5c;
	sha256_init(&ctx);
	sha256_update(&ctx, pad, sizeof(pad));
	sha256_update(&ctx, inner, sizeof(inner));
	sha256_final(&ctx, out);
}

void
vg_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
	size_t ikm_len, uint8_t out[VG_SHA256_LEN])
{
	vg_hmac_sha256(salt, salt_len, ikm, ikm_len, NULL, 0, NULL, 0, out);
}

void
vg_hkdf_expand_label(const uint8_t secret[VG_SHA256_LEN], const char *label,
	uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	uint8_t info[2 + 1 + 255 + 1];
	uint8_t t[VG_SHA256_LEN];
	size_t label_len = strlen(label);
	size_t info_len = 0;
	size_t done = 0;
	uint8_t counter = 1;

	/* HkdfLabel: uint16 length, label<7..255>, context<0..255>. */
	info[info_len++] = (uint8_t)(out_len >> 8);
	info[info_len++] = (uint8_t)out_len;
	info[info_len++] = (uint8_t)(sizeof(prefix) - 1 + label_len);
	memcpy(info + info_len, prefix, sizeof(prefix) - 1);
	info_len += sizeof(prefix) - 1;
	memcpy(info + info_len, label, label_len);
	info_len += label_len;
	info[info_len++] = 0;

	/* T(n) = HMAC(PRK, T(n-1) | info | n), T(0) empty. */
	while (done < out_len) {
		size_t take = out_len - done;

		vg_hmac_sha256(secret, VG_SHA256_LEN, t, done ? sizeof(t) : 0,
			info, info_len, &counter, 1, t);
		if (take > sizeof(t))
			take = sizeof(t);
		memcpy(out + done, t, take);
		done += take;
		counter++;
	}
}

/* ---- AES-128 ----------------------------------------------------------- */

static uint8_t sbox[256];
static int sbox_ready;

/* Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
static uint8_t
gf_mul(uint8_t a, uint8_t b)
{
	uint8_t product = 0;

	while (b != 0) {
		if (b & 1)
			product ^= a;
		a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
		b >>= 1;
	}
	return product;
}

static uint8_t
rol8(uint8_t x, unsigned n)
{
	return (uint8_t)((x << n) | (x >> (8 - n)));
}

static void
sbox_build(void)
{
	int x, y;

	for (x = 0; x < 256; x++) {
		uint8_t inverse = 0;

		for (y = 1; x != 0 && y < 256; y++) {
			if (gf_mul((uint8_t)x, (uint8_t)y) == 1) {
				inverse = (uint8_t)y;
				break;
			}
		}
		sbox[x] = inverse ^ rol8(inverse, 1) ^ rol8(inverse, 2) ^
			rol8(inverse, 3) ^ rol8(inverse, 4) ^ 0x63;
	}
	sbox_ready = 1;
}

void
vg_aes128_init(struct vg_aes128 *aes, const uint8_t key[16])
{
	uint8_t *w = &aes->round_key[0][0];
	uint8_t rcon = 1;
	int i;

	if (!sbox_ready)
		sbox_build();

	/* Words are 4 bytes, and word i depends on words i - 1 and i - 4. */
	memcpy(w, key, 16);
	for (i = 4; i < 44; i++) {
		uint8_t t[4];

		memcpy(t, w + 4 * (i - 1), 4);
		if (i % 4 == 0) {
			uint8_t first = t[0];

			t[0] = sbox[t[1]] ^ rcon;
			t[1] = sbox[t[2]];
			t[2] = sbox[t[3]];
			t[3] = sbox[first];
			rcon = gf_mul(rcon, 2);
		}
		w[4 * i] = w[4 * (i - 4)] ^ t[0];
		w[4 * i + 1] = w[4 * (i - 4) + 1] ^ t[1];
		w[4 * i + 2] = w[4 * (i - 4) + 2] ^ t[2];
		w[4 * i + 3] = w[4 * (i - 4) + 3] ^ t[3];
	}
}

/* SubBytes and ShiftRows over the column-major state (byte r + 4c). */
static void
sub_shift(uint8_t s[16])
{
	uint8_t t[16];
	int r, c;

	for (c = 0; c < 4; c++)
		for (r = 0; r < 4; r++)
			t[r + 4 * c] = sbox[s[r + 4 * ((c + r) % 4)]];
	memcpy(s, t, 16);
}

static void
mix_columns(uint8_t s[16])
{
	int c;

	for (c = 0; c < 4; c++) {
		uint8_t *col = s + 4 * c;
		uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];

		col[0] = gf_mul(a0, 2) ^ gf_mul(a1, 3) ^ a2 ^ a3;
		col[1] = a0 ^ gf_mul(a1, 2) ^ gf_mul(a2, 3) ^ a3;
		col[2] = a0 ^ a1 ^ gf_mul(a2, 2) ^ gf_mul(a3, 3);
		col[3] = gf_mul(a0, 3) ^ a1 ^ a2 ^ gf_mul(a3, 2);
	}
}

static void
add_round_key(uint8_t s[16], const uint8_t key[16])
{
	int i;

	for (i = 0; i < 16; i++)
		s[i] ^= key[i];
}

void
vg_aes128_encrypt(const struct vg_aes128 *aes, const uint8_t in[16],
	uint8_t out[16])
{
	uint8_t s[16];
	int round;

	memcpy(s, in, 16);
	add_round_key(s, aes->round_key[0]);
	for (round = 1; round < 10; round++) {
		sub_shift(s);
		mix_columns(s);
		add_round_key(s, aes->round_key[round]);
	}
	sub_shift(s);
	add_round_key(s, aes->round_key[10]);
	memcpy(out, s, 16);
}

/* ---- GCM --------------------------------------------------------------- */

/*
 * x = x * h in GF(2^128) with GCM's reflected bit order: bit 0 is the most
 * significant bit of byte 0, and the reduction constant is 0xe1 || 0^120.
 */
static void
ghash_mul(uint8_t x[16], const uint8_t h[16])
{
	uint8_t z[16] = { 0 };
	uint8_t v[16];
	int i, j;

	memcpy(v, h, 16);
	for (i = 0; i < 128; i++) {
		int carry;

		if (x[i / 8] & (0x80 >> (i % 8)))
			for (j = 0; j < 16; j++)
				z[j] ^= v[j];

		carry = v[15] & 1;
		for (j = 15; j > 0; j--)
			v[j] = (uint8_t)((v[j] >> 1) | (v[j - 1] << 7));
		v[0] >>= 1;
		if (carry)
			v[0] ^= 0xe1;
	}
	memcpy(x, z, 16);
}

/* Absorbs data into the GHASH accumulator, zero-padding the last block. */
static void
ghash_update(uint8_t acc[16], const uint8_t h[16], const uint8_t *data,
	size_t len)
{
	size_t off, i;

	for (off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;

		for (i = 0; i < n; i++)
			acc[i] ^= data[off + i];
		ghash_mul(acc, h);
	}
}

static void
store_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

void
vg_aes128_gcm_seal(const struct vg_aes128 *aes, const uint8_t iv[12],
	const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
	uint8_t *out, uint8_t tag[VG_GCM_TAG_LEN])
{
	uint8_t h[16] = { 0 };
	uint8_t counter[16];
	uint8_t stream[16];
	uint8_t acc[16] = { 0 };
	uint8_t lengths[16];
	uint32_t block = 2;
	size_t off, i;

	vg_aes128_encrypt(aes, h, h);

	/* Counter block 1 (J0) masks the tag, so data starts at block 2. */
	for (off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;

		memcpy(counter, iv, 12);
		counter[12] = (uint8_t)(block >> 24);
		counter[13] = (uint8_t)(block >> 16);
		counter[14] = (uint8_t)(block >> 8);
		counter[15] = (uint8_t)block;
		vg_aes128_encrypt(aes, counter, stream);
		for (i = 0; i < n; i++)
			out[off + i] = in[off + i] ^ stream[i];
		block++;
	}

	ghash_update(acc, h, aad, aad_len);
	ghash_update(acc, h, out, len);
	store_be64(lengths, (uint64_t)aad_len * 8);
	store_be64(lengths + 8, (uint64_t)len * 8);
	ghash_update(acc, h, lengths, sizeof(lengths));

	memcpy(counter, iv, 12);
	counter[12] = 0;
	counter[13] = 0;
	counter[14] = 0;
	counter[15] = 1;
	vg_aes128_encrypt(aes, counter, stream);
	for (i = 0; i < VG_GCM_TAG_LEN; i++)
		tag[i] = acc[i] ^ stream[i];
}
