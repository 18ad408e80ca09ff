/* What `sekishoctl status` shows, gathered from the engine into the
 * control protocol's status (lib/proto/control_wire.h). Pure: no I/O. The
 * text and JSON are sekishoctl's (netvm/sekishoctl/show.c). */
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "netvm/sekishod/control.h"
#include "policy/policy.h"

_Static_assert(ENGINE_MAX_UPLINKS <= CTL_MAX_UPLINKS, "every uplink fits");
_Static_assert(ENGINE_MAX_GATEWAYS <= CTL_MAX_GATEWAYS, "every gateway fits");
_Static_assert(IF_NAMESIZE - 1 <= CTL_IFNAME_MAX, "interface names fit");
_Static_assert(ENGINE_BEACON_ID <= CTL_BEACON_MAX, "beacon names fit");
_Static_assert(sizeof(((struct engine *)0)->reason) - 1 <= CTL_REASON_MAX, "reasons fit");
_Static_assert(sizeof(((struct tunnel_stats *)0)->peer) - 1 <= CTL_KEY_B64_MAX, "keys fit");
_Static_assert(POLICY_PRESENCE_MIN == CTL_PRES_PERIOD_MIN &&
    POLICY_PRESENCE_MAX == CTL_PRES_PERIOD_MAX, "presence periods fit");

/* Strings longer than the wire allows are cut (none are, by the asserts
 * above, but for the policy path and the fetch's line). */
static void
copy(char *dst, size_t size, const char *src)
{
	sk_strlcpy(dst, src != NULL ? src : "", size);
}

static uint8_t
wire_mode(enum mode m)
{
	switch (m) {
	case MODE_BLOCKED:
		return CTL_MODE_BLOCKED;
	case MODE_REMOTE:
		return CTL_MODE_REMOTE;
	case MODE_OFFICE:
		return CTL_MODE_OFFICE;
	}
	return CTL_MODE_BLOCKED;
}

static uint8_t
wire_office(enum office_state o)
{
	switch (o) {
	case OFFICE_UNKNOWN:
		return CTL_OFFICE_UNPROBED;
	case OFFICE_PROBING:
		return CTL_OFFICE_PROBING;
	case OFFICE_VERIFIED:
		return CTL_OFFICE_VERIFIED;
	case OFFICE_NO:
		return CTL_OFFICE_NO;
	}
	return CTL_OFFICE_UNPROBED;
}

static void
fill_uplink(const struct status *s, const struct uplink *u, struct ctl_uplink *w)
{
	copy(w->name, sizeof(w->name), u->name);
	w->flags = (u->carrier ? CTL_U_CARRIER : 0) | (u->has_addr ? CTL_U_ADDR : 0) |
	    (u->has_gw ? CTL_U_GW : 0);
	w->office = wire_office(u->office);
	w->priority = u->priority;
	if (u->has_addr) {
		memcpy(w->addr, &u->addr, 4);
		w->plen = u->plen <= 32 ? u->plen : 32;
	}
	if (u->has_gw)
		memcpy(w->gw, &u->gw, 4);
	if (u->office == OFFICE_VERIFIED) {
		copy(w->beacon, sizeof(w->beacon), u->beacon[0] ? u->beacon : "?");
		w->verified_age_ms = s->now_ms - u->verified_ms;
	}
}

/* Seconds since the last handshake, or -1 for never. */
static int64_t
handshake_age(const struct status *s)
{
	const struct tunnel_stats *t = s->tunnel;

	if (t->last_handshake.tv_sec == 0)
		return -1;
	if (s->wall.tv_sec < t->last_handshake.tv_sec)
		return 0;
	return (int64_t)(s->wall.tv_sec - t->last_handshake.tv_sec);
}

static void
fill_fetch(const struct status *s, struct ctl_status *w)
{
	const struct fetch_status *f = s->fetch;

	w->flags |= CTL_S_FETCH;
	copy(w->fetch.server, sizeof(w->fetch.server), f->server);
	w->fetch.interval_s = f->interval_s;
	w->fetch.running = f->running != 0;
	w->fetch.next_s = f->next_s >= 0 ? f->next_s : -1;
	if (f->last > 0) {
		w->fetch.last = (int64_t)f->last;
		w->fetch.last_age_s = s->wall.tv_sec > f->last ?
		    (int64_t)(s->wall.tv_sec - f->last) : 0;
		copy(w->fetch.result, sizeof(w->fetch.result), f->result);
	}
}

static int64_t
s64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static void
fill_bundle(const struct expiry_status *e, struct ctl_status *w)
{
	w->flags |= CTL_S_BUNDLE;
	w->bundle.signed_at = s64(e->signed_at);
	w->bundle.max_age_s = e->max_age;
	w->bundle.by_statement = e->by_statement != 0;
	w->bundle.expired = e->max_age != 0 && e->expired;
	w->bundle.age_s = s64(e->age_s);
	w->bundle.left_s = e->max_age == 0 ? -1 : w->bundle.expired ? 0 : s64(e->left_s);
}

void
status_fill(const struct status *s, struct ctl_status *w)
{
	const struct engine *e = s->engine;

	memset(w, 0, sizeof(*w));
	w->mode = wire_mode(e->mode);
	w->flags = e->beacons ? CTL_S_BEACONS : 0;
	w->since_ms = s->now_ms - e->since_ms;
	w->serial = s->serial <= CTL_SERIAL_MAX ? s->serial : CTL_SERIAL_MAX;
	copy(w->reason, sizeof(w->reason), e->reason);
	copy(w->policy_path, sizeof(w->policy_path), s->policy_path);
	copy(w->tunnel_if, sizeof(w->tunnel_if), s->tunnel_if);
	copy(w->gateway, sizeof(w->gateway), s->gateway);
	for (size_t i = 0; i < e->n_uplinks && i < CTL_MAX_UPLINKS; i++) {
		fill_uplink(s, &e->uplinks[i], &w->uplinks[i]);
		if (e->uplinks[i].ifindex == e->active)
			w->active = (uint8_t)(i + 1);
	}
	w->n_uplinks = (uint8_t)(e->n_uplinks < CTL_MAX_UPLINKS ? e->n_uplinks : CTL_MAX_UPLINKS);
	if (s->n_gateways > 0 && s->n_gateways <= CTL_MAX_GATEWAYS &&
	    s->gateway_pos >= 1 && s->gateway_pos <= s->n_gateways) {
		w->n_gateways = (uint8_t)s->n_gateways;
		w->gateway_pos = (uint8_t)s->gateway_pos;
		if (s->gateway_from != NULL && s->gateway_why != NULL) {
			w->flags |= CTL_S_FAILOVER;
			copy(w->gateway_from, sizeof(w->gateway_from), s->gateway_from);
			copy(w->gateway_why, sizeof(w->gateway_why), s->gateway_why);
		}
	}
	if (s->tunnel != NULL) {
		w->flags |= CTL_S_TUNNEL;
		copy(w->tunnel.peer, sizeof(w->tunnel.peer), s->tunnel->peer);
		copy(w->tunnel.endpoint, sizeof(w->tunnel.endpoint), s->tunnel->endpoint);
		w->tunnel.handshake_age_s = handshake_age(s);
		w->tunnel.rx_bytes = s->tunnel->rx_bytes;
		w->tunnel.tx_bytes = s->tunnel->tx_bytes;
	}
	if (s->fetch != NULL)
		fill_fetch(s, w);
	if (e->prefer[0] != '\0') {
		w->flags |= CTL_S_PREFER;
		copy(w->prefer, sizeof(w->prefer), e->prefer);
	}
	if (s->bundle != NULL)
		fill_bundle(s->bundle, w);
	if (s->presence != POLICY_PRESENCE_NONE && s->presence_s >= CTL_PRES_PERIOD_MIN &&
	    s->presence_s <= CTL_PRES_PERIOD_MAX) {
		w->flags |= CTL_S_PRESENCE;
		w->presence = s->presence == POLICY_PRESENCE_CARD ? CTL_PRES_CARD : CTL_PRES_FACE;
		w->presence_s = (uint8_t)s->presence_s;
	}
}

void
status_for_work(struct ctl_status *s)
{
	/* kept: mode, since, the uplinks' names, flags, office states and
	 * priorities, the active and the preferred one, the handshake's
	 * age, the presence */
	s->flags &= CTL_S_TUNNEL | CTL_S_PREFER | CTL_S_PRESENCE;
	s->flags |= CTL_S_WORK;
	s->serial = 0;
	s->n_gateways = s->gateway_pos = 0;
	s->reason[0] = s->policy_path[0] = s->tunnel_if[0] = s->gateway[0] = '\0';
	s->gateway_from[0] = s->gateway_why[0] = '\0';
	for (size_t i = 0; i < s->n_uplinks && i < CTL_MAX_UPLINKS; i++) {
		struct ctl_uplink *u = &s->uplinks[i];

		memset(u->addr, 0, sizeof(u->addr));
		memset(u->gw, 0, sizeof(u->gw));
		u->plen = 0;
		u->beacon[0] = '\0';
		u->verified_age_ms = 0;
	}
	s->tunnel.peer[0] = s->tunnel.endpoint[0] = '\0';
	s->tunnel.rx_bytes = s->tunnel.tx_bytes = 0;
	memset(&s->fetch, 0, sizeof(s->fetch));
	memset(&s->bundle, 0, sizeof(s->bundle));
}
