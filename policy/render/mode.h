/*
 * The netvm's modes and the packet marks that carry them (docs/architecture.md,
 * "Modes"). nftables marks work's traffic (and the netvm's own traffic to
 * LGWAN) with the mode's mark in the same transaction that changes the
 * rules, so the path follows the mode atomically; sekishod's routing rules
 * (netvm/sekishod/route.h) send each mark to a table that holds only LGWAN
 * routes. Shared by the renderer and the daemon, so it lives below both.
 */
#ifndef SK_RENDER_MODE_H
#define SK_RENDER_MODE_H

enum mode { MODE_BLOCKED, MODE_REMOTE, MODE_OFFICE };

#define SK_MARK_TUNNEL	0x5e1
#define SK_MARK_OFFICE	0x5e2

/* "blocked", "remote", "office". */
const char *mode_name(enum mode m);
/* The path mark work's packets carry in mode m: SK_MARK_OFFICE in office
 * mode, SK_MARK_TUNNEL otherwise (blocked routes nothing anyway). */
unsigned int mode_mark(enum mode m);

#endif
