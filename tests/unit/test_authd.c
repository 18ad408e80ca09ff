/*
 * The verifier's engine (agency/sekisho-authd/engine.h) against a real
 * registry, SQLite and a PostgreSQL server of its own (tests/lab/pg.sh),
 * driven as the relay drives it: NONCE_REQ, then a REQUEST built with the
 * agent's cryptography and BOUND under the laptop's key. Every result,
 * replay, another laptop's claim, lockout across factors, codes once,
 * twice and expired, and the audit chain with a removed and an altered
 * record.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <libpq-fe.h>

#include "agency/sekisho-authd/engine.h"
#include "lib/encode.h"
#include "registry/ops.h"
#include "registry/registry.h"
#include "registry/signon.h"
#include "tests/signon/testcard.h"

static char tmpdir[] = "/tmp/test_authd.XXXXXX";
static char pg_url[1024];
static int sq_n;

#define T0	1800000000	/* the tests' clock */
#define PIN	"4711"
#define CARD	"0123456789ABCDEF"
static const struct reg_actor it_actor = { "it-test", "test" };

struct world {
	char			 url[1100];
	struct reg		*r;
	struct rules		 rules;
	struct signon_signer	 verifier, dev, other;
	struct signon_unsealer	 unsealer;
	struct nonce_state	 nonces;
	struct authd_engine	 e;
	struct testcard		 card, card2;
	int64_t			 now;
	char			 code[REG_OTP_LEN + 1], code_old[REG_OTP_LEN + 1];
	struct reg_signon_rec	 rec;	/* of the last attempt */
	struct authd_limits	 limits;	/* t_rate_*: e.limits */
	const char		*source;	/* "10.77.0.2:40000" if NULL */
};

static void
quiet(void *arg, const char *m)
{
	(void)arg;
	(void)m;
}

static void
wipe_pg(const char *url)
{
	PGconn *c = PQconnectdb(url);
	PGresult *res;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("%s", PQerrorMessage(c));
	PQsetNoticeProcessor(c, quiet, NULL);
	res = PQexec(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s", PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(c);
}

#define OK(call) do { struct sk_error e_; memset(&e_, 0, sizeof(e_)); \
	int rc_ = (call); if (rc_ < 0) fail_msg("%s: %s", #call, e_.msg); } while (0)

static void
staff(struct world *w, const char *id, const char *role, const char *pin)
{
	struct reg_staff s;
	struct sk_error err;

	memset(&s, 0, sizeof(s));
	snprintf(s.staff_id, sizeof(s.staff_id), "%s", id);
	snprintf(s.name, sizeof(s.name), "山田 %s", id);
	snprintf(s.role, sizeof(s.role), "%s", role);
	snprintf(s.source, sizeof(s.source), "cli");
	if (reg_staff_put(w->r, &it_actor, &s, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	if (pin != NULL && reg_pin_set(w->r, id, pin, strlen(pin), &err) < 0)
		fail_msg("%s", err.msg);
}

static void
device(struct world *w, const char *name, const uint8_t pub[32])
{
	struct reg_device d;
	struct sk_error err;
	char b64[KEY_B64_LEN];

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.grp, sizeof(d.grp), "default");
	if (reg_device_add(w->r, &d, 0, &err) < 0)
		fail_msg("%s", err.msg);
	if (pub != NULL) {
		key_to_b64(b64, pub);
		if (reg_device_signkey_set(w->r, name, b64, &err) < 0)
			fail_msg("%s", err.msg);
	}
}

static int
setup(void **state, int pg)
{
	static const char rules[] = "role * card-pin card-key code-pin\n"
	    "role nurse card-key card-pin code-pin biometric biometric-pin\n"
	    "role secure card-key code-pin\n";
	struct world *w = calloc(1, sizeof(*w));
	struct reg_group g = { .name = "default", .tmpl = "x",
	    .key_file = "/etc/sekisho/device.key" };
	uint8_t seed[32], pub[32], key[32] = { 1 };
	struct sk_error err;
	int64_t exp;

	if (pg) {
		snprintf(w->url, sizeof(w->url), "%s", pg_url);
		wipe_pg(w->url);
	} else
		snprintf(w->url, sizeof(w->url), "sqlite:%s/r%d.db", tmpdir, ++sq_n);
	if (reg_open(w->url, &w->r, &err) < 0)
		fail_msg("reg_open %s: %s", w->url, err.msg);
	assert_int_equal(rules_parse("rules", rules, strlen(rules), &w->rules, &err), 0);
	assert_int_equal(signon_ed25519_keygen(seed, pub), 0);
	assert_int_equal(signon_signer_init(&w->verifier, seed), 0);
	assert_int_equal(signon_ed25519_keygen(seed, pub), 0);
	assert_int_equal(signon_signer_init(&w->other, seed), 0);
	assert_int_equal(signon_x25519_keygen(seed, pub), 0);
	assert_int_equal(signon_unsealer_init(&w->unsealer, seed), 0);
	assert_int_equal(signon_ed25519_keygen(seed, pub), 0);
	assert_int_equal(signon_signer_init(&w->dev, seed), 0);
	assert_int_equal(testcard_new(&w->card), 0);
	assert_int_equal(testcard_new(&w->card2), 0);
	assert_int_equal(nonce_init(&w->nonces, key, 30, 1024), 0);
	w->now = T0;

	OK(reg_begin(w->r, &e_));
	OK(reg_meta_set(w->r, "pool4", "10.77.0.0/24", &e_));
	OK(reg_group_add(w->r, &g, &e_));
	device(w, "pc-0001", pub);
	device(w, "pc-0002", w->other.pub);
	device(w, "pc-0003", NULL);	/* exported before sign-on existed */
	staff(w, "s1001", "clerk", PIN);
	staff(w, "s1002", "nurse", PIN);
	staff(w, "s1003", "secure", PIN);
	staff(w, "s1004", "clerk", PIN);
	OK(reg_card_assign(w->r, CARD, "felica", "s1001", &e_));
	OK(reg_card_assign(w->r, w->card.id, "pubkey", "s1001", &e_));
	OK(reg_card_assign(w->r, "04A1B2C3", "mifare", "s1003", &e_));
	OK(reg_otp_issue(w->r, "s1001", T0, 3600, w->code, &exp, &e_));
	OK(reg_otp_issue(w->r, "s1001", T0 - 7200, 3600, w->code_old, &exp, &e_));
	OK(reg_commit(w->r, &e_));

	w->e.r = w->r;
	w->e.rules = &w->rules;
	w->e.signer = &w->verifier;
	w->e.unsealer = &w->unsealer;
	w->e.nonces = &w->nonces;
	w->e.lifetime_s = 28800;
	w->e.max_failures = REG_MAX_FAILURES;
	*state = w;
	return 0;
}
static int setup_sq(void **s) { return setup(s, 0); }
static int setup_pg(void **s) { return setup(s, 1); }

static int
teardown(void **state)
{
	struct world *w = *state;

	reg_close(w->r);
	signon_signer_free(&w->verifier);
	signon_signer_free(&w->dev);
	signon_signer_free(&w->other);
	signon_unsealer_free(&w->unsealer);
	testcard_free(&w->card);
	testcard_free(&w->card2);
	nonce_free(&w->nonces);
	authd_engine_free(&w->e);
	authd_limits_free(&w->limits);
	free(w);
	return 0;
}

/* One datagram through the engine in a batch of its own. */
static size_t
roundtrip(struct world *w, const uint8_t *in, size_t len, uint8_t *out)
{
	struct sk_error err;
	size_t outlen = 0;
	int has = 0;

	memset(&w->rec, 0, sizeof(w->rec));
	if (authd_handle(&w->e, in, len, w->source != NULL ? w->source :
	    "10.77.0.2:40000", w->now, out, &outlen, &w->rec, &has, &err) < 0)
		fail_msg("authd_handle: %s", err.msg);
	if (authd_batch_commit(&w->e, &err) < 0)
		fail_msg("commit: %s", err.msg);
	return outlen;
}

static void
nonce_for(struct world *w, const char *dev, uint8_t nonce[SIGNON_NONCE_LEN])
{
	struct signon_nonce_req nr;
	struct signon_challenge c;
	uint8_t b[SIGNON_MAX_LEN], out[SIGNON_MAX_LEN];

	snprintf(nr.device, sizeof(nr.device), "%s", dev);
	assert_int_equal(signon_nonce_req_encode(b, sizeof(b), &nr), SIGNON_NONCE_REQ_LEN);
	assert_int_equal(roundtrip(w, b, SIGNON_NONCE_REQ_LEN, out), SIGNON_CHALLENGE_LEN);
	assert_int_equal(signon_challenge_decode(out, SIGNON_CHALLENGE_LEN, &c), 0);
	assert_memory_equal(c.seal_pub, w->unsealer.pub, 32);
	assert_int_equal(c.valid_s, 30);
	memcpy(nonce, c.nonce, SIGNON_NONCE_LEN);
}

struct ask {
	int		 op, factor, match;
	const char	*card, *staff, *pin, *code;
	const char	*device;	/* claimed; "pc-0001" if NULL */
	const struct signon_signer *key;	/* signing; w->dev if NULL */
	const struct testcard *signer_card;	/* card-key: the card that signs */
	const uint8_t	*nonce;		/* a given nonce (replays) */
	uint8_t		*bound_out;	/* the BOUND sent, for replays */
};

/* The agent's REQUEST, the relay's BOUND, the verifier's RESULT. */
static struct signon_result_msg
ask(struct world *w, const struct ask *a)
{
	static struct signon_bound bd;
	struct signon_request q;
	struct signon_result_msg res;
	uint8_t nonce[SIGNON_NONCE_LEN], b[SIGNON_MAX_LEN], out[SIGNON_MAX_LEN];
	const char *dev = a->device != NULL ? a->device : "pc-0001";
	const char *pin = a->pin != NULL ? a->pin : "", *code = a->code != NULL ? a->code : "";

	if (a->nonce != NULL)
		memcpy(nonce, a->nonce, sizeof(nonce));
	else
		nonce_for(w, dev, nonce);
	memset(&q, 0, sizeof(q));
	q.op = (uint8_t)(a->op ? a->op : SIGNON_OP_SIGNON);
	q.factor = (uint8_t)a->factor;
	q.match = (uint8_t)a->match;
	memcpy(q.nonce, nonce, sizeof(nonce));
	if (a->card != NULL)
		snprintf(q.card, sizeof(q.card), "%s", a->card);
	if (a->staff != NULL)
		snprintf(q.staff, sizeof(q.staff), "%s", a->staff);
	if (a->factor == SIGNON_F_CARD_KEY && q.op != SIGNON_OP_PIN_REFUSED) {
		uint8_t dg[32];

		signon_card_digest(dg, nonce, q.card);
		assert_int_equal(testcard_sign(a->signer_card != NULL ? a->signer_card :
		    &w->card, dg, q.card_sig), 0);
	}
	memset(&bd, 0, sizeof(bd));
	assert_int_equal(signon_request_seal(bd.req_raw, sizeof(bd.req_raw), &q,
	    w->unsealer.pub, pin, strlen(pin), code, strlen(code)), SIGNON_REQUEST_LEN);
	snprintf(bd.device, sizeof(bd.device), "%s", dev);
	snprintf(bd.uplink, sizeof(bd.uplink), "wlan0");
	bd.mode = SIGNON_MODE_REMOTE;
	bd.time = (uint64_t)w->now;
	assert_int_equal(signon_bound_sign(b, sizeof(b), &bd, a->key != NULL ? a->key :
	    &w->dev), SIGNON_BOUND_LEN);
	if (a->bound_out != NULL)
		memcpy(a->bound_out, b, SIGNON_BOUND_LEN);
	assert_int_equal(roundtrip(w, b, SIGNON_BOUND_LEN, out), SIGNON_RESULT_LEN);
	assert_int_equal(signon_result_decode(out, SIGNON_RESULT_LEN, &res), 0);
	assert_int_equal(signon_result_verify(out, w->verifier.pub), 0);
	assert_memory_equal(res.nonce, nonce, sizeof(nonce));
	/* slow-down and unavailable may go unrecorded (the tests say which) */
	if ((res.result != SIGNON_R_SLOW_DOWN && res.result != SIGNON_R_UNAVAILABLE) ||
	    w->rec.result[0] != '\0')
		assert_string_equal(w->rec.result, signon_result_name(res.result));
	return res;
}

/* A BOUND whose answer is nothing at all (dropped). */
static void
ask_dropped(struct world *w, const struct ask *a)
{
	struct signon_request q;
	static struct signon_bound bd;
	uint8_t nonce[SIGNON_NONCE_LEN] = { 7 }, b[SIGNON_MAX_LEN], out[SIGNON_MAX_LEN];

	memset(&q, 0, sizeof(q));
	q.op = SIGNON_OP_SIGNON;
	q.factor = (uint8_t)a->factor;
	memcpy(q.nonce, nonce, sizeof(nonce));
	snprintf(q.card, sizeof(q.card), "%s", a->card);
	memset(&bd, 0, sizeof(bd));
	assert_int_equal(signon_request_seal(bd.req_raw, sizeof(bd.req_raw), &q,
	    w->unsealer.pub, PIN, strlen(PIN), "", 0), SIGNON_REQUEST_LEN);
	snprintf(bd.device, sizeof(bd.device), "pc-0001");
	bd.time = (uint64_t)w->now;
	assert_int_equal(signon_bound_sign(b, sizeof(b), &bd, &w->dev), SIGNON_BOUND_LEN);
	assert_int_equal(roundtrip(w, b, SIGNON_BOUND_LEN, out), 0);
}

#define CARDPIN(p) (struct ask){ .factor = SIGNON_F_CARD_PIN, .card = CARD, .pin = (p) }

static int
failures(struct world *w, const char *id)
{
	struct reg_staff s;
	struct sk_error err;

	if (reg_staff_get(w->r, id, &s, &err) < 0)
		fail_msg("%s", err.msg);
	return s.failures;
}

static void
t_card_pin(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;

	r = ask(w, &CARDPIN(PIN));
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_int_equal(r.lifetime_s, 28800);
	assert_string_equal(r.staff, "s1001");
	assert_string_equal(r.device, "pc-0001");
	assert_string_equal(w->rec.staff, "s1001");
	assert_string_equal(w->rec.factor, "card-pin");
	assert_string_equal(w->rec.op, "signon");
	assert_string_equal(w->rec.mode, "remote");
	assert_string_equal(w->rec.uplink, "wlan0");
	assert_string_equal(w->rec.source, "10.77.0.2:40000");
	assert_string_equal(w->rec.reason, "");
	/* stage 2: the session in the registry, which the gateways follow */
	{
		struct reg_session ss;

		OK(reg_session_active(w->r, "pc-0001", w->now, &ss, &e_));
		assert_string_equal(ss.staff_id, "s1001");
		assert_string_equal(ss.factor, "card-pin");
		assert_int_equal(ss.expires, w->now + 28800);
	}
	r = ask(w, &CARDPIN("1234"));
	assert_int_equal(r.result, SIGNON_R_WRONG_PIN);
	assert_int_equal(r.tries_left, 4);
	assert_int_equal(r.lifetime_s, 0);
	assert_string_equal(w->rec.reason, "wrong PIN (1 of 5)");
	r = ask(w, &CARDPIN(PIN));	/* a success resets the counter */
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_int_equal(failures(w, "s1001"), 0);
	/* unknown card, unknown user, disabled user */
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_PIN, .card = "FFFF", .pin = PIN });
	assert_int_equal(r.result, SIGNON_R_UNKNOWN_CARD);
	assert_string_equal(w->rec.reason, "card FFFF is not assigned");
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CODE_PIN, .staff = "nobody",
	    .pin = PIN, .code = w->code });
	assert_int_equal(r.result, SIGNON_R_UNKNOWN_USER);
	assert_string_equal(r.staff, "");
	OK(reg_staff_set_disabled(w->r, &it_actor, "s1001", 1, &e_));
	r = ask(w, &CARDPIN(PIN));
	assert_int_equal(r.result, SIGNON_R_DISABLED);
	/* no PIN in any record */
	assert_null(strstr(w->rec.reason, PIN));
}

static void
t_lockout_across_factors(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;

	r = ask(w, &CARDPIN(PIN));	/* a session, which the lock will close */
	assert_int_equal(r.result, SIGNON_R_OK);

	r = ask(w, &CARDPIN("0000"));
	assert_int_equal(r.tries_left, 4);
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id,
	    .signer_card = &w->card2 });
	assert_int_equal(r.result, SIGNON_R_CARD_SIG);
	assert_int_equal(r.tries_left, 3);
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CODE_PIN, .staff = "s1001",
	    .pin = PIN, .code = "AAAA-AAAA-AAAA-AAAA" });
	assert_int_equal(r.result, SIGNON_R_CODE_INVALID);
	assert_int_equal(r.tries_left, 2);	/* the right PIN did not reset it */
	r = ask(w, &CARDPIN("0001"));
	assert_int_equal(r.tries_left, 1);
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CODE_PIN, .staff = "s1001",
	    .pin = "9999", .code = w->code });
	assert_int_equal(r.result, SIGNON_R_WRONG_PIN);
	assert_int_equal(r.tries_left, 0);
	assert_string_equal(w->rec.reason, "wrong PIN (5 of 5); user locked");
	assert_int_equal(failures(w, "s1001"), 5);
	{
		struct reg_session ss;
		struct sk_error err;

		assert_int_equal(reg_session_active(w->r, "pc-0001", w->now, &ss, &err),
		    -ENOENT);	/* the lock closed the session the test began with */
	}
	/* locked: the right PIN, the card's key, a good code: all refused,
	 * not counted further */
	r = ask(w, &CARDPIN(PIN));
	assert_int_equal(r.result, SIGNON_R_LOCKED);
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
	assert_int_equal(r.result, SIGNON_R_LOCKED);
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CODE_PIN, .staff = "s1001",
	    .pin = PIN, .code = w->code });
	assert_int_equal(r.result, SIGNON_R_LOCKED);
	assert_int_equal(failures(w, "s1001"), 5);
	/* IT resets it */
	OK(reg_staff_reset_failures(w->r, "s1001", &e_));
	r = ask(w, &CARDPIN(PIN));
	assert_int_equal(r.result, SIGNON_R_OK);
}

static void
t_replay_and_laptops(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;
	uint8_t bound[SIGNON_BOUND_LEN], out[SIGNON_MAX_LEN], nonce[SIGNON_NONCE_LEN];
	struct signon_result_msg res;

	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id,
	    .bound_out = bound });
	assert_int_equal(r.result, SIGNON_R_OK);
	/* the same exchange again, byte for byte */
	assert_int_equal(roundtrip(w, bound, sizeof(bound), out), SIGNON_RESULT_LEN);
	assert_int_equal(signon_result_decode(out, SIGNON_RESULT_LEN, &res), 0);
	assert_int_equal(res.result, SIGNON_R_REPLAY);
	assert_string_equal(w->rec.reason, "nonce used before (a replay)");
	/* a nonce issued to another laptop */
	nonce_for(w, "pc-0002", nonce);
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id,
	    .nonce = nonce });
	assert_int_equal(r.result, SIGNON_R_REPLAY);
	assert_string_equal(w->rec.reason, "nonce not issued by this verifier for this laptop");
	/* an expired one */
	nonce_for(w, "pc-0001", nonce);
	w->now += 30;
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id,
	    .nonce = nonce });
	assert_int_equal(r.result, SIGNON_R_REPLAY);
	assert_string_equal(w->rec.reason, "nonce expired");
	/* pc-0002 claiming to be pc-0001: its own key does not verify */
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_PIN, .card = CARD, .pin = PIN,
	    .key = &w->other });
	assert_int_equal(r.result, SIGNON_R_DEVICE);
	assert_string_equal(w->rec.reason, "the request does not verify under laptop"
	    " pc-0001's key");
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_PIN, .card = CARD, .pin = PIN,
	    .device = "pc-0003" });
	assert_int_equal(r.result, SIGNON_R_DEVICE);
	assert_string_equal(w->rec.reason, "laptop pc-0003 has no sign-on key");
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_PIN, .card = CARD, .pin = PIN,
	    .device = "pc-9999" });
	assert_int_equal(r.result, SIGNON_R_DEVICE);
	OK(reg_device_revoke(w->r, &it_actor, "pc-0002", "lost", &e_));
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_PIN, .card = CARD, .pin = PIN,
	    .device = "pc-0002", .key = &w->other });
	assert_int_equal(r.result, SIGNON_R_DEVICE);
	assert_string_equal(w->rec.reason, "laptop pc-0002 is revoked");
	assert_int_equal(failures(w, "s1001"), 0);	/* none of these counted */
}

static void
t_card_key(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;

	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_string_equal(r.staff, "s1001");
	/* a keyed card's public id with a PIN: no */
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_PIN, .card = w->card.id,
	    .pin = PIN });
	assert_int_equal(r.result, SIGNON_R_FACTOR_REFUSED);
	/* an id-only card cannot answer a challenge */
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = CARD });
	assert_int_equal(r.result, SIGNON_R_FACTOR_REFUSED);
	/* the role "secure" must use the card's key: card + PIN refused */
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_PIN, .card = "04A1B2C3",
	    .pin = PIN });
	assert_int_equal(r.result, SIGNON_R_FACTOR_REFUSED);
	assert_string_equal(w->rec.reason, "factor card-pin is not allowed for role secure");
	assert_int_equal(failures(w, "s1003"), 0);
}

static void
t_code(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;
	struct ask a = { .factor = SIGNON_F_CODE_PIN, .staff = "s1001", .pin = PIN };

	/* the right code with a wrong PIN: refused, the code kept */
	a.code = w->code;
	a.pin = "1111";
	r = ask(w, &a);
	assert_int_equal(r.result, SIGNON_R_WRONG_PIN);
	a.pin = PIN;
	r = ask(w, &a);
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_string_equal(w->rec.factor, "code-pin");
	assert_int_equal(failures(w, "s1001"), 0);
	r = ask(w, &a);
	assert_int_equal(r.result, SIGNON_R_CODE_USED);
	assert_string_equal(w->rec.reason, "code refused: already used (1 of 5)");
	a.code = w->code_old;
	r = ask(w, &a);
	assert_int_equal(r.result, SIGNON_R_CODE_EXPIRED);
	/* a code never replaces the PIN */
	a.pin = NULL;
	a.code = w->code;
	r = ask(w, &a);
	assert_int_equal(r.result, SIGNON_R_MALFORMED);
	assert_string_equal(w->rec.reason, "the sealed secret lacks the PIN");
	/* nor is it another user's */
	a.staff = "s1004";
	a.pin = PIN;
	a.code = w->code_old;
	r = ask(w, &a);
	assert_int_equal(r.result, SIGNON_R_CODE_INVALID);
	assert_int_equal(failures(w, "s1004"), 1);
}

static void
t_biometric_and_events(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;

	r = ask(w, &(struct ask){ .factor = SIGNON_F_BIOMETRIC, .staff = "s1002",
	    .match = SIGNON_MATCH_YES });
	assert_int_equal(r.result, SIGNON_R_OK);
	r = ask(w, &(struct ask){ .factor = SIGNON_F_BIOMETRIC, .staff = "s1002",
	    .match = SIGNON_MATCH_NO });
	assert_int_equal(r.result, SIGNON_R_NO_MATCH);
	assert_int_equal(r.tries_left, 4);
	r = ask(w, &(struct ask){ .factor = SIGNON_F_BIOMETRIC, .staff = "s1001",
	    .match = SIGNON_MATCH_YES });
	assert_int_equal(r.result, SIGNON_R_FACTOR_REFUSED);
	assert_string_equal(w->rec.reason, "factor biometric is not allowed for role clerk");
	r = ask(w, &(struct ask){ .op = SIGNON_OP_LOCK, .staff = "s1002" });
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_string_equal(w->rec.op, "lock");
	r = ask(w, &(struct ask){ .op = SIGNON_OP_UNLOCK, .factor = SIGNON_F_CARD_PIN,
	    .card = CARD, .pin = PIN });
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_string_equal(w->rec.op, "unlock");
	r = ask(w, &(struct ask){ .op = SIGNON_OP_SIGNOFF, .staff = "s1001" });
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_string_equal(w->rec.op, "signoff");
	assert_string_equal(w->rec.factor, "none");
	{
		struct reg_session ss;
		struct sk_error err;

		assert_int_equal(reg_session_active(w->r, "pc-0001", w->now, &ss, &err),
		    -ENOENT);
	}
	r = ask(w, &(struct ask){ .op = SIGNON_OP_SIGNOFF, .staff = "s1001" });
	assert_int_equal(r.result, SIGNON_R_NO_SESSION);
}

/* A handover: only where someone is signed on (else no-session, nothing
 * counted); the second user's factor as for a sign-on; one record naming
 * both; the session moved in the registry in the batch's transaction. */
static void
t_handover(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;
	struct reg_session ss;
	struct sk_error err;

	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_BIOMETRIC,
	    .staff = "s1002", .match = SIGNON_MATCH_YES });
	assert_int_equal(r.result, SIGNON_R_NO_SESSION);
	assert_string_equal(w->rec.reason, "no session to hand over");
	r = ask(w, &CARDPIN(PIN));
	assert_int_equal(r.result, SIGNON_R_OK);
	/* a wrong PIN hands nothing over and counts */
	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_CODE_PIN,
	    .staff = "s1001", .code = w->code, .pin = "0000" });
	assert_int_equal(r.result, SIGNON_R_WRONG_PIN);
	assert_int_equal(failures(w, "s1001"), 1);
	w->now++;
	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_BIOMETRIC,
	    .staff = "s1002", .match = SIGNON_MATCH_YES });
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_int_equal(r.op, SIGNON_OP_HANDOVER);
	assert_string_equal(r.staff, "s1002");
	assert_int_equal(r.lifetime_s, 28800);
	assert_string_equal(w->rec.op, "handover");
	assert_string_equal(w->rec.staff, "s1002");
	assert_string_equal(w->rec.factor, "biometric");
	assert_string_equal(w->rec.reason, "handover from s1001 to s1002");
	assert_int_equal(reg_session_active(w->r, "pc-0001", w->now, &ss, &err), 0);
	assert_string_equal(ss.staff_id, "s1002");
	assert_int_equal(ss.opened, w->now);
	/* the user signed on again: renewed, said so */
	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_BIOMETRIC,
	    .staff = "s1002", .match = SIGNON_MATCH_YES });
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_string_equal(w->rec.reason, "s1002 is the user signed on: nothing handed"
	    " over, the session renewed");
	/* a role that may not use the factor: refused, s1002 keeps it */
	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_BIOMETRIC,
	    .staff = "s1001", .match = SIGNON_MATCH_YES });
	assert_int_equal(r.result, SIGNON_R_FACTOR_REFUSED);
	assert_int_equal(reg_session_active(w->r, "pc-0001", w->now, &ss, &err), 0);
	assert_string_equal(ss.staff_id, "s1002");
	/* face or finger + PIN: the match, then the PIN; both counted */
	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_BIO_PIN,
	    .staff = "s1002", .match = SIGNON_MATCH_NO, .pin = PIN });
	assert_int_equal(r.result, SIGNON_R_NO_MATCH);
	assert_int_equal(failures(w, "s1002"), 1);
	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_BIO_PIN,
	    .staff = "s1002", .match = SIGNON_MATCH_YES, .pin = "0000" });
	assert_int_equal(r.result, SIGNON_R_WRONG_PIN);
	assert_int_equal(r.tries_left, 3);
	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_BIO_PIN,
	    .staff = "s1002", .match = SIGNON_MATCH_YES });
	assert_int_equal(r.result, SIGNON_R_MALFORMED);	/* no PIN */
	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_BIO_PIN,
	    .staff = "s1001", .match = SIGNON_MATCH_YES, .pin = PIN });
	assert_int_equal(r.result, SIGNON_R_FACTOR_REFUSED);
	assert_string_equal(w->rec.reason, "factor biometric-pin is not allowed for role clerk");
	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_BIO_PIN,
	    .staff = "s1002", .match = SIGNON_MATCH_YES, .pin = PIN });
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_string_equal(w->rec.factor, "biometric-pin");
	assert_int_equal(failures(w, "s1002"), 0);	/* a PIN: the count starts again */
	/* back to s1001 with the card */
	r = ask(w, &(struct ask){ .op = SIGNON_OP_HANDOVER, .factor = SIGNON_F_CARD_PIN,
	    .card = CARD, .pin = PIN });
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_string_equal(w->rec.reason, "handover from s1002 to s1001");
	assert_int_equal(failures(w, "s1001"), 0);
}

static int
count_rec(void *arg, const struct reg_signon_rec *rec)
{
	(void)rec;
	(*(int *)arg)++;
	return 0;
}

static void
t_audit_chain(void **state)
{
	struct world *w = *state;
	struct sk_error err;
	int64_t n;
	int k = 0;
	char json[2048];

	ask(w, &CARDPIN(PIN));
	ask(w, &CARDPIN("0000"));
	ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
	ask(w, &(struct ask){ .op = SIGNON_OP_SIGNOFF });
	authd_rec_json(&w->rec, json, sizeof(json));
	assert_non_null(strstr(json, "\"seq\":4,"));
	assert_non_null(strstr(json, "\"laptop\":\"pc-0001\",\"op\":\"signoff\""));
	assert_int_equal(reg_signon_verify(w->r, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(reg_signon_list(w->r, T0, T0 + 1, count_rec, &k, &err), 0);
	assert_int_equal(k, 4);
	/* altered: the wrong PIN made a success */
	OK(reg_exec(w->r, "UPDATE signon_audit SET result = 'ok' WHERE result = 'wrong-pin'",
	    0, NULL, NULL, NULL, &e_));
	assert_int_equal(reg_signon_verify(w->r, &n, &err), -EBADMSG);
	assert_string_equal(err.msg, "sign-on audit: record 2 (seq 2): altered (its hash"
	    " does not match its fields)");
	OK(reg_exec(w->r, "UPDATE signon_audit SET result = 'wrong-pin' WHERE seq = 2",
	    0, NULL, NULL, NULL, &e_));
	assert_int_equal(reg_signon_verify(w->r, &n, &err), 0);
	/* removed */
	OK(reg_exec(w->r, "DELETE FROM signon_audit WHERE seq = 2", 0, NULL, NULL, NULL, &e_));
	assert_int_equal(reg_signon_verify(w->r, &n, &err), -EBADMSG);
	assert_string_equal(err.msg, "sign-on audit: record 2 (seq 3): the chain breaks"
	    " before it: a record removed or altered");
}

static void
t_audit_tail(void **state)
{
	struct world *w = *state;
	struct sk_error err;
	int64_t n;

	ask(w, &CARDPIN(PIN));
	ask(w, &CARDPIN(PIN));
	OK(reg_exec(w->r, "DELETE FROM signon_audit WHERE seq = 2", 0, NULL, NULL, NULL, &e_));
	assert_int_equal(reg_signon_verify(w->r, &n, &err), -EBADMSG);
	assert_string_equal(err.msg, "sign-on audit: 1 records, the head says 2: the last 1"
	    " removed");
}

/* Item 2 of issue 14's second round: a keyed card checks its PIN itself,
 * and its refusal, reported by the agent through the relay, counts for
 * the user's lockout like any other failure. */
static void
t_pin_refused(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;
	char want[128];

	for (int i = 1; i <= 5; i++) {
		r = ask(w, &(struct ask){ .op = SIGNON_OP_PIN_REFUSED,
		    .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
		assert_int_equal(r.result, SIGNON_R_WRONG_PIN);
		assert_int_equal(r.op, SIGNON_OP_PIN_REFUSED);
		assert_int_equal(r.tries_left, 5 - i);
		assert_int_equal(r.lifetime_s, 0);
		assert_string_equal(r.staff, "s1001");
		assert_string_equal(w->rec.op, "pin-refused");
		assert_string_equal(w->rec.factor, "card-key");
		assert_string_equal(w->rec.result, "wrong-pin");
		assert_string_equal(w->rec.staff, "s1001");
		snprintf(want, sizeof(want), "wrong PIN: the card refused it (%d of 5)%s",
		    i, i == 5 ? "; user locked" : "");
		assert_string_equal(w->rec.reason, want);
	}
	assert_int_equal(failures(w, "s1001"), 5);
	/* locked for every factor: the card's key, the id card + PIN, a code */
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
	assert_int_equal(r.result, SIGNON_R_LOCKED);
	r = ask(w, &CARDPIN(PIN));
	assert_int_equal(r.result, SIGNON_R_LOCKED);
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CODE_PIN, .staff = "s1001",
	    .pin = PIN, .code = w->code });
	assert_int_equal(r.result, SIGNON_R_LOCKED);
	/* a further refusal is not counted past the lock */
	r = ask(w, &(struct ask){ .op = SIGNON_OP_PIN_REFUSED,
	    .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
	assert_int_equal(r.result, SIGNON_R_LOCKED);
	assert_int_equal(failures(w, "s1001"), 5);
	/* an id-only card has no PIN of its own to refuse; an unknown card
	 * counts for nobody */
	r = ask(w, &(struct ask){ .op = SIGNON_OP_PIN_REFUSED,
	    .factor = SIGNON_F_CARD_KEY, .card = "04A1B2C3" });
	assert_int_equal(r.result, SIGNON_R_FACTOR_REFUSED);
	r = ask(w, &(struct ask){ .op = SIGNON_OP_PIN_REFUSED,
	    .factor = SIGNON_F_CARD_KEY, .card = w->card2.id });
	assert_int_equal(r.result, SIGNON_R_UNKNOWN_CARD);
	assert_int_equal(failures(w, "s1003"), 0);
	OK(reg_staff_reset_failures(w->r, "s1001", &e_));
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
	assert_int_equal(r.result, SIGNON_R_OK);
}

static void
limits_on(struct world *w)
{
	assert_int_equal(authd_limits_init(&w->limits, AUTHD_SRC_RATE,
	    AUTHD_SRC_BURST), 0);
	w->e.limits = &w->limits;
	w->e.clock_ms = 5000000;
}

/* An IPv6 source's bucket is its /64: a host sending from address after
 * address of its /64 (2^64 of them) is one source; another /64, and an
 * IPv4 address mapped into IPv6, are not in it. */
static void
t_rate_source_v6(void **state)
{
	struct world *w = *state;
	struct signon_nonce_req nr;
	uint8_t b[SIGNON_MAX_LEN], out[SIGNON_MAX_LEN];
	char src[64];
	int answered = 0, notes = 0;

	limits_on(w);
	snprintf(nr.device, sizeof(nr.device), "pc-0001");
	assert_int_equal(signon_nonce_req_encode(b, sizeof(b), &nr), SIGNON_NONCE_REQ_LEN);
	for (int i = 0; i < 100; i++) {
		snprintf(src, sizeof(src), "[2001:db8:1:2:%x::%x]:%d", i, i + 1, 1000 + i);
		w->source = src;
		answered += roundtrip(w, b, SIGNON_NONCE_REQ_LEN, out) == SIGNON_CHALLENGE_LEN;
		if (w->e.has_note) {
			notes++;
			assert_string_equal(w->e.note, "source 2001:db8:1:2::/64 is over its"
			    " rate (1200 a minute, 40 at once): slowed down");
		}
	}
	assert_int_equal(answered, AUTHD_SRC_BURST);
	assert_int_equal(notes, 1);
	/* the next /64 and a mapped IPv4 address: buckets of their own */
	w->source = "[2001:db8:1:3::1]:1";
	assert_int_equal(roundtrip(w, b, SIGNON_NONCE_REQ_LEN, out), SIGNON_CHALLENGE_LEN);
	w->source = "[::ffff:10.77.0.9]:1";
	assert_int_equal(roundtrip(w, b, SIGNON_NONCE_REQ_LEN, out), SIGNON_CHALLENGE_LEN);
	w->source = "[::ffff:10.77.0.10]:1";
	assert_int_equal(roundtrip(w, b, SIGNON_NONCE_REQ_LEN, out), SIGNON_CHALLENGE_LEN);
}

/* One address hammering: its burst answered, then dropped with one note
 * a minute; a BOUND over the rate answered "slow-down" once a second;
 * another address, and the same one later, answered as before. */
static void
t_rate_source(void **state)
{
	struct world *w = *state;
	struct signon_nonce_req nr;
	struct signon_result_msg r;
	uint8_t b[SIGNON_MAX_LEN], out[SIGNON_MAX_LEN];
	int answered = 0, notes = 0;

	limits_on(w);
	w->source = "10.77.0.9:1234";
	snprintf(nr.device, sizeof(nr.device), "pc-0001");
	assert_int_equal(signon_nonce_req_encode(b, sizeof(b), &nr), SIGNON_NONCE_REQ_LEN);
	for (int i = 0; i < 100; i++) {
		w->source = i % 2 ? "10.77.0.9:1234" : "10.77.0.9:5678";	/* any port */
		answered += roundtrip(w, b, SIGNON_NONCE_REQ_LEN, out) == SIGNON_CHALLENGE_LEN;
		if (w->e.has_note) {
			notes++;
			assert_string_equal(w->e.note, "source 10.77.0.9 is over its rate"
			    " (1200 a minute, 40 at once): slowed down");
		}
	}
	assert_int_equal(answered, AUTHD_SRC_BURST);
	assert_int_equal(notes, 1);
	assert_int_equal(w->e.count[AUTHD_C_LIMITED], 100 - AUTHD_SRC_BURST);
	/* a BOUND from it: "slow-down", signed, unrecorded; the next one in
	 * the same second dropped */
	{
		uint8_t nonce[SIGNON_NONCE_LEN];

		w->source = "10.77.0.3:1";
		nonce_for(w, "pc-0001", nonce);
		w->source = "10.77.0.9:1234";
		r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id,
		    .nonce = nonce });
		assert_int_equal(r.result, SIGNON_R_SLOW_DOWN);
		assert_string_equal(w->rec.result, "");	/* no record */
		ask_dropped(w, &(struct ask){ .factor = SIGNON_F_CARD_PIN, .card = CARD });
	}
	/* another address: untouched */
	w->source = "10.77.0.10:1234";
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
	assert_int_equal(r.result, SIGNON_R_OK);
	/* the first one a second later: 20 tokens back */
	w->e.clock_ms += 1000;
	w->source = "10.77.0.9:1234";
	answered = 0;
	for (int i = 0; i < 30; i++)
		answered += roundtrip(w, b, SIGNON_NONCE_REQ_LEN, out) == SIGNON_CHALLENGE_LEN;
	assert_int_equal(answered, 20);
	assert_false(w->e.has_note);	/* one note a minute */
}

/* One laptop: its verified requests bounded (unrecorded "slow-down");
 * another laptop unaffected. Its failures bounded: after 20 counted, its
 * sign-ons are "slow-down", recorded, not checked or counted, so that it
 * locks four users at most; from another laptop the count goes on. */
static void
t_rate_laptop(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;
	static char src[32];
	int i;

	limits_on(w);
	/* each from an address of its own: the laptop's own rate, not its
	 * address's, is what is tested */
	for (i = 0; i < AUTHD_DEV_BURST; i++) {
		snprintf(src, sizeof(src), "10.77.1.%d:1", i);
		w->source = src;
		r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
		assert_int_equal(r.result, SIGNON_R_OK);
	}
	w->source = "10.77.2.1:1";
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
	assert_int_equal(r.result, SIGNON_R_SLOW_DOWN);
	assert_string_equal(w->rec.result, "");
	assert_true(w->e.has_note);
	assert_string_equal(w->e.note, "laptop pc-0001 is over its rate (120 a minute,"
	    " 30 at once): slowed down");
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_PIN, .card = CARD, .pin = PIN,
	    .device = "pc-0002", .key = &w->other });
	assert_int_equal(r.result, SIGNON_R_OK);

	/* failures: 5 each for s1001, s1004 and two more lock all four */
	OK(reg_card_assign(w->r, "0A0B0C0D", "mifare", "s1004", &e_));
	staff(w, "s1005", "clerk", PIN);
	staff(w, "s1006", "clerk", PIN);
	OK(reg_card_assign(w->r, "0A0B0C05", "mifare", "s1005", &e_));
	OK(reg_card_assign(w->r, "0A0B0C06", "mifare", "s1006", &e_));
	for (i = 0; i < AUTHD_FAIL_BURST; i++) {
		static const char *const cards[] = { CARD, "0A0B0C0D", "0A0B0C05",
		    "0A0B0C06" };

		w->e.clock_ms += 1000;	/* within the laptop's request rate */
		r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_PIN,
		    .card = cards[i / 5], .pin = "0000" });
		assert_int_equal(r.result, SIGNON_R_WRONG_PIN);
	}
	assert_int_equal(failures(w, "s1001"), 5);
	assert_int_equal(failures(w, "s1006"), 5);
	w->e.clock_ms += 1000;
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CODE_PIN, .staff = "s1002",
	    .pin = "0000", .code = "AAAA-AAAA-AAAA-AAAA" });
	assert_int_equal(r.result, SIGNON_R_SLOW_DOWN);
	assert_string_equal(w->rec.result, "slow-down");	/* recorded */
	assert_string_equal(w->rec.reason, "laptop pc-0001 caused 20 failures lately"
	    " (60 an hour at most): not checked, not counted");
	assert_int_equal(failures(w, "s1002"), 0);
	/* locked users stay locked (refused before the budget is asked) */
	r = ask(w, &CARDPIN(PIN));
	assert_int_equal(r.result, SIGNON_R_LOCKED);
	/* another laptop's failures count */
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CODE_PIN, .staff = "s1002",
	    .pin = "0000", .code = "AAAA-AAAA-AAAA-AAAA", .device = "pc-0002",
	    .key = &w->other });
	assert_int_equal(r.result, SIGNON_R_WRONG_PIN);
	assert_int_equal(failures(w, "s1002"), 1);
	/* a minute later the laptop has one failure again */
	w->e.clock_ms += 60000;
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CODE_PIN, .staff = "s1002",
	    .pin = "0000", .code = "AAAA-AAAA-AAAA-AAAA" });
	assert_int_equal(r.result, SIGNON_R_WRONG_PIN);
	assert_int_equal(failures(w, "s1002"), 2);
	w->e.clock_ms += 1000;
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CODE_PIN, .staff = "s1002",
	    .pin = "0000", .code = "AAAA-AAAA-AAAA-AAAA" });
	assert_int_equal(r.result, SIGNON_R_SLOW_DOWN);
}

/* The registry out of reach: a BOUND is answered "unavailable", never
 * checked, recorded or counted; challenges still go out. */
static void
t_unavailable(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;

	w->e.unavailable = 1;
	r = ask(w, &CARDPIN(PIN));
	assert_int_equal(r.result, SIGNON_R_UNAVAILABLE);
	assert_string_equal(w->rec.result, "");
	r = ask(w, &CARDPIN("0000"));
	assert_int_equal(r.result, SIGNON_R_UNAVAILABLE);
	assert_int_equal(failures(w, "s1001"), 0);
	assert_int_equal(w->e.count[AUTHD_C_UNAVAILABLE], 2);
	w->e.unavailable = 0;
	r = ask(w, &CARDPIN(PIN));
	assert_int_equal(r.result, SIGNON_R_OK);
}

static void
t_junk(void **state)
{
	struct world *w = *state;
	uint8_t b[SIGNON_MAX_LEN] = { 0 }, out[SIGNON_MAX_LEN];

	assert_int_equal(roundtrip(w, b, 10, out), 0);
	assert_int_equal(signon_hello_encode(b, sizeof(b)), SIGNON_HELLO_LEN);
	assert_int_equal(roundtrip(w, b, SIGNON_HELLO_LEN, out), 0);
	assert_int_equal(w->e.count[AUTHD_C_MALFORMED], 2);
}

/* The outbox the agent's EVENTS come from (events()). */
static uint64_t ev_outbox = 0xa1a1a1a1a1a1a1a1ull;

/* The agent's EVENTS from first (count of them) as the relay binds them
 * under key; in_batch: left in the open batch (no commit). */
static struct signon_events_ack
events(struct world *w, uint64_t first, int count, const struct signon_signer *key,
    const char *dev, int in_batch, int *nrec)
{
	static struct signon_events_bound eb;
	static struct reg_signon_rec recs[SIGNON_EV_MAX];
	struct signon_events_ack ack;
	uint8_t b[SIGNON_MAX_LEN], out[SIGNON_MAX_LEN];
	struct sk_error err;
	size_t outlen = 0;

	memset(&eb, 0, sizeof(eb));
	eb.ev.first_seq = first;
	eb.ev.count = (uint8_t)count;
	eb.ev.outbox = ev_outbox;
	for (int i = 0; i < count; i++) {
		eb.ev.ev[i].time = T0 - 100 + (uint64_t)i;
		eb.ev.ev[i].kind = i % 2 ? SIGNON_EV_MARK : SIGNON_EV_LOCK;
		eb.ev.ev[i].reason = i % 2 ? SIGNON_EVR_USER : SIGNON_EVR_CARD_REMOVED;
		snprintf(eb.ev.ev[i].staff, sizeof(eb.ev.ev[i].staff), "s1001");
	}
	assert_int_equal(signon_events_encode(eb.ev_raw, sizeof(eb.ev_raw), &eb.ev),
	    SIGNON_EVENTS_LEN);
	snprintf(eb.device, sizeof(eb.device), "%s", dev);
	snprintf(eb.uplink, sizeof(eb.uplink), "wlan0");
	eb.mode = SIGNON_MODE_REMOTE;
	eb.time = (uint64_t)w->now;
	assert_int_equal(signon_events_bound_sign(b, sizeof(b), &eb, key),
	    SIGNON_EVENTS_BOUND_LEN);
	if (authd_events(&w->e, b, SIGNON_EVENTS_BOUND_LEN, "10.77.0.2:40000", w->now,
	    out, &outlen, recs, nrec, &err) < 0)
		fail_msg("authd_events: %s", err.msg);
	if (!in_batch && authd_batch_commit(&w->e, &err) < 0)
		fail_msg("commit: %s", err.msg);
	assert_int_equal(outlen, SIGNON_EVENTS_ACK_LEN);
	assert_int_equal(signon_events_ack_decode(out, outlen, &ack), 0);
	assert_int_equal(signon_events_ack_verify(out, w->verifier.pub), 0);
	assert_int_equal(ack.first_seq, first);
	assert_int_equal(ack.count, count);
	assert_true(ack.outbox == ev_outbox);
	assert_string_equal(ack.device, dev);
	return ack;
}

static int
reasons(void *arg, const struct reg_signon_rec *rec)
{
	char *buf = arg;

	snprintf(buf + strlen(buf), 8192 - strlen(buf), "%s %s %s|", rec->op,
	    rec->staff, rec->reason);
	return 0;
}

static int
occurrences(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
t_events(void **state)
{
	struct world *w = *state;
	struct signon_events_ack ack;
	struct sk_error err;
	static char all[8192];
	int64_t n;
	int nrec;

	ack = events(w, 1, 12, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(ack.result, SIGNON_R_OK);
	assert_int_equal(ack.stored_through, 12);
	assert_int_equal(nrec, 12);
	/* the same batch again: nothing stored, the same answer */
	ack = events(w, 1, 12, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(ack.stored_through, 12);
	assert_int_equal(nrec, 0);
	assert_int_equal(w->e.count[AUTHD_C_EV_DUP], 12);
	/* overlapping, and twice within one transaction */
	ack = events(w, 10, 5, &w->dev, "pc-0001", 1, &nrec);
	assert_int_equal(nrec, 2);
	assert_int_equal(ack.stored_through, 14);
	ack = events(w, 10, 5, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(nrec, 0);
	assert_int_equal(ack.stored_through, 14);
	/* a gap is said, not hidden */
	ack = events(w, 20, 1, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(ack.stored_through, 20);
	/* another laptop's key, an unknown laptop: nothing of theirs stored */
	ack = events(w, 21, 3, &w->other, "pc-0001", 0, &nrec);
	assert_int_equal(ack.result, SIGNON_R_DEVICE);
	assert_int_equal(nrec, 1);
	ack = events(w, 1, 3, &w->dev, "pc-0404", 0, &nrec);
	assert_int_equal(ack.result, SIGNON_R_DEVICE);
	/* another laptop's seqs are its own */
	ack = events(w, 1, 2, &w->other, "pc-0002", 0, &nrec);
	assert_int_equal(ack.result, SIGNON_R_OK);
	assert_int_equal(ack.stored_through, 2);
	assert_int_equal(nrec, 2);
	/* a rolled-back batch stores nothing and does not move the seq */
	ack = events(w, 21, 2, &w->dev, "pc-0001", 1, &nrec);
	assert_int_equal(nrec, 2);
	authd_batch_abort(&w->e);
	ack = events(w, 21, 2, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(nrec, 2);
	assert_int_equal(ack.stored_through, 22);
	/* a new outbox on pc-0001 (its disk lost): seqs from 1 again, stored
	 * as new events, not taken for the old outbox's */
	ev_outbox = 0xb2b2b2b2b2b2b2b2ull;
	ack = events(w, 1, 3, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(ack.result, SIGNON_R_OK);
	assert_int_equal(nrec, 3);
	assert_int_equal(ack.stored_through, 3);
	ack = events(w, 1, 3, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(nrec, 0);	/* and once only */
	assert_int_equal(ack.stored_through, 3);
	/* the old outbox's seqs are where they were */
	ev_outbox = 0xa1a1a1a1a1a1a1a1ull;
	ack = events(w, 22, 1, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(nrec, 0);
	assert_int_equal(ack.stored_through, 22);
	/* a jump wider than an outbox holds (a sender that knows the id,
	 * seqs near the top): one record, refused, the seq stays; the
	 * agent's own next events are stored, not taken for duplicates */
	ack = events(w, UINT64_MAX - 20, 12, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(ack.result, SIGNON_R_MALFORMED);
	assert_int_equal(nrec, 1);
	assert_int_equal(ack.stored_through, 22);
	ack = events(w, 22 + SIGNON_EV_OUTBOX_MAX + 1, 1, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(ack.result, SIGNON_R_MALFORMED);
	assert_int_equal(ack.stored_through, 22);
	ack = events(w, 23, 1, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(ack.result, SIGNON_R_OK);
	assert_int_equal(nrec, 1);
	assert_int_equal(ack.stored_through, 23);
	/* the widest gap an outbox can hold is still said, and stored */
	ack = events(w, 23 + SIGNON_EV_OUTBOX_MAX, 1, &w->dev, "pc-0001", 0, &nrec);
	assert_int_equal(ack.result, SIGNON_R_OK);
	assert_int_equal(ack.stored_through, 23 + SIGNON_EV_OUTBOX_MAX);

	assert_int_equal(reg_signon_verify(w->r, &n, &err), 0);
	assert_int_equal(n, 12 + 2 + 1 + 1 + 1 + 2 + 2 + 3 + 2 + 1 + 1);
	all[0] = '\0';
	assert_int_equal(reg_signon_list(w->r, 0, 0, reasons, all, &err), 0);
#define OB_A	"; outbox a1a1a1a1a1a1a1a1"
	assert_non_null(strstr(all, "|lock s1001 event 11: card-removed; at 2027-01-15T07:58:30Z"
	    " on the laptop" OB_A "|mark s1001 event 12: user; at 2027-01-15T07:58:31Z on the"
	    " laptop" OB_A "|mark s1001 event 13: user; at 2027-01-15T07:58:23Z on the laptop"
	    OB_A "|lock s1001 event 14: card-removed;"));
	assert_non_null(strstr(all, "|lock s1001 event 20: card-removed; at 2027-01-15T07:58:20Z"
	    " on the laptop" OB_A "; events 15 to 19 never arrived|"));
	assert_non_null(strstr(all, "|lock s1001 event 1: card-removed; at 2027-01-15T07:58:20Z"
	    " on the laptop; outbox b2b2b2b2b2b2b2b2|"));
	assert_non_null(strstr(all, "|events  the events do not verify under laptop pc-0001's key|"));
	assert_non_null(strstr(all, "|events  unknown laptop pc-0404|"));
	assert_int_equal(occurrences(all, "s1001 event 1: "), 3);	/* pc-0001's two outboxes, pc-0002's */
	assert_int_equal(occurrences(all, "s1001 event 12: "), 1);
	assert_int_equal(occurrences(all, "s1001 event 22: "), 1);
	assert_non_null(strstr(all, "|events  events from 18446744073709551595 on outbox"
	    " a1a1a1a1a1a1a1a1: 18446744073709551572 past the last stored (22), more"
	    " than an outbox holds (8388608): refused|"));
	assert_non_null(strstr(all, "|events  events from 8388631 on outbox a1a1a1a1a1a1a1a1:"
	    " 8388608 past the last stored (22), more than an outbox holds (8388608):"
	    " refused|"));
	assert_non_null(strstr(all, "; events 24 to 8388630 never arrived|"));
}

/* Audit events from one address: a bucket of their own, a backlog's
 * burst taken at once, then dropped (no answer) with one note; the
 * sign-on's bucket untouched; none while the registry is out of reach. */
static void
t_events_limits(void **state)
{
	struct world *w = *state;
	static struct signon_events_bound eb;
	static struct reg_signon_rec recs[SIGNON_EV_MAX];
	struct signon_nonce_req nr;
	uint8_t b[SIGNON_MAX_LEN], out[SIGNON_MAX_LEN];
	struct sk_error err;
	size_t outlen;
	int nrec, answered = 0, notes = 0;

	limits_on(w);
	memset(&eb, 0, sizeof(eb));
	eb.ev.first_seq = 1;
	eb.ev.count = 1;
	eb.ev.outbox = 1;
	eb.ev.ev[0].kind = SIGNON_EV_MARK;
	assert_int_equal(signon_events_encode(eb.ev_raw, sizeof(eb.ev_raw), &eb.ev),
	    SIGNON_EVENTS_LEN);
	snprintf(eb.device, sizeof(eb.device), "pc-0001");
	assert_int_equal(signon_events_bound_sign(b, sizeof(b), &eb, &w->dev),
	    SIGNON_EVENTS_BOUND_LEN);
	for (int i = 0; i < AUTHD_EV_BURST + 5; i++) {
		if (authd_events(&w->e, b, SIGNON_EVENTS_BOUND_LEN, "10.77.0.9:1", w->now,
		    out, &outlen, recs, &nrec, &err) < 0)
			fail_msg("%s", err.msg);
		answered += outlen == SIGNON_EVENTS_ACK_LEN;
		if (w->e.has_note) {
			notes++;
			assert_string_equal(w->e.note, "source 10.77.0.9 is over its audit"
			    " events rate (6000 a minute, 1000 at once): dropped");
		}
	}
	assert_int_equal(authd_batch_commit(&w->e, &err), 0);
	assert_int_equal(answered, AUTHD_EV_BURST);
	assert_int_equal(notes, 1);
	/* the sign-on's bucket is whole: a NONCE_REQ is answered */
	snprintf(nr.device, sizeof(nr.device), "pc-0001");
	assert_int_equal(signon_nonce_req_encode(out, sizeof(out), &nr), SIGNON_NONCE_REQ_LEN);
	w->source = "10.77.0.9:2";
	assert_int_equal(roundtrip(w, out, SIGNON_NONCE_REQ_LEN, b), SIGNON_CHALLENGE_LEN);
	/* another address is not held back; the registry out of reach: dropped */
	assert_int_equal(signon_events_bound_sign(b, sizeof(b), &eb, &w->dev),
	    SIGNON_EVENTS_BOUND_LEN);
	assert_int_equal(authd_events(&w->e, b, SIGNON_EVENTS_BOUND_LEN, "10.77.0.8:1",
	    w->now, out, &outlen, recs, &nrec, &err), 0);
	assert_int_equal(outlen, SIGNON_EVENTS_ACK_LEN);
	w->e.unavailable = 1;
	assert_int_equal(authd_events(&w->e, b, SIGNON_EVENTS_BOUND_LEN, "10.77.0.7:1",
	    w->now, out, &outlen, recs, &nrec, &err), 0);
	assert_int_equal(outlen, 0);
	authd_batch_abort(&w->e);
}

/* A BOUND for dev signed by key, which verifies under no laptop's key
 * (answered "device"): 1 if it was recorded. */
static int
unverified(struct world *w, const char *dev, const struct signon_signer *key)
{
	static struct signon_bound bd;
	struct signon_request q;
	struct signon_result_msg res;
	uint8_t b[SIGNON_MAX_LEN], out[SIGNON_MAX_LEN];

	memset(&q, 0, sizeof(q));
	q.op = SIGNON_OP_SIGNON;
	q.factor = SIGNON_F_CARD_PIN;
	memset(q.nonce, 7, sizeof(q.nonce));
	snprintf(q.card, sizeof(q.card), "%s", CARD);
	memset(&bd, 0, sizeof(bd));
	assert_int_equal(signon_request_seal(bd.req_raw, sizeof(bd.req_raw), &q,
	    w->unsealer.pub, PIN, strlen(PIN), "", 0), SIGNON_REQUEST_LEN);
	snprintf(bd.device, sizeof(bd.device), "%s", dev);
	bd.time = (uint64_t)w->now;
	assert_int_equal(signon_bound_sign(b, sizeof(b), &bd, key), SIGNON_BOUND_LEN);
	assert_int_equal(roundtrip(w, b, SIGNON_BOUND_LEN, out), SIGNON_RESULT_LEN);
	assert_int_equal(signon_result_decode(out, SIGNON_RESULT_LEN, &res), 0);
	assert_int_equal(signon_result_verify(out, w->verifier.pub), 0);
	assert_int_equal(res.result, SIGNON_R_DEVICE);
	return w->rec.result[0] != '\0';
}

/* Requests that verify under no laptop's key (an unknown or revoked
 * laptop, another's key) are answered "device" and recorded, but from one
 * address at most AUTHD_UNV_BURST at once and AUTHD_UNV_RATE a minute:
 * whatever reaches the verifier's port cannot write the audit trail (and
 * fill the registry's disk) at the source rate, 1,200 records a minute
 * and 6,000 more as audit events. One note a minute says so; a laptop
 * that verifies, from the same address, and another address, are
 * recorded as before. */
static void
t_rate_unverified(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r;
	struct signon_events_ack ack;
	char head[REG_HASH_HEX];
	int64_t n0, n1;
	int recorded = 0, notes = 0, nrec;

	limits_on(w);
	w->source = "10.77.0.9:1234";
	OK(reg_signon_head(w->r, &n0, head, &e_));
	for (int i = 0; i < 100; i++) {
		w->e.clock_ms += 100;	/* 10 a second: within the source's rate */
		recorded += unverified(w, i % 2 ? "pc-9999" : "pc-0002", &w->dev);
		if (w->e.has_note) {
			notes++;
			assert_string_equal(w->e.note, "source 10.77.0.9 sent more requests"
			    " that verify under no laptop's key than 60 a minute (20 at"
			    " once): answered, not recorded");
		}
	}
	OK(reg_signon_head(w->r, &n1, head, &e_));
	/* the burst, then one a second: 10 s */
	assert_int_equal(recorded, AUTHD_UNV_BURST + 9);
	assert_int_equal(n1 - n0, recorded);
	assert_int_equal(notes, 1);
	/* the same address, a laptop that verifies: recorded */
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id });
	assert_int_equal(r.result, SIGNON_R_OK);
	assert_string_equal(w->rec.result, "ok");
	/* another address: recorded */
	w->source = "10.77.0.10:1234";
	assert_int_equal(unverified(w, "pc-9999", &w->dev), 1);
	/* audit events that verify under no laptop's key: the same bound
	 * (events() sends from 10.77.0.2) */
	recorded = 0;
	for (int i = 0; i < 30; i++) {
		ack = events(w, 1, 1, &w->dev, "pc-9999", 0, &nrec);
		assert_int_equal(ack.result, SIGNON_R_DEVICE);
		recorded += nrec;
	}
	assert_int_equal(recorded, AUTHD_UNV_BURST);
}

/*
 * The nonces' clock never goes back (nonce.h). A used nonce is remembered
 * until it expires, and its slot is then free for another; were the
 * clock then stepped back (NTP, an operator), the nonce would be fresh
 * again and nowhere remembered: a captured exchange replayed.
 */
static void
t_nonce_clock_back(void **state)
{
	struct nonce_state st;
	uint8_t key[NONCE_KEY_LEN] = { 9 }, n1[SIGNON_NONCE_LEN], n[SIGNON_NONCE_LEN];
	uint64_t c1;
	int reused = 0;

	(void)state;
	assert_int_equal(nonce_init(&st, key, 30, 64), 0);
	nonce_mint(&st, "pc-0001", 1000, n1);
	assert_int_equal(nonce_use(&st, n1, "pc-0001", 1000), NONCE_OK);
	c1 = be64_get(n1 + 8);
	/* 30 s on, n1 has expired; new nonces are used until one takes its slot */
	for (int i = 0; i < 64 && !reused; i++) {
		nonce_mint(&st, "pc-0001", 1030, n);
		assert_int_equal(nonce_use(&st, n, "pc-0001", 1030), NONCE_OK);
		reused = 1;
		for (size_t s = 0; s <= st.mask; s++)
			if (st.slots[s].counter == c1)
				reused = 0;
	}
	assert_true(reused);
	/* the clock stepped back 20 s: n1 is not good again */
	assert_int_equal(nonce_use(&st, n1, "pc-0001", 1010), NONCE_E_EXPIRED);
	/* a nonce minted meanwhile is good, once */
	nonce_mint(&st, "pc-0001", 1011, n);
	assert_int_equal(nonce_use(&st, n, "pc-0001", 1012), NONCE_OK);
	assert_int_equal(nonce_use(&st, n, "pc-0001", 1013), NONCE_E_USED);
	nonce_free(&st);
}

/* The engine's nonces run on the daemon's monotonic clock (e.clock_ms),
 * not the wall clock of the records: a wall clock stepped forward does
 * not expire a sign-on under way, one stepped back revives nothing, and
 * 30 s of real time expire a nonce whatever the wall clock says. */
static void
t_nonce_wall_clock(void **state)
{
	struct world *w = *state;
	struct signon_result_msg r, res;
	uint8_t nonce[SIGNON_NONCE_LEN], bound[SIGNON_BOUND_LEN], out[SIGNON_MAX_LEN];

	w->e.clock_ms = 5000000;
	nonce_for(w, "pc-0001", nonce);
	w->now += 60;			/* stepped forward a minute */
	w->e.clock_ms += 1000;		/* while a second passed */
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id,
	    .nonce = nonce, .bound_out = bound });
	assert_int_equal(r.result, SIGNON_R_OK);
	w->now -= 3600;			/* stepped back an hour */
	w->e.clock_ms += 1000;
	assert_int_equal(roundtrip(w, bound, sizeof(bound), out), SIGNON_RESULT_LEN);
	assert_int_equal(signon_result_decode(out, SIGNON_RESULT_LEN, &res), 0);
	assert_int_equal(res.result, SIGNON_R_REPLAY);
	assert_string_equal(w->rec.reason, "nonce used before (a replay)");
	nonce_for(w, "pc-0001", nonce);
	w->now -= 3600;			/* back again, but 30 s have passed */
	w->e.clock_ms += 30000;
	r = ask(w, &(struct ask){ .factor = SIGNON_F_CARD_KEY, .card = w->card.id,
	    .nonce = nonce });
	assert_int_equal(r.result, SIGNON_R_REPLAY);
	assert_string_equal(w->rec.reason, "nonce expired");
}

#define SQ(t) cmocka_unit_test_setup_teardown(t, setup_sq, teardown)
#define PG(t) cmocka_unit_test_setup_teardown(t, setup_pg, teardown)

int
main(void)
{
	const struct CMUnitTest sq[] = {
		SQ(t_card_pin), SQ(t_lockout_across_factors), SQ(t_replay_and_laptops),
		SQ(t_card_key), SQ(t_code), SQ(t_biometric_and_events),
		SQ(t_audit_chain), SQ(t_audit_tail), SQ(t_junk), SQ(t_pin_refused),
		SQ(t_rate_source), SQ(t_rate_source_v6), SQ(t_rate_laptop), SQ(t_unavailable), SQ(t_handover), SQ(t_events),
		SQ(t_events_limits), SQ(t_nonce_clock_back), SQ(t_nonce_wall_clock),
		SQ(t_rate_unverified),
	};
	const struct CMUnitTest pg[] = {
		PG(t_card_pin), PG(t_lockout_across_factors), PG(t_replay_and_laptops),
		PG(t_code), PG(t_audit_chain), PG(t_audit_tail), PG(t_pin_refused),
		PG(t_rate_laptop), PG(t_handover), PG(t_events),
	};
	const char *env = getenv("SEKISHO_TEST_PG_URL");
	char cmd[512];
	FILE *p;
	int rc, started = 0;

	if (mkdtemp(tmpdir) == NULL || chmod(tmpdir, 0711) == -1)
		return 1;
	if (env != NULL)
		snprintf(pg_url, sizeof(pg_url), "%s", env);
	else {
		snprintf(cmd, sizeof(cmd), "bash tests/lab/pg.sh start %s/pg", tmpdir);
		if ((p = popen(cmd, "r")) == NULL || fgets(pg_url, sizeof(pg_url), p) == NULL) {
			fprintf(stderr, "test_authd: could not start PostgreSQL\n");
			return 1;
		}
		pclose(p);
		pg_url[strcspn(pg_url, "\n")] = '\0';
		started = 1;
	}
	rc = cmocka_run_group_tests_name("authd sqlite", sq, NULL, NULL);
	rc |= cmocka_run_group_tests_name("authd postgresql", pg, NULL, NULL);
	if (started) {
		snprintf(cmd, sizeof(cmd), "bash tests/lab/pg.sh stop %s/pg", tmpdir);
		if (system(cmd) != 0)
			rc |= 1;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		rc |= 1;
	return rc;
}
