#include "lib/proto/beacon_sign.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "lib/encode.h"

int
beacon_signer_init(struct beacon_signer *s, const uint8_t seed[BEACON_SEED_LEN],
    struct sk_error *err)
{
	size_t publen = BEACON_PUB_LEN;

	memset(s, 0, sizeof(*s));
	s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    BEACON_SEED_LEN);
	s->md = EVP_MD_CTX_new();
	if (s->pkey == NULL || s->md == NULL ||
	    EVP_PKEY_get_raw_public_key(s->pkey, s->pub, &publen) != 1 ||
	    publen != BEACON_PUB_LEN) {
		beacon_signer_free(s);
		return sk_errorf(err, ENOMEM, "Ed25519 key: OpenSSL cannot load it");
	}
	return 0;
}

int
beacon_signer_load(struct beacon_signer *s, const char *path, int owner_uid,
    struct sk_error *err)
{
	uint8_t seed[BEACON_SEED_LEN];
	int rc;

	memset(s, 0, sizeof(*s));
	rc = key_file_read(path, seed, owner_uid, err);
	if (rc == 0)
		rc = beacon_signer_init(s, seed, err);
	wipe(seed, sizeof(seed));
	return rc;
}

void
beacon_signer_free(struct beacon_signer *s)
{
	EVP_MD_CTX_free(s->md);
	EVP_PKEY_free(s->pkey);	/* OpenSSL clears the private key it held */
	memset(s, 0, sizeof(*s));
}

int
beacon_sign_answer(struct beacon_signer *s, const uint8_t nonce[BEACON_NONCE_LEN],
    const char *id, uint64_t time, struct beacon_answer *a)
{
	uint8_t msg[BEACON_MSG_LEN];
	size_t siglen = BEACON_SIG_LEN;

	beacon_msg(msg, nonce, id, time);
	/* Ed25519 is one-shot (no digest): one init and one sign per message,
	 * on the signer's own context, so nothing is allocated per answer. */
	if (EVP_DigestSignInit(s->md, NULL, NULL, NULL, s->pkey) != 1 ||
	    EVP_DigestSign(s->md, a->sig, &siglen, msg, sizeof(msg)) != 1 ||
	    siglen != BEACON_SIG_LEN)
		return BEACON_E_CRYPTO;
	memcpy(a->nonce, nonce, BEACON_NONCE_LEN);
	sk_strlcpy(a->id, id, sizeof(a->id));
	a->time = time;
	return BEACON_OK;
}

/* 1: verifies, 0: does not, BEACON_E_CRYPTO: OpenSSL failed. */
static int
verify_one(const uint8_t pub[BEACON_PUB_LEN], const uint8_t *msg, size_t msglen,
    const uint8_t sig[BEACON_SIG_LEN])
{
	EVP_PKEY *pk;
	EVP_MD_CTX *md;
	int rc = BEACON_E_CRYPTO;

	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, BEACON_PUB_LEN);
	md = EVP_MD_CTX_new();
	if (pk != NULL && md != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1)
		rc = EVP_DigestVerify(md, sig, BEACON_SIG_LEN, msg, msglen) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return rc;
}

/* The index of the first pinned key under which the signature verifies. */
static int
verify_pinned(const struct beacon_keys *pinned, const struct beacon_answer *a)
{
	uint8_t msg[BEACON_MSG_LEN];
	size_t n = pinned->n < BEACON_MAX_KEYS ? pinned->n : BEACON_MAX_KEYS;

	if (n == 0)
		return BEACON_E_NOKEYS;
	beacon_msg(msg, a->nonce, a->id, a->time);
	for (size_t i = 0; i < n; i++) {
		int rc = verify_one(pinned->key[i], msg, sizeof(msg), a->sig);

		if (rc < 0)
			return rc;
		if (rc == 1)
			return (int)i;
	}
	return BEACON_E_SIGNATURE;
}

int
beacon_verify(const uint8_t *pkt, size_t len, const uint8_t nonce[BEACON_NONCE_LEN],
    const struct beacon_keys *pinned, time_t now, unsigned window,
    struct beacon_result *out)
{
	struct beacon_answer a;
	struct beacon_result r = { .key = -1 };
	int rc;

	if ((rc = beacon_answer_decode(pkt, len, &a)) != BEACON_OK)
		goto done;
	memcpy(r.id, a.id, sizeof(r.id));
	r.time = a.time;
	if (!ct_equal(a.nonce, nonce, BEACON_NONCE_LEN)) {
		rc = BEACON_E_NONCE;
		goto done;
	}
	if ((rc = verify_pinned(pinned, &a)) < 0)
		goto done;
	r.key = rc;
	r.skew = beacon_skew(a.time, now);
	if (r.skew < -(int64_t)window)
		rc = BEACON_E_STALE;
	else if (r.skew > (int64_t)window)
		rc = BEACON_E_FUTURE;
	else
		rc = BEACON_OK;
 done:
	if (out != NULL)
		*out = r;
	return rc;
}

int
beacon_nonce(uint8_t nonce[BEACON_NONCE_LEN])
{
	return RAND_bytes(nonce, BEACON_NONCE_LEN) == 1 ? 0 : BEACON_E_CRYPTO;
}

int
beacon_keygen(uint8_t seed[BEACON_SEED_LEN], uint8_t pub[BEACON_PUB_LEN])
{
	struct beacon_signer s;

	if (RAND_priv_bytes(seed, BEACON_SEED_LEN) != 1 ||
	    beacon_signer_init(&s, seed, NULL) < 0)
		return BEACON_E_CRYPTO;
	memcpy(pub, s.pub, BEACON_PUB_LEN);
	beacon_signer_free(&s);
	return 0;
}

int
beacon_keys_add_b64(struct beacon_keys *k, const char *b64)
{
	if (k->n >= BEACON_MAX_KEYS)
		return -ENOSPC;
	if (key_from_b64(k->key[k->n], b64) != 0 || key_is_zero(k->key[k->n]))
		return -EINVAL;
	k->n++;
	return 0;
}
