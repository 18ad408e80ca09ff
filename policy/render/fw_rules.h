/* The policy's sets, services, inbound rules and gateways, rendered into
 * the netvm's ruleset by firewall.c (see fw_rules.c). */
#ifndef SK_FW_RULES_H
#define SK_FW_RULES_H

#include <netinet/in.h>

#include "lib/buf.h"
#include "policy/render/fw_render.h"

/* "A.B.C.D/LEN" after sep (at most 8 bytes), without printf: the elements of a 10,000-prefix set are most of a full
 * ruleset's text. */
void fw_put_prefix4(struct buf *o, const char *sep, struct in_addr a, unsigned int plen);

/* Sets: @gateways, @lgwan6, and one interval set per set an inbound rule
 * names (the services' are fw_svc_sets's). */
void fw_render_rule_sets(const struct fw_params *p, struct buf *o);
/* forward: work's accepts towards out (the tunnel or the office uplink). */
void fw_render_services(const struct fw_params *p, struct buf *o, const char *out);
/* dstnat and forward halves of the inbound rules of the mode in force. */
void fw_render_inbound_nat(const struct fw_params *p, struct buf *o);
void fw_render_inbound_forward(const struct fw_params *p, struct buf *o);

/* One rule's lines: head, then its match ("tcp dport { 80, 443 }", "udp
 * dport ...", "icmp type echo-request", or nothing for every protocol),
 * then tail, for each protocol the rule names. */
struct policy_rule;
void fw_rule_lines(struct buf *o, const char *head, const struct policy_rule *r,
    int v6, const char *tail);

#endif
