/*
 * IPv6 routing of the netvm, for a policy with IPv6 LGWAN prefixes
 * (has_v6): the tunnel's and the work link's addresses, the LGWAN routes in
 * the tunnel's table, and the same two rules as IPv4 (the tunnel's mark
 * selects its table; what work sends that no table routes goes back onto
 * the work link). IPv6 has no office path: office mode leaves it refused.
 */
#include "netvm/sekishod/route6.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "netvm/sekishod/live.h"
#include "netvm/sekishod/route.h"
#include "policy/policy.h"

#define BUF_SIZE ROUTE_MSG_SIZE

/* Without duplicate address detection: the address is usable at once, and
 * nothing else on these point-to-point links could hold it. */
int
route6_addr_add(int ifindex, const struct in6_addr *a, uint8_t plen)
{
	char buf[BUF_SIZE];
	struct nlmsghdr *nlh = route_addrmsg(buf, AF_INET6, ifindex, a, plen);
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

	ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return route_talk(nlh);
}

int
route6_addr_del(int ifindex, const struct in6_addr *a, uint8_t plen)
{
	char buf[BUF_SIZE];
	struct nlmsghdr *nlh = route_addrmsg(buf, AF_INET6, ifindex, a, plen);
	int rc;

	nlh->nlmsg_type = RTM_DELADDR;
	nlh->nlmsg_flags = 0;
	rc = route_talk(nlh);
	return rc == -EADDRNOTAVAIL || rc == -ENOENT ? 0 : rc;
}

int
route6_replace(uint32_t table, const struct in6_addr *dst, uint8_t plen, int oif)
{
	char buf[BUF_SIZE];
	struct nlmsghdr *nlh = route_rtmsg(buf, RTM_NEWROUTE,
	    NLM_F_CREATE | NLM_F_REPLACE, table, AF_INET6, dst, plen);

	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return route_talk(nlh);
}

int
route6_del(uint32_t table, const struct in6_addr *dst, uint8_t plen)
{
	char buf[BUF_SIZE];
	struct nlmsghdr *nlh = route_rtmsg(buf, RTM_DELROUTE, 0,
	    table, AF_INET6, dst, plen);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	int rc;

	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	rc = route_talk(nlh);
	return rc == -ESRCH ? 0 : rc;
}

static int
rule_add(uint32_t prio, uint32_t table, uint32_t mark, const char *iif)
{
	char buf[BUF_SIZE];
	int rc = route_talk(route_rulemsg(buf, AF_INET6, prio, table, mark, iif));

	return rc == -EEXIST ? 0 : rc;
}

int
route6_rules_add(const char *work_if, int work_ifindex)
{
	struct in6_addr any;
	int rc;

	memset(&any, 0, sizeof(any));
	if ((rc = rule_add(SK_RULE_TUNNEL, SK_RT_TABLE, SK_MARK_TUNNEL, NULL)) < 0 ||
	    (rc = rule_add(SK_RULE_WORK, SK_RT_WORK, 0, work_if)) < 0)
		return rc;
	return route6_replace(SK_RT_WORK, &any, 0, work_ifindex);
}

static int
rule_del(uint32_t prio, uint32_t table, uint32_t mark, const char *iif)
{
	char buf[BUF_SIZE];
	struct nlmsghdr *nlh = route_rulemsg(buf, AF_INET6, prio, table, mark, iif);
	int rc;

	nlh->nlmsg_type = RTM_DELRULE;
	nlh->nlmsg_flags = 0;
	rc = route_talk(nlh);
	return rc == -ENOENT ? 0 : rc;
}

int
route6_rules_del(const char *work_if)
{
	struct in6_addr any;
	int rc;

	memset(&any, 0, sizeof(any));
	if ((rc = rule_del(SK_RULE_TUNNEL, SK_RT_TABLE, SK_MARK_TUNNEL, NULL)) < 0 ||
	    (rc = rule_del(SK_RULE_WORK, SK_RT_WORK, 0, work_if)) < 0)
		return rc;
	return route6_del(SK_RT_WORK, &any, 0);
}

int
route6_tunnel(int ifindex, const struct policy *pol)
{
	if (!pol->has_v6)
		return 0;
	/* the address; its routes go with the IPv4 ones (tunnel.c) */
	return route6_addr_add(ifindex, &pol->tunnel_addr6, 128);
}

int
route6_withdraw(const struct policy *old, const struct policy *new)
{
	int rc, first = 0;

	for (size_t i = 0; i < old->n_lgwan6; i++) {
		const struct prefix6 *p = &old->lgwan6[i];

		if (!live_has_prefix6(new, &p->addr, p->plen) &&
		    (rc = route6_del(SK_RT_TABLE, &p->addr, p->plen)) < 0 && first == 0)
			first = rc;
	}
	return first;
}
