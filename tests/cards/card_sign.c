/*
 * card-sign: the agent's own card code (guestagent/sekisho-agent/card.c
 * over sc_pcsc.c) asked to sign one digest, for the tests to check the
 * signature with openssl against the enrolled key, apart from any
 * verifier. Prints r|s in hex, or the agent's message for the outcome.
 *
 *   card-sign [--reader NAME] --pin-fd N DIGEST_HEX(64)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestagent/sekisho-agent/card.h"
#include "guestagent/sekisho-agent/secret.h"
#include "lib/encode.h"

int
main(int argc, char *argv[])
{
	const char *reader = NULL, *hex = NULL;
	struct sc *s = NULL;
	struct card_info ci;
	uint8_t digest[32], sig[64];
	char pin[SECRET_MAX + 1], out[129];
	int i, fd = -1, e, tries = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reader") == 0 && i + 1 < argc)
			reader = argv[++i];
		else if (strcmp(argv[i], "--pin-fd") == 0 && i + 1 < argc)
			fd = atoi(argv[++i]);
		else
			hex = argv[i];
	}
	if (fd < 0 || hex == NULL || hex_decode(digest, sizeof(digest), hex, strlen(hex)) < 0) {
		fprintf(stderr, "usage: card-sign [--reader NAME] --pin-fd N DIGEST_HEX\n");
		return 2;
	}
	if (secret_read(fd, "", pin, sizeof(pin)) <= 0)
		return 2;
	if ((e = sc_open(&s)) != SC_OK || (e = sc_wait_card(s, reader, 5000, NULL)) != SC_OK ||
	    (e = card_identify(s, &ci)) != 0) {
		printf("error %d\n", e);
		return 1;
	}
	e = card_verify_pin(s, pin, strlen(pin), &tries);
	secret_wipe(pin, sizeof(pin));
	if (e != APDU_PIN_OK) {
		printf("pin %d tries %d\n", e, tries);
		return 1;
	}
	if ((e = card_sign(s, digest, sig)) != 0) {
		printf("error %d\n", e);
		return 1;
	}
	hex_encode(out, sizeof(out), sig, sizeof(sig));
	printf("%s\n", out);
	sc_close(s);
	return 0;
}
