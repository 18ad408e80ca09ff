/*
 * The beacon answers' signature checker (docs/beacon.md, "Who verifies the
 * signature"): sekishod's one sekisho-beacon-verify, started once, started
 * again when it dies, asked synchronously once per answer the probe passed
 * on, once it said it is ready. sekishod itself links no libcrypto. Fail
 * closed: no helper, no ready message within BVERIFY_START_MS, a timeout
 * or a bad reply is an answer not verified (no office mode), with one log
 * line, and the helper is started afresh.
 */
#ifndef SK_SEKISHOD_BVERIFY_H
#define SK_SEKISHOD_BVERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include "lib/proto/beacon_sign.h"	/* struct beacon_keys: types only */

#define BVERIFY_TIMEOUT_MS	500	/* one check takes ~100 us */
#define BVERIFY_START_MS	3000	/* its ready message, before the first check
					 * (bverify_wire.h): its start-up, which under
					 * load takes more than a check may */

/* The helper's path; starts it. 0 or -errno (logged; a check starts it again). */
int bverify_init(const char *helper);
/* Started again when absent: 0 or -errno (logged). */
int bverify_restart(void);
/* 1 when the helper needs starting again (it exited). */
int bverify_absent(void);
/* 1 if pid was the helper's (it is forgotten), 0 if not. */
int bverify_reaped(pid_t pid);
void bverify_stop(void);

/*
 * Whether the answer's signature over (nonce, its id, its time) verifies
 * under one of keys (1..BEACON_MAX_KEYS): the index of that key, or -1
 * with *why, a fixed sentence (not verified, or no verdict from the helper).
 */
int bverify_check(const uint8_t answer[BEACON_ANSWER_LEN],
    const uint8_t nonce[BEACON_NONCE_LEN], const struct beacon_keys *keys,
    const char **why);

/*
 * beacon_verify() (lib/proto/beacon_sign.h) with the same checks in the
 * same order, all in sekishod but the signature, which bverify_check()
 * asks the helper about: the packet, the nonce against the one sekishod
 * chose (constant time), the signature, |time - now| <= window. BEACON_OK
 * with *res filled, or -1 with *why (res filled as far as understood).
 */
int bverify_answer(const uint8_t *pkt, size_t len, const uint8_t nonce[BEACON_NONCE_LEN],
    const struct beacon_keys *keys, time_t now, unsigned window,
    struct beacon_result *res, const char **why);

#endif
