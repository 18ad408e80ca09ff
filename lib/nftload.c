#include "lib/nftload.h"

#include <errno.h>
#include <malloc.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Each run gets a fresh libnftables context (nothing cached from an
 * earlier run, as before), but the context of the last run is kept until
 * the next one starts rather than freed at once: freeing it closes its
 * netfilter netlink socket, and Linux (nf_tables, NETLINK_URELEASE) then
 * waits for the previous commit's deferred destruction, an RCU grace
 * period: 12 to 15 ms after any transaction that deleted a rule or a table
 * (every mode change), which the caller would wait for on the spot. By the
 * next run that period is long over.
 */
struct firewall {
	struct nft_ctx	*last;		/* the last run's context, not yet freed */
};

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
	if (fw != NULL && fw->last != NULL)
		nft_ctx_free(fw->last);
	free(fw);
}

/* A fresh context, the last run's freed first. */
static struct nft_ctx *
ctx_new(struct firewall *fw)
{
	struct nft_ctx *ctx;

	if (fw->last != NULL) {
		nft_ctx_free(fw->last);
		fw->last = NULL;
		malloc_trim(0);
	}
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (ctx != NULL) {
		nft_ctx_buffer_output(ctx);
		nft_ctx_buffer_error(ctx);
	}
	return ctx;
}

/* The run's context kept until the next run (see struct firewall). */
static void
ctx_free(struct firewall *fw, struct nft_ctx *ctx)
{
	fw->last = ctx;
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
	return fw->last != NULL;
}

void
fw_settle(struct firewall *fw)
{
	if (fw->last != NULL) {
		nft_ctx_free(fw->last);
		fw->last = NULL;
		malloc_trim(0);
	}
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

int
fw_table_listed(struct firewall *fw, const char *family, const char *name)
{
	struct nft_ctx *ctx = ctx_new(fw);
	char cmd[64], want[96];
	const char *out, *p, *nl;
	size_t n;
	int rc = -1;

	if (ctx == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "list tables %s", family);
	n = (size_t)snprintf(want, sizeof(want), "table %s %s", family, name);
	if (nft_run_cmd_from_buffer(ctx, cmd) == 0) {
		rc = 0;
		out = nft_ctx_get_output_buffer(ctx);
		for (p = out; p != NULL && *p != '\0'; p = (nl = strchr(p, '\n')) ? nl + 1 : NULL)
			if (strncmp(p, want, n) == 0 && (p[n] == '\n' || p[n] == '\0')) {
				rc = 1;
				break;
			}
	}
	ctx_free(fw, ctx);
	return rc;
}
