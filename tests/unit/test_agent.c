/* Unit tests of sekisho-agent's pure parts (guestagent/sekisho-agent): the
 * card commands byte for byte, every card answer parser on good and bad
 * answers, DER signatures against OpenSSL's own, the netvm's answers, the
 * lines the user reads, the session file, and the UDP link on loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "guestagent/sekisho-agent/agent.h"
#include "guestagent/sekisho-agent/apdu.h"
#include "guestagent/sekisho-agent/card.h"
#include "guestagent/sekisho-agent/client.h"
#include "guestagent/sekisho-agent/link.h"
#include "guestagent/sekisho-agent/netvm.h"
#include "guestagent/sekisho-agent/outbox.h"
#include "guestagent/sekisho-agent/outcome.h"
#include "guestagent/sekisho-agent/secret.h"
#include "lib/proto/signon_wire.h"
#include "lib/util.h"

#define BYTES(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static void
expect_bytes(const uint8_t *got, int n, const uint8_t *want, size_t wn)
{
	assert_int_equal(n, (int)wn);
	assert_memory_equal(got, want, wn);
}

static void
test_builders(void **state)
{
	uint8_t b[APDU_MAX], d[32];

	(void)state;
	expect_bytes(b, apdu_get_uid(b), BYTES(0xFF, 0xCA, 0x00, 0x00, 0x00));
	expect_bytes(b, apdu_select_piv(b), BYTES(0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0,
	    0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x00));
	expect_bytes(b, apdu_get_cert(b), BYTES(0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C,
	    0x03, 0x5F, 0xC1, 0x05, 0x00));
	expect_bytes(b, apdu_get_response(b, 0x86), BYTES(0x00, 0xC0, 0x00, 0x00, 0x86));
	expect_bytes(b, apdu_verify_pin(b, "2468", 4), BYTES(0x00, 0x20, 0x00, 0x80,
	    0x08, '2', '4', '6', '8', 0xFF, 0xFF, 0xFF, 0xFF));
	expect_bytes(b, apdu_verify_pin(b, "12345678", 8), BYTES(0x00, 0x20, 0x00, 0x80,
	    0x08, '1', '2', '3', '4', '5', '6', '7', '8'));
	assert_int_equal(apdu_verify_pin(b, "123", 3), -1);
	assert_int_equal(apdu_verify_pin(b, "123456789", 9), -1);
	expect_bytes(b, apdu_verify_status(b), BYTES(0x00, 0x20, 0x00, 0x80));
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)i;
	assert_int_equal(apdu_general_auth(b, d), 44);
	assert_memory_equal(b, ((const uint8_t[]){ 0x00, 0x87, 0x11, 0x9A, 0x26,
	    0x7C, 0x24, 0x82, 0x00, 0x81, 0x20 }), 11);
	assert_memory_equal(b + 11, d, 32);
	assert_int_equal(b[43], 0x00);
}

static void
test_uid(void **state)
{
	uint8_t id[APDU_ID_MAX];
	size_t n = 0;

	(void)state;
	assert_int_equal(apdu_parse_uid(BYTES(1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00), id, &n), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(id, ((const uint8_t[]){ 1, 2, 3, 4, 5, 6, 7, 8 }), 8);
	assert_int_equal(apdu_parse_uid(BYTES(1, 2, 3, 4, 0x90, 0x00), id, &n), 0);
	assert_int_equal(n, 4);
	/* too short, too long, an error status, no status at all */
	assert_int_equal(apdu_parse_uid(BYTES(1, 2, 3, 0x90, 0x00), id, &n), -1);
	assert_int_equal(apdu_parse_uid(BYTES(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x90, 0x00), id, &n), -1);
	assert_int_equal(apdu_parse_uid(BYTES(1, 2, 3, 4, 0x6A, 0x81), id, &n), -1);
	assert_int_equal(apdu_parse_uid(BYTES(0x90), id, &n), -1);
}

static void
test_verify(void **state)
{
	int tries = -1;

	(void)state;
	assert_int_equal(apdu_parse_verify(BYTES(0x90, 0x00), &tries), APDU_PIN_OK);
	assert_int_equal(apdu_parse_verify(BYTES(0x63, 0xC4), &tries), APDU_PIN_WRONG);
	assert_int_equal(tries, 4);
	assert_int_equal(apdu_parse_verify(BYTES(0x63, 0xC1), &tries), APDU_PIN_WRONG);
	assert_int_equal(tries, 1);
	assert_int_equal(apdu_parse_verify(BYTES(0x63, 0xC0), &tries), APDU_PIN_BLOCKED);
	assert_int_equal(apdu_parse_verify(BYTES(0x69, 0x83), &tries), APDU_PIN_BLOCKED);
	assert_int_equal(apdu_parse_verify(BYTES(0x6A, 0x88), &tries), APDU_PIN_ERROR);
	/* data where none belongs */
	assert_int_equal(apdu_parse_verify(BYTES(0x00, 0x90, 0x00), &tries), APDU_PIN_ERROR);
	assert_int_equal(apdu_parse_verify(BYTES(0x90), &tries), APDU_PIN_ERROR);
}

static void
test_general_auth(void **state)
{
	uint8_t sig[APDU_SIG_MAX];
	size_t n = 0;

	(void)state;
	assert_int_equal(apdu_parse_general_auth(BYTES(0x7C, 0x05, 0x82, 0x03, 0x30,
	    0x01, 0x02, 0x90, 0x00), sig, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(sig, ((const uint8_t[]){ 0x30, 0x01, 0x02 }), 3);
	/* trailing byte inside 7C, outside it, wrong tags, empty, status */
	assert_int_equal(apdu_parse_general_auth(BYTES(0x7C, 0x06, 0x82, 0x03, 0x30,
	    0x01, 0x02, 0x00, 0x90, 0x00), sig, &n), -1);
	assert_int_equal(apdu_parse_general_auth(BYTES(0x7C, 0x05, 0x82, 0x03, 0x30,
	    0x01, 0x02, 0x00, 0x90, 0x00), sig, &n), -1);
	assert_int_equal(apdu_parse_general_auth(BYTES(0x7D, 0x05, 0x82, 0x03, 0x30,
	    0x01, 0x02, 0x90, 0x00), sig, &n), -1);
	assert_int_equal(apdu_parse_general_auth(BYTES(0x7C, 0x05, 0x81, 0x03, 0x30,
	    0x01, 0x02, 0x90, 0x00), sig, &n), -1);
	assert_int_equal(apdu_parse_general_auth(BYTES(0x7C, 0x02, 0x82, 0x00,
	    0x90, 0x00), sig, &n), -1);
	assert_int_equal(apdu_parse_general_auth(BYTES(0x7C, 0x05, 0x82, 0x03, 0x30,
	    0x01, 0x02, 0x69, 0x82), sig, &n), -1);
	/* a length that runs past the end */
	assert_int_equal(apdu_parse_general_auth(BYTES(0x7C, 0x05, 0x82, 0x09, 0x30,
	    0x01, 0x02, 0x90, 0x00), sig, &n), -1);
}

static void
test_cert_object(void **state)
{
	const uint8_t *c;
	size_t n;

	(void)state;
	assert_int_equal(apdu_parse_cert_object(BYTES(0x53, 0x0A, 0x70, 0x02, 0xAA,
	    0xBB, 0x71, 0x01, 0x00, 0xFE, 0x00, 0x00 /* pad */), &c, &n), -1);
	assert_int_equal(apdu_parse_cert_object(BYTES(0x53, 0x09, 0x70, 0x02, 0xAA,
	    0xBB, 0x71, 0x01, 0x00, 0xFE, 0x00), &c, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(c[0], 0xAA);
	/* no certificate, two, a compressed one, an unknown tag */
	assert_int_equal(apdu_parse_cert_object(BYTES(0x53, 0x03, 0x71, 0x01, 0x00), &c, &n), -1);
	assert_int_equal(apdu_parse_cert_object(BYTES(0x53, 0x08, 0x70, 0x02, 0xAA,
	    0xBB, 0x70, 0x02, 0xAA, 0xBB), &c, &n), -1);
	assert_int_equal(apdu_parse_cert_object(BYTES(0x53, 0x07, 0x70, 0x02, 0xAA,
	    0xBB, 0x71, 0x01, 0x01), &c, &n), -1);
	assert_int_equal(apdu_parse_cert_object(BYTES(0x53, 0x06, 0x70, 0x02, 0xAA,
	    0xBB, 0x72, 0x00), &c, &n), -1);
	/* long forms: 81 below 0x80 and 82 below 0x100 are not minimal */
	assert_int_equal(apdu_parse_cert_object(BYTES(0x53, 0x81, 0x04, 0x70, 0x02,
	    0xAA, 0xBB), &c, &n), -1);
	assert_int_equal(apdu_parse_cert_object(BYTES(0x53, 0x82, 0x00, 0x04, 0x70,
	    0x02, 0xAA, 0xBB), &c, &n), -1);
}

static void
test_der_sig(void **state)
{
	uint8_t raw[64];

	(void)state;
	/* r = 0x01, s = 0x80 (needs its 00) */
	assert_int_equal(apdu_sig_der_to_raw(BYTES(0x30, 0x07, 0x02, 0x01, 0x01,
	    0x02, 0x02, 0x00, 0x80), raw), 0);
	assert_int_equal(raw[31], 0x01);
	assert_int_equal(raw[63], 0x80);
	assert_int_equal(raw[0] | raw[32], 0);
	/* negative, not minimal, zero, trailing, length mismatch */
	assert_int_equal(apdu_sig_der_to_raw(BYTES(0x30, 0x06, 0x02, 0x01, 0x81,
	    0x02, 0x01, 0x01), raw), -1);
	assert_int_equal(apdu_sig_der_to_raw(BYTES(0x30, 0x07, 0x02, 0x02, 0x00,
	    0x01, 0x02, 0x01, 0x01), raw), -1);
	assert_int_equal(apdu_sig_der_to_raw(BYTES(0x30, 0x06, 0x02, 0x01, 0x00,
	    0x02, 0x01, 0x01), raw), -1);
	assert_int_equal(apdu_sig_der_to_raw(BYTES(0x30, 0x07, 0x02, 0x01, 0x01,
	    0x02, 0x01, 0x01, 0x00), raw), -1);
	assert_int_equal(apdu_sig_der_to_raw(BYTES(0x30, 0x05, 0x02, 0x01, 0x01,
	    0x02, 0x01, 0x01), raw), -1);
}

/* Real signatures from OpenSSL (some with short r or s): the same r and s. */
static void
test_der_sig_openssl(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t dg[32] = { 1 }, der[80], raw[64], r[32], s[32];
	int i;

	(void)state;
	assert_non_null(k);
	for (i = 0; i < 200; i++) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
		size_t dl = sizeof(der);
		const unsigned char *p = der;
		ECDSA_SIG *es;

		dg[1] = (uint8_t)i;
		assert_int_equal(EVP_PKEY_sign_init(c), 1);
		assert_int_equal(EVP_PKEY_sign(c, der, &dl, dg, sizeof(dg)), 1);
		EVP_PKEY_CTX_free(c);
		assert_int_equal(apdu_sig_der_to_raw(der, dl, raw), 0);
		es = d2i_ECDSA_SIG(NULL, &p, (long)dl);
		assert_non_null(es);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), r, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), s, 32);
		assert_memory_equal(raw, r, 32);
		assert_memory_equal(raw + 32, s, 32);
		ECDSA_SIG_free(es);
	}
	EVP_PKEY_free(k);
}

/* A self-signed certificate for key, DER in out: its length. */
static int
make_cert(EVP_PKEY *key, uint8_t *out, int max)
{
	X509 *x = X509_new();
	unsigned char *p = out;
	int n;

	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"s1002", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	n = i2d_X509(x, NULL);
	assert_true(n > 0 && n <= max);
	assert_int_equal(i2d_X509(x, &p), n);
	X509_free(x);
	return n;
}

/* What names a card: the ATR's kind, the key of a certificate. */
static void
test_card_name(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *k384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	uint8_t der[2048], pub[CARD_PUB_LEN], full[65];
	size_t fl;
	char name[CARD_NAME_MAX + 1];
	int n;

	(void)state;
	assert_true(card_atr_contactless(BYTES(0x3B, 0x8F, 0x80, 0x01, 0x80)));
	assert_true(card_atr_contactless(BYTES(0x3B, 0x88, 0x80, 0x01, 0x53)));
	assert_false(card_atr_contactless(BYTES(0x3B, 0x9F, 0x96, 0x81, 0xB1)));
	assert_false(card_atr_contactless(BYTES(0x3B, 0x8F, 0x80)));

	n = make_cert(k, der, sizeof(der));
	assert_int_equal(card_cert_pub(der, (size_t)n, pub), 0);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	    full, sizeof(full), &fl), 1);
	assert_int_equal(pub[0], 0x02 + (full[64] & 1));
	assert_memory_equal(pub + 1, full + 1, 32);
	assert_int_equal(card_pub_name(name, sizeof(name), pub), 0);
	assert_int_equal(strlen(name), 3 + 44);
	assert_memory_equal(name, "pk:", 3);
	/* a byte more, a byte less, another curve */
	assert_int_equal(card_cert_pub(der, (size_t)n + 1, pub), -1);
	assert_int_equal(card_cert_pub(der, (size_t)n - 1, pub), -1);
	n = make_cert(k384, der, sizeof(der));
	assert_int_equal(card_cert_pub(der, (size_t)n, pub), -1);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k384);
}

static const char *
line(struct outcome *o)
{
	static char buf[256];

	return outcome_message(o, buf, sizeof(buf));
}

static void
test_messages(void **state)
{
	struct outcome o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.kind = O_NO_READER;
	assert_string_equal(line(&o), "No card reader: connect the card reader and try again.");
	o.kind = O_REMOVED;
	assert_string_equal(line(&o), "Card removed: the card left the reader before sign-on finished; hold it to the reader and try again.");
	o.kind = O_NOT_STAFF;
	assert_string_equal(line(&o), "Unknown card: this is not a staff card.");
	o.kind = O_CARD_WRONG_PIN;
	o.tries = 1;
	assert_string_equal(line(&o), "Wrong PIN: 1 try left.");
	o.kind = O_VERIFIER;
	o.result = SIGNON_R_WRONG_PIN;
	o.tries = 3;
	assert_string_equal(line(&o), "Wrong PIN: 3 tries left.");
	o.tries = 0;
	assert_string_equal(line(&o), "Wrong PIN: no tries left; locked, ask IT to unlock your account.");
	o.result = SIGNON_R_LOCKED;
	assert_string_equal(line(&o), "Locked: too many failed sign-ons; ask IT to unlock your account.");
	o.result = SIGNON_R_UNKNOWN_CARD;
	assert_string_equal(line(&o), "Unknown card: this card is not registered for sign-on; ask IT.");
	o.result = SIGNON_R_SLOW_DOWN;
	assert_string_equal(line(&o), "Too many sign-on attempts from this laptop: wait a minute and try again.");
	o.result = SIGNON_R_UNAVAILABLE;
	assert_string_equal(line(&o), "Verifier unavailable: the agency cannot check sign-ons right now; try again in a moment.");
	o.kind = O_RELAY;
	o.relay_err = SIGNON_RE_UNREACHABLE;
	assert_string_equal(line(&o), "Verifier unreachable: the sign-on service does not answer; LGWAN stays closed, try again later.");
	o.kind = O_UNREACHABLE;
	assert_string_equal(line(&o), "Verifier unreachable: the netvm does not answer on the work link; LGWAN stays closed, try again later.");
	o.kind = O_CARD_BLOCKED;
	assert_string_equal(line(&o), "Locked: this card is blocked after too many wrong PINs; ask IT to reset it.");
	o.kind = O_OK;
	o.op = SIGNON_OP_SIGNON;
	o.factor = SIGNON_F_CARD_KEY;
	o.lifetime_s = 8 * 3600;
	strcpy(o.staff, "S0001");
	assert_string_equal(line(&o), "Signed on as S0001 with card key + PIN for 480 minutes.");
	assert_int_equal(outcome_exit(&o), 0);
	o.op = SIGNON_OP_HANDOVER;
	o.factor = SIGNON_F_CARD_PIN;
	strcpy(o.from, "S0002");
	assert_string_equal(line(&o), "Handed over from S0002: signed on as S0001 with card + PIN for 480 minutes.");
	o.from[0] = '\0';
	o.kind = O_NOT_SIGNED_ON;
	assert_string_equal(line(&o), "Not signed on: there is no session on this laptop to hand over; sign on.");
	o.kind = O_VERIFIER;
	o.result = SIGNON_R_NO_SESSION;
	assert_string_equal(line(&o), "Not signed on: there is no session on this laptop to hand over; sign on.");
	o.kind = O_OK;
	o.op = SIGNON_OP_SIGNOFF;
	assert_string_equal(line(&o), "Signed off.");
	/* every kind has a line and a name; only O_OK succeeds */
	for (int k = 0; k < O_KIND_MAX; k++) {
		o.kind = k;
		assert_true(strlen(line(&o)) > 5);
		assert_string_not_equal(outcome_name(&o), "?");
		assert_int_equal(outcome_exit(&o), k == O_OK ? 0 : 1);
	}
}

static void
test_answers(void **state)
{
	struct signon_challenge ch, got;
	struct signon_result_msg r;
	struct signon_relay_err_msg e;
	struct outcome o;
	uint8_t buf[SIGNON_MAX_LEN], nonce[SIGNON_NONCE_LEN];
	int n;

	(void)state;
	memset(&ch, 0, sizeof(ch));
	memset(ch.nonce, 0x5A, sizeof(ch.nonce));
	memset(ch.seal_pub, 0x11, sizeof(ch.seal_pub));
	ch.time = 1700000000;
	ch.valid_s = 30;
	n = signon_challenge_encode(buf, sizeof(buf), &ch);
	assert_int_equal(n, SIGNON_CHALLENGE_LEN);
	memset(&o, 0, sizeof(o));
	assert_int_equal(client_parse_challenge(buf, (size_t)n, &got, &o), 0);
	assert_memory_equal(got.nonce, ch.nonce, SIGNON_NONCE_LEN);
	assert_int_equal(client_parse_challenge(buf, (size_t)n - 1, &got, &o), -1);

	memset(&e, 0, sizeof(e));
	e.code = SIGNON_RE_BLOCKED;
	n = signon_relay_err_encode(buf, sizeof(buf), &e);
	assert_int_equal(client_parse_challenge(buf, (size_t)n, &got, &o), 1);
	assert_int_equal(o.kind, O_RELAY);
	assert_int_equal(o.relay_err, SIGNON_RE_BLOCKED);

	/* RESULT: taken for its nonce, op and factor only */
	memset(nonce, 0x5A, sizeof(nonce));
	memset(&r, 0, sizeof(r));
	memcpy(r.nonce, nonce, sizeof(nonce));
	r.op = SIGNON_OP_SIGNON;
	r.factor = SIGNON_F_CARD_PIN;
	r.result = SIGNON_R_WRONG_PIN;
	r.tries_left = 2;
	strcpy(r.staff, "S0001");
	strcpy(r.device, "laptop-1");
	n = signon_result_encode(buf, sizeof(buf), &r);
	assert_int_equal(n, SIGNON_RESULT_LEN);
	memset(&o, 0, sizeof(o));
	assert_int_equal(client_parse_result(buf, (size_t)n, nonce, SIGNON_OP_SIGNON,
	    SIGNON_F_CARD_PIN, &o), 0);
	assert_int_equal(o.kind, O_VERIFIER);
	assert_int_equal(o.tries, 2);
	assert_string_equal(line(&o), "Wrong PIN: 2 tries left.");
	assert_int_equal(client_parse_result(buf, (size_t)n, nonce, SIGNON_OP_SIGNOFF,
	    SIGNON_F_CARD_PIN, &o), -1);
	assert_int_equal(client_parse_result(buf, (size_t)n, nonce, SIGNON_OP_SIGNON,
	    SIGNON_F_CARD_KEY, &o), -1);
	nonce[0] ^= 1;
	assert_int_equal(client_parse_result(buf, (size_t)n, nonce, SIGNON_OP_SIGNON,
	    SIGNON_F_CARD_PIN, &o), -1);
	/* a RELAY_ERR for another exchange is not ours; one with no nonce is */
	memset(e.nonce, 0x77, sizeof(e.nonce));
	e.code = SIGNON_RE_UNREACHABLE;
	n = signon_relay_err_encode(buf, sizeof(buf), &e);
	assert_int_equal(client_parse_result(buf, (size_t)n, nonce, SIGNON_OP_SIGNON,
	    SIGNON_F_CARD_PIN, &o), -1);
	memset(e.nonce, 0, sizeof(e.nonce));
	n = signon_relay_err_encode(buf, sizeof(buf), &e);
	assert_int_equal(client_parse_result(buf, (size_t)n, nonce, SIGNON_OP_SIGNON,
	    SIGNON_F_CARD_PIN, &o), 0);
	assert_int_equal(o.kind, O_RELAY);
	/* a HELLO is no answer */
	n = signon_hello_encode(buf, sizeof(buf));
	assert_int_equal(client_parse_result(buf, (size_t)n, nonce, SIGNON_OP_SIGNON,
	    SIGNON_F_CARD_PIN, &o), -1);
}

static void
test_state(void **state)
{
	struct agent_session s;
	char dir[] = "/tmp/sekisho-agent-test.XXXXXX";

	(void)state;
	assert_int_equal(state_parse("v1 S0001 2 1700000000\n", &s), 0);
	assert_string_equal(s.staff, "S0001");
	assert_int_equal(s.factor, SIGNON_F_CARD_KEY);
	assert_int_equal(s.until, 1700000000);
	assert_int_equal(state_parse("v2 S0001 2 1700000000\n", &s), -1);
	assert_int_equal(state_parse("v1 S0001 0 1700000000\n", &s), -1);
	assert_int_equal(state_parse("v1 S0001 9 1700000000\n", &s), -1);
	assert_int_equal(state_parse("v1 S0001 2 1700000000", &s), -1);
	assert_int_equal(state_parse("v1 S0001 2 1700000000x\n", &s), -1);
	assert_int_equal(state_parse("v1 S00\x01 2 1\n", &s), -1);
	assert_int_equal(s.presence, SIGNON_PRES_NONE);
	/* the policy's presence, as the relay handed it */
	assert_int_equal(state_parse("v1 S0001 2 1700000000 2 45\n", &s), 0);
	assert_true(s.presence == SIGNON_PRES_FACE && s.presence_s == 45);
	assert_int_equal(s.until, 1700000000);
	assert_int_equal(state_parse("v1 S0001 2 1700000000 1 10\n", &s), 0);
	assert_true(s.presence == SIGNON_PRES_CARD && s.presence_s == 10);
	assert_int_equal(state_parse("v1 S0001 2 1700000000 0 0\n", &s), 0);
	assert_true(s.presence == SIGNON_PRES_NONE && s.presence_s == 0);
	assert_int_equal(state_parse("v1 S0001 2 1700000000 3 30\n", &s), -1);
	assert_int_equal(state_parse("v1 S0001 2 1700000000 1 9\n", &s), -1);
	assert_int_equal(state_parse("v1 S0001 2 1700000000 2 61\n", &s), -1);
	assert_int_equal(state_parse("v1 S0001 2 1700000000 0 30\n", &s), -1);
	assert_int_equal(state_parse("v1 S0001 2 1700000000 2\n", &s), -1);
	assert_int_equal(state_parse("v1 S0001 2 1700000000 2 30 \n", &s), -1);
	assert_int_equal(state_parse("v1 S0001 2 1700000000 -1 30\n", &s), -1);

	assert_non_null(mkdtemp(dir));
	memset(&s, 0, sizeof(s));
	strcpy(s.staff, "S0002");
	s.factor = SIGNON_F_CODE_PIN;
	s.until = 42;
	s.presence = SIGNON_PRES_CARD;
	s.presence_s = 20;
	assert_int_equal(state_save(dir, &s), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(state_load(dir, &s), 0);
	assert_string_equal(s.staff, "S0002");
	assert_int_equal(s.until, 42);
	assert_true(s.presence == SIGNON_PRES_CARD && s.presence_s == 20);
	state_clear(dir);
	assert_int_equal(state_load(dir, &s), -1);
	assert_int_equal(rmdir(dir), 0);
}

/* The link on loopback: an answer, a timeout, nobody listening. */
/* The control socket's answers as the agent reads them (netvm.h): the
 * exact framing, a line without its newline, a status; wifi and wwan by
 * the kernel's names. */
static size_t
framed(uint8_t *out, uint8_t type, const void *p, size_t n)
{
	ctl_header_encode(out, type, (uint32_t)n);
	memcpy(out + CTL_RESP_HDR_LEN, p, n);
	return CTL_RESP_HDR_LEN + n;
}

static void
test_netvm_answers(void **state)
{
	static uint8_t buf[CTL_RESP_HDR_LEN + CTL_PAYLOAD_MAX];
	static struct netvm_answer ans;
	static struct ctl_status st;
	static const char ok[] = "accepted: up2 is the preferred uplink; the tunnel runs over up2\n";
	char err[256], name[CTL_IFNAME_MAX + 1];
	size_t n;
	long sl;

	(void)state;
	n = framed(buf, CTL_T_ACCEPTED, ok, sizeof(ok) - 1);
	assert_int_equal(netvm_decode(buf, n, &ans, err, sizeof(err)), 0);
	assert_int_equal(ans.type, CTL_T_ACCEPTED);
	assert_string_equal(ans.line, "accepted: up2 is the preferred uplink; the tunnel runs over up2");
	/* one byte short, one more, two lines, a bad magic */
	assert_int_equal(netvm_decode(buf, n - 1, &ans, err, sizeof(err)), -1);
	assert_string_equal(err, "the netvm's answer refused: 63 bytes of payload, expected 64");
	assert_int_equal(netvm_decode(buf, 5, &ans, err, sizeof(err)), -1);
	assert_string_equal(err, "the netvm's answer is cut short (5 bytes)");
	n = framed(buf, CTL_T_REFUSED, "a\nb\n", 4);
	assert_int_equal(netvm_decode(buf, n, &ans, err, sizeof(err)), -1);
	assert_string_equal(err, "the netvm's answer refused: not one line ending in a newline");
	buf[0] = 'X';
	assert_int_equal(netvm_decode(buf, n, &ans, err, sizeof(err)), -1);
	/* a status with a preference */
	memset(&st, 0, sizeof(st));
	st.mode = CTL_MODE_REMOTE;
	st.flags = CTL_S_PREFER;
	st.n_uplinks = 3;
	st.active = 3;
	snprintf(st.prefer, sizeof(st.prefer), "wwan0");
	snprintf(st.uplinks[0].name, sizeof(st.uplinks[0].name), "eth0");
	st.uplinks[0].flags = CTL_U_CARRIER | CTL_U_ADDR;
	st.uplinks[0].priority = 300;
	snprintf(st.uplinks[1].name, sizeof(st.uplinks[1].name), "wlp2s0");
	st.uplinks[1].priority = 200;
	snprintf(st.uplinks[2].name, sizeof(st.uplinks[2].name), "wwan0");
	st.uplinks[2].flags = CTL_U_CARRIER | CTL_U_ADDR;
	st.uplinks[2].priority = 100;
	sl = ctl_status_encode(buf + CTL_RESP_HDR_LEN, CTL_PAYLOAD_MAX, &st);
	assert_true(sl > 0);
	ctl_header_encode(buf, CTL_T_STATUS, (uint32_t)sl);
	assert_int_equal(netvm_decode(buf, CTL_RESP_HDR_LEN + (size_t)sl, &ans, err,
	    sizeof(err)), 0);
	assert_string_equal(ans.status.prefer, "wwan0");
	netvm_uplink_line(&ans.status, 2, err, sizeof(err));
	assert_string_equal(err, "wwan0 (priority 100, carrier, address, active, preferred)");
	netvm_uplink_line(&ans.status, 1, err, sizeof(err));
	assert_string_equal(err, "wlp2s0 (priority 200, no carrier)");
	assert_int_equal(netvm_uplink_resolve(&ans.status, "wifi", name, err, sizeof(err)), 0);
	assert_string_equal(name, "wlp2s0");
	assert_int_equal(netvm_uplink_resolve(&ans.status, "wwan", name, err, sizeof(err)), 0);
	assert_string_equal(name, "wwan0");
	assert_int_equal(netvm_uplink_resolve(&ans.status, "auto", name, err, sizeof(err)), 0);
	assert_string_equal(name, "");
	assert_int_equal(netvm_uplink_resolve(NULL, "up2", name, err, sizeof(err)), 0);
	assert_string_equal(name, "up2");
	assert_int_equal(netvm_uplink_resolve(NULL, "a;b", name, err, sizeof(err)), -1);
	assert_string_equal(err, "a;b is not an interface name");
	snprintf(ans.status.uplinks[0].name, sizeof(ans.status.uplinks[0].name), "wlan0");
	assert_int_equal(netvm_uplink_resolve(&ans.status, "wifi", name, err, sizeof(err)), -1);
	assert_string_equal(err, "2 Wi-Fi uplinks (wlan0, wlp2s0); name one");
	ans.status.n_uplinks = 1;
	assert_int_equal(netvm_uplink_resolve(&ans.status, "wwan", name, err, sizeof(err)), -1);
	assert_string_equal(err, "no WWAN uplink on this laptop (uplinks: wlan0); name one");
	/* the request lines */
	assert_int_equal(ctl_prefer_request(err, "up2"), 11);
	assert_string_equal(err, "prefer up2\n");
	assert_int_equal(ctl_prefer_request(err, ""), 12);
	assert_string_equal(err, "prefer auto\n");
	assert_int_equal(ctl_prefer_request(err, "a b"), -EINVAL);
}

/* The tray's netvm line: the path, the tunnel's handshake age (as read,
 * plus the seconds since), the policy's presence check. */
static void
test_netvm_status_text(void **state)
{
	static struct ctl_status st;
	char line[256];

	(void)state;
	memset(&st, 0, sizeof(st));
	st.mode = CTL_MODE_REMOTE;
	st.flags = CTL_S_WORK | CTL_S_TUNNEL;
	st.tunnel.handshake_age_s = 12;
	netvm_status_text(&st, 0, line, sizeof(line));
	assert_string_equal(line, "Tunnel: up, last handshake 12 s ago. No presence check.");
	netvm_status_text(&st, 5, line, sizeof(line));
	assert_string_equal(line, "Tunnel: up, last handshake 17 s ago. No presence check.");
	st.flags |= CTL_S_PRESENCE;
	st.presence = CTL_PRES_CARD;
	st.presence_s = 30;
	netvm_status_text(&st, 0, line, sizeof(line));
	assert_string_equal(line, "Tunnel: up, last handshake 12 s ago. "
	    "Presence check: card, every 30 s.");
	st.presence = CTL_PRES_FACE;
	st.presence_s = 60;
	/* 179 s: still up; 180: WireGuard's session is over */
	st.tunnel.handshake_age_s = 170;
	netvm_status_text(&st, 9, line, sizeof(line));
	assert_string_equal(line, "Tunnel: up, last handshake 179 s ago. "
	    "Presence check: face, every 60 s.");
	netvm_status_text(&st, 10, line, sizeof(line));
	assert_string_equal(line, "Tunnel: no handshake for 3 min. "
	    "Presence check: face, every 60 s.");
	st.tunnel.handshake_age_s = 250;
	netvm_status_text(&st, 0, line, sizeof(line));
	assert_string_equal(line, "Tunnel: no handshake for 4 min. "
	    "Presence check: face, every 60 s.");
	st.flags &= (uint8_t)~CTL_S_PRESENCE;
	st.tunnel.handshake_age_s = -1;
	netvm_status_text(&st, 100, line, sizeof(line));
	assert_string_equal(line, "Tunnel: no handshake yet. No presence check.");
	st.flags &= (uint8_t)~CTL_S_TUNNEL;
	netvm_status_text(&st, 0, line, sizeof(line));
	assert_string_equal(line, "Tunnel: not read. No presence check.");
	st.mode = CTL_MODE_OFFICE;
	netvm_status_text(&st, 0, line, sizeof(line));
	assert_string_equal(line, "Office LAN: no tunnel. No presence check.");
	st.mode = CTL_MODE_BLOCKED;
	st.flags |= CTL_S_TUNNEL | CTL_S_PRESENCE;
	st.presence = CTL_PRES_CARD;
	st.presence_s = 10;
	netvm_status_text(&st, 0, line, sizeof(line));
	assert_string_equal(line, "Blocked: LGWAN unreachable. Presence check: card, every 10 s.");
	/* cut to the caller's buffer, never past it */
	netvm_status_text(&st, 0, line, 8);
	assert_string_equal(line, "Blocked");
}

static void
test_link(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct link *l;
	uint8_t ans[16];
	size_t alen;
	char port[8];
	int srv;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(srv >= 0);
	assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(srv, (struct sockaddr *)&sa, &sl), 0);
	snprintf(port, sizeof(port), "%u", ntohs(sa.sin_port));
	assert_int_equal(link_open(&l, "127.0.0.1", ntohs(sa.sin_port)), LINK_OK);
	/* nobody answers: two tries, then a timeout */
	assert_int_equal(link_exchange(l, (const uint8_t *)"hi", 2, ans, sizeof(ans),
	    &alen, 50, 2), LINK_E_TIMEOUT);
	{
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		uint8_t got[16];
		/* both tries arrived */
		assert_int_equal(recvfrom(srv, got, sizeof(got), 0, (struct sockaddr *)&from, &fl), 2);
		assert_int_equal(recvfrom(srv, got, sizeof(got), 0, (struct sockaddr *)&from, &fl), 2);
		/* an answer waiting already is read (and a too long one marked) */
		assert_int_equal(sendto(srv, "0123456789abcdefXYZ", 19, 0,
		    (struct sockaddr *)&from, fl), 19);
		assert_int_equal(link_exchange(l, (const uint8_t *)"hi", 2, ans, sizeof(ans),
		    &alen, 1000, 1), LINK_OK);
		assert_int_equal(alen, sizeof(ans) + 1);
	}
	link_close(l);
	close(srv);
	/* nobody listens: refused, at once */
	assert_int_equal(link_open(&l, "127.0.0.1", ntohs(sa.sin_port)), LINK_OK);
	assert_int_equal(link_exchange(l, (const uint8_t *)"hi", 2, ans, sizeof(ans),
	    &alen, 5000, 1), LINK_E_IO);
	link_close(l);
	assert_int_equal(link_open(&l, "netvm.example", 1), LINK_E_ADDR);
}

/* PINs from a descriptor: the first line only, CR LF taken, too long and
 * empty told apart, and nothing after the line consumed. */
static void
test_secret_fd(void **state)
{
	char buf[SECRET_MAX + 1], rest[8];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "2468\r\nnext", 10), 10);
	close(p[1]);
	assert_int_equal(secret_read(p[0], "", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "2468");
	assert_int_equal(read(p[0], rest, sizeof(rest)), 4);
	close(p[0]);
	secret_wipe(buf, sizeof(buf));
	assert_int_equal(buf[0], 0);

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "\n", 1), 1);
	close(p[1]);
	assert_int_equal(secret_read(p[0], "", buf, sizeof(buf)), 0);
	close(p[0]);

	assert_int_equal(pipe(p), 0);
	for (int i = 0; i < SECRET_MAX + 1; i++)
		assert_int_equal(write(p[1], "7", 1), 1);
	close(p[1]);
	assert_int_equal(secret_read(p[0], "", buf, sizeof(buf)), -2);
	/* what was read of it is wiped */
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	close(p[0]);
}

/* The audit outbox: lines, append, pending, acknowledgements, a cut line. */
static void
test_outbox(void **state)
{
	char dir[] = "/tmp/test_agent_ob.XXXXXX", path[128], lpath[128], err[256];
	char line[200], idline[32];
	struct outbox_ev ev[3], *p;
	uint64_t through, last, id, id1;
	size_t n;
	FILE *f;

	(void)state;
	/* lines: one spelling each */
	assert_int_equal(outbox_parse_line("E,1,1800000000,lock,card-removed,s1001", &ev[0],
	    &through, &last), 'E');
	assert_int_equal(ev[0].seq, 1);
	assert_int_equal(ev[0].kind, SIGNON_EV_LOCK);
	assert_int_equal(ev[0].reason, SIGNON_EVR_CARD_REMOVED);
	assert_string_equal(ev[0].staff, "s1001");
	assert_int_equal(outbox_format(&ev[0], line, sizeof(line)), 39);
	assert_string_equal(line, "E,1,1800000000,lock,card-removed,s1001\n");
	assert_int_equal(outbox_parse_line("E,2,0,mark,user,", &ev[0], &through, &last), 'E');
	assert_int_equal(outbox_parse_line("A,3,5", &ev[0], &through, &last), 'A');
	assert_int_equal(through, 3);
	assert_int_equal(last, 5);
	assert_int_equal(outbox_parse_line("A,6,5", &ev[0], &through, &last), -1);
	assert_int_equal(outbox_parse_line("E,0,1,lock,none,", &ev[0], &through, &last), -1);
	assert_int_equal(outbox_parse_line("E,01,1,lock,none,", &ev[0], &through, &last), -1);
	assert_int_equal(outbox_parse_line("E,1,1,lock,sideways,", &ev[0], &through, &last), -1);
	assert_int_equal(outbox_parse_line("E,1,1,unlock,none,", &ev[0], &through, &last), -1);
	assert_int_equal(outbox_parse_line("E,1,1,lock,none,a b", &ev[0], &through, &last), -1);
	assert_int_equal(outbox_parse_line("E,1,1,lock,none,a,b", &ev[0], &through, &last), -1);
	assert_int_equal(outbox_parse_line("E,99999999999999999999,1,lock,none,", &ev[0],
	    &through, &last), -1);
	/* the id line: 16 lower-case hex digits, not all zero */
	assert_int_equal(outbox_parse_line("O,00000000000000b1", &ev[0], &through, &last), 'O');
	assert_int_equal(outbox_parse_id("O,00000000000000b1", &id), 0);
	assert_int_equal(id, 0xb1);
	assert_int_equal(outbox_parse_id("O,ffffffffffffffff", &id), 0);
	assert_true(id == UINT64_MAX);
	assert_int_equal(outbox_parse_id("O,0000000000000000", &id), -1);
	assert_int_equal(outbox_parse_id("O,00000000000000B1", &id), -1);
	assert_int_equal(outbox_parse_id("O,0000000000000b1", &id), -1);
	assert_int_equal(outbox_parse_id("O,00000000000000b10", &id), -1);
	assert_int_equal(outbox_parse_id("O,00000000000000g1", &id), -1);
	assert_int_equal(outbox_parse_line("O,0000000000000000", &ev[0], &through, &last), -1);

	/* the file */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(id, 0);	/* none yet */
	memset(ev, 0, sizeof(ev));
	for (int i = 0; i < 3; i++) {
		ev[i].time = 1800000000u + (uint64_t)i;
		ev[i].kind = SIGNON_EV_LOCK;
		ev[i].reason = SIGNON_EVR_PRESENCE;
	}
	assert_int_equal(outbox_append(dir, ev, 2, err, sizeof(err)), 0);
	assert_int_equal(ev[1].seq, 2);
	assert_int_equal(outbox_ack(dir, 1, err, sizeof(err)), 0);
	assert_int_equal(outbox_ack(dir, 9, err, sizeof(err)), -1);	/* beyond: refused */
	assert_int_equal(outbox_append(dir, ev + 2, 1, err, sizeof(err)), 0);
	assert_int_equal(ev[2].seq, 3);	/* after an 'A' line too */
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(through, 1);
	assert_int_equal(p[0].seq, 2);
	assert_int_equal(p[1].seq, 3);
	assert_true(id != 0);
	id1 = id;
	free(p);
	/* the file begins with its id */
	snprintf(path, sizeof(path), "%s/%s", dir, OUTBOX_FILE);
	snprintf(lpath, sizeof(lpath), "%s/%s", dir, OUTBOX_LOCK);
	snprintf(idline, sizeof(idline), "O,%016" PRIx64 "\n", id1);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, idline);
	fclose(f);
	/* a line cut by a crash: not read, dropped by the next writer */
	assert_non_null(f = fopen(path, "a"));
	fputs("E,4,18", f);
	fclose(f);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	free(p);
	assert_int_equal(outbox_append(dir, ev, 1, err, sizeof(err)), 0);
	assert_int_equal(ev[0].seq, 4);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(p[2].seq, 4);
	assert_int_equal(p[2].time, 1800000000u);
	free(p);
	/* others may read it: refused, one line */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), -1);
	snprintf(line, sizeof(line), "outbox %s: not the agent's own file with mode 0600:"
	    " refused", path);
	assert_string_equal(err, line);
	assert_int_equal(chmod(path, 0600), 0);
	/* a seq out of order: the line named */
	assert_non_null(f = fopen(path, "a"));
	fputs("E,7,1,lock,none,\n", f);
	fclose(f);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), -1);
	snprintf(line, sizeof(line), "outbox %s line 7: seq out of order", path);
	assert_string_equal(err, line);
	unlink(path);

	/* a new outbox (the old one lost with its disk): seqs from 1 again,
	 * under a new id */
	memset(ev, 0, sizeof(ev));
	ev[0].kind = SIGNON_EV_MARK;
	assert_int_equal(outbox_append(dir, ev, 1, err, sizeof(err)), 0);
	assert_int_equal(ev[0].seq, 1);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_true(id != 0 && id != id1);
	free(p);
	/* a file that does not begin with its id is refused, naming line 1 */
	assert_non_null(f = fopen(path, "w"));
	fputs("E,1,0,mark,none,\n", f);
	fclose(f);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), -1);
	snprintf(line, sizeof(line), "outbox %s line 1: not the outbox's id (O,ID)", path);
	assert_string_equal(err, line);
	/* ... and an id line anywhere else */
	assert_non_null(f = fopen(path, "w"));
	fputs("O,00000000000000b1\nE,1,0,mark,none,\nO,00000000000000b2\n", f);
	fclose(f);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), -1);
	assert_non_null(strstr(err, " line 3: an id line after the first"));
	unlink(path);
	/* a crash before the id line was whole: a new outbox, a new id */
	assert_non_null(f = fopen(path, "w"));
	fputs("O,00000000000", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(outbox_append(dir, ev, 1, err, sizeof(err)), 0);
	assert_int_equal(ev[0].seq, 1);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), 0);
	assert_true(n == 1 && id != 0);
	free(p);
	unlink(path);

	/* the bound: past it, an acknowledgement drops the delivered events,
	 * never one that was not delivered */
	outbox_compact_bytes = 100;
	memset(ev, 0, sizeof(ev));
	ev[0].kind = SIGNON_EV_MARK;
	for (int i = 0; i < 10; i++)
		assert_int_equal(outbox_append(dir, ev, 1, err, sizeof(err)), 0);
	assert_int_equal(outbox_ack(dir, 6, err, sizeof(err)), 0);
	assert_int_equal(outbox_pending(dir, &id1, &p, &n, &through, err, sizeof(err)), 0);
	free(p);
	snprintf(idline, sizeof(idline), "O,%016" PRIx64 "\n", id1);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, idline);	/* the id stays */
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "B,6\n");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "E,7,0,mark,none,\n");
	fclose(f);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(through, 6);
	assert_true(id == id1);
	assert_int_equal(p[0].seq, 7);
	assert_int_equal(p[3].seq, 10);
	free(p);
	assert_int_equal(outbox_append(dir, ev, 1, err, sizeof(err)), 0);
	assert_int_equal(ev[0].seq, 11);	/* the seqs go on */
	assert_int_equal(outbox_ack(dir, 11, err, sizeof(err)), 0);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(through, 11);
	free(p);
	/* a base line anywhere but after the id is refused */
	assert_non_null(f = fopen(path, "a"));
	fputs("B,3\n", f);
	fclose(f);
	assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": a base line after the id"));
	unlink(path);

	/* a writer appending while the file is made shorter under it: it
	 * waits on the old file's lock, then appends to the new one; no
	 * event lost, none twice */
	{
		pid_t pid = fork();
		uint64_t acked = 0;
		int st;

		assert_true(pid >= 0);
		if (pid == 0) {
			for (int i = 0; i < 400; i++)
				if (outbox_append(dir, ev, 1, err, sizeof(err)) != 0)
					_exit(1);
			_exit(0);
		}
		while (waitpid(pid, &st, WNOHANG) == 0) {
			if (outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)) != 0)
				fail_msg("%s", err);
			if (n > 0) {
				assert_int_equal(p[0].seq, through + 1);
				acked = p[n - 1].seq;
				assert_int_equal(outbox_ack(dir, acked, err, sizeof(err)), 0);
			}
			free(p);
		}
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		assert_int_equal(outbox_pending(dir, &id, &p, &n, &through, err, sizeof(err)), 0);
		assert_int_equal(through + n, 400);
		assert_true(acked > 0);
		free(p);
	}
	outbox_compact_bytes = OUTBOX_COMPACT_BYTES;
	unlink(path);
	unlink(lpath);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builders),
		cmocka_unit_test(test_uid),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_general_auth),
		cmocka_unit_test(test_cert_object),
		cmocka_unit_test(test_der_sig),
		cmocka_unit_test(test_der_sig_openssl),
		cmocka_unit_test(test_card_name),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_netvm_answers),
		cmocka_unit_test(test_netvm_status_text),
		cmocka_unit_test(test_secret_fd),
		cmocka_unit_test(test_outbox),
	};
	return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}
