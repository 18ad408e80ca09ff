/* libFuzzer: lib/encode's decoders (base64, hex, keys in either form).
 * Whatever the characters: refused, or decoded to bytes that encode back
 * to the very same characters (base64 is canonical; hex is read in
 * either case). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint8_t bin[4096], key[KEY_LEN];
	char back[8200], k64[KEY_B64_LEN], khex[KEY_HEX_LEN], z[KEY_HEX_LEN + 1];
	int n;

	if (size > 4096)
		return 0;
	n = b64_decode(bin, sizeof(bin), s, size);
	if (n >= 0) {
		if (b64_encode(back, sizeof(back), bin, (size_t)n) != 0 ||
		    strlen(back) != size || memcmp(back, s, size) != 0)
			__builtin_trap();
	} else if (n != -EINVAL && n != -ENOSPC)
		__builtin_trap();
	/* Hex is read in either case and written in lower case. */
	if (size % 2 == 0 && hex_decode(bin, size / 2, s, size) == 0) {
		if (hex_encode(back, sizeof(back), bin, size / 2) != 0 ||
		    strlen(back) != size || strncasecmp(back, s, size) != 0)
			__builtin_trap();
	}
	/* The key forms read NUL-terminated strings. */
	if (size <= KEY_HEX_LEN) {
		memcpy(z, s, size);
		z[size] = '\0';
		if (key_from_b64(key, z) == 0) {
			key_to_b64(k64, key);
			if (strcmp(k64, z) != 0)
				__builtin_trap();
		}
		if (key_from_hex(key, z) == 0) {
			key_to_hex(khex, key);
			if (strcasecmp(khex, z) != 0)
				__builtin_trap();
		}
	}
	return 0;
}
