#include "tests/signon/testcard.h"

#include <stdio.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "lib/encode.h"

int
testcard_new(struct testcard *c)
{
	char b64[48];

	memset(c, 0, sizeof(*c));
	if ((c->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return -1;
	/* SEC1 compressed: 02/03 by the parity of y, then x */
	if (EVP_PKEY_get_octet_string_param(c->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	    c->pub, sizeof(c->pub), &c->publen) != 1 || c->publen != 65)
		return -1;
	c->pub[0] = (uint8_t)(2 + (c->pub[64] & 1));
	c->publen = 33;
	if (b64_encode(b64, sizeof(b64), c->pub, c->publen) < 0)
		return -1;
	snprintf(c->id, sizeof(c->id), "pk:%s", b64);
	return 0;
}

int
testcard_sign(const struct testcard *c, const uint8_t digest[32], uint8_t sig[64])
{
	EVP_PKEY_CTX *pc;
	uint8_t der[80];
	const uint8_t *p = der;
	size_t derlen = sizeof(der);
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	int rc = -1;

	if ((pc = EVP_PKEY_CTX_new(c->pkey, NULL)) == NULL ||
	    EVP_PKEY_sign_init(pc) != 1 ||
	    EVP_PKEY_sign(pc, der, &derlen, digest, 32) != 1 ||
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
		goto out;
	rc = 0;
out:
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(pc);
	return rc;
}

void
testcard_free(struct testcard *c)
{
	EVP_PKEY_free(c->pkey);
	memset(c, 0, sizeof(*c));
}
