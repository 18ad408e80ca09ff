#include "lib/proto/signon_crypto.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "lib/encode.h"
#include "lib/secfile.h"

#define CTX_LEN(s)	(sizeof(s) - 1)

/* ---- keys ---- */

int
signon_signer_init(struct signon_signer *s, const uint8_t seed[SIGNON_SEED_LEN])
{
	size_t publen = SIGNON_ED25519_LEN;

	memset(s, 0, sizeof(*s));
	s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    SIGNON_SEED_LEN);
	if (s->pkey == NULL || EVP_PKEY_get_raw_public_key(s->pkey, s->pub,
	    &publen) != 1 || publen != SIGNON_ED25519_LEN) {
		signon_signer_free(s);
		return SIGNON_E_CRYPTO;
	}
	return SIGNON_OK;
}

int
signon_unsealer_init(struct signon_unsealer *u, const uint8_t priv[SIGNON_SEED_LEN])
{
	size_t publen = SIGNON_X25519_LEN;

	memset(u, 0, sizeof(*u));
	u->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    SIGNON_SEED_LEN);
	if (u->pkey == NULL || EVP_PKEY_get_raw_public_key(u->pkey, u->pub,
	    &publen) != 1 || publen != SIGNON_X25519_LEN) {
		signon_unsealer_free(u);
		return SIGNON_E_CRYPTO;
	}
	return SIGNON_OK;
}

void
signon_signer_free(struct signon_signer *s)
{
	EVP_PKEY_free(s->pkey);	/* OpenSSL clears the private key it held */
	memset(s, 0, sizeof(*s));
}

void
signon_unsealer_free(struct signon_unsealer *u)
{
	EVP_PKEY_free(u->pkey);
	memset(u, 0, sizeof(*u));
}

int
signon_signer_load(struct signon_signer *s, const char *path, int owner_uid,
    struct sk_error *err)
{
	uint8_t seed[SIGNON_SEED_LEN];
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = key_file_read(path, seed, owner_uid, err)) == 0 &&
	    signon_signer_init(s, seed) != SIGNON_OK)
		rc = sk_errorf(err, EINVAL, "key file %s: not an Ed25519 key", path);
	wipe(seed, sizeof(seed));
	return rc;
}

int
signon_unsealer_load(struct signon_unsealer *u, const char *path, int owner_uid,
    struct sk_error *err)
{
	uint8_t priv[SIGNON_SEED_LEN];
	int rc;

	memset(u, 0, sizeof(*u));
	if ((rc = key_file_read(path, priv, owner_uid, err)) == 0 &&
	    signon_unsealer_init(u, priv) != SIGNON_OK)
		rc = sk_errorf(err, EINVAL, "key file %s: not an X25519 key", path);
	wipe(priv, sizeof(priv));
	return rc;
}

int
signon_signer_load_fd(struct signon_signer *s, int fd, const char *name,
    struct sk_error *err)
{
	const struct secfile_rule rule = { "key file", 1, SECFILE_ANY_OWNER,
	    ", must be 0600" };
	char buf[KEY_B64_LEN + 2];
	uint8_t seed[SIGNON_SEED_LEN];
	size_t n = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = secfile_check(fd, name, &rule, err)) < 0)
		goto out;
	if ((rc = read_full(fd, buf, sizeof(buf) - 1, &n)) < 0) {
		rc = sk_errorf(err, -rc, "key file %s: %s", name, strerror(-rc));
		goto out;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n != KEY_B64_LEN - 1 || key_from_b64(seed, buf) != 0 ||
	    signon_signer_init(s, seed) != SIGNON_OK)
		rc = sk_errorf(err, EINVAL, "key file %s: not a base64 Ed25519 key", name);
out:
	wipe(buf, sizeof(buf));
	wipe(seed, sizeof(seed));
	close(fd);
	return rc;
}

static int
keygen(int type, uint8_t priv[SIGNON_SEED_LEN], uint8_t pub[32])
{
	EVP_PKEY *pk = NULL;
	size_t l1 = SIGNON_SEED_LEN, l2 = 32;
	int ok;

	ok = (pk = EVP_PKEY_Q_keygen(NULL, NULL, type == EVP_PKEY_ED25519 ?
	    "ED25519" : "X25519")) != NULL &&
	    EVP_PKEY_get_raw_private_key(pk, priv, &l1) == 1 && l1 == SIGNON_SEED_LEN &&
	    EVP_PKEY_get_raw_public_key(pk, pub, &l2) == 1 && l2 == 32;
	EVP_PKEY_free(pk);
	return ok ? SIGNON_OK : SIGNON_E_CRYPTO;
}

int
signon_ed25519_keygen(uint8_t seed[SIGNON_SEED_LEN], uint8_t pub[SIGNON_ED25519_LEN])
{
	return keygen(EVP_PKEY_ED25519, seed, pub);
}

int
signon_x25519_keygen(uint8_t priv[SIGNON_SEED_LEN], uint8_t pub[SIGNON_X25519_LEN])
{
	return keygen(EVP_PKEY_X25519, priv, pub);
}

/* ---- the sealed secret ---- */

/* k = HKDF-SHA256(X25519(priv, peer), salt = eph_pub | seal_pub, info). */
static int
seal_key(EVP_PKEY *priv, const uint8_t peer[SIGNON_X25519_LEN],
    const uint8_t eph_pub[SIGNON_X25519_LEN],
    const uint8_t seal_pub[SIGNON_X25519_LEN], uint8_t key[32])
{
	EVP_PKEY *pp = NULL;
	EVP_PKEY_CTX *dc = NULL;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kc = NULL;
	uint8_t shared[32], salt[64];
	size_t slen = sizeof(shared);
	OSSL_PARAM params[5];
	int rc = SIGNON_E_CRYPTO;

	memcpy(salt, eph_pub, 32);
	memcpy(salt + 32, seal_pub, 32);
	if ((pp = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer,
	    SIGNON_X25519_LEN)) == NULL ||
	    (dc = EVP_PKEY_CTX_new(priv, NULL)) == NULL ||
	    EVP_PKEY_derive_init(dc) != 1 || EVP_PKEY_derive_set_peer(dc, pp) != 1 ||
	    EVP_PKEY_derive(dc, shared, &slen) != 1 || slen != sizeof(shared))
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, shared, slen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt,
	    sizeof(salt));
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (char *)SIGNON_CTX_SEAL, CTX_LEN(SIGNON_CTX_SEAL));
	params[4] = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (kc = EVP_KDF_CTX_new(kdf)) == NULL ||
	    EVP_KDF_derive(kc, key, 32, params) != 1)
		goto out;
	rc = SIGNON_OK;
out:
	wipe(shared, sizeof(shared));
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_free(pp);
	return rc;
}

/* ChaCha20-Poly1305 under a key used once: a zero nonce. */
static int
aead(int enc, const uint8_t key[32], const uint8_t *ad, size_t adlen,
    const uint8_t *in, uint8_t *out, size_t len, uint8_t tag[SIGNON_TAG_LEN])
{
	static const uint8_t iv[12];
	EVP_CIPHER_CTX *c;
	int n, ok;

	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return SIGNON_E_CRYPTO;
	ok = EVP_CipherInit_ex(c, EVP_chacha20_poly1305(), NULL, key, iv, enc) == 1 &&
	    (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, SIGNON_TAG_LEN,
	    tag) == 1) &&
	    EVP_CipherUpdate(c, NULL, &n, ad, (int)adlen) == 1 &&
	    EVP_CipherUpdate(c, out, &n, in, (int)len) == 1 && (size_t)n == len;
	if (ok && EVP_CipherFinal_ex(c, out + len, &n) != 1)
		ok = -1;	/* the tag did not match */
	if (ok == 1 && enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG,
	    SIGNON_TAG_LEN, tag) != 1)
		ok = 0;
	EVP_CIPHER_CTX_free(c);
	if (ok == 1)
		return SIGNON_OK;
	if (!enc)
		wipe(out, len);
	return ok == -1 ? SIGNON_E_SEAL : SIGNON_E_CRYPTO;
}

int
signon_request_seal(uint8_t *out, size_t outlen, struct signon_request *m,
    const uint8_t seal_pub[SIGNON_X25519_LEN], const char *pin, size_t pin_len,
    const char *code, size_t code_len)
{
	uint8_t secret[SIGNON_SECRET_LEN], key[32], eph_priv[SIGNON_SEED_LEN];
	EVP_PKEY *eph = NULL;
	int rc;

	if (pin_len > SIGNON_PIN_MAX || code_len > SIGNON_CODE_MAX ||
	    memchr(pin, 0, pin_len) != NULL || memchr(code, 0, code_len) != NULL)
		return SIGNON_E_FIELDS;
	memset(m->eph_pub, 0, sizeof(m->eph_pub));
	memset(m->sealed, 0, sizeof(m->sealed));
	memset(m->tag, 0, sizeof(m->tag));
	if ((rc = signon_request_encode(out, outlen, m)) < 0)
		return rc;
	memset(secret, 0, sizeof(secret));
	memcpy(secret, pin, pin_len);
	memcpy(secret + SIGNON_PIN_MAX, code, code_len);
	rc = SIGNON_E_CRYPTO;
	if (signon_x25519_keygen(eph_priv, m->eph_pub) != SIGNON_OK ||
	    (eph = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, eph_priv,
	    SIGNON_SEED_LEN)) == NULL)
		goto out;
	if ((rc = seal_key(eph, seal_pub, m->eph_pub, seal_pub, key)) != SIGNON_OK ||
	    (rc = aead(1, key, out, SIGNON_REQ_AD_LEN, secret, m->sealed,
	    SIGNON_SECRET_LEN, m->tag)) != SIGNON_OK)
		goto out;
	memcpy(out + SIGNON_REQ_OFF_EPH, m->eph_pub, SIGNON_X25519_LEN);
	memcpy(out + SIGNON_REQ_OFF_SEALED, m->sealed, SIGNON_SECRET_LEN);
	memcpy(out + SIGNON_REQ_OFF_TAG, m->tag, SIGNON_TAG_LEN);
	rc = SIGNON_REQUEST_LEN;
out:
	EVP_PKEY_free(eph);
	wipe(secret, sizeof(secret));
	wipe(key, sizeof(key));
	wipe(eph_priv, sizeof(eph_priv));
	return rc;
}

/* A NUL-padded field of the plaintext: its length, or -1. */
static int
field(const uint8_t *p, size_t n, char *out)
{
	size_t len = 0;

	while (len < n && p[len] != 0)
		len++;
	for (size_t i = len; i < n; i++)
		if (p[i] != 0)
			return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return (int)len;
}

int
signon_request_open(const struct signon_unsealer *u, const uint8_t *raw,
    char pin[SIGNON_PIN_MAX + 1], size_t *pin_len,
    char code[SIGNON_CODE_MAX + 1], size_t *code_len)
{
	uint8_t secret[SIGNON_SECRET_LEN + 16], key[32], tag[SIGNON_TAG_LEN];
	int rc, a, b;

	pin[0] = code[0] = '\0';
	*pin_len = *code_len = 0;
	memcpy(tag, raw + SIGNON_REQ_OFF_TAG, SIGNON_TAG_LEN);
	if ((rc = seal_key(u->pkey, raw + SIGNON_REQ_OFF_EPH, raw + SIGNON_REQ_OFF_EPH,
	    u->pub, key)) != SIGNON_OK)
		goto out;
	if ((rc = aead(0, key, raw, SIGNON_REQ_AD_LEN, raw + SIGNON_REQ_OFF_SEALED,
	    secret, SIGNON_SECRET_LEN, tag)) != SIGNON_OK)
		goto out;
	a = field(secret, SIGNON_PIN_MAX, pin);
	b = field(secret + SIGNON_PIN_MAX, SIGNON_CODE_MAX, code);
	if (a < 0 || b < 0) {
		wipe(pin, SIGNON_PIN_MAX + 1);
		wipe(code, SIGNON_CODE_MAX + 1);
		rc = SIGNON_E_SEAL;
		goto out;
	}
	*pin_len = (size_t)a;
	*code_len = (size_t)b;
out:
	wipe(secret, sizeof(secret));
	wipe(key, sizeof(key));
	return rc;
}

/* ---- the card ---- */

void
signon_card_digest(uint8_t out[32], const uint8_t nonce[SIGNON_NONCE_LEN],
    const char *card)
{
	uint8_t msg[CTX_LEN(SIGNON_CTX_CARD) + SIGNON_NONCE_LEN + SIGNON_CARD_LEN];
	size_t n = strnlen(card, SIGNON_CARD_LEN);
	unsigned int mdlen = 32;

	memcpy(msg, SIGNON_CTX_CARD, CTX_LEN(SIGNON_CTX_CARD));
	memcpy(msg + CTX_LEN(SIGNON_CTX_CARD), nonce, SIGNON_NONCE_LEN);
	memset(msg + CTX_LEN(SIGNON_CTX_CARD) + SIGNON_NONCE_LEN, 0, SIGNON_CARD_LEN);
	memcpy(msg + CTX_LEN(SIGNON_CTX_CARD) + SIGNON_NONCE_LEN, card, n);
	if (EVP_Digest(msg, sizeof(msg), out, &mdlen, EVP_sha256(), NULL) != 1)
		memset(out, 0xff, 32);	/* no key signs this by chance */
}

int
signon_card_pub(const char *card, uint8_t pub[SIGNON_P256_PUB_MAX], size_t *publen)
{
	uint8_t buf[SIGNON_P256_PUB_MAX + 3];
	size_t len;
	int n;

	if (strncmp(card, "pk:", 3) != 0)
		return SIGNON_E_KEY;
	len = strnlen(card + 3, SIGNON_CARD_LEN);
	if ((n = b64_decode(buf, sizeof(buf), card + 3, len)) < 0)
		return SIGNON_E_KEY;
	if (!((n == 33 && (buf[0] == 2 || buf[0] == 3)) || (n == 65 && buf[0] == 4)))
		return SIGNON_E_KEY;
	memcpy(pub, buf, (size_t)n);
	*publen = (size_t)n;
	return SIGNON_OK;
}

EVP_PKEY *
signon_card_key(const uint8_t *pub, size_t publen)
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *pc = NULL, *cc = NULL;
	OSSL_PARAM params[3];
	uint8_t key[SIGNON_P256_PUB_MAX];

	if (publen > sizeof(key))
		return NULL;
	memcpy(key, pub, publen);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    key, publen);
	params[2] = OSSL_PARAM_construct_end();
	if ((pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    (cc = EVP_PKEY_CTX_new(pk, NULL)) == NULL ||
	    EVP_PKEY_public_check(cc) != 1) {	/* a point on the curve */
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	EVP_PKEY_CTX_free(cc);
	EVP_PKEY_CTX_free(pc);
	return pk;
}

int
signon_card_verify_key(EVP_PKEY *pk, const uint8_t digest[32],
    const uint8_t sig[SIGNON_CARDSIG_LEN])
{
	EVP_PKEY_CTX *vc = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	uint8_t der[80], *p = der;
	int derlen, rc = SIGNON_E_SIGNATURE;

	if ((es = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(sig, 32, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + 32, 32, NULL)) == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;
	if ((derlen = i2d_ECDSA_SIG(es, &p)) <= 0 || (size_t)derlen > sizeof(der))
		goto out;
	if ((vc = EVP_PKEY_CTX_new(pk, NULL)) != NULL &&
	    EVP_PKEY_verify_init(vc) == 1 &&
	    EVP_PKEY_verify(vc, der, (size_t)derlen, digest, 32) == 1)
		rc = SIGNON_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(vc);
	return rc;
}

int
signon_card_verify(const uint8_t *pub, size_t publen, const uint8_t digest[32],
    const uint8_t sig[SIGNON_CARDSIG_LEN])
{
	EVP_PKEY *pk = signon_card_key(pub, publen);
	int rc;

	if (pk == NULL)
		return SIGNON_E_KEY;
	rc = signon_card_verify_key(pk, digest, sig);
	EVP_PKEY_free(pk);
	return rc;
}

/* ---- Ed25519 over context | bytes ---- */

static int
ed_sign(const struct signon_signer *s, const char *ctx, size_t ctxlen,
    const uint8_t *b, size_t blen, uint8_t sig[SIGNON_SIG_LEN])
{
	uint8_t msg[64 + SIGNON_MAX_LEN];
	size_t siglen = SIGNON_SIG_LEN;
	EVP_MD_CTX *md;
	int ok;

	memcpy(msg, ctx, ctxlen);
	memcpy(msg + ctxlen, b, blen);
	if ((md = EVP_MD_CTX_new()) == NULL)
		return SIGNON_E_CRYPTO;
	ok = EVP_DigestSignInit(md, NULL, NULL, NULL, s->pkey) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, msg, ctxlen + blen) == 1 &&
	    siglen == SIGNON_SIG_LEN;
	EVP_MD_CTX_free(md);
	return ok ? SIGNON_OK : SIGNON_E_CRYPTO;
}

EVP_PKEY *
signon_ed25519_key(const uint8_t pub[SIGNON_ED25519_LEN])
{
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	    SIGNON_ED25519_LEN);
}

static int
ed_verify_key(EVP_PKEY *pk, const char *ctx, size_t ctxlen, const uint8_t *b,
    size_t blen, const uint8_t sig[SIGNON_SIG_LEN])
{
	uint8_t msg[64 + SIGNON_MAX_LEN];
	EVP_MD_CTX *md;
	int rc = SIGNON_E_CRYPTO;

	memcpy(msg, ctx, ctxlen);
	memcpy(msg + ctxlen, b, blen);
	md = EVP_MD_CTX_new();
	if (pk != NULL && md != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1)
		rc = EVP_DigestVerify(md, sig, SIGNON_SIG_LEN, msg, ctxlen + blen) == 1 ?
		    SIGNON_OK : SIGNON_E_SIGNATURE;
	EVP_MD_CTX_free(md);
	return rc;
}

static int
ed_verify(const uint8_t pub[SIGNON_ED25519_LEN], const char *ctx, size_t ctxlen,
    const uint8_t *b, size_t blen, const uint8_t sig[SIGNON_SIG_LEN])
{
	EVP_PKEY *pk = signon_ed25519_key(pub);
	int rc = ed_verify_key(pk, ctx, ctxlen, b, blen, sig);

	EVP_PKEY_free(pk);
	return rc;
}

int
signon_bound_sign(uint8_t *out, size_t outlen, struct signon_bound *m,
    const struct signon_signer *s)
{
	int rc;

	memset(m->sig, 0, sizeof(m->sig));
	if ((rc = signon_bound_encode(out, outlen, m)) < 0)
		return rc;
	if ((rc = ed_sign(s, SIGNON_CTX_BOUND, CTX_LEN(SIGNON_CTX_BOUND), out,
	    SIGNON_BOUND_OFF_SIG, m->sig)) != SIGNON_OK)
		return rc;
	memcpy(out + SIGNON_BOUND_OFF_SIG, m->sig, SIGNON_SIG_LEN);
	return SIGNON_BOUND_LEN;
}

int
signon_bound_verify(const uint8_t *raw, const uint8_t pub[SIGNON_ED25519_LEN])
{
	return ed_verify(pub, SIGNON_CTX_BOUND, CTX_LEN(SIGNON_CTX_BOUND), raw,
	    SIGNON_BOUND_OFF_SIG, raw + SIGNON_BOUND_OFF_SIG);
}

int
signon_bound_verify_key(const uint8_t *raw, EVP_PKEY *pk)
{
	return ed_verify_key(pk, SIGNON_CTX_BOUND, CTX_LEN(SIGNON_CTX_BOUND), raw,
	    SIGNON_BOUND_OFF_SIG, raw + SIGNON_BOUND_OFF_SIG);
}

int
signon_result_sign(uint8_t *out, size_t outlen, struct signon_result_msg *m,
    const struct signon_signer *s)
{
	int rc;

	memset(m->sig, 0, sizeof(m->sig));
	if ((rc = signon_result_encode(out, outlen, m)) < 0)
		return rc;
	if ((rc = ed_sign(s, SIGNON_CTX_RESULT, CTX_LEN(SIGNON_CTX_RESULT), out,
	    SIGNON_RESULT_OFF_SIG, m->sig)) != SIGNON_OK)
		return rc;
	memcpy(out + SIGNON_RESULT_OFF_SIG, m->sig, SIGNON_SIG_LEN);
	return SIGNON_RESULT_LEN;
}

int
signon_result_verify(const uint8_t *raw, const uint8_t pub[SIGNON_ED25519_LEN])
{
	return ed_verify(pub, SIGNON_CTX_RESULT, CTX_LEN(SIGNON_CTX_RESULT), raw,
	    SIGNON_RESULT_OFF_SIG, raw + SIGNON_RESULT_OFF_SIG);
}

int
signon_events_bound_sign(uint8_t *out, size_t outlen, struct signon_events_bound *m,
    const struct signon_signer *s)
{
	int rc;

	memset(m->sig, 0, sizeof(m->sig));
	if ((rc = signon_events_bound_encode(out, outlen, m)) < 0)
		return rc;
	if ((rc = ed_sign(s, SIGNON_CTX_EVENTS, CTX_LEN(SIGNON_CTX_EVENTS), out,
	    SIGNON_EVB_OFF_SIG, m->sig)) != SIGNON_OK)
		return rc;
	memcpy(out + SIGNON_EVB_OFF_SIG, m->sig, SIGNON_SIG_LEN);
	return SIGNON_EVENTS_BOUND_LEN;
}

int
signon_events_bound_verify_key(const uint8_t *raw, EVP_PKEY *pk)
{
	return ed_verify_key(pk, SIGNON_CTX_EVENTS, CTX_LEN(SIGNON_CTX_EVENTS), raw,
	    SIGNON_EVB_OFF_SIG, raw + SIGNON_EVB_OFF_SIG);
}

int
signon_events_ack_sign(uint8_t *out, size_t outlen, struct signon_events_ack *m,
    const struct signon_signer *s)
{
	int rc;

	memset(m->sig, 0, sizeof(m->sig));
	if ((rc = signon_events_ack_encode(out, outlen, m)) < 0)
		return rc;
	if ((rc = ed_sign(s, SIGNON_CTX_EVACK, CTX_LEN(SIGNON_CTX_EVACK), out,
	    SIGNON_EVA_OFF_SIG, m->sig)) != SIGNON_OK)
		return rc;
	memcpy(out + SIGNON_EVA_OFF_SIG, m->sig, SIGNON_SIG_LEN);
	return SIGNON_EVENTS_ACK_LEN;
}

int
signon_events_ack_verify(const uint8_t *raw, const uint8_t pub[SIGNON_ED25519_LEN])
{
	return ed_verify(pub, SIGNON_CTX_EVACK, CTX_LEN(SIGNON_CTX_EVACK), raw,
	    SIGNON_EVA_OFF_SIG, raw + SIGNON_EVA_OFF_SIG);
}
