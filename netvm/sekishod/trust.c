#include "netvm/sekishod/trust.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/secfile.h"
#include "policy/fileio.h"

/* One line (without its newline): 0 skipped, 1 a key, -EINVAL. */
static int
parse_line(const char *s, size_t n, uint8_t key[BUNDLE_KEY_LEN])
{
	char b64[KEY_B64_LEN];

	if (n == 0 || s[0] == '#')
		return 0;
	if (n != KEY_B64_LEN - 1 || memchr(s, '\0', n) != NULL)
		return -EINVAL;
	memcpy(b64, s, n);
	b64[n] = '\0';
	if (key_from_b64(key, b64) < 0 || key_is_zero(key))
		return -EINVAL;
	return 1;
}

int
trust_parse_keys(const char *name, const char *what, const char *buf,
    size_t len, uint8_t (*keys)[BUNDLE_KEY_LEN], size_t max, size_t *n,
    struct sk_error *err)
{
	const char *p = buf, *end = buf + len, *nl;
	unsigned int line = 0;
	uint8_t key[BUNDLE_KEY_LEN];
	int rc;

	*n = 0;
	for (; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((rc = parse_line(p, (size_t)(nl - p), key)) < 0)
			return sk_errorf(err, EINVAL, "%s:%u: not %s (44 characters of base64)",
			    name, line, what);
		if (rc == 0)
			continue;
		if (*n == max)
			return sk_errorf(err, EINVAL, "%s:%u: more keys than the %zu allowed",
			    name, line, max);
		memcpy(keys[(*n)++], key, BUNDLE_KEY_LEN);
	}
	if (*n == 0)
		return sk_errorf(err, EINVAL, "%s: no key in the file, expected %s", name, what);
	return 0;
}

static int
load(const char *path, const char *what, uint8_t (*keys)[BUNDLE_KEY_LEN],
    size_t max, size_t *n, struct sk_error *err)
{
	/* Trust anchors: whoever could replace one could pin their own key,
	 * so it must belong to the daemon's own user (root). */
	struct secfile_rule rule = { NULL, 0, (int)geteuid(), NULL };
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = secfile_read(path, &rule, TRUST_FILE_MAX, &buf, &len, err)) < 0)
		return rc;
	rc = trust_parse_keys(path, what, (const char *)buf, len, keys, max, n, err);
	free(buf);
	return rc;
}

int
trust_load(struct trust *t, const char *keys_path, const char *device_path,
    struct sk_error *err)
{
	size_t one;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = load(keys_path, "an agency public key", t->keys, BUNDLE_MAX_KEYS,
	    &t->n_keys, err)) < 0)
		return rc;
	return load(device_path, "the device's WireGuard public key",
	    (uint8_t (*)[BUNDLE_KEY_LEN])t->device, 1, &one, err);
}
