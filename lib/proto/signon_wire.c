#include "lib/proto/signon_wire.h"

#include <string.h>

#include "lib/encode.h"

/* The offsets the header comment gives. */
_Static_assert(SIGNON_REQ_OFF_TAG + SIGNON_TAG_LEN == SIGNON_REQUEST_LEN, "request");
_Static_assert(SIGNON_REQ_OFF_SEALED + SIGNON_SECRET_LEN == SIGNON_REQ_OFF_TAG, "sealed");
_Static_assert(SIGNON_BOUND_OFF_SIG + SIGNON_SIG_LEN == SIGNON_BOUND_LEN, "bound");
_Static_assert(SIGNON_RESULT_OFF_SIG + SIGNON_SIG_LEN == SIGNON_RESULT_LEN, "result");
_Static_assert(SIGNON_NONCE_REQ_LEN <= SIGNON_CHALLENGE_LEN &&
    SIGNON_HELLO_LEN <= SIGNON_CHALLENGE_LEN &&
    SIGNON_RESULT_LEN <= SIGNON_BOUND_LEN &&
    SIGNON_NONCE_REQ_LEN >= SIGNON_CHALLENGE_LEN, "no amplification");

/* BOUND offsets */
#define B_REQ		8
#define B_DEVICE	(B_REQ + SIGNON_REQUEST_LEN)		/* 424 */
#define B_MODE		(B_DEVICE + SIGNON_DEVICE_LEN)		/* 488 */
#define B_UPLINK	(B_MODE + 8)				/* 496 */
#define B_TIME		(B_UPLINK + SIGNON_UPLINK_LEN)		/* 512 */
_Static_assert(B_TIME + 8 == SIGNON_BOUND_OFF_SIG, "bound time");
/* RESULT offsets */
#define R_NONCE		8
#define R_OP		40
#define R_LIFE		44
#define R_STAFF		48
#define R_DEVICE	(R_STAFF + SIGNON_STAFF_LEN)		/* 112 */
#define R_TIME		(R_DEVICE + SIGNON_DEVICE_LEN)		/* 176 */
_Static_assert(R_TIME + 8 == SIGNON_RESULT_OFF_SIG, "result time");
/* EVENTS, EVENTS_BOUND and EVENTS_ACK offsets */
#define EV_FIRST	8
#define EV_COUNT	16
#define EV_OUTBOX	24
#define EV_LIST		32
#define EVB_EV		8
#define EVB_DEVICE	(EVB_EV + SIGNON_EVENTS_LEN)			/* 1000 */
#define EVB_MODE	(EVB_DEVICE + SIGNON_DEVICE_LEN)		/* 1064 */
#define EVB_UPLINK	(EVB_MODE + 8)					/* 1072 */
#define EVB_TIME	(EVB_UPLINK + SIGNON_UPLINK_LEN)		/* 1088 */
_Static_assert(EVB_TIME + 8 == SIGNON_EVB_OFF_SIG, "events bound time");
_Static_assert(SIGNON_EVB_OFF_SIG + SIGNON_SIG_LEN == SIGNON_EVENTS_BOUND_LEN, "evb");
#define EVA_DEVICE	8
#define EVA_FIRST	(EVA_DEVICE + SIGNON_DEVICE_LEN)		/* 72 */
#define EVA_COUNT	80
#define EVA_STORED	88
#define EVA_TIME	96
#define EVA_OUTBOX	104
_Static_assert(EVA_OUTBOX + 8 == SIGNON_EVA_OFF_SIG, "ack outbox");
_Static_assert(EV_LIST + SIGNON_EV_MAX * SIGNON_EV_LEN == SIGNON_EVENTS_LEN, "events");
_Static_assert(SIGNON_EVA_OFF_SIG + SIGNON_SIG_LEN == SIGNON_EVENTS_ACK_LEN, "eva");
_Static_assert(SIGNON_EVENTS_ACK_LEN <= SIGNON_EVENTS_LEN, "no amplification (events)");
/* CHALLENGE offsets */
#define C_NONCE		8
#define C_TIME		40
#define C_VALID		48
#define C_PRES		52
#define C_PRES_S	53
#define C_ZERO		54
#define C_SEAL		56
_Static_assert(C_SEAL + SIGNON_X25519_LEN == SIGNON_CHALLENGE_LEN, "challenge");

static const char *const errstr[] = {
	[-SIGNON_OK] = "ok",
	[-SIGNON_E_LENGTH] = "wrong message length",
	[-SIGNON_E_MAGIC] = "bad magic",
	[-SIGNON_E_VERSION] = "unknown protocol version",
	[-SIGNON_E_TYPE] = "unexpected message type",
	[-SIGNON_E_FLAGS] = "unknown flags set",
	[-SIGNON_E_RESERVED] = "non-zero reserved bytes",
	[-SIGNON_E_ENUM] = "unknown op, factor, result, mode or code",
	[-SIGNON_E_TEXT] = "malformed text field",
	[-SIGNON_E_FIELDS] = "fields do not fit the op and factor",
	[-SIGNON_E_SPACE] = "output buffer too small",
	[-SIGNON_E_SIGNATURE] = "signature does not verify",
	[-SIGNON_E_SEAL] = "sealed secret does not open",
	[-SIGNON_E_CRYPTO] = "cryptographic library failure",
	[-SIGNON_E_KEY] = "malformed key",
};

#define NAME(tab, i) ((i) >= 0 && (size_t)(i) < sizeof(tab) / sizeof(tab[0]) && \
	(tab)[i] != NULL ? (tab)[i] : "?")

const char *
signon_strerror(int code)
{
	if (code > 0 || code <= -(int)(sizeof(errstr) / sizeof(errstr[0])))
		return "unknown error";
	return errstr[-code];
}

static const char *const result_names[] = {
	"ok", "wrong-pin", "locked", "unknown-card", "unknown-user", "code-used",
	"code-expired", "code-invalid", "factor-refused", "card-signature",
	"replay", "device", "disabled", "malformed", "internal", "no-session",
	"no-match", "slow-down", "unavailable",
};
static const char *const factor_names[] = {
	"none", "card-pin", "card-key", "code-pin", "biometric", "biometric-pin",
};
static const char *const op_names[] = {
	NULL, "signon", "signoff", "lock", "unlock", "pin-refused", "handover",
};
static const char *const ev_kind_names[] = { NULL, "lock", "mark" };
static const char *const ev_reason_names[] = {
	"none", "card-removed", "presence", "user",
};
_Static_assert(sizeof(ev_kind_names) / sizeof(ev_kind_names[0]) == SIGNON_EV_KIND_MAX + 1, "k");
_Static_assert(sizeof(ev_reason_names) / sizeof(ev_reason_names[0]) == SIGNON_EVR_MAX + 1, "er");
static const char *const mode_names[] = { "unknown", "remote", "office" };
static const char *const relay_names[] = {
	NULL, "unreachable", "no-verifier", "bad-answer", "busy", "blocked",
};
_Static_assert(sizeof(result_names) / sizeof(result_names[0]) == SIGNON_R_MAX + 1, "r");
_Static_assert(sizeof(factor_names) / sizeof(factor_names[0]) == SIGNON_F_MAX + 1, "f");
_Static_assert(sizeof(op_names) / sizeof(op_names[0]) == SIGNON_OP_MAX + 1, "op");
_Static_assert(sizeof(relay_names) / sizeof(relay_names[0]) == SIGNON_RE_MAX + 1, "re");

const char *signon_result_name(int r) { return NAME(result_names, r); }
const char *signon_factor_name(int f) { return NAME(factor_names, f); }
const char *signon_op_name(int op) { return NAME(op_names, op); }
const char *signon_mode_name(int m) { return NAME(mode_names, m); }
const char *signon_relay_err_name(int e) { return NAME(relay_names, e); }
const char *signon_ev_kind_name(int k) { return NAME(ev_kind_names, k); }
const char *signon_ev_reason_name(int r) { return NAME(ev_reason_names, r); }

/* ---- text fields ---- */

static int
text_ok(const char *s, size_t max, int (*ok)(char c, size_t i), int may_be_empty)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || !ok(s[i], i))
			return 0;
	return i > 0 || may_be_empty;
}

static int
dev_char(char c, size_t i)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return i > 0 && (c == '.' || c == '_' || c == '-');
}

static int
print_char(char c, size_t i)
{
	(void)i;
	return c >= 0x21 && c <= 0x7e;
}

static int
uplink_char(char c, size_t i)
{
	(void)i;
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int signon_device_valid(const char *s) { return text_ok(s, SIGNON_DEVICE_LEN, dev_char, 0); }
int signon_card_valid(const char *s) { return text_ok(s, SIGNON_CARD_LEN, print_char, 0); }
int signon_staff_valid(const char *s) { return text_ok(s, SIGNON_STAFF_LEN, print_char, 0); }
int signon_uplink_valid(const char *s) { return text_ok(s, SIGNON_UPLINK_LEN - 1, uplink_char, 1); }

/* NUL-padded: nothing but NULs after the first NUL, so that one value has
 * one encoding; an empty field is all NULs. */
static int
text_get(char *dst, const uint8_t *p, size_t n)
{
	size_t len = 0;

	while (len < n && p[len] != 0)
		len++;
	for (size_t i = len; i < n; i++)
		if (p[i] != 0)
			return SIGNON_E_TEXT;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return SIGNON_OK;
}

static void
text_put(uint8_t *p, const char *s, size_t n)
{
	size_t len = strnlen(s, n);

	memset(p, 0, n);
	memcpy(p, s, len);
}

static int
zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* ---- header ---- */

static void
put_hdr(uint8_t *p, uint8_t type)
{
	memcpy(p, SIGNON_MAGIC, SIGNON_MAGIC_LEN);
	p[4] = SIGNON_VERSION;
	p[5] = type;
	p[6] = 0;
	p[7] = 0;
}

static size_t
type_len(int type)
{
	switch (type) {
	case SIGNON_HELLO: return SIGNON_HELLO_LEN;
	case SIGNON_NONCE_REQ: return SIGNON_NONCE_REQ_LEN;
	case SIGNON_CHALLENGE: return SIGNON_CHALLENGE_LEN;
	case SIGNON_REQUEST: return SIGNON_REQUEST_LEN;
	case SIGNON_BOUND: return SIGNON_BOUND_LEN;
	case SIGNON_RESULT: return SIGNON_RESULT_LEN;
	case SIGNON_RELAY_ERR: return SIGNON_RELAY_ERR_LEN;
	case SIGNON_EVENTS: return SIGNON_EVENTS_LEN;
	case SIGNON_EVENTS_BOUND: return SIGNON_EVENTS_BOUND_LEN;
	case SIGNON_EVENTS_ACK: return SIGNON_EVENTS_ACK_LEN;
	}
	return 0;
}

/* In wire order, but the length first against the largest message: no
 * byte is read beyond len. */
static int
check_hdr(const uint8_t *p, size_t len, int want)
{
	if (len < SIGNON_HDR_LEN || len > SIGNON_MAX_LEN)
		return SIGNON_E_LENGTH;
	if (memcmp(p, SIGNON_MAGIC, SIGNON_MAGIC_LEN) != 0)
		return SIGNON_E_MAGIC;
	if (p[4] != SIGNON_VERSION)
		return SIGNON_E_VERSION;
	if (type_len(p[5]) == 0 || (want != 0 && p[5] != want))
		return SIGNON_E_TYPE;
	if (len != type_len(p[5]))
		return SIGNON_E_LENGTH;
	if (p[6] != 0)
		return SIGNON_E_FLAGS;
	if (p[7] != 0)
		return SIGNON_E_RESERVED;
	return SIGNON_OK;
}

int
signon_peek(const uint8_t *in, size_t len)
{
	int rc;

	if ((rc = check_hdr(in, len, 0)) != SIGNON_OK)
		return rc;
	return in[5];
}

/* ---- HELLO ---- */

int
signon_hello_encode(uint8_t *out, size_t outlen)
{
	if (outlen < SIGNON_HELLO_LEN)
		return SIGNON_E_SPACE;
	put_hdr(out, SIGNON_HELLO);
	memset(out + SIGNON_HDR_LEN, 0, SIGNON_HELLO_LEN - SIGNON_HDR_LEN);
	return SIGNON_HELLO_LEN;
}

int
signon_hello_decode(const uint8_t *in, size_t len)
{
	int rc;

	if ((rc = check_hdr(in, len, SIGNON_HELLO)) != SIGNON_OK)
		return rc;
	if (!zero(in + SIGNON_HDR_LEN, SIGNON_HELLO_LEN - SIGNON_HDR_LEN))
		return SIGNON_E_RESERVED;
	return SIGNON_OK;
}

/* ---- NONCE_REQ ---- */

int
signon_nonce_req_encode(uint8_t *out, size_t outlen,
    const struct signon_nonce_req *m)
{
	if (outlen < SIGNON_NONCE_REQ_LEN)
		return SIGNON_E_SPACE;
	if (!signon_device_valid(m->device))
		return SIGNON_E_TEXT;
	put_hdr(out, SIGNON_NONCE_REQ);
	text_put(out + 8, m->device, SIGNON_DEVICE_LEN);
	memset(out + 72, 0, SIGNON_NONCE_REQ_LEN - 72);
	return SIGNON_NONCE_REQ_LEN;
}

int
signon_nonce_req_decode(const uint8_t *in, size_t len,
    struct signon_nonce_req *m)
{
	int rc;

	if ((rc = check_hdr(in, len, SIGNON_NONCE_REQ)) != SIGNON_OK)
		return rc;
	if ((rc = text_get(m->device, in + 8, SIGNON_DEVICE_LEN)) != SIGNON_OK)
		return rc;
	if (!signon_device_valid(m->device))
		return SIGNON_E_TEXT;
	if (!zero(in + 72, SIGNON_NONCE_REQ_LEN - 72))
		return SIGNON_E_RESERVED;
	return SIGNON_OK;
}

/* ---- CHALLENGE ---- */

static int
presence_ok(uint8_t factor, uint8_t period)
{
	if (factor > SIGNON_PRES_MAX)
		return SIGNON_E_ENUM;
	if (factor == SIGNON_PRES_NONE ? period != 0 :
	    period < SIGNON_PRES_PERIOD_MIN || period > SIGNON_PRES_PERIOD_MAX)
		return SIGNON_E_FIELDS;
	return SIGNON_OK;
}

int
signon_challenge_encode(uint8_t *out, size_t outlen,
    const struct signon_challenge *m)
{
	int rc;

	if (outlen < SIGNON_CHALLENGE_LEN)
		return SIGNON_E_SPACE;
	if ((rc = presence_ok(m->presence, m->presence_s)) != SIGNON_OK)
		return rc;
	put_hdr(out, SIGNON_CHALLENGE);
	memcpy(out + C_NONCE, m->nonce, SIGNON_NONCE_LEN);
	be64_put(out + C_TIME, m->time);
	be32_put(out + C_VALID, m->valid_s);
	out[C_PRES] = m->presence;
	out[C_PRES_S] = m->presence_s;
	out[C_ZERO] = out[C_ZERO + 1] = 0;
	memcpy(out + C_SEAL, m->seal_pub, SIGNON_X25519_LEN);
	return SIGNON_CHALLENGE_LEN;
}

int
signon_challenge_decode(const uint8_t *in, size_t len,
    struct signon_challenge *m)
{
	int rc;

	if ((rc = check_hdr(in, len, SIGNON_CHALLENGE)) != SIGNON_OK)
		return rc;
	if (!zero(in + C_ZERO, 2))
		return SIGNON_E_RESERVED;
	if ((rc = presence_ok(in[C_PRES], in[C_PRES_S])) != SIGNON_OK)
		return rc;
	memset(m, 0, sizeof(*m));
	m->presence = in[C_PRES];
	m->presence_s = in[C_PRES_S];
	memcpy(m->nonce, in + C_NONCE, SIGNON_NONCE_LEN);
	m->time = be64_get(in + C_TIME);
	m->valid_s = be32_get(in + C_VALID);
	memcpy(m->seal_pub, in + C_SEAL, SIGNON_X25519_LEN);
	return SIGNON_OK;
}

/* ---- REQUEST ---- */

/* Which fields the op and factor call for (see the header). */
static int
request_fields_ok(const struct signon_request *m)
{
	int has_card = m->card[0] != '\0', has_staff = m->staff[0] != '\0';
	int has_sig = !zero(m->card_sig, SIGNON_CARDSIG_LEN);

	if (m->op < SIGNON_OP_SIGNON || m->op > SIGNON_OP_MAX || m->factor > SIGNON_F_MAX ||
	    m->match > SIGNON_MATCH_NO)
		return SIGNON_E_ENUM;
	if ((m->factor == SIGNON_F_BIOMETRIC || m->factor == SIGNON_F_BIO_PIN) !=
	    (m->match != 0))
		return SIGNON_E_FIELDS;
	if (has_card && !signon_card_valid(m->card))
		return SIGNON_E_TEXT;
	if (has_staff && !signon_staff_valid(m->staff))
		return SIGNON_E_TEXT;
	if (m->op == SIGNON_OP_SIGNOFF || m->op == SIGNON_OP_LOCK) {
		if (m->factor != SIGNON_F_NONE || has_card || has_sig)
			return SIGNON_E_FIELDS;
		return SIGNON_OK;
	}
	if (m->op == SIGNON_OP_PIN_REFUSED)
		return m->factor == SIGNON_F_CARD_KEY && has_card && !has_staff &&
		    !has_sig ? SIGNON_OK : SIGNON_E_FIELDS;
	switch (m->factor) {
	case SIGNON_F_CARD_PIN:
		return has_card && !has_staff && !has_sig ? SIGNON_OK : SIGNON_E_FIELDS;
	case SIGNON_F_CARD_KEY:
		return has_card && !has_staff && has_sig ? SIGNON_OK : SIGNON_E_FIELDS;
	case SIGNON_F_CODE_PIN:
	case SIGNON_F_BIOMETRIC:
	case SIGNON_F_BIO_PIN:
		return !has_card && has_staff && !has_sig ? SIGNON_OK : SIGNON_E_FIELDS;
	}
	return SIGNON_E_FIELDS;	/* SIGNON_F_NONE for a sign-on */
}

int
signon_request_encode(uint8_t *out, size_t outlen, const struct signon_request *m)
{
	int rc;

	if (outlen < SIGNON_REQUEST_LEN)
		return SIGNON_E_SPACE;
	if (strnlen(m->card, SIGNON_CARD_LEN + 1) > SIGNON_CARD_LEN ||
	    strnlen(m->staff, SIGNON_STAFF_LEN + 1) > SIGNON_STAFF_LEN)
		return SIGNON_E_TEXT;
	if ((rc = request_fields_ok(m)) != SIGNON_OK)
		return rc;
	put_hdr(out, SIGNON_REQUEST);
	out[8] = m->op;
	out[9] = m->factor;
	out[10] = m->match;
	memset(out + 11, 0, 5);
	memcpy(out + SIGNON_REQ_OFF_NONCE, m->nonce, SIGNON_NONCE_LEN);
	text_put(out + SIGNON_REQ_OFF_CARD, m->card, SIGNON_CARD_LEN);
	text_put(out + SIGNON_REQ_OFF_STAFF, m->staff, SIGNON_STAFF_LEN);
	memcpy(out + SIGNON_REQ_OFF_CARDSIG, m->card_sig, SIGNON_CARDSIG_LEN);
	memcpy(out + SIGNON_REQ_OFF_EPH, m->eph_pub, SIGNON_X25519_LEN);
	memcpy(out + SIGNON_REQ_OFF_SEALED, m->sealed, SIGNON_SECRET_LEN);
	memcpy(out + SIGNON_REQ_OFF_TAG, m->tag, SIGNON_TAG_LEN);
	return SIGNON_REQUEST_LEN;
}

int
signon_request_decode(const uint8_t *in, size_t len, struct signon_request *m)
{
	int rc;

	if ((rc = check_hdr(in, len, SIGNON_REQUEST)) != SIGNON_OK)
		return rc;
	m->op = in[8];
	m->factor = in[9];
	m->match = in[10];
	if (m->op < SIGNON_OP_SIGNON || m->op > SIGNON_OP_MAX || m->factor > SIGNON_F_MAX ||
	    m->match > SIGNON_MATCH_NO)
		return SIGNON_E_ENUM;
	if (!zero(in + 11, 5))
		return SIGNON_E_RESERVED;
	memcpy(m->nonce, in + SIGNON_REQ_OFF_NONCE, SIGNON_NONCE_LEN);
	if ((rc = text_get(m->card, in + SIGNON_REQ_OFF_CARD, SIGNON_CARD_LEN)) != SIGNON_OK ||
	    (rc = text_get(m->staff, in + SIGNON_REQ_OFF_STAFF, SIGNON_STAFF_LEN)) != SIGNON_OK)
		return rc;
	memcpy(m->card_sig, in + SIGNON_REQ_OFF_CARDSIG, SIGNON_CARDSIG_LEN);
	memcpy(m->eph_pub, in + SIGNON_REQ_OFF_EPH, SIGNON_X25519_LEN);
	memcpy(m->sealed, in + SIGNON_REQ_OFF_SEALED, SIGNON_SECRET_LEN);
	memcpy(m->tag, in + SIGNON_REQ_OFF_TAG, SIGNON_TAG_LEN);
	return request_fields_ok(m);
}

/* ---- BOUND ---- */

int
signon_bound_encode(uint8_t *out, size_t outlen, const struct signon_bound *m)
{
	struct signon_request req;
	int rc;

	if (outlen < SIGNON_BOUND_LEN)
		return SIGNON_E_SPACE;
	if ((rc = signon_request_decode(m->req_raw, SIGNON_REQUEST_LEN, &req)) != SIGNON_OK)
		return rc;
	if (!signon_device_valid(m->device) || !signon_uplink_valid(m->uplink))
		return SIGNON_E_TEXT;
	if (m->mode > SIGNON_MODE_MAX)
		return SIGNON_E_ENUM;
	put_hdr(out, SIGNON_BOUND);
	memcpy(out + B_REQ, m->req_raw, SIGNON_REQUEST_LEN);
	text_put(out + B_DEVICE, m->device, SIGNON_DEVICE_LEN);
	out[B_MODE] = m->mode;
	memset(out + B_MODE + 1, 0, 7);
	text_put(out + B_UPLINK, m->uplink, SIGNON_UPLINK_LEN);
	be64_put(out + B_TIME, m->time);
	memcpy(out + SIGNON_BOUND_OFF_SIG, m->sig, SIGNON_SIG_LEN);
	return SIGNON_BOUND_LEN;
}

int
signon_bound_decode(const uint8_t *in, size_t len, struct signon_bound *m)
{
	int rc;

	if ((rc = check_hdr(in, len, SIGNON_BOUND)) != SIGNON_OK)
		return rc;
	memcpy(m->req_raw, in + B_REQ, SIGNON_REQUEST_LEN);
	if ((rc = signon_request_decode(m->req_raw, SIGNON_REQUEST_LEN, &m->req)) != SIGNON_OK)
		return rc;
	if ((rc = text_get(m->device, in + B_DEVICE, SIGNON_DEVICE_LEN)) != SIGNON_OK)
		return rc;
	if (!signon_device_valid(m->device))
		return SIGNON_E_TEXT;
	m->mode = in[B_MODE];
	if (m->mode > SIGNON_MODE_MAX)
		return SIGNON_E_ENUM;
	if (!zero(in + B_MODE + 1, 7))
		return SIGNON_E_RESERVED;
	if ((rc = text_get(m->uplink, in + B_UPLINK, SIGNON_UPLINK_LEN)) != SIGNON_OK)
		return rc;
	if (!signon_uplink_valid(m->uplink))
		return SIGNON_E_TEXT;
	m->time = be64_get(in + B_TIME);
	memcpy(m->sig, in + SIGNON_BOUND_OFF_SIG, SIGNON_SIG_LEN);
	return SIGNON_OK;
}

/* ---- RESULT ---- */

int
signon_result_encode(uint8_t *out, size_t outlen, const struct signon_result_msg *m)
{
	if (outlen < SIGNON_RESULT_LEN)
		return SIGNON_E_SPACE;
	if (m->op < SIGNON_OP_SIGNON || m->op > SIGNON_OP_MAX ||
	    m->factor > SIGNON_F_MAX || m->result > SIGNON_R_MAX)
		return SIGNON_E_ENUM;
	if ((m->staff[0] != '\0' && !signon_staff_valid(m->staff)) ||
	    (m->device[0] != '\0' && !signon_device_valid(m->device)))
		return SIGNON_E_TEXT;
	put_hdr(out, SIGNON_RESULT);
	memcpy(out + R_NONCE, m->nonce, SIGNON_NONCE_LEN);
	out[R_OP] = m->op;
	out[R_OP + 1] = m->factor;
	out[R_OP + 2] = m->result;
	out[R_OP + 3] = m->tries_left;
	be32_put(out + R_LIFE, m->lifetime_s);
	text_put(out + R_STAFF, m->staff, SIGNON_STAFF_LEN);
	text_put(out + R_DEVICE, m->device, SIGNON_DEVICE_LEN);
	be64_put(out + R_TIME, m->time);
	memcpy(out + SIGNON_RESULT_OFF_SIG, m->sig, SIGNON_SIG_LEN);
	return SIGNON_RESULT_LEN;
}

int
signon_result_decode(const uint8_t *in, size_t len, struct signon_result_msg *m)
{
	int rc;

	if ((rc = check_hdr(in, len, SIGNON_RESULT)) != SIGNON_OK)
		return rc;
	memcpy(m->nonce, in + R_NONCE, SIGNON_NONCE_LEN);
	m->op = in[R_OP];
	m->factor = in[R_OP + 1];
	m->result = in[R_OP + 2];
	m->tries_left = in[R_OP + 3];
	if (m->op < SIGNON_OP_SIGNON || m->op > SIGNON_OP_MAX ||
	    m->factor > SIGNON_F_MAX || m->result > SIGNON_R_MAX)
		return SIGNON_E_ENUM;
	m->lifetime_s = be32_get(in + R_LIFE);
	if ((rc = text_get(m->staff, in + R_STAFF, SIGNON_STAFF_LEN)) != SIGNON_OK ||
	    (rc = text_get(m->device, in + R_DEVICE, SIGNON_DEVICE_LEN)) != SIGNON_OK)
		return rc;
	if ((m->staff[0] != '\0' && !signon_staff_valid(m->staff)) ||
	    (m->device[0] != '\0' && !signon_device_valid(m->device)))
		return SIGNON_E_TEXT;
	m->time = be64_get(in + R_TIME);
	memcpy(m->sig, in + SIGNON_RESULT_OFF_SIG, SIGNON_SIG_LEN);
	return SIGNON_OK;
}

/* ---- RELAY_ERR ---- */

int
signon_relay_err_encode(uint8_t *out, size_t outlen,
    const struct signon_relay_err_msg *m)
{
	if (outlen < SIGNON_RELAY_ERR_LEN)
		return SIGNON_E_SPACE;
	if (m->code < 1 || m->code > SIGNON_RE_MAX)
		return SIGNON_E_ENUM;
	put_hdr(out, SIGNON_RELAY_ERR);
	memcpy(out + 8, m->nonce, SIGNON_NONCE_LEN);
	out[40] = m->code;
	memset(out + 41, 0, 7);
	return SIGNON_RELAY_ERR_LEN;
}

int
signon_relay_err_decode(const uint8_t *in, size_t len,
    struct signon_relay_err_msg *m)
{
	int rc;

	if ((rc = check_hdr(in, len, SIGNON_RELAY_ERR)) != SIGNON_OK)
		return rc;
	memcpy(m->nonce, in + 8, SIGNON_NONCE_LEN);
	m->code = in[40];
	if (m->code < 1 || m->code > SIGNON_RE_MAX)
		return SIGNON_E_ENUM;
	if (!zero(in + 41, 7))
		return SIGNON_E_RESERVED;
	return SIGNON_OK;
}

/* ---- EVENTS ---- */

static int
event_ok(const struct signon_event *e)
{
	if (e->kind < 1 || e->kind > SIGNON_EV_KIND_MAX || e->reason > SIGNON_EVR_MAX)
		return SIGNON_E_ENUM;
	if (e->staff[0] != '\0' && !signon_staff_valid(e->staff))
		return SIGNON_E_TEXT;
	return SIGNON_OK;
}

static int
events_ok(const struct signon_events *m)
{
	int rc;

	if (m->count < 1 || m->count > SIGNON_EV_MAX || m->first_seq == 0 ||
	    m->first_seq > UINT64_MAX - SIGNON_EV_MAX || m->outbox == 0)
		return SIGNON_E_FIELDS;
	for (int i = 0; i < m->count; i++)
		if ((rc = event_ok(&m->ev[i])) != SIGNON_OK)
			return rc;
	return SIGNON_OK;
}

int
signon_events_encode(uint8_t *out, size_t outlen, const struct signon_events *m)
{
	int rc;

	if (outlen < SIGNON_EVENTS_LEN)
		return SIGNON_E_SPACE;
	if ((rc = events_ok(m)) != SIGNON_OK)
		return rc;
	put_hdr(out, SIGNON_EVENTS);
	memset(out + SIGNON_HDR_LEN, 0, SIGNON_EVENTS_LEN - SIGNON_HDR_LEN);
	be64_put(out + EV_FIRST, m->first_seq);
	out[EV_COUNT] = m->count;
	be64_put(out + EV_OUTBOX, m->outbox);
	for (int i = 0; i < m->count; i++) {
		uint8_t *p = out + EV_LIST + (size_t)i * SIGNON_EV_LEN;

		be64_put(p, m->ev[i].time);
		p[8] = m->ev[i].kind;
		p[9] = m->ev[i].reason;
		text_put(p + 16, m->ev[i].staff, SIGNON_STAFF_LEN);
	}
	return SIGNON_EVENTS_LEN;
}

int
signon_events_decode(const uint8_t *in, size_t len, struct signon_events *m)
{
	int rc;

	if ((rc = check_hdr(in, len, SIGNON_EVENTS)) != SIGNON_OK)
		return rc;
	memset(m, 0, sizeof(*m));
	m->first_seq = be64_get(in + EV_FIRST);
	m->count = in[EV_COUNT];
	m->outbox = be64_get(in + EV_OUTBOX);
	if (!zero(in + EV_COUNT + 1, 7))
		return SIGNON_E_RESERVED;
	if (m->count < 1 || m->count > SIGNON_EV_MAX || m->first_seq == 0 ||
	    m->first_seq > UINT64_MAX - SIGNON_EV_MAX || m->outbox == 0)
		return SIGNON_E_FIELDS;
	for (int i = 0; i < SIGNON_EV_MAX; i++) {
		const uint8_t *p = in + EV_LIST + (size_t)i * SIGNON_EV_LEN;

		if (i >= m->count) {
			if (!zero(p, SIGNON_EV_LEN))
				return SIGNON_E_RESERVED;
			continue;
		}
		m->ev[i].time = be64_get(p);
		m->ev[i].kind = p[8];
		m->ev[i].reason = p[9];
		if (!zero(p + 10, 6))
			return SIGNON_E_RESERVED;
		if ((rc = text_get(m->ev[i].staff, p + 16, SIGNON_STAFF_LEN)) != SIGNON_OK)
			return rc;
		if ((rc = event_ok(&m->ev[i])) != SIGNON_OK)
			return rc;
	}
	return SIGNON_OK;
}

/* ---- EVENTS_BOUND ---- */

int
signon_events_bound_encode(uint8_t *out, size_t outlen,
    const struct signon_events_bound *m)
{
	struct signon_events ev;
	int rc;

	if (outlen < SIGNON_EVENTS_BOUND_LEN)
		return SIGNON_E_SPACE;
	if ((rc = signon_events_decode(m->ev_raw, SIGNON_EVENTS_LEN, &ev)) != SIGNON_OK)
		return rc;
	if (!signon_device_valid(m->device) || !signon_uplink_valid(m->uplink))
		return SIGNON_E_TEXT;
	if (m->mode > SIGNON_MODE_MAX)
		return SIGNON_E_ENUM;
	put_hdr(out, SIGNON_EVENTS_BOUND);
	memcpy(out + EVB_EV, m->ev_raw, SIGNON_EVENTS_LEN);
	text_put(out + EVB_DEVICE, m->device, SIGNON_DEVICE_LEN);
	out[EVB_MODE] = m->mode;
	memset(out + EVB_MODE + 1, 0, 7);
	text_put(out + EVB_UPLINK, m->uplink, SIGNON_UPLINK_LEN);
	be64_put(out + EVB_TIME, m->time);
	memcpy(out + SIGNON_EVB_OFF_SIG, m->sig, SIGNON_SIG_LEN);
	return SIGNON_EVENTS_BOUND_LEN;
}

int
signon_events_bound_decode(const uint8_t *in, size_t len,
    struct signon_events_bound *m)
{
	int rc;

	if ((rc = check_hdr(in, len, SIGNON_EVENTS_BOUND)) != SIGNON_OK)
		return rc;
	memcpy(m->ev_raw, in + EVB_EV, SIGNON_EVENTS_LEN);
	if ((rc = signon_events_decode(m->ev_raw, SIGNON_EVENTS_LEN, &m->ev)) != SIGNON_OK)
		return rc;
	if ((rc = text_get(m->device, in + EVB_DEVICE, SIGNON_DEVICE_LEN)) != SIGNON_OK)
		return rc;
	if (!signon_device_valid(m->device))
		return SIGNON_E_TEXT;
	m->mode = in[EVB_MODE];
	if (m->mode > SIGNON_MODE_MAX)
		return SIGNON_E_ENUM;
	if (!zero(in + EVB_MODE + 1, 7))
		return SIGNON_E_RESERVED;
	if ((rc = text_get(m->uplink, in + EVB_UPLINK, SIGNON_UPLINK_LEN)) != SIGNON_OK)
		return rc;
	if (!signon_uplink_valid(m->uplink))
		return SIGNON_E_TEXT;
	m->time = be64_get(in + EVB_TIME);
	memcpy(m->sig, in + SIGNON_EVB_OFF_SIG, SIGNON_SIG_LEN);
	return SIGNON_OK;
}

/* ---- EVENTS_ACK ---- */

static int
ack_ok(const struct signon_events_ack *m)
{
	if (m->result != SIGNON_R_OK && m->result != SIGNON_R_DEVICE &&
	    m->result != SIGNON_R_MALFORMED && m->result != SIGNON_R_INTERNAL)
		return SIGNON_E_ENUM;
	if (m->count < 1 || m->count > SIGNON_EV_MAX || m->first_seq == 0 ||
	    m->first_seq > UINT64_MAX - SIGNON_EV_MAX || m->outbox == 0)
		return SIGNON_E_FIELDS;
	if (!signon_device_valid(m->device))
		return SIGNON_E_TEXT;
	return SIGNON_OK;
}

int
signon_events_ack_encode(uint8_t *out, size_t outlen,
    const struct signon_events_ack *m)
{
	int rc;

	if (outlen < SIGNON_EVENTS_ACK_LEN)
		return SIGNON_E_SPACE;
	if ((rc = ack_ok(m)) != SIGNON_OK)
		return rc;
	put_hdr(out, SIGNON_EVENTS_ACK);
	text_put(out + EVA_DEVICE, m->device, SIGNON_DEVICE_LEN);
	be64_put(out + EVA_FIRST, m->first_seq);
	out[EVA_COUNT] = m->count;
	out[EVA_COUNT + 1] = m->result;
	memset(out + EVA_COUNT + 2, 0, 6);
	be64_put(out + EVA_STORED, m->stored_through);
	be64_put(out + EVA_TIME, m->time);
	be64_put(out + EVA_OUTBOX, m->outbox);
	memcpy(out + SIGNON_EVA_OFF_SIG, m->sig, SIGNON_SIG_LEN);
	return SIGNON_EVENTS_ACK_LEN;
}

int
signon_events_ack_decode(const uint8_t *in, size_t len, struct signon_events_ack *m)
{
	int rc;

	if ((rc = check_hdr(in, len, SIGNON_EVENTS_ACK)) != SIGNON_OK)
		return rc;
	memset(m, 0, sizeof(*m));
	if ((rc = text_get(m->device, in + EVA_DEVICE, SIGNON_DEVICE_LEN)) != SIGNON_OK)
		return rc;
	m->first_seq = be64_get(in + EVA_FIRST);
	m->count = in[EVA_COUNT];
	m->result = in[EVA_COUNT + 1];
	if (!zero(in + EVA_COUNT + 2, 6))
		return SIGNON_E_RESERVED;
	m->stored_through = be64_get(in + EVA_STORED);
	m->time = be64_get(in + EVA_TIME);
	m->outbox = be64_get(in + EVA_OUTBOX);
	memcpy(m->sig, in + SIGNON_EVA_OFF_SIG, SIGNON_SIG_LEN);
	return ack_ok(m);
}
