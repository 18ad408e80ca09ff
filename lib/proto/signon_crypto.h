/*
 * The cryptography of sign-on, version 1 (docs/sign-on.md), OpenSSL 3:
 *
 *  - the secret (PIN, code) sealed by the agent to the verifier's X25519
 *    key: an ephemeral X25519 key, k = HKDF-SHA256(ikm = the shared
 *    secret, salt = ephemeral public | verifier public, info =
 *    SIGNON_CTX_SEAL), ChaCha20-Poly1305 under k with a zero nonce (k is
 *    used once), the associated data being the REQUEST's bytes 0..240
 *    (header, op, factor, nonce, card, staff, card signature): a sealed
 *    secret moved into another request does not open;
 *  - the card's answer for SIGNON_F_CARD_KEY: ECDSA P-256 over
 *    signon_card_digest() = SHA-256(SIGNON_CTX_CARD | nonce | card field
 *    (64 bytes, NUL-padded)), the 32 bytes a PIV card's GENERAL
 *    AUTHENTICATE signs, r|s on the wire;
 *  - the laptop's Ed25519 signature of a BOUND (SIGNON_CTX_BOUND | bytes
 *    0..520) and the verifier's of a RESULT (SIGNON_CTX_RESULT | bytes
 *    0..184).
 *
 * Keys live inside EVP_PKEYs; raw private bytes are wiped after use.
 */
#ifndef SK_SIGNON_CRYPTO_H
#define SK_SIGNON_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#include "lib/proto/signon_wire.h"
#include "lib/util.h"

#define SIGNON_CTX_SEAL		"sekisho-signon-v1 seal"
#define SIGNON_CTX_CARD		"sekisho-signon-v1 card"
#define SIGNON_CTX_BOUND	"sekisho-signon-v1 bound"
#define SIGNON_CTX_RESULT	"sekisho-signon-v1 result"
#define SIGNON_CTX_EVENTS	"sekisho-signon-v1 events"
#define SIGNON_CTX_EVACK	"sekisho-signon-v1 events-ack"
#define SIGNON_SEED_LEN		32	/* Ed25519 seed or X25519 private key */
#define SIGNON_P256_PUB_MAX	65	/* SEC1: 33 compressed, 65 uncompressed */

/* An Ed25519 signer (laptop: device key; verifier: result key). */
struct signon_signer {
	EVP_PKEY	*pkey;
	uint8_t		 pub[SIGNON_ED25519_LEN];
};
/* The verifier's X25519 key that secrets are sealed to. */
struct signon_unsealer {
	EVP_PKEY	*pkey;
	uint8_t		 pub[SIGNON_X25519_LEN];
};

int signon_signer_init(struct signon_signer *s,
    const uint8_t seed[SIGNON_SEED_LEN]);
int signon_unsealer_init(struct signon_unsealer *u,
    const uint8_t priv[SIGNON_SEED_LEN]);
/* A key file: one line of base64 of the 32 bytes, a regular file of mode
 * 0600/0400 (lib/secfile.h), owned by owner_uid when >= 0. what names it
 * in err ("device signing key"). 0 or -errno with one line in err. */
int signon_signer_load(struct signon_signer *s, const char *path,
    int owner_uid, struct sk_error *err);
int signon_unsealer_load(struct signon_unsealer *u, const char *path,
    int owner_uid, struct sk_error *err);
/* The same from an open descriptor (passed by a parent), closed after. */
int signon_signer_load_fd(struct signon_signer *s, int fd, const char *name,
    struct sk_error *err);
void signon_signer_free(struct signon_signer *s);
void signon_unsealer_free(struct signon_unsealer *u);

/* New keys: Ed25519 (seed, pub) or X25519 (priv, pub). SIGNON_OK or
 * SIGNON_E_CRYPTO; the caller wipes the private part. */
int signon_ed25519_keygen(uint8_t seed[SIGNON_SEED_LEN],
    uint8_t pub[SIGNON_ED25519_LEN]);
int signon_x25519_keygen(uint8_t priv[SIGNON_SEED_LEN],
    uint8_t pub[SIGNON_X25519_LEN]);

/*
 * The agent: encodes m into out (SIGNON_REQUEST_LEN bytes) with the
 * secret sealed to seal_pub: pin (pin_len <= SIGNON_PIN_MAX) and code
 * (code_len <= SIGNON_CODE_MAX; either may be empty). m's eph_pub, sealed
 * and tag are ignored and set. Returns SIGNON_REQUEST_LEN or a negative
 * signon_err. The plaintext is wiped.
 */
int signon_request_seal(uint8_t *out, size_t outlen, struct signon_request *m,
    const uint8_t seal_pub[SIGNON_X25519_LEN], const char *pin, size_t pin_len,
    const char *code, size_t code_len);
/*
 * The verifier: opens the secret of a REQUEST (raw: its SIGNON_REQUEST_LEN
 * bytes, decoded already). pin and code are NUL-terminated; *_len set.
 * SIGNON_OK, SIGNON_E_SEAL (did not open, or a field not NUL-padded) or
 * SIGNON_E_CRYPTO. The caller wipes pin and code.
 */
int signon_request_open(const struct signon_unsealer *u, const uint8_t *raw,
    char pin[SIGNON_PIN_MAX + 1], size_t *pin_len,
    char code[SIGNON_CODE_MAX + 1], size_t *code_len);

/* What a card signs for SIGNON_F_CARD_KEY. */
void signon_card_digest(uint8_t out[32], const uint8_t nonce[SIGNON_NONCE_LEN],
    const char *card);
/* ECDSA P-256: the card's public key (SEC1, 33 or 65 bytes) over digest,
 * sig = r|s. SIGNON_OK, SIGNON_E_SIGNATURE, SIGNON_E_KEY. */
int signon_card_verify(const uint8_t *pub, size_t publen,
    const uint8_t digest[32], const uint8_t sig[SIGNON_CARDSIG_LEN]);
/* The card's key in a registry card id "pk:BASE64" (SEC1): publen set.
 * SIGNON_OK or SIGNON_E_KEY. */
int signon_card_pub(const char *card, uint8_t pub[SIGNON_P256_PUB_MAX],
    size_t *publen);

/* The same checks with keys parsed once (a verifier keeps them): an
 * Ed25519 public key, or a card's P-256 key checked to lie on the curve.
 * NULL if malformed; EVP_PKEY_free them. */
EVP_PKEY *signon_ed25519_key(const uint8_t pub[SIGNON_ED25519_LEN]);
EVP_PKEY *signon_card_key(const uint8_t *pub, size_t publen);
int signon_card_verify_key(EVP_PKEY *pk, const uint8_t digest[32],
    const uint8_t sig[SIGNON_CARDSIG_LEN]);
int signon_bound_verify_key(const uint8_t *raw, EVP_PKEY *pk);

/* BOUND: m->req_raw must decode; out gets SIGNON_BOUND_LEN bytes with the
 * signature. Returns the length or a negative signon_err. */
int signon_bound_sign(uint8_t *out, size_t outlen, struct signon_bound *m,
    const struct signon_signer *s);
/* Verifies a BOUND's signature under the device's public key (raw: the
 * SIGNON_BOUND_LEN bytes). SIGNON_OK or SIGNON_E_SIGNATURE. */
int signon_bound_verify(const uint8_t *raw,
    const uint8_t pub[SIGNON_ED25519_LEN]);
int signon_result_sign(uint8_t *out, size_t outlen, struct signon_result_msg *m,
    const struct signon_signer *s);
int signon_result_verify(const uint8_t *raw,
    const uint8_t pub[SIGNON_ED25519_LEN]);

/* The audit events' EVENTS_BOUND (the laptop's key, SIGNON_CTX_EVENTS |
 * bytes 0..1088) and EVENTS_ACK (the verifier's, SIGNON_CTX_EVACK | bytes
 * 0..104), as BOUND and RESULT. */
int signon_events_bound_sign(uint8_t *out, size_t outlen,
    struct signon_events_bound *m, const struct signon_signer *s);
int signon_events_bound_verify_key(const uint8_t *raw, EVP_PKEY *pk);
int signon_events_ack_sign(uint8_t *out, size_t outlen,
    struct signon_events_ack *m, const struct signon_signer *s);
int signon_events_ack_verify(const uint8_t *raw,
    const uint8_t pub[SIGNON_ED25519_LEN]);

#endif
