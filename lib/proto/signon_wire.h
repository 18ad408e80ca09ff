/*
 * Sign-on, version 1 (docs/sign-on.md): the messages between the agent in
 * the work partition, the netvm's relay (netvm/sekisho-signon) and the
 * agency's verifier (agency/sekisho-authd). UDP, one message per datagram,
 * every message of one fixed length; nothing optional, nothing may follow.
 * Exact lengths, unknown versions, types, flag bits, enum values and
 * non-zero reserved bytes are refused; text fields are NUL-padded with
 * exactly one encoding. Nothing here allocates, touches a socket or a key
 * (the cryptography is lib/proto/signon_crypto.h).
 *
 * The layout of a message never changes within a version: a change is
 * SIGNON_VERSION 2 and new decoders beside these.
 *
 *   agent                relay (netvm)                 verifier (agency)
 *     HELLO       ->       NONCE_REQ (+device)   ->
 *                 <-       CHALLENGE (seal key   <-    CHALLENGE
 *                           set from the policy)
 *     REQUEST     ->       BOUND (+device, mode,  ->
 *                           uplink, time, signed
 *                           with the device key)
 *                 <-       RESULT (checked        <-   RESULT (signed with
 *                           against the pin)            the verifier's key)
 *                 <-       RELAY_ERR (the relay's own failures: unsigned)
 *
 * Ports: the relay listens on the netvm's work-link address, port
 * SIGNON_AGENT_PORT; the verifier on SIGNON_PORT.
 *
 * Byte offsets (integers big-endian):
 *
 * header (every message)    0 magic "SKS1" | 4 version (1) | 5 type |
 *                           6 flags (0) | 7 reserved (0)                  8
 * HELLO      (1) agent->relay       8 zero                               88
 * NONCE_REQ  (2) relay->verifier    8 device | 72 zero                   88
 * CHALLENGE  (3) verifier->relay->agent
 *                8 nonce | 40 time | 48 valid_s u32 | 52 presence factor |
 *                53 presence period (s) | 54 zero[2] |
 *                56 seal key (X25519 public key of the verifier)         88
 * REQUEST    (4) agent->relay
 *                8 op | 9 factor | 10 match | 11 zero[5] | 16 nonce | 48 card id |
 *                112 staff id | 176 card signature (r|s) |
 *                240 ephemeral X25519 key | 272 sealed secret |
 *                400 AEAD tag                                           416
 * BOUND      (5) relay->verifier
 *                8 REQUEST (all 416 bytes, its header included) |
 *                424 device | 488 mode | 489 zero[7] | 496 uplink |
 *                512 time | 520 device signature (Ed25519)              584
 * RESULT     (6) verifier->relay->agent
 *                8 nonce | 40 op | 41 factor | 42 result | 43 tries left |
 *                44 lifetime u32 | 48 staff id | 112 device | 176 time |
 *                184 verifier signature (Ed25519)                       248
 * RELAY_ERR  (7) relay->agent
 *                8 nonce (zero if none yet) | 40 code | 41 zero[7]       48
 *
 * The presence bytes are the relay's, from the policy's presence block
 * (docs/agent.md "Lock and presence"), like the seal key: the verifier
 * sends zeros there. Factor SIGNON_PRES_NONE with period 0, or CARD or
 * FACE with a period of SIGNON_PRES_MIN..MAX seconds; the agent keeps
 * them with the session it opens and its watch re-verifies by them.
 *
 * No request is answered with more bytes than it carried (HELLO 88 ->
 * CHALLENGE 88, NONCE_REQ 88 -> CHALLENGE 88, BOUND 584 -> RESULT 248).
 *
 * Audit events (issue 15, docs/agent.md "Audit outbox"): appended to
 * version 1 as types 8..10, whose layouts are as fixed as the others'. An
 * older peer refuses them as unknown types (SIGNON_E_TYPE) and they are
 * retried, so nothing is lost by a peer that does not know them yet.
 *
 *   agent                relay (netvm)                 verifier (agency)
 *     EVENTS      ->       EVENTS_BOUND (+device, ->
 *                           mode, uplink, time,
 *                           signed with the device key)
 *                 <-       EVENTS_ACK (checked    <-   EVENTS_ACK (signed)
 *                           against the batch)
 *
 * No nonce: an event's identity is (device, outbox id, seq); the verifier
 * stores only seqs above the last it stored for the device's outbox, in
 * the transaction that inserts them, so a replayed or repeated batch
 * stores nothing. The outbox id is random, made with the outbox: a laptop
 * whose disk was lost starts a new outbox at seq 1 under a new id, and
 * its events are stored, not taken for the old outbox's.
 *
 * EVENTS     (8) agent->relay
 *                8 first seq u64 | 16 count u8 (1..12) | 17 zero[7] |
 *                24 outbox id u64 (not 0) |
 *                32 event[12] (80 bytes each; unused ones all zero)      992
 *   event        0 time u64 (the laptop's clock) | 8 kind | 9 reason |
 *                10 zero[6] | 16 staff id (NUL-padded, may be empty)     80
 * EVENTS_BOUND (9) relay->verifier
 *                8 EVENTS (all 992 bytes) | 1000 device | 1064 mode |
 *                1065 zero[7] | 1072 uplink | 1088 time |
 *                1096 device signature (Ed25519)                       1160
 * EVENTS_ACK (10) verifier->relay->agent
 *                8 device | 72 first seq u64 | 80 count u8 | 81 result |
 *                82 zero[6] | 88 stored through u64 (the highest seq the
 *                verifier holds for the device's outbox) | 96 time |
 *                104 outbox id u64 | 112 verifier signature (Ed25519)     176
 */
#ifndef SK_SIGNON_WIRE_H
#define SK_SIGNON_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define SIGNON_MAGIC		"SKS1"
#define SIGNON_MAGIC_LEN	4
#define SIGNON_VERSION		1
#define SIGNON_HDR_LEN		8
#define SIGNON_PORT		51831	/* the verifier, agency side */
#define SIGNON_AGENT_PORT	51832	/* the relay, on the work link */

enum signon_type {
	SIGNON_HELLO = 1,
	SIGNON_NONCE_REQ = 2,
	SIGNON_CHALLENGE = 3,
	SIGNON_REQUEST = 4,
	SIGNON_BOUND = 5,
	SIGNON_RESULT = 6,
	SIGNON_RELAY_ERR = 7,
	SIGNON_EVENTS = 8,
	SIGNON_EVENTS_BOUND = 9,
	SIGNON_EVENTS_ACK = 10,
};

#define SIGNON_NONCE_LEN	32	/* opaque to the agent and the relay */
#define SIGNON_DEVICE_LEN	64	/* registry device name, NUL-padded */
#define SIGNON_CARD_LEN		64	/* card id as the registry has it */
#define SIGNON_STAFF_LEN	64	/* staff id */
#define SIGNON_UPLINK_LEN	16	/* interface name (IFNAMSIZ) */
#define SIGNON_CARDSIG_LEN	64	/* ECDSA P-256 r|s, 32 bytes each */
#define SIGNON_X25519_LEN	32
#define SIGNON_ED25519_LEN	32
#define SIGNON_SIG_LEN		64	/* Ed25519 */
#define SIGNON_TAG_LEN		16	/* ChaCha20-Poly1305 */

/* The sealed secret's plaintext: PIN (NUL-padded) | code (NUL-padded). */
#define SIGNON_PIN_MAX		64
#define SIGNON_CODE_MAX		64
#define SIGNON_SECRET_LEN	(SIGNON_PIN_MAX + SIGNON_CODE_MAX)	/* 128 */

#define SIGNON_HELLO_LEN	88
#define SIGNON_NONCE_REQ_LEN	88
#define SIGNON_CHALLENGE_LEN	88
#define SIGNON_REQUEST_LEN	416
#define SIGNON_BOUND_LEN	584
#define SIGNON_RESULT_LEN	248
#define SIGNON_RELAY_ERR_LEN	48
#define SIGNON_EV_MAX		12	/* events per EVENTS */
#define SIGNON_EV_LEN		80
/* The most events an agent's outbox can hold undelivered (its file is
 * read up to 64 MiB, guestagent/sekisho-agent/outbox.c, and an event's
 * line is at least 8 bytes): no true gap in an outbox's seqs is wider, so
 * the verifier refuses a batch that would jump further past the seq it
 * holds (a sender that knows the outbox id cannot push the seq so far on
 * that the agent's own events are taken for ones already stored). */
#define SIGNON_EV_OUTBOX_MAX	(1u << 23)
#define SIGNON_EVENTS_LEN	(32 + SIGNON_EV_MAX * SIGNON_EV_LEN)	/* 992 */
#define SIGNON_EVENTS_BOUND_LEN	1160
#define SIGNON_EVENTS_ACK_LEN	176
#define SIGNON_EVB_OFF_SIG	1096
#define SIGNON_EVA_OFF_SIG	112
#define SIGNON_MAX_LEN		SIGNON_EVENTS_BOUND_LEN

/* REQUEST offsets, for the AEAD's associated data and the signatures. */
#define SIGNON_REQ_OFF_NONCE	16
#define SIGNON_REQ_OFF_CARD	48
#define SIGNON_REQ_OFF_STAFF	112
#define SIGNON_REQ_OFF_CARDSIG	176
#define SIGNON_REQ_OFF_EPH	240
#define SIGNON_REQ_OFF_SEALED	272
#define SIGNON_REQ_OFF_TAG	400
#define SIGNON_REQ_AD_LEN	SIGNON_REQ_OFF_EPH	/* 240: sealed under AD = bytes 0..240 */
/* BOUND and RESULT: the signature covers a context string and the bytes
 * before the signature. */
#define SIGNON_BOUND_OFF_SIG	520
#define SIGNON_RESULT_OFF_SIG	184

/* What the user does (op), and with what (factor). */
enum signon_op {
	SIGNON_OP_SIGNON = 1,	/* opens stage 2 on success */
	SIGNON_OP_SIGNOFF = 2,	/* closes it; factor NONE */
	SIGNON_OP_LOCK = 3,	/* screen locked: recorded; factor NONE */
	SIGNON_OP_UNLOCK = 4,	/* unlocked: a factor is checked as for SIGNON */
	SIGNON_OP_PIN_REFUSED = 5,	/* a keyed card refused the PIN typed
					 * into it (VERIFY: 63Cx): a failure of
					 * the card's user, counted by the
					 * verifier; factor CARD_KEY, the card
					 * id, no signature (appended in
					 * version 1: an older verifier drops
					 * it as malformed) */
	SIGNON_OP_HANDOVER = 6,	/* a shared terminal, locked: another user's
				 * factor (as for SIGNON) moves the laptop's
				 * session from the user signed on to them.
				 * Appended in version 1: the layout is the
				 * same, a verifier that does not know it
				 * refuses it as an unknown op */
};
#define SIGNON_OP_MAX		6

enum signon_factor {
	SIGNON_F_NONE = 0,	/* sign-off and lock only */
	SIGNON_F_CARD_PIN = 1,	/* card id + PIN (sealed) */
	SIGNON_F_CARD_KEY = 2,	/* card id + the card's signature of the
				 * challenge (signon_card_digest) */
	SIGNON_F_CODE_PIN = 3,	/* staff id + emergency code + PIN (sealed) */
	SIGNON_F_BIOMETRIC = 4,	/* staff id + the work partition's match */
	SIGNON_F_BIO_PIN = 5,	/* staff id + the match + PIN (sealed): face
				 * or finger + PIN (a shared counter's
				 * switch); appended in version 1 */
};
#define SIGNON_F_MAX		5

/* BIOMETRIC's match (byte 10 of a REQUEST; 0 for every other factor): the
 * work partition's sensor matched the user's enrolled finger or not. A
 * non-match is reported too: it counts towards the user's lockout. */
#define SIGNON_MATCH_YES	1
#define SIGNON_MATCH_NO		2

/* The verifier's answer. */
enum signon_result {
	SIGNON_R_OK = 0,
	SIGNON_R_WRONG_PIN = 1,		/* tries left in tries_left */
	SIGNON_R_LOCKED = 2,		/* until IT resets the user */
	SIGNON_R_UNKNOWN_CARD = 3,
	SIGNON_R_UNKNOWN_USER = 4,
	SIGNON_R_CODE_USED = 5,
	SIGNON_R_CODE_EXPIRED = 6,
	SIGNON_R_CODE_INVALID = 7,	/* not a code, or not this user's */
	SIGNON_R_FACTOR_REFUSED = 8,	/* not allowed for this user */
	SIGNON_R_CARD_SIG = 9,		/* the card's signature did not verify */
	SIGNON_R_REPLAY = 10,		/* nonce used, expired or not ours */
	SIGNON_R_DEVICE = 11,		/* unknown or revoked laptop, or its
					 * signature did not verify */
	SIGNON_R_DISABLED = 12,
	SIGNON_R_MALFORMED = 13,	/* e.g. the sealed secret did not open */
	SIGNON_R_INTERNAL = 14,		/* the verifier's own failure: retry */
	SIGNON_R_NO_SESSION = 15,	/* sign-off without a session */
	SIGNON_R_NO_MATCH = 16,		/* a biometric non-match, recorded and
					 * counted; tries left as for a PIN */
	/* appended in version 1 (an older agent or relay refuses a result
	 * it does not know, as an answer it cannot read) */
	SIGNON_R_SLOW_DOWN = 17,	/* this laptop or address is over its
					 * rate: nothing was checked or counted */
	SIGNON_R_UNAVAILABLE = 18,	/* the verifier cannot reach its
					 * registry: nothing was checked */
};
#define SIGNON_R_MAX		18

/* The relay's own failures (RELAY_ERR). */
enum signon_relay_err {
	SIGNON_RE_UNREACHABLE = 1,	/* no answer from the verifier */
	SIGNON_RE_NO_VERIFIER = 2,	/* the policy names no verifier */
	SIGNON_RE_BAD_ANSWER = 3,	/* an answer that did not verify */
	SIGNON_RE_BUSY = 4,		/* one exchange at a time */
	SIGNON_RE_BLOCKED = 5,		/* no path: the netvm is blocked */
};
#define SIGNON_RE_MAX		5

/* An audit event's kind and reason (EVENTS). */
enum signon_ev_kind {
	SIGNON_EV_LOCK = 1,	/* the agent locked the session */
	SIGNON_EV_MARK = 2,	/* a mark IT or a test asked for */
};
#define SIGNON_EV_KIND_MAX	2
enum signon_ev_reason {
	SIGNON_EVR_NONE = 0,
	SIGNON_EVR_CARD_REMOVED = 1,	/* the sign-on card left the reader */
	SIGNON_EVR_PRESENCE = 2,	/* nobody verified for the period */
	SIGNON_EVR_USER = 3,		/* asked for (a command, a test) */
};
#define SIGNON_EVR_MAX		3

/* Modes, as the relay reports them for the audit. */
enum signon_mode {
	SIGNON_MODE_UNKNOWN = 0,
	SIGNON_MODE_REMOTE = 1,
	SIGNON_MODE_OFFICE = 2,
};
#define SIGNON_MODE_MAX		2

/* Every reason a message is refused, as negative return values. */
enum signon_err {
	SIGNON_OK = 0,
	SIGNON_E_LENGTH = -1,
	SIGNON_E_MAGIC = -2,
	SIGNON_E_VERSION = -3,
	SIGNON_E_TYPE = -4,
	SIGNON_E_FLAGS = -5,
	SIGNON_E_RESERVED = -6,	/* a zero field is not zero */
	SIGNON_E_ENUM = -7,	/* op, factor, result, mode or code unknown */
	SIGNON_E_TEXT = -8,	/* a text field malformed */
	SIGNON_E_FIELDS = -9,	/* fields that do not fit the op and factor */
	SIGNON_E_SPACE = -10,	/* output buffer too small */
	SIGNON_E_SIGNATURE = -11,
	SIGNON_E_SEAL = -12,	/* the sealed secret did not open */
	SIGNON_E_CRYPTO = -13,
	SIGNON_E_KEY = -14,
};
const char *signon_strerror(int code);
/* Fixed names for logs and the audit: "ok", "wrong-pin", ...; "card-pin",
 * ...; "signon", ...; "remote", ... ("?" when out of range). */
const char *signon_result_name(int r);
const char *signon_factor_name(int f);
const char *signon_op_name(int op);
const char *signon_mode_name(int m);
const char *signon_relay_err_name(int e);
/* "lock", "mark"; "none", "card-removed", "presence", "user". */
const char *signon_ev_kind_name(int k);
const char *signon_ev_reason_name(int r);

/*
 * Text fields: 1..N bytes (NUL-terminated in the structs), NUL-padded on
 * the wire, nothing but NULs after the first NUL.
 *   device:  [a-z0-9._-], starting with [a-z0-9] (a registry device name)
 *   card id: printable ASCII 0x21..0x7e (hex of an IDm/UID, or "pk:"+base64)
 *   staff:   printable ASCII 0x21..0x7e
 *   uplink:  [A-Za-z0-9._-], may be empty ("" when unknown)
 */
int signon_device_valid(const char *s);
int signon_card_valid(const char *s);
int signon_staff_valid(const char *s);
int signon_uplink_valid(const char *s);

struct signon_hello {
	int	unused;
};

struct signon_nonce_req {
	char	device[SIGNON_DEVICE_LEN + 1];
};

/* CHALLENGE's presence: how the agent re-verifies the signed-on user
 * (the policy's presence block, set by the relay). */
enum signon_presence {
	SIGNON_PRES_NONE = 0,
	SIGNON_PRES_CARD = 1,	/* the card still in the reader, answering */
	SIGNON_PRES_FACE = 2,	/* the biometric service sees the user */
};
#define SIGNON_PRES_MAX		2
#define SIGNON_PRES_PERIOD_MIN	10	/* seconds, as the policy allows */
#define SIGNON_PRES_PERIOD_MAX	60

struct signon_challenge {
	uint8_t		nonce[SIGNON_NONCE_LEN];
	uint64_t	time;		/* the verifier's clock, unix seconds */
	uint32_t	valid_s;	/* the nonce expires time + valid_s */
	uint8_t		presence;	/* SIGNON_PRES_*; the relay's */
	uint8_t		presence_s;	/* 0 with NONE, else MIN..MAX */
	uint8_t		seal_pub[SIGNON_X25519_LEN];
};

/*
 * Which fields a REQUEST holds, by factor (others all zero / empty):
 *   CARD_PIN    card id, sealed (PIN)
 *   CARD_KEY    card id, card signature (sealed holds zeros: sealed anyway)
 *   CODE_PIN    staff id, sealed (PIN and code)
 *   BIOMETRIC   staff id, match (SIGNON_MATCH_YES or _NO)
 *   NONE        (SIGNOFF, LOCK) staff id optional
 * and for the op PIN_REFUSED: factor CARD_KEY, the card id, no signature.
 * The sealed secret and its ephemeral key are always present (the same
 * length on the wire whatever the factor); its content is checked by the
 * verifier after opening it.
 */
struct signon_request {
	uint8_t		op, factor, match;
	uint8_t		nonce[SIGNON_NONCE_LEN];
	char		card[SIGNON_CARD_LEN + 1];
	char		staff[SIGNON_STAFF_LEN + 1];
	uint8_t		card_sig[SIGNON_CARDSIG_LEN];
	uint8_t		eph_pub[SIGNON_X25519_LEN];
	uint8_t		sealed[SIGNON_SECRET_LEN];
	uint8_t		tag[SIGNON_TAG_LEN];
};

struct signon_bound {
	uint8_t		req_raw[SIGNON_REQUEST_LEN];	/* as the agent sent it */
	struct signon_request req;			/* decoded from req_raw */
	char		device[SIGNON_DEVICE_LEN + 1];
	uint8_t		mode;
	char		uplink[SIGNON_UPLINK_LEN + 1];
	uint64_t	time;		/* the netvm's clock, unix seconds */
	uint8_t		sig[SIGNON_SIG_LEN];
};

struct signon_result_msg {
	uint8_t		nonce[SIGNON_NONCE_LEN];
	uint8_t		op, factor, result, tries_left;
	uint32_t	lifetime_s;	/* of the session opened, 0 otherwise */
	char		staff[SIGNON_STAFF_LEN + 1];	/* "" if unknown */
	char		device[SIGNON_DEVICE_LEN + 1];
	uint64_t	time;
	uint8_t		sig[SIGNON_SIG_LEN];
};

struct signon_relay_err_msg {
	uint8_t		nonce[SIGNON_NONCE_LEN];
	uint8_t		code;
};

/* EVENTS: events[i] holds seq first_seq + i, for i < count. */
struct signon_event {
	uint64_t	time;
	uint8_t		kind, reason;
	char		staff[SIGNON_STAFF_LEN + 1];	/* "" if none */
};

struct signon_events {
	uint64_t		first_seq;	/* >= 1; first + count - 1 fits */
	uint64_t		outbox;		/* the outbox's id, not 0 */
	uint8_t			count;		/* 1..SIGNON_EV_MAX */
	struct signon_event	ev[SIGNON_EV_MAX];
};

struct signon_events_bound {
	uint8_t			ev_raw[SIGNON_EVENTS_LEN];	/* as the agent sent it */
	struct signon_events	ev;				/* decoded from ev_raw */
	char			device[SIGNON_DEVICE_LEN + 1];
	uint8_t			mode;
	char			uplink[SIGNON_UPLINK_LEN + 1];
	uint64_t		time;
	uint8_t			sig[SIGNON_SIG_LEN];
};

/* result: SIGNON_R_OK (stored_through says how far), SIGNON_R_DEVICE
 * (unknown, revoked or not verifying: nothing stored), SIGNON_R_MALFORMED
 * (first_seq further past stored_through than an outbox holds,
 * SIGNON_EV_OUTBOX_MAX: nothing stored), SIGNON_R_INTERNAL. */
struct signon_events_ack {
	char		device[SIGNON_DEVICE_LEN + 1];
	uint64_t	first_seq;
	uint8_t		count, result;
	uint64_t	stored_through;
	uint64_t	time;
	uint64_t	outbox;		/* the batch's outbox id */
	uint8_t		sig[SIGNON_SIG_LEN];
};

/* The type of a message with a valid header and length (SIGNON_HELLO..),
 * or a negative signon_err: lets a receiver dispatch. */
int signon_peek(const uint8_t *in, size_t len);

/* Encoders return the number of bytes written, or SIGNON_E_SPACE /
 * SIGNON_E_TEXT / SIGNON_E_ENUM / SIGNON_E_FIELDS for a struct that would
 * not decode. Decoders return SIGNON_OK or the first problem found, in wire
 * order: length, magic, version, type, flags, then the fields. */
int signon_hello_encode(uint8_t *out, size_t outlen);
int signon_hello_decode(const uint8_t *in, size_t len);
int signon_nonce_req_encode(uint8_t *out, size_t outlen,
    const struct signon_nonce_req *m);
int signon_nonce_req_decode(const uint8_t *in, size_t len,
    struct signon_nonce_req *m);
int signon_challenge_encode(uint8_t *out, size_t outlen,
    const struct signon_challenge *m);
int signon_challenge_decode(const uint8_t *in, size_t len,
    struct signon_challenge *m);
int signon_request_encode(uint8_t *out, size_t outlen,
    const struct signon_request *m);
int signon_request_decode(const uint8_t *in, size_t len,
    struct signon_request *m);
/* BOUND's encoder takes m->req_raw as is (a REQUEST that decodes) and
 * writes m->sig: sign bytes 0..SIGNON_BOUND_OFF_SIG first, then patch. */
int signon_bound_encode(uint8_t *out, size_t outlen,
    const struct signon_bound *m);
int signon_bound_decode(const uint8_t *in, size_t len,
    struct signon_bound *m);
int signon_result_encode(uint8_t *out, size_t outlen,
    const struct signon_result_msg *m);
int signon_result_decode(const uint8_t *in, size_t len,
    struct signon_result_msg *m);
int signon_relay_err_encode(uint8_t *out, size_t outlen,
    const struct signon_relay_err_msg *m);
int signon_relay_err_decode(const uint8_t *in, size_t len,
    struct signon_relay_err_msg *m);
int signon_events_encode(uint8_t *out, size_t outlen,
    const struct signon_events *m);
int signon_events_decode(const uint8_t *in, size_t len,
    struct signon_events *m);
/* As BOUND: m->ev_raw taken as is (an EVENTS that decodes), m->sig written. */
int signon_events_bound_encode(uint8_t *out, size_t outlen,
    const struct signon_events_bound *m);
int signon_events_bound_decode(const uint8_t *in, size_t len,
    struct signon_events_bound *m);
int signon_events_ack_encode(uint8_t *out, size_t outlen,
    const struct signon_events_ack *m);
int signon_events_ack_decode(const uint8_t *in, size_t len,
    struct signon_events_ack *m);

#endif
