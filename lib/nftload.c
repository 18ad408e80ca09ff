#include "lib/nftload.h"

#include <errno.h>
#include <malloc.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct firewall {
	int unused;
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
	free(fw);
}

static struct nft_ctx *
ctx_new(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (ctx != NULL) {
		nft_ctx_buffer_output(ctx);
		nft_ctx_buffer_error(ctx);
	}
	return ctx;
}

static void
ctx_free(struct nft_ctx *ctx)
{
	nft_ctx_free(ctx);
	malloc_trim(0);
}

/* nft's error text spans several lines (message, the offending line, a
 * caret); keep the first, which says what was wrong. */
static int
fw_run(struct firewall *fw, const char *text, int dry, struct sk_error *err)
{
	struct nft_ctx *ctx = ctx_new();
	const char *e;
	size_t n;
	int rc;

	(void)fw;
	if (ctx == NULL)
		return sk_errorf(err, ENOMEM, "firewall: nft_ctx_new failed");
	nft_ctx_set_dry_run(ctx, dry);
	if (nft_run_cmd_from_buffer(ctx, text) == 0) {
		ctx_free(ctx);
		return 0;
	}
	e = nft_ctx_get_error_buffer(ctx);
	n = e != NULL ? strcspn(e, "\n") : 0;
	rc = sk_errorf(err, EINVAL, "nftables refused the ruleset: %.*s",
	    (int)(n > 300 ? 300 : n), n ? e : "unknown error");
	ctx_free(ctx);
	return rc;
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
	struct nft_ctx *ctx = ctx_new();
	char cmd[64], want[96];
	const char *out, *p, *nl;
	size_t n;
	int rc = -1;

	(void)fw;
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
	ctx_free(ctx);
	return rc;
}
