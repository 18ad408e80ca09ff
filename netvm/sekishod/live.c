#include "netvm/sekishod/live.h"

#include <arpa/inet.h>
#include <string.h>

static int
one_gateway_differs(const struct policy_gateway *a, const struct policy_gateway *b)
{
	return strcmp(a->name, b->name) != 0 ||
	    a->endpoint.sin_addr.s_addr != b->endpoint.sin_addr.s_addr ||
	    a->endpoint.sin_port != b->endpoint.sin_port ||
	    memcmp(a->pubkey, b->pubkey, sizeof(a->pubkey)) != 0 ||
	    a->keepalive != b->keepalive ||
	    a->tunnel_addr.s_addr != b->tunnel_addr.s_addr;
}

/* Any gateway added, removed, reordered or changed. */
static int
gateway_differs(const struct policy *a, const struct policy *b)
{
	if (a->n_gateways != b->n_gateways)
		return 1;
	for (size_t i = 0; i < a->n_gateways; i++)
		if (one_gateway_differs(&a->gateways[i], &b->gateways[i]))
			return 1;
	return 0;
}

static int
work4_differs(const struct policy *a, const struct policy *b)
{
	return a->work_addr.s_addr != b->work_addr.s_addr ||
	    a->work_plen != b->work_plen ||
	    a->work_router.s_addr != b->work_router.s_addr;
}

static int
v6_differs(const struct policy *a, const struct policy *b)
{
	if (a->has_v6 != b->has_v6)
		return 1;
	return a->has_v6 && (a->work_plen6 != b->work_plen6 ||
	    memcmp(&a->tunnel_addr6, &b->tunnel_addr6, sizeof(a->tunnel_addr6)) != 0 ||
	    memcmp(&a->work_addr6, &b->work_addr6, sizeof(a->work_addr6)) != 0 ||
	    memcmp(&a->work_router6, &b->work_router6, sizeof(a->work_router6)) != 0);
}

unsigned int
live_plan(const struct policy *old, const struct policy *new)
{
	unsigned int what = 0;

	if (strcmp(old->key_file, new->key_file) != 0)
		what |= LIVE_KEY;
	if (v6_differs(old, new))
		what |= LIVE_V6;
	if (old->mtu != new->mtu)
		what |= LIVE_MTU;
	if (old->tunnel_addr.s_addr != new->tunnel_addr.s_addr)
		what |= LIVE_TUNNEL_ADDR;
	if (gateway_differs(old, new))
		what |= LIVE_GATEWAYS;
	if (work4_differs(old, new))
		what |= LIVE_WORK;
	return what;
}

/* The parser sorts prefixes by address and makes them disjoint, so one
 * address starts at most one prefix. */
int
live_has_prefix(const struct policy *p, struct in_addr addr, uint8_t plen)
{
	uint32_t want = ntohl(addr.s_addr);
	size_t lo = 0, hi = p->n_lgwan;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t at = ntohl(p->lgwan[mid].addr.s_addr);

		if (at == want)
			return p->lgwan[mid].plen == plen;
		if (at < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
live_walk_has(struct live_walk *w, struct in_addr addr, uint8_t plen)
{
	const struct policy *p = w->p;
	uint32_t want = ntohl(addr.s_addr);

	if (w->i > 0 && ntohl(p->lgwan[w->i - 1].addr.s_addr) >= want)
		return live_has_prefix(p, addr, plen);	/* out of order */
	while (w->i < p->n_lgwan && ntohl(p->lgwan[w->i].addr.s_addr) < want)
		w->i++;
	return w->i < p->n_lgwan && ntohl(p->lgwan[w->i].addr.s_addr) == want &&
	    p->lgwan[w->i].plen == plen;
}

int
live_has_prefix6(const struct policy *p, const struct in6_addr *x, uint8_t plen)
{
	if (!p->has_v6)
		return 0;
	for (size_t i = 0; i < p->n_lgwan6; i++)
		if (p->lgwan6[i].plen == plen &&
		    memcmp(&p->lgwan6[i].addr, x, sizeof(*x)) == 0)
			return 1;
	return 0;
}

int
live_has_office_resolver(const struct policy *p, struct in_addr a)
{
	for (size_t i = 0; i < p->n_office_resolvers; i++)
		if (p->office_resolvers[i].s_addr == a.s_addr)
			return 1;
	return 0;
}

void
live_count(const struct policy *old, const struct policy *new, size_t *added,
    size_t *withdrawn)
{
	struct live_walk wo = { old, 0 }, wn = { new, 0 };

	*added = *withdrawn = 0;
	for (size_t i = 0; i < new->n_lgwan; i++)
		*added += !live_walk_has(&wo, new->lgwan[i].addr, new->lgwan[i].plen);
	for (size_t i = 0; i < old->n_lgwan; i++)
		*withdrawn += !live_walk_has(&wn, old->lgwan[i].addr, old->lgwan[i].plen);
}
