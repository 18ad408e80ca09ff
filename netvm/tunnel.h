/*
 * The tunnel to the agency gateway, on top of vpn/: the WireGuard interface
 * (reused if a previous sekishod left it running, so a restart does not
 * drop the tunnel), its address, the LGWAN routes into it, and the one
 * route that steers its encrypted UDP over the chosen uplink.
 */
#ifndef SK_TUNNEL_H
#define SK_TUNNEL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/util.h"

struct policy;

struct tunnel {
	char		ifname[IF_NAMESIZE];
	int		ifindex;
	pid_t		child;		/* userspace WireGuard we started, or 0 */
	struct in_addr	endpoint;
	struct sockaddr_in endpoint_sa;
	uint8_t		peer[32];	/* the gateway's public key */
	uint16_t	keepalive;
};

struct tunnel_stats {
	int		up;
	struct timespec	last_handshake;	/* 0: never */
	uint64_t	rx_bytes, tx_bytes;
	char		peer[45];	/* the gateway's public key, base64 */
	char		endpoint[64];
};

int tunnel_open(struct tunnel *t, const char *ifname, const struct policy *pol,
    const uint8_t private_key[32], struct sk_error *err);
int tunnel_via(struct tunnel *t, int uplink_ifindex, const struct in_addr *gw);
int tunnel_idle(struct tunnel *t);
/* A live policy change: the routes of pol's prefixes into the tunnel added
 * (existing ones replaced in place), then the gateway's allowed IPs set to
 * exactly those prefixes. 0 or -errno. */
int tunnel_update(struct tunnel *t, const struct policy *pol);
/* Then, once the new ruleset is in force: the routes of the prefixes old
 * had and new has not removed. Goes on past a failure; 0 or the first. */
int tunnel_withdraw(const struct policy *old, const struct policy *new);
/* Removes the interface (ending a userspace implementation). */
void tunnel_close(struct tunnel *t);
int tunnel_stats(const struct tunnel *t, struct tunnel_stats *st);

#endif
