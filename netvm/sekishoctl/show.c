/* `sekishoctl status`, text and JSON (json-c), from the decoded status. */
#include "netvm/sekishoctl/show.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *
ip4(const uint8_t a[4], char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, a, buf, INET_ADDRSTRLEN);
}

static const struct ctl_uplink *
active(const struct ctl_status *s)
{
	return s->active > 0 ? &s->uplinks[s->active - 1] : NULL;
}

/* The time of the last fetch: UTC, ISO 8601. */
static const char *
fetch_when(const struct ctl_status *s, char buf[32])
{
	time_t t = (time_t)s->fetch.last;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "?";
	return buf;
}

/* ---- text ----------------------------------------------------------------- */

static void
text_uplinks(const struct ctl_status *s, struct buf *o)
{
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	for (size_t i = 0; i < s->n_uplinks; i++) {
		const struct ctl_uplink *u = &s->uplinks[i];

		buf_printf(o, "  %-10s %s%s priority %u", u->name,
		    (u->flags & CTL_U_CARRIER) ? "carrier" : "no-carrier",
		    i + 1 == s->active ? " active" : "", (unsigned int)u->priority);
		if (u->office == CTL_OFFICE_VERIFIED)
			buf_printf(o, " office(%s)", u->beacon);
		else if (s->flags & CTL_S_BEACONS)
			buf_printf(o, " %s", ctl_office_name(u->office));
		if (u->flags & CTL_U_ADDR)
			buf_printf(o, " address %s/%u", ip4(u->addr, a), u->plen);
		if (u->flags & CTL_U_GW)
			buf_printf(o, " gateway %s", ip4(u->gw, g));
		buf_printf(o, "\n");
	}
}

static void
text_tunnel(const struct ctl_status *s, struct buf *o)
{
	buf_printf(o, "tunnel:     %s\n", s->tunnel_if);
	if (s->n_gateways > 0) {
		buf_printf(o, "  gateway:  %s (%u of %u", s->gateway, s->gateway_pos,
		    s->n_gateways);
		if (s->flags & CTL_S_FAILOVER)
			buf_printf(o, ", %s %s", s->gateway_from, s->gateway_why);
		buf_printf(o, ")\n");
	}
	if (!(s->flags & CTL_S_TUNNEL)) {
		buf_printf(o, "  state:    not readable\n");
		return;
	}
	buf_printf(o, "  peer:     %s (%s)\n  endpoint: %s\n", s->tunnel.peer, s->gateway,
	    s->tunnel.endpoint[0] ? s->tunnel.endpoint : "none");
	if (s->tunnel.handshake_age_s < 0)
		buf_printf(o, "  handshake: never\n");
	else
		buf_printf(o, "  handshake: %lld s ago\n", (long long)s->tunnel.handshake_age_s);
	buf_printf(o, "  transfer: %llu B received, %llu B sent\n",
	    (unsigned long long)s->tunnel.rx_bytes, (unsigned long long)s->tunnel.tx_bytes);
}

static void
text_fetch(const struct ctl_status *s, struct buf *o)
{
	char when[32];

	buf_printf(o, "fetch:      %s every %u s", s->fetch.server,
	    (unsigned int)s->fetch.interval_s);
	if (s->fetch.running)
		buf_printf(o, ", one running now\n");
	else if (s->fetch.next_s >= 0)
		buf_printf(o, ", next in %lld s\n", (long long)s->fetch.next_s);
	else
		buf_printf(o, ", none due (no path)\n");
	if (s->fetch.last == 0)
		buf_printf(o, "  last:     none yet\n");
	else
		buf_printf(o, "  last:     %s (%lld s ago): %s\n", fetch_when(s, when),
		    (long long)s->fetch.last_age_s, s->fetch.result);
}

/* UTC, ISO 8601. */
static const char *
iso(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%lld", (long long)t);
	return buf;
}

static void
text_bundle(const struct ctl_status *s, struct buf *o)
{
	char when[32];

	if (s->bundle.max_age_s == 0) {
		buf_printf(o, "bundle:     serial %llu, format 1: no max age, never expires\n",
		    (unsigned long long)s->serial);
		return;
	}
	buf_printf(o, "bundle:     serial %llu signed %s (%s), max age %u s, %lld s old",
	    (unsigned long long)s->serial, iso(s->bundle.signed_at, when),
	    s->bundle.by_statement ? "freshness statement" : "bundle",
	    (unsigned int)s->bundle.max_age_s, (long long)s->bundle.age_s);
	if (s->bundle.expired)
		buf_printf(o, ": EXPIRED, work blocked\n");
	else
		buf_printf(o, ", expires in %lld s\n", (long long)s->bundle.left_s);
}

void
show_text(const struct ctl_status *s, struct buf *o)
{
	const struct ctl_uplink *u = active(s);
	char a[INET_ADDRSTRLEN];

	if (s->mode == CTL_MODE_OFFICE && u != NULL)
		buf_printf(o, "mode:       office (beacon %s verified %.1f s ago on %s, for %.1f s)\n",
		    u->beacon, (double)u->verified_age_ms / 1000.0, u->name,
		    (double)s->since_ms / 1000.0);
	else
		buf_printf(o, "mode:       %s (%s, for %.1f s)\n", ctl_mode_name(s->mode),
		    s->reason, (double)s->since_ms / 1000.0);
	if (u != NULL)
		buf_printf(o, "uplink:     %s %s/%u\n", u->name, ip4(u->addr, a), u->plen);
	else
		buf_printf(o, "uplink:     none\n");
	if (s->flags & CTL_S_PREFER)
		buf_printf(o, "preferred uplink: %s%s\n", s->prefer,
		    s->mode == CTL_MODE_OFFICE ? " (office mode comes first)" : "");
	buf_printf(o, "uplinks:\n");
	text_uplinks(s, o);
	text_tunnel(s, o);
	buf_printf(o, "policy:     serial %llu (%s)\n", (unsigned long long)s->serial,
	    s->policy_path);
	if (s->flags & CTL_S_BUNDLE)
		text_bundle(s, o);
	if (s->flags & CTL_S_FETCH)
		text_fetch(s, o);
	if (s->flags & CTL_S_PRESENCE)
		buf_printf(o, "presence:   %s, every %u s\n",
		    s->presence == CTL_PRES_CARD ? "card" : "face", (unsigned)s->presence_s);
}

/* ---- JSON ------------------------------------------------------------------
 * json-c keeps the members in the order they are added, which is the
 * order docs/control.md lists. Names may be UTF-8 and stay as they are;
 * json-c escapes quotes, backslashes and control characters. A NULL value
 * is JSON's null. */

static void
add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *
str(const char *s)
{
	return json_object_new_string(s);
}

static json_object *
json_uplinks(const struct ctl_status *s)
{
	json_object *a = json_object_new_array();
	char b[INET_ADDRSTRLEN], buf[INET_ADDRSTRLEN + 4];

	for (size_t i = 0; a != NULL && i < s->n_uplinks; i++) {
		const struct ctl_uplink *u = &s->uplinks[i];
		json_object *o = json_object_new_object();

		add(o, "name", str(u->name));
		add(o, "carrier", json_object_new_boolean(u->flags & CTL_U_CARRIER));
		add(o, "active", json_object_new_boolean(i + 1 == s->active));
		add(o, "priority", json_object_new_int64(u->priority));
		add(o, "office", str(ctl_office_name(u->office)));
		if (u->office == CTL_OFFICE_VERIFIED)
			add(o, "beacon", str(u->beacon));
		if (u->flags & CTL_U_ADDR) {
			snprintf(buf, sizeof(buf), "%s/%u", ip4(u->addr, b), u->plen);
			add(o, "address", str(buf));
		}
		if (u->flags & CTL_U_GW)
			add(o, "gateway", str(ip4(u->gw, b)));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *
json_tunnel(const struct ctl_status *s)
{
	json_object *t = json_object_new_object();

	add(t, "interface", str(s->tunnel_if));
	if (s->n_gateways > 0) {
		json_object *f = NULL;

		add(t, "gateway_position", json_object_new_int64(s->gateway_pos));
		add(t, "gateways", json_object_new_int64(s->n_gateways));
		if (s->flags & CTL_S_FAILOVER) {
			f = json_object_new_object();
			add(f, "from", str(s->gateway_from));
			add(f, "why", str(s->gateway_why));
		}
		add(t, "failover", f);
	}
	if (s->flags & CTL_S_TUNNEL) {
		add(t, "peer", str(s->tunnel.peer));
		add(t, "gateway", str(s->gateway));
		add(t, "endpoint", str(s->tunnel.endpoint));
		add(t, "last_handshake_age_s", s->tunnel.handshake_age_s < 0 ? NULL :
		    json_object_new_int64(s->tunnel.handshake_age_s));
		add(t, "rx_bytes", json_object_new_uint64(s->tunnel.rx_bytes));
		add(t, "tx_bytes", json_object_new_uint64(s->tunnel.tx_bytes));
	}
	return t;
}

static json_object *
json_fetch(const struct ctl_status *s)
{
	json_object *f = json_object_new_object();
	char when[32];

	add(f, "server", str(s->fetch.server));
	add(f, "interval_s", json_object_new_int64(s->fetch.interval_s));
	add(f, "running", json_object_new_boolean(s->fetch.running));
	add(f, "next_s", s->fetch.next_s < 0 ? NULL : json_object_new_int64(s->fetch.next_s));
	if (s->fetch.last == 0) {
		add(f, "last", NULL);
		add(f, "last_age_s", NULL);
		add(f, "result", NULL);
	} else {
		add(f, "last", str(fetch_when(s, when)));
		add(f, "last_age_s", json_object_new_int64(s->fetch.last_age_s));
		add(f, "result", str(s->fetch.result));
	}
	return f;
}

static json_object *
json_bundle(const struct ctl_status *s)
{
	json_object *b = json_object_new_object();
	char when[32];

	add(b, "signed", s->bundle.max_age_s != 0 ? str(iso(s->bundle.signed_at, when)) : NULL);
	add(b, "by", str(s->bundle.by_statement ? "freshness statement" : "bundle"));
	add(b, "max_age_s", s->bundle.max_age_s != 0 ?
	    json_object_new_int64(s->bundle.max_age_s) : NULL);
	add(b, "age_s", json_object_new_int64(s->bundle.age_s));
	add(b, "expires_in_s", s->bundle.left_s >= 0 ?
	    json_object_new_int64(s->bundle.left_s) : NULL);
	add(b, "expired", json_object_new_boolean(s->bundle.expired));
	return b;
}

int
show_json(const struct ctl_status *s, struct buf *o)
{
	const struct ctl_uplink *u = active(s);
	json_object *j = json_object_new_object(), *p;
	const char *text;
	int rc = 0;

	if (j == NULL)
		return -ENOMEM;
	add(j, "mode", str(ctl_mode_name(s->mode)));
	add(j, "reason", str(s->reason));
	add(j, "since_ms", json_object_new_uint64(s->since_ms));
	add(j, "uplink", u != NULL ? str(u->name) : NULL);
	if (s->flags & CTL_S_PREFER)
		add(j, "preferred_uplink", str(s->prefer));
	add(j, "uplinks", json_uplinks(s));
	add(j, "tunnel", json_tunnel(s));
	p = json_object_new_object();
	add(p, "serial", json_object_new_uint64(s->serial));
	add(p, "path", str(s->policy_path));
	add(j, "policy", p);
	if (s->flags & CTL_S_BUNDLE)
		add(j, "bundle", json_bundle(s));
	if (s->flags & CTL_S_FETCH)
		add(j, "fetch", json_fetch(s));
	if (s->flags & CTL_S_PRESENCE) {
		p = json_object_new_object();
		add(p, "factor", str(s->presence == CTL_PRES_CARD ? "card" : "face"));
		add(p, "period_s", json_object_new_uint64(s->presence_s));
		add(j, "presence", p);
	}
	text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL)
		rc = -ENOMEM;
	else
		buf_printf(o, "%s\n", text);
	json_object_put(j);
	return rc;
}
