/* libFuzzer: the verifier's handling of any datagram
 * (agency/sekisho-authd/engine.h), on a real SQLite registry made at
 * start. The first byte picks the way in: 0, the bytes as they arrive
 * (unsigned junk, forged BOUNDs); otherwise the bytes are the agent's
 * REQUEST, bound and signed as a genuine laptop's relay would, with a
 * fresh nonce, so the fuzzer reaches the user, factor and audit logic.
 * Bit 1 of the first byte turns the rate limits on (every input from the
 * same address and laptop: the limits soon answer "slow-down"), bits 1
 * and 2 together the registry's absence ("unavailable"). With bit 3, the
 * bytes are an EVENTS bound and signed by that laptop's relay (the audit
 * outbox's batches: the seq logic).
 * Each batch is rolled back: the registry stays as made. Whatever the
 * bytes: no answer, or a challenge, or a result that decodes and verifies
 * under the verifier's key. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/sekisho-authd/engine.h"
#include "lib/encode.h"
#include "registry/ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct reg *r;
static const struct reg_actor it_actor = { "it-test", "test" };
static struct rules rules;
static struct signon_signer verifier, dev;
static struct signon_unsealer unsealer;
static struct nonce_state nonces;
static struct authd_engine e;
static struct authd_limits limits;	/* e.clock_ms starts at 0 */
static int64_t now = 1800000000;

static void
die(const char *what, const struct sk_error *err)
{
	fprintf(stderr, "fuzz_authd: %s: %s\n", what, err != NULL ? err->msg : "");
	exit(1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/fuzz_authd.XXXXXX";
	static const char rl[] = "role * card-pin card-key code-pin biometric\n";
	char url[128], b64[KEY_B64_LEN];
	uint8_t seed[32] = { 7 }, key[32] = { 9 };
	struct reg_group g = { .name = "default", .tmpl = "x", .key_file = "/k" };
	struct reg_device d = { .name = "pc-0001", .grp = "default" };
	struct reg_staff s = { .staff_id = "s1001", .name = "n", .role = "clerk",
	    .source = "cli" };
	struct sk_error err;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	snprintf(url, sizeof(url), "sqlite:%s/r.db", dir);
	if (reg_open(url, &r, &err) < 0)
		die("reg_open", &err);
	if (rules_parse("rules", rl, sizeof(rl) - 1, &rules, &err) < 0)
		die("rules", &err);
	signon_signer_init(&verifier, seed);
	seed[0] = 8;
	signon_signer_init(&dev, seed);
	seed[0] = 9;
	signon_unsealer_init(&unsealer, seed);
	nonce_init(&nonces, key, 30, 1024);
	key_to_b64(b64, dev.pub);
	if (reg_begin(r, &err) < 0 || reg_meta_set(r, "pool4", "10.77.0.0/24", &err) < 0 ||
	    reg_group_add(r, &g, &err) < 0 || reg_device_add(r, &d, 0, &err) < 0 ||
	    reg_device_signkey_set(r, "pc-0001", b64, &err) < 0 ||
	    reg_staff_put(r, &it_actor, &s, NULL, &err) < 0 ||
	    reg_card_assign(r, "0123456789ABCDEF", "felica", "s1001", &err) < 0 ||
	    reg_commit(r, &err) < 0)
		die("registry", &err);
	e.r = r;
	e.rules = &rules;
	e.signer = &verifier;
	e.unsealer = &unsealer;
	e.nonces = &nonces;
	e.lifetime_s = 3600;
	e.max_failures = REG_MAX_FAILURES;
	if (authd_limits_init(&limits, AUTHD_SRC_RATE, AUTHD_SRC_BURST) < 0)
		die("limits", NULL);
	return 0;
}

static void
check_answer(const uint8_t *out, size_t outlen)
{
	struct signon_challenge c;
	struct signon_result_msg m;

	if (outlen == 0)
		return;
	if (outlen == SIGNON_CHALLENGE_LEN) {
		if (signon_challenge_decode(out, outlen, &c) != SIGNON_OK)
			__builtin_trap();
		return;
	}
	if (outlen != SIGNON_RESULT_LEN || signon_result_decode(out, outlen, &m) != SIGNON_OK ||
	    signon_result_verify(out, verifier.pub) != SIGNON_OK)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct signon_bound bd;
	uint8_t in[SIGNON_MAX_LEN], out[SIGNON_MAX_LEN];
	struct reg_signon_rec rec;
	struct sk_error err;
	size_t len = 0, outlen;
	int has;

	if (size == 0)
		return 0;
	now += 31;	/* every earlier nonce expired: the table never fills */
	e.limits = data[0] & 2 ? &limits : NULL;
	e.clock_ms += 10;	/* the rates' clock: 100 inputs a second */
	e.unavailable = (data[0] & 6) == 6;
	if (data[0] == 0) {
		len = size - 1 > sizeof(in) ? sizeof(in) : size - 1;
		memcpy(in, data + 1, len);
	} else if (data[0] & 8) {
		static struct signon_events_bound eb;
		static struct reg_signon_rec recs[SIGNON_EV_MAX];
		struct signon_events_ack ack;
		int nrec;

		memset(&eb, 0, sizeof(eb));
		memcpy(eb.ev_raw, data + 1, size - 1 > SIGNON_EVENTS_LEN ?
		    SIGNON_EVENTS_LEN : size - 1);
		strcpy(eb.device, "pc-0001");
		eb.time = (uint64_t)now;
		if (signon_events_decode(eb.ev_raw, SIGNON_EVENTS_LEN, &eb.ev) != SIGNON_OK ||
		    signon_events_bound_sign(in, sizeof(in), &eb, &dev) !=
		    SIGNON_EVENTS_BOUND_LEN)
			return 0;	/* not an EVENTS: the relay would not send it */
		if (authd_events(&e, in, SIGNON_EVENTS_BOUND_LEN, "192.0.2.1:1", now, out,
		    &outlen, recs, &nrec, &err) < 0)
			die("authd_events", &err);
		authd_batch_abort(&e);
		if (outlen == 0 && (e.limits != NULL || e.unavailable))
			return 0;	/* over its rate, or no registry: dropped */
		if (outlen != SIGNON_EVENTS_ACK_LEN ||
		    signon_events_ack_decode(out, outlen, &ack) != SIGNON_OK ||
		    signon_events_ack_verify(out, verifier.pub) != SIGNON_OK)
			__builtin_trap();
		/* Each batch is rolled back, so nothing is ever stored: a batch
		 * starting past what an outbox holds is refused with one record
		 * and the stored sequence (0) stays; any other is taken whole. */
		if (eb.ev.first_seq > (uint64_t)SIGNON_EV_OUTBOX_MAX) {
			if (ack.result != SIGNON_R_MALFORMED || nrec != 1 ||
			    ack.stored_through != 0 || ack.outbox != eb.ev.outbox)
				__builtin_trap();
			return 0;
		}
		if (ack.result != SIGNON_R_OK || nrec != eb.ev.count ||
		    ack.stored_through != eb.ev.first_seq + eb.ev.count - 1 ||
		    ack.outbox != eb.ev.outbox)
			__builtin_trap();
		return 0;
	} else {
		memset(&bd, 0, sizeof(bd));
		memcpy(bd.req_raw, data + 1, size - 1 > SIGNON_REQUEST_LEN ?
		    SIGNON_REQUEST_LEN : size - 1);
		if (data[0] & 1)	/* a genuine nonce */
			nonce_mint(&nonces, "pc-0001", now, bd.req_raw + SIGNON_REQ_OFF_NONCE);
		strcpy(bd.device, "pc-0001");
		bd.mode = SIGNON_MODE_OFFICE;
		bd.time = (uint64_t)now;
		if (signon_bound_sign(in, sizeof(in), &bd, &dev) != SIGNON_BOUND_LEN)
			return 0;	/* not a REQUEST: the relay would not send it */
		len = SIGNON_BOUND_LEN;
	}
	if (authd_handle(&e, in, len, "192.0.2.1:1", now, out, &outlen, &rec, &has,
	    &err) < 0)
		die("authd_handle", &err);
	authd_batch_abort(&e);
	check_answer(out, outlen);
	return 0;
}
