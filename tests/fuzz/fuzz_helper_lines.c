/* libFuzzer: what sekishod reads from its helpers' output. The verifying
 * helper's "ok serial N device D\n" (bundle_verify.c): accepted only in
 * exactly that form, for the device asked for, with a serial in range,
 * which prints back to the very same line. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/encode.h"
#include "netvm/sekishod/bundle_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t device[BUNDLE_KEY_LEN] = { 1, 2, 3 };
	char line[256], back[256], dev[KEY_B64_LEN];
	uint64_t serial;

	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (verifier_parse_ok(line, device, &serial) == 0) {
		key_to_b64(dev, device);
		snprintf(back, sizeof(back), "ok serial %" PRIu64 " device %s\n", serial, dev);
		if (serial == 0 || serial > BUNDLE_SERIAL_MAX || strcmp(back, line) != 0)
			__builtin_trap();
	}
	return 0;
}
