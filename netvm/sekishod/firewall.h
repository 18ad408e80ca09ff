/*
 * sekishod's rulesets: rendered (policy/render/) and carried into the
 * kernel (lib/nftload.h) in one step, so no caller holds the text. Every
 * ruleset sekishod loads or checks goes through here.
 *
 * What the kernel's table holds is kept as a model (policy/render/
 * fw_model.h), "held": NULL when it is not known to hold a policy's table
 * (the base ruleset, a failed load, a fresh start). With a model held, a
 * mode change is one small transaction (fw_switch_mode: the mode's chains
 * and a handful of elements, whatever the policy's size) and a policy
 * change one transaction of what differs (fw_policy_diff); without one,
 * both are a full load, which replaces the whole table. Each function is
 * one request with its result, so that a privileged parent can carry them
 * out for an unprivileged engine.
 */
#ifndef SK_FIREWALL_H
#define SK_FIREWALL_H

#include <netinet/in.h>

#include "lib/buf.h"
#include "lib/nftload.h"
#include "netvm/sekishod/nfset.h"
#include "policy/render/fw_model.h"
#include "policy/render/fw_render.h"

/* Renders p and loads it in one transaction, replacing the table. On
 * success *held (if held != NULL) is the model of p (NULL for the base
 * ruleset); on failure the kernel and *held are as they were. 0, or
 * -errno with err. */
int fw_load(struct firewall *fw, const struct fw_params *p, struct fw_model **held,
    struct sk_error *err);
/* The same as one libnftables transaction of text, elements included,
 * as fw_load does when the table in force holds a set of the policy's
 * (fw_load is two transactions otherwise: firewall.c, load_split): for
 * the benches and the test that the two give the same table. */
int fw_load_text(struct firewall *fw, const struct fw_params *p, struct fw_model **held,
    struct sk_error *err);
/* How the last fw_load or fw_load_text went: 2 in two transactions (the
 * sets by nfnetlink, then the rest), 1 as one transaction of text, 0 it
 * failed. For the tests. */
int fw_load_steps(void);
/* Renders p and has nftables check it (dry run), changing nothing. */
int fw_load_check(struct firewall *fw, const struct fw_params *p,
    struct sk_error *err);
/* The ruleset of p->mode (over p->uplink) in force: with a model held, the
 * mode's part replaced in one transaction that does not carry the
 * policy's sets (an office mode's comes with a fresh vouch); without one,
 * a full load. On success *held follows; on failure the kernel is as it
 * was and *held is dropped (freed, NULL), so the next load is full. 0 or
 * -errno with err. */
int fw_switch_mode(struct firewall *fw, const struct fw_params *p,
    struct fw_model **held, struct sk_error *err);

/* A policy change made ready: the model it leads to and its transaction,
 * as nftables text or, when only elements change (and the office table
 * stays as it is), as an nfnetlink batch of them (nfset.h), which needs no
 * libnftables. */
struct fw_change {
	struct fw_model	*model;
	struct buf	 text;
	struct nfset_batch batch;	/* elements only: used when nl */
	long		 cmds;		/* commands in text (or sets changed in
					 * batch), 0: nothing changes */
	int		 full;		/* text replaces the whole table */
	int		 nl;		/* the change is batch, not text */
	int		 tidy;		/* dead elements stay (fw_model.h): a
					 * tidy should follow (fw_tidy) */
	uint64_t	 render_us;	/* timed: rendering the two parts, */
	uint64_t	 model_us;	/* reading them into the model, */
	uint64_t	 diff_us;	/* comparing and encoding */
	int		 sections_kept;	/* of the policy part's, taken from the
					 * held model unrendered (fw_model.h) */
};
/* The transaction from held (NULL: unknown, so a full load) to the table
 * of p, by difference: the elements that went and came, the chains that
 * changed. The sections of the policy part whose input is the same as
 * held's are not rendered: c's model borrows them from held (fw_model.h),
 * so c must be applied to that same held model (fw_change_apply) or
 * freed before held is replaced or freed (a mode change in between,
 * fw_switch_mode, leaves the policy's objects alone). Pure. 0, or
 * -ENOMEM with err. */
int fw_policy_diff(const struct fw_model *held, const struct fw_params *p,
    struct fw_change *c, struct sk_error *err);
/* The change that deletes the dead elements a change left (c->tidy): from
 * held to the table of p without deferring (usually text that declares a
 * set anew), otherwise as fw_policy_diff. */
int fw_policy_tidy(const struct fw_model *held, const struct fw_params *p,
    struct fw_change *c, struct sk_error *err);
/* fw_policy_tidy and fw_change_apply in one (the benches and tests). */
int fw_tidy(struct firewall *fw, const struct fw_params *p, struct fw_model **held,
    struct sk_error *err);
/* nftables' dry run of c against the kernel's table. */
int fw_change_check(struct firewall *fw, const struct fw_change *c,
    struct sk_error *err);
/* c applied in one transaction; on success *held is c's model (taken from
 * c), on failure the kernel is as it was and *held is dropped. */
int fw_change_apply(struct firewall *fw, struct fw_change *c, struct fw_model **held,
    struct sk_error *err);
void fw_change_free(struct fw_change *c);

/* Office mode's vouch renewed: uplink in set office_vouch for ms more,
 * in one transaction (the set flushed, the element added: an element that
 * exists keeps its old deadline on add in some kernels, 6.1 among them),
 * sent as nfnetlink messages, whose cost does not grow with the policy.
 * 0, or -errno with err. */
int fw_vouch(struct firewall *fw, const char *uplink, unsigned int ms,
    struct sk_error *err);
/* Work's DNS (to router) moved to resolver: the map dns_pick flushed and
 * given that one element, one nfnetlink transaction (fw_dns.h). 0, or
 * -errno with err (the kernel then changed nothing). */
int fw_dns_pick(struct firewall *fw, struct in_addr router, struct in_addr resolver,
    struct sk_error *err);
/* The base ruleset (blocked, no policy needed) loaded if the table is
 * absent, with one line either way. 0 or -errno. */
int ensure_base(struct firewall *fw);
/* The base ruleset loaded whatever the kernel holds (sekishod -B -F), with
 * one line either way. 0 or -errno. */
int load_base(struct firewall *fw);

#endif
