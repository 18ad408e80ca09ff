/* libFuzzer: what sekishod reads from its helpers' output. The verifying
 * helper's "ok serial N device D\n" (bundle_verify.c): accepted only in
 * exactly that form, for the device asked for, with a serial in range,
 * which prints back to the very same line; and its answer for a freshness
 * statement, "ok fresh serial S time T\n", the same way. sekisho-probe's lines
 * (lib/proto/probe_wire.c: probe_msg_parse): "answer" only for a beacon
 * asked about, printing back to the very same line; "none" and "fail"
 * only with the printable reason the line holds; anything else one error
 * line. Then sekishod's check of an answer (office.c: probe_answer_check)
 * against a fixed nonce and a fixed beacon key: it passes only an answer
 * carrying that nonce and that beacon's id (the seed corpus holds
 * a genuine one, "probe-answer-genuine"; the fuzzer cannot forge another). */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/encode.h"
#include "lib/proto/beacon_sign.h"
#include "lib/proto/probe_wire.h"
#include "netvm/sekishod/bundle_verify.h"
#include "netvm/sekishod/office.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's beacon: key from a fixed seed (1, 2, 3, 0...), nonce
 * 32 bytes of 0x4e. tests/fuzz/corpus/fuzz_helper_lines/probe-answer-genuine
 * is its answer, signed at unix time 1800000000. */
static struct probe_beacon asked[3] = { { "tokyo-3f", { 0 } }, { "osaka-1", { 0 } },
	{ "none", { 0 } } };
static uint8_t nonce[BEACON_NONCE_LEN];

static void
setup(void)
{
	static int done;
	struct beacon_signer s;
	uint8_t seed[BEACON_SEED_LEN] = { 1, 2, 3 };

	if (done)
		return;
	done = 1;
	memset(nonce, 0x4e, sizeof(nonce));
	if (beacon_signer_init(&s, seed, NULL) != 0)
		__builtin_trap();
	memcpy(asked[0].keys.key[0], s.pub, BEACON_PUB_LEN);
	asked[0].keys.n = 1;
	memcpy(asked[1].keys.key[0], s.pub, BEACON_PUB_LEN);
	asked[1].keys.n = 1;
	beacon_signer_free(&s);
}

static void
check_probe(const char *line)
{
	struct probe_msg m;
	struct beacon_result res;
	struct sk_error err;
	const char *why;
	char back[PROBE_LINE_MAX + 1];
	size_t n;
	int rc;

	setup();
	rc = probe_msg_parse(line, nitems(asked), &m, &err);
	if (rc != 0) {
		n = strlen(err.msg);
		if (rc != -EINVAL || n == 0 || n >= sizeof(err.msg) - 1 ||
		    strchr(err.msg, '\n') != NULL)
			__builtin_trap();
		return;
	}
	switch (m.type) {
	case PROBE_MSG_READY:
		if (strcmp(line, "ready") != 0)
			__builtin_trap();
		break;
	case PROBE_MSG_NONE:
	case PROBE_MSG_FAIL:
		if (strncmp(line, m.type == PROBE_MSG_NONE ? "none " : "fail ", 5) != 0 ||
		    m.reason != line + 5 || *m.reason == '\0')
			__builtin_trap();
		for (const char *c = m.reason; *c != '\0'; c++)
			if (*c < 0x20 || *c > 0x7e)
				__builtin_trap();
		break;
	case PROBE_MSG_ANSWER:
		if (m.index >= nitems(asked) ||
		    probe_answer_format(back, sizeof(back), m.index, m.answer) < 0)
			__builtin_trap();
		n = strlen(back);
		if (n == 0 || back[n - 1] != '\n' || strncmp(back, line, n - 1) != 0 ||
		    line[n - 1] != '\0')
			__builtin_trap();
		/* At the answer's own time, so that the window never hides a
		 * wrong verdict. */
		if (probe_answer_check(&m, asked, nitems(asked), nonce,
		    (time_t)be64_get(m.answer + BEACON_ANSWER_OFF_TIME) % ((time_t)1 << 40),
		    &res, &why) == 0 &&
		    (memcmp(m.answer + BEACON_ANSWER_OFF_NONCE, nonce,
		    sizeof(nonce)) != 0 || strcmp(res.id, asked[m.index].id) != 0 ||
		    m.index == 2))
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t device[BUNDLE_KEY_LEN] = { 1, 2, 3 };
	/* Long enough for an answer line (297 bytes), which a 256-byte
	 * buffer here used to leave unfuzzed. */
	char line[PROBE_LINE_MAX + 1], back[256], dev[KEY_B64_LEN];
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
	/* The statement's answer: only "ok fresh serial 5 time T\n" with T
	 * from 1 to 2^63-1, printing back to the very same line. */
	if (verifier_parse_fresh_ok(line, 5, &serial) == 0) {
		snprintf(back, sizeof(back), "ok fresh serial 5 time %" PRIu64 "\n", serial);
		if (serial == 0 || serial > BUNDLE_TIME_MAX || strcmp(back, line) != 0)
			__builtin_trap();
	}
	check_probe(line);
	return 0;
}
