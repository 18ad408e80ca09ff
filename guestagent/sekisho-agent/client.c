#include "guestagent/sekisho-agent/client.h"

#include <stdio.h>
#include <string.h>

#include "lib/proto/signon_crypto.h"
#include "lib/util.h"

static void
relay_outcome(const struct signon_relay_err_msg *e, struct outcome *o)
{
	o->kind = O_RELAY;
	o->relay_err = e->code;
}

int
client_parse_challenge(const uint8_t *in, size_t len,
    struct signon_challenge *ch, struct outcome *o)
{
	struct signon_relay_err_msg e;

	switch (signon_peek(in, len)) {
	case SIGNON_CHALLENGE:
		return signon_challenge_decode(in, len, ch) == SIGNON_OK ? 0 : -1;
	case SIGNON_RELAY_ERR:
		if (signon_relay_err_decode(in, len, &e) != SIGNON_OK)
			return -1;
		relay_outcome(&e, o);
		return 1;
	default:
		return -1;
	}
}

static int
zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n-- > 0)
		acc |= *p++;
	return acc == 0;
}

int
client_parse_result(const uint8_t *in, size_t len,
    const uint8_t nonce[SIGNON_NONCE_LEN], int op, int factor,
    struct outcome *o)
{
	struct signon_result_msg r;
	struct signon_relay_err_msg e;

	switch (signon_peek(in, len)) {
	case SIGNON_RESULT:
		if (signon_result_decode(in, len, &r) != SIGNON_OK ||
		    memcmp(r.nonce, nonce, SIGNON_NONCE_LEN) != 0 ||
		    r.op != op || r.factor != factor)
			return -1;
		o->kind = r.result == SIGNON_R_OK ? O_OK : O_VERIFIER;
		o->op = op;
		o->factor = factor;
		o->result = r.result;
		o->tries = r.tries_left;
		o->lifetime_s = r.lifetime_s;
		sk_strlcpy(o->staff, r.staff, sizeof(o->staff));
		return 0;
	case SIGNON_RELAY_ERR:
		if (signon_relay_err_decode(in, len, &e) != SIGNON_OK ||
		    (!zero(e.nonce, SIGNON_NONCE_LEN) &&
		    memcmp(e.nonce, nonce, SIGNON_NONCE_LEN) != 0))
			return -1;
		relay_outcome(&e, o);
		return 0;
	default:
		return -1;
	}
}

int
client_parse_ack(const uint8_t *in, size_t len, uint64_t outbox, uint64_t first_seq,
    uint8_t count, struct signon_events_ack *ack, struct outcome *o)
{
	struct signon_relay_err_msg e;

	switch (signon_peek(in, len)) {
	case SIGNON_EVENTS_ACK:
		if (signon_events_ack_decode(in, len, ack) != SIGNON_OK ||
		    ack->outbox != outbox || ack->first_seq != first_seq ||
		    ack->count != count)
			return -1;
		return 0;
	case SIGNON_RELAY_ERR:
		if (signon_relay_err_decode(in, len, &e) != SIGNON_OK ||
		    !zero(e.nonce, SIGNON_NONCE_LEN))
			return -1;
		relay_outcome(&e, o);
		return 1;
	default:
		return -1;
	}
}

static void
link_outcome(int e, struct outcome *o)
{
	o->kind = O_UNREACHABLE;
	if (e == LINK_E_ADDR) {
		o->kind = O_INTERNAL;
		snprintf(o->detail, sizeof(o->detail), "the netvm's address is not a numeric address");
	}
}

int
client_hello(struct link *l, const struct client_cfg *cfg,
    struct signon_challenge *ch, struct outcome *o)
{
	uint8_t msg[SIGNON_HELLO_LEN], ans[SIGNON_MAX_LEN];
	size_t alen;
	int e, t;

	if (signon_hello_encode(msg, sizeof(msg)) != SIGNON_HELLO_LEN) {
		o->kind = O_INTERNAL;
		snprintf(o->detail, sizeof(o->detail), "cannot encode HELLO");
		return 1;
	}
	/* A stray or malformed datagram is ignored, as a lost one is. */
	for (t = 0; t < cfg->hello_tries; t++) {
		e = link_exchange(l, msg, sizeof(msg), ans, sizeof(ans), &alen,
		    cfg->hello_ms, 1);
		if (e == LINK_E_TIMEOUT)
			continue;
		if (e != LINK_OK) {
			link_outcome(e, o);
			return 1;
		}
		e = client_parse_challenge(ans, alen, ch, o);
		if (e >= 0)
			return e;
	}
	o->kind = O_UNREACHABLE;
	return 1;
}

void
client_request(struct link *l, const struct client_cfg *cfg,
    const struct signon_challenge *ch, struct signon_request *req,
    const char *pin, size_t pin_len, const char *code, size_t code_len,
    struct outcome *o)
{
	uint8_t msg[SIGNON_REQUEST_LEN], ans[SIGNON_MAX_LEN];
	size_t alen;
	int n, e;

	memcpy(req->nonce, ch->nonce, SIGNON_NONCE_LEN);
	n = signon_request_seal(msg, sizeof(msg), req, ch->seal_pub, pin, pin_len,
	    code, code_len);
	if (n != SIGNON_REQUEST_LEN) {
		o->kind = O_INTERNAL;
		snprintf(o->detail, sizeof(o->detail), "cannot build the request: %s",
		    signon_strerror(n));
		return;
	}
	e = link_exchange(l, msg, sizeof(msg), ans, sizeof(ans), &alen,
	    cfg->request_ms, 1);
	wipe(msg, sizeof(msg));
	if (e != LINK_OK) {
		link_outcome(e, o);
		return;
	}
	if (client_parse_result(ans, alen, req->nonce, req->op, req->factor, o) < 0) {
		o->kind = O_INTERNAL;
		snprintf(o->detail, sizeof(o->detail), "the netvm's answer was malformed");
		return;
	}
	/* the policy's presence came with the challenge (the relay's) */
	o->presence = ch->presence;
	o->presence_s = ch->presence_s;
}
