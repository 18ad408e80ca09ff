#include "netvm/engine.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

const char *
mode_name(enum mode m)
{
	switch (m) {
	case MODE_BLOCKED:
		return "blocked";
	case MODE_REMOTE:
		return "remote";
	}
	return "?";
}

void
engine_init(struct engine *e, int work_ifindex, int tunnel_ifindex,
    struct in_addr endpoint)
{
	memset(e, 0, sizeof(*e));
	e->work_ifindex = work_ifindex;
	e->tunnel_ifindex = tunnel_ifindex;
	e->endpoint = endpoint;
	e->mode = MODE_BLOCKED;
	sk_strlcpy(e->reason, "no uplink yet", sizeof(e->reason));
}

const struct uplink *
engine_uplink(const struct engine *e, int ifindex)
{
	for (size_t i = 0; i < e->n_uplinks; i++)
		if (e->uplinks[i].ifindex == ifindex)
			return &e->uplinks[i];
	return NULL;
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

/* An uplink can carry the tunnel when it has carrier, an address, and a
 * way to the gateway: a default route, or the endpoint on its own subnet. */
static int
usable(const struct uplink *u, struct in_addr endpoint)
{
	return u->carrier && u->has_addr && (u->has_gw || on_link(u, endpoint));
}

/* The best usable uplink: the one already carrying the tunnel if it is
 * still usable (no needless moves), else the lowest ifindex, which keeps
 * the choice deterministic. Priorities come with the policy's uplink list. */
static const struct uplink *
best_uplink(const struct engine *e)
{
	const struct uplink *best = NULL;

	for (size_t i = 0; i < e->n_uplinks; i++) {
		const struct uplink *u = &e->uplinks[i];

		if (!usable(u, e->endpoint))
			continue;
		if (u->ifindex == e->active)
			return u;
		if (best == NULL || u->ifindex < best->ifindex)
			best = u;
	}
	return best;
}

/* Updates the uplink table from one event; returns 0 if it changed nothing
 * the decision depends on. */
static int
apply_event(struct engine *e, const struct event *ev)
{
	struct uplink *u;

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
		sk_strlcpy(u->name, ev->name, sizeof(u->name));
		u->carrier = ev->carrier;
		break;
	case EV_ADDR_ADD:
		u->has_addr = 1;
		u->addr = ev->addr;
		u->plen = ev->plen;
		break;
	case EV_ADDR_DEL:
		if (u->has_addr && u->addr.s_addr == ev->addr.s_addr)
			u->has_addr = 0;
		break;
	case EV_GW_ADD:
		u->has_gw = 1;
		u->gw = ev->gw;
		break;
	case EV_GW_DEL:
		if (u->has_gw && u->gw.s_addr == ev->gw.s_addr)
			u->has_gw = 0;
		break;
	case EV_LINK_GONE:
		break;
	}
	return 1;
}

static size_t
steer(struct engine *e, const struct uplink *u, struct action *out)
{
	out->type = ACT_TUNNEL_VIA;
	out->ifindex = u->ifindex;
	sk_strlcpy(out->uplink, u->name, sizeof(out->uplink));
	out->has_gw = u->has_gw;
	out->gw = u->gw;
	e->active_has_gw = u->has_gw;
	e->active_gw = u->gw;
	return 1;
}

static size_t
go_remote(struct engine *e, const struct uplink *u, struct action *out)
{
	size_t n = steer(e, u, out);

	/* Rules last: the tunnel's path exists before work may use it. */
	out[n].type = ACT_RULES;
	out[n].mode = MODE_REMOTE;
	out[n].ifindex = u->ifindex;
	sk_strlcpy(out[n].uplink, u->name, sizeof(out[n].uplink));
	n++;
	e->mode = MODE_REMOTE;
	e->active = u->ifindex;
	snprintf(e->reason, sizeof(e->reason), "tunnel over %s", u->name);
	return n;
}

static size_t
go_blocked(struct engine *e, struct action *out)
{
	size_t n = 0;

	/* Rules first: work is cut off before the tunnel loses its path. */
	out[n].type = ACT_RULES;
	out[n].mode = MODE_BLOCKED;
	n++;
	out[n].type = ACT_TUNNEL_IDLE;
	n++;
	e->mode = MODE_BLOCKED;
	e->active = 0;
	sk_strlcpy(e->reason, "no usable uplink", sizeof(e->reason));
	return n;
}

size_t
engine_handle(struct engine *e, const struct event *ev,
    struct action out[ENGINE_MAX_ACTIONS])
{
	const struct uplink *best;
	size_t n;

	if (!apply_event(e, ev))
		return 0;
	best = best_uplink(e);
	if (best == NULL) {
		if (e->mode == MODE_BLOCKED)
			return 0;
		n = go_blocked(e, out);
	} else if (e->mode == MODE_REMOTE && best->ifindex == e->active) {
		/* Same uplink: only a new gateway on it needs the route moved. */
		if (best->has_gw == e->active_has_gw &&
		    best->gw.s_addr == e->active_gw.s_addr)
			return 0;
		return steer(e, best, out);
	} else
		n = go_remote(e, best, out);
	e->since_ms = ev->now_ms;
	return n;
}

size_t
engine_restate(struct engine *e, uint64_t now, struct action out[ENGINE_MAX_ACTIONS])
{
	const struct uplink *best = best_uplink(e);

	e->since_ms = now;
	return best != NULL ? go_remote(e, best, out) : go_blocked(e, out);
}
