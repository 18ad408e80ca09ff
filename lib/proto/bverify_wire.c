#include "lib/proto/bverify_wire.h"

#include <errno.h>
#include <string.h>

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int
bverify_req_encode(uint8_t out[BVERIFY_REQ_LEN], const struct bverify_req *r)
{
	if (r->n_keys == 0 || r->n_keys > BVERIFY_MAX_KEYS)
		return -EINVAL;
	memset(out, 0, BVERIFY_REQ_LEN);
	memcpy(out, BVERIFY_MAGIC, BVERIFY_MAGIC_LEN);
	out[BVERIFY_MAGIC_LEN] = (uint8_t)r->n_keys;
	memcpy(out + BVERIFY_OFF_NONCE, r->nonce, BEACON_NONCE_LEN);
	memcpy(out + BVERIFY_OFF_ANSWER, r->answer, BEACON_ANSWER_LEN);
	for (size_t i = 0; i < r->n_keys; i++)
		memcpy(out + BVERIFY_OFF_KEYS + i * BEACON_PUB_LEN, r->keys[i], BEACON_PUB_LEN);
	return 0;
}

int
bverify_req_decode(const uint8_t *in, size_t len, struct bverify_req *r)
{
	size_t n;

	if (len != BVERIFY_REQ_LEN || memcmp(in, BVERIFY_MAGIC, BVERIFY_MAGIC_LEN) != 0)
		return -EINVAL;
	n = in[BVERIFY_MAGIC_LEN];
	if (n == 0 || n > BVERIFY_MAX_KEYS ||
	    !all_zero(in + BVERIFY_MAGIC_LEN + 1, BVERIFY_OFF_NONCE - BVERIFY_MAGIC_LEN - 1) ||
	    !all_zero(in + BVERIFY_OFF_KEYS + n * BEACON_PUB_LEN,
	    (BVERIFY_MAX_KEYS - n) * BEACON_PUB_LEN))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->n_keys = n;
	memcpy(r->nonce, in + BVERIFY_OFF_NONCE, BEACON_NONCE_LEN);
	memcpy(r->answer, in + BVERIFY_OFF_ANSWER, BEACON_ANSWER_LEN);
	for (size_t i = 0; i < n; i++)
		memcpy(r->keys[i], in + BVERIFY_OFF_KEYS + i * BEACON_PUB_LEN, BEACON_PUB_LEN);
	return 0;
}

int
bverify_rep_encode(uint8_t out[BVERIFY_REP_LEN], const struct bverify_rep *r)
{
	if (r->verdict < 0 || r->verdict > BVERIFY_MAX)
		return -EINVAL;
	if (r->verdict == BVERIFY_OK && (r->key < 0 || r->key >= BVERIFY_MAX_KEYS))
		return -EINVAL;
	memset(out, 0, BVERIFY_REP_LEN);
	memcpy(out, BVERIFY_MAGIC, BVERIFY_MAGIC_LEN);
	out[4] = (uint8_t)r->verdict;
	out[5] = r->verdict == BVERIFY_OK ? (uint8_t)r->key : BVERIFY_NO_KEY;
	return 0;
}

int
bverify_rep_decode(const uint8_t *in, size_t len, size_t n_keys, struct bverify_rep *r)
{
	if (len != BVERIFY_REP_LEN || memcmp(in, BVERIFY_MAGIC, BVERIFY_MAGIC_LEN) != 0 ||
	    in[4] > BVERIFY_MAX || in[6] != 0 || in[7] != 0)
		return -EINVAL;
	if (in[4] == BVERIFY_OK ? in[5] >= n_keys || in[5] >= BVERIFY_MAX_KEYS :
	    in[5] != BVERIFY_NO_KEY)
		return -EINVAL;
	r->verdict = in[4];
	r->key = in[4] == BVERIFY_OK ? in[5] : -1;
	return 0;
}

int
bverify_ready_is(const uint8_t *in, size_t len)
{
	return len == BVERIFY_READY_LEN && memcmp(in, BVERIFY_READY, BVERIFY_READY_LEN) == 0;
}
