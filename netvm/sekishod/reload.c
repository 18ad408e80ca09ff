/*
 * Policy reloads (SIGHUP, `sekishoctl reload`, a fetched bundle): a new
 * bundle at the incoming path is checked (accept.c), tried against
 * nftables, stored, and its policy switched in path by path; or refused
 * with one line and the policy in force untouched.
 */
#include "netvm/sekishod/sekishod.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/util.h"
#include "netvm/sekishod/firewall.h"
#include "netvm/sekishod/live.h"
#include "netvm/sekishod/route.h"
#include "netvm/sekishod/route6.h"

/* The line a reload ends with, logged at level and, for a control client,
 * answered with its outcome ("accepted", "unchanged", "refused") first. */
static void __attribute__((format(printf, 4, 5)))
report(struct buf *out, int level, const char *outcome, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (level == LOG_LEVEL_WARN)
		log_warnx("%s", line);
	else if (level == LOG_LEVEL_INFO)
		log_info("%s", line);
	else
		log_debug("%s", line);
	if (out != NULL)
		buf_printf(out, "%s: %s\n", outcome, line);
}

/* One line saying why the candidate at path is refused ("PATH: why"). */
static void
refuse(struct buf *out, const char *path, const char *why, unsigned long long serial)
{
	size_t n = strlen(path);
	int named = strncmp(why, path, n) == 0 && why[n] == ':';

	report(out, LOG_LEVEL_WARN, "refused", "%s%s%s; policy serial %llu stays in force",
	    named ? "" : path, named ? "" : ": ", why, serial);
}

/* The mode a new policy's ruleset is made for, and its office uplink: the
 * mode in force, or the engine's while the base ruleset stands in for a
 * ruleset that did not load. */
static enum mode
rules_for(const struct sekishod *d, const char **uplink)
{
	const struct uplink *u = engine_uplink(&d->engine, d->engine.active);
	enum mode mode = d->rules_base ? d->engine.mode : d->rules_mode;

	*uplink = mode == MODE_OFFICE && u != NULL ? u->name : NULL;
	if (mode == MODE_OFFICE && *uplink == NULL)
		mode = MODE_REMOTE;
	return mode;
}

/* The change pol's ruleset makes to the table in force, for the mode in
 * force, made ready in c. No dry run: the change itself is the test
 * (take), one transaction that leaves the kernel as it was if nftables
 * refuses it; a dry run first cost as much again (libnftables reads every
 * element of the LGWAN set and the class map before either). */
static int
make_rules(struct sekishod *d, const struct policy *pol, struct fw_change *c,
    struct sk_error *err)
{
	struct fw_params p;
	const char *uplink;
	enum mode mode = rules_for(d, &uplink);

	rules_params(d, mode, uplink, pol, &p);
	return fw_policy_diff(d->fw_held, &p, c, err);
}

static int
same6(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* IPv6 turned on or its addresses changed (LIVE_V6), before the ruleset:
 * the netvm's new address on the work link and the IPv6 routing rules
 * (the tunnel's new address and routes come with its prefixes,
 * tunnel_update_start). None of it forwards anything: IPv6 forwarding is
 * off until the new ruleset is in force (sections_after), and work learns
 * its new address only from the DHCP server restarted after that. */
static void
v6_before(struct sekishod *d)
{
	char a[INET6_ADDRSTRLEN];
	int rc;

	if (!d->pol.has_v6)
		return;
	if ((rc = route6_addr_add(d->work.ifindex, &d->pol.work_router6,
	    d->pol.work_plen6)) < 0)
		log_warnx("work link %s: cannot add address %s: %s", d->work_if,
		    inet_ntop(AF_INET6, &d->pol.work_router6, a, sizeof(a)), strerror(-rc));
	if ((rc = route6_rules_add(d->work_if, d->work.ifindex)) < 0)
		log_warnx("IPv6 routing rules: %s", strerror(-rc));
}

/* pol's IPv6 addresses that other does not have (or all of them, if
 * other has no IPv6) removed: old's after a change, new's when nftables
 * refused it. */
static void
v6_addrs_del(struct sekishod *d, const struct policy *pol, const struct policy *other)
{
	int rc;

	if (!pol->has_v6)
		return;
	if ((!other->has_v6 || !same6(&pol->tunnel_addr6, &other->tunnel_addr6)) &&
	    (rc = route6_addr_del(d->tun.ifindex, &pol->tunnel_addr6, 128)) < 0)
		log_warnx("tunnel %s: cannot remove an IPv6 address: %s", d->tun_if,
		    strerror(-rc));
	if ((!other->has_v6 || !same6(&pol->work_router6, &other->work_router6) ||
	    pol->work_plen6 != other->work_plen6) &&
	    (rc = route6_addr_del(d->work.ifindex, &pol->work_router6, pol->work_plen6)) < 0)
		log_warnx("work link %s: cannot remove an IPv6 address: %s", d->work_if,
		    strerror(-rc));
}

/* IPv6 after the ruleset: forwarding follows the policy (on only now that
 * the rules that bound it are in force; off once they refuse it), the old
 * addresses go, and the work link's DHCP server starts again with or
 * without its router advertisements and DHCPv6 (work learns the new
 * address, or is told nothing more). One line says what is cut. */
static void
v6_after(struct sekishod *d, const struct policy *old, unsigned int what)
{
	const struct policy *p = &d->pol;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];
	char oa[INET6_ADDRSTRLEN], ob[INET6_ADDRSTRLEN], orr[INET6_ADDRSTRLEN];
	int rc;

	v6_forwarding(p->has_v6);
	v6_addrs_del(d, old, p);
	/* off: the routing rules go too, as if started without IPv6 */
	if (!p->has_v6 && (rc = route6_rules_del(d->work_if)) < 0)
		log_warnx("IPv6 routing rules: cannot remove them: %s", strerror(-rc));
	if (!(what & LIVE_WORK)) {	/* else restarted there already */
		workside_close(&d->work);
		if ((rc = workside_dhcp_start(&d->work, p)) < 0)
			log_warnx("work link %s: cannot start the DHCP server again: %s",
			    d->work_if, strerror(-rc));
	}
	inet_ntop(AF_INET6, &p->tunnel_addr6, a, sizeof(a));
	inet_ntop(AF_INET6, &p->work_addr6, b, sizeof(b));
	inet_ntop(AF_INET6, &p->work_router6, r, sizeof(r));
	inet_ntop(AF_INET6, &old->tunnel_addr6, oa, sizeof(oa));
	inet_ntop(AF_INET6, &old->work_addr6, ob, sizeof(ob));
	inet_ntop(AF_INET6, &old->work_router6, orr, sizeof(orr));
	if (p->has_v6 && !old->has_v6)
		log_info("IPv6 on: tunnel %s %s, work %s/%u by router advertisements and "
		    "DHCPv6 on %s (the netvm %s); nothing is cut", d->tun_if, a, b,
		    (unsigned)p->work_plen6, d->work_if, r);
	else if (!p->has_v6)
		log_info("IPv6 off: work's IPv6 connections and those through the "
		    "tunnel's IPv6 (%s) are cut, and work is no longer served IPv6 "
		    "on %s; its IPv6 is refused from here on", oa, d->work_if);
	else
		log_info("IPv6 addresses: tunnel %s (was %s), work %s/%u (was %s/%u), the "
		    "netvm %s (was %s); work's IPv6 connections and those through the "
		    "tunnel's IPv6 are cut: their addresses change", a, oa, b,
		    (unsigned)p->work_plen6, ob, (unsigned)old->work_plen6, r, orr);
}

/* The device, gateway and work parts of a live change (live.h) that go
 * before the ruleset: the tunnel's new address, so that its translation
 * has it at once; IPv6's new addresses and rules (v6_before). */
static void
sections_before(struct sekishod *d, const struct policy *old, unsigned int what)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int rc;

	if (what & LIVE_V6)
		v6_before(d);
	if (!(what & LIVE_TUNNEL_ADDR))
		return;
	if ((rc = route_addr_add(d->tun.ifindex, d->pol.tunnel_addr, 32)) < 0)
		log_warnx("tunnel %s: cannot add address %s: %s", d->tun_if,
		    inet_ntop(AF_INET, &d->pol.tunnel_addr, a, sizeof(a)), strerror(-rc));
	else
		log_info("tunnel %s: address %s (was %s); connections through the tunnel "
		    "are cut: their address changes", d->tun_if,
		    inet_ntop(AF_INET, &d->pol.tunnel_addr, a, sizeof(a)),
		    inet_ntop(AF_INET, &old->tunnel_addr, b, sizeof(b)));
}

/* The rest, once the new ruleset is in force. */
static void
sections_after(struct sekishod *d, const struct policy *old, unsigned int what)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int rc;

	if ((what & LIVE_MTU) && (rc = route_link_set(d->tun.ifindex, 1, d->pol.mtu)) < 0)
		log_warnx("tunnel %s: cannot set MTU %u: %s", d->tun_if, d->pol.mtu,
		    strerror(-rc));
	else if (what & LIVE_MTU)
		log_info("tunnel %s: MTU %u (was %u); nothing is cut", d->tun_if, d->pol.mtu,
		    old->mtu);
	if ((what & LIVE_TUNNEL_ADDR) && old->tunnel_addr.s_addr != d->pol.tunnel_addr.s_addr &&
	    (rc = route_addr_del(d->tun.ifindex, old->tunnel_addr, 32)) < 0)
		log_warnx("tunnel %s: cannot remove address %s: %s", d->tun_if,
		    inet_ntop(AF_INET, &old->tunnel_addr, a, sizeof(a)), strerror(-rc));
	if (what & LIVE_GATEWAYS) {
		const char *was = old->gateways[d->tun.gw].name;

		if ((rc = tunnel_gateways(&d->tun, old, &d->pol)) < 0)
			log_warnx("tunnel %s: cannot set the new gateways: %s; reading the "
			    "state again", d->tun_if, strerror(-rc));
		else if (rc == 1)
			log_info("gateways changed (%zu now); \"%s\" stays in use, its session "
			    "kept: nothing is cut", d->pol.n_gateways,
			    d->pol.gateways[d->tun.gw].name);
		else
			log_info("gateways changed (%zu now); \"%s\" is gone or changed: the "
			    "tunnel handshakes anew with \"%s\", connections through it "
			    "wait for that handshake", d->pol.n_gateways, was,
			    d->pol.gateways[0].name);
		d->resync = 1;	/* the engine reads the gateways again */
	}
	if (what & LIVE_WORK) {
		if ((rc = workside_update(&d->work, old, &d->pol)) < 0)
			log_warnx("work link %s: cannot move to the new addresses: %s",
			    d->work_if, strerror(-rc));
		else
			log_info("work link %s: work is %s, the netvm %s (were %s and %s); "
			    "work's connections are cut: its address changes", d->work_if,
			    inet_ntop(AF_INET, &d->pol.work_addr, a, sizeof(a)),
			    inet_ntop(AF_INET, &d->pol.work_router, b, sizeof(b)),
			    inet_ntop(AF_INET, &old->work_addr, (char[INET_ADDRSTRLEN]){ 0 },
			    INET_ADDRSTRLEN),
			    inet_ntop(AF_INET, &old->work_router, (char[INET_ADDRSTRLEN]){ 0 },
			    INET_ADDRSTRLEN));
	}
	if (what & LIVE_V6)
		v6_after(d, old, what);
	/* The new key (read by take, in d->key since the commit): the
	 * sessions under the old one end; the gateway must know the new
	 * public key for the handshake to succeed. */
	if ((what & LIVE_KEY) && (rc = tunnel_set_key(&d->tun, d->key)) < 0)
		log_warnx("tunnel %s: cannot set the private key of %s: %s", d->tun_if,
		    d->pol.key_file, strerror(-rc));
	else if (what & LIVE_KEY)
		log_info("tunnel %s: private key from %s (was %s); connections through "
		    "the tunnel wait for the new handshake", d->tun_if, d->pol.key_file,
		    old->key_file);
}

/* What take and switch_begin put in for new, taken out again for old: the routes
 * and allowed IPs of new's added prefixes, and the tunnel's new address. */
static void
undo_paths(struct sekishod *d, const struct policy *new, const struct policy *old,
    unsigned int what)
{
	int rc;

	if ((rc = tunnel_update(&d->tun, new, old)) < 0 ||
	    (rc = tunnel_withdraw(new, old)) < 0)
		log_warnx("tunnel %s: cannot restore the prefixes of serial %llu: %s",
		    d->tun_if, (unsigned long long)old->serial, strerror(-rc));
	if ((what & LIVE_TUNNEL_ADDR) && new->tunnel_addr.s_addr != old->tunnel_addr.s_addr &&
	    (rc = route_addr_del(d->tun.ifindex, new->tunnel_addr, 32)) < 0)
		log_warnx("tunnel %s: cannot remove the new address: %s", d->tun_if,
		    strerror(-rc));
	if (what & LIVE_V6)
		v6_addrs_del(d, new, old);
}

/* A new policy takes over, path by path: the new tunnel routes and
 * allowed IPs (on j's thread, started by take before the ruleset change
 * was computed: nothing the old rules allow loses its path; the office
 * table's one route serves any policy), the routes in before the ruleset
 * goes in in one transaction (established flows to what stays allowed go
 * on; anything withdrawn is refused from here on), the allowed IPs
 * applied meanwhile and waited for after it. The device, gateway and
 * work sections' changes (what) go around it, each at its place
 * (sections_before, _after). The old policy into *old. If nftables
 * refuses the transaction, the kernel holds the old ruleset: the routes
 * and the address put in go again, d->pol is the old policy, -1 with err.
 * j is joined either way. */
static int
switch_begin(struct sekishod *d, struct policy *pol, struct fw_change *c,
    unsigned int what, struct policy *old, struct tunnel_job *j, uint64_t tun_us[2],
    struct sk_error *err)
{
	const char *uplink;
	enum mode mode = rules_for(d, &uplink);
	uint64_t t;
	int rc, rules;

	*old = d->pol;
	d->pol = *pol;
	sections_before(d, old, what);
	/* The routes are in before the transaction (docs/distribution.md,
	 * "The order of a live change"): by now, as a rule, they are. */
	t = mono_us();
	tunnel_update_routed(j);
	tun_us[0] = mono_us() - t;
	/* The WireGuard implementation applies the allowed IPs while the
	 * kernel commits the ruleset; its answer is waited for after it,
	 * whatever the transaction's outcome (either order is safe). The
	 * pointers c's text names (the policy's) are not kept by it. */
	rules = try_policy_rules(d, mode, uplink, c);
	t = mono_us();
	if ((rc = tunnel_update_join(j)) < 0)
		log_warnx("tunnel %s: cannot set the new prefixes: %s", d->tun_if,
		    strerror(-rc));
	tun_us[1] = mono_us() - t;
	if ((rc = rules) == 0)
		return 0;
	undo_paths(d, &d->pol, old, what);
	*pol = d->pol;
	d->pol = *old;
	return sk_errorf(err, -rc, "nftables refused its ruleset (%s)", strerror(-rc));
}

/* Once the new bundle is stored: the withdrawn routes go, then the
 * sections' changes that follow the ruleset, and the old policy. */
static void
switch_end(struct sekishod *d, struct policy *old, unsigned int what)
{
	int rc;

	if ((rc = tunnel_withdraw(old, &d->pol)) < 0)
		log_warnx("routes: cannot remove a withdrawn prefix: %s", strerror(-rc));
	sections_after(d, old, what);
	signon_policy(&d->signon, old, &d->pol, now_ms());
	eng_set_policy(d);	/* in the engine process (engside.c) */
	if (d->engine.mode == MODE_OFFICE)
		reverify(d);	/* under the new beacons and keys, now */
	policy_free(old);
}

/* The new policy's ruleset is in force but its bundle could not be
 * stored: the old one takes over again (by difference; failing that the
 * base ruleset, retried), with its routes; the new policy is freed. */
static void
switch_back(struct sekishod *d, struct policy *old, unsigned int what)
{
	struct policy new = d->pol;
	const char *uplink;
	enum mode mode = rules_for(d, &uplink);
	struct fw_params p;
	struct fw_change c;
	struct sk_error err;

	d->pol = *old;
	rules_params(d, mode, uplink, &d->pol, &p);
	if (fw_policy_diff(d->fw_held, &p, &c, &err) < 0)
		apply_rules(d, MODE_BLOCKED, NULL);
	else {
		apply_policy_rules(d, mode, uplink, &c);
		fw_change_free(&c);
	}
	undo_paths(d, &new, &d->pol, what);
	policy_free(&new);
}

/* This thread's CPU time, in microseconds: what other work on the
 * machine does not stretch. */
static uint64_t
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A candidate that passed the bundle's checks: can it take over live?
 * Its bytes are staged on disk (a thread: the fsyncs overlap what
 * follows) while its ruleset is computed and goes in (the transaction is
 * the test: refused, the old one stays, nothing is committed); then the
 * serial store is raised, the commit point (if that fails, the old policy
 * takes over again) and the incoming file removed, then the rest
 * follows. What is left of the commit (the bundle renamed into place) is
 * done once the reload is answered (accept_finish in the loop): a crash
 * before it is finished by the next start (docs/distribution.md, "The
 * order of a live change"). */
static void
take(struct sekishod *d, struct candidate *c, struct buf *out, uint64_t t0, uint64_t c0)
{
	uint64_t t1 = mono_us(), t2, t3, t4, t5, tun_us[2] = { 0, 0 };
	unsigned long long was = (unsigned long long)d->pol.serial;
	unsigned int what = live_plan(&d->pol, &c->pol);
	const char *path = d->acc.incoming;
	struct sk_error err;
	struct fw_change fc;
	struct policy old;
	struct tunnel_job tj;
	size_t added, withdrawn;
	uint8_t key[32];
	int rc;

	/* A new key-file is read here, by the parent, as at start (it keeps
	 * root's uid, so a root-owned 0600 file stays readable without
	 * CAP_DAC_OVERRIDE): the same checks (owner root, mode, format). A bad
	 * one refuses the bundle and the key in use stays. */
	if ((what & LIVE_KEY) && key_file_read(c->pol.key_file, key, 0, &err) < 0) {
		char why[sizeof(err.msg) + 128];

		snprintf(why, sizeof(why), "serial %llu changes the device section's "
		    "key-file: %s; the key in use stays", (unsigned long long)c->serial,
		    err.msg);
		refuse(out, path, why, was);
		policy_free(&c->pol);
		return;
	}
	accept_stage_start(&d->acc, c);
	/* The tunnel's routes and allowed IPs meanwhile, on a thread: they
	 * depend on the two policies alone (switch_begin) */
	tunnel_update_start(&d->tun, &d->pol, &c->pol, &tj);
	if (make_rules(d, &c->pol, &fc, &err) < 0) {
		if ((rc = tunnel_update_join(&tj)) < 0)
			log_warnx("tunnel %s: cannot set the new prefixes: %s", d->tun_if,
			    strerror(-rc));
		undo_paths(d, &c->pol, &d->pol, 0);
		accept_stage_wait(&d->acc, NULL);
		accept_abort(&d->acc);
		refuse(out, path, err.msg, was);
		policy_free(&c->pol);
		wipe(key, sizeof(key));
		return;
	}
	live_count(&d->pol, &c->pol, &added, &withdrawn);
	t2 = mono_us();
	if (switch_begin(d, &c->pol, &fc, what, &old, &tj, tun_us, &err) < 0) {
		fw_change_free(&fc);
		accept_stage_wait(&d->acc, NULL);
		accept_abort(&d->acc);
		refuse(out, path, err.msg, was);
		policy_free(&c->pol);
		wipe(key, sizeof(key));
		return;
	}
	fw_change_free(&fc);
	t3 = mono_us();
	if (accept_stage_wait(&d->acc, &err) < 0) {
		switch_back(d, &old, what);
		refuse(out, path, err.msg, was);
		wipe(key, sizeof(key));
		return;
	}
	t4 = mono_us();
	if (accept_store(&d->acc, c, &err) < 0) {
		switch_back(d, &old, what);
		refuse(out, path, err.msg, was);
		wipe(key, sizeof(key));
		return;
	}
	t5 = mono_us();
	if (what & LIVE_KEY)	/* committed: the tunnel takes it (sections_after) */
		memcpy(d->key, key, sizeof(d->key));
	wipe(key, sizeof(key));
	expiry_bundle(d, c);	/* its ruleset with work's accepts, if fresh */
	switch_end(d, &old, what);
	fetch_on_policy(d);
	log_info("reload of serial %llu timed: bundle read and checked %.1f ms "
	    "(helper %.1f, policy parsed %.1f), ruleset change made %.1f (rendered %.1f, "
	    "read back %.1f, compared %.1f; sections of the policy kept unrendered: %d of %d), "
	    "routes and ruleset in force %.1f (the tunnel's routes waited for %.1f, "
	    "its allowed IPs waited for after the ruleset %.1f), "
	    "staging waited for %.1f, stored %.1f, the rest %.1f; CPU %.1f",
	    (unsigned long long)d->pol.serial, (double)(t1 - t0) / 1e3,
	    (double)c->helper_us / 1e3, (double)c->parse_us / 1e3,
	    (double)(t2 - t1) / 1e3, (double)fc.render_us / 1e3, (double)fc.model_us / 1e3,
	    (double)fc.diff_us / 1e3, fc.sections_kept, FW_NSECTIONS,
	    (double)(t3 - t2) / 1e3, (double)tun_us[0] / 1e3, (double)tun_us[1] / 1e3,
	    (double)(t4 - t3) / 1e3,
	    (double)(t5 - t4) / 1e3, (double)(mono_us() - t5) / 1e3,
	    (double)(cpu_us() - c0) / 1e3);
	report(out, LOG_LEVEL_INFO, "accepted", "%s: policy serial %llu in force (was %llu): "
	    "%zu prefixes added, %zu withdrawn; stored as %s", path,
	    (unsigned long long)d->pol.serial, was, added, withdrawn, d->acc.bundle);
}

/* SIGHUP or "reload": a new bundle at the incoming path is refused with
 * one line, the policy in force untouched, or taken live. */
void
reload(struct sekishod *d, struct buf *out)
{
	unsigned long long serial = (unsigned long long)d->pol.serial;
	struct candidate c;
	struct sk_error err;
	uint64_t t0 = mono_us(), c0 = cpu_us();

	accept_finish(&d->acc);	/* the last commit's rest, if still due */
	if (!d->bundled) {
		report(out, LOG_LEVEL_WARN, "refused", "reload: sekishod reads a plain policy "
		    "file (-f) only at start; restart it, or run it with a signed bundle (-b)");
		return;
	}
	switch (accept_open(&d->acc, d->acc.incoming, 0, &c, &err)) {
	case ACCEPT_ABSENT:
		report(out, LOG_LEVEL_INFO, "unchanged", "reload: no new bundle at %s; "
		    "policy serial %llu stays in force", d->acc.incoming, serial);
		return;
	case ACCEPT_SAME:
		report(out, LOG_LEVEL_DEBUG, "unchanged", "%s", err.msg);
		return;
	case ACCEPT_REFUSED:
		refuse(out, d->acc.incoming, err.msg, serial);
		return;
	}
	take(d, &c, out, t0, c0);
	candidate_free(&c);
}

/* The dead elements a live change left in the kernel (fw_model.h: no
 * packet can match them) deleted, once the change is answered: the same
 * policy and mode again, without deferring, through the same checks as
 * any policy change. If that fails the kernel keeps what it holds (with
 * them), the model is dropped and the next change is a full load. */
void
tidy_now(struct sekishod *d)
{
	const char *uplink;
	enum mode mode;
	struct fw_params p;
	struct fw_change c;
	struct sk_error err;

	if (!d->tidy_due)
		return;
	d->tidy_due = 0;
	if (d->rules_base || d->fw_held == NULL)
		return;
	mode = rules_for(d, &uplink);
	rules_params(d, mode, uplink, &d->pol, &p);
	if (fw_policy_tidy(d->fw_held, &p, &c, &err) < 0) {
		log_warnx("ruleset: %s", err.msg);
		return;
	}
	if (c.cmds > 0 && try_policy_rules(d, mode, uplink, &c) < 0)
		log_warnx("ruleset: the dead elements of the last change stay");
	fw_change_free(&c);
}

void
ctl_reload(struct buf *out, void *arg)
{
	reload(arg, out);
}
