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
#include "lib/util.h"
#include "netvm/sekishod/firewall.h"
#include "netvm/sekishod/route.h"

int
apply_rules(struct sekishod *d, enum mode mode, const char *uplink)
{
	struct fw_params p = { mode, &d->pol, d->work_if, d->tun_if, uplink };
	struct sk_error err;
	uint64_t t0 = now_ms();
	const struct uplink *u;
	int rc;

	if (mode != MODE_OFFICE)	/* before the office rules go */
		office_proof_drop(d->rundir);
	if ((rc = fw_load(d->fw, &p, &err)) < 0) {
		log_warnx("mode %s: %s; the previous ruleset stays in force",
		    mode_name(mode), err.msg);
		return rc;
	}
	if (mode == MODE_OFFICE && (u = engine_office_uplink(&d->engine)) != NULL &&
	    (rc = office_proof_save(d->rundir, u)) < 0)
		log_warnx("%s/office: %s", d->rundir, strerror(-rc));
	log_info("mode %s%s%s: ruleset in force (%llu ms)", mode_name(mode),
	    uplink != NULL ? " over " : "", uplink != NULL ? uplink : "",
	    (unsigned long long)(now_ms() - t0));
	if (mode == MODE_OFFICE)
		timers_on_office(&d->timers, now_ms(), timers_reverify_ms(&d->pol),
		    (uint32_t)random());
	else
		timers_on_not_office(&d->timers);
	return 0;
}

static void
do_probe(struct sekishod *d, const struct action *a)
{
	int rc;

	if ((rc = prober_start(&d->prober, &d->pol, a->ifindex, a->uplink, now_ms())) < 0) {
		struct event ev = { .type = EV_BEACON_FAIL, .ifindex = a->ifindex,
		    .now_ms = now_ms() };

		log_warnx("uplink %s: cannot probe beacons: %s", a->uplink, strerror(-rc));
		d->pending = ev;
		d->has_pending = 1;
	}
}

/* One line per switch, naming both gateways and why. */
static void
do_gateway(struct sekishod *d, const struct action *a)
{
	const char *from = d->pol.gateways[a->gw_from].name;
	const char *to = d->pol.gateways[a->gateway].name;
	int rc;

	if (a->why == GW_TIMEOUT)
		log_warnx("gateway \"%s\" gave no handshake in %u s over %s, trying \"%s\"",
		    from, d->pol.gateway_timeout_s, a->uplink, to);
	else if (a->why == GW_STALE)
		log_warnx("gateway \"%s\" went stale over %s (no handshake for %u s, no other "
		    "uplink), trying \"%s\"", from, a->uplink, d->pol.handshake_stale_s, to);
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
	timers_on_gateway_tried(&d->timers, now_ms(), timers_gateway_timeout_ms(&d->pol));
}

void
do_action(struct sekishod *d, const struct action *a)
{
	const struct in_addr *gw = a->has_gw ? &a->gw : NULL;
	char g[INET_ADDRSTRLEN];
	enum mode prev;
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
		if ((rc = office_routes(&d->pol, a->ifindex, gw)) < 0)
			log_warnx("office: cannot route LGWAN over %s: %s", a->uplink,
			    strerror(-rc));
		break;
	case ACT_RULES:
		prev = d->rules_mode;
		/* A ruleset that cannot load must not leave an older, wider
		 * one in force: fall back to blocked. */
		if (apply_rules(d, a->mode, a->mode == MODE_OFFICE ? a->uplink : NULL) < 0 &&
		    a->mode != MODE_BLOCKED)
			apply_rules(d, MODE_BLOCKED, NULL);
		if ((a->mode == MODE_OFFICE) != (d->rules_mode == MODE_OFFICE) &&
		    (rc = conntrack_flush()) < 0)
			log_warnx("conntrack: cannot flush: %s", strerror(-rc));
		d->rules_mode = a->mode;
		fetch_on_mode(d, prev);
		break;
	case ACT_TUNNEL_IDLE:
		if ((rc = tunnel_idle(&d->tun)) < 0)
			log_warnx("tunnel: cannot remove its route: %s", strerror(-rc));
		timers_on_tunnel_idle(&d->timers);
		break;
	case ACT_STALE:
		if (a->moved)
			log_warnx("tunnel: no handshake over %s for %u s, trying another uplink",
			    a->uplink, d->pol.handshake_stale_s);
		else
			log_warnx("tunnel: no handshake over %s for %u s, and no other "
			    "uplink or gateway to try", a->uplink, d->pol.handshake_stale_s);
		break;
	}
}

/* In office mode: ask the beacon again; a failure falls back to remote. */
void
reverify(struct sekishod *d)
{
	const struct uplink *u = engine_office_uplink(&d->engine);
	struct action a = { .type = ACT_PROBE };

	if (u == NULL)
		return;
	a.ifindex = u->ifindex;
	sk_strlcpy(a.uplink, u->name, sizeof(a.uplink));
	do_probe(d, &a);
	timers_on_office(&d->timers, now_ms(), timers_reverify_ms(&d->pol),
	    (uint32_t)random());
}
