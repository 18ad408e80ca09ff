/*
 * The bounds sekishod's parent holds its engine process to (engproc.h,
 * docs/architecture.md "Bounds a compromised engine meets"). The engine
 * decides; the parent carries out an action only if it stays inside what
 * the parent knows by itself, from its own inputs: the kernel's links,
 * their default routers and the routers' link-layer addresses (rtnetlink,
 * read in the parent), the beacon answers the parent checked itself
 * (office.c), and the verified policy. Pure: no system calls.
 *
 *  - a probe, a tunnel route, office routes, office rules: only over a
 *    link the kernel reports under that name, never the work link or the
 *    tunnel;
 *  - a tunnel route via a router: only the link's own default router;
 *  - office routes and office rules: only over a link on which the parent
 *    itself saw a verified beacon answer within office-vouch, routed via
 *    that link's router, and bound to the router address the kernel
 *    showed when the beacon answered (kv_office_mac);
 *  - a gateway: only an index of the policy's gateways;
 *  - a mode: only blocked, remote or office.
 * Routes go only to the verified policy's prefixes and rulesets are only
 * those the parent renders from it: the engine names a mode, an uplink
 * and a gateway index, never a prefix, a rule or a key.
 */
#ifndef SK_ENGCHECK_H
#define SK_ENGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "netvm/sekishod/engine.h"

struct kv_link {
	int		ifindex;
	char		name[IF_NAMESIZE];
	int		has_gw;
	struct in_addr	gw;
	int		has_mac;		/* the kernel's entry of gw */
	uint8_t		mac[ENGINE_MAC_LEN];
	uint64_t	proven_ms;		/* a verified answer, 0: none */
	int		has_bound;		/* the router it was proven behind */
	uint8_t		bound[ENGINE_MAC_LEN];
};

struct kview {
	int		work_ifindex, tun_ifindex;
	struct kv_link	links[ENGINE_MAX_UPLINKS];
	size_t		n;
};

void kv_init(struct kview *kv, int work_ifindex, int tun_ifindex);
/* One of the parent's own events (rtnetlink, a checked beacon answer),
 * before the engine sees it. */
void kv_event(struct kview *kv, const struct event *ev);
/* A predecessor's office proof (office.h), the parent's own file, for a
 * link the kernel still shows under that name: counts as an answer now. */
void kv_prove(struct kview *kv, int ifindex, const char *name, uint64_t now);
/* The router office mode over ifindex is bound to, or NULL. */
const uint8_t *kv_office_mac(const struct kview *kv, int ifindex);
/* ... and its address (the link's default router), or NULL. */
const struct in_addr *kv_office_gw(const struct kview *kv, int ifindex);
/* 0 if a may be carried out; -1 with one line in err (what was asked and
 * why not). n_gateways: the policy's; vouch_ms: office-vouch. */
int kv_check(const struct kview *kv, const struct action *a, size_t n_gateways,
    uint64_t now, uint64_t vouch_ms, struct sk_error *err);
/* The same for an office ruleset the parent itself retries (T_RULES). */
int kv_check_office(const struct kview *kv, int ifindex, const char *name, uint64_t now,
    uint64_t vouch_ms, struct sk_error *err);

#endif
