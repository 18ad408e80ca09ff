/* Unit tests of the beacon (docs/beacon.md): the wire format at its byte
 * offsets, signing and every reason verification refuses an answer, the
 * packet handler, and the rate limiter on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>

#include "agency/sekisho-beacon/beacon_handle.h"
#include "lib/proto/beacon_sign.h"
#include "lib/proto/beacon_wire.h"
#include "agency/sekisho-beacon/ratelimit.h"
#include "lib/encode.h"
#include "lib/util.h"

#define T0	UINT64_C(1767225600)	/* 2026-01-01 00:00:00 UTC */

/* RFC 8032, section 7.1, TEST 1. */
static const char rfc_seed_hex[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char rfc_pub_hex[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

struct fixture {
	struct beacon_signer	good, other;
	struct beacon_keys	pin_good, pin_other;
	uint8_t			nonce[BEACON_NONCE_LEN];
	uint8_t			pkt[BEACON_ANSWER_LEN];	/* signed by good at T0 */
};

static void
fill(uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v + i * 7);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t seed[BEACON_SEED_LEN];
	struct beacon_answer a;

	assert_non_null(f);
	fill(seed, sizeof(seed), 1);
	assert_int_equal(beacon_signer_init(&f->good, seed, NULL), 0);
	fill(seed, sizeof(seed), 2);
	assert_int_equal(beacon_signer_init(&f->other, seed, NULL), 0);
	f->pin_good.n = 1;
	memcpy(f->pin_good.key[0], f->good.pub, BEACON_PUB_LEN);
	f->pin_other.n = 1;
	memcpy(f->pin_other.key[0], f->other.pub, BEACON_PUB_LEN);
	fill(f->nonce, sizeof(f->nonce), 0x40);
	assert_int_equal(beacon_sign_answer(&f->good, f->nonce, "tokyo-3f", T0, &a), 0);
	assert_int_equal(beacon_answer_encode(f->pkt, sizeof(f->pkt), &a), BEACON_ANSWER_LEN);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	beacon_signer_free(&f->good);
	beacon_signer_free(&f->other);
	free(f);
	return 0;
}

/* ---- wire ------------------------------------------------------------------ */

static void
test_sizes(void **state)
{
	(void)state;
	assert_int_equal(BEACON_CHALLENGE_LEN, 144);
	assert_int_equal(BEACON_ANSWER_LEN, 144);
	assert_int_equal(BEACON_MSG_LEN, 89);
	assert_int_equal(BEACON_CONTEXT_LEN, 17);
}

static void
test_challenge_layout(void **state)
{
	struct beacon_challenge c, back;
	uint8_t pkt[BEACON_CHALLENGE_LEN + 8];

	(void)state;
	fill(c.nonce, sizeof(c.nonce), 9);
	memset(pkt, 0xaa, sizeof(pkt));
	assert_int_equal(beacon_challenge_encode(pkt, BEACON_CHALLENGE_LEN - 1, &c),
	    BEACON_E_SPACE);
	assert_int_equal(beacon_challenge_encode(pkt, sizeof(pkt), &c), 144);
	assert_memory_equal(pkt, "SKB1\x01\x01\x00\x00", 8);
	assert_memory_equal(pkt + 8, c.nonce, 32);
	for (size_t i = 40; i < 144; i++)
		assert_int_equal(pkt[i], 0);
	assert_int_equal(pkt[144], 0xaa);	/* nothing written past the end */
	assert_int_equal(beacon_challenge_decode(pkt, 144, &back), BEACON_OK);
	assert_memory_equal(back.nonce, c.nonce, 32);
}

static void
test_answer_layout(void **state)
{
	struct beacon_answer a = { .time = UINT64_C(0x0102030405060708) }, back;
	uint8_t pkt[BEACON_ANSWER_LEN];

	(void)state;
	fill(a.nonce, sizeof(a.nonce), 3);
	fill(a.sig, sizeof(a.sig), 5);
	strcpy(a.id, "osaka-2");
	assert_int_equal(beacon_answer_encode(pkt, sizeof(pkt) - 1, &a), BEACON_E_SPACE);
	assert_int_equal(beacon_answer_encode(pkt, sizeof(pkt), &a), 144);
	assert_memory_equal(pkt, "SKB1\x01\x02\x00\x00", 8);
	assert_memory_equal(pkt + 8, a.nonce, 32);
	assert_memory_equal(pkt + 40, "osaka-2", 7);
	for (size_t i = 47; i < 72; i++)
		assert_int_equal(pkt[i], 0);
	assert_memory_equal(pkt + 72, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_memory_equal(pkt + 80, a.sig, 64);
	memset(&back, 0xff, sizeof(back));
	assert_int_equal(beacon_answer_decode(pkt, sizeof(pkt), &back), BEACON_OK);
	assert_memory_equal(back.nonce, a.nonce, 32);
	assert_string_equal(back.id, "osaka-2");
	assert_true(back.time == a.time);
	assert_memory_equal(back.sig, a.sig, 64);
}

static void
test_challenge_rejects(void **state)
{
	struct beacon_challenge c = { { 0 } };
	uint8_t pkt[512], bad[BEACON_CHALLENGE_LEN];

	(void)state;
	memset(pkt, 0, sizeof(pkt));
	beacon_challenge_encode(pkt, sizeof(pkt), &c);
	for (size_t len = 0; len < sizeof(pkt); len++)
		assert_int_equal(beacon_challenge_decode(pkt, len, &c),
		    len == 144 ? BEACON_OK : BEACON_E_LENGTH);
	for (size_t i = 0; i < 4; i++) {
		memcpy(bad, pkt, sizeof(bad));
		bad[i] ^= 0x20;
		assert_int_equal(beacon_challenge_decode(bad, 144, &c), BEACON_E_MAGIC);
	}
	for (int v = 0; v < 256; v++) {
		memcpy(bad, pkt, sizeof(bad));
		bad[4] = (uint8_t)v;
		assert_int_equal(beacon_challenge_decode(bad, 144, &c),
		    v == 1 ? BEACON_OK : BEACON_E_VERSION);
		memcpy(bad, pkt, sizeof(bad));
		bad[5] = (uint8_t)v;
		assert_int_equal(beacon_challenge_decode(bad, 144, &c),
		    v == 1 ? BEACON_OK : BEACON_E_TYPE);
	}
	for (int bit = 0; bit < 16; bit++) {
		memcpy(bad, pkt, sizeof(bad));
		bad[6 + bit / 8] = (uint8_t)(1u << (bit % 8));
		assert_int_equal(beacon_challenge_decode(bad, 144, &c), BEACON_E_FLAGS);
	}
	for (size_t i = 40; i < 144; i++) {
		memcpy(bad, pkt, sizeof(bad));
		bad[i] = 1;
		assert_int_equal(beacon_challenge_decode(bad, 144, &c), BEACON_E_PADDING);
	}
}

static void
test_id_rules(void **state)
{
	static const char *good[] = { "a", "tokyo-3f", "0", "a-",
	    "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *bad[] = { "", "-a", "Tokyo", "a_b", "a.b", "a b", "\xc3\xa9",
	    "abcdefghijklmnopqrstuvwxyz0123456" };

	(void)state;
	for (size_t i = 0; i < nitems(good); i++)
		assert_true(beacon_id_valid(good[i]));
	for (size_t i = 0; i < nitems(bad); i++)
		assert_false(beacon_id_valid(bad[i]));
}

static void
test_answer_id_on_wire(void **state)
{
	struct fixture *f = *state;
	struct beacon_answer a;
	uint8_t pkt[BEACON_ANSWER_LEN];

	/* One encoding per id: a byte after the NUL padding starts is refused,
	 * as are an empty id and characters outside [a-z0-9-]. */
	memcpy(pkt, f->pkt, sizeof(pkt));
	pkt[40 + 20] = 'x';
	assert_int_equal(beacon_answer_decode(pkt, sizeof(pkt), &a), BEACON_E_ID);
	memcpy(pkt, f->pkt, sizeof(pkt));
	memset(pkt + 40, 0, 32);
	assert_int_equal(beacon_answer_decode(pkt, sizeof(pkt), &a), BEACON_E_ID);
	memcpy(pkt, f->pkt, sizeof(pkt));
	pkt[40] = 'T';
	assert_int_equal(beacon_answer_decode(pkt, sizeof(pkt), &a), BEACON_E_ID);
	memcpy(pkt, f->pkt, sizeof(pkt));
	memset(pkt + 40, 'z', 32);	/* 32 characters, no NUL: the longest id */
	assert_int_equal(beacon_answer_decode(pkt, sizeof(pkt), &a), BEACON_OK);
	assert_int_equal(strlen(a.id), 32);
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(beacon_strerror(BEACON_E_NONCE),
	    "nonce does not match the challenge sent");
	assert_string_equal(beacon_strerror(BEACON_E_SIGNATURE),
	    "signature does not verify under any pinned key");
	for (int c = BEACON_OK; c >= BEACON_E_PADDING; c--)
		assert_string_not_equal(beacon_strerror(c), "unknown error");
	assert_string_equal(beacon_strerror(BEACON_E_PADDING - 1), "unknown error");
	assert_string_equal(beacon_strerror(1), "unknown error");
}

/* ---- signing and verification ---------------------------------------------- */

static void
test_rfc8032_key(void **state)
{
	uint8_t seed[32], pub[32];
	struct beacon_signer s;

	(void)state;
	assert_int_equal(hex_decode(seed, 32, rfc_seed_hex, 64), 0);
	assert_int_equal(hex_decode(pub, 32, rfc_pub_hex, 64), 0);
	assert_int_equal(beacon_signer_init(&s, seed, NULL), 0);
	assert_memory_equal(s.pub, pub, 32);
	beacon_signer_free(&s);
}

/* The signed bytes are exactly the documented layout: checked with OpenSSL
 * directly, not through beacon_msg(). */
static void
test_signed_message(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[BEACON_MSG_LEN], mine[BEACON_MSG_LEN];
	EVP_PKEY *pk;
	EVP_MD_CTX *md;

	memcpy(msg, "sekisho-beacon-v1", 17);
	memcpy(msg + 17, f->nonce, 32);
	memset(msg + 49, 0, 32);
	memcpy(msg + 49, "tokyo-3f", 8);
	memcpy(msg + 81, "\x00\x00\x00\x00\x69\x55\xb9\x00", 8);	/* T0 */
	beacon_msg(mine, f->nonce, "tokyo-3f", T0);
	assert_memory_equal(mine, msg, sizeof(msg));
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, f->good.pub, 32);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk), 1);
	assert_int_equal(EVP_DigestVerify(md, f->pkt + 80, 64, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
}

static void
test_verify_ok(void **state)
{
	struct fixture *f = *state;
	struct beacon_result r;

	assert_int_equal(beacon_verify(f->pkt, sizeof(f->pkt), f->nonce, &f->pin_good,
	    (time_t)T0, 30, &r), BEACON_OK);
	assert_string_equal(r.id, "tokyo-3f");
	assert_true(r.time == T0);
	assert_int_equal(r.key, 0);
	assert_true(r.skew == 0);
	assert_int_equal(beacon_verify(f->pkt, sizeof(f->pkt), f->nonce, &f->pin_good,
	    (time_t)T0, 30, NULL), BEACON_OK);
}

static void
test_verify_wrong_nonce(void **state)
{
	struct fixture *f = *state;
	uint8_t nonce[BEACON_NONCE_LEN];
	struct beacon_result r;

	for (size_t bit = 0; bit < 8 * BEACON_NONCE_LEN; bit++) {
		memcpy(nonce, f->nonce, sizeof(nonce));
		nonce[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(beacon_verify(f->pkt, sizeof(f->pkt), nonce,
		    &f->pin_good, (time_t)T0, 30, &r), BEACON_E_NONCE);
		assert_int_equal(r.key, -1);
	}
}

/* The code a verifier must give for a packet changed at offset i. */
static int
expected_tamper(size_t i, const uint8_t *pkt)
{
	struct beacon_answer a;

	if (i < 4)
		return BEACON_E_MAGIC;
	if (i == 4)
		return BEACON_E_VERSION;
	if (i == 5)
		return BEACON_E_TYPE;
	if (i < 8)
		return BEACON_E_FLAGS;
	if (i < 40)
		return BEACON_E_NONCE;
	if (i < 72 && beacon_answer_decode(pkt, BEACON_ANSWER_LEN, &a) != BEACON_OK)
		return BEACON_E_ID;
	return BEACON_E_SIGNATURE;	/* id, time and signature are signed */
}

static void
test_verify_tamper_every_byte(void **state)
{
	static const uint8_t flips[] = { 0x01, 0x02, 0x10, 0x80, 0xff };
	struct fixture *f = *state;
	uint8_t pkt[BEACON_ANSWER_LEN];

	for (size_t i = 0; i < sizeof(pkt); i++) {
		for (size_t j = 0; j < nitems(flips); j++) {
			memcpy(pkt, f->pkt, sizeof(pkt));
			pkt[i] ^= flips[j];
			int rc = beacon_verify(pkt, sizeof(pkt), f->nonce,
			    &f->pin_good, (time_t)T0, 30, NULL);
			if (rc != expected_tamper(i, pkt))
				fail_msg("byte %zu ^ 0x%02x: got %d (%s)", i, flips[j],
				    rc, beacon_strerror(rc));
		}
	}
}

static void
test_verify_wrong_key(void **state)
{
	struct fixture *f = *state;
	struct beacon_keys none = { 0 };
	struct beacon_result r;

	assert_int_equal(beacon_verify(f->pkt, sizeof(f->pkt), f->nonce, &f->pin_other,
	    (time_t)T0, 30, &r), BEACON_E_SIGNATURE);
	assert_int_equal(r.key, -1);
	assert_int_equal(beacon_verify(f->pkt, sizeof(f->pkt), f->nonce, &none,
	    (time_t)T0, 30, &r), BEACON_E_NOKEYS);
}

static void
test_verify_rotation(void **state)
{
	struct fixture *f = *state;
	struct beacon_keys two = { 0 };
	struct beacon_result r;
	char b64[KEY_B64_LEN];

	key_to_b64(b64, f->other.pub);
	assert_int_equal(beacon_keys_add_b64(&two, b64), 0);
	key_to_b64(b64, f->good.pub);
	assert_int_equal(beacon_keys_add_b64(&two, b64), 0);
	assert_int_equal(beacon_keys_add_b64(&two, b64), -ENOSPC);
	assert_int_equal(two.n, 2);
	assert_int_equal(beacon_verify(f->pkt, sizeof(f->pkt), f->nonce, &two,
	    (time_t)T0, 30, &r), BEACON_OK);
	assert_int_equal(r.key, 1);	/* the second pinned key */
	memcpy(two.key[0], f->good.pub, 32);
	assert_int_equal(beacon_verify(f->pkt, sizeof(f->pkt), f->nonce, &two,
	    (time_t)T0, 30, &r), BEACON_OK);
	assert_int_equal(r.key, 0);
}

static void
test_keys_add_rejects(void **state)
{
	struct beacon_keys k = { 0 };

	(void)state;
	assert_int_equal(beacon_keys_add_b64(&k, "short"), -EINVAL);
	assert_int_equal(beacon_keys_add_b64(&k,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), -EINVAL);
	assert_int_equal(k.n, 0);
}

static int
verify_at(struct fixture *f, uint64_t t, time_t now, unsigned window,
    struct beacon_result *r)
{
	struct beacon_answer a;
	uint8_t pkt[BEACON_ANSWER_LEN];

	assert_int_equal(beacon_sign_answer(&f->good, f->nonce, "tokyo-3f", t, &a), 0);
	beacon_answer_encode(pkt, sizeof(pkt), &a);
	return beacon_verify(pkt, sizeof(pkt), f->nonce, &f->pin_good, now, window, r);
}

static void
test_verify_time(void **state)
{
	struct fixture *f = *state;
	time_t now = (time_t)T0;
	struct beacon_result r;

	assert_int_equal(verify_at(f, T0 - 30, now, 30, &r), BEACON_OK);
	assert_true(r.skew == -30);
	assert_int_equal(verify_at(f, T0 - 31, now, 30, &r), BEACON_E_STALE);
	assert_true(r.skew == -31);
	assert_int_equal(r.key, 0);	/* genuine, only old */
	assert_int_equal(verify_at(f, T0 + 30, now, 30, &r), BEACON_OK);
	assert_int_equal(verify_at(f, T0 + 31, now, 30, &r), BEACON_E_FUTURE);
	assert_int_equal(verify_at(f, T0, now, 0, &r), BEACON_OK);
	assert_int_equal(verify_at(f, T0 + 1, now, 0, &r), BEACON_E_FUTURE);
	assert_int_equal(verify_at(f, 0, now, 30, &r), BEACON_E_STALE);
	assert_int_equal(verify_at(f, UINT64_MAX, now, 30, &r), BEACON_E_FUTURE);
	assert_int_equal(verify_at(f, UINT64_C(1) << 63, now, 30, &r), BEACON_E_FUTURE);
	assert_int_equal(verify_at(f, T0, (time_t)INT64_MIN, 30, &r), BEACON_E_FUTURE);
	assert_int_equal(verify_at(f, T0, (time_t)INT64_MAX, 30, &r), BEACON_E_STALE);
}

static void
test_verify_header_and_length(void **state)
{
	struct fixture *f = *state;
	uint8_t pkt[BEACON_ANSWER_LEN + 64];

	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, f->pkt, BEACON_ANSWER_LEN);
	for (size_t len = 0; len < BEACON_ANSWER_LEN; len++)	/* truncated */
		assert_int_equal(beacon_verify(pkt, len, f->nonce, &f->pin_good,
		    (time_t)T0, 30, NULL), BEACON_E_LENGTH);
	for (size_t len = BEACON_ANSWER_LEN + 1; len <= sizeof(pkt); len++)	/* oversized */
		assert_int_equal(beacon_verify(pkt, len, f->nonce, &f->pin_good,
		    (time_t)T0, 30, NULL), BEACON_E_LENGTH);
	pkt[4] = 2;	/* a future version, even with a valid signature */
	assert_int_equal(beacon_verify(pkt, BEACON_ANSWER_LEN, f->nonce, &f->pin_good,
	    (time_t)T0, 30, NULL), BEACON_E_VERSION);
	pkt[4] = 1;
	pkt[0] = 'X';
	assert_int_equal(beacon_verify(pkt, BEACON_ANSWER_LEN, f->nonce, &f->pin_good,
	    (time_t)T0, 30, NULL), BEACON_E_MAGIC);
	pkt[0] = 'S';
	pkt[7] = 0x01;
	assert_int_equal(beacon_verify(pkt, BEACON_ANSWER_LEN, f->nonce, &f->pin_good,
	    (time_t)T0, 30, NULL), BEACON_E_FLAGS);
	pkt[7] = 0;
	pkt[6] = 0x80;
	assert_int_equal(beacon_verify(pkt, BEACON_ANSWER_LEN, f->nonce, &f->pin_good,
	    (time_t)T0, 30, NULL), BEACON_E_FLAGS);
	pkt[6] = 0;
	pkt[5] = BEACON_TYPE_CHALLENGE;
	assert_int_equal(beacon_verify(pkt, BEACON_ANSWER_LEN, f->nonce, &f->pin_good,
	    (time_t)T0, 30, NULL), BEACON_E_TYPE);
	pkt[5] = BEACON_TYPE_ANSWER;
	assert_int_equal(beacon_verify(pkt, BEACON_ANSWER_LEN, f->nonce, &f->pin_good,
	    (time_t)T0, 30, NULL), BEACON_OK);
}

static void
test_signer_load(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/test_beacon.XXXXXX", path[64], want[160];
	uint8_t seed[BEACON_SEED_LEN];
	struct beacon_signer s;
	struct sk_error err;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/beacon.key", dir);
	fill(seed, sizeof(seed), 1);	/* the fixture's good key */
	assert_int_equal(key_file_write(path, seed, &err), 0);
	assert_int_equal(beacon_signer_load(&s, path, (int)getuid(), &err), 0);
	assert_memory_equal(s.pub, f->good.pub, 32);
	beacon_signer_free(&s);
	assert_null(s.pkey);
	chmod(path, 0400);
	assert_int_equal(beacon_signer_load(&s, path, (int)getuid(), &err), 0);
	beacon_signer_free(&s);
	chmod(path, 0644);
	assert_int_equal(beacon_signer_load(&s, path, (int)getuid(), &err), -EPERM);
	snprintf(want, sizeof(want),
	    "key file %s: accessible by group or others (mode 0644), must be 0600", path);
	assert_string_equal(err.msg, want);
	assert_null(s.pkey);
	chmod(path, 0600);
	assert_int_equal(beacon_signer_load(&s, path, (int)getuid() + 1, &err), -EPERM);
	snprintf(want, sizeof(want), "key file %s: owned by uid %u, must be %d",
	    path, (unsigned)getuid(), (int)getuid() + 1);
	assert_string_equal(err.msg, want);
	unlink(path);
	rmdir(dir);
}

static void
test_keygen(void **state)
{
	uint8_t seed[32], pub[32], seed2[32], pub2[32];
	struct beacon_signer s;

	(void)state;
	assert_int_equal(beacon_keygen(seed, pub), 0);
	assert_int_equal(beacon_keygen(seed2, pub2), 0);
	assert_memory_not_equal(seed, seed2, 32);
	assert_int_equal(beacon_signer_init(&s, seed, NULL), 0);
	assert_memory_equal(s.pub, pub, 32);
	beacon_signer_free(&s);
	assert_int_equal(beacon_nonce(seed), 0);
	assert_int_equal(beacon_nonce(seed2), 0);
	assert_memory_not_equal(seed, seed2, 32);
}

/* ---- the packet handler ------------------------------------------------------ */

static const uint64_t secret[2] = { UINT64_C(0x9e3779b97f4a7c15), UINT64_C(0x243f6a8885a308d3) };

static void
handler_init(struct beacon_handler *h, struct fixture *f, struct ratelimit *rl,
    struct rl_rate src, struct rl_rate global)
{
	memset(h, 0, sizeof(*h));
	ratelimit_init(rl, src, global, secret, 1000);
	h->signer = &f->good;
	h->rl = rl;
	strcpy(h->id, "tokyo-3f");
	h->min_ttl = 255;
}

static void
test_handle_answers(void **state)
{
	struct fixture *f = *state;
	static struct ratelimit rl;
	struct beacon_handler h;
	struct beacon_challenge c;
	struct beacon_src src = { 7, 255 };
	struct beacon_result r;
	uint8_t in[BEACON_CHALLENGE_LEN], out[512];
	size_t outlen = sizeof(out);

	handler_init(&h, f, &rl, (struct rl_rate){ 0, 0 }, (struct rl_rate){ 0, 0 });
	memcpy(c.nonce, f->nonce, sizeof(c.nonce));
	beacon_challenge_encode(in, sizeof(in), &c);
	assert_int_equal(beacon_handle(&h, in, sizeof(in), &src, 1000, T0 + 5, out,
	    &outlen), BEACON_ANSWER);
	assert_int_equal(outlen, BEACON_ANSWER_LEN);
	assert_true(outlen <= sizeof(in));	/* never more out than in */
	assert_int_equal(beacon_verify(out, outlen, f->nonce, &f->pin_good,
	    (time_t)T0, 30, &r), BEACON_OK);
	assert_true(r.time == T0 + 5);
	assert_string_equal(r.id, "tokyo-3f");
	assert_true(h.count[BEACON_ANSWER] == 1);
}

static void
test_handle_drops(void **state)
{
	struct fixture *f = *state;
	static struct ratelimit rl;
	struct beacon_handler h;
	struct beacon_challenge c = { { 0 } };
	struct beacon_src src = { 7, 255 };
	uint8_t in[BEACON_CHALLENGE_LEN + 1], out[BEACON_ANSWER_LEN];
	size_t outlen;

	handler_init(&h, f, &rl, (struct rl_rate){ 0, 0 }, (struct rl_rate){ 0, 0 });
	beacon_challenge_encode(in, sizeof(in), &c);
	in[BEACON_CHALLENGE_LEN] = 0;
	for (size_t len = 0; len <= sizeof(in); len++) {
		if (len == BEACON_CHALLENGE_LEN)
			continue;
		outlen = sizeof(out);
		assert_int_equal(beacon_handle(&h, in, len, &src, 1000, T0, out, &outlen),
		    BEACON_DROP_MALFORMED);
		assert_int_equal(outlen, 0);
	}
	/* Its own answer, reflected back: not a challenge, not signed again. */
	outlen = sizeof(out);
	assert_int_equal(beacon_handle(&h, f->pkt, sizeof(f->pkt), &src, 1000, T0,
	    out, &outlen), BEACON_DROP_MALFORMED);
	in[4] = 2;	/* version 2 */
	outlen = sizeof(out);
	assert_int_equal(beacon_handle(&h, in, BEACON_CHALLENGE_LEN, &src, 1000, T0,
	    out, &outlen), BEACON_DROP_MALFORMED);
	in[4] = 1;
	src.ttl = 254;	/* one router away */
	outlen = sizeof(out);
	assert_int_equal(beacon_handle(&h, in, BEACON_CHALLENGE_LEN, &src, 1000, T0,
	    out, &outlen), BEACON_DROP_HOPS);
	assert_int_equal(outlen, 0);
	src.ttl = -1;	/* unknown: refused too */
	outlen = sizeof(out);
	assert_int_equal(beacon_handle(&h, in, BEACON_CHALLENGE_LEN, &src, 1000, T0,
	    out, &outlen), BEACON_DROP_HOPS);
	h.min_ttl = 0;
	outlen = BEACON_ANSWER_LEN - 1;
	assert_int_equal(beacon_handle(&h, in, BEACON_CHALLENGE_LEN, &src, 1000, T0,
	    out, &outlen), BEACON_DROP_FAILED);
	outlen = sizeof(out);
	assert_int_equal(beacon_handle(&h, in, BEACON_CHALLENGE_LEN, &src, 1000, T0,
	    out, &outlen), BEACON_ANSWER);
	/* every length but one of 0..sizeof(in), the reflection, version 2 */
	assert_true(h.count[BEACON_DROP_MALFORMED] == sizeof(in) + 2);
	assert_true(h.count[BEACON_DROP_FAILED] == 1);
	assert_true(h.count[BEACON_DROP_HOPS] == 2);
	assert_true(h.count[BEACON_ANSWER] == 1);
	assert_string_equal(beacon_verdict_name(BEACON_DROP_GLOBAL), "global-limited");
}

static void
test_handle_ratelimited(void **state)
{
	struct fixture *f = *state;
	static struct ratelimit rl;
	struct beacon_handler h;
	struct beacon_challenge c = { { 0 } };
	struct beacon_src a = { 1, 255 }, b = { 2, 255 };
	uint8_t in[BEACON_CHALLENGE_LEN], out[BEACON_ANSWER_LEN];
	size_t outlen = sizeof(out);

	handler_init(&h, f, &rl, (struct rl_rate){ 1, 2 }, (struct rl_rate){ 1, 3 });
	beacon_challenge_encode(in, sizeof(in), &c);
	assert_int_equal(beacon_handle(&h, in, sizeof(in), &a, 1000, T0, out, &outlen),
	    BEACON_ANSWER);
	outlen = sizeof(out);
	assert_int_equal(beacon_handle(&h, in, sizeof(in), &a, 1000, T0, out, &outlen),
	    BEACON_ANSWER);
	outlen = sizeof(out);
	assert_int_equal(beacon_handle(&h, in, sizeof(in), &a, 1000, T0, out, &outlen),
	    BEACON_DROP_SOURCE);
	assert_int_equal(outlen, 0);
	outlen = sizeof(out);
	assert_int_equal(beacon_handle(&h, in, sizeof(in), &b, 1000, T0, out, &outlen),
	    BEACON_ANSWER);
	outlen = sizeof(out);
	assert_int_equal(beacon_handle(&h, in, sizeof(in), &b, 1000, T0, out, &outlen),
	    BEACON_DROP_GLOBAL);
	assert_int_equal(outlen, 0);
	outlen = sizeof(out);
	assert_int_equal(beacon_handle(&h, in, sizeof(in), &b, 2000, T0, out, &outlen),
	    BEACON_ANSWER);
}

/* ---- the rate limiter -------------------------------------------------------- */

static void
test_ratelimit_source(void **state)
{
	static struct ratelimit rl;

	(void)state;
	ratelimit_init(&rl, (struct rl_rate){ 5, 10 }, (struct rl_rate){ 0, 0 }, secret, 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(ratelimit_take(&rl, 42, 0), RL_PASS);
	assert_int_equal(ratelimit_take(&rl, 42, 0), RL_SOURCE);
	assert_int_equal(ratelimit_take(&rl, 42, 199), RL_SOURCE);	/* 5/s: one per 200 ms */
	assert_int_equal(ratelimit_take(&rl, 42, 200), RL_PASS);
	assert_int_equal(ratelimit_take(&rl, 42, 200), RL_SOURCE);
	assert_int_equal(ratelimit_take(&rl, 42, 100), RL_SOURCE);	/* clock went back */
	assert_int_equal(ratelimit_take(&rl, 42, 399), RL_SOURCE);
	assert_int_equal(ratelimit_take(&rl, 42, 400), RL_PASS);
	/* An hour idle refills to the burst, not beyond. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(ratelimit_take(&rl, 42, 3600400), RL_PASS);
	assert_int_equal(ratelimit_take(&rl, 42, 3600400), RL_SOURCE);
	/* Another source has its own bucket. */
	assert_int_equal(ratelimit_take(&rl, 43, 3600400), RL_PASS);
	/* Months idle: no overflow, still just the burst. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(ratelimit_take(&rl, 42, UINT64_C(1) << 40), RL_PASS);
	assert_int_equal(ratelimit_take(&rl, 42, UINT64_C(1) << 40), RL_SOURCE);
}

static void
test_ratelimit_global(void **state)
{
	static struct ratelimit rl;
	uint64_t key = 0;

	(void)state;
	ratelimit_init(&rl, (struct rl_rate){ 1, 1 }, (struct rl_rate){ 100, 50 }, secret, 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(ratelimit_take(&rl, key++, 0), RL_PASS);
	/* Fresh sources, empty global bucket: spoofed floods stop here. */
	assert_int_equal(ratelimit_take(&rl, key, 0), RL_GLOBAL);
	assert_int_equal(ratelimit_take(&rl, key + 1, 9), RL_GLOBAL);
	/* The refused request took no token from its source. */
	assert_int_equal(ratelimit_take(&rl, key, 10), RL_PASS);
	assert_int_equal(ratelimit_take(&rl, key + 1, 10), RL_GLOBAL);
	/* 100/s sustained: 100 more in the next second, and no more. */
	ratelimit_init(&rl, (struct rl_rate){ 0, 0 }, (struct rl_rate){ 100, 50 }, secret, 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(ratelimit_take(&rl, 7, 0), RL_PASS);
	unsigned passed = 0;
	for (uint64_t t = 1; t <= 1000; t++)
		passed += ratelimit_take(&rl, t, t) == RL_PASS;
	assert_int_equal(passed, 100);
}

static void
test_ratelimit_unlimited(void **state)
{
	static struct ratelimit rl;

	(void)state;
	ratelimit_init(&rl, (struct rl_rate){ 0, 0 }, (struct rl_rate){ 0, 0 }, secret, 0);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(ratelimit_take(&rl, 1, 0), RL_PASS);
}

static uint64_t
key4(const char *a, unsigned bits)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, a, &sin.sin_addr), 1);
	return ratelimit_key((const struct sockaddr *)&sin, bits, 64);
}

static uint64_t
key6(const char *a, unsigned bits)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, a, &sin6.sin6_addr), 1);
	return ratelimit_key((const struct sockaddr *)&sin6, 32, bits);
}

static void
test_ratelimit_key(void **state)
{
	(void)state;
	assert_true(key4("10.1.2.3", 24) == key4("10.1.2.200", 24));
	assert_true(key4("10.1.2.3", 24) != key4("10.1.3.3", 24));
	assert_true(key4("10.1.2.3", 32) != key4("10.1.2.4", 32));
	assert_true(key4("10.1.2.3", 0) == key4("192.0.2.1", 0));
	assert_true(key6("::ffff:10.1.2.3", 64) == key4("10.1.2.3", 32));
	assert_true(key6("2001:db8::1", 64) == key6("2001:db8::ffff", 64));
	assert_true(key6("2001:db8::1", 64) != key6("2001:db8:0:1::1", 64));
	assert_true(key6("2001:db8::1", 48) == key6("2001:db8:0:1::1", 48));
	assert_true(key6("2001:db8::1", 64) != key4("32.1.13.184", 32));
}

static void
test_ratelimit_parse(void **state)
{
	struct rl_rate r;

	(void)state;
	assert_int_equal(ratelimit_parse("5", &r), 0);
	assert_int_equal(r.rate, 5);
	assert_int_equal(r.burst, 10);
	assert_int_equal(ratelimit_parse("2000/4000", &r), 0);
	assert_int_equal(r.rate, 2000);
	assert_int_equal(r.burst, 4000);
	assert_int_equal(ratelimit_parse("0", &r), 0);
	assert_int_equal(r.rate, 0);
	assert_int_equal(r.burst, 0);
	static const char *bad[] = { "", "x", "5/", "/5", "5/0", "-1", "5/7/9",
	    "1000001", "1/2000001", " 5" };
	for (size_t i = 0; i < nitems(bad); i++)
		assert_int_equal(ratelimit_parse(bad[i], &r), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_challenge_layout),
		cmocka_unit_test(test_answer_layout),
		cmocka_unit_test(test_challenge_rejects),
		cmocka_unit_test(test_id_rules),
		cmocka_unit_test(test_answer_id_on_wire),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_rfc8032_key),
		cmocka_unit_test(test_signed_message),
		cmocka_unit_test(test_verify_ok),
		cmocka_unit_test(test_verify_wrong_nonce),
		cmocka_unit_test(test_verify_tamper_every_byte),
		cmocka_unit_test(test_verify_wrong_key),
		cmocka_unit_test(test_verify_rotation),
		cmocka_unit_test(test_keys_add_rejects),
		cmocka_unit_test(test_verify_time),
		cmocka_unit_test(test_verify_header_and_length),
		cmocka_unit_test(test_signer_load),
		cmocka_unit_test(test_keygen),
		cmocka_unit_test(test_handle_answers),
		cmocka_unit_test(test_handle_drops),
		cmocka_unit_test(test_handle_ratelimited),
		cmocka_unit_test(test_ratelimit_source),
		cmocka_unit_test(test_ratelimit_global),
		cmocka_unit_test(test_ratelimit_unlimited),
		cmocka_unit_test(test_ratelimit_key),
		cmocka_unit_test(test_ratelimit_parse),
	};
	return cmocka_run_group_tests_name("beacon", tests, setup, teardown);
}
