/*
 * Work's DNS in the netvm's ruleset (docs/policy.md, "DNS failover").
 * Work sends its DNS to the netvm's address on the work link; the kernel
 * translates it (DNAT) to the one resolver held in the map dns_pick
 * (work's router address : the resolver), so that choosing another
 * resolver is a two-line transaction (fw_dns_render_pick) that leaves the
 * rest of the ruleset alone. Every translated flow carries the conntrack
 * mark FW_DNS_CTMARK, so that sekishod can forget them all at a switch
 * (a client that reuses its source port would otherwise keep the old
 * translation for as long as it keeps asking). Pure: text only.
 */
#ifndef SK_FW_DNS_H
#define SK_FW_DNS_H

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
/* One transaction: work's DNS (to router) now goes to resolver. */
void fw_dns_render_pick(struct in_addr router, struct in_addr resolver,
    struct buf *out);

#endif
