/* libFuzzer: the beacon's decoders, the laptop's verification and the
 * daemon's packet handler, with the invariants that make the beacon no
 * signing oracle: it answers nothing but an exact version-1 challenge, the
 * answer verifies for that challenge's nonce, and it is never longer than
 * the datagram that asked for it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agency/sekisho-beacon/beacon_handle.h"
#include "lib/proto/beacon_sign.h"
#include "lib/proto/beacon_wire.h"
#include "agency/sekisho-beacon/ratelimit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WALL	UINT64_C(1767225600)

static struct beacon_signer signer;
static struct beacon_keys pinned;
static struct ratelimit rl;
static struct beacon_handler h;

static void
init(void)
{
	static const uint64_t secret[2] = { 1, 2 };
	uint8_t seed[BEACON_SEED_LEN];

	memset(seed, 0x5a, sizeof(seed));
	if (beacon_signer_init(&signer, seed, NULL) < 0)
		__builtin_trap();
	pinned.n = 1;
	memcpy(pinned.key[0], signer.pub, BEACON_PUB_LEN);
	ratelimit_init(&rl, (struct rl_rate){ 50, 100 }, (struct rl_rate){ 200, 400 },
	    secret, 0);
	h.signer = &signer;
	h.rl = &rl;
	strcpy(h.id, "fuzz-beacon");
	h.min_ttl = 255;
}

/* A decoded answer encodes back to the very same bytes. */
static void
check_decoders(const uint8_t *p, size_t n)
{
	struct beacon_challenge c;
	struct beacon_answer a;
	uint8_t back[BEACON_ANSWER_LEN];

	if (beacon_challenge_decode(p, n, &c) == BEACON_OK &&
	    (beacon_challenge_encode(back, sizeof(back), &c) != (int)n ||
	    memcmp(back, p, n) != 0))
		__builtin_trap();
	if (beacon_answer_decode(p, n, &a) == BEACON_OK &&
	    (beacon_answer_encode(back, sizeof(back), &a) != (int)n ||
	    memcmp(back, p, n) != 0 || !beacon_id_valid(a.id)))
		__builtin_trap();
}

static void
check_verify(const uint8_t *p, size_t n)
{
	uint8_t nonce[BEACON_NONCE_LEN] = { 0 };
	struct beacon_result r;
	int rc;

	if (n >= BEACON_HDR_LEN + BEACON_NONCE_LEN)
		memcpy(nonce, p + BEACON_HDR_LEN, BEACON_NONCE_LEN);
	rc = beacon_verify(p, n, nonce, &pinned, (time_t)WALL, BEACON_WINDOW, &r);
	if (rc > 0 || rc < BEACON_E_PADDING || strlen(r.id) > BEACON_ID_LEN ||
	    (rc == BEACON_OK && r.key != 0))
		__builtin_trap();
}

static void
check_handle(const uint8_t *p, size_t n)
{
	static uint64_t calls;
	struct beacon_src src = { calls % 5, calls % 3 ? 255 : 254 };
	struct beacon_challenge c;
	uint8_t out[BEACON_ANSWER_LEN + 16];
	size_t outlen = sizeof(out);
	enum beacon_verdict v;
	int wellformed = beacon_challenge_decode(p, n, &c) == BEACON_OK;

	calls++;
	v = beacon_handle(&h, p, n, &src, calls * 3, WALL, out, &outlen);
	if (v >= BEACON_VERDICTS || (v != BEACON_ANSWER && outlen != 0))
		__builtin_trap();
	if (!wellformed && v != BEACON_DROP_MALFORMED)
		__builtin_trap();
	if (v == BEACON_ANSWER && (!wellformed || outlen != BEACON_ANSWER_LEN ||
	    outlen > n || beacon_verify(out, outlen, c.nonce, &pinned,
	    (time_t)WALL, 0, NULL) != BEACON_OK))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	uint8_t *copy;

	if (!initialised) {
		init();
		initialised = 1;
	}
	/* An exact-size copy so that any over-read is caught. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	check_decoders(copy, size);
	check_verify(copy, size);
	check_handle(copy, size);
	free(copy);
	return 0;
}
