/* IPv6 routing of the netvm (route6.c), used only when the policy has IPv6
 * LGWAN prefixes and the addresses for them (policy has_v6). */
#ifndef SK_ROUTE6_H
#define SK_ROUTE6_H

#include <netinet/in.h>
#include <stdint.h>

struct policy;

int route6_addr_add(int ifindex, const struct in6_addr *a, uint8_t plen);
int route6_addr_del(int ifindex, const struct in6_addr *a, uint8_t plen);
int route6_replace(uint32_t table, const struct in6_addr *dst, uint8_t plen, int oif);
int route6_del(uint32_t table, const struct in6_addr *dst, uint8_t plen);
/* The tunnel mark's rule and work's fallback, as route_rules_add for IPv4. */
int route6_rules_add(const char *work_if, int work_ifindex);
/* Both taken out again, with work's fallback route (IPv6 turned off live). */
int route6_rules_del(const char *work_if);
/* The tunnel's IPv6 address (its lgwan IPv6 routes: tunnel.c, in bulk). */
int route6_tunnel(int ifindex, const struct policy *pol);
/* Removes the IPv6 routes of old that new no longer has. */
int route6_withdraw(const struct policy *old, const struct policy *new);

#endif
