/* Unit tests of sign-on's wire format and cryptography
 * (lib/proto/signon_wire.h, signon_crypto.h): the byte offsets, round
 * trips, every refusal, the sealed secret bound to its request, the card's
 * answer, the laptop's and the verifier's signatures. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <openssl/evp.h>

#include "lib/encode.h"
#include "lib/proto/signon_crypto.h"
#include "lib/proto/signon_wire.h"
#include "tests/signon/testcard.h"

static void
mkreq(struct signon_request *m, int op, int factor)
{
	memset(m, 0, sizeof(*m));
	m->op = (uint8_t)op;
	m->factor = (uint8_t)factor;
	memset(m->nonce, 0xa5, sizeof(m->nonce));
	if (factor == SIGNON_F_CARD_PIN || factor == SIGNON_F_CARD_KEY)
		strcpy(m->card, "0123456789ABCDEF");
	else if (factor != SIGNON_F_NONE)
		strcpy(m->staff, "s1001");
	if (factor == SIGNON_F_CARD_KEY)
		memset(m->card_sig, 7, sizeof(m->card_sig));
	if (factor == SIGNON_F_BIOMETRIC)
		m->match = SIGNON_MATCH_YES;
}

static void
test_offsets(void **state)
{
	uint8_t b[SIGNON_MAX_LEN];
	struct signon_request m;

	(void)state;
	mkreq(&m, SIGNON_OP_SIGNON, SIGNON_F_CARD_PIN);
	assert_int_equal(signon_request_encode(b, sizeof(b), &m), 416);
	assert_memory_equal(b, "SKS1\x01\x04\x00\x00\x01\x01", 10);
	assert_int_equal(b[16], 0xa5);
	assert_memory_equal(b + 48, "0123456789ABCDEF\0", 17);
	assert_int_equal(b[112], 0);
	assert_int_equal(signon_hello_encode(b, sizeof(b)), 88);
	assert_int_equal(signon_peek(b, 88), SIGNON_HELLO);
	assert_int_equal(signon_peek(b, 87), SIGNON_E_LENGTH);
}

static void
test_request_roundtrip(void **state)
{
	static const int cases[][2] = {
		{ SIGNON_OP_SIGNON, SIGNON_F_CARD_PIN }, { SIGNON_OP_SIGNON, SIGNON_F_CARD_KEY },
		{ SIGNON_OP_SIGNON, SIGNON_F_CODE_PIN }, { SIGNON_OP_UNLOCK, SIGNON_F_BIOMETRIC },
		{ SIGNON_OP_SIGNOFF, SIGNON_F_NONE }, { SIGNON_OP_LOCK, SIGNON_F_NONE },
		{ SIGNON_OP_HANDOVER, SIGNON_F_CARD_KEY },
	};
	uint8_t b[SIGNON_REQUEST_LEN], b2[SIGNON_REQUEST_LEN];
	struct signon_request m, d;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mkreq(&m, cases[i][0], cases[i][1]);
		assert_int_equal(signon_request_encode(b, sizeof(b), &m), SIGNON_REQUEST_LEN);
		assert_int_equal(signon_request_decode(b, sizeof(b), &d), SIGNON_OK);
		assert_int_equal(signon_request_encode(b2, sizeof(b2), &d), SIGNON_REQUEST_LEN);
		assert_memory_equal(b, b2, sizeof(b));
		assert_string_equal(d.card, m.card);
		assert_string_equal(d.staff, m.staff);
	}
}

static void
test_request_refusals(void **state)
{
	uint8_t b[SIGNON_REQUEST_LEN + 1], c[SIGNON_REQUEST_LEN];
	struct signon_request m, d;

	(void)state;
	mkreq(&m, SIGNON_OP_SIGNON, SIGNON_F_CARD_PIN);
	assert_int_equal(signon_request_encode(b, SIGNON_REQUEST_LEN - 1, &m), SIGNON_E_SPACE);
	assert_int_equal(signon_request_encode(b, sizeof(b), &m), SIGNON_REQUEST_LEN);
	assert_int_equal(signon_request_decode(b, SIGNON_REQUEST_LEN + 1, &d), SIGNON_E_LENGTH);
	assert_int_equal(signon_request_decode(b, SIGNON_REQUEST_LEN - 1, &d), SIGNON_E_LENGTH);
#define MUT(off, val, want) do { memcpy(c, b, sizeof(c)); c[off] = (val); \
	assert_int_equal(signon_request_decode(c, sizeof(c), &d), want); } while (0)
	MUT(0, 'X', SIGNON_E_MAGIC);
	MUT(4, 2, SIGNON_E_VERSION);
	MUT(5, SIGNON_BOUND, SIGNON_E_TYPE);
	MUT(5, 99, SIGNON_E_TYPE);
	MUT(6, 1, SIGNON_E_FLAGS);
	MUT(7, 1, SIGNON_E_RESERVED);
	MUT(8, 9, SIGNON_E_ENUM);
	MUT(8, SIGNON_OP_MAX + 1, SIGNON_E_ENUM);
	MUT(8, 0, SIGNON_E_ENUM);
	MUT(9, 9, SIGNON_E_ENUM);
	MUT(12, 1, SIGNON_E_RESERVED);
	MUT(10, 1, SIGNON_E_FIELDS);			/* a match on a card */
	MUT(10, 3, SIGNON_E_ENUM);
	MUT(48 + 20, 'A', SIGNON_E_TEXT);		/* after the NUL */
	MUT(48 + 3, ' ', SIGNON_E_TEXT);		/* a space */
	MUT(9, SIGNON_F_CARD_KEY, SIGNON_E_FIELDS);	/* no card signature */
	MUT(9, SIGNON_F_CODE_PIN, SIGNON_E_FIELDS);	/* card, not staff */
	MUT(9, SIGNON_F_NONE, SIGNON_E_FIELDS);
	MUT(8, SIGNON_OP_SIGNOFF, SIGNON_E_FIELDS);	/* a factor on sign-off */
	MUT(SIGNON_REQ_OFF_CARDSIG, 1, SIGNON_E_FIELDS);
#undef MUT
	strcpy(m.staff, "s1");				/* card and staff */
	assert_int_equal(signon_request_encode(b, sizeof(b), &m), SIGNON_E_FIELDS);
}

static void
test_small_messages(void **state)
{
	uint8_t b[SIGNON_MAX_LEN];
	struct signon_nonce_req n = { "pc-0001" }, n2;
	struct signon_challenge c = { .time = 1700000000, .valid_s = 30 }, c2;
	struct signon_relay_err_msg e = { .code = SIGNON_RE_UNREACHABLE }, e2;

	(void)state;
	assert_int_equal(signon_nonce_req_encode(b, sizeof(b), &n), SIGNON_NONCE_REQ_LEN);
	assert_int_equal(signon_nonce_req_decode(b, SIGNON_NONCE_REQ_LEN, &n2), SIGNON_OK);
	assert_string_equal(n2.device, "pc-0001");
	b[80] = 1;
	assert_int_equal(signon_nonce_req_decode(b, SIGNON_NONCE_REQ_LEN, &n2), SIGNON_E_RESERVED);
	strcpy(n.device, "PC-1");
	assert_int_equal(signon_nonce_req_encode(b, sizeof(b), &n), SIGNON_E_TEXT);
	memset(c.nonce, 3, sizeof(c.nonce));
	memset(c.seal_pub, 4, sizeof(c.seal_pub));
	assert_int_equal(signon_challenge_encode(b, sizeof(b), &c), SIGNON_CHALLENGE_LEN);
	assert_int_equal(signon_challenge_decode(b, SIGNON_CHALLENGE_LEN, &c2), SIGNON_OK);
	assert_true(c2.time == 1700000000 && c2.valid_s == 30);
	assert_memory_equal(c2.seal_pub, c.seal_pub, 32);
	assert_true(c2.presence == SIGNON_PRES_NONE && c2.presence_s == 0);
	/* presence at 52 (factor) and 53 (period), 54..55 zero */
	c.presence = SIGNON_PRES_FACE;
	c.presence_s = 45;
	assert_int_equal(signon_challenge_encode(b, sizeof(b), &c), SIGNON_CHALLENGE_LEN);
	assert_true(b[52] == 2 && b[53] == 45 && b[54] == 0 && b[55] == 0);
	assert_int_equal(signon_challenge_decode(b, SIGNON_CHALLENGE_LEN, &c2), SIGNON_OK);
	assert_true(c2.presence == SIGNON_PRES_FACE && c2.presence_s == 45);
	b[55] = 1;
	assert_int_equal(signon_challenge_decode(b, SIGNON_CHALLENGE_LEN, &c2), SIGNON_E_RESERVED);
	b[55] = 0;
	b[52] = 3;
	assert_int_equal(signon_challenge_decode(b, SIGNON_CHALLENGE_LEN, &c2), SIGNON_E_ENUM);
	b[52] = SIGNON_PRES_CARD;
	b[53] = 9;
	assert_int_equal(signon_challenge_decode(b, SIGNON_CHALLENGE_LEN, &c2), SIGNON_E_FIELDS);
	b[53] = 61;
	assert_int_equal(signon_challenge_decode(b, SIGNON_CHALLENGE_LEN, &c2), SIGNON_E_FIELDS);
	b[52] = SIGNON_PRES_NONE;
	b[53] = 10;	/* a period without a factor */
	assert_int_equal(signon_challenge_decode(b, SIGNON_CHALLENGE_LEN, &c2), SIGNON_E_FIELDS);
	c.presence = SIGNON_PRES_CARD;
	c.presence_s = 0;
	assert_int_equal(signon_challenge_encode(b, sizeof(b), &c), SIGNON_E_FIELDS);
	c.presence = SIGNON_PRES_NONE;
	assert_int_equal(signon_relay_err_encode(b, sizeof(b), &e), SIGNON_RELAY_ERR_LEN);
	assert_int_equal(signon_relay_err_decode(b, SIGNON_RELAY_ERR_LEN, &e2), SIGNON_OK);
	assert_int_equal(e2.code, SIGNON_RE_UNREACHABLE);
	b[40] = 0;
	assert_int_equal(signon_relay_err_decode(b, SIGNON_RELAY_ERR_LEN, &e2), SIGNON_E_ENUM);
	assert_int_equal(signon_hello_encode(b, sizeof(b)), SIGNON_HELLO_LEN);
	b[50] = 1;
	assert_int_equal(signon_hello_decode(b, SIGNON_HELLO_LEN), SIGNON_E_RESERVED);
	assert_string_equal(signon_result_name(SIGNON_R_WRONG_PIN), "wrong-pin");
	assert_string_equal(signon_result_name(99), "?");
	assert_string_equal(signon_factor_name(SIGNON_F_CODE_PIN), "code-pin");
	assert_string_equal(signon_strerror(SIGNON_E_SEAL), "sealed secret does not open");
}

static void
test_seal_open(void **state)
{
	uint8_t priv[32], pub[32], b[SIGNON_REQUEST_LEN], c[SIGNON_REQUEST_LEN];
	struct signon_unsealer u, other;
	struct signon_request m, d;
	char pin[SIGNON_PIN_MAX + 1], code[SIGNON_CODE_MAX + 1];
	size_t pl, cl;

	(void)state;
	assert_int_equal(signon_x25519_keygen(priv, pub), SIGNON_OK);
	assert_int_equal(signon_unsealer_init(&u, priv), SIGNON_OK);
	assert_memory_equal(u.pub, pub, 32);
	mkreq(&m, SIGNON_OP_SIGNON, SIGNON_F_CODE_PIN);
	assert_int_equal(signon_request_seal(b, sizeof(b), &m, pub, "4711", 4,
	    "ABCD-EFGH-JKMN-PQRS", 19), SIGNON_REQUEST_LEN);
	/* the PIN is nowhere in the clear */
	assert_null(memmem(b, sizeof(b), "4711", 4));
	assert_null(memmem(b, sizeof(b), "ABCD", 4));
	assert_int_equal(signon_request_decode(b, sizeof(b), &d), SIGNON_OK);
	assert_int_equal(signon_request_open(&u, b, pin, &pl, code, &cl), SIGNON_OK);
	assert_string_equal(pin, "4711");
	assert_int_equal(pl, 4);
	assert_string_equal(code, "ABCD-EFGH-JKMN-PQRS");
	/* moved into another request (another nonce, another user): no */
	memcpy(c, b, sizeof(c));
	c[SIGNON_REQ_OFF_NONCE] ^= 1;
	assert_int_equal(signon_request_open(&u, c, pin, &pl, code, &cl), SIGNON_E_SEAL);
	assert_string_equal(pin, "");
	memcpy(c, b, sizeof(c));
	c[SIGNON_REQ_OFF_STAFF + 1] = '2';
	assert_int_equal(signon_request_open(&u, c, pin, &pl, code, &cl), SIGNON_E_SEAL);
	memcpy(c, b, sizeof(c));
	c[SIGNON_REQ_OFF_SEALED + 5] ^= 0x10;
	assert_int_equal(signon_request_open(&u, c, pin, &pl, code, &cl), SIGNON_E_SEAL);
	/* another verifier's key cannot open it */
	assert_int_equal(signon_x25519_keygen(priv, pub), SIGNON_OK);
	assert_int_equal(signon_unsealer_init(&other, priv), SIGNON_OK);
	assert_int_equal(signon_request_open(&other, b, pin, &pl, code, &cl), SIGNON_E_SEAL);
	assert_int_equal(signon_request_seal(b, sizeof(b), &m, pub, "a\0b", 3, "", 0),
	    SIGNON_E_FIELDS);
	signon_unsealer_free(&u);
	signon_unsealer_free(&other);
}

static void
test_card(void **state)
{
	struct testcard tc, other;
	uint8_t nonce[32], dg[32], sig[64], pub[65];
	size_t publen;

	(void)state;
	assert_int_equal(testcard_new(&tc), 0);
	assert_int_equal(testcard_new(&other), 0);
	assert_int_equal(signon_card_pub(tc.id, pub, &publen), SIGNON_OK);
	assert_int_equal(publen, 33);
	memset(nonce, 9, sizeof(nonce));
	signon_card_digest(dg, nonce, tc.id);
	assert_int_equal(testcard_sign(&tc, dg, sig), 0);
	assert_int_equal(signon_card_verify(pub, publen, dg, sig), SIGNON_OK);
	/* another challenge, another card, a flipped bit */
	nonce[0] ^= 1;
	signon_card_digest(dg, nonce, tc.id);
	assert_int_equal(signon_card_verify(pub, publen, dg, sig), SIGNON_E_SIGNATURE);
	nonce[0] ^= 1;
	signon_card_digest(dg, nonce, tc.id);
	assert_int_equal(testcard_sign(&other, dg, sig), 0);
	assert_int_equal(signon_card_verify(pub, publen, dg, sig), SIGNON_E_SIGNATURE);
	assert_int_equal(signon_card_pub("0123456789ABCDEF", pub, &publen), SIGNON_E_KEY);
	assert_int_equal(signon_card_pub("pk:AAAA", pub, &publen), SIGNON_E_KEY);
	memset(pub, 0, sizeof(pub));	/* (1, 1) is not on the curve */
	pub[0] = 4;
	pub[32] = 1;
	pub[64] = 1;
	assert_int_equal(signon_card_verify(pub, 65, dg, sig), SIGNON_E_KEY);
	testcard_free(&tc);
	testcard_free(&other);
}

static void
test_bound_result(void **state)
{
	uint8_t seed[32], pub[32], seed2[32], pub2[32], b[SIGNON_BOUND_LEN];
	uint8_t r[SIGNON_RESULT_LEN];
	struct signon_signer dev, ver;
	struct signon_request m;
	struct signon_bound bd, bd2;
	struct signon_result_msg res = { .op = SIGNON_OP_SIGNON,
	    .factor = SIGNON_F_CARD_PIN, .result = SIGNON_R_WRONG_PIN,
	    .tries_left = 3, .staff = "s1001", .device = "pc-0001", .time = 5 }, res2;

	(void)state;
	assert_int_equal(signon_ed25519_keygen(seed, pub), SIGNON_OK);
	assert_int_equal(signon_ed25519_keygen(seed2, pub2), SIGNON_OK);
	assert_int_equal(signon_signer_init(&dev, seed), SIGNON_OK);
	assert_int_equal(signon_signer_init(&ver, seed2), SIGNON_OK);
	mkreq(&m, SIGNON_OP_SIGNON, SIGNON_F_CARD_PIN);
	memset(&bd, 0, sizeof(bd));
	assert_int_equal(signon_request_encode(bd.req_raw, sizeof(bd.req_raw), &m),
	    SIGNON_REQUEST_LEN);
	strcpy(bd.device, "pc-0001");
	strcpy(bd.uplink, "eth0");
	bd.mode = SIGNON_MODE_REMOTE;
	bd.time = 1700000000;
	assert_int_equal(signon_bound_sign(b, sizeof(b), &bd, &dev), SIGNON_BOUND_LEN);
	assert_int_equal(signon_bound_decode(b, sizeof(b), &bd2), SIGNON_OK);
	assert_string_equal(bd2.device, "pc-0001");
	assert_string_equal(bd2.uplink, "eth0");
	assert_int_equal(bd2.req.factor, SIGNON_F_CARD_PIN);
	assert_int_equal(signon_bound_verify(b, pub), SIGNON_OK);
	assert_int_equal(signon_bound_verify(b, pub2), SIGNON_E_SIGNATURE);
	/* claiming another laptop: the name changes, the signature fails */
	memcpy(b + 424, "pc-0002", 7);
	assert_int_equal(signon_bound_decode(b, sizeof(b), &bd2), SIGNON_OK);
	assert_int_equal(signon_bound_verify(b, pub), SIGNON_E_SIGNATURE);
	b[488] = 3;
	assert_int_equal(signon_bound_decode(b, sizeof(b), &bd2), SIGNON_E_ENUM);
	memset(res.nonce, 1, sizeof(res.nonce));
	assert_int_equal(signon_result_sign(r, sizeof(r), &res, &ver), SIGNON_RESULT_LEN);
	assert_int_equal(signon_result_decode(r, sizeof(r), &res2), SIGNON_OK);
	assert_int_equal(res2.tries_left, 3);
	assert_int_equal(signon_result_verify(r, pub2), SIGNON_OK);
	assert_int_equal(signon_result_verify(r, pub), SIGNON_E_SIGNATURE);
	r[42] = SIGNON_R_OK;	/* a forged success */
	assert_int_equal(signon_result_verify(r, pub2), SIGNON_E_SIGNATURE);
	r[42] = 99;
	assert_int_equal(signon_result_decode(r, sizeof(r), &res2), SIGNON_E_ENUM);
	signon_signer_free(&dev);
	signon_signer_free(&ver);
}

/* The audit events: offsets byte for byte, round trips, refusals, and
 * the laptop's and the verifier's signatures (another key, a changed
 * byte: refused). */
static void
test_events(void **state)
{
	static struct signon_events m, d;
	static struct signon_events_bound eb, eb2;
	struct signon_events_ack a, a2;
	struct signon_signer dev, ver;
	uint8_t b[SIGNON_MAX_LEN], seed[32], pub[32];
	EVP_PKEY *pk;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.first_seq = 0x0102030405060708ull;
	m.count = 2;
	m.outbox = 0xa0a1a2a3a4a5a6a7ull;
	m.ev[0].time = 1800000000;
	m.ev[0].kind = SIGNON_EV_LOCK;
	m.ev[0].reason = SIGNON_EVR_CARD_REMOVED;
	strcpy(m.ev[0].staff, "s1001");
	m.ev[1].kind = SIGNON_EV_MARK;
	m.ev[1].reason = SIGNON_EVR_USER;
	assert_int_equal(signon_events_encode(b, sizeof(b), &m), 992);
	assert_memory_equal(b, "SKS1\x01\x08\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x02", 17);
	assert_memory_equal(b + 24, "\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7", 8);
	assert_memory_equal(b + 32, "\x00\x00\x00\x00\x6b\x49\xd2\x00\x01\x01", 10);
	assert_memory_equal(b + 48, "s1001\0", 6);
	assert_int_equal(b[112 + 8], SIGNON_EV_MARK);
	assert_int_equal(signon_events_decode(b, 992, &d), 0);
	assert_int_equal(d.first_seq, m.first_seq);
	assert_true(d.outbox == m.outbox);
	assert_string_equal(d.ev[0].staff, "s1001");
	assert_int_equal(d.ev[1].reason, SIGNON_EVR_USER);
	/* refusals */
	b[200] = 1;	/* a byte of an unused event */
	assert_int_equal(signon_events_decode(b, 992, &d), SIGNON_E_RESERVED);
	b[200] = 0;
	b[16] = 13;
	assert_int_equal(signon_events_decode(b, 992, &d), SIGNON_E_FIELDS);
	b[16] = 2;
	b[40] = 9;
	assert_int_equal(signon_events_decode(b, 992, &d), SIGNON_E_ENUM);
	b[40] = 1;
	assert_int_equal(signon_events_decode(b, 991, &d), SIGNON_E_LENGTH);
	memset(b + 24, 0, 8);	/* no outbox id */
	assert_int_equal(signon_events_decode(b, 992, &d), SIGNON_E_FIELDS);
	m.outbox = 0;
	assert_int_equal(signon_events_encode(b, sizeof(b), &m), SIGNON_E_FIELDS);
	m.outbox = 0xa0a1a2a3a4a5a6a7ull;
	m.count = 0;
	assert_int_equal(signon_events_encode(b, sizeof(b), &m), SIGNON_E_FIELDS);
	m.count = 2;
	m.first_seq = 0;
	assert_int_equal(signon_events_encode(b, sizeof(b), &m), SIGNON_E_FIELDS);
	m.first_seq = 1;
	strcpy(m.ev[1].staff, "a b");
	assert_int_equal(signon_events_encode(b, sizeof(b), &m), SIGNON_E_TEXT);
	m.ev[1].staff[0] = '\0';

	/* EVENTS_BOUND and EVENTS_ACK, signed */
	signon_ed25519_keygen(seed, pub);
	signon_signer_init(&dev, seed);
	signon_ed25519_keygen(seed, pub);
	signon_signer_init(&ver, seed);
	memset(&eb, 0, sizeof(eb));
	assert_int_equal(signon_events_encode(eb.ev_raw, sizeof(eb.ev_raw), &m), 992);
	strcpy(eb.device, "pc-0001");
	strcpy(eb.uplink, "wwan0");
	eb.mode = SIGNON_MODE_REMOTE;
	eb.time = 1800000001;
	assert_int_equal(signon_events_bound_sign(b, sizeof(b), &eb, &dev), 1160);
	assert_int_equal(signon_peek(b, 1160), SIGNON_EVENTS_BOUND);
	assert_memory_equal(b + 1000, "pc-0001\0", 8);
	assert_int_equal(b[1064], SIGNON_MODE_REMOTE);
	assert_int_equal(signon_events_bound_decode(b, 1160, &eb2), 0);
	assert_true(eb2.ev.outbox == 0xa0a1a2a3a4a5a6a7ull);
	assert_string_equal(eb2.uplink, "wwan0");
	assert_int_equal(eb2.ev.count, 2);
	pk = signon_ed25519_key(dev.pub);
	assert_int_equal(signon_events_bound_verify_key(b, pk), 0);
	b[56] ^= 1;	/* the staff of the first event */
	assert_int_equal(signon_events_bound_verify_key(b, pk), SIGNON_E_SIGNATURE);
	b[56] ^= 1;
	b[8 + 24 + 7] ^= 1;	/* the outbox id */
	assert_int_equal(signon_events_bound_verify_key(b, pk), SIGNON_E_SIGNATURE);
	b[8 + 24 + 7] ^= 1;
	EVP_PKEY_free(pk);
	pk = signon_ed25519_key(ver.pub);
	assert_int_equal(signon_events_bound_verify_key(b, pk), SIGNON_E_SIGNATURE);
	EVP_PKEY_free(pk);
	/* a BOUND's signature is not an EVENTS_BOUND's (context strings) */
	memset(&a, 0, sizeof(a));
	strcpy(a.device, "pc-0001");
	a.first_seq = 1;
	a.count = 2;
	a.stored_through = 2;
	a.time = 1800000002;
	a.outbox = 0xa0a1a2a3a4a5a6a7ull;
	assert_int_equal(signon_events_ack_sign(b, sizeof(b), &a, &ver), 176);
	assert_int_equal(signon_events_ack_verify(b, ver.pub), 0);
	assert_int_equal(signon_events_ack_verify(b, dev.pub), SIGNON_E_SIGNATURE);
	assert_int_equal(signon_events_ack_decode(b, 176, &a2), 0);
	assert_int_equal(a2.stored_through, 2);
	assert_true(a2.outbox == a.outbox);
	assert_memory_equal(b + 104, "\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7", 8);
	b[88 + 7] = 9;
	assert_int_equal(signon_events_ack_verify(b, ver.pub), SIGNON_E_SIGNATURE);
	a.result = SIGNON_R_WRONG_PIN;
	assert_int_equal(signon_events_ack_encode(b, sizeof(b), &a), SIGNON_E_ENUM);
	signon_signer_free(&dev);
	signon_signer_free(&ver);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_small_messages),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_card),
		cmocka_unit_test(test_bound_result),
		cmocka_unit_test(test_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
