/*
 * The engine's actions carried out, in the order that never opens more
 * than the registry says: first one nftables transaction (every element
 * change of the batch; a stage or group element goes before its peer),
 * then one WireGuard set (the peers of the batch, one peer per change
 * after start), then the tracked connections of removed devices.
 *
 * Elements are removed as "add (1 s timeout where the set has timeouts),
 * then delete" in the same transaction: a stage-2 element the kernel
 * already expired is no error, and one transaction never half applies.
 */
#include "agency/sekisho-gw/gw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/nftload.h"
#include "policy/render/compile.h"
#include "vpn/wg.h"

#define WG_BATCH	WG_MAX_PEERS	/* peers per WireGuard set (at start) */

/* A stage-2 element out of set PREFIX ROLE (signed_on, or role_ROLE;
 * nothing for an empty role). */
static void
stage_removal(struct buf *b, const char *a, const char *prefix, const char *role)
{
	if (strcmp(prefix, "signed_on") != 0 && role[0] == '\0')
		return;
	buf_printf(b, "add element inet %s %s%s { %s timeout 1s }\n"
	    "delete element inet %s %s%s { %s }\n", GW_TABLE, prefix, role, a,
	    GW_TABLE, prefix, role, a);
}

/* Removals first, each as "add, then delete" (see above); then the
 * additions, one command per set, so that a start with thousands of
 * devices is a few commands, not thousands. */
static void
nft_removals(struct buf *b, const struct gw_action *x)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &x->a4, a, sizeof(a));
	switch (x->type) {
	case GW_ACT_ELEM_DEL:
		buf_printf(b, "add element inet %s devices_%d { %s }\n"
		    "delete element inet %s devices_%d { %s }\n",
		    GW_TABLE, x->group, a, GW_TABLE, x->group, a);
		break;
	case GW_ACT_STAGE_ADD:	/* a session replaced: its new timeout below */
		if (!x->replace)
			break;
		stage_removal(b, a, "signed_on", "");
		stage_removal(b, a, COMPILE_GW_ROLE_PREFIX, x->old_role);
		break;
	case GW_ACT_STAGE_DEL:
		stage_removal(b, a, "signed_on", "");
		stage_removal(b, a, COMPILE_GW_ROLE_PREFIX, x->role);
		break;
	default:
		break;
	}
}

static int
nft_additions(struct buf *b, const struct gw_actions *acts, int group)
{
	char a[INET_ADDRSTRLEN];
	int n = 0;

	for (size_t i = 0; i < acts->n; i++) {
		const struct gw_action *x = &acts->v[i];

		if (group > 0 ? x->type != GW_ACT_ELEM_ADD || x->group != group :
		    x->type != GW_ACT_STAGE_ADD)
			continue;
		inet_ntop(AF_INET, &x->a4, a, sizeof(a));
		if (n++ == 0) {
			if (group > 0)
				buf_printf(b, "add element inet %s devices_%d {", GW_TABLE, group);
			else
				buf_printf(b, "add element inet %s signed_on {", GW_TABLE);
		}
		if (group > 0)
			buf_printf(b, "%s %s", n > 1 ? "," : "", a);
		else
			buf_printf(b, "%s %s timeout %llds", n > 1 ? "," : "", a,
			    (long long)x->timeout_s);
	}
	if (n > 0)
		buf_printf(b, " }\n");
	/* a session's role element: one command each (sessions change one
	 * at a time after start) */
	for (size_t i = 0; group == 0 && i < acts->n; i++) {
		const struct gw_action *x = &acts->v[i];

		if (x->type != GW_ACT_STAGE_ADD || x->role[0] == '\0')
			continue;
		inet_ntop(AF_INET, &x->a4, a, sizeof(a));
		buf_printf(b, "add element inet %s %s%s { %s timeout %llds }\n", GW_TABLE,
		    COMPILE_GW_ROLE_PREFIX, x->role, a, (long long)x->timeout_s);
	}
	return n;
}

static int
wg_flush(struct gw *g, struct wg_device *dev, int *first, struct sk_error *err)
{
	int rc;

	if (dev->n_peers == 0 && !*first)
		return 0;
	snprintf(dev->ifname, sizeof(dev->ifname), "%s", g->o.ifname);
	if (*first && g->have_priv) {
		memcpy(dev->private_key, g->priv, WG_KEY_LEN);
		dev->has_private_key = 1;
		dev->listen_port = g->listen_port;
		dev->has_listen_port = 1;
	}
	{
		uint64_t t0 = now_ms();

		rc = wg_set(dev);
		log_debug("WireGuard: %zu peers in %llu ms", dev->n_peers,
		    (unsigned long long)(now_ms() - t0));
	}
	wipe(dev->private_key, sizeof(dev->private_key));
	dev->has_private_key = 0;
	dev->has_listen_port = 0;
	*first = 0;
	if (rc < 0)
		return sk_errorf(err, -rc, "WireGuard set on %s: %s", g->o.ifname, strerror(-rc));
	dev->n_peers = 0;
	return 0;
}

/* One peer of the set; its allowed IPs in ips[2] (the set's one block:
 * no allocation per peer). */
static void
wg_peer(struct wg_device *dev, struct wg_allowedip ips[2], const struct gw_action *x)
{
	struct wg_peer *p = &dev->peers[dev->n_peers++];

	memset(p, 0, sizeof(*p));
	memcpy(p->public_key, x->pub, WG_KEY_LEN);
	if (x->type == GW_ACT_PEER_DEL) {
		p->flags = WG_PEER_REMOVE;
		return;
	}
	memset(ips, 0, 2 * sizeof(*ips));
	p->allowed = ips;
	ips[0].family = AF_INET;
	ips[0].ip4 = x->a4;
	ips[0].cidr = 32;
	p->n_allowed = 1;
	if (x->has6) {
		ips[1].family = AF_INET6;
		ips[1].ip6 = x->a6;
		ips[1].cidr = 128;
		p->n_allowed = 2;
	}
	p->flags = WG_PEER_REPLACE_ALLOWEDIPS;
}

/* 2. the peers: one WireGuard set (WG_BATCH at most); only the
 * removals when the ruleset could not be changed (a removal never opens
 * anything, and a revoked laptop must lose its tunnel all the same). */
static int
apply_peers(struct gw *g, int first, int removals_only, struct sk_error *err)
{
	struct gw_actions *a = &g->acts;
	struct wg_device dev;
	struct wg_allowedip *ips;
	size_t cap = 0;
	int rc = 0;

	for (size_t i = 0; i < a->n; i++)	/* a start: half the actions are elements */
		cap += a->v[i].type == GW_ACT_PEER_DEL || a->v[i].type == GW_ACT_PEER_SET;
	cap = cap < WG_BATCH ? cap + 1 : WG_BATCH;
	memset(&dev, 0, sizeof(dev));
	dev.peers = calloc(cap, sizeof(*dev.peers));
	ips = calloc(2 * cap, sizeof(*ips));
	if (dev.peers == NULL || ips == NULL) {
		free(dev.peers);
		free(ips);
		return sk_errorf(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < a->n; i++) {
		const struct gw_action *x = &a->v[i];

		if (x->type != GW_ACT_PEER_DEL && (removals_only || x->type != GW_ACT_PEER_SET))
			continue;
		if (dev.n_peers == cap && (rc = wg_flush(g, &dev, &first, err)) < 0)
			break;
		wg_peer(&dev, &ips[2 * dev.n_peers], x);
	}
	if (rc == 0)
		rc = wg_flush(g, &dev, &first, err);
	free(dev.peers);
	free(ips);
	return rc < 0 ? rc : 0;
}

static int
nft_load(const char *text, struct sk_error *err)
{
	struct firewall *fw;
	uint64_t t0 = now_ms();
	int rc;

	if ((fw = fw_open(err)) == NULL)
		return -ENOMEM;
	rc = fw_apply(fw, text, err);
	fw_close(fw);
	log_debug("nftables: %zu bytes in %llu ms", strlen(text),
	    (unsigned long long)(now_ms() - t0));
	return rc;
}

/* The nftables text of g->acts (after table, when there is one):
 * removals first, then the additions per set. 1 when there is anything
 * to load, 0 when not, -ENOMEM. */
static int
nft_text(const struct gw *g, const char *table, struct buf *nft)
{
	const struct gw_actions *a = &g->acts;
	unsigned char seen[GW_MAX_GROUPS + 1] = { 0 };
	int any = table != NULL;

	if (table != NULL)
		buf_printf(nft, "%s", table);
	for (size_t i = 0; i < a->n; i++) {
		const struct gw_action *x = &a->v[i];

		if (x->type >= GW_ACT_ELEM_ADD && x->type <= GW_ACT_STAGE_DEL) {
			nft_removals(nft, x);
			any = 1;
		}
	}
	if (!any)
		return 0;
	/* the groups in use: at most GW_MAX_GROUPS numbers */
	for (size_t i = 0; i < a->n; i++) {
		const struct gw_action *x = &a->v[i];

		if (x->type == GW_ACT_ELEM_ADD && x->group > 0 && x->group <= GW_MAX_GROUPS &&
		    !seen[x->group]) {
			seen[x->group] = 1;
			nft_additions(nft, a, x->group);
		}
	}
	nft_additions(nft, a, 0);
	return nft->oom ? -ENOMEM : 1;
}

struct loader {
	const struct gw	*g;
	const char	*table;
	int		 rc;
	struct sk_error	 err;
};

/* The ruleset's text built and loaded beside the WireGuard set. */
static void *
load_thread(void *arg)
{
	struct loader *ld = arg;
	struct buf nft;

	buf_init(&nft);
	if ((ld->rc = nft_text(ld->g, ld->table, &nft)) < 0)
		sk_errorf(&ld->err, ENOMEM, "out of memory: the change is not applied");
	else if (ld->rc > 0)
		ld->rc = nft_load(buf_str(&nft), &ld->err);
	buf_free(&nft);
	return NULL;
}

/* Whether table inet GW_TABLE is in force: lib/nftload's one
 * NFT_MSG_GETTABLE of that table (a listing through libnftables costs its
 * context and a cache of every table, chain and set: 8 ms of CPU).
 * 1, 0, or -1 when the kernel could not say. */
int
gw_table_in_force(void)
{
	struct sk_error err;
	struct firewall *fw;
	int rc;

	if ((fw = fw_open(&err)) == NULL)
		return -1;
	rc = fw_table_listed(fw, "inet", GW_TABLE);
	fw_close(fw);
	return rc;
}

/* 3. the connections of devices that lost their access: one dump of
 * the table for every address of the batch (a full sync may remove
 * thousands of peers at once), then one line per device */
static void
apply_ct(struct gw *g)
{
	const struct gw_actions *a = &g->acts;
	struct in_addr *addrs;
	size_t *removed, *which, n = 0;
	struct sk_error e2;
	int rc;

	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].type == GW_ACT_CT_FLUSH;
	if (n == 0)
		return;
	addrs = calloc(n, sizeof(*addrs));
	removed = calloc(n, sizeof(*removed));
	which = calloc(n, sizeof(*which));
	if (addrs == NULL || removed == NULL || which == NULL) {
		log_warnx("conntrack: out of memory: the tracked connections of %zu addresses"
		    " stay", n);
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].type == GW_ACT_CT_FLUSH) {
			which[n] = i;
			addrs[n++] = a->v[i].a4;
		}
	if ((rc = gw_ct_flush(addrs, n, removed, &e2)) < 0 && n == 1) {
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &addrs[0], ip, sizeof(ip));
		log_warnx("%s %s: %s", a->v[which[0]].device[0] ? "device" : "address",
		    a->v[which[0]].device[0] ? a->v[which[0]].device : ip, e2.msg);
	} else if (rc < 0)
		log_warnx("the tracked connections of %zu addresses: %s", n, e2.msg);
	for (size_t k = 0; k < n; k++) {
		const struct gw_action *x = &a->v[which[k]];
		char ip[INET_ADDRSTRLEN];

		if (removed[k] == 0)
			continue;
		inet_ntop(AF_INET, &x->a4, ip, sizeof(ip));
		if (x->device[0])
			log_info("device %s: %zu tracked connections removed", x->device,
			    removed[k]);
		else
			log_info("%s (a peer no admitted device has): %zu tracked connections"
			    " removed", ip, removed[k]);
	}
out:
	free(addrs);
	free(removed);
	free(which);
}

int
gw_apply(struct gw *g, const char *table, int first, struct sk_error *err)
{
	struct gw_actions *a = &g->acts;
	struct buf nft;
	int rc = 0, any;

	if (a->oom)
		return sk_errorf(err, ENOMEM, "out of memory: the change is not applied");
	if (a->n == 0 && table == NULL && !first)
		return 0;
	/* a session's change alone: one nfnetlink batch (stage.c) */
	if (table == NULL && !first && gw_stage_only(a))
		return gw_stage_apply(g, err);
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].type == GW_ACT_LOG)
			log_info("%s", a->v[i].msg);
	/* 1. the ruleset: before the peers, except at a start over a table
	 * already in force (g->listed, read by the full sync beside the
	 * registry), where the set goes first and the ruleset is built and
	 * loaded on another thread meanwhile (each is ~10 % of the other's
	 * time): until the new table replaces the old one atomically, the old
	 * one judges every packet, and it holds no address of a device it
	 * did not admit. With no table at all (a first start), nothing would
	 * filter: then it is loaded first. */
	if (table != NULL && g->listed == 1) {
		struct loader ld;
		pthread_t th;

		memset(&ld, 0, sizeof(ld));
		ld.g = g;
		ld.table = table;
		if (pthread_create(&th, NULL, load_thread, &ld) == 0) {
			rc = apply_peers(g, first, 0, err);
			pthread_join(th, NULL);
			if (ld.rc < 0) {
				apply_ct(g);
				*err = ld.err;
				return ld.rc;
			}
			if (rc < 0)
				return rc;
			apply_ct(g);
			return 0;
		}
	}
	buf_init(&nft);
	if ((any = nft_text(g, table, &nft)) < 0) {
		buf_free(&nft);
		return sk_errorf(err, ENOMEM, "out of memory: the change is not applied");
	}
	if (any && (rc = nft_load(buf_str(&nft), err)) < 0) {
		struct sk_error e2;

		buf_free(&nft);
		if (apply_peers(g, 0, 1, &e2) < 0)
			log_warnx("%s", e2.msg);
		apply_ct(g);
		return rc;
	}
	buf_free(&nft);
	if ((rc = apply_peers(g, first, 0, err)) < 0)
		return rc;
	apply_ct(g);
	return 0;
}
