#include "lib/encode.h"

#include <errno.h>
#include <string.h>

/* Masks come from arithmetic shifts of signed differences: all ones when a
 * range test holds, zero otherwise; no data-dependent branch or lookup. */
static char
b64_char(unsigned int v)
{
	int x = (int)v;

	return (char)(x + 'A' + (((25 - x) >> 8) & 6) - (((51 - x) >> 8) & 75) -
	    (((61 - x) >> 8) & 15) + (((62 - x) >> 8) & 3));
}

/* Returns the 6-bit value of c, or -1 when c is not in the alphabet. */
static int
b64_value(char ch)
{
	int c = (unsigned char)ch, ret = -1;

	ret += (((('A' - 1) - c) & (c - ('Z' + 1))) >> 8) & (c - 'A' + 1);
	ret += (((('a' - 1) - c) & (c - ('z' + 1))) >> 8) & (c - 'a' + 26 + 1);
	ret += (((('0' - 1) - c) & (c - ('9' + 1))) >> 8) & (c - '0' + 52 + 1);
	ret += (((('+' - 1) - c) & (c - ('+' + 1))) >> 8) & 63;
	ret += (((('/' - 1) - c) & (c - ('/' + 1))) >> 8) & 64;
	return ret;
}

size_t
b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

int
b64_encode(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t i, o = 0;

	if (dstlen < b64_len(n) + 1)
		return -ENOSPC;
	for (i = 0; i + 3 <= n; i += 3) {
		unsigned int v = (unsigned)src[i] << 16 | (unsigned)src[i + 1] << 8 | src[i + 2];
		dst[o++] = b64_char(v >> 18 & 63);
		dst[o++] = b64_char(v >> 12 & 63);
		dst[o++] = b64_char(v >> 6 & 63);
		dst[o++] = b64_char(v & 63);
	}
	if (n - i == 1) {
		unsigned int v = (unsigned)src[i] << 16;
		dst[o++] = b64_char(v >> 18 & 63);
		dst[o++] = b64_char(v >> 12 & 63);
		dst[o++] = '=';
		dst[o++] = '=';
	} else if (n - i == 2) {
		unsigned int v = (unsigned)src[i] << 16 | (unsigned)src[i + 1] << 8;
		dst[o++] = b64_char(v >> 18 & 63);
		dst[o++] = b64_char(v >> 12 & 63);
		dst[o++] = b64_char(v >> 6 & 63);
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return 0;
}

int
b64_decode(uint8_t *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i, o = 0, pad = 0, need;
	int bad = 0;

	if (srclen % 4 != 0)
		return -EINVAL;
	if (srclen >= 1 && src[srclen - 1] == '=')
		pad++;
	if (srclen >= 2 && src[srclen - 2] == '=')
		pad++;
	need = srclen / 4 * 3 - pad;
	if (need > dstlen)
		return -ENOSPC;
	for (i = 0; i < srclen; i += 4) {
		int last = i + 4 == srclen;
		int a = b64_value(src[i]), b = b64_value(src[i + 1]);
		int c = last && pad == 2 ? 0 : b64_value(src[i + 2]);
		int d = last && pad >= 1 ? 0 : b64_value(src[i + 3]);
		unsigned int v;

		bad |= (a | b | c | d) < 0;
		v = (unsigned)(a & 63) << 18 | (unsigned)(b & 63) << 12 |
		    (unsigned)(c & 63) << 6 | (unsigned)(d & 63);
		dst[o++] = (uint8_t)(v >> 16);
		if (o < need)
			dst[o++] = (uint8_t)(v >> 8);
		else
			bad |= (v >> 8 & 0xff) != 0;	/* non-canonical */
		if (o < need)
			dst[o++] = (uint8_t)v;
		else if (!(last && pad == 2))
			bad |= (v & 0xff) != 0;
	}
	if (bad) {
		memset(dst, 0, need);
		return -EINVAL;
	}
	return (int)need;
}

int
hex_encode(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t i;

	if (dstlen < 2 * n + 1)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		int hi = src[i] >> 4, lo = src[i] & 15;
		/* 87 = 'a' - 10; 48 = '0'; choose by mask, not by branch. */
		dst[2 * i] = (char)(87 + hi + (((hi - 10) >> 8) & ~38));
		dst[2 * i + 1] = (char)(87 + lo + (((lo - 10) >> 8) & ~38));
	}
	dst[2 * n] = '\0';
	return 0;
}

static int
hex_value(char ch)
{
	int c = (unsigned char)ch, ret = -1;

	ret += (((('0' - 1) - c) & (c - ('9' + 1))) >> 8) & (c - '0' + 1);
	ret += (((('a' - 1) - c) & (c - ('f' + 1))) >> 8) & (c - 'a' + 10 + 1);
	ret += (((('A' - 1) - c) & (c - ('F' + 1))) >> 8) & (c - 'A' + 10 + 1);
	return ret;
}

int
hex_decode(uint8_t *dst, size_t n, const char *src, size_t srclen)
{
	size_t i;
	int bad = 0;

	if (srclen != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int hi = hex_value(src[2 * i]), lo = hex_value(src[2 * i + 1]);

		bad |= (hi | lo) < 0;
		dst[i] = (uint8_t)((hi & 15) << 4 | (lo & 15));
	}
	if (bad) {
		memset(dst, 0, n);
		return -EINVAL;
	}
	return 0;
}

int
key_from_b64(uint8_t key[KEY_LEN], const char *b64)
{
	size_t len = strnlen(b64, KEY_B64_LEN);

	if (len != KEY_B64_LEN - 1 || b64[len - 1] != '=' || b64[len - 2] == '=')
		return -EINVAL;
	return b64_decode(key, KEY_LEN, b64, len) == KEY_LEN ? 0 : -EINVAL;
}

void
key_to_b64(char b64[KEY_B64_LEN], const uint8_t key[KEY_LEN])
{
	(void)b64_encode(b64, KEY_B64_LEN, key, KEY_LEN);
}

void
key_to_hex(char hex[KEY_HEX_LEN], const uint8_t key[KEY_LEN])
{
	(void)hex_encode(hex, KEY_HEX_LEN, key, KEY_LEN);
}

int
key_from_hex(uint8_t key[KEY_LEN], const char *hex)
{
	return hex_decode(key, KEY_LEN, hex, strnlen(hex, KEY_HEX_LEN));
}

int
ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= x[i] ^ y[i];
	return acc == 0;
}

int
key_is_zero(const uint8_t key[KEY_LEN])
{
	static const uint8_t zero[KEY_LEN];

	return ct_equal(key, zero, KEY_LEN);
}
