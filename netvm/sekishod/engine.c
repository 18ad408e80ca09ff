#include "netvm/sekishod/engine.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

const char *
office_state_name(enum office_state s)
{
	switch (s) {
	case OFFICE_UNKNOWN:
		return "unprobed";
	case OFFICE_PROBING:
		return "probing";
	case OFFICE_VERIFIED:
		return "office";
	case OFFICE_NO:
		return "not-office";
	}
	return "?";
}

const char *
gw_why_text(enum gw_why w)
{
	switch (w) {
	case GW_TIMEOUT:
		return "gave no handshake";
	case GW_STALE:
		return "went stale";
	case GW_QUIET:
		return "answered no probe";
	case GW_FIRST:
	case GW_AFRESH:
	case GW_BACK:
		break;
	}
	return NULL;
}

void
engine_init(struct engine *e, int work_ifindex, int tunnel_ifindex,
    struct in_addr endpoint, int beacons)
{
	memset(e, 0, sizeof(*e));
	e->work_ifindex = work_ifindex;
	e->tunnel_ifindex = tunnel_ifindex;
	e->endpoints[0] = endpoint;
	e->n_gateways = 1;
	e->beacons = beacons;
	e->mode = MODE_BLOCKED;
	sk_strlcpy(e->reason, "no uplink yet", sizeof(e->reason));
}

void
engine_set_policy(struct engine *e, int beacons, uint64_t stale_ms)
{
	e->beacons = beacons;
	e->stale_ms = stale_ms;
}

void
engine_gateways(struct engine *e, const struct in_addr *endpoints, size_t n,
    size_t current)
{
	if (n == 0)
		return;
	if (n > ENGINE_MAX_GATEWAYS)
		n = ENGINE_MAX_GATEWAYS;
	memcpy(e->endpoints, endpoints, n * sizeof(*endpoints));
	e->n_gateways = n;
	e->gateway = e->gw_from = current < n ? current : 0;
	e->gw_why = GW_FIRST;
}

const struct uplink *
engine_uplink(const struct engine *e, int ifindex)
{
	for (size_t i = 0; i < e->n_uplinks; i++)
		if (e->uplinks[i].ifindex == ifindex)
			return &e->uplinks[i];
	return NULL;
}

const struct uplink *
engine_office_uplink(const struct engine *e)
{
	return e->mode == MODE_OFFICE ? engine_uplink(e, e->active) : NULL;
}

static struct uplink *
uplink_get(struct engine *e, int ifindex, int create)
{
	struct uplink *u;

	for (size_t i = 0; i < e->n_uplinks; i++)
		if (e->uplinks[i].ifindex == ifindex)
			return &e->uplinks[i];
	if (!create || e->n_uplinks == ENGINE_MAX_UPLINKS)
		return NULL;
	u = &e->uplinks[e->n_uplinks++];
	memset(u, 0, sizeof(*u));
	u->ifindex = ifindex;
	return u;
}

static void
uplink_remove(struct engine *e, int ifindex)
{
	for (size_t i = 0; i < e->n_uplinks; i++) {
		if (e->uplinks[i].ifindex != ifindex)
			continue;
		e->uplinks[i] = e->uplinks[--e->n_uplinks];
		return;
	}
}

static int
on_link(const struct uplink *u, struct in_addr a)
{
	uint32_t mask = u->plen == 0 ? 0 : htonl(~0u << (32 - u->plen));

	return ((u->addr.s_addr ^ a.s_addr) & mask) == 0;
}

/* Can carry traffic: carrier, an address, and a way on (a default route,
 * or the endpoint of the gateway in use on its own subnet). */
static int
usable(const struct engine *e, const struct uplink *u)
{
	return u->carrier && u->has_addr &&
	    (u->has_gw || on_link(u, e->endpoints[e->gateway]));
}

int
engine_usable(const struct engine *e, const struct uplink *u)
{
	return usable(e, u);
}

const struct uplink *
engine_uplink_named(const struct engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_uplinks; i++)
		if (strcmp(e->uplinks[i].name, name) == 0)
			return &e->uplinks[i];
	return NULL;
}

enum prefer_verdict
engine_prefer_check(const struct engine *e, const char *name, const char **why)
{
	const struct uplink *u;
	const char *w = NULL;
	enum prefer_verdict v;

	if (name[0] == '\0')
		v = e->prefer[0] == '\0' ? PREFER_SAME : PREFER_OK;
	else if ((u = engine_uplink_named(e, name)) == NULL)
		v = PREFER_UNKNOWN;
	else if (e->mode == MODE_OFFICE)
		v = PREFER_OFFICE;
	else if (!usable(e, u)) {
		v = PREFER_DOWN;
		w = !u->carrier ? "no carrier" : !u->has_addr ? "no address" :
		    "no default route";
	} else
		v = strcmp(e->prefer, name) == 0 ? PREFER_SAME : PREFER_OK;
	if (why != NULL)
		*why = w;
	return v;
}

/* Is a better than b (b may be NULL)? In a remote pick, the preferred
 * uplink first (engine.h); then priority, then the one in use, then the
 * lower ifindex, so the choice is deterministic. */
static int
better(const struct engine *e, const struct uplink *a, const struct uplink *b, int prefer)
{
	if (b == NULL)
		return 1;
	if (prefer && e->prefer[0] != '\0' &&
	    (strcmp(a->name, e->prefer) == 0) != (strcmp(b->name, e->prefer) == 0))
		return strcmp(a->name, e->prefer) == 0;
	if (a->priority != b->priority)
		return a->priority > b->priority;
	if ((a->ifindex == e->active) != (b->ifindex == e->active))
		return a->ifindex == e->active;
	return a->ifindex < b->ifindex;
}

enum pick { PICK_OFFICE, PICK_FRESH, PICK_PROBING, PICK_ANY };

static int
eligible(const struct engine *e, const struct uplink *u, enum pick how,
    uint64_t now)
{
	if (!usable(e, u))
		return 0;
	switch (how) {
	case PICK_OFFICE:
		/* Proven, and bound to the router it was proven behind. */
		return u->office == OFFICE_VERIFIED && u->has_office_mac;
	case PICK_FRESH:
		return u->stale_until_ms <= now && u->office != OFFICE_PROBING;
	case PICK_PROBING:
		return u->stale_until_ms <= now;
	case PICK_ANY:
		return 1;
	}
	return 0;
}

static const struct uplink *
pick(const struct engine *e, enum pick how, uint64_t now)
{
	const struct uplink *best = NULL;

	for (size_t i = 0; i < e->n_uplinks; i++)
		if (eligible(e, &e->uplinks[i], how, now) &&
		    better(e, &e->uplinks[i], best, how != PICK_OFFICE))
			best = &e->uplinks[i];
	return best;
}

/* An uplink changed in a way that may change what it is connected to:
 * what a beacon proved on it no longer holds. */
static void
forget_office(struct uplink *u)
{
	u->office = OFFICE_UNKNOWN;
	u->beacon[0] = '\0';
	u->stale_until_ms = 0;
	u->has_office_mac = 0;
	u->retry_wait_ms = 0;	/* another network, maybe: no retry */
}

/* The router's neighbour entry, as the kernel shows it, binds office mode
 * when the beacon has answered (engine.h). */
static void
bind_router(struct uplink *u)
{
	if (u->office != OFFICE_VERIFIED || u->has_office_mac || !u->has_gw_mac)
		return;
	memcpy(u->office_mac, u->gw_mac, sizeof(u->office_mac));
	u->has_office_mac = 1;
}

static int
link_event(struct uplink *u, const struct event *ev)
{
	int changed = u->carrier != ev->carrier || strcmp(u->name, ev->name) != 0 ||
	    u->priority != ev->priority;

	sk_strlcpy(u->name, ev->name, sizeof(u->name));
	u->priority = ev->priority;
	/* A flap whose events were lost shows in the kernel's count. */
	if (u->carrier != ev->carrier || u->carrier_changes != ev->carrier_changes) {
		changed |= u->office != OFFICE_UNKNOWN;
		forget_office(u);
	}
	u->carrier = ev->carrier;
	u->carrier_changes = ev->carrier_changes;
	return changed;
}

static int
addr_event(struct uplink *u, const struct event *ev)
{
	if (ev->type == EV_ADDR_ADD) {
		if (u->has_addr && u->addr.s_addr == ev->addr.s_addr && u->plen == ev->plen)
			return 0;
		u->has_addr = 1;
		u->addr = ev->addr;
		u->plen = ev->plen;
	} else {
		if (!u->has_addr || u->addr.s_addr != ev->addr.s_addr)
			return 0;
		u->has_addr = 0;
		/* The kernel drops the routes through an address with it and
		 * says nothing of them: the default route is gone too, until
		 * one is added again (and announced). */
		u->has_gw = 0;
	}
	forget_office(u);
	return 1;
}

static int
gw_event(struct uplink *u, const struct event *ev)
{
	if (ev->type == EV_GW_ADD) {
		if (u->has_gw && u->gw.s_addr == ev->gw.s_addr)
			return 0;
		u->has_gw = 1;
		u->gw = ev->gw;
		u->has_gw_mac = 0;	/* another router: its entry comes */
	} else {
		if (!u->has_gw || u->gw.s_addr != ev->gw.s_addr)
			return 0;
		u->has_gw = 0;
	}
	forget_office(u);
	return 1;
}

static int
beacon_event(struct engine *e, struct uplink *u, const struct event *ev)
{
	if (ev->type == EV_BEACON_OK) {
		int was = u->office == OFFICE_VERIFIED;

		u->office = OFFICE_VERIFIED;
		sk_strlcpy(u->beacon, ev->beacon, sizeof(u->beacon));
		u->verified_ms = ev->now_ms;
		u->retry_wait_ms = 0;
		bind_router(u);
		/* A re-verification that holds only refreshes the reason. */
		if (was && e->mode == MODE_OFFICE && e->active == u->ifindex)
			return 0;
		return 1;
	}
	/* Fell from office mode, or a retry of it failed: asked again
	 * later, each wait twice the last (engine.h). */
	if (u->office == OFFICE_VERIFIED) {
		u->retry_wait_ms = ENGINE_OFFICE_RETRY_MIN_MS;
		u->has_retry_mac = u->has_office_mac;
		memcpy(u->retry_mac, u->office_mac, sizeof(u->retry_mac));
	}
	else if (u->office == OFFICE_PROBING && u->retry_wait_ms != 0)
		u->retry_wait_ms = u->retry_wait_ms * 2 > ENGINE_OFFICE_RETRY_MAX_MS ?
		    ENGINE_OFFICE_RETRY_MAX_MS : u->retry_wait_ms * 2;
	else
		u->retry_wait_ms = 0;
	if (u->retry_wait_ms != 0) {
		uint64_t fifth = u->retry_wait_ms / 5;

		u->retry_at_ms = ev->now_ms + u->retry_wait_ms - fifth +
		    ev->rand % (2 * fifth + 1);
	}
	if (u->office == OFFICE_NO)
		return 0;
	u->office = OFFICE_NO;
	u->beacon[0] = '\0';
	u->has_office_mac = 0;
	return 1;
}

/* The uplink's router resolved (or forgotten) by the kernel. Another
 * link-layer address than the one office mode is bound to is another
 * network: what the beacon proved is forgotten, at once. */
static int
neigh_event(struct uplink *u, const struct event *ev)
{
	if (!u->has_gw || u->gw.s_addr != ev->addr.s_addr)
		return 0;
	if (!ev->has_lladdr) {
		u->has_gw_mac = 0;
		return 0;
	}
	u->has_gw_mac = 1;
	memcpy(u->gw_mac, ev->lladdr, sizeof(u->gw_mac));
	/* Another router than the one office mode fell behind: no retry. */
	if (u->retry_wait_ms != 0 && u->has_retry_mac &&
	    memcmp(u->retry_mac, ev->lladdr, sizeof(u->retry_mac)) != 0)
		u->retry_wait_ms = 0;
	if (u->has_office_mac) {
		if (memcmp(u->office_mac, ev->lladdr, sizeof(u->office_mac)) == 0)
			return 0;
		forget_office(u);
		return 1;
	}
	bind_router(u);
	return u->has_office_mac;
}

/* Updates the table from one event: 1 if the decision may change. */
static int
apply_event(struct engine *e, const struct event *ev)
{
	struct uplink *u;

	if (ev->type == EV_TICK)
		return 1;
	/* The edge asked engine_prefer_check() first. Kept by name, also
	 * while no uplink has it: pick() only ever chooses among the
	 * uplinks it knows and finds usable, whatever the name. */
	if (ev->type == EV_PREFER) {
		if (strcmp(e->prefer, ev->name) == 0)
			return 0;
		sk_strlcpy(e->prefer, ev->name, sizeof(e->prefer));
		return 1;
	}
	if (ev->type == EV_TUNNEL_STALE) {
		if (e->mode != MODE_REMOTE || (u = uplink_get(e, e->active, 0)) == NULL)
			return 0;
		u->stale_until_ms = ev->now_ms + ENGINE_STALE_RETRY_MS;
		return 1;
	}
	if (ev->ifindex == e->work_ifindex || ev->ifindex == e->tunnel_ifindex ||
	    ev->ifindex <= 0)
		return 0;
	if (ev->type == EV_LINK_GONE) {
		uplink_remove(e, ev->ifindex);
		return 1;
	}
	if ((u = uplink_get(e, ev->ifindex, ev->type == EV_LINK)) == NULL)
		return 0;
	switch (ev->type) {
	case EV_LINK:
		return link_event(u, ev);
	case EV_ADDR_ADD:
	case EV_ADDR_DEL:
		return addr_event(u, ev);
	case EV_GW_ADD:
	case EV_GW_DEL:
		return gw_event(u, ev);
	case EV_BEACON_OK:
	case EV_BEACON_FAIL:
		return beacon_event(e, u, ev);
	case EV_NEIGH:
		return neigh_event(u, ev);
	default:
		return 0;
	}
}

static size_t
put(struct action *out, enum act_type type, enum mode mode, const struct uplink *u)
{
	memset(out, 0, sizeof(*out));
	out->type = type;
	out->mode = mode;
	if (u != NULL) {
		out->ifindex = u->ifindex;
		sk_strlcpy(out->uplink, u->name, sizeof(out->uplink));
		out->has_gw = u->has_gw;
		out->gw = u->gw;
	}
	return 1;
}

static void
settle(struct engine *e, enum mode mode, const struct uplink *u, uint64_t now)
{
	e->mode = mode;
	e->active = u != NULL ? u->ifindex : 0;
	e->active_has_gw = u != NULL && u->has_gw;
	e->active_gw = u != NULL ? u->gw : (struct in_addr){ 0 };
	e->since_ms = now;
}

/* The tunnel's peer becomes gateway to, over the uplink in use. */
static size_t
switch_gateway(struct engine *e, size_t to, enum gw_why why, uint64_t now,
    const struct uplink *u, struct action *out)
{
	put(out, ACT_GATEWAY, MODE_REMOTE, u);
	out->gateway = to;
	out->gw_from = e->gateway;
	out->why = why;
	e->gw_from = e->gateway;
	e->gateway = to;
	e->gw_why = why;
	e->path_ms = now;
	e->back_ms = now + ENGINE_BACK_PROBE_MS;
	e->live_ms = 0;
	return 1;
}

/* The next gateway in file order, wrapping around; none with only one. */
static size_t
next_gateway(struct engine *e, enum gw_why why, uint64_t now, struct action *out)
{
	if (e->mode != MODE_REMOTE || e->n_gateways < 2)
		return 0;
	return switch_gateway(e, (e->gateway + 1) % e->n_gateways, why, now,
	    uplink_get(e, e->active, 0), out);
}

/* EV_GATEWAY_TIMEOUT: the next gateway. The n_gateways-th in a row makes
 * every gateway silent: said once (ACT_SILENT); from then on each switch
 * is quiet and asks for a longer wait before the next check. */
static size_t
gateway_timeout(struct engine *e, uint64_t now, struct action *out)
{
	int quiet = e->silent;
	size_t n;

	if ((n = next_gateway(e, GW_TIMEOUT, now, out)) == 0)
		return 0;
	if (!e->silent && ++e->timeouts >= e->n_gateways) {
		e->silent = 1;
		e->silent_ms = now;
		e->retry_ms = ENGINE_RETRY_MIN_MS;
		put(out + n, ACT_SILENT, e->mode, uplink_get(e, e->active, 0));
		out[n++].retry_ms = e->retry_ms;
	}
	if (e->silent) {
		out[0].quiet = quiet;
		out[0].retry_ms = e->retry_ms;
		e->retry_ms = e->retry_ms * 2 > ENGINE_RETRY_MAX_MS ?
		    ENGINE_RETRY_MAX_MS : e->retry_ms * 2;
	}
	return n;
}

/*
 * The order of each transition is what makes it safe: the path a mode
 * needs exists before the rules that let work use it, and work is cut off
 * (by the new rules) before an old path goes away.
 */
static size_t
go(struct engine *e, enum mode mode, const struct uplink *u, uint64_t now,
    struct action *out)
{
	size_t n = 0;

	if (mode == MODE_REMOTE) {
		n += put(out + n, ACT_TUNNEL_VIA, mode, u);
		n += put(out + n, ACT_RULES, mode, u);
		snprintf(e->reason, sizeof(e->reason), "tunnel over %s", u->name);
	} else if (mode == MODE_OFFICE) {
		n += put(out + n, ACT_OFFICE_VIA, mode, u);
		n += put(out + n, ACT_RULES, mode, u);
		n += put(out + n, ACT_TUNNEL_IDLE, mode, NULL);
		snprintf(e->reason, sizeof(e->reason), "beacon %s verified on %s",
		    u->beacon, u->name);
	} else {
		n += put(out + n, ACT_RULES, mode, NULL);
		n += put(out + n, ACT_TUNNEL_IDLE, mode, NULL);
		sk_strlcpy(e->reason, "no usable uplink", sizeof(e->reason));
	}
	settle(e, mode, u, now);
	e->path_ms = now;
	e->live_ms = 0;
	/* A new path: the gateways get a fresh count. */
	e->silent = 0;
	e->timeouts = 0;
	return n;
}

/* The preferred uplink, if it could carry the tunnel now: usable and not
 * stale. One still being probed counts too (unlike another uplink, which
 * waits for its probe): should its beacon answer, office mode takes over
 * anyway, and not waiting spares the tunnel a move away and back. */
static const struct uplink *
preferred(const struct engine *e, uint64_t now)
{
	const struct uplink *u;

	if (e->prefer[0] == '\0' || (u = engine_uplink_named(e, e->prefer)) == NULL)
		return NULL;
	return eligible(e, u, PICK_PROBING, now) ? u : NULL;
}

static void
decide(const struct engine *e, uint64_t now, enum mode *mode,
    const struct uplink **u)
{
	if ((*u = pick(e, PICK_OFFICE, now)) != NULL)
		*mode = MODE_OFFICE;
	else if ((*u = preferred(e, now)) != NULL ||
	    (*u = pick(e, PICK_FRESH, now)) != NULL ||
	    (*u = pick(e, PICK_PROBING, now)) != NULL ||
	    (*u = pick(e, PICK_ANY, now)) != NULL)
		*mode = MODE_REMOTE;
	else
		*mode = MODE_BLOCKED;
}

/* Changes only what differs from the state in force. */
static size_t
transition(struct engine *e, uint64_t now, struct action *out)
{
	const struct uplink *u;
	enum mode mode;

	decide(e, now, &mode, &u);
	if (mode == e->mode && (u == NULL ? 0 : u->ifindex) == e->active) {
		if (u == NULL || (u->has_gw == e->active_has_gw &&
		    u->gw.s_addr == e->active_gw.s_addr))
			return 0;
		/* Same uplink, new gateway on it: move the path only. */
		settle(e, mode, u, e->since_ms);
		return put(out, mode == MODE_OFFICE ? ACT_OFFICE_VIA : ACT_TUNNEL_VIA,
		    mode, u);
	}
	/* A tunnel that starts afresh tries the first gateway again: after
	 * the route (its first handshake must leave over the uplink chosen),
	 * before the rules that let work use it. */
	if (mode == MODE_REMOTE && e->mode != MODE_REMOTE && e->gateway != 0) {
		size_t n = go(e, mode, u, now, out);

		out[n] = out[n - 1];
		return n + switch_gateway(e, 0, GW_AFRESH, now, u, out + n - 1);
	}
	return go(e, mode, u, now, out);
}

/* Asks for a probe of the event's uplink when it became usable or changed
 * while usable, and beacons exist to ask. */
static size_t
want_probe(struct engine *e, const struct event *ev, struct action *out)
{
	struct uplink *u;

	if (!e->beacons || ev->type == EV_BEACON_OK || ev->type == EV_BEACON_FAIL ||
	    ev->type == EV_TICK || ev->type == EV_TUNNEL_STALE || ev->type == EV_PREFER ||
	    ev->type == EV_GATEWAY_TIMEOUT ||
	    (u = uplink_get(e, ev->ifindex, 0)) == NULL ||
	    !usable(e, u) || u->office != OFFICE_UNKNOWN)
		return 0;
	u->office = OFFICE_PROBING;
	return put(out, ACT_PROBE, e->mode, u);
}

/* A stale tunnel that could not move to another uplink: the next gateway,
 * and the stale check counts again from now. */
static size_t
stale_here(struct engine *e, uint64_t now, struct action *out)
{
	e->path_ms = now;
	return next_gateway(e, GW_STALE, now, out);
}

/* EV_TUNNEL_STALE's course, then one ACT_STALE that says how it went,
 * unless it went to the next gateway (ACT_GATEWAY says so, why). */
static size_t
stale_now(struct engine *e, const struct event *ev, enum gw_why why, struct action *out)
{
	struct event stale = *ev;
	const struct uplink *u;
	char name[IF_NAMESIZE];
	size_t gw = e->gateway, n;
	int was = e->active;

	u = engine_uplink(e, was);
	sk_strlcpy(name, u != NULL ? u->name : "?", sizeof(name));
	stale.type = EV_TUNNEL_STALE;
	n = engine_handle(e, &stale, out);
	if (e->active == was && e->gateway != gw) {
		for (size_t i = 0; i < n; i++)
			if (out[i].type == ACT_GATEWAY)
				out[i].why = e->gw_why = why;
		return n;
	}
	put(out + n, ACT_STALE, e->mode, NULL);
	out[n].why = why;	/* stale, or quiet (no word to a probe) */
	out[n].ifindex = was;
	sk_strlcpy(out[n].uplink, name, sizeof(out[n].uplink));
	out[n].moved = e->active != was;
	return n + 1;
}

/* In remote mode, a tunnel on its path (uplink, gateway, or a stale retry)
 * for more than handshake-stale with no handshake for as long is stale. */
static size_t
stale_course(struct engine *e, const struct event *ev, struct action *out)
{
	if (e->mode != MODE_REMOTE || e->stale_ms == 0 || e->silent ||
	    ev->now_ms - e->path_ms <= e->stale_ms || ev->age_ms <= e->stale_ms)
		return 0;
	return stale_now(e, ev, GW_STALE, out);
}

/* Since the gateway's last word (engine.h, "A quiet tunnel"): with an
 * echo probe, an echo answer or a handshake; else also any packet. */
static uint64_t
word_age(const struct event *ev)
{
	uint64_t w = ev->echo ? ev->echo_age_ms : ev->rx_age_ms;

	return w < ev->age_ms ? w : ev->age_ms;
}

/* A quiet tunnel asks its gateway for a word; none within
 * ENGINE_LIVE_WAIT_MS: the stale course, at once (engine.h). */
static size_t
quiet_course(struct engine *e, const struct event *ev, struct action *out)
{
	uint64_t now = ev->now_ms, word = word_age(ev);

	if (e->mode != MODE_REMOTE || e->silent || (!ev->echo && ev->rx_age_ms == UINT64_MAX)) {
		e->live_ms = 0;
		return 0;
	}
	/* a word from the gateway since the probe: it lives */
	if (e->live_ms != 0 && word < now - e->live_ms)
		e->live_ms = 0;
	if (e->live_ms == 0) {
		/* only a tunnel with a session (a gateway just tried has no
		 * handshake yet: gateway-timeout judges it; one older than a
		 * session: the stale course), and quiet. (Not "a handshake
		 * since the path began": the first one may come a moment
		 * before the engine's path does.) */
		if (ev->age_ms >= ENGINE_SESSION_MS || word < ENGINE_QUIET_MS)
			return 0;
		e->live_ms = e->live_sent_ms = now;
		return put(out, ACT_LIVE_PROBE, e->mode, uplink_get(e, e->active, 0));
	}
	if (now - e->live_ms < ENGINE_LIVE_WAIT_MS) {
		if (!ev->echo || now - e->live_sent_ms < ENGINE_LIVE_RESEND_MS)
			return 0;
		e->live_sent_ms = now;	/* one lost echo is no verdict */
		return put(out, ACT_LIVE_PROBE, e->mode, uplink_get(e, e->active, 0));
	}
	e->live_ms = 0;
	return stale_now(e, ev, GW_QUIET, out);
}

/* The handshake read: a session ends the silence of every gateway; on a
 * backup, the first's answer to a probe takes the tunnel back to it, and
 * a probe is due every ENGINE_BACK_PROBE_MS; then the stale course. */
static size_t
handshake(struct engine *e, const struct event *ev, struct action *out)
{
	uint64_t now = ev->now_ms;
	size_t n = 0;

	if (e->mode != MODE_REMOTE)
		return 0;
	if (ev->age_ms < ENGINE_SESSION_MS) {
		e->timeouts = 0;
		if (e->silent) {
			e->silent = 0;
			n += put(out + n, ACT_ANSWERED, e->mode, uplink_get(e, e->active, 0));
			out[0].gateway = e->gateway;
			out[0].silent_ms = now - e->silent_ms;
		}
	}
	if (e->gateway != 0 && !e->silent && ev->has_first &&
	    ev->first_age_ms < ENGINE_BACK_FRESH_MS)
		return n + switch_gateway(e, 0, GW_BACK, now,
		    uplink_get(e, e->active, 0), out + n);
	if (n == 0 && (n = stale_course(e, ev, out)) > 0)
		return n;
	if (n == 0 && (n = quiet_course(e, ev, out)) > 0 && out[0].type != ACT_LIVE_PROBE)
		return n;
	if (e->gateway != 0 && !e->silent && now >= e->back_ms) {
		e->back_ms = now + ENGINE_BACK_PROBE_MS;
		n += put(out + n, ACT_BACK_PROBE, e->mode, uplink_get(e, e->active, 0));
		out[n - 1].gateway = 0;
	}
	return n;
}

size_t
engine_handle(struct engine *e, const struct event *ev,
    struct action out[ENGINE_MAX_ACTIONS])
{
	int was = e->active;
	size_t n;

	if (ev->type == EV_HANDSHAKE)
		return handshake(e, ev, out);
	if (ev->type == EV_GATEWAY_TIMEOUT)
		return gateway_timeout(e, ev->now_ms, out);
	if (!apply_event(e, ev))
		return 0;
	n = want_probe(e, ev, out);
	n += transition(e, ev->now_ms, out + n);
	if (ev->type == EV_TUNNEL_STALE && e->mode == MODE_REMOTE && e->active == was)
		n += stale_here(e, ev->now_ms, out + n);
	return n;
}

int
engine_vouch(struct engine *e, const struct uplink *was)
{
	struct uplink *u = uplink_get(e, was->ifindex, 0);

	if (u == NULL || was->office != OFFICE_VERIFIED || !u->carrier ||
	    u->carrier != was->carrier || u->carrier_changes != was->carrier_changes ||
	    strcmp(u->name, was->name) != 0 ||
	    u->has_addr != was->has_addr || u->addr.s_addr != was->addr.s_addr ||
	    u->plen != was->plen || u->has_gw != was->has_gw ||
	    u->gw.s_addr != was->gw.s_addr || !e->beacons)
		return 0;
	/* The router as well, where the proof knew it. */
	if (was->has_office_mac && (!u->has_gw_mac ||
	    memcmp(u->gw_mac, was->office_mac, sizeof(u->gw_mac)) != 0))
		return 0;
	u->office = OFFICE_VERIFIED;
	sk_strlcpy(u->beacon, was->beacon, sizeof(u->beacon));
	u->verified_ms = was->verified_ms;
	bind_router(u);
	return 1;
}

size_t
engine_restate(struct engine *e, uint64_t now, struct action out[ENGINE_MAX_ACTIONS])
{
	const struct uplink *u;
	enum mode mode;

	/* No probe is out: whatever asked for one did not start it. */
	for (size_t i = 0; i < e->n_uplinks; i++)
		if (e->uplinks[i].office == OFFICE_PROBING)
			e->uplinks[i].office = OFFICE_UNKNOWN;
	decide(e, now, &mode, &u);
	return go(e, mode, u, now, out);
}

size_t
engine_probe_all(struct engine *e, struct action out[ENGINE_MAX_UPLINKS])
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_uplinks && e->beacons; i++) {
		struct uplink *u = &e->uplinks[i];

		if (!usable(e, u) || u->office != OFFICE_UNKNOWN)
			continue;
		u->office = OFFICE_PROBING;
		n += put(out + n, ACT_PROBE, e->mode, u);
	}
	return n;
}

size_t
engine_office_retry(struct engine *e, uint64_t now, struct action out[ENGINE_MAX_UPLINKS])
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_uplinks && e->beacons; i++) {
		struct uplink *u = &e->uplinks[i];

		if (!usable(e, u) || u->office != OFFICE_NO || u->retry_wait_ms == 0 ||
		    now < u->retry_at_ms)
			continue;
		u->office = OFFICE_PROBING;
		n += put(out + n, ACT_PROBE, e->mode, u);
	}
	return n;
}

uint64_t
engine_office_retry_at(const struct engine *e)
{
	uint64_t at = 0;

	for (size_t i = 0; i < e->n_uplinks && e->beacons; i++) {
		const struct uplink *u = &e->uplinks[i];

		if (usable(e, u) && u->office == OFFICE_NO && u->retry_wait_ms != 0 &&
		    (at == 0 || u->retry_at_ms < at))
			at = u->retry_at_ms;
	}
	return at;
}
