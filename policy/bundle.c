/* The bundle codec (bundle.h): exact lengths, known version, fields in
 * range, no trailing byte. No cryptography here. */
#include "policy/bundle.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/encode.h"
#include "lib/proto/dist_wire.h"
#include "policy/fileio.h"

/* The distribution protocol (lib/proto/dist_wire.h) carries bundles whole. */
_Static_assert(DIST_BODY_MIN == BUNDLE_MIN_SIZE, "the smallest bundle");
_Static_assert(DIST_BODY_MAX == BUNDLE_MAX_SIZE, "the largest bundle");
_Static_assert(DIST_KEY_LEN == BUNDLE_KEY_LEN, "device keys");

#define OFF_VERSION	4
#define OFF_SERIAL	6
#define OFF_ISSUED	14
#define OFF_DEVICE	22
#define OFF_SIGNER	54
#define OFF_LENGTH	86

static int
bad(struct sk_error *err, int code, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "NAME: what"; returns code. */
static int
bad(struct sk_error *err, int code, const char *name, const char *fmt, ...)
{
	char what[sizeof(err->msg)];
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		sk_errorf(err, EINVAL, "%s: %s", name, what);
	}
	return code;
}

/* A policy file where a bundle was expected: what it starts with. */
static int
looks_like_policy(const uint8_t *buf, size_t len)
{
	return (len >= 8 && memcmp(buf, "version ", 8) == 0) ||
	    (len >= 1 && buf[0] == '#');
}

/* Magic, version and the fixed-size header. */
static int
decode_head(const uint8_t *buf, size_t len, const char *name,
    struct sk_error *err)
{
	if (len > BUNDLE_MAX_SIZE)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "bundle too large: %zu bytes, at most %d", len, BUNDLE_MAX_SIZE);
	if (looks_like_policy(buf, len))
		return bad(err, BUNDLE_E_UNSIGNED, name,
		    "unsigned: a plain policy file, not a signed bundle");
	if (len < BUNDLE_MAGIC_LEN || memcmp(buf, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) != 0)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "not a policy bundle: bad magic, expected \"%s\"", BUNDLE_MAGIC);
	if (len < OFF_SERIAL)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "truncated header: %zu of %d bytes", len, BUNDLE_HDR_LEN);
	if (be16_get(buf + OFF_VERSION) != BUNDLE_VERSION)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "unsupported bundle version %u, this build reads version %d",
		    be16_get(buf + OFF_VERSION), BUNDLE_VERSION);
	if (len < BUNDLE_HDR_LEN)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "truncated header: %zu of %d bytes", len, BUNDLE_HDR_LEN);
	return BUNDLE_OK;
}

/* The header's fields, each in its range. */
static int
decode_fields(const uint8_t *buf, const char *name, struct bundle *b,
    struct sk_error *err)
{
	uint32_t plen = be32_get(buf + OFF_LENGTH);

	b->version = be16_get(buf + OFF_VERSION);
	b->serial = be64_get(buf + OFF_SERIAL);
	b->issued = be64_get(buf + OFF_ISSUED);
	memcpy(b->device, buf + OFF_DEVICE, BUNDLE_KEY_LEN);
	memcpy(b->signer, buf + OFF_SIGNER, BUNDLE_KEY_LEN);
	if (b->serial == 0 || b->serial > BUNDLE_SERIAL_MAX)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "serial %" PRIu64 " out of range, expected 1 to %" PRIu64,
		    b->serial, (uint64_t)BUNDLE_SERIAL_MAX);
	if (b->issued > BUNDLE_TIME_MAX)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "issue time %" PRIu64 " out of range, expected 0 to %" PRIu64,
		    b->issued, (uint64_t)BUNDLE_TIME_MAX);
	if (key_is_zero(b->device))
		return bad(err, BUNDLE_E_MALFORMED, name, "device key is all zero");
	if (key_is_zero(b->signer))
		return bad(err, BUNDLE_E_MALFORMED, name, "signer key is all zero");
	if (plen == 0 || plen > POLICY_MAX_SIZE)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "policy length %" PRIu32 " out of range, expected 1 to %u",
		    plen, POLICY_MAX_SIZE);
	b->policy_len = plen;
	return BUNDLE_OK;
}

/* What follows the header: the policy, the signature, nothing else. */
static int
decode_tail(size_t len, const char *name, const struct bundle *b,
    struct sk_error *err)
{
	size_t rest = len - BUNDLE_HDR_LEN;

	if (rest < b->policy_len)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "truncated policy: %zu of %zu bytes", rest, b->policy_len);
	rest -= b->policy_len;
	if (rest == 0)
		return bad(err, BUNDLE_E_UNSIGNED, name,
		    "unsigned: the bundle ends where its signature should begin");
	if (rest < BUNDLE_SIG_LEN)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "truncated signature: %zu of %d bytes", rest, BUNDLE_SIG_LEN);
	if (rest > BUNDLE_SIG_LEN)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "%zu trailing byte%s after the signature", rest - BUNDLE_SIG_LEN,
		    rest - BUNDLE_SIG_LEN == 1 ? "" : "s");
	return BUNDLE_OK;
}

int
bundle_decode(const uint8_t *buf, size_t len, const char *name,
    struct bundle *b, struct sk_error *err)
{
	struct bundle d;
	int rc;

	if (buf == NULL)
		len = 0;
	memset(&d, 0, sizeof(d));
	if ((rc = decode_head(buf, len, name, err)) != BUNDLE_OK ||
	    (rc = decode_fields(buf, name, &d, err)) != BUNDLE_OK ||
	    (rc = decode_tail(len, name, &d, err)) != BUNDLE_OK)
		return rc;
	d.policy = (const char *)buf + BUNDLE_HDR_LEN;
	d.signed_part = buf;
	d.signed_len = BUNDLE_HDR_LEN + d.policy_len;
	d.sig = buf + d.signed_len;
	*b = d;
	return BUNDLE_OK;
}

size_t
bundle_encode_body(uint8_t *out, uint64_t serial, uint64_t issued,
    const uint8_t device[BUNDLE_KEY_LEN], const uint8_t signer[BUNDLE_KEY_LEN],
    const char *policy, size_t policy_len)
{
	memcpy(out, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
	be16_put(out + OFF_VERSION, BUNDLE_VERSION);
	be64_put(out + OFF_SERIAL, serial);
	be64_put(out + OFF_ISSUED, issued);
	memcpy(out + OFF_DEVICE, device, BUNDLE_KEY_LEN);
	memcpy(out + OFF_SIGNER, signer, BUNDLE_KEY_LEN);
	be32_put(out + OFF_LENGTH, (uint32_t)policy_len);
	memcpy(out + BUNDLE_HDR_LEN, policy, policy_len);
	return BUNDLE_HDR_LEN + policy_len;
}

int
bundle_read_file(const char *path, uint8_t **buf, size_t *len,
    struct sk_error *err)
{
	size_t max = BUNDLE_MAX_SIZE + 1;

	if (strcmp(path, "-") == 0)
		return file_read_max("/dev/stdin", max, buf, len, err);
	return file_read_max(path, max, buf, len, err);
}
