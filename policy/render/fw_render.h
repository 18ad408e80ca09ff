/*
 * The netvm's nftables ruleset, rendered as text from the mode, the policy
 * and the interface names: one transaction that replaces the whole
 * `inet sekisho` table. Pure: no sockets, no libnftables. sekishod loads
 * what this renders (netvm/sekishod/firewall.h); `sekisho-policy compile
 * --for netvm` prints it.
 */
#ifndef SK_FW_RENDER_H
#define SK_FW_RENDER_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "policy/render/mode.h"

struct policy;

#define FW_TABLE "sekisho"

struct fw_params {
	enum mode		 mode;
	const struct policy	*pol;	/* NULL: the base ruleset, before any policy */
	const char		*work_if;
	const char		*tun_if;
	const char		*uplink;	/* office mode: the office uplink; in the
						 * others, the one office mode last used,
						 * while it exists (fw_office.h), or NULL */
	const uint8_t		*router_mac;	/* office mode: its router's 6 bytes
						 * (fw_office.h); NULL: none known */
	/* The policy is past its max age (docs/distribution.md, "Expiry"):
	 * the mode's ruleset for the netvm's own traffic (its fetch), but
	 * nothing of work's is forwarded. */
	int			 expired;
};

/* Appends the full transaction (create, delete, define) to out: the
 * policy's part and the mode's, composed, then `netdev sekisho_office`
 * (fw_office.h), which every transaction of sekishod's carries whole. */
void fw_render(const struct fw_params *p, struct buf *out);
/*
 * The table's two parts, as declarations inside "table inet sekisho { }":
 *   policy  the policy's sets and maps (LGWAN prefixes, the services'
 *           class map and sets, gateways, beacons): the same in every
 *           mode, so a mode change leaves them alone;
 *   mode    the sets that change with the mode (resolvers, dns_pick,
 *           office_vouch: a handful of elements) and every chain (a few
 *           dozen rules, plus the policy's inbound rules).
 * fw_model.h turns them into the transaction a change needs.
 */
void fw_render_policy(const struct fw_params *p, struct buf *out);
void fw_render_mode(const struct fw_params *p, struct buf *out);
/*
 * The policy part in sections, which fw_render_policy writes one after the
 * other: the LGWAN set, the rule sets (gateways, lgwan6, the inbound
 * rules' sets), the services' map and sets (fw_svc.h), the beacons. A
 * live change renders only the sections whose input changed
 * (netvm/sekishod/firewall.c): fw_section_key appends to key the bytes a
 * section is rendered from (the fields its renderer reads, nothing else:
 * no line numbers, no names it does not print), so that equal keys mean
 * equal text, and returns 1; 0 for a section without one (cheap: always
 * rendered).
 */
enum fw_section { FW_SEC_LGWAN, FW_SEC_SETS, FW_SEC_SVC, FW_SEC_BEACONS, FW_NSECTIONS };
void fw_render_section(const struct fw_params *p, int sec, struct buf *out);
int fw_section_key(const struct fw_params *p, int sec, struct buf *key);
/* The full transaction from the two parts' texts (fw_model_print). */
void fw_render_compose(const char *policy_part, const char *mode_part, struct buf *out);
#endif
