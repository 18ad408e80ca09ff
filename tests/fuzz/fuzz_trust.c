/* libFuzzer: the files a netvm trusts before any bundle (netvm/sekishod/
 * trust.c: agency keys, the device key) and the serial store
 * (policy/serial.c). Whatever the bytes: one error line, or keys within
 * bounds, each the base64 of a line of the input; a serial that prints
 * back to the very same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <inttypes.h>

#include "lib/encode.h"
#include "netvm/sekishod/trust.h"
#include "policy/serial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(const struct sk_error *err)
{
	size_t n = strlen(err->msg);

	if (n == 0 || n >= sizeof(err->msg) - 1 || strchr(err->msg, '\n') != NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t keys[BUNDLE_MAX_KEYS][BUNDLE_KEY_LEN];
	char b64[KEY_B64_LEN], back[64];
	struct sk_error err;
	uint64_t serial;
	size_t n = 0, max = size > 0 ? (size_t)(data[0] % BUNDLE_MAX_KEYS) + 1 : 1;

	if (trust_parse_keys("f", "a key", (const char *)data, size, keys, max,
	    &n, &err) != 0)
		one_line(&err);
	else {
		if (n < 1 || n > max)
			__builtin_trap();
		for (size_t i = 0; i < n; i++) {
			key_to_b64(b64, keys[i]);
			if (memmem(data, size, b64, KEY_B64_LEN - 1) == NULL)
				__builtin_trap();
		}
	}
	if (serial_store_parse("s", (const char *)data, size, &serial, &err) != 0)
		one_line(&err);
	else if ((size_t)snprintf(back, sizeof(back), SERIAL_STORE_MAGIC "%" PRIu64 "\n",
	    serial) != size || memcmp(back, data, size) != 0)
		__builtin_trap();
	return 0;
}
