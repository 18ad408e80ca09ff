/* The netvm's sign-on relay (netvm/sekisho-signon/relay.h) as a pure
 * engine: HELLO -> NONCE_REQ for this laptop, the challenge passed on
 * with the pinned seal key, REQUEST -> BOUND signed by this laptop, only
 * a verifying RESULT for the nonce in flight passed back, busy, blocked,
 * timeout; a sign-on served while an outbox batch is in flight (two
 * slots, one of each kind), each answer to its own agent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/evp.h>

#include "netvm/sekisho-signon/relay.h"

struct fx {
	struct signon_signer	 dev, ver, evil;
	uint8_t			 seal[32];
	struct relay		 r;
	struct relay_peer	 agent, agent2;
	struct relay_ctx	 c;
};

static int
setup(void **state)
{
	static struct fx f;
	uint8_t seed[32], pub[32];

	memset(&f, 0, sizeof(f));
	signon_ed25519_keygen(seed, pub);
	signon_signer_init(&f.dev, seed);
	signon_ed25519_keygen(seed, pub);
	signon_signer_init(&f.ver, seed);
	signon_ed25519_keygen(seed, pub);
	signon_signer_init(&f.evil, seed);
	memset(f.seal, 0x5e, sizeof(f.seal));
	relay_init(&f.r, "pc-0001", &f.dev, f.ver.pub, f.seal);
	f.agent.len = 4;
	memcpy(f.agent.addr, "AAAA", 4);
	f.agent2.len = 4;
	memcpy(f.agent2.addr, "BBBB", 4);
	f.c.mode = SIGNON_MODE_OFFICE;
	strcpy(f.c.uplink, "eth0");
	f.c.now_ms = 1000;
	f.c.wall_s = 1800000000;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	signon_signer_free(&f->dev);
	signon_signer_free(&f->ver);
	signon_signer_free(&f->evil);
	return 0;
}

static void
hello(struct fx *f, const struct relay_peer *from, struct relay_out *o)
{
	uint8_t b[SIGNON_HELLO_LEN];

	signon_hello_encode(b, sizeof(b));
	relay_from_agent(&f->r, from, b, sizeof(b), &f->c, o);
}

static size_t
request(uint8_t *b, const uint8_t nonce[32])
{
	struct signon_request q;

	memset(&q, 0, sizeof(q));
	q.op = SIGNON_OP_SIGNON;
	q.factor = SIGNON_F_CARD_PIN;
	memcpy(q.nonce, nonce, 32);
	strcpy(q.card, "0123456789ABCDEF");
	return (size_t)signon_request_encode(b, SIGNON_REQUEST_LEN, &q);
}

static size_t
result(uint8_t *b, const uint8_t nonce[32], const char *dev,
    const struct signon_signer *key)
{
	struct signon_result_msg m = { .op = SIGNON_OP_SIGNON,
	    .factor = SIGNON_F_CARD_PIN, .result = SIGNON_R_OK, .time = 1 };

	memcpy(m.nonce, nonce, 32);
	strcpy(m.device, dev);
	return (size_t)signon_result_sign(b, SIGNON_RESULT_LEN, &m, key);
}

static void
t_exchange(void **state)
{
	struct fx *f = *state;
	struct relay_out o;
	struct signon_nonce_req nr;
	struct signon_challenge ch;
	struct signon_bound bd;
	uint8_t b[SIGNON_MAX_LEN], nonce[32];

	hello(f, &f->agent, &o);
	assert_int_equal(o.dest, RELAY_TO_VERIFIER);
	assert_int_equal(signon_nonce_req_decode(o.buf, o.len, &nr), 0);
	assert_string_equal(nr.device, "pc-0001");
	/* the challenge, with a seal key of the network's choosing */
	memset(&ch, 0, sizeof(ch));
	memset(ch.nonce, 0x11, 32);
	memset(ch.seal_pub, 0xee, 32);
	signon_challenge_encode(b, sizeof(b), &ch);
	relay_from_verifier(&f->r, b, SIGNON_CHALLENGE_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.to.addr, "AAAA", 4);
	assert_int_equal(signon_challenge_decode(o.buf, o.len, &ch), 0);
	assert_memory_equal(ch.seal_pub, f->seal, 32);	/* the pinned one */
	assert_true(ch.presence == SIGNON_PRES_NONE && ch.presence_s == 0);
	/* the request, bound */
	memset(nonce, 0x11, 32);
	request(b, nonce);
	relay_from_agent(&f->r, &f->agent, b, SIGNON_REQUEST_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_VERIFIER);
	assert_int_equal(o.len, SIGNON_BOUND_LEN);
	assert_int_equal(signon_bound_decode(o.buf, o.len, &bd), 0);
	assert_int_equal(signon_bound_verify(o.buf, f->dev.pub), 0);
	assert_string_equal(bd.device, "pc-0001");
	assert_string_equal(bd.uplink, "eth0");
	assert_int_equal(bd.mode, SIGNON_MODE_OFFICE);
	assert_memory_equal(bd.req_raw, b, SIGNON_REQUEST_LEN);
	/* answers that are not the verifier's, or for another nonce or
	 * laptop: dropped */
	result(b, nonce, "pc-0001", &f->evil);
	relay_from_verifier(&f->r, b, SIGNON_RESULT_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	nonce[0] ^= 1;
	result(b, nonce, "pc-0001", &f->ver);
	relay_from_verifier(&f->r, b, SIGNON_RESULT_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	nonce[0] ^= 1;
	result(b, nonce, "pc-0002", &f->ver);
	relay_from_verifier(&f->r, b, SIGNON_RESULT_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	assert_int_equal(f->r.count[RELAY_C_BAD_ANSWER], 3);
	/* the verifier's */
	result(b, nonce, "pc-0001", &f->ver);
	relay_from_verifier(&f->r, b, SIGNON_RESULT_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.buf, b, SIGNON_RESULT_LEN);
	assert_int_equal(f->r.x[RELAY_SLOT_USER].state, RELAY_IDLE);
}

static void
t_busy_blocked_timeout(void **state)
{
	struct fx *f = *state;
	struct relay_out o;
	struct signon_relay_err_msg e;
	uint8_t b[SIGNON_MAX_LEN];

	hello(f, &f->agent, &o);
	hello(f, &f->agent2, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.to.addr, "BBBB", 4);
	assert_int_equal(signon_relay_err_decode(o.buf, o.len, &e), 0);
	assert_int_equal(e.code, SIGNON_RE_BUSY);
	relay_tick(&f->r, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	assert_int_equal(relay_timeout(&f->r, f->c.now_ms), RELAY_TIMEOUT_MS);
	f->c.now_ms += RELAY_TIMEOUT_MS;
	relay_tick(&f->r, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.to.addr, "AAAA", 4);
	assert_int_equal(signon_relay_err_decode(o.buf, o.len, &e), 0);
	assert_int_equal(e.code, SIGNON_RE_UNREACHABLE);
	f->c.blocked = 1;
	hello(f, &f->agent, &o);
	assert_int_equal(signon_relay_err_decode(o.buf, o.len, &e), 0);
	assert_int_equal(e.code, SIGNON_RE_BLOCKED);
	/* junk from work: nothing, counted */
	memset(b, 0, sizeof(b));
	relay_from_agent(&f->r, &f->agent, b, 100, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	assert_int_equal(f->r.count[RELAY_C_BAD_AGENT], 1);
}

/* One exchange up to the REQUEST, with the challenge naming seal_pub:
 * the seal key handed to the agent in *got. */
static void
up_to_request(struct fx *f, const uint8_t seal_pub[32], uint8_t got[32])
{
	struct relay_out o;
	struct signon_challenge ch;
	uint8_t b[SIGNON_MAX_LEN], nonce[32];

	hello(f, &f->agent, &o);
	memset(&ch, 0, sizeof(ch));
	memset(ch.nonce, 0x22, 32);
	memcpy(ch.seal_pub, seal_pub, 32);
	signon_challenge_encode(b, sizeof(b), &ch);
	relay_from_verifier(&f->r, b, SIGNON_CHALLENGE_LEN, &f->c, &o);
	assert_int_equal(signon_challenge_decode(o.buf, o.len, &ch), 0);
	memcpy(got, ch.seal_pub, 32);
	memset(nonce, 0x22, 32);
	request(b, nonce);
	relay_from_agent(&f->r, &f->agent, b, SIGNON_REQUEST_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_VERIFIER);
}

/* A key roll: the current and the next verifier keys both verify, a
 * third does not; the agent gets the next seal key when the verifier
 * names it, the current one for anything else. */
static void
t_key_roll(void **state)
{
	struct fx *f = *state;
	struct signon_signer next;
	struct relay_out o;
	uint8_t seed[32], pub[32], seal_next[32], other[32], got[32], b[SIGNON_MAX_LEN];
	uint8_t nonce[32];

	signon_ed25519_keygen(seed, pub);
	signon_signer_init(&next, seed);
	memset(seal_next, 0x6e, 32);
	memset(other, 0x0f, 32);
	memset(nonce, 0x22, 32);
	relay_set_next(&f->r, next.pub, seal_next);
	const struct { const struct signon_signer *key; const uint8_t *seal;
	    const uint8_t *want; int passes; } cases[] = {
		{ &f->ver, f->seal, f->seal, 1 },	/* current */
		{ &next, seal_next, seal_next, 1 },	/* next */
		{ &f->evil, other, f->seal, 0 },	/* a third: refused */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		up_to_request(f, cases[i].seal, got);
		assert_memory_equal(got, cases[i].want, 32);
		result(b, nonce, "pc-0001", cases[i].key);
		relay_from_verifier(&f->r, b, SIGNON_RESULT_LEN, &f->c, &o);
		assert_int_equal(o.dest, cases[i].passes ? RELAY_TO_AGENT : RELAY_TO_NONE);
		if (!cases[i].passes) {
			f->c.now_ms += RELAY_TIMEOUT_MS;	/* end the exchange */
			relay_tick(&f->r, &f->c, &o);
		}
	}
	assert_int_equal(f->r.count[RELAY_C_BAD_ANSWER], 1);
	assert_int_equal(f->r.count[RELAY_C_RESULTS], 2);
	/* without next keys, the next is a stranger */
	relay_set_next(&f->r, NULL, NULL);
	up_to_request(f, seal_next, got);
	assert_memory_equal(got, f->seal, 32);
	result(b, nonce, "pc-0001", &next);
	relay_from_verifier(&f->r, b, SIGNON_RESULT_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	signon_signer_free(&next);
}

/* EVENTS -> EVENTS_BOUND signed by this laptop; only a verifying
 * EVENTS_ACK for this laptop and the batch in flight goes back. */
static void
t_events(void **state)
{
	struct fx *f = *state;
	static struct signon_events_bound eb;
	struct signon_events ev;
	struct signon_events_ack ack;
	struct relay_out o;
	uint8_t b[SIGNON_MAX_LEN];
	EVP_PKEY *pk = signon_ed25519_key(f->dev.pub);

	memset(&ev, 0, sizeof(ev));
	ev.first_seq = 7;
	ev.count = 2;
	ev.outbox = 0x77;
	ev.ev[0].kind = SIGNON_EV_LOCK;
	ev.ev[0].reason = SIGNON_EVR_CARD_REMOVED;
	strcpy(ev.ev[0].staff, "s1001");
	ev.ev[1].kind = SIGNON_EV_MARK;
	assert_int_equal(signon_events_encode(b, sizeof(b), &ev), SIGNON_EVENTS_LEN);
	relay_from_agent(&f->r, &f->agent, b, SIGNON_EVENTS_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_VERIFIER);
	assert_int_equal(o.len, SIGNON_EVENTS_BOUND_LEN);
	assert_int_equal(signon_events_bound_decode(o.buf, o.len, &eb), 0);
	assert_string_equal(eb.device, "pc-0001");
	assert_string_equal(eb.uplink, "eth0");
	assert_int_equal(eb.mode, SIGNON_MODE_OFFICE);
	assert_memory_equal(eb.ev_raw, b, SIGNON_EVENTS_LEN);
	assert_int_equal(signon_events_bound_verify_key(o.buf, pk), 0);
	EVP_PKEY_free(pk);

	memset(&ack, 0, sizeof(ack));
	strcpy(ack.device, "pc-0001");
	ack.first_seq = 7;
	ack.count = 2;
	ack.stored_through = 8;
	ack.outbox = 0x77;
	/* signed by another key, another batch, another outbox, another
	 * laptop: dropped */
	assert_int_equal(signon_events_ack_sign(b, sizeof(b), &ack, &f->evil), SIGNON_EVENTS_ACK_LEN);
	relay_from_verifier(&f->r, b, SIGNON_EVENTS_ACK_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	ack.first_seq = 6;
	assert_int_equal(signon_events_ack_sign(b, sizeof(b), &ack, &f->ver), SIGNON_EVENTS_ACK_LEN);
	relay_from_verifier(&f->r, b, SIGNON_EVENTS_ACK_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	ack.first_seq = 7;
	ack.outbox = 0x78;
	assert_int_equal(signon_events_ack_sign(b, sizeof(b), &ack, &f->ver), SIGNON_EVENTS_ACK_LEN);
	relay_from_verifier(&f->r, b, SIGNON_EVENTS_ACK_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	ack.outbox = 0x77;
	strcpy(ack.device, "pc-0002");
	assert_int_equal(signon_events_ack_sign(b, sizeof(b), &ack, &f->ver), SIGNON_EVENTS_ACK_LEN);
	relay_from_verifier(&f->r, b, SIGNON_EVENTS_ACK_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	assert_int_equal(f->r.count[RELAY_C_BAD_ANSWER], 4);
	/* meanwhile another agent is busy */
	relay_from_agent(&f->r, &f->agent2, b, 0, &f->c, &o);
	assert_int_equal(signon_events_encode(b, sizeof(b), &ev), SIGNON_EVENTS_LEN);
	relay_from_agent(&f->r, &f->agent2, b, SIGNON_EVENTS_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_int_equal(signon_peek(o.buf, o.len), SIGNON_RELAY_ERR);
	/* the right one */
	strcpy(ack.device, "pc-0001");
	assert_int_equal(signon_events_ack_sign(b, sizeof(b), &ack, &f->ver), SIGNON_EVENTS_ACK_LEN);
	relay_from_verifier(&f->r, b, SIGNON_EVENTS_ACK_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.to.addr, "AAAA", 4);
	assert_int_equal(o.len, SIGNON_EVENTS_ACK_LEN);
	assert_memory_equal(o.buf, b, SIGNON_EVENTS_ACK_LEN);
	assert_int_equal(f->r.x[RELAY_SLOT_EVENTS].state, RELAY_IDLE);
	/* and only once */
	relay_from_verifier(&f->r, b, SIGNON_EVENTS_ACK_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
}

/* EVENTS of agent A in flight: agent B's sign-on is served (its own
 * slot), a third agent's HELLO gets busy, a second EVENTS from another
 * agent too; each answer goes to the agent of its slot, whatever the
 * order; both slots past their deadline end one per tick. */
static void
t_signon_during_drain(void **state)
{
	struct fx *f = *state;
	struct signon_events ev;
	struct signon_events_ack ack;
	struct signon_challenge ch;
	struct signon_relay_err_msg e;
	struct relay_peer agent3 = { .len = 4 };
	struct relay_out o;
	uint8_t b[SIGNON_MAX_LEN], evm[SIGNON_EVENTS_LEN], nonce[32];

	memcpy(agent3.addr, "CCCC", 4);
	memset(&ev, 0, sizeof(ev));
	ev.first_seq = 1;
	ev.count = 1;
	ev.outbox = 0x77;
	ev.ev[0].kind = SIGNON_EV_MARK;
	assert_int_equal(signon_events_encode(evm, sizeof(evm), &ev), SIGNON_EVENTS_LEN);
	relay_from_agent(&f->r, &f->agent, evm, SIGNON_EVENTS_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_VERIFIER);
	assert_int_equal(signon_peek(o.buf, o.len), SIGNON_EVENTS_BOUND);
	/* B's HELLO is forwarded, not busy */
	hello(f, &f->agent2, &o);
	assert_int_equal(o.dest, RELAY_TO_VERIFIER);
	assert_int_equal(signon_peek(o.buf, o.len), SIGNON_NONCE_REQ);
	/* a third agent: both kinds taken */
	hello(f, &agent3, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.to.addr, "CCCC", 4);
	assert_int_equal(signon_relay_err_decode(o.buf, o.len, &e), 0);
	assert_int_equal(e.code, SIGNON_RE_BUSY);
	relay_from_agent(&f->r, &agent3, evm, SIGNON_EVENTS_LEN, &f->c, &o);
	assert_int_equal(signon_relay_err_decode(o.buf, o.len, &e), 0);
	assert_int_equal(e.code, SIGNON_RE_BUSY);
	assert_int_equal(f->r.count[RELAY_C_BUSY], 2);
	/* the challenge goes to B */
	memset(&ch, 0, sizeof(ch));
	memset(ch.nonce, 0x33, 32);
	signon_challenge_encode(b, sizeof(b), &ch);
	relay_from_verifier(&f->r, b, SIGNON_CHALLENGE_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.to.addr, "BBBB", 4);
	/* B's request is bound while A's batch is still in flight */
	memset(nonce, 0x33, 32);
	request(b, nonce);
	relay_from_agent(&f->r, &f->agent2, b, SIGNON_REQUEST_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_VERIFIER);
	assert_int_equal(o.len, SIGNON_BOUND_LEN);
	/* the acknowledgement goes to A, the result to B */
	memset(&ack, 0, sizeof(ack));
	strcpy(ack.device, "pc-0001");
	ack.first_seq = 1;
	ack.count = 1;
	ack.stored_through = 1;
	ack.outbox = 0x77;
	assert_int_equal(signon_events_ack_sign(b, sizeof(b), &ack, &f->ver), SIGNON_EVENTS_ACK_LEN);
	relay_from_verifier(&f->r, b, SIGNON_EVENTS_ACK_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.to.addr, "AAAA", 4);
	assert_int_equal(signon_peek(o.buf, o.len), SIGNON_EVENTS_ACK);
	assert_int_equal(f->r.x[RELAY_SLOT_EVENTS].state, RELAY_IDLE);
	assert_int_equal(f->r.x[RELAY_SLOT_USER].state, RELAY_WAIT_RESULT);
	result(b, nonce, "pc-0001", &f->ver);
	relay_from_verifier(&f->r, b, SIGNON_RESULT_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.to.addr, "BBBB", 4);
	assert_int_equal(signon_peek(o.buf, o.len), SIGNON_RESULT);
	assert_int_equal(f->r.x[RELAY_SLOT_USER].state, RELAY_IDLE);
	assert_int_equal(relay_timeout(&f->r, f->c.now_ms), -1);

	/* both in flight and unanswered: poll waits for the nearer
	 * deadline, each exchange ends at its own with "unreachable" to its
	 * agent, and when both are due, one per tick */
	relay_from_agent(&f->r, &f->agent, evm, SIGNON_EVENTS_LEN, &f->c, &o);
	f->c.now_ms += 1000;
	hello(f, &f->agent2, &o);
	assert_int_equal(relay_timeout(&f->r, f->c.now_ms), RELAY_TIMEOUT_MS - 1000);
	f->c.now_ms += RELAY_TIMEOUT_MS - 1000;
	relay_tick(&f->r, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.to.addr, "AAAA", 4);
	assert_int_equal(signon_relay_err_decode(o.buf, o.len, &e), 0);
	assert_int_equal(e.code, SIGNON_RE_UNREACHABLE);
	relay_tick(&f->r, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	assert_int_equal(relay_timeout(&f->r, f->c.now_ms), 1000);
	f->c.now_ms += 1000;
	relay_tick(&f->r, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_memory_equal(o.to.addr, "BBBB", 4);
	assert_int_equal(relay_timeout(&f->r, f->c.now_ms), -1);
	relay_from_agent(&f->r, &f->agent, evm, SIGNON_EVENTS_LEN, &f->c, &o);
	hello(f, &f->agent2, &o);
	f->c.now_ms += RELAY_TIMEOUT_MS;
	relay_tick(&f->r, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	relay_tick(&f->r, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	relay_tick(&f->r, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_NONE);
	assert_int_equal(f->r.count[RELAY_C_TIMEOUT], 4);
}

/* The policy's presence (-P) goes into every challenge the agent is
 * handed, whatever the network put there; a bad -P sets nothing. */
static void
t_presence(void **state)
{
	struct fx *f = *state;
	struct relay_out o;
	struct signon_challenge ch;
	uint8_t b[SIGNON_MAX_LEN];
	static const char *const bad[] = { "card:9", "face:61", "finger:30", "card",
	    "card:", "card:30x", "face:-10", ":30", "" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(relay_set_presence(&f->r, bad[i]), -1);
	assert_int_equal(f->r.presence, SIGNON_PRES_NONE);
	assert_int_equal(relay_set_presence(&f->r, "card:10"), 0);
	assert_true(f->r.presence == SIGNON_PRES_CARD && f->r.presence_s == 10);
	assert_int_equal(relay_set_presence(&f->r, "face:60"), 0);
	assert_true(f->r.presence == SIGNON_PRES_FACE && f->r.presence_s == 60);
	hello(f, &f->agent, &o);
	assert_int_equal(o.dest, RELAY_TO_VERIFIER);
	memset(&ch, 0, sizeof(ch));
	memset(ch.nonce, 0x33, 32);
	ch.presence = SIGNON_PRES_CARD;	/* the network's: not taken */
	ch.presence_s = 11;
	memcpy(ch.seal_pub, f->seal, 32);
	assert_int_equal(signon_challenge_encode(b, sizeof(b), &ch), SIGNON_CHALLENGE_LEN);
	relay_from_verifier(&f->r, b, SIGNON_CHALLENGE_LEN, &f->c, &o);
	assert_int_equal(o.dest, RELAY_TO_AGENT);
	assert_int_equal(signon_challenge_decode(o.buf, o.len, &ch), 0);
	assert_true(ch.presence == SIGNON_PRES_FACE && ch.presence_s == 60);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_exchange, setup, teardown),
		cmocka_unit_test_setup_teardown(t_busy_blocked_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(t_key_roll, setup, teardown),
		cmocka_unit_test_setup_teardown(t_events, setup, teardown),
		cmocka_unit_test_setup_teardown(t_signon_during_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(t_presence, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
