/*
 * The beacon's wire format, version 1 (docs/beacon.md): a challenge from the
 * laptop, a signed answer from the beacon, and the fixed-layout message the
 * beacon signs. Exact lengths only, unknown versions, types and flag bits
 * rejected; nothing here allocates, touches a socket or a key.
 */
#ifndef SK_BEACON_WIRE_H
#define SK_BEACON_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BEACON_MAGIC		"SKB1"
#define BEACON_MAGIC_LEN	4
#define BEACON_VERSION		1
#define BEACON_TYPE_CHALLENGE	1
#define BEACON_TYPE_ANSWER	2
#define BEACON_HDR_LEN		8	/* magic, version, type, flags */
#define BEACON_NONCE_LEN	32
#define BEACON_ID_LEN		32	/* on the wire: NUL-padded ASCII */
#define BEACON_SIG_LEN		64	/* Ed25519 */
#define BEACON_PUB_LEN		32	/* Ed25519 public key */
#define BEACON_PORT		51821

/* answer: header | nonce | beacon id | time (u64 BE) | signature */
#define BEACON_ANSWER_OFF_NONCE	BEACON_HDR_LEN				/* 8 */
#define BEACON_ANSWER_OFF_ID	(BEACON_ANSWER_OFF_NONCE + BEACON_NONCE_LEN)	/* 40 */
#define BEACON_ANSWER_OFF_TIME	(BEACON_ANSWER_OFF_ID + BEACON_ID_LEN)	/* 72 */
#define BEACON_ANSWER_OFF_SIG	(BEACON_ANSWER_OFF_TIME + 8)		/* 80 */
#define BEACON_ANSWER_LEN	(BEACON_ANSWER_OFF_SIG + BEACON_SIG_LEN)	/* 144 */

/* challenge: header | nonce | zero padding, as long as the answer so that
 * the beacon never sends more bytes than it received (no amplification). */
#define BEACON_CHALLENGE_OFF_PAD	(BEACON_HDR_LEN + BEACON_NONCE_LEN)	/* 40 */
#define BEACON_CHALLENGE_LEN	BEACON_ANSWER_LEN			/* 144 */

/* The signed message: context (no NUL) | nonce | beacon id | time (u64 BE). */
#define BEACON_CONTEXT		"sekisho-beacon-v1"
#define BEACON_CONTEXT_LEN	(sizeof(BEACON_CONTEXT) - 1)		/* 17 */
#define BEACON_MSG_LEN		(BEACON_CONTEXT_LEN + BEACON_NONCE_LEN + \
				 BEACON_ID_LEN + 8)			/* 89 */

/* Every reason a packet is refused, as negative return values. */
enum beacon_err {
	BEACON_OK = 0,
	BEACON_E_LENGTH = -1,
	BEACON_E_MAGIC = -2,
	BEACON_E_VERSION = -3,
	BEACON_E_TYPE = -4,
	BEACON_E_FLAGS = -5,
	BEACON_E_ID = -6,
	BEACON_E_NONCE = -7,
	BEACON_E_NOKEYS = -8,
	BEACON_E_SIGNATURE = -9,
	BEACON_E_STALE = -10,
	BEACON_E_FUTURE = -11,
	BEACON_E_CRYPTO = -12,
	BEACON_E_SPACE = -13,
	BEACON_E_PADDING = -14,
};

/* One fixed sentence per code; "unknown error" for anything else. */
const char *beacon_strerror(int code);

struct beacon_challenge {
	uint8_t		nonce[BEACON_NONCE_LEN];
};

struct beacon_answer {
	uint8_t		nonce[BEACON_NONCE_LEN];
	char		id[BEACON_ID_LEN + 1];	/* NUL-terminated */
	uint64_t	time;			/* unix seconds */
	uint8_t		sig[BEACON_SIG_LEN];
};

/* 1 if id is 1..32 characters of [a-z0-9-], starting with [a-z0-9]. */
int beacon_id_valid(const char *id);

/* Encoders return the number of bytes written, or BEACON_E_SPACE. */
int beacon_challenge_encode(uint8_t *out, size_t outlen,
    const struct beacon_challenge *c);
int beacon_answer_encode(uint8_t *out, size_t outlen,
    const struct beacon_answer *a);

/* Decoders return BEACON_OK or the first problem found, in wire order:
 * length, magic, version, type, flags, then the padding (challenge) or the
 * beacon id (answer). */
int beacon_challenge_decode(const uint8_t *in, size_t len,
    struct beacon_challenge *c);
int beacon_answer_decode(const uint8_t *in, size_t len,
    struct beacon_answer *a);

/* Answer time minus now, saturated so that no input overflows (seconds). */
int64_t beacon_skew(uint64_t t, time_t now);

/* The exact bytes the beacon signs and the laptop verifies. The id must
 * have passed beacon_id_valid(). */
void beacon_msg(uint8_t msg[BEACON_MSG_LEN],
    const uint8_t nonce[BEACON_NONCE_LEN], const char *id, uint64_t time);

#endif
