/*
 * Changes to the netvm's routing through rtnetlink: interface state and
 * addresses, the tunnel's routing table, and the policy rules that send
 * LGWAN traffic into it. Each call is one request, acknowledged.
 */
#ifndef SK_ROUTE_H
#define SK_ROUTE_H

#include <netinet/in.h>
#include <stdint.h>

#define SK_RT_TABLE	1509	/* routes of the tunnel: LGWAN, the endpoint */
#define SK_RULE_PRIO	1000	/* everyone: lookup SK_RT_TABLE */
#define SK_RT_WORK	1510	/* work's traffic that is not for the tunnel */
#define SK_RULE_WORK	1001	/* work: lookup SK_RT_WORK */

int route_link_set(int ifindex, int up, unsigned int mtu);
int route_addr_add(int ifindex, struct in_addr addr, uint8_t plen);
/* dst/plen via gw (if gw != NULL) dev oif in table; replaces an old one. */
int route_replace(uint32_t table, struct in_addr dst, uint8_t plen,
    const struct in_addr *gw, int oif);
int route_del(uint32_t table, struct in_addr dst, uint8_t plen);
/* Adds the two rules; already present is fine. */
int route_rules_add(const char *work_if, int work_ifindex);

#endif
