/* libFuzzer harness for the bundle decoder and the checks behind it, and
 * for freshness statements (bundle_fresh.c). Every input either fails to
 * decode with exactly one non-empty line, or decodes to fields that
 * encode back to the same bytes (format 2; format 1 to fields at their
 * format 1 offsets). A decoded bundle
 * is then signed afresh with the harness's own key, so that the checks
 * after the signature (device, serial, the policy parser) see fuzzed
 * content too: accepted only with a valid policy whose serial is the
 * bundle's; the original bytes never verify unless they carry a genuine
 * signature of the harness key. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bundle_signer signer;
static int have_signer;

static void
one_line(const struct sk_error *err)
{
	if (err->msg[0] == '\0' || strchr(err->msg, '\n') != NULL)
		abort();
}

/* bundle_open under trust, with its promises checked. */
static void
open_checked(const uint8_t *buf, size_t len, const struct bundle *b,
    const struct bundle_trust *t)
{
	static const struct policy zero;
	struct sk_error err;
	struct bundle_info info;
	struct policy p;

	memset(&p, 0, sizeof(p));
	memset(&err, 0, sizeof(err));
	if (bundle_open(buf, len, "fuzz", t, &p, &info, &err) != BUNDLE_OK) {
		one_line(&err);
		if (memcmp(&p, &zero, sizeof(p)) != 0)
			abort();
		return;
	}
	if (p.serial != b->serial || info.serial != b->serial ||
	    memcmp(info.device, b->device, BUNDLE_KEY_LEN) != 0 ||
	    b->serial < t->accepted)
		abort();
	policy_free(&p);
}

static void
resign(const struct bundle *b, const struct bundle_trust *t)
{
	uint8_t *out = NULL;
	struct sk_error err;
	struct bundle d;
	size_t outlen;

	/* bundle_sign parses first and refuses what does not parse: the
	 * accepted path is reached through it, the refused through the
	 * parser. */
	if (bundle_sign(&signer, "fuzz", b->policy, b->policy_len, b->device,
	    b->issued != 0 ? b->issued : 1, b->max_age != 0 ? b->max_age :
	    BUNDLE_MAX_AGE_MIN, &out, &outlen, &err) == BUNDLE_OK) {
		if (bundle_decode(out, outlen, "fuzz", &d, &err) != BUNDLE_OK)
			abort();
		open_checked(out, outlen, &d, t);
	} else
		one_line(&err);
	free(out);
}

/* A statement: one line, or fields that encode back to its bytes; then
 * its signature (never valid unless the harness key made it) and the
 * device's checks against values taken from it, each promise checked. */
static void
statement(const uint8_t *data, size_t size, const struct bundle_trust *t)
{
	uint8_t body[FRESH_BODY_LEN], again[FRESH_LEN];
	struct sk_error err;
	struct fresh f;
	int rc;

	memset(&err, 0, sizeof(err));
	if (fresh_decode(data, size, "fuzz", &f, &err) != BUNDLE_OK) {
		one_line(&err);
		return;
	}
	fresh_encode_body(body, f.serial, f.time, f.device, f.signer);
	if (size != FRESH_LEN || memcmp(body, data, FRESH_BODY_LEN) != 0)
		abort();
	if ((rc = fresh_verify(&f, "fuzz", t->keys, t->n_keys, &err)) != BUNDLE_OK)
		one_line(&err);
	/* Re-signed by the harness: it verifies, and the checks decide. */
	if (fresh_sign(&signer, f.serial, f.time, f.device, again, &err) != BUNDLE_OK ||
	    fresh_decode(again, FRESH_LEN, "fuzz", &f, &err) != BUNDLE_OK ||
	    fresh_verify(&f, "fuzz", t->keys, t->n_keys, &err) != BUNDLE_OK)
		abort();
	rc = fresh_check(&f, "fuzz", f.device, f.serial, f.time & 1 ? f.time - 1 : f.time,
	    &err);
	if ((rc == BUNDLE_OK) != ((f.time & 1) != 0))
		abort();
	if (rc != BUNDLE_OK)
		one_line(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t seed[BUNDLE_KEY_LEN];
	struct bundle_trust t;
	struct sk_error err;
	struct bundle b;
	uint8_t *again;

	if (!have_signer) {
		memset(seed, 0x5a, sizeof(seed));
		if (bundle_signer_init(&signer, seed, NULL) != 0)
			abort();
		have_signer = 1;
	}
	memset(&t, 0, sizeof(t));
	t.keys = (const uint8_t (*)[BUNDLE_KEY_LEN])&signer.pub;
	t.n_keys = 1;
	statement(data, size, &t);
	memset(&err, 0, sizeof(err));
	if (bundle_decode(data, size, "fuzz", &b, &err) != BUNDLE_OK) {
		one_line(&err);
		return 0;
	}
	if (b.signed_len + BUNDLE_SIG_LEN != size || (again = malloc(size)) == NULL)
		abort();
	if (b.version == BUNDLE_VERSION) {
		if (bundle_encode_body(again, b.serial, b.issued, b.max_age, b.device,
		    b.signer, b.policy, b.policy_len) != b.signed_len ||
		    memcmp(again, data, b.signed_len) != 0)
			abort();
	} else if (b.version != BUNDLE_VERSION_V1 || b.max_age != 0 ||
	    b.signed_len != BUNDLE_HDR_LEN_V1 + b.policy_len ||
	    memcmp(b.device, data + 22, BUNDLE_KEY_LEN) != 0 ||
	    memcmp(b.signer, data + 54, BUNDLE_KEY_LEN) != 0 ||
	    (const uint8_t *)b.policy != data + BUNDLE_HDR_LEN_V1)
		abort();
	free(again);
	t.device = b.device;
	t.accepted = b.serial & 1 ? b.serial - 1 : b.serial;
	t.same_ok = (b.serial & 2) != 0;
	open_checked(data, size, &b, &t);
	resign(&b, &t);
	return 0;
}
