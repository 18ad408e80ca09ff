/*
 * sekishod's rulesets: rendered (policy/render/) and carried into the
 * kernel (lib/nftload.h) in one step, so no caller holds the text. Every
 * ruleset sekishod loads or checks goes through here.
 */
#ifndef SK_FIREWALL_H
#define SK_FIREWALL_H

#include "lib/nftload.h"
#include "policy/render/fw_render.h"

/* Renders p and loads it in one transaction. 0, or -errno with err. */
int fw_load(struct firewall *fw, const struct fw_params *p, struct sk_error *err);
/* Renders p and has nftables check it (dry run), changing nothing. */
int fw_load_check(struct firewall *fw, const struct fw_params *p,
    struct sk_error *err);
/* Office mode's vouch renewed: uplink in set office_vouch for seconds
 * more (fw_render_vouch). 0, or -errno with err. */
int fw_vouch(struct firewall *fw, const char *uplink, unsigned int seconds,
    struct sk_error *err);
/* The base ruleset (blocked, no policy needed) loaded if the table is
 * absent, with one line either way. 0 or -errno. */
int ensure_base(struct firewall *fw);
/* The base ruleset loaded whatever the kernel holds (sekishod -B -F), with
 * one line either way. 0 or -errno. */
int load_base(struct firewall *fw);

#endif
