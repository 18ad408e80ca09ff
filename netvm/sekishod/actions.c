/*
 * Carrying out the engine's actions: rulesets, routes, the tunnel's path
 * and peer, probes. What to do is the engine's (engine.h); how, here.
 */
#include "netvm/sekishod/sekishod.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/notify.h"
#include "lib/util.h"
#include "netvm/sekishod/firewall.h"
#include "netvm/sekishod/route.h"

/* The uplink office mode last used, if it is still there: the rulesets
 * after office mode drop office-path frames still queued on it
 * (fw_office.h). Recorded when office mode's ruleset loads. */
static const char *
office_left(struct sekishod *d, enum mode mode, const char *uplink)
{
	const struct uplink *u;

	if (mode == MODE_OFFICE && (u = engine_office_uplink(&d->engine)) != NULL) {
		d->office_ifindex = u->ifindex;
		sk_strlcpy(d->office_if, u->name, sizeof(d->office_if));
		return uplink;
	}
	if (d->office_ifindex == 0)
		return NULL;
	if ((u = engine_uplink(&d->engine, d->office_ifindex)) == NULL ||
	    strcmp(u->name, d->office_if) != 0) {
		d->office_ifindex = 0;	/* gone, or another link now */
		return NULL;
	}
	return d->office_if;
}

/* What the renderer needs for mode's ruleset under pol, from the daemon's
 * state: the one place it is put together, so that a mode change and a
 * policy change in that mode render the same table. Office mode goes only
 * to the router it was proven behind (engine.h, fw_office.h): none known,
 * the office path stays closed. */
void
rules_params(struct sekishod *d, enum mode mode, const char *uplink,
    const struct policy *pol, struct fw_params *p)
{
	const struct uplink *u = mode == MODE_OFFICE ? engine_office_uplink(&d->engine) : NULL;

	memset(p, 0, sizeof(*p));
	/* The router is the one the parent itself saw when the beacon
	 * answered (engcheck.h), not what the engine says it is. */
	p->mode = mode;
	p->pol = pol;
	p->work_if = d->work_if;
	p->tun_if = d->tun_if;
	p->uplink = office_left(d, mode, uplink);
	p->router_mac = u != NULL ? kv_office_mac(&d->kv, u->ifindex) : NULL;
	p->expired = d->fresh.expired;
}

/* The ruleset of mode (over uplink) in one transaction: the mode's part
 * alone while the kernel holds this policy's table, or the policy change
 * c by difference; on failure the kernel keeps what it held. 0 or
 * -errno, with one line either way. */
static int
load_mode(struct sekishod *d, enum mode mode, const char *uplink, struct fw_change *c)
{
	const struct uplink *u = mode == MODE_OFFICE ? engine_office_uplink(&d->engine) : NULL;
	struct fw_params p;
	struct sk_error err;
	uint64_t t0 = now_ms();
	int rc, full = c != NULL ? c->full : d->fw_held == NULL;

	rules_params(d, mode, uplink, &d->pol, &p);
	if (mode != MODE_OFFICE)	/* before the office rules go */
		office_proof_drop(d->rundir);
	if (c != NULL) {
		rc = fw_change_apply(d->fw, c, &d->fw_held, &err);
		if (rc == 0 && c->tidy)
			d->tidy_due = now_ms();	/* tidy_now, once idle */
	} else
		rc = fw_switch_mode(d->fw, &p, &d->fw_held, &err);
	if (rc < 0) {
		log_warnx("mode %s: %s", mode_name(mode), err.msg);
		return rc;
	}
	if (u != NULL && (rc = office_proof_save(d->rundir, u)) < 0)
		log_warnx("%s/office: %s", d->rundir, strerror(-rc));
	log_info("mode %s%s%s: ruleset in force%s (%s, %llu ms)", mode_name(mode),
	    uplink != NULL ? " over " : "", uplink != NULL ? uplink : "",
	    p.expired && mode != MODE_BLOCKED ? ", work blocked: the policy expired" : "",
	    full ? "full load" : c != NULL ? "policy changed by difference" : "mode's chains",
	    (unsigned long long)(now_ms() - t0));
	return 0;
}

/* What follows from the kernel's ruleset changing from was (base or not)
 * to d->rules_mode: tracked connections forgotten between office and the
 * rest (their address translations differ), the office routes emptied
 * once office mode is gone, the office timers, bundle fetches. */
static void
rules_changed(struct sekishod *d, enum mode was)
{
	int rc;

	/* The router's liveness first: office mode's egress waits for its
	 * answer (fw_office.h), and the conntrack flush below waits for the
	 * kernel (closing a netfilter socket right after a transaction that
	 * removed rules waits for an RCU grace period: 10 ms or more). */
	if (d->rules_mode == MODE_OFFICE)
		office_arp(d);
	if ((was == MODE_OFFICE) != (d->rules_mode == MODE_OFFICE) &&
	    (rc = conntrack_flush()) < 0)
		log_warnx("conntrack: cannot flush: %s", strerror(-rc));
	if (was == MODE_OFFICE && d->rules_mode != MODE_OFFICE)
		d->office_unroute_due = 1;	/* office_unroute_now */
	if (d->rules_mode == MODE_OFFICE) {
		timers_on_office(&d->timers, now_ms(), timers_reverify_ms(&d->pol),
		    (uint32_t)random());
		/* The ruleset came with a fresh vouch. */
		d->vouched_ms = now_ms();
		d->vouch_lapsed = 0;
		timers_on_vouched(&d->timers, d->vouched_ms, timers_vouch_ms(&d->pol));
	} else {
		timers_on_not_office(&d->timers);
		office_arp_stop(d);
	}
	dns_on_rules(d);
	fetch_on_mode(d, was);
	if (d->rules_mode != MODE_BLOCKED && !d->rules_base) {
		signon_on_path(&d->signon, &d->pol, now_ms());
		if (signon_due(&d->signon) != 0)
			timers_on_respawn_due(&d->timers, signon_due(&d->signon));
	}
}

static int
put_rules(struct sekishod *d, enum mode mode, const char *uplink, struct fw_change *c,
    int fallback)
{
	struct fw_params base = { .mode = MODE_BLOCKED };
	const struct uplink *u = engine_office_uplink(&d->engine);
	enum mode was = d->rules_mode;
	struct sk_error err;
	unsigned int ms;
	int rc;

	/* Office rules only over an uplink the parent itself saw a beacon
	 * verify on within office-vouch (engcheck.h), whoever asks: else
	 * the blocked ruleset, and the engine starts over. */
	if (mode == MODE_OFFICE && (u == NULL || uplink == NULL ||
	    strcmp(u->name, uplink) != 0 || kv_check_office(&d->kv, u->ifindex, uplink,
	    now_ms(), timers_vouch_ms(&d->pol), &err) < 0)) {
		if (u == NULL || uplink == NULL || strcmp(u->name, uplink) != 0)
			sk_errorf(&err, EPERM, "office mode over %s: not the engine's office "
			    "uplink", uplink != NULL ? uplink : "nothing");
		log_warnx("%s; blocked instead, the engine starts over", err.msg);
		d->resync = 1;
		d->resync_fresh = 1;
		mode = MODE_BLOCKED;
		uplink = NULL;
		c = NULL;
	}
	if ((rc = load_mode(d, mode, uplink, c)) == 0) {
		d->rules_mode = mode;
		d->rules_base = 0;
		d->rules_failures = 0;
		timers_on_rules_loaded(&d->timers);
		rules_changed(d, was);
		return 0;
	}
	if (!fallback)
		return rc;	/* the kernel holds what it held (one transaction) */
	/* A ruleset that cannot load must not leave an older, wider one in
	 * force, and the blocked ruleset of the same policy would likely fail
	 * the same way: the base ruleset, which needs no policy, stands in
	 * until the mode's loads. */
	d->rules_failures++;
	ms = timers_on_rules_failed(&d->timers, now_ms(), d->rules_failures);
	office_proof_drop(d->rundir);
	if (fw_load(d->fw, &base, &d->fw_held, &err) < 0) {
		log_warnx("base ruleset: %s; the previous ruleset (mode %s%s) stays in "
		    "force; trying mode %s again in %u ms", err.msg, mode_name(was),
		    d->rules_base ? ", base" : "", mode_name(mode), ms);
		return rc;
	}
	d->rules_mode = MODE_BLOCKED;
	d->rules_base = 1;
	log_warnx("mode %s: the base ruleset is in force instead (everything blocked); "
	    "trying again in %u ms", mode_name(mode), ms);
	rules_changed(d, was);
	return rc;
}

int
apply_rules(struct sekishod *d, enum mode mode, const char *uplink)
{
	return put_rules(d, mode, uplink, NULL, 1);
}

int
apply_policy_rules(struct sekishod *d, enum mode mode, const char *uplink,
    struct fw_change *c)
{
	return put_rules(d, mode, uplink, c, 1);
}

int
try_policy_rules(struct sekishod *d, enum mode mode, const char *uplink,
    struct fw_change *c)
{
	return put_rules(d, mode, uplink, c, 0);
}

void
office_unroute_now(struct sekishod *d)
{
	int rc;

	if (!d->office_unroute_due)
		return;
	d->office_unroute_due = 0;
	if (d->rules_mode == MODE_OFFICE)
		return;		/* office again already: its routes are wanted */
	if ((rc = office_unroute()) < 0)
		log_warnx("office: cannot empty the office table (%d): %s",
		    SK_RT_OFFICE, strerror(-rc));
}

/* T_RULES: the engine's mode, whose ruleset failed to load, tried again
 * (with its office routes, emptied when the base ruleset took over). */
void
rules_retry(struct sekishod *d)
{
	const struct uplink *u = engine_uplink(&d->engine, d->engine.active);
	enum mode mode = d->engine.mode;
	int rc;

	if (mode == MODE_OFFICE && u == NULL)
		mode = MODE_BLOCKED;
	if (mode == MODE_OFFICE)
		d->office_unroute_due = 0;	/* replaced here */
	if (mode == MODE_OFFICE &&
	    (rc = office_routes(u->ifindex, u->has_gw ? &u->gw : NULL)) < 0)
		log_warnx("office: cannot route LGWAN over %s: %s", u->name, strerror(-rc));
	apply_rules(d, mode, mode == MODE_OFFICE ? u->name : NULL);
}

static void
vouch_renew(struct sekishod *d, const char *uplink)
{
	struct sk_error err;
	uint64_t now = now_ms();

	if (fw_vouch(d->fw, uplink, timers_vouch_ms(&d->pol), &err) < 0) {
		log_warnx("office: cannot renew the vouch for %s: %s", uplink, err.msg);
		return;
	}
	if (d->vouch_lapsed)
		log_info("office: vouch for %s renewed: the beacon answered again", uplink);
	d->vouched_ms = now;
	d->vouch_lapsed = 0;
	timers_on_vouched(&d->timers, now, timers_vouch_ms(&d->pol));
}

void
office_vouch(struct sekishod *d)
{
	const struct uplink *u = engine_office_uplink(&d->engine);

	if (d->rules_mode != MODE_OFFICE || u == NULL)
		return;
	/* No verified answer for office-vouch: the kernel has closed the
	 * office path (the link may be another one now, or sekishod was
	 * stalled); only a beacon's answer opens it again. */
	if (!d->vouch_lapsed)
		log_warnx("office: no beacon answer on %s for %llu ms; office paths are "
		    "closed until the beacon answers again", u->name,
		    (unsigned long long)(now_ms() - d->vouched_ms));
	d->vouch_lapsed = 1;
	reverify(d);
}

void
office_vouch_beacon(struct sekishod *d, const struct event *ev)
{
	const struct uplink *u = engine_office_uplink(&d->engine);

	struct sk_error err;

	/* Only a fresh answer on the office uplink renews the vouch, and
	 * only for the name the kernel gives that link (engcheck.h). */
	if (ev->type == EV_BEACON_OK && d->rules_mode == MODE_OFFICE &&
	    u != NULL && u->ifindex == ev->ifindex &&
	    kv_check_office(&d->kv, u->ifindex, u->name, now_ms(), timers_vouch_ms(&d->pol),
	    &err) == 0)
		vouch_renew(d, u->name);
}

void
watchdog(struct sekishod *d)
{
	(void)d;
	notify_send("WATCHDOG=1");
}

static int
do_probe(struct sekishod *d, const struct action *a)
{
	const struct uplink *u = engine_uplink(&d->engine, a->ifindex);
	struct rtnl_unresolved ur;
	char s[INET_ADDRSTRLEN];
	int rc;

	/* The beacon (and the router) must be resolvable at once: an entry
	 * the kernel began while the carrier was out holds every round's
	 * challenge until its next ARP request, a second or more after the
	 * probe gave up (rtnl.h). Asked afresh before the first round. */
	if ((rc = rtnl_neigh_restart(a->ifindex, &ur)) < 0)
		log_warnx("uplink %s: cannot read its neighbour entries: %s", a->uplink,
		    strerror(-rc));
	for (size_t i = 0; i < ur.n; i++)
		if (ur.waited_ms[i] == UINT32_MAX)
			log_info("uplink %s: the kernel had been resolving %s (for how long it "
			    "does not say): asked afresh", a->uplink,
			    inet_ntop(AF_INET, &ur.addr[i], s, sizeof(s)));
		else
			log_info("uplink %s: the kernel had been resolving %s for %u ms (an "
			    "ARP request made while the carrier was out is lost, and the next "
			    "comes a second later): asked afresh", a->uplink,
			    inet_ntop(AF_INET, &ur.addr[i], s, sizeof(s)), ur.waited_ms[i]);
	/* The router's link-layer address, resolved while the beacon is
	 * asked: office mode is bound to it (engine.h). */
	if (u != NULL && u->has_gw && (rc = rtnl_neigh_use(u->ifindex, u->gw)) < 0)
		log_warnx("uplink %s: cannot resolve its router: %s", a->uplink, strerror(-rc));
	if ((rc = prober_start(&d->prober, &d->pol, a->ifindex, a->uplink, now_ms())) < 0 ||
	    (u != NULL && u->has_addr &&
	    (rc = prober_source(&d->prober, a->ifindex, u->addr)) < 0)) {
		struct event ev = { .type = EV_BEACON_FAIL, .ifindex = a->ifindex,
		    .now_ms = now_ms() };

		log_warnx("uplink %s: cannot probe beacons: %s", a->uplink, strerror(-rc));
		d->pending = ev;
		d->has_pending = 1;
	}
	return rc;
}

/* One line per switch, naming both gateways and why. */
/* An extra wait of ms, give or take a fifth: laptops that lost every
 * gateway at once (the gateways' outage) must not come back in step. */
static unsigned int
backoff_jitter(uint64_t ms)
{
	uint64_t fifth = ms / 5;

	if (ms == 0)
		return 0;
	return (unsigned int)(ms - fifth + (uint64_t)random() % (2 * fifth + 1));
}

static void
do_gateway(struct sekishod *d, const struct action *a)
{
	const char *from = d->pol.gateways[a->gw_from].name;
	const char *to = d->pol.gateways[a->gateway].name;
	int rc;

	if (a->quiet)
		;	/* every gateway silent: said once (ACT_SILENT) */
	else if (a->why == GW_TIMEOUT)
		log_warnx("gateway \"%s\" gave no handshake in %u s over %s, trying \"%s\"",
		    from, d->pol.gateway_timeout_s, a->uplink, to);
	else if (a->why == GW_STALE)
		log_warnx("gateway \"%s\" went stale over %s (no handshake for %u s, no other "
		    "uplink), trying \"%s\"", from, a->uplink, d->pol.handshake_stale_s, to);
	else if (a->why == GW_QUIET && tunnel_has_echo(&d->tun, &d->pol))
		log_warnx("gateway \"%s\" is gone: it has not heard us for %u s over %s (no"
		    " answer to its echo, no handshake; no other uplink), trying \"%s\"", from,
		    (unsigned int)((ENGINE_QUIET_MS + ENGINE_LIVE_WAIT_MS) / 1000), a->uplink, to);
	else if (a->why == GW_QUIET)
		log_warnx("gateway \"%s\" is gone: nothing from it for %u s over %s, not even"
		    " to a probe (no other uplink), trying \"%s\"", from,
		    (unsigned int)((ENGINE_QUIET_MS + ENGINE_LIVE_WAIT_MS) / 1000), a->uplink, to);
	else if (a->why == GW_BACK)
		log_info("gateway \"%s\" answers again, the first in order: back to it over "
		    "%s (was \"%s\")", to, a->uplink, from);
	else
		log_info("gateway \"%s\" again, the first in order, as the tunnel starts "
		    "afresh over %s (was \"%s\")", to, a->uplink, from);
	if ((rc = tunnel_gateway(&d->tun, &d->pol, a->gateway)) < 0) {
		log_warnx("tunnel: cannot switch to gateway \"%s\": %s; reading the "
		    "state again", to, strerror(-rc));
		d->resync = 1;	/* the engine follows what the tunnel holds */
		return;
	}
	d->handshake_seen = 0;
	d->echo_seen_ms = 0;	/* the last echo answer was another gateway's */
	timers_on_gateway_tried(&d->timers, now_ms(),
	    timers_gateway_timeout_ms(&d->pol) + backoff_jitter(a->retry_ms));
}

void
do_action(struct sekishod *d, const struct action *a)
{
	const struct in_addr *gw = a->has_gw ? &a->gw : NULL;
	char g[INET_ADDRSTRLEN];
	int rc;

	switch (a->type) {
	case ACT_PROBE:
		do_probe(d, a);
		break;
	case ACT_TUNNEL_VIA:
		if ((rc = tunnel_via(&d->tun, a->ifindex, gw)) < 0)
			log_warnx("tunnel: cannot route to the gateway over %s: %s",
			    a->uplink, strerror(-rc));
		else
			log_info("tunnel: gateway reached over %s%s%s", a->uplink,
			    gw ? " via " : "", gw ? inet_ntop(AF_INET, gw, g, sizeof(g)) : "");
		timers_on_gateway_tried(&d->timers, now_ms(), timers_gateway_timeout_ms(&d->pol));
		break;
	case ACT_GATEWAY:
		do_gateway(d, a);
		break;
	case ACT_OFFICE_VIA:
		d->office_unroute_due = 0;	/* replaced here */
		if ((rc = office_routes(a->ifindex, gw)) < 0)
			log_warnx("office: cannot route LGWAN over %s: %s", a->uplink,
			    strerror(-rc));
		break;
	case ACT_RULES:
		apply_rules(d, a->mode, a->mode == MODE_OFFICE ? a->uplink : NULL);
		break;
	case ACT_TUNNEL_IDLE:
		if ((rc = tunnel_idle(&d->tun)) < 0)
			log_warnx("tunnel: cannot remove its route: %s", strerror(-rc));
		timers_on_tunnel_idle(&d->timers);
		break;
	case ACT_BACK_PROBE:
		if ((rc = tunnel_back_probe(&d->tun, &d->pol)) < 0)
			log_warnx("tunnel: cannot ask gateway \"%s\" for a handshake: %s",
			    d->pol.gateways[0].name, strerror(-rc));
		break;
	case ACT_LIVE_PROBE:
		if ((rc = tunnel_live_probe(&d->tun, &d->pol)) < 0) {
			/* no probe, no judgment: counted as a word from the
			 * gateway, so the engine does not leave it for a
			 * silence it did not ask for; said once per error */
			d->rx_seen_ms = d->echo_seen_ms = now_ms();
			if (rc != d->live_probe_err)
				log_warnx("tunnel: cannot probe gateway \"%s\": %s; a quiet"
				    " gateway is judged by handshake-stale",
				    d->pol.gateways[d->tun.gw].name, strerror(-rc));
			d->live_probe_err = rc;
		} else {
			d->live_probe_err = 0;
			log_debug("tunnel: quiet for %u s, gateway \"%s\" probed%s",
			    ENGINE_QUIET_MS / 1000, d->pol.gateways[d->tun.gw].name,
			    tunnel_has_echo(&d->tun, &d->pol) ? " (echo)" : "");
		}
		break;
	case ACT_SILENT:
		log_warnx("all gateways silent; retrying in %u s",
		    (unsigned int)((timers_gateway_timeout_ms(&d->pol) + a->retry_ms) / 1000));
		break;
	case ACT_ANSWERED:
		log_info("gateway \"%s\" answered after %u s of silence from every gateway",
		    d->pol.gateways[a->gateway].name, (unsigned int)(a->silent_ms / 1000));
		break;
	case ACT_STALE:
		if (a->why == GW_QUIET)
			log_warnx("tunnel: gateway \"%s\" %s for %u s over %s, %s",
			    d->pol.gateways[d->tun.gw].name, tunnel_has_echo(&d->tun, &d->pol) ?
			    "has not heard us (no answer to its echo, no handshake)" :
			    "sent nothing, not even to a probe",
			    (unsigned int)((ENGINE_QUIET_MS + ENGINE_LIVE_WAIT_MS) / 1000),
			    a->uplink, a->moved ? "trying another uplink" :
			    "and no other uplink or gateway to try");
		else if (a->moved)
			log_warnx("tunnel: no handshake over %s for %u s, trying another uplink",
			    a->uplink, d->pol.handshake_stale_s);
		else
			log_warnx("tunnel: no handshake over %s for %u s, and no other "
			    "uplink or gateway to try", a->uplink, d->pol.handshake_stale_s);
		break;
	}
}

static void
ask_again(struct sekishod *d, int quiet)
{
	const struct uplink *u = engine_office_uplink(&d->engine);
	struct action a = { .type = ACT_PROBE };

	if (u == NULL)
		return;
	a.ifindex = u->ifindex;
	sk_strlcpy(a.uplink, u->name, sizeof(a.uplink));
	if (do_probe(d, &a) == 0 && quiet)
		prober_quiet(&d->prober, a.ifindex);
	timers_on_office(&d->timers, now_ms(), timers_reverify_ms(&d->pol),
	    (uint32_t)random());
}

/* In office mode: ask the beacon again; a failure falls back to remote. */
void
reverify(struct sekishod *d)
{
	ask_again(d, 0);
}

/* T_REVERIFY: the same, every beacon-reverify; an answer that holds
 * renews the vouch without a line in the log. */
void
recheck(struct sekishod *d)
{
	ask_again(d, 1);
}

/* T_OFFICE_RETRY: an uplink that fell from office mode is asked again
 * when its retry is due (engine_office_retry); a failure says nothing
 * more, an answer says so as the first one did. */
void
office_retry(struct sekishod *d)
{
	struct action probes[ENG_MAX_ACTS];
	size_t n = eng_office_retry(d, now_ms(), probes);

	for (size_t i = 0; i < n; i++)
		if (do_probe(d, &probes[i]) == 0)
			prober_hush(&d->prober, probes[i].ifindex);
	timers_on_office_retry(&d->timers, engine_office_retry_at(&d->engine));
}
