#include "policy/render/fw_dns.h"

#include <arpa/inet.h>
#include <stdio.h>

#include "policy/policy.h"
#include "policy/render/fw_render.h"

static const char *
ip4(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

void
fw_dns_resolvers(const struct policy *pol, enum mode mode,
    const struct in_addr **v, size_t *n)
{
	if (mode == MODE_OFFICE && pol->n_office_resolvers > 0) {
		*v = pol->office_resolvers;
		*n = pol->n_office_resolvers;
	} else {
		*v = pol->resolvers;
		*n = pol->n_resolvers;
	}
}

/* The first resolver: a ruleset always starts from the policy's first
 * choice; sekishod moves the pick in a separate transaction right after
 * if its health checks say otherwise (netvm/sekishod/dns.c). */
void
fw_dns_render_map(const struct fw_params *p, struct buf *o)
{
	const struct in_addr *res;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	size_t n;

	fw_dns_resolvers(p->pol, p->mode, &res, &n);
	buf_printf(o, "\tmap " FW_DNS_MAP " {\n" FW_DNS_MAP_HEAD
	    "\t\telements = { %s : %s }\n\t}\n", ip4(p->pol->work_router, a),
	    ip4(res[0], b));
}

/* Only work's DNS to the netvm's own address is translated; a lookup
 * that finds nothing (never: the map always holds the router) would
 * leave the packet addressed to the netvm, whose input chain refuses it. */
void
fw_dns_render_nat(const struct fw_params *p, struct buf *o)
{
	char a[INET_ADDRSTRLEN];

	buf_printf(o, "\t\tiifname \"%s\" ip daddr %s meta l4proto { tcp, udp } th dport 53 "
	    "ct mark set 0x%08x dnat ip to ip daddr map @" FW_DNS_MAP "\n",
	    p->work_if, ip4(p->pol->work_router, a), FW_DNS_CTMARK);
}

void
fw_dns_pick_item(struct in_addr router, struct in_addr resolver, char out[FW_DNS_ITEM_MAX])
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	snprintf(out, FW_DNS_ITEM_MAX, "%s : %s", ip4(router, a), ip4(resolver, b));
}
