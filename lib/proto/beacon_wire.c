#include "lib/proto/beacon_wire.h"

#include <string.h>

#include "lib/encode.h"

/* The offsets docs/beacon.md gives. */
_Static_assert(BEACON_CHALLENGE_LEN == 144, "challenge length");
_Static_assert(BEACON_ANSWER_LEN == 144, "answer length");
_Static_assert(BEACON_MSG_LEN == 89, "signed message length");

static const char *const beacon_errstr[] = {
	[-BEACON_OK] = "ok",
	[-BEACON_E_LENGTH] = "wrong packet length",
	[-BEACON_E_MAGIC] = "bad magic",
	[-BEACON_E_VERSION] = "unknown protocol version",
	[-BEACON_E_TYPE] = "unexpected packet type",
	[-BEACON_E_FLAGS] = "unknown flags set",
	[-BEACON_E_ID] = "malformed beacon id",
	[-BEACON_E_NONCE] = "nonce does not match the challenge sent",
	[-BEACON_E_NOKEYS] = "no pinned public key",
	[-BEACON_E_SIGNATURE] = "signature does not verify under any pinned key",
	[-BEACON_E_STALE] = "answer time too far in the past",
	[-BEACON_E_FUTURE] = "answer time too far in the future",
	[-BEACON_E_CRYPTO] = "cryptographic library failure",
	[-BEACON_E_SPACE] = "output buffer too small",
	[-BEACON_E_PADDING] = "non-zero padding",
};

const char *
beacon_strerror(int code)
{
	if (code > 0 || code <= -(int)(sizeof(beacon_errstr) / sizeof(beacon_errstr[0])))
		return "unknown error";
	return beacon_errstr[-code];
}

static int
id_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int
beacon_id_valid(const char *id)
{
	size_t i;

	if (id[0] == '\0' || id[0] == '-')
		return 0;
	for (i = 0; id[i] != '\0'; i++)
		if (i >= BEACON_ID_LEN || !id_char_ok(id[i]))
			return 0;
	return 1;
}

static void
put_hdr(uint8_t *p, uint8_t type)
{
	memcpy(p, BEACON_MAGIC, BEACON_MAGIC_LEN);
	p[4] = BEACON_VERSION;
	p[5] = type;
	p[6] = 0;	/* flags: none defined in version 1 */
	p[7] = 0;
}

/* The length first: any other size is refused before a byte is read. */
static int
check_hdr(const uint8_t *p, size_t len, size_t want, uint8_t type)
{
	if (len != want)
		return BEACON_E_LENGTH;
	if (memcmp(p, BEACON_MAGIC, BEACON_MAGIC_LEN) != 0)
		return BEACON_E_MAGIC;
	if (p[4] != BEACON_VERSION)
		return BEACON_E_VERSION;
	if (p[5] != type)
		return BEACON_E_TYPE;
	if (p[6] != 0 || p[7] != 0)
		return BEACON_E_FLAGS;
	return BEACON_OK;
}

/* NUL-padded on the wire: at least one character, and nothing but NULs
 * after the first NUL, so that one id has exactly one encoding. */
static int
id_decode(char id[BEACON_ID_LEN + 1], const uint8_t *p)
{
	size_t n = 0;

	while (n < BEACON_ID_LEN && p[n] != 0)
		n++;
	for (size_t i = n; i < BEACON_ID_LEN; i++)
		if (p[i] != 0)
			return BEACON_E_ID;
	memcpy(id, p, n);
	id[n] = '\0';
	return beacon_id_valid(id) ? BEACON_OK : BEACON_E_ID;
}

static void
id_encode(uint8_t *p, const char *id)
{
	size_t n = strnlen(id, BEACON_ID_LEN);

	memset(p, 0, BEACON_ID_LEN);
	memcpy(p, id, n);
}

int
beacon_challenge_encode(uint8_t *out, size_t outlen,
    const struct beacon_challenge *c)
{
	if (outlen < BEACON_CHALLENGE_LEN)
		return BEACON_E_SPACE;
	put_hdr(out, BEACON_TYPE_CHALLENGE);
	memcpy(out + BEACON_HDR_LEN, c->nonce, BEACON_NONCE_LEN);
	memset(out + BEACON_CHALLENGE_OFF_PAD, 0,
	    BEACON_CHALLENGE_LEN - BEACON_CHALLENGE_OFF_PAD);
	return BEACON_CHALLENGE_LEN;
}

int
beacon_challenge_decode(const uint8_t *in, size_t len,
    struct beacon_challenge *c)
{
	int rc;

	if ((rc = check_hdr(in, len, BEACON_CHALLENGE_LEN,
	    BEACON_TYPE_CHALLENGE)) != BEACON_OK)
		return rc;
	for (size_t i = BEACON_CHALLENGE_OFF_PAD; i < BEACON_CHALLENGE_LEN; i++)
		if (in[i] != 0)
			return BEACON_E_PADDING;
	memcpy(c->nonce, in + BEACON_HDR_LEN, BEACON_NONCE_LEN);
	return BEACON_OK;
}

int
beacon_answer_encode(uint8_t *out, size_t outlen, const struct beacon_answer *a)
{
	if (outlen < BEACON_ANSWER_LEN)
		return BEACON_E_SPACE;
	put_hdr(out, BEACON_TYPE_ANSWER);
	memcpy(out + BEACON_ANSWER_OFF_NONCE, a->nonce, BEACON_NONCE_LEN);
	id_encode(out + BEACON_ANSWER_OFF_ID, a->id);
	be64_put(out + BEACON_ANSWER_OFF_TIME, a->time);
	memcpy(out + BEACON_ANSWER_OFF_SIG, a->sig, BEACON_SIG_LEN);
	return BEACON_ANSWER_LEN;
}

int
beacon_answer_decode(const uint8_t *in, size_t len, struct beacon_answer *a)
{
	int rc;

	if ((rc = check_hdr(in, len, BEACON_ANSWER_LEN, BEACON_TYPE_ANSWER)) != BEACON_OK)
		return rc;
	if ((rc = id_decode(a->id, in + BEACON_ANSWER_OFF_ID)) != BEACON_OK)
		return rc;
	memcpy(a->nonce, in + BEACON_ANSWER_OFF_NONCE, BEACON_NONCE_LEN);
	a->time = be64_get(in + BEACON_ANSWER_OFF_TIME);
	memcpy(a->sig, in + BEACON_ANSWER_OFF_SIG, BEACON_SIG_LEN);
	return BEACON_OK;
}

void
beacon_msg(uint8_t msg[BEACON_MSG_LEN], const uint8_t nonce[BEACON_NONCE_LEN],
    const char *id, uint64_t time)
{
	uint8_t *p = msg;

	memcpy(p, BEACON_CONTEXT, BEACON_CONTEXT_LEN);
	p += BEACON_CONTEXT_LEN;
	memcpy(p, nonce, BEACON_NONCE_LEN);
	p += BEACON_NONCE_LEN;
	id_encode(p, id);
	p += BEACON_ID_LEN;
	be64_put(p, time);
}

/* Answer time minus now, saturated so that no input overflows. */
int64_t
beacon_skew(uint64_t t, time_t now)
{
	int64_t n = (int64_t)now;

	if (t > (uint64_t)INT64_MAX / 2)
		return INT64_MAX;
	if (n < INT64_MIN / 2)
		return INT64_MAX;
	return (int64_t)t - n;
}
