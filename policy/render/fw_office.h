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
 * afresh and the same holds. Every other ruleset deletes the table.
 */
#ifndef SK_FW_OFFICE_H
#define SK_FW_OFFICE_H

#include "lib/buf.h"
#include "policy/render/fw_render.h"

#define FW_OFFICE_TABLE "sekisho_office"

/* Appends the office table's part of p's transaction: defined in office
 * mode (with no router known, a set that is empty: the office path is
 * closed), deleted in every other ruleset. */
void fw_render_office_l2(const struct fw_params *p, struct buf *out);

#endif
