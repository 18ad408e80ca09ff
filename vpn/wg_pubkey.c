/*
 * The public key of a private key (X25519, OpenSSL). The UAPI does not
 * report a device's public key, so wg_get() derives it with this function
 * when the program links this file: wg_uapi.c refers to it weakly. The
 * netvm daemon never needs its own public key and does not link it, which
 * keeps libcrypto (some 3 MiB of resident memory) out of sekishod.
 */
#include <errno.h>
#include <openssl/evp.h>

#include "vpn/wg.h"

int
wg_public_key(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN])
{
	EVP_PKEY *k;
	size_t n = WG_KEY_LEN;
	int rc = -EPROTO;

	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, WG_KEY_LEN);
	if (k == NULL)
		return -ENOMEM;
	if (EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == WG_KEY_LEN)
		rc = 0;
	EVP_PKEY_free(k);
	return rc;
}
