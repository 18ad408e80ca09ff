/*
 * signon-client: the agent's side of sign-on for the tests, in C (the
 * real agent with pcscd and libfprint is guestagent/sekisho-agent): HELLO
 * to the relay, the challenge, the REQUEST with the secret sealed to the
 * key the relay handed over, one line with the answer. A card with a key
 * is a P-256 key in a PEM file, signing as a PIV card does.
 *
 *	signon-client -a RELAY[:PORT] card-pin CARD        PIN in $SIGNON_PIN
 *	signon-client -a RELAY[:PORT] card-key KEY.pem
 *	signon-client -a RELAY[:PORT] code-pin STAFF       $SIGNON_PIN, $SIGNON_CODE
 *	signon-client -a RELAY[:PORT] bio STAFF yes|no
 *	signon-client -a RELAY[:PORT] signoff|lock [STAFF]
 *	signon-client card-new KEY.pem | card-id KEY.pem
 *
 * Prints "RESULT staff=S tries=N lifetime=L", "relay-error NAME" or
 * "no answer"; exit 0 for ok, 1 otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "lib/encode.h"
#include "lib/proto/signon_crypto.h"
#include "lib/proto/signon_wire.h"
#include "lib/udp.h"

static void __attribute__((noreturn))
die(const char *m)
{
	fprintf(stderr, "signon-client: %s\n", m);
	exit(2);
}

static EVP_PKEY *
card_load(const char *path, char id[SIGNON_CARD_LEN + 1])
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;
	uint8_t pub[65];
	size_t len;
	char b64[48];

	if (f == NULL || (k = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		die("cannot read the card's key");
	fclose(f);
	if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
	    sizeof(pub), &len) != 1 || len != 65)
		die("not a P-256 key");
	pub[0] = (uint8_t)(2 + (pub[64] & 1));
	b64_encode(b64, sizeof(b64), pub, 33);
	snprintf(id, SIGNON_CARD_LEN + 1, "pk:%s", b64);
	return k;
}

static void
card_sign(EVP_PKEY *k, const uint8_t dg[32], uint8_t sig[64])
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k, NULL);
	uint8_t der[80];
	const uint8_t *p = der;
	size_t dl = sizeof(der);
	ECDSA_SIG *es;
	const BIGNUM *r, *s;

	if (pc == NULL || EVP_PKEY_sign_init(pc) != 1 ||
	    EVP_PKEY_sign(pc, der, &dl, dg, 32) != 1 ||
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)dl)) == NULL)
		die("the card did not sign");
	ECDSA_SIG_get0(es, &r, &s);
	BN_bn2binpad(r, sig, 32);
	BN_bn2binpad(s, sig + 32, 32);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(pc);
}

/* Sends and waits for one datagram, up to 5 s: its length, or 0. */
static size_t
ask(int fd, const uint8_t *q, size_t qlen, uint8_t *a, size_t alen)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (send(fd, q, qlen, 0) != (ssize_t)qlen)
		die("send");
	if (poll(&pfd, 1, 5000) != 1 || (n = recv(fd, a, alen, 0)) <= 0)
		return 0;
	return (size_t)n;
}

static int
show(const uint8_t *a, size_t n)
{
	struct signon_result_msg r;
	struct signon_relay_err_msg e;

	if (n == 0) {
		printf("no answer\n");
		return 1;
	}
	if (signon_relay_err_decode(a, n, &e) == SIGNON_OK) {
		printf("relay-error %s\n", signon_relay_err_name(e.code));
		return 1;
	}
	if (signon_result_decode(a, n, &r) != SIGNON_OK) {
		printf("malformed answer\n");
		return 1;
	}
	printf("%s staff=%s tries=%u lifetime=%u\n", signon_result_name(r.result),
	    r.staff, r.tries_left, (unsigned)r.lifetime_s);
	return r.result == SIGNON_R_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct beacon_addr relay;
	struct signon_challenge ch;
	struct signon_request q;
	struct sk_error err;
	uint8_t b[SIGNON_MAX_LEN], a[SIGNON_MAX_LEN + 1];
	const char *addr = NULL, *op, *pin = getenv("SIGNON_PIN"), *code = getenv("SIGNON_CODE");
	EVP_PKEY *card = NULL;
	size_t n;
	int fd, ch_;

	while ((ch_ = getopt(argc, argv, "a:")) != -1) {
		if (ch_ != 'a')
			die("usage: see the source");
		addr = optarg;
	}
	if (optind >= argc)
		die("no operation");
	op = argv[optind++];
	if (strcmp(op, "card-new") == 0 && optind < argc) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		FILE *f;

		umask(077);
		if (k == NULL || (f = fopen(argv[optind], "w")) == NULL ||
		    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1 || fclose(f))
			die("card-new");
		return 0;
	}
	if (strcmp(op, "card-id") == 0 && optind < argc) {
		char id[SIGNON_CARD_LEN + 1];

		card_load(argv[optind], id);
		printf("%s\n", id);
		return 0;
	}
	if (addr == NULL || beacon_addr_parse(addr, SIGNON_AGENT_PORT, &relay, &err) < 0)
		die("-a RELAY[:PORT]");
	if ((fd = beacon_udp_connect(&relay, NULL, &err)) < 0)
		die(err.msg);
	memset(&q, 0, sizeof(q));
	q.op = SIGNON_OP_SIGNON;
	if (strcmp(op, "card-pin") == 0 && optind < argc) {
		q.factor = SIGNON_F_CARD_PIN;
		snprintf(q.card, sizeof(q.card), "%s", argv[optind]);
	} else if (strcmp(op, "card-key") == 0 && optind < argc) {
		q.factor = SIGNON_F_CARD_KEY;
		card = card_load(argv[optind], q.card);
	} else if (strcmp(op, "code-pin") == 0 && optind < argc) {
		q.factor = SIGNON_F_CODE_PIN;
		snprintf(q.staff, sizeof(q.staff), "%s", argv[optind]);
	} else if (strcmp(op, "bio") == 0 && optind + 1 < argc) {
		q.factor = SIGNON_F_BIOMETRIC;
		q.match = strcmp(argv[optind + 1], "yes") == 0 ? SIGNON_MATCH_YES :
		    SIGNON_MATCH_NO;
		snprintf(q.staff, sizeof(q.staff), "%s", argv[optind]);
	} else if (strcmp(op, "signoff") == 0 || strcmp(op, "lock") == 0) {
		q.op = op[0] == 's' ? SIGNON_OP_SIGNOFF : SIGNON_OP_LOCK;
		if (optind < argc)
			snprintf(q.staff, sizeof(q.staff), "%s", argv[optind]);
	} else
		die("unknown operation");
	if (q.factor != SIGNON_F_CODE_PIN)
		code = NULL;
	if (q.factor != SIGNON_F_CARD_PIN && q.factor != SIGNON_F_CODE_PIN)
		pin = NULL;

	/* HELLO, CHALLENGE */
	signon_hello_encode(b, sizeof(b));
	n = ask(fd, b, SIGNON_HELLO_LEN, a, sizeof(a));
	if (signon_challenge_decode(a, n, &ch) != SIGNON_OK)
		return show(a, n);
	memcpy(q.nonce, ch.nonce, sizeof(q.nonce));
	if (card != NULL) {
		uint8_t dg[32];

		signon_card_digest(dg, q.nonce, q.card);
		card_sign(card, dg, q.card_sig);
	}
	if (signon_request_seal(b, sizeof(b), &q, ch.seal_pub, pin ? pin : "",
	    pin ? strlen(pin) : 0, code ? code : "", code ? strlen(code) : 0) !=
	    SIGNON_REQUEST_LEN)
		die("cannot build the request");
	n = ask(fd, b, SIGNON_REQUEST_LEN, a, sizeof(a));
	EVP_PKEY_free(card);
	return show(a, n);
}
