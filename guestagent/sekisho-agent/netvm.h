/*
 * What the agent asks sekishod's control socket on the work link
 * (docs/control.md, "From the work partition"; docs/agent.md, "Uplink
 * preference"): the netvm's status, and a preferred uplink. The protocol
 * is lib/proto/control_wire.h's, decoded here as strictly as sekishoctl
 * does; the link is ctlink.h's. Platform-free.
 */
#ifndef SK_AGENT_NETVM_H
#define SK_AGENT_NETVM_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/control_wire.h"

struct netvm_answer {
	uint8_t			type;		/* enum ctl_type */
	char			line[CTL_LINE_MAX + 1];	/* a text answer, no '\n' */
	struct ctl_status	status;		/* CTL_T_STATUS */
};

/*
 * Decodes a whole response (header, exact length, the line or the status).
 * 0, or -1 with one line in err.
 */
int netvm_decode(const uint8_t *resp, size_t len, struct netvm_answer *ans, char *err,
    size_t errlen);
/* Asks addr (CTL_WORK_PORT) with the request line req: 0 and *ans, or -1
 * with one line in err ("the netvm does not answer ..."). */
int netvm_ask(const char *addr, uint16_t port, const char *req, unsigned timeout_ms,
    struct netvm_answer *ans, char *err, size_t errlen);

/*
 * The uplink "what" names, for "prefer": "auto" (out ""), "wifi" or
 * "wwan" (the one uplink of that kind in st, by the kernel's names: wl*
 * Wi-Fi, ww* WWAN), or an interface name as it is (the netvm decides).
 * 0, or -1 with one line in err.
 */
int netvm_uplink_resolve(const struct ctl_status *st, const char *what,
    char out[CTL_IFNAME_MAX + 1], char *err, size_t errlen);
/* One line per uplink, for `uplinks` and the tray's menu:
 * "up2 (priority 100, carrier, address, active, preferred)". */
void netvm_uplink_line(const struct ctl_status *st, size_t i, char *out, size_t size);

/* A handshake older than this: WireGuard carries nothing over that
 * session any more (its REJECT_AFTER_TIME). */
#define NETVM_HANDSHAKE_STALE_S	180
/*
 * The tray's netvm line (ui_win.c), from a status read elapsed_s seconds
 * ago: how LGWAN is reached now, then the policy's presence check.
 *   "Tunnel: up, last handshake 12 s ago. Presence check: card, every 30 s."
 *   "Tunnel: no handshake for 4 min. No presence check."
 *   "Tunnel: no handshake yet. ..."   "Tunnel: not read. ..."
 *   "Office LAN: no tunnel. ..."      "Blocked: LGWAN unreachable. ..."
 */
void netvm_status_text(const struct ctl_status *st, uint64_t elapsed_s, char *out,
    size_t size);

#endif
