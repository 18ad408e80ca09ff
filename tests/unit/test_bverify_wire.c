/*
 * sekishod <-> sekisho-beacon-verify (lib/proto/bverify_wire.h): exact
 * sizes, every field checked on decode, round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/proto/bverify_wire.h"

static void
fill(struct bverify_req *r, size_t n)
{
	memset(r, 0, sizeof(*r));
	memset(r->nonce, 0x11, sizeof(r->nonce));
	memset(r->answer, 0x22, sizeof(r->answer));
	r->n_keys = n;
	for (size_t i = 0; i < n && i < BVERIFY_MAX_KEYS; i++)
		memset(r->keys[i], 0x33 + (int)i, BEACON_PUB_LEN);
}

static void
test_req_round_trip(void **state)
{
	uint8_t buf[BVERIFY_REQ_LEN];
	struct bverify_req q, out;

	(void)state;
	assert_int_equal(BVERIFY_REQ_LEN, 248);
	for (size_t n = 1; n <= BVERIFY_MAX_KEYS; n++) {
		fill(&q, n);
		assert_int_equal(bverify_req_encode(buf, &q), 0);
		assert_memory_equal(buf, "SKV1", 4);
		assert_int_equal(buf[4], n);
		assert_int_equal(bverify_req_decode(buf, sizeof(buf), &out), 0);
		assert_int_equal(out.n_keys, n);
		assert_memory_equal(out.nonce, q.nonce, sizeof(q.nonce));
		assert_memory_equal(out.answer, q.answer, sizeof(q.answer));
		assert_memory_equal(out.keys, q.keys, n * BEACON_PUB_LEN);
	}
	fill(&q, 0);
	assert_int_equal(bverify_req_encode(buf, &q), -EINVAL);
	fill(&q, BVERIFY_MAX_KEYS + 1);
	assert_int_equal(bverify_req_encode(buf, &q), -EINVAL);
}

static void
test_req_refused(void **state)
{
	uint8_t buf[BVERIFY_REQ_LEN + 1], bad[BVERIFY_REQ_LEN];
	struct bverify_req q, out;

	(void)state;
	fill(&q, 1);
	assert_int_equal(bverify_req_encode(buf, &q), 0);
	buf[BVERIFY_REQ_LEN] = 0;
	/* exact size only */
	assert_int_equal(bverify_req_decode(buf, BVERIFY_REQ_LEN - 1, &out), -EINVAL);
	assert_int_equal(bverify_req_decode(buf, BVERIFY_REQ_LEN + 1, &out), -EINVAL);
	assert_int_equal(bverify_req_decode(buf, 0, &out), -EINVAL);
	/* magic */
	memcpy(bad, buf, sizeof(bad));
	bad[0] = 'X';
	assert_int_equal(bverify_req_decode(bad, sizeof(bad), &out), -EINVAL);
	/* key count 0 and above the maximum */
	memcpy(bad, buf, sizeof(bad));
	bad[4] = 0;
	assert_int_equal(bverify_req_decode(bad, sizeof(bad), &out), -EINVAL);
	bad[4] = BVERIFY_MAX_KEYS + 1;
	assert_int_equal(bverify_req_decode(bad, sizeof(bad), &out), -EINVAL);
	/* padding */
	memcpy(bad, buf, sizeof(bad));
	bad[7] = 1;
	assert_int_equal(bverify_req_decode(bad, sizeof(bad), &out), -EINVAL);
	/* a key in an unused slot */
	memcpy(bad, buf, sizeof(bad));
	bad[BVERIFY_REQ_LEN - 1] = 1;
	assert_int_equal(bverify_req_decode(bad, sizeof(bad), &out), -EINVAL);
}

static void
test_rep(void **state)
{
	uint8_t buf[BVERIFY_REP_LEN + 1] = { 0 }, bad[BVERIFY_REP_LEN];
	struct bverify_rep r = { .verdict = BVERIFY_OK, .key = 1 }, out;

	(void)state;
	assert_int_equal(bverify_rep_encode(buf, &r), 0);
	assert_memory_equal(buf, "SKV1\x00\x01\x00\x00", BVERIFY_REP_LEN);
	assert_int_equal(bverify_rep_decode(buf, BVERIFY_REP_LEN, 2, &out), 0);
	assert_int_equal(out.verdict, BVERIFY_OK);
	assert_int_equal(out.key, 1);
	/* key 1 of a request with one key: a lie */
	assert_int_equal(bverify_rep_decode(buf, BVERIFY_REP_LEN, 1, &out), -EINVAL);
	assert_int_equal(bverify_rep_decode(buf, BVERIFY_REP_LEN - 1, 2, &out), -EINVAL);
	assert_int_equal(bverify_rep_decode(buf, BVERIFY_REP_LEN + 1, 2, &out), -EINVAL);
	r = (struct bverify_rep){ .verdict = BVERIFY_BAD_SIG, .key = 0 };
	assert_int_equal(bverify_rep_encode(buf, &r), 0);
	assert_memory_equal(buf, "SKV1\x01\xff\x00\x00", BVERIFY_REP_LEN);
	assert_int_equal(bverify_rep_decode(buf, BVERIFY_REP_LEN, 2, &out), 0);
	assert_int_equal(out.verdict, BVERIFY_BAD_SIG);
	assert_int_equal(out.key, -1);
	/* a failure naming a key, an unknown verdict, padding, magic */
	memcpy(bad, buf, sizeof(bad));
	bad[5] = 0;
	assert_int_equal(bverify_rep_decode(bad, sizeof(bad), 2, &out), -EINVAL);
	memcpy(bad, buf, sizeof(bad));
	bad[4] = BVERIFY_MAX + 1;
	assert_int_equal(bverify_rep_decode(bad, sizeof(bad), 2, &out), -EINVAL);
	memcpy(bad, buf, sizeof(bad));
	bad[7] = 1;
	assert_int_equal(bverify_rep_decode(bad, sizeof(bad), 2, &out), -EINVAL);
	memcpy(bad, buf, sizeof(bad));
	bad[3] = '2';
	assert_int_equal(bverify_rep_decode(bad, sizeof(bad), 2, &out), -EINVAL);
	/* encoder refuses what the decoder would */
	r = (struct bverify_rep){ .verdict = BVERIFY_MAX + 1 };
	assert_int_equal(bverify_rep_encode(buf, &r), -EINVAL);
	r = (struct bverify_rep){ .verdict = BVERIFY_OK, .key = -1 };
	assert_int_equal(bverify_rep_encode(buf, &r), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_round_trip),
		cmocka_unit_test(test_req_refused),
		cmocka_unit_test(test_rep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
