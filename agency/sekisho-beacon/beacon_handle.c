#include "agency/sekisho-beacon/beacon_handle.h"

#include <string.h>

static const char *const verdict_names[BEACON_VERDICTS] = {
	[BEACON_ANSWER] = "answered",
	[BEACON_DROP_MALFORMED] = "malformed",
	[BEACON_DROP_HOPS] = "off-link",
	[BEACON_DROP_SOURCE] = "source-limited",
	[BEACON_DROP_GLOBAL] = "global-limited",
	[BEACON_DROP_FAILED] = "sign-failed",
};

const char *
beacon_verdict_name(enum beacon_verdict v)
{
	return (unsigned)v < BEACON_VERDICTS ? verdict_names[v] : "unknown";
}

static enum beacon_verdict
decide(struct beacon_handler *h, const uint8_t *in, size_t len,
    const struct beacon_src *src, uint64_t mono_ms, uint64_t wall,
    uint8_t *out, size_t *outlen)
{
	struct beacon_challenge c;
	struct beacon_answer a;
	int n;

	if (beacon_challenge_decode(in, len, &c) != BEACON_OK)
		return BEACON_DROP_MALFORMED;
	if (*outlen < BEACON_ANSWER_LEN)
		return BEACON_DROP_FAILED;	/* the caller's buffer: never */
	if (h->min_ttl > 0 && src->ttl < h->min_ttl)
		return BEACON_DROP_HOPS;
	switch (ratelimit_take(h->rl, src->key, mono_ms)) {
	case RL_PASS:
		break;
	case RL_SOURCE:
		return BEACON_DROP_SOURCE;
	case RL_GLOBAL:
		return BEACON_DROP_GLOBAL;
	}
	if (beacon_sign_answer(h->signer, c.nonce, h->id, wall, &a) != BEACON_OK)
		return BEACON_DROP_FAILED;
	if ((n = beacon_answer_encode(out, *outlen, &a)) != BEACON_ANSWER_LEN)
		return BEACON_DROP_FAILED;
	*outlen = (size_t)n;
	return BEACON_ANSWER;
}

enum beacon_verdict
beacon_handle(struct beacon_handler *h, const uint8_t *in, size_t len,
    const struct beacon_src *src, uint64_t mono_ms, uint64_t wall,
    uint8_t *out, size_t *outlen)
{
	enum beacon_verdict v;

	v = decide(h, in, len, src, mono_ms, wall, out, outlen);
	h->count[v]++;
	if (v != BEACON_ANSWER)
		*outlen = 0;
	return v;
}
