/*
 * Office mode, bound in the kernel to the link it was proven on
 * (docs/architecture.md, "Modes"): rendered beside the `inet sekisho`
 * table, in the same transaction.
 *
 * Table `netdev sekisho_office`, in office mode only: an egress chain on
 * the office uplink that drops every frame on the office path (mark
 * SK_MARK_OFFICE) whose destination is not the office router's
 * link-layer address, the one the kernel's neighbour table held when the
 * beacon proved office mode. Another LAN behind the same router address
 * (a hotel handing out the office's addresses) has another router: once
 * the kernel resolves it, nothing of work's leaves towards it, before
 * sekishod has heard of it; a carrier loss flushes the neighbour entries
 * (arp_evict_nocarrier), so after a cable swap the router is resolved
 * afresh and the same holds.
 *
 * The router must also be alive behind that address, now: sekishod asks
 * it by a unicast ARP request every router-arp ms (the policy's timers,
 * officearp.c), and an ingress chain puts its address in set router_alive
 * for router-alive ms, only on an ARP reply from exactly that link-layer
 * address (sent, and claiming to be sent, by it). The egress chain requires the
 * element: a move through a small switch (carrier kept, the office
 * router gone) closes the office path in the kernel within
 * router-alive ms, whatever sekishod does. With router-arp off (an office
 * router that ignores unicast ARP) neither the set, the ingress chain nor
 * the requirement is rendered: office mode rests on office-vouch and the
 * router's MAC in the neighbour table, as before the liveness existed.
 *
 * After office mode, the ruleset of the next mode keeps the chain on the
 * uplink office mode used (while it exists), dropping every office-path
 * frame: a packet routed by office mode and held in the kernel's queue
 * for an unresolved neighbour leaves only after the transaction, towards
 * whatever router answers then (a fast cable swap). Without that uplink,
 * the ruleset deletes the table.
 */
#ifndef SK_FW_OFFICE_H
#define SK_FW_OFFICE_H

#include "lib/buf.h"
#include "policy/render/fw_render.h"

#define FW_OFFICE_TABLE "sekisho_office"

/* Appends the office table's part of p's transaction: in office mode,
 * bound to p->router_mac (none known: an empty set, the office path is
 * closed) and, unless p->pol's router-arp is off, to its liveness; in
 * another mode with p->uplink set, every office-path frame dropped there;
 * else deleted. */
void fw_render_office_l2(const struct fw_params *p, struct buf *out);

#endif
