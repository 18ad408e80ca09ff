/*
 * A live policy change, compared: what an accepted new policy changes that
 * sekishod can apply while it runs (LGWAN prefixes and resolvers, beacons,
 * the office resolvers, uplink priorities, timers), and what it cannot
 * (the device, gateway and work sections: the tunnel's key and address,
 * the gateways' endpoints, keys and failover order, and the work link are
 * set up once, at start).
 * Pure: no I/O.
 */
#ifndef SK_LIVE_H
#define SK_LIVE_H

#include <netinet/in.h>
#include <stdint.h>

#include "policy/policy.h"

/* The first section of the policy that differs and cannot change while
 * sekishod runs ("device", "gateway", "work"), or NULL. */
const char *live_fixed_change(const struct policy *old, const struct policy *new);

/* 1 if p's LGWAN prefixes hold exactly addr/plen (binary search). */
int live_has_prefix(const struct policy *p, struct in_addr addr, uint8_t plen);
/* Whether p's IPv6 LGWAN prefixes (with has_v6) hold x/plen exactly. */
int live_has_prefix6(const struct policy *p, const struct in6_addr *x, uint8_t plen);

/* 1 if p's office resolvers hold a. */
int live_has_office_resolver(const struct policy *p, struct in_addr a);

/* How many of old's prefixes new withdraws, and how many new adds. */
void live_count(const struct policy *old, const struct policy *new,
    size_t *added, size_t *withdrawn);

#endif
