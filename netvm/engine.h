/*
 * The netvm's mode engine: events in, actions out, no syscalls. It knows
 * the uplinks as the kernel reports them (link, address, default route)
 * and decides the mode and which uplink carries the tunnel. The edges in
 * sekishod.c turn rtnetlink messages into events and actions into
 * nftables transactions and route changes.
 */
#ifndef SK_ENGINE_H
#define SK_ENGINE_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define ENGINE_MAX_UPLINKS	16
#define ENGINE_MAX_ACTIONS	4

enum mode { MODE_BLOCKED, MODE_REMOTE };

struct uplink {
	int		ifindex;
	char		name[IF_NAMESIZE];
	int		carrier;
	int		has_addr;
	struct in_addr	addr;
	uint8_t		plen;
	int		has_gw;
	struct in_addr	gw;
};

enum ev_type {
	EV_LINK,	/* link appeared or changed: ifindex, name, carrier */
	EV_LINK_GONE,	/* ifindex */
	EV_ADDR_ADD,	/* ifindex, addr, plen */
	EV_ADDR_DEL,	/* ifindex, addr, plen */
	EV_GW_ADD,	/* default route: ifindex, gw */
	EV_GW_DEL,	/* ifindex, gw */
};

struct event {
	enum ev_type	type;
	int		ifindex;
	char		name[IF_NAMESIZE];
	int		carrier;
	struct in_addr	addr;
	uint8_t		plen;
	struct in_addr	gw;
	uint64_t	now_ms;
};

enum act_type {
	ACT_TUNNEL_VIA,	/* steer the tunnel's UDP over uplink (ifindex, name, gw) */
	ACT_RULES,	/* load the ruleset of mode, one nftables transaction */
	ACT_TUNNEL_IDLE,/* the tunnel has no uplink: remove its route */
};

struct action {
	enum act_type	type;
	enum mode	mode;
	int		ifindex;
	char		uplink[IF_NAMESIZE];
	int		has_gw;
	struct in_addr	gw;
};

struct engine {
	/* configuration, set before the first event */
	int		work_ifindex;
	int		tunnel_ifindex;
	struct in_addr	endpoint;	/* the gateway's public address */

	/* state */
	enum mode	mode;
	int		active;		/* ifindex carrying the tunnel, 0 = none */
	int		active_has_gw;	/* the route the tunnel was steered by */
	struct in_addr	active_gw;
	uint64_t	since_ms;	/* when mode or uplink last changed */
	char		reason[96];
	struct uplink	uplinks[ENGINE_MAX_UPLINKS];
	size_t		n_uplinks;
};

void engine_init(struct engine *e, int work_ifindex, int tunnel_ifindex,
    struct in_addr endpoint);
/* Feeds one event; writes up to ENGINE_MAX_ACTIONS actions in the order
 * they must be carried out and returns how many. */
size_t engine_handle(struct engine *e, const struct event *ev,
    struct action out[ENGINE_MAX_ACTIONS]);
/* The actions that establish the current decision from scratch (after a
 * restart or a resynchronisation), whatever the kernel held before. */
size_t engine_restate(struct engine *e, uint64_t now,
    struct action out[ENGINE_MAX_ACTIONS]);
const struct uplink *engine_uplink(const struct engine *e, int ifindex);
const char *mode_name(enum mode m);

#endif
