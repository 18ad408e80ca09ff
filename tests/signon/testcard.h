/*
 * A card with a key, for the tests: an ECDSA P-256 key pair in memory that
 * signs a 32-byte digest as a PIV card's GENERAL AUTHENTICATE does, the
 * signature returned as r|s. (The real card path, pcscd and vpcd, is the
 * agent's: guestagent/.)
 */
#ifndef SK_TESTCARD_H
#define SK_TESTCARD_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

struct testcard {
	EVP_PKEY	*pkey;
	uint8_t		 pub[65];	/* SEC1 compressed: 33 bytes */
	size_t		 publen;
	char		 id[64 + 1];	/* "pk:" + base64 of pub */
};

int testcard_new(struct testcard *c);
int testcard_sign(const struct testcard *c, const uint8_t digest[32],
    uint8_t sig[64]);
void testcard_free(struct testcard *c);

#endif
