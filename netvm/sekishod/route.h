/*
 * Changes to the netvm's routing through rtnetlink: interface state and
 * addresses, the tunnel's routing table, and the policy rules that send
 * LGWAN traffic into it. Each call is one request, acknowledged.
 */
#ifndef SK_ROUTE_H
#define SK_ROUTE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/render/mode.h"	/* the marks */

/*
 * The routing of modes. nftables marks work's traffic (and the netvm's own
 * traffic to LGWAN) with the mode's mark, in the same transaction that
 * changes the rules, so the path follows the mode atomically; each mark
 * selects a table that holds only LGWAN routes. What no table routes is
 * sent back onto the work link, never to an uplink.
 */
#define SK_RT_ENDPOINT	1512	/* the tunnel's UDP: the gateway via an uplink */
#define SK_RT_TABLE	1509	/* LGWAN into the tunnel */
#define SK_RT_OFFICE	1511	/* LGWAN straight out of the office uplink */
#define SK_RT_WORK	1510	/* work's traffic no mode routes: back to work */
#define SK_RULE_ENDPOINT 999	/* iif lo to a gateway endpoint: lookup SK_RT_ENDPOINT */
#define SK_RULE_TUNNEL	1000	/* fwmark SK_MARK_TUNNEL: lookup SK_RT_TABLE */
#define SK_RULE_OFFICE	1001	/* fwmark SK_MARK_OFFICE: lookup SK_RT_OFFICE */
#define SK_RULE_WORK	1002	/* from work: lookup SK_RT_WORK */

struct nlmsghdr;

/* Sends one rtnetlink request (flags and type set by the caller) and waits
 * for its acknowledgement: 0 or -errno. */
int route_talk(struct nlmsghdr *nlh);
#define ROUTE_MSG_SIZE	8192	/* a buffer for the three below */
/* An RTM_NEWADDR (create or replace) of addr/plen of family on ifindex. */
struct nlmsghdr *route_addrmsg(char *buf, int family, int ifindex,
    const void *addr, uint8_t plen);
/* A route message (type RTM_NEWROUTE or RTM_DELROUTE) for dst/plen of
 * family (AF_INET or AF_INET6) in table, built in buf. */
struct nlmsghdr *route_rtmsg(char *buf, uint16_t type, uint16_t flags,
    uint32_t table, int family, const void *dst, uint8_t plen);
/* "priority prio [fwmark mark] [iif iif] lookup table" of family, new. */
struct nlmsghdr *route_rulemsg(char *buf, int family, uint32_t prio,
    uint32_t table, uint32_t mark, const char *iif);
int route_link_set(int ifindex, int up, unsigned int mtu);
int route_addr_add(int ifindex, struct in_addr addr, uint8_t plen);
/* Removes addr/plen from ifindex; not there is no failure. */
int route_addr_del(int ifindex, struct in_addr addr, uint8_t plen);
/* dst/plen via gw (if gw != NULL) dev oif in table; replaces an old one. */
int route_replace(uint32_t table, struct in_addr dst, uint8_t plen,
    const struct in_addr *gw, int oif);
int route_del(uint32_t table, struct in_addr dst, uint8_t plen);
/*
 * Routes in bulk: n changes of one kind in as few requests as fit a
 * buffer (thousands of prefixes per send), each acknowledged only if it
 * fails, the last of each send always, so the kernel's answers never
 * outgrow the socket. Deleting a route that is not there is no failure.
 * Goes on past a failure: 0, or the first error.
 */
struct route_op {
	int		 del;		/* RTM_DELROUTE, else RTM_NEWROUTE (replace) */
	int		 family;	/* AF_INET or AF_INET6 */
	uint32_t	 table;
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} dst;
	uint8_t		 plen;
	int		 has_gw;	/* IPv4 only: via gw, else on-link */
	struct in_addr	 gw;
	int		 oif;
};
int route_batch(const struct route_op *ops, size_t n);
/* Every IPv4 route of table removed (one dump of that table, then one
 * batch): 0 or -errno. */
int route_flush_table(uint32_t table);
/* A growable list of route_op (route_ops_add: 0, or -ENOMEM). */
struct route_ops {
	struct route_op	*v;
	size_t		 n, cap;
};
int route_ops_add(struct route_ops *o, const struct route_op *op);
void route_ops_free(struct route_ops *o);

/* Forgets every tracked IPv4 connection (on a change between office and
 * remote mode, whose address translations differ). */
int conntrack_flush(void);
/* Forgets those whose conntrack mark is mark. 0 or -errno. */
int conntrack_flush_mark(uint32_t mark);
/* Adds the rules (already present is fine; one SK_RULE_ENDPOINT per gateway
 * endpoint) and work's fallback route. */
int route_rules_add(const char *work_if, int work_ifindex, const struct in_addr *endpoints,
    size_t n_endpoints);
/* One gateway endpoint's SK_RULE_ENDPOINT rule added (add) or removed,
 * with its route in SK_RT_ENDPOINT (a live change of the gateways). */
int route_endpoint_rule(int add, struct in_addr endpoint);

#endif
