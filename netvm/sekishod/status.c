/* Formatting of `sekishoctl status`, text and JSON. Pure: no I/O. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "netvm/sekishod/control.h"

static const char *
ip4(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* Seconds since the last handshake, or -1 for never. */
static long long
handshake_age(const struct status *s)
{
	const struct tunnel_stats *t = s->tunnel;

	if (t == NULL || t->last_handshake.tv_sec == 0)
		return -1;
	if (s->wall.tv_sec < t->last_handshake.tv_sec)
		return 0;
	return (long long)(s->wall.tv_sec - t->last_handshake.tv_sec);
}

static void
text_uplinks(const struct engine *e, struct buf *o)
{
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	for (size_t i = 0; i < e->n_uplinks; i++) {
		const struct uplink *u = &e->uplinks[i];

		buf_printf(o, "  %-10s %s%s priority %u", u->name,
		    u->carrier ? "carrier" : "no-carrier",
		    u->ifindex == e->active ? " active" : "", u->priority);
		if (u->office == OFFICE_VERIFIED)
			buf_printf(o, " office(%s)", u->beacon);
		else if (e->beacons)
			buf_printf(o, " %s", office_state_name(u->office));
		if (u->has_addr)
			buf_printf(o, " address %s/%u", ip4(u->addr, a), u->plen);
		if (u->has_gw)
			buf_printf(o, " gateway %s", ip4(u->gw, g));
		buf_printf(o, "\n");
	}
}

static void
text_tunnel(const struct status *s, struct buf *o)
{
	const struct tunnel_stats *t = s->tunnel;
	long long age = handshake_age(s);

	buf_printf(o, "tunnel:     %s\n", s->tunnel_if);
	if (s->n_gateways > 0) {
		buf_printf(o, "  gateway:  %s (%zu of %zu", s->gateway, s->gateway_pos,
		    s->n_gateways);
		if (s->gateway_from != NULL && s->gateway_why != NULL)
			buf_printf(o, ", %s %s", s->gateway_from, s->gateway_why);
		buf_printf(o, ")\n");
	}
	if (t == NULL) {
		buf_printf(o, "  state:    not readable\n");
		return;
	}
	buf_printf(o, "  peer:     %s (%s)\n  endpoint: %s\n", t->peer, s->gateway,
	    t->endpoint[0] ? t->endpoint : "none");
	if (age < 0)
		buf_printf(o, "  handshake: never\n");
	else
		buf_printf(o, "  handshake: %lld s ago\n", age);
	buf_printf(o, "  transfer: %llu B received, %llu B sent\n",
	    (unsigned long long)t->rx_bytes, (unsigned long long)t->tx_bytes);
}

/* The time of the last fetch: UTC, ISO 8601. */
static const char *
fetch_when(const struct fetch_status *f, char buf[32])
{
	struct tm tm;

	if (gmtime_r(&f->last, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "?";
	return buf;
}

static long long
fetch_age(const struct status *s)
{
	return s->wall.tv_sec > s->fetch->last ? (long long)(s->wall.tv_sec - s->fetch->last) : 0;
}

static void
text_fetch(const struct status *s, struct buf *o)
{
	const struct fetch_status *f = s->fetch;
	char when[32];

	buf_printf(o, "fetch:      %s every %u s", f->server, f->interval_s);
	if (f->running)
		buf_printf(o, ", one running now\n");
	else if (f->next_s >= 0)
		buf_printf(o, ", next in %lld s\n", f->next_s);
	else
		buf_printf(o, ", none due (no path)\n");
	if (f->last == 0)
		buf_printf(o, "  last:     none yet\n");
	else
		buf_printf(o, "  last:     %s (%lld s ago): %s\n", fetch_when(f, when),
		    fetch_age(s), f->result);
}

void
status_text(const struct status *s, struct buf *o)
{
	const struct engine *e = s->engine;
	const struct uplink *u = engine_uplink(e, e->active);
	char a[INET_ADDRSTRLEN];

	if (e->mode == MODE_OFFICE && u != NULL)
		buf_printf(o, "mode:       office (beacon %s verified %.1f s ago on %s, for %.1f s)\n",
		    u->beacon, (double)(s->now_ms - u->verified_ms) / 1000.0, u->name,
		    (double)(s->now_ms - e->since_ms) / 1000.0);
	else
		buf_printf(o, "mode:       %s (%s, for %.1f s)\n", mode_name(e->mode),
		    e->reason, (double)(s->now_ms - e->since_ms) / 1000.0);
	if (u != NULL)
		buf_printf(o, "uplink:     %s %s/%u\n", u->name, ip4(u->addr, a), u->plen);
	else
		buf_printf(o, "uplink:     none\n");
	buf_printf(o, "uplinks:\n");
	text_uplinks(e, o);
	text_tunnel(s, o);
	buf_printf(o, "policy:     serial %llu (%s)\n", (unsigned long long)s->serial,
	    s->policy_path);
	if (s->fetch != NULL)
		text_fetch(s, o);
}

/* Names are interface names and policy identifiers. Gateway names may be
 * UTF-8 (the parser accepts only valid UTF-8), which JSON carries as it
 * is; control characters, quotes and backslashes are escaped anyway. */
static void
json_str(struct buf *o, const char *s)
{
	buf_printf(o, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_printf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(o, "\\u%04x", c);
		else
			buf_printf(o, "%c", c);
	}
	buf_printf(o, "\"");
}

static void
json_uplinks(const struct engine *e, struct buf *o)
{
	char a[INET_ADDRSTRLEN];

	buf_printf(o, "\"uplinks\":[");
	for (size_t i = 0; i < e->n_uplinks; i++) {
		const struct uplink *u = &e->uplinks[i];

		buf_printf(o, "%s{\"name\":", i ? "," : "");
		json_str(o, u->name);
		buf_printf(o, ",\"carrier\":%s,\"active\":%s,\"priority\":%u,\"office\":\"%s\"",
		    u->carrier ? "true" : "false",
		    u->ifindex == e->active ? "true" : "false", u->priority,
		    office_state_name(u->office));
		if (u->office == OFFICE_VERIFIED) {
			buf_printf(o, ",\"beacon\":");
			json_str(o, u->beacon);
		}
		if (u->has_addr)
			buf_printf(o, ",\"address\":\"%s/%u\"", ip4(u->addr, a), u->plen);
		if (u->has_gw)
			buf_printf(o, ",\"gateway\":\"%s\"", ip4(u->gw, a));
		buf_printf(o, "}");
	}
	buf_printf(o, "]");
}

static void
json_tunnel(const struct status *s, struct buf *o)
{
	const struct tunnel_stats *t = s->tunnel;
	long long age = handshake_age(s);

	buf_printf(o, "\"tunnel\":{\"interface\":");
	json_str(o, s->tunnel_if);
	if (s->n_gateways > 0) {
		buf_printf(o, ",\"gateway_position\":%zu,\"gateways\":%zu,\"failover\":",
		    s->gateway_pos, s->n_gateways);
		if (s->gateway_from != NULL && s->gateway_why != NULL) {
			buf_printf(o, "{\"from\":");
			json_str(o, s->gateway_from);
			buf_printf(o, ",\"why\":");
			json_str(o, s->gateway_why);
			buf_printf(o, "}");
		} else
			buf_printf(o, "null");
	}
	if (t != NULL) {
		buf_printf(o, ",\"peer\":\"%s\",\"gateway\":", t->peer);
		json_str(o, s->gateway);
		buf_printf(o, ",\"endpoint\":");
		json_str(o, t->endpoint);
		if (age < 0)
			buf_printf(o, ",\"last_handshake_age_s\":null");
		else
			buf_printf(o, ",\"last_handshake_age_s\":%lld", age);
		buf_printf(o, ",\"rx_bytes\":%llu,\"tx_bytes\":%llu",
		    (unsigned long long)t->rx_bytes, (unsigned long long)t->tx_bytes);
	}
	buf_printf(o, "}");
}

static void
json_fetch(const struct status *s, struct buf *o)
{
	const struct fetch_status *f = s->fetch;
	char when[32];

	buf_printf(o, ",\"fetch\":{\"server\":");
	json_str(o, f->server);
	buf_printf(o, ",\"interval_s\":%u,\"running\":%s,\"next_s\":", f->interval_s,
	    f->running ? "true" : "false");
	if (f->next_s >= 0)
		buf_printf(o, "%lld", f->next_s);
	else
		buf_printf(o, "null");
	if (f->last == 0) {
		buf_printf(o, ",\"last\":null,\"last_age_s\":null,\"result\":null}");
		return;
	}
	buf_printf(o, ",\"last\":\"%s\",\"last_age_s\":%lld,\"result\":",
	    fetch_when(f, when), fetch_age(s));
	json_str(o, f->result);
	buf_printf(o, "}");
}

void
status_json(const struct status *s, struct buf *o)
{
	const struct engine *e = s->engine;
	const struct uplink *u = engine_uplink(e, e->active);

	buf_printf(o, "{\"mode\":\"%s\",\"reason\":", mode_name(e->mode));
	json_str(o, e->reason);
	buf_printf(o, ",\"since_ms\":%llu,\"uplink\":",
	    (unsigned long long)(s->now_ms - e->since_ms));
	if (u != NULL)
		json_str(o, u->name);
	else
		buf_printf(o, "null");
	buf_printf(o, ",");
	json_uplinks(e, o);
	buf_printf(o, ",");
	json_tunnel(s, o);
	buf_printf(o, ",\"policy\":{\"serial\":%llu,\"path\":",
	    (unsigned long long)s->serial);
	json_str(o, s->policy_path);
	buf_printf(o, "}");
	if (s->fetch != NULL)
		json_fetch(s, o);
	buf_printf(o, "}\n");
}
