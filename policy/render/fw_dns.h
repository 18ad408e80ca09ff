/*
 * Work's DNS in the netvm's ruleset (docs/policy.md, "DNS failover").
 * Work sends its DNS to the netvm's address on the work link; the kernel
 * translates it (DNAT) to the one resolver held in the map dns_pick
 * (work's router address : the resolver), so that choosing another
 * resolver is a transaction of two element commands (the map flushed, its
 * one element fw_dns_pick_item added: netvm/sekishod/firewall.c,
 * fw_dns_pick, as one nfnetlink batch) that leaves the rest of the
 * ruleset alone and does not grow with the policy. Every translated flow carries the conntrack
 * mark FW_DNS_CTMARK, so that sekishod can forget them all at a switch
 * (a client that reuses its source port would otherwise keep the old
 * translation for as long as it keeps asking). Pure: text only.
 */
#ifndef SK_FW_DNS_H
#define SK_FW_DNS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>

#include "lib/buf.h"
#include "policy/render/mode.h"

struct fw_params;
struct policy;

#define FW_DNS_MAP	"dns_pick"
#define FW_DNS_CTMARK	0x5ec0d553u	/* conntrack mark of work's translated DNS */

/* The resolvers work's DNS may go to in mode, in the policy's order of
 * preference: office mode's own (office { resolver }) when the policy
 * has them, otherwise lgwan's. */
void fw_dns_resolvers(const struct policy *pol, enum mode mode,
    const struct in_addr **v, size_t *n);
/* The map dns_pick, holding the mode's first resolver (inside the table). */
void fw_dns_render_map(const struct fw_params *p, struct buf *out);
/* The translation rule of the dstnat chain (remote and office mode). */
void fw_dns_render_nat(const struct fw_params *p, struct buf *out);
/* The map's one element when work's DNS (to router) goes to resolver:
 * "ROUTER : RESOLVER", as the map's declaration writes it. */
#define FW_DNS_ITEM_MAX	(2 * INET_ADDRSTRLEN + 3)
void fw_dns_pick_item(struct in_addr router, struct in_addr resolver,
    char out[FW_DNS_ITEM_MAX]);
/* The map's head lines, as fw_dns_render_map declares it. */
#define FW_DNS_MAP_HEAD	"\t\ttype ipv4_addr : ipv4_addr\n"

#endif
