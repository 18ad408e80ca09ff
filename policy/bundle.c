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
_Static_assert(DIST_FRESH_LEN == FRESH_LEN, "freshness statements");

#define OFF_VERSION	4
#define OFF_SERIAL	6
#define OFF_ISSUED	14
#define OFF_MAX_AGE	22	/* version 2 only: the rest move by 4 */
#define OFF_DEVICE_V1	22
#define OFF_DEVICE	26

/* Version 2 added the max age at 22; every field after it moved by 4. */
static size_t
hdr_len(uint16_t version)
{
	return version == BUNDLE_VERSION_V1 ? BUNDLE_HDR_LEN_V1 : BUNDLE_HDR_LEN;
}

const char *
bundle_context(uint16_t version)
{
	return version == BUNDLE_VERSION_V1 ? BUNDLE_CONTEXT_V1 : BUNDLE_CONTEXT;
}

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
	if (be16_get(buf + OFF_VERSION) != BUNDLE_VERSION &&
	    be16_get(buf + OFF_VERSION) != BUNDLE_VERSION_V1)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "unsupported bundle version %u, this build reads versions %d and %d",
		    be16_get(buf + OFF_VERSION), BUNDLE_VERSION_V1, BUNDLE_VERSION);
	if (len < hdr_len(be16_get(buf + OFF_VERSION)))
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "truncated header: %zu of %zu bytes", len,
		    hdr_len(be16_get(buf + OFF_VERSION)));
	return BUNDLE_OK;
}

/* Version 2's signed time and max age: a time from 1 (a bundle that
 * expires must say when it was signed), an age in range. */
static int
decode_age(const uint8_t *buf, const char *name, struct bundle *b,
    struct sk_error *err)
{
	if (b->version == BUNDLE_VERSION_V1)
		return BUNDLE_OK;
	b->max_age = be32_get(buf + OFF_MAX_AGE);
	if (b->issued == 0)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "signed time 0 out of range, expected 1 to %" PRIu64,
		    (uint64_t)BUNDLE_TIME_MAX);
	if (b->max_age < BUNDLE_MAX_AGE_MIN || b->max_age > BUNDLE_MAX_AGE_MAX)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "max age %" PRIu32 " s out of range, expected %d to %d",
		    b->max_age, BUNDLE_MAX_AGE_MIN, BUNDLE_MAX_AGE_MAX);
	return BUNDLE_OK;
}

/* The header's fields, each in its range. */
static int
decode_fields(const uint8_t *buf, const char *name, struct bundle *b,
    struct sk_error *err)
{
	uint16_t version = be16_get(buf + OFF_VERSION);
	size_t off = version == BUNDLE_VERSION_V1 ? OFF_DEVICE_V1 : OFF_DEVICE;
	uint32_t plen = be32_get(buf + off + 2 * BUNDLE_KEY_LEN);
	int rc;

	b->version = version;
	b->serial = be64_get(buf + OFF_SERIAL);
	b->issued = be64_get(buf + OFF_ISSUED);
	memcpy(b->device, buf + off, BUNDLE_KEY_LEN);
	memcpy(b->signer, buf + off + BUNDLE_KEY_LEN, BUNDLE_KEY_LEN);
	if (b->serial == 0 || b->serial > BUNDLE_SERIAL_MAX)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "serial %" PRIu64 " out of range, expected 1 to %" PRIu64,
		    b->serial, (uint64_t)BUNDLE_SERIAL_MAX);
	if (b->issued > BUNDLE_TIME_MAX)
		return bad(err, BUNDLE_E_MALFORMED, name,
		    "%s time %" PRIu64 " out of range, expected %d to %" PRIu64,
		    version == BUNDLE_VERSION_V1 ? "issue" : "signed", b->issued,
		    version == BUNDLE_VERSION_V1 ? 0 : 1, (uint64_t)BUNDLE_TIME_MAX);
	if ((rc = decode_age(buf, name, b, err)) != BUNDLE_OK)
		return rc;
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
	size_t rest = len - hdr_len(b->version);

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
	d.policy = (const char *)buf + hdr_len(d.version);
	d.signed_part = buf;
	d.signed_len = hdr_len(d.version) + d.policy_len;
	d.sig = buf + d.signed_len;
	*b = d;
	return BUNDLE_OK;
}

size_t
bundle_encode_body(uint8_t *out, uint64_t serial, uint64_t issued,
    uint32_t max_age, const uint8_t device[BUNDLE_KEY_LEN],
    const uint8_t signer[BUNDLE_KEY_LEN], const char *policy, size_t policy_len)
{
	memcpy(out, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
	be16_put(out + OFF_VERSION, BUNDLE_VERSION);
	be64_put(out + OFF_SERIAL, serial);
	be64_put(out + OFF_ISSUED, issued);
	be32_put(out + OFF_MAX_AGE, max_age);
	memcpy(out + OFF_DEVICE, device, BUNDLE_KEY_LEN);
	memcpy(out + OFF_DEVICE + BUNDLE_KEY_LEN, signer, BUNDLE_KEY_LEN);
	be32_put(out + OFF_DEVICE + 2 * BUNDLE_KEY_LEN, (uint32_t)policy_len);
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
