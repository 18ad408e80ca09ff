/*
 * Signed policy bundles, format version 2 (docs/bundle.md): one device's
 * policy, its identity and serial, the time it was signed and how long
 * the device may rely on it, signed with Ed25519 by the agency.
 *
 *   offset  size  field
 *        0     4  magic "SKPB"
 *        4     2  format version, 2
 *        6     8  serial, 1 .. 2^63-1, equal to the policy's serial
 *       14     8  signed time, unix seconds, 1 .. 2^63-1
 *       22     4  max age, seconds, BUNDLE_MAX_AGE_MIN .. BUNDLE_MAX_AGE_MAX
 *       26    32  device: the device's WireGuard public key
 *       58    32  signer: the agency's Ed25519 public key that signed
 *       90     4  length N of the policy text, 1 .. POLICY_MAX_SIZE
 *       94     N  the policy text, as the agency wrote it
 *     94+N    64  Ed25519 signature of "sekisho-bundle-v2" || bytes 0 .. 94+N
 *
 * Format version 1 is still read (a laptop keeps the bundle it holds
 * across an upgrade): no max age field (the header is 90 bytes, the
 * policy length at 86), an issue time from 0, the context
 * "sekisho-bundle-v1"; it never expires. Only version 2 is written.
 *
 * Integers are big-endian. The layout is fixed by the version: there are
 * no optional fields, and nothing may follow the signature.
 *
 * A freshness statement (bundle_fresh.c) is the agency's signed word that
 * a device's newest bundle is still serial S at time T, so that a device
 * holding S may go on relying on it without a new bundle:
 *
 *        0     4  magic "SKPF"
 *        4     2  version, 1
 *        6     8  serial S, 1 .. 2^63-1
 *       14     8  time T, unix seconds, 1 .. 2^63-1
 *       22    32  device
 *       54    32  signer
 *       86    64  Ed25519 signature of "sekisho-fresh-v1" || bytes 0 .. 86
 *
 * Three layers, so that a process can verify without linking libcrypto
 * (sekishod keeps libcrypto in a helper, as it does for beacons):
 *   bundle.c          the codec: decode and encode, no cryptography;
 *   bundle_check.c    the decisions after the signature: device, serial,
 *                     the policy text (parsed only once signed);
 *   bundle_crypto.c   Ed25519: keys, sign, verify, and bundle_open, the
 *                     whole acceptance in one call.
 */
#ifndef SK_BUNDLE_H
#define SK_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#include "lib/util.h"
#include "policy/policy.h"

#define BUNDLE_VERSION		2	/* the version written */
#define BUNDLE_VERSION_V1	1	/* still read: never expires */
#define BUNDLE_MAGIC		"SKPB"
#define BUNDLE_MAGIC_LEN	4
#define BUNDLE_CONTEXT		"sekisho-bundle-v2"	/* signed before the bytes */
#define BUNDLE_CONTEXT_V1	"sekisho-bundle-v1"
#define BUNDLE_CONTEXT_LEN	17
#define BUNDLE_KEY_LEN		32
#define BUNDLE_SIG_LEN		64
#define BUNDLE_HDR_LEN		94
#define BUNDLE_HDR_LEN_V1	90
#define BUNDLE_MIN_SIZE		(BUNDLE_HDR_LEN_V1 + 1 + BUNDLE_SIG_LEN)
#define BUNDLE_MAX_SIZE		(BUNDLE_HDR_LEN + POLICY_MAX_SIZE + BUNDLE_SIG_LEN)
#define BUNDLE_MAX_KEYS		8	/* agency keys pinned at once */
#define BUNDLE_SERIAL_MAX	INT64_MAX
#define BUNDLE_TIME_MAX		INT64_MAX
#define BUNDLE_MAX_AGE_MIN	60		/* a minute: tests, and the impatient */
#define BUNDLE_MAX_AGE_MAX	31622400	/* 366 days */
#define BUNDLE_MAX_AGE_DEFAULT	604800		/* sign's default: 7 days */

#define FRESH_MAGIC		"SKPF"
#define FRESH_VERSION		1
#define FRESH_CONTEXT		"sekisho-fresh-v1"
#define FRESH_CONTEXT_LEN	16
#define FRESH_BODY_LEN		86
#define FRESH_LEN		(FRESH_BODY_LEN + BUNDLE_SIG_LEN)	/* 150 */

/* Every refusal has its class; the message in err says exactly what. */
enum bundle_err {
	BUNDLE_OK		=  0,
	BUNDLE_E_MALFORMED	= -1,	/* not a well-formed version 1 bundle */
	BUNDLE_E_UNSIGNED	= -2,	/* no signature: a bare container or a plain policy file */
	BUNDLE_E_KEY		= -3,	/* signed by a key that is not pinned (wrong key) */
	BUNDLE_E_SIGNATURE	= -4,	/* the signature does not verify (tampered) */
	BUNDLE_E_DEVICE		= -5,	/* made for another device */
	BUNDLE_E_OLDER		= -6,	/* serial below the one already accepted (rollback) */
	BUNDLE_E_SAME		= -7,	/* serial equal to the one already accepted */
	BUNDLE_E_POLICY		= -8,	/* the signed policy is invalid, or its serial differs */
	BUNDLE_E_SYSTEM		= -9,	/* out of memory, OpenSSL, I/O */
};

/* A decoded bundle. The pointers point into the buffer given to
 * bundle_decode, which must outlive this struct. */
struct bundle {
	uint16_t	 version;
	uint64_t	 serial;
	uint64_t	 issued;	/* the signed time */
	uint32_t	 max_age;	/* seconds; 0: version 1, never expires */
	uint8_t		 device[BUNDLE_KEY_LEN];
	uint8_t		 signer[BUNDLE_KEY_LEN];
	const char	*policy;	/* not NUL-terminated */
	size_t		 policy_len;
	const uint8_t	*signed_part;	/* bytes 0 .. header + policy_len */
	size_t		 signed_len;
	const uint8_t	*sig;		/* BUNDLE_SIG_LEN bytes */
};

/* What the device trusts, and what it has already accepted. */
struct bundle_trust {
	const uint8_t	(*keys)[BUNDLE_KEY_LEN];	/* pinned agency public keys */
	size_t		  n_keys;	/* 1 .. BUNDLE_MAX_KEYS; 0 refuses everything */
	/* This device's WireGuard public key. NULL skips the check: only for
	 * offline tools (sekisho-policy verify without --device). */
	const uint8_t	 *device;
	uint64_t	  accepted;	/* highest serial accepted so far, 0 = none */
	/* 0: the serial must be above accepted (a newly fetched bundle).
	 * 1: equal passes too (re-opening the device's own stored bundle at
	 * start, whose serial is the one in the store). */
	int		  same_ok;
};

/* What the caller may log or show about an accepted bundle. */
struct bundle_info {
	uint16_t	version;
	uint64_t	serial;
	uint64_t	issued;
	uint32_t	max_age;	/* 0: version 1, never expires */
	uint8_t		device[BUNDLE_KEY_LEN];
	uint8_t		signer[BUNDLE_KEY_LEN];
	size_t		key_index;	/* which of trust->keys verified it */
};

/* ---- bundle.c: the codec (no cryptography) ---- */

/*
 * Checks the structure of len bytes, in order: size limit, magic (a plain
 * policy file is BUNDLE_E_UNSIGNED), version (1 or 2), header length,
 * field ranges (serial, signed time, max age, non-zero keys, policy
 * length), then the lengths:
 * the policy complete, a signature present (else BUNDLE_E_UNSIGNED) and
 * complete, no trailing byte. Returns BUNDLE_OK and fills b, or
 * BUNDLE_E_MALFORMED / BUNDLE_E_UNSIGNED with "NAME: what" in err.
 * Verifies nothing: see bundle_verify.
 */
int bundle_decode(const uint8_t *buf, size_t len, const char *name,
    struct bundle *b, struct sk_error *err);

/* The header and policy of a version 2 bundle: BUNDLE_HDR_LEN + policy_len
 * bytes written to out, which has room for BUNDLE_HDR_LEN + policy_len +
 * BUNDLE_SIG_LEN. The fields are not checked here; bundle_sign does.
 * Returns the length. */
size_t bundle_encode_body(uint8_t *out, uint64_t serial, uint64_t issued,
    uint32_t max_age, const uint8_t device[BUNDLE_KEY_LEN],
    const uint8_t signer[BUNDLE_KEY_LEN], const char *policy, size_t policy_len);
/* The context a bundle of this version is signed under (17 bytes). */
const char *bundle_context(uint16_t version);

/* ---- bundle_fresh.c: freshness statements (no cryptography) ---- */

struct fresh {
	uint64_t	 serial;
	uint64_t	 time;
	uint8_t		 device[BUNDLE_KEY_LEN];
	uint8_t		 signer[BUNDLE_KEY_LEN];
	const uint8_t	*signed_part;	/* FRESH_BODY_LEN bytes */
	const uint8_t	*sig;		/* BUNDLE_SIG_LEN bytes */
};

/*
 * Checks exactly len bytes, in order: length (FRESH_LEN exactly), magic,
 * version, serial, time (1 .. 2^63-1), non-zero keys. BUNDLE_OK and *f
 * filled (pointing into buf), or BUNDLE_E_MALFORMED with "NAME: what" in
 * err and *f untouched. Verifies nothing: see fresh_verify.
 */
int fresh_decode(const uint8_t *buf, size_t len, const char *name,
    struct fresh *f, struct sk_error *err);
/* FRESH_BODY_LEN bytes: the statement without its signature. */
void fresh_encode_body(uint8_t out[FRESH_BODY_LEN], uint64_t serial,
    uint64_t time, const uint8_t device[BUNDLE_KEY_LEN],
    const uint8_t signer[BUNDLE_KEY_LEN]);
/*
 * After the signature verified: made for device (constant time), and
 * about exactly serial, the one the device holds (a statement about
 * another serial proves nothing about it), and signed after `after`, the
 * freshest signed time already seen for it (a replayed or older statement
 * extends nothing). BUNDLE_OK, or BUNDLE_E_DEVICE / BUNDLE_E_OLDER /
 * BUNDLE_E_SAME with one line.
 */
int fresh_check(const struct fresh *f, const char *name,
    const uint8_t device[BUNDLE_KEY_LEN], uint64_t serial, uint64_t after,
    struct sk_error *err);

/* Reads a bundle file, at most BUNDLE_MAX_SIZE + 1 bytes (so that decode
 * can say "too large"); "-" is standard input. 0 or -errno, err set. */
int bundle_read_file(const char *path, uint8_t **buf, size_t *len,
    struct sk_error *err);

/* ---- bundle_check.c: after the signature (no cryptography) ---- */

/*
 * The decisions that follow a verified signature, in order: the device
 * (constant-time compare with t->device, unless NULL), the serial against
 * t->accepted, then the policy text parsed with policy_parse_buf (errors
 * "NAME (policy):LINE: what") and its serial equal to the bundle's.
 * Returns BUNDLE_OK and fills *out (the caller owns it: policy_free), or
 * BUNDLE_E_DEVICE, _OLDER, _SAME, _POLICY or _SYSTEM with err set and *out
 * untouched. Call it only on a bundle whose signature has been verified
 * under a pinned key (bundle_verify here, or a helper process that ran
 * `sekisho-policy verify -` on the very same bytes).
 */
int bundle_check(const struct bundle *b, const char *name,
    const struct bundle_trust *t, struct policy *out, struct sk_error *err);
/* bundle_check's first two decisions alone (device, serial), the policy
 * text not parsed: for a verifying helper whose caller parses the text
 * itself (`sekisho-policy verify --signature-only`), so that it is parsed
 * once. Same returns, never _POLICY. */
int bundle_check_head(const struct bundle *b, const char *name,
    const struct bundle_trust *t, struct sk_error *err);

/* ---- bundle_crypto.c: Ed25519 (OpenSSL 3) ---- */

/*
 * The daemon's one call: bundle_decode, bundle_verify against t->keys,
 * bundle_check. Returns BUNDLE_OK, fills *out with the policy (the caller
 * owns it) and info (if not NULL); or a negative bundle_err with one line
 * "NAME: what" in err, *out untouched. The policy text is parsed only
 * after the signature verified. Nothing is written anywhere: storing the
 * bundle and raising the serial store are the caller's next steps
 * (docs/bundle.md, "Accepting a bundle").
 */
int bundle_open(const uint8_t *buf, size_t len, const char *name,
    const struct bundle_trust *t, struct policy *out, struct bundle_info *info,
    struct sk_error *err);

/*
 * The signature of a decoded bundle: its signer must be one of keys[0..n)
 * (else BUNDLE_E_KEY, "wrong key"), and the signature must verify under it
 * (else BUNDLE_E_SIGNATURE, "tampered"). BUNDLE_OK sets *index (if not
 * NULL) to the key's position.
 */
int bundle_verify(const struct bundle *b, const char *name,
    const uint8_t (*keys)[BUNDLE_KEY_LEN], size_t n, size_t *index,
    struct sk_error *err);

/* The agency's signing key. The private key lives only inside pkey. */
struct bundle_signer {
	EVP_PKEY	*pkey;
	uint8_t		 pub[BUNDLE_KEY_LEN];
};

/* Loads a key file written by bundle_keygen: base64 of the 32-byte Ed25519
 * seed, a regular file refused when group or world accessible. The seed
 * never reaches err and is wiped. 0 or -errno. */
int bundle_signer_load(struct bundle_signer *s, const char *path,
    struct sk_error *err);
int bundle_signer_init(struct bundle_signer *s,
    const uint8_t seed[BUNDLE_KEY_LEN], struct sk_error *err);
void bundle_signer_free(struct bundle_signer *s);

/* Creates a new agency key at path: O_EXCL (never replaces a file), mode
 * 0600, fsync'd with its directory. Fills pub. 0 or -errno, err set. */
int bundle_keygen(const char *path, uint8_t pub[BUNDLE_KEY_LEN],
    struct sk_error *err);

/*
 * Signs policy text for one device. The text must parse (errors as from
 * policy_parse_buf with name); the bundle's serial is the policy's. On
 * success *out is a malloc'd bundle of *outlen bytes. 0 or a negative
 * bundle_err (BUNDLE_E_POLICY, BUNDLE_E_SYSTEM) with err set.
 */
int bundle_sign(const struct bundle_signer *s, const char *name,
    const char *policy, size_t policy_len, const uint8_t device[BUNDLE_KEY_LEN],
    uint64_t issued, uint32_t max_age, uint8_t **out, size_t *outlen,
    struct sk_error *err);

/* A freshness statement: device's newest bundle is serial, at time.
 * FRESH_LEN bytes to out. 0, or BUNDLE_E_MALFORMED / BUNDLE_E_SYSTEM. */
int fresh_sign(const struct bundle_signer *s, uint64_t serial, uint64_t time,
    const uint8_t device[BUNDLE_KEY_LEN], uint8_t out[FRESH_LEN],
    struct sk_error *err);
/* Its signature, as bundle_verify: the signer pinned (BUNDLE_E_KEY), the
 * signature under it (BUNDLE_E_SIGNATURE). */
int fresh_verify(const struct fresh *f, const char *name,
    const uint8_t (*keys)[BUNDLE_KEY_LEN], size_t n, struct sk_error *err);

#endif
