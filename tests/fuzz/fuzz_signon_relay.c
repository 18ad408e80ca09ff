/* libFuzzer: the netvm's sign-on relay (netvm/sekisho-signon/relay.h)
 * fed from both sides: the first byte picks the side (even: the work
 * link, odd: the verifier's address), whether the clock jumps and which
 * of two agents speaks (the relay's two slots). Whatever
 * the bytes: whatever goes out decodes, and a RESULT goes to the agent
 * only if it verifies under the pinned key. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netvm/sekisho-signon/relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct relay r;
static struct signon_signer dev, ver;
static int ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_peer p = { .addr = "peer", .len = 4 };
	static struct relay_ctx c = { .mode = SIGNON_MODE_REMOTE, .uplink = "wwan0",
	    .now_ms = 1, .wall_s = 1800000000 };
	struct relay_out o;
	uint8_t seed[32] = { 3 }, seal[32] = { 4 };

	if (!ready) {
		signon_signer_init(&dev, seed);
		seed[0] = 5;
		signon_signer_init(&ver, seed);
		relay_init(&r, "pc-0001", &dev, ver.pub, seal);
		ready = 1;
	}
	if (size == 0)
		return 0;
	if (data[0] & 2)
		c.now_ms += RELAY_TIMEOUT_MS;
	if (data[0] & 4)
		memcpy(p.addr, "peeR", 4);
	if (data[0] & 1)
		relay_from_verifier(&r, data + 1, size - 1, &c, &o);
	else
		relay_from_agent(&r, &p, data + 1, size - 1, &c, &o);
	if (o.dest == RELAY_TO_NONE) {
		relay_tick(&r, &c, &o);
		if (o.dest == RELAY_TO_NONE)
			return 0;
	}
	switch (signon_peek(o.buf, o.len)) {
	case SIGNON_NONCE_REQ: case SIGNON_CHALLENGE: case SIGNON_BOUND:
	case SIGNON_RELAY_ERR: case SIGNON_EVENTS_BOUND:
		break;
	case SIGNON_EVENTS_ACK:
		if (o.dest != RELAY_TO_AGENT ||
		    signon_events_ack_verify(o.buf, ver.pub) != SIGNON_OK)
			__builtin_trap();
		break;
	case SIGNON_RESULT:
		if (o.dest != RELAY_TO_AGENT ||
		    signon_result_verify(o.buf, ver.pub) != SIGNON_OK)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	return 0;
}
