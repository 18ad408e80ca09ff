/* Ed25519 for policy bundles (bundle.h), OpenSSL 3 EVP as in
 * lib/proto/beacon_sign.c: the agency's key, signing, verification under the
 * pinned keys, and bundle_open. Signed message: BUNDLE_CONTEXT followed by
 * the bundle's bytes up to its signature, so that no signature made for
 * anything else (a beacon answer, say) can ever pass for a bundle's. */
#include "policy/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "policy/fileio.h"

int
bundle_signer_init(struct bundle_signer *s, const uint8_t seed[BUNDLE_KEY_LEN],
    struct sk_error *err)
{
	size_t publen = BUNDLE_KEY_LEN;

	memset(s, 0, sizeof(*s));
	s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    BUNDLE_KEY_LEN);
	if (s->pkey == NULL ||
	    EVP_PKEY_get_raw_public_key(s->pkey, s->pub, &publen) != 1 ||
	    publen != BUNDLE_KEY_LEN) {
		bundle_signer_free(s);
		return sk_errorf(err, ENOMEM, "Ed25519 key: OpenSSL cannot load it");
	}
	return 0;
}

int
bundle_signer_load(struct bundle_signer *s, const char *path,
    struct sk_error *err)
{
	uint8_t seed[BUNDLE_KEY_LEN];
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = key_file_read(path, seed, -1, err)) == 0)
		rc = bundle_signer_init(s, seed, err);
	wipe(seed, sizeof(seed));
	return rc;
}

void
bundle_signer_free(struct bundle_signer *s)
{
	EVP_PKEY_free(s->pkey);	/* OpenSSL clears the private key it held */
	memset(s, 0, sizeof(*s));
}

/* The key file's one line, written to a file this call created. */
static int
write_key(int fd, const uint8_t seed[BUNDLE_KEY_LEN])
{
	char line[KEY_B64_LEN];
	ssize_t n;
	int rc = 0;

	key_to_b64(line, seed);
	line[KEY_B64_LEN - 1] = '\n';
	n = write(fd, line, KEY_B64_LEN);
	if (n != KEY_B64_LEN)
		rc = n < 0 ? -errno : -EIO;
	else if (fsync(fd) == -1)
		rc = -errno;
	wipe(line, sizeof(line));
	return rc;
}

int
bundle_keygen(const char *path, uint8_t pub[BUNDLE_KEY_LEN], struct sk_error *err)
{
	uint8_t seed[BUNDLE_KEY_LEN];
	struct bundle_signer s;
	int fd, rc;

	if (RAND_priv_bytes(seed, sizeof(seed)) != 1 ||
	    bundle_signer_init(&s, seed, err) != 0) {
		wipe(seed, sizeof(seed));
		return sk_errorf(err, EIO, "%s: OpenSSL cannot make a key", path);
	}
	memcpy(pub, s.pub, BUNDLE_KEY_LEN);
	bundle_signer_free(&s);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		wipe(seed, sizeof(seed));
		return sk_errorf(err, errno, "%s: %s", path, strerror(errno));
	}
	/* 0600 whatever the umask was. */
	rc = fchmod(fd, 0600) == -1 ? -errno : write_key(fd, seed);
	wipe(seed, sizeof(seed));
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	if (rc != 0) {
		unlink(path);
		return sk_errorf(err, -rc, "%s: %s", path, strerror(-rc));
	}
	return fsync_parent(path, err);
}

/* 1: verifies, 0: does not, -1: OpenSSL failed. */
static int
verify_one(const uint8_t pub[BUNDLE_KEY_LEN], const uint8_t *msg, size_t len,
    const uint8_t sig[BUNDLE_SIG_LEN])
{
	EVP_PKEY *pk;
	EVP_MD_CTX *md;
	int rc = -1;

	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, BUNDLE_KEY_LEN);
	md = EVP_MD_CTX_new();
	if (pk != NULL && md != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1)
		rc = EVP_DigestVerify(md, sig, BUNDLE_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return rc;
}

/* The position of the bundle's signer among the pinned keys, or -1. */
static int
pinned_index(const uint8_t signer[BUNDLE_KEY_LEN],
    const uint8_t (*keys)[BUNDLE_KEY_LEN], size_t n)
{
	int found = -1;

	for (size_t i = 0; i < n && i < BUNDLE_MAX_KEYS; i++)
		if (found < 0 && ct_equal(signer, keys[i], BUNDLE_KEY_LEN))
			found = (int)i;
	return found;
}

/* The index of signer among the n pinned keys, or BUNDLE_E_KEY with the
 * "wrong key" line (k: signer in base64) for bundles and statements alike. */
static int
pinned_signer(const uint8_t signer[BUNDLE_KEY_LEN],
    const uint8_t (*keys)[BUNDLE_KEY_LEN], size_t n, const char *name,
    const char *k, struct sk_error *err)
{
	int i;

	if (n == 0) {
		sk_errorf(err, EPERM, "%s: wrong key: no agency key is pinned", name);
		return BUNDLE_E_KEY;
	}
	if ((i = pinned_index(signer, keys, n)) < 0) {
		sk_errorf(err, EPERM, "%s: wrong key: signed by %s, which is not a pinned agency key",
		    name, k);
		return BUNDLE_E_KEY;
	}
	return i;
}

int
bundle_verify(const struct bundle *b, const char *name,
    const uint8_t (*keys)[BUNDLE_KEY_LEN], size_t n, size_t *index,
    struct sk_error *err)
{
	char k[KEY_B64_LEN];
	uint8_t *msg;
	int i, rc;

	key_to_b64(k, b->signer);
	if ((i = pinned_signer(b->signer, keys, n, name, k, err)) < 0)
		return i;
	if ((msg = malloc(BUNDLE_CONTEXT_LEN + b->signed_len)) == NULL) {
		sk_errorf(err, ENOMEM, "%s: out of memory", name);
		return BUNDLE_E_SYSTEM;
	}
	memcpy(msg, bundle_context(b->version), BUNDLE_CONTEXT_LEN);
	memcpy(msg + BUNDLE_CONTEXT_LEN, b->signed_part, b->signed_len);
	rc = verify_one(keys[i], msg, BUNDLE_CONTEXT_LEN + b->signed_len, b->sig);
	free(msg);
	if (rc < 0) {
		sk_errorf(err, EIO, "%s: OpenSSL cannot verify", name);
		return BUNDLE_E_SYSTEM;
	}
	if (rc == 0) {
		sk_errorf(err, EPERM, "%s: tampered: the signature does not verify under agency key %s",
		    name, k);
		return BUNDLE_E_SIGNATURE;
	}
	if (index != NULL)
		*index = (size_t)i;
	return BUNDLE_OK;
}

int
bundle_open(const uint8_t *buf, size_t len, const char *name,
    const struct bundle_trust *t, struct policy *out, struct bundle_info *info,
    struct sk_error *err)
{
	struct bundle b;
	size_t idx = 0;
	int rc;

	if ((rc = bundle_decode(buf, len, name, &b, err)) != BUNDLE_OK ||
	    (rc = bundle_verify(&b, name, t->keys, t->n_keys, &idx, err)) != BUNDLE_OK ||
	    (rc = bundle_check(&b, name, t, out, err)) != BUNDLE_OK)
		return rc;
	if (info != NULL) {
		info->version = b.version;
		info->serial = b.serial;
		info->issued = b.issued;
		info->max_age = b.max_age;
		memcpy(info->device, b.device, BUNDLE_KEY_LEN);
		memcpy(info->signer, b.signer, BUNDLE_KEY_LEN);
		info->key_index = idx;
	}
	return BUNDLE_OK;
}

/* The fields bundle_decode will insist on, checked before signing. */
static int
sign_args(const char *name, const char *policy, size_t len,
    const uint8_t device[BUNDLE_KEY_LEN], uint64_t issued, uint32_t max_age,
    uint64_t *serial, struct sk_error *err)
{
	struct policy p;
	int rc;

	if (key_is_zero(device)) {
		sk_errorf(err, EINVAL, "%s: device key is all zero", name);
		return BUNDLE_E_MALFORMED;
	}
	if (issued == 0 || issued > BUNDLE_TIME_MAX) {
		sk_errorf(err, EINVAL, "%s: signed time %" PRIu64 " out of range", name, issued);
		return BUNDLE_E_MALFORMED;
	}
	if (max_age < BUNDLE_MAX_AGE_MIN || max_age > BUNDLE_MAX_AGE_MAX) {
		sk_errorf(err, EINVAL, "%s: max age %" PRIu32 " s out of range, expected %d to %d",
		    name, max_age, BUNDLE_MAX_AGE_MIN, BUNDLE_MAX_AGE_MAX);
		return BUNDLE_E_MALFORMED;
	}
	memset(&p, 0, sizeof(p));
	if ((rc = policy_parse_buf(name, policy, len, &p, err)) != 0)
		return rc == -ENOMEM ? BUNDLE_E_SYSTEM : BUNDLE_E_POLICY;
	*serial = p.serial;
	policy_free(&p);
	return BUNDLE_OK;
}

/* Ed25519 is one-shot (no digest): one init and one sign. 0 or -1. */
static int
sign_msg(EVP_PKEY *pkey, const uint8_t *msg, size_t len, uint8_t sig[BUNDLE_SIG_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = BUNDLE_SIG_LEN;
	int rc = -1;

	if (md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, msg, len) == 1 && siglen == BUNDLE_SIG_LEN)
		rc = 0;
	EVP_MD_CTX_free(md);
	return rc;
}

int
bundle_sign(const struct bundle_signer *s, const char *name,
    const char *policy, size_t policy_len, const uint8_t device[BUNDLE_KEY_LEN],
    uint64_t issued, uint32_t max_age, uint8_t **out, size_t *outlen,
    struct sk_error *err)
{
	uint64_t serial;
	uint8_t *buf;
	size_t body;
	int rc;

	if ((rc = sign_args(name, policy, policy_len, device, issued, max_age,
	    &serial, err)) != 0)
		return rc;
	/* One buffer: the context, then the bundle; once signed, the
	 * context is dropped. */
	buf = malloc(BUNDLE_CONTEXT_LEN + BUNDLE_HDR_LEN + policy_len + BUNDLE_SIG_LEN);
	if (buf == NULL) {
		sk_errorf(err, ENOMEM, "%s: out of memory", name);
		return BUNDLE_E_SYSTEM;
	}
	memcpy(buf, BUNDLE_CONTEXT, BUNDLE_CONTEXT_LEN);
	body = bundle_encode_body(buf + BUNDLE_CONTEXT_LEN, serial, issued, max_age,
	    device, s->pub, policy, policy_len);
	if (sign_msg(s->pkey, buf, BUNDLE_CONTEXT_LEN + body,
	    buf + BUNDLE_CONTEXT_LEN + body) != 0) {
		free(buf);
		sk_errorf(err, EIO, "%s: OpenSSL cannot sign", name);
		return BUNDLE_E_SYSTEM;
	}
	memmove(buf, buf + BUNDLE_CONTEXT_LEN, body + BUNDLE_SIG_LEN);
	*out = buf;
	*outlen = body + BUNDLE_SIG_LEN;
	return BUNDLE_OK;
}

int
fresh_sign(const struct bundle_signer *s, uint64_t serial, uint64_t time,
    const uint8_t device[BUNDLE_KEY_LEN], uint8_t out[FRESH_LEN],
    struct sk_error *err)
{
	uint8_t msg[FRESH_CONTEXT_LEN + FRESH_BODY_LEN];

	if (key_is_zero(device) || serial == 0 || serial > BUNDLE_SERIAL_MAX ||
	    time == 0 || time > BUNDLE_TIME_MAX) {
		sk_errorf(err, EINVAL, "freshness statement: device, serial or time out of range");
		return BUNDLE_E_MALFORMED;
	}
	memcpy(msg, FRESH_CONTEXT, FRESH_CONTEXT_LEN);
	fresh_encode_body(msg + FRESH_CONTEXT_LEN, serial, time, device, s->pub);
	if (sign_msg(s->pkey, msg, sizeof(msg), out + FRESH_BODY_LEN) != 0) {
		sk_errorf(err, EIO, "freshness statement: OpenSSL cannot sign");
		return BUNDLE_E_SYSTEM;
	}
	memcpy(out, msg + FRESH_CONTEXT_LEN, FRESH_BODY_LEN);
	return BUNDLE_OK;
}

int
fresh_verify(const struct fresh *f, const char *name,
    const uint8_t (*keys)[BUNDLE_KEY_LEN], size_t n, struct sk_error *err)
{
	uint8_t msg[FRESH_CONTEXT_LEN + FRESH_BODY_LEN];
	char k[KEY_B64_LEN];
	int i, rc;

	key_to_b64(k, f->signer);
	if ((i = pinned_signer(f->signer, keys, n, name, k, err)) < 0)
		return i;
	memcpy(msg, FRESH_CONTEXT, FRESH_CONTEXT_LEN);
	memcpy(msg + FRESH_CONTEXT_LEN, f->signed_part, FRESH_BODY_LEN);
	rc = verify_one(keys[i], msg, sizeof(msg), f->sig);
	if (rc < 0) {
		sk_errorf(err, EIO, "%s: OpenSSL cannot verify", name);
		return BUNDLE_E_SYSTEM;
	}
	if (rc == 0) {
		sk_errorf(err, EPERM, "%s: tampered: the signature does not verify under agency key %s",
		    name, k);
		return BUNDLE_E_SIGNATURE;
	}
	return BUNDLE_OK;
}
