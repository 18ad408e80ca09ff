/*
 * The policy compiled to nftables (docs/bundle.md, "Compiling"):
 *   netvm    the laptop's ruleset for one mode: exactly what sekishod
 *            loads, rendered by the netvm's own renderer (fw_render);
 *   gateway  the agency gateway's forward filter: each device's tunnel
 *            address may reach its policy's LGWAN prefixes (interval
 *            sets), DNS only to its resolvers, nothing else, and nothing
 *            may open a connection towards a device.
 * Both are one transaction that replaces the whole table.
 */
#ifndef SK_COMPILE_H
#define SK_COMPILE_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "policy/render/mode.h"

struct policy;

#define COMPILE_GW_TABLE	"sekisho_gw"
/* A set per role named by a service's `role` (docs/policy.md): the
 * addresses of devices on which a user of that role is signed on. */
#define COMPILE_GW_ROLE_PREFIX	"role_"
#define COMPILE_GW_MAX_ROLES	64
#define COMPILE_GW_TUN_IF	"sekisho-gw"	/* the gateway's WireGuard interface */

struct compile_netvm {
	enum mode	 mode;
	const char	*work_if;	/* sekishod's defaults: wk0 */
	const char	*tun_if;	/* sekisho0 */
	const char	*uplink;	/* office mode only: the office uplink */
};

/* Appends the netvm's ruleset for o->mode. -EINVAL (err set) for a bad
 * interface name or office mode without an uplink. */
int compile_netvm(const struct policy *p, const struct compile_netvm *o,
    struct buf *out, struct sk_error *err);

/*
 * Appends the gateway's ruleset for n device policies (names[i] names
 * pols[i] in messages). Devices whose policies allow the same prefixes and
 * resolvers share one group: one set of tunnel addresses, one interval set
 * of prefixes, three rules, so the ruleset grows with the number of
 * distinct policies, not of devices. -EINVAL (err set) if two policies
 * have the same tunnel-address or tun_if is not an interface name.
 */
int compile_gateway(const struct policy *const *pols, const char *const *names,
    size_t n, const char *tun_if, struct buf *out, struct sk_error *err);

/*
 * The same for sekisho-gw, which adds devices one by one: pols[i] is the
 * policy of registry group names[i] (its tunnel address is not read),
 * every devices_N set is rendered empty (the daemon adds each device's
 * address to its group's set as an element), and group[i] (n entries) is
 * set to the number N of pols[i]'s group. Groups whose policies render
 * the same share one number.
 */
int compile_gateway_groups(const struct policy *const *pols, const char *const *names,
    size_t n, const char *tun_if, size_t *group, struct buf *out, struct sk_error *err);

#endif
