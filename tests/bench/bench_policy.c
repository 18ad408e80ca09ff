/* The figures of tests/bench/policy.sh, measured in process so that no
 * process start-up is counted. Prints "NAME VALUE" lines; the script
 * formats them.
 *
 *   bench-policy verify BUNDLE AGENCY-PUBKEY RUNS
 *       verify_us  bundle_verify alone (decode + Ed25519), median
 *       open_us    bundle_open: verify, device, serial, parse, checks
 *   bench-policy apply POLICY RUNS      (inside a network namespace)
 *       prefixes, services, services_remote, sets, ruleset_bytes
 *                  what was compiled: lgwan prefixes, service rules (and
 *                  those of remote mode, the mode rendered), sets, the
 *                  ruleset text's length
 *       parse_ms   policy_parse_file
 *       first_ms   sekishod's full load (fw_load, remote mode), no
 *                  table in the kernel yet
 *       apply_ms   the same over the base ruleset, as sekishod starts
 *                  (the policy's sets by nfnetlink, then one libnftables
 *                  transaction for the chains), median (wall)
 *       apply_cpu_ms, apply_runq_ms, apply_render_ms
 *                  of it: this process's CPU time, its time runnable but
 *                  waiting for a CPU (other work), the rendering alone
 *       replace_ms, replace_cpu_ms
 *                  fw_load over the same policy's table in force (its
 *                  sets' names taken: one transaction of text, elements
 *                  included), median
 *   bench-policy switch POLICY RUNS     (inside a network namespace)
 *       switch_ms, switch_p95_ms, switch_bytes
 *                  sekishod's mode change (fw_switch_mode), remote and
 *                  office in turn, with the policy's table in force
 *   bench-policy live POLICY-A POLICY-B RUNS
 *       live_ms, live_p95_ms, live_bytes
 *                  sekishod's policy change (fw_policy_diff, dry run,
 *                  apply) from A to B and back, remote mode
 *   bench-policy steps inc|full|base OUTDIR POLICY...
 *                  for each policy in turn (remote mode, office over up0
 *                  for every other one): "inc" changes the table by
 *                  difference (mode, then policy), "full" loads it
 *                  whole as one transaction of text (fw_load_text),
 *                  "base" loads the base ruleset and then the policy's
 *                  table with fw_load, as sekishod starts (its sets by
 *                  nfnetlink, then the chains); after each, the kernel's
 *                  table as JSON in OUTDIR/N.json
 *                  (tests/integration/67-incremental.sh)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nftables/libnftables.h>

#include "lib/buf.h"
#include "lib/encode.h"
#include "lib/util.h"
#include "lib/nftload.h"
#include "policy/render/fw_render.h"
#include "policy/bundle.h"
#include "policy/policy.h"
#include "netvm/sekishod/firewall.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* This process's CPU time, user and system (the kernel's share of a
 * transaction runs in the sending syscall): on a machine shared with
 * other work, a figure that other processes do not stretch. */
static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static int
die(const char *what)
{
	fprintf(stderr, "bench-policy: %s\n", what);
	return 1;
}

static int
bench_verify(const char *path, const char *pub_b64, size_t runs)
{
	uint8_t key[BUNDLE_KEY_LEN], *buf;
	uint64_t *v = calloc(runs, sizeof(*v)), *w = calloc(runs, sizeof(*w)), t;
	struct bundle_trust tr = { .n_keys = 1 };
	struct sk_error err;
	struct bundle b;
	struct policy p;
	size_t len;

	if (v == NULL || w == NULL || key_from_b64(key, pub_b64) != 0 ||
	    bundle_read_file(path, &buf, &len, &err) != 0 ||
	    bundle_decode(buf, len, path, &b, &err) != BUNDLE_OK)
		return die("cannot read the bundle or the key");
	tr.keys = (const uint8_t (*)[BUNDLE_KEY_LEN])&key;
	for (size_t i = 0; i < runs; i++) {
		t = now_ns();
		if (bundle_verify(&b, path, tr.keys, 1, NULL, &err) != BUNDLE_OK)
			return die(err.msg);
		v[i] = now_ns() - t;
		t = now_ns();
		if (bundle_open(buf, len, path, &tr, &p, NULL, &err) != BUNDLE_OK)
			return die(err.msg);
		w[i] = now_ns() - t;
		policy_free(&p);
	}
	printf("bytes %zu\nverify_us %.1f\nopen_us %.1f\n", len,
	    median(v, runs) / 1e3, median(w, runs) / 1e3);
	free(buf);
	free(v);
	free(w);
	return 0;
}

/* This thread's time waiting on a run queue (runnable, not running:
 * other work on a shared machine), from /proc/thread-self/schedstat;
 * 0 if unreadable. */
static uint64_t
runq_ns(void)
{
	unsigned long long on = 0, wait = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &on, &wait) != 2)
		wait = 0;
	fclose(f);
	return wait;
}

struct apply_time {
	uint64_t	wall, cpu, runq;	/* the whole, ns */
	uint64_t	render, render_cpu;	/* fw_policy_diff: text and model */
};

#define BENCH_PAUSE_MS	50
static void pause_ms(long);

/*
 * sekishod's full load as it starts: fw_load over the base ruleset, which
 * sekisho-base.service or sekishod's last stop left in force (the
 * policy's sets made by nfnetlink, then one libnftables transaction for
 * the chains: firewall.c, load_split). The base ruleset is loaded first,
 * untimed, and the kernel given BENCH_PAUSE_MS to destroy what that
 * replaced, as a start finds it. With replace 1, the policy's table is in
 * force instead (the last run's): its sets' names are taken, so the load
 * is one transaction of text, elements included (recovery's case); with
 * replace 2 the table is deleted first (an empty kernel). The
 * rendering alone is timed apart (render, render_cpu). expect: how the
 * load must have gone (fw_load_steps), 0 either way. 0, or -1 with the
 * reason on stderr; *len, if not NULL, the ruleset text's length. The
 * contexts are freed after the time is taken (lib/nftload.c).
 */
static int
compile_apply(const struct policy *p, int replace, int expect, size_t *len,
    struct apply_time *at)
{
	struct fw_params fp = {
	    .mode = MODE_REMOTE, .pol = p, .work_if = "wk0", .tun_if = "sekisho0" };
	struct fw_params base = { .mode = MODE_BLOCKED };
	uint64_t t = now_ns(), c = cpu_ns(), q;
	struct firewall *fw;
	struct sk_error err;
	struct fw_change ch;
	int rc;

	if (fw_policy_diff(NULL, &fp, &ch, &err) != 0) {
		fprintf(stderr, "bench-policy: %s\n", err.msg);
		return -1;
	}
	at->render = now_ns() - t;
	at->render_cpu = cpu_ns() - c;
	if (len != NULL)
		*len = ch.text.len;
	fw_change_free(&ch);
	if ((fw = fw_open(&err)) == NULL || (replace == 0 && fw_load(fw, &base, NULL, &err) != 0) ||
	    (replace == 2 && fw_apply(fw, "table inet " FW_TABLE "\ndelete table inet "
	    FW_TABLE "\n", &err) != 0)) {
		fprintf(stderr, "bench-policy: %s\n", err.msg);
		return -1;
	}
	fw_settle(fw);
	pause_ms(BENCH_PAUSE_MS);
	t = now_ns();
	c = cpu_ns();
	q = runq_ns();
	rc = fw_load(fw, &fp, NULL, &err);
	if (rc == 0 && expect != 0 && fw_load_steps() != expect) {
		fprintf(stderr, "bench-policy: the full load went %s\n", replace ?
		    "in two steps over a policy's table" : "as text over the base ruleset");
		rc = -1;
	}
	at->cpu = cpu_ns() - c;
	at->runq = runq_ns() - q;
	at->wall = now_ns() - t;
	fw_close(fw);
	if (rc != 0) {
		fprintf(stderr, "bench-policy: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
bench_apply(const char *path, size_t runs)
{
	uint64_t *v = calloc(runs, sizeof(*v)), *c = calloc(runs, sizeof(*c));
	uint64_t *q = calloc(runs, sizeof(*q)), *r = calloc(runs, sizeof(*r)), t;
	uint64_t *rc = calloc(runs, sizeof(*rc)), *xv = calloc(runs, sizeof(*xv));
	uint64_t *xc = calloc(runs, sizeof(*xc));
	struct apply_time first, at;
	struct sk_error err;
	struct policy p;
	size_t len = 0, rules = 0;

	t = now_ns();
	if (v == NULL || c == NULL || q == NULL || r == NULL || rc == NULL || xv == NULL ||
	    xc == NULL || policy_parse_file(path, &p, &err) != 0)
		return die(v == NULL || c == NULL || q == NULL || r == NULL || rc == NULL ||
		    xv == NULL || xc == NULL ? "out of memory" : err.msg);
	printf("prefixes %zu\nparse_ms %.1f\n", p.n_lgwan, (now_ns() - t) / 1e6);
	for (size_t i = 0; i < p.n_services; i++)
		if (p.services[i].modes & POLICY_MODE_REMOTE)
			rules++;
	printf("services %zu\nservices_remote %zu\nsets %zu\n", p.n_services,
	    rules, p.n_sets);
	if (compile_apply(&p, 2, 2, &len, &first) != 0)	/* an empty kernel */
		return die("the first apply failed");
	printf("ruleset_bytes %zu\n", len);
	for (size_t i = 0; i < runs; i++) {
		if (compile_apply(&p, 0, 2, NULL, &at) != 0)
			return die("an apply failed");
		v[i] = at.wall;
		c[i] = at.cpu;
		q[i] = at.runq;
		r[i] = at.render;
		rc[i] = at.render_cpu;
		if (compile_apply(&p, 1, 1, NULL, &at) != 0)	/* over the last one */
			return die("an apply replacing the policy's table failed");
		xv[i] = at.wall;
		xc[i] = at.cpu;
	}
	t = median(v, runs);	/* sorts v */
	printf("first_ms %.1f\napply_ms %.1f\nmax_ms %.1f\n", first.wall / 1e6,
	    t / 1e6, v[runs - 1] / 1e6);
	printf("apply_cpu_ms %.1f\n", median(c, runs) / 1e6);
	printf("apply_runq_ms %.1f\n", median(q, runs) / 1e6);
	printf("apply_render_ms %.1f\n", median(r, runs) / 1e6);
	printf("apply_render_cpu_ms %.1f\n", median(rc, runs) / 1e6);
	printf("replace_ms %.1f\n", median(xv, runs) / 1e6);
	printf("replace_cpu_ms %.1f\n", median(xc, runs) / 1e6);
	policy_free(&p);
	free(v);
	free(c);
	free(q);
	free(r);
	free(rc);
	free(xv);
	free(xc);
	return 0;
}

static uint64_t
p95(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(size_t)((n - 1) * 0.95 + 0.5)];
}

/*
 * Mode and policy changes are timed BENCH_PAUSE_MS apart, as they come in
 * sekishod (never back to back): the kernel's deferred destruction of what
 * the previous transaction removed (an RCU grace period) is then over, as
 * it is for sekishod, which leaves its netlink sockets open until the next
 * transaction so as not to wait for it (lib/nftload.c, nfset.c).
 */
static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1)
		;
}

static int
bench_switch(const char *path, size_t runs)
{
	uint64_t *v = calloc(runs, sizeof(*v)), t;
	struct fw_params p = {
	    .mode = MODE_REMOTE, .work_if = "wk0", .tun_if = "sekisho0",
	    .uplink = "up0" };
	struct fw_model *held = NULL;
	struct firewall *fw;
	struct sk_error err;
	struct policy pol;

	if (v == NULL || policy_parse_file(path, &pol, &err) != 0 ||
	    (fw = fw_open(&err)) == NULL)
		return die(v == NULL ? "out of memory" : err.msg);
	p.pol = &pol;
	if (fw_load(fw, &p, &held, &err) != 0)
		return die(err.msg);
	fw_settle(fw);	/* as sekishod does once idle */
	for (size_t i = 0; i < runs; i++) {
		p.mode = i % 2 ? MODE_REMOTE : MODE_OFFICE;
		pause_ms(BENCH_PAUSE_MS);
		t = now_ns();
		if (fw_switch_mode(fw, &p, &held, &err) != 0)
			return die(err.msg);
		v[i] = now_ns() - t;
		if (held == NULL)
			return die("the model was dropped");
	}
	printf("switch_ms %.1f\n", median(v, runs) / 1e6);
	printf("switch_p95_ms %.1f\n", p95(v, runs) / 1e6);
	fw_model_free(held);
	fw_close(fw);
	policy_free(&pol);
	free(v);
	return 0;
}

static int
bench_live(const char *a, const char *b, size_t runs)
{
	uint64_t *v = calloc(runs, sizeof(*v)), *cv = calloc(runs, sizeof(*cv)), t, ct;
	uint64_t *tv = calloc(runs, sizeof(*tv));
	uint64_t *rv = calloc(runs, sizeof(*rv)), *mv = calloc(runs, sizeof(*mv));
	uint64_t *dv = calloc(runs, sizeof(*dv));
	struct fw_params p = {
	    .mode = MODE_REMOTE, .work_if = "wk0", .tun_if = "sekisho0" };
	struct fw_model *held = NULL;
	struct firewall *fw;
	struct sk_error err;
	struct policy pol[2];
	struct fw_change c;
	size_t bytes = 0;

	if (v == NULL || cv == NULL || tv == NULL || rv == NULL || mv == NULL || dv == NULL ||
	    policy_parse_file(a, &pol[0], &err) != 0 ||
	    policy_parse_file(b, &pol[1], &err) != 0 || (fw = fw_open(&err)) == NULL)
		return die(v == NULL ? "out of memory" : err.msg);
	p.pol = &pol[0];
	if (fw_load(fw, &p, &held, &err) != 0)
		return die(err.msg);
	fw_settle(fw);	/* as sekishod does once idle */
	for (size_t i = 0; i < runs; i++) {
		p.pol = &pol[(i + 1) % 2];
		pause_ms(BENCH_PAUSE_MS);
		t = now_ns();
		ct = cpu_ns();
		/* as sekishod's reload: the change, no dry run before it */
		if (fw_policy_diff(held, &p, &c, &err) != 0 ||
		    fw_change_apply(fw, &c, &held, &err) != 0)
			return die(err.msg);
		v[i] = now_ns() - t;
		cv[i] = cpu_ns() - ct;
		rv[i] = c.render_us * 1000;
		mv[i] = c.model_us * 1000;
		dv[i] = c.diff_us * 1000;
		/* dead elements left: deleted after the change, outside its
		 * time, as sekishod does once it has answered */
		t = now_ns();
		if (c.tidy && fw_tidy(fw, &p, &held, &err) != 0)
			return die(err.msg);
		tv[i] = now_ns() - t;
		if (i == 0 && getenv("BENCH_LIVE_TEXT") != NULL)
			fprintf(stderr, "%s", buf_str(&c.text));
		if (c.text.len > bytes)
			bytes = c.text.len;
		fw_change_free(&c);
	}
	printf("live_ms %.1f\n", median(v, runs) / 1e6);
	printf("live_p95_ms %.1f\nlive_bytes %zu\n", p95(v, runs) / 1e6, bytes);
	fw_model_free(held);
	fw_close(fw);
	policy_free(&pol[0]);
	policy_free(&pol[1]);
	printf("live_cpu_ms %.1f\n", median(cv, runs) / 1e6);
	printf("live_tidy_ms %.1f\n", median(tv, runs) / 1e6);
	/* where fw_policy_diff's time goes (wall, median) */
	printf("live_render_ms %.1f\nlive_model_ms %.1f\nlive_compare_ms %.1f\n",
	    median(rv, runs) / 1e6, median(mv, runs) / 1e6, median(dv, runs) / 1e6);
	free(rv);
	free(mv);
	free(dv);
	free(v);
	free(cv);
	free(tv);
	return 0;
}

/* The kernel's table as nft's JSON into path. */
static int
dump_table(const char *path)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	FILE *f;
	int rc = -1;

	if (ctx == NULL)
		return -1;
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	nft_ctx_buffer_output(ctx);
	if (nft_run_cmd_from_buffer(ctx, "list table inet " FW_TABLE) == 0 &&
	    (f = fopen(path, "w")) != NULL) {
		fputs(nft_ctx_get_output_buffer(ctx), f);
		rc = fclose(f) == 0 ? 0 : -1;
	}
	nft_ctx_free(ctx);
	return rc;
}

/* inc: by difference; full: fw_load_text, one transaction of text over
 * the table in force; base: fw_load over the base ruleset, loaded first
 * as at sekishod's start (the two-step load, firewall.c). */
enum steps { STEPS_INC, STEPS_FULL, STEPS_BASE };

static int
steps(enum steps how, const char *dir, char **paths, int n)
{
	int inc = how == STEPS_INC;
	struct fw_params base = { .mode = MODE_BLOCKED };
	struct fw_params p = {
	    .mode = MODE_REMOTE, .work_if = "wk0", .tun_if = "sekisho0" };
	struct fw_model *held = NULL;
	struct policy pol[2];
	struct firewall *fw;
	struct sk_error err;
	char out[4096];

	if ((fw = fw_open(&err)) == NULL)
		return die(err.msg);
	for (int i = 0; i < n; i++) {
		struct policy *cur = &pol[i % 2];
		struct fw_change c;

		if (policy_parse_file(paths[i], cur, &err) != 0)
			return die(err.msg);
		p.mode = i % 2 ? MODE_OFFICE : MODE_REMOTE;
		p.uplink = i % 2 ? "up0" : NULL;
		if (!inc || i == 0) {
			p.pol = cur;
			if (how == STEPS_BASE && fw_load(fw, &base, &held, &err) != 0)
				return die(err.msg);
			if ((how == STEPS_FULL ? fw_load_text : fw_load)(fw, &p, &held, &err) != 0)
				return die(err.msg);
			/* over the base ruleset: never as text (that would hide
			 * a two-step load the kernel or nft refused) */
			if (how == STEPS_BASE && fw_load_steps() != 2)
				return die("the load over the base ruleset went as text");
		} else {
			/* the mode first, under the policy in force, then the
			 * new policy by difference, as sekishod does */
			if (fw_switch_mode(fw, &p, &held, &err) != 0)
				return die(err.msg);
			p.pol = cur;
			if (fw_policy_diff(held, &p, &c, &err) != 0)
				return die(err.msg);
			if (getenv("BENCH_LIVE_TEXT") != NULL && c.nl)
				fprintf(stderr, "# step %d: an element batch, %ld sets%s\n", i,
				    c.cmds, c.tidy ? ", dead elements left" : "");
			else if (getenv("BENCH_LIVE_TEXT") != NULL)
				fprintf(stderr, "# step %d\n%s", i, buf_str(&c.text));
			if (fw_change_check(fw, &c, &err) != 0 ||
			    fw_change_apply(fw, &c, &held, &err) != 0)
				return die(err.msg);
			/* dead elements left: deleted next, as sekishod does */
			if (c.tidy && fw_tidy(fw, &p, &held, &err) != 0)
				return die(err.msg);
			fw_change_free(&c);
			if (held == NULL)
				return die("the model was dropped");
		}
		if (i > 0)
			policy_free(&pol[(i + 1) % 2]);
		snprintf(out, sizeof(out), "%s/%d.json", dir, i);
		if (dump_table(out) != 0)
			return die("cannot list the table");
	}
	policy_free(&pol[(n - 1) % 2]);
	fw_model_free(held);
	fw_close(fw);
	return 0;
}

int
main(int argc, char *argv[])
{
	uint64_t runs;

	if (argc == 5 && strcmp(argv[1], "verify") == 0 &&
	    parse_u64(argv[4], 1, 1000000, &runs) == 0)
		return bench_verify(argv[2], argv[3], (size_t)runs);
	if (argc == 4 && strcmp(argv[1], "apply") == 0 &&
	    parse_u64(argv[3], 1, 10000, &runs) == 0)
		return bench_apply(argv[2], (size_t)runs);
	if (argc == 4 && strcmp(argv[1], "switch") == 0 &&
	    parse_u64(argv[3], 1, 10000, &runs) == 0)
		return bench_switch(argv[2], (size_t)runs);
	if (argc == 5 && strcmp(argv[1], "live") == 0 &&
	    parse_u64(argv[4], 1, 10000, &runs) == 0)
		return bench_live(argv[2], argv[3], (size_t)runs);
	if (argc >= 5 && strcmp(argv[1], "steps") == 0 &&
	    (strcmp(argv[2], "inc") == 0 || strcmp(argv[2], "full") == 0 ||
	    strcmp(argv[2], "base") == 0))
		return steps(strcmp(argv[2], "inc") == 0 ? STEPS_INC :
		    strcmp(argv[2], "full") == 0 ? STEPS_FULL : STEPS_BASE,
		    argv[3], argv + 4, argc - 4);
	fprintf(stderr, "usage: bench-policy verify BUNDLE AGENCY-PUBKEY RUNS\n"
	    "       bench-policy apply POLICY RUNS\n"
	    "       bench-policy switch POLICY RUNS\n"
	    "       bench-policy live POLICY-A POLICY-B RUNS\n"
	    "       bench-policy steps inc|full|base OUTDIR POLICY...\n");
	return 2;
}
