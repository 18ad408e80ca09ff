/*
 * card: staff cards. A card is known by what PC/SC GET DATA reads (a
 * FeliCa IDm: 8 bytes; a MIFARE UID: 4, 7 or 10 bytes), written in hex, or
 * by the card's public key (base64) for cards that sign a challenge.
 */
#include "provisioning/sekisho-provision/prov.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static int
norm_hex(const char *in, char *out, size_t outlen, size_t *bytes)
{
	size_t i, o = 0;

	for (i = 0; in[i] != '\0'; i++) {
		char c = in[i];
		if (c == ':' || c == ' ' || c == '-')
			continue;
		if (!isxdigit((unsigned char)c) || o + 1 >= outlen)
			return -EINVAL;
		out[o++] = (char)toupper((unsigned char)c);
	}
	out[o] = '\0';
	if (o % 2)
		return -EINVAL;
	*bytes = o / 2;
	return 0;
}

static int
card_assign(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *idm = NULL, *uid = NULL, *pk = NULL, *pos[1], *kind;
	const struct prov_opt opts[] = { { "idm", &idm, NULL }, { "uid", &uid, NULL },
	    { "pubkey", &pk, NULL }, { NULL, NULL, NULL } };
	char id[REG_NAME_MAX + 1];
	struct sk_error err;
	size_t bytes = 0;
	int n, rc;

	if ((n = prov_args(p, argc, argv, opts, pos, 1, 1,
	    "STAFF_ID --idm HEX | --uid HEX | --pubkey BASE64",
	    "Assigns a card to a member of staff:\n"
	    "  --idm HEX      a FeliCa IDm (8 bytes), as PC/SC GET DATA reads it\n"
	    "  --uid HEX      a MIFARE UID (4, 7 or 10 bytes)\n"
	    "  --pubkey B64   a card's public key (cards that sign a challenge)\n")) < 0)
		return PROV_ARGS_RC(n);
	if ((idm != NULL) + (uid != NULL) + (pk != NULL) != 1)
		return prov_usage("card assign STAFF_ID --idm HEX | --uid HEX | --pubkey BASE64 (one of them)");
	if (idm != NULL) {
		kind = "felica";
		if (norm_hex(idm, id, sizeof(id), &bytes) < 0 || bytes != 8)
			return prov_fail("--idm %s: a FeliCa IDm is 8 bytes in hex (16 digits)", idm);
	} else if (uid != NULL) {
		kind = "mifare";
		if (norm_hex(uid, id, sizeof(id), &bytes) < 0 ||
		    (bytes != 4 && bytes != 7 && bytes != 10))
			return prov_fail("--uid %s: a MIFARE UID is 4, 7 or 10 bytes in hex", uid);
	} else {
		size_t i, len = strlen(pk);
		kind = "pubkey";
		if (len < 16 || len > REG_NAME_MAX - 3)
			return prov_fail("--pubkey: base64 of 12 to %d bytes", (REG_NAME_MAX - 3) * 3 / 4);
		for (i = 0; i < len; i++)
			if (!isalnum((unsigned char)pk[i]) && pk[i] != '+' && pk[i] != '/' && pk[i] != '=')
				return prov_fail("--pubkey: not base64");
		snprintf(id, sizeof(id), "pk:%s", pk);
	}
	if ((rc = prov_begin(p)) != 0)
		return rc;
	if (reg_card_assign(p->r, id, kind, pos[0], &err) < 0)
		return prov_abort(p, &err);
	if ((rc = prov_audit(p, "card assign", pos[0], "%s %s", kind, id)) != 0)
		return rc;
	return prov_commit(p);
}

static const struct table_col card_cols[] = {
	{ "card", NULL, TABLE_STR, 0 }, { "kind", NULL, TABLE_STR, 0 },
	{ "staff_id", NULL, TABLE_STR, 0 }, { "assigned", NULL, TABLE_INT, 1 },
};

static int
card_row(void *arg, const char *card, const char *kind, const char *staff, int64_t at)
{
	char a[24];
	const char *cells[4] = { card, kind, staff, a };

	snprintf(a, sizeof(a), "%lld", (long long)at);
	return table_add(arg, cells) < 0 ? -ENOMEM : 0;
}

static int
card_list(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *encs = "utf-8";
	int json = 0, csv = 0, n, rc;
	const struct prov_opt opts[] = { { "json", NULL, &json }, { "csv", NULL, &csv },
	    { "encoding", &encs, NULL }, { NULL, NULL, NULL } };
	struct table *t;
	struct sk_error err;
	enum table_fmt fmt;
	enum textenc enc;

	if ((n = prov_args(p, argc, argv, opts, NULL, 0, 0, "[--json | --csv]",
	    "Every card and its holder.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (prov_list_fmt(json ? "" : NULL, csv ? "" : NULL, encs, &fmt, &enc) != 0 ||
	    prov_open(p) != 0)
		return EXIT_FAIL;
	if ((t = table_new(card_cols, nitems(card_cols))) == NULL)
		return prov_fail("out of memory");
	if ((rc = reg_card_list(p->r, card_row, t, &err)) < 0 ||
	    (rc = table_print(t, fmt, enc, stdout, &err)) < 0) {
		table_free(t);
		return prov_fail("%s", err.msg);
	}
	table_free(t);
	return EXIT_OK;
}

static const struct cli_cmd card_cmds[] = {
	{ "assign", card_assign, "STAFF_ID --idm HEX | --uid HEX | --pubkey B64", "a card for a user" },
	{ "list", card_list, "[--json | --csv]", "every card" },
};

int
cmd_card(void *ctx, int argc, char *argv[])
{
	return prov_dispatch("card", card_cmds, nitems(card_cmds), ctx, argc, argv);
}
