/* Unit tests of signed policy bundles (docs/bundle.md): the layout at its
 * byte offsets, checked against OpenSSL directly; every refusal class with
 * its exact message and *out untouched; every byte of a bundle tampered
 * and every truncation refused; the agency key file; the serial store
 * (durable, 0600, corrupt refused, rollback refused after a "reboot", i.e.
 * by another process reading the store); and the compiler's two targets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "lib/ifname.h"
#include "lib/buf.h"
#include "lib/encode.h"
#include "lib/util.h"
#include "lib/nftload.h"
#include "policy/render/fw_render.h"
#include "policy/bundle.h"
#include "policy/render/compile.h"
#include "policy/fileio.h"
#include "policy/policy.h"
#include "policy/serial.h"

#define T0	UINT64_C(1767225600)	/* 2026-01-01 00:00:00 UTC */
#define AGE	UINT32_C(3600)		/* the max age the fixtures sign */
#define GWPUB	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

/* RFC 8032, section 7.1, TEST 1. */
static const char rfc_seed_hex[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char rfc_pub_hex[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

#define POLICY_(serial, tunnel) \
	"version 1\nserial " serial "\n" \
	"device {\n\ttunnel-address " tunnel "/32\n\tkey-file \"/k\"\n}\n" \
	"gateway gw {\n\tendpoint 192.0.2.10:51820\n\tpublic-key \"" GWPUB "\"\n}\n" \
	"lgwan {\n\tprefix 10.64.0.0/16\n\tresolver 10.64.0.53\n}\n" \
	"work {\n\taddress 172.30.0.2/30\n\trouter 172.30.0.1\n}\n"
static const char policy7[] = POLICY_("7", "10.77.0.2");

struct fixture {
	struct bundle_signer	 good, other;
	uint8_t			 device[32], device2[32];
	uint8_t			*b7;		/* policy7 for device, by good, at T0 */
	size_t			 n7;
	struct bundle_trust	 trust;
	char			 good_b64[KEY_B64_LEN], other_b64[KEY_B64_LEN];
	char			 dev_b64[KEY_B64_LEN], dev2_b64[KEY_B64_LEN];
};

static void
fill(uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v + i * 7);
}

static uint8_t *
sign7(struct fixture *f, const char *text, size_t *len)
{
	struct sk_error err;
	uint8_t *b = NULL;

	if (bundle_sign(&f->good, "p.conf", text, strlen(text), f->device, T0, AGE,
	    &b, len, &err) != 0)
		fail_msg("%s", err.msg);
	return b;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t seed[32];

	assert_non_null(f);
	fill(seed, sizeof(seed), 1);
	assert_int_equal(bundle_signer_init(&f->good, seed, NULL), 0);
	fill(seed, sizeof(seed), 2);
	assert_int_equal(bundle_signer_init(&f->other, seed, NULL), 0);
	fill(f->device, 32, 3);
	fill(f->device2, 32, 4);
	key_to_b64(f->good_b64, f->good.pub);
	key_to_b64(f->other_b64, f->other.pub);
	key_to_b64(f->dev_b64, f->device);
	key_to_b64(f->dev2_b64, f->device2);
	f->b7 = sign7(f, policy7, &f->n7);
	f->trust.keys = (const uint8_t (*)[32])&f->good.pub;
	f->trust.n_keys = 1;
	f->trust.device = f->device;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	bundle_signer_free(&f->good);
	bundle_signer_free(&f->other);
	free(f->b7);
	free(f);
	return 0;
}

/* bundle_open that must fail with rc and exactly msg, *out untouched. */
static void
refused(const uint8_t *b, size_t n, const struct bundle_trust *t, int rc,
    const char *msg)
{
	struct policy p, canary;
	struct sk_error err;

	memset(&p, 0xa5, sizeof(p));
	canary = p;
	memset(&err, 0, sizeof(err));
	assert_int_equal(bundle_open(b, n, "b", t, &p, NULL, &err), rc);
	if (msg != NULL)
		assert_string_equal(err.msg, msg);
	assert_memory_equal(&p, &canary, sizeof(p));
}

static uint8_t *
dup_bytes(const uint8_t *b, size_t n, size_t extra)
{
	uint8_t *c = malloc(n + extra + 1);

	assert_non_null(c);
	memcpy(c, b, n);
	memset(c + n, 0, extra + 1);
	return c;
}

/* Signs whatever header fields and text it is given (the agency making a
 * mistake): the checks after the signature must still catch it. */
static uint8_t *
sign_raw(struct fixture *f, uint64_t serial, const char *text, size_t *len)
{
	size_t plen = strlen(text), siglen = 64, n;
	uint8_t *buf = malloc(17 + 94 + plen + 64);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(buf);
	memcpy(buf, "sekisho-bundle-v2", 17);
	n = bundle_encode_body(buf + 17, serial, T0, AGE, f->device, f->good.pub, text,
	    plen);
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, f->good.pkey), 1);
	assert_int_equal(EVP_DigestSign(md, buf + 17 + n, &siglen, buf, 17 + n), 1);
	EVP_MD_CTX_free(md);
	memmove(buf, buf + 17, n + 64);
	*len = n + 64;
	return buf;
}

/* A format 1 bundle, as laptops hold them from before format 2: the
 * 90-byte header without a max age, signed under "sekisho-bundle-v1". */
static uint8_t *
sign_v1(struct fixture *f, const char *text, uint64_t issued, size_t *len)
{
	size_t plen = strlen(text), siglen = 64, n = 90 + plen;
	uint8_t *buf = malloc(17 + n + 64);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(buf);
	memcpy(buf, "sekisho-bundle-v1", 17);
	memcpy(buf + 17, "SKPB\x00\x01", 6);
	be64_put(buf + 17 + 6, 7);
	be64_put(buf + 17 + 14, issued);
	memcpy(buf + 17 + 22, f->device, 32);
	memcpy(buf + 17 + 54, f->good.pub, 32);
	buf[17 + 86] = (uint8_t)(plen >> 24), buf[17 + 87] = (uint8_t)(plen >> 16);
	buf[17 + 88] = (uint8_t)(plen >> 8), buf[17 + 89] = (uint8_t)plen;
	memcpy(buf + 17 + 90, text, plen);
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, f->good.pkey), 1);
	assert_int_equal(EVP_DigestSign(md, buf + 17 + n, &siglen, buf, 17 + n), 1);
	EVP_MD_CTX_free(md);
	memmove(buf, buf + 17, n + 64);
	*len = n + 64;
	return buf;
}

/* ---- layout ------------------------------------------------------------ */

static void
test_rfc8032_key(void **state)
{
	uint8_t seed[32], pub[32];
	struct bundle_signer s;

	(void)state;
	assert_int_equal(key_from_hex(seed, rfc_seed_hex), 0);
	assert_int_equal(key_from_hex(pub, rfc_pub_hex), 0);
	assert_int_equal(bundle_signer_init(&s, seed, NULL), 0);
	assert_memory_equal(s.pub, pub, 32);
	bundle_signer_free(&s);
}

static void
test_layout(void **state)
{
	struct fixture *f = *state;
	size_t plen = strlen(policy7);
	const uint8_t *b = f->b7;
	uint8_t *msg = malloc(17 + 94 + plen);
	EVP_PKEY *pk;
	EVP_MD_CTX *md;

	assert_int_equal(BUNDLE_HDR_LEN, 94);
	assert_int_equal(f->n7, 94 + plen + 64);
	assert_memory_equal(b, "SKPB\x00\x02", 6);
	assert_memory_equal(b + 6, "\x00\x00\x00\x00\x00\x00\x00\x07", 8);
	assert_memory_equal(b + 14, "\x00\x00\x00\x00\x69\x55\xb9\x00", 8);
	assert_memory_equal(b + 22, "\x00\x00\x0e\x10", 4);	/* 3600 s */
	assert_memory_equal(b + 26, f->device, 32);
	assert_memory_equal(b + 58, f->good.pub, 32);
	assert_int_equal(b[90] << 24 | b[91] << 16 | b[92] << 8 | b[93], (int)plen);
	assert_memory_equal(b + 94, policy7, plen);
	/* The signature, by OpenSSL alone: context, then bytes 0 .. 94+N. */
	memcpy(msg, "sekisho-bundle-v2", 17);
	memcpy(msg + 17, b, 94 + plen);
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, f->good.pub, 32);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk), 1);
	assert_int_equal(EVP_DigestVerify(md, b + 94 + plen, 64, msg, 17 + 94 + plen), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	free(msg);
}

static void
test_decode_encode(void **state)
{
	struct fixture *f = *state;
	struct bundle b;
	uint8_t *again = malloc(f->n7);

	assert_int_equal(bundle_decode(f->b7, f->n7, "b", &b, NULL), BUNDLE_OK);
	assert_int_equal(b.version, 2);
	assert_true(b.serial == 7 && b.issued == T0 && b.max_age == AGE);
	assert_int_equal(b.policy_len, strlen(policy7));
	assert_ptr_equal(b.sig, f->b7 + f->n7 - 64);
	assert_int_equal(bundle_encode_body(again, b.serial, b.issued, b.max_age,
	    b.device, b.signer, b.policy, b.policy_len), f->n7 - 64);
	assert_memory_equal(again, f->b7, f->n7 - 64);
	free(again);
}

/* Ed25519 is deterministic: the same inputs give the same bytes. */
static void
test_deterministic(void **state)
{
	struct fixture *f = *state;
	size_t n;
	uint8_t *b = sign7(f, policy7, &n);

	assert_int_equal(n, f->n7);
	assert_memory_equal(b, f->b7, n);
	free(b);
}

/* ---- acceptance ---------------------------------------------------------- */

static void
test_open_ok(void **state)
{
	struct fixture *f = *state;
	struct bundle_info info;
	struct sk_error err;
	struct policy p;

	assert_int_equal(bundle_open(f->b7, f->n7, "b", &f->trust, &p, &info, &err),
	    BUNDLE_OK);
	assert_true(p.serial == 7 && p.n_lgwan == 1);
	assert_true(info.serial == 7 && info.issued == T0 && info.key_index == 0);
	assert_true(info.version == 2 && info.max_age == AGE);
	assert_memory_equal(info.device, f->device, 32);
	assert_memory_equal(info.signer, f->good.pub, 32);
	policy_free(&p);
}

/* Key rotation: the second pinned key verifies; the first pinned key is
 * not the signer. */
static void
test_rotation(void **state)
{
	struct fixture *f = *state;
	uint8_t keys[2][32];
	struct bundle_trust t = f->trust;
	struct bundle_info info;
	struct policy p;

	memcpy(keys[0], f->other.pub, 32);
	memcpy(keys[1], f->good.pub, 32);
	t.keys = (const uint8_t (*)[32])keys;
	t.n_keys = 2;
	assert_int_equal(bundle_open(f->b7, f->n7, "b", &t, &p, &info, NULL), BUNDLE_OK);
	assert_int_equal(info.key_index, 1);
	policy_free(&p);
}

static void
test_tampered(void **state)
{
	struct fixture *f = *state;
	uint8_t *c = dup_bytes(f->b7, f->n7, 0);
	char want[256];

	c[94 + 20] ^= 0x01;	/* one bit of the policy text */
	snprintf(want, sizeof(want),
	    "b: tampered: the signature does not verify under agency key %s", f->good_b64);
	refused(c, f->n7, &f->trust, BUNDLE_E_SIGNATURE, want);
	memcpy(c, f->b7, f->n7);
	c[f->n7 - 1] ^= 0x80;	/* the signature's last byte */
	refused(c, f->n7, &f->trust, BUNDLE_E_SIGNATURE, want);
	free(c);
}

static void
test_wrong_key(void **state)
{
	struct fixture *f = *state;
	struct bundle_trust t = f->trust;
	char want[256];

	t.keys = (const uint8_t (*)[32])&f->other.pub;
	snprintf(want, sizeof(want),
	    "b: wrong key: signed by %s, which is not a pinned agency key", f->good_b64);
	refused(f->b7, f->n7, &t, BUNDLE_E_KEY, want);
	t.n_keys = 0;
	refused(f->b7, f->n7, &t, BUNDLE_E_KEY, "b: wrong key: no agency key is pinned");
}

/* The signer field names a pinned key, but another key signed: refused as
 * tampered, never accepted. */
static void
test_signer_field_lies(void **state)
{
	struct fixture *f = *state;
	struct bundle_trust t = f->trust;
	uint8_t *c = dup_bytes(f->b7, f->n7, 0);

	memcpy(c + 58, f->other.pub, 32);
	t.keys = (const uint8_t (*)[32])&f->other.pub;
	refused(c, f->n7, &t, BUNDLE_E_SIGNATURE, NULL);
	free(c);
}

static void
test_unsigned(void **state)
{
	struct fixture *f = *state;

	refused(f->b7, f->n7 - 64, &f->trust, BUNDLE_E_UNSIGNED,
	    "b: unsigned: the bundle ends where its signature should begin");
	refused((const uint8_t *)policy7, strlen(policy7), &f->trust, BUNDLE_E_UNSIGNED,
	    "b: unsigned: a plain policy file, not a signed bundle");
	refused((const uint8_t *)"# a comment\n", 12, &f->trust, BUNDLE_E_UNSIGNED,
	    "b: unsigned: a plain policy file, not a signed bundle");
}

/* A signature over the bytes without the context does not pass: the
 * context is part of what is signed. */
static void
test_domain_separation(void **state)
{
	struct fixture *f = *state;
	uint8_t *c = dup_bytes(f->b7, f->n7, 0);
	size_t siglen = 64;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, f->good.pkey), 1);
	assert_int_equal(EVP_DigestSign(md, c + f->n7 - 64, &siglen, c, f->n7 - 64), 1);
	EVP_MD_CTX_free(md);
	refused(c, f->n7, &f->trust, BUNDLE_E_SIGNATURE, NULL);
	free(c);
}

static void
test_wrong_device(void **state)
{
	struct fixture *f = *state;
	struct bundle_trust t = f->trust;
	struct policy p;
	char want[256];

	t.device = f->device2;
	snprintf(want, sizeof(want), "b: wrong device: made for %s, this device is %s",
	    f->dev_b64, f->dev2_b64);
	refused(f->b7, f->n7, &t, BUNDLE_E_DEVICE, want);
	t.device = NULL;	/* offline tools only */
	assert_int_equal(bundle_open(f->b7, f->n7, "b", &t, &p, NULL, NULL), BUNDLE_OK);
	policy_free(&p);
}

static void
test_serials(void **state)
{
	struct fixture *f = *state;
	struct bundle_trust t = f->trust;
	struct policy p;

	t.accepted = 8;
	refused(f->b7, f->n7, &t, BUNDLE_E_OLDER,
	    "b: older serial: 7 is below 8, the serial already accepted; rollback refused");
	t.same_ok = 1;
	refused(f->b7, f->n7, &t, BUNDLE_E_OLDER, NULL);
	t.accepted = 7;
	assert_int_equal(bundle_open(f->b7, f->n7, "b", &t, &p, NULL, NULL), BUNDLE_OK);
	policy_free(&p);
	t.same_ok = 0;
	refused(f->b7, f->n7, &t, BUNDLE_E_SAME, "b: same serial: 7 is already accepted, not newer");
	t.accepted = 6;
	assert_int_equal(bundle_open(f->b7, f->n7, "b", &t, &p, NULL, NULL), BUNDLE_OK);
	policy_free(&p);
}

/* Signed by the agency, wrong all the same. */
static void
test_signed_bad_policy(void **state)
{
	struct fixture *f = *state;
	static const char bad[] = "version 1\nserial 9\nfrobnicate\n";
	uint8_t *b;
	size_t n;

	b = sign_raw(f, 8, policy7, &n);
	refused(b, n, &f->trust, BUNDLE_E_POLICY,
	    "b: policy serial 7 differs from the bundle serial 8");
	free(b);
	b = sign_raw(f, 9, bad, &n);
	refused(b, n, &f->trust, BUNDLE_E_POLICY,
	    "b (policy):3: unknown keyword 'frobnicate', expected version, serial, device, gateway, lgwan, work, set, service, inbound, beacon, office, uplink, distribution, verifier, presence or timers");
	free(b);
}

static void
set_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void
test_malformed(void **state)
{
	struct fixture *f = *state;
	size_t n = f->n7, plen = strlen(policy7);
	uint8_t *c = dup_bytes(f->b7, n, 8);
	char want[256];

#define RESET() memcpy(c, f->b7, n)
	c[0] = 'X';
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: not a policy bundle: bad magic, expected \"SKPB\"");
	refused(c, 0, &f->trust, BUNDLE_E_MALFORMED, NULL);
	RESET();
	c[5] = 3;
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: unsupported bundle version 3, this build reads versions 1 and 2");
	c[5] = 0;
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: unsupported bundle version 0, this build reads versions 1 and 2");
	c[4] = 1, c[5] = 0;
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: unsupported bundle version 256, this build reads versions 1 and 2");
	RESET();
	/* A format 2 bundle relabelled as format 1: the fields move, and what
	 * was the max age is read as the device: not the device's bundle. */
	c[5] = 1;
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED, NULL);
	RESET();
	refused(c, 5, &f->trust, BUNDLE_E_MALFORMED, "b: truncated header: 5 of 94 bytes");
	refused(c, 93, &f->trust, BUNDLE_E_MALFORMED, "b: truncated header: 93 of 94 bytes");
	snprintf(want, sizeof(want), "b: truncated policy: %zu of %zu bytes", plen - 1, plen);
	refused(c, 94 + plen - 1, &f->trust, BUNDLE_E_MALFORMED, want);
	refused(c, n - 1, &f->trust, BUNDLE_E_MALFORMED, "b: truncated signature: 63 of 64 bytes");
	refused(c, n + 3, &f->trust, BUNDLE_E_MALFORMED, "b: 3 trailing bytes after the signature");
	set_u64(c + 6, 0);
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: serial 0 out of range, expected 1 to 9223372036854775807");
	set_u64(c + 6, UINT64_C(1) << 63);
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: serial 9223372036854775808 out of range, expected 1 to 9223372036854775807");
	RESET();
	set_u64(c + 14, UINT64_MAX);
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: signed time 18446744073709551615 out of range, expected 1 to 9223372036854775807");
	set_u64(c + 14, 0);
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: signed time 0 out of range, expected 1 to 9223372036854775807");
	RESET();
	memcpy(c + 22, "\x00\x00\x00\x3b", 4);
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: max age 59 s out of range, expected 60 to 31622400");
	memcpy(c + 22, "\x01\xe2\x85\x01", 4);
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: max age 31622401 s out of range, expected 60 to 31622400");
	RESET();
	memset(c + 26, 0, 32);
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED, "b: device key is all zero");
	RESET();
	memset(c + 58, 0, 32);
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED, "b: signer key is all zero");
	RESET();
	memset(c + 90, 0, 4);
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: policy length 0 out of range, expected 1 to 4194304");
	memcpy(c + 90, "\x00\x40\x00\x01", 4);
	refused(c, n, &f->trust, BUNDLE_E_MALFORMED,
	    "b: policy length 4194305 out of range, expected 1 to 4194304");
	refused(c, BUNDLE_MAX_SIZE + 1, &f->trust, BUNDLE_E_MALFORMED,
	    "b: bundle too large: 4194463 bytes, at most 4194462");
#undef RESET
	free(c);
}

/* Every byte flipped three ways, every truncation, one byte more: all
 * refused. */
static void
test_tamper_every_byte(void **state)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	struct fixture *f = *state;
	uint8_t *c = dup_bytes(f->b7, f->n7, 1);
	struct policy p;
	size_t refusals = 0;

	for (size_t i = 0; i < f->n7; i++)
		for (size_t m = 0; m < nitems(masks); m++) {
			c[i] ^= masks[m];
			if (bundle_open(c, f->n7, "b", &f->trust, &p, NULL, NULL) == BUNDLE_OK)
				fail_msg("byte %zu ^ 0x%02x accepted", i, masks[m]);
			c[i] ^= masks[m];
			refusals++;
		}
	for (size_t len = 0; len < f->n7; len++)
		if (bundle_open(c, len, "b", &f->trust, &p, NULL, NULL) == BUNDLE_OK)
			fail_msg("truncated to %zu accepted", len);
	assert_int_not_equal(bundle_open(c, f->n7 + 1, "b", &f->trust, &p, NULL, NULL),
	    BUNDLE_OK);
	assert_int_equal(refusals, 3 * f->n7);
	/* and the original still passes */
	assert_int_equal(bundle_open(c, f->n7, "b", &f->trust, &p, NULL, NULL), BUNDLE_OK);
	policy_free(&p);
	free(c);
}

static void
test_sign_refuses(void **state)
{
	struct fixture *f = *state;
	static const uint8_t zero[32];
	struct sk_error err;
	uint8_t *b = NULL;
	size_t n;

	assert_int_equal(bundle_sign(&f->good, "p.conf", "version 1\nserial 0\n", 19,
	    f->device, T0, AGE, &b, &n, &err), BUNDLE_E_POLICY);
	assert_string_equal(err.msg,
	    "p.conf:2: serial 0 out of range, expected a number from 1 to 9223372036854775807");
	assert_int_equal(bundle_sign(&f->good, "p.conf", policy7, strlen(policy7),
	    zero, T0, AGE, &b, &n, &err), BUNDLE_E_MALFORMED);
	assert_string_equal(err.msg, "p.conf: device key is all zero");
	assert_int_equal(bundle_sign(&f->good, "p.conf", policy7, strlen(policy7),
	    f->device, UINT64_MAX, AGE, &b, &n, &err), BUNDLE_E_MALFORMED);
	assert_int_equal(bundle_sign(&f->good, "p.conf", policy7, strlen(policy7),
	    f->device, 0, AGE, &b, &n, &err), BUNDLE_E_MALFORMED);
	assert_string_equal(err.msg, "p.conf: signed time 0 out of range");
	assert_int_equal(bundle_sign(&f->good, "p.conf", policy7, strlen(policy7),
	    f->device, T0, 59, &b, &n, &err), BUNDLE_E_MALFORMED);
	assert_string_equal(err.msg,
	    "p.conf: max age 59 s out of range, expected 60 to 31622400");
	assert_null(b);
}


/* ---- format 1, still read ------------------------------------------------- */

static void
test_v1_still_read(void **state)
{
	struct fixture *f = *state;
	struct bundle_info info;
	struct policy p;
	size_t n;
	uint8_t *b = sign_v1(f, policy7, 0, &n);

	assert_int_equal(n, 90 + strlen(policy7) + 64);
	assert_int_equal(bundle_open(b, n, "b", &f->trust, &p, &info, NULL), BUNDLE_OK);
	assert_true(info.version == 1 && info.max_age == 0 && info.issued == 0);
	policy_free(&p);
	/* Relabelled as format 2, its bytes mean something else: refused. */
	b[5] = 2;
	refused(b, n, &f->trust, BUNDLE_E_MALFORMED, NULL);
	/* Signed under format 2's context, a format 1 layout does not verify. */
	b[5] = 1;
	b[n - 1] ^= 1;
	refused(b, n, &f->trust, BUNDLE_E_SIGNATURE, NULL);
	free(b);
}

/* ---- freshness statements ------------------------------------------------- */

static void
statement(struct fixture *f, uint64_t serial, uint64_t t, uint8_t out[FRESH_LEN])
{
	struct sk_error err;

	if (fresh_sign(&f->good, serial, t, f->device, out, &err) != BUNDLE_OK)
		fail_msg("%s", err.msg);
}

static void
test_fresh_layout(void **state)
{
	struct fixture *f = *state;
	uint8_t st[FRESH_LEN], msg[16 + 86];
	EVP_PKEY *pk;
	EVP_MD_CTX *md;
	struct fresh d;

	assert_int_equal(FRESH_LEN, 150);
	statement(f, 7, T0 + 60, st);
	assert_memory_equal(st, "SKPF\x00\x01", 6);
	assert_memory_equal(st + 6, "\x00\x00\x00\x00\x00\x00\x00\x07", 8);
	assert_memory_equal(st + 14, "\x00\x00\x00\x00\x69\x55\xb9\x3c", 8);
	assert_memory_equal(st + 22, f->device, 32);
	assert_memory_equal(st + 54, f->good.pub, 32);
	/* The signature, by OpenSSL alone: context, then bytes 0 .. 86. */
	memcpy(msg, "sekisho-fresh-v1", 16);
	memcpy(msg + 16, st, 86);
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, f->good.pub, 32);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk), 1);
	assert_int_equal(EVP_DigestVerify(md, st + 86, 64, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	assert_int_equal(fresh_decode(st, sizeof(st), "s", &d, NULL), BUNDLE_OK);
	assert_true(d.serial == 7 && d.time == T0 + 60);
	assert_int_equal(fresh_verify(&d, "s", (const uint8_t (*)[32])&f->good.pub, 1,
	    NULL), BUNDLE_OK);
	assert_int_equal(fresh_check(&d, "s", f->device, 7, T0, NULL), BUNDLE_OK);
}

/* fresh_decode that must fail with exactly msg, *f untouched. */
static void
fresh_refused(const uint8_t *b, size_t n, const char *msg)
{
	struct fresh d, canary;
	struct sk_error err;

	memset(&d, 0xa5, sizeof(d));
	canary = d;
	assert_int_equal(fresh_decode(b, n, "s", &d, &err), BUNDLE_E_MALFORMED);
	assert_string_equal(err.msg, msg);
	assert_memory_equal(&d, &canary, sizeof(d));
}

static void
test_fresh_refusals(void **state)
{
	struct fixture *f = *state;
	uint8_t st[FRESH_LEN + 1], c[FRESH_LEN + 1];
	const uint8_t (*keys)[32] = (const uint8_t (*)[32])&f->good.pub;
	const uint8_t (*other)[32] = (const uint8_t (*)[32])&f->other.pub;
	struct sk_error err;
	struct fresh d;
	char want[256];

	statement(f, 7, T0 + 60, st);
	fresh_refused(st, 149, "s: freshness statement of 149 bytes, expected 150");
	fresh_refused(st, 151, "s: freshness statement of 151 bytes, expected 150");
	fresh_refused(NULL, 0, "s: freshness statement of 0 bytes, expected 150");
#define RESET() memcpy(c, st, FRESH_LEN)
	RESET(); c[0] = 'X';
	fresh_refused(c, FRESH_LEN, "s: not a freshness statement: bad magic, expected \"SKPF\"");
	RESET(); c[5] = 2;
	fresh_refused(c, FRESH_LEN,
	    "s: unsupported freshness statement version 2, this build reads version 1");
	RESET(); memset(c + 6, 0, 8);
	fresh_refused(c, FRESH_LEN,
	    "s: serial 0 out of range, expected 1 to 9223372036854775807");
	RESET(); memset(c + 14, 0, 8);
	fresh_refused(c, FRESH_LEN,
	    "s: signed time 0 out of range, expected 1 to 9223372036854775807");
	RESET(); memset(c + 14, 0xff, 8);
	fresh_refused(c, FRESH_LEN, "s: signed time 18446744073709551615 out of range, "
	    "expected 1 to 9223372036854775807");
	RESET(); memset(c + 22, 0, 32);
	fresh_refused(c, FRESH_LEN, "s: device key is all zero");
	RESET(); memset(c + 54, 0, 32);
	fresh_refused(c, FRESH_LEN, "s: signer key is all zero");
	/* The signature: every byte flipped is refused (decode or verify). */
	for (size_t i = 0; i < FRESH_LEN; i++) {
		RESET();
		c[i] ^= 0x01;
		if (fresh_decode(c, FRESH_LEN, "s", &d, NULL) == BUNDLE_OK &&
		    fresh_verify(&d, "s", keys, 1, NULL) == BUNDLE_OK)
			fail_msg("byte %zu flipped accepted", i);
	}
	RESET(); c[20] ^= 1;	/* the time moved: tampered */
	assert_int_equal(fresh_decode(c, FRESH_LEN, "s", &d, NULL), BUNDLE_OK);
	snprintf(want, sizeof(want),
	    "s: tampered: the signature does not verify under agency key %s", f->good_b64);
	assert_int_equal(fresh_verify(&d, "s", keys, 1, &err), BUNDLE_E_SIGNATURE);
	assert_string_equal(err.msg, want);
	assert_int_equal(fresh_decode(st, FRESH_LEN, "s", &d, NULL), BUNDLE_OK);
	snprintf(want, sizeof(want),
	    "s: wrong key: signed by %s, which is not a pinned agency key", f->good_b64);
	assert_int_equal(fresh_verify(&d, "s", other, 1, &err), BUNDLE_E_KEY);
	assert_string_equal(err.msg, want);
	/* A bundle's signature over the same bytes is not a statement's:
	 * the contexts differ. */
	RESET();
	{
		size_t siglen = 64;
		uint8_t m[17 + 86];
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		memcpy(m, "sekisho-bundle-v2", 17);
		memcpy(m + 17, c, 86);
		assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, f->good.pkey), 1);
		assert_int_equal(EVP_DigestSign(md, c + 86, &siglen, m, sizeof(m)), 1);
		EVP_MD_CTX_free(md);
		assert_int_equal(fresh_decode(c, FRESH_LEN, "s", &d, NULL), BUNDLE_OK);
		assert_int_equal(fresh_verify(&d, "s", keys, 1, NULL), BUNDLE_E_SIGNATURE);
	}
#undef RESET
}

static void
test_fresh_check(void **state)
{
	struct fixture *f = *state;
	uint8_t st[FRESH_LEN];
	struct sk_error err;
	struct fresh d;
	char want[256];

	statement(f, 7, T0 + 60, st);
	assert_int_equal(fresh_decode(st, FRESH_LEN, "s", &d, NULL), BUNDLE_OK);
	snprintf(want, sizeof(want), "s: wrong device: made for %s, this device is %s",
	    f->dev_b64, f->dev2_b64);
	assert_int_equal(fresh_check(&d, "s", f->device2, 7, T0, &err), BUNDLE_E_DEVICE);
	assert_string_equal(err.msg, want);
	assert_int_equal(fresh_check(&d, "s", f->device, 8, T0, &err), BUNDLE_E_OLDER);
	assert_string_equal(err.msg,
	    "s: about serial 7, the serial in force is 8; it proves nothing about it");
	/* Replayed (the same time again) or older: refused. */
	assert_int_equal(fresh_check(&d, "s", f->device, 7, T0 + 60, &err), BUNDLE_E_OLDER);
	assert_string_equal(err.msg, "s: stale: signed at 1767225660, not after 1767225660, "
	    "the freshest signed time already seen; replay refused");
	assert_int_equal(fresh_check(&d, "s", f->device, 7, T0 + 61, NULL), BUNDLE_E_OLDER);
	assert_int_equal(fresh_check(&d, "s", f->device, 7, T0 + 59, NULL), BUNDLE_OK);
}

/* ---- the agency key file ---------------------------------------------------- */

static char *
tmpdir(void)
{
	char *d = strdup("/tmp/test_bundle.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void
rmdir_all(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_keygen(void **state)
{
	char *dir = tmpdir(), path[256], want[512];
	struct bundle_signer s;
	struct sk_error err;
	uint8_t pub[32], again[32];
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	snprintf(path, sizeof(path), "%s/agency.key", dir);
	assert_int_equal(bundle_keygen(path, pub, &err), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 45);
	assert_int_equal(bundle_signer_load(&s, path, &err), 0);
	assert_memory_equal(s.pub, pub, 32);
	bundle_signer_free(&s);
	/* never replaces a key */
	assert_int_equal(bundle_keygen(path, again, &err), -EEXIST);
	snprintf(want, sizeof(want), "%s: File exists", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(bundle_signer_load(&s, path, &err), 0);
	assert_memory_equal(s.pub, pub, 32);
	bundle_signer_free(&s);
	/* refused when others may read it */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(bundle_signer_load(&s, path, &err), -EPERM);
	snprintf(want, sizeof(want),
	    "key file %s: accessible by group or others (mode 0640), must be 0600", path);
	assert_string_equal(err.msg, want);
	rmdir_all(dir);
	free(dir);
}

/* ---- the serial store ---------------------------------------------------------- */

static void
write_file(const char *path, const char *s, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, n), (ssize_t)n);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static size_t
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_store_roundtrip(void **state)
{
	char *dir = tmpdir(), path[256];
	struct sk_error err;
	uint8_t *text;
	uint64_t s = 99;
	struct stat st;
	size_t len;
	mode_t old = umask(0);

	(void)state;
	snprintf(path, sizeof(path), "%s/serial", dir);
	assert_int_equal(serial_store_save(path, 2024061701, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(file_read_max(path, 100, &text, &len, &err), 0);
	assert_string_equal((char *)text, "sekisho-serial 1\n2024061701\n");
	free(text);
	assert_int_equal(serial_store_load(path, -1, &s, &err), 0);
	assert_true(s == 2024061701);
	/* replaced, still 0600, no temporary file left beside it */
	assert_int_equal(serial_store_save(path, INT64_MAX, &err), 0);
	umask(old);
	assert_int_equal(serial_store_load(path, (int)getuid(), &s, &err), 0);
	assert_true(s == INT64_MAX);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(serial_store_save(path, 0, &err), 0);
	assert_int_equal(serial_store_load(path, -1, &s, &err), 0);
	assert_true(s == 0);
	assert_int_equal(serial_store_save(path, (uint64_t)INT64_MAX + 1, &err), -ERANGE);
	rmdir_all(dir);
	free(dir);
}

/* Corruption of every kind: refused with the reason, *serial untouched. */
static void
test_store_corrupt(void **state)
{
	static const struct { const char *text, *why; size_t len; } cases[] = {
		{ "", "empty", 0 },
		{ "sekisho-serial 2\n7\n", "first line is not 'sekisho-serial 1'", 0 },
		{ "7\n", "first line is not 'sekisho-serial 1'", 0 },
		{ "sekisho-serial 1\n", "second line is not a serial from 0 to 9223372036854775807 and a newline", 0 },
		{ "sekisho-serial 1\n7", "second line is not a serial from 0 to 9223372036854775807 and a newline", 0 },
		{ "sekisho-serial 1\n07\n", "second line is not a serial from 0 to 9223372036854775807 and a newline", 0 },
		{ "sekisho-serial 1\n-7\n", "second line is not a serial from 0 to 9223372036854775807 and a newline", 0 },
		{ "sekisho-serial 1\n7 \n", "second line is not a serial from 0 to 9223372036854775807 and a newline", 0 },
		{ "sekisho-serial 1\n7\n\n", "second line is not a serial from 0 to 9223372036854775807 and a newline", 0 },
		{ "sekisho-serial 1\n7\n8\n", "second line is not a serial from 0 to 9223372036854775807 and a newline", 0 },
		{ "sekisho-serial 1\n9223372036854775808\n", "second line is not a serial from 0 to 9223372036854775807 and a newline", 0 },
		{ "sekisho-serial 1\n7\0\n", "second line is not a serial from 0 to 9223372036854775807 and a newline", 20 },
		{ "sekisho-serial 1\n1234567890123456789012345678901234567890123456789\n", "longer than 64 bytes", 0 },
	};
	char *dir = tmpdir(), path[256], want[512];
	struct sk_error err;
	uint64_t s;

	(void)state;
	snprintf(path, sizeof(path), "%s/serial", dir);
	for (size_t i = 0; i < nitems(cases); i++) {
		size_t n = cases[i].len ? cases[i].len : strlen(cases[i].text);

		write_file(path, cases[i].text, n, 0600);
		s = 12345;
		assert_int_equal(serial_store_load(path, -1, &s, &err), -EINVAL);
		snprintf(want, sizeof(want), "serial store %s: corrupt: %s", path, cases[i].why);
		assert_string_equal(err.msg, want);
		assert_true(s == 12345);
	}
	rmdir_all(dir);
	free(dir);
}

static void
test_store_refusals(void **state)
{
	char *dir = tmpdir(), path[256], link[256], want[512];
	struct sk_error err;
	uint64_t s;

	(void)state;
	snprintf(path, sizeof(path), "%s/serial", dir);
	assert_int_equal(serial_store_load(path, -1, &s, &err), -ENOENT);
	snprintf(want, sizeof(want), "serial store %s: missing", path);
	assert_string_equal(err.msg, want);
	write_file(path, "sekisho-serial 1\n7\n", 19, 0620);
	assert_int_equal(serial_store_load(path, -1, &s, &err), -EPERM);
	snprintf(want, sizeof(want),
	    "serial store %s: writable by group or others (mode 0620), must be 0600", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(chmod(path, 0644), 0);	/* readable is no harm */
	assert_int_equal(serial_store_load(path, -1, &s, &err), 0);
	assert_int_equal(serial_store_load(path, (int)getuid() + 1, &s, &err), -EPERM);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(serial_store_load(link, -1, &s, &err), -EPERM);
	snprintf(want, sizeof(want),
	    "serial store %s: a symbolic link, must be a regular file", link);
	assert_string_equal(err.msg, want);
	assert_int_equal(serial_store_load(dir, -1, &s, &err), -EPERM);
	snprintf(want, sizeof(want), "serial store %s: not a regular file", dir);
	assert_string_equal(err.msg, want);
	snprintf(path, sizeof(path), "%s/none/serial", dir);
	assert_int_equal(serial_store_save(path, 7, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "serial store "));
	rmdir_all(dir);
	free(dir);
}

/* The device's whole decision in a fresh process, as after a reboot: the
 * serial comes only from the store. Exit status: 0 accepted, 10 + the
 * class of refusal, 99 store unreadable. */
static int
after_reboot(struct fixture *f, const char *store, const uint8_t *b, size_t n)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct bundle_trust t = f->trust;
		struct policy p;
		int rc;

		if (serial_store_load(store, -1, &t.accepted, NULL) != 0)
			_exit(99);
		rc = bundle_open(b, n, "b", &t, &p, NULL, NULL);
		_exit(rc == BUNDLE_OK ? 0 : 10 - rc);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_rollback_after_reboot(void **state)
{
	struct fixture *f = *state;
	char *dir = tmpdir(), path[256];
	static const char policy9[] = POLICY_("9", "10.77.0.2");
	size_t n9;
	uint8_t *b9 = sign7(f, policy9, &n9);

	snprintf(path, sizeof(path), "%s/serial", dir);
	/* Serial 9 was accepted, then the machine restarted. */
	assert_int_equal(serial_store_save(path, 9, NULL), 0);
	assert_int_equal(after_reboot(f, path, f->b7, f->n7), 10 - BUNDLE_E_OLDER);
	assert_int_equal(after_reboot(f, path, b9, n9), 10 - BUNDLE_E_SAME);
	assert_int_equal(serial_store_save(path, 7, NULL), 0);
	assert_int_equal(after_reboot(f, path, b9, n9), 0);
	/* A corrupt store accepts nothing. */
	write_file(path, "sekisho-serial 1\nx\n", 19, 0600);
	assert_int_equal(after_reboot(f, path, b9, n9), 99);
	free(b9);
	rmdir_all(dir);
	free(dir);
}

/* ---- the compiler ----------------------------------------------------------------- */

static void
parse(const char *text, struct policy *p)
{
	struct sk_error err;

	if (policy_parse_buf("p.conf", text, strlen(text), p, &err) != 0)
		fail_msg("%s", err.msg);
}

static void
test_compile_netvm(void **state)
{
	struct compile_netvm o = { MODE_REMOTE, "wk0", "sekisho0", NULL };
	struct fw_params fp = {
	    .mode = MODE_REMOTE, .work_if = "wk0", .tun_if = "sekisho0" };
	struct sk_error err;
	struct policy p;
	struct buf a, b;

	(void)state;
	parse(policy7, &p);
	fp.pol = &p;
	buf_init(&a);
	buf_init(&b);
	assert_int_equal(compile_netvm(&p, &o, &a, &err), 0);
	fw_render(&fp, &b);
	assert_string_equal(buf_str(&a), buf_str(&b));	/* the daemon's own ruleset */
	o.mode = MODE_OFFICE;
	assert_int_equal(compile_netvm(&p, &o, &a, &err), -EINVAL);
	assert_string_equal(err.msg, "office mode needs the office uplink's name");
	o.uplink = "up\"0";
	assert_int_equal(compile_netvm(&p, &o, &a, &err), -EINVAL);
	assert_string_equal(err.msg, "bad uplink name 'up\"0'");
	o.work_if = "a-name-too-long-for-linux";
	assert_int_equal(compile_netvm(&p, &o, &a, &err), -EINVAL);
	assert_string_equal(err.msg, "bad work interface name 'a-name-too-long-for-linux'");
	assert_true(ifname_valid("wlp0s20f3") && !ifname_valid("") &&
	    !ifname_valid("..") && !ifname_valid("a b") &&
	    !ifname_valid("a/b") && !ifname_valid("a:1"));
	buf_free(&a);
	buf_free(&b);
	policy_free(&p);
}


/* The chain named in a rendered ruleset, from "\tchain NAME {" to its
 * closing "\t}\n"; *rest is the text without it. */
static char *
chain_of(const char *text, const char *name, char **rest)
{
	char head[64], *c, *r;
	const char *a, *z;

	snprintf(head, sizeof(head), "\tchain %s {\n", name);
	assert_non_null(a = strstr(text, head));
	assert_non_null(z = strstr(a, "\n\t}\n"));
	z += 4;
	assert_non_null(c = strndup(a, (size_t)(z - a)));
	assert_non_null(r = malloc(strlen(text) + 1));
	memcpy(r, text, (size_t)(a - text));
	strcpy(r + (a - text), z);
	*rest = r;
	return c;
}

/* An expired policy (docs/distribution.md, "Expiry"): the mode's ruleset
 * with nothing of work's accepted, the two "policy expired" rejects in
 * their place, and everything else (the netvm's own path: output, the
 * marks, the office vouch) exactly as in force. */
static void
test_render_expired(void **state)
{
	static const enum mode modes[] = { MODE_REMOTE, MODE_OFFICE };
	struct policy p;

	(void)state;
	parse(policy7, &p);
	for (size_t i = 0; i < nitems(modes); i++) {
		struct fw_params fp = {
		    .mode = modes[i], .pol = &p, .work_if = "wk0",
		    .tun_if = "sekisho0",
		    .uplink = modes[i] == MODE_OFFICE ? "up0" : NULL };
		char *fa, *fb, *ra, *rb, *line, *save = NULL;
		struct buf a, b;
		int rejects = 0;

		buf_init(&a);
		buf_init(&b);
		fw_render(&fp, &a);
		fp.expired = 1;
		fw_render(&fp, &b);
		fa = chain_of(buf_str(&a), "forward", &ra);
		fb = chain_of(buf_str(&b), "forward", &rb);
		assert_string_equal(ra, rb);
		assert_non_null(strstr(fa, "iifname \"wk0\" oifname"));
		for (line = strtok_r(fb, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (strstr(line, "iifname \"wk0\"") != NULL &&
			    strstr(line, "accept") != NULL)
				fail_msg("mode %s, expired: work accepted: %s",
				    mode_name(modes[i]), line);
			rejects += strstr(line, "comment \"policy expired\"") != NULL;
		}
		assert_int_equal(rejects, 2);
		free(fa);
		free(fb);
		free(ra);
		free(rb);
		buf_free(&a);
		buf_free(&b);
	}
	policy_free(&p);
}

static void
test_compile_gateway(void **state)
{
	static const char other[] = "version 1\nserial 3\n"
	    "device {\n\ttunnel-address 10.77.0.9/32\n\tkey-file \"/k\"\n}\n"
	    "gateway gw {\n\tendpoint 192.0.2.10:51820\n\tpublic-key \"" GWPUB "\"\n}\n"
	    "lgwan {\n\tprefix 10.65.0.0/16\n\tprefix 10.64.0.0/16\n\tresolver 10.65.0.53\n}\n"
	    "work {\n\taddress 172.30.0.2/30\n\trouter 172.30.0.1\n}\n";
	struct policy p[4];
	const struct policy *pp[4] = { &p[0], &p[1], &p[2], &p[3] };
	const char *names[4] = { "a", "b", "c", "d" };
	struct sk_error err;
	struct buf o;

	(void)state;
	parse(policy7, &p[0]);
	parse(POLICY_("1", "10.77.0.3"), &p[1]);
	parse(other, &p[2]);
	parse(POLICY_("1", "10.77.0.3"), &p[3]);
	buf_init(&o);
	assert_int_equal(compile_gateway(pp, names, 3, "wg-agency", &o, &err), 0);
	/* a and b share a group; c has its own */
	assert_non_null(strstr(buf_str(&o), "\tset devices_1 {\n\t\ttype ipv4_addr\n\t\telements = { 10.77.0.2, 10.77.0.3 }\n\t}\n"
	    "\tset lgwan_1 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.64.0.0/16 }\n\t}\n"));
	assert_non_null(strstr(buf_str(&o), "elements = { 10.64.0.0/16, 10.65.0.0/16 }"));
	assert_non_null(strstr(buf_str(&o), "\t\tiifname \"wg-agency\" ip saddr @devices_2 ip daddr @lgwan_2 counter accept\n"));
	assert_null(strstr(buf_str(&o), "devices_3"));
	assert_int_equal(compile_gateway(pp, names, 4, "wg-agency", &o, &err), -EINVAL);
	assert_string_equal(err.msg, "d: tunnel-address 10.77.0.3 is also the tunnel-address of b");
	assert_int_equal(compile_gateway(pp, names, 1, "wg\"x", &o, &err), -EINVAL);
	assert_string_equal(err.msg, "bad tunnel interface name 'wg\"x'");
	buf_free(&o);
	for (size_t i = 0; i < 4; i++)
		policy_free(&p[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8032_key),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_decode_encode),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_v1_still_read),
		cmocka_unit_test(test_fresh_layout),
		cmocka_unit_test(test_fresh_refusals),
		cmocka_unit_test(test_fresh_check),
		cmocka_unit_test(test_open_ok),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_signer_field_lies),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_domain_separation),
		cmocka_unit_test(test_wrong_device),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_signed_bad_policy),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_sign_refuses),
		cmocka_unit_test(test_keygen),
		cmocka_unit_test(test_store_roundtrip),
		cmocka_unit_test(test_store_corrupt),
		cmocka_unit_test(test_store_refusals),
		cmocka_unit_test(test_rollback_after_reboot),
		cmocka_unit_test(test_compile_netvm),
		cmocka_unit_test(test_render_expired),
		cmocka_unit_test(test_compile_gateway),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
