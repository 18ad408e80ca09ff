/*
 * What a netvm trusts before it reads any bundle, provisioned as files:
 * the pinned agency public keys (-k, one base64 Ed25519 key per line, up
 * to BUNDLE_MAX_KEYS so that the agency can roll its key) and this
 * device's own WireGuard public key (-D, the one line `wg pubkey` prints),
 * which names the device in its bundles. Both are public, but they decide
 * what is accepted: a file writable by group or others is refused.
 */
#ifndef SK_TRUST_H
#define SK_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "policy/bundle.h"

#define TRUST_FILE_MAX	4096	/* bytes in a key file */

struct trust {
	uint8_t		keys[BUNDLE_MAX_KEYS][BUNDLE_KEY_LEN];
	size_t		n_keys;
	uint8_t		device[BUNDLE_KEY_LEN];
};

/*
 * Parses len bytes of a key file: one key per line (44 characters of
 * base64), empty lines and lines starting with '#' ignored, 1 to max keys.
 * 0 with *n set, or -EINVAL with "NAME:LINE: what" / "NAME: no WHAT" in err.
 */
int trust_parse_keys(const char *name, const char *what, const char *buf,
    size_t len, uint8_t (*keys)[BUNDLE_KEY_LEN], size_t max, size_t *n,
    struct sk_error *err);

/* Loads the agency keys and the device key. 0 or -errno, err set. */
int trust_load(struct trust *t, const char *keys_path, const char *device_path,
    struct sk_error *err);

#endif
