/*
 * The netvm's nftables ruleset: rendered as text from the mode, the policy
 * and the interface names, and loaded with libnftables as one transaction
 * that replaces the whole `inet sekisho` table. A failing batch leaves the
 * ruleset in force untouched, so the kernel never holds half a mode.
 */
#ifndef SK_FIREWALL_H
#define SK_FIREWALL_H

#include "lib/buf.h"
#include "lib/util.h"
#include "netvm/engine.h"

struct policy;

#define FW_TABLE "sekisho"

struct fw_params {
	enum mode		 mode;
	const struct policy	*pol;	/* NULL: the base ruleset, before any policy */
	const char		*work_if;
	const char		*tun_if;
	const char		*uplink;	/* office mode: the office uplink */
};

/* Appends the full transaction (create, delete, define) to out. */
void fw_render(const struct fw_params *p, struct buf *out);

struct firewall;
struct firewall *fw_open(struct sk_error *err);
void fw_close(struct firewall *fw);
/* Validates text with nftables' dry run, changing nothing. */
int fw_check(struct firewall *fw, const char *text, struct sk_error *err);
/* Applies text atomically. */
int fw_apply(struct firewall *fw, const char *text, struct sk_error *err);
/* 1 if the sekisho table is in the kernel, 0 if not. */
int fw_table_present(struct firewall *fw);

#endif
