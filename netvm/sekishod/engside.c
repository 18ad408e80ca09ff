/*
 * The parent's side of the engine process (engproc.h): every engine.h
 * function the daemon used to call in-process, as a call to the engine
 * process. What the engine reports of itself is kept as d->engine (for
 * status and for which mode the engine is in); every action it returns is
 * checked against the parent's own knowledge (engcheck.h) before
 * actions.c carries it out. An engine that dies, does not answer, answers
 * out of format or asks for anything out of bounds is ended: the blocked
 * ruleset goes in force, and a new engine starts over from the kernel's
 * view (a resynchronisation), after a backoff.
 */
#include "netvm/sekishod/sekishod.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netvm/sekishod/firewall.h"
#include "lib/log.h"
#include "lib/util.h"
#include "policy/bundle.h"

/* The engine's account while there is none: nothing is up. */
static void
mirror_blank(struct sekishod *d)
{
	memset(&d->engine, 0, sizeof(d->engine));
	d->engine.mode = MODE_BLOCKED;
	d->engine.n_gateways = 1;
	sk_strlcpy(d->engine.reason, "the engine is restarting", sizeof(d->engine.reason));
}

void
eng_lost(struct sekishod *d, const char *why)
{
	uint64_t ms = respawn_died(&d->eng_respawn, now_ms());

	timers_on_respawn_due(&d->timers, d->eng_respawn.due_ms);

	log_warnx("%s; everything blocked until a new engine has decided (in %llu ms)",
	    why, (unsigned long long)ms);
	engproc_stop(&d->eng);
	prober_stop_all(&d->prober);
	mirror_blank(d);
	d->resync = 1;
	d->resync_fresh = 1;	/* nothing the old engine said is kept */
	apply_rules(d, MODE_BLOCKED, NULL);
	office_unroute_now(d);
}

int
eng_running(const struct sekishod *d)
{
	return d->eng.fd != -1;
}

/* One call; a failed one ends the engine. */
static int
call(struct sekishod *d, const struct eng_call *k, struct eng_result *r)
{
	struct sk_error err;

	if (!eng_running(d))
		return -1;
	if (engproc_call(&d->eng, k, r, &err) < 0) {
		eng_lost(d, err.msg);
		return -1;
	}
	d->engine = r->state;
	return 0;
}

/* The actions, each checked; one out of bounds ends the engine (and the
 * ones after it are not carried out). Returns how many may be. */
static size_t
checked(struct sekishod *d, struct eng_result *r, struct action *out)
{
	struct sk_error err;
	char line[sizeof(err.msg) + 32];

	for (size_t i = 0; i < r->n; i++) {
		if (kv_check(&d->kv, &r->acts[i], d->pol.n_gateways, now_ms(),
		    timers_vouch_ms(&d->pol), &err) < 0) {
			snprintf(line, sizeof(line), "engine: request refused: %s", err.msg);
			eng_lost(d, line);
			return 0;
		}
		out[i] = r->acts[i];
	}
	return r->n;
}

int
eng_start(struct sekishod *d)
{
	struct sk_error err;

	fw_settle(d->fw);	/* no netlink socket of ours into the child */
	nfset_settle();
	if (engproc_start(&d->eng, &err) < 0) {
		log_warnx("%s", err.msg);
		respawn_died(&d->eng_respawn, now_ms());
		timers_on_respawn_due(&d->timers, d->eng_respawn.due_ms);
		return -1;
	}
	respawn_started(&d->eng_respawn, now_ms());
	return 0;
}

void
eng_restart(struct sekishod *d)
{
	if (eng_running(d) || d->eng_respawn.due_ms == 0 || now_ms() < d->eng_respawn.due_ms)
		return;
	if (eng_start(d) == 0) {
		log_info("engine: started again (pid %d); reading the kernel's state",
		    (int)d->eng.pid);
		d->resync = 1;
	}
}

size_t
eng_handle(struct sekishod *d, const struct event *ev, struct action out[ENG_MAX_ACTS])
{
	static struct eng_result r;
	struct eng_call k = { .op = ENG_EVENT, .ev = *ev };

	kv_event(&d->kv, ev);
	if (call(d, &k, &r) < 0)
		return 0;
	if (d->quiet)
		return r.n;	/* not carried out: nothing to check */
	return checked(d, &r, out);
}

int
eng_init(struct sekishod *d)
{
	static struct eng_result r;
	struct eng_call k = { .op = ENG_INIT, .i1 = d->work.ifindex, .i2 = d->tun.ifindex,
	    .i3 = d->pol.n_beacons > 0 };

	k.endpoints[0] = d->pol.gateways[0].endpoint.sin_addr;
	if (call(d, &k, &r) < 0)
		return -1;
	return eng_set_policy(d);
}

int
eng_set_policy(struct sekishod *d)
{
	static struct eng_result r;
	struct eng_call k = { .op = ENG_POLICY, .i1 = d->pol.n_beacons > 0,
	    .u = timers_stale_ms(&d->pol) };

	return call(d, &k, &r);
}

int
eng_gateways(struct sekishod *d, const struct in_addr *endpoints, size_t n, size_t current)
{
	static struct eng_result r;
	struct eng_call k = { .op = ENG_GATEWAYS, .i3 = (int32_t)current };

	if (n > ENGINE_MAX_GATEWAYS)
		n = ENGINE_MAX_GATEWAYS;
	k.n = (uint32_t)n;
	memcpy(k.endpoints, endpoints, n * sizeof(endpoints[0]));
	return call(d, &k, &r);
}

int
eng_vouch(struct sekishod *d, const struct uplink *was)
{
	static struct eng_result r;
	struct eng_call k = { .op = ENG_VOUCH, .up = *was };

	return call(d, &k, &r) < 0 ? 0 : r.r;
}

static size_t
acts_call(struct sekishod *d, enum eng_op op, uint64_t now, struct action *out)
{
	static struct eng_result r;
	struct eng_call k = { .op = op, .u = now };

	if (call(d, &k, &r) < 0)
		return 0;
	return checked(d, &r, out);
}

size_t
eng_restate(struct sekishod *d, uint64_t now, struct action out[ENG_MAX_ACTS])
{
	return acts_call(d, ENG_RESTATE, now, out);
}

size_t
eng_probe_all(struct sekishod *d, struct action out[ENG_MAX_ACTS])
{
	return acts_call(d, ENG_PROBE_ALL, 0, out);
}

size_t
eng_office_retry(struct sekishod *d, uint64_t now, struct action out[ENG_MAX_ACTS])
{
	return acts_call(d, ENG_OFFICE_RETRY, now, out);
}

int
eng_parse_dns(struct sekishod *d, const char *line, size_t len, size_t n, uint8_t *alive,
    struct sk_error *err)
{
	static struct eng_parse p;
	static struct eng_parsed r;
	struct sk_error lost;

	if (len > ENG_RAW_MAX)
		return sk_errorf(err, EINVAL, "dns check: line of %zu bytes, at most %d", len,
		    ENG_RAW_MAX), -1;
	if (!eng_running(d))
		return sk_errorf(err, ENOTCONN, "dns check: no engine to read it"), -2;
	memset(&p, 0, sizeof(p));
	p.kind = ENG_PARSE_DNSCHECK;
	p.n = (uint32_t)n;
	p.len = len;
	memcpy(p.raw, line, len);
	if (engproc_parse(&d->eng, &p, &r, &lost) < 0) {
		eng_lost(d, lost.msg);
		return sk_errorf(err, EPIPE, "%s", lost.msg), -2;
	}
	return eng_parsed_check_dns(&r, n, alive, err) < 0 ? -1 : 0;
}

/* One helper result through the engine; -2 if the engine is gone (then
 * ended, as for any call). */
static int
parse_in_engine(struct sekishod *d, enum eng_kind kind, uint32_t n, const uint8_t *raw,
    size_t len, struct eng_parsed *r, struct sk_error *err)
{
	static struct eng_parse p;
	struct sk_error lost;

	if (len > ENG_RAW_MAX)
		abort();
	if (!eng_running(d))
		return sk_errorf(err, ENOTCONN, "no engine to read it"), -2;
	memset(&p, 0, sizeof(p));
	p.kind = kind;
	p.n = n;
	p.len = len;
	memcpy(p.raw, raw, len);
	if (engproc_parse(&d->eng, &p, r, &lost) < 0) {
		eng_lost(d, lost.msg);
		return sk_errorf(err, EPIPE, "%s", lost.msg), -2;
	}
	return 0;
}

int
eng_parse_fetch(struct sekishod *d, struct fetcher *f, struct sk_error *err)
{
	static struct eng_parsed r;
	enum eng_fetch want;
	uint32_t n;
	int rc;

	want = eng_fetch_outcome(f->wstatus, &n);
	if (f->len > ENG_RAW_MAX)
		return sk_errorf(err, EMSGSIZE, "more than %d bytes on standard error",
		    ENG_RAW_MAX), -1;
	if ((rc = parse_in_engine(d, ENG_PARSE_FETCH, n, (const uint8_t *)f->line, f->len, &r,
	    err)) < 0)
		return rc;
	if (eng_parsed_check_fetch(&r, want, f->line, sizeof(f->line), err) < 0)
		return -1;
	f->len = strlen(f->line);
	return 0;
}

int
eng_parse_fresh(struct sekishod *d, const uint8_t *buf, size_t len, uint64_t *serial,
    uint64_t *time, uint8_t device[ENG_STMT_KEY], struct sk_error *err)
{
	static struct eng_parsed r;
	int rc;

	if (len > ENG_RAW_MAX)
		return sk_errorf(err, EMSGSIZE, "%zu bytes, not a statement", len), -1;
	if ((rc = parse_in_engine(d, ENG_PARSE_FRESH, 0, buf, len, &r, err)) < 0)
		return rc;
	return eng_parsed_check_fresh(&r, serial, time, device, err) < 0 ? -1 : 0;
}

_Static_assert(FETCH_ERR_MAX == ENG_RAW_MAX, "the fetch helper's stderr, raw, in one message");
_Static_assert(FETCH_STATEMENT_MAX <= ENG_RAW_MAX, "a statement in one message");
_Static_assert(ENG_STMT_KEY == BUNDLE_KEY_LEN, "a statement's device");
