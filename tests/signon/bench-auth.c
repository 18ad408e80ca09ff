/*
 * bench-auth: the verifier's engine in process (agency/sekisho-authd),
 * on a real registry, one thread: the morning's sign-ons, each laptop of
 * N signing on once (its session opened: stage 2), requests built
 * beforehand as the agent
 * and the laptop's relay build them (a nonce from the engine, the card's
 * ECDSA P-256 answer, the laptop's Ed25519 signature), then timed through
 * authd_handle in batches of 64 with a commit each, as the daemon does:
 * the laptop's signature, the nonce, the user, the card's signature, the
 * failure counter, the audit record chained and inserted, the signed
 * result. Sockets are not in it (the bench measures the verifier). The
 * time is the process's CPU time (one thread: one core's seconds), so
 * that other load on the machine does not count against it; the
 * registry's disk waits (SQLite WAL, synchronous=NORMAL) are not CPU
 * time and are not in it either.
 *
 *	bench-auth REGISTRY-URL key N      card challenge-response: logins/s
 *	bench-auth REGISTRY-URL pin N      card + PIN, Argon2id at the
 *	                                   production parameters: logins/s
 * Prints "NAME VALUE".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agency/sekisho-authd/engine.h"
#include "lib/encode.h"
#include "registry/ops.h"
#include "tests/signon/testcard.h"

#define NOW	1800000000
static const struct reg_actor it_actor = { "it-test", "test" };

static void
die(const char *what, const struct sk_error *err)
{
	fprintf(stderr, "bench-auth: %s: %s\n", what, err != NULL ? err->msg : "");
	exit(1);
}

/* CPU time of this process: the figure is per core-second, which a busy
 * shared machine does not change the way it changes wall time. */
static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
#define now_s()		clock_s(CLOCK_PROCESS_CPUTIME_ID)
#define wall_s()	clock_s(CLOCK_MONOTONIC)

int
main(int argc, char **argv)
{
	static const char rl[] = "role * card-pin card-key code-pin\n";
	static struct rules rules;
	static struct nonce_state nonces;
	static struct authd_limits limits;
	struct signon_signer ver, dev;
	struct signon_unsealer uns;
	struct authd_engine e;
	struct testcard card;
	struct reg *r;
	struct sk_error err;
	struct reg_group g = { .name = "default", .tmpl = "x", .key_file = "/k" };
	struct reg_device d;
	struct reg_staff s = { .staff_id = "s1001", .name = "n", .role = "clerk",
	    .source = "cli" };
	uint8_t seed[32], pub[32], key[32] = { 1 }, out[SIGNON_MAX_LEN];
	char b64[KEY_B64_LEN];
	uint8_t (*reqs)[SIGNON_BOUND_LEN];
	struct reg_signon_rec rec;
	int pin, n, ok = 0, has;
	size_t outlen;
	double t0, t1, w0, w1;

	if (argc != 4 || (n = atoi(argv[3])) <= 0)
		die("usage: bench-auth URL key|pin N", NULL);
	pin = strcmp(argv[2], "pin") == 0;
	if (reg_open(argv[1], &r, &err) < 0)
		die("reg_open", &err);
	rules_parse("rules", rl, sizeof(rl) - 1, &rules, &err);
	signon_ed25519_keygen(seed, pub);
	signon_signer_init(&ver, seed);
	signon_ed25519_keygen(seed, pub);
	signon_signer_init(&dev, seed);
	signon_x25519_keygen(seed, pub);
	signon_unsealer_init(&uns, seed);
	testcard_new(&card);
	nonce_init(&nonces, key, 300, 1u << 18);
	key_to_b64(b64, dev.pub);
	if (reg_begin(r, &err) < 0 || reg_meta_set(r, "pool4", "10.77.0.0/16", &err) < 0 ||
	    reg_group_add(r, &g, &err) < 0 ||
	    reg_staff_put(r, &it_actor, &s, NULL, &err) < 0 ||
	    reg_pin_set(r, "s1001", "4711", 4, &err) < 0 ||
	    reg_card_assign(r, "0123456789ABCDEF", "felica", "s1001", &err) < 0 ||
	    reg_card_assign(r, card.id, "pubkey", "s1001", &err) < 0 ||
	    reg_commit(r, &err) < 0)
		die("registry", &err);
	/* the laptops, all with the same sign-on key (the registry does not
	 * mind; the verifier parses each laptop's as if it were its own) */
	if (reg_begin(r, &err) < 0)
		die("registry", &err);
	for (int i = 0; i < n; i++) {
		memset(&d, 0, sizeof(d));
		snprintf(d.name, sizeof(d.name), "pc-%05d", i);
		strcpy(d.grp, "default");
		if (reg_device_add(r, &d, 0, &err) < 0 ||
		    reg_device_signkey_set(r, d.name, b64, &err) < 0)
			die("registry", &err);
	}
	if (reg_commit(r, &err) < 0)
		die("registry", &err);
	memset(&e, 0, sizeof(e));
	e.r = r;
	e.rules = &rules;
	e.signer = &ver;
	e.unsealer = &uns;
	e.nonces = &nonces;
	e.lifetime_s = 28800;
	e.max_failures = REG_MAX_FAILURES;
	/* the daemon's rate limits, each laptop from its own tunnel address */
	if (authd_limits_init(&limits, AUTHD_SRC_RATE, AUTHD_SRC_BURST) < 0)
		die("out of memory", NULL);
	e.limits = &limits;

	if ((reqs = calloc((size_t)n, sizeof(*reqs))) == NULL)
		die("out of memory", NULL);
	for (int i = 0; i < n; i++) {
		static struct signon_bound bd;
		struct signon_request q;

		memset(&q, 0, sizeof(q));
		memset(&bd, 0, sizeof(bd));
		q.op = SIGNON_OP_SIGNON;
		snprintf(bd.device, sizeof(bd.device), "pc-%05d", i);
		nonce_mint(&nonces, bd.device, NOW, q.nonce);
		if (pin) {
			q.factor = SIGNON_F_CARD_PIN;
			strcpy(q.card, "0123456789ABCDEF");
		} else {
			uint8_t dg[32];

			q.factor = SIGNON_F_CARD_KEY;
			strcpy(q.card, card.id);
			signon_card_digest(dg, q.nonce, q.card);
			testcard_sign(&card, dg, q.card_sig);
		}
		if (signon_request_seal(bd.req_raw, sizeof(bd.req_raw), &q, uns.pub,
		    pin ? "4711" : "", pin ? 4 : 0, "", 0) != SIGNON_REQUEST_LEN)
			die("seal", NULL);
		bd.mode = SIGNON_MODE_REMOTE;
		bd.time = NOW;
		if (signon_bound_sign(reqs[i], SIGNON_BOUND_LEN, &bd, &dev) != SIGNON_BOUND_LEN)
			die("sign", NULL);
	}
	t0 = now_s();
	w0 = wall_s();
	for (int i = 0; i < n; i++) {
		char src[32];

		snprintf(src, sizeof(src), "10.77.%d.%d:51820", 1 + i / 250, 2 + i % 250);
		if (authd_handle(&e, reqs[i], SIGNON_BOUND_LEN, src, NOW, out,
		    &outlen, &rec, &has, &err) < 0)
			die("handle", &err);
		if (strcmp(rec.result, "ok") == 0)
			ok++;
		else if (getenv("BENCH_DEBUG") != NULL)
			fprintf(stderr, "%d: %s: %s\n", i, rec.result, rec.reason);
		if ((i + 1) % 64 == 0 && authd_batch_commit(&e, &err) < 0)
			die("commit", &err);
	}
	if (authd_batch_commit(&e, &err) < 0)
		die("commit", &err);
	t1 = now_s();
	w1 = wall_s();
	if (ok != n)
		die("not every login was accepted", NULL);
	printf("%s %.0f\n%s_wall %.0f\n", pin ? "pin_logins_per_s" : "logins_per_s",
	    n / (t1 - t0), pin ? "pin_logins_per_s" : "logins_per_s", n / (w1 - w0));
	return 0;
}
