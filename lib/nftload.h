/*
 * Loading nftables text with libnftables: one transaction, all or nothing.
 * A failing batch leaves the ruleset in force untouched, so the kernel
 * never holds half a ruleset. What to load is rendered elsewhere
 * (policy/render/); this only carries it into the kernel.
 */
#ifndef SK_NFTLOAD_H
#define SK_NFTLOAD_H

#include "lib/util.h"

struct firewall;
struct firewall *fw_open(struct sk_error *err);
void fw_close(struct firewall *fw);
/* The last runs' libnftables contexts (kept so that their end, which
 * waits for the kernel, never falls on a transaction: nftload.c) freed
 * now, with their netlink sockets and fw_table_listed's, and the memory
 * given back to the system: when idle, and before forking a child that
 * must not hold the sockets. */
void fw_settle(struct firewall *fw);
/* Whether fw_settle has something to do (a context or a socket kept,
 * memory to give back). */
int fw_kept(const struct firewall *fw);
/* Validates text with nftables' dry run, changing nothing. */
int fw_check(struct firewall *fw, const char *text, struct sk_error *err);
/* Applies text atomically. */
int fw_apply(struct firewall *fw, const char *text, struct sk_error *err);
/* 1 if table NAME of FAMILY is in the kernel, 0 if not, -1 if the kernel
 * could not say. One netlink request for that table, not libnftables
 * (whose 1.0.6 reads the whole ruleset first): cheap whatever the table
 * holds. */
int fw_table_listed(struct firewall *fw, const char *family, const char *name);

#endif
