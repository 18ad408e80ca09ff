/* What names a card, from what it shows (card.h): pure, no PC/SC. */
#include "guestagent/sekisho-agent/card.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lib/encode.h"

int
card_atr_contactless(const uint8_t *atr, size_t len)
{
	return len >= 4 && atr[0] == 0x3B && (atr[1] & 0xF0) == 0x80 &&
	    atr[2] == 0x80 && atr[3] == 0x01;
}

int
card_pub_name(char *out, size_t outlen, const uint8_t pub[CARD_PUB_LEN])
{
	char b64[64];

	if (b64_encode(b64, sizeof(b64), pub, CARD_PUB_LEN) < 0)
		return -1;
	if ((size_t)snprintf(out, outlen, "pk:%s", b64) >= outlen)
		return -1;
	return 0;
}

int
card_cert_pub(const uint8_t *der, size_t len, uint8_t pub[CARD_PUB_LEN])
{
	const unsigned char *p = der;
	X509 *x;
	EVP_PKEY *k;
	char group[32];
	uint8_t full[65];
	size_t gl = 0, pl = 0;
	int rc = -1;

	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return -1;
	if (p != der + len)
		goto out;
	if ((k = X509_get0_pubkey(x)) == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
		goto out;
	if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
	    sizeof(group), &gl) != 1 || strcmp(group, "prime256v1") != 0)
		goto out;
	/* SEC1 uncompressed (04 | x | y), compressed here: 02/03 by y's parity | x. */
	if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	    full, sizeof(full), &pl) != 1 || pl != sizeof(full) || full[0] != 0x04)
		goto out;
	pub[0] = (uint8_t)(0x02 + (full[64] & 1));
	memcpy(pub + 1, full + 1, 32);
	rc = 0;
out:
	X509_free(x);
	return rc;
}
