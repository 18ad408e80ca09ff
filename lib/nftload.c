#include "lib/nftload.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <malloc.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

/*
 * Each run gets a fresh libnftables context (nothing cached from an
 * earlier run, as before), but the contexts of the last runs are kept
 * rather than freed at once: freeing one closes its netfilter netlink
 * socket, and Linux (nf_tables, NETLINK_URELEASE) then waits for the
 * previous commits' deferred destruction, an RCU grace period: 12 to 15 ms
 * after any transaction that deleted a rule or a table (every mode
 * change), tens of milliseconds on a busy machine, which the caller would
 * wait for on the spot. They are freed by fw_settle, which the caller runs
 * when idle (by then that period is long over) or before it forks; only
 * when FW_RETIRED are kept does a run free the oldest first. Not the last
 * one alone: two transactions close together (remote mode, then office
 * mode as soon as the beacon answers, 10 ms apart) would make the second
 * wait for the first's destruction (a mode change of 56-72 ms measured
 * under load instead of 5). Nor does freeing give memory back to the
 * system (malloc_trim): that walks the whole heap, page run by page run
 * (after a full load's context, or any context that read the table's
 * elements, tens to hundreds of milliseconds on a busy machine), so it is
 * left to fw_settle too, never to the start of a transaction.
 */
#define FW_RETIRED	4
struct firewall {
	struct nft_ctx	*retired[FW_RETIRED];	/* the last runs' contexts, oldest
						 * first, not yet freed */
	size_t		 n_retired;
	struct mnl_socket *nl;		/* fw_table_listed's socket, kept likewise */
	int		 trim;		/* a context freed since the last trim */
};

static void
free_retired(struct firewall *fw)
{
	for (size_t i = 0; i < fw->n_retired; i++)
		nft_ctx_free(fw->retired[i]);
	fw->trim |= fw->n_retired > 0;
	fw->n_retired = 0;
}

/*
 * The nftables context lives only for one command: libnftables keeps a
 * cache of the ruleset (and with it the LGWAN sets) that would otherwise
 * stay resident between the rare mode changes. Creating one costs well
 * under a millisecond.
 */
struct firewall *
fw_open(struct sk_error *err)
{
	struct firewall *fw = calloc(1, sizeof(*fw));

	if (fw == NULL)
		sk_errorf(err, ENOMEM, "firewall: out of memory");
	return fw;
}

void
fw_close(struct firewall *fw)
{
	if (fw != NULL)
		free_retired(fw);
	if (fw != NULL && fw->nl != NULL)
		mnl_socket_close(fw->nl);
	free(fw);
}

/* A fresh context; the oldest kept freed first if FW_RETIRED are (see
 * struct firewall). */
static struct nft_ctx *
ctx_new(struct firewall *fw)
{
	struct nft_ctx *ctx;

	if (fw->n_retired == FW_RETIRED) {
		nft_ctx_free(fw->retired[0]);
		memmove(&fw->retired[0], &fw->retired[1],
		    (FW_RETIRED - 1) * sizeof(fw->retired[0]));
		fw->n_retired--;
		fw->trim = 1;
	}
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (ctx != NULL) {
		nft_ctx_buffer_output(ctx);
		nft_ctx_buffer_error(ctx);
	}
	return ctx;
}

/* The run's context kept until fw_settle (see struct firewall); ctx_new
 * made room for it. */
static void
ctx_free(struct firewall *fw, struct nft_ctx *ctx)
{
	fw->retired[fw->n_retired++] = ctx;
}

/* nft's error text spans several lines (message, the offending line, a
 * caret); keep the first, which says what was wrong. */
static int
fw_run(struct firewall *fw, const char *text, int dry, struct sk_error *err)
{
	struct nft_ctx *ctx = ctx_new(fw);
	const char *e;
	size_t n;
	int rc;

	if (ctx == NULL)
		return sk_errorf(err, ENOMEM, "firewall: nft_ctx_new failed");
	nft_ctx_set_dry_run(ctx, dry);
	if (nft_run_cmd_from_buffer(ctx, text) == 0) {
		ctx_free(fw, ctx);
		return 0;
	}
	e = nft_ctx_get_error_buffer(ctx);
	n = e != NULL ? strcspn(e, "\n") : 0;
	rc = sk_errorf(err, EINVAL, "nftables refused the ruleset: %.*s",
	    (int)(n > 300 ? 300 : n), n ? e : "unknown error");
	ctx_free(fw, ctx);
	return rc;
}

int
fw_kept(const struct firewall *fw)
{
	return fw->n_retired > 0 || fw->nl != NULL || fw->trim;
}

void
fw_settle(struct firewall *fw)
{
	if (fw->nl != NULL) {
		mnl_socket_close(fw->nl);
		fw->nl = NULL;
	}
	free_retired(fw);
	if (fw->trim)
		malloc_trim(0);
	fw->trim = 0;
}

int
fw_check(struct firewall *fw, const char *text, struct sk_error *err)
{
	return fw_run(fw, text, 1, err);
}

int
fw_apply(struct firewall *fw, const char *text, struct sk_error *err)
{
	return fw_run(fw, text, 0, err);
}

/*
 * Whether the table is there, asked of the kernel in one NFT_MSG_GETTABLE
 * for that one table (no dump): its answer is the table's attributes or
 * ENOENT. Not through libnftables: nftables 1.0.6 answers "list tables"
 * only after reading the whole ruleset into its cache, every rule and
 * every element of every set (at 10,000 prefixes and 1,000 services about
 * 70 ms of CPU, and a context of megabytes to free), which a periodic
 * check (sekishod's every 2 s) must not cost.
 */
static int
family_of(const char *family)
{
	static const struct { const char *name; int nfproto; } v[] = {
		{ "inet", NFPROTO_INET }, { "ip", NFPROTO_IPV4 }, { "ip6", NFPROTO_IPV6 },
		{ "netdev", NFPROTO_NETDEV }, { "bridge", NFPROTO_BRIDGE },
		{ "arp", NFPROTO_ARP },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(family, v[i].name) == 0)
			return v[i].nfproto;
	return -1;
}

static struct mnl_socket *
list_socket(struct firewall *fw)
{
	struct timeval tmo = { 2, 0 };
	struct mnl_socket *nl;

	if (fw->nl != NULL)
		return fw->nl;
	if ((nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) == NULL)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	return fw->nl = nl;
}

int
fw_table_listed(struct firewall *fw, const char *family, const char *name)
{
	static uint32_t seq;
	char buf[8192];	/* one table's attributes, or an error */
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	int nfproto = family_of(family);
	uint32_t portid;
	ssize_t got;
	int left;

	if (nfproto < 0 || strlen(name) >= NFT_TABLE_MAXNAMELEN ||
	    (nl = list_socket(fw)) == NULL)
		return -1;
	if (seq == 0)
		seq = (uint32_t)time(NULL);
	seq++;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
	nlh->nlmsg_flags = NLM_F_REQUEST;	/* the table, or an error */
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)nfproto;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto broken;
	/* The table's attributes or an error; an answer to an earlier
	 * request (one that timed out) is skipped. */
	for (;;) {
		if ((got = mnl_socket_recvfrom(nl, buf, sizeof(buf))) <= 0)
			goto broken;
		left = (int)got;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		    nlh = mnl_nlmsg_next(nlh, &left)) {
			if (!mnl_nlmsg_portid_ok(nlh, portid) || nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE))
				return 1;
			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct nlmsgerr))) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				return e->error == -ENOENT ? 0 : -1;
			}
		}
	}
broken:
	mnl_socket_close(nl);
	fw->nl = NULL;
	return -1;
}
