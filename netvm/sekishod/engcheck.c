#include "netvm/sekishod/engcheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "lib/util.h"

void
kv_init(struct kview *kv, int work_ifindex, int tun_ifindex)
{
	memset(kv, 0, sizeof(*kv));
	kv->work_ifindex = work_ifindex;
	kv->tun_ifindex = tun_ifindex;
}

static struct kv_link *
kv_get(struct kview *kv, int ifindex, int add)
{
	for (size_t i = 0; i < kv->n; i++)
		if (kv->links[i].ifindex == ifindex)
			return &kv->links[i];
	if (!add || kv->n == ENGINE_MAX_UPLINKS)
		return NULL;
	memset(&kv->links[kv->n], 0, sizeof(kv->links[0]));
	kv->links[kv->n].ifindex = ifindex;
	return &kv->links[kv->n++];
}

static const struct kv_link *
kv_find(const struct kview *kv, int ifindex)
{
	for (size_t i = 0; i < kv->n; i++)
		if (kv->links[i].ifindex == ifindex)
			return &kv->links[i];
	return NULL;
}

static void
unprove(struct kv_link *l)
{
	l->proven_ms = 0;
	l->has_bound = 0;
}

void
kv_event(struct kview *kv, const struct event *ev)
{
	struct kv_link *l;

	if (ev->ifindex <= 0 || ev->ifindex == kv->work_ifindex ||
	    ev->ifindex == kv->tun_ifindex)
		return;
	if (ev->type == EV_LINK_GONE) {
		for (size_t i = 0; i < kv->n; i++)
			if (kv->links[i].ifindex == ev->ifindex) {
				kv->links[i] = kv->links[--kv->n];
				break;
			}
		return;
	}
	if ((l = kv_get(kv, ev->ifindex, ev->type == EV_LINK)) == NULL)
		return;
	switch (ev->type) {
	case EV_LINK:
		if (strcmp(l->name, ev->name) != 0 || !ev->carrier)
			unprove(l);
		sk_strlcpy(l->name, ev->name, sizeof(l->name));
		break;
	case EV_ADDR_ADD:
	case EV_ADDR_DEL:
		unprove(l);
		break;
	case EV_GW_ADD:
		if (l->has_gw && l->gw.s_addr == ev->gw.s_addr)
			break;
		l->has_gw = 1;
		l->gw = ev->gw;
		l->has_mac = 0;
		unprove(l);
		break;
	case EV_GW_DEL:
		if (!l->has_gw || l->gw.s_addr != ev->gw.s_addr)
			break;
		l->has_gw = 0;
		l->has_mac = 0;
		unprove(l);
		break;
	case EV_NEIGH:
		if (!l->has_gw || l->gw.s_addr != ev->addr.s_addr)
			break;
		l->has_mac = ev->has_lladdr;
		if (!ev->has_lladdr)
			break;
		memcpy(l->mac, ev->lladdr, sizeof(l->mac));
		if (l->has_bound && memcmp(l->bound, l->mac, sizeof(l->mac)) != 0)
			unprove(l);	/* another router: another network */
		else if (l->proven_ms != 0 && !l->has_bound) {
			l->has_bound = 1;
			memcpy(l->bound, l->mac, sizeof(l->bound));
		}
		break;
	case EV_BEACON_OK:
		l->proven_ms = ev->now_ms != 0 ? ev->now_ms : 1;
		if (!l->has_bound && l->has_mac) {
			l->has_bound = 1;
			memcpy(l->bound, l->mac, sizeof(l->bound));
		}
		break;
	case EV_BEACON_FAIL:
		unprove(l);
		break;
	default:
		break;
	}
}

void
kv_prove(struct kview *kv, int ifindex, const char *name, uint64_t now)
{
	struct kv_link *l = kv_get(kv, ifindex, 0);

	if (l == NULL || strcmp(l->name, name) != 0)
		return;
	l->proven_ms = now != 0 ? now : 1;
	if (!l->has_bound && l->has_mac) {
		l->has_bound = 1;
		memcpy(l->bound, l->mac, sizeof(l->bound));
	}
}

const uint8_t *
kv_office_mac(const struct kview *kv, int ifindex)
{
	const struct kv_link *l = kv_find(kv, ifindex);

	return l != NULL && l->has_bound ? l->bound : NULL;
}

const struct in_addr *
kv_office_gw(const struct kview *kv, int ifindex)
{
	const struct kv_link *l = kv_find(kv, ifindex);

	return l != NULL && l->has_bound && l->has_gw ? &l->gw : NULL;
}

/* The link the engine named: one the kernel shows under that name. */
static const struct kv_link *
named(const struct kview *kv, const char *what, int ifindex, const char *name,
    struct sk_error *err)
{
	const struct kv_link *l;

	if (ifindex <= 0 || ifindex == kv->work_ifindex || ifindex == kv->tun_ifindex) {
		sk_errorf(err, EPERM, "%s over ifindex %d: not an uplink", what, ifindex);
		return NULL;
	}
	if ((l = kv_find(kv, ifindex)) == NULL) {
		sk_errorf(err, EPERM, "%s over ifindex %d: no such link in the kernel",
		    what, ifindex);
		return NULL;
	}
	if (strcmp(l->name, name) != 0) {
		sk_errorf(err, EPERM, "%s over \"%s\": ifindex %d is \"%s\" in the kernel",
		    what, name, ifindex, l->name);
		return NULL;
	}
	return l;
}

static int
via_router(const struct kv_link *l, const char *what, const struct action *a,
    struct sk_error *err)
{
	char g[INET_ADDRSTRLEN];

	if (!a->has_gw || (l->has_gw && l->gw.s_addr == a->gw.s_addr))
		return 0;
	inet_ntop(AF_INET, &a->gw, g, sizeof(g));
	return sk_errorf(err, EPERM, "%s over %s via %s: not the link's default router",
	    what, l->name, g), -1;
}

int
kv_check_office(const struct kview *kv, int ifindex, const char *name, uint64_t now,
    uint64_t vouch_ms, struct sk_error *err)
{
	const struct kv_link *l;

	if ((l = named(kv, "office mode", ifindex, name, err)) == NULL)
		return -1;
	if (l->proven_ms == 0)
		return sk_errorf(err, EPERM, "office mode over %s: no beacon answer verified "
		    "on it", name), -1;
	if (now > l->proven_ms && now - l->proven_ms > vouch_ms)
		return sk_errorf(err, EPERM, "office mode over %s: the last verified beacon "
		    "answer is %llu ms old, office-vouch is %llu", name,
		    (unsigned long long)(now - l->proven_ms), (unsigned long long)vouch_ms), -1;
	return 0;
}

int
kv_check(const struct kview *kv, const struct action *a, size_t n_gateways, uint64_t now,
    uint64_t vouch_ms, struct sk_error *err)
{
	const struct kv_link *l;

	switch (a->type) {
	case ACT_PROBE:
		return named(kv, "a probe", a->ifindex, a->uplink, err) == NULL ? -1 : 0;
	case ACT_TUNNEL_VIA:
		if ((l = named(kv, "the tunnel's route", a->ifindex, a->uplink, err)) == NULL)
			return -1;
		return via_router(l, "the tunnel's route", a, err);
	case ACT_OFFICE_VIA:
		if (kv_check_office(kv, a->ifindex, a->uplink, now, vouch_ms, err) < 0)
			return -1;
		return via_router(kv_find(kv, a->ifindex), "office routes", a, err);
	case ACT_RULES:
		if (a->mode != MODE_BLOCKED && a->mode != MODE_REMOTE && a->mode != MODE_OFFICE)
			return sk_errorf(err, EPERM, "a ruleset of mode %d", (int)a->mode), -1;
		if (a->mode == MODE_OFFICE)
			return kv_check_office(kv, a->ifindex, a->uplink, now, vouch_ms, err);
		return 0;
	case ACT_GATEWAY:
	case ACT_ANSWERED:
		if (a->gateway >= n_gateways || a->gw_from >= n_gateways)
			return sk_errorf(err, EPERM, "gateway %zu (from %zu): the policy has %zu",
			    a->gateway + 1, a->gw_from + 1, n_gateways), -1;
		return 0;
	case ACT_TUNNEL_IDLE:
	case ACT_BACK_PROBE:
	case ACT_LIVE_PROBE:	/* an echo or one datagram into the tunnel */
	case ACT_SILENT:
	case ACT_STALE:
		return 0;
	}
	return sk_errorf(err, EPERM, "action type %d", (int)a->type), -1;
}
