/*
 * Ed25519 for the beacon (OpenSSL 3 EVP): the beacon's signer, whose private
 * key lives only inside an EVP_PKEY, and the laptop's verification of an
 * answer against the nonce it sent, the keys pinned in its policy and its
 * clock.
 */
#ifndef SK_BEACON_SIGN_H
#define SK_BEACON_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/types.h>

#include "lib/proto/beacon_wire.h"
#include "lib/util.h"

#define BEACON_SEED_LEN		32	/* Ed25519 private key (RFC 8032 seed) */
#define BEACON_MAX_KEYS		2	/* pinned at once: current and next */
#define BEACON_WINDOW		30	/* default |answer time - now|, seconds */

struct beacon_signer {
	EVP_PKEY	*pkey;
	EVP_MD_CTX	*md;
	uint8_t		 pub[BEACON_PUB_LEN];
};

/* The public keys a laptop trusts for one beacon. */
struct beacon_keys {
	size_t		n;
	uint8_t		key[BEACON_MAX_KEYS][BEACON_PUB_LEN];
};

struct beacon_result {
	char		id[BEACON_ID_LEN + 1];
	uint64_t	time;		/* the beacon's clock, unix seconds */
	int64_t		skew;		/* answer time - now, seconds */
	int		key;		/* index in the pinned keys; -1 if none */
};

/*
 * Reads a key file written by sekisho-beacon-keygen: base64 of the 32-byte
 * seed, a regular file of mode 0600 or 0400 owned by owner_uid (when >= 0).
 * On error, err holds one line naming the file and the problem; the key
 * never reaches it. The raw seed is wiped before return.
 */
int beacon_signer_load(struct beacon_signer *s, const char *path,
    int owner_uid, struct sk_error *err);
int beacon_signer_init(struct beacon_signer *s,
    const uint8_t seed[BEACON_SEED_LEN], struct sk_error *err);
void beacon_signer_free(struct beacon_signer *s);

/* Fills a with a signed answer to nonce; id must be valid. BEACON_OK or
 * BEACON_E_CRYPTO. */
int beacon_sign_answer(struct beacon_signer *s,
    const uint8_t nonce[BEACON_NONCE_LEN], const char *id, uint64_t time,
    struct beacon_answer *a);

/*
 * Checks, in order: the packet (exact length, magic, version, type, flags,
 * beacon id), the nonce against the one sent (constant time), the signature
 * under one of the pinned keys, |time - now| <= window. Returns BEACON_OK or
 * the specific negative beacon_err; out (if not NULL) is filled as far as
 * the packet was understood (skew is set once the signature verified).
 */
int beacon_verify(const uint8_t *pkt, size_t len,
    const uint8_t nonce[BEACON_NONCE_LEN], const struct beacon_keys *pinned,
    time_t now, unsigned window, struct beacon_result *out);

/* A fresh random nonce from the CSPRNG; 0 or BEACON_E_CRYPTO. */
int beacon_nonce(uint8_t nonce[BEACON_NONCE_LEN]);
/* A new key pair; the caller wipes seed. 0 or BEACON_E_CRYPTO. */
int beacon_keygen(uint8_t seed[BEACON_SEED_LEN], uint8_t pub[BEACON_PUB_LEN]);
/* Adds a base64 public key to the pinned set: 0, -EINVAL or -ENOSPC. */
int beacon_keys_add_b64(struct beacon_keys *k, const char *b64);

#endif
