/* The decisions that follow a verified signature (bundle.h): this device,
 * never an older serial, a valid policy whose serial is the bundle's. No
 * cryptography: a daemon that verifies signatures in a helper process
 * links this without libcrypto. */
#include "policy/bundle.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int
check_device(const struct bundle *b, const char *name,
    const struct bundle_trust *t, struct sk_error *err)
{
	char want[KEY_B64_LEN], got[KEY_B64_LEN];

	if (t->device == NULL || ct_equal(b->device, t->device, BUNDLE_KEY_LEN))
		return BUNDLE_OK;
	key_to_b64(got, b->device);
	key_to_b64(want, t->device);
	sk_errorf(err, EINVAL, "%s: wrong device: made for %s, this device is %s",
	    name, got, want);
	return BUNDLE_E_DEVICE;
}

static int
check_serial(const struct bundle *b, const char *name,
    const struct bundle_trust *t, struct sk_error *err)
{
	if (b->serial < t->accepted) {
		sk_errorf(err, EINVAL, "%s: older serial: %" PRIu64 " is below %" PRIu64
		    ", the serial already accepted; rollback refused", name, b->serial,
		    t->accepted);
		return BUNDLE_E_OLDER;
	}
	if (b->serial == t->accepted && !t->same_ok) {
		sk_errorf(err, EINVAL, "%s: same serial: %" PRIu64
		    " is already accepted, not newer", name, b->serial);
		return BUNDLE_E_SAME;
	}
	return BUNDLE_OK;
}

/* The signed text through the one policy parser; its serial must be the
 * bundle's, which the device judged. */
static int
check_policy(const struct bundle *b, const char *name, struct policy *out,
    struct sk_error *err)
{
	char where[256];
	struct policy p;
	int rc;

	snprintf(where, sizeof(where), "%s (policy)", name);
	memset(&p, 0, sizeof(p));
	rc = policy_parse_buf(where, b->policy, b->policy_len, &p, err);
	if (rc == -ENOMEM)
		return BUNDLE_E_SYSTEM;
	if (rc != 0)
		return BUNDLE_E_POLICY;
	if (p.serial != b->serial) {
		sk_errorf(err, EINVAL, "%s: policy serial %" PRIu64
		    " differs from the bundle serial %" PRIu64, name, p.serial, b->serial);
		policy_free(&p);
		return BUNDLE_E_POLICY;
	}
	*out = p;
	return BUNDLE_OK;
}

int
bundle_check_head(const struct bundle *b, const char *name,
    const struct bundle_trust *t, struct sk_error *err)
{
	int rc;

	if ((rc = check_device(b, name, t, err)) != BUNDLE_OK)
		return rc;
	return check_serial(b, name, t, err);
}

int
bundle_check(const struct bundle *b, const char *name,
    const struct bundle_trust *t, struct policy *out, struct sk_error *err)
{
	int rc;

	if ((rc = bundle_check_head(b, name, t, err)) != BUNDLE_OK)
		return rc;
	return check_policy(b, name, out, err);
}
