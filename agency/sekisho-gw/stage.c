/*
 * A change of stage-2 elements alone (a session opened, closed, handed
 * over: GW_ACT_STAGE_ADD / GW_ACT_STAGE_DEL) as one nfnetlink batch on a
 * netfilter socket kept for the gateway's life (lib/nfnl.h), not as
 * libnftables text: libnftables read its cache of every table, chain and
 * set first (about half the gateway's part of a session's opening), and
 * closing its socket after a deletion waited ~10 ms for an RCU grace
 * period.
 *
 * The kernel's state is the text path's (apply.c), message for message:
 * the removals first, each "add with a 1 s timeout, then delete" (an
 * element the kernel already expired is no error), in the actions'
 * order; then every signed_on addition; then each session's role
 * element; all in one transaction.
 */
#include "agency/sekisho-gw/gw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/nfnl.h"
#include "policy/render/compile.h"

int
gw_stage_only(const struct gw_actions *a)
{
	int any = 0;

	for (size_t i = 0; i < a->n; i++)
		switch (a->v[i].type) {
		case GW_ACT_LOG:
			break;
		case GW_ACT_STAGE_ADD:
		case GW_ACT_STAGE_DEL:
			any = 1;
			break;
		default:
			return 0;
		}
	return any && !a->oom;
}

/* Set prefix.role's element a4 removed: added with 1 s, then deleted
 * (nothing for an empty role of a role set). */
static void
removal(struct nfnl_batch *bt, const struct in_addr *a4, const char *prefix,
    const char *role)
{
	char set[sizeof(COMPILE_GW_ROLE_PREFIX) + sizeof("signed_on") + GW_ROLE_MAX + 1];

	if (strcmp(prefix, "signed_on") != 0 && role[0] == '\0')
		return;
	snprintf(set, sizeof(set), "%s%s", prefix, role);
	nfnl_setelem(bt, 1, GW_TABLE, set, a4, sizeof(*a4), 1000);
	nfnl_setelem(bt, 0, GW_TABLE, set, a4, sizeof(*a4), 0);
}

int
gw_stage_encode(const struct gw_actions *a, uint32_t seq, struct nfnl_batch *bt,
    struct sk_error *err)
{
	char set[sizeof(COMPILE_GW_ROLE_PREFIX) + sizeof("signed_on") + GW_ROLE_MAX + 1];

	nfnl_batch_begin(bt, seq);
	for (size_t i = 0; i < a->n; i++) {
		const struct gw_action *x = &a->v[i];

		if (x->type == GW_ACT_STAGE_ADD && x->replace) {
			removal(bt, &x->a4, "signed_on", "");
			removal(bt, &x->a4, COMPILE_GW_ROLE_PREFIX, x->old_role);
		} else if (x->type == GW_ACT_STAGE_DEL) {
			removal(bt, &x->a4, "signed_on", "");
			removal(bt, &x->a4, COMPILE_GW_ROLE_PREFIX, x->role);
		}
	}
	for (int role = 0; role < 2; role++)
		for (size_t i = 0; i < a->n; i++) {
			const struct gw_action *x = &a->v[i];

			if (x->type != GW_ACT_STAGE_ADD || (role && x->role[0] == '\0'))
				continue;
			if (x->timeout_s <= 0 || x->timeout_s > GW_SESSION_MAX_S) {
				nfnl_batch_free(bt);
				return sk_errorf(err, EINVAL, "device %s: a stage-2 timeout of %lld s",
				    x->device, (long long)x->timeout_s);
			}
			snprintf(set, sizeof(set), "%s%s", role ? COMPILE_GW_ROLE_PREFIX : "signed_on",
			    role ? x->role : "");
			nfnl_setelem(bt, 1, GW_TABLE, set, &x->a4, sizeof(x->a4),
			    (uint64_t)x->timeout_s * 1000);
		}
	if (nfnl_batch_end(bt, err) < 0) {
		nfnl_batch_free(bt);
		return -ENOMEM;
	}
	return 0;
}

/* the socket, opened at the first session and kept (lib/nfnl.h) */
static struct nfnl_sock *nl;

int
gw_stage_apply(struct gw *g, struct sk_error *err)
{
	const struct gw_actions *a = &g->acts;
	struct nfnl_batch bt;
	uint64_t t0 = now_ms();
	int rc;

	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].type == GW_ACT_LOG)
			log_info("%s", a->v[i].msg);
	if (nl == NULL && (rc = nfnl_open(&nl, err)) < 0)
		return rc;
	if ((rc = gw_stage_encode(a, nfnl_seq(nl), &bt, err)) < 0)
		return rc;
	rc = nfnl_send(nl, &bt, 1, err);
	log_debug("nftables: %zu bytes of stage-2 elements in %llu ms", bt.b.len,
	    (unsigned long long)(now_ms() - t0));
	nfnl_batch_free(&bt);
	return rc;
}

void
gw_stage_close(void)
{
	nfnl_close(nl);
	nl = NULL;
}
