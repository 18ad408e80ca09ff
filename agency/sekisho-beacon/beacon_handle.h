/*
 * The beacon's per-packet logic, with no socket and no clock of its own:
 * one datagram in, at most one signed answer out. Bounded work: a length
 * check, a fixed-size decode, two token buckets, one signature.
 */
#ifndef SK_BEACON_HANDLE_H
#define SK_BEACON_HANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/beacon_sign.h"
#include "lib/proto/beacon_wire.h"
#include "agency/sekisho-beacon/ratelimit.h"

enum beacon_verdict {
	BEACON_ANSWER = 0,
	BEACON_DROP_MALFORMED,	/* not exactly a version-1 challenge */
	BEACON_DROP_HOPS,	/* arrived with a TTL below min_ttl */
	BEACON_DROP_SOURCE,	/* the source's bucket is empty */
	BEACON_DROP_GLOBAL,	/* the global bucket is empty */
	BEACON_DROP_FAILED,	/* signing failed, or no room for the answer */
	BEACON_VERDICTS
};

struct beacon_handler {
	struct beacon_signer	*signer;
	struct ratelimit	*rl;
	char			 id[BEACON_ID_LEN + 1];
	int			 min_ttl;	/* 0: any TTL */
	uint64_t		 count[BEACON_VERDICTS];
};

/* What the socket layer knows of one datagram. */
struct beacon_src {
	uint64_t	key;	/* ratelimit_key() of its source address */
	int		ttl;	/* IP TTL or hop limit as received; -1 if unknown */
};

/*
 * in/len: the datagram as received. mono_ms: a monotonic clock for the
 * rate limiter; wall: unix seconds for the answer. out: a buffer of
 * *outlen bytes; on BEACON_ANSWER, *outlen becomes the answer's length,
 * otherwise 0. Nothing
 * but a well-formed challenge is ever signed, and then only the fixed
 * message of beacon_msg(), whose one input from the packet is the nonce.
 */
enum beacon_verdict beacon_handle(struct beacon_handler *h, const uint8_t *in,
    size_t len, const struct beacon_src *src, uint64_t mono_ms, uint64_t wall,
    uint8_t *out, size_t *outlen);

const char *beacon_verdict_name(enum beacon_verdict v);

#endif
