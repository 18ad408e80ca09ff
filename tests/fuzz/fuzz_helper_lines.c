/* libFuzzer: what sekishod reads from its helpers' output. The verifying
 * helper's "ok serial N device D\n" (bundle_verify.c): accepted only in
 * exactly that form, for the device asked for, with a serial in range,
 * which prints back to the very same line. sekisho-probe's verdict
 * (office.c: probe_answer_parse): "ok" only for a beacon asked about and
 * one of its keys, printing back to the very same line; "fail" only with
 * the printable reason the line holds; anything else one error line. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/encode.h"
#include "netvm/sekishod/bundle_verify.h"
#include "netvm/sekishod/office.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_probe(const char *line)
{
	static const struct probe_beacon asked[] = {
		{ "tokyo-3f", 2 }, { "osaka-1", 1 }, { "none", 0 },
	};
	struct probe_answer a;
	struct sk_error err;
	char back[256];
	size_t i, n;
	int rc;

	rc = probe_answer_parse(line, asked, nitems(asked), &a, &err);
	if (rc == 1) {
		for (i = 0; i < nitems(asked) && strcmp(asked[i].id, a.id) != 0; i++)
			;
		snprintf(back, sizeof(back), "ok %s %u %" PRIu32, a.id, a.key, a.rtt_ms);
		if (i == nitems(asked) || a.key >= asked[i].n_keys || strcmp(back, line) != 0)
			__builtin_trap();
	} else if (rc == 0) {
		if (strncmp(line, "fail ", 5) != 0 || a.reason != line + 5 || *a.reason == '\0')
			__builtin_trap();
		for (const char *c = a.reason; *c != '\0'; c++)
			if (*c < 0x20 || *c > 0x7e)
				__builtin_trap();
	} else {
		n = strlen(err.msg);
		if (rc != -EINVAL || n == 0 || n >= sizeof(err.msg) - 1 ||
		    strchr(err.msg, '\n') != NULL)
			__builtin_trap();
	}
}

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
	check_probe(line);
	return 0;
}
