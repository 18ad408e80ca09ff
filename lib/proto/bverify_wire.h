/*
 * sekishod <-> sekisho-beacon-verify (docs/beacon.md, "Who verifies the
 * signature"): one fixed-size request per answer the probe passed on, one
 * fixed-size reply. Pure codec, no libcrypto: sekishod links it and stays
 * free of OpenSSL; the helper does the Ed25519 work.
 *
 * Request, BVERIFY_REQ_LEN bytes:
 *	"SKV1" | n_keys (1..BEACON_MAX_KEYS) | 3 zero bytes |
 *	nonce (32, the one sekishod chose) | answer (144, raw from the probe) |
 *	keys (BEACON_MAX_KEYS x 32, unused slots zero)
 * Reply, BVERIFY_REP_LEN bytes:
 *	"SKV1" | verdict | key index (0xff unless BVERIFY_OK) | 2 zero bytes
 * Ready, BVERIFY_READY_LEN bytes, once, before the first request is read:
 *	"SKVR" | 4 zero bytes	(the helper is in its sandbox and waits)
 * sekishod sends no request before it has the ready message, so a check
 * never counts the helper's start-up against BVERIFY_TIMEOUT_MS; the
 * ready message is no reply (another magic), so it is never taken for one.
 *
 * The helper verifies the signature over the message built from sekishod's
 * nonce and the answer's id and time: it never decides on the nonce, id,
 * TTL, time window or round trip, which sekishod checks itself.
 */
#ifndef SK_BVERIFY_WIRE_H
#define SK_BVERIFY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/beacon_wire.h"

#define BVERIFY_MAGIC		"SKV1"
#define BVERIFY_MAGIC_LEN	4
#define BVERIFY_MAX_KEYS	2	/* BEACON_MAX_KEYS */
#define BVERIFY_OFF_NONCE	8
#define BVERIFY_OFF_ANSWER	(BVERIFY_OFF_NONCE + BEACON_NONCE_LEN)		/* 40 */
#define BVERIFY_OFF_KEYS	(BVERIFY_OFF_ANSWER + BEACON_ANSWER_LEN)	/* 184 */
#define BVERIFY_REQ_LEN		(BVERIFY_OFF_KEYS + BVERIFY_MAX_KEYS * BEACON_PUB_LEN) /* 248 */
#define BVERIFY_REP_LEN		8
#define BVERIFY_NO_KEY		0xff

#define BVERIFY_READY		"SKVR\0\0\0\0"
#define BVERIFY_READY_LEN	8

/* The helper's verdicts. Anything else on the wire is a bad reply. */
enum bverify_verdict {
	BVERIFY_OK = 0,		/* verifies under key index */
	BVERIFY_BAD_SIG = 1,	/* under none of the keys (or not an answer) */
	BVERIFY_CRYPTO = 2,	/* libcrypto failed */
	BVERIFY_BAD_REQ = 3,	/* the request was malformed */
	BVERIFY_MAX = BVERIFY_BAD_REQ
};

struct bverify_req {
	uint8_t		nonce[BEACON_NONCE_LEN];
	uint8_t		answer[BEACON_ANSWER_LEN];
	size_t		n_keys;
	uint8_t		keys[BVERIFY_MAX_KEYS][BEACON_PUB_LEN];
};

struct bverify_rep {
	int		verdict;	/* enum bverify_verdict */
	int		key;		/* index in the request's keys; -1 unless OK */
};

/* 0, or -EINVAL if n_keys is 0 or above BVERIFY_MAX_KEYS (nothing written). */
int bverify_req_encode(uint8_t out[BVERIFY_REQ_LEN], const struct bverify_req *r);
/* Exactly BVERIFY_REQ_LEN bytes, magic, 1..BVERIFY_MAX_KEYS keys, padding
 * and unused key slots zero: 0 and *r, else -EINVAL. */
int bverify_req_decode(const uint8_t *in, size_t len, struct bverify_req *r);
/* 0, or -EINVAL for a verdict out of range or an OK without a key below
 * BVERIFY_MAX_KEYS. */
int bverify_rep_encode(uint8_t out[BVERIFY_REP_LEN], const struct bverify_rep *r);
/* Exactly BVERIFY_REP_LEN bytes, magic, a known verdict, key index below
 * n_keys for OK and BVERIFY_NO_KEY otherwise, padding zero: 0 and *r,
 * else -EINVAL. */
int bverify_rep_decode(const uint8_t *in, size_t len, size_t n_keys,
    struct bverify_rep *r);
/* 1 if these len bytes are exactly the ready message, else 0. */
int bverify_ready_is(const uint8_t *in, size_t len);

#endif
