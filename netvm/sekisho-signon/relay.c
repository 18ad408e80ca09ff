#include "netvm/sekisho-signon/relay.h"

#include <string.h>

#include "lib/encode.h"
#include "lib/util.h"

void
relay_init(struct relay *r, const char *device, const struct signon_signer *key,
    const uint8_t sign[SIGNON_ED25519_LEN], const uint8_t seal[SIGNON_X25519_LEN])
{
	memset(r, 0, sizeof(*r));
	sk_strlcpy(r->device, device, sizeof(r->device));
	r->key = key;
	memcpy(r->verifier_sign, sign, SIGNON_ED25519_LEN);
	memcpy(r->verifier_seal, seal, SIGNON_X25519_LEN);
}

void
relay_set_next(struct relay *r, const uint8_t *sign_next, const uint8_t *seal_next)
{
	r->has_sign_next = sign_next != NULL;
	r->has_seal_next = seal_next != NULL;
	if (sign_next != NULL)
		memcpy(r->verifier_sign_next, sign_next, SIGNON_ED25519_LEN);
	if (seal_next != NULL)
		memcpy(r->verifier_seal_next, seal_next, SIGNON_X25519_LEN);
}

int
relay_set_presence(struct relay *r, const char *spec)
{
	static const char *const names[] = { [SIGNON_PRES_CARD] = "card",
	    [SIGNON_PRES_FACE] = "face" };
	uint64_t s;

	for (uint8_t f = SIGNON_PRES_CARD; f <= SIGNON_PRES_MAX; f++) {
		size_t n = strlen(names[f]);

		if (strncmp(spec, names[f], n) != 0 || spec[n] != ':')
			continue;
		if (parse_u64(spec + n + 1, SIGNON_PRES_PERIOD_MIN,
		    SIGNON_PRES_PERIOD_MAX, &s) != 0)
			return -1;
		r->presence = f;
		r->presence_s = (uint8_t)s;
		return 0;
	}
	return -1;
}

/* A RESULT signed by the current or the next verifier key. */
static int
result_verifies(const struct relay *r, const uint8_t *in)
{
	return signon_result_verify(in, r->verifier_sign) == SIGNON_OK ||
	    (r->has_sign_next && signon_result_verify(in, r->verifier_sign_next) ==
	    SIGNON_OK);
}

/* An EVENTS_ACK signed by the current or the next verifier key. */
static int
ack_verifies(const struct relay *r, const uint8_t *in)
{
	return signon_events_ack_verify(in, r->verifier_sign) == SIGNON_OK ||
	    (r->has_sign_next && signon_events_ack_verify(in, r->verifier_sign_next) ==
	    SIGNON_OK);
}

static void
relay_err(struct relay_out *out, const struct relay_peer *to,
    const uint8_t nonce[SIGNON_NONCE_LEN], int code)
{
	struct signon_relay_err_msg m;

	memset(&m, 0, sizeof(m));
	if (nonce != NULL)
		memcpy(m.nonce, nonce, SIGNON_NONCE_LEN);
	m.code = (uint8_t)code;
	out->dest = RELAY_TO_AGENT;
	out->to = *to;
	out->len = (size_t)signon_relay_err_encode(out->buf, sizeof(out->buf), &m);
}

static int
same_peer(const struct relay_peer *a, const struct relay_peer *b)
{
	return a->len == b->len && a->len <= sizeof(a->addr) &&
	    memcmp(a->addr, b->addr, a->len) == 0;
}

/* Busy: another agent's exchange of the same kind is in flight and not
 * yet timed out. */
static int
busy(const struct relay_xchg *x, const struct relay_peer *from,
    const struct relay_ctx *c)
{
	return x->state != RELAY_IDLE && c->now_ms < x->deadline_ms &&
	    !same_peer(&x->agent, from);
}

/* EVENTS: bound and signed as a REQUEST is, sent on; no nonce. */
static void
relay_events(struct relay *r, const struct relay_peer *from, const uint8_t *in,
    size_t len, const struct relay_ctx *c, struct relay_out *out)
{
	static struct signon_events_bound eb;
	struct relay_xchg *x = &r->x[RELAY_SLOT_EVENTS];

	memset(&eb, 0, sizeof(eb));
	if (signon_events_decode(in, len, &eb.ev) != SIGNON_OK) {
		r->count[RELAY_C_BAD_AGENT]++;
		return;
	}
	if (busy(x, from, c)) {
		r->count[RELAY_C_BUSY]++;
		return relay_err(out, from, NULL, SIGNON_RE_BUSY);
	}
	if (c->blocked)
		return relay_err(out, from, NULL, SIGNON_RE_BLOCKED);
	memcpy(eb.ev_raw, in, SIGNON_EVENTS_LEN);
	sk_strlcpy(eb.device, r->device, sizeof(eb.device));
	eb.mode = c->mode <= SIGNON_MODE_MAX ? c->mode : SIGNON_MODE_UNKNOWN;
	if (signon_uplink_valid(c->uplink))
		sk_strlcpy(eb.uplink, c->uplink, sizeof(eb.uplink));
	eb.time = c->wall_s;
	if (signon_events_bound_sign(out->buf, sizeof(out->buf), &eb, r->key) !=
	    SIGNON_EVENTS_BOUND_LEN) {
		out->len = 0;
		return;
	}
	x->state = RELAY_WAIT_ACK;
	x->agent = *from;
	memset(x->nonce, 0, SIGNON_NONCE_LEN);
	x->ev_first = eb.ev.first_seq;
	x->ev_count = eb.ev.count;
	x->ev_outbox = eb.ev.outbox;
	x->deadline_ms = c->now_ms + RELAY_TIMEOUT_MS;
	r->count[RELAY_C_FORWARDED]++;
	out->dest = RELAY_TO_VERIFIER;
	out->len = SIGNON_EVENTS_BOUND_LEN;
}

void
relay_from_agent(struct relay *r, const struct relay_peer *from, const uint8_t *in,
    size_t len, const struct relay_ctx *c, struct relay_out *out)
{
	static struct signon_bound bd;
	struct relay_xchg *x = &r->x[RELAY_SLOT_USER];
	struct signon_nonce_req nr;
	int t = signon_peek(in, len);

	out->dest = RELAY_TO_NONE;
	out->len = 0;
	if (t == SIGNON_HELLO && signon_hello_decode(in, len) == SIGNON_OK) {
		if (busy(x, from, c)) {
			r->count[RELAY_C_BUSY]++;
			return relay_err(out, from, NULL, SIGNON_RE_BUSY);
		}
		if (c->blocked)
			return relay_err(out, from, NULL, SIGNON_RE_BLOCKED);
		sk_strlcpy(nr.device, r->device, sizeof(nr.device));
		x->state = RELAY_WAIT_CHALLENGE;
		x->agent = *from;
		x->deadline_ms = c->now_ms + RELAY_TIMEOUT_MS;
		out->dest = RELAY_TO_VERIFIER;
		out->len = (size_t)signon_nonce_req_encode(out->buf, sizeof(out->buf), &nr);
		return;
	}
	if (t == SIGNON_EVENTS)
		return relay_events(r, from, in, len, c, out);
	if (t != SIGNON_REQUEST) {
		r->count[RELAY_C_BAD_AGENT]++;
		return;
	}
	memset(&bd, 0, sizeof(bd));
	if (signon_request_decode(in, len, &bd.req) != SIGNON_OK) {
		r->count[RELAY_C_BAD_AGENT]++;
		return;
	}
	if (busy(x, from, c)) {
		r->count[RELAY_C_BUSY]++;
		return relay_err(out, from, bd.req.nonce, SIGNON_RE_BUSY);
	}
	if (c->blocked)
		return relay_err(out, from, bd.req.nonce, SIGNON_RE_BLOCKED);
	memcpy(bd.req_raw, in, SIGNON_REQUEST_LEN);
	sk_strlcpy(bd.device, r->device, sizeof(bd.device));
	bd.mode = c->mode <= SIGNON_MODE_MAX ? c->mode : SIGNON_MODE_UNKNOWN;
	if (signon_uplink_valid(c->uplink))
		sk_strlcpy(bd.uplink, c->uplink, sizeof(bd.uplink));
	bd.time = c->wall_s;
	if (signon_bound_sign(out->buf, sizeof(out->buf), &bd, r->key) != SIGNON_BOUND_LEN) {
		out->len = 0;
		return;
	}
	x->state = RELAY_WAIT_RESULT;
	x->agent = *from;
	memcpy(x->nonce, bd.req.nonce, SIGNON_NONCE_LEN);
	x->deadline_ms = c->now_ms + RELAY_TIMEOUT_MS;
	r->count[RELAY_C_FORWARDED]++;
	out->dest = RELAY_TO_VERIFIER;
	out->len = SIGNON_BOUND_LEN;
}

void
relay_from_verifier(struct relay *r, const uint8_t *in, size_t len,
    const struct relay_ctx *c, struct relay_out *out)
{
	struct signon_challenge ch;
	struct signon_result_msg res;
	struct signon_events_ack ack;
	struct relay_xchg *x = &r->x[RELAY_SLOT_USER], *e = &r->x[RELAY_SLOT_EVENTS];
	int t = signon_peek(in, len);

	(void)c;
	out->dest = RELAY_TO_NONE;
	out->len = 0;
	if (t == SIGNON_CHALLENGE && x->state == RELAY_WAIT_CHALLENGE &&
	    signon_challenge_decode(in, len, &ch) == SIGNON_OK) {
		/* the seal key the agent uses is a pinned one, whatever came:
		 * the next one when the verifier names it, else the current */
		if (!r->has_seal_next || !ct_equal(ch.seal_pub, r->verifier_seal_next,
		    SIGNON_X25519_LEN))
			memcpy(ch.seal_pub, r->verifier_seal, SIGNON_X25519_LEN);
		/* presence is the policy's, as the seal key: never the network's */
		ch.presence = r->presence;
		ch.presence_s = r->presence_s;
		out->dest = RELAY_TO_AGENT;
		out->to = x->agent;
		out->len = (size_t)signon_challenge_encode(out->buf, sizeof(out->buf), &ch);
		x->state = RELAY_IDLE;
		return;
	}
	if (t == SIGNON_RESULT && x->state == RELAY_WAIT_RESULT &&
	    signon_result_decode(in, len, &res) == SIGNON_OK &&
	    ct_equal(res.nonce, x->nonce, SIGNON_NONCE_LEN) &&
	    strcmp(res.device, r->device) == 0 &&
	    result_verifies(r, in)) {
		memcpy(out->buf, in, SIGNON_RESULT_LEN);
		out->dest = RELAY_TO_AGENT;
		out->to = x->agent;
		out->len = SIGNON_RESULT_LEN;
		x->state = RELAY_IDLE;
		r->count[RELAY_C_RESULTS]++;
		return;
	}
	if (t == SIGNON_EVENTS_ACK && e->state == RELAY_WAIT_ACK &&
	    signon_events_ack_decode(in, len, &ack) == SIGNON_OK &&
	    ack.first_seq == e->ev_first && ack.count == e->ev_count &&
	    ack.outbox == e->ev_outbox &&
	    strcmp(ack.device, r->device) == 0 &&
	    ack_verifies(r, in)) {
		memcpy(out->buf, in, SIGNON_EVENTS_ACK_LEN);
		out->dest = RELAY_TO_AGENT;
		out->to = e->agent;
		out->len = SIGNON_EVENTS_ACK_LEN;
		e->state = RELAY_IDLE;
		r->count[RELAY_C_RESULTS]++;
		return;
	}
	r->count[RELAY_C_BAD_ANSWER]++;
}

void
relay_tick(struct relay *r, const struct relay_ctx *c, struct relay_out *out)
{
	out->dest = RELAY_TO_NONE;
	out->len = 0;
	for (int i = 0; i < RELAY_SLOTS; i++) {
		struct relay_xchg *x = &r->x[i];

		if (x->state == RELAY_IDLE || c->now_ms < x->deadline_ms)
			continue;
		r->count[RELAY_C_TIMEOUT]++;
		relay_err(out, &x->agent, x->state == RELAY_WAIT_RESULT ? x->nonce : NULL,
		    SIGNON_RE_UNREACHABLE);
		x->state = RELAY_IDLE;
		return;
	}
}

int
relay_timeout(const struct relay *r, uint64_t now_ms)
{
	int t = -1;

	for (int i = 0; i < RELAY_SLOTS; i++) {
		const struct relay_xchg *x = &r->x[i];
		int left;

		if (x->state == RELAY_IDLE)
			continue;
		left = x->deadline_ms > now_ms ? (int)(x->deadline_ms - now_ms) : 0;
		if (t < 0 || left < t)
			t = left;
	}
	return t;
}
