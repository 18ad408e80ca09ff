/*
 * The policy's expiry, carried out (docs/distribution.md, "Expiry"): the
 * age kept by freshness.c from the bundle's signed time and the agency's
 * freshness statements; at the max age, work is blocked (the mode's
 * ruleset without work's accepts, fw_params.expired) while the netvm's own
 * path stays, so that the fetch that brings a newer bundle or statement
 * can still reach the server; and back as soon as one arrives.
 */
#include "netvm/sekishod/sekishod.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "netvm/sekishod/bundle_verify.h"
#include "netvm/sekishod/control.h"
#include "policy/fileio.h"

#define EXPIRY_CHECK_MAX_MS	60000	/* the clocks looked at again within */

static void
clocks(uint64_t *wall_s, uint64_t *boot_ms)
{
	struct timespec ts;
	time_t t = time(NULL);

	*wall_s = t > 0 ? (uint64_t)t : 0;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	*boot_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "2026-12-04T21:00:00Z" */
static const char *
utc(uint64_t t, char buf[32])
{
	time_t tt = t > (uint64_t)INT32_MAX * 4 ? (time_t)INT32_MAX * 4 : (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%" PRIu64, t);
	return buf;
}

static void
statement_path(const struct sekishod *d, char *path, size_t size)
{
	snprintf(path, size, "%s.fresh", d->acc.bundle);
}

/* The ruleset of the mode in force again, with or without work's
 * accepts. The base ruleset (a failed load, retried by T_RULES) and
 * blocked mode allow work nothing either way. */
static void
rules_again(struct sekishod *d)
{
	const struct uplink *u = engine_uplink(&d->engine, d->engine.active);
	enum mode mode = d->rules_mode;

	if (d->rules_base || mode == MODE_BLOCKED)
		return;
	if (mode == MODE_OFFICE && u == NULL)
		mode = MODE_REMOTE;
	apply_rules(d, mode, mode == MODE_OFFICE ? u->name : NULL);
}

/* Decides anew; the one line when it changed. 1 if it did. */
static int
decide(struct sekishod *d, const char *how)
{
	struct freshness *f = &d->fresh;
	char when[32];
	uint64_t wall, boot, left;

	clocks(&wall, &boot);
	if (!fresh_update(f, wall, boot))
		return 0;
	if (f->expired)
		log_warnx("policy serial %llu expired: last signed %s (%s), older than its "
		    "max age of %lu s; work is blocked until a newer bundle or a freshness "
		    "statement arrives", (unsigned long long)f->serial,
		    utc(f->signed_at, when), f->by_statement ? "freshness statement" :
		    "bundle", (unsigned long)f->max_age);
	else {
		left = fresh_left_s(f, wall, boot);
		log_info("policy serial %llu fresh again: signed %s (%s), expires in "
		    "%llu s; work unblocked", (unsigned long long)f->serial,
		    utc(f->signed_at, when), how, (unsigned long long)left);
	}
	return 1;
}

/* T_EXPIRY again at the expiry, or within a minute (a suspend, a clock
 * that jumped); not at all when nothing can change with time. */
static void
arm(struct sekishod *d)
{
	uint64_t wall, boot, left;

	clocks(&wall, &boot);
	left = fresh_left_s(&d->fresh, wall, boot);
	if (left == UINT64_MAX || left == 0)
		timers_on_expiry(&d->timers, now_ms(), 0);
	else
		timers_on_expiry(&d->timers, now_ms(),
		    left * 1000 < EXPIRY_CHECK_MAX_MS ? left * 1000 : EXPIRY_CHECK_MAX_MS);
}

void
expiry_check(struct sekishod *d)
{
	if (decide(d, "bundle"))
		rules_again(d);
	arm(d);
}

/* A statement's bytes: decoded by the engine (engmsg.h), verified by the
 * sandboxed helper, and the decoded fields held to this device, the
 * serial in force and the freshest time seen, here. */
static int
statement_take(struct sekishod *d, const uint8_t *buf, size_t len, const char *name,
    struct sk_error *err)
{
	struct bundle_trust t = {
		.keys = (const uint8_t (*)[BUNDLE_KEY_LEN])d->acc.trust.keys,
		.n_keys = d->acc.trust.n_keys, .device = d->acc.trust.device,
	};
	uint64_t time_h = 0, wall, boot;
	struct sk_error why;
	struct fresh f;
	const char *m;

	memset(&f, 0, sizeof(f));
	if (eng_parse_fresh(d, buf, len, &f.serial, &f.time, f.device, &why) < 0) {
		m = strncmp(why.msg, "statement: ", 11) == 0 ? why.msg + 11 : why.msg;
		sk_errorf(err, EINVAL, "%s: %s", name, m);
		return -1;
	}
	if (verifier_run_fresh(d->acc.helper, name, &t, d->fresh.serial,
	    d->fresh.signed_at, buf, len, &time_h, 1, err) < 0)
		return -1;
	if (fresh_check(&f, name, d->acc.trust.device, d->fresh.serial,
	    d->fresh.signed_at, err) != BUNDLE_OK)
		return -1;
	if (time_h != f.time) {
		sk_errorf(err, EINVAL, "%s: the verifying helper read time %llu, "
		    "the engine %llu", name, (unsigned long long)time_h,
		    (unsigned long long)f.time);
		return -1;
	}
	clocks(&wall, &boot);
	return fresh_statement(&d->fresh, f.time, wall, boot);	/* after checked: 0 */
}

void
expiry_start(struct sekishod *d, const struct candidate *c)
{
	char path[PATH_MAX], when[32];
	struct sk_error err;
	uint8_t *buf = NULL;
	uint64_t wall, boot;
	size_t len;

	clocks(&wall, &boot);
	d->fresh.expired = 0;
	fresh_bundle(&d->fresh, c->serial, c->max_age, c->signed_at, wall, boot);
	if (c->max_age == 0)
		log_warnx("%s: a format 1 bundle has no max age: policy serial %llu never "
		    "expires; have the agency sign a format 2 bundle", d->acc.bundle,
		    (unsigned long long)c->serial);
	/* The last statement taken in, kept beside the bundle: checked again
	 * like the bundle. One about an older serial is simply not used. */
	statement_path(d, path, sizeof(path));
	if (c->max_age != 0 && file_read_max(path, FRESH_LEN + 1, &buf, &len, &err) == 0) {
		if (statement_take(d, buf, len, path, &err) == 0)
			log_info("%s: freshness statement signed %s for policy serial %llu",
			    path, utc(d->fresh.signed_at, when), (unsigned long long)c->serial);
		else
			log_debug("%s", err.msg);
		free(buf);
	}
	decide(d, "bundle");
	arm(d);
}

void
expiry_bundle(struct sekishod *d, const struct candidate *c)
{
	char path[PATH_MAX];
	uint64_t wall, boot;

	/* The statement kept was about the serial now replaced. */
	statement_path(d, path, sizeof(path));
	unlink(path);
	clocks(&wall, &boot);
	fresh_bundle(&d->fresh, c->serial, c->max_age, c->signed_at, wall, boot);
	decide(d, "a newer bundle");
	arm(d);
}

void
expiry_statement(struct sekishod *d, const uint8_t *buf, size_t len,
    const char *from, char *result, size_t rsize)
{
	unsigned long long serial = (unsigned long long)d->fresh.serial;
	char path[PATH_MAX], name[INET_ADDRSTRLEN + 64], when[32];
	struct sk_error err;
	uint64_t wall, boot;

	snprintf(name, sizeof(name), "freshness statement from %s", from);
	clocks(&wall, &boot);
	if (d->fresh.max_age == 0) {
		snprintf(result, rsize, "unchanged: %s: policy serial %llu never expires",
		    name, serial);
		return;
	}
	if (statement_take(d, buf, len, name, &err) < 0) {
		if (d->fresh.expired)
			log_warnx("%s; policy serial %llu stays expired", err.msg, serial);
		else
			log_warnx("%s; policy serial %llu stays as fresh as it was (expires in "
			    "%llu s)", err.msg, serial,
			    (unsigned long long)fresh_left_s(&d->fresh, wall, boot));
		snprintf(result, rsize, "refused: %.600s", err.msg);
		arm(d);
		return;
	}
	statement_path(d, path, sizeof(path));
	if (durable_write(path, buf, len, 0600, &err) < 0)
		log_warnx("%s", err.msg);	/* in force; only a restart forgets it */
	if (decide(d, "freshness statement"))
		rules_again(d);		/* fresh again: the line is said */
	else if (d->fresh.expired)
		log_warnx("%s: policy serial %llu signed %s, still older than its max age "
		    "of %lu s; it stays expired", name, serial, utc(d->fresh.signed_at, when),
		    (unsigned long)d->fresh.max_age);
	else
		log_info("%s: policy serial %llu signed %s, expires in %llu s", name, serial,
		    utc(d->fresh.signed_at, when),
		    (unsigned long long)fresh_left_s(&d->fresh, wall, boot));
	snprintf(result, rsize, "fresh: %s: policy serial %llu signed %s", name, serial,
	    utc(d->fresh.signed_at, when));
	arm(d);
}

void
expiry_gather(const struct sekishod *d, struct expiry_status *es)
{
	uint64_t wall, boot;

	clocks(&wall, &boot);
	memset(es, 0, sizeof(*es));
	es->signed_at = d->fresh.signed_at;
	es->max_age = d->fresh.max_age;
	es->by_statement = d->fresh.by_statement;
	es->age_s = fresh_age_s(&d->fresh, wall, boot);
	es->left_s = fresh_left_s(&d->fresh, wall, boot);
	es->expired = d->fresh.expired;
}
