/*
 * The verifier's challenges (docs/sign-on.md, "Replay"): a nonce is
 *
 *	issue time (u64 BE) | counter (u64 BE) | HMAC-SHA256(key, "nonce" |
 *	those 16 bytes | device (64 bytes, NUL-padded))[0..16]
 *
 * under a key made at start: minting keeps no state per nonce (a flood of
 * NONCE_REQs costs an HMAC each and no memory), and a nonce is good only
 * for the laptop it was issued to, for ttl seconds, once. Used counters
 * are remembered until their nonce expires, in a fixed table; when it is
 * full, nonces are refused (the verifier fails closed, never forgets).
 * A restart makes a new key: every earlier nonce is refused.
 * Pure: time comes in, no system calls.
 *
 * Time never goes back here: a now earlier than the latest one seen is
 * taken as that one. A nonce's slot is freed once it has expired, so a
 * clock stepped back after that would make it fresh again and nowhere
 * remembered (a replay). The verifier gives its monotonic clock
 * (engine.h), which does not step at all; the rule holds whatever clock
 * a caller gives.
 */
#ifndef SK_AUTHD_NONCE_H
#define SK_AUTHD_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/signon_wire.h"

#define NONCE_KEY_LEN	32
#define NONCE_PROBE	32	/* slots looked at per nonce */

enum nonce_verdict {
	NONCE_OK = 0,
	NONCE_E_MAC = -1,	/* not issued by this verifier (or for this laptop) */
	NONCE_E_EXPIRED = -2,
	NONCE_E_FUTURE = -3,
	NONCE_E_USED = -4,
	NONCE_E_FULL = -5,	/* too many live nonces: refused */
};
const char *nonce_strerror(int v);

struct nonce_slot {
	uint64_t	counter;	/* 0: empty */
	int64_t		expires;
};

struct nonce_state {
	uint8_t			 key[NONCE_KEY_LEN];
	uint32_t		 ttl;
	uint64_t		 counter;
	int64_t			 latest;	/* the latest now seen */
	size_t			 mask;	/* capacity - 1, a power of two */
	struct nonce_slot	*slots;
};

/* capacity: a power of two. 0 or -ENOMEM / -EINVAL. */
int nonce_init(struct nonce_state *st, const uint8_t key[NONCE_KEY_LEN],
    uint32_t ttl, size_t capacity);
void nonce_free(struct nonce_state *st);
void nonce_mint(struct nonce_state *st, const char *device, int64_t now,
    uint8_t out[SIGNON_NONCE_LEN]);
/* Checks and, when good, marks it used: NONCE_OK or the reason. */
int nonce_use(struct nonce_state *st, const uint8_t n[SIGNON_NONCE_LEN],
    const char *device, int64_t now);

#endif
