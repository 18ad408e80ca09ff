/* Constant-time base64 and hex: key material passes through these, so no
 * branch or table index depends on the bytes being encoded or decoded. */
#ifndef SK_ENCODE_H
#define SK_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#define KEY_LEN		32
#define KEY_B64_LEN	45	/* 44 characters and the NUL */
#define KEY_HEX_LEN	65	/* 64 characters and the NUL */

/* Characters needed for n bytes, without the NUL. */
size_t b64_len(size_t n);
/* Writes a NUL-terminated encoding; -ENOSPC if dst is too small. */
int b64_encode(char *dst, size_t dstlen, const uint8_t *src, size_t n);
/* Decodes exactly srclen characters (padded, canonical); returns the number
 * of bytes written, -EINVAL on any malformed input, -ENOSPC if too long. */
int b64_decode(uint8_t *dst, size_t dstlen, const char *src, size_t srclen);

int hex_encode(char *dst, size_t dstlen, const uint8_t *src, size_t n);
/* Decodes exactly 2*n characters into n bytes; -EINVAL otherwise. */
int hex_decode(uint8_t *dst, size_t n, const char *src, size_t srclen);

/* A 32-byte key from its 44-character base64 form; -EINVAL otherwise. */
int key_from_b64(uint8_t key[KEY_LEN], const char *b64);
void key_to_b64(char b64[KEY_B64_LEN], const uint8_t key[KEY_LEN]);
void key_to_hex(char hex[KEY_HEX_LEN], const uint8_t key[KEY_LEN]);
int key_from_hex(uint8_t key[KEY_LEN], const char *hex);
/* Constant-time comparison of n bytes: 1 if equal. */
int ct_equal(const void *a, const void *b, size_t n);
int key_is_zero(const uint8_t key[KEY_LEN]);

/* Big-endian (network order) integers in wire formats. */
static inline uint16_t
be16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
be64_get(const uint8_t *p)
{
	return (uint64_t)be32_get(p) << 32 | be32_get(p + 4);
}

static inline void
be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}

#endif
