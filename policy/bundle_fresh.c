/* Freshness statements (bundle.h, docs/distribution.md "Freshness"): the
 * agency's signed word that a device's newest bundle is still serial S at
 * time T. The codec and the decisions after the signature; no
 * cryptography (sekishod links this without libcrypto). */
#include "policy/bundle.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "lib/encode.h"

#define F_OFF_VERSION	4
#define F_OFF_SERIAL	6
#define F_OFF_TIME	14
#define F_OFF_DEVICE	22
#define F_OFF_SIGNER	54

int
fresh_decode(const uint8_t *buf, size_t len, const char *name,
    struct fresh *f, struct sk_error *err)
{
	struct fresh d;

	if (buf == NULL)
		len = 0;
	if (len != FRESH_LEN) {
		sk_errorf(err, EINVAL, "%s: freshness statement of %zu bytes, expected %d",
		    name, len, FRESH_LEN);
		return BUNDLE_E_MALFORMED;
	}
	if (memcmp(buf, FRESH_MAGIC, BUNDLE_MAGIC_LEN) != 0) {
		sk_errorf(err, EINVAL, "%s: not a freshness statement: bad magic, "
		    "expected \"%s\"", name, FRESH_MAGIC);
		return BUNDLE_E_MALFORMED;
	}
	if (be16_get(buf + F_OFF_VERSION) != FRESH_VERSION) {
		sk_errorf(err, EINVAL, "%s: unsupported freshness statement version %u, "
		    "this build reads version %d", name, be16_get(buf + F_OFF_VERSION),
		    FRESH_VERSION);
		return BUNDLE_E_MALFORMED;
	}
	memset(&d, 0, sizeof(d));
	d.serial = be64_get(buf + F_OFF_SERIAL);
	d.time = be64_get(buf + F_OFF_TIME);
	memcpy(d.device, buf + F_OFF_DEVICE, BUNDLE_KEY_LEN);
	memcpy(d.signer, buf + F_OFF_SIGNER, BUNDLE_KEY_LEN);
	if (d.serial == 0 || d.serial > BUNDLE_SERIAL_MAX) {
		sk_errorf(err, EINVAL, "%s: serial %" PRIu64 " out of range, expected 1 to %"
		    PRIu64, name, d.serial, (uint64_t)BUNDLE_SERIAL_MAX);
		return BUNDLE_E_MALFORMED;
	}
	if (d.time == 0 || d.time > BUNDLE_TIME_MAX) {
		sk_errorf(err, EINVAL, "%s: signed time %" PRIu64 " out of range, expected 1 to %"
		    PRIu64, name, d.time, (uint64_t)BUNDLE_TIME_MAX);
		return BUNDLE_E_MALFORMED;
	}
	if (key_is_zero(d.device) || key_is_zero(d.signer)) {
		sk_errorf(err, EINVAL, "%s: %s key is all zero", name,
		    key_is_zero(d.device) ? "device" : "signer");
		return BUNDLE_E_MALFORMED;
	}
	d.signed_part = buf;
	d.sig = buf + FRESH_BODY_LEN;
	*f = d;
	return BUNDLE_OK;
}

void
fresh_encode_body(uint8_t out[FRESH_BODY_LEN], uint64_t serial, uint64_t time,
    const uint8_t device[BUNDLE_KEY_LEN], const uint8_t signer[BUNDLE_KEY_LEN])
{
	memcpy(out, FRESH_MAGIC, BUNDLE_MAGIC_LEN);
	be16_put(out + F_OFF_VERSION, FRESH_VERSION);
	be64_put(out + F_OFF_SERIAL, serial);
	be64_put(out + F_OFF_TIME, time);
	memcpy(out + F_OFF_DEVICE, device, BUNDLE_KEY_LEN);
	memcpy(out + F_OFF_SIGNER, signer, BUNDLE_KEY_LEN);
}

int
fresh_check(const struct fresh *f, const char *name,
    const uint8_t device[BUNDLE_KEY_LEN], uint64_t serial, uint64_t after,
    struct sk_error *err)
{
	char want[KEY_B64_LEN], got[KEY_B64_LEN];

	if (!ct_equal(f->device, device, BUNDLE_KEY_LEN)) {
		key_to_b64(got, f->device);
		key_to_b64(want, device);
		sk_errorf(err, EINVAL, "%s: wrong device: made for %s, this device is %s",
		    name, got, want);
		return BUNDLE_E_DEVICE;
	}
	if (f->serial != serial) {
		sk_errorf(err, EINVAL, "%s: about serial %" PRIu64 ", the serial in force is %"
		    PRIu64 "; it proves nothing about it", name, f->serial, serial);
		return BUNDLE_E_OLDER;
	}
	if (f->time <= after) {
		sk_errorf(err, EINVAL, "%s: stale: signed at %" PRIu64 ", not after %" PRIu64
		    ", the freshest signed time already seen; replay refused", name,
		    f->time, after);
		return BUNDLE_E_OLDER;
	}
	return BUNDLE_OK;
}
