/*
 * A live policy change, compared: what an accepted new policy changes.
 * Nearly all of it applies while sekishod runs: the policy's sets, rules
 * and LGWAN routes by difference (reload.c), and the parts below, each at
 * its place in the order (docs/bundle.md, the table of live changes).
 * Pure: no I/O.
 */
#ifndef SK_LIVE_H
#define SK_LIVE_H

#include <netinet/in.h>
#include <stdint.h>

#include "policy/policy.h"

/* What a live change applies besides the policy's sets, rules and routes. */
#define LIVE_MTU		0x01	/* the tunnel's MTU: nothing is cut */
#define LIVE_TUNNEL_ADDR	0x02	/* the tunnel's IPv4 address: connections
					 * through the tunnel are cut */
#define LIVE_GATEWAYS		0x04	/* endpoints, keys, keepalives, names,
					 * order: a new peer handshakes anew */
#define LIVE_WORK		0x08	/* the work link's IPv4 address, prefix or
					 * router: work's connections are cut */
#define LIVE_V6			0x10	/* IPv6 on or off, or its addresses
					 * (tunnel-address6, address6, router6):
					 * work's IPv6 connections and those
					 * through the tunnel's IPv6 are cut */
#define LIVE_KEY		0x20	/* the device's key-file: read again by
					 * the parent; the tunnel handshakes
					 * anew under the new key */
/* The LIVE_* parts new changes (0: only sets, rules and routes). */
unsigned int live_plan(const struct policy *old, const struct policy *new);

/* 1 if p's LGWAN prefixes hold exactly addr/plen (binary search). */
int live_has_prefix(const struct policy *p, struct in_addr addr, uint8_t plen);
/*
 * The same for queries in ascending address order (another policy's
 * prefixes, in their order), as one walk through p's: a live change asks
 * it of every one of 10,000 prefixes five times (routes, allowed IPs,
 * the count, the withdrawn routes), 1.5 ms of CPU as binary searches, a
 * few microseconds so. A query out of order is answered by the binary
 * search. Start with a zeroed struct live_walk naming p.
 */
struct live_walk {
	const struct policy	*p;
	size_t			 i;
};
int live_walk_has(struct live_walk *w, struct in_addr addr, uint8_t plen);
/* Whether p's IPv6 LGWAN prefixes (with has_v6) hold x/plen exactly. */
int live_has_prefix6(const struct policy *p, const struct in6_addr *x, uint8_t plen);

/* 1 if p's office resolvers hold a. */
int live_has_office_resolver(const struct policy *p, struct in_addr a);

/* How many of old's prefixes new withdraws, and how many new adds. */
void live_count(const struct policy *old, const struct policy *new,
    size_t *added, size_t *withdrawn);

#endif
